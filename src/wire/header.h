/* header.h: the ISAKMP header shared by IKEv1 (RFC 2408 3.1) and IKEv2
 * (RFC 7296 3.1), and the error record every wire decoder fills.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  IKE SA Initiator's SPI (CKY-I)               |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  IKE SA Responder's SPI (CKY-R)               |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Message ID                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#ifndef OAK_WIRE_HEADER_H
#define OAK_WIRE_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/builder.h"
#include "lib/cursor.h"

#define ISAKMP_HDR_LEN 28
#define IKE_SPI_LEN    8

/* IKEv1 flags (RFC 2408 3.1) */
#define ISAKMP_FLAG_E 0x01 /* encryption */
#define ISAKMP_FLAG_C 0x02 /* commit */
#define ISAKMP_FLAG_A 0x04 /* authentication only */
/* IKEv2 flags (RFC 7296 3.1) */
#define IKEV2_FLAG_I 0x08 /* initiator */
#define IKEV2_FLAG_V 0x10 /* version: a higher major version is supported */
#define IKEV2_FLAG_R 0x20 /* response */

struct isakmp_hdr {
	uint8_t spi_i[IKE_SPI_LEN]; /* IKEv1: CKY-I */
	uint8_t spi_r[IKE_SPI_LEN]; /* IKEv1: CKY-R */
	uint8_t next_payload;
	uint8_t major, minor;
	uint8_t exchange;
	uint8_t flags;
	uint32_t msg_id;
	uint32_t length; /* the whole message, header included */
};

/* Where and why a decoder stopped: `offset` counts from the start of the
 * message (the ISAKMP header), `reason` says what was expected and what came. */
struct wire_err {
	size_t offset;
	char reason[192];
};

void wire_err_set(struct wire_err *e, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Decode the header at the cursor (which must start at the message's first
 * byte) and check it against the datagram: Length must equal the datagram's
 * size (RFC 7296 3.1 / RFC 2408 3.1 leave no room for trailing bytes) and be at
 * least ISAKMP_HDR_LEN. The version is not judged here: callers dispatch on
 * h->major. 0, or -EBADMSG with err filled. */
int isakmp_hdr_decode(struct cursor *c, struct isakmp_hdr *h, struct wire_err *err);

/* Append the header; Length is written as given: message builders patch it
 * with isakmp_hdr_patch_length() when the message is complete. */
int isakmp_hdr_encode(struct builder *b, const struct isakmp_hdr *h);
/* Write the builder's current size into the Length field of a header that
 * starts at offset hdr_off. */
int isakmp_hdr_patch_length(struct builder *b, size_t hdr_off);

/* The major version of a datagram without decoding it (0 if too short). */
unsigned isakmp_peek_major(const uint8_t *msg, size_t len);

#endif
