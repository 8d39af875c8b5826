/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wake.h — a wake-up for a thread that sleeps when it has nothing to do
 * (a sink thread waiting for batches, the reader waiting for room). The
 * sleeper announces itself in `waiting` before its last check for work; the
 * waker signals only when someone waits, so the busy path costs one atomic
 * load. A wake-up lost in a race costs at most the sleep's timeout.
 */
#ifndef BVAPM_DRAINER_WAKE_H
#define BVAPM_DRAINER_WAKE_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

struct bvapm_wake {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int waiting;  /* atomic: a thread is (about to be) asleep */
	int pending;  /* signalled since the sleeper announced itself (under mu) */
};

static inline void bvapm_wake_init(struct bvapm_wake *w)
{
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &a);
	pthread_condattr_destroy(&a);
	w->waiting = 0;
	w->pending = 0;
}

static inline void bvapm_wake_destroy(struct bvapm_wake *w)
{
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}

/* Sleeper, step 1: announce. Seq-cst so that the sleeper's following check
 * for work cannot be ordered before it (pairs with bvapm_wake_signal). */
static inline void bvapm_wake_prepare(struct bvapm_wake *w)
{
	__atomic_store_n(&w->waiting, 1, __ATOMIC_SEQ_CST);
}

/* Sleeper, step 2 (after checking there is still no work): sleep up to
 * timeout_us or until signalled. */
static inline void bvapm_wake_sleep(struct bvapm_wake *w, unsigned timeout_us)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += (long)(timeout_us % 1000000) * 1000;
	ts.tv_sec += timeout_us / 1000000 + ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	pthread_mutex_lock(&w->mu);
	while (!w->pending && pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0)
		;
	w->pending = 0;
	pthread_mutex_unlock(&w->mu);
	__atomic_store_n(&w->waiting, 0, __ATOMIC_RELAXED);
}

/* Waker, after publishing work (seq-cst load: ordered after the enqueue). */
static inline void bvapm_wake_signal(struct bvapm_wake *w)
{
	if (!__atomic_load_n(&w->waiting, __ATOMIC_SEQ_CST))
		return;
	pthread_mutex_lock(&w->mu);
	w->pending = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

#endif
