/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.h — bvapm-drainer configuration: INI file (libinih), defaults,
 * command-line overrides, validation with one sentence per error.
 *
 * Threads: loaded by the main thread at start and on SIGHUP; the running
 * pipeline keeps the copy it started with, and a reload swaps in only the
 * keys documented as reloadable (log level, invalid-record log rate, scan
 * period, pressure_pct, evict_pct).
 */
#ifndef BVAPM_DRAINER_CONFIG_H
#define BVAPM_DRAINER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BVAPM_CFG_PATH_MAX 512
#define BVAPM_CFG_MAX_ERRORS 32

struct bvapm_drainer_config {
	/* [ring] */
	char ring_name[64];           /* ring file /dev/shm/bvapm-<name> */
	uint64_t ring_size;           /* data bytes, power of two */
	uint32_t ring_max_record;     /* bytes incl. header */
	uint32_t ring_slots;          /* live slots */
	mode_t ring_mode;             /* file mode (octal in the file) */
	char ring_group[64];          /* group owner, empty = keep the creator's */
	bool ring_prefault;           /* touch every page at creation */
	/* [drainer] */
	uint32_t poll_interval_ms;    /* sleep when the ring is empty */
	uint32_t batch_records;       /* records per batch handed to the sinks */
	uint32_t buffer_records;      /* records held in memory, not yet safe */
	uint32_t shutdown_timeout_ms; /* SIGTERM: bound for flushing to the spool */
	char lock_file[BVAPM_CFG_PATH_MAX];
	int log_level;                /* enum bvapm_log_level */
	uint32_t invalid_log_per_min; /* sample of invalid records logged */
	uint32_t aborted_scan_ms;     /* dead-worker slot scan period, 0 = off */
	/* [spool] */
	char spool_dir[BVAPM_CFG_PATH_MAX];
	uint64_t spool_max_bytes;     /* bound; oldest segments evicted past it */
	uint32_t spool_pressure_pct;  /* ring fill (%) at which sinks spool instead of waiting */
	uint32_t spool_evict_pct;     /* ring fill (%) at which a full spool evicts its oldest */
	/* [retry] */
	uint32_t retry_min_ms;        /* first backoff after a failure */
	uint32_t retry_max_ms;        /* backoff ceiling */
	/* [sqlite] */
	bool sqlite_enabled;
	char sqlite_path[BVAPM_CFG_PATH_MAX];
	bool sqlite_sync_full;        /* synchronous=FULL (default NORMAL, WAL) */
	uint32_t sqlite_busy_timeout_ms;
	/* [null] */
	bool null_enabled;            /* discards everything (benchmarks) */
	/* [otlp] */
	bool otlp_enabled;
	char otlp_endpoint[BVAPM_CFG_PATH_MAX];
	uint32_t otlp_timeout_ms;
	char otlp_headers[1024];      /* "k=v,k2=v2" */
	bool otlp_gzip;
	/* [metrics] */
	bool metrics_enabled;
	char metrics_listen[128];     /* host:port, loopback by default */
	bool metrics_allow_remote;    /* a non-loopback listen address is an error unless set */
};

struct bvapm_config_errors {
	unsigned count;
	char msg[BVAPM_CFG_MAX_ERRORS][256];
};

/* Fills cfg with the defaults documented in drainer/bvapm-drainer.ini. */
void bvapm_config_defaults(struct bvapm_drainer_config *cfg);

/* Parses the INI file at path over cfg (keys not in the file keep their
 * value). Every problem is appended to errs ("file:line: [section] key: why").
 * Returns 0 when errs is empty, -ENOENT when the file cannot be opened,
 * -EINVAL when at least one error was recorded. */
int bvapm_config_load(struct bvapm_drainer_config *cfg, const char *path,
                      struct bvapm_config_errors *errs);

/* Sets one key as if it were in the file ("section.key", value): the
 * command-line override path. Returns 0 or -EINVAL (error appended). */
int bvapm_config_set(struct bvapm_drainer_config *cfg, const char *dotted, const char *value,
                     struct bvapm_config_errors *errs);

/* Cross-key checks (power of two, max_record <= size/2, a sink enabled, the
 * [ring] group exists, [metrics] listen is a loopback host:port unless
 * allow_remote, ...). Returns 0 or -EINVAL (errors appended). */
int bvapm_config_validate(const struct bvapm_drainer_config *cfg, struct bvapm_config_errors *errs);

#endif
