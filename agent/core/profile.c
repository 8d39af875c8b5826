/* SPDX-License-Identifier: Apache-2.0 */
/*
 * profile.c — the function profiler's tables and accounting (see profile.h
 * for the definitions it implements).
 *
 * Layout, all allocated once at init:
 *   functions  table of per-function totals, index 0 is "(other)"; found by
 *              key through an open-addressing hash of pointers
 *   nodes      the calling-context tree: node = (parent node, function) with
 *              per-path totals; node 0 is the root (no function), node 1 the
 *              "(other)" path; found through a hash of (parent, function)
 *   stacks     stack 0 is the main context, 1..max_fibers fibers, the last
 *              one stands for fibers past the limit (nothing is profiled in
 *              it); each holds up to max_depth open frames
 *   chain      which stacks are running or waiting for a fiber they resumed,
 *              outermost first: main resumed fiber A, A resumed B...
 *   names      function names, one arena; paths, one arena of path_max_len
 *              slots filled at the end of the request
 *
 * Per call: one clock read and one memory read by the caller, then the
 * function's index (from the caller's per-function slot when it still
 * holds it, else a hash lookup), its path node (a node keeps its last
 * callee's node, a function's entry its last (parent, node) pair: a path
 * that calls the same function again, the common case in a loop or a
 * recursion, or a function called from the same caller again, skips the
 * node hash), a few stores.
 * The end pops the top frame (the engine's frame pointer is checked, a
 * missed end closes the frames above). Per request: clearing the two hash
 * tables and, when results are asked for, sorting the used entries and
 * scaling their times to ns.
 *
 * The per-call fast path is inline in profile_fast.h (the observer glue
 * compiles it into its handlers); the functions here named *_slow() take
 * every case it leaves, and the exported begin/end wrap it.
 *
 * Threads: the PHP thread only; state is one struct (bvapm_profile_state,
 * hidden in bvapm.so), plain loads and stores.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "profile_clock.h" /* bvapm_mul_shift */
#include "profile_fast.h"

#define OTHER_FN 0u
#define ROOT_NODE 0u
#define OTHER_NODE BVAPM_PROFILE_OTHER_NODE
#define NONE UINT32_MAX
#define NAME_ARENA_PER_FUNCTION 96u /* average name bytes budgeted per function */
#define PATH_WALK_MAX 1024u         /* frames followed when a path string is built */

/* The state (types in profile_fast.h, shared with the inline fast path);
 * `p` names it in this file. */
struct bvapm_profile_state bvapm_profile_state;
bool bvapm_profile_on; /* a request is profiled (profile.h) */
#define p bvapm_profile_state

/* ---- helpers ---------------------------------------------------------------- */

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t v = 16;
	while (v < n)
		v <<= 1;
	return v;
}

static inline uint32_t hash_ptr(const void *ptr)
{
	uint64_t x = (uint64_t)(uintptr_t)ptr;
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	return (uint32_t)x;
}


int bvapm_profile_init(const struct bvapm_profile_config *cfg)
{
	bvapm_profile_shutdown();
	memset(&p, 0, sizeof(p));
	p.cfg = *cfg;
	if (p.cfg.max_functions < 2)
		p.cfg.max_functions = 2;
	if (p.cfg.max_paths < 2)
		p.cfg.max_paths = 2;
	if (p.cfg.max_depth < 1)
		p.cfg.max_depth = 1;
	if (p.cfg.path_max_len < 64)
		p.cfg.path_max_len = 64;
	if (p.cfg.top_n > p.cfg.max_functions)
		p.cfg.top_n = p.cfg.max_functions;
	if (p.cfg.top_paths > p.cfg.max_paths)
		p.cfg.top_paths = p.cfg.max_paths;

	uint32_t fh = pow2_at_least(2 * p.cfg.max_functions), nh = pow2_at_least(2 * p.cfg.max_paths);
	p.fn_hash_mask = fh - 1;
	p.node_hash_mask = nh - 1;
	p.names_cap = p.cfg.max_functions * NAME_ARENA_PER_FUNCTION;
	p.nstacks = p.cfg.max_fibers + 2;
	p.untracked = p.nstacks - 1;
	p.chain_cap = 2 * p.nstacks;
	uint32_t order = p.cfg.max_functions > p.cfg.max_paths ? p.cfg.max_functions : p.cfg.max_paths;

	p.fns = calloc(p.cfg.max_functions, sizeof(*p.fns));
	p.fn_hash = calloc(fh, sizeof(*p.fn_hash));
	p.names = malloc(p.names_cap);
	p.nodes = calloc(p.cfg.max_paths, sizeof(*p.nodes));
	p.node_hash = calloc(nh, sizeof(*p.node_hash));
	p.stacks = calloc(p.nstacks, sizeof(*p.stacks));
	p.chain = calloc(p.chain_cap, sizeof(*p.chain));
	p.order = calloc(order, sizeof(*p.order));
	p.paths = malloc((size_t)(p.cfg.top_paths ? p.cfg.top_paths : 1) * p.cfg.path_max_len);
	p.walk = calloc(PATH_WALK_MAX, sizeof(*p.walk));
	bool ok = p.fns && p.fn_hash && p.names && p.nodes && p.node_hash && p.stacks && p.chain &&
	          p.order && p.paths && p.walk;
	for (uint32_t i = 0; ok && i < p.nstacks; i++) {
		/* the untracked stack holds no frame; each array starts with its sentinel */
		uint32_t depth = i == p.untracked ? 0 : p.cfg.max_depth;
		struct bvapm_profile_frame *a = calloc(depth + 1, sizeof(struct bvapm_profile_frame));
		ok = a != NULL;
		p.stacks[i].frames = a != NULL ? a + 1 : NULL;
		p.stacks[i].limit = depth;
	}
	if (!ok) {
		bvapm_profile_shutdown();
		return -ENOMEM;
	}
	p.initialised = true;
	p.scale_mult = 1;
	return 0;
}

void bvapm_profile_shutdown(void)
{
	if (p.stacks != NULL)
		for (uint32_t i = 0; i < p.nstacks; i++)
			if (p.stacks[i].frames != NULL)
				free(p.stacks[i].frames - 1);
	free(p.fns);
	free(p.fn_hash);
	free(p.names);
	free(p.nodes);
	free(p.node_hash);
	free(p.stacks);
	free(p.chain);
	free(p.order);
	free(p.paths);
	free(p.walk);
	memset(&p, 0, sizeof(p));
	bvapm_profile_on = false;
}

const struct bvapm_profile_config *bvapm_profile_config(void) { return &p.cfg; }
void bvapm_profile_set_time_scale(uint64_t mult, uint32_t shift)
{
	p.scale_mult = mult;
	p.scale_shift = shift;
}
void bvapm_profile_get_stats(struct bvapm_profile_stats *out)
{
	*out = p.stats;
	/* p.stats.calls counts only the begins that opened no frame; a frame
	 * opened is counted in its function when it closes, or is still open */
	for (uint32_t i = 0; i < p.fn_count; i++)
		out->calls += p.fns[i].calls;
	for (uint32_t i = 0; i < p.nstacks; i++)
		out->calls += p.stacks[i].depth; /* 0 in a stack not in use */
	out->functions = p.fn_count > 0 ? p.fn_count - 1 : 0;
	out->paths = p.node_count;
}

/* The parent node of the stack's first frame, in the sentinel too. */
static void set_base(struct bvapm_profile_stack *s, uint32_t node)
{
	s->base_node = node;
	s->frames[-1] = (struct bvapm_profile_frame){.id = NULL, .node = node};
}

static void reset_stack(struct bvapm_profile_stack *s)
{
	s->ctx = NULL;
	s->depth = s->overflow = s->fast_limit = 0;
	set_base(s, ROOT_NODE);
	s->in_use = s->in_chain = s->paused = false;
	s->paused_at = s->paused_total = s->resumed_at = 0;
}

void bvapm_profile_request_begin(uint64_t now_ns, uint64_t mem_bytes)
{
	(void)mem_bytes;
	if (!p.initialised)
		return;
	memset(p.fn_hash, 0, (size_t)(p.fn_hash_mask + 1) * sizeof(*p.fn_hash));
	memset(p.node_hash, 0, (size_t)(p.node_hash_mask + 1) * sizeof(*p.node_hash));
	static const char other[] = "(other)";
	memcpy(p.names, other, sizeof(other) - 1);
	p.names_used = sizeof(other) - 1;
	p.fns[OTHER_FN] = (struct bvapm_profile_fn){.key = NULL, .name_off = 0, .name_len = sizeof(other) - 1,
	                                    .last_parent = NONE};
	p.fn_count = 1;
	p.nodes[ROOT_NODE] = (struct bvapm_profile_node){.parent = NONE, .fn = NONE, .child_fn = NONE};
	p.nodes[OTHER_NODE] = (struct bvapm_profile_node){.parent = ROOT_NODE, .fn = OTHER_FN, .child_fn = NONE};
	p.node_count = 2;
	for (uint32_t i = 0; i < p.nstacks; i++)
		reset_stack(&p.stacks[i]);
	p.stacks[0].in_use = p.stacks[0].in_chain = true;
	p.stacks[0].resumed_at = now_ns;
	p.stacks[p.untracked].in_use = true;
	p.chain[0] = 0;
	p.chain_len = 1;
	p.cur = 0;
	p.top = &p.stacks[0];
	memset(&p.stats, 0, sizeof(p.stats));
	p.scale_mult = 1;
	p.scale_shift = 0;
	bvapm_profile_on = true;
}

void bvapm_profile_request_end(void)
{
	bvapm_profile_on = false;
}

/* ---- lookups ------------------------------------------------------------------ */

static uint32_t fn_lookup(const void *key, bvapm_profile_name_fn name_fn, const void *arg)
{
	uint32_t h = hash_ptr(key) & p.fn_hash_mask;
	for (;; h = (h + 1) & p.fn_hash_mask) {
		uint32_t slot = p.fn_hash[h];
		if (slot == 0)
			break;
		if (p.fns[slot - 1].key == key)
			return slot - 1;
	}
	/* first call of this function in the request */
	if (p.fn_count >= p.cfg.max_functions || p.names_cap - p.names_used < 16)
		return OTHER_FN;
	size_t room = p.names_cap - p.names_used;
	if (room > BVAPM_PROFILE_NAME_MAX)
		room = BVAPM_PROFILE_NAME_MAX;
	size_t len = name_fn != NULL ? name_fn(key, arg, p.names + p.names_used, room) : 0;
	if (len > room)
		len = room;
	if (len == 0) {
		/* a function without a name still gets its own entry */
		static const char unknown[] = "(unknown)";
		memcpy(p.names + p.names_used, unknown, sizeof(unknown) - 1);
		len = sizeof(unknown) - 1;
	}
	uint32_t idx = p.fn_count++;
	p.fns[idx] = (struct bvapm_profile_fn){.key = key, .name_off = p.names_used, .name_len = (uint32_t)len,
	                               .last_parent = NONE};
	p.names_used += (uint32_t)len;
	p.fn_hash[h] = idx + 1;
	return idx;
}

static uint32_t node_lookup(uint32_t parent, uint32_t fn)
{
	if (parent == OTHER_NODE)
		return OTHER_NODE; /* everything under "(other)" stays there */
	uint32_t h = bvapm_profile_hash_pair(parent, fn) & p.node_hash_mask;
	for (;; h = (h + 1) & p.node_hash_mask) {
		uint32_t slot = p.node_hash[h];
		if (slot == 0)
			break;
		struct bvapm_profile_node *n = &p.nodes[slot - 1];
		if (n->parent == parent && n->fn == fn)
			return slot - 1;
	}
	if (p.node_count >= p.cfg.max_paths)
		return OTHER_NODE;
	uint32_t idx = p.node_count++;
	p.nodes[idx] = (struct bvapm_profile_node){.parent = parent, .fn = fn, .child_fn = NONE};
	p.node_hash[h] = idx + 1;
	return idx;
}

/* ---- calls -------------------------------------------------------------------- */

void bvapm_profile_begin(const void *frame_id, const void *key, bvapm_profile_name_fn name_fn,
                         const void *name_arg, uint64_t now_ns, uint64_t mem_bytes)
{
	bvapm_profile_begin_cached(frame_id, NULL, key, name_fn, name_arg, now_ns, mem_bytes);
}

void bvapm_profile_begin_cached(const void *frame_id, uintptr_t *slot, const void *key,
                                bvapm_profile_name_fn name_fn, const void *name_arg,
                                uint64_t now_ns, uint64_t mem_bytes)
{
	uintptr_t scratch = 0; /* no slot: the hash lookup every time */

	if (!bvapm_profile_on)
		return;
	if (slot == NULL)
		slot = &scratch;
	struct bvapm_profile_call c;
	if (bvapm_profile_begin_find(slot, key, &c))
		bvapm_profile_begin_open(&c, frame_id, now_ns, mem_bytes);
	else
		bvapm_profile_begin_slow(frame_id, slot, key, name_fn, name_arg, now_ns, mem_bytes);
}

/* The node of fn (entry fe) under parent (node pn), when pn's last callee
 * was another function: from fe's last (parent, node) pair, else the hash;
 * remembered in both. */
static uint32_t node_slow(struct bvapm_profile_node *pn, uint32_t parent, struct bvapm_profile_fn *fe,
                          uint32_t fn)
{
	uint32_t node = fe->last_node;
	if (fe->last_parent != parent) {
		node = node_lookup(parent, fn);
		fe->last_parent = parent;
		fe->last_node = node;
	}
	pn->child_fn = fn;
	pn->child_node = node;
	return node;
}

/* What begin_fast leaves: the bounds, a function not met yet in the request
 * or not in its slot. */
void bvapm_profile_begin_slow(const void *frame_id, uintptr_t *slot, const void *key,
                              bvapm_profile_name_fn name_fn, const void *name_arg,
                              uint64_t now_ns, uint64_t mem_bytes)
{
	struct bvapm_profile_stack *s = p.top;
	if (s->depth >= s->limit) {
		p.stats.calls++; /* opens no frame (bvapm_profile_get_stats) */
		if (p.cur == p.untracked)
			p.stats.untracked_calls++;
		else
			s->overflow++; /* timed as part of the deepest tracked frame */
		return;
	}
	/* the slot's index, when the entry there is still this function's */
	uint32_t fn = slot != NULL && *slot < p.fn_count ? (uint32_t)*slot : OTHER_FN;
	if (p.fns[fn].key != key) {
		fn = fn_lookup(key, name_fn, name_arg);
		if (slot != NULL)
			*slot = fn;
	}
	struct bvapm_profile_fn *fe = &p.fns[fn];
	uint32_t parent = s->frames[(int64_t)s->depth - 1].node; /* the caller's, or the sentinel's */
	struct bvapm_profile_node *pn = &p.nodes[parent];
	uint32_t node = pn->child_fn == fn ? pn->child_node : node_slow(pn, parent, fe, fn);
	bvapm_profile_push(s, &s->frames[s->depth], frame_id, fn, fe, node, now_ns, mem_bytes);
	if (s->depth > s->fast_limit)
		s->fast_limit = s->depth; /* the fast path takes calls up to here */
	if (s->depth > p.stats.max_depth_seen)
		p.stats.max_depth_seen = s->depth;
}

/* Closes the top frame of s at now. */
static void pop_frame(struct bvapm_profile_stack *s, uint64_t now_ns, uint64_t mem_bytes)
{
	struct bvapm_profile_frame *f = &s->frames[--s->depth];
	bvapm_profile_pop(s, f, now_ns, mem_bytes);
}

void bvapm_profile_end(const void *frame_id, uint64_t now_ns, uint64_t mem_bytes)
{
	if (bvapm_profile_on)
		bvapm_profile_end_fast(frame_id, now_ns, mem_bytes);
}

/* What end_fast leaves: the untracked stack, an end past the depth bound, an
 * end that is not the top frame's. */
void bvapm_profile_end_slow(const void *frame_id, uint64_t now_ns, uint64_t mem_bytes)
{
	if (p.cur == p.untracked)
		return;
	struct bvapm_profile_stack *s = p.top;
	if (s->overflow > 0) {
		s->overflow--;
		return;
	}
	uint32_t i = s->depth;
	while (i > 0 && s->frames[i - 1].id != frame_id)
		i--;
	if (i == 0) {
		p.stats.unmatched_ends++;
		return;
	}
	/* frames above it lost their end (unwound without one): closed now */
	while (s->depth > i) {
		p.stats.closed_open++;
		pop_frame(s, now_ns, mem_bytes);
	}
	pop_frame(s, now_ns, mem_bytes);
}

/* ---- fibers ------------------------------------------------------------------ */

static uint32_t stack_of(const void *ctx)
{
	for (uint32_t i = 0; i < p.untracked; i++)
		if (p.stacks[i].in_use && p.stacks[i].ctx == ctx)
			return i;
	return NONE;
}

/* A stack for a fiber met for the first time; its frames hang under the
 * frame that is starting it. The untracked stack when none is free. */
static uint32_t new_stack(const void *ctx)
{
	for (uint32_t i = 1; i < p.untracked; i++) {
		struct bvapm_profile_stack *s = &p.stacks[i];
		if (s->in_use)
			continue;
		reset_stack(s);
		s->in_use = true;
		s->ctx = ctx;
		struct bvapm_profile_stack *from = &p.stacks[p.cur];
		if (p.cur != p.untracked)
			set_base(s, from->depth > 0 ? from->frames[from->depth - 1].node : from->base_node);
		return i;
	}
	return p.untracked;
}

/* The resumer's top frame counts the fiber's run as child time. */
static void leave_chain_top(uint64_t now_ns)
{
	uint32_t si = p.chain[--p.chain_len];
	struct bvapm_profile_stack *s = &p.stacks[si];
	uint64_t ran = now_ns > s->resumed_at ? now_ns - s->resumed_at : 0;
	if (si != p.untracked) {
		s->in_chain = false;
		s->paused = true;
		s->paused_at = now_ns;
	}
	if (p.chain_len > 0) {
		struct bvapm_profile_stack *r = &p.stacks[p.chain[p.chain_len - 1]];
		if (p.chain[p.chain_len - 1] != p.untracked && r->depth > 0)
			r->frames[r->depth - 1].child_ns += ran;
	}
}

void bvapm_profile_fiber_switch(const void *from, const void *to, uint64_t now_ns)
{
	if (!bvapm_profile_on)
		return;
	if (p.cur == 0 && p.stacks[0].ctx == NULL)
		p.stacks[0].ctx = from; /* the main context, named by its first switch */
	uint32_t ti = stack_of(to);
	if (ti != NONE && p.stacks[ti].in_chain) {
		/* back to a context waiting in the chain: suspend or return */
		while (p.chain_len > 1 && p.chain[p.chain_len - 1] != ti)
			leave_chain_top(now_ns);
	} else {
		/* start or resume a fiber */
		if (ti == NONE)
			ti = new_stack(to);
		if (p.chain_len >= p.chain_cap)
			return; /* nesting deeper than any sane program: not followed */
		struct bvapm_profile_stack *s = &p.stacks[ti];
		if (ti != p.untracked) {
			if (s->paused)
				s->paused_total += now_ns - s->paused_at;
			s->paused = false;
			s->in_chain = true;
		}
		s->resumed_at = now_ns;
		p.chain[p.chain_len++] = ti;
	}
	p.cur = p.chain[p.chain_len - 1];
	p.top = &p.stacks[p.cur];
}

static void close_stack(struct bvapm_profile_stack *s, uint64_t now_ns, uint64_t mem_bytes)
{
	uint64_t at = s->paused ? s->paused_at : now_ns;
	s->overflow = 0;
	while (s->depth > 0) {
		p.stats.closed_open++;
		pop_frame(s, at, mem_bytes);
	}
}

void bvapm_profile_fiber_destroy(const void *ctx, uint64_t now_ns, uint64_t mem_bytes)
{
	if (!bvapm_profile_on)
		return;
	uint32_t si = stack_of(ctx);
	if (si == NONE || si == 0 || p.stacks[si].in_chain)
		return;
	close_stack(&p.stacks[si], now_ns, mem_bytes);
	reset_stack(&p.stacks[si]);
}

void bvapm_profile_close_all(uint64_t now_ns, uint64_t mem_bytes)
{
	if (!bvapm_profile_on)
		return;
	/* running and waiting stacks, innermost first, so each resumer gets its
	 * fiber's run as child time before it is closed itself */
	while (p.chain_len > 0) {
		struct bvapm_profile_stack *s = &p.stacks[p.chain[p.chain_len - 1]];
		if (p.chain[p.chain_len - 1] != p.untracked)
			close_stack(s, now_ns, mem_bytes);
		if (p.chain_len == 1)
			break;
		leave_chain_top(now_ns);
	}
	for (uint32_t i = 1; i < p.untracked; i++)
		if (p.stacks[i].in_use && p.stacks[i].depth > 0)
			close_stack(&p.stacks[i], now_ns, mem_bytes);
	p.stacks[0].overflow = 0;
	p.stacks[0].in_chain = true;
	p.stacks[0].paused = false;
	p.chain[0] = 0;
	p.chain_len = 1;
	p.cur = 0;
	p.top = &p.stacks[0];
}

/* ---- results ------------------------------------------------------------------ */

static int by_fn_exclusive(const void *a, const void *b)
{
	const struct bvapm_profile_fn *x = &p.fns[*(const uint32_t *)a], *y = &p.fns[*(const uint32_t *)b];
	if (x->excl_ns != y->excl_ns)
		return x->excl_ns < y->excl_ns ? 1 : -1;
	if (x->incl_ns != y->incl_ns)
		return x->incl_ns < y->incl_ns ? 1 : -1;
	return 0;
}

static int by_fn_memory(const void *a, const void *b)
{
	const struct bvapm_profile_fn *x = &p.fns[*(const uint32_t *)a], *y = &p.fns[*(const uint32_t *)b];
	if (x->mem_delta != y->mem_delta)
		return x->mem_delta < y->mem_delta ? 1 : -1;
	return 0;
}

static int by_node_exclusive(const void *a, const void *b)
{
	const struct bvapm_profile_node *x = &p.nodes[*(const uint32_t *)a], *y = &p.nodes[*(const uint32_t *)b];
	if (x->excl_ns != y->excl_ns)
		return x->excl_ns < y->excl_ns ? 1 : -1;
	return 0;
}

static uint64_t to_ns(uint64_t ticks)
{
	return bvapm_mul_shift(ticks, p.scale_mult, p.scale_shift);
}

bool bvapm_profile_function_totals(const void *key, uint64_t *calls, uint64_t *incl_ns)
{
	if (!p.initialised || p.fn_hash == NULL)
		return false;
	for (uint32_t h = hash_ptr(key) & p.fn_hash_mask;; h = (h + 1) & p.fn_hash_mask) {
		uint32_t slot = p.fn_hash[h];
		if (slot == 0)
			return false;
		if (p.fns[slot - 1].key == key) {
			*calls = p.fns[slot - 1].calls;
			*incl_ns = to_ns(p.fns[slot - 1].incl_ns);
			return true;
		}
	}
}

static struct bvapm_rec_function fn_out(uint32_t i)
{
	const struct bvapm_profile_fn *f = &p.fns[i];
	return (struct bvapm_rec_function){
		.name = {p.names + f->name_off, f->name_len},
		.calls = f->calls,
		.inclusive_ns = to_ns(f->incl_ns),
		.exclusive_ns = to_ns(f->excl_ns),
		.mem_delta_bytes = f->mem_delta,
	};
}

uint32_t bvapm_profile_top_functions(struct bvapm_rec_function *out, uint32_t cap)
{
	uint32_t n = 0;
	if (p.fns == NULL)
		return 0;
	for (uint32_t i = 0; i < p.fn_count; i++)
		if (p.fns[i].calls > 0)
			p.order[n++] = i;
	qsort(p.order, n, sizeof(*p.order), by_fn_exclusive);
	if (n > cap)
		n = cap;
	for (uint32_t i = 0; i < n; i++)
		out[i] = fn_out(p.order[i]);
	return n;
}

uint32_t bvapm_profile_top_allocators(struct bvapm_rec_function *out, uint32_t cap)
{
	uint32_t n = 0;
	if (p.fns == NULL)
		return 0;
	for (uint32_t i = 0; i < p.fn_count; i++)
		if (p.fns[i].calls > 0 && p.fns[i].mem_delta > 0)
			p.order[n++] = i;
	qsort(p.order, n, sizeof(*p.order), by_fn_memory);
	if (n > cap)
		n = cap;
	for (uint32_t i = 0; i < n; i++)
		out[i] = fn_out(p.order[i]);
	return n;
}

/* Appends s[0..len) to dst (cap bytes, used so far *used); false if it does not fit. */
static bool append(char *dst, uint32_t cap, uint32_t *used, const char *s, uint32_t len)
{
	if (*used + len > cap)
		return false;
	memcpy(dst + *used, s, len);
	*used += len;
	return true;
}

/* The path of node n, outermost first, into dst[0..cap). When all names do
 * not fit, the outermost frames are kept, then "...", then as many of the
 * innermost as fit: both ends of a deep stack stay readable. */
static uint32_t path_string(uint32_t n, char *dst, uint32_t cap)
{
	uint32_t depth = 0;
	for (uint32_t k = n; k != ROOT_NODE && k != NONE && depth < PATH_WALK_MAX; k = p.nodes[k].parent)
		p.walk[depth++] = k; /* innermost first */
	uint32_t total = 0;
	for (uint32_t i = 0; i < depth; i++)
		total += p.fns[p.nodes[p.walk[i]].fn].name_len + 1;
	uint32_t used = 0;
	if (total <= cap + 1) {
		for (uint32_t i = depth; i-- > 0;) {
			const struct bvapm_profile_fn *f = &p.fns[p.nodes[p.walk[i]].fn];
			append(dst, cap, &used, p.names + f->name_off, f->name_len);
			if (i > 0)
				append(dst, cap, &used, ";", 1);
		}
		return used;
	}
	/* the innermost names that fit in half the space */
	uint32_t tail_len = 0, tail = 0;
	while (tail < depth) {
		uint32_t l = p.fns[p.nodes[p.walk[tail]].fn].name_len + 1;
		if (tail_len + l > cap / 2)
			break;
		tail_len += l;
		tail++;
	}
	for (uint32_t i = depth; i-- > tail;) {
		const struct bvapm_profile_fn *f = &p.fns[p.nodes[p.walk[i]].fn];
		if (used + f->name_len + 1 + 3 + tail_len > cap)
			break;
		append(dst, cap, &used, p.names + f->name_off, f->name_len);
		append(dst, cap, &used, ";", 1);
	}
	append(dst, cap, &used, "...", 3);
	for (uint32_t i = tail; i-- > 0;) {
		const struct bvapm_profile_fn *f = &p.fns[p.nodes[p.walk[i]].fn];
		append(dst, cap, &used, ";", 1);
		append(dst, cap, &used, p.names + f->name_off, f->name_len);
	}
	return used;
}

uint32_t bvapm_profile_top_paths(struct bvapm_rec_call_path *out, uint32_t cap)
{
	uint32_t n = 0;
	if (p.nodes == NULL)
		return 0;
	for (uint32_t i = 1; i < p.node_count; i++)
		if (p.nodes[i].calls > 0)
			p.order[n++] = i;
	qsort(p.order, n, sizeof(*p.order), by_node_exclusive);
	if (n > cap)
		n = cap;
	if (n > p.cfg.top_paths)
		n = p.cfg.top_paths;
	for (uint32_t i = 0; i < n; i++) {
		const struct bvapm_profile_node *nd = &p.nodes[p.order[i]];
		char *dst = p.paths + (size_t)i * p.cfg.path_max_len;
		uint32_t len = path_string(p.order[i], dst, p.cfg.path_max_len);
		out[i] = (struct bvapm_rec_call_path){
			.path = {dst, len},
			.calls = nd->calls,
			.inclusive_ns = to_ns(nd->incl_ns),
			.exclusive_ns = to_ns(nd->excl_ns),
		};
	}
	return n;
}
