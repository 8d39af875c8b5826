/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lock.h — single-instance lock: flock(LOCK_EX|LOCK_NB) on a lock file that
 * holds the owner's pid. The kernel drops the lock when the process dies
 * (SIGKILL included), so a stale file never blocks a restart.
 */
#ifndef BVAPM_DRAINER_LOCK_H
#define BVAPM_DRAINER_LOCK_H

#include <stddef.h>

/* Returns the locked fd (keep it open for the life of the process), or
 *   -EWOULDBLOCK  another drainer holds it (msg names its pid)
 *   -errno        the file cannot be created or opened (msg says which)
 */
int bvapm_lock_acquire(const char *path, char *msg, size_t msglen);

#endif
