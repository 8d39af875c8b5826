/* SPDX-License-Identifier: Apache-2.0 */
/*
 * profile.h — the function profiler of bvapm.so, in plain C (no PHP headers),
 * fed by the observer glue (bvapm_observer.c) and tested by cmocka.
 *
 * What it measures, per request: for every function (user and internal) its
 * calls, inclusive and exclusive wall time and memory delta; and for every
 * call path (calling-context tree node: the chain of functions from the
 * outermost frame) its calls, inclusive and exclusive time, which is what a
 * flame graph is drawn from.
 *
 * Definitions:
 *   - A call is one begin/end pair. A generator is entered at each resume and
 *     left at each yield, so each resume counts as a call and the time it
 *     spends suspended counts nowhere.
 *   - exclusive = inclusive - inclusive of the calls made from it. Summed over
 *     all functions (or all paths) it gives the profiled wall time once.
 *   - A function's inclusive time and memory delta count only its outermost
 *     activation: under recursion (fib calling fib) the inner calls add to
 *     `calls` and `exclusive`, not again to `inclusive`. (Activations open in
 *     a suspended fiber count as open: a call of the same function meanwhile
 *     adds no inclusive time.)
 *   - Fibers: each fiber has its own stack. While a fiber runs, the frame that
 *     resumed it (Fiber::start / resume) is its caller for time accounting
 *     (the fiber's run is child time there); while a fiber is suspended its
 *     open frames do not accrue time. A fiber's first frame hangs under the
 *     path of the frame that started it.
 *   - A frame whose end never comes (exception unwinding past a missed end,
 *     exit(), a fatal error) is closed when a frame below it on the same stack
 *     ends, or at bvapm_profile_close_all(), at that time.
 *
 * Bounds: everything is allocated once by bvapm_profile_init(); no allocation
 * per call or per request. Past max_functions distinct functions, calls are
 * counted under "(other)"; past max_paths call-path nodes, under the path
 * "(other)"; past max_depth frames on one stack, deeper calls are counted as
 * part of the deepest tracked frame; past max_fibers concurrent fibers, the
 * extra fibers' calls are not profiled (counted in `untracked_calls`).
 *
 * Threads: one profiler per process, used by the PHP thread only (NTS).
 */
#ifndef BVAPM_AGENT_PROFILE_H
#define BVAPM_AGENT_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record/record.h"

#define BVAPM_PROFILE_NAME_MAX 255 /* bytes of a function name (longer are cut) */

struct bvapm_profile_config {
	uint32_t max_functions; /* distinct functions per request, "(other)" included (>= 2) */
	uint32_t max_paths;     /* call-path nodes per request (>= 2) */
	uint32_t max_depth;     /* frames per stack (>= 1) */
	uint32_t max_fibers;    /* fibers with their own stack at the same time */
	uint32_t top_n;         /* functions in the record, by exclusive time */
	uint32_t top_paths;     /* call paths in the record, by exclusive time */
	uint32_t path_max_len;  /* bytes of one path string (>= 64) */
};

/* Writes the name of the function `key` stands for into out[0..cap) and
 * returns its length (cut to cap). Called once per function and request, the
 * first time the profiler meets it; must not allocate nor fail. */
typedef size_t (*bvapm_profile_name_fn)(const void *key, const void *arg, char *out, size_t cap);

struct bvapm_profile_stats {
	uint64_t calls;            /* begins seen while profiling */
	uint64_t untracked_calls;  /* in fibers past max_fibers */
	uint64_t unmatched_ends;   /* ends with no open frame for them (ignored) */
	uint64_t closed_open;      /* frames closed without their own end */
	uint32_t functions;        /* distinct functions (excluding "(other)") */
	uint32_t paths;            /* call-path nodes used */
	uint32_t max_depth_seen;
};

/* One-time set-up: allocates every table. 0 or -ENOMEM (profiler stays off). */
int bvapm_profile_init(const struct bvapm_profile_config *cfg);
void bvapm_profile_shutdown(void);

/* Starts profiling a request (clears the tables, O(tables used last time)). */
void bvapm_profile_request_begin(uint64_t now_ns, uint64_t mem_bytes);

/* True between request_begin and request_end. Written by those two only,
 * read by the observer glue before each call's clock reads (PHP thread
 * only: plain loads and stores). */
extern bool bvapm_profile_on __attribute__((visibility("hidden"))); /* PC-relative, no GOT */
static inline bool bvapm_profile_active(void) { return bvapm_profile_on; }

/*
 * A call begins / ends. `frame` identifies the activation (the engine's
 * execute_data: the same pointer for begin and end, stable across a
 * generator's resumes; never NULL); `key` identifies the function (stable for the
 * request); name_fn(key, name_arg) gives its name the first time.
 */
void bvapm_profile_begin(const void *frame, const void *key, bvapm_profile_name_fn name_fn,
                         const void *name_arg, uint64_t now_ns, uint64_t mem_bytes);
/*
 * The same, with a word the caller keeps per function (`slot`; NULL: none):
 * the glue gives the function's slot in the engine's run-time cache, which
 * the engine zeroes for each request. The profiler stores the function's
 * table index there and, at the next call, takes it when the entry at that
 * index is still this key's — a hint checked at each use, never trusted: a
 * zeroed, stale (an earlier request's index) or shared slot only costs the
 * hash lookup it saves.
 */
void bvapm_profile_begin_cached(const void *frame, uintptr_t *slot, const void *key,
                                bvapm_profile_name_fn name_fn, const void *name_arg,
                                uint64_t now_ns, uint64_t mem_bytes);
void bvapm_profile_end(const void *frame, uint64_t now_ns, uint64_t mem_bytes);

/* Execution switches from one fiber context to another (NULL = the main
 * context is not known by pointer; use the pointer the engine gives). The
 * first switch away from the main context names it. */
void bvapm_profile_fiber_switch(const void *from, const void *to, uint64_t now_ns);
/* A fiber context is destroyed: its frames are closed, its stack freed. */
void bvapm_profile_fiber_destroy(const void *ctx, uint64_t now_ns, uint64_t mem_bytes);

/* Closes every open frame of every stack at now (request end, exit(), fatal
 * error). Ends that arrive afterwards for those frames are ignored. */
void bvapm_profile_close_all(uint64_t now_ns, uint64_t mem_bytes);

/* Times are taken in the caller's clock ticks (`now_ns` is whatever unit
 * the caller's clock counts; differences only) and converted to ns in the
 * results as ticks * mult >> shift (128-bit product). Default 1, 0: the
 * clock counts ns. Set it before asking for results. */
void bvapm_profile_set_time_scale(uint64_t mult, uint32_t shift);

/*
 * Results, after close_all. Each fills `out` (up to `cap` entries, largest
 * first) with pointers into the profiler's tables, valid until the next
 * request_begin, and returns the count.
 *   top_functions   by exclusive time (ties: inclusive)
 *   top_allocators  by mem_delta_bytes, positive deltas only
 *   top_paths       by exclusive time; each path "a;b;c" outermost first
 */
/* The last profiled request's totals of one function (calls, inclusive ns),
 * until the next request begins; false: not met in it. */
bool bvapm_profile_function_totals(const void *key, uint64_t *calls, uint64_t *incl_ns);
uint32_t bvapm_profile_top_functions(struct bvapm_rec_function *out, uint32_t cap);
uint32_t bvapm_profile_top_allocators(struct bvapm_rec_function *out, uint32_t cap);
uint32_t bvapm_profile_top_paths(struct bvapm_rec_call_path *out, uint32_t cap);

/* Ends the request: the profiler is inactive until the next request_begin. */
void bvapm_profile_request_end(void);

void bvapm_profile_get_stats(struct bvapm_profile_stats *out);
const struct bvapm_profile_config *bvapm_profile_config(void);

#endif
