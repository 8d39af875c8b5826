/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_stream_hooks.c — outbound HTTP calls made through PHP's http:// and
 * https:// stream wrapper (file_get_contents, fopen, file, copy,
 * get_headers... on a URL), each timed as a span (agent_calls.h), with the
 * W3C trace context sent along.
 *
 * What is wrapped. At zend_post_startup_cb (ext/openssl registers https in
 * its MINIT, possibly after bvapm's), the wrappers registered for "http" and
 * "https" in the global table are replaced by copies whose opener wraps the
 * original and which have a closer (the original has none). Everything
 * else is the original's: its label ("http"), stat, is_url; the request
 * tables PHP copies when a script registers a wrapper of its own start from
 * the global one, so stream_wrapper_restore() gives the copy back.
 *
 * A call: from before the open to the stream's close (fclose, the end of
 * file_get_contents, the resource freed) or the end of the request,
 * whichever comes first. Per call: the URL and the context's http method
 * (GET by default), the status of the last response (its status line among
 * the stream's headers; for a failed open, the one quoted by the wrapper's
 * error), the body bytes the application read (the stream's position: PHP
 * sets it to 0 after the headers), and, when the open failed, the wrapper's
 * own error message ("Connection refused", "HTTP request failed! HTTP/1.1
 * 404 Not Found"). At most BVAPM_STREAM_MAX_OPEN streams are followed at
 * once; one opened beyond that is reported at its open, its bytes unknown
 * (0).
 *
 * Propagation. When bvapm_agent_traceparent_out() gives a header and the
 * context's http "header" option names no traceparent, the request sends
 * `traceparent` (and the incoming `tracestate` unless the application sends
 * its own), placed before the application's headers. The application's
 * context is never modified: for the duration of the original opener only,
 * the context's options are a copy holding the extra header; while a
 * notification callback of the context runs (user code, which may look at
 * the context), the application's own options and callback are back in
 * place. A call without a context (PHP's own callers may pass none) sends
 * nothing.
 *
 * Cost. Not recording: the opener tests one global and calls the original;
 * the closer returns at once when no stream is followed.
 *
 * Threads: the PHP thread (NTS); the wrappers are replaced before any request.
 */
#include "php.h"
#include "zend_smart_str.h"
#include "ext/standard/file.h"
#include "main/php_streams.h"

#include "agent/core/agent_calls.h"
#include "agent/core/http_call.h"
#include "php_bvapm.h"

#define BVAPM_STREAM_MAX_OPEN 32 /* http streams followed at once */

static zend_result (*previous_post_startup)(void);

/* Our copy of one registered wrapper. */
struct hooked_wrapper {
	php_stream_wrapper wrapper;       /* first: what PHP is handed */
	php_stream_wrapper_ops ops;
	const php_stream_wrapper *orig;
};

static struct hooked_wrapper hooked[2]; /* "http", "https" */

/* An open stream being followed until it closes. */
struct open_call {
	php_stream *stream;               /* NULL: free slot */
	uint64_t start_ns;
	uint16_t status;
	bool sent_span;
	uint8_t span_id[8];
	struct bvapm_http_names names;
};

static struct open_call open_calls[BVAPM_STREAM_MAX_OPEN];
static uint32_t open_count;

static void report(const struct bvapm_http_names *n, uint64_t start_ns, uint64_t end_ns, uint16_t status,
                   uint64_t bytes, const char *error, size_t error_len, const uint8_t *span_id)
{
	struct bvapm_agent_call c = {
		.kind = BVAPM_REC_SPAN_HTTP,
		.target = n->target, .target_len = n->target_len,
		.name = n->name, .name_len = n->name_len,
		.start_ns = start_ns, .end_ns = end_ns,
		.status = status,
		.bytes = bytes,
		.error = error, .error_len = error_len,
		.span_id = span_id,
	};
	bvapm_agent_call_done(&c);
}

static void close_call(struct open_call *oc, uint64_t end_ns)
{
	zend_off_t pos = oc->stream->position;

	report(&oc->names, oc->start_ns, end_ns, oc->status, pos > 0 ? (uint64_t)pos : 0, NULL, 0,
	       oc->sent_span ? oc->span_id : NULL);
	oc->stream = NULL;
	open_count--;
}

/* ---- the application's context, and the one the request is sent with ------- */

/* The context's http option `name` (as the wrapper reads it: not dereferenced). */
static zval *http_option(php_stream_context *ctx, const char *name)
{
	return ctx != NULL ? php_stream_context_get_option(ctx, "http", name) : NULL;
}

/* Whether the header option (string or array of strings, as the wrapper
 * takes it) names `header`. */
static bool option_has(zval *hdr, const char *header)
{
	if (hdr == NULL)
		return false;
	if (Z_TYPE_P(hdr) == IS_STRING)
		return bvapm_http_headers_have(Z_STRVAL_P(hdr), Z_STRLEN_P(hdr), header);
	if (Z_TYPE_P(hdr) == IS_ARRAY) {
		zval *v;
		ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(hdr), v) {
			if (Z_TYPE_P(v) == IS_STRING && bvapm_http_headers_have(Z_STRVAL_P(v), Z_STRLEN_P(v), header))
				return true;
		} ZEND_HASH_FOREACH_END();
	}
	return false;
}

/* The header option with lines[0..count) in front: the wrapper sends an
 * array's strings one per line and a string as it is, both trimmed; ours go
 * first, so that a blank line inside the application's own (which ends the
 * header block) cannot push them into the body. */
static void header_with(zval *hdr, const char *lines[], size_t count, zval *out)
{
	if (hdr != NULL && Z_TYPE_P(hdr) == IS_ARRAY) {
		HashTable *a = zend_new_array(zend_hash_num_elements(Z_ARRVAL_P(hdr)) + count);
		zval *v, line;
		for (size_t i = 0; i < count; i++) {
			ZVAL_STRING(&line, lines[i]);
			zend_hash_next_index_insert_new(a, &line);
		}
		ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(hdr), v) {
			Z_TRY_ADDREF_P(v);
			zend_hash_next_index_insert_new(a, v);
		} ZEND_HASH_FOREACH_END();
		ZVAL_ARR(out, a);
		return;
	}
	smart_str s = {0};
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			smart_str_appendl(&s, "\r\n", 2);
		smart_str_appends(&s, lines[i]);
	}
	if (hdr != NULL && Z_TYPE_P(hdr) == IS_STRING) {
		/* what the wrapper trims from the front of it ("\r\n" there would end the block) */
		const char *p = Z_STRVAL_P(hdr), *end = p + Z_STRLEN_P(hdr);
		while (p < end && strchr(" \t\n\r\v", *p) != NULL && *p != '\0')
			p++;
		if (p < end) {
			smart_str_appendl(&s, "\r\n", 2);
			smart_str_appendl(&s, p, (size_t)(end - p));
		}
	}
	smart_str_0(&s);
	ZVAL_STR(out, s.s);
}

/* A copy of the context's options whose http header option is `header`. */
static void options_with(php_stream_context *ctx, zval *header, zval *out)
{
	HashTable *o = Z_TYPE(ctx->options) == IS_ARRAY ? zend_array_dup(Z_ARRVAL(ctx->options)) : zend_new_array(1);
	zval *http = zend_hash_str_find(o, "http", sizeof("http") - 1);
	HashTable *h = http != NULL && Z_TYPE_P(http) == IS_ARRAY ? zend_array_dup(Z_ARRVAL_P(http)) : zend_new_array(1);
	zval hz;

	zend_hash_str_update(h, "header", sizeof("header") - 1, header);
	ZVAL_ARR(&hz, h);
	zend_hash_str_update(o, "http", sizeof("http") - 1, &hz);
	ZVAL_ARR(out, o);
}

/* One open running with our options in its context; innermost first. */
struct open_frame {
	php_stream_context *ctx;
	zval app_options;                       /* the application's, put back after */
	php_stream_notification_func app_notify; /* NULL: the context has no callback (or an outer frame swapped it) */
	struct open_frame *prev;
};

static struct open_frame *frames;

/* The context's notification callback while our options are in it: user
 * code sees the application's options and callback while it runs. */
static void notify_with_app_options(php_stream_context *ctx, int code, int severity, char *msg, int msg_code,
                                    size_t sofar, size_t max, void *ptr)
{
	struct open_frame *f = frames;

	while (f != NULL && (f->ctx != ctx || f->app_notify == NULL))
		f = f->prev;
	if (f == NULL || ctx->notifier == NULL)
		return;
	zval ours;
	ZVAL_COPY_VALUE(&ours, &ctx->options);
	ZVAL_COPY_VALUE(&ctx->options, &f->app_options);
	ctx->notifier->func = f->app_notify;
	f->app_notify(ctx, code, severity, msg, msg_code, sofar, max, ptr);
	/* the callback may have changed the options or the callback itself */
	ZVAL_COPY_VALUE(&f->app_options, &ctx->options);
	f->app_notify = ctx->notifier != NULL ? ctx->notifier->func : NULL;
	if (ctx->notifier != NULL)
		ctx->notifier->func = notify_with_app_options;
	ZVAL_COPY_VALUE(&ctx->options, &ours);
}

/* ---- the wrapper --------------------------------------------------------- */

static struct hooked_wrapper *hooked_of(php_stream_wrapper *w)
{
	return (struct hooked_wrapper *)(void *)w; /* the wrapper is the first member */
}

/* The wrapper's last error message for this open, trimmed; NULL: none. */
static const char *open_error(php_stream_wrapper *w, size_t *len)
{
	if (FG(wrapper_errors) == NULL)
		return NULL;
	zend_llist *list = zend_hash_str_find_ptr(FG(wrapper_errors), (const char *)&w, sizeof(w));
	char **last = list != NULL ? zend_llist_get_last(list) : NULL;
	if (last == NULL || *last == NULL)
		return NULL;
	size_t n = strlen(*last);
	while (n > 0 && ((*last)[n - 1] == '\r' || (*last)[n - 1] == '\n' || (*last)[n - 1] == ' '))
		n--;
	*len = n;
	return n > 0 ? *last : NULL;
}

/* The status of the last response among the stream's headers. */
static uint16_t stream_status(php_stream *stream)
{
	uint16_t status = 0;
	zval *line;

	if (Z_TYPE(stream->wrapperdata) != IS_ARRAY)
		return 0;
	ZEND_HASH_FOREACH_VAL(Z_ARRVAL(stream->wrapperdata), line) {
		if (Z_TYPE_P(line) == IS_STRING && Z_STRLEN_P(line) >= 5 && memcmp(Z_STRVAL_P(line), "HTTP/", 5) == 0) {
			uint16_t s = bvapm_http_status_in(Z_STRVAL_P(line), Z_STRLEN_P(line));
			if (s != 0)
				status = s;
		}
	} ZEND_HASH_FOREACH_END();
	return status;
}

static php_stream *opener(php_stream_wrapper *wrapper, const char *path, const char *mode, int options,
                          zend_string **opened_path, php_stream_context *context STREAMS_DC)
{
	const php_stream_wrapper *orig = hooked_of(wrapper)->orig;

	if (EXPECTED(!bvapm_agent_calls_on(BVAPM_REC_SPAN_HTTP)))
		return orig->wops->stream_opener(wrapper, path, mode, options, opened_path, context STREAMS_REL_CC);

	struct bvapm_http_names n;
	zval *method = http_option(context, "method");
	bool has_method = method != NULL && Z_TYPE_P(method) == IS_STRING && Z_STRLEN_P(method) > 0;
	bvapm_http_names(path, strlen(path), has_method ? Z_STRVAL_P(method) : NULL,
	                 has_method ? Z_STRLEN_P(method) : 0, bvapm_agent_http_keep_query(), &n);

	/* the trace context, in a copy of the context's options */
	struct open_frame f = {.ctx = context};
	uint8_t span_id[8];
	char tp[56], tp_line[sizeof("traceparent: ") + 55], ts_line[sizeof("tracestate: ") + BVAPM_HTTP_VALUE_MAX];
	zval *hdr = http_option(context, "header");
	bool sent = context != NULL && n.http && !option_has(hdr, "traceparent") &&
	            bvapm_agent_traceparent_out(tp, span_id);
	if (sent) {
		const char *lines[2] = {tp_line, ts_line};
		size_t count = 1;
		snprintf(tp_line, sizeof(tp_line), "traceparent: %s", tp);
		const char *ts = bvapm_agent_tracestate();
		if (ts != NULL && !option_has(hdr, "tracestate") && bvapm_http_value_ok(ts, strlen(ts))) {
			snprintf(ts_line, sizeof(ts_line), "tracestate: %s", ts);
			count = 2;
		}
		zval header, ours;
		header_with(hdr, lines, count, &header);
		options_with(context, &header, &ours);
		ZVAL_COPY_VALUE(&f.app_options, &context->options);
		ZVAL_COPY_VALUE(&context->options, &ours);
		if (context->notifier != NULL && context->notifier->func != notify_with_app_options) {
			f.app_notify = context->notifier->func;
			context->notifier->func = notify_with_app_options;
		}
		f.prev = frames;
		frames = &f;
	}

	uint64_t t0 = bvapm_agent_call_clock();
	php_stream *stream = orig->wops->stream_opener(wrapper, path, mode, options, opened_path, context STREAMS_REL_CC);
	uint64_t t1 = bvapm_agent_call_clock();

	if (sent) {
		frames = f.prev;
		zval_ptr_dtor(&context->options);
		ZVAL_COPY_VALUE(&context->options, &f.app_options);
		if (f.app_notify != NULL && context->notifier != NULL)
			context->notifier->func = f.app_notify;
	}
	if (!n.http)
		return stream;
	const uint8_t *sid = sent ? span_id : NULL;
	if (stream == NULL) {
		size_t len = 0;
		const char *why = open_error(wrapper, &len);
		report(&n, t0, t1, why != NULL ? bvapm_http_status_in(why, len) : 0, 0, why != NULL ? why : "failed",
		       why != NULL ? len : strlen("failed"), sid);
		return NULL;
	}
	/* the closer is ours whoever called the opener: set as PHP's opening
	 * function sets it, so no stream followed can be freed without it */
	stream->wrapper = wrapper;
	uint16_t status = stream_status(stream);
	if (open_count == BVAPM_STREAM_MAX_OPEN) {
		report(&n, t0, t1, status, 0, NULL, 0, sid);
		return stream;
	}
	for (uint32_t i = 0; i < BVAPM_STREAM_MAX_OPEN; i++) {
		struct open_call *oc = &open_calls[i];
		if (oc->stream != NULL)
			continue;
		oc->stream = stream;
		oc->start_ns = t0;
		oc->status = status;
		oc->sent_span = sent;
		if (sent)
			memcpy(oc->span_id, span_id, 8);
		oc->names = n;
		open_count++;
		break;
	}
	return stream;
}

static int closer(php_stream_wrapper *wrapper, php_stream *stream)
{
	const php_stream_wrapper *orig = hooked_of(wrapper)->orig;

	if (open_count > 0) {
		for (uint32_t i = 0; i < BVAPM_STREAM_MAX_OPEN; i++)
			if (open_calls[i].stream == stream) {
				close_call(&open_calls[i], bvapm_agent_call_clock());
				break;
			}
	}
	return orig->wops->stream_closer != NULL ? orig->wops->stream_closer(wrapper, stream) : 0;
}

void bvapm_stream_request_end(void)
{
	if (open_count == 0)
		return;
	uint64_t now = bvapm_agent_call_clock();
	for (uint32_t i = 0; i < BVAPM_STREAM_MAX_OPEN; i++)
		if (open_calls[i].stream != NULL)
			close_call(&open_calls[i], now);
}

/* ---- installation ------------------------------------------------------------ */

static void install(void)
{
	static const char *const schemes[] = {"http", "https"};
	HashTable *table = php_stream_get_url_stream_wrappers_hash_global();

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		struct hooked_wrapper *h = &hooked[i];
		php_stream_wrapper *w = zend_hash_str_find_ptr(table, schemes[i], strlen(schemes[i]));
		if (h->orig != NULL || w == NULL || w->wops == NULL || w->wops->stream_opener == NULL)
			continue;
		h->orig = w;
		h->ops = *w->wops;
		h->ops.stream_opener = opener;
		h->ops.stream_closer = closer;
		h->wrapper = *w;
		h->wrapper.wops = &h->ops;
		zend_hash_str_update_ptr(table, schemes[i], strlen(schemes[i]), &h->wrapper);
	}
}

static zend_result post_startup(void)
{
	install();
	return previous_post_startup != NULL ? previous_post_startup() : SUCCESS;
}

void bvapm_stream_hooks_install(void)
{
	previous_post_startup = zend_post_startup_cb;
	zend_post_startup_cb = post_startup;
}
