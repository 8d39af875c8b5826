/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rogue.c — a hostile local process with write access to a live ring file.
 *
 * It knows the ring's bytes (ring/ring_layout.h) but none of the ring
 * library's rules: it maps or preads the file itself and writes what it
 * likes, while php-fpm workers and bvapm-drainer use the ring. The hostile
 * suite (tests/hostile/) runs it and checks that the ring, the agent and the
 * drainer survive, resynchronise and count the damage.
 *
 *   rogue header PATH              header and slot owners as JSON (pread only:
 *                                  safe on a truncated file)
 *   rogue garbage-tail PATH        one garbage word at data[tail & (cap-1)]
 *   rogue garbage-ahead PATH BYTES [STRIDE] [SEED]
 *                                  a garbage word every STRIDE bytes (default
 *                                  64: every 8th word) from tail+STRIDE to
 *                                  tail+BYTES: some of them will be record
 *                                  boundaries
 *   rogue garbage-wrap PATH [BYTES] [SEED]
 *                                  garbage every 8th word over the last and the
 *                                  first BYTES (default 4096) of the data area,
 *                                  and at data[0], the first record boundary of
 *                                  every lap; prints the next wrap position
 *   rogue slots-random PATH [SEED] random bytes (newlines, escapes, binary)
 *                                  over the whole slot table
 *   rogue stats-max PATH           lost_full = 2^64-1
 *   rogue plant PATH [CAPACITY] [SLOTS]
 *                                  create a ring file that passes every check
 *                                  of the ring's validation, mode 0666 (run
 *                                  as another user to plant it)
 *
 * Garbage words are never FREE and never plausible record headers: their lap
 * tag is not the lap of their position and their length (16 MiB or more) is
 * past any ring's max_record. They are placed with a compare-and-swap over
 * the word's FREE marker, so a word a producer has already claimed is left
 * alone (the rogue is hostile, not lucky: it only hits free space).
 *
 * Exit status: 0 done, 1 nothing could be written, 2 usage or not a ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ring/ring_layout.h"

struct ring_file {
	int fd;
	uint64_t size;
	struct bvapm_ring_header h; /* a private copy read with pread */
	uint8_t *map;               /* whole file, MAP_SHARED, when mapped */
	uint64_t cap, mask;
	unsigned shift;
};

static uint64_t rng_state = UINT64_C(0x6a09e667f3bcc908);

static uint64_t rnd(void)
{
	/* splitmix64: reproducible from the seed printed by the caller */
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static _Noreturn void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static _Noreturn void die(int code, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	fprintf(stderr, "rogue: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (e != 0)
		fprintf(stderr, ": %s", strerror(e));
	fprintf(stderr, "\n");
	exit(code);
}

static bool is_pow2(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

/* Opens PATH and reads its header; with `map`, maps the whole file. */
static void ring_open(struct ring_file *f, const char *path, bool map)
{
	struct stat st;

	memset(f, 0, sizeof(*f));
	f->fd = open(path, (map ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (f->fd < 0)
		die(2, "cannot open %s", path);
	if (fstat(f->fd, &st) != 0)
		die(2, "cannot stat %s", path);
	f->size = (uint64_t)st.st_size;
	ssize_t n = pread(f->fd, &f->h, sizeof(f->h), 0);
	errno = 0;
	if (n != (ssize_t)sizeof(f->h) || f->h.magic != BVAPM_RING_MAGIC)
		die(2, "%s is not a ring (short file or bad magic)", path);
	f->cap = f->h.capacity;
	if (!is_pow2(f->cap) || f->h.data_offset > f->size || f->cap > f->size - f->h.data_offset ||
	    f->h.slot_size != BVAPM_RING_SLOT_SIZE ||
	    f->h.slot_offset + (uint64_t)f->h.slot_count * BVAPM_RING_SLOT_SIZE > f->h.data_offset)
		die(2, "%s: geometry does not fit the file", path);
	f->mask = f->cap - 1;
	f->shift = (unsigned)__builtin_ctzll(f->cap);
	if (map) {
		void *m = mmap(NULL, (size_t)f->size, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
		if (m == MAP_FAILED)
			die(2, "cannot map %s", path);
		f->map = m;
	}
}

static struct bvapm_ring_header *hdr(struct ring_file *f)
{
	return (struct bvapm_ring_header *)(void *)f->map;
}

static uint64_t *word_at(struct ring_file *f, uint64_t pos)
{
	return (uint64_t *)(void *)(f->map + f->h.data_offset + (pos & f->mask));
}

static uint64_t load64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

/* A word that is neither FREE nor a plausible header at position pos. */
static uint64_t garbage_for(struct ring_file *f, uint64_t pos)
{
	uint64_t lap_tag = (pos >> f->shift) & BVAPM_CW_TAG_MASK;
	uint64_t state = rnd() % 3; /* SKIP, RESERVED or COMMITTED: never FREE (3) */
	uint64_t units = (UINT64_C(1) << 21) | (rnd() & ((UINT64_C(1) << 21) - 1)); /* >= 16 MiB */
	uint64_t tag = (lap_tag + 1 + rnd() % (BVAPM_CW_TAG_MASK - 1)) & BVAPM_CW_TAG_MASK;

	if (tag == lap_tag)
		tag ^= 1;
	return (state << BVAPM_CW_STATE_SHIFT) | (units << BVAPM_CW_LEN_SHIFT) |
	       ((rnd() & BVAPM_CW_PID_MASK) << BVAPM_CW_PID_SHIFT) | tag;
}

/* CAS the FREE marker of position pos into garbage. True when written. */
static bool plant_garbage(struct ring_file *f, uint64_t pos, uint64_t *written)
{
	uint64_t *w = word_at(f, pos);
	uint64_t expect = bvapm_cw_free(pos >> f->shift);
	uint64_t g = garbage_for(f, pos);

	if (!__atomic_compare_exchange_n(w, &expect, g, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return false;
	if (written != NULL)
		*written = g;
	return true;
}

static void print_header(struct ring_file *f)
{
	const struct bvapm_ring_header *h = &f->h;
	uint32_t owned = 0, in_request = 0;
	char owners[256 * 24] = "";
	size_t ol = 0;

	for (uint32_t i = 0; i < h->slot_count && i < 65536; i++) {
		struct bvapm_ring_slot s;
		off_t off = (off_t)(h->slot_offset + (uint64_t)i * BVAPM_RING_SLOT_SIZE);
		if (pread(f->fd, &s, sizeof(s), off) != (ssize_t)sizeof(s))
			break; /* truncated file: the rest of the table is gone */
		if (s.owner == 0)
			continue;
		owned++;
		in_request += s.state == BVAPM_SLOT_IN_REQUEST;
		if (ol + 24 < sizeof(owners))
			ol += (size_t)snprintf(owners + ol, sizeof(owners) - ol, "%s%" PRIu64,
			                       ol ? ", " : "", s.owner);
	}
	printf("{\"size\": %" PRIu64 ", \"capacity\": %" PRIu64 ", \"data_offset\": %" PRIu64
	       ", \"slot_offset\": %" PRIu64 ", \"slot_count\": %u, \"ready\": %u"
	       ", \"head\": %" PRIu64 ", \"tail\": %" PRIu64 ", \"consumer_pid\": %u"
	       ", \"consumer_generation\": %u, \"lost_full\": %" PRIu64
	       ", \"invalid_records\": %" PRIu64 ", \"consumed_records\": %" PRIu64
	       ", \"slots_owned\": %u, \"slots_in_request\": %u, \"owners\": [%s]}\n",
	       f->size, h->capacity, h->data_offset, h->slot_offset, h->slot_count, h->ready,
	       h->head, h->tail, h->consumer_pid, h->consumer_generation, h->lost_full,
	       h->invalid_records, h->consumed_records, owned, in_request, owners);
}

static int cmd_garbage_tail(struct ring_file *f)
{
	/* The tail may move under us (producers): retry until the word at a
	 * tail we read is still FREE when the CAS lands. */
	for (int attempt = 0; attempt < 100000; attempt++) {
		uint64_t t = load64(&hdr(f)->tail), g;
		if ((t & 7) != 0)
			die(1, "%s", "tail is not 8-byte aligned: already corrupt");
		if (plant_garbage(f, t, &g)) {
			printf("garbage 0x%016" PRIx64 " at tail position %" PRIu64 " (data offset %" PRIu64
			       ")\n", g, t, t & f->mask);
			return 0;
		}
	}
	fprintf(stderr, "rogue: the word at the tail never stayed free\n");
	return 1;
}

static int cmd_garbage_ahead(struct ring_file *f, uint64_t bytes, uint64_t stride)
{
	uint64_t t = load64(&hdr(f)->tail) & ~UINT64_C(7);
	uint64_t head = load64(&hdr(f)->head);
	unsigned placed = 0, taken = 0;

	/* Only free space: positions before head + capacity (beyond it the
	 * words still hold records nobody has consumed). */
	for (uint64_t p = t + stride; p <= t + bytes && p < head + f->cap; p += stride) {
		if (plant_garbage(f, p, NULL))
			placed++;
		else
			taken++;
	}
	printf("garbage-ahead: %u words from position %" PRIu64 " every %" PRIu64
	       " bytes (%u already claimed)\n", placed, t + stride, stride, taken);
	return placed > 0 ? 0 : 1;
}

static int cmd_garbage_wrap(struct ring_file *f, uint64_t bytes)
{
	uint64_t t = load64(&hdr(f)->tail) & ~UINT64_C(7);
	uint64_t head = load64(&hdr(f)->head);
	uint64_t wrap = (t | f->mask) + 1; /* next multiple of the capacity above t */
	unsigned placed = 0;

	if (bytes > f->cap / 4)
		bytes = f->cap / 4;
	/* the end of this lap, then the start of the next one; data[0] (the
	 * first boundary of the lap) first of all */
	if (wrap < head + f->cap && plant_garbage(f, wrap, NULL))
		placed++;
	for (uint64_t p = wrap - bytes; p < wrap + bytes; p += 64) {
		if (p < t || p >= head + f->cap || p == wrap)
			continue;
		placed += plant_garbage(f, p, NULL);
	}
	printf("garbage-wrap: %u words around the wrap at position %" PRIu64 "\nwrap %" PRIu64 "\n",
	       placed, wrap, wrap);
	return placed > 0 ? 0 : 1;
}

static int cmd_slots_random(struct ring_file *f)
{
	uint8_t *table = f->map + f->h.slot_offset;
	size_t len = (size_t)f->h.slot_count * BVAPM_RING_SLOT_SIZE;
	static const char *const inject[] = {
		"\n2030-01-01T00:00:00.000Z bvapm-drainer[1] error: forged line\n",
		"\x1b[2J\x1b[31mRED\x1b[0m\r\b\a", "\xff\xfe\xc3\x28\xe2\x82", "GET\n/etc/passwd\t\x7f",
	};

	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = rnd();
		memcpy(table + i, &v, 8);
	}
	/* Every fourth slot says "in a request", so whoever reads the table
	 * takes the dead-worker path; strings get newlines, terminal escapes
	 * and invalid UTF-8, and no NUL where a writer would put one. */
	for (uint32_t i = 0; i < f->h.slot_count; i++) {
		struct bvapm_ring_slot *s = (void *)(table + (size_t)i * BVAPM_RING_SLOT_SIZE);
		const char *a = inject[rnd() % 4], *b = inject[rnd() % 4];
		if (i % 4 == 0)
			__atomic_store_n(&s->state, (uint32_t)BVAPM_SLOT_IN_REQUEST, __ATOMIC_RELAXED);
		memcpy(s->method, a, strlen(a) < sizeof(s->method) ? strlen(a) : sizeof(s->method));
		memcpy(s->uri, b, strlen(b));
		memcpy(s->checkpoint, a, strlen(a) < sizeof(s->checkpoint) ? strlen(a) : sizeof(s->checkpoint));
		memcpy(s->sql, b, strlen(b));
	}
	printf("slots-random: %zu bytes over %u slots\n", len, f->h.slot_count);
	return 0;
}

static int cmd_plant(const char *path, uint64_t cap, uint32_t slots)
{
	if (!is_pow2(cap) || cap < BVAPM_RING_MIN_CAPACITY || slots == 0 || slots > 4096)
		die(2, "%s", "plant: capacity must be a power of two >= 4 KiB, slots 1..4096");
	uint64_t slot_off = BVAPM_RING_PAGE;
	uint64_t data_off = (slot_off + (uint64_t)slots * BVAPM_RING_SLOT_SIZE + BVAPM_RING_PAGE - 1) &
	                    ~(uint64_t)(BVAPM_RING_PAGE - 1);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0)
		die(2, "plant: cannot create %s", path);
	if (fchmod(fd, 0666) != 0 || ftruncate(fd, (off_t)(data_off + cap)) != 0)
		die(2, "plant: cannot size %s", path);

	uint64_t *data = malloc(cap);
	if (data == NULL)
		die(2, "%s", "out of memory");
	for (uint64_t p = 0; p < cap; p += 8)
		data[p / 8] = bvapm_cw_free(0);
	struct bvapm_ring_header h;
	memset(&h, 0, sizeof(h));
	h.magic = BVAPM_RING_MAGIC;
	h.abi_major = BVAPM_RING_ABI_MAJOR;
	h.abi_minor = BVAPM_RING_ABI_MINOR;
	h.header_size = sizeof(h);
	h.slot_size = BVAPM_RING_SLOT_SIZE;
	h.slot_count = slots;
	h.max_record = (uint32_t)(cap / 4 < 65536 ? cap / 4 : 65536);
	h.capacity = cap;
	h.data_offset = data_off;
	h.slot_offset = slot_off;
	h.create_pid = (uint32_t)getpid();
	h.ready = 1;
	if (pwrite(fd, data, cap, (off_t)data_off) != (ssize_t)cap ||
	    pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		die(2, "plant: cannot write %s", path);
	free(data);
	close(fd);
	printf("planted %s: capacity %" PRIu64 ", %u slots, mode 0666, uid %u\n", path, cap, slots,
	       (unsigned)getuid());
	return 0;
}

static uint64_t num(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0')
		die(2, "not a number: %s", s);
	return v;
}

int main(int argc, char **argv)
{
	struct ring_file f;

	if (argc < 3) {
		fprintf(stderr, "usage: rogue header|garbage-tail|garbage-ahead|garbage-wrap|"
		                "slots-random|stats-max|plant PATH [ARGS]\n");
		return 2;
	}
	const char *cmd = argv[1], *path = argv[2];

	if (strcmp(cmd, "plant") == 0)
		return cmd_plant(path, argc > 3 ? num(argv[3]) : 262144,
		                 argc > 4 ? (uint32_t)num(argv[4]) : 256);
	if (strcmp(cmd, "header") == 0) {
		ring_open(&f, path, false);
		print_header(&f);
		return 0;
	}
	ring_open(&f, path, true);
	if (strcmp(cmd, "garbage-tail") == 0)
		return cmd_garbage_tail(&f);
	if (strcmp(cmd, "garbage-ahead") == 0) {
		if (argc < 4)
			die(2, "%s", "garbage-ahead PATH BYTES [STRIDE] [SEED]");
		uint64_t stride = argc > 4 ? num(argv[4]) : 64;
		if (argc > 5)
			rng_state = num(argv[5]);
		if (stride == 0 || stride % 8 != 0)
			die(2, "%s", "STRIDE must be a non-zero multiple of 8");
		return cmd_garbage_ahead(&f, num(argv[3]), stride);
	}
	if (strcmp(cmd, "garbage-wrap") == 0) {
		if (argc > 4)
			rng_state = num(argv[4]);
		return cmd_garbage_wrap(&f, argc > 3 ? num(argv[3]) & ~UINT64_C(63) : 4096);
	}
	if (strcmp(cmd, "slots-random") == 0) {
		if (argc > 3)
			rng_state = num(argv[3]);
		return cmd_slots_random(&f);
	}
	if (strcmp(cmd, "stats-max") == 0) {
		__atomic_store_n(&hdr(&f)->lost_full, UINT64_MAX, __ATOMIC_SEQ_CST);
		printf("lost_full = %" PRIu64 "\n", UINT64_MAX);
		return 0;
	}
	die(2, "unknown command %s", cmd);
}
