/*
 * log.h — leveled logging to stderr (systemd's journal picks stderr up with
 * the <N> priority prefix when JOURNAL_STREAM is set).
 *
 * Threads: any thread; one write(2) per line so lines never interleave. The
 * level is a relaxed atomic (a reload may change it while threads log).
 */
#ifndef BVAPM_DRAINER_LOG_H
#define BVAPM_DRAINER_LOG_H

enum bvapm_log_level { BVAPM_LOG_ERROR = 0, BVAPM_LOG_WARN, BVAPM_LOG_INFO, BVAPM_LOG_DEBUG };

void bvapm_log_set_level(int level);
int bvapm_log_level(void);
/* "error", "warn", "info", "debug" -> level, or -1. */
int bvapm_log_parse_level(const char *s);
void bvapm_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_E(...) bvapm_log(BVAPM_LOG_ERROR, __VA_ARGS__)
#define LOG_W(...) bvapm_log(BVAPM_LOG_WARN, __VA_ARGS__)
#define LOG_I(...) bvapm_log(BVAPM_LOG_INFO, __VA_ARGS__)
#define LOG_D(...) bvapm_log(BVAPM_LOG_DEBUG, __VA_ARGS__)

#endif
