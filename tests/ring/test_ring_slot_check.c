/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ring_slot_check.c — the slot table is shared memory any process of
 * the ring's group may write: readers must tell a slot a worker left from
 * garbage. Each case writes one slot through a second mapping of the ring
 * file (as a rogue process would), then checks what bvapm_ring_slots makes of
 * it: `invalid` names the reason, `alive` is true only for the process that
 * claimed the slot (pid and start time), strings are terminated, and reaping
 * frees any slot whose owner is not running, garbage owners included. Bytes a
 * real request may carry (control characters or non-ASCII in a URI) do not
 * make a slot invalid.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#include "ring_test_util.h"

#define RING "slotcheck"

static bvapm_ring *consumer;
static uint8_t *map;
static size_t map_len;
static struct bvapm_ring_slot *table;
static uint32_t slot_count;

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A pid that no process has: a child that has exited and been waited for. */
static uint32_t dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return (uint32_t)pid;
}

static int setup(void **state)
{
	char path[256];
	struct stat sb;

	(void)state;
	consumer = test_create(RING, 1 << 14, 1024);
	assert_int_equal(bvapm_ring_path(RING, path, sizeof(path)), 0);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	map_len = (size_t)sb.st_size;
	map = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(map != MAP_FAILED);
	const struct bvapm_ring_header *h = (const void *)map;
	table = (struct bvapm_ring_slot *)(void *)(map + h->slot_offset);
	slot_count = h->slot_count;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	munmap(map, map_len);
	bvapm_ring_close(consumer);
	test_shm_cleanup();
	return 0;
}

/* A slot as a worker of pid `owner` inside a request leaves it. */
static struct bvapm_ring_slot plausible(uint64_t owner)
{
	struct bvapm_ring_slot s;
	uint64_t mono = now_ns(CLOCK_MONOTONIC);

	memset(&s, 0, sizeof(s));
	s.owner = owner;
	s.seq = 8;
	s.state = BVAPM_SLOT_IN_REQUEST;
	s.proc_start = 1;
	s.generation = 1;
	s.request_count = 3;
	s.req_start_wall_ns = now_ns(CLOCK_REALTIME) - 1000000;
	s.req_start_mono_ns = mono - 1000000;
	s.checkpoint_mono_ns = mono - 500000;
	s.checkpoint_mem = 4 << 20;
	s.sql_start_mono_ns = mono - 100000;
	strcpy(s.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
	strcpy(s.method, "GET");
	strcpy(s.uri, "/orders/42");
	strcpy(s.checkpoint, "loaded");
	strcpy(s.sql, "SELECT * FROM orders WHERE id = ?");
	return s;
}

/* Writes s into the last slot (never the one a producer of this test
 * claims) and returns the reader's view of it. */
static struct bvapm_ring_slot_view view_of(const struct bvapm_ring_slot *s)
{
	struct bvapm_ring_slot_view *v = calloc(slot_count, sizeof(*v));
	struct bvapm_ring_slot_view out;
	uint32_t index = slot_count - 1;
	bool found = false;

	assert_non_null(v);
	memcpy(&table[index], s, sizeof(*s));
	int n = bvapm_ring_slots(consumer, v, slot_count);
	for (int i = 0; i < n; i++)
		if (v[i].index == index) {
			out = v[i];
			found = true;
		}
	free(v);
	memset(&table[index], 0, sizeof(table[index]));
	if (!found)
		fail_msg("slot %u not reported", index);
	return out;
}

static void expect_invalid(const struct bvapm_ring_slot *s, const char *reason)
{
	struct bvapm_ring_slot_view v = view_of(s);

	if (v.invalid == NULL)
		fail_msg("slot accepted; expected \"%s\"", reason);
	if (strstr(v.invalid, reason) == NULL)
		fail_msg("slot refused for \"%s\"; expected \"%s\"", v.invalid, reason);
	assert_false(v.alive);
}

static void test_plausible_dead_slot_is_valid(void **state)
{
	(void)state;
	struct bvapm_ring_slot s = plausible(dead_pid());
	struct bvapm_ring_slot_view v = view_of(&s);

	assert_null(v.invalid);
	assert_false(v.alive);
	assert_true(v.in_request);
	assert_false(v.torn);
	assert_string_equal(v.uri, "/orders/42");
	/* idle, fields of the last request kept, or freshly claimed: valid too */
	s.state = BVAPM_SLOT_IDLE;
	assert_null(view_of(&s).invalid);
	struct bvapm_ring_slot fresh = {.owner = s.owner, .generation = 1};
	assert_null(view_of(&fresh).invalid);
}

static void test_owner_and_state(void **state)
{
	(void)state;
	struct bvapm_ring_slot s = plausible(UINT64_C(0xdeadbeefcafebabe));
	expect_invalid(&s, "owner pid out of range");
	s.owner = 4194305;
	expect_invalid(&s, "owner pid out of range");
	s = plausible(dead_pid());
	s.state = 0x41414141;
	expect_invalid(&s, "unknown state");
	s = plausible(dead_pid());
	s.generation = 0;
	expect_invalid(&s, "generation 0");
	s = plausible(dead_pid());
	s.request_count = 0;
	expect_invalid(&s, "without a request number");
	s = plausible(dead_pid());
	s.req_start_mono_ns = 0;
	s.checkpoint_mono_ns = s.sql_start_mono_ns = 0;
	expect_invalid(&s, "without a start time");
	s = plausible(dead_pid());
	s.checkpoint_mem = -1;
	expect_invalid(&s, "negative checkpoint memory");
}

static void test_strings(void **state)
{
	(void)state;
	uint32_t pid = dead_pid();
	struct bvapm_ring_slot s = plausible(pid);
	memset(s.uri, 'A', sizeof(s.uri));
	expect_invalid(&s, "URI not terminated");
	s = plausible(pid);
	memset(s.trace_id, 'a', sizeof(s.trace_id));
	expect_invalid(&s, "trace id not terminated");
	s = plausible(pid);
	memset(s.method, 'G', sizeof(s.method));
	expect_invalid(&s, "method not terminated");
	s = plausible(pid);
	memset(s.checkpoint, 'c', sizeof(s.checkpoint));
	expect_invalid(&s, "checkpoint label not terminated");
	s = plausible(pid);
	memset(s.sql, 'S', sizeof(s.sql));
	expect_invalid(&s, "SQL not terminated");
	s = plausible(pid);
	strcpy(s.trace_id, "4BF92F3577B34DA6A3CE929D0E0E4736");
	expect_invalid(&s, "trace id is not 32 hex digits");
	s = plausible(pid);
	strcpy(s.trace_id, "4bf92f35\n7b34da6");
	expect_invalid(&s, "trace id is not 32 hex digits");

	/* a request may carry any byte but NUL: kept, for printers to escape */
	s = plausible(pid);
	strcpy(s.uri, "/caf\xc3\xa9/\x01\x1b[2J\n");
	strcpy(s.method, "G\tET");
	strcpy(s.sql, "SELECT '\xff\xfe'");
	struct bvapm_ring_slot_view v = view_of(&s);
	assert_null(v.invalid);
	assert_string_equal(v.uri, "/caf\xc3\xa9/\x01\x1b[2J\n");
}

static void test_times(void **state)
{
	(void)state;
	uint64_t hour = UINT64_C(3600) * 1000000000u;
	uint32_t pid = dead_pid();
	struct bvapm_ring_slot s = plausible(pid);
	s.req_start_wall_ns = now_ns(CLOCK_REALTIME) + hour;
	expect_invalid(&s, "request start in the future");
	s = plausible(pid);
	s.req_start_wall_ns = UINT64_MAX;
	expect_invalid(&s, "request start in the future");
	s = plausible(pid);
	s.req_start_wall_ns = now_ns(CLOCK_REALTIME) - 24 * hour; /* the ring is seconds old */
	expect_invalid(&s, "before the ring was created");
	s = plausible(pid);
	s.req_start_mono_ns = now_ns(CLOCK_MONOTONIC) + hour;
	s.checkpoint_mono_ns = s.sql_start_mono_ns = 0;
	expect_invalid(&s, "monotonic");
	s = plausible(pid);
	s.checkpoint_mono_ns = s.req_start_mono_ns - 1;
	expect_invalid(&s, "checkpoint time outside the request");
	s = plausible(pid);
	s.sql_start_mono_ns = now_ns(CLOCK_MONOTONIC) + hour;
	expect_invalid(&s, "SQL start time outside the request");
}

/* A live pid that did not claim the slot (garbage, or the pid reused after
 * the worker died) is not its owner; a dead slot of any kind is reaped. */
static void test_owner_is_the_process_that_claimed(void **state)
{
	(void)state;
	uint32_t index = slot_count - 1;
	struct bvapm_ring_slot s = plausible(1); /* pid 1 runs, but started long before */
	s.proc_start = UINT64_C(0x7fffffffffff);
	memcpy(&table[index], &s, sizeof(s));
	struct bvapm_ring_slot_view v[4];
	int n = bvapm_ring_slots(consumer, v, 4);
	assert_int_equal(n, 1);
	assert_false(v[0].alive);
	assert_null(v[0].invalid); /* a plausible request of a dead worker */
	assert_int_equal(bvapm_ring_slot_reap(consumer, index, 1), 0);
	assert_int_equal(table[index].owner, 0);

	/* a garbage owner wider than a pid: matched by the view's pid, freed */
	s = plausible(UINT64_C(0xdeadbeef00001234));
	memcpy(&table[index], &s, sizeof(s));
	n = bvapm_ring_slots(consumer, v, 4);
	assert_int_equal(n, 1);
	assert_int_equal(bvapm_ring_slot_reap(consumer, index, 0x4321), -ESRCH);
	assert_int_equal(bvapm_ring_slot_reap(consumer, index, v[0].pid), 0);
	assert_int_equal(bvapm_ring_slots(consumer, v, 4), 0);
}

static void test_live_producer_valid_and_kept(void **state)
{
	(void)state;
	bvapm_ring *p = NULL;
	assert_int_equal(bvapm_ring_attach(RING, &p, NULL), 0);
	int index = bvapm_ring_slot_index(p);
	assert_true(index >= 0 && (uint32_t)index < slot_count - 1);
	bvapm_ring_slot_request_begin(p, "4bf92f3577b34da6a3ce929d0e0e4736", "GET", "/live",
	                              now_ns(CLOCK_REALTIME), now_ns(CLOCK_MONOTONIC));
	bvapm_ring_slot_checkpoint(p, "cp", 1 << 20, now_ns(CLOCK_MONOTONIC));
	bvapm_ring_slot_sql(p, "SELECT 1", now_ns(CLOCK_MONOTONIC));
	struct bvapm_ring_slot_view v[4];
	assert_int_equal(bvapm_ring_slots(consumer, v, 4), 1);
	assert_true(v[0].alive);
	assert_null(v[0].invalid);
	assert_int_equal(bvapm_ring_slot_reap(consumer, (uint32_t)index, v[0].pid), -EBUSY);

	/* its owner word overwritten: the producer stops writing that slot */
	table[index].owner = UINT64_C(0xffffffffffffffff);
	memset(table[index].uri, 'Z', sizeof(table[index].uri));
	bvapm_ring_slot_request_begin(p, "", "GET", "/after", now_ns(CLOCK_REALTIME),
	                              now_ns(CLOCK_MONOTONIC));
	assert_int_equal(bvapm_ring_slot_index(p), -1);
	assert_int_equal(table[index].uri[0], 'Z');
	assert_int_equal(bvapm_ring_slots(consumer, v, 4), 1);
	assert_non_null(v[0].invalid);
	assert_int_equal(bvapm_ring_slot_reap(consumer, (uint32_t)index, v[0].pid), 0);
	assert_int_equal(bvapm_ring_write(p, 1, "x", 1), 0); /* records still flow */
	bvapm_ring_close(p);
	assert_int_equal(bvapm_ring_slots(consumer, v, 4), 0);
}

/* Random bytes over the whole table: every slot is invalid, none alive,
 * every string of every view terminated, and all of them can be reaped. */
static void test_random_table(void **state)
{
	(void)state;
	unsigned seed = 11;
	uint8_t *bytes = (uint8_t *)table;
	for (size_t i = 0; i < (size_t)slot_count * BVAPM_RING_SLOT_SIZE; i++)
		bytes[i] = (uint8_t)rand_r(&seed);
	struct bvapm_ring_slot_view *v = calloc(slot_count, sizeof(*v));
	assert_non_null(v);
	int n = bvapm_ring_slots(consumer, v, slot_count);
	assert_int_equal(n, (int)slot_count);
	for (int i = 0; i < n; i++) {
		assert_non_null(v[i].invalid);
		assert_false(v[i].alive);
		assert_true(memchr(v[i].uri, '\0', sizeof(v[i].uri)) != NULL);
		assert_true(memchr(v[i].sql, '\0', sizeof(v[i].sql)) != NULL);
		assert_int_equal(bvapm_ring_slot_reap(consumer, v[i].index, v[i].pid), 0);
	}
	assert_int_equal(bvapm_ring_slots(consumer, v, slot_count), 0);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plausible_dead_slot_is_valid),
		cmocka_unit_test(test_owner_and_state),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_owner_is_the_process_that_claimed),
		cmocka_unit_test(test_live_producer_valid_and_kept),
		cmocka_unit_test(test_random_table),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
