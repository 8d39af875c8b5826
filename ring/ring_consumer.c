/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_consumer.c — the single consumer: peek a batch, release it, repair.
 *
 * The consumer walks records from its read cursor towards the tail. Every
 * position it stops at is a record boundary, and every boundary below the
 * tail holds a claimed control word (producers publish the tail only after
 * claiming), so the walk reads one control word per record:
 *
 *   COMMITTED  deliver (payload read after the control word: acquire)
 *   SKIP       step over (wrap padding, aborted or repaired reservation)
 *   RESERVED   stop: its producer is still copying. If it stays so, the
 *              consumer checks the owner pid in /proc; a dead owner's record
 *              becomes SKIP after dead_check_ms, a live one's after
 *              stall_timeout_ms; each counted in lost_repaired.
 *   invalid    (a foreign process scribbled on the ring) counted in
 *              invalid_records/bytes; the walk resynchronises on the next
 *              word that is a valid header chaining to the tail.
 *
 * The word at the tail is where the next producer claims. It must hold
 * FREE(lap of the tail) — or a claim being made right now. Anything else
 * (garbage another process wrote, or the late copy of a producer that stalled
 * past the timeout and wrote into words the consumer had already released)
 * would make every producer back off for ever, and the consumer, caught up at
 * the tail, would wait for a record that never comes. So each peek looks at
 * the tail word first (clear_garbage_at_tail) and, when the word belongs to
 * this lap (its previous lap is released), puts FREE(lap) back with a CAS and
 * counts it invalid. Only the consumer repairs; producers only back off.
 *
 * Releasing writes FREE(lap + 1) over every released word, then a store fence,
 * then the new head. Producers do not load the head on every write: they keep
 * a cached copy (only ever older, so it only under-states free room) and load
 * the real head, after a load fence, only when the cached one says full. A
 * producer that claims a word relies not on the head but on the word itself:
 * its claim is a CAS that expects FREE(lap), and that value exists only once
 * the consumer wrote it, so a claim can never succeed on a word still in use.
 * The fences pair so that a producer that sees the new head also sees the
 * markers below it (it would otherwise only back off and retry). The head moves only in release(), which
 * the drainer calls once records are safe (spooled or acknowledged): a
 * consumer killed at any point restarts from the head and loses nothing
 * committed (records peeked but not released are delivered again).
 *
 * Only one consumer per ring (registration in the header, see ring_open.c);
 * nothing here is thread-safe against a second consumer thread.
 */
#include <errno.h>
#include <string.h>

#include "ring_internal.h"

void bvapm_ring_heartbeat(struct bvapm_ring *r)
{
	if (r->writable)
		ck_pr_store_64(&r->hdr->consumer_heartbeat_ns, bvapm_clock_ns(CLOCK_MONOTONIC));
}

void bvapm_ring_set_timeouts(struct bvapm_ring *r, uint32_t dead_check_ms, uint32_t stall_timeout_ms)
{
	r->dead_check_ms = dead_check_ms;
	r->stall_timeout_ms = stall_timeout_ms;
}

uint64_t bvapm_ring_read_pos(const struct bvapm_ring *r) { return r->read_pos; }
uint64_t bvapm_ring_head(const struct bvapm_ring *r) { return r->head; }
void bvapm_ring_rewind(struct bvapm_ring *r) { r->read_pos = r->head; }

static void count_invalid(struct bvapm_ring *r, uint64_t records, uint64_t bytes)
{
	/* consumer-only counters: unordered statistics */
	bvapm_counter_add_single(&r->hdr->invalid_records, records);
	bvapm_counter_add_single(&r->hdr->invalid_bytes, bytes);
}

static void note_event(struct bvapm_ring *r, uint64_t *counter, uint64_t pos, uint64_t word)
{
	(*counter)++;
	r->events.last_pos = pos;
	r->events.last_word = word;
}

void bvapm_ring_consumer_events(const struct bvapm_ring *r, struct bvapm_ring_consumer_events *out)
{
	*out = r->events;
}

/* See the top of this file. Called with the tail just loaded (acquire). */
static void clear_garbage_at_tail(struct bvapm_ring *r, uint64_t tail)
{
	uint64_t *word = bvapm_ring_word(r, tail);
	uint64_t cw = ck_pr_load_64(word);
	uint64_t free_here = bvapm_cw_free(bvapm_ring_lap(r, tail));

	if (cw == free_here || bvapm_ring_frame_ok(r, cw, tail, tail + r->capacity))
		return;
	/* The word still holds the previous lap's record unless everything
	 * before tail + 8 - capacity is released (r->head is exact: we are the
	 * only writer of the head). Then producers are stopped by "full" anyway. */
	if (tail + 8 - r->head > r->capacity)
		return;
	/* CAS: if a producer's claim (or anyone) changed the word meanwhile,
	 * leave it; producers only claim from FREE(lap), so a claim cannot be
	 * lost here. Release is not needed: a producer's claim CAS reads the
	 * word itself. */
	if (ck_pr_cas_64(word, cw, free_here)) {
		count_invalid(r, 1, 8);
		note_event(r, &r->events.tail_cleared, tail, cw);
	}
}

/* Corrupt framing at pos: skip to the next real boundary (or the tail). */
static uint64_t resync(struct bvapm_ring *r, uint64_t pos, uint64_t tail)
{
	uint64_t p = bvapm_ring_next_boundary(r, pos, tail);

	count_invalid(r, 1, p - pos);
	r->events.resync_bytes += p - pos;
	note_event(r, &r->events.resyncs, pos, ck_pr_load_64(bvapm_ring_word(r, pos)));
	return p;
}

/* A RESERVED record sits at pos. Returns true if it was repaired (turned
 * into SKIP) and the walk may go on. */
static bool stalled(struct bvapm_ring *r, uint64_t pos, uint64_t cw)
{
	uint64_t now = bvapm_clock_ns(CLOCK_MONOTONIC);

	if (r->stall_pos != pos || r->stall_cw != cw || r->stall_since_ns == 0) {
		r->stall_pos = pos;
		r->stall_cw = cw;
		r->stall_since_ns = now;
		return false;
	}
	uint64_t waited_ms = (now - r->stall_since_ns) / 1000000u;
	bool dead = waited_ms >= r->dead_check_ms && !bvapm_proc_alive(bvapm_cw_pid(cw), NULL);

	if (!dead && waited_ms < r->stall_timeout_ms)
		return false;

	uint64_t skip = bvapm_cw_make(BVAPM_CW_SKIP, bvapm_cw_len(cw), bvapm_cw_pid(cw),
	                              bvapm_cw_tag(cw));
	/* CAS: the producer may commit at this very moment; then its commit
	 * wins and we deliver the record on the next pass. */
	if (ck_pr_cas_64(bvapm_ring_word(r, pos), cw, skip)) {
		bvapm_counter_add_single(&r->hdr->lost_repaired, 1);
		note_event(r, dead ? &r->events.repaired_dead : &r->events.repaired_stalled, pos, cw);
	}
	r->stall_since_ns = 0;
	return true;
}

/* The tail is more than a lap ahead of the cursor: positions are corrupt.
 * Re-mark the whole data area FREE for the lap that follows the cursor and
 * move the tail back to it. Everything in between is counted invalid. */
static uint64_t reset_positions(struct bvapm_ring *r, uint64_t pos, uint64_t tail)
{
	for (uint64_t p = pos; p < pos + r->capacity; p += 8)
		ck_pr_store_64(bvapm_ring_word(r, p), bvapm_cw_free(bvapm_ring_lap(r, p)));
	/* markers before the tail that lets producers claim them */
	ck_pr_fence_store();
	if (ck_pr_cas_64(&r->hdr->tail, tail, pos)) {
		count_invalid(r, 1, tail > pos ? tail - pos : 0);
		note_event(r, &r->events.positions_reset, pos, tail);
	}
	return ck_pr_load_64(&r->hdr->tail);
}

int bvapm_ring_peek(struct bvapm_ring *r, struct bvapm_ring_record *out, size_t max)
{
	struct bvapm_ring_header *h = r->hdr;
	uint64_t pos = r->read_pos;
	size_t n = 0;

	if (r->role != BVAPM_RING_CONSUMER || !r->writable)
		return -EBADF;
	if (bvapm_unlikely(bvapm_ring_faulted(r)))
		return -ENXIO;
	bvapm_ring_heartbeat(r);

	/* Acquire: every control word claimed below this tail is visible. */
	uint64_t tail = ck_pr_load_64(&h->tail);
	ck_pr_fence_load();
	if (tail < pos || tail - pos > r->capacity || (tail & 7) != 0)
		tail = reset_positions(r, pos, tail);
	clear_garbage_at_tail(r, tail);

	while (n < max) {
		if (pos == tail) {
			/* A producer may have claimed the tail and died before
			 * publishing it; with no other producer to help, we do. */
			uint64_t cw = ck_pr_load_64(bvapm_ring_word(r, pos));
			if (!bvapm_ring_frame_ok(r, cw, pos, pos + r->capacity)) {
				clear_garbage_at_tail(r, tail);
				break;
			}
			ck_pr_cas_64(&h->tail, tail, tail + bvapm_cw_len(cw));
			tail = ck_pr_load_64(&h->tail);
			ck_pr_fence_load();
			if (tail < pos || tail - pos > r->capacity || (tail & 7) != 0)
				tail = reset_positions(r, pos, tail);
			continue;
		}

		uint64_t *word = bvapm_ring_word(r, pos);
		uint64_t cw = ck_pr_load_64(word);
		/* Acquire: the payload is read after its COMMITTED state. */
		ck_pr_fence_load();

		if (!bvapm_ring_frame_ok(r, cw, pos, tail)) {
			pos = resync(r, pos, tail);
			continue;
		}
		switch (bvapm_cw_state(cw)) {
		case BVAPM_CW_SKIP:
			pos += bvapm_cw_len(cw);
			continue;
		case BVAPM_CW_RESERVED:
			if (stalled(r, pos, cw))
				continue;
			goto out;
		case BVAPM_CW_COMMITTED:
			break;
		case BVAPM_CW_FREE:
			goto out; /* unreachable: frame_ok rejects FREE */
		}

		uint64_t len = bvapm_cw_len(cw);
		uint64_t w1 = word[1];
		uint32_t payload = bvapm_w1_payload_len(w1);
		uint16_t type = bvapm_w1_type(w1);

		if (payload > len - BVAPM_RING_RECORD_HEADER || type == 0 || type == UINT16_MAX) {
			/* well framed, but its contents are garbage: skip it */
			count_invalid(r, 1, len);
			note_event(r, &r->events.bad_contents, pos, cw);
			pos += len;
			continue;
		}
		out[n].data = (const uint8_t *)word + BVAPM_RING_RECORD_HEADER;
		out[n].len = payload;
		out[n].type = type;
		out[n].flags = bvapm_w1_flags(w1);
		out[n].pid = bvapm_cw_pid(cw);
		out[n].pos = pos;
		out[n].end = pos + len;
		n++;
		pos += len;
	}
out:
	r->read_pos = pos;
	return (int)n;
}

void bvapm_ring_release(struct bvapm_ring *r, uint64_t pos)
{
	uint64_t head = r->head;
	uint64_t records = 0;

	if (r->role != BVAPM_RING_CONSUMER || pos <= head || pos > r->read_pos)
		return;
	/* Count delivered records and mark every word FREE for the next lap. */
	for (uint64_t p = head; p < pos;) {
		uint64_t cw = ck_pr_load_64(bvapm_ring_word(r, p));
		uint64_t len = 8;

		if (bvapm_ring_frame_ok(r, cw, p, pos)) {
			len = bvapm_cw_len(cw);
			records += bvapm_cw_state(cw) == BVAPM_CW_COMMITTED;
		}
		/* a record never crosses the end of the data area: one lap */
		uint64_t next_lap_free = bvapm_cw_free(bvapm_ring_lap(r, p) + 1);
		for (uint64_t q = p; q < p + len; q += 8)
			ck_pr_store_64(bvapm_ring_word(r, q), next_lap_free);
		p += len;
	}
	/* FREE markers before the head (store fence; the producers' partner is
	 * the load fence before their head reload in bvapm_ring_reserve). */
	ck_pr_fence_store();
	ck_pr_store_64(&r->hdr->head, pos);
	r->head = pos;
	bvapm_counter_add_single(&r->hdr->consumed_records, records);
	bvapm_counter_add_single(&r->hdr->consumed_bytes, pos - head);
}
