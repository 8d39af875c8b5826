/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_sampler.h — the statistical profile (bvapm.sampling_hz): while a
 * recorded request runs, a ticker thread asks the PHP thread, at each tick,
 * to note where it is; the PHP side (agent/php/bvapm_sampling.c) walks its
 * stack at the engine's next interrupt check and adds the folded stack
 * ("main;App::run;PDOStatement::execute") here. The request record then
 * carries the folded stacks as its call paths — samples in `calls`,
 * samples × interval in `exclusive_ns` — the input of bvapm-report's flame
 * graphs, when the request has no instrumented function profile (which is
 * exact and wins).
 *
 * Why a thread and not a signal: a signal delivered to the PHP thread
 * interrupts its system calls (sleep() returns early, poll() and reads fail
 * with EINTR where the application does not retry): that would change the
 * request. The ticker only stores to two atomics — its tick count and, by
 * the poke function the module gives, the engine's interrupt flag
 * (EG(vm_interrupt), an atomic the engine reads at loop back-edges and
 * calls) — and touches nothing else of PHP.
 *
 * Bounded: BVAPM_SAMPLER_STACKS distinct stacks per request in one arena of
 * BVAPM_SAMPLER_ARENA bytes, stacks cut at BVAPM_SAMPLER_DEPTH frames
 * (outermost kept, "…" marks the cut); samples of a stack that finds no
 * room count under "(other)". The ticker is started at the first sampled
 * request of each process (php-fpm forks its workers after MINIT; a process
 * forked later starts its own), one thread and its stack, the only
 * allocation after start-up; it ticks until the process ends, also between
 * requests (a wake-up per tick, nothing else), without a system call on the
 * PHP thread.
 *
 * Threads: the ticker and the PHP thread share only the atomics of
 * agent_sampler.c, each documented with its ordering there.
 */
#ifndef BVAPM_AGENT_SAMPLER_H
#define BVAPM_AGENT_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record/record.h"

#define BVAPM_SAMPLER_STACKS 256   /* distinct folded stacks per request */
#define BVAPM_SAMPLER_ARENA 65536  /* bytes of their text */
#define BVAPM_SAMPLER_DEPTH 64     /* frames per stack */
#define BVAPM_SAMPLER_FRAME_MAX 192 /* bytes of one frame's name */

/* Module side. set_poke: at MINIT, what makes the PHP thread check for a
 * sample soon (it sets the engine's interrupt flag; called on the ticker
 * thread, so it must be async-safe: one atomic store). */
void bvapm_agent_set_sample_poke(void (*poke)(void));
/* At an interrupt check: the ticks owed since the last sample (0: none), and
 * they are taken. */
uint32_t bvapm_agent_sample_take(void);
/* One folded stack, outermost frame first, frames joined by ';', for `ticks`
 * samples. */
void bvapm_agent_sample_add(const char *folded, size_t len, uint32_t ticks);
/* The configured rate (0: off): the module installs its interrupt hook only
 * then. */
uint32_t bvapm_agent_sampling_hz(void);

/* Core side (agent_core.c, agent_record.c). */
int agent_sampler_init(uint32_t hz) __attribute__((visibility("hidden")));
void agent_sampler_free(void) __attribute__((visibility("hidden")));
void agent_sampler_forget(void) __attribute__((visibility("hidden"))); /* a new process */
void agent_sampler_request_begin(bool on) __attribute__((visibility("hidden")));
void agent_sampler_request_end(void) __attribute__((visibility("hidden")));
/* The request's samples as call paths, by samples, most first; 0 when none. */
uint32_t agent_sampler_paths(const struct bvapm_rec_call_path **out) __attribute__((visibility("hidden")));

#endif
