/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_control.c — `bvapm-shm disable` / `enable [--mode MODE]`: the host-wide
 * kill switch and the mode override in the ring header, and how both are
 * shown (with who changed them, and when) by stat, enable and disable.
 *
 * The words are written with bvapm_ring_set_control: who/when first, then a
 * store fence, then the override and the switch, so an agent that sees the new
 * switch also finds who set it. Agents read both at the start of each request
 * (one relaxed load each); a change applies from the next request. Two
 * operators changing them at once: the last writer wins (each command writes
 * both words, keeping the one it does not change as it read it).
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "record/record.h"
#include "shm.h"

/* Mode numbers are the agent's (agent/core/agent_config.h, enum bvapm_agent_mode)
 * and the record schema's (enum Mode): 1 light, 2 aggressive, 3 targeted. */
static const struct {
	const char *name;
	uint32_t value;
} modes[] = {
	{"none", 0},
	{"light", BVAPM_REC_MODE_LIGHT},
	{"aggressive", BVAPM_REC_MODE_AGGRESSIVE},
	{"targeted", BVAPM_REC_MODE_TARGETED},
};

const char *shm_mode_name(uint32_t value)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (modes[i].value == value)
			return modes[i].name;
	return "unknown";
}

int shm_mode_parse(const char *name, uint32_t *value)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(modes[i].name, name) == 0) {
			*value = modes[i].value;
			return 0;
		}
	return -1;
}

/* "alice" from a uid, or "" when the system does not know it. */
static const char *user_name(uint32_t uid, char *buf, size_t len)
{
	struct passwd pw, *found = NULL;
	char tmp[1024];

	buf[0] = '\0';
	if (getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &found) == 0 && found != NULL)
		snprintf(buf, len, "%s", found->pw_name);
	return buf;
}

/* "2026-11-29T17:20:01Z" */
static const char *utc_time(uint64_t unix_ns, char *buf, size_t len)
{
	time_t t = (time_t)(unix_ns / 1000000000u);
	struct tm tm;

	buf[0] = '\0';
	if (gmtime_r(&t, &tm) != NULL)
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

json_object *shm_control_json(const struct bvapm_ring_control *ctl)
{
	json_object *j = json_object_new_object();
	char user[64], when[32];

	json_object_object_add(j, "disabled", json_object_new_boolean(ctl->kill_switch != 0));
	json_object_object_add(j, "mode_override", json_object_new_int((int)ctl->mode_override));
	json_object_object_add(j, "mode_override_name",
	                       json_object_new_string(shm_mode_name(ctl->mode_override)));
	json_object_object_add(j, "changed_unix_ns", json_object_new_uint64(ctl->changed_ns));
	if (ctl->changed_ns != 0) {
		json_object_object_add(j, "changed_at",
		                       json_object_new_string(utc_time(ctl->changed_ns, when, sizeof(when))));
		user_name(ctl->changed_uid, user, sizeof(user));
		json_object_object_add(j, "changed_by_user", user[0] ? json_object_new_string(user) : NULL);
	} else {
		json_object_object_add(j, "changed_at", NULL);
		json_object_object_add(j, "changed_by_user", NULL);
	}
	json_object_object_add(j, "changed_by_uid", json_object_new_int((int)ctl->changed_uid));
	json_object_object_add(j, "changed_by_pid", json_object_new_int((int)ctl->changed_pid));
	return j;
}

void shm_control_text(const struct bvapm_ring_control *ctl)
{
	char user[64], when[32];

	printf("control    %s, mode override %s",
	       ctl->kill_switch ? "DISABLED (kill switch on)" : "enabled",
	       shm_mode_name(ctl->mode_override));
	if (ctl->changed_ns == 0) {
		printf(" (never changed)\n");
		return;
	}
	user_name(ctl->changed_uid, user, sizeof(user));
	printf("\n           changed %s by %s (uid %u), pid %u\n",
	       utc_time(ctl->changed_ns, when, sizeof(when)), user[0] ? user : "?", ctl->changed_uid,
	       ctl->changed_pid);
}

static int set_control(const struct shm_opts *o, bool disable, bool set_mode, uint32_t mode)
{
	struct bvapm_ring_control ctl;
	bvapm_ring *r = NULL;
	int rc = shm_open_ring(o, BVAPM_RING_INSPECTOR, &r);

	if (rc != SHM_OK)
		return rc;
	bvapm_ring_get_control(r, &ctl);
	if (bvapm_ring_set_control(r, disable ? 1 : 0, set_mode ? mode : ctl.mode_override) != 0) {
		bvapm_ring_close(r);
		return shm_fail(o, SHM_PERMISSION,
		                "no write permission on the ring: cannot %s it (run as the ring's "
		                "owner or a member of its group)",
		                disable ? "disable" : "enable");
	}
	bvapm_ring_get_control(r, &ctl);
	if (o->json) {
		shm_print_json(shm_control_json(&ctl));
	} else {
		printf("agents %s from their next request, mode override %s\n",
		       disable ? "DISABLED" : "enabled", shm_mode_name(ctl.mode_override));
	}
	bvapm_ring_close(r);
	return SHM_OK;
}

int shm_cmd_disable(const struct shm_opts *global, int argc, char **argv)
{
	struct shm_opts o = *global;
	int rc = shm_parse_common(&o, argc, argv, "", NULL, NULL, NULL,
	                          "disable takes no arguments");

	if (rc != SHM_OK)
		return rc;
	return set_control(&o, true, false, 0);
}

static int enable_option(struct shm_opts *o, int opt, const char *arg, void *ctx)
{
	uint32_t *mode = ctx;

	if (opt != 'm')
		return -1;
	if (shm_mode_parse(arg, &mode[0]) != 0)
		return shm_fail(o, SHM_USAGE, "unknown mode '%s' (light, aggressive, targeted or none)",
		                arg);
	mode[1] = 1;
	return SHM_OK;
}

int shm_cmd_enable(const struct shm_opts *global, int argc, char **argv)
{
	static const struct option opts[] = {
		{"mode", required_argument, NULL, 'm'},
		{NULL, 0, NULL, 0},
	};
	struct shm_opts o = *global;
	uint32_t mode[2] = {0, 0}; /* value, given */
	int rc = shm_parse_common(&o, argc, argv, "m:", opts, enable_option, mode,
	                          "enable takes no arguments besides --mode");

	if (rc != SHM_OK)
		return rc;
	return set_control(&o, false, mode[1] != 0, mode[0]);
}
