/* ikev1_sa.c: SA, Proposal and Transform payloads and data attributes
 * (RFC 2408 3.3-3.6, RFC 2407 4.6.1). Validate first (ikev1_sa_decode), then
 * interpret through the iterators. */
#include "wire/ikev1_sa.h"

#include <errno.h>
#include <stdint.h>

#include "wire/ikev1.h"
#include "wire/ikev1_names.h"

#define PROP_HDR_LEN  8
#define XFORM_HDR_LEN 8

/*                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !A!       Attribute Type        !    AF=0  Attribute Length     !
 * !F!                             !    AF=1  Attribute Value      !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * .                   AF=0  Attribute Value                       .
 * .                   AF=1  Not Transmitted                       .
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                 RFC 2408 3.3 Data Attributes
 */
static int attr_parse(struct cursor *c, size_t base, struct ikev1_attr *a, struct wire_err *err)
{
	uint16_t type = 0, v = 0;
	size_t left = cur_left(c);

	a->offset = base + c->off;
	if (left < 4) {
		wire_err_set(err, a->offset, "attribute needs 4 bytes, %zu left", left);
		return -EBADMSG;
	}
	cur_u16(c, &type);
	cur_u16(c, &v);
	a->type = type & ~ISAKMP_ATTR_AF;
	a->tv = (type & ISAKMP_ATTR_AF) != 0;
	a->value = a->tv ? v : 0;
	a->data = (struct span){NULL, 0};
	if (a->tv)
		return 0;
	if (v > cur_left(c)) {
		wire_err_set(err, a->offset + 2,
			     "TLV attribute %u of length %u runs past the end (%zu bytes left)",
			     a->type, v, cur_left(c));
		return -EBADMSG;
	}
	cur_span(c, v, &a->data);
	return 0;
}

/*                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Transform #  !  Transform-Id !           RESERVED2           !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SA Attributes                          ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                 RFC 2408 3.6 Transform Payload
 * Next Payload is 3 when another transform follows in the proposal, else 0.
 */
static int xform_parse(struct cursor *c, size_t base, struct ikev1_xform *t, uint8_t *next,
		       struct wire_err *err)
{
	size_t left = cur_left(c);
	uint16_t len = 0;
	struct cursor body;

	t->offset = base + c->off;
	if (left < XFORM_HDR_LEN) {
		wire_err_set(err, t->offset, "transform needs %d bytes, %zu left in its proposal",
			     XFORM_HDR_LEN, left);
		return -EBADMSG;
	}
	cur_u8(c, next);
	cur_u8(c, &t->reserved);
	cur_u16(c, &len);
	if (*next != ISAKMP_NP_T && *next != ISAKMP_NP_NONE) {
		wire_err_set(err, t->offset, "transform Next Payload %u: expected 3 or 0", *next);
		return -EBADMSG;
	}
	if (len < XFORM_HDR_LEN || len > left) {
		wire_err_set(
			err, t->offset + 2,
			"transform length %u: expected %d to the %zu bytes left in its proposal",
			len, XFORM_HDR_LEN, left);
		return -EBADMSG;
	}
	cur_sub(c, len - 4, &body);
	cur_u8(&body, &t->number);
	cur_u8(&body, &t->id);
	cur_u16(&body, &t->reserved2);
	t->attrs_off = base + (size_t)(body.p - c->p) + body.off;
	t->attrs = cur_rest(&body);
	return 0;
}

/*                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Proposal #   !  Protocol-Id  !    SPI Size   !# of Transforms!
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                        SPI (variable)                         !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                 RFC 2408 3.5 Proposal Payload
 * Next Payload is 2 when another proposal follows in the SA, else 0.
 */
static int prop_parse(struct cursor *c, size_t base, struct ikev1_prop *p, uint8_t *next,
		      struct wire_err *err)
{
	size_t left = cur_left(c);
	uint16_t len = 0;
	uint8_t spi_size = 0;
	struct cursor body;

	p->offset = base + c->off;
	if (left < PROP_HDR_LEN) {
		wire_err_set(err, p->offset, "proposal needs %d bytes, %zu left in the SA payload",
			     PROP_HDR_LEN, left);
		return -EBADMSG;
	}
	cur_u8(c, next);
	cur_u8(c, &p->reserved);
	cur_u16(c, &len);
	if (*next != ISAKMP_NP_P && *next != ISAKMP_NP_NONE) {
		wire_err_set(err, p->offset, "proposal Next Payload %u: expected 2 or 0", *next);
		return -EBADMSG;
	}
	if (len < PROP_HDR_LEN || len > left) {
		wire_err_set(
			err, p->offset + 2,
			"proposal length %u: expected %d to the %zu bytes left in the SA payload",
			len, PROP_HDR_LEN, left);
		return -EBADMSG;
	}
	cur_sub(c, len - 4, &body);
	cur_u8(&body, &p->number);
	cur_u8(&body, &p->protocol);
	cur_u8(&body, &spi_size);
	cur_u8(&body, &p->ntransforms);
	if (spi_size > cur_left(&body)) {
		wire_err_set(err, p->offset + 6,
			     "proposal SPI size %u runs past its proposal length %u", spi_size,
			     len);
		return -EBADMSG;
	}
	cur_span(&body, spi_size, &p->spi);
	p->xforms_off = base + (size_t)(body.p - c->p) + body.off;
	p->xforms = cur_rest(&body);
	return 0;
}

int ikev1_attrs_validate(struct span attrs, size_t off, unsigned max, unsigned *count,
			 struct wire_err *err)
{
	struct cursor c;
	struct ikev1_attr a;
	unsigned n = 0;
	int rc;

	cur_init(&c, attrs.p, attrs.len);
	while (cur_left(&c) > 0) {
		if (n == max) {
			wire_err_set(err, off + c.off, "more than %u attributes", max);
			return -E2BIG;
		}
		rc = attr_parse(&c, off, &a, err);
		if (rc)
			return rc;
		n++;
	}
	*count = n;
	return 0;
}

/* One proposal's transforms: their count must match # of Transforms, and
 * the last one (Next Payload 0) must end exactly at the proposal's end. */
static int prop_validate(const struct ikev1_prop *p, unsigned *total, struct wire_err *err)
{
	struct cursor c;
	struct ikev1_xform t = {0};
	unsigned n = 0, nattrs;
	uint8_t next = ISAKMP_NP_T;
	int rc;

	cur_init(&c, p->xforms.p, p->xforms.len);
	while (next == ISAKMP_NP_T && cur_left(&c) > 0) {
		if (*total == IKEV1_MAX_TRANSFORMS) {
			wire_err_set(err, p->xforms_off + c.off,
				     "SA payload carries more than %d transforms",
				     IKEV1_MAX_TRANSFORMS);
			return -E2BIG;
		}
		rc = xform_parse(&c, p->xforms_off, &t, &next, err);
		if (rc == 0)
			rc = ikev1_attrs_validate(t.attrs, t.attrs_off, IKEV1_MAX_ATTRS, &nattrs,
						  err);
		if (rc)
			return rc;
		n++;
		(*total)++;
	}
	if (n == 0) {
		wire_err_set(err, p->offset, "proposal #%u carries no transform", p->number);
		return -EBADMSG;
	}
	if (next == ISAKMP_NP_T) {
		wire_err_set(err, t.offset,
			     "transform Next Payload 3 announces another transform but proposal "
			     "#%u ends",
			     p->number);
		return -EBADMSG;
	}
	if (cur_left(&c) > 0) {
		wire_err_set(err, p->xforms_off + c.off,
			     "proposal #%u: %zu bytes after its last transform", p->number,
			     cur_left(&c));
		return -EBADMSG;
	}
	if (n != p->ntransforms) {
		wire_err_set(err, p->offset + 7, "proposal #%u announces %u transforms, %u present",
			     p->number, p->ntransforms, n);
		return -EBADMSG;
	}
	return 0;
}

static int props_validate(struct ikev1_sa *sa, struct wire_err *err)
{
	struct cursor c;
	struct ikev1_prop p = {0};
	uint8_t next = ISAKMP_NP_P;
	int rc;

	sa->nprops = sa->nxforms = 0;
	cur_init(&c, sa->props.p, sa->props.len);
	while (next == ISAKMP_NP_P && cur_left(&c) > 0) {
		if (sa->nprops == IKEV1_MAX_PROPOSALS) {
			wire_err_set(err, sa->props_off + c.off,
				     "SA payload carries more than %d proposals",
				     IKEV1_MAX_PROPOSALS);
			return -E2BIG;
		}
		rc = prop_parse(&c, sa->props_off, &p, &next, err);
		if (rc == 0)
			rc = prop_validate(&p, &sa->nxforms, err);
		if (rc)
			return rc;
		sa->nprops++;
	}
	if (sa->nprops == 0) {
		wire_err_set(err, sa->props_off, "SA payload without a proposal");
		return -EBADMSG;
	}
	if (next == ISAKMP_NP_P) {
		wire_err_set(err, p.offset,
			     "proposal Next Payload 2 announces another proposal but the SA "
			     "payload ends");
		return -EBADMSG;
	}
	if (cur_left(&c) > 0) {
		wire_err_set(err, sa->props_off + c.off, "%zu bytes after the last proposal",
			     cur_left(&c));
		return -EBADMSG;
	}
	return 0;
}

/*                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !              Domain of Interpretation  (DOI)                  !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                           Situation                           ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *           RFC 2408 3.4 Security Association Payload
 * For the IPsec DOI (RFC 2407 4.6.1) the Situation is a 32-bit bitmap;
 * SIT_SECRECY and SIT_INTEGRITY add labelled-domain fields nobody sends,
 * so they are refused with SITUATION-NOT-SUPPORTED.
 */
int ikev1_sa_decode(struct span body, size_t off, struct ikev1_sa *sa, struct wire_err *err)
{
	struct cursor c;

	cur_init(&c, body.p, body.len);
	if (body.len < 8) {
		wire_err_set(err, off,
			     "SA payload body of %zu bytes: expected DOI and Situation (8)",
			     body.len);
		return -EBADMSG;
	}
	cur_u32(&c, &sa->doi);
	cur_u32(&c, &sa->situation);
	if (sa->doi != ISAKMP_DOI_IPSEC) {
		wire_err_set(err, off, "SA DOI %u: only the IPsec DOI (1) is supported", sa->doi);
		return -EPROTONOSUPPORT;
	}
	if (sa->situation & (IPSEC_SIT_SECRECY | IPSEC_SIT_INTEGRITY)) {
		wire_err_set(err, off + 4,
			     "SA situation 0x%x: secrecy and integrity labels are not supported",
			     sa->situation);
		return -EOPNOTSUPP;
	}
	sa->props_off = off + 8;
	sa->props = cur_rest(&c);
	return props_validate(sa, err);
}

void ikev1_props_begin(struct ikev1_iter *it, const struct ikev1_sa *sa)
{
	cur_init(&it->c, sa->props.p, sa->props.len);
	it->base = sa->props_off;
	it->more = 1;
	it->count = 0;
}

int ikev1_prop_next(struct ikev1_iter *it, struct ikev1_prop *p)
{
	uint8_t next = 0;

	if (!it->more || cur_left(&it->c) == 0)
		return 0;
	if (prop_parse(&it->c, it->base, p, &next, NULL))
		return -EBADMSG;
	it->more = next == ISAKMP_NP_P;
	it->count++;
	return 1;
}

void ikev1_xforms_begin(struct ikev1_iter *it, const struct ikev1_prop *p)
{
	cur_init(&it->c, p->xforms.p, p->xforms.len);
	it->base = p->xforms_off;
	it->more = 1;
	it->count = 0;
}

int ikev1_xform_next(struct ikev1_iter *it, struct ikev1_xform *t)
{
	uint8_t next = 0;

	if (!it->more || cur_left(&it->c) == 0)
		return 0;
	if (xform_parse(&it->c, it->base, t, &next, NULL))
		return -EBADMSG;
	it->more = next == ISAKMP_NP_T;
	it->count++;
	return 1;
}

void ikev1_attrs_begin(struct ikev1_iter *it, struct span attrs, size_t off)
{
	cur_init(&it->c, attrs.p, attrs.len);
	it->base = off;
	it->more = 1;
	it->count = 0;
}

int ikev1_attr_next(struct ikev1_iter *it, struct ikev1_attr *a)
{
	if (cur_left(&it->c) == 0)
		return 0;
	if (attr_parse(&it->c, it->base, a, NULL))
		return -EBADMSG;
	it->count++;
	return 1;
}

int ikev1_xform_attr(const struct ikev1_xform *t, uint16_t type, struct ikev1_attr *a)
{
	struct ikev1_iter it;

	ikev1_attrs_begin(&it, t->attrs, t->attrs_off);
	while (ikev1_attr_next(&it, a) == 1)
		if (a->type == type)
			return 1;
	return 0;
}

int ikev1_attr_u64(const struct ikev1_attr *a, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (a->tv) {
		*v = a->value;
		return 0;
	}
	if (a->data.len == 0 || a->data.len > 8)
		return -ERANGE;
	for (i = 0; i < a->data.len; i++)
		*v = *v << 8 | a->data.p[i];
	return 0;
}

/* Encoding. The encoder's sticky error is e->err; builder errors are
 * folded into it when a call returns. */
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

static int patch_len(struct ikev1_enc *e, size_t start)
{
	size_t len = bld_off(e->b) - start;

	if (len > UINT16_MAX)
		return enc_fail(e, -EMSGSIZE);
	bld_put_u16_at(e->b, start + 2, (uint16_t)len);
	return enc_status(e);
}

int ikev1_sa_begin(struct ikev1_enc *e, uint32_t doi, uint32_t situation)
{
	ikev1_payload_begin(e, ISAKMP_NP_SA, 0);
	bld_u32(e->b, doi);
	bld_u32(e->b, situation);
	return enc_status(e);
}

int ikev1_sa_end(struct ikev1_enc *e)
{
	if (e->prop_off != SIZE_MAX)
		return enc_fail(e, -EINVAL);
	return ikev1_payload_end(e);
}

int ikev1_prop_begin(struct ikev1_enc *e, const struct ikev1_prop *p)
{
	if (e->pl_off == SIZE_MAX || e->prop_off != SIZE_MAX || p->spi.len > UINT8_MAX)
		return enc_fail(e, -EINVAL);
	if (e->prev_prop_off != SIZE_MAX)
		bld_put_u8_at(e->b, e->prev_prop_off, ISAKMP_NP_P);
	e->prop_off = bld_off(e->b);
	bld_u8(e->b, ISAKMP_NP_NONE);
	bld_u8(e->b, p->reserved);
	bld_u16(e->b, 0);
	bld_u8(e->b, p->number);
	bld_u8(e->b, p->protocol);
	bld_u8(e->b, (uint8_t)p->spi.len);
	bld_u8(e->b, 0); /* # of Transforms: prop_end */
	if (p->spi.len)
		bld_bytes(e->b, p->spi.p, p->spi.len);
	e->nxforms = 0;
	e->prev_xform_off = SIZE_MAX;
	return enc_status(e);
}

int ikev1_prop_end(struct ikev1_enc *e)
{
	if (e->prop_off == SIZE_MAX || e->xform_off != SIZE_MAX || e->nxforms > UINT8_MAX)
		return enc_fail(e, -EINVAL);
	bld_put_u8_at(e->b, e->prop_off + 7, (uint8_t)e->nxforms);
	patch_len(e, e->prop_off);
	e->prev_prop_off = e->prop_off;
	e->prop_off = SIZE_MAX;
	return enc_status(e);
}

int ikev1_xform_begin(struct ikev1_enc *e, const struct ikev1_xform *t)
{
	if (e->prop_off == SIZE_MAX || e->xform_off != SIZE_MAX)
		return enc_fail(e, -EINVAL);
	if (e->prev_xform_off != SIZE_MAX)
		bld_put_u8_at(e->b, e->prev_xform_off, ISAKMP_NP_T);
	e->xform_off = bld_off(e->b);
	bld_u8(e->b, ISAKMP_NP_NONE);
	bld_u8(e->b, t->reserved);
	bld_u16(e->b, 0);
	bld_u8(e->b, t->number);
	bld_u8(e->b, t->id);
	bld_u16(e->b, t->reserved2);
	return enc_status(e);
}

int ikev1_xform_end(struct ikev1_enc *e)
{
	if (e->xform_off == SIZE_MAX)
		return enc_fail(e, -EINVAL);
	patch_len(e, e->xform_off);
	e->prev_xform_off = e->xform_off;
	e->xform_off = SIZE_MAX;
	e->nxforms++;
	return enc_status(e);
}

int ikev1_attr_tv(struct ikev1_enc *e, uint16_t type, uint16_t value)
{
	if (e->pl_off == SIZE_MAX)
		return enc_fail(e, -EINVAL);
	bld_u16(e->b, type | ISAKMP_ATTR_AF);
	bld_u16(e->b, value);
	return enc_status(e);
}

int ikev1_attr_tlv(struct ikev1_enc *e, uint16_t type, const void *value, size_t len)
{
	if (e->pl_off == SIZE_MAX || len > UINT16_MAX)
		return enc_fail(e, -EINVAL);
	bld_u16(e->b, type & ~ISAKMP_ATTR_AF);
	bld_u16(e->b, (uint16_t)len);
	if (len)
		bld_bytes(e->b, value, len);
	return enc_status(e);
}

int ikev1_attr_num(struct ikev1_enc *e, uint16_t type, uint64_t v)
{
	uint8_t buf[8];
	size_t n = v > UINT32_MAX ? 8 : 4, i;

	if (v <= UINT16_MAX)
		return ikev1_attr_tv(e, type, (uint16_t)v);
	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return ikev1_attr_tlv(e, type, buf, n);
}

int ikev1_attr_put(struct ikev1_enc *e, const struct ikev1_attr *a)
{
	if (a->tv)
		return ikev1_attr_tv(e, a->type, a->value);
	return ikev1_attr_tlv(e, a->type, a->data.p, a->data.len);
}

static int xform_put(struct ikev1_enc *e, const struct ikev1_xform *t)
{
	struct ikev1_iter it;
	struct ikev1_attr a;
	int rc;

	ikev1_xform_begin(e, t);
	ikev1_attrs_begin(&it, t->attrs, t->attrs_off);
	while ((rc = ikev1_attr_next(&it, &a)) == 1)
		ikev1_attr_put(e, &a);
	if (rc < 0)
		return enc_fail(e, rc);
	return ikev1_xform_end(e);
}

int ikev1_sa_put_body(struct ikev1_enc *e, const struct ikev1_sa *sa)
{
	struct ikev1_iter pit, xit;
	struct ikev1_prop p;
	struct ikev1_xform t;
	int rc, xrc;

	bld_u32(e->b, sa->doi);
	bld_u32(e->b, sa->situation);
	ikev1_props_begin(&pit, sa);
	while ((rc = ikev1_prop_next(&pit, &p)) == 1) {
		ikev1_prop_begin(e, &p);
		ikev1_xforms_begin(&xit, &p);
		while ((xrc = ikev1_xform_next(&xit, &t)) == 1)
			xform_put(e, &t);
		if (xrc < 0)
			return enc_fail(e, xrc);
		ikev1_prop_end(e);
	}
	if (rc < 0)
		return enc_fail(e, rc);
	return enc_status(e);
}
