/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_stats.c — statistics snapshot and the control words' writer and full
 * reader (producers' one-load reads of them are in ring_producer.c).
 *
 * Readers take relaxed loads: the figures are for people and dashboards, and
 * may be a few records apart from one another. The kill switch is read by
 * agents at each request start with one relaxed load; it needs no ordering
 * with anything else (turning it on takes effect from the next request).
 *
 * Every counter in the header and the slots is untrusted (any process that
 * can write the ring can set it to anything), so totals saturate at
 * UINT64_MAX instead of wrapping: a hostile 2^64-1 reads as "at least that
 * many", never as a small number.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ring_internal.h"

#define CONSUMER_STALE_MS 10000u /* heartbeat older than this: not draining */

static const char *const loss_names[BVAPM_LOSS__COUNT] = {
	[BVAPM_LOSS_FULL] = "full",
	[BVAPM_LOSS_TOO_BIG] = "too_big",
	[BVAPM_LOSS_CONTENTION] = "contention",
	[BVAPM_LOSS_NOT_ATTACHED] = "not_attached",
	[BVAPM_LOSS_INCOMPATIBLE] = "incompatible",
	[BVAPM_LOSS_REPAIRED] = "repaired",
	[BVAPM_LOSS_RETIRED] = "retired",
};

/* a + b, or UINT64_MAX when the sum does not fit. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	uint64_t sum;

	return __builtin_add_overflow(a, b, &sum) ? UINT64_MAX : sum;
}

const char *bvapm_ring_loss_name(enum bvapm_ring_loss reason)
{
	return (unsigned)reason < BVAPM_LOSS__COUNT ? loss_names[reason] : "unknown";
}

void bvapm_ring_get_control(const struct bvapm_ring *r, struct bvapm_ring_control *out)
{
	const struct bvapm_ring_header *h = r->hdr;

	out->kill_switch = ck_pr_load_32(&h->kill_switch);
	out->mode_override = ck_pr_load_32(&h->mode_override);
	/* Partner of the store fence in bvapm_ring_set_control: who/when were
	 * written before the words, so a reader that sees the new words, then
	 * fences, sees who changed them (or a later change). */
	ck_pr_fence_load();
	out->changed_ns = ck_pr_load_64(&h->control_changed_ns);
	out->changed_uid = ck_pr_load_32(&h->control_changed_uid);
	out->changed_pid = ck_pr_load_32(&h->control_changed_pid);
}

int bvapm_ring_set_control(struct bvapm_ring *r, uint32_t kill_switch, uint32_t mode_override)
{
	struct bvapm_ring_header *h = r->hdr;

	if (!r->writable)
		return -EROFS;
	/* who/when first, then the words agents act on; the store fence pairs
	 * with the load fence in bvapm_ring_get_control */
	ck_pr_store_64(&h->control_changed_ns, bvapm_clock_ns(CLOCK_REALTIME));
	ck_pr_store_32(&h->control_changed_uid, (uint32_t)getuid());
	ck_pr_store_32(&h->control_changed_pid, (uint32_t)getpid());
	ck_pr_fence_store();
	ck_pr_store_32(&h->mode_override, mode_override);
	ck_pr_store_32(&h->kill_switch, kill_switch);
	return 0;
}

int bvapm_ring_stats(const struct bvapm_ring *r, struct bvapm_ring_stats *st)
{
	const struct bvapm_ring_header *h = r->hdr;

	memset(st, 0, sizeof(*st));
	snprintf(st->path, sizeof(st->path), "%s", r->path);
	st->abi_major = h->abi_major;
	st->abi_minor = h->abi_minor;
	st->capacity = r->capacity;
	st->max_record = r->max_record;
	st->slot_count = r->slot_count;
	st->head = ck_pr_load_64(&h->head);
	st->tail = ck_pr_load_64(&h->tail);
	st->used_bytes = st->tail >= st->head ? st->tail - st->head : 0;
	if (st->used_bytes > st->capacity)
		st->used_bytes = st->capacity;
	st->lost[BVAPM_LOSS_FULL] = ck_pr_load_64(&h->lost_full);
	st->lost[BVAPM_LOSS_TOO_BIG] = ck_pr_load_64(&h->lost_too_big);
	st->lost[BVAPM_LOSS_CONTENTION] = ck_pr_load_64(&h->lost_contention);
	st->lost[BVAPM_LOSS_NOT_ATTACHED] = ck_pr_load_64(&h->lost_not_attached);
	st->lost[BVAPM_LOSS_INCOMPATIBLE] = ck_pr_load_64(&h->lost_incompatible);
	st->lost[BVAPM_LOSS_REPAIRED] = ck_pr_load_64(&h->lost_repaired);
	st->lost[BVAPM_LOSS_RETIRED] = ck_pr_load_64(&h->lost_retired);
	for (int i = 0; i < BVAPM_LOSS__COUNT; i++)
		st->lost_total = sat_add(st->lost_total, st->lost[i]);
	st->consumed_records = ck_pr_load_64(&h->consumed_records);
	st->consumed_bytes = ck_pr_load_64(&h->consumed_bytes);
	st->invalid_records = ck_pr_load_64(&h->invalid_records);
	st->invalid_bytes = ck_pr_load_64(&h->invalid_bytes);
	st->create_time_ns = h->create_time_ns;

	st->consumer_pid = ck_pr_load_32(&h->consumer_pid);
	uint64_t beat = ck_pr_load_64(&h->consumer_heartbeat_ns);
	uint64_t now = bvapm_clock_ns(CLOCK_MONOTONIC);
	st->consumer_heartbeat_age_ms = beat != 0 && now > beat ? (now - beat) / 1000000u : 0;
	st->consumer_alive = st->consumer_pid != 0 && bvapm_proc_alive(st->consumer_pid, NULL) &&
	                     st->consumer_heartbeat_age_ms < CONSUMER_STALE_MS;
	bvapm_ring_get_control(r, &st->control);

	for (uint32_t i = 0; i < r->slot_count; i++) {
		const struct bvapm_ring_slot *s = &r->slots[i];
		uint64_t owner = ck_pr_load_64(&s->owner);

		if (owner == 0)
			continue;
		st->slots_used++;
		st->written_records =
		    sat_add(st->written_records, ck_pr_load_64(&s->records_written));
		bool in_request = ck_pr_load_32(&s->state) == BVAPM_SLOT_IN_REQUEST;
		/* the readers' rule (ring_slots.c): pid and start time */
		if (!bvapm_ring_slot_owner_live(owner, ck_pr_load_64(&s->proc_start)))
			st->slots_dead++;
		else if (in_request)
			st->slots_in_request++;
	}
	return 0;
}
