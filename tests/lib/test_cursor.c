#include "testutil.h"

#include <errno.h>

#include "lib/cursor.h"

static void reads_in_order(void **state)
{
	static const uint8_t buf[] = {1, 0x02, 0x03, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7, 8, 0xaa};
	struct cursor c;
	uint8_t a, rest[1];
	uint16_t b;
	uint32_t d;
	uint64_t e;

	(void)state;
	cur_init(&c, buf, sizeof(buf));
	cur_u8(&c, &a);
	cur_u16(&c, &b);
	cur_u32(&c, &d);
	cur_u64(&c, &e);
	cur_copy(&c, rest, 1);
	assert_int_equal(cur_err(&c), 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 0x0203);
	assert_int_equal(d, 0x04050607);
	assert_true(e == 0x0102030405060708ULL);
	assert_int_equal(rest[0], 0xaa);
	assert_int_equal(cur_left(&c), 0);
}

static void overrun_is_sticky_and_zeroes(void **state)
{
	static const uint8_t buf[] = {1, 2, 3};
	struct cursor c;
	uint32_t v = 99;
	uint8_t x = 99;
	struct span s;

	(void)state;
	cur_init(&c, buf, sizeof(buf));
	assert_int_equal(cur_u32(&c, &v), -EMSGSIZE);
	assert_int_equal(v, 0);
	/* a later read that would fit still fails: the error is sticky */
	assert_int_equal(cur_u8(&c, &x), -EMSGSIZE);
	assert_int_equal(x, 0);
	assert_int_equal(cur_left(&c), 0);
	assert_int_equal(c.off, 0);
	cur_span(&c, 1, &s);
	assert_null(s.p);
	assert_int_equal(s.len, 0);
}

static void huge_length_cannot_wrap(void **state)
{
	static const uint8_t buf[8];
	struct cursor c;
	struct span s;

	(void)state;
	cur_init(&c, buf, sizeof(buf));
	cur_skip(&c, 4);
	assert_int_equal(cur_span(&c, SIZE_MAX - 2, &s), -EMSGSIZE);
	assert_null(s.p);
}

static void sub_cursor_is_bounded(void **state)
{
	static const uint8_t buf[] = {0, 3, 'a', 'b', 'c', 'Z'};
	struct cursor c, sub;
	uint16_t n;
	uint8_t tail, x;
	struct span s;

	(void)state;
	cur_init(&c, buf, sizeof(buf));
	cur_u16(&c, &n);
	cur_sub(&c, n, &sub);
	cur_u8(&c, &tail);
	assert_true(cur_ok(&c));
	assert_int_equal(tail, 'Z');
	s = cur_rest(&sub);
	assert_int_equal(s.len, 3);
	assert_memory_equal(s.p, "abc", 3);
	/* the sub-cursor cannot see the parent's next byte */
	assert_int_equal(cur_u8(&sub, &x), -EMSGSIZE);
	/* a sub-cursor of a failed parent fails too */
	cur_sub(&c, 5, &sub);
	assert_false(cur_ok(&sub));
}

static void null_buffer(void **state)
{
	struct cursor c;
	uint8_t x;

	(void)state;
	cur_init(&c, NULL, 10);
	assert_int_equal(cur_left(&c), 0);
	assert_int_equal(cur_u8(&c, &x), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_in_order),
		cmocka_unit_test(overrun_is_sticky_and_zeroes),
		cmocka_unit_test(huge_length_cannot_wrap),
		cmocka_unit_test(sub_cursor_is_bounded),
		cmocka_unit_test(null_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
