/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_framing.c — telling a real record boundary from bytes that look like
 * one, shared by the consumer (ring_consumer.c) and observers
 * (ring_observe.c).
 *
 * Corrupt framing at a position (a foreign write, a producer's late copy)
 * leaves the walker without the length of the record it stands on. It then
 * looks for the next word that is a plausible header and chains, header by
 * header, exactly to the tail (or through BVAPM_RING_RESYNC_HOPS headers):
 * payload bytes that happen to look like one header almost never chain.
 *
 * Loads are relaxed: only the framing is looked at, and a word that changes
 * under the walk only ends a chain early (the caller then skips more).
 */
#include "ring_internal.h"

bool bvapm_ring_chains_to(const struct bvapm_ring *r, uint64_t pos, uint64_t tail)
{
	for (int hop = 0; hop < BVAPM_RING_RESYNC_HOPS; hop++) {
		if (pos == tail)
			return true;
		uint64_t cw = ck_pr_load_64(bvapm_ring_word(r, pos));
		if (!bvapm_ring_frame_ok(r, cw, pos, tail))
			return false;
		pos += bvapm_cw_len(cw);
	}
	return true;
}

uint64_t bvapm_ring_next_boundary(const struct bvapm_ring *r, uint64_t pos, uint64_t tail)
{
	uint64_t p;

	for (p = pos + 8; p < tail; p += 8) {
		uint64_t cw = ck_pr_load_64(bvapm_ring_word(r, p));
		if (bvapm_ring_frame_ok(r, cw, p, tail) && bvapm_ring_chains_to(r, p, tail))
			break;
	}
	return p;
}
