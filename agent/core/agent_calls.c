/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_calls.c — a request's timed calls: the span list (the longest
 * calls, by a min-heap on duration), the outbound calls aggregated per
 * (kind, target, name), and the trace context sent downstream. The design
 * and the bounds are in agent_calls.h.
 *
 * Threads: the PHP thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "support/bvapm_clock.h"
#include "support/bvapm_text.h"
#include "agent_calls.h"
#include "agent_internal.h"

unsigned bvapm_calls_on_now;

#define EXTERNAL_SLOTS (2 * BVAPM_AGENT_MAX_EXTERNAL) /* open addressing, power of two */

struct external_entry {
	uint64_t hash;
	struct bvapm_rec_external rec;
};

static struct {
	struct bvapm_agent_calls_config cfg;
	uint32_t repeat_threshold;   /* count >= it: repeated (0: never) */
	bool spans_on;               /* full detail: keep spans */
	uint64_t start_mono_ns;      /* the request's start */
	/* spans: a min-heap on duration while the request runs, sorted by start at the end */
	struct bvapm_rec_span spans[BVAPM_AGENT_MAX_SPANS];
	uint32_t span_count;
	uint64_t span_total;
	/* external calls */
	struct external_entry entries[BVAPM_AGENT_MAX_EXTERNAL];
	uint32_t entry_count;
	int16_t index[EXTERNAL_SLOTS]; /* entry number + 1; 0 = empty */
	struct bvapm_rec_external export[BVAPM_AGENT_MAX_EXTERNAL];
	/* strings of this request */
	char arena[BVAPM_AGENT_CALLS_ARENA];
	size_t arena_used;
} c;

int agent_calls_init(const struct bvapm_agent_calls_config *cfg, uint32_t repeat_threshold)
{
	memset(&c, 0, sizeof(c));
	c.cfg = *cfg;
	c.repeat_threshold = repeat_threshold;
	bvapm_calls_on_now = 0;
	return 0;
}

void agent_calls_free(void)
{
	bvapm_calls_on_now = 0;
}

void agent_calls_request_begin(bool full_detail, uint64_t start_mono_ns)
{
	/* forget the previous request: cost proportional to what it used */
	for (uint32_t i = 0; i < c.entry_count; i++) {
		uint32_t slot = (uint32_t)c.entries[i].hash & (EXTERNAL_SLOTS - 1);
		while (c.index[slot] != 0) {
			c.index[slot] = 0;
			slot = (slot + 1) & (EXTERNAL_SLOTS - 1);
		}
	}
	c.entry_count = 0;
	c.span_count = 0;
	c.span_total = 0;
	c.arena_used = 0;
	c.spans_on = full_detail;
	c.start_mono_ns = start_mono_ns;
	unsigned on = 1u << BVAPM_REC_SPAN_SQL;
	if (c.cfg.http)
		on |= 1u << BVAPM_REC_SPAN_HTTP;
	if (c.cfg.cache)
		on |= 1u << BVAPM_REC_SPAN_CACHE;
	bvapm_calls_on_now = on;
}

void agent_calls_request_end(void)
{
	bvapm_calls_on_now = 0;
}

uint64_t bvapm_agent_call_clock(void)
{
	return bvapm_mono_ns();
}

bool bvapm_agent_http_keep_query(void)
{
	return c.cfg.keep_query;
}

/* Copies s[0..len) (cut to BVAPM_AGENT_CALL_NAME_MAX) into the arena;
 * absent when s is NULL or there is no room. */
static bvapm_rec_str keep(const char *s, size_t len)
{
	bvapm_rec_str r = {NULL, 0};

	if (s == NULL)
		return r;
	if (len > BVAPM_AGENT_CALL_NAME_MAX)
		len = BVAPM_AGENT_CALL_NAME_MAX;
	if (c.arena_used + len + 1 > sizeof(c.arena))
		return r;
	char *dst = c.arena + c.arena_used;
	memcpy(dst, s, len);
	dst[len] = '\0';
	c.arena_used += len + 1;
	r.ptr = dst;
	r.len = (uint32_t)len;
	return r;
}

/* ---- spans: the longest BVAPM_AGENT_MAX_SPANS, a min-heap on duration ------- */

static void swap(uint32_t a, uint32_t b)
{
	struct bvapm_rec_span t = c.spans[a];
	c.spans[a] = c.spans[b];
	c.spans[b] = t;
}

static void sift_down(uint32_t i, uint32_t n)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && c.spans[l].duration_ns < c.spans[m].duration_ns)
			m = l;
		if (r < n && c.spans[r].duration_ns < c.spans[m].duration_ns)
			m = r;
		if (m == i)
			return;
		swap(i, m);
		i = m;
	}
}

/* The slot for a span of this duration, or NULL when it is shorter than all
 * the kept ones (the heap is full). */
static struct bvapm_rec_span *span_slot(uint64_t duration_ns)
{
	c.span_total++;
	if (c.span_count < BVAPM_AGENT_MAX_SPANS) {
		return &c.spans[c.span_count++]; /* placed by span_placed() */
	}
	if (duration_ns <= c.spans[0].duration_ns)
		return NULL;
	return &c.spans[0]; /* replaces the shortest; span_placed() sifts it down */
}

static void span_placed(struct bvapm_rec_span *s)
{
	uint32_t i = (uint32_t)(s - c.spans);
	if (i == 0 && c.span_count == BVAPM_AGENT_MAX_SPANS) {
		sift_down(0, c.span_count);
		return;
	}
	while (i > 0 && c.spans[(i - 1) / 2].duration_ns > c.spans[i].duration_ns) {
		swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void add_span(uint8_t kind, const char *name, size_t name_len, const char *target,
                     size_t target_len, uint64_t start_ns, uint64_t end_ns,
                     const struct bvapm_agent_call *call)
{
	uint64_t duration = end_ns > start_ns ? end_ns - start_ns : 0;
	struct bvapm_rec_span *s = span_slot(duration);
	if (s == NULL)
		return;
	/* a SQL statement's text lives in the SQL table's arena for the whole
	 * request: referenced, not copied */
	bvapm_rec_str n = kind == BVAPM_REC_SPAN_SQL ? (bvapm_rec_str){name, (uint32_t)name_len}
	                                             : keep(name, name_len);
	*s = (struct bvapm_rec_span){
		.kind = kind,
		.name = n,
		.target = keep(target, target_len),
		.start_offset_ns = start_ns > c.start_mono_ns ? start_ns - c.start_mono_ns : 0,
		.duration_ns = duration,
	};
	if (call != NULL) {
		s->status = call->status;
		s->bytes = call->bytes;
		s->error = keep(call->error, call->error_len);
		if (call->span_id != NULL) {
			memcpy(s->span_id, call->span_id, 8);
			s->has_span_id = true;
		}
	}
	span_placed(s); /* a span without an id gets one at agent_calls_fill(), if kept */
}

void agent_calls_sql(const char *text, size_t len, uint64_t start_ns, uint64_t end_ns)
{
	if (!c.spans_on || !bvapm_agent_calls_on(BVAPM_REC_SPAN_SQL))
		return;
	add_span(BVAPM_REC_SPAN_SQL, text, len, NULL, 0, start_ns, end_ns, NULL);
}

/* ---- external calls, aggregated -------------------------------------------- */

static uint64_t hash_call(uint8_t kind, const char *target, size_t tlen, const char *name, size_t nlen)
{
	uint64_t h = 1469598103934665603ull ^ kind; /* FNV-1a */
	for (size_t i = 0; i < tlen; i++)
		h = (h ^ (unsigned char)target[i]) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (size_t i = 0; i < nlen; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ull;
	return h;
}

static bool same(const bvapm_rec_str *s, const char *p, size_t len)
{
	if (len > BVAPM_AGENT_CALL_NAME_MAX)
		len = BVAPM_AGENT_CALL_NAME_MAX;
	return s->len == len && (len == 0 || memcmp(s->ptr, p, len) == 0);
}

/* The aggregate of this call, added when new; NULL when the table is full. */
static struct bvapm_rec_external *external_of(const struct bvapm_agent_call *call)
{
	const char *t = call->target != NULL ? call->target : "";
	const char *n = call->name != NULL ? call->name : "";
	uint64_t h = hash_call(call->kind, t, call->target_len, n, call->name_len);
	uint32_t slot = (uint32_t)h & (EXTERNAL_SLOTS - 1);
	while (c.index[slot] != 0) {
		struct external_entry *e = &c.entries[c.index[slot] - 1];
		if (e->hash == h && e->rec.kind == call->kind && same(&e->rec.target, t, call->target_len) &&
		    same(&e->rec.name, n, call->name_len))
			return &e->rec;
		slot = (slot + 1) & (EXTERNAL_SLOTS - 1);
	}
	if (c.entry_count >= BVAPM_AGENT_MAX_EXTERNAL)
		return NULL;
	struct external_entry *e = &c.entries[c.entry_count];
	e->hash = h;
	e->rec = (struct bvapm_rec_external){
		.kind = call->kind,
		.target = keep(t, call->target_len),
		.name = keep(n, call->name_len),
	};
	if (e->rec.target.ptr == NULL || e->rec.name.ptr == NULL)
		return NULL; /* no room for its strings */
	c.index[slot] = (int16_t)(++c.entry_count);
	return &e->rec;
}

void bvapm_agent_call_done(const struct bvapm_agent_call *call)
{
	if (!bvapm_agent_calls_on(call->kind))
		return;
	uint64_t t0 = bvapm_mono_ns();
	uint64_t duration = call->end_ns > call->start_ns ? call->end_ns - call->start_ns : 0;
	struct bvapm_rec_external *e = external_of(call);
	if (e != NULL) {
		e->count++;
		e->total_ns += duration;
		if (duration > e->max_ns)
			e->max_ns = duration;
		e->errors += call->error != NULL;
		e->bytes += call->bytes;
		e->keys += call->keys;
		e->repeated = c.repeat_threshold > 0 && e->count >= c.repeat_threshold;
	}
	if (c.spans_on)
		add_span(call->kind, call->name, call->name_len, call->target, call->target_len,
		         call->start_ns, call->end_ns, call);
	agent_req.agent_ns += bvapm_mono_ns() - t0;
}

static int by_start(const void *a, const void *b)
{
	const struct bvapm_rec_span *x = a, *y = b;
	return x->start_offset_ns < y->start_offset_ns ? -1 : x->start_offset_ns > y->start_offset_ns;
}

static int by_total(const void *a, const void *b)
{
	const struct bvapm_rec_external *x = a, *y = b;
	return x->total_ns > y->total_ns ? -1 : x->total_ns < y->total_ns;
}

void agent_calls_fill(struct bvapm_rec_request *req)
{
	for (uint32_t i = 0; i < c.span_count; i++) {
		if (!c.spans[i].has_span_id) {
			agent_random_bytes(c.spans[i].span_id, 8);
			c.spans[i].has_span_id = true;
		}
	}
	qsort(c.spans, c.span_count, sizeof(c.spans[0]), by_start);
	req->spans = c.spans;
	req->span_count = c.span_count;
	req->span_total_count = c.span_total > UINT32_MAX ? UINT32_MAX : (uint32_t)c.span_total;
	for (uint32_t i = 0; i < c.entry_count; i++)
		c.export[i] = c.entries[i].rec;
	qsort(c.export, c.entry_count, sizeof(c.export[0]), by_total);
	req->external = c.export;
	req->external_count = c.entry_count;
}

/* ---- trace context sent downstream ------------------------------------------ */

bool bvapm_agent_traceparent_out(char out[56], uint8_t span_id[8])
{
	if (!agent_active || !c.cfg.propagate)
		return false;
	agent_random_bytes(span_id, 8);
	memcpy(out, "00-", 3);
	bvapm_hex_encode(out + 3, agent_trace.trace_id, 16);
	out[35] = '-';
	bvapm_hex_encode(out + 36, span_id, 8);
	out[52] = '-';
	out[53] = '0';
	out[54] = agent_trace.sampled ? '1' : '0';
	out[55] = '\0';
	return true;
}

const char *bvapm_agent_tracestate(void)
{
	return agent_active && agent_req.tracestate != NULL && agent_req.tracestate[0] != '\0'
	           ? agent_req.tracestate
	           : NULL;
}
