/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_producer.h — the producer's side (PHP workers, and the drainer's own
 * aborted-request writer): reserve, copy, commit with no system call, the
 * loss counters it may bump, the host-wide control words it reads at each
 * request, and the updates of its own live slot.
 */
#ifndef BVAPM_RING_PRODUCER_H
#define BVAPM_RING_PRODUCER_H

#include "ring_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- writing (producers) ---------------------------------------------------- */

struct bvapm_ring_reservation {
	void *data;        /* where to write the payload, `capacity` bytes */
	uint32_t capacity; /* payload bytes reserved */
	uint32_t total;    /* record bytes (header + payload + padding) */
	uint64_t pos;      /* ring position of the record */
};

/* Optional, before a write of about `len` payload bytes (e.g. before encoding
 * the record): asks the CPU for the cache lines the write will touch (the
 * tail's, the data lines at the current tail, the producer's slot) so that
 * their misses overlap with the caller's own work instead of the write. Only
 * prefetches and one relaxed load: no store, no system call, no effect on
 * what a write does (a wrong guess, e.g. another producer writing first,
 * only wastes the prefetch). No-op on a handle that cannot write. */
void bvapm_ring_prepare(bvapm_ring *ring, uint32_t len);

/* Reserves room for a payload of `len` bytes. Never blocks, never makes a
 * system call: at most a bounded number of CAS retries with ck_backoff.
 * Returns 0; -ENOSPC ring full (counted as lost_full); -EMSGSIZE record larger
 * than max_record (lost_too_big); -EBUSY retries exhausted (lost_contention);
 * -EBADF handle not usable (closed, or inherited across fork); -EIO the
 * ring's positions are corrupt (counted as lost_contention); -ENXIO the ring
 * is retired, or its file was truncated during this call (bvapm_ring_is_retired:
 * leave it and attach again; the record is not counted in this ring, which
 * nobody will read: count it in the next). bvapm_ring_commit returns -ENXIO
 * for the same reason. */
int bvapm_ring_reserve(bvapm_ring *ring, uint32_t len, struct bvapm_ring_reservation *res);

/* Publishes a reservation as a record of `type` with `used` payload bytes
 * (used <= res->capacity). Release store: the consumer sees the payload.
 * Returns 0; -ESTALE if the consumer repaired the reservation meanwhile (the
 * producer stalled past stall_timeout_ms; the record is lost, counted). */
int bvapm_ring_commit(bvapm_ring *ring, struct bvapm_ring_reservation *res, uint16_t type,
                      uint32_t used);

/* Gives a reservation up: it becomes a SKIP record. */
void bvapm_ring_abort(bvapm_ring *ring, struct bvapm_ring_reservation *res);

/* Reserve + copy + commit in one call. Same returns as bvapm_ring_reserve. */
int bvapm_ring_write(bvapm_ring *ring, uint16_t type, const void *data, uint32_t len);

/* Adds n to a loss counter on behalf of this producer (e.g. records it could
 * not write while the ring was missing). Atomic add; no system call. */
void bvapm_ring_count_loss(bvapm_ring *ring, enum bvapm_ring_loss reason, uint64_t n);

/* ---- control words read by producers ------------------------------------ */

/* Hot-path read of the kill switch (one relaxed load, no system call). */
bool bvapm_ring_disabled(const bvapm_ring *ring);
/* Hot-path read of the mode override (one relaxed load). */
uint32_t bvapm_ring_mode_override(const bvapm_ring *ring);

/* ---- the producer's live slot --------------------------------------------------------------- */

/* Producer (owner) side: plain stores under the slot's sequence counter; no
 * system call. All are no-ops when the producer has no slot. Strings are
 * truncated to the slot's field sizes. */
void bvapm_ring_slot_request_begin(bvapm_ring *ring, const char *trace_id, const char *method,
                                   const char *uri, uint64_t start_wall_ns, uint64_t start_mono_ns);
void bvapm_ring_slot_checkpoint(bvapm_ring *ring, const char *label, int64_t mem,
                                uint64_t mono_ns);
void bvapm_ring_slot_sql(bvapm_ring *ring, const char *sql, uint64_t start_mono_ns);
void bvapm_ring_slot_request_end(bvapm_ring *ring);
/* Slot index of this producer, or -1 when the table was full. */
int bvapm_ring_slot_index(const bvapm_ring *ring);

#ifdef __cplusplus
}
#endif
#endif
