/*
 * store_schema.h — the SQLite store's schema as versioned migrations.
 * Migration i (from 0) takes the store from PRAGMA user_version i to i+1;
 * each runs in its own transaction together with the user_version bump and a
 * row in schema_migrations. Append migrations; never edit a released one.
 * docs/drainer.md describes the tables for readers such as bvapm-report.
 */
#ifndef BVAPM_DRAINER_STORE_SCHEMA_H
#define BVAPM_DRAINER_STORE_SCHEMA_H

/* 1: initial schema (one string per table, executed in order) */
static const char *const bvapm_store_migration_1[] = {
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
static const char *const bvapm_store_migration_2[] = {
	"CREATE TABLE call_paths (request_id INTEGER NOT NULL REFERENCES requests (id), path TEXT, "
	"calls INTEGER, inclusive_ns INTEGER, exclusive_ns INTEGER);\n"
	"CREATE INDEX call_paths_request ON call_paths (request_id);\n",
	"ALTER TABLE errors ADD COLUMN stack TEXT;\n",
	NULL,
};

/* Migration i+1 is bvapm_store_migrations[i]: a NULL-terminated list. */
static const char *const *const bvapm_store_migrations[] = {
	bvapm_store_migration_1,
	bvapm_store_migration_2,
};

#define BVAPM_STORE_SCHEMA_VERSION \
	((int)(sizeof bvapm_store_migrations / sizeof bvapm_store_migrations[0]))

#endif
