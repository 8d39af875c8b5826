/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sql_stats.h — one request's SQL, aggregated per normalized statement:
 * count, total and longest time, rows, and the N+1 flag. Plain C.
 *
 * Bounded whatever the script does: a fixed number of distinct statements
 * (an open-addressing table sized at init, keyed by a 64-bit hash of the
 * normalized text (sql_hash.h), texts in one preallocated arena); a statement that finds
 * no room is counted in the request's totals only, and `untracked` says how
 * many executions that was. No allocation after bvapm_sql_stats_init().
 *
 * Threads: one per PHP worker thread, no locking.
 */
#ifndef BVAPM_SQL_STATS_H
#define BVAPM_SQL_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record/record.h"

#define BVAPM_SQL_UNTRACKED (-1) /* id of a statement counted in totals only */

struct bvapm_sql_entry {
	uint64_t hash;
	uint32_t text_off, text_len;   /* in the arena */
	uint32_t count;
	uint64_t total_ns, max_ns, rows;
};

struct bvapm_sql_stats {
	uint32_t capacity;             /* distinct statements per request */
	uint32_t n_plus_one_threshold; /* count >= threshold ⇒ flagged (0: never) */
	uint32_t used;                 /* entries in use */
	uint32_t mask;                 /* index size - 1 (power of two >= 2 * capacity) */
	uint32_t *index;               /* entry number + 1; 0 = empty */
	struct bvapm_sql_entry *entries;
	struct bvapm_rec_sql *export;  /* capacity, filled at request end */
	char *arena;
	size_t arena_used, arena_cap;
	uint64_t total_count, total_ns; /* every execution, listed or not */
	uint64_t untracked;             /* executions of statements that found no room */
};

/* Allocates the table for `capacity` statements (1..100000) and an arena of
 * `arena_bytes` for their texts. Returns 0, -EINVAL or -ENOMEM (then nothing
 * is held). */
int bvapm_sql_stats_init(struct bvapm_sql_stats *s, uint32_t capacity, size_t arena_bytes,
                         uint32_t n_plus_one_threshold);
void bvapm_sql_stats_free(struct bvapm_sql_stats *s);

/* Forgets the previous request (cost proportional to what it used). */
void bvapm_sql_stats_reset(struct bvapm_sql_stats *s);

/* The entry id of a normalized statement, adding it (count 0) when new;
 * BVAPM_SQL_UNTRACKED when the table or the arena is full. */
int32_t bvapm_sql_stats_intern(struct bvapm_sql_stats *s, const char *text, size_t len);
/* The same, with h = bvapm_sql_hash(text, len) already known (sql_cache.h). */
int32_t bvapm_sql_stats_intern_hashed(struct bvapm_sql_stats *s, const char *text, size_t len, uint64_t h);

/* One execution of statement `id` (an id from intern, or UNTRACKED). */
void bvapm_sql_stats_add(struct bvapm_sql_stats *s, int32_t id, uint64_t ns, uint64_t rows);
/* Rows found later (fetched from a result set). */
void bvapm_sql_stats_add_rows(struct bvapm_sql_stats *s, int32_t id, uint64_t rows);

/* The statement text of an entry (NUL-terminated), or NULL for UNTRACKED. */
const char *bvapm_sql_stats_text(const struct bvapm_sql_stats *s, int32_t id);

/* Fills s->export with the executed statements, longest total time first,
 * and returns their number; *out points at s->export. */
uint32_t bvapm_sql_stats_export(struct bvapm_sql_stats *s, const struct bvapm_rec_sql **out);

#endif
