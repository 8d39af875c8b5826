/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sink_sqlite.c — the sink that delivers to the embedded store: every batch
 * is one transaction of the store library (store/store.h: schema,
 * migrations, the INSERTs of each record kind); this file maps its results
 * onto the sink contract (sink.h), logs, and counts duplicates.
 *
 * Threads: one sink thread owns the store. The duplicate counter is a
 * relaxed atomic read by the metrics thread.
 *
 * Results: OK after COMMIT returned SQLITE_OK (the WAL frame is written: a
 * drainer killed afterwards finds it; power loss may lose the last
 * transactions unless [sqlite] synchronous_full); RETRY on the errors
 * bvapm_store_transient() names (SQLITE_BUSY, LOCKED, FULL, IOERR, CANTOPEN,
 * NOMEM, PROTOCOL; the transaction is rolled back); PARTIAL when single
 * records fail in any other way (they are counted as rejected, the rest is
 * committed).
 */
#include "sinks.h"
#include "log.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t duplicates; /* relaxed atomic: records already in the store */

uint64_t bvapm_sink_sqlite_duplicates(void);
uint64_t bvapm_sink_sqlite_duplicates(void)
{
	/* Relaxed: a statistic, read alone. */
	return __atomic_load_n(&duplicates, __ATOMIC_RELAXED);
}

static void retry(struct bvapm_store *st, struct bvapm_sink_result *out, int rc, const char *what)
{
	bvapm_store_rollback(st);
	out->status = BVAPM_SINK_RETRY;
	out->accepted = out->rejected = 0;
	snprintf(out->message, sizeof out->message, "%.40s %.160s: %.40s", what,
	         bvapm_store_path(st), sqlite3_errstr(rc));
}

static void sqlite_send(struct bvapm_sink *sink, const struct bvapm_sink_record *recs, size_t n,
                        struct bvapm_sink_result *out)
{
	struct bvapm_store *st = sink->ctx;
	memset(out, 0, sizeof *out);
	int rc = bvapm_store_begin(st);
	if (rc) {
		retry(st, out, rc, "begin");
		return;
	}
	uint64_t dups = 0;
	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		rc = bvapm_store_put(st, recs[i].data, &dup);
		if (rc && bvapm_store_transient(rc)) {
			retry(st, out, rc, "insert into");
			return;
		}
		if (rc) {
			out->rejected++;
			LOG_W("sqlite: record pid %u seq %llu rejected: %s", recs[i].pid,
			      (unsigned long long)recs[i].sequence, bvapm_store_errmsg(st));
			continue;
		}
		dups += dup;
		out->accepted++;
	}
	rc = bvapm_store_commit(st);
	if (rc) {
		retry(st, out, rc, "commit");
		return;
	}
	/* Relaxed: a statistic. */
	__atomic_add_fetch(&duplicates, dups, __ATOMIC_RELAXED);
	out->status = out->rejected ? BVAPM_SINK_PARTIAL : BVAPM_SINK_OK;
}

static void sqlite_destroy(struct bvapm_sink *sink)
{
	bvapm_store_close(sink->ctx);
	free(sink);
}

static void log_migrated(void *arg, int version)
{
	LOG_I("sqlite: store migrated to schema version %d", version);
}

struct bvapm_sink *bvapm_sink_sqlite_new(const struct bvapm_drainer_config *cfg, char *err,
                                         size_t errlen)
{
	struct bvapm_sink *sink = calloc(1, sizeof *sink);
	if (!sink) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	const struct bvapm_store_options o = {
		.path = cfg->sqlite_path,
		.synchronous_full = cfg->sqlite_sync_full,
		.busy_timeout_ms = cfg->sqlite_busy_timeout_ms,
		.migrated = log_migrated,
	};
	struct bvapm_store *st = bvapm_store_open(&o, err, errlen);
	if (!st) {
		free(sink);
		return NULL;
	}
	sink->name = "sqlite";
	sink->ctx = st;
	sink->send = sqlite_send;
	sink->destroy = sqlite_destroy;
	return sink;
}
