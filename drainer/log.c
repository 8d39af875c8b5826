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

/* Writes byte c into e (4 bytes) as a log shows it; returns its length. */
static size_t escape_byte(unsigned char c, bool backslash, char e[4])
{
	static const char hex[] = "0123456789abcdef";

	if (c == '\\' && backslash) {
		e[0] = e[1] = '\\';
		return 2;
	}
	if (c >= 0x20 && c <= 0x7e) {
		e[0] = (char)c;
		return 1;
	}
	e[0] = '\\';
	e[1] = 'x';
	e[2] = hex[c >> 4];
	e[3] = hex[c & 15];
	return 4;
}

/* Escapes up to n bytes of s (stopping at a NUL) into out, which has room for
 * cap bytes and is NUL-terminated; cut with "..." when it is too small.
 * Returns the length written. */
static size_t escape(char *out, size_t cap, const unsigned char *s, size_t n, bool backslash)
{
	size_t o = 0, keep = 0; /* keep: last escape boundary leaving room for "..." */

	if (cap == 0)
		return 0;
	for (size_t i = 0; i < n && s[i] != '\0'; i++) {
		char e[4];
		size_t k = escape_byte(s[i], backslash, e);
		if (o + k > cap - 1) {
			if (cap >= 4) {
				memcpy(out + keep, "...", 3);
				o = keep + 3;
			}
			break;
		}
		memcpy(out + o, e, k);
		o += k;
		if (cap >= 4 && o <= cap - 4)
			keep = o;
	}
	out[o] = '\0';
	return o;
}

const char *bvapm_log_escape(char *out, size_t cap, const void *s, size_t n)
{
	if (s == NULL)
		s = "";
	escape(out, cap, s, n, true);
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
	n += escape(line + n, sizeof line - n - 1, (const unsigned char *)msg, sizeof msg, false);
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
}
