/* SPDX-License-Identifier: Apache-2.0 */
/*
 * groups.c — the hash map of groups (groups.h): open addressing with linear
 * probing over a power-of-two table of pointers, FNV-1a on the key, the
 * table doubled at 50% load. Groups are allocated one by one so pointers
 * handed out stay valid while the table grows. Also the scan that groups a
 * query's rows, and the multi-part keys commands group by.
 */
#include <stdlib.h>
#include <string.h>

#include "groups.h"

struct groups {
	struct group **slots;
	size_t cap, n;
};

static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
	return h;
}

struct groups *report_groups_new(void)
{
	struct groups *g = calloc(1, sizeof *g);
	if (g == NULL)
		return NULL;
	g->cap = 64;
	g->slots = calloc(g->cap, sizeof *g->slots);
	if (g->slots == NULL) {
		free(g);
		return NULL;
	}
	return g;
}

void report_groups_free(struct groups *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->cap; i++)
		if (g->slots[i]) {
			free(g->slots[i]->key);
			free(g->slots[i]->values);
			free(g->slots[i]);
		}
	free(g->slots);
	free(g);
}

static int grow(struct groups *g)
{
	size_t cap = 2 * g->cap;
	struct group **slots = calloc(cap, sizeof *slots);
	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < g->cap; i++) {
		struct group *gr = g->slots[i];
		if (gr == NULL)
			continue;
		size_t k = hash(gr->key, gr->key_len) & (cap - 1);
		while (slots[k])
			k = (k + 1) & (cap - 1);
		slots[k] = gr;
	}
	free(g->slots);
	g->slots = slots;
	g->cap = cap;
	return 0;
}

struct group *report_groups_get(struct groups *g, const char *key, size_t len)
{
	size_t k = hash(key, len) & (g->cap - 1);
	for (; g->slots[k]; k = (k + 1) & (g->cap - 1)) {
		struct group *gr = g->slots[k];
		if (gr->key_len == len && memcmp(gr->key, key, len) == 0)
			return gr;
	}
	if (2 * (g->n + 1) > g->cap) {
		if (grow(g) != 0)
			return NULL;
		return report_groups_get(g, key, len); /* one more probe in the larger table */
	}
	struct group *gr = calloc(1, sizeof *gr);
	if (gr == NULL || (gr->key = malloc(len + 1)) == NULL) {
		free(gr);
		return NULL;
	}
	memcpy(gr->key, key, len);
	gr->key[len] = '\0';
	gr->key_len = len;
	g->slots[k] = gr;
	g->n++;
	return gr;
}

int report_group_push(struct group *gr, int64_t v)
{
	if (gr->n_values == gr->cap_values) {
		size_t cap = gr->cap_values ? 2 * gr->cap_values : 256;
		int64_t *vals = realloc(gr->values, cap * sizeof *vals);
		if (vals == NULL)
			return -1;
		gr->values = vals;
		gr->cap_values = cap;
	}
	gr->values[gr->n_values++] = v;
	return 0;
}

struct group **report_groups_sorted(struct groups *g, int (*cmp)(const void *, const void *),
                                    size_t *n)
{
	struct group **all = malloc((g->n ? g->n : 1) * sizeof *all);
	if (all == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < g->cap; i++)
		if (g->slots[i])
			all[k++] = g->slots[i];
	if (cmp)
		qsort(all, k, sizeof *all, cmp);
	*n = k;
	return all;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

void report_group_sort_values(struct group *gr)
{
	qsort(gr->values, gr->n_values, sizeof *gr->values, cmp_i64);
}

static const struct group *group_of(const void *p)
{
	return *(const struct group *const *)p;
}

int report_group_cmp_key(const void *a, const void *b)
{
	return strcmp(group_of(a)->key, group_of(b)->key);
}

int report_group_cmp_i1_desc(const void *a, const void *b)
{
	const struct group *x = group_of(a), *y = group_of(b);
	if (x->i[1] != y->i[1])
		return x->i[1] < y->i[1] ? 1 : -1;
	return strcmp(x->key, y->key);
}

int report_groups_scan(struct report *r, sqlite3_stmt *s, struct groups *g, int key_col,
                       int (*fold)(struct group *gr, sqlite3_stmt *s, void *ctx), void *ctx)
{
	int rc = SQLITE_ERROR, bad = s == NULL || g == NULL;
	while (!bad && (rc = report_step(r, s)) == SQLITE_ROW) {
		struct group *gr = report_groups_get(g, report_col_text(s, key_col),
		                                     (size_t)sqlite3_column_bytes(s, key_col));
		if (gr == NULL) {
			bad = 1;
			break;
		}
		gr->n++;
		bad = fold && fold(gr, s, ctx) != 0;
	}
	sqlite3_finalize(s);
	return bad || rc != SQLITE_DONE ? -1 : 0;
}

int report_key_join(struct report_key *k, char sep, size_t n, const char *const *part,
                    const size_t *len)
{
	size_t total = n > 0 ? n - 1 : 0;
	for (size_t j = 0; j < n; j++)
		total += len[j];
	if (total + 1 > k->cap) {
		char *s = realloc(k->s, 2 * (total + 1));
		if (s == NULL)
			return -1;
		k->s = s;
		k->cap = 2 * (total + 1);
	}
	size_t at = 0;
	for (size_t j = 0; j < n; j++) {
		if (j > 0)
			k->s[at++] = sep;
		memcpy(k->s + at, part[j], len[j]);
		at += len[j];
	}
	k->s[at] = '\0';
	k->len = at;
	return 0;
}
