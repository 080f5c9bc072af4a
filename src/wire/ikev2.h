/* ikev2.h: IKEv2 messages (RFC 7296 section 3): the payload chain and every
 * payload body, decoded into typed structs that borrow from the datagram, and
 * encoded with a builder that writes every Next Payload and length itself.
 *
 * Decoding keeps every bit needed to encode the same bytes again: the octet
 * holding the critical bit and RESERVED bits of each generic header, RESERVED
 * fields, payload order, unknown payloads (kept raw). Counts and lengths are
 * checked on decode and computed on encode, so ikev2_msg_encode() of a decoded
 * message gives back the datagram byte for byte (tests/fuzz/fuzz_ikev2_msg.c
 * holds the codec to that).
 *
 * Judged here (an error, -EBADMSG): anything that makes the bytes ambiguous or
 * breaks a MUST about syntax of RFC 7296 3.x: lengths, counts, the SK/SKF
 * payload not last, Nonce Data outside 16..256 bytes (3.9), TS selector
 * lengths, D SPI counts. Left to the engine: whether a value is acceptable
 * (groups, KE data length, ID contents, notify SPI sizes, an empty TS list),
 * and which payloads a message may carry (ikev2_rules.h).
 *
 * Decoding lives in ikev2.c, encoding in ikev2_enc.c.
 *
 * Limits: IKEV2_MAX_PAYLOADS payloads per message, outer and inner together;
 * SA limits in ikev2_sa.h. No heap allocation: struct ikev2_msg holds a fixed
 * array (about 4.6 KiB on x86-64; the engine may keep one per message in
 * flight).
 */
#ifndef OAK_WIRE_IKEV2_H
#define OAK_WIRE_IKEV2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/builder.h"
#include "lib/cursor.h"
#include "wire/header.h"
#include "wire/ikev2_sa.h"
#include "wire/names.h"

#define IKEV2_MAX_PAYLOADS  64
#define IKEV2_PL_HDR_LEN    4
#define IKEV2_CRITICAL	    0x80 /* RFC 7296 3.2: the C bit of octet 1 */
#define IKEV2_NONCE_MIN_LEN 16	 /* RFC 7296 3.9 */
#define IKEV2_NONCE_MAX_LEN 256

/* Error returns of the decoders (besides -EBADMSG for malformed input):
 * the engine answers -ENOTSUP with N(UNSUPPORTED_CRITICAL_PAYLOAD) carrying
 * msg->unsupported_critical, and -EPROTONOSUPPORT with
 * N(INVALID_MAJOR_VERSION); -EBADMSG means INVALID_SYNTAX. */

/* KE (RFC 7296 3.4) */
struct ikev2_ke {
	uint16_t group;	   /* Diffie-Hellman Group Num, IKEV2_DH_* */
	uint16_t reserved; /* as received; 0 when building */
	struct span data;  /* Key Exchange Data (borrowed) */
};

/* IDi, IDr (3.5) */
struct ikev2_id {
	uint8_t type; /* IKEV2_ID_* */
	uint8_t reserved[3];
	struct span data;
};

/* CERT (3.6) and CERTREQ (3.7) */
struct ikev2_cert {
	uint8_t encoding; /* IKEV2_CERT_* */
	struct span data; /* Certificate Data, or Certification Authority hashes */
};

/* AUTH (3.8) */
struct ikev2_auth {
	uint8_t method; /* IKEV2_AUTH_METHOD_* */
	uint8_t reserved[3];
	struct span data;
};

/* N (3.10). spi_size is reported; encoding uses spi.len. */
struct ikev2_notify {
	uint8_t protocol; /* IKEV2_PROTO_*, 0 when the SPI is empty */
	uint8_t spi_size;
	uint16_t type; /* IKEV2_N_* */
	struct span spi;
	struct span data;
};

/* D (3.11). count is reported; encoding computes it from spis.len. */
struct ikev2_delete {
	uint8_t protocol;
	uint8_t spi_size; /* 0 for IKE, 4 for AH and ESP (checked on decode) */
	uint16_t count;
	struct span spis; /* count * spi_size bytes; see ikev2_delete_spi() */
};

/* TSi, TSr (3.13): the selectors are read with ikev2_ts_next(). */
struct ikev2_ts_list {
	uint8_t count; /* Number of TSs (reported) */
	uint8_t reserved[3];
	struct span selectors; /* (borrowed) */
};

/* One Traffic Selector (3.13.1). For types 7 and 8 ports and addresses are
 * filled (start/end are 4 or 16 bytes); any other type keeps the bytes after
 * Selector Length in `data`, with octet 1 in `proto`. */
struct ikev2_ts {
	uint8_t type;	 /* IKEV2_TS_* */
	uint8_t proto;	 /* IP Protocol ID (0: any) */
	uint16_t length; /* Selector Length (reported) */
	uint16_t start_port, end_port;
	struct span start, end; /* addresses (borrowed) */
	struct span data;	/* other types: the rest of the selector */
};

/* SK (3.14) and SKF (RFC 7383 2.5). The whole body past the generic header
 * (and past the fragment numbers for SKF) stays one span: the engine knows
 * the IV and ICV sizes. */
struct ikev2_sk {
	uint8_t inner;		       /* Next Payload of SK/SKF: the first inner payload type
			  (0 in SKF fragments after the first, RFC 7383 2.5) */
	uint16_t frag_num, frag_total; /* SKF only: 1 <= frag_num <= frag_total */
	struct span data;	       /* IV | encrypted payloads, padding, pad length | ICV */
};

/* CP (3.15): attributes are read with ikev2_cp_next(). */
struct ikev2_cp {
	uint8_t type; /* IKEV2_CFG_* */
	uint8_t reserved[3];
	struct span attrs; /* (borrowed) */
};

/* One Configuration Attribute (3.15.1). */
struct ikev2_cp_attr {
	uint16_t type;	   /* 15 bits, IKEV2_CP_* */
	bool r;		   /* the reserved R bit as received (false when building) */
	struct span value; /* (borrowed) Length is computed */
};

/* EAP (3.16). `length` is the EAP Length field (reported; computed on
 * encode); `trailer` holds payload bytes past it (RFC 3748 4: ignored). */
struct ikev2_eap {
	uint8_t code; /* IKEV2_EAP_* */
	uint8_t id;
	uint16_t length;
	bool has_type; /* Request and Response carry a Type octet */
	uint8_t type;
	struct span data;    /* Type-Data */
	struct span trailer; /* after Length; empty when building */
};

/* One payload of a decoded message. */
struct ikev2_payload {
	uint8_t type;	  /* this payload's type (named by the previous Next Payload) */
	uint8_t next;	  /* its own Next Payload octet as received */
	uint8_t flags;	  /* octet 1: IKEV2_CRITICAL and the RESERVED bits, as received */
	bool known;	  /* body interpreted; false: unknown non-critical, skipped */
	bool inner;	  /* from decrypted SK contents (ikev2_chain_decode) */
	size_t off;	  /* offset of the generic header (see ikev2_chain_decode) */
	struct span body; /* after the generic header (borrowed) */
	union {
		struct ikev2_sa sa;
		struct ikev2_ke ke;
		struct ikev2_id id;	/* IDi, IDr */
		struct ikev2_cert cert; /* CERT, CERTREQ */
		struct ikev2_auth auth;
		struct span nonce; /* Ni, Nr: Nonce Data */
		struct ikev2_notify n;
		struct ikev2_delete d;
		struct span v;		 /* Vendor ID */
		struct ikev2_ts_list ts; /* TSi, TSr */
		struct ikev2_sk sk;	 /* SK, SKF */
		struct ikev2_cp cp;
		struct ikev2_eap eap;
	};
};

struct ikev2_msg {
	struct isakmp_hdr hdr;
	struct span raw; /* the whole datagram (borrowed) */
	unsigned count;	 /* payloads in pl[]: the outer ones, then any inner ones */
	unsigned n_outer;
	int sk;			      /* index of the SK or SKF payload in pl[], or -1 */
	uint8_t unsupported_critical; /* the type, when decoding returned -ENOTSUP */
	struct ikev2_payload pl[IKEV2_MAX_PAYLOADS];
};

/* Decode an IKEv2 datagram (the non-ESP marker already stripped): the header
 * (major version 2, Length equal to len) and the outer payload chain. msg
 * borrows from buf. Returns 0, -EBADMSG (malformed; err says what and
 * where), -EPROTONOSUPPORT (major version not 2) or -ENOTSUP (an unknown
 * payload with the critical bit; its type in msg->unsupported_critical).
 * Unknown payloads without the critical bit are kept with known = false. */
int ikev2_msg_decode(const uint8_t *buf, size_t len, struct ikev2_msg *msg, struct wire_err *err);

/* Decode the decrypted contents of SK (without padding and pad length) as a
 * chain starting with type `first` (the SK's Next Payload) and append the
 * payloads to msg with inner = true, by the same code as the outer chain.
 * Offsets (payload off and err->offset) are base_off + the position in
 * `plain`; pass the offset of the SK body to relate them to the message.
 * plain is borrowed: keep it alive as long as msg. Same returns as above; an
 * SK or SKF inside SK is malformed. */
int ikev2_chain_decode(uint8_t first, struct span plain, size_t base_off, struct ikev2_msg *msg,
		       struct wire_err *err);

/* Lookup helpers (borrowed results into msg; NULL when absent). `after` is a
 * previous result to continue from, or NULL to start. */
const struct ikev2_payload *ikev2_msg_find(const struct ikev2_msg *m, uint8_t type,
					   const struct ikev2_payload *after);
const struct ikev2_payload *ikev2_msg_find_notify(const struct ikev2_msg *m, uint16_t type);
unsigned ikev2_msg_count(const struct ikev2_msg *m, uint8_t type);

/* Sub-structure readers: start with the payload's struct, then call next
 * until it returns false (never past the payload; cannot fail on a decoded
 * payload). */
void ikev2_ts_iter(const struct ikev2_ts_list *ts, struct ikev2_iter *it);
bool ikev2_ts_next(struct ikev2_iter *it, struct ikev2_ts *ts);
void ikev2_cp_iter(const struct ikev2_cp *cp, struct ikev2_iter *it);
bool ikev2_cp_next(struct ikev2_iter *it, struct ikev2_cp_attr *a);
/* SPI number i (0-based) of a Delete payload, an empty span past the end. */
struct span ikev2_delete_spi(const struct ikev2_delete *d, unsigned i);

/* --- encoding ---
 *
 * A message:  ikev2_msg_encode_begin(&e, b, &hdr); ikev2_put_*(&e, ...) ...;
 *             ikev2_msg_encode_end(&e);
 * SK contents: ikev2_chain_encode_begin(&e, inner_b); ikev2_put_*(&e, ...);
 *             ikev2_chain_encode_end(&e, &first); then encrypt inner_b's bytes
 *             and write them into the message with ikev2_put_sk(&e2, first, ...).
 * Every Next Payload, Payload Length, count and Last Substruc is written by
 * the encoder. Errors are sticky (like the builder's): test the _end() call.
 * Building payloads write a zero critical/RESERVED octet (RFC 7296 3.2).
 */
struct ikev2_enc {
	struct builder *b; /* (borrowed) */
	size_t start;	   /* offset of the header, or of the chain */
	size_t next_at;	   /* octet that names the next payload (SIZE_MAX: none yet) */
	size_t pl_at;	   /* generic header of the payload being written */
	bool message;	   /* with an ISAKMP header */
	bool sealed;	   /* an SK/SKF was written: it must stay last */
	uint8_t first;	   /* type of the first payload of the chain */
	struct ikev2_sa_enc sa;
	bool in_sa;
	int err;
};

/* Start a message: writes hdr (its next_payload and length are ignored and
 * computed); hdr is copied. b (borrowed) must outlive e. */
int ikev2_msg_encode_begin(struct ikev2_enc *e, struct builder *b, const struct isakmp_hdr *hdr);
/* Patch Length; 0 or the first error of any put. */
int ikev2_msg_encode_end(struct ikev2_enc *e);
/* Start/end a bare payload chain (SK contents); *first gets the type of its
 * first payload (IKEV2_PL_NONE for an empty chain). */
int ikev2_chain_encode_begin(struct ikev2_enc *e, struct builder *b);
int ikev2_chain_encode_end(struct ikev2_enc *e, uint8_t *first);

/* Payloads (all arguments borrowed and copied into the builder). */
int ikev2_put_sa_begin(struct ikev2_enc *e);
int ikev2_put_proposal(struct ikev2_enc *e, const struct ikev2_proposal *p);
int ikev2_put_transform(struct ikev2_enc *e, const struct ikev2_transform *t);
/* A transform with a Key Length attribute when key_bits > 0. */
int ikev2_put_transform_id(struct ikev2_enc *e, uint8_t type, uint16_t id, unsigned key_bits);
int ikev2_put_sa_end(struct ikev2_enc *e);
int ikev2_put_ke(struct ikev2_enc *e, const struct ikev2_ke *ke);
/* pl_type: IKEV2_PL_IDI or IKEV2_PL_IDR */
int ikev2_put_id(struct ikev2_enc *e, uint8_t pl_type, const struct ikev2_id *id);
/* pl_type: IKEV2_PL_CERT or IKEV2_PL_CERTREQ */
int ikev2_put_cert(struct ikev2_enc *e, uint8_t pl_type, const struct ikev2_cert *c);
int ikev2_put_auth(struct ikev2_enc *e, const struct ikev2_auth *a);
/* -EINVAL when the nonce is outside 16..256 bytes */
int ikev2_put_nonce(struct ikev2_enc *e, struct span nonce);
int ikev2_put_notify(struct ikev2_enc *e, const struct ikev2_notify *n);
/* -EINVAL when spis.len is not a multiple of spi_size (or non-empty with 0) */
int ikev2_put_delete(struct ikev2_enc *e, const struct ikev2_delete *d);
int ikev2_put_vendor(struct ikev2_enc *e, struct span vid);
/* pl_type: IKEV2_PL_TSI or IKEV2_PL_TSR; n <= 255 selectors. Types 7/8 need
 * 4- or 16-byte start and end addresses (-EINVAL otherwise). */
int ikev2_put_ts(struct ikev2_enc *e, uint8_t pl_type, const struct ikev2_ts *ts, size_t n);
int ikev2_put_cp(struct ikev2_enc *e, uint8_t cfg_type, const struct ikev2_cp_attr *attrs,
		 size_t n);
int ikev2_put_eap(struct ikev2_enc *e, const struct ikev2_eap *eap);
/* The Encrypted payload, last in a message (-EINVAL in a bare chain):
 * first_inner is the type of the first inner payload; body is IV |
 * ciphertext | padding | pad length | ICV (NULL: write len zero bytes for the
 * caller to fill in place later). *body_off (may be NULL) gets the builder
 * offset of the body: after ikev2_msg_encode_end() the bytes before it are
 * the AEAD associated data (RFC 5282 5.1) and the ICV is the last bytes. */
int ikev2_put_sk(struct ikev2_enc *e, uint8_t first_inner, const uint8_t *body, size_t len,
		 size_t *body_off);
/* The Encrypted Fragment payload (RFC 7383); first_inner is 0 after fragment 1. */
int ikev2_put_skf(struct ikev2_enc *e, uint8_t first_inner, uint16_t frag_num, uint16_t frag_total,
		  const uint8_t *body, size_t len, size_t *body_off);
/* Any payload with a raw body and the given critical/RESERVED octet (private
 * use types, tests). */
int ikev2_put_raw(struct ikev2_enc *e, uint8_t type, uint8_t flags, struct span body);

/* Encode a decoded payload again from its fields (keeping its flags octet). */
int ikev2_put_payload(struct ikev2_enc *e, const struct ikev2_payload *p);
/* Encode a decoded message again: header and outer payloads (the SK body as
 * received). Appends to b (borrowed). */
int ikev2_msg_encode(struct builder *b, const struct ikev2_msg *m);
/* Encode the inner (decrypted) payloads of a decoded message as a chain;
 * *first gets the first type. */
int ikev2_inner_encode(struct builder *b, const struct ikev2_msg *m, uint8_t *first);

#endif
