/* Known answers for crypto/dh: RFC 5903 8 (ECP), RFC 7748 6.1/6.2 (X25519, X448),
 * the MODP primes of RFC 2409 6 and RFC 3526 (also against OpenSSL's built-in
 * groups), and MODP values with leading zero bytes (tests/vectors/dh/). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "crypto/dh.h"
#include "crypto/dh_groups.h"
#include "lib/hex.h"

static uint16_t kv_group(const struct kv_file *f, int r)
{
	const char *v = kv_get(f, r, "group");

	assert_non_null(v);
	return (uint16_t)atoi(v);
}

/* A key from the private value in `key` of record r. */
static struct dh_key *key_from(const struct dh_group *g, const struct kv_file *f, int r,
			       const char *key)
{
	const char *hex = kv_get(f, r, key);
	uint8_t *priv;
	size_t len;
	struct dh_key *k;

	assert_non_null(hex);
	priv = th_hex_alloc(hex, &len);
	k = dh_key_from_private(g, priv, len);
	free(priv);
	assert_non_null(k);
	return k;
}

static void assert_public(const struct dh_key *k, const char *hex)
{
	uint8_t pub[1024];

	assert_int_equal(dh_public(k, pub, sizeof(pub)), 0);
	th_assert_hex(pub, dh_key_group(k)->pub_len, hex);
}

/* Derive with k from the peer's public value (hex) and compare with want (hex). */
static void assert_derive(const struct dh_key *k, const char *peer_hex, const char *want_hex)
{
	size_t len;
	uint8_t *peer = th_hex_alloc(peer_hex, &len);
	struct secret *s = NULL;

	assert_int_equal(dh_derive(k, peer, len, &s), 0);
	assert_non_null(s);
	assert_int_equal(s->len, dh_key_group(k)->shared_len);
	th_assert_hex(s->data, s->len, want_hex);
	secret_free(s);
	free(peer);
}

static char *concat(const char *a, const char *b)
{
	char *s = malloc(strlen(a) + strlen(b) + 1);

	assert_non_null(s);
	strcpy(s, a);
	strcat(s, b);
	return s;
}

/* RFC 5903 8.1-8.3: g^i, g^r as x | y, and g^ir = girx from both sides. */
static void rfc5903_ecp(void **state)
{
	struct kv_file f;

	(void)state;
	kv_load(&f, th_src_path("tests/vectors/dh/ecp.txt"));
	assert_int_equal(f.records, 3);
	for (int r = 0; r < f.records; r++) {
		const struct dh_group *g = dh_group_by_id(kv_group(&f, r));
		char *gi = concat(kv_get(&f, r, "gix"), kv_get(&f, r, "giy"));
		char *gr = concat(kv_get(&f, r, "grx"), kv_get(&f, r, "gry"));
		struct dh_key *ki, *kr;

		assert_non_null(g);
		assert_int_equal(g->kind, DH_KIND_ECP);
		ki = key_from(g, &f, r, "i");
		kr = key_from(g, &f, r, "r");
		assert_public(ki, gi);
		assert_public(kr, gr);
		assert_derive(ki, gr, kv_get(&f, r, "girx"));
		assert_derive(kr, gi, kv_get(&f, r, "girx"));
		dh_key_free(ki);
		dh_key_free(kr);
		free(gi);
		free(gr);
	}
	kv_free(&f);
}

/* RFC 7748 6.1/6.2: K_A, K_B and the shared K from both sides. */
static void rfc7748_ecx(void **state)
{
	struct kv_file f;

	(void)state;
	kv_load(&f, th_src_path("tests/vectors/dh/ecx.txt"));
	assert_int_equal(f.records, 2);
	for (int r = 0; r < f.records; r++) {
		const struct dh_group *g = dh_group_by_id(kv_group(&f, r));
		struct dh_key *ka, *kb;

		assert_non_null(g);
		assert_int_equal(g->kind, DH_KIND_ECX);
		ka = key_from(g, &f, r, "a");
		kb = key_from(g, &f, r, "b");
		assert_public(ka, kv_get(&f, r, "ka"));
		assert_public(kb, kv_get(&f, r, "kb"));
		assert_derive(ka, kv_get(&f, r, "kb"), kv_get(&f, r, "k"));
		assert_derive(kb, kv_get(&f, r, "ka"), kv_get(&f, r, "k"));
		dh_key_free(ka);
		dh_key_free(kb);
	}
	kv_free(&f);
}

/* The prime of group id from dh_groups.c, decoded; returns its length. */
static size_t our_prime(uint16_t id, uint8_t *out, size_t cap)
{
	const char *hex = dh_groups_prime_hex(id);
	long n;

	assert_non_null(hex);
	n = hex_decode(out, cap, hex);
	assert_true(n > 0);
	return (size_t)n;
}

/* OpenSSL's built-in named group `name` ("modp_2048"): p and g, big-endian. */
static size_t openssl_named_prime(const char *name, uint8_t *p_out, size_t cap, BN_ULONG *g_out)
{
	OSSL_PARAM params[2];
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	EVP_PKEY *pkey = NULL;
	BIGNUM *p = NULL, *g = NULL;
	int n;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)name, 0);
	params[1] = OSSL_PARAM_construct_end();
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEY_PARAMETERS, params), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_FFC_P, &p), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_FFC_G, &g), 1);
	n = BN_bn2binpad(p, p_out, BN_num_bytes(p));
	assert_true(n > 0 && (size_t)n <= cap);
	*g_out = BN_get_word(g);
	BN_free(p);
	BN_free(g);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	return (size_t)n;
}

/* Our MODP p and g are the RFCs' (and OpenSSL's, where it has the group). */
static void modp_primes_match_rfcs(void **state)
{
	static const uint8_t one[1] = {1};
	struct kv_file f;
	uint8_t p[1024], rfc_p[1024], ossl_p[1024], pub[1024], want_g[1024];

	(void)state;
	kv_load(&f, th_src_path("tests/vectors/dh/modp_primes.txt"));
	assert_int_equal(f.records, 8);
	for (int r = 0; r < f.records; r++) {
		const struct dh_group *g = dh_group_by_id(kv_group(&f, r));
		size_t n, rfc_n = th_hex(rfc_p, sizeof(rfc_p), kv_get(&f, r, "p"));
		struct dh_key *k;

		assert_non_null(g);
		assert_int_equal(g->kind, DH_KIND_MODP);
		assert_int_equal(g->bits, atoi(kv_get(&f, r, "bits")));
		assert_int_equal(rfc_n * 8, g->bits);
		assert_int_equal(g->pub_len, rfc_n);
		assert_int_equal(g->shared_len, rfc_n);
		n = our_prime(g->id, p, sizeof(p));
		th_assert_bytes(p, n, rfc_p, rfc_n, g->name);
		assert_int_equal(atoi(kv_get(&f, r, "g")), DH_MODP_GENERATOR);
		/* the generator OpenSSL really uses: x = 1 gives y = g */
		k = dh_key_from_private(g, one, sizeof(one));
		assert_non_null(k);
		assert_int_equal(dh_public(k, pub, sizeof(pub)), 0);
		memset(want_g, 0, g->pub_len);
		want_g[g->pub_len - 1] = DH_MODP_GENERATOR;
		th_assert_bytes(pub, g->pub_len, want_g, g->pub_len, "g^1");
		dh_key_free(k);
		if (g->ossl_name != NULL) {
			BN_ULONG gen = 0;

			n = openssl_named_prime(g->ossl_name, ossl_p, sizeof(ossl_p), &gen);
			th_assert_bytes(p, g->pub_len, ossl_p, n, g->ossl_name);
			assert_int_equal(gen, DH_MODP_GENERATOR);
		}
	}
	kv_free(&f);
}

/* RFC 5903 3.1-3.3: the field primes used by the range check. */
static void ecp_primes_match_rfc(void **state)
{
	struct kv_file f;
	uint8_t p[80];

	(void)state;
	kv_load(&f, th_src_path("tests/vectors/dh/ecp.txt"));
	for (int r = 0; r < f.records; r++) {
		const struct dh_group *g = dh_group_by_id(kv_group(&f, r));
		size_t n = our_prime(g->id, p, sizeof(p));

		assert_int_equal(n * 2, g->pub_len);
		th_assert_hex(p, n, kv_get(&f, r, "p"));
	}
	kv_free(&f);
}

/* RFC 7296 3.4 and 2.14: a public value and a g^ir that start with a zero byte keep
 * the length of p. The values come from Python's pow(), not from OpenSSL. */
static void modp_leading_zeros(void **state)
{
	struct kv_file f;

	(void)state;
	kv_load(&f, th_src_path("tests/vectors/dh/modp_kat.txt"));
	assert_int_equal(f.records, 2);
	for (int r = 0; r < f.records; r++) {
		const struct dh_group *g = dh_group_by_id(kv_group(&f, r));
		struct dh_key *ka = key_from(g, &f, r, "a"), *kb = key_from(g, &f, r, "b");

		assert_true(strncmp(kv_get(&f, r, "ga"), "00", 2) == 0);
		assert_true(strncmp(kv_get(&f, r, "gab"), "00", 2) == 0);
		assert_public(ka, kv_get(&f, r, "ga"));
		assert_public(kb, kv_get(&f, r, "gb"));
		assert_derive(ka, kv_get(&f, r, "gb"), kv_get(&f, r, "gab"));
		assert_derive(kb, kv_get(&f, r, "ga"), kv_get(&f, r, "gab"));
		dh_key_free(ka);
		dh_key_free(kb);
	}
	kv_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc5903_ecp),
		cmocka_unit_test(rfc7748_ecx),
		cmocka_unit_test(modp_primes_match_rfcs),
		cmocka_unit_test(ecp_primes_match_rfc),
		cmocka_unit_test(modp_leading_zeros),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
