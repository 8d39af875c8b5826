/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record_read.c — the schema's descriptors and names, for the verifier, the
 * JSON renderer and callers that print kinds and enums.
 *
 * The typed accessors themselves are static inline functions in record.h
 * (generated from record_schema.h); they rely on a buffer that
 * bvapm_rec_verify() accepted and then never read outside it.
 */
#include <stddef.h>

#include "record.h"
#include "record_desc.h"
#include "record_layout.h"

_Static_assert(BVAPM_REC_POS_record_body == 14, "record.h reads the body at field id 14");
_Static_assert(BVAPM_REC_POS_record_body_type == 13, "the union type precedes its value");
_Static_assert(BVAPM_REC_KIND_MAX < BVAPM_REC_BODY_TYPES, "a kind without a descriptor");

/* ---- enum names ------------------------------------------------------------- */

#define NAME_AT(e, value, Name) [value] = #Name,
static const char *const enum_mode[] = { BVAPM_REC_ENUM_mode(NAME_AT) };
static const char *const enum_keep_reason[] = { BVAPM_REC_ENUM_keep_reason(NAME_AT) };
static const char *const enum_request_kind[] = { BVAPM_REC_ENUM_request_kind(NAME_AT) };
static const char *const enum_span_kind[] = { BVAPM_REC_ENUM_span_kind(NAME_AT) };
#define UNION_NAME_AT(u, value, Name, t) [value] = #Name,
static const char *const enum_body[BVAPM_REC_BODY_TYPES] = { [0] = "NONE", BVAPM_REC_UNION_body(UNION_NAME_AT) };

#define NAMES(a) a, (uint8_t)(sizeof a / sizeof a[0])

static const char *name_of(const char *const *names, unsigned count, unsigned v)
{
	return v < count ? names[v] : NULL;
}

const char *bvapm_rec_kind_name(unsigned kind)
{
	return kind == 0 ? NULL : name_of(enum_body, BVAPM_REC_BODY_TYPES, kind);
}

const char *bvapm_rec_mode_name(unsigned mode)
{
	return name_of(NAMES(enum_mode), mode);
}

const char *bvapm_rec_keep_reason_name(unsigned reason)
{
	return name_of(NAMES(enum_keep_reason), reason);
}

const char *bvapm_rec_request_kind_name(unsigned kind)
{
	return name_of(NAMES(enum_request_kind), kind);
}

const char *bvapm_rec_span_kind_name(unsigned kind)
{
	return name_of(NAMES(enum_span_kind), kind);
}

/* ---- table descriptors --------------------------------------------------------- */

#define SUB_VECT(sub) &bvapm_rec_desc_##sub
#define SUB_OTHER(sub) NULL
#define SUB_BOOL SUB_OTHER
#define SUB_U8 SUB_OTHER
#define SUB_ENUM SUB_OTHER
#define SUB_UTYPE SUB_OTHER
#define SUB_U16 SUB_OTHER
#define SUB_U32 SUB_OTHER
#define SUB_U64 SUB_OTHER
#define SUB_I64 SUB_OTHER
#define SUB_STR SUB_OTHER
#define SUB_BYTES SUB_OTHER
#define SUB_UNION SUB_OTHER

#define ENUM_ENUM(sub) enum_##sub, (uint8_t)(sizeof enum_##sub / sizeof enum_##sub[0])
#define ENUM_UTYPE ENUM_ENUM
#define ENUM_OTHER(sub) NULL, 0
#define ENUM_BOOL ENUM_OTHER
#define ENUM_U8 ENUM_OTHER
#define ENUM_U16 ENUM_OTHER
#define ENUM_U32 ENUM_OTHER
#define ENUM_U64 ENUM_OTHER
#define ENUM_I64 ENUM_OTHER
#define ENUM_STR ENUM_OTHER
#define ENUM_BYTES ENUM_OTHER
#define ENUM_VECT ENUM_OTHER
#define ENUM_UNION ENUM_OTHER

/* Positional initializer: name, kind, size, enum_count, enum_names, sub. */
#define FIELD_ENUM_ARGS(names, count) count, names
#define FIELD_ENUM(K, sub) FIELD_ENUM_ARGS2(ENUM_##K(sub))
#define FIELD_ENUM_ARGS2(...) FIELD_ENUM_SWAP(__VA_ARGS__)
#define FIELD_ENUM_SWAP(names, count) count, names

#define FIELD_ROW(t, id, name, K, sub) \
	{ #name, BVAPM_REC_K_##K, (uint8_t)sizeof(BVAPM_REC_CT_##K), FIELD_ENUM(K, sub), SUB_##K(sub) },
#define DESC_DEF(t) \
	static const struct bvapm_rec_field_desc fields_##t[] = { BVAPM_REC_TABLE_##t(FIELD_ROW) }; \
	const struct bvapm_rec_desc bvapm_rec_desc_##t = { #t, BVAPM_REC_NFIELDS_##t, fields_##t };
BVAPM_REC_TABLES(DESC_DEF)

#define UNION_DESC_AT(u, value, Name, t) [value] = &bvapm_rec_desc_##t,
const struct bvapm_rec_desc *const bvapm_rec_body_desc[BVAPM_REC_BODY_TYPES] = {
	BVAPM_REC_UNION_body(UNION_DESC_AT)
};
