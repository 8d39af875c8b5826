/*
 * cmd_watch.c — `bvapm-shm stat --watch [-i SECONDS] [--count N]`: one line
 * per interval with the ring's rates, for people (a table) or scripts (JSON
 * lines with --json).
 *
 *   written   records/s: growth of every live slot's records_written (a slot
 *             taken over by a new worker counts from zero); bytes/s: the
 *             tail's advance (exact, padding and in-progress records included)
 *   drained   the drainer's consumed_records / consumed_bytes
 *   lost      each loss counter's growth, per reason
 *   fill      used bytes / capacity at the end of the interval
 *
 * Rates divide by the measured time between the two snapshots, so a late
 * wake-up on a loaded machine does not skew them. Counters that went
 * backwards (ring recreated) count as zero. Read-only mapping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shm.h"

struct snapshot {
	uint64_t mono_ns, wall_ns;
	struct bvapm_ring_stats st;
	uint64_t *slot_generation; /* per slot index; 0: free */
	uint64_t *slot_written;
};

struct rates {
	double seconds;
	double written_records, written_bytes, drained_records, drained_bytes, invalid_records;
	double lost[BVAPM_LOSS__COUNT], lost_total;
};

static void take(bvapm_ring *r, struct bvapm_ring_slot_view *views, struct snapshot *s)
{
	uint32_t count;

	bvapm_ring_stats(r, &s->st);
	count = s->st.slot_count;
	memset(s->slot_generation, 0, count * sizeof(uint64_t));
	int n = bvapm_ring_slots(r, views, count);
	for (int i = 0; i < n; i++) {
		s->slot_generation[views[i].index] = views[i].generation;
		s->slot_written[views[i].index] = views[i].records_written;
	}
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
	uint64_t written = 0;

	if (s <= 0)
		s = 1e-9;
	memset(out, 0, sizeof(*out));
	out->seconds = s;
	for (uint32_t i = 0; i < b->st.slot_count; i++) {
		if (b->slot_generation[i] == 0)
			continue;
		if (a->slot_generation[i] == b->slot_generation[i])
			written += b->slot_written[i] > a->slot_written[i]
			                   ? b->slot_written[i] - a->slot_written[i] : 0;
		else
			written += b->slot_written[i]; /* a new owner since */
	}
	out->written_records = (double)written / s;
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
	struct bvapm_ring_slot_view *views;
	bvapm_ring *r = NULL;
	int rc = shm_open_ring(o, BVAPM_RING_READONLY, &r);

	if (rc != SHM_OK)
		return rc;
	struct bvapm_ring_stats probe;
	bvapm_ring_stats(r, &probe);
	uint32_t slots = probe.slot_count > 0 ? probe.slot_count : 1;
	views = calloc(slots, sizeof(*views));
	for (int i = 0; i < 2; i++) {
		snap[i].slot_generation = calloc(slots, sizeof(uint64_t));
		snap[i].slot_written = calloc(slots, sizeof(uint64_t));
	}
	if (views == NULL || snap[0].slot_written == NULL || snap[1].slot_written == NULL ||
	    snap[0].slot_generation == NULL || snap[1].slot_generation == NULL) {
		rc = shm_fail(o, SHM_SYSTEM, "out of memory");
		goto out;
	}

	shm_catch_stop_signals();
	if (!o->json)
		printf("%-8s %10s %13s %10s %13s %8s %7s\n", "TIME", "WRITTEN/s", "BYTES/s", "DRAINED/s",
		       "BYTES/s", "LOST/s", "FILL");
	fflush(stdout);
	take(r, views, &snap[0]);
	uint64_t step = (uint64_t)(interval_s * 1e9), next = snap[0].mono_ns + step;
	for (unsigned long line = 0; count == 0 || line < count; line++) {
		struct rates rt;
		struct snapshot *a = &snap[line % 2], *b = &snap[(line + 1) % 2];

		shm_sleep_until(next);
		if (shm_stop_requested())
			break;
		take(r, views, b);
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
	rc = SHM_OK;
out:
	for (int i = 0; i < 2; i++) {
		free(snap[i].slot_generation);
		free(snap[i].slot_written);
	}
	free(views);
	bvapm_ring_close(r);
	return rc;
}
