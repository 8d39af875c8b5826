/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_standing.c — is our ring still the ring at its path?
 *
 * Every request: the retired flag and the SIGBUS guard's mark (two plain
 * loads, bvapm_ring_is_retired). At most once a second: stat(2) of the path
 * (bvapm_ring_standing). A ring the drainer retired is left at once (the
 * drainer drains what is left in it; a truncated one took its records with
 * it, and the drainer logs that). A ring removed or replaced while its
 * drainer still runs is left to that drainer for REPLACED_GRACE_NS (it
 * retires it within a second and drains it); a ring nobody drains is left
 * at once, and what we wrote into it and nobody read is counted as lost
 * `retired` in the new one (agent_leave_ring, agent_attach.c).
 *
 * Threads: the PHP thread only.
 */
#include "agent_internal.h"
#include "ring/ring_inspect.h" /* stats: is its drainer alive */
#include "ring/ring_producer.h"

#define STANDING_CHECK_NS 1000000000u
#define REPLACED_GRACE_NS 5000000000u

static uint64_t last_standing_ns;  /* last stat of the ring's file (at most 1/s) */
static uint64_t replaced_since_ns; /* file replaced while its drainer still lives */

void agent_standing_reset(uint64_t now)
{
	last_standing_ns = now;
	replaced_since_ns = 0;
}

void agent_check_standing(uint64_t now)
{
	struct bvapm_ring_error err = {0};
	bvapm_ring *ring = agent_link.ring;

	if (ring == NULL)
		return;
	if (bvapm_ring_is_retired(ring)) {
		enum bvapm_ring_standing st = bvapm_ring_standing(ring, &err);
		(void)st; /* only its reason, for the log line */
		/* retired by the drainer: it drains what is left; truncated:
		 * the records are gone with the file (the drainer logs it) */
		agent_leave_ring(now, 0, err.msg);
		return;
	}
	if (now - last_standing_ns < STANDING_CHECK_NS)
		return;
	last_standing_ns = now;
	if (bvapm_ring_standing(ring, &err) == BVAPM_RING_CURRENT) {
		replaced_since_ns = 0;
		return;
	}
	struct bvapm_ring_stats st;
	bvapm_ring_stats(ring, &st);
	if (replaced_since_ns == 0)
		replaced_since_ns = now;
	if (st.consumer_alive && now - replaced_since_ns < REPLACED_GRACE_NS)
		return;
	agent_leave_ring(now, bvapm_ring_unread_own(ring), err.msg);
}
