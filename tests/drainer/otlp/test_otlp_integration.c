/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_otlp_integration.c — the OTLP sink against otlp_receiver.py on
 * 127.0.0.1, driven through every receiver mode: what each HTTP answer
 * becomes (the result the drainer's pipeline acts on, see pipeline.h).
 *
 * Usage: test_otlp_integration PYTHON RECEIVER_SCRIPT   (prints TAP)
 *
 * 60 request records (pid 100, sequences 1..60) go out in 12 batches of 5,
 * oldest first; a batch answered RETRY is offered again, one answered
 * anything else is done. The retry policy itself (breaker, backoff, spool)
 * is the pipeline's and is tested there (tests/drainer/test_pipeline.c) and
 * with this receiver through the whole drainer (test_otlp_outage.sh).
 *
 * Proves: 200 is OK; 400 is REJECTED with every record counted; partial
 * success is PARTIAL with the rejected count; 503 is RETRY without a wait,
 * or with the Retry-After it carries; 429's Retry-After is read; a hanging
 * receiver costs at most the timeout and is RETRY; a closed connection is
 * RETRY; a RETRY answer records nothing at the receiver, so once it answers
 * 200 again every record not rejected arrived exactly once (gzip bodies, the
 * extra header and connection reuse checked).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "record/record.h"
#include "otlp/sink_otlp.h"

#define RECORDS 60
#define BATCH 5
#define BATCHES (RECORDS / BATCH)
#define TIMEOUT_MS 1000

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3)))
static bool check(bool ok, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - ", ok ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	tap_failed += !ok;
	return ok;
}

static const char *status_name(enum bvapm_sink_status status)
{
	switch (status) {
	case BVAPM_SINK_OK: return "ok";
	case BVAPM_SINK_RETRY: return "retry";
	case BVAPM_SINK_REJECTED: return "rejected";
	case BVAPM_SINK_PARTIAL: return "partial";
	}
	return "unknown";
}

static void diag(const char *what, const struct bvapm_sink_result *r)
{
	printf("# %s: %s (accepted %u rejected %u retry_after %u ms): %s\n", what,
		status_name(r->status), r->accepted, r->rejected, r->retry_after_ms, r->message);
}

/* ---- the receiver -------------------------------------------------------- */

static pid_t receiver_pid = -1;
static int port;
static CURL *control;

static void stop_receiver(void)
{
	if (receiver_pid > 0) {
		kill(receiver_pid, SIGTERM);
		waitpid(receiver_pid, NULL, 0);
		receiver_pid = -1;
	}
}

static bool start_receiver(const char *python, const char *script)
{
	int fds[2];
	char line[64] = "";

	if (pipe(fds) != 0)
		return false;
	receiver_pid = fork();
	if (receiver_pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execlp(python, python, script, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	if (!f || !fgets(line, sizeof line, f) || sscanf(line, "PORT %d", &port) != 1) {
		if (f)
			fclose(f);
		return false;
	}
	fclose(f);
	return true;
}

struct buf { char data[1 << 20]; size_t len; };

static size_t collect(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	size_t k = size * n;
	if (b->len + k >= sizeof b->data)
		return 0;
	memcpy(b->data + b->len, p, k);
	b->len += k;
	b->data[b->len] = 0;
	return k;
}

/* GET /_control/<path>; the answer is parsed as JSON. */
static struct json_object *control_get(const char *path)
{
	static struct buf b;
	char url[256];

	b.len = 0;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/_control/%s", port, path);
	curl_easy_setopt(control, CURLOPT_URL, url);
	curl_easy_setopt(control, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(control, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(control, CURLOPT_TIMEOUT_MS, 5000L);
	if (curl_easy_perform(control) != CURLE_OK)
		return NULL;
	return json_tokener_parse(b.data);
}

static void set_mode(const char *query)
{
	char path[128];
	snprintf(path, sizeof path, "mode?%s", query);
	json_object_put(control_get(path));
}

static int64_t requests_total(void)
{
	struct json_object *st = control_get("stats"), *req;
	int64_t total = 0;
	if (st && json_object_object_get_ex(st, "requests", &req)) {
		struct json_object_iterator it = json_object_iter_begin(req);
		struct json_object_iterator end = json_object_iter_end(req);
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			total += json_object_get_int64(json_object_iter_peek_value(&it));
	}
	json_object_put(st);
	return total;
}

/* ---- records --------------------------------------------------------------- */

static _Alignas(8) uint8_t bufs[RECORDS][2048];
static struct bvapm_sink_record recs[RECORDS];

static void make_records(void)
{
	for (int i = 0; i < RECORDS; i++) {
		struct bvapm_rec_envelope env = {
			.host = bvapm_rec_cstr("it-host"), .service = bvapm_rec_cstr("it-service"),
			.pid = 100, .producer_start_unix_ns = 5, .sequence = (uint64_t)i + 1,
			.wall_unix_ns = 1700000000000000000ull + (uint64_t)i * 1000000,
		};
		struct bvapm_rec_sql sql = { bvapm_rec_cstr("select * from t where id = ?"), 3, 3000, 1500, 3, false };
		struct bvapm_rec_request req = {
			.method = bvapm_rec_cstr("GET"), .uri = bvapm_rec_cstr("/item"),
			.status = 200, .start_unix_ns = env.wall_unix_ns - 5000000, .wall_ns = 5000000,
			.sql = &sql, .sql_count = (uint32_t)(i % 2),
		};
		ssize_t len = bvapm_rec_encode_request(bufs[i], sizeof bufs[i], &env, &req);
		if (len <= 0 || bvapm_rec_verify(bufs[i], (size_t)len, NULL, NULL) != 0) {
			printf("Bail out! cannot encode record %d\n", i);
			exit(1);
		}
		recs[i] = (struct bvapm_sink_record){ bufs[i], (uint32_t)len, BVAPM_REC_KIND_REQUEST,
			100, 5, (uint64_t)i + 1 };
	}
}

/* ---- the scenario -------------------------------------------------------- */

static struct bvapm_sink *sink;
static int next_batch;              /* oldest batch not done */
static uint64_t records_rejected;   /* REJECTED + PARTIAL rejected */

/* Sends the oldest batch not done; it is done unless the answer is RETRY. */
static bool offer(struct bvapm_sink_result *r)
{
	memset(r, 0, sizeof *r);
	sink->send(sink, recs + next_batch * BATCH, BATCH, r);
	if (r->status == BVAPM_SINK_RETRY)
		return false;
	records_rejected += r->rejected;
	next_batch++;
	return true;
}

static uint64_t real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void scenario(void)
{
	struct bvapm_sink_result r;
	int64_t before;

	set_mode("m=200");
	check(offer(&r) && r.status == BVAPM_SINK_OK && r.accepted == BATCH, "200: batch 0 delivered");
	check(offer(&r) && r.status == BVAPM_SINK_OK, "200: batch 1 delivered");

	set_mode("m=400");
	bool done = offer(&r);
	diag("400", &r);
	check(done && r.status == BVAPM_SINK_REJECTED && r.rejected == BATCH,
		"400: batch 2 dropped, %u records counted as rejected", r.rejected);
	check(strstr(r.message, "invalid spans") != NULL, "400: the receiver's message is kept for the log");

	set_mode("m=partial&rejected=2");
	done = offer(&r);
	diag("partial", &r);
	check(done && r.status == BVAPM_SINK_PARTIAL && r.rejected == 2 && r.accepted == 3,
		"partial success: batch 3 done, 2 rejected / 3 accepted");

	set_mode("m=503");
	before = requests_total();
	done = offer(&r);
	diag("503", &r);
	check(!done && r.status == BVAPM_SINK_RETRY && r.retry_after_ms == 0,
		"503 without Retry-After: batch 4 kept for retry, no wait asked");
	check(!offer(&r) && r.status == BVAPM_SINK_RETRY, "503 again: still kept");
	check(requests_total() - before == 2, "the receiver saw exactly those 2 requests");

	set_mode("m=503&retry_after=3");
	done = offer(&r);
	diag("503 + Retry-After", &r);
	check(!done && r.status == BVAPM_SINK_RETRY && r.retry_after_ms == 3000,
		"503 with Retry-After: 3 read as 3000 ms");

	set_mode("m=429&retry_after=2");
	done = offer(&r);
	diag("429", &r);
	check(!done && r.status == BVAPM_SINK_RETRY && r.retry_after_ms == 2000,
		"429: Retry-After: 2 read as 2000 ms");

	set_mode("m=hang&hang=3");
	uint64_t t0 = real_ms();
	done = offer(&r);
	uint64_t took = real_ms() - t0;
	diag("hang", &r);
	check(!done && r.status == BVAPM_SINK_RETRY, "hanging receiver: batch kept for retry");
	check(took >= TIMEOUT_MS - 50 && took <= TIMEOUT_MS + 500, "hang bounded by the timeout: %" PRIu64 " ms",
		took);

	set_mode("m=close");
	done = offer(&r);
	diag("close", &r);
	check(!done && r.status == BVAPM_SINK_RETRY, "connection closed without an answer: retry");

	set_mode("m=200");
	done = offer(&r);
	check(done && r.status == BVAPM_SINK_OK && r.accepted == BATCH, "recovered: batch 4 delivered");
	int drained = 0;
	while (next_batch < BATCHES && offer(&r) && r.status == BVAPM_SINK_OK)
		drained++;
	check(next_batch == BATCHES && drained == BATCHES - 5, "the other %d batches delivered", drained);
}

static void verify_arrivals(void)
{
	struct json_object *st = control_get("stats"), *records = NULL, *v;
	int once = 0, dup = 0, missing = 0, unexpected = 0;

	if (!check(st && json_object_object_get_ex(st, "records", &records), "receiver stats read"))
		return;
	for (int i = 0; i < RECORDS; i++) {
		char id[64];
		int count = 0;
		snprintf(id, sizeof id, "100:5:%d", i + 1);
		if (json_object_object_get_ex(records, id, &v))
			count = json_object_get_int(v);
		bool rejected_batch = i / BATCH == 2;
		if (rejected_batch)
			unexpected += count != 0;
		else if (count == 1)
			once++;
		else if (count == 0)
			missing++;
		else
			dup++;
	}
	check(once == RECORDS - BATCH && missing == 0 && dup == 0,
		"every record not rejected arrived exactly once (%d once, %d missing, %d duplicated)",
		once, missing, dup);
	check(unexpected == 0, "records of the 400 batch never stored");
	check(json_object_object_length(records) == RECORDS - BATCH, "no unknown record ids");
	check(records_rejected == BATCH + 2, "rejected records counted: %" PRIu64 " (5 + 2)",
		records_rejected);

	struct json_object *errors, *gz, *bodies, *conns, *hdr;
	json_object_object_get_ex(st, "errors", &errors);
	json_object_object_get_ex(st, "gzip_bodies", &gz);
	json_object_object_get_ex(st, "bodies", &bodies);
	json_object_object_get_ex(st, "connections", &conns);
	json_object_object_get_ex(st, "test_header", &hdr);
	check(json_object_get_int(hdr) == json_object_get_int(bodies), "extra header sent with every POST");
	check(json_object_array_length(errors) == 0, "receiver found no malformed request: %s",
		json_object_to_json_string(errors));
	check(json_object_get_int(gz) == json_object_get_int(bodies) && json_object_get_int(gz) > 0,
		"every body was gzip (%d)", json_object_get_int(gz));
	/* one connection per: control, the sink's first, and after each
	 * hang/close/timeout the sink reconnects; far fewer than requests */
	check(json_object_get_int(conns) < json_object_get_int(bodies),
		"connections reused (%d connections for %d POSTs)", json_object_get_int(conns),
		json_object_get_int(bodies));
	json_object_put(st);
}

int main(int argc, char **argv)
{
	char err[256], endpoint[64];

	if (argc != 3) {
		fprintf(stderr, "usage: %s PYTHON RECEIVER_SCRIPT\n", argv[0]);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	control = curl_easy_init();
	if (!start_receiver(argv[1], argv[2])) {
		printf("Bail out! receiver did not start\n");
		stop_receiver();
		return 1;
	}
	printf("# receiver on 127.0.0.1:%d\n", port);
	make_records();

	const char *headers[] = { "X-Bvapm-Test: integration" };
	snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d/", port);
	struct bvapm_otlp_options o = { .endpoint = endpoint, .timeout_ms = TIMEOUT_MS,
		.connect_timeout_ms = 500, .gzip = true, .headers = headers, .header_count = 1 };
	sink = bvapm_sink_otlp_new(&o, err, sizeof err);
	if (!check(sink != NULL, "sink created: %s", sink ? "ok" : err)) {
		stop_receiver();
		return 1;
	}
	scenario();
	verify_arrivals();

	sink->destroy(sink);
	json_object_put(control_get("quit"));
	curl_easy_cleanup(control);
	stop_receiver();
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
