/* rand: the CSPRNG fills buffers, differs between draws, and the test seam
 * replaces it (and its failure is reported, not hidden). */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "crypto/rand.h"

static void draws_differ(void **state)
{
	uint8_t a[32], b[32], zero[32] = {0};
	struct secret *s;

	(void)state;
	assert_int_equal(rand_bytes(a, sizeof(a)), 0);
	assert_int_equal(rand_bytes(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_int_equal(rand_bytes(NULL, 0), 0);
	assert_int_equal(rand_bytes(NULL, 1), -EINVAL);
	s = rand_secret(48);
	assert_non_null(s);
	assert_int_equal(s->len, 48);
	secret_free(s);
}

static int counting(void *ctx, uint8_t *buf, size_t n)
{
	int *calls = ctx;

	(*calls)++;
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)i;
	return 0;
}

static int failing(void *ctx, uint8_t *buf, size_t n)
{
	(void)ctx;
	memset(buf, 0xee, n);
	return -EIO;
}

static void fake_source(void **state)
{
	uint8_t buf[4] = {9, 9, 9, 9};
	int calls = 0;

	(void)state;
	rand_set_source(counting, &calls);
	assert_int_equal(rand_bytes(buf, 4), 0);
	th_assert_hex(buf, 4, "00010203");
	assert_int_equal(calls, 1);
	rand_set_source(failing, NULL);
	assert_int_equal(rand_bytes(buf, 4), -EIO);
	th_assert_hex(buf, 4, "00000000"); /* never half-random output */
	assert_null(rand_secret(8));
	rand_set_source(NULL, NULL);
	assert_int_equal(rand_bytes(buf, 4), 0);
}

/* RFC 7296 2.10: at least 128 bits and half the PRF key size; 3.9: at most 256 bytes. */
static void nonce_length(void **state)
{
	(void)state;
	assert_int_equal(rand_nonce_len(16), 32);
	assert_int_equal(rand_nonce_len(32), 32);
	assert_int_equal(rand_nonce_len(64), 64);
	assert_int_equal(rand_nonce_len(1000), 256);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(draws_differ),
		cmocka_unit_test(fake_source),
		cmocka_unit_test(nonce_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
