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

#include "lib/iana_ike.h"

/* The protocol numbers are defined once, in lib/iana_ike.h. The registry's
 * own spellings below are aliases of them: RFC 9370's "KE" for transform
 * type 4, the IPsec DOI's numbers under IKEV1_ESP/AH/AUTH names. */
#define IKEV2_TRANS_KE	    IKEV2_TRANS_DH
#define IKEV2_KE_NONE	    IKEV2_DH_NONE
#define IKEV2_KE_MODP_768   IKEV2_DH_MODP_768
#define IKEV2_KE_MODP_1024  IKEV2_DH_MODP_1024
#define IKEV2_KE_MODP_1536  IKEV2_DH_MODP_1536
#define IKEV2_KE_MODP_2048  IKEV2_DH_MODP_2048
#define IKEV2_KE_MODP_3072  IKEV2_DH_MODP_3072
#define IKEV2_KE_MODP_4096  IKEV2_DH_MODP_4096
#define IKEV2_KE_MODP_6144  IKEV2_DH_MODP_6144
#define IKEV2_KE_MODP_8192  IKEV2_DH_MODP_8192
#define IKEV2_KE_ECP_256    IKEV2_DH_ECP_256
#define IKEV2_KE_ECP_384    IKEV2_DH_ECP_384
#define IKEV2_KE_ECP_521    IKEV2_DH_ECP_521
#define IKEV2_KE_CURVE25519 IKEV2_DH_CURVE25519
#define IKEV2_KE_CURVE448   IKEV2_DH_CURVE448

/* RFC 2409 appendix A: Phase 1 attribute classes this registry resolves. */
#define IKEV1_ATTR_ENCRYPTION_ALGORITHM 1
#define IKEV1_ATTR_HASH_ALGORITHM	2
#define IKEV1_ATTR_GROUP_DESCRIPTION	4

#define IKEV1_HASH_SHA IKEV1_HASH_SHA1

#define IKEV1_ESP_DES	     IPSEC_ESP_DES
#define IKEV1_ESP_3DES	     IPSEC_ESP_3DES
#define IKEV1_ESP_NULL	     IPSEC_ESP_NULL
#define IKEV1_ESP_AES_CBC    IPSEC_ESP_AES_CBC
#define IKEV1_ESP_AES_CTR    IPSEC_ESP_AES_CTR
#define IKEV1_ESP_AES_GCM_8  IPSEC_ESP_AES_GCM_8
#define IKEV1_ESP_AES_GCM_12 IPSEC_ESP_AES_GCM_12
#define IKEV1_ESP_AES_GCM_16 IPSEC_ESP_AES_GCM_16

#define IKEV1_AH_MD5	      IPSEC_AH_MD5
#define IKEV1_AH_SHA	      IPSEC_AH_SHA
#define IKEV1_AH_SHA2_256     IPSEC_AH_SHA2_256
#define IKEV1_AH_SHA2_384     IPSEC_AH_SHA2_384
#define IKEV1_AH_SHA2_512     IPSEC_AH_SHA2_512
#define IKEV1_AH_AES_XCBC_MAC IPSEC_AH_AES_XCBC_MAC

#define IKEV1_AUTH_HMAC_MD5	 IPSEC_AUTH_HMAC_MD5
#define IKEV1_AUTH_HMAC_SHA	 IPSEC_AUTH_HMAC_SHA
#define IKEV1_AUTH_HMAC_SHA2_256 IPSEC_AUTH_HMAC_SHA2_256
#define IKEV1_AUTH_HMAC_SHA2_384 IPSEC_AUTH_HMAC_SHA2_384
#define IKEV1_AUTH_HMAC_SHA2_512 IPSEC_AUTH_HMAC_SHA2_512
#define IKEV1_AUTH_AES_XCBC_MAC	 IPSEC_AUTH_AES_XCBC_MAC

struct encr_alg;
struct integ_alg;
struct prf_alg;

/* One transform. Exactly one of encr/integ/prf is set, or none for a KE row
 * (whose group number is ikev2_id; look it up with dh_group_by_id() of
 * crypto/dh.h) and an ESN row. Members are ordered by size so that the
 * table packs without holes; alg.c initializes them by name. */
struct alg_row {
	const char *name; /* IANA name: "ENCR_AES_GCM_16", "AUTH_HMAC_SHA2_256_128", "MODP_2048" */
	const struct encr_alg *encr;
	const struct integ_alg *integ;
	const struct prf_alg *prf;
	uint16_t ikev2_id; /* IKEv2 transform ID of that type */
	uint16_t ikev1_p1; /* IKEv1 Phase 1 Encryption/Hash/Group Description value; 0 if none */
	uint16_t
		ikev1_p2; /* IKEv1 ESP transform ID (encr) or Authentication Algorithm (integ); 0 if none */
	uint16_t ikev1_ah; /* IKEv1 AH transform ID (integ); 0 if none */
	uint8_t type;	   /* enum ikev2_transform_type */
	bool weak; /* only by explicit configuration, never in default proposals (RFC 8247) */
};

/* A proposal keyword (strongSwan's spelling). */
struct alg_keyword {
	const char *keyword;
	uint8_t type;	   /* enum ikev2_transform_type */
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
extern const struct enum_names alg_ikev2_trans_type_names;
extern const struct enum_names alg_ikev2_encr_names;
extern const struct enum_names alg_ikev2_prf_names;
extern const struct enum_names alg_ikev2_auth_names;
extern const struct enum_names alg_ikev2_ke_names;
extern const struct enum_names alg_ikev2_esn_names;
extern const struct enum_names alg_ikev1_encr_names;
extern const struct enum_names alg_ikev1_hash_names;
extern const struct enum_names alg_ikev1_esp_names;
extern const struct enum_names alg_ikev1_ah_names;
extern const struct enum_names alg_ikev1_auth_names;

/* The IANA name of transform (type, id) or "UNKNOWN(n)" formatted into buf. */
const char *alg_ikev2_name(uint8_t type, uint16_t id, char *buf, size_t n);

#endif
