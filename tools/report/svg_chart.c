/* SPDX-License-Identifier: Apache-2.0 */
/*
 * svg_chart.c — the charts of svg_chart.h. Axes get "nice" steps (1, 2, 5
 * times a power of ten; powers of two for memory would not read better on
 * a chart), a point's figure is in its tooltip, and nothing is drawn from a
 * value that is not finite. Coordinates are in a fixed viewBox.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "html.h"
#include "svg_chart.h"

#define W 960.0
#define H 220.0
#define ML 90.0 /* left margin: the y labels */
#define MR 16.0
#define MT 34.0
#define MB 34.0

const char *svg_fmt(double v, enum svg_unit unit, char *buf, size_t len)
{
	switch (unit) {
	case SVG_NS: report_fmt_ns((int64_t)v, buf, len); break;
	case SVG_BYTES: report_fmt_bytes((int64_t)v, buf, len); break;
	case SVG_PCT: snprintf(buf, len, "%.1f%%", v); break;
	case SVG_PER_S: snprintf(buf, len, v < 10 ? "%.2f/s" : "%.0f/s", v); break;
	case SVG_COUNT: snprintf(buf, len, "%.0f", v); break;
	}
	return buf;
}

static double nice_step(double range, int ticks)
{
	double raw = range / ticks, mag = pow(10, floor(log10(raw)));
	double f = raw / mag;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static void y_axis(FILE *out, double max, enum svg_unit unit, double *top)
{
	if (!(max > 0) || !isfinite(max))
		max = 1;
	double step = nice_step(max, 4);
	*top = ceil(max / step) * step;
	char buf[32];
	for (double v = 0; v <= *top + step / 2; v += step) {
		double y = H - MB - (v / *top) * (H - MT - MB);
		fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
		             "<text class=\"ylab\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
		        ML, y, W - MR, y, ML - 6, y + 4, svg_fmt(v, unit, buf, sizeof buf));
	}
}

static void time_label(char *buf, size_t len, int64_t ns, int64_t span_ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	strftime(buf, len, span_ns > 2LL * 86400 * 1000000000 ? "%m-%d %H:%M" : "%H:%M:%S", &tm);
}

void svg_time_chart(FILE *out, const char *title, const int64_t *x, size_t n, int64_t bucket_ns,
                    const struct svg_series *series, size_t n_series, enum svg_unit unit,
                    const char *href_base)
{
	double max = 0;
	for (size_t s = 0; s < n_series; s++)
		for (size_t i = 0; i < n; i++)
			if (isfinite(series[s].v[i]) && series[s].v[i] > max)
				max = series[s].v[i];
	fprintf(out, "<figure class=\"chart\"><svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" "
	             "role=\"img\"><title>", W, H);
	html_text(out, title);
	fprintf(out, "</title><text class=\"ctitle\" x=\"%.1f\" y=\"20\">", ML);
	html_text(out, title);
	fputs("</text>\n", out);
	double top;
	y_axis(out, max, unit, &top);
	if (n == 0) {
		fprintf(out, "<text class=\"ylab\" x=\"%.1f\" y=\"%.1f\">no requests</text></svg>"
		             "</figure>\n", W / 2, H / 2);
		return;
	}
	double plot_w = W - ML - MR, plot_h = H - MT - MB;
	double bw = plot_w / (double)n;
	/* x labels: about 6 */
	size_t every = n / 5 + 1;
	char buf[48];
	int64_t span = x[n - 1] + bucket_ns - x[0];
	for (size_t i = 0; i < n; i += every) {
		time_label(buf, sizeof buf, x[i], span);
		fprintf(out, "<text class=\"xlab\" x=\"%.1f\" y=\"%.1f\">%s</text>", ML + bw * (double)i,
		        H - 10, buf);
	}
	fputs("\n", out);
	for (size_t s = 0; s < n_series; s++) {
		fprintf(out, "<polyline class=\"line %s\" points=\"", series[s].cls);
		for (size_t i = 0; i < n; i++) {
			double v = series[s].v[i];
			if (!isfinite(v))
				continue;
			fprintf(out, "%.1f,%.1f ", ML + bw * ((double)i + 0.5), H - MB - v / top * plot_h);
		}
		fputs("\"/>\n", out);
	}
	/* One hover band per bucket: its figures, and a link to that time. */
	for (size_t i = 0; i < n; i++) {
		if (href_base) {
			fputs("<a href=\"", out);
			html_text(out, href_base);
			fprintf(out, "since=@%lld&amp;until=@%lld\">", (long long)(x[i] / 1000000000),
			        (long long)((x[i] + bucket_ns + 999999999) / 1000000000));
		}
		fprintf(out, "<rect class=\"band\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
		             "<title>", ML + bw * (double)i, MT, bw, plot_h);
		report_fmt_time(x[i], buf, sizeof buf);
		html_text(out, buf);
		for (size_t s = 0; s < n_series; s++) {
			fputs("\n", out);
			html_text(out, series[s].name);
			fputs(": ", out);
			html_text(out, isfinite(series[s].v[i]) ? svg_fmt(series[s].v[i], unit, buf, sizeof buf)
			                                         : "-");
		}
		fputs("</title></rect>", out);
		if (href_base)
			fputs("</a>", out);
	}
	fputs("\n</svg><figcaption>", out);
	for (size_t s = 0; s < n_series; s++) {
		fprintf(out, "<span class=\"key %s\">", series[s].cls);
		html_text(out, series[s].name);
		fputs("</span> ", out);
	}
	fputs("</figcaption></figure>\n", out);
}

void svg_histogram(FILE *out, const char *title, const int64_t *lo, const int64_t *hi,
                   const int64_t *count, size_t n, enum svg_unit unit)
{
	double max = 0;
	for (size_t i = 0; i < n; i++)
		if ((double)count[i] > max)
			max = (double)count[i];
	fprintf(out, "<figure class=\"chart\"><svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" "
	             "role=\"img\"><title>", W, H);
	html_text(out, title);
	fprintf(out, "</title><text class=\"ctitle\" x=\"%.1f\" y=\"20\">", ML);
	html_text(out, title);
	fputs("</text>\n", out);
	double top;
	y_axis(out, max, SVG_COUNT, &top);
	double plot_w = W - ML - MR, plot_h = H - MT - MB;
	double bw = n ? plot_w / (double)n : plot_w;
	char a[32], b[32];
	for (size_t i = 0; i < n; i++) {
		double h = (double)count[i] / top * plot_h;
		if (count[i] > 0 && h < 2)
			h = 2; /* one request among thousands still shows */
		fprintf(out, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
		             "<title>%s to %s: %lld</title></rect>",
		        ML + bw * (double)i + 1, H - MB - h, bw > 3 ? bw - 2 : bw, h,
		        svg_fmt((double)lo[i], unit, a, sizeof a), svg_fmt((double)hi[i], unit, b, sizeof b),
		        (long long)count[i]);
		if (n <= 12 || i % (n / 8 + 1) == 0)
			fprintf(out, "<text class=\"xlab\" x=\"%.1f\" y=\"%.1f\">%s</text>",
			        ML + bw * (double)i, H - 10, svg_fmt((double)lo[i], unit, a, sizeof a));
	}
	fputs("\n</svg></figure>\n", out);
}

void svg_sparkline(FILE *out, const double *v, size_t n, const char *label)
{
	double max = 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]) && v[i] > max)
			max = v[i];
	fputs("<svg class=\"spark\" viewBox=\"0 0 120 24\" role=\"img\"><title>", out);
	html_text(out, label);
	fputs("</title><polyline points=\"", out);
	for (size_t i = 0; i < n; i++) {
		double y = isfinite(v[i]) && max > 0 ? 22 - v[i] / max * 20 : 22;
		fprintf(out, "%.1f,%.1f ", n > 1 ? 120.0 * (double)i / (double)(n - 1) : 60.0, y);
	}
	fputs("\"/></svg>", out);
}

void svg_waterfall(FILE *out, const struct svg_span *spans, size_t n_spans,
                   const struct svg_checkpoint *cps, size_t n_cps, int64_t wall_ns)
{
	const double row = 18, left = 300;
	double h = MT + row * (double)(n_spans ? n_spans : 1) + MB;
	double plot_w = W - left - MR;
	double wall = wall_ns > 0 ? (double)wall_ns : 1;
	char a[32], b[32];
	fprintf(out, "<figure class=\"chart\"><svg class=\"chart waterfall\" viewBox=\"0 0 %.0f %.0f\" "
	             "role=\"img\"><title>timed calls</title>\n", W, h);
	for (int k = 0; k <= 4; k++) {
		double x = left + plot_w * k / 4;
		fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
		             "<text class=\"xlab%s\" x=\"%.1f\" y=\"%.1f\">%s</text>",
		        x, MT - 6, x, h - MB, k == 4 ? " end" : "", x, h - 10,
		        svg_fmt(wall * k / 4, SVG_NS, a, sizeof a));
	}
	for (size_t i = 0; i < n_spans; i++) {
		const struct svg_span *s = &spans[i];
		double y = MT + row * (double)i;
		double x = left + (double)s->offset_ns / wall * plot_w;
		double w = (double)s->duration_ns / wall * plot_w;
		if (x > W - MR)
			x = W - MR;
		if (w < 1.5)
			w = 1.5;
		if (x + w > W - MR)
			w = W - MR - x;
		fputs("<text class=\"wlab\" x=\"4\" y=\"", out);
		fprintf(out, "%.1f\">", y + 13);
		char lab[60];
		snprintf(lab, sizeof lab, "%s", s->label ? s->label : "");
		html_text(out, lab);
		fprintf(out, "</text><rect class=\"span %s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		             "height=\"%.1f\"><title>", s->type && strspn(s->type, "abcdefghijklmnopqrstuvwxyz")
		                                            == strlen(s->type) ? s->type : "other",
		        x, y + 3, w, row - 5);
		html_text(out, s->type);
		fputs(" ", out);
		html_text(out, s->label);
		fprintf(out, "\nat %s for %s</title></rect>\n",
		        svg_fmt((double)s->offset_ns, SVG_NS, a, sizeof a),
		        svg_fmt((double)s->duration_ns, SVG_NS, b, sizeof b));
	}
	for (size_t i = 0; i < n_cps; i++) {
		double x = left + (double)cps[i].offset_ns / wall * plot_w;
		if (x > W - MR)
			x = W - MR;
		fprintf(out, "<line class=\"cp\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\">", x,
		        MT - 6, x, h - MB);
		fputs("<title>checkpoint ", out);
		html_text(out, cps[i].label);
		fprintf(out, " at %s: %s</title></line>\n",
		        svg_fmt((double)cps[i].offset_ns, SVG_NS, a, sizeof a),
		        svg_fmt((double)cps[i].mem_bytes, SVG_BYTES, b, sizeof b));
	}
	fputs("</svg></figure>\n", out);
}

void svg_memory_steps(FILE *out, const struct svg_checkpoint *cps, size_t n, int64_t wall_ns)
{
	double max = 0;
	int64_t end = wall_ns;
	for (size_t i = 0; i < n; i++) {
		if ((double)cps[i].mem_bytes > max)
			max = (double)cps[i].mem_bytes;
		if (cps[i].offset_ns > end)
			end = cps[i].offset_ns;
	}
	fprintf(out, "<figure class=\"chart\"><svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" "
	             "role=\"img\"><title>memory at each checkpoint</title>"
	             "<text class=\"ctitle\" x=\"%.1f\" y=\"20\">Memory at each checkpoint</text>\n",
	        W, H, ML);
	double top;
	y_axis(out, max, SVG_BYTES, &top);
	double plot_w = W - ML - MR, plot_h = H - MT - MB, span = end > 0 ? (double)end : 1;
	char a[32], b[32];
	/* A step line from the first checkpoint: nothing is known before it. */
	fputs("<polyline class=\"line s1\" points=\"", out);
	double prev_y = NAN;
	for (size_t i = 0; i < n; i++) {
		double x = ML + (double)cps[i].offset_ns / span * plot_w;
		double y = H - MB - (double)cps[i].mem_bytes / top * plot_h;
		if (isfinite(prev_y))
			fprintf(out, "%.1f,%.1f ", x, prev_y);
		fprintf(out, "%.1f,%.1f ", x, y);
		prev_y = y;
	}
	fprintf(out, "%.1f,%.1f\"/>\n", W - MR, prev_y);
	for (size_t i = 0; i < n; i++) {
		double x = ML + (double)cps[i].offset_ns / span * plot_w;
		double y = H - MB - (double)cps[i].mem_bytes / top * plot_h;
		fprintf(out, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"><title>", x, y);
		html_text(out, cps[i].label);
		fprintf(out, ": %s at %s</title></circle>", svg_fmt((double)cps[i].mem_bytes, SVG_BYTES, a,
		                                                    sizeof a),
		        svg_fmt((double)cps[i].offset_ns, SVG_NS, b, sizeof b));
		fprintf(out, "<text class=\"plab\" x=\"%.1f\" y=\"%.1f\">", x + 5, y - 6);
		char lab[40];
		snprintf(lab, sizeof lab, "%s", cps[i].label ? cps[i].label : "");
		html_text(out, lab);
		fputs("</text>\n", out);
	}
	for (int k = 0; k <= 4; k++)
		fprintf(out, "<text class=\"xlab%s\" x=\"%.1f\" y=\"%.1f\">%s</text>", k == 4 ? " end" : "",
		        ML + plot_w * k / 4, H - 10, svg_fmt(span * k / 4, SVG_NS, a, sizeof a));
	fputs("</svg></figure>\n", out);
}
