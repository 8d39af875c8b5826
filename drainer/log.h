/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h — leveled logging to stderr (systemd's journal picks stderr up with
 * the <N> priority prefix when JOURNAL_STREAM is set).
 *
 * Threads: any thread; one write(2) per line so lines never interleave. The
 * level is a relaxed atomic (a reload may change it while threads log).
 *
 * Lines are printable ASCII whatever the arguments: a string that came from
 * shared memory, a record or the network is printed through
 * bvapm_log_escape, and any other byte outside 0x20..0x7e is written \xNN.
 */
#ifndef BVAPM_DRAINER_LOG_H
#define BVAPM_DRAINER_LOG_H

#include <stddef.h>

enum bvapm_log_level { BVAPM_LOG_ERROR = 0, BVAPM_LOG_WARN, BVAPM_LOG_INFO, BVAPM_LOG_DEBUG };

void bvapm_log_set_level(int level);
int bvapm_log_level(void);
/* "error", "warn", "info", "debug" -> level, or -1. */
int bvapm_log_parse_level(const char *s);
/* A string of untrusted bytes as a log line shows it: up to n bytes of s
 * (stopping at a NUL; NULL is ""), printable ASCII kept, the backslash as
 * \\, every other byte as \xNN, cut with "..." to fit cap bytes (at least 4)
 * with the NUL. Returns out. */
const char *bvapm_log_escape(char *out, size_t cap, const void *s, size_t n);
void bvapm_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_E(...) bvapm_log(BVAPM_LOG_ERROR, __VA_ARGS__)
#define LOG_W(...) bvapm_log(BVAPM_LOG_WARN, __VA_ARGS__)
#define LOG_I(...) bvapm_log(BVAPM_LOG_INFO, __VA_ARGS__)
#define LOG_D(...) bvapm_log(BVAPM_LOG_DEBUG, __VA_ARGS__)

#endif
