/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fixtures.h — sample records of every kind, shared by the record tests, the
 * store and sink tests, the fuzzer's seed generator and the codec benchmark
 * (hence in testing/, beside neither tests/ nor bench/).
 *
 * The values of the fixtures are what tests/record/golden/<kind>.json holds;
 * change one and the other together.
 */
#ifndef BVAPM_TESTING_FIXTURES_H
#define BVAPM_TESTING_FIXTURES_H

#include "record/record.h"

enum fixture_kind { FX_REQUEST, FX_FATAL, FX_ABORTED, FX_STATS, FX_COUNT };

extern const char *const fixture_names[FX_COUNT];   /* "request", "fatal", ... */

extern const struct bvapm_rec_envelope fixture_envelope;        /* with trace context */
extern const struct bvapm_rec_envelope fixture_envelope_bare;   /* no trace, no service */
extern const struct bvapm_rec_request fixture_request;
extern const struct bvapm_rec_fatal fixture_fatal;
extern const struct bvapm_rec_aborted fixture_aborted;
extern const struct bvapm_rec_stats fixture_stats;

/* Encodes fixture k into buf (8-byte aligned); returns the length or -errno. */
ssize_t fixture_encode(enum fixture_kind k, void *buf, size_t cap);

/* A job (schema v3): the request profile a queue worker records for one job
 * (kind Job, method "JOB", uri and route the job name, sapi "cli"), from
 * its own producer. A RequestProfile like FX_REQUEST, so not a fixture_kind
 * of its own; its golden file is tests/record/golden/job.json. */
extern const struct bvapm_rec_envelope fixture_envelope_job;
extern const struct bvapm_rec_request fixture_job;
ssize_t fixture_encode_job(void *buf, size_t cap);

/* A typical request profile: 10 checkpoints, 50 SQL statements, top 50
 * functions, 2 errors, 4 tags, 4 counters, realistic string lengths. The
 * strings live in static storage; the result is valid until the next call. */
const struct bvapm_rec_request *fixture_typical_request(void);

#endif
