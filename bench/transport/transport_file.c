/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport_file.c — write() appending to a spool file: the seeds' disk
 * fallback reduced to its cheapest form. (The seeds wrote one file per record
 * with tempnam + write + rename, which costs several system calls more; these
 * figures are the fallback's best case.)
 *
 * Producers open the file O_WRONLY|O_APPEND and write() each record whole;
 * on Linux an O_APPEND write to a regular file is placed atomically at the
 * end, so records from different producers never interleave. The file lives
 * in the run's work directory (--workdir: a disk, not tmpfs, by default).
 *
 * The consumer tails the file while producers append: it reads what is there,
 * checks every complete record, keeps an incomplete tail for the next read,
 * and punches holes (fallocate PUNCH_HOLE) behind what it has read so a long
 * run does not fill the disk. A write() that returned success is never lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "options.h"
#include "record.h"
#include "run.h"
#include "transport.h"

#define READ_CHUNK (1u << 20)
#define PUNCH_EVERY (UINT64_C(64) << 20)

struct file_state {
	char path[4096];
	int read_fd;
	uint64_t read_off;      /* file offset of buf[0] */
	uint64_t punched;       /* bytes before this offset are released */
	size_t have;            /* bytes in buf */
	unsigned char *buf;     /* READ_CHUNK + BENCH_RECORD_MAX, 8-byte aligned */
	struct bench_consumer_result *result; /* the sink's, for counts at close */
	long idle_wait_ns;      /* --idle-poll-us */
};

struct file_producer {
	int fd;
};

static int file_setup(const struct bench_options *opts, const char *workdir, unsigned run_index,
                      void **out)
{
	struct file_state *s = calloc(1, sizeof(*s));
	int n, fd;

	if (!s)
		return -ENOMEM;
	s->read_fd = -1;
	s->idle_wait_ns = (long)opts->idle_poll_us * 1000L;
	n = snprintf(s->path, sizeof(s->path), "%s/spool-%u.log", workdir, run_index);
	if (n < 0 || (size_t)n >= sizeof(s->path)) {
		free(s);
		return -ENAMETOOLONG;
	}
	fd = open(s->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		int e = errno;
		fprintf(stderr, "file: create %s: %s\n", s->path, strerror(e));
		free(s);
		return -e;
	}
	close(fd);
	*out = s;
	return 0;
}

static int file_consumer_open(void *state)
{
	struct file_state *s = state;

	s->buf = malloc(READ_CHUNK + BENCH_RECORD_MAX);
	s->read_fd = open(s->path, O_RDWR | O_CLOEXEC);
	if (!s->buf || s->read_fd < 0) {
		int e = s->buf ? errno : ENOMEM;
		fprintf(stderr, "file: open %s: %s\n", s->path, strerror(e));
		return -e;
	}
	return 0;
}

/* Hands every complete record in buf to the sink; keeps the incomplete rest. */
static int parse_records(struct file_state *s, struct bench_sink *sink)
{
	size_t off = 0;
	int got = 0;

	while (s->have - off >= sizeof(struct bench_record_header)) {
		struct bench_record_header h;
		memcpy(&h, s->buf + off, sizeof(h));
		if (h.magic != BENCH_RECORD_MAGIC || h.len < BENCH_RECORD_MIN ||
		    h.len > BENCH_RECORD_MAX || h.len % 8 != 0) {
			/* Not a record start: count once, step one word on. */
			sink->result->malformed++;
			off += 8;
			continue;
		}
		if (s->have - off < h.len)
			break;
		bench_sink_record(sink, s->buf + off, h.len);
		off += h.len;
		got++;
	}
	memmove(s->buf, s->buf + off, s->have - off);
	s->have -= off;
	s->read_off += off;
	return got;
}

static void release_consumed(struct file_state *s)
{
	uint64_t upto = s->read_off & ~(uint64_t)4095;

	if (upto - s->punched < PUNCH_EVERY)
		return;
	/* Best effort: a file system without hole punching just keeps the bytes. */
	if (fallocate(s->read_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)s->punched,
	              (off_t)(upto - s->punched)) == 0)
		s->punched = upto;
}

static int file_consumer_poll(void *state, struct bench_sink *sink)
{
	struct file_state *s = state;
	s->result = sink->result;
	ssize_t n = pread(s->read_fd, s->buf + s->have, READ_CHUNK,
	                  (off_t)(s->read_off + s->have));
	if (n < 0) {
		int e = errno;
		fprintf(stderr, "file: read: %s\n", strerror(e));
		return -e;
	}
	if (n == 0) {
		struct timespec ts = {.tv_sec = s->idle_wait_ns / 1000000000L,
		                      .tv_nsec = s->idle_wait_ns % 1000000000L};
		nanosleep(&ts, NULL);
		return 0;
	}
	s->have += (size_t)n;
	int got = parse_records(s, sink);
	release_consumed(s);
	return got;
}

static int64_t file_consumer_close(void *state)
{
	struct file_state *s = state;

	/* Bytes left that never formed a whole record: a torn write. */
	if (s->have && s->result)
		s->result->malformed++;
	close(s->read_fd);
	free(s->buf);
	return 0; /* a successful write() is in the file: never lost */
}

static int file_producer_open(void *state, void **out)
{
	struct file_state *s = state;
	struct file_producer *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->fd = open(s->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (p->fd < 0) {
		int e = errno;
		fprintf(stderr, "file: open %s for appending: %s\n", s->path, strerror(e));
		free(p);
		return -e;
	}
	*out = p;
	return 0;
}

static enum bench_outcome file_send(void *producer, const void *record, uint32_t len)
{
	struct file_producer *p = producer;
	ssize_t n = write(p->fd, record, len);

	if (n == (ssize_t)len)
		return BENCH_SENT;
	if (n >= 0)
		return BENCH_DROP_SHORT_WRITE;
	if (errno == ENOSPC || errno == EDQUOT)
		return BENCH_DROP_NO_SPACE;
	return BENCH_DROP_OTHER;
}

static void file_producer_close(void *producer)
{
	struct file_producer *p = producer;
	close(p->fd);
	free(p);
}

static void file_teardown(void *state)
{
	struct file_state *s = state;
	unlink(s->path);
	free(s);
}

const struct bench_transport bench_transport_file = {
	.name = "file",
	.description = "write() appending to a spool file (the seeds' disk fallback)",
	.setup = file_setup,
	.consumer_open = file_consumer_open,
	.consumer_poll = file_consumer_poll,
	.consumer_close = file_consumer_close,
	.producer_open = file_producer_open,
	.send = file_send,
	.producer_close = file_producer_close,
	.teardown = file_teardown,
};
