/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_call.h — the text work of an outbound HTTP call, in plain C, shared
 * by the curl and http:// stream wrappers (agent/php/): how a call is named
 * from its URL and method, whether the application's own headers already
 * carry a header (traceparent), and the status of a response's status line.
 *
 * Names, as agent_calls.h wants them:
 *   target  "scheme://host:port": scheme and host lowercased, the port
 *           spelled out (80 for http, 443 for https when the URL has none),
 *           user and password never kept ("https://u:p@h/" is "https://h:443")
 *   name    "METHOD /path": the path without its query string and fragment
 *           (with the query when keep_query: bvapm.http_keep_query), "/"
 *           when the URL has none
 * A URL without "scheme://" is read as libcurl reads it: the scheme guessed
 * from the host's first label (ftp., dict., ldap., imap., smtp., pop3.),
 * http otherwise. Both strings are cut to BVAPM_HTTP_NAME_MAX bytes.
 *
 * No allocation; every function is bounded by its input's length.
 */
#ifndef BVAPM_AGENT_HTTP_CALL_H
#define BVAPM_AGENT_HTTP_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BVAPM_HTTP_NAME_MAX 256 /* bytes of a target or a name (agent_calls.h cuts there too) */

struct bvapm_http_names {
	char target[BVAPM_HTTP_NAME_MAX + 1]; /* NUL-terminated */
	size_t target_len;
	char name[BVAPM_HTTP_NAME_MAX + 1];
	size_t name_len;
	bool http;                            /* the scheme is http or https */
};

/* Names the call to url[0..len) made with method (NULL or empty: GET).
 * Always fills out; out->http says whether it is an HTTP call at all. */
void bvapm_http_names(const char *url, size_t len, const char *method, size_t method_len,
                      bool keep_query, struct bvapm_http_names *out);

/* Whether line[0..len), one request header as libcurl takes them ("Name:
 * value", or "Name;" for an empty one, "Name:" to remove one), is the
 * header `name` (ASCII, compared without case). */
bool bvapm_http_header_is(const char *line, size_t len, const char *name);

/* Whether a block of header lines separated by CR and/or LF (the http://
 * stream context's "header" string) holds a line that is the header `name`. */
bool bvapm_http_headers_have(const char *block, size_t len, const char *name);

/* Whether v[0..len) may be sent as a header's value: at most
 * BVAPM_HTTP_VALUE_MAX bytes, visible ASCII, spaces and tabs only (no line
 * break that would start another header). */
#define BVAPM_HTTP_VALUE_MAX 512
bool bvapm_http_value_ok(const char *v, size_t len);

/* The status code of the first "HTTP/x[.y] NNN" in s[0..len) (a status
 * line, or a message quoting one); 0 when there is none. */
uint16_t bvapm_http_status_in(const char *s, size_t len);

#endif
