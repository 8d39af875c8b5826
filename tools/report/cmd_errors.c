/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_errors.c — `bvapm-report errors`: what went wrong.
 *  - out-of-memory events by endpoint and last checkpoint (where the
 *    request was when memory ran out);
 *  - fatal errors, latest first, with their memory state (usage, peak,
 *    limit), their checkpoints (the last one marks the phase that ran out)
 *    and the innermost frames of their stack;
 *  - the most common stack frames over those fatals (hot paths);
 *  - errors and uncaught exceptions of stored requests, grouped;
 *  - aborted requests: workers that died mid-request (from the ring's live
 *    slots), with their last checkpoint and current SQL.
 * Fatals and aborted requests are filtered by their own start time, URI or
 * route, message, stack and checkpoint labels (filter.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_table.h"

#define STACK_LINES 6
/* Request errors: "at file:line" starts under the message. */
#define WHERE_INDENT "                                            "

static const struct report_col oom_cols[] = {
	{"endpoint", "endpoint", 40, .kind = REPORT_COL_EP, .flags = REPORT_COL_CLIP},
	{"last_checkpoint", "last checkpoint", 28, .kind = REPORT_COL_STR,
	 .flags = REPORT_COL_CLIP},
	{"count", "count", 6, .kind = REPORT_COL_INT},
	{"max_peak_bytes", "peak", 11, .kind = REPORT_COL_BYTES},
	{"mem_limit_bytes", "limit", 11, .kind = REPORT_COL_BYTES},
};

static const struct report_table_spec oom_spec = {
	.key = "out_of_memory",
	.title = "Out of memory by endpoint and last checkpoint",
	.empty = "  none",
	REPORT_COLUMNS(oom_cols),
};

static int oom_by_checkpoint(struct report *r)
{
	sqlite3_stmt *s = report_prepare(r,
		"SELECT %s AS ep, coalesce((SELECT c.label FROM checkpoints c WHERE c.fatal_id = f.id "
		"ORDER BY c.idx DESC LIMIT 1), '(none)') AS last, count(*), max(f.mem_peak_bytes), "
		"max(f.mem_limit_bytes) FROM fatals f WHERE %s AND f.out_of_memory != 0 "
		"GROUP BY ep, last ORDER BY count(*) DESC, ep, last LIMIT %ld",
		r->ep_f, r->where_f, r->o->limit);
	return s ? report_table_query(r, s, &oom_spec, NULL) : -1;
}

/* ---- fatal errors ------------------------------------------------------------------ */

/* One fatal error: in text a heading line, the message, where, and memory. */
static const struct report_col fatal_cols[] = {
	{"fatal_id", "", 0, .kind = REPORT_COL_INT, .before = "  #", .pos = 1},
	{"start_unix_ns", "", 0, .kind = REPORT_COL_TIME, .pos = 2},
	{"type", "", 0, .kind = REPORT_COL_STR, .before = "", .pos = 4},
	{"message", "", 0, .kind = REPORT_COL_STR, .before = "\n      ", .pos = 7},
	{"file", "", 0, .kind = REPORT_COL_STR, .before = "\n      at ", .pos = 8},
	{"line", "", 0, .kind = REPORT_COL_INT, .before = ":", .pos = 9},
	{"out_of_memory", NULL, 0, .kind = REPORT_COL_BOOL},
	{NULL, "", 0, .kind = REPORT_COL_STR, .pos = 3}, /* "OUT OF MEMORY " or "" */
	{"endpoint", "", 0, .kind = REPORT_COL_EP, .before = "   endpoint ", .pos = 10},
	{"method", "", 0, .kind = REPORT_COL_STR, .pos = 5},
	{"uri", "", 0, .kind = REPORT_COL_STR, .pos = 6},
	{"mem_usage_bytes", "", 0, .kind = REPORT_COL_BYTES, .before = "\n      memory: usage ",
	 .pos = 11},
	{"mem_peak_bytes", "", 0, .kind = REPORT_COL_BYTES, .before = ", peak ", .pos = 12},
	{"mem_limit_bytes", "", 0, .kind = REPORT_COL_BYTES, .before = ", limit ", .pos = 13},
	{"stack", NULL, 0, .kind = REPORT_COL_STR},
	{"wall_ns", NULL, 0, .kind = REPORT_COL_INT},
};

static const struct report_table_spec fatal_spec = {
	.key = "fatals",
	.empty = "  none",
	REPORT_COLUMNS(fatal_cols),
};

/* The count, after the array in JSON, the section title in text. */
static const struct report_col fatal_count_cols[] = {
	{"fatal_count", "", 0, .kind = REPORT_COL_INT, .before = "\nFatal errors (",
	 .after = ", latest first)"},
};

static const struct report_table_spec fatal_count_spec = {REPORT_COLUMNS(fatal_count_cols)};

/* The checkpoints of a fatal error, nested in its JSON object. */
static const struct report_col checkpoint_cols[] = {
	{"label", "", 28, .kind = REPORT_COL_STR, .before = "      checkpoint "},
	{"mem_bytes", "", 10, .kind = REPORT_COL_BYTES},
	{"mem_delta_bytes", "", 0, .kind = REPORT_COL_DELTA, .before = " (", .after = ")"},
	{"offset_ns", "", 0, .kind = REPORT_COL_NS, .before = " at "},
};

static const struct report_table_spec checkpoint_spec = {
	.key = "checkpoints",
	REPORT_COLUMNS(checkpoint_cols),
};

/* What the phase after the last checkpoint allocated: where to look. */
static const struct report_col grown_cols[] = {
	{NULL, "", 0, .kind = REPORT_COL_STR, .before = "      after "},
	{"grown_since_last_checkpoint_bytes", "", 0, .kind = REPORT_COL_DELTA, .before = ": ",
	 .after = ", then the fatal error"},
};

static const struct report_table_spec grown_spec = {REPORT_COLUMNS(grown_cols)};

/* The checkpoints of one fatal (nested in o with --json); *last_mem and
 * last_label receive the last one's (label "" when there is none). */
static int fatal_checkpoints(struct report *r, int64_t id, json_object *o, int64_t *last_mem,
                             char *last_label, size_t label_len)
{
	*last_mem = 0;
	last_label[0] = '\0';
	sqlite3_stmt *s = report_prepare(r,
		"SELECT label, mem_bytes, mem_delta_bytes, offset_ns FROM checkpoints WHERE fatal_id = %lld "
		"ORDER BY idx", (long long)id);
	if (s == NULL)
		return -1;
	struct report_table t;
	report_table_begin(&t, r, &checkpoint_spec, o);
	int rc;
	while ((rc = report_step(r, s)) == SQLITE_ROW) {
		*last_mem = sqlite3_column_int64(s, 1);
		snprintf(last_label, label_len, "%s", report_col_text(s, 0));
		report_table_row(&t, (const struct report_cell[]){
			{.s = report_col_text(s, 0)}, {.i = sqlite3_column_int64(s, 1)},
			{.i = sqlite3_column_int64(s, 2)}, {.i = sqlite3_column_int64(s, 3)},
		});
	}
	sqlite3_finalize(s);
	report_table_end(&t, 0);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Prints the innermost STACK_LINES lines of a stack (stored outermost first). */
static void print_stack(const char *stack)
{
	int lines = 0;
	for (const char *p = stack; *p; p++)
		lines += *p == '\n';
	if (*stack && stack[strlen(stack) - 1] != '\n')
		lines++;
	int skip = lines > STACK_LINES ? lines - STACK_LINES : 0;
	if (skip)
		printf("      stack (innermost %d of %d frames):\n", STACK_LINES, lines);
	else if (lines)
		printf("      stack:\n");
	const char *p = stack;
	for (int i = 0; *p; i++) {
		size_t len = strcspn(p, "\n");
		if (i >= skip)
			printf("        %.*s\n", (int)len, p);
		p += len;
		if (*p == '\n')
			p++;
	}
}

static int fatals(struct report *r, int64_t *total)
{
	*total = report_scalar(r, "SELECT count(*) FROM fatals f WHERE %s", r->where_f);
	sqlite3_stmt *s = report_prepare(r,
		"SELECT f.id, f.start_unix_ns, f.type, f.message, f.file, f.line, f.out_of_memory, %s, "
		"f.method, f.uri, f.mem_usage_bytes, f.mem_peak_bytes, f.mem_limit_bytes, "
		"coalesce(f.stack, ''), f.wall_ns FROM fatals f WHERE %s "
		"ORDER BY f.start_unix_ns DESC, f.id DESC LIMIT %ld",
		r->ep_f, r->where_f, r->o->limit);
	if (s == NULL)
		return -1;
	struct report_table t;
	report_table_begin(&t, r, &fatal_spec, NULL);
	report_record(r, &fatal_count_spec, NULL, (const struct report_cell[]){{.i = *total}});
	int rc;
	while ((rc = report_step(r, s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		bool oom = sqlite3_column_int(s, 6) != 0;
		json_object *o = report_table_row(&t, (const struct report_cell[]){
			{.i = id}, {.i = sqlite3_column_int64(s, 1)}, {.s = report_col_text(s, 2)},
			{.s = report_col_text(s, 3)}, {.s = report_col_text(s, 4)},
			{.i = sqlite3_column_int64(s, 5)}, {.i = oom},
			{.s = oom ? "OUT OF MEMORY " : ""},
			{.s = report_col_text(s, 7)}, {.s = report_col_text(s, 8)},
			{.s = report_col_text(s, 9)}, {.i = sqlite3_column_int64(s, 10)},
			{.i = sqlite3_column_int64(s, 11)}, {.i = sqlite3_column_int64(s, 12)},
			{.s = report_col_text(s, 13)}, {.i = sqlite3_column_int64(s, 14)},
		});
		int64_t last_mem;
		char last[256];
		if (fatal_checkpoints(r, id, o, &last_mem, last, sizeof last))
			break;
		if (last[0])
			report_record(r, &grown_spec, o, (const struct report_cell[]){
				{.s = last}, {.i = sqlite3_column_int64(s, 10) - last_mem},
			});
		if (!r->o->json) /* JSON has the whole stack in "stack" */
			print_stack(report_col_text(s, 13));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return -1;
	report_table_end(&t, 0);
	return 0;
}

/* ---- most common stack frames --------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct frame_count {
	const char *name;
	long n;
};

static int cmp_count(const void *a, const void *b)
{
	const struct frame_count *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->name, y->name);
}

static const struct report_col frame_cols[] = {
	{"function", "", 0, .kind = REPORT_COL_STR, .before = "  ", .pos = 2},
	{"fatals", "", 6, .kind = REPORT_COL_INT, .pos = 1},
};

static const struct report_table_spec frame_spec = {
	.key = "common_stack_frames",
	.title = "Most common stack frames in fatal errors",
	.empty = "  none",
	REPORT_COLUMNS(frame_cols),
};

static int common_frames(struct report *r)
{
	sqlite3_stmt *s = report_prepare(r,
		"SELECT f.stack FROM fatals f WHERE %s AND f.stack IS NOT NULL AND f.stack != ''",
		r->where_f);
	if (s == NULL)
		return -1;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc, bad = 0;
	while (!bad && (rc = report_step(r, s)) == SQLITE_ROW) {
		/* Count a function once per stack: recursion is not a hot path. */
		size_t first = n;
		for (const char *p = report_col_text(s, 0); *p && !bad;) {
			size_t len = strcspn(p, "\n");
			size_t fn = strcspn(p, " \n"); /* "function file:line" */
			if (fn > 0) {
				char *name = strndup(p, fn);
				bool seen = false;
				for (size_t i = first; name && i < n && !seen; i++)
					seen = strcmp(names[i], name) == 0;
				if (seen) {
					free(name);
				} else if (name == NULL || (n == cap && (cap = cap ? 2 * cap : 256,
				                                         !(names = realloc(names, cap * sizeof *names))))) {
					free(name);
					bad = 1;
				} else {
					names[n++] = name;
				}
			}
			p += len;
			if (*p == '\n')
				p++;
		}
	}
	sqlite3_finalize(s);
	if (bad || rc != SQLITE_DONE) {
		for (size_t i = 0; names && i < n; i++)
			free(names[i]);
		free(names);
		return -1;
	}
	if (n > 0) /* no stack frame: names may be NULL, which qsort refuses */
		qsort(names, n, sizeof *names, cmp_str);
	struct frame_count *counts = calloc(n ? n : 1, sizeof *counts);
	size_t k = 0;
	for (size_t i = 0; counts && i < n; i++) {
		if (k && strcmp(counts[k - 1].name, names[i]) == 0)
			counts[k - 1].n++;
		else
			counts[k++] = (struct frame_count){names[i], 1};
	}
	if (counts)
		qsort(counts, k, sizeof *counts, cmp_count);
	struct report_table t;
	report_table_begin(&t, r, &frame_spec, NULL);
	for (size_t i = 0; counts && i < k && i < (size_t)r->o->limit; i++)
		report_table_row(&t, (const struct report_cell[]){
			{.s = counts[i].name}, {.i = counts[i].n},
		});
	report_table_end(&t, 0);
	free(counts);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}

/* ---- request errors and aborted requests ------------------------------------------ */

/* In text two lines: counts, type and the message's first line; where
 * (under the message) and an endpoint. */
static const struct report_col error_cols[] = {
	{"type", "type", 24, .kind = REPORT_COL_STR, .before = "  ", .pos = 3},
	{"message", "message / where", 0, .kind = REPORT_COL_STR, .flags = REPORT_COL_FIRST_LINE,
	 .pos = 4},
	{"file", "", 0, .kind = REPORT_COL_STR, .before = "\n" WHERE_INDENT "at ", .pos = 5},
	{"line", "", 0, .kind = REPORT_COL_INT, .before = ":", .pos = 6},
	{"count", "count", 7, .kind = REPORT_COL_INT, .pos = 1},
	{"requests", "requests", 8, .kind = REPORT_COL_INT, .pos = 2},
	{NULL, "", 0, .kind = REPORT_COL_STR, .before = " (", .pos = 7}, /* "endpoints: …" */
	{"endpoint", "", 0, .kind = REPORT_COL_EP, .before = "", .after = ")", .pos = 8},
	{"endpoints", NULL, 0, .kind = REPORT_COL_INT},
};

static const struct report_table_spec error_spec = {
	.key = "errors",
	.title = "Errors and exceptions in requests",
	.empty = "  none",
	REPORT_COLUMNS(error_cols),
};

static int request_errors(struct report *r)
{
	char *from = report_child_from(r, "errors", "e", true, "");
	sqlite3_stmt *s = from ? report_prepare(r,
		"SELECT e.type, e.message, e.file, e.line, sum(e.count) AS n, "
		"count(DISTINCT e.request_id), CASE WHEN count(DISTINCT %s) > 1 "
		"THEN 'endpoints: several, e.g. ' ELSE '' END, min(%s), count(DISTINCT %s) %s "
		"GROUP BY e.type, e.message, e.file, e.line ORDER BY n DESC, e.type, e.message "
		"LIMIT %ld", r->ep, r->ep, r->ep, from, r->o->limit) : NULL;
	sqlite3_free(from);
	return s ? report_table_query(r, s, &error_spec, NULL) : -1;
}

/* ---- aborted requests -------------------------------------------------------------- */

/* The count, before the array in JSON, the section title in text. */
static const struct report_col aborted_count_cols[] = {
	{"aborted_count", "", 0, .kind = REPORT_COL_INT,
	 .before = "\nAborted requests: worker died mid-request (", .after = ")"},
};

static const struct report_table_spec aborted_count_spec = {REPORT_COLUMNS(aborted_count_cols)};

/* In text two lines: when, the worker, the request and how long it ran;
 * its last checkpoint and the SQL it was running. */
static const struct report_col aborted_cols[] = {
	{"aborted_id", NULL, 0, .kind = REPORT_COL_INT},
	{"started_unix_ns", "", 0, .kind = REPORT_COL_TIME},
	{"worker_pid", "", 0, .kind = REPORT_COL_INT, .before = " pid "},
	{"method", "", 0, .kind = REPORT_COL_STR},
	{"uri", "", 0, .kind = REPORT_COL_STR},
	{"running_ns", "", 0, .kind = REPORT_COL_NS, .before = " after "},
	{"last_checkpoint", "", 0, .kind = REPORT_COL_STR, .before = "\n      last checkpoint ",
	 .if_empty = "(none)"},
	{"last_checkpoint_mem_bytes", "", 0, .kind = REPORT_COL_BYTES, .before = " (",
	 .after = ")"},
	{"current_sql", "", 0, .kind = REPORT_COL_STR, .flags = REPORT_COL_SKIP_EMPTY,
	 .before = ", running SQL: "},
	{"host", NULL, 0, .kind = REPORT_COL_STR},
};

static const struct report_table_spec aborted_spec = {
	.key = "aborted",
	REPORT_COLUMNS(aborted_cols),
};

static int aborted(struct report *r)
{
	int64_t total = report_scalar(r, "SELECT count(*) FROM aborted a WHERE %s", r->where_a);
	sqlite3_stmt *s = report_prepare(r,
		"SELECT a.id, a.started_unix_ns, a.worker_pid, a.method, a.uri, a.running_ns, "
		"a.last_checkpoint, a.last_checkpoint_mem_bytes, a.current_sql, a.host FROM aborted a "
		"WHERE %s ORDER BY a.started_unix_ns DESC, a.id DESC LIMIT %ld",
		r->where_a, r->o->limit);
	if (s == NULL)
		return -1;
	report_record(r, &aborted_count_spec, NULL, (const struct report_cell[]){{.i = total}});
	return report_table_query(r, s, &aborted_spec, NULL);
}

int report_cmd_errors(struct report *r)
{
	int64_t total;
	if (oom_by_checkpoint(r) || fatals(r, &total) || common_frames(r) || request_errors(r) ||
	    aborted(r))
		return REPORT_ERROR;
	return REPORT_OK;
}
