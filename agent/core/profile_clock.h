/* SPDX-License-Identifier: Apache-2.0 */
/*
 * profile_clock.h — the function profile's clock: read twice per profiled
 * call, so it is the cheapest one that is right.
 *
 * Design. On x86-64 with an invariant TSC (the CPU's time-stamp counter runs
 * at a constant rate in every power state: /proc/cpuinfo flags constant_tsc
 * and nonstop_tsc, or CPUID 0x80000007 EDX bit 8 when /proc is not there)
 * and a kernel that has not given up on it (tsc among the available
 * clocksources), a reading is one RDTSC: ~25 cycles and no call, against a
 * clock_gettime() through the vDSO that reads the TSC, scales it and checks
 * the clocksource's sequence. Anywhere else — another architecture, no
 * invariant TSC, bvapm.profile_clock=clock_gettime — a reading is
 * CLOCK_MONOTONIC in ns (the fallback).
 *
 * The profile works in ticks of this clock (differences only: inclusive,
 * exclusive, child time) and converts its results to ns once, at the end of
 * a request, with the scale bvapm_profile_clock_calibrate() returns. That
 * scale is measured against CLOCK_MONOTONIC over the process's life: one
 * (TSC, CLOCK_MONOTONIC) pair is taken at init, another at each call of
 * calibrate(), and the rate is their ratio — so no waiting at start-up, and
 * the error of one pair (~100 ns, bounded by taking the tightest of a few
 * reads) shrinks relative to the interval as the process lives: under 10 ppm
 * after 10 ms. The fallback's scale is 1.
 *
 * The scale changes only between requests (calibrate() is called at request
 * end, and at a fatal error), and the ticks of one request are converted
 * with one scale. A calibration that gives an impossible rate (outside
 * 1 MHz..100 GHz, or a TSC that went back) turns the TSC off for the
 * process from the next request on (request_begin), never within one.
 *
 * Threads: init and calibrate on the PHP thread only (NTS); the state is
 * plain globals, written only there and never while a request is profiled.
 */
#ifndef BVAPM_AGENT_PROFILE_CLOCK_H
#define BVAPM_AGENT_PROFILE_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "support/bvapm_clock.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#define BVAPM_PROFILE_CLOCK_HAS_TSC 1
#else
#define BVAPM_PROFILE_CLOCK_HAS_TSC 0
#endif

/* ns = ticks * mult >> shift */
struct bvapm_profile_clock_scale {
	uint64_t mult;
	uint32_t shift;
};

/* One reading of both clocks, taken as close together as the machine allows. */
struct bvapm_profile_clock_pair {
	uint64_t ticks, ns;
};

/* Read on every profiled call; written only by init and calibrate. */
extern bool bvapm_profile_clock_tsc __attribute__((visibility("hidden"))); /* PC-relative, no GOT */

/* Now, in the profile clock's ticks (TSC cycles, or ns in the fallback). */
static inline uint64_t bvapm_profile_clock_now(void)
{
#if BVAPM_PROFILE_CLOCK_HAS_TSC
	if (bvapm_profile_clock_tsc)
		return __rdtsc(); /* no fence: the profile's resolution is a call, not a cycle */
#endif
	return bvapm_mono_ns();
}

/* a * b >> shift without overflow (a 128-bit product where the compiler has one) */
static inline uint64_t bvapm_mul_shift(uint64_t a, uint64_t b, uint32_t shift)
{
#ifdef __SIZEOF_INT128__
	__extension__ typedef unsigned __int128 u128;
	return (uint64_t)(((u128)a * b) >> shift);
#else
	return (uint64_t)((long double)a * (long double)b / (long double)(UINT64_C(1) << shift));
#endif
}

/* a << shift / b, for a < 2^32 or where the compiler has 128-bit integers */
static inline uint64_t bvapm_shift_div(uint64_t a, uint32_t shift, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	__extension__ typedef unsigned __int128 u128;
	u128 q = ((u128)a << shift) / b;
	return q > UINT64_MAX ? UINT64_MAX : (uint64_t)q;
#else
	long double q = (long double)a * (long double)(UINT64_C(1) << shift) / (long double)b;
	return q >= 18446744073709551615.0L ? UINT64_MAX : (uint64_t)q;
#endif
}

static inline uint64_t bvapm_profile_clock_to_ns(const struct bvapm_profile_clock_scale *s, uint64_t ticks)
{
	return bvapm_mul_shift(ticks, s->mult, s->shift);
}

/*
 * Chooses the clock for the process and takes the first calibration pair.
 * allow_tsc false (bvapm.profile_clock=clock_gettime) forces the fallback.
 * The CPU flags are read from cpuinfo_path and the kernel's clocksources
 * from clocksource_path (NULL: the system's files; tests give their own).
 * Returns true when the TSC is used. Never fails: anything unexpected means
 * the fallback.
 */
bool bvapm_profile_clock_init(bool allow_tsc, const char *cpuinfo_path, const char *clocksource_path);

/*
 * Whether a TSC may be used, from the text of /proc/cpuinfo (NULL: not
 * readable; then cpuid_invariant decides) and of the kernel's
 * available_clocksource (NULL: not readable, no objection).
 */
bool bvapm_profile_clock_tsc_usable(const char *cpuinfo, const char *clocksources, bool cpuid_invariant);

/*
 * The scale from two pairs of one clock: 0, or -EINVAL when b is not later
 * than a on both clocks, -ERANGE when the rate is outside 1 MHz..100 GHz.
 */
int bvapm_profile_clock_scale_from(const struct bvapm_profile_clock_pair *a,
                                   const struct bvapm_profile_clock_pair *b,
                                   struct bvapm_profile_clock_scale *out);

/*
 * The scale of the ticks read so far, re-measured now (one clock_gettime and
 * a few RDTSC), for a request's results. With the TSC, a calibration that
 * fails gives the last good scale (or, with none yet, a zero one: times
 * reported as 0, never wrong ones), and the TSC is off from the next
 * bvapm_profile_clock_request_begin() on.
 */
struct bvapm_profile_clock_scale bvapm_profile_clock_calibrate(void);
/* A profiled request begins: applies a failed calibration's verdict. */
void bvapm_profile_clock_request_begin(void);

/* "tsc" or "clock_gettime", and the TSC's measured rate in kHz (0: none yet). */
const char *bvapm_profile_clock_name(void);
uint64_t bvapm_profile_clock_khz(void);

#endif
