/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_profile.c — cmocka tests of agent/core/profile.c with a scripted clock:
 * inclusive/exclusive accounting, recursion counted once, generators
 * (resume/yield pairs), fibers (per-fiber stacks, suspended time excluded,
 * fiber runs charged to Fiber::start), frames left open by exceptions and
 * exit(), every bound ("(other)" function and path, depth, fibers), call-path
 * strings and their length bound, top-N orders; the per-function slot
 * (bvapm_profile_begin_cached) across requests, shared and stale; the
 * fast path's depth bookkeeping; results scaled from clock ticks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "agent/core/profile.h"

/* Function keys are string literals; the name is the key itself. */
static size_t name_of(const void *key, const void *arg, char *out, size_t cap)
{
	(void)arg;
	size_t n = strlen(key);
	if (n > cap)
		n = cap;
	memcpy(out, key, n);
	return n;
}

static uint64_t now, mem;

/* Frames are identified by small integers cast to pointers. */
#define F(i) ((const void *)(uintptr_t)(i))

static void in(int frame, const char *fn) { bvapm_profile_begin(F(frame), fn, name_of, NULL, now, mem); }
static void out(int frame) { bvapm_profile_end(F(frame), now, mem); }

static struct bvapm_profile_config cfg(void)
{
	return (struct bvapm_profile_config){.max_functions = 100, .max_paths = 200, .max_depth = 64,
	                                     .max_fibers = 4, .top_n = 50, .top_paths = 200,
	                                     .path_max_len = 512};
}

static void start(struct bvapm_profile_config c)
{
	assert_int_equal(bvapm_profile_init(&c), 0);
	now = 1000;
	mem = 0;
	bvapm_profile_request_begin(now, mem);
}

static struct bvapm_rec_function fns[128];
static struct bvapm_rec_call_path paths[256];
static uint32_t nfns, npaths;

static void finish(void)
{
	bvapm_profile_close_all(now, mem);
	nfns = bvapm_profile_top_functions(fns, 128);
	npaths = bvapm_profile_top_paths(paths, 256);
}

static const struct bvapm_rec_function *fn(const char *name)
{
	for (uint32_t i = 0; i < nfns; i++)
		if (fns[i].name.len == strlen(name) && memcmp(fns[i].name.ptr, name, fns[i].name.len) == 0)
			return &fns[i];
	fail_msg("function %s not in the profile", name);
	return NULL;
}

static const struct bvapm_rec_call_path *path(const char *p)
{
	for (uint32_t i = 0; i < npaths; i++)
		if (paths[i].path.len == strlen(p) && memcmp(paths[i].path.ptr, p, paths[i].path.len) == 0)
			return &paths[i];
	fail_msg("path %s not in the profile", p);
	return NULL;
}

static uint64_t sum_exclusive(void)
{
	uint64_t s = 0;
	for (uint32_t i = 0; i < nfns; i++)
		s += fns[i].exclusive_ns;
	return s;
}

static void test_nesting(void **st)
{
	(void)st;
	start(cfg());
	in(1, "main");
	now += 10;
	in(2, "a");
	now += 20;
	mem += 500;
	in(3, "b");
	now += 30;
	out(3);
	in(4, "b");
	now += 5;
	out(4);
	out(2);
	now += 1;
	out(1);
	finish();
	assert_int_equal(fn("main")->inclusive_ns, 66);
	assert_int_equal(fn("main")->exclusive_ns, 11);
	assert_int_equal(fn("a")->inclusive_ns, 55);
	assert_int_equal(fn("a")->exclusive_ns, 20);
	assert_int_equal(fn("a")->mem_delta_bytes, 500);
	assert_int_equal(fn("b")->calls, 2);
	assert_int_equal(fn("b")->inclusive_ns, 35);
	assert_int_equal(fn("b")->exclusive_ns, 35);
	assert_int_equal(sum_exclusive(), 66);
	/* top-N by exclusive time */
	assert_int_equal(nfns, 3);
	assert_memory_equal(fns[0].name.ptr, "b", 1);
	assert_memory_equal(fns[1].name.ptr, "a", 1);
	assert_int_equal(path("main;a;b")->calls, 2);
	assert_int_equal(path("main;a;b")->exclusive_ns, 35);
	assert_int_equal(path("main")->inclusive_ns, 66);
	assert_memory_equal(paths[0].path.ptr, "main;a;b", 8);
	bvapm_profile_shutdown();
}

/* fib(4): 9 calls; inclusive counted for the outermost call only. */
static int frame_no;
static void fib(int n)
{
	int me = ++frame_no;
	in(me, "fib");
	now += 1;
	if (n >= 2) {
		fib(n - 1);
		fib(n - 2);
	}
	out(me);
}

static void test_recursion(void **st)
{
	(void)st;
	start(cfg());
	frame_no = 100;
	in(1, "main");
	fib(4);
	now += 3;
	out(1);
	finish();
	assert_int_equal(fn("fib")->calls, 9);
	assert_int_equal(fn("fib")->inclusive_ns, 9);
	assert_int_equal(fn("fib")->exclusive_ns, 9);
	assert_int_equal(fn("main")->inclusive_ns, 12);
	assert_int_equal(sum_exclusive(), 12);
	assert_int_equal(path("main;fib;fib;fib;fib")->calls, 2); /* fib(1), fib(0) under fib(2) under fib(3) */
	assert_int_equal(path("main;fib;fib;fib")->calls, 4);
	bvapm_profile_shutdown();
}

/* A generator: begin at each resume, end at each yield, same frame. */
static void test_generator(void **st)
{
	(void)st;
	start(cfg());
	in(1, "main");
	for (int i = 0; i < 3; i++) {
		now += 100; /* main's own work while the generator is suspended */
		in(7, "gen");
		now += 10;
		out(7);
	}
	out(1);
	finish();
	assert_int_equal(fn("gen")->calls, 3);
	assert_int_equal(fn("gen")->inclusive_ns, 30);
	assert_int_equal(fn("main")->exclusive_ns, 300);
	assert_int_equal(path("main;gen")->calls, 3);
	bvapm_profile_shutdown();
}

/* main starts a fiber that suspends once, then resumes it to the end. */
static void test_fibers(void **st)
{
	(void)st;
	const void *main_ctx = F(9000), *fiber = F(9001);
	start(cfg());
	in(1, "main");
	now += 10;
	in(2, "Fiber::start");
	bvapm_profile_fiber_switch(main_ctx, fiber, now);
	in(3, "{closure}");
	now += 40;
	in(4, "Fiber::suspend");
	bvapm_profile_fiber_switch(fiber, main_ctx, now);
	out(2); /* Fiber::start returns in main */
	now += 1000; /* main works while the fiber is suspended */
	in(5, "Fiber::resume");
	bvapm_profile_fiber_switch(main_ctx, fiber, now);
	out(4); /* Fiber::suspend returns in the fiber */
	now += 7;
	out(3);
	bvapm_profile_fiber_switch(fiber, main_ctx, now);
	bvapm_profile_fiber_destroy(fiber, now, mem);
	out(5);
	out(1);
	finish();
	assert_int_equal(fn("{closure}")->inclusive_ns, 47); /* suspended time excluded */
	assert_int_equal(fn("{closure}")->exclusive_ns, 47);
	assert_int_equal(fn("Fiber::suspend")->inclusive_ns, 0);
	assert_int_equal(fn("Fiber::start")->inclusive_ns, 40); /* includes the fiber's run */
	assert_int_equal(fn("Fiber::start")->exclusive_ns, 0);
	assert_int_equal(fn("Fiber::resume")->inclusive_ns, 7);
	assert_int_equal(fn("main")->exclusive_ns, 1010);
	assert_int_equal(fn("main")->inclusive_ns, 1057);
	assert_int_equal(sum_exclusive(), 1057);
	assert_int_equal(path("main;Fiber::start;{closure}")->inclusive_ns, 47);
	assert_int_equal(path("main;Fiber::start;{closure};Fiber::suspend")->calls, 1);
	bvapm_profile_shutdown();
}

/* An exception unwinds through frames whose ends are missed, and exit()
 * leaves frames open: both closed consistently, times still add up. */
static void test_unwinding_and_exit(void **st)
{
	(void)st;
	start(cfg());
	in(1, "main");
	in(2, "a");
	for (int i = 0; i < 50; i++) {
		in(10 + i, "deep");
		now += 1;
	}
	out(2); /* the ends of the 50 "deep" frames never came */
	in(3, "b");
	now += 5;
	in(4, "exit");
	/* exit(): no more ends */
	struct bvapm_profile_stats s;
	finish();
	bvapm_profile_get_stats(&s);
	assert_int_equal(fn("deep")->calls, 50);
	assert_int_equal(fn("deep")->inclusive_ns, 50);
	assert_int_equal(fn("b")->inclusive_ns, 5);
	assert_int_equal(fn("main")->inclusive_ns, 55);
	assert_int_equal(sum_exclusive(), 55);
	assert_int_equal(s.closed_open, 53);
	/* late ends (the engine's own end-all) are ignored */
	out(4);
	out(1);
	bvapm_profile_get_stats(&s);
	assert_int_equal(s.unmatched_ends, 2);
	bvapm_profile_shutdown();
}

static void test_bounds(void **st)
{
	(void)st;
	struct bvapm_profile_config c = cfg();
	c.max_functions = 4; /* "(other)" + 3 */
	c.max_paths = 5;     /* root, "(other)" + 3 */
	c.max_depth = 8;
	start(c);
	static const char *names[] = {"f0", "f1", "f2", "f3", "f4", "f5"};
	for (int i = 0; i < 6; i++) {
		in(i + 1, names[i]);
		now += 1;
		out(i + 1);
	}
	for (int i = 0; i < 20; i++) { /* 20 deep: 12 past max_depth */
		in(100 + i, "f0");
		now += 1;
	}
	for (int i = 19; i >= 0; i--)
		out(100 + i);
	finish();
	assert_int_equal(nfns, 4);
	assert_int_equal(fn("(other)")->calls, 3);
	assert_int_equal(fn("f0")->calls, 9);   /* 1 + 8 tracked */
	assert_int_equal(fn("f0")->inclusive_ns, 21); /* 1 + 20 */
	assert_int_equal(sum_exclusive(), 26);
	assert_true(path("(other)")->calls > 0);
	uint64_t paths_excl = 0;
	for (uint32_t i = 0; i < npaths; i++)
		paths_excl += paths[i].exclusive_ns;
	assert_int_equal(paths_excl, 26);
	bvapm_profile_shutdown();

	/* fibers past max_fibers: not profiled, counted */
	c = cfg();
	c.max_fibers = 1;
	start(c);
	in(1, "main");
	bvapm_profile_fiber_switch(F(9000), F(1), now);
	in(2, "in-fiber-1");
	bvapm_profile_fiber_switch(F(1), F(2), now);
	in(3, "in-fiber-2");
	out(3);
	bvapm_profile_fiber_switch(F(2), F(1), now);
	out(2);
	bvapm_profile_fiber_switch(F(1), F(9000), now);
	out(1);
	finish();
	struct bvapm_profile_stats s;
	bvapm_profile_get_stats(&s);
	assert_int_equal(s.untracked_calls, 1);
	assert_int_equal(fn("in-fiber-1")->calls, 1);
	assert_int_equal(path("main;in-fiber-1")->calls, 1);
	bvapm_profile_shutdown();
}

static void test_path_strings_bounded(void **st)
{
	(void)st;
	struct bvapm_profile_config c = cfg();
	c.path_max_len = 64;
	start(c);
	static char names[40][24];
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "Some\\Class%02d::method", i);
		in(i + 1, names[i]);
	}
	now += 9;
	for (int i = 40; i > 0; i--)
		out(i);
	finish();
	const struct bvapm_rec_call_path *deepest = &paths[0];
	assert_int_equal(deepest->exclusive_ns, 9);
	assert_true(deepest->path.len <= 64);
	char s[65];
	memcpy(s, deepest->path.ptr, deepest->path.len);
	s[deepest->path.len] = 0;
	assert_non_null(strstr(s, "..."));
	assert_true(strncmp(s, "Some\\Class00::method;", 21) == 0);  /* outermost kept */
	assert_non_null(strstr(s, ";Some\\Class39::method"));       /* innermost kept */
	for (uint32_t i = 0; i < npaths; i++)
		assert_true(paths[i].path.len <= 64);
	bvapm_profile_shutdown();
}

static void test_top_allocators_and_reuse(void **st)
{
	(void)st;
	start(cfg());
	in(1, "main");
	in(2, "small");
	mem += 100;
	out(2);
	in(3, "big");
	mem += 10000;
	in(4, "big-open"); /* open at the fatal error */
	mem += 5000;
	bvapm_profile_close_all(now, mem);
	struct bvapm_rec_function top[8];
	uint32_t n = bvapm_profile_top_allocators(top, 8);
	assert_int_equal(n, 4);
	assert_memory_equal(top[0].name.ptr, "main", 4);
	assert_int_equal(top[0].mem_delta_bytes, 15100);
	assert_memory_equal(top[1].name.ptr, "big", 3);
	assert_memory_equal(top[2].name.ptr, "big-open", 8);
	assert_memory_equal(top[3].name.ptr, "small", 5);
	bvapm_profile_request_end();
	/* the next request starts from empty tables, inactive in between */
	in(1, "ignored");
	bvapm_profile_request_begin(now, mem);
	in(1, "x");
	now += 2;
	out(1);
	finish();
	assert_int_equal(nfns, 1);
	assert_int_equal(fn("x")->inclusive_ns, 2);
	bvapm_profile_shutdown();
}

/* The glue's run-time cache word: a hint, right or wrong, never trusted. */
static void in_slot(int frame, const char *key, uintptr_t *slot)
{
	bvapm_profile_begin_cached(F(frame), slot, key, name_of, NULL, now, mem);
}

static void test_slot_cache(void **state)
{
	(void)state;
	uintptr_t sa = 0, sb = 0, shared = 0, garbage = 123456;
	start(cfg());
	in_slot(1, "main", NULL);
	for (int i = 0; i < 3; i++) {
		in_slot(2, "a", &sa); now += 10; out(2);
		in_slot(3, "b", &sb); now += 20; out(3);
		/* two functions in one word (the engine could share a cache): each
		 * call finds the other's index there and looks itself up */
		in_slot(4, "c", &shared); now += 1; out(4);
		in_slot(5, "d", &shared); now += 2; out(5);
		in_slot(6, "e", &garbage); now += 3; out(6); /* out of range: ignored, then set */
	}
	assert_int_not_equal(sa, sb);
	assert_int_not_equal(sa, 0);
	now += 5;
	out(1);
	finish();
	assert_int_equal(fn("a")->calls, 3);
	assert_int_equal(fn("a")->inclusive_ns, 30);
	assert_int_equal(fn("b")->calls, 3);
	assert_int_equal(fn("b")->exclusive_ns, 60);
	assert_int_equal(fn("c")->inclusive_ns, 3);
	assert_int_equal(fn("d")->inclusive_ns, 6);
	assert_int_equal(fn("e")->calls, 3);
	assert_int_equal(path("main;a")->calls, 3);
	assert_int_equal(path("main;d")->inclusive_ns, 6);
	assert_int_equal(fn("main")->exclusive_ns, 5);
	bvapm_profile_request_end();

	/* the next request meets the functions in another order: the words hold
	 * the last request's indexes, which now belong to other functions */
	bvapm_profile_request_begin(now, mem);
	in_slot(1, "main", NULL);
	in_slot(2, "b", &sb); now += 7; out(2);    /* sb still says b's old index 2 */
	in_slot(3, "new", &sa); now += 1; out(3);  /* sa says a's old index */
	in_slot(4, "a", &sa); now += 4; out(4);
	in_slot(5, "a", &sa); now += 4; out(5);
	/* a called from b: the function's last (parent, node) pair is not this path */
	in_slot(6, "b", &sb);
	in_slot(7, "a", &sa); now += 3; out(7);
	out(6);
	out(1);
	finish();
	assert_int_equal(fn("b")->calls, 2);
	assert_int_equal(fn("b")->inclusive_ns, 10);
	assert_int_equal(fn("new")->calls, 1);
	assert_int_equal(fn("a")->calls, 3);
	assert_int_equal(fn("a")->inclusive_ns, 11);
	assert_int_equal(path("main;a")->calls, 2);
	assert_int_equal(path("main;b;a")->calls, 1);
	assert_int_equal(path("main;b")->calls, 2);
	bvapm_profile_shutdown();
}

/* The fast path's depth bookkeeping: deepest stack counted, bound kept. */
static void test_depth_seen(void **state)
{
	(void)state;
	struct bvapm_profile_config c = cfg();
	c.max_depth = 4;
	start(c);
	for (int round = 0; round < 2; round++) {
		for (int d = 1; d <= 6; d++)
			in(d, "r");
		for (int d = 6; d >= 1; d--) {
			now += 1;
			out(d);
		}
	}
	struct bvapm_profile_stats st;
	bvapm_profile_get_stats(&st);
	assert_int_equal(st.max_depth_seen, 4);
	assert_int_equal(st.calls, 12);
	finish();
	assert_int_equal(fn("r")->calls, 8); /* 2 calls per round past the bound, inside the 4th */
	assert_int_equal(path("r;r;r;r")->calls, 2);
	bvapm_profile_shutdown();
}

/* Ticks of a 3 GHz clock, reported in ns. */
static void test_time_scale(void **state)
{
	(void)state;
	start(cfg());
	in(1, "main");
	in(2, "work");
	now += 3000000; /* 1 ms of ticks */
	out(2);
	now += 300;
	out(1);
	bvapm_profile_close_all(now, mem);
	/* ns per tick 1/3 in 32.32 fixed point */
	bvapm_profile_set_time_scale((UINT64_C(1) << 32) / 3 + 1, 32);
	nfns = bvapm_profile_top_functions(fns, 128);
	npaths = bvapm_profile_top_paths(paths, 256);
	assert_int_equal(fn("work")->inclusive_ns, 1000000);
	assert_int_equal(fn("main")->exclusive_ns, 100);
	assert_int_equal(path("main;work")->inclusive_ns, 1000000);
	/* a new request is back to ns */
	bvapm_profile_request_begin(now, mem);
	in(1, "x");
	now += 2;
	out(1);
	finish();
	assert_int_equal(fn("x")->inclusive_ns, 2);
	bvapm_profile_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_recursion),
		cmocka_unit_test(test_generator),
		cmocka_unit_test(test_fibers),
		cmocka_unit_test(test_unwinding_and_exit),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_path_strings_bounded),
		cmocka_unit_test(test_top_allocators_and_reuse),
		cmocka_unit_test(test_slot_cache),
		cmocka_unit_test(test_depth_seen),
		cmocka_unit_test(test_time_scale),
	};
	return cmocka_run_group_tests_name("agent profile", tests, NULL, NULL);
}
