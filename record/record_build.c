/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record_build.c — encodes bvapm records into a caller-supplied buffer.
 *
 * How: front to back, in one pass. FlatBuffers offsets (uoffset) point
 * forward, so a table is written first with its offset fields zero, and each
 * child (string, vector, element table) is written after it and patched in:
 *   [root uoffset]["BVAP"][vtable][Record][its strings][vtable][body table]
 *   [vector][element table][its strings][element table]...
 * A vtable is written the first time a table type is used and shared by the
 * following tables of that type while the set of absent fields stays the same
 * (flatc shares identical vtables too). Tables are 8-byte aligned, scalars are
 * naturally aligned relative to the buffer start, strings end with a NUL.
 *
 * Guarantees: no allocation; no write at or past cap (every primitive checks
 * and latches an overflow flag); every byte in [0, length) is written, padding
 * as zero. Truncation (see record.h) re-encodes with shorter lists until the
 * record fits, cutting one list at a time by binary search; the common case
 * (it fits) encodes once. A list loses its tail, except spans, which lose
 * their shortest calls (write_spans).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "record.h"
#include "record_layout.h"

#define MAX_COUNT (1u << 24)   /* any list longer than this is a caller bug */

struct writer {
	uint8_t *buf;
	uint32_t pos;                       /* next free byte */
	uint32_t cap;
	bool overflow;                      /* a write did not fit; output invalid */
	uint32_t vt_pos[BVAPM_REC_T_COUNT]; /* last vtable written per table type, 0 = none */
	uint64_t vt_absent[BVAPM_REC_T_COUNT]; /* its absent-field mask (bit id) */
};

/* ---- primitives ------------------------------------------------------------ */

/* Pads with zeros to `align` (a power of two) and reserves n bytes; returns
 * their position, or 0 (and latches overflow) when they do not fit. */
static inline uint32_t reserve(struct writer *w, uint32_t align, uint64_t n)
{
	uint32_t start = (w->pos + align - 1) & ~(align - 1);
	if (w->overflow || (uint64_t)start + n > w->cap) {
		w->overflow = true;
		return 0;
	}
	if ((uint64_t)w->pos + 8 <= w->cap) {
		/* Padding is at most 7 bytes: one 8-byte store instead of a memset
		 * call (bytes past the padding are overwritten by the object or lie
		 * past the record's end, always before cap). */
		static const uint64_t zero;
		memcpy(w->buf + w->pos, &zero, 8);
	} else {
		for (uint32_t i = w->pos; i < start; i++)
			w->buf[i] = 0;
	}
	w->pos = start + n;
	return start;
}

static inline void put_u32(struct writer *w, uint32_t at, uint32_t v) { memcpy(w->buf + at, &v, 4); }

/* Writes the vtable for a table of type t with the fields in `absent` (bit id)
 * left out; the slow path of vtable(). */
static __attribute__((noinline)) uint32_t vtable_write(struct writer *w, unsigned t,
	const uint16_t *voff, unsigned nfields, uint16_t table_size, uint64_t absent)
{
	uint32_t at = reserve(w, 2, 4 + 2 * nfields);
	if (!at)
		return 0;
	uint16_t *v = (uint16_t *)(w->buf + at);
	v[0] = (uint16_t)(4 + 2 * nfields);
	v[1] = table_size;
	for (unsigned i = 0; i < nfields; i++)
		v[2 + i] = (absent >> i) & 1 ? 0 : voff[i];
	w->vt_pos[t] = at;
	w->vt_absent[t] = absent;
	return at;
}

/* The vtable for a table of type t: the previous one of that type when the
 * same fields are absent, else a new one. */
static inline uint32_t vtable(struct writer *w, unsigned t, const uint16_t *voff, unsigned nfields,
	uint16_t table_size, uint64_t absent)
{
	if (w->vt_pos[t] && w->vt_absent[t] == absent)
		return w->vt_pos[t];
	return vtable_write(w, t, voff, nfields, table_size, absent);
}

/* Starts a table of type t: vtable (if needed), then the zeroed inline area
 * with its vtable offset. Returns a pointer to the inline struct, or NULL. */
#define TABLE(w, t, absent, posp) \
	((struct bvapm_rec_inl_##t *)table_start(w, BVAPM_REC_T_##t, bvapm_rec_voff_##t, \
		BVAPM_REC_NFIELDS_##t, sizeof(struct bvapm_rec_inl_##t), \
		_Alignof(struct bvapm_rec_inl_##t), absent, posp))

/* always_inline: size and align are constants at every call site, so the
 * memset becomes a few stores. */
static inline __attribute__((always_inline)) void *table_start(struct writer *w, unsigned t,
	const uint16_t *voff, unsigned nfields, uint32_t size, uint32_t align, uint64_t absent,
	uint32_t *posp)
{
	uint32_t vt = vtable(w, t, voff, nfields, (uint16_t)size, absent);
	uint32_t at = vt ? reserve(w, align < 4 ? 4 : align, size) : 0;
	if (!at)
		return NULL;
	uint8_t *p = w->buf + at;
	memset(p, 0, size);
	int32_t so = (int32_t)(at - vt);     /* vtable = table - soffset */
	memcpy(p, &so, 4);
	*posp = at;
	return p;
}

/* Position inside the buffer of a field of the table at base. */
#define FIELD_AT(base, t, name) ((base) + (uint32_t)offsetof(struct bvapm_rec_inl_##t, name))

/* A string child for the uoffset at `field`; absent (ptr NULL) writes nothing. */
static inline void string_child(struct writer *w, uint32_t field, bvapm_rec_str s)
{
	if (!s.ptr)
		return;
	uint32_t at = reserve(w, 4, 4 + (uint64_t)s.len + 1);   /* 64-bit: no wrap at 4 GiB */
	if (!at)
		return;
	put_u32(w, at, s.len);
	memcpy(w->buf + at + 4, s.ptr, s.len);
	w->buf[at + 4 + s.len] = 0;
	put_u32(w, field, at - field);
}

static inline void bytes_child(struct writer *w, uint32_t field, const uint8_t *p, uint32_t n)
{
	uint32_t at = reserve(w, 4, 4 + n);
	if (!at)
		return;
	put_u32(w, at, n);
	memcpy(w->buf + at + 4, p, n);
	put_u32(w, field, at - field);
}

/* A vector of n table offsets for the uoffset at `field`; returns the
 * position of element 0's slot (elements are patched by element_done). */
static inline uint32_t vector_child(struct writer *w, uint32_t field, uint32_t n)
{
	uint32_t at = reserve(w, 4, 4 + 4 * (uint64_t)n);
	if (!at)
		return 0;
	put_u32(w, at, n);
	put_u32(w, field, at - field);
	return at + 4;
}

/* Field id of a table's field, and the absent-mask bit of a string field. */
#define ID(t, name) BVAPM_REC_POS_##t##_##name
#define ABSENT(t, name, s) ((uint64_t)((s).ptr == NULL) << ID(t, name))
/* The absent-mask bit of a list field that is empty. */
#define EMPTY(t, name, count) ((uint64_t)((count) == 0) << ID(t, name))

/* ---- element tables ---------------------------------------------------------- */

/*
 * Every list writer has the same frame: the vector of n offsets, then for
 * entry i one element table, started by ELEMENT and linked into its slot at
 * once, then the table's own children. A list stops at the first table that
 * does not fit (the record is re-encoded shorter anyway).
 *
 *   LIST_FOR(w, field, n, i, slot) {
 *       struct bvapm_rec_inl_tag *t = ELEMENT(w, slot, tag, absent);
 *       if (!t) return;
 *       ... scalars into t, then CHILD(w, t, key) for the children ...
 *   }
 */
#define LIST_FOR(w, field, n, i, slot) \
	for (uint32_t slot = vector_child(w, field, n), i = 0; slot && i < (n); i++, slot += 4)

static inline __attribute__((always_inline)) void *element_start(struct writer *w, uint32_t slot,
	void *table)
{
	if (table)
		put_u32(w, slot, (uint32_t)((uint8_t *)table - w->buf) - slot);
	return table;
}
#define ELEMENT(w, slot, t, absent) \
	((struct bvapm_rec_inl_##t *)element_start(w, slot, TABLE(w, t, absent, &(uint32_t){ 0 })))

/* Position inside the buffer of the offset field `name` of the table at t. */
#define CHILD(w, t, name) ((uint32_t)((uint8_t *)&(t)->name - (w)->buf))

static void write_checkpoints(struct writer *w, uint32_t field,
	const struct bvapm_rec_checkpoint *c, uint32_t n)
{
	/* The largest positive jump among the entries written. */
	uint32_t jump = UINT32_MAX;
	int64_t best = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (c[i].mem_delta_bytes > best) {
			best = c[i].mem_delta_bytes;
			jump = i;
		}
	}
	LIST_FOR(w, field, n, i, slot) {
		struct bvapm_rec_inl_checkpoint *t =
			ELEMENT(w, slot, checkpoint, ABSENT(checkpoint, label, c[i].label));
		if (!t)
			return;
		t->offset_ns = c[i].offset_ns;
		t->mem_bytes = c[i].mem_bytes;
		t->mem_delta_bytes = c[i].mem_delta_bytes;
		t->peak_bytes = c[i].peak_bytes;
		t->largest_jump = i == jump;
		string_child(w, CHILD(w, t, label), c[i].label);
	}
}

static void write_sql(struct writer *w, uint32_t field, const struct bvapm_rec_sql *s, uint32_t n)
{
	LIST_FOR(w, field, n, i, slot) {
		struct bvapm_rec_inl_sql_statement *t =
			ELEMENT(w, slot, sql_statement, ABSENT(sql_statement, statement, s[i].statement));
		if (!t)
			return;
		t->count = s[i].count;
		t->total_ns = s[i].total_ns;
		t->max_ns = s[i].max_ns;
		t->rows = s[i].rows;
		t->n_plus_one = s[i].n_plus_one;
		string_child(w, CHILD(w, t, statement), s[i].statement);
	}
}

static void write_functions(struct writer *w, uint32_t field, const struct bvapm_rec_function *f,
	uint32_t n)
{
	LIST_FOR(w, field, n, i, slot) {
		struct bvapm_rec_inl_function_stat *t =
			ELEMENT(w, slot, function_stat, ABSENT(function_stat, name, f[i].name));
		if (!t)
			return;
		t->calls = f[i].calls;
		t->inclusive_ns = f[i].inclusive_ns;
		t->exclusive_ns = f[i].exclusive_ns;
		t->mem_delta_bytes = f[i].mem_delta_bytes;
		string_child(w, CHILD(w, t, name), f[i].name);
	}
}

static void write_frames(struct writer *w, uint32_t field, const struct bvapm_rec_frame *f, uint32_t n)
{
	LIST_FOR(w, field, n, i, slot) {
		struct bvapm_rec_inl_stack_frame *t = ELEMENT(w, slot, stack_frame,
			ABSENT(stack_frame, function, f[i].function) | ABSENT(stack_frame, file, f[i].file));
		if (!t)
			return;
		t->line = f[i].line;
		string_child(w, CHILD(w, t, function), f[i].function);
		string_child(w, CHILD(w, t, file), f[i].file);
	}
}

static void write_errors(struct writer *w, uint32_t field, const struct bvapm_rec_error *e, uint32_t n)
{
	LIST_FOR(w, field, n, i, slot) {
		uint32_t frames = e[i].stack ? e[i].frame_count : 0;
		if (frames > MAX_COUNT)
			frames = MAX_COUNT;
		struct bvapm_rec_inl_error_event *t = ELEMENT(w, slot, error_event,
			ABSENT(error_event, type, e[i].type) | ABSENT(error_event, message, e[i].message) |
			ABSENT(error_event, file, e[i].file) | EMPTY(error_event, stack, frames));
		if (!t)
			return;
		t->line = e[i].line;
		t->count = e[i].count;
		t->stack_depth = e[i].stack_depth > frames ? e[i].stack_depth : frames;
		string_child(w, CHILD(w, t, type), e[i].type);
		string_child(w, CHILD(w, t, message), e[i].message);
		string_child(w, CHILD(w, t, file), e[i].file);
		if (frames)
			write_frames(w, CHILD(w, t, stack), e[i].stack, frames);
	}
}

static void write_tags(struct writer *w, uint32_t field, const struct bvapm_rec_tag *g, uint32_t n)
{
	LIST_FOR(w, field, n, i, slot) {
		struct bvapm_rec_inl_tag *t =
			ELEMENT(w, slot, tag, ABSENT(tag, key, g[i].key) | ABSENT(tag, value, g[i].value));
		if (!t)
			return;
		string_child(w, CHILD(w, t, key), g[i].key);
		string_child(w, CHILD(w, t, value), g[i].value);
	}
}

static void write_counters(struct writer *w, uint32_t field, const struct bvapm_rec_counter *c,
	uint32_t n)
{
	LIST_FOR(w, field, n, i, slot) {
		struct bvapm_rec_inl_counter *t = ELEMENT(w, slot, counter, ABSENT(counter, name, c[i].name));
		if (!t)
			return;
		t->value = c[i].value;
		string_child(w, CHILD(w, t, name), c[i].name);
	}
}

static void write_call_paths(struct writer *w, uint32_t field, const struct bvapm_rec_call_path *p,
	uint32_t n)
{
	LIST_FOR(w, field, n, i, slot) {
		struct bvapm_rec_inl_call_path *t =
			ELEMENT(w, slot, call_path, ABSENT(call_path, path, p[i].path));
		if (!t)
			return;
		t->calls = p[i].calls;
		t->inclusive_ns = p[i].inclusive_ns;
		t->exclusive_ns = p[i].exclusive_ns;
		string_child(w, CHILD(w, t, path), p[i].path);
	}
}

/*
 * Spans are listed by start, but when the list is cut the shortest calls go
 * first: the k longest are kept, in their order. span_cut() finds the
 * duration `min` of the shortest span kept and how many spans of exactly
 * that duration are kept (`ties`, the earliest ones): a span is written when
 * duration > min, or == min among the first `ties`. By binary search on the
 * value between the shortest and the longest duration: at most 64 passes over
 * n spans, only on the truncation path, no allocation.
 */
struct span_cut {
	uint64_t min;
	uint32_t ties;
};

static struct span_cut span_cut(const struct bvapm_rec_span *s, uint32_t n, uint32_t k)
{
	uint64_t lo = UINT64_MAX, hi = 0;      /* lo: count(>= lo) >= k holds for the shortest */
	for (uint32_t i = 0; i < n; i++) {
		lo = s[i].duration_ns < lo ? s[i].duration_ns : lo;
		hi = s[i].duration_ns > hi ? s[i].duration_ns : hi;
	}
	while (lo < hi) {                      /* the largest t with count(>= t) >= k */
		uint64_t mid = lo + (hi - lo) / 2 + 1;
		uint32_t at_least = 0;
		for (uint32_t i = 0; i < n; i++)
			at_least += s[i].duration_ns >= mid;
		if (at_least >= k)
			lo = mid;
		else
			hi = mid - 1;
	}
	uint32_t above = 0;
	for (uint32_t i = 0; i < n; i++)
		above += s[i].duration_ns > lo;
	return (struct span_cut){ lo, k - above };
}

/* Writes k of the n spans: all of them, or the k longest (see span_cut). */
static void write_spans(struct writer *w, uint32_t field, const struct bvapm_rec_span *s, uint32_t n,
	uint32_t k)
{
	struct span_cut cut = { 0, UINT32_MAX };
	if (k < n)
		cut = span_cut(s, n, k);
	uint32_t i = 0;
	LIST_FOR(w, field, k, written, slot) {
		while (s[i].duration_ns < cut.min || (s[i].duration_ns == cut.min && cut.ties == 0))
			i++;                           /* not kept; k of them are, so i stays < n */
		if (s[i].duration_ns == cut.min && cut.ties != UINT32_MAX)
			cut.ties--;
		const struct bvapm_rec_span *p = &s[i++];
		struct bvapm_rec_inl_span *t = ELEMENT(w, slot, span,
			ABSENT(span, name, p->name) | ABSENT(span, target, p->target) |
			ABSENT(span, error, p->error) | (uint64_t)!p->has_span_id << ID(span, span_id));
		if (!t)
			return;
		t->kind = p->kind;
		t->start_offset_ns = p->start_offset_ns;
		t->duration_ns = p->duration_ns;
		t->status = p->status;
		t->bytes = p->bytes;
		string_child(w, CHILD(w, t, name), p->name);
		string_child(w, CHILD(w, t, target), p->target);
		string_child(w, CHILD(w, t, error), p->error);
		if (p->has_span_id)
			bytes_child(w, CHILD(w, t, span_id), p->span_id, 8);
	}
}

static void write_external(struct writer *w, uint32_t field, const struct bvapm_rec_external *x,
	uint32_t n)
{
	LIST_FOR(w, field, n, i, slot) {
		struct bvapm_rec_inl_external_call *t = ELEMENT(w, slot, external_call,
			ABSENT(external_call, target, x[i].target) | ABSENT(external_call, name, x[i].name));
		if (!t)
			return;
		t->kind = x[i].kind;
		t->count = x[i].count;
		t->total_ns = x[i].total_ns;
		t->max_ns = x[i].max_ns;
		t->errors = x[i].errors;
		t->bytes = x[i].bytes;
		t->keys = x[i].keys;
		t->repeated = x[i].repeated;
		string_child(w, CHILD(w, t, target), x[i].target);
		string_child(w, CHILD(w, t, name), x[i].name);
	}
}

/* ---- envelope ------------------------------------------------------------------ */

/* Starts the buffer (root offset, identifier, Record table and its children)
 * and returns the position of the Record's `body` field, or 0. */
static uint32_t write_envelope(struct writer *w, const struct bvapm_rec_envelope *env,
	unsigned kind, bool truncated)
{
	uint32_t root = reserve(w, 8, 8);
	if (root != 0 || w->overflow)   /* the first reservation is at 0 */
		return 0;
	memcpy(w->buf + 4, "BVAP", 4);
	uint64_t absent = ABSENT(record, host, env->host) | ABSENT(record, service, env->service);
	if (!env->has_trace)
		absent |= 1ull << ID(record, trace_id) | 1ull << ID(record, span_id);
	if (!env->has_parent)
		absent |= 1ull << ID(record, parent_span_id);
	uint32_t at;
	struct bvapm_rec_inl_record *t = TABLE(w, record, absent, &at);
	if (!t)
		return 0;
	put_u32(w, 0, at);
	t->schema_version = BVAPM_REC_SCHEMA_VERSION;
	t->truncated = truncated;
	t->sampled = env->sampled;
	t->pid = env->pid;
	t->producer_start_unix_ns = env->producer_start_unix_ns;
	t->sequence = env->sequence;
	t->wall_unix_ns = env->wall_unix_ns;
	t->mono_ns = env->mono_ns;
	t->body_type = (uint8_t)kind;
	string_child(w, FIELD_AT(at, record, host), env->host);
	string_child(w, FIELD_AT(at, record, service), env->service);
	if (env->has_trace) {
		bytes_child(w, FIELD_AT(at, record, trace_id), env->trace_id, 16);
		bytes_child(w, FIELD_AT(at, record, span_id), env->span_id, 8);
	}
	if (env->has_parent)
		bytes_child(w, FIELD_AT(at, record, parent_span_id), env->parent_span_id, 8);
	return FIELD_AT(at, record, body);
}

static void writer_init(struct writer *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->pos = 0;
	w->cap = cap > BVAPM_REC_MAX_SIZE ? BVAPM_REC_MAX_SIZE : (uint32_t)cap;
	w->overflow = false;
	memset(w->vt_pos, 0, sizeof w->vt_pos);
}

/* ---- truncation ---------------------------------------------------------------- */

#define MAX_LISTS 12                   /* lists of one kind that truncation may cut */

/* An encoder that writes the record with list i cut to keep[i] entries. */
typedef void (*encode_fn)(struct writer *w, const struct bvapm_rec_envelope *env, const void *body,
	const uint32_t *keep, bool truncated);

/*
 * Encodes with every list whole; if that overflows, cuts the lists in order
 * (list 0 first): a list is emptied when the record does not fit even
 * without it, else the largest count that fits is found by binary search.
 */
static ssize_t encode_fitting(void *buf, size_t cap, const struct bvapm_rec_envelope *env,
	const void *body, encode_fn encode, const uint32_t *count, unsigned nlists)
{
	struct writer w;
	uint32_t keep[MAX_LISTS] = { 0 };
	if (nlists)
		memcpy(keep, count, nlists * sizeof *keep);

	writer_init(&w, buf, cap);
	encode(&w, env, body, keep, false);
	if (!w.overflow)
		return w.pos;

	for (unsigned l = 0; l < nlists; l++) {
		keep[l] = 0;
		writer_init(&w, buf, cap);
		encode(&w, env, body, keep, true);
		if (w.overflow)
			continue;              /* still too big: this list stays empty */
		uint32_t lo = 0, hi = count[l]; /* lo fits, hi does not */
		while (hi - lo > 1) {
			uint32_t mid = lo + (hi - lo) / 2;
			keep[l] = mid;
			writer_init(&w, buf, cap);
			encode(&w, env, body, keep, true);
			if (w.overflow)
				hi = mid;
			else
				lo = mid;
		}
		keep[l] = lo;
		writer_init(&w, buf, cap);
		encode(&w, env, body, keep, true);
		return w.overflow ? -EMSGSIZE : (ssize_t)w.pos;
	}
	return -EMSGSIZE;                      /* the essentials alone do not fit */
}

static bool args_ok(void *buf, const struct bvapm_rec_envelope *env, const void *body)
{
	return buf && env && body && ((uintptr_t)buf & 7) == 0;
}

/* ---- request profile ------------------------------------------------------------- */

/* The request's lists in their cut order (record.h, "Truncation"). */
enum { RQ_SPANS, RQ_CALL_PATHS, RQ_FUNCTIONS, RQ_EXTERNAL, RQ_SQL, RQ_COUNTERS, RQ_TAGS,
       RQ_ERRORS, RQ_CHECKPOINTS, RQ_NLISTS };
_Static_assert(RQ_NLISTS <= MAX_LISTS, "more lists than encode_fitting() keeps");

static void encode_request(struct writer *w, const struct bvapm_rec_envelope *env, const void *body,
	const uint32_t *keep, bool truncated)
{
	const struct bvapm_rec_request *r = body;
	uint32_t field = write_envelope(w, env, BVAPM_REC_KIND_REQUEST, truncated);
	if (!field)
		return;
	uint64_t absent = ABSENT(request, method, r->method) | ABSENT(request, uri, r->uri) |
		ABSENT(request, route, r->route) | ABSENT(request, sapi, r->sapi);
	absent |= EMPTY(request, checkpoints, keep[RQ_CHECKPOINTS]) |
		EMPTY(request, sql, keep[RQ_SQL]) | EMPTY(request, functions, keep[RQ_FUNCTIONS]) |
		EMPTY(request, errors, keep[RQ_ERRORS]) | EMPTY(request, tags, keep[RQ_TAGS]) |
		EMPTY(request, counters, keep[RQ_COUNTERS]) |
		EMPTY(request, call_paths, keep[RQ_CALL_PATHS]) |
		EMPTY(request, spans, keep[RQ_SPANS]) | EMPTY(request, external, keep[RQ_EXTERNAL]);
	uint32_t at;
	struct bvapm_rec_inl_request *t = TABLE(w, request, absent, &at);
	if (!t)
		return;
	put_u32(w, field, at - field);
	t->status = r->status;
	t->mode = r->mode;
	t->keep_reason = r->keep_reason;
	t->detail_reduced = r->detail_reduced;
	t->start_unix_ns = r->start_unix_ns;
	t->wall_ns = r->wall_ns;
	t->cpu_user_us = r->cpu_user_us;
	t->cpu_sys_us = r->cpu_sys_us;
	t->mem_start_bytes = r->mem_start_bytes;
	t->mem_end_bytes = r->mem_end_bytes;
	t->mem_peak_bytes = r->mem_peak_bytes;
	t->mem_limit_bytes = r->mem_limit_bytes;
	t->agent_ns = r->agent_ns;
	t->sql_total_count = r->sql_total_count;
	t->sql_total_ns = r->sql_total_ns;
	t->sql_dropped = r->sql_count - keep[RQ_SQL];
	t->functions_dropped = r->function_count - keep[RQ_FUNCTIONS];
	t->call_paths_dropped = r->call_path_count - keep[RQ_CALL_PATHS];
	t->kind = r->kind;
	t->spans_dropped = r->span_count - keep[RQ_SPANS];
	t->span_total_count = r->span_total_count;
	t->external_dropped = r->external_count - keep[RQ_EXTERNAL];
	string_child(w, FIELD_AT(at, request, method), r->method);
	string_child(w, FIELD_AT(at, request, uri), r->uri);
	string_child(w, FIELD_AT(at, request, route), r->route);
	string_child(w, FIELD_AT(at, request, sapi), r->sapi);
	if (keep[RQ_CHECKPOINTS])
		write_checkpoints(w, FIELD_AT(at, request, checkpoints), r->checkpoints, keep[RQ_CHECKPOINTS]);
	if (keep[RQ_SQL])
		write_sql(w, FIELD_AT(at, request, sql), r->sql, keep[RQ_SQL]);
	if (keep[RQ_FUNCTIONS])
		write_functions(w, FIELD_AT(at, request, functions), r->functions, keep[RQ_FUNCTIONS]);
	if (keep[RQ_ERRORS])
		write_errors(w, FIELD_AT(at, request, errors), r->errors, keep[RQ_ERRORS]);
	if (keep[RQ_TAGS])
		write_tags(w, FIELD_AT(at, request, tags), r->tags, keep[RQ_TAGS]);
	if (keep[RQ_COUNTERS])
		write_counters(w, FIELD_AT(at, request, counters), r->counters, keep[RQ_COUNTERS]);
	if (keep[RQ_CALL_PATHS])
		write_call_paths(w, FIELD_AT(at, request, call_paths), r->call_paths,
			keep[RQ_CALL_PATHS]);
	if (keep[RQ_SPANS])
		write_spans(w, FIELD_AT(at, request, spans), r->spans, r->span_count, keep[RQ_SPANS]);
	if (keep[RQ_EXTERNAL])
		write_external(w, FIELD_AT(at, request, external), r->external, keep[RQ_EXTERNAL]);
}

/* A list with a NULL array counts as empty. */
static inline uint32_t list_len(const void *items, uint32_t n)
{
	return items ? n : 0;
}

ssize_t bvapm_rec_encode_request(void *buf, size_t cap, const struct bvapm_rec_envelope *env,
	const struct bvapm_rec_request *req)
{
	if (!args_ok(buf, env, req))
		return -EINVAL;
	uint32_t count[RQ_NLISTS];
	count[RQ_FUNCTIONS] = list_len(req->functions, req->function_count);
	count[RQ_SQL] = list_len(req->sql, req->sql_count);
	count[RQ_COUNTERS] = list_len(req->counters, req->counter_count);
	count[RQ_TAGS] = list_len(req->tags, req->tag_count);
	count[RQ_ERRORS] = list_len(req->errors, req->error_count);
	count[RQ_CHECKPOINTS] = list_len(req->checkpoints, req->checkpoint_count);
	count[RQ_CALL_PATHS] = list_len(req->call_paths, req->call_path_count);
	count[RQ_SPANS] = list_len(req->spans, req->span_count);
	count[RQ_EXTERNAL] = list_len(req->external, req->external_count);
	for (unsigned i = 0; i < RQ_NLISTS; i++)
		if (count[i] > MAX_COUNT)
			return -EINVAL;
	if (count[RQ_SQL] != req->sql_count || count[RQ_FUNCTIONS] != req->function_count ||
	    count[RQ_CALL_PATHS] != req->call_path_count || count[RQ_SPANS] != req->span_count ||
	    count[RQ_EXTERNAL] != req->external_count) {
		/* dropped counts are computed from the *_count fields */
		struct bvapm_rec_request copy = *req;
		copy.sql_count = count[RQ_SQL];
		copy.function_count = count[RQ_FUNCTIONS];
		copy.call_path_count = count[RQ_CALL_PATHS];
		copy.span_count = count[RQ_SPANS];
		copy.external_count = count[RQ_EXTERNAL];
		return encode_fitting(buf, cap, env, &copy, encode_request, count, RQ_NLISTS);
	}
	return encode_fitting(buf, cap, env, req, encode_request, count, RQ_NLISTS);
}

/* ---- fatal error ----------------------------------------------------------------- */

enum { FE_ALLOCATORS, FE_CHECKPOINTS, FE_STACK, FE_NLISTS };

static void encode_fatal(struct writer *w, const struct bvapm_rec_envelope *env, const void *body,
	const uint32_t *keep, bool truncated)
{
	const struct bvapm_rec_fatal *f = body;
	uint32_t field = write_envelope(w, env, BVAPM_REC_KIND_FATAL, truncated);
	if (!field)
		return;
	uint64_t absent = ABSENT(fatal, type, f->type) | ABSENT(fatal, message, f->message) |
		ABSENT(fatal, file, f->file) | ABSENT(fatal, method, f->method) |
		ABSENT(fatal, uri, f->uri) | ABSENT(fatal, route, f->route);
	absent |= EMPTY(fatal, checkpoints, keep[FE_CHECKPOINTS]) |
		EMPTY(fatal, top_allocators, keep[FE_ALLOCATORS]) |
		EMPTY(fatal, stack, keep[FE_STACK]);
	uint32_t at;
	struct bvapm_rec_inl_fatal *t = TABLE(w, fatal, absent, &at);
	if (!t)
		return;
	put_u32(w, field, at - field);
	t->line = f->line;
	t->out_of_memory = f->out_of_memory;
	t->start_unix_ns = f->start_unix_ns;
	t->wall_ns = f->wall_ns;
	t->mem_usage_bytes = f->mem_usage_bytes;
	t->mem_peak_bytes = f->mem_peak_bytes;
	t->mem_limit_bytes = f->mem_limit_bytes;
	t->stack_depth = f->stack_depth ? f->stack_depth : f->frame_count;
	string_child(w, FIELD_AT(at, fatal, type), f->type);
	string_child(w, FIELD_AT(at, fatal, message), f->message);
	string_child(w, FIELD_AT(at, fatal, file), f->file);
	string_child(w, FIELD_AT(at, fatal, method), f->method);
	string_child(w, FIELD_AT(at, fatal, uri), f->uri);
	string_child(w, FIELD_AT(at, fatal, route), f->route);
	if (keep[FE_CHECKPOINTS])
		write_checkpoints(w, FIELD_AT(at, fatal, checkpoints), f->checkpoints, keep[FE_CHECKPOINTS]);
	if (keep[FE_ALLOCATORS])
		write_functions(w, FIELD_AT(at, fatal, top_allocators), f->top_allocators,
			keep[FE_ALLOCATORS]);
	if (keep[FE_STACK])
		write_frames(w, FIELD_AT(at, fatal, stack), f->stack, keep[FE_STACK]);
}

ssize_t bvapm_rec_encode_fatal(void *buf, size_t cap, const struct bvapm_rec_envelope *env,
	const struct bvapm_rec_fatal *fatal)
{
	if (!args_ok(buf, env, fatal))
		return -EINVAL;
	uint32_t count[FE_NLISTS];
	count[FE_ALLOCATORS] = list_len(fatal->top_allocators, fatal->top_allocator_count);
	count[FE_CHECKPOINTS] = list_len(fatal->checkpoints, fatal->checkpoint_count);
	count[FE_STACK] = list_len(fatal->stack, fatal->frame_count);
	for (unsigned i = 0; i < FE_NLISTS; i++)
		if (count[i] > MAX_COUNT)
			return -EINVAL;
	return encode_fitting(buf, cap, env, fatal, encode_fatal, count, FE_NLISTS);
}

/* ---- aborted request --------------------------------------------------------------- */

static void encode_aborted(struct writer *w, const struct bvapm_rec_envelope *env, const void *body,
	const uint32_t *keep, bool truncated)
{
	const struct bvapm_rec_aborted *a = body;
	uint32_t field = write_envelope(w, env, BVAPM_REC_KIND_ABORTED, truncated);
	if (!field)
		return;
	uint64_t absent = ABSENT(aborted, method, a->method) | ABSENT(aborted, uri, a->uri) |
		ABSENT(aborted, last_checkpoint, a->last_checkpoint) |
		ABSENT(aborted, current_sql, a->current_sql);
	uint32_t at;
	struct bvapm_rec_inl_aborted *t = TABLE(w, aborted, absent, &at);
	if (!t)
		return;
	put_u32(w, field, at - field);
	t->pid = a->pid;
	t->started_unix_ns = a->started_unix_ns;
	t->running_ns = a->running_ns;
	t->last_checkpoint_mem_bytes = a->last_checkpoint_mem_bytes;
	t->worker_start_unix_ns = a->worker_start_unix_ns;
	string_child(w, FIELD_AT(at, aborted, method), a->method);
	string_child(w, FIELD_AT(at, aborted, uri), a->uri);
	string_child(w, FIELD_AT(at, aborted, last_checkpoint), a->last_checkpoint);
	string_child(w, FIELD_AT(at, aborted, current_sql), a->current_sql);
}

ssize_t bvapm_rec_encode_aborted(void *buf, size_t cap, const struct bvapm_rec_envelope *env,
	const struct bvapm_rec_aborted *aborted)
{
	if (!args_ok(buf, env, aborted))
		return -EINVAL;
	return encode_fitting(buf, cap, env, aborted, encode_aborted, NULL, 0);
}

/* ---- statistics ---------------------------------------------------------------------- */

static void encode_stats(struct writer *w, const struct bvapm_rec_envelope *env, const void *body,
	const uint32_t *keep, bool truncated)
{
	const struct bvapm_rec_stats *s = body;
	uint32_t field = write_envelope(w, env, BVAPM_REC_KIND_STATS, truncated);
	if (!field)
		return;
	uint64_t absent = ABSENT(stats, source, s->source) | EMPTY(stats, counters, keep[0]);
	uint32_t at;
	struct bvapm_rec_inl_stats *t = TABLE(w, stats, absent, &at);
	if (!t)
		return;
	put_u32(w, field, at - field);
	t->interval_ns = s->interval_ns;
	string_child(w, FIELD_AT(at, stats, source), s->source);
	if (keep[0])
		write_counters(w, FIELD_AT(at, stats, counters), s->counters, keep[0]);
}

ssize_t bvapm_rec_encode_stats(void *buf, size_t cap, const struct bvapm_rec_envelope *env,
	const struct bvapm_rec_stats *stats)
{
	if (!args_ok(buf, env, stats))
		return -EINVAL;
	uint32_t count[1] = { list_len(stats->counters, stats->counter_count) };
	if (count[0] > MAX_COUNT)
		return -EINVAL;
	return encode_fitting(buf, cap, env, stats, encode_stats, count, 1);
}
