/* ikev2_enc.c: IKEv2 message encoding (RFC 7296 section 3, RFC 7383): the
 * builder-side half of ikev2.h. Every Next Payload, Payload Length, count
 * and Last Substruc is computed here, so callers cannot get them wrong, and a
 * decoded message encodes back to the bytes it came from. */
#include "wire/ikev2.h"

#include <errno.h>
#include <string.h>

static int enc_fail(struct ikev2_enc *e, int r)
{
	if (!e->err)
		e->err = r;
	return e->err;
}

/* Adopt the builder's error, if any. */
static int enc_check(struct ikev2_enc *e)
{
	return bld_err(e->b) ? enc_fail(e, bld_err(e->b)) : e->err;
}

/* Open a payload: name it in the previous Next Payload octet (or remember it
 * as the chain's first), write a generic header to be completed by pl_end. */
static int pl_begin(struct ikev2_enc *e, uint8_t type, uint8_t flags)
{
	if (e->err)
		return e->err;
	if (e->in_sa || e->sealed || type == IKEV2_PL_NONE)
		return enc_fail(e, -EINVAL);
	if (e->next_at == SIZE_MAX)
		e->first = type;
	else
		bld_put_u8_at(e->b, e->next_at, type);
	e->pl_at = bld_off(e->b);
	e->next_at = e->pl_at;
	bld_u8(e->b, IKEV2_PL_NONE);
	bld_u8(e->b, flags);
	bld_u16(e->b, 0);
	return enc_check(e);
}

static int pl_end(struct ikev2_enc *e)
{
	size_t len = bld_off(e->b) - e->pl_at;

	if (enc_check(e))
		return e->err;
	if (len > UINT16_MAX)
		return enc_fail(e, -EMSGSIZE);
	bld_put_u16_at(e->b, e->pl_at + 2, (uint16_t)len);
	return enc_check(e);
}

int ikev2_msg_encode_begin(struct ikev2_enc *e, struct builder *b, const struct isakmp_hdr *hdr)
{
	struct isakmp_hdr h = *hdr;

	memset(e, 0, sizeof(*e));
	e->b = b;
	e->message = true;
	e->start = bld_off(b);
	e->next_at = e->start + 16; /* the header's Next Payload octet */
	h.next_payload = IKEV2_PL_NONE;
	h.length = 0;
	isakmp_hdr_encode(b, &h);
	return enc_check(e);
}

int ikev2_msg_encode_end(struct ikev2_enc *e)
{
	if (e->in_sa)
		return enc_fail(e, -EINVAL);
	if (enc_check(e))
		return e->err;
	isakmp_hdr_patch_length(e->b, e->start);
	return enc_check(e);
}

int ikev2_chain_encode_begin(struct ikev2_enc *e, struct builder *b)
{
	memset(e, 0, sizeof(*e));
	e->b = b;
	e->start = bld_off(b);
	e->next_at = SIZE_MAX;
	return enc_check(e);
}

int ikev2_chain_encode_end(struct ikev2_enc *e, uint8_t *first)
{
	*first = e->first;
	if (e->in_sa)
		return enc_fail(e, -EINVAL);
	return enc_check(e);
}

static int sa_begin(struct ikev2_enc *e, uint8_t flags)
{
	if (pl_begin(e, IKEV2_PL_SA, flags))
		return e->err;
	ikev2_sa_enc_begin(&e->sa, e->b);
	e->in_sa = true;
	return 0;
}

int ikev2_put_sa_begin(struct ikev2_enc *e)
{
	return sa_begin(e, 0);
}

/* Adopt the SA encoder's error. */
static int sa_check(struct ikev2_enc *e, int r)
{
	return r ? enc_fail(e, r) : enc_check(e);
}

int ikev2_put_proposal(struct ikev2_enc *e, const struct ikev2_proposal *p)
{
	if (e->err || !e->in_sa)
		return enc_fail(e, -EINVAL);
	return sa_check(e, ikev2_sa_enc_proposal(&e->sa, p));
}

int ikev2_put_transform(struct ikev2_enc *e, const struct ikev2_transform *t)
{
	if (e->err || !e->in_sa)
		return enc_fail(e, -EINVAL);
	return sa_check(e, ikev2_sa_enc_transform(&e->sa, t));
}

int ikev2_put_transform_id(struct ikev2_enc *e, uint8_t type, uint16_t id, unsigned key_bits)
{
	if (e->err || !e->in_sa)
		return enc_fail(e, -EINVAL);
	return sa_check(e, ikev2_sa_enc_transform_id(&e->sa, type, id, key_bits));
}

int ikev2_put_sa_end(struct ikev2_enc *e)
{
	if (e->err || !e->in_sa)
		return enc_fail(e, -EINVAL);
	e->in_sa = false;
	if (sa_check(e, ikev2_sa_enc_end(&e->sa)))
		return e->err;
	return pl_end(e);
}

static void ts_put_one(struct ikev2_enc *e, const struct ikev2_ts *ts)
{
	size_t alen = ts->type == IKEV2_TS_IPV4_ADDR_RANGE ? 4 : 16;
	bool range = ts->type == IKEV2_TS_IPV4_ADDR_RANGE || ts->type == IKEV2_TS_IPV6_ADDR_RANGE;
	size_t len = range ? 8 + 2 * alen : 4 + ts->data.len;

	if (len > UINT16_MAX || (range && (ts->start.len != alen || ts->end.len != alen))) {
		enc_fail(e, -EINVAL);
		return;
	}
	bld_u8(e->b, ts->type);
	bld_u8(e->b, ts->proto);
	bld_u16(e->b, (uint16_t)len);
	if (range) {
		bld_u16(e->b, ts->start_port);
		bld_u16(e->b, ts->end_port);
		bld_bytes(e->b, ts->start.p, alen);
		bld_bytes(e->b, ts->end.p, alen);
	} else {
		bld_bytes(e->b, ts->data.p, ts->data.len);
	}
}

static int ts_put(struct ikev2_enc *e, uint8_t pl_type, uint8_t flags, const uint8_t reserved[3],
		  const struct ikev2_ts *ts, size_t n)
{
	size_t i;

	if (n > UINT8_MAX || (pl_type != IKEV2_PL_TSI && pl_type != IKEV2_PL_TSR))
		return enc_fail(e, -EINVAL);
	if (pl_begin(e, pl_type, flags))
		return e->err;
	bld_u8(e->b, (uint8_t)n);
	bld_bytes(e->b, reserved, 3);
	for (i = 0; i < n; i++)
		ts_put_one(e, &ts[i]);
	return pl_end(e);
}

int ikev2_put_ts(struct ikev2_enc *e, uint8_t pl_type, const struct ikev2_ts *ts, size_t n)
{
	static const uint8_t zero[3];

	return ts_put(e, pl_type, 0, zero, ts, n);
}

/* Re-encode a decoded TS payload selector by selector. */
static int ts_copy(struct ikev2_enc *e, const struct ikev2_payload *p)
{
	struct ikev2_iter it;
	struct ikev2_ts ts;

	if (pl_begin(e, p->type, p->flags))
		return e->err;
	bld_u8(e->b, p->ts.count);
	bld_bytes(e->b, p->ts.reserved, 3);
	ikev2_ts_iter(&p->ts, &it);
	while (ikev2_ts_next(&it, &ts))
		ts_put_one(e, &ts);
	return pl_end(e);
}

static void cp_put_attr(struct ikev2_enc *e, const struct ikev2_cp_attr *a)
{
	if (a->type & IKEV2_CP_ATTR_R || a->value.len > UINT16_MAX) {
		enc_fail(e, -EINVAL);
		return;
	}
	bld_u16(e->b, (uint16_t)(a->type | (a->r ? IKEV2_CP_ATTR_R : 0)));
	bld_u16(e->b, (uint16_t)a->value.len);
	bld_bytes(e->b, a->value.p, a->value.len);
}

int ikev2_put_cp(struct ikev2_enc *e, uint8_t cfg_type, const struct ikev2_cp_attr *attrs, size_t n)
{
	size_t i;

	if (pl_begin(e, IKEV2_PL_CP, 0))
		return e->err;
	bld_u8(e->b, cfg_type);
	bld_zero(e->b, 3);
	for (i = 0; i < n; i++)
		cp_put_attr(e, &attrs[i]);
	return pl_end(e);
}

static int cp_copy(struct ikev2_enc *e, const struct ikev2_payload *p)
{
	struct ikev2_iter it;
	struct ikev2_cp_attr a;

	if (pl_begin(e, IKEV2_PL_CP, p->flags))
		return e->err;
	bld_u8(e->b, p->cp.type);
	bld_bytes(e->b, p->cp.reserved, 3);
	ikev2_cp_iter(&p->cp, &it);
	while (ikev2_cp_next(&it, &a))
		cp_put_attr(e, &a);
	return pl_end(e);
}

static int sk_put(struct ikev2_enc *e, const struct ikev2_payload *p, const uint8_t *body,
		  size_t len, size_t *body_off)
{
	if (!e->message)
		return enc_fail(e, -EINVAL); /* never nested (RFC 7296 3.14) */
	if (pl_begin(e, p->type, p->flags))
		return e->err;
	bld_put_u8_at(e->b, e->pl_at, p->sk.inner);
	if (p->type == IKEV2_PL_SKF) {
		bld_u16(e->b, p->sk.frag_num);
		bld_u16(e->b, p->sk.frag_total);
	}
	if (body_off)
		*body_off = bld_off(e->b);
	if (body)
		bld_bytes(e->b, body, len);
	else
		bld_zero(e->b, len);
	e->sealed = true;
	e->next_at = SIZE_MAX;
	return pl_end(e);
}

int ikev2_put_sk(struct ikev2_enc *e, uint8_t first_inner, const uint8_t *body, size_t len,
		 size_t *body_off)
{
	struct ikev2_payload p = {.type = IKEV2_PL_SK, .sk.inner = first_inner};

	return sk_put(e, &p, body, len, body_off);
}

int ikev2_put_skf(struct ikev2_enc *e, uint8_t first_inner, uint16_t frag_num, uint16_t frag_total,
		  const uint8_t *body, size_t len, size_t *body_off)
{
	struct ikev2_payload p = {
		.type = IKEV2_PL_SKF,
		.sk = {.inner = first_inner, .frag_num = frag_num, .frag_total = frag_total},
	};

	if (frag_num == 0 || frag_num > frag_total)
		return enc_fail(e, -EINVAL);
	return sk_put(e, &p, body, len, body_off);
}

int ikev2_put_raw(struct ikev2_enc *e, uint8_t type, uint8_t flags, struct span body)
{
	if (pl_begin(e, type, flags))
		return e->err;
	bld_bytes(e->b, body.p, body.len);
	return pl_end(e);
}

/* The body of the payloads whose fields are written in order. */
static void simple_put(struct ikev2_enc *e, const struct ikev2_payload *p)
{
	struct builder *b = e->b;

	switch (p->type) {
	case IKEV2_PL_KE:
		bld_u16(b, p->ke.group);
		bld_u16(b, p->ke.reserved);
		bld_bytes(b, p->ke.data.p, p->ke.data.len);
		break;
	case IKEV2_PL_IDI:
	case IKEV2_PL_IDR:
		bld_u8(b, p->id.type);
		bld_bytes(b, p->id.reserved, 3);
		bld_bytes(b, p->id.data.p, p->id.data.len);
		break;
	case IKEV2_PL_AUTH:
		bld_u8(b, p->auth.method);
		bld_bytes(b, p->auth.reserved, 3);
		bld_bytes(b, p->auth.data.p, p->auth.data.len);
		break;
	case IKEV2_PL_CERT:
	case IKEV2_PL_CERTREQ:
		bld_u8(b, p->cert.encoding);
		bld_bytes(b, p->cert.data.p, p->cert.data.len);
		break;
	case IKEV2_PL_NONCE:
		bld_bytes(b, p->nonce.p, p->nonce.len);
		break;
	case IKEV2_PL_V:
		bld_bytes(b, p->v.p, p->v.len);
		break;
	case IKEV2_PL_N:
		bld_u8(b, p->n.protocol);
		bld_u8(b, (uint8_t)p->n.spi.len);
		bld_u16(b, p->n.type);
		bld_bytes(b, p->n.spi.p, p->n.spi.len);
		bld_bytes(b, p->n.data.p, p->n.data.len);
		break;
	case IKEV2_PL_D:
		bld_u8(b, p->d.protocol);
		bld_u8(b, p->d.spi_size);
		bld_u16(b, (uint16_t)(p->d.spi_size ? p->d.spis.len / p->d.spi_size : 0));
		bld_bytes(b, p->d.spis.p, p->d.spis.len);
		break;
	case IKEV2_PL_EAP:
		bld_u8(b, p->eap.code);
		bld_u8(b, p->eap.id);
		bld_u16(b, (uint16_t)(4 + p->eap.has_type + p->eap.data.len));
		if (p->eap.has_type)
			bld_u8(b, p->eap.type);
		bld_bytes(b, p->eap.data.p, p->eap.data.len);
		bld_bytes(b, p->eap.trailer.p, p->eap.trailer.len);
		break;
	}
}

/* What the fields of a payload to encode promise; -EINVAL when they cannot
 * be written as they are. */
static int fields_check(const struct ikev2_payload *p)
{
	switch (p->type) {
	case IKEV2_PL_NONCE:
		return p->nonce.len < IKEV2_NONCE_MIN_LEN || p->nonce.len > IKEV2_NONCE_MAX_LEN
			       ? -EINVAL
			       : 0;
	case IKEV2_PL_N:
		return p->n.spi.len > UINT8_MAX ? -EINVAL : 0;
	case IKEV2_PL_D:
		if (p->d.spi_size == 0)
			return p->d.spis.len ? -EINVAL : 0;
		return p->d.spis.len % p->d.spi_size || p->d.spis.len / p->d.spi_size > UINT16_MAX
			       ? -EINVAL
			       : 0;
	case IKEV2_PL_EAP:
		return 5 + p->eap.data.len > UINT16_MAX ? -EINVAL : 0;
	default:
		return 0;
	}
}

int ikev2_put_payload(struct ikev2_enc *e, const struct ikev2_payload *p)
{
	if (!p->known)
		return ikev2_put_raw(e, p->type, p->flags, p->body);
	switch (p->type) {
	case IKEV2_PL_SA:
		if (sa_begin(e, p->flags))
			return e->err;
		if (sa_check(e, ikev2_sa_enc_copy(&e->sa, &p->sa)))
			return e->err;
		return ikev2_put_sa_end(e);
	case IKEV2_PL_TSI:
	case IKEV2_PL_TSR:
		return ts_copy(e, p);
	case IKEV2_PL_CP:
		return cp_copy(e, p);
	case IKEV2_PL_SK:
	case IKEV2_PL_SKF:
		return sk_put(e, p, p->sk.data.p, p->sk.data.len, NULL);
	}
	if (fields_check(p))
		return enc_fail(e, -EINVAL);
	if (pl_begin(e, p->type, p->flags))
		return e->err;
	simple_put(e, p);
	return pl_end(e);
}

int ikev2_put_ke(struct ikev2_enc *e, const struct ikev2_ke *ke)
{
	struct ikev2_payload p = {.type = IKEV2_PL_KE, .known = true, .ke = *ke};

	return ikev2_put_payload(e, &p);
}

int ikev2_put_id(struct ikev2_enc *e, uint8_t pl_type, const struct ikev2_id *id)
{
	struct ikev2_payload p = {.type = pl_type, .known = true, .id = *id};

	if (pl_type != IKEV2_PL_IDI && pl_type != IKEV2_PL_IDR)
		return enc_fail(e, -EINVAL);
	return ikev2_put_payload(e, &p);
}

int ikev2_put_cert(struct ikev2_enc *e, uint8_t pl_type, const struct ikev2_cert *c)
{
	struct ikev2_payload p = {.type = pl_type, .known = true, .cert = *c};

	if (pl_type != IKEV2_PL_CERT && pl_type != IKEV2_PL_CERTREQ)
		return enc_fail(e, -EINVAL);
	return ikev2_put_payload(e, &p);
}

int ikev2_put_auth(struct ikev2_enc *e, const struct ikev2_auth *a)
{
	struct ikev2_payload p = {.type = IKEV2_PL_AUTH, .known = true, .auth = *a};

	return ikev2_put_payload(e, &p);
}

int ikev2_put_nonce(struct ikev2_enc *e, struct span nonce)
{
	struct ikev2_payload p = {.type = IKEV2_PL_NONCE, .known = true, .nonce = nonce};

	return ikev2_put_payload(e, &p);
}

int ikev2_put_notify(struct ikev2_enc *e, const struct ikev2_notify *n)
{
	struct ikev2_payload p = {.type = IKEV2_PL_N, .known = true, .n = *n};

	return ikev2_put_payload(e, &p);
}

int ikev2_put_delete(struct ikev2_enc *e, const struct ikev2_delete *d)
{
	struct ikev2_payload p = {.type = IKEV2_PL_D, .known = true, .d = *d};

	return ikev2_put_payload(e, &p);
}

int ikev2_put_vendor(struct ikev2_enc *e, struct span vid)
{
	struct ikev2_payload p = {.type = IKEV2_PL_V, .known = true, .v = vid};

	return ikev2_put_payload(e, &p);
}

int ikev2_put_eap(struct ikev2_enc *e, const struct ikev2_eap *eap)
{
	struct ikev2_payload p = {.type = IKEV2_PL_EAP, .known = true, .eap = *eap};

	return ikev2_put_payload(e, &p);
}

int ikev2_msg_encode(struct builder *b, const struct ikev2_msg *m)
{
	struct ikev2_enc e;
	unsigned i;

	ikev2_msg_encode_begin(&e, b, &m->hdr);
	for (i = 0; i < m->n_outer; i++)
		ikev2_put_payload(&e, &m->pl[i]);
	return ikev2_msg_encode_end(&e);
}

int ikev2_inner_encode(struct builder *b, const struct ikev2_msg *m, uint8_t *first)
{
	struct ikev2_enc e;
	unsigned i;

	ikev2_chain_encode_begin(&e, b);
	for (i = m->n_outer; i < m->count; i++)
		ikev2_put_payload(&e, &m->pl[i]);
	return ikev2_chain_encode_end(&e, first);
}
