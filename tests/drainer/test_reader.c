/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of drainer/reader.c: the ring is created or re-attached, valid
 * records come out verified with their identity, garbage payloads are
 * counted and skipped, and the ring is released only past batches every sink
 * is done with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "drainer/log.h"
#include "drainer/reader.h"
#include "drainer_test_util.h"

static void test_verify_count_release(void **state)
{
	char *dir = tu_tmpdir(), err[256];
	setenv("BVAPM_SHM_DIR", dir, 1);
	struct bvapm_drainer_config c;
	bvapm_config_defaults(&c);
	snprintf(c.ring_name, sizeof c.ring_name, "unit");
	c.ring_size = 1 << 20;
	c.ring_max_record = 64 << 10;
	c.ring_prefault = false;
	static struct bvapm_metrics m;
	struct bvapm_reader r;
	assert_int_equal(bvapm_reader_open(&r, &c, &m, 1, err, sizeof err), 0);

	bvapm_ring *prod;
	struct bvapm_ring_error e;
	assert_int_equal(bvapm_ring_attach("unit", &prod, &e), 0);
	static _Alignas(8) uint8_t buf[1024];
	for (uint64_t seq = 1; seq <= 5; seq++) {
		size_t len = tu_request(buf, sizeof buf, 9, 77, seq);
		assert_int_equal(bvapm_ring_write(prod, 1, buf, (uint32_t)len), 0);
		if (seq == 2 || seq == 4) {
			uint8_t junk[100];
			memset(junk, 0xab, sizeof junk);
			assert_int_equal(bvapm_ring_write(prod, 1, junk, sizeof junk), 0);
		}
	}
	struct bvapm_batch *b = bvapm_reader_next(&r, 100);
	assert_non_null(b);
	assert_int_equal(b->n, 5);
	assert_int_equal(m.records_invalid, 2);
	assert_int_equal(m.records_read, 5);
	for (uint32_t i = 0; i < 5; i++) {
		assert_int_equal(b->recs[i].pid, 9);
		assert_int_equal(b->recs[i].producer_start_unix_ns, 77);
		assert_int_equal(b->recs[i].sequence, i + 1);
		assert_int_equal(b->recs[i].kind, 1);
	}
	assert_int_equal(b->pending, 1);
	/* not safe yet: the head must not move */
	uint64_t head = bvapm_ring_head(r.ring);
	assert_int_equal(bvapm_reader_reap(&r), 0);
	assert_int_equal(bvapm_ring_head(r.ring), head);
	bvapm_batch_safe(b);
	assert_int_equal(bvapm_reader_reap(&r), 5);
	assert_true(bvapm_ring_head(r.ring) > head);
	assert_int_equal(bvapm_ring_head(r.ring), bvapm_ring_read_pos(r.ring));
	bvapm_ring_close(prod);
	bvapm_reader_close(&r);

	/* a second open attaches to the existing ring */
	assert_int_equal(bvapm_reader_open(&r, &c, &m, 1, err, sizeof err), 0);
	assert_null(bvapm_reader_next(&r, 100));
	bvapm_reader_close(&r);
	bvapm_ring_unlink("unit");
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	bvapm_log_set_level(-1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_count_release),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
