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
#include "record.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "clock.h"

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
	struct bvapm_ring_create_opts o = {
		.name = cfg->ring_name,
		.capacity = cfg->ring_size,
		.max_record = cfg->ring_max_record,
		.slot_count = cfg->ring_slots,
		.mode = cfg->ring_mode,
		.group = gid,
		.prefault = cfg->ring_prefault,
	};
	struct bvapm_ring_error e = { 0, "" };
	int rc = bvapm_ring_create(&o, &r->ring, &e);
	if (rc == 0) {
		r->created = true;
		LOG_I("created ring %s (%llu bytes)", cfg->ring_name, (unsigned long long)cfg->ring_size);
		return 0;
	}
	if (rc != -EEXIST) {
		snprintf(err, errlen, "cannot create ring %s: %s", cfg->ring_name, e.msg);
		return rc;
	}
	rc = bvapm_ring_open(cfg->ring_name, BVAPM_RING_CONSUMER, &r->ring, &e);
	if (rc) {
		snprintf(err, errlen, "cannot attach to ring %s: %s", cfg->ring_name, e.msg);
		return rc;
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
	bvapm_ring_close(r->ring);
	free(r->peek);
	r->ring = NULL;
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

struct bvapm_batch *bvapm_reader_next(struct bvapm_reader *r, uint32_t max)
{
	if (max > r->cfg->batch_records)
		max = r->cfg->batch_records;
	int n = bvapm_ring_peek(r->ring, r->peek, max);
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
		bvapm_ring_rewind(r->ring); /* try again later; nothing was released */
		return NULL;
	}
	memset(b, 0, sizeof *b);
	b->recs = (struct bvapm_sink_record *)((char *)b + head);
	b->data = (uint8_t *)b + head + table;
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

uint32_t bvapm_reader_reap(struct bvapm_reader *r)
{
	uint32_t freed = 0;
	uint64_t end = 0;
	while (r->head && bvapm_batch_done(r->head)) {
		struct bvapm_batch *b = r->head;
		r->head = b->next;
		if (!r->head)
			r->tail = NULL;
		end = b->end;
		freed += b->n;
		free(b);
	}
	r->inflight -= freed;
	if (!r->head) {
		uint64_t pos = bvapm_ring_read_pos(r->ring);
		if (pos > bvapm_ring_head(r->ring))
			bvapm_ring_release(r->ring, pos);
	} else if (end) {
		bvapm_ring_release(r->ring, end);
	}
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
