/*
 * include/hike/cursor.h at its edges: every read succeeds with exactly
 * enough bytes, fails with one fewer and then consumes nothing; every
 * write fits exactly or sets the sticky overflow flag.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "hike/cursor.h"

static const uint8_t bytes[8] = { 0x01, 0x23, 0x45, 0x67,
				  0x89, 0xab, 0xcd, 0xef };

static void test_rd_ints_exact_and_short(void **state)
{
	struct rd r;
	uint8_t v8 = 0x5a;
	uint16_t v16 = 0x5a5a;
	uint32_t v32 = 0x5a5a5a5a;
	uint64_t v64 = 0x5a5a5a5a5a5a5a5aull;

	(void)state;
	r = rd_init(bytes, 1);
	assert_true(rd_u8(&r, &v8));
	assert_int_equal(v8, 0x01);
	assert_int_equal(rd_left(&r), 0);
	assert_false(rd_u8(&r, &v8));
	assert_int_equal(v8, 0x01);		/* untouched on failure */

	r = rd_init(bytes, 2);
	assert_true(rd_u16(&r, &v16));
	assert_int_equal(v16, 0x0123);
	r = rd_init(bytes, 1);
	assert_false(rd_u16(&r, &v16));
	assert_int_equal(rd_left(&r), 1);	/* nothing consumed */
	assert_int_equal(v16, 0x0123);

	r = rd_init(bytes, 4);
	assert_true(rd_u32(&r, &v32));
	assert_int_equal(v32, 0x01234567);
	r = rd_init(bytes, 3);
	assert_false(rd_u32(&r, &v32));
	assert_int_equal(rd_left(&r), 3);

	r = rd_init(bytes, 8);
	assert_true(rd_u64(&r, &v64));
	assert_true(v64 == 0x0123456789abcdefull);
	assert_int_equal(rd_left(&r), 0);
	/* 7 bytes: the first half would fit, but nothing may be consumed */
	r = rd_init(bytes, 7);
	assert_false(rd_u64(&r, &v64));
	assert_int_equal(rd_left(&r), 7);
	assert_ptr_equal(r.p, bytes);
}

static void test_rd_skip_bytes_ptr(void **state)
{
	struct rd r = rd_init(bytes, sizeof(bytes));
	uint8_t out[8] = { 0 };
	const uint8_t *p = NULL;

	(void)state;
	assert_true(rd_skip(&r, 0));
	assert_false(rd_skip(&r, 9));
	assert_int_equal(rd_left(&r), 8);
	assert_false(rd_skip(&r, SIZE_MAX));
	assert_true(rd_bytes(&r, out, 0));
	assert_true(rd_bytes(&r, out, 3));
	assert_memory_equal(out, bytes, 3);
	assert_false(rd_bytes(&r, out, 6));
	assert_int_equal(rd_left(&r), 5);
	assert_true(rd_ptr(&r, &p, 5));
	assert_ptr_equal(p, bytes + 3);
	assert_int_equal(rd_left(&r), 0);
	p = NULL;
	assert_false(rd_ptr(&r, &p, 1));
	assert_null(p);
	assert_true(rd_ptr(&r, &p, 0));		/* empty borrow at the end */
	assert_true(rd_skip(&r, 0));

	/* an empty reader over NULL is fine */
	r = rd_init(NULL, 0);
	assert_int_equal(rd_left(&r), 0);
	assert_true(rd_bytes(&r, out, 0));
	assert_false(rd_u8(&r, out));
}

static void test_rd_sub_is_bounded(void **state)
{
	struct rd r = rd_init(bytes, sizeof(bytes)), sub;
	uint32_t v;
	uint8_t b;

	(void)state;
	assert_true(rd_skip(&r, 1));
	assert_true(rd_sub(&r, &sub, 3));
	assert_int_equal(rd_left(&sub), 3);
	assert_int_equal(rd_left(&r), 4);
	/* the sub-reader cannot see past its length into the parent */
	assert_false(rd_u32(&sub, &v));
	assert_true(rd_u8(&sub, &b));
	assert_int_equal(b, 0x23);
	/* a sub longer than what is left fails and leaves r alone */
	assert_false(rd_sub(&r, &sub, 5));
	assert_int_equal(rd_left(&r), 4);
	assert_true(rd_sub(&r, &sub, 4));
	assert_int_equal(rd_left(&r), 0);
	assert_true(rd_sub(&r, &sub, 0));
	assert_int_equal(rd_left(&sub), 0);
}

static void test_wr_ints_big_endian(void **state)
{
	uint8_t buf[15];
	const uint8_t want[15] = { 0xab, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
				   0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
				   0xef };
	struct wr w = wr_init(buf, sizeof(buf));

	(void)state;
	assert_true(wr_u8(&w, 0xab));
	assert_true(wr_u16(&w, 0x1234));
	assert_true(wr_u32(&w, 0xdeadbeef));
	assert_true(wr_u64(&w, 0x0123456789abcdefull));
	assert_true(wr_ok(&w));
	assert_int_equal(w.len, sizeof(buf));	/* exactly full */
	assert_memory_equal(buf, want, sizeof(want));
	assert_false(wr_u8(&w, 0));
	assert_false(wr_ok(&w));
}

static void test_wr_overflow_is_sticky(void **state)
{
	uint8_t buf[4];
	struct wr w = wr_init(buf, sizeof(buf));

	(void)state;
	assert_true(wr_u16(&w, 0x0102));
	assert_false(wr_u32(&w, 0));		/* 2 left, 4 wanted */
	assert_false(wr_ok(&w));
	assert_int_equal(w.len, 2);
	/* would fit, but overflow is sticky */
	assert_false(wr_u8(&w, 0));
	assert_false(wr_bytes(&w, "", 0));
	assert_int_equal(wr_reserve(&w, 0), SIZE_MAX);
	assert_int_equal(w.len, 2);

	w = wr_init(buf, sizeof(buf));
	assert_int_equal(wr_reserve(&w, 0), 0);
	assert_int_equal(wr_reserve(&w, 4), 0);
	assert_int_equal(wr_reserve(&w, 0), 4);
	assert_true(wr_ok(&w));
	assert_int_equal(wr_reserve(&w, 1), SIZE_MAX);
	assert_false(wr_ok(&w));

	/* a huge reservation must not wrap around */
	w = wr_init(buf, sizeof(buf));
	assert_true(wr_u8(&w, 1));
	assert_int_equal(wr_reserve(&w, SIZE_MAX), SIZE_MAX);
	assert_false(wr_ok(&w));

	/* a zero-capacity writer */
	w = wr_init(NULL, 0);
	assert_true(wr_bytes(&w, NULL, 0));
	assert_false(wr_u8(&w, 0));
}

static void test_wr_patch_edges(void **state)
{
	uint8_t buf[8];
	struct wr w = wr_init(buf, sizeof(buf));
	size_t off;

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	off = wr_reserve(&w, 4);
	assert_int_equal(off, 0);
	wr_patch_u32(&w, off, 0x01020304);
	assert_memory_equal(buf, ((uint8_t[]){ 1, 2, 3, 4 }), 4);
	wr_patch_u16(&w, 2, 0xa0b0);
	assert_memory_equal(buf, ((uint8_t[]){ 1, 2, 0xa0, 0xb0 }), 4);
	wr_patch_u8(&w, 3, 0x77);
	assert_int_equal(buf[3], 0x77);
	/* past what was written: ignored even though cap allows it */
	wr_patch_u8(&w, 4, 0x11);
	wr_patch_u16(&w, 3, 0x1111);
	wr_patch_u32(&w, 1, 0x11111111);
	assert_memory_equal(buf, ((uint8_t[]){ 1, 2, 0xa0, 0x77, 0xee }), 5);
	/* SIZE_MAX offsets (a failed reserve) are ignored */
	wr_patch_u8(&w, SIZE_MAX, 0);
	wr_patch_u16(&w, SIZE_MAX, 0);
	wr_patch_u32(&w, SIZE_MAX, 0);
	assert_memory_equal(buf, ((uint8_t[]){ 1, 2, 0xa0, 0x77 }), 4);
	/* offsets so large that off + n wraps around must not write */
	wr_patch_u16(&w, SIZE_MAX - 1, 0);
	wr_patch_u32(&w, SIZE_MAX - 2, 0);
	assert_memory_equal(buf, ((uint8_t[]){ 1, 2, 0xa0, 0x77 }), 4);
	/* after overflow nothing is patched */
	assert_false(wr_bytes(&w, bytes, 5));
	wr_patch_u8(&w, 0, 0x99);
	assert_int_equal(buf[0], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rd_ints_exact_and_short),
		cmocka_unit_test(test_rd_skip_bytes_ptr),
		cmocka_unit_test(test_rd_sub_is_bounded),
		cmocka_unit_test(test_wr_ints_big_endian),
		cmocka_unit_test(test_wr_overflow_is_sticky),
		cmocka_unit_test(test_wr_patch_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
