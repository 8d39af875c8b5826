/* Unit tests of drainer/spool.c: atomic segments, FIFO replay across a
 * reopen, the byte bound with counted eviction, corrupt segments moved to
 * quarantine/, left-over temporary files removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"
#include "drainer_test_util.h"

static _Alignas(8) uint8_t bufs[64][1024];

static size_t make_batch(struct bvapm_sink_record *r, size_t n, uint64_t first)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = tu_request(bufs[i], sizeof bufs[i], 7, 1, first + i);
		tu_sink_record(&r[i], bufs[i], len, 7, 1, first + i);
	}
	return n;
}

static int count_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strstr(de->d_name, suffix))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void test_fifo_replay_across_reopen(void **state)
{
	char *dir = tu_tmpdir(), err[256];
	struct bvapm_spool *sp;
	struct bvapm_sink_record r[8];
	assert_int_equal(bvapm_spool_open(dir, 1 << 20, &sp, err, sizeof err), 0);
	for (int s = 0; s < 3; s++) {
		make_batch(r, 4, 1 + 4 * (uint64_t)s);
		assert_int_equal(bvapm_spool_write(sp, r, 4), 0);
	}
	assert_int_equal(count_files(dir, ".seg"), 3);
	assert_int_equal(count_files(dir, ".tmp-"), 0);
	bvapm_spool_close(sp);
	/* a crash left a temporary file: removed at open */
	char tmp[600];
	snprintf(tmp, sizeof tmp, "%s/.tmp-00000000000000000099", dir);
	close(open(tmp, O_CREAT | O_WRONLY, 0600));
	assert_int_equal(bvapm_spool_open(dir, 1 << 20, &sp, err, sizeof err), 0);
	assert_int_equal(count_files(dir, ".tmp-"), 0);
	assert_int_equal(bvapm_spool_segments(sp), 3);
	for (int s = 0; s < 3; s++) {
		struct bvapm_spool_segment *seg;
		assert_int_equal(bvapm_spool_oldest(sp, &seg), 1);
		assert_int_equal(seg->n, 4);
		for (uint32_t i = 0; i < 4; i++)
			assert_int_equal(seg->recs[i].sequence, 1 + 4 * (uint64_t)s + i);
		bvapm_spool_done(sp, seg, 1);
	}
	struct bvapm_spool_segment *seg;
	assert_int_equal(bvapm_spool_oldest(sp, &seg), 0);
	struct bvapm_spool_stats st;
	bvapm_spool_get_stats(sp, &st);
	assert_int_equal(st.replayed_records, 12);
	assert_int_equal(st.bytes, 0);
	bvapm_spool_close(sp);
	tu_rmrf(dir);
	free(dir);
}

static void test_bound_evicts_oldest(void **state)
{
	char *dir = tu_tmpdir(), err[256];
	struct bvapm_spool *sp;
	struct bvapm_sink_record r[8];
	/* one 8-record segment is a few KiB; allow about two */
	assert_int_equal(bvapm_spool_open(dir, 1 << 20, &sp, err, sizeof err), 0);
	make_batch(r, 8, 1);
	assert_int_equal(bvapm_spool_write(sp, r, 8), 0);
	struct bvapm_spool_stats st;
	bvapm_spool_get_stats(sp, &st);
	uint64_t seg_bytes = st.bytes;
	bvapm_spool_close(sp);
	assert_int_equal(bvapm_spool_open(dir, 2 * seg_bytes + 10, &sp, err, sizeof err), 0);
	for (int s = 1; s < 5; s++) {
		make_batch(r, 8, 1 + 8 * (uint64_t)s);
		assert_int_equal(bvapm_spool_write(sp, r, 8), 0);
	}
	bvapm_spool_get_stats(sp, &st);
	assert_int_equal(st.segments, 2);
	assert_true(st.bytes <= 2 * seg_bytes + 10);
	assert_int_equal(st.evicted_segments, 3);
	assert_int_equal(st.evicted_records, 24);
	struct bvapm_spool_segment *seg;
	assert_int_equal(bvapm_spool_oldest(sp, &seg), 1);
	assert_int_equal(seg->recs[0].sequence, 25); /* the oldest kept */
	bvapm_spool_done(sp, seg, 0);
	/* a segment larger than the bound is refused */
	bvapm_spool_close(sp);
	assert_int_equal(bvapm_spool_open(dir, 100, &sp, err, sizeof err), 0);
	assert_int_equal(bvapm_spool_write(sp, r, 8), -EMSGSIZE);
	bvapm_spool_close(sp);
	tu_rmrf(dir);
	free(dir);
}

static void test_corrupt_segment_quarantined(void **state)
{
	char *dir = tu_tmpdir(), err[256], path[700];
	struct bvapm_spool *sp;
	struct bvapm_sink_record r[4];
	assert_int_equal(bvapm_spool_open(dir, 1 << 20, &sp, err, sizeof err), 0);
	for (int s = 0; s < 3; s++) {
		make_batch(r, 4, 1 + 4 * (uint64_t)s);
		assert_int_equal(bvapm_spool_write(sp, r, 4), 0);
	}
	bvapm_spool_close(sp);
	/* flip a byte in segment 1, truncate segment 2 */
	snprintf(path, sizeof path, "%s/00000000000000000001.seg", dir);
	int fd = open(path, O_RDWR);
	assert_true(pwrite(fd, "X", 1, 100) == 1);
	close(fd);
	snprintf(path, sizeof path, "%s/00000000000000000002.seg", dir);
	assert_int_equal(truncate(path, 20), 0);
	assert_int_equal(bvapm_spool_open(dir, 1 << 20, &sp, err, sizeof err), 0);
	struct bvapm_spool_segment *seg;
	assert_int_equal(bvapm_spool_oldest(sp, &seg), 1);
	assert_int_equal(seg->recs[0].sequence, 9);
	bvapm_spool_done(sp, seg, 1);
	struct bvapm_spool_stats st;
	bvapm_spool_get_stats(sp, &st);
	assert_int_equal(st.quarantined_segments, 2);
	snprintf(path, sizeof path, "%s/quarantine", dir);
	assert_int_equal(count_files(path, ".seg"), 2);
	bvapm_spool_close(sp);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	bvapm_log_set_level(-1); /* quiet: errors are expected */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_replay_across_reopen),
		cmocka_unit_test(test_bound_evicts_oldest),
		cmocka_unit_test(test_corrupt_segment_quarantined),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
