/* ikev2_sa.c: the IKEv2 SA payload (RFC 7296 3.3): validation, iteration,
 * encoding. Validation follows openiked's order: check every length against
 * what is left before reading what the bytes mean. */
#include "wire/ikev2_sa.h"

#include <errno.h>
#include <string.h>

#include "wire/names.h"

#define PROPOSAL_HDR_LEN  8
#define TRANSFORM_HDR_LEN 8
#define ATTR_HDR_LEN	  4

/* Where the walk is, for error texts and offsets. */
struct sa_walk {
	size_t off;	 /* message offset of the SA body */
	unsigned pn, tn; /* 1-based proposal and transform numbers */
	struct wire_err *err;
};

/*
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |A|       Attribute Type        |    AF=0  Attribute Length     |
 * |F|                             |    AF=1  Attribute Value      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   AF=0  Attribute Value                       |
 * |                   AF=1  Not Transmitted                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                 RFC 7296 3.3.5, Figure 9: Data Attributes
 */
static int attrs_check(const struct sa_walk *w, struct span attrs, size_t off)
{
	struct cursor c;
	unsigned n = 0;
	uint16_t type, lv;

	cur_init(&c, attrs.p, attrs.len);
	while (cur_left(&c) > 0) {
		size_t at = off + c.off;

		if (n == IKEV2_MAX_ATTRS) {
			wire_err_set(w->err, at,
				     "proposal %u, transform %u: more than %d attributes", w->pn,
				     w->tn, IKEV2_MAX_ATTRS);
			return -EBADMSG;
		}
		if (cur_left(&c) < ATTR_HDR_LEN) {
			wire_err_set(
				w->err, at,
				"proposal %u, transform %u: attribute %u needs %d bytes, %zu left",
				w->pn, w->tn, n + 1, ATTR_HDR_LEN, cur_left(&c));
			return -EBADMSG;
		}
		cur_u16(&c, &type);
		cur_u16(&c, &lv);
		if (!(type & IKEV2_ATTR_AF) && lv > cur_left(&c)) {
			wire_err_set(w->err, at + 2,
				     "proposal %u, transform %u: TLV attribute %u has length %u, "
				     "only %zu bytes left in the transform",
				     w->pn, w->tn, n + 1, lv, cur_left(&c));
			return -EBADMSG;
		}
		if (!(type & IKEV2_ATTR_AF))
			cur_skip(&c, lv);
		n++;
	}
	return 0;
}

/* Read a transform header and body at the cursor (no judgement). */
static void transform_read(struct cursor *c, struct ikev2_transform *t)
{
	uint16_t alen;

	cur_u8(c, &t->last);
	cur_u8(c, &t->reserved1);
	cur_u16(c, &t->length);
	cur_u8(c, &t->type);
	cur_u8(c, &t->reserved2);
	cur_u16(c, &t->id);
	alen = t->length >= TRANSFORM_HDR_LEN ? (uint16_t)(t->length - TRANSFORM_HDR_LEN) : 0;
	cur_span(c, alen, &t->attrs);
}

/*
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |        Transform Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Transform Type |   RESERVED    |          Transform ID         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * ~                      Transform Attributes                     ~
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *            RFC 7296 3.3.2, Figure 8: Transform Substructure
 *
 * Check the transforms of one proposal (the cursor covers exactly the bytes
 * after its SPI); *count gets how many there are.
 */
static int transforms_check(struct sa_walk *w, struct cursor *c, size_t off, unsigned *count)
{
	struct ikev2_transform t;
	size_t at, left;

	for (w->tn = 1;; w->tn++) {
		at = off + c->off;
		left = cur_left(c);
		if (w->tn > IKEV2_MAX_TRANSFORMS) {
			wire_err_set(w->err, at, "proposal %u: more than %d transforms", w->pn,
				     IKEV2_MAX_TRANSFORMS);
			return -EBADMSG;
		}
		if (left < TRANSFORM_HDR_LEN) {
			wire_err_set(
				w->err, at,
				"proposal %u, transform %u: %zu bytes left, a transform needs %d",
				w->pn, w->tn, left, TRANSFORM_HDR_LEN);
			return -EBADMSG;
		}
		memset(&t, 0, sizeof(t));
		cur_u8(c, &t.last);
		cur_skip(c, 1);
		cur_u16(c, &t.length);
		if (t.last != IKEV2_LAST_TRANSFORM && t.last != IKEV2_MORE_TRANSFORMS) {
			wire_err_set(w->err, at,
				     "proposal %u, transform %u: Last Substruc %u, expected 0 "
				     "(last) or 3 (more)",
				     w->pn, w->tn, t.last);
			return -EBADMSG;
		}
		if (t.length < TRANSFORM_HDR_LEN || t.length > left) {
			wire_err_set(
				w->err, at + 2,
				"proposal %u, transform %u: Transform Length %u, expected %d to "
				"%zu (the rest of the proposal)",
				w->pn, w->tn, t.length, TRANSFORM_HDR_LEN, left);
			return -EBADMSG;
		}
		cur_skip(c, 4);
		cur_span(c, t.length - TRANSFORM_HDR_LEN, &t.attrs);
		if (attrs_check(w, t.attrs, at + TRANSFORM_HDR_LEN))
			return -EBADMSG;
		if (t.last == IKEV2_LAST_TRANSFORM && cur_left(c) > 0) {
			wire_err_set(
				w->err, off + c->off,
				"proposal %u: %zu bytes after the last transform (transform %u "
				"has Last Substruc 0)",
				w->pn, cur_left(c), w->tn);
			return -EBADMSG;
		}
		if (t.last == IKEV2_MORE_TRANSFORMS && cur_left(c) == 0) {
			wire_err_set(w->err, at,
				     "proposal %u, transform %u: Last Substruc 3 (more), but the "
				     "proposal ends there",
				     w->pn, w->tn);
			return -EBADMSG;
		}
		if (t.last == IKEV2_LAST_TRANSFORM)
			break;
	}
	*count = w->tn;
	return 0;
}

/* RFC 7296 3.3.1: proposals count up from 1; a reply carries the one chosen
 * with its original number, so a lone proposal may have any number but 0. */
static int proposal_num_check(const struct sa_walk *w, size_t at, uint8_t num, uint8_t first,
			      size_t first_at)
{
	if (num == 0) {
		wire_err_set(w->err, at, "proposal %u: Proposal Num 0, expected 1 or more", w->pn);
		return -EBADMSG;
	}
	if (w->pn == 2 && first != 1) {
		wire_err_set(w->err, first_at,
			     "proposal 1: Proposal Num %u, expected 1 (more proposals follow)",
			     first);
		return -EBADMSG;
	}
	if (w->pn > 1 && num != w->pn) {
		wire_err_set(w->err, at, "proposal %u: Proposal Num %u, expected %u", w->pn, num,
			     w->pn);
		return -EBADMSG;
	}
	return 0;
}

/* RFC 7296 3.3.1: SPI Size is 0 (IKE_SA_INIT) or 8 for IKE, 4 for AH and
 * ESP. Other protocols are left to the engine (NO_PROPOSAL_CHOSEN). */
static int spi_size_check(const struct sa_walk *w, size_t at, uint8_t proto, uint8_t size)
{
	const char *want = NULL;

	if (proto == IKEV2_PROTO_IKE && size != 0 && size != 8)
		want = "0 or 8";
	else if ((proto == IKEV2_PROTO_AH || proto == IKEV2_PROTO_ESP) && size != 4)
		want = "4";
	if (!want)
		return 0;
	wire_err_set(w->err, at, "proposal %u (%s): SPI Size %u, expected %s", w->pn,
		     enum_name(&ikev2_protocol_names, proto), size, want);
	return -EBADMSG;
}

/*
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |         Proposal Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SPI (variable)                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * ~                        <Transforms>                           ~
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *            RFC 7296 3.3.1, Figure 7: Proposal Substructure
 */
static int proposal_check(struct sa_walk *w, struct cursor *c, uint8_t *num, bool *last)
{
	size_t at = w->off + c->off, left = cur_left(c);
	uint8_t lastv, proto, spi_size, n_trans;
	uint16_t len;
	unsigned found = 0;
	struct cursor tc;

	if (left < PROPOSAL_HDR_LEN) {
		wire_err_set(w->err, at, "proposal %u: %zu bytes left, a proposal needs %d", w->pn,
			     left, PROPOSAL_HDR_LEN);
		return -EBADMSG;
	}
	cur_u8(c, &lastv);
	cur_skip(c, 1);
	cur_u16(c, &len);
	cur_u8(c, num);
	cur_u8(c, &proto);
	cur_u8(c, &spi_size);
	cur_u8(c, &n_trans);
	if (lastv != IKEV2_LAST_PROPOSAL && lastv != IKEV2_MORE_PROPOSALS) {
		wire_err_set(w->err, at,
			     "proposal %u: Last Substruc %u, expected 0 (last) or 2 (more)", w->pn,
			     lastv);
		return -EBADMSG;
	}
	if (len < PROPOSAL_HDR_LEN + spi_size || len > left) {
		wire_err_set(w->err, at + 2,
			     "proposal %u: Proposal Length %u, expected %u to %zu (header and SPI "
			     "to the rest of the SA payload)",
			     w->pn, len, PROPOSAL_HDR_LEN + spi_size, left);
		return -EBADMSG;
	}
	if (spi_size_check(w, at + 6, proto, spi_size))
		return -EBADMSG;
	cur_skip(c, spi_size);
	cur_sub(c, len - PROPOSAL_HDR_LEN - spi_size, &tc);
	if (cur_left(&tc) == 0) {
		wire_err_set(w->err, at, "proposal %u has no transform", w->pn);
		return -EBADMSG;
	}
	if (transforms_check(w, &tc, w->off + c->off - cur_left(&tc), &found))
		return -EBADMSG;
	if (found != n_trans) {
		wire_err_set(w->err, at + 7, "proposal %u: Num Transforms %u, but %u present",
			     w->pn, n_trans, found);
		return -EBADMSG;
	}
	*last = lastv == IKEV2_LAST_PROPOSAL;
	if (*last && cur_left(c) > 0) {
		wire_err_set(w->err, w->off + c->off,
			     "proposal %u has Last Substruc 0, but %zu bytes follow it", w->pn,
			     cur_left(c));
		return -EBADMSG;
	}
	if (!*last && cur_left(c) == 0) {
		wire_err_set(w->err, at,
			     "proposal %u has Last Substruc 2 (more), but the SA payload ends",
			     w->pn);
		return -EBADMSG;
	}
	return 0;
}

/*
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * ~                          <Proposals>                          ~
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *          RFC 7296 3.3, Figure 6: Security Association Payload
 */
int ikev2_sa_decode(struct span body, size_t off, struct ikev2_sa *sa, struct wire_err *err)
{
	struct sa_walk w = {.off = off, .err = err};
	struct cursor c;
	uint8_t num, first = 0;
	size_t at, first_at = off;
	bool last = false;

	memset(sa, 0, sizeof(*sa));
	if (body.len == 0) {
		wire_err_set(err, off, "SA payload has no proposal");
		return -EBADMSG;
	}
	cur_init(&c, body.p, body.len);
	for (w.pn = 1; !last; w.pn++) {
		at = off + c.off;
		if (w.pn > IKEV2_MAX_PROPOSALS) {
			wire_err_set(err, at, "SA payload has more than %d proposals",
				     IKEV2_MAX_PROPOSALS);
			return -EBADMSG;
		}
		if (proposal_check(&w, &c, &num, &last))
			return -EBADMSG;
		if (w.pn == 1)
			first = num;
		if (proposal_num_check(&w, at + 4, num, first, first_at + 4))
			return -EBADMSG;
	}
	sa->body = body;
	sa->n_proposals = w.pn - 1;
	return 0;
}

void ikev2_sa_proposals(const struct ikev2_sa *sa, struct ikev2_iter *it)
{
	cur_init(&it->c, sa->body.p, sa->body.len);
	it->index = 0;
}

bool ikev2_proposal_next(struct ikev2_iter *it, struct ikev2_proposal *p)
{
	struct cursor *c = &it->c;
	size_t tlen;

	memset(p, 0, sizeof(*p));
	if (cur_left(c) < PROPOSAL_HDR_LEN)
		return false;
	cur_u8(c, &p->last);
	cur_u8(c, &p->reserved);
	cur_u16(c, &p->length);
	cur_u8(c, &p->num);
	cur_u8(c, &p->protocol);
	cur_u8(c, &p->spi_size);
	cur_u8(c, &p->n_transforms);
	cur_span(c, p->spi_size, &p->spi);
	tlen = p->length >= PROPOSAL_HDR_LEN + p->spi_size
		       ? (size_t)p->length - PROPOSAL_HDR_LEN - p->spi_size
		       : 0;
	cur_span(c, tlen, &p->transforms);
	if (!cur_ok(c))
		return false;
	it->index++;
	return true;
}

void ikev2_proposal_transforms(const struct ikev2_proposal *p, struct ikev2_iter *it)
{
	cur_init(&it->c, p->transforms.p, p->transforms.len);
	it->index = 0;
}

bool ikev2_transform_next(struct ikev2_iter *it, struct ikev2_transform *t)
{
	memset(t, 0, sizeof(*t));
	if (cur_left(&it->c) < TRANSFORM_HDR_LEN)
		return false;
	transform_read(&it->c, t);
	if (!cur_ok(&it->c))
		return false;
	it->index++;
	return true;
}

void ikev2_transform_attrs(const struct ikev2_transform *t, struct ikev2_iter *it)
{
	cur_init(&it->c, t->attrs.p, t->attrs.len);
	it->index = 0;
}

bool ikev2_attr_next(struct ikev2_iter *it, struct ikev2_attr *a)
{
	uint16_t type, lv;

	memset(a, 0, sizeof(*a));
	if (cur_left(&it->c) < ATTR_HDR_LEN)
		return false;
	cur_u16(&it->c, &type);
	cur_u16(&it->c, &lv);
	a->tv = (type & IKEV2_ATTR_AF) != 0;
	a->type = type & (uint16_t)~IKEV2_ATTR_AF;
	if (a->tv)
		a->value = lv;
	else
		cur_span(&it->c, lv, &a->data);
	if (!cur_ok(&it->c))
		return false;
	it->index++;
	return true;
}

int ikev2_transform_key_length(const struct ikev2_transform *t)
{
	struct ikev2_iter it;
	struct ikev2_attr a;

	ikev2_transform_attrs(t, &it);
	while (ikev2_attr_next(&it, &a))
		if (a.tv && a.type == IKEV2_ATTR_KEY_LENGTH)
			return a.value;
	return -ENOENT;
}

/* --- encoding --- */

void ikev2_sa_enc_begin(struct ikev2_sa_enc *s, struct builder *b)
{
	memset(s, 0, sizeof(*s));
	s->b = b;
}

static int fail(struct ikev2_sa_enc *s, int e)
{
	if (!s->err)
		s->err = e;
	return s->err;
}

/* Patch Proposal Length and Num Transforms of the open proposal. */
static int proposal_close(struct ikev2_sa_enc *s)
{
	size_t len = bld_off(s->b) - s->prop_at;

	if (s->n_trans == 0)
		return fail(s, -EINVAL); /* RFC 7296 3.3.1: one or more transforms */
	if (len > UINT16_MAX)
		return fail(s, -EMSGSIZE);
	bld_put_u16_at(s->b, s->prop_at + 2, (uint16_t)len);
	bld_put_u8_at(s->b, s->prop_at + 7, (uint8_t)s->n_trans);
	return fail(s, bld_err(s->b));
}

int ikev2_sa_enc_proposal(struct ikev2_sa_enc *s, const struct ikev2_proposal *p)
{
	if (s->err)
		return s->err;
	if (p->spi.len > UINT8_MAX)
		return fail(s, -EINVAL);
	if (s->n_props > 0) {
		if (proposal_close(s))
			return s->err;
		bld_put_u8_at(s->b, s->prop_at, IKEV2_MORE_PROPOSALS);
	}
	s->prop_at = bld_off(s->b);
	s->n_trans = 0;
	s->n_props++;
	bld_u8(s->b, IKEV2_LAST_PROPOSAL);
	bld_u8(s->b, p->reserved);
	bld_u16(s->b, 0);
	bld_u8(s->b, p->num);
	bld_u8(s->b, p->protocol);
	bld_u8(s->b, (uint8_t)p->spi.len);
	bld_u8(s->b, 0);
	bld_bytes(s->b, p->spi.p, p->spi.len);
	return fail(s, bld_err(s->b));
}

int ikev2_sa_enc_transform(struct ikev2_sa_enc *s, const struct ikev2_transform *t)
{
	size_t len = TRANSFORM_HDR_LEN + t->attrs.len;

	if (s->err)
		return s->err;
	if (s->n_props == 0 || s->n_trans == UINT8_MAX || len > UINT16_MAX)
		return fail(s, -EINVAL);
	if (s->n_trans > 0)
		bld_put_u8_at(s->b, s->trans_at, IKEV2_MORE_TRANSFORMS);
	s->trans_at = bld_off(s->b);
	s->n_trans++;
	bld_u8(s->b, IKEV2_LAST_TRANSFORM);
	bld_u8(s->b, t->reserved1);
	bld_u16(s->b, (uint16_t)len);
	bld_u8(s->b, t->type);
	bld_u8(s->b, t->reserved2);
	bld_u16(s->b, t->id);
	bld_bytes(s->b, t->attrs.p, t->attrs.len);
	return fail(s, bld_err(s->b));
}

int ikev2_sa_enc_transform_id(struct ikev2_sa_enc *s, uint8_t type, uint16_t id, unsigned key_bits)
{
	uint8_t attr[ATTR_HDR_LEN] = {(IKEV2_ATTR_AF | IKEV2_ATTR_KEY_LENGTH) >> 8,
				      IKEV2_ATTR_KEY_LENGTH & 0xff, (uint8_t)(key_bits >> 8),
				      (uint8_t)key_bits};
	struct ikev2_transform t = {.type = type, .id = id};

	if (key_bits > UINT16_MAX)
		return fail(s, -EINVAL);
	if (key_bits > 0)
		t.attrs = (struct span){attr, sizeof(attr)};
	return ikev2_sa_enc_transform(s, &t);
}

int ikev2_sa_enc_end(struct ikev2_sa_enc *s)
{
	if (s->err)
		return s->err;
	if (s->n_props == 0)
		return fail(s, -EINVAL);
	return proposal_close(s);
}

int ikev2_sa_enc_copy(struct ikev2_sa_enc *s, const struct ikev2_sa *sa)
{
	struct ikev2_iter pi, ti;
	struct ikev2_proposal p;
	struct ikev2_transform t;

	ikev2_sa_proposals(sa, &pi);
	while (ikev2_proposal_next(&pi, &p)) {
		ikev2_sa_enc_proposal(s, &p);
		ikev2_proposal_transforms(&p, &ti);
		while (ikev2_transform_next(&ti, &t))
			ikev2_sa_enc_transform(s, &t);
	}
	return s->err;
}
