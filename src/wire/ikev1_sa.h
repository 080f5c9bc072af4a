/* ikev1_sa.h: the IKEv1 SA payload (RFC 2408 3.4-3.6, RFC 2407 4.6.1) with its
 * nested Proposal and Transform payloads and their data attributes (RFC 2408
 * 3.3: TV when the AF bit is set, else TLV).
 *
 * Decoding validates first and interprets later: ikev1_sa_decode() walks the
 * whole structure once (lengths, counts, limits, next-payload values) and keeps
 * only the span of proposals and counts; the iterators below then read the
 * validated bytes without allocating anything. Every field needed to encode the
 * payload again byte for byte (RESERVED fields, order, TV vs TLV, the TLV
 * length of a number) is kept.
 *
 * Limits (per SA payload): IKEV1_MAX_PROPOSALS proposals, IKEV1_MAX_TRANSFORMS
 * transforms over all proposals, IKEV1_MAX_ATTRS attributes per transform.
 * Why these numbers: strongSwan's IKEv1 Main Mode offer is one proposal with
 * one transform per (encryption, hash, group) combination of its proposal
 * list; its default list gives 3 x 3 x 9 = 81 transforms and users' lists
 * with more algorithms go past 128, while the Transform count is one byte
 * (at most 255 per proposal). Windows offers fewer than 10 in Main Mode and in
 * Quick Mode. 256 transforms in one SA covers a full proposal of 255; more
 * than that is refused ("more than 256 transforms"), which also bounds the
 * proposal matching loop. Attributes: a phase 1 transform has 5-8, up to 16
 * with explicit group parameters; 64 leaves room for private ones.
 */
#ifndef OAK_WIRE_IKEV1_SA_H
#define OAK_WIRE_IKEV1_SA_H

#include <stddef.h>
#include <stdint.h>

#include "lib/builder.h"
#include "lib/cursor.h"
#include "wire/header.h"

#define IKEV1_MAX_PROPOSALS  64
#define IKEV1_MAX_TRANSFORMS 256
#define IKEV1_MAX_ATTRS	     64

#define ISAKMP_ATTR_AF 0x8000 /* RFC 2408 3.3: Attribute Format bit, 1 = TV */

struct ikev1_enc; /* ikev1.h */

/* A decoded SA payload body (RFC 2408 3.4, IPsec DOI situation RFC 2407 4.6.1). */
struct ikev1_sa {
	uint32_t doi;	    /* ISAKMP_DOI_IPSEC: the only one decoded */
	uint32_t situation; /* IPSEC_SIT_IDENTITY_ONLY; SECRECY/INTEGRITY are refused */
	struct span props;  /* (borrowed) the proposal payloads, validated */
	size_t props_off;   /* offset of props from the message start */
	unsigned nprops;    /* proposals in props */
	unsigned nxforms;   /* transforms over all proposals */
};

/* A Proposal payload (RFC 2408 3.5). */
struct ikev1_prop {
	uint8_t reserved;    /* generic header RESERVED as received (0 when encoding) */
	uint8_t number;	     /* Proposal # (equal numbers form an AND bundle, e.g. AH+ESP) */
	uint8_t protocol;    /* IPSEC_PROTO_* */
	uint8_t ntransforms; /* # of Transforms (decode only; the encoder counts) */
	struct span spi;     /* (borrowed) SPI, SPI Size bytes */
	struct span xforms;  /* (borrowed) the transform payloads (decode only) */
	size_t xforms_off;   /* offset of xforms from the message start */
	size_t offset;	     /* offset of the proposal from the message start */
};

/* A Transform payload (RFC 2408 3.6). */
struct ikev1_xform {
	uint8_t reserved;   /* generic header RESERVED */
	uint8_t number;	    /* Transform # */
	uint8_t id;	    /* Transform-Id: KEY_IKE, ESP_*, AH_*, IPCOMP_* */
	uint16_t reserved2; /* RESERVED2 */
	struct span attrs;  /* (borrowed) SA attributes (decode only) */
	size_t attrs_off;
	size_t offset;
};

/* A data attribute (RFC 2408 3.3). */
struct ikev1_attr {
	uint16_t type;	  /* Attribute Type without the AF bit */
	uint8_t tv;	  /* 1: TV (value in `value`); 0: TLV (value in `data`) */
	uint16_t value;	  /* TV: the value */
	struct span data; /* TLV: (borrowed) the value bytes */
	size_t offset;
};

/* Reading validated bytes: begin, then next until it returns 0. next returns
 * 1 with the item filled, 0 at the end, or -EBADMSG on bytes that were not
 * validated by ikev1_sa_decode() (never for those that were). */
struct ikev1_iter {
	struct cursor c;
	size_t base; /* message offset of c's first byte */
	uint8_t more;
	unsigned count;
};

void ikev1_props_begin(struct ikev1_iter *it, const struct ikev1_sa *sa);
int ikev1_prop_next(struct ikev1_iter *it, struct ikev1_prop *p);
void ikev1_xforms_begin(struct ikev1_iter *it, const struct ikev1_prop *p);
int ikev1_xform_next(struct ikev1_iter *it, struct ikev1_xform *t);
/* attrs (borrowed) starting at message offset off: a transform's attrs or a
 * Mode-Config ATTR payload's attributes. */
void ikev1_attrs_begin(struct ikev1_iter *it, struct span attrs, size_t off);
int ikev1_attr_next(struct ikev1_iter *it, struct ikev1_attr *a);

/* The first attribute of `type` in a transform: 1 found (a filled), 0 not. */
int ikev1_xform_attr(const struct ikev1_xform *t, uint16_t type, struct ikev1_attr *a);
/* An attribute's value as a number: TV, or TLV of 1..8 bytes (life
 * durations are sent both ways). 0, or -ERANGE for a longer TLV. */
int ikev1_attr_u64(const struct ikev1_attr *a, uint64_t *v);

/* Validate an SA payload body (the bytes after its generic header) that starts
 * at message offset off, and fill sa. 0; -EBADMSG malformed (BAD-PROPOSAL-SYNTAX
 * or PAYLOAD-MALFORMED); -E2BIG over a limit; -EPROTONOSUPPORT DOI other than
 * IPsec (DOI-NOT-SUPPORTED); -EOPNOTSUPP situation with secrecy or integrity
 * bits (SITUATION-NOT-SUPPORTED). err says where and why. body: (borrowed). */
int ikev1_sa_decode(struct span body, size_t off, struct ikev1_sa *sa, struct wire_err *err);

/* Validate a list of attributes (transform or ATTR payload): at most `max`;
 * *count gets their number. Same returns as ikev1_sa_decode(). */
int ikev1_attrs_validate(struct span attrs, size_t off, unsigned max, unsigned *count,
			 struct wire_err *err);

/* Encoding, nested as the payloads are:
 *
 *   ikev1_sa_begin(e, ISAKMP_DOI_IPSEC, IPSEC_SIT_IDENTITY_ONLY);
 *   ikev1_prop_begin(e, &(struct ikev1_prop){.number = 1, .protocol = IPSEC_PROTO_ISAKMP});
 *   ikev1_xform_begin(e, &(struct ikev1_xform){.number = 1, .id = IPSEC_KEY_IKE});
 *   ikev1_attr_tv(e, IKEV1_ATTR_ENCRYPTION, IKEV1_ENCR_AES_CBC);
 *   ...
 *   ikev1_xform_end(e);
 *   ikev1_prop_end(e);
 *   ikev1_sa_end(e);
 *
 * Next-payload values (2/3 or 0), lengths and the transform count are
 * written by the encoder. Errors are sticky in e (see ikev1.h); each call
 * returns the current error. */
int ikev1_sa_begin(struct ikev1_enc *e, uint32_t doi, uint32_t situation);
int ikev1_sa_end(struct ikev1_enc *e);
/* p: (borrowed) reserved, number, protocol and spi are used. */
int ikev1_prop_begin(struct ikev1_enc *e, const struct ikev1_prop *p);
int ikev1_prop_end(struct ikev1_enc *e);
/* t: (borrowed) reserved, number, id, reserved2 are used. */
int ikev1_xform_begin(struct ikev1_enc *e, const struct ikev1_xform *t);
int ikev1_xform_end(struct ikev1_enc *e);
int ikev1_attr_tv(struct ikev1_enc *e, uint16_t type, uint16_t value);
/* value: (borrowed) len bytes, at most 65535. */
int ikev1_attr_tlv(struct ikev1_enc *e, uint16_t type, const void *value, size_t len);
/* A number: TV when it fits 16 bits, else TLV of 4 (or 8) bytes, as peers
 * send life durations. */
int ikev1_attr_num(struct ikev1_enc *e, uint16_t type, uint64_t v);
/* Re-encode a decoded attribute exactly (TV or TLV as received). */
int ikev1_attr_put(struct ikev1_enc *e, const struct ikev1_attr *a);

/* Re-encode a decoded SA body (inside an open SA payload): every proposal,
 * transform and attribute as received. sa: (borrowed). */
int ikev1_sa_put_body(struct ikev1_enc *e, const struct ikev1_sa *sa);

#endif
