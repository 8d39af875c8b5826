/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_memory.c — `bvapm-report memory`: where memory grows.
 *  - checkpoint pairs: for each endpoint and consecutive pair of checkpoints
 *    (previous label → label; "(start)" before the first), how often, the
 *    average and the largest jump (mem_delta_bytes), and the request that
 *    had the largest, ordered by the largest jump (grouped in memory,
 *    groups.h: one pass, no sort of every checkpoint);
 *  - the largest single jumps, with their request;
 *  - peak memory distribution: per endpoint p50/p90/p99/max, and a histogram
 *    over all selected requests in power-of-two buckets;
 *  - memory after each job, per long-running worker with 2 jobs or more
 *    (jobs.h): its most frequent job, the memory after its first and its
 *    last job, the growth per job (least-squares slope) and whether it is a
 *    steady growth, ordered by growth.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints.h"
#include "groups.h"
#include "jobs.h"
#include "log_buckets.h"
#include "report.h"
#include "report_table.h"

#define SEP '\x1f' /* between endpoint, previous label and label in a group key */

struct jump {
	int64_t rid, delta;
	char *key; /* ep SEP prev SEP label */
};

/* Keeps the `limit` largest jumps (delta descending, then request id). */
struct top {
	struct jump *v;
	size_t n, limit;
};

static bool before(int64_t d1, int64_t r1, int64_t d2, int64_t r2)
{
	return d1 > d2 || (d1 == d2 && r1 < r2);
}

static int top_add(struct top *t, int64_t rid, int64_t delta, const char *key, size_t len)
{
	if (t->n == t->limit && !before(delta, rid, t->v[t->n - 1].delta, t->v[t->n - 1].rid))
		return 0;
	char *copy = strndup(key, len);
	if (copy == NULL)
		return -1;
	size_t at = t->n < t->limit ? t->n : t->limit - 1;
	if (t->n == t->limit)
		free(t->v[at].key);
	else
		t->n++;
	while (at > 0 && before(delta, rid, t->v[at - 1].delta, t->v[at - 1].rid)) {
		t->v[at] = t->v[at - 1];
		at--;
	}
	t->v[at] = (struct jump){rid, delta, copy};
	return 0;
}

/* Splits a group key into its three parts (in a copy). */
static void split_key(const char *key, char *buf, size_t len, const char **ep, const char **prev,
                      const char **label)
{
	snprintf(buf, len, "%s", key);
	*ep = buf;
	char *a = strchr(buf, SEP), *b = a ? strchr(a + 1, SEP) : NULL;
	*prev = *label = "";
	if (a && b) {
		*a = *b = '\0';
		*prev = a + 1;
		*label = b + 1;
	}
}

/* Text shows "from → to" in one column, JSON the two labels. */
static const struct report_col pair_cols[] = {
	{"endpoint", "endpoint", 32, .kind = REPORT_COL_EP, .flags = REPORT_COL_CLIP},
	{NULL, "checkpoints (from → to)", 46, .kind = REPORT_COL_STR, .flags = REPORT_COL_CLIP},
	{"from", NULL, 0, .kind = REPORT_COL_STR},
	{"to", NULL, 0, .kind = REPORT_COL_STR},
	{"count", "count", 7, .kind = REPORT_COL_INT},
	{"avg_jump_bytes", "avg jump", 11, .kind = REPORT_COL_BYTES},
	{"max_jump_bytes", "max jump", 11, .kind = REPORT_COL_BYTES},
	{"max_request_id", "request", 9, .kind = REPORT_COL_INT},
};

static const struct report_table_spec pair_spec = {
	.key = "checkpoint_pairs",
	.title = "Largest checkpoint jumps by endpoint and checkpoint pair",
	.empty = "  no checkpoints recorded (bvapm_checkpoint() in the application adds them)",
	REPORT_COLUMNS(pair_cols),
};

/* group i[0] sum of jumps, i[1] largest, i[2] its request */
static int print_pairs(struct report *r, struct groups *g)
{
	size_t n = 0;
	struct group **all = report_groups_sorted(g, report_group_cmp_i1_desc, &n);
	if (all == NULL)
		return -1;
	struct report_table t;
	report_table_begin(&t, r, &pair_spec, NULL);
	char buf[1024], pair[1100];
	for (size_t k = 0; k < n && k < (size_t)r->o->limit; k++) {
		const struct group *gr = all[k];
		const char *ep, *prev, *label;
		split_key(gr->key, buf, sizeof buf, &ep, &prev, &label);
		snprintf(pair, sizeof pair, "%s → %s", prev, label);
		report_table_row(&t, (const struct report_cell[]){
			{.s = ep}, {.s = pair}, {.s = prev}, {.s = label}, {.i = gr->n},
			{.i = gr->i[0] / gr->n}, {.i = gr->i[1]}, {.i = gr->i[2]},
		});
	}
	report_table_end(&t, 0);
	free(all);
	return 0;
}

static const struct report_col jump_cols[] = {
	{"request_id", "request", 9, .kind = REPORT_COL_INT, .pos = 1},
	{"endpoint", NULL, 0, .kind = REPORT_COL_EP},
	{"from", NULL, 0, .kind = REPORT_COL_STR},
	{"to", NULL, 0, .kind = REPORT_COL_STR},
	{NULL, "checkpoints (from → to)", 46, .kind = REPORT_COL_STR, .flags = REPORT_COL_CLIP,
	 .pos = 4},
	{"jump_bytes", "jump", 11, .kind = REPORT_COL_BYTES, .pos = 5},
	{"start_unix_ns", "started", 20, .kind = REPORT_COL_TIME, .pos = 2},
	{"uri", "uri", 26, .kind = REPORT_COL_STR, .flags = REPORT_COL_CLIP, .pos = 3},
	{"mem_peak_bytes", "peak", 11, .kind = REPORT_COL_BYTES, .pos = 6},
};

static const struct report_table_spec jump_spec = {
	.key = "largest_jumps",
	.title = "Largest single jumps",
	REPORT_COLUMNS(jump_cols),
};

static int print_top(struct report *r, const struct top *t)
{
	struct report_table tab;
	report_table_begin(&tab, r, &jump_spec, NULL);
	char buf[1024], pair[1100];
	for (size_t k = 0; k < t->n; k++) {
		const struct jump *j = &t->v[k];
		sqlite3_stmt *s = report_prepare(r, "SELECT start_unix_ns, uri, mem_peak_bytes FROM "
		                                    "requests WHERE id = %lld", (long long)j->rid);
		if (s == NULL || report_step(r, s) != SQLITE_ROW) {
			sqlite3_finalize(s);
			return -1;
		}
		const char *ep, *prev, *label;
		split_key(j->key, buf, sizeof buf, &ep, &prev, &label);
		snprintf(pair, sizeof pair, "%s → %s", prev, label);
		report_table_row(&tab, (const struct report_cell[]){
			{.i = j->rid}, {.s = ep}, {.s = prev}, {.s = label}, {.s = pair},
			{.i = j->delta},
			{.i = sqlite3_column_int64(s, 0)}, {.s = report_col_text(s, 1)},
			{.i = sqlite3_column_int64(s, 2)},
		});
		sqlite3_finalize(s);
	}
	report_table_end(&tab, 0);
	return 0;
}

/* One pass over the checkpoints of the selection (rowid order, or request
 * by request through the index for a small selection): pairs grouped in
 * memory, the largest single jumps kept aside. The drainer writes a
 * request's checkpoints together and in order, so the previous checkpoint
 * is the previous row; when it is not, one indexed lookup finds it. */
static int jumps(struct report *r)
{
	struct ep_map m;
	memset(&m, 0, sizeof m);
	char *from = report_child_from(r, "checkpoints", "c", false, "");
	sqlite3_stmt *s = NULL, *prev_q = NULL;
	int bad = report_ep_map_load(r, &m) != 0 || from == NULL;
	if (!bad) {
		s = report_prepare(r, "SELECT c.request_id, c.idx, c.label, c.mem_delta_bytes %s", from);
		prev_q = report_prepare(r, "SELECT label FROM checkpoints WHERE request_id = ?1 AND "
		                           "idx = ?2 LIMIT 1");
		bad = s == NULL || prev_q == NULL;
	}
	sqlite3_free(from);
	struct groups *g = report_groups_new();
	struct top t = {calloc((size_t)r->o->limit, sizeof(struct jump)), 0, (size_t)r->o->limit};
	int rc = SQLITE_ERROR;
	bad |= g == NULL || t.v == NULL;
	struct report_key key = {NULL, 0, 0};
	char prev[256] = "";
	int64_t prev_rid = -1, prev_idx = -1;
	while (!bad && (rc = report_step(r, s)) == SQLITE_ROW) {
		int64_t rid = sqlite3_column_int64(s, 0), idx = sqlite3_column_int64(s, 1);
		const char *label = report_col_text(s, 2);
		size_t l2 = (size_t)sqlite3_column_bytes(s, 2);
		int64_t delta = sqlite3_column_int64(s, 3);
		const char *from_label = "(start)";
		char found[256];
		if (idx > 0 && rid == prev_rid && idx == prev_idx + 1) {
			from_label = prev;
		} else if (idx > 0) {
			sqlite3_bind_int64(prev_q, 1, rid);
			sqlite3_bind_int64(prev_q, 2, idx - 1);
			snprintf(found, sizeof found, "%s",
			         sqlite3_step(prev_q) == SQLITE_ROW ? report_col_text(prev_q, 0) : "?");
			sqlite3_reset(prev_q);
			from_label = found;
		}
		const char *ep = report_ep_map_get(&m, rid);
		if (ep != NULL) {
			const char *part[] = {ep, from_label, label};
			const size_t len[] = {strlen(ep), strlen(from_label), l2};
			struct group *gr = report_key_join(&key, SEP, 3, part, len) ? NULL
			                   : report_groups_get(g, key.s, key.len);
			if (gr == NULL) {
				bad = 1;
				break;
			}
			if (gr->n == 0 || before(delta, rid, gr->i[1], gr->i[2])) {
				gr->i[1] = delta;
				gr->i[2] = rid;
			}
			gr->n++;
			gr->i[0] += delta;
			bad |= top_add(&t, rid, delta, key.s, key.len);
		}
		snprintf(prev, sizeof prev, "%s", label); /* labels are at most 200 bytes */
		prev_rid = rid;
		prev_idx = idx;
	}
	sqlite3_finalize(s);
	sqlite3_finalize(prev_q);
	free(key.s);
	bad |= rc != SQLITE_DONE;
	if (!bad)
		bad |= print_pairs(r, g) || print_top(r, &t);
	for (size_t k = 0; k < t.n; k++)
		free(t.v[k].key);
	free(t.v);
	report_groups_free(g);
	report_ep_map_free(&m);
	return bad ? -1 : 0;
}

/* ---- peak distribution ---------------------------------------------------------- */


static const struct report_col peak_cols[] = {
	{"endpoint", "endpoint", 40, .kind = REPORT_COL_EP, .flags = REPORT_COL_CLIP},
	{"requests", "requests", 8, .kind = REPORT_COL_INT},
	{"p50_bytes", "p50", 10, .kind = REPORT_COL_BYTES},
	{"p90_bytes", "p90", 10, .kind = REPORT_COL_BYTES},
	{"p99_bytes", "p99", 10, .kind = REPORT_COL_BYTES},
	{"max_bytes", "max", 10, .kind = REPORT_COL_BYTES},
};

static const struct report_table_spec peak_spec = {
	.key = "peak_by_endpoint",
	.title = "Peak memory distribution by endpoint",
	.more = "endpoints",
	REPORT_COLUMNS(peak_cols),
};

/* One power-of-two bucket: "  16.0 MiB .. 32.0 MiB   4377 ( 21.7%) ####". */
static const struct report_col bucket_cols[] = {
	{"from_bytes", "", 10, .kind = REPORT_COL_BYTES},
	{"to_bytes", "", 10, .kind = REPORT_COL_BYTES, .flags = REPORT_COL_LEFT, .before = " .. "},
	{"requests", "", 8, .kind = REPORT_COL_INT},
	{NULL, "", 6, .kind = REPORT_COL_PCT, .before = " (", .after = ")"},
	{NULL, "", 0, .kind = REPORT_COL_STR},
};

static const struct report_table_spec bucket_spec = {
	.key = "peak_histogram",
	.title = "Peak memory histogram (all selected requests)",
	REPORT_COLUMNS(bucket_cols),
};

#define BAR_WIDTH 50

/* row: endpoint, peak; group: the peaks in values */
static int fold_peak(struct group *gr, sqlite3_stmt *s, void *ctx)
{
	int64_t m = sqlite3_column_int64(s, 1);
	if (report_group_push(gr, m))
		return -1;
	report_log_hist_add(ctx, m);
	return 0;
}

static int distribution(struct report *r)
{
	sqlite3_stmt *s = report_prepare(r, "SELECT %s, r.mem_peak_bytes FROM requests r WHERE %s",
	                                 r->ep, r->where_r);
	struct groups *g = report_groups_new();
	struct report_log_hist h = {.scale = REPORT_LOG_POW2};
	size_t n = 0;
	struct group **all = report_groups_scan(r, s, g, 0, fold_peak, &h)
	                     ? NULL : report_groups_sorted(g, report_group_cmp_key, &n);
	if (all == NULL) {
		report_groups_free(g);
		return -1;
	}
	struct report_table t;
	report_table_begin(&t, r, &peak_spec, NULL);
	for (size_t k = 0; k < n && k < (size_t)r->o->limit; k++) {
		struct group *gr = all[k];
		report_group_sort_values(gr);
		const int64_t *v = gr->values;
		size_t nv = gr->n_values;
		report_table_row(&t, (const struct report_cell[]){
			{.s = gr->key}, {.i = (int64_t)nv}, {.i = report_percentile(v, nv, 50)},
			{.i = report_percentile(v, nv, 90)}, {.i = report_percentile(v, nv, 99)},
			{.i = v[nv - 1]},
		});
	}
	report_table_end(&t, n > (size_t)r->o->limit ? n - (size_t)r->o->limit : 0);
	free(all);
	report_groups_free(g);

	int64_t most = 0;
	for (int b = 0; b < REPORT_LOG_BUCKETS; b++)
		if (h.count[b] > most)
			most = h.count[b];
	report_table_begin(&t, r, &bucket_spec, NULL);
	char bar[BAR_WIDTH + 1];
	for (int b = 0; b < REPORT_LOG_BUCKETS; b++) {
		if (h.count[b] == 0)
			continue;
		report_fmt_bar(bar, BAR_WIDTH, h.count[b], most);
		report_table_row(&t, (const struct report_cell[]){
			{.i = report_log_lo(REPORT_LOG_POW2, b)}, {.i = report_log_hi(REPORT_LOG_POW2, b)},
			{.i = h.count[b]}, {.d = 100.0 * (double)h.count[b] / (double)h.total}, {.s = bar},
		});
	}
	report_table_end(&t, 0);
	return 0;
}

/* ---- memory after each job --------------------------------------------------------- */

static const struct report_col worker_cols[] = {
	{"host", "host", 16, .kind = REPORT_COL_STR, .flags = REPORT_COL_CLIP},
	{"pid", "pid", 7, .kind = REPORT_COL_INT},
	{"producer_start_unix_ns", NULL, 0, .kind = REPORT_COL_TIME},
	{"job", "job", 20, .kind = REPORT_COL_STR, .flags = REPORT_COL_CLIP},
	{"jobs", "jobs", 7, .kind = REPORT_COL_INT},
	{"mem_after_first_bytes", "first", 10, .kind = REPORT_COL_BYTES},
	{"mem_after_last_bytes", "last", 10, .kind = REPORT_COL_BYTES},
	{"growth_per_job_bytes", "per job", 11, .kind = REPORT_COL_DELTA},
	{"fit_r2", "fit", 5, .kind = REPORT_COL_NUM},
	{"verdict", "", 0, .kind = REPORT_COL_STR, .flags = REPORT_COL_SKIP_EMPTY, .before = "  "},
};

static const struct report_table_spec worker_spec = {
	.key = "job_workers",
	.title = "Memory after each job, per worker (workers with 2 jobs or more, by growth per job)",
	.caption = "  first / last: memory in use after the worker's first and last job; per job: the "
	           "least-squares slope over the jobs in order; fit: its r²\n"
	           "  steady growth: " REPORT_JOB_GROWTH_RULE
	           " (a leak: the worker keeps something from every job)",
	.lazy = true,
	.more = "workers",
	REPORT_COLUMNS(worker_cols),
};

static int job_workers(struct report *r)
{
	struct job_workers w;
	memset(&w, 0, sizeof w);
	if (report_job_workers_load(r, &w) != 0) {
		report_job_workers_free(&w);
		return -1;
	}
	struct report_table t;
	report_table_begin(&t, r, &worker_spec, NULL);
	size_t shown = w.n < (size_t)r->o->limit ? w.n : (size_t)r->o->limit;
	for (size_t k = 0; k < shown; k++) {
		const struct job_worker *x = &w.v[k];
		report_table_row(&t, (const struct report_cell[]){
			{.s = x->host}, {.i = x->pid}, {.i = x->producer_start_unix_ns}, {.s = x->job},
			{.i = x->jobs}, {.i = x->mem_first}, {.i = x->mem_last},
			{.i = (int64_t)llround(x->slope)}, {.d = round(x->r2 * 100) / 100},
			{.s = x->steady_growth ? "steady growth" : ""},
		});
	}
	report_table_end(&t, w.n - shown);
	report_job_workers_free(&w);
	return 0;
}

int report_cmd_memory(struct report *r)
{
	if (jumps(r) || distribution(r) || job_workers(r))
		return REPORT_ERROR;
	return REPORT_OK;
}
