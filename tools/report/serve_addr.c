/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve_addr.c — where `bvapm-report serve` listens and whom it answers:
 * the --listen forms (numeric addresses or localhost, never a name looked
 * up), whether an address is loopback, and the Host headers a loopback
 * server accepts (a loopback address or localhost with its port: what a
 * browser sends for a page of this server, and never for a name a page of
 * another site could point at us by DNS rebinding).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "serve.h"

int serve_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, bool *loopback)
{
	char host[128];
	const char *port_s;
	memset(ss, 0, sizeof *ss);
	if (s[0] == '[') { /* [::1]:8047 */
		const char *end = strchr(s, ']');
		if (end == NULL || end[1] != ':' || (size_t)(end - s - 1) >= sizeof host)
			return -1;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = '\0';
		port_s = end + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (colon == NULL) { /* a port alone */
			snprintf(host, sizeof host, "127.0.0.1");
			port_s = s;
		} else {
			if ((size_t)(colon - s) >= sizeof host || strchr(s, ':') != colon)
				return -1;
			memcpy(host, s, (size_t)(colon - s));
			host[colon - s] = '\0';
			port_s = colon + 1;
		}
	}
	char *end;
	long port = strtol(port_s, &end, 10);
	if (port_s[0] == '\0' || *end != '\0' || port < 0 || port > 65535)
		return -1;
	if (strcasecmp(host, "localhost") == 0 || host[0] == '\0')
		snprintf(host, sizeof host, "127.0.0.1");
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof *v4;
		*loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof *v6;
		*loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
		return 0;
	}
	return -1;
}

bool serve_host_allowed(const char *host, unsigned port)
{
	if (host == NULL)
		return false;
	static const char *const names[] = {"localhost", "127.0.0.1", "[::1]"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t n = strlen(names[i]);
		if (strncasecmp(host, names[i], n) != 0)
			continue;
		if (host[n] == '\0')
			return port == 80;
		char want[16];
		snprintf(want, sizeof want, ":%u", port);
		if (strcmp(host + n, want) == 0)
			return true;
	}
	/* Other loopback addresses someone chose with --listen 127.0.0.2:… */
	unsigned a, b, c, d, p;
	char tail;
	if (sscanf(host, "%u.%u.%u.%u:%u%c", &a, &b, &c, &d, &p, &tail) == 5 && a == 127 &&
	    b < 256 && c < 256 && d < 256 && p == port)
		return true;
	return false;
}

