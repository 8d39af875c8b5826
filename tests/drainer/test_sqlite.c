/* Unit tests of drainer/sink_sqlite.c: schema version and tables, a batch
 * stored with its children, duplicates removed by (pid, start, sequence),
 * RETRY while another connection holds the write lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "log.h"
#include "sinks.h"
#include "store_schema.h"
#include "drainer_test_util.h"

static _Alignas(8) uint8_t bufs[16][1024];

static long long q(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	long long v = -1;
	sqlite3_open(db, &h);
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

static struct bvapm_sink *open_sink(char *dir, char *db)
{
	struct bvapm_drainer_config c;
	char err[256];
	bvapm_config_defaults(&c);
	snprintf(c.sqlite_path, sizeof c.sqlite_path, "%s", db);
	c.sqlite_busy_timeout_ms = 10;
	struct bvapm_sink *s = bvapm_sink_sqlite_new(&c, err, sizeof err);
	if (!s)
		fprintf(stderr, "# %s\n", err);
	return s;
}

static void test_schema_and_dedupe(void **state)
{
	char *dir = tu_tmpdir(), db[600];
	snprintf(db, sizeof db, "%s/s.db", dir);
	struct bvapm_sink *s = open_sink(dir, db);
	assert_non_null(s);
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
	char *dir = tu_tmpdir(), db[600];
	snprintf(db, sizeof db, "%s/s.db", dir);
	struct bvapm_sink *s = open_sink(dir, db);
	assert_non_null(s);
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

int main(void)
{
	bvapm_log_set_level(-1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_and_dedupe),
		cmocka_unit_test(test_locked_store_retries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
