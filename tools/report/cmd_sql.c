/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_sql.c — `bvapm-report sql`: the database from the application's side.
 *  - top normalized statements by total time and by executions (a request
 *    lists a statement once, so rows count requests), over the selected
 *    requests: one scan grouped in memory, the groups into a TEMP table
 *    read in both orders (the store itself stays read-only);
 *  - N+1 suspects by endpoint: statements the agent flagged n_plus_one, or
 *    run at least REPEAT_THRESHOLD times in one request, with the requests
 *    affected and executions per request;
 *  - counters per endpoint (bvapm_count(), e.g. models retrieved), which
 *    tell how many objects those statements turned into.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints.h"
#include "groups.h"
#include "report.h"
#include "report_table.h"

#define REPEAT_THRESHOLD 20

/* ---- the tables ------------------------------------------------------------------ */

/* The columns of each table are those of the SELECT that fills it, in the
 * same order (report_table_query); .pos orders the text line. */

/* JSON only: how many distinct statements. */
static const struct report_col statements_cols[] = {
	{"statements", NULL, 0, .kind = REPORT_COL_INT},
};

static const struct report_table_spec statements_spec = {REPORT_COLUMNS(statements_cols)};

static const struct report_col top_cols[] = {
	{"statement", "statement", 0, .kind = REPORT_COL_STR, .before = "  ", .pos = 6},
	{"executions", "executions", 10, .kind = REPORT_COL_INT, .pos = 1},
	{"total_ns", "total", 11, .kind = REPORT_COL_NS, .pos = 2},
	{"max_ns", "max", 10, .kind = REPORT_COL_NS, .pos = 3},
	{"rows", "rows", 10, .kind = REPORT_COL_INT, .pos = 4},
	{"requests", "requests", 8, .kind = REPORT_COL_INT, .pos = 5},
	{"n_plus_one_flagged", NULL, 0, .kind = REPORT_COL_INT},
};

static const struct report_table_spec top_by_time = {
	.key = "top_by_time",
	.title = "Top statements by total time",
	.empty = "  no SQL recorded for these requests",
	REPORT_COLUMNS(top_cols),
};

static const struct report_table_spec top_by_count = {
	.key = "top_by_count",
	.title = "Top statements by executions",
	.empty = "  no SQL recorded for these requests",
	REPORT_COLUMNS(top_cols),
};

static const struct report_col n_plus_one_cols[] = {
	{"endpoint", "endpoint", 34, .kind = REPORT_COL_EP, .flags = REPORT_COL_CLIP, .pos = 1},
	{"statement", "statement", 0, .kind = REPORT_COL_STR, .before = "  ", .pos = 7},
	{"requests", "requests", 8, .kind = REPORT_COL_INT, .pos = 2},
	{"avg_per_request", "avg/req", 9, .kind = REPORT_COL_DEC, .pos = 3},
	{"max_per_request", "max/req", 9, .kind = REPORT_COL_INT, .pos = 4},
	{"total_ns", "total", 11, .kind = REPORT_COL_NS, .pos = 5},
	{"flagged", "flag", 5, .kind = REPORT_COL_BOOL, .pos = 6},
	{"rows", NULL, 0, .kind = REPORT_COL_INT},
};

static const struct report_table_spec n_plus_one_spec = {
	.key = "n_plus_one",
	.title = "N+1 suspects by endpoint (flagged by the agent, or >= 20 runs in one request)",
	.empty = "  none",
	REPORT_COLUMNS(n_plus_one_cols),
};

static const struct report_col counter_cols[] = {
	{"endpoint", "endpoint", 34, .kind = REPORT_COL_EP, .flags = REPORT_COL_CLIP},
	{"counter", "counter", 36, .kind = REPORT_COL_STR, .flags = REPORT_COL_CLIP},
	{"requests", "requests", 8, .kind = REPORT_COL_INT},
	{"avg_per_request", "avg/req", 12, .kind = REPORT_COL_DEC},
	{"max_per_request", "max/req", 12, .kind = REPORT_COL_INT},
};

static const struct report_table_spec counter_spec = {
	.key = "counters",
	.title = "Counters by endpoint (bvapm_count)",
	.empty = "  none",
	REPORT_COLUMNS(counter_cols),
};

static int top(struct report *r, const char *order, const struct report_table_spec *spec)
{
	sqlite3_stmt *s = report_prepare(r,
		"SELECT statement, executions, total_ns, max_ns, rows, requests, flagged "
		"FROM temp.sql_top ORDER BY %s DESC, statement LIMIT %ld", order, r->o->limit);
	return s ? report_table_query(r, s, spec, NULL) : -1;
}

static int n_plus_one(struct report *r)
{
	sqlite3_stmt *s = report_prepare(r,
		"SELECT ep, statement, requests, avg, mx, total, flagged, rows FROM temp.n_plus_one "
		"ORDER BY mx DESC, ep, statement LIMIT %ld", r->o->limit);
	return s ? report_table_query(r, s, &n_plus_one_spec, NULL) : -1;
}

static int counters(struct report *r)
{
	sqlite3_stmt *s = report_prepare(r,
		"SELECT ep, name, requests, avg, mx FROM temp.counters_by_ep "
		"ORDER BY mx DESC, ep, name LIMIT %ld", r->o->limit);
	return s ? report_table_query(r, s, &counter_spec, NULL) : -1;
}

/* ---- by endpoint: N+1 suspects and counters --------------------------------------- */

#define SEP '\x1f' /* between endpoint and statement or counter name in a group key */

/* Rows of `select` (request_id, text, then integers) grouped by endpoint
 * (from the map) and text; fold() adds a row's integers to its group. */
static int group_by_ep(struct report *r, const struct ep_map *m, sqlite3_stmt *s, struct groups *g,
                       void (*fold)(struct group *, sqlite3_stmt *))
{
	struct report_key key = {NULL, 0, 0};
	int rc, bad = 0;
	while (!bad && (rc = report_step(r, s)) == SQLITE_ROW) {
		const char *ep = report_ep_map_get(m, sqlite3_column_int64(s, 0));
		if (ep == NULL)
			continue;
		const char *part[] = {ep, report_col_text(s, 1)};
		const size_t len[] = {strlen(ep), (size_t)sqlite3_column_bytes(s, 1)};
		struct group *gr = report_key_join(&key, SEP, 2, part, len) ? NULL
		                   : report_groups_get(g, key.s, key.len);
		if (gr == NULL) {
			bad = 1;
			break;
		}
		gr->n++;
		fold(gr, s);
	}
	free(key.s);
	return bad || rc != SQLITE_DONE ? -1 : 0;
}

/* row: request_id, statement, count, total_ns, n_plus_one, rows;
 * group: i[0] runs, i[1] max runs, i[2] total, i[3] flagged, i[4] rows */
static void fold_n_plus_one(struct group *gr, sqlite3_stmt *s)
{
	int64_t count = sqlite3_column_int64(s, 2);
	gr->i[0] += count;
	if (count > gr->i[1])
		gr->i[1] = count;
	gr->i[2] += sqlite3_column_int64(s, 3);
	gr->i[3] |= sqlite3_column_int64(s, 4) != 0;
	gr->i[4] += sqlite3_column_int64(s, 5);
}

/* row: request_id, name, value; group: i[0] sum, i[1] max (first value seeds it) */
static void fold_counter(struct group *gr, sqlite3_stmt *s)
{
	int64_t v = sqlite3_column_int64(s, 2);
	gr->i[0] += v;
	if (gr->n == 1 || v > gr->i[1])
		gr->i[1] = v;
}

/* Writes groups of "ep SEP text" into a TEMP table (ep, text, requests, avg,
 * mx, then `extra` more integer columns i[2]..). */
static int to_temp(struct report *r, struct groups *g, const char *create, const char *insert,
                   int extra)
{
	size_t n = 0;
	struct group **all = report_groups_sorted(g, NULL, &n);
	int bad = all == NULL || sqlite3_exec(r->db, create, NULL, NULL, NULL) != SQLITE_OK;
	sqlite3_stmt *ins = bad ? NULL : report_prepare(r, "%s", insert);
	bad |= ins == NULL;
	for (size_t k = 0; !bad && k < n; k++) {
		const char *sep = memchr(all[k]->key, SEP, all[k]->key_len);
		if (sep == NULL)
			continue;
		sqlite3_bind_text(ins, 1, all[k]->key, (int)(sep - all[k]->key), SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, sep + 1, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 3, all[k]->n);
		sqlite3_bind_double(ins, 4, (double)all[k]->i[0] / (double)all[k]->n);
		sqlite3_bind_int64(ins, 5, all[k]->i[1]);
		for (int e = 0; e < extra; e++)
			sqlite3_bind_int64(ins, 6 + e, all[k]->i[2 + e]);
		bad |= report_step(r, ins) != SQLITE_DONE;
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	free(all);
	return bad ? -1 : 0;
}

/* N+1 suspects and counters, grouped by endpoint in memory: one pass over
 * the selection for the endpoints, one scan of each child table. */
static int by_endpoint(struct report *r)
{
	struct ep_map m;
	memset(&m, 0, sizeof m);
	struct groups *n1 = report_groups_new(), *ctr = report_groups_new();
	char *from_s = report_child_from(r, "sql", "s", false, "");
	char *from_c = report_child_from(r, "counters", "c", false, "");
	sqlite3_stmt *qs = NULL, *qc = NULL;
	int bad = n1 == NULL || ctr == NULL || from_s == NULL || from_c == NULL ||
	          report_ep_map_load(r, &m);
	if (!bad) {
		qs = report_prepare(r, "SELECT s.request_id, s.statement, s.count, s.total_ns, "
		                       "s.n_plus_one, s.rows %s AND (s.n_plus_one != 0 OR s.count >= %d)",
		                    from_s, REPEAT_THRESHOLD);
		qc = report_prepare(r, "SELECT c.request_id, c.name, c.value %s", from_c);
		bad = qs == NULL || qc == NULL;
	}
	bad = bad || group_by_ep(r, &m, qs, n1, fold_n_plus_one) ||
	      group_by_ep(r, &m, qc, ctr, fold_counter) ||
	      sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	      to_temp(r, n1, "CREATE TEMP TABLE n_plus_one (ep TEXT, statement TEXT, requests INTEGER, "
	                     "avg REAL, mx INTEGER, total INTEGER, flagged INTEGER, rows INTEGER)",
	              "INSERT INTO temp.n_plus_one VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", 3) ||
	      to_temp(r, ctr, "CREATE TEMP TABLE counters_by_ep (ep TEXT, name TEXT, requests INTEGER, "
	                      "avg REAL, mx INTEGER)",
	              "INSERT INTO temp.counters_by_ep VALUES (?1, ?2, ?3, ?4, ?5)", 0) ||
	      sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK;
	sqlite3_finalize(qs);
	sqlite3_finalize(qc);
	sqlite3_free(from_s);
	sqlite3_free(from_c);
	report_groups_free(n1);
	report_groups_free(ctr);
	report_ep_map_free(&m);
	return bad ? -1 : 0;
}

/* row: statement, count, total_ns, max_ns, rows, n_plus_one;
 * group: n requests, i[0] executions, i[1] total, i[2] max, i[3] rows,
 * i[4] flagged. */
static int fold_statement(struct group *gr, sqlite3_stmt *s, void *ctx)
{
	(void)ctx;
	gr->i[0] += sqlite3_column_int64(s, 1);
	gr->i[1] += sqlite3_column_int64(s, 2);
	if (sqlite3_column_int64(s, 3) > gr->i[2])
		gr->i[2] = sqlite3_column_int64(s, 3);
	gr->i[3] += sqlite3_column_int64(s, 4);
	gr->i[4] += sqlite3_column_int64(s, 5) != 0;
	return 0;
}

/* One scan of the SQL rows of the selection, grouped by statement in memory
 * (groups.h), then the few groups into temp.sql_top for the two orders. */
static int aggregate(struct report *r)
{
	char *from = report_child_from(r, "sql", "s", false, "");
	sqlite3_stmt *s = from ? report_prepare(r, "SELECT s.statement, s.count, s.total_ns, s.max_ns, "
	                                           "s.rows, s.n_plus_one %s", from)
	                       : NULL;
	sqlite3_free(from);
	struct groups *g = report_groups_new();
	size_t n = 0;
	struct group **all = report_groups_scan(r, s, g, 0, fold_statement, NULL)
	                     ? NULL : report_groups_sorted(g, NULL, &n);
	int bad = all == NULL ||
	      sqlite3_exec(r->db, "CREATE TEMP TABLE sql_top (statement TEXT, executions INTEGER, "
	                          "total_ns INTEGER, max_ns INTEGER, rows INTEGER, requests INTEGER, "
	                          "flagged INTEGER); BEGIN", NULL, NULL, NULL) != SQLITE_OK;
	sqlite3_stmt *ins = bad ? NULL : report_prepare(r, "INSERT INTO temp.sql_top VALUES "
	                                                   "(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	bad |= ins == NULL;
	for (size_t k = 0; !bad && k < n; k++) {
		sqlite3_bind_text(ins, 1, all[k]->key, (int)all[k]->key_len, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, all[k]->i[0]);
		sqlite3_bind_int64(ins, 3, all[k]->i[1]);
		sqlite3_bind_int64(ins, 4, all[k]->i[2]);
		sqlite3_bind_int64(ins, 5, all[k]->i[3]);
		sqlite3_bind_int64(ins, 6, all[k]->n);
		sqlite3_bind_int64(ins, 7, all[k]->i[4]);
		bad |= report_step(r, ins) != SQLITE_DONE;
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	bad |= sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK;
	free(all);
	report_groups_free(g);
	return bad ? -1 : 0;
}

int report_cmd_sql(struct report *r)
{
	if (aggregate(r) || by_endpoint(r))
		return REPORT_ERROR;
	int64_t statements = report_scalar(r, "SELECT count(*) FROM temp.sql_top");
	report_record(r, &statements_spec, NULL, (const struct report_cell[]){{.i = statements}});
	if (top(r, "total_ns", &top_by_time) || top(r, "executions", &top_by_count) ||
	    n_plus_one(r) || counters(r))
		return REPORT_ERROR;
	return REPORT_OK;
}
