/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_demo.c — bvapm-ring-demo: the ring end to end without PHP.
 *
 * Creates a ring as the drainer does (or reuses one left by an earlier run),
 * starts producer processes that each write request-sized records at a fixed
 * rate with a sequence number and checksum, and drains them in this process,
 * verifying every byte. Prints what was written, delivered and lost; leaves the
 * ring in place with --keep so `bvapm-shm stat` can look at it afterwards.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/bvapm_clock.h"
#include "ring/ring.h"

struct counts {
	unsigned long long written, dropped;
};

static double now_s(void) { return (double)bvapm_mono_ns() / 1e9; }

static unsigned long long checksum(const unsigned char *p, size_t n)
{
	unsigned long long h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static void producer(const char *name, int id, double seconds, int rate, struct counts *out)
{
	unsigned char rec[512];
	bvapm_ring *p = NULL;
	struct bvapm_ring_error err;

	if (bvapm_ring_attach(name, &p, &err) != 0) {
		fprintf(stderr, "producer %d: %s\n", id, err.msg);
		_exit(1);
	}
	double start = now_s();
	for (unsigned long long seq = 0;; seq++) {
		double due = start + (double)seq / rate;
		while (now_s() < due)
			usleep(200);
		if (due - start >= seconds)
			break;
		size_t len = 128 + (seq * 37) % 368;
		memcpy(rec, &seq, 8);
		rec[8] = (unsigned char)id;
		for (size_t i = 9; i < len - 8; i++)
			rec[i] = (unsigned char)(seq + i);
		unsigned long long sum = checksum(rec, len - 8);
		memcpy(rec + len - 8, &sum, 8);
		bvapm_ring_slot_request_begin(p, "", "GET", "/demo", bvapm_wall_ns(), bvapm_mono_ns());
		if (bvapm_ring_write(p, 1, rec, (uint32_t)len) == 0)
			out->written++;
		else
			out->dropped++;
		bvapm_ring_slot_request_end(p);
	}
	bvapm_ring_close(p);
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *name = "demo";
	int producers = 2, rate = 20000;
	double seconds = 3;
	int keep = 0;
	static const struct option opts[] = {
		{"ring", required_argument, NULL, 'r'},   {"producers", required_argument, NULL, 'p'},
		{"rate", required_argument, NULL, 'R'},   {"seconds", required_argument, NULL, 's'},
		{"keep", no_argument, NULL, 'k'},         {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "r:p:R:s:k", opts, NULL)) != -1) {
		switch (c) {
		case 'r': name = optarg; break;
		case 'p': producers = atoi(optarg); break;
		case 'R': rate = atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 'k': keep = 1; break;
		default:
			fprintf(stderr, "usage: bvapm-ring-demo [--ring NAME] [--producers N] "
			                "[--rate RECORDS/S/PRODUCER] [--seconds S] [--keep]\n");
			return 2;
		}
	}
	if (producers < 1 || producers > 64 || rate < 1 || seconds <= 0) {
		fprintf(stderr, "bvapm-ring-demo: producers 1-64, rate and seconds > 0\n");
		return 2;
	}

	struct bvapm_ring_create_opts co = {.name = name, .group = (gid_t)-1, .prefault = true};
	struct bvapm_ring_error err = {0};
	bvapm_ring *ring = NULL;
	int rc = bvapm_ring_create(&co, &ring, &err);
	if (rc == -EEXIST)
		rc = bvapm_ring_open(name, BVAPM_RING_CONSUMER, &ring, &err);
	if (rc != 0) {
		fprintf(stderr, "bvapm-ring-demo: %s\n", err.msg);
		return 1;
	}

	struct counts *counts = mmap(NULL, sizeof(struct counts) * (size_t)producers,
	                             PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED)
		return 1;
	memset(counts, 0, sizeof(struct counts) * (size_t)producers);
	for (int i = 0; i < producers; i++)
		if (fork() == 0)
			producer(name, i, seconds, rate, &counts[i]);

	unsigned long long delivered = 0, bad = 0;
	int running = producers;
	struct bvapm_ring_record recs[256];
	for (;;) {
		int n = bvapm_ring_peek(ring, recs, 256);
		for (int i = 0; i < n; i++) {
			unsigned long long sum;
			const unsigned char *d = recs[i].data;
			memcpy(&sum, d + recs[i].len - 8, 8);
			if (recs[i].len < 16 || sum != checksum(d, recs[i].len - 8))
				bad++;
			else
				delivered++;
		}
		if (n > 0) {
			bvapm_ring_release(ring, recs[n - 1].end);
			continue;
		}
		while (running > 0 && waitpid(-1, NULL, WNOHANG) > 0)
			running--;
		if (running == 0 && bvapm_ring_peek(ring, recs, 1) == 0)
			break;
		bvapm_ring_rewind(ring);
		usleep(1000);
	}

	unsigned long long written = 0, dropped = 0;
	for (int i = 0; i < producers; i++) {
		written += counts[i].written;
		dropped += counts[i].dropped;
	}
	printf("demo: %d producers x %d records/s for %.1f s: written %llu, delivered %llu, "
	       "dropped %llu, corrupt %llu\n",
	       producers, rate, seconds, written, delivered, dropped, bad);
	bvapm_ring_close(ring);
	if (!keep)
		bvapm_ring_unlink(name);
	return delivered == written && bad == 0 ? 0 : 1;
}
