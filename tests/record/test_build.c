/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_build.c — the builder: argument checks, never writing past the
 * buffer, deterministic output, absent vs empty strings, computed fields,
 * and the truncation policy (what goes first, what is always kept).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "testing/fixtures.h"
#include "record/record.h"

#define CAP (1 << 16)
static _Alignas(8) uint8_t buf[CAP + 64];

static bvapm_rec_request_ref request_of(const void *b)
{
	return bvapm_rec_record_body_request(bvapm_rec_root(b));
}

static void assert_same_str(bvapm_rec_str got, bvapm_rec_str want)
{
	if (!want.ptr) {
		assert_null(got.ptr);
		return;
	}
	assert_non_null(got.ptr);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.ptr, want.ptr, want.len);
}

static void test_bad_arguments(void **st)
{
	(void)st;
	const struct bvapm_rec_request *q = &fixture_request;
	assert_int_equal(bvapm_rec_encode_request(NULL, CAP, &fixture_envelope, q), -EINVAL);
	assert_int_equal(bvapm_rec_encode_request(buf, CAP, NULL, q), -EINVAL);
	assert_int_equal(bvapm_rec_encode_request(buf, CAP, &fixture_envelope, NULL), -EINVAL);
	assert_int_equal(bvapm_rec_encode_request(buf + 4, CAP, &fixture_envelope, q), -EINVAL);
	struct bvapm_rec_request big = *q;
	big.sql_count = (1u << 24) + 1;
	assert_int_equal(bvapm_rec_encode_request(buf, CAP, &fixture_envelope, &big), -EINVAL);
	assert_int_equal(bvapm_rec_encode_fatal(buf, CAP, &fixture_envelope, NULL), -EINVAL);
	assert_int_equal(bvapm_rec_encode_aborted(buf + 1, CAP, &fixture_envelope, &fixture_aborted), -EINVAL);
	assert_int_equal(bvapm_rec_encode_stats(buf, CAP, NULL, &fixture_stats), -EINVAL);
}

static void test_essentials_must_fit(void **st)
{
	(void)st;
	/* A length that would wrap 32-bit size arithmetic must not write anything. */
	struct bvapm_rec_request huge = fixture_request;
	huge.uri.len = UINT32_MAX;
	assert_int_equal(bvapm_rec_encode_request(buf, CAP, &fixture_envelope, &huge), -EMSGSIZE);
	struct bvapm_rec_sql big_sql = { { "x", UINT32_MAX - 3 }, 1, 1, 1, 1, false };
	struct bvapm_rec_request with_sql = fixture_request;
	with_sql.sql = &big_sql;
	with_sql.sql_count = 1;
	ssize_t n = bvapm_rec_encode_request(buf, CAP, &fixture_envelope, &with_sql);
	assert_true(n > 0);                          /* the list is cut, the rest fits */
	assert_int_equal(bvapm_rec_request_sql(request_of(buf)).len, 0);
	assert_int_equal(bvapm_rec_request_sql_dropped(request_of(buf)), 1);
	assert_int_equal(bvapm_rec_encode_request(buf, 0, &fixture_envelope, &fixture_request), -EMSGSIZE);
	assert_int_equal(bvapm_rec_encode_request(buf, 64, &fixture_envelope, &fixture_request), -EMSGSIZE);
	assert_int_equal(bvapm_rec_encode_aborted(buf, 100, &fixture_envelope, &fixture_aborted), -EMSGSIZE);
}

/* For every capacity: either -EMSGSIZE or a verified record no longer than
 * cap, and not one byte written at or after cap. */
static void test_never_writes_past_cap(void **st)
{
	(void)st;
	const struct bvapm_rec_request *q = fixture_typical_request();
	ssize_t full = bvapm_rec_encode_request(buf, CAP, &fixture_envelope, q);
	assert_true(full > 0);
	int fits = 0, too_small = 0;
	for (size_t cap = 0; cap <= (size_t)full + 16; cap += cap < 1024 ? 1 : 13) {
		memset(buf, 0xA5, sizeof buf);
		ssize_t n = bvapm_rec_encode_request(buf, cap, &fixture_envelope, q);
		for (size_t i = cap; i < sizeof buf; i++)
			if (buf[i] != 0xA5)
				fail_msg("byte %zu written with cap %zu", i, cap);
		if (n < 0) {
			assert_int_equal(n, -EMSGSIZE);
			too_small++;
			continue;
		}
		fits++;
		assert_true((size_t)n <= cap);
		assert_int_equal(bvapm_rec_verify(buf, (size_t)n, NULL, NULL), 0);
		assert_int_equal(bvapm_rec_record_truncated(bvapm_rec_root(buf)), n != full);
	}
	assert_true(fits > 0 && too_small > 0);
}

static void test_output_is_deterministic(void **st)
{
	(void)st;
	static _Alignas(8) uint8_t a[CAP], b[CAP];
	for (int k = 0; k < FX_COUNT; k++) {
		memset(a, 0x00, CAP);
		memset(b, 0xFF, CAP);
		ssize_t na = fixture_encode(k, a, CAP), nb = fixture_encode(k, b, CAP);
		assert_true(na > 0);
		assert_int_equal(na, nb);
		assert_memory_equal(a, b, (size_t)na);   /* padding is written, not left stale */
	}
}

static void test_absent_and_empty_strings(void **st)
{
	(void)st;
	struct bvapm_rec_request q = { 0 };
	q.method = bvapm_rec_cstr("");
	q.route = bvapm_rec_cstr(NULL);
	struct bvapm_rec_envelope env = fixture_envelope_bare;
	ssize_t n = bvapm_rec_encode_request(buf, CAP, &env, &q);
	assert_true(n > 0);
	assert_int_equal(bvapm_rec_verify(buf, (size_t)n, NULL, NULL), 0);
	bvapm_rec_request_ref r = request_of(buf);
	assert_non_null(bvapm_rec_request_method(r).ptr);
	assert_int_equal(bvapm_rec_request_method(r).len, 0);
	assert_null(bvapm_rec_request_route(r).ptr);
	assert_int_equal(bvapm_rec_request_checkpoints(r).len, 0);
	assert_null(bvapm_rec_record_trace_id(bvapm_rec_root(buf)).ptr);

	struct json_object *j = bvapm_rec_to_json(buf, (size_t)n, 0), *body, *v;
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "body", &body));
	assert_true(json_object_object_get_ex(body, "method", &v));
	assert_string_equal(json_object_get_string(v), "");
	assert_false(json_object_object_get_ex(body, "route", NULL));
	assert_false(json_object_object_get_ex(body, "sql", NULL));
	assert_false(json_object_object_get_ex(j, "trace_id", NULL));
	json_object_put(j);
}

static void test_largest_jump_flagged_once(void **st)
{
	(void)st;
	struct bvapm_rec_checkpoint cp[4] = {
		{ bvapm_rec_cstr("a"), 0, 10, -5, 10 },
		{ bvapm_rec_cstr("b"), 1, 20, 70, 20 },
		{ bvapm_rec_cstr("c"), 2, 90, 70, 90 },  /* tie: the first one wins */
		{ bvapm_rec_cstr("d"), 3, 80, -10, 90 },
	};
	struct bvapm_rec_request q = { .checkpoints = cp, .checkpoint_count = 4 };
	assert_true(bvapm_rec_encode_request(buf, CAP, &fixture_envelope, &q) > 0);
	bvapm_rec_checkpoint_vec v = bvapm_rec_request_checkpoints(request_of(buf));
	assert_int_equal(v.len, 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(bvapm_rec_checkpoint_largest_jump(bvapm_rec_checkpoint_at(v, i)), i == 1);

	for (int i = 0; i < 4; i++)
		cp[i].mem_delta_bytes = -1;              /* memory only went down: no jump */
	assert_true(bvapm_rec_encode_request(buf, CAP, &fixture_envelope, &q) > 0);
	v = bvapm_rec_request_checkpoints(request_of(buf));
	for (uint32_t i = 0; i < 4; i++)
		assert_false(bvapm_rec_checkpoint_largest_jump(bvapm_rec_checkpoint_at(v, i)));
}

static void test_kind_and_names(void **st)
{
	(void)st;
	for (int k = 0; k < FX_COUNT; k++) {
		assert_true(fixture_encode(k, buf, CAP) > 0);
		unsigned kind = bvapm_rec_record_body_type(bvapm_rec_root(buf));
		assert_int_equal(kind, (unsigned)k + 1);
		assert_non_null(bvapm_rec_kind_name(kind));
	}
	assert_string_equal(bvapm_rec_kind_name(BVAPM_REC_KIND_REQUEST), "RequestProfile");
	assert_string_equal(bvapm_rec_kind_name(BVAPM_REC_KIND_STATS), "Statistics");
	assert_null(bvapm_rec_kind_name(0));
	assert_null(bvapm_rec_kind_name(99));
	assert_string_equal(bvapm_rec_mode_name(BVAPM_REC_MODE_TARGETED), "Targeted");
	assert_string_equal(bvapm_rec_keep_reason_name(BVAPM_REC_KEEP_FORCED), "Forced");
	assert_null(bvapm_rec_keep_reason_name(5));
	assert_string_equal(bvapm_rec_request_kind_name(BVAPM_REC_REQUEST_KIND_REQUEST), "Request");
	assert_string_equal(bvapm_rec_request_kind_name(BVAPM_REC_REQUEST_KIND_JOB), "Job");
	assert_null(bvapm_rec_request_kind_name(2));
	assert_string_equal(bvapm_rec_span_kind_name(BVAPM_REC_SPAN_SQL), "Sql");
	assert_string_equal(bvapm_rec_span_kind_name(BVAPM_REC_SPAN_HTTP), "Http");
	assert_string_equal(bvapm_rec_span_kind_name(BVAPM_REC_SPAN_CACHE), "Cache");
	assert_null(bvapm_rec_span_kind_name(4));
}

/* ---- truncation ------------------------------------------------------------------------- */

static void test_truncation_drops_functions_first(void **st)
{
	(void)st;
	const struct bvapm_rec_request *q = fixture_typical_request();
	ssize_t full = bvapm_rec_encode_request(buf, CAP, &fixture_envelope, q);
	assert_true(full > 0);
	assert_false(bvapm_rec_record_truncated(bvapm_rec_root(buf)));
	assert_int_equal(bvapm_rec_request_functions_dropped(request_of(buf)), 0);

	ssize_t n = bvapm_rec_encode_request(buf, (size_t)full - 1000, &fixture_envelope, q);
	assert_true(n > 0 && n <= full - 1000);
	assert_int_equal(bvapm_rec_verify(buf, (size_t)n, NULL, NULL), 0);
	bvapm_rec_request_ref r = request_of(buf);
	assert_true(bvapm_rec_record_truncated(bvapm_rec_root(buf)));
	uint32_t kept = bvapm_rec_request_functions(r).len;
	assert_true(kept > 0 && kept < 50);
	assert_int_equal(bvapm_rec_request_functions_dropped(r), 50 - kept);
	assert_int_equal(bvapm_rec_request_sql(r).len, 50);          /* untouched */
	assert_int_equal(bvapm_rec_request_sql_dropped(r), 0);
	/* the head of the list is kept, in order */
	bvapm_rec_function_stat_ref f0 = bvapm_rec_function_stat_at(bvapm_rec_request_functions(r), 0);
	assert_memory_equal(bvapm_rec_function_stat_name(f0).ptr, q->functions[0].name.ptr,
		q->functions[0].name.len);
	/* as many as fit: one more would not have fitted */
	struct bvapm_rec_request more = *q;
	more.function_count = kept + 1;
	more.sql_count = 50;
	static _Alignas(8) uint8_t other[CAP];
	ssize_t m = bvapm_rec_encode_request(other, CAP, &fixture_envelope, &more);
	assert_true(m > full - 1000);
}

static void test_truncation_then_sql(void **st)
{
	(void)st;
	const struct bvapm_rec_request *q = fixture_typical_request();
	struct bvapm_rec_request no_fn = *q;
	no_fn.functions = NULL;
	no_fn.function_count = 0;
	ssize_t without_functions = bvapm_rec_encode_request(buf, CAP, &fixture_envelope, &no_fn);
	assert_true(without_functions > 0);

	ssize_t n = bvapm_rec_encode_request(buf, (size_t)without_functions - 500, &fixture_envelope, q);
	assert_true(n > 0);
	bvapm_rec_request_ref r = request_of(buf);
	assert_true(bvapm_rec_record_truncated(bvapm_rec_root(buf)));
	assert_int_equal(bvapm_rec_request_functions(r).len, 0);
	assert_int_equal(bvapm_rec_request_functions_dropped(r), 50);
	uint32_t sql = bvapm_rec_request_sql(r).len;
	assert_true(sql > 0 && sql < 50);
	assert_int_equal(bvapm_rec_request_sql_dropped(r), 50 - sql);
	assert_int_equal(bvapm_rec_request_sql_total_count(r), q->sql_total_count);
	assert_int_equal(bvapm_rec_request_checkpoints(r).len, 10);   /* essentials-adjacent: kept */
	assert_int_equal(bvapm_rec_request_errors(r).len, 2);
	assert_int_equal(bvapm_rec_request_counters(r).len, 4);
}

static void test_truncation_down_to_essentials(void **st)
{
	(void)st;
	const struct bvapm_rec_request *q = fixture_typical_request();
	struct bvapm_rec_request bare = *q;
	bare.checkpoints = NULL, bare.sql = NULL, bare.functions = NULL;
	bare.errors = NULL, bare.tags = NULL, bare.counters = NULL;
	ssize_t essentials = bvapm_rec_encode_request(buf, CAP, &fixture_envelope, &bare);
	assert_true(essentials > 0);

	ssize_t n = bvapm_rec_encode_request(buf, (size_t)essentials, &fixture_envelope, q);
	assert_int_equal(n, essentials);
	bvapm_rec_request_ref r = request_of(buf);
	assert_true(bvapm_rec_record_truncated(bvapm_rec_root(buf)));
	assert_int_equal(bvapm_rec_request_checkpoints(r).len, 0);
	assert_int_equal(bvapm_rec_request_errors(r).len, 0);
	assert_true(bvapm_rec_request_wall_ns(r) == q->wall_ns);
	assert_int_equal(bvapm_rec_request_uri(r).len, q->uri.len);
	assert_int_equal(bvapm_rec_encode_request(buf, (size_t)essentials - 8, &fixture_envelope, q),
		-EMSGSIZE);
}

/* Whether span i of s[0..n) is among the k kept when the list is cut: the k
 * longest, ties going to the earliest (the reference for write_spans()). */
static bool span_kept(const struct bvapm_rec_span *s, uint32_t n, uint32_t k, uint32_t i)
{
	uint32_t rank = 0;                   /* spans that beat span i */
	for (uint32_t j = 0; j < n; j++)
		if (s[j].duration_ns > s[i].duration_ns || (s[j].duration_ns == s[i].duration_ns && j < i))
			rank++;
	return rank < k;
}

/* The spans read back are s[0..n) cut to the k longest, in start order. */
static void assert_spans_cut(bvapm_rec_span_vec v, const struct bvapm_rec_span *s, uint32_t n)
{
	uint32_t got = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!span_kept(s, n, v.len, i))
			continue;
		bvapm_rec_span_ref t = bvapm_rec_span_at(v, got++);
		assert_true(bvapm_rec_span_start_offset_ns(t) == s[i].start_offset_ns);
		assert_true(bvapm_rec_span_duration_ns(t) == s[i].duration_ns);
		assert_same_str(bvapm_rec_span_name(t), s[i].name);
	}
	assert_int_equal(got, v.len);
}

/* Spans go first, and lose their shortest calls: the longest stay, by start. */
static void test_truncation_drops_shortest_spans_first(void **st)
{
	(void)st;
	static struct bvapm_rec_span spans[64];
	for (uint32_t i = 0; i < 64; i++)
		spans[i] = (struct bvapm_rec_span){ .kind = BVAPM_REC_SPAN_SQL,
			.name = bvapm_rec_cstr("select * from `orders` where `customer_id` = ? and `state` = ?"),
			.start_offset_ns = 1000 * (uint64_t)i,
			.duration_ns = (uint64_t)((i * 37) % 16) * 1000, /* ties in every cut */
			.has_span_id = true };
	struct bvapm_rec_request q = fixture_request;
	q.spans = spans;
	q.span_count = 64;
	q.span_total_count = 200;
	ssize_t full = bvapm_rec_encode_request(buf, CAP, &fixture_envelope, &q);
	assert_true(full > 0);
	assert_int_equal(bvapm_rec_request_spans(request_of(buf)).len, 64);

	ssize_t n = bvapm_rec_encode_request(buf, (size_t)full - 2000, &fixture_envelope, &q);
	assert_true(n > 0 && n <= full - 2000);
	assert_int_equal(bvapm_rec_verify(buf, (size_t)n, NULL, NULL), 0);
	bvapm_rec_request_ref r = request_of(buf);
	assert_true(bvapm_rec_record_truncated(bvapm_rec_root(buf)));
	bvapm_rec_span_vec v = bvapm_rec_request_spans(r);
	assert_true(v.len > 0 && v.len < 64);
	assert_int_equal(bvapm_rec_request_spans_dropped(r), 64 - v.len);
	assert_int_equal(bvapm_rec_request_span_total_count(r), 200);
	assert_spans_cut(v, spans, 64);
	for (uint32_t i = 1; i < v.len; i++)   /* still by start */
		assert_true(bvapm_rec_span_start_offset_ns(bvapm_rec_span_at(v, i - 1)) <
			bvapm_rec_span_start_offset_ns(bvapm_rec_span_at(v, i)));
	assert_int_equal(bvapm_rec_request_call_paths(r).len, 2);     /* untouched */
	assert_int_equal(bvapm_rec_request_external(r).len, 3);
	assert_int_equal(bvapm_rec_request_external_dropped(r), 0);

	/* once the spans are gone, call paths, functions, then external go */
	struct bvapm_rec_request no_spans = q;
	no_spans.spans = NULL;
	no_spans.call_paths = NULL;
	no_spans.functions = NULL;
	ssize_t rest = bvapm_rec_encode_request(buf, CAP, &fixture_envelope, &no_spans);
	assert_true(rest > 0);
	n = bvapm_rec_encode_request(buf, (size_t)rest - 60, &fixture_envelope, &q);
	assert_true(n > 0);
	r = request_of(buf);
	assert_int_equal(bvapm_rec_request_spans(r).len, 0);
	assert_int_equal(bvapm_rec_request_spans_dropped(r), 64);
	assert_int_equal(bvapm_rec_request_call_paths(r).len, 0);
	assert_int_equal(bvapm_rec_request_functions(r).len, 0);
	uint32_t ext = bvapm_rec_request_external(r).len;
	assert_true(ext > 0 && ext < 3);                  /* the largest totals stay */
	assert_int_equal(bvapm_rec_request_external_dropped(r), 3 - ext);
	assert_same_str(bvapm_rec_external_call_name(bvapm_rec_external_call_at(
		bvapm_rec_request_external(r), 0)), fixture_request.external[0].name);
	assert_int_equal(bvapm_rec_request_sql(r).len, 2);           /* after external */
}

static void test_fatal_truncation_keeps_innermost_frames(void **st)
{
	(void)st;
	static struct bvapm_rec_frame frames[64];
	for (int i = 0; i < 64; i++)
		frames[i] = (struct bvapm_rec_frame){ bvapm_rec_cstr("Some\\Class::someMethod"),
			bvapm_rec_cstr("/srv/app/src/Some/Class.php"), (uint32_t)i };
	struct bvapm_rec_fatal f = fixture_fatal;
	f.stack = frames;
	f.frame_count = 64;
	f.stack_depth = 0;
	ssize_t full = bvapm_rec_encode_fatal(buf, CAP, &fixture_envelope, &f);
	assert_true(full > 0);
	assert_int_equal(bvapm_rec_fatal_stack_depth(bvapm_rec_record_body_fatal(bvapm_rec_root(buf))), 64);

	ssize_t n = bvapm_rec_encode_fatal(buf, (size_t)full - 1500, &fixture_envelope, &f);
	assert_true(n > 0);
	bvapm_rec_fatal_ref t = bvapm_rec_record_body_fatal(bvapm_rec_root(buf));
	assert_int_equal(bvapm_rec_fatal_top_allocators(t).len, 0);      /* dropped first */
	assert_int_equal(bvapm_rec_fatal_checkpoints(t).len, 0);         /* then checkpoints */
	bvapm_rec_stack_frame_vec sv = bvapm_rec_fatal_stack(t);
	assert_true(sv.len > 0 && sv.len < 64);
	assert_int_equal(bvapm_rec_stack_frame_line(bvapm_rec_stack_frame_at(sv, 0)), 0);
	assert_int_equal(bvapm_rec_fatal_stack_depth(t), 64);
	assert_true(bvapm_rec_fatal_out_of_memory(t));
}

/* ---- randomized ------------------------------------------------------------------------- */

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

static char pool[4096];

static bvapm_rec_str rnd_str(void)
{
	if (rnd(8) == 0)
		return (bvapm_rec_str){ NULL, 0 };
	uint32_t len = rnd(8) == 0 ? rnd(2000) : rnd(40);
	return (bvapm_rec_str){ pool + rnd(sizeof pool - len), len };
}

/* Random requests into random capacities: never a byte past cap; a result
 * always verifies; kept entries equal the input's head; and the lists are cut
 * in policy order (before the last list cut, all are empty; after it, all are
 * whole). */
static void test_random_requests_follow_the_policy(void **st)
{
	(void)st;
	for (unsigned i = 0; i < sizeof pool; i++)
		pool[i] = (char)(' ' + rnd(95));
	static struct bvapm_rec_checkpoint cp[20];
	static struct bvapm_rec_sql sql[20];
	static struct bvapm_rec_function fn[20];
	static struct bvapm_rec_error er[20];
	static struct bvapm_rec_tag tg[20];
	static struct bvapm_rec_counter ct[20];
	static struct bvapm_rec_call_path cpath[20];
	static struct bvapm_rec_span sp[20];
	static struct bvapm_rec_external ex[20];
	static struct bvapm_rec_frame fr[8];
	unsigned whole = 0, truncated = 0, too_small = 0;
	for (int round = 0; round < 3000; round++) {
		struct bvapm_rec_request q = { .method = rnd_str(), .uri = rnd_str(), .route = rnd_str(),
			.sapi = rnd_str(), .status = (uint16_t)rnd(600), .wall_ns = rng };
		q.checkpoint_count = rnd(12), q.sql_count = rnd(12), q.function_count = rnd(12);
		q.error_count = rnd(4), q.tag_count = rnd(4), q.counter_count = rnd(4);
		q.call_path_count = rnd(12), q.span_count = rnd(12), q.external_count = rnd(12);
		q.span_total_count = q.span_count + rnd(99);
		for (uint32_t i = 0; i < 12; i++) {
			sp[i] = (struct bvapm_rec_span){ (uint8_t)rnd(5), rnd_str(), rnd_str(), 10 * (uint64_t)i,
				rnd(4) == 0 ? rng : rnd(5), (uint16_t)rnd(600), rnd_str(), rng, rnd(2),
				{ (uint8_t)i, 1, 2, 3, 4, 5, 6, (uint8_t)rnd(256) } };
			ex[i] = (struct bvapm_rec_external){ (uint8_t)rnd(4), rnd_str(), rnd_str(), rnd(99), rng,
				rng >> 2, rnd(3), rng, rng >> 5, rnd(2) };
			cp[i] = (struct bvapm_rec_checkpoint){ rnd_str(), rng, rng >> 3, (int64_t)rng, 1 };
			sql[i] = (struct bvapm_rec_sql){ rnd_str(), rnd(9), rng, 1, 2, rnd(2) };
			fn[i] = (struct bvapm_rec_function){ rnd_str(), rnd(99), rng, 3, -4 };
			cpath[i] = (struct bvapm_rec_call_path){ rnd_str(), rnd(99), rng, 5 };
		}
		for (uint32_t i = 0; i < 8; i++)
			fr[i] = (struct bvapm_rec_frame){ rnd_str(), rnd_str(), rnd(999) };
		for (uint32_t i = 0; i < 4; i++) {
			uint32_t frames = rnd(9);
			er[i] = (struct bvapm_rec_error){ rnd_str(), rnd_str(), rnd_str(), rnd(99), 1,
				frames ? fr : NULL, frames, frames + rnd(3) };
			tg[i] = (struct bvapm_rec_tag){ rnd_str(), rnd_str() };
			ct[i] = (struct bvapm_rec_counter){ rnd_str(), (int64_t)rng };
		}
		q.checkpoints = cp, q.sql = sql, q.functions = fn, q.errors = er, q.tags = tg, q.counters = ct;
		q.call_paths = cpath, q.spans = sp, q.external = ex;
		struct bvapm_rec_envelope env = fixture_envelope;
		env.host = rnd_str();
		env.has_trace = rnd(2);

		size_t cap = rnd(8) == 0 ? CAP : rnd(6000);
		memset(buf, 0x5A, sizeof buf);
		ssize_t n = bvapm_rec_encode_request(buf, cap, &env, &q);
		for (size_t i = cap; i < sizeof buf; i++)
			if (buf[i] != 0x5A)
				fail_msg("round %d: byte %zu written with cap %zu", round, i, cap);
		if (n < 0) {
			assert_int_equal(n, -EMSGSIZE);
			too_small++;
			continue;
		}
		assert_true((size_t)n <= cap);
		assert_int_equal(bvapm_rec_verify(buf, (size_t)n, NULL, NULL), 0);
		bvapm_rec_request_ref r = request_of(buf);
		if (bvapm_rec_record_truncated(bvapm_rec_root(buf)))
			truncated++;
		else
			whole++;
		assert_same_str(bvapm_rec_request_uri(r), q.uri);
		assert_same_str(bvapm_rec_record_host(bvapm_rec_root(buf)), env.host);

		/* policy order: spans, call paths, functions, external, sql, counters, tags,
		 * errors, checkpoints */
		enum { SP, CP, FN, EX, SQ, CT, TG, ER, CK, NL };
		uint32_t count[NL] = { q.span_count, q.call_path_count, q.function_count,
			q.external_count, q.sql_count, q.counter_count, q.tag_count, q.error_count,
			q.checkpoint_count };
		uint32_t kept[NL] = { bvapm_rec_request_spans(r).len, bvapm_rec_request_call_paths(r).len,
			bvapm_rec_request_functions(r).len, bvapm_rec_request_external(r).len,
			bvapm_rec_request_sql(r).len, bvapm_rec_request_counters(r).len,
			bvapm_rec_request_tags(r).len, bvapm_rec_request_errors(r).len,
			bvapm_rec_request_checkpoints(r).len };
		int cut = -1;                        /* the last list cut */
		for (int l = 0; l < NL; l++) {
			assert_true(kept[l] <= count[l]);
			if (kept[l] < count[l])
				cut = l;
		}
		for (int l = 0; l < NL; l++) {
			if (cut >= 0 && l < cut)
				assert_int_equal(kept[l], 0);
			if (cut < 0 || l > cut)
				assert_int_equal(kept[l], count[l]);
		}
		assert_int_equal(bvapm_rec_record_truncated(bvapm_rec_root(buf)), cut >= 0);
		assert_int_equal(bvapm_rec_request_spans_dropped(r), count[SP] - kept[SP]);
		assert_int_equal(bvapm_rec_request_call_paths_dropped(r), count[CP] - kept[CP]);
		assert_int_equal(bvapm_rec_request_functions_dropped(r), count[FN] - kept[FN]);
		assert_int_equal(bvapm_rec_request_external_dropped(r), count[EX] - kept[EX]);
		assert_int_equal(bvapm_rec_request_sql_dropped(r), count[SQ] - kept[SQ]);
		assert_int_equal(bvapm_rec_request_span_total_count(r), q.span_total_count);
		assert_spans_cut(bvapm_rec_request_spans(r), sp, count[SP]);
		for (uint32_t i = 0; i < kept[SP]; i++) {
			bvapm_rec_span_ref t = bvapm_rec_span_at(bvapm_rec_request_spans(r), i);
			const struct bvapm_rec_span *want = &sp[bvapm_rec_span_start_offset_ns(t) / 10];
			assert_int_equal(bvapm_rec_span_kind(t), want->kind);
			assert_same_str(bvapm_rec_span_target(t), want->target);
			assert_same_str(bvapm_rec_span_error(t), want->error);
			assert_int_equal(bvapm_rec_span_status(t), want->status);
			assert_true(bvapm_rec_span_bytes(t) == want->bytes);
			bvapm_rec_bytes id = bvapm_rec_span_span_id(t);
			if (want->has_span_id) {
				assert_int_equal(id.len, 8);
				assert_memory_equal(id.ptr, want->span_id, 8);
			} else {
				assert_null(id.ptr);
			}
		}
		for (uint32_t i = 0; i < kept[EX]; i++) {
			bvapm_rec_external_call_ref t = bvapm_rec_external_call_at(bvapm_rec_request_external(r), i);
			assert_same_str(bvapm_rec_external_call_name(t), ex[i].name);
			assert_same_str(bvapm_rec_external_call_target(t), ex[i].target);
			assert_int_equal(bvapm_rec_external_call_count(t), ex[i].count);
			assert_true(bvapm_rec_external_call_keys(t) == ex[i].keys);
			assert_int_equal(bvapm_rec_external_call_repeated(t), ex[i].repeated);
		}
		for (uint32_t i = 0; i < kept[CP]; i++)
			assert_same_str(bvapm_rec_call_path_path(
				bvapm_rec_call_path_at(bvapm_rec_request_call_paths(r), i)), cpath[i].path);
		for (uint32_t i = 0; i < kept[FN]; i++)
			assert_same_str(bvapm_rec_function_stat_name(
				bvapm_rec_function_stat_at(bvapm_rec_request_functions(r), i)), fn[i].name);
		for (uint32_t i = 0; i < kept[SQ]; i++)
			assert_same_str(bvapm_rec_sql_statement_statement(
				bvapm_rec_sql_statement_at(bvapm_rec_request_sql(r), i)), sql[i].statement);
		for (uint32_t i = 0; i < kept[ER]; i++) {
			bvapm_rec_error_event_ref e = bvapm_rec_error_event_at(bvapm_rec_request_errors(r), i);
			assert_same_str(bvapm_rec_error_event_message(e), er[i].message);
			bvapm_rec_stack_frame_vec sv = bvapm_rec_error_event_stack(e);
			assert_int_equal(sv.len, er[i].frame_count);
			assert_int_equal(bvapm_rec_error_event_stack_depth(e), er[i].stack_depth);
			for (uint32_t k = 0; k < sv.len; k++)
				assert_same_str(bvapm_rec_stack_frame_function(bvapm_rec_stack_frame_at(sv, k)),
					fr[k].function);
		}
	}
	print_message("# random requests: %u whole, %u truncated, %u too small\n", whole, truncated,
		too_small);
	assert_true(whole > 100 && truncated > 100 && too_small > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_essentials_must_fit),
		cmocka_unit_test(test_never_writes_past_cap),
		cmocka_unit_test(test_output_is_deterministic),
		cmocka_unit_test(test_absent_and_empty_strings),
		cmocka_unit_test(test_largest_jump_flagged_once),
		cmocka_unit_test(test_kind_and_names),
		cmocka_unit_test(test_truncation_drops_functions_first),
		cmocka_unit_test(test_truncation_then_sql),
		cmocka_unit_test(test_truncation_down_to_essentials),
		cmocka_unit_test(test_truncation_drops_shortest_spans_first),
		cmocka_unit_test(test_fatal_truncation_keeps_innermost_frames),
		cmocka_unit_test(test_random_requests_follow_the_policy),
	};
	return cmocka_run_group_tests_name("record builder", tests, NULL, NULL);
}
