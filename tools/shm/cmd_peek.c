/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_peek.c — `bvapm-shm peek [-n N] [--kind KIND] [--wait SECONDS]
 * [--follow]`: decode the newest records as JSON without consuming them.
 *
 * The ring is mapped read-only and read with a private cursor
 * (bvapm_ring_observe): the drainer's head, its counters and the producers
 * are never touched. What peek can see:
 *
 *   - without a running drainer, every record committed but not consumed
 *     (from the head to the tail as it was when peek started): peek shows the
 *     newest N of them;
 *   - with a drainer, records are consumed within milliseconds, so the
 *     pending set is usually empty; --wait SECONDS also follows the records
 *     committed during that time (best effort: a record the drainer frees
 *     before peek copies it is missed and counted), and --follow prints each
 *     one as it arrives until interrupted (or for --wait SECONDS).
 *
 * Every record is copied out, re-checked (a record freed or overwritten
 * during the copy is discarded, counted as missed) and verified with
 * bvapm_rec_verify before it is rendered; records that fail are counted as
 * undecodable and not shown. A record still being written is waited for (up
 * to BUSY_WAIT_MS when following) and otherwise stepped over (in_progress).
 * Memory: one max_record buffer plus the N records kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record/record.h"
#include "shm.h"

#define DEFAULT_SHOWN 10
#define BUSY_WAIT_MS 200           /* a reservation older than this is stepped over */
#define FOLLOW_POLL_NS 500000u     /* 0.5 ms between looks when caught up */

struct kept {
	uint8_t *data;
	uint32_t len;
	uint16_t type;
	uint32_t pid;
	uint64_t pos;
};

struct peek {
	struct shm_opts *o;
	bvapm_ring *ring;
	struct bvapm_ring_cursor cur;
	uint8_t *buf;
	size_t cap;
	unsigned kind;           /* 0: every kind */
	unsigned long shown_max; /* -n */
	double wait_s;           /* 0: no following */
	bool follow;
	bool streaming;          /* print each record as it comes */
	struct kept *kept;       /* circular, shown_max entries */
	unsigned long kept_count, kept_next;
	uint64_t matched, undecodable, printed;
	uint64_t busy_pos, busy_since_ns;
};

static const char *const kind_names[] = {
	[BVAPM_REC_KIND_REQUEST] = "request",
	[BVAPM_REC_KIND_FATAL] = "fatal",
	[BVAPM_REC_KIND_ABORTED] = "aborted",
	[BVAPM_REC_KIND_STATS] = "stats",
};

static json_object *kind_json(uint16_t type)
{
	if (type >= 1 && type <= BVAPM_REC_KIND_MAX)
		return json_object_new_string(kind_names[type]);
	return json_object_new_int(type);
}

static json_object *record_json(const struct kept *k)
{
	json_object *rec = bvapm_rec_to_json(k->data, k->len, BVAPM_REC_JSON_HEX_IDS);
	json_object *j = json_object_new_object();

	json_object_object_add(j, "position", json_object_new_uint64(k->pos));
	json_object_object_add(j, "pid", json_object_new_int((int)k->pid));
	json_object_object_add(j, "kind", kind_json(k->type));
	json_object_object_add(j, "bytes", json_object_new_int((int)k->len));
	json_object_object_add(j, "record", rec);
	return j;
}

static void print_record(struct peek *p, const struct kept *k)
{
	json_object *j = record_json(k);

	if (p->o->json && p->streaming) {
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		char size[32];
		json_object *rec = json_object_object_get(j, "record");
		printf("--- position %llu, pid %u, %s, %s\n%s\n", (unsigned long long)k->pos, k->pid,
		       k->type >= 1 && k->type <= BVAPM_REC_KIND_MAX ? kind_names[k->type] : "unknown kind",
		       shm_bytes(k->len, size, sizeof(size)),
		       json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	json_object_put(j);
	p->printed++;
	fflush(stdout);
}

/* One copied record: filter, verify, then print it or keep it. */
static void take(struct peek *p, const struct bvapm_ring_record *rec)
{
	if (p->kind != 0 && rec->type != p->kind)
		return;
	if (bvapm_rec_verify(rec->data, rec->len, NULL, NULL) != 0) {
		p->undecodable++;
		return;
	}
	p->matched++;
	struct kept k = {(uint8_t *)(uintptr_t)rec->data, rec->len, rec->type, rec->pid, rec->pos};
	if (p->streaming) {
		print_record(p, &k);
		return;
	}
	struct kept *slot = &p->kept[p->kept_next];
	uint8_t *copy = realloc(slot->data, rec->len > 0 ? rec->len : 1);
	if (copy == NULL)
		return;
	memcpy(copy, rec->data, rec->len);
	k.data = copy;
	*slot = k;
	p->kept_next = (p->kept_next + 1) % p->shown_max;
	if (p->kept_count < p->shown_max)
		p->kept_count++;
}

/* Reads what is committed now, up to `limit` (a ring position; UINT64_MAX:
 * no limit) or the CLOCK_MONOTONIC deadline (producers may write faster than
 * we read). A reservation is stepped over at once when pass_busy, else once
 * it has been seen for BUSY_WAIT_MS. Returns 0 or -EIO. */
static int read_available(struct peek *p, uint64_t limit, uint64_t deadline_ns, bool pass_busy)
{
	struct bvapm_ring_record rec;

	for (unsigned n = 0; p->cur.pos < limit && !shm_stop_requested(); n++) {
		if (n % 64 == 63 && shm_now_ns(CLOCK_MONOTONIC) >= deadline_ns)
			break;
		int got = bvapm_ring_observe(p->ring, &p->cur, p->buf, p->cap, &rec);

		if (got < 0)
			return got;
		if (got == BVAPM_OBSERVE_RECORD) {
			take(p, &rec);
			continue;
		}
		if (got == BVAPM_OBSERVE_NONE)
			return 0;
		uint64_t now = shm_now_ns(CLOCK_MONOTONIC);
		if (p->busy_pos != p->cur.pos || p->busy_since_ns == 0) {
			p->busy_pos = p->cur.pos;
			p->busy_since_ns = now;
		}
		if (!pass_busy && now - p->busy_since_ns < (uint64_t)BUSY_WAIT_MS * 1000000u)
			return 0;
		bvapm_ring_cursor_pass(p->ring, &p->cur);
		p->busy_since_ns = 0;
	}
	return 0;
}

/* Records shown: printed ones, or (JSON document) the ones kept for it. */
static uint64_t shown(const struct peek *p)
{
	return p->o->json && !p->streaming ? p->kept_count : p->printed;
}

static json_object *summary_json(const struct peek *p, const struct bvapm_ring_stats *st)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "ring", json_object_new_string(st->path));
	json_object_object_add(j, "head", json_object_new_uint64(st->head));
	json_object_object_add(j, "tail", json_object_new_uint64(st->tail));
	json_object_object_add(j, "drainer_alive", json_object_new_boolean(st->consumer_alive));
	json_object_object_add(j, "kind", p->kind ? kind_json((uint16_t)p->kind) : NULL);
	json_object_object_add(j, "read", json_object_new_uint64(p->cur.records));
	json_object_object_add(j, "matched", json_object_new_uint64(p->matched));
	json_object_object_add(j, "shown", json_object_new_uint64(shown(p)));
	json_object_object_add(j, "undecodable", json_object_new_uint64(p->undecodable));
	json_object_object_add(j, "missed", json_object_new_uint64(p->cur.missed));
	json_object_object_add(j, "in_progress", json_object_new_uint64(p->cur.in_progress));
	json_object_object_add(j, "overtaken_bytes", json_object_new_uint64(p->cur.overtaken_bytes));
	json_object_object_add(j, "invalid_records", json_object_new_uint64(p->cur.invalid_records));
	json_object_object_add(j, "invalid_bytes", json_object_new_uint64(p->cur.invalid_bytes));
	json_object_object_add(j, "too_big", json_object_new_uint64(p->cur.too_big));
	return j;
}

static void summary_text(const struct peek *p, const struct bvapm_ring_stats *st)
{
	fprintf(stderr,
	        "peek: %llu shown of %llu matching (%s), %llu records read; %llu undecodable, "
	        "%llu in progress, %llu missed, %llu bytes consumed before read, %llu invalid\n",
	        (unsigned long long)shown(p), (unsigned long long)p->matched,
	        p->kind ? kind_names[p->kind] : "any kind", (unsigned long long)p->cur.records,
	        (unsigned long long)p->undecodable, (unsigned long long)p->cur.in_progress,
	        (unsigned long long)p->cur.missed, (unsigned long long)p->cur.overtaken_bytes,
	        (unsigned long long)p->cur.invalid_records);
	if (p->cur.records == 0 && st->consumer_alive && p->wait_s == 0 && !p->follow)
		fprintf(stderr, "peek: the drainer (pid %u) consumes records within milliseconds: "
		                "use --wait SECONDS or --follow to catch new ones\n",
		        st->consumer_pid);
}

static int peek_option(struct shm_opts *o, int opt, const char *arg, void *ctx)
{
	struct peek *p = ctx;

	switch (opt) {
	case 'n':
		if (shm_parse_count(arg, &p->shown_max) != 0 || p->shown_max > 100000)
			return shm_fail(o, SHM_USAGE, "-n wants a number from 1 to 100000, not '%s'", arg);
		return SHM_OK;
	case 'k':
		for (unsigned k = 1; k <= BVAPM_REC_KIND_MAX; k++)
			if (strcmp(arg, kind_names[k]) == 0)
				p->kind = k;
		if (p->kind == 0)
			return shm_fail(o, SHM_USAGE,
			                "unknown kind '%s' (request, fatal, aborted or stats)", arg);
		return SHM_OK;
	case 'w': return shm_option_seconds(o, "--wait", arg, &p->wait_s);
	case 'f': p->follow = true; return SHM_OK;
	default: return -1;
	}
}

static void print_kept(struct peek *p)
{
	unsigned long first = (p->kept_next + p->shown_max - p->kept_count) % p->shown_max;

	for (unsigned long i = 0; i < p->kept_count; i++)
		print_record(p, &p->kept[(first + i) % p->shown_max]);
}

static void print_result(struct peek *p)
{
	struct bvapm_ring_stats st;

	bvapm_ring_stats(p->ring, &st);
	if (p->o->json && !p->streaming) {
		json_object *j = summary_json(p, &st), *arr = json_object_new_array();
		unsigned long first = (p->kept_next + p->shown_max - p->kept_count) % p->shown_max;

		for (unsigned long i = 0; i < p->kept_count; i++)
			json_object_array_add(arr, record_json(&p->kept[(first + i) % p->shown_max]));
		json_object_object_add(j, "records", arr);
		shm_print_json(j);
	} else if (p->o->json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "summary", summary_json(p, &st));
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else {
		if (!p->streaming)
			print_kept(p);
		summary_text(p, &st);
	}
}

static int run(struct peek *p)
{
	struct bvapm_ring_stats st;
	int rc;

	bvapm_ring_stats(p->ring, &st);
	if (bvapm_ring_cursor_at_head(p->ring, &p->cur) != 0)
		return -EIO;
	/* What is pending now: up to the tail as it is at the start. */
	rc = read_available(p, st.tail, UINT64_MAX, !p->follow && p->wait_s == 0);
	if (rc != 0)
		return rc;
	if (p->follow) {
		/* like tail -f: the newest N pending first, then each new one */
		p->streaming = true;
		print_kept(p);
		p->kept_count = 0;
	}
	if (!p->follow && p->wait_s == 0)
		return 0;
	uint64_t start = shm_now_ns(CLOCK_MONOTONIC);
	uint64_t end = p->wait_s > 0 ? start + (uint64_t)(p->wait_s * 1e9) : UINT64_MAX;
	while (!shm_stop_requested()) {
		uint64_t now = shm_now_ns(CLOCK_MONOTONIC);
		if (now >= end)
			break;
		rc = read_available(p, UINT64_MAX, end, false);
		if (rc != 0)
			return rc;
		shm_sleep_until(now + FOLLOW_POLL_NS < end ? now + FOLLOW_POLL_NS : end);
	}
	return 0;
}

int shm_cmd_peek(const struct shm_opts *global, int argc, char **argv)
{
	static const struct option opts[] = {
		{"kind", required_argument, NULL, 'k'},
		{"wait", required_argument, NULL, 'w'},
		{"follow", no_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	struct shm_opts o = *global;
	struct peek p = {.o = &o, .shown_max = DEFAULT_SHOWN};
	int rc = shm_parse_common(&o, argc, argv, "n:k:w:f", opts, peek_option, &p,
	                          "peek takes no arguments besides its options");

	if (rc != SHM_OK)
		return rc;
	rc = shm_open_ring(&o, BVAPM_RING_READONLY, &p.ring);
	if (rc != SHM_OK)
		return rc;
	p.cap = bvapm_ring_max_record(p.ring);
	p.buf = malloc(p.cap);
	p.kept = calloc(p.shown_max, sizeof(*p.kept));
	if (p.buf == NULL || p.kept == NULL) {
		rc = shm_fail(&o, SHM_SYSTEM, "out of memory");
		goto out;
	}
	shm_catch_stop_signals();
	if (run(&p) != 0) {
		struct bvapm_ring_stats st;
		bvapm_ring_stats(p.ring, &st);
		rc = shm_fail(&o, SHM_INCOMPATIBLE,
		              "the ring's positions are corrupt (head %llu, tail %llu): nothing can "
		              "be read; see bvapm-shm check",
		              (unsigned long long)st.head, (unsigned long long)st.tail);
		goto out;
	}
	print_result(&p);
	rc = p.undecodable > 0 || p.cur.invalid_records > 0 ? SHM_PROBLEMS : SHM_OK;
out:
	if (p.kept != NULL)
		for (unsigned long i = 0; i < p.shown_max; i++)
			free(p.kept[i].data);
	free(p.kept);
	free(p.buf);
	bvapm_ring_close(p.ring);
	return rc;
}
