/* encr.h: encryption transforms (RFC 7296 3.3.2 Transform Type 1).
 *
 * DES and 3DES (CBC, RFC 2405/2451), AES-CBC (RFC 3602), AES-CTR (RFC 3686,
 * RFC 5930), AES-GCM with 8/12/16-byte ICV (RFC 4106, RFC 5282) and
 * ChaCha20-Poly1305 (RFC 7634).
 *
 * Keys: `key` is the keying material of the SA for this algorithm, as IKE
 * derives it (SK_ei, RFC 7296 2.14; KEYMAT for ESP): the cipher key followed
 * by salt_len bytes of salt/nonce (RFC 3686 5.1, RFC 5282 7.1, RFC 7634 2).
 * encr_keymat_len() says how many bytes that is for a negotiated key length.
 *
 * IVs: `iv` is what travels on the wire (iv_len bytes): the full CBC IV, or
 * the 8-byte explicit IV of CTR/GCM/ChaCha20-Poly1305 (the counter block or
 * nonce is built here from salt | iv). Callers draw IKEv2 IVs with
 * rand_bytes(); IKEv1 (RFC 2409 appendix B) chains them: the IV of the next
 * message is the last ciphertext block of this one, which the caller takes
 * from its own buffer (out after encryption, in before decryption:
 * ciphertext + len - block_size).
 *
 * Padding is the caller's (IKEv2 SK payload, RFC 7296 3.14; IKEv1): CBC input
 * must be a multiple of block_size; counter and AEAD modes take any length.
 */
#ifndef OAK_CRYPTO_ENCR_H
#define OAK_CRYPTO_ENCR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cursor.h"

enum encr_mode {
	ENCR_MODE_CBC,
	ENCR_MODE_CTR,		     /* RFC 3686 counter block: nonce | IV | counter from 1 */
	ENCR_MODE_GCM,		     /* RFC 4106 nonce: salt | IV */
	ENCR_MODE_CHACHA20_POLY1305, /* RFC 7634 nonce: salt | IV */
};

struct encr_alg {
	uint16_t ikev2_id; /* IKEv2 Transform Type 1 ID */
	const char *name;  /* for logs: "ENCR_AES_GCM_16" */
	enum encr_mode mode;
	uint16_t key_bits[3];  /* cipher key sizes it takes (bits, without salt); 0 ends the list */
	bool key_attr;	       /* a Key Length attribute is required (RFC 7296 3.3.5); when
				 * false the key has the fixed size key_bits[0] and the
				 * transform carries no attribute (RFC 7634 2: MUST NOT) */
	uint8_t salt_len;      /* keying-material bytes after the key */
	uint8_t block_size;    /* padding unit (RFC 7296 3.14); 1 for counter and AEAD modes */
	uint8_t iv_len;	       /* bytes of IV on the wire */
	uint8_t icv_len;       /* AEAD ICV bytes; 0 when not AEAD */
	bool aead;	       /* no separate integrity transform (RFC 5282 8) */
	bool legacy;	       /* single DES: OpenSSL legacy provider (legacy.h) */
	const char *xfrm_name; /* kernel algorithm for ESP: "rfc4106(gcm(aes))" */
	const char *evp_name[3]; /* OpenSSL cipher per key_bits entry */
	uint8_t slot;		 /* cache slot of evp_name[0] (internal) */
};

extern const struct encr_alg encr_des;
extern const struct encr_alg encr_3des;
extern const struct encr_alg encr_aes_cbc;
extern const struct encr_alg encr_aes_ctr;
extern const struct encr_alg encr_aes_gcm_8;
extern const struct encr_alg encr_aes_gcm_12;
extern const struct encr_alg encr_aes_gcm_16;
extern const struct encr_alg encr_chacha20_poly1305;

/* (borrowed, static) NULL if unknown or unimplemented. */
const struct encr_alg *encr_by_ikev2_id(uint16_t id);

/* Whether key_bits (the Key Length attribute, 0 when absent) is valid for alg. */
bool encr_key_bits_ok(const struct encr_alg *alg, unsigned key_bits);
/* Bytes of keying material (key + salt) for key_bits (0: the fixed size);
 * 0 when key_bits is not valid for alg. */
size_t encr_keymat_len(const struct encr_alg *alg, unsigned key_bits);
/* The key length the kernel wants for ESP (XFRMA_ALG_CRYPT/AEAD alg_key_len),
 * in bits, salt included: AES-GCM-128 -> 160, ChaCha20-Poly1305 -> 288. 0 if invalid. */
unsigned encr_esp_key_bits(const struct encr_alg *alg, unsigned key_bits);

/* Encrypt len bytes from in to out (caller's buffer of len bytes; may be in).
 * key: key_len bytes of keying material (borrowed); iv: iv_len bytes (borrowed).
 * aad: naad spans authenticated in order (AEAD only; e.g. the IKE header
 * through the SK payload header, RFC 5282 5.1); icv: alg->icv_len bytes out
 * for AEAD, ignored (may be NULL) otherwise.
 * 0; -EINVAL for a NULL alg, a key_len/iv_len that does not fit alg, CBC input
 * that is not whole blocks, or AAD for a non-AEAD algorithm; -ENOTSUP when
 * libcrypto lacks the cipher (DES without the legacy provider); -EIO. */
int encr_encrypt(const struct encr_alg *alg, const uint8_t *key, size_t key_len, const uint8_t *iv,
		 size_t iv_len, const struct span *aad, size_t naad, const uint8_t *in, size_t len,
		 uint8_t *out, uint8_t *icv);

/* The inverse: icv (borrowed, alg->icv_len bytes) is checked for AEAD.
 * -EBADMSG when it does not match (out is then zeroed); else as encr_encrypt. */
int encr_decrypt(const struct encr_alg *alg, const uint8_t *key, size_t key_len, const uint8_t *iv,
		 size_t iv_len, const struct span *aad, size_t naad, const uint8_t *in, size_t len,
		 uint8_t *out, const uint8_t *icv);

#endif
