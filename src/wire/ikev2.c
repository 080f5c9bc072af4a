/* ikev2.c: IKEv2 message and payload codec (RFC 7296 section 3, RFC 7383).
 *
 * Each payload decoder first checks lengths against what is there, then reads
 * meaning (openiked's ikev2_pld.c order); errors name the payload, the field,
 * what was expected and what came, at the offset of the offending field. */
#include "wire/ikev2.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SKF_HDR_LEN 4 /* Fragment Number, Total Fragments */

/* A payload type for error texts: "KE", or "payload type 200". */
struct pl_label {
	char s[24];
};

static struct pl_label pl_label(uint8_t type)
{
	struct pl_label l;
	const char *n = enum_name(&ikev2_payload_names, type);

	if (n && type != IKEV2_PL_NONE)
		snprintf(l.s, sizeof(l.s), "%s payload", n);
	else
		snprintf(l.s, sizeof(l.s), "payload type %u", type);
	return l;
}

/* RFC 7296 3.2 and the bodies' fixed parts: the fewest body bytes each
 * known payload can have. */
static size_t body_min(uint8_t type)
{
	switch (type) {
	case IKEV2_PL_KE:
	case IKEV2_PL_IDI:
	case IKEV2_PL_IDR:
	case IKEV2_PL_AUTH:
	case IKEV2_PL_N:
	case IKEV2_PL_D:
	case IKEV2_PL_TSI:
	case IKEV2_PL_TSR:
	case IKEV2_PL_CP:
	case IKEV2_PL_EAP:
		return 4;
	case IKEV2_PL_CERT:
	case IKEV2_PL_CERTREQ:
	case IKEV2_PL_SK:
		return 1;
	case IKEV2_PL_SKF:
		return SKF_HDR_LEN + 1;
	case IKEV2_PL_SA:
		return 8; /* one proposal header */
	case IKEV2_PL_NONCE:
		return IKEV2_NONCE_MIN_LEN;
	default:
		return 0;
	}
}

static bool pl_known(uint8_t type)
{
	return (type >= IKEV2_PL_SA && type <= IKEV2_PL_EAP) || type == IKEV2_PL_SKF;
}

/* Everything a body decoder needs: the payload, its message offset, err. */
struct body_ctx {
	struct ikev2_payload *p;
	size_t at; /* offset of the body */
	struct wire_err *err;
};

/*
 *  Key Exchange (RFC 7296 3.4, Figure 10)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Diffie-Hellman Group Num    |           RESERVED            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Key Exchange Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  Identification (3.5, Figure 11)      Authentication (3.8, Figure 14)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   ID Type /   |                 RESERVED                      |
 * |   Auth Method |                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~          Identification Data / Authentication Data            ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  Certificate (3.6, Figure 12), Certificate Request (3.7, Figure 13)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Cert Encoding |                                               |
 * +-+-+-+-+-+-+-+-+  Certificate Data / Certification Authority   ~
 * ~                                                               ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  Nonce (3.9, Figure 15), Vendor ID (3.12, Figure 18): the data only.
 *
 * The fixed parts of these were length-checked by the caller (body_min).
 */
static int simple_decode(struct body_ctx *x, struct cursor *c)
{
	struct ikev2_payload *p = x->p;

	switch (p->type) {
	case IKEV2_PL_KE:
		cur_u16(c, &p->ke.group);
		cur_u16(c, &p->ke.reserved);
		p->ke.data = cur_rest(c);
		break;
	case IKEV2_PL_IDI:
	case IKEV2_PL_IDR:
		cur_u8(c, &p->id.type);
		cur_copy(c, p->id.reserved, 3);
		p->id.data = cur_rest(c);
		break;
	case IKEV2_PL_AUTH:
		cur_u8(c, &p->auth.method);
		cur_copy(c, p->auth.reserved, 3);
		p->auth.data = cur_rest(c);
		break;
	case IKEV2_PL_CERT:
	case IKEV2_PL_CERTREQ:
		cur_u8(c, &p->cert.encoding);
		p->cert.data = cur_rest(c);
		break;
	case IKEV2_PL_NONCE:
		/* RFC 7296 3.9: "between 16 and 256 octets"; judged here because it
		 * is syntax (INVALID_SYNTAX) whatever the state. Whether it is at
		 * least half the PRF key size is the engine's call (2.10). */
		if (c->len > IKEV2_NONCE_MAX_LEN) {
			wire_err_set(x->err, x->at - 2,
				     "Nonce Data of %zu bytes, expected %d to %d (RFC 7296 3.9)",
				     c->len, IKEV2_NONCE_MIN_LEN, IKEV2_NONCE_MAX_LEN);
			return -EBADMSG;
		}
		p->nonce = cur_rest(c);
		break;
	case IKEV2_PL_V:
		p->v = cur_rest(c);
		break;
	}
	return 0;
}

/*
 *  Notify (RFC 7296 3.10, Figure 16)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Protocol ID  |   SPI Size    |      Notify Message Type      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                Security Parameter Index (SPI)                 ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Notification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Which SPI sizes fit which protocol is the engine's to judge.
 */
static int notify_decode(struct body_ctx *x, struct cursor *c)
{
	struct ikev2_notify *n = &x->p->n;

	cur_u8(c, &n->protocol);
	cur_u8(c, &n->spi_size);
	cur_u16(c, &n->type);
	if (n->spi_size > cur_left(c)) {
		wire_err_set(x->err, x->at + 1, "N payload: SPI Size %u, but only %zu bytes follow",
			     n->spi_size, cur_left(c));
		return -EBADMSG;
	}
	cur_span(c, n->spi_size, &n->spi);
	n->data = cur_rest(c);
	return 0;
}

/*
 *  Delete (RFC 7296 3.11, Figure 17)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Protocol ID   |   SPI Size    |          Num of SPIs          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~               Security Parameter Index(es) (SPI)              ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * RFC 7296 3.11: SPI Size is 0 for IKE (and Num of SPIs 0), 4 for AH/ESP.
 */
static int delete_decode(struct body_ctx *x, struct cursor *c)
{
	struct ikev2_delete *d = &x->p->d;
	size_t want;

	cur_u8(c, &d->protocol);
	cur_u8(c, &d->spi_size);
	cur_u16(c, &d->count);
	if ((d->protocol == IKEV2_PROTO_IKE && d->spi_size != 0) ||
	    ((d->protocol == IKEV2_PROTO_AH || d->protocol == IKEV2_PROTO_ESP) &&
	     d->spi_size != 4)) {
		wire_err_set(x->err, x->at + 1, "D payload (%s): SPI Size %u, expected %d",
			     enum_name(&ikev2_protocol_names, d->protocol), d->spi_size,
			     d->protocol == IKEV2_PROTO_IKE ? 0 : 4);
		return -EBADMSG;
	}
	if (d->spi_size == 0 && d->count != 0) {
		wire_err_set(x->err, x->at + 2,
			     "D payload: Num of SPIs %u with SPI Size 0, expected 0", d->count);
		return -EBADMSG;
	}
	want = (size_t)d->count * d->spi_size;
	if (want != cur_left(c)) {
		wire_err_set(x->err, x->at + 2,
			     "D payload: Num of SPIs %u x SPI Size %u = %zu bytes, but %zu follow",
			     d->count, d->spi_size, want, cur_left(c));
		return -EBADMSG;
	}
	d->spis = cur_rest(c);
	return 0;
}

/*
 *  Traffic Selectors (RFC 7296 3.13, Figure 19)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Number of TSs |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       <Traffic Selectors>                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  Traffic Selector (3.13.1, Figure 20)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   TS Type     |IP Protocol ID*|       Selector Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Start Port*         |           End Port*           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Starting Address*                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Ending Address*                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Types 7 and 8 have Selector Length 16 and 40; other types only need the
 * 4-byte header to be walked (their meaning is the engine's).
 */
static int ts_decode(struct body_ctx *x, struct cursor *c)
{
	struct ikev2_ts_list *ts = &x->p->ts;
	const char *name = x->p->type == IKEV2_PL_TSI ? "TSi" : "TSr";
	unsigned i;
	uint8_t type;
	uint16_t len;
	size_t at, left;

	cur_u8(c, &ts->count);
	cur_copy(c, ts->reserved, 3);
	ts->selectors = (struct span){c->p + c->off, cur_left(c)};
	for (i = 0; i < ts->count; i++) {
		at = x->at + c->off;
		left = cur_left(c);
		if (left < 4) {
			wire_err_set(x->err, x->at,
				     "%s payload: Number of TSs %u, but the payload holds %u", name,
				     ts->count, i);
			return -EBADMSG;
		}
		cur_u8(c, &type);
		cur_skip(c, 1);
		cur_u16(c, &len);
		if ((type == IKEV2_TS_IPV4_ADDR_RANGE && len != 16) ||
		    (type == IKEV2_TS_IPV6_ADDR_RANGE && len != 40)) {
			wire_err_set(
				x->err, at + 2,
				"%s payload: selector %u (%s): Selector Length %u, expected %d",
				name, i + 1, enum_name(&ikev2_ts_type_names, type), len,
				type == IKEV2_TS_IPV4_ADDR_RANGE ? 16 : 40);
			return -EBADMSG;
		}
		if (len < 4 || len > left) {
			wire_err_set(
				x->err, at + 2,
				"%s payload: selector %u: Selector Length %u, expected 4 to %zu",
				name, i + 1, len, left);
			return -EBADMSG;
		}
		cur_skip(c, len - 4u);
	}
	if (cur_left(c) > 0) {
		wire_err_set(x->err, x->at + c->off,
			     "%s payload: Number of TSs %u, but %zu bytes follow the last selector",
			     name, ts->count, cur_left(c));
		return -EBADMSG;
	}
	return 0;
}

/*
 *  Encrypted (RFC 7296 3.14, Figure 21)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Initialization Vector                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Encrypted IKE Payloads                     ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  Encrypted Fragment (RFC 7383 2.5): Fragment Number and Total Fragments
 *  (2 octets each) between the generic header and the IV.
 */
static int sk_decode(struct body_ctx *x, struct cursor *c)
{
	struct ikev2_sk *sk = &x->p->sk;

	sk->inner = x->p->next;
	if (x->p->type == IKEV2_PL_SKF) {
		cur_u16(c, &sk->frag_num);
		cur_u16(c, &sk->frag_total);
		if (sk->frag_num == 0 || sk->frag_total == 0 || sk->frag_num > sk->frag_total) {
			wire_err_set(x->err, x->at,
				     "SKF payload: Fragment Number %u of Total Fragments %u, "
				     "expected 1 <= number <= total",
				     sk->frag_num, sk->frag_total);
			return -EBADMSG;
		}
	}
	sk->data = cur_rest(c);
	return 0;
}

/*
 *  Configuration (RFC 7296 3.15, Figure 22)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C| RESERVED    |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   CFG Type    |                    RESERVED                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Configuration Attributes                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  Configuration Attribute (3.15.1, Figure 23)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|         Attribute Type      |            Length             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                             Value                             ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
static int cp_decode(struct body_ctx *x, struct cursor *c)
{
	struct ikev2_cp *cp = &x->p->cp;
	unsigned i;
	uint16_t len;

	cur_u8(c, &cp->type);
	cur_copy(c, cp->reserved, 3);
	cp->attrs = (struct span){c->p + c->off, cur_left(c)};
	for (i = 1; cur_left(c) > 0; i++) {
		size_t at = x->at + c->off;

		if (cur_left(c) < 4) {
			wire_err_set(x->err, at, "CP payload: attribute %u needs 4 bytes, %zu left",
				     i, cur_left(c));
			return -EBADMSG;
		}
		cur_skip(c, 2);
		cur_u16(c, &len);
		if (len > cur_left(c)) {
			wire_err_set(x->err, at + 2,
				     "CP payload: attribute %u has Length %u, only %zu bytes left",
				     i, len, cur_left(c));
			return -EBADMSG;
		}
		cur_skip(c, len);
	}
	return 0;
}

/*
 *  EAP (RFC 7296 3.16, Figures 24 and 25)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Code      | Identifier    |           Length              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      | Type_Data...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Success and Failure (RFC 3748 4.2) have no Type.
 */
static int eap_decode(struct body_ctx *x, struct cursor *c)
{
	struct ikev2_eap *eap = &x->p->eap;
	size_t body = c->len;

	cur_u8(c, &eap->code);
	cur_u8(c, &eap->id);
	cur_u16(c, &eap->length);
	if (eap->length < 4 || eap->length > body) {
		wire_err_set(x->err, x->at + 2, "EAP payload: EAP Length %u, expected 4 to %zu",
			     eap->length, body);
		return -EBADMSG;
	}
	eap->has_type = eap->code == IKEV2_EAP_REQUEST || eap->code == IKEV2_EAP_RESPONSE ||
			eap->code == IKEV2_EAP_INITIATE || eap->code == IKEV2_EAP_FINISH;
	if (eap->has_type && eap->length < 5) {
		wire_err_set(x->err, x->at + 2,
			     "EAP payload: EAP %s with Length %u has no Type, expected at least 5",
			     enum_name(&ikev2_eap_code_names, eap->code), eap->length);
		return -EBADMSG;
	}
	if (eap->has_type)
		cur_u8(c, &eap->type);
	cur_span(c, eap->length - (eap->has_type ? 5u : 4u), &eap->data);
	eap->trailer = cur_rest(c);
	return 0;
}

/* Decode the body of payload p at message offset `at`. */
static int body_decode(struct ikev2_payload *p, size_t at, struct wire_err *err)
{
	struct body_ctx x = {p, at, err};
	struct cursor c;
	size_t min = body_min(p->type);

	p->known = pl_known(p->type);
	if (!p->known)
		return 0;
	if (p->body.len < min) {
		wire_err_set(err, at - 2, "%s: Payload Length %zu, expected at least %zu",
			     pl_label(p->type).s, p->body.len + IKEV2_PL_HDR_LEN,
			     min + IKEV2_PL_HDR_LEN);
		return -EBADMSG;
	}
	cur_init(&c, p->body.p, p->body.len);
	switch (p->type) {
	case IKEV2_PL_SA:
		return ikev2_sa_decode(p->body, at, &p->sa, err);
	case IKEV2_PL_N:
		return notify_decode(&x, &c);
	case IKEV2_PL_D:
		return delete_decode(&x, &c);
	case IKEV2_PL_TSI:
	case IKEV2_PL_TSR:
		return ts_decode(&x, &c);
	case IKEV2_PL_SK:
	case IKEV2_PL_SKF:
		return sk_decode(&x, &c);
	case IKEV2_PL_CP:
		return cp_decode(&x, &c);
	case IKEV2_PL_EAP:
		return eap_decode(&x, &c);
	default:
		return simple_decode(&x, &c);
	}
}

/* Read one generic payload header and body (RFC 7296 3.2, Figure 5):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
static int payload_decode(struct ikev2_msg *m, uint8_t type, struct cursor *c, size_t base,
			  const char *where, struct wire_err *err)
{
	struct ikev2_payload *p = &m->pl[m->count];
	size_t at = base + c->off, left = cur_left(c);
	uint16_t len;

	if (left == 0) {
		wire_err_set(err, at, "the chain names a %s next, but the %s ends",
			     pl_label(type).s, where);
		return -EBADMSG;
	}
	if (left < IKEV2_PL_HDR_LEN) {
		wire_err_set(err, at, "%s: %zu bytes left, a payload header needs %d",
			     pl_label(type).s, left, IKEV2_PL_HDR_LEN);
		return -EBADMSG;
	}
	memset(p, 0, sizeof(*p));
	p->type = type;
	p->off = at;
	cur_u8(c, &p->next);
	cur_u8(c, &p->flags);
	cur_u16(c, &len);
	if (len < IKEV2_PL_HDR_LEN || len > left) {
		wire_err_set(err, at + 2,
			     "%s: Payload Length %u, expected %d to %zu (the rest of the %s)",
			     pl_label(type).s, len, IKEV2_PL_HDR_LEN, left, where);
		return -EBADMSG;
	}
	cur_span(c, len - IKEV2_PL_HDR_LEN, &p->body);
	m->count++;
	if (!pl_known(type) && (p->flags & IKEV2_CRITICAL)) {
		/* RFC 7296 2.5: reject the whole message */
		m->unsupported_critical = type;
		wire_err_set(err, at + 1, "%s is unknown and marked critical", pl_label(type).s);
		return -ENOTSUP;
	}
	return body_decode(p, at + IKEV2_PL_HDR_LEN, err);
}

/* Walk a payload chain from `type` until Next Payload 0 or an SK/SKF. */
static int chain_walk(struct ikev2_msg *m, uint8_t type, struct cursor *c, size_t base, bool inner,
		      struct wire_err *err)
{
	const char *where = inner ? "decrypted SK contents" : "message";
	struct ikev2_payload *p;
	int r;

	while (type != IKEV2_PL_NONE) {
		if (m->count == IKEV2_MAX_PAYLOADS) {
			wire_err_set(err, base + c->off, "more than %d payloads in the message",
				     IKEV2_MAX_PAYLOADS);
			return -EBADMSG;
		}
		r = payload_decode(m, type, c, base, where, err);
		if (r)
			return r;
		p = &m->pl[m->count - 1];
		p->inner = inner;
		if (p->type == IKEV2_PL_SK || p->type == IKEV2_PL_SKF) {
			/* RFC 7296 3.14, RFC 7383 2.5: last, and never nested */
			if (inner) {
				wire_err_set(err, p->off, "%s inside SK", pl_label(p->type).s);
				return -EBADMSG;
			}
			if (cur_left(c) > 0) {
				wire_err_set(err, base + c->off,
					     "%s must be the last payload, but %zu bytes follow it",
					     pl_label(p->type).s, cur_left(c));
				return -EBADMSG;
			}
			m->sk = (int)(m->count - 1);
			return 0;
		}
		type = p->next;
	}
	if (cur_left(c) > 0) {
		wire_err_set(err, base + c->off, "%zu bytes after the last payload of the %s",
			     cur_left(c), where);
		return -EBADMSG;
	}
	return 0;
}

int ikev2_msg_decode(const uint8_t *buf, size_t len, struct ikev2_msg *msg, struct wire_err *err)
{
	struct cursor c;
	int r;

	msg->count = msg->n_outer = 0;
	msg->sk = -1;
	msg->unsupported_critical = 0;
	msg->raw = (struct span){buf, len};
	cur_init(&c, buf, len);
	r = isakmp_hdr_decode(&c, &msg->hdr, err);
	if (r)
		return r;
	if (msg->hdr.major != 2) {
		wire_err_set(err, 17, "major version %u, expected 2", msg->hdr.major);
		return -EPROTONOSUPPORT;
	}
	r = chain_walk(msg, msg->hdr.next_payload, &c, 0, false, err);
	msg->n_outer = msg->count;
	return r;
}

int ikev2_chain_decode(uint8_t first, struct span plain, size_t base_off, struct ikev2_msg *msg,
		       struct wire_err *err)
{
	struct cursor c;
	unsigned before = msg->count;
	int sk = msg->sk, r;

	cur_init(&c, plain.p, plain.len);
	r = chain_walk(msg, first, &c, base_off, true, err);
	if (r) {
		msg->count = before;
		msg->sk = sk;
	}
	return r;
}

const struct ikev2_payload *ikev2_msg_find(const struct ikev2_msg *m, uint8_t type,
					   const struct ikev2_payload *after)
{
	unsigned i = after ? (unsigned)(after - m->pl) + 1 : 0;

	for (; i < m->count; i++)
		if (m->pl[i].type == type)
			return &m->pl[i];
	return NULL;
}

const struct ikev2_payload *ikev2_msg_find_notify(const struct ikev2_msg *m, uint16_t type)
{
	const struct ikev2_payload *p = NULL;

	while ((p = ikev2_msg_find(m, IKEV2_PL_N, p)))
		if (p->n.type == type)
			return p;
	return NULL;
}

unsigned ikev2_msg_count(const struct ikev2_msg *m, uint8_t type)
{
	unsigned i, n = 0;

	for (i = 0; i < m->count; i++)
		n += m->pl[i].type == type;
	return n;
}

void ikev2_ts_iter(const struct ikev2_ts_list *ts, struct ikev2_iter *it)
{
	cur_init(&it->c, ts->selectors.p, ts->selectors.len);
	it->index = 0;
}

bool ikev2_ts_next(struct ikev2_iter *it, struct ikev2_ts *ts)
{
	struct cursor *c = &it->c;
	size_t alen;

	memset(ts, 0, sizeof(*ts));
	if (cur_left(c) < 4)
		return false;
	cur_u8(c, &ts->type);
	cur_u8(c, &ts->proto);
	cur_u16(c, &ts->length);
	alen = ts->type == IKEV2_TS_IPV4_ADDR_RANGE ? 4 : 16;
	if ((ts->type == IKEV2_TS_IPV4_ADDR_RANGE && ts->length == 16) ||
	    (ts->type == IKEV2_TS_IPV6_ADDR_RANGE && ts->length == 40)) {
		cur_u16(c, &ts->start_port);
		cur_u16(c, &ts->end_port);
		cur_span(c, alen, &ts->start);
		cur_span(c, alen, &ts->end);
	} else {
		cur_span(c, ts->length >= 4 ? ts->length - 4u : 0, &ts->data);
	}
	if (!cur_ok(c))
		return false;
	it->index++;
	return true;
}

void ikev2_cp_iter(const struct ikev2_cp *cp, struct ikev2_iter *it)
{
	cur_init(&it->c, cp->attrs.p, cp->attrs.len);
	it->index = 0;
}

bool ikev2_cp_next(struct ikev2_iter *it, struct ikev2_cp_attr *a)
{
	uint16_t type, len;

	memset(a, 0, sizeof(*a));
	if (cur_left(&it->c) < 4)
		return false;
	cur_u16(&it->c, &type);
	cur_u16(&it->c, &len);
	cur_span(&it->c, len, &a->value);
	if (!cur_ok(&it->c))
		return false;
	a->r = (type & IKEV2_CP_ATTR_R) != 0;
	a->type = type & (uint16_t)~IKEV2_CP_ATTR_R;
	it->index++;
	return true;
}

struct span ikev2_delete_spi(const struct ikev2_delete *d, unsigned i)
{
	if (d->spi_size == 0 || i >= d->count || (size_t)(i + 1) * d->spi_size > d->spis.len)
		return (struct span){NULL, 0};
	return (struct span){d->spis.p + (size_t)i * d->spi_size, d->spi_size};
}
