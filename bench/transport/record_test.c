/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record_test.c — unit tests of the benchmark record (record.c): a stamped
 * record verifies; a flipped payload byte, a changed sequence number, a torn
 * trailer or a record cut short are each caught, as the consumer relies on.
 * Prints TAP when run with CMOCKA_MESSAGE_OUTPUT=TAP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "record.h"

#define LEN 512u

static unsigned char *stamped(uint32_t producer, uint64_t seq)
{
	unsigned char *buf = aligned_alloc(8, LEN);
	assert_non_null(buf);
	uint64_t hash = bench_record_init(buf, LEN, producer);
	bench_record_stamp(buf, hash, seq);
	return buf;
}

static void test_stamped_record_verifies(void **state)
{
	(void)state;
	unsigned char *buf = stamped(3, 41);
	uint32_t producer = 0;
	uint64_t seq = 0;

	assert_int_equal(bench_record_verify(buf, LEN, &producer, &seq), BENCH_RECORD_OK);
	assert_int_equal(producer, 3);
	assert_int_equal(seq, 41);

	/* Restamping for the next record keeps it valid. */
	uint64_t hash = bench_payload_hash(buf + BENCH_RECORD_HEADER,
	                                   LEN - BENCH_RECORD_HEADER - BENCH_RECORD_TRAILER);
	bench_record_stamp(buf, hash, 42);
	assert_int_equal(bench_record_verify(buf, LEN, &producer, &seq), BENCH_RECORD_OK);
	assert_int_equal(seq, 42);
	free(buf);
}

static void test_every_flipped_byte_is_caught(void **state)
{
	(void)state;
	unsigned char *buf = stamped(1, 7);
	uint32_t producer;
	uint64_t seq;

	for (uint32_t i = 0; i < LEN; i++) {
		buf[i] ^= 0x20;
		assert_int_not_equal(bench_record_verify(buf, LEN, &producer, &seq), BENCH_RECORD_OK);
		buf[i] ^= 0x20;
	}
	assert_int_equal(bench_record_verify(buf, LEN, &producer, &seq), BENCH_RECORD_OK);
	free(buf);
}

/* The first half of one record followed by the second half of another of
 * the same producer (a torn or interleaved write). */
static void test_mixed_records_are_caught(void **state)
{
	(void)state;
	unsigned char *a = stamped(2, 100), *b = stamped(2, 101);
	uint32_t producer;
	uint64_t seq;

	memcpy(a + LEN / 2, b + LEN / 2, LEN / 2);
	assert_int_equal(bench_record_verify(a, LEN, &producer, &seq), BENCH_RECORD_BAD_CHECKSUM);
	free(a);
	free(b);
}

static void test_bad_framing_is_malformed(void **state)
{
	(void)state;
	unsigned char *buf = stamped(0, 1);
	uint32_t producer;
	uint64_t seq;

	assert_int_equal(bench_record_verify(buf, LEN - 8, &producer, &seq), BENCH_RECORD_MALFORMED);
	assert_int_equal(bench_record_verify(buf, LEN - 1, &producer, &seq), BENCH_RECORD_MALFORMED);
	assert_int_equal(bench_record_verify(buf, 16, &producer, &seq), BENCH_RECORD_MALFORMED);
	buf[0] ^= 1; /* magic */
	assert_int_equal(bench_record_verify(buf, LEN, &producer, &seq), BENCH_RECORD_MALFORMED);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stamped_record_verifies),
		cmocka_unit_test(test_every_flipped_byte_is_caught),
		cmocka_unit_test(test_mixed_records_are_caught),
		cmocka_unit_test(test_bad_framing_is_malformed),
	};
	return cmocka_run_group_tests_name("bench_record", tests, NULL, NULL);
}
