/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sql_normalize_fuzz.c — libFuzzer target over the SQL normalizer: whatever
 * bytes come in, with every flag combination and several output sizes, it
 * must not read outside the input (copied into an exactly-sized heap block
 * so ASan catches a one-byte overread), must return the length it wrote,
 * NUL-terminated and within the output, and without literals kept the
 * output of a normalized statement must normalize to itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/sql_normalize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = {1, 7, 64, 1025};
	char out[1025], again[1025];
	char *in = malloc(size ? size : 1);

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	for (unsigned flags = 0; flags < 4; flags++) {
		for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
			size_t n = bvapm_sql_normalize(in, size, out, caps[c], flags);
			if (n >= caps[c] || out[n] != '\0' || strlen(out) != n)
				abort();
			/* idempotent when nothing was cut (a cut may end inside a
			 * token, which reads differently on its own; it may also
			 * have taken an incomplete UTF-8 sequence and a space) */
			if (caps[c] == sizeof(out) && n + 5 < caps[c] - 1 &&
			    !(flags & BVAPM_SQL_KEEP_LITERALS)) {
				size_t m = bvapm_sql_normalize(out, n, again, sizeof(again), flags);
				if (m != n || memcmp(out, again, n) != 0)
					abort();
			}
		}
	}
	free(in);
	return 0;
}
