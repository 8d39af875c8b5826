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

int report_ep_map_load(struct report *r, struct ep_map *m)
{
	m->max_id = report_scalar(r, "SELECT max(id) FROM requests");
	m->of = malloc((size_t)(m->max_id + 1) * sizeof *m->of);
	struct groups *g = report_groups_new();
	sqlite3_stmt *s = report_prepare(r, "SELECT r.id, %s FROM requests r WHERE %s", r->ep,
	                                 r->where_r);
	int rc = SQLITE_ERROR, bad = m->of == NULL || g == NULL || s == NULL;
	if (m->of)
		memset(m->of, 0xff, (size_t)(m->max_id + 1) * sizeof *m->of); /* all -1 */
	while (!bad && (rc = report_step(r, s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		struct group *gr = report_groups_get(g, report_col_text(s, 1),
		                                       (size_t)sqlite3_column_bytes(s, 1));
		if (gr == NULL || id < 0 || id > m->max_id) {
			bad = 1;
			break;
		}
		if (gr->n++ == 0) { /* a new endpoint: give it the next index */
			if (m->n == m->cap) {
				size_t cap = m->cap ? 2 * m->cap : 64;
				char **v = realloc(m->names, cap * sizeof *v);
				if (v == NULL) {
					bad = 1;
					break;
				}
				m->names = v;
				m->cap = cap;
			}
			if ((m->names[m->n] = strdup(gr->key)) == NULL) {
				bad = 1;
				break;
			}
			gr->i[0] = (int64_t)m->n++;
		}
		m->of[id] = (int32_t)gr->i[0];
	}
	sqlite3_finalize(s);
	report_groups_free(g);
	return bad || rc != SQLITE_DONE ? -1 : 0;
}

const char *report_ep_map_get(const struct ep_map *m, int64_t request_id)
{
	if (request_id < 0 || request_id > m->max_id || m->of[request_id] < 0)
		return NULL;
	return m->names[m->of[request_id]];
}
