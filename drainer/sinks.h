/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sinks.h — the sink registry: one constructor per destination. At start
 * the daemon (daemon.c) builds the enabled ones from the configuration with
 * bvapm_sinks_create() and hands them to the pipeline (pipeline.c); adding a
 * sink is one constructor here and one line in sinks.c.
 *
 * Constructors return a sink, or NULL with err filled (one sentence).
 */
#ifndef BVAPM_DRAINER_SINKS_H
#define BVAPM_DRAINER_SINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "config.h"
#include "sink.h"

/* SQLite store ([sqlite] path, synchronous_full, busy_timeout_ms). */
struct bvapm_sink *bvapm_sink_sqlite_new(const struct bvapm_drainer_config *cfg, char *err,
                                         size_t errlen);

/* Discards everything (benchmarks, tests). */
struct bvapm_sink *bvapm_sink_null_new(const struct bvapm_drainer_config *cfg, char *err,
                                       size_t errlen);

/* OTLP/HTTP: bvapm_sink_otlp_new() in drainer/otlp/sink_otlp.h, built from
 * [otlp] endpoint, timeout_ms, headers, gzip. */

/* Builds every enabled sink (sqlite, otlp, null; in that order) into
 * out[0..BVAPM_MAX_SINKS). Returns the number built, or -1 with err filled
 * (sinks built so far are destroyed). */
int bvapm_sinks_create(const struct bvapm_drainer_config *cfg, struct bvapm_sink **out, char *err,
                       size_t errlen);

#endif
