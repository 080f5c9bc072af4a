/* ikev2_sa.h: the IKEv2 Security Association payload (RFC 7296 3.3):
 * proposals, transforms and transform attributes.
 *
 * Decoding is "validate now, interpret lazily": ikev2_sa_decode() walks the
 * whole payload once and rejects anything malformed (lengths, counts, Last
 * Substruc values, proposal numbering, SPI sizes), but stores only the span.
 * The iterators below then read proposals, transforms and attributes out of
 * that span without allocating; on a validated span they cannot fail. This
 * keeps struct ikev2_msg small and accepts the large offers real peers send
 * (strongSwan's default IKE proposal carries 60+ transforms).
 *
 * Limits (a payload beyond them is rejected as malformed):
 *   IKEV2_MAX_PROPOSALS   proposals per SA payload
 *   IKEV2_MAX_TRANSFORMS  transforms per proposal (twice strongSwan's largest
 *                         default offer; Num Transforms could say 255)
 *   IKEV2_MAX_ATTRS       attributes per transform (one is defined today)
 */
#ifndef OAK_WIRE_IKEV2_SA_H
#define OAK_WIRE_IKEV2_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/builder.h"
#include "lib/cursor.h"
#include "wire/header.h"

#define IKEV2_MAX_PROPOSALS  64
#define IKEV2_MAX_TRANSFORMS 128
#define IKEV2_MAX_ATTRS	     8

/* RFC 7296 3.3.1 / 3.3.2: Last Substruc values */
#define IKEV2_LAST_PROPOSAL   0
#define IKEV2_MORE_PROPOSALS  2
#define IKEV2_LAST_TRANSFORM  0
#define IKEV2_MORE_TRANSFORMS 3

/* A decoded SA payload body: the proposals, validated, not yet interpreted. */
struct ikev2_sa {
	struct span body; /* (borrowed) every Proposal Substructure */
	unsigned n_proposals;
};

/* One Proposal Substructure. Last Substruc, Proposal Length and Num
 * Transforms are checked on decode and computed on encode, so they are
 * reported here but never written by callers. */
struct ikev2_proposal {
	uint8_t last;		/* Last Substruc (0 or 2; reported) */
	uint8_t reserved;	/* RESERVED as received (encode: write 0 for new messages) */
	uint16_t length;	/* Proposal Length (reported) */
	uint8_t num;		/* Proposal Num */
	uint8_t protocol;	/* IKEV2_PROTO_* */
	uint8_t spi_size;	/* SPI Size (reported; encoding uses spi.len) */
	uint8_t n_transforms;	/* Num Transforms (reported) */
	struct span spi;	/* (borrowed) SPI Size bytes, empty when SPI Size is 0 */
	struct span transforms; /* (borrowed) the Transform Substructures */
};

/* One Transform Substructure. */
struct ikev2_transform {
	uint8_t last;	   /* Last Substruc (0 or 3; reported) */
	uint8_t reserved1; /* RESERVED after Last Substruc, as received */
	uint16_t length;   /* Transform Length (reported) */
	uint8_t type;	   /* IKEV2_TRANS_* */
	uint8_t reserved2; /* RESERVED after Transform Type, as received */
	uint16_t id;	   /* Transform ID */
	struct span attrs; /* (borrowed) the attributes, raw (walk with ikev2_attr_next) */
};

/* One Data Attribute (RFC 7296 3.3.5). */
struct ikev2_attr {
	bool tv;	  /* AF = 1: the value is `value`; AF = 0: it is `data` */
	uint16_t type;	  /* Attribute Type, 15 bits */
	uint16_t value;	  /* TV form */
	struct span data; /* TLV form (borrowed) */
};

/* A position inside an SA payload, a proposal or a transform. */
struct ikev2_iter {
	struct cursor c;
	unsigned index; /* 0-based number of the next item */
};

/* Validate the body of an SA payload (the bytes after the generic payload
 * header) that starts at message offset `off`. 0 with *sa filled, or
 * -EBADMSG with err saying which proposal/transform/attribute broke what.
 * `body` is borrowed: *sa points into it. */
int ikev2_sa_decode(struct span body, size_t off, struct ikev2_sa *sa, struct wire_err *err);

/* Walk proposals of a decoded SA: `it` starts before the first one;
 * ikev2_proposal_next() fills *p and returns true until they are exhausted. */
void ikev2_sa_proposals(const struct ikev2_sa *sa, struct ikev2_iter *it);
bool ikev2_proposal_next(struct ikev2_iter *it, struct ikev2_proposal *p);
/* Walk the transforms of a proposal, then the attributes of a transform. */
void ikev2_proposal_transforms(const struct ikev2_proposal *p, struct ikev2_iter *it);
bool ikev2_transform_next(struct ikev2_iter *it, struct ikev2_transform *t);
void ikev2_transform_attrs(const struct ikev2_transform *t, struct ikev2_iter *it);
bool ikev2_attr_next(struct ikev2_iter *it, struct ikev2_attr *a);
/* The Key Length attribute of a transform in bits, or -ENOENT when absent. */
int ikev2_transform_key_length(const struct ikev2_transform *t);

/* Encoder for an SA payload body (used through ikev2_put_sa_* in ikev2.h).
 * Proposal Length, Num Transforms and both Last Substruc fields are computed:
 * a proposal is closed when the next one starts or the SA ends. */
struct ikev2_sa_enc {
	struct builder *b; /* (borrowed) */
	size_t prop_at;	   /* offset of the open proposal */
	size_t trans_at;   /* offset of the last transform of the open proposal */
	unsigned n_props;
	unsigned n_trans;
	int err;
};

void ikev2_sa_enc_begin(struct ikev2_sa_enc *s, struct builder *b);
/* Start a proposal: num, protocol, reserved and spi are taken from *p (the
 * reported fields are ignored); spi is copied. 0 or negative errno. */
int ikev2_sa_enc_proposal(struct ikev2_sa_enc *s, const struct ikev2_proposal *p);
/* Add a transform to the open proposal: type, id, both reserved fields and
 * attrs (raw attribute bytes, copied) from *t. -EINVAL without a proposal. */
int ikev2_sa_enc_transform(struct ikev2_sa_enc *s, const struct ikev2_transform *t);
/* Add a transform with a Key Length attribute when key_bits > 0. */
int ikev2_sa_enc_transform_id(struct ikev2_sa_enc *s, uint8_t type, uint16_t id, unsigned key_bits);
/* Close the last proposal. -EINVAL when the SA has no proposal. */
int ikev2_sa_enc_end(struct ikev2_sa_enc *s);
/* Encode the proposals of a decoded SA again, field for field. */
int ikev2_sa_enc_copy(struct ikev2_sa_enc *s, const struct ikev2_sa *sa);

#endif
