/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.h — the drainer's counters and the Prometheus text endpoint.
 *
 * Threads: counters are bumped by the reader and sink threads with relaxed
 * atomic adds (statistics: no ordering with anything else) and read by the
 * metrics thread, which serves them as Prometheus text on a loopback TCP
 * port (one short-lived connection per scrape, HTTP/1.0).
 */
#ifndef BVAPM_DRAINER_METRICS_H
#define BVAPM_DRAINER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "ring/ring_inspect.h"

struct bvapm_spool;

struct bvapm_sink_metrics {
	uint64_t delivered_records;  /* acknowledged by the sink (fresh + replayed) */
	uint64_t rejected_records;   /* permanently refused by the sink */
	uint64_t failures;           /* RETRY results */
	uint64_t spooled_records;    /* written to this sink's spool */
	uint64_t replayed_records;   /* delivered from the spool */
	uint64_t up;                 /* 1 when the last attempt succeeded */
};

struct bvapm_metrics {
	uint64_t records_read;       /* verified records taken from the ring */
	uint64_t bytes_read;
	uint64_t records_invalid;    /* refused by the codec verifier, skipped */
	uint64_t batches;
	uint64_t inflight_records;   /* in memory, not yet safe (gauge) */
	uint64_t aborted_records;    /* built from dead workers' slots */
	uint64_t rings_retired;      /* rings truncated, removed or replaced under us */
	uint64_t slots_invalid;      /* garbage slots reaped without a record */
	uint64_t reloads;
	int nsinks;
	const char *sink_name[BVAPM_MAX_SINKS];
	struct bvapm_sink_metrics sink[BVAPM_MAX_SINKS];
	struct bvapm_spool *spool[BVAPM_MAX_SINKS]; /* set by the pipeline */
	char ring_name[64];
};

#define BVAPM_M_ADD(field, v) __atomic_add_fetch(&(field), (v), __ATOMIC_RELAXED)
#define BVAPM_M_SET(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)
#define BVAPM_M_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* Renders every metric as Prometheus text into buf (ring figures from
 * `ring` when non-NULL). Returns the length written (truncated at len-1). */
size_t bvapm_metrics_render(struct bvapm_metrics *m, const bvapm_ring *ring, char *buf, size_t len);

/* Starts the endpoint thread on listen ("host:port", see listen.h; a
 * non-loopback address is logged as a warning: the configuration allowed it
 * with [metrics] allow_remote). Returns 0, or -errno with err filled
 * (address in use, bad address). */
int bvapm_metrics_start(struct bvapm_metrics *m, const char *listen, char *err, size_t errlen);
void bvapm_metrics_stop(void);

#endif
