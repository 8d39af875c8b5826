/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slots.c — see slots.h.
 *
 * Each scan copies the slot table (bvapm_ring_slots validates every slot:
 * owner pid, state, strings, times; ring/ring_slots.c) and acts on the slots
 * whose owner is not running:
 *   - invalid (no writer could have left it: garbage written into the
 *     table): reaped without a record, counted in `slots_invalid`, and
 *     reported in one rate-limited log line per scan;
 *   - dead inside a request: an aborted-request record, then reaped;
 *   - dead and idle: reaped.
 * A slot is acted on once two scans in a row found it not running with the
 * same owner and generation. A worker claiming a slot shows, between its CAS
 * on the owner word and its first store, its own pid beside the previous
 * owner's start time, which reads like a reused pid; one scan later it has
 * moved on. Every handled slot is reaped, whatever became of its record
 * (written, or impossible to encode or too big for the ring: logged), so no
 * slot stays dead; only a full or busy ring postpones it to the next scan.
 *
 * Strings from the slots reach the log only through bvapm_log_escape.
 */
#include "slots.h"
#include "support/bvapm_clock.h"
#include "log.h"
#include "record/record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Lines about invalid slots per minute (then one count of the others). */
#define INVALID_LOG_PER_MIN 10

/* A slot seen not running at scan `epoch`. */
struct suspect {
	uint64_t epoch;
	uint64_t generation;
	uint32_t pid;
};

/* What one scan reaped as invalid, for its log line. */
struct invalid_note {
	unsigned count;
	uint32_t index, pid;
	const char *why;
	char method[BVAPM_SLOT_METHOD_LEN], uri[BVAPM_SLOT_URI_LEN];
};

/* The reader thread's scan state (one scanner per process). */
static struct {
	uint32_t slot_count;
	struct bvapm_ring_slot_view *views;
	struct suspect *suspects; /* by slot index */
	bool *act;                /* by view: handle it in this scan */
	uint64_t epoch;           /* scans so far */
	uint64_t invalid_total;
	uint64_t log_window_ms;
	unsigned log_lines, log_suppressed;
} sc;

/* Sizes the tables for a ring of slot_count slots. */
static int ensure_tables(uint32_t slot_count)
{
	if (sc.views && sc.slot_count == slot_count)
		return 0;
	size_t count = slot_count ? slot_count : 1;
	free(sc.views);
	free(sc.suspects);
	free(sc.act);
	sc.views = calloc(count, sizeof *sc.views);
	sc.suspects = calloc(count, sizeof *sc.suspects);
	sc.act = calloc(count, sizeof *sc.act);
	if (sc.views && sc.suspects && sc.act) {
		sc.slot_count = slot_count;
		return 0;
	}
	free(sc.views);
	free(sc.suspects);
	free(sc.act);
	sc.views = NULL;
	sc.suspects = NULL;
	sc.act = NULL;
	sc.slot_count = 0;
	return -ENOMEM;
}

/* Records v as not running at this scan; true when the previous scan saw it so too. */
static bool confirm(const struct bvapm_ring_slot_view *v)
{
	struct suspect *s = &sc.suspects[v->index];
	bool again = s->epoch != 0 && s->epoch == sc.epoch - 1 && s->pid == v->pid && s->generation == v->generation;

	*s = (struct suspect){ .epoch = sc.epoch, .generation = v->generation, .pid = v->pid };
	return again;
}

/* One line per scan that reaped invalid slots, at most INVALID_LOG_PER_MIN a minute. */
static void log_invalid(const struct invalid_note *note)
{
	uint64_t now = bvapm_mono_ms();
	if (now - sc.log_window_ms >= 60000) {
		if (sc.log_suppressed)
			LOG_W("slot table: %u more scans reaped invalid slots in the last minute (not "
			      "logged); %llu invalid slots since start", sc.log_suppressed,
			      (unsigned long long)sc.invalid_total);
		sc.log_window_ms = now;
		sc.log_lines = sc.log_suppressed = 0;
	}
	if (sc.log_lines >= INVALID_LOG_PER_MIN) {
		sc.log_suppressed++;
		return;
	}
	sc.log_lines++;
	char method[4 * BVAPM_SLOT_METHOD_LEN], uri[200];
	LOG_W("slot table: %u invalid slot%s reaped without a record (%llu since start); first: "
	      "slot %u, owner %u: %s (method \"%s\", uri \"%s\")", note->count,
	      note->count == 1 ? "" : "s", (unsigned long long)sc.invalid_total, note->index,
	      note->pid, note->why, bvapm_log_escape(method, sizeof method, note->method, sizeof note->method),
	      bvapm_log_escape(uri, sizeof uri, note->uri, sizeof note->uri));
}

static void reap_invalid(bvapm_ring *consumer, const struct bvapm_ring_slot_view *v,
                         struct invalid_note *note, struct bvapm_metrics *m)
{
	if (bvapm_ring_slot_reap(consumer, v->index, v->pid) != 0)
		return; /* taken over, or its owner is running after all */
	sc.invalid_total++;
	BVAPM_M_ADD(m->slots_invalid, 1);
	if (note->count++ == 0) {
		note->index = v->index;
		note->pid = v->pid;
		note->why = v->invalid;
		memcpy(note->method, v->method, sizeof note->method);
		memcpy(note->uri, v->uri, sizeof note->uri);
	}
}

/* Writes the aborted-request record of v. Returns 0 when the slot is handled
 * (written, or impossible to write: logged), else -errno of a ring write to
 * retry at the next scan. */
static int write_aborted(bvapm_ring *producer, const struct bvapm_ring_slot_view *v,
                         const char *host, struct bvapm_metrics *m)
{
	static _Alignas(8) uint8_t buf[4096];
	char method[4 * BVAPM_SLOT_METHOD_LEN], uri[4 * BVAPM_SLOT_URI_LEN];
	uint64_t now_mono = bvapm_clock_ns(CLOCK_MONOTONIC);
	struct bvapm_rec_envelope env = {
		.host = bvapm_rec_cstr(host),
		.service = bvapm_rec_cstr("bvapm-drainer"),
		.pid = v->pid,
		.producer_start_unix_ns = v->req_start_wall_ns,
		.sequence = v->request_count,
		.wall_unix_ns = bvapm_clock_ns(CLOCK_REALTIME),
		.mono_ns = now_mono,
	};
	struct bvapm_rec_aborted a = {
		.pid = v->pid,
		.method = bvapm_rec_cstr(v->method),
		.uri = bvapm_rec_cstr(v->uri),
		.started_unix_ns = v->req_start_wall_ns,
		.running_ns = now_mono > v->req_start_mono_ns ? now_mono - v->req_start_mono_ns : 0,
		.last_checkpoint = v->checkpoint[0] ? bvapm_rec_cstr(v->checkpoint) : (bvapm_rec_str){ NULL, 0 },
		.last_checkpoint_mem_bytes = v->checkpoint_mem > 0 ? (uint64_t)v->checkpoint_mem : 0,
		.current_sql = v->sql_start_mono_ns ? bvapm_rec_cstr(v->sql) : (bvapm_rec_str){ NULL, 0 },
	};

	bvapm_log_escape(method, sizeof method, v->method, sizeof v->method);
	bvapm_log_escape(uri, sizeof uri, v->uri, sizeof v->uri);
	ssize_t len = bvapm_rec_encode_aborted(buf, sizeof buf, &env, &a);
	if (len < 0) {
		LOG_E("cannot encode the aborted request of pid %u (%s %s): %s; slot reaped without "
		      "a record", v->pid, method, uri, strerror((int)-len));
		return 0;
	}
	int rc = bvapm_ring_write(producer, BVAPM_REC_KIND_ABORTED, buf, (uint32_t)len);
	if (rc == -EMSGSIZE) {
		LOG_E("the aborted request of pid %u (%s %s) is larger than the ring's max_record; "
		      "slot reaped without a record", v->pid, method, uri);
		return 0;
	}
	if (rc) {
		LOG_W("cannot write the aborted request of pid %u into the ring (%s); retrying at the "
		      "next scan", v->pid, strerror(-rc));
		return rc;
	}
	LOG_I("worker pid %u died during %s %s: aborted request recorded", v->pid, method, uri);
	BVAPM_M_ADD(m->aborted_records, 1);
	return 1;
}

int bvapm_slots_scan(bvapm_ring *consumer, bvapm_ring *producer, const char *host,
                     struct bvapm_metrics *m)
{
	struct bvapm_ring_stats st;
	bvapm_ring_stats(consumer, &st);
	if (ensure_tables(st.slot_count))
		return -ENOMEM;
	sc.epoch++;
	int n = bvapm_ring_slots(consumer, sc.views, sc.slot_count);
	/* every suspect first, so a scan cut short by a full ring loses none */
	for (int i = 0; i < n; i++)
		sc.act[i] = !sc.views[i].alive && confirm(&sc.views[i]);

	struct invalid_note note = { 0 };
	int written = 0, rc = 0;
	for (int i = 0; i < n && rc >= 0; i++) {
		const struct bvapm_ring_slot_view *v = &sc.views[i];
		if (!sc.act[i])
			continue;
		if (v->invalid) {
			reap_invalid(consumer, v, &note, m);
			continue;
		}
		if (v->in_request) {
			rc = write_aborted(producer, v, host, m);
			if (rc < 0)
				break;
			written += rc;
		}
		bvapm_ring_slot_reap(consumer, v->index, v->pid);
	}
	if (note.count)
		log_invalid(&note);
	return rc < 0 ? rc : written;
}
