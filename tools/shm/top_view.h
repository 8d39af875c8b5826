/* SPDX-License-Identifier: Apache-2.0 */
/*
 * top_view.h — a ring's live slots as `bvapm-shm top` shows them
 * (top_view.c): read, sorted, escaped, and as its JSON document. Shared by
 * bvapm-shm and bvapm-report serve's live page.
 */
#ifndef BVAPM_TOP_VIEW_H
#define BVAPM_TOP_VIEW_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "ring/ring_inspect.h"

/* Largest escaped copy of a slot string (4 bytes per byte). */
#define ESC_LEN (4 * BVAPM_SLOT_URI_LEN)

struct shm_top_row {
	const struct bvapm_ring_slot_view *v;
	int64_t running_ns; /* -1: unknown / not in a request */
};

/* Copies the claimed slots (up to max) into views and sorts rows over them:
 * in a request first (longest running first), then dead, idle, invalid.
 * *now_ns is the CLOCK_MONOTONIC time of the copy. Returns the count. */
int shm_top_read(const bvapm_ring *ring, struct bvapm_ring_slot_view *views,
                 struct shm_top_row *rows, size_t max, uint64_t *now_ns);
/* Workers in a request, dead, and invalid slots among rows. */
void shm_top_count(const struct shm_top_row *rows, int n, int *in_request, int *dead,
                   int *invalid);
/* The `top --json` document of one read. */
json_object *shm_top_json(const char *path, const struct shm_top_row *rows, int n, uint64_t now);

/* s as printable ASCII: the backslash as \\, other bytes outside
 * 0x20..0x7e as \xNN. Returns out. */
const char *shm_printable(char *out, size_t cap, const char *s);
/* "request", "idle", "dead", "dead-req", "invalid" */
const char *shm_slot_state(const struct bvapm_ring_slot_view *v);
/* ns since a CLOCK_MONOTONIC stamp of the slot, -1 when unknown. */
int64_t shm_since(uint64_t stamp_ns, uint64_t now_ns);

#endif
