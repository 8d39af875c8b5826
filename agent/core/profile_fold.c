/* SPDX-License-Identifier: Apache-2.0 */
/*
 * profile_fold.c — the per-process table of built-ins learned and folded
 * (design: profile_fold.h). Open addressing on the function's pointer,
 * linear probing, never shrinks.
 */
#include <errno.h>
#include <stdlib.h>

#include "profile_fold.h"

struct fold_entry {
	const void *fn;    /* NULL: empty */
	uint64_t calls;    /* summed over requests until folded */
	uint64_t incl_ns;
	bool folded;
};

static struct fold_entry *table;
static uint32_t used, folded;
static uint64_t threshold;

int bvapm_profile_fold_init(uint64_t threshold_ns)
{
	bvapm_profile_fold_free();
	threshold = threshold_ns;
	if (threshold_ns == 0)
		return 0;
	table = calloc(BVAPM_PROFILE_FOLD_CAPACITY * 2, sizeof(*table)); /* load factor <= 1/2 */
	return table != NULL ? 0 : -ENOMEM;
}

void bvapm_profile_fold_free(void)
{
	free(table);
	table = NULL;
	used = folded = 0;
}

static struct fold_entry *slot_of(const void *fn)
{
	uintptr_t x = (uintptr_t)fn;
	uint32_t mask = BVAPM_PROFILE_FOLD_CAPACITY * 2 - 1;
	uint32_t h = (uint32_t)((x >> 4) * UINT64_C(0x9e3779b97f4a7c15) >> 32) & mask;

	for (;; h = (h + 1) & mask)
		if (table[h].fn == fn || table[h].fn == NULL)
			return &table[h];
}

bool bvapm_profile_fold_folded(const void *fn)
{
	if (table == NULL || fn == NULL)
		return false;
	return slot_of(fn)->folded;
}

void bvapm_profile_fold_learn(const void *fn, uint64_t calls, uint64_t incl_ns)
{
	if (table == NULL || fn == NULL || calls == 0)
		return;
	struct fold_entry *e = slot_of(fn);
	if (e->fn == NULL) {
		if (used >= BVAPM_PROFILE_FOLD_CAPACITY)
			return; /* full: not learned, stays timed */
		e->fn = fn;
		used++;
	}
	if (e->folded)
		return;
	/* saturating: a long-lived process cannot wrap either sum */
	e->calls = e->calls + calls < e->calls ? UINT64_MAX : e->calls + calls;
	e->incl_ns = e->incl_ns + incl_ns < e->incl_ns ? UINT64_MAX : e->incl_ns + incl_ns;
	if (e->calls >= BVAPM_PROFILE_FOLD_AFTER_CALLS && e->incl_ns / e->calls <= threshold) {
		e->folded = true;
		folded++;
	}
}

uint32_t bvapm_profile_fold_count(void) { return folded; }
