/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_sql.h — the agent's SQL capture, in plain C: what the PDO / mysqli
 * hooks (agent/php/bvapm_sql_hooks.c) call around each statement, and what
 * the core (agent_core.c) asks at request start and end; its settings are
 * struct bvapm_agent_sql_config (agent_config.h).
 *
 * Levels, decided at request start:
 *   OFF     not recording (agent off, kill switch, bvapm.sql_capture=0):
 *           the hooks test one global and call the original handler.
 *   TOTALS  detail reduced by the overhead guard: count and time only.
 *   FULL    every other recorded request: normalized statements, N+1 flags,
 *           the live slot. Light mode included, whatever the sampling draw:
 *           a request that turns out slow or failed is kept as a summary, and
 *           its SQL is usually why; normalizing costs well under a
 *           microsecond, against tens of microseconds for a database round
 *           trip (figures in docs/agent.md).
 *
 * Statement objects: a prepared statement's entry is remembered under the
 * object's handle in a direct-mapped table (BVAPM_SQL_STMT_SLOTS, tagged with
 * the request number, so nothing is reset per request). A statement evicted
 * from it is found again by its text where the driver keeps one (PDO), or
 * counted in the totals only (mysqli_stmt).
 *
 * Threads: the PHP thread only (NTS). No allocation after init.
 */
#ifndef BVAPM_AGENT_SQL_H
#define BVAPM_AGENT_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent_config.h"
#include "record/record.h"
#include "ring/ring_producer.h"
#include "sql_cache.h"
#include "sql_normalize.h"
#include "sql_stats.h"

#define BVAPM_SQL_MAX_TEXT 1024        /* bytes of one normalized statement */
#define BVAPM_SQL_ARENA_PER_STATEMENT 512
#define BVAPM_SQL_STMT_SLOTS 1024      /* statement objects remembered (power of two) */
#define BVAPM_SQL_NO_STMT INT32_MIN    /* statement object not known */
#define BVAPM_SQL_CACHE_STATEMENTS 512 /* normalized statements kept per process (sql_cache.h) */
#define BVAPM_SQL_CACHE_ARENA (256u << 10) /* bytes of their texts, as run and normalized */

enum bvapm_sql_level { BVAPM_SQL_OFF = 0, BVAPM_SQL_TOTALS = 1, BVAPM_SQL_FULL = 2 };

/* The current level; what the hooks test first. Written by the core at
 * request start and end only. Hidden: one direct load, no GOT. */
extern enum bvapm_sql_level bvapm_sql_level_now __attribute__((visibility("hidden")));
static inline bool bvapm_agent_sql_on(void) { return bvapm_sql_level_now != BVAPM_SQL_OFF; }

/* Core side. init returns 0, -EINVAL (max_statements outside its bounds in
 * agent_config.h) or -ENOMEM. */
int bvapm_agent_sql_init(const struct bvapm_agent_sql_config *cfg);
void bvapm_agent_sql_shutdown(void);
void bvapm_agent_sql_request_begin(bool full_detail, bvapm_ring *ring);
void bvapm_agent_sql_request_end(void);
/* Sets the request's sql list and totals; returns the agent's own time spent
 * on SQL in this request (ns), for the overhead guard. */
uint64_t bvapm_agent_sql_fill(struct bvapm_rec_request *req);
const struct bvapm_sql_stats *bvapm_agent_sql_stats(void); /* tests */
const struct bvapm_sql_cache *bvapm_agent_sql_cache(void); /* tests */

/* Hook side. `flags` are bvapm_sql_flags for the driver's dialect.
 * statement(): normalizes and interns a statement's text; returns its id
 * (or BVAPM_SQL_UNTRACKED). start() shows it in the live slot and returns
 * the start time; done() records one execution and clears the slot. */
int32_t bvapm_agent_sql_statement(const char *sql, size_t len, unsigned flags);
uint64_t bvapm_agent_sql_start(int32_t id);
void bvapm_agent_sql_done(int32_t id, uint64_t start_ns, uint64_t rows);
void bvapm_agent_sql_rows(int32_t id, uint64_t rows);

/* Statement objects (by object handle). get returns BVAPM_SQL_NO_STMT when
 * the handle is not remembered in this request. */
void bvapm_agent_sql_stmt_set(uint32_t handle, int32_t id);
int32_t bvapm_agent_sql_stmt_get(uint32_t handle);
void bvapm_agent_sql_stmt_forget(uint32_t handle);

#endif
