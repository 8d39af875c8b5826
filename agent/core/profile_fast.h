/* SPDX-License-Identifier: Apache-2.0 */
/*
 * profile_fast.h — the profiler's per-call fast path, inline, for the
 * observer glue (agent/php/bvapm_observer.c) and profile.c's own exported
 * wrappers; everything else about the profiler is in profile.h / profile.c.
 *
 * Design. A profiled call is two engine callbacks; what they do here is
 * the common case only, in the caller's code, on the profiler's state
 * reached directly (no call, no argument marshalling):
 *   begin  the function's index from the caller's per-function slot
 *          (profile.h, bvapm_profile_begin_cached) when the entry there is
 *          still this key's; its path node from the caller's node, when
 *          that path's last callee was this function (a loop, a recursion:
 *          the path main;fib;fib always calls fib), else from the node
 *          hash when the path is at its first probe ("(other)" when the
 *          caller's path is "(other)": past max_paths); push a frame.
 *   end    the top frame is the ending one (the engine's frame pointer):
 *          pop it and add its times to its function and path node.
 * Any other case — first call of a function or of a path in the request, a
 * stack deeper than it went before in the request (`fast_limit`: so the
 * deepest stack seen is counted there, not per call), past its depth bound,
 * or the untracked fibers' stack (limit 0), a missed end, an end past the
 * bound — goes to the named *_slow() function in profile.c, which does what
 * the general code always did. Each stack's frames array has a sentinel
 * below frame 0 (id NULL, node = the stack's base node): the parent of a
 * stack's first frame and the frame that absorbs its child time, without a
 * branch.
 *
 * Call only while bvapm_profile_active(). Threads: the PHP thread only
 * (NTS); plain loads and stores.
 */
#ifndef BVAPM_AGENT_PROFILE_FAST_H
#define BVAPM_AGENT_PROFILE_FAST_H

#include "support/bvapm_compiler.h"
#include "profile.h"

struct bvapm_profile_fn {
	const void *key;
	uint32_t name_off, name_len;  /* in names */
	uint32_t active;              /* open activations (recursion) */
	uint32_t last_parent, last_node; /* the node under last_parent (UINT32_MAX: none yet) */
	uint64_t calls, incl_ns, excl_ns; /* times in the caller's ticks until results */
	int64_t mem_delta;
};

struct bvapm_profile_node {
	uint32_t parent, fn;
	uint32_t child_fn, child_node; /* its last callee's node (child_fn UINT32_MAX: none yet) */
	uint64_t calls, incl_ns, excl_ns;
};

struct bvapm_profile_frame {
	const void *id;               /* the engine's execute_data; NULL: the sentinel */
	uint32_t fn, node;
	bool outermost;               /* no other activation of fn was open at entry */
	uint64_t run_start;           /* at entry, now - the stack's paused_total (mod 2^64) */
	uint64_t child_ns;            /* inclusive time of callees and of fibers it resumed */
	uint64_t mem_start;
};

struct bvapm_profile_stack {
	const void *ctx;              /* fiber context; NULL: free (stack 0: main, not yet named) */
	struct bvapm_profile_frame *frames; /* frames[-1] is the sentinel */
	uint32_t depth, overflow;     /* open frames; calls past limit still open */
	uint32_t limit;               /* max_depth; 0 for the untracked stack */
	uint32_t fast_limit;          /* the deepest this stack went in the request (<= limit) */
	uint32_t base_node;           /* parent node of the stack's first frame (= frames[-1].node) */
	bool in_use, in_chain, paused;
	uint64_t paused_at, paused_total, resumed_at;
};

struct bvapm_profile_state {
	struct bvapm_profile_stack *top; /* stacks[cur], the running stack */
	struct bvapm_profile_fn *fns;
	uint32_t fn_count;
	struct bvapm_profile_node *nodes;
	uint32_t *node_hash;          /* node index + 1, 0 = empty */
	uint32_t node_hash_mask;
	struct bvapm_profile_stats stats;

	struct bvapm_profile_config cfg;
	bool initialised;
	uint64_t scale_mult;          /* ns = ticks * scale_mult >> scale_shift */
	uint32_t scale_shift;

	uint32_t *fn_hash;            /* fn index + 1, 0 = empty */
	uint32_t fn_hash_mask;
	char *names;
	uint32_t names_used, names_cap;

	uint32_t node_count;

	struct bvapm_profile_stack *stacks; /* max_fibers + 2 */
	uint32_t nstacks, untracked;  /* untracked = nstacks - 1 */
	uint32_t cur;
	uint32_t *chain;
	uint32_t chain_len, chain_cap;

	uint32_t *order;              /* sort scratch, max(max_functions, max_paths) */
	char *paths;                  /* top_paths * path_max_len */
	uint32_t *walk;               /* PATH_WALK_MAX */
};

/* hidden: reached PC-relative from anywhere in bvapm.so, not through the GOT */
#define BVAPM_PROFILE_HIDDEN __attribute__((visibility("hidden")))
extern struct bvapm_profile_state bvapm_profile_state BVAPM_PROFILE_HIDDEN;

#define BVAPM_PROFILE_OTHER_NODE 1u /* the path "(other)": node 0 is the root */

/* The node hash's slot of (parent node, function). */
static inline uint32_t bvapm_profile_hash_pair(uint32_t a, uint32_t b)
{
	uint64_t x = ((uint64_t)a << 32 | b) * UINT64_C(0x9e3779b97f4a7c15);
	return (uint32_t)(x >> 32);
}

/* The slow paths (profile.c). */
BVAPM_PROFILE_HIDDEN void bvapm_profile_begin_slow(const void *frame, uintptr_t *slot, const void *key,
                                                   bvapm_profile_name_fn name_fn, const void *name_arg,
                                                   uint64_t now_ns, uint64_t mem_bytes);
BVAPM_PROFILE_HIDDEN void bvapm_profile_end_slow(const void *frame, uint64_t now_ns, uint64_t mem_bytes);

/* Opens frame f (s's next) of function fn (entry fe) on path node `node`. */
static inline void bvapm_profile_push(struct bvapm_profile_stack *s, struct bvapm_profile_frame *f,
                                      const void *frame_id, uint32_t fn, struct bvapm_profile_fn *fe,
                                      uint32_t node, uint64_t now_ns, uint64_t mem_bytes)
{
	s->depth++;
	f->id = frame_id;
	f->fn = fn;
	f->node = node;
	f->outermost = fe->active++ == 0;
	f->run_start = now_ns - s->paused_total;
	f->child_ns = 0;
	f->mem_start = mem_bytes;
}

/* Where a call that begins goes: found by bvapm_profile_begin_find(),
 * opened by bvapm_profile_begin_open(). */
struct bvapm_profile_call {
	struct bvapm_profile_stack *s;
	struct bvapm_profile_frame *f;
	struct bvapm_profile_fn *fe;
	uint32_t fn, node;
};

/* slot: never NULL here (the wrappers give a scratch word). False: not
 * found; nothing changed, and the caller calls bvapm_profile_begin_slow()
 * for the call. True: the caller takes its readings (the clock, memory)
 * and opens the call — reading them after the lookup keeps the lookup out
 * of the callee's time, and slot and key need not stay live. */
static inline bool bvapm_profile_begin_find(uintptr_t *slot, const void *key, struct bvapm_profile_call *c)
{
	struct bvapm_profile_state *ps = &bvapm_profile_state;
	uintptr_t hint = *slot;
	uint32_t fn = hint < ps->fn_count ? (uint32_t)hint : 0;
	struct bvapm_profile_fn *fe = &ps->fns[fn];
	if (bvapm_unlikely(fe->key != key))
		return false;
	struct bvapm_profile_stack *s = ps->top;
	if (bvapm_unlikely(s->depth >= s->fast_limit))
		return false;
	struct bvapm_profile_frame *f = &s->frames[s->depth];
	uint32_t parent = f[-1].node; /* the caller's, or the sentinel's: the stack's base node */
	struct bvapm_profile_node *pn = &ps->nodes[parent];
	uint32_t node;
	if (bvapm_likely(pn->child_fn == fn)) {
		node = pn->child_node;
	} else {
		if (parent == BVAPM_PROFILE_OTHER_NODE) {
			node = parent; /* past max_paths: everything under "(other)" stays there */
		} else {
			/* the node hash's first probe; a collision or a new path: the slow path */
			uint32_t h = ps->node_hash[bvapm_profile_hash_pair(parent, fn) & ps->node_hash_mask];
			if (bvapm_unlikely(h == 0 || ps->nodes[h - 1].parent != parent || ps->nodes[h - 1].fn != fn))
				return false;
			node = h - 1;
			pn->child_fn = fn; /* remembered: a find that succeeds is always opened */
			pn->child_node = node;
		}
	}
	*c = (struct bvapm_profile_call){.s = s, .f = f, .fe = fe, .fn = fn, .node = node};
	return true;
}

static inline void bvapm_profile_begin_open(const struct bvapm_profile_call *c, const void *frame_id,
                                            uint64_t now_ns, uint64_t mem_bytes)
{
	bvapm_profile_push(c->s, c->f, frame_id, c->fn, c->fe, c->node, now_ns, mem_bytes);
}

/* Closes frame f, just taken off the top of s, at now. */
static inline void bvapm_profile_pop(struct bvapm_profile_stack *s, struct bvapm_profile_frame *f,
                                     uint64_t now_ns, uint64_t mem_bytes)
{
	struct bvapm_profile_state *ps = &bvapm_profile_state;
	/* the time the stack ran since entry; 0 rather than negative (two CPUs'
	 * TSCs a few cycles apart) */
	int64_t ran = (int64_t)(now_ns - s->paused_total - f->run_start);
	uint64_t incl = ran > 0 ? (uint64_t)ran : 0;
	uint64_t excl = incl > f->child_ns ? incl - f->child_ns : 0;
	struct bvapm_profile_fn *fe = &ps->fns[f->fn];
	fe->calls++;
	fe->excl_ns += excl;
	if (f->outermost) {
		fe->incl_ns += incl;
		fe->mem_delta += (int64_t)(mem_bytes - f->mem_start);
	}
	if (fe->active > 0)
		fe->active--;
	struct bvapm_profile_node *n = &ps->nodes[f->node];
	n->calls++;
	n->incl_ns += incl;
	n->excl_ns += excl;
	f[-1].child_ns += incl; /* the caller, or the sentinel */
}

static inline void bvapm_profile_end_fast(const void *frame_id, uint64_t now_ns, uint64_t mem_bytes)
{
	struct bvapm_profile_stack *s = bvapm_profile_state.top;
	struct bvapm_profile_frame *f = &s->frames[(int64_t)s->depth - 1];

	if (bvapm_unlikely(f->id != frame_id || s->overflow != 0)) {
		bvapm_profile_end_slow(frame_id, now_ns, mem_bytes);
		return;
	}
	s->depth--;
	bvapm_profile_pop(s, f, now_ns, mem_bytes);
}

#endif
