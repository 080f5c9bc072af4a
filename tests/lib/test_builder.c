#include "testutil.h"

#include <errno.h>
#include <stdlib.h>

#include "lib/builder.h"

static void puts_and_patches(void **state)
{
	struct builder b;
	size_t len_at, n;
	uint8_t *out;

	(void)state;
	bld_init(&b, 0);
	bld_u8(&b, 0x21);
	len_at = bld_off(&b);
	bld_u16(&b, 0);
	bld_u32(&b, 0xdeadbeef);
	bld_u64(&b, 0x0102030405060708ULL);
	bld_bytes(&b, "xy", 2);
	bld_zero(&b, 2);
	bld_put_u16_at(&b, len_at, (uint16_t)bld_off(&b));
	assert_true(bld_ok(&b));
	th_assert_hex(bld_data(&b), bld_off(&b), "21 0013 deadbeef 0102030405060708 7879 0000");
	out = bld_take(&b, &n);
	assert_int_equal(n, 19);
	free(out);
}

static void grows_past_initial_size(void **state)
{
	struct builder b;
	int i;

	(void)state;
	bld_init(&b, 100000);
	for (i = 0; i < 20000; i++)
		bld_u32(&b, (uint32_t)i);
	assert_true(bld_ok(&b));
	assert_int_equal(bld_off(&b), 80000);
	assert_int_equal(bld_data(&b)[4 * 19999 + 3], 19999 & 0xff);
	bld_free(&b);
}

static void max_is_enforced_and_sticky(void **state)
{
	struct builder b;

	(void)state;
	bld_init(&b, 4);
	bld_u16(&b, 1);
	assert_int_equal(bld_u32(&b, 2), -ENOBUFS);
	assert_int_equal(bld_off(&b), 2);
	assert_int_equal(bld_u8(&b, 3), -ENOBUFS);
	assert_null(bld_reserve(&b, 1));
	bld_free(&b);
}

static void fixed_buffer_never_overflows(void **state)
{
	uint8_t buf[6] = {0};
	uint8_t guard = 0x5a;
	struct builder b;

	(void)state;
	bld_init_fixed(&b, buf, 5);
	bld_u32(&b, 0x01020304);
	assert_true(bld_ok(&b));
	assert_int_equal(bld_u16(&b, 0xffff), -ENOBUFS);
	assert_int_equal(buf[4], 0);
	assert_int_equal(buf[5], 0);
	assert_int_equal(guard, 0x5a);
}

static void patch_outside_written_fails(void **state)
{
	struct builder b;

	(void)state;
	bld_init(&b, 0);
	bld_u16(&b, 7);
	assert_int_equal(bld_put_u16_at(&b, 1, 9), -EINVAL);
	assert_int_equal(bld_put_u8_at(&b, SIZE_MAX, 9), -EINVAL);
	bld_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(puts_and_patches),
		cmocka_unit_test(grows_past_initial_size),
		cmocka_unit_test(max_is_enforced_and_sticky),
		cmocka_unit_test(fixed_buffer_never_overflows),
		cmocka_unit_test(patch_outside_written_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
