/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otlp_test_util.h — helpers shared by the OTLP tests: encode a record into a
 * sink record, and look things up in OTLP JSON.
 */
#ifndef BVAPM_TESTS_OTLP_UTIL_H
#define BVAPM_TESTS_OTLP_UTIL_H

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "record/record.h"
#include "drainer/sink.h"

struct test_rec {
	_Alignas(8) uint8_t buf[64 * 1024];
	struct bvapm_sink_record rec;
};

/* Fills t->rec from a buffer holding an encoded record (len > 0). */
static inline void test_rec_wrap(struct test_rec *t, ssize_t len)
{
	bvapm_rec_record_ref r = bvapm_rec_root(t->buf);
	t->rec = (struct bvapm_sink_record){
		.data = t->buf, .len = (uint32_t)len,
		.kind = bvapm_rec_record_body_type(r),
		.pid = bvapm_rec_record_pid(r),
		.producer_start_unix_ns = bvapm_rec_record_producer_start_unix_ns(r),
		.sequence = bvapm_rec_record_sequence(r),
	};
}

/* The value object ({"stringValue": ...}) of attribute key, or NULL. */
static inline struct json_object *test_attr(struct json_object *holder, const char *key)
{
	struct json_object *attrs = json_object_object_get(holder, "attributes");
	size_t n = attrs ? json_object_array_length(attrs) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(attrs, i);
		if (strcmp(json_object_get_string(json_object_object_get(a, "key")), key) == 0)
			return json_object_object_get(a, "value");
	}
	return NULL;
}

/* The attribute's value as a string ("intValue" and "stringValue" are both
 * strings in OTLP JSON; booleans give "true"/"false"), or NULL. */
static inline const char *test_attr_str(struct json_object *holder, const char *key)
{
	struct json_object *v = test_attr(holder, key);
	struct json_object *x;
	if (!v)
		return NULL;
	if ((x = json_object_object_get(v, "stringValue")) || (x = json_object_object_get(v, "intValue")) ||
	    (x = json_object_object_get(v, "boolValue")))
		return json_object_get_string(x);
	return NULL;
}

static inline const char *test_get_str(struct json_object *o, const char *key)
{
	struct json_object *v = json_object_object_get(o, key);
	return v ? json_object_get_string(v) : NULL;
}

#endif
