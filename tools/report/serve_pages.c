/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve_pages.c — the pages of `bvapm-report serve` and their routes.
 *
 * DESIGN. A page is the report's own commands run with --json on one
 * read-only connection (report_run, then report_run_next: the selection of
 * the page's filters is built once), rendered by html.c from the tables the
 * commands declared and drawn by svg_chart.c from their figures. The page's
 * query parameters become a command line that report_parse_args checks, so
 * a bad value gets the command line's own message, on a 400 page. A
 * command that has nothing to show (no call paths, no spans) leaves a note
 * on the page; a store that cannot be opened is a 503 page.
 *
 * Routes are matched exactly; every other path is a 404 (no file is served
 * from a path: the style sheet and script are compiled in, serve_assets.c).
 * Each route lists the parameters it takes besides the filters; any other
 * parameter is a 400, so a typo does not silently show everything.
 * /api/COMMAND answers the command's JSON document, as --json prints it.
 */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "html.h"
#include "serve.h"
#include "serve_assets.h"
#include "serve_live.h"
#include "svg_chart.h"

/* The filters every page takes, with the option each becomes. */
static const struct {
	const char *param, *option;
} filters[] = {
	{"since", "--since"},     {"until", "--until"}, {"endpoint", "--endpoint"},
	{"pattern", "--pattern"}, {"kind", "--kind"},   {"by", "--by"},
	{"recent", "--recent"},   {"limit", "--limit"},
};
#define N_FILTERS (sizeof filters / sizeof filters[0])

/* ---- stderr of a command, for the page --------------------------------------- */

static FILE *saved_stderr;
static char *captured;
static size_t captured_len;

/* The report's commands say what went wrong on stderr; while a page runs
 * them, stderr is a memory stream (glibc's stderr is a variable). */
static void capture_begin(void)
{
	fflush(stderr);
	FILE *m = open_memstream(&captured, &captured_len);
	if (m) {
		saved_stderr = stderr;
		stderr = m;
	}
}

/* What was written since capture_begin (malloc'ed, maybe ""), or NULL. */
static char *capture_end(void)
{
	if (saved_stderr == NULL)
		return NULL;
	fclose(stderr);
	stderr = saved_stderr;
	saved_stderr = NULL;
	char *s = captured;
	captured = NULL;
	return s;
}

/* ---- a page in the making ------------------------------------------------------ */

struct cmd_out {
	json_object *doc;
	struct report_sections secs;
	int rc;
	char *err; /* what the command said on stderr */
};

struct ctx {
	const struct serve_ctx *sc;
	const struct http_request *req;
	struct page page;
	char *body;
	size_t body_len;
	int status;
	const char *content_type;
	char *filters_qs, *self_qs;
	/* the report the page's commands run in */
	struct report r;
	struct report_opts o;
	bool opened;
	char *argv[2 * N_FILTERS + 16];
	int argc;
	char *open_err;
	struct cmd_out outs[10];
	size_t n_outs;
};

static const char *param(const struct ctx *c, const char *name)
{
	const char *v = http_param(c->req, name);
	return v && v[0] ? v : NULL; /* an empty form field is no filter */
}

/* "a=1&b=2" of the named parameters present (filters: all of them), values
 * percent-encoded again. */
static char *query_string(const struct ctx *c, bool filters_only, const char *const *except)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (m == NULL)
		return NULL;
	bool first = true;
	for (size_t i = 0; i < c->req->n_params; i++) {
		const struct http_param *p = &c->req->params[i];
		bool is_filter = false, skip = p->value[0] == '\0';
		for (size_t k = 0; k < N_FILTERS; k++)
			is_filter |= strcmp(p->name, filters[k].param) == 0;
		for (size_t k = 0; except && except[k]; k++)
			skip |= strcmp(p->name, except[k]) == 0;
		if (skip || (filters_only && !is_filter))
			continue;
		fprintf(m, "%s%s=", first ? "" : "&", p->name);
		html_query_value(m, p->value);
		first = false;
	}
	fclose(m);
	return buf;
}

static void add_arg(struct ctx *c, const char *a)
{
	if ((size_t)c->argc < sizeof c->argv / sizeof c->argv[0] - 1)
		c->argv[c->argc++] = strdup(a ? a : "");
}

/* Opens the page's report: the filters of the query and the extra options
 * (pairs, NULL-terminated), parsed as a command line, and runs the first
 * command. Returns 0, or the status of the page (400 for a bad parameter,
 * 503 when the store cannot be read) with the reason in c->open_err. */
static int open_report(struct ctx *c, const char *first_cmd, const char *const *extra)
{
	add_arg(c, "bvapm-report");
	add_arg(c, "--db");
	add_arg(c, c->sc->o->db_path);
	add_arg(c, "--json");
	for (size_t k = 0; k < N_FILTERS; k++) {
		const char *v = param(c, filters[k].param);
		if (v) {
			add_arg(c, filters[k].option);
			add_arg(c, v);
		}
	}
	for (size_t k = 0; extra && extra[k]; k += 2) {
		add_arg(c, extra[k]);
		if (extra[k + 1])
			add_arg(c, extra[k + 1]);
	}
	add_arg(c, first_cmd);
	capture_begin();
	const char *name = NULL;
	int rc = report_parse_args(c->argc, c->argv, &c->o, &name);
	const struct report_command *cmd = rc == REPORT_OK ? report_command_find(name) : NULL;
	if (rc == REPORT_OK)
		rc = cmd ? report_check_opts(&c->o, cmd) : REPORT_USAGE;
	if (rc != REPORT_OK) {
		c->open_err = capture_end();
		return 400;
	}
	c->o.db_path = c->sc->o->db_path;
	struct cmd_out *out = &c->outs[c->n_outs++];
	c->r.sections = &out->secs;
	rc = report_run(&c->r, &c->o, cmd);
	out->rc = rc;
	out->doc = c->r.doc;
	c->r.doc = NULL;
	if (rc == REPORT_NO_STORE || rc == REPORT_PERMISSION || rc == REPORT_TOO_NEW ||
	    (rc != REPORT_OK && c->r.db == NULL)) {
		c->open_err = capture_end();
		return 503;
	}
	out->err = capture_end();
	c->opened = true;
	return 0;
}

/* Runs one more command on the page's report; its output (doc may be NULL
 * and rc not 0: the page shows out->err as a note). */
static struct cmd_out *run(struct ctx *c, const char *name)
{
	if (!c->opened || c->n_outs == sizeof c->outs / sizeof c->outs[0])
		return NULL;
	const struct report_command *cmd = report_command_find(name);
	if (cmd == NULL)
		return NULL;
	struct cmd_out *out = &c->outs[c->n_outs++];
	c->r.sections = &out->secs;
	capture_begin();
	out->rc = report_run_next(&c->r, cmd);
	out->doc = c->r.doc;
	c->r.doc = NULL;
	out->err = capture_end();
	return out;
}

static struct cmd_out *first_out(struct ctx *c)
{
	return c->n_outs ? &c->outs[0] : NULL;
}

/* The sections of out, or a note saying why the command has none. */
static void show(struct ctx *c, struct cmd_out *out, const char *const *skip)
{
	if (out == NULL)
		return;
	if (out->rc != REPORT_OK) {
		html_message(&c->page, "note", out->err && out->err[0] ? out->err : "nothing to show");
		return;
	}
	html_sections(&c->page, &c->r, &out->secs, skip);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int64_t get_i(json_object *o, const char *key)
{
	json_object *v = get(o, key);
	return v ? json_object_get_int64(v) : 0;
}

static double get_d(json_object *o, const char *key)
{
	json_object *v = get(o, key);
	return v ? json_object_get_double(v) : NAN;
}

static const char *get_s(json_object *o, const char *key)
{
	json_object *v = get(o, key);
	return v ? json_object_get_string(v) : NULL;
}

/* ---- charts from the commands' figures ------------------------------------------ */

/* The link of a chart's bucket: this page over that bucket's time
 * ("/endpoint?endpoint=x&", to which the chart adds since= and until=). */
static char *bucket_href_base(struct ctx *c)
{
	static const char *const except[] = {"since", "until", NULL};
	char *qs = query_string(c, false, except);
	char *base = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&base, &len);
	if (m)
		fprintf(m, "%s?%s%s", c->page.path, qs ? qs : "", qs && qs[0] ? "&" : "");
	if (m)
		fclose(m);
	free(qs);
	return base;
}

static void timeline_charts(struct ctx *c, struct cmd_out *t, bool rate, bool latency)
{
	if (t == NULL || t->rc != REPORT_OK) {
		if (t)
			html_message(&c->page, "note", t->err && t->err[0] ? t->err : "no timeline");
		return;
	}
	json_object *b = get(t->doc, "buckets");
	size_t n = b ? json_object_array_length(b) : 0;
	int64_t width = get_i(t->doc, "bucket_ns");
	int64_t *x = calloc(n + 1, sizeof *x);
	double *v = calloc(5 * (n + 1), sizeof *v);
	char *href = bucket_href_base(c);
	if (x == NULL || v == NULL) {
		free(x);
		free(v);
		free(href);
		return;
	}
	double *rps = v, *err = v + n, *p50 = v + 2 * n, *p95 = v + 3 * n, *p99 = v + 4 * n;
	for (size_t i = 0; i < n; i++) {
		json_object *row = json_object_array_get_idx(b, i);
		x[i] = get_i(row, "start_unix_ns");
		rps[i] = get_d(row, "requests_per_s");
		err[i] = get_d(row, "error_rate_percent");
		bool any = get_i(row, "requests") > 0;
		p50[i] = any ? get_d(row, "p50_ns") : NAN;
		p95[i] = any ? get_d(row, "p95_ns") : NAN;
		p99[i] = any ? get_d(row, "p99_ns") : NAN;
	}
	fputs("<div class=\"charts\">\n", c->page.out);
	if (rate) {
		struct svg_series s1[] = {{"requests/s", rps, "s1"}};
		svg_time_chart(c->page.out, "Requests per second", x, n, width, s1, 1, SVG_PER_S, href);
		struct svg_series s2[] = {{"error rate", err, "s4"}};
		svg_time_chart(c->page.out, "Error rate", x, n, width, s2, 1, SVG_PCT, href);
	}
	if (latency) {
		struct svg_series s3[] = {{"p50", p50, "s1"}, {"p95", p95, "s2"}, {"p99", p99, "s3"}};
		svg_time_chart(c->page.out, "Latency p50 / p95 / p99", x, n, width, s3, 3, SVG_NS, href);
	}
	fputs("</div>\n", c->page.out);
	free(x);
	free(v);
	free(href);
}

static void histogram(struct ctx *c, json_object *doc, const char *key, const char *title,
                      enum svg_unit unit)
{
	json_object *h = get(doc, key);
	size_t n = h ? json_object_array_length(h) : 0;
	if (n == 0)
		return;
	int64_t *v = calloc(3 * n, sizeof *v);
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		json_object *row = json_object_array_get_idx(h, i);
		v[i] = get_i(row, "lo");
		v[n + i] = get_i(row, "hi");
		v[2 * n + i] = get_i(row, "count");
	}
	svg_histogram(c->page.out, title, v, v + n, v + 2 * n, n, unit);
	free(v);
}

static void flame_inline(struct ctx *c, struct cmd_out *f)
{
	if (f == NULL)
		return;
	fputs("<h2>Flame graph</h2>\n", c->page.out);
	const char *svg = f->rc == REPORT_OK ? get_s(f->doc, "svg") : NULL;
	if (svg == NULL) {
		html_message(&c->page, "note", f->err && f->err[0] ? f->err : "no flame graph");
		return;
	}
	/* flame_svg.c escapes every name it draws; its XML declaration has no
	 * place inside HTML. */
	const char *start = strstr(svg, "<svg");
	fputs("<div class=\"flame\">", c->page.out);
	fputs(start ? start : "", c->page.out);
	fputs("</div>\n", c->page.out);
}

/* ---- pages ---------------------------------------------------------------------- */

static void begin(struct ctx *c, const char *title, const char *nav)
{
	html_begin(&c->page, title, nav, c->req);
}

static void page_overview(struct ctx *c)
{
	begin(c, "Overview", "/");
	struct cmd_out *sum = first_out(c);
	timeline_charts(c, run(c, "timeline"), true, true);
	static const char *const skip[] = {"tags", NULL};
	show(c, sum, skip);
	fputs("<p><a href=\"/endpoints", c->page.out);
	if (c->filters_qs[0]) {
		fputs("?", c->page.out);
		html_text(c->page.out, c->filters_qs);
	}
	fputs("\">All endpoints</a></p>\n", c->page.out);
}

/* Sparklines of the endpoints table: the timeline's per-endpoint series. */
static json_object *spark_endpoints;

static void spark_cell(struct page *p, json_object *row)
{
	const char *ep = get_s(row, "endpoint");
	size_t n = spark_endpoints ? json_object_array_length(spark_endpoints) : 0;
	for (size_t i = 0; ep && i < n; i++) {
		json_object *e = json_object_array_get_idx(spark_endpoints, i);
		const char *name = get_s(e, "endpoint");
		json_object *counts = get(e, "requests");
		if (name == NULL || strcmp(name, ep) != 0 || counts == NULL)
			continue;
		size_t k = json_object_array_length(counts);
		double *v = calloc(k + 1, sizeof *v);
		if (v == NULL)
			return;
		for (size_t j = 0; j < k; j++)
			v[j] = json_object_get_double(json_object_array_get_idx(counts, j));
		char label[64];
		snprintf(label, sizeof label, "requests over time (%zu buckets)", k);
		svg_sparkline(p->out, v, k, label);
		free(v);
		return;
	}
}

static void page_endpoints(struct ctx *c)
{
	begin(c, "Endpoints", "/endpoints");
	struct cmd_out *sum = first_out(c);
	struct cmd_out *t = run(c, "timeline");
	spark_endpoints = t && t->rc == REPORT_OK ? get(t->doc, "endpoints") : NULL;
	c->page.sort_table = "endpoints";
	c->page.extra_table = "endpoints";
	c->page.extra_head = "requests over time";
	c->page.extra_cell = spark_cell;
	if (sum->rc != REPORT_OK || !html_section_by_key(&c->page, &c->r, &sum->secs, "endpoints"))
		show(c, sum, NULL);
	c->page.extra_cell = NULL;
	spark_endpoints = NULL;
}

static void page_endpoint(struct ctx *c)
{
	const char *ep = param(c, "endpoint");
	char title[300];
	snprintf(title, sizeof title, "Endpoint %s", ep);
	begin(c, title, NULL);
	struct cmd_out *sum = first_out(c);
	if (sum->rc == REPORT_OK && get_i(sum->doc, "requests") == 0 &&
	    get_i(sum->doc, "fatals") == 0) {
		html_message(&c->page, "note", "no request of this endpoint matches the filters");
	}
	static const char *const sum_skip[] = {"stats", "loss", NULL};
	show(c, sum, sum_skip);
	timeline_charts(c, run(c, "timeline"), true, true);
	struct cmd_out *req = run(c, "requests");
	if (req && req->rc == REPORT_OK) {
		fputs("<div class=\"charts\">\n", c->page.out);
		histogram(c, req->doc, "wall_histogram", "Latency distribution", SVG_NS);
		histogram(c, req->doc, "mem_peak_histogram", "Peak memory distribution", SVG_BYTES);
		fputs("</div>\n", c->page.out);
		static const char *const req_skip[] = {"wall_histogram", "mem_peak_histogram", NULL};
		show(c, req, req_skip);
	}
	show(c, run(c, "memory"), NULL);
	show(c, run(c, "sql"), NULL);
	show(c, run(c, "external"), NULL);
	show(c, run(c, "errors"), NULL);
	flame_inline(c, run(c, "flame"));
}

static void request_charts(struct ctx *c, json_object *rq)
{
	json_object *tl = get(rq, "timeline");
	size_t n = tl ? json_object_array_length(tl) : 0;
	struct svg_span *sp = calloc(n + 1, sizeof *sp);
	struct svg_checkpoint *cp = calloc(n + 1, sizeof *cp);
	char (*labels)[160] = calloc(n + 1, sizeof *labels);
	size_t ns = 0, nc = 0;
	if (sp == NULL || cp == NULL || labels == NULL) {
		free(sp);
		free(cp);
		free(labels);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *row = json_object_array_get_idx(tl, i);
		const char *type = get_s(row, "type");
		if (type && strcmp(type, "checkpoint") == 0)
			cp[nc++] = (struct svg_checkpoint){get_i(row, "offset_ns"), get_i(row, "mem_bytes"),
			                                   get_s(row, "name")};
		else {
			/* "GET redis 10.0.0.5:6379": what was called, and where */
			const char *name = get_s(row, "name"), *target = get_s(row, "target");
			snprintf(labels[ns], sizeof labels[ns], "%s%s%s", name ? name : "",
			         target ? " " : "", target ? target : "");
			sp[ns] = (struct svg_span){get_i(row, "offset_ns"), get_i(row, "duration_ns"), type,
			                           labels[ns]};
			ns++;
		}
	}
	int64_t wall = get_i(rq, "wall_ns");
	if (nc > 0)
		svg_memory_steps(c->page.out, cp, nc, wall);
	if (ns > 0) {
		fputs("<h3>Timed calls</h3>\n", c->page.out);
		svg_waterfall(c->page.out, sp, ns, cp, nc, wall);
	}
	free(sp);
	free(cp);
	free(labels);
}

static void page_request(struct ctx *c)
{
	const char *id = param(c, "id");
	char title[64];
	snprintf(title, sizeof title, "Request %s", id);
	struct cmd_out *tr = first_out(c);
	json_object *reqs = tr->rc == REPORT_OK ? get(tr->doc, "requests") : NULL;
	if (tr->rc != REPORT_OK || reqs == NULL || json_object_array_length(reqs) == 0) {
		c->status = 404;
		begin(c, title, NULL);
		html_message(&c->page, "error", "no request with this id in the store (or the filters "
		                                 "leave it out)");
		if (tr->err && tr->err[0])
			html_message(&c->page, "note", tr->err);
		return;
	}
	begin(c, title, NULL);
	struct cmd_out *facts = run(c, "requests");
	if (facts && facts->rc == REPORT_OK) {
		static const char *const skip[] = {"wall_histogram", "mem_peak_histogram", NULL};
		show(c, facts, skip);
	}
	if (reqs)
		request_charts(c, json_object_array_get_idx(reqs, 0));
	show(c, tr, NULL);
	show(c, run(c, "external"), NULL);
	show(c, run(c, "errors"), NULL);
	show(c, run(c, "sql"), NULL);
	show(c, run(c, "functions"), NULL);
	flame_inline(c, run(c, "flame"));
}

static void page_trace(struct ctx *c)
{
	begin(c, "Trace", NULL);
	struct cmd_out *tr = first_out(c);
	json_object *reqs = tr->rc == REPORT_OK ? get(tr->doc, "requests") : NULL;
	for (size_t i = 0; reqs && i < json_object_array_length(reqs); i++)
		request_charts(c, json_object_array_get_idx(reqs, i));
	show(c, tr, NULL);
}

static void page_requests(struct ctx *c)
{
	begin(c, "Requests", "/requests");
	struct cmd_out *req = first_out(c);
	if (req->rc == REPORT_OK) {
		fputs("<div class=\"charts\">\n", c->page.out);
		histogram(c, req->doc, "wall_histogram", "Latency distribution", SVG_NS);
		histogram(c, req->doc, "mem_peak_histogram", "Peak memory distribution", SVG_BYTES);
		fputs("</div>\n", c->page.out);
	}
	static const char *const skip[] = {"wall_histogram", "mem_peak_histogram", NULL};
	show(c, req, skip);
}

/* The pages that are one command, shown as it is. */
static void page_command(struct ctx *c)
{
	static const struct {
		const char *path, *title;
	} titles[] = {{"/errors", "Errors and out-of-memory"}, {"/memory", "Memory"},
	              {"/sql", "SQL"}, {"/external", "Outbound calls"}, {"/functions", "Functions"}};
	const char *title = c->page.path;
	for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
		if (strcmp(titles[i].path, c->page.path) == 0)
			title = titles[i].title;
	begin(c, title, c->page.path);
	show(c, first_out(c), NULL);
}

static void page_live(struct ctx *c)
{
	const char *ring = c->sc->o->ring_name;
	c->page.refresh = true;
	html_begin(&c->page, "Live requests", "/live", c->req);
	serve_live_html(c->page.out, ring);
}

/* ---- routes ------------------------------------------------------------------------ */

struct route {
	const char *path;
	const char *command;  /* the first command the page runs (NULL: none) */
	const char *params;   /* parameters besides the filters, space-separated */
	const char *required; /* a parameter the page cannot do without */
	void (*page)(struct ctx *);
};

static const struct route routes[] = {
	{"/", "summary", "", NULL, page_overview},
	{"/endpoints", "summary", "sort dir", NULL, page_endpoints},
	{"/endpoint", "summary", "", "endpoint", page_endpoint},
	{"/request", "trace", "id", "id", page_request},
	{"/trace", "trace", "trace", "trace", page_trace},
	{"/requests", "requests", "sort", NULL, page_requests},
	{"/errors", "errors", "", NULL, page_command},
	{"/memory", "memory", "", NULL, page_command},
	{"/sql", "sql", "", NULL, page_command},
	{"/external", "external", "", NULL, page_command},
	{"/functions", "functions", "", NULL, page_command},
	{"/live", NULL, "", NULL, page_live},
};

static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* A parameter the route does not take, or one given twice: the message. */
static int check_params(const struct ctx *c, const struct route *rt, char *why, size_t len)
{
	for (size_t i = 0; i < c->req->n_params; i++) {
		const char *name = c->req->params[i].name;
		bool ok = listed(rt->params, name);
		for (size_t k = 0; k < N_FILTERS && rt->command; k++)
			ok |= strcmp(name, filters[k].param) == 0;
		if (!ok) {
			snprintf(why, len, "unknown parameter \"%.64s\" for %s", name, rt->path);
			return 400;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->req->params[j].name, name) == 0) {
				snprintf(why, len, "parameter \"%.64s\" given twice", name);
				return 400;
			}
	}
	if (rt->required && param(c, rt->required) == NULL) {
		snprintf(why, len, "%s needs the parameter %s", rt->path, rt->required);
		return 400;
	}
	return 0;
}

/* The page's own options from its parameters (pairs, NULL-terminated). */
static void page_options(const struct ctx *c, const struct route *rt, const char **extra)
{
	size_t n = 0;
	const char *id = param(c, "id"), *trace = param(c, "trace"), *sort = param(c, "sort");
	if (id && strcmp(rt->path, "/request") == 0) {
		extra[n++] = "--request";
		extra[n++] = id;
	}
	if (trace) {
		extra[n++] = "--trace";
		extra[n++] = trace;
	}
	if (sort && strcmp(rt->path, "/requests") == 0) {
		extra[n++] = "--sort";
		extra[n++] = sort;
	}
	/* The endpoints page lists them all (it sorts them itself); the
	 * endpoint page one: the filters choose it. */
	if (strcmp(rt->path, "/endpoints") == 0 && param(c, "limit") == NULL) {
		extra[n++] = "--limit";
		extra[n++] = "1000";
	}
	extra[n] = NULL;
}

static void error_page(struct ctx *c, int status, const char *title, const char *text)
{
	c->status = status;
	html_begin(&c->page, title, NULL, c->req);
	html_message(&c->page, "error", text);
}

static void free_ctx(struct ctx *c)
{
	for (size_t i = 0; i < c->n_outs; i++) {
		if (c->outs[i].doc)
			json_object_put(c->outs[i].doc);
		free(c->outs[i].secs.v);
		free(c->outs[i].err);
	}
	if (c->opened || c->r.db)
		report_done(&c->r);
	for (int i = 0; i < c->argc; i++)
		free(c->argv[i]);
	free(c->open_err);
	free(c->filters_qs);
	free(c->self_qs);
}

/* /api/COMMAND: the JSON document, or {"error", "exit_code", "message"}. */
static int api(int fd, struct ctx *c, const char *name)
{
	const struct report_command *cmd = report_command_find(name);
	json_object *doc = NULL;
	int status = 200;
	char why[160] = "";
	if (cmd == NULL) {
		status = 404;
		snprintf(why, sizeof why, "no command %.64s", name);
	} else {
		for (size_t i = 0; i < c->req->n_params && !why[0]; i++) {
			bool ok = strcmp(c->req->params[i].name, "request") == 0 ||
			          strcmp(c->req->params[i].name, "trace") == 0 ||
			          strcmp(c->req->params[i].name, "sort") == 0 ||
			          strcmp(c->req->params[i].name, "bucket") == 0;
			for (size_t k = 0; k < N_FILTERS; k++)
				ok |= strcmp(c->req->params[i].name, filters[k].param) == 0;
			if (!ok) {
				status = 400;
				snprintf(why, sizeof why, "unknown parameter \"%.64s\"", c->req->params[i].name);
			}
		}
	}
	if (status == 200) {
		const char *extra[9];
		size_t n = 0;
		static const char *const opt[][2] = {{"request", "--request"}, {"trace", "--trace"},
		                                     {"sort", "--sort"}, {"bucket", "--bucket"}};
		for (size_t k = 0; k < 4; k++)
			if (param(c, opt[k][0])) {
				extra[n++] = opt[k][1];
				extra[n++] = param(c, opt[k][0]);
			}
		extra[n] = NULL;
		status = open_report(c, name, extra);
		if (status == 0) {
			struct cmd_out *o = first_out(c);
			if (o->rc == REPORT_OK) {
				doc = json_object_get(o->doc);
				status = 200;
			} else {
				status = 500;
				doc = report_json_error(o->rc);
				json_object_object_add(doc, "message", json_object_new_string(o->err ? o->err : ""));
			}
		}
	}
	if (doc == NULL) {
		doc = report_json_error(status == 503 ? REPORT_NO_STORE : REPORT_USAGE);
		json_object_object_add(doc, "message",
		                       json_object_new_string(c->open_err ? c->open_err : why));
	}
	const char *s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
	                                                         JSON_C_TO_STRING_NOSLASHESCAPE);
	http_respond(fd, status, "application/json", s, strlen(s), c->req->head_only, NULL);
	json_object_put(doc);
	return status;
}

int serve_page(int fd, const struct serve_ctx *sc, const struct http_request *req)
{
	const struct serve_asset *asset = serve_asset_find(req->path);
	if (asset) {
		http_respond(fd, 200, asset->content_type, asset->body, strlen(asset->body),
		             req->head_only, NULL);
		return 200;
	}
	struct ctx c;
	memset(&c, 0, sizeof c);
	c.sc = sc;
	c.req = req;
	c.status = 200;
	int status;
	if (strncmp(req->path, "/api/", 5) == 0 && req->path[5] != '\0' &&
	    strchr(req->path + 5, '/') == NULL) {
		status = api(fd, &c, req->path + 5);
		free_ctx(&c);
		return status;
	}
	static const char *const no_sort[] = {"sort", "dir", NULL};
	c.filters_qs = query_string(&c, true, NULL);
	c.self_qs = query_string(&c, false, no_sort);
	FILE *out = open_memstream(&c.body, &c.body_len);
	if (out == NULL || c.filters_qs == NULL || c.self_qs == NULL) {
		if (out)
			fclose(out);
		free(c.body);
		free_ctx(&c);
		http_respond(fd, 500, "text/plain", "out of memory\n", 14, req->head_only, NULL);
		return 500;
	}
	c.page = (struct page){.out = out, .path = req->path, .filters_qs = c.filters_qs,
	                       .self_qs = c.self_qs};
	const char *sort = http_param(req, "sort"), *dir = http_param(req, "dir");
	c.page.sort_key = sort && sort[0] ? sort : NULL;
	c.page.sort_asc = dir && strcmp(dir, "asc") == 0;

	const struct route *rt = NULL;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (strcmp(routes[i].path, req->path) == 0)
			rt = &routes[i];
	char why[200];
	if (rt == NULL) {
		error_page(&c, 404, "Not found", "no such page: the pages are listed at the top");
	} else if ((status = check_params(&c, rt, why, sizeof why)) != 0) {
		error_page(&c, status, "Bad request", why);
	} else if (dir && dir[0] && strcmp(dir, "asc") != 0 && strcmp(dir, "desc") != 0) {
		error_page(&c, 400, "Bad request", "dir: expected asc or desc");
	} else if (rt->command == NULL) {
		rt->page(&c);
	} else {
		const char *extra[12];
		page_options(&c, rt, extra);
		status = open_report(&c, rt->command, extra);
		if (status == 400)
			error_page(&c, 400, "Bad request", c.open_err ? c.open_err : "bad parameter");
		else if (status == 503)
			error_page(&c, 503, "Store not readable", c.open_err ? c.open_err : "no store");
		else if (first_out(&c)->rc == REPORT_USAGE)
			error_page(&c, 400, "Bad request", first_out(&c)->err);
		else
			rt->page(&c);
	}
	html_end(&c.page);
	fclose(out);
	http_respond(fd, c.status, "text/html; charset=utf-8", c.body, c.body_len, req->head_only,
	             NULL);
	free(c.body);
	status = c.status;
	free_ctx(&c);
	return status;
}
