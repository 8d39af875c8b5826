/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_compare.h — deep comparison of two json-c values for the record tests,
 * reporting the first difference by path ("body.sql[1].rows").
 *
 * Not json_object_equal() alone: it answers only yes or no, and a failing
 * field-by-field comparison should say which field differs. Leaves (strings,
 * booleans, doubles) still go through json_object_equal().
 */
#ifndef BVAPM_TESTS_RECORD_JSON_COMPARE_H
#define BVAPM_TESTS_RECORD_JSON_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

/* True when equal: same object keys (order ignored), same array order, ints
 * compared by value (int64 or uint64). On a difference,
 * writes a description into why[0..len). */
bool json_values_equal(struct json_object *a, struct json_object *b, char *why, size_t len);

#endif
