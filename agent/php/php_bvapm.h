/* SPDX-License-Identifier: Apache-2.0 */
/*
 * php_bvapm.h — the extension's module entry, its INI-bound globals and the
 * entry points of the Zend-facing files, shared by the files of agent/php/
 * (bvapm_module.c, bvapm_hooks.c, bvapm_jobs.c, bvapm_observer.c,
 * bvapm_routes.c, bvapm_sampling.c, bvapm_sql_hooks.c, bvapm_cache_hooks.c,
 * bvapm_curl_hooks.c, bvapm_curl_handles.c, bvapm_stream_hooks.c): the only
 * ones that include Zend headers.
 */
#ifndef PHP_BVAPM_H
#define PHP_BVAPM_H

#include "php.h"

#define PHP_BVAPM_VERSION "0.1.0"

extern zend_module_entry bvapm_module_entry;
#define phpext_bvapm_ptr &bvapm_module_entry

ZEND_BEGIN_MODULE_GLOBALS(bvapm)
	bool enabled;
	bool cli_enabled;
	char *ring;
	char *ring_owner;          /* the drainer's user (name or uid), trusted as the ring's owner */
	char *mode;
	double sample_rate;
	zend_long slow_threshold_ms;
	zend_long overhead_budget_us;
	zend_long max_checkpoints;
	zend_long record_buffer_size;
	char *profile; /* "auto", "1"/"on", "0"/"off" */
	char *profile_clock; /* "auto", "clock_gettime" */
	zend_long profile_top_n;
	zend_long profile_max_functions;
	zend_long profile_fold_ns;
	char *service;
	char *force_header;
	char *force_cookie;
	bool http_capture;
	bool cache_capture;
	bool trace_propagation;
	bool http_keep_query;
	bool sql_capture;
	bool sql_keep_literals;
	zend_long sql_n_plus_one_threshold;
	zend_long sql_max_statements;
	zend_long sampling_hz;
	bool ini_changed;      /* an INI value changed since the core was configured */
	bool route_detection;  /* name endpoints from the framework's state (bvapm_routes.c) */
	bool job_peak_reset;   /* reset the engine's memory peak at each job start (bvapm_jobs.c) */
	bool request_failed;   /* a fatal error or uncaught exception in this request or job */
ZEND_END_MODULE_GLOBALS(bvapm)

ZEND_EXTERN_MODULE_GLOBALS(bvapm)
#define BVAPM_G(v) ZEND_MODULE_GLOBALS_ACCESSOR(bvapm, v)

/* bvapm_observer.c */
void bvapm_observer_register(void);
void bvapm_observer_request_begin(void);
/* Fatal errors and uncaught exceptions seen by zend_error_cb; true when it
 * recorded the error itself. */
bool bvapm_observer_error(int type, const char *type_name, zend_string *file, uint32_t line,
                          zend_string *message);

/* A frame's name as the profiles show it: "Class::method", "function",
 * "main" (the script), "include <file>". */
size_t bvapm_observer_frame_name(const zend_execute_data *ex, char *out, size_t cap);

/* bvapm_sampling.c: the statistical profile's engine side */
void bvapm_sampling_startup(void);       /* MINIT */
void bvapm_sampling_request_begin(void); /* RINIT, after the request began */
void bvapm_sampling_shutdown(void);      /* MSHUTDOWN: the interrupt hook removed */

/* bvapm_hooks.c */
void bvapm_hooks_install(void);
void bvapm_hooks_remove(void);
void bvapm_hooks_request_begin(void);
void bvapm_hooks_request_end(void);
/* The force header or cookie (CLI: BVAPM_PROFILE=1) is present. */
bool bvapm_hooks_forced(void);

/* bvapm_jobs.c: bvapm_job_start() / bvapm_job_end() */
void bvapm_jobs_script_end(void); /* RSHUTDOWN inside a job: it ends, with the exit status */

/* bvapm_routes.c: endpoints named from the framework's state */
void bvapm_routes_startup(void);       /* MINIT */
void bvapm_routes_request_begin(void); /* RINIT, after the request began */

/* bvapm_sql_hooks.c: wraps PDO / mysqli once every extension has started */
void bvapm_sql_hooks_install(void);

/* bvapm_cache_hooks.c: wraps Redis / Memcached once every extension has started */
void bvapm_cache_hooks_install(void);

/* bvapm_curl_hooks.c and bvapm_stream_hooks.c: outbound HTTP calls (curl,
 * http:// streams), installed once every extension has started; at the end
 * of a request or job, the calls still open end (multi transfers never
 * reported done, streams not closed). */
void bvapm_curl_hooks_install(void);
void bvapm_curl_request_end(void);
void bvapm_stream_hooks_install(void);
void bvapm_stream_request_end(void);

#endif
