/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_flame.c — `bvapm-report flame --endpoint E | --request ID [-o out.svg]`:
 * sums call_paths.exclusive_ns per path over the selected requests (or the
 * one request) and draws the flame graph (flame_svg.c). Stores written
 * before call-path profiling have no call_paths table: the command says so
 * and exits 1 without writing a file; so it does when nothing matches.
 * The SVG is written to a temporary file beside -o and renamed, so a
 * reader never sees half a picture.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flame_svg.h"
#include "report.h"
#include "report_table.h"

/* JSON only: the text output is the SVG, whose subtitle says the same. */
static const struct report_col figures_cols[] = {
	{"requests", NULL, 0, .kind = REPORT_COL_INT},
	{"total_ns", NULL, 0, .kind = REPORT_COL_NS},
	{"frames", NULL, 0, .kind = REPORT_COL_INT},
};

static const struct report_table_spec figures_spec = {REPORT_COLUMNS(figures_cols)};

static int write_out(struct report *r, struct flame *f, const char *title, const char *sub)
{
	if (r->o->output == NULL || strcmp(r->o->output, "-") == 0) {
		if (r->o->json) {
			char *buf = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&buf, &len);
			int bad = m == NULL || report_flame_write_svg(f, m, title, sub) != 0;
			if (m)
				fclose(m);
			if (!bad)
				report_json_add(r->doc, "svg",
				                json_object_new_string_len(buf, (int)len));
			free(buf);
			return bad ? REPORT_ERROR : REPORT_OK;
		}
		return report_flame_write_svg(f, stdout, title, sub) ? REPORT_ERROR : REPORT_OK;
	}
	char *tmp = sqlite3_mprintf("%s.tmp%d", r->o->output, (int)getpid());
	FILE *out = tmp ? fopen(tmp, "w") : NULL;
	if (out == NULL) {
		fprintf(stderr, "bvapm-report: cannot write %s: %s\n", tmp ? tmp : r->o->output,
		        strerror(errno));
		sqlite3_free(tmp);
		return REPORT_ERROR;
	}
	int bad = report_flame_write_svg(f, out, title, sub) != 0;
	bad |= fclose(out) != 0;
	if (bad || rename(tmp, r->o->output) != 0) {
		fprintf(stderr, "bvapm-report: cannot write %s: %s\n", r->o->output, strerror(errno));
		unlink(tmp);
		sqlite3_free(tmp);
		return REPORT_ERROR;
	}
	sqlite3_free(tmp);
	if (r->o->json)
		report_json_add(r->doc, "svg_file", report_json_str(r->o->output));
	else
		fprintf(stderr, "bvapm-report: flame graph written to %s\n", r->o->output);
	return REPORT_OK;
}

int report_cmd_flame(struct report *r)
{
	if (!r->has_call_paths) {
		fprintf(stderr, "bvapm-report: this store has no call paths (table call_paths): it was "
		                "written by a drainer without call-path profiling; `bvapm-report "
		                "functions` shows the flat profile\n");
		return REPORT_ERROR;
	}
	/* --request is part of the selection (filter.c). */
	char *from = report_child_from(r, "call_paths", "cp", false, "");
	if (from == NULL)
		return REPORT_ERROR;
	int64_t requests = report_scalar(r, "SELECT count(DISTINCT cp.request_id) %s", from);
	sqlite3_stmt *s = report_prepare(r, "SELECT cp.path, sum(cp.exclusive_ns) %s GROUP BY cp.path",
	                                 from);
	sqlite3_free(from);
	if (s == NULL)
		return REPORT_ERROR;
	struct flame *f = report_flame_new();
	int rc, bad = f == NULL;
	while (!bad && (rc = report_step(r, s)) == SQLITE_ROW)
		bad = report_flame_add(f, report_col_text(s, 0), sqlite3_column_int64(s, 1));
	sqlite3_finalize(s);
	if (bad || rc != SQLITE_DONE) {
		report_flame_free(f);
		return REPORT_ERROR;
	}
	if (report_flame_total(f) == 0) {
		bool empty = report_scalar(r, "SELECT count(*) FROM (SELECT 1 FROM call_paths LIMIT 1)") == 0;
		if (r->o->request_id)
			fprintf(stderr, "bvapm-report: no call paths for request %lld%s\n",
			        (long long)r->o->request_id, empty ? " (the call_paths table is empty)" : "");
		else
			fprintf(stderr, "bvapm-report: no call paths for the selected requests%s\n",
			        empty ? " (the call_paths table is empty: no request was profiled with call "
			                "paths yet)" : "");
		report_flame_free(f);
		return REPORT_ERROR;
	}

	char title[512], sub[512], t[32];
	if (r->o->request_id) {
		sqlite3_stmt *q = report_prepare(r, "SELECT method, uri FROM requests WHERE id = %lld",
		                                 (long long)r->o->request_id);
		bool row = q && sqlite3_step(q) == SQLITE_ROW;
		snprintf(title, sizeof title, "request %lld%s%s%s%s", (long long)r->o->request_id,
		         row ? " " : "", row ? report_col_text(q, 0) : "", row ? " " : "",
		         row ? report_col_text(q, 1) : "");
		sqlite3_finalize(q);
	} else
		snprintf(title, sizeof title, "%s", r->o->endpoint ? r->o->endpoint : "all endpoints");
	snprintf(sub, sizeof sub, "%lld request(s), %s of exclusive time in %zu frames%s%s",
	         (long long)requests, report_fmt_ns(report_flame_total(f), t, sizeof t),
	         report_flame_frames(f),
	         r->o->pattern ? ", pattern " : "", r->o->pattern ? r->o->pattern : "");
	report_record(r, &figures_spec, NULL, (const struct report_cell[]){
		{.i = requests}, {.i = report_flame_total(f)},
		{.i = (int64_t)report_flame_frames(f)},
	});
	rc = write_out(r, f, title, sub);
	report_flame_free(f);
	return rc;
}
