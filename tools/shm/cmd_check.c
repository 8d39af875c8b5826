/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_check.c — `bvapm-shm check`: read-only integrity walk of a live ring
 * (exit 1 when it finds problems). Never writes to the ring.
 */
#include <json-c/json.h>
#include <stdio.h>

#include "shm.h"

int shm_cmd_check(const struct shm_opts *global, int argc, char **argv)
{
	struct shm_opts opts = *global;
	const struct shm_opts *o = &opts;
	struct bvapm_ring_check_report rep;
	bvapm_ring *r = NULL;
	int rc = shm_parse_common(&opts, argc, argv, "", NULL, NULL, NULL,
	                          "check takes no arguments");

	if (rc != SHM_OK)
		return rc;
	rc = shm_open_ring(o, BVAPM_RING_READONLY, &r);
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
		json_object_object_add(j, "garbage_words", json_object_new_uint64(rep.garbage_words));
		shm_print_json(j);
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
