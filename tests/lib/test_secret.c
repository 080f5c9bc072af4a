#include "testutil.h"

#include "lib/secret.h"

static void copy_concat_free(void **state)
{
	struct secret *a = secret_from("ab", 2), *b = secret_from("cde", 3);
	struct secret *c = secret_concat(a, b), *d = secret_dup(c);

	(void)state;
	assert_int_equal(d->len, 5);
	assert_memory_equal(d->data, "abcde", 5);
	assert_null(secret_dup(NULL));
	secret_free(a);
	secret_free(b);
	secret_free(c);
	secret_free(d);
	secret_free(NULL);
}

static void wipe_zeroes(void **state)
{
	uint8_t buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = 0xa5;
	wipe(buf, sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(copy_concat_free),
		cmocka_unit_test(wipe_zeroes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
