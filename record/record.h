/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record.h — bvapm's record codec: build, verify, read and render the
 * FlatBuffers records of schemas/bvapm.fbs, in plain C, with no FlatBuffers
 * library (Debian packages flatc but no C runtime; flatcc is not packaged).
 *
 * Roles:
 *   agent    fills the input structs below (pointers into its own per-request
 *            data, nothing copied) and calls bvapm_rec_encode_*() into one
 *            buffer it reuses for every request; then copies the bytes into
 *            the ring with the kind as the ring record type.
 *   drainer  calls bvapm_rec_verify() on every record read from the ring (the
 *            ring is shared memory: untrusted), then the accessors.
 *   tools    bvapm_rec_to_json() (verifies, then renders with json-c).
 *
 * Guarantees:
 *   - Encoding never allocates, never writes past `cap`, and writes every byte
 *     it reports (padding is zeroed: nothing stale from a reused buffer leaks).
 *     A buffer flatc cannot decode is a bug covered by tests/record.
 *   - When the record does not fit, detail is dropped in a fixed order (see
 *     "Truncation") and the envelope's `truncated` flag is set.
 *   - bvapm_rec_verify() trusts nothing: every offset, vtable, alignment,
 *     string terminator, vector length, nesting depth, object count and the
 *     total size are checked. Accessors are only valid on a verified buffer;
 *     on one, no accessor reads outside [buf, buf+len).
 *   - The reader follows vtables, so it reads buffers written by flatc or by a
 *     producer with a newer schema (unknown fields and kinds are ignored).
 *
 * Byte order: little-endian hosts only (checked at compile time).
 */
#ifndef BVAPM_RECORD_H
#define BVAPM_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "record_schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- kinds and enums ----------------------------------------------------- */

/* Record kinds: the union Body's type values in schemas/bvapm.fbs, and the
 * 16-bit record type the ring carries. Start at 1, never renumbered. */
enum bvapm_rec_kind {
	BVAPM_REC_KIND_NONE = 0,
	BVAPM_REC_KIND_REQUEST = 1,   /* RequestProfile */
	BVAPM_REC_KIND_FATAL = 2,     /* FatalError (includes out of memory) */
	BVAPM_REC_KIND_ABORTED = 3,   /* AbortedRequest (dead worker's live slot) */
	BVAPM_REC_KIND_STATS = 4,     /* Statistics (agent or drainer counters) */
	BVAPM_REC_KIND_MAX = 4,
};

enum bvapm_rec_mode {           /* enum Mode */
	BVAPM_REC_MODE_UNKNOWN = 0,
	BVAPM_REC_MODE_LIGHT = 1,
	BVAPM_REC_MODE_AGGRESSIVE = 2,
	BVAPM_REC_MODE_TARGETED = 3,
};

enum bvapm_rec_keep_reason {    /* enum KeepReason */
	BVAPM_REC_KEEP_UNKNOWN = 0,
	BVAPM_REC_KEEP_SAMPLED = 1,
	BVAPM_REC_KEEP_SLOW = 2,
	BVAPM_REC_KEEP_ERROR = 3,
	BVAPM_REC_KEEP_FORCED = 4,
};

enum bvapm_rec_request_kind {  /* enum RequestKind (v3) */
	BVAPM_REC_REQUEST_KIND_REQUEST = 0, /* a request: web, or a CLI script */
	BVAPM_REC_REQUEST_KIND_JOB = 1,     /* one job of a long-running worker */
};

/* What a timed call of a request is (v4): enum SpanKind. */
enum bvapm_rec_span_kind {
	BVAPM_REC_SPAN_UNKNOWN = 0,
	BVAPM_REC_SPAN_SQL = 1,          /* one execution of a statement */
	BVAPM_REC_SPAN_HTTP = 2,         /* an outbound HTTP request (curl, http:// streams) */
	BVAPM_REC_SPAN_CACHE = 3,        /* a Redis or Memcached command */
};

/* Schema names ("RequestProfile", "Light", "Forced", "Job", "Http"), NULL
 * when unknown. */
const char *bvapm_rec_kind_name(unsigned kind);
const char *bvapm_rec_mode_name(unsigned mode);
const char *bvapm_rec_keep_reason_name(unsigned reason);
const char *bvapm_rec_request_kind_name(unsigned kind);
const char *bvapm_rec_span_kind_name(unsigned kind);

/* ---- strings and byte arrays --------------------------------------------- */

/* A string: len bytes at ptr (need not be NUL-terminated on input; on output
 * from a verified buffer it is). ptr == NULL means "absent" (the field is left
 * out of the record), which is not the same as the empty string. */
typedef struct bvapm_rec_str {
	const char *ptr;
	uint32_t len;
} bvapm_rec_str;

typedef struct bvapm_rec_bytes {
	const uint8_t *ptr;
	uint32_t len;
} bvapm_rec_bytes;

static inline bvapm_rec_str bvapm_rec_cstr(const char *s)
{
	bvapm_rec_str r = { s, s ? (uint32_t)strlen(s) : 0 };
	return r;
}

/* ---- builder input ------------------------------------------------------- */

/* Largest record the codec builds or accepts (uoffsets stay far below 2^31). */
#define BVAPM_REC_MAX_SIZE (64u << 20)

struct bvapm_rec_envelope {
	bvapm_rec_str host;              /* producer host name */
	bvapm_rec_str service;           /* service / application name */
	uint32_t pid;                    /* producer pid */
	uint64_t producer_start_unix_ns; /* producer process start, ns since epoch */
	uint64_t sequence;               /* per-producer sequence number (from 1) */
	uint64_t wall_unix_ns;           /* now, CLOCK_REALTIME ns */
	uint64_t mono_ns;                /* now, CLOCK_MONOTONIC ns */
	bool has_trace;                  /* trace_id and span_id below are valid */
	bool has_parent;                 /* parent_span_id below is valid */
	bool sampled;                    /* W3C sampled flag */
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_span_id[8];
};

struct bvapm_rec_checkpoint {
	bvapm_rec_str label;
	uint64_t offset_ns;              /* since request start, ns */
	uint64_t mem_bytes;
	int64_t mem_delta_bytes;         /* vs previous checkpoint (first: vs mem_start) */
	uint64_t peak_bytes;
	/* largest_jump is computed by the builder (largest positive delta). */
};

struct bvapm_rec_sql {
	bvapm_rec_str statement;         /* normalized */
	uint32_t count;
	uint64_t total_ns;
	uint64_t max_ns;
	uint64_t rows;
	bool n_plus_one;
};

struct bvapm_rec_function {
	bvapm_rec_str name;
	uint64_t calls;
	uint64_t inclusive_ns;
	uint64_t exclusive_ns;
	int64_t mem_delta_bytes;
};

struct bvapm_rec_frame {
	bvapm_rec_str function;
	bvapm_rec_str file;
	uint32_t line;
};

struct bvapm_rec_error {
	bvapm_rec_str type;
	bvapm_rec_str message;
	bvapm_rec_str file;
	uint32_t line;
	uint32_t count;
	const struct bvapm_rec_frame *stack; uint32_t frame_count; /* innermost first (v2) */
	uint32_t stack_depth;            /* full depth; 0 = frame_count */
};

/* One call path of the function profile (v2). */
struct bvapm_rec_call_path {
	bvapm_rec_str path;              /* frame names joined by ';', outermost first */
	uint64_t calls;
	uint64_t inclusive_ns;
	uint64_t exclusive_ns;
};

/* One timed call of the request, with its real start and end (v4): the
 * request's timeline and the OTLP sink's child spans. */
struct bvapm_rec_span {
	uint8_t kind;                    /* enum bvapm_rec_span_kind */
	bvapm_rec_str name;              /* SQL: normalized statement; HTTP: "GET /path"; cache: command */
	bvapm_rec_str target;            /* HTTP: scheme://host:port; cache: "redis host:port"; SQL: absent */
	uint64_t start_offset_ns;        /* since the request's start, ns */
	uint64_t duration_ns;
	uint16_t status;                 /* HTTP status (0: none) */
	bvapm_rec_str error;             /* absent: succeeded; else why ("timeout", "connection refused") */
	uint64_t bytes;                  /* HTTP: response bytes */
	bool has_span_id;
	uint8_t span_id[8];              /* the span's id (HTTP: the one sent in traceparent) */
};

/* Outbound calls of one request, aggregated by kind, target and name (v4):
 * like SqlStatement, for HTTP calls and cache commands. */
struct bvapm_rec_external {
	uint8_t kind;                    /* enum bvapm_rec_span_kind: HTTP or CACHE */
	bvapm_rec_str target;            /* HTTP: scheme://host:port; cache: "redis host:port" */
	bvapm_rec_str name;              /* HTTP: "GET /path"; cache: command ("GET", "HMSET") */
	uint32_t count;
	uint64_t total_ns, max_ns;
	uint32_t errors;                 /* calls that failed */
	uint64_t bytes;                  /* HTTP: response bytes, all calls */
	uint64_t keys;                   /* cache: keys the commands named, all calls */
	bool repeated;                   /* count >= the N+1 threshold: the same call in a loop */
};

struct bvapm_rec_tag {
	bvapm_rec_str key;
	bvapm_rec_str value;
};

struct bvapm_rec_counter {
	bvapm_rec_str name;
	int64_t value;
};

struct bvapm_rec_request {
	bvapm_rec_str method, uri, route, sapi;
	uint16_t status;
	uint8_t mode;                    /* enum bvapm_rec_mode */
	uint8_t keep_reason;             /* enum bvapm_rec_keep_reason */
	bool detail_reduced;
	uint64_t start_unix_ns, wall_ns;
	uint64_t cpu_user_us, cpu_sys_us;
	uint64_t mem_start_bytes, mem_end_bytes, mem_peak_bytes, mem_limit_bytes;
	uint64_t agent_ns;
	const struct bvapm_rec_checkpoint *checkpoints; uint32_t checkpoint_count;
	const struct bvapm_rec_sql *sql;             uint32_t sql_count;
	uint32_t sql_total_count;        /* all statements, listed or not */
	uint64_t sql_total_ns;
	const struct bvapm_rec_function *functions;  uint32_t function_count;
	const struct bvapm_rec_error *errors;        uint32_t error_count;
	const struct bvapm_rec_tag *tags;            uint32_t tag_count;
	const struct bvapm_rec_counter *counters;    uint32_t counter_count;
	const struct bvapm_rec_call_path *call_paths; uint32_t call_path_count; /* v2 */
	uint8_t kind;                    /* enum bvapm_rec_request_kind (v3) */
	const struct bvapm_rec_span *spans;          uint32_t span_count;     /* v4: the longest, by start */
	uint32_t span_total_count;       /* v4: timed calls in the request, listed or not */
	const struct bvapm_rec_external *external;   uint32_t external_count; /* v4: by total_ns, largest first */
	/* sql_dropped / functions_dropped / call_paths_dropped / spans_dropped /
	 * external_dropped are set by the builder. */
};

struct bvapm_rec_fatal {
	bvapm_rec_str type, message, file;
	uint32_t line;
	bool out_of_memory;
	bvapm_rec_str method, uri, route;
	uint64_t start_unix_ns, wall_ns;
	uint64_t mem_usage_bytes, mem_peak_bytes, mem_limit_bytes;
	const struct bvapm_rec_checkpoint *checkpoints; uint32_t checkpoint_count;
	const struct bvapm_rec_function *top_allocators; uint32_t top_allocator_count;
	const struct bvapm_rec_frame *stack;         uint32_t frame_count;
	uint32_t stack_depth;            /* full depth; 0 = frame_count */
};

struct bvapm_rec_aborted {
	uint32_t pid;
	bvapm_rec_str method, uri;
	uint64_t started_unix_ns, running_ns;
	bvapm_rec_str last_checkpoint;
	uint64_t last_checkpoint_mem_bytes;
	bvapm_rec_str current_sql;
	uint64_t worker_start_unix_ns;
};

struct bvapm_rec_stats {
	bvapm_rec_str source;
	uint64_t interval_ns;
	const struct bvapm_rec_counter *counters;    uint32_t counter_count;
};

/* ---- builder ------------------------------------------------------------- */

/*
 * Encode one record into buf[0..cap). buf must be 8-byte aligned (the agent
 * keeps one such buffer per worker and reuses it). Nothing is allocated;
 * nothing past cap is written; input strings and arrays are only read.
 *
 * Truncation: when the whole record does not fit, detail is dropped from the
 * tail of the lists, one list at a time, keeping as many entries of the list
 * being cut as fit (found by re-encoding, so the result is exact):
 *   request:  spans, call_paths, functions, external, sql, counters, tags,
 *             errors, checkpoints
 *   fatal:    top_allocators, checkpoints, stack (innermost frames are kept)
 *   stats:    counters
 * Spans go first (the timeline is the largest and least summarised detail;
 * sql and external still total the calls) and lose their shortest calls, not
 * their tail: the longest are kept, still by start (O(n) per pass, at most 64
 * passes, truncation path only). external comes before sql, so sql keeps the
 * place it had before version 4. The envelope's `truncated` is set; a request
 * also records how many entries it lost in sql_dropped / functions_dropped /
 * call_paths_dropped / spans_dropped / external_dropped. The envelope and the
 * kind's own scalars and strings (the "essentials") are never dropped.
 * Cost: one encode when the record fits; when it does not, 2 + log2(n) more
 * for the list being cut (bench, CPU time: ~0.8 us vs ~2.9 us for the
 * typical request into 4 KiB).
 *
 * Returns the encoded length (> 0), or
 *   -EINVAL    if buf, env or the body is NULL, buf is not 8-byte aligned, or
 *              a list is longer than 2^24 entries
 *   -EMSGSIZE  if even the essentials do not fit in cap (or in
 *              BVAPM_REC_MAX_SIZE)
 */
ssize_t bvapm_rec_encode_request(void *buf, size_t cap, const struct bvapm_rec_envelope *env,
	const struct bvapm_rec_request *req);
ssize_t bvapm_rec_encode_fatal(void *buf, size_t cap, const struct bvapm_rec_envelope *env,
	const struct bvapm_rec_fatal *fatal);
ssize_t bvapm_rec_encode_aborted(void *buf, size_t cap, const struct bvapm_rec_envelope *env,
	const struct bvapm_rec_aborted *aborted);
ssize_t bvapm_rec_encode_stats(void *buf, size_t cap, const struct bvapm_rec_envelope *env,
	const struct bvapm_rec_stats *stats);

/* ---- verifier ------------------------------------------------------------ */

struct bvapm_rec_verify_opts {
	uint32_t max_size;      /* bytes, default (0) BVAPM_REC_MAX_SIZE */
	uint32_t max_depth;     /* nested tables, default (0) 8; the schema needs 4 */
	uint32_t max_objects;   /* tables + strings + vectors visited, default (0) len/4 + 16 */
};

struct bvapm_rec_verify_error {
	const char *what;       /* static sentence: which check failed */
	uint32_t offset;        /* where in the buffer */
};

/*
 * Checks that buf[0..len) is a well-formed Record of this schema. Beyond the
 * FlatBuffers rules it requires the "BVAP" file identifier, that every object
 * an offset points to starts after the end of the object holding the offset
 * (no overlap between a table and its children; with forward-only offsets no
 * cycle), that a vtable does not overlap its table, and that strings end with
 * a NUL. Unknown fields and unknown kinds (a newer producer) are accepted;
 * enum values out of range are accepted (rendered as numbers).
 *
 * Returns 0 on success, or
 *   -EINVAL    if buf is NULL
 *   -EMSGSIZE  if len is below the minimum (12) or above max_size
 *   -EPROTO    if the file identifier is not "BVAP"
 *   -EBADMSG   if any structural check fails (err says which and where)
 *   -ELOOP     if nesting is deeper than max_depth or more than max_objects
 *              objects are reachable (shared subtrees used as an amplifier)
 * err (may be NULL) is filled on failure.
 */
int bvapm_rec_verify(const void *buf, size_t len, const struct bvapm_rec_verify_opts *opts,
	struct bvapm_rec_verify_error *err);

/* ---- reader -------------------------------------------------------------- */

/*
 * Typed references into a verified buffer, one type per table so a field of
 * one table cannot be read through another. pos == 0 means absent; every
 * accessor of an absent table returns the field's default (0, false, absent
 * string, empty vector).
 *
 * Accessors: bvapm_rec_<table>_<field>(ref), for every row of
 * record_schema.h, returning
 *   scalars   their C type (bool, uint8_t, uint16_t, uint32_t, uint64_t, int64_t)
 *   strings   bvapm_rec_str (ptr NULL when absent)
 *   [ubyte]   bvapm_rec_bytes
 *   [Table]   bvapm_rec_<table>_vec: .len, bvapm_rec_<table>_at(vec, i)
 *   the body  bvapm_rec_record_body_type(r) is the kind;
 *             bvapm_rec_record_body_<table>(r) the body when it is that kind
 */
#define BVAPM_REC__REF_TYPES(t) \
	typedef struct bvapm_rec_##t##_ref { const uint8_t *buf; uint32_t pos; } bvapm_rec_##t##_ref; \
	typedef struct bvapm_rec_##t##_vec { const uint8_t *buf; uint32_t pos; uint32_t len; } bvapm_rec_##t##_vec;
BVAPM_REC_TABLES(BVAPM_REC__REF_TYPES)

static inline uint32_t bvapm_rec__u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint16_t bvapm_rec__u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint64_t bvapm_rec__u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Absolute position of field `id` of the table at pos, 0 when absent. */
static inline uint32_t bvapm_rec__field(const uint8_t *buf, uint32_t pos, unsigned id)
{
	if (pos == 0)
		return 0;
	uint32_t vt = pos - bvapm_rec__u32(buf + pos);
	unsigned entry = 4 + 2 * id;
	if (entry + 2 > bvapm_rec__u16(buf + vt))
		return 0;
	uint16_t off = bvapm_rec__u16(buf + vt + entry);
	return off ? pos + off : 0;
}

/* Target of the uoffset at absolute position p (0 when p is 0). */
static inline uint32_t bvapm_rec__deref(const uint8_t *buf, uint32_t p)
{
	return p ? p + bvapm_rec__u32(buf + p) : 0;
}

#define BVAPM_REC__GET_BOOL(b, p) ((p) ? (b)[p] != 0 : false)
#define BVAPM_REC__GET_U8(b, p) ((p) ? (b)[p] : (uint8_t)0)
#define BVAPM_REC__GET_ENUM(b, p) BVAPM_REC__GET_U8(b, p)
#define BVAPM_REC__GET_UTYPE(b, p) BVAPM_REC__GET_U8(b, p)
#define BVAPM_REC__GET_U16(b, p) ((p) ? bvapm_rec__u16((b) + (p)) : (uint16_t)0)
#define BVAPM_REC__GET_U32(b, p) ((p) ? bvapm_rec__u32((b) + (p)) : (uint32_t)0)
#define BVAPM_REC__GET_U64(b, p) ((p) ? bvapm_rec__u64((b) + (p)) : (uint64_t)0)
#define BVAPM_REC__GET_I64(b, p) ((int64_t)BVAPM_REC__GET_U64(b, p))
#define BVAPM_REC__RT_BOOL bool
#define BVAPM_REC__RT_U8 uint8_t
#define BVAPM_REC__RT_ENUM uint8_t
#define BVAPM_REC__RT_UTYPE uint8_t
#define BVAPM_REC__RT_U16 uint16_t
#define BVAPM_REC__RT_U32 uint32_t
#define BVAPM_REC__RT_U64 uint64_t
#define BVAPM_REC__RT_I64 int64_t

static inline bvapm_rec_str bvapm_rec__str(const uint8_t *buf, uint32_t field)
{
	bvapm_rec_str s = { NULL, 0 };
	uint32_t p = bvapm_rec__deref(buf, field);
	if (p) {
		s.len = bvapm_rec__u32(buf + p);
		s.ptr = (const char *)buf + p + 4;
	}
	return s;
}

static inline bvapm_rec_bytes bvapm_rec__bytes(const uint8_t *buf, uint32_t field)
{
	bvapm_rec_bytes s = { NULL, 0 };
	uint32_t p = bvapm_rec__deref(buf, field);
	if (p) {
		s.len = bvapm_rec__u32(buf + p);
		s.ptr = buf + p + 4;
	}
	return s;
}

/* Accessor generators, one per KIND. */
#define BVAPM_REC__ACC_SCALAR(t, id, name, K) \
	static inline BVAPM_REC__RT_##K bvapm_rec_##t##_##name(bvapm_rec_##t##_ref r) \
	{ return (BVAPM_REC__RT_##K)BVAPM_REC__GET_##K(r.buf, bvapm_rec__field(r.buf, r.pos, id)); }
#define BVAPM_REC__ACC_BOOL(t, id, name, sub) BVAPM_REC__ACC_SCALAR(t, id, name, BOOL)
#define BVAPM_REC__ACC_U8(t, id, name, sub) BVAPM_REC__ACC_SCALAR(t, id, name, U8)
#define BVAPM_REC__ACC_ENUM(t, id, name, sub) BVAPM_REC__ACC_SCALAR(t, id, name, ENUM)
#define BVAPM_REC__ACC_UTYPE(t, id, name, sub) BVAPM_REC__ACC_SCALAR(t, id, name, UTYPE)
#define BVAPM_REC__ACC_U16(t, id, name, sub) BVAPM_REC__ACC_SCALAR(t, id, name, U16)
#define BVAPM_REC__ACC_U32(t, id, name, sub) BVAPM_REC__ACC_SCALAR(t, id, name, U32)
#define BVAPM_REC__ACC_U64(t, id, name, sub) BVAPM_REC__ACC_SCALAR(t, id, name, U64)
#define BVAPM_REC__ACC_I64(t, id, name, sub) BVAPM_REC__ACC_SCALAR(t, id, name, I64)
#define BVAPM_REC__ACC_STR(t, id, name, sub) \
	static inline bvapm_rec_str bvapm_rec_##t##_##name(bvapm_rec_##t##_ref r) \
	{ return bvapm_rec__str(r.buf, bvapm_rec__field(r.buf, r.pos, id)); }
#define BVAPM_REC__ACC_BYTES(t, id, name, sub) \
	static inline bvapm_rec_bytes bvapm_rec_##t##_##name(bvapm_rec_##t##_ref r) \
	{ return bvapm_rec__bytes(r.buf, bvapm_rec__field(r.buf, r.pos, id)); }
#define BVAPM_REC__ACC_VECT(t, id, name, sub) \
	static inline bvapm_rec_##sub##_vec bvapm_rec_##t##_##name(bvapm_rec_##t##_ref r) \
	{ \
		bvapm_rec_##sub##_vec v = { r.buf, 0, 0 }; \
		uint32_t p = bvapm_rec__deref(r.buf, bvapm_rec__field(r.buf, r.pos, id)); \
		if (p) { v.len = bvapm_rec__u32(r.buf + p); v.pos = p + 4; } \
		return v; \
	}
#define BVAPM_REC__ACC_UNION(t, id, name, sub) /* typed getters below */
#define BVAPM_REC__ACC(t, id, name, K, sub) BVAPM_REC__ACC_##K(t, id, name, sub)

#define BVAPM_REC__ELEM_AT(t) \
	static inline bvapm_rec_##t##_ref bvapm_rec_##t##_at(bvapm_rec_##t##_vec v, uint32_t i) \
	{ \
		bvapm_rec_##t##_ref r = { v.buf, 0 }; \
		if (i < v.len) r.pos = bvapm_rec__deref(v.buf, v.pos + 4 * i); \
		return r; \
	}
BVAPM_REC_TABLES(BVAPM_REC__ELEM_AT)

#define BVAPM_REC__ACCESSORS(t) BVAPM_REC_TABLE_##t(BVAPM_REC__ACC)
BVAPM_REC_TABLES(BVAPM_REC__ACCESSORS)

#define BVAPM_REC__BODY_GET(u, value, Name, t) \
	static inline bvapm_rec_##t##_ref bvapm_rec_record_body_##t(bvapm_rec_record_ref r) \
	{ \
		bvapm_rec_##t##_ref b = { r.buf, 0 }; \
		if (bvapm_rec_record_body_type(r) == value) \
			b.pos = bvapm_rec__deref(r.buf, bvapm_rec__field(r.buf, r.pos, 14)); \
		return b; \
	}
BVAPM_REC_UNION_body(BVAPM_REC__BODY_GET)

/* The root Record of a buffer that bvapm_rec_verify() accepted. */
static inline bvapm_rec_record_ref bvapm_rec_root(const void *buf)
{
	bvapm_rec_record_ref r = { (const uint8_t *)buf, bvapm_rec__u32((const uint8_t *)buf) };
	return r;
}

/* ---- JSON (json-c) ------------------------------------------------------- */

struct json_object;

#define BVAPM_REC_JSON_DEFAULTS 0x1  /* also print scalars absent from the buffer (their default) */
#define BVAPM_REC_JSON_HEX_IDS  0x2  /* trace/span ids as lowercase hex strings, not byte arrays */
#define BVAPM_REC_JSON_PRETTY   0x4  /* bvapm_rec_to_json_string: indented output */

/*
 * Verifies buf (as bvapm_rec_verify with default options) and renders it as a
 * json-c object shaped like `flatc --json --strict-json` output: schema field
 * names, enums and the union type by name ("body_type": "RequestProfile"),
 * absent fields left out. Strings that are not valid UTF-8 are rendered with
 * U+FFFD in place of each invalid byte, so the output is always valid JSON.
 *
 * Returns a new object (json_object_put() it), or NULL with errno set to the
 * verifier's error (EMSGSIZE, EPROTO, EBADMSG, ELOOP, EINVAL) or ENOMEM.
 */
struct json_object *bvapm_rec_to_json(const void *buf, size_t len, unsigned flags);

/* The same as a malloc()ed NUL-terminated string (free() it), or NULL+errno. */
char *bvapm_rec_to_json_string(const void *buf, size_t len, unsigned flags);

#ifdef __cplusplus
}
#endif

#endif
