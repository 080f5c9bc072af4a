/* Unit tests of crypto/sig: key loading, round trips of every scheme with
 * every key type, rejections, RFC 7427 AUTH data. Keys: tests/vectors/sig/
 * (test keys only). */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/sig.h"

#define VEC_DIR "tests/vectors/sig/"

static const char *vec(const char *name)
{
	static char rel[128];

	snprintf(rel, sizeof(rel), VEC_DIR "%s", name);
	return th_src_path(rel);
}

static uint8_t *slurp(const char *name, size_t *len)
{
	FILE *f = fopen(vec(name), "rb");
	uint8_t *buf = malloc(8192);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, 8192, f);
	fclose(f);
	assert_true(*len > 0 && *len < 8192);
	return buf;
}

static struct sig_key *key(const char *name)
{
	struct sig_key *k = NULL;

	assert_int_equal(sig_key_load_file(vec(name), NULL, &k), 0);
	return k;
}

static struct sig_pubkey *cert(const char *name)
{
	struct sig_pubkey *pub = NULL;
	size_t len;
	uint8_t *buf = slurp(name, &len);

	assert_int_equal(sig_pubkey_from_cert(buf, len, &pub), 0);
	free(buf);
	return pub;
}

struct key_case {
	const char *key, *crt;
	enum sig_key_type type;
};

static const struct key_case keys[] = {
	{"rsa2048.pem", "rsa2048.crt", SIG_KEY_RSA},
	{"p256.pem", "p256.crt", SIG_KEY_ECDSA_P256},
	{"p384.pem", "p384.crt", SIG_KEY_ECDSA_P384},
	{"p521.pem", "p521.crt", SIG_KEY_ECDSA_P521},
	{"ed25519.pem", "ed25519.crt", SIG_KEY_ED25519},
	{"ed448.pem", "ed448.crt", SIG_KEY_ED448},
};

/* ---- loading ---- */

static void loads_every_format(void **state)
{
	static const struct {
		const char *file;
		enum sig_key_type type;
	} f[] = {
		{"rsa2048.pem", SIG_KEY_RSA},	       {"rsa2048.trad.pem", SIG_KEY_RSA},
		{"p256.pem", SIG_KEY_ECDSA_P256},      {"p256.der", SIG_KEY_ECDSA_P256},
		{"p384.pem", SIG_KEY_ECDSA_P384},      {"p521.pem", SIG_KEY_ECDSA_P521},
		{"p521.sec1.pem", SIG_KEY_ECDSA_P521}, {"ed25519.pem", SIG_KEY_ED25519},
		{"ed448.pem", SIG_KEY_ED448},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		struct sig_key *k = key(f[i].file);

		assert_int_equal(sig_key_type(k), f[i].type);
		sig_key_free(k);
	}
}

/* Each private key matches its certificate; the certificate in DER and the
 * SPKI in PEM or DER give the same public keys. */
static void public_keys_from_certs_and_spki(void **state)
{
	struct sig_pubkey *a, *b, *pub;
	uint8_t *buf, *spki;
	size_t len, spki_len;

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct sig_key *k = key(keys[i].key);

		a = sig_key_pubkey(k);
		b = cert(keys[i].crt);
		assert_int_equal(sig_pubkey_type(b), keys[i].type);
		assert_true(sig_pubkey_equal(a, b));
		/* SPKI out and back in */
		assert_int_equal(sig_pubkey_spki(b, &spki, &spki_len), 0);
		assert_int_equal(sig_pubkey_from_spki(spki, spki_len, &pub), 0);
		assert_true(sig_pubkey_equal(pub, a));
		free(spki);
		sig_pubkey_free(pub);
		sig_pubkey_free(a);
		sig_pubkey_free(b);
		sig_key_free(k);
	}
	a = cert("rsa2048.crt");
	b = cert("rsa2048.crt.der");
	assert_true(sig_pubkey_equal(a, b));
	sig_pubkey_free(b);
	b = cert("p384.crt");
	assert_false(sig_pubkey_equal(a, b)); /* different keys */
	sig_pubkey_free(a);
	buf = slurp("p384.pub.pem", &len);
	assert_int_equal(sig_pubkey_from_spki(buf, len, &a), 0);
	assert_true(sig_pubkey_equal(a, b));
	free(buf);
	sig_pubkey_free(a);
	sig_pubkey_free(b);
	buf = slurp("ed25519.pub.der", &len);
	assert_int_equal(sig_pubkey_from_spki(buf, len, &a), 0);
	assert_int_equal(sig_pubkey_type(a), SIG_KEY_ED25519);
	/* trailing garbage after one SPKI is refused */
	buf[len] = 0;
	assert_int_equal(sig_pubkey_from_spki(buf, len + 1, &b), -EINVAL);
	assert_null(b);
	free(buf);
	sig_pubkey_free(a);
}

static void pubkey_from_evp_takes_a_reference(void **state)
{
	size_t len;
	uint8_t *buf = slurp("rsa2048.crt.der", &len);
	const uint8_t *p = buf;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	EVP_PKEY *pk = X509_get0_pubkey(x);
	struct sig_pubkey *a, *b = cert("rsa2048.crt");

	(void)state;
	assert_non_null(pk);
	assert_int_equal(sig_pubkey_from_evp(pk, &a), 0);
	X509_free(x); /* the wrapper keeps its own reference */
	assert_true(sig_pubkey_equal(a, b));
	sig_pubkey_free(a);
	assert_int_equal(sig_pubkey_from_evp(NULL, &a), -EINVAL);
	assert_null(a);
	sig_pubkey_free(b);
	free(buf);
}

static void encrypted_key_needs_its_passphrase(void **state)
{
	struct sig_key *k = NULL;

	(void)state;
	/* missing: refused without prompting anyone */
	logcap_start();
	assert_int_equal(sig_key_load_file(vec("ed25519.enc.pem"), NULL, &k), -EACCES);
	assert_true(logcap_contains("ed25519.enc.pem: encrypted, and the passphrase is missing"));
	logcap_stop();
	assert_null(k);
	assert_int_equal(sig_key_load_file(vec("ed25519.enc.pem"), "wrong", &k), -EACCES);
	assert_null(k);
	assert_int_equal(sig_key_load_file(vec("ed25519.enc.pem"), "oak-test", &k), 0);
	assert_int_equal(sig_key_type(k), SIG_KEY_ED25519);
	sig_key_free(k);
}

static void bad_keys_are_refused(void **state)
{
	static const uint8_t junk[] = "this is not a key";
	struct sig_key *k = (struct sig_key *)1;
	struct sig_pubkey *pub = (struct sig_pubkey *)1;
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_int_equal(sig_key_load(junk, sizeof(junk), NULL, &k), -EINVAL);
	assert_null(k);
	assert_int_equal(sig_key_load(junk, 0, NULL, &k), -EINVAL);
	logcap_start();
	assert_int_equal(sig_key_load_file(vec("secp256k1.pem"), NULL, &k), -ENOTSUP);
	assert_true(logcap_contains("secp256k1.pem: unsupported type or curve"));
	logcap_stop();
	assert_int_equal(sig_key_load_file(vec("no-such-key.pem"), NULL, &k), -ENOENT);
	/* a certificate or a public key is not a private key */
	assert_int_equal(sig_key_load_file(vec("p256.crt"), NULL, &k), -EINVAL);
	assert_int_equal(sig_key_load_file(vec("p384.pub.pem"), NULL, &k), -EINVAL);
	assert_null(k);
	/* a private key is not a certificate, and junk is neither */
	buf = slurp("p256.pem", &len);
	assert_int_equal(sig_pubkey_from_cert(buf, len, &pub), -EINVAL);
	assert_null(pub);
	free(buf);
	assert_int_equal(sig_pubkey_from_cert(junk, sizeof(junk), &pub), -EINVAL);
	assert_int_equal(sig_pubkey_from_spki(junk, sizeof(junk), &pub), -EINVAL);
	sig_key_free(NULL);
	sig_pubkey_free(NULL);
}

/* ---- signing ---- */

static const enum sig_scheme all_schemes[] = {
	SIG_RSA_PKCS1_SHA1, SIG_RSA_PKCS1_SHA256, SIG_RSA_PKCS1_SHA384, SIG_RSA_PKCS1_SHA512,
	SIG_RSA_PSS_SHA256, SIG_RSA_PSS_SHA384,	  SIG_RSA_PSS_SHA512,	SIG_ECDSA_SHA256,
	SIG_ECDSA_SHA384,   SIG_ECDSA_SHA512,	  SIG_ED25519,		SIG_ED448,
	SIG_ECDSA_P256_RS,  SIG_ECDSA_P384_RS,	  SIG_ECDSA_P521_RS,	SIG_RSA_PKCS1_NULL,
};

/* Which key types each scheme takes (the RFC 4754 methods fix the curve). */
static bool expect_fit(enum sig_scheme s, enum sig_key_type t)
{
	bool ec = t == SIG_KEY_ECDSA_P256 || t == SIG_KEY_ECDSA_P384 || t == SIG_KEY_ECDSA_P521;

	switch (s) {
	case SIG_ECDSA_SHA256:
	case SIG_ECDSA_SHA384:
	case SIG_ECDSA_SHA512:
		return ec;
	case SIG_ECDSA_P256_RS:
		return t == SIG_KEY_ECDSA_P256;
	case SIG_ECDSA_P384_RS:
		return t == SIG_KEY_ECDSA_P384;
	case SIG_ECDSA_P521_RS:
		return t == SIG_KEY_ECDSA_P521;
	case SIG_ED25519:
		return t == SIG_KEY_ED25519;
	case SIG_ED448:
		return t == SIG_KEY_ED448;
	default:
		return t == SIG_KEY_RSA;
	}
}

static size_t expect_len(enum sig_scheme s, enum sig_key_type t, size_t got)
{
	switch (s) {
	case SIG_ED25519:
		return 64;
	case SIG_ED448:
		return 114;
	case SIG_ECDSA_P256_RS:
		return 64; /* RFC 4754 7 */
	case SIG_ECDSA_P384_RS:
		return 96;
	case SIG_ECDSA_P521_RS:
		return 132;
	default:
		return t == SIG_KEY_RSA ? 256 : got; /* DER ECDSA varies */
	}
}

static void round_trip_every_scheme_and_key(void **state)
{
	uint8_t data[300];
	struct span parts[2] = {{data, 100}, {data + 100, 200}}, whole = {data, 300};

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct sig_key *k = key(keys[i].key);
		struct sig_pubkey *pub = cert(keys[i].crt);

		for (size_t j = 0; j < sizeof(all_schemes) / sizeof(all_schemes[0]); j++) {
			enum sig_scheme s = all_schemes[j];
			/* IKEv1 RSA signs the hash itself: 20 octets here */
			size_t np = s == SIG_RSA_PKCS1_NULL ? 1 : 2;
			struct span p1 = {data, 20};
			const struct span *pp = s == SIG_RSA_PKCS1_NULL ? &p1 : parts;
			uint8_t *sig = NULL;
			size_t len = 0;
			int rc = sig_sign(k, s, pp, np, &sig, &len);

			assert_int_equal(sig_scheme_fits(s, keys[i].type),
					 expect_fit(s, keys[i].type));
			if (!expect_fit(s, keys[i].type)) {
				assert_int_equal(rc, -EINVAL);
				assert_null(sig);
				assert_int_equal(sig_verify(pub, s, pp, np, data, 64), -EINVAL);
				continue;
			}
			assert_int_equal(rc, 0);
			assert_int_equal(len, expect_len(s, keys[i].type, len));
			assert_int_equal(sig_verify(pub, s, pp, np, sig, len), 0);
			/* parts are signed as their concatenation */
			if (np == 2)
				assert_int_equal(sig_verify(pub, s, &whole, 1, sig, len), 0);
			/* tampered data, tampered signature, truncated signature */
			data[5] ^= 1;
			assert_int_equal(sig_verify(pub, s, pp, np, sig, len), -EBADMSG);
			data[5] ^= 1;
			sig[len - 1] ^= 0x40;
			assert_int_equal(sig_verify(pub, s, pp, np, sig, len), -EBADMSG);
			sig[len - 1] ^= 0x40;
			assert_int_equal(sig_verify(pub, s, pp, np, sig, len - 1), -EBADMSG);
			assert_int_equal(sig_verify(pub, s, pp, np, sig, 0), -EBADMSG);
			assert_int_equal(sig_verify(pub, s, pp, np, sig, len), 0);
			free(sig);
		}
		sig_pubkey_free(pub);
		sig_key_free(k);
	}
}

/* A signature by one key does not verify under another key of the same type. */
static void wrong_key_of_the_same_type(void **state)
{
	static const uint8_t msg[] = "IKE_SA_INIT octets | Nr | prf(SK_pi, IDi')";
	struct span part = {msg, sizeof(msg)};
	EVP_PKEY *other = EVP_RSA_gen(2048);
	unsigned char *der = NULL;
	int n = i2d_PrivateKey(other, &der);
	struct sig_key *k = key("rsa2048.pem"), *k2;
	struct sig_pubkey *pub2;
	uint8_t *sig;
	size_t len;

	(void)state;
	assert_true(n > 0);
	assert_int_equal(sig_key_load(der, (size_t)n, NULL, &k2), 0);
	pub2 = sig_key_pubkey(k2);
	assert_int_equal(sig_sign(k, SIG_RSA_PSS_SHA256, &part, 1, &sig, &len), 0);
	assert_int_equal(sig_verify(pub2, SIG_RSA_PSS_SHA256, &part, 1, sig, len), -EBADMSG);
	free(sig);
	assert_int_equal(sig_sign(k, SIG_RSA_PKCS1_NULL, &part, 1, &sig, &len), 0);
	assert_int_equal(sig_verify(pub2, SIG_RSA_PKCS1_NULL, &part, 1, sig, len), -EBADMSG);
	free(sig);
	sig_pubkey_free(pub2);
	sig_key_free(k2);
	sig_key_free(k);
	OPENSSL_free(der);
	EVP_PKEY_free(other);

	/* the same for ECDSA r | s: RFC 4754's P-256 public key is another key */
	k = key("p256.pem");
	assert_int_equal(sig_sign(k, SIG_ECDSA_P256_RS, &part, 1, &sig, &len), 0);
	{
		uint8_t spki[91];
		size_t sn =
			th_hex(spki, sizeof(spki),
			       "3059301306072a8648ce3d020106082a8648ce3d03010703420004"
			       "2442A5CC0ECD015FA3CA31DC8E2BBC70BF42D60CBCA20085E0822CB04235E970"
			       "6FC98BD7E50211A4A27102FA3549DF79EBCB4BF246B80945CDDFE7D509BBFD7D");

		assert_int_equal(sig_pubkey_from_spki(spki, sn, &pub2), 0);
	}
	assert_int_equal(sig_verify(pub2, SIG_ECDSA_P256_RS, &part, 1, sig, len), -EBADMSG);
	free(sig);
	sig_pubkey_free(pub2);
	sig_key_free(k);
}

/* PSS is randomized, PKCS#1 v1.5 and EdDSA are not. */
static void pss_and_ecdsa_are_randomized(void **state)
{
	struct span part = {(const uint8_t *)"x", 1};
	struct sig_key *k = key("rsa2048.pem"), *e = key("p256.pem");
	uint8_t *a, *b;
	size_t al, bl;

	(void)state;
	assert_int_equal(sig_sign(k, SIG_RSA_PSS_SHA256, &part, 1, &a, &al), 0);
	assert_int_equal(sig_sign(k, SIG_RSA_PSS_SHA256, &part, 1, &b, &bl), 0);
	assert_true(al == bl && memcmp(a, b, al) != 0);
	free(a);
	free(b);
	assert_int_equal(sig_sign(e, SIG_ECDSA_P256_RS, &part, 1, &a, &al), 0);
	assert_int_equal(sig_sign(e, SIG_ECDSA_P256_RS, &part, 1, &b, &bl), 0);
	assert_true(al == bl && memcmp(a, b, al) != 0);
	free(a);
	free(b);
	sig_key_free(k);
	sig_key_free(e);
}

/* RFC 8017 8.2.1: at most k - 11 octets under PKCS#1 type 1 padding. */
static void ikev1_rsa_data_too_long(void **state)
{
	static uint8_t data[246];
	struct span part = {data, 245};
	struct sig_key *k = key("rsa2048.pem");
	uint8_t *sig;
	size_t len;

	(void)state;
	assert_int_equal(sig_sign(k, SIG_RSA_PKCS1_NULL, &part, 1, &sig, &len), 0);
	free(sig);
	part.len = 246;
	assert_int_equal(sig_sign(k, SIG_RSA_PKCS1_NULL, &part, 1, &sig, &len), -EINVAL);
	assert_null(sig);
	assert_int_equal(sig_sign(k, SIG_NONE, &part, 1, &sig, &len), -EINVAL);
	assert_int_equal(sig_sign(k, (enum sig_scheme)999, &part, 1, &sig, &len), -EINVAL);
	sig_key_free(k);
}

/* ---- schemes ---- */

static void scheme_helpers(void **state)
{
	(void)state;
	assert_int_equal(sig_scheme_ikev2_method(1), SIG_RSA_PKCS1_SHA1);
	assert_int_equal(sig_scheme_ikev2_method(9), SIG_ECDSA_P256_RS);
	assert_int_equal(sig_scheme_ikev2_method(10), SIG_ECDSA_P384_RS);
	assert_int_equal(sig_scheme_ikev2_method(11), SIG_ECDSA_P521_RS);
	assert_int_equal(sig_scheme_ikev2_method(2), SIG_NONE);
	assert_int_equal(sig_scheme_ikev2_method(14), SIG_NONE);

	assert_int_equal(sig_scheme_hash(SIG_RSA_PSS_SHA384), SIG_HASH_SHA2_384);
	assert_int_equal(sig_scheme_hash(SIG_ECDSA_SHA512), SIG_HASH_SHA2_512);
	assert_int_equal(sig_scheme_hash(SIG_ED448), SIG_HASH_IDENTITY);
	assert_int_equal(sig_scheme_hash(SIG_RSA_PKCS1_SHA1), SIG_HASH_SHA1);
	assert_int_equal(sig_scheme_hash(SIG_ECDSA_P256_RS), SIG_HASH_RESERVED);

	assert_int_equal(sig_scheme_select(SIG_KEY_RSA, SIG_HASH_SHA2_256, true),
			 SIG_RSA_PSS_SHA256);
	assert_int_equal(sig_scheme_select(SIG_KEY_RSA, SIG_HASH_SHA2_512, false),
			 SIG_RSA_PKCS1_SHA512);
	assert_int_equal(sig_scheme_select(SIG_KEY_RSA, SIG_HASH_SHA1, false), SIG_RSA_PKCS1_SHA1);
	assert_int_equal(sig_scheme_select(SIG_KEY_RSA, SIG_HASH_SHA1, true), SIG_NONE);
	assert_int_equal(sig_scheme_select(SIG_KEY_ECDSA_P521, SIG_HASH_SHA2_256, false),
			 SIG_ECDSA_SHA256);
	assert_int_equal(sig_scheme_select(SIG_KEY_ECDSA_P256, SIG_HASH_SHA1, false), SIG_NONE);
	assert_int_equal(sig_scheme_select(SIG_KEY_ED25519, SIG_HASH_IDENTITY, false), SIG_ED25519);
	assert_int_equal(sig_scheme_select(SIG_KEY_ED448, SIG_HASH_IDENTITY, true), SIG_ED448);
	assert_int_equal(sig_scheme_select(SIG_KEY_ED25519, SIG_HASH_SHA2_256, false), SIG_NONE);

	assert_string_equal(enum_name(&sig_scheme_names, SIG_RSA_PKCS1_NULL), "SIG_RSA_PKCS1_NULL");
	assert_string_equal(enum_name(&sig_hash_names, 5), "IDENTITY");
	assert_string_equal(enum_name(&sig_key_type_names, SIG_KEY_ECDSA_P384), "ECDSA_P384");
}

/* ---- RFC 7427 AUTH data ---- */

static void auth_data_round_trip(void **state)
{
	static const uint8_t octets[] = "InitiatorSignedOctets";
	struct span part = {octets, sizeof(octets)}, sig;
	static const struct {
		const char *key, *crt;
		enum sig_scheme s;
	} c[] = {
		{"rsa2048.pem", "rsa2048.crt", SIG_RSA_PSS_SHA512},
		{"rsa2048.pem", "rsa2048.crt", SIG_RSA_PKCS1_SHA256},
		{"p384.pem", "p384.crt", SIG_ECDSA_SHA384},
		{"p521.pem", "p521.crt", SIG_ECDSA_SHA256},
		{"ed25519.pem", "ed25519.crt", SIG_ED25519},
		{"ed448.pem", "ed448.crt", SIG_ED448},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct sig_key *k = key(c[i].key);
		struct sig_pubkey *pub = cert(c[i].crt);
		struct sig_err err = {{0}};
		enum sig_scheme s;
		struct span algid;
		uint8_t *auth;
		size_t len;

		assert_int_equal(sig_sign_auth_data(k, c[i].s, &part, 1, &auth, &len), 0);
		assert_int_equal(sig_algid(c[i].s, &algid), 0);
		assert_int_equal(auth[0], algid.len);
		assert_memory_equal(auth + 1, algid.p, algid.len);
		assert_int_equal(sig_auth_data_decode(auth, len, &s, &sig, &err), 0);
		assert_int_equal(s, c[i].s);
		assert_ptr_equal(sig.p, auth + 1 + algid.len);
		assert_int_equal(sig.len, len - 1 - algid.len);
		assert_int_equal(sig_verify(pub, s, &part, 1, sig.p, sig.len), 0);
		free(auth);
		sig_pubkey_free(pub);
		sig_key_free(k);
	}
}

static int decode_hex(const char *hex, enum sig_scheme *s, struct span *sig, struct sig_err *err)
{
	static uint8_t buf[256];
	size_t n = th_hex(buf, sizeof(buf), hex);

	return sig_auth_data_decode(buf, n, s, sig, err);
}

static void auth_data_rejections(void **state)
{
	struct sig_err err = {{0}};
	enum sig_scheme s;
	struct span sig;
	uint8_t one = 0x0f;

	(void)state;
	/* truncated: nothing, only the length, AlgorithmIdentifier cut, no signature */
	assert_int_equal(sig_auth_data_decode(NULL, 0, &s, &sig, &err), -EMSGSIZE);
	assert_non_null(strstr(err.reason, "empty"));
	assert_int_equal(sig_auth_data_decode(&one, 1, &s, &sig, &err), -EMSGSIZE);
	assert_non_null(strstr(err.reason, "ASN.1 Length 15, but only 0 octets follow"));
	assert_int_equal(decode_hex("0f300d06092a864886f70d01010b05", &s, &sig, &err), -EMSGSIZE);
	assert_int_equal(decode_hex("0f300d06092a864886f70d01010b0500", &s, &sig, &err), -EMSGSIZE);
	assert_non_null(strstr(err.reason, "no Signature Value"));
	assert_int_equal(s, SIG_NONE);
	assert_null(sig.p);
	/* unknown algorithm: sha224WithRSAEncryption (1.2.840.113549.1.1.14) */
	assert_int_equal(decode_hex("0f300d06092a864886f70d01010e0500aabb", &s, &sig, &err),
			 -ENOTSUP);
	assert_non_null(strstr(err.reason, "1.2.840.113549.1.1.14"));
	/* malformed DER: SEQUENCE length past its content, a non-OID first,
	 * a non-minimal length, trailing bytes after the SEQUENCE */
	assert_int_equal(decode_hex("0f300e06092a864886f70d01010b0500aabb", &s, &sig, &err),
			 -EPROTO);
	assert_int_equal(decode_hex("0f300d04092a864886f70d01010b0500aabb", &s, &sig, &err),
			 -EPROTO);
	assert_int_equal(decode_hex("1030810d06092a864886f70d01010b0500aabb", &s, &sig, &err),
			 -EPROTO);
	assert_int_equal(decode_hex("10300d06092a864886f70d01010b050000aabb", &s, &sig, &err),
			 -EPROTO);
	/* parameters where there must be none (EdDSA), or not NULL (RSA) */
	assert_int_equal(decode_hex("09300706032b65700500aabb", &s, &sig, &err), -EPROTO);
	assert_non_null(strstr(err.reason, "unexpected parameters"));
	assert_int_equal(decode_hex("0f300d06092a864886f70d01010b0201aabb", &s, &sig, &err),
			 -EPROTO);
	/* accepted variants: ECDSA with NULL parameters, RSA without */
	assert_int_equal(decode_hex("0e300c06082a8648ce3d0403020500aabb", &s, &sig, &err), 0);
	assert_int_equal(s, SIG_ECDSA_SHA256);
	assert_int_equal(sig.len, 2);
	assert_int_equal(decode_hex("0d300b06092a864886f70d01010baabb", &s, &sig, &err), 0);
	assert_int_equal(s, SIG_RSA_PKCS1_SHA256);
	/* encode refuses schemes outside RFC 7427 and empty signatures */
	{
		uint8_t *out;
		size_t len;

		assert_int_equal(sig_auth_data_encode(SIG_ECDSA_P256_RS, &one, 1, &out, &len),
				 -EINVAL);
		assert_int_equal(sig_auth_data_encode(SIG_ED25519, &one, 0, &out, &len), -EINVAL);
		assert_null(out);
	}
}

/* PSS parameters oak does not take, each named in the reason. */
static void pss_parameter_rejections(void **state)
{
	struct sig_err err = {{0}};
	enum sig_scheme s;
	uint8_t der[128];
	size_t n;

	(void)state;
	/* SHA-256 with salt length 20 */
	n = th_hex(der, sizeof(der),
		   "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a0609"
		   "2a864886f70d010108300d06096086480165030402010500a203020114");
	assert_int_equal(sig_algid_parse(der, n, &s, &err), -ENOTSUP);
	assert_non_null(strstr(err.reason, "salt length 20, expected 32"));
	/* SHA-256 with MGF1-SHA-384 */
	n = th_hex(der, sizeof(der),
		   "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a0609"
		   "2a864886f70d010108300d06096086480165030402020500a203020120");
	assert_int_equal(sig_algid_parse(der, n, &s, &err), -ENOTSUP);
	assert_non_null(strstr(err.reason, "MGF1 with SHA2_384"));
	/* trailerField 2 */
	n = th_hex(der, sizeof(der),
		   "304606092a864886f70d01010a3039a00f300d06096086480165030402010500a11c301a0609"
		   "2a864886f70d010108300d06096086480165030402010500a203020120a303020102");
	assert_int_equal(sig_algid_parse(der, n, &s, &err), -ENOTSUP);
	assert_non_null(strstr(err.reason, "trailerField 2"));
	/* fields out of order: [2] before [0] */
	n = th_hex(der, sizeof(der),
		   "304106092a864886f70d01010a3034a203020120a00f300d06096086480165030402010500"
		   "a11c301a06092a864886f70d010108300d06096086480165030402010500");
	assert_int_equal(sig_algid_parse(der, n, &s, &err), -EPROTO);
	/* parameters absent entirely */
	n = th_hex(der, sizeof(der), "300b06092a864886f70d01010a");
	assert_int_equal(sig_algid_parse(der, n, &s, &err), -EPROTO);
	/* an unknown hash (SHA-224, 2.16.840.1.101.3.4.2.4) */
	n = th_hex(der, sizeof(der),
		   "304106092a864886f70d01010a3034a00f300d06096086480165030402040500a11c301a0609"
		   "2a864886f70d010108300d06096086480165030402040500a20302011c");
	assert_int_equal(sig_algid_parse(der, n, &s, &err), -ENOTSUP);
	assert_non_null(strstr(err.reason, "2.16.840.1.101.3.4.2.4"));
	assert_int_equal(s, SIG_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loads_every_format),
		cmocka_unit_test(public_keys_from_certs_and_spki),
		cmocka_unit_test(pubkey_from_evp_takes_a_reference),
		cmocka_unit_test(encrypted_key_needs_its_passphrase),
		cmocka_unit_test(bad_keys_are_refused),
		cmocka_unit_test(round_trip_every_scheme_and_key),
		cmocka_unit_test(wrong_key_of_the_same_type),
		cmocka_unit_test(pss_and_ecdsa_are_randomized),
		cmocka_unit_test(ikev1_rsa_data_too_long),
		cmocka_unit_test(scheme_helpers),
		cmocka_unit_test(auth_data_round_trip),
		cmocka_unit_test(auth_data_rejections),
		cmocka_unit_test(pss_parameter_rejections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
