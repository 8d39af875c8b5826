/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c — see config.h. One table maps every key to a typed field, so the
 * INI file, command-line overrides and --check-config share one parser and
 * the same error sentences. Sizes accept K/M/G suffixes (powers of 1024).
 */
#include "config.h"
#include "listen.h"
#include "log.h"
#include "store/store.h"

#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum key_type { K_STR, K_U32, K_SIZE, K_BOOL, K_MODE, K_LEVEL };

struct key {
	const char *section, *name;
	enum key_type type;
	size_t off, size;   /* field offset and size (strings: buffer size) */
	uint64_t min, max;  /* numeric bounds */
};

#define F(field) offsetof(struct bvapm_drainer_config, field), \
	sizeof(((struct bvapm_drainer_config *)0)->field)

static const struct key keys[] = {
	{ "ring", "name", K_STR, F(ring_name), 0, 0 },
	{ "ring", "size", K_SIZE, F(ring_size), 4096, 1ull << 34 },
	{ "ring", "max_record", K_SIZE, F(ring_max_record), 64, 1u << 30 },
	{ "ring", "slots", K_U32, F(ring_slots), 1, 65536 },
	{ "ring", "mode", K_MODE, F(ring_mode), 0, 0777 },
	{ "ring", "group", K_STR, F(ring_group), 0, 0 },
	{ "ring", "prefault", K_BOOL, F(ring_prefault), 0, 1 },
	{ "drainer", "poll_interval_ms", K_U32, F(poll_interval_ms), 1, 1000 },
	{ "drainer", "batch_records", K_U32, F(batch_records), 1, 65536 },
	{ "drainer", "buffer_records", K_U32, F(buffer_records), 1, 10000000 },
	{ "drainer", "shutdown_timeout_ms", K_U32, F(shutdown_timeout_ms), 100, 600000 },
	{ "drainer", "lock_file", K_STR, F(lock_file), 0, 0 },
	{ "drainer", "log_level", K_LEVEL, F(log_level), 0, 3 },
	{ "drainer", "invalid_log_per_min", K_U32, F(invalid_log_per_min), 0, 100000 },
	{ "drainer", "aborted_scan_ms", K_U32, F(aborted_scan_ms), 0, 3600000 },
	{ "spool", "dir", K_STR, F(spool_dir), 0, 0 },
	{ "spool", "max_bytes", K_SIZE, F(spool_max_bytes), 4096, 1ull << 50 },
	{ "spool", "pressure_pct", K_U32, F(spool_pressure_pct), 1, 100 },
	{ "spool", "evict_pct", K_U32, F(spool_evict_pct), 1, 100 },
	{ "retry", "min_ms", K_U32, F(retry_min_ms), 1, 3600000 },
	{ "retry", "max_ms", K_U32, F(retry_max_ms), 1, 3600000 },
	/* [sqlite]: the store's section; its defaults and bounds are the store's */
	{ BVAPM_STORE_CONFIG_SECTION, "enabled", K_BOOL, F(sqlite_enabled), 0, 1 },
	{ BVAPM_STORE_CONFIG_SECTION, BVAPM_STORE_CONFIG_PATH, K_STR, F(sqlite_path), 0, 0 },
	{ BVAPM_STORE_CONFIG_SECTION, "synchronous_full", K_BOOL, F(sqlite_sync_full), 0, 1 },
	{ BVAPM_STORE_CONFIG_SECTION, "busy_timeout_ms", K_U32, F(sqlite_busy_timeout_ms), 0,
	  BVAPM_STORE_MAX_BUSY_TIMEOUT_MS },
	{ "null", "enabled", K_BOOL, F(null_enabled), 0, 1 },
	{ "otlp", "enabled", K_BOOL, F(otlp_enabled), 0, 1 },
	{ "otlp", "endpoint", K_STR, F(otlp_endpoint), 0, 0 },
	{ "otlp", "timeout_ms", K_U32, F(otlp_timeout_ms), 1, 600000 },
	{ "otlp", "headers", K_STR, F(otlp_headers), 0, 0 },
	{ "otlp", "gzip", K_BOOL, F(otlp_gzip), 0, 1 },
	{ "metrics", "enabled", K_BOOL, F(metrics_enabled), 0, 1 },
	{ "metrics", "listen", K_STR, F(metrics_listen), 0, 0 },
	{ "metrics", "allow_remote", K_BOOL, F(metrics_allow_remote), 0, 1 },
};

void bvapm_config_defaults(struct bvapm_drainer_config *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->ring_name, sizeof c->ring_name, "default");
	c->ring_size = 16u << 20;
	c->ring_max_record = 1u << 20;
	c->ring_slots = 256;
	c->ring_mode = 0660;
	c->ring_prefault = true;
	c->poll_interval_ms = 1;
	c->batch_records = 50;
	c->buffer_records = 100;
	c->shutdown_timeout_ms = 5000;
	snprintf(c->lock_file, sizeof c->lock_file, "/run/bvapm/drainer.lock");
	c->log_level = BVAPM_LOG_INFO;
	c->invalid_log_per_min = 10;
	c->aborted_scan_ms = 1000;
	snprintf(c->spool_dir, sizeof c->spool_dir, "/var/lib/bvapm/spool");
	c->spool_max_bytes = 1ull << 30;
	c->spool_pressure_pct = 50;
	c->spool_evict_pct = 90;
	c->retry_min_ms = 100;
	c->retry_max_ms = 30000;
	c->sqlite_enabled = true;
	snprintf(c->sqlite_path, sizeof c->sqlite_path, "%s", BVAPM_STORE_DEFAULT_PATH);
	c->sqlite_busy_timeout_ms = BVAPM_STORE_DEFAULT_BUSY_TIMEOUT_MS;
	snprintf(c->otlp_endpoint, sizeof c->otlp_endpoint, "http://127.0.0.1:4318/v1/traces");
	c->otlp_timeout_ms = 5000;
	c->otlp_gzip = true;
	c->metrics_enabled = true;
	snprintf(c->metrics_listen, sizeof c->metrics_listen, "127.0.0.1:9464");
}

static void add_err(struct bvapm_config_errors *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_err(struct bvapm_config_errors *e, const char *fmt, ...)
{
	if (!e || e->count >= BVAPM_CFG_MAX_ERRORS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg[e->count++], sizeof e->msg[0], fmt, ap);
	va_end(ap);
}

static int parse_u64(const char *v, bool size, uint64_t *out)
{
	char *end;
	errno = 0;
	if (*v == '-' || *v == 0)
		return -1;
	unsigned long long n = strtoull(v, &end, 0);
	if (errno || end == v)
		return -1;
	if (size && *end) {
		int sh = 0;
		switch (*end | 0x20) {
		case 'k': sh = 10; break;
		case 'm': sh = 20; break;
		case 'g': sh = 30; break;
		default: return -1;
		}
		end++;
		if ((*end | 0x20) == 'i')
			end++;
		if ((*end | 0x20) == 'b')
			end++;
		if (n > (~0ull >> sh))
			return -1;
		n <<= sh;
	}
	if (*end)
		return -1;
	*out = n;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") ||
	         !strcmp(v, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

static int set_key(struct bvapm_drainer_config *c, const char *where, const char *section,
                   const char *name, const char *v, struct bvapm_config_errors *e)
{
	const struct key *k = NULL;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
			k = &keys[i];
	if (!k) {
		add_err(e, "%s: unknown key [%s] %s", where, section, name);
		return -EINVAL;
	}
	char *field = (char *)c + k->off;
	uint64_t n = 0;
	bool b;
	switch (k->type) {
	case K_STR:
		if (strlen(v) >= k->size) {
			add_err(e, "%s: [%s] %s is longer than %zu bytes", where, section, name, k->size - 1);
			return -EINVAL;
		}
		memcpy(field, v, strlen(v) + 1);
		return 0;
	case K_BOOL:
		if (parse_bool(v, &b)) {
			add_err(e, "%s: [%s] %s = \"%s\" is not a boolean (true/false, yes/no, on/off, 1/0)",
			        where, section, name, v);
			return -EINVAL;
		}
		*(bool *)field = b;
		return 0;
	case K_LEVEL: {
		int l = bvapm_log_parse_level(v);
		if (l < 0) {
			add_err(e, "%s: [%s] %s = \"%s\" is not one of error, warn, info, debug", where,
			        section, name, v);
			return -EINVAL;
		}
		*(int *)field = l;
		return 0;
	}
	case K_MODE: {
		char *end;
		unsigned long m = strtoul(v, &end, 8);
		if (*v == 0 || *end || m > k->max) {
			add_err(e, "%s: [%s] %s = \"%s\" is not an octal file mode such as 0660", where,
			        section, name, v);
			return -EINVAL;
		}
		*(mode_t *)field = (mode_t)m;
		return 0;
	}
	case K_U32:
	case K_SIZE:
		if (parse_u64(v, k->type == K_SIZE, &n)) {
			add_err(e, "%s: [%s] %s = \"%s\" is not a %s", where, section, name, v,
			        k->type == K_SIZE ? "size (bytes, or with K/M/G)" : "non-negative integer");
			return -EINVAL;
		}
		if (n < k->min || n > k->max) {
			add_err(e, "%s: [%s] %s = %llu is out of range [%llu, %llu]", where, section, name,
			        (unsigned long long)n, (unsigned long long)k->min,
			        (unsigned long long)k->max);
			return -EINVAL;
		}
		if (k->size == 8)
			*(uint64_t *)field = n;
		else
			*(uint32_t *)field = (uint32_t)n;
		return 0;
	}
	return -EINVAL;
}

struct load_ctx {
	struct bvapm_drainer_config *cfg;
	struct bvapm_config_errors *errs;
	const char *path;
};

static int on_ini_key(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *lc = user;
	set_key(lc->cfg, lc->path, section, name, value, lc->errs);
	return 1; /* keep going: report every error, not just the first */
}

int bvapm_config_load(struct bvapm_drainer_config *cfg, const char *path,
                      struct bvapm_config_errors *errs)
{
	unsigned before = errs->count;
	struct load_ctx lc = { cfg, errs, path };
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		add_err(errs, "%s: cannot open: %s", path, strerror(e));
		return -ENOENT;
	}
	int r = ini_parse_file(f, on_ini_key, &lc);
	fclose(f);
	if (r > 0)
		add_err(errs, "%s:%d: syntax error (expected [section] or key = value)", path, r);
	return errs->count > before ? -EINVAL : 0;
}

int bvapm_config_set(struct bvapm_drainer_config *cfg, const char *dotted, const char *value,
                     struct bvapm_config_errors *errs)
{
	char section[64];
	const char *dot = strchr(dotted, '.');
	if (!dot || (size_t)(dot - dotted) >= sizeof section) {
		add_err(errs, "--set %s: expected section.key=value", dotted);
		return -EINVAL;
	}
	memcpy(section, dotted, (size_t)(dot - dotted));
	section[dot - dotted] = 0;
	return set_key(cfg, "command line", section, dot + 1, value, errs);
}

/* 1 when the group exists, 0 when it does not, -errno when the lookup
 * failed (e.g. the group database cannot be read). */
static int group_exists(const char *name)
{
	size_t len = 4096;
	for (;;) {
		char *buf = malloc(len);
		if (!buf)
			return -ENOMEM;
		struct group gr, *res = NULL;
		int rc = getgrnam_r(name, &gr, buf, len, &res);
		free(buf);
		if (rc == ERANGE && len < (1u << 20)) {
			len *= 2;
			continue;
		}
		if (rc == 0 || rc == ENOENT || rc == ESRCH)
			return res != NULL;
		return -rc;
	}
}

static void validate_group(const struct bvapm_drainer_config *c, struct bvapm_config_errors *e)
{
	if (!c->ring_group[0])
		return;
	int rc = group_exists(c->ring_group);
	if (rc == 0)
		add_err(e, "[ring] group \"%s\" does not exist: create it or leave the key empty",
		        c->ring_group);
	else if (rc < 0)
		add_err(e, "[ring] group \"%s\" cannot be looked up (%s): check the group database",
		        c->ring_group, strerror(-rc));
}

static void validate_metrics(const struct bvapm_drainer_config *c, struct bvapm_config_errors *e)
{
	struct bvapm_listen_addr a;
	char why[256];
	if (!c->metrics_enabled)
		return;
	if (bvapm_listen_parse(c->metrics_listen, &a, why, sizeof why))
		add_err(e, "%s", why);
	else if (!a.loopback && !c->metrics_allow_remote)
		add_err(e, "[metrics] listen \"%s\" is not a loopback address: use 127.0.0.1 or ::1, "
		        "or set [metrics] allow_remote = true to serve the figures beyond this host",
		        c->metrics_listen);
}

int bvapm_config_validate(const struct bvapm_drainer_config *c, struct bvapm_config_errors *e)
{
	unsigned before = e->count;
	if (c->ring_size & (c->ring_size - 1))
		add_err(e, "[ring] size = %llu must be a power of two (e.g. 16M)",
		        (unsigned long long)c->ring_size);
	if (c->ring_max_record > c->ring_size / 2)
		add_err(e, "[ring] max_record = %u must be at most half of [ring] size", c->ring_max_record);
	if (!c->ring_name[0])
		add_err(e, "[ring] name must not be empty");
	for (const char *p = c->ring_name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-')) {
			add_err(e, "[ring] name \"%s\" may only use A-Z a-z 0-9 . _ -", c->ring_name);
			break;
		}
	if (c->batch_records > c->buffer_records)
		add_err(e, "[drainer] batch_records = %u must not exceed buffer_records = %u",
		        c->batch_records, c->buffer_records);
	if (c->spool_evict_pct < c->spool_pressure_pct)
		add_err(e, "[spool] evict_pct = %u must not be below pressure_pct = %u (evict only "
		        "once the ring is fuller than where sinks start spooling)", c->spool_evict_pct,
		        c->spool_pressure_pct);
	if (c->retry_min_ms > c->retry_max_ms)
		add_err(e, "[retry] min_ms = %u must not exceed max_ms = %u", c->retry_min_ms,
		        c->retry_max_ms);
	if (!c->sqlite_enabled && !c->null_enabled && !c->otlp_enabled)
		add_err(e, "no sink enabled: set [sqlite] enabled, [otlp] enabled or [null] enabled");
	if (c->sqlite_enabled && !c->sqlite_path[0])
		add_err(e, "[sqlite] path must be set when [sqlite] enabled = true");
	if (c->otlp_enabled && strncmp(c->otlp_endpoint, "http://", 7) &&
	    strncmp(c->otlp_endpoint, "https://", 8))
		add_err(e, "[otlp] endpoint \"%s\" must start with http:// or https://", c->otlp_endpoint);
	if (!c->spool_dir[0] || c->spool_dir[0] != '/')
		add_err(e, "[spool] dir \"%s\" must be an absolute path", c->spool_dir);
	if (!c->lock_file[0])
		add_err(e, "[drainer] lock_file must be set");
	validate_group(c, e);
	validate_metrics(c, e);
	return e->count > before ? -EINVAL : 0;
}
