/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring.h — bvapm's shared-memory multi-producer / single-consumer ring.
 *
 * PHP workers (producers) hand records to the drainer (consumer) through
 * /dev/shm/bvapm-<name>: reserve, copy, commit — no system call, no lock, no
 * allocation, a bounded number of CAS retries, drop-on-full. The byte layout
 * and the record framing are described in ring_layout.h.
 *
 * Synchronization table (which calls may run concurrently with which):
 *
 *   call                         | other producers | consumer | inspectors
 *   -----------------------------+-----------------+----------+-----------
 *   bvapm_ring_write/reserve     | yes             | yes      | yes
 *   bvapm_ring_commit/abort      | yes             | yes      | yes
 *   bvapm_ring_slot_* (owner)    | yes             | yes      | yes
 *   bvapm_ring_peek/release      | yes             | no (one consumer per ring, enforced)
 *   bvapm_ring_stats/check/slots | yes             | yes      | yes
 *   bvapm_ring_observe (cursor)  | yes             | yes      | yes (read-only, any number)
 *   bvapm_ring_set_control       | yes             | yes      | yes (last writer wins)
 *
 * One handle belongs to one thread of one process; a producer attaches after
 * fork (a handle inherited across fork must be detached and re-attached:
 * bvapm_ring_attach refuses to write from a process whose pid changed).
 *
 * Errors: functions return 0 (or a count) on success and a negative errno on
 * failure; attach/create also fill a `struct bvapm_ring_error` with a sentence
 * an operator can act on.
 *
 * Crash tolerance: a producer that dies between reserve and commit leaves a
 * RESERVED record. The consumer notices it stalled at the head, checks whether
 * the owner pid is still alive (/proc), and if it is gone turns the record into
 * SKIP and counts it as `repaired` (default: within 10 ms of noticing, always
 * well under 100 ms). A live but stalled owner is waited for up to
 * stall_timeout_ms (default 2000) before the same repair.
 */
#ifndef BVAPM_RING_H
#define BVAPM_RING_H

/* The ring by audience: include the one a file needs, or this umbrella.
 *   ring_common.h    handle, errors, naming, open/close, the file's standing
 *   ring_producer.h  reserve/commit/write, loss counters, control reads, own slot
 *   ring_consumer.h  create, peek/release, repair events, retire, reap slots
 *   ring_inspect.h   observer cursor, control words, stats, slot views, check
 *   ring_test_hooks.h  (tests only) protocol steps with a hook */
#include "ring_common.h"
#include "ring_consumer.h"
#include "ring_inspect.h"
#include "ring_producer.h"

#endif
