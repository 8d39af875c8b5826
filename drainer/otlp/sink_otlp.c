/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sink_otlp.c — the OTLP/HTTP sink of sink_otlp.h.
 *
 * Threads: one sink thread calls send (sink.h). curl_global_init runs once
 * per process (pthread_once) and is never undone: the drainer lives until
 * exit, and curl_global_cleanup is not safe while other threads use curl.
 *
 * Memory: the JSON body and the gzip buffer are allocated per batch and freed
 * before send returns; the response is kept up to 64 KiB (the rest is read
 * and discarded) in a buffer reused across batches.
 */
#include "sink_otlp.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <zlib.h>

#include "otlp_json.h"

#define TRACES_PATH "/v1/traces"
#define MAX_RESPONSE_BYTES (64u * 1024)
#define USER_AGENT "bvapm-drainer/0.1.0"

struct otlp_sink {
	struct bvapm_sink sink;           /* first: the sink handed out */
	CURL *curl;
	struct curl_slist *headers;
	char *url;
	char *service_name;               /* copies of the options' strings */
	char *host_name;
	bool gzip;
	char curl_error[CURL_ERROR_SIZE];
	char *response;                   /* body received, NUL-terminated */
	size_t response_len;
	char retry_after[64];             /* last Retry-After header value */
};

/* ---- small helpers ------------------------------------------------------- */

/* result->message, cut to fit (a log line, truncation is fine). */
__attribute__((format(printf, 2, 3)))
static void say(struct bvapm_sink_result *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->message, sizeof out->message, fmt, ap);
	va_end(ap);
}

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void init_curl(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

uint32_t bvapm_otlp_parse_retry_after(const char *value, int64_t now_unix_s)
{
	const char *p = value;
	uint64_t secs = 0;

	if (!p)
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p >= '0' && *p <= '9') {
		while (*p >= '0' && *p <= '9') {
			secs = secs * 10 + (uint64_t)(*p++ - '0');
			if (secs > UINT32_MAX / 1000)
				return UINT32_MAX;
		}
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		return *p ? 0 : (uint32_t)(secs * 1000);
	}
	if (!*p)
		return 0;
	time_t when = curl_getdate(p, NULL);
	if (when == (time_t)-1 || (int64_t)when <= now_unix_s)
		return 0;
	uint64_t ms = (uint64_t)((int64_t)when - now_unix_s) * 1000;
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* ---- curl callbacks ------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct otlp_sink *s = ctx;
	size_t n = size * nmemb, room = MAX_RESPONSE_BYTES - s->response_len;
	size_t take = n < room ? n : room;

	memcpy(s->response + s->response_len, data, take);
	s->response_len += take;
	s->response[s->response_len] = 0;
	return n;   /* the excess is read and dropped, not an error */
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct otlp_sink *s = ctx;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";

	if (n > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0) {
		size_t vlen = n - (sizeof name - 1);
		if (vlen >= sizeof s->retry_after)
			vlen = sizeof s->retry_after - 1;
		memcpy(s->retry_after, data + sizeof name - 1, vlen);
		s->retry_after[vlen] = 0;
	}
	return n;
}

/* ---- gzip ---------------------------------------------------------------- */

/* gzip in[0..len) into a new buffer; NULL when zlib or memory fails. */
static uint8_t *gzip_body(const char *in, size_t len, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = deflateBound(&z, (uLong)len) + 32;
	uint8_t *out = malloc(cap);
	if (!out) {
		deflateEnd(&z);
		return NULL;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- response mapping ---------------------------------------------------- */

static bool retryable_status(long code)
{
	return code == 429 || code == 502 || code == 503 || code == 504;
}

/* The receiver's words: google.rpc.Status.message, or
 * partialSuccess.errorMessage, or the start of the body. */
static void receiver_message(struct json_object *doc, const char *body, char *out, size_t cap)
{
	struct json_object *v = NULL, *ps = NULL;

	out[0] = 0;
	if (doc && json_object_object_get_ex(doc, "partialSuccess", &ps) &&
	    json_object_object_get_ex(ps, "errorMessage", &v))
		snprintf(out, cap, "%s", json_object_get_string(v));
	else if (doc && json_object_is_type(doc, json_type_object) &&
	         json_object_object_get_ex(doc, "message", &v))
		snprintf(out, cap, "%s", json_object_get_string(v));
	else if (!doc && body)
		snprintf(out, cap, "%s", body);
	for (char *p = out; *p; p++)       /* one line for the log */
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}

/* partialSuccess.rejectedSpans: int64, a string or a number in JSON. */
static uint64_t rejected_spans(struct json_object *doc)
{
	struct json_object *ps = NULL, *v = NULL;
	if (!doc || !json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "partialSuccess", &ps) ||
	    !json_object_object_get_ex(ps, "rejectedSpans", &v))
		return 0;
	if (json_object_is_type(v, json_type_string))
		return strtoull(json_object_get_string(v), NULL, 10);
	int64_t n = json_object_get_int64(v);
	return n > 0 ? (uint64_t)n : 0;
}

static void map_http(struct otlp_sink *s, long code, size_t n,
	const struct bvapm_otlp_json_stats *st, struct bvapm_sink_result *out)
{
	struct json_object *doc = s->response_len ? json_tokener_parse(s->response) : NULL;
	char words[120];

	receiver_message(doc, s->response_len ? s->response : NULL, words, sizeof words);
	if (code >= 200 && code < 300) {
		uint64_t spans = rejected_spans(doc);
		if (spans == 0) {
			out->status = BVAPM_SINK_OK;
			out->accepted = (uint32_t)n;
			say(out, "HTTP %ld: %u spans of %u records accepted%s%s",
				code, st->spans, st->records_exported, words[0] ? "; receiver: " : "", words);
		} else {
			uint32_t rej = spans < st->records_exported ? (uint32_t)spans : st->records_exported;
			out->status = BVAPM_SINK_PARTIAL;
			out->rejected = rej;
			out->accepted = (uint32_t)n - rej;
			say(out,
				"HTTP %ld partial success: %" PRIu64 " of %u spans rejected (counted as %u records)%s%s",
				code, spans, st->spans, rej, words[0] ? ": " : "", words);
		}
	} else if (code >= 400 && code < 500 && code != 429) {
		out->status = BVAPM_SINK_REJECTED;
		out->rejected = (uint32_t)n;
		say(out, "HTTP %ld, batch of %zu records dropped%s%s",
			code, n, words[0] ? ": " : "", words);
	} else {
		out->status = BVAPM_SINK_RETRY;
		out->retry_after_ms = bvapm_otlp_parse_retry_after(s->retry_after, (int64_t)time(NULL));
		say(out, "HTTP %ld%s, will retry%s%s", code,
			retryable_status(code) ? " (retryable)" : "", words[0] ? ": " : "", words);
		if (out->retry_after_ms) {
			size_t used = strlen(out->message);
			snprintf(out->message + used, sizeof out->message - used, " (Retry-After %u ms)",
				out->retry_after_ms);
		}
	}
	json_object_put(doc);
}

/* ---- send ---------------------------------------------------------------- */

static void otlp_send(struct bvapm_sink *sink, const struct bvapm_sink_record *recs, size_t n,
	struct bvapm_sink_result *out)
{
	struct otlp_sink *s = sink->ctx;
	struct bvapm_otlp_json_opts jopts = { s->service_name, s->host_name };
	struct bvapm_otlp_json_stats st;
	size_t json_len = 0, body_len;
	uint8_t *packed = NULL;
	const void *body;

	memset(out, 0, sizeof *out);
	char *json = bvapm_otlp_json_encode(recs, n, &jopts, &st, &json_len);
	if (!json) {
		out->status = BVAPM_SINK_RETRY;
		say(out, "out of memory encoding %zu records", n);
		return;
	}
	if (st.records_exported == 0) {
		free(json);
		out->status = BVAPM_SINK_OK;
		out->accepted = (uint32_t)n;
		say(out, "nothing to export (%u records without an OTLP form)",
			st.records_skipped);
		return;
	}
	body = json;
	body_len = json_len;
	if (s->gzip) {
		packed = gzip_body(json, json_len, &body_len);
		if (!packed) {
			free(json);
			out->status = BVAPM_SINK_RETRY;
			say(out, "gzip failed for %zu bytes", json_len);
			return;
		}
		body = packed;
	}

	s->response_len = 0;
	s->response[0] = 0;
	s->retry_after[0] = 0;
	s->curl_error[0] = 0;
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	CURLcode rc = curl_easy_perform(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, NULL);
	free(packed);
	free(json);

	if (rc != CURLE_OK) {
		out->status = BVAPM_SINK_RETRY;
		say(out, "POST %s failed, will retry: %s%s%s", s->url,
			curl_easy_strerror(rc), s->curl_error[0] ? ": " : "", s->curl_error);
		return;
	}
	long code = 0;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	map_http(s, code, n, &st, out);
}

static void otlp_destroy(struct bvapm_sink *sink)
{
	struct otlp_sink *s;

	if (!sink)
		return;
	s = sink->ctx;
	if (s->curl)
		curl_easy_cleanup(s->curl);
	curl_slist_free_all(s->headers);
	free(s->url);
	free(s->service_name);
	free(s->host_name);
	free(s->response);
	free(s);
}

/* ---- constructor --------------------------------------------------------- */

static char *build_url(const char *endpoint)
{
	size_t len = strlen(endpoint), plen = strlen(TRACES_PATH);
	char *url;

	while (len > 0 && endpoint[len - 1] == '/')
		len--;
	if (len >= plen && memcmp(endpoint + len - plen, TRACES_PATH, plen) == 0)
		plen = 0;
	url = malloc(len + plen + 1);
	if (url) {
		memcpy(url, endpoint, len);
		memcpy(url + len, TRACES_PATH, plen);
		url[len + plen] = 0;
	}
	return url;
}

static bool add_header(struct curl_slist **list, const char *h)
{
	struct curl_slist *next = curl_slist_append(*list, h);
	if (!next)
		return false;
	*list = next;
	return true;
}

static bool configure(struct otlp_sink *s, const struct bvapm_otlp_options *o, char *err, size_t errlen)
{
	uint32_t timeout = o->timeout_ms ? o->timeout_ms : BVAPM_OTLP_DEFAULT_TIMEOUT_MS;
	uint32_t connect = o->connect_timeout_ms ? o->connect_timeout_ms : BVAPM_OTLP_DEFAULT_CONNECT_TIMEOUT_MS;
	bool ok = true;

	if (connect > timeout)
		connect = timeout;
	ok = ok && add_header(&s->headers, "Content-Type: application/json");
	ok = ok && (!s->gzip || add_header(&s->headers, "Content-Encoding: gzip"));
	ok = ok && add_header(&s->headers, "Expect:");   /* no 100-continue round trip */
	for (size_t i = 0; ok && i < o->header_count; i++) {
		const char *h = o->headers[i];
		if (!h || !strchr(h, ':') || h[0] == ':' || strpbrk(h, "\r\n")) {
			char msg[160];
			snprintf(msg, sizeof msg, "header %zu is not \"Name: value\" on one line", i);
			set_err(err, errlen, msg);
			return false;
		}
		ok = add_header(&s->headers, h);
	}
	if (!ok) {
		set_err(err, errlen, "out of memory");
		return false;
	}

	CURL *c = s->curl;
	ok = curl_easy_setopt(c, CURLOPT_URL, s->url) == CURLE_OK;
	ok = ok && curl_easy_setopt(c, CURLOPT_HTTPHEADER, s->headers) == CURLE_OK;
	ok = ok && curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout) == CURLE_OK;
	ok = ok && curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)connect) == CURLE_OK;
	ok = ok && curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT) == CURLE_OK;
	ok = ok && curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "") == CURLE_OK;
	ok = ok && curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->curl_error) == CURLE_OK;
	ok = ok && curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK;
	ok = ok && curl_easy_setopt(c, CURLOPT_WRITEDATA, s) == CURLE_OK;
	ok = ok && curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK;
	ok = ok && curl_easy_setopt(c, CURLOPT_HEADERDATA, s) == CURLE_OK;
	if (!ok) {
		set_err(err, errlen, "libcurl rejected an option");
		return false;
	}
	return true;
}

static char *dup_or_null(const char *s, bool *ok)
{
	char *d;
	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*ok = false;
	return d;
}

struct bvapm_sink *bvapm_sink_otlp_new(const struct bvapm_otlp_options *opts, char *err, size_t errlen)
{
	struct otlp_sink *s;
	bool ok = true;

	if (!opts || !opts->endpoint || !opts->endpoint[0]) {
		set_err(err, errlen, "otlp: endpoint is required");
		return NULL;
	}
	if (strncmp(opts->endpoint, "http://", 7) != 0 && strncmp(opts->endpoint, "https://", 8) != 0) {
		set_err(err, errlen, "otlp: endpoint must start with http:// or https://");
		return NULL;
	}
	pthread_once(&curl_once, init_curl);
	if (curl_init_result != CURLE_OK) {
		set_err(err, errlen, "otlp: curl_global_init failed");
		return NULL;
	}

	s = calloc(1, sizeof *s);
	if (!s) {
		set_err(err, errlen, "otlp: out of memory");
		return NULL;
	}
	s->sink = (struct bvapm_sink){ .name = "otlp", .ctx = s, .send = otlp_send,
		.destroy = otlp_destroy };
	s->gzip = opts->gzip;
	s->url = build_url(opts->endpoint);
	s->response = malloc(MAX_RESPONSE_BYTES + 1);
	s->service_name = dup_or_null(opts->service_name, &ok);
	s->host_name = dup_or_null(opts->host_name, &ok);
	s->curl = curl_easy_init();
	if (!s->url || !s->response || !ok || !s->curl) {
		set_err(err, errlen, s->curl ? "otlp: out of memory" : "otlp: curl_easy_init failed");
		otlp_destroy(&s->sink);
		return NULL;
	}
	if (!configure(s, opts, err, errlen)) {
		char msg[200];
		snprintf(msg, sizeof msg, "otlp: %s", err && errlen ? err : "bad options");
		set_err(err, errlen, msg);
		otlp_destroy(&s->sink);
		return NULL;
	}
	return &s->sink;
}
