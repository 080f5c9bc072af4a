/* ikev1.c: IKEv1 message decode and encode (RFC 2408 3, RFC 2407 4.6,
 * RFC 3947, RFC 3706, IKE fragmentation). Each payload is validated
 * (lengths against its type) before any field is interpreted. */
#include "wire/ikev1.h"

#include <errno.h>
#include <string.h>

#include "lib/util.h"

/* How a payload body is decoded: its minimum body size (after the generic
 * header), its decoder, and the notify for a malformed body. Members are
 * ordered by size so that the table packs without holes. */
struct pl_desc {
	int (*decode)(struct ikev1_payload *p, size_t off, struct wire_err *err);
	size_t min;
	uint16_t notify;
	uint8_t type;
};
/* A row: type, minimum body size, decoder, notify for a malformed body. */
#define PL(t, m, dec, n)                                                                           \
	{                                                                                          \
		.type = (t), .min = (m), .decode = (dec), .notify = (n)                            \
	}

static const char *pl_name(uint8_t type)
{
	const char *n = enum_name(&ikev1_payload_names, type);

	return n ? n : "unknown";
}

/* KE (3.7), HASH (3.11), SIG (3.12), VID (3.16), GSS token: opaque data.
 *  ! Next Payload  !   RESERVED    !         Payload Length        !
 *  ~                    Data (KE, hash, signature, VID)            ~
 */
static int data_decode(struct ikev1_payload *p, size_t off, struct wire_err *err)
{
	p->u.data = p->body;
	return 0;
}

/* RFC 2408 3.13 Nonce Payload
 *  ! Next Payload  !   RESERVED    !         Payload Length        !
 *  ~                            Nonce Data                         ~
 * RFC 2409 5: the nonce is 8 to 256 bytes. */
static int nonce_decode(struct ikev1_payload *p, size_t off, struct wire_err *err)
{
	if (p->body.len < IKEV1_NONCE_MIN || p->body.len > IKEV1_NONCE_MAX) {
		wire_err_set(err, off, "nonce of %zu bytes: expected %d to %d (RFC 2409 5)",
			     p->body.len, IKEV1_NONCE_MIN, IKEV1_NONCE_MAX);
		return -EBADMSG;
	}
	p->u.data = p->body;
	return 0;
}

/* RFC 3947 3.2 NAT-D (20; draft 130)
 *  ! Next Payload  !   RESERVED    !         Payload Length        !
 *  ~                 HASH of the address and port                  ~
 * The hash is the negotiated one: 16 (MD5) to 64 (SHA2-512) bytes. */
static int natd_decode(struct ikev1_payload *p, size_t off, struct wire_err *err)
{
	if (p->body.len < IKEV1_NATD_MIN || p->body.len > IKEV1_NATD_MAX) {
		wire_err_set(err, off,
			     "NAT-D hash of %zu bytes: expected %d (MD5) to %d (SHA2-512)",
			     p->body.len, IKEV1_NATD_MIN, IKEV1_NATD_MAX);
		return -EBADMSG;
	}
	p->u.data = p->body;
	return 0;
}

static int sa_decode(struct ikev1_payload *p, size_t off, struct wire_err *err)
{
	return ikev1_sa_decode(p->body, off, &p->u.sa, err);
}

/* The exact data size of an address ID type (RFC 2407 4.6.2.2-4.6.2.8), or
 * 0 for the types of any length. */
static size_t id_addr_len(uint8_t type)
{
	switch (type) {
	case IPSEC_ID_IPV4_ADDR:
		return 4;
	case IPSEC_ID_IPV4_ADDR_SUBNET:
	case IPSEC_ID_IPV4_ADDR_RANGE:
		return 8;
	case IPSEC_ID_IPV6_ADDR:
		return 16;
	case IPSEC_ID_IPV6_ADDR_SUBNET:
	case IPSEC_ID_IPV6_ADDR_RANGE:
		return 32;
	default:
		return 0;
	}
}

/* RFC 2407 4.6.2 Identification Payload (IPsec DOI form of RFC 2408 3.8)
 *  ! Next Payload  !   RESERVED    !        Payload Length         !
 *  !   ID Type     !  Protocol ID  !             Port              !
 *  ~                     Identification Data                       ~
 */
static int id_decode(struct ikev1_payload *p, size_t off, struct wire_err *err)
{
	struct cursor c;
	size_t want;

	cur_init(&c, p->body.p, p->body.len);
	cur_u8(&c, &p->u.id.type);
	cur_u8(&c, &p->u.id.protocol);
	cur_u16(&c, &p->u.id.port);
	p->u.id.data = cur_rest(&c);
	want = id_addr_len(p->u.id.type);
	if (want && p->u.id.data.len != want) {
		wire_err_set(err, off + 4, "%s needs %zu bytes of identification data, %zu came",
			     enum_name(&ipsec_id_names, p->u.id.type), want, p->u.id.data.len);
		return -EBADMSG;
	}
	return 0;
}

/* RFC 2408 3.9 Certificate / 3.10 Certificate Request
 *  ! Next Payload  !   RESERVED    !         Payload Length        !
 *  ! Cert Encoding !                                               !
 *  +-+-+-+-+-+-+-+-+   Certificate Data / Certificate Authority    ~
 */
static int cert_decode(struct ikev1_payload *p, size_t off, struct wire_err *err)
{
	p->u.cert.encoding = p->body.p[0];
	p->u.cert.data = (struct span){p->body.p + 1, p->body.len - 1};
	return 0;
}

/* RFC 2408 3.14 Notification Payload
 *  ! Next Payload  !   RESERVED    !         Payload Length        !
 *  !              Domain of Interpretation  (DOI)                  !
 *  !  Protocol-ID  !   SPI Size    !      Notify Message Type      !
 *  ~                Security Parameter Index (SPI)                 ~
 *  ~                       Notification Data                       ~
 */
static int notify_decode(struct ikev1_payload *p, size_t off, struct wire_err *err)
{
	struct ikev1_notify *n = &p->u.n;
	struct cursor c;
	uint8_t spi_size = 0;

	cur_init(&c, p->body.p, p->body.len);
	cur_u32(&c, &n->doi);
	cur_u8(&c, &n->protocol);
	cur_u8(&c, &spi_size);
	cur_u16(&c, &n->type);
	if (spi_size > cur_left(&c)) {
		wire_err_set(err, off + 5, "notify SPI size %u: only %zu bytes follow", spi_size,
			     cur_left(&c));
		return -EBADMSG;
	}
	cur_span(&c, spi_size, &n->spi);
	n->data = cur_rest(&c);
	return 0;
}

/* RFC 2408 3.15 Delete Payload
 *  ! Next Payload  !   RESERVED    !         Payload Length        !
 *  !              Domain of Interpretation  (DOI)                  !
 *  !  Protocol-Id  !   SPI Size    !           # of SPIs           !
 *  ~               Security Parameter Index(es) (SPI)              ~
 */
static int delete_decode(struct ikev1_payload *p, size_t off, struct wire_err *err)
{
	struct ikev1_delete *d = &p->u.d;
	struct cursor c;
	size_t want;

	cur_init(&c, p->body.p, p->body.len);
	cur_u32(&c, &d->doi);
	cur_u8(&c, &d->protocol);
	cur_u8(&c, &d->spi_size);
	cur_u16(&c, &d->count);
	d->spis = cur_rest(&c);
	want = (size_t)d->count * d->spi_size;
	if (d->spis.len != want) {
		wire_err_set(err, off + 6,
			     "delete of %u SPIs of %u bytes needs %zu bytes, %zu came", d->count,
			     d->spi_size, want, d->spis.len);
		return -EBADMSG;
	}
	return 0;
}

/* RFC 3947 5.2 NAT-OA (21; draft 131)
 *  | Next Payload  | RESERVED      | Payload length                |
 *  | ID Type       | RESERVED      | RESERVED                      |
 *  |           IPv4 (4 octets) or IPv6 address (16 octets)         |
 */
static int natoa_decode(struct ikev1_payload *p, size_t off, struct wire_err *err)
{
	struct ikev1_natoa *o = &p->u.natoa;
	struct cursor c;
	size_t want;

	cur_init(&c, p->body.p, p->body.len);
	cur_u8(&c, &o->id_type);
	cur_u8(&c, &o->reserved1);
	cur_u16(&c, &o->reserved2);
	o->addr = cur_rest(&c);
	if (o->id_type != IPSEC_ID_IPV4_ADDR && o->id_type != IPSEC_ID_IPV6_ADDR) {
		wire_err_set(err, off, "NAT-OA ID type %u: expected ID_IPV4_ADDR or ID_IPV6_ADDR",
			     o->id_type);
		return -EBADMSG;
	}
	want = o->id_type == IPSEC_ID_IPV4_ADDR ? 4 : 16;
	if (o->addr.len != want) {
		wire_err_set(err, off + 4, "NAT-OA %s needs %zu address bytes, %zu came",
			     enum_name(&ipsec_id_names, o->id_type), want, o->addr.len);
		return -EBADMSG;
	}
	return 0;
}

/* IKE fragmentation payload (132), as strongSwan's fragment_payload.c and
 * Windows send it:
 *  ! Next Payload  !   RESERVED    !         Payload Length        !
 *  !         Fragment ID           !  Fragment Num !     Flags     !
 *  ~                       Fragment Data                           ~
 */
static int frag_decode(struct ikev1_payload *p, size_t off, struct wire_err *err)
{
	struct ikev1_frag *f = &p->u.frag;
	struct cursor c;

	cur_init(&c, p->body.p, p->body.len);
	cur_u16(&c, &f->id);
	cur_u8(&c, &f->number);
	cur_u8(&c, &f->flags);
	f->data = cur_rest(&c);
	if (f->number == 0) {
		wire_err_set(err, off + 2, "fragment number 0: fragments count from 1");
		return -EBADMSG;
	}
	return 0;
}

/* draft-dukes-ike-mode-cfg-02 3.2 Attribute Payload (14)
 *  ! Next Payload  !   RESERVED    !         Payload Length        !
 *  !     Type      !   RESERVED    !           Identifier          !
 *  ~                           Attributes                          ~
 */
static int cfg_decode(struct ikev1_payload *p, size_t off, struct wire_err *err)
{
	struct ikev1_cfg *g = &p->u.cfg;
	struct cursor c;

	cur_init(&c, p->body.p, p->body.len);
	cur_u8(&c, &g->cfg_type);
	cur_u8(&c, &g->reserved);
	cur_u16(&c, &g->identifier);
	g->attrs = cur_rest(&c);
	g->attrs_off = off + 4;
	return ikev1_attrs_validate(g->attrs, g->attrs_off, IKEV1_MAX_CFG_ATTRS, &g->nattrs, err);
}

static const struct pl_desc pl_descs[] = {
	PL(ISAKMP_NP_SA, 8, sa_decode, ISAKMP_N_BAD_PROPOSAL_SYNTAX),
	PL(ISAKMP_NP_KE, 0, data_decode, ISAKMP_N_PAYLOAD_MALFORMED),
	PL(ISAKMP_NP_ID, 4, id_decode, ISAKMP_N_INVALID_ID_INFORMATION),
	PL(ISAKMP_NP_CERT, 1, cert_decode, ISAKMP_N_PAYLOAD_MALFORMED),
	PL(ISAKMP_NP_CR, 1, cert_decode, ISAKMP_N_PAYLOAD_MALFORMED),
	PL(ISAKMP_NP_HASH, 0, data_decode, ISAKMP_N_PAYLOAD_MALFORMED),
	PL(ISAKMP_NP_SIG, 0, data_decode, ISAKMP_N_PAYLOAD_MALFORMED),
	PL(ISAKMP_NP_NONCE, 0, nonce_decode, ISAKMP_N_PAYLOAD_MALFORMED),
	PL(ISAKMP_NP_N, 8, notify_decode, ISAKMP_N_PAYLOAD_MALFORMED),
	PL(ISAKMP_NP_D, 8, delete_decode, ISAKMP_N_PAYLOAD_MALFORMED),
	PL(ISAKMP_NP_VID, 0, data_decode, ISAKMP_N_PAYLOAD_MALFORMED),
	PL(ISAKMP_NP_ATTR, 4, cfg_decode, ISAKMP_N_PAYLOAD_MALFORMED),
	PL(ISAKMP_NP_NATD, 0, natd_decode, ISAKMP_N_PAYLOAD_MALFORMED),
	PL(ISAKMP_NP_NATOA, 4, natoa_decode, ISAKMP_N_PAYLOAD_MALFORMED),
	PL(ISAKMP_NP_GSS, 0, data_decode, ISAKMP_N_PAYLOAD_MALFORMED),
	PL(ISAKMP_NP_FRAG, 4, frag_decode, ISAKMP_N_PAYLOAD_MALFORMED),
};

uint8_t ikev1_payload_kind(uint8_t type)
{
	if (type == ISAKMP_NP_NATD_DRAFT)
		return ISAKMP_NP_NATD;
	if (type == ISAKMP_NP_NATOA_DRAFT)
		return ISAKMP_NP_NATOA;
	return type;
}

static const struct pl_desc *pl_desc(uint8_t kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pl_descs); i++)
		if (pl_descs[i].type == kind)
			return &pl_descs[i];
	return NULL;
}

/* The notify for a failed body decode (RFC 2408 5.4-5.6). */
static uint16_t fail_notify(const struct pl_desc *d, int rc)
{
	switch (rc) {
	case -EPROTONOSUPPORT:
		return ISAKMP_N_DOI_NOT_SUPPORTED;
	case -EOPNOTSUPP:
		return ISAKMP_N_SITUATION_NOT_SUPPORTED;
	default:
		return d->notify;
	}
}

/* Generic payload header (RFC 2408 3.2)
 *  ! Next Payload  !   RESERVED    !         Payload Length        !
 * Payload Length counts the generic header. */
static int payload_decode(struct ikev1_msg *msg, uint8_t type, struct cursor *c, size_t base,
			  uint8_t *next, struct wire_err *err)
{
	struct ikev1_payload *p;
	const struct pl_desc *d;
	size_t off = base + c->off, left = cur_left(c);
	int rc;

	/* before anything is written to pl[npl]: the array is full */
	if (msg->npl == IKEV1_MAX_PAYLOADS) {
		msg->notify = ISAKMP_N_PAYLOAD_MALFORMED;
		wire_err_set(err, off, "more than %d payloads in one message", IKEV1_MAX_PAYLOADS);
		return -E2BIG;
	}
	p = &msg->pl[msg->npl];
	memset(p, 0, sizeof(*p));
	p->type = type;
	p->kind = ikev1_payload_kind(type);
	p->offset = off;
	d = pl_desc(p->kind);
	if (type == ISAKMP_NP_P || type == ISAKMP_NP_T) {
		wire_err_set(err, off, "%s payload (type %u) outside an SA payload", pl_name(type),
			     type);
		msg->notify = ISAKMP_N_INVALID_PAYLOAD_TYPE;
		msg->bad_type = type;
		return -ENOTSUP;
	}
	if (!d) {
		wire_err_set(err, off, "unknown payload type %u (%s)", type, pl_name(type));
		msg->notify = ISAKMP_N_INVALID_PAYLOAD_TYPE;
		msg->bad_type = type;
		return -ENOTSUP;
	}
	msg->notify = ISAKMP_N_PAYLOAD_MALFORMED;
	if (left < 4) {
		wire_err_set(err, off, "%s payload needs a 4-byte header, %zu bytes left",
			     pl_name(type), left);
		return -EBADMSG;
	}
	cur_u8(c, next);
	cur_u8(c, &p->reserved);
	cur_u16(c, &p->length);
	if (p->length < 4) {
		wire_err_set(err, off + 2, "%s payload length %u is less than its 4-byte header",
			     pl_name(type), p->length);
		return -EBADMSG;
	}
	if (p->length > left) {
		wire_err_set(
			err, off + 2,
			"%s payload length %u runs past the end of the message (%zu bytes left)",
			pl_name(type), p->length, left);
		return -EBADMSG;
	}
	cur_span(c, p->length - 4u, &p->body);
	if (p->body.len < d->min) {
		wire_err_set(err, off + 2, "%s payload length %u: expected at least %zu",
			     pl_name(type), p->length, d->min + 4);
		msg->notify = d->notify;
		return -EBADMSG;
	}
	rc = d->decode(p, off + 4, err);
	if (rc) {
		msg->notify = fail_notify(d, rc);
		return rc;
	}
	msg->notify = 0;
	msg->npl++;
	return 0;
}

/* Bytes after the last payload (see ikev1_chain_decode in ikev1.h): zeros,
 * the last of which may be the RFC 2409 5.3 pad count. */
static int padding_check(struct span pad, size_t off, struct wire_err *err)
{
	size_t i;

	for (i = 0; i < pad.len; i++) {
		if (pad.p[i] == 0)
			continue;
		if (i == pad.len - 1 && (size_t)pad.p[i] == i)
			continue;
		wire_err_set(err, off + i,
			     "non-zero padding byte 0x%02x after the last payload (%zu bytes of "
			     "padding)",
			     pad.p[i], pad.len);
		return -EBADMSG;
	}
	return 0;
}

static int chain_walk(struct ikev1_msg *msg, uint8_t first, struct span s, size_t base,
		      struct wire_err *err)
{
	struct cursor c;
	uint8_t type = first, next = 0;
	size_t pad_off;
	int rc;

	msg->first = first;
	msg->npl = 0;
	msg->notify = 0;
	msg->bad_type = 0;
	msg->padding = (struct span){NULL, 0};
	cur_init(&c, s.p, s.len);
	while (type != ISAKMP_NP_NONE) {
		rc = payload_decode(msg, type, &c, base, &next, err);
		if (rc)
			return rc;
		type = next;
	}
	pad_off = base + c.off;
	msg->padding = cur_rest(&c);
	rc = padding_check(msg->padding, pad_off, err);
	if (rc)
		msg->notify = ISAKMP_N_PAYLOAD_MALFORMED;
	return rc;
}

int ikev1_msg_decode(const uint8_t *buf, size_t len, struct ikev1_msg *msg, struct wire_err *err)
{
	struct cursor c;
	int rc;

	msg->npl = 0;
	msg->first = ISAKMP_NP_NONE;
	msg->bad_type = 0;
	msg->raw = (struct span){buf, len};
	msg->encrypted = msg->padding = (struct span){NULL, 0};
	cur_init(&c, buf, len);
	rc = isakmp_hdr_decode(&c, &msg->hdr, err);
	if (rc) {
		msg->notify = len < ISAKMP_HDR_LEN ? ISAKMP_N_PAYLOAD_MALFORMED
						   : ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS;
		return rc;
	}
	if (msg->hdr.major != 1) {
		wire_err_set(err, 17, "ISAKMP major version %u: expected 1", msg->hdr.major);
		msg->notify = ISAKMP_N_INVALID_MAJOR_VERSION;
		return -EPROTONOSUPPORT;
	}
	if (msg->hdr.flags & ISAKMP_FLAG_E) {
		/* RFC 2408 3.1: with E set, all payloads after the header are encrypted */
		msg->first = msg->hdr.next_payload;
		msg->encrypted = cur_rest(&c);
		msg->notify = 0;
		return 0;
	}
	return chain_walk(msg, msg->hdr.next_payload, cur_rest(&c), ISAKMP_HDR_LEN, err);
}

int ikev1_chain_decode(uint8_t first, struct span plain, struct ikev1_msg *msg,
		       struct wire_err *err)
{
	return chain_walk(msg, first, plain, ISAKMP_HDR_LEN, err);
}

const struct ikev1_payload *ikev1_msg_get(const struct ikev1_msg *msg, uint8_t kind, unsigned nth)
{
	unsigned i;

	kind = ikev1_payload_kind(kind);
	for (i = 0; i < msg->npl; i++)
		if (msg->pl[i].kind == kind && nth-- == 0)
			return &msg->pl[i];
	return NULL;
}

unsigned ikev1_msg_count(const struct ikev1_msg *msg, uint8_t kind)
{
	unsigned i, n = 0;

	kind = ikev1_payload_kind(kind);
	for (i = 0; i < msg->npl; i++)
		n += msg->pl[i].kind == kind;
	return n;
}

int ikev1_notify_dpd_seq(const struct ikev1_notify *n, uint32_t *seq)
{
	*seq = 0;
	if (n->data.len != 4)
		return -EBADMSG;
	*seq = (uint32_t)n->data.p[0] << 24 | (uint32_t)n->data.p[1] << 16 |
	       (uint32_t)n->data.p[2] << 8 | n->data.p[3];
	return 0;
}

/* Encoding */

static int enc_fail(struct ikev1_enc *e, int err)
{
	if (!e->err)
		e->err = err;
	return e->err;
}

static int enc_status(struct ikev1_enc *e)
{
	if (!e->err && bld_err(e->b))
		e->err = bld_err(e->b);
	return e->err;
}

static void enc_init(struct ikev1_enc *e, struct builder *b)
{
	memset(e, 0, sizeof(*e));
	e->b = b;
	e->hdr_off = e->np_off = e->pl_off = SIZE_MAX;
	e->prop_off = e->xform_off = e->prev_prop_off = e->prev_xform_off = SIZE_MAX;
}

int ikev1_enc_begin(struct ikev1_enc *e, struct builder *b, const struct isakmp_hdr *h)
{
	struct isakmp_hdr hdr = *h;

	enc_init(e, b);
	e->hdr_off = bld_off(b);
	e->np_off = e->hdr_off + 16;
	hdr.next_payload = ISAKMP_NP_NONE;
	hdr.length = 0;
	isakmp_hdr_encode(b, &hdr);
	return enc_status(e);
}

int ikev1_enc_begin_chain(struct ikev1_enc *e, struct builder *b)
{
	enc_init(e, b);
	return enc_status(e);
}

int ikev1_enc_end(struct ikev1_enc *e)
{
	if (e->pl_off != SIZE_MAX)
		return enc_fail(e, -EINVAL);
	if (e->hdr_off != SIZE_MAX)
		isakmp_hdr_patch_length(e->b, e->hdr_off);
	return enc_status(e);
}

int ikev1_payload_begin(struct ikev1_enc *e, uint8_t type, uint8_t reserved)
{
	if (e->pl_off != SIZE_MAX)
		return enc_fail(e, -EINVAL);
	if (e->count == 0)
		e->first = type;
	if (e->np_off != SIZE_MAX)
		bld_put_u8_at(e->b, e->np_off, type);
	e->np_off = e->pl_off = bld_off(e->b);
	bld_u8(e->b, ISAKMP_NP_NONE);
	bld_u8(e->b, reserved);
	bld_u16(e->b, 0);
	e->count++;
	e->prev_prop_off = e->prop_off = SIZE_MAX;
	return enc_status(e);
}

int ikev1_payload_end(struct ikev1_enc *e)
{
	size_t len;

	if (e->pl_off == SIZE_MAX || e->prop_off != SIZE_MAX)
		return enc_fail(e, -EINVAL);
	len = bld_off(e->b) - e->pl_off;
	if (len > UINT16_MAX)
		return enc_fail(e, -EMSGSIZE);
	bld_put_u16_at(e->b, e->pl_off + 2, (uint16_t)len);
	e->pl_off = SIZE_MAX;
	return enc_status(e);
}

static void span_put(struct builder *b, struct span s)
{
	if (s.len)
		bld_bytes(b, s.p, s.len);
}

static int put_body(struct ikev1_enc *e, uint8_t type, uint8_t reserved, struct span body)
{
	ikev1_payload_begin(e, type, reserved);
	span_put(e->b, body);
	return ikev1_payload_end(e);
}

int ikev1_put_data(struct ikev1_enc *e, uint8_t type, struct span data)
{
	return put_body(e, type, 0, data);
}

static void id_body(struct builder *b, const struct ikev1_id *id)
{
	bld_u8(b, id->type);
	bld_u8(b, id->protocol);
	bld_u16(b, id->port);
	span_put(b, id->data);
}

int ikev1_put_id(struct ikev1_enc *e, const struct ikev1_id *id)
{
	ikev1_payload_begin(e, ISAKMP_NP_ID, 0);
	id_body(e->b, id);
	return ikev1_payload_end(e);
}

int ikev1_put_cert(struct ikev1_enc *e, uint8_t type, const struct ikev1_cert *c)
{
	ikev1_payload_begin(e, type, 0);
	bld_u8(e->b, c->encoding);
	span_put(e->b, c->data);
	return ikev1_payload_end(e);
}

static void notify_body(struct ikev1_enc *e, const struct ikev1_notify *n)
{
	if (n->spi.len > UINT8_MAX) {
		enc_fail(e, -EINVAL);
		return;
	}
	bld_u32(e->b, n->doi);
	bld_u8(e->b, n->protocol);
	bld_u8(e->b, (uint8_t)n->spi.len);
	bld_u16(e->b, n->type);
	span_put(e->b, n->spi);
	span_put(e->b, n->data);
}

int ikev1_put_notify(struct ikev1_enc *e, const struct ikev1_notify *n)
{
	ikev1_payload_begin(e, ISAKMP_NP_N, 0);
	notify_body(e, n);
	return ikev1_payload_end(e);
}

static void delete_body(struct ikev1_enc *e, const struct ikev1_delete *d)
{
	if ((size_t)d->count * d->spi_size != d->spis.len) {
		enc_fail(e, -EINVAL);
		return;
	}
	bld_u32(e->b, d->doi);
	bld_u8(e->b, d->protocol);
	bld_u8(e->b, d->spi_size);
	bld_u16(e->b, d->count);
	span_put(e->b, d->spis);
}

int ikev1_put_delete(struct ikev1_enc *e, const struct ikev1_delete *d)
{
	ikev1_payload_begin(e, ISAKMP_NP_D, 0);
	delete_body(e, d);
	return ikev1_payload_end(e);
}

static void natoa_body(struct builder *b, const struct ikev1_natoa *o)
{
	bld_u8(b, o->id_type);
	bld_u8(b, o->reserved1);
	bld_u16(b, o->reserved2);
	span_put(b, o->addr);
}

int ikev1_put_natoa(struct ikev1_enc *e, uint8_t type, const struct ikev1_natoa *o)
{
	ikev1_payload_begin(e, type, 0);
	natoa_body(e->b, o);
	return ikev1_payload_end(e);
}

static void frag_body(struct builder *b, const struct ikev1_frag *f)
{
	bld_u16(b, f->id);
	bld_u8(b, f->number);
	bld_u8(b, f->flags);
	span_put(b, f->data);
}

int ikev1_put_frag(struct ikev1_enc *e, const struct ikev1_frag *f)
{
	ikev1_payload_begin(e, ISAKMP_NP_FRAG, 0);
	frag_body(e->b, f);
	return ikev1_payload_end(e);
}

int ikev1_cfg_begin(struct ikev1_enc *e, uint8_t cfg_type, uint16_t identifier)
{
	ikev1_payload_begin(e, ISAKMP_NP_ATTR, 0);
	bld_u8(e->b, cfg_type);
	bld_u8(e->b, 0);
	bld_u16(e->b, identifier);
	return enc_status(e);
}

int ikev1_cfg_end(struct ikev1_enc *e)
{
	return ikev1_payload_end(e);
}

static void cfg_body(struct ikev1_enc *e, const struct ikev1_cfg *g)
{
	bld_u8(e->b, g->cfg_type);
	bld_u8(e->b, g->reserved);
	bld_u16(e->b, g->identifier);
	span_put(e->b, g->attrs); /* validated attributes, kept as received */
}

int ikev1_put_payload(struct ikev1_enc *e, const struct ikev1_payload *p)
{
	ikev1_payload_begin(e, p->type, p->reserved);
	switch (p->kind) {
	case ISAKMP_NP_SA:
		ikev1_sa_put_body(e, &p->u.sa);
		break;
	case ISAKMP_NP_ID:
		id_body(e->b, &p->u.id);
		break;
	case ISAKMP_NP_CERT:
	case ISAKMP_NP_CR:
		bld_u8(e->b, p->u.cert.encoding);
		span_put(e->b, p->u.cert.data);
		break;
	case ISAKMP_NP_N:
		notify_body(e, &p->u.n);
		break;
	case ISAKMP_NP_D:
		delete_body(e, &p->u.d);
		break;
	case ISAKMP_NP_NATOA:
		natoa_body(e->b, &p->u.natoa);
		break;
	case ISAKMP_NP_FRAG:
		frag_body(e->b, &p->u.frag);
		break;
	case ISAKMP_NP_ATTR:
		cfg_body(e, &p->u.cfg);
		break;
	default:
		span_put(e->b, p->u.data);
		break;
	}
	return ikev1_payload_end(e);
}

int ikev1_chain_pad(struct builder *b, size_t block)
{
	size_t rem;

	if (block <= 1)
		return bld_err(b);
	rem = bld_off(b) % block;
	if (rem)
		bld_zero(b, block - rem);
	return bld_err(b);
}

int ikev1_enc_encrypted(struct builder *b, const struct isakmp_hdr *h, struct span ciphertext)
{
	struct isakmp_hdr hdr = *h;

	if (ciphertext.len > UINT32_MAX - ISAKMP_HDR_LEN)
		return -EINVAL;
	hdr.flags |= ISAKMP_FLAG_E;
	hdr.length = (uint32_t)(ISAKMP_HDR_LEN + ciphertext.len);
	isakmp_hdr_encode(b, &hdr);
	span_put(b, ciphertext);
	return bld_err(b);
}

static int chain_put(struct ikev1_enc *e, const struct ikev1_msg *msg)
{
	unsigned i;

	for (i = 0; i < msg->npl; i++)
		ikev1_put_payload(e, &msg->pl[i]);
	span_put(e->b, msg->padding);
	return enc_status(e);
}

int ikev1_msg_encode(const struct ikev1_msg *msg, struct builder *b)
{
	struct ikev1_enc e;

	if (msg->hdr.flags & ISAKMP_FLAG_E) {
		isakmp_hdr_encode(b, &msg->hdr);
		span_put(b, msg->encrypted);
		return bld_err(b);
	}
	ikev1_enc_begin(&e, b, &msg->hdr);
	chain_put(&e, msg);
	return ikev1_enc_end(&e);
}

int ikev1_chain_encode(const struct ikev1_msg *msg, struct builder *b)
{
	struct ikev1_enc e;

	ikev1_enc_begin_chain(&e, b);
	chain_put(&e, msg);
	return ikev1_enc_end(&e);
}
