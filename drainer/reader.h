/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reader.h — the reader side: creates or attaches to the ring, peeks
 * batches, copies each record out of shared memory, verifies the copy with
 * the codec (the ring is untrusted memory: verifying a private copy means a
 * process scribbling on the ring afterwards cannot change what was checked),
 * counts and skips invalid records (a sample logged at a limited rate), and
 * keeps the in-flight FIFO that decides how far the ring may be released.
 *
 * It also keeps the ring alive against other processes: once a second it
 * checks that the file at the ring's path is still the one it maps
 * (bvapm_ring_standing). A ring truncated under it (the SIGBUS guard then
 * leaves zeros), removed or replaced is retired — the header flag sends every
 * worker to the new file within a second — and a new ring is created (or a
 * valid one of ours at the path attached). The retired ring, when its memory
 * is still there, is drained beside the new one until it stays empty, so
 * nothing committed to it is lost. What the consumer repaired (garbage at the
 * tail, corrupt framing, stalled or dead producers) is logged, rate-limited.
 *
 * Threads: the reader thread only.
 */
#ifndef BVAPM_DRAINER_READER_H
#define BVAPM_DRAINER_READER_H

#include <stdint.h>

#include "batch.h"
#include "config.h"
#include "metrics.h"
#include "ring/ring.h"

struct bvapm_reader {
	bvapm_ring *ring;
	bvapm_ring *retired;          /* the previous ring, drained until empty, or NULL */
	uint64_t retired_ms;          /* when it was retired (monotonic ms) */
	uint64_t watch_ms;            /* last standing check */
	uint64_t events_log_ms;       /* last log line about repairs */
	struct bvapm_ring_consumer_events events_logged; /* as of that line */
	const struct bvapm_drainer_config *cfg;
	struct bvapm_metrics *m;
	int nsinks;                   /* batches start with pending = nsinks */
	struct bvapm_batch *head, *tail; /* in-flight FIFO, oldest first */
	uint32_t inflight;            /* records in the FIFO */
	struct bvapm_ring_record *peek; /* cfg->batch_records entries */
	uint64_t log_window_ms;       /* invalid-record log rate limit */
	uint32_t log_count;
	uint32_t invalid_log_per_min;
	bool created;                 /* bvapm_reader_open created the ring file (did not attach) */
};

/* Creates the ring from cfg ([ring] keys) or, if it exists, attaches to it
 * as its consumer. Returns 0, or -errno with err filled:
 *   -EBUSY  another live drainer consumes the ring
 *   -EPROTO, -EBADMSG, -EACCES, ...  as bvapm_ring_create / bvapm_ring_open */
int bvapm_reader_open(struct bvapm_reader *r, const struct bvapm_drainer_config *cfg,
                      struct bvapm_metrics *m, int nsinks, char *err, size_t errlen);
void bvapm_reader_close(struct bvapm_reader *r);

/* Peeks up to `max` records and returns them as a new batch linked at the
 * FIFO's tail (NULL when the ring had nothing and no memory was needed).
 * A batch whose records were all invalid has n == 0 and pending == 0. */
struct bvapm_batch *bvapm_reader_next(struct bvapm_reader *r, uint32_t max);

/* Frees the batches at the FIFO's front that every sink is done with and
 * releases the ring up to the end of the last one (or to the read cursor
 * when the FIFO is empty: SKIP and invalid records). Returns records freed. */
uint32_t bvapm_reader_reap(struct bvapm_reader *r);

/* Between batches while the memory buffer is full: heartbeat, garbage at the
 * tail cleared, the once-a-second standing check. */
void bvapm_reader_tend(struct bvapm_reader *r);

/* Ring fill in percent. */
unsigned bvapm_reader_fill_pct(const struct bvapm_reader *r);

#endif
