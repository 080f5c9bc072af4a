/* quick.c: Quick Mode (RFC 2409 5.5), both roles.
 *
 *   1 I->R  * HASH(1), SA, Ni, [KE], [IDci, IDcr]
 *   2 R->I  * HASH(2), SA, Nr, [KE], [IDci, IDcr], [N(RESPONDER-LIFETIME)]
 *   3 I->R  * HASH(3)
 *
 * HASH(1) = prf(SKEYID_a, M-ID | rest of message 1), HASH(2) = prf(SKEYID_a,
 * M-ID | Ni_b | rest of message 2), HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b |
 * Nr_b). Each Quick Mode has its own message ID and IV chain. The SA offers
 * one ESP (or AH) proposal with our SPI and one transform per combination of
 * the child's proposals; the responder answers with one transform unchanged
 * and its own SPI. KE makes session-key PFS; the responder accepts PFS even
 * when its own proposals have none (the transform cannot be changed), and
 * refuses an offer without PFS when its proposals require it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/model.h"
#include "crypto/alg.h"
#include "crypto/integ.h"
#include "crypto/rand.h"
#include "ike/child_kernel.h"
#include "ike/proposal_match.h"
#include "ikev1/ikev1_int.h"
#include "lib/log.h"
#include "wire/ikev1_rules.h"

#define MAX_QXF		64
#define QM_DONE_KEEP_MS 30000u /* a finished Quick Mode still answers retransmissions */

/* One phase 2 transform as values. */
struct qxf {
	uint64_t life_s, life_kb;
	uint16_t id;   /* ESP or AH transform ID */
	uint16_t auth; /* Authentication Algorithm attribute, 0 none */
	uint16_t key_bits, group, encap;
	uint8_t number;
	uint8_t protocol; /* PROPOSAL_PROTO_ESP / _AH */
	bool esn;
};

static uint8_t wire_proto(uint8_t protocol)
{
	return protocol == PROPOSAL_PROTO_AH ? IPSEC_PROTO_AH : IPSEC_PROTO_ESP;
}

static bool nat(const struct ikev1_ike_sa *sa)
{
	return sa->sa.nat_local || sa->sa.nat_remote;
}

static uint16_t encap_mode(const struct ikev1_ike_sa *sa, enum child_mode m)
{
	if (nat(sa)) /* RFC 3947 5.1 */
		return m == CHILD_MODE_TRANSPORT ? IPSEC_ENCAP_UDP_TRANSPORT
						 : IPSEC_ENCAP_UDP_TUNNEL;
	return m == CHILD_MODE_TRANSPORT ? IPSEC_ENCAP_TRANSPORT : IPSEC_ENCAP_TUNNEL;
}

/* The Quick Mode SA lifetime we offer and accept: the child's rekey_time
 * (swanctl's default 1 h is Windows' quick mode default too; an IKEv1 SA is
 * replaced by a new Quick Mode before it expires, so the IKEv2 margin
 * life_time - rekey_time has no use here), else life_time, else 1 h. */
static uint64_t qm_life_s(const struct child_cfg *c)
{
	if (c->rekey_time)
		return c->rekey_time;
	return c->life_time ? c->life_time : IKEV1_DEF_QM_LIFE;
}

static uint64_t qm_life_kb(const struct child_cfg *c)
{
	return c->life_bytes ? c->life_bytes / 1024 : IKEV1_DEF_QM_KB;
}

/* Our transforms for child c: every (encr, integ) of every proposal. */
static size_t offer_qxf(const struct ikev1_ike_sa *sa, const struct child_cfg *c, struct qxf *out,
			size_t max, uint16_t *pfs)
{
	bool ah = c->nah > 0;
	const struct proposal *ps = ah ? c->ah : c->esp;
	size_t np = ah ? c->nah : c->nesp, n = 0, i, a, b;

	*pfs = 0;
	for (i = 0; i < np; i++) {
		const struct proposal *p = &ps[i];
		const struct proposal_transform *ke = proposal_get(p, IKEV2_TRANS_DH);
		const struct proposal_transform *esn = proposal_get(p, IKEV2_TRANS_ESN);
		uint16_t group = ke ? ke->id : 0;

		if (group && !*pfs)
			*pfs = group;
		for (a = 0; a < p->ntrans; a++) {
			const struct proposal_transform *te = &p->trans[a];
			const struct alg_row *er = NULL;

			if (!ah) {
				if (te->type != IKEV2_TRANS_ENCR)
					continue;
				er = alg_by_ikev2(IKEV2_TRANS_ENCR, te->id);
				if (!er || !er->ikev1_p2)
					continue;
			} else if (a > 0) {
				break;
			}
			for (b = 0; b < p->ntrans && n < max; b++) {
				const struct proposal_transform *ti = &p->trans[b];
				const struct alg_row *ir;

				if (ti->type != IKEV2_TRANS_INTEG)
					continue;
				ir = alg_by_ikev2(IKEV2_TRANS_INTEG, ti->id);
				if (!ir || !ir->ikev1_p2 || (ah && !ir->ikev1_ah))
					continue;
				out[n++] = (struct qxf){
					.protocol = ah ? PROPOSAL_PROTO_AH : PROPOSAL_PROTO_ESP,
					.id = ah ? ir->ikev1_ah : er->ikev1_p2,
					.auth = ir->ikev1_p2,
					.key_bits = ah ? 0 : te->key_bits,
					.group = *pfs,
					.esn = esn && esn->id == IKEV2_ESN_YES,
				};
			}
			if (!ah && er->encr && er->encr->aead && n < max)
				out[n++] = (struct qxf){
					.protocol = PROPOSAL_PROTO_ESP,
					.id = er->ikev1_p2,
					.key_bits = te->key_bits,
					.group = *pfs,
					.esn = esn && esn->id == IKEV2_ESN_YES,
				};
		}
	}
	for (i = 0; i < n; i++) {
		out[i].number = (uint8_t)(i + 1);
		out[i].encap = encap_mode(sa, c->mode);
		out[i].life_s = qm_life_s(c);
		out[i].life_kb = qm_life_kb(c);
	}
	return n;
}

static void put_qxf(struct ikev1_enc *enc, const struct qxf *x)
{
	ikev1_xform_begin(enc, &(struct ikev1_xform){.number = x->number, .id = (uint8_t)x->id});
	ikev1_attr_tv(enc, IPSEC_ATTR_SA_LIFE_TYPE, IKEV1_LIFE_SECONDS);
	ikev1_attr_num(enc, IPSEC_ATTR_SA_LIFE_DURATION, x->life_s);
	ikev1_attr_tv(enc, IPSEC_ATTR_SA_LIFE_TYPE, IKEV1_LIFE_KILOBYTES);
	ikev1_attr_num(enc, IPSEC_ATTR_SA_LIFE_DURATION, x->life_kb);
	if (x->group)
		ikev1_attr_tv(enc, IPSEC_ATTR_GROUP_DESC, x->group);
	ikev1_attr_tv(enc, IPSEC_ATTR_ENCAP_MODE, x->encap);
	if (x->auth)
		ikev1_attr_tv(enc, IPSEC_ATTR_AUTH_ALG, x->auth);
	if (x->key_bits)
		ikev1_attr_tv(enc, IPSEC_ATTR_KEY_LENGTH, x->key_bits);
	if (x->esn)
		ikev1_attr_tv(enc, IPSEC_ATTR_ESN, 1);
	ikev1_xform_end(enc);
}

static bool parse_qxf(uint8_t protocol, const struct ikev1_xform *t, struct qxf *x, char *why,
		      size_t wl)
{
	struct ikev1_iter it;
	struct ikev1_attr a;
	uint16_t lt = 0;

	memset(x, 0, sizeof(*x));
	x->number = t->number;
	x->protocol = protocol == IPSEC_PROTO_AH ? PROPOSAL_PROTO_AH : PROPOSAL_PROTO_ESP;
	x->id = t->id;
	ikev1_attrs_begin(&it, t->attrs, t->attrs_off);
	while (ikev1_attr_next(&it, &a) == 1) {
		uint64_t v = 0;

		if (ikev1_attr_u64(&a, &v) < 0) {
			snprintf(why, wl, "attribute %u has an unexpected length", a.type);
			return false;
		}
		switch (a.type) {
		case IPSEC_ATTR_SA_LIFE_TYPE:
			lt = (uint16_t)v;
			break;
		case IPSEC_ATTR_SA_LIFE_DURATION:
			if (lt == IKEV1_LIFE_SECONDS)
				x->life_s = v;
			else if (lt == IKEV1_LIFE_KILOBYTES)
				x->life_kb = v;
			break;
		case IPSEC_ATTR_GROUP_DESC:
			x->group = (uint16_t)v;
			break;
		case IPSEC_ATTR_ENCAP_MODE:
			x->encap = (uint16_t)v;
			break;
		case IPSEC_ATTR_AUTH_ALG:
			x->auth = (uint16_t)v;
			break;
		case IPSEC_ATTR_KEY_LENGTH:
			x->key_bits = (uint16_t)v;
			break;
		case IPSEC_ATTR_ESN:
			x->esn = v == 1;
			break;
		default:
			snprintf(why, wl, "IPsec attribute %s not supported",
				 enum_name(&ipsec_attr_names, a.type) ?: "unknown");
			return false;
		}
	}
	return true;
}

/* As an IKEv2-style proposal for matching and for the kernel. */
static bool qxf_proposal(const struct qxf *x, struct proposal *p)
{
	const struct alg_row *ir = x->auth ? alg_by_ikev1_auth(x->auth) : NULL;

	memset(p, 0, sizeof(*p));
	p->protocol = x->protocol;
	p->num = x->number;
	if (x->protocol == PROPOSAL_PROTO_ESP) {
		const struct alg_row *er = alg_by_esp_id(x->id);

		if (!er || !er->encr)
			return false;
		proposal_add(p, IKEV2_TRANS_ENCR, er->ikev2_id, x->key_bits);
		if (!er->encr->aead && !ir)
			return false;
	} else {
		ir = alg_by_ah_id(x->id);
	}
	if (ir)
		proposal_add(p, IKEV2_TRANS_INTEG, ir->ikev2_id, 0);
	if (x->group)
		proposal_add(p, IKEV2_TRANS_DH, x->group, 0);
	proposal_add(p, IKEV2_TRANS_ESN, x->esn ? IKEV2_ESN_YES : IKEV2_ESN_NO, 0);
	return true;
}

/* --- IDci/IDcr <-> traffic selectors (RFC 2407 4.6.2) --- */

static size_t ts_to_id(const struct ts *t, uint8_t *buf, struct ikev1_id *id)
{
	bool v6 = t->lo.family == AF_INET6;
	size_t al = v6 ? 16 : 4;
	int plen = ts_prefix_len(t);

	id->protocol = t->proto;
	id->port = t->port_lo == t->port_hi ? t->port_lo : 0;
	memcpy(buf, t->lo.a, al);
	if (ip_addr_eq(&t->lo, &t->hi)) {
		id->type = v6 ? IPSEC_ID_IPV6_ADDR : IPSEC_ID_IPV4_ADDR;
		id->data = (struct span){buf, al};
		return al;
	}
	if (plen >= 0) {
		size_t i;

		id->type = v6 ? IPSEC_ID_IPV6_ADDR_SUBNET : IPSEC_ID_IPV4_ADDR_SUBNET;
		memset(buf + al, 0, al);
		for (i = 0; i < (size_t)plen; i++)
			buf[al + i / 8] |= (uint8_t)(0x80 >> (i % 8));
	} else {
		id->type = v6 ? IPSEC_ID_IPV6_ADDR_RANGE : IPSEC_ID_IPV4_ADDR_RANGE;
		memcpy(buf + al, t->hi.a, al);
	}
	id->data = (struct span){buf, 2 * al};
	return 2 * al;
}

static bool id_to_ts(const struct ikev1_id *id, struct ts *t)
{
	size_t al, i;
	int fam;

	memset(t, 0, sizeof(*t));
	switch (id->type) {
	case IPSEC_ID_IPV4_ADDR:
	case IPSEC_ID_IPV4_ADDR_SUBNET:
	case IPSEC_ID_IPV4_ADDR_RANGE:
		fam = AF_INET, al = 4;
		break;
	case IPSEC_ID_IPV6_ADDR:
	case IPSEC_ID_IPV6_ADDR_SUBNET:
	case IPSEC_ID_IPV6_ADDR_RANGE:
		fam = AF_INET6, al = 16;
		break;
	default:
		return false;
	}
	t->proto = id->protocol;
	t->port_lo = id->port;
	t->port_hi = id->port ? id->port : 65535;
	if (id->type == IPSEC_ID_IPV4_ADDR || id->type == IPSEC_ID_IPV6_ADDR) {
		if (id->data.len != al)
			return false;
		ip_addr_from_bytes(&t->lo, fam, id->data.p, al);
		t->hi = t->lo;
		return true;
	}
	if (id->data.len != 2 * al)
		return false;
	ip_addr_from_bytes(&t->lo, fam, id->data.p, al);
	ip_addr_from_bytes(&t->hi, fam, id->data.p + al, al);
	if (id->type == IPSEC_ID_IPV4_ADDR_SUBNET || id->type == IPSEC_ID_IPV6_ADDR_SUBNET)
		for (i = 0; i < al; i++) {
			t->lo.a[i] = id->data.p[i] & id->data.p[al + i];
			t->hi.a[i] = (uint8_t)(t->lo.a[i] | ~id->data.p[al + i]);
		}
	return ip_addr_cmp(&t->lo, &t->hi) <= 0;
}

static void child_ts(const struct ikev1_ike_sa *sa, const struct child_cfg *c, struct ts *l,
		     struct ts *r)
{
	if (c->nlocal_ts)
		*l = c->local_ts[0];
	else
		ts_from_addr(l, &sa->sa.local.addr);
	if (c->nremote_ts)
		*r = c->remote_ts[0];
	else
		ts_from_addr(r, &sa->sa.remote.addr);
}

/* --- slots --- */

/* A free slot, else the finished Quick Mode kept longest (it only
 * answered retransmissions), else -1. */
static int qm_slot(struct ikev1_ike_sa *sa)
{
	int i, done = -1;

	if (!sa->qm && !(sa->qm = calloc(IKEV1_MAX_QM, sizeof(*sa->qm))))
		return -1;
	for (i = 0; i < IKEV1_MAX_QM; i++) {
		if (!sa->qm[i].used)
			return i;
		if (sa->qm[i].state == QM_DONE &&
		    (done < 0 || sa->qm[i].done_at < sa->qm[done].done_at))
			done = i;
	}
	if (done >= 0)
		ikev1_qm_clear(&sa->qm[done]);
	return done;
}

static struct ikev1_qm *qm_by_msgid(struct ikev1_ike_sa *sa, uint32_t msgid)
{
	int i;

	for (i = 0; sa->qm && i < IKEV1_MAX_QM; i++)
		if (sa->qm[i].used && sa->qm[i].msgid == msgid)
			return &sa->qm[i];
	return NULL;
}

void ikev1_child_timer(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct child_sa *c,
		       enum timer_kind kind, uint64_t now)
{
	struct ikev1_ike_sa *use = sa;

	e->now = now;
	if (kind == TIMER_EXPIRE) {
		log_notice(SUB_IKE, "IPsec SA #%u (%s): lifetime expired", c->serial, c->cfg->name);
		if (sa->sa.state == IKE_SA_STATE_ESTABLISHED)
			ikev1_send_delete_child(e, sa, c);
		ikev1_child_destroy(e, sa, c);
		return;
	}
	if (kind != TIMER_REKEY || c->state != CHILD_SA_STATE_INSTALLED)
		return;
	/* the Quick Mode needs an ISAKMP SA: this one, or when it is going a
	 * new Main Mode first (the old IPsec SA stays until its hard life) */
	if (sa->sa.state != IKE_SA_STATE_ESTABLISHED || !sa->sa.conn) {
		log_notice(SUB_IKE, "IPsec SA #%u (%s): no ISAKMP SA to rekey it with", c->serial,
			   c->cfg->name);
		return;
	}
	log_info(SUB_IKE, "IPsec SA #%u (%s): soft lifetime, rekeying", c->serial, c->cfg->name);
	if (sa->sa.conn->master_key_pfs ||
	    (sa->sa.conn->quick_mode_limit && sa->qm_count >= sa->sa.conn->quick_mode_limit)) {
		/* a new Main Mode makes the new IPsec SA; the old one expires */
		ikev1_p1_start(e, sa->sa.conn, c->cfg, now, NULL);
		return;
	}
	if (ikev1_qm_start(e, use, c->cfg, now) == 0)
		ikev1_qm_last(use)->replaces = c->serial;
}

struct ikev1_qm *ikev1_qm_last(struct ikev1_ike_sa *sa)
{
	return sa->qm_last;
}

void ikev1_qm_clear(struct ikev1_qm *q)
{
	ikev1_kex_clear(&q->dh);
	free(q->peer_ke);
	ikev1_buf_clear(&q->last_rx);
	ikev1_buf_clear(&q->last_tx);
	ikev1_buf_clear(&q->saved);
	wipe(q, sizeof(*q));
}

static struct child_sa *qm_child(struct ikev1_engine *e, const struct ikev1_qm *q)
{
	return q->child_serial ? sa_table_find_child(&e->table, q->child_serial) : NULL;
}

static void qm_abort(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_qm *q,
		     const char *why)
{
	struct child_sa *c = qm_child(e, q);

	log_notice(SUB_IKE, "ISAKMP SA #%u: Quick Mode %08x failed: %s", sa->sa.serial, q->msgid,
		   why);
	if (c && c->state == CHILD_SA_STATE_CREATING)
		ikev1_child_destroy(e, sa, c);
	ikev1_qm_clear(q);
}

/* --- sending --- */

static int qm_send(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_qm *q,
		   const uint8_t *chain, size_t len, bool waits)
{
	struct isakmp_hdr h;
	uint8_t *out = NULL;
	size_t out_len = 0;
	int r;

	memset(&h, 0, sizeof(h));
	memcpy(h.spi_i, sa->sa.spi_i, 8);
	memcpy(h.spi_r, sa->sa.spi_r, 8);
	h.exchange = IKEV1_XCHG_QUICK;
	h.msg_id = q->msgid;
	r = ikev1_seal(sa, &h, ISAKMP_NP_HASH, chain, len, q->iv, &out, &out_len);
	if (r < 0)
		return r;
	ikev1_buf_clear(&q->last_tx);
	q->last_tx.p = out;
	q->last_tx.len = out_len;
	q->tries = 0;
	/* the responder repeats message 2 too (message 3 may be lost), but
	 * one backoff step later than the initiator repeats message 1, which
	 * already gets message 2 again from the cache */
	q->deadline = waits ? e->now + ikev1_retransmit_delay(e, q->initiator ? 0 : 1) : UINT64_MAX;
	r = ikev1_send(e, sa, out, out_len);
	ikev1_arm(e, sa);
	return r;
}

/* HASH payload (next = first of rest) + rest, the hash over prefix | rest. */
static int hashed(const struct ikev1_ike_sa *sa, struct ikev1_qm *q, bool with_ni, uint8_t first,
		  const uint8_t *rest, size_t rest_len, struct builder *b)
{
	uint8_t h[IKEV1_HASH_MAX];
	size_t n = sa->prf->out_len;
	int r;

	if (with_ni)
		r = ikev1_qm_hash2(sa->prf, sa->keys.skeyid_a, q->msgid,
				   (struct span){q->ni, q->ni_len}, (struct span){rest, rest_len},
				   h);
	else
		r = ikev1_qm_hash1(sa->prf, sa->keys.skeyid_a, q->msgid,
				   (struct span){rest, rest_len}, h);
	if (r < 0)
		return r;
	bld_u8(b, first);
	bld_u8(b, 0);
	bld_u16(b, (uint16_t)(4 + n));
	bld_bytes(b, h, n);
	bld_bytes(b, rest, rest_len);
	return bld_err(b);
}

static void put_ids(struct ikev1_enc *enc, const struct ts *ci, const struct ts *cr)
{
	uint8_t bi[32], br[32];
	struct ikev1_id idi, idr;

	ts_to_id(ci, bi, &idi);
	ts_to_id(cr, br, &idr);
	ikev1_put_id(enc, &idi);
	ikev1_put_id(enc, &idr);
}

static void qm_resume(struct ikev1_engine *e, struct ikev1_ike_sa *sa, int qi, uint64_t now);

static int send_qm1(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_qm *q)
{
	struct child_sa *c = qm_child(e, q);
	static struct qxf xs[MAX_QXF];
	struct ikev1_enc enc;
	struct builder rest, b;
	uint8_t spi[4];
	uint16_t pfs;
	size_t n, i;
	int r;

	if (!c)
		return -ENOENT;
	n = offer_qxf(sa, c->cfg, xs, MAX_QXF, &pfs);
	spi[0] = (uint8_t)(c->spi_in >> 24);
	spi[1] = (uint8_t)(c->spi_in >> 16);
	spi[2] = (uint8_t)(c->spi_in >> 8);
	spi[3] = (uint8_t)c->spi_in;
	bld_init(&rest, 65535);
	ikev1_enc_begin_chain(&enc, &rest);
	ikev1_sa_begin(&enc, ISAKMP_DOI_IPSEC, IPSEC_SIT_IDENTITY_ONLY);
	ikev1_prop_begin(&enc, &(struct ikev1_prop){.number = 1,
						    .protocol = wire_proto(c->protocol),
						    .spi = {spi, 4}});
	for (i = 0; i < n; i++)
		put_qxf(&enc, &xs[i]);
	ikev1_prop_end(&enc);
	ikev1_sa_end(&enc);
	ikev1_put_data(&enc, ISAKMP_NP_NONCE, (struct span){q->ni, q->ni_len});
	if (q->group)
		ikev1_put_data(&enc, ISAKMP_NP_KE, (struct span){q->dh.pub, q->dh.group->pub_len});
	put_ids(&enc, &c->local_ts[0], &c->remote_ts[0]);
	if (ikev1_natoa_wanted(sa, c->mode))
		ikev1_put_natoa_pair(sa, true, &enc);
	r = ikev1_enc_end(&enc);
	bld_init(&b, 65535);
	if (r == 0)
		r = hashed(sa, q, false, enc.first, bld_data(&rest), bld_off(&rest), &b);
	if (r == 0)
		r = qm_send(e, sa, q, bld_data(&b), bld_off(&b), true);
	bld_free(&rest);
	bld_free(&b);
	return r;
}

int ikev1_qm_start(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const struct child_cfg *child,
		   uint64_t now)
{
	const struct kernel_ops *k = e->env.kernel;
	static struct qxf xs[MAX_QXF];
	struct ikev1_qm *q;
	struct child_sa *c;
	uint16_t pfs;
	int qi = qm_slot(sa), r;

	e->now = now;
	if (qi < 0) {
		log_err(SUB_IKE, "ISAKMP SA #%u: %u Quick Modes already in flight", sa->sa.serial,
			IKEV1_MAX_QM);
		return -EBUSY;
	}
	if (offer_qxf(sa, child, xs, MAX_QXF, &pfs) == 0) {
		log_err(SUB_IKE, "%s: no ESP/AH proposal of child %s is usable in IKEv1",
			sa->sa.conn->name, child->name);
		return -EINVAL;
	}
	q = &sa->qm[qi];
	memset(q, 0, sizeof(*q));
	q->used = true;
	q->initiator = true;
	sa->qm_last = q;
	do {
		if (rand_bytes(&q->msgid, 4) < 0) {
			ikev1_qm_clear(q);
			return -EIO;
		}
	} while (q->msgid == 0 || qm_by_msgid(sa, q->msgid) != q);
	c = child_sa_new(&sa->sa, sa_table_new_serial(&e->table), child);
	if (!c) {
		ikev1_qm_clear(q);
		return -ENOMEM;
	}
	c->initiator = true;
	c->protocol = child->nah ? PROPOSAL_PROTO_AH : PROPOSAL_PROTO_ESP;
	c->mode = child->mode;
	c->reqid = ikev1_child_reqid(e, &sa->sa, child);
	child_ts(sa, child, &c->local_ts[0], &c->remote_ts[0]);
	c->nlocal_ts = c->nremote_ts = 1;
	ike_sa_add_child(&sa->sa, c);
	sa_table_add_child(&e->table, c);
	q->child_serial = c->serial;
	r = k->alloc_spi(k->ctx, child_kernel_ipproto(c->protocol), &sa->sa.remote.addr,
			 &sa->sa.local.addr, c->reqid, &c->spi_in);
	if (r < 0 || !c->spi_in) {
		qm_abort(e, sa, q, "no inbound SPI from the kernel");
		return -EIO;
	}
	sa_table_add_child(&e->table, c);
	q->ni_len = IKEV1_NONCE_LEN;
	if (ikev1_p2_iv(sa, q->msgid, q->iv) < 0 || rand_bytes(q->ni, q->ni_len) < 0) {
		qm_abort(e, sa, q, "no IV or nonce");
		return -EIO;
	}
	sa->qm_count++;
	q->group = pfs;
	log_info(SUB_IKE, "ISAKMP SA #%u: Quick Mode %08x for %s%s", sa->sa.serial, q->msgid,
		 child->name, pfs ? " with PFS" : "");
	if (pfs) {
		q->dh.group = dh_group_by_id(pfs);
		if (!q->dh.group || ikev1_dh_submit(e, sa, qi, &q->dh, NULL, 0, qm_resume) < 0) {
			qm_abort(e, sa, q, "cannot start the PFS DH job");
			return -EIO;
		}
		return 0;
	}
	q->state = QM_I1;
	if (send_qm1(e, sa, q) < 0) {
		qm_abort(e, sa, q, "cannot send Quick Mode message 1");
		return -EIO;
	}
	return 0;
}

/* --- receiving --- */

/* The bytes after the HASH payload of a decrypted chain, padding excluded. */
static struct span rest_after_hash(const struct ikev1_rx *rx, const struct ikev1_payload *hp)
{
	const uint8_t *end = rx->msg->padding.p ? rx->msg->padding.p : rx->plain + rx->plain_len;
	const uint8_t *start = rx->plain + hp->length;

	if (hp->offset != 28 || start > end)
		return (struct span){NULL, 0};
	return (struct span){start, (size_t)(end - start)};
}

static bool check_hash(const struct ikev1_ike_sa *sa, const struct ikev1_qm *q,
		       const struct ikev1_rx *rx, unsigned no)
{
	const struct ikev1_payload *hp = ikev1_msg_get(rx->msg, ISAKMP_NP_HASH, 0);
	uint8_t h[IKEV1_HASH_MAX];
	size_t n = sa->prf->out_len;
	struct span rest;
	int r;

	if (!hp || hp->u.data.len != n)
		return false;
	if (no == 3) {
		r = ikev1_qm_hash3(sa->prf, sa->keys.skeyid_a, q->msgid,
				   (struct span){q->ni, q->ni_len}, (struct span){q->nr, q->nr_len},
				   h);
	} else {
		rest = rest_after_hash(rx, hp);
		if (!rest.p)
			return false;
		r = no == 1 ? ikev1_qm_hash1(sa->prf, sa->keys.skeyid_a, q->msgid, rest, h)
			    : ikev1_qm_hash2(sa->prf, sa->keys.skeyid_a, q->msgid,
					     (struct span){q->ni, q->ni_len}, rest, h);
	}
	return r == 0 && memcmp(h, hp->u.data.p, n) == 0;
}

static bool take_nonce_ke(struct ikev1_qm *q, const struct ikev1_msg *m, bool initiator)
{
	const struct ikev1_payload *no = ikev1_msg_get(m, ISAKMP_NP_NONCE, 0);
	const struct ikev1_payload *ke = ikev1_msg_get(m, ISAKMP_NP_KE, 0);

	if (!no || no->u.data.len < IKEV1_NONCE_MIN || no->u.data.len > IKEV1_NONCE_MAX)
		return false;
	if (initiator) {
		memcpy(q->nr, no->u.data.p, no->u.data.len);
		q->nr_len = no->u.data.len;
	} else {
		memcpy(q->ni, no->u.data.p, no->u.data.len);
		q->ni_len = no->u.data.len;
	}
	if (q->group) {
		if (!ke || !q->dh.group || ke->u.data.len != q->dh.group->pub_len)
			return false;
		free(q->peer_ke);
		q->peer_ke = malloc(ke->u.data.len);
		if (!q->peer_ke)
			return false;
		memcpy(q->peer_ke, ke->u.data.p, ke->u.data.len);
		q->peer_ke_len = ke->u.data.len;
	}
	return true;
}

/* The kernel's limits: hard as negotiated (RFC 2407 4.5 SA Life), soft
 * where the child's rekey_time/rekey_bytes say when they come first, else
 * at 90% so that a new Quick Mode can run before the old SA is gone. */
static struct kernel_lifetime qm_kernel_life(const struct child_cfg *cfg, const struct ikev1_qm *q)
{
	struct kernel_lifetime l = {0};

	l.hard_seconds = q->life_s;
	l.hard_bytes = q->life_kb * 1024;
	l.soft_seconds = cfg->rekey_time && cfg->rekey_time < q->life_s ? cfg->rekey_time
									: q->life_s * 9 / 10;
	l.soft_bytes = cfg->rekey_bytes && cfg->rekey_bytes < l.hard_bytes ? cfg->rekey_bytes
									   : l.hard_bytes / 10 * 9;
	l.soft_packets = cfg->rekey_packets;
	l.hard_packets = cfg->life_packets;
	return l;
}

static uint64_t life_ms(const struct ikev1_qm *q, bool soft)
{
	uint64_t s = q->life_s ? q->life_s : IKEV1_DEF_QM_LIFE;

	return soft ? s * 900 : s * 1000; /* soft: at 90% */
}

/* Keys of both directions and the kernel. */
static int qm_install(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_qm *q,
		      struct child_sa *c)
{
	struct secret *ei = NULL, *ii = NULL, *eo = NULL, *io = NULL;
	struct span gqm, *g = NULL;
	struct span ni = {q->ni, q->ni_len}, nr = {q->nr, q->nr_len};
	uint8_t proto = wire_proto(c->protocol), si[4], so[4];
	char prop[PROPOSAL_STRLEN];
	int r;

	if (q->group) {
		gqm = (struct span){q->dh.shared->data, q->dh.shared->len};
		g = &gqm;
	}
	si[0] = (uint8_t)(c->spi_in >> 24), si[1] = (uint8_t)(c->spi_in >> 16);
	si[2] = (uint8_t)(c->spi_in >> 8), si[3] = (uint8_t)c->spi_in;
	so[0] = (uint8_t)(c->spi_out >> 24), so[1] = (uint8_t)(c->spi_out >> 16);
	so[2] = (uint8_t)(c->spi_out >> 8), so[3] = (uint8_t)c->spi_out;
	/* RFC 2409 5.5: each SA's KEYMAT uses the SPI its destination chose */
	r = ikev1_qm_keys(sa->prf, sa->keys.skeyid_d, g, proto, (struct span){si, 4}, ni, nr,
			  child_kernel_encr_len(c), child_kernel_integ_len(c), &ei, &ii);
	if (r == 0)
		r = ikev1_qm_keys(sa->prf, sa->keys.skeyid_d, g, proto, (struct span){so, 4}, ni,
				  nr, child_kernel_encr_len(c), child_kernel_integ_len(c), &eo,
				  &io);
	if (r == 0) {
		struct kernel_lifetime life = qm_kernel_life(c->cfg, q);

		r = child_kernel_install_life(e->env.kernel, &sa->sa, c, nat(sa),
					      q->peer_oa.family ? &q->peer_oa : NULL, ei, ii, eo,
					      io, &life);
	}
	secret_free(ei);
	secret_free(ii);
	secret_free(eo);
	secret_free(io);
	if (r < 0) {
		log_err(SUB_IKE, "IPsec SA #%u (%s): installing in the kernel failed", c->serial,
			c->cfg->name);
		ikev1_child_destroy(e, sa, c);
		return r;
	}
	c->established_ms = e->now;
	/* rekeying is the Quick Mode initiator's (as Windows and strongSwan
	 * do), at the soft lifetime; both ends delete at the hard one */
	if (c->initiator)
		timers_set(&e->timers, c->serial, TIMER_REKEY, e->now + life_ms(q, true));
	timers_set(&e->timers, c->serial, TIMER_EXPIRE, e->now + life_ms(q, false));
	child_sa_set_state(c, CHILD_SA_STATE_INSTALLED);
	log_notice(SUB_IKE,
		   "IPsec SA #%u (%s) of ISAKMP SA #%u installed: SPIs in %08x out %08x, %s%s, "
		   "life %llu s / %llu KB",
		   c->serial, c->cfg->name, sa->sa.serial, c->spi_in, c->spi_out,
		   proposal_fmt(&c->proposal, prop, sizeof(prop)), q->group ? " (PFS)" : "",
		   (unsigned long long)q->life_s, (unsigned long long)q->life_kb);
	q->child_serial = 0;
	if (q->replaces) {
		struct child_sa *old = sa_table_find_child(&e->table, q->replaces);

		if (old && old->ike_serial == sa->sa.serial &&
		    old->state == CHILD_SA_STATE_INSTALLED) {
			log_notice(SUB_IKE, "IPsec SA #%u (%s) rekeyed to #%u", old->serial,
				   old->cfg->name, c->serial);
			if (e->env.events.rekeyed)
				e->env.events.rekeyed(e->env.events.ctx, false, old->serial,
						      c->serial);
			ikev1_send_delete_child(e, sa, old);
			ikev1_child_destroy(e, sa, old);
		}
		q->replaces = 0;
	}
	return 0;
}

/* The responder's choice must be one of our transforms, unchanged. */
static bool check_qm_choice(struct ikev1_ike_sa *sa, struct ikev1_qm *q, struct child_sa *c,
			    const struct ikev1_msg *m)
{
	static struct qxf xs[MAX_QXF];
	const struct ikev1_payload *p = ikev1_msg_get(m, ISAKMP_NP_SA, 0);
	struct ikev1_iter pi, ti;
	struct ikev1_prop prop;
	struct ikev1_xform t;
	struct qxf x;
	char why[128] = "";
	uint16_t pfs;
	size_t n, i;

	ikev1_props_begin(&pi, &p->u.sa);
	if (p->u.sa.nprops != 1 || p->u.sa.nxforms != 1 || ikev1_prop_next(&pi, &prop) != 1 ||
	    prop.spi.len != 4 || prop.protocol != wire_proto(c->protocol)) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: Quick Mode answer is not one proposal with one "
			   "transform and a 4-byte SPI",
			   sa->sa.serial);
		return false;
	}
	ikev1_xforms_begin(&ti, &prop);
	if (ikev1_xform_next(&ti, &t) != 1 || !parse_qxf(prop.protocol, &t, &x, why, sizeof(why)))
		return false;
	n = offer_qxf(sa, c->cfg, xs, MAX_QXF, &pfs);
	for (i = 0; i < n; i++) {
		const struct qxf *o = &xs[i];

		if (o->number == x.number && o->id == x.id && o->auth == x.auth &&
		    o->key_bits == x.key_bits && o->group == x.group && o->encap == x.encap &&
		    o->esn == x.esn && x.life_s <= o->life_s && x.life_kb <= o->life_kb)
			break;
	}
	if (i == n) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: Quick Mode %08x: the responder modified our offer "
			   "(transform %u, ID %u, auth %u, group %u): refused",
			   sa->sa.serial, q->msgid, x.number, x.id, x.auth, x.group);
		return false;
	}
	qxf_proposal(&x, &c->proposal);
	c->spi_out = (uint32_t)prop.spi.p[0] << 24 | (uint32_t)prop.spi.p[1] << 16 |
		     (uint32_t)prop.spi.p[2] << 8 | prop.spi.p[3];
	q->life_s = x.life_s;
	q->life_kb = x.life_kb;
	return true;
}

/* RESPONDER-LIFETIME (RFC 2407 4.6.3.1): the responder's shorter lifetime. */
static void note_responder_lifetime(struct ikev1_qm *q, const struct ikev1_msg *m)
{
	const struct ikev1_payload *p;
	unsigned i;

	for (i = 0; (p = ikev1_msg_get(m, ISAKMP_NP_N, i)); i++) {
		struct ikev1_iter it;
		struct ikev1_attr a;
		uint16_t lt = 0;

		if (p->u.n.type != IPSEC_N_RESPONDER_LIFETIME)
			continue;
		ikev1_attrs_begin(&it, p->u.n.data, 0);
		while (ikev1_attr_next(&it, &a) == 1) {
			uint64_t v = 0;

			if (ikev1_attr_u64(&a, &v) < 0)
				break;
			if (a.type == IPSEC_ATTR_SA_LIFE_TYPE)
				lt = (uint16_t)v;
			else if (a.type == IPSEC_ATTR_SA_LIFE_DURATION &&
				 lt == IKEV1_LIFE_SECONDS && v < q->life_s)
				q->life_s = v;
			else if (a.type == IPSEC_ATTR_SA_LIFE_DURATION &&
				 lt == IKEV1_LIFE_KILOBYTES && v < q->life_kb)
				q->life_kb = v;
		}
	}
}

static void qm_i_msg2(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_qm *q,
		      struct ikev1_rx *rx)
{
	struct child_sa *c = qm_child(e, q);
	uint8_t h3[IKEV1_HASH_MAX];
	struct builder b;
	int qi = (int)(q - sa->qm);

	if (!c) {
		ikev1_qm_clear(q);
		return;
	}
	if (!q->nr_len) {
		if (!check_hash(sa, q, rx, 2)) {
			log_notice(SUB_IKE,
				   "ISAKMP SA #%u: Quick Mode %08x: HASH(2) does not match: "
				   "dropped",
				   sa->sa.serial, q->msgid);
			return;
		}
		if (!check_qm_choice(sa, q, c, rx->msg)) {
			qm_abort(e, sa, q, "the responder's choice is not one of our offers");
			return;
		}
		if (!take_nonce_ke(q, rx->msg, true)) {
			qm_abort(e, sa, q, "bad nonce or KE in Quick Mode message 2");
			return;
		}
		note_responder_lifetime(q, rx->msg);
		if (ikev1_natoa_wanted(sa, c->mode))
			ikev1_note_natoa(sa, rx->msg, true, &q->peer_oa);
		q->deadline = UINT64_MAX;
		ikev1_buf_set(&q->last_rx, rx->buf, rx->len);
		if (q->group) {
			if (ikev1_dh_submit(e, sa, qi, &q->dh, q->peer_ke, q->peer_ke_len,
					    qm_resume) < 0)
				qm_abort(e, sa, q, "cannot start the PFS DH job");
			return;
		}
	}
	if (q->group && (!q->dh.shared || q->dh.err)) {
		qm_abort(e, sa, q, "the PFS DH computation failed");
		return;
	}
	if (ikev1_qm_hash3(sa->prf, sa->keys.skeyid_a, q->msgid, (struct span){q->ni, q->ni_len},
			   (struct span){q->nr, q->nr_len}, h3) < 0) {
		qm_abort(e, sa, q, "HASH(3)");
		return;
	}
	bld_init(&b, 1024);
	bld_u8(&b, 0);
	bld_u8(&b, 0);
	bld_u16(&b, (uint16_t)(4 + sa->prf->out_len));
	bld_bytes(&b, h3, sa->prf->out_len);
	/* install first: the peer may send ESP as soon as it sees message 3 */
	if (qm_install(e, sa, q, c) == 0)
		qm_send(e, sa, q, bld_data(&b), bld_off(&b), false);
	bld_free(&b);
	q->state = QM_DONE;
	q->done_at = e->now + QM_DONE_KEEP_MS;
	ikev1_arm(e, sa);
}

/* Which child of the connection the peer's IDs ask for: its remote TS
 * (IDci) and local TS (IDcr) inside ours. */
static const struct child_cfg *child_for(const struct ikev1_ike_sa *sa, const struct ts *ci,
					 const struct ts *cr)
{
	const struct conn_cfg *conn = sa->sa.conn;
	size_t i;

	for (i = 0; i < conn->nchildren; i++) {
		const struct child_cfg *c = &conn->children[i];
		struct ts l, r;
		size_t a;
		bool lok = false, rok = false;

		child_ts(sa, c, &l, &r);
		for (a = 0; a < (c->nlocal_ts ? c->nlocal_ts : 1); a++)
			lok |= ts_is_subset(cr, c->nlocal_ts ? &c->local_ts[a] : &l);
		for (a = 0; a < (c->nremote_ts ? c->nremote_ts : 1); a++)
			rok |= ts_is_subset(ci, c->nremote_ts ? &c->remote_ts[a] : &r);
		if (lok && rok)
			return c;
	}
	return NULL;
}

/* The responder's choice among the offered transforms for child cfg. */
static int qm_select(const struct ikev1_ike_sa *sa, const struct child_cfg *cfg,
		     const struct ikev1_msg *m, struct qxf *chosen, struct ikev1_xform *raw,
		     struct ikev1_prop *rprop, char *why, size_t wl)
{
	static struct qxf xs[MAX_QXF];
	static struct ikev1_xform raws[MAX_QXF];
	static struct proposal offered[MAX_QXF];
	const struct ikev1_payload *p = ikev1_msg_get(m, ISAKMP_NP_SA, 0);
	const struct proposal *mine = cfg->nah ? cfg->ah : cfg->esp;
	size_t nmine = cfg->nah ? cfg->nah : cfg->nesp, n = 0, k;
	struct ikev1_iter pi, ti;
	struct ikev1_prop prop;
	struct ikev1_xform t;
	struct proposal pick;
	char skip[128] = "";
	bool want_pfs = false;
	unsigned flags = 0;

	ikev1_props_begin(&pi, &p->u.sa);
	while (ikev1_prop_next(&pi, &prop) == 1) {
		if (prop.spi.len != 4 ||
		    prop.protocol != (cfg->nah ? IPSEC_PROTO_AH : IPSEC_PROTO_ESP))
			continue;
		ikev1_xforms_begin(&ti, &prop);
		while (ikev1_xform_next(&ti, &t) == 1 && n < MAX_QXF) {
			if (!parse_qxf(prop.protocol, &t, &xs[n], skip, sizeof(skip)) ||
			    !qxf_proposal(&xs[n], &offered[n]))
				continue;
			offered[n].num = (uint8_t)(n + 1);
			raws[n] = t;
			if (n == 0)
				*rprop = prop;
			n++;
		}
		if (n)
			break; /* proposals are alternatives: the first usable one */
	}
	if (n == 0) {
		snprintf(why, wl, "no proposal chosen: %s", skip[0] ? skip : "no usable transform");
		return -ENOENT;
	}
	for (k = 0; k < nmine; k++)
		want_pfs |= proposal_get(&mine[k], IKEV2_TRANS_DH) != NULL;
	/* without PFS of our own, the initiator's PFS is accepted as offered */
	if (!want_pfs)
		flags |= PROPOSAL_MATCH_SKIP_KE;
	if (proposal_select_ex(offered, n, mine, nmine, flags, &pick, why, wl) < 0)
		return -ENOENT;
	k = (size_t)pick.num - 1;
	*chosen = xs[k];
	*raw = raws[k];
	return 0;
}

static void put_choice(struct ikev1_enc *enc, const struct ikev1_prop *prop,
		       const struct ikev1_xform *raw, const uint8_t spi[4])
{
	struct ikev1_iter it;
	struct ikev1_attr a;

	ikev1_sa_begin(enc, ISAKMP_DOI_IPSEC, IPSEC_SIT_IDENTITY_ONLY);
	ikev1_prop_begin(enc, &(struct ikev1_prop){.number = prop->number,
						   .protocol = prop->protocol,
						   .spi = {spi, 4}});
	ikev1_xform_begin(enc, raw);
	ikev1_attrs_begin(&it, raw->attrs, raw->attrs_off);
	while (ikev1_attr_next(&it, &a) == 1)
		ikev1_attr_put(enc, &a);
	ikev1_xform_end(enc);
	ikev1_prop_end(enc);
	ikev1_sa_end(enc);
}

static void put_responder_lifetime(struct ikev1_enc *enc, const struct qxf *x,
				   const struct child_cfg *cfg, const uint8_t spi[4])
{
	uint8_t data[32];
	struct builder b;
	size_t n;

	bld_init_fixed(&b, data, sizeof(data));
	bld_u16(&b, ISAKMP_ATTR_AF | IPSEC_ATTR_SA_LIFE_TYPE);
	bld_u16(&b, IKEV1_LIFE_SECONDS);
	bld_u16(&b, IPSEC_ATTR_SA_LIFE_DURATION);
	bld_u16(&b, 4);
	bld_u32(&b, (uint32_t)qm_life_s(cfg));
	bld_u16(&b, ISAKMP_ATTR_AF | IPSEC_ATTR_SA_LIFE_TYPE);
	bld_u16(&b, IKEV1_LIFE_KILOBYTES);
	bld_u16(&b, IPSEC_ATTR_SA_LIFE_DURATION);
	bld_u16(&b, 4);
	bld_u32(&b, (uint32_t)qm_life_kb(cfg));
	n = bld_off(&b);
	ikev1_put_notify(enc, &(struct ikev1_notify){.doi = ISAKMP_DOI_IPSEC,
						     .protocol = wire_proto(x->protocol),
						     .type = IPSEC_N_RESPONDER_LIFETIME,
						     .spi = {spi, 4},
						     .data = {data, n}});
}

static int send_qm2(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_qm *q,
		    struct child_sa *c, const struct ikev1_prop *prop,
		    const struct ikev1_xform *raw, const struct qxf *x, bool ids)
{
	struct ikev1_enc enc;
	struct builder rest, b;
	uint8_t spi[4] = {(uint8_t)(c->spi_in >> 24), (uint8_t)(c->spi_in >> 16),
			  (uint8_t)(c->spi_in >> 8), (uint8_t)c->spi_in};
	int r;

	bld_init(&rest, 65535);
	ikev1_enc_begin_chain(&enc, &rest);
	put_choice(&enc, prop, raw, spi);
	ikev1_put_data(&enc, ISAKMP_NP_NONCE, (struct span){q->nr, q->nr_len});
	if (q->group)
		ikev1_put_data(&enc, ISAKMP_NP_KE, (struct span){q->dh.pub, q->dh.group->pub_len});
	if (ids)
		put_ids(&enc, &c->remote_ts[0], &c->local_ts[0]);
	if (ikev1_natoa_wanted(sa, c->mode))
		ikev1_put_natoa_pair(sa, false, &enc);
	if ((x->life_s && x->life_s > qm_life_s(c->cfg)) ||
	    (x->life_kb && x->life_kb > qm_life_kb(c->cfg)))
		put_responder_lifetime(&enc, x, c->cfg, spi);
	r = ikev1_enc_end(&enc);
	bld_init(&b, 65535);
	if (r == 0)
		r = hashed(sa, q, true, enc.first, bld_data(&rest), bld_off(&rest), &b);
	if (r == 0)
		r = qm_send(e, sa, q, bld_data(&b), bld_off(&b), true);
	bld_free(&rest);
	bld_free(&b);
	return r;
}

static void qm_r_msg1(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_qm *q,
		      struct ikev1_rx *rx)
{
	const struct kernel_ops *k = e->env.kernel;
	const struct ikev1_payload *idi = ikev1_msg_get(rx->msg, ISAKMP_NP_ID, 0);
	const struct ikev1_payload *idr = ikev1_msg_get(rx->msg, ISAKMP_NP_ID, 1);
	const struct child_cfg *cfg;
	struct ikev1_prop prop;
	struct ikev1_xform raw;
	struct child_sa *c;
	struct ts ci, cr;
	struct qxf x;
	char why[512], a[TS_STRLEN], b[TS_STRLEN];
	int qi = (int)(q - sa->qm);

	if (!check_hash(sa, q, rx, 1)) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: Quick Mode %08x: HASH(1) does not match: dropped",
			   sa->sa.serial, q->msgid);
		ikev1_qm_clear(q);
		return;
	}
	if (idi && idr) {
		if (!id_to_ts(&idi->u.id, &ci) || !id_to_ts(&idr->u.id, &cr)) {
			log_notice(SUB_IKE,
				   "ISAKMP SA #%u: Quick Mode IDs of types %u/%u not "
				   "supported",
				   sa->sa.serial, idi->u.id.type, idr->u.id.type);
			ikev1_send_notify(e, sa, ISAKMP_N_INVALID_ID_INFORMATION);
			ikev1_qm_clear(q);
			return;
		}
	} else {
		ts_from_addr(&ci, &sa->sa.remote.addr);
		ts_from_addr(&cr, &sa->sa.local.addr);
	}
	cfg = child_for(sa, &ci, &cr);
	if (!cfg) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: Quick Mode for %s === %s: no child of %s "
			   "matches: INVALID-ID-INFORMATION",
			   sa->sa.serial, ts_fmt(&ci, a, sizeof(a)), ts_fmt(&cr, b, sizeof(b)),
			   sa->sa.conn->name);
		ikev1_send_notify(e, sa, ISAKMP_N_INVALID_ID_INFORMATION);
		ikev1_qm_clear(q);
		return;
	}
	if (qm_select(sa, cfg, rx->msg, &x, &raw, &prop, why, sizeof(why)) < 0) {
		log_notice(SUB_IKE, "ISAKMP SA #%u: Quick Mode for child %s refused: %s",
			   sa->sa.serial, cfg->name, why);
		ikev1_send_notify(e, sa, ISAKMP_N_NO_PROPOSAL_CHOSEN);
		ikev1_qm_clear(q);
		return;
	}
	q->group = x.group;
	if (x.group && !(q->dh.group = dh_group_by_id(x.group))) {
		ikev1_send_notify(e, sa, ISAKMP_N_NO_PROPOSAL_CHOSEN);
		ikev1_qm_clear(q);
		return;
	}
	if (!take_nonce_ke(q, rx->msg, false)) {
		log_notice(SUB_IKE, "ISAKMP SA #%u: Quick Mode: bad nonce or missing KE for PFS",
			   sa->sa.serial);
		ikev1_send_notify(e, sa, ISAKMP_N_PAYLOAD_MALFORMED);
		ikev1_qm_clear(q);
		return;
	}
	c = child_sa_new(&sa->sa, sa_table_new_serial(&e->table), cfg);
	if (!c) {
		ikev1_qm_clear(q);
		return;
	}
	c->protocol = x.protocol;
	c->mode = (x.encap == IPSEC_ENCAP_TRANSPORT || x.encap == IPSEC_ENCAP_UDP_TRANSPORT ||
		   x.encap == IPSEC_ENCAP_UDP_TRANSPORT_DRAFT)
			  ? CHILD_MODE_TRANSPORT
			  : CHILD_MODE_TUNNEL;
	c->reqid = ikev1_child_reqid(e, &sa->sa, cfg);
	c->local_ts[0] = cr;
	c->remote_ts[0] = ci;
	c->nlocal_ts = c->nremote_ts = 1;
	qxf_proposal(&x, &c->proposal);
	c->spi_out = (uint32_t)prop.spi.p[0] << 24 | (uint32_t)prop.spi.p[1] << 16 |
		     (uint32_t)prop.spi.p[2] << 8 | prop.spi.p[3];
	ike_sa_add_child(&sa->sa, c);
	sa_table_add_child(&e->table, c);
	q->child_serial = c->serial;
	if (ikev1_natoa_wanted(sa, c->mode))
		ikev1_note_natoa(sa, rx->msg, false, &q->peer_oa);
	q->life_s = x.life_s && x.life_s < qm_life_s(cfg) ? x.life_s : qm_life_s(cfg);
	q->life_kb = x.life_kb && x.life_kb < qm_life_kb(cfg) ? x.life_kb : qm_life_kb(cfg);
	if (k->alloc_spi(k->ctx, child_kernel_ipproto(c->protocol), &sa->sa.remote.addr,
			 &sa->sa.local.addr, c->reqid, &c->spi_in) < 0 ||
	    !c->spi_in) {
		qm_abort(e, sa, q, "no inbound SPI from the kernel");
		return;
	}
	sa_table_add_child(&e->table, c);
	q->nr_len = IKEV1_NONCE_LEN;
	if (rand_bytes(q->nr, q->nr_len) < 0) {
		qm_abort(e, sa, q, "no nonce");
		return;
	}
	sa->qm_count++;
	q->state = QM_R1;
	ikev1_buf_set(&q->last_rx, rx->buf, rx->len);
	q->ids = idi && idr;
	q->prop_keep = prop;
	q->prop_keep.spi = (struct span){NULL, 0};
	q->raw_keep = raw;
	if (raw.attrs.len > sizeof(q->raw_attrs)) {
		qm_abort(e, sa, q, "transform attributes too long");
		return;
	}
	memcpy(q->raw_attrs, raw.attrs.p, raw.attrs.len);
	q->raw_keep.attrs = (struct span){q->raw_attrs, raw.attrs.len};
	if (x.group) {
		/* the reply carries our KE: keygen and derive first */
		ikev1_buf_set(&q->saved, rx->buf, rx->len);
		if (ikev1_dh_submit(e, sa, qi, &q->dh, q->peer_ke, q->peer_ke_len, qm_resume) < 0)
			qm_abort(e, sa, q, "cannot start the PFS DH job");
		return;
	}
	if (send_qm2(e, sa, q, c, &prop, &raw, &x, q->ids) < 0)
		qm_abort(e, sa, q, "cannot send Quick Mode message 2");
}

static void qm_r_msg3(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_qm *q,
		      struct ikev1_rx *rx)
{
	struct child_sa *c = qm_child(e, q);

	if (!check_hash(sa, q, rx, 3)) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: Quick Mode %08x: HASH(3) does not match: dropped",
			   sa->sa.serial, q->msgid);
		return;
	}
	if (!c) {
		ikev1_qm_clear(q);
		return;
	}
	ikev1_buf_set(&q->last_rx, rx->buf, rx->len);
	q->deadline = UINT64_MAX;
	qm_install(e, sa, q, c);
	ikev1_buf_clear(&q->last_tx); /* nothing to answer with any more */
	q->state = QM_DONE;
	q->done_at = e->now + QM_DONE_KEEP_MS;
	ikev1_arm(e, sa);
}

static void qm_resume(struct ikev1_engine *e, struct ikev1_ike_sa *sa, int qi, uint64_t now)
{
	struct ikev1_qm *q = &sa->qm[qi];
	struct child_sa *c = qm_child(e, q);

	e->now = now;
	if (q->dh.err || !c) {
		qm_abort(e, sa, q, "the PFS DH computation failed");
		return;
	}
	if (q->initiator && q->state == 0) {
		q->state = QM_I1;
		if (send_qm1(e, sa, q) < 0)
			qm_abort(e, sa, q, "cannot send Quick Mode message 1");
		return;
	}
	if (q->initiator) {
		struct ikev1_rx rx = {0};

		qm_i_msg2(e, sa, q, &rx);
		return;
	}
	/* responder: message 2 with our KE */
	{
		struct qxf x = {0};
		char why[64];

		ikev1_buf_clear(&q->saved);
		if (!parse_qxf(q->prop_keep.protocol, &q->raw_keep, &x, why, sizeof(why)) ||
		    send_qm2(e, sa, q, c, &q->prop_keep, &q->raw_keep, &x, q->ids) < 0)
			qm_abort(e, sa, q, "cannot send Quick Mode message 2");
	}
}

void ikev1_qm_refused(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const struct ikev1_notify *n)
{
	char why[96], nb[32];
	int i;

	/* the notify names our SPI of the Quick Mode it refuses (RFC 2408
	 * 3.14); without one, every Quick Mode we wait on is refused */
	for (i = 0; sa->qm && i < IKEV1_MAX_QM; i++) {
		struct ikev1_qm *q = &sa->qm[i];
		struct child_sa *c;

		if (!q->used || !q->initiator || q->state != QM_I1)
			continue;
		c = qm_child(e, q);
		if (n->spi.len == 4 && c &&
		    c->spi_in != ((uint32_t)n->spi.p[0] << 24 | (uint32_t)n->spi.p[1] << 16 |
				  (uint32_t)n->spi.p[2] << 8 | n->spi.p[3]))
			continue;
		snprintf(why, sizeof(why), "the peer answered %s",
			 ikev1_notify_str(n->type, nb, sizeof(nb)));
		qm_abort(e, sa, q, why);
	}
}

void ikev1_qm_recv(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx)
{
	uint32_t msgid = rx->msg->hdr.msg_id;
	struct ikev1_qm *q = qm_by_msgid(sa, msgid);
	struct wire_err err;
	uint8_t iv[IKEV1_IV_MAX];
	unsigned no;
	int qi;

	if (msgid == 0 || !(rx->msg->hdr.flags & ISAKMP_FLAG_E)) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: Quick Mode message without message ID or "
			   "encryption: dropped",
			   sa->sa.serial);
		return;
	}
	if (q && q->last_rx.p && q->last_rx.len == rx->len &&
	    memcmp(q->last_rx.p, rx->buf, rx->len) == 0) {
		if (q->last_tx.p && !q->dh.busy) /* RFC 2408 5: answer the retransmission */
			ikev1_send(e, sa, q->last_tx.p, q->last_tx.len);
		return;
	}
	if (q && q->dh.busy)
		return;
	if (!q) {
		qi = qm_slot(sa);
		if (qi < 0) {
			log_notice(SUB_IKE, "ISAKMP SA #%u: too many Quick Modes at once: dropped",
				   sa->sa.serial);
			return;
		}
		q = &sa->qm[qi];
		memset(q, 0, sizeof(*q));
		q->msgid = msgid;
		if (ikev1_p2_iv(sa, msgid, q->iv) < 0)
			return;
		memcpy(iv, q->iv, sa->block);
		if (ikev1_open(sa, rx, iv, &err) < 0 || ikev1_rules_check(rx->msg, 1, &err) < 0) {
			log_notice(SUB_IKE,
				   "ISAKMP SA #%u: Quick Mode message 1 dropped: %s at "
				   "offset %zu",
				   sa->sa.serial, err.reason, err.offset);
			return;
		}
		memcpy(q->iv, iv, sa->block);
		q->used = true;
		qm_r_msg1(e, sa, q, rx);
		return;
	}
	no = q->initiator ? 2 : 3;
	if ((q->initiator && q->state != QM_I1) || (!q->initiator && q->state != QM_R1))
		return;
	memcpy(iv, q->iv, sa->block);
	if (ikev1_open(sa, rx, iv, &err) < 0 || ikev1_rules_check(rx->msg, no, &err) < 0) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: Quick Mode message %u dropped: %s at offset %zu",
			   sa->sa.serial, no, err.reason, err.offset);
		return;
	}
	memcpy(q->iv, iv, sa->block);
	if (q->initiator)
		qm_i_msg2(e, sa, q, rx);
	else
		qm_r_msg3(e, sa, q, rx);
}

void ikev1_qm_timers(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint64_t now)
{
	const struct daemon_cfg *d = ikev1_daemon_cfg(e);
	bool any = false;
	int i;

	for (i = 0; sa->qm && i < IKEV1_MAX_QM; i++) {
		struct ikev1_qm *q = &sa->qm[i];

		if (!q->used)
			continue;
		if (q->state == QM_DONE && q->done_at <= now) {
			ikev1_qm_clear(q);
			continue;
		}
		any = true;
		if (q->deadline > now || !q->last_tx.p)
			continue;
		if (++q->tries >= d->retransmit_tries) {
			qm_abort(e, sa, q, "no answer after all retransmissions");
			continue;
		}
		ikev1_send(e, sa, q->last_tx.p, q->last_tx.len);
		q->deadline = now + ikev1_retransmit_delay(e, q->tries + (q->initiator ? 0 : 1));
	}
	if (sa->qm && !any) /* every Quick Mode is over: the slots go */
		ikev1_qm_release(sa);
}

void ikev1_qm_release(struct ikev1_ike_sa *sa)
{
	for (int i = 0; sa->qm && i < IKEV1_MAX_QM; i++)
		ikev1_qm_clear(&sa->qm[i]);
	free(sa->qm);
	sa->qm = NULL;
	sa->qm_last = NULL;
}

uint64_t ikev1_qm_next(const struct ikev1_ike_sa *sa)
{
	uint64_t next = UINT64_MAX;
	int i;

	for (i = 0; sa->qm && i < IKEV1_MAX_QM; i++) {
		const struct ikev1_qm *q = &sa->qm[i];

		if (!q->used)
			continue;
		if (q->state == QM_DONE) {
			if (q->done_at < next)
				next = q->done_at;
		} else if (q->deadline < next) {
			next = q->deadline;
		}
	}
	return next;
}
