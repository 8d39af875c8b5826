/*
 * bvapm_module.c — the PHP extension's entry: INI settings, globals, module
 * and request lifecycle, the PHP functions, and `php --ri bvapm`.
 *
 * PHP at the edges: this file, bvapm_hooks.c and bvapm_observer.c are the
 * only ones that include Zend headers; recording, encoding and the ring are plain C
 * (agent_core.c, record/, ring/). INI values are read into the core at MINIT
 * and again at the first request after any change (php-fpm applies a pool's
 * php_admin_value in the worker, after MINIT).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "php_ini.h"
#include "ext/standard/info.h"
#include "SAPI.h"

#include "agent_core.h"
#include "php_bvapm.h"
#include "bvapm_arginfo.h"

ZEND_DECLARE_MODULE_GLOBALS(bvapm)

static ZEND_INI_MH(on_update_bool)
{
	BVAPM_G(ini_changed) = true;
	return OnUpdateBool(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}
static ZEND_INI_MH(on_update_string)
{
	BVAPM_G(ini_changed) = true;
	return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}
static ZEND_INI_MH(on_update_long)
{
	BVAPM_G(ini_changed) = true;
	return OnUpdateLong(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}
static ZEND_INI_MH(on_update_real)
{
	BVAPM_G(ini_changed) = true;
	return OnUpdateReal(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

/* Every setting is PHP_INI_SYSTEM: php.ini, conf.d, or a pool's php_admin_value. */
PHP_INI_BEGIN()
	STD_PHP_INI_BOOLEAN("bvapm.enabled", "1", PHP_INI_SYSTEM, on_update_bool, enabled,
	                    zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_BOOLEAN("bvapm.cli_enabled", "0", PHP_INI_SYSTEM, on_update_bool, cli_enabled,
	                    zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.ring", "default", PHP_INI_SYSTEM, on_update_string, ring,
	                  zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.mode", "light", PHP_INI_SYSTEM, on_update_string, mode,
	                  zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.sample_rate", "0.01", PHP_INI_SYSTEM, on_update_real, sample_rate,
	                  zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.slow_threshold_ms", "1000", PHP_INI_SYSTEM, on_update_long,
	                  slow_threshold_ms, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.overhead_budget_us", "2000", PHP_INI_SYSTEM, on_update_long,
	                  overhead_budget_us, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.max_checkpoints", "64", PHP_INI_SYSTEM, on_update_long,
	                  max_checkpoints, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.record_buffer_size", "262144", PHP_INI_SYSTEM, on_update_long,
	                  record_buffer_size, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.profile", "auto", PHP_INI_SYSTEM, on_update_string, profile,
	                  zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.profile_top_n", "50", PHP_INI_SYSTEM, on_update_long,
	                  profile_top_n, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.profile_max_functions", "1000", PHP_INI_SYSTEM, on_update_long,
	                  profile_max_functions, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.service", "", PHP_INI_SYSTEM, on_update_string, service,
	                  zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.force_header", "X-Bvapm-Profile", PHP_INI_SYSTEM, on_update_string,
	                  force_header, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.force_cookie", "bvapm_profile", PHP_INI_SYSTEM, on_update_string,
	                  force_cookie, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_BOOLEAN("bvapm.sql_capture", "1", PHP_INI_SYSTEM, on_update_bool, sql_capture,
	                    zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_BOOLEAN("bvapm.sql_keep_literals", "0", PHP_INI_SYSTEM, on_update_bool,
	                    sql_keep_literals, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.sql_n_plus_one_threshold", "10", PHP_INI_SYSTEM, on_update_long,
	                  sql_n_plus_one_threshold, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.sql_max_statements", "100", PHP_INI_SYSTEM, on_update_long,
	                  sql_max_statements, zend_bvapm_globals, bvapm_globals)
PHP_INI_END()

static void log_line(const char *line)
{
	php_log_err((char *)line);
}

static long clamp(zend_long v, long lo, long hi)
{
	return v < lo ? lo : v > hi ? hi : (long)v;
}

/* bvapm.profile: whether the engine's observer is registered at start-up.
 * A registered observer costs every request of the process (the engine
 * rebuilds the internal functions' run-time caches at each request start,
 * ~90 000 instructions, profiled or not), so "auto" registers it only where
 * function profiles are the point: aggressive and targeted modes. In light
 * mode (sampled summaries) forced requests then carry everything but the
 * function profile, unless bvapm.profile=1. */
static bool profile_wanted(const char *setting, enum bvapm_agent_mode mode)
{
	if (setting == NULL || strcasecmp(setting, "auto") == 0 || setting[0] == '\0')
		return mode == BVAPM_MODE_AGGRESSIVE || mode == BVAPM_MODE_TARGETED;
	if (strcmp(setting, "1") == 0 || strcasecmp(setting, "on") == 0 ||
	    strcasecmp(setting, "yes") == 0 || strcasecmp(setting, "true") == 0)
		return true;
	if (strcmp(setting, "0") == 0 || strcasecmp(setting, "off") == 0 ||
	    strcasecmp(setting, "no") == 0 || strcasecmp(setting, "false") == 0)
		return false;
	php_error_docref(NULL, E_WARNING, "bvapm.profile '%s' is not auto, 1 or 0; using auto",
	                 setting);
	return mode == BVAPM_MODE_AGGRESSIVE || mode == BVAPM_MODE_TARGETED;
}

/* The last configuration's answer of profile_wanted(). */
static bool profile_configured;

/* (Re)configures the core from the INI globals. */
static void configure_core(void)
{
	enum bvapm_agent_mode mode = bvapm_agent_mode_parse(BVAPM_G(mode));
	struct bvapm_agent_config cfg = {
		.enabled = BVAPM_G(enabled),
		.ring_name = BVAPM_G(ring),
		.mode = mode,
		.sample_rate = BVAPM_G(sample_rate),
		.slow_threshold_ms = (uint32_t)clamp(BVAPM_G(slow_threshold_ms), 0, 86400000),
		.overhead_budget_us = (uint32_t)clamp(BVAPM_G(overhead_budget_us), 0, 60000000),
		.max_checkpoints = (uint32_t)clamp(BVAPM_G(max_checkpoints), 1, BVAPM_AGENT_MAX_CHECKPOINTS),
		.record_buffer_size = (uint32_t)clamp(BVAPM_G(record_buffer_size), 4096, 16 << 20),
		.profile_top_n = (uint32_t)clamp(BVAPM_G(profile_top_n), 1, 10000),
		.profile_max_functions = (uint32_t)clamp(BVAPM_G(profile_max_functions), 16, 100000),
		.service = BVAPM_G(service),
		.sql = {
			.capture = BVAPM_G(sql_capture),
			.keep_literals = BVAPM_G(sql_keep_literals),
			.n_plus_one_threshold = (uint32_t)clamp(BVAPM_G(sql_n_plus_one_threshold), 0, 1000000),
			.max_statements = (uint32_t)clamp(BVAPM_G(sql_max_statements), 1, BVAPM_SQL_MAX_STATEMENTS),
		},
	};

	if (mode == 0) {
		php_error_docref(NULL, E_WARNING,
		                 "bvapm.mode '%s' is not light, aggressive or targeted; using light",
		                 BVAPM_G(mode));
		cfg.mode = BVAPM_MODE_LIGHT;
	}
	cfg.profile = profile_configured = profile_wanted(BVAPM_G(profile), cfg.mode);
	if (strcmp(sapi_module.name, "cli") == 0 && !BVAPM_G(cli_enabled))
		cfg.enabled = false;
	if (bvapm_agent_init(&cfg, log_line) != 0)
		php_log_err("bvapm: out of memory at start-up; the agent is off");
	BVAPM_G(ini_changed) = false;
}

static PHP_GINIT_FUNCTION(bvapm)
{
	memset(bvapm_globals, 0, sizeof(*bvapm_globals));
}

static PHP_MINIT_FUNCTION(bvapm)
{
	REGISTER_INI_ENTRIES();
	configure_core();
	/* Once registered, the engine checks every call for observers (a few ns
	 * per call, whether or not this request is profiled), so a process whose
	 * agent is off or has no function profile does not register at all. */
	if (bvapm_agent_enabled() && profile_configured)
		bvapm_observer_register();
	bvapm_hooks_install();
	bvapm_sql_hooks_install();
	return SUCCESS;
}

static PHP_MSHUTDOWN_FUNCTION(bvapm)
{
	bvapm_hooks_remove();
	bvapm_agent_shutdown();
	UNREGISTER_INI_ENTRIES();
	return SUCCESS;
}

static PHP_RINIT_FUNCTION(bvapm)
{
#if defined(ZTS) && defined(COMPILE_DL_BVAPM)
	ZEND_TSRMLS_CACHE_UPDATE();
#endif
	if (BVAPM_G(ini_changed))
		configure_core();
	bvapm_observer_request_begin();
	bvapm_hooks_request_begin();
	return SUCCESS;
}

static PHP_RSHUTDOWN_FUNCTION(bvapm)
{
	bvapm_hooks_request_end();
	return SUCCESS;
}

static PHP_MINFO_FUNCTION(bvapm)
{
	struct bvapm_agent_stats st;
	char buf[64];

	bvapm_agent_get_stats(&st);
	php_info_print_table_start();
	php_info_print_table_header(2, "bvapm support", "enabled");
	php_info_print_table_row(2, "Version", PHP_BVAPM_VERSION);
	php_info_print_table_row(2, "Ring ABI", BVAPM_RING_ABI_MAJOR == 1 ? "1.0" : "?");
	php_info_print_table_row(2, "Attached to the ring", bvapm_agent_attached() ? "yes" : "no");
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)st.recorded);
	php_info_print_table_row(2, "Records written by this process", buf);
	php_info_print_table_end();
	DISPLAY_INI_ENTRIES();
}

ZEND_FUNCTION(bvapm_checkpoint)
{
	zend_string *label;

	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(label)
	ZEND_PARSE_PARAMETERS_END();
	if (!bvapm_agent_active())
		RETURN_FALSE;
	bvapm_agent_checkpoint(ZSTR_VAL(label), ZSTR_LEN(label), zend_memory_usage(0),
	                       zend_memory_peak_usage(0));
	RETURN_TRUE;
}

ZEND_FUNCTION(bvapm_tag)
{
	zend_string *key, *value;

	ZEND_PARSE_PARAMETERS_START(2, 2)
		Z_PARAM_STR(key)
		Z_PARAM_STR(value)
	ZEND_PARSE_PARAMETERS_END();
	bvapm_agent_tag(ZSTR_VAL(key), ZSTR_LEN(key), ZSTR_VAL(value), ZSTR_LEN(value));
}

ZEND_FUNCTION(bvapm_route)
{
	zend_string *name;

	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(name)
	ZEND_PARSE_PARAMETERS_END();
	bvapm_agent_route(ZSTR_VAL(name), ZSTR_LEN(name));
}

ZEND_FUNCTION(bvapm_count)
{
	zend_string *name;
	zend_long by = 1;

	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_STR(name)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG(by)
	ZEND_PARSE_PARAMETERS_END();
	bvapm_agent_count(ZSTR_VAL(name), ZSTR_LEN(name), (int64_t)by);
}

ZEND_FUNCTION(bvapm_trace_id)
{
	ZEND_PARSE_PARAMETERS_NONE();
	RETURN_STRING(bvapm_agent_trace_id());
}

zend_module_entry bvapm_module_entry = {
	STANDARD_MODULE_HEADER,
	"bvapm",
	ext_functions,
	PHP_MINIT(bvapm),
	PHP_MSHUTDOWN(bvapm),
	PHP_RINIT(bvapm),
	PHP_RSHUTDOWN(bvapm),
	PHP_MINFO(bvapm),
	PHP_BVAPM_VERSION,
	PHP_MODULE_GLOBALS(bvapm),
	PHP_GINIT(bvapm),
	NULL,
	NULL,
	STANDARD_MODULE_PROPERTIES_EX,
};

#ifdef COMPILE_DL_BVAPM
#ifdef ZTS
ZEND_TSRMLS_CACHE_DEFINE()
#endif
ZEND_GET_MODULE(bvapm)
#endif
