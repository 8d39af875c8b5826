/*
 * log.c — see log.h. Under systemd (JOURNAL_STREAM set) each line starts with
 * the syslog priority "<3>".."<7>" so the journal records the level; otherwise
 * a timestamp and the level name. No allocation; lines are cut at 1 KiB.
 */
#include "log.h"

#include <stdarg.h>
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

void bvapm_log(int level, const char *fmt, ...)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	static const int prio[] = { 3, 4, 6, 7 };
	if (level > bvapm_log_level())
		return;
	char line[1024];
	size_t n;
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
	va_list ap;
	va_start(ap, fmt);
	if (n < sizeof line)
		vsnprintf(line + n, sizeof line - n, fmt, ap);
	va_end(ap);
	n = strlen(line);
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
}
