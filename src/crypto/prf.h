/* prf.h: pseudo-random functions and prf+ (RFC 7296 2.13, 3.3.2; RFC 2409 appendix B).
 *
 * Each PRF is a static descriptor. HMAC PRFs (RFC 2104) take a key of any
 * length; AES-XCBC-PRF-128 (RFC 4434) pads a short key with zeros and reduces
 * a long one with AES-XCBC-MAC under a zero key, so it takes any length too.
 * The digest or cipher behind a PRF is fetched once, at first use, and cached.
 * Functions are safe to call from several threads (the worker pool).
 */
#ifndef OAK_CRYPTO_PRF_H
#define OAK_CRYPTO_PRF_H

#include <stddef.h>
#include <stdint.h>

#include "lib/cursor.h" /* struct span */
#include "lib/secret.h"

struct prf_alg {
	uint16_t ikev2_id;   /* IKEv2 Transform Type 2 ID */
	uint16_t ikev1_hash; /* IKEv1 Hash Algorithm attribute value, 0 if none */
	const char *name;    /* for logs: "PRF_HMAC_SHA2_256" */
	size_t out_len;	     /* bytes of output */
	size_t key_len;	     /* preferred key length (RFC 7296 2.13) */
	const char *md_name; /* OpenSSL digest behind the HMAC; NULL for AES-XCBC */
	int md_slot;	     /* index of the cached EVP_MD (internal) */
};

/* The descriptors (static). Tiger and AES-CMAC are not implemented. */
extern const struct prf_alg prf_hmac_md5;
extern const struct prf_alg prf_hmac_sha1;
extern const struct prf_alg prf_hmac_sha2_256;
extern const struct prf_alg prf_hmac_sha2_384;
extern const struct prf_alg prf_hmac_sha2_512;
extern const struct prf_alg prf_aes128_xcbc;

/* (borrowed, static) NULL if unknown. */
const struct prf_alg *prf_by_ikev2_id(uint16_t id);
/* HMAC of IKEv1 Hash Algorithm `hash` (RFC 2409 appendix A); (borrowed, static), NULL if unknown. */
const struct prf_alg *prf_by_ikev1_hash(uint16_t hash);

/* prf(key, parts[0] | parts[1] | ...): out (caller's buffer) gets alg->out_len bytes.
 * key and parts are borrowed; a part may have len 0 (p may then be NULL).
 * 0, -EINVAL for a NULL alg/out, -EIO when libcrypto fails. */
int prf_compute(const struct prf_alg *alg, const uint8_t *key, size_t key_len,
		const struct span *parts, size_t nparts, uint8_t *out);

/* prf+ (RFC 7296 2.13): the first out_len bytes of T1 | T2 | ... with
 * T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n), S = seed[0] | seed[1] | ...
 * Key and seed borrowed. (caller frees with secret_free).
 * NULL on error or when out_len > 255 * alg->out_len. */
struct secret *prf_plus(const struct prf_alg *alg, const uint8_t *key, size_t key_len,
			const struct span *seed, size_t nseed, size_t out_len);

/* The plain hash behind an HMAC PRF (IKEv1 phase 1 IV, RFC 2409 appendix B):
 * out (caller's buffer) gets alg->out_len bytes; -ENOTSUP for AES-XCBC. */
int prf_hash(const struct prf_alg *alg, const struct span *parts, size_t nparts, uint8_t *out);

#endif
