/*
 * record_writer.c — bvapm-test-writer, a stand-in for PHP workers and the
 * drainer in the bvapm-shm tests: it writes real FlatBuffers records (encoded
 * by the record codec, as the agent does) into a real ring, holds a live slot
 * inside a request, or drains the ring verifying every record.
 *
 *   bvapm-test-writer create NAME [CAPACITY]      create the ring as the drainer does
 *   bvapm-test-writer write NAME KIND COUNT [RATE] COUNT records of KIND (request,
 *                                                  fatal, aborted, stats); request i has
 *                                                  URI /item/i; RATE records/s (0: at once)
 *   bvapm-test-writer hold NAME SECONDS METHOD URI CHECKPOINT SQL
 *                                                  a worker inside a request: prints
 *                                                  "holding PID" once the slot is set
 *   bvapm-test-writer consume NAME SECONDS         drain, verify and release; prints
 *                                                  "consumed N invalid M"
 *
 * Single-threaded; exit 0 on success, 1 on failure, 2 on usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "record/record.h"
#include "ring/ring.h"

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t mono_ns)
{
	struct timespec ts = {(time_t)(mono_ns / 1000000000u), (long)(mono_ns % 1000000000u)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int create(const char *name, const char *capacity)
{
	struct bvapm_ring_create_opts o = {.name = name, .group = (gid_t)-1,
	                                   .capacity = capacity ? strtoull(capacity, NULL, 0) : 0};
	struct bvapm_ring_error err;
	bvapm_ring *r = NULL;

	if (bvapm_ring_create(&o, &r, &err) != 0) {
		fprintf(stderr, "create: %s\n", err.msg);
		return 1;
	}
	bvapm_ring_close(r);
	return 0;
}

/* Encodes record number seq of kind into buf; returns its length or < 0. */
static ssize_t encode(unsigned kind, uint64_t seq, void *buf, size_t cap)
{
	char uri[64];
	struct bvapm_rec_envelope env = {
		.host = bvapm_rec_cstr("test-host"),
		.service = bvapm_rec_cstr("shm-test"),
		.pid = (uint32_t)getpid(),
		.producer_start_unix_ns = 1,
		.sequence = seq,
		.wall_unix_ns = now_ns(CLOCK_REALTIME),
		.mono_ns = now_ns(CLOCK_MONOTONIC),
	};
	struct bvapm_rec_checkpoint cp = {bvapm_rec_cstr("loaded"), 1000, 4u << 20, 1u << 20, 4u << 20};

	snprintf(uri, sizeof(uri), "/item/%llu", (unsigned long long)seq);
	switch (kind) {
	case BVAPM_REC_KIND_REQUEST: {
		struct bvapm_rec_request req = {
			.method = bvapm_rec_cstr("GET"), .uri = bvapm_rec_cstr(uri),
			.sapi = bvapm_rec_cstr("fpm-fcgi"), .status = 200,
			.mode = BVAPM_REC_MODE_AGGRESSIVE, .keep_reason = BVAPM_REC_KEEP_SAMPLED,
			.start_unix_ns = env.wall_unix_ns, .wall_ns = 1500000,
			.mem_start_bytes = 3u << 20, .mem_end_bytes = 4u << 20, .mem_peak_bytes = 5u << 20,
			.checkpoints = &cp, .checkpoint_count = 1,
		};
		return bvapm_rec_encode_request(buf, cap, &env, &req);
	}
	case BVAPM_REC_KIND_FATAL: {
		struct bvapm_rec_fatal f = {
			.type = bvapm_rec_cstr("E_ERROR"),
			.message = bvapm_rec_cstr("Allowed memory size of 134217728 bytes exhausted"),
			.file = bvapm_rec_cstr("/srv/app.php"), .line = 12, .out_of_memory = true,
			.method = bvapm_rec_cstr("POST"), .uri = bvapm_rec_cstr(uri),
			.mem_usage_bytes = 128u << 20, .mem_limit_bytes = 128u << 20,
		};
		return bvapm_rec_encode_fatal(buf, cap, &env, &f);
	}
	case BVAPM_REC_KIND_ABORTED: {
		struct bvapm_rec_aborted a = {
			.pid = 4242, .method = bvapm_rec_cstr("GET"), .uri = bvapm_rec_cstr(uri),
			.running_ns = 5000000000u, .last_checkpoint = bvapm_rec_cstr("loaded"),
		};
		return bvapm_rec_encode_aborted(buf, cap, &env, &a);
	}
	case BVAPM_REC_KIND_STATS: {
		struct bvapm_rec_counter c = {bvapm_rec_cstr("requests"), (int64_t)seq};
		struct bvapm_rec_stats s = {.source = bvapm_rec_cstr("agent"), .interval_ns = 1000000000u,
		                            .counters = &c, .counter_count = 1};
		return bvapm_rec_encode_stats(buf, cap, &env, &s);
	}
	default: return -EINVAL;
	}
}

static int write_records(const char *name, const char *kind_name, unsigned long count, double rate)
{
	static uint64_t buf[4096 / 8]; /* 8-byte aligned, as the encoder wants */
	static const char *const kinds[] = {"", "request", "fatal", "aborted", "stats"};
	struct bvapm_ring_error err;
	bvapm_ring *r = NULL;
	unsigned kind = 0;
	unsigned long dropped = 0;

	for (unsigned k = 1; k < 5; k++)
		if (strcmp(kind_name, kinds[k]) == 0)
			kind = k;
	if (kind == 0) {
		fprintf(stderr, "unknown kind %s\n", kind_name);
		return 2;
	}
	if (bvapm_ring_attach(name, &r, &err) != 0) {
		fprintf(stderr, "attach: %s\n", err.msg);
		return 1;
	}
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	for (uint64_t seq = 1; seq <= count; seq++) {
		if (rate > 0)
			sleep_until(start + (uint64_t)((double)(seq - 1) * 1e9 / rate));
		ssize_t len = encode(kind, seq, buf, sizeof(buf));
		if (len < 0) {
			fprintf(stderr, "encode: %zd\n", len);
			bvapm_ring_close(r);
			return 1;
		}
		if (bvapm_ring_write(r, (uint16_t)kind, buf, (uint32_t)len) != 0)
			dropped++;
	}
	bvapm_ring_close(r);
	printf("written %lu dropped %lu\n", count - dropped, dropped);
	return 0;
}

static int hold(const char *name, double seconds, const char *method, const char *uri,
                const char *checkpoint, const char *sql)
{
	struct bvapm_ring_error err;
	bvapm_ring *r = NULL;

	if (bvapm_ring_attach(name, &r, &err) != 0) {
		fprintf(stderr, "attach: %s\n", err.msg);
		return 1;
	}
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	bvapm_ring_slot_request_begin(r, "4bf92f3577b34da6a3ce929d0e0e4736", method, uri,
	                              now_ns(CLOCK_REALTIME), start);
	bvapm_ring_slot_checkpoint(r, checkpoint, 12345678, now_ns(CLOCK_MONOTONIC));
	bvapm_ring_slot_sql(r, sql, now_ns(CLOCK_MONOTONIC));
	printf("holding %d\n", (int)getpid());
	fflush(stdout);
	sleep_until(start + (uint64_t)(seconds * 1e9));
	bvapm_ring_slot_request_end(r);
	bvapm_ring_close(r);
	return 0;
}

static int consume(const char *name, double seconds)
{
	struct bvapm_ring_error err;
	struct bvapm_ring_record recs[256];
	bvapm_ring *r = NULL;
	unsigned long long consumed = 0, invalid = 0;

	if (bvapm_ring_open(name, BVAPM_RING_CONSUMER, &r, &err) != 0) {
		fprintf(stderr, "consume: %s\n", err.msg);
		return 1;
	}
	uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	while (now_ns(CLOCK_MONOTONIC) < end) {
		int n = bvapm_ring_peek(r, recs, 256);
		for (int i = 0; i < n; i++) {
			if (bvapm_rec_verify(recs[i].data, recs[i].len, NULL, NULL) != 0)
				invalid++;
			consumed++;
		}
		if (n > 0)
			bvapm_ring_release(r, recs[n - 1].end);
		else
			usleep(1000);
	}
	bvapm_ring_close(r);
	printf("consumed %llu invalid %llu\n", consumed, invalid);
	return invalid == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "create") == 0)
		return create(argv[2], argc > 3 ? argv[3] : NULL);
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "write") == 0)
		return write_records(argv[2], argv[3], strtoul(argv[4], NULL, 10),
		                     argc == 6 ? atof(argv[5]) : 0);
	if (argc == 8 && strcmp(argv[1], "hold") == 0)
		return hold(argv[2], atof(argv[3]), argv[4], argv[5], argv[6], argv[7]);
	if (argc == 4 && strcmp(argv[1], "consume") == 0)
		return consume(argv[2], atof(argv[3]));
	fprintf(stderr, "usage: bvapm-test-writer create NAME [CAPACITY] | write NAME KIND COUNT "
	                "[RATE] | hold NAME SECONDS METHOD URI CHECKPOINT SQL | consume NAME SECONDS\n");
	return 2;
}
