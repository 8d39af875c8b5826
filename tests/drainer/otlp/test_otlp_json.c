/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_otlp_json.c — the record to OTLP JSON mapping, field by field, for
 * records encoded with the codec (the fixtures of tests/record): request span
 * with its timed calls as child spans (SQL, HTTP, cache: real times, the
 * record's span ids, semantic-convention attributes, failed calls), and the
 * synthetic SQL child spans of a record without timed calls; checkpoint and
 * exception events; fatal/OOM; aborted;
 * jobs (CONSUMER spans "job NAME", their fatal errors and aborted records too); derived ids; resource grouping; skipped stats; invalid UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "testing/fixtures.h"
#include "otlp/otlp_json.h"
#include "otlp_test_util.h"

static struct test_rec R[4];

static struct json_object *build(const struct bvapm_sink_record *recs, size_t n,
	struct bvapm_otlp_json_stats *st)
{
	static const struct bvapm_otlp_json_opts opts = { "fallback-svc", "fallback-host" };
	struct json_object *o = bvapm_otlp_json_build(recs, n, &opts, st);
	assert_non_null(o);
	return o;
}

static struct json_object *resource_spans(struct json_object *doc, size_t i)
{
	return json_object_array_get_idx(json_object_object_get(doc, "resourceSpans"), i);
}

static struct json_object *spans_of(struct json_object *rs)
{
	struct json_object *ss = json_object_array_get_idx(json_object_object_get(rs, "scopeSpans"), 0);
	return json_object_object_get(ss, "spans");
}

/* The span's status is ERROR (code 2) with this message. */
static void assert_error_status(struct json_object *span, const char *message)
{
	struct json_object *st = json_object_object_get(span, "status");
	assert_int_equal(json_object_get_int(json_object_object_get(st, "code")), 2);
	assert_string_equal(test_get_str(st, "message"), message);
}

static struct json_object *event(struct json_object *span, size_t i)
{
	return json_object_array_get_idx(json_object_object_get(span, "events"), i);
}

static void encode_fixture(struct test_rec *t, enum fixture_kind k)
{
	ssize_t len = fixture_encode(k, t->buf, sizeof t->buf);
	assert_true(len > 0);
	test_rec_wrap(t, len);
}

static struct bvapm_rec_request small_request(uint16_t status)
{
	return (struct bvapm_rec_request){
		.method = bvapm_rec_cstr("POST"), .uri = bvapm_rec_cstr("/api/items?x=1"),
		.status = status, .start_unix_ns = 1000, .wall_ns = 500,
	};
}

static void encode_request(struct test_rec *t, const struct bvapm_rec_envelope *env,
	const struct bvapm_rec_request *req)
{
	ssize_t len = bvapm_rec_encode_request(t->buf, sizeof t->buf, env, req);
	assert_true(len > 0);
	test_rec_wrap(t, len);
}

static void test_request_span(void **state)
{
	struct bvapm_otlp_json_stats st;
	(void)state;
	encode_fixture(&R[0], FX_REQUEST);
	struct json_object *doc = build(&R[0].rec, 1, &st);
	assert_int_equal(st.records_exported, 1);
	assert_int_equal(st.records_skipped, 0);
	assert_int_equal(st.spans, 1 + 4);

	struct json_object *rs = resource_spans(doc, 0);
	struct json_object *res = json_object_object_get(rs, "resource");
	assert_string_equal(test_attr_str(res, "service.name"), "shop");
	assert_string_equal(test_attr_str(res, "host.name"), "web-01");
	assert_string_equal(test_attr_str(res, "process.pid"), "4242");
	assert_string_equal(test_attr_str(res, "telemetry.sdk.name"), "bvapm");

	struct json_object *spans = spans_of(rs);
	assert_int_equal(json_object_array_length(spans), 1 + 4);
	struct json_object *s = json_object_array_get_idx(spans, 0);
	assert_string_equal(test_get_str(s, "traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
	assert_string_equal(test_get_str(s, "spanId"), "00f067aa0ba902b7");
	assert_string_equal(test_get_str(s, "parentSpanId"), "53995c3f42cd8ad8");
	assert_string_equal(test_get_str(s, "name"), "GET filament.admin.pages.dashboard");
	assert_int_equal(json_object_get_int(json_object_object_get(s, "kind")), 2);
	assert_string_equal(test_get_str(s, "startTimeUnixNano"), "1700000122541289012");
	assert_string_equal(test_get_str(s, "endTimeUnixNano"), "1700000123456789012");
	assert_string_equal(test_attr_str(s, "http.request.method"), "GET");
	assert_string_equal(test_attr_str(s, "url.path"), "/filament/admin");
	assert_string_equal(test_attr_str(s, "http.route"), "filament.admin.pages.dashboard");
	assert_string_equal(test_attr_str(s, "http.response.status_code"), "200");
	assert_non_null(json_object_object_get(test_attr(s, "http.response.status_code"), "intValue"));
	assert_string_equal(test_attr_str(s, "bvapm.record.id"), "4242:1700000000000000000:7");
	assert_string_equal(test_attr_str(s, "bvapm.sequence"), "7");
	assert_string_equal(test_attr_str(s, "bvapm.sapi"), "fpm-fcgi");
	assert_string_equal(test_attr_str(s, "bvapm.mode"), "Aggressive");
	assert_string_equal(test_attr_str(s, "bvapm.keep_reason"), "Slow");
	assert_string_equal(test_attr_str(s, "bvapm.memory.peak_bytes"), "1937244160");
	assert_string_equal(test_attr_str(s, "bvapm.memory.limit_bytes"), "2147483648");
	assert_string_equal(test_attr_str(s, "bvapm.cpu.user_us"), "801000");
	assert_string_equal(test_attr_str(s, "bvapm.sql.total_count"), "8935");
	assert_string_equal(test_attr_str(s, "bvapm.calls.total_count"), "9057");
	assert_null(test_attr(s, "bvapm.calls.dropped"));
	assert_string_equal(test_attr_str(s, "bvapm.tag.tenant"), "acme");
	assert_string_equal(test_attr_str(s, "bvapm.tag.panel"), "filament/admin");
	assert_string_equal(test_attr_str(s, "bvapm.counter.cache_misses"), "-2");
	/* 200 with only an E_DEPRECATED: not an error */
	assert_null(json_object_object_get(s, "status"));

	/* 5 checkpoints then 1 exception event */
	assert_int_equal(json_object_array_length(json_object_object_get(s, "events")), 6);
	struct json_object *e = event(s, 0);
	assert_string_equal(test_get_str(e, "name"), "request_start");
	assert_string_equal(test_get_str(e, "timeUnixNano"), "1700000122541289012");
	assert_string_equal(test_attr_str(e, "bvapm.memory.bytes"), "448790528");
	e = event(s, 1);
	assert_string_equal(test_get_str(e, "name"), "before_providers");
	assert_string_equal(test_get_str(e, "timeUnixNano"), "1700000122542489012");
	assert_string_equal(test_attr_str(e, "bvapm.memory.delta_bytes"), "225181696");
	e = event(s, 4);
	assert_string_equal(test_attr_str(e, "bvapm.memory.delta_bytes"), "-37244160");
	e = event(s, 5);
	assert_string_equal(test_get_str(e, "name"), "exception");
	assert_string_equal(test_get_str(e, "timeUnixNano"), "1700000123456789012");
	assert_string_equal(test_attr_str(e, "exception.type"), "E_DEPRECATED");
	assert_string_equal(test_attr_str(e, "exception.message"),
		"Creation of dynamic property \xe2\x80\x9c$x\xe2\x80\x9d is deprecated");
	assert_string_equal(test_attr_str(e, "code.filepath"), "/srv/app/vendor/x/y.php");
	assert_string_equal(test_attr_str(e, "code.lineno"), "17");
	assert_string_equal(test_attr_str(e, "bvapm.error.count"), "3");

	/* the timed calls: CLIENT children of the request span, same trace,
	 * real start (request start + offset) and end, the record's span ids */
	static const struct {
		const char *name, *span_id;
		uint64_t start, end;
	} want[] = {
		{ "SELECT", "1f00000000000001", 1700000122541289012ull + 1300000, 1700000122541289012ull + 10300000 },
		{ "GET", "a1b2c3d4e5f60718", 1700000122541289012ull + 20000000, 1700000122541289012ull + 140000000 },
		{ "POST", "0ca5e100000000ff", 1700000122541289012ull + 150000000, 1700000122541289012ull + 180000000 },
		{ "GET", NULL, 1700000122541289012ull + 200000000, 1700000122541289012ull + 200250000 },
	};
	for (size_t i = 0; i < 4; i++) {
		struct json_object *c = json_object_array_get_idx(spans, 1 + i);
		assert_int_equal(json_object_get_int(json_object_object_get(c, "kind")), 3);
		assert_string_equal(test_get_str(c, "traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
		assert_string_equal(test_get_str(c, "parentSpanId"), "00f067aa0ba902b7");
		assert_string_equal(test_get_str(c, "name"), want[i].name);
		assert_true(strtoull(test_get_str(c, "startTimeUnixNano"), NULL, 10) == want[i].start);
		assert_true(strtoull(test_get_str(c, "endTimeUnixNano"), NULL, 10) == want[i].end);
		if (want[i].span_id)
			assert_string_equal(test_get_str(c, "spanId"), want[i].span_id);
		assert_null(test_attr(c, "bvapm.sql.count"));     /* not a summary */
	}
	struct json_object *c = json_object_array_get_idx(spans, 1);
	assert_string_equal(test_attr_str(c, "db.query.text"),
		"select * from `permissions` where `user_id` = ?");
	assert_string_equal(test_attr_str(c, "db.statement"),
		"select * from `permissions` where `user_id` = ?");
	assert_null(test_attr(c, "db.system"));   /* no db.system tag */
	assert_null(json_object_object_get(c, "status"));

	/* an HTTP call that answered: method, url.full, server, status, size */
	c = json_object_array_get_idx(spans, 2);
	assert_string_equal(test_attr_str(c, "http.request.method"), "GET");
	assert_string_equal(test_attr_str(c, "url.full"), "https://api.example.com:443/v1/rates");
	assert_string_equal(test_attr_str(c, "server.address"), "api.example.com");
	assert_string_equal(test_attr_str(c, "server.port"), "443");
	assert_non_null(json_object_object_get(test_attr(c, "server.port"), "intValue"));
	assert_string_equal(test_attr_str(c, "http.response.status_code"), "200");
	assert_string_equal(test_attr_str(c, "http.response.body.size"), "5321");
	assert_null(json_object_object_get(c, "status"));
	assert_null(test_attr(c, "error.type"));

	/* one that timed out: no status code, ERROR with the reason */
	c = json_object_array_get_idx(spans, 3);
	assert_string_equal(test_attr_str(c, "http.request.method"), "POST");
	assert_string_equal(test_attr_str(c, "url.full"), "http://payments.internal:8080/v1/charge");
	assert_string_equal(test_attr_str(c, "server.address"), "payments.internal");
	assert_string_equal(test_attr_str(c, "server.port"), "8080");
	assert_null(test_attr(c, "http.response.status_code"));
	assert_error_status(c, "timeout");
	assert_string_equal(test_attr_str(c, "error.type"), "timeout");

	/* a Redis command without a span id of its own: one derived from the
	 * parent's, deterministic, neither the parent's nor another child's */
	c = json_object_array_get_idx(spans, 4);
	assert_string_equal(test_attr_str(c, "db.system"), "redis");
	assert_string_equal(test_attr_str(c, "db.operation.name"), "GET");
	assert_string_equal(test_attr_str(c, "db.operation"), "GET");
	assert_string_equal(test_attr_str(c, "server.address"), "127.0.0.1");
	assert_string_equal(test_attr_str(c, "server.port"), "6379");
	assert_null(test_attr(c, "db.query.text"));
	const char *derived = test_get_str(c, "spanId");
	assert_int_equal(strlen(derived), 16);
	assert_string_not_equal(derived, "00f067aa0ba902b7");
	struct json_object *again = build(&R[0].rec, 1, NULL);
	assert_string_equal(test_get_str(json_object_array_get_idx(spans_of(resource_spans(again, 0)), 4),
		"spanId"), derived);
	json_object_put(again);
	json_object_put(doc);
}

/* A record without timed calls (a producer before record schema v4, or one
 * that kept totals only): one synthetic CLIENT span per SQL summary entry,
 * laid end to end inside the request span. */
static void test_synthetic_sql_without_spans(void **state)
{
	struct bvapm_otlp_json_stats st;
	struct bvapm_rec_request old = fixture_request;
	(void)state;
	old.spans = NULL, old.span_count = old.span_total_count = 0;
	old.external = NULL, old.external_count = 0;
	encode_request(&R[0], &fixture_envelope, &old);
	struct json_object *doc = build(&R[0].rec, 1, &st);
	assert_int_equal(st.spans, 3);
	struct json_object *spans = spans_of(resource_spans(doc, 0));
	assert_int_equal(json_object_array_length(spans), 3);

	/* SQL child spans: CLIENT, same trace, parent = the request span, inside it */
	uint64_t pstart = 1700000122541289012ull, pend = 1700000123456789012ull, prev_end = pstart;
	for (size_t i = 1; i <= 2; i++) {
		struct json_object *c = json_object_array_get_idx(spans, i);
		assert_int_equal(json_object_get_int(json_object_object_get(c, "kind")), 3);
		assert_string_equal(test_get_str(c, "traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
		assert_string_equal(test_get_str(c, "parentSpanId"), "00f067aa0ba902b7");
		assert_string_not_equal(test_get_str(c, "spanId"), "00f067aa0ba902b7");
		assert_int_equal(strlen(test_get_str(c, "spanId")), 16);
		uint64_t cs = strtoull(test_get_str(c, "startTimeUnixNano"), NULL, 10);
		uint64_t ce = strtoull(test_get_str(c, "endTimeUnixNano"), NULL, 10);
		assert_true(cs == prev_end && ce >= cs && ce <= pend);
		prev_end = ce;
		assert_null(test_attr(c, "db.system"));   /* no db.system tag */
	}
	struct json_object *c = json_object_array_get_idx(spans, 1);
	assert_string_equal(test_get_str(c, "name"), "SELECT");
	assert_null(test_attr(c, "bvapm.calls.total_count"));
	assert_string_equal(test_attr_str(c, "db.query.text"),
		"select * from `permissions` where `user_id` = ?");
	assert_string_equal(test_attr_str(c, "db.statement"),
		"select * from `permissions` where `user_id` = ?");
	assert_string_equal(test_attr_str(c, "bvapm.sql.count"), "8934");
	assert_string_equal(test_attr_str(c, "bvapm.sql.total_ns"), "2100000000");
	assert_string_equal(test_attr_str(c, "bvapm.sql.max_ns"), "9000000");
	assert_string_equal(test_attr_str(c, "bvapm.sql.rows"), "8934");
	assert_string_equal(test_attr_str(c, "bvapm.sql.n_plus_one"), "true");
	/* the listed totals (2.10035 s) exceed the wall (0.9155 s): scaled to fit */
	assert_true(prev_end <= pend && prev_end + 2 >= pend);
	assert_string_equal(test_get_str(json_object_array_get_idx(spans, 2), "name"), "UPDATE");
	json_object_put(doc);
}

/* Client errors fail a client span; IPv6, port-less and Unix socket
 * targets; a method without a path; Memcached; a kind this sink does not
 * know; calls cut by truncation are counted on the parent. */
static void test_call_edge_cases(void **state)
{
	struct bvapm_rec_span sp[] = {
		{ .kind = BVAPM_REC_SPAN_HTTP, .name = bvapm_rec_cstr("DELETE /items/7"),
		  .target = bvapm_rec_cstr("http://[::1]:8080"), .start_offset_ns = 10, .duration_ns = 20,
		  .status = 404 },
		{ .kind = BVAPM_REC_SPAN_HTTP, .name = bvapm_rec_cstr("GET"),
		  .target = bvapm_rec_cstr("https://example.org"), .start_offset_ns = 40, .duration_ns = 5,
		  .status = 503, .error = bvapm_rec_cstr("HTTP 503") },
		{ .kind = BVAPM_REC_SPAN_CACHE, .name = bvapm_rec_cstr("get"),
		  .target = bvapm_rec_cstr("memcached 10.0.0.1:11211"), .start_offset_ns = 50,
		  .duration_ns = 3 },
		{ .kind = 9, .name = bvapm_rec_cstr("grpc Call"), .target = bvapm_rec_cstr("dns:///svc"),
		  .start_offset_ns = 60, .duration_ns = 1 },
		{ .kind = BVAPM_REC_SPAN_CACHE, .name = bvapm_rec_cstr("GET"),
		  .target = bvapm_rec_cstr("redis /run/redis/redis.sock"), .start_offset_ns = 70,
		  .duration_ns = 1 },
	};
	struct bvapm_rec_request req = small_request(200);
	(void)state;
	req.spans = sp;
	req.span_count = 5;
	req.span_total_count = 5;
	encode_request(&R[0], &fixture_envelope_bare, &req);
	struct json_object *doc = build(&R[0].rec, 1, NULL);
	struct json_object *spans = spans_of(resource_spans(doc, 0));
	assert_int_equal(json_object_array_length(spans), 6);
	struct json_object *c = json_object_array_get_idx(spans, 1);
	assert_string_equal(test_get_str(c, "name"), "DELETE");
	assert_string_equal(test_attr_str(c, "url.full"), "http://[::1]:8080/items/7");
	assert_string_equal(test_attr_str(c, "server.address"), "::1");
	assert_string_equal(test_attr_str(c, "server.port"), "8080");
	assert_error_status(c, "HTTP 404");                 /* 4xx: the call failed */
	assert_string_equal(test_attr_str(c, "error.type"), "404");
	assert_string_equal(test_get_str(c, "startTimeUnixNano"), "1010");
	assert_string_equal(test_get_str(c, "endTimeUnixNano"), "1030");
	c = json_object_array_get_idx(spans, 2);
	assert_string_equal(test_get_str(c, "name"), "GET");
	assert_null(test_attr(c, "url.full"));              /* no path known */
	assert_string_equal(test_attr_str(c, "server.address"), "example.org");
	assert_null(test_attr(c, "server.port"));
	assert_error_status(c, "HTTP 503");                 /* the agent's reason */
	c = json_object_array_get_idx(spans, 3);
	assert_string_equal(test_get_str(c, "name"), "get");
	assert_string_equal(test_attr_str(c, "db.system"), "memcached");
	assert_string_equal(test_attr_str(c, "server.port"), "11211");
	c = json_object_array_get_idx(spans, 4);
	assert_string_equal(test_get_str(c, "name"), "grpc Call");
	assert_string_equal(test_attr_str(c, "bvapm.call.target"), "dns:///svc");
	assert_int_equal(json_object_get_int(json_object_object_get(c, "kind")), 3);
	c = json_object_array_get_idx(spans, 5);          /* a Unix socket */
	assert_string_equal(test_attr_str(c, "server.address"), "/run/redis/redis.sock");
	assert_string_equal(test_attr_str(c, "network.transport"), "unix");
	assert_null(test_attr(c, "server.port"));
	/* the derived ids differ from each other (none of these had one) */
	assert_string_not_equal(test_get_str(json_object_array_get_idx(spans, 1), "spanId"),
		test_get_str(json_object_array_get_idx(spans, 2), "spanId"));
	json_object_put(doc);

	/* cut by truncation: the parent says how many calls went */
	static struct bvapm_rec_span many[64];
	for (int i = 0; i < 64; i++)
		many[i] = (struct bvapm_rec_span){ .kind = BVAPM_REC_SPAN_SQL,
			.name = bvapm_rec_cstr("select * from `a_rather_long_table_name` where `id` = ?"),
			.start_offset_ns = (uint64_t)i, .duration_ns = 1 };
	req.spans = many;
	req.span_count = 64;
	req.span_total_count = 1000;
	ssize_t len = bvapm_rec_encode_request(R[0].buf, 2048, &fixture_envelope_bare, &req);
	assert_true(len > 0);
	test_rec_wrap(&R[0], len);
	doc = build(&R[0].rec, 1, NULL);
	struct json_object *s = json_object_array_get_idx(spans_of(resource_spans(doc, 0)), 0);
	uint32_t kept = bvapm_rec_request_spans(bvapm_rec_record_body_request(bvapm_rec_root(R[0].buf))).len;
	assert_true(kept > 0 && kept < 64);
	char dropped[16];
	snprintf(dropped, sizeof dropped, "%u", 64 - kept);
	assert_string_equal(test_attr_str(s, "bvapm.calls.dropped"), dropped);
	assert_string_equal(test_attr_str(s, "bvapm.calls.total_count"), "1000");
	assert_string_equal(test_attr_str(s, "bvapm.truncated"), "true");
	assert_int_equal(json_object_array_length(spans_of(resource_spans(doc, 0))), 1 + kept);
	json_object_put(doc);
}

static void test_derived_ids_and_fallbacks(void **state)
{
	struct bvapm_rec_envelope env = fixture_envelope_bare;
	struct bvapm_rec_request req = small_request(201);
	(void)state;
	encode_request(&R[0], &env, &req);
	encode_request(&R[1], &env, &req);
	env.sequence = 99;
	encode_request(&R[2], &env, &req);

	struct bvapm_sink_record recs[3] = { R[0].rec, R[1].rec, R[2].rec };
	struct json_object *doc = build(recs, 3, NULL);
	struct json_object *rs = resource_spans(doc, 0);
	struct json_object *res = json_object_object_get(rs, "resource");
	assert_int_equal(json_object_array_length(json_object_object_get(doc, "resourceSpans")), 1);
	assert_string_equal(test_attr_str(res, "service.name"), "fallback-svc");
	assert_string_equal(test_attr_str(res, "host.name"), "web-02");
	struct json_object *spans = spans_of(rs);
	struct json_object *a = json_object_array_get_idx(spans, 0);
	struct json_object *b = json_object_array_get_idx(spans, 1);
	struct json_object *c = json_object_array_get_idx(spans, 2);
	/* same identity, same ids; another sequence, other ids */
	assert_string_equal(test_get_str(a, "traceId"), test_get_str(b, "traceId"));
	assert_string_equal(test_get_str(a, "spanId"), test_get_str(b, "spanId"));
	assert_string_not_equal(test_get_str(a, "traceId"), test_get_str(c, "traceId"));
	assert_string_not_equal(test_get_str(a, "spanId"), test_get_str(c, "spanId"));
	assert_int_equal(strlen(test_get_str(a, "traceId")), 32);
	assert_int_equal(strlen(test_get_str(a, "spanId")), 16);
	assert_null(json_object_object_get(a, "parentSpanId"));
	assert_string_equal(test_get_str(a, "name"), "POST /api/items");
	assert_string_equal(test_attr_str(a, "url.path"), "/api/items");
	assert_null(test_attr(a, "http.route"));
	assert_null(json_object_object_get(a, "status"));

	char th[33], sh[17];
	bvapm_otlp_record_ids(&recs[2], th, sh);
	assert_string_equal(th, test_get_str(c, "traceId"));
	assert_string_equal(sh, test_get_str(c, "spanId"));
	json_object_put(doc);

	/* no fallback host in the options: host.name left out; default service "php" */
	struct json_object *doc2 = bvapm_otlp_json_build(recs, 1, NULL, NULL);
	res = json_object_object_get(resource_spans(doc2, 0), "resource");
	assert_string_equal(test_attr_str(res, "service.name"), "php");
	assert_string_equal(test_attr_str(res, "host.name"), "web-02");
	json_object_put(doc2);
}

static void test_error_status(void **state)
{
	struct bvapm_rec_envelope env = fixture_envelope;
	struct bvapm_rec_request req = small_request(503);
	struct bvapm_rec_frame frames[2] = {
		{ bvapm_rec_cstr("OrderRepository::find"), bvapm_rec_cstr("/a.php"), 3 },
		{ bvapm_rec_cstr("{main}"), bvapm_rec_cstr("/index.php"), 12 },
	};
	struct bvapm_rec_error err = { .type = bvapm_rec_cstr("RuntimeException"),
		.message = bvapm_rec_cstr("boom"), .file = bvapm_rec_cstr("/a.php"), .line = 3, .count = 1,
		.stack = frames, .frame_count = 2, .stack_depth = 5 };
	struct bvapm_rec_tag tag = { bvapm_rec_cstr("db.system"), bvapm_rec_cstr("mysql") };
	struct bvapm_rec_sql sql = { bvapm_rec_cstr("  (select 1)"), 2, 100, 60, 2, false };
	(void)state;
	encode_request(&R[0], &env, &req);
	req.status = 404;
	encode_request(&R[1], &env, &req);
	req.errors = &err;
	req.error_count = 1;
	req.tags = &tag;
	req.tag_count = 1;
	req.sql = &sql;
	req.sql_count = 1;
	encode_request(&R[2], &env, &req);

	struct bvapm_sink_record recs[3] = { R[0].rec, R[1].rec, R[2].rec };
	struct json_object *doc = build(recs, 3, NULL);
	struct json_object *spans = spans_of(resource_spans(doc, 0));
	assert_error_status(json_object_array_get_idx(spans, 0), "HTTP 503");
	/* 4xx is the client's error: no status on a SERVER span */
	assert_null(json_object_object_get(json_object_array_get_idx(spans, 1), "status"));
	struct json_object *st = json_object_object_get(json_object_array_get_idx(spans, 2), "status");
	assert_string_equal(test_get_str(st, "message"), "RuntimeException");
	/* the exception event carries the error's stack, and how much was left out */
	struct json_object *events = json_object_object_get(json_object_array_get_idx(spans, 2), "events");
	struct json_object *exc = json_object_array_get_idx(events, json_object_array_length(events) - 1);
	assert_string_equal(test_get_str(exc, "name"), "exception");
	assert_string_equal(test_attr_str(exc, "exception.stacktrace"),
	                    "OrderRepository::find (/a.php:3)\n{main} (/index.php:12)\n... 3 more frames");
	struct json_object *c = json_object_array_get_idx(spans, 3);
	assert_string_equal(test_get_str(c, "name"), "SELECT");
	assert_string_equal(test_attr_str(c, "db.system"), "mysql");
	/* totals below the wall: real durations */
	assert_int_equal(strtoull(test_get_str(c, "endTimeUnixNano"), NULL, 10) -
		strtoull(test_get_str(c, "startTimeUnixNano"), NULL, 10), 100);
	json_object_put(doc);
}

static void test_fatal_oom(void **state)
{
	(void)state;
	encode_fixture(&R[0], FX_FATAL);
	struct json_object *doc = build(&R[0].rec, 1, NULL);
	struct json_object *s = json_object_array_get_idx(spans_of(resource_spans(doc, 0)), 0);
	assert_string_equal(test_get_str(s, "name"), "POST /filament/admin/permissions");
	assert_int_equal(json_object_get_int(json_object_object_get(s, "kind")), 2);
	assert_string_equal(test_get_str(s, "endTimeUnixNano"), "1700000126541289012");
	assert_error_status(s, "out of memory");
	assert_string_equal(test_attr_str(s, "bvapm.out_of_memory"), "true");
	assert_string_equal(test_attr_str(s, "bvapm.fatal"), "true");
	assert_string_equal(test_attr_str(s, "bvapm.memory.peak_bytes"), "2147483648");
	assert_int_equal(json_object_array_length(json_object_object_get(s, "events")), 4);
	struct json_object *e = event(s, 3);
	assert_string_equal(test_get_str(e, "name"), "exception");
	assert_string_equal(test_attr_str(e, "exception.type"), "E_ERROR");
	assert_non_null(strstr(test_attr_str(e, "exception.message"), "Allowed memory size"));
	assert_string_equal(test_attr_str(e, "code.lineno"), "583");
	const char *trace = test_attr_str(e, "exception.stacktrace");
	assert_non_null(trace);
	assert_non_null(strstr(trace, "Illuminate\\Database\\Eloquent\\Model::newFromBuilder (/srv/app/"));
	assert_non_null(strstr(trace, "\n{main}\n... 54 more frames"));
	json_object_put(doc);
}

static void test_aborted(void **state)
{
	(void)state;
	encode_fixture(&R[0], FX_ABORTED);
	struct json_object *doc = build(&R[0].rec, 1, NULL);
	struct json_object *rs = resource_spans(doc, 0);
	assert_string_equal(test_attr_str(json_object_object_get(rs, "resource"), "process.pid"), "31337");
	struct json_object *s = json_object_array_get_idx(spans_of(rs), 0);
	assert_string_equal(test_get_str(s, "name"), "GET /reports/export");
	assert_string_equal(test_get_str(s, "startTimeUnixNano"), "1700000100000000000");
	assert_string_equal(test_get_str(s, "endTimeUnixNano"), "1700000123000000000");
	assert_error_status(s, "aborted: worker died");
	assert_string_equal(test_attr_str(s, "bvapm.last_checkpoint"), "before_export");
	assert_string_equal(test_attr_str(s, "bvapm.current_sql"), "select * from orders where created_at > ?");
	assert_string_equal(test_attr_str(s, "bvapm.worker.pid"), "31337");
	json_object_put(doc);
}

/* A job: CONSUMER span "job NAME", no HTTP attributes; a failed one (status
 * not 0) is an error; the fatal error and the aborted record of a job (method
 * "JOB") are CONSUMER "job NAME" spans too, while requests stay SERVER. */
static void test_job_spans(void **state)
{
	(void)state;
	ssize_t len = fixture_encode_job(R[0].buf, sizeof R[0].buf);
	assert_true(len > 0);
	test_rec_wrap(&R[0], len);
	struct bvapm_rec_request failed = fixture_job;
	failed.status = 1;
	failed.keep_reason = BVAPM_REC_KEEP_ERROR;
	failed.route = bvapm_rec_cstr("");               /* the name from the URI then */
	encode_request(&R[1], &fixture_envelope_job, &failed);
	struct bvapm_rec_fatal fatal = fixture_fatal;
	fatal.method = bvapm_rec_cstr("JOB");
	fatal.uri = bvapm_rec_cstr("import");
	fatal.route = bvapm_rec_cstr("import");
	len = bvapm_rec_encode_fatal(R[2].buf, sizeof R[2].buf, &fixture_envelope_job, &fatal);
	assert_true(len > 0);
	test_rec_wrap(&R[2], len);
	struct bvapm_rec_aborted aborted = fixture_aborted;
	aborted.method = bvapm_rec_cstr("JOB");
	aborted.uri = bvapm_rec_cstr("send-mail");
	len = bvapm_rec_encode_aborted(R[3].buf, sizeof R[3].buf, &fixture_envelope_job, &aborted);
	assert_true(len > 0);
	test_rec_wrap(&R[3], len);

	struct bvapm_sink_record recs[4] = { R[0].rec, R[1].rec, R[2].rec, R[3].rec };
	struct json_object *doc = build(recs, 4, NULL);
	struct json_object *rs = resource_spans(doc, 0);
	assert_string_equal(test_attr_str(json_object_object_get(rs, "resource"), "host.name"),
	                    "worker-01");
	struct json_object *spans = spans_of(rs);
	struct json_object *s = json_object_array_get_idx(spans, 0);
	assert_string_equal(test_get_str(s, "name"), "job import");
	assert_int_equal(json_object_get_int(json_object_object_get(s, "kind")), 5);
	assert_string_equal(test_get_str(s, "traceId"), "0af7651916cd43dd8448eb211c80319c");
	assert_string_equal(test_get_str(s, "parentSpanId"), "b7ad6b7169203319");
	assert_string_equal(test_get_str(s, "startTimeUnixNano"), "1700000200000000000");
	assert_string_equal(test_get_str(s, "endTimeUnixNano"), "1700000200250000000");
	assert_string_equal(test_attr_str(s, "messaging.operation.type"), "process");
	assert_string_equal(test_attr_str(s, "bvapm.job.name"), "import");
	assert_string_equal(test_attr_str(s, "bvapm.job.status"), "0");
	assert_string_equal(test_attr_str(s, "bvapm.sapi"), "cli");
	assert_string_equal(test_attr_str(s, "bvapm.memory.end_bytes"), "50380800");
	assert_string_equal(test_attr_str(s, "bvapm.tag.queue"), "imports");
	assert_null(test_attr(s, "http.request.method"));
	assert_null(test_attr(s, "http.response.status_code"));
	assert_null(test_attr(s, "url.path"));
	assert_null(json_object_object_get(s, "status"));   /* succeeded */
	assert_int_equal(json_object_array_length(json_object_object_get(s, "events")), 3);

	s = json_object_array_get_idx(spans, 1);
	assert_string_equal(test_get_str(s, "name"), "job import");
	assert_int_equal(json_object_get_int(json_object_object_get(s, "kind")), 5);
	assert_string_equal(test_attr_str(s, "bvapm.job.status"), "1");
	assert_error_status(s, "job failed (status 1)");

	s = json_object_array_get_idx(spans, 2);
	assert_string_equal(test_get_str(s, "name"), "job import");
	assert_int_equal(json_object_get_int(json_object_object_get(s, "kind")), 5);
	assert_string_equal(test_attr_str(s, "bvapm.job.name"), "import");
	assert_string_equal(test_attr_str(s, "bvapm.fatal"), "true");
	assert_null(test_attr(s, "http.request.method"));
	assert_error_status(s, "out of memory");

	/* the aborted record's resource is the dead worker's */
	s = json_object_array_get_idx(spans_of(resource_spans(doc, 1)), 0);
	assert_non_null(s);
	assert_string_equal(test_get_str(s, "name"), "job send-mail");
	assert_int_equal(json_object_get_int(json_object_object_get(s, "kind")), 5);
	assert_string_equal(test_attr_str(s, "bvapm.job.name"), "send-mail");
	assert_null(test_attr(s, "url.path"));
	assert_error_status(s, "aborted: worker died");
	json_object_put(doc);
}

static void test_stats_skipped_and_grouping(void **state)
{
	struct bvapm_otlp_json_stats st;
	struct bvapm_rec_envelope env = fixture_envelope;
	struct bvapm_rec_request req = small_request(200);
	(void)state;
	encode_fixture(&R[0], FX_STATS);
	encode_request(&R[1], &env, &req);
	env.host = bvapm_rec_cstr("web-09");
	encode_request(&R[2], &env, &req);
	env.host = fixture_envelope.host;
	env.sequence++;
	encode_request(&R[3], &env, &req);

	struct bvapm_sink_record recs[4] = { R[0].rec, R[1].rec, R[2].rec, R[3].rec };
	struct json_object *doc = build(recs, 4, &st);
	assert_int_equal(st.records_skipped, 1);
	assert_int_equal(st.records_exported, 3);
	assert_int_equal(st.spans, 3);
	assert_int_equal(json_object_array_length(json_object_object_get(doc, "resourceSpans")), 2);
	assert_int_equal(json_object_array_length(spans_of(resource_spans(doc, 0))), 2);
	assert_int_equal(json_object_array_length(spans_of(resource_spans(doc, 1))), 1);
	json_object_put(doc);

	doc = build(recs, 1, &st);
	assert_int_equal(json_object_array_length(json_object_object_get(doc, "resourceSpans")), 0);
	json_object_put(doc);
}

static void test_invalid_utf8_and_encode(void **state)
{
	struct bvapm_rec_envelope env = fixture_envelope;
	struct bvapm_rec_request req = small_request(200);
	struct bvapm_otlp_json_stats st;
	size_t len = 0;
	(void)state;
	req.route = bvapm_rec_cstr("caf\xe9/\xff");
	encode_request(&R[0], &env, &req);
	char *json = bvapm_otlp_json_encode(&R[0].rec, 1, NULL, &st, &len);
	assert_non_null(json);
	assert_int_equal(strlen(json), len);
	struct json_object *doc = json_tokener_parse(json);
	assert_non_null(doc);
	struct json_object *s = json_object_array_get_idx(spans_of(resource_spans(doc, 0)), 0);
	assert_string_equal(test_attr_str(s, "http.route"), "caf\xef\xbf\xbd/\xef\xbf\xbd");
	assert_string_equal(test_get_str(s, "name"), "POST caf\xef\xbf\xbd/\xef\xbf\xbd");
	/* compact, slashes unescaped */
	assert_null(strstr(json, "\\/"));
	assert_null(strstr(json, "\n"));
	json_object_put(doc);
	free(json);
}

static void test_typical_and_minimal(void **state)
{
	struct bvapm_otlp_json_stats st;
	struct bvapm_rec_envelope env = fixture_envelope_bare;
	struct bvapm_rec_request empty = { 0 };
	struct bvapm_rec_fatal fatal = { 0 };
	struct bvapm_rec_aborted aborted = { 0 };
	size_t len;
	(void)state;
	encode_request(&R[0], &fixture_envelope, fixture_typical_request());
	encode_request(&R[1], &env, &empty);
	ssize_t n = bvapm_rec_encode_fatal(R[2].buf, sizeof R[2].buf, &env, &fatal);
	assert_true(n > 0);
	test_rec_wrap(&R[2], n);
	n = bvapm_rec_encode_aborted(R[3].buf, sizeof R[3].buf, &env, &aborted);
	assert_true(n > 0);
	test_rec_wrap(&R[3], n);

	struct bvapm_sink_record recs[4] = { R[0].rec, R[1].rec, R[2].rec, R[3].rec };
	char *json = bvapm_otlp_json_encode(recs, 4, NULL, &st, &len);
	assert_non_null(json);
	assert_int_equal(st.records_exported, 4);
	assert_int_equal(st.spans, 1 + 50 + 3);
	struct json_object *doc = json_tokener_parse(json);
	assert_non_null(doc);
	struct json_object *spans = spans_of(resource_spans(doc, 1));
	struct json_object *s = json_object_array_get_idx(spans, 0);
	/* an empty request: a name, times from the envelope, no http attributes */
	assert_string_equal(test_get_str(s, "name"), "request");
	assert_string_equal(test_get_str(s, "endTimeUnixNano"), "1700000999000000000");
	assert_null(test_attr(s, "http.request.method"));
	assert_null(test_attr(s, "http.response.status_code"));
	s = json_object_array_get_idx(spans, 1);
	assert_string_equal(test_get_str(s, "name"), "fatal error");
	assert_string_equal(test_get_str(json_object_object_get(s, "status"), "message"), "fatal error");
	/* the aborted record's worker pid is 0 here: a resource of its own */
	s = json_object_array_get_idx(spans_of(resource_spans(doc, 2)), 0);
	assert_string_equal(test_get_str(s, "name"), "aborted request");
	json_object_put(doc);
	free(json);

	/* an empty batch is a valid, empty request */
	json = bvapm_otlp_json_encode(NULL, 0, NULL, &st, &len);
	assert_string_equal(json, "{\"resourceSpans\":[]}");
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_span),
		cmocka_unit_test(test_synthetic_sql_without_spans),
		cmocka_unit_test(test_call_edge_cases),
		cmocka_unit_test(test_derived_ids_and_fallbacks),
		cmocka_unit_test(test_error_status),
		cmocka_unit_test(test_fatal_oom),
		cmocka_unit_test(test_aborted),
		cmocka_unit_test(test_job_spans),
		cmocka_unit_test(test_stats_skipped_and_grouping),
		cmocka_unit_test(test_invalid_utf8_and_encode),
		cmocka_unit_test(test_typical_and_minimal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
