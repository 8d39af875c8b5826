/*
 * cmd_check.c — `bvapm-shm check`: read-only integrity walk (exit 1 when it
 * finds problems), and `disable` / `enable` for the host-wide kill switch.
 */
#include <json-c/json.h>
#include <stdio.h>

#include "shm.h"

int shm_cmd_check(const struct shm_opts *o, int argc, char **argv)
{
	struct bvapm_ring_check_report rep;
	bvapm_ring *r = NULL;
	int rc = shm_open_ring(o, BVAPM_RING_READONLY, &r);

	if (rc != SHM_OK)
		return rc;
	int problems = bvapm_ring_check(r, &rep);
	if (o->json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "healthy", json_object_new_boolean(problems == 0));
		json_object_object_add(j, "problems", json_object_new_int(problems));
		json_object_object_add(j, "first_problem",
		                       problems ? json_object_new_string(rep.first_problem) : NULL);
		json_object_object_add(j, "committed_records", json_object_new_uint64(rep.committed));
		json_object_object_add(j, "committed_bytes", json_object_new_uint64(rep.committed_bytes));
		json_object_object_add(j, "reserved_records", json_object_new_uint64(rep.reserved));
		json_object_object_add(j, "skip_records", json_object_new_uint64(rep.skipped));
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
		json_object_put(j);
	} else if (problems == 0) {
		printf("ok: %llu committed records waiting, %llu in progress, %llu skipped\n",
		       (unsigned long long)rep.committed, (unsigned long long)rep.reserved,
		       (unsigned long long)rep.skipped);
	} else {
		printf("PROBLEMS: %d; first: %s\n", problems, rep.first_problem);
	}
	bvapm_ring_close(r);
	return problems == 0 ? SHM_OK : SHM_PROBLEMS;
}

static int set_kill_switch(const struct shm_opts *o, uint32_t on)
{
	struct bvapm_ring_control ctl;
	bvapm_ring *r = NULL;
	int rc = shm_open_ring(o, BVAPM_RING_INSPECTOR, &r);

	if (rc != SHM_OK)
		return rc;
	bvapm_ring_get_control(r, &ctl);
	if (bvapm_ring_set_control(r, on, ctl.mode_override) != 0) {
		fprintf(stderr, "bvapm-shm: no write permission on the ring: cannot %s it\n",
		        on ? "disable" : "enable");
		bvapm_ring_close(r);
		return SHM_PERMISSION;
	}
	if (o->json)
		printf("{ \"disabled\": %s }\n", on ? "true" : "false");
	else
		printf("agents %s from their next request\n", on ? "DISABLED" : "enabled");
	bvapm_ring_close(r);
	return SHM_OK;
}

int shm_cmd_disable(const struct shm_opts *o, int argc, char **argv) { return set_kill_switch(o, 1); }
int shm_cmd_enable(const struct shm_opts *o, int argc, char **argv) { return set_kill_switch(o, 0); }
