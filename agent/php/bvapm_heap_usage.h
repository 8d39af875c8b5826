/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_heap_usage.h — the engine heap's current usage, as
 * zend_memory_usage(0) gives it, read per profiled call without a call.
 *
 * zend_memory_usage(0) returns one word of the heap structure, which the
 * engine does not publish. bvapm_heap_usage_startup() (MINIT) finds that
 * word by behaviour, not by a layout copied from the engine's source: among
 * the heap's first words, the first one that equals zend_memory_usage(0),
 * rises with it when a block is allocated and falls back with it when the
 * block is freed (the peak word beside it does not fall back). At MINIT the
 * probe block leaves no trace in any request: the engine resets the heap,
 * its peak included, when start-up ends. Each request then checks, without
 * allocating, that the heap is the same and the word still equals
 * zend_memory_usage(0). No word found, or a check failing (another
 * allocator: USE_ZEND_ALLOC=0, a layout where no word behaves so):
 * bvapm_heap_usage() calls zend_memory_usage(0), which is always right.
 *
 * Threads: NTS, the PHP thread only; plain loads.
 */
#ifndef BVAPM_PHP_HEAP_USAGE_H
#define BVAPM_PHP_HEAP_USAGE_H

#include "php.h"

/* the word found, or NULL: call zend_memory_usage(0); `found`: the same
 * answer as a flag (a test that leaves the pointer to be loaded where used) */
extern const size_t *bvapm_heap_usage_word __attribute__((visibility("hidden")));
extern bool bvapm_heap_usage_found __attribute__((visibility("hidden")));

/* MINIT, once. */
void bvapm_heap_usage_startup(void);
/* At each request start, before any call is profiled. */
void bvapm_heap_usage_request_begin(void);

static inline uint64_t bvapm_heap_usage(void)
{
	const size_t *word = bvapm_heap_usage_word;
	return EXPECTED(word != NULL) ? *word : zend_memory_usage(0);
}

#endif
