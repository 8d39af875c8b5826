/* SPDX-License-Identifier: Apache-2.0 */
/*
 * socket_common.c — see socket_common.h.
 */
#include "socket_common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "run.h"

#define RECV_BATCH 1024

int bench_socket_consumer_setup(int fd)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = BENCH_RECV_WAIT_MS * 1000};

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		int e = errno;
		fprintf(stderr, "setsockopt(SO_RCVTIMEO): %s\n", strerror(e));
		return -e;
	}
	return 0;
}

int bench_socket_poll(int fd, void *buf, size_t cap, struct bench_sink *sink)
{
	int got = 0;

	for (int i = 0; i < RECV_BATCH; i++) {
		ssize_t n = recv(fd, buf, cap, i == 0 ? 0 : MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			int e = errno;
			fprintf(stderr, "recv: %s\n", strerror(e));
			return -e;
		}
		bench_sink_record(sink, buf, (uint32_t)n);
		got++;
	}
	return got;
}

enum bench_outcome bench_socket_outcome(ssize_t n, uint32_t len,
                                        enum bench_outcome would_block_reason)
{
	if (n == (ssize_t)len)
		return BENCH_SENT;
	if (n >= 0)
		return BENCH_DROP_SHORT_WRITE;
	switch (errno) {
	case EAGAIN:
		return would_block_reason;
	case ENOBUFS:
	case ENOMEM:
		return BENCH_DROP_NO_BUFFERS;
	case ECONNREFUSED:
	case ENOENT:
		return BENCH_DROP_REFUSED;
	case EMSGSIZE:
		return BENCH_DROP_TOO_BIG;
	default:
		return BENCH_DROP_OTHER;
	}
}
