/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sink_null.c — a sink that acknowledges and discards every record
 * (benchmarks measure the drain + verify path with it). Sink thread only.
 */
#include "sinks.h"

#include <stdlib.h>

static void null_send(struct bvapm_sink *sink, const struct bvapm_sink_record *recs, size_t n,
                      struct bvapm_sink_result *out)
{
	out->status = BVAPM_SINK_OK;
	out->accepted = (uint32_t)n;
}

static void null_destroy(struct bvapm_sink *sink)
{
	free(sink);
}

struct bvapm_sink *bvapm_sink_null_new(const struct bvapm_drainer_config *cfg, char *err,
                                       size_t errlen)
{
	struct bvapm_sink *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->name = "null";
	s->send = null_send;
	s->destroy = null_destroy;
	return s;
}
