/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c — see log.h. Under systemd (JOURNAL_STREAM set) each line starts with
 * the syslog priority "<3>".."<7>" so the journal records the level; otherwise
 * a timestamp and the level name. No allocation; lines are cut at 1 KiB.
 *
 * Every line is printable ASCII: strings from shared memory or records go
 * through bvapm_log_escape (unambiguous: the backslash is escaped too), and
 * bvapm_log itself writes any byte outside 0x20..0x7e that reaches it anyway
 * as \xNN, so no caller can put a newline, a terminal escape or raw binary
 * into the log.
 */
#include "log.h"
#include "support/bvapm_text.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_level = BVAPM_LOG_INFO;

void bvapm_log_set_level(int level)
{
	/* Relaxed: a reload racing a log line may use either level. */
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

int bvapm_log_level(void)
{
	return __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

int bvapm_log_parse_level(const char *s)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

const char *bvapm_log_escape(char *out, size_t cap, const void *s, size_t n)
{
	if (s == NULL)
		s = "";
	bvapm_escape_printable(out, cap, s, n, true);
	return out;
}

void bvapm_log(int level, const char *fmt, ...)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	static const int prio[] = { 3, 4, 6, 7 };
	if (level > bvapm_log_level())
		return;
	char msg[1024], line[1024];
	size_t n;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (getenv("JOURNAL_STREAM")) {
		n = (size_t)snprintf(line, sizeof line, "<%d>", prio[level]);
	} else {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
		n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ bvapm-drainer[%d] %s: ",
		                      ts.tv_nsec / 1000000, (int)getpid(), names[level]);
	}
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	/* the message, printable, with room for the newline */
	n += bvapm_escape_printable(line + n, sizeof line - n - 1, (const unsigned char *)msg, sizeof msg, false);
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
}
