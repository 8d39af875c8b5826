/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sql_stats.c — cmocka tests of the per-request SQL table and of the
 * agent's SQL capture state: aggregation per statement, the N+1 flag at the
 * threshold, a full table counting in totals only with exact totals, the
 * arena limit, reset between requests, export order, and (agent_sql.c) the
 * capture levels, statement objects remembered per request only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/core/agent_sql.h"
#include "agent/core/sql_stats.h"

/* Intern the statement "<prefix><k>": the tests that fill the table. */
static int32_t intern_numbered(struct bvapm_sql_stats *s, const char *prefix, int k)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%s%d", prefix, k);
	return bvapm_sql_stats_intern(s, text, (size_t)n);
}

static void aggregates_and_flags(void **state)
{
	struct bvapm_sql_stats s;
	const struct bvapm_rec_sql *out;
	(void)state;

	assert_int_equal(bvapm_sql_stats_init(&s, 8, 4096, 10), 0);
	int32_t a = bvapm_sql_stats_intern(&s, "SELECT ?", 8);
	int32_t b = bvapm_sql_stats_intern(&s, "UPDATE t", 8);
	assert_int_equal(bvapm_sql_stats_intern(&s, "SELECT ?", 8), a);
	assert_int_not_equal(a, b);
	for (int i = 0; i < 10; i++)
		bvapm_sql_stats_add(&s, a, 100 + (uint64_t)i, 1);
	bvapm_sql_stats_add(&s, b, 5000, 7);
	bvapm_sql_stats_add_rows(&s, a, 3);
	bvapm_sql_stats_intern(&s, "never executed", 14);
	assert_int_equal(bvapm_sql_stats_export(&s, &out), 2);
	/* longest total first */
	assert_string_equal(out[0].statement.ptr, "UPDATE t");
	assert_int_equal(out[0].count, 1);
	assert_false(out[0].n_plus_one);
	assert_int_equal(out[0].rows, 7);
	assert_string_equal(out[1].statement.ptr, "SELECT ?");
	assert_int_equal(out[1].count, 10);
	assert_int_equal(out[1].total_ns, 1045);
	assert_int_equal(out[1].max_ns, 109);
	assert_int_equal(out[1].rows, 13);
	assert_true(out[1].n_plus_one); /* count == threshold */
	assert_int_equal(s.total_count, 11);
	assert_int_equal(s.total_ns, 6045);
	bvapm_sql_stats_free(&s);
}

static void full_table_counts_totals_only(void **state)
{
	struct bvapm_sql_stats s;
	const struct bvapm_rec_sql *out;
	(void)state;

	assert_int_equal(bvapm_sql_stats_init(&s, 4, 4096, 0), 0);
	for (int i = 0; i < 1000; i++) {
		int32_t id = intern_numbered(&s, "SELECT ", i);
		assert_true(i < 4 ? id == i : id == BVAPM_SQL_UNTRACKED);
		bvapm_sql_stats_add(&s, id, 1, 0);
	}
	assert_int_equal(bvapm_sql_stats_export(&s, &out), 4);
	assert_int_equal(s.total_count, 1000);
	assert_int_equal(s.total_ns, 1000);
	assert_int_equal(s.untracked, 996);
	for (int i = 0; i < 4; i++)
		assert_false(out[i].n_plus_one); /* threshold 0: never */
	bvapm_sql_stats_free(&s);
}

static void arena_limit(void **state)
{
	struct bvapm_sql_stats s;
	char big[100];
	(void)state;

	memset(big, 'a', sizeof(big));
	assert_int_equal(bvapm_sql_stats_init(&s, 100, 256, 1), 0);
	assert_int_equal(bvapm_sql_stats_intern(&s, big, 100), 0);
	big[0] = 'b';
	assert_int_equal(bvapm_sql_stats_intern(&s, big, 100), 1);
	big[0] = 'c';
	assert_int_equal(bvapm_sql_stats_intern(&s, big, 100), BVAPM_SQL_UNTRACKED);
	assert_int_equal(bvapm_sql_stats_intern(&s, "short", 5), 2);
	bvapm_sql_stats_free(&s);
}

static void reset_between_requests(void **state)
{
	struct bvapm_sql_stats s;
	const struct bvapm_rec_sql *out;
	(void)state;

	assert_int_equal(bvapm_sql_stats_init(&s, 64, 1 << 16, 2), 0);
	for (int round = 0; round < 50; round++) {
		bvapm_sql_stats_reset(&s);
		for (int i = 0; i < 64; i++) {
			bvapm_sql_stats_add(&s, intern_numbered(&s, "Q", (i * 7 + round) % 64), 1, 0);
		}
		assert_int_equal(bvapm_sql_stats_export(&s, &out), 64);
		assert_int_equal(s.untracked, 0);
	}
	bvapm_sql_stats_reset(&s);
	assert_int_equal(bvapm_sql_stats_export(&s, &out), 0);
	assert_int_equal(s.total_count, 0);
	bvapm_sql_stats_free(&s);
}

static void bad_init(void **state)
{
	struct bvapm_sql_stats s;
	(void)state;

	assert_int_equal(bvapm_sql_stats_init(&s, 0, 100, 1), -EINVAL);
	assert_int_equal(bvapm_sql_stats_intern(&s, "x", 1), BVAPM_SQL_UNTRACKED);
}

static void agent_levels_and_statements(void **state)
{
	struct bvapm_agent_sql_config cfg = {.capture = true, .n_plus_one_threshold = 3, .max_statements = 10};
	struct bvapm_rec_request req;
	(void)state;

	assert_int_equal(bvapm_agent_sql_init(&cfg), 0);
	assert_false(bvapm_agent_sql_on()); /* outside a request */

	bvapm_agent_sql_request_begin(true, NULL);
	assert_true(bvapm_agent_sql_on());
	int32_t id = bvapm_agent_sql_statement("SELECT * FROM t WHERE id = 5", 28, 0);
	assert_true(id >= 0);
	bvapm_agent_sql_stmt_set(7, id);
	for (int i = 0; i < 3; i++) {
		int32_t again = bvapm_agent_sql_stmt_get(7);
		assert_int_equal(again, id);
		bvapm_agent_sql_done(again, bvapm_agent_sql_start(again), 1);
	}
	assert_int_equal(bvapm_agent_sql_stmt_get(7 + BVAPM_SQL_STMT_SLOTS), BVAPM_SQL_NO_STMT);
	bvapm_agent_sql_request_end();
	assert_false(bvapm_agent_sql_on());
	memset(&req, 0, sizeof(req));
	bvapm_agent_sql_fill(&req);
	assert_int_equal(req.sql_count, 1);
	assert_int_equal(req.sql_total_count, 3);
	assert_string_equal(req.sql[0].statement.ptr, "SELECT * FROM t WHERE id = ?");
	assert_true(req.sql[0].n_plus_one);

	/* next request: the statement object is forgotten, the table empty */
	bvapm_agent_sql_request_begin(true, NULL);
	assert_int_equal(bvapm_agent_sql_stmt_get(7), BVAPM_SQL_NO_STMT);
	bvapm_agent_sql_request_end();
	memset(&req, 0, sizeof(req));
	bvapm_agent_sql_fill(&req);
	assert_int_equal(req.sql_count, 0);
	assert_int_equal(req.sql_total_count, 0);

	/* totals only (overhead guard): counted, no statement */
	bvapm_agent_sql_request_begin(false, NULL);
	id = bvapm_agent_sql_statement("SELECT 1", 8, 0);
	assert_int_equal(id, BVAPM_SQL_UNTRACKED);
	bvapm_agent_sql_done(id, bvapm_agent_sql_start(id), 0);
	bvapm_agent_sql_request_end();
	memset(&req, 0, sizeof(req));
	bvapm_agent_sql_fill(&req);
	assert_int_equal(req.sql_count, 0);
	assert_int_equal(req.sql_total_count, 1);
	bvapm_agent_sql_shutdown();

	/* max_statements outside its bounds (agent_config.h): refused, never fixed up */
	cfg.max_statements = 0;
	assert_int_equal(bvapm_agent_sql_init(&cfg), -EINVAL);
	assert_false(bvapm_agent_sql_on());
	cfg.max_statements = BVAPM_SQL_MAX_STATEMENTS + 1;
	assert_int_equal(bvapm_agent_sql_init(&cfg), -EINVAL);
	cfg.max_statements = BVAPM_SQL_MAX_STATEMENTS;
	assert_int_equal(bvapm_agent_sql_init(&cfg), 0);
	bvapm_agent_sql_shutdown();

	/* capture off: never on */
	cfg.max_statements = 10;
	cfg.capture = false;
	assert_int_equal(bvapm_agent_sql_init(&cfg), 0);
	bvapm_agent_sql_request_begin(true, NULL);
	assert_false(bvapm_agent_sql_on());
	bvapm_agent_sql_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(aggregates_and_flags),
		cmocka_unit_test(full_table_counts_totals_only),
		cmocka_unit_test(arena_limit),
		cmocka_unit_test(reset_between_requests),
		cmocka_unit_test(bad_init),
		cmocka_unit_test(agent_levels_and_statements),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
