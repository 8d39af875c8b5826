/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the drainer unit tests: temporary directories and
 * codec-encoded request records. */
#ifndef BVAPM_DRAINER_TEST_UTIL_H
#define BVAPM_DRAINER_TEST_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/record.h"
#include "drainer/sink.h"

static inline char *tu_tmpdir(void)
{
	char tmpl[] = "/tmp/bvapm-drainer-unit-XXXXXX";
	char *d = mkdtemp(tmpl);
	return d ? strdup(d) : NULL;
}

static inline void tu_rmrf(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", dir);
}

/* Encodes a request record of (pid, start, seq) into buf (8-aligned). */
static inline size_t tu_request(void *buf, size_t cap, uint32_t pid, uint64_t start, uint64_t seq)
{
	struct bvapm_rec_envelope env = {
		.host = bvapm_rec_cstr("unit"), .pid = pid, .producer_start_unix_ns = start,
		.sequence = seq, .wall_unix_ns = 1700000000000000000ull,
	};
	struct bvapm_rec_checkpoint cp[1] = { { bvapm_rec_cstr("boot"), 10, 1000, 1000, 1000 } };
	struct bvapm_rec_sql sql[1] = { { bvapm_rec_cstr("SELECT 1"), 2, 30, 20, 1, false } };
	struct bvapm_rec_function fn[1] = { { bvapm_rec_cstr("main"), 1, 100, 50, 10 } };
	struct bvapm_rec_error er[1] = { { .type = bvapm_rec_cstr("E_WARNING"),
	                                   .message = bvapm_rec_cstr("x"),
	                                   .file = bvapm_rec_cstr("a.php"), .line = 3, .count = 1 } };
	struct bvapm_rec_request req = {
		.method = bvapm_rec_cstr("GET"), .uri = bvapm_rec_cstr("/a"),
		.route = bvapm_rec_cstr("/a"), .status = 200, .wall_ns = 1000 + seq,
		.mem_peak_bytes = 4096, .checkpoints = cp, .checkpoint_count = 1, .sql = sql,
		.sql_count = 1, .functions = fn, .function_count = 1, .errors = er, .error_count = 1,
	};
	ssize_t n = bvapm_rec_encode_request(buf, cap, &env, &req);
	return n > 0 ? (size_t)n : 0;
}

static inline void tu_sink_record(struct bvapm_sink_record *r, const void *buf, size_t len,
                                  uint32_t pid, uint64_t start, uint64_t seq)
{
	r->data = buf;
	r->len = (uint32_t)len;
	r->kind = 1;
	r->pid = pid;
	r->producer_start_unix_ns = start;
	r->sequence = seq;
}

#endif
