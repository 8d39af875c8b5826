/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve_assets.h — the pages' style sheet, script and icon, compiled into
 * bvapm-report: nothing is read from disk or fetched from elsewhere.
 */
#ifndef BVAPM_SERVE_ASSETS_H
#define BVAPM_SERVE_ASSETS_H

struct serve_asset {
	const char *path;
	const char *content_type;
	const char *body;
};

/* The asset at exactly this path, or NULL. */
const struct serve_asset *serve_asset_find(const char *path);

#endif
