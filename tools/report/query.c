/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query.c — thin wrappers over sqlite3 for the commands: prepare a formatted
 * statement (sqlite3_mprintf rules, so user text goes through %Q), step with
 * the error printed once, read one scalar. Errors go to stderr prefixed with
 * the tool's name; callers turn them into REPORT_ERROR.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "report.h"

sqlite3_stmt *report_prepare(struct report *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (sql == NULL) {
		fprintf(stderr, "bvapm-report: out of memory\n");
		return NULL;
	}
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "bvapm-report: query failed: %s\n", sqlite3_errmsg(r->db));
		if (getenv("BVAPM_REPORT_DEBUG"))
			fprintf(stderr, "  %s\n", sql);
		s = NULL;
	}
	sqlite3_free(sql);
	return s;
}

int report_step(struct report *r, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		fprintf(stderr, "bvapm-report: query failed: %s\n", sqlite3_errmsg(r->db));
	return rc;
}

int64_t report_scalar(struct report *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	sqlite3_stmt *s = NULL;
	int64_t v = 0;
	if (sql && sqlite3_prepare_v2(r->db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_free(sql);
	return v;
}

const char *report_col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? (const char *)t : "";
}
