/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_config.h — the agent's configuration as the core takes it at
 * bvapm_agent_init(), and the one table of bounds and defaults of its
 * numeric settings.
 *
 * One set of bounds: the module (agent/php/bvapm_module.c) normalizes each
 * INI value against this table at MINIT — clamped to the nearest bound, or
 * the default when not a number, with one warning naming the setting — and
 * bvapm_agent_init() refuses (-EINVAL, one log line) a configuration outside
 * it, so a caller that skipped the normalization gets an error instead of a
 * silent fix-up. A caller that sets only some fields starts from
 * bvapm_agent_config_defaults(), which holds the INI defaults.
 *
 * Threads: the table is constant; a configuration is read-only after init
 * (the PHP thread).
 */
#ifndef BVAPM_AGENT_CONFIG_H
#define BVAPM_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum bvapm_agent_mode {
	BVAPM_MODE_LIGHT = 1,      /* sampled summaries (sample_rate) */
	BVAPM_MODE_AGGRESSIVE = 2, /* every request, full detail */
	BVAPM_MODE_TARGETED = 3,   /* only forced requests */
};

#define BVAPM_AGENT_MAX_CHECKPOINTS 64 /* upper bound of bvapm.max_checkpoints */
#define BVAPM_SQL_MAX_STATEMENTS 5000  /* upper bound of bvapm.sql_max_statements */
#define BVAPM_AGENT_ATTACH_RETRY_MS 5000u /* default between attach attempts */

/* Defaults of the numeric settings. Plain numbers: the module spells them as
 * its INI defaults (what `php --ri bvapm` shows), the table below holds them
 * as values. */
#define BVAPM_DEFAULT_SAMPLE_RATE 0.01
#define BVAPM_DEFAULT_SLOW_THRESHOLD_MS 1000
#define BVAPM_DEFAULT_OVERHEAD_BUDGET_US 2000
#define BVAPM_DEFAULT_MAX_CHECKPOINTS 64
#define BVAPM_DEFAULT_RECORD_BUFFER_SIZE 262144
#define BVAPM_DEFAULT_PROFILE_TOP_N 50
#define BVAPM_DEFAULT_PROFILE_MAX_FUNCTIONS 1000
#define BVAPM_DEFAULT_PROFILE_FOLD_NS 0 /* profile_fold.h: off, every call timed */
#define BVAPM_DEFAULT_SQL_N_PLUS_ONE_THRESHOLD 10
#define BVAPM_DEFAULT_SQL_MAX_STATEMENTS 100

struct bvapm_agent_sql_config {
	bool capture;                  /* bvapm.sql_capture */
	bool keep_literals;            /* bvapm.sql_keep_literals */
	uint32_t n_plus_one_threshold; /* bvapm.sql_n_plus_one_threshold (0: never flag) */
	uint32_t max_statements;       /* bvapm.sql_max_statements (1..5000) */
};

/* Outbound calls (agent_calls.h). */
struct bvapm_agent_calls_config {
	bool http;                     /* bvapm.http_capture: curl and http:// streams */
	bool cache;                    /* bvapm.cache_capture: Redis and Memcached */
	bool propagate;                /* bvapm.trace_propagation: traceparent sent with HTTP calls */
	bool keep_query;               /* bvapm.http_keep_query: URLs keep their query string */
};

struct bvapm_agent_config {
	bool enabled;
	const char *ring_name;
	enum bvapm_agent_mode mode;
	double sample_rate;           /* 0..1, light mode */
	uint32_t slow_threshold_ms;   /* slower requests always kept (summary) */
	uint32_t overhead_budget_us;  /* agent time per request before detail is reduced */
	uint32_t max_checkpoints;     /* <= BVAPM_AGENT_MAX_CHECKPOINTS */
	uint32_t record_buffer_size;  /* bytes of the per-worker encode buffer */
	bool profile;                 /* function profile in full-detail requests (aggressive, forced) */
	uint32_t profile_top_n;       /* functions in the record (<= profile_max_functions) */
	uint32_t profile_max_functions; /* distinct functions tracked per request */
	bool profile_clock_tsc;       /* the profile may time calls with the TSC (profile_clock.h) */
	const char *service;          /* service / application name */
	struct bvapm_agent_sql_config sql; /* SQL capture (agent_sql.h) */
	struct bvapm_agent_calls_config calls; /* outbound calls (agent_calls.h) */
	uint32_t sampling_hz;         /* statistical profile: samples per second (0: off; agent_sampler.h) */
	uint32_t profile_fold_ns;     /* built-ins this cheap on average stop being timed (0: never; profile_fold.h) */
	const char *host;             /* host name (NULL: gethostname at init) */
	uint32_t attach_retry_ms;     /* between attach attempts while no ring (>= 1) */
	uid_t ring_owner;             /* the drainer's user, trusted besides root and our own
	                                 (bvapm_ring_set_trusted_owner); 0 or (uid_t)-1: none */
};

/* The numeric settings, in the order they are normalized and checked: a
 * setting bounded by another one comes after it. */
enum bvapm_agent_setting {
	BVAPM_SETTING_SAMPLE_RATE,
	BVAPM_SETTING_SLOW_THRESHOLD_MS,
	BVAPM_SETTING_OVERHEAD_BUDGET_US,
	BVAPM_SETTING_MAX_CHECKPOINTS,
	BVAPM_SETTING_RECORD_BUFFER_SIZE,
	BVAPM_SETTING_PROFILE_MAX_FUNCTIONS,
	BVAPM_SETTING_PROFILE_TOP_N,
	BVAPM_SETTING_SQL_N_PLUS_ONE_THRESHOLD,
	BVAPM_SETTING_SQL_MAX_STATEMENTS,
	BVAPM_SETTING_SAMPLING_HZ,
	BVAPM_SETTING_PROFILE_FOLD_NS,
	BVAPM_SETTING_COUNT
};

#define BVAPM_SETTING_NONE (-1)

struct bvapm_agent_setting_bounds {
	const char *name;   /* as in php.ini: "bvapm.max_checkpoints" */
	bool real;          /* a fraction (a double in the config), else a whole number (uint32_t) */
	double lo, hi;      /* inclusive */
	double fallback;    /* the default */
	int at_most;        /* a setting this one may not exceed, or BVAPM_SETTING_NONE */
	size_t offset;      /* of the field in struct bvapm_agent_config */
};

extern const struct bvapm_agent_setting_bounds bvapm_agent_settings[BVAPM_SETTING_COUNT];

/* Every field at its default: the INI defaults (mode light, so no function
 * profile; SQL capture on), the default ring, gethostname() for the host,
 * no trusted ring owner besides root and our own user. */
void bvapm_agent_config_defaults(struct bvapm_agent_config *cfg);

/* A numeric setting's value in cfg, and sets it (v within the field's type). */
double bvapm_agent_config_number(const struct bvapm_agent_config *cfg, enum bvapm_agent_setting s);
void bvapm_agent_config_set_number(struct bvapm_agent_config *cfg, enum bvapm_agent_setting s,
                                   double v);

/* 0 when cfg is within every bound (mode known, attach_retry_ms >= 1);
 * else -EINVAL and why[0..len) says which setting and its range. */
int bvapm_agent_config_check(const struct bvapm_agent_config *cfg, char *why, size_t len);

/* Parses a mode name ("light", "aggressive", "targeted"); 0 if unknown. */
enum bvapm_agent_mode bvapm_agent_mode_parse(const char *name);
const char *bvapm_agent_mode_name(enum bvapm_agent_mode mode);

#endif
