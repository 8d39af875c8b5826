/* SPDX-License-Identifier: Apache-2.0 */
/*
 * endpoints.c — the endpoint of every selected request, by request id
 * (endpoints.h): one pass over the selection; endpoint names are stored once
 * and each id maps to an index (4 bytes per request id up to the largest).
 * Lets a command read a child table in one scan and attribute each row to
 * its endpoint without joining the requests table row by row.
 */
#include <stdlib.h>
#include <string.h>

#include "endpoints.h"
#include "groups.h"

void report_ep_map_free(struct ep_map *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->names[i]);
	free(m->names);
	free(m->of);
}

/* row: request id, endpoint; group: i[0] the endpoint's index in names */
static int fold_request(struct group *gr, sqlite3_stmt *s, void *ctx)
{
	struct ep_map *m = ctx;
	int64_t id = sqlite3_column_int64(s, 0);
	if (id < 0 || id > m->max_id)
		return -1;
	if (gr->n == 1) { /* a new endpoint: give it the next index */
		if (m->n == m->cap) {
			size_t cap = m->cap ? 2 * m->cap : 64;
			char **v = realloc(m->names, cap * sizeof *v);
			if (v == NULL)
				return -1;
			m->names = v;
			m->cap = cap;
		}
		if ((m->names[m->n] = strdup(gr->key)) == NULL)
			return -1;
		gr->i[0] = (int64_t)m->n++;
	}
	m->of[id] = (int32_t)gr->i[0];
	return 0;
}

int report_ep_map_load(struct report *r, struct ep_map *m)
{
	m->max_id = report_scalar(r, "SELECT max(id) FROM requests");
	m->of = malloc((size_t)(m->max_id + 1) * sizeof *m->of);
	struct groups *g = report_groups_new();
	sqlite3_stmt *s = report_prepare(r, "SELECT r.id, %s FROM requests r WHERE %s", r->ep,
	                                 r->where_r);
	int rc = -1;
	if (m->of) {
		memset(m->of, 0xff, (size_t)(m->max_id + 1) * sizeof *m->of); /* all -1 */
		rc = report_groups_scan(r, s, g, 1, fold_request, m);
	} else {
		sqlite3_finalize(s);
	}
	report_groups_free(g);
	return rc;
}

const char *report_ep_map_get(const struct ep_map *m, int64_t request_id)
{
	if (request_id < 0 || request_id > m->max_id || m->of[request_id] < 0)
		return NULL;
	return m->names[m->of[request_id]];
}
