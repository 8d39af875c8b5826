/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sql_cache.h — the normalized form of the statements this process has
 * run, so that a statement run again (the same text, in this request or a
 * later one: an application runs the same few dozen queries on every page)
 * is looked up instead of normalized again. Plain C.
 *
 * Keyed by the statement's text, the normalizer's flags and the output
 * size; a lookup hashes the text (sql_hash.h) and compares it whole, so a
 * hit gives exactly what bvapm_sql_normalize() would write. Each entry
 * keeps the normalized text's hash too, which the request's statement table
 * would otherwise compute again (bvapm_sql_stats_intern_hashed).
 *
 * Bounded: `capacity` entries in an open-addressing table and one arena for
 * the texts, both allocated at init. When either is full the cache is
 * emptied and starts over (a workload of ever-new texts — values written
 * into the SQL — then pays one hash and one copy per statement on top of
 * normalizing); statements longer than BVAPM_SQL_CACHE_MAX_TEXT are
 * normalized every time, never kept. No allocation after init; a cache
 * whose init failed (or was never made) normalizes every time.
 *
 * Threads: one per PHP worker thread (per process, NTS), no locking.
 */
#ifndef BVAPM_SQL_CACHE_H
#define BVAPM_SQL_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define BVAPM_SQL_CACHE_MAX_TEXT 4096 /* bytes of a statement that is kept */

struct bvapm_sql_cache_entry {
	uint64_t sql_hash, text_hash;
	uint32_t sql_off, sql_len;   /* the statement as run, in the arena */
	uint32_t text_off, text_len; /* its normalized form (NUL-terminated), in the arena */
	uint32_t flags, out_cap;
};

struct bvapm_sql_cache {
	uint32_t capacity, used;
	uint32_t mask;               /* index size - 1 (power of two >= 2 * capacity) */
	uint32_t *index;             /* entry number + 1; 0 = empty; NULL: no cache */
	struct bvapm_sql_cache_entry *entries;
	char *arena;
	size_t arena_used, arena_cap;
	uint64_t hits, misses, resets;
};

/* Allocates room for `capacity` statements (1..65536) and `arena_bytes` of
 * texts. 0, -EINVAL or -ENOMEM (then the cache is empty and unused). */
int bvapm_sql_cache_init(struct bvapm_sql_cache *c, uint32_t capacity, size_t arena_bytes);
void bvapm_sql_cache_free(struct bvapm_sql_cache *c);

/* The normalized form of sql[0..len) under `flags`, as
 * bvapm_sql_normalize(sql, len, out, out_cap, flags) writes it: its length
 * is returned, *text points at it (at out, or at the cache's copy: valid
 * until the next call) and *text_hash is bvapm_sql_hash() of it. */
size_t bvapm_sql_cache_normalize(struct bvapm_sql_cache *c, const char *sql, size_t len, unsigned flags,
                                 char *out, size_t out_cap, const char **text, uint64_t *text_hash);

#endif
