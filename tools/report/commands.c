/* SPDX-License-Identifier: Apache-2.0 */
/*
 * commands.c — the command table and report_run: open the store, build the
 * filter and the selection, start the --json document with the common
 * fields, run the command. Used by main.c for one command and by serve for
 * every page (each page runs its commands on a connection of its own, so a
 * store being written stays readable: WAL readers see a consistent
 * snapshot).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

const struct report_command report_commands[] = {
	{"summary", report_cmd_summary,
	 "requests, error rate, latency p50/p95/p99 and memory per endpoint, insights, loss"},
	{"memory", report_cmd_memory,
	 "largest checkpoint jumps by endpoint and checkpoint pair, peak distribution, memory "
	 "after each job per worker"},
	{"sql", report_cmd_sql,
	 "top normalized statements by time and count, N+1 suspects, counters"},
	{"functions", report_cmd_functions, "top functions by exclusive time across profiles"},
	{"flame", report_cmd_flame, "SVG flame graph of an endpoint or a request (-o FILE)"},
	{"errors", report_cmd_errors,
	 "fatal errors and out-of-memory events, errors, aborted requests"},
	{"trace", report_cmd_trace,
	 "one request's timeline: its timed calls and checkpoints (--request ID, --trace ID)"},
	{"external", report_cmd_external,
	 "outbound HTTP calls and cache commands: slowest targets, calls per endpoint, loops"},
	{"timeline", report_cmd_timeline,
	 "requests, errors, fatal errors, latency and memory per time bucket (--bucket), and "
	 "each endpoint's requests and p95 over time"},
	{"requests", report_cmd_requests,
	 "the requests one by one, slowest first (--sort), and histograms of wall time and "
	 "peak memory"},
	{NULL, NULL, NULL},
};


const struct report_command *report_command_find(const char *name)
{
	for (const struct report_command *c = report_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

json_object *report_json_error(int code)
{
	static const char *const what[] = {
		[REPORT_ERROR] = "error (details on stderr)",
		[REPORT_USAGE] = "usage",
		[REPORT_NO_STORE] = "no store, or not a bvapm store",
		[REPORT_PERMISSION] = "permission denied",
		[REPORT_TOO_NEW] = "store schema newer than this tool",
	};
	json_object *j = json_object_new_object();
	const char *msg = code > 0 && code <= REPORT_TOO_NEW ? what[code] : "error";
	report_json_add(j, "error", report_json_str(msg));
	report_json_add(j, "exit_code", report_json_int(code));
	return j;
}

/* The --json document's common fields: command, store, schema, filters. */
static json_object *json_head(const struct report *r, const char *command)
{
	const struct report_opts *o = r->o;
	json_object *doc = json_object_new_object();
	report_json_add(doc, "command", report_json_str(command));
	report_json_add(doc, "store", report_json_str(o->db_path));
	report_json_add(doc, "schema_version", report_json_int(r->schema_version));
	json_object *f = report_json_add(doc, "filters", json_object_new_object());
	if (o->since_unix_ns)
		report_json_add(f, "since_unix_ns", report_json_int(o->since_unix_ns));
	if (o->until_unix_ns)
		report_json_add(f, "until_unix_ns", report_json_int(o->until_unix_ns));
	if (o->recent)
		report_json_add(f, "recent", report_json_int(o->recent));
	if (o->endpoint)
		report_json_add(f, "endpoint", report_json_str(o->endpoint));
	if (o->pattern)
		report_json_add(f, "pattern", report_json_str(o->pattern));
	if (o->request_id)
		report_json_add(f, "request_id", report_json_int(o->request_id));
	if (o->trace_id)
		report_json_add(f, "trace_id", report_json_str(o->trace_id));
	report_json_add(f, "endpoint_by", report_json_str(o->by_uri ? "uri" : "route"));
	static const char *const kinds[] = {[REPORT_KIND_ALL] = "all",
	                                    [REPORT_KIND_REQUEST] = "request",
	                                    [REPORT_KIND_JOB] = "job"};
	report_json_add(f, "kind", report_json_str(kinds[o->kind]));
	return doc;
}

int report_run(struct report *r, const struct report_opts *o, const struct report_command *cmd)
{
	int rc = report_store_open(r, o);
	if (rc == REPORT_OK && report_filter_build(r) != 0) {
		fprintf(stderr, "bvapm-report: out of memory\n");
		rc = REPORT_ERROR;
	}
	if (rc == REPORT_OK && report_selection_build(r) != 0)
		rc = REPORT_ERROR;
	if (rc != REPORT_OK)
		return rc;
	if (o->json)
		r->doc = json_head(r, cmd->name);
	if (!o->json && cmd->run != report_cmd_flame && cmd->run != report_cmd_functions &&
	    cmd->run != report_cmd_trace)
		report_endpoint_prefix(r);
	return cmd->run(r);
}

int report_run_next(struct report *r, const struct report_command *cmd)
{
	if (r->doc)
		json_object_put(r->doc);
	r->doc = r->o->json ? json_head(r, cmd->name) : NULL;
	if (r->sections)
		r->sections->n = 0;
	return cmd->run(r);
}

void report_done(struct report *r)
{
	if (r->doc)
		json_object_put(r->doc);
	r->doc = NULL;
	report_filter_free(r);
	report_store_close(r);
}
