/*
 * sinks.h — the sink registry: one constructor per destination. The pipeline
 * (pipeline.c) builds the enabled ones from the configuration in
 * bvapm_sinks_create(); adding a sink is one constructor here and one line
 * there.
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

/* OTLP/HTTP options, filled from [otlp] by the registry. */
struct bvapm_otlp_options {
	uint32_t timeout_ms;  /* [otlp] timeout_ms: whole request */
	const char *headers;  /* [otlp] headers: "k=v,k2=v2", may be empty */
	bool gzip;            /* [otlp] gzip: compress request bodies */
};

#ifdef BVAPM_HAVE_OTLP
/* Provided by drainer/sink_otlp.c when the build has it. */
struct bvapm_sink *bvapm_sink_otlp_new(const char *endpoint, const struct bvapm_otlp_options *opts,
                                       char *err, size_t errlen);
#endif

/* Builds every enabled sink (sqlite, otlp, null; in that order) into
 * out[0..BVAPM_MAX_SINKS). Returns the number built, or -1 with err filled
 * (sinks built so far are destroyed). */
int bvapm_sinks_create(const struct bvapm_drainer_config *cfg, struct bvapm_sink **out, char *err,
                       size_t errlen);

#endif
