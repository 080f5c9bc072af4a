/* ikev1.h: IKEv1 / ISAKMP messages (RFC 2408 3, RFC 2407 4.6, RFC 2409,
 * RFC 3947, RFC 3706, IKE fragmentation): decode into a flat array of
 * payloads that borrow from the packet, and encode with a builder.
 *
 * Decoding. ikev1_msg_decode() checks the ISAKMP header (header.h; major 1).
 * When the E flag is set everything after the header is ciphertext: decoding
 * stops there and msg->encrypted is the body. The engine decrypts it into its
 * own buffer and calls ikev1_chain_decode(msg->hdr.next_payload, plaintext,
 * msg, err), which fills the payloads and keeps the padding after the last one
 * (see ikev1_chain_decode). Without the E flag decode fills the payloads
 * directly. Payloads, SPIs, nonces... are spans into the caller's buffers
 * (borrowed: the buffers must outlive the message). No heap allocation; at
 * most IKEV1_MAX_PAYLOADS payloads.
 *
 * Every field needed to encode the message again byte for byte is kept:
 * RESERVED fields as received, payload order, the wire number of NAT-D/NAT-OA
 * (20/21 or the draft 130/131), TV vs TLV attributes, the padding after a
 * decrypted chain. ikev1_msg_encode() of a decoded message gives back its
 * exact bytes (the fuzz target checks this).
 *
 * Errors: 0, or negative with err->offset (from the message start; a
 * decrypted chain counts as if it followed the 28-byte header) and
 * err->reason, and msg->notify set to the ISAKMP notify type RFC 2408 5
 * answers with (INVALID-PAYLOAD-TYPE with msg->bad_type for an unknown
 * payload, PAYLOAD-MALFORMED, BAD-PROPOSAL-SYNTAX, INVALID-ID-INFORMATION,
 * DOI-NOT-SUPPORTED, SITUATION-NOT-SUPPORTED, INVALID-MAJOR-VERSION,
 * UNEQUAL-PAYLOAD-LENGTHS). Returns: -EBADMSG malformed, -ENOTSUP unknown
 * payload type, -E2BIG over a limit, -EPROTONOSUPPORT unsupported DOI or
 * major version, -EOPNOTSUPP unsupported situation.
 *
 * Encoding. struct ikev1_enc wraps a builder:
 *
 *   ikev1_enc_begin(&e, &b, &hdr);                 header, next/length later
 *   ikev1_put_data(&e, ISAKMP_NP_KE, ke);          payload by payload
 *   ikev1_put_data(&e, ISAKMP_NP_NONCE, ni);
 *   ikev1_enc_end(&e);                             fills header Length
 *
 * Next Payload fields and every length are written by the encoder. For an
 * encrypted message, encode the chain alone with ikev1_enc_begin_chain()
 * into a second builder, pad it (ikev1_chain_pad), encrypt it, then write
 * the header and the ciphertext with ikev1_enc_encrypted(), passing
 * e.first as the header's Next Payload. Errors are sticky in the encoder
 * (and in the builder): chain the calls and test ikev1_enc_end().
 */
#ifndef OAK_WIRE_IKEV1_H
#define OAK_WIRE_IKEV1_H

#include <stddef.h>
#include <stdint.h>

#include "lib/builder.h"
#include "lib/cursor.h"
#include "wire/header.h"
#include "wire/ikev1_names.h"
#include "wire/ikev1_sa.h"

/* Payloads per message. Windows and strongSwan send up to ~12 VIDs in Main
 * Mode message 1; certificate setups send one CR per trusted CA. */
#define IKEV1_MAX_PAYLOADS 64
/* Attributes per Mode-Config ATTR payload (split-include lists are long). */
#define IKEV1_MAX_CFG_ATTRS 128
/* RFC 2409 5: "The length of nonce payload MUST be between 8 and 256 bytes". */
#define IKEV1_NONCE_MIN 8
#define IKEV1_NONCE_MAX 256
/* NAT-D (RFC 3947 3.2) is a hash of the negotiated hash function: 16 (MD5)
 * to 64 (SHA2-512) bytes; the engine checks the exact size. */
#define IKEV1_NATD_MIN 16
#define IKEV1_NATD_MAX 64
/* IKE fragmentation payload flags */
#define IKEV1_FRAG_LAST 0x01

/* Identification payload, IPsec DOI (RFC 2407 4.6.2). */
struct ikev1_id {
	uint8_t type;	  /* IPSEC_ID_* */
	uint8_t protocol; /* IP protocol, 0 = any */
	uint16_t port;	  /* 0 = any */
	struct span data; /* (borrowed) address(es), name, DN, key id */
};

/* Certificate (RFC 2408 3.9) and Certificate Request (3.10) payloads. */
struct ikev1_cert {
	uint8_t encoding; /* ISAKMP_CERT_* */
	struct span data; /* (borrowed) certificate / certificate authority (may be empty in CR) */
};

/* Notification payload (RFC 2408 3.14). DPD (RFC 3706 5.3): spi = the two
 * cookies, data = the 4-byte sequence number. */
struct ikev1_notify {
	uint32_t doi;
	uint8_t protocol;
	uint16_t type;	  /* ISAKMP_N_*, IPSEC_N_* */
	struct span spi;  /* (borrowed) SPI Size bytes */
	struct span data; /* (borrowed) */
};

/* Delete payload (RFC 2408 3.15). */
struct ikev1_delete {
	uint32_t doi;
	uint8_t protocol;
	uint8_t spi_size;
	uint16_t count;	  /* # of SPIs */
	struct span spis; /* (borrowed) count * spi_size bytes */
};

/* NAT-OA payload (RFC 3947 5.2). */
struct ikev1_natoa {
	uint8_t id_type;    /* IPSEC_ID_IPV4_ADDR or IPSEC_ID_IPV6_ADDR */
	uint8_t reserved1;  /* RESERVED as received */
	uint16_t reserved2; /* RESERVED as received */
	struct span addr;   /* (borrowed) 4 or 16 bytes */
};

/* IKE fragmentation payload (type 132; Cisco's extension, as strongSwan and
 * Windows send it). */
struct ikev1_frag {
	uint16_t id;	  /* Fragment ID: equal for all fragments of one message */
	uint8_t number;	  /* 1..n; 0 is refused */
	uint8_t flags;	  /* IKEV1_FRAG_LAST on the last fragment */
	struct span data; /* (borrowed) */
};

/* Mode-Config attribute payload (draft-dukes-ike-mode-cfg-02 3.2, type 14). */
struct ikev1_cfg {
	uint8_t cfg_type; /* ISAKMP_CFG_REQUEST 1, REPLY 2, SET 3, ACK 4 */
	uint8_t reserved; /* RESERVED as received */
	uint16_t identifier;
	struct span attrs; /* (borrowed) data attributes, iterate with ikev1_attrs_begin */
	size_t attrs_off;
	unsigned nattrs;
};

struct ikev1_payload {
	uint8_t type;	  /* Next Payload value as on the wire (130 stays 130) */
	uint8_t kind;	  /* type with the drafts folded: 130 -> NAT-D 20, 131 -> NAT-OA 21 */
	uint8_t reserved; /* generic header RESERVED as received */
	uint16_t length;  /* Payload Length as received */
	size_t offset;	  /* of the generic header, from the message start */
	struct span body; /* (borrowed) after the 4-byte generic header */
	union {
		struct ikev1_sa sa;
		struct ikev1_id id;
		struct ikev1_cert cert; /* CERT and CR */
		struct ikev1_notify n;
		struct ikev1_delete d;
		struct ikev1_natoa natoa;
		struct ikev1_frag frag;
		struct ikev1_cfg cfg;
		struct span data; /* KE, HASH, SIG, NONCE, VID, NAT-D, GSS */
	} u;
};

struct ikev1_msg {
	struct isakmp_hdr hdr;
	struct span raw;       /* (borrowed) the whole datagram */
	struct span encrypted; /* E flag: (borrowed) the body after the header, else empty */
	uint8_t first;	       /* type of the first payload of the chain */
	unsigned npl;
	struct ikev1_payload pl[IKEV1_MAX_PAYLOADS];
	struct span padding; /* decrypted chain: (borrowed) bytes after the last payload */
	uint16_t notify;     /* after an error: the notify type to answer with */
	uint8_t bad_type;    /* after -ENOTSUP: the unknown payload type */
};

/* Decode a datagram (buf: borrowed, must outlive msg). */
int ikev1_msg_decode(const uint8_t *buf, size_t len, struct ikev1_msg *msg, struct wire_err *err);

/* Decode the payload chain of a decrypted body (plain: borrowed, must outlive
 * msg), first payload `first` (the header's Next Payload). Offsets in err and
 * in the payloads count as if the chain followed the 28-byte header.
 *
 * Padding: strongSwan and libreswan pad the plaintext with zero bytes to the
 * cipher block size (strongSwan always adds 1..16 bytes, libreswan 0..15);
 * RFC 2409 5.3 pads with zeros whose last byte is the pad count, and some
 * peers pad beyond one block. So after the last payload we accept any number
 * of zero bytes, the last of which may instead equal the number of bytes
 * before it in the padding (RFC 2409 5.3); any other non-zero byte is
 * refused ("non-zero padding byte"), since it means a wrong key or a broken
 * Next Payload chain rather than padding. msg->padding keeps the bytes.
 * The same rule applies after the last payload of a clear message
 * (libreswan's ikepad=yes pads clear messages to 4 bytes). */
int ikev1_chain_decode(uint8_t first, struct span plain, struct ikev1_msg *msg,
		       struct wire_err *err);

/* The nth (0-based) payload of a kind (NAT-D/NAT-OA match both numbers), or
 * NULL. (borrowed from msg) */
const struct ikev1_payload *ikev1_msg_get(const struct ikev1_msg *msg, uint8_t kind, unsigned nth);
unsigned ikev1_msg_count(const struct ikev1_msg *msg, uint8_t kind);
/* 130 -> 20, 131 -> 21, anything else unchanged. */
uint8_t ikev1_payload_kind(uint8_t type);

/* DPD (RFC 3706 5.3): the sequence number of an R-U-THERE(-ACK) notify; 0 or
 * -EBADMSG when the data is not 4 bytes. */
int ikev1_notify_dpd_seq(const struct ikev1_notify *n, uint32_t *seq);

/* Encoder (see the top of this file). */
struct ikev1_enc {
	struct builder *b; /* (borrowed) */
	size_t hdr_off;	   /* header offset in b, SIZE_MAX for a bare chain */
	size_t np_off;	   /* where the next payload's type goes, SIZE_MAX: into `first` */
	size_t pl_off;	   /* open payload, SIZE_MAX when none */
	uint8_t first;	   /* type of the first payload (for the header of an encrypted message) */
	unsigned count;	   /* payloads written */
	/* SA substructure (ikev1_sa.c) */
	size_t prop_off, xform_off, prev_prop_off, prev_xform_off;
	unsigned nxforms;
	int err; /* sticky: the first error (builder's, -EINVAL misuse, -EMSGSIZE length) */
};

/* Start a message in b (borrowed): the header h (borrowed) is written with
 * Next Payload and Length to be filled in. */
int ikev1_enc_begin(struct ikev1_enc *e, struct builder *b, const struct isakmp_hdr *h);
/* Start a bare payload chain (the plaintext of an encrypted message). */
int ikev1_enc_begin_chain(struct ikev1_enc *e, struct builder *b);
/* Finish: the header's Length (when there is a header). Returns the sticky
 * error: 0, -ENOBUFS/-ENOMEM (builder), -EINVAL (a payload left open),
 * -EMSGSIZE (a payload over 65535 bytes). */
int ikev1_enc_end(struct ikev1_enc *e);

/* Generic payload framing, for payload kinds without a helper below:
 * begin writes the generic header (RESERVED = reserved), end its length. */
int ikev1_payload_begin(struct ikev1_enc *e, uint8_t type, uint8_t reserved);
int ikev1_payload_end(struct ikev1_enc *e);

/* KE, HASH, SIG, NONCE, VID, NAT-D (20 or 130), GSS: data (borrowed). */
int ikev1_put_data(struct ikev1_enc *e, uint8_t type, struct span data);
int ikev1_put_id(struct ikev1_enc *e, const struct ikev1_id *id);
/* type ISAKMP_NP_CERT or ISAKMP_NP_CR. */
int ikev1_put_cert(struct ikev1_enc *e, uint8_t type, const struct ikev1_cert *c);
int ikev1_put_notify(struct ikev1_enc *e, const struct ikev1_notify *n);
/* spi_size and count are taken from d (count * spi_size must equal spis.len). */
int ikev1_put_delete(struct ikev1_enc *e, const struct ikev1_delete *d);
/* type ISAKMP_NP_NATOA or ISAKMP_NP_NATOA_DRAFT. */
int ikev1_put_natoa(struct ikev1_enc *e, uint8_t type, const struct ikev1_natoa *o);
int ikev1_put_frag(struct ikev1_enc *e, const struct ikev1_frag *f);
/* ATTR: begin it, add attributes with ikev1_attr_tv/tlv/num, end it. */
int ikev1_cfg_begin(struct ikev1_enc *e, uint8_t cfg_type, uint16_t identifier);
int ikev1_cfg_end(struct ikev1_enc *e);

/* Re-encode one decoded payload exactly (p: borrowed). */
int ikev1_put_payload(struct ikev1_enc *e, const struct ikev1_payload *p);

/* Pad a plaintext chain with zero bytes to a multiple of block (RFC 2409
 * appendix B); nothing when already aligned or block <= 1. */
int ikev1_chain_pad(struct builder *b, size_t block);

/* Append header h (borrowed; its Next Payload must be the chain's first
 * type) with the E flag set and Length = 28 + ciphertext.len, then the
 * ciphertext (borrowed). */
int ikev1_enc_encrypted(struct builder *b, const struct isakmp_hdr *h, struct span ciphertext);

/* Encode a decoded message again into b (msg: borrowed): the header, then
 * either its payloads or, when it is still encrypted, its ciphertext. */
int ikev1_msg_encode(const struct ikev1_msg *msg, struct builder *b);
/* Encode a decoded chain (after ikev1_chain_decode) and its padding. */
int ikev1_chain_encode(const struct ikev1_msg *msg, struct builder *b);

#endif
