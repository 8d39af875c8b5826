/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bvapm_module.c — the PHP extension's entry: INI settings, globals, module
 * and request lifecycle, the PHP functions, and `php --ri bvapm`.
 *
 * PHP at the edges: the files of agent/php/ (this one, bvapm_hooks.c,
 * bvapm_jobs.c, bvapm_observer.c, bvapm_routes.c, bvapm_sampling.c,
 * bvapm_sql_hooks.c, bvapm_cache_hooks.c, bvapm_curl_hooks.c,
 * bvapm_curl_handles.c, bvapm_stream_hooks.c) are the only ones that include
 * Zend headers; recording, encoding and the ring are plain C (agent/core/,
 * record/, ring/). INI values are read into the core at MINIT and again at
 * the first request after any change (php-fpm applies a pool's
 * php_admin_value in the worker, after MINIT).
 *
 * Settings are normalized here, once, before the core sees them, against
 * the core's table of bounds and defaults (agent_config.h, the same table
 * bvapm_agent_init() checks, so there is one set of bounds): a numeric
 * value out of its range is clamped to the nearest bound, a value that is not
 * a number (or a mode / profile word the agent does not know) gets the
 * default, and each such value gives one warning naming the setting, the
 * value given and the value used. The value used then replaces the given one
 * in the INI entry, so ini_get(), `php --ri bvapm` and phpinfo() show what is
 * in force. At start-up the warning is a PHP startup warning (PHP's error log
 * — php-fpm's log, the CLI's stderr — and the display of startup errors);
 * during a request (a pool's php_admin_value) it only goes to the error log,
 * so a request's output never changes.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <limits.h>
#include <stdarg.h>

#include "php.h"
#include "php_ini.h"
#include "ext/standard/info.h"
#include "SAPI.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>

#include "agent/core/agent_core.h"
#include "php_bvapm.h"
#include "bvapm_heap_usage.h"
#include "agent/core/profile_fold.h"
#include "ring/ring_common.h" /* the ring ABI, for php --ri */
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
/* Numeric settings: the text is parsed, checked and stored by
 * normalize_numbers() (at MINIT and at the first request after a change), so
 * that a value out of range or not a number gives exactly one warning. */
static ZEND_INI_MH(on_update_number)
{
	(void)entry, (void)new_value, (void)mh_arg1, (void)mh_arg2, (void)mh_arg3, (void)stage;
	BVAPM_G(ini_changed) = true;
	return SUCCESS;
}

/* Defaults of the numeric settings, spelled from the core's (agent_config.h). */
#define INI_NUMBER(x) INI_NUMBER_(x)
#define INI_NUMBER_(x) #x
#define DEF_SAMPLE_RATE INI_NUMBER(BVAPM_DEFAULT_SAMPLE_RATE)
#define DEF_SLOW_THRESHOLD_MS INI_NUMBER(BVAPM_DEFAULT_SLOW_THRESHOLD_MS)
#define DEF_OVERHEAD_BUDGET_US INI_NUMBER(BVAPM_DEFAULT_OVERHEAD_BUDGET_US)
#define DEF_MAX_CHECKPOINTS INI_NUMBER(BVAPM_DEFAULT_MAX_CHECKPOINTS)
#define DEF_RECORD_BUFFER_SIZE INI_NUMBER(BVAPM_DEFAULT_RECORD_BUFFER_SIZE)
#define DEF_PROFILE_TOP_N INI_NUMBER(BVAPM_DEFAULT_PROFILE_TOP_N)
#define DEF_PROFILE_FOLD_NS INI_NUMBER(BVAPM_DEFAULT_PROFILE_FOLD_NS)
#define DEF_PROFILE_MAX_FUNCTIONS INI_NUMBER(BVAPM_DEFAULT_PROFILE_MAX_FUNCTIONS)
#define DEF_SQL_N_PLUS_ONE_THRESHOLD INI_NUMBER(BVAPM_DEFAULT_SQL_N_PLUS_ONE_THRESHOLD)
#define DEF_SQL_MAX_STATEMENTS INI_NUMBER(BVAPM_DEFAULT_SQL_MAX_STATEMENTS)

/* Every setting is PHP_INI_SYSTEM: php.ini, conf.d, or a pool's php_admin_value. */
PHP_INI_BEGIN()
	STD_PHP_INI_BOOLEAN("bvapm.enabled", "1", PHP_INI_SYSTEM, on_update_bool, enabled,
	                    zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_BOOLEAN("bvapm.cli_enabled", "0", PHP_INI_SYSTEM, on_update_bool, cli_enabled,
	                    zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.ring", "default", PHP_INI_SYSTEM, on_update_string, ring,
	                  zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.ring_owner", "bvapm", PHP_INI_SYSTEM, on_update_string, ring_owner,
	                  zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.mode", "light", PHP_INI_SYSTEM, on_update_string, mode,
	                  zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.sample_rate", DEF_SAMPLE_RATE, PHP_INI_SYSTEM, on_update_number, sample_rate,
	                  zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.slow_threshold_ms", DEF_SLOW_THRESHOLD_MS, PHP_INI_SYSTEM, on_update_number,
	                  slow_threshold_ms, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.overhead_budget_us", DEF_OVERHEAD_BUDGET_US, PHP_INI_SYSTEM, on_update_number,
	                  overhead_budget_us, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.max_checkpoints", DEF_MAX_CHECKPOINTS, PHP_INI_SYSTEM, on_update_number,
	                  max_checkpoints, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.record_buffer_size", DEF_RECORD_BUFFER_SIZE, PHP_INI_SYSTEM, on_update_number,
	                  record_buffer_size, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.profile", "auto", PHP_INI_SYSTEM, on_update_string, profile,
	                  zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.profile_top_n", DEF_PROFILE_TOP_N, PHP_INI_SYSTEM, on_update_number,
	                  profile_top_n, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.profile_max_functions", DEF_PROFILE_MAX_FUNCTIONS, PHP_INI_SYSTEM,
	                  on_update_number,
	                  profile_max_functions, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.profile_fold_ns", DEF_PROFILE_FOLD_NS, PHP_INI_SYSTEM, on_update_number,
	                  profile_fold_ns, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.profile_clock", "auto", PHP_INI_SYSTEM, on_update_string, profile_clock,
	                  zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.service", "", PHP_INI_SYSTEM, on_update_string, service,
	                  zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.force_header", "X-Bvapm-Profile", PHP_INI_SYSTEM, on_update_string,
	                  force_header, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.force_cookie", "bvapm_profile", PHP_INI_SYSTEM, on_update_string,
	                  force_cookie, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_BOOLEAN("bvapm.route_detection", "1", PHP_INI_SYSTEM, OnUpdateBool, route_detection,
	                    zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_BOOLEAN("bvapm.job_peak_reset", "0", PHP_INI_SYSTEM, OnUpdateBool, job_peak_reset,
	                    zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_BOOLEAN("bvapm.http_capture", "1", PHP_INI_SYSTEM, on_update_bool, http_capture,
	                    zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_BOOLEAN("bvapm.cache_capture", "1", PHP_INI_SYSTEM, on_update_bool, cache_capture,
	                    zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_BOOLEAN("bvapm.trace_propagation", "1", PHP_INI_SYSTEM, on_update_bool, trace_propagation,
	                    zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_BOOLEAN("bvapm.http_keep_query", "0", PHP_INI_SYSTEM, on_update_bool, http_keep_query,
	                    zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_BOOLEAN("bvapm.sql_capture", "1", PHP_INI_SYSTEM, on_update_bool, sql_capture,
	                    zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_BOOLEAN("bvapm.sql_keep_literals", "0", PHP_INI_SYSTEM, on_update_bool,
	                    sql_keep_literals, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.sql_n_plus_one_threshold", DEF_SQL_N_PLUS_ONE_THRESHOLD, PHP_INI_SYSTEM,
	                  on_update_number,
	                  sql_n_plus_one_threshold, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.sql_max_statements", DEF_SQL_MAX_STATEMENTS, PHP_INI_SYSTEM, on_update_number,
	                  sql_max_statements, zend_bvapm_globals, bvapm_globals)
	STD_PHP_INI_ENTRY("bvapm.sampling_hz", "0", PHP_INI_SYSTEM, on_update_number, sampling_hz,
	                  zend_bvapm_globals, bvapm_globals)
PHP_INI_END()

static void log_line(const char *line)
{
	php_log_err((char *)line);
}

/* True while MINIT runs: warnings are startup warnings then, log lines later. */
static bool in_startup;

/* One warning about a setting: a startup warning at MINIT (logged, and shown
 * where PHP shows startup errors), a line in PHP's error log during a request
 * (never in its output). */
static void setting_warning(const char *fmt, ...) ZEND_ATTRIBUTE_FORMAT(printf, 1, 2);
static void setting_warning(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (in_startup) {
		php_error_docref(NULL, E_WARNING, "%s", msg);
	} else {
		char line[544];
		snprintf(line, sizeof(line), "PHP Warning:  %s", msg);
		php_log_err(line);
	}
}

static zend_ini_entry *ini_entry(const char *name)
{
	return zend_hash_str_find_ptr(EG(ini_directives), name, strlen(name));
}

/* The text of a setting as given (php.ini, -d, php_admin_value). */
static const char *ini_text(const char *name)
{
	zend_ini_entry *e = ini_entry(name);

	return e != NULL && e->value != NULL ? ZSTR_VAL(e->value) : "";
}

/* Makes `text` the setting's value as ini_get(), php --ri and phpinfo() show
 * it: the value in force after a warning, not the one given. Settings are
 * PHP_INI_SYSTEM, so an entry is never modified at run time (ini_set); one
 * that is would be restored by the engine, and is left alone. */
static void show_value(const char *name, const char *text)
{
	zend_ini_entry *e = ini_entry(name);

	if (e == NULL || e->modified)
		return;
	zend_string *old = e->value;
	e->value = zend_string_init(text, strlen(text), 1);
	if (old != NULL)
		zend_string_release(old);
}

static bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* An integer as PHP writes quantities in INI files: decimal, optional sign,
 * optional K, M or G suffix (x1024, x1024², x1024³), blanks around. Too large
 * saturates (then the range check clamps it). Returns false when s is not
 * such a number. Not zend_ini_parse_quantity: that one reads garbage as 0
 * with a warning of its own ("interpreting as 0"), which is not the value
 * used here, and reports overflow the same way as garbage. */
static bool parse_integer(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	int shift = 0;

	if (end == s)
		return false;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	while (blank(*end))
		end++;
	if (*end != '\0')
		return false;
	if (shift != 0 && v > (LLONG_MAX >> shift))
		v = LLONG_MAX;
	else if (shift != 0 && v < (LLONG_MIN >> shift))
		v = LLONG_MIN;
	else
		v = (long long)((unsigned long long)v << shift);
	*out = v;
	return true;
}

/* A finite decimal number (zend_strtod: not locale dependent), blanks around. */
static bool parse_real(const char *s, double *out)
{
	const char *end;

	while (blank(*s))
		s++;
	double v = zend_strtod(s, &end);
	if (end == s)
		return false;
	while (blank(*end))
		end++;
	if (*end != '\0' || !zend_finite(v))
		return false;
	*out = v;
	return true;
}

/* The global a numeric setting is stored in: a zend_long, or the double
 * sample_rate (bvapm_agent_settings[s].real). A switch, so that a setting
 * added to the core's table and not here fails the build (-Wswitch). */
static void *number_global(enum bvapm_agent_setting s)
{
	switch (s) {
	case BVAPM_SETTING_SAMPLE_RATE: return &BVAPM_G(sample_rate);
	case BVAPM_SETTING_SLOW_THRESHOLD_MS: return &BVAPM_G(slow_threshold_ms);
	case BVAPM_SETTING_OVERHEAD_BUDGET_US: return &BVAPM_G(overhead_budget_us);
	case BVAPM_SETTING_MAX_CHECKPOINTS: return &BVAPM_G(max_checkpoints);
	case BVAPM_SETTING_RECORD_BUFFER_SIZE: return &BVAPM_G(record_buffer_size);
	case BVAPM_SETTING_PROFILE_MAX_FUNCTIONS: return &BVAPM_G(profile_max_functions);
	case BVAPM_SETTING_PROFILE_TOP_N: return &BVAPM_G(profile_top_n);
	case BVAPM_SETTING_SQL_N_PLUS_ONE_THRESHOLD: return &BVAPM_G(sql_n_plus_one_threshold);
	case BVAPM_SETTING_SQL_MAX_STATEMENTS: return &BVAPM_G(sql_max_statements);
	case BVAPM_SETTING_SAMPLING_HZ: return &BVAPM_G(sampling_hz);
	case BVAPM_SETTING_PROFILE_FOLD_NS: return &BVAPM_G(profile_fold_ns);
	case BVAPM_SETTING_COUNT: break;
	}
	return NULL;
}

static double load_number(enum bvapm_agent_setting s)
{
	void *g = number_global(s);

	return bvapm_agent_settings[s].real ? *(double *)g : (double)*(zend_long *)g;
}

static void store_number(enum bvapm_agent_setting s, double v)
{
	void *g = number_global(s);

	if (bvapm_agent_settings[s].real)
		*(double *)g = v;
	else
		*(zend_long *)g = (zend_long)v;
}

/* The value of setting b in force, from its text, with `hi` as its upper
 * bound (`why_hi` says where a bound lower than the setting's own comes
 * from): the value given when it is a number in range, the nearest bound when
 * out of range, the default when not a number; warns unless it is the value
 * given. Writes the value's text into
 * shown (the given text when it is in force). */
static double number_value(const struct bvapm_agent_setting_bounds *b, const char *text, double hi,
                           const char *why_hi, char *shown, size_t len)
{
	double v;
	long long i;
	bool ok = b->real ? parse_real(text, &v) : parse_integer(text, &i);

	snprintf(shown, len, "%s", text);
	if (!ok) {
		/* the default; below a lower bound taken from another setting, that bound */
		v = b->fallback;
		if (v > hi)
			v = hi;
		snprintf(shown, len, "%.15g", v);
		setting_warning("%s '%.64s' is not a number; using %s", b->name, text, shown);
		return v;
	}
	if (!b->real)
		v = (double)i;
	if (v >= b->lo && v <= hi)
		return v;
	double used = v < b->lo ? b->lo : hi;
	snprintf(shown, len, "%.15g", used);
	setting_warning("%s '%.64s' is out of range (%.15g to %.15g%s); using %s", b->name, text,
	                b->lo, hi, why_hi, shown);
	return used;
}

/* Parses, checks and stores every numeric setting (see the file comment)
 * against the core's bounds (bvapm_agent_settings, agent_config.h), in the
 * table's order: a setting bounded by another one (bvapm.profile_top_n, at
 * most bvapm.profile_max_functions: the core keeps no more functions than it
 * tracks) comes after it. */
static void normalize_numbers(void)
{
	for (int s = 0; s < BVAPM_SETTING_COUNT; s++) {
		const struct bvapm_agent_setting_bounds *b = &bvapm_agent_settings[s];
		const char *text = ini_text(b->name);
		double hi = b->hi;
		char why_hi[80] = "";
		char shown[64];

		if (b->at_most != BVAPM_SETTING_NONE && load_number(b->at_most) < hi) {
			hi = load_number(b->at_most);
			snprintf(why_hi, sizeof(why_hi), ", at most %s", bvapm_agent_settings[b->at_most].name);
		}
		double v = number_value(b, text, hi, why_hi, shown, sizeof(shown));
		store_number(s, v);
		if (strcmp(shown, text) != 0)
			show_value(b->name, shown);
	}
}

/* bvapm.mode as the agent's enum; an unknown word warns and is light. */
static enum bvapm_agent_mode normalize_mode(void)
{
	enum bvapm_agent_mode mode = bvapm_agent_mode_parse(BVAPM_G(mode));

	if (mode != 0)
		return mode;
	setting_warning("bvapm.mode '%.64s' is not light, aggressive or targeted; using light",
	                BVAPM_G(mode) != NULL ? BVAPM_G(mode) : "");
	show_value("bvapm.mode", "light");
	/* the global pointed into the replaced entry value */
	BVAPM_G(mode) = ZSTR_VAL(ini_entry("bvapm.mode")->value);
	return BVAPM_MODE_LIGHT;
}

/* bvapm.profile: whether the engine's observer is registered at start-up.
 * A registered observer costs every request of the process (the engine
 * rebuilds the internal functions' run-time caches at each request start,
 * ~110 000 instructions as callgrind counts them, profiled or not), so "auto" registers it only where
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
	setting_warning("bvapm.profile '%.64s' is not auto, 1 or 0; using auto", setting);
	show_value("bvapm.profile", "auto");
	BVAPM_G(profile) = ZSTR_VAL(ini_entry("bvapm.profile")->value);
	return mode == BVAPM_MODE_AGGRESSIVE || mode == BVAPM_MODE_TARGETED;
}

/* bvapm.profile_clock: "auto" lets the function profile time calls with the
 * TSC where the CPU and kernel say it is invariant (agent/core/profile_clock.h),
 * "clock_gettime" always reads CLOCK_MONOTONIC. */
static bool profile_clock_tsc(const char *setting)
{
	if (setting == NULL || setting[0] == '\0' || strcasecmp(setting, "auto") == 0)
		return true;
	if (strcasecmp(setting, "clock_gettime") == 0)
		return false;
	setting_warning("bvapm.profile_clock '%.64s' is not auto or clock_gettime; using auto", setting);
	show_value("bvapm.profile_clock", "auto");
	BVAPM_G(profile_clock) = ZSTR_VAL(ini_entry("bvapm.profile_clock")->value);
	return true;
}

/* bvapm.ring_owner: the user the drainer runs as (a name or a uid), whose
 * ring a worker of another user may write into besides root's and its own
 * (ring_open.c). The default names the packaged drainer's user; a host
 * without it trusts root and the worker's own user only, without a warning. */
static uid_t ring_owner_uid(void)
{
	const char *v = BVAPM_G(ring_owner);
	char *end = NULL;

	if (v == NULL || v[0] == '\0')
		return (uid_t)-1;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (end != v && *end == '\0' && errno == 0 && n < (unsigned long)(uid_t)-1)
		return (uid_t)n;
	struct passwd pw, *res = NULL;
	char buf[2048];
	if (getpwnam_r(v, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
		return pw.pw_uid;
	if (strcmp(v, "bvapm") != 0)
		setting_warning("bvapm.ring_owner '%s' is no user of this host; only rings owned by "
		                "root or this process's user are used", v);
	return (uid_t)-1;
}

/* The last configuration's answer of profile_wanted(). */
static bool profile_configured;

/* (Re)configures the core from the INI settings, normalized first. */
static void configure_core(void)
{
	normalize_numbers();
	enum bvapm_agent_mode mode = normalize_mode();
	struct bvapm_agent_config cfg;

	bvapm_agent_config_defaults(&cfg); /* host and attach retry: the core's defaults */
	cfg.enabled = BVAPM_G(enabled);
	cfg.ring_name = BVAPM_G(ring);
	cfg.ring_owner = ring_owner_uid();
	cfg.mode = mode;
	cfg.service = BVAPM_G(service);
	cfg.sql.capture = BVAPM_G(sql_capture);
	cfg.sql.keep_literals = BVAPM_G(sql_keep_literals);
	cfg.calls.http = BVAPM_G(http_capture);
	cfg.calls.cache = BVAPM_G(cache_capture);
	cfg.calls.propagate = BVAPM_G(trace_propagation);
	cfg.calls.keep_query = BVAPM_G(http_keep_query);
	for (int s = 0; s < BVAPM_SETTING_COUNT; s++)
		bvapm_agent_config_set_number(&cfg, s, load_number(s));
	cfg.profile = profile_configured = profile_wanted(BVAPM_G(profile), cfg.mode);
	cfg.profile_clock_tsc = profile_clock_tsc(BVAPM_G(profile_clock));
	if (strcmp(sapi_module.name, "cli") == 0 && !BVAPM_G(cli_enabled))
		cfg.enabled = false;
	/* -EINVAL (a value outside the bounds) cannot follow normalize_numbers();
	 * the core logs it all the same */
	if (bvapm_agent_init(&cfg, log_line) == -ENOMEM)
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
	in_startup = true;
	configure_core();
	in_startup = false;
	/* Once registered, the engine checks every call for observers (a few ns
	 * per call, whether or not this request is profiled), so a process whose
	 * agent is off or has no function profile does not register at all. */
	if (bvapm_agent_enabled() && profile_configured)
		bvapm_observer_register();
	bvapm_hooks_install();
	bvapm_sql_hooks_install();
	bvapm_cache_hooks_install();
	bvapm_curl_hooks_install();
	bvapm_stream_hooks_install();
	bvapm_routes_startup();
	bvapm_sampling_startup();
	return SUCCESS;
}

static PHP_MSHUTDOWN_FUNCTION(bvapm)
{
	bvapm_hooks_remove();
	bvapm_sampling_shutdown();
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
	bvapm_routes_request_begin();
	bvapm_sampling_request_begin();
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
	php_info_print_table_row(2, "Function profile clock", bvapm_agent_profile_clock(buf, sizeof(buf)));
	snprintf(buf, sizeof(buf), "%u", bvapm_profile_fold_count());
	php_info_print_table_row(2, "Built-in functions folded into their callers", buf);
	php_info_print_table_row(2, "Function profile memory",
	                         bvapm_heap_usage_found ? "heap usage word" : "zend_memory_usage");
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
