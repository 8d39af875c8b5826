/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ring_stats.c — cmocka unit tests of bvapm_ring_stats on a header a
 * hostile process has written: loss counters and the slots' written counts
 * near 2^64 must sum to UINT64_MAX (saturated), never wrap to a small
 * number; ordinary values still sum exactly.
 *
 * The test maps the ring file itself (as any process with write access
 * could) and stores the counters with plain writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "ring_test_util.h"

/* The whole ring file mapped read-write, as a hostile writer sees it. */
struct raw_map {
	void *base;
	size_t len;
};

static struct bvapm_ring_header *raw_header(const char *name, struct raw_map *m)
{
	char path[256];
	struct stat st;

	assert_int_equal(bvapm_ring_path(name, path, sizeof(path)), 0);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	m->len = (size_t)st.st_size;
	m->base = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(m->base != MAP_FAILED);
	return m->base;
}

static struct bvapm_ring_slot *raw_slot(struct raw_map *m, uint32_t i)
{
	struct bvapm_ring_header *h = m->base;

	return (struct bvapm_ring_slot *)((char *)m->base + h->slot_offset +
	                                  (size_t)i * BVAPM_RING_SLOT_SIZE);
}

static void test_lost_total_saturates(void **state)
{
	(void)state;
	bvapm_ring *c = test_create("stats-lost", 1 << 16, 4096);
	struct raw_map m;
	struct bvapm_ring_header *h = raw_header("stats-lost", &m);
	struct bvapm_ring_stats st;

	h->lost_full = UINT64_MAX;
	h->lost_too_big = 7;
	assert_int_equal(bvapm_ring_stats(c, &st), 0);
	assert_true(st.lost[BVAPM_LOSS_FULL] == UINT64_MAX);
	assert_true(st.lost[BVAPM_LOSS_TOO_BIG] == 7);
	assert_true(st.lost_total == UINT64_MAX);

	h->lost_full = UINT64_MAX - 10; /* the sum crosses 2^64 only on the last term */
	h->lost_too_big = 4;
	h->lost_repaired = 6;
	h->lost_contention = 1;
	assert_int_equal(bvapm_ring_stats(c, &st), 0);
	assert_true(st.lost_total == UINT64_MAX);

	h->lost_full = 40;
	h->lost_too_big = 2;
	h->lost_repaired = 0;
	h->lost_contention = 0;
	h->lost_not_attached = 3;
	assert_int_equal(bvapm_ring_stats(c, &st), 0);
	assert_true(st.lost_total == 45);
	munmap(m.base, m.len);
	bvapm_ring_close(c);
	bvapm_ring_unlink("stats-lost");
}

static void test_written_records_saturate(void **state)
{
	(void)state;
	bvapm_ring *c = test_create("stats-written", 1 << 16, 4096);
	bvapm_ring *p1 = NULL, *p2 = NULL;
	struct raw_map m;
	struct bvapm_ring_stats st;

	assert_int_equal(bvapm_ring_attach("stats-written", &p1, NULL), 0);
	assert_int_equal(bvapm_ring_attach("stats-written", &p2, NULL), 0);
	raw_header("stats-written", &m);
	int i1 = bvapm_ring_slot_index(p1), i2 = bvapm_ring_slot_index(p2);
	assert_true(i1 >= 0 && i2 >= 0 && i1 != i2);

	raw_slot(&m, (uint32_t)i1)->records_written = UINT64_MAX - 1;
	raw_slot(&m, (uint32_t)i2)->records_written = 5;
	assert_int_equal(bvapm_ring_stats(c, &st), 0);
	assert_true(st.written_records == UINT64_MAX);

	raw_slot(&m, (uint32_t)i1)->records_written = 10;
	assert_int_equal(bvapm_ring_stats(c, &st), 0);
	assert_true(st.written_records == 15);
	munmap(m.base, m.len);
	bvapm_ring_close(p1);
	bvapm_ring_close(p2);
	bvapm_ring_close(c);
	bvapm_ring_unlink("stats-written");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lost_total_saturates),
		cmocka_unit_test(test_written_records_saturate),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	test_shm_cleanup();
	return rc;
}
