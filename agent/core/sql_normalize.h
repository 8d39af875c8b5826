/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sql_normalize.h — turns one SQL statement into the text it is aggregated
 * and stored under: literals replaced by `?`, literal IN lists by `IN (?)`,
 * comments removed, whitespace collapsed. Plain C, no PHP headers.
 *
 * Why: two executions of "the same query" with different values must land in
 * one entry (that is what makes an N+1 loop visible), and values — e-mail
 * addresses, tokens, passwords — must never leave the worker by default.
 *
 * Guarantees: reads only in[0..len) (NUL bytes inside are dropped, not taken
 * as the end); writes at most out_cap bytes, always NUL-terminated when
 * out_cap > 0; a cut never splits a UTF-8 sequence; one pass, no allocation,
 * no recursion, cost linear in the input. Threads: pure function.
 */
#ifndef BVAPM_SQL_NORMALIZE_H
#define BVAPM_SQL_NORMALIZE_H

#include <stddef.h>

enum bvapm_sql_flags {
	/* MySQL / MariaDB: backslash escapes inside quotes, and "..." is a
	 * string literal (ANSI SQL, SQLite, PostgreSQL: an identifier, kept). */
	BVAPM_SQL_MYSQL = 1u << 0,
	/* Keep literal values (bvapm.sql_keep_literals): comments and
	 * whitespace are still normalized, IN lists are not collapsed. */
	BVAPM_SQL_KEEP_LITERALS = 1u << 1,
};

/* Writes the normalized form of in[0..len) into out (out_cap bytes including
 * the terminating NUL). Returns the length written (< out_cap), or 0 when
 * out_cap == 0. A statement longer than the output is cut at out_cap - 1. */
size_t bvapm_sql_normalize(const char *in, size_t len, char *out, size_t out_cap, unsigned flags);

#endif
