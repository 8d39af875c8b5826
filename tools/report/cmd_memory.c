/*
 * cmd_memory.c — `bvapm-report memory`: where memory grows.
 *  - checkpoint pairs: for each endpoint and consecutive pair of checkpoints
 *    (previous label → label; "(start)" before the first), how often, the
 *    average and the largest jump (mem_delta_bytes), and the request that
 *    had the largest, ordered by the largest jump;
 *  - the largest single jumps, with their request;
 *  - peak memory distribution: per endpoint p50/p90/p99/max, and a histogram
 *    over all selected requests in power-of-two buckets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* Consecutive checkpoints of the selected requests. */
#define PAIRS_SQL                                                                               \
	"SELECT %s AS ep, coalesce(lag(c.label) OVER (PARTITION BY c.request_id ORDER BY c.idx), " \
	"'(start)') AS prev, c.label AS label, c.mem_delta_bytes AS delta, c.request_id AS rid, "   \
	"c.mem_bytes AS mem FROM checkpoints c JOIN requests r ON r.id = c.request_id WHERE %s"

static int pairs(struct report *r)
{
	sqlite3_stmt *s = report_prepare(r,
		"SELECT ep, prev, label, count(*), avg(delta), max(delta) AS mx, rid FROM (" PAIRS_SQL ") "
		"GROUP BY ep, prev, label ORDER BY mx DESC, ep, prev, label LIMIT %ld",
		r->ep, r->where_r, r->o->limit);
	if (s == NULL)
		return -1;
	json_object *arr = r->o->json ? jadd(r->doc, "checkpoint_pairs", json_object_new_array()) : NULL;
	if (!arr) {
		out_section(r, "Largest checkpoint jumps by endpoint and checkpoint pair");
		printf("  %-34s %-36s %7s %11s %11s %9s\n", "endpoint", "checkpoints (from → to)",
		       "count", "avg jump", "max jump", "request");
	}
	int rc, n = 0;
	char b1[32], b2[32];
	while ((rc = report_step(r, s)) == SQLITE_ROW) {
		n++;
		const char *ep = report_col_text(s, 0), *prev = report_col_text(s, 1),
		           *label = report_col_text(s, 2);
		if (arr) {
			json_object *o = json_object_new_object();
			jadd(o, "endpoint", jstr(ep));
			jadd(o, "from", jstr(prev));
			jadd(o, "to", jstr(label));
			jadd(o, "count", jint(sqlite3_column_int64(s, 3)));
			jadd(o, "avg_jump_bytes", jint((int64_t)sqlite3_column_double(s, 4)));
			jadd(o, "max_jump_bytes", jint(sqlite3_column_int64(s, 5)));
			jadd(o, "max_request_id", jint(sqlite3_column_int64(s, 6)));
			json_object_array_add(arr, o);
		} else {
			char pair[512];
			snprintf(pair, sizeof pair, "%s → %s", prev, label);
			printf("  ");
			out_clip(ep, 34);
			printf(" ");
			out_clip(pair, 36);
			printf(" %7lld %11s %11s %9lld\n", (long long)sqlite3_column_int64(s, 3),
			       fmt_bytes((int64_t)sqlite3_column_double(s, 4), b1, sizeof b1),
			       fmt_bytes(sqlite3_column_int64(s, 5), b2, sizeof b2),
			       (long long)sqlite3_column_int64(s, 6));
		}
	}
	sqlite3_finalize(s);
	if (!arr && n == 0 && rc == SQLITE_DONE)
		printf("  no checkpoints recorded (bvapm_checkpoint() in the application adds them)\n");
	return rc == SQLITE_DONE ? 0 : -1;
}

static int top_jumps(struct report *r)
{
	sqlite3_stmt *s = report_prepare(r,
		"SELECT j.rid, j.ep, j.prev, j.label, j.delta, j.mem, q.start_unix_ns, q.uri, "
		"q.mem_peak_bytes FROM (" PAIRS_SQL ") j JOIN requests q ON q.id = j.rid "
		"ORDER BY j.delta DESC, j.rid LIMIT %ld",
		r->ep, r->where_r, r->o->limit);
	if (s == NULL)
		return -1;
	json_object *arr = r->o->json ? jadd(r->doc, "largest_jumps", json_object_new_array()) : NULL;
	if (!arr) {
		out_section(r, "Largest single jumps");
		printf("  %9s %-20s %-28s %-34s %11s %11s\n", "request", "started", "uri",
		       "checkpoints (from → to)", "jump", "peak");
	}
	int rc;
	char b1[32], b2[32], t[32];
	while ((rc = report_step(r, s)) == SQLITE_ROW) {
		if (arr) {
			json_object *o = json_object_new_object();
			jadd(o, "request_id", jint(sqlite3_column_int64(s, 0)));
			jadd(o, "endpoint", jstr(report_col_text(s, 1)));
			jadd(o, "from", jstr(report_col_text(s, 2)));
			jadd(o, "to", jstr(report_col_text(s, 3)));
			jadd(o, "jump_bytes", jint(sqlite3_column_int64(s, 4)));
			jadd(o, "mem_bytes", jint(sqlite3_column_int64(s, 5)));
			jadd(o, "start_unix_ns", jint(sqlite3_column_int64(s, 6)));
			jadd(o, "uri", jstr(report_col_text(s, 7)));
			jadd(o, "mem_peak_bytes", jint(sqlite3_column_int64(s, 8)));
			json_object_array_add(arr, o);
		} else {
			char pair[512];
			snprintf(pair, sizeof pair, "%s → %s", report_col_text(s, 2), report_col_text(s, 3));
			printf("  %9lld %-20s ", (long long)sqlite3_column_int64(s, 0),
			       fmt_time(sqlite3_column_int64(s, 6), t, sizeof t));
			out_clip(report_col_text(s, 7), 28);
			printf(" ");
			out_clip(pair, 34);
			printf(" %11s %11s\n", fmt_bytes(sqlite3_column_int64(s, 4), b1, sizeof b1),
			       fmt_bytes(sqlite3_column_int64(s, 8), b2, sizeof b2));
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- peak distribution ---------------------------------------------------------- */

#define N_BUCKETS 40 /* 2^0 .. 2^39 bytes */

struct dist {
	int64_t *v;
	size_t n, cap;
};

static void print_or_add_ep(struct report *r, json_object *arr, const char *ep, struct dist *d)
{
	char b[4][32];
	int64_t p50 = percentile_sorted(d->v, d->n, 50), p90 = percentile_sorted(d->v, d->n, 90),
	        p99 = percentile_sorted(d->v, d->n, 99), max = d->v[d->n - 1];
	if (arr) {
		json_object *o = json_object_new_object();
		jadd(o, "endpoint", jstr(ep));
		jadd(o, "requests", jint((int64_t)d->n));
		jadd(o, "p50_bytes", jint(p50));
		jadd(o, "p90_bytes", jint(p90));
		jadd(o, "p99_bytes", jint(p99));
		jadd(o, "max_bytes", jint(max));
		json_object_array_add(arr, o);
	} else {
		printf("  ");
		out_clip(ep, 40);
		printf(" %8zu %10s %10s %10s %10s\n", d->n, fmt_bytes(p50, b[0], 32),
		       fmt_bytes(p90, b[1], 32), fmt_bytes(p99, b[2], 32), fmt_bytes(max, b[3], 32));
	}
}

static int distribution(struct report *r)
{
	sqlite3_stmt *s = report_prepare(r,
		"SELECT %s AS ep, r.mem_peak_bytes FROM requests r WHERE %s ORDER BY ep, r.mem_peak_bytes",
		r->ep, r->where_r);
	if (s == NULL)
		return -1;
	json_object *arr = NULL;
	if (r->o->json) {
		arr = jadd(r->doc, "peak_by_endpoint", json_object_new_array());
	} else {
		out_section(r, "Peak memory distribution by endpoint");
		printf("  %-40s %8s %10s %10s %10s %10s\n", "endpoint", "requests", "p50", "p90", "p99",
		       "max");
	}
	int64_t buckets[N_BUCKETS] = {0}, total = 0;
	struct dist d = {NULL, 0, 0};
	char *cur = NULL;
	long eps = 0;
	int rc, bad = 0;
	while (!bad && (rc = report_step(r, s)) == SQLITE_ROW) {
		const char *ep = report_col_text(s, 0);
		if (cur == NULL || strcmp(cur, ep) != 0) {
			if (cur && d.n && eps++ < r->o->limit)
				print_or_add_ep(r, arr, cur, &d);
			d.n = 0;
			free(cur);
			cur = strdup(ep);
			bad |= cur == NULL;
		}
		if (d.n == d.cap) {
			size_t cap = d.cap ? 2 * d.cap : 1024;
			int64_t *v = realloc(d.v, cap * sizeof *v);
			if (v == NULL) {
				bad = 1;
				break;
			}
			d.v = v;
			d.cap = cap;
		}
		int64_t m = sqlite3_column_int64(s, 1);
		d.v[d.n++] = m;
		int b = 0;
		while (b < N_BUCKETS - 1 && (m >> (b + 1)) > 0)
			b++;
		buckets[b]++;
		total++;
	}
	if (!bad && cur && d.n && eps++ < r->o->limit)
		print_or_add_ep(r, arr, cur, &d);
	if (!arr && eps > r->o->limit)
		printf("  ... %ld more endpoints (--limit)\n", eps - r->o->limit);
	free(cur);
	free(d.v);
	sqlite3_finalize(s);
	if (bad || rc != SQLITE_DONE)
		return -1;

	int64_t most = 0;
	for (int b = 0; b < N_BUCKETS; b++)
		if (buckets[b] > most)
			most = buckets[b];
	json_object *h = arr ? jadd(r->doc, "peak_histogram", json_object_new_array()) : NULL;
	if (!h)
		out_section(r, "Peak memory histogram (all selected requests)");
	char lo[32], hi[32];
	for (int b = 0; b < N_BUCKETS; b++) {
		if (buckets[b] == 0)
			continue;
		int64_t from = b ? (int64_t)1 << b : 0, to = (int64_t)1 << (b + 1);
		if (h) {
			json_object *o = json_object_new_object();
			jadd(o, "from_bytes", jint(from));
			jadd(o, "to_bytes", jint(to));
			jadd(o, "requests", jint(buckets[b]));
			json_object_array_add(h, o);
		} else {
			int bar = (int)(50 * buckets[b] / most);
			printf("  %10s .. %-10s %8lld (%5.1f%%) ", fmt_bytes(from, lo, sizeof lo),
			       fmt_bytes(to, hi, sizeof hi), (long long)buckets[b],
			       100.0 * (double)buckets[b] / (double)total);
			for (int i = 0; i < (bar ? bar : 1); i++)
				fputs("#", stdout);
			fputs("\n", stdout);
		}
	}
	return 0;
}

int cmd_memory(struct report *r)
{
	if (pairs(r) || top_jumps(r) || distribution(r))
		return REPORT_ERROR;
	return REPORT_OK;
}
