/* SPDX-License-Identifier: Apache-2.0 */
/*
 * histogram.h — a small log-linear latency histogram (HdrHistogram-style).
 *
 * Values are unsigned 64-bit integers (nanoseconds in the benchmarks). Values
 * below 2^BENCH_HIST_SUB_BITS are counted exactly; above that, each power of
 * two [2^k, 2^(k+1)) is split into 2^BENCH_HIST_SUB_BITS equal sub-buckets, so
 * a bucket is never wider than 1/64 (1.6 %) of the values it holds. The whole
 * range of uint64_t fits in BENCH_HIST_BUCKETS counters.
 *
 * The structure holds no pointers: it can live in a shared anonymous mapping
 * written by a child process and merged by its parent. It is not thread-safe:
 * one writer at a time; merging reads a histogram no one writes any more.
 *
 * Percentiles report the highest value equivalent to the bucket the rank falls
 * in (as HdrHistogram does), clamped to the exact recorded min and max, so a
 * reported percentile is never below the true one and at most 1.6 % above it.
 */
#ifndef BVAPM_BENCH_HISTOGRAM_H
#define BVAPM_BENCH_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_HIST_SUB_BITS 6
#define BENCH_HIST_SUB_COUNT (1u << BENCH_HIST_SUB_BITS)
/* Exact buckets for 0..63, then 64 sub-buckets for each power of two 2^6..2^63. */
#define BENCH_HIST_BUCKETS (BENCH_HIST_SUB_COUNT + (64 - BENCH_HIST_SUB_BITS) * BENCH_HIST_SUB_COUNT)

struct bench_hist {
	uint64_t count;                        /* values recorded */
	uint64_t min;                          /* exact smallest value (UINT64_MAX when empty) */
	uint64_t max;                          /* exact largest value (0 when empty) */
	double sum;                            /* for the mean */
	uint64_t buckets[BENCH_HIST_BUCKETS];  /* counts per bucket */
};

/* Empties h. */
void bench_hist_init(struct bench_hist *h);

/* Counts one value. No allocation, no system call. */
void bench_hist_record(struct bench_hist *h, uint64_t value);

/* Adds every count of src to dst. */
void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src);

/* Value at percentile q (0 < q <= 100): the smallest bucket value v such that
 * at least q % of the values are <= v's bucket, reported as the bucket's
 * highest equivalent value clamped to [min, max]. Returns 0 when empty. */
uint64_t bench_hist_percentile(const struct bench_hist *h, double q);

/* Mean of the recorded values, 0 when empty. */
double bench_hist_mean(const struct bench_hist *h);

/* Bucket arithmetic, exposed for tests and for walking the distribution. */
size_t bench_hist_bucket_of(uint64_t value);
uint64_t bench_hist_bucket_low(size_t bucket);
uint64_t bench_hist_bucket_high(size_t bucket);

/* Walks the non-empty buckets in increasing order, calling fn with the
 * bucket's highest equivalent value (clamped to max) and the fraction of all
 * values at or below it — the points of the cumulative distribution.
 * Returns the number of points visited. */
size_t bench_hist_cdf(const struct bench_hist *h,
                      void (*fn)(uint64_t value, double fraction, void *arg), void *arg);

#endif
