/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_timeline.c — `bvapm-report timeline`: the selected requests in time
 * buckets (--bucket WIDTH, else a width chosen from the selection's time
 * span: time_buckets.h). Per bucket: requests, requests/s, errors and error
 * rate (as summary: status >= 500, a job's status not 0), fatal and
 * out-of-memory counts (the fatal errors by their request's start), wall
 * time p50/p95/p99 (nearest rank, exact), the largest peak memory. Per
 * endpoint (the --limit with the most requests): requests and p95 per
 * bucket, for sparklines. Every bucket from the first to the last is
 * listed, empty ones with 0s.
 *
 * DESIGN. One pass over the selection in start-time order (the
 * requests_start index; a small selection is sorted instead), so a bucket
 * is complete when the first row of a later one arrives: only the current
 * bucket's wall times are held (in all, and per endpoint), and closing it
 * turns them into its percentiles. What outlives a bucket is its figures
 * and, per endpoint that had requests in it, one point (bucket, requests,
 * p95): memory grows with buckets × endpoints, never with the requests.
 * The fatal errors are few and counted by a query of their own.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "groups.h"
#include "report.h"
#include "report_table.h"
#include "time_buckets.h"

struct bucket {
	int64_t requests, errors, fatals, ooms;
	int64_t p50, p95, p99, peak_max;
};

/* One bucket in which an endpoint had requests. */
struct ep_point {
	size_t bucket;
	int64_t requests, p95;
};

/* An endpoint's points, in bucket order. */
struct ep_series {
	struct group *gr; /* its group: key, total requests */
	struct ep_point *v;
	size_t n, cap;
};

struct timeline {
	int64_t origin, width; /* bucket k starts at origin + k · width */
	size_t n_buckets;
	struct bucket *b;
	size_t current;        /* the bucket being filled */
	bool filling;          /* a row has come: current is valid */
	int64_t *walls;        /* the current bucket's wall times */
	size_t n_walls, cap_walls;
	struct group **touched; /* endpoints with wall times in the current bucket */
	size_t n_touched, cap_touched;
	struct ep_series *series; /* every endpoint; group i[0] is its index + 1 */
	size_t n_series, cap_series;
};

/* Grows *v (of *cap elements of size sz) to hold one more than n. */
static int grow(void *v, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t cap2 = *cap ? 2 * *cap : 64;
	void *p = realloc(*(void **)v, cap2 * sz);
	if (p == NULL)
		return -1;
	*(void **)v = p;
	*cap = cap2;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The current bucket is complete: its percentiles, and a point of every
 * endpoint it had; its wall times are dropped. */
static int close_bucket(struct timeline *tl)
{
	if (!tl->filling)
		return 0;
	struct bucket *b = &tl->b[tl->current];
	qsort(tl->walls, tl->n_walls, sizeof *tl->walls, cmp_i64);
	b->p50 = report_percentile(tl->walls, tl->n_walls, 50);
	b->p95 = report_percentile(tl->walls, tl->n_walls, 95);
	b->p99 = report_percentile(tl->walls, tl->n_walls, 99);
	tl->n_walls = 0;
	for (size_t k = 0; k < tl->n_touched; k++) {
		struct group *gr = tl->touched[k];
		struct ep_series *es = &tl->series[gr->i[0] - 1];
		if (grow(&es->v, &es->cap, es->n, sizeof *es->v))
			return -1;
		report_group_sort_values(gr);
		es->v[es->n++] = (struct ep_point){
			tl->current, (int64_t)gr->n_values, report_percentile(gr->values, gr->n_values, 95)};
		gr->n_values = 0; /* the capacity stays for the next bucket */
	}
	tl->n_touched = 0;
	return 0;
}

/* row: start_unix_ns, wall_ns, mem_peak_bytes, failed (0/1), endpoint */
static int fold_request(struct group *gr, sqlite3_stmt *s, void *ctx)
{
	struct timeline *tl = ctx;
	int64_t t = sqlite3_column_int64(s, 0), wall = sqlite3_column_int64(s, 1);
	size_t k = (size_t)((t - tl->origin) / tl->width);
	if (t < tl->origin || k >= tl->n_buckets)
		return 0; /* not in the span measured before (a row written since) */
	if (!tl->filling || k != tl->current) {
		if (close_bucket(tl))
			return -1;
		tl->current = k;
		tl->filling = true;
	}
	struct bucket *b = &tl->b[k];
	b->requests++;
	b->errors += sqlite3_column_int64(s, 3) != 0;
	if (sqlite3_column_int64(s, 2) > b->peak_max)
		b->peak_max = sqlite3_column_int64(s, 2);
	if (grow(&tl->walls, &tl->cap_walls, tl->n_walls, sizeof *tl->walls))
		return -1;
	tl->walls[tl->n_walls++] = wall;
	if (gr->i[0] == 0) { /* an endpoint seen for the first time */
		if (grow(&tl->series, &tl->cap_series, tl->n_series, sizeof *tl->series))
			return -1;
		tl->series[tl->n_series++] = (struct ep_series){gr, NULL, 0, 0};
		gr->i[0] = (int64_t)tl->n_series;
	}
	if (gr->n_values == 0) {
		if (grow(&tl->touched, &tl->cap_touched, tl->n_touched, sizeof *tl->touched))
			return -1;
		tl->touched[tl->n_touched++] = gr;
	}
	return report_group_push(gr, wall);
}

/* The selection's first and last start, fatal errors included (a fatal
 * error's time is its request's start). Returns false when there is none. */
static bool time_span(struct report *r, int64_t *first, int64_t *last)
{
	/* one min() or max() per subquery: each an index step when unfiltered */
	sqlite3_stmt *s = report_prepare(r,
		"SELECT min(a), max(b) FROM ("
		"SELECT (SELECT min(r.start_unix_ns) FROM requests r WHERE %s) AS a, "
		"(SELECT max(r.start_unix_ns) FROM requests r WHERE %s) AS b UNION ALL "
		"SELECT min(coalesce(f.start_unix_ns, f.wall_unix_ns)), "
		"max(coalesce(f.start_unix_ns, f.wall_unix_ns)) FROM fatals f WHERE %s)",
		r->where_r, r->where_r, r->where_f);
	bool found = s && report_step(r, s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL;
	if (found) {
		*first = sqlite3_column_int64(s, 0);
		*last = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return found;
}

static int count_fatals(struct report *r, struct timeline *tl)
{
	sqlite3_stmt *s = report_prepare(r,
		"SELECT coalesce(f.start_unix_ns, f.wall_unix_ns), f.out_of_memory != 0 FROM fatals f "
		"WHERE %s", r->where_f);
	if (s == NULL)
		return -1;
	int rc;
	while ((rc = report_step(r, s)) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(s, 0);
		size_t k = (size_t)((t - tl->origin) / tl->width);
		if (t < tl->origin || k >= tl->n_buckets)
			continue;
		tl->b[k].fatals++;
		tl->b[k].ooms += sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int scan_requests(struct report *r, struct timeline *tl, struct groups *g)
{
	/* A large selection (or none) in the order of the start index, checked
	 * against temp.sel on the index entry; a small one sorted. */
	bool by_index = !r->filtered || !r->sel_small;
	sqlite3_stmt *s = report_prepare(r,
		"SELECT r.start_unix_ns, r.wall_ns, r.mem_peak_bytes, %s, %s FROM requests r%s "
		"WHERE %s AND r.start_unix_ns IS NOT NULL ORDER BY r.start_unix_ns",
		r->failed_r, r->ep, by_index ? " INDEXED BY requests_start" : "", r->where_r);
	if (report_groups_scan(r, s, g, 4, fold_request, tl))
		return -1;
	return close_bucket(tl);
}

/* ---- output -------------------------------------------------------------------- */

static const struct report_col head_cols[] = {
	{"requests", "", 0, .kind = REPORT_COL_INT, .before = "Timeline: ", .after = " requests"},
	{"fatals", "", 0, .kind = REPORT_COL_INT, .before = ", ", .after = " fatal errors"},
	{"bucket_count", "", 0, .kind = REPORT_COL_INT, .before = ", ", .after = " buckets of "},
	{"bucket", "", 0, .kind = REPORT_COL_STR, .before = ""},
	{"bucket_ns", NULL, 0, .kind = REPORT_COL_NS},
	{"first_bucket_unix_ns", "", 0, .kind = REPORT_COL_TIME, .before = " from "},
	{"last_bucket_unix_ns", "", 0, .kind = REPORT_COL_TIME, .before = " to "},
};

static const struct report_table_spec head_spec = {REPORT_COLUMNS(head_cols)};

#define BAR_WIDTH 20

static const struct report_col bucket_cols[] = {
	{"start_unix_ns", "start", 20, .kind = REPORT_COL_TIME},
	{"requests", "requests", 8, .kind = REPORT_COL_INT},
	{"requests_per_s", "req/s", 8, .kind = REPORT_COL_NUM}, /* two decimals */
	{"errors", "errors", 6, .kind = REPORT_COL_INT},
	{"error_rate_percent", "err%", 6, .kind = REPORT_COL_PCT},
	{"fatals", "fatal", 5, .kind = REPORT_COL_INT},
	{"out_of_memory", "oom", 4, .kind = REPORT_COL_INT},
	{"p50_ns", "p50", 9, .kind = REPORT_COL_NS},
	{"p95_ns", "p95", 9, .kind = REPORT_COL_NS},
	{"p99_ns", "p99", 9, .kind = REPORT_COL_NS},
	{"mem_peak_max_bytes", "peak max", 10, .kind = REPORT_COL_BYTES},
	{NULL, "", 0, .kind = REPORT_COL_STR},
};

static const struct report_table_spec bucket_spec = {
	.key = "buckets",
	.title = "Requests by time (bar: requests)",
	.empty = "  no requests match",
	REPORT_COLUMNS(bucket_cols),
};

static const struct report_col ep_cols[] = {
	{"endpoint", "endpoint", 40, .kind = REPORT_COL_EP, .flags = REPORT_COL_CLIP},
	{"requests_total", "requests", 8, .kind = REPORT_COL_INT},
	{NULL, "", 0, .kind = REPORT_COL_STR, .before = "  "},
	{NULL, "", 0, .kind = REPORT_COL_STR, .before = "  p95 "},
};

static const struct report_table_spec ep_spec = {
	.key = "endpoints",
	.title = "Endpoints over time (by request count)",
	.caption = "  per bucket, oldest first: requests, then p95 wall time (a space: no request)",
	.lazy = true,
	.more = "endpoints",
	REPORT_COLUMNS(ep_cols),
};

static void print_buckets(struct report *r, const struct timeline *tl)
{
	int64_t most = 0;
	for (size_t k = 0; k < tl->n_buckets; k++)
		if (tl->b[k].requests > most)
			most = tl->b[k].requests;
	struct report_table t;
	report_table_begin(&t, r, &bucket_spec, NULL);
	char bar[BAR_WIDTH + 1];
	for (size_t k = 0; k < tl->n_buckets; k++) {
		const struct bucket *b = &tl->b[k];
		report_fmt_bar(bar, BAR_WIDTH, b->requests, most);
		report_table_row(&t, (const struct report_cell[]){
			{.i = tl->origin + (int64_t)k * tl->width}, {.i = b->requests},
			{.d = round((double)b->requests * 1e11 / (double)tl->width) / 100}, {.i = b->errors},
			{.d = b->requests ? 100.0 * (double)b->errors / (double)b->requests : 0},
			{.i = b->fatals}, {.i = b->ooms}, {.i = b->p50}, {.i = b->p95}, {.i = b->p99},
			{.i = b->peak_max}, {.s = bar},
		});
	}
	report_table_end(&t, 0);
}

static int cmp_series(const void *a, const void *b)
{
	const struct ep_series *x = a, *y = b;
	if (x->gr->n != y->gr->n)
		return x->gr->n < y->gr->n ? 1 : -1;
	return strcmp(x->gr->key, y->gr->key);
}

static json_object *json_array_of(const int64_t *v, size_t n)
{
	json_object *a = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, report_json_int(v[i]));
	return a;
}

static int print_endpoints(struct report *r, struct timeline *tl)
{
	if (tl->n_series > 0)
		qsort(tl->series, tl->n_series, sizeof *tl->series, cmp_series);
	size_t shown = tl->n_series < (size_t)r->o->limit ? tl->n_series : (size_t)r->o->limit;
	size_t nb = tl->n_buckets;
	int64_t *requests = calloc(nb ? nb : 1, sizeof *requests);
	int64_t *p95 = calloc(nb ? nb : 1, sizeof *p95);
	char *spark_n = malloc(3 * nb + 1), *spark_p = malloc(3 * nb + 1);
	int rc = requests && p95 && spark_n && spark_p ? 0 : -1;
	struct report_table t;
	report_table_begin(&t, r, &ep_spec, NULL);
	for (size_t i = 0; rc == 0 && i < shown; i++) {
		const struct ep_series *es = &tl->series[i];
		memset(requests, 0, nb * sizeof *requests);
		memset(p95, 0, nb * sizeof *p95);
		for (size_t k = 0; k < es->n; k++) {
			requests[es->v[k].bucket] = es->v[k].requests;
			p95[es->v[k].bucket] = es->v[k].p95;
		}
		report_fmt_sparkline(spark_n, requests, nb);
		report_fmt_sparkline(spark_p, p95, nb);
		json_object *row = report_table_row(&t, (const struct report_cell[]){
			{.s = es->gr->key}, {.i = es->gr->n}, {.s = spark_n}, {.s = spark_p},
		});
		if (row) {
			report_json_add(row, "requests", json_array_of(requests, nb));
			report_json_add(row, "p95_ns", json_array_of(p95, nb));
		}
	}
	report_table_end(&t, tl->n_series - shown);
	free(requests);
	free(p95);
	free(spark_n);
	free(spark_p);
	return rc;
}

/* ---- the command ------------------------------------------------------------------- */

/* Sets the buckets from the time span; REPORT_USAGE when --bucket makes too many. */
static int plan_buckets(struct report *r, struct timeline *tl)
{
	int64_t first = 0, last = 0;
	bool any = time_span(r, &first, &last);
	tl->width = r->o->bucket_ns ? r->o->bucket_ns : report_bucket_auto(last - first);
	if (!any)
		return REPORT_OK;
	tl->origin = report_bucket_floor(first, tl->width);
	int64_t n = (last - tl->origin) / tl->width + 1;
	if (n > REPORT_TIMELINE_MAX) {
		char w[32];
		fprintf(stderr, "bvapm-report: --bucket %s makes %lld buckets over the selection "
		        "(at most %d): a wider bucket, or --since\n",
		        report_bucket_label(tl->width, w, sizeof w), (long long)n, REPORT_TIMELINE_MAX);
		return REPORT_USAGE;
	}
	tl->n_buckets = (size_t)n;
	tl->b = calloc(tl->n_buckets, sizeof *tl->b);
	return tl->b ? REPORT_OK : REPORT_ERROR;
}

int report_cmd_timeline(struct report *r)
{
	struct timeline tl;
	memset(&tl, 0, sizeof tl);
	struct groups *g = report_groups_new();
	int rc = g ? plan_buckets(r, &tl) : REPORT_ERROR;
	if (rc == REPORT_OK && tl.n_buckets > 0 &&
	    (count_fatals(r, &tl) || scan_requests(r, &tl, g)))
		rc = REPORT_ERROR;
	if (rc == REPORT_OK) {
		int64_t requests = 0, fatals = 0;
		for (size_t k = 0; k < tl.n_buckets; k++) {
			requests += tl.b[k].requests;
			fatals += tl.b[k].fatals;
		}
		char label[32];
		int64_t last = tl.n_buckets ? tl.origin + (int64_t)(tl.n_buckets - 1) * tl.width : 0;
		report_record(r, &head_spec, NULL, (const struct report_cell[]){
			{.i = requests}, {.i = fatals}, {.i = (int64_t)tl.n_buckets},
			{.s = report_bucket_label(tl.width, label, sizeof label)}, {.i = tl.width},
			{.i = tl.origin}, {.i = last},
		});
		print_buckets(r, &tl);
		rc = print_endpoints(r, &tl) ? REPORT_ERROR : REPORT_OK;
	}
	for (size_t i = 0; i < tl.n_series; i++)
		free(tl.series[i].v);
	free(tl.series);
	free(tl.touched);
	free(tl.walls);
	free(tl.b);
	report_groups_free(g);
	return rc;
}
