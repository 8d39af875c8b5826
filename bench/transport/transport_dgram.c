/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport_dgram.c — the seeds' transport (seeds/000_transmitter_plan.md):
 * a Unix SOCK_DGRAM socket with a 50 ms SO_SNDTIMEO, sendto() the listener's
 * path. Two variants:
 *
 *   dgram      sendto(..., 0): blocks while the receiver's queue is full,
 *              up to the 50 ms SO_SNDTIMEO, then EAGAIN (dropped: timeout)
 *   dgram-nb   sendto(..., MSG_DONTWAIT): never blocks; EAGAIN when the
 *              queue is full (dropped: would_block)
 *
 * Receiver: a bound SOCK_DGRAM socket with the kernel's default buffers
 * (SO_RCVBUF = net.core.rmem_default, nothing set). On Linux a Unix datagram
 * queue also holds at most net.unix.max_dgram_qlen datagrams (default 10);
 * beyond that senders block or get EAGAIN, whatever the buffer size.
 *
 * Each producer opens one socket and keeps it (as a long-lived worker would);
 * the seeds' PHP code also created and closed a socket per record, which
 * costs more, so these figures are the datagram transport's best case.
 * Accepted datagrams are never lost afterwards (lost_in_transit 0).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "options.h"
#include "record.h"
#include "run.h"
#include "socket_common.h"
#include "transport.h"

#define SEND_TIMEOUT_US 50000 /* the seeds' TRANSMIT_TIMEOUT_USEC */

struct dgram_state {
	struct sockaddr_un addr;
	int server_fd;
	int send_flags;                  /* 0 or MSG_DONTWAIT */
	enum bench_outcome eagain_means; /* timeout or would_block */
	unsigned char buf[BENCH_RECORD_MAX + 64];
};

struct dgram_producer {
	const struct dgram_state *state;
	int fd;
};

static int setup_common(const char *workdir, unsigned run_index, int send_flags,
                        enum bench_outcome eagain_means, void **out)
{
	struct dgram_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->send_flags = send_flags;
	s->eagain_means = eagain_means;
	s->addr.sun_family = AF_UNIX;
	int n = snprintf(s->addr.sun_path, sizeof(s->addr.sun_path), "%s/dgram-%u.sock",
	                 workdir, run_index);
	if (n < 0 || (size_t)n >= sizeof(s->addr.sun_path)) {
		fprintf(stderr, "dgram: socket path under '%s' is too long\n", workdir);
		free(s);
		return -ENAMETOOLONG;
	}
	s->server_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->server_fd < 0 ||
	    bind(s->server_fd, (const struct sockaddr *)&s->addr, sizeof(s->addr)) < 0) {
		int e = errno;
		fprintf(stderr, "dgram: bind %s: %s\n", s->addr.sun_path, strerror(e));
		if (s->server_fd >= 0)
			close(s->server_fd);
		free(s);
		return -e;
	}
	*out = s;
	return 0;
}

static int dgram_setup(const struct bench_options *opts, const char *workdir,
                       unsigned run_index, void **state)
{
	return setup_common(workdir, run_index, 0, BENCH_DROP_TIMEOUT, state);
}

static int dgram_nb_setup(const struct bench_options *opts, const char *workdir,
                          unsigned run_index, void **state)
{
	return setup_common(workdir, run_index, MSG_DONTWAIT, BENCH_DROP_WOULD_BLOCK, state);
}

static int dgram_consumer_open(void *state)
{
	struct dgram_state *s = state;
	return bench_socket_consumer_setup(s->server_fd);
}

static int dgram_consumer_poll(void *state, struct bench_sink *sink)
{
	struct dgram_state *s = state;
	return bench_socket_poll(s->server_fd, s->buf, sizeof(s->buf), sink);
}

static int64_t dgram_consumer_close(void *state)
{
	return 0; /* a Unix datagram accepted by sendto is queued: never lost */
}

static int dgram_producer_open(void *state, void **out)
{
	struct dgram_state *s = state;
	struct dgram_producer *p = calloc(1, sizeof(*p));
	struct timeval tv = {.tv_sec = 0, .tv_usec = SEND_TIMEOUT_US};

	if (!p)
		return -ENOMEM;
	/* The producer does not read: drop the inherited server socket. */
	close(s->server_fd);
	p->state = s;
	p->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		int e = errno;
		fprintf(stderr, "dgram: producer socket: %s\n", strerror(e));
		if (p->fd >= 0)
			close(p->fd);
		free(p);
		return -e;
	}
	*out = p;
	return 0;
}

static enum bench_outcome dgram_send(void *producer, const void *record, uint32_t len)
{
	struct dgram_producer *p = producer;
	ssize_t n = sendto(p->fd, record, len, p->state->send_flags,
	                   (const struct sockaddr *)&p->state->addr, sizeof(p->state->addr));
	return bench_socket_outcome(n, len, p->state->eagain_means);
}

static void dgram_producer_close(void *producer)
{
	struct dgram_producer *p = producer;
	close(p->fd);
	free(p);
}

static void dgram_teardown(void *state)
{
	struct dgram_state *s = state;
	close(s->server_fd);
	unlink(s->addr.sun_path);
	free(s);
}

const struct bench_transport bench_transport_dgram = {
	.name = "dgram",
	.description = "Unix SOCK_DGRAM sendto, 50 ms SO_SNDTIMEO (the seeds' transport)",
	.setup = dgram_setup,
	.consumer_open = dgram_consumer_open,
	.consumer_poll = dgram_consumer_poll,
	.consumer_close = dgram_consumer_close,
	.producer_open = dgram_producer_open,
	.send = dgram_send,
	.producer_close = dgram_producer_close,
	.teardown = dgram_teardown,
};

const struct bench_transport bench_transport_dgram_nb = {
	.name = "dgram-nb",
	.description = "Unix SOCK_DGRAM sendto with MSG_DONTWAIT",
	.setup = dgram_nb_setup,
	.consumer_open = dgram_consumer_open,
	.consumer_poll = dgram_consumer_poll,
	.consumer_close = dgram_consumer_close,
	.producer_open = dgram_producer_open,
	.send = dgram_send,
	.producer_close = dgram_producer_close,
	.teardown = dgram_teardown,
};
