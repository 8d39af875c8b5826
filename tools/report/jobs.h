/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jobs.h — the jobs of long-running workers (jobs.c): per worker, the memory
 * left after each job, and whether it grows steadily (a leak: something the
 * worker keeps from one job to the next).
 *
 * A job is a request profile of kind Job (store schema 3, requests.kind 1;
 * in an older store, which an older drainer wrote, method "JOB");
 * its worker is the producer (pid, producer_start_unix_ns, with its host),
 * whose sequence numbers order its jobs. mem_end_bytes is the memory in use
 * when the job ended; a worker that leaks leaves a little more after every
 * job. The growth per job is the least-squares slope of mem_end_bytes over
 * the job's index (0, 1, 2, … in sequence order), and the fit's r² says how
 * well a straight line explains it.
 *
 * "Steady growth" (the verdict, and the summary's insight) needs all of:
 *   - at least REPORT_JOB_GROWTH_MIN_JOBS jobs: fewer say little;
 *   - a positive slope whose line rises by REPORT_JOB_GROWTH_MIN_BYTES or
 *     more over the worker's jobs (slope × (jobs − 1)): less is noise
 *     against a PHP process's tens of MiB;
 *   - r² >= REPORT_JOB_GROWTH_MIN_R2: memory rising job after job, not up
 *     and down around a level (a cache filled and flushed: r² near 0) and
 *     not one step (a cache filled once: the r² of a single step is 3p(1−p)
 *     for a step after a share p of the jobs, at most about 0.75, whatever
 *     its height).
 *
 * Cost: one pass over the selected jobs only, in worker and sequence order,
 * through the partial index requests_job_worker (no scan of the requests,
 * no sort); per worker a few accumulators and its job names while it is
 * read. Not thread-safe (one command, one thread).
 */
#ifndef BVAPM_REPORT_JOBS_H
#define BVAPM_REPORT_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"

#define REPORT_JOB_GROWTH_MIN_JOBS 20
#define REPORT_JOB_GROWTH_MIN_BYTES (1024.0 * 1024.0)
#define REPORT_JOB_GROWTH_MIN_R2 0.8
/* The rule in words, for the reports (the three figures above). */
#define REPORT_JOB_GROWTH_RULE ">= 20 jobs, a line rising >= 1 MiB in all, fit >= 0.8"

/* A running least-squares fit of y over x = 0, 1, 2, … (one value per job,
 * in order). Welford-style updates: no sum of squares of values near 2^30
 * that would lose the slope to cancellation. Zero it to start. */
struct job_fit {
	int64_t n;
	double mean_x, mean_y;
	double sxx, syy, sxy; /* sums of squared deviations and of their products */
};

void report_job_fit_add(struct job_fit *f, double y);
/* The slope (y per job); 0 with fewer than 2 values. */
double report_job_fit_slope(const struct job_fit *f);
/* r² of the fit, in [0, 1]; 0 when y or x does not vary. */
double report_job_fit_r2(const struct job_fit *f);
/* The verdict above. */
bool report_job_fit_steady_growth(const struct job_fit *f);

/* One worker with at least 2 selected jobs. */
struct job_worker {
	char *host;                     /* "" when the records had none */
	int64_t pid, producer_start_unix_ns;
	char *job;                      /* its most frequent job name (ties: the first by name) */
	int64_t jobs;                   /* selected jobs */
	int64_t mem_first, mem_last;    /* mem_end_bytes after its first and its last job */
	double slope, r2;               /* growth per job (bytes), fit */
	bool steady_growth;
};

struct job_workers {
	struct job_worker *v;
	size_t n, cap;
};

/* Fills w (zeroed by the caller) with the workers of r's selected jobs,
 * ordered by growth per job, largest first (then pid). In a store without
 * requests.kind the jobs are the requests whose method is "JOB". Returns 0, or -1 after a failed
 * query (printed) or allocation; report_job_workers_free applies either way. */
int report_job_workers_load(struct report *r, struct job_workers *w);
void report_job_workers_free(struct job_workers *w);

#endif
