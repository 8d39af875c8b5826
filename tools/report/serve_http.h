/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve_http.h — the little HTTP/1.1 that `bvapm-report serve` speaks: one
 * GET or HEAD per connection (Connection: close), a request head of at most
 * HTTP_HEAD_MAX bytes, no body, percent-decoded path and query parameters,
 * and a response written whole with the headers every page carries.
 *
 * Parsing is separate from the socket (http_parse_head works on a buffer)
 * so that the unit tests feed it every malformed head they can think of.
 */
#ifndef BVAPM_SERVE_HTTP_H
#define BVAPM_SERVE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEAD_MAX 8192
#define HTTP_PARAMS_MAX 24

struct http_param {
	char *name, *value; /* decoded, NUL-terminated, inside the request's buffer */
};

struct http_request {
	char buf[HTTP_HEAD_MAX + 1]; /* the head as read; parsed in place */
	size_t len;
	bool head_only;              /* HEAD: headers without the body */
	char *path;                  /* decoded, starts with '/' */
	char *host;                  /* the Host header, NULL when absent */
	struct http_param params[HTTP_PARAMS_MAX];
	size_t n_params;
};

/* Parses r->buf[0..r->len) in place. Returns 0, or the HTTP status to
 * answer with (400, 405, 414, 431, 505) and why in `why`. */
int http_parse_head(struct http_request *r, const char **why);

/* Decodes %XX and '+' (query only) in place. Returns -1 for a bad escape
 * or an encoded NUL. */
int http_decode(char *s, bool plus_is_space);

/* Reads a head from fd (a socket with a receive timeout) into r and parses
 * it. Returns 0, or the status to answer with (408 on a timeout, 431 when
 * the head is too long, or http_parse_head's) and why. */
int http_read_request(int fd, struct http_request *r, const char **why);

/* The value of query parameter name, NULL when absent. */
const char *http_param(const struct http_request *r, const char *name);

/* Writes status line, headers and (unless head_only) the body. Errors are
 * ignored: the client went away. */
void http_respond(int fd, int status, const char *content_type, const char *body, size_t len,
                  bool head_only, const char *extra_headers);

/* "Not Found" for 404, … */
const char *http_reason(int status);

#endif
