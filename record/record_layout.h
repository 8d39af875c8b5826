/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record_layout.h — the inline area of every table as the C builder writes it
 * (internal to record/; the reader never assumes this layout, it goes through
 * the vtable, so buffers from flatc or a newer producer read just as well).
 *
 * For each table in record_schema.h this generates:
 *   struct bvapm_rec_inl_<table>  the table's inline bytes: the 32-bit vtable
 *                                 offset, then the fields in id order with
 *                                 natural alignment (offset fields as uint32_t)
 *   bvapm_rec_voff_<table>[]      each field's offset inside that struct, which
 *                                 is what the vtable of a C-built table holds
 *   BVAPM_REC_T_<table>           a small index per table (vtable cache slot)
 *
 * Guarantees (checked at compile time): field ids are 0..n-1 in row order, at
 * most 64 fields per table (the builder's absent-field mask), and the host is
 * little-endian (FlatBuffers is, and the builder stores fields in place).
 */
#ifndef BVAPM_RECORD_LAYOUT_H
#define BVAPM_RECORD_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "record_schema.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	"bvapm records are little-endian; a big-endian port needs byte swaps");

#define BVAPM_REC_CT_BOOL uint8_t
#define BVAPM_REC_CT_U8 uint8_t
#define BVAPM_REC_CT_ENUM uint8_t
#define BVAPM_REC_CT_UTYPE uint8_t
#define BVAPM_REC_CT_U16 uint16_t
#define BVAPM_REC_CT_U32 uint32_t
#define BVAPM_REC_CT_U64 uint64_t
#define BVAPM_REC_CT_I64 int64_t
#define BVAPM_REC_CT_STR uint32_t
#define BVAPM_REC_CT_BYTES uint32_t
#define BVAPM_REC_CT_VECT uint32_t
#define BVAPM_REC_CT_UNION uint32_t

#define BVAPM_REC__INL_FIELD(t, id, name, K, sub) BVAPM_REC_CT_##K name;
#define BVAPM_REC__INL_STRUCT(t) \
	struct bvapm_rec_inl_##t { int32_t vt_; BVAPM_REC_TABLE_##t(BVAPM_REC__INL_FIELD) };
BVAPM_REC_TABLES(BVAPM_REC__INL_STRUCT)

#define BVAPM_REC__VOFF(t, id, name, K, sub) (uint16_t)offsetof(struct bvapm_rec_inl_##t, name),
#define BVAPM_REC__VOFF_ARRAY(t) \
	static const uint16_t bvapm_rec_voff_##t[] = { BVAPM_REC_TABLE_##t(BVAPM_REC__VOFF) };
BVAPM_REC_TABLES(BVAPM_REC__VOFF_ARRAY)

#define BVAPM_REC__TINDEX(t) BVAPM_REC_T_##t,
enum bvapm_rec_table_index { BVAPM_REC_TABLES(BVAPM_REC__TINDEX) BVAPM_REC_T_COUNT };

/* Row position, to check that ids are 0..n-1 in row order. */
#define BVAPM_REC__POS(t, id, name, K, sub) BVAPM_REC_POS_##t##_##name,
#define BVAPM_REC__POS_ENUM(t) enum { BVAPM_REC_TABLE_##t(BVAPM_REC__POS) BVAPM_REC_NFIELDS_##t };
BVAPM_REC_TABLES(BVAPM_REC__POS_ENUM)
#define BVAPM_REC__CHECK_ID(t, id, name, K, sub) \
	_Static_assert(id == BVAPM_REC_POS_##t##_##name, "field ids of " #t " must be 0..n-1 in row order");
#define BVAPM_REC__CHECK_TABLE(t) BVAPM_REC_TABLE_##t(BVAPM_REC__CHECK_ID) \
	_Static_assert(BVAPM_REC_NFIELDS_##t <= 64, #t " has more than 64 fields");
BVAPM_REC_TABLES(BVAPM_REC__CHECK_TABLE)

#endif
