/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_watch.c — `bvapm-shm stat --watch [-i SECONDS] [--count N]`: one line
 * per interval with the ring's rates, for people (a table) or scripts (JSON
 * lines with --json).
 *
 *   written   records/s: records drained plus the growth of the records
 *             waiting between head and tail (committed or being written,
 *             counted by a read-only walk, bvapm_ring_check); bytes/s: the
 *             tail's advance (exact, padding and in-progress records included)
 *   drained   the drainer's consumed_records / consumed_bytes
 *   lost      each loss counter's growth, per reason
 *   fill      used bytes / capacity at the end of the interval
 *
 * Rates divide by the measured time between the two snapshots, so a late
 * wake-up on a loaded machine does not skew them. Counters that went
 * backwards (ring recreated) count as zero. Records the drainer releases
 * while a snapshot is taken are missed by that interval and counted by the
 * next (the error is one drainer batch, and cancels out). Read-only mapping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shm.h"

struct snapshot {
	uint64_t mono_ns, wall_ns;
	struct bvapm_ring_stats st;
	uint64_t waiting; /* records between head and tail, committed or reserved */
};

struct rates {
	double seconds;
	double written_records, written_bytes, drained_records, drained_bytes, invalid_records;
	double lost[BVAPM_LOSS__COUNT], lost_total;
};

static void take(bvapm_ring *r, struct snapshot *s)
{
	struct bvapm_ring_check_report rep;

	bvapm_ring_stats(r, &s->st);
	/* Only the counts matter here: a "problem" seen while the drainer
	 * releases under the walk just ends the walk early. */
	bvapm_ring_check(r, &rep);
	s->waiting = rep.committed + rep.reserved;
	s->mono_ns = shm_now_ns(CLOCK_MONOTONIC);
	s->wall_ns = shm_now_ns(CLOCK_REALTIME);
}

static double growth(uint64_t before, uint64_t after, double seconds)
{
	return after > before ? (double)(after - before) / seconds : 0.0;
}

static void compute(const struct snapshot *a, const struct snapshot *b, struct rates *out)
{
	double s = (double)(b->mono_ns - a->mono_ns) / 1e9;

	if (s <= 0)
		s = 1e-9;
	memset(out, 0, sizeof(*out));
	out->seconds = s;
	double written = (double)b->waiting - (double)a->waiting;
	if (b->st.consumed_records > a->st.consumed_records)
		written += (double)(b->st.consumed_records - a->st.consumed_records);
	out->written_records = written > 0 ? written / s : 0.0;
	out->written_bytes = growth(a->st.tail, b->st.tail, s);
	out->drained_records = growth(a->st.consumed_records, b->st.consumed_records, s);
	out->drained_bytes = growth(a->st.consumed_bytes, b->st.consumed_bytes, s);
	out->invalid_records = growth(a->st.invalid_records, b->st.invalid_records, s);
	for (int i = 0; i < BVAPM_LOSS__COUNT; i++) {
		out->lost[i] = growth(a->st.lost[i], b->st.lost[i], s);
		out->lost_total += out->lost[i];
	}
}

static void print_json_line(const struct snapshot *b, const struct rates *rt)
{
	json_object *j = json_object_new_object(), *lost = json_object_new_object();
	char when[32];
	time_t t = (time_t)(b->wall_ns / 1000000000u);
	struct tm tm;

	when[0] = '\0';
	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(j, "time", json_object_new_string(when));
	json_object_object_add(j, "time_unix_ns", json_object_new_uint64(b->wall_ns));
	json_object_object_add(j, "interval_s", json_object_new_double(rt->seconds));
	json_object_object_add(j, "written_records_per_s", json_object_new_double(rt->written_records));
	json_object_object_add(j, "written_bytes_per_s", json_object_new_double(rt->written_bytes));
	json_object_object_add(j, "drained_records_per_s", json_object_new_double(rt->drained_records));
	json_object_object_add(j, "drained_bytes_per_s", json_object_new_double(rt->drained_bytes));
	for (int i = 0; i < BVAPM_LOSS__COUNT; i++)
		json_object_object_add(lost, bvapm_ring_loss_name(i), json_object_new_double(rt->lost[i]));
	json_object_object_add(lost, "total", json_object_new_double(rt->lost_total));
	json_object_object_add(j, "lost_per_s", lost);
	json_object_object_add(j, "invalid_records_per_s", json_object_new_double(rt->invalid_records));
	json_object_object_add(j, "used_bytes", json_object_new_uint64(b->st.used_bytes));
	json_object_object_add(j, "fill_ratio",
	                       json_object_new_double((double)b->st.used_bytes / (double)b->st.capacity));
	json_object_object_add(j, "workers_in_request", json_object_new_int((int)b->st.slots_in_request));
	json_object_object_add(j, "drainer_alive", json_object_new_boolean(b->st.consumer_alive));
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

static void print_text_line(const struct snapshot *b, const struct rates *rt)
{
	char when[16] = "", bytes[32], drained[32];
	time_t t = (time_t)(b->wall_ns / 1000000000u);
	struct tm tm;

	if (localtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	shm_bytes((unsigned long long)rt->written_bytes, bytes, sizeof(bytes));
	shm_bytes((unsigned long long)rt->drained_bytes, drained, sizeof(drained));
	printf("%-8s %10.0f %11s/s %10.0f %11s/s %8.1f %6.1f%%", when, rt->written_records, bytes,
	       rt->drained_records, drained, rt->lost_total,
	       100.0 * (double)b->st.used_bytes / (double)b->st.capacity);
	for (int i = 0; i < BVAPM_LOSS__COUNT; i++)
		if (rt->lost[i] > 0)
			printf(" %s=%.1f", bvapm_ring_loss_name(i), rt->lost[i]);
	if (rt->invalid_records > 0)
		printf(" invalid=%.1f", rt->invalid_records);
	if (!b->st.consumer_alive)
		printf(" (no drainer)");
	printf("\n");
}

int shm_stat_watch(const struct shm_opts *o, double interval_s, unsigned long count)
{
	struct snapshot snap[2];
	bvapm_ring *r = NULL;
	int rc = shm_open_ring(o, BVAPM_RING_READONLY, &r);

	if (rc != SHM_OK)
		return rc;
	shm_catch_stop_signals();
	if (!o->json)
		printf("%-8s %10s %13s %10s %13s %8s %7s\n", "TIME", "WRITTEN/s", "BYTES/s", "DRAINED/s",
		       "BYTES/s", "LOST/s", "FILL");
	fflush(stdout);
	take(r, &snap[0]);
	uint64_t step = (uint64_t)(interval_s * 1e9), next = snap[0].mono_ns + step;
	for (unsigned long line = 0; count == 0 || line < count; line++) {
		struct rates rt;
		struct snapshot *a = &snap[line % 2], *b = &snap[(line + 1) % 2];

		shm_sleep_until(next);
		if (shm_stop_requested())
			break;
		take(r, b);
		compute(a, b, &rt);
		if (o->json)
			print_json_line(b, &rt);
		else
			print_text_line(b, &rt);
		fflush(stdout);
		next += step;
		if (next < b->mono_ns) /* fell behind (stopped, loaded): no burst */
			next = b->mono_ns + step;
	}
	bvapm_ring_close(r);
	return SHM_OK;
}
