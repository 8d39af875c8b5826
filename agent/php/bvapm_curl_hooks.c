/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_curl_hooks.c — outbound HTTP calls made with ext/curl, each timed as
 * a span (agent_calls.h), with the W3C trace context sent along.
 *
 * What is wrapped. The internal handlers of curl_init, curl_setopt,
 * curl_setopt_array, curl_reset, curl_copy_handle, curl_exec,
 * curl_multi_add_handle, curl_multi_info_read, curl_multi_remove_handle and
 * curl_multi_close, installed from zend_post_startup_cb as
 * bvapm_sql_hooks.c does (curl may load after bvapm; before the php-fpm
 * fork); CurlHandle's create_object; and, for the handles this file keeps a
 * state for ("tracked"), a copy of curl's object handlers with clone_obj and
 * free_obj wrapped, so that `clone $ch` and the handle's end are seen.
 *
 * A call. curl_exec: from before to after the original handler. A handle of
 * a multi run: from curl_multi_add_handle until curl_multi_info_read reports
 * it done; when the application never asks, until it is removed, its multi
 * handle closed, the handle freed or the request ends — but no later than
 * libcurl's own total time for the transfer after the add. Per call: the URL
 * the application set (curl_init, CURLOPT_URL; libcurl's effective URL
 * when it was not a string), libcurl's effective method, the response code,
 * the body bytes downloaded, and curl_error()'s text when the transfer
 * failed (exec returned false, or the multi result was not CURLE_OK); a
 * multi call never reported done and without a response is an error "not
 * completed". Only http:// and https:// calls are reported (a transfer
 * without a URL is none).
 *
 * Propagation. When bvapm_agent_traceparent_out() gives a header, the
 * handle's URL is http(s) and known, and every CURLOPT_HTTPHEADER the
 * application set on the handle was seen and names no traceparent, the
 * transfer sends `traceparent` (and the incoming `tracestate`, unless the
 * application sends its own or it is not a clean header value) and the call
 * is reported with that span id. libcurl takes the header list as a
 * pointer, and PHP keeps no way to read back the list it built, so the
 * state holds a copy of the application's list (struct header_list, one
 * allocation, the same strings); the transfer runs with two nodes of ours
 * in front of that copy, and afterwards the handle points at the copy: the
 * same headers as the application set, so later transfers, curl_getinfo()
 * and curl_copy_handle() behave as without the agent. Nothing else of the
 * request changes.
 *
 * Memory. libcurl may hold pointers into a state's lists as long as the
 * handle — or a copy of it (curl_copy_handle, clone: libcurl copies the
 * pointer) — lives, so lists are reference-counted by the states that may
 * point at them, and a copy of a tracked handle is tracked too, whatever the
 * request records, with its header pointer set back to the application's
 * list. States: at most BVAPM_CURL_MAX_TRACKED handles are tracked at once
 * (more are timed with libcurl's effective URL, without propagation), plus
 * the copies of tracked ones; each is freed with its handle. The lists are
 * malloc'd: never counted against memory_limit, never a fatal error.
 *
 * Cost. Untracked: curl_exec and curl_multi_add_handle test one global
 * (bvapm_agent_calls_on) and call the original; the option wrappers test the
 * number of tracked handles, 0 outside recorded requests. The wrappers
 * never touch EG(exception) or the return value.
 *
 * Layout. CurlHandle's C struct is private to ext/curl; only one fact of it
 * is used: its first member is libcurl's CURL * (PHP 8.0 to 8.4), found at
 * the object minus its handlers' offset. libcurl's functions are those of
 * the library curl.so loaded (dlsym on its module handle).
 *
 * Threads: the PHP thread (NTS); the tables are patched before any request.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "php.h"
#include "zend_exceptions.h"

#include "agent/core/agent_calls.h"
#include "agent/core/http_call.h"
#include "php_bvapm.h"

#define BVAPM_CURL_MAX_TRACKED 4096   /* handles tracked at once (copies of tracked ones besides) */
#define BVAPM_CURL_MAX_HEADERS 65536  /* bytes of one application header list copied */

static zend_result (*previous_post_startup)(void);

/* libcurl, as curl.so loaded it. */
static struct {
	CURLcode (*getinfo)(CURL *, CURLINFO, ...);
	CURLcode (*setopt)(CURL *, CURLoption, ...);
} lc;

static zend_class_entry *curl_handle_ce, *curl_multi_ce;
static zend_object *(*orig_create_object)(zend_class_entry *ce);
static const zend_object_handlers *curl_handlers; /* curl's own, learned from the first handle */
static zend_object_handlers tracked_handlers;     /* theirs, clone_obj and free_obj wrapped */
static zend_function *curl_error_fn;

/* ---- per-handle state ---------------------------------------------------- */

/* A copy of the application's CURLOPT_HTTPHEADER list, as libcurl takes it. */
struct header_list {
	uint32_t refs;             /* states whose handle may point at it */
	bool traceparent;          /* the application sends its own */
	bool tracestate;
	struct curl_slist nodes[]; /* count nodes, then their strings */
};

struct handle_state {
	zend_object *obj;
	zend_string *url;            /* as the application set it; NULL: none or not a string */
	struct header_list *headers; /* NULL: none */
	bool headers_known;          /* every CURLOPT_HTTPHEADER set on it was seen */
	bool injected;               /* its header pointer is inject[0] */
	bool in_flight;              /* in a multi handle, not finished */
	bool sent_span;              /* span_id was sent in traceparent */
	zend_object *multi;          /* the multi handle it was added to (compared only) */
	uint64_t start_ns;
	uint8_t span_id[8];
	struct curl_slist inject[2]; /* traceparent, tracestate: in front of headers */
	char traceparent[sizeof("traceparent: ") + 55];
	char *tracestate;            /* "tracestate: ..." (malloc'd on first use) */
};

static HashTable states;       /* object handle -> struct handle_state * (persistent) */
static uint32_t tracked;       /* states: what the option wrappers test */
static uint32_t in_flight;     /* states in flight: what the multi wrappers test */
static bool ready;             /* everything above was found at start-up */

static void headers_unref(struct header_list *h)
{
	if (h != NULL && --h->refs == 0)
		free(h);
}

static struct handle_state *state_of(zend_object *obj)
{
	if (obj->handlers != &tracked_handlers)
		return NULL;
	return zend_hash_index_find_ptr(&states, obj->handle);
}

/* libcurl's handle: the first member of ext/curl's php_curl (see the file comment). */
static CURL *curl_of(zend_object *obj)
{
	return *(CURL **)(void *)((char *)obj - obj->handlers->offset);
}

/* A new state for obj, its handlers swapped for ours; NULL when out of
 * memory (obj stays untracked). */
static struct handle_state *track(zend_object *obj)
{
	struct handle_state *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (zend_hash_index_add_ptr(&states, obj->handle, s) == NULL) {
		free(s);
		return NULL;
	}
	s->obj = obj;
	s->headers_known = true;
	obj->handlers = &tracked_handlers;
	tracked++;
	return s;
}

static void forget(struct handle_state *s)
{
	zend_hash_index_del(&states, s->obj->handle);
	if (s->url != NULL)
		zend_string_release(s->url);
	headers_unref(s->headers);
	free(s->tracestate);
	free(s);
	tracked--;
}

/* ---- header lists ------------------------------------------------------- */

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
 * each up to a NUL as curl_slist_append reads it. *known is false when an
 * element is not a scalar or the list is too large: the list is then
 * unknown. NULL: empty (or unknown). */
static struct header_list *headers_copy(HashTable *arr, bool *known)
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
	struct header_list *h = malloc(sizeof(*h) + count * sizeof(struct curl_slist) + bytes);
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

static struct curl_slist *headers_head(const struct header_list *h)
{
	return h != NULL ? (struct curl_slist *)&h->nodes[0] : NULL;
}

/* Points the handle back at the application's headers. */
static void restore(struct handle_state *s)
{
	CURL *cp = curl_of(s->obj);

	if (cp != NULL)
		lc.setopt(cp, CURLOPT_HTTPHEADER, headers_head(s->headers));
	s->injected = false;
}

/* ---- options the application sets ------------------------------------------ */

static void set_url(struct handle_state *s, zval *v)
{
	if (s->url != NULL)
		zend_string_release(s->url);
	s->url = v != NULL && Z_TYPE_P(v) == IS_STRING ? zend_string_copy(Z_STR_P(v)) : NULL;
}

/* CURLOPT_HTTPHEADER was set (PHP pointed the handle at its new list). */
static void set_headers(struct handle_state *s, zval *v)
{
	bool known = false;

	headers_unref(s->headers);
	s->headers = Z_TYPE_P(v) == IS_ARRAY ? headers_copy(Z_ARRVAL_P(v), &known) : NULL;
	s->headers_known = known;
	s->injected = false;
}

static bool option_number(zval *v, zend_long *out)
{
	ZVAL_DEREF(v);
	switch (Z_TYPE_P(v)) {
	case IS_LONG: *out = Z_LVAL_P(v); return true;
	case IS_DOUBLE: case IS_STRING: case IS_TRUE: case IS_FALSE: *out = zval_get_long(v); return true;
	default: return false;
	}
}

/* The n-th argument when it is a CurlHandle (else the original reports it). */
static zend_object *handle_arg(zend_execute_data *execute_data, uint32_t n, zend_class_entry *ce)
{
	if (ZEND_CALL_NUM_ARGS(execute_data) < n)
		return NULL;
	zval *arg = ZEND_CALL_ARG(execute_data, n);
	ZVAL_DEREF(arg);
	return Z_TYPE_P(arg) == IS_OBJECT && Z_OBJCE_P(arg) == ce ? Z_OBJ_P(arg) : NULL;
}

static struct handle_state *tracked_arg(zend_execute_data *execute_data, uint32_t n)
{
	zend_object *obj = handle_arg(execute_data, n, curl_handle_ce);
	return obj != NULL ? state_of(obj) : NULL;
}

/* ---- reporting ------------------------------------------------------------- */

/* curl_error($handle), called as the engine calls an internal function
 * (no observer sees it: the application did not call it); NULL when it
 * cannot be asked (an exception is pending) or says nothing. The result is
 * copied into buf. */
static const char *curl_error_text(zend_object *obj, char *buf, size_t cap)
{
	zval rv;

	if (curl_error_fn == NULL || EG(exception) != NULL)
		return NULL;
	zend_execute_data *call = zend_vm_stack_push_call_frame(ZEND_CALL_TOP_FUNCTION, curl_error_fn, 1, NULL);
	ZVAL_OBJ_COPY(ZEND_CALL_ARG(call, 1), obj);
	ZVAL_NULL(&rv);
	call->prev_execute_data = EG(current_execute_data);
	EG(current_execute_data) = call;
	curl_error_fn->internal_function.handler(call, &rv);
	EG(current_execute_data) = call->prev_execute_data;
	zend_vm_stack_free_args(call);
	zend_vm_stack_free_call_frame(call);
	const char *text = NULL;
	if (Z_TYPE(rv) == IS_STRING && Z_STRLEN(rv) > 0) {
		snprintf(buf, cap, "%s", Z_STRVAL(rv));
		text = buf;
	}
	zval_ptr_dtor(&rv);
	return text;
}

/* The URL to name the call by: the application's, else libcurl's effective one. */
static const char *call_url(struct handle_state *s, CURL *cp, size_t *len)
{
	if (s != NULL && s->url != NULL) {
		*len = ZSTR_LEN(s->url);
		return ZSTR_VAL(s->url);
	}
	char *eff = NULL;
	if (lc.getinfo(cp, CURLINFO_EFFECTIVE_URL, &eff) != CURLE_OK || eff == NULL) {
		*len = 0;
		return "";
	}
	*len = strlen(eff);
	return eff;
}

enum outcome {
	DONE_OK,         /* curl_exec returned, or the multi result was CURLE_OK */
	DONE_FAILED,     /* the transfer failed: curl_error() says why */
	NOT_REPORTED,    /* a multi transfer the application never asked about */
};

static void report(zend_object *obj, struct handle_state *s, uint64_t start_ns, uint64_t end_ns,
                   enum outcome outcome, const uint8_t *span_id)
{
	CURL *cp = curl_of(obj);
	char *method = NULL;
	long code = 0;
	curl_off_t bytes = 0;
	size_t url_len;

	if (cp == NULL)
		return;
	if (lc.getinfo(cp, CURLINFO_EFFECTIVE_METHOD, &method) != CURLE_OK)
		method = NULL;
	if (lc.getinfo(cp, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
		code = 0;
	if (lc.getinfo(cp, CURLINFO_SIZE_DOWNLOAD_T, &bytes) != CURLE_OK)
		bytes = 0;
	const char *url = call_url(s, cp, &url_len);
	if (url_len == 0)
		return; /* no URL: libcurl refused it without a request */
	struct bvapm_http_names n;
	bvapm_http_names(url, url_len, method, method != NULL ? strlen(method) : 0,
	                 bvapm_agent_http_keep_query(), &n);
	if (!n.http)
		return;

	char why[CURL_ERROR_SIZE + 1];
	const char *error = NULL;
	if (outcome == DONE_FAILED) {
		error = curl_error_text(obj, why, sizeof(why));
		if (error == NULL)
			error = EG(exception) != NULL ? "exception thrown during the transfer" : "failed";
	} else if (outcome == NOT_REPORTED && code == 0) {
		error = "not completed";
	}
	if (outcome == NOT_REPORTED) {
		curl_off_t total_us = 0; /* libcurl's own time for it: not later than that */
		if (lc.getinfo(cp, CURLINFO_TOTAL_TIME_T, &total_us) == CURLE_OK && total_us > 0 &&
		    start_ns + (uint64_t)total_us * 1000 < end_ns)
			end_ns = start_ns + (uint64_t)total_us * 1000;
	}
	struct bvapm_agent_call c = {
		.kind = BVAPM_REC_SPAN_HTTP,
		.target = n.target, .target_len = n.target_len,
		.name = n.name, .name_len = n.name_len,
		.start_ns = start_ns, .end_ns = end_ns,
		.status = code > 0 && code <= 999 ? (uint16_t)code : 0,
		.bytes = bytes > 0 ? (uint64_t)bytes : 0,
		.error = error, .error_len = error != NULL ? strlen(error) : 0,
		.span_id = span_id,
	};
	bvapm_agent_call_done(&c);
}

/* ---- propagation ---------------------------------------------------------- */

/* Whether this handle's next transfer is to carry the trace context. */
static bool may_inject(const struct handle_state *s)
{
	if (s == NULL || !s->headers_known || s->injected || s->in_flight || s->url == NULL ||
	    (s->headers != NULL && s->headers->traceparent))
		return false;
	struct bvapm_http_names n;
	bvapm_http_names(ZSTR_VAL(s->url), ZSTR_LEN(s->url), NULL, 0, false, &n);
	return n.http;
}

/* Points the handle at traceparent (+ tracestate) in front of the
 * application's headers; false when nothing is sent. */
static bool inject(struct handle_state *s)
{
	char tp[56];
	CURL *cp = curl_of(s->obj);

	if (cp == NULL || !may_inject(s) || !bvapm_agent_traceparent_out(tp, s->span_id))
		return false;
	snprintf(s->traceparent, sizeof(s->traceparent), "traceparent: %s", tp);
	struct curl_slist *rest = headers_head(s->headers);
	s->inject[0].data = s->traceparent;
	s->inject[0].next = rest;
	const char *ts = bvapm_agent_tracestate();
	if (ts != NULL && (s->headers == NULL || !s->headers->tracestate) &&
	    bvapm_http_value_ok(ts, strlen(ts))) {
		if (s->tracestate == NULL)
			s->tracestate = malloc(sizeof("tracestate: ") + BVAPM_HTTP_VALUE_MAX);
		if (s->tracestate != NULL) {
			snprintf(s->tracestate, sizeof("tracestate: ") + BVAPM_HTTP_VALUE_MAX, "tracestate: %s", ts);
			s->inject[1].data = s->tracestate;
			s->inject[1].next = rest;
			s->inject[0].next = &s->inject[1];
		}
	}
	if (lc.setopt(cp, CURLOPT_HTTPHEADER, &s->inject[0]) != CURLE_OK) {
		lc.setopt(cp, CURLOPT_HTTPHEADER, rest);
		return false;
	}
	s->injected = true;
	return true;
}

/* ---- handles: created, copied, freed ---------------------------------------- */

static zend_object *tracked_clone(zend_object *obj);
static void tracked_free(zend_object *obj);

/* curl's handlers, learned from an untracked handle the first time one is
 * to be tracked: ours are a copy with clone_obj and free_obj wrapped. */
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
	if (learn_handlers(obj) && tracked < BVAPM_CURL_MAX_TRACKED)
		track(obj);
	return obj;
}

/* A copy of a tracked handle (curl_copy_handle, clone): libcurl copied the
 * source's header pointer, so the copy is tracked too, with the source's
 * knowledge, and points at the application's list (not at the source's
 * injected nodes). Out of memory, the source's list is never freed. */
static void track_copy(struct handle_state *src, zend_object *copy)
{
	struct handle_state *d = state_of(copy);

	if (d == NULL) {
		if (copy->handlers != curl_handlers || (d = track(copy)) == NULL) {
			if (src->headers != NULL)
				src->headers->refs++; /* pinned: the copy may point at it */
			return;
		}
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
		restore(d);
}

static zend_object *tracked_clone(zend_object *obj)
{
	struct handle_state *s = state_of(obj);
	zend_object *copy = curl_handlers->clone_obj(obj);

	if (s != NULL && copy != NULL)
		track_copy(s, copy);
	return copy;
}

static void finish(struct handle_state *s, uint64_t end_ns, enum outcome outcome);

static void tracked_free(zend_object *obj)
{
	struct handle_state *s = zend_hash_index_find_ptr(&states, obj->handle);

	if (s != NULL && s->in_flight)
		finish(s, bvapm_agent_call_clock(), NOT_REPORTED);
	curl_handlers->free_obj(obj);
	if (s != NULL)
		forget(s);
}

/* ---- function wrappers ------------------------------------------------------ */

static zif_handler orig_curl_init, orig_curl_setopt, orig_curl_setopt_array, orig_curl_reset,
	orig_curl_copy_handle, orig_curl_exec, orig_multi_add, orig_multi_info_read, orig_multi_remove,
	orig_multi_close;

static ZEND_NAMED_FUNCTION(hook_curl_init)
{
	orig_curl_init(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(tracked == 0) || Z_TYPE_P(return_value) != IS_OBJECT)
		return;
	struct handle_state *s = state_of(Z_OBJ_P(return_value));
	if (s != NULL && ZEND_CALL_NUM_ARGS(execute_data) >= 1) {
		zval *url = ZEND_CALL_ARG(execute_data, 1);
		ZVAL_DEREF(url);
		set_url(s, url);
	}
}

static ZEND_NAMED_FUNCTION(hook_curl_setopt)
{
	orig_curl_setopt(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(tracked == 0) || Z_TYPE_P(return_value) != IS_TRUE || EG(exception) != NULL)
		return; /* a refused option changed nothing */
	struct handle_state *s = tracked_arg(execute_data, 1);
	zend_long option;
	if (s == NULL || ZEND_CALL_NUM_ARGS(execute_data) < 3 || !option_number(ZEND_CALL_ARG(execute_data, 2), &option))
		return;
	zval *v = ZEND_CALL_ARG(execute_data, 3);
	ZVAL_DEREF(v);
	if (option == CURLOPT_URL)
		set_url(s, v);
	else if (option == CURLOPT_HTTPHEADER)
		set_headers(s, v);
}

static ZEND_NAMED_FUNCTION(hook_curl_setopt_array)
{
	orig_curl_setopt_array(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(tracked == 0))
		return;
	struct handle_state *s = tracked_arg(execute_data, 1);
	if (s == NULL || ZEND_CALL_NUM_ARGS(execute_data) < 2)
		return;
	zval *arr = ZEND_CALL_ARG(execute_data, 2);
	ZVAL_DEREF(arr);
	if (Z_TYPE_P(arr) != IS_ARRAY)
		return;
	/* all applied, in order; or stopped at one that failed, not known which */
	bool all = Z_TYPE_P(return_value) == IS_TRUE && EG(exception) == NULL;
	zend_ulong option;
	zend_string *key;
	zval *v;
	ZEND_HASH_FOREACH_KEY_VAL(Z_ARRVAL_P(arr), option, key, v) {
		if (key != NULL)
			continue;
		ZVAL_DEREF(v);
		if (option == CURLOPT_URL)
			set_url(s, all ? v : NULL);
		else if (option == CURLOPT_HTTPHEADER && all)
			set_headers(s, v);
		else if (option == CURLOPT_HTTPHEADER)
			s->headers_known = false; /* the pointer may be PHP's or still ours: keep ours alive */
	} ZEND_HASH_FOREACH_END();
}

static ZEND_NAMED_FUNCTION(hook_curl_reset)
{
	orig_curl_reset(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(tracked == 0) || EG(exception) != NULL)
		return;
	struct handle_state *s = tracked_arg(execute_data, 1);
	if (s == NULL)
		return;
	/* libcurl forgot every option: no URL, no header list */
	set_url(s, NULL);
	headers_unref(s->headers);
	s->headers = NULL;
	s->headers_known = true;
	s->injected = false;
}

static ZEND_NAMED_FUNCTION(hook_curl_copy_handle)
{
	orig_curl_copy_handle(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(tracked == 0) || Z_TYPE_P(return_value) != IS_OBJECT)
		return;
	struct handle_state *s = tracked_arg(execute_data, 1);
	if (s != NULL)
		track_copy(s, Z_OBJ_P(return_value));
}

static ZEND_NAMED_FUNCTION(hook_curl_exec)
{
	if (EXPECTED(!bvapm_agent_calls_on(BVAPM_REC_SPAN_HTTP))) {
		orig_curl_exec(INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	zend_object *obj = handle_arg(execute_data, 1, curl_handle_ce);
	if (obj == NULL || curl_of(obj) == NULL) {
		orig_curl_exec(INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	struct handle_state *s = state_of(obj);
	uint64_t t0 = bvapm_agent_call_clock();
	bool sent = s != NULL && inject(s);
	orig_curl_exec(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	uint64_t t1 = bvapm_agent_call_clock();
	if (sent)
		restore(s);
	report(obj, s, t0, t1, Z_TYPE_P(return_value) == IS_FALSE ? DONE_FAILED : DONE_OK,
	       sent ? s->span_id : NULL);
}

static void finish(struct handle_state *s, uint64_t end_ns, enum outcome outcome)
{
	if (s->injected)
		restore(s);
	s->in_flight = false;
	s->multi = NULL;
	in_flight--;
	report(s->obj, s, s->start_ns, end_ns, outcome, s->sent_span ? s->span_id : NULL);
}

static ZEND_NAMED_FUNCTION(hook_multi_add)
{
	if (EXPECTED(!bvapm_agent_calls_on(BVAPM_REC_SPAN_HTTP))) {
		orig_multi_add(INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	zend_object *mh = handle_arg(execute_data, 1, curl_multi_ce);
	zend_object *obj = handle_arg(execute_data, 2, curl_handle_ce);
	struct handle_state *s = obj != NULL ? state_of(obj) : NULL;
	if (s == NULL && obj != NULL && learn_handlers(obj) && tracked < BVAPM_CURL_MAX_TRACKED &&
	    (s = track(obj)) != NULL)
		s->headers_known = false; /* made while not recording: its options were not seen */
	if (mh == NULL || s == NULL || s->in_flight || curl_of(obj) == NULL) {
		orig_multi_add(INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	uint64_t t0 = bvapm_agent_call_clock();
	bool sent = inject(s);
	orig_multi_add(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (Z_TYPE_P(return_value) == IS_LONG && Z_LVAL_P(return_value) == CURLM_OK) {
		s->in_flight = true;
		s->multi = mh;
		s->start_ns = t0;
		s->sent_span = sent;
		in_flight++;
	} else if (sent) {
		restore(s);
	}
}

static ZEND_NAMED_FUNCTION(hook_multi_info_read)
{
	orig_multi_info_read(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(in_flight == 0) || Z_TYPE_P(return_value) != IS_ARRAY)
		return;
	zval *msg = zend_hash_str_find(Z_ARRVAL_P(return_value), "msg", sizeof("msg") - 1);
	zval *result = zend_hash_str_find(Z_ARRVAL_P(return_value), "result", sizeof("result") - 1);
	zval *handle = zend_hash_str_find(Z_ARRVAL_P(return_value), "handle", sizeof("handle") - 1);
	if (msg == NULL || Z_TYPE_P(msg) != IS_LONG || Z_LVAL_P(msg) != CURLMSG_DONE || handle == NULL ||
	    Z_TYPE_P(handle) != IS_OBJECT || Z_OBJCE_P(handle) != curl_handle_ce)
		return;
	struct handle_state *s = state_of(Z_OBJ_P(handle));
	if (s == NULL || !s->in_flight)
		return;
	bool ok = result != NULL && Z_TYPE_P(result) == IS_LONG && Z_LVAL_P(result) == CURLE_OK;
	finish(s, bvapm_agent_call_clock(), ok ? DONE_OK : DONE_FAILED);
}

static ZEND_NAMED_FUNCTION(hook_multi_remove)
{
	orig_multi_remove(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(in_flight == 0))
		return;
	struct handle_state *s = tracked_arg(execute_data, 2);
	if (s != NULL && s->in_flight && Z_TYPE_P(return_value) == IS_LONG && Z_LVAL_P(return_value) == CURLM_OK)
		finish(s, bvapm_agent_call_clock(), NOT_REPORTED);
}

/* Finishes the calls in flight in multi handle mh (NULL: all of them). */
static void finish_all(zend_object *mh)
{
	struct handle_state *s;
	uint64_t now = bvapm_agent_call_clock();

	if (in_flight == 0)
		return;
	ZEND_HASH_FOREACH_PTR(&states, s) {
		if (s->in_flight && (mh == NULL || s->multi == mh))
			finish(s, now, NOT_REPORTED);
	} ZEND_HASH_FOREACH_END();
}

static ZEND_NAMED_FUNCTION(hook_multi_close)
{
	orig_multi_close(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(in_flight == 0))
		return;
	zend_object *mh = handle_arg(execute_data, 1, curl_multi_ce);
	if (mh != NULL)
		finish_all(mh);
}

void bvapm_curl_request_end(void)
{
	if (ready)
		finish_all(NULL);
}

/* ---- installation ------------------------------------------------------------ */

struct hook {
	const char *function;
	zif_handler *original;
	zif_handler wrapper;
};

static const struct hook hooks[] = {
	{"curl_init", &orig_curl_init, hook_curl_init},
	{"curl_setopt", &orig_curl_setopt, hook_curl_setopt},
	{"curl_setopt_array", &orig_curl_setopt_array, hook_curl_setopt_array},
	{"curl_reset", &orig_curl_reset, hook_curl_reset},
	{"curl_copy_handle", &orig_curl_copy_handle, hook_curl_copy_handle},
	{"curl_exec", &orig_curl_exec, hook_curl_exec},
	{"curl_multi_add_handle", &orig_multi_add, hook_multi_add},
	{"curl_multi_info_read", &orig_multi_info_read, hook_multi_info_read},
	{"curl_multi_remove_handle", &orig_multi_remove, hook_multi_remove},
	{"curl_multi_close", &orig_multi_close, hook_multi_close},
};

static zend_function *internal_function(const char *name)
{
	zend_function *fn = zend_hash_str_find_ptr(CG(function_table), name, strlen(name));
	return fn != NULL && fn->type == ZEND_INTERNAL_FUNCTION && fn->internal_function.handler != NULL ? fn : NULL;
}

/* libcurl's functions from the library curl.so uses (its module handle;
 * the whole process when curl is built into PHP). */
static bool find_libcurl(void)
{
	zend_module_entry *m = zend_hash_str_find_ptr(&module_registry, "curl", sizeof("curl") - 1);
	void *h = m != NULL && m->handle != NULL ? m->handle : RTLD_DEFAULT;

	*(void **)&lc.getinfo = dlsym(h, "curl_easy_getinfo");
	*(void **)&lc.setopt = dlsym(h, "curl_easy_setopt");
	return m != NULL && lc.getinfo != NULL && lc.setopt != NULL;
}

static void install(void)
{
#if PHP_VERSION_ID >= 80000 && PHP_VERSION_ID < 80500
	curl_handle_ce = zend_hash_str_find_ptr(CG(class_table), "curlhandle", sizeof("curlhandle") - 1);
	curl_multi_ce = zend_hash_str_find_ptr(CG(class_table), "curlmultihandle", sizeof("curlmultihandle") - 1);
	curl_error_fn = internal_function("curl_error");
	if (ready || curl_handle_ce == NULL || curl_multi_ce == NULL || curl_handle_ce->create_object == NULL ||
	    curl_error_fn == NULL || !find_libcurl())
		return;
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
		if (internal_function(hooks[i].function) == NULL)
			return; /* all or nothing: the state must see every option */
	zend_hash_init(&states, 64, NULL, NULL, 1);
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		zend_function *fn = internal_function(hooks[i].function);
		*hooks[i].original = fn->internal_function.handler;
		fn->internal_function.handler = hooks[i].wrapper;
	}
	orig_create_object = curl_handle_ce->create_object;
	curl_handle_ce->create_object = create_object;
	ready = true;
#endif
}

static zend_result post_startup(void)
{
	install();
	return previous_post_startup != NULL ? previous_post_startup() : SUCCESS;
}

void bvapm_curl_hooks_install(void)
{
	previous_post_startup = zend_post_startup_cb;
	zend_post_startup_cb = post_startup;
}
