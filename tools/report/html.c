/* SPDX-License-Identifier: Apache-2.0 */
/*
 * html.c — the pages' markup (html.h): escaping, the shared frame, and the
 * report's tables from the JSON a command made.
 *
 * A table's columns are those its spec shows in the text (a heading) and
 * puts in the JSON (a key), in the text's order; each value is formatted by
 * report_cell_text, as in the text, and carries the raw figure in data-v
 * so that the page's script sorts by the figure, not by "12.3 ms". An
 * endpoint links to its page, a request id to the request's, a trace id to
 * the trace's. A table nested in a row (a fatal error's checkpoints) shows
 * under that row.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

void html_text_n(FILE *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		switch (s[i]) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			/* Control bytes other than tab and newline would only confuse. */
			if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t')
				fprintf(out, "\\x%02x", (unsigned char)s[i]);
			else
				fputc(s[i], out);
		}
	}
}

void html_text(FILE *out, const char *s)
{
	if (s)
		html_text_n(out, s, strlen(s));
}

void html_query_value(FILE *out, const char *s)
{
	static const char hexd[] = "0123456789ABCDEF";
	for (const unsigned char *c = (const unsigned char *)s; c && *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		    *c == '-' || *c == '_' || *c == '.' || *c == '~' || *c == '/' || *c == ':')
			fputc(*c, out);
		else
			fprintf(out, "%%%c%c", hexd[*c >> 4], hexd[*c & 15]);
	}
}

static const struct {
	const char *path, *label;
} nav[] = {
	{"/", "Overview"},   {"/endpoints", "Endpoints"}, {"/errors", "Errors"},
	{"/memory", "Memory"}, {"/sql", "SQL"},          {"/external", "External"},
	{"/functions", "Functions"}, {"/requests", "Requests"}, {"/live", "Live"},
};

static void form_field(FILE *out, const struct http_request *req, const char *name,
                       const char *label, const char *placeholder)
{
	const char *v = req ? http_param(req, name) : NULL;
	fprintf(out, "<label>%s <input name=\"%s\" placeholder=\"", label, name);
	html_text(out, placeholder);
	fputs("\" value=\"", out);
	html_text(out, v ? v : "");
	fputs("\"></label>\n", out);
}

void html_begin(struct page *p, const char *title, const char *current,
                const struct http_request *req)
{
	FILE *o = p->out;
	fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<link rel=\"stylesheet\" href=\"/static/bvapm.css\">\n"
	      "<link rel=\"icon\" href=\"/static/icon.svg\" type=\"image/svg+xml\">\n"
	      "<script src=\"/static/bvapm.js\" defer></script>\n", o);
	if (p->refresh)
		fputs("<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>\n", o);
	fputs("<title>", o);
	html_text(o, title);
	fputs(" · bvapm</title></head>\n<body>\n<header><a class=\"brand\" href=\"/\">bvapm</a>\n<nav>",
	      o);
	for (size_t i = 0; i < sizeof nav / sizeof nav[0]; i++) {
		fprintf(o, "<a href=\"%s%s", nav[i].path, p->filters_qs[0] ? "?" : "");
		html_text(o, p->filters_qs);
		fprintf(o, "\"%s>%s</a>", current && strcmp(current, nav[i].path) == 0
		                              ? " aria-current=\"page\"" : "", nav[i].label);
	}
	fputs("</nav></header>\n", o);
	if (current == NULL || strcmp(current, "/live") != 0) {
		fprintf(o, "<form class=\"filters\" method=\"get\" action=\"%s\">\n", p->path);
		form_field(o, req, "since", "Since", "1h, 7d, 2026-12-01T10:00");
		form_field(o, req, "until", "Until", "15m, 2026-12-01T11:00");
		form_field(o, req, "endpoint", "Endpoint", "exact, or a path suffix");
		form_field(o, req, "pattern", "Pattern", "text anywhere in a request");
		const char *kind = req ? http_param(req, "kind") : NULL;
		fputs("<label>Kind <select name=\"kind\">", o);
		static const char *const kinds[] = {"", "request", "job"};
		static const char *const kind_labels[] = {"all", "requests", "jobs"};
		for (size_t i = 0; i < 3; i++)
			fprintf(o, "<option value=\"%s\"%s>%s</option>", kinds[i],
			        (kind ? strcmp(kind, kinds[i]) == 0 : i == 0) ? " selected" : "",
			        kind_labels[i]);
		fputs("</select></label>\n", o);
		/* A page's own identity (a request id, an endpoint page's endpoint
		 * given by the form above) stays with it. */
		static const char *const identity[] = {"id", "trace", "sort", "dir"};
		for (size_t i = 0; req && i < sizeof identity / sizeof identity[0]; i++) {
			const char *v = http_param(req, identity[i]);
			if (v == NULL || v[0] == '\0')
				continue;
			fprintf(o, "<input type=\"hidden\" name=\"%s\" value=\"", identity[i]);
			html_text(o, v);
			fputs("\">", o);
		}
		fputs("<button type=\"submit\">Apply</button></form>\n", o);
	}
	fputs("<main>\n<h1>", o);
	html_text(o, title);
	fputs("</h1>\n", o);
}

void html_end(struct page *p)
{
	fputs("</main>\n<footer>bvapm-report serve · read-only view of the store</footer>\n"
	      "</body></html>\n", p->out);
}

void html_message(struct page *p, const char *cls, const char *text)
{
	fprintf(p->out, "<div class=\"%s\">", cls);
	/* The report's messages start with the program's name: not for a page. */
	static const char prefix[] = "bvapm-report: ";
	const char *line = text;
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		if (n >= sizeof prefix - 1 && strncmp(line, prefix, sizeof prefix - 1) == 0) {
			line += sizeof prefix - 1;
			n -= sizeof prefix - 1;
		}
		if (n > 0) {
			fputs("<p>", p->out);
			html_text_n(p->out, line, n);
			fputs("</p>", p->out);
		}
		line = end ? end + 1 : NULL;
	}
	fputs("</div>\n", p->out);
}

void html_link_endpoint(struct page *p, const struct report *r, const char *ep)
{
	FILE *o = p->out;
	fputs("<a href=\"/endpoint?endpoint=", o);
	html_query_value(o, ep);
	/* The carried filters, less an endpoint filter the link replaces. */
	for (const char *f = p->filters_qs; f && *f;) {
		const char *amp = strchr(f, '&');
		size_t n = amp ? (size_t)(amp - f) : strlen(f);
		if (strncmp(f, "endpoint=", 9) != 0) {
			fputs("&amp;", o);
			html_text_n(o, f, n);
		}
		f = amp ? amp + 1 : NULL;
	}
	fputs("\">", o);
	html_text(o, r ? report_ep_short(r, ep) : ep);
	fputs("</a>", o);
}

void html_link_request(struct page *p, long long id)
{
	fprintf(p->out, "<a href=\"/request?id=%lld\">%lld</a>", id, id);
}

/* ---- tables ------------------------------------------------------------------ */

/* The shown columns of spec: every column with a JSON key, in the text's
 * order; those the text leaves out (JSON only) after the others. */
static size_t shown_cols(const struct report_table_spec *spec, unsigned char *idx)
{
	size_t n = 0;
	bool by_pos = false;
	for (size_t k = 0; k < spec->n_cols && n < REPORT_TABLE_MAX_COLS; k++) {
		const struct report_col *c = &spec->cols[k];
		if (c->key == NULL)
			continue;
		by_pos |= c->pos > 0;
		idx[n++] = (unsigned char)k;
	}
	for (size_t a = 1; a < n; a++) {
		unsigned char x = idx[a];
		int px = spec->cols[x].head == NULL ? 1000 : by_pos ? spec->cols[x].pos : 0;
		size_t b = a;
		for (; b > 0; b--) {
			const struct report_col *y = &spec->cols[idx[b - 1]];
			int py = y->head == NULL ? 1000 : by_pos ? y->pos : 0;
			if (py <= px)
				break;
			idx[b] = idx[b - 1];
		}
		idx[b] = x;
	}
	return n;
}

/* A column's heading: the text's, else its JSON key in words
 * ("first_start_unix_ns" → "first start", "error_rate_percent" →
 * "error rate %"). */
static const char *heading(const struct report_col *c, char *buf, size_t len)
{
	if (c->head && c->head[0])
		return c->head;
	static const struct {
		const char *suffix, *with;
	} units[] = {{"_unix_ns", ""}, {"_ns", ""}, {"_bytes", ""}, {"_percent", " %"}};
	snprintf(buf, len, "%s", c->key);
	size_t n = strlen(buf);
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		size_t m = strlen(units[i].suffix);
		if (n > m && strcmp(buf + n - m, units[i].suffix) == 0) {
			snprintf(buf + n - m, len - (n - m), "%s", units[i].with);
			break;
		}
	}
	for (char *q = buf; *q; q++)
		if (*q == '_')
			*q = ' ';
	return buf;
}

/* The cell of column c in row o, as report_table.c made it. */
static struct report_cell cell_of(const struct report_col *c, json_object *o)
{
	struct report_cell v;
	memset(&v, 0, sizeof v);
	json_object *j = NULL;
	if (!json_object_object_get_ex(o, c->key, &j) || j == NULL) {
		v.null = true;
		return v;
	}
	if (report_col_is_string(c->kind))
		v.s = json_object_get_string(j);
	else if (report_col_is_decimal(c->kind))
		v.d = json_object_get_double(j);
	else if (c->kind == REPORT_COL_BOOL)
		v.i = json_object_get_boolean(j);
	else
		v.i = json_object_get_int64(j);
	return v;
}

static bool is_request_key(const char *key)
{
	size_t n = strlen(key);
	return strcmp(key, "request_id") == 0 ||
	       (n > 11 && strcmp(key + n - 11, "_request_id") == 0);
}

static void put_value(struct page *p, const struct report *r, const struct report_col *c,
                      const struct report_cell *v)
{
	FILE *o = p->out;
	char buf[64];
	if (v->null) {
		fputs("-", o);
		return;
	}
	if (c->kind == REPORT_COL_EP && v->s && v->s[0]) {
		html_link_endpoint(p, r, v->s);
		return;
	}
	if (c->kind == REPORT_COL_INT && is_request_key(c->key) && v->i > 0) {
		html_link_request(p, (long long)v->i);
		return;
	}
	const char *s = report_cell_text(r, c, v, buf, sizeof buf);
	if (report_col_is_string(c->kind) && strcmp(c->key, "trace_id") == 0 && s[0]) {
		fputs("<a class=\"mono\" href=\"/trace?trace=", o);
		html_query_value(o, s);
		fputs("\">", o);
		html_text(o, s);
		fputs("</a>", o);
		return;
	}
	if (report_col_is_string(c->kind) && strchr(s, '\n')) {
		fputs("<pre>", o);
		html_text(o, s);
		fputs("</pre>", o);
		return;
	}
	html_text(o, s);
}

static void put_td(struct page *p, const struct report *r, const struct report_col *c,
                   json_object *row)
{
	struct report_cell v = cell_of(c, row);
	FILE *o = p->out;
	if (report_col_is_string(c->kind) || c->kind == REPORT_COL_BOOL)
		fputs("<td>", o);
	else if (v.null)
		fputs("<td class=\"n\" data-v=\"\">", o);
	else if (report_col_is_decimal(c->kind))
		fprintf(o, "<td class=\"n\" data-v=\"%.17g\">", v.d);
	else
		fprintf(o, "<td class=\"%s\" data-v=\"%lld\">", c->kind == REPORT_COL_TIME ? "t" : "n",
		        (long long)v.i);
	put_value(p, r, c, &v);
	fputs("</td>", o);
}

/* The sections being rendered (nested tables are looked up there). */
static const struct report_sections *secs_now;

static const struct report_section *section_of(const struct report *r, json_object *j)
{
	(void)r;
	for (size_t i = 0; secs_now && i < secs_now->n; i++)
		if (secs_now->v[i].json == j)
			return &secs_now->v[i];
	return NULL;
}

static void render(struct page *p, const struct report *r, const struct report_section *s);

/* The tables nested in a row, under it. */
static void nested_rows(struct page *p, const struct report *r, json_object *row, size_t span)
{
	json_object_object_foreach(row, key, val) {
		(void)key;
		if (val == NULL || !json_object_is_type(val, json_type_array))
			continue;
		const struct report_section *s = section_of(r, val);
		if (s == NULL || json_object_array_length(val) == 0)
			continue;
		fprintf(p->out, "<tr class=\"nested\"><td colspan=\"%zu\">", span);
		render(p, r, s);
		fputs("</td></tr>\n", p->out);
	}
}

struct sort_ctx {
	const struct report_col *col;
	bool asc;
};

static struct sort_ctx sort_by; /* qsort has no context: single-threaded server */

static int cmp_rows(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
	struct report_cell u = cell_of(sort_by.col, x), v = cell_of(sort_by.col, y);
	int c;
	if (u.null || v.null)
		c = u.null - v.null;
	else if (report_col_is_string(sort_by.col->kind))
		c = strcmp(u.s ? u.s : "", v.s ? v.s : "");
	else if (report_col_is_decimal(sort_by.col->kind))
		c = u.d < v.d ? -1 : u.d > v.d;
	else
		c = u.i < v.i ? -1 : u.i > v.i;
	return sort_by.asc ? c : -c;
}

static void sort_link(struct page *p, const struct report_col *c)
{
	FILE *o = p->out;
	bool current = p->sort_key && strcmp(p->sort_key, c->key) == 0;
	/* Figures sort largest first, names from A. */
	bool asc = current ? !p->sort_asc : report_col_is_string(c->kind);
	fprintf(o, "<a href=\"%s?", p->path);
	if (p->self_qs && p->self_qs[0]) {
		html_text(o, p->self_qs);
		fputs("&amp;", o);
	}
	fprintf(o, "sort=%s&amp;dir=%s\">", c->key, asc ? "asc" : "desc");
	char hb[64];
	html_text(o, heading(c, hb, sizeof hb));
	if (current)
		fputs(p->sort_asc ? " ▲" : " ▼", o);
	fputs("</a>", o);
}

static void render_table(struct page *p, const struct report *r, const struct report_section *s)
{
	const struct report_table_spec *spec = s->spec;
	FILE *o = p->out;
	unsigned char idx[REPORT_TABLE_MAX_COLS];
	size_t n = shown_cols(spec, idx);
	size_t rows = json_object_array_length(s->json);
	if (rows == 0) {
		if (spec->empty) {
			fputs("<p class=\"empty\">", o);
			const char *e = spec->empty;
			while (*e == ' ')
				e++;
			html_text(o, e);
			fputs("</p>\n", o);
		}
		return;
	}
	bool by_link = !s->nested && p->sort_table && spec->key &&
	               strcmp(p->sort_table, spec->key) == 0;
	json_object **v = calloc(rows, sizeof *v);
	if (v == NULL)
		return;
	for (size_t i = 0; i < rows; i++)
		v[i] = json_object_array_get_idx(s->json, i);
	if (by_link && p->sort_key) {
		for (size_t k = 0; k < spec->n_cols; k++)
			if (spec->cols[k].key && strcmp(spec->cols[k].key, p->sort_key) == 0) {
				sort_by = (struct sort_ctx){&spec->cols[k], p->sort_asc};
				qsort(v, rows, sizeof *v, cmp_rows);
			}
	}
	fprintf(o, "<div class=\"scroll\"><table class=\"data%s\" data-table=\"%s\"><thead><tr>",
	        by_link ? " server-sorted" : " sortable", spec->key ? spec->key : "");
	for (size_t k = 0; k < n; k++) {
		const struct report_col *c = &spec->cols[idx[k]];
		fprintf(o, "<th data-key=\"%s\"%s>", c->key,
		        report_col_is_string(c->kind) || c->kind == REPORT_COL_TIME ? "" : " class=\"n\"");
		char hb[64];
		if (by_link)
			sort_link(p, c);
		else
			html_text(o, heading(c, hb, sizeof hb));
		fputs("</th>", o);
	}
	bool extra = !s->nested && p->extra_cell && p->extra_table && spec->key &&
	             strcmp(p->extra_table, spec->key) == 0;
	if (extra) {
		fputs("<th>", o);
		html_text(o, p->extra_head);
		fputs("</th>", o);
	}
	fputs("</tr></thead>\n<tbody>\n", o);
	for (size_t i = 0; i < rows; i++) {
		fputs("<tr>", o);
		for (size_t k = 0; k < n; k++)
			put_td(p, r, &spec->cols[idx[k]], v[i]);
		if (extra) {
			fputs("<td class=\"extra\">", o);
			p->extra_cell(p, v[i]);
			fputs("</td>", o);
		}
		fputs("</tr>\n", o);
		nested_rows(p, r, v[i], n);
	}
	fputs("</tbody></table></div>\n", o);
	free(v);
}

static void render_record(struct page *p, const struct report *r, const struct report_section *s)
{
	const struct report_table_spec *spec = s->spec;
	unsigned char idx[REPORT_TABLE_MAX_COLS];
	size_t n = shown_cols(spec, idx);
	if (n == 0)
		return;
	FILE *o = p->out;
	fputs("<dl class=\"record\">", o);
	for (size_t k = 0; k < n; k++) {
		const struct report_col *c = &spec->cols[idx[k]];
		struct report_cell v = cell_of(c, s->json);
		if (v.null && (c->flags & REPORT_COL_SKIP_NULL))
			continue;
		fputs("<div><dt>", o);
		/* A record's text is prose ("Errors: ", ", out of memory: "): its
		 * words without the punctuation, else the key in words. */
		char clean[96], hb[64];
		const char *label = c->head && c->head[0] ? c->head : c->before ? c->before : "";
		size_t m = 0;
		for (const char *q = label; *q && m + 1 < sizeof clean; q++)
			if (*q != '\n' && !(m == 0 && (*q == ' ' || *q == ',' || *q == '(' || *q == '.')))
				clean[m++] = *q;
		while (m > 0 && (clean[m - 1] == ' ' || clean[m - 1] == ':' || clean[m - 1] == '(' ||
		                 clean[m - 1] == ','))
			m--;
		clean[m] = '\0';
		html_text(o, clean[0] && strcmp(clean, "..") != 0 ? clean : heading(c, hb, sizeof hb));
		fputs("</dt><dd>", o);
		put_value(p, r, c, &v);
		fputs("</dd></div>", o);
	}
	fputs("</dl>\n", o);
}

static void render(struct page *p, const struct report *r, const struct report_section *s)
{
	const struct report_table_spec *spec = s->spec;
	FILE *o = p->out;
	if (!s->record && json_object_array_length(s->json) == 0 && spec->empty == NULL)
		return; /* the text prints nothing either (a lazy table) */
	if (spec->title) {
		fputs(s->nested ? "<h3>" : "<h2>", o);
		const char *t = spec->title;
		while (*t == ' ')
			t++;
		size_t len = strlen(t);
		if (len > 0 && t[len - 1] == ':')
			len--;
		html_text_n(o, t, len);
		fputs(s->nested ? "</h3>\n" : "</h2>\n", o);
	}
	if (spec->caption) {
		fputs("<p class=\"caption\">", o);
		html_text(o, spec->caption);
		fputs("</p>\n", o);
	}
	if (s->record)
		render_record(p, r, s);
	else
		render_table(p, r, s);
}

static bool skipped(const struct report_section *s, const char *const *skip)
{
	for (size_t i = 0; skip && skip[i]; i++)
		if (s->spec->key && strcmp(s->spec->key, skip[i]) == 0)
			return true;
	return false;
}

void html_sections(struct page *p, const struct report *r, const struct report_sections *secs,
                   const char *const *skip)
{
	secs_now = secs;
	for (size_t i = 0; secs && i < secs->n; i++) {
		const struct report_section *s = &secs->v[i];
		if (!s->nested && !skipped(s, skip))
			render(p, r, s);
	}
}

bool html_section_by_key(struct page *p, const struct report *r,
                         const struct report_sections *secs, const char *key)
{
	secs_now = secs;
	for (size_t i = 0; secs && i < secs->n; i++) {
		const struct report_section *s = &secs->v[i];
		if (!s->nested && s->spec->key && strcmp(s->spec->key, key) == 0) {
			render(p, r, s);
			return true;
		}
	}
	return false;
}
