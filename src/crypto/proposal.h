/* proposal.h: IKE, ESP and AH proposals as values, parsed from strongSwan's
 * proposal strings ("aes128gcm16-prfsha256-x25519", "aes256-sha256-modp2048")
 * through the transform registry (alg.h).
 *
 * A proposal holds any number of transforms of each type (RFC 7296 3.3: the
 * responder picks one of each type). Matching offered against configured
 * proposals, with the per-transform log of what differed, is ike/'s job.
 */
#ifndef OAK_CRYPTO_PROPOSAL_H
#define OAK_CRYPTO_PROPOSAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROPOSAL_PROTO_IKE 1
#define PROPOSAL_PROTO_AH  2
#define PROPOSAL_PROTO_ESP 3

#define PROPOSAL_MAX_TRANSFORMS 48
#define PROPOSAL_MAX		16 /* proposals in one list */
#define PROPOSAL_STRLEN		512

struct proposal_transform {
	uint8_t type;	   /* IKEV2_TRANS_ENCR, _PRF, _INTEG, _KE, _ESN */
	uint16_t id;	   /* IKEv2 transform ID */
	uint16_t key_bits; /* Key Length attribute, 0 when the transform takes none */
};

struct proposal {
	uint8_t protocol; /* PROPOSAL_PROTO_* */
	uint8_t num;	  /* Proposal Num on the wire (1-based), 0 in config */
	uint8_t spi_len;  /* 0 (IKE_SA_INIT), 4 (ESP/AH), 8 (IKE rekey) */
	uint8_t spi[8];
	uint8_t ntrans;
	struct proposal_transform trans[PROPOSAL_MAX_TRANSFORMS];
};

/* Parse one proposal string with strongSwan's rules for the protocol: for IKE
 * an integrity keyword also implies the matching PRF when no prf* keyword is
 * given, an AEAD needs no integrity (and a PRF must then be named or implied
 * by another keyword: strongSwan requires prf* with AEAD); for ESP/AH a DH
 * group means PFS and "esn"/"noesn" choose ESN (default noesn). Returns 0, or
 * -EINVAL with err naming the keyword: "unknown algorithm 'aes129' in
 * proposal 'aes129-sha256'" or "proposal 'aes128-modp2048': no integrity
 * algorithm". */
int proposal_parse(const char *text, uint8_t protocol, struct proposal *out, char *err,
		   size_t errlen);
/* A comma-separated list; "default" expands to oak's defaults at that place.
 * *n gets the count (at most max). */
int proposal_list_parse(const char *text, uint8_t protocol, struct proposal *out, size_t max,
			size_t *n, char *err, size_t errlen);
/* oak's default proposals for the protocol (no weak algorithms): *n of them. */
size_t proposal_defaults(uint8_t protocol, struct proposal *out, size_t max);
/* Text as `swanctl --list-sas` shows it: "AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"
 * (names without the IANA "ENCR_"/"AUTH_" prefixes, "-bits" for a key length,
 * "CURVE_25519", "/ESN" only when ESN is offered). Every transform is listed,
 * by type (ENCR, INTEG, PRF, KE, ESN). Returns buf. */
const char *proposal_fmt(const struct proposal *p, char *buf, size_t len);
/* One transform as strongSwan logs it: "AES_CBC_256", "HMAC_SHA2_256_128",
 * "PRF_HMAC_SHA2_256", "CURVE_25519", "NO_ESN". Returns buf. */
const char *proposal_transform_fmt(const struct proposal_transform *t, char *buf, size_t len);
/* Whether an ENCR transform ID is a combined-mode (AEAD) cipher (RFC 5282). */
bool proposal_is_aead(uint16_t encr_id);
/* The first transform of a type (NULL if none). */
const struct proposal_transform *proposal_get(const struct proposal *p, uint8_t type);
bool proposal_has(const struct proposal *p, uint8_t type, uint16_t id, uint16_t key_bits);
/* Append a transform; -ENOSPC when full. */
int proposal_add(struct proposal *p, uint8_t type, uint16_t id, uint16_t key_bits);

#endif
