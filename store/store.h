/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store/store.h — the embedded SQLite store's writer, and the store's
 * defaults. bvapm-drainer's sqlite sink (drainer/sink_sqlite.c) is a thin
 * layer over it; bvapm-report reads what it writes; the test-data generator
 * (testing/store_gen.c) writes through it too, so every store a test
 * reads was written by the same INSERTs as a real one.
 *
 * A record goes in as the verified FlatBuffers bytes the ring carried
 * (record/record.h); the writer maps each kind onto its table and child
 * tables (schema: store/schema.h, described in docs/drainer.md). Envelope
 * tables use INSERT OR IGNORE on UNIQUE (pid, producer_start_unix_ns,
 * sequence), so at-least-once delivery stores each record once and the
 * caller learns it was a duplicate.
 *
 * Transactions are the caller's: bvapm_store_begin(), puts, then
 * bvapm_store_commit() or bvapm_store_rollback(). bvapm_store_transient()
 * tells an error worth retrying the whole transaction (busy, locked, disk
 * full, I/O) from one that belongs to the record.
 *
 * Threads: a struct bvapm_store is used by one thread at a time (the
 * connection is opened with SQLITE_OPEN_NOMUTEX). No atomics, no globals.
 */
#ifndef BVAPM_STORE_STORE_H
#define BVAPM_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* Where the drainer's configuration names the store: [sqlite] path. */
#define BVAPM_STORE_CONFIG_SECTION "sqlite"
#define BVAPM_STORE_CONFIG_PATH "path"

/* Defaults of the [sqlite] keys, and the bound of busy_timeout_ms. */
#define BVAPM_STORE_DEFAULT_PATH "/var/lib/bvapm/store.db"
#define BVAPM_STORE_DEFAULT_BUSY_TIMEOUT_MS 1000u
#define BVAPM_STORE_MAX_BUSY_TIMEOUT_MS 600000u

struct bvapm_store_options {
	const char *path;          /* the database file; created when missing */
	bool synchronous_full;     /* synchronous=FULL (survives power loss); else NORMAL */
	uint32_t busy_timeout_ms;  /* wait for a lock held by a reader */
	/* Called after each migration applied at open with the version reached
	 * (may be NULL): the drainer logs it. */
	void (*migrated)(void *arg, int version);
	void *arg;
};

struct bvapm_store;

/* Opens (creating if needed) the store at o->path: WAL, synchronous NORMAL
 * or FULL, foreign keys off, the busy timeout; applies the migrations it
 * lacks; prepares the INSERTs. Returns NULL with a sentence in err. */
struct bvapm_store *bvapm_store_open(const struct bvapm_store_options *o, char *err,
                                     size_t errlen);

/* A writer over a connection the caller opened, configured and migrated
 * (bvapm_store_migrate) itself, e.g. to build a test store in bulk. The
 * statements follow db's schema version: a store of an older version gets
 * what its tables can hold (before BVAPM_STORE_SCHEMA_CALL_PATHS: no call
 * paths, no error stacks; before BVAPM_STORE_SCHEMA_JOBS: no request kind,
 * a job is stored as a request; before BVAPM_STORE_SCHEMA_CALLS: no spans,
 * no external calls, no span_total_count). bvapm_store_close() leaves db open. name is used
 * in messages. Returns NULL with a sentence in err. */
struct bvapm_store *bvapm_store_attach(sqlite3 *db, const char *name, char *err, size_t errlen);

/* Finalizes the statements; closes the connection when bvapm_store_open()
 * opened it. NULL is accepted. */
void bvapm_store_close(struct bvapm_store *st);

/* BEGIN IMMEDIATE / COMMIT: SQLITE_OK or SQLite's error code. */
int bvapm_store_begin(struct bvapm_store *st);
int bvapm_store_commit(struct bvapm_store *st);
/* ROLLBACK, ignoring errors (there may be no transaction left to undo). */
void bvapm_store_rollback(struct bvapm_store *st);

/* Stores one record: record points at a buffer bvapm_rec_verify() accepted
 * (8-byte aligned). *dup says whether the store already held it (then
 * nothing is written). A kind this build has no table for is skipped (SQLITE_OK).
 * Returns SQLITE_OK or SQLite's error code; after an error, the rows of the
 * record written before it stay in the transaction. */
int bvapm_store_put(struct bvapm_store *st, const void *record, bool *dup);

/* True for the errors after which the whole transaction is worth retrying
 * later (SQLITE_BUSY, LOCKED, FULL, IOERR, CANTOPEN, NOMEM, PROTOCOL). */
bool bvapm_store_transient(int rc);

/* The last error of the connection (sqlite3_errmsg), and the path or name
 * the store was opened with. */
const char *bvapm_store_errmsg(const struct bvapm_store *st);
const char *bvapm_store_path(const struct bvapm_store *st);

#endif
