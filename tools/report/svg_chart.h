/* SPDX-License-Identifier: Apache-2.0 */
/*
 * svg_chart.h — the pages' charts, drawn on the server as inline SVG (no
 * script needed to see them): lines over time, a histogram, a sparkline, a
 * request's waterfall of timed calls and its memory at each checkpoint.
 * Every label and tooltip (<title>) is escaped; sizes are fixed, the page's
 * CSS scales them to the width.
 */
#ifndef BVAPM_SVG_CHART_H
#define BVAPM_SVG_CHART_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum svg_unit { SVG_COUNT, SVG_PER_S, SVG_PCT, SVG_NS, SVG_BYTES };

struct svg_series {
	const char *name;
	const double *v;   /* one per point; NaN: no value there */
	const char *cls;   /* CSS class of the line ("s1", "s2", …) */
};

/* Lines over time: x[i] is the start of bucket i (unix ns), each bucket
 * bucket_ns wide. When href_base is given ("/page?kind=job&"), each bucket
 * is a link to it with since=@START&until=@END (unix seconds) appended. */
void svg_time_chart(FILE *out, const char *title, const int64_t *x, size_t n, int64_t bucket_ns,
                    const struct svg_series *series, size_t n_series, enum svg_unit unit,
                    const char *href_base);

/* Bars: bucket i holds count[i] values in [lo[i], hi[i]). */
void svg_histogram(FILE *out, const char *title, const int64_t *lo, const int64_t *hi,
                   const int64_t *count, size_t n, enum svg_unit unit);

/* A small line of v (for a table cell). */
void svg_sparkline(FILE *out, const double *v, size_t n, const char *label);

struct svg_span {
	int64_t offset_ns, duration_ns;
	const char *type;   /* sql, http, cache, … (its CSS class) */
	const char *label;
};

struct svg_checkpoint {
	int64_t offset_ns;
	int64_t mem_bytes;
	const char *label;
};

/* A request's timed calls as bars on its time axis (wall_ns), the
 * checkpoints as marks. */
void svg_waterfall(FILE *out, const struct svg_span *spans, size_t n_spans,
                   const struct svg_checkpoint *cps, size_t n_cps, int64_t wall_ns);
/* The request's memory at each checkpoint over its time axis. */
void svg_memory_steps(FILE *out, const struct svg_checkpoint *cps, size_t n, int64_t wall_ns);

/* "12.3 ms", "1.5 MiB", "12.3%", "1 234", "45.6/s": a value in unit. */
const char *svg_fmt(double v, enum svg_unit unit, char *buf, size_t len);

#endif
