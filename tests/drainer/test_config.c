/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of drainer/config.c: defaults, file parsing, overrides, and an
 * explanation for every kind of error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "drainer/config.h"
#include "drainer_test_util.h"

static char *write_file(const char *dir, const char *text)
{
	static char path[600];
	snprintf(path, sizeof path, "%s/d.ini", dir);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* Loads text, written to a d.ini of its own, over the defaults in c. */
static int load_text(struct bvapm_drainer_config *c, struct bvapm_config_errors *e, const char *text)
{
	char *dir = tu_tmpdir();
	bvapm_config_defaults(c);
	int rc = bvapm_config_load(c, write_file(dir, text), e);
	tu_rmrf(dir);
	free(dir);
	return rc;
}

static bool has(const struct bvapm_config_errors *e, const char *needle)
{
	for (unsigned i = 0; i < e->count; i++)
		if (strstr(e->msg[i], needle))
			return true;
	return false;
}

static void test_defaults_valid(void **state)
{
	struct bvapm_drainer_config c;
	struct bvapm_config_errors e = { 0 };
	bvapm_config_defaults(&c);
	assert_int_equal(bvapm_config_validate(&c, &e), 0);
	assert_int_equal(c.buffer_records, 100);
	assert_true(c.sqlite_enabled);
	assert_string_equal(c.metrics_listen, "127.0.0.1:9464");
}

static void test_file_and_suffixes(void **state)
{
	struct bvapm_drainer_config c;
	struct bvapm_config_errors e = { 0 };
	int rc = load_text(&c, &e, "; comment\n[ring]\nname = pool1\nsize = 32M\nmode = 0640\n"
	                           "[drainer]\nbuffer_records = 500\nlog_level = debug\n"
	                           "[spool]\nmax_bytes = 2G\n[sqlite]\nenabled = no\n"
	                           "[null]\nenabled = yes\n");
	assert_int_equal(rc, 0);
	assert_string_equal(c.ring_name, "pool1");
	assert_int_equal(c.ring_size, 32ull << 20);
	assert_int_equal(c.ring_mode, 0640);
	assert_int_equal(c.buffer_records, 500);
	assert_int_equal(c.log_level, 3);
	assert_int_equal(c.spool_max_bytes, 2ull << 30);
	assert_false(c.sqlite_enabled);
	assert_true(c.null_enabled);
	assert_int_equal(bvapm_config_validate(&c, &e), 0);
}

static void test_every_error_explained(void **state)
{
	struct bvapm_drainer_config c;
	struct bvapm_config_errors e = { 0 };
	int rc = load_text(&c, &e, "[ring]\nsize = 3M\ncolour = blue\nprefault = maybe\n"
	                           "[drainer]\nbuffer_records = -1\npoll_interval_ms = 5000\n"
	                           "log_level = loud\n[ring]\nmode = 999\n");
	assert_int_equal(rc, -EINVAL);
	assert_true(has(&e, "unknown key [ring] colour"));
	assert_true(has(&e, "prefault = \"maybe\" is not a boolean"));
	assert_true(has(&e, "buffer_records = \"-1\" is not a non-negative integer"));
	assert_true(has(&e, "poll_interval_ms = 5000 is out of range [1, 1000]"));
	assert_true(has(&e, "log_level = \"loud\" is not one of"));
	assert_true(has(&e, "mode = \"999\" is not an octal file mode"));
	assert_int_equal(bvapm_config_validate(&c, &e), -EINVAL);
	assert_true(has(&e, "must be a power of two"));
}

static void test_overrides_and_cross_checks(void **state)
{
	struct bvapm_drainer_config c;
	struct bvapm_config_errors e = { 0 };
	bvapm_config_defaults(&c);
	assert_int_equal(bvapm_config_set(&c, "sqlite.path", "/tmp/x.db", &e), 0);
	assert_string_equal(c.sqlite_path, "/tmp/x.db");
	assert_int_equal(bvapm_config_set(&c, "nosection", "1", &e), -EINVAL);
	assert_true(has(&e, "expected section.key=value"));
	e.count = 0;
	bvapm_config_set(&c, "sqlite.enabled", "false", &e);
	bvapm_config_set(&c, "drainer.batch_records", "500", &e);
	bvapm_config_set(&c, "spool.dir", "relative", &e);
	assert_int_equal(e.count, 0);
	assert_int_equal(bvapm_config_validate(&c, &e), -EINVAL);
	assert_true(has(&e, "no sink enabled"));
	assert_true(has(&e, "batch_records = 500 must not exceed buffer_records"));
	assert_true(has(&e, "must be an absolute path"));
}

/* Validates the defaults with one key overridden; returns the error count. */
static unsigned check_with(const char *key, const char *value, struct bvapm_config_errors *e)
{
	struct bvapm_drainer_config c;
	bvapm_config_defaults(&c);
	memset(e, 0, sizeof *e);
	assert_int_equal(bvapm_config_set(&c, key, value, e), 0);
	bvapm_config_validate(&c, e);
	return e->count;
}

static void test_metrics_listen(void **state)
{
	struct bvapm_config_errors e;
	assert_int_equal(check_with("metrics.listen", "127.0.0.1:9464", &e), 0);
	assert_int_equal(check_with("metrics.listen", "127.0.0.9:1", &e), 0);
	assert_int_equal(check_with("metrics.listen", "[::1]:9464", &e), 0);
	assert_int_equal(check_with("metrics.listen", "::1:65535", &e), 0);
	assert_int_equal(check_with("metrics.listen", "0.0.0.0:9464", &e), 1);
	assert_true(has(&e, "[metrics] listen \"0.0.0.0:9464\" is not a loopback address"));
	assert_true(has(&e, "allow_remote = true"));
	assert_int_equal(check_with("metrics.listen", "[::]:9464", &e), 1);
	assert_true(has(&e, "is not a loopback address"));
	assert_int_equal(check_with("metrics.listen", "192.168.1.10:9464", &e), 1);
	assert_int_equal(check_with("metrics.listen", "127.0.0.1:99999", &e), 1);
	assert_true(has(&e, "the port must be a number from 1 to 65535"));
	assert_int_equal(check_with("metrics.listen", "127.0.0.1:0", &e), 1);
	assert_int_equal(check_with("metrics.listen", "127.0.0.1:94x", &e), 1);
	assert_int_equal(check_with("metrics.listen", "127.0.0.1:", &e), 1);
	assert_int_equal(check_with("metrics.listen", "localhost:9464", &e), 1);
	assert_true(has(&e, "\"localhost\" is not a numeric IPv4 or IPv6 address"));
	assert_int_equal(check_with("metrics.listen", "9464", &e), 1);
	assert_true(has(&e, "must be host:port"));
	/* A disabled endpoint is not checked. */
	struct bvapm_drainer_config c;
	bvapm_config_defaults(&c);
	memset(&e, 0, sizeof e);
	bvapm_config_set(&c, "metrics.listen", "0.0.0.0:99999", &e);
	bvapm_config_set(&c, "metrics.enabled", "false", &e);
	assert_int_equal(bvapm_config_validate(&c, &e), 0);
}

static void test_metrics_allow_remote(void **state)
{
	struct bvapm_drainer_config c;
	struct bvapm_config_errors e = { 0 };
	bvapm_config_defaults(&c);
	assert_false(c.metrics_allow_remote);
	bvapm_config_set(&c, "metrics.listen", "0.0.0.0:9464", &e);
	bvapm_config_set(&c, "metrics.allow_remote", "true", &e);
	assert_int_equal(e.count, 0);
	assert_int_equal(bvapm_config_validate(&c, &e), 0);
	/* allow_remote does not excuse a bad port. */
	bvapm_config_set(&c, "metrics.listen", "0.0.0.0:70000", &e);
	assert_int_equal(bvapm_config_validate(&c, &e), -EINVAL);
	assert_true(has(&e, "from 1 to 65535"));
}

static void test_evict_pct(void **state)
{
	struct bvapm_drainer_config c;
	struct bvapm_config_errors e = { 0 };
	bvapm_config_defaults(&c);
	assert_int_equal(c.spool_evict_pct, 90);
	assert_int_equal(check_with("spool.evict_pct", "50", &e), 0); /* = pressure_pct */
	assert_int_equal(check_with("spool.evict_pct", "49", &e), 1);
	assert_true(has(&e, "[spool] evict_pct = 49 must not be below pressure_pct = 50"));
	memset(&e, 0, sizeof e);
	assert_int_equal(bvapm_config_set(&c, "spool.evict_pct", "101", &e), -EINVAL);
	assert_true(has(&e, "evict_pct = 101 is out of range [1, 100]"));
}

static void test_ring_group(void **state)
{
	struct bvapm_config_errors e;
	assert_int_equal(check_with("ring.group", "root", &e), 0);
	assert_int_equal(check_with("ring.group", "bvapm-no-such-group", &e), 1);
	assert_true(has(&e, "[ring] group \"bvapm-no-such-group\" does not exist"));
}

static void test_missing_file(void **state)
{
	struct bvapm_drainer_config c;
	struct bvapm_config_errors e = { 0 };
	bvapm_config_defaults(&c);
	assert_int_equal(bvapm_config_load(&c, "/nonexistent/d.ini", &e), -ENOENT);
	assert_true(has(&e, "cannot open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_valid),
		cmocka_unit_test(test_file_and_suffixes),
		cmocka_unit_test(test_every_error_explained),
		cmocka_unit_test(test_overrides_and_cross_checks),
		cmocka_unit_test(test_metrics_listen),
		cmocka_unit_test(test_metrics_allow_remote),
		cmocka_unit_test(test_evict_pct),
		cmocka_unit_test(test_ring_group),
		cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
