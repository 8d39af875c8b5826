/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jobs.c — the memory after each job of long-running workers (jobs.h): the
 * running least-squares fit, and the one pass over the selected jobs that
 * gives every worker its fit, its first and last figures and its most
 * frequent job name.
 *
 * The rows come ordered by worker and sequence (the partial index
 * requests_job_worker: WHERE kind = 1 must be in the query for SQLite to use
 * it), so a worker's jobs are consecutive: its figures are final when the
 * next worker's first row arrives. Job names are counted in a small hash
 * map (groups.h) per worker, freed when the worker is done.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "groups.h"
#include "jobs.h"

/* ---- the fit ----------------------------------------------------------------------- */

void report_job_fit_add(struct job_fit *f, double y)
{
	double x = (double)f->n;
	f->n++;
	double dx = x - f->mean_x, dy = y - f->mean_y;
	f->mean_x += dx / (double)f->n;
	f->mean_y += dy / (double)f->n;
	/* deviations from the old mean times those from the new one */
	f->sxx += dx * (x - f->mean_x);
	f->syy += dy * (y - f->mean_y);
	f->sxy += dx * (y - f->mean_y);
}

double report_job_fit_slope(const struct job_fit *f)
{
	return f->n >= 2 && f->sxx > 0 ? f->sxy / f->sxx : 0;
}

double report_job_fit_r2(const struct job_fit *f)
{
	if (f->n < 2 || f->sxx <= 0 || f->syy <= 0)
		return 0;
	double r2 = f->sxy * f->sxy / (f->sxx * f->syy);
	return r2 > 1 ? 1 : r2;
}

bool report_job_fit_steady_growth(const struct job_fit *f)
{
	double slope = report_job_fit_slope(f);
	return f->n >= REPORT_JOB_GROWTH_MIN_JOBS && slope > 0 &&
	       slope * (double)(f->n - 1) >= REPORT_JOB_GROWTH_MIN_BYTES &&
	       report_job_fit_r2(f) >= REPORT_JOB_GROWTH_MIN_R2;
}

/* ---- the workers ------------------------------------------------------------------- */

/* The worker being read. */
struct current {
	bool started;
	int64_t pid, start;
	char *host;
	int64_t first, last;
	struct job_fit fit;
	struct groups *names;
};

void report_job_workers_free(struct job_workers *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].host);
		free(w->v[i].job);
	}
	free(w->v);
	w->v = NULL;
	w->n = w->cap = 0;
}

/* Most jobs first; ties: the smaller name. */
static int cmp_names(const void *a, const void *b)
{
	const struct group *x = *(const struct group *const *)a, *y = *(const struct group *const *)b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* Ends the current worker: kept when it had 2 jobs or more. Returns 0, or
 * -1 when out of memory. */
static int finish_worker(struct current *c, struct job_workers *w)
{
	int rc = 0;
	if (c->started && c->fit.n >= 2) {
		size_t n = 0;
		struct group **names = report_groups_sorted(c->names, cmp_names, &n);
		if (w->n == w->cap) {
			size_t cap = w->cap ? 2 * w->cap : 16;
			struct job_worker *v = realloc(w->v, cap * sizeof *v);
			if (v == NULL) {
				free(names);
				return -1;
			}
			w->v = v;
			w->cap = cap;
		}
		struct job_worker *x = &w->v[w->n];
		*x = (struct job_worker){
			.host = c->host, .pid = c->pid, .producer_start_unix_ns = c->start,
			.job = names && n ? strdup(names[0]->key) : strdup(""),
			.jobs = c->fit.n, .mem_first = c->first, .mem_last = c->last,
			.slope = report_job_fit_slope(&c->fit), .r2 = report_job_fit_r2(&c->fit),
			.steady_growth = report_job_fit_steady_growth(&c->fit),
		};
		c->host = NULL; /* now the worker's */
		free(names);
		if (x->job == NULL || names == NULL) {
			free(x->host);
			free(x->job);
			rc = -1;
		} else {
			w->n++;
		}
	}
	free(c->host);
	report_groups_free(c->names);
	memset(c, 0, sizeof *c);
	return rc;
}

/* Largest growth first; ties by pid, then start. */
static int cmp_workers(const void *a, const void *b)
{
	const struct job_worker *x = a, *y = b;
	if (x->slope != y->slope)
		return x->slope < y->slope ? 1 : -1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->producer_start_unix_ns < y->producer_start_unix_ns ? -1
	       : x->producer_start_unix_ns > y->producer_start_unix_ns;
}

int report_job_workers_load(struct report *r, struct job_workers *w)
{
	const char *name = r->o->by_uri ? "coalesce(r.uri, '')"
	                                : "coalesce(nullif(r.route, ''), r.uri, '')";
	/* r->job_r is "r.kind = 1" as it is, the partial index's condition (an
	 * older store has no index: its requests are scanned and the jobs
	 * sorted). Filtered, r->where_r is the selection (temp.sel): a large
	 * one is only checked ("+": its ids do not drive the query), so the jobs
	 * come in order from the index, with no sort; a small one is read
	 * through its ids and sorted. */
	const char *where = r->filtered && !r->sel_small ? "+r.id IN temp.sel" : r->where_r;
	sqlite3_stmt *s = report_prepare(r,
		"SELECT r.pid, r.producer_start_unix_ns, coalesce(r.host, ''), r.mem_end_bytes, %s "
		"FROM requests r WHERE %s AND %s "
		"ORDER BY r.pid, r.producer_start_unix_ns, r.sequence",
		name, r->job_r, where);
	if (s == NULL)
		return -1;
	struct current c;
	memset(&c, 0, sizeof c);
	int rc = SQLITE_ERROR, bad = 0;
	while (!bad && (rc = report_step(r, s)) == SQLITE_ROW) {
		int64_t pid = sqlite3_column_int64(s, 0), start = sqlite3_column_int64(s, 1);
		int64_t mem = sqlite3_column_int64(s, 3);
		if (!c.started || pid != c.pid || start != c.start) {
			if (finish_worker(&c, w) != 0) {
				bad = 1;
				break;
			}
			c.started = true;
			c.pid = pid;
			c.start = start;
			c.first = mem;
			c.host = strdup(report_col_text(s, 2));
			c.names = report_groups_new();
			if (c.host == NULL || c.names == NULL) {
				bad = 1;
				break;
			}
		}
		c.last = mem;
		report_job_fit_add(&c.fit, (double)mem);
		struct group *g = report_groups_get(c.names, report_col_text(s, 4),
		                                    (size_t)sqlite3_column_bytes(s, 4));
		if (g == NULL)
			bad = 1;
		else
			g->n++;
	}
	sqlite3_finalize(s);
	if (!bad && rc == SQLITE_DONE && finish_worker(&c, w) == 0) {
		if (w->n > 1) /* w->v is NULL when there are none */
			qsort(w->v, w->n, sizeof *w->v, cmp_workers);
		return 0;
	}
	free(c.host);
	report_groups_free(c.names);
	return -1;
}
