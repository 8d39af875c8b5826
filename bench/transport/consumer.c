/* SPDX-License-Identifier: Apache-2.0 */
/*
 * consumer.c — the consumer process: attach, say so, then drain through the
 * transport's consumer_poll() into the checking sink until the parent says
 * every producer has exited and two polls in a row found nothing.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

#define IDLE_POLLS_TO_FINISH 2

void bench_consumer_main(const struct bench_transport *t, void *state,
                         const struct bench_options *opts, struct bench_shared *shared)
{
	struct bench_consumer_result *r = &shared->consumer;
	struct bench_sink sink = {.result = r, .producers = opts->producers};
	int idle = 0;
	int rc;

	for (unsigned i = 0; i < BENCH_MAX_PRODUCERS; i++)
		sink.last_seq[i] = -1;
	r->lost_in_transit = -1;

	rc = t->consumer_open(state);
	if (rc < 0) {
		r->error = rc;
		/* Release: the parent must see error before ready. */
		__atomic_store_n(&shared->consumer_ready, 1, __ATOMIC_RELEASE);
		_exit(1);
	}
	/* Release: attached before the parent starts producers. */
	__atomic_store_n(&shared->consumer_ready, 1, __ATOMIC_RELEASE);

	for (;;) {
		/* Acquire: read the flag before the poll, so a poll that finds
		 * nothing after it is set has seen every producer's records. */
		bool done = __atomic_load_n(&shared->producers_done, __ATOMIC_ACQUIRE);
		rc = t->consumer_poll(state, &sink);
		if (rc < 0) {
			r->error = rc;
			break;
		}
		if (rc == 0 && done) {
			if (++idle >= IDLE_POLLS_TO_FINISH)
				break;
		} else {
			idle = 0;
		}
	}
	r->lost_in_transit = t->consumer_close(state);
	_exit(r->error ? 1 : 0);
}
