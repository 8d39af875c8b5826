/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lock.c — see lock.h. The pid is written after the lock is taken, so a
 * reader that fails to take it finds the holder's pid in the file.
 */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int bvapm_lock_acquire(const char *path, char *msg, size_t msglen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		int e = errno;
		snprintf(msg, msglen, "cannot open lock file %s: %s", path, strerror(e));
		return -e;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		char buf[32] = "";
		ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
		if (n > 0)
			buf[n] = 0;
		buf[strcspn(buf, "\n")] = 0;
		if (e == EWOULDBLOCK)
			snprintf(msg, msglen,
			         "another bvapm-drainer is running (pid %s, lock %s); stop it first",
			         buf[0] ? buf : "unknown", path);
		else
			snprintf(msg, msglen, "cannot lock %s: %s", path, strerror(e));
		close(fd);
		return -e;
	}
	char pid[32];
	int len = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		/* The lock holds regardless; only the pid hint is missing. */
	}
	return fd;
}
