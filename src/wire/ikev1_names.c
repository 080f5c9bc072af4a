/* ikev1_names.c: names of IKEv1 / ISAKMP / IPsec DOI numbers, well-known
 * vendor IDs. Spellings follow the RFCs and IANA registries. */
#include "wire/ikev1_names.h"

#include <stdio.h>
#include <string.h>

#include "lib/hex.h"
#include "lib/util.h"

/* RFC 2408 3.1, RFC 2409 9 (Quick Mode, New Group Mode), draft-dukes-ike-mode-cfg. */
ENUM_NAMES(ikev1_exchange_names_quick, 32, NULL, "QUICK_MODE", "NEW_GROUP_MODE");
ENUM_NAMES(ikev1_exchange_names, 0, &ikev1_exchange_names_quick, "NONE", "BASE", "MAIN_MODE",
	   "AUTH_ONLY", "AGGRESSIVE", "INFORMATIONAL", "TRANSACTION");

/* RFC 2408 3.1, RFC 3547 (GDOI 15-19, 22), RFC 3947, vendor payloads. */
ENUM_NAMES(ikev1_payload_names_priv, 129, NULL, "GSS", "NAT-D(draft)", "NAT-OA(draft)", "FRAG");
ENUM_NAMES(ikev1_payload_names, 0, &ikev1_payload_names_priv, "NONE", "SA", "P", "T", "KE", "ID",
	   "CERT", "CR", "HASH", "SIG", "NONCE", "N", "D", "VID", "ATTR", "SAK", "SAT", "KD", "SEQ",
	   "POP", "NAT-D", "NAT-OA", "GAP");

/* RFC 3706 5.2 */
ENUM_NAMES(ikev1_notify_names_dpd, 36136, NULL, "R-U-THERE", "R-U-THERE-ACK");
/* RFC 2407 4.6.3 */
ENUM_NAMES(ikev1_notify_names_ipsec, 24576, &ikev1_notify_names_dpd, "RESPONDER-LIFETIME",
	   "REPLAY-STATUS", "INITIAL-CONTACT");
ENUM_NAMES(ikev1_notify_names_status, 16384, &ikev1_notify_names_ipsec, "CONNECTED");
/* RFC 2408 3.14.1 */
ENUM_NAMES(ikev1_notify_names, 1, &ikev1_notify_names_status, "INVALID-PAYLOAD-TYPE",
	   "DOI-NOT-SUPPORTED", "SITUATION-NOT-SUPPORTED", "INVALID-COOKIE",
	   "INVALID-MAJOR-VERSION", "INVALID-MINOR-VERSION", "INVALID-EXCHANGE-TYPE",
	   "INVALID-FLAGS", "INVALID-MESSAGE-ID", "INVALID-PROTOCOL-ID", "INVALID-SPI",
	   "INVALID-TRANSFORM-ID", "ATTRIBUTES-NOT-SUPPORTED", "NO-PROPOSAL-CHOSEN",
	   "BAD-PROPOSAL-SYNTAX", "PAYLOAD-MALFORMED", "INVALID-KEY-INFORMATION",
	   "INVALID-ID-INFORMATION", "INVALID-CERT-ENCODING", "INVALID-CERTIFICATE",
	   "CERT-TYPE-UNSUPPORTED", "INVALID-CERT-AUTHORITY", "INVALID-HASH-INFORMATION",
	   "AUTHENTICATION-FAILED", "INVALID-SIGNATURE", "ADDRESS-NOTIFICATION",
	   "NOTIFY-SA-LIFETIME", "CERTIFICATE-UNAVAILABLE", "UNSUPPORTED-EXCHANGE-TYPE",
	   "UNEQUAL-PAYLOAD-LENGTHS");

ENUM_NAMES(ikev1_doi_names, 0, NULL, "ISAKMP", "IPSEC", "GDOI");

/* RFC 2407 4.4.1 */
ENUM_NAMES(ikev1_protocol_names, 1, NULL, "PROTO_ISAKMP", "PROTO_IPSEC_AH", "PROTO_IPSEC_ESP",
	   "PROTO_IPCOMP");

/* RFC 2407 4.4.2 */
ENUM_NAMES(ikev1_isakmp_xform_names, 1, NULL, "KEY_IKE");

/* RFC 2407 4.4.3 and later registrations */
ENUM_NAMES(ikev1_ah_names, 2, NULL, "AH_MD5", "AH_SHA", "AH_DES", "AH_SHA2-256", "AH_SHA2-384",
	   "AH_SHA2-512", "AH_RIPEMD", "AH_AES-XCBC-MAC", "AH_RSA", "AH_AES-128-GMAC",
	   "AH_AES-192-GMAC", "AH_AES-256-GMAC");

/* RFC 2407 4.4.4 and later registrations */
ENUM_NAMES(ikev1_esp_names, 1, NULL, "ESP_DES_IV64", "ESP_DES", "ESP_3DES", "ESP_RC5", "ESP_IDEA",
	   "ESP_CAST", "ESP_BLOWFISH", "ESP_3IDEA", "ESP_DES_IV32", "ESP_RC4", "ESP_NULL",
	   "ESP_AES-CBC", "ESP_AES-CTR", "ESP_AES-CCM_8", "ESP_AES-CCM_12", "ESP_AES-CCM_16", NULL,
	   "ESP_AES-GCM_8", "ESP_AES-GCM_12", "ESP_AES-GCM_16", "ESP_SEED_CBC", "ESP_CAMELLIA",
	   "ESP_NULL_AUTH_AES-GMAC");

/* RFC 2407 4.4.5 */
ENUM_NAMES(ikev1_ipcomp_names, 1, NULL, "IPCOMP_OUI", "IPCOMP_DEFLATE", "IPCOMP_LZS",
	   "IPCOMP_LZJH");

/* RFC 2409 appendix A: attribute classes */
ENUM_NAMES(ikev1_attr_names, 1, NULL, "ENCRYPTION_ALGORITHM", "HASH_ALGORITHM",
	   "AUTHENTICATION_METHOD", "GROUP_DESCRIPTION", "GROUP_TYPE", "GROUP_PRIME",
	   "GROUP_GENERATOR_ONE", "GROUP_GENERATOR_TWO", "GROUP_CURVE_A", "GROUP_CURVE_B",
	   "LIFE_TYPE", "LIFE_DURATION", "PRF", "KEY_LENGTH", "FIELD_SIZE", "GROUP_ORDER");

ENUM_NAMES(ikev1_encr_names, 1, NULL, "DES-CBC", "IDEA-CBC", "Blowfish-CBC", "RC5-R16-B64-CBC",
	   "3DES-CBC", "CAST-CBC", "AES-CBC", "CAMELLIA-CBC");

ENUM_NAMES(ikev1_hash_names, 1, NULL, "MD5", "SHA", "Tiger", "SHA2-256", "SHA2-384", "SHA2-512");

/* draft-beaulieu-ike-xauth-02 7.2; 65001 is also GSS-API (Windows Kerberos). */
ENUM_NAMES(ikev1_auth_names_xauth, 65001, NULL, "XAUTHInitPreShared/GSS-API", "XAUTHRespPreShared",
	   "XAUTHInitDSS", "XAUTHRespDSS", "XAUTHInitRSA", "XAUTHRespRSA", "XAUTHInitRSAEncryption",
	   "XAUTHRespRSAEncryption", "XAUTHInitRSARevisedEncryption",
	   "XAUTHRespRSARevisedEncryption");
/* draft-ietf-ipsec-isakmp-hybrid-auth-05 */
ENUM_NAMES(ikev1_auth_names_hybrid, 64221, &ikev1_auth_names_xauth, "HybridInitRSA",
	   "HybridRespRSA", "HybridInitDSS", "HybridRespDSS");
/* RFC 2409 appendix A, RFC 4754 */
ENUM_NAMES(ikev1_auth_names, 1, &ikev1_auth_names_hybrid, "PSK", "DSS_SIG", "RSA_SIG", "RSA_ENC",
	   "RSA_ENC_REV", NULL, NULL, NULL, "ECDSA_SHA256_P256", "ECDSA_SHA384_P384",
	   "ECDSA_SHA512_P521");

ENUM_NAMES(ikev1_group_names, 1, NULL, "MODP768", "MODP1024", "EC2N155", "EC2N185", "MODP1536",
	   "EC2N163a", "EC2N163b", "EC2N283a", "EC2N283b", "EC2N409a", "EC2N409b", "EC2N571a",
	   "EC2N571b", "MODP2048", "MODP3072", "MODP4096", "MODP6144", "MODP8192", "ECP256",
	   "ECP384", "ECP521", "MODP1024S160", "MODP2048S224", "MODP2048S256", "ECP192", "ECP224",
	   "BRAINPOOL224", "BRAINPOOL256", "BRAINPOOL384", "BRAINPOOL512", "CURVE25519",
	   "CURVE448");

ENUM_NAMES(ikev1_group_type_names, 1, NULL, "MODP", "ECP", "EC2N");

ENUM_NAMES(ikev1_life_names, 1, NULL, "seconds", "kilobytes");

/* RFC 2407 4.5 and later registrations */
ENUM_NAMES(ipsec_attr_names, 1, NULL, "SA_LIFE_TYPE", "SA_LIFE_DURATION", "GROUP_DESCRIPTION",
	   "ENCAPSULATION_MODE", "AUTHENTICATION_ALGORITHM", "KEY_LENGTH", "KEY_ROUNDS",
	   "COMPRESS_DICTIONARY_SIZE", "COMPRESS_PRIVATE_ALGORITHM", "ECN_TUNNEL",
	   "EXTENDED_SEQUENCE_NUMBER", "AUTHENTICATION_KEY_LENGTH", "SIGNATURE_ENCODING_ALGORITHM",
	   "ADDRESS_PRESERVATION", "SA_DIRECTION");

/* draft-ietf-ipsec-nat-t-ike-02/03 private numbers */
ENUM_NAMES(ipsec_encap_names_draft, 61443, NULL, "UDP-Encapsulated-Tunnel(draft)",
	   "UDP-Encapsulated-Transport(draft)");
/* RFC 2407 4.5, RFC 3947 5.1 */
ENUM_NAMES(ipsec_encap_names, 1, &ipsec_encap_names_draft, "Tunnel", "Transport",
	   "UDP-Encapsulated-Tunnel", "UDP-Encapsulated-Transport");

ENUM_NAMES(ipsec_auth_names, 1, NULL, "HMAC-MD5", "HMAC-SHA", "DES-MAC", "KPDK", "HMAC-SHA2-256",
	   "HMAC-SHA2-384", "HMAC-SHA2-512", "HMAC-RIPEMD", "AES-XCBC-MAC", "SIG-RSA",
	   "AES-128-GMAC", "AES-192-GMAC", "AES-256-GMAC");

/* RFC 2407 4.6.2.1, RFC 3554 */
ENUM_NAMES(ipsec_id_names, 1, NULL, "ID_IPV4_ADDR", "ID_FQDN", "ID_USER_FQDN",
	   "ID_IPV4_ADDR_SUBNET", "ID_IPV6_ADDR", "ID_IPV6_ADDR_SUBNET", "ID_IPV4_ADDR_RANGE",
	   "ID_IPV6_ADDR_RANGE", "ID_DER_ASN1_DN", "ID_DER_ASN1_GN", "ID_KEY_ID", "ID_LIST");

/* RFC 2408 3.9 */
ENUM_NAMES(ikev1_cert_names, 1, NULL, "PKCS7", "PGP", "DNS_SIGNED_KEY", "X509_SIGNATURE",
	   "X509_KEY_EXCHANGE", "KERBEROS_TOKENS", "CRL", "ARL", "SPKI", "X509_ATTRIBUTE",
	   "RAW_RSA_KEY");

const struct enum_names *ikev1_attr_value_names(int phase1, unsigned type)
{
	if (phase1) {
		switch (type) {
		case IKEV1_ATTR_ENCRYPTION:
			return &ikev1_encr_names;
		case IKEV1_ATTR_HASH:
		case IKEV1_ATTR_PRF:
			return &ikev1_hash_names;
		case IKEV1_ATTR_AUTH_METHOD:
			return &ikev1_auth_names;
		case IKEV1_ATTR_GROUP_DESC:
			return &ikev1_group_names;
		case IKEV1_ATTR_GROUP_TYPE:
			return &ikev1_group_type_names;
		case IKEV1_ATTR_LIFE_TYPE:
			return &ikev1_life_names;
		default:
			return NULL;
		}
	}
	switch (type) {
	case IPSEC_ATTR_SA_LIFE_TYPE:
		return &ikev1_life_names;
	case IPSEC_ATTR_GROUP_DESC:
		return &ikev1_group_names;
	case IPSEC_ATTR_ENCAP_MODE:
		return &ipsec_encap_names;
	case IPSEC_ATTR_AUTH_ALG:
		return &ipsec_auth_names;
	default:
		return NULL;
	}
}

const struct enum_names *ikev1_xform_names(unsigned protocol)
{
	switch (protocol) {
	case IPSEC_PROTO_ISAKMP:
		return &ikev1_isakmp_xform_names;
	case IPSEC_PROTO_AH:
		return &ikev1_ah_names;
	case IPSEC_PROTO_ESP:
		return &ikev1_esp_names;
	case IPSEC_PROTO_IPCOMP:
		return &ikev1_ipcomp_names;
	default:
		return NULL;
	}
}

int ikev1_attr_is_variable(int phase1, unsigned type)
{
	if (phase1)
		return (type >= IKEV1_ATTR_GROUP_PRIME && type <= IKEV1_ATTR_GROUP_CURVE_B) ||
		       type == IKEV1_ATTR_LIFE_DURATION || type == IKEV1_ATTR_GROUP_ORDER;
	return type == IPSEC_ATTR_SA_LIFE_DURATION || type == IPSEC_ATTR_COMPRESS_PRIVATE_ALG ||
	       type == IPSEC_ATTR_AUTH_KEY_LENGTH;
}

/* Vendor IDs. Most are MD5 of a string (shown in the comment); some carry
 * a version or capability suffix after a fixed prefix. */
const uint8_t ikev1_vid_rfc3947[16] = {0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
				       0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f};
const uint8_t ikev1_vid_natt_draft02[16] = {0xcd, 0x60, 0x46, 0x43, 0x35, 0xdf, 0x21, 0xf8,
					    0x7c, 0xfd, 0xb2, 0xfc, 0x68, 0xb6, 0xa4, 0x48};
const uint8_t ikev1_vid_natt_draft02n[16] = {0x90, 0xcb, 0x80, 0x91, 0x3e, 0xbb, 0x69, 0x6e,
					     0x08, 0x63, 0x81, 0xb5, 0xec, 0x42, 0x7b, 0x1f};
const uint8_t ikev1_vid_natt_draft03[16] = {0x7d, 0x94, 0x19, 0xa6, 0x53, 0x10, 0xca, 0x6f,
					    0x2c, 0x17, 0x9d, 0x92, 0x15, 0x52, 0x9d, 0x56};
/* RFC 3706 7: the last two bytes are major 1, minor 0 */
const uint8_t ikev1_vid_dpd[16] = {0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
				   0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00};
const uint8_t ikev1_vid_fragmentation[16] = {0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85,
					     0x25, 0xe7, 0xde, 0x7f, 0x00, 0xd6, 0xc2, 0xd3};
const uint8_t ikev1_vid_xauth[8] = {0x09, 0x00, 0x26, 0x89, 0xdf, 0xd6, 0xb7, 0x12};
const uint8_t ikev1_vid_ms_nt5[16] = {0x1e, 0x2b, 0x51, 0x69, 0x05, 0x99, 0x1c, 0x7d,
				      0x7c, 0x96, 0xfc, 0xbf, 0xb5, 0x87, 0xe4, 0x61};
/* MD5("CISCO-UNITY") with the last two bytes replaced by version 1.0 */
const uint8_t ikev1_vid_cisco_unity[16] = {0x12, 0xf5, 0xf2, 0x8c, 0x45, 0x71, 0x68, 0xa9,
					   0x70, 0x2d, 0x9f, 0xe2, 0x74, 0xcc, 0x01, 0x00};
const uint8_t ikev1_vid_strongswan[16] = {0x88, 0x2f, 0xe5, 0x6d, 0x6f, 0xd2, 0x0d, 0xbc,
					  0x22, 0x51, 0x61, 0x3b, 0x2e, 0xbe, 0x5b, 0xeb};

enum vid_match {
	VID_EXACT,  /* the whole VID */
	VID_PREFIX, /* the VID starts with these bytes */
};

struct vid_entry {
	const char *hex;
	enum vid_match match;
	const char *name;
};

static const struct vid_entry vid_table[] = {
	{"4a131c81070358455c5728f20e95452f", VID_EXACT, "NAT-T (RFC 3947)"},
	{"4485152d18b6bbcd0be8a8469579ddcc", VID_EXACT, "draft-ietf-ipsec-nat-t-ike-00"},
	{"16f6ca16e4a4066d83821a0f0aeaa862", VID_EXACT, "draft-ietf-ipsec-nat-t-ike-01"},
	{"cd60464335df21f87cfdb2fc68b6a448", VID_EXACT, "draft-ietf-ipsec-nat-t-ike-02"},
	{"90cb80913ebb696e086381b5ec427b1f", VID_EXACT, "draft-ietf-ipsec-nat-t-ike-02\\n"},
	{"7d9419a65310ca6f2c179d9215529d56", VID_EXACT, "draft-ietf-ipsec-nat-t-ike-03"},
	{"9909b64eed937c6573de52ace952fa6b", VID_EXACT, "draft-ietf-ipsec-nat-t-ike-04"},
	{"80d0bb3def54565ee84645d4c85ce3ee", VID_EXACT, "draft-ietf-ipsec-nat-t-ike-05"},
	{"4d1e0e136deafa34c4f3ea9f02ec7285", VID_EXACT, "draft-ietf-ipsec-nat-t-ike-06"},
	{"439b59f8ba676c4c7737ae22eab8f582", VID_EXACT, "draft-ietf-ipsec-nat-t-ike-07"},
	{"8f8d83826d246b6fc7a8a6a428c11de8", VID_EXACT, "draft-ietf-ipsec-nat-t-ike-08"},
	{"4df37928e9fc4fd1b3262170d515c662", VID_EXACT, "draft-ietf-ipsec-nat-t-ike"},
	{"27bab5dc01ea0760ea4e3190ac27c0d0", VID_EXACT, "draft-stenberg-ipsec-nat-traversal-01"},
	{"6105c422e76847e43f9684801292aecd", VID_EXACT, "draft-stenberg-ipsec-nat-traversal-02"},
	{"afcad71368a1f1c96b8696fc77570100", VID_EXACT, "DPD (RFC 3706)"},
	{"09002689dfd6b712", VID_EXACT, "XAUTH"},
	{"12f5f28c457168a9702d9fe274cc", VID_PREFIX, "Cisco Unity"},
	{"1f07f70eaa6514d3b0fa96542a50", VID_PREFIX, "Cisco VPN 3000"},
	{"882fe56d6fd20dbc2251613b2ebe5beb", VID_EXACT, "strongSwan"},
	{"7003cbc1097dbe9c2600ba6983bc8b35", VID_EXACT, "KAME/racoon"},
	{"26244d38eddb61b3172a36e3d0cfb819", VID_EXACT, "Vid-Initial-Contact (Microsoft)"},
	{"621b04bb09882ac1e15935fefa24aeee", VID_EXACT, "GSSAPI (Microsoft)"},
	{"ad2c0dd0b9c32083ccba25b8861ec455", VID_EXACT,
	 "A GSS-API Authentication Method for IKE (Microsoft)"},
	{"fb1de3cdf341b7ea16b7e5be0855f120", VID_EXACT, "MS-Negotiation Discovery Capable"},
	{"214ca4faffa7f32d6748e5303395ae83", VID_EXACT, "MS-MamieExists (AuthIP supported)"},
	{"e3a5966a76379fe707228231e5ce8652", VID_EXACT, "IKE CGA version 1 (Microsoft)"},
	{"72872b95fcda2eb708efe322119b4971", VID_EXACT, "NLBS_PRESENT (Microsoft)"},
	{"01528bbbc00696121849ab9a1c5b2a51", VID_PREFIX, "MS KEY_MODS"},
	{"7bb93867d76c8d80df0f40fae8fc3b19", VID_PREFIX, "MS AuthIP INIT KE"},
	{"f4ed19e0c114eb516faaac0ee37daf2807b4381f", VID_PREFIX, "Check Point"},
	{"4f45", VID_PREFIX, NULL}, /* libreswan: "OE" + ASCII, checked below */
};

/* RFC 2408 3.16 leaves the VID opaque; Windows appends a 4-byte version to
 * MD5("MS NT5 ISAKMPOAKLEY") (numbers as libreswan's table documents them). */
static const char *ms_version(uint32_t v)
{
	static const char *const names[] = {
		NULL,
		NULL,
		"Windows 2000",
		"Windows XP",
		"Windows Server 2003",
		"Windows Vista",
		"Windows Server 2008",
		"Windows 7",
		"Windows Server 2008 R2",
		"Windows 8 or later",
	};

	return v < ARRAY_SIZE(names) ? names[v] : NULL;
}

static const char *vid_ms(struct span vid, char *buf, size_t n)
{
	uint32_t v;
	const char *win;

	if (vid.len != 20)
		return "MS NT5 ISAKMPOAKLEY";
	v = (uint32_t)vid.p[16] << 24 | (uint32_t)vid.p[17] << 16 | (uint32_t)vid.p[18] << 8 |
	    vid.p[19];
	win = ms_version(v);
	if (win)
		snprintf(buf, n, "MS NT5 ISAKMPOAKLEY v%u (%s)", v, win);
	else
		snprintf(buf, n, "MS NT5 ISAKMPOAKLEY v%u", v);
	return buf;
}

/* The fragmentation VID (MD5("FRAGMENTATION")), alone (Windows) or with a
 * 4-byte capability word (racoon/Cisco/strongSwan: 0x80000000 = IKE
 * fragmentation of Main/Aggressive Mode, 0x40000000 = base ISAKMP). */
static const char *vid_frag(struct span vid, char *buf, size_t n)
{
	if (vid.len == 16)
		return "FRAGMENTATION";
	if (vid.len != 20)
		return NULL;
	snprintf(buf, n, "FRAGMENTATION (capabilities %02x%02x%02x%02x)", vid.p[16], vid.p[17],
		 vid.p[18], vid.p[19]);
	return buf;
}

/* libreswan sends "OE" followed by printable ASCII (a short hash of its
 * version), 12 bytes in all. */
static const char *vid_libreswan(struct span vid, char *buf, size_t n)
{
	size_t i;

	if (vid.len != 12)
		return NULL;
	for (i = 2; i < vid.len; i++)
		if (vid.p[i] < 0x21 || vid.p[i] > 0x7e)
			return NULL;
	snprintf(buf, n, "libreswan (%.*s)", (int)vid.len, (const char *)vid.p);
	return buf;
}

const char *ikev1_vid_name(struct span vid, char *buf, size_t n)
{
	uint8_t want[32];
	size_t i;
	long len;

	if (!vid.p || vid.len == 0)
		return NULL;
	if (vid.len >= 16 && memcmp(vid.p, ikev1_vid_ms_nt5, 16) == 0)
		return vid_ms(vid, buf, n);
	if (vid.len >= 16 && memcmp(vid.p, ikev1_vid_fragmentation, 16) == 0)
		return vid_frag(vid, buf, n);
	for (i = 0; i < ARRAY_SIZE(vid_table); i++) {
		const struct vid_entry *e = &vid_table[i];

		len = hex_decode(want, sizeof(want), e->hex);
		if (len <= 0 || (size_t)len > vid.len || memcmp(vid.p, want, (size_t)len) != 0)
			continue;
		if (e->match == VID_EXACT && (size_t)len != vid.len)
			continue;
		if (!e->name)
			return vid_libreswan(vid, buf, n);
		return e->name;
	}
	return NULL;
}
