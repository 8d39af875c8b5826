/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store.c — unit tests of the store library (store/): a store opened
 * fresh is migrated to the current schema (the callback sees each version)
 * and takes every record kind once (a duplicate is reported, its children
 * not written again), a job with its kind, found through the jobs' index in
 * worker and sequence order; a request's spans and external calls, and the
 * span_total_count of an older producer's record left unknown; a writer
 * attached to a version-1, version-2 or version-3 store writes what that
 * schema holds (no call paths, no error stacks; no kind; no timed calls)
 * and leaves the connection open; a file that is not a database, a store newer than this build and an
 * unopenable path are refused with a sentence; the transient errors are the
 * documented ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testing/fixtures.h"
#include "store/schema.h"
#include "store/store.h"

static _Alignas(8) uint8_t bufs[FX_COUNT][8192];
static size_t lens[FX_COUNT];
static _Alignas(8) uint8_t job_buf[8192];

static int setup(void **state)
{
	for (int k = 0; k < FX_COUNT; k++) {
		ssize_t n = fixture_encode((enum fixture_kind)k, bufs[k], sizeof bufs[k]);
		if (n <= 0)
			return -1;
		lens[k] = (size_t)n;
	}
	return fixture_encode_job(job_buf, sizeof job_buf) > 0 ? 0 : -1;
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/bvapm-store-test-XXXXXX");
	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static void rmdir_all(char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

static long long q(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static long long qpath(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	long long v = q(db, sql);
	sqlite3_close(db);
	return v;
}

static int seen[8], n_seen;

static void on_migrated(void *arg, int version)
{
	assert_ptr_equal(arg, seen);
	if (n_seen < 8)
		seen[n_seen++] = version;
}

static void test_open_put_every_kind_once(void **state)
{
	char *dir = tmpdir(), path[600];
	snprintf(path, sizeof path, "%s/s.db", dir);
	char err[256] = "";
	n_seen = 0;
	struct bvapm_store_options o = {
		.path = path, .busy_timeout_ms = 10, .migrated = on_migrated, .arg = seen,
	};
	struct bvapm_store *st = bvapm_store_open(&o, err, sizeof err);
	assert_non_null(st);
	assert_string_equal(bvapm_store_path(st), path);
	assert_int_equal(n_seen, BVAPM_STORE_SCHEMA_VERSION);
	for (int i = 0; i < n_seen; i++)
		assert_int_equal(seen[i], i + 1);

	assert_int_equal(bvapm_store_begin(st), SQLITE_OK);
	for (int k = 0; k < FX_COUNT; k++) {
		bool dup = true;
		assert_int_equal(bvapm_store_put(st, bufs[k], &dup), SQLITE_OK);
		assert_false(dup);
	}
	for (int k = 0; k < FX_COUNT; k++) {
		bool dup = false;
		assert_int_equal(bvapm_store_put(st, bufs[k], &dup), SQLITE_OK);
		assert_true(dup);
	}
	bool dup = true;
	assert_int_equal(bvapm_store_put(st, job_buf, &dup), SQLITE_OK);
	assert_false(dup);
	assert_int_equal(bvapm_store_commit(st), SQLITE_OK);
	bvapm_store_close(st);

	assert_int_equal(qpath(path, "PRAGMA user_version"), BVAPM_STORE_SCHEMA_VERSION);
	assert_int_equal(qpath(path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
	assert_int_equal(qpath(path, "SELECT count(*) FROM requests"), 2);
	assert_int_equal(qpath(path, "SELECT kind FROM requests WHERE method = 'GET'"), 0);
	assert_int_equal(qpath(path, "SELECT kind FROM requests WHERE method = 'JOB'"), 1);
	assert_int_equal(qpath(path, "SELECT mem_end_bytes FROM requests WHERE kind = 1"),
	                 fixture_job.mem_end_bytes);
	/* A worker's jobs in order come from the jobs' index: no scan of the
	 * requests, no sort. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *plan;
	assert_int_equal(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT pid, mem_end_bytes FROM "
	                                        "requests WHERE kind = 1 ORDER BY pid, "
	                                        "producer_start_unix_ns, sequence", -1, &plan, NULL),
	                 SQLITE_OK);
	int steps = 0;
	while (sqlite3_step(plan) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(plan, 3);
		assert_non_null(strstr(detail, "requests_job_worker"));
		steps++;
	}
	assert_int_equal(steps, 1);
	sqlite3_finalize(plan);
	sqlite3_close(db);
	assert_int_equal(qpath(path, "SELECT count(*) FROM fatals"), 1);
	assert_int_equal(qpath(path, "SELECT count(*) FROM aborted"), 1);
	assert_int_equal(qpath(path, "SELECT count(*) FROM stats"), fixture_stats.counter_count);
	assert_int_equal(qpath(path, "SELECT count(*) FROM checkpoints WHERE request_id IS NOT NULL"),
	                 fixture_request.checkpoint_count + fixture_job.checkpoint_count);
	assert_int_equal(qpath(path, "SELECT count(*) FROM call_paths"),
	                 fixture_request.call_path_count);
	assert_int_equal(qpath(path, "SELECT count(*) FROM errors WHERE stack IS NOT NULL"), 1);
	assert_int_equal(qpath(path, "SELECT count(*) FROM spans"), fixture_request.span_count);
	assert_int_equal(qpath(path, "SELECT count(*) FROM external"), fixture_request.external_count);
	assert_int_equal(qpath(path, "SELECT span_total_count FROM requests WHERE kind = 0"),
	                 fixture_request.span_total_count);
	/* one request's spans in order come from spans_request, without a sort */
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT name FROM spans "
	                                        "WHERE request_id = 1 ORDER BY idx", -1, &plan, NULL),
	                 SQLITE_OK);
	steps = 0;
	while (sqlite3_step(plan) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(plan, 3);
		assert_non_null(strstr(detail, "spans_request"));
		steps++;
	}
	assert_int_equal(steps, 1);
	sqlite3_finalize(plan);
	sqlite3_close(db);

	/* Reopened: nothing to migrate, the rows stay. */
	n_seen = 0;
	st = bvapm_store_open(&o, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(n_seen, 0);
	bvapm_store_close(st);
	assert_int_equal(qpath(path, "SELECT count(*) FROM schema_migrations"),
	                 BVAPM_STORE_SCHEMA_VERSION);
	rmdir_all(dir);
}

static void test_attach_version_1(void **state)
{
	char *dir = tmpdir(), path[600];
	snprintf(path, sizeof path, "%s/old.db", dir);
	char err[256] = "";
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(bvapm_store_migrate(db, 1, NULL, NULL, err, sizeof err), SQLITE_OK);
	int version = 0;
	assert_int_equal(bvapm_store_schema_version(db, &version), SQLITE_OK);
	assert_int_equal(version, 1);

	struct bvapm_store *st = bvapm_store_attach(db, "old", err, sizeof err);
	assert_non_null(st);
	assert_int_equal(bvapm_store_begin(st), SQLITE_OK);
	bool dup = true;
	assert_int_equal(bvapm_store_put(st, bufs[FX_REQUEST], &dup), SQLITE_OK);
	assert_false(dup);
	assert_int_equal(bvapm_store_commit(st), SQLITE_OK);
	bvapm_store_close(st);

	/* The connection is still the caller's. */
	assert_int_equal(q(db, "SELECT count(*) FROM requests"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM errors"), fixture_request.error_count);
	assert_int_equal(q(db, "SELECT count(*) FROM pragma_table_info('errors') "
	                       "WHERE name = 'stack'"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM sqlite_master WHERE name = 'call_paths'"), 0);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	rmdir_all(dir);
}

/* Version 2 has no requests.kind: a job is stored as a request. */
static void test_attach_version_2(void **state)
{
	char *dir = tmpdir(), path[600];
	snprintf(path, sizeof path, "%s/old.db", dir);
	char err[256] = "";
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(bvapm_store_migrate(db, 2, NULL, NULL, err, sizeof err), SQLITE_OK);
	struct bvapm_store *st = bvapm_store_attach(db, "old", err, sizeof err);
	assert_non_null(st);
	assert_int_equal(bvapm_store_begin(st), SQLITE_OK);
	bool dup = true;
	assert_int_equal(bvapm_store_put(st, job_buf, &dup), SQLITE_OK);
	assert_false(dup);
	assert_int_equal(bvapm_store_put(st, bufs[FX_REQUEST], &dup), SQLITE_OK);
	assert_false(dup);
	assert_int_equal(bvapm_store_commit(st), SQLITE_OK);
	bvapm_store_close(st);

	assert_int_equal(q(db, "SELECT count(*) FROM requests"), 2);
	assert_int_equal(q(db, "SELECT count(*) FROM call_paths"), fixture_request.call_path_count);
	assert_int_equal(q(db, "SELECT count(*) FROM pragma_table_info('requests') "
	                       "WHERE name = 'kind'"), 0);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	rmdir_all(dir);
}

/* The request fixture as a producer of record schema v3 wrote it (the
 * envelope's schema_version patched in place: the fields it did not know
 * are absent from such a record, and a reader must not take that as 0). */
static void test_older_producer_calls_unknown(void **state)
{
	char *dir = tmpdir(), path[600];
	snprintf(path, sizeof path, "%s/s.db", dir);
	char err[256] = "";
	static _Alignas(8) uint8_t old[8192];
	struct bvapm_rec_request q3 = fixture_request;
	q3.spans = NULL, q3.span_count = q3.span_total_count = 0;
	q3.external = NULL, q3.external_count = 0;
	ssize_t n = bvapm_rec_encode_request(old, sizeof old, &fixture_envelope, &q3);
	assert_true(n > 0);
	bvapm_rec_record_ref r = bvapm_rec_root(old);
	uint32_t at = bvapm_rec__field(old, r.pos, 0); /* schema_version */
	assert_true(at != 0);
	uint16_t v3 = 3;
	memcpy(old + at, &v3, 2);
	assert_int_equal(bvapm_rec_verify(old, (size_t)n, NULL, NULL), 0);
	assert_int_equal(bvapm_rec_record_schema_version(r), 3);

	struct bvapm_store_options o = { .path = path, .busy_timeout_ms = 10 };
	struct bvapm_store *st = bvapm_store_open(&o, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(bvapm_store_begin(st), SQLITE_OK);
	bool dup = true;
	assert_int_equal(bvapm_store_put(st, old, &dup), SQLITE_OK);
	assert_int_equal(bvapm_store_put(st, job_buf, &dup), SQLITE_OK);
	assert_int_equal(bvapm_store_commit(st), SQLITE_OK);
	bvapm_store_close(st);
	assert_int_equal(qpath(path, "SELECT count(*) FROM requests WHERE method = 'GET' AND "
	                             "span_total_count IS NULL"), 1);
	/* a v4 producer's record without calls: known to have none */
	assert_int_equal(qpath(path, "SELECT span_total_count FROM requests WHERE method = 'JOB'"), 0);
	assert_int_equal(qpath(path, "SELECT count(*) FROM spans"), 0);
	rmdir_all(dir);
}

/* Version 3 has no timed calls: a request is stored without them. */
static void test_attach_version_3(void **state)
{
	char *dir = tmpdir(), path[600];
	snprintf(path, sizeof path, "%s/old.db", dir);
	char err[256] = "";
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(bvapm_store_migrate(db, 3, NULL, NULL, err, sizeof err), SQLITE_OK);
	struct bvapm_store *st = bvapm_store_attach(db, "old", err, sizeof err);
	assert_non_null(st);
	assert_int_equal(bvapm_store_begin(st), SQLITE_OK);
	bool dup = true;
	assert_int_equal(bvapm_store_put(st, bufs[FX_REQUEST], &dup), SQLITE_OK);
	assert_false(dup);
	assert_int_equal(bvapm_store_put(st, job_buf, &dup), SQLITE_OK);
	assert_int_equal(bvapm_store_commit(st), SQLITE_OK);
	bvapm_store_close(st);

	assert_int_equal(q(db, "SELECT count(*) FROM requests"), 2);
	assert_int_equal(q(db, "SELECT count(*) FROM requests WHERE kind = 1"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM call_paths"), fixture_request.call_path_count);
	assert_int_equal(q(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('spans', "
	                       "'external')"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM pragma_table_info('requests') "
	                       "WHERE name = 'span_total_count'"), 0);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	rmdir_all(dir);
}

static void test_refused(void **state)
{
	char *dir = tmpdir(), path[600];
	char err[256] = "";

	/* Not a database. */
	snprintf(path, sizeof path, "%s/text.db", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not an SQLite database, only text long enough to be a header\n", f);
	fclose(f);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	int version = -1;
	assert_int_equal(bvapm_store_schema_version(db, &version) & 0xff, SQLITE_NOTADB);
	sqlite3_close(db);

	/* Newer than this build. */
	snprintf(path, sizeof path, "%s/new.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", BVAPM_STORE_SCHEMA_VERSION + 1);
	assert_int_equal(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct bvapm_store_options o = { .path = path, .busy_timeout_ms = 10 };
	assert_null(bvapm_store_open(&o, err, sizeof err));
	assert_non_null(strstr(err, "newer"));

	/* A directory that does not exist. */
	snprintf(path, sizeof path, "%s/missing/s.db", dir);
	assert_null(bvapm_store_open(&o, err, sizeof err));
	assert_non_null(strstr(err, "cannot open the store"));
	rmdir_all(dir);
}

static void test_transient(void **state)
{
	static const int yes[] = { SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL, SQLITE_IOERR,
	                           SQLITE_IOERR_WRITE, SQLITE_CANTOPEN, SQLITE_NOMEM,
	                           SQLITE_PROTOCOL, SQLITE_BUSY_SNAPSHOT };
	static const int no[] = { SQLITE_OK, SQLITE_ERROR, SQLITE_CONSTRAINT,
	                          SQLITE_CONSTRAINT_UNIQUE, SQLITE_CORRUPT, SQLITE_MISMATCH };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		assert_true(bvapm_store_transient(yes[i]));
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		assert_false(bvapm_store_transient(no[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_put_every_kind_once),
		cmocka_unit_test(test_attach_version_1),
		cmocka_unit_test(test_attach_version_2),
		cmocka_unit_test(test_attach_version_3),
		cmocka_unit_test(test_older_producer_calls_unknown),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_transient),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
