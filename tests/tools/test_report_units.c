/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_report_units.c — unit tests of bvapm-report's building blocks:
 * the flame graph tree and its SVG (inclusive times, sibling merging,
 * XML escaping, widths proportional to time), --since parsing (relative
 * units, ISO 8601 with and without zone, rejects), nearest-rank
 * percentiles, the log-spaced histogram buckets (powers of two, 1-2-5
 * steps: edges, bounds, counts), the timeline's bucket widths (--bucket
 * parsing and rejects, the width chosen from a time span, labels,
 * alignment), text bars and sparklines, the in-memory grouping (growth, distinct keys sharing a
 * prefix, kept values, the scan of a query's rows, multi-part keys), the
 * table renderer (text widths, units, clipping, text order, headings, empty
 * and "more" lines, records; JSON keys, types and left-out values; endpoints
 * shortened only under their prefix, never a job's), the fit of the memory
 * after each job and its "steady growth" verdict (a leak's line, a worker up
 * and down around a level, one step, too few jobs, too little growth, noise
 * on large values), and the store checks of report_store_open (missing file, not SQLite, not a bvapm
 * store, schema newer than the tool) on real files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/report/flame_svg.h"
#include "tools/report/groups.h"
#include "tools/report/jobs.h"
#include "tools/report/log_buckets.h"
#include "tools/report/report.h"
#include "tools/report/report_table.h"
#include "tools/report/time_buckets.h"
#include "store/schema.h"

#define MS 1000000LL
#define SEC 1000000000LL

static void flame_inclusive_times(void **state)
{
	struct flame *f = report_flame_new();
	assert_non_null(f);
	assert_int_equal(report_flame_add(f, "main;App\\Kernel::handle;PDO::query", 30 * MS), 0);
	assert_int_equal(report_flame_add(f, "main;App\\Kernel::handle;PDO::query", 10 * MS), 0);
	assert_int_equal(report_flame_add(f, "main;App\\Kernel::handle", 5 * MS), 0);
	assert_int_equal(report_flame_add(f, "main;App\\View::render", 20 * MS), 0);
	assert_int_equal(report_flame_add(f, "main", 1 * MS), 0);
	assert_int_equal(report_flame_add(f, "", 99 * MS), 0); /* ignored */
	assert_int_equal(report_flame_total(f), 66 * MS);
	assert_int_equal(report_flame_frames(f), 4);
	assert_int_equal(report_flame_inclusive(f, "main"), 66 * MS);
	assert_int_equal(report_flame_inclusive(f, "main;App\\Kernel::handle"), 45 * MS);
	assert_int_equal(report_flame_inclusive(f, "main;App\\Kernel::handle;PDO::query"), 40 * MS);
	assert_int_equal(report_flame_inclusive(f, "main;App\\View::render"), 20 * MS);
	assert_int_equal(report_flame_inclusive(f, "main;nope"), -1);
	/* A prefix of a sibling's name is a different frame. */
	assert_int_equal(report_flame_add(f, "main;App\\View", 4 * MS), 0);
	assert_int_equal(report_flame_inclusive(f, "main;App\\View"), 4 * MS);
	assert_int_equal(report_flame_inclusive(f, "main;App\\View::render"), 20 * MS);
	report_flame_free(f);
}

static char *svg_of(struct flame *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	assert_int_equal(report_flame_write_svg(f, m, "t<1>", "sub & more"), 0);
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
	struct flame *f = report_flame_new();
	assert_int_equal(report_flame_add(f, "main;a<b>&\"c\"", 75 * MS), 0);
	assert_int_equal(report_flame_add(f, "main;other", 25 * MS), 0);
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
	report_flame_free(f);

	/* Nothing added: a valid, empty picture. */
	f = report_flame_new();
	svg = svg_of(f);
	assert_non_null(strstr(svg, "</svg>"));
	assert_null(strstr(svg, "<rect x=\"10.0\""));
	free(svg);
	report_flame_free(f);
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
	/* @SECONDS since the epoch (the pages' links to a chart's bucket) */
	assert_int_equal(report_parse_since("@1764435600", now, &t), 0);
	assert_int_equal(t, now);
	assert_int_equal(report_parse_since("@0", now, &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(report_parse_since("@", now, &t), -1);
	assert_int_equal(report_parse_since("@-1", now, &t), -1);
	assert_int_equal(report_parse_since("@12x", now, &t), -1);
	assert_int_equal(report_parse_since("@99999999999", now, &t), -1);
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

static void log_buckets(void **state)
{
	/* powers of two: [0, 2), [2, 4), [4, 8), … ; the last holds the rest */
	assert_int_equal(report_log_bucket(REPORT_LOG_POW2, -5), 0);
	assert_int_equal(report_log_bucket(REPORT_LOG_POW2, 0), 0);
	assert_int_equal(report_log_bucket(REPORT_LOG_POW2, 1), 0);
	assert_int_equal(report_log_bucket(REPORT_LOG_POW2, 2), 1);
	assert_int_equal(report_log_bucket(REPORT_LOG_POW2, 3), 1);
	assert_int_equal(report_log_bucket(REPORT_LOG_POW2, 64 * 1048576LL), 26);
	assert_int_equal(report_log_bucket(REPORT_LOG_POW2, 64 * 1048576LL - 1), 25);
	assert_int_equal(report_log_bucket(REPORT_LOG_POW2, INT64_MAX), REPORT_LOG_BUCKETS - 1);
	assert_int_equal(report_log_lo(REPORT_LOG_POW2, 0), 0);
	assert_int_equal(report_log_hi(REPORT_LOG_POW2, 0), 2);
	assert_int_equal(report_log_lo(REPORT_LOG_POW2, 26), 64 * 1048576LL);
	assert_int_equal(report_log_hi(REPORT_LOG_POW2, 26), 128 * 1048576LL);
	/* 1-2-5: [0, 2), [2, 5), [5, 10), [10, 20), … */
	static const struct {
		int64_t v;
		int b;
	} steps[] = {{0, 0}, {1, 0}, {2, 1}, {4, 1}, {5, 2}, {9, 2}, {10, 3}, {19, 3}, {20, 4},
	             {49, 4}, {50, 5}, {99, 5}, {100, 6}, {MS, 18}, {2 * MS - 1, 18}, {2 * MS, 19},
	             {5 * MS, 20}, {SEC, 27}, {INT64_MAX, 54}};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		int b = report_log_bucket(REPORT_LOG_125, steps[i].v);
		assert_int_equal(b, steps[i].b);
		/* every value lies within its bucket's bounds (the last is open above) */
		assert_true(steps[i].v < 0 || steps[i].v >= report_log_lo(REPORT_LOG_125, b));
		assert_true(b == 54 || steps[i].v < report_log_hi(REPORT_LOG_125, b));
	}
	assert_int_equal(report_log_lo(REPORT_LOG_125, 19), 2 * MS);
	assert_int_equal(report_log_hi(REPORT_LOG_125, 19), 5 * MS);
	assert_int_equal(report_log_hi(REPORT_LOG_125, 54), 2000000000000000000LL);

	struct report_log_hist h = {.scale = REPORT_LOG_125};
	int first, last;
	assert_false(report_log_hist_range(&h, &first, &last));
	for (int64_t v = 1; v <= 100; v++)
		report_log_hist_add(&h, v * MS); /* 1 .. 100 ms */
	assert_true(report_log_hist_range(&h, &first, &last));
	assert_int_equal(first, 18);
	assert_int_equal(last, 24); /* 100 ms starts [100 ms, 200 ms) */
	assert_int_equal(h.count[18], 1);  /* 1 ms */
	assert_int_equal(h.count[19], 3);  /* 2, 3, 4 ms */
	assert_int_equal(h.count[20], 5);  /* 5 .. 9 */
	assert_int_equal(h.count[21], 10); /* 10 .. 19 */
	assert_int_equal(h.count[22], 30); /* 20 .. 49 */
	assert_int_equal(h.count[23], 50); /* 50 .. 99 */
	assert_int_equal(h.count[24], 1);
	assert_int_equal(h.total, 100);
}

static void time_buckets(void **state)
{
	int64_t ns = 0;
	assert_int_equal(report_bucket_parse("30s", &ns), 0);
	assert_int_equal(ns, 30 * SEC);
	assert_int_equal(report_bucket_parse("5m", &ns), 0);
	assert_int_equal(ns, 300 * SEC);
	assert_int_equal(report_bucket_parse("1h", &ns), 0);
	assert_int_equal(ns, 3600 * SEC);
	assert_int_equal(report_bucket_parse("2d", &ns), 0);
	assert_int_equal(ns, 2 * 86400 * SEC);
	assert_int_equal(report_bucket_parse("1w", &ns), 0);
	assert_int_equal(ns, 7 * 86400 * SEC);
	static const char *const bad[] = {"", "0s", "-5m", "5", "m", "5x", "5mm", "1.5h", " 5m",
	                                  "99999999999999w"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(report_bucket_parse(bad[i], &ns), -1);

	/* the smallest width that makes fewer than 60 intervals of the span */
	assert_int_equal(report_bucket_auto(0), SEC);
	assert_int_equal(report_bucket_auto(59 * SEC), SEC);
	assert_int_equal(report_bucket_auto(60 * SEC), 5 * SEC);
	assert_int_equal(report_bucket_auto(990 * SEC), 30 * SEC);
	assert_int_equal(report_bucket_auto(3599 * SEC), 60 * SEC);
	assert_int_equal(report_bucket_auto(3600 * SEC), 300 * SEC);
	assert_int_equal(report_bucket_auto(24 * 3600 * SEC), 1800 * SEC);
	assert_int_equal(report_bucket_auto(59 * 3600 * SEC), 3600 * SEC);
	assert_int_equal(report_bucket_auto(7 * 86400 * SEC), 6 * 3600 * SEC);
	assert_int_equal(report_bucket_auto(365 * 86400 * SEC), 86400 * SEC);

	char buf[32];
	assert_string_equal(report_bucket_label(300 * SEC, buf, sizeof buf), "5m");
	assert_string_equal(report_bucket_label(90 * SEC, buf, sizeof buf), "90s");
	assert_string_equal(report_bucket_label(6 * 3600 * SEC, buf, sizeof buf), "6h");
	assert_string_equal(report_bucket_label(86400 * SEC, buf, sizeof buf), "1d");
	assert_string_equal(report_bucket_label(14 * 86400 * SEC, buf, sizeof buf), "2w");
	assert_string_equal(report_bucket_label(1500 * MS, buf, sizeof buf), "1500000000ns");

	assert_int_equal(report_bucket_floor(1796303345 * SEC + 7, 30 * SEC), 1796303340 * SEC);
	assert_int_equal(report_bucket_floor(600 * SEC, 300 * SEC), 600 * SEC);
	assert_int_equal(report_bucket_floor(-1, 60 * SEC), -60 * SEC);
}

static void bars_and_sparklines(void **state)
{
	char bar[11];
	report_fmt_bar(bar, 10, 5, 10);
	assert_string_equal(bar, "#####");
	report_fmt_bar(bar, 10, 1, 1000); /* anything at all shows */
	assert_string_equal(bar, "#");
	report_fmt_bar(bar, 10, 0, 1000);
	assert_string_equal(bar, "");
	report_fmt_bar(bar, 10, 2000, 1000);
	assert_string_equal(bar, "##########");

	char spark[3 * 10 + 1];
	const int64_t v[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 0};
	report_fmt_sparkline(spark, v, 10);
	assert_string_equal(spark, " ▁▂▃▄▅▆▇█ ");
	const int64_t tiny[] = {1, 1000};
	report_fmt_sparkline(spark, tiny, 2);
	assert_string_equal(spark, "▁█");
	const int64_t none[] = {0, 0};
	report_fmt_sparkline(spark, none, 2);
	assert_string_equal(spark, "  ");
	report_fmt_sparkline(spark, none, 0);
	assert_string_equal(spark, "");
}

static void grouping(void **state)
{
	struct groups *g = report_groups_new();
	assert_non_null(g);
	char key[32];
	/* 5 000 keys (the table grows from 64 slots), each seen k % 7 + 1 times. */
	for (int k = 0; k < 5000; k++)
		for (int t = 0; t <= k % 7; t++) {
			int n = snprintf(key, sizeof key, "ep/%d", k);
			struct group *gr = report_groups_get(g, key, (size_t)n);
			assert_non_null(gr);
			gr->n++;
			gr->i[0] += k;
			assert_int_equal(report_group_push(gr, 100 - t), 0);
		}
	/* A key that is a prefix of another is its own group; the length counts. */
	struct group *a = report_groups_get(g, "ep/1", 4), *b = report_groups_get(g, "ep/10", 5);
	assert_true(a != b);
	assert_int_equal(a->n, 2);
	assert_int_equal(b->n, 4);
	assert_int_equal(b->i[0], 40);
	assert_ptr_equal(report_groups_get(g, "ep/10xyz", 5), b);
	report_group_sort_values(b);
	assert_int_equal(b->n_values, 4);
	assert_int_equal(b->values[0], 97);
	assert_int_equal(b->values[3], 100);
	size_t n = 0;
	struct group **all = report_groups_sorted(g, report_group_cmp_key, &n);
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
	report_groups_free(g);
}

/* Adds column 1 to i[0], keeps the largest in i[1]; a negative value stops the scan. */
static int fold_demo(struct group *gr, sqlite3_stmt *s, void *ctx)
{
	int64_t v = sqlite3_column_int64(s, 1);
	*(int *)ctx += 1;
	if (v < 0)
		return -1;
	gr->i[0] += v;
	if (v > gr->i[1])
		gr->i[1] = v;
	return 0;
}

static void grouping_scan_and_keys(void **state)
{
	struct report_opts o = {.json = false};
	struct report r = {.o = &o};
	assert_int_equal(sqlite3_open(":memory:", &r.db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(r.db, "CREATE TABLE t (k TEXT, v INTEGER); INSERT INTO t "
	                                    "VALUES ('a', 5), ('b', 9), ('a', 7), ('c', 9), ('b', 1)",
	                              NULL, NULL, NULL), SQLITE_OK);
	struct groups *g = report_groups_new();
	const char *in_order = "SELECT k, v FROM t ORDER BY rowid";
	int folded = 0;
	assert_int_equal(report_groups_scan(&r, report_prepare(&r, "%s", in_order), g, 0, fold_demo,
	                                    &folded), 0);
	assert_int_equal(folded, 5);
	size_t n = 0;
	struct group **all = report_groups_sorted(g, report_group_cmp_i1_desc, &n);
	assert_non_null(all);
	assert_int_equal(n, 3);
	/* i[1] descending, ties by key: b (9), c (9), a (7) */
	assert_string_equal(all[0]->key, "b");
	assert_int_equal(all[0]->n, 2);
	assert_int_equal(all[0]->i[0], 10);
	assert_string_equal(all[1]->key, "c");
	assert_string_equal(all[2]->key, "a");
	assert_int_equal(all[2]->n, 2);
	assert_int_equal(all[2]->i[0], 12);
	free(all);
	/* The key column is any column; fold may be NULL; fold stopping, a failed
	 * statement and no statement are errors. */
	struct groups *by_v = report_groups_new();
	assert_int_equal(report_groups_scan(&r, report_prepare(&r, "SELECT k, v FROM t"), by_v, 1,
	                                    NULL, NULL), 0);
	assert_int_equal(report_groups_get(by_v, "9", 1)->n, 2);
	report_groups_free(by_v);
	assert_int_equal(sqlite3_exec(r.db, "INSERT INTO t VALUES ('d', -1)", NULL, NULL, NULL),
	                 SQLITE_OK);
	folded = 0;
	assert_int_equal(report_groups_scan(&r, report_prepare(&r, "%s", in_order), g, 0, fold_demo,
	                                    &folded), -1);
	assert_int_equal(folded, 6);
	/* abs() of the smallest integer overflows: the statement fails at its first step. */
	sqlite3_stmt *overflow = report_prepare(&r, "SELECT k, abs(-9223372036854775807 - 1) FROM t");
	assert_non_null(overflow);
	assert_int_equal(report_groups_scan(&r, overflow, g, 0, NULL, NULL), -1);
	assert_int_equal(report_groups_scan(&r, NULL, g, 0, NULL, NULL), -1);
	report_groups_free(g);
	sqlite3_close(r.db);

	/* Keys of parts: the separator between them, lengths count (not NULs),
	 * the buffer reused and grown. */
	struct report_key k = {NULL, 0, 0};
	const char *p2[] = {"/a.php", "SELECT 1"};
	const size_t l2[] = {6, 8};
	assert_int_equal(report_key_join(&k, '\x1f', 2, p2, l2), 0);
	assert_int_equal(k.len, 15);
	assert_memory_equal(k.s, "/a.php\x1fSELECT 1", 16);
	const char *p3[] = {"/b.php", "(start)xyz", "end"};
	const size_t l3[] = {6, 7, 3};
	assert_int_equal(report_key_join(&k, '|', 3, p3, l3), 0);
	assert_string_equal(k.s, "/b.php|(start)|end");
	assert_int_equal(k.len, 18);
	char long_part[300];
	memset(long_part, 'x', sizeof long_part);
	const char *p1[] = {long_part};
	const size_t l1[] = {sizeof long_part};
	assert_int_equal(report_key_join(&k, '|', 1, p1, l1), 0);
	assert_int_equal(k.len, 300);
	assert_int_equal(k.s[300], '\0');
	free(k.s);
	(void)state;
}

/* ---- tables: text and JSON from one spec ------------------------------------------ */

/* What the code between capture_start() and capture_end() printed on stdout. */
static int saved_stdout = -1;
static FILE *captured;

static void capture_start(void)
{
	fflush(stdout);
	captured = tmpfile();
	assert_non_null(captured);
	saved_stdout = dup(STDOUT_FILENO);
	assert_true(saved_stdout >= 0);
	assert_true(dup2(fileno(captured), STDOUT_FILENO) >= 0);
}

static char *capture_end(void)
{
	fflush(stdout);
	dup2(saved_stdout, STDOUT_FILENO);
	close(saved_stdout);
	long len = ftell(captured);
	char *buf = calloc(1, (size_t)len + 1);
	assert_non_null(buf);
	rewind(captured);
	assert_int_equal(fread(buf, 1, (size_t)len, captured), (size_t)len);
	fclose(captured);
	return buf;
}

static const struct report_col demo_cols[] = {
	{"endpoint", "endpoint", 12, .kind = REPORT_COL_EP, .flags = REPORT_COL_CLIP},
	{"requests", "requests", 8, .kind = REPORT_COL_INT},
	{"share", "share", 6, .kind = REPORT_COL_PCT},
	{"p50_ns", "p50", 9, .kind = REPORT_COL_NS},
	{"peak_bytes", "peak", 10, .kind = REPORT_COL_BYTES},
	{"delta_bytes", "delta", 10, .kind = REPORT_COL_DELTA},
	{"flagged", "flag", 4, .kind = REPORT_COL_BOOL},
	{"max", "max", 6, .kind = REPORT_COL_NUM},
	{"hidden", NULL, 0, .kind = REPORT_COL_INT},
	{NULL, "bar", 0, .kind = REPORT_COL_STR, .before = "  "},
};

static const struct report_table_spec demo_spec = {
	.key = "demo",
	.title = "Demo",
	.empty = "  none",
	.more = "endpoints",
	REPORT_COLUMNS(demo_cols),
};

static void demo_rows(struct report *r)
{
	struct report_table t;
	report_table_begin(&t, r, &demo_spec, NULL);
	report_table_row(&t, (const struct report_cell[]){
		{.s = "/srv/www/a/session.php"}, {.i = 42}, {.d = 12.345}, {.i = 1500000},
		{.i = 3 * 1048576 / 2}, {.i = -2048}, {.i = 1}, {.d = 0.25}, {.i = 7}, {.s = "##"},
	});
	report_table_row(&t, (const struct report_cell[]){
		{.s = "/srv/www/b.php"}, {.i = 3}, {.d = 100}, {.i = 2500000000}, {.i = 512},
		{.i = 1024}, {.i = 0}, {.null = true}, {.i = 8}, {.s = "#"},
	});
	report_table_end(&t, 5);
}

static void table_text(void **state)
{
	struct report_opts o = {.json = false};
	struct report r = {.o = &o, .ep_prefix = "/srv/www", .ep_prefix_len = strlen("/srv/www")};
	capture_start();
	demo_rows(&r);
	char *out = capture_end();
	assert_string_equal(out,
		"\nDemo\n"
		"  endpoint     requests  share       p50       peak      delta flag    max  bar\n"
		"  ...ssion.php       42  12.3%    1.5 ms    1.5 MiB   -2.0 KiB  yes   0.25  ##\n"
		"  /b.php              3 100.0%    2.50 s      512 B   +1.0 KiB   no      -  #\n"
		"  ... 5 more endpoints (--limit)\n");
	free(out);

	/* No row: the empty line, not the "more" one. */
	struct report_table t;
	capture_start();
	report_table_begin(&t, &r, &demo_spec, NULL);
	report_table_end(&t, 5);
	out = capture_end();
	assert_string_equal(out, "\nDemo\n  endpoint     requests  share       p50       peak      "
	                         "delta flag    max  bar\n  none\n");
	free(out);
}

static void endpoint_prefix(void **state)
{
	struct report_opts o = {.json = false};
	struct report r = {.o = &o, .ep_prefix = "/srv/www", .ep_prefix_len = strlen("/srv/www")};
	assert_string_equal(report_ep_short(&r, "/srv/www/a/session.php"), "/a/session.php");
	assert_string_equal(report_ep_short(&r, "job:import"), "job:import");
	assert_string_equal(report_ep_short(&r, "/srv/wwwx/b.php"), "/srv/wwwx/b.php");
	assert_string_equal(report_ep_short(&r, "/api/orders"), "/api/orders");
	r.ep_prefix_len = 0;
	assert_string_equal(report_ep_short(&r, "/srv/www/a.php"), "/srv/www/a.php");
}

#define KIB 1024.0
#define MIB (1024.0 * 1024.0)

static struct job_fit fit_of(int n, double (*y)(int))
{
	struct job_fit f;
	memset(&f, 0, sizeof f);
	for (int i = 0; i < n; i++)
		report_job_fit_add(&f, y(i));
	return f;
}

/* A leak: 48 KiB more after every job, ± 4 KiB alternating, on 40 MiB. */
static double leak(int i) { return 40 * MIB + i * 48 * KIB + (i % 2 ? -4 * KIB : 4 * KIB); }
/* Up 512 KiB a job for 10 jobs, then back down, around 32 MiB. */
static double sawtooth(int i) { return 30 * MIB + (i % 10) * 512 * KIB; }
/* A cache filled once, half-way: 30 MiB, then 80 MiB. */
static double step(int i) { return i < 250 ? 30 * MIB : 80 * MIB; }
/* A step late in the run: the same r² rule. */
static double late_step(int i) { return i < 400 ? 30 * MIB : 80 * MIB; }
/* Steady but small: 1 KiB a job over 500 jobs, about 0.5 MiB in all. */
static double small(int i) { return 30 * MIB + i * KIB; }
/* 10 MiB a job. */
static double steep(int i) { return 50 * MIB + i * 10 * MIB; }
/* Shrinking. */
static double shrink(int i) { return 90 * MIB - i * 64 * KIB; }
/* Exactly linear on a large base: 2 GiB + 100 bytes a job. */
static double large_base(int i) { return 2048 * MIB + i * 100.0; }
static double flat(int i) { (void)i; return 30 * MIB; }

static void job_fit(void **state)
{
	struct job_fit f = fit_of(500, leak);
	assert_true(fabs(report_job_fit_slope(&f) - 48 * KIB) < 1);
	assert_true(report_job_fit_r2(&f) > 0.99);
	assert_true(report_job_fit_steady_growth(&f));

	f = fit_of(300, sawtooth);
	assert_true(report_job_fit_slope(&f) > 0 && report_job_fit_slope(&f) < 1024);
	assert_true(report_job_fit_r2(&f) < 0.01);
	assert_false(report_job_fit_steady_growth(&f));

	f = fit_of(500, step);
	assert_true(report_job_fit_r2(&f) > 0.74 && report_job_fit_r2(&f) < 0.76);
	assert_false(report_job_fit_steady_growth(&f));
	f = fit_of(500, late_step);
	assert_true(report_job_fit_r2(&f) < 0.5);
	assert_false(report_job_fit_steady_growth(&f));

	f = fit_of(500, small);
	assert_true(fabs(report_job_fit_slope(&f) - KIB) < 0.01);
	assert_true(report_job_fit_r2(&f) > 0.999);
	assert_false(report_job_fit_steady_growth(&f)); /* < 1 MiB in all */
	f = fit_of(1500, small);
	assert_true(report_job_fit_steady_growth(&f));  /* 1.5 MiB */

	f = fit_of(REPORT_JOB_GROWTH_MIN_JOBS - 1, steep); /* a perfect line, too few jobs */
	assert_true(report_job_fit_r2(&f) > 0.999);
	assert_false(report_job_fit_steady_growth(&f));
	f = fit_of(REPORT_JOB_GROWTH_MIN_JOBS, steep);
	assert_true(report_job_fit_steady_growth(&f));
	f = fit_of(REPORT_JOB_GROWTH_MIN_JOBS, leak);  /* 19 x 48 KiB < 1 MiB */
	assert_false(report_job_fit_steady_growth(&f));

	f = fit_of(200, shrink);
	assert_true(report_job_fit_slope(&f) < 0);
	assert_false(report_job_fit_steady_growth(&f));

	f = fit_of(100000, large_base);
	assert_true(fabs(report_job_fit_slope(&f) - 100) < 1e-6);
	assert_true(report_job_fit_r2(&f) > 0.999999);

	f = fit_of(50, flat);
	assert_true(report_job_fit_slope(&f) == 0 && report_job_fit_r2(&f) == 0);
	f = fit_of(1, leak);
	assert_true(report_job_fit_slope(&f) == 0 && report_job_fit_r2(&f) == 0);
}

static const char *plain(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                         JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void table_json(void **state)
{
	struct report_opts o = {.json = true};
	struct report r = {.o = &o};
	r.doc = json_object_new_object();
	capture_start();
	demo_rows(&r);
	char *out = capture_end();
	assert_string_equal(out, ""); /* JSON goes into the document only */
	free(out);
	assert_string_equal(plain(r.doc),
		"{\"demo\":["
		"{\"endpoint\":\"/srv/www/a/session.php\",\"requests\":42,\"share\":12.35,"
		"\"p50_ns\":1500000,\"peak_bytes\":1572864,\"delta_bytes\":-2048,\"flagged\":true,"
		"\"max\":0.25,\"hidden\":7},"
		"{\"endpoint\":\"/srv/www/b.php\",\"requests\":3,\"share\":100.0,"
		"\"p50_ns\":2500000000,\"peak_bytes\":512,\"delta_bytes\":1024,\"flagged\":false,"
		"\"hidden\":8}]}");
	json_object_put(r.doc);
}

/* Text in another order than the JSON keys; a lazy table with a caption. */
static const struct report_col ordered_cols[] = {
	{"name", "name", 0, .kind = REPORT_COL_STR, .before = "  ", .pos = 2},
	{"count", "count", 5, .kind = REPORT_COL_INT, .pos = 1},
};

static const struct report_table_spec ordered_spec = {
	.key = "ordered",
	.caption = "  rows:",
	.lazy = true,
	REPORT_COLUMNS(ordered_cols),
};

/* A record: prose framed by before/after, a column left out when empty,
 * a placeholder for an empty string, a first line only. */
static const struct report_col record_cols[] = {
	{"requests", "", 0, .kind = REPORT_COL_INT, .before = "Requests: "},
	{"rate", "", 0, .kind = REPORT_COL_PCT2, .before = " (", .after = ")"},
	{"last", "", 0, .kind = REPORT_COL_STR, .before = "\n  last ", .if_empty = "(none)"},
	{"message", "", 0, .kind = REPORT_COL_STR, .flags = REPORT_COL_FIRST_LINE, .before = ": "},
	{"sql", "", 0, .kind = REPORT_COL_STR, .flags = REPORT_COL_SKIP_EMPTY,
	 .before = ", running "},
	{"count", NULL, 0, .kind = REPORT_COL_INT},
};

static const struct report_table_spec record_spec = {
	.key = "record",
	.title = "Record",
	REPORT_COLUMNS(record_cols),
};

static void tables_ordered_and_records(void **state)
{
	struct report_opts o = {.json = false};
	struct report r = {.o = &o};
	struct report_table t;
	capture_start();
	report_table_begin(&t, &r, &ordered_spec, NULL);
	report_table_end(&t, 0); /* lazy and empty: nothing at all */
	report_table_begin(&t, &r, &ordered_spec, NULL);
	report_table_row(&t, (const struct report_cell[]){{.s = "main"}, {.i = 4}});
	report_table_end(&t, 0);
	const struct report_cell cells[] = {
		{.i = 20177}, {.d = 0.5}, {.s = ""}, {.s = "first\nsecond"}, {.s = ""}, {.i = 3},
	};
	report_record(&r, &record_spec, NULL, cells);
	char *out = capture_end();
	assert_string_equal(out, "  rows:\n  count  name\n      4  main\n"
	                         "\nRecord\nRequests: 20177 (0.50%)\n  last (none): first\n");
	free(out);

	o.json = true;
	r.doc = json_object_new_object();
	report_table_begin(&t, &r, &ordered_spec, NULL);
	report_table_row(&t, (const struct report_cell[]){{.s = "main"}, {.i = 4}});
	json_object *rec = report_record(&r, &record_spec, NULL, cells);
	assert_ptr_equal(json_object_object_get(r.doc, "record"), rec);
	/* Without a key, a record's cells are keys of the parent. */
	static const struct report_table_spec flat = {REPORT_COLUMNS(record_cols)};
	json_object *inner = json_object_new_object();
	assert_ptr_equal(report_record(&r, &flat, inner, cells), inner);
	report_json_add(r.doc, "inner", inner);
	assert_string_equal(plain(r.doc),
		"{\"ordered\":[{\"name\":\"main\",\"count\":4}],"
		"\"record\":{\"requests\":20177,\"rate\":0.5,\"last\":\"\","
		"\"message\":\"first\\nsecond\",\"sql\":\"\",\"count\":3},"
		"\"inner\":{\"requests\":20177,\"rate\":0.5,\"last\":\"\","
		"\"message\":\"first\\nsecond\",\"sql\":\"\",\"count\":3}}");
	json_object_put(r.doc);
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

/* A column with no value: left out of the text line, its framing too, with
 * REPORT_COL_SKIP_NULL ("-" without it), and out of the JSON object. */
static const struct report_col null_cols[] = {
	{"name", "", 0, .kind = REPORT_COL_STR, .before = "  "},
	{"target", "", 0, .kind = REPORT_COL_STR, .flags = REPORT_COL_SKIP_NULL, .before = " on "},
	{"status", "", 0, .kind = REPORT_COL_INT, .flags = REPORT_COL_SKIP_NULL, .before = " status "},
	{"bytes", "", 0, .kind = REPORT_COL_INT, .before = " bytes "},
};

static const struct report_table_spec null_spec = {.key = "rows", REPORT_COLUMNS(null_cols)};

static void tables_skip_null(void **state)
{
	struct report_opts o = {.json = false};
	struct report r = {.o = &o};
	const struct report_cell a[] = {{.s = "GET"}, {.s = "redis"}, {.i = 0}, {.i = 5}};
	const struct report_cell b[] = {{.s = "SELECT"}, {.null = true}, {.null = true}, {.null = true}};
	struct report_table t;
	capture_start();
	report_table_begin(&t, &r, &null_spec, NULL);
	report_table_row(&t, a);
	report_table_row(&t, b);
	report_table_end(&t, 0);
	char *out = capture_end();
	assert_string_equal(out, "  GET on redis status 0 bytes 5\n  SELECT bytes -\n");
	free(out);

	o.json = true;
	r.doc = json_object_new_object();
	report_table_begin(&t, &r, &null_spec, NULL);
	report_table_row(&t, a);
	json_object *row = report_table_row(&t, b);
	assert_string_equal(json_object_to_json_string(row), "{ \"name\": \"SELECT\" }");
	json_object_put(r.doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flame_inclusive_times),
		cmocka_unit_test(flame_svg_drawing),
		cmocka_unit_test(since_parsing),
		cmocka_unit_test(percentiles),
		cmocka_unit_test(log_buckets),
		cmocka_unit_test(time_buckets),
		cmocka_unit_test(bars_and_sparklines),
		cmocka_unit_test(grouping),
		cmocka_unit_test(grouping_scan_and_keys),
		cmocka_unit_test(table_text),
		cmocka_unit_test(table_json),
		cmocka_unit_test(endpoint_prefix),
		cmocka_unit_test(job_fit),
		cmocka_unit_test(tables_ordered_and_records),
		cmocka_unit_test(tables_skip_null),
		cmocka_unit_test(store_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
