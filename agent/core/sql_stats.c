/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sql_stats.c — per-request SQL aggregation (see sql_stats.h).
 *
 * The index is an open-addressing table with linear probing, at most half
 * full (capacity entries in >= 2 * capacity buckets), so a lookup touches a
 * couple of buckets. Entries are appended in first-seen order and never
 * removed during a request, so an id stays valid until the next reset — the
 * hooks keep ids of prepared statements. Reset clears only the buckets the
 * previous request used, so a request with no SQL costs nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sql_stats.h"
#include "sql_hash.h"

int bvapm_sql_stats_init(struct bvapm_sql_stats *s, uint32_t capacity, size_t arena_bytes,
                         uint32_t n_plus_one_threshold)
{
	uint32_t buckets = 2;

	memset(s, 0, sizeof(*s));
	if (capacity == 0 || capacity > 100000 || arena_bytes == 0)
		return -EINVAL;
	while (buckets < 2 * capacity)
		buckets <<= 1;
	s->index = calloc(buckets, sizeof(*s->index));
	s->entries = calloc(capacity, sizeof(*s->entries));
	s->export = calloc(capacity, sizeof(*s->export));
	s->arena = malloc(arena_bytes);
	if (s->index == NULL || s->entries == NULL || s->export == NULL || s->arena == NULL) {
		bvapm_sql_stats_free(s);
		return -ENOMEM;
	}
	s->capacity = capacity;
	s->mask = buckets - 1;
	s->arena_cap = arena_bytes;
	s->n_plus_one_threshold = n_plus_one_threshold;
	return 0;
}

void bvapm_sql_stats_free(struct bvapm_sql_stats *s)
{
	free(s->index);
	free(s->entries);
	free(s->export);
	free(s->arena);
	memset(s, 0, sizeof(*s));
}

void bvapm_sql_stats_reset(struct bvapm_sql_stats *s)
{
	for (uint32_t e = 0; e < s->used; e++) {
		/* clear the bucket that points at entry e */
		uint32_t b = (uint32_t)s->entries[e].hash & s->mask;
		while (s->index[b] != e + 1)
			b = (b + 1) & s->mask;
		s->index[b] = 0;
	}
	s->used = 0;
	s->arena_used = 0;
	s->total_count = s->total_ns = s->untracked = 0;
}

int32_t bvapm_sql_stats_intern(struct bvapm_sql_stats *s, const char *text, size_t len)
{
	return bvapm_sql_stats_intern_hashed(s, text, len, bvapm_sql_hash(text, len));
}

int32_t bvapm_sql_stats_intern_hashed(struct bvapm_sql_stats *s, const char *text, size_t len, uint64_t h)
{
	if (s->index == NULL)
		return BVAPM_SQL_UNTRACKED;
	uint32_t b = (uint32_t)h & s->mask;

	for (;;) {
		uint32_t slot = s->index[b];
		if (slot == 0)
			break;
		struct bvapm_sql_entry *e = &s->entries[slot - 1];
		if (e->hash == h && e->text_len == len && memcmp(s->arena + e->text_off, text, len) == 0)
			return (int32_t)(slot - 1);
		b = (b + 1) & s->mask;
	}
	if (s->used >= s->capacity || s->arena_cap - s->arena_used < len + 1)
		return BVAPM_SQL_UNTRACKED;
	struct bvapm_sql_entry *e = &s->entries[s->used];
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->text_off = (uint32_t)s->arena_used;
	e->text_len = (uint32_t)len;
	memcpy(s->arena + s->arena_used, text, len);
	s->arena[s->arena_used + len] = '\0';
	s->arena_used += len + 1;
	s->index[b] = ++s->used;
	return (int32_t)(s->used - 1);
}

void bvapm_sql_stats_add(struct bvapm_sql_stats *s, int32_t id, uint64_t ns, uint64_t rows)
{
	s->total_count++;
	s->total_ns += ns;
	if (id < 0 || (uint32_t)id >= s->used) {
		s->untracked++;
		return;
	}
	struct bvapm_sql_entry *e = &s->entries[id];
	if (e->count < UINT32_MAX)
		e->count++;
	e->total_ns += ns;
	if (ns > e->max_ns)
		e->max_ns = ns;
	e->rows += rows;
}

void bvapm_sql_stats_add_rows(struct bvapm_sql_stats *s, int32_t id, uint64_t rows)
{
	if (id >= 0 && (uint32_t)id < s->used)
		s->entries[id].rows += rows;
}

const char *bvapm_sql_stats_text(const struct bvapm_sql_stats *s, int32_t id)
{
	if (id < 0 || (uint32_t)id >= s->used)
		return NULL;
	return s->arena + s->entries[id].text_off;
}

static int by_total_desc(const void *a, const void *b)
{
	const struct bvapm_rec_sql *x = a, *y = b;

	if (x->total_ns != y->total_ns)
		return x->total_ns < y->total_ns ? 1 : -1;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

uint32_t bvapm_sql_stats_export(struct bvapm_sql_stats *s, const struct bvapm_rec_sql **out)
{
	uint32_t n = 0;

	*out = s->export;
	for (uint32_t i = 0; i < s->used; i++) {
		const struct bvapm_sql_entry *e = &s->entries[i];
		if (e->count == 0)
			continue; /* prepared, never executed */
		struct bvapm_rec_sql *x = &s->export[n++];
		x->statement.ptr = s->arena + e->text_off;
		x->statement.len = e->text_len;
		x->count = e->count;
		x->total_ns = e->total_ns;
		x->max_ns = e->max_ns;
		x->rows = e->rows;
		x->n_plus_one = s->n_plus_one_threshold > 0 && e->count >= s->n_plus_one_threshold;
	}
	/* the record keeps the head of the list when it must truncate */
	qsort(s->export, n, sizeof(*s->export), by_total_desc);
	return n;
}
