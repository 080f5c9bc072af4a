/* alg.c: the transform registry (see alg.h), its keywords and name tables. */
#include "crypto/alg.h"

#include <stdio.h>
#include <string.h>

#include "crypto/encr.h"
#include "crypto/integ.h"
#include "crypto/prf.h"
#include "lib/util.h"

/* A row from the RFC name X: IKEV2_ENCR_X, "ENCR_X" and descriptor d. */
#define ENCR(x, d, p1, esp, w)                                                                     \
	{                                                                                          \
		.type = IKEV2_TRANS_ENCR, .ikev2_id = IKEV2_ENCR_##x, .ikev1_p1 = (p1),            \
		.ikev1_p2 = (esp), .name = "ENCR_" #x, .encr = &(d), .weak = (w)                   \
	}
#define PRF(x, d, hash, w)                                                                         \
	{                                                                                          \
		.type = IKEV2_TRANS_PRF, .ikev2_id = IKEV2_PRF_##x, .ikev1_p1 = (hash),            \
		.name = "PRF_" #x, .prf = &(d), .weak = (w)                                        \
	}
#define INTEG(x, d, auth, ah, w)                                                                   \
	{                                                                                          \
		.type = IKEV2_TRANS_INTEG, .ikev2_id = IKEV2_AUTH_##x, .ikev1_p2 = (auth),         \
		.ikev1_ah = (ah), .name = "AUTH_" #x, .integ = &(d), .weak = (w)                   \
	}
/* The group numbers of RFC 2409/3526/5903 are the same in IKEv1 and IKEv2; IANA
 * assigned Curve25519/448 (RFC 8031) for IKEv2 only. */
#define KE(id, v1, nm, w)                                                                          \
	{                                                                                          \
		.type = IKEV2_TRANS_KE, .ikev2_id = (id), .ikev1_p1 = (v1), .name = (nm),          \
		.weak = (w)                                                                        \
	}

/* "weak": RFC 8247 MUST NOT / SHOULD NOT, or a group below 2048 bits (RFC 8247 2.4). */
static const struct alg_row alg_rows[] = {
	ENCR(AES_CBC, encr_aes_cbc, IKEV1_ENCR_AES_CBC, IKEV1_ESP_AES_CBC, false),
	ENCR(AES_CTR, encr_aes_ctr, 0, IKEV1_ESP_AES_CTR, false),
	ENCR(AES_GCM_8, encr_aes_gcm_8, 0, IKEV1_ESP_AES_GCM_8, false),
	ENCR(AES_GCM_12, encr_aes_gcm_12, 0, IKEV1_ESP_AES_GCM_12, false),
	ENCR(AES_GCM_16, encr_aes_gcm_16, 0, IKEV1_ESP_AES_GCM_16, false),
	ENCR(CHACHA20_POLY1305, encr_chacha20_poly1305, 0, 0, false),
	ENCR(3DES, encr_3des, IKEV1_ENCR_3DES_CBC, IKEV1_ESP_3DES, true),
	ENCR(DES, encr_des, IKEV1_ENCR_DES_CBC, IKEV1_ESP_DES, true),
	PRF(HMAC_SHA2_256, prf_hmac_sha2_256, IKEV1_HASH_SHA2_256, false),
	PRF(HMAC_SHA2_384, prf_hmac_sha2_384, IKEV1_HASH_SHA2_384, false),
	PRF(HMAC_SHA2_512, prf_hmac_sha2_512, IKEV1_HASH_SHA2_512, false),
	PRF(AES128_XCBC, prf_aes128_xcbc, 0, false),
	PRF(HMAC_SHA1, prf_hmac_sha1, IKEV1_HASH_SHA, true),
	PRF(HMAC_MD5, prf_hmac_md5, IKEV1_HASH_MD5, true),
	INTEG(HMAC_SHA2_256_128, integ_hmac_sha2_256_128, IKEV1_AUTH_HMAC_SHA2_256,
	      IKEV1_AH_SHA2_256, false),
	INTEG(HMAC_SHA2_384_192, integ_hmac_sha2_384_192, IKEV1_AUTH_HMAC_SHA2_384,
	      IKEV1_AH_SHA2_384, false),
	INTEG(HMAC_SHA2_512_256, integ_hmac_sha2_512_256, IKEV1_AUTH_HMAC_SHA2_512,
	      IKEV1_AH_SHA2_512, false),
	INTEG(AES_XCBC_96, integ_aes_xcbc_96, IKEV1_AUTH_AES_XCBC_MAC, IKEV1_AH_AES_XCBC_MAC,
	      false),
	INTEG(HMAC_SHA1_96, integ_hmac_sha1_96, IKEV1_AUTH_HMAC_SHA, IKEV1_AH_SHA, true),
	INTEG(HMAC_MD5_96, integ_hmac_md5_96, IKEV1_AUTH_HMAC_MD5, IKEV1_AH_MD5, true),
	INTEG(HMAC_SHA1_160, integ_hmac_sha1_160, 0, 0, true),
	INTEG(HMAC_MD5_128, integ_hmac_md5_128, 0, 0, true),
	KE(IKEV2_KE_CURVE25519, 0, "CURVE25519", false),
	KE(IKEV2_KE_CURVE448, 0, "CURVE448", false),
	KE(IKEV2_KE_ECP_256, 19, "ECP_256", false),
	KE(IKEV2_KE_ECP_384, 20, "ECP_384", false),
	KE(IKEV2_KE_ECP_521, 21, "ECP_521", false),
	KE(IKEV2_KE_MODP_2048, 14, "MODP_2048", false),
	KE(IKEV2_KE_MODP_3072, 15, "MODP_3072", false),
	KE(IKEV2_KE_MODP_4096, 16, "MODP_4096", false),
	KE(IKEV2_KE_MODP_6144, 17, "MODP_6144", false),
	KE(IKEV2_KE_MODP_8192, 18, "MODP_8192", false),
	KE(IKEV2_KE_MODP_1536, 5, "MODP_1536", true),
	KE(IKEV2_KE_MODP_1024, 2, "MODP_1024", true),
	KE(IKEV2_KE_MODP_768, 1, "MODP_768", true),
	{.type = IKEV2_TRANS_ESN, .ikev2_id = IKEV2_ESN_NO, .name = "NO_ESN"},
	{.type = IKEV2_TRANS_ESN, .ikev2_id = IKEV2_ESN_YES, .name = "ESN"},
};

#define KW_ENCR(k, id, bits)                                                                       \
	{                                                                                          \
		(k), IKEV2_TRANS_ENCR, (id), (bits)                                                \
	}
#define KW_GCM(bits)                                                                               \
	KW_ENCR("aes" #bits "gcm16", IKEV2_ENCR_AES_GCM_16, bits),                                 \
		KW_ENCR("aes" #bits "gcm128", IKEV2_ENCR_AES_GCM_16, bits),                        \
		KW_ENCR("aes" #bits "gcm", IKEV2_ENCR_AES_GCM_16, bits),                           \
		KW_ENCR("aes" #bits "gcm12", IKEV2_ENCR_AES_GCM_12, bits),                         \
		KW_ENCR("aes" #bits "gcm96", IKEV2_ENCR_AES_GCM_12, bits),                         \
		KW_ENCR("aes" #bits "gcm8", IKEV2_ENCR_AES_GCM_8, bits),                           \
		KW_ENCR("aes" #bits "gcm64", IKEV2_ENCR_AES_GCM_8, bits)
#define KW(k, type, id)                                                                            \
	{                                                                                          \
		(k), IKEV2_TRANS_##type, (id), 0                                                   \
	}

/* strongSwan's spellings (proposal_keywords_static.txt) for what oak implements.
 * The first keyword of a (type, id, key_bits) is its canonical one. */
static const struct alg_keyword alg_kw[] = {
	KW_ENCR("aes128", IKEV2_ENCR_AES_CBC, 128),
	KW_ENCR("aes192", IKEV2_ENCR_AES_CBC, 192),
	KW_ENCR("aes256", IKEV2_ENCR_AES_CBC, 256),
	KW_ENCR("aes", IKEV2_ENCR_AES_CBC, 128),
	KW_ENCR("aes128ctr", IKEV2_ENCR_AES_CTR, 128),
	KW_ENCR("aes192ctr", IKEV2_ENCR_AES_CTR, 192),
	KW_ENCR("aes256ctr", IKEV2_ENCR_AES_CTR, 256),
	KW_GCM(128),
	KW_GCM(192),
	KW_GCM(256),
	KW("chacha20poly1305", ENCR, IKEV2_ENCR_CHACHA20_POLY1305),
	KW("3des", ENCR, IKEV2_ENCR_3DES),
	KW("des", ENCR, IKEV2_ENCR_DES),
	KW("sha256", INTEG, IKEV2_AUTH_HMAC_SHA2_256_128),
	KW("sha2_256", INTEG, IKEV2_AUTH_HMAC_SHA2_256_128),
	KW("sha384", INTEG, IKEV2_AUTH_HMAC_SHA2_384_192),
	KW("sha2_384", INTEG, IKEV2_AUTH_HMAC_SHA2_384_192),
	KW("sha512", INTEG, IKEV2_AUTH_HMAC_SHA2_512_256),
	KW("sha2_512", INTEG, IKEV2_AUTH_HMAC_SHA2_512_256),
	KW("aesxcbc", INTEG, IKEV2_AUTH_AES_XCBC_96),
	KW("sha1", INTEG, IKEV2_AUTH_HMAC_SHA1_96),
	KW("sha", INTEG, IKEV2_AUTH_HMAC_SHA1_96),
	KW("sha1_160", INTEG, IKEV2_AUTH_HMAC_SHA1_160),
	KW("md5", INTEG, IKEV2_AUTH_HMAC_MD5_96),
	KW("md5_128", INTEG, IKEV2_AUTH_HMAC_MD5_128),
	KW("prfsha256", PRF, IKEV2_PRF_HMAC_SHA2_256),
	KW("prfsha384", PRF, IKEV2_PRF_HMAC_SHA2_384),
	KW("prfsha512", PRF, IKEV2_PRF_HMAC_SHA2_512),
	KW("prfaesxcbc", PRF, IKEV2_PRF_AES128_XCBC),
	KW("prfsha1", PRF, IKEV2_PRF_HMAC_SHA1),
	KW("prfmd5", PRF, IKEV2_PRF_HMAC_MD5),
	KW("curve25519", KE, IKEV2_KE_CURVE25519),
	KW("x25519", KE, IKEV2_KE_CURVE25519),
	KW("curve448", KE, IKEV2_KE_CURVE448),
	KW("x448", KE, IKEV2_KE_CURVE448),
	KW("ecp256", KE, IKEV2_KE_ECP_256),
	KW("ecp384", KE, IKEV2_KE_ECP_384),
	KW("ecp521", KE, IKEV2_KE_ECP_521),
	KW("modp2048", KE, IKEV2_KE_MODP_2048),
	KW("modp3072", KE, IKEV2_KE_MODP_3072),
	KW("modp4096", KE, IKEV2_KE_MODP_4096),
	KW("modp6144", KE, IKEV2_KE_MODP_6144),
	KW("modp8192", KE, IKEV2_KE_MODP_8192),
	KW("modp1536", KE, IKEV2_KE_MODP_1536),
	KW("modp1024", KE, IKEV2_KE_MODP_1024),
	KW("modp768", KE, IKEV2_KE_MODP_768),
	KW("noesn", ESN, IKEV2_ESN_NO),
	KW("esn", ESN, IKEV2_ESN_YES),
};

const struct alg_row *alg_table(size_t *count)
{
	if (count != NULL)
		*count = ARRAY_SIZE(alg_rows);
	return alg_rows;
}

const struct alg_keyword *alg_keywords(size_t *count)
{
	if (count != NULL)
		*count = ARRAY_SIZE(alg_kw);
	return alg_kw;
}

const struct alg_row *alg_by_ikev2(uint8_t type, uint16_t id)
{
	for (size_t i = 0; i < ARRAY_SIZE(alg_rows); i++)
		if (alg_rows[i].type == type && alg_rows[i].ikev2_id == id)
			return &alg_rows[i];
	return NULL;
}

const struct alg_row *alg_by_ikev1_p1(uint16_t p1_attr, uint16_t value)
{
	uint8_t type;

	switch (p1_attr) {
	case IKEV1_ATTR_ENCRYPTION_ALGORITHM:
		type = IKEV2_TRANS_ENCR;
		break;
	case IKEV1_ATTR_HASH_ALGORITHM:
		type = IKEV2_TRANS_PRF;
		break;
	case IKEV1_ATTR_GROUP_DESCRIPTION:
		type = IKEV2_TRANS_KE;
		break;
	default:
		return NULL;
	}
	if (value == 0)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(alg_rows); i++)
		if (alg_rows[i].type == type && alg_rows[i].ikev1_p1 == value)
			return &alg_rows[i];
	return NULL;
}

static const struct alg_row *alg_find_v1(uint8_t type, uint16_t value, bool ah)
{
	if (value == 0)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(alg_rows); i++)
		if (alg_rows[i].type == type &&
		    (ah ? alg_rows[i].ikev1_ah : alg_rows[i].ikev1_p2) == value)
			return &alg_rows[i];
	return NULL;
}

const struct alg_row *alg_by_esp_id(uint16_t esp_id)
{
	return alg_find_v1(IKEV2_TRANS_ENCR, esp_id, false);
}

const struct alg_row *alg_by_ikev1_auth(uint16_t auth)
{
	return alg_find_v1(IKEV2_TRANS_INTEG, auth, false);
}

const struct alg_row *alg_by_ah_id(uint16_t ah_id)
{
	return alg_find_v1(IKEV2_TRANS_INTEG, ah_id, true);
}

const struct alg_keyword *alg_by_keyword(const char *keyword)
{
	if (keyword == NULL)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(alg_kw); i++)
		if (strcmp(alg_kw[i].keyword, keyword) == 0)
			return &alg_kw[i];
	return NULL;
}

const char *alg_keyword_of(uint8_t type, uint16_t id, uint16_t key_bits)
{
	for (size_t i = 0; i < ARRAY_SIZE(alg_kw); i++)
		if (alg_kw[i].type == type && alg_kw[i].ikev2_id == id &&
		    alg_kw[i].key_bits == key_bits)
			return alg_kw[i].keyword;
	return NULL;
}

/* IANA names (ikev2-parameters, isakmp-registry, ipsec-registry). */
ENUM_NAMES(alg_ikev2_trans_type_names, 1, NULL, "ENCR", "PRF", "INTEG", "KE", "ESN");
ENUM_NAMES(alg_ikev2_encr_names, 1, NULL, "ENCR_DES_IV64", "ENCR_DES", "ENCR_3DES", "ENCR_RC5",
	   "ENCR_IDEA", "ENCR_CAST", "ENCR_BLOWFISH", "ENCR_3IDEA", "ENCR_DES_IV32", NULL,
	   "ENCR_NULL", "ENCR_AES_CBC", "ENCR_AES_CTR", "ENCR_AES_CCM_8", "ENCR_AES_CCM_12",
	   "ENCR_AES_CCM_16", NULL, "ENCR_AES_GCM_8", "ENCR_AES_GCM_12", "ENCR_AES_GCM_16",
	   "ENCR_NULL_AUTH_AES_GMAC", NULL, "ENCR_CAMELLIA_CBC", "ENCR_CAMELLIA_CTR",
	   "ENCR_CAMELLIA_CCM_8", "ENCR_CAMELLIA_CCM_12", "ENCR_CAMELLIA_CCM_16",
	   "ENCR_CHACHA20_POLY1305", "ENCR_AES_CCM_8_IIV", "ENCR_AES_GCM_16_IIV",
	   "ENCR_CHACHA20_POLY1305_IIV");
ENUM_NAMES(alg_ikev2_prf_names, 1, NULL, "PRF_HMAC_MD5", "PRF_HMAC_SHA1", "PRF_HMAC_TIGER",
	   "PRF_AES128_XCBC", "PRF_HMAC_SHA2_256", "PRF_HMAC_SHA2_384", "PRF_HMAC_SHA2_512",
	   "PRF_AES128_CMAC");
ENUM_NAMES(alg_ikev2_auth_names, 0, NULL, "NONE", "AUTH_HMAC_MD5_96", "AUTH_HMAC_SHA1_96",
	   "AUTH_DES_MAC", "AUTH_KPDK_MD5", "AUTH_AES_XCBC_96", "AUTH_HMAC_MD5_128",
	   "AUTH_HMAC_SHA1_160", "AUTH_AES_CMAC_96", "AUTH_AES_128_GMAC", "AUTH_AES_192_GMAC",
	   "AUTH_AES_256_GMAC", "AUTH_HMAC_SHA2_256_128", "AUTH_HMAC_SHA2_384_192",
	   "AUTH_HMAC_SHA2_512_256");
ENUM_NAMES(alg_ikev2_ke_names, 0, NULL, "NONE", "MODP_768", "MODP_1024", NULL, NULL, "MODP_1536",
	   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "MODP_2048", "MODP_3072", "MODP_4096",
	   "MODP_6144", "MODP_8192", "ECP_256", "ECP_384", "ECP_521", "MODP_1024_160",
	   "MODP_2048_224", "MODP_2048_256", "ECP_192", "ECP_224", "ECP_224_BP", "ECP_256_BP",
	   "ECP_384_BP", "ECP_512_BP", "CURVE25519", "CURVE448");
ENUM_NAMES(alg_ikev2_esn_names, 0, NULL, "NO_ESN", "ESN");
ENUM_NAMES(alg_ikev1_encr_names, 1, NULL, "DES_CBC", "IDEA_CBC", "BLOWFISH_CBC", "RC5_R16_B64_CBC",
	   "3DES_CBC", "CAST_CBC", "AES_CBC", "CAMELLIA_CBC");
ENUM_NAMES(alg_ikev1_hash_names, 1, NULL, "MD5", "SHA", "TIGER", "SHA2_256", "SHA2_384",
	   "SHA2_512");
ENUM_NAMES(alg_ikev1_esp_names, 1, NULL, "ESP_DES_IV64", "ESP_DES", "ESP_3DES", "ESP_RC5",
	   "ESP_IDEA", "ESP_CAST", "ESP_BLOWFISH", "ESP_3IDEA", "ESP_DES_IV32", "ESP_RC4",
	   "ESP_NULL", "ESP_AES_CBC", "ESP_AES_CTR", "ESP_AES_CCM_8", "ESP_AES_CCM_12",
	   "ESP_AES_CCM_16", NULL, "ESP_AES_GCM_8", "ESP_AES_GCM_12", "ESP_AES_GCM_16",
	   "ESP_SEED_CBC", "ESP_CAMELLIA", "ESP_NULL_AUTH_AES_GMAC");
ENUM_NAMES(alg_ikev1_ah_names, 2, NULL, "AH_MD5", "AH_SHA", "AH_DES", "AH_SHA2_256", "AH_SHA2_384",
	   "AH_SHA2_512", "AH_RIPEMD", "AH_AES_XCBC_MAC", "AH_RSA", "AH_AES_128_GMAC",
	   "AH_AES_192_GMAC", "AH_AES_256_GMAC");
ENUM_NAMES(alg_ikev1_auth_names, 1, NULL, "HMAC_MD5", "HMAC_SHA", "DES_MAC", "KPDK",
	   "HMAC_SHA2_256", "HMAC_SHA2_384", "HMAC_SHA2_512", "HMAC_RIPEMD", "AES_XCBC_MAC",
	   "SIG_RSA", "AES_128_GMAC", "AES_192_GMAC", "AES_256_GMAC");

const char *alg_ikev2_name(uint8_t type, uint16_t id, char *buf, size_t n)
{
	static const struct enum_names *const by_type[] = {
		NULL,
		&alg_ikev2_encr_names,
		&alg_ikev2_prf_names,
		&alg_ikev2_auth_names,
		&alg_ikev2_ke_names,
		&alg_ikev2_esn_names,
	};

	if (type < ARRAY_SIZE(by_type) && by_type[type] != NULL)
		return enum_name_or(by_type[type], id, buf, n);
	snprintf(buf, n, "UNKNOWN(%u/%u)", (unsigned)type, (unsigned)id);
	return buf;
}
