/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record_verify.c — checks an untrusted buffer before anything reads it.
 *
 * Records arrive through shared memory that any producer (or a bug, or an
 * attacker with access to the ring) may have scribbled on, so the verifier
 * trusts no byte. It walks the schema's descriptors (record_desc.h) from the
 * root and checks, for every object reached:
 *   - offsets: inside the buffer, computed in 64 bits (no wrap-around), and
 *     pointing past the end of the object that holds them (forward-only
 *     offsets make cycles impossible; this also rejects a child overlapping
 *     its parent);
 *   - vtables: inside the buffer, 2-aligned, size even and >= 4, not
 *     overlapping their table; each present field inside the table's inline
 *     size and naturally aligned;
 *   - strings: length inside the buffer and a NUL right after the bytes;
 *   - vectors: 4-aligned, length * element size inside the buffer;
 *   - nesting depth <= max_depth and objects visited <= max_objects, which
 *     bounds the work even when a hostile buffer shares one subtree from
 *     many offsets (verification is linear in the buffer size);
 *   - total size <= max_size, the "BVAP" identifier.
 * Unknown fields (ids past the schema's) and unknown union types are skipped
 * after the checks that do not need their type, so newer producers pass.
 *
 * No allocation, no recursion deeper than max_depth, no read outside
 * [buf, buf+len).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "record.h"
#include "record_desc.h"

#define DEFAULT_MAX_DEPTH 8
#define HEADER_SIZE 8           /* root uoffset + file identifier */
#define MIN_SIZE 12

struct vctx {
	const uint8_t *b;
	uint32_t len;
	uint32_t max_depth;
	uint32_t objects_left;
	struct bvapm_rec_verify_error *err;
};

static int fail(struct vctx *c, int code, const char *what, uint64_t at)
{
	if (c->err) {
		c->err->what = what;
		c->err->offset = at > UINT32_MAX ? UINT32_MAX : (uint32_t)at;
	}
	return code;
}

static inline uint32_t rd32(const struct vctx *c, uint32_t at) { return bvapm_rec__u32(c->b + at); }
static inline uint16_t rd16(const struct vctx *c, uint32_t at) { return bvapm_rec__u16(c->b + at); }

static int count_object(struct vctx *c, uint64_t at)
{
	if (c->objects_left == 0)
		return fail(c, -ELOOP, "too many objects (shared subtrees?)", at);
	c->objects_left--;
	return 0;
}

/*
 * Follows the uoffset at `field` (already known to lie inside the buffer and
 * be 4-aligned) to a vector or string header: 4-aligned, at or after min_pos,
 * with `len * esize + extra` bytes of payload inside the buffer.
 * On success stores the header position and the element count.
 */
static int follow_vector(struct vctx *c, uint32_t field, uint32_t min_pos, uint32_t esize,
	uint32_t extra, uint32_t *pos_out, uint32_t *n_out)
{
	uint64_t at = (uint64_t)field + rd32(c, field);
	int rc = count_object(c, at);
	if (rc)
		return rc;
	if (at < min_pos)
		return fail(c, -EBADMSG, "offset points back into the object holding it", field);
	if (at % 4)
		return fail(c, -EBADMSG, "misaligned vector or string", at);
	if (at + 4 > c->len)
		return fail(c, -EBADMSG, "vector or string header out of range", at);
	uint32_t n = rd32(c, (uint32_t)at);
	uint64_t end = at + 4 + (uint64_t)n * esize + extra;
	if (end > c->len)
		return fail(c, -EBADMSG, "vector or string length out of range", at);
	if (esize == 8 && (at + 4) % 8)
		return fail(c, -EBADMSG, "misaligned vector elements", at);
	*pos_out = (uint32_t)at;
	*n_out = n;
	return 0;
}

static int verify_table(struct vctx *c, const struct bvapm_rec_desc *d, uint64_t pos,
	uint32_t min_pos, unsigned depth);

static int verify_string(struct vctx *c, uint32_t field, uint32_t min_pos)
{
	uint32_t at, n;
	int rc = follow_vector(c, field, min_pos, 1, 1, &at, &n);
	if (rc)
		return rc;
	if (c->b[(uint64_t)at + 4 + n] != 0)
		return fail(c, -EBADMSG, "string without NUL terminator", at);
	return 0;
}

static int verify_table_vector(struct vctx *c, const struct bvapm_rec_desc *sub, uint32_t field,
	uint32_t min_pos, unsigned depth)
{
	uint32_t at, n;
	int rc = follow_vector(c, field, min_pos, 4, 0, &at, &n);
	if (rc)
		return rc;
	uint32_t end = at + 4 + 4 * n;   /* in range: checked by follow_vector */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t slot = at + 4 + 4 * i;
		rc = verify_table(c, sub, (uint64_t)slot + rd32(c, slot), end, depth + 1);
		if (rc)
			return rc;
	}
	return 0;
}

/* The union type stored in field `id` of the table at pos (vtable at vt). */
static uint8_t union_type(struct vctx *c, uint32_t pos, uint32_t vt, uint16_t vsize, unsigned id)
{
	uint32_t entry = 4 + 2 * id;
	if (entry + 2 > vsize)
		return 0;
	uint16_t off = rd16(c, vt + entry);
	return off ? c->b[pos + off] : 0;   /* in range: checked with the type field */
}

static int verify_field(struct vctx *c, const struct bvapm_rec_field_desc *f, unsigned id,
	uint32_t pos, uint32_t vt, uint16_t vsize, uint32_t table_end, unsigned depth)
{
	uint32_t abs = pos + rd16(c, vt + 4 + 2 * id);
	switch (f->kind) {
	case BVAPM_REC_K_STR:
		return verify_string(c, abs, table_end);
	case BVAPM_REC_K_BYTES: {
		uint32_t at, n;
		return follow_vector(c, abs, table_end, 1, 0, &at, &n);
	}
	case BVAPM_REC_K_VECT:
		return verify_table_vector(c, f->sub, abs, table_end, depth);
	case BVAPM_REC_K_UNION: {
		uint8_t type = id > 0 ? union_type(c, pos, vt, vsize, id - 1) : 0;
		if (type == 0)
			return fail(c, -EBADMSG, "union value without a type", abs);
		uint64_t at = (uint64_t)abs + rd32(c, abs);
		if (type < BVAPM_REC_BODY_TYPES && bvapm_rec_body_desc[type])
			return verify_table(c, bvapm_rec_body_desc[type], at, table_end, depth + 1);
		/* A kind this reader does not know: only where it points is checked. */
		if (at < table_end || at % 4 || at + 4 > c->len)
			return fail(c, -EBADMSG, "union value of unknown type out of range", abs);
		return 0;
	}
	default:
		return 0;   /* scalars: size and alignment already checked */
	}
}

static int verify_table(struct vctx *c, const struct bvapm_rec_desc *d, uint64_t pos,
	uint32_t min_pos, unsigned depth)
{
	int rc = count_object(c, pos);
	if (rc)
		return rc;
	if (depth > c->max_depth)
		return fail(c, -ELOOP, "tables nested too deep", pos);
	if (pos < min_pos)
		return fail(c, -EBADMSG, "offset points back into the object holding it", pos);
	if (pos % 4 || pos + 4 > c->len)
		return fail(c, -EBADMSG, "table out of range or misaligned", pos);

	int64_t vt64 = (int64_t)pos - (int32_t)rd32(c, (uint32_t)pos);
	if (vt64 < HEADER_SIZE || vt64 % 2 || vt64 + 4 > c->len)
		return fail(c, -EBADMSG, "vtable out of range or misaligned", pos);
	uint32_t vt = (uint32_t)vt64;
	uint16_t vsize = rd16(c, vt), tsize = rd16(c, vt + 2);
	if (vsize < 4 || vsize % 2 || (uint64_t)vt + vsize > c->len)
		return fail(c, -EBADMSG, "bad vtable size", vt);
	if (tsize < 4 || pos + tsize > c->len)
		return fail(c, -EBADMSG, "table size out of range", pos);
	if (vt < pos + tsize && pos < (uint64_t)vt + vsize)
		return fail(c, -EBADMSG, "vtable overlaps its table", vt);

	uint32_t table_end = (uint32_t)pos + tsize;
	unsigned present = (vsize - 4u) / 2;
	unsigned n = present < d->nfields ? present : d->nfields;
	/* Pass 1: every known field lies inside the table and is aligned. */
	for (unsigned i = 0; i < n; i++) {
		uint16_t off = rd16(c, vt + 4 + 2 * i);
		if (!off)
			continue;
		uint32_t size = d->fields[i].size;
		if (off < 4 || (uint32_t)off + size > tsize)
			return fail(c, -EBADMSG, "field outside its table", pos + off);
		if ((pos + off) % size)
			return fail(c, -EBADMSG, "misaligned field", pos + off);
	}
	/* Pass 2: follow the offsets. */
	for (unsigned i = 0; i < n; i++) {
		if (!rd16(c, vt + 4 + 2 * i))
			continue;
		rc = verify_field(c, &d->fields[i], i, (uint32_t)pos, vt, vsize, table_end, depth);
		if (rc)
			return rc;
	}
	return 0;
}

int bvapm_rec_verify(const void *buf, size_t len, const struct bvapm_rec_verify_opts *opts,
	struct bvapm_rec_verify_error *err)
{
	struct bvapm_rec_verify_opts o = { 0 };
	if (opts)
		o = *opts;
	if (!o.max_size || o.max_size > BVAPM_REC_MAX_SIZE)
		o.max_size = BVAPM_REC_MAX_SIZE;
	struct vctx c = { .b = buf, .err = err };
	if (!buf)
		return fail(&c, -EINVAL, "no buffer", 0);
	if (len < MIN_SIZE || len > o.max_size)
		return fail(&c, -EMSGSIZE, "record size out of bounds", len);
	c.len = (uint32_t)len;
	c.max_depth = o.max_depth ? o.max_depth : DEFAULT_MAX_DEPTH;
	c.objects_left = o.max_objects ? o.max_objects : c.len / 4 + 16;
	if (memcmp(c.b + 4, "BVAP", 4) != 0)
		return fail(&c, -EPROTO, "file identifier is not BVAP", 4);
	return verify_table(&c, &bvapm_rec_desc_record, rd32(&c, 0), HEADER_SIZE, 1);
}
