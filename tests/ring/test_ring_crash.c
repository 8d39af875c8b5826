/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ring_crash.c — producers killed with SIGKILL inside the write protocol.
 *
 * Built against the hooked ring library: a victim producer stops at a chosen
 * step (claim, padding claim, tail publish, mid-copy, before commit, mid slot
 * update) and waits to be killed. Then other producers keep writing, and the
 * consumer must get past the dead reservation within 100 ms of the kill
 * (default timeouts), deliver every other record intact, and count the dead
 * reservation in `repaired`. A second case kills producers at random moments
 * under load, many times over. A third checks that a worker killed inside a
 * request leaves a slot that readers see as dead, with its request.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "ring_test_util.h"
#include "ring/ring_test_hooks.h"

#define BOUND_MS 100

struct shared {
	volatile int victim_parked; /* victim reached the step */
	volatile int step;          /* which step to park at */
	volatile int park_on_record; /* park on this record of the victim, -1 any */
	uint64_t committed[4];
	uint64_t dropped[4];
};

static struct shared *sh;
static int victim_record;

static void park_hook(enum bvapm_ring_step step)
{
	if ((int)step == sh->step &&
	    (sh->park_on_record < 0 || victim_record == sh->park_on_record)) {
		__atomic_store_n(&sh->victim_parked, 1, __ATOMIC_SEQ_CST);
		for (;;)
			pause();
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Victim: writes records until it parks at the step and is killed. */
static void victim(const char *name, uint32_t len)
{
	static uint8_t buf[4096];
	bvapm_ring *p = NULL;

	if (bvapm_ring_attach(name, &p, NULL) != 0)
		_exit(2);
	bvapm_ring_slot_request_begin(p, "0123456789abcdef0123456789abcdef", "POST", "/checkout",
	                              test_now_ns(CLOCK_REALTIME), test_now_ns(CLOCK_MONOTONIC));
	bvapm_ring_test_hook = park_hook;
	/* A write dropped because the ring is full (the consumer may be
	 * descheduled on a loaded machine) does not count: retry it after a
	 * pause, so the victim reaches the step whatever the scheduling. */
	uint64_t give_up = now_ms() + 10000;
	for (victim_record = 0;;) {
		/* as the agent does before encoding each record */
		bvapm_ring_prepare(p, len);
		test_payload_fill(buf, len, 3, (uint64_t)victim_record);
		if (bvapm_ring_write(p, 4, buf, len) != 0) {
			usleep(50);
		} else {
			bvapm_ring_slot_checkpoint(p, "step", victim_record, test_now_ns(CLOCK_MONOTONIC));
			victim_record++;
		}
		if (victim_record > 1000 || now_ms() > give_up)
			_exit(4); /* never parked: the test is wrong */
	}
}

static void writer(const char *name, uint32_t id, uint32_t n)
{
	static uint8_t buf[4096];
	bvapm_ring *p = NULL;

	if (bvapm_ring_attach(name, &p, NULL) != 0)
		_exit(2);
	for (uint32_t seq = 0; seq < n; seq++) {
		uint32_t len = test_payload_fill(buf, 40 + seq % 300, id, seq);
		if (seq % 2 == 0)
			bvapm_ring_prepare(p, len);
		if (bvapm_ring_write(p, (uint16_t)(1 + id), buf, len) == 0)
			sh->committed[id]++;
		else
			sh->dropped[id]++;
	}
	_exit(0);
}

/* Drains everything; returns records of producer `id` delivered intact. */
static uint64_t drain(bvapm_ring *c, uint32_t id, uint64_t *victims, uint64_t *corrupt)
{
	struct bvapm_ring_record recs[128];
	uint64_t got = 0;
	int n;

	while ((n = bvapm_ring_peek(c, recs, 128)) > 0) {
		for (int i = 0; i < n; i++) {
			uint32_t prod;
			uint64_t seq;
			if (test_payload_check(recs[i].data, recs[i].len, &prod, &seq) != 0)
				(*corrupt)++;
			else if (prod == id)
				got++;
			else if (prod == 3)
				(*victims)++;
		}
		bvapm_ring_release(c, recs[n - 1].end);
	}
	return got;
}

static void kill_at_step(enum bvapm_ring_step step, uint64_t capacity, uint32_t len,
                         int park_on, bool expect_repair)
{
	char name[32];
	snprintf(name, sizeof(name), "crash-%d", (int)step);
	bvapm_ring *c = test_create(name, capacity, 2048);
	memset(sh, 0, sizeof(*sh));
	sh->step = (int)step;
	sh->park_on_record = park_on;

	pid_t v = fork();
	if (v == 0)
		victim(name, len);
	while (!__atomic_load_n(&sh->victim_parked, __ATOMIC_SEQ_CST)) {
		int status;
		if (waitpid(v, &status, WNOHANG) == v)
			fail_msg("victim exited (%d) without parking at step %d", status, (int)step);
		/* keep draining the victim's earlier records */
		uint64_t vict = 0, corrupt = 0;
		drain(c, 0, &vict, &corrupt);
		usleep(100);
	}
	uint64_t vict = 0, corrupt = 0, got = 0;
	drain(c, 0, &vict, &corrupt);

	/* Another producer writes while the victim holds its reservation; its
	 * records queue up behind it (or are dropped as full, and counted). */
	pid_t w = fork();
	if (w == 0)
		writer(name, 0, 2000);
	int status;
	waitpid(w, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* A live, stalled owner is waited for, not repaired. */
	for (int i = 0; i < 20; i++) {
		got += drain(c, 0, &vict, &corrupt);
		usleep(1000);
	}
	struct bvapm_ring_stats before;
	bvapm_ring_stats(c, &before);
	assert_int_equal(before.lost[BVAPM_LOSS_REPAIRED], 0);

	kill(v, SIGKILL); /* not reaped yet: a zombie must count as dead */
	uint64_t killed_at = now_ms(), resumed_at = 0;

	/* The consumer must get past the dead reservation within the bound. */
	while (now_ms() - killed_at < 5000) {
		got += drain(c, 0, &vict, &corrupt);
		if (got == sh->committed[0]) {
			resumed_at = now_ms();
			break;
		}
		usleep(1000);
	}
	waitpid(v, NULL, 0);
	assert_int_equal(corrupt, 0);
	assert_int_equal(got, sh->committed[0]);
	assert_true(sh->committed[0] > 0);
	assert_int_equal(sh->committed[0] + sh->dropped[0], 2000);
	uint64_t waited = resumed_at - killed_at;
	print_message("# step %d: consumer resumed %llu ms after the kill (%llu records had queued)\n",
	              (int)step, (unsigned long long)waited, (unsigned long long)sh->committed[0]);
	assert_true(waited <= BOUND_MS);

	struct bvapm_ring_stats st;
	bvapm_ring_stats(c, &st);
	assert_int_equal(st.lost[BVAPM_LOSS_REPAIRED], expect_repair ? 1 : 0);
	assert_int_equal(st.invalid_records, 0);
	struct bvapm_ring_check_report rep;
	assert_int_equal(bvapm_ring_check(c, &rep), 0);
	bvapm_ring_close(c);
}

static void test_kill_before_claim(void **state)
{
	kill_at_step(BVAPM_STEP_BEFORE_CLAIM, 1 << 14, 200, 3, false);
}
static void test_kill_after_prepare(void **state)
{
	/* stalled, then killed, after prefetching (the tail loaded, nothing
	 * claimed): the others write on, nothing to repair */
	kill_at_step(BVAPM_STEP_AFTER_PREPARE, 1 << 14, 200, 3, false);
}
static void test_kill_after_claim(void **state)
{
	kill_at_step(BVAPM_STEP_AFTER_CLAIM, 1 << 14, 200, 3, true);
}
static void test_kill_after_padding_claim(void **state)
{
	/* 1000-byte records in a 4 KiB ring: the first wrap needs padding */
	kill_at_step(BVAPM_STEP_AFTER_PADDING_CLAIM, 4096, 1000, -1, false);
}
static void test_kill_after_tail(void **state)
{
	kill_at_step(BVAPM_STEP_AFTER_TAIL, 1 << 14, 200, 3, true);
}
static void test_kill_mid_copy(void **state)
{
	kill_at_step(BVAPM_STEP_MID_COPY, 1 << 14, 200, 3, true);
}
static void test_kill_before_commit(void **state)
{
	kill_at_step(BVAPM_STEP_BEFORE_COMMIT, 1 << 14, 200, 3, true);
}

/* Random kills under load: three producers, one of them killed and replaced
 * at random moments 30 times; the ring never wedges, nothing another
 * producer committed is lost or corrupt, repaired <= kills. */
static void test_random_kills_under_load(void **state)
{
	const char *name = "crash-random";
	bvapm_ring *c = test_create(name, 1 << 16, 2048);
	uint64_t corrupt = 0, vict = 0, got = 0;
	int kills = 0;

	memset(sh, 0, sizeof(*sh));
	sh->step = -1;
	pid_t w = fork();
	if (w == 0)
		writer(name, 0, 200000);
	srand(7);
	for (int round = 0; round < 30; round++) {
		pid_t v = fork();
		if (v == 0)
			victim(name, 100 + (uint32_t)(rand() % 900));
		uint64_t until = now_ms() + 2 + (uint64_t)(rand() % 8);
		while (now_ms() < until)
			got += drain(c, 0, &vict, &corrupt);
		kill(v, SIGKILL);
		waitpid(v, NULL, 0);
		kills++;
	}
	int status;
	waitpid(w, &status, 0);
	/* Drain until the writer's records are all in and the last victim's
	 * dead reservation (if any) has been repaired, so the ring is empty. */
	uint64_t deadline = now_ms() + 2000;
	struct bvapm_ring_stats st;
	for (;;) {
		got += drain(c, 0, &vict, &corrupt);
		bvapm_ring_stats(c, &st);
		if ((got >= sh->committed[0] && st.head == st.tail) || now_ms() >= deadline)
			break;
		usleep(1000);
	}
	print_message("# %d kills, %llu repaired, %llu victim records, %llu writer records\n", kills,
	              (unsigned long long)st.lost[BVAPM_LOSS_REPAIRED], (unsigned long long)vict,
	              (unsigned long long)got);
	assert_int_equal(corrupt, 0);
	assert_int_equal(got, sh->committed[0]);
	assert_true(st.lost[BVAPM_LOSS_REPAIRED] <= (uint64_t)kills);
	assert_int_equal(st.head, st.tail); /* not wedged */
	bvapm_ring_close(c);
}

/* A worker killed inside a request: its slot is seen as dead, with the
 * request it was serving; a worker killed mid slot update is seen as torn. */
static void run_dead_slot(enum bvapm_ring_step step, bool expect_torn)
{
	bvapm_ring *c = test_create("crash-slot", 1 << 14, 2048);
	memset(sh, 0, sizeof(*sh));
	sh->step = (int)step;
	sh->park_on_record = 0;

	pid_t v = fork();
	if (v == 0) {
		bvapm_ring *p = NULL;
		if (bvapm_ring_attach("crash-slot", &p, NULL) != 0)
			_exit(2);
		victim_record = 0;
		bvapm_ring_slot_request_begin(p, "0123456789abcdef0123456789abcdef", "POST",
		                              "/checkout", test_now_ns(CLOCK_REALTIME),
		                              test_now_ns(CLOCK_MONOTONIC));
		bvapm_ring_slot_checkpoint(p, "cart-loaded", 4 << 20, test_now_ns(CLOCK_MONOTONIC));
		bvapm_ring_test_hook = park_hook;
		bvapm_ring_slot_request_begin(p, "fedcba9876543210fedcba9876543210", "GET", "/report",
		                              test_now_ns(CLOCK_REALTIME), test_now_ns(CLOCK_MONOTONIC));
		__atomic_store_n(&sh->victim_parked, 1, __ATOMIC_SEQ_CST);
		for (;;)
			pause();
	}
	while (!__atomic_load_n(&sh->victim_parked, __ATOMIC_SEQ_CST))
		usleep(100);
	struct bvapm_ring_slot_view views[4];
	assert_int_equal(bvapm_ring_slots(c, views, 4), 1);
	assert_true(views[0].alive);
	kill(v, SIGKILL);
	waitpid(v, NULL, 0);
	assert_int_equal(bvapm_ring_slots(c, views, 4), 1);
	assert_false(views[0].alive);
	assert_true(views[0].in_request);
	assert_int_equal(views[0].pid, (uint32_t)v);
	assert_int_equal(views[0].torn, expect_torn);
	assert_null(views[0].invalid); /* torn or not, what a worker leaves is plausible */
	if (!expect_torn) {
		assert_string_equal(views[0].method, "GET");
		assert_string_equal(views[0].uri, "/report");
		assert_string_equal(views[0].trace_id, "fedcba9876543210fedcba9876543210");
	}
	struct bvapm_ring_stats st;
	bvapm_ring_stats(c, &st);
	assert_int_equal(st.slots_dead, 1);
	/* the drainer reaps it once it has recorded the aborted request */
	assert_int_equal(bvapm_ring_slot_reap(c, views[0].index, views[0].pid), 0);
	assert_int_equal(bvapm_ring_slots(c, views, 4), 0);
	bvapm_ring_close(c);
}

static void test_dead_worker_slot(void **state) { run_dead_slot(BVAPM_STEP__COUNT, false); }
static void test_dead_worker_torn_slot(void **state) { run_dead_slot(BVAPM_STEP_MID_SLOT_UPDATE, true); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_before_claim),
		cmocka_unit_test(test_kill_after_prepare),
		cmocka_unit_test(test_kill_after_claim),
		cmocka_unit_test(test_kill_after_padding_claim),
		cmocka_unit_test(test_kill_after_tail),
		cmocka_unit_test(test_kill_mid_copy),
		cmocka_unit_test(test_kill_before_commit),
		cmocka_unit_test(test_random_kills_under_load),
		cmocka_unit_test(test_dead_worker_slot),
		cmocka_unit_test(test_dead_worker_torn_slot),
	};
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	test_shm_dir();
	return cmocka_run_group_tests_name("ring crash", tests, NULL, test_shm_teardown);
}
