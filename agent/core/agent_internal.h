/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_internal.h — what the files of the agent's core share; the API is
 * agent_core.h. State is split by owner: each struct or function below
 * belongs to the file named in its banner, which alone writes it; the other
 * files only read it.
 *
 *   agent_core.c       lifecycle (init, shutdown), the order of the steps at
 *                      request start and end, the log, the process counters
 *   agent_identity.c   producer identity (pid, producer start, sequence),
 *                      fork, random numbers
 *   agent_attach.c     the ring handle: attach with retry, leave, losses of
 *                      records made while detached (reported once attached)
 *   agent_standing.c   whether our ring is still the ring at its path
 *   agent_write.c      envelope, encode, write and loss counting
 *   agent_keep.c       keep decision: mode, forced, sampling draw, slow, failed
 *   agent_guard.c      overhead guard
 *   agent_request.c    collection: the request's facts, checkpoints, tags,
 *                      counters, route, errors and their stacks
 *   agent_profiling.c  the function profile's part in a request
 *   agent_record.c     record assembly: the request record, the fatal one
 *   agent_trace.c      trace context: traceparent, trace and span ids
 *
 * Threads: the PHP thread only (NTS). Nothing here is shared with another
 * thread or process except through the ring (ring/, which orders its own
 * accesses), so the core has no atomics; the fork handler's flag needs none
 * either (agent_identity.c says why).
 * Every symbol here is hidden: it stays inside bvapm.so and is reached
 * without the GOT, as the static struct it replaces was.
 */
#ifndef BVAPM_AGENT_INTERNAL_H
#define BVAPM_AGENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "support/bvapm_clock.h"
#include "agent_core.h"
#include "record/record.h"
#include "ring/ring_producer.h"

#pragma GCC visibility push(hidden)

/* vDSO for REALTIME/MONOTONIC: no system call (support/bvapm_clock.h) */
#define agent_clock_ns bvapm_clock_ns

/* ---- agent_core.c ---------------------------------------------------------- */

/* The configuration in force since bvapm_agent_init; its strings point at
 * the core's own copies. */
extern struct bvapm_agent_config agent_cfg;
/* Inside a request that records (between request_begin and request_end). */
extern bool agent_active;
/* One line to the module's log (PHP's error log); nothing when there is none. */
void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- agent_identity.c -------------------------------------------------------- */

struct agent_identity {
	uint32_t pid;
	uint64_t start_unix_ns; /* producer start: with the pid, names the producer */
	uint64_t sequence;      /* the last sequence number taken (from 1) */
};
extern struct agent_identity agent_identity;

void agent_identity_init(void);   /* at init: the fork handler, an identity to take */
bool agent_identity_stale(void);  /* first request of this process (or after fork) */
void agent_identity_take(void);   /* this process's identity, sequence from 0 */
uint64_t agent_next_sequence(void);
uint64_t agent_random(void);      /* xorshift64*: draws and ids, not secrets */
void agent_random_bytes(uint8_t *out, size_t n);

/* ---- agent_attach.c ---------------------------------------------------------- */

struct agent_link {
	bvapm_ring *ring;         /* NULL: not attached */
	uint64_t not_attached;    /* records made while detached (stats) */
	uint64_t attach_failures; /* failed attempts (stats) */
};
extern struct agent_link agent_link;

void agent_link_init(void);   /* at init: detached, nothing pending, counters zero */
void agent_link_forget(void); /* new process: the parent's handle unmapped, nothing pending */
/* Attaches when detached and the retry interval has passed (one log line
 * per kind of problem); once attached, reports what was lost meanwhile. */
void agent_attach(uint64_t now);
/* Leaves the ring for the file now at its path (attached at once if there
 * is one). `unread` records of ours stay behind unread: counted in the next
 * ring as `retired`. */
void agent_leave_ring(uint64_t now, uint64_t unread, const char *why);
/* Closes the handle (shutdown, or a handle the ring calls unusable); attach
 * tries again at its next turn. */
void agent_detach(void);
/* A record made while detached: counted by why (refused ring:
 * `incompatible`, else `not_attached`), reported once attached. */
void agent_count_unattached(void);

/* ---- agent_standing.c --------------------------------------------------------- */

/* Whether our ring is still the ring at its path; leaves it when not (see
 * the file). Every request: two plain loads; at most once a second: stat(2). */
void agent_check_standing(uint64_t now);
void agent_standing_reset(uint64_t now); /* attached at `now` (0: not attached) */

/* ---- agent_write.c ------------------------------------------------------------ */

struct agent_writes {
	uint64_t recorded; /* records written into the ring */
	uint64_t dropped;  /* records encoded or written in vain (counted by reason) */
};
extern struct agent_writes agent_writes;

int agent_write_init(uint32_t buffer_size); /* the encode buffer: 0 or -ENOMEM */
void agent_write_free(void);
void agent_write_forget(void); /* new process: its problems are logged again */
/* Takes the next sequence number and fills the envelope of a record made at
 * mono_now. False when there is nowhere to write it (no ring: counted by
 * agent_count_unattached; kill switch on): the number is consumed all the
 * same, so the gap shows downstream. */
bool agent_envelope(struct bvapm_rec_envelope *env, uint64_t mono_now);
/* Encode into the per-worker buffer, write into the ring, count the outcome. */
void agent_write_request(const struct bvapm_rec_envelope *env, const struct bvapm_rec_request *req);
void agent_write_fatal(const struct bvapm_rec_envelope *env, const struct bvapm_rec_fatal *rec);

/* ---- agent_keep.c ------------------------------------------------------------- */

struct agent_keep {
	enum bvapm_agent_mode mode; /* in force: the configured one or the ring's override */
	bool forced;                /* force header or cookie */
	bool drawn;                 /* kept from the start: forced, aggressive or sampled */
	bool full_detail;           /* profiled and complete: forced or aggressive, not reduced */
	bool reduced;               /* the overhead guard reduced this request's detail */
};
extern struct agent_keep agent_keep;

void agent_keep_begin(const bvapm_ring *ring, bool forced, bool reduced);
/* Why the request is kept, given its wall time and whether it failed;
 * BVAPM_REC_KEEP_UNKNOWN (0) when it is not. */
uint8_t agent_keep_end(uint64_t wall_ns, bool failed);

/* ---- agent_guard.c ------------------------------------------------------------ */

void agent_guard_init(void);
void agent_guard_forget(void);     /* new process: logged again */
bool agent_guard_begin(void);      /* true: this request runs with less detail */
void agent_guard_end(uint64_t spent_ns); /* a written record's agent time */

/* ---- agent_request.c ---------------------------------------------------------- */

struct agent_request {
	uint64_t start_wall_ns, start_mono_ns;
	uint64_t agent_ns;                /* the agent's own time so far: each entry point adds its part */
	uint64_t cpu_user_us, cpu_sys_us; /* at start */
	uint64_t mem_start;
	uint64_t peak_start;              /* the engine's peak at start (jobs: the process's so far) */
	bool job;                         /* a job (bvapm_job_start), not a request */
	bool route_named;                 /* bvapm_route() named it: detection leaves it alone */
	const char *method, *uri, *sapi;  /* copies in the request's arena */
	const char *tracestate;           /* the incoming W3C tracestate (at most 512 bytes), or NULL */
	const char *route;                /* the script's path until bvapm_route() names the endpoint */
	struct bvapm_rec_checkpoint checkpoints[BVAPM_AGENT_MAX_CHECKPOINTS];
	uint32_t checkpoint_count, checkpoints_dropped;
	struct bvapm_rec_tag tags[BVAPM_AGENT_MAX_TAGS];
	uint32_t tag_count;
	struct bvapm_rec_counter counters[BVAPM_AGENT_MAX_COUNTERS];
	uint32_t counter_count;
	struct bvapm_rec_error errors[BVAPM_AGENT_MAX_ERRORS];
	uint32_t error_count;
};
extern struct agent_request agent_req;

int agent_request_init(void); /* the string arena: 0 or -ENOMEM */
void agent_request_free(void);
/* Empties the collections and takes the request's facts and start times. */
void agent_request_begin(const struct bvapm_agent_request_start *s, uint64_t mono_now);
void agent_cpu_now(uint64_t *user_us, uint64_t *sys_us); /* getrusage(RUSAGE_SELF) */
/* The request's peak memory, given the engine's peak now. A request's is the
 * engine's (reset at each request start). A job's: the engine's peak when it
 * rose during the job; else the job never reached the process's earlier peak,
 * and the most it is known to have used is the largest of its start, its
 * checkpoints and `mem_now` (the peak is never reset: the application's
 * memory_get_peak_usage() stays what it would be without the agent). */
uint64_t agent_request_peak(uint64_t engine_peak, uint64_t mem_now);

/* ---- agent_profiling.c -------------------------------------------------------- */

struct agent_profile_result {
	const struct bvapm_rec_function *functions;
	uint32_t function_count;
	const struct bvapm_rec_call_path *paths;
	uint32_t path_count;
};

/* Allocates the profiler when `cfg->profile` (logs and goes without when it
 * cannot). */
void agent_profiling_init(const struct bvapm_agent_config *cfg);
void agent_profiling_free(void);
/* The profile's times are read from its own clock (profile_clock.h), not
 * from the request's. */
void agent_profiling_begin(bool full_detail, uint64_t mem_bytes);
/* Whether agent_profiling_begin() started the function profile for this
 * request (bvapm_agent_profiling() also needs the request to be active). */
bool agent_profiling_started(void);
/* Closes the open frames and gives the results (none when the request was
 * not profiled); the profiler is idle afterwards. */
void agent_profiling_end(uint64_t mem_bytes, struct agent_profile_result *out);
/* At a fatal error: closes the open frames, fills the top allocators. */
uint32_t agent_profiling_allocators(uint64_t mem_bytes, struct bvapm_rec_function *out, uint32_t cap);

/* ---- agent_record.c ----------------------------------------------------------- */

void agent_record_begin(void); /* a new request: no fatal record written yet */
/* Assembles the request record of a kept request whose envelope is `env`,
 * writes it, and returns the agent's own time for the request (encode and
 * write included), for the overhead guard. */
uint64_t agent_record_request(const struct bvapm_rec_envelope *env,
                              const struct bvapm_agent_request_end *e, uint64_t mono_end,
                              uint8_t keep_reason, const struct agent_profile_result *profile);

/* ---- agent_trace.c ------------------------------------------------------------ */

struct agent_trace {
	uint8_t trace_id[16], span_id[8], parent_span_id[8];
	bool has_parent; /* continued from an incoming traceparent */
	bool sampled;    /* W3C sampled flag: the caller's, or our keep draw */
	char hex[33];    /* the trace id in lowercase hex; "" outside a request */
};
extern struct agent_trace agent_trace;

/* Continues the incoming trace (traceparent, or NULL) or starts one; a new
 * span either way. */
void agent_trace_begin(const char *traceparent, bool kept);
void agent_trace_clear(void);

#pragma GCC visibility pop

#endif
