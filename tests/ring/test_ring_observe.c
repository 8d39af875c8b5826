/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ring_observe.c — cmocka tests of the non-consuming reader cursor
 * (bvapm_ring_observe): it reads every committed record in order without
 * moving the head, waits at or steps over records still being written, jumps
 * forward when the consumer overtakes it, discards a record freed or reused
 * while it was being copied, survives a data area full of garbage, and never
 * returns a torn record while producers and the consumer run beside it.
 *
 * Linked with the hooked ring library: bvapm_ring_observe_test_hook runs
 * between the copy and the re-check, where the race tests free the record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "ring/ring_layout.h"
#include "ring_test_util.h"
#include "ring/ring_test_hooks.h"

#include <ck_pr.h>
#include <time.h>

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint8_t copy_buf[1 << 16];

static bvapm_ring *open_readonly(const char *name)
{
	bvapm_ring *r = NULL;

	assert_int_equal(bvapm_ring_open(name, BVAPM_RING_READONLY, &r, NULL), 0);
	return r;
}

static void write_records(bvapm_ring *p, uint32_t producer, uint64_t first, int count, uint32_t len)
{
	uint8_t buf[4096];

	for (int i = 0; i < count; i++) {
		uint32_t n = test_payload_fill(buf, len, producer, first + (uint64_t)i);
		assert_int_equal(bvapm_ring_write(p, 7, buf, n), 0);
	}
}

static uint64_t head_of(bvapm_ring *r)
{
	struct bvapm_ring_stats st;

	bvapm_ring_stats(r, &st);
	return st.head;
}

static void test_reads_without_consuming(void **state)
{
	bvapm_ring *c = test_create("obs-basic", 1 << 16, 4096);
	bvapm_ring *p = NULL, *o;
	struct bvapm_ring_cursor cur;
	struct bvapm_ring_record rec;
	struct bvapm_ring_record recs[64];

	assert_int_equal(bvapm_ring_attach("obs-basic", &p, NULL), 0);
	write_records(p, 1, 0, 50, 100);
	o = open_readonly("obs-basic");
	assert_int_equal(bvapm_ring_cursor_at_head(o, &cur), 0);
	for (uint64_t i = 0; i < 50; i++) {
		uint32_t producer;
		uint64_t seq;

		assert_int_equal(bvapm_ring_observe(o, &cur, copy_buf, sizeof(copy_buf), &rec),
		                 BVAPM_OBSERVE_RECORD);
		assert_ptr_equal(rec.data, copy_buf);
		assert_int_equal(rec.type, 7);
		assert_int_equal(rec.pid, (uint32_t)getpid());
		assert_int_equal(test_payload_check(rec.data, rec.len, &producer, &seq), 0);
		assert_int_equal(seq, i);
		assert_int_equal(rec.end, cur.pos);
	}
	assert_int_equal(bvapm_ring_observe(o, &cur, copy_buf, sizeof(copy_buf), &rec),
	                 BVAPM_OBSERVE_NONE);
	assert_int_equal(cur.records, 50);
	assert_int_equal(cur.missed + cur.invalid_records + cur.overtaken_bytes, 0);

	/* Nothing was consumed: head unchanged, the consumer gets all 50. */
	assert_int_equal(head_of(o), 0);
	assert_int_equal(bvapm_ring_peek(c, recs, 64), 50);

	/* A cursor at the tail sees only what comes later. */
	assert_int_equal(bvapm_ring_cursor_at_tail(o, &cur), 0);
	assert_int_equal(bvapm_ring_observe(o, &cur, copy_buf, sizeof(copy_buf), &rec),
	                 BVAPM_OBSERVE_NONE);
	write_records(p, 1, 50, 1, 64);
	assert_int_equal(bvapm_ring_observe(o, &cur, copy_buf, sizeof(copy_buf), &rec),
	                 BVAPM_OBSERVE_RECORD);
	bvapm_ring_close(o);
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

static void test_busy_skip_and_too_big(void **state)
{
	bvapm_ring *c = test_create("obs-busy", 1 << 16, 4096);
	bvapm_ring *p = NULL, *o;
	struct bvapm_ring_cursor cur;
	struct bvapm_ring_record rec;
	struct bvapm_ring_reservation res, aborted;

	assert_int_equal(bvapm_ring_attach("obs-busy", &p, NULL), 0);
	assert_int_equal(bvapm_ring_reserve(p, 40, &aborted), 0);
	bvapm_ring_abort(p, &aborted);                     /* a SKIP record */
	assert_int_equal(bvapm_ring_reserve(p, 40, &res), 0); /* still being written */
	write_records(p, 1, 1, 1, 64);
	write_records(p, 1, 2, 1, 2000);                   /* larger than a small buffer */

	o = open_readonly("obs-busy");
	assert_int_equal(bvapm_ring_cursor_at_head(o, &cur), 0);
	assert_int_equal(bvapm_ring_observe(o, &cur, copy_buf, sizeof(copy_buf), &rec),
	                 BVAPM_OBSERVE_BUSY);
	assert_int_equal(cur.pos, res.pos);
	/* Waiting: it becomes readable once committed. */
	memset(res.data, 0xab, 40);
	assert_int_equal(bvapm_ring_commit(p, &res, 9, 40), 0);
	assert_int_equal(bvapm_ring_observe(o, &cur, copy_buf, sizeof(copy_buf), &rec),
	                 BVAPM_OBSERVE_RECORD);
	assert_int_equal(rec.type, 9);
	assert_int_equal(rec.len, 40);
	assert_int_equal(copy_buf[39], 0xab);

	/* Stepping over a reservation instead of waiting for it. */
	assert_int_equal(bvapm_ring_reserve(p, 40, &res), 0);
	write_records(p, 1, 3, 1, 64);
	assert_int_equal(bvapm_ring_observe(o, &cur, copy_buf, 100, &rec), BVAPM_OBSERVE_RECORD);
	assert_int_equal(bvapm_ring_observe(o, &cur, copy_buf, 100, &rec), BVAPM_OBSERVE_BUSY);
	assert_int_equal(cur.too_big, 1); /* the 2000-byte record did not fit 100 bytes */
	bvapm_ring_cursor_pass(o, &cur);
	assert_int_equal(cur.in_progress, 1);
	assert_int_equal(bvapm_ring_observe(o, &cur, copy_buf, 100, &rec), BVAPM_OBSERVE_RECORD);
	uint32_t producer;
	uint64_t seq;
	assert_int_equal(test_payload_check(rec.data, rec.len, &producer, &seq), 0);
	assert_int_equal(seq, 3);
	bvapm_ring_abort(p, &res);
	bvapm_ring_close(o);
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

static void test_overtaken_by_consumer(void **state)
{
	bvapm_ring *c = test_create("obs-overtaken", 1 << 16, 4096);
	bvapm_ring *p = NULL, *o;
	struct bvapm_ring_cursor cur;
	struct bvapm_ring_record rec, recs[64];

	assert_int_equal(bvapm_ring_attach("obs-overtaken", &p, NULL), 0);
	write_records(p, 1, 0, 20, 200);
	o = open_readonly("obs-overtaken");
	assert_int_equal(bvapm_ring_cursor_at_head(o, &cur), 0);
	assert_int_equal(bvapm_ring_peek(c, recs, 10), 10);
	bvapm_ring_release(c, recs[9].end);

	int n = 0;
	uint64_t first_seq = UINT64_MAX;
	while (bvapm_ring_observe(o, &cur, copy_buf, sizeof(copy_buf), &rec) == BVAPM_OBSERVE_RECORD) {
		uint32_t producer;
		uint64_t seq;
		assert_int_equal(test_payload_check(rec.data, rec.len, &producer, &seq), 0);
		if (n++ == 0)
			first_seq = seq;
	}
	assert_int_equal(n, 10);
	assert_int_equal(first_seq, 10);
	assert_int_equal(cur.overtaken_bytes, recs[9].end);
	bvapm_ring_close(o);
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

/* ---- a record freed (and reused) while it is being copied ---------------- */

static bvapm_ring *race_consumer, *race_producer;
static bool race_rewrite;

static void release_during_copy(void)
{
	struct bvapm_ring_record recs[256];
	int n;

	bvapm_ring_observe_test_hook = NULL; /* once */
	while ((n = bvapm_ring_peek(race_consumer, recs, 256)) > 0)
		bvapm_ring_release(race_consumer, recs[n - 1].end);
	if (race_rewrite) {
		/* Fill more than a lap so every word of the record is reused. */
		uint8_t buf[512];
		for (uint64_t seq = 100; seq < 100 + 2 * (1 << 12) / 256; seq++) {
			uint32_t len = test_payload_fill(buf, 240, 2, seq);
			assert_int_equal(bvapm_ring_write(race_producer, 7, buf, len), 0);
			while ((n = bvapm_ring_peek(race_consumer, recs, 256)) > 0)
				bvapm_ring_release(race_consumer, recs[n - 1].end);
		}
	}
}

static void run_copy_race(const char *name, bool rewrite)
{
	struct bvapm_ring_cursor cur;
	struct bvapm_ring_record rec;
	bvapm_ring *o;

	race_consumer = test_create(name, 1 << 12, 1024);
	race_producer = NULL;
	assert_int_equal(bvapm_ring_attach(name, &race_producer, NULL), 0);
	write_records(race_producer, 1, 0, 3, 200);
	o = open_readonly(name);
	assert_int_equal(bvapm_ring_cursor_at_head(o, &cur), 0);
	race_rewrite = rewrite;
	bvapm_ring_observe_test_hook = release_during_copy;
	int got = bvapm_ring_observe(o, &cur, copy_buf, sizeof(copy_buf), &rec);
	bvapm_ring_observe_test_hook = NULL;
	assert_int_equal(cur.missed, 1);
	/* Whatever it returned next is a whole record, never the freed one. */
	if (got == BVAPM_OBSERVE_RECORD) {
		uint32_t producer;
		uint64_t seq;
		assert_int_equal(test_payload_check(rec.data, rec.len, &producer, &seq), 0);
		assert_int_equal(producer, 2);
	} else {
		assert_int_equal(got, BVAPM_OBSERVE_NONE);
	}
	assert_true(cur.overtaken_bytes > 0);
	bvapm_ring_close(o);
	bvapm_ring_close(race_producer);
	bvapm_ring_close(race_consumer);
}

static void test_freed_during_copy(void **state) { run_copy_race("obs-freed", false); }
static void test_reused_during_copy(void **state) { run_copy_race("obs-reused", true); }

/* ---- garbage ------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Maps the ring file read-write behind the library's back, as a hostile
 * process could. */
static uint8_t *map_file(const char *name, size_t *len)
{
	char path[256];
	struct stat st;

	assert_int_equal(bvapm_ring_path(name, path, sizeof(path)), 0);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	uint8_t *m = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(m != MAP_FAILED);
	return m;
}

static void test_garbage_data_area(void **state)
{
	bvapm_ring *c = test_create("obs-garbage", 1 << 14, 2048);
	bvapm_ring *p = NULL, *o;
	size_t len;
	uint8_t *m = map_file("obs-garbage", &len);
	struct bvapm_ring_header *h = (struct bvapm_ring_header *)m;
	uint8_t *data = m + h->data_offset;

	assert_int_equal(bvapm_ring_attach("obs-garbage", &p, NULL), 0);
	o = open_readonly("obs-garbage");
	uint64_t invalid = 0, records = 0;
	for (int round = 0; round < 300; round++) {
		struct bvapm_ring_cursor cur;
		struct bvapm_ring_record rec;

		/* Real records, then garbage over part or all of them. */
		for (int i = 0; i < 20; i++) { /* may fail on garbage: that is fine */
			uint8_t buf[512];
			uint32_t n = test_payload_fill(buf, 100 + (uint32_t)(rng() % 300), 1, (uint64_t)i);
			bvapm_ring_write(p, 7, buf, n);
		}
		uint64_t from = rng() % h->capacity, n = rng() % h->capacity;
		for (uint64_t i = 0; i < n; i++)
			data[(from + i) % h->capacity] = (uint8_t)rng();
		/* and some plausible control words: right lap, any state and length */
		for (int i = 0; i < 32; i++) {
			uint64_t v = rng(), at = (rng() % h->capacity) & ~UINT64_C(7);
			uint64_t cw = bvapm_cw_make((enum bvapm_cw_state)(v % 4), (v >> 8) % 4096,
			                            (uint32_t)getpid(), h->tail / h->capacity + (v >> 40) % 2);
			memcpy(data + at, &cw, 8);
		}
		uint64_t good_tail = h->tail;
		if (round % 10 == 0) /* positions too: up to two laps ahead, 8-byte aligned */
			h->tail = h->head + (rng() % (2 * h->capacity)) / 8 * 8;
		if (round % 10 == 5) { /* unaligned positions: refused */
			h->tail = good_tail + 3;
			struct bvapm_ring_cursor bad;
			assert_int_equal(bvapm_ring_cursor_at_head(o, &bad), -EIO);
			h->tail = good_tail;
		}

		int rc = bvapm_ring_cursor_at_head(o, &cur);
		if (rc == 0) {
			int got, steps = 0;
			while ((got = bvapm_ring_observe(o, &cur, copy_buf, sizeof(copy_buf), &rec)) > 0 &&
			       steps++ < 10000) {
				if (got == BVAPM_OBSERVE_BUSY)
					bvapm_ring_cursor_pass(o, &cur);
				else
					assert_true(rec.len <= 2048 - 16);
			}
			assert_true(steps < 10000);
			invalid += cur.invalid_records;
			records += cur.records;
			assert_true(got == BVAPM_OBSERVE_NONE || got == -EIO);
		} else {
			assert_int_equal(rc, -EIO);
		}
		/* Let the consumer clean up (it resets corrupt positions). */
		struct bvapm_ring_record recs[64];
		int k;
		while ((k = bvapm_ring_peek(c, recs, 64)) > 0)
			bvapm_ring_release(c, recs[k - 1].end);
	}
	print_message("# garbage: %llu records read, %llu invalid stretches skipped\n",
	              (unsigned long long)records, (unsigned long long)invalid);
	assert_true(invalid > 0);
	munmap(m, len);
	bvapm_ring_close(o);
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

/* ---- producers and consumer running beside the observer ----------------- */

static int stop_threads; /* ck_pr loads and stores only */

static void *producer_thread(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;
	bvapm_ring *p = NULL;
	uint8_t buf[1024];

	if (bvapm_ring_attach("obs-live", &p, NULL) != 0)
		return NULL;
	for (uint64_t seq = 0; !ck_pr_load_int(&stop_threads); seq++) {
		uint32_t len = test_payload_fill(buf, 24 + (uint32_t)(seq * 53 % 900), id, seq);
		bvapm_ring_write(p, 7, buf, len);
	}
	bvapm_ring_close(p);
	return NULL;
}

static void *consumer_thread(void *arg)
{
	bvapm_ring *c = arg;
	struct bvapm_ring_record recs[64];

	while (!ck_pr_load_int(&stop_threads)) {
		int n = bvapm_ring_peek(c, recs, 64);
		if (n > 0)
			bvapm_ring_release(c, recs[n - 1].end);
	}
	return NULL;
}

static void test_live_never_torn(void **state)
{
	bvapm_ring *c = test_create("obs-live", 1 << 14, 2048);
	bvapm_ring *o = open_readonly("obs-live");
	pthread_t threads[3];
	struct bvapm_ring_cursor cur;
	struct bvapm_ring_record rec;
	uint64_t good = 0, last_pos = 0;

	ck_pr_store_int(&stop_threads, 0);
	pthread_create(&threads[0], NULL, producer_thread, (void *)1);
	pthread_create(&threads[1], NULL, producer_thread, (void *)2);
	pthread_create(&threads[2], NULL, consumer_thread, c);
	assert_int_equal(bvapm_ring_cursor_at_head(o, &cur), 0);
	uint64_t end = now_ms() + 400;
	while (now_ms() < end) {
		int got = bvapm_ring_observe(o, &cur, copy_buf, sizeof(copy_buf), &rec);
		uint32_t producer;
		uint64_t seq;

		assert_true(got >= 0);
		if (got == BVAPM_OBSERVE_BUSY)
			continue;
		if (got == BVAPM_OBSERVE_RECORD) {
			assert_int_equal(test_payload_check(rec.data, rec.len, &producer, &seq), 0);
			assert_true(rec.pos >= last_pos);
			last_pos = rec.end;
			good++;
		}
	}
	ck_pr_store_int(&stop_threads, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(threads[i], NULL);
	print_message("# observed %llu whole records, missed %llu, overtaken %llu bytes\n",
	              (unsigned long long)good, (unsigned long long)cur.missed,
	              (unsigned long long)cur.overtaken_bytes);
	assert_true(good > 0);
	assert_int_equal(cur.invalid_records, 0);
	bvapm_ring_close(o);
	bvapm_ring_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_without_consuming),
		cmocka_unit_test(test_busy_skip_and_too_big),
		cmocka_unit_test(test_overtaken_by_consumer),
		cmocka_unit_test(test_freed_during_copy),
		cmocka_unit_test(test_reused_during_copy),
		cmocka_unit_test(test_garbage_data_area),
		cmocka_unit_test(test_live_never_torn),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	test_shm_cleanup();
	return rc;
}
