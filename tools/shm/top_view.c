/* SPDX-License-Identifier: Apache-2.0 */
/*
 * top_view.c — what `bvapm-shm top` shows, as data: every claimed slot of a
 * ring read (bvapm_ring_slots: a seqlock copy per slot, bounded retries),
 * sorted longest-running first, and the JSON document `top --json` prints.
 * bvapm-report's live page (serve) renders the same document, so the
 * terminal and the page never disagree about a worker.
 *
 * The slots are shared memory other processes may have written: a slot that
 * fails the ring's validation shows as `invalid` with the reason, and every
 * string from a slot is escaped (bytes outside printable ASCII and the
 * backslash as \\xNN, \\\\) before it leaves here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/bvapm_clock.h"
#include "support/bvapm_text.h"
#include "top_view.h"



/* s as printable ASCII (support/bvapm_text.h): the backslash as \\, other
 * bytes outside 0x20..0x7e as \xNN. Returns out. */
const char *shm_printable(char *out, size_t cap, const char *s)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0' && o + 5 <= cap; p++)
		o += bvapm_escape_byte(*p, true, out + o);
	out[o] = '\0';
	return out;
}

static json_object *json_text(const char *s)
{
	char buf[ESC_LEN];

	return json_object_new_string(shm_printable(buf, sizeof(buf), s));
}

const char *shm_slot_state(const struct bvapm_ring_slot_view *v)
{
	if (v->invalid != NULL)
		return "invalid";
	if (!v->alive)
		return v->in_request ? "dead-req" : "dead";
	return v->in_request ? "request" : "idle";
}

/* ns since a CLOCK_MONOTONIC stamp of the slot, -1 when unknown. */
int64_t shm_since(uint64_t stamp_ns, uint64_t now_ns)
{
	return stamp_ns != 0 && stamp_ns <= now_ns ? (int64_t)(now_ns - stamp_ns) : -1;
}

static int compare_rows(const void *a, const void *b)
{
	const struct shm_top_row *x = a, *y = b;
	int rank_x = x->v->invalid ? 3 : x->v->in_request ? 0 : x->v->alive ? 2 : 1;
	int rank_y = y->v->invalid ? 3 : y->v->in_request ? 0 : y->v->alive ? 2 : 1;

	if (rank_x != rank_y)
		return rank_x - rank_y;
	if (x->running_ns != y->running_ns)
		return x->running_ns > y->running_ns ? -1 : 1;
	return x->v->pid < y->v->pid ? -1 : x->v->pid > y->v->pid;
}

static json_object *row_json(const struct shm_top_row *r, uint64_t now)
{
	const struct bvapm_ring_slot_view *v = r->v;
	json_object *j = json_object_new_object();
	bool req = v->in_request;

	json_object_object_add(j, "slot", json_object_new_int((int)v->index));
	json_object_object_add(j, "pid", json_object_new_int((int)v->pid));
	json_object_object_add(j, "state", json_object_new_string(shm_slot_state(v)));
	json_object_object_add(j, "alive", json_object_new_boolean(v->alive));
	json_object_object_add(j, "torn", json_object_new_boolean(v->torn));
	json_object_object_add(j, "invalid", v->invalid ? json_object_new_string(v->invalid) : NULL);
	json_object_object_add(j, "requests", json_object_new_uint64(v->request_count));
	json_object_object_add(j, "records_written", json_object_new_uint64(v->records_written));
	json_object_object_add(j, "records_dropped", json_object_new_uint64(v->records_dropped));
	json_object_object_add(j, "method", req ? json_text(v->method) : NULL);
	json_object_object_add(j, "uri", req ? json_text(v->uri) : NULL);
	json_object_object_add(j, "trace_id", req && v->trace_id[0] ? json_text(v->trace_id) : NULL);
	json_object_object_add(j, "started_unix_ns", req ? json_object_new_uint64(v->req_start_wall_ns) : NULL);
	json_object_object_add(j, "running_ms", req && r->running_ns >= 0
	                       ? json_object_new_double((double)r->running_ns / 1e6) : NULL);
	json_object *cp = NULL;
	if (req && v->checkpoint[0] != '\0') {
		int64_t ago = shm_since(v->checkpoint_mono_ns, now);
		cp = json_object_new_object();
		json_object_object_add(cp, "label", json_text(v->checkpoint));
		json_object_object_add(cp, "memory_bytes", json_object_new_int64(v->checkpoint_mem));
		json_object_object_add(cp, "ago_ms", ago >= 0 ? json_object_new_double((double)ago / 1e6) : NULL);
	}
	json_object_object_add(j, "checkpoint", cp);
	json_object *sql = NULL;
	if (req && v->sql[0] != '\0') {
		int64_t running = shm_since(v->sql_start_mono_ns, now);
		sql = json_object_new_object();
		json_object_object_add(sql, "statement", json_text(v->sql));
		json_object_object_add(sql, "running_ms",
		                       running >= 0 ? json_object_new_double((double)running / 1e6) : NULL);
	}
	json_object_object_add(j, "sql", sql);
	return j;
}

/* Workers in a request, dead, and invalid slots among rows. */
void shm_top_count(const struct shm_top_row *rows, int n, int *in_request, int *dead, int *invalid)
{
	*in_request = *dead = *invalid = 0;
	for (int i = 0; i < n; i++) {
		const struct bvapm_ring_slot_view *v = rows[i].v;
		*invalid += v->invalid != NULL;
		*in_request += v->invalid == NULL && v->in_request && v->alive;
		*dead += v->invalid == NULL && !v->alive;
	}
}


int shm_top_read(const bvapm_ring *ring, struct bvapm_ring_slot_view *views, struct shm_top_row *rows,
                 size_t max, uint64_t *now_ns)
{
	int n = bvapm_ring_slots(ring, views, max);
	uint64_t now = bvapm_clock_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < n; i++) {
		rows[i].v = &views[i];
		rows[i].running_ns = views[i].in_request ? shm_since(views[i].req_start_mono_ns, now) : -1;
	}
	qsort(rows, (size_t)n, sizeof(*rows), compare_rows);
	*now_ns = now;
	return n;
}

json_object *shm_top_json(const char *path, const struct shm_top_row *rows, int n, uint64_t now)
{
	json_object *j = json_object_new_object(), *arr = json_object_new_array();
	int in_request, dead, invalid;

	shm_top_count(rows, n, &in_request, &dead, &invalid);
	for (int i = 0; i < n; i++)
		json_object_array_add(arr, row_json(&rows[i], now));
	json_object_object_add(j, "ring", json_object_new_string(path));
	json_object_object_add(j, "time_unix_ns", json_object_new_uint64(bvapm_clock_ns(CLOCK_REALTIME)));
	json_object_object_add(j, "workers", json_object_new_int(n - invalid));
	json_object_object_add(j, "in_request", json_object_new_int(in_request));
	json_object_object_add(j, "dead", json_object_new_int(dead));
	json_object_object_add(j, "invalid", json_object_new_int(invalid));
	json_object_object_add(j, "slots", arr);
	return j;
}

