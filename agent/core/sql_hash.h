/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sql_hash.h — the 64-bit hash of SQL texts that the per-request statement
 * table (sql_stats.c) and the process's statement cache (sql_cache.c) key
 * on: eight bytes a step, multiply and fold, so that a statement of a few
 * hundred bytes costs a few dozen instructions (a byte-at-a-time hash cost
 * four per byte). In-process only: the value depends on the byte order and
 * is never stored or sent. Not keyed: a collision only costs a memcmp, as
 * both tables compare the texts. Threads: pure function.
 */
#ifndef BVAPM_SQL_HASH_H
#define BVAPM_SQL_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t bvapm_sql_hash(const char *s, size_t n)
{
	uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)n;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
		h ^= h >> 32;
	}
	uint64_t tail = 0;
	for (size_t k = 0; i + k < n; k++)
		tail |= (uint64_t)(unsigned char)s[i + k] << (8 * k);
	h = (h ^ tail) * UINT64_C(0xc4ceb9fe1a85ec53);
	return h ^ (h >> 29);
}

#endif
