/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run.c — runs one transport: shared mapping, consumer and producer
 * processes, then merges what they recorded into a bench_run_result and
 * checks that every record is accounted for.
 */
#include "run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define START_DELAY_NS UINT64_C(50000000)   /* producers start together 50 ms after forking */
#define CONSUMER_READY_TIMEOUT_NS UINT64_C(5000000000)
#define CONSUMER_DRAIN_TIMEOUT_NS UINT64_C(60000000000)

static void pause_briefly(void)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 1000000};
	nanosleep(&ts, NULL);
}

/* Waits for pid for at most timeout_ns; kills it after that. Returns its
 * exit status as waitpid reports it, or -ETIMEDOUT. */
static int wait_with_timeout(pid_t pid, uint64_t timeout_ns)
{
	uint64_t deadline = bench_now_ns() + timeout_ns;
	int status;

	for (;;) {
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			return status;
		if (got < 0 && errno != EINTR)
			return -errno;
		if (bench_now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -ETIMEDOUT;
		}
		pause_briefly();
	}
}

static void collect(const struct bench_options *opts, const struct bench_shared *sh,
                    struct bench_run_result *out)
{
	const struct bench_consumer_result *c = &sh->consumer;
	uint64_t elapsed_ns = 0;

	for (unsigned p = 0; p < opts->producers; p++) {
		const struct bench_producer_result *pr = &sh->producers[p];
		if (pr->error && !out->error)
			out->error = pr->error;
		out->scheduled += pr->scheduled;
		out->attempted += pr->attempted;
		out->warmup_attempted += pr->warmup_attempted;
		out->minor_faults += pr->minor_faults;
		for (int o = 0; o < BENCH_OUTCOME__COUNT; o++)
			out->outcomes[o] += pr->outcomes[o];
		if (c->delivered[p] > pr->outcomes[BENCH_SENT])
			out->producer_mismatches++;
		out->delivered += c->delivered[p];
		if (pr->elapsed_ns > elapsed_ns)
			elapsed_ns = pr->elapsed_ns;
		bench_hist_merge(out->latency, &pr->latency);
		bench_hist_merge(out->lag, &pr->lag);
		bench_hist_merge(out->prepare, &pr->prepare);
	}
	if (c->error && !out->error)
		out->error = c->error;
	out->accepted = out->outcomes[BENCH_SENT];
	out->dropped_at_send = out->attempted - out->accepted;
	out->lost_in_transit = c->lost_in_transit;
	out->lost = out->attempted - out->delivered;
	out->malformed = c->malformed;
	out->bad_checksum = c->bad_checksum;
	out->out_of_order = c->out_of_order;
	out->elapsed_s = (double)elapsed_ns / 1e9;
	out->throughput = out->elapsed_s > 0 ? (double)out->delivered / out->elapsed_s : 0;

	/* Accounting: accepted = delivered + lost_in_transit, exactly. A
	 * transport that cannot report transit losses must lose none. */
	uint64_t transit = out->lost_in_transit > 0 ? (uint64_t)out->lost_in_transit : 0;
	if (out->accepted >= out->delivered + transit)
		out->unexplained = out->accepted - out->delivered - transit;
	else
		out->unexplained = out->delivered + transit - out->accepted;
	out->accounted = out->error == 0 && out->unexplained == 0 && out->malformed == 0 &&
	                 out->bad_checksum == 0 && out->out_of_order == 0 &&
	                 out->producer_mismatches == 0;
}

static int start_processes(const struct bench_transport *t, void *state,
                           const struct bench_options *opts, struct bench_shared *sh,
                           pid_t *consumer, pid_t *producers)
{
	fflush(NULL);
	*consumer = fork();
	if (*consumer < 0)
		return -errno;
	if (*consumer == 0)
		bench_consumer_main(t, state, opts, sh);

	uint64_t deadline = bench_now_ns() + CONSUMER_READY_TIMEOUT_NS;
	/* Acquire: pairs with the consumer's release of consumer_ready. */
	while (!__atomic_load_n(&sh->consumer_ready, __ATOMIC_ACQUIRE)) {
		if (bench_now_ns() > deadline)
			return -ETIMEDOUT;
		pause_briefly();
	}
	if (sh->consumer.error)
		return sh->consumer.error;

	/* Release: the start instant is visible to every producer forked below. */
	__atomic_store_n(&sh->start_ns, bench_now_ns() + START_DELAY_NS, __ATOMIC_RELEASE);
	for (unsigned p = 0; p < opts->producers; p++) {
		producers[p] = fork();
		if (producers[p] < 0)
			return -errno;
		if (producers[p] == 0)
			bench_producer_main(t, state, opts, p, sh);
	}
	return 0;
}

int bench_run_transport(const struct bench_transport *t, const struct bench_options *opts,
                        const char *workdir, unsigned run_index, struct bench_run_result *out)
{
	size_t map_len = sizeof(struct bench_shared) +
	                 opts->producers * sizeof(struct bench_producer_result);
	pid_t consumer = -1;
	pid_t producers[BENCH_MAX_PRODUCERS];
	void *state = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->transport = t;
	out->latency = malloc(sizeof(*out->latency));
	out->lag = malloc(sizeof(*out->lag));
	out->prepare = malloc(sizeof(*out->prepare));
	if (!out->latency || !out->lag || !out->prepare)
		return -ENOMEM;
	bench_hist_init(out->latency);
	bench_hist_init(out->lag);
	bench_hist_init(out->prepare);
	for (unsigned p = 0; p < opts->producers; p++)
		producers[p] = -1;

	struct bench_shared *sh = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
	                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -errno;

	rc = t->setup(opts, workdir, run_index, &state);
	if (rc < 0) {
		out->error = rc;
		munmap(sh, map_len);
		return 0;
	}

	rc = start_processes(t, state, opts, sh, &consumer, producers);
	int status;
	for (unsigned p = 0; p < opts->producers; p++) {
		if (producers[p] <= 0)
			continue;
		while (waitpid(producers[p], &status, 0) < 0 && errno == EINTR)
			;
	}
	/* Release: every producer has exited; the consumer may finish. */
	__atomic_store_n(&sh->producers_done, 1, __ATOMIC_RELEASE);
	if (consumer > 0) {
		status = wait_with_timeout(consumer, CONSUMER_DRAIN_TIMEOUT_NS);
		if (status == -ETIMEDOUT) {
			fprintf(stderr, "%s: consumer did not finish draining; killed\n", t->name);
			if (rc == 0)
				rc = -ETIMEDOUT;
		}
	}
	t->teardown(state);

	collect(opts, sh, out);
	if (rc < 0 && !out->error)
		out->error = rc;
	out->accounted = out->accounted && out->error == 0;
	munmap(sh, map_len);
	return 0;
}

void bench_run_result_free(struct bench_run_result *r)
{
	free(r->latency);
	free(r->lag);
	free(r->prepare);
	r->latency = r->lag = r->prepare = NULL;
}
