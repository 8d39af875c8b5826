/*
 * agent_config.h — the agent's configuration as the core takes it at
 * bvapm_agent_init(): the modes, the SQL capture's settings, and the bounds
 * that size the core's fixed tables.
 *
 * Threads: read-only after init (the PHP thread).
 */
#ifndef BVAPM_AGENT_CONFIG_H
#define BVAPM_AGENT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum bvapm_agent_mode {
	BVAPM_MODE_LIGHT = 1,      /* sampled summaries (sample_rate) */
	BVAPM_MODE_AGGRESSIVE = 2, /* every request, full detail */
	BVAPM_MODE_TARGETED = 3,   /* only forced requests */
};

#define BVAPM_AGENT_MAX_CHECKPOINTS 64 /* upper bound of bvapm.max_checkpoints */
#define BVAPM_SQL_MAX_STATEMENTS 5000  /* upper bound of bvapm.sql_max_statements */
#define BVAPM_AGENT_ATTACH_RETRY_MS 5000u

struct bvapm_agent_sql_config {
	bool capture;                  /* bvapm.sql_capture */
	bool keep_literals;            /* bvapm.sql_keep_literals */
	uint32_t n_plus_one_threshold; /* bvapm.sql_n_plus_one_threshold (0: never flag) */
	uint32_t max_statements;       /* bvapm.sql_max_statements (1..5000) */
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
	uint32_t profile_top_n;       /* functions in the record (0: 50) */
	uint32_t profile_max_functions; /* distinct functions tracked per request (0: 1000) */
	const char *service;          /* service / application name */
	struct bvapm_agent_sql_config sql; /* SQL capture (agent_sql.h) */
	const char *host;             /* host name (NULL: gethostname at init) */
	uint32_t attach_retry_ms;     /* between attach attempts while no ring (0: 5000) */
	uid_t ring_owner;             /* the drainer's user, trusted besides root and our own
	                                 (bvapm_ring_set_trusted_owner); 0 or (uid_t)-1: none */
};

/* Parses a mode name ("light", "aggressive", "targeted"); 0 if unknown. */
enum bvapm_agent_mode bvapm_agent_mode_parse(const char *name);
const char *bvapm_agent_mode_name(enum bvapm_agent_mode mode);

#endif
