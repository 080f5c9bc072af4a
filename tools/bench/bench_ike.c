/* bench_ike.c: the messages of one IKEv2 handshake of oak-bench (RFC 7296
 * 1.2): IKE_SA_INIT, then IKE_AUTH with a pre-shared key, with a CHILD SA or
 * without one (RFC 6023). The bench is a real initiator: it derives the IKE
 * SA keys, encrypts and authenticates IKE_AUTH, and believes an IKE SA
 * established only when the responder's AUTH verifies.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "crypto/alg.h"
#include "crypto/ident.h"
#include "crypto/rand.h"
#include "lib/builder.h"
#include "lib/mono_time.h"
#include "wire/ikev2.h"

static const char *const fail_names[BENCH_FAIL_COUNT] = {
	[BENCH_FAIL_TIMEOUT] = "TIMEOUT",
	[BENCH_FAIL_BAD_MESSAGE] = "BAD_MESSAGE",
	[BENCH_FAIL_UNEXPECTED] = "UNEXPECTED_ANSWER",
	[BENCH_FAIL_RESPONDER_AUTH] = "RESPONDER_AUTH_MISMATCH",
	[BENCH_FAIL_DH] = "BAD_KE_VALUE",
	[BENCH_FAIL_NO_CHILD] = "NO_CHILD_SA",
	[BENCH_FAIL_LOCAL] = "LOCAL_ERROR",
	[BENCH_FAIL_COOKIE] = "COOKIE",
};

const char *bench_fail_name(enum bench_fail f)
{
	return (unsigned)f < BENCH_FAIL_COUNT ? fail_names[f] : "?";
}

enum bench_step bench_failed(struct bench_result *res, enum bench_fail f)
{
	res->fail = f;
	res->notify = 0;
	return BENCH_STEP_FAILED;
}

enum bench_step bench_failed_notify(struct bench_result *res, uint16_t type)
{
	res->notify = type;
	return BENCH_STEP_FAILED;
}

/* The algorithms of the one IKE proposal we offer. */
static int setup_algs(struct bench_cfg *cfg, char *err, size_t errlen)
{
	const struct proposal_transform *te = proposal_get(&cfg->ike, IKEV2_TRANS_ENCR);
	const struct proposal_transform *tp = proposal_get(&cfg->ike, IKEV2_TRANS_PRF);
	const struct proposal_transform *ti = proposal_get(&cfg->ike, IKEV2_TRANS_INTEG);
	const struct proposal_transform *tk = proposal_get(&cfg->ike, IKEV2_TRANS_KE);

	if (!te || !tp || !tk) {
		snprintf(err, errlen, "the IKE proposal needs an encryption, a PRF and a DH group");
		return -EINVAL;
	}
	cfg->encr = encr_by_ikev2_id(te->id);
	cfg->prf = prf_by_ikev2_id(tp->id);
	cfg->group = dh_group_by_id(tk->id);
	cfg->integ = ti ? integ_by_ikev2_id(ti->id) : NULL;
	if (!cfg->encr || !cfg->prf || !cfg->group || (!cfg->encr->aead && !cfg->integ)) {
		snprintf(err, errlen, "the IKE proposal names an algorithm oak-bench cannot use");
		return -EINVAL;
	}
	cfg->encr_bits = te->key_bits;
	cfg->klen.sk_d = cfg->prf->key_len;
	cfg->klen.sk_p = cfg->prf->key_len;
	cfg->klen.sk_a = cfg->encr->aead ? 0 : cfg->integ->key_len;
	cfg->klen.sk_e = encr_keymat_len(cfg->encr, te->key_bits);
	if (!cfg->klen.sk_e) {
		snprintf(err, errlen, "key length %u does not fit %s", te->key_bits,
			 cfg->encr->name);
		return -EINVAL;
	}
	return 0;
}

int bench_ike_setup(struct bench_cfg *cfg, const char *ike, const char *esp, const char *psk,
		    char *err, size_t errlen)
{
	int r;

	r = proposal_parse(ike, PROPOSAL_PROTO_IKE, &cfg->ike, err, errlen);
	if (r == 0)
		r = proposal_parse(esp, PROPOSAL_PROTO_ESP, &cfg->esp, err, errlen);
	if (r == 0)
		r = setup_algs(cfg, err, errlen);
	if (r < 0)
		return r;
	if (!cfg->key)
		cfg->psk = secret_from(psk, strlen(psk));
	if ((!cfg->key && !cfg->psk) || rand_bytes(cfg->spi_tag, sizeof(cfg->spi_tag)) < 0) {
		snprintf(err, errlen, "out of memory or randomness");
		return -ENOMEM;
	}
	if (!cfg->fresh_dh) {
		cfg->dh = dh_keygen(cfg->group);
		if (!cfg->dh) {
			snprintf(err, errlen, "cannot make a %s key", cfg->group->name);
			return -EIO;
		}
	}
	return 0;
}

void bench_ike_cleanup(struct bench_cfg *cfg)
{
	dh_key_free(cfg->dh);
	cfg->dh = NULL;
	secret_free(cfg->psk);
	cfg->psk = NULL;
	sig_key_free(cfg->key);
	cfg->key = NULL;
	sig_pubkey_free(cfg->peer_pub);
	cfg->peer_pub = NULL;
	free(cfg->cert);
	cfg->cert = NULL;
	free(cfg->v1.sai_b);
	cfg->v1.sai_b = NULL;
}

/* A certificate file, PEM or DER, as DER (caller frees). */
static int cert_der(const char *path, uint8_t **out, size_t *out_len)
{
	FILE *f = fopen(path, "rb");
	X509 *x;
	int len;

	if (!f)
		return -errno;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	if (!x) {
		rewind(f);
		x = d2i_X509_fp(f, NULL);
	}
	fclose(f);
	*out = NULL;
	len = x ? i2d_X509(x, out) : -1;
	X509_free(x);
	if (len <= 0)
		return -EINVAL;
	*out_len = (size_t)len;
	return 0;
}

int bench_ike_certs(struct bench_cfg *cfg, const char *key, const char *cert, const char *peer_cert,
		    char *err, size_t errlen)
{
	uint8_t *peer = NULL;
	size_t peer_len = 0;
	int r;

	r = sig_key_load_file(key, NULL, &cfg->key);
	if (r < 0) {
		snprintf(err, errlen, "cannot load the private key %s: %s", key, strerror(-r));
		return r;
	}
	if (sig_key_type(cfg->key) != SIG_KEY_ECDSA_P256) {
		snprintf(err, errlen, "expected an ECDSA P-256 key in %s (RFC 4754 method 9)", key);
		return -EINVAL;
	}
	r = cert_der(cert, &cfg->cert, &cfg->cert_len);
	if (r < 0) {
		snprintf(err, errlen, "expected an X.509 certificate (PEM or DER) in %s", cert);
		return r;
	}
	r = cert_der(peer_cert, &peer, &peer_len);
	if (r == 0)
		r = sig_pubkey_from_cert(peer, peer_len, &cfg->peer_pub);
	OPENSSL_free(peer);
	if (r < 0)
		snprintf(err, errlen, "expected the responder's certificate in %s", peer_cert);
	return r;
}

void bench_ike_release(struct bench_sa *sa)
{
	uint16_t slot;

	dh_key_free(sa->dh);
	free(sa->tx);
	free(sa->msg1);
	free(sa->msg2);
	ikev2_ike_keys_free(&sa->keys);
	if (sa->v1) {
		ikev1_keys_free(&sa->v1->keys);
		free(sa->v1);
	}
	slot = sa->slot;
	memset(sa, 0, sizeof(*sa)); /* BSA_FREE */
	sa->slot = slot;
}

static const struct dh_key *sa_dh(const struct bench_cfg *cfg, const struct bench_sa *sa)
{
	return cfg->fresh_dh ? sa->dh : cfg->dh;
}

static void put_proposal(struct ikev2_enc *e, const struct proposal *p, const uint8_t *spi,
			 size_t spi_len)
{
	struct ikev2_proposal wp;

	memset(&wp, 0, sizeof(wp));
	wp.num = 1;
	wp.protocol = p->protocol;
	wp.spi = (struct span){spi, spi_len};
	ikev2_put_sa_begin(e);
	ikev2_put_proposal(e, &wp);
	for (unsigned i = 0; i < p->ntrans; i++)
		ikev2_put_transform_id(e, p->trans[i].type, p->trans[i].id, p->trans[i].key_bits);
	ikev2_put_sa_end(e);
}

static void put_notify(struct ikev2_enc *e, uint16_t type, const uint8_t *data, size_t len)
{
	struct ikev2_notify n;

	memset(&n, 0, sizeof(n));
	n.type = type;
	n.data = (struct span){data, len};
	ikev2_put_notify(e, &n);
}

static void set_tx(struct bench_sa *sa, uint8_t *msg, size_t len)
{
	free(sa->tx);
	sa->tx = msg;
	sa->tx_len = len;
	sa->sends = 0;
}

/* NAT_DETECTION_*_IP data (RFC 7296 2.23): SHA-1(SPIi | SPIr | IP | port),
 * SPIr zero in the IKE_SA_INIT request. */
static void natd_hash(const struct bench_sa *sa, const struct sockaddr_in *a, uint16_t port,
		      uint8_t out[SHA_DIGEST_LENGTH])
{
	uint8_t in[8 + 8 + 4 + 2];

	memcpy(in, sa->spi_i, 8);
	memset(in + 8, 0, 8);
	memcpy(in + 16, &a->sin_addr, 4);
	memcpy(in + 20, &port, 2); /* network order, as in sin_port */
	SHA1(in, sizeof(in), out);
}

/* With --natt, NAT detection that says "the initiator is behind a NAT": the
 * source hash is of a port we do not use, so the responder turns on UDP
 * encapsulation and expects IKE_AUTH on port 4500 (2.23). */
static void put_natd(const struct bench_cfg *cfg, const struct bench_sa *sa, struct ikev2_enc *e)
{
	uint8_t h[SHA_DIGEST_LENGTH];

	natd_hash(sa, &cfg->source, (uint16_t)(cfg->source.sin_port ^ 0x5a5a), h);
	put_notify(e, IKEV2_N_NAT_DETECTION_SOURCE_IP, h, sizeof(h));
	natd_hash(sa, &cfg->target, cfg->target.sin_port, h);
	put_notify(e, IKEV2_N_NAT_DETECTION_DESTINATION_IP, h, sizeof(h));
}

/* IKE_SA_INIT request (RFC 7296 1.2): [N(COOKIE)], SA, KE, Ni,
 * [N(NAT_DETECTION_*)], [N(CHILDLESS_IKEV2_SUPPORTED)]. A copy stays in msg1
 * for AUTH (2.15). */
static int build_init(const struct bench_cfg *cfg, struct bench_sa *sa)
{
	uint8_t pub[BENCH_MAX_PUB];
	struct isakmp_hdr h;
	struct ikev2_enc e;
	struct ikev2_ke ke;
	struct builder b;
	size_t len;
	uint8_t *msg;
	int r;

	r = dh_public(sa_dh(cfg, sa), pub, sizeof(pub));
	if (r < 0)
		return r;
	memset(&h, 0, sizeof(h));
	memcpy(h.spi_i, sa->spi_i, 8);
	h.major = 2;
	h.exchange = IKEV2_EXCH_IKE_SA_INIT;
	h.flags = IKEV2_FLAG_I;
	bld_init(&b, 0);
	ikev2_msg_encode_begin(&e, &b, &h);
	if (sa->cookie_len) /* RFC 7296 2.6: the cookie comes first */
		put_notify(&e, IKEV2_N_COOKIE, sa->cookie, sa->cookie_len);
	put_proposal(&e, &cfg->ike, NULL, 0);
	memset(&ke, 0, sizeof(ke));
	ke.group = cfg->group->id;
	ke.data = (struct span){pub, cfg->group->pub_len};
	ikev2_put_ke(&e, &ke);
	ikev2_put_nonce(&e, (struct span){sa->ni, sizeof(sa->ni)});
	if (cfg->natt)
		put_natd(cfg, sa, &e);
	if (cfg->mode == BENCH_MODE_CHILDLESS)
		put_notify(&e, IKEV2_N_CHILDLESS_IKEV2_SUPPORTED, NULL, 0);
	r = ikev2_msg_encode_end(&e);
	if (r < 0) {
		bld_free(&b);
		return r;
	}
	msg = bld_take(&b, &len);
	if (!msg)
		return -ENOMEM;
	free(sa->msg1);
	sa->msg1 = malloc(len);
	if (!sa->msg1) {
		free(msg);
		return -ENOMEM;
	}
	memcpy(sa->msg1, msg, len);
	sa->msg1_len = len;
	set_tx(sa, msg, len);
	sa->msg_id = 0;
	sa->state = BSA_INIT;
	return 0;
}

int bench_ike_start(const struct bench_cfg *cfg, struct bench_sa *sa, uint32_t seq)
{
	uint16_t slot = sa->slot;

	memset(sa, 0, sizeof(*sa));
	sa->slot = slot;
	sa->seq = seq;
	/* RFC 7296 2.6: SPIs need only be unique; the slot and number in them
	 * find the SA of an answer without a lookup */
	sa->spi_i[0] = cfg->spi_tag[0];
	sa->spi_i[1] = cfg->spi_tag[1];
	sa->spi_i[2] = (uint8_t)(slot >> 8);
	sa->spi_i[3] = (uint8_t)slot;
	sa->spi_i[4] = (uint8_t)(seq >> 24);
	sa->spi_i[5] = (uint8_t)(seq >> 16);
	sa->spi_i[6] = (uint8_t)(seq >> 8);
	sa->spi_i[7] = (uint8_t)seq;
	if (rand_bytes(sa->ni, sizeof(sa->ni)) < 0 || rand_bytes(sa->child_spi, 4) < 0)
		return -EIO;
	if (cfg->fresh_dh) {
		sa->dh = dh_keygen(cfg->group);
		if (!sa->dh)
			return -EIO;
	}
	sa->t_start = mono_ns();
	return build_init(cfg, sa);
}

/* The first error Notify (types below 16384, RFC 7296 3.10.1), or 0. */
static uint16_t error_notify(const struct ikev2_msg *m)
{
	const struct ikev2_payload *p = NULL;

	while ((p = ikev2_msg_find(m, IKEV2_PL_N, p)))
		if (p->n.type < 16384)
			return p->n.type;
	return 0;
}

/* The responder chose exactly one proposal, and every transform in it is one
 * we offered (RFC 7296 3.3.6). */
static bool chosen_ok(const struct proposal *offer, const struct ikev2_sa *sa)
{
	struct ikev2_iter pit, tit;
	struct ikev2_proposal p;
	struct ikev2_transform t;

	if (sa->n_proposals != 1)
		return false;
	ikev2_sa_proposals(sa, &pit);
	if (!ikev2_proposal_next(&pit, &p) || p.protocol != offer->protocol)
		return false;
	ikev2_proposal_transforms(&p, &tit);
	while (ikev2_transform_next(&tit, &t)) {
		int kb = ikev2_transform_key_length(&t);

		if (!proposal_has(offer, t.type, t.id, (uint16_t)(kb > 0 ? kb : 0)))
			return false;
	}
	return true;
}

/* SKEYSEED and the IKE SA keys (RFC 7296 2.14) from the responder's KE. */
static enum bench_step derive_keys(const struct bench_cfg *cfg, struct bench_sa *sa,
				   const struct ikev2_ke *ke, struct bench_result *res)
{
	struct secret *gir = NULL, *skeyseed = NULL;
	struct span ni = {sa->ni, sizeof(sa->ni)}, nr = {sa->nr, sa->nr_len};
	int r;

	if (ke->group != cfg->group->id || ke->data.len != cfg->group->pub_len)
		return bench_failed(res, BENCH_FAIL_UNEXPECTED);
	if (dh_derive(sa_dh(cfg, sa), ke->data.p, ke->data.len, &gir) < 0)
		return bench_failed(res, BENCH_FAIL_DH);
	r = ikev2_skeyseed(cfg->prf, ni, nr, (struct span){gir->data, gir->len}, &skeyseed);
	if (r == 0)
		r = ikev2_ike_keys_derive(cfg->prf, skeyseed, ni, nr, sa->spi_i, sa->spi_r,
					  &cfg->klen, &sa->keys);
	secret_free(gir);
	secret_free(skeyseed);
	if (cfg->fresh_dh) { /* the private value is not needed any more */
		dh_key_free(sa->dh);
		sa->dh = NULL;
	}
	return r < 0 ? bench_failed(res, BENCH_FAIL_LOCAL) : BENCH_STEP_IGNORE;
}

/* Encrypt an inner chain into an SK message (RFC 7296 3.14; RFC 5282 5.1
 * for AEAD: the associated data is the header through the SK header). */
static int sk_seal(const struct bench_cfg *cfg, const struct bench_sa *sa, uint8_t exchange,
		   const uint8_t *chain, size_t chain_len, uint8_t first, uint8_t **out,
		   size_t *out_len)
{
	const struct encr_alg *ea = cfg->encr;
	size_t bs = ea->block_size ? ea->block_size : 1;
	size_t pad = (bs - (chain_len + 1) % bs) % bs, plen = chain_len + pad + 1;
	size_t icv = ea->aead ? ea->icv_len : cfg->integ->icv_len, body_off;
	struct isakmp_hdr h;
	struct ikev2_enc e;
	struct builder b;
	uint8_t *msg, *body, *p;
	int r;

	memset(&h, 0, sizeof(h));
	memcpy(h.spi_i, sa->spi_i, 8);
	memcpy(h.spi_r, sa->spi_r, 8);
	h.major = 2;
	h.exchange = exchange;
	h.flags = IKEV2_FLAG_I;
	h.msg_id = sa->msg_id;
	bld_init(&b, 0);
	ikev2_msg_encode_begin(&e, &b, &h);
	ikev2_put_sk(&e, first, NULL, ea->iv_len + plen + icv, &body_off);
	r = ikev2_msg_encode_end(&e);
	msg = (uint8_t *)bld_data(&b);
	if (r < 0 || !msg) {
		bld_free(&b);
		return r < 0 ? r : -ENOMEM;
	}
	body = msg + body_off;
	p = body + ea->iv_len;
	r = rand_bytes(body, ea->iv_len);
	memcpy(p, chain, chain_len);
	memset(p + chain_len, 0, pad);
	p[chain_len + pad] = (uint8_t)pad;
	if (r == 0 && ea->aead) {
		struct span aad = {msg, body_off};

		r = encr_encrypt(ea, sa->keys.sk_ei->data, sa->keys.sk_ei->len, body, ea->iv_len,
				 &aad, 1, p, plen, p, p + plen);
	} else if (r == 0) {
		struct span whole = {msg, body_off + ea->iv_len + plen};

		r = encr_encrypt(ea, sa->keys.sk_ei->data, sa->keys.sk_ei->len, body, ea->iv_len,
				 NULL, 0, p, plen, p, NULL);
		if (r == 0)
			r = integ_compute(cfg->integ, sa->keys.sk_ai->data, sa->keys.sk_ai->len,
					  &whole, 1, p + plen);
	}
	if (r < 0) {
		bld_free(&b);
		return r;
	}
	*out = bld_take(&b, out_len);
	return *out ? 0 : -ENOMEM;
}

/* Host-to-host selectors (RFC 7296 3.13.1): the responder narrows as it likes. */
static void put_ts(const struct bench_cfg *cfg, struct ikev2_enc *e)
{
	const struct sockaddr_in *ends[2] = {&cfg->source, &cfg->target};
	uint8_t pl[2] = {IKEV2_PL_TSI, IKEV2_PL_TSR};

	for (int i = 0; i < 2; i++) {
		struct ikev2_ts ts;

		memset(&ts, 0, sizeof(ts));
		ts.type = IKEV2_TS_IPV4_ADDR_RANGE;
		ts.end_port = 65535;
		ts.start = (struct span){(const uint8_t *)&ends[i]->sin_addr, 4};
		ts.end = ts.start;
		ikev2_put_ts(e, pl[i], &ts, 1);
	}
}

int bench_id_body(const struct bench_cfg *cfg, uint32_t seq, uint8_t *out, size_t *len)
{
	char text[256], err[128];
	struct ident id;

	const char *u = strstr(cfg->id_fmt, "%u"); /* at most one: the option parser */

	if (u)
		snprintf(text, sizeof(text), "%.*s%u%s", (int)(u - cfg->id_fmt), cfg->id_fmt, seq,
			 u + 2);
	else
		snprintf(text, sizeof(text), "%s", cfg->id_fmt);
	if (ident_parse(text, &id, err, sizeof(err)) < 0 || id.type == 0)
		return -EINVAL;
	out[0] = id.type;
	memset(out + 1, 0, 3);
	memcpy(out + 4, id.data, id.len);
	*len = 4 + (size_t)id.len;
	return 0;
}

/* Our AUTH payload over the signed octets (RFC 7296 2.15): the PSK value
 * into authv (caller's, 64 bytes), or an RFC 4754 ECDSA-256 signature r | s
 * into *sig (caller frees). a borrows one of them. */
static int auth_value(const struct bench_cfg *cfg, const struct secret *octets, uint8_t *authv,
		      uint8_t **sig, struct ikev2_auth *a)
{
	struct span part = {octets->data, octets->len};
	size_t sig_len = 0;
	int r;

	if (!cfg->key) {
		a->method = IKEV2_AUTH_METHOD_SHARED_KEY_MIC;
		a->data = (struct span){authv, cfg->prf->out_len};
		return ikev2_psk_auth(cfg->prf, (struct span){cfg->psk->data, cfg->psk->len}, part,
				      authv);
	}
	r = sig_sign(cfg->key, SIG_ECDSA_P256_RS, &part, 1, sig, &sig_len);
	a->method = IKEV2_AUTH_METHOD_ECDSA_SHA256_P256;
	a->data = (struct span){*sig, sig_len};
	return r;
}

/* IKE_AUTH request (RFC 7296 1.2): SK { IDi, [CERT], AUTH, [SA, TSi, TSr] }. */
static int build_auth(const struct bench_cfg *cfg, struct bench_sa *sa)
{
	uint8_t idb[4 + IDENT_MAX_LEN], authv[64], *sig = NULL;
	struct secret *octets = NULL;
	struct ikev2_enc e;
	struct ikev2_id id;
	struct ikev2_auth auth;
	struct builder b;
	size_t idb_len, len = 0;
	uint8_t first, *msg = NULL;
	int r;

	r = bench_id_body(cfg, sa->seq, idb, &idb_len);
	if (r == 0)
		r = ikev2_signed_octets(cfg->prf, (struct span){sa->msg1, sa->msg1_len},
					(struct span){sa->nr, sa->nr_len}, sa->keys.sk_pi,
					(struct span){idb, idb_len}, &octets);
	memset(&auth, 0, sizeof(auth));
	if (r == 0)
		r = auth_value(cfg, octets, authv, &sig, &auth);
	secret_free(octets);
	if (r < 0)
		return r;
	memset(&id, 0, sizeof(id));
	id.type = idb[0];
	id.data = (struct span){idb + 4, idb_len - 4};
	bld_init(&b, 0);
	ikev2_chain_encode_begin(&e, &b);
	ikev2_put_id(&e, IKEV2_PL_IDI, &id);
	if (cfg->key) {
		struct ikev2_cert c = {IKEV2_CERT_X509_SIGNATURE, {cfg->cert, cfg->cert_len}};

		ikev2_put_cert(&e, IKEV2_PL_CERT, &c);
	}
	ikev2_put_auth(&e, &auth);
	free(sig);
	if (cfg->mode == BENCH_MODE_CHILD) {
		put_proposal(&e, &cfg->esp, sa->child_spi, 4);
		put_ts(cfg, &e);
	}
	r = ikev2_chain_encode_end(&e, &first);
	if (r == 0) {
		sa->msg_id = 1;
		r = sk_seal(cfg, sa, IKEV2_EXCH_IKE_AUTH, bld_data(&b), bld_off(&b), first, &msg,
			    &len);
	}
	bld_free(&b);
	if (r < 0)
		return r;
	set_tx(sa, msg, len);
	sa->state = BSA_AUTH;
	return 0;
}

static enum bench_step init_input(const struct bench_cfg *cfg, struct bench_sa *sa,
				  const uint8_t *buf, size_t len, const struct ikev2_msg *m,
				  struct bench_result *res)
{
	const struct ikev2_payload *sap, *kep, *nrp, *ck;
	enum bench_step st;
	uint16_t en;

	ck = ikev2_msg_find_notify(m, IKEV2_N_COOKIE);
	if (ck && cfg->no_cookies) /* what a flood from spoofed addresses gets back */
		return bench_failed(res, BENCH_FAIL_COOKIE);
	/* a cookie of a sane size (2.6 says 1-64 octets), and no endless loop */
	if (ck &&
	    (ck->n.data.len < 1 || ck->n.data.len > sizeof(sa->cookie) || ++sa->cookie_rounds > 3))
		return bench_failed(res, BENCH_FAIL_UNEXPECTED);
	if (ck) {
		/* RFC 7296 2.6: send the request again with the cookie first */
		memcpy(sa->cookie, ck->n.data.p, ck->n.data.len);
		sa->cookie_len = ck->n.data.len;
		return build_init(cfg, sa) < 0 ? bench_failed(res, BENCH_FAIL_LOCAL)
					       : BENCH_STEP_SEND;
	}
	en = error_notify(m);
	if (en)
		return bench_failed_notify(res, en);
	sap = ikev2_msg_find(m, IKEV2_PL_SA, NULL);
	kep = ikev2_msg_find(m, IKEV2_PL_KE, NULL);
	nrp = ikev2_msg_find(m, IKEV2_PL_NONCE, NULL);
	if (!sap || !kep || !nrp || !chosen_ok(&cfg->ike, &sap->sa))
		return bench_failed(res, BENCH_FAIL_UNEXPECTED);
	memcpy(sa->spi_r, m->hdr.spi_r, 8);
	sa->announced_childless =
		ikev2_msg_find_notify(m, IKEV2_N_CHILDLESS_IKEV2_SUPPORTED) != NULL;
	if (cfg->mode == BENCH_MODE_INIT_ONLY)
		return BENCH_STEP_DONE;
	memcpy(sa->nr, nrp->nonce.p, nrp->nonce.len);
	sa->nr_len = nrp->nonce.len;
	sa->msg2 = malloc(len);
	if (!sa->msg2)
		return bench_failed(res, BENCH_FAIL_LOCAL);
	memcpy(sa->msg2, buf, len);
	sa->msg2_len = len;
	st = derive_keys(cfg, sa, &kep->ke, res);
	if (st != BENCH_STEP_IGNORE)
		return st;
	return build_auth(cfg, sa) < 0 ? bench_failed(res, BENCH_FAIL_LOCAL) : BENCH_STEP_SEND;
}

/* Check the ICV and decrypt the SK payload of m (RFC 7296 3.14), then decode
 * the inner payloads into m. plain (caller's buffer of len bytes) keeps them. */
static int sk_open(const struct bench_cfg *cfg, const struct bench_sa *sa, const uint8_t *buf,
		   size_t len, struct ikev2_msg *m, uint8_t *plain)
{
	const struct encr_alg *ea = cfg->encr;
	const struct ikev2_payload *sk;
	size_t icv = ea->aead ? ea->icv_len : cfg->integ->icv_len, body_off, clen, pad;
	size_t bs = ea->block_size ? ea->block_size : 1;
	const uint8_t *iv, *ct;
	struct wire_err werr;
	int r;

	if (m->sk < 0)
		return -EBADMSG;
	sk = &m->pl[m->sk];
	body_off = sk->off + IKEV2_PL_HDR_LEN;
	if (sk->type != IKEV2_PL_SK || sk->sk.data.len < ea->iv_len + icv + 1 ||
	    body_off + sk->sk.data.len != len)
		return -EBADMSG;
	clen = sk->sk.data.len - ea->iv_len - icv;
	if (clen % bs)
		return -EBADMSG;
	iv = buf + body_off;
	ct = iv + ea->iv_len;
	if (ea->aead) {
		struct span aad = {buf, body_off};

		r = encr_decrypt(ea, sa->keys.sk_er->data, sa->keys.sk_er->len, iv, ea->iv_len,
				 &aad, 1, ct, clen, plain, ct + clen);
	} else {
		struct span whole = {buf, len - icv};

		r = integ_verify(cfg->integ, sa->keys.sk_ar->data, sa->keys.sk_ar->len, &whole, 1,
				 buf + len - icv, icv);
		if (r == 0)
			r = encr_decrypt(ea, sa->keys.sk_er->data, sa->keys.sk_er->len, iv,
					 ea->iv_len, NULL, 0, ct, clen, plain, NULL);
	}
	if (r < 0)
		return r;
	pad = plain[clen - 1];
	if (pad + 1 > clen)
		return -EBADMSG;
	return ikev2_chain_decode(sk->sk.inner, (struct span){plain, clen - pad - 1},
				  body_off + ea->iv_len, m, &werr);
}

/* A responder's signature: RFC 4754 methods (9 for P-256) or RFC 7427
 * method 14, checked with the pinned key of --peer-cert. */
static bool signature_ok(const struct bench_cfg *cfg, const struct ikev2_auth *a,
			 const struct secret *octets)
{
	struct span part = {octets->data, octets->len}, sig = a->data;
	enum sig_scheme s;

	if (a->method == IKEV2_AUTH_METHOD_DIGITAL_SIGNATURE) {
		if (sig_auth_data_decode(a->data.p, a->data.len, &s, &sig, NULL) < 0)
			return false;
	} else {
		s = sig_scheme_ikev2_method(a->method);
	}
	return s != SIG_NONE && sig_verify(cfg->peer_pub, s, &part, 1, sig.p, sig.len) == 0;
}

/* The responder's AUTH (RFC 7296 2.15) over RealMessage2 | Ni | prf(SK_pr, IDr'). */
static bool responder_auth_ok(const struct bench_cfg *cfg, const struct bench_sa *sa,
			      const struct ikev2_payload *idr, const struct ikev2_payload *auth)
{
	uint8_t want[64];
	struct secret *octets = NULL;
	bool ok;

	if (cfg->psk && (auth->auth.method != IKEV2_AUTH_METHOD_SHARED_KEY_MIC ||
			 auth->auth.data.len != cfg->prf->out_len))
		return false;
	if (ikev2_signed_octets(cfg->prf, (struct span){sa->msg2, sa->msg2_len},
				(struct span){sa->ni, sizeof(sa->ni)}, sa->keys.sk_pr, idr->body,
				&octets) < 0)
		return false;
	if (cfg->psk)
		ok = ikev2_psk_auth(cfg->prf, (struct span){cfg->psk->data, cfg->psk->len},
				    (struct span){octets->data, octets->len}, want) == 0 &&
		     CRYPTO_memcmp(want, auth->auth.data.p, cfg->prf->out_len) == 0;
	else
		ok = signature_ok(cfg, &auth->auth, octets);
	secret_free(octets);
	return ok;
}

static enum bench_step auth_input(const struct bench_cfg *cfg, struct bench_sa *sa,
				  const uint8_t *buf, size_t len, struct ikev2_msg *m,
				  struct bench_result *res)
{
	const struct ikev2_payload *idr, *auth;
	uint8_t *plain = malloc(len);
	enum bench_step st;
	uint16_t en;

	if (!plain)
		return bench_failed(res, BENCH_FAIL_LOCAL);
	if (sk_open(cfg, sa, buf, len, m, plain) < 0) {
		free(plain);
		return bench_failed(res, BENCH_FAIL_BAD_MESSAGE);
	}
	idr = ikev2_msg_find(m, IKEV2_PL_IDR, NULL);
	auth = ikev2_msg_find(m, IKEV2_PL_AUTH, NULL);
	en = error_notify(m);
	if (!idr || !auth)
		st = en ? bench_failed_notify(res, en) : bench_failed(res, BENCH_FAIL_UNEXPECTED);
	else if (!responder_auth_ok(cfg, sa, idr, auth))
		st = bench_failed(res, BENCH_FAIL_RESPONDER_AUTH);
	else if (cfg->mode != BENCH_MODE_CHILD || ikev2_msg_find(m, IKEV2_PL_SA, NULL))
		st = BENCH_STEP_DONE; /* the IKE SA is up, and the CHILD SA if one was asked for */
	else
		st = en ? bench_failed_notify(res, en) : bench_failed(res, BENCH_FAIL_NO_CHILD);
	free(plain);
	return st;
}

enum bench_step bench_ike_input(const struct bench_cfg *cfg, struct bench_sa *sa,
				const uint8_t *buf, size_t len, struct bench_result *res)
{
	static struct ikev2_msg m; /* 4.6 KiB: one for the single-threaded loop */
	struct wire_err werr;
	uint8_t want;

	res->fail = BENCH_FAIL_LOCAL;
	res->notify = 0;
	if (ikev2_msg_decode(buf, len, &m, &werr) < 0)
		return BENCH_STEP_IGNORE; /* garbage does not end a handshake */
	want = sa->state == BSA_INIT ? IKEV2_EXCH_IKE_SA_INIT : IKEV2_EXCH_IKE_AUTH;
	if (!(m.hdr.flags & IKEV2_FLAG_R) || m.hdr.exchange != want || m.hdr.msg_id != sa->msg_id)
		return BENCH_STEP_IGNORE; /* a retransmitted answer, or the peer's request */
	if (sa->state == BSA_INIT)
		return init_input(cfg, sa, buf, len, &m, res);
	if (memcmp(m.hdr.spi_r, sa->spi_r, 8) != 0)
		return BENCH_STEP_IGNORE;
	return auth_input(cfg, sa, buf, len, &m, res);
}
