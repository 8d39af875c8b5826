/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_summary.c — `bvapm-report summary`: for the selected requests, per
 * endpoint: count, error rate (status >= 500; for a job, endpoint
 * "job:NAME", status not 0), latency p50/p95/p99/max (nearest rank), peak
 * memory average / standard deviation / max, fatal and out-of-memory
 * counts; insight lines in the spirit of the memory profiling guide (low
 * variance ⇒ deterministic, high variance ⇒ input-dependent, peak near
 * memory_limit ⇒ OOM risk, a long-running worker whose memory after each
 * job grows steadily ⇒ a leak: jobs.h); tags by endpoint; and loss: gaps in
 * each producer's sequence numbers (the agent numbers every request it
 * keeps, so a gap is a kept record that never reached the store), the
 * records the drainer evicted from its spool (its "records_evicted"
 * statistics rows: counted at the drainer, so they show even when no later
 * record of the producer reveals the gap), plus statistics rows.
 *
 * One pass over the selection, grouped by endpoint in memory: 8 bytes per
 * request (its wall time, for the percentiles); one more over the selected
 * jobs only (jobs.c, through the jobs' index) for the workers' growth.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "groups.h"
#include "jobs.h"
#include "report.h"
#include "report_table.h"

struct ep_row {
	char *ep;
	bool job;           /* a job's endpoint ("job:NAME") */
	int64_t n, errors, fatals, ooms;
	int64_t p50, p95, p99, max_wall;
	double mem_avg, mem_sd;
	int64_t mem_max, mem_limit;
};

struct rows {
	struct ep_row *v;
	size_t n, cap;
};

struct acc {
	int64_t *wall;
	size_t n, cap;
	int64_t errors, mem_max, mem_limit;
	double mem_mean, mem_m2; /* Welford: running mean and sum of squared deviations */
};

static int cmp_rows(const void *a, const void *b)
{
	const struct ep_row *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->ep, y->ep);
}

/* Appends the figures of one endpoint (a->n may be 0: fatals only; else
 * a->wall sorted). Returns 0 or -1 when out of memory. */
static int add_row(struct rows *rows, const char *ep, struct acc *a)
{
	if (rows->n == rows->cap) {
		size_t cap = rows->cap ? 2 * rows->cap : 16;
		struct ep_row *v = realloc(rows->v, cap * sizeof *v);
		if (v == NULL)
			return -1;
		rows->v = v;
		rows->cap = cap;
	}
	struct ep_row *r = &rows->v[rows->n++];
	memset(r, 0, sizeof *r);
	r->ep = strdup(ep);
	r->job = strncmp(ep, REPORT_JOB_PREFIX, strlen(REPORT_JOB_PREFIX)) == 0;
	if (a->n == 0)
		return r->ep ? 0 : -1;
	r->n = (int64_t)a->n;
	r->errors = a->errors;
	r->p50 = report_percentile(a->wall, a->n, 50);
	r->p95 = report_percentile(a->wall, a->n, 95);
	r->p99 = report_percentile(a->wall, a->n, 99);
	r->max_wall = a->wall[a->n - 1];
	r->mem_avg = a->mem_mean;
	double var = a->mem_m2 / (double)a->n;
	r->mem_sd = var > 0 ? sqrt(var) : 0;
	r->mem_max = a->mem_max;
	r->mem_limit = a->mem_limit;
	return r->ep ? 0 : -1;
}

/* The selection as a whole: its first and last start, how many requests
 * were recorded with reduced detail, and how many are jobs. */
struct span {
	int64_t first, last, reduced, jobs;
};

/* row: endpoint, wall_ns, mem_peak_bytes, failed (0/1), mem_limit_bytes,
 * start_unix_ns, detail_reduced, is a job (0/1); group: values = wall
 * times, i[0] errors (failed), i[1] max peak, i[2] memory limit, d[0], d[1] running mean and squared
 * deviations of the peaks (Welford: no cancellation with large values,
 * unlike sum of squares minus square of sum). */
static int fold_request(struct group *gr, sqlite3_stmt *s, void *ctx)
{
	struct span *sp = ctx;
	if (report_group_push(gr, sqlite3_column_int64(s, 1)))
		return -1;
	int64_t mem = sqlite3_column_int64(s, 2);
	double delta = (double)mem - gr->d[0];
	gr->d[0] += delta / (double)gr->n;
	gr->d[1] += delta * ((double)mem - gr->d[0]);
	if (mem > gr->i[1])
		gr->i[1] = mem;
	if (sqlite3_column_int64(s, 3) != 0)
		gr->i[0]++;
	if (sqlite3_column_int64(s, 4) > gr->i[2])
		gr->i[2] = sqlite3_column_int64(s, 4);
	sp->reduced += sqlite3_column_int64(s, 6) != 0;
	sp->jobs += sqlite3_column_int64(s, 7) != 0;
	int64_t t = sqlite3_column_int64(s, 5);
	if (sp->first == 0 || t < sp->first)
		sp->first = t;
	if (t > sp->last)
		sp->last = t;
	return 0;
}

/* One pass over the selection, grouped by endpoint in memory (groups.h). */
static int load_rows(struct report *r, struct rows *rows, struct span *sp)
{
	sqlite3_stmt *s = report_prepare(r,
		"SELECT %s, r.wall_ns, r.mem_peak_bytes, %s, r.mem_limit_bytes, r.start_unix_ns, "
		"r.detail_reduced, %s FROM requests r WHERE %s",
		r->ep, r->failed_r, r->job_r, r->where_r);
	struct groups *g = report_groups_new();
	size_t n = 0;
	struct group **all = report_groups_scan(r, s, g, 0, fold_request, sp)
	                     ? NULL : report_groups_sorted(g, NULL, &n);
	int bad = all == NULL;
	for (size_t k = 0; !bad && k < n; k++) {
		struct group *gr = all[k];
		report_group_sort_values(gr);
		struct acc a = {gr->values, gr->n_values, gr->cap_values, gr->i[0], gr->i[1], gr->i[2],
		                gr->d[0], gr->d[1]};
		bad |= add_row(rows, gr->key, &a);
	}
	free(all);
	report_groups_free(g);
	return bad ? -1 : 0;
}

/* Fatal and OOM counts per endpoint, matched to the rows by name. */
static int add_fatals(struct report *r, struct rows *rows, int64_t *fatals, int64_t *ooms)
{
	sqlite3_stmt *s = report_prepare(r,
		"SELECT %s, count(*), sum(f.out_of_memory != 0) FROM fatals f WHERE %s GROUP BY 1",
		r->ep_f, r->where_f);
	if (s == NULL)
		return -1;
	int rc;
	while ((rc = report_step(r, s)) == SQLITE_ROW) {
		*fatals += sqlite3_column_int64(s, 1);
		*ooms += sqlite3_column_int64(s, 2);
		struct ep_row *e = NULL;
		for (size_t i = 0; i < rows->n && e == NULL; i++)
			if (strcmp(rows->v[i].ep, report_col_text(s, 0)) == 0)
				e = &rows->v[i];
		if (e == NULL) {
			/* Fatal errors of an endpoint with no stored request: a row of its own. */
			struct acc none;
			memset(&none, 0, sizeof none);
			if (add_row(rows, report_col_text(s, 0), &none) != 0)
				break;
			e = &rows->v[rows->n - 1];
		}
		e->fatals = sqlite3_column_int64(s, 1);
		e->ooms = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- insights ---------------------------------------------------------------- */

/* "  ❌ endpoint: what\n     → what to do" */
static const struct report_col insight_cols[] = {
	{NULL, "", 0, .kind = REPORT_COL_STR}, /* the mark */
	{"endpoint", "", 0, .kind = REPORT_COL_EP},
	{"kind", NULL, 0, .kind = REPORT_COL_STR},
	{"text", "", 0, .kind = REPORT_COL_STR, .before = ": "},
	{"action", "", 0, .kind = REPORT_COL_STR, .before = "\n     → "},
};

static const struct report_table_spec insight_spec = {
	.key = "insights",
	.title = "Insights",
	.empty = "  nothing stands out",
	REPORT_COLUMNS(insight_cols),
};

struct insight_sink {
	struct report_table t;
	const char *ep;
};

static void insight(struct insight_sink *k, const char *mark, const char *kind, const char *line,
                    const char *action)
{
	report_table_row(&k->t, (const struct report_cell[]){
		{.s = mark}, {.s = k->ep}, {.s = kind}, {.s = line}, {.s = action},
	});
}

enum insight_kind { I_OOM, I_NEAR_LIMIT, I_ERRORS, I_JOB_GROWTH, I_VARIANCE, I__COUNT };

/* Emits the insight of one kind for one endpoint, when it applies. */
static int insight_of(struct insight_sink *k, const struct ep_row *e, enum insight_kind kind)
{
	char line[256], b1[32], b2[32];
	double cv = e->mem_avg > 0 ? e->mem_sd / e->mem_avg : 0;
	k->ep = e->ep;
	switch (kind) {
	case I_OOM:
		if (e->ooms == 0)
			return 0;
		snprintf(line, sizeof line, "%lld out-of-memory fatal error(s)", (long long)e->ooms);
		insight(k, "❌", "oom", line, "see errors --endpoint for the last checkpoint and stack");
		return 1;
	case I_NEAR_LIMIT:
		if (e->n == 0 || e->mem_limit <= 0 || e->mem_max < e->mem_limit * 9 / 10)
			return 0;
		snprintf(line, sizeof line, "peak %s reached %.0f%% of memory_limit %s",
		         report_fmt_bytes(e->mem_max, b1, sizeof b1),
		         100.0 * (double)e->mem_max / (double)e->mem_limit,
		         report_fmt_bytes(e->mem_limit, b2, sizeof b2));
		insight(k, "⚠️ ", "near_limit", line, "out-of-memory risk: see memory --endpoint");
		return 1;
	case I_ERRORS:
		if (e->n < 5 || e->errors * 20 <= e->n)
			return 0;
		snprintf(line, sizeof line, e->job ? "%.1f%% of jobs failed (status not 0)"
		                                   : "%.1f%% of requests failed (status >= 500)",
		         100.0 * (double)e->errors / (double)e->n);
		insight(k, "❌", "errors", line, "see errors --endpoint");
		return 1;
	case I_VARIANCE:
		report_fmt_bytes((int64_t)e->mem_sd, b1, sizeof b1);
		report_fmt_bytes((int64_t)e->mem_avg, b2, sizeof b2);
		if (e->n >= 5 && cv < 0.10) {
			snprintf(line, sizeof line, "memory usage is consistent (low variance: sd %s, %.1f%% "
			         "of the average %s)", b1, 100 * cv, b2);
			insight(k, "✅", "low_variance", line,
			        "issue is deterministic, not random: reproduce it and focus on the code path "
			        "(memory --endpoint shows where it grows)");
			return 1;
		}
		if (e->n >= 5 && cv > 0.50) {
			snprintf(line, sizeof line, "memory varies widely (sd %s, %.0f%% of the average %s)",
			         b1, 100 * cv, b2);
			insight(k, "⚠️ ", "high_variance", line,
			        "depends on the input (session size, result set): compare the largest "
			        "requests (memory --endpoint)");
			return 1;
		}
		return 0;
	default:
		return 0;
	}
}

/* A worker whose memory after each job grows steadily (jobs.h). */
static void job_growth_insight(struct insight_sink *k, const struct job_worker *w)
{
	char line[512], ep[256], b1[32], b2[32];
	snprintf(ep, sizeof ep, REPORT_JOB_PREFIX "%s", w->job);
	k->ep = ep;
	report_fmt_bytes((int64_t)llround(w->slope), b1, sizeof b1);
	report_fmt_bytes(w->mem_last - w->mem_first, b2, sizeof b2);
	snprintf(line, sizeof line, "worker %lld on %s: memory after each job grows %s per job over "
	         "%lld jobs (job %s; %s in all): a leak in a long-running worker",
	         (long long)w->pid, w->host[0] ? w->host : "?", b1, (long long)w->jobs, w->job, b2);
	insight(k, "⚠️ ", "job_memory_growth", line,
	        "something survives every job (a static cache, an identity map, listeners, growing "
	        "arrays): see memory (Memory after each job); meanwhile restart the worker every "
	        "few hundred jobs");
}

static int cmp_mem(const void *a, const void *b)
{
	const struct ep_row *x = *(const struct ep_row *const *)a, *y = *(const struct ep_row *const *)b;
	if (x->mem_avg != y->mem_avg)
		return x->mem_avg < y->mem_avg ? 1 : -1;
	return strcmp(x->ep, y->ep);
}

/* Insights, most severe first, at most --limit: out of memory, near the
 * limit, failing endpoints, workers whose memory grows job after job (the
 * largest growth first), then the memory variance of the endpoints that
 * use the most memory (VARIANCE_TOP of them: there the variance says whether
 * a memory problem reproduces). */
#define VARIANCE_TOP 3

static int insights(struct report *r, struct rows *rows)
{
	struct job_workers workers;
	memset(&workers, 0, sizeof workers);
	if (report_job_workers_load(r, &workers) != 0) {
		report_job_workers_free(&workers);
		return -1;
	}
	const struct ep_row **by_mem = calloc(rows->n ? rows->n : 1, sizeof *by_mem);
	if (by_mem == NULL) {
		report_job_workers_free(&workers);
		return -1;
	}
	struct insight_sink k = {.ep = NULL};
	report_table_begin(&k.t, r, &insight_spec, NULL);
	size_t with_requests = 0;
	for (size_t i = 0; i < rows->n; i++)
		if (rows->v[i].n > 0)
			by_mem[with_requests++] = &rows->v[i];
	qsort(by_mem, with_requests, sizeof *by_mem, cmp_mem);
	long shown = 0;
	for (int kind = 0; kind < I__COUNT; kind++) {
		if (kind == I_JOB_GROWTH) {
			for (size_t i = 0; i < workers.n && shown < r->o->limit; i++)
				if (workers.v[i].steady_growth) {
					job_growth_insight(&k, &workers.v[i]);
					shown++;
				}
			continue;
		}
		size_t n = kind == I_VARIANCE ? (with_requests < VARIANCE_TOP ? with_requests : VARIANCE_TOP)
		                              : rows->n;
		for (size_t i = 0; i < n && shown < r->o->limit; i++)
			shown += insight_of(&k, kind == I_VARIANCE ? by_mem[i] : &rows->v[i], kind);
	}
	report_table_end(&k.t, 0);
	free(by_mem);
	report_job_workers_free(&workers);
	return 0;
}

/* ---- tags ------------------------------------------------------------------------ */

/* Tags by endpoint and key (bvapm_tag): how many requests carry it, how many
 * distinct values, the largest numeric value (e.g. a session size in MB) and
 * the most frequent value — the guide's "most common large session keys". */
static const struct report_col tag_cols[] = {
	{"endpoint", "endpoint", 34, .kind = REPORT_COL_EP, .flags = REPORT_COL_CLIP},
	{"key", "tag", 24, .kind = REPORT_COL_STR, .flags = REPORT_COL_CLIP},
	{"requests", "requests", 8, .kind = REPORT_COL_INT},
	{"distinct_values", "values", 8, .kind = REPORT_COL_INT},
	{"max_numeric", "max", 10, .kind = REPORT_COL_NUM}, /* NULL: no numeric value */
	{"most_common_value", "most common value", 0, .kind = REPORT_COL_STR, .before = "  "},
};

static const struct report_table_spec tag_spec = {
	.key = "tags",
	.title = "Tags by endpoint (bvapm_tag)",
	.lazy = true,
	REPORT_COLUMNS(tag_cols),
};

static int tags(struct report *r)
{
	char *from = report_child_from(r, "tags", "t", true, "");
	/* One grouping by (endpoint, key, value); the most frequent value of each
	 * (endpoint, key) is the first by count. */
	sqlite3_stmt *s = from ? report_prepare(r,
		"WITH v AS (SELECT %s AS ep, t.key AS key, t.value AS value, count(*) AS c %s "
		"GROUP BY 1, 2, 3), "
		"ranked AS (SELECT ep, key, value, c, row_number() OVER (PARTITION BY ep, key "
		"ORDER BY c DESC, value) AS rn FROM v) "
		"SELECT ep, key, sum(c) AS n, count(*), max(CASE WHEN value GLOB '[0-9]*' OR value GLOB "
		"'-[0-9]*' THEN CAST(value AS REAL) END), max(CASE WHEN rn = 1 THEN value END) "
		"FROM ranked GROUP BY ep, key ORDER BY n DESC, ep, key LIMIT %ld",
		r->ep, from, r->o->limit) : NULL;
	sqlite3_free(from);
	if (s == NULL)
		return -1;
	return report_table_query(r, s, &tag_spec, NULL);
}

/* ---- loss ---------------------------------------------------------------------- */

static const struct report_col loss_cols[] = {
	{"producers", "", 0, .kind = REPORT_COL_INT, .before = "  producers "},
	{"records_stored", "", 0, .kind = REPORT_COL_INT, .before = ", records stored "},
	{"records_lost", "", 0, .kind = REPORT_COL_INT, .before = ", lost "},
	{"lost_percent", "", 0, .kind = REPORT_COL_PCT2, .before = " (", .after = ")"},
	{"aborted_requests", "", 0, .kind = REPORT_COL_INT,
	 .before = ", aborted requests (worker died) "},
	{"records_evicted", "", 0, .kind = REPORT_COL_INT,
	 .before = "\n  evicted by the drainer ",
	 .after = " (its spool was full while the ring was nearly full; also in the gaps above "
	          "when a later record of the producer was stored)\n"
	          "  (unsampled requests take no number and are not loss; losses after a "
	          "producer's last stored record show in `bvapm-shm stat`)"},
};

static const struct report_table_spec loss_spec = {
	.key = "loss",
	.title = "Loss (gaps in each producer's sequence numbers, all endpoints)",
	REPORT_COLUMNS(loss_cols),
};

/* Statistics rows summed by source and name, nested in "loss". */
static const struct report_col stats_cols[] = {
	{"source", "", 10, .kind = REPORT_COL_STR, .before = "    "},
	{"name", "", 32, .kind = REPORT_COL_STR},
	{"total", "", 0, .kind = REPORT_COL_INT},
	{"records", NULL, 0, .kind = REPORT_COL_INT},
};

static const struct report_table_spec stats_spec = {
	.key = "stats",
	.caption = "  statistics records (sum over the window):",
	.lazy = true,
	REPORT_COLUMNS(stats_cols),
};

static int loss(struct report *r)
{
	/* A fatal record may take a number of the same producer's sequence;
	 * a number seen in both tables counts once. Without --since,
	 * numbering starts at 1, so records lost before a producer's first
	 * stored one count too. */
	int64_t since = r->o->since_unix_ns;
	/* --until: a bound above, on every side (no bound: the largest time). */
	long long until = r->o->until_unix_ns ? (long long)r->o->until_unix_ns : INT64_MAX;
	char *req_since = sqlite3_mprintf("WHERE start_unix_ns >= %lld AND start_unix_ns < %lld",
	                                  (long long)since, until);
	if (req_since == NULL)
		return -1;
	/* Without --since or --until, the requests side is a scan of the
	 * UNIQUE index (pid, producer_start_unix_ns, sequence): no sort. */
	if (!since && !r->o->until_unix_ns)
		req_since[0] = '\0';
	sqlite3_stmt *s = report_prepare(r,
		"SELECT count(*), sum(n), sum(hi - %s + 1 - n) FROM ("
		" SELECT pid, ps, sum(n) AS n, min(lo) AS lo, max(hi) AS hi FROM ("
		"  SELECT pid, producer_start_unix_ns AS ps, count(*) AS n, min(sequence) AS lo, "
		"   max(sequence) AS hi FROM requests %s GROUP BY 1, 2"
		"  UNION ALL SELECT f.pid, f.producer_start_unix_ns, count(*), min(f.sequence), "
		"   max(f.sequence) FROM fatals f WHERE coalesce(f.start_unix_ns, f.wall_unix_ns) >= %lld "
		"   AND coalesce(f.start_unix_ns, f.wall_unix_ns) < %lld "
		"   AND NOT EXISTS (SELECT 1 FROM requests q WHERE q.pid = f.pid AND "
		"   q.producer_start_unix_ns = f.producer_start_unix_ns AND q.sequence = f.sequence) "
		"   GROUP BY 1, 2)"
		" GROUP BY pid, ps)",
		since ? "lo" : "1", req_since, (long long)since, until);
	sqlite3_free(req_since);
	if (s == NULL)
		return -1;
	int64_t producers = 0, stored = 0, lost = 0;
	if (report_step(r, s) == SQLITE_ROW) {
		producers = sqlite3_column_int64(s, 0);
		stored = sqlite3_column_int64(s, 1);
		lost = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	int64_t aborted = report_scalar(r, "SELECT count(*) FROM aborted a WHERE %s", r->where_a);
	int64_t evicted = report_scalar(r, "SELECT coalesce(sum(value), 0) FROM stats WHERE source = "
	                                   "'drainer' AND name = 'records_evicted' AND wall_unix_ns >= %lld "
	                                   "AND wall_unix_ns < %lld",
	                                (long long)since, until);
	double pct = stored + lost > 0 ? 100.0 * (double)lost / (double)(stored + lost) : 0;

	json_object *j = report_record(r, &loss_spec, NULL, (const struct report_cell[]){
		{.i = producers}, {.i = stored}, {.i = lost}, {.d = pct}, {.i = aborted},
		{.i = evicted},
	});
	s = report_prepare(r, "SELECT source, name, sum(value), count(*) FROM stats "
	                      "WHERE wall_unix_ns >= %lld AND wall_unix_ns < %lld GROUP BY 1, 2 "
	                      "ORDER BY 1, 2", (long long)since, until);
	return s ? report_table_query(r, s, &stats_spec, j) : -1;
}

/* ---- the command ------------------------------------------------------------------- */

/* The selection as a whole: three lines of text. */
static const struct report_col total_cols[] = {
	{"requests", "", 0, .kind = REPORT_COL_INT, .before = "Requests: "},
	{"first_start_unix_ns", "", 0, .kind = REPORT_COL_TIME, .before = "  ("},
	{"last_start_unix_ns", "", 0, .kind = REPORT_COL_TIME, .before = " .. ", .after = ")"},
	{"errors", "", 0, .kind = REPORT_COL_INT, .before = "\nErrors: "},
	{"error_rate_percent", "", 0, .kind = REPORT_COL_PCT2, .before = " (", .after = ")"},
	{"fatals", "", 0, .kind = REPORT_COL_INT, .before = "   fatal errors: "},
	{"out_of_memory", "", 0, .kind = REPORT_COL_INT, .before = ", out of memory: "},
	{"mem_peak_avg_bytes", "", 0, .kind = REPORT_COL_BYTES,
	 .before = "\nPeak memory: average "},
	{"mem_peak_max_bytes", "", 0, .kind = REPORT_COL_BYTES, .before = ", max "},
	{"endpoint_count", NULL, 0, .kind = REPORT_COL_INT},
	{"jobs", "", 0, .kind = REPORT_COL_INT, .flags = REPORT_COL_SKIP_EMPTY,
	 .before = "\nJobs: ", .after = " of the requests above are jobs of long-running workers "
	                                "(endpoints job:NAME)"},
	{"detail_reduced", "", 0, .kind = REPORT_COL_INT, .flags = REPORT_COL_SKIP_EMPTY,
	 .before = "\nReduced detail: ",
	 .after = " requests were recorded with less detail (the agent's overhead guard): "
	          "their SQL and profiles are missing here"},
};

static const struct report_table_spec total_spec = {REPORT_COLUMNS(total_cols)};

static const struct report_col endpoint_cols[] = {
	{"endpoint", "endpoint", 40, .kind = REPORT_COL_EP, .flags = REPORT_COL_CLIP},
	{"kind", NULL, 0, .kind = REPORT_COL_STR}, /* "request" or "job" */
	{"requests", "requests", 8, .kind = REPORT_COL_INT},
	{"errors", NULL, 0, .kind = REPORT_COL_INT},
	{"error_rate_percent", "err%", 7, .kind = REPORT_COL_PCT},
	{"p50_ns", "p50", 9, .kind = REPORT_COL_NS},
	{"p95_ns", "p95", 9, .kind = REPORT_COL_NS},
	{"p99_ns", "p99", 9, .kind = REPORT_COL_NS},
	{"max_ns", NULL, 0, .kind = REPORT_COL_NS},
	{"mem_peak_avg_bytes", "mem avg", 10, .kind = REPORT_COL_BYTES},
	{"mem_peak_stddev_bytes", "mem sd", 10, .kind = REPORT_COL_BYTES},
	{"mem_peak_cv_percent", NULL, 0, .kind = REPORT_COL_PCT},
	{"mem_peak_max_bytes", "mem max", 10, .kind = REPORT_COL_BYTES},
	{"fatals", "fatal", 6, .kind = REPORT_COL_INT},
	{"out_of_memory", NULL, 0, .kind = REPORT_COL_INT},
};

static const struct report_table_spec endpoint_spec = {
	.key = "endpoints",
	.title = "Endpoints (by request count)",
	.more = "endpoints",
	REPORT_COLUMNS(endpoint_cols),
};

static void endpoints(struct report *r, const struct rows *rows, size_t shown)
{
	struct report_table t;
	report_table_begin(&t, r, &endpoint_spec, NULL);
	for (size_t i = 0; i < shown; i++) {
		const struct ep_row *e = &rows->v[i];
		report_table_row(&t, (const struct report_cell[]){
			{.s = e->ep}, {.s = e->job ? "job" : "request"}, {.i = e->n}, {.i = e->errors},
			{.d = e->n ? 100.0 * (double)e->errors / (double)e->n : 0},
			{.i = e->p50}, {.i = e->p95}, {.i = e->p99}, {.i = e->max_wall},
			{.i = (int64_t)e->mem_avg}, {.i = (int64_t)e->mem_sd},
			{.d = e->mem_avg > 0 ? 100 * e->mem_sd / e->mem_avg : 0},
			{.i = e->mem_max}, {.i = e->fatals}, {.i = e->ooms},
		});
	}
	report_table_end(&t, rows->n - shown);
}

int report_cmd_summary(struct report *r)
{
	struct rows rows = {NULL, 0, 0};
	struct span sp = {0, 0, 0, 0};
	int64_t fatals = 0, ooms = 0;
	int rc = REPORT_ERROR;
	if (load_rows(r, &rows, &sp) || add_fatals(r, &rows, &fatals, &ooms))
		goto out;
	if (rows.n > 0) /* no selected request: rows.v may be NULL, which qsort refuses */
		qsort(rows.v, rows.n, sizeof *rows.v, cmp_rows);

	int64_t total = 0, errors = 0, mem_max = 0;
	double mem_sum = 0;
	for (size_t i = 0; i < rows.n; i++) {
		total += rows.v[i].n;
		errors += rows.v[i].errors;
		mem_sum += rows.v[i].mem_avg * (double)rows.v[i].n;
		if (rows.v[i].mem_max > mem_max)
			mem_max = rows.v[i].mem_max;
	}
	double err_pct = total ? 100.0 * (double)errors / (double)total : 0;
	int64_t mem_avg = total ? (int64_t)(mem_sum / (double)total) : 0;
	size_t shown = rows.n < (size_t)r->o->limit ? rows.n : (size_t)r->o->limit;
	report_record(r, &total_spec, NULL, (const struct report_cell[]){
		{.i = total}, {.i = sp.first}, {.i = sp.last}, {.i = errors}, {.d = err_pct},
		{.i = fatals}, {.i = ooms}, {.i = mem_avg}, {.i = mem_max}, {.i = (int64_t)rows.n},
		{.i = sp.jobs}, {.i = sp.reduced},
	});
	endpoints(r, &rows, shown);
	if (insights(r, &rows))
		goto out;
	if (total == 0)
		report_text(r, "  no requests match");
	rc = tags(r) || loss(r) ? REPORT_ERROR : REPORT_OK;
out:
	for (size_t i = 0; i < rows.n; i++)
		free(rows.v[i].ep);
	free(rows.v);
	return rc;
}
