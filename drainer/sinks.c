/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sinks.c — the sink registry (see sinks.h). Main thread only, at start.
 */
#include "sinks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drainer/otlp/sink_otlp.h"

/* [otlp] headers "k=v,k2=v2" -> "k: v" strings. Returns the count, or -1. */
static int split_headers(const char *spec, char ***out)
{
	int n = 0;
	char **h = NULL;
	char *copy = strdup(spec), *save = NULL;
	if (!copy)
		return -1;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		while (*tok == ' ')
			tok++;
		if (!eq || eq == tok)
			continue;
		*eq = 0;
		char **nh = realloc(h, (size_t)(n + 1) * sizeof *h);
		if (!nh)
			break;
		h = nh;
		size_t len = strlen(tok) + strlen(eq + 1) + 3;
		h[n] = malloc(len);
		if (!h[n])
			break;
		snprintf(h[n], len, "%s: %s", tok, eq + 1);
		n++;
	}
	free(copy);
	*out = h;
	return n;
}

int bvapm_sinks_create(const struct bvapm_drainer_config *cfg, struct bvapm_sink **out, char *err,
                       size_t errlen)
{
	int n = 0;
	struct bvapm_sink *s;
	if (cfg->sqlite_enabled) {
		if (!(s = bvapm_sink_sqlite_new(cfg, err, errlen)))
			goto fail;
		out[n++] = s;
	}
	if (cfg->otlp_enabled) {
		char **headers = NULL;
		int nh = split_headers(cfg->otlp_headers, &headers);
		struct bvapm_otlp_options o = {
			.endpoint = cfg->otlp_endpoint,
			.timeout_ms = cfg->otlp_timeout_ms,
			.gzip = cfg->otlp_gzip,
			.headers = (const char *const *)headers,
			.header_count = nh > 0 ? (size_t)nh : 0,
		};
		s = bvapm_sink_otlp_new(&o, err, errlen); /* copies the options */
		for (int i = 0; i < nh; i++)
			free(headers[i]);
		free(headers);
		if (!s)
			goto fail;
		out[n++] = s;
	}
	if (cfg->null_enabled) {
		if (!(s = bvapm_sink_null_new(cfg, err, errlen)))
			goto fail;
		out[n++] = s;
	}
	return n;
fail:
	while (n > 0) {
		n--;
		out[n]->destroy(out[n]);
	}
	return -1;
}
