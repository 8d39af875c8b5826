/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store/writer.c — the store's writer: one prepared INSERT per table, and
 * one function per record kind mapping a verified record (record/record.h)
 * onto its row and its child rows (checkpoints, SQL, functions, errors,
 * tags, counters, call paths, spans, external calls). Envelope tables use INSERT OR IGNORE on their
 * UNIQUE envelope key: sqlite3_changes() == 0 after it means the record was
 * already stored, and its children are not written again.
 *
 * Connection settings at bvapm_store_open(): WAL (readers and the writer do
 * not block each other), synchronous NORMAL or FULL, foreign keys not
 * enforced, a 16 MiB page cache, a WAL checkpoint every 4096 pages.
 *
 * Threads: a store is used by one thread at a time; no shared state.
 */
#include "store/store.h"
#include "support/bvapm_text.h"

#include "record/record.h"
#include "store/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ST_REQ, ST_FATAL, ST_ABORTED, ST_STATS, ST_CKPT, ST_SQL, ST_FUNC, ST_ERR, ST_TAG, ST_CTR,
       ST_PATH, ST_SPAN, ST_EXT, ST__COUNT };

/* The requests columns every schema version has, and their parameters; a
 * newer version appends its own (kind ?33, span_total_count ?34). */
#define REQ_COLUMNS                                                                               \
	"pid, producer_start_unix_ns, sequence, host, service, wall_unix_ns, trace_id, span_id, "  \
	"parent_span_id, sampled, truncated, method, uri, route, sapi, status, mode, keep_reason, " \
	"detail_reduced, start_unix_ns, wall_ns, cpu_user_us, cpu_sys_us, mem_start_bytes, "        \
	"mem_end_bytes, mem_peak_bytes, mem_limit_bytes, agent_ns, sql_total_count, sql_total_ns, " \
	"sql_dropped, functions_dropped"
#define REQ_PARAMS                                                                                \
	"?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, " \
	"?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32"

static const char *const stmt_sql[ST__COUNT] = {
	[ST_REQ] = "INSERT OR IGNORE INTO requests (" REQ_COLUMNS ", kind, span_total_count) VALUES ("
	           REQ_PARAMS ", ?33, ?34)",
	[ST_FATAL] = "INSERT OR IGNORE INTO fatals (pid, producer_start_unix_ns, sequence, host, "
	             "service, wall_unix_ns, trace_id, type, message, file, line, out_of_memory, "
	             "method, uri, route, start_unix_ns, wall_ns, mem_usage_bytes, mem_peak_bytes, "
	             "mem_limit_bytes, stack_depth, stack) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	             "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
	[ST_ABORTED] = "INSERT OR IGNORE INTO aborted (pid, producer_start_unix_ns, sequence, host, "
	               "wall_unix_ns, trace_id, worker_pid, method, uri, started_unix_ns, running_ns, "
	               "last_checkpoint, last_checkpoint_mem_bytes, current_sql, "
	               "worker_start_unix_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
	               "?12, ?13, ?14, ?15)",
	[ST_STATS] = "INSERT OR IGNORE INTO stats (pid, producer_start_unix_ns, sequence, host, "
	             "wall_unix_ns, source, interval_ns, name, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	             "?7, ?8, ?9)",
	[ST_CKPT] = "INSERT INTO checkpoints (request_id, fatal_id, idx, label, offset_ns, mem_bytes, "
	            "mem_delta_bytes, peak_bytes, largest_jump) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	            "?8, ?9)",
	[ST_SQL] = "INSERT INTO sql (request_id, statement, count, total_ns, max_ns, rows, "
	           "n_plus_one) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_FUNC] = "INSERT INTO functions (request_id, fatal_id, name, calls, inclusive_ns, "
	            "exclusive_ns, mem_delta_bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_ERR] = "INSERT INTO errors (request_id, type, message, file, line, count, stack) VALUES "
	           "(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_TAG] = "INSERT INTO tags (request_id, key, value) VALUES (?1, ?2, ?3)",
	[ST_CTR] = "INSERT INTO counters (request_id, name, value) VALUES (?1, ?2, ?3)",
	[ST_PATH] = "INSERT INTO call_paths (request_id, path, calls, inclusive_ns, exclusive_ns) "
	            "VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_SPAN] = "INSERT INTO spans (request_id, idx, kind, name, target, start_offset_ns, "
	            "duration_ns, status, error, bytes, span_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	            "?8, ?9, ?10, ?11)",
	[ST_EXT] = "INSERT INTO external (request_id, kind, target, name, count, total_ns, max_ns, "
	           "errors, bytes, keys, repeated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	           "?11)",
};

/* requests before BVAPM_STORE_SCHEMA_CALLS: no span_total_count column. */
static const char requests_v3_sql[] =
	"INSERT OR IGNORE INTO requests (" REQ_COLUMNS ", kind) VALUES (" REQ_PARAMS ", ?33)";

/* requests before BVAPM_STORE_SCHEMA_JOBS: no kind column either (a job is
 * stored as a request there). */
static const char requests_v2_sql[] =
	"INSERT OR IGNORE INTO requests (" REQ_COLUMNS ") VALUES (" REQ_PARAMS ")";

/* errors before BVAPM_STORE_SCHEMA_CALL_PATHS: no stack column. */
static const char errors_v1_sql[] =
	"INSERT INTO errors (request_id, type, message, file, line, count) VALUES (?1, ?2, ?3, ?4, "
	"?5, ?6)";

struct bvapm_store {
	sqlite3 *db;
	bool owns_db;               /* opened by bvapm_store_open(): closed with the store */
	int version;                /* schema version the statements were prepared for */
	sqlite3_stmt *st[ST__COUNT]; /* st[ST_PATH] NULL before call paths, st[ST_SPAN] and
	                             * st[ST_EXT] before timed calls */
	char *path;                 /* for messages */
};

/* ---- binding helpers ------------------------------------------------------ */

static void b_str(sqlite3_stmt *s, int i, bvapm_rec_str v)
{
	if (v.ptr)
		sqlite3_bind_text(s, i, v.ptr, (int)v.len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static void b_int(sqlite3_stmt *s, int i, uint64_t v)
{
	sqlite3_bind_int64(s, i, (sqlite3_int64)v);
}

static void b_id(sqlite3_stmt *s, int i, sqlite3_int64 id)
{
	if (id)
		sqlite3_bind_int64(s, i, id);
	else
		sqlite3_bind_null(s, i);
}

static void b_hex(sqlite3_stmt *s, int i, bvapm_rec_bytes v)
{
	char buf[65];
	if (!v.ptr || v.len == 0 || v.len > 32) {
		sqlite3_bind_null(s, i);
		return;
	}
	bvapm_hex_encode(buf, v.ptr, v.len);
	sqlite3_bind_text(s, i, buf, (int)(2 * v.len), SQLITE_TRANSIENT);
}

static int run(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void b_env(sqlite3_stmt *s, bvapm_rec_record_ref r)
{
	b_int(s, 1, bvapm_rec_record_pid(r));
	b_int(s, 2, bvapm_rec_record_producer_start_unix_ns(r));
	b_int(s, 3, bvapm_rec_record_sequence(r));
	b_str(s, 4, bvapm_rec_record_host(r));
}

/* ---- one record per kind ---------------------------------------------------- */

/* A stack (innermost first in the record) as "function file:line" lines,
 * outermost first; a malloc()ed string ("" for no frames), NULL when out of
 * memory. */
static char *stack_text(bvapm_rec_stack_frame_vec fv, size_t *used_out)
{
	size_t cap = 1, used = 0;
	for (uint32_t i = 0; i < fv.len; i++) {
		bvapm_rec_stack_frame_ref x = bvapm_rec_stack_frame_at(fv, i);
		cap += bvapm_rec_stack_frame_function(x).len + bvapm_rec_stack_frame_file(x).len + 16;
	}
	char *stack = malloc(cap);
	if (!stack)
		return NULL;
	stack[0] = 0;
	for (uint32_t k = fv.len; k-- > 0;) {
		bvapm_rec_stack_frame_ref x = bvapm_rec_stack_frame_at(fv, k);
		bvapm_rec_str fn = bvapm_rec_stack_frame_function(x), fl = bvapm_rec_stack_frame_file(x);
		used += (size_t)snprintf(stack + used, cap - used, "%.*s %.*s:%u\n", (int)fn.len,
		                         fn.ptr ? fn.ptr : "", (int)fl.len, fl.ptr ? fl.ptr : "",
		                         bvapm_rec_stack_frame_line(x));
	}
	*used_out = used;
	return stack;
}

static int put_checkpoints(struct bvapm_store *st, sqlite3_int64 req, sqlite3_int64 fatal,
                           bvapm_rec_checkpoint_vec v)
{
	sqlite3_stmt *s = st->st[ST_CKPT];
	for (uint32_t i = 0; i < v.len; i++) {
		bvapm_rec_checkpoint_ref c = bvapm_rec_checkpoint_at(v, i);
		b_id(s, 1, req);
		b_id(s, 2, fatal);
		b_int(s, 3, i);
		b_str(s, 4, bvapm_rec_checkpoint_label(c));
		b_int(s, 5, bvapm_rec_checkpoint_offset_ns(c));
		b_int(s, 6, bvapm_rec_checkpoint_mem_bytes(c));
		b_int(s, 7, (uint64_t)bvapm_rec_checkpoint_mem_delta_bytes(c));
		b_int(s, 8, bvapm_rec_checkpoint_peak_bytes(c));
		b_int(s, 9, bvapm_rec_checkpoint_largest_jump(c));
		int rc = run(s);
		if (rc)
			return rc;
	}
	return SQLITE_OK;
}

static int put_functions(struct bvapm_store *st, sqlite3_int64 req, sqlite3_int64 fatal,
                         bvapm_rec_function_stat_vec v)
{
	sqlite3_stmt *s = st->st[ST_FUNC];
	for (uint32_t i = 0; i < v.len; i++) {
		bvapm_rec_function_stat_ref f = bvapm_rec_function_stat_at(v, i);
		b_id(s, 1, req);
		b_id(s, 2, fatal);
		b_str(s, 3, bvapm_rec_function_stat_name(f));
		b_int(s, 4, bvapm_rec_function_stat_calls(f));
		b_int(s, 5, bvapm_rec_function_stat_inclusive_ns(f));
		b_int(s, 6, bvapm_rec_function_stat_exclusive_ns(f));
		b_int(s, 7, (uint64_t)bvapm_rec_function_stat_mem_delta_bytes(f));
		int rc = run(s);
		if (rc)
			return rc;
	}
	return SQLITE_OK;
}

/* The request's timed calls (spans, idx in record order: by start) and its
 * outbound calls aggregated; nothing in a store before timed calls. */
static int put_calls(struct bvapm_store *st, sqlite3_int64 id, bvapm_rec_request_ref q)
{
	bvapm_rec_span_vec sv = bvapm_rec_request_spans(q);
	for (uint32_t i = 0; st->st[ST_SPAN] && i < sv.len; i++) {
		bvapm_rec_span_ref x = bvapm_rec_span_at(sv, i);
		sqlite3_stmt *s = st->st[ST_SPAN];
		b_int(s, 1, (uint64_t)id);
		b_int(s, 2, i);
		b_int(s, 3, bvapm_rec_span_kind(x));
		b_str(s, 4, bvapm_rec_span_name(x));
		b_str(s, 5, bvapm_rec_span_target(x));
		b_int(s, 6, bvapm_rec_span_start_offset_ns(x));
		b_int(s, 7, bvapm_rec_span_duration_ns(x));
		b_int(s, 8, bvapm_rec_span_status(x));
		b_str(s, 9, bvapm_rec_span_error(x));
		b_int(s, 10, bvapm_rec_span_bytes(x));
		b_hex(s, 11, bvapm_rec_span_span_id(x));
		int rc = run(s);
		if (rc)
			return rc;
	}
	bvapm_rec_external_call_vec ev = bvapm_rec_request_external(q);
	for (uint32_t i = 0; st->st[ST_EXT] && i < ev.len; i++) {
		bvapm_rec_external_call_ref x = bvapm_rec_external_call_at(ev, i);
		sqlite3_stmt *s = st->st[ST_EXT];
		b_int(s, 1, (uint64_t)id);
		b_int(s, 2, bvapm_rec_external_call_kind(x));
		b_str(s, 3, bvapm_rec_external_call_target(x));
		b_str(s, 4, bvapm_rec_external_call_name(x));
		b_int(s, 5, bvapm_rec_external_call_count(x));
		b_int(s, 6, bvapm_rec_external_call_total_ns(x));
		b_int(s, 7, bvapm_rec_external_call_max_ns(x));
		b_int(s, 8, bvapm_rec_external_call_errors(x));
		b_int(s, 9, bvapm_rec_external_call_bytes(x));
		b_int(s, 10, bvapm_rec_external_call_keys(x));
		b_int(s, 11, bvapm_rec_external_call_repeated(x));
		int rc = run(s);
		if (rc)
			return rc;
	}
	return SQLITE_OK;
}

static int put_request(struct bvapm_store *st, bvapm_rec_record_ref r, bool *dup)
{
	bvapm_rec_request_ref q = bvapm_rec_record_body_request(r);
	sqlite3_stmt *s = st->st[ST_REQ];
	b_env(s, r);
	b_str(s, 5, bvapm_rec_record_service(r));
	b_int(s, 6, bvapm_rec_record_wall_unix_ns(r));
	b_hex(s, 7, bvapm_rec_record_trace_id(r));
	b_hex(s, 8, bvapm_rec_record_span_id(r));
	b_hex(s, 9, bvapm_rec_record_parent_span_id(r));
	b_int(s, 10, bvapm_rec_record_sampled(r));
	b_int(s, 11, bvapm_rec_record_truncated(r));
	b_str(s, 12, bvapm_rec_request_method(q));
	b_str(s, 13, bvapm_rec_request_uri(q));
	b_str(s, 14, bvapm_rec_request_route(q));
	b_str(s, 15, bvapm_rec_request_sapi(q));
	b_int(s, 16, bvapm_rec_request_status(q));
	b_int(s, 17, bvapm_rec_request_mode(q));
	b_int(s, 18, bvapm_rec_request_keep_reason(q));
	b_int(s, 19, bvapm_rec_request_detail_reduced(q));
	b_int(s, 20, bvapm_rec_request_start_unix_ns(q));
	b_int(s, 21, bvapm_rec_request_wall_ns(q));
	b_int(s, 22, bvapm_rec_request_cpu_user_us(q));
	b_int(s, 23, bvapm_rec_request_cpu_sys_us(q));
	b_int(s, 24, bvapm_rec_request_mem_start_bytes(q));
	b_int(s, 25, bvapm_rec_request_mem_end_bytes(q));
	b_int(s, 26, bvapm_rec_request_mem_peak_bytes(q));
	b_int(s, 27, bvapm_rec_request_mem_limit_bytes(q));
	b_int(s, 28, bvapm_rec_request_agent_ns(q));
	b_int(s, 29, bvapm_rec_request_sql_total_count(q));
	b_int(s, 30, bvapm_rec_request_sql_total_ns(q));
	b_int(s, 31, bvapm_rec_request_sql_dropped(q));
	b_int(s, 32, bvapm_rec_request_functions_dropped(q));
	if (st->version >= BVAPM_STORE_SCHEMA_JOBS)
		b_int(s, 33, bvapm_rec_request_kind(q));
	/* a producer before record schema v4 did not count its calls: unknown */
	if (st->version >= BVAPM_STORE_SCHEMA_CALLS && bvapm_rec_record_schema_version(r) >= 4)
		b_int(s, 34, bvapm_rec_request_span_total_count(q));
	int rc = run(s);
	if (rc)
		return rc;
	if (sqlite3_changes(st->db) == 0) {
		*dup = true;
		return SQLITE_OK;
	}
	sqlite3_int64 id = sqlite3_last_insert_rowid(st->db);
	if ((rc = put_checkpoints(st, id, 0, bvapm_rec_request_checkpoints(q))))
		return rc;
	bvapm_rec_sql_statement_vec sv = bvapm_rec_request_sql(q);
	for (uint32_t i = 0; i < sv.len; i++) {
		bvapm_rec_sql_statement_ref x = bvapm_rec_sql_statement_at(sv, i);
		s = st->st[ST_SQL];
		b_int(s, 1, (uint64_t)id);
		b_str(s, 2, bvapm_rec_sql_statement_statement(x));
		b_int(s, 3, bvapm_rec_sql_statement_count(x));
		b_int(s, 4, bvapm_rec_sql_statement_total_ns(x));
		b_int(s, 5, bvapm_rec_sql_statement_max_ns(x));
		b_int(s, 6, bvapm_rec_sql_statement_rows(x));
		b_int(s, 7, bvapm_rec_sql_statement_n_plus_one(x));
		if ((rc = run(s)))
			return rc;
	}
	if ((rc = put_functions(st, id, 0, bvapm_rec_request_functions(q))))
		return rc;
	bvapm_rec_error_event_vec ev = bvapm_rec_request_errors(q);
	for (uint32_t i = 0; i < ev.len; i++) {
		bvapm_rec_error_event_ref x = bvapm_rec_error_event_at(ev, i);
		s = st->st[ST_ERR];
		b_int(s, 1, (uint64_t)id);
		b_str(s, 2, bvapm_rec_error_event_type(x));
		b_str(s, 3, bvapm_rec_error_event_message(x));
		b_str(s, 4, bvapm_rec_error_event_file(x));
		b_int(s, 5, bvapm_rec_error_event_line(x));
		b_int(s, 6, bvapm_rec_error_event_count(x));
		char *stack = NULL;
		if (st->version >= BVAPM_STORE_SCHEMA_CALL_PATHS) {
			bvapm_rec_stack_frame_vec fv = bvapm_rec_error_event_stack(x);
			size_t used = 0;
			stack = fv.len ? stack_text(fv, &used) : NULL;
			if (fv.len && !stack)
				return SQLITE_NOMEM;
			if (stack)
				sqlite3_bind_text(s, 7, stack, (int)used, SQLITE_STATIC);
			else
				sqlite3_bind_null(s, 7);
		}
		rc = run(s);
		free(stack);
		if (rc)
			return rc;
	}
	bvapm_rec_tag_vec tv = bvapm_rec_request_tags(q);
	for (uint32_t i = 0; i < tv.len; i++) {
		bvapm_rec_tag_ref x = bvapm_rec_tag_at(tv, i);
		s = st->st[ST_TAG];
		b_int(s, 1, (uint64_t)id);
		b_str(s, 2, bvapm_rec_tag_key(x));
		b_str(s, 3, bvapm_rec_tag_value(x));
		if ((rc = run(s)))
			return rc;
	}
	bvapm_rec_counter_vec cv = bvapm_rec_request_counters(q);
	for (uint32_t i = 0; i < cv.len; i++) {
		bvapm_rec_counter_ref x = bvapm_rec_counter_at(cv, i);
		s = st->st[ST_CTR];
		b_int(s, 1, (uint64_t)id);
		b_str(s, 2, bvapm_rec_counter_name(x));
		b_int(s, 3, (uint64_t)bvapm_rec_counter_value(x));
		if ((rc = run(s)))
			return rc;
	}
	bvapm_rec_call_path_vec pv = bvapm_rec_request_call_paths(q);
	for (uint32_t i = 0; st->st[ST_PATH] && i < pv.len; i++) {
		bvapm_rec_call_path_ref x = bvapm_rec_call_path_at(pv, i);
		s = st->st[ST_PATH];
		b_int(s, 1, (uint64_t)id);
		b_str(s, 2, bvapm_rec_call_path_path(x));
		b_int(s, 3, bvapm_rec_call_path_calls(x));
		b_int(s, 4, bvapm_rec_call_path_inclusive_ns(x));
		b_int(s, 5, bvapm_rec_call_path_exclusive_ns(x));
		if ((rc = run(s)))
			return rc;
	}
	return put_calls(st, id, q);
}

static int put_fatal(struct bvapm_store *st, bvapm_rec_record_ref r, bool *dup)
{
	bvapm_rec_fatal_ref f = bvapm_rec_record_body_fatal(r);
	sqlite3_stmt *s = st->st[ST_FATAL];
	size_t used;
	char *stack = stack_text(bvapm_rec_fatal_stack(f), &used);
	if (!stack)
		return SQLITE_NOMEM;
	b_env(s, r);
	b_str(s, 5, bvapm_rec_record_service(r));
	b_int(s, 6, bvapm_rec_record_wall_unix_ns(r));
	b_hex(s, 7, bvapm_rec_record_trace_id(r));
	b_str(s, 8, bvapm_rec_fatal_type(f));
	b_str(s, 9, bvapm_rec_fatal_message(f));
	b_str(s, 10, bvapm_rec_fatal_file(f));
	b_int(s, 11, bvapm_rec_fatal_line(f));
	b_int(s, 12, bvapm_rec_fatal_out_of_memory(f));
	b_str(s, 13, bvapm_rec_fatal_method(f));
	b_str(s, 14, bvapm_rec_fatal_uri(f));
	b_str(s, 15, bvapm_rec_fatal_route(f));
	b_int(s, 16, bvapm_rec_fatal_start_unix_ns(f));
	b_int(s, 17, bvapm_rec_fatal_wall_ns(f));
	b_int(s, 18, bvapm_rec_fatal_mem_usage_bytes(f));
	b_int(s, 19, bvapm_rec_fatal_mem_peak_bytes(f));
	b_int(s, 20, bvapm_rec_fatal_mem_limit_bytes(f));
	b_int(s, 21, bvapm_rec_fatal_stack_depth(f));
	sqlite3_bind_text(s, 22, stack, (int)used, SQLITE_STATIC);
	int rc = run(s);
	free(stack);
	if (rc)
		return rc;
	if (sqlite3_changes(st->db) == 0) {
		*dup = true;
		return SQLITE_OK;
	}
	sqlite3_int64 id = sqlite3_last_insert_rowid(st->db);
	if ((rc = put_checkpoints(st, 0, id, bvapm_rec_fatal_checkpoints(f))))
		return rc;
	return put_functions(st, 0, id, bvapm_rec_fatal_top_allocators(f));
}

static int put_aborted(struct bvapm_store *st, bvapm_rec_record_ref r, bool *dup)
{
	bvapm_rec_aborted_ref a = bvapm_rec_record_body_aborted(r);
	sqlite3_stmt *s = st->st[ST_ABORTED];
	b_env(s, r);
	b_int(s, 5, bvapm_rec_record_wall_unix_ns(r));
	b_hex(s, 6, bvapm_rec_record_trace_id(r));
	b_int(s, 7, bvapm_rec_aborted_pid(a));
	b_str(s, 8, bvapm_rec_aborted_method(a));
	b_str(s, 9, bvapm_rec_aborted_uri(a));
	b_int(s, 10, bvapm_rec_aborted_started_unix_ns(a));
	b_int(s, 11, bvapm_rec_aborted_running_ns(a));
	b_str(s, 12, bvapm_rec_aborted_last_checkpoint(a));
	b_int(s, 13, bvapm_rec_aborted_last_checkpoint_mem_bytes(a));
	b_str(s, 14, bvapm_rec_aborted_current_sql(a));
	b_int(s, 15, bvapm_rec_aborted_worker_start_unix_ns(a));
	int rc = run(s);
	if (!rc && sqlite3_changes(st->db) == 0)
		*dup = true;
	return rc;
}

static int put_stats(struct bvapm_store *st, bvapm_rec_record_ref r, bool *dup)
{
	bvapm_rec_stats_ref x = bvapm_rec_record_body_stats(r);
	bvapm_rec_counter_vec cv = bvapm_rec_stats_counters(x);
	sqlite3_stmt *s = st->st[ST_STATS];
	int inserted = 0;
	for (uint32_t i = 0; i < cv.len; i++) {
		bvapm_rec_counter_ref c = bvapm_rec_counter_at(cv, i);
		b_env(s, r);
		b_int(s, 5, bvapm_rec_record_wall_unix_ns(r));
		b_str(s, 6, bvapm_rec_stats_source(x));
		b_int(s, 7, bvapm_rec_stats_interval_ns(x));
		b_str(s, 8, bvapm_rec_counter_name(c));
		b_int(s, 9, (uint64_t)bvapm_rec_counter_value(c));
		int rc = run(s);
		if (rc)
			return rc;
		inserted += sqlite3_changes(st->db);
	}
	if (cv.len && !inserted)
		*dup = true;
	return SQLITE_OK;
}

int bvapm_store_put(struct bvapm_store *st, const void *record, bool *dup)
{
	bvapm_rec_record_ref r = bvapm_rec_root(record);
	*dup = false;
	switch (bvapm_rec_record_body_type(r)) {
	case BVAPM_REC_KIND_REQUEST: return put_request(st, r, dup);
	case BVAPM_REC_KIND_FATAL: return put_fatal(st, r, dup);
	case BVAPM_REC_KIND_ABORTED: return put_aborted(st, r, dup);
	case BVAPM_REC_KIND_STATS: return put_stats(st, r, dup);
	default: return SQLITE_OK; /* a kind of a newer schema: nothing to store yet */
	}
}

bool bvapm_store_transient(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_FULL: case SQLITE_IOERR:
	case SQLITE_CANTOPEN: case SQLITE_NOMEM: case SQLITE_PROTOCOL:
		return true;
	default:
		return false;
	}
}

int bvapm_store_begin(struct bvapm_store *st)
{
	return sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
}

int bvapm_store_commit(struct bvapm_store *st)
{
	return sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
}

void bvapm_store_rollback(struct bvapm_store *st)
{
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

const char *bvapm_store_errmsg(const struct bvapm_store *st)
{
	return sqlite3_errmsg(st->db);
}

const char *bvapm_store_path(const struct bvapm_store *st)
{
	return st->path;
}

void bvapm_store_close(struct bvapm_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(st->st[i]);
	if (st->owns_db)
		sqlite3_close(st->db);
	free(st->path);
	free(st);
}

/* Prepares the statements for the schema version of st->db. */
static int prepare(struct bvapm_store *st, char *err, size_t errlen)
{
	int rc = bvapm_store_schema_version(st->db, &st->version);
	if (rc) {
		snprintf(err, errlen, "store %s: %s", st->path, sqlite3_errmsg(st->db));
		return rc;
	}
	if (st->version < 1 || st->version > BVAPM_STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "store %s: schema version %d, this writer knows 1..%d", st->path,
		         st->version, BVAPM_STORE_SCHEMA_VERSION);
		return SQLITE_ERROR;
	}
	bool v2 = st->version >= BVAPM_STORE_SCHEMA_CALL_PATHS;
	bool v3 = st->version >= BVAPM_STORE_SCHEMA_JOBS;
	bool v4 = st->version >= BVAPM_STORE_SCHEMA_CALLS;
	for (int i = 0; i < ST__COUNT; i++) {
		const char *sql = stmt_sql[i];
		if (i == ST_REQ && !v4)
			sql = v3 ? requests_v3_sql : requests_v2_sql;
		if (i == ST_ERR && !v2)
			sql = errors_v1_sql;
		if (i == ST_PATH && !v2)
			continue; /* no call_paths table: call paths are not stored */
		if ((i == ST_SPAN || i == ST_EXT) && !v4)
			continue; /* no spans or external table: timed calls are not stored */
		if ((rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->st[i],
		                             NULL))) {
			snprintf(err, errlen, "store %s: %s", st->path, sqlite3_errmsg(st->db));
			return rc;
		}
	}
	return SQLITE_OK;
}

static struct bvapm_store *store_new(const char *path, char *err, size_t errlen)
{
	struct bvapm_store *st = calloc(1, sizeof *st);
	if (st && !(st->path = strdup(path ? path : ""))) {
		free(st);
		st = NULL;
	}
	if (!st)
		snprintf(err, errlen, "out of memory");
	return st;
}

struct bvapm_store *bvapm_store_attach(sqlite3 *db, const char *name, char *err, size_t errlen)
{
	struct bvapm_store *st = store_new(name, err, errlen);
	if (!st)
		return NULL;
	st->db = db;
	if (prepare(st, err, errlen)) {
		bvapm_store_close(st);
		return NULL;
	}
	return st;
}

struct bvapm_store *bvapm_store_open(const struct bvapm_store_options *o, char *err,
                                     size_t errlen)
{
	struct bvapm_store *st = store_new(o->path, err, errlen);
	if (!st)
		return NULL;
	st->owns_db = true;
	int rc = sqlite3_open_v2(o->path, &st->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc) {
		snprintf(err, errlen, "cannot open the store %s: %s", o->path,
		         st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(st->db, (int)o->busy_timeout_ms);
	char pragmas[256];
	snprintf(pragmas, sizeof pragmas,
	         "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=OFF; "
	         "PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=4096;",
	         o->synchronous_full ? "FULL" : "NORMAL");
	char *msg = NULL;
	if ((rc = sqlite3_exec(st->db, pragmas, NULL, NULL, &msg))) {
		snprintf(err, errlen, "store %s: %s", o->path, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		goto fail;
	}
	if (bvapm_store_migrate(st->db, BVAPM_STORE_SCHEMA_VERSION, o->migrated, o->arg, err, errlen))
		goto fail;
	if (prepare(st, err, errlen))
		goto fail;
	return st;
fail:
	bvapm_store_close(st);
	return NULL;
}
