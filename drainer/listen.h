/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listen.h — the metrics endpoint's address, "host:port": a numeric IPv4 or
 * IPv6 address (IPv6 may be written in brackets, "[::1]:9464") and a decimal
 * port from 1 to 65535. One parser serves the configuration check (start-up,
 * --check-config, SIGHUP) and the bind, so what is checked is what is bound;
 * it also says whether the address is loopback (127.0.0.0/8, ::1, or
 * ::ffff:127.0.0.0/104), which the configuration requires unless
 * [metrics] allow_remote is set.
 *
 * Threads: pure functions, any thread.
 */
#ifndef BVAPM_DRAINER_LISTEN_H
#define BVAPM_DRAINER_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct bvapm_listen_addr {
	struct sockaddr_storage sa; /* ready for bind() */
	socklen_t len;
	uint16_t port;
	bool loopback;
};

/* Parses spec. Returns 0, or -EINVAL with one sentence in err naming the
 * [metrics] listen value and what is wrong with it. */
int bvapm_listen_parse(const char *spec, struct bvapm_listen_addr *out, char *err, size_t errlen);

#endif
