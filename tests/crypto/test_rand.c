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

/* public values come from a pool: still fresh on every draw, and never
 * the same octets twice, also across a refill of the pool */
static void public_draws_differ(void **state)
{
	uint8_t prev[32], cur[32], zero[32] = {0}, big[RAND_PUBLIC_MAX + 1];
	int i;

	(void)state;
	assert_int_equal(rand_public(prev, sizeof(prev)), 0);
	for (i = 0; i < 300; i++) { /* 9,600 octets: two refills of 4 KiB */
		assert_int_equal(rand_public(cur, sizeof(cur)), 0);
		assert_memory_not_equal(cur, prev, sizeof(cur));
		assert_memory_not_equal(cur, zero, sizeof(cur));
		memcpy(prev, cur, sizeof(cur));
	}
	assert_int_equal(rand_public(big, sizeof(big)), 0); /* past the pool: direct */
	assert_int_equal(rand_public(NULL, 1), -EINVAL);
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
	/* the seam also replaces the pool of public values */
	assert_int_equal(rand_public(buf, 4), 0);
	th_assert_hex(buf, 4, "00010203");
	assert_int_equal(calls, 2);
	rand_set_source(failing, NULL);
	assert_int_equal(rand_bytes(buf, 4), -EIO);
	th_assert_hex(buf, 4, "00000000"); /* never half-random output */
	memset(buf, 9, sizeof(buf));
	assert_int_equal(rand_public(buf, 4), -EIO);
	th_assert_hex(buf, 4, "00000000");
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
		cmocka_unit_test(public_draws_differ),
		cmocka_unit_test(fake_source),
		cmocka_unit_test(nonce_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
