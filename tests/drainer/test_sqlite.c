/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of drainer/sink_sqlite.c over the store library (store/):
 * schema version and tables, a batch stored with its children, duplicates
 * removed by (pid, start, sequence), RETRY while another connection holds
 * the write lock, call paths and stacks (outermost frame first), a job
 * stored with its kind, a request's spans and external calls, and
 * version-1, version-2 and version-3 stores migrated in place (their rows
 * read as requests, with no timed calls and span_total_count unknown). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "drainer/log.h"
#include "drainer/sinks.h"
#include "store/schema.h"
#include "drainer_test_util.h"
#include "testing/fixtures.h"

static _Alignas(8) uint8_t bufs[16][1024];

/* Run sql on its own connection to db and hand column 0 of the first row (or
 * NULL when there is no row) to take; q() and text() differ only there. */
static void first_value(const char *db, const char *sql, void (*take)(sqlite3_stmt *, void *), void *to)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	sqlite3_open(db, &h);
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		take(s, to);
	sqlite3_finalize(s);
	sqlite3_close(h);
}

static void take_int64(sqlite3_stmt *s, void *to)
{
	*(long long *)to = sqlite3_column_int64(s, 0);
}

static long long q(const char *db, const char *sql)
{
	long long v = -1;
	first_value(db, sql, take_int64, &v);
	return v;
}

static struct bvapm_sink *open_sink(char *dir, char *db)
{
	struct bvapm_drainer_config c;
	char err[256];
	bvapm_config_defaults(&c);
	assert_true(strlen(db) < sizeof c.sqlite_path);
	memcpy(c.sqlite_path, db, strlen(db) + 1);
	c.sqlite_busy_timeout_ms = 10;
	struct bvapm_sink *s = bvapm_sink_sqlite_new(&c, err, sizeof err);
	if (!s)
		fprintf(stderr, "# %s\n", err);
	return s;
}

/* A new temporary directory *dir and the sink on a new store db in it. */
static struct bvapm_sink *fresh_sink(char **dir, char *db, size_t db_size)
{
	*dir = tu_tmpdir();
	snprintf(db, db_size, "%s/s.db", *dir);
	struct bvapm_sink *s = open_sink(*dir, db);
	assert_non_null(s);
	return s;
}

static void test_schema_and_dedupe(void **state)
{
	char *dir, db[600];
	struct bvapm_sink *s = fresh_sink(&dir, db, sizeof db);
	assert_string_equal(s->name, "sqlite");
	assert_int_equal(q(db, "PRAGMA user_version"), BVAPM_STORE_SCHEMA_VERSION);
	assert_int_equal(q(db, "SELECT max(version) FROM schema_migrations"), BVAPM_STORE_SCHEMA_VERSION);
	assert_int_equal(q(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN "
	                       "('requests','checkpoints','sql','functions','errors','aborted','fatals')"), 7);
	assert_int_equal(q(db, "SELECT count(*) FROM sqlite_master WHERE type='index' AND name='requests_route_wall'"), 1);

	struct bvapm_sink_record r[10];
	for (int i = 0; i < 10; i++) {
		size_t len = tu_request(bufs[i], sizeof bufs[i], 42, 1000, (uint64_t)i + 1);
		tu_sink_record(&r[i], bufs[i], len, 42, 1000, (uint64_t)i + 1);
	}
	struct bvapm_sink_result res;
	s->send(s, r, 6, &res);
	assert_int_equal(res.status, BVAPM_SINK_OK);
	assert_int_equal(res.accepted, 6);
	/* at-least-once: records 4..10 again, overlapping 4..6 */
	s->send(s, r + 3, 7, &res);
	assert_int_equal(res.status, BVAPM_SINK_OK);
	assert_int_equal(q(db, "SELECT count(*) FROM requests"), 10);
	assert_int_equal(q(db, "SELECT count(DISTINCT sequence) FROM requests WHERE pid=42"), 10);
	assert_int_equal(q(db, "SELECT count(*) FROM checkpoints"), 10); /* children once */
	assert_int_equal(q(db, "SELECT count(*) FROM sql"), 10);
	assert_int_equal(q(db, "SELECT count(*) FROM functions"), 10);
	assert_int_equal(q(db, "SELECT count(*) FROM errors"), 10);
	s->destroy(s);
	/* reopening does not migrate again */
	s = open_sink(dir, db);
	assert_non_null(s);
	assert_int_equal(q(db, "SELECT count(*) FROM schema_migrations"), BVAPM_STORE_SCHEMA_VERSION);
	s->destroy(s);
	tu_rmrf(dir);
	free(dir);
}

static void test_locked_store_retries(void **state)
{
	char *dir, db[600];
	struct bvapm_sink *s = fresh_sink(&dir, db, sizeof db);
	sqlite3 *other;
	sqlite3_open(db, &other);
	assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	struct bvapm_sink_record r[1];
	size_t len = tu_request(bufs[0], sizeof bufs[0], 1, 1, 1);
	tu_sink_record(&r[0], bufs[0], len, 1, 1, 1);
	struct bvapm_sink_result res;
	s->send(s, r, 1, &res);
	assert_int_equal(res.status, BVAPM_SINK_RETRY);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	s->send(s, r, 1, &res);
	assert_int_equal(res.status, BVAPM_SINK_OK);
	assert_int_equal(q(db, "SELECT count(*) FROM requests"), 1);
	s->destroy(s);
	tu_rmrf(dir);
	free(dir);
}

static void take_text(sqlite3_stmt *s, void *to)
{
	if (sqlite3_column_text(s, 0))
		*(char **)to = strdup((const char *)sqlite3_column_text(s, 0));
}

static char *text(const char *db, const char *sql)
{
	char *v = NULL;
	first_value(db, sql, take_text, &v);
	return v;
}

/* The fixtures: call paths in their own table, the error's and the fatal's
 * stacks as text, outermost frame first. */
static void test_call_paths_and_stacks(void **state)
{
	char *dir, db[600];
	struct bvapm_sink *s = fresh_sink(&dir, db, sizeof db);
	static _Alignas(8) uint8_t rb[8192], fb[8192];
	ssize_t rn = fixture_encode(FX_REQUEST, rb, sizeof rb), fn = fixture_encode(FX_FATAL, fb, sizeof fb);
	assert_true(rn > 0 && fn > 0);
	struct bvapm_sink_record r[2];
	tu_sink_record(&r[0], rb, (size_t)rn, 4242, 1, 7);
	tu_sink_record(&r[1], fb, (size_t)fn, 4242, 1, 8);
	struct bvapm_sink_result res;
	s->send(s, r, 2, &res);
	assert_int_equal(res.status, BVAPM_SINK_OK);
	assert_int_equal(q(db, "SELECT count(*) FROM call_paths c JOIN requests r ON r.id = c.request_id"), 2);
	assert_int_equal(q(db, "SELECT exclusive_ns FROM call_paths WHERE path LIKE 'main;%'"), 350000000);
	assert_int_equal(q(db, "SELECT calls FROM call_paths WHERE path = 'main'"), 1);
	char *st = text(db, "SELECT stack FROM errors");
	assert_non_null(st);
	assert_string_equal(st, "{main} /srv/app/public/index.php:17\n"
	                        "App\\Models\\Permission::fill /srv/app/vendor/x/y.php:17\n");
	free(st);
	st = text(db, "SELECT stack FROM fatals");
	assert_non_null(st);
	assert_true(strncmp(st, "{main} :0\nApp\\Models\\Permission::{closure}", 41) == 0);
	free(st);
	s->destroy(s);
	tu_rmrf(dir);
	free(dir);
}

/* A job (record schema v3) is stored with kind 1, a request with kind 0. */
static void test_job_kind(void **state)
{
	char *dir, db[600];
	struct bvapm_sink *s = fresh_sink(&dir, db, sizeof db);
	static _Alignas(8) uint8_t jb[8192], rb[8192];
	ssize_t jn = fixture_encode_job(jb, sizeof jb), rn = fixture_encode(FX_REQUEST, rb, sizeof rb);
	assert_true(jn > 0 && rn > 0);
	struct bvapm_sink_record r[2];
	tu_sink_record(&r[0], jb, (size_t)jn, fixture_envelope_job.pid,
	               fixture_envelope_job.producer_start_unix_ns, fixture_envelope_job.sequence);
	tu_sink_record(&r[1], rb, (size_t)rn, 4242, 1, 7);
	struct bvapm_sink_result res;
	s->send(s, r, 2, &res);
	assert_int_equal(res.status, BVAPM_SINK_OK);
	assert_int_equal(q(db, "SELECT kind FROM requests WHERE method = 'JOB' AND route = 'import' "
	                       "AND sapi = 'cli' AND status = 0"), 1);
	assert_int_equal(q(db, "SELECT kind FROM requests WHERE method = 'GET'"), 0);
	s->destroy(s);
	tu_rmrf(dir);
	free(dir);
}

/* The fixture's timed calls: spans in record order (by start) with their
 * span ids in hex, the external calls with their figures, the request's
 * span_total_count; a record without calls (the job) stores none. */
static void test_spans_and_external(void **state)
{
	char *dir, db[600];
	struct bvapm_sink *s = fresh_sink(&dir, db, sizeof db);
	static _Alignas(8) uint8_t rb[8192], jb[8192];
	ssize_t rn = fixture_encode(FX_REQUEST, rb, sizeof rb), jn = fixture_encode_job(jb, sizeof jb);
	assert_true(rn > 0 && jn > 0);
	struct bvapm_sink_record r[2];
	tu_sink_record(&r[0], rb, (size_t)rn, 4242, 1, 7);
	tu_sink_record(&r[1], jb, (size_t)jn, fixture_envelope_job.pid,
	               fixture_envelope_job.producer_start_unix_ns, fixture_envelope_job.sequence);
	struct bvapm_sink_result res;
	s->send(s, r, 2, &res);
	assert_int_equal(res.status, BVAPM_SINK_OK);
	assert_int_equal(q(db, "SELECT span_total_count FROM requests WHERE method = 'GET'"), 9057);
	assert_int_equal(q(db, "SELECT span_total_count FROM requests WHERE method = 'JOB'"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM spans s JOIN requests r ON r.id = s.request_id "
	                       "WHERE r.method = 'GET'"), fixture_request.span_count);
	assert_int_equal(q(db, "SELECT count(*) FROM spans s JOIN requests r ON r.id = s.request_id "
	                       "WHERE r.method = 'JOB'"), 0);
	/* idx follows start_offset_ns */
	assert_int_equal(q(db, "SELECT count(*) FROM spans a JOIN spans b ON b.request_id = a.request_id "
	                       "AND b.idx = a.idx + 1 WHERE b.start_offset_ns < a.start_offset_ns"), 0);
	assert_int_equal(q(db, "SELECT kind FROM spans WHERE idx = 1"), BVAPM_REC_SPAN_HTTP);
	assert_int_equal(q(db, "SELECT duration_ns FROM spans WHERE idx = 1"), 120000000);
	assert_int_equal(q(db, "SELECT status FROM spans WHERE idx = 1"), 200);
	assert_int_equal(q(db, "SELECT bytes FROM spans WHERE idx = 1"), 5321);
	char *t = text(db, "SELECT span_id || ' ' || target || ' ' || name FROM spans WHERE idx = 1");
	assert_non_null(t);
	assert_string_equal(t, "a1b2c3d4e5f60718 https://api.example.com:443 GET /v1/rates");
	free(t);
	t = text(db, "SELECT error FROM spans WHERE idx = 2");
	assert_non_null(t);
	assert_string_equal(t, "timeout");
	free(t);
	assert_int_equal(q(db, "SELECT count(*) FROM spans WHERE kind = 1 AND target IS NULL"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM spans WHERE kind = 3 AND span_id IS NULL"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM external"), fixture_request.external_count);
	assert_int_equal(q(db, "SELECT count(*) FROM external WHERE kind = 3 AND name = 'GET' AND "
	                       "target = 'redis 127.0.0.1:6379'"), 1);
	t = text(db, "SELECT count || ' ' || keys || ' ' || repeated || ' ' || total_ns || ' ' || max_ns "
	             "FROM external WHERE kind = 3");
	assert_non_null(t);
	assert_string_equal(t, "120 120 1 36000000 250000");
	free(t);
	assert_int_equal(q(db, "SELECT errors FROM external WHERE name = 'POST /v1/charge'"), 1);
	assert_int_equal(q(db, "SELECT bytes FROM external WHERE name = 'GET /v1/rates'"), 5321);
	s->destroy(s);
	tu_rmrf(dir);
	free(dir);
}

/* A store made by the first `version` migrations, with one request and its
 * error written the way that version's drainer did. */
static void make_old_store(const char *db, int version)
{
	sqlite3 *h;
	char sql[256];
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	for (int v = 0; v < version; v++) {
		for (const char *const *part = bvapm_store_migrations[v]; *part; part++)
			assert_int_equal(sqlite3_exec(h, *part, NULL, NULL, NULL), SQLITE_OK);
		snprintf(sql, sizeof sql, "INSERT INTO schema_migrations VALUES (%d, 0); "
		                          "PRAGMA user_version = %d;", v + 1, v + 1);
		assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	}
	assert_int_equal(sqlite3_exec(h, "INSERT INTO requests (pid, producer_start_unix_ns, sequence, "
	                                 "method) VALUES (1, 1, 1, 'GET'); INSERT INTO errors "
	                                 "(request_id, type) VALUES (1, 'E_WARNING');",
	                                 NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* A store written by a version-1 drainer gains the call paths table, the
 * error stacks and the request kinds (its rows are requests). */
static void test_version_1_store_migrates(void **state)
{
	char *dir = tu_tmpdir(), db[600];
	snprintf(db, sizeof db, "%s/s.db", dir);
	make_old_store(db, 1);
	struct bvapm_sink *s = open_sink(dir, db);
	assert_non_null(s);
	assert_int_equal(q(db, "PRAGMA user_version"), BVAPM_STORE_SCHEMA_VERSION);
	assert_int_equal(q(db, "SELECT count(*) FROM errors WHERE stack IS NULL"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM call_paths"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM sqlite_master WHERE name = 'call_paths_request'"), 1);
	assert_int_equal(q(db, "SELECT kind FROM requests WHERE sequence = 1"), 0);
	s->destroy(s);
	tu_rmrf(dir);
	free(dir);
}

/* A store written by a version-2 drainer gains requests.kind (its rows are
 * requests) and the jobs' index; a job sent afterwards is stored as one. */
static void test_version_2_store_migrates(void **state)
{
	char *dir = tu_tmpdir(), db[600];
	snprintf(db, sizeof db, "%s/s.db", dir);
	make_old_store(db, 2);
	assert_int_equal(q(db, "SELECT count(*) FROM pragma_table_info('requests') WHERE name = 'kind'"),
	                 0);
	struct bvapm_sink *s = open_sink(dir, db);
	assert_non_null(s);
	assert_int_equal(q(db, "PRAGMA user_version"), BVAPM_STORE_SCHEMA_VERSION);
	assert_int_equal(q(db, "SELECT max(version) FROM schema_migrations"), BVAPM_STORE_SCHEMA_VERSION);
	assert_int_equal(q(db, "SELECT kind FROM requests WHERE sequence = 1 AND method = 'GET'"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
	                       "name = 'requests_job_worker'"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM errors WHERE request_id = 1"), 1);

	static _Alignas(8) uint8_t jb[8192];
	ssize_t jn = fixture_encode_job(jb, sizeof jb);
	assert_true(jn > 0);
	struct bvapm_sink_record r[1];
	tu_sink_record(&r[0], jb, (size_t)jn, fixture_envelope_job.pid,
	               fixture_envelope_job.producer_start_unix_ns, fixture_envelope_job.sequence);
	struct bvapm_sink_result res;
	s->send(s, r, 1, &res);
	assert_int_equal(res.status, BVAPM_SINK_OK);
	assert_int_equal(q(db, "SELECT count(*) FROM requests WHERE kind = 1"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM requests WHERE kind = 0"), 1);
	s->destroy(s);
	tu_rmrf(dir);
	free(dir);
}

/* A store written by a version-3 drainer gains the spans and external
 * tables with their indexes and requests.span_total_count (NULL for its
 * rows: not known); a request sent afterwards brings its calls. */
static void test_version_3_store_migrates(void **state)
{
	char *dir = tu_tmpdir(), db[600];
	snprintf(db, sizeof db, "%s/s.db", dir);
	make_old_store(db, 3);
	assert_int_equal(q(db, "SELECT count(*) FROM sqlite_master WHERE name = 'spans'"), 0);
	struct bvapm_sink *s = open_sink(dir, db);
	assert_non_null(s);
	assert_int_equal(q(db, "PRAGMA user_version"), BVAPM_STORE_SCHEMA_VERSION);
	assert_int_equal(q(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
	                       "name IN ('spans_request', 'external_request')"), 2);
	assert_int_equal(q(db, "SELECT count(*) FROM requests WHERE sequence = 1 AND "
	                       "span_total_count IS NULL"), 1);

	static _Alignas(8) uint8_t rb[8192];
	ssize_t rn = fixture_encode(FX_REQUEST, rb, sizeof rb);
	assert_true(rn > 0);
	struct bvapm_sink_record r[1];
	tu_sink_record(&r[0], rb, (size_t)rn, 4242, 1, 7);
	struct bvapm_sink_result res;
	s->send(s, r, 1, &res);
	assert_int_equal(res.status, BVAPM_SINK_OK);
	assert_int_equal(q(db, "SELECT count(*) FROM spans"), fixture_request.span_count);
	assert_int_equal(q(db, "SELECT count(*) FROM external"), fixture_request.external_count);
	assert_int_equal(q(db, "SELECT span_total_count FROM requests WHERE pid = 4242"), 9057);
	s->destroy(s);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	bvapm_log_set_level(-1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_and_dedupe),
		cmocka_unit_test(test_locked_store_retries),
		cmocka_unit_test(test_call_paths_and_stacks),
		cmocka_unit_test(test_job_kind),
		cmocka_unit_test(test_spans_and_external),
		cmocka_unit_test(test_version_1_store_migrates),
		cmocka_unit_test(test_version_2_store_migrates),
		cmocka_unit_test(test_version_3_store_migrates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
