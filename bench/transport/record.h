/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record.h — the benchmark record every transport carries, and its checks.
 *
 *   offset 0   magic      u32  BENCH_RECORD_MAGIC
 *          4   len        u32  whole record in bytes (multiple of 8)
 *          8   producer   u32  producer index in the run
 *         12   checksum   u32  bench_record_checksum() of the fields below
 *         16   seq        u64  per-producer sequence number, from 0
 *         24   payload    len - 32 bytes, a fixed pattern per producer
 *    len - 8   trailer    u64  seq again (catches torn or mixed records)
 *
 * The producer builds the payload once and only stamps seq, trailer and
 * checksum per record (outside the timed call); the consumer recomputes the
 * payload hash over every byte it received.
 */
#ifndef BVAPM_BENCH_RECORD_H
#define BVAPM_BENCH_RECORD_H

#include <stdint.h>

#define BENCH_RECORD_MAGIC UINT32_C(0x52425642) /* "BVBR" little-endian */
#define BENCH_RECORD_HEADER 24u
#define BENCH_RECORD_TRAILER 8u
#define BENCH_RECORD_MIN (BENCH_RECORD_HEADER + BENCH_RECORD_TRAILER + 8u)
#define BENCH_RECORD_MAX 65504u /* fits one UDP datagram */

struct bench_record_header {
	uint32_t magic;
	uint32_t len;
	uint32_t producer;
	uint32_t checksum;
	uint64_t seq;
};

/* 64-bit FNV-1a over n bytes taken as 8-byte words (n a multiple of 8). */
uint64_t bench_payload_hash(const void *payload, uint32_t n);

/* Checksum of a record from its payload hash and header fields. */
uint32_t bench_record_checksum(uint64_t payload_hash, uint32_t producer, uint32_t len,
                               uint64_t seq);

/* Fills buf (len bytes, 8-byte aligned) with producer's header and payload
 * pattern. Returns the payload hash to pass to bench_record_stamp(). */
uint64_t bench_record_init(void *buf, uint32_t len, uint32_t producer);

/* Writes seq, trailer and checksum for the next record into buf. */
void bench_record_stamp(void *buf, uint64_t payload_hash, uint64_t seq);

enum bench_record_verdict {
	BENCH_RECORD_OK = 0,
	BENCH_RECORD_MALFORMED,   /* too short, bad magic, length mismatch */
	BENCH_RECORD_BAD_CHECKSUM,/* checksum or trailer mismatch */
};

/* Checks a received record of n bytes. On OK, fills *producer and *seq. */
enum bench_record_verdict bench_record_verify(const void *buf, uint32_t n, uint32_t *producer,
                                              uint64_t *seq);

#endif
