/* SPDX-License-Identifier: Apache-2.0 */
/*
 * socket_common.h — pieces the datagram transports (Unix and UDP) share:
 * the receive loop of their consumer and errno-to-outcome mapping of sendto.
 */
#ifndef BVAPM_BENCH_SOCKET_COMMON_H
#define BVAPM_BENCH_SOCKET_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "transport.h"

struct bench_sink;

#define BENCH_RECV_WAIT_MS 10 /* a consumer poll waits at most this long */

/* Sets the receive timeout used by bench_socket_poll. Returns 0 or -errno. */
int bench_socket_consumer_setup(int fd);

/* Waits up to BENCH_RECV_WAIT_MS for one datagram, then takes whatever else
 * is queued without waiting (up to a batch), handing each to the sink.
 * Returns the number received, or -errno on an unexpected error. */
int bench_socket_poll(int fd, void *buf, size_t cap, struct bench_sink *sink);

/* Outcome of sendto() that returned n for a record of len bytes (errno
 * read when n < 0). would_block_reason: what EAGAIN means for the caller. */
enum bench_outcome bench_socket_outcome(ssize_t n, uint32_t len,
                                        enum bench_outcome would_block_reason);

#endif
