/*
 * sinks.c — the sink registry (see sinks.h). Main thread only, at start.
 */
#include "sinks.h"

#include <stdio.h>

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
#ifdef BVAPM_HAVE_OTLP
	if (cfg->otlp_enabled) {
		struct bvapm_otlp_options o = { cfg->otlp_timeout_ms, cfg->otlp_headers, cfg->otlp_gzip };
		if (!(s = bvapm_sink_otlp_new(cfg->otlp_endpoint, &o, err, errlen)))
			goto fail;
		out[n++] = s;
	}
#endif
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
