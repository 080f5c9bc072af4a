/* certs_int.h: what certs.c and certs_load.c share; private to the certs module. */
#ifndef OAK_IKE_CERTS_INT_H
#define OAK_IKE_CERTS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <stdatomic.h>

#include <openssl/x509.h>

#include "ike/certs.h"

#define CERTS_FILE_MAX (1u << 20) /* as sig_key_load_file */

/* What a file holds: which list of the store it goes to. */
enum certs_kind { CERTS_KIND_CA, CERTS_KIND_CERT, CERTS_KIND_KEY };

/* printf into why (borrowed, whylen bytes) when why is not NULL. */
__attribute__((format(printf, 3, 4))) void certs_why(char *why, size_t whylen, const char *fmt,
						     ...);
/* certs_add_ca / certs_add_cert with the file's path (copied; NULL when added
 * from memory), which messages name instead of `name`. */
int certs_add_ca_at(struct certs_store *s, const uint8_t *buf, size_t len, const char *name,
		    const char *path, char *why, size_t whylen);
int certs_add_cert_at(struct certs_store *s, const uint8_t *buf, size_t len, const char *name,
		      const char *path, char *why, size_t whylen);
/* Whether s already holds the CA, own certificate or key (by name) loaded from path. */
bool certs_store_has_file(const struct certs_store *s, enum certs_kind kind, const char *path);

/* --- the store's parts (certs.c builds them, certs_validate.c reads them) --- */

struct certs_cert {
	X509 *x509;
	uint8_t *der; /* OPENSSL_malloc'd by i2d_X509 */
	size_t der_len;
	struct ident subject;
	struct ident *alt; /* identities among the subjectAltNames */
	size_t nalt;
	uint8_t keyid[CERTS_KEYID_LEN];	   /* SHA-1 of the SubjectPublicKeyInfo */
	uint8_t pub_sha1[CERTS_KEYID_LEN]; /* SHA-1 of the subjectPublicKey bits */
};

struct certs_ca {
	struct certs_cert *cert;
	char *name, *path; /* path NULL when added from memory */
};

struct certs_key {
	struct sig_key *key;
	struct sig_pubkey *pub;
	char *name;
};

struct certs_entry {
	struct certs_cert *cert;
	char *name, *path;
	const struct sig_key *key; /* from keys[], NULL when none matched */
	struct span *chain;	   /* cert, then intermediates (spans into certs' der) */
	size_t nchain;
	uint8_t (*ca_keyids)[CERTS_KEYID_LEN];
	size_t nca;
};

struct certs_store {
	atomic_uint refs;
	bool sealed;
	X509_STORE *x509;
	struct certs_ca *cas;
	size_t ncas;
	struct certs_entry *own;
	size_t nown;
	struct certs_key *keys;
	size_t nkeys;
	uint8_t *certreq;
	size_t certreq_len;
	struct certs_cache *cache; /* validated peer chains (mutable, own lock) */
};

/* --- helpers of certs.c the other files use --- */

/* The DN as an ID_DER_ASN1_DN identity; 0 or -ENOMEM / -EINVAL. */
int certs_name_ident(const X509_NAME *name, struct ident *out);
/* Text for messages (into buf, len bytes; returned). */
const char *certs_dn_fmt(const X509_NAME *name, char *buf, size_t len);
const char *certs_subject_fmt(const X509 *x, char *buf, size_t len);
const char *certs_time_fmt(const ASN1_TIME *t, char *buf, size_t len);
/* SHA-1 of x's SubjectPublicKeyInfo (RFC 7296 3.7's CA key ID). */
int certs_spki_sha1(X509 *x, uint8_t out[CERTS_KEYID_LEN]);
/* Wrap x (adopted: freed on failure too) as *out (caller frees). */
int certs_cert_new(X509 *x, struct certs_cert **out);
/* One DER certificate, or NULL. (caller frees with X509_free) */
X509 *certs_d2i(const uint8_t *buf, size_t len);
/* OpenSSL's verdict on ctx as one line in why (sent: certificates the peer
 * sent, 0 for our own chain); returns -EPERM. */
int certs_why_verify(X509_STORE_CTX *ctx, size_t sent, char *why, size_t whylen);

/* --- the cache of validated peer chains (certs_cache.c) --- */

/* What validating a chain learned beyond its end entity, and when it holds. */
struct certs_cached {
	uint64_t not_before, not_after; /* now must lie here: every certificate's validity */
	struct ident anchor;
	uint8_t ca_keyids[CERTS_CHAIN_MAX][CERTS_KEYID_LEN];
	size_t nca;
};

struct certs_cache;

/* (caller frees with certs_cache_free); NULL when out of memory. */
struct certs_cache *certs_cache_new(void);
void certs_cache_free(struct certs_cache *c);
/* A validated chain (borrowed spans, as the peer sent them) still valid at
 * now: true and *out filled. Thread-safe; c may be NULL (never a hit). */
bool certs_cache_get(struct certs_cache *c, const struct span *chain, size_t n, uint64_t now,
		     struct certs_cached *out);
/* Remember a chain that validated (v copied). Thread-safe. */
void certs_cache_put(struct certs_cache *c, const struct span *chain, size_t n,
		     const struct certs_cached *v);
void certs_cache_stats(struct certs_cache *c, uint64_t *hits, uint64_t *misses);

#endif
