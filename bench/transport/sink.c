/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sink.c — the consumer-side check of every record: framing, checksum,
 * producer id in range, per-producer sequence strictly increasing (each
 * transport keeps one producer's records in order; gaps are drops). Only
 * valid records count as delivered, so "delivered" is exact.
 */
#include "record.h"
#include "run.h"

void bench_sink_record(struct bench_sink *sink, const void *record, uint32_t len)
{
	struct bench_consumer_result *r = sink->result;
	uint32_t producer;
	uint64_t seq;

	switch (bench_record_verify(record, len, &producer, &seq)) {
	case BENCH_RECORD_OK:
		break;
	case BENCH_RECORD_MALFORMED:
		r->malformed++;
		return;
	case BENCH_RECORD_BAD_CHECKSUM:
		r->bad_checksum++;
		return;
	}
	if (producer >= sink->producers) {
		r->malformed++;
		return;
	}
	if ((int64_t)seq <= sink->last_seq[producer])
		r->out_of_order++;
	else
		sink->last_seq[producer] = (int64_t)seq;
	r->delivered[producer]++;
	r->delivered_bytes += len;
}
