/* SPDX-License-Identifier: Apache-2.0 */
/*
 * endpoints.h — request id → endpoint of the selected requests (endpoints.c).
 */
#ifndef BVAPM_REPORT_ENDPOINTS_H
#define BVAPM_REPORT_ENDPOINTS_H

#include <stdint.h>

#include "report.h"

struct ep_map {
	int32_t *of;   /* by request id: index into names, -1 when not selected */
	int64_t max_id;
	char **names;  /* distinct endpoints */
	size_t n, cap;
};

/* Fills m (zeroed by the caller) from r's selection. Returns 0, or -1 after
 * a failed query or allocation (report_ep_map_free still applies). */
int report_ep_map_load(struct report *r, struct ep_map *m);
void report_ep_map_free(struct ep_map *m);
/* The endpoint of a request, NULL when it is not selected. */
const char *report_ep_map_get(const struct ep_map *m, int64_t request_id);

#endif
