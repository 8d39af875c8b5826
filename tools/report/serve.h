/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve.h — what serve.c (the listening socket) and serve_pages.c (the
 * pages) share: the server's settings, and the parsing the unit tests
 * check.
 */
#ifndef BVAPM_SERVE_H
#define BVAPM_SERVE_H

#include <stdbool.h>
#include <sys/socket.h>

#include "report.h"
#include "serve_http.h"

struct serve_ctx {
	const struct report_opts *o; /* --db, --ring, … */
	unsigned port;               /* the port we listen on */
	bool remote_ok;              /* --allow-remote with an address beyond loopback */
};

/* "127.0.0.1:8047", "[::1]:8047", "localhost:0", "8047" → ss. Returns 0,
 * or -1 when it is none of these. */
int serve_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, bool *loopback);
/* A Host header naming a loopback address or localhost with our port. */
bool serve_host_allowed(const char *host, unsigned port);

/* Answers one parsed request on fd; returns the status sent. */
int serve_page(int fd, const struct serve_ctx *ctx, const struct http_request *req);

#endif
