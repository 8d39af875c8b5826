/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_layout.h — the bytes of /dev/shm/bvapm-<name>, shared by every process
 * that maps the ring. This file is the ABI: change it only by appending, and
 * bump BVAPM_RING_ABI_MINOR (compatible) or BVAPM_RING_ABI_MAJOR (not).
 *
 * File layout (all offsets from the start of the mapping):
 *
 *   0        header page(s)   struct bvapm_ring_header, hot words one per cache line
 *   4096     slot table       slot_count × struct bvapm_ring_slot (512 bytes each)
 *   data_off data area        capacity bytes (power of two), page aligned
 *
 * Positions (head, tail) are 64-bit byte counters that only grow; the byte of
 * position p lives at data[p & (capacity - 1)]. 64 bits never wrap in practice
 * (at 10 GB/s they last 58 years).
 *
 * Data area: a sequence of 8-byte words. Each word is either a FREE marker or
 * part of a record. A record starts with a 16-byte header:
 *
 *   word0  control word, the only word touched atomically (see below)
 *   word1  type:16 | flags:16 | payload_len:32, written by the owner before commit
 *   ...    payload, then zero padding to the next multiple of 8
 *
 * Control word (word0):
 *
 *   63..62  state: 11 FREE, 01 RESERVED, 10 COMMITTED, 00 SKIP
 *   61..40  length of the whole record in 8-byte units (22 bits, up to 32 MiB)
 *   39..18  pid of the producer that claimed it (22 bits: Linux pid_max <= 2^22)
 *   17..0   lap tag: (position / capacity) & 0x3ffff
 *
 * A FREE word holds FREE(lap) = 11 | hash(lap): "this word is free to be claimed
 * by a record that starts here during lap `lap`". The consumer writes FREE(lap+1)
 * over every word it releases, so a producer holding a stale tail (from an
 * earlier lap) can never claim a word: its compare-and-swap expects FREE of
 * the wrong lap. SKIP records (wrap padding, aborted reservations, records the
 * consumer repaired after their producer died) are stepped over by the consumer.
 *
 * Untrusted memory: every value read from this mapping may be garbage (another
 * process may scribble on it). Producers and consumer keep private copies of
 * capacity, mask and limits taken (and validated) at attach time, and never
 * compute an address from a value they have not bounds-checked.
 */
#ifndef BVAPM_RING_LAYOUT_H
#define BVAPM_RING_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define BVAPM_RING_MAGIC UINT64_C(0x474e495250415642) /* "BVAPRING" little-endian */
#define BVAPM_RING_ABI_MAJOR 1u
#define BVAPM_RING_ABI_MINOR 1u /* 1: retired flag, lost_retired */

#define BVAPM_RING_CACHELINE 64
#define BVAPM_RING_PAGE 4096u
#define BVAPM_RING_SLOT_SIZE 512u
#define BVAPM_RING_RECORD_HEADER 16u /* word0 + word1 */
#define BVAPM_RING_ALIGN 8u

#define BVAPM_RING_MIN_CAPACITY (UINT64_C(1) << 12)
#define BVAPM_RING_MAX_CAPACITY (UINT64_C(1) << 34)
#define BVAPM_RING_MAX_SLOTS 65536u
/* Largest record the framing can express: 22 bits of 8-byte units. */
#define BVAPM_RING_MAX_RECORD_LIMIT ((UINT32_C(1) << 22) * 8u - 8u)

/* ---- control word encoding ----------------------------------------------- */

#define BVAPM_CW_STATE_SHIFT 62
#define BVAPM_CW_LEN_SHIFT 40
#define BVAPM_CW_PID_SHIFT 18
#define BVAPM_CW_LEN_MASK UINT64_C(0x3fffff)
#define BVAPM_CW_PID_MASK UINT64_C(0x3fffff)
#define BVAPM_CW_TAG_MASK UINT64_C(0x3ffff)

enum bvapm_cw_state {
	BVAPM_CW_SKIP = 0,
	BVAPM_CW_RESERVED = 1,
	BVAPM_CW_COMMITTED = 2,
	BVAPM_CW_FREE = 3,
};

static inline uint64_t bvapm_cw_make(enum bvapm_cw_state state, uint64_t len_bytes,
                                     uint64_t pid, uint64_t lap)
{
	return ((uint64_t)state << BVAPM_CW_STATE_SHIFT) |
	       (((len_bytes / 8) & BVAPM_CW_LEN_MASK) << BVAPM_CW_LEN_SHIFT) |
	       ((pid & BVAPM_CW_PID_MASK) << BVAPM_CW_PID_SHIFT) | (lap & BVAPM_CW_TAG_MASK);
}

/* FREE(lap): state bits 11, the rest a mix of the lap number so that a FREE
 * word is unlikely to be mistaken for payload and vice versa. */
static inline uint64_t bvapm_cw_free(uint64_t lap)
{
	uint64_t mix = (lap * UINT64_C(0x9e3779b97f4a7c15)) ^ UINT64_C(0x2b7a9e3f5d1c0000);

	return (UINT64_C(3) << BVAPM_CW_STATE_SHIFT) | (mix & UINT64_C(0x3fffffffffffffff));
}

static inline enum bvapm_cw_state bvapm_cw_state(uint64_t cw)
{
	return (enum bvapm_cw_state)(cw >> BVAPM_CW_STATE_SHIFT);
}
static inline uint64_t bvapm_cw_len(uint64_t cw)
{
	return ((cw >> BVAPM_CW_LEN_SHIFT) & BVAPM_CW_LEN_MASK) * 8;
}
static inline uint32_t bvapm_cw_pid(uint64_t cw)
{
	return (uint32_t)((cw >> BVAPM_CW_PID_SHIFT) & BVAPM_CW_PID_MASK);
}
static inline uint64_t bvapm_cw_tag(uint64_t cw) { return cw & BVAPM_CW_TAG_MASK; }

/* word1 */
static inline uint64_t bvapm_w1_make(uint16_t type, uint16_t flags, uint32_t payload_len)
{
	return (uint64_t)type | ((uint64_t)flags << 16) | ((uint64_t)payload_len << 32);
}
static inline uint16_t bvapm_w1_type(uint64_t w1) { return (uint16_t)w1; }
static inline uint16_t bvapm_w1_flags(uint64_t w1) { return (uint16_t)(w1 >> 16); }
static inline uint32_t bvapm_w1_payload_len(uint64_t w1) { return (uint32_t)(w1 >> 32); }

/* ---- header -------------------------------------------------------------- */

#define BVAPM_CL(name) _Alignas(BVAPM_RING_CACHELINE) name

enum bvapm_ring_loss {
	BVAPM_LOSS_FULL,         /* ring full at reserve: dropped at once */
	BVAPM_LOSS_TOO_BIG,      /* record larger than max_record */
	BVAPM_LOSS_CONTENTION,   /* bounded CAS retries exhausted */
	BVAPM_LOSS_NOT_ATTACHED, /* agent had no ring (reported once attached) */
	BVAPM_LOSS_INCOMPATIBLE, /* agent of another ABI major (stable offset) */
	BVAPM_LOSS_REPAIRED,     /* reservation of a dead producer, skipped by consumer */
	BVAPM_LOSS_RETIRED,      /* left unread in a ring that was removed, replaced or
	                            truncated (counted by its producers in the new ring) */
	BVAPM_LOSS__COUNT
};

struct bvapm_ring_header {
	/* Line 0: identity and geometry. Written once by the creator before
	 * `ready`; read-only afterwards. Offsets of magic..header_size and of
	 * the `stable` line below never change across ABI majors. */
	BVAPM_CL(uint64_t magic);
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t header_size;    /* sizeof(struct bvapm_ring_header) of the creator */
	uint32_t slot_size;      /* BVAPM_RING_SLOT_SIZE */
	uint32_t slot_count;
	uint32_t max_record;     /* largest record (header included), bytes */
	uint64_t capacity;       /* data area bytes, power of two */
	uint64_t data_offset;    /* from the start of the mapping, page aligned */
	uint64_t slot_offset;    /* from the start of the mapping */
	uint32_t ready;          /* 1 once everything above is valid (written last) */
	uint32_t create_pid;

	/* Line 1: counters any agent may bump, whatever its ABI version. */
	BVAPM_CL(uint64_t lost_incompatible);
	uint64_t lost_not_attached;
	uint64_t create_time_ns; /* CLOCK_REALTIME at creation */
	uint64_t lost_retired;   /* ABI 1.1: see BVAPM_LOSS_RETIRED (0 in 1.0 rings) */

	/* Line 2: consumer (drainer) identity and liveness. */
	BVAPM_CL(uint32_t consumer_pid);
	uint32_t consumer_generation; /* bumped at each consumer attach */
	uint64_t consumer_start_ns;   /* CLOCK_REALTIME when it attached */
	uint64_t consumer_heartbeat_ns; /* CLOCK_MONOTONIC of its last pass */

	/* Line 3: control words, read by agents at request start. */
	BVAPM_CL(uint32_t kill_switch); /* non-zero: agents record nothing */
	uint32_t mode_override;         /* 0 none, else an agent mode number */
	uint64_t control_changed_ns;    /* CLOCK_REALTIME */
	uint32_t control_changed_uid;
	uint32_t control_changed_pid;
	uint32_t retired;               /* ABI 1.1: non-zero once the drainer abandoned this
	                                   ring for a new file of the same name; agents
	                                   move at their next request (0 in 1.0 rings) */

	/* Line 4: producers' reserve position (CAS by producers, helped by all). */
	BVAPM_CL(uint64_t tail);
	/* Line 5: consumer's release position (stored by the consumer only). */
	BVAPM_CL(uint64_t head);

	/* Lines 6..: producer-side loss counters, one line each (drop paths only). */
	BVAPM_CL(uint64_t lost_full);
	BVAPM_CL(uint64_t lost_too_big);
	BVAPM_CL(uint64_t lost_contention);

	/* Consumer-side counters, written by the consumer only. */
	BVAPM_CL(uint64_t lost_repaired);
	uint64_t consumed_records;
	uint64_t consumed_bytes;
	uint64_t invalid_records; /* framing corrupt or unknown, skipped */
	uint64_t invalid_bytes;
};

_Static_assert(offsetof(struct bvapm_ring_header, magic) == 0, "ABI: magic at 0");
_Static_assert(offsetof(struct bvapm_ring_header, abi_major) == 8, "ABI: major at 8");
_Static_assert(offsetof(struct bvapm_ring_header, header_size) == 16, "ABI: header_size at 16");
_Static_assert(offsetof(struct bvapm_ring_header, ready) == 56, "ABI: ready at 56 (testing/drainer.sh)");
_Static_assert(offsetof(struct bvapm_ring_header, lost_incompatible) == 64, "ABI: stable line");
_Static_assert(sizeof(struct bvapm_ring_header) <= BVAPM_RING_PAGE, "header fits a page");
/* ABI 1.1 added fields inside existing cache lines only: the offsets of every
 * 1.0 field and the header size are unchanged, and a 1.0 ring (zero-filled
 * there) reads as "not retired, nothing lost". */
_Static_assert(offsetof(struct bvapm_ring_header, lost_retired) < 128, "1.1 field in line 1");
_Static_assert(offsetof(struct bvapm_ring_header, retired) < 256, "1.1 field in line 3");
_Static_assert(offsetof(struct bvapm_ring_header, tail) == 256, "ABI 1.0: tail on line 4");

/* ---- live slots ---------------------------------------------------------- */

enum bvapm_slot_state {
	BVAPM_SLOT_IDLE = 0,       /* worker attached, between requests */
	BVAPM_SLOT_IN_REQUEST = 1, /* worker inside a request */
};

#define BVAPM_SLOT_TRACE_LEN 33
#define BVAPM_SLOT_METHOD_LEN 16
#define BVAPM_SLOT_URI_LEN 176
#define BVAPM_SLOT_LABEL_LEN 48
#define BVAPM_SLOT_SQL_LEN 136

/*
 * One worker's slot. `owner` is claimed with a CAS (0 -> pid) at attach and
 * cleared at detach (or by the consumer once the owner is known dead). Every
 * other field is written by the owner only, with plain stores bracketed by the
 * sequence counter `seq` (odd while an update is in progress); readers copy the
 * slot and retry while seq is odd or changed (a seqlock). Strings are NUL
 * terminated by the writer; readers terminate their copies again.
 */
struct bvapm_ring_slot {
	uint64_t owner;            /* 0 free, else owner pid */
	uint32_t seq;              /* seqlock counter */
	uint32_t state;            /* enum bvapm_slot_state */
	uint64_t proc_start;       /* owner's start time (/proc/<pid>/stat field 22) */
	uint64_t generation;       /* bumped at each claim */
	uint64_t records_written;  /* committed by this owner */
	uint64_t records_dropped;  /* dropped by this owner (any reason) */
	uint64_t request_count;    /* requests begun by this owner */
	uint64_t req_start_wall_ns; /* CLOCK_REALTIME at request start */
	uint64_t req_start_mono_ns; /* CLOCK_MONOTONIC at request start */
	uint64_t checkpoint_mono_ns; /* CLOCK_MONOTONIC of the last checkpoint */
	int64_t checkpoint_mem;    /* memory (bytes) at the last checkpoint */
	uint64_t sql_start_mono_ns; /* CLOCK_MONOTONIC when the current SQL began, 0 none */
	char trace_id[BVAPM_SLOT_TRACE_LEN];
	char method[BVAPM_SLOT_METHOD_LEN];
	char uri[BVAPM_SLOT_URI_LEN];
	char checkpoint[BVAPM_SLOT_LABEL_LEN];
	char sql[BVAPM_SLOT_SQL_LEN];
};

_Static_assert(sizeof(struct bvapm_ring_slot) <= BVAPM_RING_SLOT_SIZE, "slot fits");

#endif
