/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport.h — the small interface every measured transport implements.
 *
 * One run of one transport, all in the harness's processes:
 *
 *   parent    setup()            creates what the consumer reads from (ring
 *                                file, bound socket, spool file); forks
 *   consumer  consumer_open()    attaches (once, in the consumer process)
 *             consumer_poll()    repeatedly: hands every record it receives to
 *                                bench_sink_record(), waits briefly when idle
 *             consumer_close()   reports losses only the transport knows of
 *   producer  producer_open()    attaches (once per producer process)
 *             prepare()          optional, before the record is built (timed
                                apart: `prepare` in the report)
             send()             THE measured call: hand one record over
 *             producer_close()
 *   parent    teardown()         removes what setup() created
 *
 * State from setup() is inherited by the forked processes (copy-on-write);
 * nothing is shared between processes except through the transport itself and
 * the harness's result mapping (run.h).
 *
 * Errors: setup/consumer_open/producer_open/consumer_poll return 0 (poll: a
 * record count) or a negative errno, and write one line to stderr saying what
 * failed. send() never fails the run: it returns BENCH_SENT or the reason the
 * record was dropped.
 */
#ifndef BVAPM_BENCH_TRANSPORT_H
#define BVAPM_BENCH_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

struct bench_options;
struct bench_sink;

/* Outcome of one send() call: accepted, or why the record was dropped. */
enum bench_outcome {
	BENCH_SENT = 0,
	BENCH_DROP_TIMEOUT,        /* EAGAIN after the SO_SNDTIMEO budget (50 ms) */
	BENCH_DROP_WOULD_BLOCK,    /* EAGAIN with MSG_DONTWAIT: receiver queue full */
	BENCH_DROP_NO_BUFFERS,     /* ENOBUFS */
	BENCH_DROP_REFUSED,        /* ECONNREFUSED / ENOENT: no receiver */
	BENCH_DROP_RING_FULL,      /* ring: -ENOSPC */
	BENCH_DROP_RING_CONTENTION,/* ring: -EBUSY, bounded CAS retries exhausted */
	BENCH_DROP_TOO_BIG,        /* EMSGSIZE */
	BENCH_DROP_SHORT_WRITE,    /* write() or sendto() took part of the record */
	BENCH_DROP_NO_SPACE,       /* file: ENOSPC / EDQUOT */
	BENCH_DROP_OTHER,          /* any other errno */
	BENCH_OUTCOME__COUNT
};

/* Short snake_case name of an outcome, for tables and JSON keys. */
const char *bench_outcome_name(enum bench_outcome outcome);

struct bench_transport {
	const char *name;        /* CLI name: ring, dgram, dgram-nb, udp, file */
	const char *description; /* one line for the table */

	int (*setup)(const struct bench_options *opts, const char *workdir, unsigned run_index,
	             void **state);
	int (*consumer_open)(void *state);
	/* Returns the number of records handed to the sink (0 when it waited and
	 * nothing came), or a negative errno. Must not wait more than ~20 ms. */
	int (*consumer_poll)(void *state, struct bench_sink *sink);
	/* Records accepted by send() but lost afterwards, as the transport (e.g.
	 * the kernel's socket drop counter) reports them; -1 if none can be. */
	int64_t (*consumer_close)(void *state);

	int (*producer_open)(void *state, void **producer);
	enum bench_outcome (*send)(void *producer, const void *record, uint32_t len);
	/* Optional (NULL: none): what a producer may do ahead of a send of
	 * about len bytes, e.g. before encoding the record (the ring's
	 * prefetching bvapm_ring_prepare). Timed apart from send(). */
	void (*prepare)(void *producer, uint32_t len);
	void (*producer_close)(void *producer);

	void (*teardown)(void *state);
};

/* The transports this build knows, in the order they run. */
extern const struct bench_transport *const bench_transports[];
extern const size_t bench_transport_count;

/* Looks a transport up by CLI name; NULL if unknown or not built. */
const struct bench_transport *bench_transport_find(const char *name);

#endif
