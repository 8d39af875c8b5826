/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_sql.c — per-process SQL capture state (see agent_sql.h).
 *
 * One static struct, used by the PHP thread only. The statement table and
 * its arena are allocated once at init (sql_max_statements entries, 512 bytes
 * of text each on average but at least 8 KiB, statements up to 1 KiB), and
 * so is the cache of normalized statements (sql_cache.h: 512 statements,
 * 256 KiB of text), so a script running 100 000 queries uses exactly the
 * memory of one running ten.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "support/bvapm_clock.h"
#include "agent_calls.h"
#include "agent_sql.h"
#include "sql_cache.h"

enum bvapm_sql_level bvapm_sql_level_now = BVAPM_SQL_OFF;

#define NEST_MAX 8

struct stmt_slot {
	uint32_t handle;
	uint32_t request;  /* request number it was set in; 0 = never */
	int32_t id;
};

static struct {
	struct bvapm_agent_sql_config cfg;
	struct bvapm_sql_stats stats;
	struct bvapm_sql_cache cache; /* normalized statements of earlier executions */
	bool initialised;
	bvapm_ring *ring;            /* for the live slot; NULL: none */
	uint32_t request;            /* request number, never 0 */
	uint64_t agent_ns;           /* own time this request */
	char text[BVAPM_SQL_MAX_TEXT + 1];
	struct stmt_slot stmts[BVAPM_SQL_STMT_SLOTS];
	/* statements running inside each other (a query run from a SQLite
	 * function called by a query): the live slot goes back to the outer
	 * one when the inner one ends; deeper than NEST_MAX: cleared */
	uint32_t depth;
	int32_t nest_id[NEST_MAX];
	uint64_t nest_start[NEST_MAX];
} s;

static uint64_t now_ns(void) { return bvapm_mono_ns(); /* vDSO: no system call */ }

int bvapm_agent_sql_init(const struct bvapm_agent_sql_config *cfg)
{
	bvapm_agent_sql_shutdown();
	const struct bvapm_agent_setting_bounds *b = &bvapm_agent_settings[BVAPM_SETTING_SQL_MAX_STATEMENTS];
	if (cfg->max_statements < b->lo || cfg->max_statements > b->hi)
		return -EINVAL; /* bvapm_agent_init has checked it; a direct caller may not */
	s.cfg = *cfg;
	if (!s.cfg.capture)
		return 0; /* nothing to hold */
	/* at least a few statements of the longest kind, whatever the count */
	size_t arena = (size_t)s.cfg.max_statements * BVAPM_SQL_ARENA_PER_STATEMENT;
	if (arena < 8 * (BVAPM_SQL_MAX_TEXT + 1))
		arena = 8 * (BVAPM_SQL_MAX_TEXT + 1);
	int rc = bvapm_sql_stats_init(&s.stats, s.cfg.max_statements, arena, s.cfg.n_plus_one_threshold);
	if (rc != 0)
		return rc;
	/* without it every statement is normalized: slower, not wrong */
	(void)bvapm_sql_cache_init(&s.cache, BVAPM_SQL_CACHE_STATEMENTS, BVAPM_SQL_CACHE_ARENA);
	s.initialised = true;
	return 0;
}

void bvapm_agent_sql_shutdown(void)
{
	bvapm_sql_level_now = BVAPM_SQL_OFF;
	if (s.initialised) {
		bvapm_sql_stats_free(&s.stats);
		bvapm_sql_cache_free(&s.cache);
	}
	memset(&s, 0, sizeof(s));
}

void bvapm_agent_sql_request_begin(bool full_detail, bvapm_ring *ring)
{
	bvapm_sql_level_now = BVAPM_SQL_OFF;
	if (!s.initialised)
		return;
	bvapm_sql_stats_reset(&s.stats);
	if (++s.request == 0)
		s.request = 1; /* 0 marks a never-used statement slot */
	s.agent_ns = 0;
	s.depth = 0; /* a statement left by a fatal error (longjmp) never ended */
	s.ring = ring;
	bvapm_sql_level_now = full_detail ? BVAPM_SQL_FULL : BVAPM_SQL_TOTALS;
}

void bvapm_agent_sql_request_end(void)
{
	bvapm_sql_level_now = BVAPM_SQL_OFF;
	s.ring = NULL;
}

uint64_t bvapm_agent_sql_fill(struct bvapm_rec_request *req)
{
	if (!s.initialised)
		return 0;
	req->sql_count = bvapm_sql_stats_export(&s.stats, &req->sql);
	req->sql_total_count = s.stats.total_count > UINT32_MAX ? UINT32_MAX : (uint32_t)s.stats.total_count;
	req->sql_total_ns = s.stats.total_ns;
	return s.agent_ns;
}

const struct bvapm_sql_stats *bvapm_agent_sql_stats(void) { return &s.stats; }

const struct bvapm_sql_cache *bvapm_agent_sql_cache(void) { return &s.cache; }

int32_t bvapm_agent_sql_statement(const char *sql, size_t len, unsigned flags)
{
	if (bvapm_sql_level_now != BVAPM_SQL_FULL || sql == NULL)
		return BVAPM_SQL_UNTRACKED;
	uint64_t t0 = now_ns();
	if (s.cfg.keep_literals)
		flags |= BVAPM_SQL_KEEP_LITERALS;
	const char *text;
	uint64_t hash;
	size_t n = bvapm_sql_cache_normalize(&s.cache, sql, len, flags, s.text, sizeof(s.text), &text, &hash);
	int32_t id = bvapm_sql_stats_intern_hashed(&s.stats, text, n, hash);
	s.agent_ns += now_ns() - t0;
	return id;
}

uint64_t bvapm_agent_sql_start(int32_t id)
{
	uint64_t t0 = now_ns();

	if (s.depth < NEST_MAX) {
		s.nest_id[s.depth] = id;
		s.nest_start[s.depth] = t0;
	}
	s.depth++;
	if (s.ring != NULL && id >= 0)
		bvapm_ring_slot_sql(s.ring, bvapm_sql_stats_text(&s.stats, id), t0);
	return t0;
}

void bvapm_agent_sql_done(int32_t id, uint64_t start_ns, uint64_t rows)
{
	uint64_t t1 = now_ns();

	if (bvapm_sql_level_now == BVAPM_SQL_OFF)
		return; /* the request ended inside the statement (exit in a callback) */
	if (s.depth > 0)
		s.depth--;
	if (s.ring != NULL) {
		int32_t outer = s.depth > 0 && s.depth <= NEST_MAX ? s.nest_id[s.depth - 1] : BVAPM_SQL_UNTRACKED;
		if (outer >= 0)
			bvapm_ring_slot_sql(s.ring, bvapm_sql_stats_text(&s.stats, outer), s.nest_start[s.depth - 1]);
		else if (id >= 0)
			bvapm_ring_slot_sql(s.ring, NULL, 0);
	}
	bvapm_sql_stats_add(&s.stats, id, t1 - start_ns, rows);
	if (id >= 0) {
		const char *text = bvapm_sql_stats_text(&s.stats, id);
		agent_calls_sql(text, strlen(text), start_ns, t1);
	}
}

void bvapm_agent_sql_rows(int32_t id, uint64_t rows)
{
	if (bvapm_sql_level_now == BVAPM_SQL_FULL)
		bvapm_sql_stats_add_rows(&s.stats, id, rows);
}

static struct stmt_slot *stmt_slot(uint32_t handle)
{
	return &s.stmts[handle & (BVAPM_SQL_STMT_SLOTS - 1)];
}

void bvapm_agent_sql_stmt_set(uint32_t handle, int32_t id)
{
	if (bvapm_sql_level_now != BVAPM_SQL_FULL)
		return;
	struct stmt_slot *slot = stmt_slot(handle);
	slot->handle = handle;
	slot->request = s.request;
	slot->id = id;
}

int32_t bvapm_agent_sql_stmt_get(uint32_t handle)
{
	const struct stmt_slot *slot = stmt_slot(handle);

	if (bvapm_sql_level_now != BVAPM_SQL_FULL || slot->request != s.request || slot->handle != handle)
		return BVAPM_SQL_NO_STMT;
	return slot->id;
}

void bvapm_agent_sql_stmt_forget(uint32_t handle)
{
	struct stmt_slot *slot = stmt_slot(handle);

	if (slot->handle == handle)
		slot->request = 0;
}
