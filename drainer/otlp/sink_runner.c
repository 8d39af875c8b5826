/*
 * sink_runner.c — a batch through a sink behind its breaker (sink_runner.h).
 * Threads: the sink's own thread; no state besides the caller's arguments.
 */
#include "sink_runner.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include "../clock.h"

const char *bvapm_sink_status_name(enum bvapm_sink_status status)
{
	switch (status) {
	case BVAPM_SINK_OK: return "ok";
	case BVAPM_SINK_RETRY: return "retry";
	case BVAPM_SINK_REJECTED: return "rejected";
	case BVAPM_SINK_PARTIAL: return "partial";
	}
	return "unknown";
}

bool bvapm_sink_deliver_counted(struct bvapm_sink *sink, struct bvapm_breaker *breaker,
	const struct bvapm_sink_record *recs, size_t n, uint64_t now_ms,
	struct bvapm_sink_result *result, struct bvapm_sink_counters *counters)
{
	struct bvapm_sink_counters none;
	struct bvapm_sink_counters *c = counters ? counters : &none;

	memset(result, 0, sizeof *result);
	if (!bvapm_breaker_allow(breaker, now_ms)) {
		uint64_t next = bvapm_breaker_next_attempt_ms(breaker, now_ms);
		uint64_t wait = next > now_ms ? next - now_ms : 0;
		result->status = BVAPM_SINK_RETRY;
		result->retry_after_ms = wait > UINT32_MAX ? UINT32_MAX : (uint32_t)wait;
		snprintf(result->message, sizeof result->message,
			"%s: circuit breaker %s, next attempt in %u ms", sink->name,
			bvapm_breaker_state_name(bvapm_breaker_state(breaker)), result->retry_after_ms);
		c->refused++;
		return false;
	}

	uint64_t t0 = bvapm_mono_ms();
	sink->send(sink, recs, n, result);
	uint64_t took = bvapm_mono_ms() - t0;
	uint64_t end = now_ms + took;
	c->attempts++;
	c->last_send_ms = took;

	switch (result->status) {
	case BVAPM_SINK_OK:
		bvapm_breaker_success(breaker, end);
		c->batches_ok++;
		c->records_accepted += result->accepted;
		return true;
	case BVAPM_SINK_PARTIAL:
		bvapm_breaker_success(breaker, end);
		c->batches_partial++;
		c->records_accepted += result->accepted;
		c->records_rejected += result->rejected;
		return true;
	case BVAPM_SINK_REJECTED:
		bvapm_breaker_success(breaker, end);
		c->batches_rejected++;
		c->records_rejected += result->rejected;
		return true;
	case BVAPM_SINK_RETRY:
		break;
	}
	bvapm_breaker_failure(breaker, end, result->retry_after_ms);
	c->batches_retry++;
	return false;
}

bool bvapm_sink_deliver(struct bvapm_sink *sink, struct bvapm_breaker *breaker,
	const struct bvapm_sink_record *recs, size_t n, uint64_t now_ms,
	struct bvapm_sink_result *result)
{
	return bvapm_sink_deliver_counted(sink, breaker, recs, n, now_ms, result, NULL);
}
