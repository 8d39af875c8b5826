/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_check.c — read-only integrity walk for `bvapm-shm check`.
 *
 * Checks the header's positions (tail >= head, at most one lap apart, 8-byte
 * aligned), walks every record between head and tail exactly as the consumer
 * would (without changing anything), checks that every word ahead of the
 * tail is the free marker of its lap (garbage there stops producers when the
 * tail reaches it, until the drainer clears it), and checks the slot table and
 * the ring's file (mode, retired, replaced). It runs beside live producers and
 * consumer, so a record may change state during the walk; only framing that
 * can never be valid counts as a problem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ring_internal.h"

#define problem(rep, ...)                                                                \
	do {                                                                             \
		if ((rep)->problems++ == 0)                                              \
			snprintf((rep)->first_problem, sizeof((rep)->first_problem),    \
			         __VA_ARGS__);                                           \
	} while (0)

/* Words in [tail, head + capacity) are released: each must be FREE(its lap).
 * A word that is not, and that is still ahead of the tail after we re-read
 * it, is garbage (a claim in progress moves the tail past it). */
static void check_free_area(const struct bvapm_ring *r, struct bvapm_ring_check_report *rep,
                            uint64_t head, uint64_t tail)
{
	uint64_t first_pos = 0, first_word = 0;

	for (uint64_t p = tail; p < head + r->capacity; p += 8) {
		uint64_t w = ck_pr_load_64(bvapm_ring_word(r, p));

		if (w == bvapm_cw_free(bvapm_ring_lap(r, p)))
			continue;
		ck_pr_fence_load(); /* the word before the tail we compare it with */
		if (ck_pr_load_64(&r->hdr->tail) > p)
			break; /* producers moved on meanwhile: the rest is theirs */
		if (rep->garbage_words++ == 0) {
			first_pos = p;
			first_word = w;
		}
	}
	if (rep->garbage_words == 0)
		return;
	if (first_pos == tail)
		problem(rep,
		        "the word at the tail (position %llu: 0x%016llx) is neither free nor a claim: "
		        "producers drop until bvapm-drainer clears it (%llu such words ahead)",
		        (unsigned long long)first_pos, (unsigned long long)first_word,
		        (unsigned long long)rep->garbage_words);
	else
		problem(rep,
		        "%llu words ahead of the tail are not free markers (first at position %llu: "
		        "0x%016llx): foreign writes or a producer's late copy",
		        (unsigned long long)rep->garbage_words, (unsigned long long)first_pos,
		        (unsigned long long)first_word);
}

static void check_file(const struct bvapm_ring *r, struct bvapm_ring_check_report *rep)
{
	struct stat st;

	if (bvapm_ring_is_retired(r))
		problem(rep, "ring is retired: bvapm-drainer moved to a new file at %s", r->path);
	if (stat(r->path, &st) != 0)
		return; /* a mapping of a removed file: bvapm_ring_standing says so */
	if (st.st_mode & S_IWOTH)
		problem(rep, "%s is writable by every local user (mode %04o): agents and the drainer "
		        "refuse it", r->path, (unsigned)(st.st_mode & 07777));
	if ((uint64_t)st.st_size < r->map_len)
		problem(rep, "%s was truncated to %lld bytes (the ring needs %zu)", r->path,
		        (long long)st.st_size, r->map_len);
}

/* Claimed slots that fail the readers' validation (ring_slots.c). */
static void check_slots(const struct bvapm_ring *r, struct bvapm_ring_check_report *rep)
{
	struct bvapm_ring_slot_view *v = calloc(r->slot_count ? r->slot_count : 1, sizeof(*v));
	uint32_t invalid = 0, first = 0;
	const char *why = NULL;

	if (v == NULL)
		return;
	int n = bvapm_ring_slots(r, v, r->slot_count);
	for (int i = 0; i < n; i++) {
		if (v[i].invalid == NULL)
			continue;
		if (invalid++ == 0) {
			first = v[i].index;
			why = v[i].invalid;
		}
	}
	if (invalid)
		problem(rep, "%u claimed slots are invalid (first: slot %u, %s): bvapm-drainer reaps "
		        "them", invalid, first, why);
	free(v);
}

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
	check_free_area(r, rep, head, tail);
	check_file(r, rep);
	check_slots(r, rep);
	return (int)rep->problems;
}
