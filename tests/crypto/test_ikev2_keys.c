/* test_ikev2_keys: structure of IKEv2 key derivation (RFC 7296 2.13-2.18).
 *
 * Each derived value is recomputed here from prf_compute()/prf_plus() with
 * the RFC's formula written out, so a wrong order, a wrong length or a
 * missing input shows up. The byte-for-byte comparison with strongSwan is
 * test_vec_kdf.c.
 */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "crypto/ikev2_keys.h"
#include "crypto/prf.h"

static uint8_t ni[32], nr[32], g_ir[256];
static const uint8_t spi_i[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t spi_r[8] = {9, 10, 11, 12, 13, 14, 15, 16};

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ni); i++) {
		ni[i] = (uint8_t)(0x10 + i);
		nr[i] = (uint8_t)(0x80 + i);
	}
	for (size_t i = 0; i < sizeof(g_ir); i++)
		g_ir[i] = (uint8_t)(i * 7 + 3);
	return 0;
}

static struct span sp(const void *p, size_t n)
{
	return (struct span){p, n};
}

static void assert_secret_at(const struct secret *s, const struct secret *km, size_t off,
			     size_t len)
{
	assert_non_null(s);
	th_assert_bytes(s->data, s->len, km->data + off, len, "key slice");
}

/* SKEYSEED = prf(Ni | Nr, g^ir) with an HMAC: the whole nonces are the key. */
static void skeyseed_hmac_uses_whole_nonces(void **state)
{
	const struct prf_alg *prf = &prf_hmac_sha2_256;
	uint8_t key[64], want[32];
	struct span g = sp(g_ir, sizeof(g_ir));
	struct secret *s = NULL;

	(void)state;
	memcpy(key, ni, 32);
	memcpy(key + 32, nr, 32);
	assert_int_equal(prf_compute(prf, key, sizeof(key), &g, 1, want), 0);
	assert_int_equal(ikev2_skeyseed(prf, sp(ni, 32), sp(nr, 32), g, &s), 0);
	th_assert_bytes(s->data, s->len, want, sizeof(want), "SKEYSEED");
	secret_free(s);
}

/* RFC 7296 2.14: with AES-XCBC only the first 64 bits of Ni and of Nr make the key. */
static void skeyseed_xcbc_takes_first_8_bytes_of_each_nonce(void **state)
{
	const struct prf_alg *prf = &prf_aes128_xcbc;
	uint8_t key[16], want[16], ni2[32];
	struct span g = sp(g_ir, sizeof(g_ir));
	struct secret *s = NULL, *s2 = NULL;

	(void)state;
	memcpy(key, ni, 8);
	memcpy(key + 8, nr, 8);
	assert_int_equal(prf_compute(prf, key, sizeof(key), &g, 1, want), 0);
	assert_int_equal(ikev2_skeyseed(prf, sp(ni, 32), sp(nr, 32), g, &s), 0);
	th_assert_bytes(s->data, s->len, want, sizeof(want), "XCBC SKEYSEED");

	/* bytes after the 8th of a nonce do not matter, the 8th does */
	memcpy(ni2, ni, 32);
	ni2[20] ^= 0xff;
	assert_int_equal(ikev2_skeyseed(prf, sp(ni2, 32), sp(nr, 32), g, &s2), 0);
	th_assert_bytes(s2->data, s2->len, want, sizeof(want), "XCBC SKEYSEED, tail changed");
	secret_free(s2);
	ni2[7] ^= 0xff;
	assert_int_equal(ikev2_skeyseed(prf, sp(ni2, 32), sp(nr, 32), g, &s2), 0);
	assert_memory_not_equal(s2->data, want, sizeof(want));
	secret_free(s2);
	secret_free(s);
}

static void skeyseed_xcbc_rejects_short_nonce(void **state)
{
	struct secret *s = (struct secret *)1;

	(void)state;
	assert_int_equal(
		ikev2_skeyseed(&prf_aes128_xcbc, sp(ni, 7), sp(nr, 32), sp(g_ir, sizeof(g_ir)), &s),
		-EINVAL);
	assert_null(s);
}

/* RFC 7296 2.14: the seven keys are consecutive slices of
 * prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) in the order d, ai, ar, ei, er, pi, pr. */
static void ike_keys_are_prf_plus_slices_in_order(void **state)
{
	const struct prf_alg *prf = &prf_hmac_sha2_256;
	struct ikev2_key_lengths len = {32, 32, 16, 32}; /* aes128-sha256-prfsha256 */
	struct span seed[4] = {sp(ni, 32), sp(nr, 32), sp(spi_i, 8), sp(spi_r, 8)};
	struct secret *skeyseed = secret_from(g_ir, 32), *km;
	struct ikev2_ike_keys k;

	(void)state;
	km = prf_plus(prf, skeyseed->data, skeyseed->len, seed, 4, 32 + 2 * 32 + 2 * 16 + 2 * 32);
	assert_non_null(km);
	assert_int_equal(ikev2_ike_keys_derive(prf, skeyseed, sp(ni, 32), sp(nr, 32), spi_i, spi_r,
					       &len, &k),
			 0);
	assert_secret_at(k.sk_d, km, 0, 32);
	assert_secret_at(k.sk_ai, km, 32, 32);
	assert_secret_at(k.sk_ar, km, 64, 32);
	assert_secret_at(k.sk_ei, km, 96, 16);
	assert_secret_at(k.sk_er, km, 112, 16);
	assert_secret_at(k.sk_pi, km, 128, 32);
	assert_secret_at(k.sk_pr, km, 160, 32);
	ikev2_ike_keys_free(&k);
	assert_null(k.sk_d);
	assert_null(k.sk_pr);
	secret_free(km);
	secret_free(skeyseed);
}

/* RFC 5282 7.1: with AES-GCM there is no SK_a; SK_e (key + 4-byte salt)
 * follows SK_d directly. */
static void ike_keys_aead_has_no_sk_a(void **state)
{
	const struct prf_alg *prf = &prf_hmac_sha2_384;
	struct ikev2_key_lengths len = {48, 0, 36, 48}; /* aes256gcm16-prfsha384 */
	struct span seed[4] = {sp(ni, 32), sp(nr, 32), sp(spi_i, 8), sp(spi_r, 8)};
	struct secret *skeyseed = secret_from(g_ir, 48), *km;
	struct ikev2_ike_keys k;

	(void)state;
	km = prf_plus(prf, skeyseed->data, skeyseed->len, seed, 4, 48 + 2 * 36 + 2 * 48);
	assert_int_equal(ikev2_ike_keys_derive(prf, skeyseed, sp(ni, 32), sp(nr, 32), spi_i, spi_r,
					       &len, &k),
			 0);
	assert_null(k.sk_ai);
	assert_null(k.sk_ar);
	assert_secret_at(k.sk_d, km, 0, 48);
	assert_secret_at(k.sk_ei, km, 48, 36);
	assert_secret_at(k.sk_er, km, 84, 36);
	assert_secret_at(k.sk_pi, km, 120, 48);
	assert_secret_at(k.sk_pr, km, 168, 48);
	ikev2_ike_keys_free(&k);
	secret_free(km);
	secret_free(skeyseed);
}

/* RFC 7296 2.13: prf+ stops after 255 blocks; asking for more is an error. */
static void ike_keys_over_prf_plus_limit(void **state)
{
	const struct prf_alg *prf = &prf_hmac_sha1;	    /* 20 bytes: at most 5100 */
	struct ikev2_key_lengths fits = {20, 20, 2510, 20}; /* 20+40+5020+40 = 5120 > 5100 */
	struct ikev2_key_lengths edge = {20, 20, 2500, 20}; /* exactly 5100 */
	struct ikev2_key_lengths huge = {20, 20, SIZE_MAX / 2, 20};
	struct secret *skeyseed = secret_from(g_ir, 20);
	struct ikev2_ike_keys k;

	(void)state;
	assert_int_equal(ikev2_ike_keys_derive(prf, skeyseed, sp(ni, 32), sp(nr, 32), spi_i, spi_r,
					       &fits, &k),
			 -EOVERFLOW);
	assert_null(k.sk_d);
	assert_null(k.sk_ei);
	assert_int_equal(ikev2_ike_keys_derive(prf, skeyseed, sp(ni, 32), sp(nr, 32), spi_i, spi_r,
					       &huge, &k),
			 -EOVERFLOW);
	assert_int_equal(ikev2_ike_keys_derive(prf, skeyseed, sp(ni, 32), sp(nr, 32), spi_i, spi_r,
					       &edge, &k),
			 0);
	assert_int_equal(k.sk_ei->len, 2500);
	assert_int_equal(k.sk_pr->len, 20);
	ikev2_ike_keys_free(&k);
	secret_free(skeyseed);
}

static void ike_keys_rejects_bad_arguments(void **state)
{
	struct ikev2_key_lengths len = {32, 32, 16, 32}, no_e = {32, 32, 0, 32};
	struct secret *skeyseed = secret_from(g_ir, 32);
	struct ikev2_ike_keys k;
	const struct prf_alg *prf = &prf_hmac_sha2_256;

	(void)state;
	assert_int_equal(ikev2_ike_keys_derive(NULL, skeyseed, sp(ni, 32), sp(nr, 32), spi_i, spi_r,
					       &len, &k),
			 -EINVAL);
	assert_int_equal(
		ikev2_ike_keys_derive(prf, NULL, sp(ni, 32), sp(nr, 32), spi_i, spi_r, &len, &k),
		-EINVAL);
	assert_int_equal(ikev2_ike_keys_derive(prf, skeyseed, sp(NULL, 32), sp(nr, 32), spi_i,
					       spi_r, &len, &k),
			 -EINVAL);
	assert_int_equal(
		ikev2_ike_keys_derive(prf, skeyseed, sp(ni, 32), sp(nr, 32), NULL, spi_r, &len, &k),
		-EINVAL);
	assert_int_equal(ikev2_ike_keys_derive(prf, skeyseed, sp(ni, 32), sp(nr, 32), spi_i, spi_r,
					       &no_e, &k),
			 -EINVAL);
	assert_null(k.sk_d);
	assert_int_equal(ikev2_skeyseed(NULL, sp(ni, 32), sp(nr, 32), sp(g_ir, 32), NULL), -EINVAL);
	secret_free(skeyseed);
}

/* RFC 7296 2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old SA's PRF. */
static void rekey_skeyseed_uses_old_sk_d_and_prf(void **state)
{
	const struct prf_alg *old_prf = &prf_hmac_sha1;
	struct secret *old_sk_d = secret_from(nr, 20), *s = NULL;
	struct span parts[3] = {sp(g_ir, sizeof(g_ir)), sp(ni, 32), sp(nr, 32)};
	uint8_t want[20];

	(void)state;
	assert_int_equal(prf_compute(old_prf, old_sk_d->data, 20, parts, 3, want), 0);
	assert_int_equal(ikev2_skeyseed_rekey(old_prf, old_sk_d, sp(g_ir, sizeof(g_ir)), sp(ni, 32),
					      sp(nr, 32), &s),
			 0);
	th_assert_bytes(s->data, s->len, want, sizeof(want), "rekey SKEYSEED");
	secret_free(s);
	assert_int_equal(
		ikev2_skeyseed_rekey(old_prf, NULL, sp(g_ir, 32), sp(ni, 32), sp(nr, 32), &s),
		-EINVAL);
	assert_null(s);
	secret_free(old_sk_d);
}

/* RFC 7296 2.17: KEYMAT = prf+(SK_d, Ni | Nr) split encr_i | integ_i | encr_r | integ_r. */
static void child_keys_split_order(void **state)
{
	const struct prf_alg *prf = &prf_hmac_sha2_256;
	struct secret *sk_d = secret_from(g_ir, 32), *km;
	struct span seed[2] = {sp(ni, 32), sp(nr, 32)};
	struct ikev2_child_keys k;

	(void)state;
	km = prf_plus(prf, sk_d->data, 32, seed, 2, 2 * (16 + 32));
	assert_int_equal(
		ikev2_child_keys_derive(prf, sk_d, NULL, sp(ni, 32), sp(nr, 32), 16, 32, &k), 0);
	assert_secret_at(k.encr_i, km, 0, 16);
	assert_secret_at(k.integ_i, km, 16, 32);
	assert_secret_at(k.encr_r, km, 48, 16);
	assert_secret_at(k.integ_r, km, 64, 32);
	ikev2_child_keys_free(&k);
	secret_free(km);
	secret_free(sk_d);
}

/* With PFS the new g^ir comes first in the seed; AEAD has no integrity keys. */
static void child_keys_pfs_and_aead(void **state)
{
	const struct prf_alg *prf = &prf_hmac_sha2_256;
	struct secret *sk_d = secret_from(g_ir, 32), *km;
	struct span g = sp(g_ir + 100, 48);
	struct span seed[3] = {g, sp(ni, 32), sp(nr, 32)};
	struct ikev2_child_keys k, nopfs;

	(void)state;
	km = prf_plus(prf, sk_d->data, 32, seed, 3, 2 * 20);
	assert_int_equal(ikev2_child_keys_derive(prf, sk_d, &g, sp(ni, 32), sp(nr, 32), 20, 0, &k),
			 0);
	assert_null(k.integ_i);
	assert_null(k.integ_r);
	assert_secret_at(k.encr_i, km, 0, 20);
	assert_secret_at(k.encr_r, km, 20, 20);
	assert_int_equal(
		ikev2_child_keys_derive(prf, sk_d, NULL, sp(ni, 32), sp(nr, 32), 20, 0, &nopfs), 0);
	assert_memory_not_equal(nopfs.encr_i->data, k.encr_i->data, 20);
	ikev2_child_keys_free(&k);
	ikev2_child_keys_free(&nopfs);
	secret_free(km);
	secret_free(sk_d);
}

static void child_keys_errors(void **state)
{
	const struct prf_alg *prf = &prf_hmac_sha1;
	struct secret *sk_d = secret_from(g_ir, 20);
	struct ikev2_child_keys k;

	(void)state;
	/* 2 * (2600 + 0) > 255 * 20 */
	assert_int_equal(
		ikev2_child_keys_derive(prf, sk_d, NULL, sp(ni, 32), sp(nr, 32), 2600, 0, &k),
		-EOVERFLOW);
	assert_null(k.encr_i);
	assert_int_equal(ikev2_child_keys_derive(prf, sk_d, NULL, sp(ni, 32), sp(nr, 32), 0, 0, &k),
			 -EINVAL);
	assert_int_equal(
		ikev2_child_keys_derive(prf, NULL, NULL, sp(ni, 32), sp(nr, 32), 16, 20, &k),
		-EINVAL);
	ikev2_child_keys_free(NULL);
	secret_free(sk_d);
}

/* RFC 7296 2.15: RealMessage | NonceData | prf(SK_p, ID'). */
static void signed_octets_layout(void **state)
{
	const struct prf_alg *prf = &prf_hmac_sha2_256;
	static const uint8_t msg[] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee};
	static const uint8_t id[] = {2, 0, 0, 0, 'h', 'o', 's', 't'}; /* ID_FQDN "host" */
	struct secret *sk_p = secret_from(g_ir, 32), *o = NULL;
	struct span ids = sp(id, sizeof(id));
	uint8_t mac[32];

	(void)state;
	assert_int_equal(prf_compute(prf, sk_p->data, 32, &ids, 1, mac), 0);
	assert_int_equal(ikev2_signed_octets(prf, sp(msg, sizeof(msg)), sp(nr, 32), sk_p, ids, &o),
			 0);
	assert_int_equal(o->len, sizeof(msg) + 32 + 32);
	assert_memory_equal(o->data, msg, sizeof(msg));
	assert_memory_equal(o->data + sizeof(msg), nr, 32);
	assert_memory_equal(o->data + sizeof(msg) + 32, mac, 32);
	secret_free(o);
	assert_int_equal(ikev2_signed_octets(prf, sp(msg, 5), sp(nr, 32), NULL, ids, &o), -EINVAL);
	assert_null(o);
	secret_free(sk_p);
}

/* RFC 7296 2.15: AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), octets). */
static void psk_auth_uses_key_pad(void **state)
{
	const struct prf_alg *prf = &prf_hmac_sha2_256;
	static const char psk[] = "rig-test-psk-0123456789";
	static const char pad[] = "Key Pad for IKEv2";
	struct span pads = sp(pad, 17), oct = sp(g_ir, 100);
	uint8_t k[32], want[32], got[32];

	(void)state;
	assert_int_equal(prf_compute(prf, (const uint8_t *)psk, strlen(psk), &pads, 1, k), 0);
	assert_int_equal(prf_compute(prf, k, 32, &oct, 1, want), 0);
	assert_int_equal(ikev2_psk_auth(prf, sp(psk, strlen(psk)), oct, got), 0);
	assert_memory_equal(got, want, 32);
	/* another PSK, another AUTH */
	assert_int_equal(ikev2_psk_auth(prf, sp(psk, strlen(psk) - 1), oct, got), 0);
	assert_memory_not_equal(got, want, 32);
	assert_int_equal(ikev2_psk_auth(prf, sp(psk, 3), oct, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(skeyseed_hmac_uses_whole_nonces),
		cmocka_unit_test(skeyseed_xcbc_takes_first_8_bytes_of_each_nonce),
		cmocka_unit_test(skeyseed_xcbc_rejects_short_nonce),
		cmocka_unit_test(ike_keys_are_prf_plus_slices_in_order),
		cmocka_unit_test(ike_keys_aead_has_no_sk_a),
		cmocka_unit_test(ike_keys_over_prf_plus_limit),
		cmocka_unit_test(ike_keys_rejects_bad_arguments),
		cmocka_unit_test(rekey_skeyseed_uses_old_sk_d_and_prf),
		cmocka_unit_test(child_keys_split_order),
		cmocka_unit_test(child_keys_pfs_and_aead),
		cmocka_unit_test(child_keys_errors),
		cmocka_unit_test(signed_octets_layout),
		cmocka_unit_test(psk_auth_uses_key_pad),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
