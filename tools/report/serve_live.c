/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve_live.c — the live page (serve_live.h). The ring is mapped read-only
 * for the one read and closed again: the page holds nothing of the ring
 * between refreshes, so a ring that is recreated (a drainer restart) is
 * simply found again. Everything shown comes from top_view.c's JSON, whose
 * strings are already escaped to printable ASCII, and is HTML-escaped on
 * top. Without a script the page reloads itself every 2 s (a <meta refresh>
 * in a <noscript>); with one, bvapm.js replaces the table in place.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "ring/ring.h"
#include "serve_live.h"
#include "svg_chart.h"
#include "tools/shm/top_view.h"

static const char *str(json_object *o, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static double dbl(json_object *o, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_double(v) : -1;
}

static void cell(FILE *out, const char *cls, const char *s)
{
	fprintf(out, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	html_text(out, s ? s : "");
	fputs("</td>", out);
}

static void row(FILE *out, json_object *slot)
{
	char buf[64];
	const char *state = str(slot, "state");
	double running = dbl(slot, "running_ms");
	fputs("<tr>", out);
	cell(out, "n", str(slot, "pid"));
	cell(out, NULL, state);
	if (running >= 0)
		fprintf(out, "<td class=\"n\" data-v=\"%.3f\">%s</td>", running,
		        report_fmt_ns((int64_t)(running * 1e6), buf, sizeof buf));
	else
		cell(out, "n", "-");
	cell(out, NULL, str(slot, "method"));
	cell(out, "mono", str(slot, "uri"));
	json_object *cp = NULL, *sql = NULL;
	json_object_object_get_ex(slot, "checkpoint", &cp);
	json_object_object_get_ex(slot, "sql", &sql);
	cell(out, NULL, cp ? str(cp, "label") : NULL);
	double mem = cp ? dbl(cp, "memory_bytes") : -1;
	cell(out, "n", mem >= 0 ? report_fmt_bytes((int64_t)mem, buf, sizeof buf) : "");
	cell(out, "mono", sql ? str(sql, "statement") : NULL);
	cell(out, "n", str(slot, "requests"));
	const char *invalid = str(slot, "invalid");
	json_object *torn = NULL;
	json_object_object_get_ex(slot, "torn", &torn);
	cell(out, NULL, invalid ? invalid : torn && json_object_get_boolean(torn) ? "torn" : "");
	fputs("</tr>\n", out);
}

void serve_live_html(FILE *out, const char *ring_name)
{
	const char *name = ring_name ? ring_name : getenv("BVAPM_RING");
	if (name == NULL || name[0] == '\0')
		name = BVAPM_RING_DEFAULT_NAME;
	fputs("<p class=\"live-state\" id=\"live-state\">refreshed every 2 s</p>\n<div id=\"live\">\n",
	      out);
	bvapm_ring *ring = NULL;
	struct bvapm_ring_error err = {0};
	int rc = bvapm_ring_open(name, BVAPM_RING_READONLY, &ring, &err);
	if (rc != 0) {
		char msg[400];
		snprintf(msg, sizeof msg, "cannot read the ring %s: %s%s", name,
		         err.msg[0] ? err.msg : strerror(-rc),
		         rc == -ENOENT ? " (is the drainer running? --ring names another ring)" : "");
		fputs("<div class=\"error\"><p>", out);
		html_text(out, msg);
		fputs("</p></div>\n</div>\n", out);
		return;
	}
	struct bvapm_ring_stats st;
	bvapm_ring_stats(ring, &st);
	size_t max = st.slot_count > 0 ? st.slot_count : 1;
	struct bvapm_ring_slot_view *views = calloc(max, sizeof *views);
	struct shm_top_row *rows = calloc(max, sizeof *rows);
	if (views == NULL || rows == NULL) {
		fputs("<div class=\"error\"><p>out of memory</p></div>\n</div>\n", out);
		free(views);
		free(rows);
		bvapm_ring_close(ring);
		return;
	}
	uint64_t now;
	int n = shm_top_read(ring, views, rows, max, &now);
	json_object *doc = shm_top_json(st.path, rows, n, now);
	char buf[64];
	fprintf(out, "<dl class=\"record\"><div><dt>ring</dt><dd class=\"mono\">");
	html_text(out, st.path);
	fprintf(out, "</dd></div><div><dt>workers</dt><dd>%d</dd></div>"
	             "<div><dt>in a request</dt><dd>%d</dd></div><div><dt>dead</dt><dd>%d</dd></div>"
	             "<div><dt>invalid slots</dt><dd>%d</dd></div>"
	             "<div><dt>ring used</dt><dd>%s</dd></div>"
	             "<div><dt>records lost</dt><dd>%llu</dd></div>"
	             "<div><dt>drainer</dt><dd>%s</dd></div></dl>\n",
	        (int)json_object_get_int(json_object_object_get(doc, "workers")),
	        (int)json_object_get_int(json_object_object_get(doc, "in_request")),
	        (int)json_object_get_int(json_object_object_get(doc, "dead")),
	        (int)json_object_get_int(json_object_object_get(doc, "invalid")),
	        report_fmt_bytes((int64_t)st.used_bytes, buf, sizeof buf),
	        (unsigned long long)st.lost_total, st.consumer_alive ? "alive" : "not running");
	json_object *slots = json_object_object_get(doc, "slots");
	size_t k = slots ? json_object_array_length(slots) : 0;
	if (k == 0) {
		fputs("<p class=\"empty\">no worker has attached to this ring yet</p>\n", out);
	} else {
		fputs("<div class=\"scroll\"><table class=\"data sortable\" data-table=\"slots\"><thead><tr>"
		      "<th>pid</th><th>state</th><th class=\"n\">running</th><th>method</th><th>uri</th>"
		      "<th>checkpoint</th><th class=\"n\">memory</th><th>SQL running</th>"
		      "<th class=\"n\">requests</th><th>note</th></tr></thead>\n<tbody>\n", out);
		for (size_t i = 0; i < k; i++)
			row(out, json_object_array_get_idx(slots, i));
		fputs("</tbody></table></div>\n", out);
	}
	fputs("</div>\n", out);
	json_object_put(doc);
	free(views);
	free(rows);
	bvapm_ring_close(ring);
}
