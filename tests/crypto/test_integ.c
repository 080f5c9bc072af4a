/* integ: lookups, pieces equal the whole, and errors for wrong key/ICV lengths. */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "crypto/alg.h"
#include "crypto/integ.h"

static void lookups(void **state)
{
	(void)state;
	assert_ptr_equal(integ_by_ikev2_id(IKEV2_AUTH_HMAC_SHA2_384_192), &integ_hmac_sha2_384_192);
	assert_ptr_equal(integ_by_ikev2_id(IKEV2_AUTH_AES_XCBC_96), &integ_aes_xcbc_96);
	assert_null(integ_by_ikev2_id(IKEV2_AUTH_NONE));
	assert_null(integ_by_ikev2_id(IKEV2_AUTH_AES_CMAC_96));
	assert_int_equal(integ_hmac_sha2_512_256.key_len, 64);
	assert_int_equal(integ_hmac_sha2_512_256.icv_len, 32);
	assert_int_equal(integ_hmac_md5_96.icv_len, 12);
}

/* The IKEv2 checksum covers the message in pieces; the ICV is the same. */
static void parts_equal_whole(void **state)
{
	uint8_t key[64], msg[100], a[32], b[32];
	const struct integ_alg *algs[] = {&integ_hmac_sha2_256_128, &integ_aes_xcbc_96,
					  &integ_hmac_sha1_96};

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	memset(key, 0x5a, sizeof(key));
	for (size_t i = 0; i < 3; i++) {
		struct span whole = {msg, sizeof(msg)};
		struct span parts[3] = {{msg, 28}, {msg + 28, 17}, {msg + 45, 55}};

		assert_int_equal(integ_compute(algs[i], key, algs[i]->key_len, &whole, 1, a), 0);
		assert_int_equal(integ_compute(algs[i], key, algs[i]->key_len, parts, 3, b), 0);
		assert_memory_equal(a, b, algs[i]->icv_len);
		assert_int_equal(
			integ_verify(algs[i], key, algs[i]->key_len, parts, 3, a, algs[i]->icv_len),
			0);
		/* another key gives another ICV */
		key[0] ^= 1;
		assert_int_equal(
			integ_verify(algs[i], key, algs[i]->key_len, parts, 3, a, algs[i]->icv_len),
			-EBADMSG);
		key[0] ^= 1;
	}
}

static void errors(void **state)
{
	uint8_t key[64] = {0}, icv[32] = {0};
	struct span m = {key, 10};

	(void)state;
	/* RFC 4868 2.1.1: HMAC-SHA-256-128 takes a 256-bit key, not 128 */
	assert_int_equal(integ_compute(&integ_hmac_sha2_256_128, key, 16, &m, 1, icv), -EINVAL);
	assert_int_equal(integ_compute(&integ_aes_xcbc_96, key, 20, &m, 1, icv), -EINVAL);
	assert_int_equal(integ_compute(NULL, key, 16, &m, 1, icv), -EINVAL);
	assert_int_equal(integ_compute(&integ_hmac_md5_96, NULL, 16, &m, 1, icv), -EINVAL);
	assert_int_equal(integ_compute(&integ_hmac_md5_96, key, 16, &m, 1, NULL), -EINVAL);
	/* a truncated or overlong ICV never verifies */
	assert_int_equal(integ_compute(&integ_hmac_md5_96, key, 16, &m, 1, icv), 0);
	assert_int_equal(integ_verify(&integ_hmac_md5_96, key, 16, &m, 1, icv, 12), 0);
	assert_int_equal(integ_verify(&integ_hmac_md5_96, key, 16, &m, 1, icv, 11), -EBADMSG);
	assert_int_equal(integ_verify(&integ_hmac_md5_96, key, 16, &m, 1, icv, 16), -EBADMSG);
	assert_int_equal(integ_verify(&integ_hmac_md5_96, key, 8, &m, 1, icv, 12), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lookups),
		cmocka_unit_test(parts_equal_whole),
		cmocka_unit_test(errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
