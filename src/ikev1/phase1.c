/* phase1.c: Main Mode and Aggressive Mode (RFC 2409 5, 5.4), both roles.
 *
 *   Main Mode                          Aggressive Mode
 *   1 I->R  SA, VIDs                   1 I->R  SA, KE, Ni, IDii, VIDs
 *   2 R->I  SA (one transform), VIDs   2 R->I  SA, KE, Nr, IDir, AUTH_R, NAT-D, VIDs
 *   3 I->R  KE, Ni, NAT-D              3 I->R  AUTH_I, NAT-D (encrypted)
 *   4 R->I  KE, Nr, [CR], NAT-D
 *   5 I->R  * IDii, [CERT], AUTH_I, [INITIAL-CONTACT]
 *   6 R->I  * IDir, [CERT], AUTH_R
 *
 * AUTH is HASH_I/HASH_R with pre-shared keys, SIG_I/SIG_R (a signature of
 * that hash) with certificates (auth.c). The responder picks one offered
 * transform and returns it unchanged; the initiator refuses any answer that
 * is not byte for byte one of its transforms (RFC 2409 5: "The responder
 * cannot modify the offer").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/model.h"
#include "crypto/alg.h"
#include "crypto/rand.h"
#include "ike/proposal_match.h"
#include "ikev1/ikev1_int.h"
#include "lib/log.h"
#include "wire/ikev1_rules.h"

#define MAX_XFORMS 64 /* transforms we offer or consider */

/* One phase 1 transform as values. */
struct p1_xform {
	uint8_t number;
	uint16_t encr_v1, key_bits, hash_v1, auth, group;
	uint64_t life_s, life_kb;
	const struct encr_alg *encr;
	const struct prf_alg *prf;
};

static const char *auth_name(uint16_t a)
{
	const char *n = enum_name(&ikev1_auth_names, a);

	return n ? n : "unknown";
}

/* The auth methods a connection's side allows (PSK, or the signature
 * methods for pubkey). */
/* Whether a connection accepts auth method m (own: the method our own
 * key can do, 0 for none): IKEv1 negotiates one method for both ends (RFC
 * 2409 5), so with signatures it must be the one our key makes. */
static bool auth_allowed(const struct conn_cfg *c, uint16_t m, uint16_t own)
{
	if (c->remote.auth == AUTH_PSK)
		return c->local.auth == AUTH_PSK && m == IKEV1_AUTH_PSK;
	if (c->remote.auth == AUTH_PUBKEY)
		return c->local.auth == AUTH_PUBKEY && own && m == own;
	return false;
}

/* The signature method our certificate's key makes for connection c. */
static uint16_t conn_own_method(const struct certs_store *certs, const struct conn_cfg *c)
{
	struct certs_own own;
	char why[256];

	if (c->local.auth != AUTH_PUBKEY || !certs ||
	    certs_local_auth(certs, &c->local, NULL, 0, &own, why, sizeof(why)) < 0)
		return 0;
	return ikev1_key_method(own.key);
}

/* The method we announce for our own side. */
static uint16_t own_auth(struct ikev1_ike_sa *sa)
{
	if (sa->sa.conn->local.auth == AUTH_PSK)
		return IKEV1_AUTH_PSK;
	return ikev1_sig_method(sa);
}

static uint64_t p1_life(const struct conn_cfg *c)
{
	uint64_t l = c->rekey_time > c->reauth_time ? c->rekey_time : c->reauth_time;

	return l ? l : IKEV1_DEF_P1_LIFE;
}

/* Our offer: every (encr, hash, group) of every IKE proposal, in order. */
static size_t offer_xforms(struct ikev1_ike_sa *sa, struct p1_xform *out, size_t max)
{
	const struct conn_cfg *c = sa->sa.conn;
	size_t n = 0, i, a, b, d;
	uint16_t auth = own_auth(sa);

	for (i = 0; i < c->nike; i++) {
		const struct proposal *p = &c->ike[i];

		for (a = 0; a < p->ntrans; a++) {
			const struct proposal_transform *te = &p->trans[a];
			const struct alg_row *er = alg_by_ikev2(IKEV2_TRANS_ENCR, te->id);

			if (te->type != IKEV2_TRANS_ENCR || !er || !er->ikev1_p1)
				continue;
			for (b = 0; b < p->ntrans; b++) {
				const struct proposal_transform *tp = &p->trans[b];
				const struct prf_alg *prf = prf_by_ikev2_id(tp->id);

				if (tp->type != IKEV2_TRANS_PRF || !prf || !prf->ikev1_hash)
					continue;
				for (d = 0; d < p->ntrans && n < max; d++) {
					const struct proposal_transform *tk = &p->trans[d];

					if (tk->type != IKEV2_TRANS_DH || !dh_group_by_id(tk->id))
						continue;
					out[n] = (struct p1_xform){
						.number = (uint8_t)(n + 1),
						.encr_v1 = er->ikev1_p1,
						.key_bits = te->key_bits,
						.hash_v1 = prf->ikev1_hash,
						.auth = auth,
						.group = tk->id,
						.life_s = p1_life(c),
						.encr = er->encr,
						.prf = prf,
					};
					n++;
				}
			}
		}
	}
	return n;
}

static void put_xform(struct ikev1_enc *enc, const struct p1_xform *x)
{
	ikev1_xform_begin(enc, &(struct ikev1_xform){.number = x->number, .id = IPSEC_KEY_IKE});
	ikev1_attr_tv(enc, IKEV1_ATTR_ENCRYPTION, x->encr_v1);
	if (x->key_bits)
		ikev1_attr_tv(enc, IKEV1_ATTR_KEY_LENGTH, x->key_bits);
	ikev1_attr_tv(enc, IKEV1_ATTR_HASH, x->hash_v1);
	ikev1_attr_tv(enc, IKEV1_ATTR_AUTH_METHOD, x->auth);
	ikev1_attr_tv(enc, IKEV1_ATTR_GROUP_DESC, x->group);
	if (x->life_s) {
		ikev1_attr_tv(enc, IKEV1_ATTR_LIFE_TYPE, IKEV1_LIFE_SECONDS);
		ikev1_attr_num(enc, IKEV1_ATTR_LIFE_DURATION, x->life_s);
	}
	ikev1_xform_end(enc);
}

/* A received transform as values; false (with why) when it carries
 * something we do not implement. */
static bool parse_xform(const struct ikev1_xform *t, struct p1_xform *x, char *why, size_t wl)
{
	struct ikev1_iter it;
	struct ikev1_attr a;
	uint16_t life_type = 0;
	const struct alg_row *row;

	memset(x, 0, sizeof(*x));
	x->number = t->number;
	if (t->id != IPSEC_KEY_IKE) {
		snprintf(why, wl, "transform ID %u is not KEY_IKE", t->id);
		return false;
	}
	ikev1_attrs_begin(&it, t->attrs, t->attrs_off);
	while (ikev1_attr_next(&it, &a) == 1) {
		uint64_t v = 0;

		if (ikev1_attr_u64(&a, &v) < 0 && a.type != IKEV1_ATTR_LIFE_DURATION) {
			snprintf(why, wl, "attribute %u has an unexpected length", a.type);
			return false;
		}
		switch (a.type) {
		case IKEV1_ATTR_ENCRYPTION:
			x->encr_v1 = (uint16_t)v;
			break;
		case IKEV1_ATTR_KEY_LENGTH:
			x->key_bits = (uint16_t)v;
			break;
		case IKEV1_ATTR_HASH:
			x->hash_v1 = (uint16_t)v;
			break;
		case IKEV1_ATTR_AUTH_METHOD:
			x->auth = (uint16_t)v;
			break;
		case IKEV1_ATTR_GROUP_DESC:
			x->group = (uint16_t)v;
			break;
		case IKEV1_ATTR_LIFE_TYPE:
			life_type = (uint16_t)v;
			break;
		case IKEV1_ATTR_LIFE_DURATION:
			if (life_type == IKEV1_LIFE_SECONDS)
				x->life_s = v;
			else if (life_type == IKEV1_LIFE_KILOBYTES)
				x->life_kb = v;
			break;
		default:
			snprintf(why, wl, "attribute %s not supported",
				 enum_name(&ikev1_attr_names, a.type) ?: "unknown");
			return false;
		}
	}
	row = alg_by_ikev1_p1(IKEV1_ATTR_ENCRYPTION_ALGORITHM, x->encr_v1);
	x->encr = row ? row->encr : NULL;
	x->prf = prf_by_ikev1_hash(x->hash_v1);
	if (!x->encr || x->encr->aead || !encr_key_bits_ok(x->encr, x->key_bits)) {
		snprintf(why, wl, "encryption %u with key length %u not supported", x->encr_v1,
			 x->key_bits);
		return false;
	}
	if (!x->prf || !dh_group_by_id(x->group)) {
		snprintf(why, wl, "hash %u or group %u not supported", x->hash_v1, x->group);
		return false;
	}
	return true;
}

/* The transform as an IKEv2-style proposal for proposal_select(). */
static void xform_proposal(const struct p1_xform *x, struct proposal *p)
{
	memset(p, 0, sizeof(*p));
	p->protocol = PROPOSAL_PROTO_IKE;
	p->num = x->number;
	proposal_add(p, IKEV2_TRANS_ENCR, x->encr->ikev2_id, x->key_bits);
	proposal_add(p, IKEV2_TRANS_PRF, x->prf->ikev2_id, 0);
	proposal_add(p, IKEV2_TRANS_DH, x->group, 0);
}

/* Our proposals without integrity (IKEv1 authenticates with the PRF). */
static size_t conn_proposals(const struct conn_cfg *c, struct proposal *out)
{
	size_t i, k;

	for (i = 0; i < c->nike && i < PROPOSAL_MAX; i++) {
		out[i] = c->ike[i];
		out[i].ntrans = 0;
		for (k = 0; k < c->ike[i].ntrans; k++)
			if (c->ike[i].trans[k].type != IKEV2_TRANS_INTEG)
				out[i].trans[out[i].ntrans++] = c->ike[i].trans[k];
	}
	return i;
}

/* The responder's choice among the transforms of the first proposal of the
 * SA payload wsa: 0 with *chosen and the raw transform, or -ENOENT with why. */
static int select_xform(const struct conn_cfg *c, uint16_t own, const struct ikev1_sa *wsa,
			struct p1_xform *chosen, struct ikev1_xform *raw, char *why, size_t wl)
{
	static struct p1_xform xs[MAX_XFORMS];
	static struct ikev1_xform raws[MAX_XFORMS];
	static struct proposal offered[MAX_XFORMS];
	struct proposal mine[PROPOSAL_MAX], pick;
	struct ikev1_iter pi, ti;
	struct ikev1_prop prop;
	struct ikev1_xform t;
	size_t n = 0, nmine, k;
	char skip[128] = "", wrong_auth[96] = "";

	ikev1_props_begin(&pi, wsa);
	if (ikev1_prop_next(&pi, &prop) != 1 || prop.protocol != IPSEC_PROTO_ISAKMP) {
		snprintf(why, wl, "the SA payload has no ISAKMP proposal");
		return -ENOENT;
	}
	ikev1_xforms_begin(&ti, &prop);
	while (ikev1_xform_next(&ti, &t) == 1 && n < MAX_XFORMS) {
		if (!parse_xform(&t, &xs[n], skip, sizeof(skip)))
			continue;
		if (!auth_allowed(c, xs[n].auth, own)) {
			snprintf(wrong_auth, sizeof(wrong_auth), "AUTH offered %s, we accept %s",
				 auth_name(xs[n].auth),
				 c->remote.auth == AUTH_PSK ? "PSK"
				 : own			    ? auth_name(own)
							    : "signatures, but have no key");
			continue;
		}
		raws[n] = t;
		xform_proposal(&xs[n], &offered[n]);
		offered[n].num = (uint8_t)(n + 1); /* index + 1 */
		n++;
	}
	if (n == 0) {
		snprintf(why, wl, "no proposal chosen: %s",
			 wrong_auth[0] ? wrong_auth
				       : (skip[0] ? skip : "no transform in the proposal"));
		return -ENOENT;
	}
	nmine = conn_proposals(c, mine);
	if (proposal_select(offered, n, mine, nmine, &pick, why, wl) < 0)
		return -ENOENT;
	k = (size_t)pick.num - 1;
	*chosen = xs[k];
	*raw = raws[k];
	return 0;
}

/* --- identities and keys --- */

/* An ID payload body (type, protocol 0, port 0, data) into out. */
static size_t id_body(const struct ident *id, uint8_t *out, size_t max)
{
	if ((size_t)id->len + 4 > max)
		return 0;
	out[0] = id->type;
	out[1] = 0;
	out[2] = 0;
	out[3] = 0;
	memcpy(out + 4, id->data, id->len);
	return (size_t)id->len + 4;
}

static void keep(uint8_t **dst, size_t *dlen, const uint8_t *p, size_t len)
{
	free(*dst);
	*dst = malloc(len ? len : 1);
	*dlen = 0;
	if (*dst) {
		memcpy(*dst, p, len);
		*dlen = len;
	}
}

static void own_id(struct ikev1_ike_sa *sa)
{
	if (ikev1_own_id(sa))
		return;
	ikev1_id_for(&sa->sa.conn->local.id, &sa->sa.local.addr, &sa->sa.local_id);
}

/* The identity the PSK is looked up for before the peer has said who it
 * is (Main Mode): the configured one, or its address. */
static void expected_peer_id(const struct ikev1_ike_sa *sa, struct ident *out)
{
	ikev1_id_for(&sa->sa.conn->remote.id, &sa->sa.remote.addr, out);
}

static struct span g_xi(const struct ikev1_ike_sa *sa)
{
	return sa->sa.initiator ? (struct span){sa->dh.pub, sa->dh.group->pub_len}
				: (struct span){sa->peer_ke, sa->peer_ke_len};
}

static struct span g_xr(const struct ikev1_ike_sa *sa)
{
	return sa->sa.initiator ? (struct span){sa->peer_ke, sa->peer_ke_len}
				: (struct span){sa->dh.pub, sa->dh.group->pub_len};
}

/* SKEYID and the ISAKMP SA keys (RFC 2409 5, appendix B), the phase 1 IV,
 * the key log. 0 or -errno (logged). */
static int derive_keys(struct ikev1_engine *e, struct ikev1_ike_sa *sa)
{
	struct span ni = {sa->ni, sa->ni_len}, nr = {sa->nr, sa->nr_len};
	struct span gxy = {sa->dh.shared->data, sa->dh.shared->len};
	struct secret *skeyid = NULL;
	uint8_t iv[IKEV1_HASH_MAX];
	int r;

	if (sa->auth_method == IKEV1_AUTH_PSK) {
		struct ident peer;
		const struct secret *psk;

		if (sa->exchange == ISAKMP_XCHG_AGGR && !sa->sa.initiator)
			peer = sa->sa.remote_id;
		else
			expected_peer_id(sa, &peer);
		psk = oak_config_psk(sa->sa.config, &sa->sa.local_id, &peer);
		if (!psk) {
			char a[IDENT_STRLEN], b[IDENT_STRLEN];

			log_err(SUB_IKE, "ISAKMP SA #%u: no pre-shared key for %s - %s",
				sa->sa.serial, ident_fmt(&sa->sa.local_id, a, sizeof(a)),
				ident_fmt(&peer, b, sizeof(b)));
			return -ENOENT;
		}
		r = ikev1_skeyid_psk(sa->prf, (struct span){psk->data, psk->len}, ni, nr, &skeyid);
	} else {
		r = ikev1_skeyid_sig(sa->prf, ni, nr, gxy, &skeyid);
	}
	if (r == 0)
		r = ikev1_keys_derive(sa->prf, skeyid, gxy, sa->sa.spi_i, sa->sa.spi_r,
				      encr_keymat_len(sa->encr, sa->key_bits), &sa->keys);
	secret_free(skeyid);
	if (r == 0)
		r = ikev1_phase1_iv(sa->prf, g_xi(sa), g_xr(sa), sa->block, iv);
	if (r < 0) {
		log_err(SUB_IKE, "ISAKMP SA #%u: key derivation failed (%d)", sa->sa.serial, r);
		return r;
	}
	memcpy(sa->iv, iv, sa->block);
	sa->have_keys = true;
	if (e->env.keylog.ikev1)
		e->env.keylog.ikev1(e->env.keylog.ctx, sa->sa.spi_i, sa->keys.enc_key->data,
				    sa->keys.enc_key->len);
	return 0;
}

/* HASH_I or HASH_R (RFC 2409 5) into out; ours = the one we send. */
int ikev1_p1_hash(const struct ikev1_ike_sa *sa, bool of_initiator, uint8_t *out)
{
	struct span sai = {sa->sai_b, sa->sai_b_len};

	if (of_initiator)
		return ikev1_hash_i(sa->prf, sa->keys.skeyid, g_xi(sa), g_xr(sa), sa->sa.spi_i,
				    sa->sa.spi_r, sai, (struct span){sa->idi_b, sa->idi_b_len},
				    out);
	return ikev1_hash_r(sa->prf, sa->keys.skeyid, g_xi(sa), g_xr(sa), sa->sa.spi_i,
			    sa->sa.spi_r, sai, (struct span){sa->idr_b, sa->idr_b_len}, out);
}

int ikev1_peer_hash(const struct ikev1_ike_sa *sa, uint8_t *out)
{
	return ikev1_p1_hash(sa, !sa->sa.initiator, out);
}

/* Our ID payload, its body kept for the hash. */
static void put_own_id(struct ikev1_ike_sa *sa, struct ikev1_enc *enc)
{
	uint8_t body[IDENT_MAX_LEN + 4];
	size_t n;

	own_id(sa);
	n = id_body(&sa->sa.local_id, body, sizeof(body));
	if (sa->sa.initiator)
		keep(&sa->idi_b, &sa->idi_b_len, body, n);
	else
		keep(&sa->idr_b, &sa->idr_b_len, body, n);
	ikev1_put_id(enc, &(struct ikev1_id){.type = sa->sa.local_id.type,
					     .data = {sa->sa.local_id.data, sa->sa.local_id.len}});
}

/* Our AUTH payload (HASH or SIG) over the hash of our side. */
static int put_own_auth(struct ikev1_ike_sa *sa, struct ikev1_enc *enc)
{
	uint8_t h[IKEV1_HASH_MAX];
	int r = ikev1_p1_hash(sa, sa->sa.initiator, h);

	if (r < 0)
		return r;
	if (sa->auth_method == IKEV1_AUTH_PSK)
		return ikev1_put_data(enc, ISAKMP_NP_HASH, (struct span){h, sa->prf->out_len});
	return ikev1_put_sig(sa, enc, h, sa->prf->out_len);
}

/* The peer's ID payload: note it, keep its body, check it against the
 * connection. false (logged) when it does not match. */
static bool take_peer_id(struct ikev1_ike_sa *sa, const struct ikev1_payload *p)
{
	char got[IDENT_STRLEN], want[IDENT_STRLEN];
	const struct ikev1_id *id = &p->u.id;

	if (ident_from_wire(id->type, id->data.p, id->data.len, &sa->sa.remote_id) < 0) {
		log_notice(SUB_IKE, "ISAKMP SA #%u: peer ID of type %u not supported",
			   sa->sa.serial, id->type);
		return false;
	}
	if (sa->sa.initiator)
		keep(&sa->idr_b, &sa->idr_b_len, p->body.p, p->body.len);
	else
		keep(&sa->idi_b, &sa->idi_b_len, p->body.p, p->body.len);
	if (sa->sa.conn->remote.id.type != 0 && sa->sa.conn->remote.auth == AUTH_PSK &&
	    !ident_match(&sa->sa.conn->remote.id, &sa->sa.remote_id)) {
		log_notice(SUB_IKE, "ISAKMP SA #%u: peer identity %s does not match %s of %s",
			   sa->sa.serial, ident_fmt(&sa->sa.remote_id, got, sizeof(got)),
			   ident_fmt(&sa->sa.conn->remote.id, want, sizeof(want)),
			   sa->sa.conn->name);
		return false;
	}
	return true;
}

/* Check the peer's HASH or SIG payload of m. */
static bool check_peer_auth(struct ikev1_engine *e, struct ikev1_ike_sa *sa,
			    const struct ikev1_msg *m)
{
	uint8_t h[IKEV1_HASH_MAX];
	const struct ikev1_payload *p;
	size_t n = sa->prf->out_len;

	if (ikev1_p1_hash(sa, !sa->sa.initiator, h) < 0)
		return false;
	if (sa->auth_method != IKEV1_AUTH_PSK)
		return ikev1_check_sig(e, sa, m);
	p = ikev1_msg_get(m, ISAKMP_NP_HASH, 0);
	if (!p || p->u.data.len != n || memcmp(p->u.data.p, h, n) != 0) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: AUTHENTICATION-FAILED: the peer's %s does not match "
			   "(a different pre-shared key?)",
			   sa->sa.serial, sa->sa.initiator ? "HASH_R" : "HASH_I");
		return false;
	}
	return true;
}

/* --- sending --- */

static void hdr_for(const struct ikev1_ike_sa *sa, struct isakmp_hdr *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->spi_i, sa->sa.spi_i, 8);
	memcpy(h->spi_r, sa->sa.spi_r, 8);
	h->major = 1;
	h->exchange = sa->exchange;
}

/* Finish a clear message in b and send it. */
static int send_clear(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_enc *enc,
		      struct builder *b, bool waits, uint64_t now)
{
	uint8_t *out;
	size_t len;

	if (ikev1_enc_end(enc) < 0 || !bld_ok(b)) {
		bld_free(b);
		return -ENOBUFS;
	}
	out = bld_take(b, &len);
	if (!out)
		return -ENOMEM;
	ikev1_p1_send(e, sa, out, len, waits, now);
	return 0;
}

/* Encrypt the chain in b with the phase 1 IV and send it. */
static int send_encrypted(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_enc *enc,
			  struct builder *b, bool waits, uint64_t now)
{
	struct isakmp_hdr h;
	uint8_t *out = NULL;
	size_t len = 0;
	int r;

	if (ikev1_enc_end(enc) < 0 || !bld_ok(b)) {
		bld_free(b);
		return -ENOBUFS;
	}
	hdr_for(sa, &h);
	r = ikev1_seal(sa, &h, enc->first, bld_data(b), bld_off(b), sa->iv, &out, &len);
	bld_free(b);
	if (r < 0)
		return r;
	ikev1_p1_send(e, sa, out, len, waits, now);
	return 0;
}

/* The SA payload of our offer (initiator), body kept as SAi_b. */
static int put_offer(struct ikev1_ike_sa *sa, struct ikev1_enc *enc, struct builder *b)
{
	static struct p1_xform xs[MAX_XFORMS];
	size_t n = offer_xforms(sa, xs, MAX_XFORMS), i, start;

	if (n == 0) {
		log_err(SUB_IKE,
			"%s: no IKE proposal usable in IKEv1 (needs a cipher, a hash and "
			"a DH group)",
			sa->sa.conn->name);
		return -EINVAL;
	}
	start = bld_off(b);
	ikev1_sa_begin(enc, ISAKMP_DOI_IPSEC, IPSEC_SIT_IDENTITY_ONLY);
	ikev1_prop_begin(enc, &(struct ikev1_prop){.number = 1, .protocol = IPSEC_PROTO_ISAKMP});
	for (i = 0; i < n; i++)
		put_xform(enc, &xs[i]);
	ikev1_prop_end(enc);
	ikev1_sa_end(enc);
	if (enc->err || !bld_ok(b))
		return -ENOBUFS;
	/* SAi_b: the SA payload without its generic header (RFC 2409 5) */
	keep(&sa->sai_b, &sa->sai_b_len, bld_data(b) + start + 4, bld_off(b) - start - 4);
	return 0;
}

static void p1_resume(struct ikev1_engine *e, struct ikev1_ike_sa *sa, int qm_index, uint64_t now);

static int send_mm1(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint64_t now)
{
	struct ikev1_enc enc;
	struct isakmp_hdr h;
	struct builder b;
	int r;

	hdr_for(sa, &h);
	bld_init(&b, 65535);
	ikev1_enc_begin(&enc, &b, &h);
	r = put_offer(sa, &enc, &b);
	if (r < 0) {
		bld_free(&b);
		return r;
	}
	ikev1_put_vids(sa, &enc);
	sa->p1 = P1_MM_I1;
	return send_clear(e, sa, &enc, &b, true, now);
}

static int send_am1(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint64_t now)
{
	struct ikev1_enc enc;
	struct isakmp_hdr h;
	struct builder b;
	int r;

	hdr_for(sa, &h);
	bld_init(&b, 65535);
	ikev1_enc_begin(&enc, &b, &h);
	r = put_offer(sa, &enc, &b);
	if (r < 0) {
		bld_free(&b);
		return r;
	}
	ikev1_put_data(&enc, ISAKMP_NP_KE, (struct span){sa->dh.pub, sa->dh.group->pub_len});
	ikev1_put_data(&enc, ISAKMP_NP_NONCE, (struct span){sa->ni, sa->ni_len});
	put_own_id(sa, &enc);
	ikev1_put_certreq(sa, &enc);
	ikev1_put_vids(sa, &enc);
	sa->p1 = P1_AM_I1;
	return send_clear(e, sa, &enc, &b, true, now);
}

int ikev1_p1_start(struct ikev1_engine *e, const struct conn_cfg *conn,
		   const struct child_cfg *child, uint64_t now, uint32_t *serial)
{
	const struct daemon_cfg *d = ikev1_daemon_cfg(e);
	const struct proposal_transform *dh;
	struct ip_endpoint local, remote;
	struct ikev1_ike_sa *sa;
	int r;

	if (conn->nike == 0 || !(dh = proposal_get(&conn->ike[0], IKEV2_TRANS_DH)) ||
	    !dh_group_by_id(dh->id)) {
		log_err(SUB_IKE, "initiate %s: the first IKE proposal has no usable DH group",
			conn->name);
		return -EINVAL;
	}
	memset(&local, 0, sizeof(local));
	memset(&remote, 0, sizeof(remote));
	remote.addr = conn->remote_addrs[0];
	remote.port = conn->remote_port ? conn->remote_port : 500;
	if (conn->nlocal_addrs)
		local.addr = conn->local_addrs[0];
	else
		local.addr.family = remote.addr.family;
	local.port = conn->local_port ? conn->local_port : (d->port ? d->port : 500);
	sa = ikev1_sa_create(e, true, &local, &remote, NULL, now);
	if (!sa)
		return -ENOMEM;
	ike_sa_set_config(&sa->sa, e->config, conn);
	sa->exchange = conn->aggressive ? ISAKMP_XCHG_AGGR : ISAKMP_XCHG_IDPROT;
	sa->want_child = child;
	sa->ni_len = IKEV1_NONCE_LEN;
	/* the group of the first offer; Aggressive Mode cannot change it
	 * later, Main Mode uses what the responder picked */
	sa->dh.group = dh_group_by_id(dh->id);
	if (serial)
		*serial = sa->sa.serial;
	log_info(SUB_IKE, "ISAKMP SA #%u: initiating %s (%s)", sa->sa.serial, conn->name,
		 conn->aggressive ? "Aggressive Mode" : "Main Mode");
	if (rand_bytes(sa->ni, sa->ni_len) < 0) {
		ikev1_sa_delete(e, sa, "no random nonce");
		return -EIO;
	}
	ike_sa_set_state(&sa->sa, IKE_SA_STATE_INIT_I);
	if (conn->aggressive) {
		r = ikev1_dh_submit(e, sa, -1, &sa->dh, NULL, 0, p1_resume);
	} else {
		r = send_mm1(e, sa, now);
		/* the key pair is made while the responder answers */
		if (r == 0)
			r = ikev1_dh_submit(e, sa, -1, &sa->dh, NULL, 0, p1_resume);
	}
	if (r < 0) {
		ikev1_sa_delete(e, sa, "cannot send the first message");
		return r;
	}
	return 0;
}

/* --- the responder's first message --- */

static bool addr_in(const struct ip_addr *list, size_t n, const struct ip_addr *a)
{
	size_t i;

	if (n == 0)
		return true;
	for (i = 0; i < n; i++)
		if (ip_addr_is_any(&list[i]) || ip_addr_eq(&list[i], a))
			return true;
	return false;
}

/* The connection for a first message from remote to local: IKEv1 (or
 * either version), addresses matching, a transform we accept. */
static const struct conn_cfg *find_conn(struct ikev1_engine *e, const struct ikev1_rx *rx,
					const struct ikev1_sa *wsa, struct p1_xform *chosen,
					struct ikev1_xform *raw, char *why, size_t wl)
{
	const struct oak_config *cfg = e->config;
	bool any = false;
	size_t i;

	snprintf(why, wl, "no IKEv1 connection for %s", "this peer");
	for (i = 0; cfg && i < cfg->nconns; i++) {
		const struct conn_cfg *c = &cfg->conns[i];
		char w[512];

		if (c->version == 2)
			continue;
		if (!addr_in(c->local_addrs, c->nlocal_addrs, &rx->local.addr) ||
		    !addr_in(c->remote_addrs, c->nremote_addrs, &rx->remote.addr))
			continue;
		if (select_xform(c, conn_own_method(e->certs, c), wsa, chosen, raw, w, sizeof(w)) ==
		    0)
			return c;
		if (!any)
			snprintf(why, wl, "%.64s: %.400s", c->name, w);
		any = true;
	}
	return NULL;
}

/* MM2 / the SA of AM2: the chosen transform exactly as received. */
static void put_choice(struct ikev1_enc *enc, const struct ikev1_xform *raw)
{
	struct ikev1_iter it;
	struct ikev1_attr a;

	ikev1_sa_begin(enc, ISAKMP_DOI_IPSEC, IPSEC_SIT_IDENTITY_ONLY);
	ikev1_prop_begin(enc, &(struct ikev1_prop){.number = 1, .protocol = IPSEC_PROTO_ISAKMP});
	ikev1_xform_begin(enc, raw);
	ikev1_attrs_begin(&it, raw->attrs, raw->attrs_off);
	while (ikev1_attr_next(&it, &a) == 1)
		ikev1_attr_put(enc, &a);
	ikev1_xform_end(enc);
	ikev1_prop_end(enc);
	ikev1_sa_end(enc);
}

static void take_xform(struct ikev1_ike_sa *sa, const struct p1_xform *x)
{
	sa->encr = x->encr;
	sa->key_bits = x->key_bits;
	sa->prf = x->prf;
	sa->auth_method = x->auth;
	sa->group_id = x->group;
	sa->xform_num = x->number;
	sa->block = x->encr->block_size;
	sa->life_s = x->life_s;
	if (sa->sa.conn && p1_life(sa->sa.conn) < sa->life_s)
		sa->life_s = p1_life(sa->sa.conn);
	sa->sa.have_proposal = true;
	xform_proposal(x, &sa->sa.proposal);
}

static void log_refused(const struct ikev1_rx *rx, const char *what, const char *why)
{
	char peer[IP_ADDR_STRLEN];

	log_notice(SUB_IKE, "%s from %s refused: %s", what,
		   ip_addr_fmt(&rx->remote.addr, peer, sizeof(peer)), why);
}

static void responder_reply_mm2(struct ikev1_engine *e, struct ikev1_ike_sa *sa,
				const struct ikev1_xform *raw, uint64_t now)
{
	struct ikev1_enc enc;
	struct isakmp_hdr h;
	struct builder b;

	hdr_for(sa, &h);
	bld_init(&b, 65535);
	ikev1_enc_begin(&enc, &b, &h);
	put_choice(&enc, raw);
	ikev1_put_vids(sa, &enc);
	sa->p1 = P1_MM_R1;
	send_clear(e, sa, &enc, &b, false, now);
}

void ikev1_p1_first(struct ikev1_engine *e, struct ikev1_rx *rx)
{
	const struct ikev1_msg *m = rx->msg;
	const bool aggr = m->hdr.exchange == ISAKMP_XCHG_AGGR;
	const char *what = aggr ? "Aggressive Mode" : "Main Mode";
	const struct ikev1_payload *sap;
	const struct conn_cfg *conn;
	struct p1_xform x;
	struct ikev1_xform raw;
	struct wire_err err;
	struct ikev1_ike_sa *sa;
	char why[512];
	static const uint8_t zero[8];

	if (m->hdr.flags & ISAKMP_FLAG_E || m->hdr.msg_id != 0) {
		log_refused(rx, what, "message 1 is encrypted or has a message ID");
		return;
	}
	if (ikev1_rules_check(m, 1, &err) < 0) {
		log_refused(rx, what, err.reason);
		ikev1_send_clear_notify(e, rx, zero, ISAKMP_N_PAYLOAD_MALFORMED);
		return;
	}
	sap = ikev1_msg_get(m, ISAKMP_NP_SA, 0);
	conn = find_conn(e, rx, &sap->u.sa, &x, &raw, why, sizeof(why));
	if (!conn) {
		log_refused(rx, what, why);
		ikev1_send_clear_notify(e, rx, zero, ISAKMP_N_NO_PROPOSAL_CHOSEN);
		return;
	}
	if (aggr && !conn->aggressive) {
		snprintf(why, sizeof(why),
			 "connection '%s' does not allow Aggressive Mode (aggressive = yes): "
			 "its pre-shared key hash would go out before the peer is authenticated",
			 conn->name);
		log_refused(rx, what, why);
		ikev1_send_clear_notify(e, rx, zero, ISAKMP_N_NO_PROPOSAL_CHOSEN);
		return;
	}
	sa = ikev1_sa_create(e, false, &rx->local, &rx->remote, m->hdr.spi_i, rx->now);
	if (!sa)
		return;
	ike_sa_set_config(&sa->sa, e->config, conn);
	sa->exchange = m->hdr.exchange;
	ike_sa_set_state(&sa->sa, IKE_SA_STATE_INIT_R);
	keep(&sa->sai_b, &sa->sai_b_len, sap->body.p, sap->body.len);
	take_xform(sa, &x);
	sa->dh.group = dh_group_by_id(x.group);
	sa->nr_len = IKEV1_NONCE_LEN;
	if (rand_bytes(sa->nr, sa->nr_len) < 0) {
		ikev1_sa_delete(e, sa, "no random nonce");
		return;
	}
	ikev1_note_vids(sa, m);
	log_info(SUB_IKE, "ISAKMP SA #%u: %s from %s for %s, transform %u chosen", sa->sa.serial,
		 what, ip_addr_fmt(&rx->remote.addr, why, sizeof(why)), conn->name, x.number);
	if (!aggr) {
		ikev1_buf_set(&sa->last_rx, rx->buf, rx->len);
		responder_reply_mm2(e, sa, &raw, rx->now);
		if (ikev1_dh_submit(e, sa, -1, &sa->dh, NULL, 0, p1_resume) < 0)
			ikev1_sa_delete(e, sa, "cannot start the DH job");
		return;
	}
	/* Aggressive Mode: the rest of message 1 is handled as the SA's own */
	sa->p1 = P1_NONE;
	ikev1_p1_recv(e, sa, rx);
}

/* --- the later messages --- */

static void p1_resume(struct ikev1_engine *e, struct ikev1_ike_sa *sa, int qm_index, uint64_t now)
{
	(void)qm_index;
	if (sa->dh.err) {
		ikev1_sa_delete(e, sa, "the DH computation failed");
		return;
	}
	if (sa->saved.p) {
		ikev1_redispatch(e, sa, &sa->saved);
		return;
	}
	/* the initiator's Aggressive Mode waits for its key pair to send AM1 */
	if (sa->sa.initiator && sa->exchange == ISAKMP_XCHG_AGGR && sa->p1 == P1_NONE &&
	    send_am1(e, sa, now) < 0)
		ikev1_sa_delete(e, sa, "cannot send Aggressive Mode message 1");
}

/* Make sure the DH job has run (key pair, and the shared secret when
 * derive): true when ready; false when a job now runs (the message is
 * saved and comes back) or failed (SA deleted). */
static bool need_dh(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const struct ikev1_rx *rx,
		    bool derive)
{
	if (sa->dh.busy) {
		ikev1_buf_set(&sa->saved, rx->buf, rx->len);
		return false;
	}
	if (sa->dh.key && (!derive || sa->dh.shared))
		return true;
	ikev1_buf_set(&sa->saved, rx->buf, rx->len);
	if (ikev1_dh_submit(e, sa, -1, &sa->dh, derive ? sa->peer_ke : NULL,
			    derive ? sa->peer_ke_len : 0, p1_resume) < 0) {
		ikev1_buf_clear(&sa->saved);
		ikev1_sa_delete(e, sa, "cannot start the DH job");
	}
	return false;
}

static bool take_ke_nonce(struct ikev1_ike_sa *sa, const struct ikev1_msg *m)
{
	const struct ikev1_payload *ke = ikev1_msg_get(m, ISAKMP_NP_KE, 0);
	const struct ikev1_payload *no = ikev1_msg_get(m, ISAKMP_NP_NONCE, 0);
	uint8_t *n = sa->sa.initiator ? sa->nr : sa->ni;
	size_t *nl = sa->sa.initiator ? &sa->nr_len : &sa->ni_len;

	if (!ke || !no || ke->u.data.len != sa->dh.group->pub_len ||
	    no->u.data.len < IKEV1_NONCE_MIN || no->u.data.len > IKEV1_NONCE_MAX) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: KE of %zu bytes (group %s wants %zu) or nonce of %zu "
			   "bytes refused",
			   sa->sa.serial, ke ? ke->u.data.len : 0, sa->dh.group->name,
			   sa->dh.group->pub_len, no ? no->u.data.len : 0);
		return false;
	}
	keep(&sa->peer_ke, &sa->peer_ke_len, ke->u.data.p, ke->u.data.len);
	memcpy(n, no->u.data.p, no->u.data.len);
	*nl = no->u.data.len;
	return true;
}

/* MM2 at the initiator: the one transform must be one of ours unchanged. */
static bool check_choice(struct ikev1_ike_sa *sa, const struct ikev1_msg *m)
{
	static struct p1_xform xs[MAX_XFORMS];
	const struct ikev1_payload *p = ikev1_msg_get(m, ISAKMP_NP_SA, 0);
	struct ikev1_iter pi, ti;
	struct ikev1_prop prop;
	struct ikev1_xform t;
	struct p1_xform x;
	char why[128] = "";
	size_t n, i;

	if (!p)
		return false;
	ikev1_props_begin(&pi, &p->u.sa);
	if (p->u.sa.nprops != 1 || p->u.sa.nxforms != 1 || ikev1_prop_next(&pi, &prop) != 1) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: the responder answered with %u proposals and %u "
			   "transforms, not one",
			   sa->sa.serial, p->u.sa.nprops, p->u.sa.nxforms);
		return false;
	}
	ikev1_xforms_begin(&ti, &prop);
	if (ikev1_xform_next(&ti, &t) != 1 || !parse_xform(&t, &x, why, sizeof(why))) {
		log_notice(SUB_IKE, "ISAKMP SA #%u: the responder's transform is unusable: %s",
			   sa->sa.serial, why);
		return false;
	}
	n = offer_xforms(sa, xs, MAX_XFORMS);
	for (i = 0; i < n; i++) {
		const struct p1_xform *o = &xs[i];

		if (o->number == x.number && o->encr_v1 == x.encr_v1 && o->key_bits == x.key_bits &&
		    o->hash_v1 == x.hash_v1 && o->auth == x.auth && o->group == x.group &&
		    o->life_s == x.life_s && x.life_kb == 0) {
			take_xform(sa, &x);
			return true;
		}
	}
	log_notice(SUB_IKE,
		   "ISAKMP SA #%u: the responder modified our offer (transform %u: encryption "
		   "%u/%u, hash %u, auth %s, group %u, life %llu s): refused, RFC 2409 5: \"The "
		   "responder cannot modify the offer\"",
		   sa->sa.serial, x.number, x.encr_v1, x.key_bits, x.hash_v1, auth_name(x.auth),
		   x.group, (unsigned long long)x.life_s);
	return false;
}

static void fail(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint16_t notify, const char *why)
{
	if (notify && sa->have_keys)
		ikev1_send_notify(e, sa, notify);
	ikev1_sa_delete(e, sa, why);
}

static void mm_i_msg2(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx)
{
	struct ikev1_enc enc;
	struct isakmp_hdr h;
	struct builder b;

	if (!sa->sa.have_proposal) {
		memcpy(sa->sa.spi_r, rx->msg->hdr.spi_r, 8);
		if (!check_choice(sa, rx->msg)) {
			ikev1_sa_delete(e, sa, "the responder's choice is not one of our offers");
			return;
		}
		ikev1_note_vids(sa, rx->msg);
		sa->tx_waits = false;
		if (sa->dh.group->id != sa->group_id) {
			/* the responder chose another of our groups: a new key pair */
			ikev1_kex_clear(&sa->dh);
			sa->dh.group = dh_group_by_id(sa->group_id);
		}
	}
	if (!need_dh(e, sa, rx, false))
		return;
	hdr_for(sa, &h);
	bld_init(&b, 65535);
	ikev1_enc_begin(&enc, &b, &h);
	ikev1_put_data(&enc, ISAKMP_NP_KE, (struct span){sa->dh.pub, sa->dh.group->pub_len});
	ikev1_put_data(&enc, ISAKMP_NP_NONCE, (struct span){sa->ni, sa->ni_len});
	/* strongSwan sends its certificate only when asked (send_cert = ifasked) */
	ikev1_put_certreq(sa, &enc);
	if (sa->vids.natt)
		ikev1_put_natd(sa, &enc);
	sa->p1 = P1_MM_I2;
	ikev1_buf_set(&sa->last_rx, rx->buf, rx->len);
	send_clear(e, sa, &enc, &b, true, rx->now);
}

static void mm_r_msg3(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx)
{
	struct ikev1_enc enc;
	struct isakmp_hdr h;
	struct builder b;

	if (!sa->peer_ke) {
		if (!take_ke_nonce(sa, rx->msg)) {
			ikev1_sa_delete(e, sa, "bad KE or nonce in Main Mode message 3");
			return;
		}
		ikev1_check_natd(sa, rx->msg);
		ikev1_note_certreq(sa, rx->msg);
	}
	if (!need_dh(e, sa, rx, true))
		return;
	own_id(sa);
	if (derive_keys(e, sa) < 0) {
		ikev1_sa_delete(e, sa, "no keys");
		return;
	}
	hdr_for(sa, &h);
	bld_init(&b, 65535);
	ikev1_enc_begin(&enc, &b, &h);
	ikev1_put_data(&enc, ISAKMP_NP_KE, (struct span){sa->dh.pub, sa->dh.group->pub_len});
	ikev1_put_data(&enc, ISAKMP_NP_NONCE, (struct span){sa->nr, sa->nr_len});
	ikev1_put_certreq(sa, &enc);
	if (sa->vids.natt && ikev1_msg_count(rx->msg, ISAKMP_NP_NATD))
		ikev1_put_natd(sa, &enc);
	sa->p1 = P1_MM_R2;
	ikev1_buf_set(&sa->last_rx, rx->buf, rx->len);
	send_clear(e, sa, &enc, &b, false, rx->now);
}

static void mm_i_msg4(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx)
{
	struct ikev1_enc enc;
	struct builder b;

	if (!sa->peer_ke) {
		if (!take_ke_nonce(sa, rx->msg)) {
			ikev1_sa_delete(e, sa, "bad KE or nonce in Main Mode message 4");
			return;
		}
		ikev1_check_natd(sa, rx->msg);
		ikev1_note_certreq(sa, rx->msg);
		sa->tx_waits = false;
	}
	if (!need_dh(e, sa, rx, true))
		return;
	own_id(sa);
	if (derive_keys(e, sa) < 0) {
		ikev1_sa_delete(e, sa, "no keys");
		return;
	}
	/* RFC 3947 4: with a NAT, phase 1 moves to port 4500 from here on */
	ikev1_float(e, sa);
	bld_init(&b, 65535);
	ikev1_enc_begin_chain(&enc, &b);
	put_own_id(sa, &enc);
	ikev1_put_certs(sa, &enc);
	if (put_own_auth(sa, &enc) < 0) {
		bld_free(&b);
		ikev1_sa_delete(e, sa, "cannot authenticate ourselves");
		return;
	}
	ikev1_put_initial_contact(e, sa, &enc);
	sa->p1 = P1_MM_I3;
	ike_sa_set_state(&sa->sa, IKE_SA_STATE_AUTH_I);
	ikev1_buf_set(&sa->last_rx, rx->buf, rx->len);
	if (send_encrypted(e, sa, &enc, &b, true, rx->now) < 0)
		ikev1_sa_delete(e, sa, "cannot send Main Mode message 5");
}

static bool open_p1(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx,
		    unsigned msg_no)
{
	struct wire_err err;
	int r;

	if (!(rx->msg->hdr.flags & ISAKMP_FLAG_E)) {
		if (msg_no == 3 && sa->exchange == ISAKMP_XCHG_AGGR)
			goto rules; /* RFC 2409 5.4 sends it in clear */
		log_notice(SUB_IKE, "ISAKMP SA #%u: message %u is not encrypted: dropped",
			   sa->sa.serial, msg_no);
		return false;
	}
	/* a signature check job re-handles this message: it must decrypt
	 * again with the IV it came with (ikev1_auth_ready puts it back) */
	memcpy(sa->iv_prev, sa->iv, sa->block);
	r = ikev1_open(sa, rx, sa->iv, &err);
	if (r == -ENOTSUP) {
		/* RFC 2408 5.1: a payload type we do not know */
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: message %u: %s at offset %zu: INVALID-PAYLOAD-TYPE",
			   sa->sa.serial, msg_no, err.reason, err.offset);
		ikev1_send_notify(e, sa, ISAKMP_N_INVALID_PAYLOAD_TYPE);
		return false;
	}
	if (r < 0) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: message %u does not decrypt to payloads (%s at offset "
			   "%zu; a different pre-shared key?): dropped",
			   sa->sa.serial, msg_no, err.reason, err.offset);
		return false;
	}
rules:
	if (ikev1_rules_check(rx->msg, msg_no, &err) < 0) {
		log_notice(SUB_IKE, "ISAKMP SA #%u: %s", sa->sa.serial, err.reason);
		return false;
	}
	return true;
}

static void mm_r_msg5(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx)
{
	const struct ikev1_payload *id;
	struct ikev1_enc enc;
	struct builder b;

	if (!sa->have_keys || !open_p1(e, sa, rx, 5))
		return;
	id = ikev1_msg_get(rx->msg, ISAKMP_NP_ID, 0);
	if (!take_peer_id(sa, id)) {
		fail(e, sa, ISAKMP_N_INVALID_ID_INFORMATION, "peer identity refused");
		return;
	}
	if (!ikev1_auth_ready(e, sa, rx))
		return; /* a certificate check runs; the message comes back */
	if (!check_peer_auth(e, sa, rx->msg)) {
		fail(e, sa, ISAKMP_N_AUTHENTICATION_FAILED, "authentication failed");
		return;
	}
	sa->peer_initial_contact = ikev1_has_initial_contact(rx->msg);
	ikev1_note_certreq(sa, rx->msg); /* strongSwan asks in message 5 */
	bld_init(&b, 65535);
	ikev1_enc_begin_chain(&enc, &b);
	put_own_id(sa, &enc);
	ikev1_put_certs(sa, &enc);
	if (put_own_auth(sa, &enc) < 0) {
		bld_free(&b);
		ikev1_sa_delete(e, sa, "cannot authenticate ourselves");
		return;
	}
	ikev1_buf_set(&sa->last_rx, rx->buf, rx->len);
	if (send_encrypted(e, sa, &enc, &b, false, rx->now) < 0) {
		ikev1_sa_delete(e, sa, "cannot send Main Mode message 6");
		return;
	}
	ikev1_p1_established(e, sa, rx->now);
}

static void mm_i_msg6(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx)
{
	const struct ikev1_payload *id;

	if (!open_p1(e, sa, rx, 6))
		return;
	id = ikev1_msg_get(rx->msg, ISAKMP_NP_ID, 0);
	if (!take_peer_id(sa, id)) {
		fail(e, sa, ISAKMP_N_INVALID_ID_INFORMATION, "peer identity refused");
		return;
	}
	if (!ikev1_auth_ready(e, sa, rx))
		return;
	if (!check_peer_auth(e, sa, rx->msg)) {
		fail(e, sa, ISAKMP_N_AUTHENTICATION_FAILED, "authentication failed");
		return;
	}
	sa->tx_waits = false;
	ikev1_buf_set(&sa->last_rx, rx->buf, rx->len);
	ikev1_p1_established(e, sa, rx->now);
}

/* --- Aggressive Mode --- */

static void am_r_msg1(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx)
{
	const struct ikev1_payload *id;
	struct ikev1_enc enc;
	struct isakmp_hdr h;
	struct builder b;

	if (!sa->peer_ke) {
		if (!take_ke_nonce(sa, rx->msg)) {
			ikev1_sa_delete(e, sa, "bad KE or nonce in Aggressive Mode message 1");
			return;
		}
		id = ikev1_msg_get(rx->msg, ISAKMP_NP_ID, 0);
		if (!take_peer_id(sa, id)) {
			ikev1_sa_delete(e, sa, "peer identity refused");
			return;
		}
		ikev1_note_certreq(sa, rx->msg);
	}
	if (!need_dh(e, sa, rx, true))
		return;
	own_id(sa);
	if (derive_keys(e, sa) < 0) {
		ikev1_sa_delete(e, sa, "no keys");
		return;
	}
	hdr_for(sa, &h);
	bld_init(&b, 65535);
	ikev1_enc_begin(&enc, &b, &h);
	{
		/* the SA payload: the chosen transform of message 1, unchanged */
		const struct ikev1_sa *wsa = &ikev1_msg_get(rx->msg, ISAKMP_NP_SA, 0)->u.sa;
		struct p1_xform x;
		struct ikev1_xform raw;
		char why[256];

		if (select_xform(sa->sa.conn, conn_own_method(sa->certs, sa->sa.conn), wsa, &x,
				 &raw, why, sizeof(why)) < 0) {
			bld_free(&b);
			ikev1_sa_delete(e, sa, why);
			return;
		}
		put_choice(&enc, &raw);
	}
	ikev1_put_data(&enc, ISAKMP_NP_KE, (struct span){sa->dh.pub, sa->dh.group->pub_len});
	ikev1_put_data(&enc, ISAKMP_NP_NONCE, (struct span){sa->nr, sa->nr_len});
	put_own_id(sa, &enc);
	ikev1_put_certs(sa, &enc);
	if (put_own_auth(sa, &enc) < 0) {
		bld_free(&b);
		ikev1_sa_delete(e, sa, "cannot authenticate ourselves");
		return;
	}
	ikev1_put_certreq(sa, &enc);
	ikev1_put_vids(sa, &enc);
	if (sa->vids.natt)
		ikev1_put_natd(sa, &enc);
	sa->p1 = P1_AM_R1;
	ikev1_buf_set(&sa->last_rx, rx->buf, rx->len);
	send_clear(e, sa, &enc, &b, false, rx->now);
}

static void am_i_msg2(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx)
{
	const struct ikev1_payload *id;
	struct ikev1_enc enc;
	struct builder b;

	if (!sa->peer_ke) {
		memcpy(sa->sa.spi_r, rx->msg->hdr.spi_r, 8);
		if (!check_choice(sa, rx->msg)) {
			ikev1_sa_delete(e, sa, "the responder's choice is not one of our offers");
			return;
		}
		if (sa->group_id != sa->dh.group->id) {
			ikev1_sa_delete(e, sa,
					"the responder chose another DH group than the "
					"one of our Aggressive Mode KE");
			return;
		}
		ikev1_note_vids(sa, rx->msg);
		if (!take_ke_nonce(sa, rx->msg)) {
			ikev1_sa_delete(e, sa, "bad KE or nonce in Aggressive Mode message 2");
			return;
		}
		id = ikev1_msg_get(rx->msg, ISAKMP_NP_ID, 0);
		if (!take_peer_id(sa, id)) {
			ikev1_sa_delete(e, sa, "peer identity refused");
			return;
		}
		ikev1_check_natd(sa, rx->msg);
		ikev1_note_certreq(sa, rx->msg);
		sa->tx_waits = false;
	}
	if (!need_dh(e, sa, rx, true))
		return;
	if (!sa->have_keys && derive_keys(e, sa) < 0) {
		ikev1_sa_delete(e, sa, "no keys");
		return;
	}
	if (!ikev1_auth_ready(e, sa, rx))
		return;
	if (!check_peer_auth(e, sa, rx->msg)) {
		ikev1_sa_delete(e, sa, "authentication failed");
		return;
	}
	ikev1_float(e, sa);
	bld_init(&b, 65535);
	ikev1_enc_begin_chain(&enc, &b);
	ikev1_put_certs(sa, &enc);
	if (put_own_auth(sa, &enc) < 0) {
		bld_free(&b);
		ikev1_sa_delete(e, sa, "cannot authenticate ourselves");
		return;
	}
	if (sa->vids.natt && ikev1_msg_count(rx->msg, ISAKMP_NP_NATD))
		ikev1_put_natd(sa, &enc);
	ikev1_put_initial_contact(e, sa, &enc);
	ike_sa_set_state(&sa->sa, IKE_SA_STATE_AUTH_I);
	ikev1_buf_set(&sa->last_rx, rx->buf, rx->len);
	/* strongSwan and libreswan encrypt message 3; so do we */
	if (send_encrypted(e, sa, &enc, &b, false, rx->now) < 0) {
		ikev1_sa_delete(e, sa, "cannot send Aggressive Mode message 3");
		return;
	}
	ikev1_p1_established(e, sa, rx->now);
}

static void am_r_msg3(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx)
{
	if (!open_p1(e, sa, rx, 3))
		return;
	if (!ikev1_auth_ready(e, sa, rx))
		return;
	if (!check_peer_auth(e, sa, rx->msg)) {
		fail(e, sa, ISAKMP_N_AUTHENTICATION_FAILED, "authentication failed");
		return;
	}
	ikev1_check_natd(sa, rx->msg);
	sa->peer_initial_contact = ikev1_has_initial_contact(rx->msg);
	ikev1_buf_set(&sa->last_rx, rx->buf, rx->len);
	ikev1_p1_established(e, sa, rx->now);
}

/* The position of a clear message in its exchange for the rules check. */
static unsigned clear_msg_no(const struct ikev1_ike_sa *sa)
{
	switch (sa->p1) {
	case P1_MM_I1:
		return 2;
	case P1_MM_R1:
		return 3;
	case P1_MM_I2:
		return 4;
	case P1_AM_I1:
		return 2;
	case P1_NONE:
		return 1;
	default:
		return 0;
	}
}

void ikev1_p1_recv(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx)
{
	struct wire_err err;
	unsigned no = clear_msg_no(sa);

	if (sa->dh.busy || sa->pk_busy) {
		/* handled when the job is done (the peer was faster than our
		 * key pair); a retransmission only replaces it */
		log_debug(SUB_IKE, "ISAKMP SA #%u: a job runs, message kept for after it",
			  sa->sa.serial);
		ikev1_buf_set(&sa->saved, rx->buf, rx->len);
		return;
	}
	if (no) {
		if (rx->msg->hdr.flags & ISAKMP_FLAG_E) {
			log_notice(SUB_IKE, "ISAKMP SA #%u: message %u encrypted: dropped",
				   sa->sa.serial, no);
			return;
		}
		if (ikev1_rules_check(rx->msg, no, &err) < 0) {
			log_notice(SUB_IKE, "ISAKMP SA #%u: %s", sa->sa.serial, err.reason);
			return;
		}
	}
	switch (sa->p1) {
	case P1_NONE:
		if (!sa->sa.initiator && sa->exchange == ISAKMP_XCHG_AGGR)
			am_r_msg1(e, sa, rx);
		return;
	case P1_MM_I1:
		mm_i_msg2(e, sa, rx);
		return;
	case P1_MM_R1:
		mm_r_msg3(e, sa, rx);
		return;
	case P1_MM_I2:
		mm_i_msg4(e, sa, rx);
		return;
	case P1_MM_R2:
		mm_r_msg5(e, sa, rx);
		return;
	case P1_MM_I3:
		mm_i_msg6(e, sa, rx);
		return;
	case P1_AM_I1:
		am_i_msg2(e, sa, rx);
		return;
	case P1_AM_R1:
		am_r_msg3(e, sa, rx);
		return;
	case P1_DONE:
		log_debug(SUB_IKE, "ISAKMP SA #%u: phase 1 message after phase 1: dropped",
			  sa->sa.serial);
		return;
	}
}

void ikev1_p1_established(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint64_t now)
{
	char peer[IP_ADDR_STRLEN], id[IDENT_STRLEN], prop[PROPOSAL_STRLEN];

	sa->p1 = P1_DONE;
	sa->sa.established_ms = now;
	if (!sa->sa.initiator)
		sa_table_forget_init(&e->table, &sa->sa);
	ike_sa_set_state(&sa->sa, IKE_SA_STATE_ESTABLISHED);
	log_notice(SUB_IKE, "ISAKMP SA #%u (%s) established with %s [%s], %s %s, %s, life %llu s",
		   sa->sa.serial, sa->sa.conn->name, ike_sa_peer(&sa->sa, peer, sizeof(peer)),
		   ident_fmt(&sa->sa.remote_id, id, sizeof(id)),
		   sa->exchange == ISAKMP_XCHG_AGGR ? "Aggressive Mode" : "Main Mode",
		   auth_name(sa->auth_method), proposal_fmt(&sa->sa.proposal, prop, sizeof(prop)),
		   (unsigned long long)sa->life_s);
	if (sa->peer_initial_contact)
		ikev1_initial_contact(e, sa);
	ikev1_p1_lifetimes(e, sa, now);
	if (sa->want_child) {
		const struct child_cfg *c = sa->want_child;

		sa->want_child = NULL;
		ikev1_qm_start(e, sa, c, now);
	}
	while (sa->nwant_more && sa->sa.state == IKE_SA_STATE_ESTABLISHED)
		ikev1_qm_start(e, sa, sa->want_more[--sa->nwant_more], now);
}

void ikev1_p1_free(struct ikev1_ike_sa *sa)
{
	ikev1_kex_clear(&sa->dh);
	ikev1_keys_free(&sa->keys);
	ikev1_buf_clear(&sa->last_tx);
	ikev1_buf_clear(&sa->last_rx);
	ikev1_buf_clear(&sa->saved);
	free(sa->sai_b);
	free(sa->peer_ke);
	free(sa->idi_b);
	free(sa->idr_b);
	free(sa->peer_certreq);
	ikev1_qm_release(sa);
	ikev1_auth_free(sa);
	ikev1_frags_free(sa);
	if (sa->certs)
		certs_store_unref(sa->certs);
	wipe(sa->ni, sizeof(sa->ni));
	wipe(sa->nr, sizeof(sa->nr));
}
