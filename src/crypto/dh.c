/* dh.c: MODP, ECP and X25519/X448 Diffie-Hellman through OpenSSL 3 EVP_PKEY.
 *
 * Domain parameters are built once per group (pthread_once) and only read
 * afterwards; keygen and derive make their own EVP_PKEY_CTX from them, so
 * the worker pool can call every function from any thread.
 *
 * MODP groups are built from our own p and g (dh_groups.c, copied from RFC 2409
 * and RFC 3526), for all eight groups the same way: OpenSSL 3.0 has no names
 * for groups 1 and 2, and one code path is easier to trust than two. OpenSSL
 * recognises p and g of groups 5 and 14-18 as its "modp_*" groups anyway (it
 * then knows q and enforces its minimum private length); test_kat_dh checks
 * our primes against the RFC texts and against OpenSSL's built-in groups.
 *
 * Private exponents (MODP): OpenSSL 3.0 does not carry a priv_len given with
 * the parameters into keygen (group 1 then gets 766-bit exponents), so the
 * length is set on every keygen context (OSSL_PKEY_PARAM_DH_PRIV_LEN). We use max(256, 2 * s) bits, s the security
 * strength of the prime's size (NIST SP 800-57 part 1; SP 800-56B rev 2
 * appendix D for 4096-8192): 256 bits up to 3072-bit groups, then 304, 352,
 * 400. That is "about twice the security strength" (RFC 3526 8), within or at
 * the edge of RFC 3526's exponent-size table, and never below OpenSSL's floor
 * of 2 * s for the groups it recognises (it refuses shorter lengths there).
 * Without the setting, groups 1 and 2 (no q known) would get full-size
 * exponents (p's length - 1 bits) and the rest OpenSSL's defaults (200-400).
 */
#include "crypto/dh.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h> /* EVP_PKEY_CTX_set_dh_pad */
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/proverr.h>

#include "crypto/alg.h"
#include "crypto/dh_groups.h"
#include "lib/hex.h"
#include "lib/log.h"
#include "lib/util.h"

#define DH_MAX_PUB   1024 /* MODP 8192: the longest public value */
#define DH_ECP_POINT 0x04 /* SEC 1 2.3.3 uncompressed point octet, which RFC 5903 7 drops */

/* A row in the order id, name, kind, bits, pub_len, shared_len, priv_bits, OpenSSL
 * name, slot; designated, since struct dh_group orders its members for packing. */
#define DH(i, n, k, b, pub, shared, priv, ossl, sl)                                                \
	{                                                                                          \
		.id = (i), .name = (n), .kind = (k), .bits = (b), .pub_len = (pub),                \
		.shared_len = (shared), .priv_bits = (priv), .ossl_name = (ossl), .slot = (sl)     \
	}
static const struct dh_group dh_all[] = {
	DH(IKEV2_KE_MODP_768, "MODP_768", DH_KIND_MODP, 768, 96, 96, 256, NULL, 0),
	DH(IKEV2_KE_MODP_1024, "MODP_1024", DH_KIND_MODP, 1024, 128, 128, 256, NULL, 1),
	DH(IKEV2_KE_MODP_1536, "MODP_1536", DH_KIND_MODP, 1536, 192, 192, 256, "modp_1536", 2),
	DH(IKEV2_KE_MODP_2048, "MODP_2048", DH_KIND_MODP, 2048, 256, 256, 256, "modp_2048", 3),
	DH(IKEV2_KE_MODP_3072, "MODP_3072", DH_KIND_MODP, 3072, 384, 384, 256, "modp_3072", 4),
	DH(IKEV2_KE_MODP_4096, "MODP_4096", DH_KIND_MODP, 4096, 512, 512, 304, "modp_4096", 5),
	DH(IKEV2_KE_MODP_6144, "MODP_6144", DH_KIND_MODP, 6144, 768, 768, 352, "modp_6144", 6),
	DH(IKEV2_KE_MODP_8192, "MODP_8192", DH_KIND_MODP, 8192, 1024, 1024, 400, "modp_8192", 7),
	DH(IKEV2_KE_ECP_256, "ECP_256", DH_KIND_ECP, 256, 64, 32, 0, "P-256", 8),
	DH(IKEV2_KE_ECP_384, "ECP_384", DH_KIND_ECP, 384, 96, 48, 0, "P-384", 9),
	DH(IKEV2_KE_ECP_521, "ECP_521", DH_KIND_ECP, 521, 132, 66, 0, "P-521", 10),
	DH(IKEV2_KE_CURVE25519, "CURVE_25519", DH_KIND_ECX, 255, 32, 32, 0, "X25519", 11),
	DH(IKEV2_KE_CURVE448, "CURVE_448", DH_KIND_ECX, 448, 56, 56, 0, "X448", 12),
};

/* Built once by dh_init_all() (pthread_once), read-only afterwards. */
struct dh_params {
	EVP_PKEY *params; /* MODP/ECP domain parameters; NULL for ECX or if building failed */
	uint8_t prime[DH_MAX_PUB]; /* MODP: p (pub_len bytes); ECP: field prime (pub_len / 2) */
};
static struct dh_params dh_cache[ARRAY_SIZE(dh_all)];
static pthread_once_t dh_once = PTHREAD_ONCE_INIT;

struct dh_key {
	const struct dh_group *group;
	EVP_PKEY *pkey;
	uint8_t pub[]; /* group->pub_len bytes, wire format */
};

static size_t dh_prime_len(const struct dh_group *g)
{
	return g->kind == DH_KIND_ECP ? g->pub_len / 2 : g->pub_len;
}

/* Log libcrypto's last error for `what` and empty this thread's error queue. */
static int dh_ossl_fail(const struct dh_group *g, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256] = "no error recorded";

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	log_err(SUB_CRYPTO, "DH group %u (%s): %s failed in libcrypto: %s", g->id, g->name, what,
		buf);
	return -EIO;
}

/* Log why the peer's public value is unacceptable; returns -EINVAL. */
__attribute__((format(printf, 2, 3))) static int dh_reject(const struct dh_group *g,
							   const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	ERR_clear_error();
	log_warn(SUB_CRYPTO, "DH group %u (%s) public value rejected: %s", g->id, g->name, why);
	return -EINVAL;
}

static EVP_PKEY *dh_fromdata(const char *type, int selection, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, selection, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* DH parameters, or a key pair when x and y are given: p (big-endian, plen bytes), g = 2. */
static EVP_PKEY *dh_modp_build(const uint8_t *prime, size_t plen, const BIGNUM *x, const BIGNUM *y)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *p = BN_bin2bn(prime, (int)plen, NULL), *g = BN_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;

	if (bld == NULL || p == NULL || g == NULL || !BN_set_word(g, DH_MODP_GENERATOR) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g) ||
	    (x != NULL && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x)) ||
	    (y != NULL && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y)))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (params != NULL)
		pkey = dh_fromdata("DH", x != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_KEY_PARAMETERS,
				   params);
out:
	OSSL_PARAM_free(params); /* clears the secure block that holds the copy of x */
	OSSL_PARAM_BLD_free(bld);
	BN_free(p);
	BN_free(g);
	return pkey;
}

static EVP_PKEY *dh_ecp_params(const char *curve)
{
	OSSL_PARAM params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)curve, 0);
	params[1] = OSSL_PARAM_construct_end();
	return dh_fromdata("EC", EVP_PKEY_KEY_PARAMETERS, params);
}

static void dh_init_all(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(dh_all); i++) {
		const struct dh_group *g = &dh_all[i];
		struct dh_params *c = &dh_cache[g->slot];
		size_t plen = dh_prime_len(g);

		if (g->kind == DH_KIND_ECX)
			continue; /* no parameters: keys are made from the type name */
		if (hex_decode(c->prime, plen, dh_groups_prime_hex(g->id)) != (long)plen) {
			log_err(SUB_CRYPTO,
				"DH group %u (%s): its prime in dh_groups.c is not %zu bytes",
				g->id, g->name, plen);
			continue;
		}
		c->params = g->kind == DH_KIND_MODP ? dh_modp_build(c->prime, plen, NULL, NULL)
						    : dh_ecp_params(g->ossl_name);
		if (c->params == NULL)
			dh_ossl_fail(g, "building the domain parameters");
	}
}

/* Whether g is one of ours and usable (its parameters built); logs when not. */
static int dh_ready(const struct dh_group *g)
{
	if (g == NULL || g->slot < 0 || (size_t)g->slot >= ARRAY_SIZE(dh_all) ||
	    g != &dh_all[g->slot])
		return 0;
	pthread_once(&dh_once, dh_init_all);
	if (g->kind != DH_KIND_ECX && dh_cache[g->slot].params == NULL) {
		log_err(SUB_CRYPTO,
			"DH group %u (%s) is unavailable: its parameters could not be built", g->id,
			g->name);
		return 0;
	}
	return 1;
}

const struct dh_group *dh_group_by_id(uint16_t id)
{
	for (size_t i = 0; i < ARRAY_SIZE(dh_all); i++)
		if (dh_all[i].id == id)
			return &dh_all[i];
	return NULL;
}

/* A dh_key around pkey (adopted: freed on failure) with its wire-format public value. */
static struct dh_key *dh_key_wrap(const struct dh_group *g, EVP_PKEY *pkey)
{
	uint8_t enc[1 + DH_MAX_PUB];
	size_t len = 0, skip = g->kind == DH_KIND_ECP ? 1 : 0;
	struct dh_key *k;

	/* MODP: y padded to the length of p; ECP: 0x04 | x | y; ECX: the raw value. */
	if (!EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, enc,
					     sizeof(enc), &len)) {
		dh_ossl_fail(g, "reading our public value");
		EVP_PKEY_free(pkey);
		return NULL;
	}
	if (len != g->pub_len + skip || (skip && enc[0] != DH_ECP_POINT)) {
		log_err(SUB_CRYPTO,
			"DH group %u (%s): libcrypto gave a %zu-byte public value, expected %zu",
			g->id, g->name, len, g->pub_len + skip);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	k = malloc(sizeof(*k) + g->pub_len);
	if (k == NULL) {
		log_err(SUB_CRYPTO, "DH group %u (%s): out of memory", g->id, g->name);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	k->group = g;
	k->pkey = pkey;
	memcpy(k->pub, enc + skip, g->pub_len);
	return k;
}

static int dh_set_priv_len(EVP_PKEY_CTX *ctx, const struct dh_group *g)
{
	int bits = g->priv_bits;
	OSSL_PARAM params[2];

	params[0] = OSSL_PARAM_construct_int(OSSL_PKEY_PARAM_DH_PRIV_LEN, &bits);
	params[1] = OSSL_PARAM_construct_end();
	return EVP_PKEY_CTX_set_params(ctx, params) > 0 ? 0 : -1;
}

struct dh_key *dh_keygen(const struct dh_group *g)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	if (!dh_ready(g))
		return NULL;
	/* X25519/X448 have no parameters; the name lookup hits OpenSSL's method cache. */
	if (g->kind == DH_KIND_ECX)
		ctx = EVP_PKEY_CTX_new_from_name(NULL, g->ossl_name, NULL);
	else
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh_cache[g->slot].params, NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
	    (g->kind == DH_KIND_MODP && dh_set_priv_len(ctx, g) < 0) ||
	    EVP_PKEY_keygen(ctx, &pkey) <= 0) {
		EVP_PKEY_CTX_free(ctx);
		dh_ossl_fail(g, "key generation");
		return NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return dh_key_wrap(g, pkey);
}

/* MODP key from exponent x: y = g^x mod p computed here (OpenSSL 3.0 does not derive
 * the public value when importing a private one). */
static EVP_PKEY *dh_modp_from_private(const struct dh_group *g, const uint8_t *priv, size_t len)
{
	const uint8_t *prime = dh_cache[g->slot].prime;
	BIGNUM *x = BN_secure_new(), *p = BN_bin2bn(prime, (int)g->pub_len, NULL);
	BIGNUM *pm1 = BN_dup(p), *y = BN_new(), *gen = BN_new();
	BN_CTX *bnctx = BN_CTX_secure_new();
	EVP_PKEY *pkey = NULL;

	if (x == NULL || p == NULL || pm1 == NULL || y == NULL || gen == NULL || bnctx == NULL ||
	    BN_bin2bn(priv, (int)len, x) == NULL || !BN_set_word(gen, DH_MODP_GENERATOR) ||
	    !BN_sub_word(pm1, 1)) {
		dh_ossl_fail(g, "importing a private value");
		goto out;
	}
	if (BN_is_zero(x) || BN_cmp(x, pm1) >= 0) {
		log_err(SUB_CRYPTO, "DH group %u (%s): private value is not in 1..p-2", g->id,
			g->name);
		goto out;
	}
	BN_set_flags(x, BN_FLG_CONSTTIME);
	if (!BN_mod_exp(y, gen, x, p, bnctx)) {
		dh_ossl_fail(g, "computing a public value");
		goto out;
	}
	pkey = dh_modp_build(prime, g->pub_len, x, y);
	if (pkey == NULL)
		dh_ossl_fail(g, "importing a private value");
out:
	BN_clear_free(x);
	BN_free(p);
	BN_free(pm1);
	BN_free(y);
	BN_free(gen);
	BN_CTX_free(bnctx);
	return pkey;
}

static EVP_PKEY *dh_ecp_keypair(const struct dh_group *g, const BIGNUM *d, const uint8_t *pub,
				size_t pub_len)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;

	if (bld != NULL &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->ossl_name, 0) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len))
		params = OSSL_PARAM_BLD_to_param(bld);
	if (params != NULL)
		pkey = dh_fromdata("EC", EVP_PKEY_KEYPAIR, params);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* ECP key from scalar d: the public point d*G is computed here, as for MODP. This path
 * serves tests and the fake RNG, so EC_POINT_mul's timing does not matter. */
static EVP_PKEY *dh_ecp_from_private(const struct dh_group *g, const uint8_t *priv, size_t len)
{
	EC_GROUP *grp = EC_GROUP_new_by_curve_name_ex(NULL, NULL, EC_curve_nist2nid(g->ossl_name));
	BIGNUM *d = BN_secure_new();
	BN_CTX *bnctx = BN_CTX_secure_new();
	EC_POINT *pt = grp != NULL ? EC_POINT_new(grp) : NULL;
	uint8_t enc[1 + 2 * 66];
	size_t enc_len = 0;
	EVP_PKEY *pkey = NULL;

	if (pt == NULL || d == NULL || bnctx == NULL || BN_bin2bn(priv, (int)len, d) == NULL) {
		dh_ossl_fail(g, "importing a private value");
		goto out;
	}
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(grp)) >= 0) {
		log_err(SUB_CRYPTO, "DH group %u (%s): private value is not in 1..n-1", g->id,
			g->name);
		goto out;
	}
	if (EC_POINT_mul(grp, pt, d, NULL, NULL, bnctx))
		enc_len = EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, enc,
					     sizeof(enc), bnctx);
	if (enc_len != 0)
		pkey = dh_ecp_keypair(g, d, enc, enc_len);
	if (pkey == NULL)
		dh_ossl_fail(g, "importing a private value");
out:
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	BN_clear_free(d);
	BN_CTX_free(bnctx);
	return pkey;
}

struct dh_key *dh_key_from_private(const struct dh_group *g, const uint8_t *priv, size_t len)
{
	EVP_PKEY *pkey = NULL;

	if (!dh_ready(g))
		return NULL;
	if (priv == NULL || len == 0 || len > dh_prime_len(g) ||
	    (g->kind == DH_KIND_ECX && len != g->pub_len)) {
		log_err(SUB_CRYPTO,
			"DH group %u (%s): a private value of %zu bytes, expected %s%zu", g->id,
			g->name, priv ? len : 0, g->kind == DH_KIND_ECX ? "" : "1 to ",
			g->kind == DH_KIND_ECX ? g->pub_len : dh_prime_len(g));
		return NULL;
	}
	switch (g->kind) {
	case DH_KIND_MODP:
		pkey = dh_modp_from_private(g, priv, len);
		break;
	case DH_KIND_ECP:
		pkey = dh_ecp_from_private(g, priv, len);
		break;
	case DH_KIND_ECX:
		pkey = EVP_PKEY_new_raw_private_key_ex(NULL, g->ossl_name, NULL, priv, len);
		if (pkey == NULL)
			dh_ossl_fail(g, "importing a private value");
		break;
	}
	return pkey != NULL ? dh_key_wrap(g, pkey) : NULL;
}

const struct dh_group *dh_key_group(const struct dh_key *k)
{
	return k != NULL ? k->group : NULL;
}

int dh_public(const struct dh_key *k, uint8_t *out, size_t out_len)
{
	if (k == NULL || out == NULL)
		return -EINVAL;
	if (out_len < k->group->pub_len)
		return -ENOBUFS;
	memcpy(out, k->pub, k->group->pub_len);
	return 0;
}

static int dh_all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= p[i]; /* no early exit: this also runs on shared secrets */
	return acc == 0;
}

/* RFC 6989 2.1: for these groups (p-1)/2 is prime (RFC 2409 6, RFC 3526), and the
 * range check 1 < y < p-1 is all a recipient must do. The y^q = 1 mod p test is
 * required only for groups with small subgroups (RFC 6989 2.2, the RFC 5114
 * groups), which oak does not offer; it would cost a full-size exponentiation,
 * about six times the derive itself. We never reuse private values either. */
static int dh_check_modp(const struct dh_group *g, const uint8_t *y, size_t len)
{
	const uint8_t *p = dh_cache[g->slot].prime;

	if (memcmp(y, p, len) >= 0)
		return dh_reject(g, "value >= p is not in 1 < y < p-1 (RFC 6989 2.1)");
	if (dh_all_zero(y, len - 1) && y[len - 1] <= 1)
		return dh_reject(g, "value %u is not in 1 < y < p-1 (RFC 6989 2.1)", y[len - 1]);
	/* p is odd, so p-1 differs from p in the last byte only */
	if (memcmp(y, p, len - 1) == 0 && y[len - 1] == p[len - 1] - 1)
		return dh_reject(g, "value p-1 is not in 1 < y < p-1 (RFC 6989 2.1)");
	return 0;
}

/* RFC 6989 2.3: the point must satisfy the curve equation; these curves have
 * cofactor 1, so no subgroup test is needed. The curve equation itself is
 * checked when the point is imported (dh_peer_key). IKE cannot encode the point
 * at infinity (RFC 5903 7); all zeros is what a broken peer would send for it. */
static int dh_check_ecp(const struct dh_group *g, const uint8_t *xy, size_t len)
{
	const uint8_t *p = dh_cache[g->slot].prime;
	size_t flen = len / 2;

	if (dh_all_zero(xy, len))
		return dh_reject(g, "x | y is all zero, the point at infinity (RFC 6989 2.3)");
	if (memcmp(xy, p, flen) >= 0)
		return dh_reject(g, "x is not less than the field prime p (RFC 6989 2.3)");
	if (memcmp(xy + flen, p, flen) >= 0)
		return dh_reject(g, "y is not less than the field prime p (RFC 6989 2.3)");
	return 0;
}

static int dh_check_peer(const struct dh_group *g, const uint8_t *peer, size_t len)
{
	static const char *const want[] = {
		[DH_KIND_MODP] = "the length of p, RFC 7296 3.4",
		[DH_KIND_ECP] = "x | y, RFC 5903 7",
		[DH_KIND_ECX] = "RFC 8031",
	};

	/* peer is NULL only with len 0, which no group's pub_len is */
	if (peer == NULL || len != g->pub_len)
		return dh_reject(g, "expected %zu bytes (%s), got %zu", g->pub_len, want[g->kind],
				 len);
	switch (g->kind) {
	case DH_KIND_MODP:
		return dh_check_modp(g, peer, len);
	case DH_KIND_ECP:
		return dh_check_ecp(g, peer, len);
	case DH_KIND_ECX:
		break; /* any 32/56 bytes are a u-coordinate (RFC 7748 5); see dh_exchange */
	}
	return 0;
}

/* The peer's public value as an EVP_PKEY of our group (*out, caller frees). */
static int dh_peer_key(const struct dh_group *g, const uint8_t *peer, size_t len, EVP_PKEY **out)
{
	uint8_t enc[1 + DH_MAX_PUB];
	size_t skip = g->kind == DH_KIND_ECP ? 1 : 0;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pk;
	int ok;

	if (g->kind == DH_KIND_ECX) {
		*out = EVP_PKEY_new_raw_public_key_ex(NULL, g->ossl_name, NULL, peer, len);
		return *out != NULL ? 0 : dh_ossl_fail(g, "importing the peer's public value");
	}
	enc[0] = DH_ECP_POINT;
	/* peer is not NULL: dh_check_peer rejected that (the analyzer does not follow it) */
	// NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker)
	memcpy(enc + skip, peer, len);
	pk = EVP_PKEY_new();
	if (pk == NULL || EVP_PKEY_copy_parameters(pk, dh_cache[g->slot].params) <= 0) {
		EVP_PKEY_free(pk);
		return dh_ossl_fail(g, "importing the peer's public value");
	}
	ok = EVP_PKEY_set1_encoded_public_key(pk, enc, len + skip) > 0;
	if (ok && g->kind == DH_KIND_ECP) {
		/* import checked the curve equation (EC_POINT_set_affine_coordinates); the
		 * quick check repeats it cheaply, in case a libcrypto ever does not */
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
		ok = ctx != NULL && EVP_PKEY_public_check_quick(ctx) > 0;
		EVP_PKEY_CTX_free(ctx);
	}
	if (!ok) {
		EVP_PKEY_free(pk);
		if (g->kind == DH_KIND_ECP)
			return dh_reject(g, "point (x, y) is not on the curve %s (RFC 6989 2.3)",
					 g->ossl_name);
		return dh_ossl_fail(g, "importing the peer's public value");
	}
	*out = pk;
	return 0;
}

/* g^xy from our key and the peer's. The peer was validated above, so OpenSSL's own
 * peer validation is off (EVP_PKEY_derive_set_peer_ex(..., 0)): for the MODP groups
 * it recognises it would do the full y^q test, which made a group 14 derive six
 * times slower (0.3 ms -> 1.9 ms); for ECP it would add a scalar multiplication. */
static int dh_exchange(const struct dh_key *k, EVP_PKEY *peer, struct secret **shared)
{
	const struct dh_group *g = k->group;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	struct secret *s = secret_new(g->shared_len);
	size_t len = g->shared_len;
	int rc = 0;

	if (s == NULL) {
		rc = -ENOMEM;
	} else if (ctx == NULL || EVP_PKEY_derive_init(ctx) <= 0 ||
		   (g->kind == DH_KIND_MODP && EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0) ||
		   EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) <= 0) {
		rc = dh_ossl_fail(g, "setting up the exchange");
	} else if (EVP_PKEY_derive(ctx, s->data, &len) <= 0) {
		/* OpenSSL's X25519/X448 fail this way on an all-zero result (RFC 7748 6) */
		unsigned long e = ERR_peek_last_error();

		if (g->kind == DH_KIND_ECX && ERR_GET_LIB(e) == ERR_LIB_PROV &&
		    ERR_GET_REASON(e) == PROV_R_FAILED_DURING_DERIVATION)
			rc = dh_reject(g, "the shared secret is all zero, a low-order point "
					  "(RFC 7748 6)");
		else
			rc = dh_ossl_fail(g, "deriving the shared secret");
	} else if (len != g->shared_len) {
		log_err(SUB_CRYPTO,
			"DH group %u (%s): libcrypto gave a %zu-byte secret, expected %zu", g->id,
			g->name, len, g->shared_len);
		rc = -EIO;
	} else if (g->kind == DH_KIND_ECX && dh_all_zero(s->data, len)) {
		rc = dh_reject(g, "the shared secret is all zero, a low-order point (RFC 7748 6)");
	}
	EVP_PKEY_CTX_free(ctx);
	if (rc < 0) {
		secret_free(s);
		s = NULL;
	}
	*shared = s;
	return rc;
}

int dh_derive(const struct dh_key *k, const uint8_t *peer, size_t peer_len, struct secret **shared)
{
	EVP_PKEY *pk = NULL;
	int rc;

	if (shared != NULL)
		*shared = NULL;
	if (k == NULL || shared == NULL || (peer == NULL && peer_len != 0))
		return -EINVAL;
	rc = dh_check_peer(k->group, peer, peer_len);
	if (rc == 0)
		rc = dh_peer_key(k->group, peer, peer_len, &pk);
	if (rc == 0)
		rc = dh_exchange(k, pk, shared);
	EVP_PKEY_free(pk);
	return rc;
}

int dh_key_priv_bits(const struct dh_key *k)
{
	BIGNUM *x = NULL;
	int bits;

	if (k == NULL)
		return -1;
	if (k->group->kind == DH_KIND_ECX)
		return (int)(8 * k->group->pub_len);
	if (!EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &x)) {
		ERR_clear_error();
		return -1;
	}
	bits = BN_num_bits(x);
	BN_clear_free(x);
	return bits;
}

void dh_key_free(struct dh_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey); /* OpenSSL clears private values when freeing them */
	free(k);
}
