/* sig_int.h: what sig.c and sig_asn1.c share; private to the sig module.
 * The scheme table lives in sig.c; sig_asn1.c reads its AlgorithmIdentifiers. */
#ifndef OAK_CRYPTO_SIG_INT_H
#define OAK_CRYPTO_SIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/sig.h"

enum sig_op {
	OP_DIGEST, /* EVP_DigestSign with md (PKCS#1 v1.5, PSS, ECDSA DER) */
	OP_RS,	   /* as OP_DIGEST, then DER ECDSA-Sig-Value <-> r | s (RFC 4754 7) */
	OP_EDDSA,  /* one-shot EVP_DigestSign without md over the whole octets */
	OP_RAW,	   /* EVP_PKEY_sign, PKCS#1 type 1 padding, no DigestInfo */
	OP_RS_RAW, /* EVP_PKEY_sign of the data as the digest (ECDSA), r | s */
};

enum sig_kind {
	KIND_RSA,
	KIND_EC,  /* any supported curve */
	KIND_KEY, /* exactly desc->key (a curve for OP_RS, Ed25519/Ed448) */
};

struct sig_desc {
	enum sig_scheme scheme;
	enum sig_op op;
	enum sig_kind kind;
	enum sig_key_type key; /* for KIND_KEY */
	const char *md;	       /* OpenSSL digest name; NULL for EdDSA and RAW */
	bool pss;
	enum sig_hash hash;   /* RFC 7427 4 value; RESERVED outside RFC 7427 */
	const uint8_t *algid; /* DER; NULL outside RFC 7427 */
	size_t algid_len;
};

/* The descriptor of scheme s (borrowed, static); NULL if oak has none. */
const struct sig_desc *sig_desc(enum sig_scheme s);
/* Every descriptor, in table order, and how many there are (borrowed, static). */
const struct sig_desc *sig_descs_all(size_t *count);

#endif
