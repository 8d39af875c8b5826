/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ring_stress.c — many producer processes against one consumer.
 *
 * Each producer writes N records carrying (producer, sequence, checksum) and
 * marks in shared memory which sequence numbers it committed and how many it
 * dropped. The consumer verifies every byte of every record and counts each
 * (producer, sequence) it receives. Afterwards, per producer:
 * delivered + dropped == written, every committed record delivered exactly
 * once, nothing delivered that was not committed. Producers call
 * bvapm_ring_prepare before some writes (with the right length, a wrong one,
 * or none), as the agent does before encoding. Before they detach, the
 * per-producer counters in their slots must equal, producer by producer, what
 * each one saw committed and dropped, and their sum the ring's written count.
 *
 * The consumer-restart case runs the consumer in child processes that are
 * killed with SIGKILL mid-stream and replaced: every committed record is still
 * delivered (at least once; duplicates only for records peeked but not yet
 * released at the kill).
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

#if defined(__SANITIZE_ADDRESS__)
#define SCALE 4
#else
#define SCALE 1
#endif

#define MAX_PRODUCERS 8
#define MAX_RECORDS 100000

struct shared {
	uint64_t dropped[MAX_PRODUCERS];
	uint64_t committed[MAX_PRODUCERS];
	volatile int producers_done;
	int hold;                      /* producers wait for `go` before detaching */
	int finished[MAX_PRODUCERS];   /* done writing, still attached (atomics) */
	int go;
	uint8_t committed_map[MAX_PRODUCERS][MAX_RECORDS];
	uint8_t delivered[MAX_PRODUCERS][MAX_RECORDS]; /* times delivered */
	uint64_t corrupt;
};

static struct shared *shared_new(void)
{
	struct shared *s = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
	                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(s != MAP_FAILED);
	return s;
}

static void produce(const char *name, struct shared *sh, uint32_t id, uint32_t n,
                    uint32_t max_len, uint32_t pace_every)
{
	static uint8_t buf[1 << 16];
	bvapm_ring *p = NULL;
	uint32_t rng = id * 2654435761u + 1;

	if (bvapm_ring_attach(name, &p, NULL) != 0)
		_exit(2);
	for (uint32_t seq = 0; seq < n; seq++) {
		rng = rng * 1103515245u + 12345u;
		uint32_t len = test_payload_fill(buf, 24 + (rng >> 8) % max_len, id, seq);
		int rc;
		if (seq % 3 == 0)
			bvapm_ring_prepare(p, len);
		else if (seq % 7 == 0)
			bvapm_ring_prepare(p, (rng >> 4) % (1u << 17)); /* a wrong guess */
		if (seq % 2 == 0) {
			rc = bvapm_ring_write(p, (uint16_t)(1 + id), buf, len);
		} else {
			struct bvapm_ring_reservation res;
			rc = bvapm_ring_reserve(p, len, &res);
			if (rc == 0) {
				memcpy(res.data, buf, len);
				rc = bvapm_ring_commit(p, &res, (uint16_t)(1 + id), len);
			}
		}
		if (rc == 0) {
			sh->committed_map[id][seq] = 1;
			sh->committed[id]++;
		} else {
			sh->dropped[id]++;
		}
		if (pace_every != 0 && seq % pace_every == 0)
			usleep(100);
	}
	if (__atomic_load_n(&sh->hold, __ATOMIC_ACQUIRE)) {
		/* Release: our counts above before the flag the parent reads. */
		__atomic_store_n(&sh->finished[id], 1, __ATOMIC_RELEASE);
		while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE))
			usleep(100);
	}
	bvapm_ring_close(p);
	_exit(0);
}

/* Every producer is done writing and still attached: the counters in its slot
 * are exactly what it saw, and their sum is the ring's written count. */
static void check_slot_counters(bvapm_ring *c, struct shared *sh, const pid_t *pids, int np)
{
	struct bvapm_ring_slot_view views[64];
	struct bvapm_ring_stats st;
	uint64_t committed = 0;
	int n = bvapm_ring_slots(c, views, 64);

	for (int i = 0; i < np; i++) {
		int found = 0;
		for (int v = 0; v < n; v++) {
			if (views[v].pid != (uint32_t)pids[i])
				continue;
			found++;
			assert_int_equal(views[v].records_written, sh->committed[i]);
			assert_int_equal(views[v].records_dropped, sh->dropped[i]);
		}
		assert_int_equal(found, 1);
		committed += sh->committed[i];
	}
	assert_int_equal(bvapm_ring_stats(c, &st), 0);
	assert_int_equal(st.written_records, committed);
}

/* Verifies and counts a batch of records; the consumer's only check point. */
static void deliver(struct shared *sh, const struct bvapm_ring_record *recs, int k)
{
	for (int i = 0; i < k; i++) {
		uint32_t prod;
		uint64_t seq;
		if (test_payload_check(recs[i].data, recs[i].len, &prod, &seq) != 0 ||
		    prod >= MAX_PRODUCERS || seq >= MAX_RECORDS || recs[i].type != 1 + prod) {
			sh->corrupt++;
			continue;
		}
		if (sh->delivered[prod][seq] < 255)
			sh->delivered[prod][seq]++;
	}
}

/* Drains until *stop reaches expect_producers and the ring is empty; with
 * stop NULL, forever (until killed). */
static void consume(bvapm_ring *c, struct shared *sh, volatile int *stop, int expect_producers)
{
	struct bvapm_ring_record recs[256];

	for (;;) {
		int n = bvapm_ring_peek(c, recs, 256);
		deliver(sh, recs, n);
		if (n > 0) {
			bvapm_ring_release(c, recs[n - 1].end);
			continue;
		}
		if (stop != NULL && *stop >= expect_producers) {
			struct bvapm_ring_stats st;
			bvapm_ring_stats(c, &st);
			if (st.head == st.tail)
				break;
		}
		usleep(50);
	}
}

static void reap_producers(pid_t *pids, int np, struct shared *sh)
{
	for (int i = 0; i < np; i++) {
		int status;
		waitpid(pids[i], &status, 0);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		__atomic_add_fetch(&sh->producers_done, 1, __ATOMIC_SEQ_CST);
	}
}

static void verify(struct shared *sh, int np, uint32_t n, bool allow_duplicates)
{
	uint64_t dups = 0;

	assert_int_equal(sh->corrupt, 0);
	for (int id = 0; id < np; id++) {
		uint64_t delivered = 0;
		for (uint32_t seq = 0; seq < n; seq++) {
			if (sh->committed_map[id][seq])
				assert_true(sh->delivered[id][seq] >= 1); /* nothing committed is lost */
			else
				assert_int_equal(sh->delivered[id][seq], 0); /* nothing invented */
			delivered += sh->delivered[id][seq] != 0;
			dups += sh->delivered[id][seq] > 1 ? sh->delivered[id][seq] - 1u : 0;
		}
		/* exact accounting per producer */
		assert_int_equal(delivered + sh->dropped[id], n);
		assert_int_equal(sh->committed[id], delivered);
	}
	if (!allow_duplicates)
		assert_int_equal(dups, 0);
	print_message("# producers=%d records=%u duplicates=%llu\n", np, n, (unsigned long long)dups);
}

static void run_stress(const char *name, uint64_t capacity, int np, uint32_t n, uint32_t max_len)
{
	struct shared *sh = shared_new();
	bvapm_ring *c = test_create(name, capacity, 1 << 16);
	pid_t pids[MAX_PRODUCERS];

	sh->hold = 1;
	for (int i = 0; i < np; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			produce(name, sh, (uint32_t)i, n, max_len, 0);
	}
	/* drain while producers run, then what is left once they are done */
	struct bvapm_ring_record recs[256];
	int running = np;
	bool checked = false;
	while (running > 0) {
		if (!checked) {
			int finished = 0;
			for (int i = 0; i < np; i++)
				finished += __atomic_load_n(&sh->finished[i], __ATOMIC_ACQUIRE);
			if (finished == np) {
				check_slot_counters(c, sh, pids, np);
				checked = true;
				__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
			}
		}
		int status;
		pid_t done = waitpid(-1, &status, WNOHANG);
		if (done > 0) {
			assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			running--;
		}
		int k = bvapm_ring_peek(c, recs, 256);
		deliver(sh, recs, k);
		if (k > 0)
			bvapm_ring_release(c, recs[k - 1].end);
	}
	assert_true(checked);
	sh->producers_done = np;
	consume(c, sh, &sh->producers_done, np);
	verify(sh, np, n, false);

	struct bvapm_ring_stats st;
	bvapm_ring_stats(c, &st);
	uint64_t dropped = 0;
	for (int i = 0; i < np; i++)
		dropped += sh->dropped[i];
	/* the ring's own loss counters explain every drop */
	assert_int_equal(st.lost[BVAPM_LOSS_FULL] + st.lost[BVAPM_LOSS_CONTENTION], dropped);
	assert_int_equal(st.lost[BVAPM_LOSS_REPAIRED], 0);
	assert_int_equal(st.invalid_records, 0);
	print_message("# ring %llu B: dropped full=%llu contention=%llu\n",
	              (unsigned long long)capacity, (unsigned long long)st.lost[BVAPM_LOSS_FULL],
	              (unsigned long long)st.lost[BVAPM_LOSS_CONTENTION]);
	bvapm_ring_close(c);
	munmap(sh, sizeof(*sh));
}

static void test_stress_large_ring(void **state)
{
	run_stress("stress-large", 1 << 22, 4, 60000 / SCALE, 1500);
}

static void test_stress_small_ring_drops_counted(void **state)
{
	run_stress("stress-small", 1 << 14, 4, 40000 / SCALE, 3000);
}

static void test_stress_many_producers(void **state)
{
	run_stress("stress-many", 1 << 20, 8, 20000 / SCALE, 400);
}

static void test_consumer_killed_and_restarted(void **state)
{
	const char *name = "restart";
	const uint32_t n = 30000 / SCALE;
	const int np = 3;
	struct shared *sh = shared_new();
	bvapm_ring *creator = test_create(name, 1 << 18, 1 << 16);
	pid_t pids[MAX_PRODUCERS];

	bvapm_ring_close(creator); /* consumers are the children below */
	for (int i = 0; i < np; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			produce(name, sh, (uint32_t)i, n, 800, 16);
	}
	srand(42);
	for (int round = 0; round < 6; round++) {
		pid_t cons = fork();
		if (cons == 0) {
			bvapm_ring *c = NULL;
			struct bvapm_ring_error err;
			if (bvapm_ring_open(name, BVAPM_RING_CONSUMER, &c, &err) != 0) {
				fprintf(stderr, "consumer: %s\n", err.msg);
				_exit(3);
			}
			consume(c, sh, NULL, 0); /* forever, until killed */
			_exit(0);
		}
		usleep(30000 + (useconds_t)(rand() % 50000));
		kill(cons, SIGKILL);
		waitpid(cons, NULL, 0);
	}
	reap_producers(pids, np, sh);
	/* a final consumer takes over from where the ring says */
	bvapm_ring *c = NULL;
	struct bvapm_ring_error err;
	assert_int_equal(bvapm_ring_open(name, BVAPM_RING_CONSUMER, &c, &err), 0);
	consume(c, sh, &sh->producers_done, np);
	verify(sh, np, n, true);
	bvapm_ring_close(c);
	munmap(sh, sizeof(*sh));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_large_ring),
		cmocka_unit_test(test_stress_small_ring_drops_counted),
		cmocka_unit_test(test_stress_many_producers),
		cmocka_unit_test(test_consumer_killed_and_restarted),
	};
	test_shm_dir();
	return cmocka_run_group_tests_name("ring stress", tests, NULL, test_shm_teardown);
}
