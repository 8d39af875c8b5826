/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report.h — turning run results into the table, the SUMMARY lines, the
 * ratios against the ring, the JSON file and the CDF data for gnuplot.
 */
#ifndef BVAPM_BENCH_REPORT_H
#define BVAPM_BENCH_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "options.h"
#include "run.h"

struct bench_report {
	const struct bench_options *opts;
	uint64_t timer_overhead_ns;
	const struct bench_run_result *runs; /* one per transport, in run order */
	size_t run_count;
};

/* The human table (skipped with --quiet) and one SUMMARY line per
 * transport, then the ratios and a final `SUMMARY ratios ...` line. */
void bench_report_print(const struct bench_report *rep, FILE *out);

/* Writes the results as JSON to path. Returns 0 or -errno (message on stderr). */
int bench_report_write_json(const struct bench_report *rep, const char *path);

/* Writes one gnuplot data block per transport: a title line, then
 * "latency_ns cumulative_fraction" points; blocks separated by two blank
 * lines (gnuplot `index`). Returns 0 or -errno. */
int bench_report_write_cdf(const struct bench_report *rep, const char *path);

#endif
