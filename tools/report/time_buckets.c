/* SPDX-License-Identifier: Apache-2.0 */
/*
 * time_buckets.c — timeline bucket widths (time_buckets.h).
 */
#include "time_buckets.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#define SEC 1000000000LL

static const struct unit {
	char name;
	int64_t ns;
} units[] = {{'w', 7 * 86400 * SEC}, {'d', 86400 * SEC}, {'h', 3600 * SEC}, {'m', 60 * SEC},
             {'s', SEC}};
#define N_UNITS (sizeof units / sizeof units[0])

int report_bucket_parse(const char *s, int64_t *ns)
{
	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -1;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (v <= 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	for (size_t i = 0; i < N_UNITS; i++)
		if (units[i].name == end[0]) {
			if (v > INT64_MAX / units[i].ns)
				return -1;
			*ns = v * units[i].ns;
			return 0;
		}
	return -1;
}

int64_t report_bucket_auto(int64_t span_ns)
{
	static const int64_t widths[] = {
		SEC, 5 * SEC, 10 * SEC, 30 * SEC, 60 * SEC, 300 * SEC, 600 * SEC, 1800 * SEC,
		3600 * SEC, 6 * 3600 * SEC, 86400 * SEC,
	};
	size_t n = sizeof widths / sizeof widths[0];
	for (size_t i = 0; i < n; i++)
		if (span_ns / widths[i] < REPORT_TIMELINE_TARGET)
			return widths[i];
	return widths[n - 1];
}

const char *report_bucket_label(int64_t ns, char *buf, size_t len)
{
	for (size_t i = 0; i < N_UNITS; i++)
		if (ns % units[i].ns == 0) {
			snprintf(buf, len, "%lld%c", (long long)(ns / units[i].ns), units[i].name);
			return buf;
		}
	snprintf(buf, len, "%lldns", (long long)ns);
	return buf;
}

int64_t report_bucket_floor(int64_t t, int64_t width)
{
	int64_t q = t / width;
	if (t % width < 0)
		q--; /* before 1970: still the bucket below */
	return q * width;
}
