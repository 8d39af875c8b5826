/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_functions.c — `bvapm-report functions`: functions ranked by exclusive
 * wall time summed over the function profiles of the selected requests
 * (each request stores its own top-N), with calls, inclusive time, the
 * share of all exclusive time profiled, the number of profiles in which
 * the function appears (a profile lists a function once), and the memory
 * it added. One scan of the function rows, grouped by name in memory
 * (groups.h), instead of an SQLite sort of every row by name.
 */
#include <stdio.h>
#include <stdlib.h>

#include "groups.h"
#include "report.h"
#include "report_table.h"

/* The total over all functions profiled, and how many there are. */
static const struct report_col total_cols[] = {
	{"exclusive_ns_total", "", 0, .kind = REPORT_COL_NS,
	 .before = "Top functions by exclusive time (all profiled: ", .after = ")"},
	{"function_count", NULL, 0, .kind = REPORT_COL_INT},
};

static const struct report_table_spec total_spec = {REPORT_COLUMNS(total_cols)};

static const struct report_col function_cols[] = {
	{"function", "function", 0, .kind = REPORT_COL_STR, .before = "  ", .pos = 7},
	{"calls", "calls", 10, .kind = REPORT_COL_INT, .pos = 4},
	{"exclusive_ns", "exclusive", 11, .kind = REPORT_COL_NS, .pos = 1},
	{"exclusive_percent", "share", 6, .kind = REPORT_COL_PCT, .pos = 2},
	{"inclusive_ns", "inclusive", 11, .kind = REPORT_COL_NS, .pos = 3},
	{"requests", "requests", 8, .kind = REPORT_COL_INT, .pos = 5},
	{"mem_delta_bytes", "memory", 10, .kind = REPORT_COL_BYTES, .pos = 6},
};

static const struct report_table_spec function_spec = {
	.key = "functions",
	.empty = "  no function profiles stored for these requests",
	REPORT_COLUMNS(function_cols),
};

static void print(struct report *r, struct group **all, size_t n, int64_t total)
{
	report_record(r, &total_spec, NULL,
	              (const struct report_cell[]){{.i = total}, {.i = (int64_t)n}});
	struct report_table t;
	report_table_begin(&t, r, &function_spec, NULL);
	for (size_t k = 0; k < n && k < (size_t)r->o->limit; k++) {
		const struct group *g = all[k];
		double share = total > 0 ? 100.0 * (double)g->i[1] / (double)total : 0;
		report_table_row(&t, (const struct report_cell[]){
			{.s = g->key}, {.i = g->i[0]}, {.i = g->i[1]}, {.d = share}, {.i = g->i[2]},
			{.i = g->n}, {.i = g->i[3]},
		});
	}
	report_table_end(&t, 0);
}

/* group: n profiles, i[0] calls, i[1] exclusive, i[2] inclusive, i[3] memory;
 * ctx: the exclusive time of all functions */
static int fold_function(struct group *gr, sqlite3_stmt *s, void *ctx)
{
	int64_t *total = ctx;
	gr->i[0] += sqlite3_column_int64(s, 1);
	gr->i[1] += sqlite3_column_int64(s, 2);
	gr->i[2] += sqlite3_column_int64(s, 3);
	gr->i[3] += sqlite3_column_int64(s, 4);
	*total += sqlite3_column_int64(s, 2);
	return 0;
}

int report_cmd_functions(struct report *r)
{
	char *from = report_child_from(r, "functions", "fn", false, "");
	sqlite3_stmt *s = from ? report_prepare(r, "SELECT fn.name, fn.calls, fn.exclusive_ns, "
	                                           "fn.inclusive_ns, fn.mem_delta_bytes %s", from)
	                       : NULL;
	sqlite3_free(from);
	struct groups *g = report_groups_new();
	int64_t total = 0;
	size_t n = 0;
	struct group **all = report_groups_scan(r, s, g, 0, fold_function, &total)
	                     ? NULL : report_groups_sorted(g, report_group_cmp_i1_desc, &n);
	int code = all ? REPORT_OK : REPORT_ERROR;
	if (all)
		print(r, all, n, total);
	free(all);
	report_groups_free(g);
	return code;
}
