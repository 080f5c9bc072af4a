/* Known answers for the ciphers, in the form IKE and ESP carry keys (salt or
 * nonce after the key, 8-byte explicit IV):
 * RFC 3602 4 (AES-CBC cases 1-4), RFC 3686 6 (AES-CTR, all nine),
 * McGrew-Viega GCM specification appendix B test cases 3, 4, 10, 16 (the
 * reference RFC 4106 gives; RFC 5282 has no vectors), the ICV truncated to
 * 12 and 8 bytes for ENCR_AES_GCM_12/8 (RFC 4106 6), RFC 7539 2.8.2
 * (ChaCha20-Poly1305 AEAD, the nonce split as RFC 7634 2), FIPS 81 (DES-CBC)
 * and NIST SP 800-67 (TDEA). */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/alg.h"
#include "crypto/encr.h"

struct vec {
	const char *src;
	const struct encr_alg *alg;
	uint8_t *key, *iv, *aad, *plain, *cipher, *icv;
	size_t key_len, iv_len, aad_len, len, cipher_len, icv_len;
};

static uint8_t *opt_hex(const struct kv_file *f, int r, const char *k, size_t *len)
{
	const char *v = kv_get(f, r, k);

	*len = 0;
	return v != NULL ? th_hex_alloc(v, len) : NULL;
}

static void vec_load(const struct kv_file *f, int r, struct vec *v)
{
	long id = enum_value(&alg_ikev2_encr_names, kv_get(f, r, "encr"));

	v->src = kv_get(f, r, "source");
	v->alg = encr_by_ikev2_id((uint16_t)id);
	assert_non_null(v->alg);
	v->key = opt_hex(f, r, "key", &v->key_len);
	v->iv = opt_hex(f, r, "iv", &v->iv_len);
	v->aad = opt_hex(f, r, "aad", &v->aad_len);
	v->plain = opt_hex(f, r, "plain", &v->len);
	v->cipher = opt_hex(f, r, "cipher", &v->cipher_len);
	v->icv = opt_hex(f, r, "icv", &v->icv_len);
	assert_int_equal(v->len, v->cipher_len);
	assert_int_equal(v->icv_len, v->alg->icv_len);
}

static void vec_free(struct vec *v)
{
	free(v->key);
	free(v->iv);
	free(v->aad);
	free(v->plain);
	free(v->cipher);
	free(v->icv);
}

static void vec_check(struct vec *v)
{
	struct span aad = {v->aad, v->aad_len};
	size_t naad = v->aad != NULL ? 1 : 0;
	uint8_t *out = calloc(1, v->len + 1), icv[16] = {0};

	assert_non_null(out);
	print_message("%s, %s\n", v->src, v->alg->name);
	assert_int_equal(encr_encrypt(v->alg, v->key, v->key_len, v->iv, v->iv_len, &aad, naad,
				      v->plain, v->len, out, icv),
			 0);
	th_assert_bytes(out, v->len, v->cipher, v->len, v->src);
	if (v->alg->aead)
		th_assert_bytes(icv, v->alg->icv_len, v->icv, v->icv_len, "icv");
	/* decrypt in place */
	memcpy(out, v->cipher, v->len);
	assert_int_equal(encr_decrypt(v->alg, v->key, v->key_len, v->iv, v->iv_len, &aad, naad, out,
				      v->len, out, v->icv),
			 0);
	th_assert_bytes(out, v->len, v->plain, v->len, v->src);
	if (v->alg->aead) {
		/* a changed ciphertext, AAD or ICV is refused, and nothing is released */
		v->icv[0] ^= 0x80;
		assert_int_equal(encr_decrypt(v->alg, v->key, v->key_len, v->iv, v->iv_len, &aad,
					      naad, v->cipher, v->len, out, v->icv),
				 -EBADMSG);
		v->icv[0] ^= 0x80;
		v->cipher[v->len - 1] ^= 0x01;
		assert_int_equal(encr_decrypt(v->alg, v->key, v->key_len, v->iv, v->iv_len, &aad,
					      naad, v->cipher, v->len, out, v->icv),
				 -EBADMSG);
		for (size_t i = 0; i < v->len; i++)
			assert_int_equal(out[i], 0);
		v->cipher[v->len - 1] ^= 0x01;
		if (naad) {
			v->aad[0] ^= 0x01;
			assert_int_equal(encr_decrypt(v->alg, v->key, v->key_len, v->iv, v->iv_len,
						      &aad, naad, v->cipher, v->len, out, v->icv),
					 -EBADMSG);
			v->aad[0] ^= 0x01;
		}
	}
	free(out);
}

static void encr_vectors(void **state)
{
	struct kv_file f;
	int checked = 0, per_alg[64] = {0};

	(void)state;
	kv_load(&f, th_src_path("tests/vectors/kat/encr.txt"));
	for (int r = 0; r < f.records; r++) {
		struct vec v;

		vec_load(&f, r, &v);
		vec_check(&v);
		per_alg[v.alg->ikev2_id]++;
		vec_free(&v);
		checked++;
	}
	assert_int_equal(checked, 30);
	/* every cipher of the scope has at least one published answer */
	assert_int_equal(per_alg[IKEV2_ENCR_AES_CBC], 4);
	assert_int_equal(per_alg[IKEV2_ENCR_AES_CTR], 9);
	assert_int_equal(per_alg[IKEV2_ENCR_AES_GCM_16], 4);
	assert_int_equal(per_alg[IKEV2_ENCR_AES_GCM_12], 4);
	assert_int_equal(per_alg[IKEV2_ENCR_AES_GCM_8], 4);
	assert_int_equal(per_alg[IKEV2_ENCR_CHACHA20_POLY1305], 1);
	assert_int_equal(per_alg[IKEV2_ENCR_DES], 1);
	assert_int_equal(per_alg[IKEV2_ENCR_3DES], 3);
	kv_free(&f);
}

/* AAD in several pieces (IKE header, then the SK payload header: RFC 5282 5.1)
 * authenticates the same as the joined bytes. */
static void gcm_aad_in_parts(void **state)
{
	struct kv_file f;
	struct vec v;
	uint8_t out[64], icv[16];

	(void)state;
	kv_load(&f, th_src_path("tests/vectors/kat/encr.txt"));
	for (int r = 0; r < f.records; r++) {
		const char *src = kv_get(&f, r, "source");

		if (strstr(src, "test case 4 ") == NULL ||
		    strcmp(kv_get(&f, r, "encr"), "ENCR_AES_GCM_16") != 0)
			continue;
		vec_load(&f, r, &v);
		struct span aad[3] = {{v.aad, 7}, {v.aad + 7, 0}, {v.aad + 7, v.aad_len - 7}};

		assert_true(v.len <= sizeof(out));
		assert_int_equal(encr_encrypt(v.alg, v.key, v.key_len, v.iv, v.iv_len, aad, 3,
					      v.plain, v.len, out, icv),
				 0);
		th_assert_bytes(out, v.len, v.cipher, v.len, src);
		th_assert_bytes(icv, 16, v.icv, 16, "icv");
		vec_free(&v);
		kv_free(&f);
		return;
	}
	fail_msg("GCM test case 4 not found in encr.txt");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encr_vectors),
		cmocka_unit_test(gcm_aad_in_parts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
