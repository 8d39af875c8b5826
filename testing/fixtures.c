/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fixtures.c — the sample records described in fixtures.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fixtures.h"

#define S(lit) { lit, sizeof(lit) - 1 }

const char *const fixture_names[FX_COUNT] = { "request", "fatal", "aborted", "stats" };

const struct bvapm_rec_envelope fixture_envelope = {
	.host = S("web-01"),
	.service = S("shop"),
	.pid = 4242,
	.producer_start_unix_ns = 1700000000000000000ull,
	.sequence = 7,
	.wall_unix_ns = 1700000123456789012ull,
	.mono_ns = 987654321012ull,
	.has_trace = true,
	.has_parent = true,
	.sampled = true,
	.trace_id = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
		      0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 },
	.span_id = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7 },
	.parent_span_id = { 0x53, 0x99, 0x5c, 0x3f, 0x42, 0xcd, 0x8a, 0xd8 },
};

const struct bvapm_rec_envelope fixture_envelope_bare = {
	.host = S("web-02"),
	.pid = 1,
	.producer_start_unix_ns = 1,
	.sequence = 18446744073709551615ull,
	.wall_unix_ns = 1700000999000000000ull,
	.mono_ns = 5,
};

static const struct bvapm_rec_checkpoint checkpoints[] = {
	{ S("request_start"), 0, 448790528, 0, 448790528 },
	{ S("before_providers"), 1200000, 673972224, 225181696, 673972224 },
	{ S("response_ready"), 912000000, 1911554048, 1237581824, 1911554048 },
	{ S("request_end"), 915500000, 1937244160, 25690112, 1937244160 },
	{ S("after_gc"), 916000000, 1900000000, -37244160, 1937244160 },
};

static const struct bvapm_rec_sql sql[] = {
	{ S("select * from `permissions` where `user_id` = ?"), 8934, 2100000000, 9000000, 8934, true },
	{ S("update \"sessions\" set payload = ? where id = ?"), 1, 350000, 350000, 1, false },
};

static const struct bvapm_rec_function functions[] = {
	{ S("Illuminate\\Foundation\\Http\\Kernel::handle"), 1, 915000000, 1000000, 1488000000 },
	{ S("App\\Models\\Permission::newEloquentBuilder"), 8934, 700000000, 350000000, -1024 },
};

static const struct bvapm_rec_frame error_frames[] = {
	{ S("App\\Models\\Permission::fill"), S("/srv/app/vendor/x/y.php"), 17 },
	{ S("{main}"), S("/srv/app/public/index.php"), 17 },
};

static const struct bvapm_rec_error errors[] = {
	{ S("E_DEPRECATED"), S("Creation of dynamic property \xe2\x80\x9c$x\xe2\x80\x9d is deprecated"),
	  S("/srv/app/vendor/x/y.php"), 17, 3, error_frames, 2, 54 },
};

static const struct bvapm_rec_call_path call_paths[] = {
	{ S("main;Illuminate\\Foundation\\Http\\Kernel::handle;App\\Models\\Permission::newEloquentBuilder"),
	  8934, 700000000, 350000000 },
	{ S("main"), 1, 915500000, 500000 },
};

static const struct bvapm_rec_tag tags[] = {
	{ S("tenant"), S("acme") },
	{ S("panel"), S("filament/admin") },
};

static const struct bvapm_rec_counter counters[] = {
	{ S("App\\Models\\Permission::retrieved"), 8934 },
	{ S("cache_misses"), -2 },
};

/* (v4) the longest timed calls, by start: an SQL execution, an HTTP call
 * that answered, one that timed out, a Redis GET of the loop below (without
 * a span id: the absent case) */
static const struct bvapm_rec_span spans[] = {
	{ .kind = BVAPM_REC_SPAN_SQL, .name = S("select * from `permissions` where `user_id` = ?"),
	  .target = { NULL, 0 }, .start_offset_ns = 1300000, .duration_ns = 9000000,
	  .has_span_id = true, .span_id = { 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 } },
	{ .kind = BVAPM_REC_SPAN_HTTP, .name = S("GET /v1/rates"), .target = S("https://api.example.com:443"),
	  .start_offset_ns = 20000000, .duration_ns = 120000000, .status = 200, .bytes = 5321,
	  .has_span_id = true, .span_id = { 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18 } },
	{ .kind = BVAPM_REC_SPAN_HTTP, .name = S("POST /v1/charge"), .target = S("http://payments.internal:8080"),
	  .start_offset_ns = 150000000, .duration_ns = 30000000, .error = S("timeout"),
	  .has_span_id = true, .span_id = { 0x0c, 0xa5, 0xe1, 0x00, 0x00, 0x00, 0x00, 0xff } },
	{ .kind = BVAPM_REC_SPAN_CACHE, .name = S("GET"), .target = S("redis 127.0.0.1:6379"),
	  .start_offset_ns = 200000000, .duration_ns = 250000 },
};

/* (v4) the outbound calls aggregated, by total_ns */
static const struct bvapm_rec_external external[] = {
	{ .kind = BVAPM_REC_SPAN_HTTP, .target = S("https://api.example.com:443"), .name = S("GET /v1/rates"),
	  .count = 1, .total_ns = 120000000, .max_ns = 120000000, .bytes = 5321 },
	{ .kind = BVAPM_REC_SPAN_CACHE, .target = S("redis 127.0.0.1:6379"), .name = S("GET"),
	  .count = 120, .total_ns = 36000000, .max_ns = 250000, .keys = 120, .repeated = true },
	{ .kind = BVAPM_REC_SPAN_HTTP, .target = S("http://payments.internal:8080"), .name = S("POST /v1/charge"),
	  .count = 1, .total_ns = 30000000, .max_ns = 30000000, .errors = 1 },
};

const struct bvapm_rec_request fixture_request = {
	.method = S("GET"),
	.uri = S("/filament/admin?tab=\"all\"&q=caf\xc3\xa9"),
	.route = S("filament.admin.pages.dashboard"),
	.sapi = S("fpm-fcgi"),
	.status = 200,
	.mode = BVAPM_REC_MODE_AGGRESSIVE,
	.keep_reason = BVAPM_REC_KEEP_SLOW,
	.detail_reduced = false,
	.start_unix_ns = 1700000122541289012ull,
	.wall_ns = 915500000,
	.cpu_user_us = 801000,
	.cpu_sys_us = 42000,
	.mem_start_bytes = 448790528,
	.mem_end_bytes = 1937244160,
	.mem_peak_bytes = 1937244160,
	.mem_limit_bytes = 2147483648ull,
	.agent_ns = 3100000,
	.checkpoints = checkpoints, .checkpoint_count = 5,
	.sql = sql, .sql_count = 2,
	.sql_total_count = 8935,
	.sql_total_ns = 2100350000,
	.functions = functions, .function_count = 2,
	.errors = errors, .error_count = 1,
	.tags = tags, .tag_count = 2,
	.counters = counters, .counter_count = 2,
	.call_paths = call_paths, .call_path_count = 2,
	.spans = spans, .span_count = 4,
	.span_total_count = 9057,        /* 8935 statements, 2 HTTP calls, 120 Redis GETs */
	.external = external, .external_count = 3,
};

/* ---- a job (v3) ---------------------------------------------------------------- */

const struct bvapm_rec_envelope fixture_envelope_job = {
	.host = S("worker-01"),
	.service = S("shop"),
	.pid = 5150,
	.producer_start_unix_ns = 1700000050000000000ull,
	.sequence = 312,
	.wall_unix_ns = 1700000200250000000ull,
	.mono_ns = 1234567890123ull,
	.has_trace = true,             /* continues the traceparent the job was queued with */
	.has_parent = true,
	.sampled = false,
	.trace_id = { 0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd,
		      0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c },
	.span_id = { 0xb9, 0xc7, 0xc9, 0x89, 0xf9, 0x77, 0x35, 0xd1 },
	.parent_span_id = { 0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x19 },
};

static const struct bvapm_rec_checkpoint job_checkpoints[] = {
	{ S("job_start"), 0, 50331648, 0, 52428800 },
	{ S("rows_parsed"), 180000000, 58720256, 8388608, 62914560 },
	{ S("job_end"), 250000000, 50380800, -8339456, 62914560 },
};

static const struct bvapm_rec_tag job_tags[] = {
	{ S("queue"), S("imports") },
};

const struct bvapm_rec_request fixture_job = {
	.method = S("JOB"),
	.uri = S("import"),
	.route = S("import"),
	.sapi = S("cli"),
	.status = 0,                   /* succeeded */
	.mode = BVAPM_REC_MODE_LIGHT,
	.keep_reason = BVAPM_REC_KEEP_SAMPLED,
	.start_unix_ns = 1700000200000000000ull,
	.wall_ns = 250000000,
	.cpu_user_us = 190000,
	.cpu_sys_us = 12000,
	.mem_start_bytes = 50331648,
	.mem_end_bytes = 50380800,
	.mem_peak_bytes = 62914560,
	.mem_limit_bytes = 536870912,
	.agent_ns = 45000,
	.checkpoints = job_checkpoints, .checkpoint_count = 3,
	.tags = job_tags, .tag_count = 1,
	.kind = BVAPM_REC_REQUEST_KIND_JOB,
};

ssize_t fixture_encode_job(void *buf, size_t cap)
{
	return bvapm_rec_encode_request(buf, cap, &fixture_envelope_job, &fixture_job);
}

static const struct bvapm_rec_frame frames[] = {
	{ S("Illuminate\\Database\\Eloquent\\Model::newFromBuilder"),
	  S("/srv/app/vendor/laravel/framework/src/Illuminate/Database/Eloquent/Model.php"), 583 },
	{ S("App\\Models\\Permission::{closure}"), S("/srv/app/app/Models/Permission.php"), 41 },
	{ S("{main}"), { NULL, 0 }, 0 },
};

const struct bvapm_rec_fatal fixture_fatal = {
	.type = S("E_ERROR"),
	.message = S("Allowed memory size of 2147483648 bytes exhausted (tried to allocate 20480 bytes)"),
	.file = S("/srv/app/vendor/laravel/framework/src/Illuminate/Database/Eloquent/Model.php"),
	.line = 583,
	.out_of_memory = true,
	.method = S("POST"),
	.uri = S("/filament/admin/permissions"),
	.route = { NULL, 0 },
	.start_unix_ns = 1700000122541289012ull,
	.wall_ns = 4000000000ull,
	.mem_usage_bytes = 2147479552ull,
	.mem_peak_bytes = 2147483648ull,
	.mem_limit_bytes = 2147483648ull,
	.checkpoints = checkpoints, .checkpoint_count = 3,
	.top_allocators = functions + 1, .top_allocator_count = 1,
	.stack = frames, .frame_count = 3,
	.stack_depth = 57,
};

const struct bvapm_rec_aborted fixture_aborted = {
	.pid = 31337,
	.method = S("GET"),
	.uri = S("/reports/export"),
	.started_unix_ns = 1700000100000000000ull,
	.running_ns = 23000000000ull,
	.last_checkpoint = S("before_export"),
	.last_checkpoint_mem_bytes = 1073741824ull,
	.current_sql = S("select * from orders where created_at > ?"),
	.worker_start_unix_ns = 1699990000000000000ull,
};

static const struct bvapm_rec_counter stat_counters[] = {
	{ S("records_read"), 123456789 },
	{ S("records_lost_full"), 0 },
	{ S("spool_bytes"), 9223372036854775807ll },
	{ S("clock_skew_ns"), -9223372036854775807ll - 1 },
};

const struct bvapm_rec_stats fixture_stats = {
	.source = S("drainer"),
	.interval_ns = 10000000000ull,
	.counters = stat_counters, .counter_count = 4,
};

ssize_t fixture_encode(enum fixture_kind k, void *buf, size_t cap)
{
	switch (k) {
	case FX_REQUEST:
		return bvapm_rec_encode_request(buf, cap, &fixture_envelope, &fixture_request);
	case FX_FATAL:
		return bvapm_rec_encode_fatal(buf, cap, &fixture_envelope, &fixture_fatal);
	case FX_ABORTED:
		return bvapm_rec_encode_aborted(buf, cap, &fixture_envelope, &fixture_aborted);
	case FX_STATS:
		return bvapm_rec_encode_stats(buf, cap, &fixture_envelope_bare, &fixture_stats);
	default:
		return -22;
	}
}

/* ---- the typical request -------------------------------------------------------- */

static char typical_text[64 * 1024];
static struct bvapm_rec_checkpoint typical_cp[10];
static struct bvapm_rec_sql typical_sql[50];
static struct bvapm_rec_function typical_fn[50];
static struct bvapm_rec_error typical_err[2];
static struct bvapm_rec_tag typical_tag[4];
static struct bvapm_rec_counter typical_ctr[4];
static struct bvapm_rec_request typical;

__attribute__((format(printf, 2, 3)))
static bvapm_rec_str text(size_t *used, const char *fmt, ...)
{
	char *p = typical_text + *used;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(p, sizeof typical_text - *used, fmt, ap);
	va_end(ap);
	*used += (size_t)n + 1;
	bvapm_rec_str s = { p, (uint32_t)n };
	return s;
}

const struct bvapm_rec_request *fixture_typical_request(void)
{
	size_t used = 0;
	for (int i = 0; i < 10; i++) {
		typical_cp[i] = (struct bvapm_rec_checkpoint){ text(&used, "checkpoint_%d_%d", i, i % 7),
			(uint64_t)i * 1000000, 4000000 + (uint64_t)i * 65536, 65536,
			4000000 + (uint64_t)i * 65536 };
	}
	for (int i = 0; i < 50; i++) {
		typical_sql[i] = (struct bvapm_rec_sql){
			text(&used, "select `t%d`.* from `table_%d` where `id` in (?) and `deleted_at` is null", i, i % 7),
			(uint32_t)(1 + i % 5), 100000 + (uint64_t)i * 1000, 50000, (uint64_t)i, i % 10 == 0 };
		typical_fn[i] = (struct bvapm_rec_function){
			text(&used, "App\\Http\\Controllers\\Controller%d::action%d", i, i % 7),
			(uint64_t)(1 + i), 5000000 - (uint64_t)i * 1000, 20000, (int64_t)i * 1024 - 4096 };
	}
	for (int i = 0; i < 2; i++)
		typical_err[i] = (struct bvapm_rec_error){ .type = text(&used, "E_WARNING%d%d", i, i % 7),
			.message = text(&used, "Undefined array key \"k%d\" %d", i, i % 7),
			.file = text(&used, "/srv/app/app/Http/Controllers/Controller%d_%d.php", i, i % 7),
			.line = 10 + (uint32_t)i, .count = 1 };
	for (int i = 0; i < 4; i++) {
		typical_tag[i] = (struct bvapm_rec_tag){ text(&used, "tag%d_%d", i, i % 7), text(&used, "value-%d-%d", i, i % 7) };
		typical_ctr[i] = (struct bvapm_rec_counter){ text(&used, "Model%d_%d::retrieved", i, i % 7), i * 10 };
	}
	typical = (struct bvapm_rec_request){
		.method = S("GET"), .uri = S("/api/v1/orders?page=3&per_page=50"),
		.route = S("api.orders.index"), .sapi = S("fpm-fcgi"), .status = 200,
		.mode = BVAPM_REC_MODE_AGGRESSIVE, .keep_reason = BVAPM_REC_KEEP_SAMPLED,
		.start_unix_ns = 1700000000000000000ull, .wall_ns = 48000000, .cpu_user_us = 30000,
		.cpu_sys_us = 4000, .mem_start_bytes = 4000000, .mem_end_bytes = 4655360,
		.mem_peak_bytes = 6000000, .mem_limit_bytes = 134217728, .agent_ns = 200000,
		.checkpoints = typical_cp, .checkpoint_count = 10,
		.sql = typical_sql, .sql_count = 50, .sql_total_count = 150, .sql_total_ns = 7000000,
		.functions = typical_fn, .function_count = 50,
		.errors = typical_err, .error_count = 2,
		.tags = typical_tag, .tag_count = 4,
		.counters = typical_ctr, .counter_count = 4,
	};
	return &typical;
}
