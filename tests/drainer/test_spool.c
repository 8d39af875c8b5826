/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of drainer/spool.c: atomic segments, FIFO replay across a
 * reopen, the byte bound refusing new segments unless eviction is allowed,
 * counted eviction and its tally (the report survives a reopen with the same
 * identity until acknowledged), corrupt segments moved to quarantine/,
 * left-over temporary files removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "drainer/log.h"
#include "drainer/spool.h"
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

/* Three batches of four records, sequences 1 to 12: three segments. */
static void write_three_batches(struct bvapm_spool *sp)
{
	struct bvapm_sink_record r[4];
	for (int s = 0; s < 3; s++) {
		make_batch(r, 4, 1 + 4 * (uint64_t)s);
		assert_int_equal(bvapm_spool_write(sp, r, 4, NULL), 0);
	}
}

static void test_fifo_replay_across_reopen(void **state)
{
	char *dir = tu_tmpdir(), err[256];
	struct bvapm_spool *sp;
	assert_int_equal(bvapm_spool_open(dir, 1 << 20, &sp, err, sizeof err), 0);
	write_three_batches(sp);
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
	assert_int_equal(bvapm_spool_write(sp, r, 8, NULL), 0);
	struct bvapm_spool_stats st;
	bvapm_spool_get_stats(sp, &st);
	uint64_t seg_bytes = st.bytes;
	bvapm_spool_close(sp);
	assert_int_equal(bvapm_spool_open(dir, 2 * seg_bytes + 10, &sp, err, sizeof err), 0);
	/* Full without permission to evict: refused, nothing touched. */
	make_batch(r, 8, 9);
	assert_int_equal(bvapm_spool_write(sp, r, 8, NULL), 0);
	make_batch(r, 8, 17);
	assert_int_equal(bvapm_spool_write(sp, r, 8, NULL), -ENOBUFS);
	bvapm_spool_get_stats(sp, &st);
	assert_int_equal(st.segments, 2);
	assert_int_equal(st.evicted_records, 0);
	assert_int_equal(st.write_errors, 0);
	/* Allowed (the ring is nearly full): the oldest go, counted. */
	for (int s = 2; s < 5; s++) {
		make_batch(r, 8, 1 + 8 * (uint64_t)s);
		assert_int_equal(bvapm_spool_write(sp, r, 8, "the ring is 95% full"), 0);
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
	assert_int_equal(bvapm_spool_write(sp, r, 8, "the ring is 95% full"), -EMSGSIZE);
	bvapm_spool_close(sp);
	tu_rmrf(dir);
	free(dir);
}

/* The eviction report in buf: its counter "records_evicted" (-1 when the
 * record is not a drainer statistics record) and its sequence number. */
static int64_t report_value(const uint8_t *buf, ssize_t len, uint64_t *seq, uint64_t *epoch)
{
	assert_true(len > 0);
	assert_int_equal(bvapm_rec_verify(buf, (size_t)len, NULL, NULL), 0);
	bvapm_rec_record_ref r = bvapm_rec_root(buf);
	if (bvapm_rec_record_body_type(r) != BVAPM_REC_KIND_STATS)
		return -1;
	bvapm_rec_stats_ref st = bvapm_rec_record_body_stats(r);
	bvapm_rec_str src = bvapm_rec_stats_source(st);
	bvapm_rec_counter_vec cv = bvapm_rec_stats_counters(st);
	if (!src.ptr || strcmp(src.ptr, "drainer") || cv.len != 1)
		return -1;
	bvapm_rec_counter_ref c = bvapm_rec_counter_at(cv, 0);
	if (strcmp(bvapm_rec_counter_name(c).ptr, "records_evicted"))
		return -1;
	*seq = bvapm_rec_record_sequence(r);
	*epoch = bvapm_rec_record_producer_start_unix_ns(r);
	return bvapm_rec_counter_value(c);
}

static void test_eviction_tally(void **state)
{
	char *dir = tu_tmpdir(), err[256];
	static _Alignas(8) uint8_t rep[1024];
	struct bvapm_spool *sp;
	struct bvapm_sink_record r[8];
	uint64_t seq, epoch, seq2, epoch2, figure = 0;
	assert_int_equal(bvapm_spool_open(dir, 1 << 20, &sp, err, sizeof err), 0);
	assert_int_equal(bvapm_spool_evict_report(sp, rep, sizeof rep, &figure), 0); /* nothing evicted */
	make_batch(r, 8, 1);
	assert_int_equal(bvapm_spool_write(sp, r, 8, NULL), 0);
	struct bvapm_spool_stats st;
	bvapm_spool_get_stats(sp, &st);
	bvapm_spool_close(sp);
	/* Room for one segment: each write evicts the previous one. */
	assert_int_equal(bvapm_spool_open(dir, st.bytes + 10, &sp, err, sizeof err), 0);
	for (int s = 1; s < 4; s++) {
		make_batch(r, 8, 1 + 8 * (uint64_t)s);
		assert_int_equal(bvapm_spool_write(sp, r, 8, "the ring is 91% full"), 0);
	}
	ssize_t len = bvapm_spool_evict_report(sp, rep, sizeof rep, &figure);
	assert_int_equal(report_value(rep, len, &seq, &epoch), 24);
	assert_int_equal(figure, 24);
	assert_int_equal(seq, 1);
	/* Evictions after the report was built go into the next one. */
	make_batch(r, 8, 33);
	assert_int_equal(bvapm_spool_write(sp, r, 8, "the ring is 91% full"), 0);
	/* A crash before the sink acknowledged: the same report again. */
	bvapm_spool_close(sp);
	assert_int_equal(bvapm_spool_open(dir, st.bytes + 10, &sp, err, sizeof err), 0);
	len = bvapm_spool_evict_report(sp, rep, sizeof rep, &figure);
	assert_int_equal(report_value(rep, len, &seq2, &epoch2), 24);
	assert_int_equal(seq2, 1);
	assert_true(epoch2 == epoch);
	bvapm_spool_evict_reported(sp);
	len = bvapm_spool_evict_report(sp, rep, sizeof rep, &figure);
	assert_int_equal(report_value(rep, len, &seq2, &epoch2), 8);
	assert_int_equal(seq2, 2);
	bvapm_spool_evict_reported(sp);
	assert_int_equal(bvapm_spool_evict_report(sp, rep, sizeof rep, &figure), 0);
	/* Acknowledged reports stay acknowledged across a reopen. */
	bvapm_spool_close(sp);
	assert_int_equal(bvapm_spool_open(dir, st.bytes + 10, &sp, err, sizeof err), 0);
	assert_int_equal(bvapm_spool_evict_report(sp, rep, sizeof rep, &figure), 0);
	assert_int_equal(bvapm_spool_segments(sp), 1); /* the tally file is not a segment */
	bvapm_spool_close(sp);
	/* A corrupt tally starts afresh (logged) instead of failing the spool. */
	char path[700];
	snprintf(path, sizeof path, "%s/evicted", dir);
	int fd = open(path, O_WRONLY);
	assert_true(pwrite(fd, "garbage!", 8, 0) == 8);
	close(fd);
	assert_int_equal(bvapm_spool_open(dir, st.bytes + 10, &sp, err, sizeof err), 0);
	assert_int_equal(bvapm_spool_evict_report(sp, rep, sizeof rep, &figure), 0);
	bvapm_spool_close(sp);
	tu_rmrf(dir);
	free(dir);
}

static void test_corrupt_segment_quarantined(void **state)
{
	char *dir = tu_tmpdir(), err[256], path[700];
	struct bvapm_spool *sp;
	assert_int_equal(bvapm_spool_open(dir, 1 << 20, &sp, err, sizeof err), 0);
	write_three_batches(sp);
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
		cmocka_unit_test(test_eviction_tally),
		cmocka_unit_test(test_corrupt_segment_quarantined),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
