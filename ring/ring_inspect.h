/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_inspect.h — for tools that look without consuming (bvapm-shm, the
 * drainer's metrics): the read-only observer cursor, control words, the
 * statistics snapshot, live slot views and the integrity check. Any number
 * of inspectors may run beside the producers and the consumer.
 */
#ifndef BVAPM_RING_INSPECT_H
#define BVAPM_RING_INSPECT_H

#include "ring_common.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/* ---- live slots, as readers see them ---------------------------------------- */

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

#ifdef __cplusplus
}
#endif
#endif
