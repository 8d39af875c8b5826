/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_head_fuzz.c — libFuzzer target over bvapm-report serve's request
 * head parser (tools/report/serve_http.c): whatever bytes a client sends
 * (up to the 8 KiB the server reads), parsing must not read or write
 * outside the request's buffer, must answer 0 or an HTTP error status with
 * a reason, and on success leave a path starting with '/' and parameters
 * that are NUL-terminated strings inside the buffer; the decoded path is
 * then checked the way the server matches it, and the values are escaped
 * as the pages do.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/report/html.h"
#include "tools/report/serve_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool inside(const struct http_request *r, const char *p)
{
	return p >= r->buf && p <= r->buf + HTTP_HEAD_MAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_request r;
	if (size > HTTP_HEAD_MAX)
		size = HTTP_HEAD_MAX;
	memset(&r, 0, sizeof r);
	memcpy(r.buf, data, size);
	r.len = size;
	const char *why = NULL;
	int st = http_parse_head(&r, &why);
	if (st != 0) {
		if (st < 400 || st > 599 || why == NULL)
			abort();
		return 0;
	}
	if (r.path == NULL || r.path[0] != '/' || !inside(&r, r.path) || r.n_params > HTTP_PARAMS_MAX)
		abort();
	if (r.host && !inside(&r, r.host))
		abort();
	FILE *sink = fopen("/dev/null", "w");
	for (size_t i = 0; i < r.n_params; i++) {
		if (!inside(&r, r.params[i].name) || !inside(&r, r.params[i].value))
			abort();
		html_text(sink, r.params[i].value);
		html_query_value(sink, r.params[i].name);
	}
	html_text(sink, r.path);
	fclose(sink);
	return 0;
}
