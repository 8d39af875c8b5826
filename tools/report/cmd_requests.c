/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_requests.c — `bvapm-report requests`: the selected requests one by
 * one, the --limit first by --sort (wall, cpu, peak, sql: the largest
 * first; time: the newest first; ties: the later request first), each with
 * its start, endpoint, method, status, wall and CPU time, peak memory, SQL
 * statements executed, errors and trace id; and two histograms of the
 * whole selection: wall time in 1-2-5 steps, peak memory in powers of two
 * (log_buckets.h).
 *
 * DESIGN. One pass over the selection reads four integers a request: the
 * sort key and id go into a heap of --limit entries whose root is the
 * weakest kept (a request better than it replaces it), wall and peak into
 * the two fixed histograms. Memory is the heap and the histograms, whatever
 * the selection's size. The kept requests' columns are then read by id,
 * --limit lookups, their errors through errors (request_id).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_buckets.h"
#include "report.h"
#include "report_table.h"

struct ranked {
	int64_t key, id;
};

/* A min-heap of the best requests so far: v[0] is the weakest kept. */
struct top {
	struct ranked *v;
	size_t n, cap;
};

static bool better(struct ranked a, struct ranked b)
{
	return a.key != b.key ? a.key > b.key : a.id > b.id;
}

static void sift_down(struct top *t, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, least = i;
		if (l < t->n && better(t->v[least], t->v[l]))
			least = l;
		if (r < t->n && better(t->v[least], t->v[r]))
			least = r;
		if (least == i)
			return;
		struct ranked x = t->v[i];
		t->v[i] = t->v[least];
		t->v[least] = x;
		i = least;
	}
}

static void top_offer(struct top *t, struct ranked c)
{
	if (t->n < t->cap) {
		size_t i = t->n++;
		t->v[i] = c;
		while (i > 0 && better(t->v[(i - 1) / 2], t->v[i])) {
			struct ranked x = t->v[i];
			t->v[i] = t->v[(i - 1) / 2];
			t->v[(i - 1) / 2] = x;
			i = (i - 1) / 2;
		}
	} else if (t->cap > 0 && better(c, t->v[0])) {
		t->v[0] = c;
		sift_down(t, 0);
	}
}

static int cmp_best_first(const void *a, const void *b)
{
	struct ranked x = *(const struct ranked *)a, y = *(const struct ranked *)b;
	return better(x, y) ? -1 : better(y, x) ? 1 : 0;
}

/* The SQL of each --sort key (enum report_sort order). */
static const char *const sort_keys[] = {
	[REPORT_SORT_WALL] = "r.wall_ns",
	[REPORT_SORT_CPU] = "coalesce(r.cpu_user_us, 0) + coalesce(r.cpu_sys_us, 0)",
	[REPORT_SORT_PEAK] = "r.mem_peak_bytes",
	[REPORT_SORT_TIME] = "r.start_unix_ns",
	[REPORT_SORT_SQL] = "r.sql_total_count",
};
const char *const report_sort_names[REPORT_SORT__COUNT] = {
	[REPORT_SORT_WALL] = "wall", [REPORT_SORT_CPU] = "cpu", [REPORT_SORT_PEAK] = "peak",
	[REPORT_SORT_TIME] = "time", [REPORT_SORT_SQL] = "sql",
};

/* The one pass: the heap and both histograms. */
static int scan(struct report *r, struct top *t, struct report_log_hist *wall,
                struct report_log_hist *peak)
{
	sqlite3_stmt *s = report_prepare(r,
		"SELECT r.id, coalesce(%s, 0), coalesce(r.wall_ns, 0), coalesce(r.mem_peak_bytes, 0) "
		"FROM requests r WHERE %s", sort_keys[r->o->sort], r->where_r);
	if (s == NULL)
		return -1;
	int rc;
	while ((rc = report_step(r, s)) == SQLITE_ROW) {
		top_offer(t, (struct ranked){sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 0)});
		report_log_hist_add(wall, sqlite3_column_int64(s, 2));
		report_log_hist_add(peak, sqlite3_column_int64(s, 3));
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- output -------------------------------------------------------------------- */

static const struct report_col head_cols[] = {
	{"request_count", "", 0, .kind = REPORT_COL_INT, .before = "Requests: "},
	{"sort", "", 0, .kind = REPORT_COL_STR, .before = ", by ",
	 .after = " (the largest first; time: the newest first)"},
};

static const struct report_table_spec head_spec = {REPORT_COLUMNS(head_cols)};

static const struct report_col request_cols[] = {
	{"request_id", "id", 9, .kind = REPORT_COL_INT},
	{"start_unix_ns", "start", 20, .kind = REPORT_COL_TIME},
	{"endpoint", "endpoint", 32, .kind = REPORT_COL_EP, .flags = REPORT_COL_CLIP},
	{"uri", NULL, 0, .kind = REPORT_COL_STR},
	{"kind", NULL, 0, .kind = REPORT_COL_STR}, /* "request" or "job" */
	{"method", "method", 6, .kind = REPORT_COL_STR},
	{"status", "status", 6, .kind = REPORT_COL_INT},
	{"wall_ns", "wall", 9, .kind = REPORT_COL_NS},
	{"cpu_ns", "cpu", 9, .kind = REPORT_COL_NS},
	{"mem_peak_bytes", "peak", 10, .kind = REPORT_COL_BYTES},
	{"sql_count", "sql", 6, .kind = REPORT_COL_INT},
	{"error_count", "errors", 6, .kind = REPORT_COL_INT},
	{"trace_id", "trace", 0, .kind = REPORT_COL_STR, .before = "  ", .if_empty = "-"},
};

static const struct report_table_spec request_spec = {
	.key = "requests",
	.title = "Requests",
	.empty = "  no requests match",
	.more = "requests",
	REPORT_COLUMNS(request_cols),
};

/* The kept requests, best first, read by id. */
static int print_requests(struct report *r, struct top *t, int64_t selected)
{
	if (t->n > 0)
		qsort(t->v, t->n, sizeof *t->v, cmp_best_first);
	sqlite3_stmt *s = report_prepare(r,
		"SELECT r.start_unix_ns, %s, r.uri, %s, r.method, r.status, r.wall_ns, "
		"(coalesce(r.cpu_user_us, 0) + coalesce(r.cpu_sys_us, 0)) * 1000, r.mem_peak_bytes, "
		"coalesce(r.sql_total_count, 0), "
		"(SELECT coalesce(sum(e.count), 0) FROM errors e WHERE e.request_id = r.id), r.trace_id "
		"FROM requests r WHERE r.id = ?1", r->ep, r->job_r);
	if (s == NULL)
		return -1;
	struct report_table tab;
	report_table_begin(&tab, r, &request_spec, NULL);
	int rc = SQLITE_ROW;
	for (size_t i = 0; i < t->n && rc == SQLITE_ROW; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, t->v[i].id);
		if ((rc = report_step(r, s)) != SQLITE_ROW)
			break;
		report_table_row(&tab, (const struct report_cell[]){
			{.i = t->v[i].id}, {.i = sqlite3_column_int64(s, 0)}, {.s = report_col_text(s, 1)},
			{.s = report_col_text(s, 2)},
			{.s = sqlite3_column_int(s, 3) ? "job" : "request"}, {.s = report_col_text(s, 4)},
			{.i = sqlite3_column_int64(s, 5)}, {.i = sqlite3_column_int64(s, 6)},
			{.i = sqlite3_column_int64(s, 7)}, {.i = sqlite3_column_int64(s, 8)},
			{.i = sqlite3_column_int64(s, 9)}, {.i = sqlite3_column_int64(s, 10)},
			{.s = report_col_text(s, 11)},
		});
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && t->n > 0)
		return -1;
	report_table_end(&tab, (size_t)selected - t->n);
	return 0;
}

#define BAR_WIDTH 40

/* "  10.0 ms .. 20.0 ms      4377 ( 21.7%) ####" */
static const struct report_col wall_hist_cols[] = {
	{"lo", "", 10, .kind = REPORT_COL_NS},
	{"hi", "", 10, .kind = REPORT_COL_NS, .flags = REPORT_COL_LEFT, .before = " .. "},
	{"count", "", 8, .kind = REPORT_COL_INT},
	{NULL, "", 6, .kind = REPORT_COL_PCT, .before = " (", .after = ")"},
	{NULL, "", 0, .kind = REPORT_COL_STR},
};

static const struct report_col peak_hist_cols[] = {
	{"lo", "", 10, .kind = REPORT_COL_BYTES},
	{"hi", "", 10, .kind = REPORT_COL_BYTES, .flags = REPORT_COL_LEFT, .before = " .. "},
	{"count", "", 8, .kind = REPORT_COL_INT},
	{NULL, "", 6, .kind = REPORT_COL_PCT, .before = " (", .after = ")"},
	{NULL, "", 0, .kind = REPORT_COL_STR},
};

static const struct report_table_spec wall_hist_spec = {
	.key = "wall_histogram",
	.title = "Wall time histogram (all selected requests; 1-2-5 steps, ns in JSON)",
	REPORT_COLUMNS(wall_hist_cols),
};

static const struct report_table_spec peak_hist_spec = {
	.key = "mem_peak_histogram",
	.title = "Peak memory histogram (all selected requests; powers of two, bytes in JSON)",
	REPORT_COLUMNS(peak_hist_cols),
};

/* Every bucket from the first to the last that counted a request. */
static void print_histogram(struct report *r, const struct report_table_spec *spec,
                            const struct report_log_hist *h)
{
	int first, last;
	struct report_table t;
	report_table_begin(&t, r, spec, NULL);
	if (!report_log_hist_range(h, &first, &last)) {
		report_table_end(&t, 0);
		return;
	}
	int64_t most = 0;
	for (int b = first; b <= last; b++)
		if (h->count[b] > most)
			most = h->count[b];
	char bar[BAR_WIDTH + 1];
	for (int b = first; b <= last; b++) {
		report_fmt_bar(bar, BAR_WIDTH, h->count[b], most);
		report_table_row(&t, (const struct report_cell[]){
			{.i = report_log_lo(h->scale, b)}, {.i = report_log_hi(h->scale, b)},
			{.i = h->count[b]}, {.d = 100.0 * (double)h->count[b] / (double)h->total},
			{.s = bar},
		});
	}
	report_table_end(&t, 0);
}

int report_cmd_requests(struct report *r)
{
	struct top t = {calloc((size_t)r->o->limit, sizeof(struct ranked)), 0, (size_t)r->o->limit};
	struct report_log_hist wall = {.scale = REPORT_LOG_125}, peak = {.scale = REPORT_LOG_POW2};
	int rc = REPORT_ERROR;
	if (t.v == NULL || scan(r, &t, &wall, &peak))
		goto out;
	report_record(r, &head_spec, NULL, (const struct report_cell[]){
		{.i = wall.total}, {.s = report_sort_names[r->o->sort]},
	});
	if (print_requests(r, &t, wall.total))
		goto out;
	print_histogram(r, &wall_hist_spec, &wall);
	print_histogram(r, &peak_hist_spec, &peak);
	rc = REPORT_OK;
out:
	free(t.v);
	return rc;
}
