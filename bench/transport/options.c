/* SPDX-License-Identifier: Apache-2.0 */
/*
 * options.c — command-line parsing and validation for bvapm-bench-transport.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "transport.h"

static void usage(FILE *out, const char *argv0)
{
	fprintf(out,
	        "usage: %s [options]\n"
	        "Measures what handing one record over costs a producer, per transport,\n"
	        "each under the same settings in one run.\n\n"
	        "  --transports LIST   comma-separated, or 'all' (default all):\n",
	        argv0);
	for (size_t i = 0; i < bench_transport_count; i++)
		fprintf(out, "                        %-9s %s\n", bench_transports[i]->name,
		        bench_transports[i]->description);
	fprintf(out,
	        "  --producers N       producer processes (default: online CPUs, max %u)\n"
	        "  --size BYTES        record size, multiple of 8, %u..%u (default 512)\n"
	        "  --rate N|max        records per second per producer, open loop (default 20000);\n"
	        "                      'max' sends back to back\n"
	        "  --duration SECONDS  measured time per transport, fractions allowed (default 5)\n"
	        "  --warmup S|auto     sending before the measured time, not in the histograms\n"
	        "                      but in every count; auto (default): long enough to write\n"
	        "                      the ring once over, 1..10 s; 0 measures a cold start\n"
	        "  --json FILE         write the results as JSON\n"
	        "  --cdf FILE          write latency CDF points (gnuplot blocks) for plotting\n"
	        "  --workdir DIR       where the run's sockets and spool file go (default $TMPDIR or /tmp)\n"
	        "  --ring-capacity B   ring data bytes, power of two (default 16777216)\n"
	        "  --idle-poll-us N    ring and file consumers sleep N us when they find nothing\n"
	        "                      (default 1000; socket consumers block in recv instead)\n"
	        "  --no-prepare        do not call a transport's prepare step (the ring's\n"
	        "                      bvapm_ring_prepare) before building each record\n"
	        "  --build-ns N        spend N ns building each record (rewriting its bytes, as\n"
	        "                      an encoder writes its buffer) between the prepare step and\n"
	        "                      the send, outside the timed call; the agent encodes a\n"
	        "                      typical request record in about 750 (default 0)\n"
	        "  --quiet             print only the SUMMARY lines\n"
	        "Exit status: 0 when every record is accounted for (delivered + dropped ==\n"
	        "attempted) and none failed its checksum; 1 otherwise; 2 on usage errors.\n",
	        BENCH_MAX_PRODUCERS, BENCH_RECORD_MIN, BENCH_RECORD_MAX);
}

static int parse_transports(struct bench_options *opts, const char *list)
{
	opts->transport_count = 0;
	if (strcmp(list, "all") == 0) {
		for (size_t i = 0; i < bench_transport_count && i < BENCH_MAX_TRANSPORTS; i++)
			opts->transports[opts->transport_count++] = bench_transports[i];
		return 0;
	}

	char *copy = strdup(list);
	char *save = NULL;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		const struct bench_transport *t = bench_transport_find(name);
		if (!t) {
			fprintf(stderr, "unknown or not built transport '%s' (see --help)\n", name);
			rc = -EINVAL;
			break;
		}
		if (opts->transport_count == BENCH_MAX_TRANSPORTS) {
			fprintf(stderr, "at most %u transports per run\n", BENCH_MAX_TRANSPORTS);
			rc = -EINVAL;
			break;
		}
		opts->transports[opts->transport_count++] = t;
	}
	free(copy);
	if (rc == 0 && opts->transport_count == 0) {
		fprintf(stderr, "--transports: empty list\n");
		rc = -EINVAL;
	}
	return rc;
}

/* Long enough for the producers together to write the whole ring once at the
 * configured rate (so each has touched, and mapped, every page of it), at
 * least 1 s and at most 10 s; 1 s at max rate. The same for every transport
 * of the run. */
static double auto_warmup_s(const struct bench_options *opts)
{
	if (opts->rate <= 0)
		return 1.0;
	double bytes_per_s = opts->rate * opts->producers * (opts->size + 16.0);
	double lap_s = 1.1 * (double)opts->ring_capacity / bytes_per_s;
	return lap_s < 1.0 ? 1.0 : lap_s > 10.0 ? 10.0 : lap_s;
}

static int parse_number(const char *flag, const char *text, double min, double max, double *out)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end != '\0' || !isfinite(v) || v < min || v > max) {
		fprintf(stderr, "%s: '%s' is not a number in [%g, %g]\n", flag, text, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int bench_options_parse(struct bench_options *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"transports", required_argument, NULL, 't'},
		{"producers", required_argument, NULL, 'p'},
		{"size", required_argument, NULL, 's'},
		{"rate", required_argument, NULL, 'r'},
		{"duration", required_argument, NULL, 'd'},
		{"warmup", required_argument, NULL, 'W'},
		{"json", required_argument, NULL, 'j'},
		{"cdf", required_argument, NULL, 'c'},
		{"workdir", required_argument, NULL, 'w'},
		{"ring-capacity", required_argument, NULL, 'R'},
		{"idle-poll-us", required_argument, NULL, 'P'},
		{"quiet", no_argument, NULL, 'q'},
		{"no-prepare", no_argument, NULL, 'N'},
		{"build-ns", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	const char *tmp = getenv("TMPDIR");
	double v;
	int c;

	memset(opts, 0, sizeof(*opts));
	opts->producers = cpus > 0 ? (unsigned)cpus : 1;
	if (opts->producers > BENCH_MAX_PRODUCERS)
		opts->producers = BENCH_MAX_PRODUCERS;
	opts->size = 512;
	opts->rate = 20000;
	opts->duration_s = 5;
	opts->warmup_s = -1;
	opts->ring_capacity = UINT64_C(16) << 20;
	opts->idle_poll_us = 1000;
	opts->workdir = tmp && *tmp ? tmp : "/tmp";
	if (parse_transports(opts, "all") < 0)
		return -EINVAL;

	while ((c = getopt_long(argc, argv, "t:p:s:r:d:W:j:c:w:R:P:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_transports(opts, optarg) < 0)
				return -EINVAL;
			break;
		case 'p':
			if (parse_number("--producers", optarg, 1, BENCH_MAX_PRODUCERS, &v) < 0)
				return -EINVAL;
			opts->producers = (unsigned)v;
			break;
		case 's':
			if (parse_number("--size", optarg, BENCH_RECORD_MIN, BENCH_RECORD_MAX, &v) < 0)
				return -EINVAL;
			opts->size = (uint32_t)v;
			if (opts->size % 8 != 0) {
				fprintf(stderr, "--size: %u is not a multiple of 8\n", opts->size);
				return -EINVAL;
			}
			break;
		case 'r':
			if (strcmp(optarg, "max") == 0)
				opts->rate = 0;
			else if (parse_number("--rate", optarg, 1, 1e9, &opts->rate) < 0)
				return -EINVAL;
			break;
		case 'd':
			if (parse_number("--duration", optarg, 0.01, 3600, &opts->duration_s) < 0)
				return -EINVAL;
			break;
		case 'W':
			if (strcmp(optarg, "auto") == 0)
				opts->warmup_s = -1;
			else if (parse_number("--warmup", optarg, 0, 3600, &opts->warmup_s) < 0)
				return -EINVAL;
			break;
		case 'j':
			opts->json_path = optarg;
			break;
		case 'c':
			opts->cdf_path = optarg;
			break;
		case 'w':
			opts->workdir = optarg;
			break;
		case 'R':
			if (parse_number("--ring-capacity", optarg, 4096, 17179869184.0, &v) < 0)
				return -EINVAL;
			opts->ring_capacity = (uint64_t)v;
			if (opts->ring_capacity & (opts->ring_capacity - 1)) {
				fprintf(stderr, "--ring-capacity: not a power of two\n");
				return -EINVAL;
			}
			break;
		case 'P':
			if (parse_number("--idle-poll-us", optarg, 0, 1000000, &v) < 0)
				return -EINVAL;
			opts->idle_poll_us = (uint32_t)v;
			break;
		case 'q':
			opts->quiet = true;
			break;
		case 'N':
			opts->no_prepare = true;
			break;
		case 'B':
			if (parse_number("--build-ns", optarg, 0, 1e9, &v) < 0)
				return -EINVAL;
			opts->build_ns = (uint64_t)v;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 1;
		default:
			usage(stderr, argv[0]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (opts->warmup_s < 0)
		opts->warmup_s = auto_warmup_s(opts);
	return 0;
}
