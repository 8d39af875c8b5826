/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c — bvapm-report entry: options (accepted before or after the
 * command), the command table, opening the store, and the --json document.
 * The commands themselves live in cmd_*.c; exit codes are in report.h.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "time_buckets.h"

static const struct command {
	const char *name;
	int (*run)(struct report *);
	const char *help;
} commands[] = {
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
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const struct command *command_named(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: bvapm-report [options] COMMAND\n\n"
	        "What bvapm collected, read from the drainer's SQLite store.\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f,
	        "\noptions:\n"
	        "  --db PATH         the store (default: [sqlite] path of the drainer's configuration)\n"
	        "  -c, --config FILE read the store path from this drainer configuration\n"
	        "  --since WHEN      requests started since 15m, 2h, 7d, 30s, 1w ago, or an ISO 8601\n"
	        "                    time (2026-11-29T17:00:00Z; UTC unless an offset is given)\n"
	        "  --recent N        only the N latest requests (after the other filters)\n"
	        "  --endpoint E      one endpoint: exact, or a path suffix (session.php)\n"
	        "  --pattern TEXT    requests whose URI, route, checkpoints, statements, functions,\n"
	        "                    call paths, errors, stacks, tags, counters, outbound calls'\n"
	        "                    targets and names or failed calls contain TEXT\n"
	        "                    (case-insensitive)\n"
	        "  --kind KIND       request, job or all (default): requests only, the jobs of\n"
	        "                    long-running workers only (endpoint job:NAME), or both\n"
	        "  --by route|uri    endpoint = route (script) when set, else URI (default); or URI\n"
	        "  --limit N         rows per table (default 10, at most 100000)\n"
	        "  --json            one JSON document on stdout\n"
	        "  --request ID      one request (requests.id), with its fatal error\n"
	        "  --trace ID        trace: the requests of one trace (32 hex digits)\n"
	        "  -o, --output FILE flame: write the SVG there (default stdout)\n"
	        "  --bucket WIDTH    timeline: bucket width, 30s, 5m, 1h, 1d (default: about 60\n"
	        "                    buckets over the selection's time span)\n"
	        "  --sort KEY        requests: wall (default), cpu, peak, sql (the largest first)\n"
	        "                    or time (the newest first)\n"
	        "  -h, --help        this text\n"
	        "\nexit codes: 0 ok, 1 other error, 2 usage, 3 no store or not a bvapm store,\n"
	        "            4 permission denied, 5 store schema newer than this tool\n");
}

static int parse_long(const char *s, long min, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < min)
		return -1;
	*out = v;
	return 0;
}

static int64_t now_unix_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

enum { O_DB = 256, O_SINCE, O_RECENT, O_ENDPOINT, O_PATTERN, O_LIMIT, O_JSON, O_BY, O_REQUEST,
       O_KIND, O_TRACE, O_BUCKET, O_SORT };

/* A W3C trace id: 32 hex digits (lower-cased into out, as the store keeps
 * them), not all zero. Returns 0, or -1. */
static int parse_trace_id(const char *s, char out[33])
{
	bool nonzero = false;
	size_t n = strlen(s);
	if (n != 32)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		out[i] = (char)tolower((unsigned char)s[i]);
		nonzero |= s[i] != '0';
	}
	out[n] = '\0';
	return nonzero ? 0 : -1;
}

static int parse_sort(const char *s, enum report_sort *out)
{
	for (size_t i = 0; i < REPORT_SORT__COUNT; i++)
		if (strcmp(s, report_sort_names[i]) == 0) {
			*out = (enum report_sort)i;
			return 0;
		}
	return -1;
}

static int parse_args(int argc, char **argv, struct report_opts *o, const char **cmd)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, O_DB},
		{"config", required_argument, NULL, 'c'},
		{"since", required_argument, NULL, O_SINCE},
		{"recent", required_argument, NULL, O_RECENT},
		{"endpoint", required_argument, NULL, O_ENDPOINT},
		{"pattern", required_argument, NULL, O_PATTERN},
		{"limit", required_argument, NULL, O_LIMIT},
		{"json", no_argument, NULL, O_JSON},
		{"by", required_argument, NULL, O_BY},
		{"kind", required_argument, NULL, O_KIND},
		{"request", required_argument, NULL, O_REQUEST},
		{"trace", required_argument, NULL, O_TRACE},
		{"bucket", required_argument, NULL, O_BUCKET},
		{"sort", required_argument, NULL, O_SORT},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static char trace_hex[33];
	long v;
	int c;
	o->limit = 10;
	while ((c = getopt_long(argc, argv, "c:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case O_DB: o->db_path = optarg; break;
		case 'c': o->config_path = optarg; break;
		case O_SINCE:
			if (report_parse_since(optarg, now_unix_ns(), &o->since_unix_ns)) {
				fprintf(stderr, "bvapm-report: --since %s: expected 15m, 2h, 7d or an ISO 8601 "
				                "time such as 2026-11-29T17:00:00Z\n", optarg);
				return REPORT_USAGE;
			}
			break;
		case O_RECENT:
			if (parse_long(optarg, 1, &o->recent)) {
				fprintf(stderr, "bvapm-report: --recent %s: expected a positive number\n", optarg);
				return REPORT_USAGE;
			}
			break;
		case O_ENDPOINT: o->endpoint = optarg; break;
		case O_PATTERN: o->pattern = optarg; break;
		case O_LIMIT:
			if (parse_long(optarg, 1, &o->limit) || o->limit > 100000) {
				fprintf(stderr, "bvapm-report: --limit %s: expected 1 to 100000\n", optarg);
				return REPORT_USAGE;
			}
			break;
		case O_JSON: o->json = true; break;
		case O_BY:
			if (strcmp(optarg, "uri") == 0)
				o->by_uri = true;
			else if (strcmp(optarg, "route") == 0)
				o->by_uri = false;
			else {
				fprintf(stderr, "bvapm-report: --by %s: expected route or uri\n", optarg);
				return REPORT_USAGE;
			}
			break;
		case O_KIND:
			if (strcmp(optarg, "all") == 0)
				o->kind = REPORT_KIND_ALL;
			else if (strcmp(optarg, "request") == 0)
				o->kind = REPORT_KIND_REQUEST;
			else if (strcmp(optarg, "job") == 0)
				o->kind = REPORT_KIND_JOB;
			else {
				fprintf(stderr, "bvapm-report: --kind %s: expected request, job or all\n", optarg);
				return REPORT_USAGE;
			}
			break;
		case O_REQUEST:
			if (parse_long(optarg, 1, &v)) {
				fprintf(stderr, "bvapm-report: --request %s: expected a request id\n", optarg);
				return REPORT_USAGE;
			}
			o->request_id = v;
			break;
		case O_TRACE:
			if (parse_trace_id(optarg, trace_hex)) {
				fprintf(stderr, "bvapm-report: --trace %s: expected a trace id, 32 hex digits\n",
				        optarg);
				return REPORT_USAGE;
			}
			o->trace_id = trace_hex;
			break;
		case 'o': o->output = optarg; break;
		case O_BUCKET:
			if (report_bucket_parse(optarg, &o->bucket_ns)) {
				fprintf(stderr, "bvapm-report: --bucket %s: expected a width such as 30s, 5m, "
				                "1h or 1d\n", optarg);
				return REPORT_USAGE;
			}
			break;
		case O_SORT:
			o->sort_given = true;
			if (parse_sort(optarg, &o->sort)) {
				fprintf(stderr, "bvapm-report: --sort %s: expected wall, cpu, peak, time or sql\n",
				        optarg);
				return REPORT_USAGE;
			}
			break;
		case 'h': usage(stdout); exit(REPORT_OK);
		default: usage(stderr); return REPORT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, optind >= argc ? "bvapm-report: no command given\n"
		                               : "bvapm-report: one command at a time\n");
		usage(stderr);
		return REPORT_USAGE;
	}
	*cmd = argv[optind];
	return REPORT_OK;
}

static void print_json_error(int code)
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
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
	                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
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

int main(int argc, char **argv)
{
	struct report_opts o;
	memset(&o, 0, sizeof o);
	const char *cmd_name = NULL;
	int rc = parse_args(argc, argv, &o, &cmd_name);
	if (rc)
		return rc;
	const struct command *cmd = command_named(cmd_name);
	if (cmd == NULL) {
		fprintf(stderr, "bvapm-report: unknown command %s\n", cmd_name);
		usage(stderr);
		return REPORT_USAGE;
	}
	/* the options of one command only */
	const struct {
		bool given;
		const char *option;
		const struct command *owner;
	} own[] = {
		{o.output != NULL, "-o", command_named("flame")},
		{o.bucket_ns != 0, "--bucket", command_named("timeline")},
		{o.sort_given, "--sort", command_named("requests")},
		{o.trace_id != NULL, "--trace", command_named("trace")},
	};
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
		if (own[i].given && cmd != own[i].owner) {
			fprintf(stderr, "bvapm-report: %s belongs to %s\n", own[i].option, own[i].owner->name);
			return REPORT_USAGE;
		}
	if (cmd->run == report_cmd_trace && !o.request_id && !o.trace_id) {
		fprintf(stderr, "bvapm-report: trace needs --request ID or --trace TRACE_ID\n");
		return REPORT_USAGE;
	}

	char err[512] = "";
	char *default_path = NULL;
	if (o.db_path == NULL) {
		default_path = report_default_db_path(o.config_path, err, sizeof err);
		if (default_path == NULL) {
			fprintf(stderr, "bvapm-report: %s\n", err);
			return REPORT_USAGE;
		}
		o.db_path = default_path;
	}

	struct report r;
	memset(&r, 0, sizeof r);
	rc = report_store_open(&r, &o);
	if (rc == REPORT_OK && report_filter_build(&r) != 0) {
		fprintf(stderr, "bvapm-report: out of memory\n");
		rc = REPORT_ERROR;
	}
	if (rc == REPORT_OK && report_selection_build(&r) != 0)
		rc = REPORT_ERROR;
	if (rc == REPORT_OK) {
		if (o.json)
			r.doc = json_head(&r, cmd->name);
		if (!o.json && cmd->run != report_cmd_flame && cmd->run != report_cmd_functions &&
		    cmd->run != report_cmd_trace)
			report_endpoint_prefix(&r);
		rc = cmd->run(&r);
		if (o.json && rc == REPORT_OK)
			printf("%s\n", json_object_to_json_string_ext(
			                   r.doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	if (o.json && rc != REPORT_OK)
		print_json_error(rc);
	if (r.doc)
		json_object_put(r.doc);
	report_filter_free(&r);
	report_store_close(&r);
	free(default_path);
	if (fflush(stdout) != 0 && rc == REPORT_OK)
		rc = REPORT_ERROR;
	return rc;
}
