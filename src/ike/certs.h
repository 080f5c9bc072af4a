/* certs.h: X.509 certificates for IKE authentication.
 *
 * A certificate store holds what one config trusts and owns: the trusted CA
 * certificates (authorities.<name>.cacert and every file in x509ca/), our own
 * end-entity certificates (every file in x509/ and each connection's
 * local.certs) and private keys (secrets.private<suffix>.file and every file
 * in private/), each certificate paired with the key whose public half it
 * carries. A store is filled, then sealed (certs_store_seal, done by
 * certs_store_load); a sealed store never changes, so the loop thread and the
 * crypto workers read it at once without locks. A reload builds a new store.
 *
 * Trust follows strongSwan: only a self-signed CA certificate is a trust
 * anchor; a non-self-signed CA certificate in x509ca/ only helps to build
 * chains. Key usage and extended key usage are not demanded of end-entity
 * certificates (strongSwan requires no serverAuth/ipsecIKE EKU either);
 * every CA in a chain must be a CA (basicConstraints) as RFC 5280 6.1 says.
 * No CRL or OCSP checks yet.
 *
 * A `why` buffer gets one line a user reads when a function fails, saying
 * what was expected and what came, e.g. "certificate 'C=CH, O=oak,
 * CN=gw.example' expired on 2025-01-01". Nothing here logs or prints key
 * material.
 *
 * Errors: 0 or a negative errno: -EBADMSG bytes that are not a certificate,
 * -EPERM a certificate that does not validate, -ENOENT nothing found, -ENOTSUP
 * a key type oak does not support, -EINVAL a misuse (unsealed store...),
 * -ENOMEM; file loading also -errno of open/read.
 */
#ifndef OAK_IKE_CERTS_H
#define OAK_IKE_CERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/ident.h"
#include "crypto/sig.h"
#include "lib/cursor.h"

struct oak_config;
struct auth_cfg;

/* RFC 7296 3.6: CERT Encoding 4, "X.509 Certificate - Signature" (DER). */
#define CERTS_ENCODING_X509_SIG 4
/* RFC 7296 3.7: a CA is named by the SHA-1 of its SubjectPublicKeyInfo. */
#define CERTS_KEYID_LEN 20
/* The most certificates one chain may have (peer's end entity + intermediates,
 * or ours + intermediates + anchor). */
#define CERTS_CHAIN_MAX 8
/* A good size for why buffers. */
#define CERTS_WHY_LEN 320

struct certs_store;
struct certs_cert; /* one parsed X.509 certificate (opaque, immutable) */

/* --- one certificate --- */

/* Parse one certificate, DER or PEM, from buf (borrowed). *out: caller frees
 * with certs_cert_free. -EBADMSG when it is not one certificate. */
int certs_cert_parse(const uint8_t *buf, size_t len, struct certs_cert **out, char *why,
		     size_t whylen);
/* NULL is fine. */
void certs_cert_free(struct certs_cert *c);
/* Its subject DN (borrowed from c); type 0 when the subject is empty. */
const struct ident *certs_cert_subject(const struct certs_cert *c);
/* Its subjectAltNames that are identities (dNSName -> FQDN, rfc822Name ->
 * RFC822, iPAddress -> IPv4/IPv6, directoryName -> DN), in certificate order;
 * *n gets the count. (borrowed from c) */
const struct ident *certs_cert_alt_names(const struct certs_cert *c, size_t *n);
/* The DER encoding, as a CERT payload carries it (borrowed from c). */
struct span certs_cert_der(const struct certs_cert *c);
/* SHA-1 of its SubjectPublicKeyInfo (borrowed from c, CERTS_KEYID_LEN bytes). */
const uint8_t *certs_cert_keyid(const struct certs_cert *c);

/* Whether identity `id` (borrowed) is in certificate c, by strongSwan's rules
 * (RFC 4945 3.1 asks the same):
 *   DN: equal to the subject, or to a directoryName subjectAltName;
 *   FQDN, RFC822, IPv4, IPv6: equal to a subjectAltName of that type (an FQDN
 *     in the subject's CN does not count, as in strongSwan);
 *   KEY_ID: the subjectKeyIdentifier, or the SHA-1 of the SubjectPublicKeyInfo
 *     or of the subjectPublicKey bits.
 * Comparison is ident_match(id, name): a wildcard `id` from the config
 * ("*.oak.test", "C=CH, O=oak, CN=*") matches, while a name in the certificate
 * is never a wildcard (a dNSName "*.oak.test" matches only "*.oak.test"). An
 * ID received from a peer (ident_from_wire) has no wildcards, so it must be in
 * the certificate exactly (DNs and names compared as ident_eq does). %any
 * (type 0) matches every certificate. */
bool certs_id_matches(const struct certs_cert *c, const struct ident *id);

/* --- the store --- */

/* An empty, unsealed store with one reference (caller drops it with
 * certs_store_unref); NULL when out of memory. */
struct certs_store *certs_store_new(void);
/* Add trusted CA certificates: DER, or PEM holding one or more certificates,
 * at buf (borrowed). `name` (copied) is how config refers to them (the file
 * name under x509ca/). Each must be a CA (basicConstraints CA:TRUE, or a
 * self-signed v1 certificate). -EBADMSG, -EINVAL not a CA or store sealed. */
int certs_add_ca(struct certs_store *s, const uint8_t *buf, size_t len, const char *name, char *why,
		 size_t whylen);
/* Add one of our own end-entity certificates (the first certificate of a PEM
 * or the DER at buf, borrowed). `name` (copied): the file name under x509/ as
 * local.certs gives it. */
int certs_add_cert(struct certs_store *s, const uint8_t *buf, size_t len, const char *name,
		   char *why, size_t whylen);
/* Add a private key (adopted: the store frees it, also on error). `name`
 * (copied) is for messages. */
int certs_add_key(struct certs_store *s, struct sig_key *key, const char *name, char *why,
		  size_t whylen);
/* Pair certificates with private keys (sig_pubkey_equal), build each own
 * certificate's chain from the CA certificates (ignoring validity periods,
 * checked by the peer), compute the CERTREQ data, and freeze the store.
 * A certificate whose chain does not reach a trusted CA stays usable (its
 * chain is then the certificate alone) and is logged as a warning. */
int certs_store_seal(struct certs_store *s, char *why, size_t whylen);

/* Build and seal the store of a config (borrowed): CAs from cfg->cacerts and
 * every file of daemon.x509ca_dir and each connection's remote.cacerts (names
 * relative to x509ca_dir); own certificates from every file of
 * daemon.x509_dir and each connection's local.certs (relative to x509_dir);
 * private keys from cfg->private_keys and every file of daemon.private_dir.
 * A missing directory counts as empty; a file that does not load fails the
 * whole store ("x509ca/foo.pem: ..."), so a reload keeps the running one.
 * *out: one reference (caller drops it with certs_store_unref). */
int certs_store_load(const struct oak_config *cfg, struct certs_store **out, char *why,
		     size_t whylen);
/* Credentials held in memory rather than in files (VICI load-cert,
 * load-key and the certs of a load-conn): what certs_store_load_blobs adds. */
enum certs_blob_kind { CERTS_BLOB_CA, CERTS_BLOB_CERT, CERTS_BLOB_KEY };
struct certs_blob {
	enum certs_blob_kind kind;
	const char *name;    /* the path config names it by (model_resolve's result) */
	const uint8_t *data; /* DER or PEM (borrowed) */
	size_t len;
};
/* certs_store_load, with the n blobs (borrowed) added first: a config name
 * that equals a blob's name is that blob, not a file. A blob that does not
 * load fails the store as a file does ("<name>: ..."). */
int certs_store_load_blobs(const struct oak_config *cfg, const struct certs_blob *blobs, size_t n,
			   struct certs_store **out, char *why, size_t whylen);
/* Call fn for every CA and own certificate of s (borrowed), CAs first, with
 * whether a private key is paired with it. */
void certs_store_foreach(const struct certs_store *s,
			 void (*fn)(const struct certs_cert *c, bool ca, bool has_key, void *arg),
			 void *arg);
/* Another reference (thread-safe); returns s. */
struct certs_store *certs_store_ref(struct certs_store *s);
/* Drop a reference (thread-safe); the last one frees the store. NULL is fine. */
void certs_store_unref(struct certs_store *s);
/* The CA certificate loaded under `name` (borrowed from s), or NULL. */
const struct certs_cert *certs_store_ca(const struct certs_store *s, const char *name);

/* --- validating a peer's certificates --- */

/* What certs_validate learned; release with cert_result_clear. */
struct cert_result {
	struct certs_cert *cert;   /* the peer's end-entity certificate (owned) */
	struct sig_pubkey *pubkey; /* its public key, to verify AUTH with (owned) */
	struct ident subject;	   /* its subject DN (a copy) */
	struct ident anchor;	   /* subject DN of the trusted CA the chain ends at */
	/* SHA-1 SPKI of each CA of the verified chain, issuer first, anchor last */
	uint8_t ca_keyids[CERTS_CHAIN_MAX][CERTS_KEYID_LEN];
	size_t nca;
};

/* Validate a peer's certificates: chain[0] is its end-entity certificate,
 * chain[1..n-1] the intermediate CA certificates it sent (in any order), each
 * DER as in a CERT payload of encoding 4 (borrowed). The chain is built to a
 * trusted CA of the store (sealed, borrowed) with OpenSSL, checking every
 * signature, CA constraints and each certificate's validity period at `now`
 * (seconds since the Unix epoch, wall clock). On success *out is filled
 * (caller releases with cert_result_clear); on failure *out is empty and why
 * says which certificate failed and how, e.g.
 *   "certificate 'C=CH, O=oak, CN=x' expired on 2021-01-01"
 *   "no trusted CA for issuer 'CN=Evil CA' of 'C=CH, O=evil, CN=evil.oak.test'"
 *   "signature of 'C=CH, O=oak, CN=ecdsa.oak.test' by 'CN=oak Intermediate'
 *    does not verify".
 * -EBADMSG a certificate that does not parse; -EPERM validation failed;
 * -ENOTSUP the end entity's key is of a type oak does not support; -EINVAL
 * n is 0 or over CERTS_CHAIN_MAX. Thread-safe (runs on the crypto pool). */
int certs_validate(const struct certs_store *s, const struct span *chain, size_t n, uint64_t now,
		   struct cert_result *out, char *why, size_t whylen);
/* certs_validate's cache of chains it validated (certs_cache.c): how often a
 * chain was found there (no signature checked) and how often not. */
void certs_store_cache_stats(const struct certs_store *s, uint64_t *hits, uint64_t *misses);
/* Free what *r owns and zero it; a zeroed or cleared result is fine. */
void cert_result_clear(struct cert_result *r);
/* Whether the chain of r goes through the CA loaded under `name` (the remote
 * cacerts constraint of swanctl.conf: the CA as intermediate or anchor). */
bool certs_result_has_ca(const struct certs_store *s, const struct cert_result *r,
			 const char *name);

/* --- our own certificate --- */

/* Our certificate, key and chain for one authentication round, all borrowed
 * from the store (valid while the caller holds its reference). */
struct certs_own {
	const struct certs_cert *cert;
	const struct sig_key *key;
	struct ident id; /* the ID to send: the configured one, else the subject DN */
	/* DER of cert, then the intermediate CAs above it (not the self-signed
	 * anchor): one CERT payload each (RFC 7296 3.6) */
	const struct span *chain;
	size_t nchain;
	/* SHA-1 SPKI of each CA above cert up to the anchor, for CERTREQs */
	const uint8_t (*ca_keyids)[CERTS_KEYID_LEN];
	size_t nca;
};

/* Find our certificate by `cert_name` (borrowed; the name under x509/ as
 * local.certs gives it, or the path), or, when cert_name is NULL, the first
 * certificate with a private key that contains `id`. `id` (borrowed, NULL or
 * type 0 when none is configured) becomes out->id; without one the subject DN
 * is sent, as strongSwan does. A configured id that the certificate does not
 * contain is replaced by the subject DN with a warning, as strongSwan does
 * ("id '...' not confirmed by certificate, defaulting to '...'").
 * -ENOENT no such certificate, or no private key for it (why says which). */
int certs_local(const struct certs_store *s, const char *cert_name, const struct ident *id,
		struct certs_own *out, char *why, size_t whylen);
/* The same for a local { } section: its certs are tried in order, and when
 * the peer sent CERTREQs (certreq: their Certification Authority fields
 * concatenated, borrowed; NULL/0 when none) the first certificate whose chain
 * a CERTREQ names wins (RFC 7296 3.7), else the first that has a key. */
int certs_local_auth(const struct certs_store *s, const struct auth_cfg *local,
		     const uint8_t *certreq, size_t certreq_len, struct certs_own *out, char *why,
		     size_t whylen);

/* --- CERTREQ (RFC 7296 3.7) --- */

/* What we send as Certification Authority: the SHA-1 SPKI hash of every CA
 * certificate in the store, concatenated, in load order (borrowed from s;
 * empty when the store has no CA). */
struct span certs_certreq(const struct certs_store *s);
/* Which of our CA certificates a received Certification Authority field
 * (borrowed) names: up to max of them into cas[] (borrowed from s), in the
 * order the peer listed them; hashes we do not know are skipped. Returns the
 * count, or -EBADMSG when len is not a multiple of 20 (why says so). */
int certs_certreq_match(const struct certs_store *s, const uint8_t *data, size_t len,
			const struct certs_cert **cas, size_t max, char *why, size_t whylen);
/* Whether a received Certification Authority field names a CA of our chain. */
bool certs_own_named(const struct certs_own *o, const uint8_t *data, size_t len);

#endif
