/* SPDX-License-Identifier: Apache-2.0 */
/*
 * breaker.h — a circuit breaker for one sink: closed / open / half-open, with
 * exponential backoff, jitter from a seedable PRNG, and a receiver's
 * Retry-After honoured.
 *
 * Pure logic: the caller passes the time (milliseconds on any monotonic
 * clock) to every call, so tests drive it with a fake clock and get the same
 * answers every run. No locks: one breaker belongs to one sink thread
 * (pipeline.c keeps one per sink and decides what counts as a failure).
 *
 * States:
 *   CLOSED     requests flow. `failure_threshold` consecutive failures open
 *              the breaker. A failure that carries a Retry-After also holds
 *              requests back until then, without opening.
 *   OPEN       nothing is allowed until the backoff expires. The backoff of
 *              the k-th consecutive opening is drawn from
 *                full jitter:          uniform [base, min(max, base * 2^(k-1))]
 *                decorrelated jitter:  uniform [base, min(max, 3 * previous)]
 *              and replaced by the receiver's Retry-After when that is longer
 *              (capped at max_retry_after_ms).
 *   HALF_OPEN  the first allow() after the backoff lets one probe through;
 *              further allow() calls say no until its outcome is reported.
 *              Success closes the breaker and resets the backoff; failure
 *              opens it again with the next, longer backoff.
 *
 * The jitter's floor is `base_ms` (not 0): an open breaker never probes
 * sooner than base_ms after it opened.
 */
#ifndef BVAPM_DRAINER_BREAKER_H
#define BVAPM_DRAINER_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

enum bvapm_breaker_state {
	BVAPM_BREAKER_CLOSED = 0,
	BVAPM_BREAKER_OPEN,
	BVAPM_BREAKER_HALF_OPEN,
};

enum bvapm_breaker_jitter {
	BVAPM_BREAKER_JITTER_FULL = 0,      /* default */
	BVAPM_BREAKER_JITTER_DECORRELATED,
};

/* Defaults used for fields left 0. */
#define BVAPM_BREAKER_DEFAULT_THRESHOLD        5u
#define BVAPM_BREAKER_DEFAULT_BASE_MS          500u
#define BVAPM_BREAKER_DEFAULT_MAX_MS           60000u
#define BVAPM_BREAKER_DEFAULT_MAX_RETRY_AFTER  300000u  /* 5 min */

struct bvapm_breaker_opts {
	uint32_t failure_threshold;   /* consecutive failures that open it; 0 = 5 */
	uint32_t base_ms;             /* first backoff; 0 = 500 */
	uint32_t max_ms;              /* backoff ceiling; 0 = 60000 (raised to base_ms if lower) */
	uint32_t max_retry_after_ms;  /* longest Retry-After honoured; 0 = 300000 */
	enum bvapm_breaker_jitter jitter;
	uint64_t seed;                /* PRNG seed; the same seed gives the same backoffs */
};

struct bvapm_breaker_counters {
	uint64_t opens;               /* transitions to OPEN (from CLOSED or HALF_OPEN) */
	uint64_t probes;              /* half-open probes let through */
	uint64_t closes;              /* HALF_OPEN -> CLOSED */
	uint64_t successes;           /* bvapm_breaker_success() calls */
	uint64_t failures;            /* bvapm_breaker_failure() calls */
	uint64_t refused;             /* allow() calls answered false */
};

struct bvapm_breaker {
	struct bvapm_breaker_opts opts;       /* defaults applied */
	enum bvapm_breaker_state state;
	uint32_t consecutive_failures;        /* since the last success */
	uint32_t open_streak;                 /* openings since the last close: the exponent */
	uint64_t last_backoff_ms;             /* previous backoff (decorrelated jitter) */
	uint64_t not_before_ms;               /* OPEN: end of the backoff; CLOSED: Retry-After hold */
	bool probe_in_flight;                 /* HALF_OPEN: the probe's outcome is pending */
	uint64_t rng;                         /* PRNG state */
	struct bvapm_breaker_counters counters;
};

/* Initializes b as CLOSED. opts may be NULL (all defaults). */
void bvapm_breaker_init(struct bvapm_breaker *b, const struct bvapm_breaker_opts *opts);

/* May a request go out now? true in CLOSED (once any Retry-After hold has
 * passed), true once in HALF_OPEN (the probe; an OPEN breaker whose backoff
 * has expired becomes HALF_OPEN here), false otherwise. */
bool bvapm_breaker_allow(struct bvapm_breaker *b, uint64_t now_ms);

/* The request allowed at now_ms succeeded (the receiver answered and is
 * healthy). Resets the failure count and the backoff; closes the breaker
 * (a HALF_OPEN one after its probe, or an OPEN one on a late report). */
void bvapm_breaker_success(struct bvapm_breaker *b, uint64_t now_ms);

/* The request failed transiently. retry_after_ms is the receiver's
 * Retry-After (0 = none). Opens the breaker at the threshold, or re-opens a
 * HALF_OPEN one with the next backoff. */
void bvapm_breaker_failure(struct bvapm_breaker *b, uint64_t now_ms, uint32_t retry_after_ms);

enum bvapm_breaker_state bvapm_breaker_state(const struct bvapm_breaker *b);

/* Earliest time allow() can answer true: now_ms or earlier when it would
 * already; the end of the backoff when OPEN; UINT64_MAX in HALF_OPEN while
 * the probe's outcome is pending. */
uint64_t bvapm_breaker_next_attempt_ms(const struct bvapm_breaker *b, uint64_t now_ms);

/* "closed", "open", "half-open" ("unknown" for anything else). */
const char *bvapm_breaker_state_name(enum bvapm_breaker_state state);

#endif
