/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve_live.h — the live page: every worker's request in flight, from the
 * ring's slots (the document `bvapm-shm top --json` prints, top_view.c).
 */
#ifndef BVAPM_SERVE_LIVE_H
#define BVAPM_SERVE_LIVE_H

#include <stdio.h>

/* Opens ring_name (NULL: $BVAPM_RING, else the default ring) read-only,
 * reads its slots once and writes the page's body to out: a table inside
 * <div id="live">, or why the ring cannot be read. */
void serve_live_html(FILE *out, const char *ring_name);

#endif
