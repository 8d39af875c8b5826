/*
 * agent_core.c — per-request recording: keep decision, bounded collection,
 * record encoding, ring write, attach and loss accounting.
 *
 * State is one static struct per process (the PHP thread is the only user).
 * After a fork (php-fpm forks its workers after MINIT) the pthread_atfork
 * child handler marks the identity stale; the next request re-reads the pid,
 * starts a new producer identity and sequence, and attaches its own handle.
 *
 * Keep decision, at request start: forced (header/cookie) or aggressive mode
 * → kept with full detail; light mode → kept with probability sample_rate;
 * targeted → only forced. At request end a request that was slow (wall >=
 * slow_threshold_ms) or failed (5xx, uncaught exception, fatal error) is kept
 * as a summary whatever the draw. Every kept request consumes one sequence
 * number, so a gap in (pid, producer start, sequence) downstream is a loss,
 * counted exactly, including records lost while no ring was attached.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "agent_core.h"
#include "profile.h"

/* The profiler's fixed bounds (the INI sets top_n and max_functions). */
#define PROFILE_MAX_PATHS 4096   /* calling-context tree nodes per request */
#define PROFILE_MAX_DEPTH 512    /* frames per stack */
#define PROFILE_MAX_FIBERS 32    /* fibers with their own stack at once */
#define PROFILE_TOP_PATHS 200    /* call paths in the record */
#define PROFILE_PATH_MAX 512     /* bytes of one call path */

struct arena {
	char *base;
	size_t used, cap;
};

static struct {
	/* configuration and process-wide */
	struct bvapm_agent_config cfg;
	char ring_name[BVAPM_RING_NAME_MAX + 1];
	char service[128];
	char host[256];
	bvapm_agent_log_fn log;
	bool initialised;
	uint8_t *encode_buf;
	struct arena arena;

	/* producer identity (reset after fork) */
	volatile bool identity_stale;
	uint32_t pid;
	uint64_t producer_start_unix_ns;
	uint64_t sequence;
	uint64_t rng;

	/* ring attachment */
	bvapm_ring *ring;
	uint64_t last_attach_ns;
	int last_attach_error;
	uint64_t pending_not_attached;
	uint64_t pending_incompatible; /* records while the ring was refused (owner/mode) */
	uint64_t pending_retired;  /* left unread in a ring we moved away from */
	uint64_t last_standing_ns; /* last stat of the ring's file (at most 1/s) */
	uint64_t replaced_since_ns; /* file replaced while its drainer still lives */
	bool moving;               /* left a ring: look for its successor every second */
	bool logged_full, logged_too_big, logged_budget;

	/* overhead guard */
	uint32_t reduced_remaining;
	uint32_t over_budget_streak; /* requests in a row past the overhead budget */

	/* the current request */
	bool active, keep_drawn, full_detail, forced, reduced;
	enum bvapm_agent_mode mode; /* effective: INI or the ring's override */
	uint64_t start_wall_ns, start_mono_ns, agent_ns;
	uint64_t cpu_user_us, cpu_sys_us;
	uint64_t mem_start;
	const char *method, *uri, *script, *sapi;
	uint8_t trace_id[16], span_id[8], parent_span_id[8];
	bool has_parent, trace_sampled;
	char trace_hex[33];
	struct bvapm_rec_checkpoint checkpoints[BVAPM_AGENT_MAX_CHECKPOINTS];
	uint32_t checkpoint_count, checkpoints_dropped;
	struct bvapm_rec_tag tags[BVAPM_AGENT_MAX_TAGS];
	uint32_t tag_count;
	struct bvapm_rec_counter counters[BVAPM_AGENT_MAX_COUNTERS];
	uint32_t counter_count;
	struct bvapm_rec_error errors[BVAPM_AGENT_MAX_ERRORS];
	uint32_t error_count;

	struct bvapm_agent_stats stats;

	/* function profile and fatal errors (profile.c) */
	bool profile_ok, profiling, fatal_written;
	struct bvapm_rec_function *top_functions;   /* cfg.profile_top_n */
	struct bvapm_rec_call_path *top_paths;      /* PROFILE_TOP_PATHS */
	struct bvapm_rec_frame error_frames[BVAPM_AGENT_ERROR_FRAMES];
	uint32_t error_frames_used;
} g;

/* ---- small helpers ------------------------------------------------------ */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts); /* vDSO for REALTIME/MONOTONIC: no system call */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (g.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	g.log(line);
}

static uint64_t rng_next(void)
{
	/* xorshift64*: the sampling draw and ids; not for secrets */
	g.rng ^= g.rng >> 12;
	g.rng ^= g.rng << 25;
	g.rng ^= g.rng >> 27;
	return g.rng * UINT64_C(2685821657736338717);
}

static void random_bytes(uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = rng_next();
		memcpy(out + i, &v, n - i < 8 ? n - i : 8);
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* Copies s[0..len) into the request arena; NULL when it is full. */
static const char *arena_copy(const char *s, size_t len, uint32_t *out_len)
{
	if (s == NULL)
		return NULL;
	if (g.arena.used + len + 1 > g.arena.cap)
		return NULL;
	char *dst = g.arena.base + g.arena.used;
	memcpy(dst, s, len);
	dst[len] = '\0';
	g.arena.used += len + 1;
	*out_len = (uint32_t)len;
	return dst;
}

static bvapm_rec_str arena_str(const char *s, size_t len)
{
	bvapm_rec_str r = {NULL, 0};
	r.ptr = arena_copy(s, len, &r.len);
	return r;
}

static void hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < 2 * n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (v < 0)
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return 0;
}

bool bvapm_agent_parse_traceparent(const char *h, uint8_t trace_id[16], uint8_t span_id[8],
                                   bool *sampled)
{
	uint8_t flags;

	/* version 00: "00-" 32 "-" 16 "-" 2 = 55 characters */
	if (h == NULL || strlen(h) < 55 || h[0] != '0' || h[1] != '0' || h[2] != '-' ||
	    h[35] != '-' || h[52] != '-' || (h[55] != '\0' && h[55] != '-'))
		return false;
	if (unhex(h + 3, trace_id, 16) != 0 || unhex(h + 36, span_id, 8) != 0 ||
	    unhex(h + 53, &flags, 1) != 0)
		return false;
	if (all_zero(trace_id, 16) || all_zero(span_id, 8))
		return false;
	*sampled = (flags & 1) != 0;
	return true;
}

enum bvapm_agent_mode bvapm_agent_mode_parse(const char *name)
{
	if (name == NULL)
		return 0;
	if (strcmp(name, "light") == 0)
		return BVAPM_MODE_LIGHT;
	if (strcmp(name, "aggressive") == 0)
		return BVAPM_MODE_AGGRESSIVE;
	if (strcmp(name, "targeted") == 0)
		return BVAPM_MODE_TARGETED;
	return 0;
}

const char *bvapm_agent_mode_name(enum bvapm_agent_mode mode)
{
	switch (mode) {
	case BVAPM_MODE_LIGHT: return "light";
	case BVAPM_MODE_AGGRESSIVE: return "aggressive";
	case BVAPM_MODE_TARGETED: return "targeted";
	}
	return "unknown";
}

/* ---- process identity and attachment ------------------------------------- */

static void on_fork_child(void)
{
	g.identity_stale = true;
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, on_fork_child);
}

static void refresh_identity(void)
{
	g.identity_stale = false;
	if (g.ring != NULL) {
		/* the parent's handle: unmap only (its slot stays the parent's) */
		bvapm_ring_close(g.ring);
		g.ring = NULL;
	}
	g.pid = (uint32_t)getpid();
	g.producer_start_unix_ns = clock_ns(CLOCK_REALTIME);
	g.sequence = 0;
	g.rng = (g.producer_start_unix_ns ^ ((uint64_t)g.pid << 32) ^ (uintptr_t)&g) | 1;
	g.last_attach_ns = 0;
	g.last_attach_error = 0;
	g.pending_not_attached = 0;
	g.pending_incompatible = 0;
	g.pending_retired = 0;
	g.last_standing_ns = g.replaced_since_ns = 0;
	g.moving = false;
	g.logged_full = g.logged_too_big = g.logged_budget = false;
}

static void ensure_attached(uint64_t now)
{
	struct bvapm_ring_error err = {0};
	uint32_t retry_ms = g.moving && g.cfg.attach_retry_ms > 1000 ? 1000 : g.cfg.attach_retry_ms;

	if (g.ring != NULL)
		return;
	if (g.last_attach_ns != 0 && now - g.last_attach_ns < (uint64_t)retry_ms * 1000000u)
		return;
	g.last_attach_ns = now;
	int rc = bvapm_ring_attach(g.ring_name, &g.ring, &err);
	if (rc != 0) {
		g.stats.attach_failures++;
		/* one line per worker and kind of problem, not per request */
		if (rc != g.last_attach_error)
			logf_("bvapm: pid %u records nothing: %s (retrying every %u ms)", g.pid, err.msg,
			      retry_ms);
		g.last_attach_error = rc;
		g.ring = NULL;
		return;
	}
	uint64_t lost = g.pending_not_attached + g.pending_incompatible + g.pending_retired;
	if (g.last_attach_error != 0 || g.moving)
		logf_("bvapm: pid %u attached to the ring; %llu records were lost meanwhile (counted "
		      "in bvapm-shm stat)", g.pid, (unsigned long long)lost);
	g.last_attach_error = 0;
	g.moving = false;
	g.last_standing_ns = now;
	g.replaced_since_ns = 0;
	bvapm_ring_count_loss(g.ring, BVAPM_LOSS_NOT_ATTACHED, g.pending_not_attached);
	bvapm_ring_count_loss(g.ring, BVAPM_LOSS_INCOMPATIBLE, g.pending_incompatible);
	bvapm_ring_count_loss(g.ring, BVAPM_LOSS_RETIRED, g.pending_retired);
	g.pending_not_attached = g.pending_incompatible = g.pending_retired = 0;
}

/* Leaves the ring for the file now at its path (attached at once if there is
 * one). `unread` records of ours stay behind unread: counted in the next ring. */
static void leave_ring(uint64_t now, uint64_t unread, const char *why)
{
	logf_("bvapm: pid %u leaves ring %s: %s; %llu of its records there will not be read",
	      g.pid, g.ring_name, why, (unsigned long long)unread);
	g.pending_retired += unread;
	bvapm_ring_close(g.ring);
	g.ring = NULL;
	g.moving = true;
	g.last_attach_ns = 0;
	ensure_attached(now);
}

/*
 * Is our ring still the ring at its path? Every request: the retired flag and
 * the SIGBUS guard's mark (two plain loads). At most once a second: stat(2) of
 * the path (bvapm_ring_standing). A ring removed or replaced while its drainer
 * still runs is left to that drainer (it retires it within a second and drains
 * what is in it); a ring nobody drains is left at once, and what we wrote into
 * it and nobody read is counted as lost `retired` in the new one.
 */
#define STANDING_CHECK_NS 1000000000u
#define REPLACED_GRACE_NS 5000000000u

static void check_standing(uint64_t now)
{
	struct bvapm_ring_error err = {0};

	if (g.ring == NULL)
		return;
	if (bvapm_ring_is_retired(g.ring)) {
		enum bvapm_ring_standing st = bvapm_ring_standing(g.ring, &err);
		(void)st;
		/* retired by the drainer: it drains what is left; truncated:
		 * the records are gone with the file (the drainer logs it) */
		leave_ring(now, 0, err.msg);
		return;
	}
	if (now - g.last_standing_ns < STANDING_CHECK_NS)
		return;
	g.last_standing_ns = now;
	if (bvapm_ring_standing(g.ring, &err) == BVAPM_RING_CURRENT) {
		g.replaced_since_ns = 0;
		return;
	}
	struct bvapm_ring_stats st;
	bvapm_ring_stats(g.ring, &st);
	if (g.replaced_since_ns == 0)
		g.replaced_since_ns = now;
	if (st.consumer_alive && now - g.replaced_since_ns < REPLACED_GRACE_NS)
		return;
	leave_ring(now, bvapm_ring_unread_own(g.ring), err.msg);
}

/* ---- lifecycle ------------------------------------------------------------ */

int bvapm_agent_init(const struct bvapm_agent_config *cfg, bvapm_agent_log_fn log)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	bvapm_agent_shutdown();
	memset(&g, 0, sizeof(g));
	g.cfg = *cfg;
	g.log = log;
	snprintf(g.ring_name, sizeof(g.ring_name), "%s",
	         cfg->ring_name != NULL && cfg->ring_name[0] ? cfg->ring_name : BVAPM_RING_DEFAULT_NAME);
	snprintf(g.service, sizeof(g.service), "%s", cfg->service != NULL ? cfg->service : "");
	if (cfg->host != NULL && cfg->host[0] != '\0')
		snprintf(g.host, sizeof(g.host), "%s", cfg->host);
	else if (gethostname(g.host, sizeof(g.host) - 1) != 0)
		snprintf(g.host, sizeof(g.host), "unknown");
	if (g.cfg.max_checkpoints == 0 || g.cfg.max_checkpoints > BVAPM_AGENT_MAX_CHECKPOINTS)
		g.cfg.max_checkpoints = BVAPM_AGENT_MAX_CHECKPOINTS;
	if (g.cfg.record_buffer_size < 4096)
		g.cfg.record_buffer_size = 4096;
	if (g.cfg.mode == 0)
		g.cfg.mode = BVAPM_MODE_LIGHT;
	if (g.cfg.attach_retry_ms == 0)
		g.cfg.attach_retry_ms = BVAPM_AGENT_ATTACH_RETRY_MS;
	if (g.cfg.profile_top_n == 0)
		g.cfg.profile_top_n = 50;
	if (g.cfg.profile_max_functions < 16)
		g.cfg.profile_max_functions = g.cfg.profile_max_functions == 0 ? 1000 : 16;
	if (g.cfg.profile_top_n > g.cfg.profile_max_functions)
		g.cfg.profile_top_n = g.cfg.profile_max_functions;
	g.cfg.ring_name = g.ring_name;
	bvapm_ring_set_trusted_owner(cfg->ring_owner);
	g.cfg.service = g.service;
	g.cfg.host = g.host;

	/* 8-byte aligned, as the encoder requires */
	g.encode_buf = aligned_alloc(8, (g.cfg.record_buffer_size + 7) & ~7u);
	g.arena.base = malloc(BVAPM_AGENT_ARENA);
	g.arena.cap = BVAPM_AGENT_ARENA;
	if (g.encode_buf == NULL || g.arena.base == NULL || bvapm_agent_sql_init(&cfg->sql) != 0) {
		bvapm_agent_shutdown();
		return -ENOMEM;
	}
	if (g.cfg.profile) {
		struct bvapm_profile_config pc = {
			.max_functions = g.cfg.profile_max_functions, .max_paths = PROFILE_MAX_PATHS,
			.max_depth = PROFILE_MAX_DEPTH, .max_fibers = PROFILE_MAX_FIBERS,
			.top_n = g.cfg.profile_top_n, .top_paths = PROFILE_TOP_PATHS,
			.path_max_len = PROFILE_PATH_MAX,
		};
		g.top_functions = calloc(g.cfg.profile_top_n, sizeof(*g.top_functions));
		g.top_paths = calloc(PROFILE_TOP_PATHS, sizeof(*g.top_paths));
		g.profile_ok = g.top_functions != NULL && g.top_paths != NULL &&
		               bvapm_profile_init(&pc) == 0;
		if (!g.profile_ok)
			logf_("bvapm: out of memory for the function profile; requests are recorded "
			      "without it");
	}
	pthread_once(&once, register_atfork);
	g.identity_stale = true;
	g.initialised = true;
	return 0;
}

void bvapm_agent_shutdown(void)
{
	if (g.ring != NULL)
		bvapm_ring_close(g.ring);
	g.ring = NULL;
	bvapm_agent_sql_shutdown();
	free(g.encode_buf);
	free(g.arena.base);
	g.encode_buf = NULL;
	g.arena.base = NULL;
	bvapm_profile_shutdown();
	free(g.top_functions);
	free(g.top_paths);
	g.top_functions = NULL;
	g.top_paths = NULL;
	g.profile_ok = g.profiling = false;
	g.initialised = false;
	g.active = false;
}

/* ---- request ------------------------------------------------------------- */

static void cpu_now(uint64_t *user_us, uint64_t *sys_us)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0) {
		*user_us = *sys_us = 0;
		return;
	}
	*user_us = (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec;
	*sys_us = (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
}

void bvapm_agent_request_begin(const struct bvapm_agent_request_start *s)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

	g.active = false;
	bvapm_agent_sql_request_end(); /* off until this request is known to record */
	g.trace_hex[0] = '\0';
	if (!g.initialised || !g.cfg.enabled)
		return;
	if (g.identity_stale)
		refresh_identity();
	ensure_attached(t0);
	check_standing(t0);
	/* attaching (once per worker: map and pre-fault the ring) is not a
	 * per-request cost: the overhead guard measures from here */
	t0 = clock_ns(CLOCK_MONOTONIC);
	/* The host-wide kill switch: one relaxed load, the request is untouched. */
	if (g.ring != NULL && bvapm_ring_disabled(g.ring))
		return;
	g.stats.requests++;

	enum bvapm_agent_mode mode = g.cfg.mode;
	uint32_t override = g.ring != NULL ? bvapm_ring_mode_override(g.ring) : 0;
	if (override >= BVAPM_MODE_LIGHT && override <= BVAPM_MODE_TARGETED)
		mode = (enum bvapm_agent_mode)override;

	g.mode = mode;
	g.forced = s->forced;
	g.reduced = g.reduced_remaining > 0;
	if (g.reduced)
		g.reduced_remaining--;
	if (s->forced || mode == BVAPM_MODE_AGGRESSIVE) {
		g.keep_drawn = true;
		g.full_detail = !g.reduced;
	} else if (mode == BVAPM_MODE_LIGHT) {
		double draw = (double)(rng_next() >> 11) / (double)(UINT64_C(1) << 53);
		g.keep_drawn = draw < g.cfg.sample_rate;
		g.full_detail = false;
	} else {
		g.keep_drawn = false;
		g.full_detail = false;
	}

	g.arena.used = 0;
	g.checkpoint_count = g.checkpoints_dropped = 0;
	g.tag_count = g.counter_count = g.error_count = 0;
	g.start_wall_ns = clock_ns(CLOCK_REALTIME);
	g.start_mono_ns = t0;
	g.mem_start = s->mem_bytes;
	cpu_now(&g.cpu_user_us, &g.cpu_sys_us);
	g.method = arena_str(s->method, s->method ? strlen(s->method) : 0).ptr;
	g.uri = arena_str(s->uri, s->uri ? strlen(s->uri) : 0).ptr;
	g.script = arena_str(s->script, s->script ? strlen(s->script) : 0).ptr;
	g.sapi = arena_str(s->sapi, s->sapi ? strlen(s->sapi) : 0).ptr;

	/* Continue an incoming trace, or start one. */
	g.has_parent = bvapm_agent_parse_traceparent(s->traceparent, g.trace_id, g.parent_span_id,
	                                             &g.trace_sampled);
	if (!g.has_parent) {
		random_bytes(g.trace_id, 16);
		g.trace_sampled = g.keep_drawn;
	}
	random_bytes(g.span_id, 8);
	hex(g.trace_id, 16, g.trace_hex);

	g.fatal_written = false;
	g.error_frames_used = 0;
	g.profiling = g.profile_ok && g.full_detail;
	if (g.profiling)
		bvapm_profile_request_begin(t0, s->mem_bytes);

	if (g.ring != NULL)
		bvapm_ring_slot_request_begin(g.ring, g.trace_hex, g.method, g.uri, g.start_wall_ns, t0);
	bvapm_agent_sql_request_begin(!g.reduced, g.ring);
	g.active = true;
	g.agent_ns = clock_ns(CLOCK_MONOTONIC) - t0;
}

void bvapm_agent_checkpoint(const char *label, size_t len, uint64_t mem, uint64_t peak)
{
	if (!g.active)
		return;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	if (g.checkpoint_count >= g.cfg.max_checkpoints) {
		g.checkpoints_dropped++;
	} else {
		struct bvapm_rec_checkpoint *c = &g.checkpoints[g.checkpoint_count];
		uint64_t prev = g.checkpoint_count ? g.checkpoints[g.checkpoint_count - 1].mem_bytes
		                                   : g.mem_start;
		c->label = arena_str(label, len > 200 ? 200 : len);
		if (c->label.ptr == NULL) {
			g.checkpoints_dropped++;
		} else {
			c->offset_ns = t0 - g.start_mono_ns;
			c->mem_bytes = mem;
			c->mem_delta_bytes = (int64_t)(mem - prev);
			c->peak_bytes = peak;
			g.checkpoint_count++;
		}
	}
	if (g.ring != NULL && g.checkpoint_count > 0)
		bvapm_ring_slot_checkpoint(g.ring, g.checkpoints[g.checkpoint_count - 1].label.ptr,
		                           (int64_t)mem, t0);
	g.agent_ns += clock_ns(CLOCK_MONOTONIC) - t0;
}

void bvapm_agent_route(const char *name, size_t len)
{
	if (!g.active || len == 0)
		return;
	bvapm_rec_str r = arena_str(name, len > 256 ? 256 : len);
	if (r.ptr != NULL)
		g.script = r.ptr; /* the record's route: last call wins */
}

void bvapm_agent_tag(const char *key, size_t klen, const char *value, size_t vlen)
{
	if (!g.active || klen == 0)
		return;
	for (uint32_t i = 0; i < g.tag_count; i++) {
		if (g.tags[i].key.len == klen && memcmp(g.tags[i].key.ptr, key, klen) == 0) {
			bvapm_rec_str v = arena_str(value, vlen > 1024 ? 1024 : vlen);
			if (v.ptr != NULL)
				g.tags[i].value = v; /* last value wins */
			return;
		}
	}
	if (g.tag_count >= BVAPM_AGENT_MAX_TAGS)
		return;
	struct bvapm_rec_tag *t = &g.tags[g.tag_count];
	t->key = arena_str(key, klen > 128 ? 128 : klen);
	t->value = arena_str(value, vlen > 1024 ? 1024 : vlen);
	if (t->key.ptr != NULL && t->value.ptr != NULL)
		g.tag_count++;
}

void bvapm_agent_count(const char *name, size_t len, int64_t by)
{
	if (!g.active || len == 0)
		return;
	for (uint32_t i = 0; i < g.counter_count; i++) {
		if (g.counters[i].name.len == len && memcmp(g.counters[i].name.ptr, name, len) == 0) {
			g.counters[i].value += by;
			return;
		}
	}
	if (g.counter_count >= BVAPM_AGENT_MAX_COUNTERS)
		return;
	struct bvapm_rec_counter *c = &g.counters[g.counter_count];
	c->name = arena_str(name, len > 128 ? 128 : len);
	c->value = by;
	if (c->name.ptr != NULL)
		g.counter_count++;
}

void bvapm_agent_error(const char *type, const char *message, size_t mlen, const char *file,
                       uint32_t line)
{
	if (!g.active)
		return;
	for (uint32_t i = 0; i < g.error_count; i++) {
		struct bvapm_rec_error *e = &g.errors[i];
		if (e->line == line && e->file.ptr != NULL && file != NULL && strcmp(e->file.ptr, file) == 0 &&
		    e->type.ptr != NULL && type != NULL && strcmp(e->type.ptr, type) == 0) {
			e->count++;
			return;
		}
	}
	if (g.error_count >= BVAPM_AGENT_MAX_ERRORS)
		return;
	struct bvapm_rec_error *e = &g.errors[g.error_count];
	e->type = arena_str(type, type ? strlen(type) : 0);
	e->message = arena_str(message, mlen > 1024 ? 1024 : mlen);
	e->file = arena_str(file, file ? strlen(file) : 0);
	e->line = line;
	e->count = 1;
	e->stack = NULL; /* bvapm_agent_error_stack attaches one */
	e->frame_count = e->stack_depth = 0;
	g.error_count++;
}

const char *bvapm_agent_trace_id(void) { return g.active ? g.trace_hex : ""; }
bool bvapm_agent_enabled(void) { return g.initialised && g.cfg.enabled; }
bool bvapm_agent_active(void) { return g.active; }
bool bvapm_agent_attached(void) { return g.ring != NULL; }
void bvapm_agent_get_stats(struct bvapm_agent_stats *out) { *out = g.stats; }

static void write_record(const struct bvapm_rec_envelope *env, const struct bvapm_rec_request *req)
{
	ssize_t len = bvapm_rec_encode_request(g.encode_buf, g.cfg.record_buffer_size, env, req);

	if (len < 0) {
		/* even the essentials did not fit the buffer */
		g.stats.dropped++;
		bvapm_ring_count_loss(g.ring, BVAPM_LOSS_TOO_BIG, 1);
		if (!g.logged_too_big)
			logf_("bvapm: pid %u: a request record does not fit bvapm.record_buffer_size "
			      "(%u bytes); such records are dropped and counted",
			      g.pid, g.cfg.record_buffer_size);
		g.logged_too_big = true;
		return;
	}
	int rc = bvapm_ring_write(g.ring, BVAPM_REC_KIND_REQUEST, g.encode_buf, (uint32_t)len);
	if (rc == 0) {
		g.stats.recorded++;
		return;
	}
	g.stats.dropped++; /* the ring counted it by reason */
	if (rc == -EBADF) {
		bvapm_ring_close(g.ring);
		g.ring = NULL;
	} else if (rc == -ENXIO) {
		/* truncated under us: this record is lost with the ring */
		leave_ring(clock_ns(CLOCK_MONOTONIC), 1, "its file was truncated");
	} else if (!g.logged_full) {
		logf_("bvapm: pid %u: ring %s dropped a record (%s); drops are counted in "
		      "`bvapm-shm stat`, this is logged once per worker",
		      g.pid, g.ring_name, strerror(-rc));
		g.logged_full = true;
	}
}

/* Takes the next sequence number and fills the envelope of a record made at
 * mono_now. False when there is nowhere to write it (no ring: counted as
 * not attached and reported on attach; kill switch on): the number is
 * consumed all the same, so the gap shows downstream. */
static bool next_envelope(struct bvapm_rec_envelope *env, uint64_t mono_now)
{
	g.sequence++;
	if (g.ring == NULL || bvapm_ring_disabled(g.ring)) {
		if (g.ring == NULL) {
			if (g.last_attach_error == -EPERM)
				g.pending_incompatible++; /* a ring we refuse to trust */
			else
				g.pending_not_attached++;
			g.stats.not_attached++;
		}
		return false;
	}
	*env = (struct bvapm_rec_envelope){
		.host = bvapm_rec_cstr(g.host),
		.service = bvapm_rec_cstr(g.service[0] ? g.service : NULL),
		.pid = g.pid,
		.producer_start_unix_ns = g.producer_start_unix_ns,
		.sequence = g.sequence,
		.wall_unix_ns = g.start_wall_ns + (mono_now - g.start_mono_ns),
		.mono_ns = mono_now,
		.has_trace = true,
		.has_parent = g.has_parent,
		.sampled = g.trace_sampled,
	};
	memcpy(env->trace_id, g.trace_id, 16);
	memcpy(env->span_id, g.span_id, 8);
	memcpy(env->parent_span_id, g.parent_span_id, 8);
	return true;
}

void bvapm_agent_request_end(const struct bvapm_agent_request_end *e)
{
	if (!g.active)
		return;
	g.active = false;
	bvapm_agent_sql_request_end();
	uint64_t t1 = clock_ns(CLOCK_MONOTONIC);
	uint64_t wall = t1 - g.start_mono_ns;
	bool failed = e->failed || e->status >= 500;
	bool slow = g.cfg.slow_threshold_ms > 0 && wall >= (uint64_t)g.cfg.slow_threshold_ms * 1000000u;
	bool keep = g.keep_drawn || failed || slow;

	if (g.ring != NULL)
		bvapm_ring_slot_request_end(g.ring);
	uint32_t nfunctions = 0, npaths = 0;
	if (g.profiling) {
		/* frames still open (exit(), fatal error) end now */
		bvapm_profile_close_all(t1, e->mem_bytes);
		nfunctions = bvapm_profile_top_functions(g.top_functions, g.cfg.profile_top_n);
		npaths = bvapm_profile_top_paths(g.top_paths, PROFILE_TOP_PATHS);
		bvapm_profile_request_end();
		g.profiling = false;
	}
	if (!keep)
		return;

	uint64_t user, sys;
	cpu_now(&user, &sys);
	/* every kept request consumes a sequence number: gaps downstream are losses */
	struct bvapm_rec_envelope env;
	if (!next_envelope(&env, t1))
		return;

	uint8_t reason = g.forced ? BVAPM_REC_KEEP_FORCED
	                 : failed ? BVAPM_REC_KEEP_ERROR
	                 : slow   ? BVAPM_REC_KEEP_SLOW
	                          : BVAPM_REC_KEEP_SAMPLED;
	struct bvapm_rec_request req = {
		.method = bvapm_rec_cstr(g.method),
		.uri = bvapm_rec_cstr(g.uri),
		.route = bvapm_rec_cstr(g.script),
		.sapi = bvapm_rec_cstr(g.sapi),
		.status = e->status,
		.mode = (uint8_t)g.mode,
		.keep_reason = reason,
		.detail_reduced = g.reduced,
		.start_unix_ns = g.start_wall_ns,
		.wall_ns = wall,
		.cpu_user_us = user - g.cpu_user_us,
		.cpu_sys_us = sys - g.cpu_sys_us,
		.mem_start_bytes = g.mem_start,
		.mem_end_bytes = e->mem_bytes,
		.mem_peak_bytes = e->mem_peak_bytes,
		.mem_limit_bytes = e->mem_limit_bytes,
		.checkpoints = g.checkpoints,
		.checkpoint_count = g.checkpoint_count,
		.errors = g.errors,
		.error_count = g.error_count,
		.tags = g.tags,
		.tag_count = g.tag_count,
		.counters = g.counters,
		.counter_count = g.counter_count,
		.functions = g.top_functions,
		.function_count = nfunctions,
		.call_paths = g.top_paths,
		.call_path_count = npaths,
	};
	g.agent_ns += bvapm_agent_sql_fill(&req);
	uint64_t t_enc = clock_ns(CLOCK_MONOTONIC);
	req.agent_ns = g.agent_ns + (t_enc - t1);
	write_record(&env, &req);

	/* Overhead guard: the agent's own time for this request, encode and
	 * write included; past the budget in BVAPM_AGENT_OVERRUNS_TO_REDUCE
	 * requests in a row, the next requests run with less detail, and their
	 * records say so. Measured in wall time (no system call): one request
	 * whose worker was descheduled mid-way on a busy host does not trip it. */
	uint64_t spent = req.agent_ns + (clock_ns(CLOCK_MONOTONIC) - t_enc);
	bool over = g.cfg.overhead_budget_us > 0 && spent > (uint64_t)g.cfg.overhead_budget_us * 1000u;
	g.over_budget_streak = over ? g.over_budget_streak + 1 : 0;
	if (g.over_budget_streak >= BVAPM_AGENT_OVERRUNS_TO_REDUCE) {
		g.over_budget_streak = 0;
		g.reduced_remaining = BVAPM_AGENT_REDUCED_REQUESTS;
		if (!g.logged_budget)
			logf_("bvapm: pid %u: agent time %llu us passed bvapm.overhead_budget (%u us): "
			      "detail reduced for the next %u requests",
			      g.pid, (unsigned long long)(spent / 1000), g.cfg.overhead_budget_us,
			      BVAPM_AGENT_REDUCED_REQUESTS);
		g.logged_budget = true;
	}
}

/* ---- errors with a stack, fatal errors ------------------------------------ */

bool bvapm_agent_profiling(void) { return g.active && g.profiling; }

void bvapm_agent_error_stack(const char *type, const char *message, size_t mlen, const char *file,
                             uint32_t line, const struct bvapm_rec_frame *frames, uint32_t nframes,
                             uint32_t depth)
{
	if (!g.active)
		return;
	uint32_t before = g.error_count;
	bvapm_agent_error(type, message, mlen, file, line);
	if (g.error_count == before)
		return; /* a repeat (counted) or no room */
	struct bvapm_rec_error *e = &g.errors[g.error_count - 1];
	uint32_t room = BVAPM_AGENT_ERROR_FRAMES - g.error_frames_used;
	uint32_t n = nframes < room ? nframes : room;
	struct bvapm_rec_frame *dst = &g.error_frames[g.error_frames_used];
	uint32_t kept = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct bvapm_rec_frame *f = &frames[i];
		dst[kept].function = arena_str(f->function.ptr, f->function.len > 256 ? 256 : f->function.len);
		uint32_t flen = f->file.len > 512 ? 512 : f->file.len;
		if (kept > 0 && f->file.ptr != NULL && dst[kept - 1].file.ptr != NULL &&
		    dst[kept - 1].file.len == flen &&
		    memcmp(dst[kept - 1].file.ptr, f->file.ptr, flen) == 0)
			dst[kept].file = dst[kept - 1].file; /* same file as the frame before: shared */
		else
			dst[kept].file = arena_str(f->file.ptr, flen);
		dst[kept].line = f->line;
		if ((f->function.ptr != NULL && dst[kept].function.ptr == NULL) ||
		    (f->file.ptr != NULL && dst[kept].file.ptr == NULL))
			break; /* the string arena is full: the innermost frames kept so far */
		kept++;
	}
	g.error_frames_used += kept;
	e->stack = kept > 0 ? dst : NULL;
	e->frame_count = kept;
	e->stack_depth = depth > nframes ? depth : nframes;
}

void bvapm_agent_fatal(const struct bvapm_agent_fatal *f)
{
	if (!g.active || g.fatal_written)
		return;
	g.fatal_written = true;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	struct bvapm_rec_function allocators[BVAPM_AGENT_TOP_ALLOCATORS];
	uint32_t nallocators = 0;
	if (g.profiling) {
		/* the open frames hold the allocations that led here */
		bvapm_profile_close_all(t0, f->mem_bytes);
		nallocators = bvapm_profile_top_allocators(allocators, BVAPM_AGENT_TOP_ALLOCATORS);
	}
	/* a record of its own, with its own sequence number */
	struct bvapm_rec_envelope env;
	if (!next_envelope(&env, t0))
		return;
	struct bvapm_rec_fatal rec = {
		.type = bvapm_rec_cstr(f->type),
		.message = {f->message, (uint32_t)(f->mlen > 2048 ? 2048 : f->mlen)},
		.file = bvapm_rec_cstr(f->file),
		.line = f->line,
		.out_of_memory = f->out_of_memory,
		.method = bvapm_rec_cstr(g.method),
		.uri = bvapm_rec_cstr(g.uri),
		.route = bvapm_rec_cstr(g.script),
		.start_unix_ns = g.start_wall_ns,
		.wall_ns = t0 - g.start_mono_ns,
		.mem_usage_bytes = f->mem_bytes,
		.mem_peak_bytes = f->mem_peak_bytes,
		.mem_limit_bytes = f->mem_limit_bytes,
		.checkpoints = g.checkpoints,
		.checkpoint_count = g.checkpoint_count,
		.top_allocators = allocators,
		.top_allocator_count = nallocators,
		.stack = f->stack,
		.frame_count = f->frame_count,
		.stack_depth = f->stack_depth,
	};
	if (f->message == NULL)
		rec.message = (bvapm_rec_str){NULL, 0};
	ssize_t len = bvapm_rec_encode_fatal(g.encode_buf, g.cfg.record_buffer_size, &env, &rec);
	if (len < 0) {
		g.stats.dropped++;
		bvapm_ring_count_loss(g.ring, BVAPM_LOSS_TOO_BIG, 1);
		return;
	}
	int rc = bvapm_ring_write(g.ring, BVAPM_REC_KIND_FATAL, g.encode_buf, (uint32_t)len);
	if (rc == 0)
		g.stats.recorded++;
	else
		g.stats.dropped++; /* counted by the ring by reason */
	g.agent_ns += clock_ns(CLOCK_MONOTONIC) - t0;
}
