/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_record.c — record assembly: the request record of a kept request,
 * from what the request collected (agent_request.c), the keep decision, the
 * function profile and the SQL capture; and the fatal-error record, written
 * from the engine's error callback before the engine bails out, so that it
 * reaches the ring even though the request dies.
 *
 * A fatal-error record takes a sequence number of its own, at most once per
 * request; the request record still follows at request end. Its path
 * allocates nothing: the stack comes from the caller's buffers, the top
 * allocators live on this stack, and the record is encoded into the
 * per-worker buffer (agent_write.c).
 *
 * Threads: the PHP thread only.
 */
#include "agent_internal.h"
#include "agent_calls.h"
#include "agent_sampler.h"
#include "agent_sql.h"

static bool fatal_written; /* this request's fatal-error record */

void agent_record_begin(void)
{
	fatal_written = false;
}

uint64_t agent_record_request(const struct bvapm_rec_envelope *env,
                              const struct bvapm_agent_request_end *e, uint64_t t1,
                              uint8_t keep_reason, const struct agent_profile_result *profile)
{
	uint64_t user, sys;

	agent_cpu_now(&user, &sys);
	struct bvapm_rec_request req = {
		.method = bvapm_rec_cstr(agent_req.method),
		.uri = bvapm_rec_cstr(agent_req.uri),
		.route = bvapm_rec_cstr(agent_req.route),
		.sapi = bvapm_rec_cstr(agent_req.sapi),
		.status = e->status,
		.mode = (uint8_t)agent_keep.mode,
		.keep_reason = keep_reason,
		.detail_reduced = agent_keep.reduced,
		.start_unix_ns = agent_req.start_wall_ns,
		.wall_ns = t1 - agent_req.start_mono_ns,
		.cpu_user_us = user - agent_req.cpu_user_us,
		.cpu_sys_us = sys - agent_req.cpu_sys_us,
		.mem_start_bytes = agent_req.mem_start,
		.mem_end_bytes = e->mem_bytes,
		.mem_peak_bytes = agent_request_peak(e->mem_peak_bytes, e->mem_bytes),
		.mem_limit_bytes = e->mem_limit_bytes,
		.kind = agent_req.job ? BVAPM_REC_REQUEST_KIND_JOB : BVAPM_REC_REQUEST_KIND_REQUEST,
		.checkpoints = agent_req.checkpoints,
		.checkpoint_count = agent_req.checkpoint_count,
		.errors = agent_req.errors,
		.error_count = agent_req.error_count,
		.tags = agent_req.tags,
		.tag_count = agent_req.tag_count,
		.counters = agent_req.counters,
		.counter_count = agent_req.counter_count,
		.functions = profile->functions,
		.function_count = profile->function_count,
		.call_paths = profile->paths,
		.call_path_count = profile->path_count,
	};
	agent_req.agent_ns += bvapm_agent_sql_fill(&req);
	agent_calls_fill(&req);
	if (req.call_path_count == 0 && req.function_count == 0) /* no exact profile: the samples */
		req.call_path_count = agent_sampler_paths(&req.call_paths);
	uint64_t t_enc = agent_clock_ns(CLOCK_MONOTONIC);
	req.agent_ns = agent_req.agent_ns + (t_enc - t1);
	agent_write_request(env, &req);
	return req.agent_ns + (agent_clock_ns(CLOCK_MONOTONIC) - t_enc);
}

void bvapm_agent_fatal(const struct bvapm_agent_fatal *f)
{
	if (!agent_active || fatal_written)
		return;
	fatal_written = true;
	uint64_t t0 = agent_clock_ns(CLOCK_MONOTONIC);
	struct bvapm_rec_function allocators[BVAPM_AGENT_TOP_ALLOCATORS];
	uint32_t nallocators =
	    agent_profiling_allocators(f->mem_bytes, allocators, BVAPM_AGENT_TOP_ALLOCATORS);
	/* a record of its own, with its own sequence number */
	struct bvapm_rec_envelope env;
	if (!agent_envelope(&env, t0))
		return;
	struct bvapm_rec_fatal rec = {
		.type = bvapm_rec_cstr(f->type),
		.message = {f->message, (uint32_t)(f->mlen > 2048 ? 2048 : f->mlen)},
		.file = bvapm_rec_cstr(f->file),
		.line = f->line,
		.out_of_memory = f->out_of_memory,
		.method = bvapm_rec_cstr(agent_req.method),
		.uri = bvapm_rec_cstr(agent_req.uri),
		.route = bvapm_rec_cstr(agent_req.route),
		.start_unix_ns = agent_req.start_wall_ns,
		.wall_ns = t0 - agent_req.start_mono_ns,
		.mem_usage_bytes = f->mem_bytes,
		.mem_peak_bytes = agent_request_peak(f->mem_peak_bytes, f->mem_bytes),
		.mem_limit_bytes = f->mem_limit_bytes,
		.checkpoints = agent_req.checkpoints,
		.checkpoint_count = agent_req.checkpoint_count,
		.top_allocators = allocators,
		.top_allocator_count = nallocators,
		.stack = f->stack,
		.frame_count = f->frame_count,
		.stack_depth = f->stack_depth,
	};
	if (f->message == NULL)
		rec.message = (bvapm_rec_str){NULL, 0};
	agent_write_fatal(&env, &rec);
	agent_req.agent_ns += agent_clock_ns(CLOCK_MONOTONIC) - t0;
}
