/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listen.c — see listen.h. inet_pton, not getaddrinfo: getaddrinfo accepts
 * host names and takes a port such as 99999 modulo 65536, so the endpoint
 * would bind another port than the one the configuration names.
 */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decimal 1..65535, digits only. Returns 0 or -1. */
static int parse_port(const char *s, uint16_t *out)
{
	unsigned long v = 0;
	if (*s == 0 || strlen(s) > 5)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static bool v6_loopback(const struct in6_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (IN6_IS_ADDR_LOOPBACK(a))
		return true;
	return memcmp(a->s6_addr, mapped, sizeof mapped) == 0 && a->s6_addr[12] == 127;
}

/* Fills out from a numeric host (brackets already removed). Returns 0 or -1. */
static int parse_host(const char *host, uint16_t port, struct bvapm_listen_addr *out)
{
	memset(&out->sa, 0, sizeof out->sa);
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->sa;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		out->len = sizeof *v4;
		out->loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		out->len = sizeof *v6;
		out->loopback = v6_loopback(&v6->sin6_addr);
	} else {
		return -1;
	}
	out->port = port;
	return 0;
}

int bvapm_listen_parse(const char *spec, struct bvapm_listen_addr *out, char *err, size_t errlen)
{
	char host[128];
	const char *colon = strrchr(spec, ':');
	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host) {
		snprintf(err, errlen, "[metrics] listen \"%s\" must be host:port (e.g. 127.0.0.1:9464)",
		         spec);
		return -EINVAL;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = 0;
	size_t hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = 0;
	}
	uint16_t port;
	if (parse_port(colon + 1, &port)) {
		snprintf(err, errlen, "[metrics] listen \"%s\": the port must be a number from 1 to 65535",
		         spec);
		return -EINVAL;
	}
	if (parse_host(host, port, out)) {
		snprintf(err, errlen,
		         "[metrics] listen \"%s\": \"%s\" is not a numeric IPv4 or IPv6 address", spec,
		         host);
		return -EINVAL;
	}
	return 0;
}
