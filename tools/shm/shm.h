/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shm.h — bvapm-shm, the operator's view of a live ring: commands share the
 * parsed options, option parsing (--json and --help after any command), the
 * ring handle opening with its error reporting, and signal handling for the
 * commands that run until interrupted (top, stat --watch, peek --follow).
 *
 * Every command only reads the ring (a READONLY mapping) except disable and
 * enable, which write the control words. Single-threaded.
 *
 * Exit codes (documented in docs/tools.md):
 *   0 success   1 problems found (check; peek: records skipped as invalid)
 *   2 usage error   3 no ring   4 permission denied
 *   5 incompatible or corrupt ring   6 other system error
 */
#ifndef BVAPM_SHM_H
#define BVAPM_SHM_H

#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "ring/ring_inspect.h"

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

/* Prints "bvapm-shm: <message>" to stderr (and {"error", "exit_code"} on
 * stdout with --json); returns code. */
int shm_fail(const struct shm_opts *o, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A command's own options, after argv[0] (the command name). --json and
 * --help are accepted by every command. `handle` is called for each other
 * option and returns SHM_OK, an exit code, or -1 for an unknown option.
 * No command takes arguments: one left after the options is the usage
 * error `no_args` ("stat takes no arguments"). Returns SHM_OK or an exit
 * code. */
typedef int shm_option_fn(struct shm_opts *o, int opt, const char *arg, void *ctx);
int shm_parse_common(struct shm_opts *o, int argc, char **argv, const char *shortopts,
                     const struct option *longopts, shm_option_fn *handle, void *ctx,
                     const char *no_args);

/* Number parsing for options; returns 0 or -1. */
int shm_parse_count(const char *s, unsigned long *out); /* >= 1 */
/* The value of option `name` (e.g. "-i"): seconds, > 0 and <= one day; a
 * number >= 1. Return SHM_OK, or SHM_USAGE after saying what it wants. */
int shm_option_seconds(const struct shm_opts *o, const char *name, const char *arg, double *out);
int shm_option_count(const struct shm_opts *o, const char *name, const char *arg,
                     unsigned long *out);

/* Prints j (pretty) and releases it. */
void shm_print_json(json_object *j);

/* SIGINT/SIGTERM set a flag instead of killing the process (so a terminal
 * can be restored); sleeps are interrupted. */
void shm_catch_stop_signals(void);
bool shm_stop_requested(void);
/* Sleeps until CLOCK_MONOTONIC reaches deadline_ns or a stop signal. */
void shm_sleep_until(uint64_t deadline_ns);
uint64_t shm_now_ns(int clock);

int shm_cmd_stat(const struct shm_opts *o, int argc, char **argv);
int shm_cmd_check(const struct shm_opts *o, int argc, char **argv);
int shm_cmd_disable(const struct shm_opts *o, int argc, char **argv);
int shm_cmd_enable(const struct shm_opts *o, int argc, char **argv);
int shm_cmd_peek(const struct shm_opts *o, int argc, char **argv);
int shm_cmd_top(const struct shm_opts *o, int argc, char **argv);

/* stat --watch (cmd_watch.c) */
int shm_stat_watch(const struct shm_opts *o, double interval_s, unsigned long count);

/* control words (cmd_control.c) */
const char *shm_mode_name(uint32_t value);
int shm_mode_parse(const char *name, uint32_t *value);
json_object *shm_control_json(const struct bvapm_ring_control *ctl);
void shm_control_text(const struct bvapm_ring_control *ctl);

/* "12.3 KiB" */
const char *shm_bytes(unsigned long long n, char *buf, unsigned len);

#endif
