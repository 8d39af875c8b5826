/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_request.c — what a request collects while it runs: its facts from
 * the SAPI (method, URI, script, SAPI name, memory), start times and CPU,
 * and what the application and the engine report — checkpoints, tags,
 * counters, the route, errors and their stacks.
 *
 * Bounded whatever the script does: fixed arrays (max_checkpoints,
 * BVAPM_AGENT_MAX_TAGS, _COUNTERS, _ERRORS, _ERROR_FRAMES) and one string
 * arena of BVAPM_AGENT_ARENA bytes, allocated at init and emptied at each
 * request start; strings are cut to a length per kind, and what finds no
 * room is dropped (checkpoints are counted). Every entry point is a no-op
 * outside a request that records.
 *
 * Threads: the PHP thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "agent_internal.h"
#include "ring/ring_producer.h"

struct agent_request agent_req;

static struct {
	char *base;
	size_t used, cap;
} arena;
static struct bvapm_rec_frame error_frames[BVAPM_AGENT_ERROR_FRAMES];
static uint32_t error_frames_used;

int agent_request_init(void)
{
	memset(&agent_req, 0, sizeof(agent_req));
	error_frames_used = 0;
	arena.used = 0;
	arena.cap = BVAPM_AGENT_ARENA;
	arena.base = malloc(BVAPM_AGENT_ARENA);
	return arena.base != NULL ? 0 : -ENOMEM;
}

void agent_request_free(void)
{
	free(arena.base);
	arena.base = NULL;
}

/* Copies s[0..len) into the arena, NUL-terminated; {NULL, 0} when s is NULL
 * or the arena is full. */
static bvapm_rec_str arena_str(const char *s, size_t len)
{
	bvapm_rec_str r = {NULL, 0};

	if (s == NULL || arena.used + len + 1 > arena.cap)
		return r;
	char *dst = arena.base + arena.used;
	memcpy(dst, s, len);
	dst[len] = '\0';
	arena.used += len + 1;
	r.ptr = dst;
	r.len = (uint32_t)len;
	return r;
}

static const char *arena_cstr(const char *s)
{
	return arena_str(s, s != NULL ? strlen(s) : 0).ptr;
}

void agent_cpu_now(uint64_t *user_us, uint64_t *sys_us)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0) {
		*user_us = *sys_us = 0;
		return;
	}
	*user_us = (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec;
	*sys_us = (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
}

void agent_request_begin(const struct bvapm_agent_request_start *s, uint64_t mono_now)
{
	arena.used = 0;
	agent_req.checkpoint_count = agent_req.checkpoints_dropped = 0;
	agent_req.tag_count = agent_req.counter_count = agent_req.error_count = 0;
	error_frames_used = 0;
	agent_req.start_wall_ns = agent_clock_ns(CLOCK_REALTIME);
	agent_req.start_mono_ns = mono_now;
	agent_req.mem_start = s->mem_bytes;
	agent_req.peak_start = s->mem_peak_bytes;
	agent_req.job = s->job;
	agent_req.route_named = false;
	agent_cpu_now(&agent_req.cpu_user_us, &agent_req.cpu_sys_us);
	agent_req.method = arena_cstr(s->method);
	agent_req.uri = arena_cstr(s->uri);
	agent_req.route = arena_cstr(s->script);
	agent_req.sapi = arena_cstr(s->sapi);
	agent_req.tracestate = s->tracestate != NULL
	                           ? arena_str(s->tracestate, strnlen(s->tracestate, 512)).ptr
	                           : NULL;
}

/* ---- the PHP API and engine facts ------------------------------------------ */

void bvapm_agent_checkpoint(const char *label, size_t len, uint64_t mem, uint64_t peak)
{
	if (!agent_active)
		return;
	uint64_t t0 = agent_clock_ns(CLOCK_MONOTONIC);
	uint32_t n = agent_req.checkpoint_count;
	if (n >= agent_cfg.max_checkpoints) {
		agent_req.checkpoints_dropped++;
	} else {
		struct bvapm_rec_checkpoint *c = &agent_req.checkpoints[n];
		uint64_t prev = n > 0 ? agent_req.checkpoints[n - 1].mem_bytes : agent_req.mem_start;
		c->label = arena_str(label, len > 200 ? 200 : len);
		if (c->label.ptr == NULL) {
			agent_req.checkpoints_dropped++;
		} else {
			c->offset_ns = t0 - agent_req.start_mono_ns;
			c->mem_bytes = mem;
			c->mem_delta_bytes = (int64_t)(mem - prev);
			c->peak_bytes = peak;
			agent_req.checkpoint_count++;
		}
	}
	if (agent_link.ring != NULL && agent_req.checkpoint_count > 0)
		bvapm_ring_slot_checkpoint(agent_link.ring,
		                           agent_req.checkpoints[agent_req.checkpoint_count - 1].label.ptr,
		                           (int64_t)mem, t0);
	agent_req.agent_ns += agent_clock_ns(CLOCK_MONOTONIC) - t0;
}

uint64_t agent_request_peak(uint64_t engine_peak, uint64_t mem_now)
{
	if (!agent_req.job || engine_peak > agent_req.peak_start)
		return engine_peak;
	uint64_t most = agent_req.mem_start > mem_now ? agent_req.mem_start : mem_now;
	for (uint32_t i = 0; i < agent_req.checkpoint_count; i++)
		if (agent_req.checkpoints[i].mem_bytes > most)
			most = agent_req.checkpoints[i].mem_bytes;
	return most;
}

static void set_route(const char *name, size_t len)
{
	bvapm_rec_str r = arena_str(name, len > 256 ? 256 : len);
	if (r.ptr != NULL)
		agent_req.route = r.ptr;
}

void bvapm_agent_route(const char *name, size_t len)
{
	if (!agent_active || len == 0)
		return;
	set_route(name, len); /* last call wins */
	agent_req.route_named = true;
}

void bvapm_agent_route_detected(const char *name, size_t len)
{
	if (!agent_active || len == 0 || agent_req.route_named)
		return;
	set_route(name, len);
}

bool bvapm_agent_in_job(void)
{
	return agent_active && agent_req.job;
}

void bvapm_agent_tag(const char *key, size_t klen, const char *value, size_t vlen)
{
	if (!agent_active || klen == 0)
		return;
	for (uint32_t i = 0; i < agent_req.tag_count; i++) {
		struct bvapm_rec_tag *t = &agent_req.tags[i];
		if (t->key.len == klen && memcmp(t->key.ptr, key, klen) == 0) {
			bvapm_rec_str v = arena_str(value, vlen > 1024 ? 1024 : vlen);
			if (v.ptr != NULL)
				t->value = v; /* last value wins */
			return;
		}
	}
	if (agent_req.tag_count >= BVAPM_AGENT_MAX_TAGS)
		return;
	struct bvapm_rec_tag *t = &agent_req.tags[agent_req.tag_count];
	t->key = arena_str(key, klen > 128 ? 128 : klen);
	t->value = arena_str(value, vlen > 1024 ? 1024 : vlen);
	if (t->key.ptr != NULL && t->value.ptr != NULL)
		agent_req.tag_count++;
}

void bvapm_agent_count(const char *name, size_t len, int64_t by)
{
	if (!agent_active || len == 0)
		return;
	for (uint32_t i = 0; i < agent_req.counter_count; i++) {
		struct bvapm_rec_counter *c = &agent_req.counters[i];
		if (c->name.len == len && memcmp(c->name.ptr, name, len) == 0) {
			c->value += by;
			return;
		}
	}
	if (agent_req.counter_count >= BVAPM_AGENT_MAX_COUNTERS)
		return;
	struct bvapm_rec_counter *c = &agent_req.counters[agent_req.counter_count];
	c->name = arena_str(name, len > 128 ? 128 : len);
	c->value = by;
	if (c->name.ptr != NULL)
		agent_req.counter_count++;
}

void bvapm_agent_error(const char *type, const char *message, size_t mlen, const char *file,
                       uint32_t line)
{
	if (!agent_active)
		return;
	for (uint32_t i = 0; i < agent_req.error_count; i++) {
		struct bvapm_rec_error *e = &agent_req.errors[i];
		if (e->line == line && e->file.ptr != NULL && file != NULL && strcmp(e->file.ptr, file) == 0 &&
		    e->type.ptr != NULL && type != NULL && strcmp(e->type.ptr, type) == 0) {
			e->count++;
			return;
		}
	}
	if (agent_req.error_count >= BVAPM_AGENT_MAX_ERRORS)
		return;
	struct bvapm_rec_error *e = &agent_req.errors[agent_req.error_count];
	e->type = arena_str(type, type ? strlen(type) : 0);
	e->message = arena_str(message, mlen > 1024 ? 1024 : mlen);
	e->file = arena_str(file, file ? strlen(file) : 0);
	e->line = line;
	e->count = 1;
	e->stack = NULL; /* bvapm_agent_error_stack attaches one */
	e->frame_count = e->stack_depth = 0;
	agent_req.error_count++;
}

void bvapm_agent_error_stack(const char *type, const char *message, size_t mlen, const char *file,
                             uint32_t line, const struct bvapm_rec_frame *frames, uint32_t nframes,
                             uint32_t depth)
{
	if (!agent_active)
		return;
	uint32_t before = agent_req.error_count;
	bvapm_agent_error(type, message, mlen, file, line);
	if (agent_req.error_count == before)
		return; /* a repeat (counted) or no room */
	struct bvapm_rec_error *e = &agent_req.errors[agent_req.error_count - 1];
	uint32_t room = BVAPM_AGENT_ERROR_FRAMES - error_frames_used;
	uint32_t n = nframes < room ? nframes : room;
	struct bvapm_rec_frame *dst = &error_frames[error_frames_used];
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
	error_frames_used += kept;
	e->stack = kept > 0 ? dst : NULL;
	e->frame_count = kept;
	e->stack_depth = depth > nframes ? depth : nframes;
}
