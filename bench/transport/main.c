/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c — bvapm-bench-transport: parse options, run each chosen transport in
 * turn under the same settings, report. The logic lives in the other files
 * of bench/transport/ (linked as a static library).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "options.h"
#include "report.h"
#include "run.h"

int main(int argc, char **argv)
{
	struct bench_options opts;
	struct bench_run_result runs[BENCH_MAX_TRANSPORTS];
	char workdir[4096];
	int rc = bench_options_parse(&opts, argc, argv);
	int status = 0;

	if (rc != 0)
		return rc > 0 ? 0 : 2;

	snprintf(workdir, sizeof(workdir), "%s/bvapm-bench-XXXXXX", opts.workdir);
	if (!mkdtemp(workdir)) {
		fprintf(stderr, "mkdtemp %s: %s\n", workdir, strerror(errno));
		return 1;
	}

	struct bench_report rep = {
		.opts = &opts,
		.timer_overhead_ns = bench_timer_overhead_ns(),
		.runs = runs,
		.run_count = opts.transport_count,
	};
	for (size_t i = 0; i < opts.transport_count; i++) {
		rc = bench_run_transport(opts.transports[i], &opts, workdir, (unsigned)i, &runs[i]);
		if (rc < 0) {
			fprintf(stderr, "%s: %s\n", opts.transports[i]->name, strerror(-rc));
			runs[i].error = rc;
		}
		if (!runs[i].accounted)
			status = 1;
	}
	rmdir(workdir);

	bench_report_print(&rep, stdout);
	if (opts.json_path && bench_report_write_json(&rep, opts.json_path) < 0)
		status = 1;
	if (opts.cdf_path && bench_report_write_cdf(&rep, opts.cdf_path) < 0)
		status = 1;
	for (size_t i = 0; i < opts.transport_count; i++)
		bench_run_result_free(&runs[i]);
	return status;
}
