/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_json.c — JSON rendering details the flatc comparison does not cover:
 * hex ids, invalid UTF-8 from producers, unknown enum values, refusal to
 * render a record that fails verification.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "testing/fixtures.h"
#include "record/record.h"

#define CAP (1 << 16)
static _Alignas(8) uint8_t buf[CAP];

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no key %s", key);
	return v;
}

static void test_hex_ids(void **st)
{
	(void)st;
	ssize_t n = fixture_encode(FX_REQUEST, buf, CAP);
	assert_true(n > 0);
	struct json_object *j = bvapm_rec_to_json(buf, (size_t)n, BVAPM_REC_JSON_HEX_IDS);
	assert_non_null(j);
	assert_string_equal(json_object_get_string(get(j, "trace_id")), "4bf92f3577b34da6a3ce929d0e0e4736");
	assert_string_equal(json_object_get_string(get(j, "span_id")), "00f067aa0ba902b7");
	assert_string_equal(json_object_get_string(get(j, "parent_span_id")), "53995c3f42cd8ad8");
	/* a timed call's span id too, inside the body (v4) */
	struct json_object *spans = get(get(j, "body"), "spans");
	assert_string_equal(json_object_get_string(get(json_object_array_get_idx(spans, 1), "span_id")),
		"a1b2c3d4e5f60718");
	assert_string_equal(json_object_get_string(get(json_object_array_get_idx(spans, 1), "kind")),
		"Http");
	assert_false(json_object_object_get_ex(json_object_array_get_idx(spans, 3), "span_id", NULL));
	json_object_put(j);
}

static void test_invalid_utf8_is_replaced(void **st)
{
	(void)st;
	struct bvapm_rec_request q = { 0 };
	/* invalid: lone continuation, truncated sequence, overlong, surrogate */
	static const char uri[] = "/a\x80" "b\xc3" "c\xc0\xaf" "d\xed\xa0\x80" "e\xe2\x82\xac";
	q.uri = (bvapm_rec_str){ uri, sizeof uri - 1 };
	q.method = (bvapm_rec_str){ "G\0T", 3 };    /* embedded NUL */
	ssize_t n = bvapm_rec_encode_request(buf, CAP, &fixture_envelope_bare, &q);
	assert_true(n > 0);
	char *s = bvapm_rec_to_json_string(buf, (size_t)n, 0);
	assert_non_null(s);
	struct json_object *j = json_tokener_parse(s);   /* the output is valid JSON */
	assert_non_null(j);
	const char *got = json_object_get_string(get(get(j, "body"), "uri"));
	assert_string_equal(got, "/a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd"
		"d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "e\xe2\x82\xac");
	struct json_object *m = get(get(j, "body"), "method");
	assert_int_equal(json_object_get_string_len(m), 3);
	assert_memory_equal(json_object_get_string(m), "G\0T", 3);
	json_object_put(j);
	free(s);
}

static void test_unknown_enum_value_is_a_number(void **st)
{
	(void)st;
	struct bvapm_rec_request q = { .mode = 77, .keep_reason = BVAPM_REC_KEEP_FORCED };
	ssize_t n = bvapm_rec_encode_request(buf, CAP, &fixture_envelope_bare, &q);
	assert_true(n > 0);
	struct json_object *j = bvapm_rec_to_json(buf, (size_t)n, 0);
	assert_non_null(j);
	struct json_object *body = get(j, "body");
	assert_true(json_object_is_type(get(body, "mode"), json_type_int));
	assert_int_equal(json_object_get_int(get(body, "mode")), 77);
	assert_string_equal(json_object_get_string(get(body, "keep_reason")), "Forced");
	assert_string_equal(json_object_get_string(get(j, "body_type")), "RequestProfile");
	json_object_put(j);
}

static void test_invalid_record_is_not_rendered(void **st)
{
	(void)st;
	ssize_t n = fixture_encode(FX_STATS, buf, CAP);
	assert_true(n > 0);
	errno = 0;
	assert_null(bvapm_rec_to_json(buf, (size_t)n - 1, 0));
	assert_int_equal(errno, EBADMSG);
	buf[5] = 'X';
	assert_null(bvapm_rec_to_json_string(buf, (size_t)n, 0));
	assert_int_equal(errno, EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_ids),
		cmocka_unit_test(test_invalid_utf8_is_replaced),
		cmocka_unit_test(test_unknown_enum_value_is_a_number),
		cmocka_unit_test(test_invalid_record_is_not_rendered),
	};
	return cmocka_run_group_tests_name("record JSON", tests, NULL, NULL);
}
