/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_log.c — the drainer's log never carries an unprintable byte: the
 * escape helper for strings from shared memory and records (printable ASCII
 * kept, the backslash doubled, everything else \xNN, bounded with "..."),
 * and bvapm_log itself, which escapes whatever reaches it unescaped and
 * writes exactly one line per call. stderr is captured through a pipe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "drainer/log.h"

static void test_escape(void **state)
{
	(void)state;
	char out[64];

	assert_string_equal(bvapm_log_escape(out, sizeof out, "GET /a b", 100), "GET /a b");
	assert_string_equal(bvapm_log_escape(out, sizeof out, "a\nb\\c\x1b[2J\xff", 100),
	                    "a\\x0ab\\\\c\\x1b[2J\\xff");
	/* stops at the NUL, or after n bytes of an unterminated field */
	assert_string_equal(bvapm_log_escape(out, sizeof out, "ab\0cd", 5), "ab");
	assert_string_equal(bvapm_log_escape(out, sizeof out, "abcdef", 3), "abc");
	assert_string_equal(bvapm_log_escape(out, sizeof out, NULL, 3), "");
}

static void test_escape_bounded(void **state)
{
	(void)state;
	char out[12], in[100];

	memset(in, 'x', sizeof in);
	assert_string_equal(bvapm_log_escape(out, sizeof out, in, sizeof in), "xxxxxxxx...");
	/* never cut inside an escape */
	memset(in, '\n', sizeof in);
	assert_string_equal(bvapm_log_escape(out, sizeof out, in, sizeof in), "\\x0a\\x0a...");
	/* fits exactly: no marker */
	assert_string_equal(bvapm_log_escape(out, sizeof out, "\n\n", 2), "\\x0a\\x0a");
	char tiny[4];
	assert_string_equal(bvapm_log_escape(tiny, sizeof tiny, "abcdef", 6), "...");
}

/* Runs fn with stderr going into a pipe; returns what it wrote. */
static char *capture(void (*fn)(void))
{
	static char buf[8192];
	int fds[2], saved = dup(STDERR_FILENO);

	assert_int_equal(pipe(fds), 0);
	dup2(fds[1], STDERR_FILENO);
	close(fds[1]);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	ssize_t n = read(fds[0], buf, sizeof buf - 1);
	close(fds[0]);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void log_raw_bytes(void) { LOG_W("worker said %s", "x\ny\r\x1b]0;pwned\x07\xc3\xa9"); }

static void log_long(void)
{
	static char big[5000];
	memset(big, '\n', sizeof big - 1);
	LOG_E("%s", big);
}

static void assert_one_printable_line(const char *s)
{
	size_t n = strlen(s);

	assert_true(n > 0 && n <= 1024);
	assert_int_equal(s[n - 1], '\n');
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			fail_msg("byte 0x%02x at %zu in \"%s\"", (unsigned char)s[i], i, s);
}

static void test_log_lines_printable(void **state)
{
	(void)state;
	unsetenv("JOURNAL_STREAM");
	const char *line = capture(log_raw_bytes);
	assert_one_printable_line(line);
	assert_non_null(strstr(line, "worker said x\\x0ay\\x0d\\x1b]0;pwned\\x07\\xc3\\xa9\n"));
	line = capture(log_long);
	assert_one_printable_line(line);
	assert_non_null(strstr(line, "\\x0a\\x0a"));
	setenv("JOURNAL_STREAM", "8:1", 1);
	line = capture(log_raw_bytes);
	assert_one_printable_line(line);
	assert_memory_equal(line, "<4>worker said x\\x0a", 20);
	unsetenv("JOURNAL_STREAM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_bounded),
		cmocka_unit_test(test_log_lines_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
