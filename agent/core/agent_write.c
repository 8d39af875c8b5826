/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_write.c — from record to ring: the envelope (who, when, which
 * trace), the encoding into the per-worker buffer, the ring write, and the
 * count of every outcome. Request records and fatal-error records take the
 * same path.
 *
 * Losses: a record that does not fit the encode buffer is dropped and
 * counted `too_big` in the ring; one the ring refuses is counted there by
 * reason (full, contention...); one made while no ring is attached is
 * counted by agent_attach.c and reported on attach. Each kind of problem is
 * logged once per worker. A handle that became unusable is closed (attached
 * again later); a ring that was truncated or retired under us is left for
 * the file now at its path.
 *
 * Between a kept request's end and the record's commit: no system call, no
 * allocation (the buffer is allocated at init, 8-byte aligned as the
 * encoder requires). Before encoding, bvapm_ring_prepare asks the CPU for the
 * ring's lines the write will touch (tail, data at the tail, our slot), sized
 * by the previous record: their misses overlap with the encoding (≈ 1 µs)
 * instead of stalling the write, which otherwise finds all of them cold. A
 * prepare at request start would come too early: the request's own work
 * evicts the lines again.
 *
 * Threads: the PHP thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"

struct agent_writes agent_writes;

static uint8_t *encode_buf;
static uint32_t encode_cap;
static bool logged_full, logged_too_big;
static uint32_t last_len = 512; /* size of the previous record: what prepare expects */

int agent_write_init(uint32_t buffer_size)
{
	memset(&agent_writes, 0, sizeof(agent_writes));
	logged_full = logged_too_big = false;
	encode_cap = buffer_size;
	encode_buf = aligned_alloc(8, (buffer_size + 7) & ~7u);
	return encode_buf != NULL ? 0 : -ENOMEM;
}

void agent_write_free(void)
{
	free(encode_buf);
	encode_buf = NULL;
}

void agent_write_forget(void)
{
	logged_full = logged_too_big = false;
}

bool agent_envelope(struct bvapm_rec_envelope *env, uint64_t mono_now)
{
	uint64_t sequence = agent_next_sequence();
	bvapm_ring *ring = agent_link.ring;

	if (ring == NULL || bvapm_ring_disabled(ring)) {
		if (ring == NULL)
			agent_count_unattached();
		return false;
	}
	*env = (struct bvapm_rec_envelope){
		.host = bvapm_rec_cstr(agent_cfg.host),
		.service = bvapm_rec_cstr(agent_cfg.service[0] ? agent_cfg.service : NULL),
		.pid = agent_identity.pid,
		.producer_start_unix_ns = agent_identity.start_unix_ns,
		.sequence = sequence,
		.wall_unix_ns = agent_req.start_wall_ns + (mono_now - agent_req.start_mono_ns),
		.mono_ns = mono_now,
		.has_trace = true,
		.has_parent = agent_trace.has_parent,
		.sampled = agent_trace.sampled,
	};
	memcpy(env->trace_id, agent_trace.trace_id, 16);
	memcpy(env->span_id, agent_trace.span_id, 8);
	memcpy(env->parent_span_id, agent_trace.parent_span_id, 8);
	return true;
}

/* Writes the `len` bytes encoded into the buffer (len < 0: they did not fit)
 * as a record of `kind` (`what` names it in the log), and counts the outcome. */
static void write_and_count(uint16_t kind, ssize_t len, const char *what)
{
	if (len < 0) {
		/* even the essentials did not fit the buffer */
		agent_writes.dropped++;
		bvapm_ring_count_loss(agent_link.ring, BVAPM_LOSS_TOO_BIG, 1);
		if (!logged_too_big)
			agent_log("bvapm: pid %u: a %s record does not fit bvapm.record_buffer_size "
			          "(%u bytes); such records are dropped and counted",
			          agent_identity.pid, what, encode_cap);
		logged_too_big = true;
		return;
	}
	last_len = (uint32_t)len;
	int rc = bvapm_ring_write(agent_link.ring, kind, encode_buf, (uint32_t)len);
	if (rc == 0) {
		agent_writes.recorded++;
		return;
	}
	agent_writes.dropped++; /* the ring counted it by reason */
	if (rc == -EBADF) {
		agent_detach();
	} else if (rc == -ENXIO) {
		/* truncated or retired under us: this record is lost with the ring */
		agent_leave_ring(agent_clock_ns(CLOCK_MONOTONIC), 1, "its file was truncated");
	} else if (!logged_full) {
		agent_log("bvapm: pid %u: ring %s dropped a record (%s); drops are counted in "
		          "`bvapm-shm stat`, this is logged once per worker",
		          agent_identity.pid, agent_cfg.ring_name, strerror(-rc));
		logged_full = true;
	}
}

void agent_write_request(const struct bvapm_rec_envelope *env, const struct bvapm_rec_request *req)
{
	bvapm_ring_prepare(agent_link.ring, last_len);
	write_and_count(BVAPM_REC_KIND_REQUEST,
	                bvapm_rec_encode_request(encode_buf, encode_cap, env, req), "request");
}

void agent_write_fatal(const struct bvapm_rec_envelope *env, const struct bvapm_rec_fatal *rec)
{
	bvapm_ring_prepare(agent_link.ring, last_len);
	write_and_count(BVAPM_REC_KIND_FATAL,
	                bvapm_rec_encode_fatal(encode_buf, encode_cap, env, rec), "fatal-error");
}
