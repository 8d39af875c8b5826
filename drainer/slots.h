/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slots.h — dead workers and garbage in the slot table. A live slot whose
 * owner died inside a request becomes an aborted-request record, written into
 * the ring itself (so it travels the same no-loss path as every other
 * record), then the slot is reaped. A crash between the write and the reap
 * produces the record again at the next scan with the same identity —
 * envelope (worker pid, request start, request number) — and the store keeps
 * one. A slot no writer could have left (bytes written over the table by
 * another process) is reaped without a record and counted (`slots_invalid`,
 * a rate-limited log line). A slot is handled once two scans in a row found
 * its owner not running (see slots.c), so an aborted record follows a death
 * within two scan intervals.
 *
 * Threads: the reader thread (periodic scan); one scanner per process.
 */
#ifndef BVAPM_DRAINER_SLOTS_H
#define BVAPM_DRAINER_SLOTS_H

#include "metrics.h"
#include "ring/ring.h"

/* Scans the slots of `consumer`'s ring and writes aborted records through
 * `producer` (a producer handle of the same ring). Returns the number of
 * aborted records written, -ENOMEM, or -errno from a ring write that may
 * succeed later (ring full or busy: the slot is left for the next scan). */
int bvapm_slots_scan(bvapm_ring *consumer, bvapm_ring *producer, const char *host,
                     struct bvapm_metrics *m);

#endif
