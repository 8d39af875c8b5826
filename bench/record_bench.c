/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record_bench.c — how fast the agent encodes and the drainer checks records.
 *
 *   record_bench [runs] [iterations]     (defaults 15 and 20000)
 *
 * Workload: the typical request profile of testing/fixtures.c (10
 * checkpoints, 50 SQL statements, top 50 functions, 2 errors, 4 tags, 4
 * counters). Each run times `iterations` encodes into one reused buffer, then
 * `iterations` verify + read-every-field passes over the encoded record, then
 * a smaller number of JSON renderings, and encodes into a 4 KiB buffer (the
 * truncation path: functions and most SQL cut). The machine is shared and noisy, so
 * the figures are medians over runs of thread CPU time. Each run also checks its output (the
 * encoded record verifies, the read pass sums to the same value every time).
 *
 * Prints one summary line:
 *   record-bench: bytes=N encode_ns_median=X verify_read_mbps_median=Y
 *                 json_us_median=Z truncated_encode_ns_median=T runs=R iterations=I
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/bvapm_clock.h"
#include "testing/fixtures.h"
#include "record/record.h"

/* The thread's CPU time: on a shared machine, time spent preempted by other
 * processes is not the codec's cost. */
static uint64_t now_ns(void) { return bvapm_clock_ns(CLOCK_THREAD_CPUTIME_ID); }

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t str_sum(bvapm_rec_str s)
{
	return s.len + (s.len ? (uint8_t)s.ptr[0] : 0);
}

/* Reads every field of a request record; the sum keeps the reads alive. */
static uint64_t read_request(const void *buf)
{
	bvapm_rec_record_ref r = bvapm_rec_root(buf);
	uint64_t sum = bvapm_rec_record_sequence(r) + bvapm_rec_record_pid(r) +
		bvapm_rec_record_wall_unix_ns(r) + bvapm_rec_record_mono_ns(r) +
		bvapm_rec_record_producer_start_unix_ns(r) + bvapm_rec_record_schema_version(r) +
		bvapm_rec_record_truncated(r) + bvapm_rec_record_sampled(r) +
		str_sum(bvapm_rec_record_host(r)) + str_sum(bvapm_rec_record_service(r)) +
		bvapm_rec_record_trace_id(r).len + bvapm_rec_record_span_id(r).len +
		bvapm_rec_record_parent_span_id(r).len;
	bvapm_rec_request_ref q = bvapm_rec_record_body_request(r);
	sum += str_sum(bvapm_rec_request_method(q)) + str_sum(bvapm_rec_request_uri(q)) +
		str_sum(bvapm_rec_request_route(q)) + str_sum(bvapm_rec_request_sapi(q)) +
		bvapm_rec_request_status(q) + bvapm_rec_request_mode(q) +
		bvapm_rec_request_keep_reason(q) + bvapm_rec_request_detail_reduced(q) +
		bvapm_rec_request_start_unix_ns(q) + bvapm_rec_request_wall_ns(q) +
		bvapm_rec_request_cpu_user_us(q) + bvapm_rec_request_cpu_sys_us(q) +
		bvapm_rec_request_mem_start_bytes(q) + bvapm_rec_request_mem_end_bytes(q) +
		bvapm_rec_request_mem_peak_bytes(q) + bvapm_rec_request_mem_limit_bytes(q) +
		bvapm_rec_request_agent_ns(q) + bvapm_rec_request_sql_total_count(q) +
		bvapm_rec_request_sql_total_ns(q) + bvapm_rec_request_sql_dropped(q) +
		bvapm_rec_request_functions_dropped(q);
	bvapm_rec_checkpoint_vec cv = bvapm_rec_request_checkpoints(q);
	for (uint32_t i = 0; i < cv.len; i++) {
		bvapm_rec_checkpoint_ref c = bvapm_rec_checkpoint_at(cv, i);
		sum += str_sum(bvapm_rec_checkpoint_label(c)) + bvapm_rec_checkpoint_offset_ns(c) +
			bvapm_rec_checkpoint_mem_bytes(c) + (uint64_t)bvapm_rec_checkpoint_mem_delta_bytes(c) +
			bvapm_rec_checkpoint_peak_bytes(c) + bvapm_rec_checkpoint_largest_jump(c);
	}
	bvapm_rec_sql_statement_vec sv = bvapm_rec_request_sql(q);
	for (uint32_t i = 0; i < sv.len; i++) {
		bvapm_rec_sql_statement_ref s = bvapm_rec_sql_statement_at(sv, i);
		sum += str_sum(bvapm_rec_sql_statement_statement(s)) + bvapm_rec_sql_statement_count(s) +
			bvapm_rec_sql_statement_total_ns(s) + bvapm_rec_sql_statement_max_ns(s) +
			bvapm_rec_sql_statement_rows(s) + bvapm_rec_sql_statement_n_plus_one(s);
	}
	bvapm_rec_function_stat_vec fv = bvapm_rec_request_functions(q);
	for (uint32_t i = 0; i < fv.len; i++) {
		bvapm_rec_function_stat_ref f = bvapm_rec_function_stat_at(fv, i);
		sum += str_sum(bvapm_rec_function_stat_name(f)) + bvapm_rec_function_stat_calls(f) +
			bvapm_rec_function_stat_inclusive_ns(f) + bvapm_rec_function_stat_exclusive_ns(f) +
			(uint64_t)bvapm_rec_function_stat_mem_delta_bytes(f);
	}
	bvapm_rec_error_event_vec ev = bvapm_rec_request_errors(q);
	for (uint32_t i = 0; i < ev.len; i++) {
		bvapm_rec_error_event_ref e = bvapm_rec_error_event_at(ev, i);
		sum += str_sum(bvapm_rec_error_event_type(e)) + str_sum(bvapm_rec_error_event_message(e)) +
			str_sum(bvapm_rec_error_event_file(e)) + bvapm_rec_error_event_line(e) +
			bvapm_rec_error_event_count(e);
	}
	bvapm_rec_tag_vec tv = bvapm_rec_request_tags(q);
	for (uint32_t i = 0; i < tv.len; i++)
		sum += str_sum(bvapm_rec_tag_key(bvapm_rec_tag_at(tv, i))) +
			str_sum(bvapm_rec_tag_value(bvapm_rec_tag_at(tv, i)));
	bvapm_rec_counter_vec nv = bvapm_rec_request_counters(q);
	for (uint32_t i = 0; i < nv.len; i++)
		sum += str_sum(bvapm_rec_counter_name(bvapm_rec_counter_at(nv, i))) +
			(uint64_t)bvapm_rec_counter_value(bvapm_rec_counter_at(nv, i));
	return sum;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 15;
	int iters = argc > 2 ? atoi(argv[2]) : 20000;
	if (runs < 1 || runs > 1000 || iters < 1) {
		fprintf(stderr, "usage: %s [runs 1..1000] [iterations]\n", argv[0]);
		return 2;
	}
	static _Alignas(8) uint8_t buf[1 << 16];
	const struct bvapm_rec_request *q = fixture_typical_request();
	struct bvapm_rec_envelope env = fixture_envelope;
	double *enc = calloc((size_t)runs, sizeof *enc);
	double *mbps = calloc((size_t)runs, sizeof *mbps);
	double *json = calloc((size_t)runs, sizeof *json);
	double *trunc = calloc((size_t)runs, sizeof *trunc);
	if (!enc || !mbps || !json || !trunc)
		return 1;
	ssize_t len = 0;
	uint64_t expect = 0;
	int json_iters = iters / 100 > 10 ? iters / 100 : 10;

	for (int r = 0; r < runs; r++) {
		uint64_t t0 = now_ns();
		for (int i = 0; i < iters; i++) {
			env.sequence++;
			len = bvapm_rec_encode_request(buf, sizeof buf, &env, q);
		}
		uint64_t t1 = now_ns();
		if (len <= 0 || bvapm_rec_verify(buf, (size_t)len, NULL, NULL) != 0) {
			fprintf(stderr, "record-bench: encoding failed (%zd)\n", len);
			return 1;
		}
		env.sequence = fixture_envelope.sequence;  /* same bytes every run */
		len = bvapm_rec_encode_request(buf, sizeof buf, &env, q);
		uint64_t sum = 0;
		uint64_t t2 = now_ns();
		for (int i = 0; i < iters; i++) {
			if (bvapm_rec_verify(buf, (size_t)len, NULL, NULL) != 0) {
				fprintf(stderr, "record-bench: verify failed\n");
				return 1;
			}
			sum += read_request(buf);
		}
		uint64_t t3 = now_ns();
		if (r == 0)
			expect = sum;
		else if (sum != expect) {
			fprintf(stderr, "record-bench: read pass differs between runs\n");
			return 1;
		}
		uint64_t t4 = now_ns();
		for (int i = 0; i < json_iters; i++)
			free(bvapm_rec_to_json_string(buf, (size_t)len, 0));
		uint64_t t5 = now_ns();
		ssize_t small = 0;
		for (int i = 0; i < json_iters; i++)
			small = bvapm_rec_encode_request(buf, 4096, &env, q);
		uint64_t t6 = now_ns();
		if (small <= 0 || !bvapm_rec_record_truncated(bvapm_rec_root(buf))) {
			fprintf(stderr, "record-bench: truncated encoding failed (%zd)\n", small);
			return 1;
		}
		enc[r] = (double)(t1 - t0) / iters;
		mbps[r] = (double)len * iters / ((double)(t3 - t2) / 1e9) / 1e6;
		json[r] = (double)(t5 - t4) / json_iters / 1e3;
		trunc[r] = (double)(t6 - t5) / json_iters;
	}
	printf("record-bench: bytes=%zd encode_ns_median=%.0f verify_read_mbps_median=%.0f "
		"json_us_median=%.1f truncated_encode_ns_median=%.0f runs=%d iterations=%d\n", len,
		median(enc, runs), median(mbps, runs), median(json, runs), median(trunc, runs), runs, iters);
	free(enc);
	free(mbps);
	free(json);
	free(trunc);
	return 0;
}
