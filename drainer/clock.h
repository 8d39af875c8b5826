/*
 * clock.h — the drainer's monotonic milliseconds (CLOCK_MONOTONIC) and its
 * short sleeps, for the main thread (daemon loop: reader, slot scan,
 * watchdog, shutdown) and the sink threads (pipeline, spool). The circuit
 * breaker reads no clock: pipeline.c passes it these milliseconds.
 */
#ifndef BVAPM_DRAINER_CLOCK_H
#define BVAPM_DRAINER_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t bvapm_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline void bvapm_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

#endif
