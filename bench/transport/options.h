/* SPDX-License-Identifier: Apache-2.0 */
/*
 * options.h — the harness's settings and their command line.
 *
 *   bvapm-bench-transport [--transports LIST|all] [--producers N] [--size BYTES]
 *                         [--rate N|max] [--duration SECONDS] [--warmup SECONDS|auto]
 *                         [--json FILE]
 *                         [--cdf FILE] [--workdir DIR] [--ring-capacity BYTES]
 *                         [--idle-poll-us N]
 *                         [--no-prepare] [--quiet]
 */
#ifndef BVAPM_BENCH_OPTIONS_H
#define BVAPM_BENCH_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_PRODUCERS 64u
#define BENCH_MAX_TRANSPORTS 8u

struct bench_transport;

struct bench_options {
	const struct bench_transport *transports[BENCH_MAX_TRANSPORTS]; /* in run order */
	size_t transport_count;
	unsigned producers;      /* producer processes (default: online CPUs) */
	uint32_t size;           /* record bytes, multiple of 8 (default 512) */
	double rate;             /* records/s per producer, 0 = as fast as possible */
	double duration_s;       /* measured seconds per transport (default 5) */
	double warmup_s;         /* unmeasured seconds before that (default: auto) */
	uint64_t ring_capacity;  /* ring data bytes, power of two (default 16 MiB) */
	uint32_t idle_poll_us;   /* ring/file consumer's sleep when it finds nothing (default 1000) */
	const char *json_path;   /* write results as JSON here, NULL: don't */
	const char *cdf_path;    /* write CDF points for gnuplot here, NULL: don't */
	const char *workdir;     /* parent of the run's temp dir (sockets, spool) */
	bool quiet;              /* only SUMMARY lines on stdout */
	bool no_prepare;         /* never call a transport's prepare() */
	uint64_t build_ns;       /* time spent building each record before its send (default 0) */
};

/* Fills opts from argv. Returns 0 to run, 1 when --help was printed, or
 * -EINVAL after printing what is wrong to stderr. */
int bench_options_parse(struct bench_options *opts, int argc, char **argv);

#endif
