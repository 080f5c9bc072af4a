/* The transform registry: keywords, IKEv2 IDs and IKEv1 numbers resolve to
 * each other, and each row carries what the kernel needs for ESP. */
#include "testutil.h"

#include <string.h>

#include "crypto/alg.h"
#include "crypto/encr.h"
#include "crypto/integ.h"
#include "crypto/prf.h"

/* Every keyword the design names (strongSwan's spellings) is known. */
static void brief_keywords_exist(void **state)
{
	static const char *const kws[] = {
		"aes128",	    "aes256",	 "aes128ctr",  "aes128gcm16", "aes256gcm8",
		"chacha20poly1305", "3des",	 "des",	       "md5",	      "sha1",
		"sha256",	    "sha2_256",	 "sha384",     "sha512",      "aesxcbc",
		"md5_128",	    "sha1_160",	 "prfmd5",     "prfsha1",     "prfsha256",
		"prfsha384",	    "prfsha512", "prfaesxcbc", "modp768",     "modp1024",
		"modp1536",	    "modp2048",	 "modp3072",   "modp4096",    "modp6144",
		"modp8192",	    "ecp256",	 "ecp384",     "ecp521",      "curve25519",
		"x25519",	    "curve448",	 "x448"};

	(void)state;
	for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
		print_message("%s\n", kws[i]);
		assert_non_null(alg_by_keyword(kws[i]));
	}
}

/* Each keyword resolves to an implemented row, a valid key length, and back. */
static void every_keyword_resolves(void **state)
{
	size_t n;
	const struct alg_keyword *kw = alg_keywords(&n);

	(void)state;
	assert_true(n > 40);
	for (size_t i = 0; i < n; i++) {
		const struct alg_row *row = alg_by_ikev2(kw[i].type, kw[i].ikev2_id);
		const char *canon = alg_keyword_of(kw[i].type, kw[i].ikev2_id, kw[i].key_bits);
		const struct alg_keyword *back = alg_by_keyword(canon);

		print_message("%s\n", kw[i].keyword);
		assert_non_null(row);
		assert_ptr_equal(alg_by_keyword(kw[i].keyword), &kw[i]); /* no duplicates */
		if (row->encr != NULL)
			assert_true(encr_key_bits_ok(row->encr, kw[i].key_bits));
		else
			assert_int_equal(kw[i].key_bits, 0);
		assert_non_null(back);
		assert_int_equal(back->type, kw[i].type);
		assert_int_equal(back->ikev2_id, kw[i].ikev2_id);
		assert_int_equal(back->key_bits, kw[i].key_bits);
	}
}

static void keyword_examples(void **state)
{
	const struct alg_keyword *k;

	(void)state;
	k = alg_by_keyword("aes256gcm16");
	assert_non_null(k);
	assert_int_equal(k->type, IKEV2_TRANS_ENCR);
	assert_int_equal(k->ikev2_id, IKEV2_ENCR_AES_GCM_16);
	assert_int_equal(k->key_bits, 256);
	k = alg_by_keyword("aes192ctr");
	assert_int_equal(k->ikev2_id, IKEV2_ENCR_AES_CTR);
	assert_int_equal(k->key_bits, 192);
	k = alg_by_keyword("chacha20poly1305"); /* RFC 7634 2: no Key Length attribute */
	assert_int_equal(k->ikev2_id, IKEV2_ENCR_CHACHA20_POLY1305);
	assert_int_equal(k->key_bits, 0);
	assert_int_equal(alg_by_keyword("sha2_256")->ikev2_id, alg_by_keyword("sha256")->ikev2_id);
	assert_int_equal(alg_by_keyword("sha256")->ikev2_id, IKEV2_AUTH_HMAC_SHA2_256_128);
	assert_int_equal(alg_by_keyword("x25519")->ikev2_id, IKEV2_KE_CURVE25519);
	assert_int_equal(alg_by_keyword("modp2048")->ikev2_id, 14);
	assert_int_equal(alg_by_keyword("prfaesxcbc")->type, IKEV2_TRANS_PRF);
	assert_string_equal(alg_keyword_of(IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 128),
			    "aes128gcm16");
	assert_string_equal(alg_keyword_of(IKEV2_TRANS_KE, IKEV2_KE_CURVE25519, 0), "curve25519");
	assert_null(alg_by_keyword("aes512"));
	assert_null(alg_by_keyword("AES128")); /* strongSwan's keywords are lower case */
	assert_null(alg_by_keyword(""));
	assert_null(alg_by_keyword(NULL));
	assert_null(alg_keyword_of(IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 100));
}

/* IKEv1 numbers (RFC 2409 appendix A, RFC 2407 4.4/4.5) resolve to the same rows. */
static void ikev1_numbers(void **state)
{
	const struct alg_row *r;
	size_t n;
	const struct alg_row *t = alg_table(&n);

	(void)state;
	r = alg_by_ikev1_p1(IKEV1_ATTR_ENCRYPTION_ALGORITHM, IKEV1_ENCR_AES_CBC);
	assert_ptr_equal(r, alg_by_ikev2(IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC));
	assert_int_equal(IKEV1_ENCR_AES_CBC, 7);
	r = alg_by_ikev1_p1(IKEV1_ATTR_ENCRYPTION_ALGORITHM, IKEV1_ENCR_3DES_CBC);
	assert_ptr_equal(r->encr, &encr_3des);
	r = alg_by_ikev1_p1(IKEV1_ATTR_HASH_ALGORITHM, IKEV1_HASH_SHA2_256);
	assert_ptr_equal(r->prf, &prf_hmac_sha2_256);
	assert_ptr_equal(prf_by_ikev1_hash(IKEV1_HASH_SHA2_256), &prf_hmac_sha2_256);
	assert_ptr_equal(prf_by_ikev1_hash(IKEV1_HASH_MD5), &prf_hmac_md5);
	r = alg_by_ikev1_p1(IKEV1_ATTR_GROUP_DESCRIPTION, 14);
	assert_int_equal(r->ikev2_id, IKEV2_KE_MODP_2048);
	assert_null(alg_by_ikev1_p1(IKEV1_ATTR_GROUP_DESCRIPTION, 31)); /* IKEv2 only */
	assert_null(alg_by_ikev1_p1(IKEV1_ATTR_ENCRYPTION_ALGORITHM, IKEV1_ENCR_IDEA_CBC));
	assert_null(alg_by_ikev1_p1(IKEV1_ATTR_HASH_ALGORITHM, IKEV1_HASH_TIGER));
	assert_null(alg_by_ikev1_p1(3 /* Authentication Method */, 1));
	assert_null(alg_by_ikev1_p1(IKEV1_ATTR_ENCRYPTION_ALGORITHM, 0));
	assert_ptr_equal(alg_by_esp_id(IKEV1_ESP_AES_GCM_16)->encr, &encr_aes_gcm_16);
	assert_ptr_equal(alg_by_esp_id(IKEV1_ESP_DES)->encr, &encr_des);
	assert_null(alg_by_esp_id(IKEV1_ESP_NULL));
	assert_ptr_equal(alg_by_ikev1_auth(IKEV1_AUTH_HMAC_SHA2_256)->integ,
			 &integ_hmac_sha2_256_128);
	assert_ptr_equal(alg_by_ah_id(IKEV1_AH_AES_XCBC_MAC)->integ, &integ_aes_xcbc_96);
	assert_ptr_equal(alg_by_ah_id(IKEV1_AH_SHA)->integ, &integ_hmac_sha1_96);
	assert_null(alg_by_ikev1_auth(8 /* HMAC-RIPEMD */));
	/* round trips over the whole table */
	for (size_t i = 0; i < n; i++) {
		if (t[i].ikev1_p1 && t[i].type != IKEV2_TRANS_INTEG) {
			unsigned cls =
				t[i].type == IKEV2_TRANS_ENCR  ? IKEV1_ATTR_ENCRYPTION_ALGORITHM
				: t[i].type == IKEV2_TRANS_PRF ? IKEV1_ATTR_HASH_ALGORITHM
							       : IKEV1_ATTR_GROUP_DESCRIPTION;

			assert_ptr_equal(alg_by_ikev1_p1(cls, t[i].ikev1_p1), &t[i]);
		}
		if (t[i].ikev1_p2 && t[i].type == IKEV2_TRANS_ENCR)
			assert_ptr_equal(alg_by_esp_id(t[i].ikev1_p2), &t[i]);
		if (t[i].ikev1_p2 && t[i].type == IKEV2_TRANS_INTEG)
			assert_ptr_equal(alg_by_ikev1_auth(t[i].ikev1_p2), &t[i]);
		if (t[i].ikev1_ah)
			assert_ptr_equal(alg_by_ah_id(t[i].ikev1_ah), &t[i]);
	}
}

/* Rows and descriptors agree, and the names are the IANA ones. */
static void rows_match_descriptors(void **state)
{
	size_t n;
	const struct alg_row *t = alg_table(&n);
	char buf[32];

	(void)state;
	for (size_t i = 0; i < n; i++) {
		const char *iana = alg_ikev2_name(t[i].type, t[i].ikev2_id, buf, sizeof(buf));

		print_message("%s\n", t[i].name);
		assert_string_equal(iana, t[i].name);
		assert_ptr_equal(alg_by_ikev2(t[i].type, t[i].ikev2_id), &t[i]);
		if (t[i].encr) {
			assert_int_equal(t[i].encr->ikev2_id, t[i].ikev2_id);
			assert_string_equal(t[i].encr->name, t[i].name);
			assert_ptr_equal(encr_by_ikev2_id(t[i].ikev2_id), t[i].encr);
		}
		if (t[i].integ) {
			assert_int_equal(t[i].integ->ikev2_id, t[i].ikev2_id);
			assert_string_equal(t[i].integ->name, t[i].name);
		}
		if (t[i].prf) {
			assert_int_equal(t[i].prf->ikev2_id, t[i].ikev2_id);
			assert_string_equal(t[i].prf->name, t[i].name);
		}
	}
	assert_string_equal(alg_ikev2_name(IKEV2_TRANS_ENCR, 20, buf, sizeof(buf)),
			    "ENCR_AES_GCM_16");
	assert_string_equal(alg_ikev2_name(IKEV2_TRANS_PRF, 5, buf, sizeof(buf)),
			    "PRF_HMAC_SHA2_256");
	assert_string_equal(alg_ikev2_name(IKEV2_TRANS_INTEG, 12, buf, sizeof(buf)),
			    "AUTH_HMAC_SHA2_256_128");
	assert_string_equal(alg_ikev2_name(IKEV2_TRANS_ENCR, 999, buf, sizeof(buf)),
			    "UNKNOWN(999)");
	assert_string_equal(alg_ikev2_name(9, 1, buf, sizeof(buf)), "UNKNOWN(9/1)");
	assert_null(alg_by_ikev2(IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CCM_16)); /* not implemented */
	assert_null(alg_by_ikev2(IKEV2_TRANS_PRF, IKEV2_PRF_HMAC_TIGER));
	assert_non_null(alg_by_ikev2(IKEV2_TRANS_KE, IKEV2_KE_CURVE448));
}

/* What XFRM needs for ESP: names, and key lengths that include the salt. */
static void esp_kernel_parameters(void **state)
{
	(void)state;
	assert_int_equal(encr_esp_key_bits(&encr_aes_gcm_16, 128), 160);
	assert_int_equal(encr_esp_key_bits(&encr_aes_gcm_8, 256), 288);
	assert_int_equal(encr_esp_key_bits(&encr_aes_ctr, 128), 160);
	assert_int_equal(encr_esp_key_bits(&encr_chacha20_poly1305, 0), 288);
	assert_int_equal(encr_esp_key_bits(&encr_aes_cbc, 192), 192);
	assert_int_equal(encr_esp_key_bits(&encr_3des, 0), 192);
	assert_int_equal(encr_esp_key_bits(&encr_des, 0), 64);
	assert_int_equal(encr_esp_key_bits(&encr_aes_cbc, 0), 0); /* AES needs Key Length */
	assert_int_equal(encr_esp_key_bits(&encr_chacha20_poly1305, 128), 0);
	assert_string_equal(encr_aes_gcm_12.xfrm_name, "rfc4106(gcm(aes))");
	assert_int_equal(encr_aes_gcm_12.icv_len, 12);
	assert_string_equal(encr_aes_ctr.xfrm_name, "rfc3686(ctr(aes))");
	assert_string_equal(encr_chacha20_poly1305.xfrm_name, "rfc7539esp(chacha20,poly1305)");
	assert_string_equal(encr_3des.xfrm_name, "cbc(des3_ede)");
	assert_string_equal(encr_des.xfrm_name, "cbc(des)");
	assert_string_equal(encr_aes_cbc.xfrm_name, "cbc(aes)");
	assert_int_equal(encr_aes_cbc.iv_len, 16);
	assert_int_equal(encr_aes_gcm_16.iv_len, 8);
	assert_true(encr_aes_gcm_16.aead && !encr_aes_cbc.aead);
	assert_string_equal(integ_hmac_sha2_256_128.xfrm_name, "hmac(sha256)");
	assert_int_equal(integ_hmac_sha2_256_128.xfrm_trunc_bits, 128);
	assert_int_equal(integ_hmac_sha2_512_256.xfrm_trunc_bits, 256);
	assert_string_equal(integ_aes_xcbc_96.xfrm_name, "xcbc(aes)");
	assert_int_equal(integ_hmac_sha1_96.xfrm_trunc_bits, 96);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(brief_keywords_exist),	  cmocka_unit_test(every_keyword_resolves),
		cmocka_unit_test(keyword_examples),	  cmocka_unit_test(ikev1_numbers),
		cmocka_unit_test(rows_match_descriptors), cmocka_unit_test(esp_kernel_parameters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
