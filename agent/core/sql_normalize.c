/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sql_normalize.c — one-pass SQL normalizer (see sql_normalize.h).
 *
 * A small lexer, not a parser: it knows comments (-- to end of line, / * * /,
 * and # in MySQL), quoted strings ('...' with '' doubling, plus backslash
 * escapes and "..." strings in MySQL), quoted identifiers ("..." outside
 * MySQL, `...`; copied unchanged), numbers (decimal, exponent, 0x / 0b),
 * prefixed literals (X'..', B'..', N'..', E'..', _charset'..') and words.
 * Everything else is copied as it is. Hand-written because no Debian library
 * normalizes SQL for several dialects without allocating.
 *
 * Literal safety: an unterminated string or comment runs to the end of the
 * input, so a value is never copied out because its quote was not closed.
 * The dialect (MySQL or not) decides whether a backslash escapes a quote;
 * the caller knows it from the driver, which matters: guessing wrong would let
 * the rest of a string be read as words.
 *
 * IN lists: when a "(" follows the word IN and its ")" closes a group that
 * holds only "?" and commas, the group becomes "(?)", so IN lists of any
 * length (literal or bound) are one statement.
 */
#include <stdbool.h>
#include <stdint.h>

#include "sql_normalize.h"

#define NO_POS SIZE_MAX

struct out {
	char *buf;
	size_t len, cap; /* cap: usable bytes (out_cap - 1) */
	bool full;
};

static bool is_space(unsigned char c)
{
	/* control bytes and NUL count as space: nothing invisible is stored */
	return c <= ' ' || c == 0x7f;
}

static bool is_digit(unsigned char c) { return (unsigned)(c - '0') < 10u; }

static bool is_word(unsigned char c)
{
	/* letters by folding case: one subtraction and compare */
	return (unsigned)((c | 0x20) - 'a') < 26u || is_digit(c) || c == '_' || c == '$' || c >= 0x80;
}

static bool is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void put(struct out *o, char c)
{
	if (o->len >= o->cap) {
		o->full = true;
		return;
	}
	o->buf[o->len++] = c != '\0' ? c : ' '; /* a NUL inside a copied quote */
}

static void put_span(struct out *o, const char *s, size_t n)
{
	size_t room = o->cap - o->len;

	if (n > room) {
		n = room;
		o->full = true;
	}
	char *dst = o->buf + o->len;
	for (size_t k = 0; k < n; k++)
		dst[k] = s[k] != '\0' ? s[k] : ' '; /* a NUL inside a copied quote */
	o->len += n;
}

/* End of a quoted run starting at in[i] == q; one past the closing quote, or
 * len when it is not closed. Doubled quotes continue the run; backslash
 * escapes when `backslash`. */
static size_t quoted_end(const char *in, size_t len, size_t i, char q, bool backslash)
{
	size_t j = i + 1;

	while (j < len) {
		if (backslash && in[j] == '\\') {
			j += 2;
			continue;
		}
		if (in[j] == q) {
			if (j + 1 < len && in[j + 1] == q) {
				j += 2;
				continue;
			}
			return j + 1;
		}
		j++;
	}
	return len;
}

/* End of a number starting at in[i] (a digit, or '.' then a digit). */
static size_t number_end(const char *in, size_t len, size_t i)
{
	size_t j = i;

	if (in[j] == '0' && j + 1 < len &&
	    (in[j + 1] == 'x' || in[j + 1] == 'X' || in[j + 1] == 'b' || in[j + 1] == 'B')) {
		j += 2;
		while (j < len && is_hex((unsigned char)in[j]))
			j++;
		return j;
	}
	while (j < len && is_digit((unsigned char)in[j]))
		j++;
	if (j < len && in[j] == '.') {
		j++;
		while (j < len && is_digit((unsigned char)in[j]))
			j++;
	}
	if (j < len && (in[j] == 'e' || in[j] == 'E')) {
		size_t k = j + 1;
		if (k < len && (in[k] == '+' || in[k] == '-'))
			k++;
		if (k < len && is_digit((unsigned char)in[k])) {
			while (k < len && is_digit((unsigned char)in[k]))
				k++;
			j = k;
		}
	}
	return j;
}

static size_t word_end(const char *in, size_t len, size_t i)
{
	while (i < len && is_word((unsigned char)in[i]))
		i++;
	return i;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* Does the output end with the word IN (then an optional space)? */
static bool ends_with_in(const struct out *o)
{
	size_t n = o->len;

	if (n > 0 && o->buf[n - 1] == ' ')
		n--;
	if (n < 2 || lower(o->buf[n - 2]) != 'i' || lower(o->buf[n - 1]) != 'n')
		return false;
	return n == 2 || !is_word((unsigned char)o->buf[n - 3]);
}

/* Only "?", "," and spaces after position `from`, and at least one "?". */
static bool only_placeholders(const struct out *o, size_t from)
{
	bool any = false;

	for (size_t k = from; k < o->len; k++) {
		char c = o->buf[k];
		if (c == '?')
			any = true;
		else if (c != ',' && c != ' ')
			return false;
	}
	return any;
}

/* A literal prefix: X'..', B'..', N'..', E'..' or a _charset'..' introducer. */
static bool literal_prefix(const char *w, size_t n)
{
	if (n == 1)
		return lower(w[0]) == 'x' || lower(w[0]) == 'b' || lower(w[0]) == 'n' || lower(w[0]) == 'e';
	return n > 1 && w[0] == '_';
}

/* Cuts a trailing incomplete UTF-8 sequence (after the output was cut). */
static void trim_utf8(struct out *o)
{
	size_t n = o->len, k = n;

	while (k > 0 && n - k < 4 && ((unsigned char)o->buf[k - 1] & 0xc0) == 0x80)
		k--;
	if (k == 0 || ((unsigned char)o->buf[k - 1] & 0x80) == 0)
		return; /* ASCII before the continuation bytes: nothing to cut */
	unsigned char lead = (unsigned char)o->buf[k - 1];
	size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	if (n - (k - 1) < need)
		o->len = k - 1;
}

size_t bvapm_sql_normalize(const char *in, size_t len, char *out, size_t out_cap, unsigned flags)
{
	struct out o = {out, 0, out_cap > 0 ? out_cap - 1 : 0, false};
	bool mysql = (flags & BVAPM_SQL_MYSQL) != 0;
	bool keep = (flags & BVAPM_SQL_KEEP_LITERALS) != 0;
	bool space = false;  /* whitespace or a comment seen since the last token */
	size_t in_list = NO_POS; /* output index just after "IN (" */
	size_t i = 0;

	if (out_cap == 0)
		return 0;
	if (in == NULL)
		len = 0;
	while (i < len && !o.full) {
		unsigned char c = (unsigned char)in[i];
		size_t j;

		/* whitespace and comments: one space between tokens */
		if (is_space(c)) {
			space = true;
			i++;
			continue;
		}
		if ((c == '-' && i + 1 < len && in[i + 1] == '-') || (c == '#' && mysql)) {
			while (i < len && in[i] != '\n')
				i++;
			space = true;
			continue;
		}
		if (c == '/' && i + 1 < len && in[i + 1] == '*') {
			i += 2;
			while (i < len && !(in[i] == '*' && i + 1 < len && in[i + 1] == '/'))
				i++;
			i = i < len ? i + 2 : len;
			space = true;
			continue;
		}
		if (space && o.len > 0)
			put(&o, ' ');
		space = false;

		if (c == '\'' || (c == '"' && mysql)) {
			j = quoted_end(in, len, i, (char)c, mysql);
			if (keep)
				put_span(&o, in + i, j - i);
			else
				put(&o, '?');
		} else if (c == '"' || c == '`') {
			j = quoted_end(in, len, i, (char)c, false); /* identifier: kept */
			put_span(&o, in + i, j - i);
		} else if (is_digit(c) || (c == '.' && i + 1 < len && is_digit((unsigned char)in[i + 1]) &&
		                           (o.len == 0 || (!is_word((unsigned char)o.buf[o.len - 1]) &&
		                                           o.buf[o.len - 1] != ')')))) {
			j = number_end(in, len, i);
			size_t w = word_end(in, len, i);
			if (j < len && is_word((unsigned char)in[j]) && w >= j) {
				j = w; /* a name that starts with digits (MySQL): "1_t", "1e5x" */
				put_span(&o, in + i, j - i);
			} else if (keep) {
				put_span(&o, in + i, j - i);
			} else {
				put(&o, '?');
			}
		} else if (is_word(c)) {
			j = word_end(in, len, i);
			if (j < len && in[j] == '\'' && literal_prefix(in + i, j - i)) {
				size_t k = quoted_end(in, len, j, '\'', mysql);
				if (keep)
					put_span(&o, in + i, k - i);
				else
					put(&o, '?');
				j = k;
			} else {
				put_span(&o, in + i, j - i);
			}
		} else if (c == '(') {
			bool after_in = !keep && ends_with_in(&o);
			put(&o, '(');
			in_list = after_in && !o.full ? o.len : NO_POS;
			j = i + 1;
		} else if (c == ')') {
			if (in_list != NO_POS && only_placeholders(&o, in_list)) {
				o.len = in_list;
				put(&o, '?');
			}
			put(&o, ')');
			in_list = NO_POS;
			j = i + 1;
		} else {
			put(&o, (char)c);
			j = i + 1;
		}
		i = j;
	}
	if (o.full) {
		trim_utf8(&o);
		/* a cut right after a token leaves its separating space */
		while (o.len > 0 && o.buf[o.len - 1] == ' ')
			o.len--;
	}
	out[o.len] = '\0';
	return o.len;
}
