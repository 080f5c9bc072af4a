/* test_ikev1_keys: structure of IKEv1 key derivation (RFC 2409 5, 5.5, appendix B).
 *
 * Each value is recomputed here with the RFC's formula written out over
 * prf_compute() (and plain EVP digests for the IVs). The byte-for-byte
 * comparison with strongSwan is test_vec_kdf.c.
 */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto/ikev1_keys.h"
#include "crypto/prf.h"

static uint8_t ni[32], nr[32], g_xy[256], g_xi[256], g_xr[256];
static const uint8_t cky_i[8] = {0xc1, 1, 2, 3, 4, 5, 6, 7};
static const uint8_t cky_r[8] = {0xc2, 8, 9, 10, 11, 12, 13, 14};

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ni); i++) {
		ni[i] = (uint8_t)(0x20 + i);
		nr[i] = (uint8_t)(0x90 + i);
	}
	for (size_t i = 0; i < sizeof(g_xy); i++) {
		g_xy[i] = (uint8_t)(i * 5 + 1);
		g_xi[i] = (uint8_t)(i * 3 + 2);
		g_xr[i] = (uint8_t)(i * 11 + 9);
	}
	return 0;
}

static struct span sp(const void *p, size_t n)
{
	return (struct span){p, n};
}

static void md(const char *name, const struct span *parts, size_t n, uint8_t *out)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	assert_non_null(c);
	assert_int_equal(EVP_DigestInit_ex(c, EVP_get_digestbyname(name), NULL), 1);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(EVP_DigestUpdate(c, parts[i].p, parts[i].len), 1);
	assert_int_equal(EVP_DigestFinal_ex(c, out, NULL), 1);
	EVP_MD_CTX_free(c);
}

/* SKEYID = prf(pre-shared-key, Ni_b | Nr_b); for signatures prf(Ni_b | Nr_b, g^xy). */
static void skeyid_psk_and_sig(void **state)
{
	const struct prf_alg *prf = &prf_hmac_sha1;
	static const char psk[] = "secret";
	struct span nonces[2] = {sp(ni, 32), sp(nr, 32)}, g = sp(g_xy, sizeof(g_xy));
	uint8_t want[20], key[64];
	struct secret *s = NULL;

	(void)state;
	assert_int_equal(prf_compute(prf, (const uint8_t *)psk, 6, nonces, 2, want), 0);
	assert_int_equal(ikev1_skeyid_psk(prf, sp(psk, 6), sp(ni, 32), sp(nr, 32), &s), 0);
	th_assert_bytes(s->data, s->len, want, 20, "SKEYID psk");
	secret_free(s);

	memcpy(key, ni, 32);
	memcpy(key + 32, nr, 32);
	assert_int_equal(prf_compute(prf, key, 64, &g, 1, want), 0);
	assert_int_equal(ikev1_skeyid_sig(prf, sp(ni, 32), sp(nr, 32), g, &s), 0);
	th_assert_bytes(s->data, s->len, want, 20, "SKEYID sig");
	secret_free(s);

	assert_int_equal(ikev1_skeyid_psk(NULL, sp(psk, 6), sp(ni, 32), sp(nr, 32), &s), -EINVAL);
	assert_null(s);
	assert_int_equal(ikev1_skeyid_sig(prf, sp(NULL, 3), sp(nr, 32), g, &s), -EINVAL);
}

/* SKEYID_d/_a/_e chain with the single octets 0, 1, 2. */
static void skeyid_chain(void **state)
{
	const struct prf_alg *prf = &prf_hmac_sha2_256;
	struct secret *skeyid = secret_from(g_xi, 32);
	uint8_t d[32], a[32], e[32], n;
	struct span parts[5] = {{NULL, 0}, sp(g_xy, 256), sp(cky_i, 8), sp(cky_r, 8), sp(&n, 1)};
	struct ikev1_keys k;

	(void)state;
	n = 0;
	assert_int_equal(prf_compute(prf, skeyid->data, 32, parts, 5, d), 0);
	n = 1;
	parts[0] = sp(d, 32);
	assert_int_equal(prf_compute(prf, skeyid->data, 32, parts, 5, a), 0);
	n = 2;
	parts[0] = sp(a, 32);
	assert_int_equal(prf_compute(prf, skeyid->data, 32, parts, 5, e), 0);

	assert_int_equal(ikev1_keys_derive(prf, skeyid, sp(g_xy, 256), cky_i, cky_r, 16, &k), 0);
	th_assert_bytes(k.skeyid->data, k.skeyid->len, skeyid->data, 32, "SKEYID copy");
	th_assert_bytes(k.skeyid_d->data, k.skeyid_d->len, d, 32, "SKEYID_d");
	th_assert_bytes(k.skeyid_a->data, k.skeyid_a->len, a, 32, "SKEYID_a");
	th_assert_bytes(k.skeyid_e->data, k.skeyid_e->len, e, 32, "SKEYID_e");
	/* AES-128 from a 32-byte SKEYID_e: its first 16 bytes */
	th_assert_bytes(k.enc_key->data, k.enc_key->len, e, 16, "enc key");
	ikev1_keys_free(&k);
	assert_null(k.skeyid_e);

	assert_int_equal(ikev1_keys_derive(prf, skeyid, sp(g_xy, 256), NULL, cky_r, 16, &k),
			 -EINVAL);
	assert_int_equal(ikev1_keys_derive(prf, skeyid, sp(g_xy, 256), cky_i, cky_r, 0, &k),
			 -EINVAL);
	assert_null(k.skeyid);
	secret_free(skeyid);
}

/* Appendix B: a 32-byte AES-256 key from a 20-byte SHA-1 SKEYID_e is
 * K1 | K2 truncated, K1 = prf(SKEYID_e, 0), K2 = prf(SKEYID_e, K1). */
static void enc_key_appendix_b_extension(void **state)
{
	const struct prf_alg *prf = &prf_hmac_sha1;
	struct secret *e = secret_from(g_xr, 20), *key = NULL;
	static const uint8_t zero = 0;
	struct span p0 = sp(&zero, 1), p1;
	uint8_t k1[20], k2[20], want[32];

	(void)state;
	assert_int_equal(prf_compute(prf, e->data, 20, &p0, 1, k1), 0);
	p1 = sp(k1, 20);
	assert_int_equal(prf_compute(prf, e->data, 20, &p1, 1, k2), 0);
	memcpy(want, k1, 20);
	memcpy(want + 20, k2, 12);
	assert_int_equal(ikev1_enc_key(prf, e, 32, &key), 0);
	th_assert_bytes(key->data, key->len, want, 32, "Ka");
	/* the extension is really used: the key does not start with SKEYID_e */
	assert_memory_not_equal(key->data, e->data, 20);
	secret_free(key);

	/* 3DES (24 bytes) from SHA-1 also needs it; 16 bytes does not */
	assert_int_equal(ikev1_enc_key(prf, e, 24, &key), 0);
	th_assert_bytes(key->data, key->len, want, 24, "3DES Ka");
	secret_free(key);
	assert_int_equal(ikev1_enc_key(prf, e, 16, &key), 0);
	th_assert_bytes(key->data, key->len, e->data, 16, "short key");
	secret_free(key);
	assert_int_equal(ikev1_enc_key(prf, e, 20, &key), 0);
	th_assert_bytes(key->data, key->len, e->data, 20, "exact key");
	secret_free(key);

	assert_int_equal(ikev1_enc_key(prf, e, 0, &key), -EINVAL);
	assert_null(key);
	secret_free(e);
}

/* HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b); HASH_R swaps. */
static void hash_i_and_hash_r(void **state)
{
	const struct prf_alg *prf = &prf_hmac_sha2_256;
	static const uint8_t sa[] = {0, 0, 0, 1, 0, 0, 0, 1}, idi[] = {2, 0, 0, 0, 'i'},
			     idr[] = {2, 0, 0, 0, 'r'};
	struct secret *skeyid = secret_from(g_xy, 32);
	struct span pi[6] = {sp(g_xi, 256), sp(g_xr, 256), sp(cky_i, 8),
			     sp(cky_r, 8),  sp(sa, 8),	   sp(idi, 5)};
	struct span pr[6] = {sp(g_xr, 256), sp(g_xi, 256), sp(cky_r, 8),
			     sp(cky_i, 8),  sp(sa, 8),	   sp(idr, 5)};
	uint8_t want_i[32], want_r[32], got[32];

	(void)state;
	assert_int_equal(prf_compute(prf, skeyid->data, 32, pi, 6, want_i), 0);
	assert_int_equal(prf_compute(prf, skeyid->data, 32, pr, 6, want_r), 0);
	assert_int_equal(ikev1_hash_i(prf, skeyid, sp(g_xi, 256), sp(g_xr, 256), cky_i, cky_r,
				      sp(sa, 8), sp(idi, 5), got),
			 0);
	assert_memory_equal(got, want_i, 32);
	assert_int_equal(ikev1_hash_r(prf, skeyid, sp(g_xi, 256), sp(g_xr, 256), cky_i, cky_r,
				      sp(sa, 8), sp(idr, 5), got),
			 0);
	assert_memory_equal(got, want_r, 32);
	assert_int_equal(ikev1_hash_i(prf, NULL, sp(g_xi, 256), sp(g_xr, 256), cky_i, cky_r,
				      sp(sa, 8), sp(idi, 5), got),
			 -EINVAL);
	secret_free(skeyid);
}

/* Appendix B: phase 1 IV = hash(g^xi | g^xr), phase 2 IV = hash(last block | M-ID). */
static void ivs(void **state)
{
	struct span p1[2] = {sp(g_xi, 256), sp(g_xr, 256)};
	static const uint8_t last[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t mid[4] = {0x89, 0x25, 0x73, 0x50};
	struct span p2[2] = {sp(last, 8), sp(mid, 4)};
	uint8_t h[64], iv[64];

	(void)state;
	md("SHA256", p1, 2, h);
	assert_int_equal(ikev1_phase1_iv(&prf_hmac_sha2_256, sp(g_xi, 256), sp(g_xr, 256), 16, iv),
			 0);
	assert_memory_equal(iv, h, 16);
	/* a 3DES phase 2 IV (8-byte blocks) with SHA-1, M-ID in network order */
	md("SHA1", p2, 2, h);
	assert_int_equal(ikev1_phase2_iv(&prf_hmac_sha1, sp(last, 8), 0x89257350u, iv), 0);
	assert_memory_equal(iv, h, 8);
	/* a block longer than the hash, or none */
	assert_int_equal(ikev1_phase1_iv(&prf_hmac_md5, sp(g_xi, 256), sp(g_xr, 256), 17, iv),
			 -EINVAL);
	assert_int_equal(ikev1_phase2_iv(&prf_hmac_sha1, sp(NULL, 0), 1, iv), -EINVAL);
	/* AES-XCBC has no plain hash behind it */
	assert_int_equal(ikev1_phase1_iv(&prf_aes128_xcbc, sp(g_xi, 256), sp(g_xr, 256), 16, iv),
			 -ENOTSUP);
}

/* RFC 2409 5.5: HASH(1), HASH(2), HASH(3). */
static void quick_mode_hashes(void **state)
{
	const struct prf_alg *prf = &prf_hmac_sha1;
	struct secret *a = secret_from(g_xy + 40, 20);
	static const uint8_t mid[4] = {0x12, 0x34, 0x56, 0x78}, zero = 0;
	struct span rest = sp(g_xr, 100);
	struct span h1[2] = {sp(mid, 4), rest};
	struct span h2[3] = {sp(mid, 4), sp(ni, 32), rest};
	struct span h3[4] = {sp(&zero, 1), sp(mid, 4), sp(ni, 32), sp(nr, 32)};
	uint8_t want[20], got[20];

	(void)state;
	assert_int_equal(prf_compute(prf, a->data, 20, h1, 2, want), 0);
	assert_int_equal(ikev1_qm_hash1(prf, a, 0x12345678u, rest, got), 0);
	assert_memory_equal(got, want, 20);
	assert_int_equal(prf_compute(prf, a->data, 20, h2, 3, want), 0);
	assert_int_equal(ikev1_qm_hash2(prf, a, 0x12345678u, sp(ni, 32), rest, got), 0);
	assert_memory_equal(got, want, 20);
	assert_int_equal(prf_compute(prf, a->data, 20, h3, 4, want), 0);
	assert_int_equal(ikev1_qm_hash3(prf, a, 0x12345678u, sp(ni, 32), sp(nr, 32), got), 0);
	assert_memory_equal(got, want, 20);
	assert_int_equal(ikev1_qm_hash3(prf, NULL, 1, sp(ni, 32), sp(nr, 32), got), -EINVAL);
	secret_free(a);
}

/* RFC 2409 5.5: KEYMAT = K1 | K2 | ..., Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |]
 * protocol | SPI | Ni_b | Nr_b); with PFS g(qm)^xy leads the seed. */
static void qm_keymat_extension_and_pfs(void **state)
{
	const struct prf_alg *prf = &prf_hmac_sha1;
	struct secret *d = secret_from(g_xy + 7, 20), *km = NULL, *e = NULL, *i = NULL;
	static const uint8_t spi[4] = {0x67, 0x26, 0x38, 0x17};
	uint8_t proto = 3, k1[20], k2[20], k3[20];
	struct span g = sp(g_xr, 256);
	struct span seed[6] = {{NULL, 0}, g, sp(&proto, 1), sp(spi, 4), sp(ni, 32), sp(nr, 32)};

	(void)state;
	assert_int_equal(prf_compute(prf, d->data, 20, seed, 6, k1), 0);
	seed[0] = sp(k1, 20);
	assert_int_equal(prf_compute(prf, d->data, 20, seed, 6, k2), 0);
	seed[0] = sp(k2, 20);
	assert_int_equal(prf_compute(prf, d->data, 20, seed, 6, k3), 0);
	/* aes256 (32) + sha1 (20) = 52 bytes: three blocks */
	assert_int_equal(
		ikev1_qm_keymat(prf, d, &g, proto, sp(spi, 4), sp(ni, 32), sp(nr, 32), 52, &km), 0);
	assert_int_equal(km->len, 52);
	assert_memory_equal(km->data, k1, 20);
	assert_memory_equal(km->data + 20, k2, 20);
	assert_memory_equal(km->data + 40, k3, 12);
	/* split: encryption key first */
	assert_int_equal(ikev1_qm_keys(prf, d, &g, proto, sp(spi, 4), sp(ni, 32), sp(nr, 32), 32,
				       20, &e, &i),
			 0);
	th_assert_bytes(e->data, e->len, km->data, 32, "QM encr key");
	th_assert_bytes(i->data, i->len, km->data + 32, 20, "QM integ key");
	secret_free(e);
	secret_free(i);
	secret_free(km);
	/* without PFS the seed has no g(qm)^xy */
	seed[0] = sp(NULL, 0);
	seed[1] = sp(NULL, 0);
	assert_int_equal(prf_compute(prf, d->data, 20, seed, 6, k1), 0);
	assert_int_equal(
		ikev1_qm_keymat(prf, d, NULL, proto, sp(spi, 4), sp(ni, 32), sp(nr, 32), 16, &km),
		0);
	th_assert_bytes(km->data, km->len, k1, 16, "QM KEYMAT without PFS");
	secret_free(km);

	assert_int_equal(
		ikev1_qm_keymat(prf, d, NULL, proto, sp(spi, 4), sp(ni, 32), sp(nr, 32), 0, &km),
		-EINVAL);
	assert_null(km);
	assert_int_equal(ikev1_qm_keys(prf, NULL, NULL, proto, sp(spi, 4), sp(ni, 32), sp(nr, 32),
				       16, 20, &e, &i),
			 -EINVAL);
	assert_null(e);
	assert_null(i);
	secret_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(skeyid_psk_and_sig),
		cmocka_unit_test(skeyid_chain),
		cmocka_unit_test(enc_key_appendix_b_extension),
		cmocka_unit_test(hash_i_and_hash_r),
		cmocka_unit_test(ivs),
		cmocka_unit_test(quick_mode_hashes),
		cmocka_unit_test(qm_keymat_extension_and_pfs),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
