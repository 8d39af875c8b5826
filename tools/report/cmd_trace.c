/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_trace.c — `bvapm-report trace --request ID | --trace TRACE_ID`: the
 * timeline of a request, one line per timed call (the spans the agent kept:
 * SQL executions, HTTP calls, cache commands, by start) with its offset,
 * duration, a bar placed on the request's wall time, kind, name, target and
 * outcome, the request's checkpoints interleaved at their offsets, and how
 * many calls the record did not list (span_total_count minus the listed).
 *
 * With --trace, every stored request of the trace, by start (at most
 * --limit): a request whose parent span is a span of another one (a
 * service on this host called by an HTTP call the agent traced: the id it
 * sent in traceparent) says which call it answered.
 *
 * Reads: the requests through the selection (filter.c: r.id, or r.trace_id
 * through requests_trace), then per request its spans through spans_request
 * and its checkpoints through checkpoints_request, both in order, merged by
 * offset as they are read. A store before schema 4 has no spans: the
 * checkpoints alone, and a line saying why.
 */
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "report_table.h"

#define BAR_WIDTH 40
/* The bar's heading: from the request's start (0) to its end (wall). */
#define BAR_HEAD "|0                                   wall|"
_Static_assert(sizeof BAR_HEAD - 1 == BAR_WIDTH + 2, "the heading spans the bar");

/* ---- the tables ------------------------------------------------------------------ */

/* One request: a heading line, its endpoint and its trace context (in JSON
 * followed by span_total_count, spans_listed and calls_not_listed, known
 * once its timeline is read). */
static const struct report_col request_cols[] = {
	{"request_id", "", 0, .kind = REPORT_COL_INT, .before = "\nRequest "},
	{"method", "", 0, .kind = REPORT_COL_STR, .before = "  "},
	{"uri", "", 0, .kind = REPORT_COL_STR, .before = " "},
	{"status", "", 0, .kind = REPORT_COL_INT, .before = "  status "},
	{"start_unix_ns", "", 0, .kind = REPORT_COL_TIME, .before = "  started "},
	{"wall_ns", "", 0, .kind = REPORT_COL_NS, .before = "  wall "},
	{"endpoint", "", 0, .kind = REPORT_COL_EP, .before = "\n  endpoint "},
	{"service", "", 0, .kind = REPORT_COL_STR, .flags = REPORT_COL_SKIP_NULL,
	 .before = "  service "},
	{"host", "", 0, .kind = REPORT_COL_STR, .flags = REPORT_COL_SKIP_NULL, .before = "  host "},
	{"trace_id", "", 0, .kind = REPORT_COL_STR, .flags = REPORT_COL_SKIP_NULL,
	 .before = "\n  trace "},
	{"span_id", "", 0, .kind = REPORT_COL_STR, .flags = REPORT_COL_SKIP_NULL, .before = "  span "},
	{"parent_span_id", "", 0, .kind = REPORT_COL_STR, .flags = REPORT_COL_SKIP_NULL,
	 .before = "  parent "},
};

static const struct report_table_spec request_spec = {REPORT_COLUMNS(request_cols)};

/* The timeline: a row per timed call or checkpoint, by offset. */
static const struct report_col timeline_cols[] = {
	{"offset_ns", "offset", 9, .kind = REPORT_COL_NS, .before = "  "},
	{"duration_ns", "duration", 9, .kind = REPORT_COL_NS},
	{NULL, BAR_HEAD, BAR_WIDTH + 2, .kind = REPORT_COL_STR},
	{"type", "kind", 10, .kind = REPORT_COL_STR},
	{"name", "call", 0, .kind = REPORT_COL_STR, .flags = REPORT_COL_FIRST_LINE},
	{"target", "", 0, .kind = REPORT_COL_STR, .flags = REPORT_COL_SKIP_NULL, .before = " on "},
	{"status", "", 0, .kind = REPORT_COL_INT, .flags = REPORT_COL_SKIP_NULL | REPORT_COL_SKIP_EMPTY,
	 .before = "  status "},
	{"error", "", 0, .kind = REPORT_COL_STR, .flags = REPORT_COL_SKIP_NULL, .before = "  ERROR "},
	{"mem_bytes", "", 0, .kind = REPORT_COL_BYTES, .flags = REPORT_COL_SKIP_NULL,
	 .before = "  memory "},
	{"mem_delta_bytes", "", 0, .kind = REPORT_COL_DELTA, .flags = REPORT_COL_SKIP_NULL,
	 .before = " (", .after = ")"},
	{"bytes", NULL, 0, .kind = REPORT_COL_INT},
	{"span_id", NULL, 0, .kind = REPORT_COL_STR},
};

static const struct report_table_spec timeline_spec = {
	.key = "timeline",
	.empty = "  no timed calls and no checkpoints recorded",
	REPORT_COLUMNS(timeline_cols),
};

/* The call of another stored request this one answered. */
static const struct report_col called_by_cols[] = {
	{"request_id", "", 0, .kind = REPORT_COL_INT, .before = "  called by request "},
	{"type", "", 0, .kind = REPORT_COL_STR, .before = ": "},
	{"name", "", 0, .kind = REPORT_COL_STR, .before = " "},
	{"target", "", 0, .kind = REPORT_COL_STR, .flags = REPORT_COL_SKIP_NULL, .before = " on "},
	{"offset_ns", "", 0, .kind = REPORT_COL_NS, .before = " at "},
};

static const struct report_table_spec called_by_spec = {
	.key = "called_by",
	REPORT_COLUMNS(called_by_cols),
};

/* ---- one request ------------------------------------------------------------------ */

static const char *kind_name(int kind)
{
	switch (kind) {
	case 1: return "sql";
	case 2: return "http";
	case 3: return "cache";
	default: return "call";
	}
}

/* The bar of [start, start + len) on a request of `wall` ns: BAR_WIDTH
 * columns between '|', '=' where the call ran (one at least), '*' at a
 * checkpoint (len < 0). */
static void bar(char out[BAR_WIDTH + 3], int64_t start, int64_t len, int64_t wall)
{
	memset(out + 1, ' ', BAR_WIDTH);
	out[0] = out[BAR_WIDTH + 1] = '|';
	out[BAR_WIDTH + 2] = '\0';
	double scale = wall > 0 ? (double)BAR_WIDTH / (double)wall : 0;
	int a = (int)((double)start * scale);
	a = a < 0 ? 0 : a >= BAR_WIDTH ? BAR_WIDTH - 1 : a;
	if (len < 0) {
		out[1 + a] = '*';
		return;
	}
	int b = (int)((double)(start + len) * scale + 0.5);
	b = b <= a ? a + 1 : b > BAR_WIDTH ? BAR_WIDTH : b;
	memset(out + 1 + a, '=', (size_t)(b - a));
}

static sqlite3_int64 col_i(sqlite3_stmt *s, int i)
{
	return sqlite3_column_int64(s, i);
}

/* A cell of column i: its text, NULL in the store being no value. */
static struct report_cell text_or_null(sqlite3_stmt *s, int i)
{
	struct report_cell c = {.s = report_col_text(s, i)};
	c.null = sqlite3_column_type(s, i) == SQLITE_NULL;
	return c;
}

/* The spans and checkpoints of request id, merged by offset (a checkpoint
 * first at the same offset). Returns the spans listed, or -1. */
static int64_t timeline(struct report *r, int64_t id, int64_t wall, json_object *parent)
{
	sqlite3_stmt *sp = r->has_calls
		? report_prepare(r, "SELECT start_offset_ns, duration_ns, kind, name, target, status, "
		                    "error, bytes, span_id FROM spans WHERE request_id = %lld ORDER BY idx",
		                 (long long)id)
		: NULL;
	sqlite3_stmt *ck = report_prepare(r, "SELECT offset_ns, label, mem_bytes, mem_delta_bytes "
	                                     "FROM checkpoints WHERE request_id = %lld ORDER BY idx",
	                                  (long long)id);
	if ((r->has_calls && sp == NULL) || ck == NULL) {
		sqlite3_finalize(sp);
		sqlite3_finalize(ck);
		return -1;
	}
	struct report_table t;
	report_table_begin(&t, r, &timeline_spec, parent);
	int rs = sp ? report_step(r, sp) : SQLITE_DONE, rc = report_step(r, ck);
	int64_t listed = 0;
	char b[BAR_WIDTH + 3];
	while (rs == SQLITE_ROW || rc == SQLITE_ROW) {
		bool span = rs == SQLITE_ROW && (rc != SQLITE_ROW || col_i(sp, 0) < col_i(ck, 0));
		if (span) {
			int64_t at = col_i(sp, 0), len = col_i(sp, 1);
			bool http = col_i(sp, 2) == 2; /* status and bytes are an HTTP call's */
			bar(b, at, len, wall);
			report_table_row(&t, (const struct report_cell[]){
				{.i = at}, {.i = len}, {.s = b}, {.s = kind_name((int)col_i(sp, 2))},
				{.s = report_col_text(sp, 3)}, text_or_null(sp, 4),
				{.i = col_i(sp, 5), .null = !http}, text_or_null(sp, 6), {.null = true},
				{.null = true}, {.i = col_i(sp, 7), .null = !http}, text_or_null(sp, 8),
			});
			listed++;
			rs = report_step(r, sp);
		} else {
			int64_t at = col_i(ck, 0);
			bar(b, at, -1, wall);
			report_table_row(&t, (const struct report_cell[]){
				{.i = at}, {.null = true}, {.s = b}, {.s = "checkpoint"},
				{.s = report_col_text(ck, 1)}, {.null = true}, {.null = true}, {.null = true},
				{.i = col_i(ck, 2)}, {.i = col_i(ck, 3)}, {.null = true}, {.null = true},
			});
			rc = report_step(r, ck);
		}
	}
	sqlite3_finalize(sp);
	sqlite3_finalize(ck);
	if ((sp && rs != SQLITE_DONE) || rc != SQLITE_DONE)
		return -1;
	report_table_end(&t, 0);
	return listed;
}

/* The span of another request of the same trace this request's parent span
 * is (an HTTP call the agent traced, whose id it sent downstream). */
static int called_by(struct report *r, int64_t id, const char *trace, const char *parent,
                     json_object *o)
{
	if (!r->has_calls || !trace[0] || !parent[0])
		return 0;
	sqlite3_stmt *s = report_prepare(r,
		"SELECT s.request_id, s.kind, s.name, s.target, s.start_offset_ns FROM requests p "
		"JOIN spans s ON s.request_id = p.id WHERE p.trace_id = ?1 AND p.id != %lld "
		"AND s.span_id = ?2 LIMIT 1", (long long)id);
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, trace, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, parent, -1, SQLITE_TRANSIENT);
	int rc = report_step(r, s);
	if (rc == SQLITE_ROW)
		report_record(r, &called_by_spec, o, (const struct report_cell[]){
			{.i = col_i(s, 0)}, {.s = kind_name((int)col_i(s, 1))}, {.s = report_col_text(s, 2)},
			text_or_null(s, 3), {.i = col_i(s, 4)},
		});
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Columns of the requests query (one request). */
enum { Q_ID, Q_TRACE, Q_SPAN, Q_PARENT, Q_METHOD, Q_URI, Q_EP, Q_STATUS, Q_START, Q_WALL,
       Q_TOTAL, Q_SERVICE, Q_HOST };

static int one_request(struct report *r, sqlite3_stmt *q, json_object *list)
{
	int64_t id = col_i(q, Q_ID), wall = col_i(q, Q_WALL);
	json_object *o = NULL;
	if (list) {
		o = json_object_new_object();
		json_object_array_add(list, o);
	}
	struct report_cell head[] = {
		{.i = id}, {.s = report_col_text(q, Q_METHOD)}, {.s = report_col_text(q, Q_URI)},
		{.i = col_i(q, Q_STATUS)}, {.i = col_i(q, Q_START)}, {.i = wall},
		{.s = report_col_text(q, Q_EP)}, text_or_null(q, Q_SERVICE), text_or_null(q, Q_HOST),
		text_or_null(q, Q_TRACE), text_or_null(q, Q_SPAN), text_or_null(q, Q_PARENT),
	};
	report_record(r, &request_spec, o, head);
	if (called_by(r, id, report_col_text(q, Q_TRACE), report_col_text(q, Q_PARENT), o))
		return -1;
	int64_t listed = timeline(r, id, wall, o);
	if (listed < 0)
		return -1;
	bool known = sqlite3_column_type(q, Q_TOTAL) != SQLITE_NULL;
	int64_t total = col_i(q, Q_TOTAL), missing = total > listed ? total - listed : 0;
	if (o) {
		if (known)
			report_json_add(o, "span_total_count", report_json_int(total));
		report_json_add(o, "spans_listed", report_json_int(listed));
		if (known)
			report_json_add(o, "calls_not_listed", report_json_int(missing));
		return 0;
	}
	if (!known)
		printf("  (timed calls not recorded: %s)\n",
		       r->has_calls ? "an agent before record schema 4 wrote this request"
		                    : "this store predates them, store schema 4");
	else if (missing)
		printf("  ... %lld more timed call(s) not listed (%lld in all; the agent keeps the "
		       "longest)\n", (long long)missing, (long long)total);
	return 0;
}

int report_cmd_trace(struct report *r)
{
	if (!r->o->request_id && !r->o->trace_id) {
		fprintf(stderr, "bvapm-report: trace needs --request ID or --trace TRACE_ID\n");
		return REPORT_USAGE;
	}
	int64_t n = report_scalar(r, "SELECT count(*) FROM requests r WHERE %s", r->where_r);
	sqlite3_stmt *q = report_prepare(r,
		"SELECT r.id, r.trace_id, r.span_id, r.parent_span_id, r.method, r.uri, %s, r.status, "
		"r.start_unix_ns, r.wall_ns, %s, r.service, r.host FROM requests r WHERE %s "
		"ORDER BY r.start_unix_ns, r.id LIMIT %ld",
		r->ep, r->has_calls ? "r.span_total_count" : "NULL", r->where_r, r->o->limit);
	if (q == NULL)
		return REPORT_ERROR;
	if (r->o->json)
		report_json_add(r->doc, "request_count", report_json_int(n));
	else if (r->o->trace_id)
		printf("Trace %s: %lld request(s) stored\n", r->o->trace_id, (long long)n);
	json_object *list = r->o->json ? report_json_add(r->doc, "requests", json_object_new_array())
	                               : NULL;
	int rc, bad = 0;
	while (!bad && (rc = report_step(r, q)) == SQLITE_ROW)
		bad = one_request(r, q, list);
	sqlite3_finalize(q);
	if (bad || rc != SQLITE_DONE)
		return REPORT_ERROR;
	if (n == 0) {
		if (r->o->trace_id)
			fprintf(stderr, "bvapm-report: no request of trace %s in the store\n", r->o->trace_id);
		else
			fprintf(stderr, "bvapm-report: no request %lld in the store\n",
			        (long long)r->o->request_id);
		return REPORT_ERROR;
	}
	if (!r->o->json && n > r->o->limit)
		printf("\n  ... %lld more request(s) of the trace (--limit)\n",
		       (long long)(n - r->o->limit));
	return REPORT_OK;
}
