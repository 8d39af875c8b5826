/*
 * cmd_memory.c — `bvapm-report memory`: where memory grows.
 *  - checkpoint pairs: for each endpoint and consecutive pair of checkpoints
 *    (previous label → label; "(start)" before the first), how often, the
 *    average and the largest jump (mem_delta_bytes), and the request that
 *    had the largest, ordered by the largest jump (grouped in memory,
 *    groups.h: one pass, no sort of every checkpoint);
 *  - the largest single jumps, with their request;
 *  - peak memory distribution: per endpoint p50/p90/p99/max, and a histogram
 *    over all selected requests in power-of-two buckets.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints.h"
#include "groups.h"
#include "report.h"

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

static int cmp_pair(const void *a, const void *b)
{
	const struct group *x = *(const struct group *const *)a, *y = *(const struct group *const *)b;
	if (x->i[1] != y->i[1])
		return x->i[1] < y->i[1] ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* group i[0] sum of jumps, i[1] largest, i[2] its request */
static int print_pairs(struct report *r, struct groups *g)
{
	size_t n = 0;
	struct group **all = groups_sorted(g, cmp_pair, &n);
	if (all == NULL)
		return -1;
	json_object *arr = r->o->json ? report_json_add(r->doc, "checkpoint_pairs", json_object_new_array()) : NULL;
	if (!arr) {
		report_section(r, "Largest checkpoint jumps by endpoint and checkpoint pair");
		printf("  %-32s %-46s %7s %11s %11s %9s\n", "endpoint", "checkpoints (from → to)",
		       "count", "avg jump", "max jump", "request");
		if (n == 0)
			printf("  no checkpoints recorded (bvapm_checkpoint() in the application adds them)\n");
	}
	char b1[32], b2[32], buf[1024];
	for (size_t k = 0; k < n && k < (size_t)r->o->limit; k++) {
		const struct group *gr = all[k];
		const char *ep, *prev, *label;
		split_key(gr->key, buf, sizeof buf, &ep, &prev, &label);
		int64_t avg = gr->i[0] / gr->n;
		if (arr) {
			json_object *o = json_object_new_object();
			report_json_add(o, "endpoint", report_json_str(ep));
			report_json_add(o, "from", report_json_str(prev));
			report_json_add(o, "to", report_json_str(label));
			report_json_add(o, "count", report_json_int(gr->n));
			report_json_add(o, "avg_jump_bytes", report_json_int(avg));
			report_json_add(o, "max_jump_bytes", report_json_int(gr->i[1]));
			report_json_add(o, "max_request_id", report_json_int(gr->i[2]));
			json_object_array_add(arr, o);
		} else {
			char pair[1100];
			snprintf(pair, sizeof pair, "%s → %s", prev, label);
			printf("  ");
			report_clip(report_ep_short(r, ep), 32);
			printf(" ");
			report_clip(pair, 46);
			printf(" %7lld %11s %11s %9lld\n", (long long)gr->n, report_fmt_bytes(avg, b1, sizeof b1),
			       report_fmt_bytes(gr->i[1], b2, sizeof b2), (long long)gr->i[2]);
		}
	}
	free(all);
	return 0;
}

static int print_top(struct report *r, const struct top *t)
{
	json_object *arr = r->o->json ? report_json_add(r->doc, "largest_jumps", json_object_new_array()) : NULL;
	if (!arr) {
		report_section(r, "Largest single jumps");
		printf("  %9s %-20s %-26s %-46s %11s %11s\n", "request", "started", "uri",
		       "checkpoints (from → to)", "jump", "peak");
	}
	char b1[32], b2[32], tm[32], buf[1024];
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
		if (arr) {
			json_object *o = json_object_new_object();
			report_json_add(o, "request_id", report_json_int(j->rid));
			report_json_add(o, "endpoint", report_json_str(ep));
			report_json_add(o, "from", report_json_str(prev));
			report_json_add(o, "to", report_json_str(label));
			report_json_add(o, "jump_bytes", report_json_int(j->delta));
			report_json_add(o, "start_unix_ns", report_json_int(sqlite3_column_int64(s, 0)));
			report_json_add(o, "uri", report_json_str(report_col_text(s, 1)));
			report_json_add(o, "mem_peak_bytes", report_json_int(sqlite3_column_int64(s, 2)));
			json_object_array_add(arr, o);
		} else {
			char pair[1100];
			snprintf(pair, sizeof pair, "%s → %s", prev, label);
			printf("  %9lld %-20s ", (long long)j->rid,
			       report_fmt_time(sqlite3_column_int64(s, 0), tm, sizeof tm));
			report_clip(report_col_text(s, 1), 26);
			printf(" ");
			report_clip(pair, 46);
			printf(" %11s %11s\n", report_fmt_bytes(j->delta, b1, sizeof b1),
			       report_fmt_bytes(sqlite3_column_int64(s, 2), b2, sizeof b2));
		}
		sqlite3_finalize(s);
	}
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
	int bad = ep_map_load(r, &m) != 0 || from == NULL;
	if (!bad) {
		s = report_prepare(r, "SELECT c.request_id, c.idx, c.label, c.mem_delta_bytes %s", from);
		prev_q = report_prepare(r, "SELECT label FROM checkpoints WHERE request_id = ?1 AND "
		                           "idx = ?2 LIMIT 1");
		bad = s == NULL || prev_q == NULL;
	}
	sqlite3_free(from);
	struct groups *g = groups_new();
	struct top t = {calloc((size_t)r->o->limit, sizeof(struct jump)), 0, (size_t)r->o->limit};
	int rc = SQLITE_ERROR;
	bad |= g == NULL || t.v == NULL;
	char *key = NULL, prev[256] = "";
	size_t cap = 0;
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
		const char *ep = ep_map_get(&m, rid);
		if (ep != NULL) {
			size_t l0 = strlen(ep), l1 = strlen(from_label), len = l0 + l1 + l2 + 2;
			if (len + 1 > cap) {
				char *k = realloc(key, 2 * (len + 1));
				if (k == NULL) {
					bad = 1;
					break;
				}
				key = k;
				cap = 2 * (len + 1);
			}
			memcpy(key, ep, l0);
			key[l0] = SEP;
			memcpy(key + l0 + 1, from_label, l1);
			key[l0 + 1 + l1] = SEP;
			memcpy(key + l0 + l1 + 2, label, l2);
			key[len] = '\0';
			struct group *gr = groups_get(g, key, len);
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
			bad |= top_add(&t, rid, delta, key, len);
		}
		snprintf(prev, sizeof prev, "%s", label); /* labels are at most 200 bytes */
		prev_rid = rid;
		prev_idx = idx;
	}
	sqlite3_finalize(s);
	sqlite3_finalize(prev_q);
	free(key);
	bad |= rc != SQLITE_DONE;
	if (!bad)
		bad |= print_pairs(r, g) || print_top(r, &t);
	for (size_t k = 0; k < t.n; k++)
		free(t.v[k].key);
	free(t.v);
	groups_free(g);
	ep_map_free(&m);
	return bad ? -1 : 0;
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
	int64_t p50 = report_percentile(d->v, d->n, 50), p90 = report_percentile(d->v, d->n, 90),
	        p99 = report_percentile(d->v, d->n, 99), max = d->v[d->n - 1];
	if (arr) {
		json_object *o = json_object_new_object();
		report_json_add(o, "endpoint", report_json_str(ep));
		report_json_add(o, "requests", report_json_int((int64_t)d->n));
		report_json_add(o, "p50_bytes", report_json_int(p50));
		report_json_add(o, "p90_bytes", report_json_int(p90));
		report_json_add(o, "p99_bytes", report_json_int(p99));
		report_json_add(o, "max_bytes", report_json_int(max));
		json_object_array_add(arr, o);
	} else {
		printf("  ");
		report_clip(report_ep_short(r, ep), 40);
		printf(" %8zu %10s %10s %10s %10s\n", d->n, report_fmt_bytes(p50, b[0], 32),
		       report_fmt_bytes(p90, b[1], 32), report_fmt_bytes(p99, b[2], 32), report_fmt_bytes(max, b[3], 32));
	}
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp((*(const struct group *const *)a)->key, (*(const struct group *const *)b)->key);
}

static int distribution(struct report *r)
{
	sqlite3_stmt *s = report_prepare(r, "SELECT %s, r.mem_peak_bytes FROM requests r WHERE %s",
	                                 r->ep, r->where_r);
	struct groups *g = groups_new();
	int64_t buckets[N_BUCKETS] = {0}, total = 0;
	int rc = SQLITE_ERROR, bad = s == NULL || g == NULL;
	while (!bad && (rc = report_step(r, s)) == SQLITE_ROW) {
		struct group *gr = groups_get(g, report_col_text(s, 0), (size_t)sqlite3_column_bytes(s, 0));
		int64_t m = sqlite3_column_int64(s, 1);
		if (gr == NULL || group_push(gr, m)) {
			bad = 1;
			break;
		}
		int b = 0;
		while (b < N_BUCKETS - 1 && (m >> (b + 1)) > 0)
			b++;
		buckets[b]++;
		total++;
	}
	sqlite3_finalize(s);
	size_t n = 0;
	struct group **all = bad || rc != SQLITE_DONE ? NULL : groups_sorted(g, cmp_key, &n);
	if (all == NULL) {
		groups_free(g);
		return -1;
	}
	json_object *arr = NULL;
	if (r->o->json) {
		arr = report_json_add(r->doc, "peak_by_endpoint", json_object_new_array());
	} else {
		report_section(r, "Peak memory distribution by endpoint");
		printf("  %-40s %8s %10s %10s %10s %10s\n", "endpoint", "requests", "p50", "p90", "p99",
		       "max");
	}
	for (size_t k = 0; k < n && k < (size_t)r->o->limit; k++) {
		group_sort_values(all[k]);
		struct dist d = {all[k]->values, all[k]->n_values, all[k]->cap_values};
		print_or_add_ep(r, arr, all[k]->key, &d);
	}
	if (!arr && n > (size_t)r->o->limit)
		printf("  ... %zu more endpoints (--limit)\n", n - (size_t)r->o->limit);
	free(all);
	groups_free(g);

	int64_t most = 0;
	for (int b = 0; b < N_BUCKETS; b++)
		if (buckets[b] > most)
			most = buckets[b];
	json_object *h = arr ? report_json_add(r->doc, "peak_histogram", json_object_new_array()) : NULL;
	if (!h)
		report_section(r, "Peak memory histogram (all selected requests)");
	char lo[32], hi[32];
	for (int b = 0; b < N_BUCKETS; b++) {
		if (buckets[b] == 0)
			continue;
		int64_t from = b ? (int64_t)1 << b : 0, to = (int64_t)1 << (b + 1);
		if (h) {
			json_object *o = json_object_new_object();
			report_json_add(o, "from_bytes", report_json_int(from));
			report_json_add(o, "to_bytes", report_json_int(to));
			report_json_add(o, "requests", report_json_int(buckets[b]));
			json_object_array_add(h, o);
		} else {
			int bar = (int)(50 * buckets[b] / most);
			printf("  %10s .. %-10s %8lld (%5.1f%%) ", report_fmt_bytes(from, lo, sizeof lo),
			       report_fmt_bytes(to, hi, sizeof hi), (long long)buckets[b],
			       100.0 * (double)buckets[b] / (double)total);
			for (int i = 0; i < (bar ? bar : 1); i++)
				fputs("#", stdout);
			fputs("\n", stdout);
		}
	}
	return 0;
}

int report_cmd_memory(struct report *r)
{
	if (jumps(r) || distribution(r))
		return REPORT_ERROR;
	return REPORT_OK;
}
