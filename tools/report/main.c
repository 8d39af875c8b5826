/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c — bvapm-report entry: parse the options (args.c), find the store,
 * run one command (commands.c) or serve the pages (serve.c), and print the
 * --json document. Exit codes are in report.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static void print_json(json_object *j)
{
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
	                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
}

int main(int argc, char **argv)
{
	/* Every figure is rounded to what a person reads (report_json_dbl): print
	 * 0.1, not its binary neighbour 0.10000000000000001. */
	json_c_set_serialization_double_format("%.10g", JSON_C_OPTION_GLOBAL);
	struct report_opts o;
	memset(&o, 0, sizeof o);
	const char *cmd_name = NULL;
	int rc = report_parse_args(argc, argv, &o, &cmd_name);
	if (rc)
		return rc == REPORT_HELP ? REPORT_OK : rc;
	bool serve = strcmp(cmd_name, "serve") == 0;
	const struct report_command *cmd = serve ? NULL : report_command_find(cmd_name);
	if (cmd == NULL && !serve) {
		fprintf(stderr, "bvapm-report: unknown command %s\n", cmd_name);
		report_usage(stderr);
		return REPORT_USAGE;
	}
	if ((rc = report_check_opts(&o, cmd)) != REPORT_OK)
		return rc;

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
	if (serve) {
		rc = report_serve(&o);
		free(default_path);
		return rc;
	}

	struct report r;
	memset(&r, 0, sizeof r);
	rc = report_run(&r, &o, cmd);
	if (o.json && rc == REPORT_OK)
		print_json(r.doc);
	if (o.json && rc != REPORT_OK) {
		json_object *e = report_json_error(rc);
		print_json(e);
		json_object_put(e);
	}
	report_done(&r);
	free(default_path);
	if (fflush(stdout) != 0 && rc == REPORT_OK)
		rc = REPORT_ERROR;
	return rc;
}
