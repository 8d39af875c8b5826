/*
 * loadgen.c — test and benchmark load: one producer process writing real
 * codec-encoded request records into a ring, with per-producer sequence
 * numbers 1..N, so a test can check exactly which records must be in the
 * store. Records the ring refused (full, contention, ...) are listed.
 *
 *   bvapm-loadgen --ring NAME --records N [--size BYTES] [--rate PER_S]
 *                 [--lost FILE] [--garbage] [--in-requests]
 *
 * Prints one line: "loadgen pid=P start=S records=N committed=C lost=L".
 * --lost FILE receives one lost sequence number per line.
 * --garbage writes N random payloads instead (a rogue producer): framing is
 * valid, the payload is not a record.
 * --in-requests wraps each record in a request of the live slot (begin,
 * checkpoint, SQL, end), as a PHP worker does.
 * --die-in-request begins a request in the live slot (GET /dying, a
 * checkpoint, an SQL statement) and kills itself with SIGKILL.
 * Exit: 0, 1 usage or attach failure.
 */
#include "record/record.h"
#include "ring/ring.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *ring_name = "default", *lost_path = NULL;
	unsigned long long records = 1000, rate = 0;
	unsigned size = 512;
	int garbage = 0, die = 0, in_requests = 0, c;
	static const struct option opts[] = {
		{ "ring", required_argument, NULL, 'r' }, { "records", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' }, { "rate", required_argument, NULL, 'R' },
		{ "lost", required_argument, NULL, 'l' }, { "garbage", no_argument, NULL, 'g' },
		{ "die-in-request", no_argument, NULL, 'd' },
		{ "in-requests", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': ring_name = optarg; break;
		case 'n': records = strtoull(optarg, NULL, 10); break;
		case 's': size = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'R': rate = strtoull(optarg, NULL, 10); break;
		case 'l': lost_path = optarg; break;
		case 'g': garbage = 1; break;
		case 'd': die = 1; break;
		case 'q': in_requests = 1; break;
		default: return 1;
		}
	}
	bvapm_ring *ring = NULL;
	struct bvapm_ring_error err;
	for (int i = 0; i < 1000; i++) { /* the drainer may still be creating it */
		if (bvapm_ring_attach(ring_name, &ring, &err) == 0)
			break;
		ring = NULL;
		usleep(10000);
	}
	if (!ring) {
		fprintf(stderr, "loadgen: cannot attach to ring %s: %s\n", ring_name, err.msg);
		return 1;
	}
	if (die) {
		bvapm_ring_slot_request_begin(ring, "4bf92f3577b34da6a3ce929d0e0e4736", "GET", "/dying",
		                              now_ns(CLOCK_REALTIME), now_ns(CLOCK_MONOTONIC));
		bvapm_ring_slot_checkpoint(ring, "before-crash", 12345678, now_ns(CLOCK_MONOTONIC));
		bvapm_ring_slot_sql(ring, "SELECT * FROM big_table", now_ns(CLOCK_MONOTONIC));
		printf("loadgen pid=%d dying in a request\n", (int)getpid());
		fflush(stdout);
		raise(SIGKILL);
	}
	FILE *lost_f = lost_path ? fopen(lost_path, "w") : NULL;
	uint64_t start = now_ns(CLOCK_REALTIME), t0 = now_ns(CLOCK_MONOTONIC);
	static _Alignas(8) uint8_t buf[1 << 16];
	char route[1 << 15];
	unsigned pad = size > 400 ? size - 400 : 8;
	if (pad >= sizeof route)
		pad = sizeof route - 1;
	memset(route, 'r', pad);
	route[pad] = 0;
	unsigned long long committed = 0, lost = 0;
	unsigned seed = (unsigned)getpid();
	for (unsigned long long seq = 1; seq <= records; seq++) {
		if (rate) {
			uint64_t due = t0 + seq * 1000000000ull / rate;
			while (now_ns(CLOCK_MONOTONIC) < due)
				usleep(100);
		}
		ssize_t len;
		uint16_t type = BVAPM_REC_KIND_REQUEST;
		if (garbage) {
			len = 16 + rand_r(&seed) % 300;
			for (ssize_t i = 0; i < len; i++)
				buf[i] = (uint8_t)rand_r(&seed);
			if (rand_r(&seed) % 2)
				memcpy(buf + 4, "BVAP", 4); /* sometimes past the identifier check */
			type = (uint16_t)(rand_r(&seed) % 6);
		} else {
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
			len = bvapm_rec_encode_request(buf, sizeof buf, &env, &req);
			if (len < 0) {
				fprintf(stderr, "loadgen: encode failed: %s\n", strerror((int)-len));
				return 1;
			}
		}
		if (in_requests) {
			bvapm_ring_slot_request_begin(ring, "4bf92f3577b34da6a3ce929d0e0e4736", "GET",
			                              "/users/42", now_ns(CLOCK_REALTIME),
			                              now_ns(CLOCK_MONOTONIC));
			bvapm_ring_slot_checkpoint(ring, "controller", 6 << 20, now_ns(CLOCK_MONOTONIC));
			bvapm_ring_slot_sql(ring, "SELECT * FROM users WHERE id = ?", now_ns(CLOCK_MONOTONIC));
			bvapm_ring_slot_sql(ring, NULL, 0);
		}
		int rc = bvapm_ring_write(ring, type, buf, (uint32_t)len);
		if (in_requests)
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
	printf("loadgen pid=%d start=%llu records=%llu committed=%llu lost=%llu\n", (int)getpid(),
	       (unsigned long long)start, records, committed, lost);
	bvapm_ring_close(ring);
	return 0;
}
