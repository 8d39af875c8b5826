/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_gen.c — bvapm-store-gen: writes a synthetic bvapm store for tests and
 * benchmarks of bvapm-report. Every row is written the way the drainer
 * writes it: each request, fatal error, aborted request and statistics
 * record is encoded with the record codec (record/record.h), verified, and
 * handed to the store's writer (store/store.h) — the same migrations, the
 * same INSERTs, the same child rows. Only the connection is the
 * generator's own: no journal and no sync while it fills the file in one
 * transaction, WAL when it is done (as the drainer leaves a store).
 *
 *   bvapm-store-gen [--requests N] [--seed S] [--end UNIX_S] [--plant]
 *                   [--plant-jobs] [--plant-calls] [--lose K] [--no-call-paths]
 *                   [--schema V] DB
 *
 * --schema V applies only the first V migrations (an older drainer's store;
 * the writer stores what that schema holds: below version 2 no call paths
 * and no error stacks); with --no-call-paths no call paths are written.
 *
 * Background traffic (deterministic for a seed): 24 endpoints, 8 producers
 * (pid 2000+), requests spread over [end - 7 days, end - 3 hours] with
 * log-normal latency and normal peak memory per endpoint, 4 checkpoints,
 * 2-3 SQL statements, 4 functions and a counter each, call paths for 1 in
 * 10, an error in 1 of 100 (status 500 in 1 of 200), a fatal error in 1 of
 * 20000, a few aborted requests and statistics rows; outbound calls (from
 * the request number, not the random sequence, so the figures above do not
 * move): 1 in 5 requests 1-4 Redis GETs on "redis 10.0.0.5:6379" of
 * 50-500 us, 1 in 50 an HTTP GET /v2/stock on
 * "https://api.partner.example:443" of 2-20 ms; the requests with call
 * paths (1 in 10, as if profiled in full) also carry their timed calls as
 * spans (each SQL execution, each GET, the HTTP call) and span_total_count.
 * Background values stay below the planted ones: jumps < 64 MiB, at most 8
 * runs of a statement per request (never flagged N+1), function exclusive
 * time <= 2 ms, at most 4 calls of one command per request (never
 * repeated), HTTP calls <= 20 ms.
 *
 * --plant adds culprits with exact figures in the last hour before --end
 * (docs/report.md lists them; tests/tools/test_report_store.sh checks
 * them): /planted/latency.php (100 requests, wall 1..100 ms, 64 MiB peak
 * each, every 10th status 500, hot function App\Planted::hotLoop 1 s in each
 * and its call path), /planted/report.php (50 requests, load-rows → render
 * jumps 100 MiB, one of 900 MiB), /planted/permissions.php (20 requests,
 * 250 runs of one statement flagged N+1, counter
 * App\Models\Permission::retrieved = 8934), /planted/export.php (3
 * out-of-memory fatals whose last checkpoint is rows-fetched, 2 aborted
 * requests), /planted/session.php (7 requests with checkpoint
 * planted-session-load and tag largest_session_key=permissions_cache).
 * --plant-jobs adds three long-running workers (queue consumers: one job
 * record each, kind Job, method JOB, sapi cli) between 3 hours and 1 hour
 * before --end (docs/report.md lists them; test_report_store.sh checks
 * them): gen-worker-1 pid 3001, leaking: 500 jobs (490 "import", every
 * 50th "cleanup"), memory after each 40 MiB + 48 KiB per job, ± 4 KiB, then
 * an out-of-memory fatal error in an "import" job; gen-worker-2 pid 3002,
 * flat: 300 "send-mail" jobs whose memory climbs 512 KiB a job for 10 jobs
 * then drops back (around 32 MiB; 20 MiB less after the first 5, still
 * warming up: a fitted line rises 2 MiB, with r² 0.04), every 50th job
 * failed (status 1, kept as Error), and one aborted "send-mail" job; gen-worker-3 pid 3003:
 * 5 "reindex" jobs growing 10 MiB each (too few jobs for a verdict). On a
 * store before schema 3 they are stored as requests (no kind).
 * --plant-calls adds timed and outbound calls with exact figures, 50 to 10
 * minutes before --end (docs/report.md lists them; test_report_store.sh
 * checks them): /planted/checkout.php, 40 requests each calling POST
 * /v1/charge on https://payments.example.com:443 (a slow dependency:
 * 300 ms, every 10th timing out after 1 s, error "Operation timed out after
 * 1000 milliseconds"), spans SQL at 10 ms, the HTTP call at 50 ms and SQL
 * after it, 3 checkpoints, span_total_count 25 (22 short statements not
 * listed), trace id c0ffee...NN (NN the request's number, 00..27 hex); the
 * payments service's request for each call (/srv/payments/public/charge.php,
 * service "payments", same trace, parent span the HTTP call's id, wall
 * 298 ms, 1.5 s behind a timeout); /planted/cart.php, 30 requests with a
 * Redis GET loop (120 GETs on redis 10.0.0.5:6379, 200 us each but one of
 * 500 us: flagged repeated, 120 keys), the 64 longest of its 121 timed
 * calls listed.
 * --lose K leaves K gaps in producer 2000's sequence numbers.
 */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "record/record.h"
#include "store/schema.h"
#include "store/store.h"

#define MIB (1024LL * 1024)
#define MS 1000000LL
#define SEC 1000000000LL
#define N_PRODUCERS 8
/* A string literal as a record string. */
#define S(lit) {lit, (uint32_t)sizeof lit - 1}

/* ---- deterministic randomness ------------------------------------------------------ */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: small, fast, and the same sequence on every machine. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static double unit(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int64_t range(int64_t lo, int64_t hi) /* [lo, hi] */
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static double gauss(void)
{
	double u = unit(), v = unit();
	return sqrt(-2.0 * log(u + 1e-12)) * cos(2 * M_PI * v);
}

/* ---- the store ------------------------------------------------------------------- */

static sqlite3 *db;
static struct bvapm_store *store;
static bool with_paths = true;

static void die(const char *what)
{
	fprintf(stderr, "bvapm-store-gen: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void exec(const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "bvapm-store-gen: %s\n  in %.200s\n", msg, sql);
		exit(1);
	}
}

/* One record at a time, as the ring would carry it (8-byte aligned; 1 MiB,
 * the drainer's default [ring] max_record, is far more than any of these
 * needs: nothing is truncated). */
static _Alignas(8) uint8_t rec_buf[1 << 20];

/* Verifies the record encode() returned (the drainer verifies everything it
 * reads) and stores it; a truncated record or a duplicate would be a
 * generator bug. */
static void store_record(ssize_t n, const char *what)
{
	if (n < 0) {
		fprintf(stderr, "bvapm-store-gen: %s: cannot encode (%zd)\n", what, n);
		exit(1);
	}
	struct bvapm_rec_verify_error verr;
	if (bvapm_rec_verify(rec_buf, (size_t)n, NULL, &verr) != 0) {
		fprintf(stderr, "bvapm-store-gen: %s: record refused by the verifier: %s at %u\n", what,
		        verr.what, verr.offset);
		exit(1);
	}
	if (bvapm_rec_record_truncated(bvapm_rec_root(rec_buf))) {
		fprintf(stderr, "bvapm-store-gen: %s: truncated by the codec\n", what);
		exit(1);
	}
	bool dup = false;
	if (bvapm_store_put(store, rec_buf, &dup) != SQLITE_OK)
		die(what);
	if (dup) {
		fprintf(stderr, "bvapm-store-gen: %s: the same identity twice\n", what);
		exit(1);
	}
}

static struct bvapm_rec_envelope envelope(uint32_t pid, uint64_t producer_start, uint64_t seq,
                                          uint64_t wall_unix_ns)
{
	return (struct bvapm_rec_envelope){
		.host = bvapm_rec_cstr("gen-host"), .service = bvapm_rec_cstr("shop"), .pid = pid,
		.producer_start_unix_ns = producer_start, .sequence = seq, .wall_unix_ns = wall_unix_ns,
		.mono_ns = wall_unix_ns, .sampled = true,
	};
}

/* Trace id: the sequence number in the last 8 bytes (32 hex digits); span
 * id: the same 8 bytes. */
static void set_trace(struct bvapm_rec_envelope *env, uint64_t seq)
{
	env->has_trace = true;
	for (int k = 0; k < 8; k++)
		env->trace_id[15 - k] = env->span_id[7 - k] = (uint8_t)(seq >> (8 * k));
}

/* ---- producers --------------------------------------------------------------------- */

static struct {
	int64_t seq;
	int64_t lose; /* gaps still to leave (producer 0 only) */
} prod[N_PRODUCERS];
static int64_t record_no;

/* Picks the next producer and sequence number for a request or fatal. */
static void next_identity(int *p, int64_t *seq)
{
	*p = (int)(record_no++ % N_PRODUCERS);
	prod[*p].seq++;
	if (prod[*p].lose > 0 && prod[*p].seq % 10 == 0) {
		prod[*p].seq++; /* a record that never reached the store */
		prod[*p].lose--;
	}
	*seq = prod[*p].seq;
}

/* ---- one request --------------------------------------------------------------------- */

struct ckpt {
	const char *label;
	int64_t delta;
};

struct req {
	const char *uri, *route;
	int64_t start, wall, mem_start, peak;
	int status;
	const struct ckpt *ckpts;
	int n_ckpts;
};

/* The request being built: begin_request(), its children, end_request(). */
#define MAX_CHILDREN 8
#define MAX_SPANS 64 /* as the agent keeps */
static struct {
	struct bvapm_rec_envelope env;
	struct bvapm_rec_request q;
	struct bvapm_rec_checkpoint ckpts[MAX_CHILDREN];
	struct bvapm_rec_sql sql[MAX_CHILDREN];
	struct bvapm_rec_function funcs[MAX_CHILDREN];
	struct bvapm_rec_call_path paths[MAX_CHILDREN];
	struct bvapm_rec_error errors[MAX_CHILDREN];
	struct bvapm_rec_counter counters[MAX_CHILDREN];
	struct bvapm_rec_tag tags[MAX_CHILDREN];
	struct bvapm_rec_span spans[MAX_SPANS];
	struct bvapm_rec_external external[MAX_CHILDREN];
	char path_text[MAX_CHILDREN][512];
} cur;

static void full(const char *what)
{
	fprintf(stderr, "bvapm-store-gen: more than %d %s in one request\n", MAX_CHILDREN, what);
	exit(1);
}

static void begin_request(const struct req *q, int64_t sql_count, int64_t sql_ns)
{
	int p;
	int64_t seq;
	next_identity(&p, &seq);
	if (q->n_ckpts > MAX_CHILDREN)
		full("checkpoints");
	cur.env = envelope(2000 + (uint32_t)p, 1700000000ULL * SEC + (uint64_t)p, (uint64_t)seq,
	                   (uint64_t)(q->start + q->wall));
	set_trace(&cur.env, (uint64_t)seq);
	int64_t mem = q->mem_start;
	for (int i = 0; i < q->n_ckpts; i++) {
		mem += q->ckpts[i].delta;
		cur.ckpts[i] = (struct bvapm_rec_checkpoint){
			.label = bvapm_rec_cstr(q->ckpts[i].label),
			.offset_ns = (uint64_t)(q->wall * (i + 1) / (q->n_ckpts + 1)),
			.mem_bytes = (uint64_t)mem,
			.mem_delta_bytes = q->ckpts[i].delta,
			.peak_bytes = (uint64_t)(mem > q->peak ? mem : q->peak),
		};
	}
	cur.q = (struct bvapm_rec_request){
		.method = bvapm_rec_cstr("GET"), .uri = bvapm_rec_cstr(q->uri),
		.route = bvapm_rec_cstr(q->route), .sapi = bvapm_rec_cstr("fpm-fcgi"),
		.status = (uint16_t)q->status, .mode = BVAPM_REC_MODE_LIGHT,
		.keep_reason = BVAPM_REC_KEEP_SAMPLED,
		.start_unix_ns = (uint64_t)q->start, .wall_ns = (uint64_t)q->wall,
		.cpu_user_us = (uint64_t)(q->wall / 2000), .cpu_sys_us = (uint64_t)(q->wall / 20000),
		.mem_start_bytes = (uint64_t)q->mem_start,
		.mem_end_bytes = (uint64_t)(q->mem_start + q->peak / 4),
		.mem_peak_bytes = (uint64_t)q->peak,
		.mem_limit_bytes = (uint64_t)(q->peak > 128 * MIB ? 1024 * MIB : 128 * MIB), /* memory_limit */
		.agent_ns = 20000,
		.checkpoints = cur.ckpts, .checkpoint_count = (uint32_t)q->n_ckpts,
		.sql = cur.sql, .sql_total_count = (uint32_t)sql_count, .sql_total_ns = (uint64_t)sql_ns,
		.functions = cur.funcs, .errors = cur.errors, .tags = cur.tags,
		.counters = cur.counters, .call_paths = cur.paths,
		.spans = cur.spans, .external = cur.external,
	};
}

static void end_request(void)
{
	store_record(bvapm_rec_encode_request(rec_buf, sizeof rec_buf, &cur.env, &cur.q), "request");
}

static void put_sql(const char *stmt, int64_t count, int64_t each_ns, int64_t rows, int n_plus_one)
{
	if (cur.q.sql_count == MAX_CHILDREN)
		full("statements");
	cur.sql[cur.q.sql_count++] = (struct bvapm_rec_sql){
		.statement = bvapm_rec_cstr(stmt), .count = (uint32_t)count,
		.total_ns = (uint64_t)(count * each_ns), .max_ns = (uint64_t)(each_ns + each_ns / 4),
		.rows = (uint64_t)rows, .n_plus_one = n_plus_one != 0,
	};
}

static void put_func(const char *name, int64_t calls, int64_t incl, int64_t excl, int64_t mem)
{
	if (cur.q.function_count == MAX_CHILDREN)
		full("functions");
	cur.funcs[cur.q.function_count++] = (struct bvapm_rec_function){
		.name = bvapm_rec_cstr(name), .calls = (uint64_t)calls, .inclusive_ns = (uint64_t)incl,
		.exclusive_ns = (uint64_t)excl, .mem_delta_bytes = mem,
	};
}

static void put_path(const char *path, int64_t calls, int64_t incl, int64_t excl)
{
	if (!with_paths)
		return;
	uint32_t i = cur.q.call_path_count;
	if (i == MAX_CHILDREN)
		full("call paths");
	snprintf(cur.path_text[i], sizeof cur.path_text[i], "%s", path);
	cur.paths[i] = (struct bvapm_rec_call_path){
		.path = bvapm_rec_cstr(cur.path_text[i]), .calls = (uint64_t)calls,
		.inclusive_ns = (uint64_t)incl, .exclusive_ns = (uint64_t)excl,
	};
	cur.q.call_path_count++;
}

static void put_counter(const char *name, int64_t v)
{
	if (cur.q.counter_count == MAX_CHILDREN)
		full("counters");
	cur.counters[cur.q.counter_count++] =
		(struct bvapm_rec_counter){ .name = bvapm_rec_cstr(name), .value = v };
}

static void put_tag(const char *key, const char *value)
{
	if (cur.q.tag_count == MAX_CHILDREN)
		full("tags");
	cur.tags[cur.q.tag_count++] =
		(struct bvapm_rec_tag){ .key = bvapm_rec_cstr(key), .value = bvapm_rec_cstr(value) };
}

static void put_error(const char *type, const char *msg, const char *file, int line)
{
	if (cur.q.error_count == MAX_CHILDREN)
		full("errors");
	cur.errors[cur.q.error_count++] = (struct bvapm_rec_error){
		.type = bvapm_rec_cstr(type), .message = bvapm_rec_cstr(msg),
		.file = bvapm_rec_cstr(file), .line = (uint32_t)line, .count = 1,
	};
}

/* A timed call at offset `at` of the request (spans stay in start order:
 * callers add them by start). */
static void put_span(uint8_t kind, const char *name, const char *target, int64_t at, int64_t dur,
                     int status, const char *error, int64_t bytes, const uint8_t *span_id)
{
	if (cur.q.span_count == MAX_SPANS)
		full("spans");
	struct bvapm_rec_span *sp = &cur.spans[cur.q.span_count++];
	*sp = (struct bvapm_rec_span){
		.kind = kind, .name = bvapm_rec_cstr(name), .target = bvapm_rec_cstr(target),
		.start_offset_ns = (uint64_t)at, .duration_ns = (uint64_t)dur, .status = (uint16_t)status,
		.error = bvapm_rec_cstr(error), .bytes = (uint64_t)bytes, .has_span_id = span_id != NULL,
	};
	if (span_id)
		memcpy(sp->span_id, span_id, 8);
}

/* An outbound call aggregate of the request (as the agent sums them). */
static void put_external(uint8_t kind, const char *target, const char *name, int64_t count,
                         int64_t total, int64_t max, int64_t errors, int64_t bytes, int64_t keys,
                         bool repeated)
{
	if (cur.q.external_count == MAX_CHILDREN)
		full("external calls");
	cur.external[cur.q.external_count++] = (struct bvapm_rec_external){
		.kind = kind, .target = bvapm_rec_cstr(target), .name = bvapm_rec_cstr(name),
		.count = (uint32_t)count, .total_ns = (uint64_t)total, .max_ns = (uint64_t)max,
		.errors = (uint32_t)errors, .bytes = (uint64_t)bytes, .keys = (uint64_t)keys,
		.repeated = repeated,
	};
}

/* stack: innermost frame first, as the agent records it. */
static void put_fatal(const char *uri, const char *route, int64_t start, int oom, const char *msg,
                      const struct bvapm_rec_frame *stack, int n_frames, const struct ckpt *ck,
                      int n_ck, int64_t peak)
{
	int p;
	int64_t seq;
	next_identity(&p, &seq);
	struct bvapm_rec_checkpoint c[MAX_CHILDREN];
	if (n_ck > MAX_CHILDREN)
		full("checkpoints");
	int64_t mem = 2 * MIB;
	for (int i = 0; i < n_ck; i++) {
		mem += ck[i].delta;
		c[i] = (struct bvapm_rec_checkpoint){
			.label = bvapm_rec_cstr(ck[i].label), .offset_ns = (uint64_t)((i + 1) * 300 * MS),
			.mem_bytes = (uint64_t)mem, .mem_delta_bytes = ck[i].delta,
			.peak_bytes = (uint64_t)mem,
		};
	}
	struct bvapm_rec_envelope env = envelope(2000 + (uint32_t)p, 1700000000ULL * SEC + (uint64_t)p,
	                                         (uint64_t)seq, (uint64_t)(start + 2 * SEC));
	struct bvapm_rec_fatal f = {
		.type = bvapm_rec_cstr("E_ERROR"), .message = bvapm_rec_cstr(msg),
		.file = bvapm_rec_cstr("/srv/app/src/Export.php"), .line = 57, .out_of_memory = oom != 0,
		.method = bvapm_rec_cstr("GET"), .uri = bvapm_rec_cstr(uri), .route = bvapm_rec_cstr(route),
		.start_unix_ns = (uint64_t)start, .wall_ns = 2 * SEC,
		.mem_usage_bytes = (uint64_t)(peak - MIB), .mem_peak_bytes = (uint64_t)peak,
		.mem_limit_bytes = 134217728,
		.checkpoints = c, .checkpoint_count = (uint32_t)n_ck,
		.stack = stack, .frame_count = (uint32_t)n_frames,
	};
	store_record(bvapm_rec_encode_fatal(rec_buf, sizeof rec_buf, &env, &f), "fatal");
}

static void put_aborted(int64_t seq, const char *uri, int64_t start, const char *last,
                        int64_t last_mem, const char *sqltext)
{
	struct bvapm_rec_envelope env = envelope(1, 1, (uint64_t)seq, (uint64_t)(start + 30 * SEC));
	struct bvapm_rec_aborted a = {
		.pid = (uint32_t)(40000 + seq), .method = bvapm_rec_cstr("GET"),
		.uri = bvapm_rec_cstr(uri), .started_unix_ns = (uint64_t)start, .running_ns = 30 * SEC,
		.last_checkpoint = bvapm_rec_cstr(last), .last_checkpoint_mem_bytes = (uint64_t)last_mem,
		.current_sql = bvapm_rec_cstr(sqltext), .worker_start_unix_ns = 1,
	};
	store_record(bvapm_rec_encode_aborted(rec_buf, sizeof rec_buf, &env, &a), "aborted");
}

/* ---- background traffic ---------------------------------------------------------------- */

static const char *const bg_names[] = {
	"/", "/login", "/logout", "/api/orders", "/api/orders/show", "/api/products", "/api/cart",
	"/api/cart/add", "/api/search", "/checkout", "/checkout/pay", "/account", "/account/orders",
	"/admin", "/admin/users", "/admin/reports", "/blog", "/blog/post", "/feed.xml", "/sitemap.xml",
	"/health", "/api/stock", "/api/prices", "/webhooks/payment",
};
#define N_BG (sizeof bg_names / sizeof bg_names[0])

static const char *const bg_functions[] = {
	"App\\Http\\Kernel::handle", "Illuminate\\Routing\\Router::dispatch",
	"Illuminate\\Database\\Connection::select", "Illuminate\\View\\View::render",
	"App\\Models\\Order::newEloquentBuilder", "Illuminate\\Database\\Eloquent\\Model::newEloquentBuilder",
	"Filament\\Panel::boot", "json_encode", "Monolog\\Logger::addRecord", "App\\Services\\Pricing::quote",
	"Illuminate\\Container\\Container::build", "Symfony\\Component\\HttpFoundation\\Response::send",
};
#define N_FN (sizeof bg_functions / sizeof bg_functions[0])

static const char *const bg_statements[] = {
	"SELECT * FROM users WHERE id = ?", "SELECT * FROM orders WHERE user_id = ? ORDER BY id DESC LIMIT ?",
	"SELECT * FROM products WHERE id IN (?)", "UPDATE sessions SET payload = ? WHERE id = ?",
	"INSERT INTO audit_log (user_id, action) VALUES (?, ?)", "SELECT count(*) FROM cart_items WHERE cart_id = ?",
	"SELECT * FROM settings", "SELECT * FROM prices WHERE product_id = ? AND currency = ?",
};
#define N_ST (sizeof bg_statements / sizeof bg_statements[0])

static const char *const bg_labels[] = {"request_start", "before_providers", "response_ready",
                                        "request_end"};

/* A request number's own random-looking bits (splitmix64), so the calls
 * leave the generator's random sequence, and every figure drawn from it,
 * as they were. */
static uint64_t mix(uint64_t z)
{
	z += 0x9E3779B97F4A7C15ULL;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Request i's outbound calls, and with call paths (1 in 10) its timed
 * calls: each SQL execution, then the GETs, then the HTTP call, one after
 * the other from a tenth of the wall time. */
static void background_calls(int64_t i, int64_t wall, int n_sql, const int64_t *counts,
                             const int64_t *each, int e)
{
	uint64_t h = mix((uint64_t)i);
	int64_t gets = h % 5 == 0 ? 1 + (int64_t)((h >> 8) % 4) : 0;
	int64_t get_ns = 50000 + (int64_t)((h >> 16) % 451) * 1000;
	bool http = h % 50 == 7;
	int64_t http_ns = 2 * MS + (int64_t)((h >> 24) % 19) * MS;
	if (gets)
		put_external(BVAPM_REC_SPAN_CACHE, "redis 10.0.0.5:6379", "GET", gets, gets * get_ns,
		             get_ns, 0, 0, gets, false);
	if (http)
		put_external(BVAPM_REC_SPAN_HTTP, "https://api.partner.example:443", "GET /v2/stock", 1,
		             http_ns, http_ns, 0, 800, 0, false);
	if (i % 10 != 0)
		return; /* light mode: totals only */
	/* The calls one after the other, scaled to fit between a tenth and
	 * nine tenths of the wall time (the generator's figures are drawn
	 * apart: the statements' time may exceed the request's). */
	int64_t busy = gets * get_ns + (http ? http_ns : 0);
	for (int k = 0; k < n_sql; k++)
		busy += counts[k] * each[k];
	double f = busy > wall * 8 / 10 ? (double)(wall * 8 / 10) / (double)busy : 1.0;
	int64_t at = wall / 10, total = 0;
	for (int k = 0; k < n_sql; k++)
		for (int64_t x = 0; x < counts[k]; x++, total++) {
			int64_t d = (int64_t)((double)each[k] * f);
			put_span(BVAPM_REC_SPAN_SQL, bg_statements[(e + 3 * k) % N_ST], NULL, at, d, 0, NULL, 0,
			         NULL);
			at += d;
		}
	for (int64_t x = 0; x < gets; x++, total++) {
		int64_t d = (int64_t)((double)get_ns * f);
		put_span(BVAPM_REC_SPAN_CACHE, "GET", "redis 10.0.0.5:6379", at, d, 0, NULL, 0, NULL);
		at += d;
	}
	if (http) {
		put_span(BVAPM_REC_SPAN_HTTP, "GET /v2/stock", "https://api.partner.example:443", at,
		         (int64_t)((double)http_ns * f), 200, NULL, 800, NULL);
		total++;
	}
	cur.q.span_total_count = (uint32_t)total;
}

static void background(int64_t n, int64_t end)
{
	char uri[64], route[128];
	int64_t t0 = end - 7 * 86400 * SEC, t1 = end - 3 * 3600 * SEC;
	for (int64_t i = 0; i < n; i++) {
		int e = (int)(rnd() % N_BG);
		snprintf(uri, sizeof uri, "%s", bg_names[e]);
		snprintf(route, sizeof route, "/srv/app/public%s.php", e == 0 ? "/index" : bg_names[e]);
		struct ckpt ck[4];
		int64_t base_mem = (4 + e) * MIB;
		for (int k = 0; k < 4; k++)
			ck[k] = (struct ckpt){bg_labels[k], range(0, (2 + e) * MIB)};
		struct req q = {
			.uri = uri,
			.route = e % 6 == 5 ? NULL : route, /* some requests without a route */
			.start = t0 + (int64_t)((double)(t1 - t0) * ((double)i / (double)(n ? n : 1))),
			.wall = (int64_t)((10 + 8 * e) * MS * exp(0.5 * gauss())),
			.mem_start = 2 * MIB,
			.status = rnd() % 200 == 0 ? 500 : 200,
			.ckpts = ck,
			.n_ckpts = 4,
		};
		double peak = (double)((8 + 3 * e) * MIB) + gauss() * (double)((1 + e % 5) * MIB);
		q.peak = (int64_t)(peak > (double)base_mem ? peak : (double)base_mem);
		int n_sql = 2 + (int)(rnd() % 2);
		int64_t sql_ns = 0, sql_count = 0;
		int64_t counts[3], each[3];
		for (int k = 0; k < n_sql; k++) {
			counts[k] = range(1, 8);
			each[k] = range(50, 2000) * 1000;
			sql_count += counts[k];
			sql_ns += counts[k] * each[k];
		}
		begin_request(&q, sql_count, sql_ns);
		for (int k = 0; k < n_sql; k++)
			put_sql(bg_statements[(e + 3 * k) % N_ST], counts[k], each[k], range(0, 50), 0);
		for (int k = 0; k < 4; k++) {
			int64_t ex = range(20, 2000) * 1000;
			put_func(bg_functions[(e + 5 * k) % N_FN], range(1, 40), ex + range(0, 5000) * 1000,
			         ex, range(0, 512) * 1024);
		}
		put_counter("App\\Models\\User::retrieved", range(0, 30));
		if (i % 10 == 0) {
			char path[512];
			for (int k = 0; k < 3; k++) {
				int64_t ex = range(100, 3000) * 1000;
				snprintf(path, sizeof path, "main;%s;%s", bg_functions[0], bg_functions[(e + k) % N_FN]);
				put_path(path, range(1, 10), ex, ex);
			}
			put_path("main", 1, q.wall, range(100, 1000) * 1000);
		}
		background_calls(i, q.wall, n_sql, counts, each, e);
		if (i % 100 == 7)
			put_error("E_WARNING", "Undefined array key \"currency\"", "/srv/app/src/Pricing.php", 88);
		if (q.status == 500)
			put_error("RuntimeException", "Payment gateway timeout", "/srv/app/src/Gateway.php", 140);
		end_request();
		if (i % 20000 == 19999) {
			static const struct ckpt fck[1] = {{"request_start", 4 * MIB}};
			static const struct bvapm_rec_frame stack[2] = {
				{S("App\\Http\\Kernel::handle"), S("/srv/app/src/Kernel.php"), 30},
				{S("main"), S("/srv/app/public/index.php"), 20},
			};
			put_fatal(uri, q.route, q.start, 0, "Call to a member function id() on null", stack, 2,
			          fck, 1, 20 * MIB);
		}
		if (i % 250000 == 1)
			put_aborted(i, uri, q.start, "before_providers", 9 * MIB, NULL);
	}
}

/* ---- planted culprits -------------------------------------------------------------------- */

static void plant(int64_t end)
{
	int64_t t = end - 3600 * SEC; /* the last hour */
	static const struct ckpt lat_ck[2] = {{"request_start", 1 * MIB}, {"request_end", 1 * MIB}};
	for (int i = 1; i <= 100; i++, t += 10 * SEC) {
		struct req q = {"/planted/latency.php", "/srv/app/public/planted/latency.php", t,
		                i * MS, 2 * MIB, 64 * MIB, i % 10 == 0 ? 500 : 200, lat_ck, 2};
		begin_request(&q, 0, 0);
		put_func("App\\Planted::hotLoop", 1000, 1 * SEC, 1 * SEC, 0);
		put_path("main;App\\Http\\Kernel::handle;App\\Planted::hotLoop", 1000, 1 * SEC, 1 * SEC);
		put_path("main;App\\Http\\Kernel::handle", 1, 1 * SEC + 10 * MS, 10 * MS);
		put_path("main", 1, 1 * SEC + 11 * MS, 1 * MS);
		end_request();
	}
	for (int i = 1; i <= 50; i++, t += 10 * SEC) {
		struct ckpt ck[4] = {{"request_start", 2 * MIB}, {"load-rows", 10 * MIB},
		                     {"render", (i == 25 ? 900 : 100) * MIB}, {"request_end", 1 * MIB}};
		struct req q = {"/planted/report.php", "/srv/app/public/planted/report.php", t, 300 * MS,
		                2 * MIB, (i == 25 ? 915 : 115) * MIB, 200, ck, 4};
		begin_request(&q, 0, 0);
		end_request();
	}
	static const struct ckpt perm_ck[1] = {{"request_start", 2 * MIB}};
	for (int i = 1; i <= 20; i++, t += 10 * SEC) {
		struct req q = {"/planted/permissions.php", "/srv/app/public/planted/permissions.php", t,
		                400 * MS, 2 * MIB, 200 * MIB, 200, perm_ck, 1};
		begin_request(&q, 251, 250 * 40000 + 500000);
		put_sql("SELECT * FROM permissions WHERE role_id = ?", 250, 40000, 8934, 1);
		put_sql("SELECT * FROM roles WHERE user_id = ?", 1, 500000, 36, 0);
		put_counter("App\\Models\\Permission::retrieved", 8934);
		end_request();
	}
	static const struct ckpt oom_ck[3] = {{"request_start", 2 * MIB}, {"query-done", 6 * MIB},
	                                      {"rows-fetched", 110 * MIB}};
	static const struct bvapm_rec_frame oom_stack[3] = { /* innermost first */
		{S("PDOStatement::fetchAll"), S("/srv/app/src/Export.php"), 57},
		{S("App\\Export::run"), S("/srv/app/src/Export.php"), 42},
		{S("main"), S("/srv/app/public/planted/export.php"), 12},
	};
	for (int i = 0; i < 3; i++, t += 10 * SEC)
		put_fatal("/planted/export.php", "/srv/app/public/planted/export.php", t, 1,
		          "Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes)",
		          oom_stack, 3, oom_ck, 3, 128 * MIB);
	for (int i = 0; i < 2; i++, t += 10 * SEC)
		put_aborted(900000 + i, "/planted/export.php", t, "rows-fetched", 100 * MIB,
		            "SELECT * FROM orders");
	static const struct ckpt sess_ck[2] = {{"request_start", 1 * MIB},
	                                       {"planted-session-load", 40 * MIB}};
	for (int i = 0; i < 7; i++, t += 10 * SEC) {
		struct req q = {"/planted/session.php", "/srv/app/public/planted/session.php", t, 50 * MS,
		                2 * MIB, 45 * MIB, 200, sess_ck, 2};
		begin_request(&q, 0, 0);
		put_tag("largest_session_key", "permissions_cache");
		end_request();
	}
}

/* ---- planted job workers ---------------------------------------------------------------- */

/* One job of a long-running worker (pid, start): its own producer, host and
 * sequence. */
static void put_job(const char *host, uint32_t pid, uint64_t start, uint64_t seq, const char *name,
                    int64_t t, int64_t mem_end, int status)
{
	struct bvapm_rec_envelope env = envelope(pid, start, seq, (uint64_t)(t + 200 * MS));
	env.host = bvapm_rec_cstr(host);
	struct bvapm_rec_request q = {
		.method = bvapm_rec_cstr("JOB"), .uri = bvapm_rec_cstr(name), .route = bvapm_rec_cstr(name),
		.sapi = bvapm_rec_cstr("cli"), .status = (uint16_t)status, .mode = BVAPM_REC_MODE_LIGHT,
		.keep_reason = status ? BVAPM_REC_KEEP_ERROR : BVAPM_REC_KEEP_SAMPLED,
		.start_unix_ns = (uint64_t)t, .wall_ns = 200 * MS, .cpu_user_us = 150000,
		.cpu_sys_us = 5000, .mem_start_bytes = (uint64_t)(mem_end - MIB / 2),
		.mem_end_bytes = (uint64_t)mem_end, .mem_peak_bytes = (uint64_t)(mem_end + 4 * MIB),
		.mem_limit_bytes = 512 * MIB, .agent_ns = 20000, .kind = BVAPM_REC_REQUEST_KIND_JOB,
	};
	store_record(bvapm_rec_encode_request(rec_buf, sizeof rec_buf, &env, &q), "job");
}

static void plant_jobs(int64_t end)
{
	int64_t t0 = end - 3 * 3600 * SEC;
	uint64_t start = (uint64_t)(t0 - 60 * SEC); /* the workers started a minute before */
	uint64_t seq = 0;
	/* Leaking: 48 KiB more after every job, ± 4 KiB alternating. */
	for (int i = 0; i < 500; i++)
		put_job("gen-worker-1", 3001, start, ++seq, i % 50 == 49 ? "cleanup" : "import",
		        t0 + i * 7 * SEC, 40 * MIB + i * 48 * 1024 + (i % 2 ? -4096 : 4096), 0);
	/* ... until it runs out of memory in its next job. */
	struct bvapm_rec_envelope env = envelope(3001, start, ++seq, (uint64_t)(t0 + 3501 * SEC));
	env.host = bvapm_rec_cstr("gen-worker-1");
	static const struct bvapm_rec_frame stack[2] = { /* innermost first */
		{S("App\\Jobs\\Import::handle"), S("/srv/app/src/Jobs/Import.php"), 77},
		{S("main"), S("/srv/app/artisan"), 35},
	};
	struct bvapm_rec_fatal f = {
		.type = bvapm_rec_cstr("E_ERROR"),
		.message = bvapm_rec_cstr("Allowed memory size of 536870912 bytes exhausted (tried to "
		                          "allocate 65536 bytes)"),
		.file = bvapm_rec_cstr("/srv/app/src/Jobs/Import.php"), .line = 77, .out_of_memory = true,
		.method = bvapm_rec_cstr("JOB"), .uri = bvapm_rec_cstr("import"),
		.route = bvapm_rec_cstr("import"), .start_unix_ns = (uint64_t)(t0 + 3500 * SEC),
		.wall_ns = 1 * SEC, .mem_usage_bytes = 511 * MIB, .mem_peak_bytes = 512 * MIB,
		.mem_limit_bytes = 512 * MIB, .stack = stack, .frame_count = 2,
	};
	store_record(bvapm_rec_encode_fatal(rec_buf, sizeof rec_buf, &env, &f), "job fatal");

	/* Flat: up 512 KiB a job for 10 jobs, then back down, after 5 jobs
	 * warming up; every 50th job fails. */
	seq = 0;
	for (int i = 0; i < 300; i++)
		put_job("gen-worker-2", 3002, start, ++seq, "send-mail", t0 + i * 12 * SEC,
		        (i < 5 ? 10 : 30) * MIB + (i % 10) * 512 * 1024, i % 50 == 49);
	/* Killed mid-job: the drainer's aborted record (method JOB, uri the job name). */
	env = envelope(1, 1, 990001, (uint64_t)(t0 + 3700 * SEC));
	struct bvapm_rec_aborted a = {
		.pid = 3002, .method = bvapm_rec_cstr("JOB"), .uri = bvapm_rec_cstr("send-mail"),
		.started_unix_ns = (uint64_t)(t0 + 3600 * SEC), .running_ns = 100 * SEC,
		.last_checkpoint = bvapm_rec_cstr("smtp-connect"), .last_checkpoint_mem_bytes = 33 * MIB,
		.worker_start_unix_ns = start,
	};
	store_record(bvapm_rec_encode_aborted(rec_buf, sizeof rec_buf, &env, &a), "aborted job");

	/* Few jobs: growth, but no verdict. */
	seq = 0;
	for (int i = 0; i < 5; i++)
		put_job("gen-worker-3", 3003, start, ++seq, "reindex", t0 + i * 60 * SEC,
		        50 * MIB + i * 10 * MIB, 0);
}

/* ---- planted calls ---------------------------------------------------------------------- */

/* An id of the planted calls: tag and number in the first and last bytes. */
static void planted_id(uint8_t *out, size_t n, uint8_t tag, int i)
{
	memset(out, 0, n);
	out[0] = tag;
	if (n == 16) {
		out[1] = 0xff, out[2] = 0xee;   /* trace c0ffee...NN */
	}
	out[n - 1] = (uint8_t)i;
}

static void plant_calls(int64_t end)
{
	static const char *const pay = "https://payments.example.com:443";
	static const char *const timeout = "Operation timed out after 1000 milliseconds";
	int64_t t = end - 50 * 60 * SEC;
	static const struct ckpt co_ck[3] = {{"request_start", 2 * MIB}, {"cart-loaded", 1 * MIB},
	                                     {"payment-done", 1 * MIB}};
	for (int i = 0; i < 40; i++, t += 15 * SEC) {
		bool slow = i % 10 == 9;
		int64_t call = slow ? 1000 * MS : 300 * MS, wall = call + 100 * MS;
		struct req q = {"/planted/checkout.php", "/srv/app/public/planted/checkout.php", t, wall,
		                2 * MIB, 20 * MIB, 200, co_ck, 3};
		begin_request(&q, 24, 2 * MS + 3 * MS + 22 * 100000);
		planted_id(cur.env.trace_id, 16, 0xc0, i);
		planted_id(cur.env.span_id, 8, 0xc1, i);
		uint8_t call_id[8];
		planted_id(call_id, 8, 0xc2, i);
		put_sql("SELECT * FROM carts WHERE id = ?", 1, 2 * MS, 1, 0);
		put_sql("UPDATE orders SET state = ? WHERE id = ?", 1, 3 * MS, 1, 0);
		put_sql("SELECT * FROM cart_items WHERE cart_id = ?", 22, 100000, 22, 0);
		put_span(BVAPM_REC_SPAN_SQL, "SELECT * FROM carts WHERE id = ?", NULL, 10 * MS, 2 * MS, 0,
		         NULL, 0, NULL);
		put_span(BVAPM_REC_SPAN_HTTP, "POST /v1/charge", pay, 50 * MS, call, slow ? 0 : 201,
		         slow ? timeout : NULL, slow ? 0 : 512, call_id);
		put_span(BVAPM_REC_SPAN_SQL, "UPDATE orders SET state = ? WHERE id = ?", NULL,
		         call + 60 * MS, 3 * MS, 0, NULL, 0, NULL);
		cur.q.span_total_count = 25;
		put_external(BVAPM_REC_SPAN_HTTP, pay, "POST /v1/charge", 1, call, call, slow, slow ? 0 : 512,
		             0, false);
		end_request();

		/* The payments service answering that call, in the same trace. */
		static const struct ckpt pay_ck[1] = {{"request_start", 1 * MIB}};
		struct req d = {"/v1/charge", "/srv/payments/public/charge.php", t + 51 * MS,
		                slow ? 1500 * MS : 298 * MS, 2 * MIB, 12 * MIB, 201, pay_ck, 1};
		begin_request(&d, 1, 20 * MS);
		cur.q.method = bvapm_rec_cstr("POST");
		cur.env.service = bvapm_rec_cstr("payments");
		planted_id(cur.env.trace_id, 16, 0xc0, i);
		planted_id(cur.env.span_id, 8, 0xc3, i);
		memcpy(cur.env.parent_span_id, call_id, 8);
		cur.env.has_parent = true;
		put_sql("INSERT INTO charges (order_id, amount) VALUES (?, ?)", 1, 20 * MS, 1, 0);
		put_span(BVAPM_REC_SPAN_SQL, "INSERT INTO charges (order_id, amount) VALUES (?, ?)", NULL,
		         5 * MS, 20 * MS, 0, NULL, 0, NULL);
		cur.q.span_total_count = 1;
		end_request();
	}
	static const struct ckpt cart_ck[1] = {{"request_start", 2 * MIB}};
	for (int i = 0; i < 30; i++, t += 15 * SEC) {
		struct req q = {"/planted/cart.php", "/srv/app/public/planted/cart.php", t, 60 * MS,
		                2 * MIB, 16 * MIB, 200, cart_ck, 1};
		begin_request(&q, 1, 2 * MS);
		put_sql("SELECT * FROM products WHERE id IN (?)", 1, 2 * MS, 120, 0);
		/* 1 statement and 120 GETs: the agent keeps the 64 longest, by start */
		put_span(BVAPM_REC_SPAN_SQL, "SELECT * FROM products WHERE id IN (?)", NULL, 2 * MS, 2 * MS,
		         0, NULL, 0, NULL);
		for (int k = 0; k < 120; k++) {
			int64_t dur = k == 100 ? 500000 : 200000;
			if (k < 62 || k == 100)
				put_span(BVAPM_REC_SPAN_CACHE, "GET", "redis 10.0.0.5:6379", 5 * MS + k * 250000,
				         dur, 0, NULL, 0, NULL);
		}
		cur.q.span_total_count = 121;
		put_external(BVAPM_REC_SPAN_CACHE, "redis 10.0.0.5:6379", "GET", 120, 119 * 200000 + 500000,
		             500000, 0, 0, 120, true);
		end_request();
	}
}

static void stats(int64_t end)
{
	static const struct bvapm_rec_counter counters[] = {
		{S("requests"), 1000}, {S("recorded"), 990}, {S("dropped"), 10},
		{S("not_attached"), 0},
	};
	struct bvapm_rec_envelope env = envelope(2000, 1, 1, (uint64_t)(end - 1800 * SEC));
	struct bvapm_rec_stats x = {
		.source = bvapm_rec_cstr("agent"), .interval_ns = 10 * SEC,
		.counters = counters, .counter_count = 4,
	};
	store_record(bvapm_rec_encode_stats(rec_buf, sizeof rec_buf, &env, &x), "stats");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"requests", required_argument, NULL, 'n'}, {"seed", required_argument, NULL, 's'},
		{"end", required_argument, NULL, 'e'},      {"plant", no_argument, NULL, 'p'},
		{"lose", required_argument, NULL, 'l'},     {"no-call-paths", no_argument, NULL, 'C'},
		{"schema", required_argument, NULL, 'v'},  {"plant-jobs", no_argument, NULL, 'j'},
		{"plant-calls", no_argument, NULL, 'k'},
		{NULL, 0, NULL, 0},
	};
	int64_t n = 20000, end = (int64_t)time(NULL) * SEC, lose = 0;
	uint64_t seed = 1;
	bool planted = false, jobs = false, calls = false;
	int c, schema = BVAPM_STORE_SCHEMA_VERSION;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': n = strtoll(optarg, NULL, 10); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'e': end = strtoll(optarg, NULL, 10) * SEC; break;
		case 'p': planted = true; break;
		case 'j': jobs = true; break;
		case 'k': calls = true; break;
		case 'l': lose = strtoll(optarg, NULL, 10); break;
		case 'C': with_paths = false; break;
		case 'v':
			schema = atoi(optarg);
			if (schema < 1 || schema > BVAPM_STORE_SCHEMA_VERSION) {
				fprintf(stderr, "bvapm-store-gen: --schema 1..%d\n", BVAPM_STORE_SCHEMA_VERSION);
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: bvapm-store-gen [--requests N] [--seed S] [--end UNIX_S] "
			                "[--plant] [--plant-jobs] [--plant-calls] [--lose K] [--no-call-paths] "
			                "[--schema V] DB\n");
			return 2;
		}
	}
	if (optind != argc - 1 || n < 0) {
		fprintf(stderr, "bvapm-store-gen: one DB path expected\n");
		return 2;
	}
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	prod[0].lose = lose;
	remove(argv[optind]);
	if (sqlite3_open(argv[optind], &db) != SQLITE_OK)
		die("open");
	/* One transaction, no journal, no sync: a file nobody reads until it
	 * is complete (and removed first if it existed). */
	exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;");
	char err[256];
	if (bvapm_store_migrate(db, schema, NULL, NULL, err, sizeof err) != SQLITE_OK ||
	    !(store = bvapm_store_attach(db, argv[optind], err, sizeof err))) {
		fprintf(stderr, "bvapm-store-gen: %s\n", err);
		return 1;
	}
	exec("BEGIN");
	background(n, end);
	if (planted)
		plant(end);
	if (jobs)
		plant_jobs(end);
	if (calls)
		plant_calls(end);
	stats(end);
	exec("COMMIT");
	bvapm_store_close(store);
	/* As the drainer leaves it: WAL, never ANALYZEd. */
	exec("PRAGMA journal_mode=WAL;");
	sqlite3_close(db);
	return 0;
}
