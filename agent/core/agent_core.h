/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_core.h — what bvapm.so does for each request, in plain C (no PHP
 * headers), so it can be tested with cmocka against a real ring.
 *
 * The engine glue (agent/php/) feeds it facts — request
 * start and end, memory figures the engine reports, checkpoints, tags,
 * counters, errors — and the core decides whether to keep the request, builds
 * the FlatBuffers record into a per-worker buffer and writes it into the ring.
 *
 * Threads: one core per worker process, used by the PHP thread only (NTS).
 * Guarantees: never fails the request — every problem (no ring, ring full,
 * incompatible ABI, permission denied, corrupt header) ends in a counted loss
 * and at most one log line per worker and kind of problem; no allocation after
 * bvapm_agent_init(); between request end and the record's commit, no system
 * call but the getrusage() that measures CPU time.
 */
#ifndef BVAPM_AGENT_CORE_H
#define BVAPM_AGENT_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent_config.h"
#include "record/record.h"

#define BVAPM_AGENT_MAX_TAGS 32
#define BVAPM_AGENT_MAX_COUNTERS 32
#define BVAPM_AGENT_MAX_ERRORS 8
#define BVAPM_AGENT_ARENA 16384     /* bytes for request strings */
#define BVAPM_AGENT_REDUCED_REQUESTS 100 /* requests run with less detail after budget overruns */
#define BVAPM_AGENT_OVERRUNS_TO_REDUCE 2 /* requests in a row past the budget that reduce detail */
#define BVAPM_AGENT_ERROR_FRAMES 64     /* stack frames kept for the errors of one request */
#define BVAPM_AGENT_FATAL_FRAMES 64     /* stack frames in a fatal-error record */
#define BVAPM_AGENT_TOP_ALLOCATORS 10   /* functions in a fatal-error record, by memory */

/* Where a log line goes (the module sends it to PHP's error log). */
typedef void (*bvapm_agent_log_fn)(const char *line);

/* Facts about a request at its start, from the SAPI. */
struct bvapm_agent_request_start {
	const char *method, *uri, *script, *sapi;
	const char *traceparent;      /* incoming W3C header, or NULL */
	const char *tracestate;       /* incoming W3C tracestate, or NULL: passed on with outbound calls */
	bool forced;                  /* force header or cookie present */
	bool job;                     /* a job of a long-running process (bvapm_job_start) */
	uint64_t mem_bytes;           /* memory in use, as the engine reports it */
	uint64_t mem_peak_bytes;      /* the engine's peak so far (a job's starts mid-process) */
};

/* Facts at its end. */
struct bvapm_agent_request_end {
	uint16_t status;              /* HTTP status (0 for CLI) */
	bool failed;                  /* uncaught exception or fatal error */
	uint64_t mem_bytes, mem_peak_bytes, mem_limit_bytes;
};

struct bvapm_agent_stats {
	uint64_t requests, recorded, dropped, not_attached, attach_failures;
};

/* One-time set-up (MINIT): checks the config against the bounds of
 * agent_config.h, copies it, allocates the encode buffer, the string arena,
 * the SQL table and the profiler. Returns 0; -EINVAL when a setting is out
 * of its bounds (one log line names it); -ENOMEM. On failure the agent stays
 * off. */
int bvapm_agent_init(const struct bvapm_agent_config *cfg, bvapm_agent_log_fn log);
void bvapm_agent_shutdown(void); /* MSHUTDOWN: detaches, frees */

/* Request hooks (RINIT / RSHUTDOWN). request_begin is cheap for requests
 * that will not be kept: a sampling draw, clock reads, one getrusage. */
void bvapm_agent_request_begin(const struct bvapm_agent_request_start *start);
void bvapm_agent_request_end(const struct bvapm_agent_request_end *end);

/* PHP API (bvapm_checkpoint, bvapm_tag, bvapm_count, bvapm_trace_id) and
 * engine facts. All are bounded: past the limits entries are dropped and the
 * record says how many. */
void bvapm_agent_checkpoint(const char *label, size_t len, uint64_t mem_bytes, uint64_t peak_bytes);
void bvapm_agent_tag(const char *key, size_t klen, const char *value, size_t vlen);
/* Names the request's endpoint (a framework's route pattern): the record's
 * route, instead of the script path. At most 256 bytes; last call wins. */
void bvapm_agent_route(const char *name, size_t len);
/* A route found without the application's help (a framework's own state at
 * the end of the request): taken unless bvapm_route() named the request. */
void bvapm_agent_route_detected(const char *name, size_t len);
/* The current request is a job (bvapm_job_start), not a web or CLI request. */
bool bvapm_agent_in_job(void);
void bvapm_agent_count(const char *name, size_t len, int64_t by);
void bvapm_agent_error(const char *type, const char *message, size_t mlen, const char *file,
                       uint32_t line);
/* An error with a stack (uncaught exception): like bvapm_agent_error, the
 * frames (innermost first, at most BVAPM_AGENT_ERROR_FRAMES per request,
 * strings copied) and the true depth. */
void bvapm_agent_error_stack(const char *type, const char *message, size_t mlen, const char *file,
                             uint32_t line, const struct bvapm_rec_frame *frames, uint32_t nframes,
                             uint32_t depth);

/* A fatal error (out of memory included), reported before the engine bails
 * out: a FatalError record is written at once — the request may never reach
 * its end — with the request's identity, checkpoints, memory, stack and,
 * when the request is profiled, the top allocating functions (open frames
 * are closed at this point). At most one per request; the request record
 * still follows at request end. Allocates nothing. */
struct bvapm_agent_fatal {
	const char *type, *message;   /* message: mlen bytes */
	size_t mlen;
	const char *file;
	uint32_t line;
	bool out_of_memory;
	uint64_t mem_bytes, mem_peak_bytes, mem_limit_bytes;
	const struct bvapm_rec_frame *stack; /* innermost first */
	uint32_t frame_count, stack_depth;
};
void bvapm_agent_fatal(const struct bvapm_agent_fatal *f);

/* The current request is being profiled (the observer's handlers run). */
bool bvapm_agent_profiling(void);
/* The function profile's clock, for php --ri: "tsc, 2 995 123 kHz" (once
 * calibrated), "tsc" or "clock_gettime"; written into buf. */
const char *bvapm_agent_profile_clock(char *buf, size_t cap);

/* 32 lowercase hex digits of the current trace id ("" outside a request). */
const char *bvapm_agent_trace_id(void);

bool bvapm_agent_enabled(void);           /* configured on (INI, SAPI) */
bool bvapm_agent_active(void);            /* inside a request that records */
bool bvapm_agent_attached(void);
void bvapm_agent_get_stats(struct bvapm_agent_stats *out);

/* Parses "00-<32 hex>-<16 hex>-<2 hex>"; returns true and fills the ids when
 * valid (all-zero ids are invalid, as the W3C spec says). */
bool bvapm_agent_parse_traceparent(const char *header, uint8_t trace_id[16], uint8_t span_id[8],
                                   bool *sampled);

#endif
