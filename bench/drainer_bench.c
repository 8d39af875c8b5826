/* SPDX-License-Identifier: Apache-2.0 */
/*
 * drainer_bench.c — drainer figures:
 *
 *   bvapm-bench-drainer drain RECORDS SIZE   records drained and verified per
 *       second through the drainer's reader (peek, copy, verify, batch,
 *       release) with a null sink (every batch acknowledged at once), one
 *       thread. The ring is filled by a producer between measured drains.
 *   bvapm-bench-drainer sqlite RECORDS       request records stored per second
 *       by the SQLite sink (batches of 500, WAL, synchronous=NORMAL).
 *
 * Prints one greppable line per run and checks that what went in came out.
 */
#include "support/bvapm_clock.h"
#include "drainer/config.h"
#include "drainer/log.h"
#include "drainer/reader.h"
#include "record/record.h"
#include "drainer/sinks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) { return (double)bvapm_mono_ns() / 1e9; }

/* Encodes a request record close to `size` bytes. */
static size_t encode(uint8_t *buf, size_t cap, size_t size, uint64_t seq)
{
	static char route[4096]; /* padding goes into the URI (not indexed) */
	size_t pad = size > 300 ? size - 300 : 8, len = 0;
	for (int round = 0; round < 8; round++) {
		if (pad >= sizeof route)
			pad = sizeof route - 1;
		memset(route, 'r', pad);
		route[pad] = 0;
		struct bvapm_rec_envelope env = { .host = bvapm_rec_cstr("bench"), .pid = 1,
		                                  .producer_start_unix_ns = 2, .sequence = seq };
		struct bvapm_rec_request req = { .method = bvapm_rec_cstr("GET"),
		                                 .uri = bvapm_rec_cstr(route),
		                                 .route = bvapm_rec_cstr(seq % 2 ? "/users/{id}" : "/"),
		                                 .status = 200,
		                                 .wall_ns = 1000 + seq % 977 };
		ssize_t n = bvapm_rec_encode_request(buf, cap, &env, &req);
		if (n <= 0)
			return 0;
		len = (size_t)n;
		if (len == size || (len > size && pad <= 8))
			break;
		pad = len > size ? pad - (len - size) : pad + (size - len);
	}
	return len;
}

static int bench_drain(uint64_t records, size_t size)
{
	char dir[] = "/dev/shm/bvapm-bench-drainer-XXXXXX", err[256];
	if (!mkdtemp(dir))
		return 1;
	setenv("BVAPM_SHM_DIR", dir, 1);
	struct bvapm_drainer_config c;
	bvapm_config_defaults(&c);
	snprintf(c.ring_name, sizeof c.ring_name, "bench");
	c.ring_size = 64u << 20;
	c.ring_max_record = 64 << 10;
	c.batch_records = 256;
	static struct bvapm_metrics m;
	struct bvapm_reader r;
	if (bvapm_reader_open(&r, &c, &m, 1, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	bvapm_ring *prod;
	struct bvapm_ring_error e;
	if (bvapm_ring_attach("bench", &prod, &e))
		return 1;
	static _Alignas(8) uint8_t buf[8192];
	size_t len = encode(buf, sizeof buf, size, 1);
	uint64_t written = 0, drained = 0;
	double busy = 0;
	while (written < records) {
		/* fill (not measured) */
		while (written < records && bvapm_ring_write(prod, 1, buf, (uint32_t)len) == 0)
			written++;
		/* drain (measured) */
		double t0 = now_s();
		struct bvapm_batch *b;
		while ((b = bvapm_reader_next(&r, c.batch_records))) {
			drained += b->n;
			if (b->n)
				bvapm_batch_safe(b); /* the null sink: acknowledged at once */
			bvapm_reader_reap(&r);
		}
		busy += now_s() - t0;
	}
	uint64_t invalid = m.records_invalid;
	bvapm_ring_close(prod);
	bvapm_reader_close(&r);
	bvapm_ring_unlink("bench");
	rmdir(dir);
	printf("drainer-drain records=%llu size=%zu drained=%llu invalid=%llu seconds=%.3f "
	       "records_per_s=%.0f MiB_per_s=%.1f\n", (unsigned long long)records, len,
	       (unsigned long long)drained, (unsigned long long)invalid, busy, drained / busy,
	       drained * (double)len / busy / 1048576.0);
	return drained == records && invalid == 0 ? 0 : 1;
}

static int bench_sqlite(uint64_t records)
{
	char dir[] = "/tmp/bvapm-bench-sqlite-XXXXXX", err[256];
	if (!mkdtemp(dir))
		return 1;
	struct bvapm_drainer_config c;
	bvapm_config_defaults(&c);
	snprintf(c.sqlite_path, sizeof c.sqlite_path, "%s/store.db", dir);
	struct bvapm_sink *s = bvapm_sink_sqlite_new(&c, err, sizeof err);
	if (!s) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	enum { BATCH = 500 };
	static _Alignas(8) uint8_t bufs[BATCH][1024];
	struct bvapm_sink_record recs[BATCH];
	double busy = 0;
	uint64_t stored = 0;
	for (uint64_t seq = 1; seq <= records;) {
		size_t n = 0;
		for (; n < BATCH && seq <= records; n++, seq++) {
			size_t len = encode(bufs[n], sizeof bufs[n], 512, seq);
			recs[n] = (struct bvapm_sink_record){ bufs[n], (uint32_t)len, 1, 1, 2, seq };
		}
		struct bvapm_sink_result res;
		double t0 = now_s();
		s->send(s, recs, n, &res);
		busy += now_s() - t0;
		if (res.status != BVAPM_SINK_OK)
			return 1;
		stored += res.accepted;
	}
	s->destroy(s);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd)) {
	}
	printf("drainer-sqlite records=%llu stored=%llu seconds=%.3f requests_per_s=%.0f\n",
	       (unsigned long long)records, (unsigned long long)stored, busy, stored / busy);
	return stored == records ? 0 : 1;
}

int main(int argc, char **argv)
{
	bvapm_log_set_level(BVAPM_LOG_WARN);
	if (argc >= 4 && !strcmp(argv[1], "drain"))
		return bench_drain(strtoull(argv[2], NULL, 10), strtoul(argv[3], NULL, 10));
	if (argc >= 3 && !strcmp(argv[1], "sqlite"))
		return bench_sqlite(strtoull(argv[2], NULL, 10));
	fprintf(stderr, "usage: bvapm-bench-drainer drain RECORDS SIZE | sqlite RECORDS\n");
	return 1;
}
