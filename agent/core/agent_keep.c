/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_keep.c — which requests are kept, and with how much detail.
 *
 * At request start: a forced request (header or cookie) or aggressive mode
 * → kept with full detail (unless the overhead guard reduced it); light
 * mode → kept as a summary with probability sample_rate; targeted → only
 * forced requests. The mode is the configured one unless the ring carries
 * an override (`bvapm-shm mode`, one relaxed load).
 *
 * At request end: a request that was slow (wall >= slow_threshold_ms) or
 * failed (5xx, uncaught exception, fatal error) is kept as a summary
 * whatever the draw. The record says why (keep_reason): forced first, then
 * error, slow, sampled.
 *
 * Threads: the PHP thread only.
 */
#include "agent_internal.h"
#include "ring/ring_producer.h"

struct agent_keep agent_keep;

void agent_keep_begin(const bvapm_ring *ring, bool forced, bool reduced)
{
	enum bvapm_agent_mode mode = agent_cfg.mode;
	uint32_t override = ring != NULL ? bvapm_ring_mode_override(ring) : 0;

	if (override >= BVAPM_MODE_LIGHT && override <= BVAPM_MODE_TARGETED)
		mode = (enum bvapm_agent_mode)override;
	agent_keep.mode = mode;
	agent_keep.forced = forced;
	agent_keep.reduced = reduced;
	if (forced || mode == BVAPM_MODE_AGGRESSIVE) {
		agent_keep.drawn = true;
		agent_keep.full_detail = !reduced;
	} else if (mode == BVAPM_MODE_LIGHT) {
		/* 53 random bits as a fraction in [0, 1) */
		double draw = (double)(agent_random() >> 11) / (double)(UINT64_C(1) << 53);
		agent_keep.drawn = draw < agent_cfg.sample_rate;
		agent_keep.full_detail = false;
	} else {
		agent_keep.drawn = false;
		agent_keep.full_detail = false;
	}
}

uint8_t agent_keep_end(uint64_t wall_ns, bool failed)
{
	bool slow = agent_cfg.slow_threshold_ms > 0 &&
	            wall_ns >= (uint64_t)agent_cfg.slow_threshold_ms * 1000000u;

	if (!agent_keep.drawn && !failed && !slow)
		return BVAPM_REC_KEEP_UNKNOWN;
	return agent_keep.forced ? BVAPM_REC_KEEP_FORCED
	       : failed          ? BVAPM_REC_KEEP_ERROR
	       : slow            ? BVAPM_REC_KEEP_SLOW
	                         : BVAPM_REC_KEEP_SAMPLED;
}
