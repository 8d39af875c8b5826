/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_trace.c — the request's W3C trace context: an incoming traceparent
 * is continued (its trace id, its span as our parent, its sampled flag),
 * otherwise a trace is started (random id, sampled when the request is
 * kept from the start); each request is a new span. The trace id is shown
 * in hex by bvapm_trace_id() and in the worker's live slot.
 *
 * Threads: the PHP thread only; parsing is a pure function.
 */
#include <string.h>

#include "support/bvapm_text.h"
#include "agent_internal.h"

struct agent_trace agent_trace;

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* Lowercase hex only, as the W3C spec says. */
static int unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < 2 * n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (v < 0)
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return 0;
}

bool bvapm_agent_parse_traceparent(const char *h, uint8_t trace_id[16], uint8_t span_id[8],
                                   bool *sampled)
{
	uint8_t flags;

	/* version 00: "00-" 32 "-" 16 "-" 2 = 55 characters */
	if (h == NULL || strlen(h) < 55 || h[0] != '0' || h[1] != '0' || h[2] != '-' ||
	    h[35] != '-' || h[52] != '-' || (h[55] != '\0' && h[55] != '-'))
		return false;
	if (unhex(h + 3, trace_id, 16) != 0 || unhex(h + 36, span_id, 8) != 0 ||
	    unhex(h + 53, &flags, 1) != 0)
		return false;
	if (all_zero(trace_id, 16) || all_zero(span_id, 8))
		return false;
	*sampled = (flags & 1) != 0;
	return true;
}

void agent_trace_begin(const char *traceparent, bool kept)
{
	agent_trace.has_parent = bvapm_agent_parse_traceparent(
	    traceparent, agent_trace.trace_id, agent_trace.parent_span_id, &agent_trace.sampled);
	if (!agent_trace.has_parent) {
		agent_random_bytes(agent_trace.trace_id, 16);
		agent_trace.sampled = kept;
	}
	agent_random_bytes(agent_trace.span_id, 8);
	bvapm_hex_encode(agent_trace.hex, agent_trace.trace_id, 16);
}

void agent_trace_clear(void)
{
	agent_trace.hex[0] = '\0';
}

const char *bvapm_agent_trace_id(void)
{
	return agent_active ? agent_trace.hex : "";
}
