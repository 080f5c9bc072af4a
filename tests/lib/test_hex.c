#include "testutil.h"

#include <string.h>

#include "lib/hex.h"

static void round_trip(void **state)
{
	uint8_t b[4];
	char s[9];

	(void)state;
	assert_int_equal(hex_decode(b, sizeof(b), "De:aD be EF"), 4);
	assert_string_equal(hex_encode(s, sizeof(s), b, 4), "deadbeef");
}

static void rejects_bad_input(void **state)
{
	uint8_t b[2];
	char s[4];

	(void)state;
	assert_int_equal(hex_decode(b, sizeof(b), "abc"), -1);		  /* odd count */
	assert_int_equal(hex_decode(b, sizeof(b), "zz"), -1);		  /* not hex */
	assert_int_equal(hex_decode(b, sizeof(b), "010203"), -1);	  /* too long */
	assert_string_equal(hex_encode(s, sizeof(s), "\x01\x02", 2), ""); /* buffer short */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(rejects_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
