/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_test_util.h — helpers shared by the ring tests: a private directory
 * for ring files (BVAPM_SHM_DIR), ring creation with small geometry, the
 * clocks of slot stamps, and a
 * record payload that carries producer id, sequence number and a checksum so
 * a consumer can verify every byte.
 */
#ifndef BVAPM_RING_TEST_UTIL_H
#define BVAPM_RING_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ring/ring.h"

/* Points BVAPM_SHM_DIR at a fresh directory under /dev/shm (real shared
 * memory) and returns it. */
static inline const char *test_shm_dir(void)
{
	static char dir[64];

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/dev/shm/bvapm-test-XXXXXX");
		if (mkdtemp(dir) == NULL) {
			perror("mkdtemp");
			abort();
		}
		setenv("BVAPM_SHM_DIR", dir, 1);
	}
	return dir;
}

/* The clocks slot stamps use (CLOCK_REALTIME, CLOCK_MONOTONIC), in ns:
 * readers refuse stamps in the future or before the ring was created. */
static inline uint64_t test_now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void test_shm_cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_shm_dir());
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", test_shm_dir());
}

/* The group teardown of the ring tests: removes the private ring directory. */
static inline int test_shm_teardown(void **state)
{
	(void)state;
	test_shm_cleanup();
	return 0;
}

static inline bvapm_ring *test_create(const char *name, uint64_t capacity, uint32_t max_record)
{
	struct bvapm_ring_create_opts o = {.name = name, .capacity = capacity,
	                                   .max_record = max_record, .group = (gid_t)-1};
	struct bvapm_ring_error err = {0};
	bvapm_ring *r = NULL;

	test_shm_dir();
	bvapm_ring_unlink(name);
	if (bvapm_ring_create(&o, &r, &err) != 0) {
		fprintf(stderr, "create %s: %s\n", name, err.msg);
		abort();
	}
	return r;
}

/* Payload: [producer u32][len u32][seq u64][bytes...][checksum u64] */
struct test_payload_head {
	uint32_t producer;
	uint32_t len;
	uint64_t seq;
};

static inline uint64_t test_fnv(const uint8_t *p, size_t n)
{
	uint64_t h = UINT64_C(1469598103934665603);

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT64_C(1099511628211);
	return h;
}

static inline uint32_t test_payload_fill(uint8_t *buf, uint32_t len, uint32_t producer, uint64_t seq)
{
	struct test_payload_head hd = {producer, len, seq};

	if (len < sizeof(hd) + 8)
		len = sizeof(hd) + 8;
	hd.len = len;
	memcpy(buf, &hd, sizeof(hd));
	for (uint32_t i = sizeof(hd); i < len - 8; i++)
		buf[i] = (uint8_t)(seq * 31 + i * 7 + producer);
	uint64_t sum = test_fnv(buf, len - 8);
	memcpy(buf + len - 8, &sum, 8);
	return len;
}

/* 0 if valid; fills producer/seq. */
static inline int test_payload_check(const void *data, uint32_t len, uint32_t *producer, uint64_t *seq)
{
	struct test_payload_head hd;
	uint64_t sum;

	if (len < sizeof(hd) + 8)
		return -1;
	memcpy(&hd, data, sizeof(hd));
	if (hd.len != len)
		return -2;
	memcpy(&sum, (const uint8_t *)data + len - 8, 8);
	if (sum != test_fnv(data, len - 8))
		return -3;
	*producer = hd.producer;
	*seq = hd.seq;
	return 0;
}

#endif
