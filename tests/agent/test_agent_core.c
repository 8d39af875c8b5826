/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_agent_core.c — cmocka tests of the agent's plain-C core against a real
 * ring: keep decisions per mode, sequence numbers with no gaps, losses while
 * no ring is attached counted once it attaches, one log line per problem,
 * the overhead guard, a new producer identity after fork, traceparent parsing,
 * the function profile in full-detail requests only, errors with stacks, the
 * fatal-error record (once per request, before the request record), and a
 * worker that moves to a new ring when its ring is replaced or retired and
 * refuses one that every user may write, and a configuration outside the
 * settings' bounds refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ring/ring.h"
#include "agent/core/agent_core.h"
#include "agent/core/agent_sampler.h"
#include "agent/core/profile.h"

static int log_lines;
static char last_log[512];

static void test_log(const char *line)
{
	log_lines++;
	snprintf(last_log, sizeof(last_log), "%s", line);
}

static char shm_dir[64];

static bvapm_ring *make_ring(const char *name)
{
	struct bvapm_ring_create_opts o = {.name = name, .capacity = 1 << 20, .group = (gid_t)-1};
	struct bvapm_ring_error err;
	bvapm_ring *r = NULL;

	bvapm_ring_unlink(name);
	assert_int_equal(bvapm_ring_create(&o, &r, &err), 0);
	return r;
}

static uint32_t attach_retry_ms = BVAPM_AGENT_ATTACH_RETRY_MS;

/* The defaults, with what a test varies; SQL capture off. */
static void init(const char *ring, enum bvapm_agent_mode mode, double rate, uint32_t budget_us)
{
	struct bvapm_agent_config cfg;

	bvapm_agent_config_defaults(&cfg);
	cfg.ring_name = ring;
	cfg.mode = mode;
	cfg.sample_rate = rate;
	cfg.slow_threshold_ms = 1000;
	cfg.overhead_budget_us = budget_us;
	cfg.max_checkpoints = 4;
	cfg.record_buffer_size = 65536;
	cfg.service = "svc";
	cfg.host = "testhost";
	cfg.attach_retry_ms = attach_retry_ms;
	cfg.sql.capture = false;
	log_lines = 0;
	assert_int_equal(bvapm_agent_init(&cfg, test_log), 0);
}

static void one_request(bool forced, bool failed)
{
	struct bvapm_agent_request_start s = {.method = "GET", .uri = "/x", .script = "/x.php",
	                                       .sapi = "test", .forced = forced, .mem_bytes = 1000};
	struct bvapm_agent_request_end e = {.status = 200, .failed = failed, .mem_bytes = 2000,
	                                   .mem_peak_bytes = 3000};
	bvapm_agent_request_begin(&s);
	bvapm_agent_checkpoint("a", 1, 1500, 1500);
	bvapm_agent_request_end(&e);
}

/* Drains the ring; returns the number of records and checks sequences. */
static int drain(bvapm_ring *c, uint64_t *first_seq, uint64_t *last_seq, bool *reduced)
{
	struct bvapm_ring_record recs[64];
	int total = 0, n;

	while ((n = bvapm_ring_peek(c, recs, 64)) > 0) {
		for (int i = 0; i < n; i++) {
			assert_int_equal(bvapm_rec_verify(recs[i].data, recs[i].len, NULL, NULL), 0);
			bvapm_rec_record_ref r = bvapm_rec_root(recs[i].data);
			uint64_t seq = bvapm_rec_record_sequence(r);
			if (total == 0 && first_seq)
				*first_seq = seq;
			if (last_seq) {
				if (total > 0)
					assert_int_equal(seq, *last_seq + 1);
				*last_seq = seq;
			}
			if (reduced)
				*reduced = bvapm_rec_request_detail_reduced(
				    bvapm_rec_record_body_request(r));
			total++;
		}
		bvapm_ring_release(c, recs[n - 1].end);
	}
	return total;
}

static void test_modes_and_keep_decisions(void **state)
{
	bvapm_ring *c = make_ring("modes");
	uint64_t first = 0, last = 0;

	init("modes", BVAPM_MODE_AGGRESSIVE, 0, 0);
	for (int i = 0; i < 10; i++)
		one_request(false, false);
	assert_int_equal(drain(c, &first, &last, NULL), 10);
	assert_int_equal(first, 1);
	assert_int_equal(last, 10);

	init("modes", BVAPM_MODE_LIGHT, 0, 0);
	for (int i = 0; i < 10; i++)
		one_request(false, false);
	assert_int_equal(drain(c, NULL, NULL, NULL), 0);
	one_request(false, true); /* failed: always kept */
	one_request(true, false); /* forced */
	assert_int_equal(drain(c, NULL, NULL, NULL), 2);

	init("modes", BVAPM_MODE_LIGHT, 0.25, 0);
	for (int i = 0; i < 4000; i++)
		one_request(false, false);
	int kept = drain(c, NULL, NULL, NULL);
	assert_in_range(kept, 800, 1200); /* 25% of 4000, give or take */

	init("modes", BVAPM_MODE_TARGETED, 1, 0);
	one_request(false, false);
	assert_int_equal(drain(c, NULL, NULL, NULL), 0);
	one_request(true, false);
	assert_int_equal(drain(c, NULL, NULL, NULL), 1);
	bvapm_agent_shutdown();
	bvapm_ring_close(c);
}

static void test_not_attached_losses_counted_on_attach(void **state)
{
	attach_retry_ms = 50;
	init("late", BVAPM_MODE_AGGRESSIVE, 0, 0);
	for (int i = 0; i < 5; i++)
		one_request(false, false);
	assert_false(bvapm_agent_attached());
	assert_int_equal(log_lines, 1); /* one line, not one per request */
	assert_non_null(strstr(last_log, "no ring at"));

	bvapm_ring *c = make_ring("late");
	one_request(false, false); /* within the retry interval: not attached yet */
	assert_false(bvapm_agent_attached());
	usleep(60000);
	one_request(false, false); /* attaches, reports the 6 lost, writes this one */
	assert_true(bvapm_agent_attached());
	assert_int_equal(log_lines, 2);
	assert_non_null(strstr(last_log, "6 records were lost"));
	struct bvapm_agent_stats st;
	bvapm_agent_get_stats(&st);
	assert_int_equal(st.not_attached, 6);
	struct bvapm_ring_stats rs;
	bvapm_ring_stats(c, &rs);
	assert_int_equal(rs.lost[BVAPM_LOSS_NOT_ATTACHED], 6);
	/* the sequence tells the same story downstream: the record is number 7 */
	uint64_t first = 0, last = 0;
	assert_int_equal(drain(c, &first, &last, NULL), 1);
	assert_int_equal(first, 7);
	attach_retry_ms = BVAPM_AGENT_ATTACH_RETRY_MS;
	bvapm_agent_shutdown();
	bvapm_ring_close(c);
}

/* A request with some detail to encode and copy (16 tags of 512 bytes), so
 * that the agent's own time passes a 1 us budget on any machine. */
static void heavy_request(void)
{
	struct bvapm_agent_request_start s = {.method = "GET", .uri = "/x", .script = "/x.php",
	                                       .sapi = "test", .mem_bytes = 1000};
	struct bvapm_agent_request_end e = {.status = 200, .mem_bytes = 2000, .mem_peak_bytes = 3000};
	char value[512];

	memset(value, 'v', sizeof(value));
	bvapm_agent_request_begin(&s);
	for (int i = 0; i < 16; i++) {
		char key[8];
		int n = snprintf(key, sizeof(key), "t%d", i);
		bvapm_agent_tag(key, (size_t)n, value, sizeof(value));
	}
	bvapm_agent_request_end(&e);
}

static uint64_t lost(bvapm_ring *r, enum bvapm_ring_loss why)
{
	struct bvapm_ring_stats st;
	bvapm_ring_stats(r, &st);
	return st.lost[why];
}

static void test_moves_to_a_replaced_ring(void **state)
{
	(void)state;
	bvapm_ring *old = make_ring("moving");
	init("moving", BVAPM_MODE_AGGRESSIVE, 0, 0);
	for (int i = 0; i < 3; i++)
		one_request(false, false);
	/* the drainer stops, the file is removed, a new drainer creates one */
	bvapm_ring_close(old);
	assert_int_equal(bvapm_ring_unlink("moving"), 0);
	bvapm_ring *c = make_ring("moving");
	one_request(false, false); /* within the second: still the old file */
	assert_int_equal(drain(c, NULL, NULL, NULL), 0);
	usleep(1100 * 1000);
	one_request(false, false); /* notices, moves, records here */
	assert_int_equal(drain(c, NULL, NULL, NULL), 1);
	assert_int_equal(lost(c, BVAPM_LOSS_RETIRED), 4);
	assert_non_null(strstr(last_log, "attached to the ring; 4 records were lost"));
	one_request(false, false);
	assert_int_equal(drain(c, NULL, NULL, NULL), 1);
	bvapm_agent_shutdown();
	bvapm_ring_close(c);
}

static void test_leaves_a_retired_ring_at_once(void **state)
{
	(void)state;
	bvapm_ring *old = make_ring("retiring");
	init("retiring", BVAPM_MODE_AGGRESSIVE, 0, 0);
	one_request(false, false);
	one_request(false, false);
	assert_int_equal(bvapm_ring_unlink("retiring"), 0);
	bvapm_ring *c = make_ring("retiring");
	bvapm_ring_retire(old); /* the drainer moved on: drains the rest itself */
	one_request(false, false);
	assert_int_equal(drain(c, NULL, NULL, NULL), 1);
	assert_int_equal(drain(old, NULL, NULL, NULL), 2);
	assert_int_equal(lost(c, BVAPM_LOSS_RETIRED), 0);
	bvapm_agent_shutdown();
	bvapm_ring_close(c);
	bvapm_ring_close(old);
}

static void test_world_writable_ring_refused_and_counted(void **state)
{
	(void)state;
	char path[128];
	bvapm_ring *c = make_ring("planted");
	assert_int_equal(bvapm_ring_path("planted", path, sizeof(path)), 0);
	assert_int_equal(chmod(path, 0666), 0);
	attach_retry_ms = 50;
	init("planted", BVAPM_MODE_AGGRESSIVE, 0, 0);
	for (int i = 0; i < 3; i++)
		one_request(false, false);
	assert_false(bvapm_agent_attached());
	assert_non_null(strstr(last_log, "writable by every local user"));
	assert_int_equal(drain(c, NULL, NULL, NULL), 0); /* nothing written into it */
	assert_int_equal(chmod(path, 0660), 0);
	usleep(60 * 1000);
	one_request(false, false);
	assert_true(bvapm_agent_attached());
	assert_int_equal(drain(c, NULL, NULL, NULL), 1);
	assert_int_equal(lost(c, BVAPM_LOSS_INCOMPATIBLE), 3);
	attach_retry_ms = BVAPM_AGENT_ATTACH_RETRY_MS;
	bvapm_agent_shutdown();
	bvapm_ring_close(c);
}

static void test_overhead_guard_reduces_detail(void **state)
{
	bvapm_ring *c = make_ring("budget");
	bool reduced = false;
	int first_reduced = 0;

	/* 1 us: (nearly) every request exceeds it. One overrun alone (a
	 * descheduled worker) reduces nothing; two in a row do: the first
	 * reduced request is the third at the earliest. Timing decides which
	 * requests overrun, so the test allows for a fast one among them. */
	init("budget", BVAPM_MODE_AGGRESSIVE, 0, 1);
	for (int i = 1; i <= 50 && first_reduced == 0; i++) {
		heavy_request();
		assert_int_equal(drain(c, NULL, NULL, &reduced), 1);
		if (reduced)
			first_reduced = i;
	}
	assert_true(first_reduced >= 3);
	assert_int_equal(log_lines, 1);
	assert_non_null(strstr(last_log, "overhead_budget"));
	bvapm_agent_shutdown();
	bvapm_ring_close(c);
}

static void test_checkpoints_bounded(void **state)
{
	bvapm_ring *c = make_ring("bounded");
	struct bvapm_agent_request_start s = {.method = "GET", .uri = "/", .mem_bytes = 100};
	struct bvapm_agent_request_end e = {.status = 200};
	struct bvapm_ring_record rec;

	init("bounded", BVAPM_MODE_AGGRESSIVE, 0, 0);
	bvapm_agent_request_begin(&s);
	for (int i = 0; i < 100000; i++)
		bvapm_agent_checkpoint("cp", 2, (uint64_t)i, (uint64_t)i);
	for (int i = 0; i < 1000; i++) {
		char name[16];
		int n = snprintf(name, sizeof(name), "c%d", i);
		bvapm_agent_count(name, (size_t)n, 1);
		bvapm_agent_tag(name, (size_t)n, "v", 1);
	}
	bvapm_agent_request_end(&e);
	assert_int_equal(bvapm_ring_peek(c, &rec, 1), 1);
	bvapm_rec_request_ref req =
	    bvapm_rec_record_body_request(bvapm_rec_root(rec.data));
	assert_int_equal(bvapm_rec_request_checkpoints(req).len, 4);
	assert_int_equal(bvapm_rec_request_counters(req).len, BVAPM_AGENT_MAX_COUNTERS);
	assert_int_equal(bvapm_rec_request_tags(req).len, BVAPM_AGENT_MAX_TAGS);
	bvapm_agent_shutdown();
	bvapm_ring_close(c);
}

static void test_new_identity_after_fork(void **state)
{
	bvapm_ring *c = make_ring("fork");
	uint64_t first = 0, last = 0;

	init("fork", BVAPM_MODE_AGGRESSIVE, 0, 0);
	one_request(false, false);
	one_request(false, false);
	pid_t pid = fork();
	if (pid == 0) {
		/* a php-fpm worker: its own pid, producer identity and sequence */
		one_request(false, false);
		_exit(bvapm_agent_attached() ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	assert_int_equal(WEXITSTATUS(status), 0);
	struct bvapm_ring_record recs[8];
	int n = bvapm_ring_peek(c, recs, 8);
	assert_int_equal(n, 3);
	bvapm_rec_record_ref child = bvapm_rec_root(recs[2].data);
	assert_int_equal(bvapm_rec_record_pid(child), (uint32_t)pid);
	assert_int_equal(bvapm_rec_record_sequence(child), 1);
	bvapm_ring_rewind(c);
	(void)first;
	(void)last;
	bvapm_agent_shutdown();
	bvapm_ring_close(c);
}

static size_t key_name(const void *key, const void *arg, char *out, size_t cap)
{
	(void)arg;
	size_t n = strlen(key) < cap ? strlen(key) : cap;
	memcpy(out, key, n);
	return n;
}

static void test_profile_errors_and_fatal(void **state)
{
	bvapm_ring *c = make_ring("fatal");
	struct bvapm_agent_config cfg;
	bvapm_agent_config_defaults(&cfg);
	cfg.ring_name = "fatal";
	cfg.mode = BVAPM_MODE_AGGRESSIVE;
	cfg.sample_rate = 0;
	cfg.slow_threshold_ms = 0;
	cfg.overhead_budget_us = 0;
	cfg.max_checkpoints = 4;
	cfg.record_buffer_size = 1 << 20;
	cfg.host = "testhost";
	cfg.profile = true;
	cfg.profile_top_n = 2;
	cfg.profile_max_functions = 100;
	cfg.sql.capture = false;
	assert_int_equal(bvapm_agent_init(&cfg, test_log), 0);
	struct bvapm_agent_request_start s = {.method = "GET", .uri = "/oom", .sapi = "test",
	                                       .mem_bytes = 1000};
	bvapm_agent_request_begin(&s);
	assert_true(bvapm_agent_profiling());
	bvapm_agent_checkpoint("before", 6, 2000, 2000);
	/* what the observer glue does: main > load > grow (still open at the fatal) */
	bvapm_profile_begin((void *)1, "main", key_name, NULL, 10, 1000);
	bvapm_profile_begin((void *)2, "load", key_name, NULL, 20, 1000);
	bvapm_profile_begin((void *)3, "small", key_name, NULL, 30, 1000);
	bvapm_profile_end((void *)3, 40, 1100);
	bvapm_profile_begin((void *)4, "grow", key_name, NULL, 50, 1100);

	struct bvapm_rec_frame frames[100];
	for (int i = 0; i < 100; i++)
		frames[i] = (struct bvapm_rec_frame){bvapm_rec_cstr("down"), bvapm_rec_cstr("/a.php"), 2};
	bvapm_agent_error_stack("LogicException", "deep", 4, "/a.php", 2, frames, 100, 101);

	struct bvapm_agent_fatal f = {.type = "E_ERROR", .message = "Allowed memory size", .mlen = 19,
	                              .file = "/a.php", .line = 7, .out_of_memory = true,
	                              .mem_bytes = 9000, .mem_peak_bytes = 9500,
	                              .mem_limit_bytes = 10000, .stack = frames, .frame_count = 3};
	bvapm_agent_fatal(&f);
	bvapm_agent_fatal(&f); /* a second report of the same death: not written twice */
	struct bvapm_agent_request_end e = {.status = 500, .failed = true, .mem_bytes = 9000,
	                                   .mem_peak_bytes = 9500};
	bvapm_agent_request_end(&e);

	struct bvapm_ring_record recs[8];
	assert_int_equal(bvapm_ring_peek(c, recs, 8), 2);
	bvapm_rec_record_ref fr = bvapm_rec_root(recs[0].data), rr = bvapm_rec_root(recs[1].data);
	assert_int_equal(bvapm_rec_record_body_type(fr), BVAPM_REC_KIND_FATAL);
	assert_int_equal(bvapm_rec_record_body_type(rr), BVAPM_REC_KIND_REQUEST);
	assert_int_equal(bvapm_rec_record_sequence(rr), bvapm_rec_record_sequence(fr) + 1);
	bvapm_rec_fatal_ref fb = bvapm_rec_record_body_fatal(fr);
	assert_true(bvapm_rec_fatal_out_of_memory(fb));
	assert_int_equal(bvapm_rec_fatal_mem_peak_bytes(fb), 9500);
	assert_int_equal(bvapm_rec_fatal_checkpoints(fb).len, 1);
	assert_int_equal(bvapm_rec_fatal_stack(fb).len, 3);
	/* top allocators: the open frames count up to the fatal error */
	bvapm_rec_function_stat_vec top = bvapm_rec_fatal_top_allocators(fb);
	assert_int_equal(top.len, 4);
	assert_int_equal(bvapm_rec_function_stat_mem_delta_bytes(bvapm_rec_function_stat_at(top, 0)), 8000);

	bvapm_rec_request_ref q = bvapm_rec_record_body_request(rr);
	assert_int_equal(bvapm_rec_request_keep_reason(q), BVAPM_REC_KEEP_ERROR);
	assert_int_equal(bvapm_rec_request_functions(q).len, 2); /* profile_top_n */
	assert_int_equal(bvapm_rec_request_call_paths(q).len, 4);
	bvapm_rec_error_event_ref err = bvapm_rec_error_event_at(bvapm_rec_request_errors(q), 0);
	assert_int_equal(bvapm_rec_error_event_stack(err).len, BVAPM_AGENT_ERROR_FRAMES);
	assert_int_equal(bvapm_rec_error_event_stack_depth(err), 101);
	bvapm_ring_release(c, recs[1].end);

	/* the next request's plain error carries no stack of the last one */
	bvapm_agent_request_begin(&s);
	bvapm_agent_error("E_WARNING", "w", 1, "/b.php", 3);
	bvapm_agent_request_end(&e);
	assert_int_equal(bvapm_ring_peek(c, recs, 8), 1);
	q = bvapm_rec_record_body_request(bvapm_rec_root(recs[0].data));
	err = bvapm_rec_error_event_at(bvapm_rec_request_errors(q), 0);
	assert_int_equal(bvapm_rec_error_event_line(err), 3);
	assert_int_equal(bvapm_rec_error_event_stack(err).len, 0);
	assert_int_equal(bvapm_rec_error_event_stack_depth(err), 0);
	bvapm_ring_release(c, recs[0].end);

	/* light mode, sampled: recorded without a profile */
	cfg.mode = BVAPM_MODE_LIGHT;
	cfg.sample_rate = 1;
	assert_int_equal(bvapm_agent_init(&cfg, test_log), 0);
	bvapm_agent_request_begin(&s);
	assert_false(bvapm_agent_profiling());
	assert_false(bvapm_profile_active());
	bvapm_agent_request_end(&e);
	assert_int_equal(bvapm_ring_peek(c, recs, 8), 1);
	q = bvapm_rec_record_body_request(bvapm_rec_root(recs[0].data));
	assert_int_equal(bvapm_rec_request_functions(q).len, 0);
	assert_int_equal(bvapm_rec_request_call_paths(q).len, 0);
	bvapm_ring_release(c, recs[0].end);
	bvapm_agent_shutdown();
	bvapm_ring_close(c);
}

/* The statistical profile runs where the exact one does not: a request with
 * the function profile takes no samples (its ticks would only interrupt it),
 * one without it does. */
static void poke_nothing(void) {} /* the module's sets the engine's interrupt flag */

static void test_sampler_only_without_exact_profile(void **state)
{
	bvapm_ring *c = make_ring("sampler");
	struct bvapm_agent_config cfg;
	struct bvapm_agent_request_start s = {.method = "GET", .uri = "/"};
	struct bvapm_agent_request_end e = {0};
	struct bvapm_ring_record recs[8];
	(void)state;

	bvapm_agent_config_defaults(&cfg);
	cfg.ring_name = "sampler";
	cfg.overhead_budget_us = 0;
	cfg.host = "testhost";
	cfg.profile = true;
	cfg.sampling_hz = 1000;
	bvapm_agent_set_sample_poke(poke_nothing);
	for (int light = 0; light < 2; light++) {
		cfg.mode = light ? BVAPM_MODE_LIGHT : BVAPM_MODE_AGGRESSIVE;
		cfg.sample_rate = 1;
		assert_int_equal(bvapm_agent_init(&cfg, test_log), 0);
		bvapm_agent_request_begin(&s);
		assert_int_equal(bvapm_agent_profiling(), !light);
		uint32_t ticks = 0;
		/* the ticker starts with the first sampled request: up to 1 s */
		for (int i = 0; i < 100 && ticks == 0; i++) {
			usleep(10000);
			ticks += bvapm_agent_sample_take();
		}
		if (light)
			assert_true(ticks > 0);
		else
			assert_int_equal(ticks, 0);
		bvapm_agent_request_end(&e);
		uint32_t n = bvapm_ring_peek(c, recs, 8);
		assert_int_equal(n, 1);
		bvapm_ring_release(c, recs[0].end);
		bvapm_agent_shutdown();
	}
	bvapm_ring_close(c);
}

/* Sets setting s of cfg to its bound `end` (0: lo, 1: hi), with the setting
 * that bounds it (or that it bounds) moved out of the way first. */
static void at_bound(struct bvapm_agent_config *cfg, int s, int end)
{
	const struct bvapm_agent_setting_bounds *b = &bvapm_agent_settings[s];

	if (b->at_most != BVAPM_SETTING_NONE && end == 1)
		bvapm_agent_config_set_number(cfg, b->at_most, bvapm_agent_settings[b->at_most].hi);
	for (int d = 0; d < BVAPM_SETTING_COUNT; d++)
		if (bvapm_agent_settings[d].at_most == s && end == 0)
			bvapm_agent_config_set_number(cfg, d, bvapm_agent_settings[d].lo);
	bvapm_agent_config_set_number(cfg, s, end == 0 ? b->lo : b->hi);
}

/* One set of bounds: the table the module warns and clamps with is the one
 * bvapm_agent_init checks. Every setting at either bound is accepted; one
 * step past it is refused with -EINVAL and one log line naming the setting,
 * and the agent stays off, even after a configuration that worked. */
static void test_config_outside_bounds_refused(void **state)
{
	(void)state;
	struct bvapm_agent_config cfg;
	char why[160];

	bvapm_agent_config_defaults(&cfg);
	assert_int_equal(bvapm_agent_config_check(&cfg, why, sizeof(why)), 0);
	/* the defaults are the INI defaults (docs/agent.md) */
	assert_true(cfg.enabled);
	assert_int_equal(cfg.mode, BVAPM_MODE_LIGHT);
	assert_true(cfg.sample_rate == 0.01);
	assert_int_equal(cfg.slow_threshold_ms, 1000);
	assert_int_equal(cfg.overhead_budget_us, 2000);
	assert_int_equal(cfg.max_checkpoints, 64);
	assert_int_equal(cfg.record_buffer_size, 262144);
	assert_int_equal(cfg.profile_top_n, 50);
	assert_int_equal(cfg.profile_max_functions, 1000);
	assert_int_equal(cfg.sql.n_plus_one_threshold, 10);
	assert_int_equal(cfg.sql.max_statements, 100);
	assert_int_equal(cfg.attach_retry_ms, BVAPM_AGENT_ATTACH_RETRY_MS);

	for (int s = 0; s < BVAPM_SETTING_COUNT; s++) {
		const struct bvapm_agent_setting_bounds *b = &bvapm_agent_settings[s];
		double step = b->real ? 0.001 : 1;

		for (int end = 0; end < 2; end++) {
			bvapm_agent_config_defaults(&cfg);
			cfg.host = "testhost";
			at_bound(&cfg, s, end);
			log_lines = 0;
			assert_int_equal(bvapm_agent_init(&cfg, test_log), 0);
			assert_true(bvapm_agent_enabled());
			assert_int_equal(log_lines, 0);

			double past = end == 0 ? b->lo - step : b->hi + step;
			if (past < 0 && !b->real)
				continue; /* below 0: not a value of the field */
			bvapm_agent_config_set_number(&cfg, s, past);
			assert_true(bvapm_agent_config_number(&cfg, s) == past);
			assert_int_equal(bvapm_agent_init(&cfg, test_log), -EINVAL);
			assert_false(bvapm_agent_enabled());
			assert_int_equal(log_lines, 1);
			assert_non_null(strstr(last_log, b->name));
			assert_non_null(strstr(last_log, "the agent is off"));
		}
	}

	/* bounded by another setting: the record lists no more than it tracks */
	bvapm_agent_config_defaults(&cfg);
	cfg.profile_max_functions = 100;
	cfg.profile_top_n = 101;
	assert_int_equal(bvapm_agent_config_check(&cfg, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "bvapm.profile_top_n 101 is out of range (1 to 100, at most "
	                            "bvapm.profile_max_functions)"));
	cfg.profile_top_n = 100;
	assert_int_equal(bvapm_agent_config_check(&cfg, why, sizeof(why)), 0);

	/* 0 means no default: what the core used to turn into one is refused */
	bvapm_agent_config_defaults(&cfg);
	cfg.max_checkpoints = 0;
	assert_int_equal(bvapm_agent_config_check(&cfg, why, sizeof(why)), -EINVAL);
	bvapm_agent_config_defaults(&cfg);
	cfg.mode = 0;
	assert_int_equal(bvapm_agent_config_check(&cfg, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "bvapm.mode"));
	bvapm_agent_config_defaults(&cfg);
	cfg.attach_retry_ms = 0;
	assert_int_equal(bvapm_agent_config_check(&cfg, why, sizeof(why)), -EINVAL);
	bvapm_agent_config_defaults(&cfg);
	cfg.sample_rate = NAN;
	assert_int_equal(bvapm_agent_config_check(&cfg, why, sizeof(why)), -EINVAL);

	/* refused: nothing recorded, whatever the request */
	struct bvapm_agent_request_start st = {.method = "GET", .uri = "/", .forced = true};
	bvapm_agent_request_begin(&st);
	assert_false(bvapm_agent_active());
	bvapm_agent_shutdown();
}

static void test_traceparent(void **state)
{
	uint8_t t[16], s[8];
	bool sampled;

	assert_true(bvapm_agent_parse_traceparent(
	    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", t, s, &sampled));
	assert_true(sampled);
	assert_int_equal(t[0], 0x0a);
	assert_int_equal(s[7], 0x31);
	assert_false(bvapm_agent_parse_traceparent(
	    "00-00000000000000000000000000000000-b7ad6b7169203331-01", t, s, &sampled));
	assert_false(bvapm_agent_parse_traceparent(
	    "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", t, s, &sampled));
	assert_false(bvapm_agent_parse_traceparent("00-0AF7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
	                                           t, s, &sampled));
	assert_false(bvapm_agent_parse_traceparent("garbage", t, s, &sampled));
	assert_false(bvapm_agent_parse_traceparent(NULL, t, s, &sampled));
	assert_int_equal(bvapm_agent_mode_parse("aggressive"), BVAPM_MODE_AGGRESSIVE);
	assert_int_equal(bvapm_agent_mode_parse("bogus"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes_and_keep_decisions),
		cmocka_unit_test(test_not_attached_losses_counted_on_attach),
		cmocka_unit_test(test_moves_to_a_replaced_ring),
		cmocka_unit_test(test_leaves_a_retired_ring_at_once),
		cmocka_unit_test(test_world_writable_ring_refused_and_counted),
		cmocka_unit_test(test_overhead_guard_reduces_detail),
		cmocka_unit_test(test_checkpoints_bounded),
		cmocka_unit_test(test_new_identity_after_fork),
		cmocka_unit_test(test_traceparent),
		cmocka_unit_test(test_config_outside_bounds_refused),
		cmocka_unit_test(test_profile_errors_and_fatal),
		cmocka_unit_test(test_sampler_only_without_exact_profile),
	};
	snprintf(shm_dir, sizeof(shm_dir), "/dev/shm/bvapm-agent-test-XXXXXX");
	if (mkdtemp(shm_dir) == NULL)
		return 1;
	setenv("BVAPM_SHM_DIR", shm_dir, 1);
	int rc = cmocka_run_group_tests_name("agent core", tests, NULL, NULL);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", shm_dir);
	if (system(cmd) != 0)
		return 1;
	return rc;
}
