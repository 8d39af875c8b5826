/*
 * ring_check.c — read-only integrity walk for `bvapm-shm check`.
 *
 * Checks the header's positions (tail >= head, at most one lap apart, 8-byte
 * aligned), walks every record between head and tail exactly as the consumer
 * would (without changing anything), and checks the slot table. It runs
 * beside live producers and consumer, so a record may change state during the
 * walk; only framing that can never be valid counts as a problem.
 */
#include <stdio.h>
#include <string.h>

#include "ring_internal.h"

#define problem(rep, ...)                                                                \
	do {                                                                             \
		if ((rep)->problems++ == 0)                                              \
			snprintf((rep)->first_problem, sizeof((rep)->first_problem),    \
			         __VA_ARGS__);                                           \
	} while (0)

int bvapm_ring_check(const struct bvapm_ring *r, struct bvapm_ring_check_report *rep)
{
	const struct bvapm_ring_header *h = r->hdr;

	memset(rep, 0, sizeof(*rep));
	uint64_t head = ck_pr_load_64(&h->head);
	ck_pr_fence_load(); /* head before tail: tail >= head must hold */
	uint64_t tail = ck_pr_load_64(&h->tail);

	if (head % 8 != 0 || tail % 8 != 0)
		problem(rep, "positions not 8-byte aligned (head %llu, tail %llu)", (unsigned long long)head,
		        (unsigned long long)tail);
	if (tail < head || tail - head > r->capacity) {
		problem(rep, "positions corrupt (head %llu, tail %llu)", (unsigned long long)head,
		        (unsigned long long)tail);
		return (int)rep->problems;
	}
	for (uint64_t pos = head; pos < tail;) {
		uint64_t cw = ck_pr_load_64(bvapm_ring_word(r, pos));

		if (!bvapm_ring_frame_ok(r, cw, pos, tail)) {
			/* The consumer may have released this record while we
			 * walked: only a boundary still ahead of the head counts. */
			if (ck_pr_load_64(&h->head) <= pos)
				problem(rep, "invalid record header at position %llu (word 0x%llx)",
				        (unsigned long long)pos, (unsigned long long)cw);
			break;
		}
		uint64_t len = bvapm_cw_len(cw);
		switch (bvapm_cw_state(cw)) {
		case BVAPM_CW_COMMITTED: {
			uint64_t w1 = bvapm_ring_word(r, pos)[1];
			rep->committed++;
			rep->committed_bytes += len;
			if (bvapm_w1_payload_len(w1) > len - BVAPM_RING_RECORD_HEADER ||
			    bvapm_w1_type(w1) == 0)
				problem(rep, "record at %llu has a bad payload length or type (0x%llx)",
				        (unsigned long long)pos, (unsigned long long)w1);
			break;
		}
		case BVAPM_CW_RESERVED: rep->reserved++; break;
		default: rep->skipped++; break;
		}
		pos += len;
	}
	for (uint32_t i = 0; i < r->slot_count; i++) {
		uint32_t state = ck_pr_load_32(&r->slots[i].state);
		if (state != BVAPM_SLOT_IDLE && state != BVAPM_SLOT_IN_REQUEST)
			problem(rep, "slot %u has an unknown state %u", i, state);
	}
	return (int)rep->problems;
}
