/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve.c — `bvapm-report serve [--listen ADDR:PORT] [--allow-remote]`: the
 * report as web pages (serve_pages.c) on a loopback address by default.
 *
 * DESIGN. One thread, one connection at a time, each answered whole and
 * closed: a page is a few read-only queries, and a local tool for one
 * person needs no more; a client that sends its request head slowly is cut
 * off after 5 s (serve_http.c) so it cannot hold the server. There is no
 * authentication, so an address other than loopback (127.0.0.0/8, ::1)
 * needs --allow-remote and gets a warning. On loopback the Host header must
 * name a loopback address or localhost: a web page elsewhere cannot use
 * DNS rebinding to read the store through the person's browser.
 * SIGINT and SIGTERM stop it (exit 0); SIGPIPE is ignored (a client that
 * went away costs its own response only).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "serve.h"
#include "serve_http.h"

#define DEFAULT_LISTEN "127.0.0.1:8047"

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void answer(int fd, const struct serve_ctx *ctx, const char *peer)
{
	static struct http_request req; /* 8 KiB: not on the stack; one at a time */
	memset(&req, 0, sizeof req);
	const char *why = NULL;
	int64_t t0 = mono_ns();
	int status = http_read_request(fd, &req, &why);
	const char *path = status == 0 ? req.path : "-";
	if (status == 0 && !ctx->remote_ok && !serve_host_allowed(req.host, ctx->port)) {
		status = 421;
		why = "the Host header does not name this loopback address (127.0.0.1, localhost or "
		      "[::1] with the port): pages are only served to this machine";
	}
	if (status != 0) {
		char body[512];
		int n = snprintf(body, sizeof body, "%d %s: %s\n", status, http_reason(status), why);
		http_respond(fd, status, "text/plain; charset=utf-8", body, (size_t)n, false, NULL);
		/* What the client still sends is read and dropped for a moment, so
		 * that closing does not reset the connection before it has read
		 * why it was refused. */
		shutdown(fd, SHUT_WR);
		char sink[4096];
		struct pollfd pfd = {fd, POLLIN, 0};
		for (int k = 0; k < 16 && poll(&pfd, 1, 100) > 0 && recv(fd, sink, sizeof sink, 0) > 0;)
			k++;
	} else {
		status = serve_page(fd, ctx, &req);
	}
	fprintf(stderr, "bvapm-report serve: %s %s %d %.1f ms\n", peer, path, status,
	        (double)(mono_ns() - t0) / 1e6);
}

int report_serve(const struct report_opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	bool loopback = false;
	const char *listen_at = o->listen ? o->listen : DEFAULT_LISTEN;
	if (serve_parse_listen(listen_at, &ss, &len, &loopback) != 0) {
		fprintf(stderr, "bvapm-report: --listen %s: expected ADDRESS:PORT (127.0.0.1:8047, "
		                "[::1]:8047) or a port; the address is numeric or localhost\n",
		        listen_at);
		return REPORT_USAGE;
	}
	if (!loopback && !o->allow_remote) {
		fprintf(stderr, "bvapm-report: --listen %s is not a loopback address: the pages have "
		                "no authentication, so serving them beyond this machine needs "
		                "--allow-remote\n", listen_at);
		return REPORT_USAGE;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 16) != 0) {
		fprintf(stderr, "bvapm-report: cannot listen on %s: %s\n", listen_at, strerror(errno));
		if (fd >= 0)
			close(fd);
		return REPORT_ERROR;
	}
	struct sockaddr_storage bound;
	socklen_t blen = sizeof bound;
	getsockname(fd, (struct sockaddr *)&bound, &blen);
	char addr[INET6_ADDRSTRLEN] = "?";
	unsigned port;
	if (bound.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&bound)->sin6_addr, addr, sizeof addr);
		port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&bound)->sin_addr, addr, sizeof addr);
		port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
	}
	struct serve_ctx ctx = {.o = o, .port = port, .remote_ok = !loopback};

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!loopback)
		fprintf(stderr, "bvapm-report: WARNING: serving on %s, beyond this machine, with no "
		                "authentication: anyone who can reach it can read the store\n", listen_at);
	fprintf(stderr, "bvapm-report: serving %s on http://%s%s%s:%u/ (Ctrl-C stops)\n", o->db_path,
	        bound.ss_family == AF_INET6 ? "[" : "", addr, bound.ss_family == AF_INET6 ? "]" : "",
	        port);
	while (!stop_requested) {
		struct pollfd pfd = {fd, POLLIN, 0};
		if (poll(&pfd, 1, 500) <= 0)
			continue;
		struct sockaddr_storage peer;
		socklen_t plen = sizeof peer;
		int c = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		char who[INET6_ADDRSTRLEN] = "?";
		if (peer.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&peer)->sin6_addr, who, sizeof who);
		else if (peer.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr, who, sizeof who);
		struct timeval tv = {10, 0};
		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		answer(c, &ctx, who);
		close(c);
	}
	close(fd);
	fprintf(stderr, "bvapm-report: stopped serving\n");
	return REPORT_OK;
}
