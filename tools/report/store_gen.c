/*
 * store_gen.c — bvapm-store-gen: writes a synthetic bvapm store for tests and
 * benchmarks of bvapm-report. The schema is the drainer's own: the
 * migrations of drainer/store_schema.h applied the way the drainer applies
 * them (schema_migrations rows, PRAGMA user_version); when those migrations
 * lack the call_paths table of call-path profiling, it is added unless
 * --no-call-paths (CREATE TABLE IF NOT EXISTS: the same DDL).
 *
 *   bvapm-store-gen [--requests N] [--seed S] [--end UNIX_S] [--plant]
 *                   [--lose K] [--no-call-paths] [--schema V] DB
 *
 * --schema V applies only the first V migrations (an older drainer's store);
 * with --no-call-paths no call paths are written (and, on a schema without
 * the table, none is created).
 *
 * Background traffic (deterministic for a seed): 24 endpoints, 8 producers
 * (pid 2000+), requests spread over [end - 7 days, end - 3 hours] with
 * log-normal latency and normal peak memory per endpoint, 4 checkpoints,
 * 2-3 SQL statements, 4 functions and a counter each, call paths for 1 in
 * 10, an error in 1 of 100 (status 500 in 1 of 200), a fatal error in 1 of
 * 20000, a few aborted requests and statistics rows. Background values stay
 * below the planted ones: jumps < 64 MiB, at most 8 runs of a statement
 * per request (never flagged N+1), function exclusive time <= 2 ms.
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

#include "store_schema.h"

#define MIB (1024LL * 1024)
#define MS 1000000LL
#define SEC 1000000000LL
#define N_PRODUCERS 8

static const char *const CALL_PATHS_DDL =
	"CREATE TABLE IF NOT EXISTS call_paths (request_id INTEGER NOT NULL REFERENCES requests (id), "
	"path TEXT, calls INTEGER, inclusive_ns INTEGER, exclusive_ns INTEGER);"
	"CREATE INDEX IF NOT EXISTS call_paths_request ON call_paths (request_id);";

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

enum { S_REQ, S_CKPT, S_SQL, S_FUNC, S_PATH, S_ERR, S_CTR, S_TAG, S_FATAL, S_ABORT, S_STAT, S__N };

static sqlite3 *db;
static sqlite3_stmt *st[S__N];
static bool with_paths = true;

static const char *const st_sql[S__N] = {
	[S_REQ] = "INSERT INTO requests (pid, producer_start_unix_ns, sequence, host, service, "
	          "wall_unix_ns, trace_id, sampled, truncated, method, uri, route, sapi, status, mode, "
	          "keep_reason, detail_reduced, start_unix_ns, wall_ns, cpu_user_us, cpu_sys_us, "
	          "mem_start_bytes, mem_end_bytes, mem_peak_bytes, mem_limit_bytes, agent_ns, "
	          "sql_total_count, sql_total_ns, sql_dropped, functions_dropped) VALUES (?1, ?2, ?3, "
	          "'gen-host', 'shop', ?4, printf('%032x', ?3), 1, 0, ?5, ?6, ?7, 'fpm-fcgi', ?8, 1, 1, "
	          "0, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, 20000, ?17, ?18, 0, 0)",
	[S_CKPT] = "INSERT INTO checkpoints (request_id, fatal_id, idx, label, offset_ns, mem_bytes, "
	           "mem_delta_bytes, peak_bytes, largest_jump) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_SQL] = "INSERT INTO sql (request_id, statement, count, total_ns, max_ns, rows, n_plus_one) "
	          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_FUNC] = "INSERT INTO functions (request_id, fatal_id, name, calls, inclusive_ns, "
	           "exclusive_ns, mem_delta_bytes) VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6)",
	[S_PATH] = "INSERT INTO call_paths (request_id, path, calls, inclusive_ns, exclusive_ns) "
	           "VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_ERR] = "INSERT INTO errors (request_id, type, message, file, line, count) VALUES (?1, ?2, "
	          "?3, ?4, ?5, 1)",
	[S_CTR] = "INSERT INTO counters (request_id, name, value) VALUES (?1, ?2, ?3)",
	[S_TAG] = "INSERT INTO tags (request_id, key, value) VALUES (?1, ?2, ?3)",
	[S_FATAL] = "INSERT INTO fatals (pid, producer_start_unix_ns, sequence, host, service, "
	            "wall_unix_ns, type, message, file, line, out_of_memory, method, uri, route, "
	            "start_unix_ns, wall_ns, mem_usage_bytes, mem_peak_bytes, mem_limit_bytes, "
	            "stack_depth, stack) VALUES (?1, ?2, ?3, 'gen-host', 'shop', ?4, ?5, ?6, ?7, ?8, "
	            "?9, 'GET', ?10, ?11, ?12, ?13, ?14, ?15, 134217728, ?16, ?17)",
	[S_ABORT] = "INSERT INTO aborted (pid, producer_start_unix_ns, sequence, host, wall_unix_ns, "
	            "worker_pid, method, uri, started_unix_ns, running_ns, last_checkpoint, "
	            "last_checkpoint_mem_bytes, current_sql, worker_start_unix_ns) VALUES (1, 1, ?1, "
	            "'gen-host', ?2, ?3, 'GET', ?4, ?5, ?6, ?7, ?8, ?9, 1)",
	[S_STAT] = "INSERT INTO stats (pid, producer_start_unix_ns, sequence, host, wall_unix_ns, "
	           "source, interval_ns, name, value) VALUES (?1, 1, ?2, 'gen-host', ?3, ?4, 10000000000, "
	           "?5, ?6)",
};

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

static int64_t run(sqlite3_stmt *s)
{
	if (sqlite3_step(s) != SQLITE_DONE)
		die("insert");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return sqlite3_last_insert_rowid(db);
}

static void bind_i(sqlite3_stmt *s, int i, int64_t v) { sqlite3_bind_int64(s, i, v); }
static void bind_t(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* The drainer's migrations (the first `upto`), applied the drainer's way
 * (sink_sqlite.c). */
static void create_schema(int upto)
{
	for (int v = 0; v < upto; v++) {
		exec("BEGIN");
		for (const char *const *part = bvapm_store_migrations[v]; *part; part++)
			exec(*part);
		char tail[160];
		snprintf(tail, sizeof tail, "INSERT INTO schema_migrations VALUES (%d, %lld); "
		         "PRAGMA user_version = %d;", v + 1, (long long)time(NULL), v + 1);
		exec(tail);
		exec("COMMIT");
	}
	if (with_paths)
		exec(CALL_PATHS_DDL);
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

static int64_t put_request(const struct req *q, int64_t sql_count, int64_t sql_ns)
{
	int p;
	int64_t seq;
	next_identity(&p, &seq);
	sqlite3_stmt *s = st[S_REQ];
	bind_i(s, 1, 2000 + p);
	bind_i(s, 2, 1700000000LL * SEC + p);
	bind_i(s, 3, seq);
	bind_i(s, 4, q->start + q->wall);
	bind_t(s, 5, "GET");
	bind_t(s, 6, q->uri);
	bind_t(s, 7, q->route);
	bind_i(s, 8, q->status);
	bind_i(s, 9, q->start);
	bind_i(s, 10, q->wall);
	bind_i(s, 11, q->wall / 2000);
	bind_i(s, 12, q->wall / 20000);
	bind_i(s, 13, q->mem_start);
	bind_i(s, 14, q->mem_start + q->peak / 4);
	bind_i(s, 15, q->peak);
	bind_i(s, 16, q->peak > 128 * MIB ? 1024 * MIB : 128 * MIB); /* memory_limit */
	bind_i(s, 17, sql_count);
	bind_i(s, 18, sql_ns);
	int64_t id = run(s);
	int64_t mem = q->mem_start, jump = 0;
	int largest = 0;
	for (int i = 0; i < q->n_ckpts; i++)
		if (q->ckpts[i].delta > jump) {
			jump = q->ckpts[i].delta;
			largest = i;
		}
	for (int i = 0; i < q->n_ckpts; i++) {
		s = st[S_CKPT];
		mem += q->ckpts[i].delta;
		bind_i(s, 1, id);
		sqlite3_bind_null(s, 2);
		bind_i(s, 3, i);
		bind_t(s, 4, q->ckpts[i].label);
		bind_i(s, 5, q->wall * (i + 1) / (q->n_ckpts + 1));
		bind_i(s, 6, mem);
		bind_i(s, 7, q->ckpts[i].delta);
		bind_i(s, 8, mem > q->peak ? mem : q->peak);
		bind_i(s, 9, i == largest);
		run(s);
	}
	return id;
}

static void put_sql(int64_t id, const char *stmt, int64_t count, int64_t each_ns, int64_t rows,
                    int n_plus_one)
{
	sqlite3_stmt *s = st[S_SQL];
	bind_i(s, 1, id);
	bind_t(s, 2, stmt);
	bind_i(s, 3, count);
	bind_i(s, 4, count * each_ns);
	bind_i(s, 5, each_ns + each_ns / 4);
	bind_i(s, 6, rows);
	bind_i(s, 7, n_plus_one);
	run(s);
}

static void put_func(int64_t id, const char *name, int64_t calls, int64_t incl, int64_t excl,
                     int64_t mem)
{
	sqlite3_stmt *s = st[S_FUNC];
	bind_i(s, 1, id);
	bind_t(s, 2, name);
	bind_i(s, 3, calls);
	bind_i(s, 4, incl);
	bind_i(s, 5, excl);
	bind_i(s, 6, mem);
	run(s);
}

static void put_path(int64_t id, const char *path, int64_t calls, int64_t incl, int64_t excl)
{
	if (!with_paths)
		return;
	sqlite3_stmt *s = st[S_PATH];
	bind_i(s, 1, id);
	bind_t(s, 2, path);
	bind_i(s, 3, calls);
	bind_i(s, 4, incl);
	bind_i(s, 5, excl);
	run(s);
}

static void put_counter(int64_t id, const char *name, int64_t v)
{
	sqlite3_stmt *s = st[S_CTR];
	bind_i(s, 1, id);
	bind_t(s, 2, name);
	bind_i(s, 3, v);
	run(s);
}

static void put_tag(int64_t id, const char *key, const char *value)
{
	sqlite3_stmt *s = st[S_TAG];
	bind_i(s, 1, id);
	bind_t(s, 2, key);
	bind_t(s, 3, value);
	run(s);
}

static void put_error(int64_t id, const char *type, const char *msg, const char *file, int line)
{
	sqlite3_stmt *s = st[S_ERR];
	bind_i(s, 1, id);
	bind_t(s, 2, type);
	bind_t(s, 3, msg);
	bind_t(s, 4, file);
	bind_i(s, 5, line);
	run(s);
}

static void put_fatal(const char *uri, const char *route, int64_t start, int oom, const char *msg,
                      const char *stack, const struct ckpt *ck, int n_ck, int64_t peak)
{
	int p;
	int64_t seq;
	next_identity(&p, &seq);
	sqlite3_stmt *s = st[S_FATAL];
	bind_i(s, 1, 2000 + p);
	bind_i(s, 2, 1700000000LL * SEC + p);
	bind_i(s, 3, seq);
	bind_i(s, 4, start + 2 * SEC);
	bind_t(s, 5, "E_ERROR");
	bind_t(s, 6, msg);
	bind_t(s, 7, "/srv/app/src/Export.php");
	bind_i(s, 8, 57);
	bind_i(s, 9, oom);
	bind_t(s, 10, uri);
	bind_t(s, 11, route);
	bind_i(s, 12, start);
	bind_i(s, 13, 2 * SEC);
	bind_i(s, 14, peak - MIB);
	bind_i(s, 15, peak);
	int depth = 0;
	for (const char *c = stack; *c; c++)
		depth += *c == '\n';
	bind_i(s, 16, depth);
	bind_t(s, 17, stack);
	int64_t id = run(s);
	int64_t mem = 2 * MIB;
	for (int i = 0; i < n_ck; i++) {
		s = st[S_CKPT];
		mem += ck[i].delta;
		sqlite3_bind_null(s, 1);
		bind_i(s, 2, id);
		bind_i(s, 3, i);
		bind_t(s, 4, ck[i].label);
		bind_i(s, 5, (i + 1) * 300 * MS);
		bind_i(s, 6, mem);
		bind_i(s, 7, ck[i].delta);
		bind_i(s, 8, mem);
		bind_i(s, 9, 0);
		run(s);
	}
}

static void put_aborted(int64_t seq, const char *uri, int64_t start, const char *last,
                        int64_t last_mem, const char *sqltext)
{
	sqlite3_stmt *s = st[S_ABORT];
	bind_i(s, 1, seq);
	bind_i(s, 2, start + 30 * SEC);
	bind_i(s, 3, 40000 + seq);
	bind_t(s, 4, uri);
	bind_i(s, 5, start);
	bind_i(s, 6, 30 * SEC);
	bind_t(s, 7, last);
	bind_i(s, 8, last_mem);
	bind_t(s, 9, sqltext);
	run(s);
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
		int64_t id = put_request(&q, sql_count, sql_ns);
		for (int k = 0; k < n_sql; k++)
			put_sql(id, bg_statements[(e + 3 * k) % N_ST], counts[k], each[k], range(0, 50), 0);
		for (int k = 0; k < 4; k++) {
			int64_t ex = range(20, 2000) * 1000;
			put_func(id, bg_functions[(e + 5 * k) % N_FN], range(1, 40), ex + range(0, 5000) * 1000,
			         ex, range(0, 512) * 1024);
		}
		put_counter(id, "App\\Models\\User::retrieved", range(0, 30));
		if (i % 10 == 0) {
			char path[512];
			for (int k = 0; k < 3; k++) {
				int64_t ex = range(100, 3000) * 1000;
				snprintf(path, sizeof path, "main;%s;%s", bg_functions[0], bg_functions[(e + k) % N_FN]);
				put_path(id, path, range(1, 10), ex, ex);
			}
			put_path(id, "main", 1, q.wall, range(100, 1000) * 1000);
		}
		if (i % 100 == 7)
			put_error(id, "E_WARNING", "Undefined array key \"currency\"", "/srv/app/src/Pricing.php", 88);
		if (q.status == 500)
			put_error(id, "RuntimeException", "Payment gateway timeout", "/srv/app/src/Gateway.php", 140);
		if (i % 20000 == 19999) {
			struct ckpt fck[1] = {{"request_start", 4 * MIB}};
			put_fatal(uri, q.route, q.start, 0, "Call to a member function id() on null",
			          "main /srv/app/public/index.php:20\nApp\\Http\\Kernel::handle /srv/app/src/Kernel.php:30\n",
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
		int64_t id = put_request(&q, 0, 0);
		put_func(id, "App\\Planted::hotLoop", 1000, 1 * SEC, 1 * SEC, 0);
		put_path(id, "main;App\\Http\\Kernel::handle;App\\Planted::hotLoop", 1000, 1 * SEC, 1 * SEC);
		put_path(id, "main;App\\Http\\Kernel::handle", 1, 1 * SEC + 10 * MS, 10 * MS);
		put_path(id, "main", 1, 1 * SEC + 11 * MS, 1 * MS);
	}
	for (int i = 1; i <= 50; i++, t += 10 * SEC) {
		struct ckpt ck[4] = {{"request_start", 2 * MIB}, {"load-rows", 10 * MIB},
		                     {"render", (i == 25 ? 900 : 100) * MIB}, {"request_end", 1 * MIB}};
		struct req q = {"/planted/report.php", "/srv/app/public/planted/report.php", t, 300 * MS,
		                2 * MIB, (i == 25 ? 915 : 115) * MIB, 200, ck, 4};
		put_request(&q, 0, 0);
	}
	static const struct ckpt perm_ck[1] = {{"request_start", 2 * MIB}};
	for (int i = 1; i <= 20; i++, t += 10 * SEC) {
		struct req q = {"/planted/permissions.php", "/srv/app/public/planted/permissions.php", t,
		                400 * MS, 2 * MIB, 200 * MIB, 200, perm_ck, 1};
		int64_t id = put_request(&q, 251, 250 * 40000 + 500000);
		put_sql(id, "SELECT * FROM permissions WHERE role_id = ?", 250, 40000, 8934, 1);
		put_sql(id, "SELECT * FROM roles WHERE user_id = ?", 1, 500000, 36, 0);
		put_counter(id, "App\\Models\\Permission::retrieved", 8934);
	}
	static const struct ckpt oom_ck[3] = {{"request_start", 2 * MIB}, {"query-done", 6 * MIB},
	                                      {"rows-fetched", 110 * MIB}};
	static const char oom_stack[] =
		"main /srv/app/public/planted/export.php:12\n"
		"App\\Export::run /srv/app/src/Export.php:42\n"
		"PDOStatement::fetchAll /srv/app/src/Export.php:57\n";
	for (int i = 0; i < 3; i++, t += 10 * SEC)
		put_fatal("/planted/export.php", "/srv/app/public/planted/export.php", t, 1,
		          "Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes)",
		          oom_stack, oom_ck, 3, 128 * MIB);
	for (int i = 0; i < 2; i++, t += 10 * SEC)
		put_aborted(900000 + i, "/planted/export.php", t, "rows-fetched", 100 * MIB,
		            "SELECT * FROM orders");
	static const struct ckpt sess_ck[2] = {{"request_start", 1 * MIB},
	                                       {"planted-session-load", 40 * MIB}};
	for (int i = 0; i < 7; i++, t += 10 * SEC) {
		struct req q = {"/planted/session.php", "/srv/app/public/planted/session.php", t, 50 * MS,
		                2 * MIB, 45 * MIB, 200, sess_ck, 2};
		int64_t id = put_request(&q, 0, 0);
		put_tag(id, "largest_session_key", "permissions_cache");
	}
}

static void stats(int64_t end)
{
	static const char *const names[] = {"requests", "recorded", "dropped", "not_attached"};
	static const int64_t values[] = {1000, 990, 10, 0};
	for (int k = 0; k < 4; k++) {
		sqlite3_stmt *s = st[S_STAT];
		bind_i(s, 1, 2000);
		bind_i(s, 2, 1);
		bind_i(s, 3, end - 1800 * SEC);
		bind_t(s, 4, "agent");
		bind_t(s, 5, names[k]);
		bind_i(s, 6, values[k]);
		run(s);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"requests", required_argument, NULL, 'n'}, {"seed", required_argument, NULL, 's'},
		{"end", required_argument, NULL, 'e'},      {"plant", no_argument, NULL, 'p'},
		{"lose", required_argument, NULL, 'l'},     {"no-call-paths", no_argument, NULL, 'C'},
		{"schema", required_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	int64_t n = 20000, end = (int64_t)time(NULL) * SEC, lose = 0;
	uint64_t seed = 1;
	bool planted = false;
	int c, schema = BVAPM_STORE_SCHEMA_VERSION;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': n = strtoll(optarg, NULL, 10); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'e': end = strtoll(optarg, NULL, 10) * SEC; break;
		case 'p': planted = true; break;
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
			                "[--plant] [--lose K] [--no-call-paths] [--schema V] DB\n");
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
	exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;");
	create_schema(schema);
	for (int i = 0; i < S__N; i++)
		if ((i != S_PATH || with_paths) &&
		    sqlite3_prepare_v2(db, st_sql[i], -1, &st[i], NULL) != SQLITE_OK)
			die(st_sql[i]);
	exec("BEGIN");
	background(n, end);
	if (planted)
		plant(end);
	stats(end);
	exec("COMMIT");
	for (int i = 0; i < S__N; i++)
		sqlite3_finalize(st[i]);
	/* As the drainer leaves it: WAL, never ANALYZEd. */
	exec("PRAGMA journal_mode=WAL;");
	sqlite3_close(db);
	return 0;
}
