/* sig.h: private/public keys and the signatures of IKE authentication.
 *
 * Schemes, one per way a signature is made on the wire:
 *   IKEv2 (RFC 7296 3.8) method 1 RSA Digital Signature: PKCS#1 v1.5 with
 *     SHA-1, DigestInfo included (SIG_RSA_PKCS1_SHA1);
 *   IKEv2 methods 9/10/11 and IKEv1 methods 9/10/11 (RFC 4754): ECDSA with
 *     SHA-256/P-256, SHA-384/P-384, SHA-512/P-521, signature r | s of fixed
 *     length (SIG_ECDSA_P*_RS); the key's curve must be the method's;
 *   IKEv2 method 14 (RFC 7427): PKCS#1 v1.5 with SHA-1/256/384/512, RSASSA-PSS
 *     with SHA-256/384/512 (MGF1 with the same hash, salt length = hash length:
 *     RFC 8247 3.2, as strongSwan), ECDSA with SHA-256/384/512 on any supported
 *     curve (signature DER-encoded, RFC 7427 3), Ed25519 and Ed448 (pure EdDSA
 *     over the whole octets, RFC 8420); the AUTH data carries an
 *     AlgorithmIdentifier before the signature (sig_auth_data_*);
 *   IKEv1 (RFC 2409 5.1) RSA: PKCS#1 v1.5 type 1 padding of HASH_I/HASH_R
 *     itself, no DigestInfo (SIG_RSA_PKCS1_NULL; strongSwan's
 *     SIGN_RSA_EMSA_PKCS1_NULL).
 * Every scheme but SIG_RSA_PKCS1_NULL hashes the data itself: callers pass
 * the octets to sign (RFC 7296 2.15 InitiatorSignedOctets and the like) as
 * parts, signed as their concatenation.
 *
 * Keys wrap an OpenSSL EVP_PKEY; types supported: RSA (any size OpenSSL
 * takes), ECDSA on P-256/P-384/P-521, Ed25519, Ed448. Certificate chain
 * validation is not here (ike/). A key is immutable once loaded, so one key
 * may sign or verify from several threads at once (the worker pool).
 *
 * Errors: 0 or negative errno. Signing and verifying: -EINVAL when the scheme
 * does not fit the key (RSA scheme with an EC key, P-256 method with a P-384
 * key, data too long for SIG_RSA_PKCS1_NULL), -EBADMSG when a signature does
 * not verify, -ENOMEM, -EIO when libcrypto fails otherwise. Parsing received
 * AUTH data: -EMSGSIZE truncated, -EPROTO malformed DER, -ENOTSUP an
 * algorithm or parameters oak does not support; a struct sig_err then says
 * what was expected and what came.
 */
#ifndef OAK_CRYPTO_SIG_H
#define OAK_CRYPTO_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "lib/cursor.h" /* struct span */
#include "lib/enum_names.h"

enum sig_key_type {
	SIG_KEY_NONE = 0,
	SIG_KEY_RSA,
	SIG_KEY_ECDSA_P256,
	SIG_KEY_ECDSA_P384,
	SIG_KEY_ECDSA_P521,
	SIG_KEY_ED25519,
	SIG_KEY_ED448,
};

enum sig_scheme {
	SIG_NONE = 0,
	SIG_RSA_PKCS1_SHA1,   /* IKEv2 method 1; RFC 7427 sha1WithRSAEncryption */
	SIG_RSA_PKCS1_SHA256, /* RFC 7427 sha256WithRSAEncryption */
	SIG_RSA_PKCS1_SHA384,
	SIG_RSA_PKCS1_SHA512,
	SIG_RSA_PSS_SHA256, /* RFC 7427 id-RSASSA-PSS, RFC 4055 parameters */
	SIG_RSA_PSS_SHA384,
	SIG_RSA_PSS_SHA512,
	SIG_ECDSA_SHA256, /* RFC 7427 ecdsa-with-SHA256, DER signature */
	SIG_ECDSA_SHA384,
	SIG_ECDSA_SHA512,
	SIG_ED25519, /* RFC 8420 */
	SIG_ED448,
	SIG_ECDSA_P256_RS,  /* RFC 4754 ECDSA-256: SHA-256, P-256, r | s */
	SIG_ECDSA_P384_RS,  /* RFC 4754 ECDSA-384 */
	SIG_ECDSA_P521_RS,  /* RFC 4754 ECDSA-521 */
	SIG_RSA_PKCS1_NULL, /* IKEv1 RSA (RFC 2409 5.1): no hash, no DigestInfo */
	SIG_ECDSA_NULL_RS,  /* IKEv1 ECDSA as strongSwan signs it: the data is the
			     * digest (HASH_I/HASH_R), no further hash; r | s */
};

/* RFC 7427 4 / IANA "IKEv2 Hash Algorithms": values of the
 * SIGNATURE_HASH_ALGORITHMS notify (each a 2-octet number on the wire). */
enum sig_hash {
	SIG_HASH_RESERVED = 0,
	SIG_HASH_SHA1 = 1,
	SIG_HASH_SHA2_256 = 2,
	SIG_HASH_SHA2_384 = 3,
	SIG_HASH_SHA2_512 = 4,
	SIG_HASH_IDENTITY = 5, /* RFC 8420: EdDSA signs the octets themselves */
};

/* IKEv2 Authentication Method values this module serves (RFC 7296 3.8,
 * RFC 4754, RFC 7427); PSK (2) and NULL (13) are not signatures. */
enum sig_ikev2_auth_method {
	SIG_IKEV2_AUTH_RSA_SIG = 1,
	SIG_IKEV2_AUTH_ECDSA_256 = 9,
	SIG_IKEV2_AUTH_ECDSA_384 = 10,
	SIG_IKEV2_AUTH_ECDSA_521 = 11,
	SIG_IKEV2_AUTH_DIGITAL_SIGNATURE = 14,
};

/* Names for logs: "SIG_RSA_PSS_SHA256", "SHA2_256" (RFC 7427 4 names). */
extern const struct enum_names sig_scheme_names;
extern const struct enum_names sig_hash_names;
extern const struct enum_names sig_key_type_names;

struct sig_key;	   /* a private key (opaque) */
struct sig_pubkey; /* a public key (opaque) */

/* Why a received AUTH data or AlgorithmIdentifier was refused: what was
 * expected and what came, for a log line the user reads. */
struct sig_err {
	char reason[192];
};

/* --- private keys --- */

/* Load a private key from `len` bytes at `buf` (borrowed): PEM or DER,
 * PKCS#8 (plain or encrypted), PKCS#1 "RSA PRIVATE KEY" or SEC1 "EC PRIVATE
 * KEY". `passphrase` (borrowed, may be NULL) decrypts an encrypted key; oak
 * never prompts for one. *out gets the key (caller frees with sig_key_free).
 * 0; -EACCES encrypted and the passphrase is missing or wrong; -ENOTSUP a key
 * type or curve oak does not support; -EINVAL not a private key. */
int sig_key_load(const uint8_t *buf, size_t len, const char *passphrase, struct sig_key **out);
/* The same from a file (path borrowed); -errno when it cannot be read,
 * -EFBIG over 1 MiB. The bytes read are wiped before returning. */
int sig_key_load_file(const char *path, const char *passphrase, struct sig_key **out);
/* NULL is fine. */
void sig_key_free(struct sig_key *k);
enum sig_key_type sig_key_type(const struct sig_key *k);
/* The public half (caller frees with sig_pubkey_free); NULL if out of memory. */
struct sig_pubkey *sig_key_pubkey(const struct sig_key *k);

/* --- public keys --- */

/* The subject public key of an X.509 certificate, DER or PEM, at buf
 * (borrowed). The certificate is not validated here. (caller frees)
 * 0; -EINVAL not a certificate; -ENOTSUP unsupported key type. */
int sig_pubkey_from_cert(const uint8_t *buf, size_t len, struct sig_pubkey **out);
/* A SubjectPublicKeyInfo (RFC 5280 4.1), DER or PEM "PUBLIC KEY" (caller frees). */
int sig_pubkey_from_spki(const uint8_t *buf, size_t len, struct sig_pubkey **out);
/* Wrap an EVP_PKEY that ike/'s certificate code already holds: `pkey` is
 * borrowed; the result takes its own reference (caller frees). */
int sig_pubkey_from_evp(EVP_PKEY *pkey, struct sig_pubkey **out);
/* The DER SubjectPublicKeyInfo (caller frees with free()). 0 or -ENOMEM/-EIO. */
int sig_pubkey_spki(const struct sig_pubkey *k, uint8_t **out, size_t *out_len);
void sig_pubkey_free(struct sig_pubkey *k);
enum sig_key_type sig_pubkey_type(const struct sig_pubkey *k);
/* Whether both are the same public key (a private key matches its cert). */
bool sig_pubkey_equal(const struct sig_pubkey *a, const struct sig_pubkey *b);

/* --- schemes --- */

/* Whether scheme s can be used with a key of type t. */
bool sig_scheme_fits(enum sig_scheme s, enum sig_key_type t);
/* The SIGNATURE_HASH_ALGORITHMS value that must have been offered by the peer
 * for s (RFC 7427 3); SIG_HASH_RESERVED for schemes outside RFC 7427. */
enum sig_hash sig_scheme_hash(enum sig_scheme s);
/* The RFC 7427 scheme for a key type and a hash both sides agreed on; `pss`
 * picks RSASSA-PSS over PKCS#1 v1.5 for RSA keys (RFC 8247 3.2 prefers it).
 * SIG_NONE when there is none (Ed25519 needs SIG_HASH_IDENTITY; ECDSA and
 * PSS have no SHA-1 form here). */
enum sig_scheme sig_scheme_select(enum sig_key_type t, enum sig_hash h, bool pss);
/* The scheme of IKEv2 Auth Method 1, 9, 10 or 11; SIG_NONE for others
 * (method 14 takes its scheme from the AUTH data). */
enum sig_scheme sig_scheme_ikev2_method(uint8_t method);

/* --- sign and verify --- */

/* Sign parts[0] | parts[1] | ... (borrowed; a part may be empty) with k.
 * *out gets the signature (caller frees with free()), *out_len its length. */
int sig_sign(const struct sig_key *k, enum sig_scheme s, const struct span *parts, size_t nparts,
	     uint8_t **out, size_t *out_len);
/* Verify sig (borrowed) over the parts with k: 0 when it verifies, -EBADMSG
 * when not, -EINVAL when s does not fit k. */
int sig_verify(const struct sig_pubkey *k, enum sig_scheme s, const struct span *parts,
	       size_t nparts, const uint8_t *sig, size_t sig_len);

/* --- RFC 7427 AUTH data --- */

/* The DER AlgorithmIdentifier oak sends for s (static bytes, borrowed
 * forever). -EINVAL for a scheme outside RFC 7427. RSA PKCS#1 v1.5: NULL
 * parameters present (RFC 7427 A.1); ECDSA and EdDSA: parameters absent;
 * RSASSA-PSS: RFC 4055 parameters in DER, i.e. without the DEFAULT
 * trailerField that RFC 7427 A.4.3 shows (as strongSwan sends them). */
int sig_algid(enum sig_scheme s, struct span *out);
/* Map a received AlgorithmIdentifier (borrowed, the whole DER object) to a
 * scheme. Accepts both NULL-present and absent parameters where peers differ,
 * and RSASSA-PSS parameters with or without trailerField 1; refuses PSS
 * parameters other than hash = MGF1 hash in SHA-256/384/512 with salt length =
 * hash length. 0; -EPROTO malformed; -ENOTSUP unknown or unsupported (err,
 * may be NULL, says which). */
int sig_algid_parse(const uint8_t *der, size_t len, enum sig_scheme *s, struct sig_err *err);

/* The Authentication Data of method 14 (RFC 7427 3): ASN.1 Length (1 octet),
 * AlgorithmIdentifier of s, then sig (borrowed). *out: caller frees with free(). */
int sig_auth_data_encode(enum sig_scheme s, const uint8_t *sig, size_t sig_len, uint8_t **out,
			 size_t *out_len);
/* Split received Authentication Data (borrowed): *s gets the scheme and
 * *sig the signature value, a span borrowed from data. -EMSGSIZE when the
 * length octet or the AlgorithmIdentifier run past the data or no signature
 * follows; -EPROTO / -ENOTSUP as sig_algid_parse. err may be NULL. */
int sig_auth_data_decode(const uint8_t *data, size_t len, enum sig_scheme *s, struct span *sig,
			 struct sig_err *err);

/* Sign for method 14: sig_sign then sig_auth_data_encode (caller frees). */
int sig_sign_auth_data(const struct sig_key *k, enum sig_scheme s, const struct span *parts,
		       size_t nparts, uint8_t **out, size_t *out_len);

#endif
