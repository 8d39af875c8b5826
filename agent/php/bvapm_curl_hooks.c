/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_curl_hooks.c — outbound HTTP calls made with ext/curl, each timed as
 * a span (agent_calls.h), with the W3C trace context sent along; the state
 * kept per handle is bvapm_curl_handles.c's.
 *
 * What is wrapped. The internal handlers of curl_init, curl_setopt,
 * curl_setopt_array, curl_reset, curl_copy_handle, curl_exec,
 * curl_multi_add_handle, curl_multi_info_read, curl_multi_remove_handle and
 * curl_multi_close, installed from zend_post_startup_cb as
 * bvapm_sql_hooks.c does (curl may load after bvapm; before the php-fpm
 * fork), all of them or none: the state must see every option it keeps.
 *
 * A call. curl_exec: from before to after the original handler. A handle of
 * a multi run: from curl_multi_add_handle until curl_multi_info_read reports
 * it done; when the application never asks, until it is removed, its multi
 * handle closed, the handle freed or the request ends — but no later than
 * libcurl's own total time for the transfer after the add. Per call: the URL
 * the application set (curl_init, CURLOPT_URL; libcurl's effective URL
 * when it was not a string or the handle is not tracked), libcurl's
 * effective method, the response code, the body bytes downloaded, and
 * curl_error()'s text when the transfer failed (exec returned false, or the
 * multi result was not CURLE_OK); a multi call never reported done and
 * without a response is an error "not completed". Only http:// and https://
 * calls are reported (a transfer without a URL is none).
 *
 * Propagation. When bvapm_agent_traceparent_out() gives a header, the
 * handle's URL is http(s) and known, and every CURLOPT_HTTPHEADER the
 * application set on the handle was seen and names no traceparent, the
 * transfer sends `traceparent` (and the incoming `tracestate`, unless the
 * application sends its own or it is not a clean header value) and the call
 * is reported with that span id; afterwards the handle has the
 * application's own headers again (bvapm_curl_handles.c). Nothing else of
 * the request changes.
 *
 * Cost. Not recording: curl_exec and curl_multi_add_handle test one global
 * (bvapm_agent_calls_on) and call the original; the option wrappers test the
 * number of tracked handles, 0 outside recorded requests; the multi ones the
 * number of calls in flight. The wrappers never touch EG(exception) or the
 * return value.
 *
 * Layout. CurlHandle's C struct is private to ext/curl; only one fact of it
 * is used: its first member is libcurl's CURL * (PHP 8.0 to 8.4: the hooks
 * are not installed on another PHP). libcurl's functions are those of the
 * library curl.so loaded (dlsym on its module handle): bvapm.so does not
 * link libcurl.
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
#include "bvapm_curl.h"
#include "php_bvapm.h"

static zend_result (*previous_post_startup)(void);

static zend_class_entry *curl_handle_ce, *curl_multi_ce;
static zend_function *curl_error_fn;
static bool ready; /* installed */

static bool option_number(zval *v, zend_long *out)
{
	ZVAL_DEREF(v);
	switch (Z_TYPE_P(v)) {
	case IS_LONG: *out = Z_LVAL_P(v); return true;
	case IS_DOUBLE: case IS_STRING: case IS_TRUE: case IS_FALSE: *out = zval_get_long(v); return true;
	default: return false;
	}
}

/* The n-th argument when it is an object of class ce (else the original
 * reports it). */
static zend_object *handle_arg(zend_execute_data *execute_data, uint32_t n, zend_class_entry *ce)
{
	if (ZEND_CALL_NUM_ARGS(execute_data) < n)
		return NULL;
	zval *arg = ZEND_CALL_ARG(execute_data, n);
	ZVAL_DEREF(arg);
	return Z_TYPE_P(arg) == IS_OBJECT && Z_OBJCE_P(arg) == ce ? Z_OBJ_P(arg) : NULL;
}

static struct bvapm_curl_state *tracked_arg(zend_execute_data *execute_data, uint32_t n)
{
	zend_object *obj = handle_arg(execute_data, n, curl_handle_ce);
	return obj != NULL ? bvapm_curl_state(obj) : NULL;
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
static const char *call_url(struct bvapm_curl_state *s, CURL *cp, size_t *len)
{
	if (s != NULL && s->url != NULL) {
		*len = ZSTR_LEN(s->url);
		return ZSTR_VAL(s->url);
	}
	char *eff = NULL;
	if (bvapm_libcurl.getinfo(cp, CURLINFO_EFFECTIVE_URL, &eff) != CURLE_OK || eff == NULL) {
		*len = 0;
		return "";
	}
	*len = strlen(eff);
	return eff;
}

static void report(zend_object *obj, struct bvapm_curl_state *s, uint64_t start_ns, uint64_t end_ns,
                   enum bvapm_curl_outcome outcome, const uint8_t *span_id)
{
	CURL *cp = bvapm_curl_of(obj);
	char *method = NULL;
	long code = 0;
	curl_off_t bytes = 0;
	size_t url_len;

	if (cp == NULL)
		return;
	if (bvapm_libcurl.getinfo(cp, CURLINFO_EFFECTIVE_METHOD, &method) != CURLE_OK)
		method = NULL;
	if (bvapm_libcurl.getinfo(cp, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
		code = 0;
	if (bvapm_libcurl.getinfo(cp, CURLINFO_SIZE_DOWNLOAD_T, &bytes) != CURLE_OK)
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
	if (outcome == BVAPM_CURL_DONE_FAILED) {
		error = curl_error_text(obj, why, sizeof(why));
		if (error == NULL)
			error = EG(exception) != NULL ? "exception thrown during the transfer" : "failed";
	} else if (outcome == BVAPM_CURL_NOT_REPORTED && code == 0) {
		error = "not completed";
	}
	if (outcome == BVAPM_CURL_NOT_REPORTED) {
		curl_off_t total_us = 0; /* libcurl's own time for it: not later than that */
		if (bvapm_libcurl.getinfo(cp, CURLINFO_TOTAL_TIME_T, &total_us) == CURLE_OK && total_us > 0 &&
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

/* ---- function wrappers ------------------------------------------------------ */

static zif_handler orig_curl_init, orig_curl_setopt, orig_curl_setopt_array, orig_curl_reset,
	orig_curl_copy_handle, orig_curl_exec, orig_multi_add, orig_multi_info_read, orig_multi_remove,
	orig_multi_close;

static ZEND_NAMED_FUNCTION(hook_curl_init)
{
	orig_curl_init(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(bvapm_curl_tracked == 0) || Z_TYPE_P(return_value) != IS_OBJECT)
		return;
	struct bvapm_curl_state *s = bvapm_curl_state(Z_OBJ_P(return_value));
	if (s != NULL && ZEND_CALL_NUM_ARGS(execute_data) >= 1) {
		zval *url = ZEND_CALL_ARG(execute_data, 1);
		ZVAL_DEREF(url);
		bvapm_curl_set_url(s, url);
	}
}

static ZEND_NAMED_FUNCTION(hook_curl_setopt)
{
	orig_curl_setopt(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(bvapm_curl_tracked == 0) || Z_TYPE_P(return_value) != IS_TRUE || EG(exception) != NULL)
		return; /* a refused option changed nothing */
	struct bvapm_curl_state *s = tracked_arg(execute_data, 1);
	zend_long option;
	if (s == NULL || ZEND_CALL_NUM_ARGS(execute_data) < 3 || !option_number(ZEND_CALL_ARG(execute_data, 2), &option))
		return;
	zval *v = ZEND_CALL_ARG(execute_data, 3);
	ZVAL_DEREF(v);
	if (option == CURLOPT_URL)
		bvapm_curl_set_url(s, v);
	else if (option == CURLOPT_HTTPHEADER)
		bvapm_curl_set_headers(s, v);
}

static ZEND_NAMED_FUNCTION(hook_curl_setopt_array)
{
	orig_curl_setopt_array(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(bvapm_curl_tracked == 0))
		return;
	struct bvapm_curl_state *s = tracked_arg(execute_data, 1);
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
			bvapm_curl_set_url(s, all ? v : NULL);
		else if (option == CURLOPT_HTTPHEADER && all)
			bvapm_curl_set_headers(s, v);
		else if (option == CURLOPT_HTTPHEADER)
			bvapm_curl_headers_unknown(s);
	} ZEND_HASH_FOREACH_END();
}

static ZEND_NAMED_FUNCTION(hook_curl_reset)
{
	orig_curl_reset(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(bvapm_curl_tracked == 0) || EG(exception) != NULL)
		return;
	struct bvapm_curl_state *s = tracked_arg(execute_data, 1);
	if (s == NULL)
		return;
	bvapm_curl_reset(s);
}

static ZEND_NAMED_FUNCTION(hook_curl_copy_handle)
{
	orig_curl_copy_handle(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(bvapm_curl_tracked == 0) || Z_TYPE_P(return_value) != IS_OBJECT)
		return;
	struct bvapm_curl_state *s = tracked_arg(execute_data, 1);
	if (s != NULL)
		bvapm_curl_copied(s, Z_OBJ_P(return_value));
}

static ZEND_NAMED_FUNCTION(hook_curl_exec)
{
	if (EXPECTED(!bvapm_agent_calls_on(BVAPM_REC_SPAN_HTTP))) {
		orig_curl_exec(INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	zend_object *obj = handle_arg(execute_data, 1, curl_handle_ce);
	if (obj == NULL || bvapm_curl_of(obj) == NULL) {
		orig_curl_exec(INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	struct bvapm_curl_state *s = bvapm_curl_state(obj);
	uint64_t t0 = bvapm_agent_call_clock();
	bool sent = s != NULL && bvapm_curl_inject(s);
	orig_curl_exec(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	uint64_t t1 = bvapm_agent_call_clock();
	if (sent)
		bvapm_curl_restore(s);
	report(obj, s, t0, t1, Z_TYPE_P(return_value) == IS_FALSE ? BVAPM_CURL_DONE_FAILED : BVAPM_CURL_DONE_OK,
	       sent ? s->span_id : NULL);
}

void bvapm_curl_finish(struct bvapm_curl_state *s, uint64_t end_ns, enum bvapm_curl_outcome outcome)
{
	if (s->injected)
		bvapm_curl_restore(s);
	s->in_flight = false;
	s->multi = NULL;
	bvapm_curl_in_flight--;
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
	struct bvapm_curl_state *s = obj != NULL ? bvapm_curl_state(obj) : NULL;
	if (s == NULL && obj != NULL)
		s = bvapm_curl_track_late(obj); /* made while not recording */
	if (mh == NULL || s == NULL || s->in_flight || bvapm_curl_of(obj) == NULL) {
		orig_multi_add(INTERNAL_FUNCTION_PARAM_PASSTHRU);
		return;
	}
	uint64_t t0 = bvapm_agent_call_clock();
	bool sent = bvapm_curl_inject(s);
	orig_multi_add(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (Z_TYPE_P(return_value) == IS_LONG && Z_LVAL_P(return_value) == CURLM_OK) {
		s->in_flight = true;
		s->multi = mh;
		s->start_ns = t0;
		s->sent_span = sent;
		bvapm_curl_in_flight++;
	} else if (sent) {
		bvapm_curl_restore(s);
	}
}

static ZEND_NAMED_FUNCTION(hook_multi_info_read)
{
	orig_multi_info_read(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(bvapm_curl_in_flight == 0) || Z_TYPE_P(return_value) != IS_ARRAY)
		return;
	zval *msg = zend_hash_str_find(Z_ARRVAL_P(return_value), "msg", sizeof("msg") - 1);
	zval *result = zend_hash_str_find(Z_ARRVAL_P(return_value), "result", sizeof("result") - 1);
	zval *handle = zend_hash_str_find(Z_ARRVAL_P(return_value), "handle", sizeof("handle") - 1);
	if (msg == NULL || Z_TYPE_P(msg) != IS_LONG || Z_LVAL_P(msg) != CURLMSG_DONE || handle == NULL ||
	    Z_TYPE_P(handle) != IS_OBJECT || Z_OBJCE_P(handle) != curl_handle_ce)
		return;
	struct bvapm_curl_state *s = bvapm_curl_state(Z_OBJ_P(handle));
	if (s == NULL || !s->in_flight)
		return;
	bool ok = result != NULL && Z_TYPE_P(result) == IS_LONG && Z_LVAL_P(result) == CURLE_OK;
	bvapm_curl_finish(s, bvapm_agent_call_clock(), ok ? BVAPM_CURL_DONE_OK : BVAPM_CURL_DONE_FAILED);
}

static ZEND_NAMED_FUNCTION(hook_multi_remove)
{
	orig_multi_remove(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(bvapm_curl_in_flight == 0))
		return;
	struct bvapm_curl_state *s = tracked_arg(execute_data, 2);
	if (s != NULL && s->in_flight && Z_TYPE_P(return_value) == IS_LONG && Z_LVAL_P(return_value) == CURLM_OK)
		bvapm_curl_finish(s, bvapm_agent_call_clock(), BVAPM_CURL_NOT_REPORTED);
}

static ZEND_NAMED_FUNCTION(hook_multi_close)
{
	orig_multi_close(INTERNAL_FUNCTION_PARAM_PASSTHRU);
	if (EXPECTED(bvapm_curl_in_flight == 0))
		return;
	zend_object *mh = handle_arg(execute_data, 1, curl_multi_ce);
	if (mh != NULL)
		bvapm_curl_finish_in(mh, bvapm_agent_call_clock());
}

void bvapm_curl_request_end(void)
{
	if (ready)
		bvapm_curl_finish_in(NULL, bvapm_agent_call_clock());
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

	*(void **)&bvapm_libcurl.getinfo = dlsym(h, "curl_easy_getinfo");
	*(void **)&bvapm_libcurl.setopt = dlsym(h, "curl_easy_setopt");
	return m != NULL && bvapm_libcurl.getinfo != NULL && bvapm_libcurl.setopt != NULL;
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
	bvapm_curl_handles_init(curl_handle_ce);
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		zend_function *fn = internal_function(hooks[i].function);
		*hooks[i].original = fn->internal_function.handler;
		fn->internal_function.handler = hooks[i].wrapper;
	}
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
