/* SPDX-License-Identifier: Apache-2.0 */
/*
 * args.c — bvapm-report's command line: the usage text, the options
 * (accepted before or after the command) with their validation, and which
 * options belong to which command. serve builds an argument vector from a
 * page's query parameters and parses it here too, so a bad value gets the
 * same message on a page as on the command line.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "time_buckets.h"

void report_usage(FILE *f)
{
	fprintf(f,
	        "usage: bvapm-report [options] COMMAND\n\n"
	        "What bvapm collected, read from the drainer's SQLite store.\n\ncommands:\n");
	for (const struct report_command *c = report_commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->help);
	fprintf(f, "  %-10s %s\n", "serve",
	        "the same reports as web pages, and the live ring, on http://127.0.0.1:8047/");
	fprintf(f,
	        "\noptions:\n"
	        "  --db PATH         the store (default: [sqlite] path of the drainer's configuration)\n"
	        "  -c, --config FILE read the store path from this drainer configuration\n"
	        "  --since WHEN      requests started since 15m, 2h, 7d, 30s, 1w ago, or an ISO 8601\n"
	        "                    time (2026-11-29T17:00:00Z; UTC unless an offset is given),\n"
	        "                    or @SECONDS since the epoch\n"
	        "  --until WHEN      requests started before WHEN (same forms as --since)\n"
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
	        "  --listen ADDR     serve: address and port (default 127.0.0.1:8047; port 0: any)\n"
	        "  --allow-remote    serve: allow an address other than loopback (no authentication:\n"
	        "                    anyone who can reach it reads the store)\n"
	        "  --ring NAME       serve: the ring of the live page (default: bvapm-shm's)\n"
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

enum { O_DB = 256, O_SINCE, O_UNTIL, O_RECENT, O_ENDPOINT, O_PATTERN, O_LIMIT, O_JSON, O_BY, O_REQUEST,
       O_KIND, O_TRACE, O_BUCKET, O_SORT, O_LISTEN, O_ALLOW_REMOTE, O_RING };

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

int report_parse_args(int argc, char **argv, struct report_opts *o, const char **cmd)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, O_DB},
		{"config", required_argument, NULL, 'c'},
		{"since", required_argument, NULL, O_SINCE},
		{"until", required_argument, NULL, O_UNTIL},
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
		{"listen", required_argument, NULL, O_LISTEN},
		{"allow-remote", no_argument, NULL, O_ALLOW_REMOTE},
		{"ring", required_argument, NULL, O_RING},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static char trace_hex[33];
	long v;
	int c;
	o->limit = 10;
	optind = 0; /* glibc: a full restart (serve parses once per page) */
	opterr = 1;
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
		case O_UNTIL:
			if (report_parse_since(optarg, now_unix_ns(), &o->until_unix_ns)) {
				fprintf(stderr, "bvapm-report: --until %s: expected 15m, 2h, 7d or an ISO 8601 "
				                "time such as 2026-11-29T18:00:00Z\n", optarg);
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
		case O_LISTEN: o->listen = optarg; break;
		case O_ALLOW_REMOTE: o->allow_remote = true; break;
		case O_RING: o->ring_name = optarg; break;
		case 'h': report_usage(stdout); return REPORT_HELP;
		default: report_usage(stderr); return REPORT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, optind >= argc ? "bvapm-report: no command given\n"
		                               : "bvapm-report: one command at a time\n");
		report_usage(stderr);
		return REPORT_USAGE;
	}
	*cmd = argv[optind];
	return REPORT_OK;
}

int report_check_opts(const struct report_opts *o, const struct report_command *cmd)
{
	bool serve = cmd == NULL; /* serve: its pages check each command's own */
	/* the options of one command only */
	const struct {
		bool given;
		const char *option;
		const struct report_command *owner;
	} own[] = {
		{o->output != NULL, "-o", report_command_find("flame")},
		{o->bucket_ns != 0, "--bucket", report_command_find("timeline")},
		{o->sort_given, "--sort", report_command_find("requests")},
		{o->trace_id != NULL, "--trace", report_command_find("trace")},
	};
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
		if (own[i].given && cmd != own[i].owner) {
			fprintf(stderr, "bvapm-report: %s belongs to %s\n", own[i].option, own[i].owner->name);
			return REPORT_USAGE;
		}
	if (!serve && cmd->run == report_cmd_trace && !o->request_id && !o->trace_id) {
		fprintf(stderr, "bvapm-report: trace needs --request ID or --trace TRACE_ID\n");
		return REPORT_USAGE;
	}
	if (!serve && (o->listen || o->allow_remote || o->ring_name)) {
		fprintf(stderr, "bvapm-report: --listen, --allow-remote and --ring belong to serve\n");
		return REPORT_USAGE;
	}
	return REPORT_OK;
}
