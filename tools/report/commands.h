/* SPDX-License-Identifier: Apache-2.0 */
/*
 * commands.h — bvapm-report's command table and the one way a command runs:
 * parse the options (args.c), open the store, build the selection, run the
 * command (commands.c). The command line (main.c) and the web pages
 * (serve*.c) both go through here, so text, JSON and pages come from the
 * same queries.
 */
#ifndef BVAPM_REPORT_COMMANDS_H
#define BVAPM_REPORT_COMMANDS_H

#include <stdio.h>

#include "report.h"

struct report_command {
	const char *name;
	int (*run)(struct report *);
	const char *help;
};

extern const struct report_command report_commands[]; /* ends with a NULL name */

/* The command named name, or NULL. `serve` is not in the table: it runs
 * the others (report_serve, serve.c). */
const struct report_command *report_command_find(const char *name);

/* Returned by report_parse_args for -h/--help (usage printed on stdout). */
#define REPORT_HELP (-1)

/* Parses argv (options before or after the one command) into o, which the
 * caller zeroed; *cmd is the command's name. Prints what is wrong on stderr
 * and returns REPORT_USAGE; REPORT_HELP after printing the usage; else
 * REPORT_OK. Reentrant enough for serve: getopt is restarted each time. */
int report_parse_args(int argc, char **argv, struct report_opts *o, const char **cmd);
/* The options that belong to some commands only (--request, --trace, -o,
 * serve's --listen …), checked against cmd. Prints and returns
 * REPORT_USAGE, or REPORT_OK. */
int report_check_opts(const struct report_opts *o, const struct report_command *cmd);
void report_usage(FILE *f);

/* Opens o->db_path, builds the selection and runs cmd into r (zeroed by the
 * caller; with o->json, r->doc holds the document). Returns the command's
 * exit code; report_done frees r whatever it returned. */
int report_run(struct report *r, const struct report_opts *o, const struct report_command *cmd);
/* After report_run returned REPORT_OK: runs another command on the same
 * store and selection (a page shows several commands over one filter; the
 * selection is built once). The previous document and sections are freed
 * first. Each command at most once per report: some keep temporary tables. */
int report_run_next(struct report *r, const struct report_command *cmd);
void report_done(struct report *r);
/* The document main prints for a failed command with --json. */
json_object *report_json_error(int code);

/* serve.c: `bvapm-report serve`. Runs until SIGINT or SIGTERM. */
int report_serve(const struct report_opts *o);

#endif
