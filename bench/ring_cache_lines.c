/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_cache_lines.c — bvapm-bench-ring-lines: the cache lines one ring write
 * touches, for cachegrind (bench/ring_cache_lines.sh runs it).
 *
 *   bvapm-bench-ring-lines N [prepare]
 *
 * One process, one producer and the consumer: before each of N writes of
 * 512 B it walks a buffer larger than the simulated caches, so every write
 * starts cold, as an isolated write at 20 000/s does; the consumer drains
 * after each write. The misses cachegrind counts inside the write path
 * (bvapm_ring_write and what it calls), divided by N, are the lines a write
 * touches. Cachegrind models one core and ignores prefetches: it counts lines,
 * not their cost, and not which other core held them. "prepare" calls
 * bvapm_ring_prepare before each write (the same lines are counted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ring/ring.h"

static volatile unsigned char evict[1 << 20];

static void empty_caches(void)
{
	for (size_t i = 0; i < sizeof(evict); i += 64)
		evict[i]++;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 2000;
	bool prepare = argc > 2 && strcmp(argv[2], "prepare") == 0;
	char name[64];
	static unsigned char buf[512];
	struct bvapm_ring_record recs[8];
	bvapm_ring *c = NULL, *p = NULL;
	int rc = 0;

	snprintf(name, sizeof(name), "bench-lines-%ld", (long)getpid());
	struct bvapm_ring_create_opts o = {.name = name, .capacity = 16u << 20,
	                                   .group = (gid_t)-1, .prefault = true};
	if (bvapm_ring_create(&o, &c, NULL) != 0 || bvapm_ring_attach(name, &p, NULL) != 0) {
		fprintf(stderr, "bvapm-bench-ring-lines: cannot create ring %s\n", name);
		return 1;
	}
	memset(buf, 0x5a, sizeof(buf));
	for (unsigned i = 0; i < n && rc == 0; i++) {
		int k;
		empty_caches();
		if (prepare)
			bvapm_ring_prepare(p, sizeof(buf));
		rc = bvapm_ring_write(p, 1, buf, sizeof(buf));
		while ((k = bvapm_ring_peek(c, recs, 8)) > 0)
			bvapm_ring_release(c, recs[k - 1].end);
	}
	bvapm_ring_close(p);
	bvapm_ring_close(c);
	bvapm_ring_unlink(name);
	if (rc != 0)
		fprintf(stderr, "bvapm-bench-ring-lines: write failed (%d)\n", rc);
	return rc != 0;
}
