/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_heap_usage.c — finds and re-checks the heap's usage word
 * (design: bvapm_heap_usage.h).
 */
#include "bvapm_heap_usage.h"

#define HEAP_WORDS_SEARCHED 8  /* the usage word is among the heap's first ones */
#define PROBE_BLOCK 2048       /* bytes allocated to watch the word move */

const size_t *bvapm_heap_usage_word;
bool bvapm_heap_usage_found;

static const zend_mm_heap *word_heap; /* the heap the word was found in */
static const size_t *found_word;     /* NULL: none */

static const size_t *find_word(const zend_mm_heap *heap)
{
	const size_t *words = (const size_t *)(const void *)heap;
	size_t before = zend_memory_usage(0);
	bool candidate[HEAP_WORDS_SEARCHED];

	for (int i = 0; i < HEAP_WORDS_SEARCHED; i++)
		candidate[i] = words[i] == before;
	void *block = emalloc(PROBE_BLOCK);
	size_t during = zend_memory_usage(0);
	for (int i = 0; i < HEAP_WORDS_SEARCHED; i++)
		candidate[i] = candidate[i] && words[i] == during;
	efree(block);
	size_t after = zend_memory_usage(0);
	if (during == before || after == during)
		return NULL;
	for (int i = 0; i < HEAP_WORDS_SEARCHED; i++)
		if (candidate[i] && words[i] == after)
			return &words[i];
	return NULL;
}

void bvapm_heap_usage_startup(void)
{
	word_heap = zend_mm_get_heap();
	found_word = word_heap != NULL && is_zend_mm() ? find_word(word_heap) : NULL;
}

void bvapm_heap_usage_request_begin(void)
{
	/* the heap the word was found in, and the word still agreeing: else the
	 * engine's function for this request (nothing allocated here) */
	bool ok = found_word != NULL && zend_mm_get_heap() == word_heap && is_zend_mm() &&
	          *found_word == zend_memory_usage(0);
	bvapm_heap_usage_word = ok ? found_word : NULL;
	bvapm_heap_usage_found = ok;
}
