/* alg.h: the registry of every transform oak speaks, in one table.
 *
 * One row per (transform type, IKEv2 transform ID): encryption, PRF,
 * integrity and key exchange. Each row carries the IKEv1 numbers of the same
 * algorithm (RFC 2409 appendix A Phase 1 attributes; RFC 2407 4.4.3/4.4.4
 * ESP/AH transform IDs and 4.5 Authentication Algorithm values) and points to
 * the descriptor that does the work (encr.h, integ.h, prf.h; DH rows hold the
 * group number, resolved through dh_group_by_id() by their users).
 * Proposal keywords are strongSwan's (proposal_keywords_static.txt), so
 * swanctl.conf files move over unchanged: "aes256gcm16-prfsha384-ecp384".
 */
#ifndef OAK_CRYPTO_ALG_H
#define OAK_CRYPTO_ALG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/enum_names.h"

/* RFC 7296 3.3.2: Transform Type values. */
enum ikev2_trans_type {
	IKEV2_TRANS_ENCR = 1,
	IKEV2_TRANS_PRF = 2,
	IKEV2_TRANS_INTEG = 3,
	IKEV2_TRANS_KE = 4, /* "D-H" in RFC 7296, "Key Exchange Method" since RFC 9370 */
	IKEV2_TRANS_ESN = 5,
};

/* IKEv2 Transform Type 1: Encryption Algorithm Transform IDs (IANA). */
enum ikev2_encr {
	IKEV2_ENCR_DES = 2,
	IKEV2_ENCR_3DES = 3,
	IKEV2_ENCR_NULL = 11,
	IKEV2_ENCR_AES_CBC = 12,
	IKEV2_ENCR_AES_CTR = 13,
	IKEV2_ENCR_AES_CCM_8 = 14,
	IKEV2_ENCR_AES_CCM_12 = 15,
	IKEV2_ENCR_AES_CCM_16 = 16,
	IKEV2_ENCR_AES_GCM_8 = 18,
	IKEV2_ENCR_AES_GCM_12 = 19,
	IKEV2_ENCR_AES_GCM_16 = 20,
	IKEV2_ENCR_NULL_AUTH_AES_GMAC = 21,
	IKEV2_ENCR_CHACHA20_POLY1305 = 28,
};

/* IKEv2 Transform Type 2: Pseudorandom Function Transform IDs. */
enum ikev2_prf {
	IKEV2_PRF_HMAC_MD5 = 1,
	IKEV2_PRF_HMAC_SHA1 = 2,
	IKEV2_PRF_HMAC_TIGER = 3,
	IKEV2_PRF_AES128_XCBC = 4,
	IKEV2_PRF_HMAC_SHA2_256 = 5,
	IKEV2_PRF_HMAC_SHA2_384 = 6,
	IKEV2_PRF_HMAC_SHA2_512 = 7,
	IKEV2_PRF_AES128_CMAC = 8,
};

/* IKEv2 Transform Type 3: Integrity Algorithm Transform IDs ("AUTH_" in the RFC). */
enum ikev2_auth {
	IKEV2_AUTH_NONE = 0,
	IKEV2_AUTH_HMAC_MD5_96 = 1,
	IKEV2_AUTH_HMAC_SHA1_96 = 2,
	IKEV2_AUTH_DES_MAC = 3,
	IKEV2_AUTH_KPDK_MD5 = 4,
	IKEV2_AUTH_AES_XCBC_96 = 5,
	IKEV2_AUTH_HMAC_MD5_128 = 6,
	IKEV2_AUTH_HMAC_SHA1_160 = 7,
	IKEV2_AUTH_AES_CMAC_96 = 8,
	IKEV2_AUTH_AES_128_GMAC = 9,
	IKEV2_AUTH_AES_192_GMAC = 10,
	IKEV2_AUTH_AES_256_GMAC = 11,
	IKEV2_AUTH_HMAC_SHA2_256_128 = 12,
	IKEV2_AUTH_HMAC_SHA2_384_192 = 13,
	IKEV2_AUTH_HMAC_SHA2_512_256 = 14,
};

/* IKEv2 Transform Type 4 (and IKEv1 Group Description, RFC 2409 6 / RFC 3526 /
 * RFC 5903 / RFC 8031): the numbers are the same in both versions. */
enum ikev2_ke {
	IKEV2_KE_NONE = 0,
	IKEV2_KE_MODP_768 = 1,
	IKEV2_KE_MODP_1024 = 2,
	IKEV2_KE_MODP_1536 = 5,
	IKEV2_KE_MODP_2048 = 14,
	IKEV2_KE_MODP_3072 = 15,
	IKEV2_KE_MODP_4096 = 16,
	IKEV2_KE_MODP_6144 = 17,
	IKEV2_KE_MODP_8192 = 18,
	IKEV2_KE_ECP_256 = 19,
	IKEV2_KE_ECP_384 = 20,
	IKEV2_KE_ECP_521 = 21,
	IKEV2_KE_CURVE25519 = 31,
	IKEV2_KE_CURVE448 = 32,
};

/* RFC 2409 appendix A: Phase 1 attribute classes this registry resolves. */
#define IKEV1_ATTR_ENCRYPTION_ALGORITHM 1
#define IKEV1_ATTR_HASH_ALGORITHM	2
#define IKEV1_ATTR_GROUP_DESCRIPTION	4

/* RFC 7296 3.3.2: Extended Sequence Numbers transform IDs. */
enum ikev2_esn {
	IKEV2_ESN_NO = 0,
	IKEV2_ESN_YES = 1,
};

/* RFC 7296 3.3.5: the Key Length transform attribute. */
#define IKEV2_ATTR_KEY_LENGTH 14

/* IKEv1 Phase 1 Encryption Algorithm attribute values (RFC 2409 appendix A). */
enum ikev1_encr {
	IKEV1_ENCR_DES_CBC = 1,
	IKEV1_ENCR_IDEA_CBC = 2,
	IKEV1_ENCR_BLOWFISH_CBC = 3,
	IKEV1_ENCR_RC5_R16_B64_CBC = 4,
	IKEV1_ENCR_3DES_CBC = 5,
	IKEV1_ENCR_CAST_CBC = 6,
	IKEV1_ENCR_AES_CBC = 7, /* RFC 3602 */
	IKEV1_ENCR_CAMELLIA_CBC = 8,
};

/* IKEv1 Phase 1 Hash Algorithm attribute values (RFC 2409 appendix A, RFC 4868). */
enum ikev1_hash {
	IKEV1_HASH_MD5 = 1,
	IKEV1_HASH_SHA = 2,
	IKEV1_HASH_TIGER = 3,
	IKEV1_HASH_SHA2_256 = 4,
	IKEV1_HASH_SHA2_384 = 5,
	IKEV1_HASH_SHA2_512 = 6,
};

/* IPsec DOI ESP transform IDs (RFC 2407 4.4.4, IANA ipsec-registry). */
enum ikev1_esp {
	IKEV1_ESP_DES = 2,
	IKEV1_ESP_3DES = 3,
	IKEV1_ESP_NULL = 11,
	IKEV1_ESP_AES_CBC = 12,
	IKEV1_ESP_AES_CTR = 13,
	IKEV1_ESP_AES_GCM_8 = 18,
	IKEV1_ESP_AES_GCM_12 = 19,
	IKEV1_ESP_AES_GCM_16 = 20,
};

/* IPsec DOI AH transform IDs (RFC 2407 4.4.3). */
enum ikev1_ah {
	IKEV1_AH_MD5 = 2,
	IKEV1_AH_SHA = 3,
	IKEV1_AH_SHA2_256 = 5,
	IKEV1_AH_SHA2_384 = 6,
	IKEV1_AH_SHA2_512 = 7,
	IKEV1_AH_AES_XCBC_MAC = 9,
};

/* IPsec DOI Authentication Algorithm attribute values (RFC 2407 4.5). */
enum ikev1_auth {
	IKEV1_AUTH_HMAC_MD5 = 1,
	IKEV1_AUTH_HMAC_SHA = 2,
	IKEV1_AUTH_HMAC_SHA2_256 = 5,
	IKEV1_AUTH_HMAC_SHA2_384 = 6,
	IKEV1_AUTH_HMAC_SHA2_512 = 7,
	IKEV1_AUTH_AES_XCBC_MAC = 9,
};

struct encr_alg;
struct integ_alg;
struct prf_alg;

/* One transform. Exactly one of encr/integ/prf is set, or none for a KE row
 * (whose group number is ikev2_id; look it up with dh_group_by_id() of
 * crypto/dh.h) and an ESN row. */
struct alg_row {
	uint8_t type;	   /* enum ikev2_trans_type */
	uint16_t ikev2_id; /* IKEv2 transform ID of that type */
	uint16_t ikev1_p1; /* IKEv1 Phase 1 Encryption/Hash/Group Description value; 0 if none */
	uint16_t
		ikev1_p2; /* IKEv1 ESP transform ID (encr) or Authentication Algorithm (integ); 0 if none */
	uint16_t ikev1_ah; /* IKEv1 AH transform ID (integ); 0 if none */
	const char *name;  /* IANA name: "ENCR_AES_GCM_16", "AUTH_HMAC_SHA2_256_128", "MODP_2048" */
	const struct encr_alg *encr;
	const struct integ_alg *integ;
	const struct prf_alg *prf;
	bool weak; /* only by explicit configuration, never in default proposals (RFC 8247) */
};

/* A proposal keyword (strongSwan's spelling). */
struct alg_keyword {
	const char *keyword;
	uint8_t type;	   /* enum ikev2_trans_type */
	uint16_t ikev2_id; /* transform ID */
	uint16_t key_bits; /* Key Length attribute to send (RFC 7296 3.3.5); 0 when the
			    * transform has a fixed key length and takes no attribute */
};

/* Every row, in table order, and how many there are. (borrowed, static) */
const struct alg_row *alg_table(size_t *count);
/* Every keyword, in table order. (borrowed, static) */
const struct alg_keyword *alg_keywords(size_t *count);

/* The row of (type, ikev2 id); NULL if oak does not implement it. (borrowed, static) */
const struct alg_row *alg_by_ikev2(uint8_t type, uint16_t id);
/* The row of an IKEv1 Phase 1 attribute value (RFC 2409 appendix A); p1_attr
 * is IKEV1_ATTR_ENCRYPTION_ALGORITHM (-> encryption row),
 * IKEV1_ATTR_HASH_ALGORITHM (-> the PRF row of its HMAC, RFC 2409 5) or
 * IKEV1_ATTR_GROUP_DESCRIPTION (-> key exchange row). NULL if unknown or
 * unimplemented. (borrowed, static) */
const struct alg_row *alg_by_ikev1_p1(uint16_t p1_attr, uint16_t value);
/* ESP transform ID (RFC 2407 4.4.4) -> encryption row. */
const struct alg_row *alg_by_esp_id(uint16_t esp_id);
/* Authentication Algorithm attribute (RFC 2407 4.5) -> integrity row. */
const struct alg_row *alg_by_ikev1_auth(uint16_t auth);
/* AH transform ID (RFC 2407 4.4.3) -> integrity row. */
const struct alg_row *alg_by_ah_id(uint16_t ah_id);

/* A keyword (case-sensitive, as strongSwan) -> its entry; NULL if unknown. (borrowed, static) */
const struct alg_keyword *alg_by_keyword(const char *keyword);
/* The canonical keyword of (type, id, key_bits), e.g. "aes256gcm16"; NULL if none. (static) */
const char *alg_keyword_of(uint8_t type, uint16_t id, uint16_t key_bits);

/* Names for logs, as in the IANA registry ("ENCR_AES_GCM_16"). (static) */
extern const struct enum_names ikev2_trans_type_names;
extern const struct enum_names ikev2_encr_names;
extern const struct enum_names ikev2_prf_names;
extern const struct enum_names ikev2_auth_names;
extern const struct enum_names ikev2_ke_names;
extern const struct enum_names ikev2_esn_names;
extern const struct enum_names ikev1_encr_names;
extern const struct enum_names ikev1_hash_names;
extern const struct enum_names ikev1_esp_names;
extern const struct enum_names ikev1_ah_names;
extern const struct enum_names ikev1_auth_names;

/* The IANA name of transform (type, id) or "UNKNOWN(n)" formatted into buf. */
const char *alg_ikev2_name(uint8_t type, uint16_t id, char *buf, size_t n);

#endif
