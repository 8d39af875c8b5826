/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_common.h — what every user of the ring shares: the handle, errors,
 * naming, the roles, opening and closing, and whether the file under a
 * mapping is still the ring at its path. The umbrella ring.h includes it with
 * the producer, consumer and inspection headers; see ring.h for the overview
 * and the synchronization table.
 */
#ifndef BVAPM_RING_COMMON_H
#define BVAPM_RING_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ring_layout.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bvapm_ring bvapm_ring;

struct bvapm_ring_error {
	int code;       /* negative errno */
	char msg[256];  /* one sentence for an operator */
};


/* A record as the consumer or an observer hands it out. */
struct bvapm_ring_record {
	const void *data; /* payload inside the mapping, valid until released */
	uint32_t len;     /* payload bytes */
	uint16_t type;
	uint16_t flags;
	uint32_t pid;     /* producer pid from the control word */
	uint64_t pos;     /* ring position */
	uint64_t end;     /* position just past this record */
};

/* ---- naming -------------------------------------------------------------- */

#define BVAPM_RING_NAME_MAX 64
#define BVAPM_RING_DEFAULT_NAME "default"

/* Writes "/dev/shm/bvapm-<name>" (or $BVAPM_SHM_DIR/bvapm-<name> when that
 * environment variable is set, for tests) into buf.
 * Returns 0, or -EINVAL if name is empty, too long or has characters outside
 * [A-Za-z0-9._-], -ENAMETOOLONG if buf is too small. */
int bvapm_ring_path(const char *name, char *buf, size_t len);

/* ---- attaching ------------------------------------------------------------ */

enum bvapm_ring_role {
	BVAPM_RING_PRODUCER,  /* read-write, claims a live slot when one is free */
	BVAPM_RING_CONSUMER,  /* read-write, registers as the ring's only consumer */
	BVAPM_RING_INSPECTOR, /* read-write when permitted (control words), else read-only */
	BVAPM_RING_READONLY,  /* read-only mapping */
};

/* Opens an existing ring (never creates one) and validates it: owner and
 * mode (see bvapm_ring_set_trusted_owner), magic, ABI major, ready flag,
 * header size, capacity (power of two, within limits), max_record, slot table
 * and data area against the size of the file.
 * Returns 0; -ENOENT no ring of that name; -EACCES wrong permissions;
 * -EPERM the file is writable by every user, or (producer, consumer) owned by
 * a user this process does not trust;
 * -EPROTO not a bvapm ring (bad magic) or an incompatible ABI major (counted
 * in lost_incompatible when the magic matches); -EAGAIN ring not ready yet;
 * -EBADMSG corrupt header (geometry does not fit the file); -EBUSY (consumer
 * role) another live consumer is attached; other -errno from the system. */
int bvapm_ring_open(const char *name, enum bvapm_ring_role role, bvapm_ring **out,
                    struct bvapm_ring_error *err);

/* Ownership policy for bvapm_ring_open (process-wide, set before opening).
 * Every role refuses to write into a ring file that every local user may
 * write (mode o+w) — read-only inspection is still allowed. A consumer only
 * drains a ring owned by its own effective user. A producer writes into a
 * ring owned by root, by its own effective user, or by `uid` given here (the
 * drainer's user when the agent and the drainer run as different users);
 * (uid_t)-1 trusts nobody else. */
void bvapm_ring_set_trusted_owner(uid_t uid);

/* Producer attach: bvapm_ring_open(name, BVAPM_RING_PRODUCER, ...). */
int bvapm_ring_attach(const char *name, bvapm_ring **out, struct bvapm_ring_error *err);

/* Releases the live slot (producer), the consumer registration (consumer),
 * unmaps and frees the handle. NULL is accepted. */
void bvapm_ring_close(bvapm_ring *ring);

/* ---- the ring's file: truncated, removed, replaced --------------------------- */

enum bvapm_ring_standing {
	BVAPM_RING_CURRENT = 0, /* the file at the ring's path is this mapping, whole */
	BVAPM_RING_RETIRED,     /* the drainer abandoned it (header flag), or the file
	                           was truncated and the mapping replaced by zeros */
	BVAPM_RING_REPLACED,    /* the path holds another file or none, or the file
	                           shrank below the mapping */
};

/* Where this handle stands, for callers that check now and then (the agent at
 * request start, at most once a second; the drainer once a second): the
 * retired flag and the SIGBUS guard's mark, then stat(2) of the path against
 * the mapped file's identity and size. Also re-installs the SIGBUS guard if
 * somebody replaced it. err (may be NULL) gets a sentence for the log.
 * Makes system calls: never on the write path. */
enum bvapm_ring_standing bvapm_ring_standing(bvapm_ring *ring, struct bvapm_ring_error *err);

/* Cheap check for every request: the retired flag or the guard's mark (two
 * plain loads, no system call). */
bool bvapm_ring_is_retired(const bvapm_ring *ring);

/* Consumer: marks the ring retired, so producers leave it at their next
 * request and attach to the file now at its path. */
void bvapm_ring_retire(bvapm_ring *ring);

/* Committed records of this process between the head and the tail: what it
 * leaves unread in a ring that nobody will drain (counted as lost `retired`
 * in the next ring). Walks the records (bounded by one lap); stops at corrupt
 * framing, so the figure is a lower bound. 0 for a retired mapping. */
uint64_t bvapm_ring_unread_own(const bvapm_ring *ring);

/* Re-installs the SIGBUS guard if another handler replaced it (chaining that
 * one). bvapm_ring_standing calls it; returns 0 or -errno. */
int bvapm_ring_guard_rearm(void);

#ifdef __cplusplus
}
#endif
#endif
