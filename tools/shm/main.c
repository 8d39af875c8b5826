/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c — bvapm-shm entry: global options, then one command from a table;
 * the helpers every command shares (option parsing, errors, JSON printing,
 * signals and sleeping).
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shm.h"
#include "support/bvapm_clock.h"

static const struct command {
	const char *name;
	int (*run)(const struct shm_opts *, int, char **);
	const char *args;
	const char *help;
} commands[] = {
	{"stat", shm_cmd_stat, "[--watch [-i SECONDS] [--count N]]",
	 "header, fill, losses by reason, drainer liveness, control; --watch: rates per second"},
	{"peek", shm_cmd_peek, "[-n N] [--kind KIND] [--wait SECONDS] [--follow]",
	 "decode the newest records as JSON without consuming them"},
	{"top", shm_cmd_top, "[-d SECONDS] [--once] [--count N]",
	 "every worker's in-flight request (running time, checkpoint, SQL), refreshing"},
	{"check", shm_cmd_check, "", "integrity walk of header, records and slots (exit 1 on problems)"},
	{"disable", shm_cmd_disable, "", "host-wide kill switch on: agents record nothing"},
	{"enable", shm_cmd_enable, "[--mode light|aggressive|targeted|none]",
	 "kill switch off; --mode sets (none: clears) the agents' mode override"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: bvapm-shm [--ring NAME] [--json] COMMAND [OPTIONS]\n\n"
	           "Inspect a live bvapm ring (/dev/shm/bvapm-NAME, default NAME \"default\";\n"
	           "$BVAPM_RING names it too, $BVAPM_SHM_DIR replaces /dev/shm).\n\n"
	           "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n  %-8s   %s\n", commands[i].name, commands[i].args, "",
		        commands[i].help);
	fprintf(f, "\n--json (before or after the command) prints JSON on stdout, errors included.\n"
	           "kinds for peek: request, fatal, aborted, stats.\n"
	           "\nexit codes: 0 ok, 1 problems found, 2 usage, 3 no ring, 4 permission denied,\n"
	           "            5 incompatible or corrupt ring, 6 other error\n");
}

const char *shm_bytes(unsigned long long n, char *buf, unsigned len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", n);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

void shm_print_json(json_object *j)
{
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

static void print_error(const struct shm_opts *o, int code, int err_no, const char *msg)
{
	if (o->json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "error", json_object_new_string(msg));
		if (err_no != 0)
			json_object_object_add(j, "errno", json_object_new_int(err_no));
		json_object_object_add(j, "exit_code", json_object_new_int(code));
		shm_print_json(j);
	}
	fprintf(stderr, "bvapm-shm: %s\n", msg);
}

int shm_fail(const struct shm_opts *o, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fflush(stdout);
	print_error(o, code, 0, msg);
	return code;
}

int shm_open_ring(const struct shm_opts *o, enum bvapm_ring_role role, bvapm_ring **out)
{
	struct bvapm_ring_error err = {0};
	int rc = bvapm_ring_open(o->ring_name, role, out, &err);
	int code;

	if (rc == 0)
		return SHM_OK;
	switch (rc) {
	case -ENOENT: code = SHM_NO_RING; break;
	case -EACCES:
	case -EPERM: code = SHM_PERMISSION; break;
	case -EPROTO:
	case -EBADMSG:
	case -EAGAIN: code = SHM_INCOMPATIBLE; break;
	case -EINVAL: code = SHM_USAGE; break;
	default: code = SHM_SYSTEM; break;
	}
	print_error(o, code, -rc, err.msg);
	return code;
}

int shm_parse_common(struct shm_opts *o, int argc, char **argv, const char *shortopts,
                     const struct option *longopts, shm_option_fn *handle, void *ctx,
                     const char *no_args)
{
	struct option all[16];
	char shorts[64];
	size_t n = 0;
	int c;

	for (; longopts != NULL && longopts[n].name != NULL && n < 13; n++)
		all[n] = longopts[n];
	all[n++] = (struct option){"json", no_argument, NULL, 'j'};
	all[n++] = (struct option){"help", no_argument, NULL, 'h'};
	all[n] = (struct option){NULL, 0, NULL, 0};
	snprintf(shorts, sizeof(shorts), "+%sjh", shortopts != NULL ? shortopts : "");

	/* --json first, so an error about an earlier option is JSON too */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			o->json = true;
	optind = 0; /* glibc: start over, argv[0] is the command name */
	while ((c = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
		if (c == 'j') {
			o->json = true;
			continue;
		}
		if (c == 'h') {
			usage(stdout);
			exit(SHM_OK);
		}
		int rc = c != '?' && handle != NULL ? handle(o, c, optarg, ctx) : -1;
		if (rc == -1)
			return shm_fail(o, SHM_USAGE, "invalid option for '%s' (see bvapm-shm --help)",
			                argv[0]);
		if (rc != SHM_OK)
			return rc;
	}
	if (optind < argc)
		return shm_fail(o, SHM_USAGE, "%s", no_args);
	return SHM_OK;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;

	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v <= 0 || v > 86400)
		return -1;
	*out = v;
	return 0;
}

int shm_parse_count(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

int shm_option_seconds(const struct shm_opts *o, const char *name, const char *arg, double *out)
{
	if (parse_seconds(arg, out) != 0)
		return shm_fail(o, SHM_USAGE, "%s wants seconds (> 0), not '%s'", name, arg);
	return SHM_OK;
}

int shm_option_count(const struct shm_opts *o, const char *name, const char *arg,
                     unsigned long *out)
{
	if (shm_parse_count(arg, out) != 0)
		return shm_fail(o, SHM_USAGE, "%s wants a number >= 1, not '%s'", name, arg);
	return SHM_OK;
}

static volatile sig_atomic_t stop_flag;

static void on_stop_signal(int sig) { stop_flag = 1; }

void shm_catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a sleeping command wakes up at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

bool shm_stop_requested(void) { return stop_flag != 0; }

uint64_t shm_now_ns(int clock) { return bvapm_clock_ns((clockid_t)clock); }

void shm_sleep_until(uint64_t deadline_ns)
{
	struct timespec ts = {(time_t)(deadline_ns / 1000000000u), (long)(deadline_ns % 1000000000u)};

	/* EINTR from a stop signal ends the sleep; any other wake-up
	 * (another signal) sleeps again. */
	while (!stop_flag && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	struct shm_opts o = {.ring_name = getenv("BVAPM_RING")};
	static const struct option long_opts[] = {
		{"ring", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	if (o.ring_name == NULL || o.ring_name[0] == '\0')
		o.ring_name = BVAPM_RING_DEFAULT_NAME;
	/* "+": stop at the command; its own options follow it */
	while ((c = getopt_long(argc, argv, "+r:jh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'r': o.ring_name = optarg; break;
		case 'j': o.json = true; break;
		case 'h': usage(stdout); return SHM_OK;
		default: usage(stderr); return SHM_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return shm_fail(&o, SHM_USAGE, "no command given");
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			return commands[i].run(&o, argc - optind, argv + optind);
	usage(stderr);
	return shm_fail(&o, SHM_USAGE, "unknown command '%s'", argv[optind]);
}
