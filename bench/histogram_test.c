/* SPDX-License-Identifier: Apache-2.0 */
/*
 * histogram_test.c — unit tests of bench/histogram.c: bucket arithmetic at
 * every power of two, percentiles of known inputs (exact below 64, within the
 * 1/64 bucket precision above), merging, empty histograms, the CDF walk.
 * Prints TAP when run with CMOCKA_MESSAGE_OUTPUT=TAP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "histogram.h"

static struct bench_hist *new_hist(void)
{
	struct bench_hist *h = malloc(sizeof(*h));
	assert_non_null(h);
	bench_hist_init(h);
	return h;
}

/* The value v is within [low, high] of its bucket, buckets are contiguous
 * and a bucket is at most 1/64 of its lowest value wide. */
static void test_buckets_cover_every_value(void **state)
{
	(void)state;
	for (uint64_t v = 0; v < 100000; v++) {
		size_t b = bench_hist_bucket_of(v);
		assert_true(bench_hist_bucket_low(b) <= v);
		assert_true(v <= bench_hist_bucket_high(b));
	}
	for (unsigned k = 0; k < 64; k++) {
		uint64_t p = UINT64_C(1) << k;
		uint64_t probes[3] = {p, p - 1, p + (p >> 1)};
		for (int i = 0; i < 3; i++) {
			size_t b = bench_hist_bucket_of(probes[i]);
			assert_true(b < BENCH_HIST_BUCKETS);
			assert_true(bench_hist_bucket_low(b) <= probes[i]);
			assert_true(probes[i] <= bench_hist_bucket_high(b));
			uint64_t width = bench_hist_bucket_high(b) - bench_hist_bucket_low(b) + 1;
			assert_true(width == 1 || width * 64 <= bench_hist_bucket_low(b));
		}
	}
	assert_int_equal(bench_hist_bucket_of(UINT64_MAX), BENCH_HIST_BUCKETS - 1);
	assert_true(bench_hist_bucket_high(BENCH_HIST_BUCKETS - 1) == UINT64_MAX);
	for (size_t b = 1; b < BENCH_HIST_BUCKETS; b++)
		assert_true(bench_hist_bucket_low(b) == bench_hist_bucket_high(b - 1) + 1);
}

/* 1..50 are below 64: every percentile is exact. */
static void test_small_values_are_exact(void **state)
{
	(void)state;
	struct bench_hist *h = new_hist();
	for (uint64_t v = 50; v >= 1; v--)
		bench_hist_record(h, v);
	assert_int_equal(h->count, 50);
	assert_int_equal(bench_hist_percentile(h, 50.0), 25);
	assert_int_equal(bench_hist_percentile(h, 90.0), 45);
	assert_int_equal(bench_hist_percentile(h, 99.0), 50);
	assert_int_equal(bench_hist_percentile(h, 2.0), 1);
	assert_int_equal(bench_hist_percentile(h, 100.0), 50);
	assert_int_equal(h->min, 1);
	assert_int_equal(h->max, 50);
	assert_true(bench_hist_mean(h) == 25.5);
	free(h);
}

static void assert_close(uint64_t got, uint64_t want)
{
	/* Never below the true value, at most one bucket (1/64) above it. */
	assert_true(got >= want);
	assert_true(got <= want + want / 64 + 1);
}

/* 1..1,000,000 ns uniformly: percentile q is q * 10,000. */
static void test_uniform_percentiles(void **state)
{
	(void)state;
	struct bench_hist *h = new_hist();
	for (uint64_t v = 1; v <= 1000000; v++)
		bench_hist_record(h, v);
	assert_close(bench_hist_percentile(h, 50.0), 500000);
	assert_close(bench_hist_percentile(h, 90.0), 900000);
	assert_close(bench_hist_percentile(h, 99.0), 990000);
	assert_close(bench_hist_percentile(h, 99.9), 999000);
	assert_int_equal(bench_hist_percentile(h, 100.0), 1000000);
	assert_int_equal(h->max, 1000000);
	free(h);
}

/* 999 values of 100 ns and one of 50 ms: the tail shows at p99.9+ only. */
static void test_outlier_only_in_the_tail(void **state)
{
	(void)state;
	struct bench_hist *h = new_hist();
	for (int i = 0; i < 999; i++)
		bench_hist_record(h, 100);
	bench_hist_record(h, 50000000);
	assert_close(bench_hist_percentile(h, 50.0), 100);
	assert_close(bench_hist_percentile(h, 99.0), 100);
	assert_close(bench_hist_percentile(h, 99.9), 100);
	assert_close(bench_hist_percentile(h, 99.95), 50000000);
	assert_int_equal(bench_hist_percentile(h, 99.99), 50000000);
	free(h);
}

/* Two halves merged equal one histogram fed with everything. */
static void test_merge_equals_single(void **state)
{
	(void)state;
	struct bench_hist *a = new_hist(), *b = new_hist(), *all = new_hist();
	for (uint64_t v = 1; v <= 20000; v++) {
		bench_hist_record(v % 2 ? a : b, v * 37);
		bench_hist_record(all, v * 37);
	}
	struct bench_hist *merged = new_hist();
	bench_hist_merge(merged, a);
	bench_hist_merge(merged, b);
	assert_int_equal(merged->count, all->count);
	assert_int_equal(merged->min, all->min);
	assert_int_equal(merged->max, all->max);
	assert_memory_equal(merged->buckets, all->buckets, sizeof(all->buckets));
	const double qs[] = {1, 50, 90, 99, 99.9, 100};
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		assert_int_equal(bench_hist_percentile(merged, qs[i]),
		                 bench_hist_percentile(all, qs[i]));
	free(a);
	free(b);
	free(all);
	free(merged);
}

static void test_empty(void **state)
{
	(void)state;
	struct bench_hist *h = new_hist(), *other = new_hist();
	assert_int_equal(bench_hist_percentile(h, 50.0), 0);
	assert_true(bench_hist_mean(h) == 0.0);
	bench_hist_merge(other, h);
	assert_int_equal(other->count, 0);
	assert_true(other->min == UINT64_MAX);
	free(h);
	free(other);
}

struct cdf_probe {
	size_t points;
	double last_fraction;
	uint64_t last_value;
	int monotonic;
};

static void on_point(uint64_t value, double fraction, void *arg)
{
	struct cdf_probe *p = arg;
	if (p->points && (value <= p->last_value || fraction <= p->last_fraction))
		p->monotonic = 0;
	p->points++;
	p->last_value = value;
	p->last_fraction = fraction;
}

static void test_cdf_walk(void **state)
{
	(void)state;
	struct bench_hist *h = new_hist();
	bench_hist_record(h, 10);
	bench_hist_record(h, 10);
	bench_hist_record(h, 1000);
	bench_hist_record(h, 123456789);
	struct cdf_probe p = {0, 0.0, 0, 1};
	assert_int_equal(bench_hist_cdf(h, on_point, &p), 3);
	assert_int_equal(p.points, 3);
	assert_true(p.monotonic);
	assert_true(p.last_fraction == 1.0);
	assert_int_equal(p.last_value, 123456789);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_cover_every_value),
		cmocka_unit_test(test_small_values_are_exact),
		cmocka_unit_test(test_uniform_percentiles),
		cmocka_unit_test(test_outlier_only_in_the_tail),
		cmocka_unit_test(test_merge_equals_single),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_cdf_walk),
	};
	return cmocka_run_group_tests_name("bench_histogram", tests, NULL, NULL);
}
