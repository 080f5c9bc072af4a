/* ikev2_keys.h: IKEv2 key derivation (RFC 7296 2.13-2.18).
 *
 * SKEYSEED and the seven IKE SA keys, SKEYSEED of a rekeyed IKE SA, CHILD SA
 * KEYMAT, and the AUTH inputs of 2.15 (signed octets, PSK AUTH value).
 * Everything here is pure computation over bytes the caller hands in: the
 * negotiated transforms are reduced by the caller to a prf_alg and key
 * lengths, so this module does not depend on the transform registry.
 *
 * Every derived key is a struct secret the caller frees (secret_free, or the
 * *_free() helpers below). A key of length 0 (SK_a* with an AEAD cipher, the
 * integrity keys of an AEAD CHILD SA) is NULL. Nothing here logs key bytes.
 *
 * Errors (negative errno): -EINVAL for a NULL or inconsistent argument,
 * -EOVERFLOW when more bytes are asked of prf+ than it can give (255 blocks,
 * RFC 7296 2.13), -ENOMEM, -EIO when libcrypto fails. On error every output
 * is left NULL.
 */
#ifndef OAK_CRYPTO_IKEV2_KEYS_H
#define OAK_CRYPTO_IKEV2_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/prf.h"
#include "lib/cursor.h" /* struct span */
#include "lib/secret.h"

/* IKE SPIs are 8 octets (RFC 7296 3.1). */
#define IKEV2_SPI_LEN 8

/* Key lengths in bytes, from the negotiated transforms (RFC 7296 2.14):
 * sk_d and sk_p are the PRF's preferred key length (prf_alg.key_len);
 * sk_a the integrity transform's key length, 0 with an AEAD cipher;
 * sk_e the encryption key length including any salt: AES-GCM key + 4 octets and
 * AES-CCM key + 3 (RFC 5282 7.1), AES-CTR key + 4 (RFC 5930, RFC 3686 5.1),
 * ChaCha20-Poly1305 32 + 4 (RFC 7634 2). */
struct ikev2_key_lengths {
	size_t sk_d;
	size_t sk_a;
	size_t sk_e;
	size_t sk_p;
};

/* The IKE SA keys (each caller-owned; sk_ai/sk_ar NULL when sk_a is 0). */
struct ikev2_ike_keys {
	struct secret *sk_d;
	struct secret *sk_ai, *sk_ar;
	struct secret *sk_ei, *sk_er;
	struct secret *sk_pi, *sk_pr;
};

/* CHILD SA keys: the _i keys protect traffic from the initiator to the
 * responder, the _r keys the other way (RFC 7296 2.17). integ_* is NULL when
 * integ_len is 0 (AEAD); encr_* is NULL when encr_len is 0 (ENCR_NULL). */
struct ikev2_child_keys {
	struct secret *encr_i, *integ_i;
	struct secret *encr_r, *integ_r;
};

/* SKEYSEED = prf(Ni | Nr, g^ir) (RFC 7296 2.14). For a PRF with a fixed key
 * length (AES-XCBC-PRF-128, AES-CMAC-PRF-128) the key is the first half-key
 * bytes of Ni followed by the first half-key bytes of Nr.
 * prf, ni, nr, g_ir borrowed; *skeyseed (caller frees) gets prf->out_len bytes. */
int ikev2_skeyseed(const struct prf_alg *prf, struct span ni, struct span nr, struct span g_ir,
		   struct secret **skeyseed);

/* SKEYSEED of an IKE SA made by rekeying (RFC 7296 2.18):
 * prf(SK_d (old), g^ir (new) | Ni | Nr), with the OLD IKE SA's prf and SK_d and
 * the nonces of the CREATE_CHILD_SA exchange. All borrowed; (caller frees). */
int ikev2_skeyseed_rekey(const struct prf_alg *old_prf, const struct secret *old_sk_d,
			 struct span g_ir, struct span ni, struct span nr,
			 struct secret **skeyseed);

/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *   = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)   (RFC 7296 2.14)
 * prf is the (new) IKE SA's PRF; spi_i/spi_r are IKEV2_SPI_LEN bytes. All
 * arguments borrowed; out's keys are the caller's (ikev2_ike_keys_free).
 * sk_d, sk_e and sk_p must be non-zero. */
int ikev2_ike_keys_derive(const struct prf_alg *prf, const struct secret *skeyseed, struct span ni,
			  struct span nr, const uint8_t *spi_i, const uint8_t *spi_r,
			  const struct ikev2_key_lengths *len, struct ikev2_ike_keys *out);

/* Wipe and free every key of k and set them NULL; NULL k is fine. */
void ikev2_ike_keys_free(struct ikev2_ike_keys *k);

/* CHILD SA KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) (RFC 7296 2.17), split
 * as encr_i | integ_i | encr_r | integ_r. g_ir is NULL without PFS; ni/nr are
 * the nonces of the exchange that created the CHILD SA (IKE_SA_INIT's for the
 * first one). encr_len includes any salt. All borrowed; (caller frees out). */
int ikev2_child_keys_derive(const struct prf_alg *prf, const struct secret *sk_d,
			    const struct span *g_ir, struct span ni, struct span nr,
			    size_t encr_len, size_t integ_len, struct ikev2_child_keys *out);

/* Wipe and free every key of k and set them NULL; NULL k is fine. */
void ikev2_child_keys_free(struct ikev2_child_keys *k);

/* The octets an AUTH payload covers (RFC 7296 2.15):
 *   RealMessage | Nonce(peer)Data | prf(SK_p, ID')
 * The initiator passes RealMessage1 (its IKE_SA_INIT request from the first
 * SPI octet, no non-ESP marker), the responder's nonce, its SK_pi and its ID
 * payload body (ID Type, RESERVED, Identification Data: no generic header);
 * the responder RealMessage2, Ni, SK_pr and IDr'. The peer's AUTH is checked
 * with the peer's values. All borrowed; *octets (caller frees) holds the
 * concatenation (a struct secret only to be wiped on free: it is not secret). */
int ikev2_signed_octets(const struct prf_alg *prf, struct span real_message, struct span nonce,
			const struct secret *sk_p, struct span id_body, struct secret **octets);

/* The PSK (or EAP MSK, 2.16) AUTH value (RFC 7296 2.15):
 *   prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
 * psk and signed_octets borrowed; out (caller's buffer) gets prf->out_len bytes. */
int ikev2_psk_auth(const struct prf_alg *prf, struct span psk, struct span signed_octets,
		   uint8_t *out);

#endif
