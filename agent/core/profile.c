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
 * Per call: one clock read and one memory read by the caller, two hash
 * lookups (function, path node) that hit after the first call, a few stores.
 * Per request: clearing the two hash tables and, when results are asked
 * for, sorting the used entries.
 *
 * Threads: the PHP thread only; state is one static struct.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

#define OTHER_FN 0u
#define ROOT_NODE 0u
#define OTHER_NODE 1u
#define NONE UINT32_MAX
#define NAME_ARENA_PER_FUNCTION 96u /* average name bytes budgeted per function */
#define PATH_WALK_MAX 1024u         /* frames followed when a path string is built */

struct fn_entry {
	const void *key;
	uint32_t name_off, name_len;  /* in names */
	uint32_t active;              /* open activations (recursion) */
	uint64_t calls, incl_ns, excl_ns;
	int64_t mem_delta;
};

struct node {
	uint32_t parent, fn;
	uint64_t calls, incl_ns, excl_ns;
};

struct frame {
	const void *id;               /* the engine's execute_data */
	uint32_t fn, node;
	bool outermost;               /* no other activation of fn was open at entry */
	uint64_t start_ns;
	uint64_t child_ns;            /* inclusive time of callees and of fibers it resumed */
	uint64_t paused_at_entry;     /* the stack's paused_total at entry */
	uint64_t mem_start;
};

struct stack {
	const void *ctx;              /* fiber context; NULL: free (stack 0: main, not yet named) */
	struct frame *frames;
	uint32_t depth, overflow;     /* open frames; calls past max_depth still open */
	uint32_t base_node;           /* parent node of the stack's first frame */
	bool in_use, in_chain, paused;
	uint64_t paused_at, paused_total, resumed_at;
};

static struct {
	struct bvapm_profile_config cfg;
	bool initialised, active;

	struct fn_entry *fns;
	uint32_t fn_count;
	uint32_t *fn_hash;            /* fn index + 1, 0 = empty */
	uint32_t fn_hash_mask;
	char *names;
	uint32_t names_used, names_cap;

	struct node *nodes;
	uint32_t node_count;
	uint32_t *node_hash;          /* node index + 1, 0 = empty */
	uint32_t node_hash_mask;

	struct stack *stacks;         /* max_fibers + 2 */
	uint32_t nstacks, untracked;  /* untracked = nstacks - 1 */
	uint32_t cur;
	uint32_t *chain;
	uint32_t chain_len, chain_cap;

	uint32_t *order;              /* sort scratch, max(max_functions, max_paths) */
	char *paths;                  /* top_paths * path_max_len */
	uint32_t *walk;               /* PATH_WALK_MAX */

	struct bvapm_profile_stats stats;
} p;

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

static inline uint32_t hash_pair(uint32_t a, uint32_t b)
{
	uint64_t x = ((uint64_t)a << 32 | b) * UINT64_C(0x9e3779b97f4a7c15);
	return (uint32_t)(x >> 32);
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
		/* the untracked stack holds no frame */
		uint32_t depth = i == p.untracked ? 1 : p.cfg.max_depth;
		p.stacks[i].frames = calloc(depth, sizeof(struct frame));
		ok = p.stacks[i].frames != NULL;
	}
	if (!ok) {
		bvapm_profile_shutdown();
		return -ENOMEM;
	}
	p.initialised = true;
	return 0;
}

void bvapm_profile_shutdown(void)
{
	if (p.stacks != NULL)
		for (uint32_t i = 0; i < p.nstacks; i++)
			free(p.stacks[i].frames);
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
}

const struct bvapm_profile_config *bvapm_profile_config(void) { return &p.cfg; }
bool bvapm_profile_active(void) { return p.active; }
void bvapm_profile_get_stats(struct bvapm_profile_stats *out)
{
	*out = p.stats;
	out->functions = p.fn_count > 0 ? p.fn_count - 1 : 0;
	out->paths = p.node_count;
}

static void reset_stack(struct stack *s)
{
	s->ctx = NULL;
	s->depth = s->overflow = 0;
	s->base_node = ROOT_NODE;
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
	p.fns[OTHER_FN] = (struct fn_entry){.key = NULL, .name_off = 0, .name_len = sizeof(other) - 1};
	p.fn_count = 1;
	p.nodes[ROOT_NODE] = (struct node){.parent = NONE, .fn = NONE};
	p.nodes[OTHER_NODE] = (struct node){.parent = ROOT_NODE, .fn = OTHER_FN};
	p.node_count = 2;
	for (uint32_t i = 0; i < p.nstacks; i++)
		reset_stack(&p.stacks[i]);
	p.stacks[0].in_use = p.stacks[0].in_chain = true;
	p.stacks[0].resumed_at = now_ns;
	p.stacks[p.untracked].in_use = true;
	p.chain[0] = 0;
	p.chain_len = 1;
	p.cur = 0;
	memset(&p.stats, 0, sizeof(p.stats));
	p.active = true;
}

void bvapm_profile_request_end(void)
{
	p.active = false;
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
	p.fns[idx] = (struct fn_entry){.key = key, .name_off = p.names_used, .name_len = (uint32_t)len};
	p.names_used += (uint32_t)len;
	p.fn_hash[h] = idx + 1;
	return idx;
}

static uint32_t node_lookup(uint32_t parent, uint32_t fn)
{
	if (parent == OTHER_NODE)
		return OTHER_NODE; /* everything under "(other)" stays there */
	uint32_t h = hash_pair(parent, fn) & p.node_hash_mask;
	for (;; h = (h + 1) & p.node_hash_mask) {
		uint32_t slot = p.node_hash[h];
		if (slot == 0)
			break;
		struct node *n = &p.nodes[slot - 1];
		if (n->parent == parent && n->fn == fn)
			return slot - 1;
	}
	if (p.node_count >= p.cfg.max_paths)
		return OTHER_NODE;
	uint32_t idx = p.node_count++;
	p.nodes[idx] = (struct node){.parent = parent, .fn = fn};
	p.node_hash[h] = idx + 1;
	return idx;
}

/* ---- calls -------------------------------------------------------------------- */

void bvapm_profile_begin(const void *frame_id, const void *key, bvapm_profile_name_fn name_fn,
                         const void *name_arg, uint64_t now_ns, uint64_t mem_bytes)
{
	if (!p.active)
		return;
	p.stats.calls++;
	struct stack *s = &p.stacks[p.cur];
	if (p.cur == p.untracked) {
		p.stats.untracked_calls++;
		return;
	}
	if (s->depth >= p.cfg.max_depth) {
		s->overflow++; /* timed as part of the deepest tracked frame */
		return;
	}
	uint32_t fn = fn_lookup(key, name_fn, name_arg);
	uint32_t parent = s->depth > 0 ? s->frames[s->depth - 1].node : s->base_node;
	struct frame *f = &s->frames[s->depth++];
	f->id = frame_id;
	f->fn = fn;
	f->node = node_lookup(parent, fn);
	f->outermost = p.fns[fn].active++ == 0;
	f->start_ns = now_ns;
	f->child_ns = 0;
	f->paused_at_entry = s->paused_total;
	f->mem_start = mem_bytes;
	if (s->depth > p.stats.max_depth_seen)
		p.stats.max_depth_seen = s->depth;
}

/* Closes the top frame of s at now. */
static void pop_frame(struct stack *s, uint64_t now_ns, uint64_t mem_bytes)
{
	struct frame *f = &s->frames[--s->depth];
	uint64_t paused = s->paused_total - f->paused_at_entry;
	uint64_t elapsed = now_ns > f->start_ns ? now_ns - f->start_ns : 0;
	uint64_t incl = elapsed > paused ? elapsed - paused : 0;
	uint64_t excl = incl > f->child_ns ? incl - f->child_ns : 0;
	struct fn_entry *fn = &p.fns[f->fn];
	fn->calls++;
	fn->excl_ns += excl;
	if (f->outermost) {
		fn->incl_ns += incl;
		fn->mem_delta += (int64_t)(mem_bytes - f->mem_start);
	}
	if (fn->active > 0)
		fn->active--;
	struct node *n = &p.nodes[f->node];
	n->calls++;
	n->incl_ns += incl;
	n->excl_ns += excl;
	if (s->depth > 0)
		s->frames[s->depth - 1].child_ns += incl;
}

void bvapm_profile_end(const void *frame_id, uint64_t now_ns, uint64_t mem_bytes)
{
	if (!p.active || p.cur == p.untracked)
		return;
	struct stack *s = &p.stacks[p.cur];
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
		struct stack *s = &p.stacks[i];
		if (s->in_use)
			continue;
		reset_stack(s);
		s->in_use = true;
		s->ctx = ctx;
		struct stack *from = &p.stacks[p.cur];
		if (p.cur != p.untracked)
			s->base_node = from->depth > 0 ? from->frames[from->depth - 1].node : from->base_node;
		return i;
	}
	return p.untracked;
}

/* The resumer's top frame counts the fiber's run as child time. */
static void leave_chain_top(uint64_t now_ns)
{
	uint32_t si = p.chain[--p.chain_len];
	struct stack *s = &p.stacks[si];
	uint64_t ran = now_ns > s->resumed_at ? now_ns - s->resumed_at : 0;
	if (si != p.untracked) {
		s->in_chain = false;
		s->paused = true;
		s->paused_at = now_ns;
	}
	if (p.chain_len > 0) {
		struct stack *r = &p.stacks[p.chain[p.chain_len - 1]];
		if (p.chain[p.chain_len - 1] != p.untracked && r->depth > 0)
			r->frames[r->depth - 1].child_ns += ran;
	}
}

void bvapm_profile_fiber_switch(const void *from, const void *to, uint64_t now_ns)
{
	if (!p.active)
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
		struct stack *s = &p.stacks[ti];
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
}

static void close_stack(struct stack *s, uint64_t now_ns, uint64_t mem_bytes)
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
	if (!p.active)
		return;
	uint32_t si = stack_of(ctx);
	if (si == NONE || si == 0 || p.stacks[si].in_chain)
		return;
	close_stack(&p.stacks[si], now_ns, mem_bytes);
	reset_stack(&p.stacks[si]);
}

void bvapm_profile_close_all(uint64_t now_ns, uint64_t mem_bytes)
{
	if (!p.active)
		return;
	/* running and waiting stacks, innermost first, so each resumer gets its
	 * fiber's run as child time before it is closed itself */
	while (p.chain_len > 0) {
		struct stack *s = &p.stacks[p.chain[p.chain_len - 1]];
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
}

/* ---- results ------------------------------------------------------------------ */

static int by_fn_exclusive(const void *a, const void *b)
{
	const struct fn_entry *x = &p.fns[*(const uint32_t *)a], *y = &p.fns[*(const uint32_t *)b];
	if (x->excl_ns != y->excl_ns)
		return x->excl_ns < y->excl_ns ? 1 : -1;
	if (x->incl_ns != y->incl_ns)
		return x->incl_ns < y->incl_ns ? 1 : -1;
	return 0;
}

static int by_fn_memory(const void *a, const void *b)
{
	const struct fn_entry *x = &p.fns[*(const uint32_t *)a], *y = &p.fns[*(const uint32_t *)b];
	if (x->mem_delta != y->mem_delta)
		return x->mem_delta < y->mem_delta ? 1 : -1;
	return 0;
}

static int by_node_exclusive(const void *a, const void *b)
{
	const struct node *x = &p.nodes[*(const uint32_t *)a], *y = &p.nodes[*(const uint32_t *)b];
	if (x->excl_ns != y->excl_ns)
		return x->excl_ns < y->excl_ns ? 1 : -1;
	return 0;
}

static struct bvapm_rec_function fn_out(uint32_t i)
{
	const struct fn_entry *f = &p.fns[i];
	return (struct bvapm_rec_function){
		.name = {p.names + f->name_off, f->name_len},
		.calls = f->calls,
		.inclusive_ns = f->incl_ns,
		.exclusive_ns = f->excl_ns,
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
			const struct fn_entry *f = &p.fns[p.nodes[p.walk[i]].fn];
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
		const struct fn_entry *f = &p.fns[p.nodes[p.walk[i]].fn];
		if (used + f->name_len + 1 + 3 + tail_len > cap)
			break;
		append(dst, cap, &used, p.names + f->name_off, f->name_len);
		append(dst, cap, &used, ";", 1);
	}
	append(dst, cap, &used, "...", 3);
	for (uint32_t i = tail; i-- > 0;) {
		const struct fn_entry *f = &p.fns[p.nodes[p.walk[i]].fn];
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
		const struct node *nd = &p.nodes[p.order[i]];
		char *dst = p.paths + (size_t)i * p.cfg.path_max_len;
		uint32_t len = path_string(p.order[i], dst, p.cfg.path_max_len);
		out[i] = (struct bvapm_rec_call_path){
			.path = {dst, len},
			.calls = nd->calls,
			.inclusive_ns = nd->incl_ns,
			.exclusive_ns = nd->excl_ns,
		};
	}
	return n;
}
