/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sql_cache.c — the process's normalized-statement cache (see sql_cache.h):
 * open addressing with linear probing over entry numbers, texts in one
 * arena, emptied whole when full.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sql_cache.h"
#include "sql_hash.h"
#include "sql_normalize.h"

int bvapm_sql_cache_init(struct bvapm_sql_cache *c, uint32_t capacity, size_t arena_bytes)
{
	memset(c, 0, sizeof(*c));
	if (capacity == 0 || capacity > 65536 || arena_bytes == 0 || arena_bytes > UINT32_MAX)
		return -EINVAL;
	uint32_t buckets = 2;
	while (buckets < 2 * capacity)
		buckets <<= 1;
	c->index = calloc(buckets, sizeof(*c->index));
	c->entries = calloc(capacity, sizeof(*c->entries));
	c->arena = malloc(arena_bytes);
	if (c->index == NULL || c->entries == NULL || c->arena == NULL) {
		bvapm_sql_cache_free(c);
		return -ENOMEM;
	}
	c->capacity = capacity;
	c->mask = buckets - 1;
	c->arena_cap = arena_bytes;
	return 0;
}

void bvapm_sql_cache_free(struct bvapm_sql_cache *c)
{
	free(c->index);
	free(c->entries);
	free(c->arena);
	memset(c, 0, sizeof(*c));
}

static void empty(struct bvapm_sql_cache *c)
{
	memset(c->index, 0, ((size_t)c->mask + 1) * sizeof(*c->index));
	c->used = 0;
	c->arena_used = 0;
	c->resets++;
}

/* Keeps sql and its normalized form `text` (n bytes), emptying the cache
 * first when either the table or the arena is full. */
static void keep(struct bvapm_sql_cache *c, uint64_t sql_hash, const char *sql, size_t len, unsigned flags,
                 size_t out_cap, const char *text, size_t n, uint64_t text_hash)
{
	size_t need = len + n + 1;
	if (need > c->arena_cap)
		return;
	if (c->used >= c->capacity || c->arena_cap - c->arena_used < need)
		empty(c);
	struct bvapm_sql_cache_entry *e = &c->entries[c->used];
	*e = (struct bvapm_sql_cache_entry){
		.sql_hash = sql_hash, .text_hash = text_hash,
		.sql_off = (uint32_t)c->arena_used, .sql_len = (uint32_t)len,
		.text_off = (uint32_t)(c->arena_used + len), .text_len = (uint32_t)n,
		.flags = flags, .out_cap = (uint32_t)out_cap,
	};
	memcpy(c->arena + e->sql_off, sql, len);
	memcpy(c->arena + e->text_off, text, n);
	c->arena[e->text_off + n] = '\0';
	c->arena_used += need;
	uint32_t b = (uint32_t)sql_hash & c->mask;
	while (c->index[b] != 0)
		b = (b + 1) & c->mask; /* at most half the buckets are in use */
	c->index[b] = ++c->used;
}

size_t bvapm_sql_cache_normalize(struct bvapm_sql_cache *c, const char *sql, size_t len, unsigned flags,
                                 char *out, size_t out_cap, const char **text, uint64_t *text_hash)
{
	bool cacheable = c->index != NULL && sql != NULL && len <= BVAPM_SQL_CACHE_MAX_TEXT && out_cap > 0 &&
	                 out_cap <= UINT32_MAX;
	uint64_t h = 0;

	if (cacheable) {
		h = bvapm_sql_hash(sql, len);
		for (uint32_t b = (uint32_t)h & c->mask;; b = (b + 1) & c->mask) {
			uint32_t slot = c->index[b];
			if (slot == 0)
				break;
			const struct bvapm_sql_cache_entry *e = &c->entries[slot - 1];
			if (e->sql_hash == h && e->sql_len == len && e->flags == flags && e->out_cap == out_cap &&
			    memcmp(c->arena + e->sql_off, sql, len) == 0) {
				c->hits++;
				*text = c->arena + e->text_off;
				*text_hash = e->text_hash;
				return e->text_len;
			}
		}
	}
	size_t n = bvapm_sql_normalize(sql, len, out, out_cap, flags);
	*text = out;
	*text_hash = bvapm_sql_hash(out, n);
	if (cacheable) {
		c->misses++;
		keep(c, h, sql, len, flags, out_cap, out, n, *text_hash);
	}
	return n;
}
