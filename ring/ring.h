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

/* ---- naming -------------------------------------------------------------- */

#define BVAPM_RING_NAME_MAX 64
#define BVAPM_RING_DEFAULT_NAME "default"

/* Writes "/dev/shm/bvapm-<name>" (or $BVAPM_SHM_DIR/bvapm-<name> when that
 * environment variable is set, for tests) into buf.
 * Returns 0, or -EINVAL if name is empty, too long or has characters outside
 * [A-Za-z0-9._-], -ENAMETOOLONG if buf is too small. */
int bvapm_ring_path(const char *name, char *buf, size_t len);

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

/* ---- writing (producers) ---------------------------------------------------- */

struct bvapm_ring_reservation {
	void *data;        /* where to write the payload, `capacity` bytes */
	uint32_t capacity; /* payload bytes reserved */
	uint32_t total;    /* record bytes (header + payload + padding) */
	uint64_t pos;      /* ring position of the record */
};

/* Reserves room for a payload of `len` bytes. Never blocks, never makes a
 * system call: at most a bounded number of CAS retries with ck_backoff.
 * Returns 0; -ENOSPC ring full (counted as lost_full); -EMSGSIZE record larger
 * than max_record (lost_too_big); -EBUSY retries exhausted (lost_contention);
 * -EBADF handle not usable (closed, or inherited across fork); -EIO the
 * ring's positions are corrupt (counted as lost_contention); -ENXIO the ring
 * is retired (bvapm_ring_is_retired: leave it and attach again; not counted
 * in this ring, which nobody will read). */
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

/* ---- reading (the consumer) -------------------------------------------------- */

struct bvapm_ring_record {
	const void *data; /* payload inside the mapping, valid until released */
	uint32_t len;     /* payload bytes */
	uint16_t type;
	uint16_t flags;
	uint32_t pid;     /* producer pid from the control word */
	uint64_t pos;     /* ring position */
	uint64_t end;     /* position just past this record */
};

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

/* ---- observing (inspectors: read without consuming) -------------------------- */

/*
 * A private read cursor for tools such as `bvapm-shm peek`: it walks the
 * records between the head and the tail like the consumer, but copies each
 * committed record out instead of handing out pointers, never writes to the
 * mapping (a READONLY handle is enough) and never moves the head. Any number
 * of observers may run beside the producers and the consumer.
 *
 * A record may be released by the consumer (and its words reused by the next
 * lap) while it is being copied. The copy is therefore validated afterwards:
 * the control word is read (acquire) before the copy and again after it (load
 * fence in between), and the head is read last; a changed control word or a
 * head past the record means it was freed or overwritten during the copy, so
 * the copy is discarded and counted in `missed`. This relies on the consumer
 * overwriting a record's control word before its payload words (the release
 * loop does, word by word in order; x86-64 makes stores visible in program
 * order). A half-written record is never returned: only COMMITTED records are
 * copied, and their payload is complete before the commit (release store).
 */
struct bvapm_ring_cursor {
	uint64_t pos;            /* next position to look at */
	uint64_t records;        /* committed records copied out */
	uint64_t missed;         /* freed or overwritten during the copy: discarded */
	uint64_t overtaken_bytes; /* consumed before the cursor reached them */
	uint64_t in_progress;    /* RESERVED records stepped over (bvapm_ring_cursor_pass) */
	uint64_t invalid_records; /* framing that can never be valid, skipped */
	uint64_t invalid_bytes;
	uint64_t too_big;        /* records larger than the caller's buffer, skipped */
	uint64_t busy_cw;        /* control word of the RESERVED record at pos */
};

enum bvapm_ring_observed {
	BVAPM_OBSERVE_NONE = 0,   /* the cursor reached the tail (or a release in progress) */
	BVAPM_OBSERVE_RECORD = 1, /* a committed record was copied into the buffer */
	BVAPM_OBSERVE_BUSY = 2,   /* the record at the cursor is still being written */
};

/* Places the cursor at the oldest record not yet consumed (the head) or at
 * the tail (only records committed from now on). Counters are zeroed.
 * Returns 0, or -EIO if the header's positions are corrupt (unaligned, tail
 * behind head or more than one lap ahead of it). */
int bvapm_ring_cursor_at_head(const bvapm_ring *ring, struct bvapm_ring_cursor *c);
int bvapm_ring_cursor_at_tail(const bvapm_ring *ring, struct bvapm_ring_cursor *c);

/* Copies the next committed record at or after the cursor into buf (cap
 * bytes) and fills *rec (rec->data points into buf; pos/end are its ring
 * positions) and advances the cursor past it. SKIP records are stepped over;
 * a cursor the consumer overtook jumps to the head (overtaken_bytes); corrupt
 * framing is skipped by resynchronising (invalid_*). Reads at most one lap of
 * the data area per call and never reads outside it.
 * Returns BVAPM_OBSERVE_RECORD, BVAPM_OBSERVE_NONE, BVAPM_OBSERVE_BUSY (the
 * cursor stays at a RESERVED record: call again later, or step over it with
 * bvapm_ring_cursor_pass), or -EIO if the header's positions are corrupt. */
int bvapm_ring_observe(const bvapm_ring *ring, struct bvapm_ring_cursor *c, void *buf, size_t cap,
                       struct bvapm_ring_record *rec);

/* Steps over the RESERVED record the last bvapm_ring_observe stopped at
 * (counted in in_progress); does nothing if it changed meanwhile. */
void bvapm_ring_cursor_pass(const bvapm_ring *ring, struct bvapm_ring_cursor *c);

/* The ring's geometry for observers sizing their buffers. */
uint32_t bvapm_ring_max_record(const bvapm_ring *ring);

/* ---- control words --------------------------------------------------------- */

struct bvapm_ring_control {
	uint32_t kill_switch;   /* non-zero: agents record nothing */
	uint32_t mode_override; /* 0: none */
	uint64_t changed_ns;    /* CLOCK_REALTIME of the last change */
	uint32_t changed_uid;
	uint32_t changed_pid;
};

/* Hot-path read of the kill switch (one relaxed load, no system call). */
bool bvapm_ring_disabled(const bvapm_ring *ring);
/* Hot-path read of the mode override (one relaxed load). */
uint32_t bvapm_ring_mode_override(const bvapm_ring *ring);
void bvapm_ring_get_control(const bvapm_ring *ring, struct bvapm_ring_control *out);
/* Returns 0, or -EROFS if the handle is read-only. Records uid/pid/time. */
int bvapm_ring_set_control(bvapm_ring *ring, uint32_t kill_switch, uint32_t mode_override);

/* ---- statistics ------------------------------------------------------------ */

struct bvapm_ring_stats {
	char path[128];
	uint32_t abi_major, abi_minor;
	uint64_t capacity;
	uint32_t max_record;
	uint32_t slot_count;
	uint64_t head, tail;
	uint64_t used_bytes;         /* tail - head (clamped to capacity) */
	uint64_t lost[BVAPM_LOSS__COUNT];
	uint64_t lost_total;         /* sum of lost[], saturating at UINT64_MAX */
	uint64_t consumed_records, consumed_bytes;
	uint64_t invalid_records, invalid_bytes;
	uint64_t written_records;    /* sum over live slots, saturating at UINT64_MAX */
	uint32_t consumer_pid;
	bool consumer_alive;         /* pid exists and heartbeat is recent */
	uint64_t consumer_heartbeat_age_ms;
	uint64_t create_time_ns;
	uint32_t slots_used, slots_in_request, slots_dead;
	struct bvapm_ring_control control;
};

const char *bvapm_ring_loss_name(enum bvapm_ring_loss reason);

/* Snapshot of the header and slot table (relaxed loads; figures may be a few
 * records apart from each other). Returns 0. */
int bvapm_ring_stats(const bvapm_ring *ring, struct bvapm_ring_stats *out);

/* ---- live slots --------------------------------------------------------------- */

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

/* A consistent copy of one slot, as a reader sees it. */
struct bvapm_ring_slot_view {
	uint32_t index;
	uint32_t pid;
	bool alive;        /* owner process exists (and is not a zombie) */
	bool in_request;
	bool torn;         /* writer died mid-update: fields may be mixed */
	const char *invalid; /* NULL, or why no writer could have left this slot (static text) */
	uint64_t generation;
	uint64_t records_written, records_dropped, request_count;
	uint64_t req_start_wall_ns, req_start_mono_ns;
	uint64_t checkpoint_mono_ns;
	int64_t checkpoint_mem;
	uint64_t sql_start_mono_ns;
	char trace_id[BVAPM_SLOT_TRACE_LEN];
	char method[BVAPM_SLOT_METHOD_LEN];
	char uri[BVAPM_SLOT_URI_LEN];
	char checkpoint[BVAPM_SLOT_LABEL_LEN];
	char sql[BVAPM_SLOT_SQL_LEN];
};

/* Copies every claimed slot into out (up to max). Returns the number copied. */
int bvapm_ring_slots(const bvapm_ring *ring, struct bvapm_ring_slot_view *out, size_t max);

/* Consumer: frees the slot of a dead owner after the caller has dealt with
 * its request (e.g. turned it into an aborted-request record). Returns 0, or
 * -ESRCH if the slot is not owned by `pid` (the view's pid: the low 32 bits
 * of the owner word) any more, -EBUSY if the process that claimed it (pid and
 * start time) is running. */
int bvapm_ring_slot_reap(bvapm_ring *ring, uint32_t index, uint32_t pid);

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

/* ---- integrity check ------------------------------------------------------- */

struct bvapm_ring_check_report {
	unsigned problems;
	uint64_t committed, reserved, skipped;    /* records between head and tail */
	uint64_t committed_bytes;
	uint64_t garbage_words;                   /* ahead of the tail, not free markers */
	char first_problem[256];
};

/* Read-only walk of the header, the records between head and tail, and the
 * slot table. Returns the number of problems found (0 = healthy). */
int bvapm_ring_check(const bvapm_ring *ring, struct bvapm_ring_check_report *out);

/* ---- test support ---------------------------------------------------------- */

/* Steps of the write protocol at which a test build (BVAPM_RING_TEST_HOOKS)
 * calls the hook, so crash tests can kill a producer exactly there. */
enum bvapm_ring_step {
	BVAPM_STEP_BEFORE_CLAIM,
	BVAPM_STEP_AFTER_PADDING_CLAIM, /* padding header claimed, tail not advanced */
	BVAPM_STEP_AFTER_CLAIM,         /* header claimed, tail not advanced */
	BVAPM_STEP_AFTER_TAIL,          /* tail advanced, nothing written */
	BVAPM_STEP_MID_COPY,            /* half of the payload copied */
	BVAPM_STEP_BEFORE_COMMIT,       /* payload copied, not committed */
	BVAPM_STEP_MID_SLOT_UPDATE,     /* slot seq odd */
	BVAPM_STEP__COUNT
};
extern void (*bvapm_ring_test_hook)(enum bvapm_ring_step step);
/* Called by bvapm_ring_observe between its copy and the re-check (test
 * builds only), so a test can free or overwrite the record right there. */
extern void (*bvapm_ring_observe_test_hook)(void);

#ifdef __cplusplus
}
#endif
#endif
