/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fake_producer.c — bvapm-fake-producer: PHP workers and the drainer played
 * by one small program, for the tests and the benchmarks. It writes real
 * FlatBuffers records (encoded by the record codec, as the agent does) into
 * a real ring, holds a live slot inside a request as a worker does, and
 * stands in for the drainer (create the ring, consume it).
 *
 * Producer side:
 *   write NAME KIND COUNT [RATE]   COUNT records of KIND (request, fatal,
 *                                  aborted, stats); request i has URI /item/i;
 *                                  RATE records/s (0: at once); prints
 *                                  "written N dropped M"
 *   load --ring NAME [--records N] [--size BYTES] [--rate PER_S] [--lost FILE]
 *        [--garbage] [--in-requests] [--die-in-request]
 *                                  N request records (default 1000) with this
 *                                  process's sequence numbers 1..N, so a test
 *                                  knows exactly which must be stored; waits
 *                                  (10 s) for the ring to appear; prints
 *                                  "load pid=P start=S records=N committed=C
 *                                  lost=L"; --lost FILE gets one refused
 *                                  sequence number per line; --garbage writes
 *                                  random payloads in valid framing (a rogue
 *                                  producer); --in-requests wraps each record
 *                                  in a request of the live slot (begin,
 *                                  checkpoint, SQL, end); --die-in-request
 *                                  begins a request (GET /dying, checkpoint
 *                                  before-crash, SQL) and dies of SIGKILL
 *   hold NAME SECONDS METHOD URI CHECKPOINT SQL
 *                                  a worker inside a request: prints
 *                                  "holding PID" once the slot is set
 *
 * Consumer side:
 *   create NAME [CAPACITY]         create the ring as the drainer does,
 *                                  replacing one left by an earlier run
 *   consume NAME SECONDS           drain, verify and release for SECONDS;
 *                                  prints "consumed N invalid M"; exit 1 if a
 *                                  record did not verify
 *   drain NAME SECONDS             discard records for SECONDS or until
 *                                  SIGTERM/SIGINT (a stand-in drainer for the
 *                                  benchmarks); prints how many
 *   dump NAME                      one JSON object per record, then exits
 *   fill NAME                      writes 512-byte records until the ring
 *                                  is full
 *   stat NAME                      losses by reason and records consumed,
 *                                  one "key value" line each (read-only)
 *   slots NAME                     one line per worker in a request:
 *                                  "<pid> <current SQL>" (read-only)
 *
 * Single-threaded; exit 0 on success, 1 on failure, 2 on usage.
 * tools/ring-demo is the ring's own demo (raw checksummed bytes, no codec)
 * and shares nothing with this: it is a product, this is a test fixture.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "record/record.h"
#include "ring/ring.h"

#define TRACE_ID "4bf92f3577b34da6a3ce929d0e0e4736"

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

/* Attaches as a producer; with wait_s > 0, retries while the drainer may
 * still be creating the ring. */
static bvapm_ring *attach(const char *name, double wait_s)
{
	struct bvapm_ring_error err;
	bvapm_ring *r = NULL;
	uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)(wait_s * 1e9);

	while (bvapm_ring_attach(name, &r, &err) != 0) {
		r = NULL;
		if (now_ns(CLOCK_MONOTONIC) >= end) {
			fprintf(stderr, "cannot attach to ring %s: %s\n", name, err.msg);
			return NULL;
		}
		usleep(10000);
	}
	return r;
}

/* Opens as the consumer (BVAPM_RING_CONSUMER) or read-only
 * (BVAPM_RING_READONLY). */
static bvapm_ring *open_ring(const char *name, enum bvapm_ring_role role)
{
	struct bvapm_ring_error err;
	bvapm_ring *r = NULL;

	if (bvapm_ring_open(name, role, &r, &err) != 0) {
		fprintf(stderr, "%s: %s\n", name, err.msg);
		return NULL;
	}
	return r;
}

/* Begins a request in the live slot with a checkpoint and an SQL statement. */
static void slot_begin(bvapm_ring *r, const char *method, const char *uri, const char *checkpoint,
                       uint64_t memory, const char *sql)
{
	bvapm_ring_slot_request_begin(r, TRACE_ID, method, uri, now_ns(CLOCK_REALTIME),
	                              now_ns(CLOCK_MONOTONIC));
	bvapm_ring_slot_checkpoint(r, checkpoint, memory, now_ns(CLOCK_MONOTONIC));
	bvapm_ring_slot_sql(r, sql, now_ns(CLOCK_MONOTONIC));
}

/* ---- write: a few records of every kind ------------------------------------ */

/* Encodes record number seq of kind into buf; returns its length or < 0. */
static ssize_t encode_kind(unsigned kind, uint64_t seq, void *buf, size_t cap)
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
	unsigned kind = 0;
	unsigned long dropped = 0;

	for (unsigned k = 1; k < 5; k++)
		if (strcmp(kind_name, kinds[k]) == 0)
			kind = k;
	if (kind == 0) {
		fprintf(stderr, "unknown kind %s\n", kind_name);
		return 2;
	}
	bvapm_ring *r = attach(name, 0);
	if (!r)
		return 1;
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	for (uint64_t seq = 1; seq <= count; seq++) {
		if (rate > 0)
			sleep_until(start + (uint64_t)((double)(seq - 1) * 1e9 / rate));
		ssize_t len = encode_kind(kind, seq, buf, sizeof(buf));
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

/* ---- load: numbered request records, for exact accounting ------------------- */

struct load_opts {
	const char *ring, *lost_path;
	unsigned long long records, rate;
	unsigned size;
	int garbage, die, in_requests;
};

/* A request record with sequence number seq; route pads it to the size asked. */
static ssize_t encode_load(const char *route, uint64_t start, uint64_t seq, void *buf, size_t cap)
{
	struct bvapm_rec_envelope env = {
		.host = bvapm_rec_cstr("loadgen"), .service = bvapm_rec_cstr("test"),
		.pid = (uint32_t)getpid(), .producer_start_unix_ns = start, .sequence = seq,
		.wall_unix_ns = now_ns(CLOCK_REALTIME), .mono_ns = now_ns(CLOCK_MONOTONIC),
	};
	struct bvapm_rec_checkpoint cp[2] = {
		{ bvapm_rec_cstr("boot"), 1000, 2 << 20, 2 << 20, 2 << 20 },
		{ bvapm_rec_cstr("controller"), 5000, 6 << 20, 4 << 20, 7 << 20 },
	};
	struct bvapm_rec_sql sql[1] = {
		{ bvapm_rec_cstr("SELECT * FROM users WHERE id = ?"), 3, 90000, 40000, 3, true },
	};
	struct bvapm_rec_request req = {
		.method = bvapm_rec_cstr("GET"), .uri = bvapm_rec_cstr("/users/42"),
		.route = bvapm_rec_cstr(route), .sapi = bvapm_rec_cstr("fpm-fcgi"),
		.status = 200, .mode = BVAPM_REC_MODE_AGGRESSIVE,
		.keep_reason = BVAPM_REC_KEEP_SAMPLED, .start_unix_ns = env.wall_unix_ns,
		.wall_ns = 1000000 + seq % 1000 * 1000, .cpu_user_us = 700,
		.mem_start_bytes = 2 << 20, .mem_end_bytes = 6 << 20, .mem_peak_bytes = 8 << 20,
		.checkpoints = cp, .checkpoint_count = 2, .sql = sql, .sql_count = 1,
		.sql_total_count = 3, .sql_total_ns = 90000,
	};
	return bvapm_rec_encode_request(buf, cap, &env, &req);
}

/* Random bytes in valid framing, sometimes with the codec's identifier. */
static ssize_t encode_garbage(unsigned *seed, uint8_t *buf, uint16_t *type)
{
	ssize_t len = 16 + rand_r(seed) % 300;

	for (ssize_t i = 0; i < len; i++)
		buf[i] = (uint8_t)rand_r(seed);
	if (rand_r(seed) % 2)
		memcpy(buf + 4, "BVAP", 4); /* sometimes past the identifier check */
	*type = (uint16_t)(rand_r(seed) % 6);
	return len;
}

static int load(const struct load_opts *o)
{
	bvapm_ring *ring = attach(o->ring, 10);
	if (!ring)
		return 1;
	if (o->die) {
		slot_begin(ring, "GET", "/dying", "before-crash", 12345678, "SELECT * FROM big_table");
		printf("load pid=%d dying in a request\n", (int)getpid());
		fflush(stdout);
		raise(SIGKILL);
	}
	FILE *lost_f = o->lost_path ? fopen(o->lost_path, "w") : NULL;
	uint64_t start = now_ns(CLOCK_REALTIME), t0 = now_ns(CLOCK_MONOTONIC);
	static _Alignas(8) uint8_t buf[1 << 16];
	static char route[1 << 15];
	unsigned pad = o->size > 400 ? o->size - 400 : 8;
	if (pad >= sizeof route)
		pad = sizeof route - 1;
	memset(route, 'r', pad);
	route[pad] = 0;
	unsigned long long committed = 0, lost = 0;
	unsigned seed = (unsigned)getpid();
	for (unsigned long long seq = 1; seq <= o->records; seq++) {
		if (o->rate) {
			uint64_t due = t0 + seq * 1000000000ull / o->rate;
			while (now_ns(CLOCK_MONOTONIC) < due)
				usleep(100);
		}
		ssize_t len;
		uint16_t type = BVAPM_REC_KIND_REQUEST;
		if (o->garbage) {
			len = encode_garbage(&seed, buf, &type);
		} else {
			len = encode_load(route, start, seq, buf, sizeof buf);
			if (len < 0) {
				fprintf(stderr, "load: encode failed: %s\n", strerror((int)-len));
				return 1;
			}
		}
		if (o->in_requests) {
			slot_begin(ring, "GET", "/users/42", "controller", 6 << 20,
			           "SELECT * FROM users WHERE id = ?");
			bvapm_ring_slot_sql(ring, NULL, 0);
		}
		int rc = bvapm_ring_write(ring, type, buf, (uint32_t)len);
		if (o->in_requests)
			bvapm_ring_slot_request_end(ring);
		if (rc == 0) {
			committed++;
		} else {
			lost++;
			if (lost_f)
				fprintf(lost_f, "%llu\n", seq);
		}
	}
	if (lost_f)
		fclose(lost_f);
	printf("load pid=%d start=%llu records=%llu committed=%llu lost=%llu\n", (int)getpid(),
	       (unsigned long long)start, o->records, committed, lost);
	bvapm_ring_close(ring);
	return 0;
}

static int load_main(int argc, char **argv)
{
	struct load_opts o = {.ring = "default", .records = 1000, .size = 512};
	static const struct option opts[] = {
		{ "ring", required_argument, NULL, 'r' }, { "records", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' }, { "rate", required_argument, NULL, 'R' },
		{ "lost", required_argument, NULL, 'l' }, { "garbage", no_argument, NULL, 'g' },
		{ "die-in-request", no_argument, NULL, 'd' },
		{ "in-requests", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o.ring = optarg; break;
		case 'n': o.records = strtoull(optarg, NULL, 10); break;
		case 's': o.size = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'R': o.rate = strtoull(optarg, NULL, 10); break;
		case 'l': o.lost_path = optarg; break;
		case 'g': o.garbage = 1; break;
		case 'd': o.die = 1; break;
		case 'q': o.in_requests = 1; break;
		default: return 2;
		}
	}
	return load(&o);
}

/* ---- hold: a worker inside a request ------------------------------------------ */

static int hold(const char *name, double seconds, const char *method, const char *uri,
                const char *checkpoint, const char *sql)
{
	bvapm_ring *r = attach(name, 0);
	if (!r)
		return 1;
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	slot_begin(r, method, uri, checkpoint, 12345678, sql);
	printf("holding %d\n", (int)getpid());
	fflush(stdout);
	sleep_until(start + (uint64_t)(seconds * 1e9));
	bvapm_ring_slot_request_end(r);
	bvapm_ring_close(r);
	return 0;
}

/* ---- the consumer side --------------------------------------------------------- */

static int create(const char *name, const char *capacity)
{
	struct bvapm_ring_create_opts o = {.name = name, .group = (gid_t)-1,
	                                   .capacity = capacity ? strtoull(capacity, NULL, 0) : 0};
	struct bvapm_ring_error err;
	bvapm_ring *r = NULL;

	bvapm_ring_unlink(name);
	if (bvapm_ring_create(&o, &r, &err) != 0) {
		fprintf(stderr, "create: %s\n", err.msg);
		return 1;
	}
	bvapm_ring_close(r);
	return 0;
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Consumes for `seconds` (or until SIGTERM/SIGINT), verifying each record
 * when asked; counts what it took and what did not verify. */
static int consume(const char *name, double seconds, int verify, unsigned long long *consumed,
                   unsigned long long *invalid)
{
	struct bvapm_ring_record recs[256];
	struct sigaction sa = {.sa_handler = on_stop};
	bvapm_ring *r = open_ring(name, BVAPM_RING_CONSUMER);

	if (!r)
		return 1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)(seconds * 1e9);
	for (;;) {
		/* Read the clock and the flag before peeking, so what was committed
		 * before the end is still consumed by this last pass. */
		int last = stop_requested || now_ns(CLOCK_MONOTONIC) >= end;
		int n = bvapm_ring_peek(r, recs, 256);
		for (int i = 0; i < n; i++)
			if (verify && bvapm_rec_verify(recs[i].data, recs[i].len, NULL, NULL) != 0)
				(*invalid)++;
		*consumed += (unsigned long long)(n > 0 ? n : 0);
		if (n > 0)
			bvapm_ring_release(r, recs[n - 1].end);
		else if (last)
			break;
		else
			usleep(1000);
	}
	bvapm_ring_close(r);
	return 0;
}

static int dump(const char *name)
{
	struct bvapm_ring_record recs[64];
	bvapm_ring *r = open_ring(name, BVAPM_RING_CONSUMER);
	int n;

	if (!r)
		return 1;
	while ((n = bvapm_ring_peek(r, recs, 64)) > 0) {
		for (int i = 0; i < n; i++) {
			struct json_object *j = bvapm_rec_to_json(recs[i].data, recs[i].len,
			                                          BVAPM_REC_JSON_HEX_IDS);
			if (j == NULL) {
				printf("{\"invalid\":true,\"type\":%u,\"len\":%u}\n", recs[i].type, recs[i].len);
				continue;
			}
			printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
			json_object_put(j);
		}
		bvapm_ring_release(r, recs[n - 1].end);
	}
	bvapm_ring_close(r);
	return 0;
}

static int fill(const char *name)
{
	static char buf[512];
	bvapm_ring *r = attach(name, 0);

	if (!r)
		return 1;
	while (bvapm_ring_write(r, 99, buf, sizeof(buf)) == 0)
		;
	bvapm_ring_close(r);
	return 0;
}

/* ---- read-only views ------------------------------------------------------------ */

static int stat_ring(const char *name)
{
	struct bvapm_ring_stats st;
	bvapm_ring *r = open_ring(name, BVAPM_RING_READONLY);

	if (!r)
		return 1;
	bvapm_ring_stats(r, &st);
	printf("lost_total %llu\n", (unsigned long long)st.lost_total);
	for (int i = 0; i < BVAPM_LOSS__COUNT; i++)
		printf("lost_%s %llu\n", bvapm_ring_loss_name((enum bvapm_ring_loss)i),
		       (unsigned long long)st.lost[i]);
	printf("consumed_records %llu\n", (unsigned long long)st.consumed_records);
	bvapm_ring_close(r);
	return 0;
}

static int slots(const char *name)
{
	static struct bvapm_ring_slot_view views[256];
	bvapm_ring *r = open_ring(name, BVAPM_RING_READONLY);

	if (!r)
		return 1;
	int n = bvapm_ring_slots(r, views, 256);
	for (int i = 0; i < n; i++)
		if (views[i].in_request)
			printf("%u %s\n", views[i].pid, views[i].sql);
	bvapm_ring_close(r);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long consumed = 0, invalid = 0;
	const char *cmd = argc > 1 ? argv[1] : "";

	if (argc >= 3 && strcmp(cmd, "create") == 0)
		return create(argv[2], argc > 3 ? argv[3] : NULL);
	if ((argc == 5 || argc == 6) && strcmp(cmd, "write") == 0)
		return write_records(argv[2], argv[3], strtoul(argv[4], NULL, 10),
		                     argc == 6 ? atof(argv[5]) : 0);
	if (strcmp(cmd, "load") == 0)
		return load_main(argc - 1, argv + 1);
	if (argc == 8 && strcmp(cmd, "hold") == 0)
		return hold(argv[2], atof(argv[3]), argv[4], argv[5], argv[6], argv[7]);
	if (argc == 4 && strcmp(cmd, "consume") == 0) {
		if (consume(argv[2], atof(argv[3]), 1, &consumed, &invalid) != 0)
			return 1;
		printf("consumed %llu invalid %llu\n", consumed, invalid);
		return invalid == 0 ? 0 : 1;
	}
	if (argc == 4 && strcmp(cmd, "drain") == 0) {
		if (consume(argv[2], atof(argv[3]), 0, &consumed, &invalid) != 0)
			return 1;
		printf("%llu\n", consumed);
		return 0;
	}
	if (argc == 3 && strcmp(cmd, "dump") == 0)
		return dump(argv[2]);
	if (argc == 3 && strcmp(cmd, "fill") == 0)
		return fill(argv[2]);
	if (argc == 3 && strcmp(cmd, "stat") == 0)
		return stat_ring(argv[2]);
	if (argc == 3 && strcmp(cmd, "slots") == 0)
		return slots(argv[2]);
	fprintf(stderr, "usage: bvapm-fake-producer create NAME [CAPACITY] | write NAME KIND COUNT "
	                "[RATE] | load --ring NAME [--records N] [--size BYTES] [--rate PER_S] "
	                "[--lost FILE] [--garbage] [--in-requests] [--die-in-request] | hold NAME "
	                "SECONDS METHOD URI CHECKPOINT SQL | consume NAME SECONDS | drain NAME "
	                "SECONDS | dump NAME | fill NAME | stat NAME | slots NAME\n");
	return 2;
}
