/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evict_tally.c — see evict_tally.h for the file and the identity of the
 * reports.
 */
#include "evict_tally.h"
#include "support/bvapm_clock.h"
#include "log.h"
#include "record/record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define TALLY_NAME "evicted"
#define TALLY_MAGIC "BVEVICT1"
#define TALLY_SIZE 64u

static void encode(const struct bvapm_evict_tally *t, unsigned char b[TALLY_SIZE])
{
	uint32_t zero = 0;
	memset(b, 0, TALLY_SIZE);
	memcpy(b, TALLY_MAGIC, 8);
	memcpy(b + 8, &t->epoch, 8);
	memcpy(b + 16, &t->next_seq, 8);
	memcpy(b + 24, &t->pinned, 8);
	memcpy(b + 32, &t->pinned_pid, 4);
	memcpy(b + 36, &zero, 4);
	memcpy(b + 40, &t->unreported, 8);
	uint32_t crc = (uint32_t)crc32(crc32(0, NULL, 0), b, 48);
	memcpy(b + 48, &crc, 4);
}

/* Returns 0 when b holds a valid tally (copied into t), -1 otherwise. */
static int decode(struct bvapm_evict_tally *t, const unsigned char b[TALLY_SIZE])
{
	uint32_t crc;
	memcpy(&crc, b + 48, 4);
	if (memcmp(b, TALLY_MAGIC, 8) || crc != (uint32_t)crc32(crc32(0, NULL, 0), b, 48))
		return -1;
	memcpy(&t->epoch, b + 8, 8);
	memcpy(&t->next_seq, b + 16, 8);
	memcpy(&t->pinned, b + 24, 8);
	memcpy(&t->pinned_pid, b + 32, 4);
	memcpy(&t->unreported, b + 40, 8);
	return t->next_seq ? 0 : -1;
}

/* Writes a new tally file (temporary name, fsync, rename, directory fsync).
 * Returns 0 or -errno. */
static int create_file(struct bvapm_evict_tally *t)
{
	unsigned char b[TALLY_SIZE];
	encode(t, b);
	int fd = openat(t->dirfd, "." TALLY_NAME ".new", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	int rc = 0;
	errno = 0;
	if (pwrite(fd, b, TALLY_SIZE, 0) != (ssize_t)TALLY_SIZE || fsync(fd) != 0)
		rc = errno ? -errno : -EIO;
	if (!rc && renameat(t->dirfd, "." TALLY_NAME ".new", t->dirfd, TALLY_NAME) != 0)
		rc = -errno;
	if (!rc && fsync(t->dirfd) != 0)
		rc = -errno;
	if (rc) {
		close(fd);
		unlinkat(t->dirfd, "." TALLY_NAME ".new", 0);
		return rc;
	}
	t->fd = fd;
	return 0;
}

/* Makes the file say what t says. Returns 0 or -errno (t stays right in
 * memory; the next change tries again). */
static int persist(struct bvapm_evict_tally *t)
{
	if (t->fd < 0)
		return create_file(t);
	unsigned char b[TALLY_SIZE];
	encode(t, b);
	errno = 0;
	if (pwrite(t->fd, b, TALLY_SIZE, 0) != (ssize_t)TALLY_SIZE || fdatasync(t->fd) != 0)
		return errno ? -errno : -EIO;
	return 0;
}

static void persist_or_log(struct bvapm_evict_tally *t)
{
	int rc = persist(t);
	if (rc)
		LOG_E("spool %s: cannot update the eviction tally %s: %s (the count is kept in memory "
		      "and written at the next change)", t->dir, TALLY_NAME, strerror(-rc));
}

static void fresh(struct bvapm_evict_tally *t)
{
	t->epoch = bvapm_clock_ns(CLOCK_REALTIME);
	t->next_seq = 1;
	t->pinned = t->unreported = 0;
	t->pinned_pid = 0;
}

void bvapm_evict_tally_open(struct bvapm_evict_tally *t, int dirfd, const char *dir)
{
	memset(t, 0, sizeof *t);
	t->dirfd = dirfd;
	t->fd = -1;
	snprintf(t->dir, sizeof t->dir, "%s", dir);
	unlinkat(dirfd, "." TALLY_NAME ".new", 0);
	unsigned char b[TALLY_SIZE];
	int fd = openat(dirfd, TALLY_NAME, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && pread(fd, b, TALLY_SIZE, 0) == (ssize_t)TALLY_SIZE && decode(t, b) == 0) {
		t->fd = fd;
		if (bvapm_evict_tally_owed(t))
			LOG_W("spool %s: %llu evicted records are not in the sink yet; reported once it "
			      "takes records", dir, (unsigned long long)bvapm_evict_tally_owed(t));
		return;
	}
	if (fd >= 0) {
		close(fd);
		LOG_E("spool %s: the eviction tally %s is corrupt; starting a new one (evictions "
		      "counted in it and not yet reported are lost)", dir, TALLY_NAME);
	}
	fresh(t);
	int rc = create_file(t);
	if (rc)
		LOG_W("spool %s: cannot create the eviction tally %s: %s (counting in memory until it "
		      "can be written)", dir, TALLY_NAME, strerror(-rc));
}

void bvapm_evict_tally_close(struct bvapm_evict_tally *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

void bvapm_evict_tally_add(struct bvapm_evict_tally *t, uint64_t records)
{
	if (!records)
		return;
	t->unreported = t->unreported > UINT64_MAX - records ? UINT64_MAX : t->unreported + records;
	persist_or_log(t);
}

uint64_t bvapm_evict_tally_owed(const struct bvapm_evict_tally *t)
{
	return t->pinned > UINT64_MAX - t->unreported ? UINT64_MAX : t->pinned + t->unreported;
}

ssize_t bvapm_evict_tally_report(struct bvapm_evict_tally *t, void *buf, size_t cap,
                                 uint64_t *records)
{
	if (!t->pinned) {
		if (!t->unreported)
			return 0;
		/* The stats value is signed: a larger figure goes in several reports. */
		uint64_t take = t->unreported > INT64_MAX ? (uint64_t)INT64_MAX : t->unreported;
		t->pinned = take;
		t->unreported -= take;
		t->pinned_pid = (uint32_t)getpid();
		persist_or_log(t);
	}
	*records = t->pinned;
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	struct bvapm_rec_envelope env = {
		.host = bvapm_rec_cstr(host),
		.service = bvapm_rec_cstr("bvapm-drainer"),
		.pid = t->pinned_pid,
		.producer_start_unix_ns = t->epoch,
		.sequence = t->next_seq,
		.wall_unix_ns = bvapm_clock_ns(CLOCK_REALTIME),
		.mono_ns = bvapm_clock_ns(CLOCK_MONOTONIC),
	};
	struct bvapm_rec_counter c = { bvapm_rec_cstr("records_evicted"), (int64_t)t->pinned };
	struct bvapm_rec_stats st = { .source = bvapm_rec_cstr("drainer"), .counters = &c,
	                              .counter_count = 1 };
	return bvapm_rec_encode_stats(buf, cap, &env, &st);
}

void bvapm_evict_tally_reported(struct bvapm_evict_tally *t)
{
	if (!t->pinned)
		return;
	t->pinned = 0;
	t->pinned_pid = 0;
	t->next_seq++;
	persist_or_log(t);
}
