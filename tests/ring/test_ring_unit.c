/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ring_unit.c — cmocka unit tests of the ring: framing and alignment,
 * wrap padding, full and too-big drops, 64-bit positions, attach validation,
 * corrupt data in the data area, control words, slots, fork safety.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "ring_test_util.h"
#include "support/bvapm_clock.h"

static int drain_all(bvapm_ring *r, int (*cb)(const struct bvapm_ring_record *, void *), void *arg)
{
	struct bvapm_ring_record recs[64];
	int total = 0, n;

	while ((n = bvapm_ring_peek(r, recs, 64)) > 0) {
		for (int i = 0; i < n; i++)
			if (cb != NULL)
				cb(&recs[i], arg);
		bvapm_ring_release(r, recs[n - 1].end);
		total += n;
	}
	return total;
}

static void test_framing_and_alignment(void **state)
{
	bvapm_ring *c = test_create("framing", 1 << 16, 4096);
	bvapm_ring *p = NULL;
	uint8_t buf[256];

	assert_int_equal(bvapm_ring_attach("framing", &p, NULL), 0);
	for (uint32_t len = 0; len < 100; len++) {
		memset(buf, (int)len, sizeof(buf));
		assert_int_equal(bvapm_ring_write(p, (uint16_t)(len + 1), buf, len), 0);
	}
	struct bvapm_ring_record recs[128];
	int n = bvapm_ring_peek(c, recs, 128);
	assert_int_equal(n, 100);
	uint64_t pos = 0;
	for (int i = 0; i < n; i++) {
		assert_int_equal(recs[i].len, (uint32_t)i);
		assert_int_equal(recs[i].type, i + 1);
		assert_int_equal(recs[i].pid, (uint32_t)getpid());
		assert_int_equal(recs[i].pos % 8, 0);
		assert_int_equal(recs[i].pos, pos);
		assert_int_equal(recs[i].end, pos + ((16 + (uint64_t)i + 7) & ~7ull));
		assert_int_equal(((uintptr_t)recs[i].data) % 8, 0);
		for (int b = 0; b < i; b++)
			assert_int_equal(((const uint8_t *)recs[i].data)[b], i);
		pos = recs[i].end;
	}
	bvapm_ring_release(c, pos);
	struct bvapm_ring_stats st;
	bvapm_ring_stats(c, &st);
	assert_int_equal(st.consumed_records, 100);
	assert_int_equal(st.head, pos);
	assert_int_equal(st.used_bytes, 0);
	assert_int_equal(st.written_records, 100);
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

static void test_reserve_commit_zero_copy(void **state)
{
	bvapm_ring *c = test_create("zerocopy", 1 << 14, 1024);
	bvapm_ring *p = NULL;
	struct bvapm_ring_reservation res;

	assert_int_equal(bvapm_ring_attach("zerocopy", &p, NULL), 0);
	assert_int_equal(bvapm_ring_reserve(p, 100, &res), 0);
	assert_true(res.capacity >= 100);
	/* nothing visible before commit */
	struct bvapm_ring_record rec;
	assert_int_equal(bvapm_ring_peek(c, &rec, 1), 0);
	memset(res.data, 0xab, 60);
	assert_int_equal(bvapm_ring_commit(p, &res, 7, 60), 0);
	assert_int_equal(bvapm_ring_peek(c, &rec, 1), 1);
	assert_int_equal(rec.len, 60);
	assert_int_equal(rec.type, 7);
	assert_int_equal(((const uint8_t *)rec.data)[59], 0xab);
	/* an aborted reservation is stepped over */
	assert_int_equal(bvapm_ring_reserve(p, 10, &res), 0);
	bvapm_ring_abort(p, &res);
	assert_int_equal(bvapm_ring_write(p, 9, "x", 1), 0);
	assert_int_equal(bvapm_ring_peek(c, &rec, 1), 1);
	assert_int_equal(rec.type, 9);
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

static void test_wrap_padding(void **state)
{
	const uint64_t cap = 4096;
	bvapm_ring *c = test_create("wrap", cap, 2048);
	bvapm_ring *p = NULL;
	uint8_t buf[1000];
	uint64_t seq = 0, expect = 0;
	int wraps = 0;

	assert_int_equal(bvapm_ring_attach("wrap", &p, NULL), 0);
	for (int round = 0; round < 50; round++) {
		uint32_t len = 300 + (uint32_t)(round * 37) % 600;
		test_payload_fill(buf, len, 1, seq);
		assert_int_equal(bvapm_ring_write(p, 1, buf, len), 0);
		seq++;
		struct bvapm_ring_record rec;
		assert_int_equal(bvapm_ring_peek(c, &rec, 1), 1);
		uint32_t prod;
		uint64_t got;
		assert_int_equal(test_payload_check(rec.data, rec.len, &prod, &got), 0);
		assert_int_equal(got, expect++);
		/* a record never straddles the end of the data area */
		assert_true((rec.pos & (cap - 1)) + (rec.end - rec.pos) <= cap);
		if ((rec.pos & (cap - 1)) == 0 && rec.pos > 0)
			wraps++;
		bvapm_ring_release(c, rec.end);
	}
	assert_true(wraps > 3);
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

static void test_full_drops_immediately(void **state)
{
	bvapm_ring *c = test_create("full", 4096, 1024);
	bvapm_ring *p = NULL;
	uint8_t buf[500] = {0};
	int written = 0;

	assert_int_equal(bvapm_ring_attach("full", &p, NULL), 0);
	while (bvapm_ring_write(p, 1, buf, sizeof(buf)) == 0)
		written++;
	assert_int_equal(written, 4096 / 520);
	struct bvapm_ring_stats st;
	bvapm_ring_stats(c, &st);
	assert_int_equal(st.lost[BVAPM_LOSS_FULL], 1);
	assert_int_equal(bvapm_ring_write(p, 1, buf, sizeof(buf)), -ENOSPC);
	bvapm_ring_stats(c, &st);
	assert_int_equal(st.lost[BVAPM_LOSS_FULL], 2);
	assert_int_equal(st.lost_total, 2);
	/* once drained, writes succeed again */
	assert_int_equal(drain_all(c, NULL, NULL), written);
	assert_int_equal(bvapm_ring_write(p, 1, buf, sizeof(buf)), 0);
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

static void test_too_big_dropped(void **state)
{
	bvapm_ring *c = test_create("toobig", 1 << 14, 1024);
	bvapm_ring *p = NULL;
	static uint8_t buf[2048];

	assert_int_equal(bvapm_ring_attach("toobig", &p, NULL), 0);
	assert_int_equal(bvapm_ring_write(p, 1, buf, 1024 - 16), 0);
	assert_int_equal(bvapm_ring_write(p, 1, buf, 1024 - 15), -EMSGSIZE);
	assert_int_equal(bvapm_ring_write(p, 1, buf, UINT32_MAX), -EMSGSIZE);
	struct bvapm_ring_stats st;
	bvapm_ring_stats(c, &st);
	assert_int_equal(st.lost[BVAPM_LOSS_TOO_BIG], 2);
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

static void run_positions_from(uint64_t start)
{
	char value[32];
	const uint64_t cap = 8192;
	uint8_t buf[700];
	uint64_t seq = 0, expect = 0;

	snprintf(value, sizeof(value), "%llu", (unsigned long long)start);
	setenv("BVAPM_RING_TEST_INITIAL_POS", value, 1);
	bvapm_ring *c = test_create("positions", cap, 4096);
	unsetenv("BVAPM_RING_TEST_INITIAL_POS");
	bvapm_ring *p = NULL;
	assert_int_equal(bvapm_ring_attach("positions", &p, NULL), 0);

	/* ~25 laps of the ring, crossing `start` + k*cap and 2^32 boundaries */
	for (int i = 0; i < 500; i++) {
		uint32_t len = test_payload_fill(buf, 100 + (uint32_t)(i * 53) % 600, 2, seq++);
		assert_int_equal(bvapm_ring_write(p, 3, buf, len), 0);
		if (i % 3 == 2) {
			struct bvapm_ring_record recs[8];
			int n = bvapm_ring_peek(c, recs, 8);
			assert_int_equal(n, 3);
			for (int k = 0; k < n; k++) {
				uint32_t prod;
				uint64_t got;
				assert_int_equal(test_payload_check(recs[k].data, recs[k].len, &prod, &got), 0);
				assert_int_equal(got, expect++);
				assert_true(recs[k].pos >= start);
			}
			bvapm_ring_release(c, recs[n - 1].end);
		}
	}
	struct bvapm_ring_stats st;
	bvapm_ring_stats(c, &st);
	assert_true(st.head > start + 20 * cap);
	assert_int_equal(st.lost_total, 0);
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

static void test_positions_near_2_32(void **state) { run_positions_from((UINT64_C(1) << 32) - 5000); }
static void test_positions_far_beyond(void **state) { run_positions_from((UINT64_C(1) << 62) - 20000); }

/* Rewrites a header field of an existing ring file in place. */
static void poke_header(const char *name, size_t offset, const void *bytes, size_t n)
{
	char path[128];
	assert_int_equal(bvapm_ring_path(name, path, sizeof(path)), 0);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, n, (off_t)offset), (ssize_t)n);
	close(fd);
}

static int attach_code(const char *name, char *msg, size_t msglen)
{
	struct bvapm_ring_error err = {0};
	bvapm_ring *p = NULL;
	int rc = bvapm_ring_attach(name, &p, &err);

	if (msg != NULL)
		snprintf(msg, msglen, "%s", err.msg);
	bvapm_ring_close(p);
	return rc;
}

static void test_attach_refused(void **state)
{
	char msg[256];

	/* missing */
	assert_int_equal(attach_code("nosuchring", msg, sizeof(msg)), -ENOENT);
	assert_non_null(strstr(msg, "bvapm-drainer"));
	/* invalid name */
	assert_int_equal(attach_code("../etc", msg, sizeof(msg)), -EINVAL);

	/* bad magic */
	bvapm_ring *c = test_create("badmagic", 1 << 14, 1024);
	uint64_t junk = 0x1122334455667788ull;
	poke_header("badmagic", offsetof(struct bvapm_ring_header, magic), &junk, 8);
	assert_int_equal(attach_code("badmagic", msg, sizeof(msg)), -EPROTO);
	assert_non_null(strstr(msg, "bad magic"));
	bvapm_ring_close(c);

	/* other ABI major: refused and counted as incompatible */
	c = test_create("badabi", 1 << 14, 1024);
	uint32_t major = BVAPM_RING_ABI_MAJOR + 1;
	poke_header("badabi", offsetof(struct bvapm_ring_header, abi_major), &major, 4);
	assert_int_equal(attach_code("badabi", msg, sizeof(msg)), -EPROTO);
	assert_non_null(strstr(msg, "ABI"));
	struct bvapm_ring_stats st;
	bvapm_ring_stats(c, &st);
	assert_int_equal(st.lost[BVAPM_LOSS_INCOMPATIBLE], 1);
	bvapm_ring_close(c);

	/* capacity not a power of two */
	c = test_create("badcap", 1 << 14, 1024);
	uint64_t cap = (1 << 14) + 8;
	poke_header("badcap", offsetof(struct bvapm_ring_header, capacity), &cap, 8);
	assert_int_equal(attach_code("badcap", msg, sizeof(msg)), -EBADMSG);
	/* capacity larger than the file */
	cap = 1 << 20;
	poke_header("badcap", offsetof(struct bvapm_ring_header, capacity), &cap, 8);
	assert_int_equal(attach_code("badcap", msg, sizeof(msg)), -EBADMSG);
	assert_non_null(strstr(msg, "truncated"));
	bvapm_ring_close(c);

	/* truncated file */
	c = test_create("trunc", 1 << 14, 1024);
	char path[128];
	bvapm_ring_path("trunc", path, sizeof(path));
	assert_int_equal(truncate(path, 8192), 0);
	assert_int_equal(attach_code("trunc", msg, sizeof(msg)), -EBADMSG);
	assert_int_equal(truncate(path, 100), 0);
	assert_int_equal(attach_code("trunc", msg, sizeof(msg)), -EBADMSG);
	bvapm_ring_close(c);

	/* not ready */
	c = test_create("notready", 1 << 14, 1024);
	uint32_t zero = 0;
	poke_header("notready", offsetof(struct bvapm_ring_header, ready), &zero, 4);
	assert_int_equal(attach_code("notready", msg, sizeof(msg)), -EAGAIN);
	assert_non_null(strstr(msg, "being created by pid"));
	/* ... and its creator is gone: abandoned, so corrupt (the drainer
	 * removes it and creates the ring anew) */
	pid_t gone = fork();
	if (gone == 0)
		_exit(0);
	waitpid(gone, NULL, 0);
	uint32_t gone32 = (uint32_t)gone;
	poke_header("notready", offsetof(struct bvapm_ring_header, create_pid), &gone32, 4);
	assert_int_equal(attach_code("notready", msg, sizeof(msg)), -EBADMSG);
	assert_non_null(strstr(msg, "left half-created"));
	/* ... or its creator is alive (a reused pid) but started too long ago */
	uint32_t me = (uint32_t)getpid();
	uint64_t long_ago = bvapm_wall_ns() - UINT64_C(120000000000);
	poke_header("notready", offsetof(struct bvapm_ring_header, create_pid), &me, 4);
	poke_header("notready", offsetof(struct bvapm_ring_header, create_time_ns), &long_ago, 8);
	assert_int_equal(attach_code("notready", msg, sizeof(msg)), -EBADMSG);
	assert_non_null(strstr(msg, "gave up or was stopped"));
	bvapm_ring_close(c);

	/* an empty header (the creator killed before writing it): in progress
	 * while the file is new, abandoned once it is older than a few seconds */
	c = test_create("empty", 1 << 14, 1024);
	static const uint8_t zeros[sizeof(struct bvapm_ring_header)];
	poke_header("empty", 0, zeros, sizeof(zeros));
	assert_int_equal(attach_code("empty", msg, sizeof(msg)), -EAGAIN);
	bvapm_ring_path("empty", path, sizeof(path));
	struct timeval old_times[2] = { { time(NULL) - 60, 0 }, { time(NULL) - 60, 0 } };
	assert_int_equal(utimes(path, old_times), 0);
	assert_int_equal(attach_code("empty", msg, sizeof(msg)), -EBADMSG);
	assert_non_null(strstr(msg, "creation was cut off"));
	bvapm_ring_close(c);

	/* a symlink is not followed */
	c = test_create("real", 1 << 14, 1024);
	char link[160];
	bvapm_ring_path("real", path, sizeof(path));
	bvapm_ring_path("link", link, sizeof(link));
	unlink(link);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(attach_code("link", msg, sizeof(msg)), -ELOOP);
	unlink(link);
	bvapm_ring_close(c);
}

static void test_attach_wrong_permissions(void **state)
{
	bvapm_ring *c = test_create("perm", 1 << 14, 1024);
	char path[128];

	bvapm_ring_path("perm", path, sizeof(path));
	assert_int_equal(chmod(path, 0600), 0);
	chmod(test_shm_dir(), 0755);
	pid_t pid = fork();
	if (pid == 0) {
		/* an unprivileged user outside the ring's group */
		if (getuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		char msg[256];
		int rc = attach_code("perm", msg, sizeof(msg));
		_exit(rc == -EACCES && strstr(msg, "permission denied") != NULL ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	bvapm_ring_close(c);
}

static int count_cb(const struct bvapm_ring_record *rec, void *arg)
{
	uint32_t prod;
	uint64_t seq;
	int *valid = arg;

	if (test_payload_check(rec->data, rec->len, &prod, &seq) == 0)
		(*valid)++;
	return 0;
}

/* One record written by p is the one valid record c then drains. */
static void write_one_drain_one(bvapm_ring *p, bvapm_ring *c, const void *buf, uint32_t len)
{
	int valid = 0;

	assert_int_equal(bvapm_ring_write(p, 1, buf, len), 0);
	drain_all(c, count_cb, &valid);
	assert_int_equal(valid, 1);
}

static void test_corrupt_lengths_and_types(void **state)
{
	bvapm_ring *c = test_create("corrupt", 1 << 14, 4096);
	bvapm_ring *p = NULL;
	uint8_t buf[256];
	struct bvapm_ring_record recs[32];

	assert_int_equal(bvapm_ring_attach("corrupt", &p, NULL), 0);
	for (int i = 0; i < 10; i++) {
		uint32_t len = test_payload_fill(buf, 200, 1, (uint64_t)i);
		assert_int_equal(bvapm_ring_write(p, 1, buf, len), 0);
	}
	int n = bvapm_ring_peek(c, recs, 32);
	assert_int_equal(n, 10);
	bvapm_ring_rewind(c);

	/* record 2: a huge length in its control word; record 5: type 0;
	 * record 7: payload length larger than the record */
	uint64_t *w2 = (uint64_t *)((uint8_t *)recs[2].data - 16);
	uint64_t *w5 = (uint64_t *)((uint8_t *)recs[5].data - 16);
	uint64_t *w7 = (uint64_t *)((uint8_t *)recs[7].data - 16);
	w2[0] = (w2[0] & ~(UINT64_C(0x3fffff) << 40)) | (UINT64_C(0x3fffff) << 40);
	w5[1] = bvapm_w1_make(0, 0, 200);
	w7[1] = bvapm_w1_make(1, 0, 100000);

	int valid = 0;
	drain_all(c, count_cb, &valid);
	assert_int_equal(valid, 7);
	struct bvapm_ring_stats st;
	bvapm_ring_stats(c, &st);
	assert_int_equal(st.invalid_records, 3);
	assert_int_equal(st.head, st.tail);

	/* garbage over the whole data area and a wild tail: no crash, and the
	 * ring is usable afterwards */
	uint8_t *data = (uint8_t *)recs[0].data - 16 - (recs[0].pos & ((1 << 14) - 1));
	for (int round = 0; round < 20; round++) {
		srand((unsigned)round);
		for (int i = 0; i < (1 << 14); i++)
			data[i] = (uint8_t)rand();
		for (int i = 0; i < 50; i++) {
			int n2 = bvapm_ring_peek(c, recs, 32);
			assert_true(n2 >= 0);
			if (n2 > 0)
				bvapm_ring_release(c, recs[n2 - 1].end);
		}
	}
	/* the consumer re-marks everything once positions are corrupt */
	char path[128];
	bvapm_ring_path("corrupt", path, sizeof(path));
	uint64_t wild = UINT64_C(0xdeadbeefcafef00d) & ~UINT64_C(7);
	poke_header("corrupt", offsetof(struct bvapm_ring_header, tail), &wild, 8);
	assert_int_equal(bvapm_ring_peek(c, recs, 32), 0);
	uint32_t len = test_payload_fill(buf, 200, 1, 99);
	write_one_drain_one(p, c, buf, len);
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

/* Producers and consumers only ever store 8-aligned positions: an unaligned
 * tail or head in a corrupt header (here 3 bytes before the end of the data
 * area, where an 8-byte word would straddle the end of the mapping) is
 * refused by writers, repaired by the consumer, and the ring works again. */
static void test_unaligned_positions(void **state)
{
	const uint64_t cap = 1 << 14;
	bvapm_ring *c = test_create("unaligned", cap, 4096);
	bvapm_ring *p = NULL;
	uint8_t buf[256];
	struct bvapm_ring_record recs[8];
	struct bvapm_ring_stats st;

	assert_int_equal(bvapm_ring_attach("unaligned", &p, NULL), 0);
	/* within a lap of head, so only the alignment gives it away */
	uint64_t head = 5 * cap - 64, bad = 5 * cap - 3;
	poke_header("unaligned", offsetof(struct bvapm_ring_header, head), &head, 8);
	poke_header("unaligned", offsetof(struct bvapm_ring_header, tail), &bad, 8);
	uint32_t len = test_payload_fill(buf, 100, 1, 1);
	assert_int_equal(bvapm_ring_write(p, 1, buf, len), -EIO);
	bvapm_ring_stats(c, &st);
	assert_int_equal(st.lost[BVAPM_LOSS_CONTENTION], 1);

	/* an unaligned tail a few bytes past the consumer's cursor: the
	 * consumer resets the positions; writes go through again */
	bvapm_ring_close(c);
	assert_int_equal(bvapm_ring_open("unaligned", BVAPM_RING_CONSUMER, &c, NULL), 0);
	bad = head + 61;
	poke_header("unaligned", offsetof(struct bvapm_ring_header, tail), &bad, 8);
	assert_int_equal(bvapm_ring_peek(c, recs, 8), 0);
	bvapm_ring_stats(c, &st);
	assert_int_equal(st.tail & 7, 0);
	write_one_drain_one(p, c, buf, len);
	bvapm_ring_close(c);

	/* an unaligned head is found by the next consumer to attach */
	bvapm_ring_stats(p, &st);
	uint64_t bad_head = st.head + 5;
	poke_header("unaligned", offsetof(struct bvapm_ring_header, head), &bad_head, 8);
	assert_int_equal(bvapm_ring_open("unaligned", BVAPM_RING_CONSUMER, &c, NULL), 0);
	assert_int_equal(bvapm_ring_head(c) & 7, 0);
	write_one_drain_one(p, c, buf, len);
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

static void test_check_reports(void **state)
{
	bvapm_ring *c = test_create("check", 1 << 14, 4096);
	bvapm_ring *p = NULL;
	struct bvapm_ring_check_report rep;

	assert_int_equal(bvapm_ring_attach("check", &p, NULL), 0);
	assert_int_equal(bvapm_ring_write(p, 1, "hello", 5), 0);
	assert_int_equal(bvapm_ring_write(p, 1, "world", 5), 0);
	assert_int_equal(bvapm_ring_check(c, &rep), 0);
	assert_int_equal(rep.committed, 2);
	struct bvapm_ring_record rec;
	assert_int_equal(bvapm_ring_peek(c, &rec, 1), 1);
	bvapm_ring_rewind(c);
	((uint64_t *)((uint8_t *)rec.data - 16))[0] = 12345;
	assert_true(bvapm_ring_check(c, &rep) > 0);
	assert_non_null(strstr(rep.first_problem, "invalid record header"));
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

static void test_control_words(void **state)
{
	bvapm_ring *c = test_create("control", 1 << 14, 1024);
	bvapm_ring *p = NULL;
	struct bvapm_ring_error err;

	assert_int_equal(bvapm_ring_attach("control", &p, NULL), 0);
	assert_false(bvapm_ring_disabled(p));
	bvapm_ring *insp = NULL;
	assert_int_equal(bvapm_ring_open("control", BVAPM_RING_INSPECTOR, &insp, &err), 0);
	assert_int_equal(bvapm_ring_set_control(insp, 1, 2), 0);
	assert_true(bvapm_ring_disabled(p));
	assert_int_equal(bvapm_ring_mode_override(p), 2);
	struct bvapm_ring_control ctl;
	bvapm_ring_get_control(p, &ctl);
	assert_int_equal(ctl.changed_pid, (uint32_t)getpid());
	assert_true(ctl.changed_ns > 0);
	bvapm_ring *ro = NULL;
	assert_int_equal(bvapm_ring_open("control", BVAPM_RING_READONLY, &ro, &err), 0);
	assert_int_equal(bvapm_ring_set_control(ro, 0, 0), -EROFS);
	assert_int_equal(bvapm_ring_write(ro, 1, "x", 1), -EBADF);
	bvapm_ring_close(ro);
	bvapm_ring_close(insp);
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

static void test_slots_and_single_consumer(void **state)
{
	bvapm_ring *c = test_create("slots", 1 << 14, 1024);
	bvapm_ring *p = NULL;
	struct bvapm_ring_error err;

	/* one consumer per ring */
	bvapm_ring *c2 = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		int rc = bvapm_ring_open("slots", BVAPM_RING_CONSUMER, &c2, &err);
		_exit(rc == -EBUSY && strstr(err.msg, "already drained") != NULL ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	assert_int_equal(WEXITSTATUS(status), 0);

	assert_int_equal(bvapm_ring_attach("slots", &p, NULL), 0);
	assert_true(bvapm_ring_slot_index(p) >= 0);
	bvapm_ring_slot_request_begin(p, "0af7651916cd43dd8448eb211c80319c", "GET", "/orders?id=42",
	                              test_now_ns(CLOCK_REALTIME), test_now_ns(CLOCK_MONOTONIC));
	bvapm_ring_slot_checkpoint(p, "after-load", 12345678, test_now_ns(CLOCK_MONOTONIC));
	bvapm_ring_slot_sql(p, "SELECT * FROM orders WHERE id = ?", test_now_ns(CLOCK_MONOTONIC));
	struct bvapm_ring_slot_view v[4];
	assert_int_equal(bvapm_ring_slots(c, v, 4), 1);
	assert_int_equal(v[0].pid, (uint32_t)getpid());
	assert_true(v[0].alive);
	assert_true(v[0].in_request);
	assert_false(v[0].torn);
	assert_null(v[0].invalid);
	assert_string_equal(v[0].method, "GET");
	assert_string_equal(v[0].uri, "/orders?id=42");
	assert_string_equal(v[0].checkpoint, "after-load");
	assert_int_equal(v[0].checkpoint_mem, 12345678);
	assert_string_equal(v[0].sql, "SELECT * FROM orders WHERE id = ?");
	/* long strings are truncated, terminated */
	char longuri[1000];
	memset(longuri, 'u', sizeof(longuri) - 1);
	longuri[sizeof(longuri) - 1] = '\0';
	bvapm_ring_slot_request_begin(p, "", "POST", longuri, test_now_ns(CLOCK_REALTIME),
	                              test_now_ns(CLOCK_MONOTONIC));
	assert_int_equal(bvapm_ring_slots(c, v, 4), 1);
	assert_null(v[0].invalid);
	assert_int_equal(strlen(v[0].uri), BVAPM_SLOT_URI_LEN - 1);
	bvapm_ring_slot_request_end(p);
	assert_int_equal(bvapm_ring_slots(c, v, 4), 1);
	assert_false(v[0].in_request);
	bvapm_ring_close(p);
	assert_int_equal(bvapm_ring_slots(c, v, 4), 0);
	bvapm_ring_close(c);
}

static void test_fork_inherited_handle_refused(void **state)
{
	bvapm_ring *c = test_create("fork", 1 << 14, 1024);
	bvapm_ring *p = NULL;

	assert_int_equal(bvapm_ring_attach("fork", &p, NULL), 0);
	pid_t pid = fork();
	if (pid == 0) {
		int rc = bvapm_ring_write(p, 1, "x", 1);
		bvapm_ring_close(p); /* must not release the parent's slot */
		_exit(rc == -EBADF ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	assert_int_equal(WEXITSTATUS(status), 0);
	struct bvapm_ring_slot_view v[2];
	assert_int_equal(bvapm_ring_slots(c, v, 2), 1);
	assert_int_equal(v[0].pid, (uint32_t)getpid());
	assert_int_equal(bvapm_ring_write(p, 1, "x", 1), 0);
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

static void test_create_refuses_existing_and_bad_options(void **state)
{
	struct bvapm_ring_error err = {0};
	bvapm_ring *c = test_create("exists", 1 << 14, 1024), *c2 = NULL;
	struct bvapm_ring_create_opts o = {.name = "exists", .capacity = 1 << 14, .group = (gid_t)-1};

	assert_int_equal(bvapm_ring_create(&o, &c2, &err), -EEXIST);
	o.name = "badsize";
	o.capacity = 10000;
	assert_int_equal(bvapm_ring_create(&o, &c2, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "power of two"));
	char path[128];
	bvapm_ring_path("exists", path, sizeof(path));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	bvapm_ring_close(c);
}

/* bvapm_ring_prepare only prefetches: whatever the length, whatever the
 * positions (garbage included), on any handle, not one byte of the ring
 * changes, and the next write is the one it would have been. */
static void snapshot(const char *name, uint8_t *buf, size_t len)
{
	char path[128];
	assert_int_equal(bvapm_ring_path(name, path, sizeof(path)), 0);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_true(pread(fd, buf, len, 0) > 0); /* the whole file: len is larger */
	close(fd);
}

static void test_prepare_changes_nothing(void **state)
{
	const uint64_t cap = 1 << 14;
	bvapm_ring *c = test_create("prepare", cap, 4096);
	bvapm_ring *p = NULL;
	uint8_t buf[512];
	struct bvapm_ring_stats st;
	const uint32_t lens[] = {0, 1, 100, 496, 4096, 1u << 20, UINT32_MAX};
	size_t map_len = 4096 + 256 * 512 + cap + 8192; /* more than the file: pread stops */
	uint8_t *before = calloc(1, map_len), *after = calloc(1, map_len);

	(void)state;
	assert_non_null(before);
	assert_non_null(after);
	assert_int_equal(bvapm_ring_attach("prepare", &p, NULL), 0);
	uint32_t len = test_payload_fill(buf, 200, 1, 1);
	/* through the wrap and into the second lap */
	for (int i = 0; i < 90; i++) {
		bvapm_ring_prepare(p, len);
		write_one_drain_one(p, c, buf, len);
	}
	const uint64_t tails[] = {0, 5 * cap - 8, 3, UINT64_MAX - 7, UINT64_MAX};
	bvapm_ring_stats(c, &st);
	uint64_t real_tail = st.tail;
	for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]) + 1; t++) {
		if (t < sizeof(tails) / sizeof(tails[0]))
			poke_header("prepare", offsetof(struct bvapm_ring_header, tail), &tails[t], 8);
		else
			poke_header("prepare", offsetof(struct bvapm_ring_header, tail), &real_tail, 8);
		snapshot("prepare", before, map_len);
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
			bvapm_ring_prepare(p, lens[l]);
		bvapm_ring_prepare(c, 100); /* a consumer handle: nothing */
		bvapm_ring_prepare(NULL, 100);
		snapshot("prepare", after, map_len);
		assert_memory_equal(before, after, map_len);
	}
	/* an inherited handle in a child: nothing either */
	pid_t pid = fork();
	if (pid == 0) {
		bvapm_ring_prepare(p, len);
		snapshot("prepare", after, map_len);
		_exit(memcmp(before, after, map_len) == 0 ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* and the ring goes on as before */
	write_one_drain_one(p, c, buf, len);
	bvapm_ring_stats(c, &st);
	assert_int_equal(st.lost_total, 0);
	assert_int_equal(st.invalid_records, 0);
	free(before);
	free(after);
	bvapm_ring_close(p);
	bvapm_ring_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing_and_alignment),
		cmocka_unit_test(test_reserve_commit_zero_copy),
		cmocka_unit_test(test_wrap_padding),
		cmocka_unit_test(test_full_drops_immediately),
		cmocka_unit_test(test_too_big_dropped),
		cmocka_unit_test(test_positions_near_2_32),
		cmocka_unit_test(test_positions_far_beyond),
		cmocka_unit_test(test_attach_refused),
		cmocka_unit_test(test_attach_wrong_permissions),
		cmocka_unit_test(test_corrupt_lengths_and_types),
		cmocka_unit_test(test_unaligned_positions),
		cmocka_unit_test(test_prepare_changes_nothing),
		cmocka_unit_test(test_check_reports),
		cmocka_unit_test(test_control_words),
		cmocka_unit_test(test_slots_and_single_consumer),
		cmocka_unit_test(test_fork_inherited_handle_refused),
		cmocka_unit_test(test_create_refuses_existing_and_bad_options),
	};
	test_shm_dir();
	return cmocka_run_group_tests_name("ring unit", tests, NULL, test_shm_teardown);
}
