/*
 * shm.h — bvapm-shm, the operator's view of a live ring: commands share the
 * parsed options and the ring handle opening with its error reporting.
 *
 * Exit codes (documented in docs/bvapm-shm.md):
 *   0 success   1 check found problems   2 usage error
 *   3 no ring   4 permission denied      5 incompatible or corrupt ring
 *   6 other system error
 */
#ifndef BVAPM_SHM_H
#define BVAPM_SHM_H

#include <stdbool.h>

#include "ring.h"

enum shm_exit {
	SHM_OK = 0,
	SHM_PROBLEMS = 1,
	SHM_USAGE = 2,
	SHM_NO_RING = 3,
	SHM_PERMISSION = 4,
	SHM_INCOMPATIBLE = 5,
	SHM_SYSTEM = 6,
};

struct shm_opts {
	const char *ring_name;
	bool json;
};

/* Opens the ring, or prints the error to stderr (JSON on stdout with --json)
 * and returns the exit code to use. */
int shm_open_ring(const struct shm_opts *o, enum bvapm_ring_role role, bvapm_ring **out);

int shm_cmd_stat(const struct shm_opts *o, int argc, char **argv);
int shm_cmd_check(const struct shm_opts *o, int argc, char **argv);
int shm_cmd_disable(const struct shm_opts *o, int argc, char **argv);
int shm_cmd_enable(const struct shm_opts *o, int argc, char **argv);

/* "12.3 KiB" */
const char *shm_bytes(unsigned long long n, char *buf, unsigned len);

#endif
