/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_clock.h — the one nanosecond clock of every part (ring, agent,
 * drainer, tools, bench). CLOCK_REALTIME and CLOCK_MONOTONIC are read through
 * the vDSO on x86-64 (no system call with the tsc or kvm-clock clocksource),
 * so the agent and the ring may read them on the request path.
 */
#ifndef BVAPM_SUPPORT_CLOCK_H
#define BVAPM_SUPPORT_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t bvapm_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static inline uint64_t bvapm_mono_ns(void) { return bvapm_clock_ns(CLOCK_MONOTONIC); }
static inline uint64_t bvapm_wall_ns(void) { return bvapm_clock_ns(CLOCK_REALTIME); }
static inline uint64_t bvapm_mono_ms(void) { return bvapm_mono_ns() / 1000000u; }

static inline void bvapm_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

#endif
