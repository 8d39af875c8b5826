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
#include <string.h>

#include "groups.h"
#include "report.h"

/* group: n profiles, i[0] calls, i[1] exclusive, i[2] inclusive, i[3] memory */
static int cmp_excl(const void *a, const void *b)
{
	const struct group *x = *(const struct group *const *)a, *y = *(const struct group *const *)b;
	if (x->i[1] != y->i[1])
		return x->i[1] < y->i[1] ? 1 : -1;
	return strcmp(x->key, y->key);
}

static void print(struct report *r, struct group **all, size_t n, int64_t total)
{
	json_object *arr = NULL;
	char b1[32], b2[32], b3[32];
	if (r->o->json) {
		report_json_add(r->doc, "exclusive_ns_total", report_json_int(total));
		report_json_add(r->doc, "function_count", report_json_int((int64_t)n));
		arr = report_json_add(r->doc, "functions", json_object_new_array());
	} else {
		printf("Top functions by exclusive time (all profiled: %s)\n", report_fmt_ns(total, b1, sizeof b1));
		printf("  %11s %6s %11s %10s %8s %10s  %s\n", "exclusive", "share", "inclusive", "calls",
		       "requests", "memory", "function");
		if (n == 0)
			printf("  no function profiles stored for these requests\n");
	}
	for (size_t k = 0; k < n && k < (size_t)r->o->limit; k++) {
		const struct group *g = all[k];
		double share = total > 0 ? 100.0 * (double)g->i[1] / (double)total : 0;
		if (arr) {
			json_object *o = json_object_new_object();
			report_json_add(o, "function", report_json_str(g->key));
			report_json_add(o, "calls", report_json_int(g->i[0]));
			report_json_add(o, "exclusive_ns", report_json_int(g->i[1]));
			report_json_add(o, "exclusive_percent", report_json_dbl(share));
			report_json_add(o, "inclusive_ns", report_json_int(g->i[2]));
			report_json_add(o, "requests", report_json_int(g->n));
			report_json_add(o, "mem_delta_bytes", report_json_int(g->i[3]));
			json_object_array_add(arr, o);
		} else {
			printf("  %11s %5.1f%% %11s %10lld %8lld %10s  %s\n", report_fmt_ns(g->i[1], b1, sizeof b1),
			       share, report_fmt_ns(g->i[2], b2, sizeof b2), (long long)g->i[0], (long long)g->n,
			       report_fmt_bytes(g->i[3], b3, sizeof b3), g->key);
		}
	}
}

int report_cmd_functions(struct report *r)
{
	char *from = report_child_from(r, "functions", "fn", false, "");
	sqlite3_stmt *s = from ? report_prepare(r, "SELECT fn.name, fn.calls, fn.exclusive_ns, "
	                                           "fn.inclusive_ns, fn.mem_delta_bytes %s", from)
	                       : NULL;
	sqlite3_free(from);
	struct groups *g = groups_new();
	int rc = SQLITE_ERROR, bad = s == NULL || g == NULL;
	int64_t total = 0;
	while (!bad && (rc = report_step(r, s)) == SQLITE_ROW) {
		struct group *gr = groups_get(g, report_col_text(s, 0), (size_t)sqlite3_column_bytes(s, 0));
		if (gr == NULL) {
			bad = 1;
			break;
		}
		gr->n++;
		gr->i[0] += sqlite3_column_int64(s, 1);
		gr->i[1] += sqlite3_column_int64(s, 2);
		gr->i[2] += sqlite3_column_int64(s, 3);
		gr->i[3] += sqlite3_column_int64(s, 4);
		total += sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	size_t n = 0;
	struct group **all = bad || rc != SQLITE_DONE ? NULL : groups_sorted(g, cmp_excl, &n);
	int code = all ? REPORT_OK : REPORT_ERROR;
	if (all)
		print(r, all, n, total);
	free(all);
	groups_free(g);
	return code;
}
