/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ring_hostile.c — a ring that foreign writes and stalled producers
 * cannot stop, and whose file can be truncated, replaced or planted without
 * killing anybody. Real processes, real files in /dev/shm.
 *
 *   - a garbage word at the tail (written by another process through its own
 *     mapping of the file) is cleared by the consumer: every later record is
 *     delivered, the word is counted invalid and `check` saw it;
 *   - garbage ahead of the tail and across the wrap, written while producers
 *     pause and again while they run: the ring keeps moving, and what is
 *     written after the rogue stops is delivered intact;
 *   - a producer stopped with SIGSTOP in the middle of its copy, past the stall
 *     timeout, then continued: its late copy lands in words the consumer has
 *     released, and the ring does not wedge a lap later;
 *   - the file truncated under a producer and under the consumer: neither dies
 *     (SIGBUS guard), both see the ring retired; a SIGBUS elsewhere still kills;
 *   - a ring file writable by everybody or owned by another user is refused;
 *   - a removed, replaced or retired ring is noticed, and what a producer
 *     leaves unread in it is counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "ring_test_util.h"
#include "ring/ring_test_hooks.h"

#define PRODUCERS 2
#define GARBAGE UINT64_C(0x0123456789abcdef)

struct shared {
	volatile int go;        /* producers may write */
	volatile int paused[PRODUCERS];
	volatile int stop;
	uint64_t committed[PRODUCERS + 1];
	uint64_t gave_up[PRODUCERS + 1];
};

static struct shared *sh;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A foreign process's view of the file: its own mapping, no ring library. */
struct raw_ring {
	uint8_t *base;
	size_t len;
	struct bvapm_ring_header *h;
	uint64_t *data;
	uint64_t cap;
};

static struct raw_ring raw_open(const char *name)
{
	char path[128];
	struct stat st;
	struct raw_ring rr;

	assert_int_equal(bvapm_ring_path(name, path, sizeof(path)), 0);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	rr.len = (size_t)st.st_size;
	rr.base = mmap(NULL, rr.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(rr.base != MAP_FAILED);
	close(fd);
	rr.h = (struct bvapm_ring_header *)(void *)rr.base;
	rr.data = (uint64_t *)(void *)(rr.base + rr.h->data_offset);
	rr.cap = rr.h->capacity;
	return rr;
}

static void raw_poke(struct raw_ring *rr, uint64_t pos, uint64_t word)
{
	__atomic_store_n(&rr->data[(pos & (rr->cap - 1)) / 8], word, __ATOMIC_RELAXED);
}

/* Writes `n` records, retrying a dropped one (a garbage tail or a full ring
 * drops at once; the consumer clears the one and drains the other) for at
 * most 10 s in all. Pauses while sh->go is 0. */
static void producer(const char *name, uint32_t id, uint32_t n, uint32_t max_len)
{
	static uint8_t buf[4096];
	bvapm_ring *p = NULL;
	uint64_t deadline = now_ms() + 10000;

	if (bvapm_ring_attach(name, &p, NULL) != 0)
		_exit(2);
	for (uint32_t seq = 0; seq < n;) {
		if (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&sh->paused[id], 1, __ATOMIC_RELEASE);
			usleep(200);
			continue;
		}
		__atomic_store_n(&sh->paused[id], 0, __ATOMIC_RELEASE);
		uint32_t len = test_payload_fill(buf, 40 + (seq * 37) % max_len, id, seq);
		if (bvapm_ring_write(p, (uint16_t)(1 + id), buf, len) == 0) {
			__atomic_add_fetch(&sh->committed[id], 1, __ATOMIC_RELAXED);
			seq++;
		} else if (now_ms() > deadline) {
			__atomic_add_fetch(&sh->gave_up[id], 1, __ATOMIC_RELAXED);
			seq++;
		} else {
			usleep(20);
		}
	}
	bvapm_ring_close(p);
	_exit(0);
}

struct tally {
	uint64_t got[PRODUCERS + 1];
	uint64_t next[PRODUCERS + 1]; /* next sequence expected */
	uint64_t corrupt, out_of_order;
};

static void drain_once(bvapm_ring *c, struct tally *t)
{
	struct bvapm_ring_record recs[128];
	int n;

	while ((n = bvapm_ring_peek(c, recs, 128)) > 0) {
		for (int i = 0; i < n; i++) {
			uint32_t prod;
			uint64_t seq;
			if (test_payload_check(recs[i].data, recs[i].len, &prod, &seq) != 0 ||
			    prod > PRODUCERS) {
				t->corrupt++;
				continue;
			}
			if (seq < t->next[prod])
				t->out_of_order++;
			t->next[prod] = seq + 1;
			t->got[prod]++;
		}
		bvapm_ring_release(c, recs[n - 1].end);
	}
}

static pid_t spawn_producer(const char *name, uint32_t id, uint32_t n, uint32_t max_len)
{
	pid_t pid = fork();
	if (pid == 0)
		producer(name, id, n, max_len);
	return pid;
}

/* Lets the producers write and starts PRODUCERS of them, n records each. */
static void start_producers(const char *name, pid_t *pids, uint32_t n, uint32_t max_len)
{
	sh->go = 1;
	for (int i = 0; i < PRODUCERS; i++)
		pids[i] = spawn_producer(name, (uint32_t)i, n, max_len);
}

/* A fresh ring of cap bytes, the shared state cleared, and the producers
 * already writing into it. */
static bvapm_ring *ring_with_producers(const char *name, uint64_t cap, pid_t *pids, uint32_t n,
                                       uint32_t max_len)
{
	bvapm_ring *c = test_create(name, cap, 4096);

	memset(sh, 0, sizeof(*sh));
	start_producers(name, pids, n, max_len);
	return c;
}

/* Drains until every producer exited, then once more. */
static void drain_until_exit(bvapm_ring *c, struct tally *t, pid_t *pids, int npids)
{
	int alive = npids;
	uint64_t deadline = now_ms() + 30000;

	while (alive > 0 && now_ms() < deadline) {
		drain_once(c, t);
		for (int i = 0; i < npids; i++) {
			int status;
			if (pids[i] > 0 && waitpid(pids[i], &status, WNOHANG) == pids[i]) {
				assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
				pids[i] = 0;
				alive--;
			}
		}
		usleep(100);
	}
	assert_int_equal(alive, 0);
	drain_once(c, t);
}

static void wait_paused(void)
{
	uint64_t deadline = now_ms() + 5000;
	for (int i = 0; i < PRODUCERS; i++)
		while (!__atomic_load_n(&sh->paused[i], __ATOMIC_ACQUIRE) && now_ms() < deadline)
			usleep(100);
}

static void test_garbage_word_at_the_tail(void **state)
{
	(void)state;
	bvapm_ring *c = test_create("hostile-tail", 1 << 16, 4096);
	memset(sh, 0, sizeof(*sh));

	/* another process scribbles one word at the tail */
	pid_t rogue = fork();
	if (rogue == 0) {
		struct raw_ring rr = raw_open("hostile-tail");
		raw_poke(&rr, rr.h->tail, GARBAGE);
		_exit(0);
	}
	int status;
	waitpid(rogue, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	struct bvapm_ring_check_report rep;
	assert_true(bvapm_ring_check(c, &rep) > 0);
	assert_non_null(strstr(rep.first_problem, "the word at the tail"));

	pid_t pids[PRODUCERS];
	start_producers("hostile-tail", pids, 3000, 300);
	struct tally t = {0};
	drain_until_exit(c, &t, pids, PRODUCERS);

	for (int i = 0; i < PRODUCERS; i++) {
		assert_int_equal(sh->gave_up[i], 0);
		assert_int_equal(t.got[i], 3000);
	}
	assert_int_equal(t.corrupt, 0);
	struct bvapm_ring_consumer_events ev;
	bvapm_ring_consumer_events(c, &ev);
	assert_int_equal(ev.tail_cleared, 1);
	assert_int_equal(ev.last_word, GARBAGE);
	struct bvapm_ring_stats st;
	bvapm_ring_stats(c, &st);
	assert_true(st.invalid_records >= 1);
	assert_int_equal(bvapm_ring_check(c, &rep), 0);
	bvapm_ring_close(c);
}

/* Garbage from tail + 8 to tail + span (every word) and over the first and
 * last 512 bytes of the data area. */
static void scribble_ahead(const char *name, uint64_t span)
{
	struct raw_ring rr = raw_open(name);
	uint64_t t = rr.h->tail;

	for (uint64_t p = t + 8; p < t + span; p += 8)
		raw_poke(&rr, p, GARBAGE ^ p);
	for (uint64_t o = 0; o < 512; o += 8) {
		raw_poke(&rr, o, GARBAGE ^ o);
		raw_poke(&rr, rr.cap - 8 - o, GARBAGE ^ o);
	}
}

static void test_garbage_ahead_and_across_the_wrap(void **state)
{
	(void)state;
	const uint64_t cap = 1 << 16;
	pid_t pids[PRODUCERS];
	bvapm_ring *c = ring_with_producers("hostile-ahead", cap, pids, 6000, 500);
	struct tally t = {0};
	/* let them lap the ring a few times, then pause them and drain */
	while (__atomic_load_n(&sh->committed[0], __ATOMIC_RELAXED) < 1500)
		drain_once(c, &t);
	sh->go = 0;
	wait_paused();
	drain_once(c, &t);

	/* while they pause: garbage over half the free area and both ends */
	pid_t rogue = fork();
	if (rogue == 0) {
		scribble_ahead("hostile-ahead", cap / 2);
		_exit(0);
	}
	waitpid(rogue, NULL, 0);
	struct bvapm_ring_check_report rep;
	assert_true(bvapm_ring_check(c, &rep) > 0);
	assert_true(rep.garbage_words > 1000);

	sh->go = 1;
	drain_until_exit(c, &t, pids, PRODUCERS);
	for (int i = 0; i < PRODUCERS; i++) {
		assert_int_equal(sh->gave_up[i], 0);
		assert_int_equal(t.got[i], 6000);
	}
	assert_int_equal(t.corrupt, 0);
	assert_int_equal(t.out_of_order, 0);
	struct bvapm_ring_consumer_events ev;
	bvapm_ring_consumer_events(c, &ev);
	print_message("# %llu garbage words cleared at the tail\n",
	              (unsigned long long)ev.tail_cleared);
	assert_true(ev.tail_cleared >= 1);
	assert_int_equal(bvapm_ring_check(c, &rep), 0);
	bvapm_ring_close(c);
}

static void test_garbage_while_producers_run(void **state)
{
	(void)state;
	const uint64_t cap = 1 << 16;
	pid_t pids[PRODUCERS];
	bvapm_ring *c = ring_with_producers("hostile-live", cap, pids, 4000, 500);
	struct tally t = {0};
	pid_t rogue = fork();
	if (rogue == 0) {
		for (int round = 0; round < 200; round++) {
			scribble_ahead("hostile-live", 2048);
			usleep(200);
		}
		_exit(0);
	}
	uint64_t deadline = now_ms() + 20000;
	int status;
	while (waitpid(rogue, &status, WNOHANG) != rogue && now_ms() < deadline)
		drain_once(c, &t);
	/* Whatever the rogue hit while records were in flight is counted
	 * (invalid, or corrupt here); from now on everything is delivered. */
	sh->go = 0;
	wait_paused();
	drain_once(c, &t);
	struct tally before = t;
	uint64_t committed_before[PRODUCERS];
	for (int i = 0; i < PRODUCERS; i++)
		committed_before[i] = sh->committed[i];
	sh->go = 1;
	drain_until_exit(c, &t, pids, PRODUCERS);
	for (int i = 0; i < PRODUCERS; i++) {
		assert_int_equal(sh->gave_up[i], 0);
		assert_int_equal(t.got[i] - before.got[i], sh->committed[i] - committed_before[i]);
	}
	assert_int_equal(t.corrupt, before.corrupt);
	struct bvapm_ring_stats st;
	bvapm_ring_stats(c, &st);
	print_message("# during the attack: %llu corrupt payloads, %llu invalid records, "
	              "%llu dropped as contention\n",
	              (unsigned long long)before.corrupt, (unsigned long long)st.invalid_records,
	              (unsigned long long)st.lost[BVAPM_LOSS_CONTENTION]);
	assert_true(st.invalid_records >= 1);
	bvapm_ring_close(c);
}

/* Stops itself with SIGSTOP in the middle of its copy, once. */
static void stop_mid_copy(enum bvapm_ring_step step)
{
	if (step == BVAPM_STEP_MID_COPY) {
		bvapm_ring_test_hook = NULL;
		raise(SIGSTOP);
	}
}

static void test_stalled_producer_continued_late(void **state)
{
	(void)state;
	const uint64_t cap = 1 << 15;
	bvapm_ring *c = test_create("hostile-stall", cap, 4096);
	bvapm_ring_set_timeouts(c, 10, 200);
	memset(sh, 0, sizeof(*sh));
	struct tally t = {0};

	pid_t victim = fork();
	if (victim == 0) {
		static uint8_t buf[2048];
		bvapm_ring *p = NULL;
		if (bvapm_ring_attach("hostile-stall", &p, NULL) != 0)
			_exit(2);
		uint32_t len = test_payload_fill(buf, 1500, PRODUCERS, 0);
		bvapm_ring_test_hook = stop_mid_copy;
		int rc = bvapm_ring_write(p, 9, buf, len);
		_exit(rc == -ESTALE ? 0 : 3); /* the consumer gave up on it */
	}
	int status;
	assert_int_equal(waitpid(victim, &status, WUNTRACED), victim);
	assert_true(WIFSTOPPED(status));

	/* Others write while it is stopped: the consumer repairs its
	 * reservation after 200 ms and the ring laps past it several times. */
	pid_t pids[PRODUCERS];
	start_producers("hostile-stall", pids, 8000, 200);
	struct bvapm_ring_stats st;
	uint64_t deadline = now_ms() + 20000;
	do {
		drain_once(c, &t);
		bvapm_ring_stats(c, &st);
		if (now_ms() > deadline)
			fail_msg("the ring stopped behind the stalled producer (%llu bytes consumed)",
			         (unsigned long long)st.consumed_bytes);
	} while (st.consumed_bytes < 4 * cap);
	assert_int_equal(st.lost[BVAPM_LOSS_REPAIRED], 1);

	/* Drained and idle, then the victim wakes up and finishes its copy
	 * into words that were released long ago. */
	sh->go = 0;
	wait_paused();
	drain_once(c, &t);
	kill(victim, SIGCONT);
	assert_int_equal(waitpid(victim, &status, 0), victim);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	struct bvapm_ring_check_report rep;
	print_message("# the late copy left %llu garbage words ahead of the tail\n",
	              (bvapm_ring_check(c, &rep), (unsigned long long)rep.garbage_words));
	assert_true(rep.garbage_words > 0);

	struct tally before = t;
	uint64_t committed_before[PRODUCERS];
	for (int i = 0; i < PRODUCERS; i++)
		committed_before[i] = sh->committed[i];
	sh->go = 1;
	drain_until_exit(c, &t, pids, PRODUCERS);
	for (int i = 0; i < PRODUCERS; i++) {
		assert_int_equal(sh->gave_up[i], 0);
		assert_int_equal(t.got[i], 8000);
		assert_true(t.got[i] - before.got[i] == sh->committed[i] - committed_before[i]);
	}
	assert_int_equal(t.corrupt, 0);
	assert_int_equal(t.got[PRODUCERS], 0); /* the victim's record is lost, counted */
	bvapm_ring_close(c);
}

/* ---- the file under us ----------------------------------------------------- */

static void truncate_ring(const char *name, off_t size)
{
	char path[128];
	assert_int_equal(bvapm_ring_path(name, path, sizeof(path)), 0);
	assert_int_equal(truncate(path, size), 0);
}

static void test_truncated_under_producer_and_consumer(void **state)
{
	(void)state;
	static const off_t sizes[] = {0, 135168};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		bvapm_ring *c = test_create("hostile-trunc", 1 << 16, 4096);
		int pipefd[2];
		assert_int_equal(pipe(pipefd), 0);
		pid_t p = fork();
		if (p == 0) {
			static uint8_t buf[512];
			bvapm_ring *w = NULL;
			char go;
			if (bvapm_ring_attach("hostile-trunc", &w, NULL) != 0)
				_exit(2);
			uint32_t len = test_payload_fill(buf, 300, 0, 0);
			if (bvapm_ring_write(w, 1, buf, len) != 0)
				_exit(3);
			if (read(pipefd[0], &go, 1) != 1) /* parent truncated the file */
				_exit(4);
			int rc = 0;
			for (int i = 0; i < 100 && rc != -ENXIO; i++) {
				bvapm_ring_slot_checkpoint(w, "after", i, 1);
				rc = bvapm_ring_write(w, 1, buf, len);
			}
			if (rc != -ENXIO || !bvapm_ring_is_retired(w))
				_exit(5);
			if (bvapm_ring_standing(w, NULL) != BVAPM_RING_RETIRED)
				_exit(6);
			bvapm_ring_close(w);
			_exit(0);
		}
		struct tally t = {0};
		while (t.got[0] == 0)
			drain_once(c, &t);
		truncate_ring("hostile-trunc", sizes[k]);
		assert_int_equal(write(pipefd[1], "g", 1), 1);
		int status;
		assert_int_equal(waitpid(p, &status, 0), p);
		if (WIFSIGNALED(status))
			fail_msg("producer killed by signal %d after truncation to %lld",
			         WTERMSIG(status), (long long)sizes[k]);
		assert_int_equal(WEXITSTATUS(status), 0);

		/* the consumer (this process) touches the data area too */
		struct bvapm_ring_record rec;
		int rc = 0;
		for (int i = 0; i < 3 && rc != -ENXIO; i++)
			rc = bvapm_ring_peek(c, &rec, 1);
		assert_int_equal(rc, -ENXIO);
		assert_true(bvapm_ring_is_retired(c));
		struct bvapm_ring_stats st;
		bvapm_ring_stats(c, &st); /* reads zeros, does not crash */
		bvapm_ring_close(c);
		close(pipefd[0]);
		close(pipefd[1]);
	}
}

static void test_sigbus_elsewhere_still_kills(void **state)
{
	(void)state;
	bvapm_ring *c = test_create("hostile-elsewhere", 1 << 16, 4096);
	pid_t p = fork();
	if (p == 0) {
		/* Without the test runner's own handler: the default action
		 * behind ours, put back in front by rearm (as after a script's
		 * pcntl_signal). */
		signal(SIGBUS, SIG_DFL);
		if (bvapm_ring_guard_rearm() != 0)
			_exit(5);
		char path[160];
		snprintf(path, sizeof(path), "%s/not-a-ring", test_shm_dir());
		int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || ftruncate(fd, 8192) != 0)
			_exit(2);
		volatile uint8_t *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED || ftruncate(fd, 0) != 0)
			_exit(3);
		m[4096] = 1; /* not ours: must end the process as it always did */
		_exit(4);
	}
	int status;
	waitpid(p, &status, 0);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGBUS);
	bvapm_ring_close(c);
}

/* ---- ownership -------------------------------------------------------------- */

static int open_as(const char *name, enum bvapm_ring_role role, char *msg, size_t len)
{
	struct bvapm_ring_error err = {0};
	bvapm_ring *r = NULL;
	int rc = bvapm_ring_open(name, role, &r, &err);
	snprintf(msg, len, "%s", err.msg);
	bvapm_ring_close(r);
	return rc;
}

static void test_foreign_and_world_writable_rings_refused(void **state)
{
	(void)state;
	char path[128], msg[256];
	bvapm_ring *c = test_create("hostile-owner", 1 << 16, 4096);
	bvapm_ring_close(c);
	assert_int_equal(bvapm_ring_path("hostile-owner", path, sizeof(path)), 0);

	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(open_as("hostile-owner", BVAPM_RING_PRODUCER, msg, sizeof(msg)), -EPERM);
	assert_non_null(strstr(msg, "writable by every local user (mode 0666"));
	assert_int_equal(open_as("hostile-owner", BVAPM_RING_CONSUMER, msg, sizeof(msg)), -EPERM);
	/* a read-only look is still allowed, and check names the problem */
	bvapm_ring *ro = NULL;
	assert_int_equal(bvapm_ring_open("hostile-owner", BVAPM_RING_READONLY, &ro, NULL), 0);
	struct bvapm_ring_check_report rep;
	assert_true(bvapm_ring_check(ro, &rep) > 0);
	assert_non_null(strstr(rep.first_problem, "writable by every local user"));
	bvapm_ring_close(ro);

	if (geteuid() != 0) {
		print_message("# not root: the foreign-owner half is skipped\n");
		return;
	}
	assert_int_equal(chmod(path, 0660), 0);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(open_as("hostile-owner", BVAPM_RING_CONSUMER, msg, sizeof(msg)), -EPERM);
	assert_non_null(strstr(msg, "owned by uid 65534"));
	/* root's workers trust root, themselves and the configured owner */
	assert_int_equal(open_as("hostile-owner", BVAPM_RING_PRODUCER, msg, sizeof(msg)), -EPERM);
	bvapm_ring_set_trusted_owner(65534);
	assert_int_equal(open_as("hostile-owner", BVAPM_RING_PRODUCER, msg, sizeof(msg)), 0);
	bvapm_ring_set_trusted_owner((uid_t)-1);
	bvapm_ring_unlink("hostile-owner");
}

static void test_world_writable_mode_not_created(void **state)
{
	(void)state;
	struct bvapm_ring_create_opts o = {.name = "hostile-mode", .capacity = 1 << 16,
	                                   .mode = 0666, .group = (gid_t)-1};
	struct bvapm_ring_error err = {0};
	bvapm_ring *r = NULL;
	char path[128];
	struct stat st;

	assert_int_equal(bvapm_ring_create(&o, &r, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "every local user"));
	assert_int_equal(bvapm_ring_path("hostile-mode", path, sizeof(path)), 0);
	assert_int_not_equal(stat(path, &st), 0); /* nothing left behind */
}

/* ---- standing: removed, replaced, retired ----------------------------------- */

static void test_removed_replaced_and_retired(void **state)
{
	(void)state;
	static uint8_t buf[256];
	bvapm_ring *c = test_create("hostile-standing", 1 << 16, 4096);
	bvapm_ring *p = NULL;
	assert_int_equal(bvapm_ring_attach("hostile-standing", &p, NULL), 0);
	assert_int_equal(bvapm_ring_standing(p, NULL), BVAPM_RING_CURRENT);
	for (uint32_t i = 0; i < 7; i++)
		assert_int_equal(bvapm_ring_write(p, 1, buf, test_payload_fill(buf, 100, 0, i)), 0);
	assert_int_equal(bvapm_ring_unread_own(p), 7);
	struct bvapm_ring_record recs[3];
	assert_int_equal(bvapm_ring_peek(c, recs, 3), 3);
	bvapm_ring_release(c, recs[2].end);
	assert_int_equal(bvapm_ring_unread_own(p), 4);

	struct bvapm_ring_error err = {0};
	assert_int_equal(bvapm_ring_unlink("hostile-standing"), 0);
	assert_int_equal(bvapm_ring_standing(p, &err), BVAPM_RING_REPLACED);
	assert_non_null(strstr(err.msg, "was removed"));

	bvapm_ring *c2 = test_create("hostile-standing", 1 << 16, 4096);
	assert_int_equal(bvapm_ring_standing(p, &err), BVAPM_RING_REPLACED);
	assert_non_null(strstr(err.msg, "replaced by another file"));
	assert_false(bvapm_ring_is_retired(p));
	bvapm_ring_retire(c);
	assert_true(bvapm_ring_is_retired(p));
	assert_int_equal(bvapm_ring_standing(p, &err), BVAPM_RING_RETIRED);
	assert_int_equal(bvapm_ring_standing(c2, NULL), BVAPM_RING_CURRENT);

	/* what it left behind is counted in the new ring */
	bvapm_ring *p2 = NULL;
	assert_int_equal(bvapm_ring_attach("hostile-standing", &p2, NULL), 0);
	bvapm_ring_count_loss(p2, BVAPM_LOSS_RETIRED, bvapm_ring_unread_own(p));
	struct bvapm_ring_stats st;
	bvapm_ring_stats(c2, &st);
	assert_int_equal(st.lost[BVAPM_LOSS_RETIRED], 4);
	assert_string_equal(bvapm_ring_loss_name(BVAPM_LOSS_RETIRED), "retired");
	bvapm_ring_close(p2);
	bvapm_ring_close(p);
	bvapm_ring_close(c2);
	bvapm_ring_close(c);
}

static void test_saturated_loss_total(void **state)
{
	(void)state;
	bvapm_ring *c = test_create("hostile-max", 1 << 16, 4096);
	pid_t rogue = fork();
	if (rogue == 0) {
		struct raw_ring rr = raw_open("hostile-max");
		rr.h->lost_full = UINT64_MAX;
		rr.h->lost_contention = 5;
		_exit(0);
	}
	waitpid(rogue, NULL, 0);
	struct bvapm_ring_stats st;
	bvapm_ring_stats(c, &st);
	assert_true(st.lost_total == UINT64_MAX);
	/* more drops on top stop at the maximum instead of wrapping to 2 */
	bvapm_ring *p = NULL;
	assert_int_equal(bvapm_ring_attach("hostile-max", &p, NULL), 0);
	bvapm_ring_count_loss(p, BVAPM_LOSS_FULL, 3);
	bvapm_ring_stats(c, &st);
	assert_true(st.lost[BVAPM_LOSS_FULL] == UINT64_MAX);
	assert_true(st.lost_total == UINT64_MAX);
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

int main(void)
{
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	test_shm_dir();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_garbage_word_at_the_tail),
		cmocka_unit_test(test_garbage_ahead_and_across_the_wrap),
		cmocka_unit_test(test_garbage_while_producers_run),
		cmocka_unit_test(test_stalled_producer_continued_late),
		cmocka_unit_test(test_truncated_under_producer_and_consumer),
		cmocka_unit_test(test_sigbus_elsewhere_still_kills),
		cmocka_unit_test(test_foreign_and_world_writable_rings_refused),
		cmocka_unit_test(test_world_writable_mode_not_created),
		cmocka_unit_test(test_removed_replaced_and_retired),
		cmocka_unit_test(test_saturated_loss_total),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	test_shm_cleanup();
	return rc;
}
