/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_serve_units.c — unit tests of bvapm-report serve's parsing and
 * escaping: request heads (methods, versions, targets, percent escapes
 * and encoded NUL, query parameters, Host, control bytes, header lines),
 * the --listen forms and which are loopback, the Host headers a loopback
 * server answers, HTML and query escaping, and the pages' tables rendered
 * from a command's JSON through its table spec (headings, units, links,
 * raw figures for sorting, escaped values).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tools/report/html.h"
#include "tools/report/serve.h"
#include "tools/report/serve_http.h"

static int parse(struct http_request *r, const char *head, const char **why)
{
	memset(r, 0, sizeof *r);
	r->len = strlen(head);
	memcpy(r->buf, head, r->len);
	*why = NULL;
	return http_parse_head(r, why);
}

static void head_good(void **state)
{
	(void)state;
	static struct http_request r;
	const char *why;
	assert_int_equal(parse(&r, "GET /endpoint?endpoint=%2Fsrv%2Fa.php&since=1h&pattern=a+b HTTP/1.1\r\n"
	                           "Host: 127.0.0.1:8047\r\nUser-Agent: x\r\n\r\n", &why), 0);
	assert_string_equal(r.path, "/endpoint");
	assert_false(r.head_only);
	assert_int_equal(r.n_params, 3);
	assert_string_equal(http_param(&r, "endpoint"), "/srv/a.php");
	assert_string_equal(http_param(&r, "since"), "1h");
	assert_string_equal(http_param(&r, "pattern"), "a b");
	assert_null(http_param(&r, "kind"));
	assert_string_equal(r.host, "127.0.0.1:8047");
	assert_int_equal(parse(&r, "HEAD /x%20y HTTP/1.0\r\nhost:   localhost:1  \r\n\r\n", &why), 0);
	assert_true(r.head_only);
	assert_string_equal(r.path, "/x y");
	assert_string_equal(r.host, "localhost:1");
	/* a parameter without a value; an empty pair; a fragment */
	assert_int_equal(parse(&r, "GET /?a&&b=#frag HTTP/1.1\r\n\r\n", &why), 0);
	assert_int_equal(r.n_params, 2);
	assert_string_equal(http_param(&r, "a"), "");
	assert_string_equal(http_param(&r, "b"), "");
	assert_null(r.host);
}

static void head_bad(void **state)
{
	(void)state;
	static struct http_request r;
	const char *why;
	static const struct {
		const char *head;
		int status;
	} cases[] = {
		{"POST / HTTP/1.1\r\n\r\n", 405},
		{"DELETE / HTTP/1.1\r\n\r\n", 405},
		{"GET / HTTP/2.0\r\n\r\n", 505},
		{"GET / FOO\r\n\r\n", 505},
		{"GET /\r\n\r\n", 400},
		{"GET  / HTTP/1.1\r\n\r\n", 400},
		{"GET / HTTP/1.1 extra\r\n\r\n", 400},
		{"GET http://evil/ HTTP/1.1\r\n\r\n", 400},
		{"GET * HTTP/1.1\r\n\r\n", 400},
		{"GET /\x01 HTTP/1.1\r\n\r\n", 400},
		{"GET /\x7f HTTP/1.1\r\n\r\n", 400},
		{"GET /%zz HTTP/1.1\r\n\r\n", 400},
		{"GET /%4 HTTP/1.1\r\n\r\n", 400},
		{"GET /%00 HTTP/1.1\r\n\r\n", 400},
		{"GET /?a=%00 HTTP/1.1\r\n\r\n", 400},
		{"GET /?a=%g1 HTTP/1.1\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"no line end at all", 400},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int st = parse(&r, cases[i].head, &why);
		if (st != cases[i].status)
			fail_msg("%s: %d, wanted %d", cases[i].head, st, cases[i].status);
		assert_non_null(why);
	}
	/* too many parameters */
	char head[1200] = "GET /?";
	for (int i = 0; i < HTTP_PARAMS_MAX + 1; i++)
		snprintf(head + strlen(head), sizeof head - strlen(head), "p%d=1&", i);
	strcat(head, " HTTP/1.1\r\n\r\n");
	assert_int_equal(parse(&r, head, &why), 400);
	/* a target over 2048 bytes */
	static char longhead[HTTP_HEAD_MAX];
	strcpy(longhead, "GET /");
	memset(longhead + 5, 'a', 2100);
	strcpy(longhead + 2105, " HTTP/1.1\r\n\r\n");
	assert_int_equal(parse(&r, longhead, &why), 414);
	/* a NUL inside the head */
	memset(&r, 0, sizeof r);
	memcpy(r.buf, "GET /a\0b HTTP/1.1\r\n\r\n", 21);
	r.len = 21;
	assert_int_equal(http_parse_head(&r, &why), 400);
}

static void decode(void **state)
{
	(void)state;
	char a[] = "%41%62c+d%2B";
	assert_int_equal(http_decode(a, true), 0);
	assert_string_equal(a, "Abc d+");
	char b[] = "a+b";
	assert_int_equal(http_decode(b, false), 0);
	assert_string_equal(b, "a+b");
	char c[] = "%2e%2e%2fetc";
	assert_int_equal(http_decode(c, false), 0);
	assert_string_equal(c, "../etc"); /* decoded, then matched exactly: a 404 */
	char d[] = "x%";
	assert_int_equal(http_decode(d, false), -1);
}

static void listen_forms(void **state)
{
	(void)state;
	struct sockaddr_storage ss;
	socklen_t len;
	bool lo;
	assert_int_equal(serve_parse_listen("127.0.0.1:8047", &ss, &len, &lo), 0);
	assert_true(lo);
	assert_int_equal(serve_parse_listen("127.0.0.5:1", &ss, &len, &lo), 0);
	assert_true(lo);
	assert_int_equal(serve_parse_listen("localhost:0", &ss, &len, &lo), 0);
	assert_true(lo);
	assert_int_equal(serve_parse_listen("9000", &ss, &len, &lo), 0);
	assert_true(lo);
	assert_int_equal(serve_parse_listen("[::1]:8047", &ss, &len, &lo), 0);
	assert_true(lo);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(serve_parse_listen("0.0.0.0:8047", &ss, &len, &lo), 0);
	assert_false(lo);
	assert_int_equal(serve_parse_listen("[::]:8047", &ss, &len, &lo), 0);
	assert_false(lo);
	assert_int_equal(serve_parse_listen("10.1.2.3:80", &ss, &len, &lo), 0);
	assert_false(lo);
	static const char *const bad[] = {"", "x:1", "example.com:80", "127.0.0.1:", "127.0.0.1:65536",
	                                  "127.0.0.1:-1", "::1:80", "[::1]80", "1.2.3.4:5x", "[::1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (serve_parse_listen(bad[i], &ss, &len, &lo) == 0)
			fail_msg("accepted --listen %s", bad[i]);
}

static void host_check(void **state)
{
	(void)state;
	assert_true(serve_host_allowed("127.0.0.1:8047", 8047));
	assert_true(serve_host_allowed("localhost:8047", 8047));
	assert_true(serve_host_allowed("LOCALHOST:8047", 8047));
	assert_true(serve_host_allowed("[::1]:8047", 8047));
	assert_true(serve_host_allowed("127.0.0.2:8047", 8047));
	assert_true(serve_host_allowed("localhost", 80));
	assert_false(serve_host_allowed("localhost", 8047));
	assert_false(serve_host_allowed(NULL, 8047));
	assert_false(serve_host_allowed("", 8047));
	assert_false(serve_host_allowed("evil.example:8047", 8047));
	assert_false(serve_host_allowed("127.0.0.1:8048", 8047));
	assert_false(serve_host_allowed("localhost.evil.example:8047", 8047));
	assert_false(serve_host_allowed("127.0.0.1.evil.example:8047", 8047));
	assert_false(serve_host_allowed("localhost:8047x", 8047));
	assert_false(serve_host_allowed("10.0.0.1:8047", 8047));
}

static char *render(void (*fn)(FILE *, void *), void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	fn(m, arg);
	fclose(m);
	return buf;
}

static void esc_text(FILE *f, void *arg)
{
	html_text(f, arg);
}

static void esc_query(FILE *f, void *arg)
{
	html_query_value(f, arg);
}

static void escaping(void **state)
{
	(void)state;
	char *s = render(esc_text, "<script>a&b\"c'd</script>\x01");
	assert_string_equal(s, "&lt;script&gt;a&amp;b&quot;c&#39;d&lt;/script&gt;\\x01");
	free(s);
	s = render(esc_query, "/a b&c=d?e#f%");
	assert_string_equal(s, "/a%20b%26c%3Dd%3Fe%23f%25");
	free(s);
}

/* A table from its JSON as a page shows it. */
static const struct report_col cols[] = {
	{"endpoint", "endpoint", 30, .kind = REPORT_COL_EP},
	{"wall_ns", "p95", 10, .kind = REPORT_COL_NS},
	{"peak_bytes", "peak", 10, .kind = REPORT_COL_BYTES},
	{"request_id", NULL, 0, .kind = REPORT_COL_INT},
	{NULL, "", 0, .kind = REPORT_COL_STR}, /* a text-only bar */
};
static const struct report_table_spec spec = {
	.key = "rows", .title = "Slow things", REPORT_COLUMNS(cols)};

static void table_from_json(void **state)
{
	(void)state;
	struct report_opts o = {.json = true};
	struct report r = {.o = &o};
	struct report_sections secs = {0};
	r.doc = json_object_new_object();
	r.sections = &secs;
	struct report_table t;
	report_table_begin(&t, &r, &spec, NULL);
	report_table_row(&t, (const struct report_cell[]){
		{.s = "/a<b>.php"}, {.i = 12300000}, {.i = 3 * 1048576}, {.i = 42}, {.s = "==="}});
	report_table_end(&t, 0);
	assert_int_equal(secs.n, 1);

	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	struct page p = {.out = m, .path = "/x", .filters_qs = "since=1h&endpoint=old"};
	html_sections(&p, &r, &secs, NULL);
	fclose(m);
	assert_non_null(strstr(buf, "<h2>Slow things</h2>"));
	assert_non_null(strstr(buf, "<th data-key=\"wall_ns\" class=\"n\">p95</th>"));
	/* JSON-only columns get their key in words */
	assert_non_null(strstr(buf, ">request id</th>"));
	/* units as the text shows them, raw figures for sorting */
	assert_non_null(strstr(buf, "data-v=\"12300000\">12.3 ms</td>"));
	assert_non_null(strstr(buf, ">3.0 MiB</td>"));
	/* the endpoint escaped, linked with the filters but not the old endpoint */
	assert_non_null(strstr(buf, "<a href=\"/endpoint?endpoint=/a%3Cb%3E.php&amp;since=1h\">"
	                            "/a&lt;b&gt;.php</a>"));
	assert_null(strstr(buf, "endpoint=old"));
	assert_null(strstr(buf, "<b>"));
	assert_non_null(strstr(buf, "<a href=\"/request?id=42\">42</a>"));
	assert_null(strstr(buf, "===")); /* text only */
	free(buf);
	json_object_put(r.doc);
	free(secs.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(head_good),   cmocka_unit_test(head_bad),
		cmocka_unit_test(decode),      cmocka_unit_test(listen_forms),
		cmocka_unit_test(host_check),  cmocka_unit_test(escaping),
		cmocka_unit_test(table_from_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
