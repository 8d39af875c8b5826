/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_sampler.c — the statistical profile's ticker thread and the
 * request's folded-stack table; the design is in agent_sampler.h.
 *
 * Shared between the ticker and the PHP thread (C11 atomics):
 *   ticks    ticks owed to the PHP thread. The ticker adds one per tick while
 *            a request samples (relaxed: a count, it publishes no other
 *            data); the PHP thread takes them all with an exchange (relaxed,
 *            same reason).
 *   active   whether the current request samples: written by the PHP thread
 *            at request start and end, read by the ticker (relaxed: a late
 *            view costs at most one tick counted in the wrong request, which
 *            the PHP thread discards — it resets `ticks` at request start).
 *   stop     the ticker's end, at shutdown (release by the PHP thread,
 *            acquire by the ticker; pthread_join orders the rest).
 * The poke function does one atomic store of the engine's own.
 *
 * Threads: the ticker thread and the PHP thread (NTS).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent_internal.h"
#include "agent_sampler.h"

static _Atomic uint32_t ticks;
static _Atomic bool active;
static _Atomic bool stop;

static void (*poke_fn)(void);

static struct {
	uint32_t hz;
	uint64_t interval_ns;
	bool running;         /* this process's ticker runs */
	pid_t owner;          /* the process that started it */
	bool failed;          /* it could not be started: logged once, off */
	pthread_t thread;
	bool on;              /* the current request samples */
	/* folded stacks of this request */
	struct stack_entry {
		uint64_t hash;
		uint32_t off, len;
		uint64_t samples;
	} entries[BVAPM_SAMPLER_STACKS];
	uint32_t used;
	uint16_t index[2 * BVAPM_SAMPLER_STACKS]; /* entry + 1; 0 empty */
	uint64_t other;                           /* samples of stacks that found no room */
	char arena[BVAPM_SAMPLER_ARENA];
	size_t arena_used;
	struct bvapm_rec_call_path paths[BVAPM_SAMPLER_STACKS + 1];
} sm;

void bvapm_agent_set_sample_poke(void (*poke)(void))
{
	poke_fn = poke;
}

uint32_t bvapm_agent_sampling_hz(void)
{
	return sm.hz;
}

int agent_sampler_init(uint32_t hz)
{
	agent_sampler_free();
	sm.hz = hz;
	sm.interval_ns = hz > 0 ? 1000000000ull / hz : 0;
	return 0;
}

/* ---- the ticker -------------------------------------------------------------- */

static void *ticker(void *arg)
{
	struct timespec next;
	uint64_t interval = sm.interval_ns;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load_explicit(&stop, memory_order_acquire)) {
		uint64_t ns = (uint64_t)next.tv_nsec + interval;
		next.tv_sec += (time_t)(ns / 1000000000u);
		next.tv_nsec = (long)(ns % 1000000000u);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		/* descheduled for longer than a tick: start again from now (no burst) */
		if (now.tv_sec > next.tv_sec + 1)
			next = now;
		if (atomic_load_explicit(&active, memory_order_relaxed) && poke_fn != NULL) {
			atomic_fetch_add_explicit(&ticks, 1, memory_order_relaxed);
			poke_fn();
		}
	}
	return NULL;
}

static void start_ticker(void)
{
	pid_t pid = getpid();

	if (sm.running && sm.owner == pid)
		return;
	if (sm.failed || poke_fn == NULL)
		return;
	atomic_store_explicit(&stop, false, memory_order_relaxed);
	/* every signal blocked in the ticker (it inherits the mask): a signal
	 * sent to the process — php-fpm's, pcntl's, the execution timeout's —
	 * is handled by the PHP thread as without the agent */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	int rc = pthread_create(&sm.thread, &attr, ticker, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		sm.failed = true;
		agent_log("bvapm: pid %d: no sampling profile: the ticker thread could not start (%s)",
		          (int)pid, strerror(rc));
		return;
	}
	sm.running = true;
	sm.owner = pid;
}

void agent_sampler_forget(void)
{
	/* a forked child has no ticker (threads do not survive fork) */
	if (sm.running && sm.owner != getpid())
		sm.running = false;
	sm.failed = false;
}

void agent_sampler_free(void)
{
	atomic_store_explicit(&active, false, memory_order_relaxed);
	if (sm.running && sm.owner == getpid()) {
		atomic_store_explicit(&stop, true, memory_order_release);
		pthread_join(sm.thread, NULL);
	}
	sm.running = false;
	sm.hz = 0;
	sm.on = false;
}

/* ---- a request's samples -------------------------------------------------------- */

void agent_sampler_request_begin(bool on)
{
	if (sm.used > 0 || sm.other > 0) { /* the previous request's stacks */
		memset(sm.index, 0, sizeof(sm.index));
		sm.used = 0;
		sm.other = 0;
		sm.arena_used = 0;
	}
	sm.on = on && sm.hz > 0;
	if (sm.on)
		start_ticker();
	sm.on = sm.on && sm.running;
	atomic_store_explicit(&ticks, 0, memory_order_relaxed);
	atomic_store_explicit(&active, sm.on, memory_order_relaxed);
}

void agent_sampler_request_end(void)
{
	atomic_store_explicit(&active, false, memory_order_relaxed);
	sm.on = false;
}

uint32_t bvapm_agent_sample_take(void)
{
	uint32_t n = atomic_exchange_explicit(&ticks, 0, memory_order_relaxed);
	return sm.on ? n : 0;
}

static uint64_t hash_text(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

void bvapm_agent_sample_add(const char *folded, size_t len, uint32_t n)
{
	if (!sm.on || n == 0)
		return;
	uint64_t t0 = agent_clock_ns(CLOCK_MONOTONIC);
	uint64_t h = hash_text(folded, len);
	uint32_t mask = 2 * BVAPM_SAMPLER_STACKS - 1;
	uint32_t slot = (uint32_t)h & mask;
	for (; sm.index[slot] != 0; slot = (slot + 1) & mask) {
		struct stack_entry *e = &sm.entries[sm.index[slot] - 1];
		if (e->hash == h && e->len == len && memcmp(sm.arena + e->off, folded, len) == 0) {
			e->samples += n;
			goto done;
		}
	}
	if (sm.used >= BVAPM_SAMPLER_STACKS || sm.arena_used + len + 1 > sizeof(sm.arena)) {
		sm.other += n;
		goto done;
	}
	struct stack_entry *e = &sm.entries[sm.used];
	e->hash = h;
	e->off = (uint32_t)sm.arena_used;
	e->len = (uint32_t)len;
	e->samples = n;
	memcpy(sm.arena + sm.arena_used, folded, len);
	sm.arena[sm.arena_used + len] = '\0';
	sm.arena_used += len + 1;
	sm.index[slot] = (uint16_t)(++sm.used);
done:
	agent_req.agent_ns += agent_clock_ns(CLOCK_MONOTONIC) - t0;
}

static int by_samples(const void *a, const void *b)
{
	const struct bvapm_rec_call_path *x = a, *y = b;
	return x->calls > y->calls ? -1 : x->calls < y->calls;
}

uint32_t agent_sampler_paths(const struct bvapm_rec_call_path **out)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < sm.used; i++) {
		const struct stack_entry *e = &sm.entries[i];
		uint64_t ns = e->samples * sm.interval_ns;
		sm.paths[n++] = (struct bvapm_rec_call_path){
			.path = {sm.arena + e->off, e->len},
			.calls = e->samples,
			.inclusive_ns = ns,
			.exclusive_ns = ns,
		};
	}
	if (sm.other > 0)
		sm.paths[n++] = (struct bvapm_rec_call_path){
			.path = bvapm_rec_cstr("(other)"),
			.calls = sm.other,
			.inclusive_ns = sm.other * sm.interval_ns,
			.exclusive_ns = sm.other * sm.interval_ns,
		};
	qsort(sm.paths, n, sizeof(sm.paths[0]), by_samples);
	*out = sm.paths;
	return n;
}
