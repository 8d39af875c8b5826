/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_curl_handles.c — the agent's state of each CurlHandle (bvapm_curl.h):
 * the URL and the header list the application set, the trace context put in
 * front of that list for one transfer, and the handle's lifetime.
 *
 * Tracking. A handle made while a request records is "tracked": it gets a
 * state (in a table by object handle) and a copy of curl's object handlers
 * with clone_obj and free_obj wrapped, so that `clone $ch` and the handle's
 * end are seen. CurlHandle's create_object is wrapped for that (it tests one
 * global when nothing records). At most BVAPM_CURL_MAX_TRACKED handles are
 * tracked at once; copies of tracked ones always are (see Memory).
 *
 * Header lists. libcurl takes CURLOPT_HTTPHEADER as a pointer to a list,
 * and PHP keeps no way to read back the list it built, so the state holds a
 * copy of the application's (struct bvapm_curl_headers: one allocation, the
 * same strings as PHP converted them); a transfer that carries the trace
 * context runs with two nodes of the state (traceparent, tracestate) in
 * front of that copy, and afterwards the handle points at the copy: the
 * application's own headers, for later transfers, copies and clones alike.
 * A list that cannot be copied exactly (an element that is not a scalar,
 * more than BVAPM_CURL_MAX_HEADERS bytes) makes the headers unknown: the
 * handle then sends nothing more than the application set.
 *
 * Memory. libcurl may hold a pointer into a state's list as long as the
 * handle or a copy of it lives (curl_copy_handle and clone copy libcurl's
 * options, pointers included), so lists are reference-counted by the states
 * that may point at them, a copy of a tracked handle is tracked whatever the
 * request records, and its header pointer is set back to the application's
 * list (never to the source's injected nodes). Out of memory, a list that a
 * copy may point at is never freed. Everything is malloc'd: never counted
 * against memory_limit, never a fatal error.
 *
 * Threads: the PHP thread (NTS); create_object is patched before any request.
 */
#include <stdlib.h>
#include <string.h>

#include "php.h"

#include "agent/core/agent_calls.h"
#include "agent/core/http_call.h"
#include "bvapm_curl.h"

struct bvapm_libcurl bvapm_libcurl;
uint32_t bvapm_curl_tracked, bvapm_curl_in_flight;

struct bvapm_curl_headers {
	uint32_t refs;             /* states whose handle may point at it */
	bool traceparent;          /* the application sends its own */
	bool tracestate;
	struct curl_slist nodes[]; /* its nodes, then their strings */
};

static zend_object *(*orig_create_object)(zend_class_entry *ce);
static const zend_object_handlers *curl_handlers; /* curl's own, learned from the first handle */
static zend_object_handlers tracked_handlers;     /* theirs, clone_obj and free_obj wrapped */
static HashTable states;                          /* object handle -> struct bvapm_curl_state * (persistent) */

/* ---- states ------------------------------------------------------------------ */

static void headers_unref(struct bvapm_curl_headers *h)
{
	if (h != NULL && --h->refs == 0)
		free(h);
}

struct bvapm_curl_state *bvapm_curl_state(zend_object *obj)
{
	if (obj->handlers != &tracked_handlers)
		return NULL;
	return zend_hash_index_find_ptr(&states, obj->handle);
}

/* ext/curl's php_curl begins with libcurl's CURL * (PHP 8.0 to 8.4); the
 * object is at the handlers' offset into it. */
CURL *bvapm_curl_of(zend_object *obj)
{
	return *(CURL **)(void *)((char *)obj - obj->handlers->offset);
}

/* A new state for obj, its handlers swapped for ours; NULL when out of
 * memory (obj stays untracked). */
static struct bvapm_curl_state *track(zend_object *obj)
{
	struct bvapm_curl_state *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (zend_hash_index_add_ptr(&states, obj->handle, s) == NULL) {
		free(s);
		return NULL;
	}
	s->obj = obj;
	s->headers_known = true;
	obj->handlers = &tracked_handlers;
	bvapm_curl_tracked++;
	return s;
}

static void forget(struct bvapm_curl_state *s)
{
	zend_hash_index_del(&states, s->obj->handle);
	if (s->url != NULL)
		zend_string_release(s->url);
	headers_unref(s->headers);
	free(s->tracestate);
	free(s);
	bvapm_curl_tracked--;
}

/* ---- header lists ------------------------------------------------------------ */

/* Element v of an application's header array as PHP hands it to
 * curl_slist_append: a string, or a scalar converted (no user code, no
 * warning); NULL for anything else (converting it again could run user code
 * or warn). Release with zend_tmp_string_release(*tmp). */
static zend_string *header_string(zval *v, zend_string **tmp)
{
	ZVAL_DEREF(v);
	*tmp = NULL;
	if (Z_TYPE_P(v) > IS_STRING)
		return NULL;
	return zval_get_tmp_string(v, tmp);
}

/* The list PHP built from the application's array, copied: the same strings,
 * each up to a NUL as curl_slist_append reads it. *known is false when the
 * list cannot be copied exactly; NULL: empty (or unknown). */
static struct bvapm_curl_headers *headers_copy(HashTable *arr, bool *known)
{
	zval *v;
	zend_string *str, *tmp;
	size_t count = 0, bytes = 0;

	*known = false;
	ZEND_HASH_FOREACH_VAL(arr, v) {
		if ((str = header_string(v, &tmp)) == NULL)
			return NULL;
		bytes += strnlen(ZSTR_VAL(str), ZSTR_LEN(str)) + 1;
		zend_tmp_string_release(tmp);
		count++;
	} ZEND_HASH_FOREACH_END();
	if (bytes > BVAPM_CURL_MAX_HEADERS)
		return NULL;
	*known = true;
	if (count == 0)
		return NULL;
	struct bvapm_curl_headers *h = malloc(sizeof(*h) + count * sizeof(struct curl_slist) + bytes);
	if (h == NULL) {
		*known = false;
		return NULL;
	}
	h->refs = 1;
	h->traceparent = h->tracestate = false;
	char *text = (char *)&h->nodes[count];
	size_t i = 0;
	ZEND_HASH_FOREACH_VAL(arr, v) {
		str = header_string(v, &tmp); /* the same conversions as above */
		size_t len = strnlen(ZSTR_VAL(str), ZSTR_LEN(str));
		memcpy(text, ZSTR_VAL(str), len);
		text[len] = '\0';
		zend_tmp_string_release(tmp);
		h->traceparent |= bvapm_http_header_is(text, len, "traceparent");
		h->tracestate |= bvapm_http_header_is(text, len, "tracestate");
		h->nodes[i].data = text;
		h->nodes[i].next = i + 1 < count ? &h->nodes[i + 1] : NULL;
		text += len + 1;
		i++;
	} ZEND_HASH_FOREACH_END();
	return h;
}

static struct curl_slist *headers_head(const struct bvapm_curl_headers *h)
{
	return h != NULL ? (struct curl_slist *)&h->nodes[0] : NULL;
}

void bvapm_curl_restore(struct bvapm_curl_state *s)
{
	CURL *cp = bvapm_curl_of(s->obj);

	if (cp != NULL)
		bvapm_libcurl.setopt(cp, CURLOPT_HTTPHEADER, headers_head(s->headers));
	s->injected = false;
}

/* ---- options the application sets ------------------------------------------- */

void bvapm_curl_set_url(struct bvapm_curl_state *s, zval *v)
{
	if (s->url != NULL)
		zend_string_release(s->url);
	s->url = v != NULL && Z_TYPE_P(v) == IS_STRING ? zend_string_copy(Z_STR_P(v)) : NULL;
}

/* PHP pointed the handle at the list it built from v: ours is unused now. */
void bvapm_curl_set_headers(struct bvapm_curl_state *s, zval *v)
{
	bool known = false;

	headers_unref(s->headers);
	s->headers = Z_TYPE_P(v) == IS_ARRAY ? headers_copy(Z_ARRVAL_P(v), &known) : NULL;
	s->headers_known = known;
	s->injected = false;
}

/* The handle may point at PHP's new list or still at ours: ours is kept. */
void bvapm_curl_headers_unknown(struct bvapm_curl_state *s)
{
	s->headers_known = false;
}

/* libcurl forgot every option: no URL, no header list. */
void bvapm_curl_reset(struct bvapm_curl_state *s)
{
	bvapm_curl_set_url(s, NULL);
	headers_unref(s->headers);
	s->headers = NULL;
	s->headers_known = true;
	s->injected = false;
}

/* ---- the trace context --------------------------------------------------------- */

/* Whether this handle's next transfer may carry the trace context. */
static bool may_inject(const struct bvapm_curl_state *s)
{
	if (!s->headers_known || s->injected || s->in_flight || s->url == NULL ||
	    (s->headers != NULL && s->headers->traceparent))
		return false;
	struct bvapm_http_names n;
	bvapm_http_names(ZSTR_VAL(s->url), ZSTR_LEN(s->url), NULL, 0, false, &n);
	return n.http;
}

/* Points the handle at traceparent (+ tracestate) in front of the
 * application's headers; s->span_id is the one sent. */
bool bvapm_curl_inject(struct bvapm_curl_state *s)
{
	char tp[56];
	CURL *cp = bvapm_curl_of(s->obj);

	if (cp == NULL || !may_inject(s) || !bvapm_agent_traceparent_out(tp, s->span_id))
		return false;
	snprintf(s->traceparent, sizeof(s->traceparent), "traceparent: %s", tp);
	struct curl_slist *rest = headers_head(s->headers);
	s->inject[0].data = s->traceparent;
	s->inject[0].next = rest;
	const char *ts = bvapm_agent_tracestate();
	if (ts != NULL && (s->headers == NULL || !s->headers->tracestate) && bvapm_http_value_ok(ts, strlen(ts))) {
		size_t cap = sizeof("tracestate: ") + BVAPM_HTTP_VALUE_MAX;
		if (s->tracestate == NULL)
			s->tracestate = malloc(cap);
		if (s->tracestate != NULL) {
			snprintf(s->tracestate, cap, "tracestate: %s", ts);
			s->inject[1].data = s->tracestate;
			s->inject[1].next = rest;
			s->inject[0].next = &s->inject[1];
		}
	}
	if (bvapm_libcurl.setopt(cp, CURLOPT_HTTPHEADER, &s->inject[0]) != CURLE_OK) {
		bvapm_libcurl.setopt(cp, CURLOPT_HTTPHEADER, rest);
		return false;
	}
	s->injected = true;
	return true;
}

/* ---- handles: made, copied, freed ---------------------------------------------- */

static zend_object *tracked_clone(zend_object *obj);
static void tracked_free(zend_object *obj);

/* curl's handlers, learned from an untracked handle the first time one is
 * to be tracked; true when obj has them (it can be tracked). */
static bool learn_handlers(zend_object *obj)
{
	if (curl_handlers == NULL && obj->handlers != &tracked_handlers) {
		curl_handlers = obj->handlers;
		tracked_handlers = *curl_handlers;
		tracked_handlers.clone_obj = tracked_clone;
		tracked_handlers.free_obj = tracked_free;
	}
	return obj->handlers == curl_handlers;
}

static zend_object *create_object(zend_class_entry *ce)
{
	zend_object *obj = orig_create_object(ce);

	if (EXPECTED(!bvapm_agent_calls_on(BVAPM_REC_SPAN_HTTP)) || obj == NULL)
		return obj;
	if (learn_handlers(obj) && bvapm_curl_tracked < BVAPM_CURL_MAX_TRACKED)
		track(obj);
	return obj;
}

struct bvapm_curl_state *bvapm_curl_track_late(zend_object *obj)
{
	struct bvapm_curl_state *s = NULL;

	if (learn_handlers(obj) && bvapm_curl_tracked < BVAPM_CURL_MAX_TRACKED && (s = track(obj)) != NULL)
		s->headers_known = false; /* its options were not seen */
	return s;
}

void bvapm_curl_copied(struct bvapm_curl_state *src, zend_object *copy)
{
	struct bvapm_curl_state *d = bvapm_curl_state(copy);

	if (d == NULL && (copy->handlers != curl_handlers || (d = track(copy)) == NULL)) {
		if (src->headers != NULL)
			src->headers->refs++; /* never freed: the copy may point at it */
		return;
	}
	if (d->url != NULL)
		zend_string_release(d->url);
	headers_unref(d->headers);
	d->url = src->url != NULL ? zend_string_copy(src->url) : NULL;
	d->headers = src->headers;
	if (d->headers != NULL)
		d->headers->refs++;
	d->headers_known = src->headers_known;
	d->injected = false;
	if (src->injected)
		bvapm_curl_restore(d); /* libcurl copied the pointer to src's nodes */
}

static zend_object *tracked_clone(zend_object *obj)
{
	struct bvapm_curl_state *s = bvapm_curl_state(obj);
	zend_object *copy = curl_handlers->clone_obj(obj);

	if (s != NULL && copy != NULL)
		bvapm_curl_copied(s, copy);
	return copy;
}

static void tracked_free(zend_object *obj)
{
	struct bvapm_curl_state *s = zend_hash_index_find_ptr(&states, obj->handle);

	if (s != NULL && s->in_flight)
		bvapm_curl_finish(s, bvapm_agent_call_clock(), BVAPM_CURL_NOT_REPORTED);
	curl_handlers->free_obj(obj);
	if (s != NULL)
		forget(s);
}

void bvapm_curl_finish_in(zend_object *multi, uint64_t end_ns)
{
	struct bvapm_curl_state *s;

	if (bvapm_curl_in_flight == 0)
		return;
	ZEND_HASH_FOREACH_PTR(&states, s) {
		if (s->in_flight && (multi == NULL || s->multi == multi))
			bvapm_curl_finish(s, end_ns, BVAPM_CURL_NOT_REPORTED);
	} ZEND_HASH_FOREACH_END();
}

void bvapm_curl_handles_init(zend_class_entry *handle_ce)
{
	zend_hash_init(&states, 64, NULL, NULL, 1);
	orig_create_object = handle_ce->create_object;
	handle_ce->create_object = create_object;
}
