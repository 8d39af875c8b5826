/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon.h — the drainer's life cycle: lock, sinks, ring, pipeline,
 * metrics, the reader loop, signals (SIGTERM/SIGINT stop, SIGHUP reload),
 * systemd notification and watchdog.
 */
#ifndef BVAPM_DRAINER_DAEMON_H
#define BVAPM_DRAINER_DAEMON_H

#include "config.h"

/* Runs until SIGTERM/SIGINT. config_path (may be NULL) is re-read on SIGHUP,
 * with `overrides` (argv-style "section.key=value" strings, n of them)
 * applied again on top. Returns the process exit code:
 *   0 clean stop; 1 start-up failure (logged); 2 another drainer runs. */
int bvapm_drainer_run(struct bvapm_drainer_config *cfg, const char *config_path,
                      char **overrides, int n);

#endif
