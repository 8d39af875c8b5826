/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_verify.c — the verifier rejects malformed records and never crashes.
 *
 * A corpus of hand-made corruptions of valid records (truncated, offsets out
 * of range, overlapping objects, huge lengths, missing terminators, deep
 * nesting, object amplification), then every single-byte mutation of every
 * fixture and random buffers: whatever the verifier accepts is rendered and
 * read, which under the ASan+UBSan build proves "no read outside the buffer".
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

struct sample {
	_Alignas(8) uint8_t buf[CAP];
	size_t len;
};

static void encode(struct sample *s, enum fixture_kind k)
{
	ssize_t n = fixture_encode(k, s->buf, CAP);
	assert_true(n > 0);
	s->len = (size_t)n;
	assert_int_equal(bvapm_rec_verify(s->buf, s->len, NULL, NULL), 0);
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static int verify(const struct sample *s, const char *expect_what)
{
	struct bvapm_rec_verify_error err = { 0 };
	int rc = bvapm_rec_verify(s->buf, s->len, NULL, &err);
	if (expect_what && (!err.what || !strstr(err.what, expect_what))) {
		print_error("expected '%s', got rc %d '%s' at %u\n", expect_what, rc,
			err.what ? err.what : "(none)", err.offset);
		fail();
	}
	return rc;
}

/* Reads every field through the renderer; returns whether it rendered. */
static bool render_all(const uint8_t *buf, size_t len)
{
	struct json_object *j = bvapm_rec_to_json(buf, len, BVAPM_REC_JSON_DEFAULTS);
	if (!j)
		return false;
	const char *s = json_object_to_json_string(j);
	assert_non_null(s);
	json_object_put(j);
	return true;
}

/* ---- well-formed --------------------------------------------------------------- */

static void test_fixtures_verify(void **st)
{
	(void)st;
	static struct sample s;
	for (int k = 0; k < FX_COUNT; k++) {
		encode(&s, k);
		assert_true(render_all(s.buf, s.len));
	}
}

/* ---- corpus of malformed buffers ----------------------------------------------------- */

static void test_every_truncation_rejected(void **st)
{
	(void)st;
	static struct sample s;
	for (int k = 0; k < FX_COUNT; k++) {
		encode(&s, k);
		for (size_t n = 0; n < s.len; n++) {
			uint8_t *copy = malloc(n ? n : 1);   /* exact size: ASan sees any overread */
			memcpy(copy, s.buf, n);
			assert_int_not_equal(bvapm_rec_verify(copy, n, NULL, NULL), 0);
			free(copy);
		}
	}
}

static void test_size_and_identifier(void **st)
{
	(void)st;
	static struct sample s;
	encode(&s, FX_REQUEST);
	assert_int_equal(bvapm_rec_verify(NULL, 100, NULL, NULL), -EINVAL);
	assert_int_equal(bvapm_rec_verify(s.buf, 11, NULL, NULL), -EMSGSIZE);
	struct bvapm_rec_verify_opts small = { .max_size = 1024 };
	assert_int_equal(bvapm_rec_verify(s.buf, s.len, &small, NULL), -EMSGSIZE);
	assert_int_equal(bvapm_rec_verify(s.buf, (size_t)BVAPM_REC_MAX_SIZE + 1, NULL, NULL), -EMSGSIZE);
	s.buf[7] = 'Q';
	assert_int_equal(verify(&s, "identifier"), -EPROTO);
}

static void test_root_offset_out_of_range(void **st)
{
	(void)st;
	static struct sample s;
	uint32_t bad[] = { (uint32_t)0, 4, 6, 0x7ffffff0u, 0xfffffffcu };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		encode(&s, FX_STATS);
		put32(s.buf, bad[i] ? bad[i] : (uint32_t)s.len);
		assert_int_equal(verify(&s, NULL), -EBADMSG);
	}
	encode(&s, FX_STATS);
	put32(s.buf, bvapm_rec__u32(s.buf) + 2);   /* misaligned table */
	assert_int_equal(verify(&s, "table out of range or misaligned"), -EBADMSG);
}

static void test_vtable_out_of_range(void **st)
{
	(void)st;
	static struct sample s;
	int32_t bad[] = { INT32_MIN, INT32_MAX, -0x100000, 1 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		encode(&s, FX_REQUEST);
		uint32_t root = bvapm_rec__u32(s.buf);
		put32(s.buf + root, (uint32_t)bad[i]);
		assert_int_equal(verify(&s, "vtable"), -EBADMSG);
	}
	/* vtable pointing into the header (root offset / identifier) */
	encode(&s, FX_REQUEST);
	uint32_t root = bvapm_rec__u32(s.buf);
	put32(s.buf + root, root - 4);
	assert_int_equal(verify(&s, "vtable out of range"), -EBADMSG);
}

static void test_vtable_fields_checked(void **st)
{
	(void)st;
	static struct sample s;
	encode(&s, FX_REQUEST);
	uint32_t root = bvapm_rec__u32(s.buf);
	uint32_t vt = root - bvapm_rec__u32(s.buf + root);
	put16(s.buf + vt, 5);                        /* odd vtable size */
	assert_int_equal(verify(&s, "bad vtable size"), -EBADMSG);

	encode(&s, FX_REQUEST);
	put16(s.buf + vt, 0xfffe);                   /* vtable runs off the end */
	assert_int_equal(verify(&s, "bad vtable size"), -EBADMSG);

	encode(&s, FX_REQUEST);
	put16(s.buf + vt + 2, 0xfff0);               /* table size runs off the end */
	assert_int_equal(verify(&s, "table size out of range"), -EBADMSG);

	encode(&s, FX_REQUEST);
	uint16_t tsize = bvapm_rec__u16(s.buf + vt + 2);
	put16(s.buf + vt + 4 + 2 * 7, tsize);        /* `sequence` just past the table */
	assert_int_equal(verify(&s, "field outside its table"), -EBADMSG);

	encode(&s, FX_REQUEST);
	put16(s.buf + vt + 4 + 2 * 7, 12);           /* u64 `sequence` at a 4-aligned offset */
	assert_int_equal(verify(&s, "misaligned field"), -EBADMSG);
}

static void test_vtable_overlapping_its_table(void **st)
{
	(void)st;
	static struct sample s;
	encode(&s, FX_REQUEST);
	uint32_t root = bvapm_rec__u32(s.buf);
	put32(s.buf + root, (uint32_t)-8);           /* vtable 8 bytes into the table */
	assert_int_equal(verify(&s, NULL), -EBADMSG);
}

static uint32_t field_pos(const struct sample *s, uint32_t table, unsigned id)
{
	uint32_t p = bvapm_rec__field(s->buf, table, id);
	assert_int_not_equal(p, 0);
	return p;
}

static void test_string_checks(void **st)
{
	(void)st;
	static struct sample s;
	encode(&s, FX_REQUEST);
	uint32_t host = bvapm_rec__deref(s.buf, field_pos(&s, bvapm_rec__u32(s.buf), 4));
	uint32_t len = bvapm_rec__u32(s.buf + host);

	put32(s.buf + host, 0xfffffff0u);            /* huge length */
	assert_int_equal(verify(&s, "length out of range"), -EBADMSG);

	encode(&s, FX_REQUEST);
	put32(s.buf + host, len - 1);                /* the byte after is not NUL */
	assert_int_equal(verify(&s, "NUL"), -EBADMSG);

	encode(&s, FX_REQUEST);
	s.buf[host + 4 + len] = 'x';                 /* terminator overwritten */
	assert_int_equal(verify(&s, "NUL"), -EBADMSG);
}

static void test_offset_into_its_own_table_rejected(void **st)
{
	(void)st;
	static struct sample s;
	encode(&s, FX_REQUEST);
	uint32_t root = bvapm_rec__u32(s.buf);
	uint32_t host_field = field_pos(&s, root, 4);
	put32(s.buf + host_field, 4);                /* "string" overlapping the table itself */
	assert_int_equal(verify(&s, "points back"), -EBADMSG);

	encode(&s, FX_REQUEST);
	uint32_t body_field = field_pos(&s, root, 14);
	put32(s.buf + body_field, 0);                /* body table = the Record's own field */
	assert_int_equal(verify(&s, NULL), -EBADMSG);
}

static void test_vector_checks(void **st)
{
	(void)st;
	static struct sample s;
	encode(&s, FX_STATS);
	uint32_t body = bvapm_rec__deref(s.buf, field_pos(&s, bvapm_rec__u32(s.buf), 14));
	uint32_t counters = bvapm_rec__deref(s.buf, field_pos(&s, body, 2));
	put32(s.buf + counters, 0x40000000u);        /* huge length (x4 overflows 32 bits) */
	assert_int_equal(verify(&s, "length out of range"), -EBADMSG);

	encode(&s, FX_STATS);
	put32(s.buf + counters + 4, 0x7ffffff0u);    /* element offset out of range */
	assert_int_equal(verify(&s, "table out of range"), -EBADMSG);

	encode(&s, FX_STATS);
	put32(s.buf + counters + 4, 2);              /* element overlapping its vector */
	assert_int_equal(verify(&s, "points back"), -EBADMSG);

	encode(&s, FX_REQUEST);
	uint32_t rq = bvapm_rec__deref(s.buf, field_pos(&s, bvapm_rec__u32(s.buf), 14));
	uint32_t trace_field = field_pos(&s, bvapm_rec__u32(s.buf), 10);
	(void)rq;
	put32(s.buf + trace_field, bvapm_rec__u32(s.buf + trace_field) + 1);   /* misaligned vector */
	assert_int_equal(verify(&s, "misaligned"), -EBADMSG);
}

static void test_union_checks(void **st)
{
	(void)st;
	static struct sample s;
	encode(&s, FX_REQUEST);
	uint32_t type_pos = field_pos(&s, bvapm_rec__u32(s.buf), 13);
	s.buf[type_pos] = 0;                         /* value without a type */
	assert_int_equal(verify(&s, "without a type"), -EBADMSG);

	encode(&s, FX_REQUEST);
	s.buf[type_pos] = 200;                       /* a kind from a newer producer */
	assert_int_equal(verify(&s, NULL), 0);
	assert_true(render_all(s.buf, s.len));

	encode(&s, FX_REQUEST);
	s.buf[type_pos] = BVAPM_REC_KIND_STATS;      /* wrong kind: read as Statistics */
	int rc = verify(&s, NULL);
	if (rc == 0)
		assert_true(render_all(s.buf, s.len));
}

static void test_nesting_depth_and_object_limits(void **st)
{
	(void)st;
	static struct sample s;
	encode(&s, FX_REQUEST);
	struct bvapm_rec_verify_opts o = { .max_depth = 3 };
	assert_int_equal(bvapm_rec_verify(s.buf, s.len, &o, NULL), -ELOOP);
	o.max_depth = 4;                             /* Record > RequestProfile > ErrorEvent > StackFrame */
	assert_int_equal(bvapm_rec_verify(s.buf, s.len, &o, NULL), 0);
	o = (struct bvapm_rec_verify_opts){ .max_objects = 10 };
	assert_int_equal(bvapm_rec_verify(s.buf, s.len, &o, NULL), -ELOOP);
}

/* All slots of a vector pointing at one element: accepted (FlatBuffers allows
 * sharing) but the work stays bounded by max_objects. */
static void test_shared_elements_bounded(void **st)
{
	(void)st;
	static struct sample s;
	static struct bvapm_rec_counter many[2000];
	for (int i = 0; i < 2000; i++)
		many[i] = (struct bvapm_rec_counter){ bvapm_rec_cstr("c"), i };
	struct bvapm_rec_stats stats = { bvapm_rec_cstr("x"), 1, many, 2000 };
	ssize_t n = bvapm_rec_encode_stats(s.buf, CAP, &fixture_envelope_bare, &stats);
	assert_true(n > 0);
	s.len = (size_t)n;
	uint32_t body = bvapm_rec__deref(s.buf, field_pos(&s, bvapm_rec__u32(s.buf), 14));
	uint32_t vec = bvapm_rec__deref(s.buf, field_pos(&s, body, 2));
	uint32_t first = bvapm_rec__deref(s.buf, vec + 4);
	for (uint32_t i = 1; i < 2000; i++)
		put32(s.buf + vec + 4 + 4 * i, first - (vec + 4 + 4 * i));
	assert_int_equal(verify(&s, NULL), 0);
	struct bvapm_rec_verify_opts o = { .max_objects = 1000 };
	assert_int_equal(bvapm_rec_verify(s.buf, s.len, &o, NULL), -ELOOP);
}

/* ---- mutations ------------------------------------------------------------------------- */

static void test_single_byte_mutations_never_crash(void **st)
{
	(void)st;
	static struct sample s;
	unsigned accepted = 0, rejected = 0;
	for (int k = 0; k < FX_COUNT; k++) {
		encode(&s, k);
		uint8_t *copy = malloc(s.len);
		for (size_t i = 0; i < s.len; i++) {
			uint8_t orig = s.buf[i];
			const uint8_t values[] = { 0x00, 0xff, 0x7f, 0x80, (uint8_t)(orig ^ 1),
				(uint8_t)(orig + 4), (uint8_t)(orig - 4) };
			for (size_t v = 0; v < sizeof values; v++) {
				memcpy(copy, s.buf, s.len);
				copy[i] = values[v];
				if (bvapm_rec_verify(copy, s.len, NULL, NULL) == 0) {
					accepted++;
					assert_true(render_all(copy, s.len));
				} else {
					rejected++;
				}
			}
		}
		free(copy);
	}
	print_message("# mutations: %u accepted, %u rejected\n", accepted, rejected);
	assert_true(rejected > 0 && accepted > 0);
}

static void test_random_buffers_never_crash(void **st)
{
	(void)st;
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (int round = 0; round < 20000; round++) {
		size_t len = 12 + (size_t)(x % 256);
		uint8_t *b = malloc(len);
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			b[i] = (uint8_t)(x % 8 == 0 ? 0 : x >> 24);
		}
		memcpy(b + 4, "BVAP", 4);
		put32(b, (uint32_t)(8 + 4 * (x % 8)));
		if (bvapm_rec_verify(b, len, NULL, NULL) == 0)
			assert_true(render_all(b, len));
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures_verify),
		cmocka_unit_test(test_every_truncation_rejected),
		cmocka_unit_test(test_size_and_identifier),
		cmocka_unit_test(test_root_offset_out_of_range),
		cmocka_unit_test(test_vtable_out_of_range),
		cmocka_unit_test(test_vtable_fields_checked),
		cmocka_unit_test(test_vtable_overlapping_its_table),
		cmocka_unit_test(test_string_checks),
		cmocka_unit_test(test_offset_into_its_own_table_rejected),
		cmocka_unit_test(test_vector_checks),
		cmocka_unit_test(test_union_checks),
		cmocka_unit_test(test_nesting_depth_and_object_limits),
		cmocka_unit_test(test_shared_elements_bounded),
		cmocka_unit_test(test_single_byte_mutations_never_crash),
		cmocka_unit_test(test_random_buffers_never_crash),
	};
	return cmocka_run_group_tests_name("record verifier", tests, NULL, NULL);
}
