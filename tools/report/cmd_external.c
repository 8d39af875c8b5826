/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_external.c — `bvapm-report external`: the services a request waits
 * for. From the outbound calls each request recorded, aggregated per
 * target and name (table external: HTTP calls and Redis/Memcached
 * commands, every call counted whether or not it was kept as a span):
 *  - targets by total time: each (kind, target) over the selection —
 *    requests that called it, calls, total and slowest call, failures;
 *  - calls by endpoint: each (endpoint, kind, target, name) — requests,
 *    calls per request (average and most), total time, p95 of the time a
 *    request spent on it, the slowest call, error rate, and whether the
 *    agent flagged it repeated (count at the N+1 threshold: a call in a
 *    loop, e.g. a Redis GET per item instead of one MGET).
 * Both ordered by total time, at most --limit rows.
 *
 * Like `sql`: one pass over the selection maps request ids to endpoints,
 * then one scan of the external rows of the selection (report_child_from),
 * grouped in memory (groups.h); only the few groups are sorted. A store
 * before schema 4 has no external table: the command says so and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints.h"
#include "groups.h"
#include "report.h"
#include "report_table.h"

#define SEP '\x1f' /* between the parts of a group key */

/* ---- the tables ------------------------------------------------------------------ */

static const struct report_col target_cols[] = {
	{"kind", "kind", 5, .kind = REPORT_COL_STR, .before = "  ", .pos = 1},
	{"target", "target", 0, .kind = REPORT_COL_STR, .before = "  ", .pos = 9},
	{"requests", "requests", 8, .kind = REPORT_COL_INT, .pos = 2},
	{"calls", "calls", 9, .kind = REPORT_COL_INT, .pos = 3},
	{"total_ns", "total", 10, .kind = REPORT_COL_NS, .pos = 4},
	{"avg_ns", "avg", 10, .kind = REPORT_COL_NS, .pos = 5},
	{"max_ns", "max", 10, .kind = REPORT_COL_NS, .pos = 6},
	{"errors", "errors", 7, .kind = REPORT_COL_INT, .pos = 7},
	{"error_rate_percent", "err%", 6, .kind = REPORT_COL_PCT, .pos = 8},
};

static const struct report_table_spec target_spec = {
	.key = "targets",
	.title = "Outbound targets by total time",
	.empty = "  no outbound calls recorded for these requests",
	.more = "targets",
	REPORT_COLUMNS(target_cols),
};

static const struct report_col call_cols[] = {
	{"endpoint", "endpoint", 30, .kind = REPORT_COL_EP, .flags = REPORT_COL_CLIP, .pos = 1},
	{"kind", "kind", 5, .kind = REPORT_COL_STR, .pos = 2},
	{"target", "", 0, .kind = REPORT_COL_STR, .before = " on ", .pos = 12},
	{"name", "call", 0, .kind = REPORT_COL_STR, .before = "  ", .pos = 11},
	{"requests", "requests", 8, .kind = REPORT_COL_INT, .pos = 3},
	{"calls", NULL, 0, .kind = REPORT_COL_INT},
	{"calls_per_request", "calls/req", 9, .kind = REPORT_COL_DEC, .pos = 4},
	{"max_per_request", "max/req", 7, .kind = REPORT_COL_INT, .pos = 5},
	{"total_ns", "total", 10, .kind = REPORT_COL_NS, .pos = 6},
	{"p95_per_request_ns", "p95/req", 10, .kind = REPORT_COL_NS, .pos = 7},
	{"max_ns", "max call", 10, .kind = REPORT_COL_NS, .pos = 8},
	{"errors", NULL, 0, .kind = REPORT_COL_INT},
	{"error_rate_percent", "err%", 6, .kind = REPORT_COL_PCT, .pos = 9},
	{"repeated", "loop", 4, .kind = REPORT_COL_BOOL, .pos = 10},
	{"repeated_requests", NULL, 0, .kind = REPORT_COL_INT},
	{"bytes", NULL, 0, .kind = REPORT_COL_INT},
	{"keys", NULL, 0, .kind = REPORT_COL_INT},
};

static const struct report_table_spec call_spec = {
	.key = "by_endpoint",
	.title = "Outbound calls by endpoint (loop: the agent saw the same call repeated, as N+1)",
	.empty = "  no outbound calls recorded for these requests",
	.more = "calls",
	REPORT_COLUMNS(call_cols),
};

static const char *kind_name(int kind)
{
	return kind == 2 ? "http" : kind == 3 ? "cache" : kind == 1 ? "sql" : "call";
}

/* ---- grouping ---------------------------------------------------------------------- */

/* Columns of the scan (report_child_from over external, alias e). */
enum { X_REQ, X_KIND, X_TARGET, X_NAME, X_COUNT, X_TOTAL, X_MAX, X_ERRORS, X_BYTES, X_KEYS,
       X_REPEATED };

/* Per (kind, target): n requests, i[0] calls, i[1] total, i[2] max,
 * i[3] errors, i[4] the last request counted (rows of a request are
 * read together, so a request counts once). */
static void fold_target(struct group *gr, sqlite3_stmt *s)
{
	int64_t req = sqlite3_column_int64(s, X_REQ);
	if (gr->n == 0 || gr->i[4] != req)
		gr->n++;
	gr->i[4] = req;
	gr->i[0] += sqlite3_column_int64(s, X_COUNT);
	gr->i[1] += sqlite3_column_int64(s, X_TOTAL);
	if (sqlite3_column_int64(s, X_MAX) > gr->i[2])
		gr->i[2] = sqlite3_column_int64(s, X_MAX);
	gr->i[3] += sqlite3_column_int64(s, X_ERRORS);
}

/* Per (endpoint, kind, target, name), one row per request: n requests,
 * i[0] calls, i[1] most calls in a request, i[2] total, i[3] max,
 * i[4] errors, i[5] requests flagged repeated, d[0] bytes, d[1] keys,
 * values: each request's total (for the p95). */
static int fold_call(struct group *gr, sqlite3_stmt *s)
{
	int64_t count = sqlite3_column_int64(s, X_COUNT), total = sqlite3_column_int64(s, X_TOTAL);
	gr->n++;
	gr->i[0] += count;
	if (count > gr->i[1])
		gr->i[1] = count;
	gr->i[2] += total;
	if (sqlite3_column_int64(s, X_MAX) > gr->i[3])
		gr->i[3] = sqlite3_column_int64(s, X_MAX);
	gr->i[4] += sqlite3_column_int64(s, X_ERRORS);
	gr->i[5] += sqlite3_column_int64(s, X_REPEATED) != 0;
	gr->d[0] += (double)sqlite3_column_int64(s, X_BYTES);
	gr->d[1] += (double)sqlite3_column_int64(s, X_KEYS);
	return report_group_push(gr, total);
}

/* The scan, grouped twice: by target (over every selected request, with or
 * without an endpoint) and by endpoint and call. */
static int scan(struct report *r, const struct ep_map *m, struct groups *targets,
                struct groups *calls)
{
	char *from = report_child_from(r, "external", "e", false, "");
	sqlite3_stmt *s = from ? report_prepare(r, "SELECT e.request_id, e.kind, e.target, e.name, "
	                                           "e.count, e.total_ns, e.max_ns, e.errors, e.bytes, "
	                                           "e.keys, e.repeated %s", from)
	                       : NULL;
	sqlite3_free(from);
	if (s == NULL)
		return -1;
	struct report_key key = {NULL, 0, 0};
	int rc, bad = 0;
	while (!bad && (rc = report_step(r, s)) == SQLITE_ROW) {
		const char *ep = report_ep_map_get(m, sqlite3_column_int64(s, X_REQ));
		if (ep == NULL)
			continue;
		char kind[2] = {(char)('0' + (sqlite3_column_int(s, X_KIND) & 7)), '\0'};
		const char *part[] = {ep, kind, report_col_text(s, X_TARGET), report_col_text(s, X_NAME)};
		const size_t len[] = {strlen(ep), 1, (size_t)sqlite3_column_bytes(s, X_TARGET),
		                      (size_t)sqlite3_column_bytes(s, X_NAME)};
		/* by target: kind and target (parts 1..2) */
		struct group *g = report_key_join(&key, SEP, 2, part + 1, len + 1) ? NULL
		                  : report_groups_get(targets, key.s, key.len);
		if (g)
			fold_target(g, s);
		struct group *c = g == NULL || report_key_join(&key, SEP, 4, part, len) ? NULL
		                  : report_groups_get(calls, key.s, key.len);
		bad = c == NULL || fold_call(c, s);
	}
	free(key.s);
	sqlite3_finalize(s);
	return bad || rc != SQLITE_DONE ? -1 : 0;
}

/* The n-th part of a group key (n from 0) and its length. */
static const char *key_part(const struct group *g, int n, size_t *len)
{
	const char *p = g->key, *end = g->key + g->key_len;
	for (; n > 0 && p; n--) {
		p = memchr(p, SEP, (size_t)(end - p));
		p = p ? p + 1 : NULL;
	}
	if (p == NULL) {
		*len = 0;
		return "";
	}
	const char *q = memchr(p, SEP, (size_t)(end - p));
	*len = (size_t)((q ? q : end) - p);
	return p;
}

/* By total time, largest first; the key breaks ties. */
static int by_total(const void *a, const void *b, int slot)
{
	const struct group *x = *(struct group *const *)a, *y = *(struct group *const *)b;
	if (x->i[slot] != y->i[slot])
		return x->i[slot] < y->i[slot] ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int target_by_total(const void *a, const void *b) { return by_total(a, b, 1); }
static int call_by_total(const void *a, const void *b) { return by_total(a, b, 2); }

static double rate(int64_t part, int64_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0;
}

/* A part of a key as a NUL-terminated copy (the rows' strings). */
static char *part_dup(const struct group *g, int n)
{
	size_t len;
	const char *p = key_part(g, n, &len);
	char *s = malloc(len + 1);
	if (s) {
		memcpy(s, p, len);
		s[len] = '\0';
	}
	return s;
}

static int print_targets(struct report *r, struct groups *g)
{
	size_t n = 0;
	struct group **all = report_groups_sorted(g, target_by_total, &n);
	if (all == NULL)
		return -1;
	struct report_table t;
	report_table_begin(&t, r, &target_spec, NULL);
	int bad = 0;
	for (size_t k = 0; !bad && k < n && k < (size_t)r->o->limit; k++) {
		const struct group *x = all[k];
		char *kind = part_dup(x, 0), *target = part_dup(x, 1);
		bad = kind == NULL || target == NULL;
		if (!bad)
			report_table_row(&t, (const struct report_cell[]){
				{.s = kind_name(kind[0] - '0')}, {.s = target}, {.i = x->n}, {.i = x->i[0]},
				{.i = x->i[1]}, {.i = x->i[0] ? x->i[1] / x->i[0] : 0}, {.i = x->i[2]},
				{.i = x->i[3]}, {.d = rate(x->i[3], x->i[0])},
			});
		free(kind);
		free(target);
	}
	report_table_end(&t, n > (size_t)r->o->limit ? n - (size_t)r->o->limit : 0);
	free(all);
	return bad ? -1 : 0;
}

static int print_calls(struct report *r, struct groups *g)
{
	size_t n = 0;
	struct group **all = report_groups_sorted(g, call_by_total, &n);
	if (all == NULL)
		return -1;
	struct report_table t;
	report_table_begin(&t, r, &call_spec, NULL);
	int bad = 0;
	for (size_t k = 0; !bad && k < n && k < (size_t)r->o->limit; k++) {
		struct group *x = all[k];
		char *ep = part_dup(x, 0), *kind = part_dup(x, 1), *target = part_dup(x, 2),
		     *name = part_dup(x, 3);
		bad = !ep || !kind || !target || !name;
		report_group_sort_values(x);
		if (!bad)
			report_table_row(&t, (const struct report_cell[]){
				{.s = ep}, {.s = kind_name(kind[0] - '0')}, {.s = target}, {.s = name},
				{.i = x->n}, {.i = x->i[0]}, {.d = (double)x->i[0] / (double)x->n},
				{.i = x->i[1]}, {.i = x->i[2]},
				{.i = report_percentile(x->values, x->n_values, 95)}, {.i = x->i[3]},
				{.i = x->i[4]}, {.d = rate(x->i[4], x->i[0])}, {.i = x->i[5] > 0},
				{.i = x->i[5]}, {.i = (int64_t)x->d[0]}, {.i = (int64_t)x->d[1]},
			});
		free(ep);
		free(kind);
		free(target);
		free(name);
	}
	report_table_end(&t, n > (size_t)r->o->limit ? n - (size_t)r->o->limit : 0);
	free(all);
	return bad ? -1 : 0;
}

int report_cmd_external(struct report *r)
{
	if (!r->has_calls) {
		fprintf(stderr, "bvapm-report: this store has no outbound calls (table external): it "
		                "was written by a drainer before store schema 4\n");
		return REPORT_ERROR;
	}
	struct ep_map m;
	memset(&m, 0, sizeof m);
	struct groups *targets = report_groups_new(), *calls = report_groups_new();
	int bad = targets == NULL || calls == NULL || report_ep_map_load(r, &m) ||
	          scan(r, &m, targets, calls) || print_targets(r, targets) || print_calls(r, calls);
	report_groups_free(targets);
	report_groups_free(calls);
	report_ep_map_free(&m);
	return bad ? REPORT_ERROR : REPORT_OK;
}
