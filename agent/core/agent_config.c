/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_config.c — the bounds and defaults of the numeric settings (one
 * table, for the module's normalization and the core's check), the
 * defaults initializer, the check bvapm_agent_init() makes, and the mode
 * names.
 *
 * The bounds: max_checkpoints and sql_max_statements size fixed tables
 * (BVAPM_AGENT_MAX_CHECKPOINTS, BVAPM_SQL_MAX_STATEMENTS); record_buffer_size
 * runs from 4 KiB to 16 MiB; slow_threshold_ms up to a day,
 * overhead_budget_us up to a minute (0 turns either off); profile_top_n is
 * at most profile_max_functions (a record lists no more functions than the
 * profiler tracks).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent_config.h"
#include "ring/ring_common.h" /* BVAPM_RING_DEFAULT_NAME */

#define WHOLE(setting, field, lo, hi, def, at_most) \
	{"bvapm." setting, false, lo, hi, def, at_most, offsetof(struct bvapm_agent_config, field)}

const struct bvapm_agent_setting_bounds bvapm_agent_settings[BVAPM_SETTING_COUNT] = {
	[BVAPM_SETTING_SAMPLE_RATE] = {"bvapm.sample_rate", true, 0, 1, BVAPM_DEFAULT_SAMPLE_RATE,
	                               BVAPM_SETTING_NONE,
	                               offsetof(struct bvapm_agent_config, sample_rate)},
	[BVAPM_SETTING_SLOW_THRESHOLD_MS] = WHOLE("slow_threshold_ms", slow_threshold_ms, 0, 86400000,
	                                          BVAPM_DEFAULT_SLOW_THRESHOLD_MS, BVAPM_SETTING_NONE),
	[BVAPM_SETTING_OVERHEAD_BUDGET_US] = WHOLE("overhead_budget_us", overhead_budget_us, 0, 60000000,
	                                           BVAPM_DEFAULT_OVERHEAD_BUDGET_US, BVAPM_SETTING_NONE),
	[BVAPM_SETTING_MAX_CHECKPOINTS] = WHOLE("max_checkpoints", max_checkpoints, 1,
	                                        BVAPM_AGENT_MAX_CHECKPOINTS,
	                                        BVAPM_DEFAULT_MAX_CHECKPOINTS, BVAPM_SETTING_NONE),
	[BVAPM_SETTING_RECORD_BUFFER_SIZE] = WHOLE("record_buffer_size", record_buffer_size, 4096,
	                                           16 << 20, BVAPM_DEFAULT_RECORD_BUFFER_SIZE,
	                                           BVAPM_SETTING_NONE),
	[BVAPM_SETTING_PROFILE_MAX_FUNCTIONS] = WHOLE("profile_max_functions", profile_max_functions,
	                                              16, 100000, BVAPM_DEFAULT_PROFILE_MAX_FUNCTIONS,
	                                              BVAPM_SETTING_NONE),
	[BVAPM_SETTING_PROFILE_TOP_N] = WHOLE("profile_top_n", profile_top_n, 1, 10000,
	                                      BVAPM_DEFAULT_PROFILE_TOP_N,
	                                      BVAPM_SETTING_PROFILE_MAX_FUNCTIONS),
	[BVAPM_SETTING_SQL_N_PLUS_ONE_THRESHOLD] = WHOLE("sql_n_plus_one_threshold",
	                                                 sql.n_plus_one_threshold, 0, 1000000,
	                                                 BVAPM_DEFAULT_SQL_N_PLUS_ONE_THRESHOLD,
	                                                 BVAPM_SETTING_NONE),
	[BVAPM_SETTING_SQL_MAX_STATEMENTS] = WHOLE("sql_max_statements", sql.max_statements, 1,
	                                           BVAPM_SQL_MAX_STATEMENTS,
	                                           BVAPM_DEFAULT_SQL_MAX_STATEMENTS, BVAPM_SETTING_NONE),
	[BVAPM_SETTING_SAMPLING_HZ] = WHOLE("sampling_hz", sampling_hz, 0, 1000, 0, BVAPM_SETTING_NONE),
	[BVAPM_SETTING_PROFILE_FOLD_NS] = WHOLE("profile_fold_ns", profile_fold_ns, 0, 1000000000,
	                                        BVAPM_DEFAULT_PROFILE_FOLD_NS, BVAPM_SETTING_NONE),
};

double bvapm_agent_config_number(const struct bvapm_agent_config *cfg, enum bvapm_agent_setting s)
{
	const struct bvapm_agent_setting_bounds *b = &bvapm_agent_settings[s];
	const char *field = (const char *)cfg + b->offset;

	if (b->real)
		return *(const double *)(const void *)field;
	return (double)*(const uint32_t *)(const void *)field;
}

void bvapm_agent_config_set_number(struct bvapm_agent_config *cfg, enum bvapm_agent_setting s,
                                   double v)
{
	const struct bvapm_agent_setting_bounds *b = &bvapm_agent_settings[s];
	char *field = (char *)cfg + b->offset;

	if (b->real)
		*(double *)(void *)field = v;
	else
		*(uint32_t *)(void *)field = (uint32_t)v;
}

void bvapm_agent_config_defaults(struct bvapm_agent_config *cfg)
{
	*cfg = (struct bvapm_agent_config){
		.enabled = true,
		.ring_name = BVAPM_RING_DEFAULT_NAME,
		.mode = BVAPM_MODE_LIGHT,
		.profile = false, /* bvapm.profile=auto: no observer in light mode */
		.profile_clock_tsc = true, /* bvapm.profile_clock=auto */
		.service = "",
		.sql = {.capture = true, .keep_literals = false},
		.calls = {.http = true, .cache = true, .propagate = true, .keep_query = false},
		.host = NULL,
		.attach_retry_ms = BVAPM_AGENT_ATTACH_RETRY_MS,
		.ring_owner = (uid_t)-1,
	};
	for (int s = 0; s < BVAPM_SETTING_COUNT; s++)
		bvapm_agent_config_set_number(cfg, s, bvapm_agent_settings[s].fallback);
}

int bvapm_agent_config_check(const struct bvapm_agent_config *cfg, char *why, size_t len)
{
	if (cfg->mode < BVAPM_MODE_LIGHT || cfg->mode > BVAPM_MODE_TARGETED) {
		snprintf(why, len, "bvapm.mode %d is not light, aggressive or targeted", (int)cfg->mode);
		return -EINVAL;
	}
	for (int s = 0; s < BVAPM_SETTING_COUNT; s++) {
		const struct bvapm_agent_setting_bounds *b = &bvapm_agent_settings[s];
		double v = bvapm_agent_config_number(cfg, s), hi = b->hi;
		const char *bound = "";

		if (b->at_most != BVAPM_SETTING_NONE && bvapm_agent_config_number(cfg, b->at_most) < hi) {
			hi = bvapm_agent_config_number(cfg, b->at_most);
			bound = bvapm_agent_settings[b->at_most].name;
		}
		if (v >= b->lo && v <= hi) /* false for NaN too */
			continue;
		snprintf(why, len, "%s %.15g is out of range (%.15g to %.15g%s%s)", b->name, v, b->lo, hi,
		         bound[0] ? ", at most " : "", bound);
		return -EINVAL;
	}
	if (cfg->attach_retry_ms == 0) {
		snprintf(why, len, "attach_retry_ms 0 is out of range (at least 1)");
		return -EINVAL;
	}
	return 0;
}

enum bvapm_agent_mode bvapm_agent_mode_parse(const char *name)
{
	if (name == NULL)
		return 0;
	if (strcmp(name, "light") == 0)
		return BVAPM_MODE_LIGHT;
	if (strcmp(name, "aggressive") == 0)
		return BVAPM_MODE_AGGRESSIVE;
	if (strcmp(name, "targeted") == 0)
		return BVAPM_MODE_TARGETED;
	return 0;
}

const char *bvapm_agent_mode_name(enum bvapm_agent_mode mode)
{
	switch (mode) {
	case BVAPM_MODE_LIGHT: return "light";
	case BVAPM_MODE_AGGRESSIVE: return "aggressive";
	case BVAPM_MODE_TARGETED: return "targeted";
	}
	return "unknown";
}
