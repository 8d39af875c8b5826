/*
 * cmd_functions.c — `bvapm-report functions`: functions ranked by exclusive
 * wall time summed over the function profiles of the selected requests
 * (each request stores its own top-N), with calls, inclusive time, the
 * share of all exclusive time profiled, the number of profiles in which
 * the function appears (a profile lists a function once), and the memory
 * it added.
 */
#include <stdio.h>

#include "report.h"

int cmd_functions(struct report *r)
{
	char *from = report_child_from(r, "functions", "fn", false, "");
	if (from == NULL)
		return REPORT_ERROR;
	int64_t all = report_scalar(r, "SELECT sum(fn.exclusive_ns) %s", from);
	sqlite3_stmt *s = report_prepare(r,
		"SELECT fn.name, sum(fn.calls), sum(fn.exclusive_ns) AS excl, sum(fn.inclusive_ns), "
		"count(*), sum(fn.mem_delta_bytes) %s GROUP BY fn.name ORDER BY excl DESC, fn.name LIMIT %ld",
		from, r->o->limit);
	sqlite3_free(from);
	if (s == NULL)
		return REPORT_ERROR;
	json_object *arr = NULL;
	if (r->o->json) {
		jadd(r->doc, "exclusive_ns_total", jint(all));
		arr = jadd(r->doc, "functions", json_object_new_array());
	} else {
		printf("Top functions by exclusive time (all profiled: ");
		char b[32];
		printf("%s)\n", fmt_ns(all, b, sizeof b));
		printf("  %11s %6s %11s %10s %8s %10s  %s\n", "exclusive", "share", "inclusive", "calls",
		       "requests", "memory", "function");
	}
	int rc, n = 0;
	char b1[32], b2[32], b3[32];
	while ((rc = report_step(r, s)) == SQLITE_ROW) {
		n++;
		int64_t excl = sqlite3_column_int64(s, 2);
		double share = all > 0 ? 100.0 * (double)excl / (double)all : 0;
		if (arr) {
			json_object *o = json_object_new_object();
			jadd(o, "function", jstr(report_col_text(s, 0)));
			jadd(o, "calls", jint(sqlite3_column_int64(s, 1)));
			jadd(o, "exclusive_ns", jint(excl));
			jadd(o, "exclusive_percent", jdbl(share));
			jadd(o, "inclusive_ns", jint(sqlite3_column_int64(s, 3)));
			jadd(o, "requests", jint(sqlite3_column_int64(s, 4)));
			jadd(o, "mem_delta_bytes", jint(sqlite3_column_int64(s, 5)));
			json_object_array_add(arr, o);
		} else {
			printf("  %11s %5.1f%% %11s %10lld %8lld %10s  %s\n", fmt_ns(excl, b1, sizeof b1),
			       share, fmt_ns(sqlite3_column_int64(s, 3), b2, sizeof b2),
			       (long long)sqlite3_column_int64(s, 1), (long long)sqlite3_column_int64(s, 4),
			       fmt_bytes(sqlite3_column_int64(s, 5), b3, sizeof b3), report_col_text(s, 0));
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return REPORT_ERROR;
	if (!arr && n == 0)
		printf("  no function profiles stored for these requests\n");
	return REPORT_OK;
}
