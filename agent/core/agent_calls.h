/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_calls.h — a request's timed calls, in plain C: what the wrappers of
 * outbound calls (agent/php/: curl, http:// streams, Redis, Memcached)
 * report around each call, and what the SQL capture reports of each
 * statement execution; the W3C trace context they send downstream.
 *
 * Two views of the same calls, both bounded whatever the script does:
 *   spans     the request's timeline: each call's real start and duration,
 *             the BVAPM_AGENT_MAX_SPANS longest kept (a min-heap on
 *             duration), listed by start; every call counted
 *             (span_total_count). SQL executions are spans too.
 *   external  HTTP calls and cache commands aggregated by (kind, target,
 *             name) like SQL statements: count, total and longest time,
 *             errors, bytes, keys, and the repeated flag (count >= the N+1
 *             threshold, bvapm.sql_n_plus_one_threshold); at most
 *             BVAPM_AGENT_MAX_EXTERNAL distinct entries, the rest counted.
 * Strings are copied into one arena of BVAPM_AGENT_CALLS_ARENA bytes,
 * emptied at each request start; what finds no room is cut or left out.
 *
 * Levels, decided at request start like the SQL capture's: off outside a
 * recorded request and for kinds turned off (bvapm.http_capture,
 * bvapm.cache_capture) — the wrappers test one global and call the original;
 * totals only (no spans) when the overhead guard reduced the request.
 *
 * Threads: the PHP thread only (NTS). No allocation after init.
 */
#ifndef BVAPM_AGENT_CALLS_H
#define BVAPM_AGENT_CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent_config.h"
#include "record/record.h"

#define BVAPM_AGENT_MAX_SPANS 64      /* the longest timed calls kept per request */
#define BVAPM_AGENT_MAX_EXTERNAL 64   /* distinct (kind, target, name) per request */
#define BVAPM_AGENT_CALLS_ARENA 16384 /* bytes of call names and targets per request */
#define BVAPM_AGENT_CALL_NAME_MAX 256 /* bytes of one name or target */

/* Kinds on for the current request, one bit per enum bvapm_rec_span_kind;
 * what the wrappers test first. Written at request start and end only.
 * Hidden: one direct load, no GOT. */
extern unsigned bvapm_calls_on_now __attribute__((visibility("hidden")));
static inline bool bvapm_agent_calls_on(unsigned kind) { return (bvapm_calls_on_now >> kind) & 1u; }

/* One finished call, as a wrapper saw it. */
struct bvapm_agent_call {
	uint8_t kind;                 /* BVAPM_REC_SPAN_HTTP or _CACHE */
	const char *target;           /* HTTP: "https://api.example.com:443"; cache: "redis 127.0.0.1:6379" */
	size_t target_len;
	const char *name;             /* HTTP: "GET /v1/users"; cache: the command, "GET" */
	size_t name_len;
	uint64_t start_ns, end_ns;    /* CLOCK_MONOTONIC (bvapm_agent_call_clock) */
	uint16_t status;              /* HTTP status; 0: none (no response) */
	uint64_t bytes;               /* HTTP: response bytes */
	uint32_t keys;                /* cache: keys the command names */
	const char *error;            /* NULL: succeeded; else a short reason */
	size_t error_len;
	const uint8_t *span_id;       /* 8 bytes: the id sent in traceparent; NULL: a new one */
};

/* Core side (agent_core.c): init at bvapm_agent_init; request begin with
 * what is on; the request record's spans, span_total_count and external. */
int agent_calls_init(const struct bvapm_agent_calls_config *cfg, uint32_t repeat_threshold)
    __attribute__((visibility("hidden")));
void agent_calls_free(void) __attribute__((visibility("hidden")));
void agent_calls_request_begin(bool full_detail, uint64_t start_mono_ns)
    __attribute__((visibility("hidden")));
void agent_calls_request_end(void) __attribute__((visibility("hidden")));
void agent_calls_fill(struct bvapm_rec_request *req) __attribute__((visibility("hidden")));
/* One SQL execution (agent_sql.c): a span named by the normalized text. */
void agent_calls_sql(const char *text, size_t len, uint64_t start_ns, uint64_t end_ns)
    __attribute__((visibility("hidden")));

/* Wrapper side. */
uint64_t bvapm_agent_call_clock(void); /* CLOCK_MONOTONIC ns (vDSO) */
void bvapm_agent_call_done(const struct bvapm_agent_call *c);

/* For an outbound HTTP request of the current request: "00-<trace id>-<new
 * span id>-<flags>" (55 characters and a NUL) in out, the new span id in
 * span_id; false when nothing is to be sent (no recorded request,
 * bvapm.trace_propagation=0). The caller reports the call with that span id,
 * so the next service's span is a child of this one. */
bool bvapm_agent_traceparent_out(char out[56], uint8_t span_id[8]);
/* The incoming tracestate, passed on unchanged; NULL when there was none. */
const char *bvapm_agent_tracestate(void);
/* Whether an HTTP URL keeps its query string (bvapm.http_keep_query). */
bool bvapm_agent_http_keep_query(void);

#endif
