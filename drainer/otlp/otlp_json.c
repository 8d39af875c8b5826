/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otlp_json.c — records to OTLP JSON (see otlp_json.h and docs/otlp.md).
 *
 * OTLP JSON rules followed here: trace and span ids are lowercase hex
 * strings; 64-bit integers (timeUnixNano, intValue) are decimal strings;
 * enums (kind, status.code) are integers; field names are lowerCamelCase.
 *
 * Child spans of a request: its timed calls (record schema v4: SQL
 * executions, outbound HTTP requests, cache commands), CLIENT spans with
 * their real start and end and the span id the agent gave them (an HTTP
 * call's is the one it sent downstream in traceparent, so the next service's
 * span is their child). A record without spans (a producer before v4, or
 * one that recorded totals only) gets the older synthetic SQL spans instead:
 * one per summary entry (count, total and max time, not the executions),
 * laid end to end from the parent's start, each as long as its total_ns,
 * scaled down together when the listed totals exceed the request's wall
 * time, so every child stays inside its parent. Their durations are
 * meaningful; their offsets are not.
 *
 * Jobs (a request profile of kind Job, and the fatal error or aborted
 * request of one, which carry method "JOB") are CONSUMER spans named
 * "job NAME": a worker processing what a queue handed it, not a server
 * answering a request.
 */
#include "otlp_json.h"
#include "support/bvapm_text.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "record/record.h"

enum { SPAN_KIND_SERVER = 2, SPAN_KIND_CLIENT = 3, SPAN_KIND_CONSUMER = 5 };
enum { STATUS_CODE_ERROR = 2 };

#define SDK_NAME "bvapm"
#define SDK_VERSION "0.1.0"

/* ---- json helpers -------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (0 when invalid). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t need;
	unsigned min;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) { need = 2; cp = s[0] & 0x1f; min = 0x80; }
	else if ((s[0] & 0xf0) == 0xe0) { need = 3; cp = s[0] & 0x0f; min = 0x800; }
	else if ((s[0] & 0xf8) == 0xf0) { need = 4; cp = s[0] & 0x07; min = 0x10000; }
	else return 0;
	if (need > n)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

/* A json string of s[0..len), invalid UTF-8 bytes replaced by U+FFFD. */
static struct json_object *jstr_len(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, bad = 0;

	for (i = 0; i < len;) {
		size_t k = utf8_len(u + i, len - i);
		bad += k == 0;
		i += k ? k : 1;
	}
	if (!bad)
		return json_object_new_string_len(s, (int)len);

	char *out = malloc(len + 2 * bad + 1), *p = out;
	if (!out)
		return NULL;
	for (i = 0; i < len;) {
		size_t k = utf8_len(u + i, len - i);
		if (k) {
			memcpy(p, s + i, k);
			p += k;
			i += k;
		} else {
			memcpy(p, "\xef\xbf\xbd", 3);
			p += 3;
			i++;
		}
	}
	struct json_object *o = json_object_new_string_len(out, (int)(p - out));
	free(out);
	return o;
}

static struct json_object *jstr(bvapm_rec_str s)
{
	return jstr_len(s.ptr ? s.ptr : "", s.ptr ? s.len : 0);
}

static struct json_object *ju64(uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof buf, "%" PRIu64, v);
	return json_object_new_string(buf);
}

static struct json_object *ji64(int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof buf, "%" PRId64, v);
	return json_object_new_string(buf);
}


/* ---- attributes ---------------------------------------------------------- */

static void attr(struct json_object *attrs, const char *key, const char *type, struct json_object *v)
{
	struct json_object *a = json_object_new_object(), *val = json_object_new_object();
	json_object_object_add(val, type, v);
	json_object_object_add(a, "key", json_object_new_string(key));
	json_object_object_add(a, "value", val);
	json_object_array_add(attrs, a);
}

static void attr_str(struct json_object *attrs, const char *key, bvapm_rec_str s)
{
	if (s.ptr)
		attr(attrs, key, "stringValue", jstr(s));
}

static void attr_cstr(struct json_object *attrs, const char *key, const char *s)
{
	attr(attrs, key, "stringValue", json_object_new_string(s));
}

static void attr_int(struct json_object *attrs, const char *key, int64_t v)
{
	attr(attrs, key, "intValue", ji64(v));
}

static void attr_uint(struct json_object *attrs, const char *key, uint64_t v)
{
	/* intValue is int64: values above INT64_MAX (never real byte counts or
	 * durations) are clamped rather than wrapped. */
	attr_int(attrs, key, v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

static void attr_bool(struct json_object *attrs, const char *key, bool v)
{
	attr(attrs, key, "boolValue", json_object_new_boolean(v));
}

/* key = prefix + s (a tag or counter name), NUL-safe and bounded. */
static void attr_prefixed(struct json_object *attrs, const char *prefix, bvapm_rec_str name,
	const char *type, struct json_object *v)
{
	char key[256];
	size_t plen = strlen(prefix), nlen = name.ptr ? name.len : 0;
	if (plen + nlen >= sizeof key)
		nlen = sizeof key - plen - 1;
	memcpy(key, prefix, plen);
	if (nlen)
		memcpy(key + plen, name.ptr, nlen);
	key[plen + nlen] = 0;
	struct json_object *k = jstr_len(key, strlen(key));
	struct json_object *a = json_object_new_object(), *val = json_object_new_object();
	json_object_object_add(val, type, v);
	json_object_object_add(a, "key", k);
	json_object_object_add(a, "value", val);
	json_object_array_add(attrs, a);
}

/* ---- ids ----------------------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A deterministic 64-bit value from the record identity and a lane. */
static uint64_t identity_hash(const struct bvapm_sink_record *r, uint64_t lane)
{
	uint64_t h = mix64(0x62766170ull ^ lane);   /* "bvap" */
	h = mix64(h ^ r->pid);
	h = mix64(h ^ r->producer_start_unix_ns);
	h = mix64(h ^ r->sequence);
	return h ? h : 1;
}

static void put64(uint8_t *out, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (56 - 8 * i));
}

struct span_ids {
	uint8_t trace[16];
	uint8_t span[8];
	uint8_t parent[8];
	bool has_parent;
};

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void record_ids(const struct bvapm_sink_record *r, struct span_ids *ids)
{
	bvapm_rec_record_ref root = bvapm_rec_root(r->data);
	bvapm_rec_bytes t = bvapm_rec_record_trace_id(root);
	bvapm_rec_bytes s = bvapm_rec_record_span_id(root);
	bvapm_rec_bytes p = bvapm_rec_record_parent_span_id(root);

	if (t.ptr && t.len == 16 && !all_zero(t.ptr, 16)) {
		memcpy(ids->trace, t.ptr, 16);
	} else {
		put64(ids->trace, identity_hash(r, 1));
		put64(ids->trace + 8, identity_hash(r, 2));
	}
	if (s.ptr && s.len == 8 && !all_zero(s.ptr, 8))
		memcpy(ids->span, s.ptr, 8);
	else
		put64(ids->span, identity_hash(r, 3));
	ids->has_parent = p.ptr && p.len == 8 && !all_zero(p.ptr, 8);
	if (ids->has_parent)
		memcpy(ids->parent, p.ptr, 8);
}

void bvapm_otlp_record_ids(const struct bvapm_sink_record *rec, char trace_hex[33], char span_hex[17])
{
	struct span_ids ids;
	record_ids(rec, &ids);
	bvapm_hex_encode(trace_hex, ids.trace, 16);
	bvapm_hex_encode(span_hex, ids.span, 8);
}

/* Child span id: the parent's id mixed with the child's index. */
static void child_span_id(const uint8_t parent[8], uint32_t index, uint8_t out[8])
{
	uint64_t p = 0;
	for (int i = 0; i < 8; i++)
		p = p << 8 | parent[i];
	uint64_t h = mix64(p ^ mix64(0x73716cull + index));   /* "sql" */
	put64(out, h ? h : 1);
}

/* ---- spans --------------------------------------------------------------- */

static struct json_object *new_span(const struct span_ids *ids, const uint8_t *span_id,
	const uint8_t *parent, const char *name, size_t name_len, int kind,
	uint64_t start_ns, uint64_t end_ns)
{
	char h[33];
	struct json_object *s = json_object_new_object();

	bvapm_hex_encode(h, ids->trace, 16);
	json_object_object_add(s, "traceId", json_object_new_string(h));
	bvapm_hex_encode(h, span_id, 8);
	json_object_object_add(s, "spanId", json_object_new_string(h));
	if (parent) {
		bvapm_hex_encode(h, parent, 8);
		json_object_object_add(s, "parentSpanId", json_object_new_string(h));
	}
	json_object_object_add(s, "name", jstr_len(name, name_len));
	json_object_object_add(s, "kind", json_object_new_int(kind));
	json_object_object_add(s, "startTimeUnixNano", ju64(start_ns));
	json_object_object_add(s, "endTimeUnixNano", ju64(end_ns));
	json_object_object_add(s, "attributes", json_object_new_array());
	return s;
}

static struct json_object *span_attrs(struct json_object *span)
{
	return json_object_object_get(span, "attributes");
}

static struct json_object *span_events(struct json_object *span)
{
	struct json_object *ev = json_object_object_get(span, "events");
	if (!ev) {
		ev = json_object_new_array();
		json_object_object_add(span, "events", ev);
	}
	return ev;
}

static void set_error(struct json_object *span, const char *message, size_t len)
{
	struct json_object *st = json_object_new_object();
	json_object_object_add(st, "code", json_object_new_int(STATUS_CODE_ERROR));
	if (message)
		json_object_object_add(st, "message", jstr_len(message, len));
	json_object_object_add(span, "status", st);
}

static struct json_object *add_event(struct json_object *span, const char *name, size_t len,
	uint64_t time_ns)
{
	struct json_object *e = json_object_new_object();
	json_object_object_add(e, "timeUnixNano", ju64(time_ns));
	json_object_object_add(e, "name", jstr_len(name, len));
	json_object_object_add(e, "attributes", json_object_new_array());
	json_object_array_add(span_events(span), e);
	return json_object_object_get(e, "attributes");
}

/* "METHOD route" (or the path when there is no route); "request" without a method. */
static void span_name(bvapm_rec_str method, bvapm_rec_str route, bvapm_rec_str uri,
	const char *fallback, char *out, size_t cap)
{
	bvapm_rec_str target = route.ptr && route.len ? route : uri;
	size_t tlen = target.ptr ? target.len : 0;

	if (target.ptr && !(route.ptr && route.len)) {
		const char *q = memchr(target.ptr, '?', tlen);
		if (q)
			tlen = (size_t)(q - target.ptr);
	}
	if (!method.ptr || !method.len) {
		snprintf(out, cap, "%s", fallback);
		return;
	}
	if (tlen)
		snprintf(out, cap, "%.*s %.*s", (int)method.len, method.ptr, (int)tlen, target.ptr);
	else
		snprintf(out, cap, "%.*s", (int)method.len, method.ptr);
}

/* http.request.method, url.path (no query string), http.route. A CLI
 * "request" carries the command line as process.command_line instead. */
static void http_attrs(struct json_object *attrs, bvapm_rec_str method, bvapm_rec_str uri,
	bvapm_rec_str route)
{
	bool cli = method.ptr && method.len == 3 && memcmp(method.ptr, "CLI", 3) == 0;

	if (cli) {
		attr_str(attrs, "process.command_line", uri);
		return;
	}
	attr_str(attrs, "http.request.method", method);
	if (uri.ptr) {
		const char *q = memchr(uri.ptr, '?', uri.len);
		bvapm_rec_str path = { uri.ptr, q ? (uint32_t)(q - uri.ptr) : uri.len };
		attr(attrs, "url.path", "stringValue", jstr(path));
	}
	if (route.ptr && route.len)
		attr_str(attrs, "http.route", route);
}

/* The method the agent gives a job and its fatal error or aborted record. */
static bool is_job_method(bvapm_rec_str method)
{
	return method.ptr && method.len == 3 && memcmp(method.ptr, "JOB", 3) == 0;
}

/* A job's name: its route (the job name unless the application renamed it
 * with bvapm_route()), else its URI (the job name). */
static bvapm_rec_str job_name(bvapm_rec_str route, bvapm_rec_str uri)
{
	return route.ptr && route.len ? route : uri;
}

/* A job's span: name "job NAME" (or "job"), the messaging convention's
 * operation type for a consumer processing a message, and the job name. */
static void job_span_name(bvapm_rec_str name, char *out, size_t cap)
{
	if (name.ptr && name.len)
		snprintf(out, cap, "job %.*s", (int)name.len, name.ptr);
	else
		snprintf(out, cap, "job");
}

static void job_attrs(struct json_object *attrs, bvapm_rec_str name)
{
	attr_cstr(attrs, "messaging.operation.type", "process");
	attr_str(attrs, "bvapm.job.name", name);
}

static void identity_attrs(struct json_object *attrs, const struct bvapm_sink_record *r)
{
	char id[64];
	snprintf(id, sizeof id, "%" PRIu32 ":%" PRIu64 ":%" PRIu64, r->pid,
		r->producer_start_unix_ns, r->sequence);
	attr_cstr(attrs, "bvapm.record.id", id);
	attr_uint(attrs, "bvapm.sequence", r->sequence);
}

static void checkpoint_events(struct json_object *span, bvapm_rec_checkpoint_vec cps, uint64_t start)
{
	for (uint32_t i = 0; i < cps.len; i++) {
		bvapm_rec_checkpoint_ref c = bvapm_rec_checkpoint_at(cps, i);
		bvapm_rec_str label = bvapm_rec_checkpoint_label(c);
		struct json_object *a = label.ptr
			? add_event(span, label.ptr, label.len, start + bvapm_rec_checkpoint_offset_ns(c))
			: add_event(span, "checkpoint", 10, start + bvapm_rec_checkpoint_offset_ns(c));
		attr_uint(a, "bvapm.memory.bytes", bvapm_rec_checkpoint_mem_bytes(c));
		attr_int(a, "bvapm.memory.delta_bytes", bvapm_rec_checkpoint_mem_delta_bytes(c));
		attr_uint(a, "bvapm.memory.peak_bytes", bvapm_rec_checkpoint_peak_bytes(c));
		if (bvapm_rec_checkpoint_largest_jump(c))
			attr_bool(a, "bvapm.memory.largest_jump", true);
	}
}

/* exception.stacktrace on an exception event: "function (file:line)" per
 * frame, innermost first (the record's order), and how many frames the
 * agent left out when the stack was deeper than it keeps. */
static void stacktrace_attr(struct json_object *ea, bvapm_rec_stack_frame_vec st, uint32_t depth)
{
	if (st.len == 0)
		return;
	size_t cap = 64, used = 0;
	for (uint32_t i = 0; i < st.len; i++) {
		bvapm_rec_stack_frame_ref fr = bvapm_rec_stack_frame_at(st, i);
		cap += bvapm_rec_stack_frame_function(fr).len + bvapm_rec_stack_frame_file(fr).len + 32;
	}
	char *trace = malloc(cap);
	if (trace == NULL)
		return;
	for (uint32_t i = 0; i < st.len; i++) {
		bvapm_rec_stack_frame_ref fr = bvapm_rec_stack_frame_at(st, i);
		bvapm_rec_str fn = bvapm_rec_stack_frame_function(fr);
		bvapm_rec_str file = bvapm_rec_stack_frame_file(fr);
		used += (size_t)snprintf(trace + used, cap - used, "%s%.*s", i ? "\n" : "",
			(int)fn.len, fn.ptr ? fn.ptr : "");
		if (file.ptr)
			used += (size_t)snprintf(trace + used, cap - used, " (%.*s:%" PRIu32 ")",
				(int)file.len, file.ptr, bvapm_rec_stack_frame_line(fr));
	}
	if (depth > st.len)
		used += (size_t)snprintf(trace + used, cap - used, "\n... %" PRIu32 " more frames",
			depth - st.len);
	attr(ea, "exception.stacktrace", "stringValue", jstr_len(trace, used));
	free(trace);
}

/* PHP error types that mean the request failed (not notices, warnings or
 * deprecations); anything not starting with "E_" is an exception class. */
static bool error_is_failure(bvapm_rec_str type)
{
	static const char *const failing[] = { "E_ERROR", "E_CORE_ERROR", "E_COMPILE_ERROR",
		"E_USER_ERROR", "E_RECOVERABLE_ERROR", "E_PARSE" };

	if (!type.ptr || type.len < 2 || memcmp(type.ptr, "E_", 2) != 0)
		return type.ptr && type.len > 0;
	for (size_t i = 0; i < sizeof failing / sizeof failing[0]; i++)
		if (strlen(failing[i]) == type.len && memcmp(failing[i], type.ptr, type.len) == 0)
			return true;
	return false;
}

/* The first keyword of a statement, upper-cased ("SELECT"), or "SQL". */
static void sql_span_name(bvapm_rec_str stmt, char *out, size_t cap)
{
	size_t i = 0, n = 0;
	while (stmt.ptr && i < stmt.len && (stmt.ptr[i] == ' ' || stmt.ptr[i] == '\t' ||
	       stmt.ptr[i] == '\n' || stmt.ptr[i] == '(' || stmt.ptr[i] == '\r'))
		i++;
	while (stmt.ptr && i < stmt.len && n + 1 < cap &&
	       ((stmt.ptr[i] >= 'a' && stmt.ptr[i] <= 'z') || (stmt.ptr[i] >= 'A' && stmt.ptr[i] <= 'Z'))) {
		char c = stmt.ptr[i++];
		out[n++] = c >= 'a' ? (char)(c - 'a' + 'A') : c;
	}
	if (n == 0)
		n = (size_t)snprintf(out, cap, "SQL");
	out[n] = 0;
}

/* db.system from a tag the application set ("db.system" or "db_system"). */
static bvapm_rec_str db_system_tag(bvapm_rec_request_ref req)
{
	bvapm_rec_tag_vec tags = bvapm_rec_request_tags(req);
	for (uint32_t i = 0; i < tags.len; i++) {
		bvapm_rec_tag_ref t = bvapm_rec_tag_at(tags, i);
		bvapm_rec_str k = bvapm_rec_tag_key(t);
		if (k.ptr && k.len == 9 && (memcmp(k.ptr, "db.system", 9) == 0 ||
		    memcmp(k.ptr, "db_system", 9) == 0))
			return bvapm_rec_tag_value(t);
	}
	return (bvapm_rec_str){ NULL, 0 };
}

static uint32_t sql_child_spans(struct json_object *spans, bvapm_rec_request_ref req,
	const struct span_ids *ids, uint64_t start, uint64_t wall)
{
	bvapm_rec_sql_statement_vec sql = bvapm_rec_request_sql(req);
	bvapm_rec_str db_system = db_system_tag(req);
	double listed = 0, scale = 1;
	uint64_t at = start;

	for (uint32_t i = 0; i < sql.len; i++)
		listed += (double)bvapm_rec_sql_statement_total_ns(bvapm_rec_sql_statement_at(sql, i));
	if (listed > (double)wall)
		scale = listed > 0 ? (double)wall / listed : 0;

	for (uint32_t i = 0; i < sql.len; i++) {
		bvapm_rec_sql_statement_ref s = bvapm_rec_sql_statement_at(sql, i);
		bvapm_rec_str stmt = bvapm_rec_sql_statement_statement(s);
		uint64_t total = bvapm_rec_sql_statement_total_ns(s);
		uint64_t dur = (uint64_t)((double)total * scale);
		char name[32];
		uint8_t id[8];

		if (at + dur > start + wall)
			dur = start + wall > at ? start + wall - at : 0;
		sql_span_name(stmt, name, sizeof name);
		child_span_id(ids->span, i, id);
		struct json_object *c = new_span(ids, id, ids->span, name, strlen(name),
			SPAN_KIND_CLIENT, at, at + dur);
		struct json_object *a = span_attrs(c);
		attr_str(a, "db.system", db_system);
		attr_str(a, "db.query.text", stmt);
		attr_str(a, "db.statement", stmt);
		attr_uint(a, "bvapm.sql.count", bvapm_rec_sql_statement_count(s));
		attr_uint(a, "bvapm.sql.total_ns", total);
		attr_uint(a, "bvapm.sql.max_ns", bvapm_rec_sql_statement_max_ns(s));
		attr_uint(a, "bvapm.sql.rows", bvapm_rec_sql_statement_rows(s));
		if (bvapm_rec_sql_statement_n_plus_one(s))
			attr_bool(a, "bvapm.sql.n_plus_one", true);
		json_object_array_add(spans, c);
		at += dur;
	}
	return sql.len;
}

/* ---- timed calls (record schema v4) --------------------------------------- */

/* host and port of "host:port" or "[v6]:port" at s[0..n); the port is 0
 * when there is none. */
static void host_port(const char *s, size_t n, bvapm_rec_str *host, uint32_t *port)
{
	const char *end = s + n, *colon = NULL;
	*port = 0;
	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (close) {
			*host = (bvapm_rec_str){ s + 1, (uint32_t)(close - s - 1) };
			colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
		} else {
			*host = (bvapm_rec_str){ s, (uint32_t)n };
		}
	} else {
		for (const char *p = s; p < end; p++)
			if (*p == ':')
				colon = p;
		*host = (bvapm_rec_str){ s, (uint32_t)((colon ? colon : end) - s) };
	}
	for (const char *p = colon ? colon + 1 : end; p < end && *p >= '0' && *p <= '9'; p++)
		*port = *port * 10 + (uint32_t)(*p - '0');
	if (*port > 65535)
		*port = 0;
}

/* server.address and server.port from the authority at s[0..n); a Unix
 * socket's path is the address, with network.transport unix. */
static void server_attrs(struct json_object *a, const char *s, size_t n)
{
	bvapm_rec_str host;
	uint32_t port;
	if (n && s[0] == '/') {
		attr(a, "server.address", "stringValue", jstr_len(s, n));
		attr_cstr(a, "network.transport", "unix");
		return;
	}
	host_port(s, n, &host, &port);
	if (host.len)
		attr(a, "server.address", "stringValue", jstr(host));
	if (port)
		attr_int(a, "server.port", port);
}

/* The first word of s and the rest after one space ("GET" "/v1/users"). */
static void split_word(bvapm_rec_str s, bvapm_rec_str *word, bvapm_rec_str *rest)
{
	const char *sp = s.ptr ? memchr(s.ptr, ' ', s.len) : NULL;
	*word = (bvapm_rec_str){ s.ptr, sp ? (uint32_t)(sp - s.ptr) : s.len };
	*rest = sp ? (bvapm_rec_str){ sp + 1, (uint32_t)(s.len - (uint32_t)(sp - s.ptr) - 1) }
	           : (bvapm_rec_str){ NULL, 0 };
}

/* An outbound HTTP request: named by its method (the path is not a route
 * template: too many distinct names), url.full from the target and the
 * path, server.address and server.port from the target. */
static void http_call_attrs(struct json_object *a, bvapm_rec_span_ref sp, char *name, size_t cap)
{
	bvapm_rec_str method, path, target = bvapm_rec_span_target(sp);
	split_word(bvapm_rec_span_name(sp), &method, &path);
	snprintf(name, cap, "%.*s", method.len ? (int)method.len : 4, method.len ? method.ptr : "HTTP");
	if (method.len)
		attr(a, "http.request.method", "stringValue", jstr(method));
	if (target.ptr) {
		size_t n = strlen("://");
		const char *auth = target.len >= n ? memmem(target.ptr, target.len, "://", n) : NULL;
		const char *host = auth ? auth + n : target.ptr;
		const char *stop = memchr(host, '/', target.len - (size_t)(host - target.ptr));
		size_t host_len = (size_t)((stop ? stop : target.ptr + target.len) - host);
		if (path.ptr && path.len && path.ptr[0] == '/') {
			char *url = malloc((size_t)target.len + path.len + 1);
			if (url) {
				memcpy(url, target.ptr, target.len);
				memcpy(url + target.len, path.ptr, path.len);
				attr(a, "url.full", "stringValue", jstr_len(url, target.len + path.len));
				free(url);
			}
		}
		server_attrs(a, host, host_len);
	}
	if (bvapm_rec_span_status(sp))
		attr_int(a, "http.response.status_code", bvapm_rec_span_status(sp));
	if (bvapm_rec_span_bytes(sp))
		attr_uint(a, "http.response.body.size", bvapm_rec_span_bytes(sp));
}

/* A Redis or Memcached command: target "redis host:port" names the system
 * and the server, the span is named by the command. */
static void cache_call_attrs(struct json_object *a, bvapm_rec_span_ref sp, char *name, size_t cap)
{
	bvapm_rec_str system, server, command = bvapm_rec_span_name(sp);
	split_word(bvapm_rec_span_target(sp), &system, &server);
	snprintf(name, cap, "%.*s", command.len ? (int)command.len : 5, command.len ? command.ptr : "CACHE");
	if (system.len)
		attr(a, "db.system", "stringValue", jstr(system));
	if (command.ptr) {
		attr(a, "db.operation.name", "stringValue", jstr(command));
		attr(a, "db.operation", "stringValue", jstr(command));
	}
	if (server.len)
		server_attrs(a, server.ptr, server.len);
}

/* An SQL execution: as the synthetic spans below, without their totals. */
static void sql_call_attrs(struct json_object *a, bvapm_rec_span_ref sp, bvapm_rec_str db_system,
	char *name, size_t cap)
{
	bvapm_rec_str stmt = bvapm_rec_span_name(sp);
	sql_span_name(stmt, name, cap);
	attr_str(a, "db.system", db_system);
	attr_str(a, "db.query.text", stmt);
	attr_str(a, "db.statement", stmt);
}

/* Span id of timed call i when the record has none: the parent's mixed
 * with the index, in a lane of its own (never an SQL summary span's). */
static void call_span_id(const uint8_t parent[8], uint32_t index, uint8_t out[8])
{
	child_span_id(parent, index | 0x80000000u, out);
}

/* The request's timed calls as CLIENT children of its span; returns how many. */
static uint32_t call_child_spans(struct json_object *spans, bvapm_rec_request_ref req,
	const struct span_ids *ids, uint64_t start)
{
	bvapm_rec_span_vec v = bvapm_rec_request_spans(req);
	bvapm_rec_str db_system = db_system_tag(req);

	for (uint32_t i = 0; i < v.len; i++) {
		bvapm_rec_span_ref sp = bvapm_rec_span_at(v, i);
		bvapm_rec_bytes sid = bvapm_rec_span_span_id(sp);
		uint64_t at = start + bvapm_rec_span_start_offset_ns(sp);
		uint8_t id[8];
		char name[64];

		if (sid.ptr && sid.len == 8 && !all_zero(sid.ptr, 8))
			memcpy(id, sid.ptr, 8);
		else
			call_span_id(ids->span, i, id);
		struct json_object *c = new_span(ids, id, ids->span, "", 0, SPAN_KIND_CLIENT, at,
			at + bvapm_rec_span_duration_ns(sp));
		struct json_object *a = span_attrs(c);
		switch (bvapm_rec_span_kind(sp)) {
		case BVAPM_REC_SPAN_SQL: sql_call_attrs(a, sp, db_system, name, sizeof name); break;
		case BVAPM_REC_SPAN_HTTP: http_call_attrs(a, sp, name, sizeof name); break;
		case BVAPM_REC_SPAN_CACHE: cache_call_attrs(a, sp, name, sizeof name); break;
		default:
			snprintf(name, sizeof name, "%.*s", (int)bvapm_rec_span_name(sp).len,
				bvapm_rec_span_name(sp).ptr ? bvapm_rec_span_name(sp).ptr : "");
			attr_str(a, "bvapm.call.target", bvapm_rec_span_target(sp));
			break;
		}
		json_object_object_add(c, "name", jstr_len(name, strlen(name)));

		/* A client span failed when the call did, or (HTTP) on any 4xx or 5xx. */
		bvapm_rec_str err = bvapm_rec_span_error(sp);
		uint16_t status = bvapm_rec_span_status(sp);
		if (err.ptr) {
			attr(a, "error.type", "stringValue", jstr(err));
			set_error(c, err.ptr, err.len);
		} else if (bvapm_rec_span_kind(sp) == BVAPM_REC_SPAN_HTTP && status >= 400) {
			char msg[16];
			int len = snprintf(msg, sizeof msg, "HTTP %u", (unsigned)status);
			attr(a, "error.type", "stringValue", json_object_new_string_len(msg + 5, len - 5));
			set_error(c, msg, (size_t)len);
		}
		json_object_array_add(spans, c);
	}
	return v.len;
}

/* Fallback start when the body has none: the record's production time minus
 * the duration. */
static uint64_t start_or(uint64_t start, uint64_t dur, bvapm_rec_record_ref root)
{
	uint64_t wall = bvapm_rec_record_wall_unix_ns(root);
	if (start)
		return start;
	return wall > dur ? wall - dur : wall;
}

static uint32_t request_spans(struct json_object *spans, const struct bvapm_sink_record *r,
	const struct span_ids *ids)
{
	bvapm_rec_record_ref root = bvapm_rec_root(r->data);
	bvapm_rec_request_ref req = bvapm_rec_record_body_request(root);
	bvapm_rec_str method = bvapm_rec_request_method(req), uri = bvapm_rec_request_uri(req);
	bvapm_rec_str route = bvapm_rec_request_route(req);
	uint64_t wall = bvapm_rec_request_wall_ns(req);
	uint64_t start = start_or(bvapm_rec_request_start_unix_ns(req), wall, root);
	uint16_t status = bvapm_rec_request_status(req);
	char name[512];
	const char *mode = bvapm_rec_mode_name(bvapm_rec_request_mode(req));
	const char *keep = bvapm_rec_keep_reason_name(bvapm_rec_request_keep_reason(req));
	bool job = bvapm_rec_request_kind(req) == BVAPM_REC_REQUEST_KIND_JOB;

	if (job)
		job_span_name(job_name(route, uri), name, sizeof name);
	else
		span_name(method, route, uri, "request", name, sizeof name);
	struct json_object *s = new_span(ids, ids->span, ids->has_parent ? ids->parent : NULL,
		name, strlen(name), job ? SPAN_KIND_CONSUMER : SPAN_KIND_SERVER, start, start + wall);
	struct json_object *a = span_attrs(s);

	if (job) {
		job_attrs(a, job_name(route, uri));
		attr_int(a, "bvapm.job.status", status);   /* 0 = succeeded, also sent */
	} else {
		http_attrs(a, method, uri, route);
		if (status)
			attr_int(a, "http.response.status_code", status);
	}
	identity_attrs(a, r);
	attr_str(a, "bvapm.sapi", bvapm_rec_request_sapi(req));
	if (mode)
		attr_cstr(a, "bvapm.mode", mode);
	if (keep)
		attr_cstr(a, "bvapm.keep_reason", keep);
	attr_uint(a, "bvapm.memory.start_bytes", bvapm_rec_request_mem_start_bytes(req));
	attr_uint(a, "bvapm.memory.end_bytes", bvapm_rec_request_mem_end_bytes(req));
	attr_uint(a, "bvapm.memory.peak_bytes", bvapm_rec_request_mem_peak_bytes(req));
	attr_uint(a, "bvapm.memory.limit_bytes", bvapm_rec_request_mem_limit_bytes(req));
	attr_uint(a, "bvapm.cpu.user_us", bvapm_rec_request_cpu_user_us(req));
	attr_uint(a, "bvapm.cpu.sys_us", bvapm_rec_request_cpu_sys_us(req));
	attr_uint(a, "bvapm.agent_ns", bvapm_rec_request_agent_ns(req));
	attr_uint(a, "bvapm.sql.total_count", bvapm_rec_request_sql_total_count(req));
	attr_uint(a, "bvapm.sql.total_ns", bvapm_rec_request_sql_total_ns(req));
	if (bvapm_rec_request_sql_dropped(req))
		attr_uint(a, "bvapm.sql.dropped", bvapm_rec_request_sql_dropped(req));
	if (bvapm_rec_request_detail_reduced(req))
		attr_bool(a, "bvapm.detail_reduced", true);
	if (bvapm_rec_record_truncated(root))
		attr_bool(a, "bvapm.truncated", true);
	if (bvapm_rec_record_schema_version(root) >= 4) /* before v4: not counted */
		attr_uint(a, "bvapm.calls.total_count", bvapm_rec_request_span_total_count(req));
	if (bvapm_rec_request_spans_dropped(req))
		attr_uint(a, "bvapm.calls.dropped", bvapm_rec_request_spans_dropped(req));

	bvapm_rec_tag_vec tags = bvapm_rec_request_tags(req);
	for (uint32_t i = 0; i < tags.len; i++) {
		bvapm_rec_tag_ref t = bvapm_rec_tag_at(tags, i);
		bvapm_rec_str v = bvapm_rec_tag_value(t);
		attr_prefixed(a, "bvapm.tag.", bvapm_rec_tag_key(t), "stringValue", jstr(v));
	}
	bvapm_rec_counter_vec ctrs = bvapm_rec_request_counters(req);
	for (uint32_t i = 0; i < ctrs.len; i++) {
		bvapm_rec_counter_ref c = bvapm_rec_counter_at(ctrs, i);
		attr_prefixed(a, "bvapm.counter.", bvapm_rec_counter_name(c), "intValue",
			ji64(bvapm_rec_counter_value(c)));
	}

	checkpoint_events(s, bvapm_rec_request_checkpoints(req), start);

	/* Errors have no time of their own: their events sit at the span's end. */
	bvapm_rec_error_event_vec errs = bvapm_rec_request_errors(req);
	const char *failure = NULL;
	size_t failure_len = 0;
	for (uint32_t i = 0; i < errs.len; i++) {
		bvapm_rec_error_event_ref e = bvapm_rec_error_event_at(errs, i);
		bvapm_rec_str type = bvapm_rec_error_event_type(e);
		struct json_object *ea = add_event(s, "exception", 9, start + wall);
		attr_str(ea, "exception.type", type);
		attr_str(ea, "exception.message", bvapm_rec_error_event_message(e));
		attr_str(ea, "code.filepath", bvapm_rec_error_event_file(e));
		if (bvapm_rec_error_event_line(e))
			attr_uint(ea, "code.lineno", bvapm_rec_error_event_line(e));
		attr_uint(ea, "bvapm.error.count", bvapm_rec_error_event_count(e));
		stacktrace_attr(ea, bvapm_rec_error_event_stack(e), bvapm_rec_error_event_stack_depth(e));
		if (!failure && error_is_failure(type)) {
			failure = type.ptr;
			failure_len = type.len;
		}
	}
	if (job && status) {
		char msg[48];
		int len = snprintf(msg, sizeof msg, "job failed (status %u)", (unsigned)status);
		set_error(s, msg, (size_t)len);
	} else if (!job && status >= 500) {
		char msg[32];
		int len = snprintf(msg, sizeof msg, "HTTP %u", (unsigned)status);
		set_error(s, msg, (size_t)len);
	} else if (failure) {
		set_error(s, failure, failure_len);
	}

	json_object_array_add(spans, s);
	if (bvapm_rec_request_spans(req).len)
		return 1 + call_child_spans(spans, req, ids, start);
	return 1 + sql_child_spans(spans, req, ids, start, wall);
}

static uint32_t fatal_span(struct json_object *spans, const struct bvapm_sink_record *r,
	const struct span_ids *ids)
{
	bvapm_rec_record_ref root = bvapm_rec_root(r->data);
	bvapm_rec_fatal_ref f = bvapm_rec_record_body_fatal(root);
	bvapm_rec_str method = bvapm_rec_fatal_method(f), uri = bvapm_rec_fatal_uri(f);
	bvapm_rec_str route = bvapm_rec_fatal_route(f);
	bvapm_rec_str type = bvapm_rec_fatal_type(f), message = bvapm_rec_fatal_message(f);
	uint64_t wall = bvapm_rec_fatal_wall_ns(f);
	uint64_t start = start_or(bvapm_rec_fatal_start_unix_ns(f), wall, root);
	bool oom = bvapm_rec_fatal_out_of_memory(f);
	bool job = is_job_method(method);
	char name[512];

	if (job)
		job_span_name(job_name(route, uri), name, sizeof name);
	else
		span_name(method, route, uri, "fatal error", name, sizeof name);
	struct json_object *s = new_span(ids, ids->span, ids->has_parent ? ids->parent : NULL,
		name, strlen(name), job ? SPAN_KIND_CONSUMER : SPAN_KIND_SERVER, start, start + wall);
	struct json_object *a = span_attrs(s);

	if (job)
		job_attrs(a, job_name(route, uri));
	else
		http_attrs(a, method, uri, route);
	identity_attrs(a, r);
	attr_bool(a, "bvapm.fatal", true);
	attr_bool(a, "bvapm.out_of_memory", oom);
	attr_uint(a, "bvapm.memory.usage_bytes", bvapm_rec_fatal_mem_usage_bytes(f));
	attr_uint(a, "bvapm.memory.peak_bytes", bvapm_rec_fatal_mem_peak_bytes(f));
	attr_uint(a, "bvapm.memory.limit_bytes", bvapm_rec_fatal_mem_limit_bytes(f));
	if (bvapm_rec_record_truncated(root))
		attr_bool(a, "bvapm.truncated", true);

	checkpoint_events(s, bvapm_rec_fatal_checkpoints(f), start);

	struct json_object *ea = add_event(s, "exception", 9, start + wall);
	attr_str(ea, "exception.type", type);
	attr_str(ea, "exception.message", message);
	attr_str(ea, "code.filepath", bvapm_rec_fatal_file(f));
	if (bvapm_rec_fatal_line(f))
		attr_uint(ea, "code.lineno", bvapm_rec_fatal_line(f));

	stacktrace_attr(ea, bvapm_rec_fatal_stack(f), bvapm_rec_fatal_stack_depth(f));

	if (oom)
		set_error(s, "out of memory", 13);
	else if (type.ptr)
		set_error(s, type.ptr, type.len);
	else
		set_error(s, "fatal error", 11);
	json_object_array_add(spans, s);
	return 1;
}

static uint32_t aborted_span(struct json_object *spans, const struct bvapm_sink_record *r,
	const struct span_ids *ids)
{
	bvapm_rec_record_ref root = bvapm_rec_root(r->data);
	bvapm_rec_aborted_ref ab = bvapm_rec_record_body_aborted(root);
	bvapm_rec_str method = bvapm_rec_aborted_method(ab), uri = bvapm_rec_aborted_uri(ab);
	bvapm_rec_str none = { NULL, 0 };
	uint64_t dur = bvapm_rec_aborted_running_ns(ab);
	uint64_t start = start_or(bvapm_rec_aborted_started_unix_ns(ab), dur, root);
	bool job = is_job_method(method);
	char name[512];

	if (job)
		job_span_name(uri, name, sizeof name);
	else
		span_name(method, none, uri, "aborted request", name, sizeof name);
	struct json_object *s = new_span(ids, ids->span, ids->has_parent ? ids->parent : NULL,
		name, strlen(name), job ? SPAN_KIND_CONSUMER : SPAN_KIND_SERVER, start, start + dur);
	struct json_object *a = span_attrs(s);

	if (job)
		job_attrs(a, uri);
	else
		http_attrs(a, method, uri, none);
	identity_attrs(a, r);
	attr_bool(a, "bvapm.aborted", true);
	attr_uint(a, "bvapm.worker.pid", bvapm_rec_aborted_pid(ab));
	attr_str(a, "bvapm.last_checkpoint", bvapm_rec_aborted_last_checkpoint(ab));
	if (bvapm_rec_aborted_last_checkpoint(ab).ptr)
		attr_uint(a, "bvapm.last_checkpoint.memory_bytes",
			bvapm_rec_aborted_last_checkpoint_mem_bytes(ab));
	attr_str(a, "bvapm.current_sql", bvapm_rec_aborted_current_sql(ab));
	set_error(s, "aborted: worker died", 20);
	json_object_array_add(spans, s);
	return 1;
}

/* ---- resource grouping --------------------------------------------------- */

struct group {
	bvapm_rec_str service, host;
	uint32_t pid;
	struct json_object *spans;   /* borrowed from the resourceSpans entry */
};

static bool str_eq(bvapm_rec_str a, bvapm_rec_str b)
{
	if (!a.ptr || !b.ptr)
		return a.ptr == b.ptr;
	return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

static struct json_object *new_resource_spans(bvapm_rec_str service, bvapm_rec_str host,
	uint32_t pid, const struct bvapm_otlp_json_opts *opts, struct json_object **spans)
{
	struct json_object *rs = json_object_new_object(), *res = json_object_new_object();
	struct json_object *a = json_object_new_array();
	struct json_object *ss = json_object_new_array(), *scope_spans = json_object_new_object();
	struct json_object *scope = json_object_new_object();
	const char *svc_fallback = opts && opts->service_fallback ? opts->service_fallback : "php";

	if (service.ptr && service.len)
		attr_str(a, "service.name", service);
	else
		attr_cstr(a, "service.name", svc_fallback);
	if (host.ptr && host.len)
		attr_str(a, "host.name", host);
	else if (opts && opts->host_fallback)
		attr_cstr(a, "host.name", opts->host_fallback);
	attr_int(a, "process.pid", pid);
	attr_cstr(a, "telemetry.sdk.name", SDK_NAME);
	attr_cstr(a, "telemetry.sdk.language", "php");
	attr_cstr(a, "telemetry.sdk.version", SDK_VERSION);
	json_object_object_add(res, "attributes", a);
	json_object_object_add(rs, "resource", res);

	json_object_object_add(scope, "name", json_object_new_string(SDK_NAME));
	json_object_object_add(scope, "version", json_object_new_string(SDK_VERSION));
	json_object_object_add(scope_spans, "scope", scope);
	*spans = json_object_new_array();
	json_object_object_add(scope_spans, "spans", *spans);
	json_object_array_add(ss, scope_spans);
	json_object_object_add(rs, "scopeSpans", ss);
	return rs;
}

struct json_object *bvapm_otlp_json_build(const struct bvapm_sink_record *recs, size_t n,
	const struct bvapm_otlp_json_opts *opts, struct bvapm_otlp_json_stats *stats)
{
	struct bvapm_otlp_json_stats st = { 0, 0, 0 };
	struct json_object *root = json_object_new_object();
	struct json_object *resource_spans = json_object_new_array();
	struct group *groups = calloc(n ? n : 1, sizeof *groups);
	size_t ngroups = 0;

	if (!root || !resource_spans || !groups) {
		json_object_put(root);
		json_object_put(resource_spans);
		free(groups);
		errno = ENOMEM;
		return NULL;
	}
	json_object_object_add(root, "resourceSpans", resource_spans);

	for (size_t i = 0; i < n; i++) {
		const struct bvapm_sink_record *r = &recs[i];
		bvapm_rec_record_ref root_ref = bvapm_rec_root(r->data);
		unsigned kind = bvapm_rec_record_body_type(root_ref);
		uint32_t pid = bvapm_rec_record_pid(root_ref);

		if (kind != BVAPM_REC_KIND_REQUEST && kind != BVAPM_REC_KIND_FATAL &&
		    kind != BVAPM_REC_KIND_ABORTED) {
			st.records_skipped++;
			continue;
		}
		/* an aborted request ran in the dead worker, not in the drainer
		 * that wrote the record */
		if (kind == BVAPM_REC_KIND_ABORTED)
			pid = bvapm_rec_aborted_pid(bvapm_rec_record_body_aborted(root_ref));

		bvapm_rec_str service = bvapm_rec_record_service(root_ref);
		bvapm_rec_str host = bvapm_rec_record_host(root_ref);
		struct group *g = NULL;
		for (size_t k = 0; k < ngroups && !g; k++)
			if (groups[k].pid == pid && str_eq(groups[k].service, service) &&
			    str_eq(groups[k].host, host))
				g = &groups[k];
		if (!g) {
			g = &groups[ngroups++];
			*g = (struct group){ service, host, pid, NULL };
			json_object_array_add(resource_spans,
				new_resource_spans(service, host, pid, opts, &g->spans));
		}

		struct span_ids ids;
		record_ids(r, &ids);
		switch (kind) {
		case BVAPM_REC_KIND_REQUEST: st.spans += request_spans(g->spans, r, &ids); break;
		case BVAPM_REC_KIND_FATAL: st.spans += fatal_span(g->spans, r, &ids); break;
		default: st.spans += aborted_span(g->spans, r, &ids); break;
		}
		st.records_exported++;
	}
	free(groups);
	if (stats)
		*stats = st;
	return root;
}

char *bvapm_otlp_json_encode(const struct bvapm_sink_record *recs, size_t n,
	const struct bvapm_otlp_json_opts *opts, struct bvapm_otlp_json_stats *stats, size_t *len)
{
	struct json_object *o = bvapm_otlp_json_build(recs, n, opts, stats);
	size_t l = 0;
	char *out = NULL;

	if (!o)
		return NULL;
	const char *s = json_object_to_json_string_length(o,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &l);
	if (s)
		out = malloc(l + 1);
	if (out) {
		memcpy(out, s, l + 1);
		if (len)
			*len = l;
	} else {
		errno = ENOMEM;
	}
	json_object_put(o);
	return out;
}
