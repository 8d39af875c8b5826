/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_compare.c — see json_compare.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "json_compare.h"

static bool cmp(struct json_object *a, struct json_object *b, char *path, size_t plen,
	char *why, size_t len)
{
	enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);
	if (ta != tb) {
		snprintf(why, len, "%s: type %s vs %s (%s vs %s)", path, json_type_to_name(ta),
			json_type_to_name(tb), json_object_to_json_string(a), json_object_to_json_string(b));
		return false;
	}
	switch (ta) {
	case json_type_null:
		return true;
	case json_type_boolean:
	case json_type_double:
	case json_type_string:
		if (json_object_equal(a, b))
			return true;
		break;
	case json_type_int:
		if (json_object_get_int64(a) == json_object_get_int64(b) &&
		    json_object_get_uint64(a) == json_object_get_uint64(b))
			return true;
		break;
	case json_type_array: {
		size_t n = json_object_array_length(a);
		if (n != json_object_array_length(b)) {
			snprintf(why, len, "%s: array length %zu vs %zu", path, n, json_object_array_length(b));
			return false;
		}
		for (size_t i = 0; i < n; i++) {
			size_t used = strlen(path);
			snprintf(path + used, plen - used, "[%zu]", i);
			if (!cmp(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i), path, plen, why, len))
				return false;
			path[used] = 0;
		}
		return true;
	}
	case json_type_object: {
		/* foreachC: the plain-C iteration (foreach uses a GNU extension) */
		struct json_object_iter it;
		json_object_object_foreachC(b, it) {
			if (!json_object_object_get_ex(a, it.key, NULL)) {
				snprintf(why, len, "%s.%s: missing on the left", path, it.key);
				return false;
			}
		}
		json_object_object_foreachC(a, it) {
			struct json_object *vb;
			if (!json_object_object_get_ex(b, it.key, &vb)) {
				snprintf(why, len, "%s.%s: missing on the right", path, it.key);
				return false;
			}
			size_t used = strlen(path);
			snprintf(path + used, plen - used, ".%s", it.key);
			if (!cmp(it.val, vb, path, plen, why, len))
				return false;
			path[used] = 0;
		}
		return true;
	}
	}
	snprintf(why, len, "%s: %s vs %s", path, json_object_to_json_string(a), json_object_to_json_string(b));
	return false;
}

bool json_values_equal(struct json_object *a, struct json_object *b, char *why, size_t len)
{
	char path[512] = "$";
	if (why && len)
		why[0] = 0;
	return cmp(a, b, path, sizeof path, why, len);
}
