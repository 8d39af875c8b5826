/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report.h — bvapm-report's shared types: the options every command takes,
 * the open store, the selection of requests they filter on, and the command
 * entry points (one file per command: cmd_*.c).
 *
 * Every command reads the store through one read-only connection and prints
 * either text for a person or, with --json, exactly one JSON document; its
 * tables are declared once for both (report_table.h).
 * Exit codes are the REPORT_* values below; a command never exits itself.
 */
#ifndef BVAPM_REPORT_H
#define BVAPM_REPORT_H

#include <json-c/json.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

enum report_exit {
	REPORT_OK = 0,
	REPORT_ERROR = 1,      /* anything else: a query failed, cannot write output */
	REPORT_USAGE = 2,      /* bad command line */
	REPORT_NO_STORE = 3,   /* no store at the path, or not a bvapm store */
	REPORT_PERMISSION = 4, /* the store exists but cannot be read */
	REPORT_TOO_NEW = 5,    /* store schema newer than this tool */
};

/* --kind: which request profiles a command reads. */
enum report_kind {
	REPORT_KIND_ALL = 0,     /* requests and jobs (default) */
	REPORT_KIND_REQUEST,     /* requests only (requests.kind 0; fatal errors and aborted
	                          * requests whose method is not "JOB") */
	REPORT_KIND_JOB,         /* jobs of long-running workers only (requests.kind 1; method "JOB") */
};

/* A job's endpoint is its name behind this prefix ("job:import"), in text
 * and JSON alike, so that it is never taken for a web endpoint. */
#define REPORT_JOB_PREFIX "job:"

/* requests --sort: the order of the list (each descending: the largest,
 * or for time the newest, first). */
enum report_sort {
	REPORT_SORT_WALL = 0, /* wall time (default) */
	REPORT_SORT_CPU,      /* CPU time, user + system */
	REPORT_SORT_PEAK,     /* peak memory */
	REPORT_SORT_TIME,     /* start time: newest first */
	REPORT_SORT_SQL,      /* SQL statements executed */
	REPORT_SORT__COUNT,
};
/* --sort's words, by enum report_sort (cmd_requests.c). */
extern const char *const report_sort_names[REPORT_SORT__COUNT];

struct report_opts {
	const char *db_path;     /* --db, else [sqlite] path of the drainer's config */
	const char *config_path; /* -c: drainer configuration to take the path from */
	int64_t since_unix_ns;   /* --since: 0 = no lower bound */
	int64_t until_unix_ns;   /* --until: requests started before it; 0 = no upper bound */
	long recent;             /* --recent N: the N latest matching requests; 0 = all */
	const char *endpoint;    /* --endpoint: exact, or a path suffix at a '/' */
	const char *pattern;     /* --pattern: case-insensitive substring, searched widely */
	long limit;              /* --limit: rows per table (default 10) */
	bool json;               /* --json: one JSON document on stdout */
	bool by_uri;             /* --by uri: endpoint = URI path even when a route is set */
	enum report_kind kind;   /* --kind request|job|all */
	int64_t request_id;      /* --request ID: that request alone; 0 = not given */
	const char *trace_id;    /* trace --trace: 32 lowercase hex digits; NULL = not given */
	const char *output;      /* flame -o FILE; NULL = stdout */
	int64_t bucket_ns;       /* timeline --bucket WIDTH; 0 = chosen from the time span */
	enum report_sort sort;   /* requests --sort */
	bool sort_given;         /* --sort was given */
	const char *listen;      /* serve --listen ADDR:PORT; NULL = 127.0.0.1:8047 */
	bool allow_remote;       /* serve --allow-remote: a non-loopback address is allowed */
	const char *ring_name;   /* serve --ring: the live page's ring; NULL = the default */
};

/* What a command put into its JSON document, table by table, in the order
 * the text shows them: how the web pages (serve) render the same tables.
 * Filled by report_table.c when report.sections is set (only with --json). */
struct report_table_spec;

struct report_section {
	const struct report_table_spec *spec; /* report_table.h */
	json_object *json;   /* the rows' array, or the record's object (for a record
	                      * without a key: the object its cells were added to) */
	bool nested;         /* inside a row of another table */
	bool record;         /* a record (one object), not an array of rows */
};

struct report_sections {
	struct report_section *v;
	size_t n, cap;
};

struct report {
	sqlite3 *db;
	const struct report_opts *o;
	int schema_version;
	bool has_call_paths;   /* table call_paths exists (newer stores) */
	bool has_error_stack;  /* column errors.stack exists (newer stores) */
	bool has_kind;         /* column requests.kind exists (store schema 3: jobs) */
	bool has_calls;        /* tables spans and external and column requests.span_total_count
	                        * exist (store schema 4: timed calls) */
	bool filtered;         /* any of --since, --until, --recent, --endpoint, --pattern, --kind */
	int64_t selected;      /* filtered: requests in temp.sel */
	bool sel_small;        /* filtered: selection small enough to drive index lookups */
	char *ep;              /* SQL expression: the endpoint of requests alias r */
	char *ep_f;            /* same for fatals alias f */
	char *ep_a;            /* same for aborted alias a */
	const char *job_r;     /* SQL condition: request alias r is a job (requests.kind 1; in a
	                        * store before schema 3, method "JOB") */
	char *failed_r;        /* SQL condition: request alias r failed (status >= 500; a job:
	                        * status not 0) */
	char *where_r;         /* SQL condition on requests alias r (the selection) */
	char *where_f;         /* same on fatals alias f */
	char *where_a;         /* same on aborted alias a */
	json_object *doc;      /* --json: the document being built */
	struct report_sections *sections; /* NULL, or where the tables are listed (serve) */
	const char *ep_prefix; /* text: directory prefix common to every web endpoint, not printed */
	size_t ep_prefix_len;  /* its length (0: none) */
};

/* ---- store.c: opening and probing ------------------------------------------ */

/* Opens o->db_path read-only with a busy timeout and checks it is a bvapm
 * store this tool can read. Returns REPORT_OK or an exit code after printing
 * why on stderr. */
int report_store_open(struct report *r, const struct report_opts *o);
void report_store_close(struct report *r);
/* The default store path: [sqlite] path of config (or of the drainer's
 * installed configuration when config is NULL and it exists), else the
 * store's default (BVAPM_STORE_DEFAULT_PATH, store/store.h). Returns a
 * malloc'ed string. */
char *report_default_db_path(const char *config, char *err, size_t errlen);
bool report_table_exists(sqlite3 *db, const char *table);
bool report_column_exists(sqlite3 *db, const char *table, const char *column);

/* ---- filter.c: the selection ------------------------------------------------ */

/* Parses --since: "15m", "2h", "7d", "30s", "1w" before now, or an ISO 8601
 * time ("2026-11-29T17:00:00Z", "2026-11-29 17:00", "2026-11-29"; UTC unless
 * a +hh:mm offset is given), or "@SECONDS" since the epoch. Returns 0 and
 * *out (unix ns), or -1. */
int report_parse_since(const char *s, int64_t now_unix_ns, int64_t *out);
/* Fills r->ep, r->ep_f, r->ep_a, r->failed_r and r->where_* from the
 * options. Returns 0, or -1 (no memory). */
int report_filter_build(struct report *r);
/* When filtered: materializes the selected request ids in temp.sel (the
 * store stays read-only: TEMP tables live in the connection's own temporary
 * database). Returns 0, or -1 after printing the error. */
int report_selection_build(struct report *r);
/* "FROM … WHERE …" over a child table (checkpoints, sql, functions,
 * counters, errors, call_paths) of the selected requests, alias `alias`;
 * with_r: requests alias r joined too (for the endpoint expression);
 * more_joins: text put before WHERE (e.g. a LEFT JOIN), or "".
 * Unfiltered: a plain scan (no sort, no index walk); a small selection:
 * index lookups driven by temp.sel (CROSS JOIN fixes the order); a large
 * one: a scan checking temp.sel. Returns an sqlite3_malloc'ed string. */
char *report_child_from(const struct report *r, const char *table, const char *alias, bool with_r,
                        const char *more_joins);
void report_filter_free(struct report *r);

/* Text mode: finds the directory every selected web endpoint lies under
 * (e.g. the document root all scripts share; jobs are left aside) so tables
 * print the rest, and says so in one line. */
void report_endpoint_prefix(struct report *r);
/* ep without that prefix (keeps the leading '/'); ep itself when it does not
 * start with it (a job, an aborted request's URI). */
const char *report_ep_short(const struct report *r, const char *ep);

/* ---- query.c: small wrappers over sqlite3 ------------------------------------- */

/* Prepares sql (printf-formatted with sqlite3_mprintf rules: %q, %Q, %s, %lld).
 * Prints the error and returns NULL on failure. */
sqlite3_stmt *report_prepare(struct report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* sqlite3_step wrapper: SQLITE_ROW, SQLITE_DONE, or prints and returns the error. */
int report_step(struct report *r, sqlite3_stmt *s);
/* One integer from a one-row query (0 when no row). */
int64_t report_scalar(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *report_col_text(sqlite3_stmt *s, int i); /* "" for NULL */

/* ---- output.c: text and JSON formatting ---------------------------------------- */

/* "12.3 ms", "1.20 s", "850 us" */
const char *report_fmt_ns(int64_t ns, char *buf, size_t len);
/* "12.3 MiB" (signed) */
const char *report_fmt_bytes(int64_t bytes, char *buf, size_t len);
/* "2026-11-29 17:04:05Z"; "-" for 0 */
const char *report_fmt_time(int64_t unix_ns, char *buf, size_t len);
/* Prints a line of text with no JSON counterpart (text mode only). */
void report_text(const struct report *r, const char *line);
/* Adds key → value to obj and returns value (json-c shorthand). */
json_object *report_json_add(json_object *obj, const char *key, json_object *value);
json_object *report_json_str(const char *s); /* NULL-safe */
json_object *report_json_int(int64_t v);
json_object *report_json_dbl(double v);
/* A text bar of v on a scale where max fills width: out gets width '#' at
 * most, at least one when v > 0 (out has room for width + 1 bytes). */
void report_fmt_bar(char *out, int width, int64_t v, int64_t max);
/* A sparkline of v[0..n): one of ▁▂▃▄▅▆▇█ per value on a scale where the
 * largest is █, a space for 0. out needs 3 * n + 1 bytes. */
void report_fmt_sparkline(char *out, const int64_t *v, size_t n);
/* Percentile (nearest rank) of a sorted array of n values; p in (0, 100]. */
int64_t report_percentile(const int64_t *v, size_t n, double p);

/* ---- commands ---------------------------------------------------------------- */

int report_cmd_summary(struct report *r);
int report_cmd_memory(struct report *r);
int report_cmd_sql(struct report *r);
int report_cmd_functions(struct report *r);
int report_cmd_flame(struct report *r);
int report_cmd_errors(struct report *r);
int report_cmd_trace(struct report *r);
int report_cmd_external(struct report *r);
int report_cmd_timeline(struct report *r);
int report_cmd_requests(struct report *r);

#endif
