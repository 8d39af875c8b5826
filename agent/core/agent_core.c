/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_core.c — the agent's lifecycle and the order of a request's steps;
 * each step is the job of its own file (agent_internal.h lists them).
 *
 * Request start (RINIT), in this order: a new process takes its producer
 * identity (php-fpm forks its workers after MINIT); attach when detached;
 * check that our ring still stands at its path; then — the overhead guard
 * measures from here — the kill switch (one relaxed load), the keep
 * decision, the request's facts, its trace context, the function profile,
 * the live slot, the SQL capture, the timed calls and the sampling profile.
 *
 * Request end (RSHUTDOWN): the keep decision sees the wall time and the
 * outcome; the live slot is cleared and the profile closed whether or not
 * the request is kept; a kept request takes a sequence number (a gap
 * downstream is a loss, counted exactly, also while no ring is attached),
 * its record is assembled and written, and the overhead guard weighs the
 * agent's own time.
 *
 * Threads: the PHP thread only (NTS); state is per process, split by owner.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_internal.h"
#include "agent_calls.h"
#include "agent_sampler.h"
#include "agent_sql.h"

struct bvapm_agent_config agent_cfg;
bool agent_active;

static bool initialised;
static bvapm_agent_log_fn log_fn;
static uint64_t requests; /* requests seen past the kill switch */
static char ring_name[BVAPM_RING_NAME_MAX + 1];
static char service[128];
static char host[256];

void agent_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (log_fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_fn(line);
}

/* ---- lifecycle ------------------------------------------------------------ */

int bvapm_agent_init(const struct bvapm_agent_config *cfg, bvapm_agent_log_fn log)
{
	char why[160];

	bvapm_agent_shutdown();
	log_fn = log;
	if (bvapm_agent_config_check(cfg, why, sizeof(why)) != 0) {
		agent_log("bvapm: %s; the agent is off", why);
		return -EINVAL;
	}
	agent_cfg = *cfg;
	requests = 0;
	snprintf(ring_name, sizeof(ring_name), "%s",
	         cfg->ring_name != NULL && cfg->ring_name[0] ? cfg->ring_name : BVAPM_RING_DEFAULT_NAME);
	snprintf(service, sizeof(service), "%s", cfg->service != NULL ? cfg->service : "");
	if (cfg->host != NULL && cfg->host[0] != '\0')
		snprintf(host, sizeof(host), "%s", cfg->host);
	else if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "unknown");
	agent_cfg.ring_name = ring_name;
	agent_cfg.service = service;
	agent_cfg.host = host;
	bvapm_ring_set_trusted_owner(cfg->ring_owner);

	agent_link_init();
	agent_standing_reset(0);
	agent_guard_init();
	int rc = agent_write_init(agent_cfg.record_buffer_size);
	if (rc == 0)
		rc = agent_request_init();
	if (rc == 0)
		rc = bvapm_agent_sql_init(&agent_cfg.sql);
	if (rc == 0)
		rc = agent_calls_init(&agent_cfg.calls, agent_cfg.sql.n_plus_one_threshold);
	if (rc == 0)
		rc = agent_sampler_init(agent_cfg.sampling_hz);
	if (rc != 0) {
		bvapm_agent_shutdown();
		return rc;
	}
	agent_profiling_init(&agent_cfg);
	agent_identity_init();
	initialised = true;
	return 0;
}

void bvapm_agent_shutdown(void)
{
	agent_detach();
	bvapm_agent_sql_shutdown();
	agent_calls_free();
	agent_sampler_free();
	agent_write_free();
	agent_request_free();
	agent_profiling_free();
	initialised = false;
	agent_active = false;
}

/* ---- request ------------------------------------------------------------- */

/* The first request of a process: its own identity; what the parent held
 * (ring handle, pending losses, logged problems) is not this process's. */
static void new_process(void)
{
	agent_identity_take();
	agent_link_forget();
	agent_standing_reset(0);
	agent_write_forget();
	agent_guard_forget();
	agent_sampler_forget();
}

void bvapm_agent_request_begin(const struct bvapm_agent_request_start *s)
{
	uint64_t t0 = agent_clock_ns(CLOCK_MONOTONIC);

	agent_active = false;
	bvapm_agent_sql_request_end(); /* off until this request is known to record */
	agent_calls_request_end();
	agent_trace_clear();
	if (!initialised || !agent_cfg.enabled)
		return;
	if (agent_identity_stale())
		new_process();
	agent_attach(t0);
	agent_check_standing(t0);
	/* attaching (once per worker: map and pre-fault the ring) is not a
	 * per-request cost: the overhead guard measures from here */
	t0 = agent_clock_ns(CLOCK_MONOTONIC);
	bvapm_ring *ring = agent_link.ring;
	/* The host-wide kill switch: one relaxed load, the request is untouched. */
	if (ring != NULL && bvapm_ring_disabled(ring))
		return;
	requests++;

	bool reduced = agent_guard_begin();
	agent_keep_begin(ring, s->forced, reduced);
	agent_request_begin(s, t0);
	agent_trace_begin(s->traceparent, agent_keep.drawn);
	agent_record_begin();
	agent_profiling_begin(agent_keep.full_detail, s->mem_bytes);
	if (ring != NULL)
		bvapm_ring_slot_request_begin(ring, agent_trace.hex, agent_req.method, agent_req.uri,
		                              agent_req.start_wall_ns, t0);
	bvapm_agent_sql_request_begin(!reduced, ring);
	agent_calls_request_begin(!reduced, t0);
	/* the statistical profile where the exact one does not run */
	agent_sampler_request_begin(!reduced && !agent_profiling_started());
	agent_active = true;
	agent_req.agent_ns = agent_clock_ns(CLOCK_MONOTONIC) - t0;
}

void bvapm_agent_request_end(const struct bvapm_agent_request_end *e)
{
	if (!agent_active)
		return;
	agent_active = false;
	bvapm_agent_sql_request_end();
	agent_calls_request_end();
	agent_sampler_request_end();
	uint64_t t1 = agent_clock_ns(CLOCK_MONOTONIC);
	uint8_t reason = agent_keep_end(t1 - agent_req.start_mono_ns, e->failed || e->status >= 500);

	if (agent_link.ring != NULL)
		bvapm_ring_slot_request_end(agent_link.ring);
	struct agent_profile_result profile;
	agent_profiling_end(e->mem_bytes, &profile); /* frames still open (exit(), fatal error) end now */
	if (reason == BVAPM_REC_KEEP_UNKNOWN)
		return;
	/* every kept request consumes a sequence number: gaps downstream are losses */
	struct bvapm_rec_envelope env;
	if (!agent_envelope(&env, t1))
		return;
	agent_guard_end(agent_record_request(&env, e, t1, reason, &profile));
}

/* ---- state seen from outside ---------------------------------------------- */

bool bvapm_agent_enabled(void) { return initialised && agent_cfg.enabled; }
bool bvapm_agent_active(void) { return agent_active; }
bool bvapm_agent_attached(void) { return agent_link.ring != NULL; }

void bvapm_agent_get_stats(struct bvapm_agent_stats *out)
{
	*out = (struct bvapm_agent_stats){
		.requests = requests,
		.recorded = agent_writes.recorded,
		.dropped = agent_writes.dropped,
		.not_attached = agent_link.not_attached,
		.attach_failures = agent_link.attach_failures,
	};
}
