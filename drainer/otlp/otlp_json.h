/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otlp_json.h — records to one OTLP ExportTraceServiceRequest, in the OTLP
 * JSON encoding (opentelemetry-proto, JSON mapping of OTLP/HTTP).
 *
 * Mapping (docs/otlp.md has the full table):
 *   request record  one SERVER span (a job: CONSUMER); its timed calls are
 *                   CLIENT child spans with their real times and ids (a
 *                   record without them: its SQL summary entries, with
 *                   synthetic times), its checkpoints span events, its
 *                   errors "exception" events
 *   fatal record    a SERVER span with status ERROR and an exception event
 *                   (out of memory flagged in bvapm.out_of_memory)
 *   aborted record  a SERVER span with status ERROR "aborted: worker died"
 *   stats record    not exported (counters are not traces): skipped, counted
 * Spans are grouped into resourceSpans by (service, host, pid) with resource
 * attributes service.name, host.name, process.pid, telemetry.sdk.*.
 *
 * Threads: pure functions over the caller's records; any thread.
 * Guarantees: the output is valid JSON (strings that are not UTF-8 get
 * U+FFFD per invalid byte); the same records give byte-identical output
 * (ids that the producer did not supply are derived from the record's
 * identity, never random).
 */
#ifndef BVAPM_DRAINER_OTLP_JSON_H
#define BVAPM_DRAINER_OTLP_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "drainer/sink.h"

struct json_object;

struct bvapm_otlp_json_opts {
	const char *service_fallback;   /* service.name when a record has none; NULL = "php" */
	const char *host_fallback;      /* host.name when a record has none; NULL = leave out */
};

struct bvapm_otlp_json_stats {
	uint32_t records_exported;      /* records that became a span */
	uint32_t records_skipped;       /* stats records and unknown kinds */
	uint32_t spans;                 /* spans written (records' spans + their child spans) */
};

/*
 * Builds the ExportTraceServiceRequest for recs[0..n). Every record must have
 * passed bvapm_rec_verify() (the sink contract). stats may be NULL.
 *
 * Returns a new json-c object (json_object_put() it), or NULL with errno =
 *   ENOMEM   allocation failed
 */
struct json_object *bvapm_otlp_json_build(const struct bvapm_sink_record *recs, size_t n,
	const struct bvapm_otlp_json_opts *opts, struct bvapm_otlp_json_stats *stats);

/*
 * The same as a malloc()ed NUL-terminated compact JSON string; *len (may be
 * NULL) receives its length. Returns NULL with errno = ENOMEM on failure.
 */
char *bvapm_otlp_json_encode(const struct bvapm_sink_record *recs, size_t n,
	const struct bvapm_otlp_json_opts *opts, struct bvapm_otlp_json_stats *stats, size_t *len);

/* The span id of the SERVER span a record becomes (the envelope's, or the
 * derived one) and its trace id, as lowercase hex (17 and 33 bytes with the
 * NUL). For receivers and tests that match spans back to records. */
void bvapm_otlp_record_ids(const struct bvapm_sink_record *rec, char trace_hex[33], char span_hex[17]);

#endif
