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

#define STACK_LINES 6

static const char *fatal_ep(const struct report *r)
{
	return r->o->by_uri ? "coalesce(f.uri, '')" : "coalesce(nullif(f.route, ''), f.uri, '')";
}

static int oom_by_checkpoint(struct report *r)
{
	sqlite3_stmt *s = report_prepare(r,
		"SELECT %s AS ep, coalesce((SELECT c.label FROM checkpoints c WHERE c.fatal_id = f.id "
		"ORDER BY c.idx DESC LIMIT 1), '(none)') AS last, count(*), max(f.mem_peak_bytes), "
		"max(f.mem_limit_bytes) FROM fatals f WHERE %s AND f.out_of_memory != 0 "
		"GROUP BY ep, last ORDER BY count(*) DESC, ep, last LIMIT %ld",
		fatal_ep(r), r->where_f, r->o->limit);
	if (s == NULL)
		return -1;
	json_object *arr = r->o->json ? report_json_add(r->doc, "out_of_memory", json_object_new_array()) : NULL;
	if (!arr) {
		report_section(r, "Out of memory by endpoint and last checkpoint");
		printf("  %-40s %-28s %6s %11s %11s\n", "endpoint", "last checkpoint", "count", "peak",
		       "limit");
	}
	int rc, n = 0;
	char b1[32], b2[32];
	while ((rc = report_step(r, s)) == SQLITE_ROW) {
		n++;
		if (arr) {
			json_object *o = json_object_new_object();
			report_json_add(o, "endpoint", report_json_str(report_col_text(s, 0)));
			report_json_add(o, "last_checkpoint", report_json_str(report_col_text(s, 1)));
			report_json_add(o, "count", report_json_int(sqlite3_column_int64(s, 2)));
			report_json_add(o, "max_peak_bytes", report_json_int(sqlite3_column_int64(s, 3)));
			report_json_add(o, "mem_limit_bytes", report_json_int(sqlite3_column_int64(s, 4)));
			json_object_array_add(arr, o);
		} else {
			printf("  ");
			report_clip(report_ep_short(r, report_col_text(s, 0)), 40);
			printf(" ");
			report_clip(report_col_text(s, 1), 28);
			printf(" %6lld %11s %11s\n", (long long)sqlite3_column_int64(s, 2),
			       report_fmt_bytes(sqlite3_column_int64(s, 3), b1, sizeof b1),
			       report_fmt_bytes(sqlite3_column_int64(s, 4), b2, sizeof b2));
		}
	}
	sqlite3_finalize(s);
	if (!arr && n == 0 && rc == SQLITE_DONE)
		printf("  none\n");
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Checkpoints of one fatal, into JSON or printed indented; *last_mem and
 * *last_label receive the last one's (label "" when there is none). */
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
	json_object *arr = o ? report_json_add(o, "checkpoints", json_object_new_array()) : NULL;
	int rc;
	char b1[32], b2[32], t[32];
	while ((rc = report_step(r, s)) == SQLITE_ROW) {
		*last_mem = sqlite3_column_int64(s, 1);
		snprintf(last_label, label_len, "%s", report_col_text(s, 0));
		if (arr) {
			json_object *c = json_object_new_object();
			report_json_add(c, "label", report_json_str(report_col_text(s, 0)));
			report_json_add(c, "mem_bytes", report_json_int(sqlite3_column_int64(s, 1)));
			report_json_add(c, "mem_delta_bytes", report_json_int(sqlite3_column_int64(s, 2)));
			report_json_add(c, "offset_ns", report_json_int(sqlite3_column_int64(s, 3)));
			json_object_array_add(arr, c);
		} else {
			printf("      checkpoint %-28s %10s (%s%s) at %s\n", report_col_text(s, 0),
			       report_fmt_bytes(sqlite3_column_int64(s, 1), b1, sizeof b1),
			       sqlite3_column_int64(s, 2) >= 0 ? "+" : "",
			       report_fmt_bytes(sqlite3_column_int64(s, 2), b2, sizeof b2),
			       report_fmt_ns(sqlite3_column_int64(s, 3), t, sizeof t));
		}
	}
	sqlite3_finalize(s);
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
		fatal_ep(r), r->where_f, r->o->limit);
	if (s == NULL)
		return -1;
	json_object *arr = r->o->json ? report_json_add(r->doc, "fatals", json_object_new_array()) : NULL;
	if (arr)
		report_json_add(r->doc, "fatal_count", report_json_int(*total));
	else {
		char head[96];
		snprintf(head, sizeof head, "Fatal errors (%lld, latest first)", (long long)*total);
		report_section(r, head);
	}
	int rc;
	char t[32], b1[32], b2[32], b3[32];
	while ((rc = report_step(r, s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		bool oom = sqlite3_column_int(s, 6) != 0;
		json_object *o = NULL;
		if (arr) {
			o = json_object_new_object();
			report_json_add(o, "fatal_id", report_json_int(id));
			report_json_add(o, "start_unix_ns", report_json_int(sqlite3_column_int64(s, 1)));
			report_json_add(o, "type", report_json_str(report_col_text(s, 2)));
			report_json_add(o, "message", report_json_str(report_col_text(s, 3)));
			report_json_add(o, "file", report_json_str(report_col_text(s, 4)));
			report_json_add(o, "line", report_json_int(sqlite3_column_int64(s, 5)));
			report_json_add(o, "out_of_memory", json_object_new_boolean(oom));
			report_json_add(o, "endpoint", report_json_str(report_col_text(s, 7)));
			report_json_add(o, "method", report_json_str(report_col_text(s, 8)));
			report_json_add(o, "uri", report_json_str(report_col_text(s, 9)));
			report_json_add(o, "mem_usage_bytes", report_json_int(sqlite3_column_int64(s, 10)));
			report_json_add(o, "mem_peak_bytes", report_json_int(sqlite3_column_int64(s, 11)));
			report_json_add(o, "mem_limit_bytes", report_json_int(sqlite3_column_int64(s, 12)));
			report_json_add(o, "stack", report_json_str(report_col_text(s, 13)));
			report_json_add(o, "wall_ns", report_json_int(sqlite3_column_int64(s, 14)));
			json_object_array_add(arr, o);
		} else {
			printf("  #%lld %s %s%s %s %s\n", (long long)id,
			       report_fmt_time(sqlite3_column_int64(s, 1), t, sizeof t), oom ? "OUT OF MEMORY " : "",
			       report_col_text(s, 2), report_col_text(s, 8), report_col_text(s, 9));
			printf("      %s\n      at %s:%lld   endpoint %s\n", report_col_text(s, 3),
			       report_col_text(s, 4), (long long)sqlite3_column_int64(s, 5),
			       report_ep_short(r, report_col_text(s, 7)));
			printf("      memory: usage %s, peak %s, limit %s\n",
			       report_fmt_bytes(sqlite3_column_int64(s, 10), b1, sizeof b1),
			       report_fmt_bytes(sqlite3_column_int64(s, 11), b2, sizeof b2),
			       report_fmt_bytes(sqlite3_column_int64(s, 12), b3, sizeof b3));
		}
		int64_t last_mem;
		char last[256];
		if (fatal_checkpoints(r, id, o, &last_mem, last, sizeof last))
			break;
		/* What the phase after the last checkpoint allocated: where to look. */
		int64_t grown = sqlite3_column_int64(s, 10) - last_mem;
		if (arr && last[0])
			report_json_add(o, "grown_since_last_checkpoint_bytes", report_json_int(grown));
		else if (!arr && last[0])
			printf("      after %s: %s%s, then the fatal error\n", last, grown >= 0 ? "+" : "",
			       report_fmt_bytes(grown, b1, sizeof b1));
		if (!arr)
			print_stack(report_col_text(s, 13));
	}
	sqlite3_finalize(s);
	if (!arr && *total == 0 && rc == SQLITE_DONE)
		printf("  none\n");
	return rc == SQLITE_DONE ? 0 : -1;
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
	json_object *arr = r->o->json ? report_json_add(r->doc, "common_stack_frames", json_object_new_array()) : NULL;
	if (!arr) {
		report_section(r, "Most common stack frames in fatal errors");
		if (k == 0)
			printf("  none\n");
	}
	for (size_t i = 0; counts && i < k && i < (size_t)r->o->limit; i++) {
		if (arr) {
			json_object *o = json_object_new_object();
			report_json_add(o, "function", report_json_str(counts[i].name));
			report_json_add(o, "fatals", report_json_int(counts[i].n));
			json_object_array_add(arr, o);
		} else {
			printf("  %6ld  %s\n", counts[i].n, counts[i].name);
		}
	}
	free(counts);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}

/* ---- request errors and aborted requests ------------------------------------------ */

static int request_errors(struct report *r)
{
	char *from = report_child_from(r, "errors", "e", true, "");
	sqlite3_stmt *s = from ? report_prepare(r,
		"SELECT e.type, e.message, e.file, e.line, sum(e.count) AS n, count(DISTINCT e.request_id), "
		"min(%s), count(DISTINCT %s) %s GROUP BY e.type, e.message, e.file, e.line ORDER BY n DESC, e.type, e.message "
		"LIMIT %ld", r->ep, r->ep, from, r->o->limit) : NULL;
	sqlite3_free(from);
	if (s == NULL)
		return -1;
	json_object *arr = r->o->json ? report_json_add(r->doc, "errors", json_object_new_array()) : NULL;
	if (!arr) {
		report_section(r, "Errors and exceptions in requests");
		printf("  %7s %8s  %-24s %s\n", "count", "requests", "type", "message / where");
	}
	int rc, n = 0;
	while ((rc = report_step(r, s)) == SQLITE_ROW) {
		n++;
		if (arr) {
			json_object *o = json_object_new_object();
			report_json_add(o, "type", report_json_str(report_col_text(s, 0)));
			report_json_add(o, "message", report_json_str(report_col_text(s, 1)));
			report_json_add(o, "file", report_json_str(report_col_text(s, 2)));
			report_json_add(o, "line", report_json_int(sqlite3_column_int64(s, 3)));
			report_json_add(o, "count", report_json_int(sqlite3_column_int64(s, 4)));
			report_json_add(o, "requests", report_json_int(sqlite3_column_int64(s, 5)));
			report_json_add(o, "endpoint", report_json_str(report_col_text(s, 6)));
			report_json_add(o, "endpoints", report_json_int(sqlite3_column_int64(s, 7)));
			json_object_array_add(arr, o);
		} else {
			/* An uncaught exception's message carries its trace: first line only. */
			const char *msg = report_col_text(s, 1);
			printf("  %7lld %8lld  %-24s %.*s\n  %41s at %s:%lld (%s%s)\n",
			       (long long)sqlite3_column_int64(s, 4), (long long)sqlite3_column_int64(s, 5),
			       report_col_text(s, 0), (int)strcspn(msg, "\n"), msg, "", report_col_text(s, 2),
			       (long long)sqlite3_column_int64(s, 3),
			       sqlite3_column_int64(s, 7) > 1 ? "endpoints: several, e.g. " : "",
			       report_ep_short(r, report_col_text(s, 6)));
		}
	}
	sqlite3_finalize(s);
	if (!arr && n == 0 && rc == SQLITE_DONE)
		printf("  none\n");
	return rc == SQLITE_DONE ? 0 : -1;
}

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
	json_object *arr = NULL;
	if (r->o->json) {
		report_json_add(r->doc, "aborted_count", report_json_int(total));
		arr = report_json_add(r->doc, "aborted", json_object_new_array());
	} else {
		char head[96];
		snprintf(head, sizeof head, "Aborted requests: worker died mid-request (%lld)",
		         (long long)total);
		report_section(r, head);
	}
	int rc;
	char t[32], d[32], b[32];
	while ((rc = report_step(r, s)) == SQLITE_ROW) {
		if (arr) {
			json_object *o = json_object_new_object();
			report_json_add(o, "aborted_id", report_json_int(sqlite3_column_int64(s, 0)));
			report_json_add(o, "started_unix_ns", report_json_int(sqlite3_column_int64(s, 1)));
			report_json_add(o, "worker_pid", report_json_int(sqlite3_column_int64(s, 2)));
			report_json_add(o, "method", report_json_str(report_col_text(s, 3)));
			report_json_add(o, "uri", report_json_str(report_col_text(s, 4)));
			report_json_add(o, "running_ns", report_json_int(sqlite3_column_int64(s, 5)));
			report_json_add(o, "last_checkpoint", report_json_str(report_col_text(s, 6)));
			report_json_add(o, "last_checkpoint_mem_bytes", report_json_int(sqlite3_column_int64(s, 7)));
			report_json_add(o, "current_sql", report_json_str(report_col_text(s, 8)));
			report_json_add(o, "host", report_json_str(report_col_text(s, 9)));
			json_object_array_add(arr, o);
		} else {
			printf("  %s pid %lld %s %s after %s\n      last checkpoint %s (%s)%s%s\n",
			       report_fmt_time(sqlite3_column_int64(s, 1), t, sizeof t),
			       (long long)sqlite3_column_int64(s, 2), report_col_text(s, 3),
			       report_col_text(s, 4), report_fmt_ns(sqlite3_column_int64(s, 5), d, sizeof d),
			       *report_col_text(s, 6) ? report_col_text(s, 6) : "(none)",
			       report_fmt_bytes(sqlite3_column_int64(s, 7), b, sizeof b),
			       *report_col_text(s, 8) ? ", running SQL: " : "", report_col_text(s, 8));
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int report_cmd_errors(struct report *r)
{
	int64_t total;
	if (oom_by_checkpoint(r) || fatals(r, &total) || common_frames(r) || request_errors(r) ||
	    aborted(r))
		return REPORT_ERROR;
	return REPORT_OK;
}
