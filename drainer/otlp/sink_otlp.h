/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sink_otlp.h — the OTLP/HTTP sink: batches of records become one
 * ExportTraceServiceRequest (JSON, optionally gzip), POSTed to
 * {endpoint}/v1/traces with libcurl. Implements drainer/sink.h.
 *
 * Threads: the sink is used by one sink thread (sink.h); the constructor and
 * destroy may run on any thread but not concurrently with send. One curl easy
 * handle is reused, so the connection is kept alive between batches.
 *
 * Results (sink.h's contract; the OTLP/HTTP specification's retry rules):
 *   2xx                       OK; with partialSuccess.rejectedSpans > 0, PARTIAL
 *   429, 502, 503, 504        RETRY, Retry-After (seconds or HTTP date) in
 *                             retry_after_ms
 *   other 5xx, 1xx, 3xx       RETRY (no Retry-After unless the receiver sent one)
 *   other 4xx                 REJECTED: the receiver will never take this batch
 *   connection refused, reset, closed without an answer, DNS failure,
 *   connect or total timeout  RETRY
 * A send never blocks longer than timeout_ms (+ the time to encode the batch).
 *
 * PARTIAL converts spans to records: the receiver names a count of rejected
 * spans, not which ones, and one record can be several spans (its timed
 * calls, or its SQL summaries, as child spans). `rejected` is min(rejectedSpans, records exported): the largest
 * number of records the rejection can have touched; `accepted` the rest.
 *
 * Records that have no OTLP form (stats) are counted as accepted without
 * being sent; a batch of only those makes no request at all.
 */
#ifndef BVAPM_DRAINER_OTLP_SINK_OTLP_H
#define BVAPM_DRAINER_OTLP_SINK_OTLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drainer/sink.h"

#define BVAPM_OTLP_DEFAULT_TIMEOUT_MS          10000u
#define BVAPM_OTLP_DEFAULT_CONNECT_TIMEOUT_MS  3000u

struct bvapm_otlp_options {
	const char *endpoint;             /* "http://collector:4318": "/v1/traces" is appended
	                                     unless the URL already ends with it; required */
	uint32_t timeout_ms;              /* whole request, connect included; 0 = 10000 */
	uint32_t connect_timeout_ms;      /* TCP (+TLS) connect; 0 = 3000 */
	bool gzip;                        /* gzip the body (Content-Encoding: gzip) */
	const char *const *headers;       /* extra headers, "Name: value" each */
	size_t header_count;
	const char *service_name;         /* service.name for records that carry none; NULL = "php" */
	const char *host_name;            /* host.name for records that carry none; NULL = left out */
};

/*
 * Creates the sink (name "otlp"). The options are copied; opts may be freed
 * after the call. Destroy it with sink->destroy(sink).
 *
 * Returns the sink, or NULL with a message in err[0..errlen) when
 *   - opts or opts->endpoint is NULL or empty
 *   - the endpoint is not an http:// or https:// URL
 *   - an extra header has no ':' or contains a CR or LF
 *   - libcurl cannot be initialized, or memory runs out
 */
struct bvapm_sink *bvapm_sink_otlp_new(const struct bvapm_otlp_options *opts, char *err, size_t errlen);

/*
 * Parses an HTTP Retry-After value: delta-seconds or an HTTP date (relative
 * to now_unix_s). Returns milliseconds (capped at UINT32_MAX), 0 for a date
 * in the past, an empty or unparsable value.
 */
uint32_t bvapm_otlp_parse_retry_after(const char *value, int64_t now_unix_s);

#endif
