#include "testutil.h"

#include "lib/enum_names.h"

ENUM_NAMES(high_names, 16384, NULL, "INITIAL_CONTACT", "SET_WINDOW_SIZE");
ENUM_NAMES(low_names, 1, &high_names, "UNSUPPORTED_CRITICAL_PAYLOAD", NULL, NULL,
	   "INVALID_IKE_SPI");

static void ranges_and_unknowns(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(enum_name(&low_names, 1), "UNSUPPORTED_CRITICAL_PAYLOAD");
	assert_string_equal(enum_name(&low_names, 4), "INVALID_IKE_SPI");
	assert_null(enum_name(&low_names, 2));
	assert_string_equal(enum_name(&low_names, 16385), "SET_WINDOW_SIZE");
	assert_string_equal(enum_name_or(&low_names, 99, buf, sizeof(buf)), "UNKNOWN(99)");
	assert_int_equal(enum_value(&low_names, "initial_contact"), 16384);
	assert_int_equal(enum_value(&low_names, "nope"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ranges_and_unknowns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
