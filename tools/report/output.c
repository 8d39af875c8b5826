/* SPDX-License-Identifier: Apache-2.0 */
/*
 * output.c — formatting shared by the commands: human units for time and
 * memory (binary MiB/GiB, signed for deltas), UTC timestamps, the text
 * lines that have no JSON counterpart, text bars and sparklines, json-c
 * shorthands, and the
 * nearest-rank percentile every latency and memory figure uses (p of n
 * sorted values is the value at rank ceil(p/100 * n), so p50 of 1..100 is
 * 50, p99 is 99). Tables and their layout are report_table.c's.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report.h"

const char *report_fmt_ns(int64_t ns, char *buf, size_t len)
{
	double v = (double)ns;
	if (ns < 0)
		v = -v;
	const char *sign = ns < 0 ? "-" : "";
	if (v >= 1e9)
		snprintf(buf, len, "%s%.2f s", sign, v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%s%.1f ms", sign, v / 1e6);
	else
		snprintf(buf, len, "%s%.0f us", sign, v / 1e3);
	return buf;
}

const char *report_fmt_bytes(int64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = bytes < 0 ? -(double)bytes : (double)bytes;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	const char *sign = bytes < 0 ? "-" : "";
	if (u == 0)
		snprintf(buf, len, "%s%.0f B", sign, v);
	else
		snprintf(buf, len, "%s%.1f %s", sign, v, units[u]);
	return buf;
}

const char *report_fmt_time(int64_t unix_ns, char *buf, size_t len)
{
	time_t t = (time_t)(unix_ns / 1000000000LL);
	struct tm tm;
	if (unix_ns <= 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "-");
		return buf;
	}
	strftime(buf, len, "%Y-%m-%d %H:%M:%SZ", &tm);
	return buf;
}

void report_text(const struct report *r, const char *line)
{
	if (!r->o->json)
		printf("%s\n", line);
}

json_object *report_json_add(json_object *obj, const char *key, json_object *value)
{
	json_object_object_add(obj, key, value);
	return value;
}

json_object *report_json_str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

json_object *report_json_int(int64_t v)
{
	return json_object_new_int64(v);
}

json_object *report_json_dbl(double v)
{
	/* Two decimals are what a person reads; JSON gets the same figure. */
	return json_object_new_double(round(v * 100.0) / 100.0);
}

void report_fmt_bar(char *out, int width, int64_t v, int64_t max)
{
	int len = v > 0 && max > 0 ? (int)((double)width * (double)v / (double)max) : 0;
	if (v > 0 && len == 0)
		len = 1; /* anything at all shows */
	if (len > width)
		len = width;
	memset(out, '#', (size_t)len);
	out[len] = '\0';
}

void report_fmt_sparkline(char *out, const int64_t *v, size_t n)
{
	static const char *const blocks[8] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	int64_t max = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	char *o = out;
	for (size_t i = 0; i < n; i++) {
		if (v[i] <= 0) {
			*o++ = ' ';
			continue;
		}
		/* 8 levels: the largest value █, anything above 0 at least ▁ */
		int level = (int)(((double)v[i] * 8.0 - 1.0) / (double)max);
		const char *b = blocks[level < 0 ? 0 : level > 7 ? 7 : level];
		size_t len = strlen(b);
		memcpy(o, b, len);
		o += len;
	}
	*o = '\0';
}

int64_t report_percentile(const int64_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	/* p * n first: 95 * 100 / 100 is exactly 95, 0.95 * 100 is not. */
	size_t rank = (size_t)ceil(p * (double)n / 100.0 - 1e-9);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}
