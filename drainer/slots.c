/*
 * slots.c — see slots.h.
 */
#include "slots.h"
#include "log.h"
#include "record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int bvapm_slots_scan(bvapm_ring *consumer, bvapm_ring *producer, const char *host,
                     struct bvapm_metrics *m)
{
	struct bvapm_ring_stats st;
	bvapm_ring_stats(consumer, &st);
	if (!st.slots_dead)
		return 0;
	struct bvapm_ring_slot_view *v = calloc(st.slot_count, sizeof *v);
	if (!v)
		return -ENOMEM;
	int n = bvapm_ring_slots(consumer, v, st.slot_count);
	int written = 0;
	static _Alignas(8) uint8_t buf[4096];
	for (int i = 0; i < n; i++) {
		if (v[i].alive)
			continue;
		if (v[i].in_request) {
			uint64_t now_mono = clock_ns(CLOCK_MONOTONIC);
			struct bvapm_rec_envelope env = {
				.host = bvapm_rec_cstr(host),
				.service = bvapm_rec_cstr("bvapm-drainer"),
				.pid = v[i].pid,
				.producer_start_unix_ns = v[i].req_start_wall_ns,
				.sequence = v[i].request_count,
				.wall_unix_ns = clock_ns(CLOCK_REALTIME),
				.mono_ns = now_mono,
			};
			struct bvapm_rec_aborted a = {
				.pid = v[i].pid,
				.method = bvapm_rec_cstr(v[i].method),
				.uri = bvapm_rec_cstr(v[i].uri),
				.started_unix_ns = v[i].req_start_wall_ns,
				.running_ns = now_mono > v[i].req_start_mono_ns ? now_mono - v[i].req_start_mono_ns : 0,
				.last_checkpoint = v[i].checkpoint[0] ? bvapm_rec_cstr(v[i].checkpoint) : (bvapm_rec_str){ NULL, 0 },
				.last_checkpoint_mem_bytes = v[i].checkpoint_mem > 0 ? (uint64_t)v[i].checkpoint_mem : 0,
				.current_sql = v[i].sql_start_mono_ns ? bvapm_rec_cstr(v[i].sql) : (bvapm_rec_str){ NULL, 0 },
			};
			ssize_t len = bvapm_rec_encode_aborted(buf, sizeof buf, &env, &a);
			if (len < 0) {
				LOG_E("cannot encode the aborted request of pid %u: %s", v[i].pid,
				      strerror((int)-len));
				continue;
			}
			int rc = bvapm_ring_write(producer, BVAPM_REC_KIND_ABORTED, buf, (uint32_t)len);
			if (rc) {
				LOG_W("cannot write the aborted request of pid %u into the ring (%s); retrying "
				      "at the next scan", v[i].pid, strerror(-rc));
				free(v);
				return rc;
			}
			LOG_I("worker pid %u died during %s %s: aborted request recorded", v[i].pid,
			      v[i].method, v[i].uri);
			written++;
			BVAPM_M_ADD(m->aborted_records, 1);
		}
		bvapm_ring_slot_reap(consumer, v[i].index, v[i].pid);
	}
	free(v);
	return written;
}
