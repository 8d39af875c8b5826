/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reader.c — see reader.h.
 *
 * Guarantee (no loss on SIGKILL): bvapm_ring_release is only called with the
 * end of a batch that every sink reported safe (acknowledged or spooled), or
 * with the read cursor when no batch is in flight (then everything before it
 * was SKIP, invalid or already released).
 */
#include "reader.h"
#include "log.h"
#include "record/record.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "support/bvapm_clock.h"

#define WATCH_MS 1000u          /* standing check of the ring's file */
#define RETIRED_DRAIN_MS 3000u  /* a retired ring is drained this long at least */
#define EVENTS_LOG_MS 10000u    /* at most one line about repairs per interval */

static int ring_create_opts(const struct bvapm_drainer_config *cfg,
                            struct bvapm_ring_create_opts *o, char *err, size_t errlen)
{
	gid_t gid = (gid_t)-1;
	if (cfg->ring_group[0]) {
		struct group gr, *res = NULL;
		char buf[4096];
		if (getgrnam_r(cfg->ring_group, &gr, buf, sizeof buf, &res) != 0 || !res) {
			snprintf(err, errlen, "[ring] group \"%s\" does not exist", cfg->ring_group);
			return -ENOENT;
		}
		gid = gr.gr_gid;
	}
	*o = (struct bvapm_ring_create_opts){
		.name = cfg->ring_name,
		.capacity = cfg->ring_size,
		.max_record = cfg->ring_max_record,
		.slot_count = cfg->ring_slots,
		.mode = cfg->ring_mode,
		.group = gid,
		.prefault = cfg->ring_prefault,
	};
	return 0;
}

/* Creates the ring, or attaches to the one at its path as its consumer. A
 * file of ours at the path that is truncated or corrupt (-EBADMSG: whatever
 * it held is lost already) is removed and created anew; any other refusal
 * (another user's file, another ABI, another live drainer) is the operator's
 * to resolve, and is returned. */
static int open_ring(const struct bvapm_drainer_config *cfg, bvapm_ring **out, bool *created,
                     char *err, size_t errlen)
{
	struct bvapm_ring_create_opts o;
	struct bvapm_ring_error e = { 0, "" };
	int rc = ring_create_opts(cfg, &o, err, errlen);

	*created = false;
	if (rc)
		return rc;
	for (int attempt = 0; attempt < 2; attempt++) {
		rc = bvapm_ring_create(&o, out, &e);
		if (rc == 0) {
			*created = true;
			return 0;
		}
		if (rc != -EEXIST) {
			snprintf(err, errlen, "cannot create ring %s: %s", cfg->ring_name, e.msg);
			return rc;
		}
		rc = bvapm_ring_open(cfg->ring_name, BVAPM_RING_CONSUMER, out, &e);
		if (rc == 0)
			return 0;
		snprintf(err, errlen, "cannot attach to ring %s: %s", cfg->ring_name, e.msg);
		if (rc != -EBADMSG || bvapm_ring_unlink(cfg->ring_name) != 0)
			return rc;
		LOG_W("ring %s was truncated or corrupt (%s): removed, creating a new one",
		      cfg->ring_name, e.msg);
	}
	return rc;
}

int bvapm_reader_open(struct bvapm_reader *r, const struct bvapm_drainer_config *cfg,
                      struct bvapm_metrics *m, int nsinks, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	r->cfg = cfg;
	r->m = m;
	r->nsinks = nsinks;
	r->invalid_log_per_min = cfg->invalid_log_per_min;
	r->peek = calloc(cfg->batch_records, sizeof *r->peek);
	if (!r->peek) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = open_ring(cfg, &r->ring, &r->created, err, errlen);
	if (rc)
		return rc;
	r->watch_ms = bvapm_mono_ms();
	if (r->created) {
		LOG_I("created ring %s (%llu bytes)", cfg->ring_name, (unsigned long long)cfg->ring_size);
		return 0;
	}
	struct bvapm_ring_stats st;
	bvapm_ring_stats(r->ring, &st);
	LOG_I("attached to existing ring %s (%llu bytes, %llu bytes waiting)", cfg->ring_name,
	      (unsigned long long)st.capacity, (unsigned long long)st.used_bytes);
	if (st.capacity != cfg->ring_size)
		LOG_W("ring %s has %llu bytes, not the configured %llu: remove it to resize",
		      cfg->ring_name, (unsigned long long)st.capacity,
		      (unsigned long long)cfg->ring_size);
	return 0;
}

void bvapm_reader_close(struct bvapm_reader *r)
{
	while (r->head) {
		struct bvapm_batch *b = r->head;
		r->head = b->next;
		free(b);
	}
	bvapm_ring_close(r->retired);
	bvapm_ring_close(r->ring);
	free(r->peek);
	r->ring = r->retired = NULL;
	r->peek = NULL;
}

static void log_invalid(struct bvapm_reader *r, const struct bvapm_ring_record *rec,
                        const struct bvapm_rec_verify_error *ve, int rc)
{
	uint64_t now = bvapm_mono_ms();
	if (now - r->log_window_ms >= 60000) {
		if (r->log_count > r->invalid_log_per_min)
			LOG_W("%u more invalid records in the last minute (not logged)",
			      r->log_count - r->invalid_log_per_min);
		r->log_window_ms = now;
		r->log_count = 0;
	}
	if (r->log_count++ < r->invalid_log_per_min)
		LOG_W("invalid record skipped: pid %u, type %u, %u bytes at ring position %llu: %s "
		      "(offset %u, %s)", rec->pid, rec->type, rec->len, (unsigned long long)rec->pos,
		      ve->what ? ve->what : "rejected", ve->offset, strerror(-rc));
}

static bool inflight_from(const struct bvapm_reader *r, const bvapm_ring *ring)
{
	for (const struct bvapm_batch *b = r->head; b; b = b->next)
		if (b->ring == ring)
			return true;
	return false;
}

/* Abandons r->ring for a new file at its path (see reader.h). */
static void replace_ring(struct bvapm_reader *r, const char *why)
{
	char err[320];
	bvapm_ring *fresh = NULL;
	bool created = false;

	if (r->retired) {
		if (inflight_from(r, r->retired))
			return; /* the previous swap is still settling: next second */
		bvapm_ring_close(r->retired);
		r->retired = NULL;
	}
	struct bvapm_ring_stats st;
	bvapm_ring_stats(r->ring, &st); /* zeros for a mapping the guard replaced */
	if (open_ring(r->cfg, &fresh, &created, err, sizeof err) != 0) {
		LOG_E("ring %s: %s, and no new ring can take its place: %s (retrying every second)",
		      r->cfg->ring_name, why, err);
		return;
	}
	bvapm_ring_retire(r->ring); /* workers move at their next request */
	LOG_W("ring %s: %s; retired it and %s a new one (%llu bytes were waiting in the old "
	      "one%s)", r->cfg->ring_name, why, created ? "created" : "attached to",
	      (unsigned long long)st.used_bytes,
	      bvapm_ring_is_retired(r->ring) && st.capacity ? ", drained now" : "");
	BVAPM_M_ADD(r->m->rings_retired, 1);
	r->retired = r->ring;
	r->retired_ms = bvapm_mono_ms();
	r->ring = fresh;
	memset(&r->events_logged, 0, sizeof r->events_logged);
}

/* One line about what the consumer repaired since the last one. Numbers
 * only: nothing from shared memory but a position and a word in hex. */
static void log_repairs(struct bvapm_reader *r, uint64_t now)
{
	struct bvapm_ring_consumer_events ev, *was = &r->events_logged;

	if (now - r->events_log_ms < EVENTS_LOG_MS)
		return;
	bvapm_ring_consumer_events(r->ring, &ev);
	if (ev.tail_cleared == was->tail_cleared && ev.resyncs == was->resyncs &&
	    ev.bad_contents == was->bad_contents && ev.repaired_dead == was->repaired_dead &&
	    ev.repaired_stalled == was->repaired_stalled && ev.positions_reset == was->positions_reset)
		return;
	LOG_W("ring %s repaired what other processes broke: %llu garbage words cleared at the "
	      "tail, %llu corrupt stretches skipped (%llu bytes), %llu records with bad contents, "
	      "%llu reservations of dead and %llu of stalled producers given up, %llu position "
	      "resets; last at position %llu (word 0x%016llx)",
	      r->cfg->ring_name, (unsigned long long)(ev.tail_cleared - was->tail_cleared),
	      (unsigned long long)(ev.resyncs - was->resyncs),
	      (unsigned long long)(ev.resync_bytes - was->resync_bytes),
	      (unsigned long long)(ev.bad_contents - was->bad_contents),
	      (unsigned long long)(ev.repaired_dead - was->repaired_dead),
	      (unsigned long long)(ev.repaired_stalled - was->repaired_stalled),
	      (unsigned long long)(ev.positions_reset - was->positions_reset),
	      (unsigned long long)ev.last_pos, (unsigned long long)ev.last_word);
	*was = ev;
	r->events_log_ms = now;
}

static void watch(struct bvapm_reader *r)
{
	uint64_t now = bvapm_mono_ms();
	struct bvapm_ring_error e = { 0, "" };

	if (now - r->watch_ms < WATCH_MS)
		return;
	r->watch_ms = now;
	if (bvapm_ring_standing(r->ring, &e) != BVAPM_RING_CURRENT)
		replace_ring(r, e.msg);
	log_repairs(r, now);
}

void bvapm_reader_tend(struct bvapm_reader *r)
{
	/* max 0: heartbeat and the tail check, nothing taken out */
	if (bvapm_ring_peek(r->ring, r->peek, 0) == -ENXIO)
		r->watch_ms = 0;
	watch(r);
}

/* Peeks the retired ring while it has records (or for RETIRED_DRAIN_MS,
 * while workers move), then the current one. */
static int peek(struct bvapm_reader *r, uint32_t max, bvapm_ring **from)
{
	if (r->retired) {
		int n = bvapm_ring_peek(r->retired, r->peek, max);
		if (n > 0) {
			*from = r->retired;
			return n;
		}
		if (bvapm_mono_ms() - r->retired_ms >= RETIRED_DRAIN_MS &&
		    !inflight_from(r, r->retired)) {
			LOG_I("ring %s: the retired ring is drained and closed", r->cfg->ring_name);
			bvapm_ring_close(r->retired);
			r->retired = NULL;
		}
	}
	*from = r->ring;
	int n = bvapm_ring_peek(r->ring, r->peek, max);
	if (n == -ENXIO) {
		r->watch_ms = 0; /* truncated under us: replace it now */
		watch(r);
	}
	return n;
}

struct bvapm_batch *bvapm_reader_next(struct bvapm_reader *r, uint32_t max)
{
	bvapm_ring *from;

	if (max > r->cfg->batch_records)
		max = r->cfg->batch_records;
	watch(r);
	int n = peek(r, max, &from);
	if (n <= 0)
		return NULL;
	size_t bytes = 0;
	for (int i = 0; i < n; i++)
		bytes += (r->peek[i].len + 7u) & ~7u;
	/* One allocation: header, record table, then the 8-aligned payload copies. */
	size_t head = (sizeof(struct bvapm_batch) + 7u) & ~(size_t)7u;
	size_t table = ((size_t)n * sizeof(struct bvapm_sink_record) + 7u) & ~(size_t)7u;
	struct bvapm_batch *b = malloc(head + table + bytes);
	if (!b) {
		bvapm_ring_rewind(from); /* try again later; nothing was released */
		return NULL;
	}
	memset(b, 0, sizeof *b);
	b->recs = (struct bvapm_sink_record *)((char *)b + head);
	b->data = (uint8_t *)b + head + table;
	b->ring = from;
	b->end = r->peek[n - 1].end;
	size_t off = 0;
	uint64_t good_bytes = 0;
	for (int i = 0; i < n; i++) {
		const struct bvapm_ring_record *rec = &r->peek[i];
		uint8_t *copy = b->data + off;
		memcpy(copy, rec->data, rec->len);
		struct bvapm_rec_verify_error ve = { NULL, 0 };
		int rc = bvapm_rec_verify(copy, rec->len, NULL, &ve);
		if (rc != 0) {
			BVAPM_M_ADD(r->m->records_invalid, 1);
			log_invalid(r, rec, &ve, rc);
			continue;
		}
		bvapm_rec_record_ref root = bvapm_rec_root(copy);
		struct bvapm_sink_record *sr = &b->recs[b->n++];
		sr->data = copy;
		sr->len = rec->len;
		sr->kind = bvapm_rec_record_body_type(root);
		sr->pid = bvapm_rec_record_pid(root);
		sr->producer_start_unix_ns = bvapm_rec_record_producer_start_unix_ns(root);
		sr->sequence = bvapm_rec_record_sequence(root);
		off += (rec->len + 7u) & ~7u;
		good_bytes += rec->len;
	}
	b->pending = b->n ? r->nsinks : 0;
	if (r->tail)
		r->tail->next = b;
	else
		r->head = b;
	r->tail = b;
	r->inflight += b->n;
	BVAPM_M_ADD(r->m->records_read, b->n);
	BVAPM_M_ADD(r->m->bytes_read, good_bytes);
	BVAPM_M_ADD(r->m->batches, 1);
	BVAPM_M_SET(r->m->inflight_records, r->inflight);
	return b;
}

/* Releases `ring` up to `end` (the last safe batch of it), or to its read
 * cursor when no batch of it is in flight (SKIP and invalid records). */
static void release(struct bvapm_reader *r, bvapm_ring *ring, uint64_t end)
{
	if (!ring)
		return;
	if (!inflight_from(r, ring)) {
		uint64_t pos = bvapm_ring_read_pos(ring);
		if (pos > bvapm_ring_head(ring))
			bvapm_ring_release(ring, pos);
	} else if (end) {
		bvapm_ring_release(ring, end);
	}
}

uint32_t bvapm_reader_reap(struct bvapm_reader *r)
{
	uint32_t freed = 0;
	uint64_t end = 0, end_retired = 0;
	while (r->head && bvapm_batch_done(r->head)) {
		struct bvapm_batch *b = r->head;
		r->head = b->next;
		if (!r->head)
			r->tail = NULL;
		if (b->ring == r->ring)
			end = b->end;
		else
			end_retired = b->end;
		freed += b->n;
		free(b);
	}
	r->inflight -= freed;
	release(r, r->ring, end);
	release(r, r->retired, end_retired);
	if (freed)
		BVAPM_M_SET(r->m->inflight_records, r->inflight);
	return freed;
}

unsigned bvapm_reader_fill_pct(const struct bvapm_reader *r)
{
	struct bvapm_ring_stats st;
	bvapm_ring_stats(r->ring, &st);
	return st.capacity ? (unsigned)(st.used_bytes * 100 / st.capacity) : 0;
}
