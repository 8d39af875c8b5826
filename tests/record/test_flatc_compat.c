/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_flatc_compat.c — proves the C codec and flatc agree on schemas/bvapm.fbs.
 *
 * For every record kind:
 *   c_to_flatc    the C builder encodes the fixture; `flatc --json --strict-json
 *                 --raw-binary` decodes it; the JSON equals golden/<kind>.json
 *                 field by field.
 *   c_render      bvapm_rec_to_json() of the same buffer equals the golden file.
 *   flatc_to_c    `flatc -b` encodes golden/<kind>.json; the C verifier accepts
 *                 it and every accessor returns the fixture's value; rendering
 *                 it (with defaults) gives the golden file back.
 *   newer schema  records flatc writes with a schema evolved by the rules of
 *                 schemas/EVOLUTION.md (appended field, new kind) are read.
 *   version 1     records the version-1 builder wrote (golden/<kind>.v1.bvr)
 *                 still verify and read back equal to the fixtures; so do
 *                 request.v2.bvr, request.v3.bvr, job.v3.bvr and
 *                 request.v4.bvr (records from before v4 read with no
 *                 spans and no external calls).
 * The job fixture (a RequestProfile of kind Job, golden/job.json) goes both
 * ways like the kinds.
 *
 * Usage (meson passes these): test_flatc_compat FLATC SCHEMA GOLDEN_DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "testing/fixtures.h"
#include "json_compare.h"
#include "record/record.h"

extern char **environ;

static const char *flatc, *schema, *golden_dir;
static char tmpdir[] = "/tmp/bvapm-record-compat-XXXXXX";

/* ---- helpers ------------------------------------------------------------------ */

static void run_flatc(const char *const *argv)
{
	pid_t pid;
	int rc = posix_spawn(&pid, flatc, NULL, NULL, (char *const *)argv, environ);
	assert_int_equal(rc, 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "# flatc failed:");
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "\n");
		fail();
	}
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Reads a whole file into an 8-byte aligned malloc()ed buffer. */
static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	uint8_t *p = aligned_alloc(8, ((size_t)n + 7) & ~(size_t)7);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

static struct json_object *golden_named(const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s.json", golden_dir, name);
	struct json_object *j = json_object_from_file(path);
	if (!j)
		fprintf(stderr, "# cannot parse %s: %s\n", path, json_util_get_last_err());
	assert_non_null(j);
	return j;
}

static struct json_object *golden(enum fixture_kind k)
{
	return golden_named(fixture_names[k]);
}

static void assert_json_equal(struct json_object *got, struct json_object *want, const char *what)
{
	char why[1024];
	if (!json_values_equal(got, want, why, sizeof why)) {
		fprintf(stderr, "# %s differs from the golden file: %s\n", what, why);
		fail();
	}
}

/* ---- C encodes, flatc decodes ------------------------------------------------------ */

/* buf[0..n): the C builder's encoding of the fixture golden/<name>.json holds. */
static void c_to_flatc_named(const char *name, const uint8_t *buf, ssize_t n)
{
	assert_true(n > 0);
	assert_int_equal(bvapm_rec_verify(buf, (size_t)n, NULL, NULL), 0);

	char bin[4096], json[4096];
	snprintf(bin, sizeof bin, "%s/c_%s.bvr", tmpdir, name);
	snprintf(json, sizeof json, "%s/c_%s.json", tmpdir, name);
	write_file(bin, buf, (size_t)n);
	const char *argv[] = { flatc, "--json", "--strict-json", "--raw-binary", "-o", tmpdir,
		schema, "--", bin, NULL };
	run_flatc(argv);

	struct json_object *got = json_object_from_file(json), *want = golden_named(name);
	assert_non_null(got);
	assert_json_equal(got, want, "flatc's decoding of the C-encoded record");
	json_object_put(got);

	struct json_object *mine = bvapm_rec_to_json(buf, (size_t)n, 0);
	assert_non_null(mine);
	assert_json_equal(mine, want, "bvapm_rec_to_json() of the C-encoded record");
	json_object_put(mine);
	json_object_put(want);
}

static void c_to_flatc(enum fixture_kind k)
{
	static _Alignas(8) uint8_t buf[1 << 16];
	c_to_flatc_named(fixture_names[k], buf, fixture_encode(k, buf, sizeof buf));
}

static void test_c_request_decoded_by_flatc(void **s) { (void)s; c_to_flatc(FX_REQUEST); }
static void test_c_fatal_decoded_by_flatc(void **s) { (void)s; c_to_flatc(FX_FATAL); }
static void test_c_aborted_decoded_by_flatc(void **s) { (void)s; c_to_flatc(FX_ABORTED); }
static void test_c_stats_decoded_by_flatc(void **s) { (void)s; c_to_flatc(FX_STATS); }

static void test_c_job_decoded_by_flatc(void **s)
{
	(void)s;
	static _Alignas(8) uint8_t buf[1 << 16];
	c_to_flatc_named("job", buf, fixture_encode_job(buf, sizeof buf));
}

/* ---- flatc encodes, C reads ---------------------------------------------------------- */

static void assert_str(bvapm_rec_str got, bvapm_rec_str want)
{
	if (!want.ptr) {
		assert_null(got.ptr);
		return;
	}
	assert_non_null(got.ptr);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.ptr, want.ptr, want.len);
	assert_int_equal(got.ptr[got.len], 0);
}

static void assert_bytes(bvapm_rec_bytes got, const uint8_t *want, uint32_t n)
{
	if (!want) {
		assert_null(got.ptr);
		return;
	}
	assert_int_equal(got.len, n);
	assert_memory_equal(got.ptr, want, n);
}

static void check_envelope(bvapm_rec_record_ref r, const struct bvapm_rec_envelope *e, unsigned kind)
{
	assert_int_equal(bvapm_rec_record_schema_version(r), BVAPM_REC_SCHEMA_VERSION);
	assert_false(bvapm_rec_record_truncated(r));
	assert_int_equal(bvapm_rec_record_sampled(r), e->sampled);
	assert_int_equal(bvapm_rec_record_pid(r), e->pid);
	assert_str(bvapm_rec_record_host(r), e->host);
	assert_str(bvapm_rec_record_service(r), e->service);
	assert_true(bvapm_rec_record_producer_start_unix_ns(r) == e->producer_start_unix_ns);
	assert_true(bvapm_rec_record_sequence(r) == e->sequence);
	assert_true(bvapm_rec_record_wall_unix_ns(r) == e->wall_unix_ns);
	assert_true(bvapm_rec_record_mono_ns(r) == e->mono_ns);
	assert_bytes(bvapm_rec_record_trace_id(r), e->has_trace ? e->trace_id : NULL, 16);
	assert_bytes(bvapm_rec_record_span_id(r), e->has_trace ? e->span_id : NULL, 8);
	assert_bytes(bvapm_rec_record_parent_span_id(r), e->has_parent ? e->parent_span_id : NULL, 8);
	assert_int_equal(bvapm_rec_record_body_type(r), kind);
}

static void check_checkpoints(bvapm_rec_checkpoint_vec v, const struct bvapm_rec_checkpoint *c,
	uint32_t n)
{
	assert_int_equal(v.len, n);
	uint32_t jump = UINT32_MAX;
	int64_t best = 0;
	for (uint32_t i = 0; i < n; i++)
		if (c[i].mem_delta_bytes > best)
			best = c[i].mem_delta_bytes, jump = i;
	for (uint32_t i = 0; i < n; i++) {
		bvapm_rec_checkpoint_ref t = bvapm_rec_checkpoint_at(v, i);
		assert_str(bvapm_rec_checkpoint_label(t), c[i].label);
		assert_true(bvapm_rec_checkpoint_offset_ns(t) == c[i].offset_ns);
		assert_true(bvapm_rec_checkpoint_mem_bytes(t) == c[i].mem_bytes);
		assert_true(bvapm_rec_checkpoint_mem_delta_bytes(t) == c[i].mem_delta_bytes);
		assert_true(bvapm_rec_checkpoint_peak_bytes(t) == c[i].peak_bytes);
		assert_int_equal(bvapm_rec_checkpoint_largest_jump(t), i == jump);
	}
}

static void check_functions(bvapm_rec_function_stat_vec v, const struct bvapm_rec_function *f,
	uint32_t n)
{
	assert_int_equal(v.len, n);
	for (uint32_t i = 0; i < n; i++) {
		bvapm_rec_function_stat_ref t = bvapm_rec_function_stat_at(v, i);
		assert_str(bvapm_rec_function_stat_name(t), f[i].name);
		assert_true(bvapm_rec_function_stat_calls(t) == f[i].calls);
		assert_true(bvapm_rec_function_stat_inclusive_ns(t) == f[i].inclusive_ns);
		assert_true(bvapm_rec_function_stat_exclusive_ns(t) == f[i].exclusive_ns);
		assert_true(bvapm_rec_function_stat_mem_delta_bytes(t) == f[i].mem_delta_bytes);
	}
}

static void check_counters(bvapm_rec_counter_vec v, const struct bvapm_rec_counter *c, uint32_t n)
{
	assert_int_equal(v.len, n);
	for (uint32_t i = 0; i < n; i++) {
		bvapm_rec_counter_ref t = bvapm_rec_counter_at(v, i);
		assert_str(bvapm_rec_counter_name(t), c[i].name);
		assert_true(bvapm_rec_counter_value(t) == c[i].value);
	}
}

static void check_spans(bvapm_rec_span_vec v, const struct bvapm_rec_span *s, uint32_t n)
{
	assert_int_equal(v.len, n);
	for (uint32_t i = 0; i < n; i++) {
		bvapm_rec_span_ref t = bvapm_rec_span_at(v, i);
		assert_int_equal(bvapm_rec_span_kind(t), s[i].kind);
		assert_str(bvapm_rec_span_name(t), s[i].name);
		assert_str(bvapm_rec_span_target(t), s[i].target);
		assert_true(bvapm_rec_span_start_offset_ns(t) == s[i].start_offset_ns);
		assert_true(bvapm_rec_span_duration_ns(t) == s[i].duration_ns);
		assert_int_equal(bvapm_rec_span_status(t), s[i].status);
		assert_str(bvapm_rec_span_error(t), s[i].error);
		assert_true(bvapm_rec_span_bytes(t) == s[i].bytes);
		assert_bytes(bvapm_rec_span_span_id(t), s[i].has_span_id ? s[i].span_id : NULL, 8);
	}
}

static void check_external(bvapm_rec_external_call_vec v, const struct bvapm_rec_external *x,
	uint32_t n)
{
	assert_int_equal(v.len, n);
	for (uint32_t i = 0; i < n; i++) {
		bvapm_rec_external_call_ref t = bvapm_rec_external_call_at(v, i);
		assert_int_equal(bvapm_rec_external_call_kind(t), x[i].kind);
		assert_str(bvapm_rec_external_call_target(t), x[i].target);
		assert_str(bvapm_rec_external_call_name(t), x[i].name);
		assert_int_equal(bvapm_rec_external_call_count(t), x[i].count);
		assert_true(bvapm_rec_external_call_total_ns(t) == x[i].total_ns);
		assert_true(bvapm_rec_external_call_max_ns(t) == x[i].max_ns);
		assert_int_equal(bvapm_rec_external_call_errors(t), x[i].errors);
		assert_true(bvapm_rec_external_call_bytes(t) == x[i].bytes);
		assert_true(bvapm_rec_external_call_keys(t) == x[i].keys);
		assert_int_equal(bvapm_rec_external_call_repeated(t), x[i].repeated);
	}
}

/* The request fixture as a producer before version 4 wrote it: no timed calls. */
static struct bvapm_rec_request before_v4(const struct bvapm_rec_request *q)
{
	struct bvapm_rec_request old = *q;
	old.spans = NULL;
	old.span_count = old.span_total_count = 0;
	old.external = NULL;
	old.external_count = 0;
	return old;
}

static void check_request(bvapm_rec_request_ref t, const struct bvapm_rec_request *q)
{
	assert_str(bvapm_rec_request_method(t), q->method);
	assert_str(bvapm_rec_request_uri(t), q->uri);
	assert_str(bvapm_rec_request_route(t), q->route);
	assert_str(bvapm_rec_request_sapi(t), q->sapi);
	assert_int_equal(bvapm_rec_request_status(t), q->status);
	assert_int_equal(bvapm_rec_request_mode(t), q->mode);
	assert_int_equal(bvapm_rec_request_keep_reason(t), q->keep_reason);
	assert_int_equal(bvapm_rec_request_detail_reduced(t), q->detail_reduced);
	assert_true(bvapm_rec_request_start_unix_ns(t) == q->start_unix_ns);
	assert_true(bvapm_rec_request_wall_ns(t) == q->wall_ns);
	assert_true(bvapm_rec_request_cpu_user_us(t) == q->cpu_user_us);
	assert_true(bvapm_rec_request_cpu_sys_us(t) == q->cpu_sys_us);
	assert_true(bvapm_rec_request_mem_start_bytes(t) == q->mem_start_bytes);
	assert_true(bvapm_rec_request_mem_end_bytes(t) == q->mem_end_bytes);
	assert_true(bvapm_rec_request_mem_peak_bytes(t) == q->mem_peak_bytes);
	assert_true(bvapm_rec_request_mem_limit_bytes(t) == q->mem_limit_bytes);
	assert_true(bvapm_rec_request_agent_ns(t) == q->agent_ns);
	assert_int_equal(bvapm_rec_request_kind(t), q->kind);
	check_checkpoints(bvapm_rec_request_checkpoints(t), q->checkpoints, q->checkpoint_count);

	bvapm_rec_sql_statement_vec sv = bvapm_rec_request_sql(t);
	assert_int_equal(sv.len, q->sql_count);
	for (uint32_t i = 0; i < sv.len; i++) {
		bvapm_rec_sql_statement_ref s = bvapm_rec_sql_statement_at(sv, i);
		assert_str(bvapm_rec_sql_statement_statement(s), q->sql[i].statement);
		assert_int_equal(bvapm_rec_sql_statement_count(s), q->sql[i].count);
		assert_true(bvapm_rec_sql_statement_total_ns(s) == q->sql[i].total_ns);
		assert_true(bvapm_rec_sql_statement_max_ns(s) == q->sql[i].max_ns);
		assert_true(bvapm_rec_sql_statement_rows(s) == q->sql[i].rows);
		assert_int_equal(bvapm_rec_sql_statement_n_plus_one(s), q->sql[i].n_plus_one);
	}
	assert_int_equal(bvapm_rec_request_sql_total_count(t), q->sql_total_count);
	assert_true(bvapm_rec_request_sql_total_ns(t) == q->sql_total_ns);
	assert_int_equal(bvapm_rec_request_sql_dropped(t), 0);
	check_functions(bvapm_rec_request_functions(t), q->functions, q->function_count);
	assert_int_equal(bvapm_rec_request_functions_dropped(t), 0);

	bvapm_rec_error_event_vec ev = bvapm_rec_request_errors(t);
	assert_int_equal(ev.len, q->error_count);
	for (uint32_t i = 0; i < ev.len; i++) {
		bvapm_rec_error_event_ref e = bvapm_rec_error_event_at(ev, i);
		assert_str(bvapm_rec_error_event_type(e), q->errors[i].type);
		assert_str(bvapm_rec_error_event_message(e), q->errors[i].message);
		assert_str(bvapm_rec_error_event_file(e), q->errors[i].file);
		assert_int_equal(bvapm_rec_error_event_line(e), q->errors[i].line);
		assert_int_equal(bvapm_rec_error_event_count(e), q->errors[i].count);
		bvapm_rec_stack_frame_vec fv = bvapm_rec_error_event_stack(e);
		assert_int_equal(fv.len, q->errors[i].frame_count);
		for (uint32_t k = 0; k < fv.len; k++) {
			bvapm_rec_stack_frame_ref f = bvapm_rec_stack_frame_at(fv, k);
			assert_str(bvapm_rec_stack_frame_function(f), q->errors[i].stack[k].function);
			assert_str(bvapm_rec_stack_frame_file(f), q->errors[i].stack[k].file);
			assert_int_equal(bvapm_rec_stack_frame_line(f), q->errors[i].stack[k].line);
		}
		assert_int_equal(bvapm_rec_error_event_stack_depth(e), q->errors[i].stack_depth);
	}
	bvapm_rec_call_path_vec pv = bvapm_rec_request_call_paths(t);
	assert_int_equal(pv.len, q->call_path_count);
	for (uint32_t i = 0; i < pv.len; i++) {
		bvapm_rec_call_path_ref p = bvapm_rec_call_path_at(pv, i);
		assert_str(bvapm_rec_call_path_path(p), q->call_paths[i].path);
		assert_true(bvapm_rec_call_path_calls(p) == q->call_paths[i].calls);
		assert_true(bvapm_rec_call_path_inclusive_ns(p) == q->call_paths[i].inclusive_ns);
		assert_true(bvapm_rec_call_path_exclusive_ns(p) == q->call_paths[i].exclusive_ns);
	}
	assert_int_equal(bvapm_rec_request_call_paths_dropped(t), 0);
	bvapm_rec_tag_vec tv = bvapm_rec_request_tags(t);
	assert_int_equal(tv.len, q->tag_count);
	for (uint32_t i = 0; i < tv.len; i++) {
		assert_str(bvapm_rec_tag_key(bvapm_rec_tag_at(tv, i)), q->tags[i].key);
		assert_str(bvapm_rec_tag_value(bvapm_rec_tag_at(tv, i)), q->tags[i].value);
	}
	check_counters(bvapm_rec_request_counters(t), q->counters, q->counter_count);
	check_spans(bvapm_rec_request_spans(t), q->spans, q->span_count);
	assert_int_equal(bvapm_rec_request_spans_dropped(t), 0);
	assert_int_equal(bvapm_rec_request_span_total_count(t), q->span_total_count);
	check_external(bvapm_rec_request_external(t), q->external, q->external_count);
	assert_int_equal(bvapm_rec_request_external_dropped(t), 0);
}

static void check_fatal(bvapm_rec_fatal_ref t, const struct bvapm_rec_fatal *f)
{
	assert_str(bvapm_rec_fatal_type(t), f->type);
	assert_str(bvapm_rec_fatal_message(t), f->message);
	assert_str(bvapm_rec_fatal_file(t), f->file);
	assert_int_equal(bvapm_rec_fatal_line(t), f->line);
	assert_int_equal(bvapm_rec_fatal_out_of_memory(t), f->out_of_memory);
	assert_str(bvapm_rec_fatal_method(t), f->method);
	assert_str(bvapm_rec_fatal_uri(t), f->uri);
	assert_str(bvapm_rec_fatal_route(t), f->route);
	assert_true(bvapm_rec_fatal_start_unix_ns(t) == f->start_unix_ns);
	assert_true(bvapm_rec_fatal_wall_ns(t) == f->wall_ns);
	assert_true(bvapm_rec_fatal_mem_usage_bytes(t) == f->mem_usage_bytes);
	assert_true(bvapm_rec_fatal_mem_peak_bytes(t) == f->mem_peak_bytes);
	assert_true(bvapm_rec_fatal_mem_limit_bytes(t) == f->mem_limit_bytes);
	check_checkpoints(bvapm_rec_fatal_checkpoints(t), f->checkpoints, f->checkpoint_count);
	check_functions(bvapm_rec_fatal_top_allocators(t), f->top_allocators, f->top_allocator_count);
	bvapm_rec_stack_frame_vec sv = bvapm_rec_fatal_stack(t);
	assert_int_equal(sv.len, f->frame_count);
	for (uint32_t i = 0; i < sv.len; i++) {
		bvapm_rec_stack_frame_ref s = bvapm_rec_stack_frame_at(sv, i);
		assert_str(bvapm_rec_stack_frame_function(s), f->stack[i].function);
		assert_str(bvapm_rec_stack_frame_file(s), f->stack[i].file);
		assert_int_equal(bvapm_rec_stack_frame_line(s), f->stack[i].line);
	}
	assert_int_equal(bvapm_rec_fatal_stack_depth(t), f->stack_depth);
}

static void check_aborted(bvapm_rec_aborted_ref t, const struct bvapm_rec_aborted *a)
{
	assert_int_equal(bvapm_rec_aborted_pid(t), a->pid);
	assert_str(bvapm_rec_aborted_method(t), a->method);
	assert_str(bvapm_rec_aborted_uri(t), a->uri);
	assert_true(bvapm_rec_aborted_started_unix_ns(t) == a->started_unix_ns);
	assert_true(bvapm_rec_aborted_running_ns(t) == a->running_ns);
	assert_str(bvapm_rec_aborted_last_checkpoint(t), a->last_checkpoint);
	assert_true(bvapm_rec_aborted_last_checkpoint_mem_bytes(t) == a->last_checkpoint_mem_bytes);
	assert_str(bvapm_rec_aborted_current_sql(t), a->current_sql);
	assert_true(bvapm_rec_aborted_worker_start_unix_ns(t) == a->worker_start_unix_ns);
}

static void check_stats(bvapm_rec_stats_ref t, const struct bvapm_rec_stats *s)
{
	assert_str(bvapm_rec_stats_source(t), s->source);
	assert_true(bvapm_rec_stats_interval_ns(t) == s->interval_ns);
	check_counters(bvapm_rec_stats_counters(t), s->counters, s->counter_count);
}

/* `flatc -b` of golden/<name>.json, verified by the C verifier (malloc()ed). */
static uint8_t *flatc_encode_golden(const char *name, size_t *len)
{
	char json[4096], bin[4096];
	snprintf(json, sizeof json, "%s/%s.json", golden_dir, name);
	snprintf(bin, sizeof bin, "%s/%s.bvr", tmpdir, name);
	const char *argv[] = { flatc, "-b", "-o", tmpdir, schema, json, NULL };
	run_flatc(argv);

	uint8_t *buf = read_file(bin, len);
	struct bvapm_rec_verify_error err = { 0 };
	int rc = bvapm_rec_verify(buf, *len, NULL, &err);
	if (rc)
		fprintf(stderr, "# verify: %d %s at %u\n", rc, err.what, err.offset);
	assert_int_equal(rc, 0);
	return buf;
}

/* flatc leaves default-valued scalars out; rendering them back gives the golden file. */
static void assert_renders_golden(const uint8_t *buf, size_t len, const char *name)
{
	struct json_object *mine = bvapm_rec_to_json(buf, len, BVAPM_REC_JSON_DEFAULTS);
	struct json_object *want = golden_named(name);
	assert_non_null(mine);
	assert_json_equal(mine, want, "bvapm_rec_to_json() of the flatc-encoded record");
	json_object_put(mine);
	json_object_put(want);
}

static void flatc_to_c(enum fixture_kind k)
{
	size_t len;
	uint8_t *buf = flatc_encode_golden(fixture_names[k], &len);
	bvapm_rec_record_ref r = bvapm_rec_root(buf);
	switch (k) {
	case FX_REQUEST:
		check_envelope(r, &fixture_envelope, BVAPM_REC_KIND_REQUEST);
		check_request(bvapm_rec_record_body_request(r), &fixture_request);
		assert_int_equal(bvapm_rec_record_body_fatal(r).pos, 0);
		break;
	case FX_FATAL:
		check_envelope(r, &fixture_envelope, BVAPM_REC_KIND_FATAL);
		check_fatal(bvapm_rec_record_body_fatal(r), &fixture_fatal);
		assert_int_equal(bvapm_rec_record_body_request(r).pos, 0);
		break;
	case FX_ABORTED:
		check_envelope(r, &fixture_envelope, BVAPM_REC_KIND_ABORTED);
		check_aborted(bvapm_rec_record_body_aborted(r), &fixture_aborted);
		break;
	case FX_STATS:
		check_envelope(r, &fixture_envelope_bare, BVAPM_REC_KIND_STATS);
		check_stats(bvapm_rec_record_body_stats(r), &fixture_stats);
		break;
	default:
		fail();
	}
	assert_renders_golden(buf, len, fixture_names[k]);
	free(buf);
}

static void test_flatc_request_read_by_c(void **s) { (void)s; flatc_to_c(FX_REQUEST); }
static void test_flatc_fatal_read_by_c(void **s) { (void)s; flatc_to_c(FX_FATAL); }
static void test_flatc_aborted_read_by_c(void **s) { (void)s; flatc_to_c(FX_ABORTED); }
static void test_flatc_stats_read_by_c(void **s) { (void)s; flatc_to_c(FX_STATS); }

static void test_flatc_job_read_by_c(void **s)
{
	(void)s;
	size_t len;
	uint8_t *buf = flatc_encode_golden("job", &len);
	bvapm_rec_record_ref r = bvapm_rec_root(buf);
	check_envelope(r, &fixture_envelope_job, BVAPM_REC_KIND_REQUEST);
	check_request(bvapm_rec_record_body_request(r), &fixture_job);
	assert_int_equal(bvapm_rec_request_kind(bvapm_rec_record_body_request(r)),
		BVAPM_REC_REQUEST_KIND_JOB);
	assert_renders_golden(buf, len, "job");
	free(buf);
}

/* The typical request (50 SQL, 50 functions) round-trips through flatc too:
 * flatc's JSON of the C buffer, re-encoded by flatc, reads back equal. */
static void test_typical_request_round_trips_through_flatc(void **s)
{
	(void)s;
	static _Alignas(8) uint8_t buf[1 << 16];
	const struct bvapm_rec_request *q = fixture_typical_request();
	ssize_t n = bvapm_rec_encode_request(buf, sizeof buf, &fixture_envelope, q);
	assert_true(n > 0);
	char bin[4096], json[4096];
	snprintf(bin, sizeof bin, "%s/typical.bvr", tmpdir);
	snprintf(json, sizeof json, "%s/typical.json", tmpdir);
	write_file(bin, buf, (size_t)n);
	const char *dec[] = { flatc, "--json", "--strict-json", "--raw-binary", "-o", tmpdir,
		schema, "--", bin, NULL };
	run_flatc(dec);
	struct json_object *theirs = json_object_from_file(json);
	struct json_object *mine = bvapm_rec_to_json(buf, (size_t)n, 0);
	assert_non_null(theirs);
	assert_non_null(mine);
	assert_json_equal(mine, theirs, "bvapm_rec_to_json() vs flatc --json (typical request)");
	json_object_put(theirs);
	json_object_put(mine);

	assert_int_equal(unlink(bin), 0);
	const char *enc[] = { flatc, "-b", "-o", tmpdir, schema, json, NULL };
	run_flatc(enc);
	size_t len;
	uint8_t *back = read_file(bin, &len);
	assert_int_equal(bvapm_rec_verify(back, len, NULL, NULL), 0);
	bvapm_rec_record_ref r = bvapm_rec_root(back);
	check_envelope(r, &fixture_envelope, BVAPM_REC_KIND_REQUEST);
	check_request(bvapm_rec_record_body_request(r), q);
	free(back);
}

/* ---- records written by schema version 1 ------------------------------------------------ */

/* golden/<kind>.v1.bvr hold the bytes the version-1 builder wrote for the
 * fixtures. Whatever the schema becomes (schemas/EVOLUTION.md), they must
 * still verify and read back equal to the fixtures. */
static void test_version_1_records_still_read(void **s)
{
	(void)s;
	for (int k = 0; k < FX_COUNT; k++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s.v1.bvr", golden_dir, fixture_names[k]);
		size_t len;
		uint8_t *buf = read_file(path, &len);
		assert_int_equal(bvapm_rec_verify(buf, len, NULL, NULL), 0);
		bvapm_rec_record_ref r = bvapm_rec_root(buf);
		assert_int_equal(bvapm_rec_record_schema_version(r), 1);
		/* version 1 had no call paths and no error stacks: the fixture as
		 * it was then */
		struct bvapm_rec_request v1_request = before_v4(&fixture_request);
		struct bvapm_rec_error v1_error = fixture_request.errors[0];
		v1_request.call_paths = NULL;
		v1_request.call_path_count = 0;
		v1_error.stack = NULL;
		v1_error.frame_count = v1_error.stack_depth = 0;
		v1_request.errors = &v1_error;
		switch (k) {
		case FX_REQUEST:
			check_request(bvapm_rec_record_body_request(r), &v1_request);
			break;
		case FX_FATAL:
			check_fatal(bvapm_rec_record_body_fatal(r), &fixture_fatal);
			break;
		case FX_ABORTED:
			check_aborted(bvapm_rec_record_body_aborted(r), &fixture_aborted);
			break;
		case FX_STATS:
			check_stats(bvapm_rec_record_body_stats(r), &fixture_stats);
			break;
		}
		free(buf);
	}
}

/* golden/<name>.bvr, verified, with the schema version it was written with. */
static uint8_t *read_golden_bytes(const char *name, unsigned version)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s.bvr", golden_dir, name);
	size_t len;
	uint8_t *buf = read_file(path, &len);
	assert_int_equal(bvapm_rec_verify(buf, len, NULL, NULL), 0);
	assert_int_equal(bvapm_rec_record_schema_version(bvapm_rec_root(buf)), version);
	return buf;
}

/* golden/request.v2.bvr: the version-2 builder's bytes (call paths, error
 * stacks); they too must read back whatever the schema becomes. A record
 * from before version 3 has no kind: it reads as a Request. */
static void test_version_2_records_still_read(void **s)
{
	(void)s;
	uint8_t *buf = read_golden_bytes("request.v2", 2);
	bvapm_rec_record_ref r = bvapm_rec_root(buf);
	struct bvapm_rec_request v2_request = before_v4(&fixture_request);
	check_request(bvapm_rec_record_body_request(r), &v2_request);
	assert_int_equal(bvapm_rec_request_kind(bvapm_rec_record_body_request(r)),
		BVAPM_REC_REQUEST_KIND_REQUEST);
	free(buf);
}

/* golden/request.v3.bvr and job.v3.bvr: the version-3 builder's bytes (the
 * request's kind written as Request, the job's as Job). */
static void test_version_3_records_still_read(void **s)
{
	(void)s;
	uint8_t *buf = read_golden_bytes("request.v3", 3);
	bvapm_rec_record_ref r = bvapm_rec_root(buf);
	struct bvapm_rec_request v3_request = before_v4(&fixture_request);
	check_request(bvapm_rec_record_body_request(r), &v3_request);
	free(buf);

	buf = read_golden_bytes("job.v3", 3);
	r = bvapm_rec_root(buf);
	assert_true(bvapm_rec_record_pid(r) == fixture_envelope_job.pid);
	check_request(bvapm_rec_record_body_request(r), &fixture_job);
	assert_int_equal(bvapm_rec_request_kind(bvapm_rec_record_body_request(r)),
		BVAPM_REC_REQUEST_KIND_JOB);
	free(buf);
}

/* golden/request.v4.bvr: the version-4 builder's bytes (spans of every kind,
 * one without a span id, external calls, span_total_count). */
static void test_version_4_records_still_read(void **s)
{
	(void)s;
	uint8_t *buf = read_golden_bytes("request.v4", 4);
	bvapm_rec_record_ref r = bvapm_rec_root(buf);
	check_request(bvapm_rec_record_body_request(r), &fixture_request);
	assert_int_equal(bvapm_rec_request_spans(bvapm_rec_record_body_request(r)).len, 4);
	free(buf);
}

/* ---- a newer producer ---------------------------------------------------------------- */

static char *read_text(const char *path)
{
	size_t len;
	uint8_t *p = read_file(path, &len);
	char *t = malloc(len + 1);
	assert_non_null(t);
	memcpy(t, p, len);
	t[len] = 0;
	free(p);
	return t;
}

/* Replaces the first `from` after `after` in s by `to` (new malloc()ed string). */
static char *replace_after(char *s, const char *after, const char *from, const char *to)
{
	char *a = strstr(s, after);
	assert_non_null(a);
	char *f = strstr(a, from);
	assert_non_null(f);
	size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(f - s), s, to, f + strlen(from));
	free(s);
	return out;
}

/* Evolution, as schemas/EVOLUTION.md allows it: a field appended to
 * RequestProfile and a new kind appended to the union. Records written with
 * that newer schema by flatc must verify, read and render with this code. */
static void test_newer_schema_records_are_read(void **s)
{
	(void)s;
	char *fbs = read_text(schema);
	fbs = replace_after(fbs, "table RequestProfile {", "\n}\n",
		"\n  future_ns: ulong;\n  future_note: string;\n}\n");
	fbs = replace_after(fbs, "union Body {", "\n}\n", "\n  FutureKind,\n}\n");
	fbs = replace_after(fbs, "union Body {", "union Body {",
		"table FutureKind { x: ulong; note: string; }\n\nunion Body {");
	char newer[4096];
	snprintf(newer, sizeof newer, "%s/newer.fbs", tmpdir);
	write_file(newer, fbs, strlen(fbs));
	free(fbs);

	/* The golden request plus the new fields. */
	struct json_object *j = golden(FX_REQUEST), *body;
	assert_true(json_object_object_get_ex(j, "body", &body));
	json_object_object_add(body, "future_ns", json_object_new_int64(42));
	json_object_object_add(body, "future_note", json_object_new_string("from the future"));
	char json[4096], bin[4096];
	snprintf(json, sizeof json, "%s/newer_request.json", tmpdir);
	snprintf(bin, sizeof bin, "%s/newer_request.bvr", tmpdir);
	assert_int_equal(json_object_to_file(json, j), 0);
	json_object_put(j);
	const char *enc[] = { flatc, "-b", "-o", tmpdir, newer, json, NULL };
	run_flatc(enc);
	size_t len;
	uint8_t *buf = read_file(bin, &len);
	assert_int_equal(bvapm_rec_verify(buf, len, NULL, NULL), 0);
	bvapm_rec_record_ref r = bvapm_rec_root(buf);
	check_envelope(r, &fixture_envelope, BVAPM_REC_KIND_REQUEST);
	check_request(bvapm_rec_record_body_request(r), &fixture_request);
	struct json_object *mine = bvapm_rec_to_json(buf, len, BVAPM_REC_JSON_DEFAULTS);
	struct json_object *want = golden(FX_REQUEST);
	assert_json_equal(mine, want, "rendering of a newer RequestProfile (unknown fields left out)");
	json_object_put(mine);
	json_object_put(want);
	free(buf);

	/* A record of a kind this reader does not know. */
	snprintf(json, sizeof json, "%s/newer_kind.json", tmpdir);
	snprintf(bin, sizeof bin, "%s/newer_kind.bvr", tmpdir);
	const char *text = "{\"schema_version\": 2, \"pid\": 9, \"sequence\": 3, \"body_type\": \"FutureKind\","
		" \"body\": {\"x\": 5, \"note\": \"n\"}}";
	write_file(json, text, strlen(text));
	const char *enc2[] = { flatc, "-b", "-o", tmpdir, newer, json, NULL };
	run_flatc(enc2);
	buf = read_file(bin, &len);
	assert_int_equal(bvapm_rec_verify(buf, len, NULL, NULL), 0);
	r = bvapm_rec_root(buf);
	assert_int_equal(bvapm_rec_record_body_type(r), BVAPM_REC_KIND_MAX + 1);
	assert_null(bvapm_rec_kind_name(bvapm_rec_record_body_type(r)));
	assert_int_equal(bvapm_rec_record_body_request(r).pos, 0);
	assert_true(bvapm_rec_record_sequence(r) == 3);
	mine = bvapm_rec_to_json(buf, len, 0);
	assert_non_null(mine);
	assert_false(json_object_object_get_ex(mine, "body", NULL));
	struct json_object *type;
	assert_true(json_object_object_get_ex(mine, "body_type", &type));
	assert_int_equal(json_object_get_int(type), BVAPM_REC_KIND_MAX + 1);
	json_object_put(mine);
	free(buf);
}

static int remove_tmpdir(void)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s FLATC SCHEMA GOLDEN_DIR\n", argv[0]);
		return 2;
	}
	flatc = argv[1];
	schema = argv[2];
	golden_dir = argv[3];
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c_request_decoded_by_flatc),
		cmocka_unit_test(test_c_fatal_decoded_by_flatc),
		cmocka_unit_test(test_c_aborted_decoded_by_flatc),
		cmocka_unit_test(test_c_stats_decoded_by_flatc),
		cmocka_unit_test(test_c_job_decoded_by_flatc),
		cmocka_unit_test(test_flatc_request_read_by_c),
		cmocka_unit_test(test_flatc_fatal_read_by_c),
		cmocka_unit_test(test_flatc_aborted_read_by_c),
		cmocka_unit_test(test_flatc_stats_read_by_c),
		cmocka_unit_test(test_flatc_job_read_by_c),
		cmocka_unit_test(test_typical_request_round_trips_through_flatc),
		cmocka_unit_test(test_newer_schema_records_are_read),
		cmocka_unit_test(test_version_1_records_still_read),
		cmocka_unit_test(test_version_2_records_still_read),
		cmocka_unit_test(test_version_3_records_still_read),
		cmocka_unit_test(test_version_4_records_still_read),
	};
	int failed = cmocka_run_group_tests_name("record flatc compatibility", tests, NULL, NULL);
	remove_tmpdir();
	return failed;
}
