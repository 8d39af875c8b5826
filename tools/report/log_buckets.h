/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_buckets.h — histograms of values (durations, bytes) in log-spaced
 * buckets, counted in one pass with a fixed array: memory does not grow
 * with the values counted.
 *
 * Two scales. Powers of two (for bytes): bucket b holds [2^b, 2^(b+1)),
 * bucket 0 [0, 2). 1-2-5 steps (for durations, which read best in round
 * decimal figures: 1 ms, 2 ms, 5 ms, 10 ms): the edges are 1, 2, 5, 10,
 * 20, 50, … and bucket b holds [edge b, edge b+1), bucket 0 [0, 2). A value
 * below 0 counts in bucket 0, one beyond the last edge in the last bucket
 * (2^61 and up; 10^18 and up).
 */
#ifndef BVAPM_REPORT_LOG_BUCKETS_H
#define BVAPM_REPORT_LOG_BUCKETS_H

#include <stdbool.h>
#include <stdint.h>

enum report_log_scale {
	REPORT_LOG_POW2, /* 0, 2, 4, 8, … */
	REPORT_LOG_125,  /* 0, 2, 5, 10, 20, 50, … */
};

#define REPORT_LOG_BUCKETS 62 /* buckets of the powers of two; the 1-2-5 scale uses 55 */

struct report_log_hist {
	enum report_log_scale scale;
	int64_t count[REPORT_LOG_BUCKETS];
	int64_t total;
};

/* The bucket of v on the scale. */
int report_log_bucket(enum report_log_scale scale, int64_t v);
/* The bucket's bounds: [lo, hi). */
int64_t report_log_lo(enum report_log_scale scale, int b);
int64_t report_log_hi(enum report_log_scale scale, int b);
/* Counts v. */
void report_log_hist_add(struct report_log_hist *h, int64_t v);
/* The first and last bucket that counted anything; false when none did. */
bool report_log_hist_range(const struct report_log_hist *h, int *first, int *last);

#endif
