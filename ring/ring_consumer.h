/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_consumer.h — the drainer's side: creating the ring, peeking and
 * releasing records, repairing what stalled or dead producers and foreign
 * writers left behind, retiring a ring, and reaping dead workers' slots.
 * One consumer per ring (enforced at open).
 */
#ifndef BVAPM_RING_CONSUMER_H
#define BVAPM_RING_CONSUMER_H

#include "ring_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- creation (drainer side) ---------------------------------------------- */

struct bvapm_ring_create_opts {
	const char *name;       /* ring name, default "default" */
	uint64_t capacity;      /* data bytes, power of two, default 16 MiB */
	uint32_t max_record;    /* bytes incl. 16-byte header, default 1 MiB, <= capacity/2 */
	uint32_t slot_count;    /* live slots, default 256 */
	mode_t mode;            /* file mode, default 0660 */
	gid_t group;            /* group owner, (gid_t)-1 to keep the creator's */
	bool prefault;          /* touch every page at creation (default in drainer) */
};

/* Creates the ring file with O_CREAT|O_EXCL|O_NOFOLLOW, sizes it, initialises
 * header, slots and FREE markers, publishes `ready` last and returns a handle
 * opened for consuming.
 * Returns 0; -EEXIST if the file exists (attach to it instead); -EINVAL for bad
 * options; -EPERM/-EACCES when the directory or group cannot be used; -ENOSPC
 * when /dev/shm is too small; other -errno from the system. */
int bvapm_ring_create(const struct bvapm_ring_create_opts *opts, bvapm_ring **out,
                      struct bvapm_ring_error *err);

/* Unlinks the ring file (the mapping of attached processes stays valid). */
int bvapm_ring_unlink(const char *name);

/* ---- reading (the consumer) -------------------------------------------------- */


/* Returns up to `max` committed records following the read cursor (which
 * starts at the ring's head) and advances the cursor past them; SKIP records
 * are stepped over; a RESERVED record stops the batch (and is repaired if its
 * producer is dead or stalled too long). Corrupt framing is counted in
 * invalid_records/invalid_bytes and skipped by resynchronising on the next
 * valid record; nothing outside the data area is ever read.
 * A word at the tail that is neither a free marker nor a claim (garbage from
 * another process, or a stalled producer's late copy) would stop every
 * producer: each call, max 0 included, clears it (counted as invalid).
 * Returns the number of records (0 when nothing is ready), -EBADF when the
 * handle is not the consumer, -ENXIO when the mapping was retired (the file
 * was truncated under us: see bvapm_ring_standing). Also refreshes the
 * consumer heartbeat. */
int bvapm_ring_peek(bvapm_ring *ring, struct bvapm_ring_record *out, size_t max);

/* What the consumer repaired or skipped since it attached, for its log:
 * every field only grows. */
struct bvapm_ring_consumer_events {
	uint64_t tail_cleared;     /* garbage words at the tail turned free */
	uint64_t resyncs;          /* corrupt framing skipped by resynchronising */
	uint64_t resync_bytes;
	uint64_t bad_contents;     /* well framed records with a bad type/length */
	uint64_t repaired_dead;    /* reservations of dead producers */
	uint64_t repaired_stalled; /* reservations stalled past the timeout */
	uint64_t positions_reset;  /* corrupt head/tail reset */
	uint64_t last_pos;         /* ring position of the last event */
	uint64_t last_word;        /* the control word found there */
};
void bvapm_ring_consumer_events(const bvapm_ring *ring, struct bvapm_ring_consumer_events *out);

/* Frees everything before `pos` (a record's `end`, at most the read cursor):
 * marks the words FREE for the next lap, then publishes the new head with a
 * release store. Records before pos must no longer be used. */
void bvapm_ring_release(bvapm_ring *ring, uint64_t pos);

/* Moves the read cursor back to the head (records peeked but not released
 * will be returned again). */
void bvapm_ring_rewind(bvapm_ring *ring);

/* Read cursor and head, for callers that track progress. */
uint64_t bvapm_ring_read_pos(const bvapm_ring *ring);
uint64_t bvapm_ring_head(const bvapm_ring *ring);

/* Consumer timeouts: a RESERVED record at the head whose owner is dead is
 * repaired once it has been seen stalled for dead_check_ms (default 10); one
 * whose owner lives is repaired after stall_timeout_ms (default 2000). */
void bvapm_ring_set_timeouts(bvapm_ring *ring, uint32_t dead_check_ms, uint32_t stall_timeout_ms);

/* Refreshes the consumer heartbeat (peek does it too). */
void bvapm_ring_heartbeat(bvapm_ring *ring);

/* ---- live slots of dead workers ------------------------------------------ */

/* Consumer: frees the slot of a dead owner after the caller has dealt with
 * its request (e.g. turned it into an aborted-request record). Returns 0, or
 * -ESRCH if the slot is not owned by `pid` (the view's pid: the low 32 bits
 * of the owner word) any more, -EBUSY if the process that claimed it (pid and
 * start time) is running. */
int bvapm_ring_slot_reap(bvapm_ring *ring, uint32_t index, uint32_t pid);

#ifdef __cplusplus
}
#endif
#endif
