/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_attach.c — the worker's handle on the ring: attaching, retrying
 * while there is no ring it can use, leaving a ring, and the records lost
 * meanwhile.
 *
 * A worker without a ring (none yet, or one it refuses: wrong owner or
 * mode, another ABI, a corrupt header) records nothing and retries every
 * attach_retry_ms (every second at most while moving: it just left a ring
 * and its successor is usually there already). Each kept request made while
 * detached is counted here — as `incompatible` when the ring was refused
 * (-EPERM), else `not_attached` — and the counts are added to the ring's
 * loss counters once attached, with the `retired` records left unread in a
 * ring we left. One log line per worker and kind of problem, not per
 * request.
 *
 * Threads: the PHP thread only.
 */
#include <errno.h>
#include <string.h>

#include "agent_internal.h"
#include "ring/ring_producer.h"

struct agent_link agent_link;

static uint64_t last_attach_ns;       /* last attempt (0: none yet) */
static int last_attach_error;         /* its result, when it failed */
static uint64_t pending_not_attached; /* records while no ring, reported on attach */
static uint64_t pending_incompatible; /* records while the ring was refused (owner/mode) */
static uint64_t pending_retired;      /* left unread in a ring we moved away from */
static bool moving;                   /* left a ring: look for its successor every second */

static void forget_pending(void)
{
	last_attach_ns = 0;
	last_attach_error = 0;
	pending_not_attached = pending_incompatible = pending_retired = 0;
	moving = false;
}

void agent_link_init(void)
{
	memset(&agent_link, 0, sizeof(agent_link));
	forget_pending();
}

void agent_link_forget(void)
{
	/* the parent's handle: unmap only (its slot stays the parent's) */
	agent_detach();
	forget_pending();
}

void agent_detach(void)
{
	if (agent_link.ring != NULL)
		bvapm_ring_close(agent_link.ring);
	agent_link.ring = NULL;
}

void agent_attach(uint64_t now)
{
	struct bvapm_ring_error err = {0};
	uint32_t retry_ms = moving && agent_cfg.attach_retry_ms > 1000 ? 1000 : agent_cfg.attach_retry_ms;

	if (agent_link.ring != NULL)
		return;
	if (last_attach_ns != 0 && now - last_attach_ns < (uint64_t)retry_ms * 1000000u)
		return;
	last_attach_ns = now;
	int rc = bvapm_ring_attach(agent_cfg.ring_name, &agent_link.ring, &err);
	if (rc != 0) {
		agent_link.attach_failures++;
		/* one line per worker and kind of problem, not per request */
		if (rc != last_attach_error)
			agent_log("bvapm: pid %u records nothing: %s (retrying every %u ms)",
			          agent_identity.pid, err.msg, retry_ms);
		last_attach_error = rc;
		agent_link.ring = NULL;
		return;
	}
	uint64_t lost = pending_not_attached + pending_incompatible + pending_retired;
	if (last_attach_error != 0 || moving)
		agent_log("bvapm: pid %u attached to the ring; %llu records were lost meanwhile (counted "
		          "in bvapm-shm stat)", agent_identity.pid, (unsigned long long)lost);
	last_attach_error = 0;
	moving = false;
	agent_standing_reset(now);
	bvapm_ring_count_loss(agent_link.ring, BVAPM_LOSS_NOT_ATTACHED, pending_not_attached);
	bvapm_ring_count_loss(agent_link.ring, BVAPM_LOSS_INCOMPATIBLE, pending_incompatible);
	bvapm_ring_count_loss(agent_link.ring, BVAPM_LOSS_RETIRED, pending_retired);
	pending_not_attached = pending_incompatible = pending_retired = 0;
}

void agent_leave_ring(uint64_t now, uint64_t unread, const char *why)
{
	agent_log("bvapm: pid %u leaves ring %s: %s; %llu of its records there will not be read",
	          agent_identity.pid, agent_cfg.ring_name, why, (unsigned long long)unread);
	pending_retired += unread;
	agent_detach();
	moving = true;
	last_attach_ns = 0;
	agent_attach(now);
}

void agent_count_unattached(void)
{
	if (last_attach_error == -EPERM)
		pending_incompatible++; /* a ring we refuse to trust */
	else
		pending_not_attached++;
	agent_link.not_attached++;
}
