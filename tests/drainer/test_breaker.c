/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_breaker.c — every transition of the circuit breaker, driven by a fake
 * clock: threshold, refusal while open, half-open single probe, close on
 * success, re-open with growing backoff, jitter bounds for both jitter
 * kinds, Retry-After overriding (and capped), determinism of the seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "drainer/breaker.h"

static struct bvapm_breaker_opts small_opts(void)
{
	return (struct bvapm_breaker_opts){
		.failure_threshold = 3, .base_ms = 100, .max_ms = 1000, .seed = 42,
	};
}

/* Fails until the breaker opens; returns the time of the last failure. */
static uint64_t fail_until_open(struct bvapm_breaker *b, uint64_t now)
{
	for (uint32_t i = 0; i < b->opts.failure_threshold; i++) {
		assert_true(bvapm_breaker_allow(b, now));
		bvapm_breaker_failure(b, now, 0);
	}
	assert_int_equal(bvapm_breaker_state(b), BVAPM_BREAKER_OPEN);
	return now;
}

/* Setup of the tests that need one breaker with small_opts() and nothing
 * else: initialized afresh before each of them. */
static struct bvapm_breaker small;

static int small_breaker(void **state)
{
	struct bvapm_breaker_opts o = small_opts();
	bvapm_breaker_init(&small, &o);
	*state = &small;
	return 0;
}

static void test_defaults(void **state)
{
	struct bvapm_breaker b;
	(void)state;
	bvapm_breaker_init(&b, NULL);
	assert_int_equal(b.opts.failure_threshold, 5);
	assert_int_equal(b.opts.base_ms, 500);
	assert_int_equal(b.opts.max_ms, 60000);
	assert_int_equal(bvapm_breaker_state(&b), BVAPM_BREAKER_CLOSED);
	assert_string_equal(bvapm_breaker_state_name(BVAPM_BREAKER_CLOSED), "closed");
	assert_string_equal(bvapm_breaker_state_name(BVAPM_BREAKER_OPEN), "open");
	assert_string_equal(bvapm_breaker_state_name(BVAPM_BREAKER_HALF_OPEN), "half-open");
	assert_string_equal(bvapm_breaker_state_name((enum bvapm_breaker_state)9), "unknown");
	for (int i = 0; i < 4; i++)
		bvapm_breaker_failure(&b, 0, 0);
	assert_int_equal(bvapm_breaker_state(&b), BVAPM_BREAKER_CLOSED);
	bvapm_breaker_failure(&b, 0, 0);
	assert_int_equal(bvapm_breaker_state(&b), BVAPM_BREAKER_OPEN);
}

static void test_success_resets_failure_count(void **state)
{
	struct bvapm_breaker *b = *state;
	for (int round = 0; round < 10; round++) {
		bvapm_breaker_failure(b, 0, 0);
		bvapm_breaker_failure(b, 0, 0);
		bvapm_breaker_success(b, 0);
	}
	assert_int_equal(bvapm_breaker_state(b), BVAPM_BREAKER_CLOSED);
	assert_int_equal(b->counters.opens, 0);
	assert_true(bvapm_breaker_allow(b, 0));
}

static void test_open_refuses_until_backoff(void **state)
{
	struct bvapm_breaker *b = *state;
	uint64_t t = fail_until_open(b, 1000);
	uint64_t next = bvapm_breaker_next_attempt_ms(b, t);
	/* first opening: backoff exactly base (ceiling = base) */
	assert_int_equal(next, t + 100);
	assert_false(bvapm_breaker_allow(b, t));
	assert_false(bvapm_breaker_allow(b, next - 1));
	assert_int_equal(b->counters.refused, 2);
	assert_int_equal(b->counters.opens, 1);
	assert_int_equal(bvapm_breaker_state(b), BVAPM_BREAKER_OPEN);
}

static void test_half_open_single_probe_then_close(void **state)
{
	struct bvapm_breaker *b = *state;
	uint64_t t = fail_until_open(b, 0);
	uint64_t next = bvapm_breaker_next_attempt_ms(b, t);
	assert_true(bvapm_breaker_allow(b, next));
	assert_int_equal(bvapm_breaker_state(b), BVAPM_BREAKER_HALF_OPEN);
	assert_int_equal(b->counters.probes, 1);
	/* only one probe at a time */
	assert_false(bvapm_breaker_allow(b, next));
	assert_false(bvapm_breaker_allow(b, next + 100000));
	assert_int_equal(bvapm_breaker_next_attempt_ms(b, next), UINT64_MAX);
	bvapm_breaker_success(b, next + 5);
	assert_int_equal(bvapm_breaker_state(b), BVAPM_BREAKER_CLOSED);
	assert_int_equal(b->counters.closes, 1);
	assert_true(bvapm_breaker_allow(b, next + 5));
	assert_int_equal(bvapm_breaker_next_attempt_ms(b, next + 5), next + 5);
	/* backoff reset: the next opening starts at base again */
	t = fail_until_open(b, 50000);
	assert_int_equal(bvapm_breaker_next_attempt_ms(b, t), t + 100);
}

static void test_half_open_failure_reopens_with_longer_backoff(void **state)
{
	struct bvapm_breaker_opts o = small_opts();
	struct bvapm_breaker b;
	(void)state;
	o.seed = 7;
	bvapm_breaker_init(&b, &o);
	uint64_t t = fail_until_open(&b, 0);
	uint64_t ceiling = 100;
	for (int k = 2; k <= 8; k++) {
		t = bvapm_breaker_next_attempt_ms(&b, t);
		assert_true(bvapm_breaker_allow(&b, t));
		bvapm_breaker_failure(&b, t, 0);
		assert_int_equal(bvapm_breaker_state(&b), BVAPM_BREAKER_OPEN);
		ceiling = ceiling * 2 > 1000 ? 1000 : ceiling * 2;
		uint64_t wait = bvapm_breaker_next_attempt_ms(&b, t) - t;
		assert_in_range(wait, 100, ceiling);
	}
	assert_int_equal(b.counters.opens, 8);
	assert_int_equal(b.counters.probes, 7);
}

static void test_full_jitter_bounds_and_spread(void **state)
{
	struct bvapm_breaker_opts o = small_opts();
	(void)state;
	uint64_t lo = UINT64_MAX, hi = 0;
	for (uint64_t seed = 1; seed <= 500; seed++) {
		struct bvapm_breaker b;
		o.seed = seed;
		bvapm_breaker_init(&b, &o);
		b.open_streak = 20;   /* deep into the backoff: ceiling = max */
		uint64_t t = fail_until_open(&b, 0);
		uint64_t wait = bvapm_breaker_next_attempt_ms(&b, t) - t;
		assert_in_range(wait, 100, 1000);
		lo = wait < lo ? wait : lo;
		hi = wait > hi ? wait : hi;
	}
	/* jitter actually spreads the waits over the range */
	assert_true(lo < 250);
	assert_true(hi > 850);
}

static void test_decorrelated_jitter_bounds(void **state)
{
	struct bvapm_breaker_opts o = small_opts();
	struct bvapm_breaker b;
	(void)state;
	o.jitter = BVAPM_BREAKER_JITTER_DECORRELATED;
	o.max_ms = 5000;
	bvapm_breaker_init(&b, &o);
	uint64_t t = fail_until_open(&b, 0);
	uint64_t prev = bvapm_breaker_next_attempt_ms(&b, t) - t;
	assert_int_equal(prev, 100);
	for (int k = 0; k < 200; k++) {
		t = bvapm_breaker_next_attempt_ms(&b, t);
		assert_true(bvapm_breaker_allow(&b, t));
		bvapm_breaker_failure(&b, t, 0);
		uint64_t wait = bvapm_breaker_next_attempt_ms(&b, t) - t;
		uint64_t hi = 3 * prev > 5000 ? 5000 : 3 * prev;
		assert_in_range(wait, 100, hi);
		prev = wait;
	}
}

static void test_same_seed_same_backoffs(void **state)
{
	struct bvapm_breaker_opts o = small_opts();
	struct bvapm_breaker a, b;
	(void)state;
	bvapm_breaker_init(&a, &o);
	bvapm_breaker_init(&b, &o);
	uint64_t ta = fail_until_open(&a, 0), tb = fail_until_open(&b, 0);
	for (int k = 0; k < 20; k++) {
		ta = bvapm_breaker_next_attempt_ms(&a, ta);
		tb = bvapm_breaker_next_attempt_ms(&b, tb);
		assert_int_equal(ta, tb);
		assert_true(bvapm_breaker_allow(&a, ta));
		assert_true(bvapm_breaker_allow(&b, tb));
		bvapm_breaker_failure(&a, ta, 0);
		bvapm_breaker_failure(&b, tb, 0);
	}
}

static void test_retry_after_overrides_when_longer(void **state)
{
	struct bvapm_breaker *b = *state;
	bvapm_breaker_failure(b, 0, 0);
	bvapm_breaker_failure(b, 0, 0);
	bvapm_breaker_failure(b, 0, 7000);       /* opens: Retry-After 7 s > 100 ms */
	assert_int_equal(bvapm_breaker_state(b), BVAPM_BREAKER_OPEN);
	assert_int_equal(bvapm_breaker_next_attempt_ms(b, 0), 7000);
	assert_false(bvapm_breaker_allow(b, 6999));
	assert_true(bvapm_breaker_allow(b, 7000));
	/* shorter Retry-After than the backoff: the backoff wins */
	bvapm_breaker_failure(b, 7000, 1);
	uint64_t wait = bvapm_breaker_next_attempt_ms(b, 7000) - 7000;
	assert_in_range(wait, 100, 200);
}

static void test_retry_after_capped(void **state)
{
	struct bvapm_breaker_opts o = small_opts();
	struct bvapm_breaker b;
	(void)state;
	o.max_retry_after_ms = 2000;
	bvapm_breaker_init(&b, &o);
	for (int i = 0; i < 3; i++)
		bvapm_breaker_failure(&b, 10, 3600000);
	assert_int_equal(bvapm_breaker_next_attempt_ms(&b, 10), 2010);
}

static void test_retry_after_holds_closed_breaker(void **state)
{
	struct bvapm_breaker *b = *state;
	assert_true(bvapm_breaker_allow(b, 100));
	bvapm_breaker_failure(b, 100, 2000);     /* below threshold, but "come back in 2 s" */
	assert_int_equal(bvapm_breaker_state(b), BVAPM_BREAKER_CLOSED);
	assert_int_equal(bvapm_breaker_next_attempt_ms(b, 100), 2100);
	assert_false(bvapm_breaker_allow(b, 2099));
	assert_true(bvapm_breaker_allow(b, 2100));
	bvapm_breaker_success(b, 2100);
	assert_true(bvapm_breaker_allow(b, 2100));
}

static void test_late_failure_while_open(void **state)
{
	struct bvapm_breaker *b = *state;
	uint64_t t = fail_until_open(b, 0);
	uint64_t next = bvapm_breaker_next_attempt_ms(b, t);
	bvapm_breaker_failure(b, t, 0);         /* no change */
	assert_int_equal(bvapm_breaker_next_attempt_ms(b, t), next);
	assert_int_equal(b->counters.opens, 1);
	bvapm_breaker_failure(b, t, 5000);      /* longer Retry-After extends */
	assert_int_equal(bvapm_breaker_next_attempt_ms(b, t), t + 5000);
}

static void test_max_below_base(void **state)
{
	struct bvapm_breaker_opts o = { .failure_threshold = 1, .base_ms = 800, .max_ms = 10 };
	struct bvapm_breaker b;
	(void)state;
	bvapm_breaker_init(&b, &o);
	assert_int_equal(b.opts.max_ms, 800);
	bvapm_breaker_failure(&b, 0, 0);
	assert_int_equal(bvapm_breaker_next_attempt_ms(&b, 0), 800);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test_setup(test_success_resets_failure_count, small_breaker),
		cmocka_unit_test_setup(test_open_refuses_until_backoff, small_breaker),
		cmocka_unit_test_setup(test_half_open_single_probe_then_close, small_breaker),
		cmocka_unit_test(test_half_open_failure_reopens_with_longer_backoff),
		cmocka_unit_test(test_full_jitter_bounds_and_spread),
		cmocka_unit_test(test_decorrelated_jitter_bounds),
		cmocka_unit_test(test_same_seed_same_backoffs),
		cmocka_unit_test_setup(test_retry_after_overrides_when_longer, small_breaker),
		cmocka_unit_test(test_retry_after_capped),
		cmocka_unit_test_setup(test_retry_after_holds_closed_breaker, small_breaker),
		cmocka_unit_test_setup(test_late_failure_while_open, small_breaker),
		cmocka_unit_test(test_max_below_base),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
