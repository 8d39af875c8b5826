/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_observe.c — a non-consuming reader cursor, for inspectors such as
 * `bvapm-shm peek`.
 *
 * The cursor walks records from the head towards the tail exactly as the
 * consumer does (one control word per record boundary), but it only reads:
 * nothing in the mapping is written, the head never moves, a READONLY handle
 * is enough, and any number of observers may run beside the producers and the
 * consumer. Each committed record is copied out and the copy is validated
 * afterwards, because the consumer may release the record (and producers of
 * the next lap reuse its words) while it is being copied:
 *
 *   1. load the control word, then a load fence (acquire): the payload the
 *      producer wrote before its commit is visible;
 *   2. copy the payload into the caller's buffer;
 *   3. load fence, load the control word again, load fence, load the head.
 *
 * The consumer's release writes FREE(lap + 1) over the control word before
 * the payload words and only then publishes the head; a producer of a later
 * lap must CAS the control word before it writes anything else. So a control
 * word unchanged at step 3 (and a head not past the record) means no payload
 * word was overwritten before the copy finished — with stores visible in
 * program order, which x86-64 guarantees; on weakly ordered CPUs the release
 * loop has no fence between those stores and a torn copy is then only caught
 * by the caller's record verification. A copy that fails the check is
 * discarded and counted in `missed`; it is never returned.
 *
 * Every position read is bounds-checked against the handle's private,
 * validated geometry (bvapm_ring_frame_ok), so a ring full of garbage makes
 * the cursor skip and count, never read outside the data area. One call reads
 * at most about one lap of words.
 *
 * Threading: a cursor belongs to one thread; the handle may be shared.
 */
#include <errno.h>
#include <string.h>

#include "ring_internal.h"

/* The copy check above relies on the consumer's release loop making its
 * stores visible in program order (control word before payload words), which
 * x86-64's TSO guarantees for plain stores. Elsewhere the release loop would
 * need a store fence per record and this file a review. */
#if !defined(__x86_64__) && !defined(__i386__)
#error "ring_observe.c relies on x86 store ordering (see the comment above)"
#endif

#define POSITION_LOAD_ATTEMPTS 8 /* head and tail may move between the two loads */

void (*bvapm_ring_observe_test_hook)(void);

uint32_t bvapm_ring_max_record(const struct bvapm_ring *r) { return r->max_record; }

/* Loads head then tail. Returns 0, or -EIO when they are not a sane pair
 * several times in a row (a single bad pair may be a race: producers can
 * advance the tail past our stale head plus one lap between the loads). */
static int load_positions(const struct bvapm_ring *r, uint64_t *head, uint64_t *tail)
{
	for (int attempt = 0; attempt < POSITION_LOAD_ATTEMPTS; attempt++) {
		*head = ck_pr_load_64(&r->hdr->head);
		/* Head before tail: both only grow, so tail >= head holds. */
		ck_pr_fence_load();
		*tail = ck_pr_load_64(&r->hdr->tail);
		/* Acquire: every control word claimed below this tail is visible. */
		ck_pr_fence_load();
		if (*head % 8 == 0 && *tail % 8 == 0 && *tail >= *head && *tail - *head <= r->capacity)
			return 0;
	}
	return -EIO;
}

int bvapm_ring_cursor_at_head(const struct bvapm_ring *r, struct bvapm_ring_cursor *c)
{
	uint64_t head, tail;

	memset(c, 0, sizeof(*c));
	if (load_positions(r, &head, &tail) != 0)
		return -EIO;
	c->pos = head;
	return 0;
}

int bvapm_ring_cursor_at_tail(const struct bvapm_ring *r, struct bvapm_ring_cursor *c)
{
	uint64_t head, tail;

	memset(c, 0, sizeof(*c));
	if (load_positions(r, &head, &tail) != 0)
		return -EIO;
	c->pos = tail;
	return 0;
}

/* Corrupt framing at pos: the next real boundary, or the tail. */
static uint64_t resync(const struct bvapm_ring *r, struct bvapm_ring_cursor *c, uint64_t pos,
                       uint64_t tail)
{
	uint64_t p = bvapm_ring_next_boundary(r, pos, tail);

	c->invalid_records++;
	c->invalid_bytes += p - pos;
	return p;
}

int bvapm_ring_observe(const struct bvapm_ring *r, struct bvapm_ring_cursor *c, void *buf, size_t cap,
                       struct bvapm_ring_record *rec)
{
	uint64_t head, tail, pos = c->pos;
	int result = BVAPM_OBSERVE_NONE;

	if (load_positions(r, &head, &tail) != 0)
		return -EIO;
	c->busy_cw = 0;
	/* Every pass of the loop advances pos by at least 8 or leaves it. */
	for (uint64_t budget = r->capacity / 8 + 2; budget > 0; budget--) {
		if (pos < head || pos > tail || pos % 8 != 0) {
			/* Consumed before we got there (or the consumer reset
			 * corrupt positions): continue from the head. */
			if (pos < head)
				c->overtaken_bytes += head - pos;
			pos = head;
		}
		if (pos == tail)
			break;

		uint64_t *word = bvapm_ring_word(r, pos);
		uint64_t cw = ck_pr_load_64(word);
		/* Acquire: the payload is read after its COMMITTED state. */
		ck_pr_fence_load();

		if (!bvapm_ring_frame_ok(r, cw, pos, tail)) {
			/* Ordered after the control word by the fence above: a
			 * release publishes the head after its FREE markers. */
			uint64_t now_head = ck_pr_load_64(&r->hdr->head);
			if (now_head > pos) {
				/* Released under us: start again from the new head. */
				if (load_positions(r, &head, &tail) != 0)
					return -EIO;
				continue;
			}
			/* Marked FREE for the next lap, head not published yet:
			 * a release is in progress, look again later. */
			if (cw == bvapm_cw_free(bvapm_ring_lap(r, pos) + 1))
				break;
			pos = resync(r, c, pos, tail);
			continue;
		}

		uint64_t len = bvapm_cw_len(cw);
		if (bvapm_cw_state(cw) == BVAPM_CW_SKIP) {
			pos += len;
			continue;
		}
		if (bvapm_cw_state(cw) == BVAPM_CW_RESERVED) {
			c->busy_cw = cw;
			result = BVAPM_OBSERVE_BUSY;
			break;
		}

		/* After the COMMITTED control word (fence above): complete. */
		uint64_t w1 = ck_pr_load_64(word + 1);
		uint32_t payload = bvapm_w1_payload_len(w1);
		uint16_t type = bvapm_w1_type(w1);

		if (payload > len - BVAPM_RING_RECORD_HEADER || type == 0 || type == UINT16_MAX) {
			/* Either garbage, or the words were reused since we read
			 * the control word: the re-check tells which. */
			ck_pr_fence_load();
			if (ck_pr_load_64(word) != cw) {
				c->missed++;
			} else {
				c->invalid_records++;
				c->invalid_bytes += len;
			}
			pos += len;
			continue;
		}
		if (payload > cap) {
			c->too_big++;
			pos += len;
			continue;
		}
		memcpy(buf, (const uint8_t *)word + BVAPM_RING_RECORD_HEADER, payload);
#ifdef BVAPM_RING_TEST_HOOKS
		if (bvapm_ring_observe_test_hook != NULL)
			bvapm_ring_observe_test_hook();
#endif
		/* The copy before the second look at the control word... */
		ck_pr_fence_load();
		uint64_t cw_after = ck_pr_load_64(word);
		/* ...and that before the head, which is published after the
		 * FREE markers of a release. */
		ck_pr_fence_load();
		uint64_t head_after = ck_pr_load_64(&r->hdr->head);
		if (cw_after != cw || head_after > pos) {
			c->missed++;
			pos += len;
			continue;
		}
		rec->data = buf;
		rec->len = payload;
		rec->type = type;
		rec->flags = bvapm_w1_flags(w1);
		rec->pid = bvapm_cw_pid(cw);
		rec->pos = pos;
		rec->end = pos + len;
		c->records++;
		pos += len;
		result = BVAPM_OBSERVE_RECORD;
		break;
	}
	c->pos = pos;
	return result;
}

void bvapm_ring_cursor_pass(const struct bvapm_ring *r, struct bvapm_ring_cursor *c)
{
	if (c->busy_cw == 0 || c->pos % 8 != 0)
		return;
	/* Still the same reservation? Its length is the producer's claim,
	 * already checked by bvapm_ring_frame_ok when the cursor stopped.
	 * Relaxed: nothing is read through it. */
	if (ck_pr_load_64(bvapm_ring_word(r, c->pos)) == c->busy_cw) {
		c->pos += bvapm_cw_len(c->busy_cw);
		c->in_progress++;
	}
	c->busy_cw = 0;
}
