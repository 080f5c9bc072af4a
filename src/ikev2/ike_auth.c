/* ike_auth.c: the IKE_AUTH exchange (RFC 7296 1.2, 2.15, 2.21.2):
 *
 *   Initiator                         Responder
 *   HDR, SK {IDi, [N(INITIAL_CONTACT)], [IDr], AUTH,
 *            [N(USE_TRANSPORT_MODE)], SAi2, TSi, TSr}  -->
 *                                <--  HDR, SK {IDr, AUTH, [N(USE_TRANSPORT_MODE)],
 *                                              SAr2, TSi, TSr}
 *                                     (or N(AUTHENTICATION_FAILED) alone; or the
 *                                      IKE SA with a CHILD SA error notify)
 *
 * Authentication by pre-shared key (2.15): AUTH = prf(prf(PSK, "Key Pad for
 * IKEv2"), <SignedOctets>); by public key with certificates (cert_auth.c):
 * CERT payloads before AUTH, CERTREQ in the initiator's request, signatures
 * made and checked on the crypto job executor. Each side authenticates as
 * its own local { } says, so one side may use a PSK and the other a
 * certificate (asymmetric, as strongSwan allows).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2/exchange.h"
#include "lib/log.h"

/* An ID payload body: ID Type | RESERVED(3) | data (what prf(SK_p, ID')
 * covers, 2.15). Returns its length. */
static size_t id_body(const struct ident *id, uint8_t *buf)
{
	buf[0] = id->type;
	buf[1] = buf[2] = buf[3] = 0;
	memcpy(buf + 4, id->data, id->len);
	return 4u + id->len;
}

static bool ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* The PSK AUTH value of one side (2.15). `initiator` names whose AUTH:
 * RealMessage1 | Nr | prf(SK_pi, IDi') or RealMessage2 | Ni | prf(SK_pr, IDr'). */
static int psk_auth(const struct ikev2_ike_sa *sa, bool initiator, const struct secret *psk,
		    struct span idb, uint8_t *out)
{
	struct secret *octets = NULL;
	struct span msg = initiator ? (struct span){sa->init_req, sa->init_req_len}
				    : (struct span){sa->init_resp, sa->init_resp_len};
	struct span nonce =
		initiator ? (struct span){sa->nr, sa->nr_len} : (struct span){sa->ni, sa->ni_len};
	int r;

	r = ikev2_signed_octets(sa->prf, msg, nonce, initiator ? sa->keys.sk_pi : sa->keys.sk_pr,
				idb, &octets);
	if (r == 0)
		r = ikev2_psk_auth(sa->prf, (struct span){psk->data, psk->len},
				   (struct span){octets->data, octets->len}, out);
	secret_free(octets);
	return r;
}

/* The ID that PSK lookup and the log use for the peer before it spoke. */
static void expected_remote_id(const struct ikev2_ike_sa *sa, struct ident *out)
{
	ikev2_id_for(&sa->sa.conn->remote.id, &sa->sa.remote.addr, out);
}

/* Our ID for PSK authentication, from the config (or our address). 0 or
 * -ENOMEM. */
static int set_local_id(struct ikev2_ike_sa *sa, const struct conn_cfg *conn)
{
	struct ident me;

	ikev2_id_for(&conn->local.id, &sa->sa.local.addr, &me);
	return ike_sa_set_local_id(&sa->sa, &me);
}

static const struct secret *lookup_psk(const struct ikev2_ike_sa *sa, const struct ident *local,
				       const struct ident *remote)
{
	const struct secret *psk = oak_config_psk(sa->sa.config, local, remote);

	if (!psk) {
		char a[IDENT_STRLEN], b[IDENT_STRLEN];

		log_notice(SUB_IKE, "IKE SA #%u (%s): no PSK for local ID '%s' and remote ID '%s'",
			   sa->sa.serial, sa->sa.conn->name, ident_fmt(local, a, sizeof(a)),
			   ident_fmt(remote, b, sizeof(b)));
	}
	return psk;
}

/* Put AUTH for our side: the signature the job made, or with the PSK of
 * (local_id, remote). */
static int put_auth(struct ikev2_enc *enc, const struct ikev2_ike_sa *sa, struct span idb,
		    const struct ident *remote)
{
	uint8_t v[64];
	struct ikev2_auth a;
	const struct secret *psk;

	if (sa->sa.conn->local.auth == AUTH_PUBKEY)
		return ikev2_cert_put_auth(sa, enc);
	psk = lookup_psk(sa, ike_sa_local_id(&sa->sa), remote);
	if (!psk || psk_auth(sa, sa->sa.initiator, psk, idb, v) < 0)
		return -ENOENT;
	memset(&a, 0, sizeof(a));
	a.method = IKEV2_AUTH_METHOD_SHARED_KEY_MIC;
	a.data = (struct span){v, sa->prf->out_len};
	ikev2_put_auth(enc, &a);
	wipe(v, sizeof(v));
	return 0;
}

/* Check the peer's AUTH payload. 0, or -EPERM logged with the reason. */
static int verify_auth(const struct ikev2_ike_sa *sa, const struct ikev2_msg *m,
		       const struct ikev2_payload *idp, const struct ident *peer_id)
{
	const struct ikev2_payload *ap = ikev2_msg_find(m, IKEV2_PL_AUTH, NULL);
	const struct conn_cfg *conn = sa->sa.conn;
	const struct secret *psk;
	char who[IDENT_STRLEN];
	uint8_t want[64] = {0}; /* psk_auth fills prf->out_len bytes */
	bool ok;

	ident_fmt(peer_id, who, sizeof(who));
	if (!ap) {
		log_notice(SUB_IKE, "IKE SA #%u (%s): peer '%s' sent no AUTH payload",
			   sa->sa.serial, conn->name, who);
		return -EPERM;
	}
	if (ap->auth.method != IKEV2_AUTH_METHOD_SHARED_KEY_MIC) {
		log_notice(SUB_IKE,
			   "IKE SA #%u (%s): peer '%s' authenticates with method %u, we "
			   "expect PSK (2)",
			   sa->sa.serial, conn->name, who, ap->auth.method);
		return -EPERM;
	}
	psk = lookup_psk(sa, ike_sa_local_id(&sa->sa), peer_id);
	if (!psk || psk_auth(sa, !sa->sa.initiator, psk, idp->body, want) < 0)
		return -EPERM;
	ok = ap->auth.data.len == sa->prf->out_len &&
	     ct_equal(ap->auth.data.p, want, sa->prf->out_len);
	wipe(want, sizeof(want));
	if (!ok) {
		log_notice(SUB_IKE,
			   "IKE SA #%u (%s): AUTH of peer '%s' does not verify with the "
			   "PSK (the peer uses a different secret)",
			   sa->sa.serial, conn->name, who);
		return -EPERM;
	}
	return 0;
}

/* RFC 7296 2.4: INITIAL_CONTACT unless we have another IKE SA with the peer. */
struct other_ctx {
	const struct ikev2_ike_sa *self;
	bool found;
};

static void other_sa(struct ike_sa *isa, void *arg)
{
	struct other_ctx *x = arg;

	if (isa != &x->self->sa && isa->version == 2 &&
	    ip_addr_eq(&isa->remote.addr, &x->self->sa.remote.addr) &&
	    isa->state == IKE_SA_STATE_ESTABLISHED)
		x->found = true;
}

static void auth_request_resume(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now)
{
	if (ikev2_ike_auth_send_request(e, sa, now) == IKEV2_FATAL)
		ikev2_sa_delete(e, sa, "cannot send IKE_AUTH");
}

/* With a certificate, the signature job first; it calls back here. */
static int sign_first(struct ikev2_engine *e, struct ikev2_ike_sa *sa)
{
	uint8_t idb[4 + IDENT_MAX_LEN];
	struct span my_idb = {idb, 0};

	/* choosing our certificate may set our ID (its subject): body after */
	if (ikev2_cert_choose_own(sa) < 0)
		return -EPERM;
	my_idb.len = id_body(ike_sa_local_id(&sa->sa), idb);
	if (ikev2_cert_auth_start(e, sa, NULL, NULL, my_idb, auth_request_resume) < 0)
		return -EPERM;
	return 0;
}

static enum ikev2_result auth_request(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now)
{
	const struct conn_cfg *conn = sa->sa.conn;
	struct other_ctx x = {sa, false};
	struct ident remote;
	struct ikev2_id id;
	struct child_sa *c = NULL;
	struct builder b;
	struct ikev2_enc enc;
	uint8_t idb[4 + IDENT_MAX_LEN], first;
	size_t idb_len;
	int r;

	if (conn->local.auth == AUTH_PUBKEY && !ikev2_cert_pk_done(sa))
		return sign_first(e, sa) < 0 ? IKEV2_FATAL : IKEV2_OK;
	if (conn->local.auth != AUTH_PUBKEY && set_local_id(sa, conn) < 0)
		return IKEV2_FATAL;
	expected_remote_id(sa, &remote);
	idb_len = id_body(ike_sa_local_id(&sa->sa), idb);
	bld_init(&b, 0);
	ikev2_chain_encode_begin(&enc, &b);
	memset(&id, 0, sizeof(id));
	id.type = ike_sa_local_id(&sa->sa)->type;
	id.data = (struct span){ike_sa_local_id(&sa->sa)->data, ike_sa_local_id(&sa->sa)->len};
	ikev2_put_id(&enc, IKEV2_PL_IDI, &id);
	ikev2_cert_put_certs(sa, &enc);
	sa_table_foreach(&e->table, other_sa, &x);
	if (!x.found)
		ikev2_put_notify_data(&enc, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	ikev2_cert_put_certreq(sa, &enc);
	if (conn->remote.id.type != 0 && !conn->remote.id.wildcard) {
		id.type = conn->remote.id.type;
		id.data = (struct span){conn->remote.id.data, conn->remote.id.len};
		ikev2_put_id(&enc, IKEV2_PL_IDR, &id);
	}
	r = put_auth(&enc, sa, (struct span){idb, idb_len}, &remote);
	if (r == 0 && sa->req_child_cfg) {
		c = ikev2_child_offer(e, sa, sa->req_child_cfg, true);
		if (c) {
			ikev2_child_put_sa(&enc, sa, c, true);
			ikev2_child_put_ts(&enc, sa, c);
		}
	}
	if (r == 0)
		r = ikev2_chain_encode_end(&enc, &first);
	if (r == 0)
		r = ikev2_send_request(e, sa, IKEV2_EXCH_IKE_AUTH, bld_data(&b), bld_off(&b), first,
				       now);
	bld_free(&b);
	return r < 0 ? IKEV2_FATAL : IKEV2_OK;
}

enum ikev2_result ikev2_ike_auth_send_request(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					      uint64_t now)
{
	enum ikev2_result r;

	if (ikev2_cert_pk_busy(sa))
		return IKEV2_OK;
	r = auth_request(e, sa, now);
	if (!ikev2_cert_pk_busy(sa))
		ikev2_cert_pk_clear(sa);
	return r;
}

/* RFC 7296 2.4: the peer lost its state; other IKE SAs with the same
 * identities are stale. */
struct contact_ctx {
	const struct ikev2_ike_sa *self;
	uint32_t serials[64];
	size_t n;
};

static void stale_sa(struct ike_sa *isa, void *arg)
{
	struct contact_ctx *x = arg;

	if (isa != &x->self->sa && isa->version == 2 && x->n < 64 &&
	    isa->state == IKE_SA_STATE_ESTABLISHED &&
	    ident_eq(ike_sa_remote_id(isa), ike_sa_remote_id(&x->self->sa)) &&
	    ident_eq(ike_sa_local_id(isa), ike_sa_local_id(&x->self->sa)))
		x->serials[x->n++] = isa->serial;
}

static void initial_contact(struct ikev2_engine *e, struct ikev2_ike_sa *sa)
{
	struct contact_ctx x = {.self = sa};
	size_t i;

	sa_table_foreach(&e->table, stale_sa, &x);
	for (i = 0; i < x.n; i++) {
		struct ikev2_ike_sa *old = ikev2_sa_by_serial(e, x.serials[i]);

		if (old)
			ikev2_sa_delete(e, old, "replaced: the peer sent INITIAL_CONTACT");
	}
}

/* The connection for the peer's identities (strongSwan switches here when
 * several fit the addresses): the current one if it fits, else the first
 * that does. NULL (logged) when none does. */
static bool conn_fits(const struct conn_cfg *c, const struct ident *idi, const struct ident *idr,
		      int method)
{
	bool psk = method == IKEV2_AUTH_METHOD_SHARED_KEY_MIC;

	return (c->version == 0 || c->version == 2) && ident_match(&c->remote.id, idi) &&
	       (!idr || c->local.id.type == 0 || ident_match(&c->local.id, idr)) &&
	       (method < 0 || (c->remote.auth == AUTH_PSK) == psk);
}

static const struct conn_cfg *conn_search(const struct ikev2_ike_sa *sa, const struct ident *idi,
					  const struct ident *idr, int method)
{
	const struct oak_config *cfg = sa->sa.config;
	size_t i;

	if (conn_fits(sa->sa.conn, idi, idr, method))
		return sa->sa.conn;
	for (i = 0; i < cfg->nconns; i++) {
		const struct conn_cfg *c = &cfg->conns[i];
		size_t k;
		bool addr_ok = c->nremote_addrs == 0;

		for (k = 0; k < c->nremote_addrs; k++)
			addr_ok |= ip_addr_is_any(&c->remote_addrs[k]) ||
				   ip_addr_eq(&c->remote_addrs[k], &sa->sa.remote.addr);
		if (addr_ok && conn_fits(c, idi, idr, method))
			return c;
	}
	return NULL;
}

/* The connection for the peer's identities and AUTH method (strongSwan
 * switches here when several fit the addresses): the current one if it
 * fits, else the first that does; by identities alone when none has the
 * method (the AUTH check then says what differs). NULL (logged) when none
 * fits the identities. */
static const struct conn_cfg *conn_by_ids(const struct ikev2_ike_sa *sa, const struct ident *idi,
					  const struct ident *idr, int method)
{
	const struct oak_config *cfg = sa->sa.config;
	const struct conn_cfg *cur = sa->sa.conn, *c;
	char got[IDENT_STRLEN], want[IDENT_STRLEN];

	if ((c = conn_search(sa, idi, idr, method)) || (c = conn_search(sa, idi, idr, -1)))
		return c;
	if (idr && ident_match(&cur->remote.id, idi))
		log_notice(SUB_IKE,
			   "IKE SA #%u: peer asks for us as '%s' (IDr), connection %s is '%s'%s",
			   sa->sa.serial, ident_fmt(idr, got, sizeof(got)), cur->name,
			   ident_fmt(&cur->local.id, want, sizeof(want)),
			   cfg->nconns > 1 ? " (and no other connection fits)" : "");
	else
		log_notice(SUB_IKE,
			   "IKE SA #%u: peer identifies as '%s', connection %s expects '%s'%s",
			   sa->sa.serial, ident_fmt(idi, got, sizeof(got)), cur->name,
			   ident_fmt(&cur->remote.id, want, sizeof(want)),
			   cfg->nconns > 1 ? " (and no other connection fits)" : "");
	return NULL;
}

static enum ikev2_result auth_failed(struct ikev2_enc *reply)
{
	ikev2_put_notify_data(reply, IKEV2_N_AUTHENTICATION_FAILED, NULL, 0);
	return IKEV2_FATAL;
}

/* The peer's identity and the connection it selects; NULL (logged) when
 * none fits. */
static const struct conn_cfg *responder_conn(struct ikev2_ike_sa *sa, const struct ikev2_msg *m,
					     struct ident *idi)
{
	const struct ikev2_payload *idip = ikev2_msg_find(m, IKEV2_PL_IDI, NULL);
	const struct ikev2_payload *idrp = ikev2_msg_find(m, IKEV2_PL_IDR, NULL);
	const struct ikev2_payload *ap = ikev2_msg_find(m, IKEV2_PL_AUTH, NULL);
	const struct conn_cfg *conn;
	struct ident idr;
	char peer[IP_ADDR_STRLEN];

	ike_sa_peer(&sa->sa, peer, sizeof(peer));
	if (!idip || !ap) {
		log_notice(SUB_IKE, "IKE SA #%u %s: IKE_AUTH request without IDi or AUTH",
			   sa->sa.serial, peer);
		return NULL;
	}
	if (ident_from_wire(idip->id.type, idip->id.data.p, idip->id.data.len, idi) < 0) {
		log_notice(SUB_IKE, "IKE SA #%u %s: IDi of type %u is not an identity we read",
			   sa->sa.serial, peer, idip->id.type);
		return NULL;
	}
	if (idrp && ident_from_wire(idrp->id.type, idrp->id.data.p, idrp->id.data.len, &idr) < 0)
		idrp = NULL;
	conn = conn_by_ids(sa, idi, idrp ? &idr : NULL, ap->auth.method);
	if (conn && conn != sa->sa.conn) {
		log_info(SUB_IKE, "IKE SA #%u %s: switching to connection %s by identity",
			 sa->sa.serial, peer, conn->name);
		sa->sa.conn = conn;
	}
	return conn;
}

/* Install the CHILD SA of IKE_AUTH and answer for it (RFC 7296 1.2). */
static void responder_child(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct ikev2_rx *rx,
			    struct ikev2_enc *reply)
{
	struct child_sa *c;
	uint16_t ke_group;

	if (!ikev2_msg_find(rx->msg, IKEV2_PL_SA, NULL))
		return; /* RFC 6023 childless */
	c = ikev2_child_respond(e, sa, rx, true, reply, &ke_group, NULL);
	if (c && ikev2_child_install(e, sa, c, (struct span){sa->ni, sa->ni_len},
				     (struct span){sa->nr, sa->nr_len}, NULL, rx->now) < 0) {
		ikev2_put_notify_data(reply, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		c = NULL;
	}
	if (c) {
		ikev2_child_put_sa(reply, sa, c, true);
		ikev2_child_put_ts(reply, sa, c);
	}
}

static enum ikev2_result responder_auth(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					struct ikev2_rx *rx, struct ikev2_enc *reply)
{
	const struct ikev2_msg *m = rx->msg;
	const struct ikev2_payload *idip = ikev2_msg_find(m, IKEV2_PL_IDI, NULL);
	const struct conn_cfg *conn;
	struct ident idi;
	struct ikev2_id id;
	uint8_t idb[4 + IDENT_MAX_LEN];
	size_t idb_len;
	bool pk_local, pk_remote;

	conn = responder_conn(sa, m, &idi);
	if (!conn)
		return auth_failed(reply);
	pk_local = conn->local.auth == AUTH_PUBKEY;
	pk_remote = conn->remote.auth == AUTH_PUBKEY;
	if (!ikev2_cert_pk_done(sa)) {
		ikev2_cert_note_certreq(sa, m);
		if (pk_local && ikev2_cert_choose_own(sa) < 0)
			return auth_failed(reply);
	}
	if (!pk_local && set_local_id(sa, conn) < 0)
		return auth_failed(reply);
	if (!pk_remote && verify_auth(sa, m, idip, &idi) < 0)
		return auth_failed(reply);
	idb_len = id_body(ike_sa_local_id(&sa->sa), idb);
	if ((pk_local || pk_remote) && !ikev2_cert_pk_done(sa)) {
		/* the peer's chain and signature, and ours, on the job executor */
		if (ikev2_cert_auth_start(e, sa, rx, pk_remote ? idip : NULL,
					  (struct span){idb, pk_local ? idb_len : 0}, NULL) < 0)
			return auth_failed(reply);
		return IKEV2_SUSPEND;
	}
	if (pk_remote && ikev2_cert_auth_verdict(sa, &idi) < 0)
		return auth_failed(reply);
	if (ike_sa_set_remote_id(&sa->sa, &idi) < 0)
		return auth_failed(reply);
	memset(&id, 0, sizeof(id));
	id.type = ike_sa_local_id(&sa->sa)->type;
	id.data = (struct span){ike_sa_local_id(&sa->sa)->data, ike_sa_local_id(&sa->sa)->len};
	ikev2_put_id(reply, IKEV2_PL_IDR, &id);
	ikev2_cert_put_certs(sa, reply);
	if (put_auth(reply, sa, (struct span){idb, idb_len}, &idi) < 0)
		return auth_failed(reply);
	sa->sa.established_ms = rx->now;
	timers_cancel(&e->timers, sa->sa.serial, TIMER_TIMEOUT);
	ike_sa_set_state(&sa->sa, IKE_SA_STATE_ESTABLISHED);
	ikev2_ike_timers(e, sa, rx->now);
	if (ikev2_msg_find_notify(m, IKEV2_N_INITIAL_CONTACT))
		initial_contact(e, sa);
	responder_child(e, sa, rx, reply);
	return IKEV2_OK;
}

/* SK{IDi, [CERT], [CERTREQ], AUTH, SAi2, TSi, TSr} --> SK{IDr, [CERT], AUTH, SAr2, TSi, TSr} */
static enum ikev2_result ike_auth_inI2_outR2(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					     struct ikev2_rx *rx, struct ikev2_enc *reply)
{
	enum ikev2_result r = responder_auth(e, sa, rx, reply);

	if (r != IKEV2_SUSPEND)
		ikev2_cert_pk_clear(sa);
	return r;
}

/* Tell the responder we do not accept its AUTH (2.21.2) and give up. */
static enum ikev2_result reject_responder(struct ikev2_engine *e, struct ikev2_ike_sa *sa)
{
	struct builder b;
	struct ikev2_enc enc;
	uint8_t first;

	bld_init(&b, 0);
	ikev2_chain_encode_begin(&enc, &b);
	ikev2_put_notify_data(&enc, IKEV2_N_AUTHENTICATION_FAILED, NULL, 0);
	if (ikev2_chain_encode_end(&enc, &first) == 0)
		ikev2_send_oneshot(e, sa, bld_data(&b), bld_off(&b), first);
	bld_free(&b);
	return IKEV2_FATAL;
}

static void child_of_auth(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct ikev2_rx *rx)
{
	struct child_sa *c = sa->req_child ? sa_table_find_child(&e->table, sa->req_child) : NULL;
	const struct ikev2_payload *err = ikev2_error_notify(rx->msg);
	char nb[64];

	if (!c)
		return;
	sa->req_child = 0;
	if (err || !ikev2_msg_find(rx->msg, IKEV2_PL_SA, NULL)) {
		log_notice(SUB_IKE, "IKE SA #%u: CHILD SA %s not created: the peer answered %s",
			   sa->sa.serial, c->cfg->name,
			   err ? ikev2_notify_name(err->n.type, nb, sizeof(nb)) : "without an SA");
		ikev2_child_abort(e, sa, c);
		return;
	}
	if (ikev2_child_accept(e, sa, c, rx) < 0) {
		/* the responder installed its half: have it deleted (1.4.1) */
		struct ikev2_task t = {.kind = IKEV2_TASK_DELETE_SPI,
				       .serial = c->spi_in,
				       .protocol = c->protocol};

		ikev2_child_abort(e, sa, c);
		ikev2_task_add(e, sa, &t, rx->now);
		return;
	}
	ikev2_child_install(e, sa, c, (struct span){sa->ni, sa->ni_len},
			    (struct span){sa->nr, sa->nr_len}, NULL, rx->now);
}

static enum ikev2_result initiator_auth(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					struct ikev2_rx *rx)
{
	const struct ikev2_msg *m = rx->msg;
	const struct ikev2_payload *idrp = ikev2_msg_find(m, IKEV2_PL_IDR, NULL);
	const struct conn_cfg *conn = sa->sa.conn;
	const struct ikev2_payload *err = ikev2_error_notify(m);
	struct ident idr;
	char peer[IP_ADDR_STRLEN], nb[64], got[IDENT_STRLEN], want[IDENT_STRLEN];

	ike_sa_peer(&sa->sa, peer, sizeof(peer));
	if (!idrp || !ikev2_msg_find(m, IKEV2_PL_AUTH, NULL)) {
		log_notice(SUB_IKE, "IKE SA #%u %s (%s): IKE_AUTH failed: the peer answered %s",
			   sa->sa.serial, peer, conn->name,
			   err ? ikev2_notify_name(err->n.type, nb, sizeof(nb))
			       : "without IDr/AUTH");
		return IKEV2_FATAL;
	}
	if (ident_from_wire(idrp->id.type, idrp->id.data.p, idrp->id.data.len, &idr) < 0 ||
	    !ident_match(&conn->remote.id, &idr)) {
		log_notice(SUB_IKE,
			   "IKE SA #%u %s (%s): responder identifies as '%s', expected '%s'",
			   sa->sa.serial, peer, conn->name, ident_fmt(&idr, got, sizeof(got)),
			   ident_fmt(&conn->remote.id, want, sizeof(want)));
		return reject_responder(e, sa);
	}
	if (conn->remote.auth == AUTH_PUBKEY) {
		if (!ikev2_cert_pk_done(sa)) {
			if (ikev2_cert_auth_start(e, sa, rx, idrp, (struct span){NULL, 0}, NULL) <
			    0)
				return reject_responder(e, sa);
			return IKEV2_SUSPEND;
		}
		if (ikev2_cert_auth_verdict(sa, &idr) < 0)
			return reject_responder(e, sa);
	} else if (verify_auth(sa, m, idrp, &idr) < 0) {
		return reject_responder(e, sa);
	}
	if (ike_sa_set_remote_id(&sa->sa, &idr) < 0)
		return reject_responder(e, sa);
	sa->sa.established_ms = rx->now;
	ike_sa_set_state(&sa->sa, IKE_SA_STATE_ESTABLISHED);
	ikev2_ike_timers(e, sa, rx->now);
	child_of_auth(e, sa, rx);
	return IKEV2_OK;
}

/* SK{IDr, [CERT], AUTH, SAr2, TSi, TSr}: authenticate the responder, install the CHILD SA */
static enum ikev2_result ike_auth_inR2(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
				       struct ikev2_rx *rx, struct ikev2_enc *reply)
{
	enum ikev2_result r;

	(void)reply;
	r = initiator_auth(e, sa, rx);
	if (r != IKEV2_SUSPEND) {
		ikev2_cert_pk_clear(sa);
		ikev2_saved_clear(&sa->saved_resp); /* rx may point into it: last */
	}
	return r;
}

/* The IKE_AUTH transitions (RFC 7296 1.2). */
const struct ikev2_transition ikev2_ike_auth_transitions[] = {
	/* handler            exchange             response states
	 *   required payloads
	 *   optional payloads */
	{"ike_auth_inI2_outR2", IKEV2_EXCH_IKE_AUTH, false, IKEV2_ST(IKE_SA_STATE_INIT_R),
	 IKEV2_PLB(IKEV2_PL_IDI) | IKEV2_PLB(IKEV2_PL_AUTH),
	 IKEV2_PLB(IKEV2_PL_N) | IKEV2_PLB(IKEV2_PL_IDR) | IKEV2_PLB(IKEV2_PL_CERT) |
		 IKEV2_PLB(IKEV2_PL_CERTREQ) | IKEV2_PLB(IKEV2_PL_SA) | IKEV2_PLB(IKEV2_PL_TSI) |
		 IKEV2_PLB(IKEV2_PL_TSR) | IKEV2_PLB(IKEV2_PL_V),
	 ike_auth_inI2_outR2},
	{"ike_auth_inR2", IKEV2_EXCH_IKE_AUTH, true, IKEV2_ST(IKE_SA_STATE_AUTH_I),
	 IKEV2_PLB(IKEV2_PL_IDR) | IKEV2_PLB(IKEV2_PL_AUTH),
	 IKEV2_PLB(IKEV2_PL_N) | IKEV2_PLB(IKEV2_PL_CERT) | IKEV2_PLB(IKEV2_PL_SA) |
		 IKEV2_PLB(IKEV2_PL_TSI) | IKEV2_PLB(IKEV2_PL_TSR) | IKEV2_PLB(IKEV2_PL_V),
	 ike_auth_inR2},
};
const size_t ikev2_ike_auth_ntransitions =
	sizeof(ikev2_ike_auth_transitions) / sizeof(ikev2_ike_auth_transitions[0]);
