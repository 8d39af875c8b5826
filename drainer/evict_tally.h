/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evict_tally.h — how many records one sink's spool evicted, kept on disk
 * until the sink has stored the figure, so that eviction shows as loss in the
 * store even when the drainer is SIGKILLed in between.
 *
 * The tally is the file "evicted" in the spool directory (64 bytes, updated
 * in place with pwrite + fdatasync: an overwrite needs no new blocks, so it
 * works on a full disk, where evictions happen):
 *   0  "BVEVICT1"  magic
 *   8  u64 epoch         CLOCK_REALTIME ns when the tally was created
 *  16  u64 next_seq      sequence number of the next report (from 1)
 *  24  u64 pinned        records in the report being delivered, 0 = none
 *  32  u32 pinned_pid    drainer pid in that report's envelope
 *  36  u32 0
 *  40  u64 unreported    evicted records in no report yet
 *  48  u32 crc32 (zlib) of bytes 0..47, then zeros to 64
 *
 * A report is a Statistics record (source "drainer", one counter
 * "records_evicted") with the envelope (pinned_pid, epoch, next_seq): the
 * same identity each time it is sent, so a report delivered just before a
 * crash and sent again after it is stored once (the store's UNIQUE stats
 * key). Pinning moves `unreported` into `pinned` and is persisted before
 * the first send; the acknowledgement clears `pinned` and bumps next_seq.
 * An eviction is persisted before the segment is unlinked: a crash between
 * the two can count one segment that is replayed later (never the reverse).
 *
 * Threads: owned by the spool's sink thread; no locking.
 */
#ifndef BVAPM_DRAINER_EVICT_TALLY_H
#define BVAPM_DRAINER_EVICT_TALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bvapm_evict_tally {
	int dirfd;             /* the spool directory (not owned) */
	int fd;                /* the tally file, -1 while it cannot be created */
	char dir[512];         /* for log lines */
	uint64_t epoch, next_seq, pinned, unreported;
	uint32_t pinned_pid;
};

/* Reads dir's tally or creates it. A tally that cannot be created (e.g. the
 * disk is full) is kept in memory and created at the next change; a corrupt
 * one is logged and started afresh. Never fails. */
void bvapm_evict_tally_open(struct bvapm_evict_tally *t, int dirfd, const char *dir);
void bvapm_evict_tally_close(struct bvapm_evict_tally *t);

/* Counts evicted records (persisted before it returns, when possible). */
void bvapm_evict_tally_add(struct bvapm_evict_tally *t, uint64_t records);

/* Evicted records not yet acknowledged by the sink (pinned + unreported). */
uint64_t bvapm_evict_tally_owed(const struct bvapm_evict_tally *t);

/* Encodes the report to send into buf (8-byte aligned), pinning the
 * unreported records first when nothing is pinned; *records is its figure.
 * Returns its length, 0 when there is nothing to report, or -errno from the
 * codec. */
ssize_t bvapm_evict_tally_report(struct bvapm_evict_tally *t, void *buf, size_t cap,
                                 uint64_t *records);

/* The sink stored the pinned report: the next one gets the next number. */
void bvapm_evict_tally_reported(struct bvapm_evict_tally *t);

#endif
