/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_jobs.c — one record per job in a long-running process (a queue
 * worker, a consumer loop): bvapm_job_start() and bvapm_job_end().
 *
 * A job is a request to the core (agent_core.h) with its own keep decision,
 * trace context, overhead guard, collections, SQL, function profile and
 * live slot; its record is a RequestProfile of kind Job: method "JOB", uri
 * and route its name, status the outcome the application gives (0
 * succeeded, anything else failed and kept as an error).
 *
 * The order of things in a process: the request the SAPI started (the
 * script run, when the agent records it — for php-cli, bvapm.cli_enabled)
 * ends at the first bvapm_job_start(): its record covers what ran before
 * (the worker's start-up). A job starting while another is open ends that
 * one first, as succeeded. Between jobs nothing is recorded. A job still
 * open when the script ends (exit(), an uncaught exception, a fatal error)
 * ends then, with the script's exit status, failed when that is not 0 or
 * the error was fatal; a worker killed mid-job leaves its live slot, which
 * the drainer turns into an aborted record of the job.
 *
 * Memory: the job's start and end usage; its peak is the engine's when the
 * peak rose during the job, else the most it is known to have used: its
 * start, end and checkpoints (agent_request_peak()). By default the agent
 * never resets the engine's peak, so the application's
 * memory_get_peak_usage() is what it would be without the agent; with
 * bvapm.job_peak_reset=1 each job starts with the peak reset (as PHP's
 * memory_reset_peak_usage() does), so every job's peak is exact and the
 * application's memory_get_peak_usage() is the current job's.
 *
 * Threads: NTS, the PHP thread only.
 */
#include "php.h"
#include "SAPI.h"

#include "agent/core/agent_core.h"
#include "php_bvapm.h"

#define JOB_NAME_MAX 256

static void job_end(zend_long status, bool failed)
{
	struct bvapm_agent_request_end e = {0};

	e.status = status < 0 || status > 0xffff ? 0xffff : (uint16_t)status;
	e.failed = failed || status != 0 || BVAPM_G(request_failed);
	e.mem_bytes = zend_memory_usage(0);
	e.mem_peak_bytes = zend_memory_peak_usage(0);
	e.mem_limit_bytes = PG(memory_limit) > 0 ? (uint64_t)PG(memory_limit) : 0;
	bvapm_agent_request_end(&e);
}

void bvapm_jobs_script_end(void)
{
	job_end(EG(exit_status), EG(exit_status) == 255);
}

/* The job's tags: string keys and scalar values only (converted without
 * running user code: no __toString); the rest is left out. */
static void job_tags(HashTable *tags)
{
	zend_string *key;
	zend_ulong index;
	zval *v;

	ZEND_HASH_FOREACH_KEY_VAL(tags, index, key, v) {
		char kbuf[24], vbuf[40];
		const char *k = kbuf, *val = vbuf;
		size_t klen, vlen;

		if (key != NULL) {
			k = ZSTR_VAL(key);
			klen = ZSTR_LEN(key);
		} else {
			klen = (size_t)snprintf(kbuf, sizeof(kbuf), ZEND_ULONG_FMT, index);
		}
		ZVAL_DEREF(v);
		switch (Z_TYPE_P(v)) {
		case IS_STRING: val = Z_STRVAL_P(v); vlen = Z_STRLEN_P(v); break;
		case IS_LONG: vlen = (size_t)snprintf(vbuf, sizeof(vbuf), ZEND_LONG_FMT, Z_LVAL_P(v)); break;
		case IS_DOUBLE: vlen = (size_t)snprintf(vbuf, sizeof(vbuf), "%.17g", Z_DVAL_P(v)); break;
		case IS_TRUE: val = "true"; vlen = 4; break;
		case IS_FALSE: val = "false"; vlen = 5; break;
		default: continue;
		}
		bvapm_agent_tag(k, klen, val, vlen);
	} ZEND_HASH_FOREACH_END();
}

ZEND_FUNCTION(bvapm_job_start)
{
	zend_string *name, *traceparent = NULL;
	HashTable *tags = NULL;
	char job_name[JOB_NAME_MAX + 1];

	ZEND_PARSE_PARAMETERS_START(1, 3)
		Z_PARAM_STR(name)
		Z_PARAM_OPTIONAL
		Z_PARAM_ARRAY_HT(tags)
		Z_PARAM_STR_OR_NULL(traceparent)
	ZEND_PARSE_PARAMETERS_END();
	if (!bvapm_agent_enabled())
		RETURN_FALSE;
	if (bvapm_agent_in_job())
		job_end(0, false);          /* the job before it ends, succeeded */
	else if (bvapm_agent_active())
		bvapm_hooks_request_end();  /* the script's request so far: its own record */

	snprintf(job_name, sizeof(job_name), "%s", ZSTR_LEN(name) > 0 ? ZSTR_VAL(name) : "job");
	if (BVAPM_G(job_peak_reset))
		zend_memory_reset_peak_usage();
	struct bvapm_agent_request_start s = {
		.method = "JOB",
		.uri = job_name,
		.script = job_name,
		.sapi = sapi_module.name,
		.traceparent = traceparent != NULL ? ZSTR_VAL(traceparent) : NULL,
		.forced = bvapm_hooks_forced(),
		.job = true,
		.mem_bytes = zend_memory_usage(0),
		.mem_peak_bytes = zend_memory_peak_usage(0),
	};
	BVAPM_G(request_failed) = false;
	bvapm_observer_request_begin();
	bvapm_agent_request_begin(&s);
	if (tags != NULL && bvapm_agent_active())
		job_tags(tags);
	RETURN_BOOL(bvapm_agent_active());
}

ZEND_FUNCTION(bvapm_job_end)
{
	zend_long status = 0;
	bool status_null = true;

	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG_OR_NULL(status, status_null)
	ZEND_PARSE_PARAMETERS_END();
	if (!bvapm_agent_in_job())
		RETURN_FALSE;
	job_end(status_null ? 0 : status, false);
	RETURN_TRUE;
}
