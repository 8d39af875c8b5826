/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clock.h — the harness's time source: CLOCK_MONOTONIC through the vDSO (no
 * system call on x86-64 with the tsc or kvm-clock clocksource), in ns.
 * The cost of one reading pair is measured at start and printed as
 * timer_overhead_ns: every latency figure includes it once.
 */
#ifndef BVAPM_BENCH_CLOCK_H
#define BVAPM_BENCH_CLOCK_H

#include <stdint.h>
#include <time.h>

#include "support/bvapm_clock.h"

static inline uint64_t bench_now_ns(void) { return bvapm_mono_ns(); }

/* Sleeps (absolute, CLOCK_MONOTONIC) until close to deadline, then spins the
 * last few microseconds so a scheduled send starts on time. */
void bench_sleep_until(uint64_t deadline_ns);

/* Median cost of two back-to-back bench_now_ns() calls, in ns. */
uint64_t bench_timer_overhead_ns(void);

#endif
