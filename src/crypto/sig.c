/* sig.c: keys and signatures (see sig.h); the scheme table. AlgorithmIdentifier
 * parsing and RFC 7427 AUTH data are in sig_asn1.c. */
#include "crypto/sig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/sig_int.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/util.h"

struct sig_key {
	EVP_PKEY *pkey;
	enum sig_key_type type;
};

struct sig_pubkey {
	EVP_PKEY *pkey;
	enum sig_key_type type;
};

ENUM_NAMES(sig_scheme_names, SIG_RSA_PKCS1_SHA1, NULL, "SIG_RSA_PKCS1_SHA1", "SIG_RSA_PKCS1_SHA256",
	   "SIG_RSA_PKCS1_SHA384", "SIG_RSA_PKCS1_SHA512", "SIG_RSA_PSS_SHA256",
	   "SIG_RSA_PSS_SHA384", "SIG_RSA_PSS_SHA512", "SIG_ECDSA_SHA256", "SIG_ECDSA_SHA384",
	   "SIG_ECDSA_SHA512", "SIG_ED25519", "SIG_ED448", "SIG_ECDSA_P256_RS", "SIG_ECDSA_P384_RS",
	   "SIG_ECDSA_P521_RS", "SIG_RSA_PKCS1_NULL", "SIG_ECDSA_NULL_RS");
/* RFC 7427 4 names the values "SHA1", "SHA2-256", ...; enum style here. */
ENUM_NAMES(sig_hash_names, SIG_HASH_SHA1, NULL, "SHA1", "SHA2_256", "SHA2_384", "SHA2_512",
	   "IDENTITY");
ENUM_NAMES(sig_key_type_names, SIG_KEY_RSA, NULL, "RSA", "ECDSA_P256", "ECDSA_P384", "ECDSA_P521",
	   "ED25519", "ED448");

/* ---- AlgorithmIdentifiers (DER) ---- */

/* RFC 7427 A.1: PKCS#1 v1.5 OIDs 1.2.840.113549.1.1.{5,11,12,13}, NULL parameters. */
static const uint8_t algid_rsa_sha1[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00};
static const uint8_t algid_rsa_sha256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					   0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
static const uint8_t algid_rsa_sha384[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					   0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00};
static const uint8_t algid_rsa_sha512[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					   0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00};
/* RFC 7427 A.3: ecdsa-with-SHA2 1.2.840.10045.4.3.{2,3,4}, parameters absent. */
static const uint8_t algid_ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
					     0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t algid_ecdsa_sha384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
					     0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
static const uint8_t algid_ecdsa_sha512[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
					     0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};
/* RFC 8410 3 / RFC 8420: id-Ed25519 1.3.101.112, id-Ed448 1.3.101.113, parameters absent. */
static const uint8_t algid_ed25519[] = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};
static const uint8_t algid_ed448[] = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71};
/* RFC 4055 3.1 id-RSASSA-PSS with hashAlgorithm [0], maskGenAlgorithm [1] (MGF1
 * with the same hash) and saltLength [2] = hash length; trailerField is the
 * DEFAULT and DER omits it (RFC 7427 A.4.3 shows it; strongSwan omits it). */
#define PSS_ALGID(h, salt)                                                                         \
	{                                                                                          \
		0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a,      \
			0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,    \
			0x65, 0x03, 0x04, 0x02, (h), 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06,     \
			0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d,    \
			0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, (h), 0x05,     \
			0x00, 0xa2, 0x03, 0x02, 0x01, (salt)                                       \
	}
static const uint8_t algid_pss_sha256[] = PSS_ALGID(0x01, 32);
static const uint8_t algid_pss_sha384[] = PSS_ALGID(0x02, 48);
static const uint8_t algid_pss_sha512[] = PSS_ALGID(0x03, 64);

/* ---- the scheme table ---- */

#define ALGID(a) a, sizeof(a)
static const struct sig_desc sig_descs[] = {
	{SIG_RSA_PKCS1_SHA1, OP_DIGEST, KIND_RSA, 0, "SHA1", false, SIG_HASH_SHA1,
	 ALGID(algid_rsa_sha1)},
	{SIG_RSA_PKCS1_SHA256, OP_DIGEST, KIND_RSA, 0, "SHA256", false, SIG_HASH_SHA2_256,
	 ALGID(algid_rsa_sha256)},
	{SIG_RSA_PKCS1_SHA384, OP_DIGEST, KIND_RSA, 0, "SHA384", false, SIG_HASH_SHA2_384,
	 ALGID(algid_rsa_sha384)},
	{SIG_RSA_PKCS1_SHA512, OP_DIGEST, KIND_RSA, 0, "SHA512", false, SIG_HASH_SHA2_512,
	 ALGID(algid_rsa_sha512)},
	{SIG_RSA_PSS_SHA256, OP_DIGEST, KIND_RSA, 0, "SHA256", true, SIG_HASH_SHA2_256,
	 ALGID(algid_pss_sha256)},
	{SIG_RSA_PSS_SHA384, OP_DIGEST, KIND_RSA, 0, "SHA384", true, SIG_HASH_SHA2_384,
	 ALGID(algid_pss_sha384)},
	{SIG_RSA_PSS_SHA512, OP_DIGEST, KIND_RSA, 0, "SHA512", true, SIG_HASH_SHA2_512,
	 ALGID(algid_pss_sha512)},
	{SIG_ECDSA_SHA256, OP_DIGEST, KIND_EC, 0, "SHA256", false, SIG_HASH_SHA2_256,
	 ALGID(algid_ecdsa_sha256)},
	{SIG_ECDSA_SHA384, OP_DIGEST, KIND_EC, 0, "SHA384", false, SIG_HASH_SHA2_384,
	 ALGID(algid_ecdsa_sha384)},
	{SIG_ECDSA_SHA512, OP_DIGEST, KIND_EC, 0, "SHA512", false, SIG_HASH_SHA2_512,
	 ALGID(algid_ecdsa_sha512)},
	{SIG_ED25519, OP_EDDSA, KIND_KEY, SIG_KEY_ED25519, NULL, false, SIG_HASH_IDENTITY,
	 ALGID(algid_ed25519)},
	{SIG_ED448, OP_EDDSA, KIND_KEY, SIG_KEY_ED448, NULL, false, SIG_HASH_IDENTITY,
	 ALGID(algid_ed448)},
	{SIG_ECDSA_P256_RS, OP_RS, KIND_KEY, SIG_KEY_ECDSA_P256, "SHA256", false, 0, NULL, 0},
	{SIG_ECDSA_P384_RS, OP_RS, KIND_KEY, SIG_KEY_ECDSA_P384, "SHA384", false, 0, NULL, 0},
	{SIG_ECDSA_P521_RS, OP_RS, KIND_KEY, SIG_KEY_ECDSA_P521, "SHA512", false, 0, NULL, 0},
	{SIG_RSA_PKCS1_NULL, OP_RAW, KIND_RSA, 0, NULL, false, 0, NULL, 0},
	{SIG_ECDSA_NULL_RS, OP_RS_RAW, KIND_EC, 0, NULL, false, 0, NULL, 0},
};

const struct sig_desc *sig_descs_all(size_t *count)
{
	*count = ARRAY_SIZE(sig_descs);
	return sig_descs;
}

const struct sig_desc *sig_desc(enum sig_scheme s)
{
	for (size_t i = 0; i < ARRAY_SIZE(sig_descs); i++) {
		if (sig_descs[i].scheme == s)
			return &sig_descs[i];
	}
	return NULL;
}

static bool desc_fits(const struct sig_desc *d, enum sig_key_type t)
{
	switch (d->kind) {
	case KIND_RSA:
		return t == SIG_KEY_RSA;
	case KIND_EC:
		return t == SIG_KEY_ECDSA_P256 || t == SIG_KEY_ECDSA_P384 ||
		       t == SIG_KEY_ECDSA_P521;
	case KIND_KEY:
		return t == d->key;
	}
	return false;
}

bool sig_scheme_fits(enum sig_scheme s, enum sig_key_type t)
{
	const struct sig_desc *d = sig_desc(s);

	return d != NULL && desc_fits(d, t);
}

enum sig_hash sig_scheme_hash(enum sig_scheme s)
{
	const struct sig_desc *d = sig_desc(s);

	return d ? d->hash : SIG_HASH_RESERVED;
}

enum sig_scheme sig_scheme_select(enum sig_key_type t, enum sig_hash h, bool pss)
{
	for (size_t i = 0; i < ARRAY_SIZE(sig_descs); i++) {
		const struct sig_desc *d = &sig_descs[i];

		if (d->algid == NULL || d->hash != h || !desc_fits(d, t))
			continue;
		if (t == SIG_KEY_RSA && d->pss != pss)
			continue;
		return d->scheme;
	}
	return SIG_NONE;
}

enum sig_scheme sig_scheme_ikev2_method(uint8_t method)
{
	switch (method) {
	case SIG_IKEV2_AUTH_RSA_SIG:
		return SIG_RSA_PKCS1_SHA1;
	case SIG_IKEV2_AUTH_ECDSA_256:
		return SIG_ECDSA_P256_RS;
	case SIG_IKEV2_AUTH_ECDSA_384:
		return SIG_ECDSA_P384_RS;
	case SIG_IKEV2_AUTH_ECDSA_521:
		return SIG_ECDSA_P521_RS;
	}
	return SIG_NONE;
}

/* ---- keys ---- */

/* The key type of pk; -ENOTSUP for types and curves oak does not take, with
 * the reason logged at debug level (callers with more context log it). */
static int pkey_type(EVP_PKEY *pk, enum sig_key_type *t)
{
	char group[64] = "";
	size_t glen = 0;

	if (EVP_PKEY_is_a(pk, "RSA")) {
		*t = SIG_KEY_RSA;
	} else if (EVP_PKEY_is_a(pk, "ED25519")) {
		*t = SIG_KEY_ED25519;
	} else if (EVP_PKEY_is_a(pk, "ED448")) {
		*t = SIG_KEY_ED448;
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) != 1)
			ERR_clear_error();
		if (strcmp(group, SN_X9_62_prime256v1) == 0)
			*t = SIG_KEY_ECDSA_P256;
		else if (strcmp(group, SN_secp384r1) == 0)
			*t = SIG_KEY_ECDSA_P384;
		else if (strcmp(group, SN_secp521r1) == 0)
			*t = SIG_KEY_ECDSA_P521;
		else {
			log_debug(SUB_CRYPTO, "EC key on curve %s: expected P-256, P-384 or P-521",
				  group[0] ? group : "(unnamed)");
			return -ENOTSUP;
		}
	} else {
		log_debug(SUB_CRYPTO, "key of type %s: expected RSA, ECDSA, Ed25519 or Ed448",
			  EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) : "?");
		return -ENOTSUP;
	}
	return 0;
}

/* OpenSSL's decoders would ask the terminal for a missing passphrase through
 * their default UI; this callback refuses instead, so a daemon never blocks. */
static int no_passphrase(char *buf, size_t size, size_t *len, const OSSL_PARAM params[], void *arg)
{
	(void)buf;
	(void)size;
	(void)params;
	(void)arg;
	*len = 0;
	return 0;
}

static bool looks_encrypted(const uint8_t *buf, size_t len)
{
	const uint8_t *p = buf;
	X509_SIG *p8;

	if (memmem(buf, len, "ENCRYPTED", 9) != NULL)
		return true; /* PEM "ENCRYPTED PRIVATE KEY" or "Proc-Type: 4,ENCRYPTED" */
	p8 = d2i_X509_SIG(NULL, &p, (long)MIN(len, (size_t)LONG_MAX));
	X509_SIG_free(p8);
	return p8 != NULL;
}

int sig_key_load(const uint8_t *buf, size_t len, const char *passphrase, struct sig_key **out)
{
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *pk = NULL;
	enum sig_key_type t;
	const uint8_t *p = buf;
	size_t left = len;
	struct sig_key *k;
	int rc;

	*out = NULL;
	if (buf == NULL || len == 0)
		return -EINVAL;
	dctx = OSSL_DECODER_CTX_new_for_pkey(&pk, NULL, NULL, NULL, EVP_PKEY_KEYPAIR, NULL, NULL);
	if (dctx == NULL)
		return -ENOMEM;
	if (passphrase != NULL)
		OSSL_DECODER_CTX_set_passphrase(dctx, (const unsigned char *)passphrase,
						strlen(passphrase));
	else
		OSSL_DECODER_CTX_set_passphrase_cb(dctx, no_passphrase, NULL);
	rc = OSSL_DECODER_from_data(dctx, &p, &left);
	OSSL_DECODER_CTX_free(dctx);
	ERR_clear_error();
	if (rc != 1 || pk == NULL) {
		EVP_PKEY_free(pk);
		return looks_encrypted(buf, len) ? -EACCES : -EINVAL;
	}
	rc = pkey_type(pk, &t);
	if (rc < 0) {
		EVP_PKEY_free(pk);
		return rc;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		EVP_PKEY_free(pk);
		return -ENOMEM;
	}
	k->pkey = pk;
	k->type = t;
	*out = k;
	return 0;
}

#define SIG_FILE_MAX ((off_t)1 << 20)

/* -errno after a failed call, never 0: so that an error is never taken for success. */
static int sig_errno(void)
{
	int rc = -errno;

	return rc < 0 ? rc : -EIO;
}

/* Read a whole file into a secret (caller frees). */
static int read_file(const char *path, struct secret **out)
{
	struct secret *s = NULL;
	struct stat st;
	size_t off = 0;
	int fd, rc = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sig_errno();
	if (fstat(fd, &st) < 0) {
		rc = sig_errno();
		goto out;
	}
	if (st.st_size > SIG_FILE_MAX) {
		rc = -EFBIG;
		goto out;
	}
	s = secret_new((size_t)st.st_size);
	if (s == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	while (off < s->len) {
		ssize_t n = read(fd, s->data + off, s->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? sig_errno() : -EIO;
			goto out;
		}
		off += (size_t)n;
	}
out:
	close(fd);
	if (rc < 0)
		secret_free(s);
	else
		*out = s;
	return rc;
}

int sig_key_load_file(const char *path, const char *passphrase, struct sig_key **out)
{
	struct secret *s;
	int rc;

	*out = NULL;
	rc = read_file(path, &s);
	if (rc < 0) {
		log_info(SUB_CRYPTO, "private key %s: %s", path, strerror(-rc));
		return rc;
	}
	rc = sig_key_load(s->data, s->len, passphrase, out);
	secret_free(s);
	if (rc == -EINVAL)
		log_info(SUB_CRYPTO, "private key %s: not a PEM or DER private key", path);
	else if (rc == -EACCES)
		log_info(SUB_CRYPTO, "private key %s: encrypted, and the passphrase is %s", path,
			 passphrase ? "wrong" : "missing");
	else if (rc == -ENOTSUP)
		log_info(SUB_CRYPTO,
			 "private key %s: unsupported type or curve (expected RSA, ECDSA on "
			 "P-256/P-384/P-521, Ed25519 or Ed448)",
			 path);
	else if (rc < 0)
		log_info(SUB_CRYPTO, "private key %s: %s", path, strerror(-rc));
	return rc;
}

void sig_key_free(struct sig_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey); /* OpenSSL clears private key material on free */
	free(k);
}

enum sig_key_type sig_key_type(const struct sig_key *k)
{
	return k ? k->type : SIG_KEY_NONE;
}

static int pubkey_wrap(EVP_PKEY *pk, struct sig_pubkey **out)
{
	struct sig_pubkey *k;
	enum sig_key_type t;
	int rc;

	rc = pkey_type(pk, &t);
	if (rc < 0) {
		EVP_PKEY_free(pk);
		return rc;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		EVP_PKEY_free(pk);
		return -ENOMEM;
	}
	k->pkey = pk;
	k->type = t;
	*out = k;
	return 0;
}

/* The public half goes through its DER form so that the result holds no
 * private material. */
struct sig_pubkey *sig_key_pubkey(const struct sig_key *k)
{
	struct sig_pubkey *pub = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *pk;
	int n;

	n = i2d_PUBKEY(k->pkey, &der);
	if (n <= 0) {
		ERR_clear_error();
		return NULL;
	}
	p = der;
	pk = d2i_PUBKEY(NULL, &p, n);
	OPENSSL_free(der);
	if (pk == NULL) {
		ERR_clear_error();
		return NULL;
	}
	if (pubkey_wrap(pk, &pub) < 0)
		return NULL;
	return pub;
}

static bool is_pem(const uint8_t *buf, size_t len)
{
	return memmem(buf, len, "-----BEGIN ", 11) != NULL;
}

int sig_pubkey_from_cert(const uint8_t *buf, size_t len, struct sig_pubkey **out)
{
	const uint8_t *p = buf;
	X509 *x = NULL;
	EVP_PKEY *pk;

	*out = NULL;
	if (buf == NULL || len == 0 || len > (size_t)LONG_MAX)
		return -EINVAL;
	if (is_pem(buf, len)) {
		BIO *bio = BIO_new_mem_buf(buf, (int)MIN(len, (size_t)INT_MAX));

		if (bio == NULL)
			return -ENOMEM;
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		x = d2i_X509(NULL, &p, (long)len);
	}
	if (x == NULL) {
		ERR_clear_error();
		return -EINVAL;
	}
	pk = X509_get_pubkey(x); /* takes a reference */
	X509_free(x);
	if (pk == NULL) {
		ERR_clear_error();
		return -ENOTSUP;
	}
	return pubkey_wrap(pk, out);
}

int sig_pubkey_from_spki(const uint8_t *buf, size_t len, struct sig_pubkey **out)
{
	const uint8_t *p = buf;
	EVP_PKEY *pk;

	*out = NULL;
	if (buf == NULL || len == 0 || len > (size_t)LONG_MAX)
		return -EINVAL;
	if (is_pem(buf, len)) {
		BIO *bio = BIO_new_mem_buf(buf, (int)MIN(len, (size_t)INT_MAX));

		if (bio == NULL)
			return -ENOMEM;
		pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		pk = d2i_PUBKEY(NULL, &p, (long)len);
		if (pk != NULL && p != buf + len) {
			EVP_PKEY_free(pk); /* trailing bytes: not one SPKI */
			pk = NULL;
		}
	}
	if (pk == NULL) {
		ERR_clear_error();
		return -EINVAL;
	}
	return pubkey_wrap(pk, out);
}

int sig_pubkey_from_evp(EVP_PKEY *pkey, struct sig_pubkey **out)
{
	*out = NULL;
	if (pkey == NULL)
		return -EINVAL;
	if (EVP_PKEY_up_ref(pkey) != 1)
		return -EIO;
	return pubkey_wrap(pkey, out);
}

int sig_pubkey_spki(const struct sig_pubkey *k, uint8_t **out, size_t *out_len)
{
	unsigned char *der = NULL;
	int n;

	*out = NULL;
	*out_len = 0;
	n = i2d_PUBKEY(k->pkey, &der);
	if (n <= 0) {
		ERR_clear_error();
		return -EIO;
	}
	*out = malloc((size_t)n);
	if (*out == NULL) {
		OPENSSL_free(der);
		return -ENOMEM;
	}
	memcpy(*out, der, (size_t)n);
	*out_len = (size_t)n;
	OPENSSL_free(der);
	return 0;
}

void sig_pubkey_free(struct sig_pubkey *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

enum sig_key_type sig_pubkey_type(const struct sig_pubkey *k)
{
	return k ? k->type : SIG_KEY_NONE;
}

bool sig_pubkey_equal(const struct sig_pubkey *a, const struct sig_pubkey *b)
{
	bool eq;

	if (a == NULL || b == NULL)
		return false;
	eq = EVP_PKEY_eq(a->pkey, b->pkey) == 1;
	ERR_clear_error();
	return eq;
}

/* ---- sign and verify ---- */

/* parts[0] | parts[1] | ... in one buffer (caller frees), for the one-shot
 * operations (EdDSA has no streaming interface, RFC 8032 5.1.6). */
static uint8_t *parts_concat(const struct span *parts, size_t nparts, size_t *len)
{
	size_t total = 0, off = 0;
	uint8_t *buf;

	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].len > SIZE_MAX - 1 - total)
			return NULL;
		total += parts[i].len;
	}
	buf = malloc(total + 1);
	if (buf == NULL)
		return NULL;
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].len > 0)
			memcpy(buf + off, parts[i].p, parts[i].len);
		off += parts[i].len;
	}
	*len = total;
	return buf;
}

/* Bytes of r and of s in RFC 4754 7: the field size of the curve. */
static size_t rs_half(enum sig_key_type t)
{
	switch (t) {
	case SIG_KEY_ECDSA_P256:
		return 32;
	case SIG_KEY_ECDSA_P384:
		return 48;
	case SIG_KEY_ECDSA_P521:
		return 66;
	default:
		return 0;
	}
}

/* DER ECDSA-Sig-Value (X9.62) -> r | s, each left-padded to `half` bytes. */
static int der_to_rs(const uint8_t *der, size_t der_len, size_t half, uint8_t **out,
		     size_t *out_len)
{
	const uint8_t *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;
	uint8_t *rs;
	int rc = -EIO;

	if (half == 0)
		return -EINVAL; /* not an ECDSA key: sig_sign checks, this keeps it local */
	es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (es == NULL)
		return -EIO;
	ECDSA_SIG_get0(es, &r, &s);
	rs = malloc(2 * half);
	if (rs == NULL) {
		rc = -ENOMEM;
	} else if (BN_bn2binpad(r, rs, (int)half) < 0 ||
		   BN_bn2binpad(s, rs + half, (int)half) < 0) {
		free(rs);
	} else {
		*out = rs;
		*out_len = 2 * half;
		rc = 0;
	}
	ECDSA_SIG_free(es);
	return rc;
}

/* r | s -> DER (caller frees with OPENSSL_free). -EBADMSG for a wrong length. */
static int rs_to_der(const uint8_t *rs, size_t len, size_t half, uint8_t **der, size_t *der_len)
{
	BIGNUM *r, *s;
	ECDSA_SIG *es;
	int n;

	if (len != 2 * half)
		return -EBADMSG;
	r = BN_bin2bn(rs, (int)half, NULL);
	s = BN_bin2bn(rs + half, (int)half, NULL);
	es = ECDSA_SIG_new();
	if (r == NULL || s == NULL || es == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return -ENOMEM;
	}
	*der = NULL;
	n = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es); /* frees r and s */
	if (n <= 0)
		return -EIO;
	*der_len = (size_t)n;
	return 0;
}

/* A digest-sign/verify context for d over pk; PSS parameters per RFC 8247 3.2. */
static EVP_MD_CTX *md_ctx_new(const struct sig_desc *d, EVP_PKEY *pk, bool sign)
{
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	int ok;

	if (mc == NULL)
		return NULL;
	if (sign)
		ok = EVP_DigestSignInit_ex(mc, &pc, d->md, NULL, NULL, pk, NULL);
	else
		ok = EVP_DigestVerifyInit_ex(mc, &pc, d->md, NULL, NULL, pk, NULL);
	if (ok == 1 && d->pss) {
		ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, d->md, NULL) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) == 1;
	}
	if (ok != 1) {
		EVP_MD_CTX_free(mc);
		return NULL;
	}
	return mc;
}

static int sign_digest(const struct sig_desc *d, EVP_PKEY *pk, const struct span *parts,
		       size_t nparts, uint8_t **out, size_t *out_len)
{
	EVP_MD_CTX *mc = md_ctx_new(d, pk, true);
	uint8_t *sig = NULL, *msg = NULL;
	size_t len = 0, msg_len = 0;
	int rc = -EIO;

	if (mc == NULL)
		return -EIO;
	if (d->op == OP_EDDSA) {
		msg = parts_concat(parts, nparts, &msg_len);
		if (msg == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		if (EVP_DigestSign(mc, NULL, &len, msg, msg_len) != 1)
			goto out;
	} else {
		for (size_t i = 0; i < nparts; i++) {
			if (parts[i].len > 0 &&
			    EVP_DigestSignUpdate(mc, parts[i].p, parts[i].len) != 1)
				goto out;
		}
		if (EVP_DigestSignFinal(mc, NULL, &len) != 1)
			goto out;
	}
	sig = malloc(len);
	if (sig == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (d->op == OP_EDDSA ? EVP_DigestSign(mc, sig, &len, msg, msg_len) != 1
			      : EVP_DigestSignFinal(mc, sig, &len) != 1)
		goto out;
	*out = sig;
	*out_len = len;
	sig = NULL;
	rc = 0;
out:
	free(sig);
	free(msg);
	EVP_MD_CTX_free(mc);
	return rc;
}

static int verify_digest(const struct sig_desc *d, EVP_PKEY *pk, const struct span *parts,
			 size_t nparts, const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *mc = md_ctx_new(d, pk, false);
	uint8_t *msg = NULL;
	size_t msg_len = 0;
	int rc = -EBADMSG;

	if (mc == NULL)
		return -EIO;
	if (d->op == OP_EDDSA) {
		msg = parts_concat(parts, nparts, &msg_len);
		if (msg == NULL)
			rc = -ENOMEM;
		else if (EVP_DigestVerify(mc, sig, sig_len, msg, msg_len) == 1)
			rc = 0;
	} else {
		size_t i;

		for (i = 0; i < nparts; i++) {
			if (parts[i].len > 0 &&
			    EVP_DigestVerifyUpdate(mc, parts[i].p, parts[i].len) != 1)
				break;
		}
		if (i == nparts && EVP_DigestVerifyFinal(mc, sig, sig_len) == 1)
			rc = 0;
	}
	free(msg);
	EVP_MD_CTX_free(mc);
	return rc;
}

/* RFC 2409 5.1 as pluto and charon do it: the hash is padded with PKCS#1 v1.5
 * type 1 and encrypted with the private key; no DigestInfo. */
static EVP_PKEY_CTX *raw_ctx_new(EVP_PKEY *pk, bool sign)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);

	if (pc == NULL)
		return NULL;
	if ((sign ? EVP_PKEY_sign_init(pc) : EVP_PKEY_verify_init(pc)) != 1 ||
	    (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA &&
	     EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) != 1)) {
		EVP_PKEY_CTX_free(pc);
		return NULL;
	}
	return pc;
}

static int sign_raw(EVP_PKEY *pk, const struct span *parts, size_t nparts, uint8_t **out,
		    size_t *out_len)
{
	EVP_PKEY_CTX *pc = NULL;
	uint8_t *msg, *sig = NULL;
	size_t msg_len = 0, len = 0;
	int rc = -EIO;

	msg = parts_concat(parts, nparts, &msg_len);
	if (msg == NULL)
		return -ENOMEM;
	/* RFC 8017 9.2 / 8.2.1: at most k - 11 octets fit under type 1 padding */
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA &&
	    msg_len + 11 > (size_t)EVP_PKEY_get_size(pk)) {
		log_debug(SUB_CRYPTO, "IKEv1 RSA signature: %zu octets to sign, the key takes %d",
			  msg_len, EVP_PKEY_get_size(pk) - 11);
		rc = -EINVAL;
		goto out;
	}
	pc = raw_ctx_new(pk, true);
	if (pc == NULL || EVP_PKEY_sign(pc, NULL, &len, msg, msg_len) != 1)
		goto out;
	sig = malloc(len);
	if (sig == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (EVP_PKEY_sign(pc, sig, &len, msg, msg_len) != 1)
		goto out;
	*out = sig;
	*out_len = len;
	sig = NULL;
	rc = 0;
out:
	free(sig);
	free(msg);
	EVP_PKEY_CTX_free(pc);
	return rc;
}

static int verify_raw(EVP_PKEY *pk, const struct span *parts, size_t nparts, const uint8_t *sig,
		      size_t sig_len)
{
	EVP_PKEY_CTX *pc;
	uint8_t *msg;
	size_t msg_len = 0;
	int rc = -EBADMSG;

	msg = parts_concat(parts, nparts, &msg_len);
	if (msg == NULL)
		return -ENOMEM;
	pc = raw_ctx_new(pk, false);
	if (pc == NULL)
		rc = -EIO;
	else if (EVP_PKEY_verify(pc, sig, sig_len, msg, msg_len) == 1)
		rc = 0;
	EVP_PKEY_CTX_free(pc);
	free(msg);
	return rc;
}

/* The scheme's descriptor if it fits the key type, else NULL with a log line. */
static const struct sig_desc *desc_for_key(enum sig_scheme s, enum sig_key_type t)
{
	const struct sig_desc *d = sig_desc(s);
	char b1[32], b2[32];

	if (d == NULL || !desc_fits(d, t)) {
		log_debug(SUB_CRYPTO, "signature scheme %s does not fit a %s key",
			  enum_name_or(&sig_scheme_names, s, b1, sizeof(b1)),
			  enum_name_or(&sig_key_type_names, t, b2, sizeof(b2)));
		return NULL;
	}
	return d;
}

int sig_sign(const struct sig_key *k, enum sig_scheme s, const struct span *parts, size_t nparts,
	     uint8_t **out, size_t *out_len)
{
	const struct sig_desc *d;
	uint8_t *der;
	size_t der_len;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (k == NULL || (parts == NULL && nparts > 0))
		return -EINVAL;
	d = desc_for_key(s, k->type);
	if (d == NULL)
		return -EINVAL;
	switch (d->op) {
	case OP_RAW:
		rc = sign_raw(k->pkey, parts, nparts, out, out_len);
		break;
	case OP_RS_RAW:
		rc = sign_raw(k->pkey, parts, nparts, &der, &der_len);
		if (rc == 0) {
			rc = der_to_rs(der, der_len, rs_half(k->type), out, out_len);
			free(der);
		}
		break;
	case OP_RS:
		rc = sign_digest(d, k->pkey, parts, nparts, &der, &der_len);
		if (rc == 0) {
			rc = der_to_rs(der, der_len, rs_half(k->type), out, out_len);
			free(der);
		}
		break;
	default:
		rc = sign_digest(d, k->pkey, parts, nparts, out, out_len);
		break;
	}
	ERR_clear_error();
	return rc;
}

int sig_verify(const struct sig_pubkey *k, enum sig_scheme s, const struct span *parts,
	       size_t nparts, const uint8_t *sig, size_t sig_len)
{
	const struct sig_desc *d;
	uint8_t *der = NULL;
	size_t der_len = 0;
	int rc;

	if (k == NULL || (parts == NULL && nparts > 0) || (sig == NULL && sig_len > 0))
		return -EINVAL;
	d = desc_for_key(s, k->type);
	if (d == NULL)
		return -EINVAL;
	if (sig_len == 0)
		return -EBADMSG;
	switch (d->op) {
	case OP_RAW:
		rc = verify_raw(k->pkey, parts, nparts, sig, sig_len);
		break;
	case OP_RS_RAW:
		rc = rs_to_der(sig, sig_len, rs_half(k->type), &der, &der_len);
		if (rc == 0)
			rc = verify_raw(k->pkey, parts, nparts, der, der_len);
		OPENSSL_free(der);
		break;
	case OP_RS:
		rc = rs_to_der(sig, sig_len, rs_half(k->type), &der, &der_len);
		if (rc == 0)
			rc = verify_digest(d, k->pkey, parts, nparts, der, der_len);
		OPENSSL_free(der);
		break;
	default:
		rc = verify_digest(d, k->pkey, parts, nparts, sig, sig_len);
		break;
	}
	ERR_clear_error();
	return rc;
}
