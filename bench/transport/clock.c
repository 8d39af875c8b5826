/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clock.c — waiting for a scheduled send time, and measuring the cost of the
 * clock itself. Producers set their timer slack to 1 ns (run.c) so that
 * clock_nanosleep wakes close to the deadline instead of up to 50 us late.
 */
#include "clock.h"

#include <errno.h>
#include <stdlib.h>

#include "bench/histogram.h"

#define SPIN_NS 3000u /* spin instead of sleeping when this close */

void bench_sleep_until(uint64_t deadline_ns)
{
	uint64_t now = bench_now_ns();

	if (deadline_ns > now + SPIN_NS) {
		uint64_t wake = deadline_ns - SPIN_NS;
		struct timespec ts = {
			.tv_sec = (time_t)(wake / UINT64_C(1000000000)),
			.tv_nsec = (long)(wake % UINT64_C(1000000000)),
		};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	while (bench_now_ns() < deadline_ns)
		;
}

uint64_t bench_timer_overhead_ns(void)
{
	struct bench_hist *h = malloc(sizeof(*h));
	uint64_t median;

	if (!h)
		return 0;
	bench_hist_init(h);
	for (int i = 0; i < 200000; i++) {
		uint64_t t0 = bench_now_ns();
		uint64_t t1 = bench_now_ns();
		bench_hist_record(h, t1 - t0);
	}
	median = bench_hist_percentile(h, 50.0);
	free(h);
	return median;
}
