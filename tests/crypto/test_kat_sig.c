/* Known answers for crypto/sig: RFC 7427 appendix A AlgorithmIdentifiers,
 * RFC 8032 7.1/7.4 EdDSA vectors, RFC 4754 8 ECDSA vectors, and signatures
 * made by the OpenSSL CLI (tests/vectors/sig/gen.sh, an independent producer)
 * with the test keys of tests/vectors/sig/. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sig.h"

#define VEC_DIR "tests/vectors/sig/"

static struct sig_key *load_key(const char *name)
{
	char rel[128];
	struct sig_key *k = NULL;

	snprintf(rel, sizeof(rel), VEC_DIR "%s", name);
	assert_int_equal(sig_key_load_file(th_src_path(rel), NULL, &k), 0);
	assert_non_null(k);
	return k;
}

/* ---- RFC 7427 appendix A ---- */

static void check_algid(enum sig_scheme s, const char *hex)
{
	struct span a;
	enum sig_scheme back;
	uint8_t want[128];
	size_t n = th_hex(want, sizeof(want), hex);

	assert_int_equal(sig_algid(s, &a), 0);
	th_assert_bytes(a.p, a.len, want, n, enum_name(&sig_scheme_names, s));
	/* and what we send parses back to the same scheme */
	assert_int_equal(sig_algid_parse(a.p, a.len, &back, NULL), 0);
	assert_int_equal(back, s);
}

static void rfc7427_appendix_a_algids(void **state)
{
	(void)state;
	/* A.1.1 - A.1.4 */
	check_algid(SIG_RSA_PKCS1_SHA1, "300d06092a864886f70d0101050500");
	check_algid(SIG_RSA_PKCS1_SHA256, "300d06092a864886f70d01010b0500");
	check_algid(SIG_RSA_PKCS1_SHA384, "300d06092a864886f70d01010c0500");
	check_algid(SIG_RSA_PKCS1_SHA512, "300d06092a864886f70d01010d0500");
	/* A.3.2 - A.3.4 */
	check_algid(SIG_ECDSA_SHA256, "300a06082a8648ce3d040302");
	check_algid(SIG_ECDSA_SHA384, "300a06082a8648ce3d040303");
	check_algid(SIG_ECDSA_SHA512, "300a06082a8648ce3d040304");
	/* RFC 8410 3: id-Ed25519 1.3.101.112, id-Ed448 1.3.101.113, no parameters */
	check_algid(SIG_ED25519, "300506032b6570");
	check_algid(SIG_ED448, "300506032b6571");
}

/* A.4.3 with the DEFAULT trailerField [3] dropped (DER, X.690 11.5), as
 * strongSwan's rsa_pss_params_build() sends; SHA-384/512 differ in the hash
 * OID's last octet and the salt length. */
static void pss_algids_are_a43_in_der(void **state)
{
	(void)state;
	check_algid(SIG_RSA_PSS_SHA256,
		    "3041"
		    "06092a864886f70d01010a"
		    "3034"
		    "a00f300d06096086480165030402010500"
		    "a11c301a06092a864886f70d010108300d06096086480165030402010500"
		    "a203020120");
	check_algid(SIG_RSA_PSS_SHA384,
		    "3041"
		    "06092a864886f70d01010a"
		    "3034"
		    "a00f300d06096086480165030402020500"
		    "a11c301a06092a864886f70d010108300d06096086480165030402020500"
		    "a203020130");
	check_algid(SIG_RSA_PSS_SHA512,
		    "3041"
		    "06092a864886f70d01010a"
		    "3034"
		    "a00f300d06096086480165030402030500"
		    "a11c301a06092a864886f70d010108300d06096086480165030402030500"
		    "a203020140");
}

static int parse_hex(const char *hex, enum sig_scheme *s, struct sig_err *err)
{
	uint8_t der[128];
	size_t n = th_hex(der, sizeof(der), hex);

	return sig_algid_parse(der, n, s, err);
}

/* The appendix's PSS objects as printed: A.4.3 (with trailerField) is
 * accepted; A.4.1 and A.4.2 mean SHA-1, which oak refuses by name. */
static void rfc7427_pss_objects_parse(void **state)
{
	struct sig_err err = {{0}};
	enum sig_scheme s;

	(void)state;
	assert_int_equal(parse_hex("304606092a864886f70d01010a3039a00f300d0609608648016503040201"
				   "0500a11c301a06092a864886f70d010108300d06096086480165030402"
				   "010500a203020120a303020101",
				   &s, &err),
			 0);
	assert_int_equal(s, SIG_RSA_PSS_SHA256);
	assert_int_equal(parse_hex("300d06092a864886f70d01010a3000", &s, &err), -ENOTSUP);
	assert_non_null(strstr(err.reason, "SHA-1"));
	assert_int_equal(parse_hex("303e06092a864886f70d01010a3031a00b300906052b0e03021a0500a118"
				   "301606092a864886f70d010108300906052b0e03021a0500a203020114"
				   "a303020101",
				   &s, &err),
			 -ENOTSUP);
	assert_non_null(strstr(err.reason, "SHA-1"));
	/* A.2.1 dsa-with-sha1 and A.3.1 ecdsa-with-sha1: not supported, named */
	assert_int_equal(parse_hex("300906072a8648ce380403", &s, &err), -ENOTSUP);
	assert_non_null(strstr(err.reason, "1.2.840.10040.4.3"));
	assert_int_equal(parse_hex("300906072a8648ce3d0401", &s, &err), -ENOTSUP);
	assert_non_null(strstr(err.reason, "1.2.840.10045.4.1"));
	assert_int_equal(s, SIG_NONE);
}

/* RFC 7427 appendix B.1: the AUTH payload body starts with 0f and the 15
 * octets of sha1WithRSAEncryption. */
static void rfc7427_appendix_b_auth_data(void **state)
{
	static const uint8_t sig[4] = {0xde, 0xad, 0xbe, 0xef};
	uint8_t *out;
	size_t len;

	(void)state;
	assert_int_equal(sig_auth_data_encode(SIG_RSA_PKCS1_SHA1, sig, sizeof(sig), &out, &len), 0);
	th_assert_hex(out, len, "0f300d06092a864886f70d0101050500deadbeef");
	free(out);
}

/* ---- RFC 8032 7.1 (Ed25519 tests 1-3) and 7.4 (Ed448 blank, 1 octet) ---- */

struct eddsa_vec {
	const char *secret, *public, *msg, *sig;
};

static void eddsa_check(const struct eddsa_vec *v, const char *pkcs8_prefix,
			const char *spki_prefix, enum sig_scheme s)
{
	char hex[512];
	uint8_t der[128], msg[8], want[128];
	size_t dn, mn, wn, len;
	struct sig_key *k;
	struct sig_pubkey *pub, *mine;
	struct span part;
	uint8_t *sig;

	/* RFC 8410 7: the private key as PKCS#8 around the secret octets */
	snprintf(hex, sizeof(hex), "%s%s", pkcs8_prefix, v->secret);
	dn = th_hex(der, sizeof(der), hex);
	assert_int_equal(sig_key_load(der, dn, NULL, &k), 0);
	snprintf(hex, sizeof(hex), "%s%s", spki_prefix, v->public);
	dn = th_hex(der, sizeof(der), hex);
	assert_int_equal(sig_pubkey_from_spki(der, dn, &pub), 0);
	/* the public key derived from the secret is the RFC's */
	mine = sig_key_pubkey(k);
	assert_true(sig_pubkey_equal(mine, pub));

	mn = th_hex(msg, sizeof(msg), v->msg);
	wn = th_hex(want, sizeof(want), v->sig);
	part = (struct span){msg, mn};
	assert_int_equal(sig_sign(k, s, &part, 1, &sig, &len), 0);
	th_assert_bytes(sig, len, want, wn, "EdDSA signature");
	assert_int_equal(sig_verify(pub, s, &part, 1, want, wn), 0);
	want[wn - 1] ^= 0x01;
	assert_int_equal(sig_verify(pub, s, &part, 1, want, wn), -EBADMSG);
	free(sig);
	sig_pubkey_free(mine);
	sig_pubkey_free(pub);
	sig_key_free(k);
}

static void rfc8032_ed25519(void **state)
{
	static const struct eddsa_vec v[] = {
		{"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		 "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
		 "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a3"
		 "3bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
		{"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		 "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
		 "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15"
		 "996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
		{"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
		 "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
		 "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16"
		 "f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		eddsa_check(&v[i], "302e020100300506032b657004220420", "302a300506032b6570032100",
			    SIG_ED25519);
}

static void rfc8032_ed448(void **state)
{
	static const struct eddsa_vec v[] = {
		{"6c82a562cb808d10d632be89c8513ebf6c929f34ddfa8c9f63c9960ef6e348a3528c8a3fcc2f04"
		 "4e39a3fc5b94492f8f032e7549a20098f95b",
		 "5fd7449b59b461fd2ce787ec616ad46a1da1342485a70e1f8a0ea75d80e96778edf124769b46c7"
		 "061bd6783df1e50f6cd1fa1abeafe8256180",
		 "",
		 "533a37f6bbe457251f023c0d88f976ae2dfb504a843e34d2074fd823d41a591f2b233f034f6282"
		 "81f2fd7a22ddd47d7828c59bd0a21bfd3980ff0d2028d4b18a9df63e006c5d1c2d345b925d8dc0"
		 "0b4104852db99ac5c7cdda8530a113a0f4dbb61149f05a7363268c71d95808ff2e652600"},
		{"c4eab05d357007c632f3dbb48489924d552b08fe0c353a0d4a1f00acda2c463afbea67c5e8d287"
		 "7c5e3bc397a659949ef8021e954e0a12274e",
		 "43ba28f430cdff456ae531545f7ecd0ac834a55d9358c0372bfa0c6c6798c0866aea01eb007428"
		 "02b8438ea4cb82169c235160627b4c3a9480",
		 "03",
		 "26b8f91727bd62897af15e41eb43c377efb9c610d48f2335cb0bd0087810f4352541b143c4b981"
		 "b7e18f62de8ccdf633fc1bf037ab7cd779805e0dbcc0aae1cbcee1afb2e027df36bc04dcecbf15"
		 "4336c19f0af7e0a6472905e799f1953d2a0ff3348ab21aa4adafd1d234441cf807c03a00"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		eddsa_check(&v[i], "3047020100300506032b6571043b0439", "3043300506032b6571033a00",
			    SIG_ED448);
}

/* ---- RFC 4754 8: ECDSA-256/384/521 over "abc", r | s ---- */

static void rfc4754_vector(const char *spki_prefix, const char *gwx, const char *gwy, const char *r,
			   const char *s, enum sig_scheme scheme)
{
	char hex[1024];
	uint8_t der[256], sig[160];
	size_t dn, sn;
	struct sig_pubkey *pub;
	struct span abc = {(const uint8_t *)"abc", 3};

	snprintf(hex, sizeof(hex), "%s04%s%s", spki_prefix, gwx, gwy);
	dn = th_hex(der, sizeof(der), hex);
	assert_int_equal(sig_pubkey_from_spki(der, dn, &pub), 0);
	snprintf(hex, sizeof(hex), "%s%s", r, s);
	sn = th_hex(sig, sizeof(sig), hex);
	assert_int_equal(sig_verify(pub, scheme, &abc, 1, sig, sn), 0);
	/* the signature is over "abc", not "abd" */
	abc.p = (const uint8_t *)"abd";
	assert_int_equal(sig_verify(pub, scheme, &abc, 1, sig, sn), -EBADMSG);
	sig_pubkey_free(pub);
}

static void rfc4754_ecdsa(void **state)
{
	(void)state;
	rfc4754_vector("3059301306072a8648ce3d020106082a8648ce3d030107034200",
		       "2442A5CC0ECD015FA3CA31DC8E2BBC70BF42D60CBCA20085E0822CB04235E970",
		       "6FC98BD7E50211A4A27102FA3549DF79EBCB4BF246B80945CDDFE7D509BBFD7D",
		       "CB28E0999B9C7715FD0A80D8E47A77079716CBBF917DD72E97566EA1C066957C",
		       "86FA3BB4E26CAD5BF90B7F81899256CE7594BB1EA0C89212748BFF3B3D5B0315",
		       SIG_ECDSA_P256_RS);
	rfc4754_vector("3076301006072a8648ce3d020106052b81040022036200",
		       "96281BF8DD5E0525CA049C048D345D3082968D10FEDF5C5ACA0C64E6465A97EA"
		       "5CE10C9DFEC21797415710721F437922",
		       "447688BA94708EB6E2E4D59F6AB6D7EDFF9301D249FE49C33096655F5D502FAD"
		       "3D383B91C5E7EDAA2B714CC99D5743CA",
		       "FB017B914E29149432D8BAC29A514640B46F53DDAB2C69948084E2930F1C8F7E"
		       "08E07C9C63F2D21A07DCB56A6AF56EB3",
		       "B263A1305E057F984D38726A1B46874109F417BCA112674C528262A40A629AF1"
		       "CBB9F516CE0FA7D2FF630863A00E8B9F",
		       SIG_ECDSA_P384_RS);
	rfc4754_vector("30819b301006072a8648ce3d020106052b8104002303818600",
		       "0151518F1AF0F563517EDD5485190DF95A4BF57B5CBA4CF2A9A3F6474725A35F"
		       "7AFE0A6DDEB8BEDBCD6A197E592D40188901CECD650699C9B5E456AEA5ADD190"
		       "52A8",
		       "006F3B142EA1BFFF7E2837AD44C9E4FF6D2D34C73184BBAD90026DD5E6E85317"
		       "D9DF45CAD7803C6C20035B2F3FF63AFF4E1BA64D1C077577DA3F4286C58F0AEA"
		       "E643",
		       "0154FD3836AF92D0DCA57DD5341D3053988534FDE8318FC6AAAAB68E2E6F4339"
		       "B19F2F281A7E0B22C269D93CF8794A9278880ED7DBB8D9362CAEACEE54432055"
		       "2251",
		       "017705A7030290D1CEB605A9A1BB03FF9CDD521E87A696EC926C8C10C8362DF4"
		       "975367101F67D1CF9BCCBF2F3D239534FA509E70AAC851AE01AAC68D62F86647"
		       "2660",
		       SIG_ECDSA_P521_RS);
}

/* ---- OpenSSL CLI answers (tests/vectors/sig/kat.txt) ---- */

static struct kv_file kat;
static uint8_t *kat_msg;
static size_t kat_msg_len;

static int kat_setup(void **state)
{
	(void)state;
	kv_load(&kat, th_src_path(VEC_DIR "kat.txt"));
	kat_msg = th_hex_alloc(kv_get(&kat, 0, "msg"), &kat_msg_len);
	return 0;
}

static int kat_teardown(void **state)
{
	(void)state;
	free(kat_msg);
	kv_free(&kat);
	return 0;
}

static int kat_record(const char *name)
{
	for (int r = 0; r < kat.records; r++) {
		const char *n = kv_get(&kat, r, "name");

		if (n && strcmp(n, name) == 0)
			return r;
	}
	fail_msg("no record %s in kat.txt", name);
	return -1;
}

/* The message in three parts, as the engines pass AUTH octets. */
static void msg_parts(struct span parts[3])
{
	parts[0] = (struct span){kat_msg, 10};
	parts[1] = (struct span){kat_msg + 10, 0};
	parts[2] = (struct span){kat_msg + 10, kat_msg_len - 10};
}

/* Deterministic: our signature must equal the CLI's; verify both ways. */
static void kat_sign_equal(const char *name, enum sig_scheme s, const uint8_t *data,
			   size_t data_len)
{
	int r = kat_record(name);
	struct sig_key *k = load_key(kv_get(&kat, r, "key"));
	struct sig_pubkey *pub = sig_key_pubkey(k);
	struct span parts[3];
	size_t want_len, len, n = 3;
	uint8_t *want = th_hex_alloc(kv_get(&kat, r, "sig"), &want_len), *sig;

	msg_parts(parts);
	if (data) {
		parts[0] = (struct span){data, data_len};
		n = 1;
	}
	assert_int_equal(sig_sign(k, s, parts, n, &sig, &len), 0);
	th_assert_bytes(sig, len, want, want_len, name);
	assert_int_equal(sig_verify(pub, s, parts, n, want, want_len), 0);
	free(sig);
	free(want);
	sig_pubkey_free(pub);
	sig_key_free(k);
}

static void openssl_rsa_pkcs1(void **state)
{
	(void)state;
	kat_sign_equal("rsa_pkcs1_sha1", SIG_RSA_PKCS1_SHA1, NULL, 0);
	kat_sign_equal("rsa_pkcs1_sha256", SIG_RSA_PKCS1_SHA256, NULL, 0);
	kat_sign_equal("rsa_pkcs1_sha384", SIG_RSA_PKCS1_SHA384, NULL, 0);
	kat_sign_equal("rsa_pkcs1_sha512", SIG_RSA_PKCS1_SHA512, NULL, 0);
}

/* IKEv1: `openssl pkeyutl -sign` of the SHA-1 hash with PKCS#1 padding and no
 * digest, i.e. no DigestInfo. */
static void openssl_rsa_pkcs1_null(void **state)
{
	int r;
	uint8_t *hash;
	size_t hash_len;

	(void)state;
	r = kat_record("rsa_pkcs1_null");
	hash = th_hex_alloc(kv_get(&kat, r, "hash"), &hash_len);
	assert_int_equal(hash_len, 20);
	kat_sign_equal("rsa_pkcs1_null", SIG_RSA_PKCS1_NULL, hash, hash_len);
	free(hash);
}

static void kat_verify(const char *name, const char *field, enum sig_scheme s)
{
	int r = kat_record(name);
	struct sig_key *k = load_key(kv_get(&kat, r, "key"));
	struct sig_pubkey *pub = sig_key_pubkey(k);
	struct span parts[3];
	size_t sig_len;
	uint8_t *sig = th_hex_alloc(kv_get(&kat, r, field), &sig_len);

	msg_parts(parts);
	assert_int_equal(sig_verify(pub, s, parts, 3, sig, sig_len), 0);
	sig[sig_len / 2] ^= 0x10;
	assert_int_equal(sig_verify(pub, s, parts, 3, sig, sig_len), -EBADMSG);
	free(sig);
	sig_pubkey_free(pub);
	sig_key_free(k);
}

static void openssl_rsa_pss(void **state)
{
	(void)state;
	kat_verify("rsa_pss_sha256", "sig", SIG_RSA_PSS_SHA256);
	kat_verify("rsa_pss_sha384", "sig", SIG_RSA_PSS_SHA384);
	kat_verify("rsa_pss_sha512", "sig", SIG_RSA_PSS_SHA512);
}

/* The CLI's DER signature verifies as RFC 7427 ECDSA; its r | s (split by
 * `openssl asn1parse` in gen.sh) verifies as RFC 4754. */
static void openssl_ecdsa(void **state)
{
	(void)state;
	kat_verify("ecdsa_p256_sha256", "der", SIG_ECDSA_SHA256);
	kat_verify("ecdsa_p256_sha256", "rs", SIG_ECDSA_P256_RS);
	kat_verify("ecdsa_p384_sha384", "der", SIG_ECDSA_SHA384);
	kat_verify("ecdsa_p384_sha384", "rs", SIG_ECDSA_P384_RS);
	kat_verify("ecdsa_p521_sha512", "der", SIG_ECDSA_SHA512);
	kat_verify("ecdsa_p521_sha512", "rs", SIG_ECDSA_P521_RS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc7427_appendix_a_algids),
		cmocka_unit_test(pss_algids_are_a43_in_der),
		cmocka_unit_test(rfc7427_pss_objects_parse),
		cmocka_unit_test(rfc7427_appendix_b_auth_data),
		cmocka_unit_test(rfc8032_ed25519),
		cmocka_unit_test(rfc8032_ed448),
		cmocka_unit_test(rfc4754_ecdsa),
		cmocka_unit_test(openssl_rsa_pkcs1),
		cmocka_unit_test(openssl_rsa_pkcs1_null),
		cmocka_unit_test(openssl_rsa_pss),
		cmocka_unit_test(openssl_ecdsa),
	};
	return cmocka_run_group_tests(tests, kat_setup, kat_teardown);
}
