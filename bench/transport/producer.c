/* SPDX-License-Identifier: Apache-2.0 */
/*
 * producer.c — one producer process: attach, then send records on an open-loop
 * schedule and time every send() call.
 *
 * Open loop: send i is due at start + i / rate. When the producer is early it
 * sleeps until the due time; when it is late (the previous call took longer
 * than the period) it sends at once, never skips, and records how late it
 * started in the `lag` histogram — so a slow call shows both as its own
 * latency and as lag of the sends queued behind it. The run ends at
 * start + warmup + duration: sends due but not started by then are
 * `scheduled - attempted` (the backlog). With rate 0 (max) sends go back to
 * back.
 *
 * Warm-up: sends due in the first warmup_s seconds are made and counted like
 * all others but kept out of the histograms, so the figures describe a
 * producer that has been attached for a while (for the ring: its page tables
 * already map the ring; a fresh producer takes one minor page fault per page
 * on its first lap). The measured window's minor faults are counted
 * (getrusage) and reported.
 *
 * Latency is the time around the send() call only (two CLOCK_MONOTONIC
 * readings): what a PHP request pays to hand one record over. A transport
 * with a prepare step (the ring's prefetch, which an agent makes before
 * encoding the record) has it called just before the record is built, and
 * timed into its own `prepare` histogram (reported beside the latency, not in
 * it); --no-prepare leaves it out. --build-ns gives the record a build time
 * between the two, as the agent's encoding is (the producer rewrites the
 * record's bytes from a copy until that time has passed): what the prepare
 * step's prefetches have to land in.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "record.h"
#include "run.h"

static uint64_t minor_faults(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_minflt : 0;
}

/* Number of sends whose due time start + i * period is before end, with the
 * same arithmetic as the send loop. */
static uint64_t sends_due_before(uint64_t start, uint64_t end, double period)
{
	uint64_t n = (uint64_t)((double)(end - start) / period);

	while (n > 0 && start + (uint64_t)((double)(n - 1) * period) >= end)
		n--;
	while (start + (uint64_t)((double)n * period) < end)
		n++;
	return n;
}

/* Rewrites record from its copy `built` until ns have passed since from. */
static void build_record(void *record, const void *built, uint32_t size, uint64_t from, uint64_t ns)
{
	do
		memcpy(record, built, size);
	while (bench_now_ns() - from < ns);
}

static void run_schedule(const struct bench_transport *t, void *producer, void *record,
                         const void *built, uint64_t payload_hash, const struct bench_options *opts,
                         struct bench_producer_result *r, uint64_t start)
{
	uint64_t measure_from = start + (uint64_t)(opts->warmup_s * 1e9);
	uint64_t end = measure_from + (uint64_t)(opts->duration_s * 1e9);
	double period = opts->rate > 0 ? 1e9 / opts->rate : 0;
	bool measuring = false;
	uint64_t faults_before = 0;
	uint64_t last = start;
	bool prepare = t->prepare != NULL && !opts->no_prepare;

	r->scheduled = opts->rate > 0 ? sends_due_before(start, end, period) : 0;
	bench_sleep_until(start);
	for (uint64_t seq = 0;; seq++) {
		uint64_t now = bench_now_ns();
		uint64_t due = now;

		if (opts->rate > 0) {
			due = start + (uint64_t)((double)seq * period);
			if (due >= end || now >= end)
				break;
			if (now < due) {
				bench_sleep_until(due);
				now = bench_now_ns();
			}
		} else if (now >= end) {
			break;
		}
		if (!measuring && due >= measure_from) {
			measuring = true;
			r->warmup_attempted = r->attempted;
			faults_before = minor_faults();
			now = bench_now_ns();
		}
		if (measuring && opts->rate > 0)
			bench_hist_record(&r->lag, now - due);

		if (prepare) {
			/* Before the record is built, as an agent calls it
			 * before encoding; timed on its own. */
			uint64_t p0 = bench_now_ns();
			t->prepare(producer, opts->size);
			uint64_t p1 = bench_now_ns();
			if (measuring)
				bench_hist_record(&r->prepare, p1 - p0);
		}
		if (opts->build_ns > 0)
			build_record(record, built, opts->size, bench_now_ns(), opts->build_ns);
		bench_record_stamp(record, payload_hash, seq);
		uint64_t t0 = bench_now_ns();
		enum bench_outcome outcome = t->send(producer, record, opts->size);
		uint64_t t1 = bench_now_ns();

		if (measuring)
			bench_hist_record(&r->latency, t1 - t0);
		r->outcomes[outcome < BENCH_OUTCOME__COUNT ? outcome : BENCH_DROP_OTHER]++;
		r->attempted++;
		last = t1;
	}
	if (measuring)
		r->minor_faults = minor_faults() - faults_before;
	if (opts->rate == 0)
		r->scheduled = r->attempted;
	r->elapsed_ns = last - start;
}

void bench_producer_main(const struct bench_transport *t, void *state,
                         const struct bench_options *opts, unsigned id,
                         struct bench_shared *shared)
{
	struct bench_producer_result *r = &shared->producers[id];
	void *producer = NULL;
	void *record = NULL;
	int rc;

	/* Wake from clock_nanosleep within ~1 us of the due time, not 50 us. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	bench_hist_init(&r->latency);
	bench_hist_init(&r->lag);
	bench_hist_init(&r->prepare);

	if (posix_memalign(&record, 64, opts->size) != 0) {
		r->error = -ENOMEM;
		_exit(1);
	}
	uint64_t payload_hash = bench_record_init(record, opts->size, id);
	void *built = malloc(opts->size); /* the record as built, for --build-ns */
	if (built == NULL) {
		r->error = -ENOMEM;
		_exit(1);
	}
	memcpy(built, record, opts->size);

	rc = t->producer_open(state, &producer);
	if (rc < 0) {
		r->error = rc;
		_exit(1);
	}
	/* Acquire: start_ns was published by the parent before the fork;
	 * reading it atomically documents that it is shared. */
	uint64_t start = __atomic_load_n(&shared->start_ns, __ATOMIC_ACQUIRE);
	run_schedule(t, producer, record, built, payload_hash, opts, r, start);
	t->producer_close(producer);
	free(built);
	free(record);
	_exit(0);
}
