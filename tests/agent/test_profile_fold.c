/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_profile_fold.c — cmocka tests of agent/core/profile_fold.c: a
 * built-in is folded only after BVAPM_PROFILE_FOLD_AFTER_CALLS calls with a
 * mean inclusive time at or under the threshold, summed over requests; a
 * slow one never is; threshold 0 folds nothing; the table's bound leaves
 * new functions timed; folding holds for the process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdint.h>

#include "agent/core/profile_fold.h"

static int teardown(void **state)
{
	(void)state;
	bvapm_profile_fold_free();
	return 0;
}

static char fns[BVAPM_PROFILE_FOLD_CAPACITY + 8]; /* distinct addresses stand for functions */

static void test_folded_after_enough_cheap_calls(void **state)
{
	(void)state;
	assert_int_equal(bvapm_profile_fold_init(1000), 0);
	const void *trim = &fns[0];
	/* 999 calls at 100 ns: not yet */
	bvapm_profile_fold_learn(trim, 500, 500 * 100);
	bvapm_profile_fold_learn(trim, 499, 499 * 100);
	assert_false(bvapm_profile_fold_folded(trim));
	assert_int_equal(bvapm_profile_fold_count(), 0);
	/* the 1000th, summed over requests */
	bvapm_profile_fold_learn(trim, 1, 100);
	assert_true(bvapm_profile_fold_folded(trim));
	assert_int_equal(bvapm_profile_fold_count(), 1);
	/* stays folded whatever comes later */
	bvapm_profile_fold_learn(trim, 10, 10 * 1000000);
	assert_true(bvapm_profile_fold_folded(trim));
	assert_int_equal(bvapm_profile_fold_count(), 1);
}

static void test_mean_at_the_threshold_folds_above_does_not(void **state)
{
	(void)state;
	assert_int_equal(bvapm_profile_fold_init(1000), 0);
	bvapm_profile_fold_learn(&fns[1], 1000, 1000 * 1000);
	assert_true(bvapm_profile_fold_folded(&fns[1]));
	bvapm_profile_fold_learn(&fns[2], 1000, 1000 * 1000 + 1000);
	assert_false(bvapm_profile_fold_folded(&fns[2]));
	/* a slow function keeps being timed however often it is called */
	bvapm_profile_fold_learn(&fns[3], 1000000, UINT64_C(1000000) * 5000);
	assert_false(bvapm_profile_fold_folded(&fns[3]));
	/* a function never learned, or NULL */
	assert_false(bvapm_profile_fold_folded(&fns[4]));
	assert_false(bvapm_profile_fold_folded(NULL));
}

static void test_cheap_start_then_slow_not_folded_once_mean_rises(void **state)
{
	(void)state;
	assert_int_equal(bvapm_profile_fold_init(1000), 0);
	/* 600 fast calls, then 600 calls at 5 us: the mean over 1 200 is above */
	bvapm_profile_fold_learn(&fns[5], 600, 600 * 10);
	bvapm_profile_fold_learn(&fns[5], 600, 600 * 5000);
	assert_false(bvapm_profile_fold_folded(&fns[5]));
}

static void test_threshold_zero_folds_nothing(void **state)
{
	(void)state;
	assert_int_equal(bvapm_profile_fold_init(0), 0);
	bvapm_profile_fold_learn(&fns[0], 100000, 100000);
	assert_false(bvapm_profile_fold_folded(&fns[0]));
	assert_int_equal(bvapm_profile_fold_count(), 0);
}

static void test_full_table_leaves_new_functions_timed(void **state)
{
	(void)state;
	assert_int_equal(bvapm_profile_fold_init(1000), 0);
	for (uint32_t i = 0; i < BVAPM_PROFILE_FOLD_CAPACITY; i++)
		bvapm_profile_fold_learn(&fns[i], 1, 1);
	/* past the bound: not learned */
	bvapm_profile_fold_learn(&fns[BVAPM_PROFILE_FOLD_CAPACITY], 5000, 5000);
	assert_false(bvapm_profile_fold_folded(&fns[BVAPM_PROFILE_FOLD_CAPACITY]));
	/* those in the table still learn */
	bvapm_profile_fold_learn(&fns[7], 5000, 5000);
	assert_true(bvapm_profile_fold_folded(&fns[7]));
	assert_int_equal(bvapm_profile_fold_count(), 1);
}

static void test_sums_saturate(void **state)
{
	(void)state;
	assert_int_equal(bvapm_profile_fold_init(1000000000), 0);
	/* wrapped, the sum would be 9 ns over 1 000 calls */
	bvapm_profile_fold_learn(&fns[0], 1, UINT64_MAX - 10);
	bvapm_profile_fold_learn(&fns[0], 999, 20);
	assert_false(bvapm_profile_fold_folded(&fns[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_folded_after_enough_cheap_calls, teardown),
		cmocka_unit_test_teardown(test_mean_at_the_threshold_folds_above_does_not, teardown),
		cmocka_unit_test_teardown(test_cheap_start_then_slow_not_folded_once_mean_rises, teardown),
		cmocka_unit_test_teardown(test_threshold_zero_folds_nothing, teardown),
		cmocka_unit_test_teardown(test_full_table_leaves_new_functions_timed, teardown),
		cmocka_unit_test_teardown(test_sums_saturate, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
