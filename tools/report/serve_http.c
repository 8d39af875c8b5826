/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve_http.c — reading and parsing a request head, writing a response
 * (serve_http.h). Everything from the socket is untrusted: the head is
 * bounded, every byte of the request line is checked (no control bytes),
 * percent escapes must be well formed and may not encode NUL, and only GET
 * and HEAD are served. The path is matched exactly by the caller (no file
 * is ever opened from it), so "..", encoded or not, only finds a 404.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "serve_http.h"

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 421: return "Misdirected Request";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int http_decode(char *s, bool plus_is_space)
{
	char *w = s;
	for (char *p = s; *p; p++) {
		if (*p == '%') {
			int hi = hex(p[1]), lo = hi < 0 ? -1 : hex(p[2]);
			if (lo < 0 || (hi == 0 && lo == 0))
				return -1;
			*w++ = (char)(hi * 16 + lo);
			p += 2;
		} else if (*p == '+' && plus_is_space) {
			*w++ = ' ';
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return 0;
}

static int parse_query(struct http_request *r, char *q, const char **why)
{
	while (q && *q) {
		char *amp = strchr(q, '&');
		if (amp)
			*amp = '\0';
		if (*q) {
			if (r->n_params == HTTP_PARAMS_MAX) {
				*why = "too many query parameters";
				return 400;
			}
			char *eq = strchr(q, '=');
			if (eq)
				*eq = '\0';
			struct http_param *p = &r->params[r->n_params++];
			p->name = q;
			p->value = eq ? eq + 1 : q + strlen(q);
			if (http_decode(p->name, true) || http_decode(p->value, true)) {
				*why = "a malformed percent escape in the query";
				return 400;
			}
		}
		q = amp ? amp + 1 : NULL;
	}
	return 0;
}

int http_parse_head(struct http_request *r, const char **why)
{
	r->buf[r->len] = '\0';
	if (strlen(r->buf) != r->len) {
		*why = "a NUL byte in the request head";
		return 400;
	}
	char *eol = strstr(r->buf, "\r\n");
	if (eol == NULL) {
		*why = "no request line";
		return 400;
	}
	*eol = '\0';
	for (const char *p = r->buf; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f) {
			*why = "a control character in the request line";
			return 400;
		}
	char *method = r->buf, *sp1 = strchr(method, ' ');
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (sp1 == NULL || sp2 == NULL || strchr(sp2 + 1, ' ')) {
		*why = "the request line is not METHOD TARGET VERSION";
		return 400;
	}
	*sp1 = *sp2 = '\0';
	char *target = sp1 + 1, *version = sp2 + 1;
	if (strcmp(version, "HTTP/1.1") != 0 && strcmp(version, "HTTP/1.0") != 0) {
		*why = "only HTTP/1.0 and HTTP/1.1 are spoken here";
		return 505;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		*why = "only GET and HEAD: the pages only read";
		return 405;
	}
	r->head_only = method[0] == 'H';
	if (target[0] != '/') {
		*why = "the target is not a path";
		return 400;
	}
	if (strlen(target) > 2048) {
		*why = "the target is longer than 2048 bytes";
		return 414;
	}
	char *q = strchr(target, '?');
	if (q)
		*q++ = '\0';
	char *frag = q ? strchr(q, '#') : strchr(target, '#');
	if (frag)
		*frag = '\0';
	if (http_decode(target, false)) {
		*why = "a malformed percent escape in the path";
		return 400;
	}
	r->path = target;
	int rc = parse_query(r, q, why);
	if (rc)
		return rc;

	/* Headers: only Host matters (checked by the caller against where we
	 * listen, so that a page of another site cannot reach us by DNS
	 * rebinding). */
	for (char *line = eol + 2; *line && strncmp(line, "\r\n", 2) != 0;) {
		char *end = strstr(line, "\r\n");
		if (end == NULL)
			break;
		*end = '\0';
		char *colon = strchr(line, ':');
		if (colon == NULL) {
			*why = "a header line without a colon";
			return 400;
		}
		*colon = '\0';
		char *value = colon + 1;
		while (*value == ' ' || *value == '\t')
			value++;
		for (char *t = value + strlen(value); t > value && (t[-1] == ' ' || t[-1] == '\t');)
			*--t = '\0';
		if (strcasecmp(line, "Host") == 0) {
			if (r->host) {
				*why = "two Host headers";
				return 400;
			}
			r->host = value;
		}
		line = end + 2;
	}
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int http_read_request(int fd, struct http_request *r, const char **why)
{
	/* The whole head within 5 s, however it is sliced. */
	int64_t deadline = mono_ms() + 5000;
	r->len = 0;
	for (;;) {
		r->buf[r->len] = '\0';
		if (r->len >= 4 && strstr(r->buf, "\r\n\r\n"))
			return http_parse_head(r, why);
		if (r->len == HTTP_HEAD_MAX) {
			*why = "the request head is longer than 8 KiB";
			return 431;
		}
		int64_t left = deadline - mono_ms();
		struct pollfd pfd = {fd, POLLIN, 0};
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			*why = "the request head did not come within 5 s";
			return 408;
		}
		ssize_t n = recv(fd, r->buf + r->len, HTTP_HEAD_MAX - r->len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			*why = "the connection closed before the request head ended";
			return 400;
		}
		r->len += (size_t)n;
	}
}

const char *http_param(const struct http_request *r, const char *name)
{
	for (size_t i = 0; i < r->n_params; i++)
		if (strcmp(r->params[i].name, name) == 0)
			return r->params[i].value;
	return NULL;
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

void http_respond(int fd, int status, const char *content_type, const char *body, size_t len,
                  bool head_only, const char *extra_headers)
{
	char head[1024];
	/* The pages hold data from the store, which processes on the host wrote:
	 * no script but this server's runs, nothing is fetched from elsewhere,
	 * framed or cached, no referrer leaves. Inline styles are allowed: the
	 * flame graph's SVG carries its own <style>. */
	int n = snprintf(head, sizeof head,
	                 "HTTP/1.1 %d %s\r\n"
	                 "Content-Type: %s\r\n"
	                 "Content-Length: %zu\r\n"
	                 "Connection: close\r\n"
	                 "Cache-Control: no-store\r\n"
	                 "X-Content-Type-Options: nosniff\r\n"
	                 "X-Frame-Options: DENY\r\n"
	                 "Referrer-Policy: no-referrer\r\n"
	                 "Content-Security-Policy: default-src 'none'; script-src 'self'; "
	                 "style-src 'self' 'unsafe-inline'; img-src 'self'; connect-src 'self'; "
	                 "form-action 'self'; frame-ancestors 'none'; base-uri 'none'\r\n"
	                 "%s\r\n",
	                 status, http_reason(status), content_type, len,
	                 extra_headers ? extra_headers : "");
	if (n < 0 || (size_t)n >= sizeof head)
		return;
	write_all(fd, head, (size_t)n);
	if (!head_only)
		write_all(fd, body, len);
}
