/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline.c — see pipeline.h for the policy.
 *
 * Threads: the reader enqueues (cds_wfcq_enqueue: wait-free, any number of
 * enqueuers); each sink thread is the only dequeuer of its queue
 * (__cds_wfcq_dequeue_blocking without the queue mutex is allowed with a
 * single dequeuer). `pressure`, `evict_fill`, `stop` and `replayed` are
 * flags with relaxed/acquire-release atomics as noted where used.
 *
 * A full spool (its bound or its disk) is not a reason to lose records: the
 * batches stay in memory, memory fills, the reader stops taking records and
 * they wait in the ring. Only when the reader reports the ring nearly full
 * ([spool] evict_pct, `evict_fill`) may the spool evict its oldest segments
 * to take the held batches. Evictions are counted in the spool's tally and
 * reported to the sink as a statistics record (report_evictions), so the
 * store shows them as loss.
 */
#include "pipeline.h"
#include "log.h"
#include "record/record.h"
#include "sinks.h"
#include "spool.h"
#include "breaker.h"
#include "wake.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "support/bvapm_clock.h"
#include "support/bvapm_tsan.h"

struct sink_thread {
	struct bvapm_pipeline *p;
	int idx;
	struct bvapm_sink *sink;
	struct bvapm_spool *spool;
	struct cds_wfcq_head qhead;
	struct cds_wfcq_tail qtail;
	pthread_t th;
	bool started;
	int exited;              /* atomic: thread left its loop */
	struct bvapm_batch **held; /* batches in memory, oldest first */
	size_t nheld, capheld;
	struct bvapm_breaker breaker; /* per-sink circuit breaker (breaker.h) */
	uint64_t next_spool_ms;  /* spool write failed: no new attempt before this */
	bool spool_blocked;      /* the spool had no room for the held batches */
	uint64_t blocked_since_ms, blocked_logged_ms;
	struct bvapm_wake wake;   /* reader -> this thread: batches queued */
	_Alignas(8) uint8_t report[1024]; /* the eviction report being delivered */
};

struct bvapm_pipeline {
	const struct bvapm_drainer_config *cfg;
	struct bvapm_metrics *m;
	int nsinks;
	int pressure;            /* atomic flag, relaxed: a hint */
	unsigned evict_fill;     /* atomic, relaxed (a hint, like pressure): 0, or the ring
	                          * fill (%) at which a full spool may evict */
	int stop;                /* atomic flag: release by stop(), acquire by threads */
	int replayed;            /* atomic count of threads done with start-up replay */
	struct bvapm_wake *reader_wake; /* this -> reader: batches became safe */
	struct sink_thread t[BVAPM_MAX_SINKS];
};

/* ---- retry policy: the per-sink circuit breaker ------------------------- */

/* May a send go out now? Only called right before a send (allow() may turn
 * an expired OPEN breaker into HALF_OPEN and let this send be the probe). */
static bool sink_ready(struct sink_thread *t, uint64_t now)
{
	return bvapm_breaker_allow(&t->breaker, now);
}

/* Side-effect-free: would sink_ready() say yes? */
static bool sink_may_send(struct sink_thread *t, uint64_t now)
{
	return bvapm_breaker_next_attempt_ms(&t->breaker, now) <= now;
}

static void sink_failed(struct sink_thread *t, uint64_t now, uint32_t retry_after_ms)
{
	bvapm_breaker_failure(&t->breaker, now, retry_after_ms);
	BVAPM_M_ADD(t->p->m->sink[t->idx].failures, 1);
	BVAPM_M_SET(t->p->m->sink[t->idx].up, 0);
}

static void sink_succeeded(struct sink_thread *t)
{
	bvapm_breaker_success(&t->breaker, bvapm_mono_ms());
	BVAPM_M_SET(t->p->m->sink[t->idx].up, 1);
}

/* ---- held batches ---------------------------------------------------------- */

static void take_queue(struct sink_thread *t)
{
	struct cds_wfcq_node *node;
	while ((node = __cds_wfcq_dequeue_blocking(&t->qhead, &t->qtail))) {
		bvapm_tsan_acquire(node); /* the queue's ordering, for TSan */
		struct bvapm_batch *b = caa_container_of(node, struct bvapm_batch, node[t->idx]);
		if (t->nheld == t->capheld) {
			size_t ncap = t->capheld ? t->capheld * 2 : 64;
			struct bvapm_batch **n = realloc(t->held, ncap * sizeof *n);
			if (!n) {
				/* Keep it queued: retried on the next pass. */
				bvapm_tsan_release(node);
				cds_wfcq_enqueue(&t->qhead, &t->qtail, node);
				return;
			}
			t->held = n;
			t->capheld = ncap;
		}
		t->held[t->nheld++] = b;
	}
}

static void drop_front(struct sink_thread *t, size_t k)
{
	for (size_t i = 0; i < k; i++)
		bvapm_batch_safe(t->held[i]);
	if (k && t->p->reader_wake)
		bvapm_wake_signal(t->p->reader_wake);
	memmove(t->held, t->held + k, (t->nheld - k) * sizeof *t->held);
	t->nheld -= k;
}

/* Returns true when the result means "done with these records". */
static bool account(struct sink_thread *t, const struct bvapm_sink_result *r, size_t n, bool replay)
{
	struct bvapm_sink_metrics *sm = &t->p->m->sink[t->idx];
	switch (r->status) {
	case BVAPM_SINK_OK:
		BVAPM_M_ADD(sm->delivered_records, n);
		if (replay)
			BVAPM_M_ADD(sm->replayed_records, n);
		sink_succeeded(t);
		return true;
	case BVAPM_SINK_PARTIAL:
	case BVAPM_SINK_REJECTED:
		BVAPM_M_ADD(sm->delivered_records, r->accepted);
		BVAPM_M_ADD(sm->rejected_records, r->status == BVAPM_SINK_REJECTED ? n : r->rejected);
		LOG_W("sink %s: %u records rejected: %s", t->sink->name,
		      r->status == BVAPM_SINK_REJECTED ? (unsigned)n : r->rejected, r->message);
		sink_succeeded(t);
		return true;
	case BVAPM_SINK_RETRY:
	default:
		LOG_W("sink %s: delivery failed, will retry: %s", t->sink->name, r->message);
		sink_failed(t, bvapm_mono_ms(), r->retry_after_ms);
		return false;
	}
}

/* Writes the k oldest held batches as one segment (evicting only with
 * evict_reason); they are safe once it returns 0. */
static int spool_front(struct sink_thread *t, size_t k, const char *evict_reason)
{
	size_t total = 0;
	for (size_t i = 0; i < k; i++)
		total += t->held[i]->n;
	struct bvapm_sink_record *recs = malloc((total ? total : 1) * sizeof *recs);
	if (!recs)
		return -ENOMEM;
	size_t j = 0;
	for (size_t i = 0; i < k; i++) {
		memcpy(recs + j, t->held[i]->recs, t->held[i]->n * sizeof *recs);
		j += t->held[i]->n;
	}
	int rc = bvapm_spool_write(t->spool, recs, total, evict_reason);
	free(recs);
	if (rc == 0) {
		BVAPM_M_ADD(t->p->m->sink[t->idx].spooled_records, total);
		LOG_D("sink %s: %zu records spooled", t->sink->name, total);
		drop_front(t, k);
	}
	return rc;
}

/* The spool had no room: its bound or its disk is full, or a segment of the
 * held batches alone exceeds the bound. */
static bool no_room(int rc)
{
	return rc == -ENOBUFS || rc == -EMSGSIZE || rc == -ENOSPC || rc == -EDQUOT || rc == -EFBIG;
}

/* The spool starts or stops holding records back (they wait in memory and
 * in the ring meanwhile). The warning is logged at most once per 10 s (with
 * eviction the state may change every few attempts); the all-clear only
 * when the sink took the records (delivered: quiet means the spool found
 * room again). */
#define BLOCKED_LOG_MS 10000u

static void set_blocked(struct sink_thread *t, bool blocked, bool delivered)
{
	uint64_t now = bvapm_mono_ms();
	if (blocked && !t->spool_blocked) {
		if (!t->blocked_logged_ms || now - t->blocked_logged_ms >= BLOCKED_LOG_MS) {
			LOG_W("sink %s: spool full: records wait in the ring (the oldest spooled ones are "
			      "evicted only once the ring is [spool] evict_pct full)", t->sink->name);
			t->blocked_logged_ms = now;
		}
		t->blocked_since_ms = now;
	} else if (!blocked && t->spool_blocked && delivered) {
		LOG_I("sink %s: records flow again after %llu ms of a full spool", t->sink->name,
		      (unsigned long long)(now - t->blocked_since_ms));
	}
	t->spool_blocked = blocked;
}

/* Eviction is allowed while the reader says the ring is nearly full, never
 * at shutdown (what cannot be spooled then stays in the ring). */
static const char *evict_reason(struct sink_thread *t, bool stopping, char *buf, size_t len)
{
	unsigned fill = __atomic_load_n(&t->p->evict_fill, __ATOMIC_RELAXED);
	if (stopping || fill == 0)
		return NULL;
	snprintf(buf, len, "the ring is %u%% full", fill);
	return buf;
}

static uint64_t evicted_so_far(const struct sink_thread *t)
{
	struct bvapm_spool_stats st;
	bvapm_spool_get_stats(t->spool, &st);
	return st.evicted_records;
}

/* Spools the held batches: all in one segment when they fit, else batch by
 * batch what fits; then, only when eviction is allowed, batch by batch
 * evicting just enough for each (never the whole spool for a set of batches
 * that cannot fit at all). */
static int spool_held(struct sink_thread *t, bool stopping)
{
	char buf[64];
	const char *why = evict_reason(t, stopping, buf, sizeof buf);
	uint64_t evicted = evicted_so_far(t);
	int rc = spool_front(t, t->nheld, NULL);
	if (no_room(rc) && t->nheld > 1)
		while (t->nheld && (rc = spool_front(t, 1, NULL)) == 0)
			;
	if (no_room(rc) && why)
		while (t->nheld && (rc = spool_front(t, 1, why)) == 0)
			;
	/* Room made by eviction does not end a full spool. */
	if (no_room(rc) && t->nheld)
		set_blocked(t, true, false);
	else if (evicted_so_far(t) == evicted)
		set_blocked(t, false, false);
	return rc;
}

static void process_held(struct sink_thread *t, bool stopping)
{
	uint64_t now = bvapm_mono_ms();
	bool pressure = __atomic_load_n(&t->p->pressure, __ATOMIC_RELAXED);
	/* Under pressure the held batches go to the spool, unless it has no
	 * room: then sending is the only way forward. */
	if (!stopping && (!pressure || t->spool_blocked) && sink_may_send(t, now) &&
	    sink_ready(t, now)) {
		while (t->nheld) {
			struct bvapm_batch *b = t->held[0];
			struct bvapm_sink_result r;
			memset(&r, 0, sizeof r);
			t->sink->send(t->sink, b->recs, b->n, &r);
			if (!account(t, &r, b->n, false))
				break;
			drop_front(t, 1);
		}
		if (!t->nheld) {
			set_blocked(t, false, true);
			return;
		}
		now = bvapm_mono_ms();
	}
	if (!stopping && now < t->next_spool_ms)
		return;
	if (spool_held(t, stopping) != 0)
		t->next_spool_ms = now + t->p->cfg->retry_min_ms;
}

/* Held batches that could neither be sent nor spooled: sleep until the
 * next attempt is due (breaker or spool retry, at most [retry] min_ms) or
 * a batch arrives, instead of spinning. */
static void wait_for_retry(struct sink_thread *t)
{
	uint64_t now = bvapm_mono_ms();
	uint64_t next = bvapm_breaker_next_attempt_ms(&t->breaker, now);
	if (t->next_spool_ms < next)
		next = t->next_spool_ms;
	uint64_t ms = next > now ? next - now : 0;
	if (ms > t->p->cfg->retry_min_ms)
		ms = t->p->cfg->retry_min_ms;
	if (ms == 0)
		return;
	bvapm_wake_prepare(&t->wake);
	/* Acquire: pairs with the release in bvapm_pipeline_stop. */
	if (cds_wfcq_empty(&t->qhead, &t->qtail) && !__atomic_load_n(&t->p->stop, __ATOMIC_ACQUIRE))
		bvapm_wake_sleep(&t->wake, (unsigned)ms * 1000u);
	else
		__atomic_store_n(&t->wake.waiting, 0, __ATOMIC_RELAXED);
}

/* Delivers the spool's eviction report (a Statistics record: how many
 * records it evicted that the sink has not been told of) straight to the
 * sink, never through the spool, so a later eviction cannot lose it. */
static void report_evictions(struct sink_thread *t)
{
	uint64_t now = bvapm_mono_ms();
	if (!sink_may_send(t, now))
		return;
	uint64_t records = 0;
	ssize_t len = bvapm_spool_evict_report(t->spool, t->report, sizeof t->report, &records);
	if (len <= 0 || bvapm_rec_verify(t->report, (size_t)len, NULL, NULL) != 0 ||
	    !sink_ready(t, now))
		return;
	bvapm_rec_record_ref root = bvapm_rec_root(t->report);
	struct bvapm_sink_record rec = {
		.data = t->report,
		.len = (uint32_t)len,
		.kind = BVAPM_REC_KIND_STATS,
		.pid = bvapm_rec_record_pid(root),
		.producer_start_unix_ns = bvapm_rec_record_producer_start_unix_ns(root),
		.sequence = bvapm_rec_record_sequence(root),
	};
	struct bvapm_sink_result r;
	memset(&r, 0, sizeof r);
	t->sink->send(t->sink, &rec, 1, &r);
	if (r.status == BVAPM_SINK_RETRY) {
		LOG_W("sink %s: eviction report not delivered, will retry: %s", t->sink->name,
		      r.message);
		sink_failed(t, bvapm_mono_ms(), r.retry_after_ms);
		return;
	}
	if (r.status != BVAPM_SINK_OK)
		LOG_W("sink %s: the eviction report was refused: %s", t->sink->name, r.message);
	sink_succeeded(t);
	bvapm_spool_evict_reported(t->spool);
	LOG_I("sink %s: %llu evicted records reported to the sink (statistics record %llu)",
	      t->sink->name, (unsigned long long)records, (unsigned long long)rec.sequence);
}

/* Replays the oldest segment. Returns true when one was delivered. */
static bool replay_one(struct sink_thread *t)
{
	struct bvapm_spool_segment *seg;
	if (bvapm_spool_oldest(t->spool, &seg) != 1)
		return false;
	if (!sink_ready(t, bvapm_mono_ms())) {
		bvapm_spool_done(t->spool, seg, 0);
		return false;
	}
	struct bvapm_sink_result r;
	memset(&r, 0, sizeof r);
	t->sink->send(t->sink, seg->recs, seg->n, &r);
	bool done = account(t, &r, seg->n, true);
	if (done)
		LOG_D("sink %s: replayed %u records from the spool", t->sink->name, seg->n);
	bvapm_spool_done(t->spool, seg, done);
	return done;
}

static void *sink_main(void *arg)
{
	struct sink_thread *t = arg;
	struct bvapm_pipeline *p = t->p;
	uint64_t replayed = 0;
	/* Start-up replay: oldest first, before new records, while the sink takes them. */
	while (bvapm_spool_segments(t->spool) && !__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		uint64_t before = BVAPM_M_GET(p->m->sink[t->idx].replayed_records);
		if (!replay_one(t))
			break;
		replayed += BVAPM_M_GET(p->m->sink[t->idx].replayed_records) - before;
	}
	if (replayed)
		LOG_I("sink %s: replayed %llu records from the spool at start", t->sink->name,
		      (unsigned long long)replayed);
	/* Release: pairs with the acquire in bvapm_pipeline_replayed. */
	__atomic_add_fetch(&p->replayed, 1, __ATOMIC_RELEASE);

	for (;;) {
		/* Acquire: pairs with the release in bvapm_pipeline_stop; the
		 * reader enqueued its last batch before setting stop. */
		bool stopping = __atomic_load_n(&p->stop, __ATOMIC_ACQUIRE);
		take_queue(t);
		if (!stopping)
			report_evictions(t);
		if (t->nheld) {
			process_held(t, stopping);
			if (stopping)
				break;
			if (t->nheld)
				wait_for_retry(t);
			continue;
		}
		if (stopping)
			break;
		if (bvapm_spool_segments(t->spool) && sink_may_send(t, bvapm_mono_ms()) &&
		    !__atomic_load_n(&p->pressure, __ATOMIC_RELAXED) && replay_one(t))
			continue;
		/* Nothing to do: sleep until the reader queues a batch. */
		bvapm_wake_prepare(&t->wake);
		if (cds_wfcq_empty(&t->qhead, &t->qtail) && !__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
			bvapm_wake_sleep(&t->wake, p->cfg->poll_interval_ms * 1000u);
		else
			__atomic_store_n(&t->wake.waiting, 0, __ATOMIC_RELAXED);
	}
	if (t->nheld)
		LOG_E("sink %s: %zu batches could not be spooled at shutdown; they stay in the ring",
		      t->sink->name, t->nheld);
	__atomic_store_n(&t->exited, 1, __ATOMIC_RELEASE);
	return NULL;
}

int bvapm_pipeline_start(struct bvapm_pipeline **out, const struct bvapm_drainer_config *cfg,
                         struct bvapm_sink **sinks, int nsinks, struct bvapm_metrics *m, char *err,
                         size_t errlen)
{
	struct bvapm_pipeline *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->cfg = cfg;
	p->m = m;
	p->nsinks = nsinks;
	m->nsinks = nsinks;
	for (int i = 0; i < nsinks; i++)
		p->t[i].sink = sinks[i];
	for (int i = 0; i < nsinks; i++) {
		struct sink_thread *t = &p->t[i];
		t->p = p;
		t->idx = i;
		t->sink = sinks[i];
		struct bvapm_breaker_opts bo = {
			.failure_threshold = 1, /* a failed batch is spooled at once anyway */
			.base_ms = cfg->retry_min_ms,
			.max_ms = cfg->retry_max_ms,
			.seed = (uint64_t)time(NULL) ^ (uint64_t)i,
		};
		bvapm_breaker_init(&t->breaker, &bo);
		m->sink_name[i] = sinks[i]->name;
		cds_wfcq_init(&t->qhead, &t->qtail);
		bvapm_wake_init(&t->wake);
		char dir[1024];
		snprintf(dir, sizeof dir, "%s/%s", cfg->spool_dir, sinks[i]->name);
		int rc = bvapm_spool_open(dir, cfg->spool_max_bytes, &t->spool, err, errlen);
		if (rc) {
			bvapm_pipeline_stop(p, 0);
			bvapm_pipeline_destroy(p);
			return rc;
		}
		m->spool[i] = t->spool;
		if (bvapm_spool_segments(t->spool))
			LOG_I("sink %s: %llu spool segments to replay", sinks[i]->name,
			      (unsigned long long)bvapm_spool_segments(t->spool));
	}
	for (int i = 0; i < nsinks; i++) {
		int rc = pthread_create(&p->t[i].th, NULL, sink_main, &p->t[i]);
		if (rc) {
			snprintf(err, errlen, "cannot start a sink thread: %s", strerror(rc));
			bvapm_pipeline_stop(p, 1000);
			bvapm_pipeline_destroy(p);
			return -rc;
		}
		p->t[i].started = true;
	}
	*out = p;
	return 0;
}

void bvapm_pipeline_submit(struct bvapm_pipeline *p, struct bvapm_batch *b)
{
	for (int i = 0; i < p->nsinks; i++) {
		cds_wfcq_node_init(&b->node[i]);
		bvapm_tsan_release(&b->node[i]); /* the queue's ordering, for TSan */
		cds_wfcq_enqueue(&p->t[i].qhead, &p->t[i].qtail, &b->node[i]);
		bvapm_wake_signal(&p->t[i].wake);
	}
}

void bvapm_pipeline_set_pressure(struct bvapm_pipeline *p, bool on)
{
	if (__atomic_load_n(&p->pressure, __ATOMIC_RELAXED) != on) {
		LOG_D("pressure %s", on ? "on: sinks spool" : "off");
		__atomic_store_n(&p->pressure, on, __ATOMIC_RELAXED);
	}
}

void bvapm_pipeline_set_evict(struct bvapm_pipeline *p, unsigned ring_fill_pct)
{
	if (__atomic_load_n(&p->evict_fill, __ATOMIC_RELAXED) != ring_fill_pct) {
		LOG_D("eviction %s (ring %u%% full)", ring_fill_pct ? "allowed" : "off", ring_fill_pct);
		__atomic_store_n(&p->evict_fill, ring_fill_pct, __ATOMIC_RELAXED);
	}
}

void bvapm_pipeline_set_reader_wake(struct bvapm_pipeline *p, struct bvapm_wake *w)
{
	p->reader_wake = w;
}

bool bvapm_pipeline_replayed(struct bvapm_pipeline *p)
{
	return __atomic_load_n(&p->replayed, __ATOMIC_ACQUIRE) >= p->nsinks;
}

int bvapm_pipeline_stop(struct bvapm_pipeline *p, unsigned timeout_ms)
{
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < p->nsinks; i++)
		if (p->t[i].started)
			bvapm_wake_signal(&p->t[i].wake);
	uint64_t deadline = bvapm_mono_ms() + timeout_ms;
	int rc = 0;
	for (int i = 0; i < p->nsinks; i++) {
		struct sink_thread *t = &p->t[i];
		if (!t->started)
			continue;
		while (!__atomic_load_n(&t->exited, __ATOMIC_ACQUIRE) && bvapm_mono_ms() < deadline)
			bvapm_sleep_ms(2);
		if (__atomic_load_n(&t->exited, __ATOMIC_ACQUIRE)) {
			pthread_join(t->th, NULL);
			t->started = false;
		} else {
			LOG_E("sink %s: still busy after %u ms at shutdown", t->sink->name, timeout_ms);
			rc = -ETIMEDOUT;
		}
	}
	return rc;
}

void bvapm_pipeline_destroy(struct bvapm_pipeline *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nsinks; i++) {
		struct sink_thread *t = &p->t[i];
		if (t->started)
			continue; /* still running: leave it alone, the process is exiting */
		if (t->sink)
			t->sink->destroy(t->sink);
		bvapm_spool_close(t->spool);
		p->m->spool[i] = NULL;
		free(t->held);
		cds_wfcq_destroy(&t->qhead, &t->qtail);
		bvapm_wake_destroy(&t->wake);
	}
	free(p);
}
