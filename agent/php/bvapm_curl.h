/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_curl.h — what the two curl files share: bvapm_curl_handles.c keeps
 * the agent's state of each CurlHandle (the URL and header list the
 * application set, the trace context put in front of that list, the
 * handle's copies and end), bvapm_curl_hooks.c wraps ext/curl's functions
 * and reports the calls. The design is in bvapm_curl_hooks.c's comment.
 *
 * Threads: the PHP thread (NTS).
 */
#ifndef BVAPM_CURL_H
#define BVAPM_CURL_H

#include <curl/curl.h>

#include "php.h"

#define BVAPM_CURL_MAX_TRACKED 4096   /* handles tracked at once (copies of tracked ones besides) */
#define BVAPM_CURL_MAX_HEADERS 65536  /* bytes of one application header list copied */

/* libcurl's functions, from the library curl.so loaded. */
struct bvapm_libcurl {
	CURLcode (*getinfo)(CURL *, CURLINFO, ...);
	CURLcode (*setopt)(CURL *, CURLoption, ...);
};
/* Hidden, like everything here: one direct load, no GOT, nothing exported. */
#define BVAPM_CURL_HIDDEN __attribute__((visibility("hidden")))

extern struct bvapm_libcurl bvapm_libcurl BVAPM_CURL_HIDDEN;

struct bvapm_curl_headers; /* a copy of the application's CURLOPT_HTTPHEADER list */

/* The agent's state of one tracked CurlHandle. */
struct bvapm_curl_state {
	zend_object *obj;
	zend_string *url;                   /* as the application set it; NULL: none or not a string */
	struct bvapm_curl_headers *headers; /* NULL: none */
	bool headers_known;                 /* every CURLOPT_HTTPHEADER set on it was seen */
	bool injected;                      /* its header pointer is inject[0] */
	bool in_flight;                     /* in a multi handle, not finished */
	bool sent_span;                     /* span_id was sent in traceparent */
	zend_object *multi;                 /* the multi handle it was added to (compared only) */
	uint64_t start_ns;
	uint8_t span_id[8];
	struct curl_slist inject[2];        /* traceparent, tracestate: in front of headers */
	char traceparent[sizeof("traceparent: ") + 55];
	char *tracestate;                   /* "tracestate: ..." (malloc'd on first use) */
};

extern uint32_t bvapm_curl_tracked BVAPM_CURL_HIDDEN;   /* states: what the option wrappers test */
extern uint32_t bvapm_curl_in_flight BVAPM_CURL_HIDDEN; /* states in flight: what the multi wrappers test */

/* bvapm_curl_handles.c */
void bvapm_curl_handles_init(zend_class_entry *handle_ce) BVAPM_CURL_HIDDEN;    /* at start-up: CurlHandle's create_object wrapped */
struct bvapm_curl_state *bvapm_curl_state(zend_object *obj) BVAPM_CURL_HIDDEN;    /* NULL: not tracked */
struct bvapm_curl_state *bvapm_curl_track_late(zend_object *obj) BVAPM_CURL_HIDDEN; /* made while not recording: headers unknown */
void bvapm_curl_copied(struct bvapm_curl_state *src, zend_object *copy) BVAPM_CURL_HIDDEN; /* curl_copy_handle, clone */
CURL *bvapm_curl_of(zend_object *obj) BVAPM_CURL_HIDDEN;                           /* libcurl's handle of a CurlHandle */
void bvapm_curl_set_url(struct bvapm_curl_state *s, zval *v) BVAPM_CURL_HIDDEN;     /* v NULL: unknown */
void bvapm_curl_set_headers(struct bvapm_curl_state *s, zval *v) BVAPM_CURL_HIDDEN; /* CURLOPT_HTTPHEADER was set */
void bvapm_curl_headers_unknown(struct bvapm_curl_state *s) BVAPM_CURL_HIDDEN;      /* it may have been set */
void bvapm_curl_reset(struct bvapm_curl_state *s) BVAPM_CURL_HIDDEN;                /* curl_reset */
bool bvapm_curl_inject(struct bvapm_curl_state *s) BVAPM_CURL_HIDDEN;               /* false: nothing is sent */
void bvapm_curl_restore(struct bvapm_curl_state *s) BVAPM_CURL_HIDDEN;              /* back to the application's list */
void bvapm_curl_finish_in(zend_object *multi, uint64_t end_ns) BVAPM_CURL_HIDDEN;   /* the calls in flight in it (NULL: all) */

/* How a call of a multi run, or of curl_exec, ended. */
enum bvapm_curl_outcome {
	BVAPM_CURL_DONE_OK,      /* curl_exec returned, or the multi result was CURLE_OK */
	BVAPM_CURL_DONE_FAILED,  /* the transfer failed: curl_error() says why */
	BVAPM_CURL_NOT_REPORTED, /* a multi transfer the application never asked about */
};

/* bvapm_curl_hooks.c: a call in flight ends (reported, the header list restored). */
void bvapm_curl_finish(struct bvapm_curl_state *s, uint64_t end_ns, enum bvapm_curl_outcome outcome) BVAPM_CURL_HIDDEN;

#endif
