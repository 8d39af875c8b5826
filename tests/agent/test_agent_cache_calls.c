/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_agent_cache_calls.c — cmocka tests of cache commands through the
 * core's call aggregation (agent_calls.c), as bvapm_cache_hooks.c reports
 * them: one entry per (target, command) with count, keys, errors and the
 * repeated flag; the longest kept as spans with their error; nothing
 * counted with bvapm.cache_capture off or outside a request; the table and
 * the strings bounded whatever a script sends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "agent/core/agent_calls.h"

#define REPEAT 5 /* the N+1 threshold of these tests */

static void begin(bool cache_on, bool full_detail)
{
	struct bvapm_agent_calls_config cfg = {.cache = cache_on};

	assert_int_equal(agent_calls_init(&cfg, REPEAT), 0);
	agent_calls_request_begin(full_detail, 1000);
}

static void command(const char *target, const char *name, uint32_t keys, uint64_t start,
                    uint64_t duration, const char *error)
{
	struct bvapm_agent_call c = {
		.kind = BVAPM_REC_SPAN_CACHE,
		.target = target, .target_len = strlen(target),
		.name = name, .name_len = strlen(name),
		.start_ns = start, .end_ns = start + duration,
		.keys = keys,
		.error = error, .error_len = error != NULL ? strlen(error) : 0,
	};
	bvapm_agent_call_done(&c);
}

static const struct bvapm_rec_external *find(const struct bvapm_rec_request *req, const char *target,
                                             const char *name)
{
	for (uint32_t i = 0; i < req->external_count; i++) {
		const struct bvapm_rec_external *e = &req->external[i];
		if (e->kind == BVAPM_REC_SPAN_CACHE && e->target.len == strlen(target) &&
		    memcmp(e->target.ptr, target, e->target.len) == 0 && e->name.len == strlen(name) &&
		    memcmp(e->name.ptr, name, e->name.len) == 0)
			return e;
	}
	return NULL;
}

static void test_aggregated_per_target_and_command(void **state)
{
	(void)state;
	begin(true, true);
	assert_true(bvapm_agent_calls_on(BVAPM_REC_SPAN_CACHE));
	for (int i = 0; i < 12; i++) /* a loop of GETs: N+1 */
		command("redis 127.0.0.1:6379", "GET", 1, 2000 + 100 * (uint64_t)i, 10 + (uint64_t)i, NULL);
	command("redis 127.0.0.1:6379", "MGET", 3, 5000, 40, NULL);
	command("redis 127.0.0.1:6379", "MGET", 2, 6000, 30, NULL);
	command("redis /run/redis.sock", "GET", 1, 7000, 5, NULL);
	command("memcached 127.0.0.1:11211", "GETMULTI", 4, 8000, 50, "CONNECTION FAILURE");
	command("redis 127.0.0.1:1", "CONNECT", 0, 9000, 70, "Connection refused");

	struct bvapm_rec_request req;
	memset(&req, 0, sizeof(req));
	agent_calls_fill(&req);
	assert_int_equal(req.external_count, 5);

	const struct bvapm_rec_external *get = find(&req, "redis 127.0.0.1:6379", "GET");
	assert_non_null(get);
	assert_int_equal(get->count, 12);
	assert_int_equal(get->keys, 12);
	assert_int_equal(get->errors, 0);
	assert_true(get->repeated);
	assert_int_equal(get->max_ns, 21);
	assert_int_equal(get->total_ns, 12 * 10 + 66);

	const struct bvapm_rec_external *mget = find(&req, "redis 127.0.0.1:6379", "MGET");
	assert_non_null(mget);
	assert_int_equal(mget->count, 2);
	assert_int_equal(mget->keys, 5);
	assert_false(mget->repeated);

	const struct bvapm_rec_external *sock = find(&req, "redis /run/redis.sock", "GET");
	assert_non_null(sock);
	assert_int_equal(sock->count, 1);

	const struct bvapm_rec_external *mc = find(&req, "memcached 127.0.0.1:11211", "GETMULTI");
	assert_non_null(mc);
	assert_int_equal(mc->errors, 1);
	assert_int_equal(mc->keys, 4);

	const struct bvapm_rec_external *refused = find(&req, "redis 127.0.0.1:1", "CONNECT");
	assert_non_null(refused);
	assert_int_equal(refused->errors, 1);

	/* every command a span, by start; the refused connect with its reason */
	assert_int_equal(req.span_total_count, 17);
	assert_int_equal(req.span_count, 17);
	for (uint32_t i = 1; i < req.span_count; i++)
		assert_true(req.spans[i - 1].start_offset_ns <= req.spans[i].start_offset_ns);
	const struct bvapm_rec_span *last = &req.spans[req.span_count - 1];
	assert_int_equal(last->kind, BVAPM_REC_SPAN_CACHE);
	assert_int_equal(last->error.len, strlen("Connection refused"));
	assert_memory_equal(last->error.ptr, "Connection refused", last->error.len);
	assert_int_equal(last->duration_ns, 70);
	agent_calls_request_end();
	assert_false(bvapm_agent_calls_on(BVAPM_REC_SPAN_CACHE));
}

static void test_off_and_outside_a_request(void **state)
{
	(void)state;
	struct bvapm_rec_request req;

	begin(false, true); /* bvapm.cache_capture=0 */
	assert_false(bvapm_agent_calls_on(BVAPM_REC_SPAN_CACHE));
	command("redis 127.0.0.1:6379", "GET", 1, 2000, 10, NULL);
	memset(&req, 0, sizeof(req));
	agent_calls_fill(&req);
	assert_int_equal(req.external_count, 0);
	assert_int_equal(req.span_total_count, 0);
	agent_calls_request_end();

	begin(true, true);
	agent_calls_request_end(); /* the request is over */
	command("redis 127.0.0.1:6379", "GET", 1, 2000, 10, NULL);
	memset(&req, 0, sizeof(req));
	agent_calls_fill(&req);
	assert_int_equal(req.external_count, 0);
}

static void test_totals_only_when_reduced(void **state)
{
	(void)state;
	begin(true, false); /* the overhead guard reduced the request: no spans */
	for (int i = 0; i < 3; i++)
		command("redis 127.0.0.1:6379", "INCR", 1, 2000, 10, NULL);
	struct bvapm_rec_request req;
	memset(&req, 0, sizeof(req));
	agent_calls_fill(&req);
	assert_int_equal(req.external_count, 1);
	assert_int_equal(req.external[0].count, 3);
	assert_int_equal(req.span_count, 0);
	agent_calls_request_end();
}

static void test_bounded(void **state)
{
	(void)state;
	char name[64], target[400];

	begin(true, true);
	memset(target, 'h', sizeof(target) - 1);
	target[sizeof(target) - 1] = '\0';
	for (int i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "CMD%d", i);
		command(i % 2 ? "redis 127.0.0.1:6379" : target, name, 1, 2000 + (uint64_t)i, 1 + (uint64_t)i % 97,
		        NULL);
	}
	struct bvapm_rec_request req;
	memset(&req, 0, sizeof(req));
	agent_calls_fill(&req);
	assert_true(req.external_count <= BVAPM_AGENT_MAX_EXTERNAL);
	assert_true(req.span_count <= BVAPM_AGENT_MAX_SPANS);
	assert_int_equal(req.span_total_count, 10000);
	for (uint32_t i = 0; i < req.external_count; i++)
		assert_true(req.external[i].target.len <= BVAPM_AGENT_CALL_NAME_MAX);
	agent_calls_request_end();

	/* the next request starts empty */
	agent_calls_request_begin(true, 1000);
	command("redis 127.0.0.1:6379", "GET", 1, 2000, 10, NULL);
	memset(&req, 0, sizeof(req));
	agent_calls_fill(&req);
	assert_int_equal(req.external_count, 1);
	assert_int_equal(req.external[0].count, 1);
	agent_calls_request_end();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aggregated_per_target_and_command),
		cmocka_unit_test(test_off_and_outside_a_request),
		cmocka_unit_test(test_totals_only_when_reduced),
		cmocka_unit_test(test_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
