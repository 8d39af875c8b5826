/* SPDX-License-Identifier: Apache-2.0 */
/*
 * profile_fold.h — which built-in functions the function profile stops
 * timing on their own, learned per process.
 *
 * Every call the profile times costs a few hundred instructions, the
 * engine's share alone as much as a call of trim() does. Built-in (internal)
 * functions that are always cheap — trim, strpos, implode, in_array ... a
 * third of the calls of a WordPress page — are folded: once the process has
 * seen a built-in function BVAPM_PROFILE_FOLD_AFTER_CALLS times with a mean
 * inclusive time at most the threshold (bvapm.profile_fold_ns), later
 * requests do not observe it, and its time is its caller's own (exclusive)
 * time. Built-ins that wait or work (queries, files, sleep, json_decode of a
 * large document) stay above the threshold and are timed; user functions
 * are never folded. Threshold 0 (the default): nothing is folded. A folded
 * function stays folded for the life of the process.
 *
 * The glue (bvapm_observer.c) asks bvapm_profile_fold_folded() when the
 * engine asks which handlers a built-in gets, and feeds each profiled
 * request's totals of the built-ins it observed to bvapm_profile_fold_learn().
 * The table is bounded (BVAPM_PROFILE_FOLD_CAPACITY functions): past it, a
 * function is not learned, so it stays timed.
 *
 * Threads: NTS, the PHP thread only (per process); plain loads and stores.
 */
#ifndef BVAPM_AGENT_PROFILE_FOLD_H
#define BVAPM_AGENT_PROFILE_FOLD_H

#include <stdbool.h>
#include <stdint.h>

#define BVAPM_PROFILE_FOLD_AFTER_CALLS 1000u
#define BVAPM_PROFILE_FOLD_CAPACITY 8192u /* functions learned per process */

/* Allocates the table and sets the threshold (ns; 0: never fold). 0 or -ENOMEM
 * (then nothing is folded). */
int bvapm_profile_fold_init(uint64_t threshold_ns);
void bvapm_profile_fold_free(void);

/* fn: the function's identity (stable for the process). */
bool bvapm_profile_fold_folded(const void *fn);
/* One request's totals of fn: calls and inclusive ns. */
void bvapm_profile_fold_learn(const void *fn, uint64_t calls, uint64_t incl_ns);

/* Functions folded so far in this process. */
uint32_t bvapm_profile_fold_count(void);

#endif
