/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_identity.c — who writes: the producer identity (pid, producer start
 * time, sequence) and the random numbers drawn from it.
 *
 * An identity is taken at the first request of each process. php-fpm forks
 * its workers after MINIT: the pthread_atfork child handler marks the
 * identity stale, and the worker's first request takes its own (agent_core.c
 * then has the other owners forget what was the parent's). Every kept
 * request takes the next sequence number, so a gap in (pid, producer start,
 * sequence) downstream is a lost record.
 *
 * Random numbers (the sampling draw, trace and span ids): xorshift64*,
 * seeded per process from the identity. Not for secrets.
 *
 * Threads: the PHP thread; the fork handler runs in the child's only thread.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "agent_internal.h"

struct agent_identity agent_identity;

/* Set by the fork handler, read at each request start. The handler runs in
 * the child, on the thread that called fork(), before fork() returns there:
 * the same thread reads it later, so no atomic or fence is needed; volatile
 * only keeps the compiler from caching it across the call into fork(). */
static volatile bool stale;
static uint64_t rng;

static void on_fork_child(void)
{
	stale = true;
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, on_fork_child);
}

void agent_identity_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, register_atfork);
	memset(&agent_identity, 0, sizeof(agent_identity));
	rng = 0;
	stale = true;
}

bool agent_identity_stale(void)
{
	return stale;
}

void agent_identity_take(void)
{
	stale = false;
	agent_identity.pid = (uint32_t)getpid();
	agent_identity.start_unix_ns = agent_clock_ns(CLOCK_REALTIME);
	agent_identity.sequence = 0;
	rng = (agent_identity.start_unix_ns ^ ((uint64_t)agent_identity.pid << 32) ^
	       (uintptr_t)&agent_identity) | 1;
}

uint64_t agent_next_sequence(void)
{
	return ++agent_identity.sequence;
}

uint64_t agent_random(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * UINT64_C(2685821657736338717);
}

void agent_random_bytes(uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = agent_random();
		memcpy(out + i, &v, n - i < 8 ? n - i : 8);
	}
}
