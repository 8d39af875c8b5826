/*
 * sink_runner.h — one delivery attempt of one batch through a sink guarded
 * by its circuit breaker. The drainer core calls it from the sink's thread;
 * it keeps no state of its own (the batch stays the caller's: memory buffer
 * or spool), so it is independent of how the core stores pending records.
 *
 *   if the breaker refuses     the sink is not called; result RETRY with
 *                              retry_after_ms = time until the breaker's next
 *                              attempt; batch kept
 *   OK, PARTIAL, REJECTED      the breaker records a success (the receiver
 *                              answered; a 400 is the batch's fault, not the
 *                              receiver's health); batch done
 *   RETRY                      the breaker records a failure with the sink's
 *                              retry_after_ms; batch kept
 *
 * Time: now_ms is the caller's clock (any monotonic milliseconds; tests use a
 * fake one). The outcome is reported to the breaker at now_ms plus the time
 * the send took (measured with CLOCK_MONOTONIC), so a backoff starts when the
 * failed attempt ended, not when it began.
 */
#ifndef BVAPM_DRAINER_OTLP_SINK_RUNNER_H
#define BVAPM_DRAINER_OTLP_SINK_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "breaker.h"
#include "sink.h"

/* Counters one sink thread keeps; add them to the drainer's health output. */
struct bvapm_sink_counters {
	uint64_t attempts;            /* send calls made */
	uint64_t refused;             /* batches held back by the breaker (no send) */
	uint64_t batches_ok;
	uint64_t batches_partial;
	uint64_t batches_rejected;
	uint64_t batches_retry;       /* sends that answered RETRY */
	uint64_t records_accepted;    /* OK + PARTIAL accepted */
	uint64_t records_rejected;    /* REJECTED + PARTIAL rejected: dropped for good */
	uint64_t last_send_ms;        /* duration of the last send */
};

/*
 * Delivers recs[0..n) through sink, guarded by breaker, at now_ms. Fills
 * *result (always). Returns true when the batch is done (OK, PARTIAL,
 * REJECTED: forget it, count result->accepted/rejected), false when it must
 * be kept and offered again (RETRY or breaker open; not before
 * now_ms + result->retry_after_ms, see bvapm_breaker_next_attempt_ms()).
 */
bool bvapm_sink_deliver(struct bvapm_sink *sink, struct bvapm_breaker *breaker,
	const struct bvapm_sink_record *recs, size_t n, uint64_t now_ms,
	struct bvapm_sink_result *result);

/* The same, also updating counters (may be NULL). */
bool bvapm_sink_deliver_counted(struct bvapm_sink *sink, struct bvapm_breaker *breaker,
	const struct bvapm_sink_record *recs, size_t n, uint64_t now_ms,
	struct bvapm_sink_result *result, struct bvapm_sink_counters *counters);

/* "ok", "retry", "rejected", "partial" ("unknown" otherwise). */
const char *bvapm_sink_status_name(enum bvapm_sink_status status);

#endif
