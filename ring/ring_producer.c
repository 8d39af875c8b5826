/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_producer.c — the hot path: reserve, copy, commit.
 *
 * Protocol (one record of `total` bytes at tail position t, lap L = t / cap):
 *
 *   1. claim    CAS word(t): FREE(L) -> RESERVED|total|pid|L
 *   2. publish  CAS tail: t -> t + total   (anyone may do this step: a
 *               producer or the consumer that finds a claimed header at the
 *               tail "helps" it forward, so a producer that dies between 1
 *               and 2 never blocks the others)
 *   3. copy     word1 (type, payload length), payload, zeroed padding
 *   4. commit   CAS word(t): RESERVED -> COMMITTED (release: 3 before 4)
 *
 * When the record would cross the end of the data area, the producer first
 * claims a SKIP record from t to the end (steps 1-2 with state SKIP) and
 * starts again at the next lap. A full ring drops at once (never waits for
 * the consumer); too many failed CAS drop as contention. Commits are
 * independent: a slow or dead producer's RESERVED record delays only the
 * consumer, which repairs it (ring_consumer.c), never another producer.
 *
 * Cache lines: a write of n bytes touches the tail's line (shared by every
 * producer, read by the consumer), the 1 + n/64 data lines at the tail (last
 * written by the consumer's FREE markers a lap ago, the first one perhaps by
 * the neighbouring record's producer), and the producer's own slot line (its
 * written/dropped counters; only the owner writes it, readers only scan it).
 * At a few thousand writes per second per worker all of them are cold. So the
 * write asks for them all at once, exclusive, before it needs them (prefetch
 * of the tail and slot lines at entry, of the record's lines once the tail is
 * known); the claim is a single CAS with no load before it; and
 * bvapm_ring_prepare lets the caller issue the same prefetches earlier, before
 * it encodes the record, so the misses overlap with its own work.
 *
 * No system call, no lock, no allocation: loads, CAS, memcpy and a bounded
 * ck_backoff spin. Every address is `data + (pos & mask)` with the mask and
 * max_record taken from the validated private copy in the handle, so a corrupt
 * header cannot make a producer write outside its mapping.
 */
#include <errno.h>
#include <string.h>

/* Bounded spin: each failed CAS waits 16, 32, ... up to 4096 pause-free
 * iterations (ck's default ceiling of 2^20 is far too long for a request). */
#define CK_BACKOFF_CEILING ((1u << 12) - 1)
#include <ck_backoff.h>

#define BACKOFF_START 16u

#include "ring_internal.h"

static int drop(struct bvapm_ring *r, enum bvapm_ring_loss reason, int code)
{
	uint64_t *counter = reason == BVAPM_LOSS_FULL       ? &r->hdr->lost_full
	                    : reason == BVAPM_LOSS_TOO_BIG ? &r->hdr->lost_too_big
	                                                   : &r->hdr->lost_contention;

	/* The file was truncated during this write (the SIGBUS guard swapped
	 * in zeros): a count here would land in memory nobody reads. Say so,
	 * so the caller counts the record in the ring it moves to. */
	if (bvapm_unlikely(bvapm_ring_faulted(r)))
		return -ENXIO;
	bvapm_counter_add(counter, 1); /* statistics: see ring_internal.h */
	bvapm_ring_slot_count_write(r, false);
	return code;
}

void bvapm_ring_count_loss(struct bvapm_ring *r, enum bvapm_ring_loss reason, uint64_t n)
{
	uint64_t *counter;

	if (r == NULL || !r->writable || n == 0)
		return;
	switch (reason) {
	case BVAPM_LOSS_FULL: counter = &r->hdr->lost_full; break;
	case BVAPM_LOSS_TOO_BIG: counter = &r->hdr->lost_too_big; break;
	case BVAPM_LOSS_CONTENTION: counter = &r->hdr->lost_contention; break;
	case BVAPM_LOSS_NOT_ATTACHED: counter = &r->hdr->lost_not_attached; break;
	case BVAPM_LOSS_INCOMPATIBLE: counter = &r->hdr->lost_incompatible; break;
	case BVAPM_LOSS_RETIRED: counter = &r->hdr->lost_retired; break;
	default: return; /* repaired is the consumer's to count */
	}
	bvapm_counter_add(counter, n); /* statistics: see ring_internal.h */
}

/* The host-wide control words, read by agents at each request start: one
 * relaxed load each, no ordering with anything else (a change takes effect
 * from the next request). */
bool bvapm_ring_disabled(const struct bvapm_ring *r)
{
	return ck_pr_load_32(&r->hdr->kill_switch) != 0;
}

uint32_t bvapm_ring_mode_override(const struct bvapm_ring *r)
{
	return ck_pr_load_32(&r->hdr->mode_override);
}

void bvapm_ring_prepare(struct bvapm_ring *r, uint32_t len)
{
	if (r == NULL || r->fork_generation != bvapm_ring_fork_generation || !r->writable ||
	    bvapm_ring_faulted(r))
		return;
	bvapm_ring_prefetch_w(r, &r->hdr->tail);
	if (r->slot != NULL)
		bvapm_ring_prefetch_w(r, &r->slot->records_written);
	/* Relaxed load, used only to choose which lines to prefetch: a stale
	 * or garbage tail costs a useless prefetch (masked into the data
	 * area), never a wrong write. Nothing is stored here. */
	uint64_t t = ck_pr_load_64(&r->hdr->tail);
	uint64_t total = bvapm_align8((uint64_t)len + BVAPM_RING_RECORD_HEADER);

	if ((t & r->mask) + total > r->capacity)
		t = 0; /* the record will wrap to the start of the data area */
	bvapm_ring_prefetch_record(r, t, total);
	BVAPM_RING_STEP(BVAPM_STEP_AFTER_PREPARE);
}

int bvapm_ring_reserve(struct bvapm_ring *r, uint32_t len, struct bvapm_ring_reservation *res)
{
	struct bvapm_ring_header *h = r->hdr;
	ck_backoff_t backoff = BACKOFF_START;

	if (bvapm_unlikely(r->fork_generation != bvapm_ring_fork_generation || !r->writable))
		return -EBADF;
	if (bvapm_unlikely(bvapm_ring_faulted(r)))
		return -ENXIO; /* the SIGBUS guard retired the mapping: nobody reads it */
	if (bvapm_unlikely((uint64_t)len + BVAPM_RING_RECORD_HEADER > r->max_record))
		return drop(r, BVAPM_LOSS_TOO_BIG, -EMSGSIZE);

	uint64_t total = bvapm_align8((uint64_t)len + BVAPM_RING_RECORD_HEADER);
	uint64_t pid = r->pid;
	uint64_t bad_t = UINT64_MAX, bad_cw = 0; /* a word at the tail that is no claim */

	/* The tail's line in exclusive state before its load: the load and the
	 * publishing CAS below then take one transfer, not a shared copy and
	 * then an upgrade. Our slot's line (the counter bumped at commit) is
	 * asked for at the same time. Hints only: see ring_internal.h. */
	bvapm_ring_prefetch_w(r, &h->tail);
	if (r->slot != NULL)
		bvapm_ring_prefetch_w(r, &r->slot->records_written);

	for (int attempt = 0; attempt < BVAPM_RING_MAX_ATTEMPTS; attempt++) {
		BVAPM_RING_STEP(BVAPM_STEP_BEFORE_CLAIM);
		/* Relaxed: t is only a guess, the claim CAS on word(t) decides. */
		uint64_t t = ck_pr_load_64(&h->tail);
		/* Producers only ever publish 8-aligned tails: any other value
		 * is a corrupt header, and using it would read and CAS words
		 * that straddle the end of the data area. */
		if (bvapm_unlikely((t & 7) != 0))
			return drop(r, BVAPM_LOSS_CONTENTION, -EIO);
		/* The consumer writes head after every batch: reading it on every
		 * write would cost a cache miss. Use our last copy; it is older,
		 * so never larger than the real head (which only grows), and it
		 * only ever under-states free room. That is safe because a claim
		 * does not trust the head at all: the claim CAS below expects
		 * FREE(lap) in the word itself, which exists only once the
		 * consumer released the word (its store fence before the head
		 * store pairs with our load fence before each head reload). */
		uint64_t head = r->cached_head;

		if (bvapm_unlikely(head > t || t - head > r->capacity)) {
			/* tail before head: the head we compare with is at least
			 * as new as the tail, so "t - head" never overstates room */
			ck_pr_fence_load();
			head = r->cached_head = ck_pr_load_64(&h->head);
			if (head > t) { /* our tail is stale: the ring moved on */
				ck_backoff_eb(&backoff);
				continue;
			}
			if (t - head > r->capacity)
				return drop(r, BVAPM_LOSS_CONTENTION, -EIO); /* corrupt positions */
		}

		uint64_t lap = bvapm_ring_lap(r, t);
		uint64_t off = t & r->mask;
		uint64_t pad = off + total > r->capacity ? r->capacity - off : 0;

		/* Full first: with room for pad + total, the words at t belong
		 * to this lap (the previous lap's records there are released).
		 * Full by our old copy of head: look at the real one first. */
		if (t + pad + total - head > r->capacity) {
			ck_pr_fence_load(); /* tail before head, as above */
			head = r->cached_head = ck_pr_load_64(&h->head);
			if (head > t) {
				ck_backoff_eb(&backoff);
				continue;
			}
			if (t + pad + total - head > r->capacity)
				return drop(r, BVAPM_LOSS_FULL, -ENOSPC);
		}

		uint64_t *word = bvapm_ring_word(r, t);
		uint64_t free_cw = bvapm_cw_free(lap);
		uint64_t cw;

		if (pad != 0) {
			/* Wrap: pad to the end of the data area, then retry at
			 * the start of the next lap. The CAS expects FREE(lap)
			 * in the word itself (see step 1). */
			if (ck_pr_cas_64_value(word, free_cw, bvapm_cw_make(BVAPM_CW_SKIP, pad, pid, lap),
			                       &cw)) {
				BVAPM_RING_STEP(BVAPM_STEP_AFTER_PADDING_CLAIM);
				/* Publish the padding; failure means a helper did. */
				ck_pr_cas_64(&h->tail, t, t + pad);
				continue;
			}
		} else {
			/* The record's lines, all requested now: their misses
			 * overlap with the claim instead of following it. */
			bvapm_ring_prefetch_record(r, t, total);
			/* Step 1: claim. One CAS, no load before it: it is
			 * atomic with the FREE(lap) check, so a stale t (older
			 * lap) can never succeed, and on failure it returns
			 * what the word holds. Ordering: it reads the
			 * consumer's FREE(lap) store (bvapm_ring_release), so
			 * the word was released before we own it; on x86 it
			 * is a lock cmpxchg, a full barrier, so the copy's
			 * stores follow it. The consumer reads the payload
			 * only after COMMITTED, which the store fence in
			 * finish() orders after the copy: that pair, not this
			 * CAS, is what delivery relies on. */
			if (ck_pr_cas_64_value(word, free_cw,
			                       bvapm_cw_make(BVAPM_CW_RESERVED, total, pid, lap), &cw)) {
				BVAPM_RING_STEP(BVAPM_STEP_AFTER_CLAIM);
				/* Step 2: publish; failure means a helper already
				 * did. The tail's line is ours since the prefetch
				 * and the load above, so this is not a second
				 * transfer unless another producer took it. */
				ck_pr_cas_64(&h->tail, t, t + total);
				BVAPM_RING_STEP(BVAPM_STEP_AFTER_TAIL);
				res->data = (uint8_t *)word + BVAPM_RING_RECORD_HEADER;
				res->capacity = (uint32_t)(total - BVAPM_RING_RECORD_HEADER);
				res->total = (uint32_t)total;
				res->pos = t;
				return 0;
			}
		}

		/* The word at t is not FREE(lap): cw is what it holds. Someone
		 * claimed t but has not moved the tail yet: help it forward
		 * (step 2 on its behalf), then retry. A word that is neither
		 * means our t is stale. */
		if (bvapm_cw_state(cw) != BVAPM_CW_FREE && bvapm_cw_tag(cw) == (lap & BVAPM_CW_TAG_MASK) &&
		    bvapm_cw_len(cw) >= 8 && off + bvapm_cw_len(cw) <= r->capacity) {
			ck_pr_cas_64(&h->tail, t, t + bvapm_cw_len(cw));
			continue;
		}
		/* The same non-claim at the same tail after a backoff is not a
		 * race but garbage only the consumer can clear
		 * (ring_consumer.c): drop now instead of spinning on. */
		if (t == bad_t && cw == bad_cw)
			return drop(r, BVAPM_LOSS_CONTENTION, -EBUSY);
		bad_t = t;
		bad_cw = cw;
		ck_backoff_eb(&backoff);
	}
	return drop(r, BVAPM_LOSS_CONTENTION, -EBUSY);
}

static int finish(struct bvapm_ring *r, struct bvapm_ring_reservation *res,
                  enum bvapm_cw_state state, uint16_t type, uint32_t used)
{
	uint64_t *word = bvapm_ring_word(r, res->pos);
	uint64_t lap = bvapm_ring_lap(r, res->pos);
	uint32_t tail_bytes = res->capacity - used;

	/* Zero what the payload did not use, so no stale bytes are delivered. */
	if (tail_bytes > 0)
		memset((uint8_t *)res->data + used, 0, tail_bytes);
	word[1] = bvapm_w1_make(type, 0, used);
	BVAPM_RING_STEP(BVAPM_STEP_BEFORE_COMMIT);

	/* Make sure word1 and the payload are visible before the state change
	 * that lets the consumer read them (release). */
	ck_pr_fence_store();
	uint64_t reserved = bvapm_cw_make(BVAPM_CW_RESERVED, res->total, r->pid, lap);
	if (!ck_pr_cas_64(word, reserved, bvapm_cw_make(state, res->total, r->pid, lap))) {
		/* The consumer gave up on us (stalled past its timeout) and
		 * repaired the record: it is lost, and counted there. Or the
		 * file was truncated meanwhile: nobody counted it. */
		if (bvapm_unlikely(bvapm_ring_faulted(r)))
			return -ENXIO;
		bvapm_ring_slot_count_write(r, false);
		return -ESTALE;
	}
	bvapm_ring_slot_count_write(r, state == BVAPM_CW_COMMITTED);
	return 0;
}

int bvapm_ring_commit(struct bvapm_ring *r, struct bvapm_ring_reservation *res, uint16_t type,
                      uint32_t used)
{
	if (used > res->capacity)
		used = res->capacity;
	return finish(r, res, BVAPM_CW_COMMITTED, type, used);
}

void bvapm_ring_abort(struct bvapm_ring *r, struct bvapm_ring_reservation *res)
{
	(void)finish(r, res, BVAPM_CW_SKIP, 0, 0);
}

int bvapm_ring_write(struct bvapm_ring *r, uint16_t type, const void *data, uint32_t len)
{
	struct bvapm_ring_reservation res;
	int rc = bvapm_ring_reserve(r, len, &res);

	if (rc != 0)
		return rc;
#ifdef BVAPM_RING_TEST_HOOKS
	memcpy(res.data, data, len / 2);
	BVAPM_RING_STEP(BVAPM_STEP_MID_COPY);
	memcpy((uint8_t *)res.data + len / 2, (const uint8_t *)data + len / 2, len - len / 2);
#else
	memcpy(res.data, data, len);
#endif
	return bvapm_ring_commit(r, &res, type, len);
}
