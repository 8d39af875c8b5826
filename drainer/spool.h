/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spool.h — one sink's disk spool: a directory of segment files, each a
 * batch of records written atomically (temp file, fsync, rename, fsync of the
 * directory), replayed oldest first, bounded in bytes, corrupt segments
 * moved to quarantine/. A full spool (bound or disk) refuses new segments
 * unless its caller allows eviction (the ring itself is nearly full): then
 * the oldest segments go, counted in the statistics and in the eviction
 * tally (evict_tally.h), whose report the sink thread delivers to the sink.
 *
 * Threads: a spool belongs to one sink thread; no locking. The counters in
 * struct bvapm_spool_stats are read by the metrics thread with relaxed loads.
 *
 * Segment file "<20-digit number>.seg" (little-endian):
 *   header 32 bytes: magic "BVSPOOL1", u32 version (1), u32 record count,
 *                    u64 payload bytes, u32 crc32 (zlib) of the payload, u32 0
 *   payload: per record u32 length, u32 0, the record, zero padding to 8.
 * Temporary files are ".tmp-<number>"; left-overs of a crash are removed at
 * open (their records were never released from the ring).
 */
#ifndef BVAPM_DRAINER_SPOOL_H
#define BVAPM_DRAINER_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sink.h"

struct bvapm_spool;

struct bvapm_spool_stats {
	uint64_t segments, bytes;                 /* now on disk */
	uint64_t written_records, written_segments;
	uint64_t replayed_records;                /* handed back by bvapm_spool_done */
	uint64_t evicted_records, evicted_segments;
	uint64_t quarantined_segments;
	uint64_t write_errors;
};

/* A segment read back: records point into data. */
struct bvapm_spool_segment {
	uint64_t number;
	uint32_t n;
	struct bvapm_sink_record *recs;
	uint8_t *data;
};

/* Creates dir (and dir/quarantine) when missing, removes temporary files,
 * indexes the segments. Returns 0, or -errno with err filled. */
int bvapm_spool_open(const char *dir, uint64_t max_bytes, struct bvapm_spool **out, char *err,
                     size_t errlen);
void bvapm_spool_close(struct bvapm_spool *sp);

/* Writes recs as one segment. When it does not fit (spool at max_bytes, or
 * the disk full: ENOSPC/EDQUOT/EFBIG) and evict_reason is NULL, nothing is
 * written or evicted; with evict_reason ("the ring is 93% full", logged with
 * the evictions) the oldest segments are evicted until it fits. Returns 0
 * once the segment is durable (fsync of file and directory done), or
 *   -ENOBUFS   the spool is at max_bytes (only without evict_reason)
 *   -EMSGSIZE  the segment alone is larger than max_bytes
 *   -ENOSPC, -EDQUOT, -EFBIG, -EIO, -errno  the write failed (counted in
 *              write_errors; nothing was left behind)
 * Repeated errors are logged at most once per 10 s, with the count. */
int bvapm_spool_write(struct bvapm_spool *sp, const struct bvapm_sink_record *recs, size_t n,
                      const char *evict_reason);

/* The report of evicted records the sink has not stored yet, encoded into
 * buf, *records its figure (see bvapm_evict_tally_report): length, 0 when
 * none, or -errno. */
ssize_t bvapm_spool_evict_report(struct bvapm_spool *sp, void *buf, size_t cap,
                                 uint64_t *records);
/* The sink acknowledged that report. */
void bvapm_spool_evict_reported(struct bvapm_spool *sp);

/* Loads the oldest segment. Corrupt segments (short, bad magic, bad CRC, a
 * record the codec rejects) are moved to quarantine/ and counted, and the
 * next one is tried. Returns 1 with *out set, 0 when the spool is empty,
 * -ENOMEM. */
int bvapm_spool_oldest(struct bvapm_spool *sp, struct bvapm_spool_segment **out);

/* Frees seg; when delivered, removes its file (counted as replayed). */
void bvapm_spool_done(struct bvapm_spool *sp, struct bvapm_spool_segment *seg, int delivered);

/* Segments on disk; only for the thread that owns the spool (others read
 * bvapm_spool_get_stats, whose fields are atomics). */
uint64_t bvapm_spool_segments(const struct bvapm_spool *sp);
void bvapm_spool_get_stats(const struct bvapm_spool *sp, struct bvapm_spool_stats *out);

#endif
