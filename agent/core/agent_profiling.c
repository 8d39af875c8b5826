/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_profiling.c — the function profile's part in a request: which
 * requests are profiled (full-detail ones, when bvapm.profile registered the
 * observer), the profiler's fixed bounds, and its results for the records
 * (top functions and call paths at request end, top allocators at a fatal
 * error). The profiler itself is profile.c; the engine feeds it from
 * agent/php/bvapm_observer.c.
 *
 * Everything is allocated at init: the profiler's tables and the result
 * arrays the records point into (valid until the next request starts).
 *
 * Time: the profile is fed in ticks of its own clock (profile_clock.h: the
 * TSC where it can be trusted) by the observer glue and here; the clock is
 * calibrated when a profiled request ends, and the results scaled to ns
 * with what that calibration gives.
 *
 * Threads: the PHP thread only.
 */
#include <stdio.h>
#include <stdlib.h>

#include "agent_internal.h"
#include "profile.h"
#include "profile_clock.h"
#include "profile_fold.h"

/* The profiler's fixed bounds (the INI sets top_n and max_functions). */
#define PROFILE_MAX_PATHS 4096   /* calling-context tree nodes per request */
#define PROFILE_MAX_DEPTH 512    /* frames per stack */
#define PROFILE_MAX_FIBERS 32    /* fibers with their own stack at once */
#define PROFILE_TOP_PATHS 200    /* call paths in the record */
#define PROFILE_PATH_MAX 512     /* bytes of one call path */

static bool profile_ok;  /* the profiler and its result arrays are allocated */
static bool profiling;   /* this request is profiled */
static uint32_t top_n;
static struct bvapm_rec_function *top_functions; /* top_n */
static struct bvapm_rec_call_path *top_paths;    /* PROFILE_TOP_PATHS */

void agent_profiling_init(const struct bvapm_agent_config *cfg)
{
	profile_ok = profiling = false;
	if (!cfg->profile)
		return;
	struct bvapm_profile_config pc = {
		.max_functions = cfg->profile_max_functions, .max_paths = PROFILE_MAX_PATHS,
		.max_depth = PROFILE_MAX_DEPTH, .max_fibers = PROFILE_MAX_FIBERS,
		.top_n = cfg->profile_top_n, .top_paths = PROFILE_TOP_PATHS,
		.path_max_len = PROFILE_PATH_MAX,
	};
	top_n = cfg->profile_top_n;
	top_functions = calloc(top_n, sizeof(*top_functions));
	top_paths = calloc(PROFILE_TOP_PATHS, sizeof(*top_paths));
	profile_ok = top_functions != NULL && top_paths != NULL && bvapm_profile_init(&pc) == 0 &&
	             bvapm_profile_fold_init(cfg->profile_fold_ns) == 0;
	if (profile_ok)
		bvapm_profile_clock_init(cfg->profile_clock_tsc, NULL, NULL);
	if (!profile_ok)
		agent_log("bvapm: out of memory for the function profile; requests are recorded "
		          "without it");
}

void agent_profiling_free(void)
{
	bvapm_profile_shutdown();
	bvapm_profile_fold_free();
	free(top_functions);
	free(top_paths);
	top_functions = NULL;
	top_paths = NULL;
	profile_ok = profiling = false;
}

void agent_profiling_begin(bool full_detail, uint64_t mem_bytes)
{
	profiling = profile_ok && full_detail;
	if (!profiling)
		return;
	bvapm_profile_clock_request_begin();
	bvapm_profile_request_begin(bvapm_profile_clock_now(), mem_bytes);
}

bool agent_profiling_started(void) { return profiling; }

/* Closes the open frames now, and sets the scale of the request's ticks. */
static void close_and_scale(uint64_t mem_bytes)
{
	bvapm_profile_close_all(bvapm_profile_clock_now(), mem_bytes);
	struct bvapm_profile_clock_scale s = bvapm_profile_clock_calibrate();
	bvapm_profile_set_time_scale(s.mult, s.shift);
}

void agent_profiling_end(uint64_t mem_bytes, struct agent_profile_result *out)
{
	*out = (struct agent_profile_result){top_functions, 0, top_paths, 0};
	if (!profiling)
		return;
	close_and_scale(mem_bytes);
	out->function_count = bvapm_profile_top_functions(top_functions, top_n);
	out->path_count = bvapm_profile_top_paths(top_paths, PROFILE_TOP_PATHS);
	bvapm_profile_request_end();
	profiling = false;
}

uint32_t agent_profiling_allocators(uint64_t mem_bytes, struct bvapm_rec_function *out, uint32_t cap)
{
	if (!profiling)
		return 0;
	/* the open frames hold the allocations that led here */
	close_and_scale(mem_bytes);
	return bvapm_profile_top_allocators(out, cap);
}

bool bvapm_agent_profiling(void)
{
	return agent_active && profiling;
}

const char *bvapm_agent_profile_clock(char *buf, size_t cap)
{
	uint64_t khz = bvapm_profile_clock_khz();
	if (khz == 0)
		return bvapm_profile_clock_name();
	snprintf(buf, cap, "%s, %llu kHz", bvapm_profile_clock_name(), (unsigned long long)khz);
	return buf;
}
