/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.c — Prometheus text exposition on a loopback TCP socket.
 *
 * Threads: one endpoint thread (accept, render, write, close; poll with a
 * 200 ms timeout so stop is noticed). It opens its own read-only ring handle
 * (a handle belongs to one thread) for the ring figures. Reads every counter
 * with relaxed loads: a scrape may see figures a few records apart.
 */
#include "metrics.h"
#include "listen.h"
#include "log.h"
#include "spool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

uint64_t bvapm_sink_sqlite_duplicates(void);

struct out {
	char *buf;
	size_t len, used;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	if (o->used + 1 >= o->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n < o->len - o->used ? (size_t)n : o->len - o->used - 1;
}

static void metric(struct out *o, const char *name, const char *type, const char *help,
                   uint64_t v)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
	    (unsigned long long)v);
}

static void sink_metric(struct out *o, struct bvapm_metrics *m, const char *name,
                        const char *type, const char *help, size_t off)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	for (int i = 0; i < m->nsinks; i++) {
		uint64_t *f = (uint64_t *)((char *)&m->sink[i] + off);
		put(o, "%s{sink=\"%s\"} %llu\n", name, m->sink_name[i],
		    (unsigned long long)__atomic_load_n(f, __ATOMIC_RELAXED));
	}
}

static void spool_metric(struct out *o, struct bvapm_metrics *m, const char *name,
                         const char *type, const char *help, size_t off)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	for (int i = 0; i < m->nsinks; i++) {
		if (!m->spool[i])
			continue;
		struct bvapm_spool_stats st;
		bvapm_spool_get_stats(m->spool[i], &st);
		put(o, "%s{sink=\"%s\"} %llu\n", name, m->sink_name[i],
		    (unsigned long long)*(uint64_t *)((char *)&st + off));
	}
}

#define SINK_M(n, t, h, f) sink_metric(&o, m, n, t, h, offsetof(struct bvapm_sink_metrics, f))
#define SPOOL_M(n, t, h, f) spool_metric(&o, m, n, t, h, offsetof(struct bvapm_spool_stats, f))

/* Records evicted from every sink's spool, summed with saturation. */
static uint64_t evicted_total(struct bvapm_metrics *m)
{
	uint64_t total = 0;
	for (int i = 0; i < m->nsinks; i++) {
		if (!m->spool[i])
			continue;
		struct bvapm_spool_stats st;
		bvapm_spool_get_stats(m->spool[i], &st);
		if (__builtin_add_overflow(total, st.evicted_records, &total))
			return UINT64_MAX;
	}
	return total;
}

size_t bvapm_metrics_render(struct bvapm_metrics *m, const bvapm_ring *ring, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	buf[0] = 0;
	metric(&o, "bvapm_drainer_records_read_total", "counter",
	       "Verified records taken from the ring.", BVAPM_M_GET(m->records_read));
	metric(&o, "bvapm_drainer_bytes_read_total", "counter", "Bytes of verified records.",
	       BVAPM_M_GET(m->bytes_read));
	metric(&o, "bvapm_drainer_records_invalid_total", "counter",
	       "Records the codec verifier refused (skipped).", BVAPM_M_GET(m->records_invalid));
	metric(&o, "bvapm_drainer_batches_total", "counter", "Batches handed to the sinks.",
	       BVAPM_M_GET(m->batches));
	metric(&o, "bvapm_drainer_inflight_records", "gauge",
	       "Records in memory that are not yet acknowledged or spooled.",
	       BVAPM_M_GET(m->inflight_records));
	metric(&o, "bvapm_drainer_aborted_records_total", "counter",
	       "Aborted-request records built from dead workers' slots.",
	       BVAPM_M_GET(m->aborted_records));
	metric(&o, "bvapm_drainer_slots_invalid_total", "counter",
	       "Garbage slots reaped without a record.", BVAPM_M_GET(m->slots_invalid));
	metric(&o, "bvapm_drainer_rings_retired_total", "counter",
	       "Rings truncated, removed or replaced under the drainer, and replaced by a new one.",
	       BVAPM_M_GET(m->rings_retired));
	metric(&o, "bvapm_drainer_records_evicted_total", "counter",
	       "Records lost to spool eviction (spool full while the ring was at [spool] evict_pct), "
	       "summed over the sinks.", evicted_total(m));
	metric(&o, "bvapm_drainer_reloads_total", "counter", "Configuration reloads (SIGHUP).",
	       BVAPM_M_GET(m->reloads));
	metric(&o, "bvapm_drainer_store_duplicates_total", "counter",
	       "Records the SQLite store already had (at-least-once duplicates removed).",
	       bvapm_sink_sqlite_duplicates());
	SINK_M("bvapm_drainer_sink_delivered_records_total", "counter",
	       "Records acknowledged by the sink.", delivered_records);
	SINK_M("bvapm_drainer_sink_rejected_records_total", "counter",
	       "Records the sink refused permanently.", rejected_records);
	SINK_M("bvapm_drainer_sink_failures_total", "counter", "Failed deliveries (retried).",
	       failures);
	SINK_M("bvapm_drainer_sink_up", "gauge", "1 when the last delivery succeeded.", up);
	SINK_M("bvapm_drainer_spooled_records_total", "counter", "Records written to the spool.",
	       spooled_records);
	SINK_M("bvapm_drainer_replayed_records_total", "counter",
	       "Records delivered from the spool.", replayed_records);
	SPOOL_M("bvapm_drainer_spool_segments", "gauge", "Segments in the spool.", segments);
	SPOOL_M("bvapm_drainer_spool_bytes", "gauge", "Bytes in the spool.", bytes);
	SPOOL_M("bvapm_drainer_spool_evicted_records_total", "counter",
	        "Records evicted from the spool (full while the ring was at [spool] evict_pct).",
	        evicted_records);
	SPOOL_M("bvapm_drainer_spool_quarantined_segments_total", "counter",
	        "Corrupt segments moved to quarantine/.", quarantined_segments);
	SPOOL_M("bvapm_drainer_spool_write_errors_total", "counter",
	        "Failed segment writes (disk full, I/O error).", write_errors);
	if (ring) {
		struct bvapm_ring_stats st;
		bvapm_ring_stats(ring, &st);
		metric(&o, "bvapm_ring_capacity_bytes", "gauge", "Ring data area.", st.capacity);
		metric(&o, "bvapm_ring_used_bytes", "gauge", "Bytes waiting in the ring.", st.used_bytes);
		metric(&o, "bvapm_ring_consumed_records_total", "counter", "Records released.",
		       st.consumed_records);
		metric(&o, "bvapm_ring_invalid_records_total", "counter",
		       "Records with corrupt framing, skipped by the ring.", st.invalid_records);
		put(&o, "# HELP bvapm_ring_lost_records_total Records producers lost, by reason.\n"
		        "# TYPE bvapm_ring_lost_records_total counter\n");
		for (int i = 0; i < BVAPM_LOSS__COUNT; i++)
			put(&o, "bvapm_ring_lost_records_total{reason=\"%s\"} %llu\n",
			    bvapm_ring_loss_name((enum bvapm_ring_loss)i), (unsigned long long)st.lost[i]);
		metric(&o, "bvapm_ring_slots_used", "gauge", "Attached workers.", st.slots_used);
	}
	return o.used;
}

static struct {
	pthread_t th;
	int fd;
	int stop;          /* atomic flag */
	bool running;
	struct bvapm_metrics *m;
} ep = { .fd = -1 };

static void *metrics_main(void *arg)
{
	(void)arg;
	bvapm_ring *ring = NULL;
	struct bvapm_ring_error e;
	size_t cap = 64 * 1024;
	char *body = malloc(cap);
	while (body && !__atomic_load_n(&ep.stop, __ATOMIC_RELAXED)) {
		struct pollfd pfd = { ep.fd, POLLIN, 0 };
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		int c = accept4(ep.fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		struct timeval tv = { 1, 0 };
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		char req[1024];
		ssize_t rn = recv(c, req, sizeof req - 1, 0);
		(void)rn;
		if (!ring && bvapm_ring_open(ep.m->ring_name, BVAPM_RING_READONLY, &ring, &e) != 0)
			ring = NULL;
		size_t n = bvapm_metrics_render(ep.m, ring, body, cap);
		char hdr[160];
		int hn = snprintf(hdr, sizeof hdr,
		                  "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
		                  "Content-Length: %zu\r\nConnection: close\r\n\r\n", n);
		if (send(c, hdr, (size_t)hn, MSG_NOSIGNAL) == hn)
			send(c, body, n, MSG_NOSIGNAL);
		close(c);
	}
	free(body);
	bvapm_ring_close(ring);
	return NULL;
}

int bvapm_metrics_start(struct bvapm_metrics *m, const char *listen_on, char *err, size_t errlen)
{
	struct bvapm_listen_addr a;
	int rc = bvapm_listen_parse(listen_on, &a, err, errlen);
	if (rc)
		return rc;
	int fd = socket(a.sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, (const struct sockaddr *)&a.sa, a.len) != 0 || listen(fd, 16) != 0) {
		int e = errno;
		snprintf(err, errlen, "[metrics] cannot listen on %s: %s (choose a free port in "
		         "[metrics] listen, or set [metrics] enabled = false)", listen_on, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	if (!a.loopback)
		LOG_W("[metrics] allow_remote: the metrics endpoint listens on %s, beyond loopback: "
		      "anyone who can reach that address can read the drainer's figures", listen_on);
	ep.fd = fd;
	ep.m = m;
	ep.stop = 0;
	if ((rc = pthread_create(&ep.th, NULL, metrics_main, NULL))) {
		close(fd);
		snprintf(err, errlen, "cannot start the metrics thread: %s", strerror(rc));
		return -rc;
	}
	ep.running = true;
	LOG_I("metrics on http://%s/metrics", listen_on);
	return 0;
}

void bvapm_metrics_stop(void)
{
	if (!ep.running)
		return;
	__atomic_store_n(&ep.stop, 1, __ATOMIC_RELAXED);
	pthread_join(ep.th, NULL);
	close(ep.fd);
	ep.running = false;
}
