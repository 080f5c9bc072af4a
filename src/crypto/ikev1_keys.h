/* ikev1_keys.h: IKEv1 key derivation (RFC 2409 5, 5.5, appendix B).
 *
 * SKEYID for pre-shared keys and signatures, SKEYID_d/_a/_e, the ISAKMP SA
 * encryption key (appendix B extension), HASH_I/HASH_R, the phase 1 and
 * phase 2 IVs, the Quick Mode hashes and KEYMAT. Pure computation over bytes
 * the caller hands in; prf is the HMAC of the negotiated Hash Algorithm
 * (prf_by_ikev1_hash()), which is also the hash behind the IVs.
 *
 * Keys are struct secret (caller frees); hashes and IVs, which go on the wire
 * or are derived from public values, go to caller buffers. Nothing is logged.
 * Errors (negative errno): -EINVAL for a NULL or inconsistent argument,
 * -ENOMEM, -EIO when libcrypto fails, -ENOTSUP when prf has no plain hash
 * (IVs). On error every output secret is left NULL.
 */
#ifndef OAK_CRYPTO_IKEV1_KEYS_H
#define OAK_CRYPTO_IKEV1_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/prf.h"
#include "lib/cursor.h" /* struct span */
#include "lib/secret.h"

/* ISAKMP cookies are 8 octets (RFC 2408 3.1). */
#define IKEV1_CKY_LEN 8

/* The ISAKMP SA keys (each caller-owned; ikev1_keys_free). */
struct ikev1_keys {
	struct secret *skeyid;
	struct secret *skeyid_d; /* keying material for IPsec SAs */
	struct secret *skeyid_a; /* ISAKMP message integrity (HASH payloads) */
	struct secret *skeyid_e; /* ISAKMP encryption material */
	struct secret *enc_key;	 /* the cipher key from SKEYID_e (appendix B) */
};

/* SKEYID for pre-shared keys: prf(pre-shared-key, Ni_b | Nr_b) (RFC 2409 5).
 * ni_b/nr_b are the Nonce payload bodies. All borrowed; (caller frees). */
int ikev1_skeyid_psk(const struct prf_alg *prf, struct span psk, struct span ni_b, struct span nr_b,
		     struct secret **skeyid);

/* SKEYID for signatures: prf(Ni_b | Nr_b, g^xy) (RFC 2409 5). (caller frees) */
int ikev1_skeyid_sig(const struct prf_alg *prf, struct span ni_b, struct span nr_b,
		     struct span g_xy, struct secret **skeyid);

/* From SKEYID (RFC 2409 5; the 0/1/2 are single octets):
 *   SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
 *   SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
 *   SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
 * and enc_key of enc_key_len bytes (ikev1_enc_key). out->skeyid is a copy of
 * skeyid. cky_i/cky_r are IKEV1_CKY_LEN bytes. All borrowed; (caller frees out). */
int ikev1_keys_derive(const struct prf_alg *prf, const struct secret *skeyid, struct span g_xy,
		      const uint8_t *cky_i, const uint8_t *cky_r, size_t enc_key_len,
		      struct ikev1_keys *out);

/* Wipe and free every key of k and set them NULL; NULL k is fine. */
void ikev1_keys_free(struct ikev1_keys *k);

/* The ISAKMP SA cipher key (RFC 2409 appendix B): the first key_len bytes of
 * SKEYID_e when it is long enough, else of Ka = K1 | K2 | ... with
 * K1 = prf(SKEYID_e, 0) (one zero octet), Kn = prf(SKEYID_e, Kn-1).
 * Borrowed; *key (caller frees). key_len must be non-zero. */
int ikev1_enc_key(const struct prf_alg *prf, const struct secret *skeyid_e, size_t key_len,
		  struct secret **key);

/* HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b) (RFC 2409 5).
 * sai_b is the initiator's SA payload body (no generic header), id_b the ID
 * payload body of the initiator. out (caller's buffer) gets prf->out_len bytes. */
int ikev1_hash_i(const struct prf_alg *prf, const struct secret *skeyid, struct span g_xi,
		 struct span g_xr, const uint8_t *cky_i, const uint8_t *cky_r, struct span sai_b,
		 struct span idii_b, uint8_t *out);

/* HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b) (RFC 2409 5).
 * Same arguments as ikev1_hash_i (still in initiator/responder order), with
 * the responder's ID payload body. */
int ikev1_hash_r(const struct prf_alg *prf, const struct secret *skeyid, struct span g_xi,
		 struct span g_xr, const uint8_t *cky_i, const uint8_t *cky_r, struct span sai_b,
		 struct span idir_b, uint8_t *out);

/* Phase 1 IV = hash(g^xi | g^xr) truncated to block_len (RFC 2409 appendix B).
 * iv (caller's buffer) gets block_len bytes; block_len <= prf->out_len. */
int ikev1_phase1_iv(const struct prf_alg *prf, struct span g_xi, struct span g_xr, size_t block_len,
		    uint8_t *iv);

/* IV of the first message of a Quick Mode or Informational exchange:
 * hash(last phase 1 CBC output block | M-ID) truncated to the block length
 * (RFC 2409 appendix B). last_block is block_len bytes; msgid in host order
 * (hashed in network order). iv (caller's buffer) gets block_len bytes. */
int ikev1_phase2_iv(const struct prf_alg *prf, struct span last_block, uint32_t msgid, uint8_t *iv);

/* Quick Mode HASH(1) = prf(SKEYID_a, M-ID | rest) (RFC 2409 5.5), where rest
 * is the message after the HASH payload, payload headers included, padding
 * excluded. Also the Informational HASH(1) = prf(SKEYID_a, M-ID | N/D) (5.7).
 * out (caller's buffer) gets prf->out_len bytes. */
int ikev1_qm_hash1(const struct prf_alg *prf, const struct secret *skeyid_a, uint32_t msgid,
		   struct span rest, uint8_t *out);

/* Quick Mode HASH(2) = prf(SKEYID_a, M-ID | Ni_b | rest) (RFC 2409 5.5). */
int ikev1_qm_hash2(const struct prf_alg *prf, const struct secret *skeyid_a, uint32_t msgid,
		   struct span ni_b, struct span rest, uint8_t *out);

/* Quick Mode HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b) (RFC 2409 5.5). */
int ikev1_qm_hash3(const struct prf_alg *prf, const struct secret *skeyid_a, uint32_t msgid,
		   struct span ni_b, struct span nr_b, uint8_t *out);

/* Quick Mode KEYMAT of len bytes for one SA (RFC 2409 5.5):
 *   K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
 *   Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
 * g_qm is NULL without PFS; protocol is the Protocol-Id of the proposal
 * (3 = ESP); spi the SPI chosen by the SA's destination, as in its proposal
 * (4 octets for ESP/AH). ni_b/nr_b are the Quick Mode nonces. All borrowed;
 * *keymat (caller frees). */
int ikev1_qm_keymat(const struct prf_alg *prf, const struct secret *skeyid_d,
		    const struct span *g_qm, uint8_t protocol, struct span spi, struct span ni_b,
		    struct span nr_b, size_t len, struct secret **keymat);

/* ikev1_qm_keymat of encr_len + integ_len bytes split as encryption key then
 * integrity key (RFC 4301 / RFC 7296 2.17 order for ESP and AH). A key of
 * length 0 is NULL. (caller frees *encr and *integ) */
int ikev1_qm_keys(const struct prf_alg *prf, const struct secret *skeyid_d, const struct span *g_qm,
		  uint8_t protocol, struct span spi, struct span ni_b, struct span nr_b,
		  size_t encr_len, size_t integ_len, struct secret **encr, struct secret **integ);

#endif
