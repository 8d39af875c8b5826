/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_buckets.c — log-spaced histogram buckets (log_buckets.h): which
 * bucket a value falls in, and each bucket's bounds.
 */
#include "log_buckets.h"

/* The 1-2-5 scale: edge k is steps[k % 3] · 10^(k / 3); the last bucket, 54,
 * holds 10^18 and up (its upper edge, 2·10^18, still fits in 64 bits). */
#define LAST_125 54
#define LAST_POW2 (REPORT_LOG_BUCKETS - 1)

static int64_t edge_125(int k)
{
	static const int64_t steps[3] = {1, 2, 5};
	int64_t e = steps[k % 3];
	for (int d = 0; d < k / 3; d++)
		e *= 10;
	return e;
}

int report_log_bucket(enum report_log_scale scale, int64_t v)
{
	int b = 0;
	if (scale == REPORT_LOG_POW2) {
		while (b < LAST_POW2 && (v >> (b + 1)) > 0)
			b++;
		return b;
	}
	/* decades first, then the step within the decade */
	int64_t decade = 1;
	while (b + 3 <= LAST_125 && v / 10 >= decade) {
		decade *= 10;
		b += 3;
	}
	if (v >= 5 * decade && b + 2 <= LAST_125)
		return b + 2;
	if (v >= 2 * decade && b + 1 <= LAST_125)
		return b + 1;
	return b;
}

int64_t report_log_lo(enum report_log_scale scale, int b)
{
	if (b <= 0)
		return 0;
	return scale == REPORT_LOG_POW2 ? (int64_t)1 << b : edge_125(b);
}

int64_t report_log_hi(enum report_log_scale scale, int b)
{
	return scale == REPORT_LOG_POW2 ? (int64_t)1 << (b + 1) : edge_125(b + 1);
}

void report_log_hist_add(struct report_log_hist *h, int64_t v)
{
	h->count[report_log_bucket(h->scale, v)]++;
	h->total++;
}

bool report_log_hist_range(const struct report_log_hist *h, int *first, int *last)
{
	*first = -1;
	*last = -1;
	for (int b = 0; b < REPORT_LOG_BUCKETS; b++)
		if (h->count[b] > 0) {
			if (*first < 0)
				*first = b;
			*last = b;
		}
	return *first >= 0;
}
