/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_guard.c — the overhead guard: the agent's own time per request is
 * watched, and when it passes bvapm.overhead_budget_us in
 * BVAPM_AGENT_OVERRUNS_TO_REDUCE written requests in a row, the next
 * BVAPM_AGENT_REDUCED_REQUESTS requests run with less detail (no function
 * profile, SQL totals only) and their records say so (detail_reduced).
 *
 * The time is wall time (no system call), encode and write included: one
 * request whose worker was descheduled mid-way on a busy host does not trip
 * it, two in a row do. Logged once per worker.
 *
 * Threads: the PHP thread only.
 */
#include "agent_internal.h"

static uint32_t reduced_remaining; /* requests still to run with less detail */
static uint32_t over_budget_streak; /* written requests in a row past the budget */
static bool logged;

void agent_guard_init(void)
{
	reduced_remaining = over_budget_streak = 0;
	logged = false;
}

void agent_guard_forget(void)
{
	logged = false;
}

bool agent_guard_begin(void)
{
	if (reduced_remaining == 0)
		return false;
	reduced_remaining--;
	return true;
}

void agent_guard_end(uint64_t spent_ns)
{
	bool over = agent_cfg.overhead_budget_us > 0 &&
	            spent_ns > (uint64_t)agent_cfg.overhead_budget_us * 1000u;

	over_budget_streak = over ? over_budget_streak + 1 : 0;
	if (over_budget_streak < BVAPM_AGENT_OVERRUNS_TO_REDUCE)
		return;
	over_budget_streak = 0;
	reduced_remaining = BVAPM_AGENT_REDUCED_REQUESTS;
	if (!logged)
		agent_log("bvapm: pid %u: agent time %llu us passed bvapm.overhead_budget (%u us): "
		          "detail reduced for the next %u requests",
		          agent_identity.pid, (unsigned long long)(spent_ns / 1000),
		          agent_cfg.overhead_budget_us, BVAPM_AGENT_REDUCED_REQUESTS);
	logged = true;
}
