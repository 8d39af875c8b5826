/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store/schema.c — the SQLite store's schema as versioned migrations, and
 * the one place they are applied.
 *
 * Migration i (from 0) takes the store from PRAGMA user_version i to i+1;
 * each runs in its own transaction together with the user_version bump and a
 * row in schema_migrations. Append migrations; never edit a released one
 * (and raise BVAPM_STORE_SCHEMA_VERSION in store/schema.h: the build
 * fails when the two disagree). docs/drainer.md describes the
 * tables for readers such as bvapm-report.
 */
#include "store/schema.h"

#include <stdio.h>
#include <time.h>

/* 1: initial schema (one string per table, executed in order) */
static const char *const migration_1[] = {
	"CREATE TABLE schema_migrations (\n"
	"  version INTEGER PRIMARY KEY,\n"
	"  applied_unix INTEGER NOT NULL);\n",
	/* One row per request profile; (pid, producer_start_unix_ns, sequence)
	 * identifies a record end to end and removes at-least-once duplicates. */
	"CREATE TABLE requests (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  pid INTEGER NOT NULL, producer_start_unix_ns INTEGER NOT NULL, sequence INTEGER NOT NULL,\n"
	"  host TEXT, service TEXT, wall_unix_ns INTEGER, trace_id TEXT, span_id TEXT,\n"
	"  parent_span_id TEXT, sampled INTEGER, truncated INTEGER,\n"
	"  method TEXT, uri TEXT, route TEXT, sapi TEXT, status INTEGER, mode INTEGER,\n"
	"  keep_reason INTEGER, detail_reduced INTEGER,\n"
	"  start_unix_ns INTEGER, wall_ns INTEGER, cpu_user_us INTEGER, cpu_sys_us INTEGER,\n"
	"  mem_start_bytes INTEGER, mem_end_bytes INTEGER, mem_peak_bytes INTEGER,\n"
	"  mem_limit_bytes INTEGER, agent_ns INTEGER,\n"
	"  sql_total_count INTEGER, sql_total_ns INTEGER, sql_dropped INTEGER,\n"
	"  functions_dropped INTEGER,\n"
	"  UNIQUE (pid, producer_start_unix_ns, sequence));\n"
	"CREATE INDEX requests_route_wall ON requests (route, wall_ns);\n"
	"CREATE INDEX requests_route_mem ON requests (route, mem_peak_bytes);\n"
	"CREATE INDEX requests_start ON requests (start_unix_ns);\n"
	"CREATE INDEX requests_trace ON requests (trace_id);\n",
	/* Fatal errors, out-of-memory included. */
	"CREATE TABLE fatals (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  pid INTEGER NOT NULL, producer_start_unix_ns INTEGER NOT NULL, sequence INTEGER NOT NULL,\n"
	"  host TEXT, service TEXT, wall_unix_ns INTEGER, trace_id TEXT,\n"
	"  type TEXT, message TEXT, file TEXT, line INTEGER, out_of_memory INTEGER,\n"
	"  method TEXT, uri TEXT, route TEXT, start_unix_ns INTEGER, wall_ns INTEGER,\n"
	"  mem_usage_bytes INTEGER, mem_peak_bytes INTEGER, mem_limit_bytes INTEGER,\n"
	"  stack_depth INTEGER, stack TEXT,\n"
	"  UNIQUE (pid, producer_start_unix_ns, sequence));\n"
	"CREATE INDEX fatals_start ON fatals (start_unix_ns);\n"
	"CREATE INDEX fatals_route ON fatals (route);\n",
	/* Children of a request (request_id) or of a fatal error (fatal_id). */
	"CREATE TABLE checkpoints (\n"
	"  request_id INTEGER REFERENCES requests (id), fatal_id INTEGER REFERENCES fatals (id),\n"
	"  idx INTEGER NOT NULL, label TEXT, offset_ns INTEGER, mem_bytes INTEGER,\n"
	"  mem_delta_bytes INTEGER, peak_bytes INTEGER, largest_jump INTEGER);\n"
	"CREATE INDEX checkpoints_request ON checkpoints (request_id);\n"
	"CREATE INDEX checkpoints_fatal ON checkpoints (fatal_id);\n"
	"CREATE INDEX checkpoints_delta ON checkpoints (mem_delta_bytes);\n",
	"CREATE TABLE sql (\n"
	"  request_id INTEGER NOT NULL REFERENCES requests (id),\n"
	"  statement TEXT, count INTEGER, total_ns INTEGER, max_ns INTEGER, rows INTEGER,\n"
	"  n_plus_one INTEGER);\n"
	"CREATE INDEX sql_request ON sql (request_id);\n"
	"CREATE INDEX sql_statement ON sql (statement);\n",
	"CREATE TABLE functions (\n"
	"  request_id INTEGER REFERENCES requests (id), fatal_id INTEGER REFERENCES fatals (id),\n"
	"  name TEXT, calls INTEGER, inclusive_ns INTEGER, exclusive_ns INTEGER,\n"
	"  mem_delta_bytes INTEGER);\n"
	"CREATE INDEX functions_request ON functions (request_id);\n"
	"CREATE INDEX functions_name ON functions (name);\n",
	"CREATE TABLE errors (\n"
	"  request_id INTEGER NOT NULL REFERENCES requests (id),\n"
	"  type TEXT, message TEXT, file TEXT, line INTEGER, count INTEGER);\n"
	"CREATE INDEX errors_request ON errors (request_id);\n"
	"CREATE INDEX errors_type ON errors (type);\n",
	"CREATE TABLE tags (request_id INTEGER NOT NULL REFERENCES requests (id), key TEXT, value TEXT);\n"
	"CREATE INDEX tags_request ON tags (request_id);\n",
	"CREATE TABLE counters (request_id INTEGER NOT NULL REFERENCES requests (id), name TEXT,\n"
	"  value INTEGER);\n"
	"CREATE INDEX counters_request ON counters (request_id);\n",
	/* Requests whose worker died mid-request (from the ring's live slots). */
	"CREATE TABLE aborted (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  pid INTEGER NOT NULL, producer_start_unix_ns INTEGER NOT NULL, sequence INTEGER NOT NULL,\n"
	"  host TEXT, wall_unix_ns INTEGER, trace_id TEXT,\n"
	"  worker_pid INTEGER, method TEXT, uri TEXT, started_unix_ns INTEGER, running_ns INTEGER,\n"
	"  last_checkpoint TEXT, last_checkpoint_mem_bytes INTEGER, current_sql TEXT,\n"
	"  worker_start_unix_ns INTEGER,\n"
	"  UNIQUE (pid, producer_start_unix_ns, sequence),\n"
	"  UNIQUE (worker_pid, started_unix_ns));\n"
	"CREATE INDEX aborted_started ON aborted (started_unix_ns);\n",
	/* Agent / drainer statistics records: one row per counter. */
	"CREATE TABLE stats (\n"
	"  pid INTEGER NOT NULL, producer_start_unix_ns INTEGER NOT NULL, sequence INTEGER NOT NULL,\n"
	"  host TEXT, wall_unix_ns INTEGER, source TEXT, interval_ns INTEGER, name TEXT,\n"
	"  value INTEGER);\n"
	"CREATE UNIQUE INDEX stats_key ON stats (pid, producer_start_unix_ns, sequence, name);\n",
	NULL,
};

/* 2: record schema v2 — the function profile's call paths (flame graph
 * input, read by bvapm-report flame) and the stack of uncaught exceptions,
 * as "function file:line" lines outermost first, like fatals.stack. */
static const char *const migration_2[] = {
	"CREATE TABLE call_paths (request_id INTEGER NOT NULL REFERENCES requests (id), path TEXT, "
	"calls INTEGER, inclusive_ns INTEGER, exclusive_ns INTEGER);\n"
	"CREATE INDEX call_paths_request ON call_paths (request_id);\n",
	"ALTER TABLE errors ADD COLUMN stack TEXT;\n",
	NULL,
};

/* 3: record schema v3 — requests.kind: 0 a request, 1 one job of a
 * long-running worker (old rows: requests). The partial index holds the
 * jobs only, by worker (pid, producer start) in sequence order: bvapm-report
 * reads each worker's jobs in order through it (memory after each job) and
 * finds them without a scan of the requests, which pay nothing for it. */
static const char *const migration_3[] = {
	"ALTER TABLE requests ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;\n",
	"CREATE INDEX requests_job_worker ON requests (pid, producer_start_unix_ns, sequence) "
	"WHERE kind = 1;\n",
	NULL,
};

/* 4: record schema v4 — a request's timed calls. spans: the longest calls
 * (SQL executions, outbound HTTP requests, cache commands) with their real
 * start, idx their order by start (bvapm-report trace reads one request's
 * through spans_request, in order); span_id in hex like requests.span_id.
 * external: HTTP calls and cache commands aggregated per (kind, target,
 * name) in one request, like sql (bvapm-report external). kind is the
 * record's SpanKind (1 SQL, 2 HTTP, 3 cache). requests.span_total_count:
 * every timed call of the request, listed or not; NULL for rows stored
 * before and for records of older producers (not known). */
static const char *const migration_4[] = {
	"CREATE TABLE spans (request_id INTEGER NOT NULL REFERENCES requests (id), "
	"idx INTEGER NOT NULL, kind INTEGER, name TEXT, target TEXT, start_offset_ns INTEGER, "
	"duration_ns INTEGER, status INTEGER, error TEXT, bytes INTEGER, span_id TEXT);\n"
	"CREATE INDEX spans_request ON spans (request_id, idx);\n",
	"CREATE TABLE external (request_id INTEGER NOT NULL REFERENCES requests (id), kind INTEGER, "
	"target TEXT, name TEXT, count INTEGER, total_ns INTEGER, max_ns INTEGER, errors INTEGER, "
	"bytes INTEGER, keys INTEGER, repeated INTEGER);\n"
	"CREATE INDEX external_request ON external (request_id);\n",
	"ALTER TABLE requests ADD COLUMN span_total_count INTEGER;\n",
	NULL,
};

/* Sized by its initializer: one migration more or less than
 * BVAPM_STORE_SCHEMA_VERSION conflicts with the declaration in schema.h. */
const char *const *const bvapm_store_migrations[] = {
	migration_1,
	migration_2,
	migration_3,
	migration_4,
};
_Static_assert(sizeof bvapm_store_migrations / sizeof bvapm_store_migrations[0] ==
               BVAPM_STORE_SCHEMA_VERSION,
               "BVAPM_STORE_SCHEMA_VERSION is the number of migrations");

int bvapm_store_schema_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int(s, 0);
		rc = SQLITE_OK;
	} else {
		/* Read before finalizing: the code of the failed step itself. */
		rc = sqlite3_extended_errcode(db);
		if (rc == SQLITE_OK)
			rc = SQLITE_ERROR;
	}
	sqlite3_finalize(s);
	return rc;
}

int bvapm_store_migrate(sqlite3 *db, int target, void (*applied)(void *arg, int version),
                        void *arg, char *err, size_t errlen)
{
	int version = 0;
	/* A store whose version cannot be read is treated as empty: the first
	 * migration then fails on it with SQLite's own reason. */
	if (bvapm_store_schema_version(db, &version) != SQLITE_OK)
		version = 0;
	if (target <= 0 || target > BVAPM_STORE_SCHEMA_VERSION)
		target = BVAPM_STORE_SCHEMA_VERSION;
	/* The drainer is the store's writer: a store a newer drainer migrated is
	 * left alone. */
	if (version > BVAPM_STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "store schema version %d is newer than this drainer's (%d)",
		         version, BVAPM_STORE_SCHEMA_VERSION);
		return SQLITE_ERROR;
	}
	for (int v = version; v < target; v++) {
		char tail[160];
		snprintf(tail, sizeof tail,
		         "INSERT INTO schema_migrations VALUES (%d, %lld); PRAGMA user_version = %d;", v + 1,
		         (long long)time(NULL), v + 1);
		char *msg = NULL;
		int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
		for (const char *const *part = bvapm_store_migrations[v]; !rc && *part; part++)
			rc = sqlite3_exec(db, *part, NULL, NULL, &msg);
		if (!rc)
			rc = sqlite3_exec(db, tail, NULL, NULL, &msg);
		if (!rc)
			rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
		if (rc) {
			snprintf(err, errlen, "store migration to version %d failed: %s", v + 1,
			         msg ? msg : sqlite3_errstr(rc));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
		if (applied)
			applied(arg, v + 1);
	}
	return SQLITE_OK;
}
