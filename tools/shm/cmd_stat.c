/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_stat.c — `bvapm-shm stat`: one snapshot of the ring's header and slot
 * table, for people (aligned text) or scripts (--json); with --watch, rates
 * per interval (cmd_watch.c). Read-only mapping: never writes to the ring.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "shm.h"

static json_object *stats_json(const struct bvapm_ring_stats *st)
{
	json_object *j = json_object_new_object(), *lost = json_object_new_object();
	json_object *drainer = json_object_new_object(), *slots = json_object_new_object();
	json_object *control = shm_control_json(&st->control);

	json_object_object_add(j, "path", json_object_new_string(st->path));
	json_object_object_add(j, "abi_major", json_object_new_int((int)st->abi_major));
	json_object_object_add(j, "abi_minor", json_object_new_int((int)st->abi_minor));
	json_object_object_add(j, "capacity_bytes", json_object_new_uint64(st->capacity));
	json_object_object_add(j, "max_record_bytes", json_object_new_uint64(st->max_record));
	json_object_object_add(j, "used_bytes", json_object_new_uint64(st->used_bytes));
	json_object_object_add(j, "fill_ratio",
	                       json_object_new_double((double)st->used_bytes / (double)st->capacity));
	json_object_object_add(j, "head", json_object_new_uint64(st->head));
	json_object_object_add(j, "tail", json_object_new_uint64(st->tail));
	json_object_object_add(j, "consumed_records", json_object_new_uint64(st->consumed_records));
	json_object_object_add(j, "consumed_bytes", json_object_new_uint64(st->consumed_bytes));
	json_object_object_add(j, "written_records_live_slots",
	                       json_object_new_uint64(st->written_records));
	json_object_object_add(j, "invalid_records", json_object_new_uint64(st->invalid_records));
	json_object_object_add(j, "invalid_bytes", json_object_new_uint64(st->invalid_bytes));
	for (int i = 0; i < BVAPM_LOSS__COUNT; i++)
		json_object_object_add(lost, bvapm_ring_loss_name(i), json_object_new_uint64(st->lost[i]));
	json_object_object_add(lost, "total", json_object_new_uint64(st->lost_total));
	json_object_object_add(j, "lost", lost);
	json_object_object_add(drainer, "pid", json_object_new_int((int)st->consumer_pid));
	json_object_object_add(drainer, "alive", json_object_new_boolean(st->consumer_alive));
	json_object_object_add(drainer, "heartbeat_age_ms",
	                       json_object_new_uint64(st->consumer_heartbeat_age_ms));
	json_object_object_add(j, "drainer", drainer);
	json_object_object_add(slots, "count", json_object_new_int((int)st->slot_count));
	json_object_object_add(slots, "used", json_object_new_int((int)st->slots_used));
	json_object_object_add(slots, "in_request", json_object_new_int((int)st->slots_in_request));
	json_object_object_add(slots, "dead", json_object_new_int((int)st->slots_dead));
	json_object_object_add(j, "slots", slots);
	json_object_object_add(j, "control", control);
	json_object_object_add(j, "created_unix_ns", json_object_new_uint64(st->create_time_ns));
	return j;
}

static void stats_text(const struct bvapm_ring_stats *st)
{
	char a[32], b[32], when[64] = "?";
	time_t created = (time_t)(st->create_time_ns / 1000000000u);
	struct tm tm;

	if (localtime_r(&created, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	printf("ring       %s (ABI %u.%u, created %s)\n", st->path, st->abi_major, st->abi_minor, when);
	printf("capacity   %s, max record %s, %u slots\n", shm_bytes(st->capacity, a, sizeof(a)),
	       shm_bytes(st->max_record, b, sizeof(b)), st->slot_count);
	printf("used       %s (%.1f%%), head %llu, tail %llu\n", shm_bytes(st->used_bytes, a, sizeof(a)),
	       100.0 * (double)st->used_bytes / (double)st->capacity, (unsigned long long)st->head,
	       (unsigned long long)st->tail);
	printf("consumed   %llu records, %s\n", (unsigned long long)st->consumed_records,
	       shm_bytes(st->consumed_bytes, a, sizeof(a)));
	printf("lost       %llu total:", (unsigned long long)st->lost_total);
	for (int i = 0; i < BVAPM_LOSS__COUNT; i++)
		printf(" %s %llu%s", bvapm_ring_loss_name(i), (unsigned long long)st->lost[i],
		       i + 1 < BVAPM_LOSS__COUNT ? "," : "\n");
	printf("invalid    %llu records (%s) skipped by the drainer\n",
	       (unsigned long long)st->invalid_records, shm_bytes(st->invalid_bytes, a, sizeof(a)));
	if (st->consumer_pid == 0)
		printf("drainer    none attached: records accumulate until the ring is full\n");
	else
		printf("drainer    pid %u, %s, heartbeat %llu ms ago\n", st->consumer_pid,
		       st->consumer_alive ? "alive" : "NOT RUNNING",
		       (unsigned long long)st->consumer_heartbeat_age_ms);
	printf("agents     %u attached, %u in a request, %u dead\n", st->slots_used,
	       st->slots_in_request, st->slots_dead);
	shm_control_text(&st->control);
}

struct watch_opts {
	bool watch;
	double interval_s;
	unsigned long count;
};

static int stat_option(struct shm_opts *o, int opt, const char *arg, void *ctx)
{
	struct watch_opts *w = ctx;

	switch (opt) {
	case 'w': w->watch = true; return SHM_OK;
	case 'i': return shm_option_seconds(o, "-i", arg, &w->interval_s);
	case 'c': return shm_option_count(o, "--count", arg, &w->count);
	default: return -1;
	}
}

int shm_cmd_stat(const struct shm_opts *global, int argc, char **argv)
{
	static const struct option opts[] = {
		{"watch", no_argument, NULL, 'w'},
		{"interval", required_argument, NULL, 'i'},
		{"count", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	struct shm_opts o = *global;
	struct watch_opts w = {.interval_s = 0};
	struct bvapm_ring_stats st;
	bvapm_ring *r = NULL;
	int rc = shm_parse_common(&o, argc, argv, "wi:c:", opts, stat_option, &w,
	                          "stat takes no arguments");

	if (rc != SHM_OK)
		return rc;
	if (!w.watch && (w.count != 0 || w.interval_s != 0))
		return shm_fail(&o, SHM_USAGE, "-i and --count go with --watch");
	if (w.watch)
		return shm_stat_watch(&o, w.interval_s != 0 ? w.interval_s : 1.0, w.count);
	rc = shm_open_ring(&o, BVAPM_RING_READONLY, &r);
	if (rc != SHM_OK)
		return rc;
	bvapm_ring_stats(r, &st);
	if (o.json)
		shm_print_json(stats_json(&st));
	else
		stats_text(&st);
	bvapm_ring_close(r);
	return SHM_OK;
}
