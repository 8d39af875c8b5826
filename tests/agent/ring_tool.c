/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ring_tool.c — bvapm-test-ring, a test helper for the extension's .phpt
 * tests: creates a ring as the drainer would, drains it printing each record
 * as one line of JSON (verified with the record codec), or fills it up.
 *
 *   bvapm-test-ring create NAME [CAPACITY]
 *   bvapm-test-ring dump NAME        one JSON object per record, then exits
 *   bvapm-test-ring fill NAME        writes until the ring is full
 *   bvapm-test-ring drain NAME SECS  discards records for SECS seconds or
 *                                    until SIGTERM/SIGINT (a stand-in drainer
 *                                    for benchmarks and the engine tests),
 *                                    then prints how many it consumed
 *   bvapm-test-ring stat NAME        losses by reason and records consumed,
 *                                    one "key value" line each
 *   bvapm-test-ring slots NAME       one line per worker in a request:
 *                                    "<pid> <current SQL>" (read-only)
 */
#include <errno.h>
#include <signal.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "record/record.h"
#include "ring/ring.h"

static int create(const char *name, const char *cap)
{
	struct bvapm_ring_create_opts o = {.name = name, .group = (gid_t)-1,
	                                   .capacity = cap ? strtoull(cap, NULL, 0) : (1u << 20)};
	struct bvapm_ring_error err;
	bvapm_ring *r = NULL;

	bvapm_ring_unlink(name);
	if (bvapm_ring_create(&o, &r, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	bvapm_ring_close(r);
	return 0;
}

static int dump(const char *name)
{
	struct bvapm_ring_error err;
	struct bvapm_ring_record recs[64];
	bvapm_ring *r = NULL;
	int n;

	if (bvapm_ring_open(name, BVAPM_RING_CONSUMER, &r, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	while ((n = bvapm_ring_peek(r, recs, 64)) > 0) {
		for (int i = 0; i < n; i++) {
			struct json_object *j = bvapm_rec_to_json(recs[i].data, recs[i].len,
			                                          BVAPM_REC_JSON_HEX_IDS);
			if (j == NULL) {
				printf("{\"invalid\":true,\"type\":%u,\"len\":%u}\n", recs[i].type, recs[i].len);
				continue;
			}
			printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
			json_object_put(j);
		}
		bvapm_ring_release(r, recs[n - 1].end);
	}
	bvapm_ring_close(r);
	return 0;
}

static int fill(const char *name)
{
	static char buf[512];
	struct bvapm_ring_error err;
	bvapm_ring *r = NULL;

	if (bvapm_ring_attach(name, &r, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	while (bvapm_ring_write(r, 99, buf, sizeof(buf)) == 0)
		;
	bvapm_ring_close(r);
	return 0;
}

static volatile sig_atomic_t drain_stop;

static void on_stop(int sig)
{
	(void)sig;
	drain_stop = 1;
}

static int drain(const char *name, double seconds)
{
	struct bvapm_ring_error err;
	struct bvapm_ring_record recs[256];
	bvapm_ring *r = NULL;
	unsigned long long n = 0;
	time_t end = time(NULL) + (time_t)seconds;
	struct sigaction sa = {.sa_handler = on_stop};

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (bvapm_ring_open(name, BVAPM_RING_CONSUMER, &r, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	for (;;) {
		/* Read the flag before peeking, so what was committed before the
		 * signal is still consumed by this last pass. */
		int last = drain_stop || time(NULL) >= end;
		int k = bvapm_ring_peek(r, recs, 256);
		if (k > 0) {
			n += (unsigned long long)k;
			bvapm_ring_release(r, recs[k - 1].end);
		} else if (last) {
			break;
		} else {
			usleep(1000);
		}
	}
	printf("%llu\n", n);
	bvapm_ring_close(r);
	return 0;
}

static int stat_ring(const char *name)
{
	struct bvapm_ring_error err;
	struct bvapm_ring_stats st;
	bvapm_ring *r = NULL;

	if (bvapm_ring_open(name, BVAPM_RING_READONLY, &r, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	bvapm_ring_stats(r, &st);
	printf("lost_total %llu\n", (unsigned long long)st.lost_total);
	for (int i = 0; i < BVAPM_LOSS__COUNT; i++)
		printf("lost_%s %llu\n", bvapm_ring_loss_name((enum bvapm_ring_loss)i),
		       (unsigned long long)st.lost[i]);
	printf("consumed_records %llu\n", (unsigned long long)st.consumed_records);
	bvapm_ring_close(r);
	return 0;
}

static int slots(const char *name)
{
	static struct bvapm_ring_slot_view views[256];
	struct bvapm_ring_error err;
	bvapm_ring *r = NULL;

	if (bvapm_ring_open(name, BVAPM_RING_READONLY, &r, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	int n = bvapm_ring_slots(r, views, 256);
	for (int i = 0; i < n; i++)
		if (views[i].in_request)
			printf("%u %s\n", views[i].pid, views[i].sql);
	bvapm_ring_close(r);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "slots") == 0)
		return slots(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "create") == 0)
		return create(argv[2], argc > 3 ? argv[3] : NULL);
	if (argc == 3 && strcmp(argv[1], "dump") == 0)
		return dump(argv[2]);
	if (argc == 3 && strcmp(argv[1], "fill") == 0)
		return fill(argv[2]);
	if (argc == 4 && strcmp(argv[1], "drain") == 0)
		return drain(argv[2], atof(argv[3]));
	if (argc == 3 && strcmp(argv[1], "stat") == 0)
		return stat_ring(argv[2]);
	fprintf(stderr, "usage: bvapm-test-ring create NAME [CAPACITY] | dump NAME | fill NAME | "
	                "drain NAME SECONDS | stat NAME | slots NAME\n");
	return 2;
}
