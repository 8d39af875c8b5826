/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_write_bench.c — bvapm-bench-ring-write: what one bvapm_ring_write costs.
 *
 * P producer processes each write N records of S bytes as fast as they can
 * while a consumer process drains; every write is timed with CLOCK_MONOTONIC
 * (vDSO, no system call) and the timer's own cost, measured beforehand, is
 * subtracted. Prints, per run, the median / p99 / p99.9 ns per write and the
 * records/s of all producers together, then the median over the repeats and
 * one greppable SUMMARY line. Each run also checks that delivered + dropped
 * equals written, as a stress test would.
 *
 *   bvapm-bench-ring-write [producers] [records per producer] [size] [repeats] [idle|spin]
 *
 * The consumer either sleeps 1 ms whenever the ring is empty, as the drainer
 * does ("idle", default), or polls without pause ("spin"), which keeps the
 * tail and head cache lines moving between cores on every write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/bvapm_clock.h"
#include "ring/ring.h"

struct result {
	double p50, p99, p999, rate;
	unsigned long long written, dropped, delivered;
};

static inline unsigned long long now_ns(void) { return bvapm_mono_ns(); }

static int cmp_u32(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median cost of one empty timer pair, to subtract from each sample. */
static unsigned timer_overhead(void)
{
	static unsigned s[10001];
	for (int i = 0; i < 10001; i++) {
		unsigned long long a = now_ns();
		s[i] = (unsigned)(now_ns() - a);
	}
	qsort(s, 10001, sizeof(s[0]), cmp_u32);
	return s[5000];
}

static void producer(const char *ring, unsigned n, unsigned size, unsigned *lat, unsigned long long *span,
                     unsigned long long *dropped)
{
	bvapm_ring *p = NULL;
	unsigned char *buf = calloc(1, size);
	unsigned overhead = timer_overhead();

	if (buf == NULL || bvapm_ring_attach(ring, &p, NULL) != 0)
		_exit(1);
	memset(buf, 0x5a, size);
	unsigned long long start = now_ns();
	for (unsigned i = 0; i < n; i++) {
		unsigned long long a = now_ns();
		int rc = bvapm_ring_write(p, 1, buf, size);
		unsigned long long d = now_ns() - a;
		lat[i] = d > overhead ? (unsigned)(d - overhead) : 0;
		*dropped += rc != 0;
	}
	*span = now_ns() - start;
	bvapm_ring_close(p);
	_exit(0);
}

static struct result run(const char *ring_name, unsigned producers, unsigned n, unsigned size,
                         int spin)
{
	struct result res = {0};
	size_t lat_bytes = sizeof(unsigned) * n * producers;
	unsigned *lat = mmap(NULL, lat_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned long long *meta = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct bvapm_ring_create_opts o = {.name = ring_name, .capacity = 64u << 20, .group = (gid_t)-1,
	                                   .prefault = true};
	struct bvapm_ring_error err;
	bvapm_ring *c = NULL;

	if (lat == MAP_FAILED || meta == MAP_FAILED)
		exit(1);
	memset(meta, 0, 4096);
	bvapm_ring_unlink(ring_name);
	if (bvapm_ring_create(&o, &c, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	bvapm_ring_close(c); /* the consumer process below drains */
	pid_t cons = fork();
	if (cons == 0) {
		struct bvapm_ring_record recs[512];
		if (bvapm_ring_open(ring_name, BVAPM_RING_CONSUMER, &c, &err) != 0)
			_exit(1);
		for (;;) {
			int k = bvapm_ring_peek(c, recs, 512);
			if (k > 0) {
				meta[2 * 64] += (unsigned long long)k;
				bvapm_ring_release(c, recs[k - 1].end);
			} else if (meta[3 * 64]) {
				_exit(0);
			} else if (!spin) {
				usleep(1000); /* as the drainer does when the ring is empty */
			}
		}
	}
	usleep(20000);
	for (unsigned i = 0; i < producers; i++)
		if (fork() == 0)
			producer(ring_name, n, size, lat + (size_t)i * n, &meta[i * 8], &meta[64 + i * 8]);
	for (unsigned i = 0; i < producers; i++)
		wait(NULL);
	meta[3 * 64] = 1;
	waitpid(cons, NULL, 0);

	unsigned long long span = 0;
	for (unsigned i = 0; i < producers; i++) {
		span = meta[i * 8] > span ? meta[i * 8] : span;
		res.dropped += meta[64 + i * 8];
	}
	res.written = (unsigned long long)n * producers - res.dropped;
	res.delivered = meta[2 * 64];
	qsort(lat, (size_t)n * producers, sizeof(unsigned), cmp_u32);
	size_t total = (size_t)n * producers;
	res.p50 = lat[total / 2];
	res.p99 = lat[total * 99 / 100];
	res.p999 = lat[total * 999 / 1000];
	res.rate = (double)total / ((double)span / 1e9);
	munmap(lat, lat_bytes);
	munmap(meta, 4096);
	bvapm_ring_unlink(ring_name);
	return res;
}

int main(int argc, char **argv)
{
	unsigned producers = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 500000;
	unsigned size = argc > 3 ? (unsigned)atoi(argv[3]) : 512;
	int repeats = argc > 4 ? atoi(argv[4]) : 5;
	int spin = argc > 5 && strcmp(argv[5], "spin") == 0;
	double p50[32], p99[32], p999[32], rate[32];
	char name[64];

	if (producers < 1 || producers > 64 || n < 1000 || size < 1 || repeats < 1 || repeats > 32) {
		fprintf(stderr, "usage: bvapm-bench-ring-write [producers 1-64] [records >= 1000] [size] "
		                "[repeats 1-32] [idle|spin]\n");
		return 2;
	}
	snprintf(name, sizeof(name), "bench-%d", (int)getpid());
	printf("%-4s %10s %10s %10s %14s %10s %10s\n", "run", "p50_ns", "p99_ns", "p99.9_ns", "records/s",
	       "dropped", "lost");
	for (int r = 0; r < repeats; r++) {
		struct result res = run(name, producers, n, size, spin);
		long long lost = (long long)res.written - (long long)res.delivered;
		printf("%-4d %10.0f %10.0f %10.0f %14.0f %10llu %10lld\n", r + 1, res.p50, res.p99, res.p999,
		       res.rate, res.dropped, lost);
		if (lost != 0) {
			fprintf(stderr, "written %llu != delivered %llu\n", res.written, res.delivered);
			return 1;
		}
		p50[r] = res.p50;
		p99[r] = res.p99;
		p999[r] = res.p999;
		rate[r] = res.rate;
	}
	printf("SUMMARY bench=ring-write producers=%u size=%u records=%u repeats=%d consumer=%s "
	       "p50_ns=%.0f p99_ns=%.0f p999_ns=%.0f records_per_s=%.0f\n",
	       producers, size, n, repeats, spin ? "spin" : "idle", median(p50, repeats), median(p99, repeats),
	       median(p999, repeats), median(rate, repeats));
	return 0;
}
