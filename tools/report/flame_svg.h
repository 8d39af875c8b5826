/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flame_svg.h — a flame graph built from call paths and drawn as SVG.
 *
 * Input: (path, exclusive time) pairs, path = frame names joined by ';'
 * outermost first ("main;App\\Kernel::handle;PDO::query"), the same path may
 * be added many times (times add up). Each frame's inclusive time is its own
 * exclusive time plus its children's. Output: a standalone SVG a browser
 * opens: one rectangle per frame, root at the bottom, width proportional to
 * inclusive time, siblings in name order, colour from a hash of the frame
 * name (the same function has the same colour everywhere), the name written
 * inside when it fits, and a <title> tooltip with name, time and share.
 * Plain C, no dependency; names are XML-escaped.
 */
#ifndef BVAPM_FLAME_SVG_H
#define BVAPM_FLAME_SVG_H

#include <stdint.h>
#include <stdio.h>

struct flame;

struct flame *report_flame_new(void);
void report_flame_free(struct flame *f);
/* Adds ns of exclusive time to the frame at path. Returns 0, or -1 when out
 * of memory. Empty frames (";;") are skipped; an empty path is ignored. */
int report_flame_add(struct flame *f, const char *path, int64_t ns);
/* Total time (the root's inclusive time) and number of distinct frames. */
int64_t report_flame_total(const struct flame *f);
size_t report_flame_frames(const struct flame *f);
/* Inclusive time of the frame at path (';'-joined), -1 when absent. */
int64_t report_flame_inclusive(const struct flame *f, const char *path);
/* Writes the SVG. Returns 0, or -1 on a write error. */
int report_flame_write_svg(const struct flame *f, FILE *out, const char *title,
                           const char *subtitle);

#endif
