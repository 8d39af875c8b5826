/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record_desc.h — run-time descriptors of the schema's tables (internal).
 *
 * Generated from record_schema.h; the verifier and the JSON renderer walk
 * them, so both follow the schema without per-table code. Field i of a
 * descriptor is the field with id i.
 */
#ifndef BVAPM_RECORD_DESC_H
#define BVAPM_RECORD_DESC_H

#include <stdint.h>

#include "record_schema.h"

enum bvapm_rec_field_kind {
	BVAPM_REC_K_BOOL, BVAPM_REC_K_U8, BVAPM_REC_K_ENUM, BVAPM_REC_K_UTYPE,
	BVAPM_REC_K_U16, BVAPM_REC_K_U32, BVAPM_REC_K_U64, BVAPM_REC_K_I64,
	BVAPM_REC_K_STR, BVAPM_REC_K_BYTES, BVAPM_REC_K_VECT, BVAPM_REC_K_UNION,
};

struct bvapm_rec_desc;

struct bvapm_rec_field_desc {
	const char *name;                    /* schema field name */
	uint8_t kind;                        /* enum bvapm_rec_field_kind */
	uint8_t size;                        /* inline size in bytes */
	uint8_t enum_count;                  /* ENUM / UTYPE: number of names */
	const char *const *enum_names;       /* ENUM / UTYPE: names by value (NULL holes) */
	const struct bvapm_rec_desc *sub;    /* VECT: element table */
};

struct bvapm_rec_desc {
	const char *name;                    /* schema table name */
	uint16_t nfields;
	const struct bvapm_rec_field_desc *fields;
};

#define BVAPM_REC__DESC_DECL(t) extern const struct bvapm_rec_desc bvapm_rec_desc_##t;
BVAPM_REC_TABLES(BVAPM_REC__DESC_DECL)

/* The union Body: table descriptor by type value (NULL when unknown). */
#define BVAPM_REC_BODY_TYPES 5
extern const struct bvapm_rec_desc *const bvapm_rec_body_desc[BVAPM_REC_BODY_TYPES];

#endif
