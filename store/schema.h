/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store/schema.h — what a program needs to know about the store's schema:
 * its version, the migrations that build it (store/schema.c) and how they
 * are applied. The writer (store/store.h) applies them when it opens a
 * store; a reader (bvapm-report) compares PRAGMA user_version with
 * BVAPM_STORE_SCHEMA_VERSION and probes for the tables and columns newer
 * versions added. The tables are described in docs/drainer.md.
 *
 * Threads: nothing here keeps state; a connection is used by one thread at
 * a time, as SQLite requires of a connection opened with NOMUTEX.
 */
#ifndef BVAPM_STORE_SCHEMA_H
#define BVAPM_STORE_SCHEMA_H

#include <stddef.h>

#include <sqlite3.h>

/* The schema version this build writes and understands (PRAGMA
 * user_version): the number of migrations in store/schema.c. */
#define BVAPM_STORE_SCHEMA_VERSION 4

/* The first version with the call_paths table and the errors.stack column
 * (record schema v2); an older store has neither. */
#define BVAPM_STORE_SCHEMA_CALL_PATHS 2

/* The first version with the requests.kind column (record schema v3: 0 a
 * request, 1 a job) and the partial index requests_job_worker over the
 * jobs; an older store holds requests only. */
#define BVAPM_STORE_SCHEMA_JOBS 3

/* The first version with the spans and external tables and the
 * requests.span_total_count column (record schema v4: a request's timed
 * calls); an older store has none of them. */
#define BVAPM_STORE_SCHEMA_CALLS 4

/* Migration i+1 is bvapm_store_migrations[i]: a NULL-terminated list of SQL
 * texts, executed in order. */
extern const char *const *const bvapm_store_migrations[BVAPM_STORE_SCHEMA_VERSION];

/* Reads PRAGMA user_version of db into *version. Returns SQLITE_OK, or
 * SQLite's extended error code (e.g. SQLITE_NOTADB for a file that is not a
 * database; sqlite3_errmsg(db) has the text). */
int bvapm_store_schema_version(sqlite3 *db, int *version);

/* Applies the migrations db lacks, up to version target (0: the current
 * one), each in its own transaction with its schema_migrations row and the
 * user_version bump; applied (may be NULL) is called after each with the
 * version reached. A store newer than this build is refused. Returns
 * SQLITE_OK, or an error with a sentence in err. */
int bvapm_store_migrate(sqlite3 *db, int target, void (*applied)(void *arg, int version),
                        void *arg, char *err, size_t errlen);

#endif
