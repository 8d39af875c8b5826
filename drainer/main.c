/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c — bvapm-drainer's command line. The logic is in the static library
 * bvapm_drainer_core (daemon.c and friends), which the tests link too.
 */
#include "config.h"
#include "daemon.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BVAPM_DEFAULT_CONFIG
#define BVAPM_DEFAULT_CONFIG "/etc/bvapm/bvapm-drainer.ini"
#endif

static char **sets, **owned; /* --set values; copies made for --ring/--log-level */
static int nsets;

static void free_args(void)
{
	for (int i = 0; i < nsets; i++)
		free(owned[i]);
	free(owned);
	free(sets);
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: bvapm-drainer [-c FILE] [--set section.key=value]... [--check-config]\n"
	        "  -c, --config FILE   configuration (default " BVAPM_DEFAULT_CONFIG
	        "; missing default file = built-in defaults)\n"
	        "  -s, --set S.K=V     override one key, e.g. --set sqlite.path=/tmp/s.db\n"
	        "      --ring NAME     same as --set ring.name=NAME\n"
	        "      --log-level L   same as --set drainer.log_level=L\n"
	        "      --check-config  validate the configuration, explain every error, exit\n"
	        "  -h, --help\n"
	        "Exit: 0 ok, 1 configuration or start-up error, 2 another drainer is running.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "set", required_argument, NULL, 's' },
		{ "ring", required_argument, NULL, 'r' }, { "log-level", required_argument, NULL, 'l' },
		{ "check-config", no_argument, NULL, 'k' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	bool check = false;
	sets = calloc((size_t)argc + 1, sizeof *sets);
	owned = calloc((size_t)argc + 1, sizeof *owned);
	if (!sets || !owned)
		return 1;
	atexit(free_args);
	int c;
	while ((c = getopt_long(argc, argv, "c:s:h", opts, NULL)) != -1) {
		char buf[600];
		switch (c) {
		case 'c': path = optarg; break;
		case 's': sets[nsets++] = optarg; break;
		case 'r':
		case 'l':
			snprintf(buf, sizeof buf, "%s=%s", c == 'r' ? "ring.name" : "drainer.log_level", optarg);
			owned[nsets] = strdup(buf);
			sets[nsets] = owned[nsets];
			nsets++;
			break;
		case 'k': check = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 1;
	}
	struct bvapm_drainer_config cfg;
	static struct bvapm_config_errors errs;
	bvapm_config_defaults(&cfg);
	const char *file = path ? path : BVAPM_DEFAULT_CONFIG;
	int lrc = bvapm_config_load(&cfg, file, &errs);
	if (lrc == -ENOENT && !path) {
		errs.count = 0; /* no default file: built-in defaults */
		file = NULL;
	}
	for (int i = 0; i < nsets; i++) {
		char key[128];
		const char *eq = strchr(sets[i], '=');
		if (!eq || (size_t)(eq - sets[i]) >= sizeof key) {
			snprintf(errs.msg[errs.count < BVAPM_CFG_MAX_ERRORS ? errs.count++ : 0],
			         sizeof errs.msg[0], "--set %s: expected section.key=value", sets[i]);
			continue;
		}
		memcpy(key, sets[i], (size_t)(eq - sets[i]));
		key[eq - sets[i]] = 0;
		bvapm_config_set(&cfg, key, eq + 1, &errs);
	}
	bvapm_config_validate(&cfg, &errs);
	if (errs.count) {
		for (unsigned i = 0; i < errs.count; i++)
			fprintf(stderr, "bvapm-drainer: config error: %s\n", errs.msg[i]);
		fprintf(stderr, "bvapm-drainer: %u configuration error%s\n", errs.count,
		        errs.count > 1 ? "s" : "");
		return 1;
	}
	if (check) {
		printf("configuration ok%s%s\n", file ? ": " : " (built-in defaults)", file ? file : "");
		return 0;
	}
	return bvapm_drainer_run(&cfg, file, sets, nsets);
}
