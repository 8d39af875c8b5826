/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_create.c — the drainer creates the ring file.
 *
 * O_CREAT|O_EXCL|O_NOFOLLOW so an existing file (or a planted symlink) is
 * never reused or followed; the mode is set explicitly (umask would strip the
 * group bits agents need) and the group changed when configured. The space is
 * allocated with posix_fallocate so a too-small /dev/shm fails here with
 * ENOSPC instead of later with SIGBUS in a PHP worker. Every data word is
 * written with its FREE marker, which also pre-faults every page. The ready
 * flag is stored last, with release ordering, so an agent that sees ready=1
 * sees a complete header.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ring_internal.h"

/* Test-only knob: start positions at this value (a multiple of 8) to exercise
 * 64-bit positions near 2^32 and far beyond. Read from the environment so the
 * public options stay free of it. */
static uint64_t initial_position(void)
{
	const char *s = getenv("BVAPM_RING_TEST_INITIAL_POS");

	return s != NULL ? strtoull(s, NULL, 0) & ~UINT64_C(7) : 0;
}

static void init_layout(struct bvapm_ring_header *h, const struct bvapm_ring_create_opts *o,
                        uint64_t slot_offset, uint64_t data_offset)
{
	uint8_t *data = (uint8_t *)h + data_offset;
	uint64_t start = initial_position();
	uint64_t cap = o->capacity;
	unsigned shift = (unsigned)__builtin_ctzll(cap);

	/* create_pid and create_time_ns are there already */
	h->magic = BVAPM_RING_MAGIC;
	h->abi_major = BVAPM_RING_ABI_MAJOR;
	h->abi_minor = BVAPM_RING_ABI_MINOR;
	h->header_size = sizeof(*h);
	h->slot_size = BVAPM_RING_SLOT_SIZE;
	h->slot_count = o->slot_count;
	h->max_record = o->max_record;
	h->capacity = cap;
	h->data_offset = data_offset;
	h->slot_offset = slot_offset;
	h->head = start;
	h->tail = start;

	/* The word at offset o is next claimed at the position p in
	 * [start, start + cap) with p & mask == o: mark it FREE for p's lap. */
	for (uint64_t p = start; p < start + cap; p += 8)
		*(uint64_t *)(void *)(data + (p & (cap - 1))) = bvapm_cw_free(p >> shift);
}

int bvapm_ring_create(const struct bvapm_ring_create_opts *in, struct bvapm_ring **out,
                      struct bvapm_ring_error *err)
{
	struct bvapm_ring_create_opts o = *in;
	char path[128];
	int fd, rc;

	*out = NULL;
	if (o.name == NULL)
		o.name = BVAPM_RING_DEFAULT_NAME;
	if (o.capacity == 0)
		o.capacity = BVAPM_RING_DEFAULT_CAPACITY;
	if (o.max_record == 0)
		o.max_record = BVAPM_RING_DEFAULT_MAX_RECORD;
	if (o.max_record > o.capacity / 2)
		o.max_record = (uint32_t)(o.capacity / 2);
	if (o.slot_count == 0)
		o.slot_count = BVAPM_RING_DEFAULT_SLOTS;
	if (o.mode == 0)
		o.mode = 0660;

	if (o.mode & 0002)
		return bvapm_ring_fail(err, -EINVAL,
		                       "ring mode %04o would let every local user write (and truncate) "
		                       "the ring: use 0660 with the PHP workers' group",
		                       (unsigned)(o.mode & 07777));
	rc = bvapm_ring_path(o.name, path, sizeof(path));
	if (rc != 0)
		return bvapm_ring_fail(err, rc,
		                       "invalid ring name '%s' (1-64 characters of A-Z a-z 0-9 . _ -)",
		                       o.name);
	if ((o.capacity & (o.capacity - 1)) != 0 || o.capacity < BVAPM_RING_MIN_CAPACITY ||
	    o.capacity > BVAPM_RING_MAX_CAPACITY)
		return bvapm_ring_fail(err, -EINVAL,
		                       "ring size %llu must be a power of two between 4 KiB and 16 GiB",
		                       (unsigned long long)o.capacity);
	if (o.max_record < 64 || o.max_record > BVAPM_RING_MAX_RECORD_LIMIT)
		return bvapm_ring_fail(err, -EINVAL, "max record size %u must be between 64 B and 32 MiB",
		                       o.max_record);
	o.max_record &= ~UINT32_C(7);
	if (o.slot_count > BVAPM_RING_MAX_SLOTS)
		return bvapm_ring_fail(err, -EINVAL, "slot count %u exceeds %u", o.slot_count,
		                       BVAPM_RING_MAX_SLOTS);

	uint64_t slot_offset = BVAPM_RING_PAGE;
	uint64_t slot_bytes = (uint64_t)o.slot_count * BVAPM_RING_SLOT_SIZE;
	uint64_t data_offset = (slot_offset + slot_bytes + BVAPM_RING_PAGE - 1) & ~(uint64_t)(BVAPM_RING_PAGE - 1);
	uint64_t size = data_offset + o.capacity;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, o.mode & 0666);
	if (fd < 0) {
		int e = errno;
		if (e == EEXIST)
			return bvapm_ring_fail(err, -EEXIST, "%s already exists", path);
		return bvapm_ring_fail(err, -e, "cannot create %s: %s", path, strerror(e));
	}
	if (fchmod(fd, o.mode & 0666) != 0 ||
	    (o.group != (gid_t)-1 && fchown(fd, (uid_t)-1, o.group) != 0)) {
		rc = -errno;
		bvapm_ring_fail(err, rc, "cannot set mode %04o / group %d on %s: %s",
		                (unsigned)(o.mode & 0666), (int)o.group, path, strerror(errno));
		goto fail;
	}
	/* The creator's pid and start go in before the slow part (allocating and
	 * populating a large ring takes seconds): from here on, a creation cut off
	 * is told from one in progress by them (ring_open.c, not_ready). */
	struct bvapm_ring_header creator = { .create_pid = (uint32_t)getpid(),
	                                     .create_time_ns = bvapm_clock_ns(CLOCK_REALTIME) };
	if (pwrite(fd, &creator, sizeof(creator), 0) != (ssize_t)sizeof(creator)) {
		rc = -errno;
		bvapm_ring_fail(err, rc, "cannot write %s: %s", path, strerror(errno));
		goto fail;
	}
	rc = posix_fallocate(fd, 0, (off_t)size);
	if (rc != 0) {
		bvapm_ring_fail(err, -rc, "cannot allocate %llu bytes for %s: %s",
		                (unsigned long long)size, path, strerror(rc));
		rc = -rc;
		goto fail;
	}

	void *map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
	                 MAP_SHARED | (o.prefault ? MAP_POPULATE : 0), fd, 0);
	if (map == MAP_FAILED) {
		rc = -errno;
		bvapm_ring_fail(err, rc, "cannot map %s: %s", path, strerror(errno));
		goto fail;
	}
	init_layout(map, &o, slot_offset, data_offset);
	/* Everything above before the ready flag: an agent that reads ready=1
	 * with acquire ordering sees the complete header and FREE markers. */
	ck_pr_fence_store();
	ck_pr_store_32(&((struct bvapm_ring_header *)map)->ready, 1);
	munmap(map, (size_t)size);

	rc = bvapm_ring_map_fd(fd, path, BVAPM_RING_CONSUMER, true, out, err);
	if (rc != 0)
		goto fail;
	close(fd);
	return 0;
fail:
	close(fd);
	unlink(path);
	return rc;
}
