/* encr: round trips for every cipher and key size, IKEv1 IV chaining, DES only
 * through the legacy context, and clear errors for wrong lengths. */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto/alg.h"
#include "crypto/encr.h"
#include "crypto/legacy.h"
#include "crypto/rand.h"

static const struct encr_alg *const all[] = {
	&encr_des,	 &encr_3des,	   &encr_aes_cbc,    &encr_aes_ctr,
	&encr_aes_gcm_8, &encr_aes_gcm_12, &encr_aes_gcm_16, &encr_chacha20_poly1305,
};

/* Encrypt then decrypt random data with each key size of each algorithm. */
static void round_trip_all(void **state)
{
	uint8_t key[36], iv[16], plain[96], ct[96], back[96], icv[16], hdr[32];
	struct span aad = {hdr, sizeof(hdr)};

	(void)state;
	for (size_t a = 0; a < sizeof(all) / sizeof(all[0]); a++) {
		const struct encr_alg *alg = all[a];

		for (size_t k = 0; k < 3 && alg->key_bits[k]; k++) {
			unsigned bits = alg->key_attr ? alg->key_bits[k] : 0;
			size_t key_len = encr_keymat_len(alg, bits);
			size_t naad = alg->aead ? 1 : 0;

			print_message("%s %u\n", alg->name, alg->key_bits[k]);
			assert_true(key_len > 0 && key_len <= sizeof(key));
			assert_int_equal(rand_bytes(key, key_len), 0);
			assert_int_equal(rand_bytes(iv, alg->iv_len), 0);
			assert_int_equal(rand_bytes(plain, sizeof(plain)), 0);
			assert_int_equal(rand_bytes(hdr, sizeof(hdr)), 0);
			assert_int_equal(encr_encrypt(alg, key, key_len, iv, alg->iv_len, &aad,
						      naad, plain, sizeof(plain), ct, icv),
					 0);
			assert_memory_not_equal(ct, plain, sizeof(plain));
			assert_int_equal(encr_decrypt(alg, key, key_len, iv, alg->iv_len, &aad,
						      naad, ct, sizeof(ct), back, icv),
					 0);
			assert_memory_equal(back, plain, sizeof(plain));
		}
	}
}

/* IKEv1 (RFC 2409 appendix B): the next IV is the last ciphertext block; two
 * chained calls equal one call over both messages. */
static void ikev1_iv_chaining(void **state)
{
	uint8_t key[16], iv[16], plain[64], whole[64], part[64];

	(void)state;
	rand_bytes(key, sizeof(key));
	rand_bytes(iv, sizeof(iv));
	rand_bytes(plain, sizeof(plain));
	assert_int_equal(
		encr_encrypt(&encr_aes_cbc, key, 16, iv, 16, NULL, 0, plain, 64, whole, NULL), 0);
	assert_int_equal(
		encr_encrypt(&encr_aes_cbc, key, 16, iv, 16, NULL, 0, plain, 32, part, NULL), 0);
	assert_int_equal(encr_encrypt(&encr_aes_cbc, key, 16, part + 32 - 16, 16, NULL, 0,
				      plain + 32, 32, part + 32, NULL),
			 0);
	assert_memory_equal(part, whole, 64);
}

/* Single DES comes from the private legacy context, never the default one. */
static void des_only_through_legacy(void **state)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "DES-CBC", NULL);

	(void)state;
	assert_null(c); /* the default context has no legacy provider loaded */
	assert_non_null(legacy_libctx());
	c = legacy_cipher_fetch("DES-CBC");
	assert_non_null(c);
	EVP_CIPHER_free(c);
	assert_null(legacy_cipher_fetch("AES-128-CBC")); /* only the legacy provider there */
}

static void wrong_lengths_are_errors(void **state)
{
	uint8_t key[40] = {0}, iv[16] = {0}, buf[48] = {0}, icv[16] = {0};
	struct span aad = {buf, 8};

	(void)state;
	/* key: AES-CBC takes 16/24/32, GCM 20/28/36 (with salt), ChaCha20 36 */
	assert_int_equal(encr_encrypt(&encr_aes_cbc, key, 20, iv, 16, NULL, 0, buf, 16, buf, NULL),
			 -EINVAL);
	assert_int_equal(encr_encrypt(&encr_aes_gcm_16, key, 16, iv, 8, NULL, 0, buf, 16, buf, icv),
			 -EINVAL);
	assert_int_equal(
		encr_encrypt(&encr_chacha20_poly1305, key, 32, iv, 8, NULL, 0, buf, 16, buf, icv),
		-EINVAL);
	assert_int_equal(encr_encrypt(&encr_3des, key, 16, iv, 8, NULL, 0, buf, 16, buf, NULL),
			 -EINVAL);
	assert_int_equal(encr_encrypt(&encr_aes_cbc, key, 0, iv, 16, NULL, 0, buf, 16, buf, NULL),
			 -EINVAL);
	/* IV */
	assert_int_equal(encr_encrypt(&encr_aes_cbc, key, 16, iv, 8, NULL, 0, buf, 16, buf, NULL),
			 -EINVAL);
	assert_int_equal(
		encr_decrypt(&encr_aes_gcm_16, key, 20, iv, 12, NULL, 0, buf, 16, buf, icv),
		-EINVAL);
	assert_int_equal(
		encr_encrypt(&encr_aes_cbc, key, 16, NULL, 16, NULL, 0, buf, 16, buf, NULL),
		-EINVAL);
	/* CBC needs whole blocks (the caller pads, RFC 7296 3.14) */
	assert_int_equal(encr_encrypt(&encr_aes_cbc, key, 16, iv, 16, NULL, 0, buf, 17, buf, NULL),
			 -EINVAL);
	assert_int_equal(encr_decrypt(&encr_3des, key, 24, iv, 8, NULL, 0, buf, 12, buf, NULL),
			 -EINVAL);
	/* CTR and AEAD take any length */
	assert_int_equal(encr_encrypt(&encr_aes_ctr, key, 20, iv, 8, NULL, 0, buf, 17, buf, NULL),
			 0);
	/* AAD only with AEAD; AEAD needs an ICV buffer */
	assert_int_equal(encr_encrypt(&encr_aes_cbc, key, 16, iv, 16, &aad, 1, buf, 16, buf, NULL),
			 -EINVAL);
	assert_int_equal(encr_encrypt(&encr_aes_gcm_8, key, 20, iv, 8, &aad, 1, buf, 16, buf, NULL),
			 -EINVAL);
	assert_int_equal(encr_encrypt(NULL, key, 16, iv, 16, NULL, 0, buf, 16, buf, NULL), -EINVAL);
	assert_null(encr_by_ikev2_id(IKEV2_ENCR_AES_CCM_8));
	assert_null(encr_by_ikev2_id(0));
	assert_false(encr_key_bits_ok(&encr_aes_cbc, 64));
	assert_false(encr_key_bits_ok(NULL, 128));
	assert_true(encr_key_bits_ok(&encr_3des, 0));
	assert_int_equal(encr_keymat_len(&encr_aes_gcm_16, 256), 36);
}

/* An empty AEAD plaintext still authenticates the AAD (an SK payload with no
 * inner payloads, as in an INFORMATIONAL liveness check). */
static void aead_empty_plaintext(void **state)
{
	uint8_t key[36] = {1}, iv[8] = {2}, hdr[32] = {3}, icv[16];
	struct span aad = {hdr, sizeof(hdr)};

	(void)state;
	assert_int_equal(
		encr_encrypt(&encr_aes_gcm_16, key, 20, iv, 8, &aad, 1, NULL, 0, NULL, icv), 0);
	assert_int_equal(
		encr_decrypt(&encr_aes_gcm_16, key, 20, iv, 8, &aad, 1, NULL, 0, NULL, icv), 0);
	hdr[0] ^= 1;
	assert_int_equal(
		encr_decrypt(&encr_aes_gcm_16, key, 20, iv, 8, &aad, 1, NULL, 0, NULL, icv),
		-EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_all),
		cmocka_unit_test(ikev1_iv_chaining),
		cmocka_unit_test(des_only_through_legacy),
		cmocka_unit_test(wrong_lengths_are_errors),
		cmocka_unit_test(aead_empty_plaintext),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
