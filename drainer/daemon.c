/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon.c — see daemon.h.
 *
 * Threads: the main thread is the reader (ring peek, verify, batches, ring
 * release, dead-slot scan, heartbeat, watchdog, reload); one thread per sink
 * (pipeline.c); one metrics thread (metrics.c). Signal handlers only set
 * flags (sig_atomic_t); the main loop acts on them.
 *
 * Shutdown (SIGTERM): stop reading, let every sink thread write what it
 * holds to its spool, release the ring up to what is safe, exit 0 — within
 * [drainer] shutdown_timeout_ms; anything not yet safe then stays in the
 * ring (never released), so even a timed-out stop loses nothing.
 */
#include "daemon.h"
#include "lock.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"
#include "reader.h"
#include "sinks.h"
#include "slots.h"
#include "wake.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef BVAPM_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#include "support/bvapm_clock.h"
#else
static int sd_notify(int unset, const char *state) { (void)unset; (void)state; return 0; }
static int sd_watchdog_enabled(int unset, uint64_t *usec) { (void)unset; (void)usec; return 0; }
#endif

static volatile sig_atomic_t got_term, got_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A write past RLIMIT_FSIZE must fail with EFBIG, not kill the daemon. */
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
}

/* SIGHUP: re-read the file; apply what can change live, name the rest. */
static void reload(struct bvapm_drainer_config *cur, struct bvapm_reader *rd,
                   const char *path, char **overrides, int n, struct bvapm_metrics *m)
{
	if (!path) {
		LOG_W("SIGHUP: no configuration file to reload");
		return;
	}
	struct bvapm_drainer_config next;
	struct bvapm_config_errors errs = { 0 };
	bvapm_config_defaults(&next);
	bvapm_config_load(&next, path, &errs);
	for (int i = 0; i < n; i++) {
		char key[128];
		const char *eq = strchr(overrides[i], '=');
		if (!eq || (size_t)(eq - overrides[i]) >= sizeof key)
			continue;
		memcpy(key, overrides[i], (size_t)(eq - overrides[i]));
		key[eq - overrides[i]] = 0;
		bvapm_config_set(&next, key, eq + 1, &errs);
	}
	if (!errs.count)
		bvapm_config_validate(&next, &errs);
	if (errs.count) {
		for (unsigned i = 0; i < errs.count; i++)
			LOG_E("reload: %s", errs.msg[i]);
		LOG_E("reload: configuration not applied (%u errors); keeping the running one",
		      errs.count);
		return;
	}
	cur->log_level = next.log_level;
	bvapm_log_set_level(next.log_level);
	cur->invalid_log_per_min = next.invalid_log_per_min;
	rd->invalid_log_per_min = next.invalid_log_per_min;
	cur->aborted_scan_ms = next.aborted_scan_ms;
	cur->spool_pressure_pct = next.spool_pressure_pct;
	cur->spool_evict_pct = next.spool_evict_pct;
	next.log_level = cur->log_level;
	next.invalid_log_per_min = cur->invalid_log_per_min;
	next.aborted_scan_ms = cur->aborted_scan_ms;
	next.spool_pressure_pct = cur->spool_pressure_pct;
	next.spool_evict_pct = cur->spool_evict_pct;
	if (memcmp(&next, cur, sizeof next) != 0)
		LOG_W("reload: log_level, invalid_log_per_min, aborted_scan_ms, pressure_pct and "
		      "evict_pct applied; other changes take effect at the next restart");
	else
		LOG_I("reload: configuration applied");
	BVAPM_M_ADD(m->reloads, 1);
}

/* A start that failed after the reader opened the ring: closes it and, when
 * this start created the ring file, removes it, so a failed start leaves no
 * new file behind (agents that attached meanwhile move to the next ring a
 * drainer creates). A ring that existed before is never removed: it may hold
 * records that no drainer has read yet. */
static void abandon_ring(struct bvapm_reader *rd, const struct bvapm_drainer_config *cfg)
{
	bool created = rd->created;
	bvapm_reader_close(rd);
	if (!created)
		return;
	int rc = bvapm_ring_unlink(cfg->ring_name);
	if (rc == 0)
		LOG_I("removed ring %s: this failed start had created it", cfg->ring_name);
	else
		LOG_W("cannot remove ring %s that this failed start created: %s", cfg->ring_name,
		      strerror(-rc));
}

/* Percent of the ring taken by records read but not yet safe (peeked, not
 * released): two loads, no system call (bvapm_reader_fill_pct reads the
 * whole header and slot table). */
static unsigned inflight_fill_pct(const struct bvapm_reader *rd, uint64_t capacity)
{
	uint64_t pos = bvapm_ring_read_pos(rd->ring), head = bvapm_ring_head(rd->ring);
	if (!rd->inflight || !capacity || pos <= head)
		return 0;
	return (unsigned)((pos - head) * 100 / capacity);
}

int bvapm_drainer_run(struct bvapm_drainer_config *cfg, const char *config_path,
                      char **overrides, int n)
{
	char err[512] = "";
	int rc = 1;
	bvapm_log_set_level(cfg->log_level);
	install_signals();

	int lock = bvapm_lock_acquire(cfg->lock_file, err, sizeof err);
	if (lock < 0) {
		LOG_E("%s", err);
		return lock == -EWOULDBLOCK ? 2 : 1;
	}
	mkdir(cfg->spool_dir, 0750);

	static struct bvapm_metrics m;
	memset(&m, 0, sizeof m);
	snprintf(m.ring_name, sizeof m.ring_name, "%s", cfg->ring_name);

	struct bvapm_sink *sinks[BVAPM_MAX_SINKS];
	int nsinks = bvapm_sinks_create(cfg, sinks, err, sizeof err);
	if (nsinks < 0) {
		LOG_E("%s", err);
		close(lock);
		return 1;
	}
	struct bvapm_reader rd;
	if (bvapm_reader_open(&rd, cfg, &m, nsinks, err, sizeof err)) {
		LOG_E("%s", err);
		for (int i = 0; i < nsinks; i++)
			sinks[i]->destroy(sinks[i]);
		close(lock);
		return 1;
	}
	struct bvapm_pipeline *p = NULL;
	if (bvapm_pipeline_start(&p, cfg, sinks, nsinks, &m, err, sizeof err)) {
		LOG_E("%s", err);
		abandon_ring(&rd, cfg);
		close(lock);
		return 1;
	}
	if (cfg->metrics_enabled && bvapm_metrics_start(&m, cfg->metrics_listen, err, sizeof err)) {
		LOG_E("%s", err);
		if (bvapm_pipeline_stop(p, cfg->shutdown_timeout_ms) == 0)
			bvapm_pipeline_destroy(p);
		abandon_ring(&rd, cfg);
		close(lock);
		return 1;
	}

	struct bvapm_ring_stats rst;
	bvapm_ring_stats(rd.ring, &rst);
	uint64_t capacity = rst.capacity;
	bvapm_ring *producer = NULL;
	char host[256] = "";
	gethostname(host, sizeof host - 1);

	uint64_t wd_usec = 0;
	bool watchdog = sd_watchdog_enabled(0, &wd_usec) > 0;
	uint64_t wd_period = watchdog ? wd_usec / 2000 : 0, wd_last = 0, scan_last = 0, fill_last = 0, full_since = 0;
	static struct bvapm_wake reader_wake;
	bvapm_wake_init(&reader_wake);
	bvapm_pipeline_set_reader_wake(p, &reader_wake);
	sd_notify(0, "READY=1\nSTATUS=draining");
	LOG_I("draining ring %s into %d sink(s); spool %s", cfg->ring_name, nsinks, cfg->spool_dir);

	while (!got_term && !bvapm_pipeline_replayed(p))
		bvapm_sleep_ms(cfg->poll_interval_ms);

	while (!got_term) {
		uint64_t now = bvapm_mono_ms();
		if (watchdog && now - wd_last >= wd_period) {
			sd_notify(0, "WATCHDOG=1");
			wd_last = now;
		}
		if (got_hup) {
			got_hup = 0;
			reload(cfg, &rd, config_path, overrides, n, &m);
		}
		if (cfg->aborted_scan_ms && now - scan_last >= cfg->aborted_scan_ms) {
			scan_last = now;
			struct bvapm_ring_error e;
			if (producer && bvapm_ring_is_retired(producer)) {
				bvapm_ring_close(producer); /* follow the reader to the new ring */
				producer = NULL;
			}
			if (!producer && bvapm_ring_open(cfg->ring_name, BVAPM_RING_PRODUCER, &producer, &e))
				producer = NULL;
			if (producer)
				bvapm_slots_scan(rd.ring, producer, host, &m);
		}
		bvapm_reader_reap(&rd);
		uint32_t room = cfg->buffer_records > rd.inflight ? cfg->buffer_records - rd.inflight : 0;
		if (room == 0) {
			/* Memory full: the ring is the buffer now. When it stays
			 * full for 50 ms and the ring is past pressure_pct, the sinks
			 * are too slow: they spool instead of waiting; past evict_pct
			 * a full spool may evict its oldest segments, since the ring
			 * is about to drop new records (checked every 10 ms: the
			 * stats call reads the whole header). */
			if (!full_since)
				full_since = now;
			if (now - fill_last >= 10 && now - full_since >= 50) {
				fill_last = now;
				unsigned fill = bvapm_reader_fill_pct(&rd);
				bvapm_pipeline_set_pressure(p, fill >= cfg->spool_pressure_pct);
				bvapm_pipeline_set_evict(p, fill >= cfg->spool_evict_pct ? fill : 0);
				bvapm_reader_tend(&rd);
			}
			bvapm_wake_prepare(&reader_wake);
			if (!rd.head || !bvapm_batch_done(rd.head))
				bvapm_wake_sleep(&reader_wake, cfg->poll_interval_ms * 1000u);
			else
				__atomic_store_n(&reader_wake.waiting, 0, __ATOMIC_RELAXED);
			continue;
		}
		full_since = 0;
		bvapm_pipeline_set_pressure(p, false);
		struct bvapm_batch *b = bvapm_reader_next(&rd, room);
		if (!b) {
			/* Nothing new: the ring may still be full of the records
			 * in memory (released only once safe). */
			unsigned fill = inflight_fill_pct(&rd, capacity);
			bvapm_pipeline_set_evict(p, fill >= cfg->spool_evict_pct ? fill : 0);
			bvapm_sleep_ms(cfg->poll_interval_ms);
			continue;
		}
		bvapm_pipeline_set_evict(p, 0);
		if (b->n)
			bvapm_pipeline_submit(p, b);
	}

	sd_notify(0, "STOPPING=1");
	uint32_t held = rd.inflight;
	LOG_I("stopping: %u records in memory go to the spool", held);
	int stop = bvapm_pipeline_stop(p, cfg->shutdown_timeout_ms);
	bvapm_reader_reap(&rd);
	if (rd.inflight)
		LOG_E("stopping: %u records could not be made safe in time; they stay in the ring",
		      rd.inflight);
	bvapm_metrics_stop();
	if (stop == 0)
		bvapm_pipeline_destroy(p);
	bvapm_ring_close(producer);
	bvapm_reader_close(&rd);
	close(lock);
	LOG_I("stopped");
	rc = 0;
	return rc;
}
