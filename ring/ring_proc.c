/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_proc.c — process liveness from /proc, and error formatting.
 *
 * Used only off the hot path: by the consumer when a record stalls at the
 * head, by slot claim at attach, and by readers of the slot table. A pid is
 * alive when /proc/<pid>/stat exists and its state is not Z (zombie) or X
 * (dead): a worker killed with SIGKILL whose parent has not reaped it yet is a
 * zombie and counts as dead. The start time (field 22) lets callers tell a
 * reused pid from the original process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ring_internal.h"

int bvapm_proc_alive(uint32_t pid, uint64_t *start_ticks)
{
	char path[64], buf[512];
	ssize_t n;
	int fd;

	if (pid == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? 0 : 1; /* unknown: assume alive */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';

	/* "pid (comm) S ..." — comm may hold spaces and parentheses. */
	char *p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ' || p[2] == '\0')
		return 1;
	char state = p[2];
	if (start_ticks != NULL) {
		/* field 3 is the state; field 22 is starttime: skip 19 more fields */
		char *q = p + 2;
		*start_ticks = 0;
		for (int field = 3; field < 22 && q != NULL; field++) {
			q = strchr(q, ' ');
			if (q != NULL)
				q++;
		}
		if (q != NULL)
			*start_ticks = strtoull(q, NULL, 10);
	}
	return state != 'Z' && state != 'X' && state != 'x';
}

int bvapm_ring_fail(struct bvapm_ring_error *err, int code, const char *fmt, ...)
{
	if (err != NULL) {
		va_list ap;

		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}
