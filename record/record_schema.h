/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record_schema.h — schemas/bvapm.fbs, restated for C as one X-macro per table.
 *
 * Every other part of the codec is generated from these lists: the inline
 * layout the builder writes (record_layout.h), the reader accessors
 * (record.h), and the descriptors the verifier and the JSON renderer walk
 * (record_read.c). Keeping one list per table means a field added to the
 * schema is added here once, at the end of its table, with the next id.
 *
 * Row format: X(table, id, name, KIND, sub)
 *   table  the C name of the table (lower case)
 *   id     the FlatBuffers field id: declaration order in the .fbs, from 0,
 *          no gaps (a union takes two ids: its _type field, then its value)
 *   name   the field name, exactly as in the .fbs (JSON keys use it)
 *   KIND   BOOL U8 U16 U32 U64 I64  scalars (fbs bool ubyte ushort uint ulong long)
 *          ENUM                     ubyte enum; sub names the enum
 *          STR                      string
 *          BYTES                    [ubyte]
 *          VECT                     vector of tables; sub names the element table
 *          UTYPE, UNION             union type and value; sub names the union
 *   sub    see KIND, `_` when unused
 *
 * Guarantee: tests/record checks C-encoded buffers against flatc's decoding
 * of the .fbs and flatc-encoded buffers against the C reader, so a row that
 * disagrees with the schema fails the unit suite.
 */
#ifndef BVAPM_RECORD_SCHEMA_H
#define BVAPM_RECORD_SCHEMA_H

#define BVAPM_REC_SCHEMA_VERSION 4

#define BVAPM_REC_TABLE_checkpoint(X) \
	X(checkpoint, 0, label, STR, _) \
	X(checkpoint, 1, offset_ns, U64, _) \
	X(checkpoint, 2, mem_bytes, U64, _) \
	X(checkpoint, 3, mem_delta_bytes, I64, _) \
	X(checkpoint, 4, peak_bytes, U64, _) \
	X(checkpoint, 5, largest_jump, BOOL, _)

#define BVAPM_REC_TABLE_sql_statement(X) \
	X(sql_statement, 0, statement, STR, _) \
	X(sql_statement, 1, count, U32, _) \
	X(sql_statement, 2, total_ns, U64, _) \
	X(sql_statement, 3, max_ns, U64, _) \
	X(sql_statement, 4, rows, U64, _) \
	X(sql_statement, 5, n_plus_one, BOOL, _)

#define BVAPM_REC_TABLE_function_stat(X) \
	X(function_stat, 0, name, STR, _) \
	X(function_stat, 1, calls, U64, _) \
	X(function_stat, 2, inclusive_ns, U64, _) \
	X(function_stat, 3, exclusive_ns, U64, _) \
	X(function_stat, 4, mem_delta_bytes, I64, _)

#define BVAPM_REC_TABLE_error_event(X) \
	X(error_event, 0, type, STR, _) \
	X(error_event, 1, message, STR, _) \
	X(error_event, 2, file, STR, _) \
	X(error_event, 3, line, U32, _) \
	X(error_event, 4, count, U32, _) \
	X(error_event, 5, stack, VECT, stack_frame) \
	X(error_event, 6, stack_depth, U32, _)

#define BVAPM_REC_TABLE_call_path(X) \
	X(call_path, 0, path, STR, _) \
	X(call_path, 1, calls, U64, _) \
	X(call_path, 2, inclusive_ns, U64, _) \
	X(call_path, 3, exclusive_ns, U64, _)

#define BVAPM_REC_TABLE_tag(X) \
	X(tag, 0, key, STR, _) \
	X(tag, 1, value, STR, _)

#define BVAPM_REC_TABLE_counter(X) \
	X(counter, 0, name, STR, _) \
	X(counter, 1, value, I64, _)

#define BVAPM_REC_TABLE_stack_frame(X) \
	X(stack_frame, 0, function, STR, _) \
	X(stack_frame, 1, file, STR, _) \
	X(stack_frame, 2, line, U32, _)

#define BVAPM_REC_TABLE_span(X) \
	X(span, 0, kind, ENUM, span_kind) \
	X(span, 1, name, STR, _) \
	X(span, 2, target, STR, _) \
	X(span, 3, start_offset_ns, U64, _) \
	X(span, 4, duration_ns, U64, _) \
	X(span, 5, status, U16, _) \
	X(span, 6, error, STR, _) \
	X(span, 7, bytes, U64, _) \
	X(span, 8, span_id, BYTES, _)

#define BVAPM_REC_TABLE_external_call(X) \
	X(external_call, 0, kind, ENUM, span_kind) \
	X(external_call, 1, target, STR, _) \
	X(external_call, 2, name, STR, _) \
	X(external_call, 3, count, U32, _) \
	X(external_call, 4, total_ns, U64, _) \
	X(external_call, 5, max_ns, U64, _) \
	X(external_call, 6, errors, U32, _) \
	X(external_call, 7, bytes, U64, _) \
	X(external_call, 8, keys, U64, _) \
	X(external_call, 9, repeated, BOOL, _)

#define BVAPM_REC_TABLE_request(X) \
	X(request, 0, method, STR, _) \
	X(request, 1, uri, STR, _) \
	X(request, 2, route, STR, _) \
	X(request, 3, sapi, STR, _) \
	X(request, 4, status, U16, _) \
	X(request, 5, mode, ENUM, mode) \
	X(request, 6, keep_reason, ENUM, keep_reason) \
	X(request, 7, detail_reduced, BOOL, _) \
	X(request, 8, start_unix_ns, U64, _) \
	X(request, 9, wall_ns, U64, _) \
	X(request, 10, cpu_user_us, U64, _) \
	X(request, 11, cpu_sys_us, U64, _) \
	X(request, 12, mem_start_bytes, U64, _) \
	X(request, 13, mem_end_bytes, U64, _) \
	X(request, 14, mem_peak_bytes, U64, _) \
	X(request, 15, mem_limit_bytes, U64, _) \
	X(request, 16, agent_ns, U64, _) \
	X(request, 17, checkpoints, VECT, checkpoint) \
	X(request, 18, sql, VECT, sql_statement) \
	X(request, 19, sql_total_count, U32, _) \
	X(request, 20, sql_total_ns, U64, _) \
	X(request, 21, sql_dropped, U32, _) \
	X(request, 22, functions, VECT, function_stat) \
	X(request, 23, functions_dropped, U32, _) \
	X(request, 24, errors, VECT, error_event) \
	X(request, 25, tags, VECT, tag) \
	X(request, 26, counters, VECT, counter) \
	X(request, 27, call_paths, VECT, call_path) \
	X(request, 28, call_paths_dropped, U32, _) \
	X(request, 29, kind, ENUM, request_kind) \
	X(request, 30, spans, VECT, span) \
	X(request, 31, spans_dropped, U32, _) \
	X(request, 32, span_total_count, U32, _) \
	X(request, 33, external, VECT, external_call) \
	X(request, 34, external_dropped, U32, _)

#define BVAPM_REC_TABLE_fatal(X) \
	X(fatal, 0, type, STR, _) \
	X(fatal, 1, message, STR, _) \
	X(fatal, 2, file, STR, _) \
	X(fatal, 3, line, U32, _) \
	X(fatal, 4, out_of_memory, BOOL, _) \
	X(fatal, 5, method, STR, _) \
	X(fatal, 6, uri, STR, _) \
	X(fatal, 7, route, STR, _) \
	X(fatal, 8, start_unix_ns, U64, _) \
	X(fatal, 9, wall_ns, U64, _) \
	X(fatal, 10, mem_usage_bytes, U64, _) \
	X(fatal, 11, mem_peak_bytes, U64, _) \
	X(fatal, 12, mem_limit_bytes, U64, _) \
	X(fatal, 13, checkpoints, VECT, checkpoint) \
	X(fatal, 14, top_allocators, VECT, function_stat) \
	X(fatal, 15, stack, VECT, stack_frame) \
	X(fatal, 16, stack_depth, U32, _)

#define BVAPM_REC_TABLE_aborted(X) \
	X(aborted, 0, pid, U32, _) \
	X(aborted, 1, method, STR, _) \
	X(aborted, 2, uri, STR, _) \
	X(aborted, 3, started_unix_ns, U64, _) \
	X(aborted, 4, running_ns, U64, _) \
	X(aborted, 5, last_checkpoint, STR, _) \
	X(aborted, 6, last_checkpoint_mem_bytes, U64, _) \
	X(aborted, 7, current_sql, STR, _) \
	X(aborted, 8, worker_start_unix_ns, U64, _)

#define BVAPM_REC_TABLE_stats(X) \
	X(stats, 0, source, STR, _) \
	X(stats, 1, interval_ns, U64, _) \
	X(stats, 2, counters, VECT, counter)

#define BVAPM_REC_TABLE_record(X) \
	X(record, 0, schema_version, U16, _) \
	X(record, 1, truncated, BOOL, _) \
	X(record, 2, sampled, BOOL, _) \
	X(record, 3, pid, U32, _) \
	X(record, 4, host, STR, _) \
	X(record, 5, service, STR, _) \
	X(record, 6, producer_start_unix_ns, U64, _) \
	X(record, 7, sequence, U64, _) \
	X(record, 8, wall_unix_ns, U64, _) \
	X(record, 9, mono_ns, U64, _) \
	X(record, 10, trace_id, BYTES, _) \
	X(record, 11, span_id, BYTES, _) \
	X(record, 12, parent_span_id, BYTES, _) \
	X(record, 13, body_type, UTYPE, body) \
	X(record, 14, body, UNION, body)

/* Every table, in a fixed order (the builder's vtable cache uses it). */
#define BVAPM_REC_TABLES(T) \
	T(record) T(request) T(fatal) T(aborted) T(stats) \
	T(checkpoint) T(sql_statement) T(function_stat) T(error_event) \
	T(tag) T(counter) T(stack_frame) T(call_path) T(span) T(external_call)

/* Enums: X(enum, value, Name) with the names exactly as in the .fbs. */
#define BVAPM_REC_ENUM_mode(X) \
	X(mode, 0, Unknown) X(mode, 1, Light) X(mode, 2, Aggressive) X(mode, 3, Targeted)
#define BVAPM_REC_ENUM_keep_reason(X) \
	X(keep_reason, 0, Unknown) X(keep_reason, 1, Sampled) X(keep_reason, 2, Slow) \
	X(keep_reason, 3, Error) X(keep_reason, 4, Forced)
#define BVAPM_REC_ENUM_request_kind(X) \
	X(request_kind, 0, Request) X(request_kind, 1, Job)
#define BVAPM_REC_ENUM_span_kind(X) \
	X(span_kind, 0, Unknown) X(span_kind, 1, Sql) X(span_kind, 2, Http) X(span_kind, 3, Cache)
/* The union Body: X(body, kind number, TypeName, table) */
#define BVAPM_REC_UNION_body(X) \
	X(body, 1, RequestProfile, request) X(body, 2, FatalError, fatal) \
	X(body, 3, AbortedRequest, aborted) X(body, 4, Statistics, stats)

#endif
