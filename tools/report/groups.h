/* SPDX-License-Identifier: Apache-2.0 */
/*
 * groups.h — grouping rows by a text key in memory (a hash map of groups),
 * for the aggregations that are faster in C than as an SQLite GROUP BY over
 * millions of rows: SQLite would sort every row by a computed text key;
 * here each row costs one hash lookup, and only the few groups are sorted.
 *
 * A group counts its rows and keeps whatever the command needs: a few
 * integer and floating-point accumulators, and optionally every value (for
 * percentiles). Keys are copied. Not thread-safe (one command, one thread).
 */
#ifndef BVAPM_REPORT_GROUPS_H
#define BVAPM_REPORT_GROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"

struct group {
	char *key;          /* NUL-terminated copy; may contain '\x1f' separators */
	size_t key_len;
	int64_t n;          /* rows added to the group (callers, report_groups_scan, increment) */
	int64_t i[6];       /* command-specific integer accumulators, zeroed */
	double d[2];        /* command-specific accumulators, zeroed */
	int64_t *values;    /* report_group_push: values kept for percentiles */
	size_t n_values, cap_values;
};

struct groups;

struct groups *report_groups_new(void);
void report_groups_free(struct groups *g);
/* The group of key[0..len), created (zeroed) when absent; NULL when out of memory. */
struct group *report_groups_get(struct groups *g, const char *key, size_t len);
/* Keeps v in the group's values. Returns 0, or -1 when out of memory. */
int report_group_push(struct group *gr, int64_t v);
/* All groups in an array sorted with cmp (on struct group *const *);
 * *n receives the count. The array is malloc'ed (free it), the groups are
 * still owned by g. NULL when out of memory. */
struct group **report_groups_sorted(struct groups *g, int (*cmp)(const void *, const void *),
                                    size_t *n);
/* Sorts a group's values in place (ascending). */
void report_group_sort_values(struct group *gr);
/* Orders for report_groups_sorted: by key; by i[1] descending, then key. */
int report_group_cmp_key(const void *a, const void *b);
int report_group_cmp_i1_desc(const void *a, const void *b);

/* The rows of s (finalized here) grouped by the text of column key_col: a
 * row's group is found or created, its n incremented, then fold (NULL:
 * none) adds the row's other columns and returns 0, or -1 to stop (out of
 * memory, a bad row). Returns 0, or -1 when s or g is NULL, a step failed
 * (printed), memory ran out or fold stopped. */
int report_groups_scan(struct report *r, sqlite3_stmt *s, struct groups *g, int key_col,
                       int (*fold)(struct group *gr, sqlite3_stmt *s, void *ctx), void *ctx);

/* A key of several parts joined by a separator ("endpoint\x1fstatement"),
 * built row after row in one buffer (free s when done). */
struct report_key {
	char *s;    /* NUL-terminated; NULL before the first join */
	size_t len; /* without the NUL */
	size_t cap;
};

/* Sets k to the n parts (part[j], len[j] bytes) joined by sep. Returns 0,
 * or -1 when out of memory. */
int report_key_join(struct report_key *k, char sep, size_t n, const char *const *part,
                    const size_t *len);

#endif
