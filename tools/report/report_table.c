/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_table.c — renders the tables of report_table.h: a row of cells
 * becomes one text line (headings, widths, units and number formats of
 * each column kind) or one JSON object (keys in column order, raw figures).
 *
 * Text padding counts bytes, as printf's "%-*s" does, and clipping keeps
 * the end of a long value ("...c/planted/report.php"): for paths and
 * statements the end names the thing. JSON doubles carry two decimals
 * (report_json_dbl), the figure a person reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_table.h"

/* A section title: a blank line, then the title. */
static void section(const char *title)
{
	printf("\n%s\n", title);
}


/* Prints len bytes of s in width: padded on the side alignment leaves,
 * or, clip and too long, "..." and the end. */
static void put(const char *s, size_t len, int width, bool left, bool clip)
{
	size_t w = width > 0 ? (size_t)width : 0;
	if (clip && w > 3 && len > w) {
		fputs("...", stdout);
		fwrite(s + len - (w - 3), 1, w - 3, stdout);
		return;
	}
	if (!left)
		for (size_t k = len; k < w; k++)
			putchar(' ');
	fwrite(s, 1, len, stdout);
	if (left)
		for (size_t k = len; k < w; k++)
			putchar(' ');
}

bool report_col_is_string(enum report_col_kind kind)
{
	return kind == REPORT_COL_STR || kind == REPORT_COL_EP;
}

bool report_col_is_decimal(enum report_col_kind kind)
{
	return kind == REPORT_COL_PCT || kind == REPORT_COL_PCT2 || kind == REPORT_COL_DEC ||
	       kind == REPORT_COL_NUM;
}

static bool is_left(const struct report_col *c)
{
	return report_col_is_string(c->kind) || c->kind == REPORT_COL_TIME ||
	       (c->flags & REPORT_COL_LEFT);
}

static bool is_empty(const struct report_col *c, const struct report_cell *v)
{
	if (report_col_is_string(c->kind))
		return v->s == NULL || v->s[0] == '\0';
	return report_col_is_decimal(c->kind) ? v->d == 0 : v->i == 0;
}

const char *report_cell_text(const struct report *r, const struct report_col *c,
                             const struct report_cell *v, char *buf, size_t len)
{
	const char *s = buf;
	buf[0] = '\0';
	if (v->null)
		return "-";
	switch (c->kind) {
	case REPORT_COL_STR:
	case REPORT_COL_EP:
		s = v->s ? v->s : "";
		if (c->kind == REPORT_COL_EP)
			s = report_ep_short(r, s);
		if (s[0] == '\0' && c->if_empty)
			s = c->if_empty;
		break;
	case REPORT_COL_INT:
		snprintf(buf, len, "%lld", (long long)v->i);
		break;
	case REPORT_COL_NS:
		report_fmt_ns(v->i, buf, len);
		break;
	case REPORT_COL_BYTES:
		report_fmt_bytes(v->i, buf, len);
		break;
	case REPORT_COL_DELTA:
		buf[0] = '+';
		report_fmt_bytes(v->i, v->i >= 0 ? buf + 1 : buf, len - 1);
		break;
	case REPORT_COL_TIME:
		report_fmt_time(v->i, buf, len);
		break;
	case REPORT_COL_PCT:
	case REPORT_COL_PCT2:
	case REPORT_COL_DEC: /* "12.3%", "12.34%", "12.3" */
		snprintf(buf, len, "%.*f%s", c->kind == REPORT_COL_PCT2 ? 2 : 1, v->d,
		         c->kind == REPORT_COL_DEC ? "" : "%");
		break;
	case REPORT_COL_NUM:
		snprintf(buf, len, "%.10g", v->d);
		break;
	case REPORT_COL_BOOL:
		s = v->i ? "yes" : "no";
		break;
	}
	return s;
}

/* The text of one value, padded or clipped to the column's width. */
static void put_cell(const struct report *r, const struct report_col *c,
                     const struct report_cell *v)
{
	char buf[64];
	const char *s = report_cell_text(r, c, v, buf, sizeof buf);
	size_t len = c->flags & REPORT_COL_FIRST_LINE ? strcspn(s, "\n") : strlen(s);
	put(s, len, c->width, is_left(c), (c->flags & REPORT_COL_CLIP) != 0);
}

static json_object *json_cell(const struct report_col *c, const struct report_cell *v)
{
	if (report_col_is_string(c->kind))
		return report_json_str(v->s);
	if (report_col_is_decimal(c->kind))
		return report_json_dbl(v->d);
	if (c->kind == REPORT_COL_BOOL)
		return json_object_new_boolean(v->i != 0);
	return report_json_int(v->i);
}

static void json_cells(json_object *o, const struct report_table_spec *spec,
                       const struct report_cell *cells)
{
	for (size_t k = 0; k < spec->n_cols; k++)
		if (spec->cols[k].key && !cells[k].null)
			report_json_add(o, spec->cols[k].key, json_cell(&spec->cols[k], &cells[k]));
}

/* The text columns in text order: those with a heading, by `pos` when
 * the spec gives one (past REPORT_TABLE_MAX_COLS columns, none). */
static void text_order(struct report_table *t)
{
	const struct report_table_spec *spec = t->spec;
	bool by_pos = false;
	t->n_text = 0;
	for (size_t k = 0; k < spec->n_cols && t->n_text < REPORT_TABLE_MAX_COLS; k++) {
		if (spec->cols[k].head == NULL)
			continue;
		by_pos |= spec->cols[k].pos > 0;
		t->text[t->n_text++] = (unsigned char)k;
	}
	for (size_t a = 1; by_pos && a < t->n_text; a++) {
		unsigned char x = t->text[a];
		size_t b = a;
		for (; b > 0 && spec->cols[t->text[b - 1]].pos > spec->cols[x].pos; b--)
			t->text[b] = t->text[b - 1];
		t->text[b] = x;
	}
}

static const char *before(const struct report_col *c, size_t at)
{
	return c->before ? c->before : at == 0 ? "  " : " ";
}

/* Title, caption and the headings line (when a column has a heading). */
static void start_text(struct report_table *t)
{
	const struct report_table_spec *spec = t->spec;
	t->started = true;
	if (spec->title)
		section(spec->title);
	if (spec->caption)
		printf("%s\n", spec->caption);
	bool any = false;
	for (size_t k = 0; k < t->n_text; k++) {
		const struct report_col *c = &spec->cols[t->text[k]];
		if (c->head[0] == '\0')
			continue;
		fputs(before(c, k), stdout);
		put(c->head, strlen(c->head), c->width, is_left(c), false);
		any = true;
	}
	if (any)
		putchar('\n');
}

static void text_row(const struct report_table *t, const struct report_cell *cells)
{
	const struct report_table_spec *spec = t->spec;
	for (size_t k = 0; k < t->n_text; k++) {
		const struct report_col *c = &spec->cols[t->text[k]];
		const struct report_cell *v = &cells[t->text[k]];
		if ((c->flags & REPORT_COL_SKIP_EMPTY) && !v->null && is_empty(c, v))
			continue;
		if ((c->flags & REPORT_COL_SKIP_NULL) && v->null)
			continue;
		fputs(before(c, k), stdout);
		put_cell(t->r, c, v);
		if (c->after)
			fputs(c->after, stdout);
	}
	if (t->n_text > 0)
		putchar('\n');
}

/* With r->sections: notes that spec's values are in json (an array of rows,
 * a record's object, or for a record without a key the parent itself). The
 * list only grows while a command runs; a failed allocation loses the entry
 * (the page shows less), never the JSON. */
static void note_section(const struct report *r, const struct report_table_spec *spec,
                         json_object *json, json_object *parent, bool record)
{
	struct report_sections *l = r->sections;
	if (l == NULL)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct report_section *v = realloc(l->v, cap * sizeof *v);
		if (v == NULL)
			return;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct report_section){
		.spec = spec, .json = json, .nested = parent != NULL && parent != r->doc,
		.record = record};
}

void report_table_begin(struct report_table *t, const struct report *r,
                        const struct report_table_spec *spec, json_object *parent)
{
	memset(t, 0, sizeof *t);
	t->r = r;
	t->spec = spec;
	if (r->o->json) {
		t->json = report_json_add(parent ? parent : r->doc, spec->key,
		                          json_object_new_array());
		note_section(r, spec, t->json, parent, false);
		return;
	}
	text_order(t);
	if (!spec->lazy)
		start_text(t);
}

json_object *report_table_row(struct report_table *t, const struct report_cell *cells)
{
	t->rows++;
	if (t->r->o->json) {
		json_object *o = json_object_new_object();
		json_cells(o, t->spec, cells);
		json_object_array_add(t->json, o);
		return o;
	}
	if (!t->started)
		start_text(t);
	text_row(t, cells);
	return NULL;
}

void report_table_end(struct report_table *t, size_t more)
{
	if (t->r->o->json)
		return;
	if (t->rows == 0 && t->spec->empty)
		printf("%s\n", t->spec->empty);
	else if (more > 0 && t->spec->more)
		printf("  ... %zu more %s (--limit)\n", more, t->spec->more);
}

json_object *report_record(const struct report *r, const struct report_table_spec *spec,
                           json_object *parent, const struct report_cell *cells)
{
	if (r->o->json) {
		json_object *o = parent ? parent : r->doc;
		if (spec->key)
			o = report_json_add(o, spec->key, json_object_new_object());
		json_cells(o, spec, cells);
		note_section(r, spec, o, parent, true);
		return o;
	}
	struct report_table t;
	memset(&t, 0, sizeof t);
	t.r = r;
	t.spec = spec;
	text_order(&t);
	start_text(&t);
	text_row(&t, cells);
	return NULL;
}

int report_table_query(struct report *r, sqlite3_stmt *s, const struct report_table_spec *spec,
                       json_object *parent)
{
	struct report_cell cells[REPORT_TABLE_MAX_COLS];
	size_t n = spec->n_cols;
	if (n > REPORT_TABLE_MAX_COLS) {
		fprintf(stderr, "bvapm-report: table %s has more than %d columns\n",
		        spec->key ? spec->key : "", REPORT_TABLE_MAX_COLS);
		sqlite3_finalize(s);
		return -1;
	}
	struct report_table t;
	report_table_begin(&t, r, spec, parent);
	int rc;
	while ((rc = report_step(r, s)) == SQLITE_ROW) {
		memset(cells, 0, sizeof cells);
		for (size_t k = 0; k < n; k++) {
			int col = (int)k;
			enum report_col_kind kind = spec->cols[k].kind;
			if (report_col_is_string(kind)) {
				cells[k].s = report_col_text(s, col);
			} else if (report_col_is_decimal(kind)) {
				cells[k].d = sqlite3_column_double(s, col);
				cells[k].null = sqlite3_column_type(s, col) == SQLITE_NULL;
			} else {
				cells[k].i = sqlite3_column_int64(s, col);
			}
		}
		report_table_row(&t, cells);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return -1;
	report_table_end(&t, 0);
	return 0;
}
