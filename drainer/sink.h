/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sink.h — the interface between the drainer's buffer and a destination
 * (the embedded SQLite store, OTLP/HTTP, a null sink for benchmarks).
 *
 * A sink receives batches of verified records and says what became of them.
 * It is called from one thread only (its own sink thread); `send` may block,
 * but never longer than the sink's own configured timeout. The caller owns the
 * records' memory; a sink copies what it keeps past the call.
 *
 * Delivery contract:
 *   OK        every record is stored/acknowledged: the caller may forget them
 *   RETRY     transient failure (timeout, connection refused, 429/502/503/504,
 *             SQLITE_BUSY): nothing can be assumed delivered; the caller keeps
 *             the batch (memory or spool), tells the circuit breaker, and
 *             sends it again later — after retry_after_ms when non-zero
 *   REJECTED  permanent failure (e.g. HTTP 400): the batch is dropped and
 *             counted; sending it again would fail the same way
 *   PARTIAL   the receiver took `accepted` records and permanently rejected
 *             `rejected` ones (OTLP partial success): done, both counted
 * Records may arrive more than once (at-least-once delivery after a drainer
 * crash); a sink that can, removes duplicates by (pid, producer start,
 * sequence) — the SQLite store does.
 */
#ifndef BVAPM_DRAINER_SINK_H
#define BVAPM_DRAINER_SINK_H

#include <stddef.h>
#include <stdint.h>

struct bvapm_sink_record {
	const uint8_t *data;             /* verified Record (schemas/bvapm.fbs) */
	uint32_t len;                    /* bytes */
	uint16_t kind;                   /* enum bvapm_rec_kind */
	uint32_t pid;                    /* envelope pid */
	uint64_t producer_start_unix_ns; /* envelope producer start */
	uint64_t sequence;               /* envelope per-producer sequence */
};

enum bvapm_sink_status {
	BVAPM_SINK_OK = 0,
	BVAPM_SINK_RETRY,
	BVAPM_SINK_REJECTED,
	BVAPM_SINK_PARTIAL,
};

struct bvapm_sink_result {
	enum bvapm_sink_status status;
	uint32_t accepted;        /* OK: n; PARTIAL: taken */
	uint32_t rejected;        /* REJECTED: n; PARTIAL: refused */
	uint32_t retry_after_ms;  /* RETRY: receiver's Retry-After, 0 = use the breaker's backoff */
	char message[256];        /* one line for the log (status, receiver's words) */
};

struct bvapm_sink {
	const char *name;         /* "sqlite", "otlp", "null": config section and metric label */
	void *ctx;
	void (*send)(struct bvapm_sink *sink, const struct bvapm_sink_record *recs, size_t n,
	             struct bvapm_sink_result *out);
	void (*destroy)(struct bvapm_sink *sink);
};

#endif
