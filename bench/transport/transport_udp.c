/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport_udp.c — UDP sendto() on loopback, the way Pinba-style PHP agents
 * ship their records: fire and forget to 127.0.0.1.
 *
 * Receiver: a UDP socket bound to 127.0.0.1 on a port the kernel picks, with
 * the default receive buffer (net.core.rmem_default, nothing set). sendto()
 * of a UDP datagram on loopback does not wait for the receiver: when the
 * receive buffer is full the kernel drops the datagram silently after
 * sendto() returned success. Those losses are read back from the socket's
 * drop counter (SO_MEMINFO, SK_MEMINFO_DROPS) and reported as
 * lost_in_transit, so delivered + dropped == attempted still holds exactly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "options.h"
#include "record.h"
#include "run.h"
#include "socket_common.h"
#include "transport.h"

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

struct udp_state {
	struct sockaddr_in addr;  /* 127.0.0.1:<kernel-chosen port> */
	int server_fd;
	unsigned char buf[BENCH_RECORD_MAX + 64];
};

struct udp_producer {
	const struct udp_state *state;
	int fd;
};

static int udp_setup(const struct bench_options *opts, const char *workdir, unsigned run_index,
                     void **out)
{
	struct udp_state *s = calloc(1, sizeof(*s));
	socklen_t alen = sizeof(s->addr);

	if (!s)
		return -ENOMEM;
	s->addr.sin_family = AF_INET;
	s->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->addr.sin_port = 0;
	s->server_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->server_fd < 0 ||
	    bind(s->server_fd, (const struct sockaddr *)&s->addr, sizeof(s->addr)) < 0 ||
	    getsockname(s->server_fd, (struct sockaddr *)&s->addr, &alen) < 0) {
		int e = errno;
		fprintf(stderr, "udp: bind 127.0.0.1: %s\n", strerror(e));
		if (s->server_fd >= 0)
			close(s->server_fd);
		free(s);
		return -e;
	}
	*out = s;
	return 0;
}

static int udp_consumer_open(void *state)
{
	struct udp_state *s = state;
	return bench_socket_consumer_setup(s->server_fd);
}

static int udp_consumer_poll(void *state, struct bench_sink *sink)
{
	struct udp_state *s = state;
	return bench_socket_poll(s->server_fd, s->buf, sizeof(s->buf), sink);
}

static int64_t udp_consumer_close(void *state)
{
	struct udp_state *s = state;
	uint32_t meminfo[SK_MEMINFO_VARS];
	socklen_t len = sizeof(meminfo);

	memset(meminfo, 0, sizeof(meminfo));
	if (getsockopt(s->server_fd, SOL_SOCKET, SO_MEMINFO, meminfo, &len) < 0 ||
	    len <= SK_MEMINFO_DROPS * sizeof(uint32_t)) {
		fprintf(stderr, "udp: SO_MEMINFO unavailable (%s): transit losses unknown\n",
		        strerror(errno));
		return -1;
	}
	return meminfo[SK_MEMINFO_DROPS];
}

static int udp_producer_open(void *state, void **out)
{
	struct udp_state *s = state;
	struct udp_producer *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	close(s->server_fd); /* the producer does not read */
	p->state = s;
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		int e = errno;
		fprintf(stderr, "udp: producer socket: %s\n", strerror(e));
		free(p);
		return -e;
	}
	*out = p;
	return 0;
}

static enum bench_outcome udp_send(void *producer, const void *record, uint32_t len)
{
	struct udp_producer *p = producer;
	ssize_t n = sendto(p->fd, record, len, 0, (const struct sockaddr *)&p->state->addr,
	                   sizeof(p->state->addr));
	return bench_socket_outcome(n, len, BENCH_DROP_WOULD_BLOCK);
}

static void udp_producer_close(void *producer)
{
	struct udp_producer *p = producer;
	close(p->fd);
	free(p);
}

static void udp_teardown(void *state)
{
	struct udp_state *s = state;
	close(s->server_fd);
	free(s);
}

const struct bench_transport bench_transport_udp = {
	.name = "udp",
	.description = "UDP sendto on 127.0.0.1 (the Pinba way)",
	.setup = udp_setup,
	.consumer_open = udp_consumer_open,
	.consumer_poll = udp_consumer_poll,
	.consumer_close = udp_consumer_close,
	.producer_open = udp_producer_open,
	.send = udp_send,
	.producer_close = udp_producer_close,
	.teardown = udp_teardown,
};
