/* ikev1_names.h: IKEv1 / ISAKMP / IPsec DOI numbers and their names.
 *
 * The numeric constants of RFC 2408 (ISAKMP), RFC 2407 (IPsec DOI), RFC 2409
 * (IKE, appendix A), RFC 3947 (NAT-T), RFC 3706 (DPD) and the vendor
 * extensions real peers use, with enum-name tables for logs, oakctl and the
 * config. The wire layer may not use src/crypto, so algorithm numbers live
 * here. IANA copies: isakmp-registry.txt (IPsec DOI) and ipsec-registry.txt
 * (IKE attributes).
 *
 * Vendor IDs: ikev1_vid_name() names the well-known ones.
 */
#ifndef OAK_WIRE_IKEV1_NAMES_H
#define OAK_WIRE_IKEV1_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "lib/cursor.h"
#include "lib/enum_names.h"
#include "lib/iana_ike.h"

/* RFC 2408 3.1 Exchange Type; RFC 2409 Quick Mode / New Group Mode. */
enum ikev1_exchange {
	ISAKMP_XCHG_NONE = 0,
	ISAKMP_XCHG_BASE = 1,
	ISAKMP_XCHG_IDPROT = 2, /* Identity Protection = IKE Main Mode */
	ISAKMP_XCHG_AUTH_ONLY = 3,
	ISAKMP_XCHG_AGGR = 4, /* Aggressive Mode */
	ISAKMP_XCHG_INFO = 5,
	ISAKMP_XCHG_TRANSACTION = 6, /* draft-dukes-ike-mode-cfg: Mode-Config, XAUTH */
	IKEV1_XCHG_QUICK = 32,
	IKEV1_XCHG_NEW_GROUP = 33,
};

/* RFC 2408 3.1 Next Payload Type; RFC 3947 NAT-D/NAT-OA and their draft
 * numbers; vendor payloads in the private range. */
enum ikev1_payload_type {
	ISAKMP_NP_NONE = 0,
	ISAKMP_NP_SA = 1,
	ISAKMP_NP_P = 2, /* only inside SA */
	ISAKMP_NP_T = 3, /* only inside P */
	ISAKMP_NP_KE = 4,
	ISAKMP_NP_ID = 5,
	ISAKMP_NP_CERT = 6,
	ISAKMP_NP_CR = 7,
	ISAKMP_NP_HASH = 8,
	ISAKMP_NP_SIG = 9,
	ISAKMP_NP_NONCE = 10,
	ISAKMP_NP_N = 11,
	ISAKMP_NP_D = 12,
	ISAKMP_NP_VID = 13,
	ISAKMP_NP_ATTR = 14, /* draft-dukes-ike-mode-cfg "Attribute"; IANA: reserved */
	ISAKMP_NP_NATD = 20,
	ISAKMP_NP_NATOA = 21,
	ISAKMP_NP_GSS =
		129, /* draft-ietf-ipsec-isakmp-gss-auth: GSS-API token (Windows Kerberos) */
	ISAKMP_NP_NATD_DRAFT = 130,  /* draft-ietf-ipsec-nat-t-ike-02/03 */
	ISAKMP_NP_NATOA_DRAFT = 131, /* draft-ietf-ipsec-nat-t-ike-02/03 */
	ISAKMP_NP_FRAG = 132, /* IKE fragmentation vendor extension (Cisco, strongSwan, Windows) */
};

/* RFC 2408 3.14.1 notify types; RFC 2407 4.6.3 IPsec DOI status; RFC 3706 DPD. */
enum ikev1_notify_type {
	ISAKMP_N_INVALID_PAYLOAD_TYPE = 1,
	ISAKMP_N_DOI_NOT_SUPPORTED = 2,
	ISAKMP_N_SITUATION_NOT_SUPPORTED = 3,
	ISAKMP_N_INVALID_COOKIE = 4,
	ISAKMP_N_INVALID_MAJOR_VERSION = 5,
	ISAKMP_N_INVALID_MINOR_VERSION = 6,
	ISAKMP_N_INVALID_EXCHANGE_TYPE = 7,
	ISAKMP_N_INVALID_FLAGS = 8,
	ISAKMP_N_INVALID_MESSAGE_ID = 9,
	ISAKMP_N_INVALID_PROTOCOL_ID = 10,
	ISAKMP_N_INVALID_SPI = 11,
	ISAKMP_N_INVALID_TRANSFORM_ID = 12,
	ISAKMP_N_ATTRIBUTES_NOT_SUPPORTED = 13,
	ISAKMP_N_NO_PROPOSAL_CHOSEN = 14,
	ISAKMP_N_BAD_PROPOSAL_SYNTAX = 15,
	ISAKMP_N_PAYLOAD_MALFORMED = 16,
	ISAKMP_N_INVALID_KEY_INFORMATION = 17,
	ISAKMP_N_INVALID_ID_INFORMATION = 18,
	ISAKMP_N_INVALID_CERT_ENCODING = 19,
	ISAKMP_N_INVALID_CERTIFICATE = 20,
	ISAKMP_N_CERT_TYPE_UNSUPPORTED = 21,
	ISAKMP_N_INVALID_CERT_AUTHORITY = 22,
	ISAKMP_N_INVALID_HASH_INFORMATION = 23,
	ISAKMP_N_AUTHENTICATION_FAILED = 24,
	ISAKMP_N_INVALID_SIGNATURE = 25,
	ISAKMP_N_ADDRESS_NOTIFICATION = 26,
	ISAKMP_N_NOTIFY_SA_LIFETIME = 27,
	ISAKMP_N_CERTIFICATE_UNAVAILABLE = 28,
	ISAKMP_N_UNSUPPORTED_EXCHANGE_TYPE = 29,
	ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS = 30,
	ISAKMP_N_CONNECTED = 16384,
	IPSEC_N_RESPONDER_LIFETIME = 24576,
	IPSEC_N_REPLAY_STATUS = 24577,
	IPSEC_N_INITIAL_CONTACT = 24578,
	ISAKMP_N_DPD_R_U_THERE = 36136,
	ISAKMP_N_DPD_R_U_THERE_ACK = 36137,
};

/* RFC 2408 3.4 / RFC 2407 4.2: Domain of Interpretation. */
#define ISAKMP_DOI_ISAKMP 0
#define ISAKMP_DOI_IPSEC  1

/* RFC 2407 4.2 IPsec situation bits. */
#define IPSEC_SIT_IDENTITY_ONLY 0x01
#define IPSEC_SIT_SECRECY	0x02
#define IPSEC_SIT_INTEGRITY	0x04

/* RFC 2407 4.4.1 Security Protocol Identifiers. */
enum ikev1_protocol {
	IPSEC_PROTO_ISAKMP = 1,
	IPSEC_PROTO_AH = 2,
	IPSEC_PROTO_ESP = 3,
	IPSEC_PROTO_IPCOMP = 4,
};

/* RFC 2407 4.4.2 ISAKMP transform ID. */
#define IPSEC_KEY_IKE 1

/* RFC 2407 4.4.5 IPCOMP transform IDs. */
enum ikev1_ipcomp_id {
	IPSEC_IPCOMP_OUI = 1,
	IPSEC_IPCOMP_DEFLATE = 2,
	IPSEC_IPCOMP_LZS = 3,
	IPSEC_IPCOMP_LZJH = 4,
};

/* RFC 2409 appendix A: phase 1 attribute classes. B = basic (TV), V = variable (TLV). */
enum ikev1_attr_type {
	IKEV1_ATTR_ENCRYPTION = 1,  /* B */
	IKEV1_ATTR_HASH = 2,	    /* B */
	IKEV1_ATTR_AUTH_METHOD = 3, /* B */
	IKEV1_ATTR_GROUP_DESC = 4,  /* B */
	IKEV1_ATTR_GROUP_TYPE = 5,  /* B */
	IKEV1_ATTR_GROUP_PRIME = 6, /* V */
	IKEV1_ATTR_GROUP_GEN_ONE = 7,
	IKEV1_ATTR_GROUP_GEN_TWO = 8,
	IKEV1_ATTR_GROUP_CURVE_A = 9,
	IKEV1_ATTR_GROUP_CURVE_B = 10,
	IKEV1_ATTR_LIFE_TYPE = 11,     /* B */
	IKEV1_ATTR_LIFE_DURATION = 12, /* V */
	IKEV1_ATTR_PRF = 13,
	IKEV1_ATTR_KEY_LENGTH = 14, /* B */
	IKEV1_ATTR_FIELD_SIZE = 15,
	IKEV1_ATTR_GROUP_ORDER = 16,
};

/* RFC 2409 appendix A, RFC 4754; private range: XAUTH
 * (draft-beaulieu-ike-xauth-02 7.2), hybrid (draft-ietf-ipsec-isakmp-hybrid-auth-05)
 * and GSS-API (draft-ietf-ipsec-isakmp-gss-auth-07: 65001, which Windows uses
 * for Kerberos). 65001 is also XAUTHInitPreShared: the engine tells them apart
 * by the peer's vendor IDs (MS NT5 ISAKMPOAKLEY + GSSAPI vs XAUTH). */
enum ikev1_auth_method {
	IKEV1_AUTH_PSK = 1,
	IKEV1_AUTH_DSS_SIG = 2,
	IKEV1_AUTH_RSA_SIG = 3,
	IKEV1_AUTH_RSA_ENC = 4,
	IKEV1_AUTH_RSA_ENC_REV = 5,
	IKEV1_AUTH_ECDSA_SHA256_P256 = 9,
	IKEV1_AUTH_ECDSA_SHA384_P384 = 10,
	IKEV1_AUTH_ECDSA_SHA512_P521 = 11,
	IKEV1_AUTH_HYBRID_INIT_RSA = 64221,
	IKEV1_AUTH_HYBRID_RESP_RSA = 64222,
	IKEV1_AUTH_HYBRID_INIT_DSS = 64223,
	IKEV1_AUTH_HYBRID_RESP_DSS = 64224,
	IKEV1_AUTH_GSSAPI = 65001,
	IKEV1_AUTH_XAUTH_INIT_PSK = 65001,
	IKEV1_AUTH_XAUTH_RESP_PSK = 65002,
	IKEV1_AUTH_XAUTH_INIT_DSS = 65003,
	IKEV1_AUTH_XAUTH_RESP_DSS = 65004,
	IKEV1_AUTH_XAUTH_INIT_RSA = 65005,
	IKEV1_AUTH_XAUTH_RESP_RSA = 65006,
	IKEV1_AUTH_XAUTH_INIT_RSA_ENC = 65007,
	IKEV1_AUTH_XAUTH_RESP_RSA_ENC = 65008,
	IKEV1_AUTH_XAUTH_INIT_RSA_ENC_REV = 65009,
	IKEV1_AUTH_XAUTH_RESP_RSA_ENC_REV = 65010,
};

enum ikev1_group_type {
	IKEV1_GROUP_TYPE_MODP = 1,
	IKEV1_GROUP_TYPE_ECP = 2,
	IKEV1_GROUP_TYPE_EC2N = 3,
};

/* Life Type: phase 1 (RFC 2409 A) and IPsec DOI (RFC 2407 4.5) share values. */
enum ikev1_life_type {
	IKEV1_LIFE_SECONDS = 1,
	IKEV1_LIFE_KILOBYTES = 2,
};

/* RFC 2407 4.5 IPsec DOI SA attributes (Quick Mode transforms). */
enum ipsec_attr_type {
	IPSEC_ATTR_SA_LIFE_TYPE = 1,	 /* B */
	IPSEC_ATTR_SA_LIFE_DURATION = 2, /* V */
	IPSEC_ATTR_GROUP_DESC = 3,	 /* B */
	IPSEC_ATTR_ENCAP_MODE = 4,	 /* B */
	IPSEC_ATTR_AUTH_ALG = 5,	 /* B */
	IPSEC_ATTR_KEY_LENGTH = 6,	 /* B */
	IPSEC_ATTR_KEY_ROUNDS = 7,	 /* B */
	IPSEC_ATTR_COMPRESS_DICT_SIZE = 8,
	IPSEC_ATTR_COMPRESS_PRIVATE_ALG = 9, /* V */
	IPSEC_ATTR_ECN_TUNNEL = 10,
	IPSEC_ATTR_ESN = 11,
	IPSEC_ATTR_AUTH_KEY_LENGTH = 12, /* V */
	IPSEC_ATTR_SIG_ENC_ALG = 13,
	IPSEC_ATTR_ADDR_PRESERVATION = 14,
	IPSEC_ATTR_SA_DIRECTION = 15,
};

/* RFC 2407 4.5 Encapsulation Mode; RFC 3947 5.1 UDP-encapsulated; the
 * draft-ietf-ipsec-nat-t-ike-02/03 private numbers older peers send. */
enum ipsec_encap_mode {
	IPSEC_ENCAP_TUNNEL = 1,
	IPSEC_ENCAP_TRANSPORT = 2,
	IPSEC_ENCAP_UDP_TUNNEL = 3,
	IPSEC_ENCAP_UDP_TRANSPORT = 4,
	IPSEC_ENCAP_UDP_TUNNEL_DRAFT = 61443,
	IPSEC_ENCAP_UDP_TRANSPORT_DRAFT = 61444,
};

/* RFC 2407 4.6.2.1 Identification Type. */
enum ipsec_id_type {
	IPSEC_ID_IPV4_ADDR = 1,
	IPSEC_ID_FQDN = 2,
	IPSEC_ID_USER_FQDN = 3,
	IPSEC_ID_IPV4_ADDR_SUBNET = 4,
	IPSEC_ID_IPV6_ADDR = 5,
	IPSEC_ID_IPV6_ADDR_SUBNET = 6,
	IPSEC_ID_IPV4_ADDR_RANGE = 7,
	IPSEC_ID_IPV6_ADDR_RANGE = 8,
	IPSEC_ID_DER_ASN1_DN = 9,
	IPSEC_ID_DER_ASN1_GN = 10,
	IPSEC_ID_KEY_ID = 11,
	IPSEC_ID_LIST = 12, /* RFC 3554 */
};

/* RFC 2408 3.9 Certificate Encoding. */
enum ikev1_cert_encoding {
	ISAKMP_CERT_PKCS7 = 1,
	ISAKMP_CERT_PGP = 2,
	ISAKMP_CERT_DNS_KEY = 3,
	ISAKMP_CERT_X509_SIG = 4,
	ISAKMP_CERT_X509_KE = 5,
	ISAKMP_CERT_KERBEROS = 6,
	ISAKMP_CERT_CRL = 7,
	ISAKMP_CERT_ARL = 8,
	ISAKMP_CERT_SPKI = 9,
	ISAKMP_CERT_X509_ATTR = 10,
	ISAKMP_CERT_RAW_RSA = 11, /* RFC 4945 / IKEv2 numbering used by some */
};

/* Name tables (lib/enum_names.h). */
extern const struct enum_names ikev1_exchange_names;
extern const struct enum_names ikev1_payload_names;
extern const struct enum_names ikev1_notify_names;
extern const struct enum_names ikev1_doi_names;
extern const struct enum_names ikev1_protocol_names;
extern const struct enum_names ikev1_isakmp_xform_names;
extern const struct enum_names ikev1_ah_names;
extern const struct enum_names ikev1_esp_names;
extern const struct enum_names ikev1_ipcomp_names;
extern const struct enum_names ikev1_attr_names; /* phase 1 attribute types */
extern const struct enum_names ikev1_encr_names;
extern const struct enum_names ikev1_hash_names;
extern const struct enum_names ikev1_auth_names;
extern const struct enum_names ikev1_group_names;
extern const struct enum_names ikev1_group_type_names;
extern const struct enum_names ikev1_life_names;
extern const struct enum_names ipsec_attr_names; /* IPsec DOI (phase 2) attribute types */
extern const struct enum_names ipsec_encap_names;
extern const struct enum_names ipsec_auth_names;
extern const struct enum_names ipsec_id_names;
extern const struct enum_names ikev1_cert_names;

/* The table naming the values of attribute `type`: `phase1` for the ISAKMP
 * transform (RFC 2409 A), else the IPsec DOI (RFC 2407 4.5). NULL when the
 * attribute's value is a number (life duration, key length) or unknown.
 * (borrowed: static tables) */
const struct enum_names *ikev1_attr_value_names(int phase1, unsigned type);

/* The transform-ID table of a protocol (ISAKMP, AH, ESP, IPCOMP), or NULL.
 * (borrowed: static table) */
const struct enum_names *ikev1_xform_names(unsigned protocol);

/* Whether attribute `type` is variable-length (TLV) by definition; a
 * variable attribute may still be sent as TV when it fits (RFC 2409 A). */
int ikev1_attr_is_variable(int phase1, unsigned type);

/* The name of a well-known vendor ID (RFC 3947 NAT-T and its drafts, DPD, IKE
 * fragmentation, XAUTH, Cisco Unity, Windows "MS NT5 ISAKMPOAKLEY" with its
 * version, other Microsoft capability VIDs, strongSwan, libreswan, ...), or
 * NULL for an unknown one (the caller logs those in hex). Names with a decoded
 * part (the Windows version, fragmentation capability bits) are formatted into
 * buf (caller's, at least 64 bytes recommended); the result is either buf or a
 * static string. vid: (borrowed). */
const char *ikev1_vid_name(struct span vid, char *buf, size_t n);

/* Well-known vendor IDs our engine sends or looks for (16 bytes each unless
 * said). (borrowed: static data) */
extern const uint8_t ikev1_vid_rfc3947[16];
extern const uint8_t ikev1_vid_natt_draft02[16];
extern const uint8_t ikev1_vid_natt_draft02n[16];
extern const uint8_t ikev1_vid_natt_draft03[16];
extern const uint8_t ikev1_vid_dpd[16];
extern const uint8_t ikev1_vid_fragmentation[16]; /* + optional 4-byte capability flags */
extern const uint8_t ikev1_vid_xauth[8];
extern const uint8_t ikev1_vid_ms_nt5[16]; /* + 4-byte Windows version */
extern const uint8_t ikev1_vid_cisco_unity[16];
extern const uint8_t ikev1_vid_strongswan[16];

#endif
