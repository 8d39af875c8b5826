/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sql_normalize.c — cmocka tests of the SQL normalizer: literals of
 * every kind become "?", IN lists collapse, comments and whitespace go,
 * quoted identifiers and placeholders stay, dialect rules for quotes and
 * backslashes, bounded output that never splits UTF-8, no read past the
 * input (checked with a buffer ending at an inaccessible page).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/core/sql_normalize.h"

static char out[4096];

static const char *norm(const char *sql, unsigned flags)
{
	size_t n = bvapm_sql_normalize(sql, strlen(sql), out, sizeof(out), flags);
	assert_int_equal(n, strlen(out));
	return out;
}

#define EXPECT(sql, want) assert_string_equal(norm(sql, 0), want)
#define EXPECT_MY(sql, want) assert_string_equal(norm(sql, BVAPM_SQL_MYSQL), want)

static void literals(void **state)
{
	(void)state;
	EXPECT("SELECT * FROM users WHERE id = 42", "SELECT * FROM users WHERE id = ?");
	EXPECT("SELECT * FROM u WHERE name = 'bob' AND x = 'it''s'", "SELECT * FROM u WHERE name = ? AND x = ?");
	EXPECT("SELECT 3.14, .5, 1e10, 2.5E-3, 0x1F, 0b101", "SELECT ?, ?, ?, ?, ?, ?");
	EXPECT("SELECT X'DEADBEEF', N'naïve', E'a\\n', _utf8'x'", "SELECT ?, ?, ?, ?");
	EXPECT("SELECT a FROM t LIMIT 10 OFFSET 20", "SELECT a FROM t LIMIT ? OFFSET ?");
	EXPECT("UPDATE t SET n = -1", "UPDATE t SET n = -?");
}

static void names_kept(void **state)
{
	(void)state;
	EXPECT("SELECT t1.col2, \"Quoted 42\", `tick 7` FROM t1", "SELECT t1.col2, \"Quoted 42\", `tick 7` FROM t1");
	EXPECT("SELECT * FROM t WHERE a = ? AND b = :name AND c = $1", "SELECT * FROM t WHERE a = ? AND b = :name AND c = $1");
	EXPECT("SELECT * FROM 1_table", "SELECT * FROM 1_table");
	EXPECT("SELECT a.b FROM c", "SELECT a.b FROM c");
	EXPECT("SELECT .5x, 0.e'v', 1e5x", "SELECT ?x, ??, 1e5x");
}

static void in_lists(void **state)
{
	(void)state;
	EXPECT("SELECT * FROM t WHERE id IN (1, 2, 3)", "SELECT * FROM t WHERE id IN (?)");
	EXPECT("SELECT * FROM t WHERE id IN(1,2,3,4,5,6,7)", "SELECT * FROM t WHERE id IN(?)");
	EXPECT("SELECT * FROM t WHERE id in ('a', 'b')", "SELECT * FROM t WHERE id in (?)");
	EXPECT("SELECT * FROM t WHERE id NOT IN (?, ?, ?)", "SELECT * FROM t WHERE id NOT IN (?)");
	EXPECT("SELECT * FROM t WHERE id IN (SELECT x FROM y WHERE z = 1)",
	       "SELECT * FROM t WHERE id IN (SELECT x FROM y WHERE z = ?)");
	EXPECT("SELECT * FROM t WHERE f(1, 2) AND id IN (3)", "SELECT * FROM t WHERE f(?, ?) AND id IN (?)");
	EXPECT("SELECT * FROM t WHERE min (1, 2)", "SELECT * FROM t WHERE min (?, ?)");
	EXPECT("SELECT * FROM t WHERE join IN ()", "SELECT * FROM t WHERE join IN ()");
}

static void comments_and_space(void **state)
{
	(void)state;
	EXPECT("  SELECT\n\t*   FROM t -- the table 'x'\n WHERE a=1 /* why 'y' */ ",
	       "SELECT * FROM t WHERE a=?");
	EXPECT("SELECT 1 /* unterminated 'secret'", "SELECT ?");
	EXPECT("SELECT a # not a comment here", "SELECT a # not a comment here");
	EXPECT_MY("SELECT a # comment 'secret'\nFROM t", "SELECT a FROM t");
	EXPECT("", "");
	EXPECT("   ", "");
}

static void dialects(void **state)
{
	(void)state;
	/* MySQL: backslash escapes; "..." is a string */
	EXPECT_MY("SELECT 'it\\'s secret', \"also secret\" FROM t", "SELECT ?, ? FROM t");
	/* standard SQL: backslash is a plain character; "..." a name */
	EXPECT("SELECT 'C:\\', \"col\" FROM t WHERE a = 'x'", "SELECT ?, \"col\" FROM t WHERE a = ?");
	/* unterminated strings run to the end: nothing after is copied */
	EXPECT("SELECT 'never closed secret", "SELECT ?");
	EXPECT_MY("SELECT 'ends with \\' secret", "SELECT ?");
}

static void keep_literals(void **state)
{
	(void)state;
	assert_string_equal(norm("SELECT  'a'  FROM t WHERE id IN (1, 2) -- c", BVAPM_SQL_KEEP_LITERALS),
	                    "SELECT 'a' FROM t WHERE id IN (1, 2)");
}

/* One call into a buffer of cap bytes: the length it returns and the text. */
struct cut_case {
	const char *sql;
	size_t len, cap, want_n;
	const char *want;
};

static void bounded(void **state)
{
	static const struct cut_case cases[] = {
		{ "SELECT abcdefghijklmnopqrstuvwxyz", 33, 16, 15, "SELECT abcdefgh" },
		/* "é" is two bytes: never cut in the middle */
		{ "SELECT abcdefgé", 16, 16, 14, "SELECT abcdefg" },
		{ "SELECT 1", 8, 1, 0, "" },
		/* a cut just after a token leaves no trailing space */
		{ "SELECT abcdefg hij", 18, 16, 14, "SELECT abcdefg" },
		/* NUL bytes inside the input are white space */
		{ "SELECT\0a\0", 9, 32, 8, "SELECT a" },
	};
	char buf[32];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cut_case *c = &cases[i];
		assert_true(c->cap <= sizeof(buf));
		assert_int_equal(bvapm_sql_normalize(c->sql, c->len, buf, c->cap, 0), c->want_n);
		assert_string_equal(buf, c->want);
	}
	assert_int_equal(bvapm_sql_normalize("SELECT 1", 8, buf, 0, 0), 0);
	assert_int_equal(bvapm_sql_normalize(NULL, 5, buf, 16, 0), 0);
}

/* Every prefix of tricky inputs, placed so that the byte after the input is
 * an unmapped page: a read past the end would crash the test. */
static void never_reads_past_input(void **state)
{
	static const char *const inputs[] = {
		"SELECT 'abc", "SELECT 'a''", "SELECT \"x", "SELECT `x", "/* c", "-- c", "SELECT 0x",
		"SELECT 1e+", "SELECT 1.", "SELECT X'", "SELECT _u'", "IN (1,", "a IN (", "'\\", ".5",
	};
	long page = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char buf[64];
	(void)state;

	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	for (size_t k = 0; k < sizeof(inputs) / sizeof(inputs[0]); k++) {
		for (unsigned flags = 0; flags < 4; flags++) {
			size_t len = strlen(inputs[k]);
			for (size_t cut = 0; cut <= len; cut++) {
				char *at = map + page - cut;
				memcpy(at, inputs[k], cut);
				bvapm_sql_normalize(at, cut, buf, sizeof(buf), flags);
			}
		}
	}
	munmap(map, (size_t)page * 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(literals),
		cmocka_unit_test(names_kept),
		cmocka_unit_test(in_lists),
		cmocka_unit_test(comments_and_space),
		cmocka_unit_test(dialects),
		cmocka_unit_test(keep_literals),
		cmocka_unit_test(bounded),
		cmocka_unit_test(never_reads_past_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
