/*
 * main.c — bvapm-shm entry: global options, then one command from a table.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shm.h"

static const struct command {
	const char *name;
	int (*run)(const struct shm_opts *, int, char **);
	const char *help;
} commands[] = {
	{"stat", shm_cmd_stat, "header, fill, positions, losses by reason, drainer liveness, slots"},
	{"check", shm_cmd_check, "integrity walk of header, records and slots (exit 1 on problems)"},
	{"disable", shm_cmd_disable, "host-wide kill switch on: agents record nothing"},
	{"enable", shm_cmd_enable, "kill switch off"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: bvapm-shm [--ring NAME] [--json] COMMAND\n\n"
	           "Inspect a live bvapm ring (/dev/shm/bvapm-NAME, default NAME \"default\").\n\n"
	           "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nexit codes: 0 ok, 1 problems found, 2 usage, 3 no ring, 4 permission denied,\n"
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
	if (o->json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "error", json_object_new_string(err.msg));
		json_object_object_add(j, "errno", json_object_new_int(-rc));
		json_object_object_add(j, "exit_code", json_object_new_int(code));
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
		json_object_put(j);
	}
	fprintf(stderr, "bvapm-shm: %s\n", err.msg);
	return code;
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
		return SHM_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			return commands[i].run(&o, argc - optind, argv + optind);
	fprintf(stderr, "bvapm-shm: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return SHM_USAGE;
}
