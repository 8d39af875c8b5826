/* SPDX-License-Identifier: Apache-2.0 */
/*
 * histogram.c — log-linear histogram; see histogram.h for the bucket layout.
 *
 * Bucket index of a value v:
 *   v < 64:        v itself (exact)
 *   otherwise:     with m = index of v's highest set bit (6..63) and
 *                  s = m - 6, the 64 sub-buckets of [2^m, 2^(m+1)) start at
 *                  64 + 64*s, and v lands in sub-bucket (v >> s) - 64.
 * Hand-written rather than taken from a library: Debian packages no C
 * HdrHistogram, and the whole thing is a few lines of arithmetic.
 */
#include "histogram.h"

#include <string.h>

void bench_hist_init(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

size_t bench_hist_bucket_of(uint64_t value)
{
	if (value < BENCH_HIST_SUB_COUNT)
		return (size_t)value;

	unsigned msb = 63u - (unsigned)__builtin_clzll(value);
	unsigned shift = msb - BENCH_HIST_SUB_BITS;
	uint64_t sub = (value >> shift) - BENCH_HIST_SUB_COUNT;

	return BENCH_HIST_SUB_COUNT + (size_t)shift * BENCH_HIST_SUB_COUNT + (size_t)sub;
}

uint64_t bench_hist_bucket_low(size_t bucket)
{
	if (bucket < BENCH_HIST_SUB_COUNT)
		return bucket;

	size_t shift = (bucket - BENCH_HIST_SUB_COUNT) / BENCH_HIST_SUB_COUNT;
	uint64_t sub = (bucket - BENCH_HIST_SUB_COUNT) % BENCH_HIST_SUB_COUNT;

	return (BENCH_HIST_SUB_COUNT + sub) << shift;
}

uint64_t bench_hist_bucket_high(size_t bucket)
{
	if (bucket < BENCH_HIST_SUB_COUNT)
		return bucket;

	size_t shift = (bucket - BENCH_HIST_SUB_COUNT) / BENCH_HIST_SUB_COUNT;

	return bench_hist_bucket_low(bucket) + ((UINT64_C(1) << shift) - 1);
}

void bench_hist_record(struct bench_hist *h, uint64_t value)
{
	h->buckets[bench_hist_bucket_of(value)]++;
	h->count++;
	h->sum += (double)value;
	if (value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
}

void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	if (src->count == 0)
		return;
	for (size_t i = 0; i < BENCH_HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

static uint64_t clamp_to_recorded(const struct bench_hist *h, uint64_t v)
{
	if (v > h->max)
		return h->max;
	if (v < h->min)
		return h->min;
	return v;
}

uint64_t bench_hist_percentile(const struct bench_hist *h, double q)
{
	if (h->count == 0)
		return 0;
	if (q <= 0.0)
		return h->min;
	if (q >= 100.0)
		return h->max;

	/* Rank of the value at q: ceil(q% of count), at least 1. The tolerance
	 * keeps 99.9% of 1000 at rank 999 although 99.9 / 100 * 1000 comes out
	 * as 999.0000000000001 in binary floating point. */
	double exact = q / 100.0 * (double)h->count;
	exact -= exact * 1e-12;
	uint64_t rank = (uint64_t)exact;
	if ((double)rank < exact)
		rank++;
	if (rank == 0)
		rank = 1;

	uint64_t seen = 0;
	for (size_t i = 0; i < BENCH_HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			return clamp_to_recorded(h, bench_hist_bucket_high(i));
	}
	return h->max;
}

double bench_hist_mean(const struct bench_hist *h)
{
	return h->count ? h->sum / (double)h->count : 0.0;
}

size_t bench_hist_cdf(const struct bench_hist *h,
                      void (*fn)(uint64_t value, double fraction, void *arg), void *arg)
{
	size_t points = 0;
	uint64_t seen = 0;

	for (size_t i = 0; i < BENCH_HIST_BUCKETS && seen < h->count; i++) {
		if (h->buckets[i] == 0)
			continue;
		seen += h->buckets[i];
		fn(clamp_to_recorded(h, bench_hist_bucket_high(i)),
		   (double)seen / (double)h->count, arg);
		points++;
	}
	return points;
}
