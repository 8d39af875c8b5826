/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport_ring.c — bvapm's shared-memory ring (ring/ring.h): the transport
 * this harness exists to compare.
 *
 * Setup creates a private ring "bench-<pid>-<run>" in /dev/shm (or
 * $BVAPM_SHM_DIR) with --ring-capacity data bytes, pages pre-faulted, as the
 * drainer would, and closes the creating handle; the consumer process then
 * attaches as the ring's consumer, each producer as a producer (after fork,
 * as a PHP worker does). send() is bvapm_ring_write(): reserve, copy, commit,
 * no system call; a full ring drops at once (ring_full), exhausted CAS
 * retries drop too (ring_contention). prepare() is bvapm_ring_prepare(), which
 * the agent calls before encoding a record: it prefetches the lines the write
 * will touch; the harness times it apart from send().
 *
 * The consumer peeks batches, checks each record in place, releases them,
 * and sleeps --idle-poll-us (default 1 ms) when the ring is empty, as a
 * drainer polling an idle ring would; a 16 MiB ring holds far more than 1 ms
 * of records at any rate measured here. At the end
 * it prints the ring's repaired and invalid record counters to stderr when
 * they are not zero (neither should happen in a run without crashes); a
 * committed record is never lost, so lost_in_transit is 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "options.h"
#include "record.h"
#include "ring/ring.h"
#include "run.h"
#include "transport.h"

#define PEEK_BATCH 64
#define BENCH_RECORD_TYPE 0x7e57

struct ring_state {
	char name[BVAPM_RING_NAME_MAX];
	bvapm_ring *consumer;
	long idle_wait_ns;      /* --idle-poll-us */
};

static int ring_setup(const struct bench_options *opts, const char *workdir, unsigned run_index,
                      void **out)
{
	struct ring_state *s = calloc(1, sizeof(*s));
	struct bvapm_ring_error err = {0};
	bvapm_ring *ring = NULL;

	if (!s)
		return -ENOMEM;
	s->idle_wait_ns = (long)opts->idle_poll_us * 1000L;
	snprintf(s->name, sizeof(s->name), "bench-%ld-%u", (long)getpid(), run_index);
	struct bvapm_ring_create_opts copts = {
		.name = s->name,
		.capacity = opts->ring_capacity,
		.max_record = 0, /* the ring's default */
		.slot_count = 0,
		.mode = 0600,
		.group = (gid_t)-1,
		.prefault = true,
	};
	if (opts->size + BVAPM_RING_RECORD_HEADER > opts->ring_capacity / 2)
		copts.max_record = (uint32_t)(opts->ring_capacity / 2);
	int rc = bvapm_ring_create(&copts, &ring, &err);
	if (rc < 0) {
		fprintf(stderr, "ring: create %s: %s\n", s->name, err.msg[0] ? err.msg : strerror(-rc));
		free(s);
		return rc;
	}
	bvapm_ring_close(ring);
	*out = s;
	return 0;
}

static int ring_consumer_open(void *state)
{
	struct ring_state *s = state;
	struct bvapm_ring_error err = {0};
	int rc = bvapm_ring_open(s->name, BVAPM_RING_CONSUMER, &s->consumer, &err);

	if (rc < 0)
		fprintf(stderr, "ring: attach consumer: %s\n", err.msg[0] ? err.msg : strerror(-rc));
	return rc;
}

static int ring_consumer_poll(void *state, struct bench_sink *sink)
{
	struct ring_state *s = state;
	struct bvapm_ring_record recs[PEEK_BATCH];
	int n = bvapm_ring_peek(s->consumer, recs, PEEK_BATCH);

	if (n < 0) {
		fprintf(stderr, "ring: peek: %s\n", strerror(-n));
		return n;
	}
	if (n == 0) {
		struct timespec ts = {.tv_sec = s->idle_wait_ns / 1000000000L,
		                      .tv_nsec = s->idle_wait_ns % 1000000000L};
		nanosleep(&ts, NULL);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (recs[i].type != BENCH_RECORD_TYPE)
			sink->result->malformed++;
		else
			bench_sink_record(sink, recs[i].data, recs[i].len);
	}
	bvapm_ring_release(s->consumer, recs[n - 1].end);
	return n;
}

static int64_t ring_consumer_close(void *state)
{
	struct ring_state *s = state;
	struct bvapm_ring_stats st;

	if (bvapm_ring_stats(s->consumer, &st) == 0 &&
	    (st.lost[BVAPM_LOSS_REPAIRED] || st.invalid_records))
		fprintf(stderr, "ring: %llu repaired, %llu invalid records\n",
		        (unsigned long long)st.lost[BVAPM_LOSS_REPAIRED],
		        (unsigned long long)st.invalid_records);
	bvapm_ring_close(s->consumer);
	s->consumer = NULL;
	return 0;
}

static int ring_producer_open(void *state, void **out)
{
	struct ring_state *s = state;
	struct bvapm_ring_error err = {0};
	bvapm_ring *ring = NULL;
	int rc = bvapm_ring_open(s->name, BVAPM_RING_PRODUCER, &ring, &err);

	if (rc < 0) {
		fprintf(stderr, "ring: attach producer: %s\n", err.msg[0] ? err.msg : strerror(-rc));
		return rc;
	}
	*out = ring;
	return 0;
}

static enum bench_outcome ring_send(void *producer, const void *record, uint32_t len)
{
	int rc = bvapm_ring_write(producer, BENCH_RECORD_TYPE, record, len);

	switch (rc) {
	case 0:
		return BENCH_SENT;
	case -ENOSPC:
		return BENCH_DROP_RING_FULL;
	case -EBUSY:
		return BENCH_DROP_RING_CONTENTION;
	case -EMSGSIZE:
		return BENCH_DROP_TOO_BIG;
	default:
		return BENCH_DROP_OTHER;
	}
}

static void ring_prepare(void *producer, uint32_t len)
{
	bvapm_ring_prepare(producer, len);
}

static void ring_producer_close(void *producer)
{
	bvapm_ring_close(producer);
}

static void ring_teardown(void *state)
{
	struct ring_state *s = state;
	bvapm_ring_unlink(s->name);
	free(s);
}

const struct bench_transport bench_transport_ring = {
	.name = "ring",
	.description = "bvapm shared-memory ring, bvapm_ring_write (no system call)",
	.setup = ring_setup,
	.consumer_open = ring_consumer_open,
	.consumer_poll = ring_consumer_poll,
	.consumer_close = ring_consumer_close,
	.producer_open = ring_producer_open,
	.send = ring_send,
	.prepare = ring_prepare,
	.producer_close = ring_producer_close,
	.teardown = ring_teardown,
};
