/* SPDX-License-Identifier: Apache-2.0 */
/*
 * html.h — the web pages' HTML: escaping, the frame every page shares
 * (navigation, the filter form), and the report's tables rendered from the
 * JSON a command made, column by column as its table spec declares them
 * (report_table.h), so a page shows the same headings, units and rows as
 * the text command.
 *
 * Everything from the store or the request is escaped on the way out:
 * text with html_text, attribute values with html_attr, query values with
 * html_query_value. Nothing is ever written raw but this file's own markup
 * and the SVG that svg_chart.c and flame_svg.c escape themselves.
 */
#ifndef BVAPM_HTML_H
#define BVAPM_HTML_H

#include <stdbool.h>
#include <stdio.h>

#include "report.h"
#include "report_table.h"
#include "serve_http.h"

/* The page being built: its body goes to out (a memory stream). */
struct page {
	FILE *out;
	const char *path;        /* the page's path, for links to itself */
	const char *filters_qs;  /* the filters to carry into links: "since=1h&kind=job" or "" */
	const char *sort_table;  /* the table whose headings sort by link (serve_pages.c) */
	const char *sort_key;    /* its current sort column, NULL: the command's order */
	bool sort_asc;
	const char *self_qs;     /* this page's own parameters except sort and dir */
	const char *extra_table; /* a table that gets one more column (a sparkline) … */
	const char *extra_head;  /* … with this heading … */
	void (*extra_cell)(struct page *p, json_object *row); /* … drawn by this */
	void *extra_ctx;
	bool refresh;            /* without a script, reload every 2 s (the live page) */
};

void html_text(FILE *out, const char *s);         /* & < > " ' escaped */
void html_text_n(FILE *out, const char *s, size_t n);
void html_query_value(FILE *out, const char *s);  /* percent-encoded for a query value */

/* <!doctype html> … <main>: title, navigation (current marks the page),
 * the filter form with the page's current values. */
void html_begin(struct page *p, const char *title, const char *current,
                const struct http_request *req);
void html_end(struct page *p);
/* A box with a message: class "error" (a bad parameter, no store) or "note". */
void html_message(struct page *p, const char *cls, const char *text);

/* An <a> to the endpoint page of ep (filters carried), or to a request. */
void html_link_endpoint(struct page *p, const struct report *r, const char *ep);
void html_link_request(struct page *p, long long id);

/* Renders a command's tables in the order the text shows them, skipping
 * the top-level JSON keys in skip (NULL-terminated; NULL: none) and the
 * tables nested in rows (shown under their row). */
void html_sections(struct page *p, const struct report *r, const struct report_sections *secs,
                   const char *const *skip);
/* One table or record by its JSON key; false when the command made none. */
bool html_section_by_key(struct page *p, const struct report *r,
                         const struct report_sections *secs, const char *key);

#endif
