/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sink_otlp.c — the OTLP sink without a receiver: Retry-After parsing
 * (delta-seconds and HTTP dates), option checks, connection refused is RETRY,
 * a batch of statistics records only is OK without a request.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "record/record.h"
#include "otlp/sink_otlp.h"

static void test_parse_retry_after(void **state)
{
	(void)state;
	assert_int_equal(bvapm_otlp_parse_retry_after("3", 0), 3000);
	assert_int_equal(bvapm_otlp_parse_retry_after(" 120\r\n", 0), 120000);
	assert_int_equal(bvapm_otlp_parse_retry_after("0", 0), 0);
	assert_int_equal(bvapm_otlp_parse_retry_after("", 0), 0);
	assert_int_equal(bvapm_otlp_parse_retry_after(NULL, 0), 0);
	assert_int_equal(bvapm_otlp_parse_retry_after("3x", 0), 0);
	assert_int_equal(bvapm_otlp_parse_retry_after("99999999999", 0), UINT32_MAX);
	/* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
	assert_int_equal(bvapm_otlp_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), 7000);
	assert_int_equal(bvapm_otlp_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777), 0);
	assert_int_equal(bvapm_otlp_parse_retry_after("not a date", 0), 0);
}

static void test_otlp_options(void **state)
{
	char err[256];
	(void)state;
	struct bvapm_otlp_options o = { 0 };
	assert_null(bvapm_sink_otlp_new(NULL, err, sizeof err));
	assert_non_null(strstr(err, "endpoint is required"));
	assert_null(bvapm_sink_otlp_new(&o, err, sizeof err));
	o.endpoint = "ftp://x";
	assert_null(bvapm_sink_otlp_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "http://"));
	const char *bad[] = { "X-Ok: 1", "no colon" };
	o.endpoint = "http://127.0.0.1:1";
	o.headers = bad;
	o.header_count = 2;
	assert_null(bvapm_sink_otlp_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "header 1"));
	const char *crlf[] = { "X-A: 1\r\nX-B: 2" };
	o.headers = crlf;
	o.header_count = 1;
	assert_null(bvapm_sink_otlp_new(&o, err, sizeof err));

	o.header_count = 0;
	o.timeout_ms = 500;
	o.connect_timeout_ms = 200;
	struct bvapm_sink *s = bvapm_sink_otlp_new(&o, err, sizeof err);
	assert_non_null(s);
	assert_string_equal(s->name, "otlp");
	/* nothing listens on port 1: connection refused is RETRY */
	struct bvapm_rec_envelope env = { .host = bvapm_rec_cstr("h"), .pid = 1, .sequence = 1 };
	struct bvapm_rec_request req = { .method = bvapm_rec_cstr("GET"), .wall_ns = 1 };
	_Alignas(8) static uint8_t buf[4096];
	ssize_t len = bvapm_rec_encode_request(buf, sizeof buf, &env, &req);
	assert_true(len > 0);
	struct bvapm_sink_record rec = { buf, (uint32_t)len, BVAPM_REC_KIND_REQUEST, 1, 0, 1 };
	struct bvapm_sink_result r;
	s->send(s, &rec, 1, &r);
	assert_int_equal(r.status, BVAPM_SINK_RETRY);
	assert_non_null(strstr(r.message, "http://127.0.0.1:1/v1/traces"));
	/* stats only: no request, OK */
	struct bvapm_rec_stats stats = { .source = bvapm_rec_cstr("agent") };
	len = bvapm_rec_encode_stats(buf, sizeof buf, &env, &stats);
	rec = (struct bvapm_sink_record){ buf, (uint32_t)len, BVAPM_REC_KIND_STATS, 1, 0, 1 };
	s->send(s, &rec, 1, &r);
	assert_int_equal(r.status, BVAPM_SINK_OK);
	assert_int_equal(r.accepted, 1);
	s->destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_retry_after),
		cmocka_unit_test(test_otlp_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
