/*
 * test_sink_runner.c — the runner with a scripted fake sink and a fake clock:
 * which results keep or finish a batch, what the breaker is told, that an
 * open breaker keeps the sink from being called, counters. Also the OTLP
 * sink's option checks and Retry-After parsing (no network needed).
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

#include "record.h"
#include "sink_otlp.h"
#include "sink_runner.h"

struct fake {
	struct bvapm_sink_result next;  /* what send answers */
	int calls;
};

static void fake_send(struct bvapm_sink *sink, const struct bvapm_sink_record *recs, size_t n,
	struct bvapm_sink_result *out)
{
	struct fake *f = sink->ctx;
	(void)recs;
	(void)n;
	f->calls++;
	*out = f->next;
}

static struct fake F;
static struct bvapm_sink fake_sink = { "fake", &F, fake_send, NULL };
static struct bvapm_sink_record recs[4];

static void answer(enum bvapm_sink_status st, uint32_t acc, uint32_t rej, uint32_t retry_after)
{
	F.next = (struct bvapm_sink_result){ .status = st, .accepted = acc, .rejected = rej,
		.retry_after_ms = retry_after };
}

static void test_results_and_breaker(void **state)
{
	struct bvapm_breaker_opts o = { .failure_threshold = 2, .base_ms = 1000, .max_ms = 1000 };
	struct bvapm_breaker b;
	struct bvapm_sink_result r;
	struct bvapm_sink_counters c;
	(void)state;
	memset(&F, 0, sizeof F);
	memset(&c, 0, sizeof c);
	bvapm_breaker_init(&b, &o);

	answer(BVAPM_SINK_OK, 4, 0, 0);
	assert_true(bvapm_sink_deliver_counted(&fake_sink, &b, recs, 4, 0, &r, &c));
	answer(BVAPM_SINK_PARTIAL, 3, 1, 0);
	assert_true(bvapm_sink_deliver_counted(&fake_sink, &b, recs, 4, 0, &r, &c));
	answer(BVAPM_SINK_REJECTED, 0, 4, 0);
	assert_true(bvapm_sink_deliver_counted(&fake_sink, &b, recs, 4, 0, &r, &c));
	assert_int_equal(c.records_accepted, 7);
	assert_int_equal(c.records_rejected, 5);
	assert_int_equal(bvapm_breaker_state(&b), BVAPM_BREAKER_CLOSED);

	/* two RETRYs open the breaker; a REJECTED in between would have reset it */
	answer(BVAPM_SINK_RETRY, 0, 0, 0);
	assert_false(bvapm_sink_deliver_counted(&fake_sink, &b, recs, 4, 10, &r, &c));
	assert_int_equal(bvapm_breaker_state(&b), BVAPM_BREAKER_CLOSED);
	assert_false(bvapm_sink_deliver_counted(&fake_sink, &b, recs, 4, 20, &r, &c));
	assert_int_equal(bvapm_breaker_state(&b), BVAPM_BREAKER_OPEN);
	assert_int_equal(F.calls, 5);

	/* open: the sink is not called, the wait is reported */
	answer(BVAPM_SINK_OK, 4, 0, 0);
	assert_false(bvapm_sink_deliver_counted(&fake_sink, &b, recs, 4, 500, &r, &c));
	assert_int_equal(F.calls, 5);
	assert_int_equal(r.status, BVAPM_SINK_RETRY);
	assert_in_range(r.retry_after_ms, 510, 520);
	assert_non_null(strstr(r.message, "circuit breaker open"));
	assert_int_equal(c.refused, 1);

	/* after the backoff: the probe goes through and closes it */
	uint64_t t = bvapm_breaker_next_attempt_ms(&b, 500);
	assert_true(bvapm_sink_deliver_counted(&fake_sink, &b, recs, 4, t, &r, &c));
	assert_int_equal(bvapm_breaker_state(&b), BVAPM_BREAKER_CLOSED);
	assert_int_equal(F.calls, 6);
	assert_int_equal(c.attempts, 6);
	assert_int_equal(c.batches_ok, 2);
	assert_int_equal(c.batches_partial, 1);
	assert_int_equal(c.batches_rejected, 1);
	assert_int_equal(c.batches_retry, 2);
}

static void test_retry_after_from_sink(void **state)
{
	struct bvapm_breaker_opts o = { .failure_threshold = 5, .base_ms = 100 };
	struct bvapm_breaker b;
	struct bvapm_sink_result r;
	(void)state;
	memset(&F, 0, sizeof F);
	bvapm_breaker_init(&b, &o);
	answer(BVAPM_SINK_RETRY, 0, 0, 3000);
	assert_false(bvapm_sink_deliver(&fake_sink, &b, recs, 1, 1000, &r));
	assert_int_equal(r.retry_after_ms, 3000);
	/* one failure below the threshold, but the receiver said 3 s */
	assert_false(bvapm_sink_deliver(&fake_sink, &b, recs, 1, 3999, &r));
	assert_int_equal(F.calls, 1);
	assert_true(r.retry_after_ms >= 1 && r.retry_after_ms <= 1001);
	answer(BVAPM_SINK_OK, 1, 0, 0);
	assert_true(bvapm_sink_deliver(&fake_sink, &b, recs, 1, 4100, &r));
	assert_string_equal(bvapm_sink_status_name(BVAPM_SINK_PARTIAL), "partial");
	assert_string_equal(bvapm_sink_status_name((enum bvapm_sink_status)77), "unknown");
}

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
		cmocka_unit_test(test_results_and_breaker),
		cmocka_unit_test(test_retry_after_from_sink),
		cmocka_unit_test(test_parse_retry_after),
		cmocka_unit_test(test_otlp_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
