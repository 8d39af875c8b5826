/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_profile_clock.c — cmocka tests of agent/core/profile_clock.c: when
 * the TSC is used (CPU flags, the kernel's clocksources, the setting that
 * forces the fallback), the scale from two calibration pairs and its
 * bounds, and, on a machine whose CPU allows it, that TSC ticks converted
 * with the calibration measure a sleep as CLOCK_MONOTONIC does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/core/profile_clock.h"

static const char cpu_ok[] =
    "processor\t: 0\nvendor_id\t: GenuineIntel\n"
    "flags\t\t: fpu vme tsc msr constant_tsc rep_good nopl nonstop_tsc cpuid tsc_known_freq\n"
    "bugs\t\t: spectre_v1\n";
static const char cpu_no_nonstop[] = "processor\t: 0\nflags\t\t: fpu tsc constant_tsc rep_good\n";
/* the words only as parts of others, or outside the flags line */
static const char cpu_lookalike[] =
    "processor\t: 0\nflags\t\t: fpu tsc xconstant_tsc nonstop_tsc_x\nbugs\t\t: constant_tsc nonstop_tsc\n";

static void test_tsc_usable(void **state)
{
	(void)state;
	assert_true(bvapm_profile_clock_tsc_usable(cpu_ok, NULL, false));
	assert_true(bvapm_profile_clock_tsc_usable(cpu_ok, "tsc hpet acpi_pm \n", false));
	assert_true(bvapm_profile_clock_tsc_usable(cpu_ok, "kvm-clock tsc acpi_pm\n", false));
	/* the kernel dropped the TSC (unsynchronised, unstable) */
	assert_false(bvapm_profile_clock_tsc_usable(cpu_ok, "hpet acpi_pm \n", false));
	assert_false(bvapm_profile_clock_tsc_usable(cpu_ok, "notsc hpet\n", false));
	assert_false(bvapm_profile_clock_tsc_usable(cpu_no_nonstop, NULL, true)); /* cpuinfo decides */
	assert_false(bvapm_profile_clock_tsc_usable(cpu_lookalike, NULL, false));
	assert_false(bvapm_profile_clock_tsc_usable("", NULL, false));
	/* no /proc: CPUID's invariant-TSC bit decides */
	assert_true(bvapm_profile_clock_tsc_usable(NULL, NULL, true));
	assert_false(bvapm_profile_clock_tsc_usable(NULL, NULL, false));
	assert_false(bvapm_profile_clock_tsc_usable(NULL, "hpet\n", true));
}

static void test_scale_from(void **state)
{
	(void)state;
	struct bvapm_profile_clock_scale s = {0, 0};
	/* 3 GHz: 3e9 ticks in one second */
	struct bvapm_profile_clock_pair a = {1000, 5000}, b = {1000 + UINT64_C(3000000000), 5000 + UINT64_C(1000000000)};
	assert_int_equal(bvapm_profile_clock_scale_from(&a, &b, &s), 0);
	assert_int_equal(bvapm_profile_clock_to_ns(&s, UINT64_C(3000000000)), 999999999);
	assert_int_equal(bvapm_profile_clock_to_ns(&s, 3000), 999);
	/* a day of ticks does not overflow */
	uint64_t day = UINT64_C(86400) * 3000000000u;
	uint64_t ns = bvapm_profile_clock_to_ns(&s, day);
	assert_true(ns > UINT64_C(86399) * 1000000000u && ns <= UINT64_C(86400) * 1000000000u);
	/* 1 MHz and 100 GHz are the bounds */
	struct bvapm_profile_clock_pair slow = {1000 + 1000000, 5000 + UINT64_C(1000000000)};
	assert_int_equal(bvapm_profile_clock_scale_from(&a, &slow, &s), 0);
	struct bvapm_profile_clock_pair too_slow = {1000 + 999, 5000 + UINT64_C(1000000)};
	assert_int_equal(bvapm_profile_clock_scale_from(&a, &too_slow, &s), -ERANGE);
	struct bvapm_profile_clock_pair too_fast = {1000 + UINT64_C(200000000000), 5000 + UINT64_C(1000000000)};
	assert_int_equal(bvapm_profile_clock_scale_from(&a, &too_fast, &s), -ERANGE);
	/* not later on both clocks */
	assert_int_equal(bvapm_profile_clock_scale_from(&b, &a, &s), -EINVAL);
	struct bvapm_profile_clock_pair same_ns = {5000, 5000};
	assert_int_equal(bvapm_profile_clock_scale_from(&a, &same_ns, &s), -EINVAL);
}

/* A file with `text`, for init's paths. */
static const char *file_with(const char *name, const char *text)
{
	static char path[4][256];
	static int n;
	char *p = path[n++ % 4];
	snprintf(p, sizeof(path[0]), "/tmp/bvapm-test-clock-%d-%s", (int)getpid(), name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static void test_init_fallbacks(void **state)
{
	(void)state;
	const char *ok = file_with("ok", cpu_ok), *no = file_with("no", cpu_no_nonstop);
	const char *src = file_with("src", "tsc hpet\n"), *nosrc = file_with("nosrc", "hpet acpi_pm\n");
	/* the setting forces the fallback whatever the CPU */
	assert_false(bvapm_profile_clock_init(false, ok, src));
	assert_string_equal(bvapm_profile_clock_name(), "clock_gettime");
	struct bvapm_profile_clock_scale s = bvapm_profile_clock_calibrate();
	assert_int_equal(s.mult, 1);
	assert_int_equal(s.shift, 0);
	/* the fallback's ticks are CLOCK_MONOTONIC's ns */
	uint64_t t = bvapm_profile_clock_now(), m = bvapm_mono_ns();
	assert_true(m >= t && m - t < UINT64_C(1000000000));
	/* a CPU without nonstop_tsc, a kernel without the tsc clocksource */
	assert_false(bvapm_profile_clock_init(true, no, src));
	assert_false(bvapm_profile_clock_init(true, ok, nosrc));
	assert_string_equal(bvapm_profile_clock_name(), "clock_gettime");
	assert_int_equal(bvapm_profile_clock_khz(), 0);
	/* unreadable files: CPUID decides, the kernel is not asked */
	bool by_cpuid = bvapm_profile_clock_init(true, "/nonexistent/cpuinfo", "/nonexistent/src");
	(void)by_cpuid; /* either answer is right; it must not crash */
	unlink(ok);
	unlink(no);
	unlink(src);
	unlink(nosrc);
}

/* With the TSC (where the CPU has one): a sleep measured in converted ticks
 * matches CLOCK_MONOTONIC; the rate is plausible. */
static void test_tsc_measures_a_sleep(void **state)
{
	(void)state;
	const char *ok = file_with("ok2", cpu_ok), *src = file_with("src2", "tsc\n");
	if (!BVAPM_PROFILE_CLOCK_HAS_TSC || !bvapm_profile_clock_init(true, ok, src)) {
		unlink(ok);
		unlink(src);
		skip();
	}
	assert_string_equal(bvapm_profile_clock_name(), "tsc");
	bvapm_profile_clock_request_begin();
	uint64_t t0 = bvapm_profile_clock_now(), m0 = bvapm_mono_ns();
	usleep(20000);
	uint64_t t1 = bvapm_profile_clock_now(), m1 = bvapm_mono_ns();
	struct bvapm_profile_clock_scale s = bvapm_profile_clock_calibrate();
	assert_int_not_equal(s.mult, 0);
	uint64_t khz = bvapm_profile_clock_khz();
	assert_true(khz > 1000 && khz < 100000000);
	int64_t ticks_ns = (int64_t)bvapm_profile_clock_to_ns(&s, t1 - t0), mono = (int64_t)(m1 - m0);
	assert_true(mono >= 20000000);
	/* within 1 % (the calibration spans the sleep: its error is far less) */
	assert_true(llabs(ticks_ns - mono) < mono / 100);
	unlink(ok);
	unlink(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsc_usable),
		cmocka_unit_test(test_scale_from),
		cmocka_unit_test(test_init_fallbacks),
		cmocka_unit_test(test_tsc_measures_a_sleep),
	};
	return cmocka_run_group_tests_name("agent profile clock", tests, NULL, NULL);
}
