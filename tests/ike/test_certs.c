/* test_certs: certificate stores, chain validation, identities in
 * certificates, our own certificate and CERTREQ, against the test PKI of
 * tests/vectors/certs/ (made by its gen.sh; certreq.txt holds the SHA-1 SPKI
 * hashes openssl computed there). */
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/model.h"
#include "ike/certs.h"
#include "lib/hex.h"
#include "lib/util.h"

/* 2026-05-28, inside every 2025-2045 validity and after "expired" ended */
#define NOW	    1780000000ull
#define BEFORE_2025 1717200000ull /* 2024-06-01 */

#define VEC "tests/vectors/certs/"

struct file {
	uint8_t *p;
	size_t len;
};

static char *vec_path(const char *rel)
{
	char buf[512];
	char *p;

	snprintf(buf, sizeof(buf), VEC "%s", rel);
	p = strdup(th_src_path(buf));
	assert_non_null(p);
	return p;
}

static struct file vec_file(const char *rel)
{
	char *path = vec_path(rel);
	FILE *f = fopen(path, "rb");
	struct file r = {0};

	assert_non_null(f);
	r.p = malloc(8192);
	assert_non_null(r.p);
	r.len = fread(r.p, 1, 8192, f);
	assert_true(r.len > 0 && r.len < 8192);
	fclose(f);
	free(path);
	return r;
}

/* A hash of certreq.txt, as 20 bytes. */
static void certreq_hash(const char *name, uint8_t out[CERTS_KEYID_LEN])
{
	struct kv_file kv;
	char *path = vec_path("certreq.txt");
	const char *hex;

	kv_load(&kv, path);
	hex = kv_get(&kv, 0, name);
	assert_non_null(hex);
	assert_int_equal(th_hex(out, CERTS_KEYID_LEN, hex), CERTS_KEYID_LEN);
	kv_free(&kv);
	free(path);
}

/* A store built the way oakd builds it, from a config naming CA files and
 * (optionally) the x509ca/, x509/ and private/ directories. */
static struct certs_store *load_store(const char *const *cacerts, size_t n, bool dirs)
{
	struct oak_config cfg;
	struct certs_store *s = NULL;
	char why[CERTS_WHY_LEN] = "";
	char *paths[4];

	memset(&cfg, 0, sizeof(cfg));
	for (size_t i = 0; i < n; i++)
		paths[i] = vec_path(cacerts[i]);
	cfg.cacerts = paths;
	cfg.ncacerts = n;
	if (dirs) {
		cfg.daemon.x509ca_dir = vec_path("x509ca");
		cfg.daemon.x509_dir = vec_path("x509");
		cfg.daemon.private_dir = vec_path("private");
	}
	logcap_start(); /* the evil certificate has no chain: a warning */
	assert_int_equal(certs_store_load(&cfg, &s, why, sizeof(why)), 0);
	logcap_stop();
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(cfg.daemon.x509ca_dir);
	free(cfg.daemon.x509_dir);
	free(cfg.daemon.private_dir);
	return s;
}

static struct certs_store *root_only(void)
{
	static const char *const ca[] = {"x509ca/root.pem"};

	return load_store(ca, 1, false);
}

static struct certs_store *full_store(void)
{
	return load_store(NULL, 0, true);
}

/* Validate wire/NAME.der files; returns certs_validate's result. */
static int validate(const struct certs_store *s, const char *const *names, size_t n, uint64_t now,
		    struct cert_result *r, char *why)
{
	struct file f[4];
	struct span chain[4];
	char path[64];
	int rc;

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "wire/%s.der", names[i]);
		f[i] = vec_file(path);
		chain[i] = (struct span){f[i].p, f[i].len};
	}
	why[0] = '\0';
	rc = certs_validate(s, chain, n, now, r, why, CERTS_WHY_LEN);
	for (size_t i = 0; i < n; i++)
		free(f[i].p);
	return rc;
}

static void assert_dn(const struct ident *id, const char *text)
{
	char buf[IDENT_STRLEN];

	assert_int_equal(id->type, IDENT_DER_ASN1_DN);
	assert_string_equal(ident_fmt(id, buf, sizeof(buf)), text);
}

/* The public key certs_validate returns verifies what the private key of
 * tests/vectors/certs/private/NAME.key signs. */
static void assert_key_pair(const struct sig_pubkey *pub, const char *keyfile,
			    enum sig_scheme scheme)
{
	static const uint8_t msg[] = "IKE_AUTH signed octets";
	struct span part = {msg, sizeof(msg)};
	struct sig_key *key = NULL;
	char *path = vec_path(keyfile);
	uint8_t *sig = NULL;
	size_t sig_len = 0;

	assert_int_equal(sig_key_load_file(path, NULL, &key), 0);
	assert_int_equal(sig_sign(key, scheme, &part, 1, &sig, &sig_len), 0);
	assert_int_equal(sig_verify(pub, scheme, &part, 1, sig, sig_len), 0);
	sig[sig_len / 2] ^= 1;
	assert_int_equal(sig_verify(pub, scheme, &part, 1, sig, sig_len), -EBADMSG);
	free(sig);
	sig_key_free(key);
	free(path);
}

static void check_valid(const char *ee, const char *dn, enum sig_key_type type,
			enum sig_scheme scheme)
{
	struct certs_store *s = root_only();
	const char *names[] = {ee, "int"};
	uint8_t root[CERTS_KEYID_LEN], in[CERTS_KEYID_LEN];
	char why[CERTS_WHY_LEN], keyfile[64];
	struct cert_result r;

	certreq_hash("root", root);
	certreq_hash("int", in);
	assert_int_equal(validate(s, names, 2, NOW, &r, why), 0);
	assert_non_null(r.cert);
	assert_dn(&r.subject, dn);
	assert_dn(&r.anchor, "CN=oak Root CA");
	assert_int_equal(sig_pubkey_type(r.pubkey), type);
	assert_int_equal(r.nca, 2);
	th_assert_bytes(r.ca_keyids[0], CERTS_KEYID_LEN, in, sizeof(in), "intermediate");
	th_assert_bytes(r.ca_keyids[1], CERTS_KEYID_LEN, root, sizeof(root), "root");
	snprintf(keyfile, sizeof(keyfile), "private/%s.key", ee);
	assert_key_pair(r.pubkey, keyfile, scheme);
	cert_result_clear(&r);
	assert_null(r.cert);
	certs_store_unref(s);
}

static void valid_rsa_through_intermediate(void **state)
{
	(void)state;
	check_valid("rsa", "C=CH, O=oak, CN=rsa.oak.test", SIG_KEY_RSA, SIG_RSA_PKCS1_SHA256);
}

static void valid_ecdsa_through_intermediate(void **state)
{
	(void)state;
	check_valid("ecdsa", "C=CH, O=oak, CN=ecdsa.oak.test", SIG_KEY_ECDSA_P256,
		    SIG_ECDSA_SHA256);
}

static void valid_ed25519_through_intermediate(void **state)
{
	(void)state;
	check_valid("ed25519", "C=CH, O=oak, CN=ed25519.oak.test", SIG_KEY_ED25519, SIG_ED25519);
}

/* The peer's intermediates may come in any order, with unrelated ones among
 * them, and the configured CA certificates fill gaps. */
static void intermediate_from_store_or_any_order(void **state)
{
	struct certs_store *full = full_store(), *root = root_only();
	const char *ee_only[] = {"rsa"};
	const char *both[] = {"user", "evil-ca", "int"};
	char why[CERTS_WHY_LEN];
	struct cert_result r;

	(void)state;
	assert_int_equal(validate(full, ee_only, 1, NOW, &r, why), 0);
	assert_dn(&r.anchor, "CN=oak Root CA");
	assert_true(certs_result_has_ca(full, &r, "int.pem"));
	assert_true(certs_result_has_ca(full, &r, "root.pem"));
	assert_false(certs_result_has_ca(full, &r, "nope.pem"));
	cert_result_clear(&r);
	assert_int_equal(validate(root, both, 3, NOW, &r, why), 0);
	assert_true(certs_result_has_ca(root, &r, "root.pem"));
	/* the intermediate was the peer's, not a configured CA */
	assert_false(certs_result_has_ca(root, &r, "int.pem"));
	cert_result_clear(&r);
	certs_store_unref(full);
	certs_store_unref(root);
}

static void intermediate_missing(void **state)
{
	struct certs_store *s = root_only();
	const char *names[] = {"rsa"};
	char why[CERTS_WHY_LEN];
	struct cert_result r;

	(void)state;
	assert_int_equal(validate(s, names, 1, NOW, &r, why), -EPERM);
	assert_string_equal(why, "no trusted CA for issuer 'CN=oak Intermediate' of 'C=CH, O=oak, "
				 "CN=rsa.oak.test' (the peer sent no intermediate CA certificate)");
	assert_null(r.cert);
	assert_null(r.pubkey);
	certs_store_unref(s);
}

static void expired(void **state)
{
	struct certs_store *s = root_only();
	const char *names[] = {"expired", "int"};
	char why[CERTS_WHY_LEN];
	struct cert_result r;

	(void)state;
	assert_int_equal(validate(s, names, 2, NOW, &r, why), -EPERM);
	assert_string_equal(why, "certificate 'C=CH, O=oak, CN=expired.oak.test' expired on "
				 "2021-01-01");
	/* at a time it was valid, its CAs were not yet: OpenSSL checks from
	 * the anchor down, so the root is named */
	assert_int_equal(validate(s, names, 2, 1609000000ull, &r, why), -EPERM);
	assert_string_equal(why, "certificate 'CN=oak Root CA' is not valid before 2025-01-01");
	certs_store_unref(s);
}

static void not_yet_valid(void **state)
{
	struct certs_store *s = root_only();
	const char *names[] = {"ecdsa", "int"};
	char why[CERTS_WHY_LEN];
	struct cert_result r;

	(void)state;
	assert_int_equal(validate(s, names, 2, BEFORE_2025, &r, why), -EPERM);
	assert_string_equal(why, "certificate 'CN=oak Root CA' is not valid before 2025-01-01");
	/* after 2045-01-01 everything has expired */
	assert_int_equal(validate(s, names, 2, 2400000000ull, &r, why), -EPERM);
	assert_string_equal(why, "certificate 'CN=oak Root CA' expired on 2045-01-01");
	certs_store_unref(s);
}

static void wrong_ca(void **state)
{
	struct certs_store *s = full_store();
	const char *alone[] = {"evil"};
	const char *with_root[] = {"evil", "evil-ca"};
	char why[CERTS_WHY_LEN];
	struct cert_result r;

	(void)state;
	assert_int_equal(validate(s, alone, 1, NOW, &r, why), -EPERM);
	assert_string_equal(why,
			    "no trusted CA for issuer 'CN=Evil CA' of 'C=CH, O=evil, "
			    "CN=evil.oak.test' (the peer sent no intermediate CA certificate)");
	assert_int_equal(validate(s, with_root, 2, NOW, &r, why), -EPERM);
	assert_string_equal(why,
			    "chain ends at self-signed 'CN=Evil CA', which is not a trusted CA");
	certs_store_unref(s);
}

/* A CA certificate sent as the end entity, and a self-signed end entity. */
static void self_signed_peer(void **state)
{
	struct certs_store *s = root_only();
	const char *evil_root[] = {"evil-ca"};
	char why[CERTS_WHY_LEN];
	struct cert_result r;

	(void)state;
	assert_int_equal(validate(s, evil_root, 1, NOW, &r, why), -EPERM);
	assert_string_equal(why, "certificate 'CN=Evil CA' is self-signed and not a trusted CA");
	certs_store_unref(s);
}

static void tampered_signature(void **state)
{
	struct certs_store *s = root_only();
	struct file ee = vec_file("wire/ecdsa.der"), in = vec_file("wire/int.der");
	struct span chain[2] = {{ee.p, ee.len}, {in.p, in.len}};
	char why[CERTS_WHY_LEN];
	struct cert_result r;

	(void)state;
	ee.p[ee.len - 1] ^= 0x01; /* the last octet of the signature's s */
	assert_int_equal(certs_validate(s, chain, 2, NOW, &r, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "signature of 'C=CH, O=oak, CN=ecdsa.oak.test' by "
				 "'CN=oak Intermediate' does not verify");
	ee.p[ee.len - 1] ^= 0x01;
	assert_int_equal(certs_validate(s, chain, 2, NOW, &r, why, sizeof(why)), 0);
	cert_result_clear(&r);
	free(ee.p);
	free(in.p);
	certs_store_unref(s);
}

static void garbage_der(void **state)
{
	static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x05};
	struct certs_store *s = root_only();
	struct file ee = vec_file("wire/rsa.der"), in = vec_file("wire/int.der");
	struct span chain[2] = {{ee.p, ee.len}, {junk, sizeof(junk)}};
	char why[CERTS_WHY_LEN], want[128];
	struct cert_result r;
	struct certs_cert *c = (struct certs_cert *)1;

	(void)state;
	assert_int_equal(certs_validate(s, chain, 2, NOW, &r, why, sizeof(why)), -EBADMSG);
	assert_string_equal(why, "certificate 2 of 2 from the peer (5 bytes) is not a DER X.509 "
				 "certificate");
	/* truncated end entity */
	chain[0].len -= 1;
	chain[1] = (struct span){in.p, in.len};
	assert_int_equal(certs_validate(s, chain, 2, NOW, &r, why, sizeof(why)), -EBADMSG);
	snprintf(want, sizeof(want),
		 "certificate 1 of 2 from the peer (%zu bytes) is not a DER X.509 certificate",
		 ee.len - 1);
	assert_string_equal(why, want);
	/* trailing bytes after a good certificate */
	chain[0].len = ee.len;
	chain[1] = (struct span){in.p, in.len + 1};
	in.p[in.len] = 0;
	assert_int_equal(certs_validate(s, chain, 2, NOW, &r, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "certificate 2 of 2"));
	assert_int_equal(certs_validate(s, chain, 0, NOW, &r, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "expected 1 to 8 certificates from the peer, got 0");
	assert_int_equal(certs_cert_parse(junk, sizeof(junk), &c, why, sizeof(why)), -EBADMSG);
	assert_null(c);
	assert_string_equal(why, "expected an X.509 certificate (DER or PEM), got 5 bytes that are "
				 "not one");
	free(ee.p);
	free(in.p);
	certs_store_unref(s);
}

static struct certs_cert *parse_vec(const char *rel)
{
	struct file f = vec_file(rel);
	struct certs_cert *c = NULL;
	char why[CERTS_WHY_LEN];

	assert_int_equal(certs_cert_parse(f.p, f.len, &c, why, sizeof(why)), 0);
	free(f.p);
	return c;
}

static bool id_in(const struct certs_cert *c, const char *text)
{
	struct ident id;
	char err[128];

	assert_int_equal(ident_parse(text, &id, err, sizeof(err)), 0);
	return certs_id_matches(c, &id);
}

static bool wire_id_in(const struct certs_cert *c, uint8_t type, const char *data)
{
	struct ident id;

	assert_int_equal(ident_from_wire(type, (const uint8_t *)data, strlen(data), &id), 0);
	return certs_id_matches(c, &id);
}

static void ids_in_certificates(void **state)
{
	struct certs_cert *rsa = parse_vec("x509/rsa.pem"), *ec = parse_vec("wire/ecdsa.der");
	struct certs_cert *user = parse_vec("x509/user.pem");
	static const uint8_t ip2[4] = {192, 0, 2, 2}, ip3[4] = {192, 0, 2, 3};
	struct ident id;
	size_t n;

	(void)state;
	/* DN: the subject, in any string type and case where X.520 allows */
	assert_true(id_in(rsa, "C=CH, O=oak, CN=rsa.oak.test"));
	assert_false(id_in(rsa, "C=CH, O=oak, CN=ecdsa.oak.test"));
	assert_false(id_in(rsa, "O=oak, CN=rsa.oak.test"));
	/* FQDN: a dNSName */
	assert_true(id_in(rsa, "rsa.oak.test"));
	assert_true(wire_id_in(ec, IDENT_FQDN, "ECDSA.oak.test"));
	assert_false(id_in(rsa, "ecdsa.oak.test"));
	/* not the subject's CN (as strongSwan): user's CN is "user" */
	assert_false(id_in(user, "fqdn:user"));
	/* RFC822: an rfc822Name */
	assert_true(id_in(user, "user@oak.test"));
	assert_false(id_in(user, "other@oak.test"));
	assert_false(id_in(rsa, "user@oak.test"));
	/* IPv4: an iPAddress */
	assert_int_equal(ident_from_wire(IDENT_IPV4_ADDR, ip2, 4, &id), 0);
	assert_true(certs_id_matches(ec, &id));
	assert_false(certs_id_matches(rsa, &id));
	assert_int_equal(ident_from_wire(IDENT_IPV4_ADDR, ip3, 4, &id), 0);
	assert_false(certs_id_matches(ec, &id));
	assert_true(id_in(ec, "192.0.2.2"));
	assert_false(id_in(ec, "2001:db8::2"));
	/* wildcards from the config match; the same text from a peer does not */
	assert_true(id_in(rsa, "*.oak.test"));
	assert_true(id_in(user, "*@oak.test"));
	assert_true(id_in(rsa, "C=CH, O=oak, CN=*"));
	assert_false(id_in(rsa, "C=DE, O=oak, CN=*"));
	assert_false(wire_id_in(rsa, IDENT_FQDN, "*.oak.test"));
	/* KEY_ID: SHA-1 of the SubjectPublicKeyInfo */
	assert_int_equal(ident_from_wire(IDENT_KEY_ID, certs_cert_keyid(ec), CERTS_KEYID_LEN, &id),
			 0);
	assert_true(certs_id_matches(ec, &id));
	assert_false(certs_id_matches(rsa, &id));
	/* the names kept */
	certs_cert_alt_names(ec, &n);
	assert_int_equal(n, 2);
	assert_int_equal(certs_cert_alt_names(ec, &n)[1].type, IDENT_IPV4_ADDR);
	assert_dn(certs_cert_subject(user), "C=CH, O=oak, CN=user");
	certs_cert_free(rsa);
	certs_cert_free(ec);
	certs_cert_free(user);
}

static void certreq_hashes(void **state)
{
	struct certs_store *root = root_only(), *full = full_store();
	const struct certs_cert *cas[4];
	uint8_t want[2 * CERTS_KEYID_LEN], req[3 * CERTS_KEYID_LEN];
	struct span got;
	char why[CERTS_WHY_LEN];

	(void)state;
	certreq_hash("root", want);
	got = certs_certreq(root);
	th_assert_bytes(got.p, got.len, want, CERTS_KEYID_LEN, "CERTREQ, root only");
	/* x509ca/ in name order: int.pem, root.pem */
	certreq_hash("int", want);
	certreq_hash("root", want + CERTS_KEYID_LEN);
	got = certs_certreq(full);
	th_assert_bytes(got.p, got.len, want, sizeof(want), "CERTREQ, x509ca/");
	/* a peer naming an unknown CA, then our root */
	certreq_hash("evil_ca", req);
	certreq_hash("root", req + CERTS_KEYID_LEN);
	certreq_hash("int", req + 2 * CERTS_KEYID_LEN);
	assert_int_equal(certs_certreq_match(full, req, sizeof(req), cas, 4, why, sizeof(why)), 2);
	assert_ptr_equal(cas[0], certs_store_ca(full, "root.pem"));
	assert_ptr_equal(cas[1], certs_store_ca(full, "int.pem"));
	assert_int_equal(certs_certreq_match(full, req, sizeof(req), cas, 1, why, sizeof(why)), 1);
	assert_int_equal(certs_certreq_match(root, req, CERTS_KEYID_LEN, cas, 4, why, sizeof(why)),
			 0);
	assert_int_equal(certs_certreq_match(full, req, 21, cas, 4, why, sizeof(why)), -EBADMSG);
	assert_string_equal(why, "CERTREQ Certification Authority of 21 bytes is not a list of "
				 "20-byte SHA-1 hashes");
	assert_int_equal(certs_certreq_match(full, req, 0, cas, 4, why, sizeof(why)), 0);
	certs_store_unref(root);
	certs_store_unref(full);
}

static void local_cert_and_key(void **state)
{
	struct certs_store *s = full_store();
	struct file in = vec_file("wire/int.der"), ee = vec_file("wire/rsa.der");
	struct sig_pubkey *pub = NULL, *kp;
	uint8_t root[CERTS_KEYID_LEN];
	char why[CERTS_WHY_LEN];
	struct certs_own o;

	(void)state;
	assert_int_equal(certs_local(s, "rsa.pem", NULL, &o, why, sizeof(why)), 0);
	assert_int_equal(sig_key_type(o.key), SIG_KEY_RSA);
	assert_dn(&o.id, "C=CH, O=oak, CN=rsa.oak.test"); /* no id configured: the subject */
	assert_int_equal(o.nchain, 2);			  /* not the self-signed root */
	th_assert_bytes(o.chain[0].p, o.chain[0].len, ee.p, ee.len, "own certificate");
	th_assert_bytes(o.chain[1].p, o.chain[1].len, in.p, in.len, "intermediate");
	assert_int_equal(o.nca, 2);
	certreq_hash("root", root);
	th_assert_bytes(o.ca_keyids[1], CERTS_KEYID_LEN, root, sizeof(root), "anchor");
	assert_true(certs_own_named(&o, root, sizeof(root)));
	/* the key is the certificate's */
	assert_int_equal(sig_pubkey_from_cert(o.chain[0].p, o.chain[0].len, &pub), 0);
	kp = sig_key_pubkey(o.key);
	assert_true(sig_pubkey_equal(pub, kp));
	sig_pubkey_free(kp);
	sig_pubkey_free(pub);
	free(in.p);
	free(ee.p);
	certs_store_unref(s);
}

/* Sign with the key certs_local found, verify with the certificate's key. */
static void local_key_signs_for_cert(void **state)
{
	static const uint8_t msg[] = "octets";
	struct span part = {msg, sizeof(msg)};
	struct certs_store *s = full_store();
	struct sig_pubkey *pub = NULL;
	char why[CERTS_WHY_LEN], err[64];
	struct certs_own o;
	struct ident id;
	uint8_t *sig = NULL;
	size_t sig_len = 0;

	(void)state;
	/* no certificate named: looked up by the configured identity */
	assert_int_equal(ident_parse("ecdsa.oak.test", &id, err, sizeof(err)), 0);
	assert_int_equal(certs_local(s, NULL, &id, &o, why, sizeof(why)), 0);
	assert_true(ident_eq(&o.id, &id));
	assert_int_equal(sig_pubkey_from_cert(o.chain[0].p, o.chain[0].len, &pub), 0);
	assert_int_equal(sig_sign(o.key, SIG_ECDSA_SHA256, &part, 1, &sig, &sig_len), 0);
	assert_int_equal(sig_verify(pub, SIG_ECDSA_SHA256, &part, 1, sig, sig_len), 0);
	free(sig);
	sig_pubkey_free(pub);
	certs_store_unref(s);
}

static void local_errors(void **state)
{
	struct certs_store *s = full_store(), *m = certs_store_new();
	struct file rsa = vec_file("x509/rsa.pem");
	char why[CERTS_WHY_LEN], err[64];
	struct certs_own o;
	struct ident id;

	(void)state;
	assert_int_equal(certs_local(s, "nope.pem", NULL, &o, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "certificate 'nope.pem' is not loaded (expected a file in x509/)");
	assert_int_equal(ident_parse("nobody.oak.test", &id, err, sizeof(err)), 0);
	assert_int_equal(certs_local(s, NULL, &id, &o, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "no certificate with a private key contains identity "
				 "'nobody.oak.test'");
	/* a configured id the certificate lacks: the subject DN, with a warning */
	assert_int_equal(ident_parse("ecdsa.oak.test", &id, err, sizeof(err)), 0);
	logcap_start();
	assert_int_equal(certs_local(s, "rsa.pem", &id, &o, why, sizeof(why)), 0);
	logcap_stop();
	assert_dn(&o.id, "C=CH, O=oak, CN=rsa.oak.test");
	assert_true(logcap_contains("id 'ecdsa.oak.test' not confirmed by certificate, defaulting "
				    "to 'C=CH, O=oak, CN=rsa.oak.test'"));
	/* a certificate without its private key */
	assert_non_null(m);
	assert_int_equal(certs_add_cert(m, rsa.p, rsa.len, "rsa.pem", why, sizeof(why)), 0);
	logcap_start(); /* no CA: a warning that it is sent alone */
	assert_int_equal(certs_store_seal(m, why, sizeof(why)), 0);
	logcap_stop();
	assert_true(logcap_contains("no chain to a trusted CA"));
	assert_int_equal(certs_local(m, "rsa.pem", NULL, &o, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "no private key for certificate 'C=CH, O=oak, CN=rsa.oak.test' "
				 "(rsa.pem)");
	assert_int_equal(certs_add_cert(m, rsa.p, rsa.len, "x.pem", why, sizeof(why)), -EINVAL);
	free(rsa.p);
	certs_store_unref(m);
	certs_store_unref(s);
}

/* local { certs = evil.pem, rsa.pem }: the first, unless a CERTREQ names
 * the CA of another. */
static void local_chosen_by_certreq(void **state)
{
	struct certs_store *s = full_store();
	char *certs[2] = {"evil.pem", "rsa.pem"};
	struct auth_cfg local;
	uint8_t root[CERTS_KEYID_LEN];
	char why[CERTS_WHY_LEN];
	struct certs_own o;

	(void)state;
	memset(&local, 0, sizeof(local));
	local.auth = AUTH_PUBKEY;
	memcpy(local.certs, certs, sizeof(certs));
	local.ncerts = 2;
	certreq_hash("root", root);
	assert_int_equal(certs_local_auth(s, &local, NULL, 0, &o, why, sizeof(why)), 0);
	assert_dn(&o.id, "C=CH, O=evil, CN=evil.oak.test");
	assert_int_equal(o.nchain, 1);
	assert_int_equal(certs_local_auth(s, &local, root, sizeof(root), &o, why, sizeof(why)), 0);
	assert_dn(&o.id, "C=CH, O=oak, CN=rsa.oak.test");
	certs_store_unref(s);
}

static void load_errors(void **state)
{
	char *path = vec_path("x509/rsa.pem"), *gen = vec_path("gen.sh"), want[1024];
	char why[CERTS_WHY_LEN];
	struct oak_config cfg;
	struct certs_store *s = (struct certs_store *)1;
	char *paths[1];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.cacerts = paths;
	cfg.ncacerts = 1;
	paths[0] = path;
	assert_int_equal(certs_store_load(&cfg, &s, why, sizeof(why)), -EINVAL);
	assert_null(s);
	snprintf(want, sizeof(want),
		 "%s: 'C=CH, O=oak, CN=rsa.oak.test' is not a CA certificate (expected "
		 "basicConstraints CA:TRUE)",
		 path);
	assert_string_equal(why, want);
	paths[0] = gen;
	assert_int_equal(certs_store_load(&cfg, &s, why, sizeof(why)), -EBADMSG);
	snprintf(want, sizeof(want), "%s: expected X.509 certificates (PEM or DER), found none",
		 gen);
	assert_string_equal(why, want);
	paths[0] = "/nonexistent/ca.pem";
	assert_int_equal(certs_store_load(&cfg, &s, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "/nonexistent/ca.pem: No such file or directory");
	/* a cert file as a private key */
	cfg.ncacerts = 0;
	cfg.private_keys = paths;
	cfg.nprivate_keys = 1;
	paths[0] = path;
	assert_int_equal(certs_store_load(&cfg, &s, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "%s: expected a private key (PEM or DER), found none", path);
	assert_string_equal(why, want);
	free(path);
	free(gen);
}

/* CA certificates given as DER from memory, as VICI's load-cert would. */
static void store_from_memory_der(void **state)
{
	struct certs_store *s = certs_store_new();
	struct file root = vec_file("wire/root.der");
	const char *names[] = {"ed25519", "int"};
	char why[CERTS_WHY_LEN];
	struct cert_result r;

	(void)state;
	/* a name is required: the store keeps a copy for messages and lookups */
	assert_int_equal(certs_add_ca(s, root.p, root.len, NULL, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "CA certificate: expected a name, got none");
	assert_int_equal(certs_add_cert(s, root.p, root.len, NULL, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "certificate: expected a name, got none");
	assert_int_equal(certs_add_ca(s, root.p, root.len, "root", why, sizeof(why)), 0);
	/* unsealed: refused */
	assert_int_equal(validate(s, names, 2, NOW, &r, why), -EINVAL);
	assert_int_equal(certs_store_seal(s, why, sizeof(why)), 0);
	assert_int_equal(validate(s, names, 2, NOW, &r, why), 0);
	cert_result_clear(&r);
	assert_int_equal(certs_add_ca(s, root.p, root.len, "again", why, sizeof(why)), -EINVAL);
	free(root.p);
	certs_store_unref(s);
}

/* The 4096-bit chain of the fragmentation tests validates too. */
static void rsa4096_chain(void **state)
{
	static const char *const ca[] = {"big/root4096.pem"};
	struct certs_store *s = load_store(ca, 1, false);
	const char *names[] = {"rsa4096", "int4096"};
	char why[CERTS_WHY_LEN];
	struct cert_result r;

	(void)state;
	assert_int_equal(validate(s, names, 2, NOW, &r, why), 0);
	assert_dn(&r.anchor, "CN=oak Root CA 4096");
	assert_true(certs_cert_der(r.cert).len > 1300);
	cert_result_clear(&r);
	certs_store_unref(s);
}

struct worker {
	const struct certs_store *s;
	struct span chain[2];
	int failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char why[CERTS_WHY_LEN];
	struct cert_result r;

	for (int i = 0; i < 50; i++) {
		if (certs_validate(w->s, w->chain, 2, NOW, &r, why, sizeof(why)) != 0)
			w->failures++;
		cert_result_clear(&r);
	}
	return NULL;
}

/* One sealed store, validations from several threads (the crypto pool). */
static void shared_between_threads(void **state)
{
	struct certs_store *s = root_only();
	struct file ee = vec_file("wire/ecdsa.der"), in = vec_file("wire/int.der");
	struct worker w[4];
	pthread_t t[4];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(w); i++) {
		w[i] = (struct worker){s, {{ee.p, ee.len}, {in.p, in.len}}, 0};
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(w); i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	free(ee.p);
	free(in.p);
	certs_store_unref(s);
}

/* A chain validated once is found in the store's cache the next time (no
 * signature checked) with the same result; the cache never lets through
 * what a full check refuses: a certificate outside its validity period, a
 * changed byte, another chain; and a new store starts empty. */
static void cache_of_validated_chains(void **state)
{
	struct certs_store *s = root_only(), *s2;
	const char *ecdsa[] = {"ecdsa", "int"}, *rsa[] = {"rsa", "int"};
	struct file ee = vec_file("wire/ecdsa.der"), in = vec_file("wire/int.der");
	struct span chain[2] = {{ee.p, ee.len}, {in.p, in.len}};
	uint8_t root[CERTS_KEYID_LEN], inter[CERTS_KEYID_LEN];
	char why[CERTS_WHY_LEN];
	struct cert_result r;
	uint64_t hits, misses;

	(void)state;
	certreq_hash("root", root);
	certreq_hash("int", inter);
	assert_int_equal(validate(s, ecdsa, 2, NOW, &r, why), 0);
	cert_result_clear(&r);
	certs_store_cache_stats(s, &hits, &misses);
	assert_int_equal(hits, 0);
	assert_int_equal(misses, 1);
	/* again: from the cache, the same result */
	assert_int_equal(validate(s, ecdsa, 2, NOW + 3600, &r, why), 0);
	certs_store_cache_stats(s, &hits, &misses);
	assert_int_equal(hits, 1);
	assert_dn(&r.subject, "C=CH, O=oak, CN=ecdsa.oak.test");
	assert_dn(&r.anchor, "CN=oak Root CA");
	assert_int_equal(r.nca, 2);
	th_assert_bytes(r.ca_keyids[0], CERTS_KEYID_LEN, inter, sizeof(inter), "intermediate");
	th_assert_bytes(r.ca_keyids[1], CERTS_KEYID_LEN, root, sizeof(root), "root");
	assert_key_pair(r.pubkey, "private/ecdsa.key", SIG_ECDSA_SHA256);
	cert_result_clear(&r);
	/* after every certificate's notAfter (2045-01-01), before notBefore (2025) */
	assert_int_equal(validate(s, ecdsa, 2, 2366841601ull, &r, why), -EPERM);
	assert_non_null(strstr(why, "expired"));
	assert_int_equal(validate(s, ecdsa, 2, 1735689599ull, &r, why), -EPERM);
	assert_non_null(strstr(why, "not valid before"));
	/* one byte of the signature changed: not the cached chain, and refused */
	ee.p[ee.len - 1] ^= 0x01;
	assert_int_equal(certs_validate(s, chain, 2, NOW, &r, why, sizeof(why)), -EPERM);
	ee.p[ee.len - 1] ^= 0x01;
	/* another chain is validated in full */
	certs_store_cache_stats(s, &hits, &misses);
	assert_int_equal(validate(s, rsa, 2, NOW, &r, why), 0);
	cert_result_clear(&r);
	certs_store_cache_stats(s, &hits, &misses);
	assert_int_equal(hits, 1);
	/* a reload's store knows nothing yet */
	s2 = root_only();
	assert_int_equal(certs_validate(s2, chain, 2, NOW, &r, why, sizeof(why)), 0);
	cert_result_clear(&r);
	certs_store_cache_stats(s2, &hits, &misses);
	assert_int_equal(hits, 0);
	assert_int_equal(misses, 1);
	free(ee.p);
	free(in.p);
	certs_store_unref(s2);
	certs_store_unref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_rsa_through_intermediate),
		cmocka_unit_test(valid_ecdsa_through_intermediate),
		cmocka_unit_test(valid_ed25519_through_intermediate),
		cmocka_unit_test(intermediate_from_store_or_any_order),
		cmocka_unit_test(intermediate_missing),
		cmocka_unit_test(expired),
		cmocka_unit_test(not_yet_valid),
		cmocka_unit_test(wrong_ca),
		cmocka_unit_test(self_signed_peer),
		cmocka_unit_test(tampered_signature),
		cmocka_unit_test(garbage_der),
		cmocka_unit_test(ids_in_certificates),
		cmocka_unit_test(certreq_hashes),
		cmocka_unit_test(local_cert_and_key),
		cmocka_unit_test(local_key_signs_for_cert),
		cmocka_unit_test(local_errors),
		cmocka_unit_test(local_chosen_by_certreq),
		cmocka_unit_test(load_errors),
		cmocka_unit_test(store_from_memory_der),
		cmocka_unit_test(rsa4096_chain),
		cmocka_unit_test(shared_between_threads),
		cmocka_unit_test(cache_of_validated_chains),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
