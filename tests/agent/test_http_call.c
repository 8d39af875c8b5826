/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_http_call.c — cmocka tests of how outbound HTTP calls are named
 * (target and name from URL and method: default ports, credentials left
 * out, query kept only when asked, IPv6, URLs without a scheme, bounds),
 * of the header checks (traceparent among the application's headers) and
 * of status lines; no read past the input (a buffer ending at an
 * inaccessible page).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/core/http_call.h"

static struct bvapm_http_names n;

static void names(const char *url, const char *method, bool keep_query)
{
	bvapm_http_names(url, strlen(url), method, method ? strlen(method) : 0, keep_query, &n);
	assert_int_equal(n.target_len, strlen(n.target));
	assert_int_equal(n.name_len, strlen(n.name));
}

#define EXPECT(url, method, want_target, want_name)   \
	do {                                           \
		names(url, method, false);             \
		assert_string_equal(n.target, want_target); \
		assert_string_equal(n.name, want_name); \
	} while (0)

static void targets_and_names(void **state)
{
	(void)state;
	EXPECT("http://api.example.com/v1/users?id=7", "GET", "http://api.example.com:80", "GET /v1/users");
	EXPECT("https://API.Example.COM/V1/Users", "POST", "https://api.example.com:443", "POST /V1/Users");
	EXPECT("HTTPS://h:8443", NULL, "https://h:8443", "GET /");
	EXPECT("http://h?x=1", "HEAD", "http://h:80", "HEAD /");
	EXPECT("http://h/a#frag", "GET", "http://h:80", "GET /a");
	EXPECT("http://user:secret@h:81/p", "GET", "http://h:81", "GET /p");
	EXPECT("http://a@b@h/p", "GET", "http://h:80", "GET /p");
	EXPECT("http://[::1]:8080/x", "PUT", "http://[::1]:8080", "PUT /x");
	EXPECT("http://[fe80::1]/x", "GET", "http://[fe80::1]:80", "GET /x");
	EXPECT("example.com/path", "GET", "http://example.com:80", "GET /path");
	EXPECT("127.0.0.1:9/", "GET", "http://127.0.0.1:9", "GET /");
	EXPECT("", NULL, "http://:80", "GET /");
	assert_true(n.http);
}

static void schemes(void **state)
{
	(void)state;
	names("https://h/", "GET", false);
	assert_true(n.http);
	names("ftp://h/file", "GET", false);
	assert_false(n.http);
	assert_string_equal(n.target, "ftp://h:21");
	names("ftp.example.com/file", "GET", false);
	assert_false(n.http);
	assert_string_equal(n.target, "ftp://ftp.example.com:21");
	names("file:///etc/hosts", "GET", false);
	assert_false(n.http);
	names("gopher://h:70/x", "GET", false);
	assert_false(n.http);
	assert_string_equal(n.target, "gopher://h:70");
	names("httpx://h/", "GET", false);
	assert_false(n.http);
}

static void query_kept_when_asked(void **state)
{
	(void)state;
	names("http://h/search?q=a&page=2#top", "GET", true);
	assert_string_equal(n.name, "GET /search?q=a&page=2");
	names("http://h?q=1", "GET", true);
	assert_string_equal(n.name, "GET /?q=1");
}

static void bounded(void **state)
{
	(void)state;
	char url[2048];
	memcpy(url, "http://", 7);
	memset(url + 7, 'a', 600);
	memcpy(url + 607, "/", 1);
	memset(url + 608, 'p', 1000);
	url[1608] = '\0';
	names(url, "GET", false);
	assert_int_equal(n.target_len, BVAPM_HTTP_NAME_MAX);
	assert_int_equal(n.name_len, BVAPM_HTTP_NAME_MAX);
	assert_memory_equal(n.name, "GET /ppp", 8);
}

static void headers(void **state)
{
	(void)state;
	assert_true(bvapm_http_header_is("traceparent: 00-x", 17, "traceparent"));
	assert_true(bvapm_http_header_is("TraceParent:x", 13, "traceparent"));
	assert_true(bvapm_http_header_is("traceparent;", 12, "traceparent"));
	assert_true(bvapm_http_header_is("traceparent :", 13, "traceparent"));
	assert_false(bvapm_http_header_is("traceparent", 11, "traceparent"));
	assert_false(bvapm_http_header_is("traceparent-x: 1", 16, "traceparent"));
	assert_false(bvapm_http_header_is("x-traceparent: 1", 16, "traceparent"));
	assert_false(bvapm_http_header_is("trace", 5, "traceparent"));

	const char *block = "Accept: */*\r\nTRACEPARENT: 00-a-b-01\r\n";
	assert_true(bvapm_http_headers_have(block, strlen(block), "traceparent"));
	block = "Accept: */*\nX-Id: traceparent: no\n";
	assert_false(bvapm_http_headers_have(block, strlen(block), "traceparent"));
	block = "\r\n  traceparent:1";
	assert_true(bvapm_http_headers_have(block, strlen(block), "traceparent"));
	assert_false(bvapm_http_headers_have("", 0, "traceparent"));

	assert_true(bvapm_http_value_ok("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", 38));
	assert_true(bvapm_http_value_ok("", 0));
	assert_false(bvapm_http_value_ok("a=1\r\nX-Evil: 1", 15));
	assert_false(bvapm_http_value_ok("a=\x7f", 3));
	char big[600];
	memset(big, 'a', sizeof(big));
	assert_true(bvapm_http_value_ok(big, BVAPM_HTTP_VALUE_MAX));
	assert_false(bvapm_http_value_ok(big, BVAPM_HTTP_VALUE_MAX + 1));
}

static void status_lines(void **state)
{
	(void)state;
	const char *s = "HTTP/1.1 404 Not Found";
	assert_int_equal(bvapm_http_status_in(s, strlen(s)), 404);
	s = "HTTP request failed! HTTP/1.0 503 Service Unavailable\r\n";
	assert_int_equal(bvapm_http_status_in(s, strlen(s)), 503);
	s = "HTTP/2 200";
	assert_int_equal(bvapm_http_status_in(s, strlen(s)), 200);
	s = "HTTP request failed!";
	assert_int_equal(bvapm_http_status_in(s, strlen(s)), 0);
	s = "HTTP/1.1 20";
	assert_int_equal(bvapm_http_status_in(s, strlen(s)), 0);
	s = "HTTP/1.1 2000";
	assert_int_equal(bvapm_http_status_in(s, strlen(s)), 0);
	s = "HTTP/ 200";
	assert_int_equal(bvapm_http_status_in(s, strlen(s)), 0);
}

/* Every prefix of some inputs, placed so that its last byte is the last
 * byte before a page that cannot be read. */
static void never_reads_past_input(void **state)
{
	(void)state;
	long page = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	const char *inputs[] = {"https://u:p@[::1]:8443/a/b?c=d#e", "HTTP/1.1 404 x", "traceparent: 1\r\n",
	                        "ftp.x.org"};
	for (size_t k = 0; k < sizeof(inputs) / sizeof(inputs[0]); k++) {
		size_t len = strlen(inputs[k]);
		for (size_t cut = 0; cut <= len; cut++) {
			char *p = map + page - cut;
			memcpy(p, inputs[k], cut);
			bvapm_http_names(p, cut, "GET", 3, true, &n);
			bvapm_http_names(p, cut, "GET", 3, false, &n);
			(void)bvapm_http_status_in(p, cut);
			(void)bvapm_http_headers_have(p, cut, "traceparent");
			(void)bvapm_http_header_is(p, cut, "traceparent");
		}
	}
	munmap(map, (size_t)page * 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(targets_and_names),
		cmocka_unit_test(schemes),
		cmocka_unit_test(query_kept_when_asked),
		cmocka_unit_test(bounded),
		cmocka_unit_test(headers),
		cmocka_unit_test(status_lines),
		cmocka_unit_test(never_reads_past_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
