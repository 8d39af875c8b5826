/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_internal.h — the process-local handle and helpers shared by the ring's
 * .c files. Nothing here is visible to users of ring.h.
 *
 * A handle keeps private, validated copies of every geometry value (capacity,
 * mask, max_record, slot count and addresses) taken once at open; the hot path
 * never re-reads geometry from shared memory, so a header corrupted after
 * attach cannot steer a write outside the mapping.
 */
#ifndef BVAPM_RING_INTERNAL_H
#define BVAPM_RING_INTERNAL_H

#include <ck_pr.h>
#include <stdarg.h>
#include <sys/types.h>
#include <time.h>

#include "ring.h"
#include "support/bvapm_clock.h"
#include "support/bvapm_compiler.h"
#include "ring_test_hooks.h"

#define BVAPM_RING_MAX_ATTEMPTS 32      /* CAS retries before dropping as contention */
#define BVAPM_RING_DEFAULT_CAPACITY (UINT64_C(16) << 20)
#define BVAPM_RING_DEFAULT_MAX_RECORD (UINT32_C(1) << 20)
#define BVAPM_RING_DEFAULT_SLOTS 256u
#define BVAPM_RING_DEAD_CHECK_MS 10u
#define BVAPM_RING_STALL_TIMEOUT_MS 2000u
#define BVAPM_RING_RESYNC_HOPS 64       /* headers a resync candidate must chain through */


struct bvapm_ring {
	/* mapping */
	uint8_t *base;
	size_t map_len;
	struct bvapm_ring_header *hdr;
	uint8_t *data;
	struct bvapm_ring_slot *slots;

	/* validated private copies of the geometry */
	uint64_t capacity;
	uint64_t mask;
	unsigned lap_shift;        /* log2(capacity) */
	uint32_t max_record;
	uint32_t slot_count;

	enum bvapm_ring_role role;
	bool writable;
	int faulted;               /* set by the SIGBUS guard: the mapping is now
	                              anonymous zeros (ring_guard.c) */
	int guard_slot;            /* entry in the guard table, -1 none */
	dev_t dev;                 /* identity of the mapped file, from fstat at */
	ino_t ino;                 /* open: a replaced ring has another one */
	uint32_t pid;              /* getpid() at open */
	bool prefetchw;            /* the CPU has PREFETCHW (cpuid, at open) */
	unsigned fork_generation;  /* bvapm_ring_fork_generation at open */

	/* producer */
	uint64_t cached_head;      /* last head seen: only grows, so a stale copy only
	                              under-estimates free room (reloaded before a drop) */
	struct bvapm_ring_slot *slot; /* NULL when the table was full */
	int slot_index;
	uint32_t slot_seq;         /* our copy of slot->seq (we are its only writer) */

	/* consumer */
	uint64_t read_pos;
	uint64_t head;             /* our copy of hdr->head (we are its only writer) */
	uint64_t stall_pos;        /* RESERVED record seen stalled at the cursor */
	uint64_t stall_cw;
	uint64_t stall_since_ns;
	uint32_t dead_check_ms;
	uint32_t stall_timeout_ms;
	struct bvapm_ring_consumer_events events; /* what it repaired, for the log */

	char path[128];
};

/* Bumped in the child of every fork (pthread_atfork), so a handle inherited
 * across fork is recognised without a system call. */
extern unsigned bvapm_ring_fork_generation;

#ifdef BVAPM_RING_TEST_HOOKS
#define BVAPM_RING_STEP(s)                                                         \
	do {                                                                       \
		if (bvapm_ring_test_hook != NULL)                                  \
			bvapm_ring_test_hook(s);                                   \
	} while (0)
#else
#define BVAPM_RING_STEP(s) ((void)0)
#endif

static inline uint64_t *bvapm_ring_word(const struct bvapm_ring *r, uint64_t pos)
{
	return (uint64_t *)(void *)(r->data + (pos & r->mask));
}

static inline uint64_t bvapm_ring_lap(const struct bvapm_ring *r, uint64_t pos)
{
	return pos >> r->lap_shift;
}

static inline uint64_t bvapm_align8(uint64_t n) { return (n + 7) & ~UINT64_C(7); }

/*
 * Is the control word cw a plausible record header for position pos?
 * True when its state is not FREE, its lap tag matches pos, it fits before the
 * end of the data area and before `limit` (the tail), and records (not SKIP)
 * are between a header and max_record long.
 */
static inline bool bvapm_ring_frame_ok(const struct bvapm_ring *r, uint64_t cw, uint64_t pos,
                                       uint64_t limit)
{
	enum bvapm_cw_state st = bvapm_cw_state(cw);
	uint64_t len = bvapm_cw_len(cw);

	if (st == BVAPM_CW_FREE || bvapm_cw_tag(cw) != (bvapm_ring_lap(r, pos) & BVAPM_CW_TAG_MASK))
		return false;
	if (len < BVAPM_RING_ALIGN || (pos & r->mask) + len > r->capacity || len > limit - pos)
		return false;
	if (st != BVAPM_CW_SKIP && (len < BVAPM_RING_RECORD_HEADER || len > r->max_record))
		return false;
	return true;
}

/* ---- prefetching (ring_producer.c) ----
 *
 * A write at 20 000 records/s finds every line it touches cold: the tail
 * (last written by another producer), the claim word and the data lines (last
 * written by the consumer a lap ago) and the producer's own slot. Asking for
 * them all at once, in the state the write needs (exclusive), turns a chain of
 * misses into one wait. A prefetch is a hint: it never faults, never changes
 * memory and orders nothing, so no ordering comment applies to it; addresses
 * are still taken only from validated private copies (data + (pos & mask)).
 * PREFETCHW (exclusive) is used where the CPU has it, PREFETCHT0 otherwise. */
#define BVAPM_RING_PREFETCH_LINES 16u /* at most 1 KiB ahead: the copy streams the rest */

static inline void bvapm_ring_prefetch_w(const struct bvapm_ring *r, const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
	if (bvapm_likely(r->prefetchw))
		__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
	else
		__builtin_prefetch(p, 0, 3);
#else
	(void)r;
	__builtin_prefetch(p, 1, 3);
#endif
}

/* The lines of a record of `total` bytes at position pos (up to
 * BVAPM_RING_PREFETCH_LINES, never past the end of the data area). */
static inline void bvapm_ring_prefetch_record(const struct bvapm_ring *r, uint64_t pos,
                                              uint64_t total)
{
	uint64_t off = pos & r->mask;
	uint64_t end = off + total;
	uint64_t limit = off + (uint64_t)BVAPM_RING_PREFETCH_LINES * BVAPM_RING_CACHELINE;

	if (end > r->capacity)
		end = r->capacity;
	if (end > limit)
		end = limit;
	for (uint64_t a = off & ~(uint64_t)(BVAPM_RING_CACHELINE - 1); a < end; a += BVAPM_RING_CACHELINE)
		bvapm_ring_prefetch_w(r, r->data + a);
}

/* Loss and statistics counters live in shared memory that anyone in the
 * ring's group may set to anything: they stop at UINT64_MAX instead of
 * wrapping. For counters several producers bump: a bounded CAS loop (drop
 * paths only, never the write path; a lost race only loses a count).
 * Unordered statistics: no ordering with anything else. */
static inline void bvapm_counter_add(uint64_t *counter, uint64_t n)
{
	for (int i = 0; i < 8; i++) {
		uint64_t v = ck_pr_load_64(counter);
		uint64_t next = v > UINT64_MAX - n ? UINT64_MAX : v + n;
		if (next == v || ck_pr_cas_64(counter, v, next))
			return;
	}
}

/* For counters only the consumer writes: a plain store suffices. */
static inline void bvapm_counter_add_single(uint64_t *counter, uint64_t n)
{
	uint64_t v = ck_pr_load_64(counter);
	ck_pr_store_64(counter, v > UINT64_MAX - n ? UINT64_MAX : v + n);
}

/* ---- ring_framing.c ---- */

/* Does the header at pos chain, record by record, to exactly `tail` (or
 * through BVAPM_RING_RESYNC_HOPS valid headers)? */
bool bvapm_ring_chains_to(const struct bvapm_ring *r, uint64_t pos, uint64_t tail);
/* Corrupt framing at pos: the next real boundary after it, or the tail. */
uint64_t bvapm_ring_next_boundary(const struct bvapm_ring *r, uint64_t pos, uint64_t tail);

/* ---- ring_proc.c ---- */

/* 1 if the process exists and is not a zombie, 0 if not; *start_ticks (may be
 * NULL) receives its start time from /proc/<pid>/stat. */
int bvapm_proc_alive(uint32_t pid, uint64_t *start_ticks);

/* snprintf into err (when non-NULL) and return code. */
int bvapm_ring_fail(struct bvapm_ring_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- ring_guard.c ---- */

/* Registers the handle's mapping with the SIGBUS guard (installing the
 * handler on first use). Returns 0, -ENOSPC (table full: the ring works
 * unguarded) or -errno from sigaction. */
int bvapm_ring_guard_register(struct bvapm_ring *r, int prot);
/* Before munmap. */
void bvapm_ring_guard_unregister(struct bvapm_ring *r);

/* Has the guard retired this mapping? One plain load. */
static inline bool bvapm_ring_faulted(const struct bvapm_ring *r)
{
	return ck_pr_load_int(&r->faulted) != 0;
}

/* ---- ring_slots.c ---- */
/* The slot's owner word names a running process that started at proc_start
 * (a garbage or reused pid is not the owner). Reads /proc. */
bool bvapm_ring_slot_owner_live(uint64_t owner, uint64_t proc_start);
void bvapm_ring_slot_claim(struct bvapm_ring *r);
void bvapm_ring_slot_release(struct bvapm_ring *r);
void bvapm_ring_slot_count_write(struct bvapm_ring *r, bool committed);

/* ---- ring_open.c ---- */
/* Maps and validates a ring file: shared by open and create. */
int bvapm_ring_map_fd(int fd, const char *path, enum bvapm_ring_role role, bool writable,
                      struct bvapm_ring **out, struct bvapm_ring_error *err);

#endif
