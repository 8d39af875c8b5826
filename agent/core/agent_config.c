/*
 * agent_config.c — the words of the configuration: mode names both ways.
 */
#include <string.h>

#include "agent_config.h"

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
