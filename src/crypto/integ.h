/* integ.h: integrity transforms (RFC 7296 3.3.2 Transform Type 3).
 *
 * HMAC-MD5-96 (RFC 2403), HMAC-SHA1-96 (RFC 2404), HMAC-SHA2-256-128,
 * -384-192, -512-256 (RFC 4868), their untruncated RFC 4595 variants, and
 * AES-XCBC-96 (RFC 3566). Each is the MAC of a PRF (prf.h) truncated to
 * icv_len bytes. Keys have one fixed length (RFC 4868 2.1.1, RFC 3566 2.1).
 * Used by the IKEv2 SK payload checksum, IKEv1 never (it uses the PRF), and
 * ESP/AH through the kernel (xfrm_name, xfrm_trunc_bits).
 */
#ifndef OAK_CRYPTO_INTEG_H
#define OAK_CRYPTO_INTEG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/cursor.h"

struct prf_alg;

struct integ_alg {
	uint16_t ikev2_id;	   /* IKEv2 Transform Type 3 ID */
	const char *name;	   /* for logs: "AUTH_HMAC_SHA2_256_128" */
	size_t key_len;		   /* bytes of key (SK_ai/SK_ar length, RFC 7296 2.14) */
	size_t icv_len;		   /* bytes of the truncated output */
	const struct prf_alg *prf; /* the untruncated MAC */
	const char *xfrm_name;	   /* kernel algorithm: "hmac(sha256)", "xcbc(aes)" */
	uint16_t xfrm_trunc_bits;  /* for XFRMA_ALG_AUTH_TRUNC */
};

extern const struct integ_alg integ_hmac_md5_96;
extern const struct integ_alg integ_hmac_sha1_96;
extern const struct integ_alg integ_hmac_md5_128;
extern const struct integ_alg integ_hmac_sha1_160;
extern const struct integ_alg integ_hmac_sha2_256_128;
extern const struct integ_alg integ_hmac_sha2_384_192;
extern const struct integ_alg integ_hmac_sha2_512_256;
extern const struct integ_alg integ_aes_xcbc_96;

/* (borrowed, static) NULL if unknown or unimplemented. */
const struct integ_alg *integ_by_ikev2_id(uint16_t id);

/* The ICV of parts[0] | parts[1] | ... under key: icv (caller's buffer) gets
 * alg->icv_len bytes. key and parts borrowed.
 * 0; -EINVAL for a NULL alg/icv or key_len != alg->key_len; -EIO from libcrypto. */
int integ_compute(const struct integ_alg *alg, const uint8_t *key, size_t key_len,
		  const struct span *parts, size_t nparts, uint8_t *icv);

/* Recompute and compare in constant time with icv (borrowed, icv_len bytes).
 * 0 when they match; -EBADMSG when they differ or icv_len != alg->icv_len;
 * the errors of integ_compute otherwise. */
int integ_verify(const struct integ_alg *alg, const uint8_t *key, size_t key_len,
		 const struct span *parts, size_t nparts, const uint8_t *icv, size_t icv_len);

#endif
