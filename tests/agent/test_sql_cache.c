/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sql_cache.c — cmocka tests of the process's normalized-statement
 * cache: a hit gives byte for byte what the normalizer writes, under every
 * flag and output size it is asked with; texts that differ in one byte,
 * flags or size never share an entry; a full table or arena empties the
 * cache and it goes on answering right; what does not fit is never kept;
 * a cache never made normalizes; and (agent_sql.c) a statement run again in
 * a later request is a hit, recorded under the same text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/agent_sql.h"
#include "agent/core/sql_cache.h"
#include "agent/core/sql_hash.h"
#include "agent/core/sql_normalize.h"

#define OUT_CAP 1025

/* Looks sql up in c and checks the answer against the normalizer itself. */
static void check(struct bvapm_sql_cache *c, const char *sql, size_t len, unsigned flags, size_t out_cap)
{
	char out[8192], want[8192];
	const char *text = NULL;
	uint64_t hash = 0;

	assert_true(out_cap <= sizeof(out));
	size_t want_n = bvapm_sql_normalize(sql, len, want, out_cap, flags);
	memset(out, 'x', sizeof(out));
	size_t n = bvapm_sql_cache_normalize(c, sql, len, flags, out, out_cap, &text, &hash);
	assert_int_equal(n, want_n);
	assert_non_null(text);
	assert_memory_equal(text, want, n);
	assert_int_equal(text[n], '\0');
	assert_true(hash == bvapm_sql_hash(want, want_n));
}

static void hit_is_what_the_normalizer_writes(void **state)
{
	static const char *statements[] = {
		"SELECT * FROM wp_options WHERE autoload = 'yes'",
		"SELECT option_value FROM wp_options WHERE option_name = 'x' LIMIT 1",
		"select  a,\n b from t -- comment\n where id in (1, 2, 3)",
		"UPDATE t SET v = \"quoted\" WHERE k = 0x1F",
		"",
	};
	struct bvapm_sql_cache c;
	(void)state;

	assert_int_equal(bvapm_sql_cache_init(&c, 64, 64 << 10), 0);
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < sizeof(statements) / sizeof(*statements); i++)
			for (unsigned flags = 0; flags < 4; flags++)
				check(&c, statements[i], strlen(statements[i]), flags, OUT_CAP);
	assert_int_equal(c.misses, 5 * 4);      /* the first round */
	assert_int_equal(c.hits, 2 * 5 * 4);    /* the two after it */
	assert_int_equal(c.resets, 0);

	/* NUL bytes inside are part of the text, as the normalizer sees it */
	static const char with_nul[] = "SELECT 'a\0b' FROM t";
	check(&c, with_nul, sizeof(with_nul) - 1, 0, OUT_CAP);
	check(&c, with_nul, sizeof(with_nul) - 1, 0, OUT_CAP);
	check(&c, "SELECT 'a", 9, 0, OUT_CAP); /* a prefix of it: its own entry */
	bvapm_sql_cache_free(&c);
}

static void one_byte_flags_or_size_make_another_entry(void **state)
{
	struct bvapm_sql_cache c;
	char a[600], b[600];
	(void)state;

	assert_int_equal(bvapm_sql_cache_init(&c, 64, 64 << 10), 0);
	/* the same length, one byte apart, at each end and in the middle */
	memset(a, 'a', sizeof(a));
	memcpy(a, "SELECT ", 7);
	for (size_t at = 7; at < sizeof(a); at += 97) {
		memcpy(b, a, sizeof(a));
		b[at] = 'b';
		check(&c, a, sizeof(a), 0, OUT_CAP);
		check(&c, b, sizeof(b), 0, OUT_CAP);
	}
	/* MySQL reads "x" as a value, standard SQL as a name */
	const char *q = "SELECT \"secret\" FROM t";
	check(&c, q, strlen(q), 0, OUT_CAP);
	check(&c, q, strlen(q), BVAPM_SQL_MYSQL, OUT_CAP);
	check(&c, q, strlen(q), BVAPM_SQL_MYSQL | BVAPM_SQL_KEEP_LITERALS, OUT_CAP);
	/* a smaller output cuts the statement: not the kept longer form */
	check(&c, q, strlen(q), 0, 10);
	check(&c, q, strlen(q), 0, OUT_CAP);
	bvapm_sql_cache_free(&c);
}

static void full_cache_empties_and_goes_on(void **state)
{
	struct bvapm_sql_cache c;
	char sql[64];
	(void)state;

	/* the table full: 4 entries */
	assert_int_equal(bvapm_sql_cache_init(&c, 4, 64 << 10), 0);
	for (int round = 0; round < 3; round++)
		for (int k = 0; k < 10; k++) {
			int n = snprintf(sql, sizeof(sql), "SELECT c%d FROM t WHERE id = %d", k, k * 7);
			check(&c, sql, (size_t)n, 0, OUT_CAP);
		}
	assert_true(c.resets >= 7);
	assert_true(c.used <= 4);
	bvapm_sql_cache_free(&c);

	/* the arena full: room for about two statements */
	assert_int_equal(bvapm_sql_cache_init(&c, 64, 160), 0);
	for (int round = 0; round < 3; round++)
		for (int k = 0; k < 5; k++) {
			int n = snprintf(sql, sizeof(sql), "SELECT col%d FROM tbl WHERE id = %d", k, k);
			check(&c, sql, (size_t)n, 0, OUT_CAP);
		}
	assert_true(c.resets >= 5);
	assert_true(c.arena_used <= c.arena_cap);
	bvapm_sql_cache_free(&c);
}

static void what_does_not_fit_is_never_kept(void **state)
{
	struct bvapm_sql_cache c;
	(void)state;

	/* longer than the arena */
	assert_int_equal(bvapm_sql_cache_init(&c, 8, 32), 0);
	const char *q = "SELECT a_long_column_name FROM a_long_table_name";
	for (int i = 0; i < 3; i++)
		check(&c, q, strlen(q), 0, OUT_CAP);
	assert_int_equal(c.hits, 0);
	assert_int_equal(c.used, 0);
	bvapm_sql_cache_free(&c);

	/* longer than BVAPM_SQL_CACHE_MAX_TEXT: normalized every time */
	assert_int_equal(bvapm_sql_cache_init(&c, 8, 64 << 10), 0);
	size_t len = BVAPM_SQL_CACHE_MAX_TEXT + 1;
	char *big = malloc(len);
	assert_non_null(big);
	memset(big, ' ', len);
	memcpy(big, "SELECT 1", 8);
	for (int i = 0; i < 3; i++)
		check(&c, big, len, 0, OUT_CAP);
	assert_int_equal(c.hits + c.misses, 0);
	big[len - 1] = 'x'; /* one byte shorter: kept */
	check(&c, big, len - 1, 0, OUT_CAP);
	check(&c, big, len - 1, 0, OUT_CAP);
	assert_int_equal(c.hits, 1);
	free(big);
	bvapm_sql_cache_free(&c);
}

static void no_cache_normalizes(void **state)
{
	struct bvapm_sql_cache c;
	(void)state;

	memset(&c, 0, sizeof(c)); /* never made, as after a failed init */
	check(&c, "SELECT 5", 8, 0, OUT_CAP);
	check(&c, "SELECT 5", 8, 0, OUT_CAP);
	assert_int_equal(c.hits + c.misses, 0);
	assert_int_equal(bvapm_sql_cache_init(&c, 0, 1024), -EINVAL);
	assert_null(c.index);
	check(&c, "SELECT 5", 8, 0, OUT_CAP);
	assert_int_equal(bvapm_sql_cache_init(&c, 65537, 1024), -EINVAL);
	assert_int_equal(bvapm_sql_cache_init(&c, 8, 0), -EINVAL);
	bvapm_sql_cache_free(&c); /* safe on an empty cache */
}

static void agent_hits_in_later_requests(void **state)
{
	struct bvapm_agent_sql_config cfg = {.capture = true, .n_plus_one_threshold = 0, .max_statements = 10};
	struct bvapm_rec_request req;
	const char *q = "SELECT * FROM t WHERE name = 'alice@example.com'";
	(void)state;

	assert_int_equal(bvapm_agent_sql_init(&cfg), 0);
	for (int r = 0; r < 3; r++) {
		bvapm_agent_sql_request_begin(true, NULL);
		int32_t id = bvapm_agent_sql_statement(q, strlen(q), BVAPM_SQL_MYSQL);
		assert_true(id >= 0);
		bvapm_agent_sql_done(id, bvapm_agent_sql_start(id), 1);
		assert_int_equal(bvapm_agent_sql_statement(q, strlen(q), BVAPM_SQL_MYSQL), id);
		bvapm_agent_sql_request_end();
		memset(&req, 0, sizeof(req));
		bvapm_agent_sql_fill(&req);
		assert_int_equal(req.sql_count, 1);
		assert_string_equal(req.sql[0].statement.ptr, "SELECT * FROM t WHERE name = ?");
	}
	assert_int_equal(bvapm_agent_sql_cache()->misses, 1);
	assert_int_equal(bvapm_agent_sql_cache()->hits, 5);
	bvapm_agent_sql_shutdown();
	assert_null(bvapm_agent_sql_cache()->index);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hit_is_what_the_normalizer_writes),
		cmocka_unit_test(one_byte_flags_or_size_make_another_entry),
		cmocka_unit_test(full_cache_empties_and_goes_on),
		cmocka_unit_test(what_does_not_fit_is_never_kept),
		cmocka_unit_test(no_cache_normalizes),
		cmocka_unit_test(agent_hits_in_later_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
