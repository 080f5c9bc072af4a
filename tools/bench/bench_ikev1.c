/* bench_ikev1.c: the messages of one IKEv1 handshake of oak-bench: Main
 * Mode with a pre-shared key (RFC 2409 5), then Quick Mode without PFS
 * (5.5) for one ESP SA in tunnel mode.
 *
 *   MM1 I->R  SA                      QM1 I->R  * HASH(1), SA, Ni, IDci, IDcr
 *   MM2 R->I  SA (the one transform)  QM2 R->I  * HASH(2), SA, Nr, [IDci, IDcr]
 *   MM3 I->R  KE, Ni                  QM3 I->R  * HASH(3)
 *   MM4 R->I  KE, Nr
 *   MM5 I->R  * IDii, HASH_I
 *   MM6 R->I  * IDir, HASH_R
 *
 * The bench is a real initiator: it derives SKEYID and the ISAKMP SA keys,
 * encrypts with the IV chains of appendix B, checks the responder's HASH_R
 * and HASH(2), and counts an SA once it has sent QM3, after which the
 * responder installs the IPsec SAs (QM3 is never answered; when the
 * responder repeats QM2 because QM3 was lost, bench.c sends QM3 again).
 * With --natt it fakes a NAT (RFC 3947): the NAT-T vendor ID in MM1, NAT-D
 * payloads in MM3 whose hash of our end is of a port we do not use, then
 * MM5 on from port 4500 (bench.c adds the non-ESP marker) and ESP in
 * UDP-encapsulated tunnel mode (5.1).
 * It reuses the run's DH key pair in every Main Mode as the IKEv2 modes do:
 * RFC 2409 does not forbid reusing an exponential, and the responder cannot
 * tell. It computes no KEYMAT: it sends no ESP.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "crypto/alg.h"
#include "crypto/ident.h"
#include "crypto/rand.h"
#include "lib/builder.h"
#include "lib/mono_time.h"
#include "wire/ikev1.h"

#define V1_P1_LIFE_S 28800u /* 8 h, Windows' Main Mode default */
#define V1_QM_LIFE_S 3600u  /* 1 h, swanctl's and Windows' Quick Mode default */
#define V1_IV_MAX    16	    /* AES block */

/* The ISAKMP SA offer (RFC 2409 5: one proposal, one transform). */
static void put_p1_sa(const struct bench_v1_cfg *v, struct ikev1_enc *e)
{
	ikev1_sa_begin(e, ISAKMP_DOI_IPSEC, IPSEC_SIT_IDENTITY_ONLY);
	ikev1_prop_begin(e, &(struct ikev1_prop){.number = 1, .protocol = IPSEC_PROTO_ISAKMP});
	ikev1_xform_begin(e, &(struct ikev1_xform){.number = 1, .id = IPSEC_KEY_IKE});
	ikev1_attr_tv(e, IKEV1_ATTR_ENCRYPTION, v->encr);
	if (v->key_bits) /* AES has a variable key length (RFC 3602 5) */
		ikev1_attr_tv(e, IKEV1_ATTR_KEY_LENGTH, v->key_bits);
	ikev1_attr_tv(e, IKEV1_ATTR_HASH, v->hash);
	ikev1_attr_tv(e, IKEV1_ATTR_AUTH_METHOD, IKEV1_AUTH_PSK);
	ikev1_attr_tv(e, IKEV1_ATTR_GROUP_DESC, v->group);
	ikev1_attr_tv(e, IKEV1_ATTR_LIFE_TYPE, IKEV1_LIFE_SECONDS);
	ikev1_attr_num(e, IKEV1_ATTR_LIFE_DURATION, V1_P1_LIFE_S);
	ikev1_xform_end(e);
	ikev1_prop_end(e);
	ikev1_sa_end(e);
}

/* SAi_b (RFC 2409 5: the SA payload body, no generic header), the same for
 * every SA of the run. */
static int make_sai_b(struct bench_v1_cfg *v)
{
	struct ikev1_enc e;
	struct builder b;
	size_t len;
	uint8_t *chain;

	bld_init(&b, 0);
	ikev1_enc_begin_chain(&e, &b);
	put_p1_sa(v, &e);
	if (ikev1_enc_end(&e) < 0 || !bld_ok(&b) || bld_off(&b) <= 4) {
		bld_free(&b);
		return -ENOMEM;
	}
	chain = bld_take(&b, &len);
	if (!chain)
		return -ENOMEM;
	memmove(chain, chain + 4, len - 4);
	v->sai_b = chain;
	v->sai_b_len = len - 4;
	return 0;
}

int bench_ikev1_setup(struct bench_cfg *cfg, char *err, size_t errlen)
{
	const struct proposal_transform *te = proposal_get(&cfg->ike, IKEV2_TRANS_ENCR);
	const struct proposal_transform *ee = proposal_get(&cfg->esp, IKEV2_TRANS_ENCR);
	const struct proposal_transform *ei = proposal_get(&cfg->esp, IKEV2_TRANS_INTEG);
	const struct alg_row *er = te ? alg_by_ikev2(IKEV2_TRANS_ENCR, te->id) : NULL;
	const struct alg_row *eer = ee ? alg_by_ikev2(IKEV2_TRANS_ENCR, ee->id) : NULL;
	const struct alg_row *eir = ei ? alg_by_ikev2(IKEV2_TRANS_INTEG, ei->id) : NULL;
	struct bench_v1_cfg *v = &cfg->v1;

	if (cfg->key) {
		snprintf(err, errlen, "IKEv1 modes authenticate with --psk only");
		return -EINVAL;
	}
	if (!er || !er->ikev1_p1 || cfg->encr->aead || cfg->encr->block_size > V1_IV_MAX ||
	    !cfg->prf->ikev1_hash) {
		snprintf(err, errlen,
			 "IKEv1 phase 1 needs a CBC cipher, an HMAC hash and a DH group, e.g. "
			 "aes128-sha256-modp2048");
		return -EINVAL;
	}
	if (!eer || !eer->ikev1_p2 || !eer->encr || eer->encr->aead || !eir || !eir->ikev1_p2) {
		snprintf(err, errlen,
			 "IKEv1 Quick Mode needs an ESP proposal with a CBC cipher and an HMAC, "
			 "e.g. aes128-sha256");
		return -EINVAL;
	}
	v->encr = er->ikev1_p1;
	v->key_bits = te->key_bits;
	v->hash = cfg->prf->ikev1_hash;
	v->group = cfg->group->id;
	v->esp_id = eer->ikev1_p2;
	v->esp_key_bits = ee->key_bits;
	v->auth_alg = eir->ikev1_p2;
	v->enc_key_len = encr_keymat_len(cfg->encr, te->key_bits);
	if ((cfg->dh && dh_public(cfg->dh, v->gxi, sizeof(v->gxi)) < 0) || make_sai_b(v) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void set_tx(struct bench_sa *sa, uint8_t *msg, size_t len)
{
	free(sa->tx);
	sa->tx = msg;
	sa->tx_len = len;
	sa->sends = 0;
}

static void hdr_for(const struct bench_sa *sa, struct isakmp_hdr *h, uint8_t exchange,
		    uint32_t msg_id)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->spi_i, sa->spi_i, 8);
	memcpy(h->spi_r, sa->spi_r, 8);
	h->major = 1;
	h->exchange = exchange;
	h->msg_id = msg_id;
}

/* Finish the clear message being encoded in b: it becomes sa->tx. */
static int take_clear(struct bench_sa *sa, struct ikev1_enc *e, struct builder *b)
{
	uint8_t *msg;
	size_t len;

	if (ikev1_enc_end(e) < 0 || !bld_ok(b)) {
		bld_free(b);
		return -ENOBUFS;
	}
	msg = bld_take(b, &len);
	if (!msg)
		return -ENOMEM;
	set_tx(sa, msg, len);
	return 0;
}

/* Pad chain with zero octets to the block size, encrypt it in CBC mode
 * with iv (which moves on to the last ciphertext block) and put header h
 * in front (RFC 2409 appendix B, RFC 2408 3.1 E flag): sa->tx. */
static int seal(const struct bench_cfg *cfg, struct bench_sa *sa, const struct isakmp_hdr *h,
		uint8_t first, const uint8_t *chain, size_t len, uint8_t *iv)
{
	const struct secret *key = sa->v1->keys.enc_key;
	size_t bs = cfg->encr->block_size, padded = (len + bs - 1) / bs * bs;
	struct isakmp_hdr hh = *h;
	struct builder b;
	uint8_t *ct, *msg;
	size_t msg_len;
	int r;

	ct = calloc(1, padded ? padded : bs);
	if (!ct)
		return -ENOMEM;
	memcpy(ct, chain, len);
	r = encr_encrypt(cfg->encr, key->data, key->len, iv, bs, NULL, 0, ct, padded, ct, NULL);
	if (r == 0) {
		memcpy(iv, ct + padded - bs, bs);
		hh.next_payload = first;
		hh.flags |= ISAKMP_FLAG_E;
		bld_init(&b, 0);
		r = ikev1_enc_encrypted(&b, &hh, (struct span){ct, padded});
		msg = r == 0 ? bld_take(&b, &msg_len) : NULL;
		if (!msg) {
			bld_free(&b);
			r = r < 0 ? r : -ENOMEM;
		} else {
			set_tx(sa, msg, msg_len);
		}
	}
	free(ct);
	return r;
}

/* Decrypt the body of m with iv into plain (caller's, at least the body's
 * size) and decode its chain into m. next_iv (may be NULL) gets the last
 * ciphertext block, only when the chain decodes: a stray or forged
 * message must not break the chain. 0 or -EBADMSG. */
static int open_body(const struct bench_cfg *cfg, const struct bench_sa *sa, struct ikev1_msg *m,
		     const uint8_t *iv, uint8_t *plain, uint8_t *next_iv)
{
	const struct secret *key = sa->v1->keys.enc_key;
	struct span ct = m->encrypted;
	size_t bs = cfg->encr->block_size;
	struct wire_err werr;

	if (!(m->hdr.flags & ISAKMP_FLAG_E) || !key || ct.len == 0 || ct.len % bs)
		return -EBADMSG;
	if (encr_decrypt(cfg->encr, key->data, key->len, iv, bs, NULL, 0, ct.p, ct.len, plain,
			 NULL) < 0 ||
	    ikev1_chain_decode(m->hdr.next_payload, (struct span){plain, ct.len}, m, &werr) < 0)
		return -EBADMSG;
	if (next_iv)
		memcpy(next_iv, ct.p + ct.len - bs, bs);
	return 0;
}

/* Main Mode message 1: SA. */
static int build_mm1(const struct bench_cfg *cfg, struct bench_sa *sa)
{
	struct ikev1_enc e;
	struct isakmp_hdr h;
	struct builder b;

	hdr_for(sa, &h, ISAKMP_XCHG_IDPROT, 0);
	bld_init(&b, 0);
	ikev1_enc_begin(&e, &b, &h);
	put_p1_sa(&cfg->v1, &e);
	if (cfg->natt)
		ikev1_put_data(&e, ISAKMP_NP_VID, (struct span){ikev1_vid_rfc3947, 16});
	sa->state = BSA_MM1;
	return take_clear(sa, &e, &b);
}

int bench_ikev1_start(const struct bench_cfg *cfg, struct bench_sa *sa, uint32_t seq)
{
	uint16_t slot = sa->slot;
	struct bench_v1_sa *v;

	memset(sa, 0, sizeof(*sa));
	sa->slot = slot;
	sa->seq = seq;
	/* CKY-I (RFC 2408 2.5.3): only unique; the slot and number in it find
	 * the SA of an answer without a lookup, as the IKEv2 SPIs do */
	sa->spi_i[0] = cfg->spi_tag[0];
	sa->spi_i[1] = cfg->spi_tag[1];
	sa->spi_i[2] = (uint8_t)(slot >> 8);
	sa->spi_i[3] = (uint8_t)slot;
	sa->spi_i[4] = (uint8_t)(seq >> 24);
	sa->spi_i[5] = (uint8_t)(seq >> 16);
	sa->spi_i[6] = (uint8_t)(seq >> 8);
	sa->spi_i[7] = (uint8_t)seq;
	v = sa->v1 = calloc(1, sizeof(*sa->v1));
	if (!v || rand_bytes(sa->ni, sizeof(sa->ni)) < 0 ||
	    rand_bytes(v->qm_ni, sizeof(v->qm_ni)) < 0 || rand_bytes(sa->child_spi, 4) < 0)
		return -EIO;
	sa->child_spi[0] |= 0x80; /* SPIs 1-255 are reserved (RFC 4303 2.1) */
	if (cfg->fresh_dh) {
		sa->dh = dh_keygen(cfg->group);
		if (!sa->dh || dh_public(sa->dh, v->gxi, sizeof(v->gxi)) < 0)
			return -EIO;
	} else {
		memcpy(v->gxi, cfg->v1.gxi, cfg->group->pub_len);
	}
	sa->t_start = mono_ns();
	return build_mm1(cfg, sa);
}

/* The first error notification of m (RFC 2408 3.14.1: types below 16384),
 * or 0. */
static uint16_t error_notify(const struct ikev1_msg *m)
{
	const struct ikev1_payload *p;

	for (unsigned i = 0; (p = ikev1_msg_get(m, ISAKMP_NP_N, i)); i++)
		if (p->u.n.type && p->u.n.type < 16384)
			return p->u.n.type;
	return 0;
}

/* The one transform of the responder's SA payload must be ours (RFC 2409
 * 5: the responder cannot modify the offer). strongSwan encodes the
 * attributes in its own order, so they are compared by value; lifetimes
 * are the responder's business. */
static bool p1_choice_ok(const struct bench_v1_cfg *v, const struct ikev1_msg *m)
{
	const struct ikev1_payload *p = ikev1_msg_get(m, ISAKMP_NP_SA, 0);
	struct ikev1_iter pi, ti, ai;
	struct ikev1_prop prop;
	struct ikev1_xform t;
	struct ikev1_attr a;
	unsigned seen = 0, want = v->key_bits ? 0x1f : 0x1d;
	bool ok = true;

	if (!p || p->u.sa.nprops != 1 || p->u.sa.nxforms != 1)
		return false;
	ikev1_props_begin(&pi, &p->u.sa);
	if (ikev1_prop_next(&pi, &prop) != 1 || prop.protocol != IPSEC_PROTO_ISAKMP)
		return false;
	ikev1_xforms_begin(&ti, &prop);
	if (ikev1_xform_next(&ti, &t) != 1 || t.id != IPSEC_KEY_IKE)
		return false;
	ikev1_attrs_begin(&ai, t.attrs, t.attrs_off);
	while (ikev1_attr_next(&ai, &a) == 1) {
		uint64_t val = 0;

		if (a.type == IKEV1_ATTR_LIFE_DURATION || ikev1_attr_u64(&a, &val) < 0)
			continue;
		switch (a.type) {
		case IKEV1_ATTR_ENCRYPTION:
			ok &= val == v->encr, seen |= 0x01;
			break;
		case IKEV1_ATTR_KEY_LENGTH:
			ok &= val == v->key_bits, seen |= 0x02;
			break;
		case IKEV1_ATTR_HASH:
			ok &= val == v->hash, seen |= 0x04;
			break;
		case IKEV1_ATTR_AUTH_METHOD:
			ok &= val == IKEV1_AUTH_PSK, seen |= 0x08;
			break;
		case IKEV1_ATTR_GROUP_DESC:
			ok &= val == v->group, seen |= 0x10;
			break;
		default:
			break;
		}
	}
	return ok && seen == want;
}

/* NAT-D (RFC 3947 3.2): HASH(CKY-I | CKY-R | IP | Port) with the
 * negotiated hash. */
static int natd_hash(const struct bench_cfg *cfg, const struct bench_sa *sa,
		     const struct sockaddr_in *a, uint16_t port_be, uint8_t *out)
{
	struct span parts[4] = {
		{sa->spi_i, 8},
		{sa->spi_r, 8},
		{(const uint8_t *)&a->sin_addr, 4},
		{(const uint8_t *)&port_be, 2}, /* network order, as in sin_port */
	};

	return prf_hash(cfg->prf, parts, 4, out);
}

/* The responder's end first, then ours, of a port we do not use: "the
 * initiator is behind a NAT" (RFC 3947 3.2). */
static int put_natd(const struct bench_cfg *cfg, const struct bench_sa *sa, struct ikev1_enc *e)
{
	uint8_t h[64];
	int r;

	r = natd_hash(cfg, sa, &cfg->target, cfg->target.sin_port, h);
	if (r == 0)
		ikev1_put_data(e, ISAKMP_NP_NATD, (struct span){h, cfg->prf->out_len});
	if (r == 0)
		r = natd_hash(cfg, sa, &cfg->source, (uint16_t)(cfg->source.sin_port ^ 0x5a5a), h);
	if (r == 0)
		ikev1_put_data(e, ISAKMP_NP_NATD, (struct span){h, cfg->prf->out_len});
	return r;
}

/* Whether the responder sent the RFC 3947 vendor ID. */
static bool has_natt_vid(const struct ikev1_msg *m)
{
	const struct ikev1_payload *p;

	for (unsigned i = 0; (p = ikev1_msg_get(m, ISAKMP_NP_VID, i)); i++)
		if (p->u.data.len == 16 && memcmp(p->u.data.p, ikev1_vid_rfc3947, 16) == 0)
			return true;
	return false;
}

/* MM2: the chosen transform; answer with MM3 (KE, Ni, [NAT-D]). */
static enum bench_step mm2_input(const struct bench_cfg *cfg, struct bench_sa *sa,
				 const struct ikev1_msg *m, struct bench_result *res)
{
	struct ikev1_enc e;
	struct isakmp_hdr h;
	struct builder b;

	if (!p1_choice_ok(&cfg->v1, m) || (cfg->natt && !has_natt_vid(m)))
		return bench_failed(res, BENCH_FAIL_UNEXPECTED);
	memcpy(sa->spi_r, m->hdr.spi_r, 8);
	hdr_for(sa, &h, ISAKMP_XCHG_IDPROT, 0);
	bld_init(&b, 0);
	ikev1_enc_begin(&e, &b, &h);
	ikev1_put_data(&e, ISAKMP_NP_KE, (struct span){sa->v1->gxi, cfg->group->pub_len});
	ikev1_put_data(&e, ISAKMP_NP_NONCE, (struct span){sa->ni, sizeof(sa->ni)});
	sa->state = BSA_MM3;
	if (cfg->natt && put_natd(cfg, sa, &e) < 0) {
		bld_free(&b);
		return bench_failed(res, BENCH_FAIL_LOCAL);
	}
	return take_clear(sa, &e, &b) < 0 ? bench_failed(res, BENCH_FAIL_LOCAL) : BENCH_STEP_SEND;
}

/* SKEYID for a pre-shared key, SKEYID_d/a/e, the cipher key and the
 * phase 1 IV (RFC 2409 5, appendix B) from the responder's KE. */
static enum bench_step derive_keys(const struct bench_cfg *cfg, struct bench_sa *sa,
				   struct bench_result *res)
{
	struct bench_v1_sa *v = sa->v1;
	const struct dh_key *dh = cfg->fresh_dh ? sa->dh : cfg->dh;
	struct span ni = {sa->ni, sizeof(sa->ni)}, nr = {sa->nr, sa->nr_len};
	struct span gxi = {v->gxi, cfg->group->pub_len}, gxr = {v->gxr, v->gxr_len};
	struct secret *gxy = NULL, *skeyid = NULL;
	uint8_t iv[64];
	int r;

	if (dh_derive(dh, v->gxr, v->gxr_len, &gxy) < 0)
		return bench_failed(res, BENCH_FAIL_DH);
	r = ikev1_skeyid_psk(cfg->prf, (struct span){cfg->psk->data, cfg->psk->len}, ni, nr,
			     &skeyid);
	if (r == 0)
		r = ikev1_keys_derive(cfg->prf, skeyid, (struct span){gxy->data, gxy->len},
				      sa->spi_i, sa->spi_r, cfg->v1.enc_key_len, &v->keys);
	if (r == 0)
		r = ikev1_phase1_iv(cfg->prf, gxi, gxr, cfg->encr->block_size, iv);
	secret_free(gxy);
	secret_free(skeyid);
	if (cfg->fresh_dh) { /* the private value is not needed any more */
		dh_key_free(sa->dh);
		sa->dh = NULL;
	}
	if (r < 0)
		return bench_failed(res, BENCH_FAIL_LOCAL);
	memcpy(v->iv, iv, cfg->encr->block_size);
	return BENCH_STEP_IGNORE;
}

/* MM4: KE and Nr; the keys, then MM5 (IDii, HASH_I) encrypted. */
static enum bench_step mm4_input(const struct bench_cfg *cfg, struct bench_sa *sa,
				 const struct ikev1_msg *m, struct bench_result *res)
{
	const struct ikev1_payload *ke = ikev1_msg_get(m, ISAKMP_NP_KE, 0);
	const struct ikev1_payload *no = ikev1_msg_get(m, ISAKMP_NP_NONCE, 0);
	uint8_t idb[4 + IDENT_MAX_LEN], hash[64];
	struct bench_v1_sa *v = sa->v1;
	struct ikev1_enc e;
	struct isakmp_hdr h;
	struct builder b;
	enum bench_step st;
	size_t idb_len;
	int r;

	if (!ke || !no || ke->u.data.len != cfg->group->pub_len ||
	    no->u.data.len < IKEV1_NONCE_MIN || no->u.data.len > sizeof(sa->nr))
		return bench_failed(res, BENCH_FAIL_UNEXPECTED);
	memcpy(v->gxr, ke->u.data.p, ke->u.data.len);
	v->gxr_len = ke->u.data.len;
	memcpy(sa->nr, no->u.data.p, no->u.data.len);
	sa->nr_len = no->u.data.len;
	st = derive_keys(cfg, sa, res);
	if (st != BENCH_STEP_IGNORE)
		return st;
	if (bench_id_body(cfg, sa->seq, idb, &idb_len) < 0 ||
	    ikev1_hash_i(cfg->prf, v->keys.skeyid, (struct span){v->gxi, cfg->group->pub_len},
			 (struct span){v->gxr, v->gxr_len}, sa->spi_i, sa->spi_r,
			 (struct span){cfg->v1.sai_b, cfg->v1.sai_b_len},
			 (struct span){idb, idb_len}, hash) < 0)
		return bench_failed(res, BENCH_FAIL_LOCAL);
	bld_init(&b, 0);
	ikev1_enc_begin_chain(&e, &b);
	ikev1_put_id(&e, &(struct ikev1_id){.type = idb[0], .data = {idb + 4, idb_len - 4}});
	ikev1_put_data(&e, ISAKMP_NP_HASH, (struct span){hash, cfg->prf->out_len});
	r = ikev1_enc_end(&e);
	hdr_for(sa, &h, ISAKMP_XCHG_IDPROT, 0);
	if (r == 0 && bld_ok(&b))
		r = seal(cfg, sa, &h, e.first, bld_data(&b), bld_off(&b), v->iv);
	else
		r = -ENOBUFS;
	bld_free(&b);
	sa->state = BSA_MM5;
	sa->floated = cfg->natt; /* RFC 3947 4: to port 4500 from message 5 on */
	return r < 0 ? bench_failed(res, BENCH_FAIL_LOCAL) : BENCH_STEP_SEND;
}

/* The Quick Mode ESP offer: our SPI, one transform (RFC 2407 4.5). */
static void put_esp_sa(const struct bench_cfg *cfg, const struct bench_sa *sa, struct ikev1_enc *e)
{
	const struct bench_v1_cfg *v = &cfg->v1;

	ikev1_sa_begin(e, ISAKMP_DOI_IPSEC, IPSEC_SIT_IDENTITY_ONLY);
	ikev1_prop_begin(e, &(struct ikev1_prop){.number = 1,
						 .protocol = IPSEC_PROTO_ESP,
						 .spi = {sa->child_spi, 4}});
	ikev1_xform_begin(e, &(struct ikev1_xform){.number = 1, .id = (uint8_t)v->esp_id});
	ikev1_attr_tv(e, IPSEC_ATTR_SA_LIFE_TYPE, IKEV1_LIFE_SECONDS);
	ikev1_attr_num(e, IPSEC_ATTR_SA_LIFE_DURATION, V1_QM_LIFE_S);
	ikev1_attr_tv(e, IPSEC_ATTR_ENCAP_MODE,
		      cfg->natt ? IPSEC_ENCAP_UDP_TUNNEL : IPSEC_ENCAP_TUNNEL); /* RFC 3947 5.1 */
	ikev1_attr_tv(e, IPSEC_ATTR_AUTH_ALG, v->auth_alg);
	if (v->esp_key_bits)
		ikev1_attr_tv(e, IPSEC_ATTR_KEY_LENGTH, v->esp_key_bits);
	ikev1_xform_end(e);
	ikev1_prop_end(e);
	ikev1_sa_end(e);
}

/* HASH payload of prf->out_len octets whose next payload is `first`, then
 * rest: the chain of a protected Quick Mode message (RFC 2409 5.5). */
static int hash_first(const struct bench_cfg *cfg, const uint8_t *hash, uint8_t first,
		      const uint8_t *rest, size_t rest_len, struct builder *b)
{
	bld_u8(b, first);
	bld_u8(b, 0);
	bld_u16(b, (uint16_t)(4 + cfg->prf->out_len));
	bld_bytes(b, hash, cfg->prf->out_len);
	bld_bytes(b, rest, rest_len);
	return bld_err(b);
}

/* QM1: HASH(1), SA, Ni, IDci, IDcr with a fresh message ID and its own IV
 * chain. IDci is the SA's own inner address, 10.0.0.0 + number + 1, as a
 * remote-access client's (the responder's child must take 10.0.0.0/8),
 * IDcr the responder's address. Not our own address: a responder that
 * routes the remote selector into its tunnel (strongSwan's libipsec) would
 * route its IKE packets to us there. */
static int build_qm1(const struct bench_cfg *cfg, struct bench_sa *sa)
{
	struct bench_v1_sa *v = sa->v1;
	struct ikev1_enc e;
	struct isakmp_hdr h;
	struct builder rest, b;
	uint8_t hash[64], iv[64], ci[4];
	uint32_t inner = 0x0a000000u + sa->seq + 1;
	int r;

	ci[0] = (uint8_t)(inner >> 24);
	ci[1] = (uint8_t)(inner >> 16);
	ci[2] = (uint8_t)(inner >> 8);
	ci[3] = (uint8_t)inner;
	do {
		if (rand_bytes((uint8_t *)&v->qm_msgid, sizeof(v->qm_msgid)) < 0)
			return -EIO;
	} while (v->qm_msgid == 0);
	r = ikev1_phase2_iv(cfg->prf, (struct span){v->iv, cfg->encr->block_size}, v->qm_msgid, iv);
	if (r < 0)
		return r;
	memcpy(v->qm_iv, iv, cfg->encr->block_size);
	bld_init(&rest, 0);
	ikev1_enc_begin_chain(&e, &rest);
	put_esp_sa(cfg, sa, &e);
	ikev1_put_data(&e, ISAKMP_NP_NONCE, (struct span){v->qm_ni, sizeof(v->qm_ni)});
	ikev1_put_id(&e, &(struct ikev1_id){.type = IPSEC_ID_IPV4_ADDR, .data = {ci, 4}});
	ikev1_put_id(&e, &(struct ikev1_id){.type = IPSEC_ID_IPV4_ADDR,
					    .data = {(const uint8_t *)&cfg->target.sin_addr, 4}});
	r = ikev1_enc_end(&e);
	if (r == 0)
		r = ikev1_qm_hash1(cfg->prf, v->keys.skeyid_a, v->qm_msgid,
				   (struct span){bld_data(&rest), bld_off(&rest)}, hash);
	bld_init(&b, 0);
	if (r == 0)
		r = hash_first(cfg, hash, e.first, bld_data(&rest), bld_off(&rest), &b);
	hdr_for(sa, &h, IKEV1_XCHG_QUICK, v->qm_msgid);
	if (r == 0)
		r = seal(cfg, sa, &h, ISAKMP_NP_HASH, bld_data(&b), bld_off(&b), v->qm_iv);
	bld_free(&rest);
	bld_free(&b);
	sa->state = BSA_QM1;
	return r;
}

/* MM6: IDir and HASH_R, which must verify; then QM1 (or done). */
static enum bench_step mm6_input(const struct bench_cfg *cfg, struct bench_sa *sa,
				 struct ikev1_msg *m, uint8_t *plain, struct bench_result *res)
{
	struct bench_v1_sa *v = sa->v1;
	const struct ikev1_payload *id, *hp;
	uint8_t want[64], next_iv[V1_IV_MAX];
	uint16_t en;

	if (open_body(cfg, sa, m, v->iv, plain, next_iv) < 0)
		return bench_failed(res, BENCH_FAIL_BAD_MESSAGE);
	memcpy(v->iv, next_iv, cfg->encr->block_size);
	id = ikev1_msg_get(m, ISAKMP_NP_ID, 0);
	hp = ikev1_msg_get(m, ISAKMP_NP_HASH, 0);
	en = error_notify(m);
	if (!id || !hp)
		return en ? bench_failed_notify(res, en) : bench_failed(res, BENCH_FAIL_UNEXPECTED);
	if (hp->u.data.len != cfg->prf->out_len ||
	    ikev1_hash_r(cfg->prf, v->keys.skeyid, (struct span){v->gxi, cfg->group->pub_len},
			 (struct span){v->gxr, v->gxr_len}, sa->spi_i, sa->spi_r,
			 (struct span){cfg->v1.sai_b, cfg->v1.sai_b_len}, id->body, want) < 0 ||
	    CRYPTO_memcmp(want, hp->u.data.p, cfg->prf->out_len) != 0)
		return bench_failed(res, BENCH_FAIL_RESPONDER_AUTH);
	if (cfg->mode == BENCH_MODE_V1_MAIN)
		return BENCH_STEP_DONE;
	return build_qm1(cfg, sa) < 0 ? bench_failed(res, BENCH_FAIL_LOCAL) : BENCH_STEP_SEND;
}

/* The responder's ESP choice: one proposal of ESP with a 4-octet SPI and
 * our transform (RFC 2409 5.5). */
static bool qm_choice_ok(const struct bench_v1_cfg *v, const struct ikev1_msg *m)
{
	const struct ikev1_payload *p = ikev1_msg_get(m, ISAKMP_NP_SA, 0);
	struct ikev1_iter pi, ti;
	struct ikev1_prop prop;
	struct ikev1_xform t;
	struct ikev1_attr a;
	uint64_t val = 0;

	if (!p || p->u.sa.nprops != 1 || p->u.sa.nxforms != 1)
		return false;
	ikev1_props_begin(&pi, &p->u.sa);
	if (ikev1_prop_next(&pi, &prop) != 1 || prop.protocol != IPSEC_PROTO_ESP ||
	    prop.spi.len != 4)
		return false;
	ikev1_xforms_begin(&ti, &prop);
	if (ikev1_xform_next(&ti, &t) != 1 || t.id != v->esp_id)
		return false;
	return ikev1_xform_attr(&t, IPSEC_ATTR_AUTH_ALG, &a) == 1 &&
	       ikev1_attr_u64(&a, &val) == 0 && val == v->auth_alg;
}

/* QM2: HASH(2) must verify; then QM3, the last message. */
static enum bench_step qm2_input(const struct bench_cfg *cfg, struct bench_sa *sa,
				 struct ikev1_msg *m, uint8_t *plain, struct bench_result *res)
{
	struct bench_v1_sa *v = sa->v1;
	const struct ikev1_payload *hp, *no;
	uint8_t want[64], next_iv[V1_IV_MAX];
	const uint8_t *end;
	struct isakmp_hdr h;
	struct builder b;
	int r;

	if (open_body(cfg, sa, m, v->qm_iv, plain, next_iv) < 0)
		return bench_failed(res, BENCH_FAIL_BAD_MESSAGE);
	hp = ikev1_msg_get(m, ISAKMP_NP_HASH, 0);
	no = ikev1_msg_get(m, ISAKMP_NP_NONCE, 0);
	/* HASH(2) = prf(SKEYID_a, M-ID | Ni_b | the message after HASH) */
	end = plain + m->encrypted.len - m->padding.len;
	if (!hp || hp->offset != 28 || hp->u.data.len != cfg->prf->out_len ||
	    plain + hp->length > end ||
	    ikev1_qm_hash2(cfg->prf, v->keys.skeyid_a, v->qm_msgid,
			   (struct span){v->qm_ni, sizeof(v->qm_ni)},
			   (struct span){plain + hp->length, (size_t)(end - plain - hp->length)},
			   want) < 0 ||
	    CRYPTO_memcmp(want, hp->u.data.p, cfg->prf->out_len) != 0)
		return bench_failed(res, BENCH_FAIL_RESPONDER_AUTH);
	memcpy(v->qm_iv, next_iv, cfg->encr->block_size);
	if (!no || no->u.data.len < IKEV1_NONCE_MIN || no->u.data.len > sizeof(v->qm_nr) ||
	    !qm_choice_ok(&cfg->v1, m))
		return bench_failed(res, BENCH_FAIL_UNEXPECTED);
	memcpy(v->qm_nr, no->u.data.p, no->u.data.len);
	v->qm_nr_len = no->u.data.len;
	/* QM3: HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b) */
	r = ikev1_qm_hash3(cfg->prf, v->keys.skeyid_a, v->qm_msgid,
			   (struct span){v->qm_ni, sizeof(v->qm_ni)},
			   (struct span){v->qm_nr, v->qm_nr_len}, want);
	bld_init(&b, 0);
	if (r == 0)
		r = hash_first(cfg, want, ISAKMP_NP_NONE, NULL, 0, &b);
	hdr_for(sa, &h, IKEV1_XCHG_QUICK, v->qm_msgid);
	if (r == 0)
		r = seal(cfg, sa, &h, ISAKMP_NP_HASH, bld_data(&b), bld_off(&b), v->qm_iv);
	bld_free(&b);
	return r < 0 ? bench_failed(res, BENCH_FAIL_LOCAL) : BENCH_STEP_SEND_DONE;
}

/* An Informational exchange (RFC 2409 5.7): an error notification ends
 * the handshake with its type. In clear before the keys exist; after, in
 * its own IV chain from the last phase 1 block. The bench believes it
 * without checking its HASH(1): a forged one can only fail a bench SA. */
static enum bench_step info_input(const struct bench_cfg *cfg, struct bench_sa *sa,
				  struct ikev1_msg *m, uint8_t *plain, struct bench_result *res)
{
	uint8_t iv[64];
	uint16_t en;

	if (m->hdr.flags & ISAKMP_FLAG_E) {
		if (!sa->v1->keys.enc_key ||
		    ikev1_phase2_iv(cfg->prf, (struct span){sa->v1->iv, cfg->encr->block_size},
				    m->hdr.msg_id, iv) < 0 ||
		    open_body(cfg, sa, m, iv, plain, NULL) < 0)
			return BENCH_STEP_IGNORE;
	}
	en = error_notify(m);
	if (!en)
		return BENCH_STEP_IGNORE;
	res->notify = en;
	return BENCH_STEP_FAILED;
}

enum bench_step bench_ikev1_input(const struct bench_cfg *cfg, struct bench_sa *sa,
				  const uint8_t *buf, size_t len, struct bench_result *res)
{
	static struct ikev1_msg m;	  /* single-threaded loop: one of each */
	static uint8_t plain[65536 - 28]; /* a decrypted body */
	struct wire_err werr;

	res->fail = BENCH_FAIL_LOCAL;
	res->notify = 0;
	if (ikev1_msg_decode(buf, len, &m, &werr) < 0 || m.encrypted.len > sizeof(plain))
		return BENCH_STEP_IGNORE; /* garbage does not end a handshake */
	if (sa->state != BSA_MM1 && memcmp(m.hdr.spi_r, sa->spi_r, 8) != 0)
		return BENCH_STEP_IGNORE;
	if (m.hdr.exchange == ISAKMP_XCHG_INFO)
		return info_input(cfg, sa, &m, plain, res);
	/* otherwise only the answer to our last message: a repeated earlier
	 * one (the responder's retransmission) is dropped */
	switch (sa->state) {
	case BSA_MM1:
		if (m.hdr.exchange == ISAKMP_XCHG_IDPROT && !(m.hdr.flags & ISAKMP_FLAG_E) &&
		    ikev1_msg_get(&m, ISAKMP_NP_SA, 0))
			return mm2_input(cfg, sa, &m, res);
		break;
	case BSA_MM3:
		if (m.hdr.exchange == ISAKMP_XCHG_IDPROT && !(m.hdr.flags & ISAKMP_FLAG_E) &&
		    ikev1_msg_get(&m, ISAKMP_NP_KE, 0))
			return mm4_input(cfg, sa, &m, res);
		break;
	case BSA_MM5:
		if (m.hdr.exchange == ISAKMP_XCHG_IDPROT && (m.hdr.flags & ISAKMP_FLAG_E))
			return mm6_input(cfg, sa, &m, plain, res);
		break;
	case BSA_QM1:
		if (m.hdr.exchange == IKEV1_XCHG_QUICK && m.hdr.msg_id == sa->v1->qm_msgid)
			return qm2_input(cfg, sa, &m, plain, res);
		break;
	default:
		break;
	}
	return BENCH_STEP_IGNORE;
}
