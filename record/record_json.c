/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record_json.c — renders a record as JSON with json-c (Debian libjson-c-dev),
 * for bvapm-shm peek, the sinks and the tests.
 *
 * The shape is that of `flatc --json --strict-json` with schemas/bvapm.fbs:
 * schema field names, enums and the union type by name, absent fields left
 * out (BVAPM_REC_JSON_DEFAULTS prints absent scalars with their default, as
 * flatc --defaults-json does). tests/record compares the two.
 *
 * Guarantees: the buffer is verified first (a record that fails verification
 * is never rendered); strings that are not valid UTF-8 get U+FFFD for each
 * invalid byte, so the output is valid JSON whatever the producer sent.
 * Allocates (json-c objects); not for the agent's hot path.
 *
 * Hand-rolled: the UTF-8 check (utf8_seq). json-c does not validate strings
 * it is given, and the Debian libraries that do (glib, libunistring) would be
 * a large dependency of the drainer and tools for one 30-line function.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "record.h"
#include "support/bvapm_text.h"
#include "record_desc.h"

/* ---- strings ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if invalid (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

static struct json_object *json_string(bvapm_rec_str s)
{
	const unsigned char *p = (const unsigned char *)s.ptr;
	size_t i = 0, bad = 0;
	while (i < s.len) {
		size_t k = utf8_seq(p + i, s.len - i);
		if (!k) {
			bad++;
			k = 1;
		}
		i += k;
	}
	if (!bad)
		return json_object_new_string_len(s.ptr, (int)s.len);

	char *out = malloc((size_t)s.len + 2 * bad + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (i = 0; i < s.len;) {
		size_t k = utf8_seq(p + i, s.len - i);
		if (k) {
			memcpy(out + o, p + i, k);
			o += k;
			i += k;
		} else {
			memcpy(out + o, "\xEF\xBF\xBD", 3);   /* U+FFFD */
			o += 3;
			i++;
		}
	}
	struct json_object *j = json_object_new_string_len(out, (int)o);
	free(out);
	return j;
}

static struct json_object *json_bytes(bvapm_rec_bytes b, unsigned flags)
{
	if (flags & BVAPM_REC_JSON_HEX_IDS) {
		char small[65], *s = b.len <= 32 ? small : malloc(2 * (size_t)b.len + 1);
		if (!s)
			return NULL;
		bvapm_hex_encode(s, b.ptr, b.len);
		struct json_object *j = json_object_new_string_len(s, (int)(2 * b.len));
		if (s != small)
			free(s);
		return j;
	}
	struct json_object *a = json_object_new_array_ext((int)b.len);
	for (uint32_t i = 0; a && i < b.len; i++) {
		struct json_object *v = json_object_new_int(b.ptr[i]);
		if (!v || json_object_array_add(a, v)) {
			json_object_put(v);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

static struct json_object *json_enum(const struct bvapm_rec_field_desc *f, uint8_t v)
{
	if (v < f->enum_count && f->enum_names[v])
		return json_object_new_string(f->enum_names[v]);
	return json_object_new_int(v);
}

/* ---- tables ---------------------------------------------------------------------- */

static struct json_object *render_table(const uint8_t *b, const struct bvapm_rec_desc *d,
	uint32_t pos, unsigned flags);

static struct json_object *render_vector(const uint8_t *b, const struct bvapm_rec_desc *sub,
	uint32_t field, unsigned flags)
{
	uint32_t at = bvapm_rec__deref(b, field);
	uint32_t n = bvapm_rec__u32(b + at);
	struct json_object *a = json_object_new_array_ext((int)n);
	for (uint32_t i = 0; a && i < n; i++) {
		struct json_object *v = render_table(b, sub, bvapm_rec__deref(b, at + 4 + 4 * i), flags);
		if (!v || json_object_array_add(a, v)) {
			json_object_put(v);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

/* Renders field i; *skip is set when it is left out. NULL without skip: ENOMEM. */
static struct json_object *render_field(const uint8_t *b, const struct bvapm_rec_field_desc *f,
	uint32_t pos, unsigned i, unsigned flags, bool *skip)
{
	uint32_t at = bvapm_rec__field(b, pos, i);
	*skip = false;
	switch (f->kind) {
	case BVAPM_REC_K_STR:
	case BVAPM_REC_K_BYTES:
	case BVAPM_REC_K_VECT:
	case BVAPM_REC_K_UNION:
		if (!at) {
			*skip = true;
			return NULL;
		}
		break;
	default:
		if (!at && !(flags & BVAPM_REC_JSON_DEFAULTS)) {
			*skip = true;
			return NULL;
		}
	}
	switch (f->kind) {
	case BVAPM_REC_K_BOOL:
		return json_object_new_boolean(BVAPM_REC__GET_BOOL(b, at));
	case BVAPM_REC_K_U8:
		return json_object_new_int(BVAPM_REC__GET_U8(b, at));
	case BVAPM_REC_K_ENUM:
	case BVAPM_REC_K_UTYPE:
		return json_enum(f, BVAPM_REC__GET_U8(b, at));
	case BVAPM_REC_K_U16:
		return json_object_new_int(BVAPM_REC__GET_U16(b, at));
	case BVAPM_REC_K_U32:
		return json_object_new_int64(BVAPM_REC__GET_U32(b, at));
	case BVAPM_REC_K_U64:
		return json_object_new_uint64(BVAPM_REC__GET_U64(b, at));
	case BVAPM_REC_K_I64:
		return json_object_new_int64(BVAPM_REC__GET_I64(b, at));
	case BVAPM_REC_K_STR:
		return json_string(bvapm_rec__str(b, at));
	case BVAPM_REC_K_BYTES:
		return json_bytes(bvapm_rec__bytes(b, at), flags);
	case BVAPM_REC_K_VECT:
		return render_vector(b, f->sub, at, flags);
	case BVAPM_REC_K_UNION: {
		uint8_t type = BVAPM_REC__GET_U8(b, bvapm_rec__field(b, pos, i - 1));
		if (type >= BVAPM_REC_BODY_TYPES || !bvapm_rec_body_desc[type]) {
			*skip = true;   /* a kind this reader does not know */
			return NULL;
		}
		return render_table(b, bvapm_rec_body_desc[type], bvapm_rec__deref(b, at), flags);
	}
	}
	*skip = true;
	return NULL;
}

static struct json_object *render_table(const uint8_t *b, const struct bvapm_rec_desc *d,
	uint32_t pos, unsigned flags)
{
	struct json_object *o = json_object_new_object();
	for (unsigned i = 0; o && i < d->nfields; i++) {
		const struct bvapm_rec_field_desc *f = &d->fields[i];
		bool skip;
		struct json_object *v = render_field(b, f, pos, i, flags, &skip);
		if (skip)
			continue;
		if (!v || json_object_object_add(o, f->name, v)) {
			json_object_put(v);
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* ---- entry points ---------------------------------------------------------------- */

struct json_object *bvapm_rec_to_json(const void *buf, size_t len, unsigned flags)
{
	int rc = bvapm_rec_verify(buf, len, NULL, NULL);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	const uint8_t *b = buf;
	struct json_object *o = render_table(b, &bvapm_rec_desc_record, bvapm_rec__u32(b), flags);
	if (!o)
		errno = ENOMEM;
	return o;
}

char *bvapm_rec_to_json_string(const void *buf, size_t len, unsigned flags)
{
	struct json_object *o = bvapm_rec_to_json(buf, len, flags);
	if (!o)
		return NULL;
	int jflags = JSON_C_TO_STRING_NOSLASHESCAPE |
		(flags & BVAPM_REC_JSON_PRETTY ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN);
	const char *s = json_object_to_json_string_ext(o, jflags);
	char *copy = s ? strdup(s) : NULL;
	json_object_put(o);
	if (!copy)
		errno = ENOMEM;
	return copy;
}
