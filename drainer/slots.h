/*
 * slots.h — dead workers: a live slot whose owner died inside a request
 * becomes an aborted-request record, written into the ring itself (so it
 * travels the same no-loss path as every other record), then the slot is
 * reaped. A crash between the write and the reap produces the record again
 * at the next scan with the same identity — envelope (worker pid, request
 * start, request number) — and the store keeps one.
 *
 * Threads: the reader thread (periodic scan).
 */
#ifndef BVAPM_DRAINER_SLOTS_H
#define BVAPM_DRAINER_SLOTS_H

#include "metrics.h"
#include "ring.h"

/* Scans the slots of `consumer`'s ring and writes aborted records through
 * `producer` (a producer handle of the same ring). Returns the number of
 * aborted records written, or -errno from the ring write (the slot is left
 * for the next scan). */
int bvapm_slots_scan(bvapm_ring *consumer, bvapm_ring *producer, const char *host,
                     struct bvapm_metrics *m);

#endif
