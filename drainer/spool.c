/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spool.c — see spool.h for the format and the guarantees.
 *
 * The index is an array of (number, bytes, records) in ascending order with
 * a moving start; numbers only grow, so the oldest is always at the start.
 * Statistics are stored with relaxed atomics: one writer (the owning sink
 * thread), readers (metrics) tolerate values a few operations apart.
 */
#include "spool.h"
#include "support/bvapm_clock.h"
#include "evict_tally.h"
#include "log.h"
#include "record/record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#define SEG_MAGIC "BVSPOOL1"
#define SEG_HEADER 32u

struct seg_entry {
	uint64_t number, bytes, records;
};

/* Repeated log lines (evictions, failed writes) at most once per period;
 * what happened in between is summed into the next line. */
#define LOG_PERIOD_MS 10000u

struct log_limit {
	uint64_t last_ms;          /* last line, 0 = none yet */
	uint64_t events, records;  /* not logged since */
};

struct bvapm_spool {
	char dir[512];
	int dirfd;
	uint64_t max_bytes;
	uint64_t next_number;
	struct seg_entry *segs;
	size_t start, count, cap; /* live entries are segs[start .. start+count) */
	struct bvapm_spool_stats st;
	struct bvapm_evict_tally tally;
	struct log_limit evict_log, error_log;
};

#define STAT_ADD(sp, f, v) __atomic_store_n(&(sp)->st.f, (sp)->st.f + (v), __ATOMIC_RELAXED)
#define STAT_SET(sp, f, v) __atomic_store_n(&(sp)->st.f, (v), __ATOMIC_RELAXED)

static void seg_name(char *buf, size_t len, uint64_t number, int tmp)
{
	snprintf(buf, len, tmp ? ".tmp-%020" PRIu64 : "%020" PRIu64 ".seg", number);
}

static int index_push(struct bvapm_spool *sp, struct seg_entry e)
{
	if (sp->start + sp->count == sp->cap) {
		if (sp->start > 0) {
			memmove(sp->segs, sp->segs + sp->start, sp->count * sizeof *sp->segs);
			sp->start = 0;
		} else {
			size_t ncap = sp->cap ? sp->cap * 2 : 64;
			struct seg_entry *n = realloc(sp->segs, ncap * sizeof *n);
			if (!n)
				return -ENOMEM;
			sp->segs = n;
			sp->cap = ncap;
		}
	}
	sp->segs[sp->start + sp->count++] = e;
	STAT_SET(sp, segments, sp->count);
	STAT_ADD(sp, bytes, e.bytes);
	return 0;
}

static void index_pop(struct bvapm_spool *sp)
{
	STAT_SET(sp, bytes, sp->st.bytes - sp->segs[sp->start].bytes);
	sp->start++;
	sp->count--;
	STAT_SET(sp, segments, sp->count);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct seg_entry *x = a, *y = b;
	return x->number < y->number ? -1 : x->number > y->number;
}

static uint64_t read_count(int dirfd, const char *name)
{
	unsigned char h[SEG_HEADER];
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t r = pread(fd, h, sizeof h, 0);
	close(fd);
	if (r != (ssize_t)sizeof h || memcmp(h, SEG_MAGIC, 8))
		return 0;
	uint32_t n;
	memcpy(&n, h + 12, 4);
	return n;
}

int bvapm_spool_open(const char *dir, uint64_t max_bytes, struct bvapm_spool **out, char *err,
                     size_t errlen)
{
	struct bvapm_spool *sp = calloc(1, sizeof *sp);
	if (!sp)
		return -ENOMEM;
	snprintf(sp->dir, sizeof sp->dir, "%s", dir);
	sp->max_bytes = max_bytes;
	sp->next_number = 1;
	/* mkdir -p for the last two levels is enough for <spool>/<sink>. */
	char parent[512];
	snprintf(parent, sizeof parent, "%s", dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = 0;
		mkdir(parent, 0750);
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		int e = errno;
		snprintf(err, errlen, "cannot create spool directory %s: %s", dir, strerror(e));
		free(sp);
		return -e;
	}
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open spool directory %s: %s", dir, strerror(e));
		free(sp);
		return -e;
	}
	mkdirat(sp->dirfd, "quarantine", 0750);
	bvapm_evict_tally_open(&sp->tally, sp->dirfd, dir);
	DIR *d = fdopendir(dup(sp->dirfd));
	if (!d) {
		int e = errno;
		snprintf(err, errlen, "cannot list spool directory %s: %s", dir, strerror(e));
		bvapm_spool_close(sp);
		return -e;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		uint64_t num;
		char extra;
		if (!strncmp(de->d_name, ".tmp-", 5)) {
			unlinkat(sp->dirfd, de->d_name, 0);
			continue;
		}
		if (sscanf(de->d_name, "%20" SCNu64 ".se%c", &num, &extra) == 2 && extra == 'g' &&
		    strlen(de->d_name) == 24) {
			struct stat stt;
			if (fstatat(sp->dirfd, de->d_name, &stt, 0) != 0)
				continue;
			struct seg_entry e = { num, (uint64_t)stt.st_size, read_count(sp->dirfd, de->d_name) };
			if (index_push(sp, e)) {
				closedir(d);
				bvapm_spool_close(sp);
				return -ENOMEM;
			}
			if (num >= sp->next_number)
				sp->next_number = num + 1;
		}
	}
	closedir(d);
	if (sp->count)
		qsort(sp->segs + sp->start, sp->count, sizeof *sp->segs, cmp_entry);
	*out = sp;
	return 0;
}

/* True when a line may be logged now: the first time, then once per period. */
static bool log_due(struct log_limit *l, uint64_t now)
{
	return l->last_ms == 0 || now - l->last_ms >= LOG_PERIOD_MS;
}

static void log_evictions(struct bvapm_spool *sp, const char *why, bool force)
{
	struct log_limit *l = &sp->evict_log;
	uint64_t now = bvapm_mono_ms();
	if (!l->events || (!force && !log_due(l, now)))
		return;
	LOG_W("spool %s: evicted %" PRIu64 " records (%" PRIu64 " segment%s, oldest first) to take "
	      "new ones: the spool is full and %s", sp->dir, l->records, l->events,
	      l->events == 1 ? "" : "s", why);
	l->last_ms = now;
	l->events = l->records = 0;
}

void bvapm_spool_close(struct bvapm_spool *sp)
{
	if (!sp)
		return;
	log_evictions(sp, "the ring was nearly full", true);
	bvapm_evict_tally_close(&sp->tally);
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	free(sp->segs);
	free(sp);
}

/* Removes the oldest segment, counted first (tally persisted before the
 * unlink: a crash in between over-counts one segment, never under-counts). */
static void evict_oldest(struct bvapm_spool *sp, const char *why)
{
	char name[64];
	struct seg_entry e = sp->segs[sp->start];
	seg_name(name, sizeof name, e.number, 0);
	bvapm_evict_tally_add(&sp->tally, e.records);
	unlinkat(sp->dirfd, name, 0);
	index_pop(sp);
	STAT_ADD(sp, evicted_segments, 1);
	STAT_ADD(sp, evicted_records, e.records);
	sp->evict_log.events++;
	sp->evict_log.records += e.records;
	log_evictions(sp, why, false);
}

/* Logs an error line, at most once per period; the lines skipped in
 * between are counted in the next one. */
static void log_error(struct bvapm_spool *sp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void log_error(struct bvapm_spool *sp, const char *fmt, ...)
{
	struct log_limit *l = &sp->error_log;
	uint64_t now = bvapm_mono_ms();
	if (!log_due(l, now)) {
		l->events++;
		return;
	}
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (l->events)
		LOG_E("spool %s: %s (%" PRIu64 " similar errors since the last message)", sp->dir, line,
		      l->events);
	else
		LOG_E("spool %s: %s", sp->dir, line);
	l->last_ms = now;
	l->events = 0;
}

static int write_all(int fd, struct iovec *iov, int iovcnt)
{
	while (iovcnt > 0) {
		ssize_t w = writev(fd, iov, iovcnt > IOV_MAX ? IOV_MAX : iovcnt);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (iovcnt > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0 && w > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int write_segment(struct bvapm_spool *sp, const struct bvapm_sink_record *recs, size_t n,
                         uint64_t payload, uint64_t number)
{
	static const uint8_t zeros[8];
	unsigned char h[SEG_HEADER] = { 0 };
	struct iovec *iov = calloc(3 * n + 1, sizeof *iov);
	uint32_t *lens = calloc(2 * n, sizeof *lens);
	if (!iov || !lens) {
		free(iov);
		free(lens);
		return -ENOMEM;
	}
	uLong crc = crc32(0, NULL, 0);
	int k = 1;
	for (size_t i = 0; i < n; i++) {
		lens[2 * i] = recs[i].len;
		iov[k].iov_base = &lens[2 * i];
		iov[k++].iov_len = 8;
		iov[k].iov_base = (void *)recs[i].data;
		iov[k++].iov_len = recs[i].len;
		crc = crc32(crc, (const Bytef *)&lens[2 * i], 8);
		crc = crc32(crc, recs[i].data, recs[i].len);
		size_t pad = (8 - (recs[i].len & 7)) & 7;
		if (pad) {
			iov[k].iov_base = (void *)zeros;
			iov[k++].iov_len = pad;
			crc = crc32(crc, zeros, (uInt)pad);
		}
	}
	uint32_t ver = 1, cnt = (uint32_t)n, c32 = (uint32_t)crc;
	memcpy(h, SEG_MAGIC, 8);
	memcpy(h + 8, &ver, 4);
	memcpy(h + 12, &cnt, 4);
	memcpy(h + 16, &payload, 8);
	memcpy(h + 24, &c32, 4);
	iov[0].iov_base = h;
	iov[0].iov_len = SEG_HEADER;

	char tmp[64], final[64];
	seg_name(tmp, sizeof tmp, number, 1);
	seg_name(final, sizeof final, number, 0);
	int rc = 0;
	int fd = openat(sp->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		rc = -errno;
	if (!rc)
		rc = write_all(fd, iov, k);
	if (!rc && fsync(fd) != 0)
		rc = -errno;
	if (fd >= 0 && close(fd) != 0 && !rc)
		rc = -errno;
	if (!rc && renameat(sp->dirfd, tmp, sp->dirfd, final) != 0)
		rc = -errno;
	/* The rename is durable only once the directory is. */
	if (!rc && fsync(sp->dirfd) != 0)
		rc = -errno;
	if (rc) {
		unlinkat(sp->dirfd, tmp, 0);
		unlinkat(sp->dirfd, final, 0);
	}
	free(iov);
	free(lens);
	return rc;
}

static bool disk_full(int rc)
{
	return rc == -ENOSPC || rc == -EDQUOT || rc == -EFBIG;
}

/* Writes one segment under the next number and indexes it. */
static int write_indexed(struct bvapm_spool *sp, const struct bvapm_sink_record *recs, size_t n,
                         uint64_t payload)
{
	uint64_t number = sp->next_number++;
	int rc = write_segment(sp, recs, n, payload, number);
	if (rc)
		return rc;
	struct seg_entry e = { number, SEG_HEADER + payload, n };
	if (index_push(sp, e))
		return -ENOMEM;
	STAT_ADD(sp, written_records, n);
	STAT_ADD(sp, written_segments, 1);
	return 0;
}

int bvapm_spool_write(struct bvapm_spool *sp, const struct bvapm_sink_record *recs, size_t n,
                      const char *evict_reason)
{
	if (n == 0)
		return 0;
	uint64_t payload = 0;
	for (size_t i = 0; i < n; i++)
		payload += 8 + ((recs[i].len + 7u) & ~7u);
	uint64_t size = SEG_HEADER + payload;
	if (size > sp->max_bytes) {
		STAT_ADD(sp, write_errors, 1);
		log_error(sp, "a segment of %" PRIu64 " bytes exceeds [spool] max_bytes", size);
		return -EMSGSIZE;
	}
	if (sp->st.bytes + size > sp->max_bytes && !evict_reason)
		return -ENOBUFS;
	while (sp->count && sp->st.bytes + size > sp->max_bytes)
		evict_oldest(sp, evict_reason);
	for (;;) {
		int rc = write_indexed(sp, recs, n, payload);
		if (rc == 0 || rc == -ENOMEM)
			return rc;
		STAT_ADD(sp, write_errors, 1);
		log_error(sp, "cannot write a segment of %zu records: %s%s", n, strerror(-rc),
		          disk_full(rc) ? " (disk full or file size limit)" : "");
		if (!disk_full(rc) || !evict_reason || sp->count == 0)
			return rc;
		evict_oldest(sp, evict_reason);
	}
}

static void quarantine(struct bvapm_spool *sp, const char *name, const char *why)
{
	char dst[128];
	snprintf(dst, sizeof dst, "quarantine/%s", name);
	if (renameat(sp->dirfd, name, sp->dirfd, dst) != 0)
		unlinkat(sp->dirfd, name, 0);
	STAT_ADD(sp, quarantined_segments, 1);
	LOG_E("spool %s: segment %s is corrupt (%s): moved to quarantine/", sp->dir, name, why);
}

/* Reads and checks one segment; returns NULL with *why set when corrupt. */
static struct bvapm_spool_segment *load(struct bvapm_spool *sp, const char *name, uint64_t number,
                                        const char **why)
{
	struct bvapm_spool_segment *seg = NULL;
	uint8_t *buf = NULL;
	int fd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC);
	struct stat st;
	*why = "cannot open";
	if (fd < 0 || fstat(fd, &st) != 0)
		goto fail;
	*why = "shorter than its header";
	if ((uint64_t)st.st_size < SEG_HEADER || (uint64_t)st.st_size > (1ull << 32))
		goto fail;
	buf = malloc((size_t)st.st_size + 8);
	*why = "read error";
	if (!buf || pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
		goto fail;
	uint32_t ver, cnt, c32;
	uint64_t payload;
	memcpy(&ver, buf + 8, 4);
	memcpy(&cnt, buf + 12, 4);
	memcpy(&payload, buf + 16, 8);
	memcpy(&c32, buf + 24, 4);
	*why = "bad magic or version";
	if (memcmp(buf, SEG_MAGIC, 8) || ver != 1)
		goto fail;
	*why = "size does not match the header";
	if (payload != (uint64_t)st.st_size - SEG_HEADER || cnt > payload / 8)
		goto fail;
	*why = "checksum mismatch";
	if ((uint32_t)crc32(crc32(0, NULL, 0), buf + SEG_HEADER, (uInt)payload) != c32)
		goto fail;
	seg = calloc(1, sizeof *seg);
	*why = "out of memory";
	if (!seg || !(seg->recs = calloc(cnt ? cnt : 1, sizeof *seg->recs)))
		goto fail;
	uint64_t off = SEG_HEADER;
	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t len;
		*why = "record framing";
		if (off + 8 > (uint64_t)st.st_size)
			goto fail;
		memcpy(&len, buf + off, 4);
		off += 8;
		if (len > (uint64_t)st.st_size - off)
			goto fail;
		*why = "a record the codec rejects";
		if (bvapm_rec_verify(buf + off, len, NULL, NULL) != 0)
			goto fail;
		bvapm_rec_record_ref r = bvapm_rec_root(buf + off);
		struct bvapm_sink_record *sr = &seg->recs[i];
		sr->data = buf + off;
		sr->len = len;
		sr->kind = bvapm_rec_record_body_type(r);
		sr->pid = bvapm_rec_record_pid(r);
		sr->producer_start_unix_ns = bvapm_rec_record_producer_start_unix_ns(r);
		sr->sequence = bvapm_rec_record_sequence(r);
		off += (len + 7u) & ~7u;
	}
	close(fd);
	seg->number = number;
	seg->n = cnt;
	seg->data = buf;
	return seg;
fail:
	if (fd >= 0)
		close(fd);
	if (seg)
		free(seg->recs);
	free(seg);
	free(buf);
	return NULL;
}

int bvapm_spool_oldest(struct bvapm_spool *sp, struct bvapm_spool_segment **out)
{
	while (sp->count) {
		char name[64];
		struct seg_entry e = sp->segs[sp->start];
		const char *why;
		seg_name(name, sizeof name, e.number, 0);
		struct bvapm_spool_segment *seg = load(sp, name, e.number, &why);
		if (seg) {
			*out = seg;
			return 1;
		}
		if (!strcmp(why, "out of memory"))
			return -ENOMEM;
		quarantine(sp, name, why);
		index_pop(sp);
	}
	return 0;
}

void bvapm_spool_done(struct bvapm_spool *sp, struct bvapm_spool_segment *seg, int delivered)
{
	if (delivered && sp->count && sp->segs[sp->start].number == seg->number) {
		char name[64];
		seg_name(name, sizeof name, seg->number, 0);
		unlinkat(sp->dirfd, name, 0);
		index_pop(sp);
		STAT_ADD(sp, replayed_records, seg->n);
	}
	free(seg->recs);
	free(seg->data);
	free(seg);
}

ssize_t bvapm_spool_evict_report(struct bvapm_spool *sp, void *buf, size_t cap,
                                 uint64_t *records)
{
	return bvapm_evict_tally_report(&sp->tally, buf, cap, records);
}

void bvapm_spool_evict_reported(struct bvapm_spool *sp)
{
	bvapm_evict_tally_reported(&sp->tally);
}

uint64_t bvapm_spool_segments(const struct bvapm_spool *sp)
{
	return sp->count;
}

void bvapm_spool_get_stats(const struct bvapm_spool *sp, struct bvapm_spool_stats *out)
{
	const uint64_t *src = (const uint64_t *)&sp->st;
	uint64_t *dst = (uint64_t *)out;
	for (size_t i = 0; i < sizeof *out / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
