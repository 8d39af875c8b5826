/* SPDX-License-Identifier: Apache-2.0 */
/*
 * time_buckets.h — the time buckets of `bvapm-report timeline`: parsing
 * --bucket, the width chosen when it is not given, and its label.
 *
 * Buckets are aligned on multiples of their width since the Unix epoch
 * (UTC): a 5m bucket starts at :00, :05, …, a 1d bucket at midnight UTC.
 */
#ifndef BVAPM_REPORT_TIME_BUCKETS_H
#define BVAPM_REPORT_TIME_BUCKETS_H

#include <stddef.h>
#include <stdint.h>

/* About this many buckets when the width is chosen from the time span. */
#define REPORT_TIMELINE_TARGET 60
/* At most this many buckets (memory is buckets × endpoints). */
#define REPORT_TIMELINE_MAX 100000

/* --bucket: a positive whole number and a unit s, m, h, d or w ("30s",
 * "5m", "1h"). Returns 0 and *ns, or -1. */
int report_bucket_parse(const char *s, int64_t *ns);
/* The smallest of 1s, 5s, 10s, 30s, 1m, 5m, 10m, 30m, 1h, 6h, 1d that
 * covers span_ns in at most REPORT_TIMELINE_TARGET buckets; 1d for longer
 * spans. */
int64_t report_bucket_auto(int64_t span_ns);
/* "5m", "90s", "1d": the largest unit the width is a whole number of. */
const char *report_bucket_label(int64_t ns, char *buf, size_t len);
/* The start of the bucket holding t. */
int64_t report_bucket_floor(int64_t t, int64_t width);

#endif
