/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run.h — one measured run of one transport: the processes, the shared
 * result mapping, and what the parent collects afterwards.
 *
 * Processes: the parent forks one consumer, waits until it is attached, then
 * forks `producers` producers that all start at the same instant
 * (start_ns), send for duration_s, record their own histograms and counters
 * into their slot of the shared anonymous mapping, and exit. The parent then
 * raises producers_done; the consumer drains what is left and exits. Only the
 * parent reads the mapping after both have exited (waitpid orders it).
 */
#ifndef BVAPM_BENCH_RUN_H
#define BVAPM_BENCH_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "bench/histogram.h"
#include "options.h"
#include "transport.h"

/* Written by one producer process. */
struct bench_producer_result {
	int error;                   /* negative errno if the producer could not run */
	uint64_t scheduled;          /* sends due before the deadline (open loop) */
	uint64_t attempted;          /* send() calls made, warm-up included */
	uint64_t warmup_attempted;   /* of which during the warm-up */
	uint64_t minor_faults;       /* page faults while measuring (whole process) */
	uint64_t outcomes[BENCH_OUTCOME__COUNT]; /* [BENCH_SENT] = accepted */
	uint64_t elapsed_ns;         /* first send to last send */
	struct bench_hist latency;   /* ns spent inside send() */
	struct bench_hist lag;       /* ns a send started after its scheduled time */
	struct bench_hist prepare;   /* ns spent inside prepare(), when the transport has one */
};

/* Written by the consumer process. */
struct bench_consumer_result {
	int error;                   /* negative errno if the consumer failed */
	uint64_t delivered[BENCH_MAX_PRODUCERS]; /* valid records per producer */
	uint64_t delivered_bytes;
	uint64_t malformed;          /* records with bad framing */
	uint64_t bad_checksum;       /* records whose checksum or trailer failed */
	uint64_t out_of_order;       /* seq not above the producer's previous one */
	int64_t lost_in_transit;     /* reported by the transport, -1 unknown */
};

/* The consumer's view while it drains: verifies and counts each record. */
struct bench_sink {
	struct bench_consumer_result *result;
	unsigned producers;
	int64_t last_seq[BENCH_MAX_PRODUCERS];
};

/* Verifies one received record and counts it (sink.c). */
void bench_sink_record(struct bench_sink *sink, const void *record, uint32_t len);

/* What the parent keeps of one transport's run. */
struct bench_run_result {
	const struct bench_transport *transport;
	int error;                 /* negative errno if the run could not be made */
	uint64_t scheduled, attempted, accepted, delivered; /* warm-up included */
	uint64_t warmup_attempted;
	uint64_t minor_faults;     /* all producers, measured window */
	uint64_t outcomes[BENCH_OUTCOME__COUNT];
	uint64_t dropped_at_send;  /* attempted - accepted */
	int64_t lost_in_transit;   /* as reported by the transport, -1 unknown */
	uint64_t unexplained;      /* accepted - delivered - lost_in_transit (must be 0) */
	uint64_t lost;             /* attempted - delivered */
	uint64_t malformed, bad_checksum, out_of_order;
	uint64_t producer_mismatches; /* producers with delivered > accepted */
	double elapsed_s;          /* longest producer's sending time */
	double throughput;         /* delivered records per second, all producers */
	struct bench_hist *latency; /* merged over producers (heap) */
	struct bench_hist *lag;
	struct bench_hist *prepare; /* empty (count 0) when no prepare() was made */
	bool accounted;            /* every check above passed */
};

/* Runs one transport with opts; workdir is the run's private temp dir.
 * Returns 0 and fills out (free with bench_run_result_free), or a negative
 * errno if processes or the mapping could not be made. A transport that
 * fails inside its processes is reported in out->error instead. */
int bench_run_transport(const struct bench_transport *t, const struct bench_options *opts,
                        const char *workdir, unsigned run_index, struct bench_run_result *out);

void bench_run_result_free(struct bench_run_result *r);

/* Producer and consumer process bodies (producer.c, consumer.c). */
struct bench_shared;
void bench_producer_main(const struct bench_transport *t, void *state,
                         const struct bench_options *opts, unsigned id,
                         struct bench_shared *shared) __attribute__((noreturn));
void bench_consumer_main(const struct bench_transport *t, void *state,
                         const struct bench_options *opts, struct bench_shared *shared)
	__attribute__((noreturn));

/* The shared anonymous mapping. Flags are accessed with __atomic builtins. */
struct bench_shared {
	uint32_t consumer_ready;   /* consumer attached (release by consumer) */
	uint32_t producers_done;   /* every producer exited (release by parent) */
	uint64_t start_ns;         /* CLOCK_MONOTONIC instant all producers start */
	struct bench_consumer_result consumer;
	struct bench_producer_result producers[]; /* opts->producers of them */
};

#endif
