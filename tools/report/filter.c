/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filter.c — turns --since, --until, --recent, --endpoint, --pattern,
 * --kind, --request and --by into SQL conditions on requests (alias r),
 * fatals (alias f) and aborted requests (alias a), which every command
 * appends to its WHERE clause, and the SQL expressions of their endpoints.
 *
 * A job (requests.kind 1, store schema 3; a fatal error or aborted record
 * whose method is "JOB", and so a request in an older store, which an older
 * drainer stored without its kind) has the endpoint "job:NAME"
 * (REPORT_JOB_PREFIX and its route, else its URI, both the job name unless
 * the application renamed it with bvapm_route()), so it is never taken for
 * a web endpoint; it failed when its status (the job's outcome) is not 0, a
 * request when its status is 500 or more.
 *
 * --request ID selects one request (requests.id), its fatal error (the
 * fatals row of the same producer process and request start: the agent
 * writes it during the request, before the request record) and no aborted
 * request (a worker that died mid-request left no request record).
 *
 * User text only reaches SQL quoted by sqlite3_mprintf("%Q") and, for LIKE,
 * with its wildcards escaped: a pattern is a plain substring, never SQL.
 * --pattern searches what a person would grep a dump for: URIs, routes,
 * checkpoint labels, SQL statements, function names, call paths, error
 * messages, files and stacks, tags and counter names, outbound calls'
 * targets and names, and why a timed call failed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

int report_parse_since(const char *s, int64_t now_unix_ns, int64_t *out)
{
	char *end;
	if (s == NULL || *s == '\0')
		return -1;
	/* "@1796303242": unix seconds (the pages' links to a chart's bucket). */
	if (s[0] == '@') {
		char *e;
		long long v = strtoll(s + 1, &e, 10);
		if (e == s + 1 || *e != '\0' || v < 0 || v > 9000000000LL)
			return -1;
		*out = (int64_t)v * 1000000000LL;
		return 0;
	}
	/* Relative: a number and one unit. */
	if (isdigit((unsigned char)s[0])) {
		double v = strtod(s, &end);
		int64_t unit = 0;
		if (end != s && end[0] != '\0' && end[1] == '\0') {
			switch (end[0]) {
			case 's': unit = 1; break;
			case 'm': unit = 60; break;
			case 'h': unit = 3600; break;
			case 'd': unit = 86400; break;
			case 'w': unit = 7 * 86400; break;
			default: break;
			}
			if (unit && v >= 0) {
				*out = now_unix_ns - (int64_t)(v * (double)unit * 1e9);
				return 0;
			}
		}
	}
	/* Absolute: ISO 8601 date, optional time, optional zone. */
	static const char *const forms[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
	                                    "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		struct tm tm;
		memset(&tm, 0, sizeof tm);
		end = strptime(s, forms[i], &tm);
		if (end == NULL)
			continue;
		double frac = 0;
		if (*end == '.' && isdigit((unsigned char)end[1])) {
			char *e2;
			frac = strtod(end, &e2);
			end = e2;
		}
		int64_t offset = 0;
		if (*end == 'Z' && end[1] == '\0') {
			end++;
		} else if ((*end == '+' || *end == '-') && strlen(end) >= 3) {
			int hh = 0, mm = 0;
			if (sscanf(end + 1, "%2d:%2d", &hh, &mm) < 1 &&
			    sscanf(end + 1, "%2d%2d", &hh, &mm) < 1)
				continue;
			offset = (int64_t)(hh * 3600 + mm * 60) * (*end == '+' ? 1 : -1);
			end += strlen(end);
		}
		if (*end != '\0')
			continue;
		int64_t t = (int64_t)timegm(&tm) - offset;
		*out = t * 1000000000LL + (int64_t)(frac * 1e9);
		return 0;
	}
	return -1;
}

/* A LIKE operand matching text containing s anywhere (ESCAPE '\'). */
static char *like_contains(const char *s, bool suffix_only)
{
	size_t n = strlen(s);
	char *buf = malloc(2 * n + 3);
	if (buf == NULL)
		return NULL;
	size_t k = 0;
	buf[k++] = '%';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
			buf[k++] = '\\';
		buf[k++] = s[i];
	}
	if (!suffix_only)
		buf[k++] = '%';
	buf[k] = '\0';
	char *q = sqlite3_mprintf("%Q", buf);
	free(buf);
	return q;
}

/* Appends " AND cond" to *where (both sqlite3_malloc'ed). */
static int add_cond(char **where, char *cond)
{
	if (cond == NULL)
		return -1;
	char *w = *where ? sqlite3_mprintf("%s AND %s", *where, cond) : sqlite3_mprintf("%s", cond);
	sqlite3_free(cond);
	sqlite3_free(*where);
	*where = w;
	return w ? 0 : -1;
}

/* Endpoint match on expression ep: equal, or ending with the given text at
 * a '/' boundary ("session.php" and "/session.php" both match
 * "/srv/www/session.php"). */
static char *endpoint_cond(const char *ep, const char *want)
{
	char *suffix = sqlite3_mprintf("%s%s", want[0] == '/' ? "" : "/", want);
	char *tail = suffix ? like_contains(suffix, true) : NULL;
	char *c = tail ? sqlite3_mprintf("(%s = %Q OR %s LIKE %s ESCAPE '\\')", ep, want, ep, tail)
	               : NULL;
	sqlite3_free(suffix);
	sqlite3_free(tail);
	return c;
}

/* tmpl with every "@P" replaced by p (SQLite's printf has no positional
 * arguments). Returns an sqlite3_malloc'ed string or NULL. */
static char *subst(const char *tmpl, const char *p)
{
	sqlite3_str *b = sqlite3_str_new(NULL);
	for (const char *t = tmpl; *t; t++) {
		if (t[0] == '@' && t[1] == 'P') {
			sqlite3_str_appendall(b, p);
			t++;
		} else {
			sqlite3_str_appendchar(b, 1, *t);
		}
	}
	return sqlite3_str_finish(b);
}

/* The endpoint of alias t (r, f): route when set, else URI; with --by uri
 * the URI; behind "job:" when is_job (an SQL condition) holds. */
static char *ep_expr(const struct report_opts *o, char t, const char *is_job)
{
	char *plain = o->by_uri ? sqlite3_mprintf("coalesce(%c.uri, '')", t)
	                        : sqlite3_mprintf("coalesce(nullif(%c.route, ''), %c.uri, '')", t, t);
	if (plain == NULL)
		return NULL;
	char *e = sqlite3_mprintf("CASE WHEN %s THEN '" REPORT_JOB_PREFIX "' || %s ELSE %s END", is_job,
	                          plain, plain);
	sqlite3_free(plain);
	return e;
}

/* --kind: the condition on each table (requests by kind when the store has
 * the column, else by method; fatals and aborted by method). */
static int kind_conds(const struct report *r, char **wr, char **wf, char **wa)
{
	bool job = r->o->kind == REPORT_KIND_JOB;
	int bad = 0;
	if (r->has_kind)
		bad |= add_cond(wr, sqlite3_mprintf("r.kind = %d", job ? 1 : 0));
	else
		bad |= add_cond(wr, sqlite3_mprintf("coalesce(r.method, '') %s 'JOB'", job ? "=" : "!="));
	bad |= add_cond(wf, sqlite3_mprintf("coalesce(f.method, '') %s 'JOB'", job ? "=" : "!="));
	bad |= add_cond(wa, sqlite3_mprintf("coalesce(a.method, '') %s 'JOB'", job ? "=" : "!="));
	return bad;
}

int report_filter_build(struct report *r)
{
	const struct report_opts *o = r->o;
	/* "r.kind = 1" as it is: the condition of the jobs' partial index */
	r->job_r = r->has_kind ? "r.kind = 1" : "r.method = 'JOB'";
	r->ep = ep_expr(o, 'r', r->job_r);
	r->ep_f = ep_expr(o, 'f', "f.method = 'JOB'");
	r->ep_a = sqlite3_mprintf("CASE WHEN a.method = 'JOB' THEN '" REPORT_JOB_PREFIX "' || "
	                          "coalesce(a.uri, '') ELSE coalesce(a.uri, '') END");
	r->failed_r = sqlite3_mprintf("(CASE WHEN %s THEN r.status != 0 ELSE r.status >= 500 END)",
	                              r->job_r);
	const char *ep_f = r->ep_f ? r->ep_f : "''", *ep_a = r->ep_a ? r->ep_a : "''";
	char *wr = NULL, *wf = NULL, *wa = NULL;
	int bad = !r->ep || !r->ep_f || !r->ep_a || !r->failed_r;
	r->filtered = o->since_unix_ns || o->until_unix_ns || o->endpoint || o->pattern || o->recent || o->request_id ||
	              o->trace_id || o->kind != REPORT_KIND_ALL;

	if (o->since_unix_ns) {
		bad |= add_cond(&wr, sqlite3_mprintf("r.start_unix_ns >= %lld", (long long)o->since_unix_ns));
		bad |= add_cond(&wf, sqlite3_mprintf("f.start_unix_ns >= %lld", (long long)o->since_unix_ns));
		bad |= add_cond(&wa, sqlite3_mprintf("a.started_unix_ns >= %lld", (long long)o->since_unix_ns));
	}
	if (o->until_unix_ns) {
		bad |= add_cond(&wr, sqlite3_mprintf("r.start_unix_ns < %lld", (long long)o->until_unix_ns));
		bad |= add_cond(&wf, sqlite3_mprintf("f.start_unix_ns < %lld", (long long)o->until_unix_ns));
		bad |= add_cond(&wa, sqlite3_mprintf("a.started_unix_ns < %lld", (long long)o->until_unix_ns));
	}
	if (o->request_id) {
		/* One request; its fatal error is the fatal record the same worker
		 * wrote during it (same producer, same request start); an aborted
		 * request never has a request record. */
		bad |= add_cond(&wr, sqlite3_mprintf("r.id = %lld", (long long)o->request_id));
		bad |= add_cond(&wf, sqlite3_mprintf(
			"(f.pid, f.producer_start_unix_ns, f.start_unix_ns) IN (SELECT pid, "
			"producer_start_unix_ns, start_unix_ns FROM requests WHERE id = %lld)",
			(long long)o->request_id));
		bad |= add_cond(&wa, sqlite3_mprintf("0"));
	}
	if (o->trace_id) /* trace --trace: the requests_trace index */
		bad |= add_cond(&wr, sqlite3_mprintf("r.trace_id = %Q", o->trace_id));
	if (o->kind != REPORT_KIND_ALL)
		bad |= kind_conds(r, &wr, &wf, &wa);
	if (o->endpoint) {
		bad |= add_cond(&wr, endpoint_cond(r->ep ? r->ep : "''", o->endpoint));
		bad |= add_cond(&wf, endpoint_cond(ep_f, o->endpoint));
		bad |= add_cond(&wa, endpoint_cond(ep_a, o->endpoint));
	}
	if (o->pattern) {
		char *p = like_contains(o->pattern, false);
		if (p == NULL)
			return -1;
#define L(col) col " LIKE @P ESCAPE '\\'"
		const char *stack = r->has_error_stack ? " OR " L("stack") : "";
		const char *paths = r->has_call_paths
		                        ? " OR r.id IN (SELECT request_id FROM call_paths WHERE " L("path") ")"
		                        : "";
		/* outbound calls by target and name (every call, listed as a span or
		 * not), and why a call failed */
		const char *calls = r->has_calls
		        ? " OR r.id IN (SELECT request_id FROM external WHERE " L("target") " OR " L("name") ")"
		          " OR r.id IN (SELECT request_id FROM spans WHERE " L("error") ")"
		        : "";
		char *tmpl = sqlite3_mprintf(
			"(" L("r.uri") " OR " L("r.route")
			" OR r.id IN (SELECT request_id FROM checkpoints WHERE " L("label") ")"
			" OR r.id IN (SELECT request_id FROM sql WHERE " L("statement") ")"
			" OR r.id IN (SELECT request_id FROM functions WHERE " L("name") ")"
			" OR r.id IN (SELECT request_id FROM errors WHERE " L("message") " OR " L("file")
			"%s)"
			" OR r.id IN (SELECT request_id FROM tags WHERE " L("key") " OR " L("value") ")"
			" OR r.id IN (SELECT request_id FROM counters WHERE " L("name") ")%s%s)",
			stack, paths, calls);
		bad |= add_cond(&wr, tmpl ? subst(tmpl, p) : NULL);
		sqlite3_free(tmpl);
		bad |= add_cond(&wf, subst(
			"(" L("f.uri") " OR " L("f.route") " OR " L("f.message") " OR " L("f.file")
			" OR " L("f.stack") " OR " L("f.type")
			" OR f.id IN (SELECT fatal_id FROM checkpoints WHERE " L("label") ")"
			" OR f.id IN (SELECT fatal_id FROM functions WHERE " L("name") "))",
			p));
		bad |= add_cond(&wa, subst("(" L("a.uri") " OR " L("a.last_checkpoint") " OR "
		                      L("a.current_sql") ")", p));
#undef L
		sqlite3_free(p);
	}
	/* --recent N: the N latest among those matching the other conditions. */
	if (o->recent > 0) {
		bad |= add_cond(&wr, sqlite3_mprintf("r.id IN (SELECT r.id FROM requests r WHERE %s "
		                                "ORDER BY r.start_unix_ns DESC, r.id DESC LIMIT %ld)",
		                                wr ? wr : "1", o->recent));
		bad |= add_cond(&wf, sqlite3_mprintf("f.id IN (SELECT f.id FROM fatals f WHERE %s "
		                                "ORDER BY f.start_unix_ns DESC, f.id DESC LIMIT %ld)",
		                                wf ? wf : "1", o->recent));
		bad |= add_cond(&wa, sqlite3_mprintf("a.id IN (SELECT a.id FROM aborted a WHERE %s "
		                                "ORDER BY a.started_unix_ns DESC, a.id DESC LIMIT %ld)",
		                                wa ? wa : "1", o->recent));
	}
	r->where_r = wr ? wr : sqlite3_mprintf("1");
	r->where_f = wf ? wf : sqlite3_mprintf("1");
	r->where_a = wa ? wa : sqlite3_mprintf("1");
	return bad || !r->where_r || !r->where_f || !r->where_a ? -1 : 0;
}

void report_filter_free(struct report *r)
{
	sqlite3_free(r->ep);
	sqlite3_free(r->ep_f);
	sqlite3_free(r->ep_a);
	sqlite3_free(r->failed_r);
	sqlite3_free(r->where_r);
	sqlite3_free(r->where_f);
	sqlite3_free(r->where_a);
	sqlite3_free((char *)r->ep_prefix);
	r->ep = r->ep_f = r->ep_a = r->failed_r = r->where_r = r->where_f = r->where_a = NULL;
	r->ep_prefix = NULL;
	r->ep_prefix_len = 0;
}

/* A selection smaller than 1/SMALL_RATIO of the store reads its children
 * through the request_id indexes; larger ones scan the child table once. */
#define SMALL_RATIO 20

int report_selection_build(struct report *r)
{
	if (!r->filtered)
		return 0;
	char *sql = sqlite3_mprintf("CREATE TEMP TABLE sel (id INTEGER PRIMARY KEY); "
	                            "INSERT INTO temp.sel SELECT r.id FROM requests r WHERE %s;",
	                            r->where_r);
	char *msg = NULL;
	if (sql == NULL || sqlite3_exec(r->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "bvapm-report: query failed: %s\n", msg ? msg : "out of memory");
		sqlite3_free(msg);
		sqlite3_free(sql);
		return -1;
	}
	sqlite3_free(sql);
	/* From now on the selection is read, not evaluated again (a --pattern
	 * scans every child table). */
	char *w = sqlite3_mprintf("r.id IN temp.sel");
	if (w == NULL)
		return -1;
	sqlite3_free(r->where_r);
	r->where_r = w;
	r->selected = report_scalar(r, "SELECT count(*) FROM temp.sel");
	/* max(id) is one index step; close to count(*) since ids only grow. */
	int64_t all = report_scalar(r, "SELECT max(id) FROM requests");
	r->sel_small = r->selected * SMALL_RATIO < all;
	return 0;
}

char *report_child_from(const struct report *r, const char *table, const char *alias, bool with_r,
                        const char *more_joins)
{
	char *join_r = with_r ? sqlite3_mprintf(" JOIN requests r ON r.id = %s.request_id", alias)
	                      : sqlite3_mprintf("%s", "");
	if (join_r == NULL)
		return NULL;
	char *from;
	if (!r->filtered)
		from = sqlite3_mprintf("FROM %s %s NOT INDEXED%s %s WHERE %s.request_id IS NOT NULL", table,
		                       alias, join_r, more_joins, alias);
	else if (r->sel_small)
		from = sqlite3_mprintf("FROM temp.sel CROSS JOIN %s %s ON %s.request_id = sel.id%s %s "
		                       "WHERE 1", table, alias, alias,
		                       with_r ? " CROSS JOIN requests r ON r.id = sel.id" : "", more_joins);
	else
		from = sqlite3_mprintf("FROM %s %s NOT INDEXED%s %s WHERE %s.request_id IN temp.sel", table,
		                       alias, join_r, more_joins, alias);
	sqlite3_free(join_r);
	return from;
}

void report_endpoint_prefix(struct report *r)
{
	/* The common prefix of the smallest and the largest is everyone's;
	 * jobs ("job:NAME") are shown whole. */
	sqlite3_stmt *s = report_prepare(r,
		"SELECT min(e), max(e) FROM (SELECT %s AS e FROM requests r WHERE %s UNION ALL "
		"SELECT %s FROM fatals f WHERE %s) WHERE e NOT GLOB '" REPORT_JOB_PREFIX "*'",
		r->ep, r->where_r, r->ep_f, r->where_f);
	if (s == NULL)
		return;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_TEXT) {
		const char *a = report_col_text(s, 0), *b = report_col_text(s, 1);
		size_t n = 0, cut = 0;
		while (a[n] && a[n] == b[n]) {
			if (a[n] == '/')
				cut = n; /* keep the '/' itself */
			n++;
		}
		if (cut > 1 && (r->ep_prefix = sqlite3_mprintf("%.*s", (int)cut, a)) != NULL) {
			r->ep_prefix_len = cut;
			printf("(endpoints below %.*s/ are shown without that prefix)\n", (int)cut, a);
		}
	}
	sqlite3_finalize(s);
}

const char *report_ep_short(const struct report *r, const char *ep)
{
	size_t n = r->ep_prefix_len;
	if (n == 0 || r->ep_prefix == NULL || strncmp(ep, r->ep_prefix, n) != 0 || ep[n] != '/')
		return ep;
	return ep + n;
}
