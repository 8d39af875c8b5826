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

struct group {
	char *key;          /* NUL-terminated copy; may contain '\x1f' separators */
	size_t key_len;
	int64_t n;          /* rows added to the group (callers increment) */
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

#endif
