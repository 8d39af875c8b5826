/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of drainer/pipeline.c, the delivery path the daemon runs: a
 * real pipeline (sink thread, breaker, spool in a temporary directory) in
 * front of a scripted fake sink that records every call with its times.
 *
 * Proves, per sink result: OK delivers; REJECTED and PARTIAL finish the
 * batch (counted, never resent) and count as the receiver being healthy, so
 * the next batch goes straight out; RETRY spools the batch at once and opens
 * the breaker, later batches are spooled without a send, and after the
 * backoff one half-open probe (the oldest segment) goes out: a failed probe
 * re-opens, a successful one (OK, REJECTED or PARTIAL) closes the breaker and
 * the spool is replayed oldest first, every record once. Backoffs start when
 * the failed send ended, never undercut [retry] min_ms, grow with jitter up
 * to [retry] max_ms, and give way to a longer Retry-After.
 *
 * Times are real (CLOCK_MONOTONIC milliseconds, the pipeline's own clock):
 * lower bounds are exact, upper bounds allow SLACK_MS of scheduling delay.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>

#include "support/bvapm_clock.h"
#include "drainer/log.h"
#include "drainer/pipeline.h"
#include "drainer/spool.h"
#include "drainer_test_util.h"

#define SLACK_MS 400u
#define MAX_CALLS 64
#define MAX_SEQ 64

/* ---- the fake sink --------------------------------------------------------- */

struct call {
	uint64_t start_ms, end_ms;    /* around the send, on the pipeline's clock */
	uint64_t first_seq;
	uint32_t n;
	enum bvapm_sink_status answer;
};

struct fake {
	pthread_mutex_t mu;
	enum bvapm_sink_status status; /* answer to every call until changed */
	uint32_t reject;               /* PARTIAL: records rejected per call */
	uint32_t retry_after_ms;       /* RETRY: Retry-After of the next call only */
	unsigned retry_delay_ms;       /* RETRY: how long the send takes */
	struct call calls[MAX_CALLS];
	int ncalls;
	int ok_count[MAX_SEQ + 1];     /* per sequence: times answered OK */
};

static struct fake F = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void fake_send(struct bvapm_sink *sink, const struct bvapm_sink_record *recs, size_t n,
                      struct bvapm_sink_result *out)
{
	(void)sink;
	uint64_t start = bvapm_mono_ms();
	pthread_mutex_lock(&F.mu);
	enum bvapm_sink_status st = F.status;
	uint32_t retry_after = F.retry_after_ms, reject = F.reject;
	unsigned delay = F.retry_delay_ms;
	F.retry_after_ms = 0;
	pthread_mutex_unlock(&F.mu);
	if (st == BVAPM_SINK_RETRY && delay)
		bvapm_sleep_ms(delay);

	memset(out, 0, sizeof *out);
	out->status = st;
	switch (st) {
	case BVAPM_SINK_OK:
		out->accepted = (uint32_t)n;
		break;
	case BVAPM_SINK_PARTIAL:
		out->rejected = reject < n ? reject : (uint32_t)n;
		out->accepted = (uint32_t)n - out->rejected;
		break;
	case BVAPM_SINK_REJECTED:
		out->rejected = (uint32_t)n;
		break;
	case BVAPM_SINK_RETRY:
		out->retry_after_ms = retry_after;
		break;
	}
	snprintf(out->message, sizeof out->message, "fake answer %d", (int)st);

	pthread_mutex_lock(&F.mu);
	if (F.ncalls < MAX_CALLS)
		F.calls[F.ncalls++] = (struct call){ start, bvapm_mono_ms(), recs[0].sequence,
		                                     (uint32_t)n, st };
	if (st == BVAPM_SINK_OK)
		for (size_t i = 0; i < n; i++)
			if (recs[i].sequence <= MAX_SEQ)
				F.ok_count[recs[i].sequence]++;
	pthread_mutex_unlock(&F.mu);
}

static void fake_destroy(struct bvapm_sink *sink)
{
	(void)sink;
}

static struct bvapm_sink fake_sink = { "fake", &F, fake_send, fake_destroy };

static void answer(enum bvapm_sink_status st)
{
	pthread_mutex_lock(&F.mu);
	F.status = st;
	pthread_mutex_unlock(&F.mu);
}

/* Sets one script field of the fake (read by the sink thread). */
#define FAKE_SET(field, v) do {                                          \
	pthread_mutex_lock(&F.mu);                                       \
	F.field = (v);                                                   \
	pthread_mutex_unlock(&F.mu);                                     \
} while (0)

static int ncalls(void)
{
	pthread_mutex_lock(&F.mu);
	int n = F.ncalls;
	pthread_mutex_unlock(&F.mu);
	return n;
}

static struct call call_at(int i)
{
	pthread_mutex_lock(&F.mu);
	struct call c = F.calls[i];
	pthread_mutex_unlock(&F.mu);
	return c;
}

/* ---- a pipeline with the fake sink ------------------------------------------ */

struct fixture {
	char *dir;
	struct bvapm_drainer_config cfg;
	struct bvapm_metrics m;
	struct bvapm_pipeline *p;
};

static struct fixture X;

static void start(uint32_t retry_min_ms, uint32_t retry_max_ms)
{
	char err[256] = "";
	pthread_mutex_lock(&F.mu);
	F.status = BVAPM_SINK_OK;
	F.reject = 0;
	F.retry_after_ms = 0;
	F.retry_delay_ms = 0;
	F.ncalls = 0;
	memset(F.ok_count, 0, sizeof F.ok_count);
	pthread_mutex_unlock(&F.mu);

	memset(&X, 0, sizeof X);
	X.dir = tu_tmpdir();
	assert_non_null(X.dir);
	bvapm_config_defaults(&X.cfg);
	snprintf(X.cfg.spool_dir, sizeof X.cfg.spool_dir, "%s", X.dir);
	X.cfg.poll_interval_ms = 1;
	X.cfg.retry_min_ms = retry_min_ms;
	X.cfg.retry_max_ms = retry_max_ms;
	struct bvapm_sink *sinks[1] = { &fake_sink };
	assert_int_equal(bvapm_pipeline_start(&X.p, &X.cfg, sinks, 1, &X.m, err, sizeof err), 0);
}

static void stop(void)
{
	assert_int_equal(bvapm_pipeline_stop(X.p, 5000), 0);
	bvapm_pipeline_destroy(X.p);
	tu_rmrf(X.dir);
	free(X.dir);
}

/* A batch of n request records with sequences first..first+n-1, as the
 * reader hands it over (one sink: pending 1). */
static struct bvapm_batch *batch(uint64_t first, uint32_t n)
{
	struct bvapm_batch *b = calloc(1, sizeof *b);
	assert_non_null(b);
	b->recs = calloc(n, sizeof *b->recs);
	b->data = aligned_alloc(8, (size_t)n * 4096);
	assert_non_null(b->recs);
	assert_non_null(b->data);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *buf = b->data + (size_t)i * 4096;
		size_t len = tu_request(buf, 4096, 7, 11, first + i);
		assert_true(len > 0);
		tu_sink_record(&b->recs[i], buf, len, 7, 11, first + i);
	}
	b->n = n;
	b->pending = 1;
	return b;
}

static void free_batch(struct bvapm_batch *b)
{
	free(b->recs);
	free(b->data);
	free(b);
}

static struct bvapm_batch *submit(uint64_t first, uint32_t n)
{
	struct bvapm_batch *b = batch(first, n);
	bvapm_pipeline_submit(X.p, b);
	return b;
}

/* Waits up to 10 s for cond to hold, then asserts it. */
#define ASSERT_SOON(cond) do {                                           \
	uint64_t deadline_ = bvapm_mono_ms() + 10000;                    \
	while (!(cond) && bvapm_mono_ms() < deadline_)                   \
		bvapm_sleep_ms(1);                                       \
	assert_true(cond);                                               \
} while (0)

#define SM(field) BVAPM_M_GET(X.m.sink[0].field)

/* ---- tests ----------------------------------------------------------------- */

static void test_ok_delivers(void **state)
{
	(void)state;
	start(100, 1000);
	struct bvapm_batch *b1 = submit(1, 3);
	ASSERT_SOON(bvapm_batch_done(b1));
	struct bvapm_batch *b2 = submit(4, 2);
	ASSERT_SOON(bvapm_batch_done(b2));
	stop();
	assert_int_equal(ncalls(), 2);
	assert_int_equal(call_at(0).n, 3);
	assert_int_equal(call_at(1).first_seq, 4);
	assert_int_equal(X.m.sink[0].delivered_records, 5);
	assert_int_equal(X.m.sink[0].up, 1);
	assert_int_equal(X.m.sink[0].failures, 0);
	assert_int_equal(X.m.sink[0].spooled_records, 0);
	free_batch(b1);
	free_batch(b2);
}

/* REJECTED (the receiver refuses the batch for good) and PARTIAL (it took
 * some): the batch is done, counted, not resent, and the breaker stays
 * closed — the next batch is sent at once, not spooled behind a backoff
 * (which would last [retry] min_ms = 5 s here). */
static void finished_not_resent(enum bvapm_sink_status st)
{
	start(5000, 5000);
	answer(st);
	FAKE_SET(reject, 2);
	struct bvapm_batch *b1 = submit(1, 5);
	ASSERT_SOON(bvapm_batch_done(b1));
	answer(BVAPM_SINK_OK);
	struct bvapm_batch *b2 = submit(6, 1);
	ASSERT_SOON(bvapm_batch_done(b2));
	bvapm_sleep_ms(100);
	stop();
	assert_int_equal(ncalls(), 2);
	assert_int_equal(call_at(0).first_seq, 1);
	assert_int_equal(call_at(1).first_seq, 6);
	assert_int_equal(X.m.sink[0].spooled_records, 0);
	assert_int_equal(X.m.sink[0].failures, 0);
	assert_int_equal(X.m.sink[0].up, 1);
	if (st == BVAPM_SINK_PARTIAL) {
		assert_int_equal(X.m.sink[0].rejected_records, 2);
		assert_int_equal(X.m.sink[0].delivered_records, 3 + 1);
	} else {
		assert_int_equal(X.m.sink[0].rejected_records, 5);
		assert_int_equal(X.m.sink[0].delivered_records, 1);
	}
	free_batch(b1);
	free_batch(b2);
}

static void test_rejected_done_breaker_closed(void **state)
{
	(void)state;
	finished_not_resent(BVAPM_SINK_REJECTED);
}

static void test_partial_done_breaker_closed(void **state)
{
	(void)state;
	finished_not_resent(BVAPM_SINK_PARTIAL);
}

/* RETRY: spooled at once, breaker open for exactly [retry] min_ms (= max_ms:
 * no jitter span); a batch arriving meanwhile is spooled without a send;
 * after the backoff the probe replays the oldest segment, then the rest. */
static void test_retry_spools_then_probe_replays(void **state)
{
	(void)state;
	const uint64_t backoff = 1000;
	start((uint32_t)backoff, (uint32_t)backoff);
	answer(BVAPM_SINK_RETRY);
	struct bvapm_batch *b1 = submit(1, 3);
	ASSERT_SOON(bvapm_batch_done(b1));
	assert_int_equal(SM(spooled_records), 3);
	assert_int_equal(SM(failures), 1);
	assert_int_equal(SM(up), 0);
	assert_int_equal(SM(delivered_records), 0);

	struct bvapm_batch *b2 = submit(4, 3);
	ASSERT_SOON(bvapm_batch_done(b2));
	uint64_t spooled_at = bvapm_mono_ms();
	struct call failed = call_at(0);
	assert_true(spooled_at < failed.end_ms + backoff); /* still inside the backoff */
	assert_int_equal(ncalls(), 1);                    /* so no send was made */
	assert_int_equal(SM(spooled_records), 6);

	answer(BVAPM_SINK_OK);
	ASSERT_SOON(SM(replayed_records) == 6);
	stop();
	assert_int_equal(ncalls(), 3);
	struct call probe = call_at(1), rest = call_at(2);
	assert_true(probe.start_ms >= failed.end_ms + backoff);
	assert_true(probe.start_ms <= failed.end_ms + backoff + SLACK_MS);
	assert_int_equal(probe.first_seq, 1);
	assert_int_equal(probe.n, 3);
	assert_int_equal(rest.first_seq, 4);
	assert_int_equal(rest.n, 3);
	for (int s = 1; s <= 6; s++)
		assert_int_equal(F.ok_count[s], 1);
	assert_int_equal(X.m.sink[0].delivered_records, 6);
	assert_int_equal(X.m.sink[0].up, 1);
	assert_int_equal(X.m.sink[0].failures, 1);
	free_batch(b1);
	free_batch(b2);
}

/* Every failed attempt — the first and each half-open probe — re-opens the
 * breaker for the backoff, counted from when the failed send ended (each
 * takes 150 ms here); a probe is one request (the oldest segment: the newer
 * one is never tried while the probe fails). */
static void test_failed_probe_reopens(void **state)
{
	(void)state;
	const uint64_t backoff = 200;
	start((uint32_t)backoff, (uint32_t)backoff);
	FAKE_SET(retry_delay_ms, 150);
	answer(BVAPM_SINK_RETRY);
	struct bvapm_batch *b1 = submit(1, 2);
	ASSERT_SOON(bvapm_batch_done(b1));
	struct bvapm_batch *b2 = submit(3, 2);
	ASSERT_SOON(bvapm_batch_done(b2));
	ASSERT_SOON(ncalls() >= 5);
	answer(BVAPM_SINK_OK);
	ASSERT_SOON(SM(replayed_records) == 4);
	stop();
	int n = ncalls();
	int failed = 0;
	for (int i = 0; i < n && call_at(i).answer == BVAPM_SINK_RETRY; i++) {
		failed++;
		assert_int_equal(call_at(i).first_seq, 1);
		if (i == 0)
			continue;
		uint64_t gap = call_at(i).start_ms - call_at(i - 1).end_ms;
		print_message("# attempt %d: %llu ms after the previous one ended\n", i,
		              (unsigned long long)gap);
		assert_true(gap >= backoff);
		assert_true(gap <= backoff + SLACK_MS);
	}
	assert_true(failed >= 5);
	assert_int_equal(X.m.sink[0].failures, (uint64_t)failed);
	assert_int_equal(n, failed + 2);
	assert_int_equal(call_at(failed).first_seq, 1);
	assert_true(call_at(failed).start_ms >= call_at(failed - 1).end_ms + backoff);
	assert_int_equal(call_at(failed + 1).first_seq, 3);
	for (int s = 1; s <= 4; s++)
		assert_int_equal(F.ok_count[s], 1);
	free_batch(b1);
	free_batch(b2);
}

/* A receiver's Retry-After longer than the backoff replaces it; a shorter
 * one does not shorten it. */
static void retry_after_case(uint32_t backoff, uint32_t retry_after)
{
	start(backoff, backoff);
	answer(BVAPM_SINK_RETRY);
	FAKE_SET(retry_after_ms, retry_after);
	struct bvapm_batch *b1 = submit(1, 1);
	ASSERT_SOON(bvapm_batch_done(b1));
	answer(BVAPM_SINK_OK);
	ASSERT_SOON(SM(replayed_records) == 1);
	stop();
	assert_int_equal(ncalls(), 2);
	uint64_t wait = retry_after > backoff ? retry_after : backoff;
	uint64_t gap = call_at(1).start_ms - call_at(0).end_ms;
	print_message("# backoff %u, Retry-After %u: next attempt after %llu ms\n", backoff,
	              retry_after, (unsigned long long)gap);
	assert_true(gap >= wait);
	assert_true(gap <= wait + SLACK_MS);
	free_batch(b1);
}

static void test_retry_after_longer_wins(void **state)
{
	(void)state;
	retry_after_case(50, 900);
}

static void test_retry_after_shorter_ignored(void **state)
{
	(void)state;
	retry_after_case(700, 100);
}

/* [retry] min_ms 30, max_ms 240, full jitter: the k-th backoff of an outage
 * lies in [30, min(240, 30 * 2^(k-1))]. Checks the floor, the ceilings (plus
 * scheduling slack) and that the backoffs do grow past 2 * min_ms. */
static void test_backoff_grows_with_jitter_to_max(void **state)
{
	(void)state;
	const uint64_t lo = 30, hi = 240;
	start((uint32_t)lo, (uint32_t)hi);
	answer(BVAPM_SINK_RETRY);
	struct bvapm_batch *b1 = submit(1, 1);
	ASSERT_SOON(ncalls() >= 10);
	answer(BVAPM_SINK_OK);
	ASSERT_SOON(SM(replayed_records) == 1);
	stop();
	uint64_t longest = 0;
	for (int k = 1; k < 10; k++) {
		uint64_t gap = call_at(k).start_ms - call_at(k - 1).end_ms;
		uint64_t ceiling = lo << (k - 1) < hi ? lo << (k - 1) : hi;
		print_message("# backoff %d: %llu ms (drawn from [%llu, %llu])\n", k,
		              (unsigned long long)gap, (unsigned long long)lo, (unsigned long long)ceiling);
		assert_true(gap >= lo);
		assert_true(gap <= ceiling + SLACK_MS);
		if (k >= 4 && gap > longest)
			longest = gap;
	}
	/* backoffs 4..9 are uniform in [30, 240]: all six at most 60 ms has
	 * probability (31/211)^6 < 1e-5 */
	assert_true(longest > 2 * lo);
	free_batch(b1);
}

/* The half-open probe answered REJECTED or PARTIAL: the receiver is up, the
 * breaker closes (the next batch goes out directly, not to the spool), the
 * probe's records are done and never sent again. */
/* The sink thread owns the spool: from this thread only its statistics,
 * which are atomics, may be read while the pipeline runs. */
static uint64_t spool_segments_now(void)
{
	struct bvapm_spool_stats st;
	bvapm_spool_get_stats(X.m.spool[0], &st);
	return st.segments;
}

static void probe_answer_closes(enum bvapm_sink_status st)
{
	start(300, 300);
	answer(BVAPM_SINK_RETRY);
	FAKE_SET(reject, 1);
	struct bvapm_batch *b1 = submit(1, 3);
	ASSERT_SOON(bvapm_batch_done(b1));
	answer(st);
	ASSERT_SOON(ncalls() == 2);
	ASSERT_SOON(spool_segments_now() == 0);
	answer(BVAPM_SINK_OK);
	struct bvapm_batch *b2 = submit(4, 2);
	ASSERT_SOON(bvapm_batch_done(b2));
	bvapm_sleep_ms(400);
	stop();
	assert_int_equal(ncalls(), 3);
	assert_int_equal(call_at(1).first_seq, 1);
	assert_int_equal(call_at(2).first_seq, 4);
	assert_int_equal(X.m.sink[0].spooled_records, 3); /* b1 only */
	assert_int_equal(X.m.sink[0].failures, 1);
	assert_int_equal(X.m.sink[0].up, 1);
	assert_int_equal(X.m.sink[0].rejected_records, st == BVAPM_SINK_PARTIAL ? 1 : 3);
	assert_int_equal(X.m.sink[0].delivered_records, (st == BVAPM_SINK_PARTIAL ? 2 : 0) + 2);
	free_batch(b1);
	free_batch(b2);
}

static void test_probe_rejected_closes(void **state)
{
	(void)state;
	probe_answer_closes(BVAPM_SINK_REJECTED);
}

static void test_probe_partial_closes(void **state)
{
	(void)state;
	probe_answer_closes(BVAPM_SINK_PARTIAL);
}

int main(void)
{
	bvapm_log_set_level(-1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_delivers),
		cmocka_unit_test(test_rejected_done_breaker_closed),
		cmocka_unit_test(test_partial_done_breaker_closed),
		cmocka_unit_test(test_retry_spools_then_probe_replays),
		cmocka_unit_test(test_failed_probe_reopens),
		cmocka_unit_test(test_retry_after_longer_wins),
		cmocka_unit_test(test_retry_after_shorter_ignored),
		cmocka_unit_test(test_backoff_grows_with_jitter_to_max),
		cmocka_unit_test(test_probe_rejected_closes),
		cmocka_unit_test(test_probe_partial_closes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
