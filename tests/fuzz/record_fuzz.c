/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record_fuzz.c — libFuzzer target over the record verifier, reader and JSON
 * renderer: whatever bytes come in, verify must not crash, and a buffer it
 * accepts must be readable through every accessor and renderable without a
 * read outside it (built with -fsanitize=fuzzer,address,undefined by
 * scripts/fuzz).
 *
 * The input is copied into an exactly-sized heap block so ASan catches a
 * one-byte overread, and verified both with default and tight limits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "record/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

static uint64_t str_sum(bvapm_rec_str s)
{
	return s.ptr ? s.len + (uint8_t)s.ptr[s.len] : 0;   /* reads the terminator too */
}

static void read_counters(bvapm_rec_counter_vec v)
{
	for (uint32_t i = 0; i < v.len; i++) {
		bvapm_rec_counter_ref c = bvapm_rec_counter_at(v, i);
		sink += str_sum(bvapm_rec_counter_name(c)) + (uint64_t)bvapm_rec_counter_value(c);
	}
}

static void read_checkpoints(bvapm_rec_checkpoint_vec v)
{
	for (uint32_t i = 0; i < v.len; i++) {
		bvapm_rec_checkpoint_ref c = bvapm_rec_checkpoint_at(v, i);
		sink += str_sum(bvapm_rec_checkpoint_label(c)) + bvapm_rec_checkpoint_offset_ns(c) +
			bvapm_rec_checkpoint_mem_bytes(c) + bvapm_rec_checkpoint_peak_bytes(c) +
			(uint64_t)bvapm_rec_checkpoint_mem_delta_bytes(c) + bvapm_rec_checkpoint_largest_jump(c);
	}
}

static void read_functions(bvapm_rec_function_stat_vec v)
{
	for (uint32_t i = 0; i < v.len; i++) {
		bvapm_rec_function_stat_ref f = bvapm_rec_function_stat_at(v, i);
		sink += str_sum(bvapm_rec_function_stat_name(f)) + bvapm_rec_function_stat_calls(f) +
			bvapm_rec_function_stat_inclusive_ns(f) + bvapm_rec_function_stat_exclusive_ns(f) +
			(uint64_t)bvapm_rec_function_stat_mem_delta_bytes(f);
	}
}

/* Every accessor of every kind (the renderer covers them generically; this
 * covers the typed inline accessors the drainer uses). */
static void read_all(const uint8_t *buf)
{
	bvapm_rec_record_ref r = bvapm_rec_root(buf);
	sink += bvapm_rec_record_schema_version(r) + bvapm_rec_record_truncated(r) +
		bvapm_rec_record_sampled(r) + bvapm_rec_record_pid(r) + str_sum(bvapm_rec_record_host(r)) +
		str_sum(bvapm_rec_record_service(r)) + bvapm_rec_record_producer_start_unix_ns(r) +
		bvapm_rec_record_sequence(r) + bvapm_rec_record_wall_unix_ns(r) + bvapm_rec_record_mono_ns(r);
	bvapm_rec_bytes ids[3] = { bvapm_rec_record_trace_id(r), bvapm_rec_record_span_id(r),
		bvapm_rec_record_parent_span_id(r) };
	for (int i = 0; i < 3; i++)
		if (ids[i].len)
			sink += ids[i].ptr[0] + ids[i].ptr[ids[i].len - 1];

	bvapm_rec_request_ref q = bvapm_rec_record_body_request(r);
	sink += str_sum(bvapm_rec_request_method(q)) + str_sum(bvapm_rec_request_uri(q)) +
		str_sum(bvapm_rec_request_route(q)) + str_sum(bvapm_rec_request_sapi(q)) +
		bvapm_rec_request_status(q) + bvapm_rec_request_mode(q) + bvapm_rec_request_keep_reason(q) +
		bvapm_rec_request_detail_reduced(q) + bvapm_rec_request_start_unix_ns(q) +
		bvapm_rec_request_wall_ns(q) + bvapm_rec_request_cpu_user_us(q) + bvapm_rec_request_cpu_sys_us(q) +
		bvapm_rec_request_mem_start_bytes(q) + bvapm_rec_request_mem_end_bytes(q) +
		bvapm_rec_request_mem_peak_bytes(q) + bvapm_rec_request_mem_limit_bytes(q) +
		bvapm_rec_request_agent_ns(q) + bvapm_rec_request_sql_total_count(q) +
		bvapm_rec_request_sql_total_ns(q) + bvapm_rec_request_sql_dropped(q) +
		bvapm_rec_request_functions_dropped(q);
	read_checkpoints(bvapm_rec_request_checkpoints(q));
	bvapm_rec_sql_statement_vec sv = bvapm_rec_request_sql(q);
	for (uint32_t i = 0; i < sv.len; i++) {
		bvapm_rec_sql_statement_ref s = bvapm_rec_sql_statement_at(sv, i);
		sink += str_sum(bvapm_rec_sql_statement_statement(s)) + bvapm_rec_sql_statement_count(s) +
			bvapm_rec_sql_statement_total_ns(s) + bvapm_rec_sql_statement_max_ns(s) +
			bvapm_rec_sql_statement_rows(s) + bvapm_rec_sql_statement_n_plus_one(s);
	}
	read_functions(bvapm_rec_request_functions(q));
	bvapm_rec_error_event_vec ev = bvapm_rec_request_errors(q);
	for (uint32_t i = 0; i < ev.len; i++) {
		bvapm_rec_error_event_ref e = bvapm_rec_error_event_at(ev, i);
		sink += str_sum(bvapm_rec_error_event_type(e)) + str_sum(bvapm_rec_error_event_message(e)) +
			str_sum(bvapm_rec_error_event_file(e)) + bvapm_rec_error_event_line(e) +
			bvapm_rec_error_event_count(e);
	}
	bvapm_rec_tag_vec tv = bvapm_rec_request_tags(q);
	for (uint32_t i = 0; i < tv.len; i++)
		sink += str_sum(bvapm_rec_tag_key(bvapm_rec_tag_at(tv, i))) +
			str_sum(bvapm_rec_tag_value(bvapm_rec_tag_at(tv, i)));
	read_counters(bvapm_rec_request_counters(q));

	bvapm_rec_fatal_ref f = bvapm_rec_record_body_fatal(r);
	sink += str_sum(bvapm_rec_fatal_type(f)) + str_sum(bvapm_rec_fatal_message(f)) +
		str_sum(bvapm_rec_fatal_file(f)) + bvapm_rec_fatal_line(f) + bvapm_rec_fatal_out_of_memory(f) +
		str_sum(bvapm_rec_fatal_method(f)) + str_sum(bvapm_rec_fatal_uri(f)) +
		str_sum(bvapm_rec_fatal_route(f)) + bvapm_rec_fatal_start_unix_ns(f) + bvapm_rec_fatal_wall_ns(f) +
		bvapm_rec_fatal_mem_usage_bytes(f) + bvapm_rec_fatal_mem_peak_bytes(f) +
		bvapm_rec_fatal_mem_limit_bytes(f) + bvapm_rec_fatal_stack_depth(f);
	read_checkpoints(bvapm_rec_fatal_checkpoints(f));
	read_functions(bvapm_rec_fatal_top_allocators(f));
	bvapm_rec_stack_frame_vec fv = bvapm_rec_fatal_stack(f);
	for (uint32_t i = 0; i < fv.len; i++) {
		bvapm_rec_stack_frame_ref s = bvapm_rec_stack_frame_at(fv, i);
		sink += str_sum(bvapm_rec_stack_frame_function(s)) + str_sum(bvapm_rec_stack_frame_file(s)) +
			bvapm_rec_stack_frame_line(s);
	}

	bvapm_rec_aborted_ref a = bvapm_rec_record_body_aborted(r);
	sink += bvapm_rec_aborted_pid(a) + str_sum(bvapm_rec_aborted_method(a)) +
		str_sum(bvapm_rec_aborted_uri(a)) + bvapm_rec_aborted_started_unix_ns(a) +
		bvapm_rec_aborted_running_ns(a) + str_sum(bvapm_rec_aborted_last_checkpoint(a)) +
		bvapm_rec_aborted_last_checkpoint_mem_bytes(a) + str_sum(bvapm_rec_aborted_current_sql(a)) +
		bvapm_rec_aborted_worker_start_unix_ns(a);

	bvapm_rec_stats_ref st = bvapm_rec_record_body_stats(r);
	sink += str_sum(bvapm_rec_stats_source(st)) + bvapm_rec_stats_interval_ns(st);
	read_counters(bvapm_rec_stats_counters(st));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	struct bvapm_rec_verify_opts tight = { .max_depth = 3, .max_objects = 64 };
	(void)bvapm_rec_verify(buf, size, &tight, NULL);

	if (bvapm_rec_verify(buf, size, NULL, NULL) == 0) {
		read_all(buf);
		unsigned flags = size % 2 ? BVAPM_REC_JSON_DEFAULTS | BVAPM_REC_JSON_HEX_IDS : 0;
		char *s = bvapm_rec_to_json_string(buf, size, flags);
		if (!s)
			abort();   /* a verified record must render */
		free(s);
	}
	free(buf);
	return 0;
}
