/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.c — opens the drainer's SQLite store for reading and decides whether
 * this tool can read it: read-only (SQLITE_OPEN_READONLY, never creates a
 * file), a busy timeout so a reader waits out the drainer's short write
 * locks (the store runs in WAL mode: readers and the writer do not block
 * each other otherwise), and the schema version checked against the one
 * this tool was built with (store/schema.h); then probes for the tables and
 * columns newer schema versions added. Also finds the default store path in
 * the drainer's configuration ([sqlite] path, else the store's default).
 * Nothing here writes: the writer is store/writer.c.
 */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "store/schema.h"
#include "store/store.h"

#ifndef BVAPM_DEFAULT_CONFIG
#define BVAPM_DEFAULT_CONFIG "/etc/bvapm/bvapm-drainer.ini"
#endif

struct ini_path {
	char *path;
};

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
	struct ini_path *p = user;
	if (strcmp(section, BVAPM_STORE_CONFIG_SECTION) == 0 &&
	    strcmp(name, BVAPM_STORE_CONFIG_PATH) == 0) {
		free(p->path);
		p->path = strdup(value);
	}
	return 1;
}

char *report_default_db_path(const char *config, char *err, size_t errlen)
{
	struct ini_path p = {NULL};
	const char *file = config ? config : BVAPM_DEFAULT_CONFIG;
	if (config || access(file, R_OK) == 0) {
		int rc = ini_parse(file, on_ini, &p);
		if (rc < 0 && config) {
			snprintf(err, errlen, "cannot read the configuration %s: %s", file, strerror(errno));
			return NULL;
		}
		if (rc > 0 && config) {
			snprintf(err, errlen, "%s: syntax error on line %d", file, rc);
			free(p.path);
			return NULL;
		}
	}
	return p.path ? p.path : strdup(BVAPM_STORE_DEFAULT_PATH);
}

bool report_table_exists(sqlite3 *db, const char *table)
{
	sqlite3_stmt *s;
	bool found = false;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
	                       -1, &s, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

bool report_column_exists(sqlite3 *db, const char *table, const char *column)
{
	sqlite3_stmt *s;
	bool found = false;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &s,
	                       NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, column, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

static int open_error(const char *path, int err_no)
{
	if (err_no == ENOENT) {
		fprintf(stderr, "bvapm-report: no store at %s (is bvapm-drainer writing one? --db PATH "
		                "or -c drainer.ini selects another)\n", path);
		return REPORT_NO_STORE;
	}
	if (err_no == EACCES || err_no == EPERM) {
		fprintf(stderr, "bvapm-report: %s: permission denied (the store and its directory must "
		                "be readable; the drainer's group may need to include you)\n", path);
		return REPORT_PERMISSION;
	}
	fprintf(stderr, "bvapm-report: %s: %s\n", path, strerror(err_no));
	return REPORT_ERROR;
}

int report_store_open(struct report *r, const struct report_opts *o)
{
	const char *path = o->db_path;
	r->o = o;
	/* SQLite's own errors do not tell a missing file from a forbidden one:
	 * ask the file system first. */
	if (access(path, F_OK) != 0)
		return open_error(path, errno);
	if (access(path, R_OK) != 0)
		return open_error(path, errno);

	int rc = sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		int code = (rc & 0xff) == SQLITE_PERM ? REPORT_PERMISSION : REPORT_NO_STORE;
		fprintf(stderr, "bvapm-report: cannot open %s: %s\n", path,
		        r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
		sqlite3_close(r->db);
		r->db = NULL;
		return code;
	}
	sqlite3_busy_timeout(r->db, 5000);

	rc = bvapm_store_schema_version(r->db, &r->schema_version);
	if (rc != SQLITE_OK) {
		int code = (rc & 0xff) == SQLITE_NOTADB ? REPORT_NO_STORE
		           : (rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_PERM
		               ? REPORT_PERMISSION
		               : REPORT_ERROR;
		fprintf(stderr, "bvapm-report: %s: %s\n", path,
		        code == REPORT_NO_STORE ? "not a bvapm store (not an SQLite database)"
		                                : sqlite3_errmsg(r->db));
		return code;
	}

	if (r->schema_version > BVAPM_STORE_SCHEMA_VERSION) {
		fprintf(stderr, "bvapm-report: %s: store schema version %d is newer than this tool's "
		                "(%d): upgrade bvapm-report\n", path, r->schema_version,
		        BVAPM_STORE_SCHEMA_VERSION);
		return REPORT_TOO_NEW;
	}
	if (r->schema_version < 1 || !report_table_exists(r->db, "requests") ||
	    !report_table_exists(r->db, "schema_migrations")) {
		fprintf(stderr, "bvapm-report: %s: not a bvapm store (no requests table or schema "
		                "version; bvapm-drainer creates it at its first start)\n", path);
		return REPORT_NO_STORE;
	}
	r->has_call_paths = report_table_exists(r->db, "call_paths");
	r->has_error_stack = report_column_exists(r->db, "errors", "stack");
	r->has_kind = report_column_exists(r->db, "requests", "kind");
	r->has_calls = report_table_exists(r->db, "spans") && report_table_exists(r->db, "external") &&
	               report_column_exists(r->db, "requests", "span_total_count");
	return REPORT_OK;
}

void report_store_close(struct report *r)
{
	if (r->db)
		sqlite3_close(r->db);
	r->db = NULL;
}
