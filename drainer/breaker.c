/* SPDX-License-Identifier: Apache-2.0 */
/*
 * breaker.c — the circuit breaker of breaker.h.
 *
 * Threads: one sink thread per breaker; no locks, no clock, no allocation.
 * The PRNG is splitmix64, enough for jitter and reproducible from the seed.
 */
#include "breaker.h"

#include <stddef.h>

/* ---- PRNG ---------------------------------------------------------------- */

static uint64_t next_random(struct bvapm_breaker *b)
{
	uint64_t z = (b->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi] (hi >= lo). The modulo bias is negligible for spans
 * of milliseconds below 2^32. */
static uint64_t uniform(struct bvapm_breaker *b, uint64_t lo, uint64_t hi)
{
	return lo + next_random(b) % (hi - lo + 1);
}

/* ---- backoff ------------------------------------------------------------- */

static uint64_t backoff_ceiling(const struct bvapm_breaker *b)
{
	uint64_t base = b->opts.base_ms, max = b->opts.max_ms;
	uint32_t shift = b->open_streak > 0 ? b->open_streak - 1 : 0;

	if (shift >= 32 || (base << shift) >= max)
		return max;
	return base << shift;
}

static uint64_t next_backoff(struct bvapm_breaker *b)
{
	uint64_t base = b->opts.base_ms, max = b->opts.max_ms, hi;

	if (b->opts.jitter == BVAPM_BREAKER_JITTER_DECORRELATED) {
		hi = b->last_backoff_ms ? 3 * b->last_backoff_ms : base;
		if (hi > max)
			hi = max;
	} else {
		hi = backoff_ceiling(b);
	}
	if (hi < base)
		hi = base;
	return uniform(b, base, hi);
}

static void open_breaker(struct bvapm_breaker *b, uint64_t now_ms, uint32_t retry_after_ms)
{
	uint64_t wait, retry_after = retry_after_ms;

	b->open_streak++;
	wait = next_backoff(b);
	b->last_backoff_ms = wait;
	if (retry_after > b->opts.max_retry_after_ms)
		retry_after = b->opts.max_retry_after_ms;
	if (retry_after > wait)
		wait = retry_after;
	b->state = BVAPM_BREAKER_OPEN;
	b->not_before_ms = now_ms + wait;
	b->probe_in_flight = false;
	b->counters.opens++;
}

/* ---- API ----------------------------------------------------------------- */

void bvapm_breaker_init(struct bvapm_breaker *b, const struct bvapm_breaker_opts *opts)
{
	static const struct bvapm_breaker_opts none;

	if (!opts)
		opts = &none;
	*b = (struct bvapm_breaker){ .opts = *opts };
	if (!b->opts.failure_threshold)
		b->opts.failure_threshold = BVAPM_BREAKER_DEFAULT_THRESHOLD;
	if (!b->opts.base_ms)
		b->opts.base_ms = BVAPM_BREAKER_DEFAULT_BASE_MS;
	if (!b->opts.max_ms)
		b->opts.max_ms = BVAPM_BREAKER_DEFAULT_MAX_MS;
	if (b->opts.max_ms < b->opts.base_ms)
		b->opts.max_ms = b->opts.base_ms;
	if (!b->opts.max_retry_after_ms)
		b->opts.max_retry_after_ms = BVAPM_BREAKER_DEFAULT_MAX_RETRY_AFTER;
	b->rng = b->opts.seed;
	b->state = BVAPM_BREAKER_CLOSED;
}

bool bvapm_breaker_allow(struct bvapm_breaker *b, uint64_t now_ms)
{
	switch (b->state) {
	case BVAPM_BREAKER_CLOSED:
		if (now_ms >= b->not_before_ms)
			return true;
		break;
	case BVAPM_BREAKER_OPEN:
		if (now_ms >= b->not_before_ms) {
			b->state = BVAPM_BREAKER_HALF_OPEN;
			b->probe_in_flight = true;
			b->counters.probes++;
			return true;
		}
		break;
	case BVAPM_BREAKER_HALF_OPEN:
		if (!b->probe_in_flight) {
			b->probe_in_flight = true;
			b->counters.probes++;
			return true;
		}
		break;
	}
	b->counters.refused++;
	return false;
}

void bvapm_breaker_success(struct bvapm_breaker *b, uint64_t now_ms)
{
	(void)now_ms;
	b->counters.successes++;
	b->consecutive_failures = 0;
	if (b->state != BVAPM_BREAKER_CLOSED)
		b->counters.closes++;
	b->state = BVAPM_BREAKER_CLOSED;
	b->open_streak = 0;
	b->last_backoff_ms = 0;
	b->not_before_ms = 0;
	b->probe_in_flight = false;
}

void bvapm_breaker_failure(struct bvapm_breaker *b, uint64_t now_ms, uint32_t retry_after_ms)
{
	uint64_t hold = retry_after_ms;

	b->counters.failures++;
	if (b->consecutive_failures < UINT32_MAX)
		b->consecutive_failures++;

	switch (b->state) {
	case BVAPM_BREAKER_CLOSED:
		if (b->consecutive_failures >= b->opts.failure_threshold) {
			open_breaker(b, now_ms, retry_after_ms);
		} else if (hold) {
			if (hold > b->opts.max_retry_after_ms)
				hold = b->opts.max_retry_after_ms;
			b->not_before_ms = now_ms + hold;
		}
		break;
	case BVAPM_BREAKER_HALF_OPEN:
		open_breaker(b, now_ms, retry_after_ms);
		break;
	case BVAPM_BREAKER_OPEN:
		/* A late report for a request allowed before the breaker opened:
		 * keep the current backoff, but honour a longer Retry-After. */
		if (hold > b->opts.max_retry_after_ms)
			hold = b->opts.max_retry_after_ms;
		if (now_ms + hold > b->not_before_ms)
			b->not_before_ms = now_ms + hold;
		break;
	}
}

enum bvapm_breaker_state bvapm_breaker_state(const struct bvapm_breaker *b)
{
	return b->state;
}

uint64_t bvapm_breaker_next_attempt_ms(const struct bvapm_breaker *b, uint64_t now_ms)
{
	switch (b->state) {
	case BVAPM_BREAKER_CLOSED:
	case BVAPM_BREAKER_OPEN:
		return b->not_before_ms > now_ms ? b->not_before_ms : now_ms;
	case BVAPM_BREAKER_HALF_OPEN:
		return b->probe_in_flight ? UINT64_MAX : now_ms;
	}
	return now_ms;
}

const char *bvapm_breaker_state_name(enum bvapm_breaker_state state)
{
	switch (state) {
	case BVAPM_BREAKER_CLOSED: return "closed";
	case BVAPM_BREAKER_OPEN: return "open";
	case BVAPM_BREAKER_HALF_OPEN: return "half-open";
	}
	return "unknown";
}
