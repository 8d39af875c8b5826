/*
 * test_report_units.c — unit tests of bvapm-report's building blocks:
 * the flame graph tree and its SVG (inclusive times, sibling merging,
 * XML escaping, widths proportional to time), --since parsing (relative
 * units, ISO 8601 with and without zone, rejects), nearest-rank
 * percentiles, the in-memory grouping (growth, distinct keys sharing a
 * prefix, kept values), and the store checks of report_store_open (missing file,
 * not SQLite, not a bvapm store, schema newer than the tool) on real files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "flame_svg.h"
#include "groups.h"
#include "report.h"
#include "store/schema.h"

#define MS 1000000LL
#define SEC 1000000000LL

static void flame_inclusive_times(void **state)
{
	struct flame *f = flame_new();
	assert_non_null(f);
	assert_int_equal(flame_add(f, "main;App\\Kernel::handle;PDO::query", 30 * MS), 0);
	assert_int_equal(flame_add(f, "main;App\\Kernel::handle;PDO::query", 10 * MS), 0);
	assert_int_equal(flame_add(f, "main;App\\Kernel::handle", 5 * MS), 0);
	assert_int_equal(flame_add(f, "main;App\\View::render", 20 * MS), 0);
	assert_int_equal(flame_add(f, "main", 1 * MS), 0);
	assert_int_equal(flame_add(f, "", 99 * MS), 0); /* ignored */
	assert_int_equal(flame_total(f), 66 * MS);
	assert_int_equal(flame_frames(f), 4);
	assert_int_equal(flame_inclusive(f, "main"), 66 * MS);
	assert_int_equal(flame_inclusive(f, "main;App\\Kernel::handle"), 45 * MS);
	assert_int_equal(flame_inclusive(f, "main;App\\Kernel::handle;PDO::query"), 40 * MS);
	assert_int_equal(flame_inclusive(f, "main;App\\View::render"), 20 * MS);
	assert_int_equal(flame_inclusive(f, "main;nope"), -1);
	/* A prefix of a sibling's name is a different frame. */
	assert_int_equal(flame_add(f, "main;App\\View", 4 * MS), 0);
	assert_int_equal(flame_inclusive(f, "main;App\\View"), 4 * MS);
	assert_int_equal(flame_inclusive(f, "main;App\\View::render"), 20 * MS);
	flame_free(f);
}

static char *svg_of(struct flame *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	assert_int_equal(flame_write_svg(f, m, "t<1>", "sub & more"), 0);
	fclose(m);
	/* a copy: GCC 12 at -O3 takes pointers into an open_memstream buffer
	 * for pointers to the local `buf` itself (-Wdangling-pointer) */
	char *svg = strdup(buf);
	free(buf);
	assert_non_null(svg);
	return svg;
}

/* Width of the rect whose <title> starts with name. */
static double rect_width(const char *svg, const char *name)
{
	char key[256];
	snprintf(key, sizeof key, "<title>%s (", name);
	const char *p = strstr(svg, key);
	assert_non_null(p);
	p = strstr(p, "width=\"");
	assert_non_null(p);
	return strtod(p + 7, NULL);
}

static void flame_svg_drawing(void **state)
{
	struct flame *f = flame_new();
	assert_int_equal(flame_add(f, "main;a<b>&\"c\"", 75 * MS), 0);
	assert_int_equal(flame_add(f, "main;other", 25 * MS), 0);
	char *svg = svg_of(f);
	assert_non_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(svg, "</svg>"));
	assert_non_null(strstr(svg, "t&lt;1&gt;"));
	assert_non_null(strstr(svg, "sub &amp; more"));
	/* Escaped name in the tooltip with its time and share; never raw. */
	assert_non_null(strstr(svg, "<title>a&lt;b&gt;&amp;&quot;c&quot; (75.00 ms, 75.00%)</title>"));
	assert_null(strstr(svg, "a<b>"));
	assert_non_null(strstr(svg, "<title>main (100.00 ms, 100.00%)</title>"));
	/* Widths proportional to inclusive time: 3 to 1. */
	double wa = rect_width(svg, "a&lt;b&gt;&amp;&quot;c&quot;"), wo = rect_width(svg, "other");
	assert_true(wa > 0 && wo > 0);
	assert_true(wa / wo > 2.99 && wa / wo < 3.01);
	assert_true(rect_width(svg, "main") > 1000);
	free(svg);
	flame_free(f);

	/* Nothing added: a valid, empty picture. */
	f = flame_new();
	svg = svg_of(f);
	assert_non_null(strstr(svg, "</svg>"));
	assert_null(strstr(svg, "<rect x=\"10.0\""));
	free(svg);
	flame_free(f);
}

static void since_parsing(void **state)
{
	int64_t now = 1764435600LL * SEC; /* 2025-11-29T17:00:00Z */
	int64_t t;
	assert_int_equal(report_parse_since("15m", now, &t), 0);
	assert_int_equal(t, now - 15 * 60 * SEC);
	assert_int_equal(report_parse_since("2h", now, &t), 0);
	assert_int_equal(t, now - 2 * 3600 * SEC);
	assert_int_equal(report_parse_since("7d", now, &t), 0);
	assert_int_equal(t, now - 7 * 86400 * SEC);
	assert_int_equal(report_parse_since("30s", now, &t), 0);
	assert_int_equal(t, now - 30 * SEC);
	assert_int_equal(report_parse_since("2025-11-29T17:00:00Z", now, &t), 0);
	assert_int_equal(t, now);
	assert_int_equal(report_parse_since("2025-11-29T18:00:00+01:00", now, &t), 0);
	assert_int_equal(t, now);
	assert_int_equal(report_parse_since("2025-11-29 16:00", now, &t), 0);
	assert_int_equal(t, now - 3600 * SEC);
	assert_int_equal(report_parse_since("2025-11-29", now, &t), 0);
	assert_int_equal(t, now - 17 * 3600 * SEC);
	assert_int_equal(report_parse_since("2025-11-29T17:00:00.5Z", now, &t), 0);
	assert_int_equal(t, now + SEC / 2);
	assert_int_equal(report_parse_since("15", now, &t), -1);
	assert_int_equal(report_parse_since("15x", now, &t), -1);
	assert_int_equal(report_parse_since("yesterday", now, &t), -1);
	assert_int_equal(report_parse_since("2025-11-29T17:00:00Zjunk", now, &t), -1);
	assert_int_equal(report_parse_since("", now, &t), -1);
}

static void percentiles(void **state)
{
	int64_t v[100];
	for (int i = 0; i < 100; i++)
		v[i] = i + 1;
	assert_int_equal(report_percentile(v, 100, 50), 50);
	assert_int_equal(report_percentile(v, 100, 95), 95);
	assert_int_equal(report_percentile(v, 100, 99), 99);
	assert_int_equal(report_percentile(v, 100, 100), 100);
	assert_int_equal(report_percentile(v, 1, 99), 1);
	assert_int_equal(report_percentile(v, 3, 50), 2);
	assert_int_equal(report_percentile(v, 0, 50), 0);
}

static int by_key(const void *a, const void *b)
{
	return strcmp((*(const struct group *const *)a)->key, (*(const struct group *const *)b)->key);
}

static void grouping(void **state)
{
	struct groups *g = groups_new();
	assert_non_null(g);
	char key[32];
	/* 5 000 keys (the table grows from 64 slots), each seen k % 7 + 1 times. */
	for (int k = 0; k < 5000; k++)
		for (int t = 0; t <= k % 7; t++) {
			int n = snprintf(key, sizeof key, "ep/%d", k);
			struct group *gr = groups_get(g, key, (size_t)n);
			assert_non_null(gr);
			gr->n++;
			gr->i[0] += k;
			assert_int_equal(group_push(gr, 100 - t), 0);
		}
	/* A key that is a prefix of another is its own group; the length counts. */
	struct group *a = groups_get(g, "ep/1", 4), *b = groups_get(g, "ep/10", 5);
	assert_true(a != b);
	assert_int_equal(a->n, 2);
	assert_int_equal(b->n, 4);
	assert_int_equal(b->i[0], 40);
	assert_ptr_equal(groups_get(g, "ep/10xyz", 5), b);
	group_sort_values(b);
	assert_int_equal(b->n_values, 4);
	assert_int_equal(b->values[0], 97);
	assert_int_equal(b->values[3], 100);
	size_t n = 0;
	struct group **all = groups_sorted(g, by_key, &n);
	assert_non_null(all);
	assert_int_equal(n, 5000);
	assert_string_equal(all[0]->key, "ep/0");
	assert_string_equal(all[1]->key, "ep/1");
	assert_string_equal(all[2]->key, "ep/10");
	int64_t rows = 0;
	for (size_t i = 0; i < n; i++)
		rows += all[i]->n;
	assert_int_equal(rows, 714 * 28 + 1 + 2); /* sum of k % 7 + 1 over k < 5000 = 7 * 714 + 2 */
	free(all);
	groups_free(g);
}

/* ---- store checks on real files -------------------------------------------------- */

static char dir[] = "/tmp/bvapm-report-unit-XXXXXX";

static int open_code(const char *path)
{
	struct report_opts o;
	memset(&o, 0, sizeof o);
	o.db_path = path;
	struct report r;
	memset(&r, 0, sizeof r);
	int rc = report_store_open(&r, &o);
	report_store_close(&r);
	return rc;
}

static void make_db(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void store_checks(void **state)
{
	char path[256];
	assert_non_null(mkdtemp(dir));

	snprintf(path, sizeof path, "%s/missing.db", dir);
	assert_int_equal(open_code(path), REPORT_NO_STORE);

	snprintf(path, sizeof path, "%s/text.db", dir);
	FILE *f = fopen(path, "w");
	fputs("this is not a database, just some text that is long enough to have a header..........."
	      "...............................................................................\n", f);
	fclose(f);
	assert_int_equal(open_code(path), REPORT_NO_STORE);

	snprintf(path, sizeof path, "%s/other.db", dir);
	make_db(path, "CREATE TABLE t (x); PRAGMA user_version = 1;");
	assert_int_equal(open_code(path), REPORT_NO_STORE);

	/* The drainer's schema: readable, and the file is left unchanged. */
	snprintf(path, sizeof path, "%s/store.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (int v = 0; v < BVAPM_STORE_SCHEMA_VERSION; v++)
		for (const char *const *part = bvapm_store_migrations[v]; *part; part++)
			assert_int_equal(sqlite3_exec(db, *part, NULL, NULL, NULL), SQLITE_OK);
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", BVAPM_STORE_SCHEMA_VERSION);
	assert_int_equal(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(open_code(path), REPORT_OK);

	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", BVAPM_STORE_SCHEMA_VERSION + 1);
	make_db(path, pragma);
	assert_int_equal(open_code(path), REPORT_TOO_NEW);

	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flame_inclusive_times),
		cmocka_unit_test(flame_svg_drawing),
		cmocka_unit_test(since_parsing),
		cmocka_unit_test(percentiles),
		cmocka_unit_test(grouping),
		cmocka_unit_test(store_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
