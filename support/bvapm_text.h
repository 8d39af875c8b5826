/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_text.h — bytes made readable: lowercase hex (trace and span ids in
 * the store, OTLP and JSON) and printable escapes (anything from shared
 * memory or a record that reaches a log line or a terminal: the backslash as
 * \\, every byte outside 0x20..0x7e as \xNN, so a forged newline or
 * terminal escape cannot pass).
 */
#ifndef BVAPM_SUPPORT_TEXT_H
#define BVAPM_SUPPORT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline char bvapm_hex_digit(unsigned v) { return "0123456789abcdef"[v & 15]; }

/* out receives 2 * n hex digits and a NUL. */
static inline void bvapm_hex_encode(char *out, const uint8_t *bytes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = bvapm_hex_digit(bytes[i] >> 4);
		out[2 * i + 1] = bvapm_hex_digit(bytes[i]);
	}
	out[2 * n] = '\0';
}

/* Writes byte c into e as it is shown; returns its length (1, 2 or 4). */
static inline size_t bvapm_escape_byte(unsigned char c, bool backslash, char e[4])
{
	if (c == '\\' && backslash) {
		e[0] = e[1] = '\\';
		return 2;
	}
	if (c >= 0x20 && c <= 0x7e) {
		e[0] = (char)c;
		return 1;
	}
	e[0] = '\\';
	e[1] = 'x';
	e[2] = bvapm_hex_digit(c >> 4);
	e[3] = bvapm_hex_digit(c);
	return 4;
}

/* Escapes up to n bytes of s (stopping at a NUL) into out, which has room for
 * cap bytes and is NUL-terminated; cut with "..." (never inside an escape)
 * when it is too small. `backslash`: write a backslash as \\ so an escape is
 * unambiguous. Returns the length written. */
static inline size_t bvapm_escape_printable(char *out, size_t cap, const void *s, size_t n,
                                            bool backslash)
{
	const unsigned char *p = s;
	size_t o = 0, keep = 0; /* keep: last escape boundary leaving room for "..." */

	if (cap == 0)
		return 0;
	for (size_t i = 0; i < n && p[i] != '\0'; i++) {
		char e[4];
		size_t k = bvapm_escape_byte(p[i], backslash, e);
		if (o + k > cap - 1) {
			if (cap >= 4) {
				memcpy(out + keep, "...", 3);
				o = keep + 3;
			}
			break;
		}
		memcpy(out + o, e, k);
		o += k;
		if (cap >= 4 && o <= cap - 4)
			keep = o;
	}
	out[o] = '\0';
	return o;
}

#endif
