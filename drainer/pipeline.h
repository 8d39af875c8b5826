/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline.h — the sink threads: one per enabled sink, each fed by its own
 * liburcu wait-free concurrent queue (wfcqueue) from the reader thread, each
 * owning its disk spool (<[spool] dir>/<sink name>/).
 *
 * Policy, per sink thread, for the batches it holds in memory:
 *   - sink ready (not backing off), no pressure: send; OK/REJECTED/PARTIAL
 *     makes the batch safe; RETRY starts a backoff and spools the batch;
 *   - sink backing off, or pressure (reader's memory full and the ring past
 *     [spool] pressure_pct), or shutting down: write everything held to one
 *     spool segment (safe once fsynced and renamed);
 *   - spool full (its bound or its disk): keep the batches (memory fills,
 *     the reader stops, records wait in the ring) and keep trying to send
 *     them even under pressure; only while the reader says the ring is at
 *     [spool] evict_pct does the spool evict its oldest segments for them
 *     (counted, and reported to the sink as a statistics record);
 *   - nothing held, sink ready: replay the oldest spool segment.
 * At start each thread replays its spool before taking new batches (until
 * the spool is empty or the sink fails), and the reader waits for that.
 * Retry policy: one circuit breaker per sink (breaker.h: closed / open /
 * half-open, exponential backoff with jitter, Retry-After), behind
 * sink_ready()/sink_failed()/sink_succeeded() in pipeline.c. It opens at the
 * first RETRY (threshold 1), backs off between [retry] min_ms and max_ms,
 * and counts OK, PARTIAL and REJECTED as the sink being up. This is the
 * drainer's only delivery path.
 */
#ifndef BVAPM_DRAINER_PIPELINE_H
#define BVAPM_DRAINER_PIPELINE_H

#include <stdbool.h>

#include "batch.h"
#include "config.h"
#include "metrics.h"

struct bvapm_pipeline;

/* Opens each sink's spool and starts the sink threads. Takes ownership of
 * the sinks. Returns 0, or -errno with err filled. */
int bvapm_pipeline_start(struct bvapm_pipeline **out, const struct bvapm_drainer_config *cfg,
                         struct bvapm_sink **sinks, int nsinks, struct bvapm_metrics *m, char *err,
                         size_t errlen);

/* Reader thread: hands b (b->pending == number of sinks) to every sink. */
void bvapm_pipeline_submit(struct bvapm_pipeline *p, struct bvapm_batch *b);

/* Reader thread: sinks should spool instead of waiting on slow sends. */
void bvapm_pipeline_set_pressure(struct bvapm_pipeline *p, bool on);

/* Reader thread: ring_fill_pct > 0 allows a full spool to evict its oldest
 * segments (the ring is that full, at or past [spool] evict_pct); 0 forbids. */
void bvapm_pipeline_set_evict(struct bvapm_pipeline *p, unsigned ring_fill_pct);

/* Reader thread, before submitting: the wake-up sink threads signal when
 * batches become safe (so a reader waiting for room wakes at once). */
struct bvapm_wake;
void bvapm_pipeline_set_reader_wake(struct bvapm_pipeline *p, struct bvapm_wake *w);

/* True once every sink thread finished its start-up replay. */
bool bvapm_pipeline_replayed(struct bvapm_pipeline *p);

/* Asks the threads to spool what they hold and exit; waits up to
 * timeout_ms. Returns 0, or -ETIMEDOUT if a thread is still busy (its
 * batches stay unreleased in the ring: nothing is lost). */
int bvapm_pipeline_stop(struct bvapm_pipeline *p, unsigned timeout_ms);

/* Frees sinks, spools and the pipeline (after a successful stop). */
void bvapm_pipeline_destroy(struct bvapm_pipeline *p);

#endif
