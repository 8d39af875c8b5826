/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_hooks.c — the engine-facing half of the extension: reads the facts of
 * a request from the SAPI and the engine (method, URI, script, incoming
 * traceparent, force header or cookie, memory, status) and watches errors
 * through zend_error_cb, which it chains (the previous callback always runs,
 * first, so PHP's own error handling and output are unchanged). A job open
 * when the script ends is ended by bvapm_jobs.c.
 */
#include "php.h"
#include "SAPI.h"
#include "zend_exceptions.h"

#include "agent/core/agent_core.h"
#include "php_bvapm.h"

static void (*previous_error_cb)(int type, zend_string *file, const uint32_t line,
                                 zend_string *message);

#define FATAL_ERRORS (E_ERROR | E_CORE_ERROR | E_COMPILE_ERROR | E_USER_ERROR | E_RECOVERABLE_ERROR | E_PARSE)

static const char *error_type_name(int type)
{
	switch (type) {
	case E_ERROR: case E_CORE_ERROR: case E_COMPILE_ERROR: case E_USER_ERROR: return "E_ERROR";
	case E_RECOVERABLE_ERROR: return "E_RECOVERABLE_ERROR";
	case E_PARSE: return "E_PARSE";
	case E_WARNING: case E_CORE_WARNING: case E_COMPILE_WARNING: case E_USER_WARNING: return "E_WARNING";
	case E_NOTICE: case E_USER_NOTICE: return "E_NOTICE";
	case E_DEPRECATED: case E_USER_DEPRECATED: return "E_DEPRECATED";
	}
	return "E_UNKNOWN";
}

static void error_cb(int type, zend_string *file, const uint32_t line, zend_string *message)
{
	int kind = type & E_ALL;

	if (bvapm_agent_active()) {
		if (kind & FATAL_ERRORS)
			BVAPM_G(request_failed) = true;
		/* fatal errors and uncaught exceptions: bvapm_observer.c */
		if (!bvapm_observer_error(type, error_type_name(kind), file, line, message))
			bvapm_agent_error(error_type_name(kind), message ? ZSTR_VAL(message) : "",
			                  message ? ZSTR_LEN(message) : 0, file ? ZSTR_VAL(file) : NULL, line);
	}
	previous_error_cb(type, file, line, message);
}

void bvapm_hooks_install(void)
{
	previous_error_cb = zend_error_cb;
	zend_error_cb = error_cb;
}

void bvapm_hooks_remove(void)
{
	if (zend_error_cb == error_cb)
		zend_error_cb = previous_error_cb;
}

/* "HTTP_X_BVAPM_PROFILE" from "X-Bvapm-Profile". */
static void cgi_name(const char *header, char *out, size_t cap)
{
	size_t n = snprintf(out, cap, "HTTP_");
	for (; *header && n + 1 < cap; header++)
		out[n++] = *header == '-' ? '_' : (char)toupper((unsigned char)*header);
	out[n] = '\0';
}

static bool header_present(const char *header)
{
	char name[128];

	if (header == NULL || header[0] == '\0')
		return false;
	cgi_name(header, name, sizeof(name));
	char *v = sapi_getenv(name, strlen(name));
	bool present = v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
	if (v != NULL)
		efree(v);
	return present;
}

static bool cookie_present(const char *cookie)
{
	const char *jar = SG(request_info).cookie_data;
	size_t n = cookie ? strlen(cookie) : 0;

	if (jar == NULL || n == 0)
		return false;
	for (const char *p = jar; (p = strstr(p, cookie)) != NULL; p += n) {
		bool starts = p == jar || p[-1] == ' ' || p[-1] == ';';
		if (starts && p[n] == '=' && p[n + 1] != '\0' && p[n + 1] != ';' && p[n + 1] != '0')
			return true;
	}
	return false;
}

/* CLI only: the environment does not change between the requests of one
 * process, so TRACEPARENT, TRACESTATE and BVAPM_PROFILE are read once. */
static const char *cli_traceparent, *cli_tracestate;
static bool cli_forced, cli_env_read;

static void read_cli_env(void)
{
	const char *p = getenv("BVAPM_PROFILE");

	cli_traceparent = getenv("TRACEPARENT");
	cli_tracestate = cli_traceparent != NULL ? getenv("TRACESTATE") : NULL;
	cli_forced = p != NULL && strcmp(p, "1") == 0;
	cli_env_read = true;
}

bool bvapm_hooks_forced(void)
{
	if (strcmp(sapi_module.name, "cli") == 0) {
		if (!cli_env_read)
			read_cli_env();
		return cli_forced;
	}
	return header_present(BVAPM_G(force_header)) || header_present("X-Force-Memory-Profile") ||
	       cookie_present(BVAPM_G(force_cookie));
}

void bvapm_hooks_request_begin(void)
{
	struct bvapm_agent_request_start s = {0};
	bool cli = strcmp(sapi_module.name, "cli") == 0;

	if (!bvapm_agent_enabled())
		return;
	if (cli && !cli_env_read)
		read_cli_env();
	char *traceparent = cli ? NULL : sapi_getenv("HTTP_TRACEPARENT", sizeof("HTTP_TRACEPARENT") - 1);
	char *tracestate = cli || traceparent == NULL
	                       ? NULL
	                       : sapi_getenv("HTTP_TRACESTATE", sizeof("HTTP_TRACESTATE") - 1);
	/* The path the client asked for (a front controller's SAPI request_uri
	 * is its script name); the query string is left out: it often carries
	 * tokens and personal data. */
	char *request_uri = cli ? NULL : sapi_getenv("REQUEST_URI", sizeof("REQUEST_URI") - 1);
	if (request_uri != NULL)
		request_uri[strcspn(request_uri, "?#")] = '\0';

	BVAPM_G(request_failed) = false;
	s.method = SG(request_info).request_method ? SG(request_info).request_method : (cli ? "CLI" : "");
	s.uri = request_uri != NULL && request_uri[0] != '\0' ? request_uri
	        : SG(request_info).request_uri ? SG(request_info).request_uri
	                                      : SG(request_info).path_translated;
	s.script = SG(request_info).path_translated;
	s.sapi = sapi_module.name;
	s.traceparent = cli ? cli_traceparent : traceparent;
	s.tracestate = cli ? cli_tracestate : tracestate;
	s.forced = bvapm_hooks_forced();
	s.mem_bytes = zend_memory_usage(0);
	s.mem_peak_bytes = zend_memory_peak_usage(0);
	bvapm_agent_request_begin(&s);
	if (traceparent != NULL)
		efree(traceparent);
	if (tracestate != NULL)
		efree(tracestate);
	if (request_uri != NULL)
		efree(request_uri);
}

void bvapm_hooks_request_end(void)
{
	struct bvapm_agent_request_end e = {0};

	if (bvapm_agent_in_job()) {
		bvapm_jobs_script_end(); /* the script ended inside a job */
		return;
	}
	if (!bvapm_agent_active())
		return;
	e.status = (uint16_t)(SG(sapi_headers).http_response_code > 0 ? SG(sapi_headers).http_response_code : 0);
	if (strcmp(sapi_module.name, "cli") == 0)
		e.status = 0;
	e.failed = BVAPM_G(request_failed) || EG(exit_status) == 255;
	e.mem_bytes = zend_memory_usage(0);
	e.mem_peak_bytes = zend_memory_peak_usage(0);
	e.mem_limit_bytes = PG(memory_limit) > 0 ? (uint64_t)PG(memory_limit) : 0;
	bvapm_agent_request_end(&e);
}
