/* SPDX-License-Identifier: Apache-2.0 */
/*
 * batch.h — a batch of verified records copied out of the ring, and the
 * ordered completion that makes the no-loss rule hold.
 *
 * Threads: the reader thread allocates a batch, fills it, links it at the
 * tail of its in-flight FIFO and hands it to every sink thread (one liburcu
 * wfcqueue node per sink). Each sink thread, once the batch is acknowledged
 * by its sink or fsynced+renamed into its spool, decrements `pending`. Only
 * the reader frees batches, from the FIFO's front, once `pending` is 0, and
 * only then releases the ring up to the batch's `end`: the ring head never
 * passes a record that is not safe.
 */
#ifndef BVAPM_DRAINER_BATCH_H
#define BVAPM_DRAINER_BATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <urcu/wfcqueue.h>

#include "ring/ring_common.h"
#include "sink.h"

#define BVAPM_MAX_SINKS 4

struct bvapm_batch {
	struct cds_wfcq_node node[BVAPM_MAX_SINKS]; /* one per sink queue */
	struct bvapm_batch *next;   /* reader's in-flight FIFO */
	bvapm_ring *ring;           /* the ring `end` belongs to (a retired one while the
	                               reader drains it beside its successor) */
	uint64_t end;               /* ring position just past the last record covered */
	uint32_t n;                 /* valid records */
	int pending;                /* sinks that have not made it safe yet (atomic) */
	struct bvapm_sink_record *recs;
	uint8_t *data;              /* copies of the payloads, 8-byte aligned each */
};

/* Sink thread: the batch is safe for this sink. Release: the reader that
 * sees pending reach 0 must also see everything the sink did before. */
static inline void bvapm_batch_safe(struct bvapm_batch *b)
{
	__atomic_sub_fetch(&b->pending, 1, __ATOMIC_RELEASE);
}

/* Reader thread: true when every sink is done with b. Acquire: pairs with
 * the release in bvapm_batch_safe, so freeing b cannot race a sink's reads. */
static inline bool bvapm_batch_done(const struct bvapm_batch *b)
{
	return __atomic_load_n(&b->pending, __ATOMIC_ACQUIRE) == 0;
}

#endif
