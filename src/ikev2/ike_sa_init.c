/* ike_sa_init.c: the IKE_SA_INIT exchange (RFC 7296 1.2, 2.6, 2.7, 2.10,
 * 2.14, 2.23):
 *
 *   Initiator                         Responder
 *   HDR, [N(COOKIE)], SAi1, KEi, Ni,
 *        N(NAT_DETECTION_*_IP)  -->
 *        [N(SIGNATURE_HASH_ALGORITHMS)]  -->
 *                                <--  HDR, SAr1, KEr, Nr, [CERTREQ], N(NAT_DETECTION_*_IP),
 *                                     [N(SIGNATURE_HASH_ALGORITHMS)]
 *                                     (or HDR, N(COOKIE) / N(INVALID_KE_PAYLOAD) /
 *                                      N(NO_PROPOSAL_CHOSEN), without state)
 *
 * NAT_D (2.23): with a NAT detected (or faked by encap = yes, which sends a
 * source hash that matches nothing) the initiator floats to the NAT-T port
 * before IKE_AUTH; the responder follows the peer (engine.c). ESP is then
 * UDP-encapsulated on those ports (child.c).
 *
 * SIGNATURE_HASH_ALGORITHMS (RFC 7427 4) and CERTREQ (RFC 7296 3.7) come
 * from cert_auth.c; IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383 2.3) and
 * CHILDLESS_IKEV2_SUPPORTED (RFC 6023 3) are announced here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/rand.h"
#include "ike/proposal_match.h"
#include "ikev2/exchange.h"
#include "lib/log.h"
#include "wire/ikev2_rules.h"

#define NONCE_LEN	     32
#define COOKIE_ROTATE_MS     120000 /* RFC 7296 2.6: change the secret regularly */
#define COOKIE_LEN	     33	    /* version octet | HMAC-SHA2-256 */
#define MAX_COOKIE_TRIES     3
#define HALF_OPEN_TIMEOUT_MS 30000

static const uint8_t zero_spi[8];

/* --- cookies (RFC 7296 2.6) --- */

static void cookie_rotate(struct ikev2_engine *e, uint64_t now)
{
	if (e->cookie_ready && now < e->cookie_rotate_ms)
		return;
	memcpy(e->cookie_secret[1], e->cookie_secret[0], sizeof(e->cookie_secret[0]));
	if (rand_bytes(e->cookie_secret[0], sizeof(e->cookie_secret[0])) < 0)
		return;
	if (!e->cookie_ready)
		memcpy(e->cookie_secret[1], e->cookie_secret[0], sizeof(e->cookie_secret[0]));
	e->cookie_version++;
	e->cookie_ready = true;
	e->cookie_rotate_ms = now + COOKIE_ROTATE_MS;
}

/* Cookie = <VersionIDofSecret> | prf(secret, Ni | IPi | SPIi) */
static int cookie_make(const struct ikev2_engine *e, unsigned which, struct span ni,
		       const struct ip_addr *ipi, const uint8_t spi_i[8], uint8_t out[COOKIE_LEN])
{
	struct span parts[3] = {ni, {ipi->a, ip_addr_len(ipi)}, {spi_i, 8}};

	out[0] = (uint8_t)(e->cookie_version - which);
	return prf_compute(&prf_hmac_sha2_256, e->cookie_secret[which],
			   sizeof(e->cookie_secret[which]), parts, 3, out + 1);
}

static bool cookie_valid(const struct ikev2_engine *e, const struct ikev2_rx *rx, struct span ni)
{
	const struct ikev2_msg *m = rx->msg;
	const struct ikev2_payload *c;
	uint8_t want[COOKIE_LEN];
	unsigned which;

	/* 2.6: N(COOKIE) comes first */
	if (m->n_outer == 0 || m->pl[0].type != IKEV2_PL_N || m->pl[0].n.type != IKEV2_N_COOKIE)
		return false;
	c = &m->pl[0];
	if (c->n.data.len != COOKIE_LEN)
		return false;
	which = c->n.data.p[0] == e->cookie_version ? 0 : 1;
	if (cookie_make(e, which, ni, &rx->remote.addr, m->hdr.spi_i, want) < 0)
		return false;
	return memcmp(want, c->n.data.p, COOKIE_LEN) == 0;
}

/* An answer without state: HDR(SPIi, 0), N(type). */
static void answer_stateless(struct ikev2_engine *e, const struct ikev2_rx *rx, uint16_t type,
			     const void *data, size_t len)
{
	struct builder b;
	struct ikev2_enc enc;
	uint8_t first, *out;
	size_t out_len;

	bld_init(&b, 0);
	ikev2_chain_encode_begin(&enc, &b);
	ikev2_put_notify_data(&enc, type, data, len);
	if (ikev2_chain_encode_end(&enc, &first) == 0 &&
	    ikev2_plain_seal(rx->msg->hdr.spi_i, zero_spi, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_R, 0,
			     bld_data(&b), bld_off(&b), first, &out, &out_len) == 0) {
		e->env.net->send(e->env.net->ctx, &rx->local, &rx->remote, out, out_len);
		free(out);
	}
	bld_free(&b);
}

/* --- which connection --- */

static bool addr_in(const struct ip_addr *a, const struct ip_addr *list, size_t n)
{
	size_t i;

	if (n == 0)
		return true;
	for (i = 0; i < n; i++)
		if (ip_addr_is_any(&list[i]) || ip_addr_eq(&list[i], a))
			return true;
	return false;
}

/* RFC 7296 has no rule; as strongSwan: the first connection whose addresses
 * fit (IKE_AUTH may switch by identities). */
static const struct conn_cfg *conn_by_addrs(const struct oak_config *cfg,
					    const struct ip_addr *local,
					    const struct ip_addr *remote)
{
	size_t i;

	for (i = 0; cfg && i < cfg->nconns; i++) {
		const struct conn_cfg *c = &cfg->conns[i];

		if ((c->version == 0 || c->version == 2) &&
		    addr_in(local, c->local_addrs, c->nlocal_addrs) &&
		    addr_in(remote, c->remote_addrs, c->nremote_addrs))
			return c;
	}
	return NULL;
}

/* --- keys --- */

int ikev2_sa_algs(struct ikev2_ike_sa *sa)
{
	const struct proposal *p = ike_sa_proposal(&sa->sa);
	const struct proposal_transform *te = proposal_get(p, IKEV2_TRANS_ENCR);
	const struct proposal_transform *ti = proposal_get(p, IKEV2_TRANS_INTEG);
	const struct proposal_transform *tp = proposal_get(p, IKEV2_TRANS_PRF);

	sa->encr = te ? encr_by_ikev2_id(te->id) : NULL;
	sa->encr_key_bits = te ? te->key_bits : 0;
	sa->integ = ti && ti->id != IKEV2_AUTH_NONE ? integ_by_ikev2_id(ti->id) : NULL;
	sa->prf = tp ? prf_by_ikev2_id(tp->id) : NULL;
	if (!sa->encr || !sa->prf || !encr_key_bits_ok(sa->encr, sa->encr_key_bits) ||
	    (!sa->encr->aead && !sa->integ) || (sa->encr->aead && sa->integ)) {
		log_err(SUB_IKE,
			"IKE SA #%u: the chosen proposal lacks an implemented "
			"encryption, integrity or PRF transform",
			sa->sa.serial);
		return -ENOTSUP;
	}
	return 0;
}

int ikev2_ike_keys(struct ikev2_engine *e, struct ikev2_ike_sa *sa, const struct secret *g_ir)
{
	struct secret *skeyseed = NULL;
	struct span ni = {sa->ni, sa->ni_len}, nr = {sa->nr, sa->nr_len};
	struct span gir = {g_ir->data, g_ir->len};
	int r;

	if ((r = ikev2_sa_algs(sa)) < 0)
		return r;
	r = ikev2_skeyseed(sa->prf, ni, nr, gir, &skeyseed);
	if (r == 0)
		r = ikev2_ike_keys_seeded(e, sa, skeyseed);
	secret_free(skeyseed);
	return r;
}

int ikev2_ike_keys_seeded(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
			  const struct secret *skeyseed)
{
	struct ikev2_key_lengths len;
	struct span ni = {sa->ni, sa->ni_len}, nr = {sa->nr, sa->nr_len};
	int r;

	if ((r = ikev2_sa_algs(sa)) < 0)
		return r;
	len.sk_d = len.sk_p = sa->prf->key_len;
	len.sk_a = sa->integ ? sa->integ->key_len : 0;
	len.sk_e = encr_keymat_len(sa->encr, sa->encr_key_bits);
	r = ikev2_ike_keys_derive(sa->prf, skeyseed, ni, nr, sa->sa.spi_i, sa->sa.spi_r, &len,
				  &sa->keys);
	if (r < 0) {
		log_err(SUB_IKE, "IKE SA #%u: key derivation failed: %s", sa->sa.serial,
			strerror(-r));
		return r;
	}
	sa->have_keys = true;
	if (e->env.keylog.ikev2) {
		struct ike_keylog_ikev2 k;

		memset(&k, 0, sizeof(k));
		memcpy(k.spi_i, sa->sa.spi_i, 8);
		memcpy(k.spi_r, sa->sa.spi_r, 8);
		k.encr_id = sa->encr->ikev2_id;
		k.encr_key_bits = sa->encr_key_bits;
		k.integ_id = sa->integ ? sa->integ->ikev2_id : 0;
		k.sk_ei = sa->keys.sk_ei->data;
		k.sk_er = sa->keys.sk_er->data;
		k.sk_e_len = sa->keys.sk_ei->len;
		k.sk_ai = sa->keys.sk_ai ? sa->keys.sk_ai->data : NULL;
		k.sk_ar = sa->keys.sk_ar ? sa->keys.sk_ar->data : NULL;
		k.sk_a_len = sa->keys.sk_ai ? sa->keys.sk_ai->len : 0;
		e->env.keylog.ikev2(e->env.keylog.ctx, &k);
	}
	return 0;
}

/* --- NAT detection (RFC 7296 2.23) --- */

#define NAT_T_PORT 4500 /* RFC 3948: the peer's NAT-T port */

static void put_nat_d(struct ikev2_enc *enc, const struct ikev2_ike_sa *sa)
{
	uint8_t h[20];
	int r;

	/* encap = yes, as strongSwan's: a source hash that matches nothing makes
	 * the peer see a NAT in front of us, so both float and encapsulate */
	if (sa->sa.conn && sa->sa.conn->encap)
		r = rand_bytes(h, sizeof(h));
	else
		r = ikev2_nat_hash(sa->sa.spi_i, sa->sa.spi_r, &sa->sa.local, h);
	if (r == 0)
		ikev2_put_notify_data(enc, IKEV2_N_NAT_DETECTION_SOURCE_IP, h, sizeof(h));
	if (ikev2_nat_hash(sa->sa.spi_i, sa->sa.spi_r, &sa->sa.remote, h) == 0)
		ikev2_put_notify_data(enc, IKEV2_N_NAT_DETECTION_DESTINATION_IP, h, sizeof(h));
}

/* Whether any N(type) of m holds the hash of ep with the message's SPIs. */
static bool nat_d_matches(const struct ikev2_msg *m, uint16_t type, const struct ip_endpoint *ep)
{
	const struct ikev2_payload *p = NULL;
	uint8_t h[20];

	if (ikev2_nat_hash(m->hdr.spi_i, m->hdr.spi_r, ep, h) < 0)
		return false;
	while ((p = ikev2_msg_find(m, IKEV2_PL_N, p)))
		if (p->n.type == type && p->n.data.len == 20 && memcmp(p->n.data.p, h, 20) == 0)
			return true;
	return false;
}

static void nat_detect(struct ikev2_ike_sa *sa, const struct ikev2_rx *rx)
{
	const struct ikev2_msg *m = rx->msg;
	char peer[IP_ADDR_STRLEN];

	/* a peer without NAT_D does not do NAT-T: no NAT, nothing forced */
	if (!ikev2_msg_find_notify(m, IKEV2_N_NAT_DETECTION_SOURCE_IP) ||
	    !ikev2_msg_find_notify(m, IKEV2_N_NAT_DETECTION_DESTINATION_IP))
		return;
	sa->sa.nat_remote = !nat_d_matches(m, IKEV2_N_NAT_DETECTION_SOURCE_IP, &rx->remote);
	sa->sa.nat_local = !nat_d_matches(m, IKEV2_N_NAT_DETECTION_DESTINATION_IP, &rx->local);
	sa->nat_forced = sa->sa.conn && sa->sa.conn->encap;
	ike_sa_peer(&sa->sa, peer, sizeof(peer));
	if (sa->sa.nat_remote || sa->sa.nat_local)
		log_info(SUB_IKE, "IKE SA #%u %s: NAT detected (%s%s%s)", sa->sa.serial, peer,
			 sa->sa.nat_local ? "in front of us" : "",
			 sa->sa.nat_local && sa->sa.nat_remote ? ", " : "",
			 sa->sa.nat_remote ? "in front of the peer" : "");
	else if (sa->nat_forced)
		log_info(SUB_IKE, "IKE SA #%u %s: no NAT detected, NAT-T forced (encap = yes)",
			 sa->sa.serial, peer);
}

/* RFC 7296 2.23: an initiator that detects a NAT "MUST tunnel all future
 * IKE and ESP packets associated with this IKE SA over UDP port 4500".
 * As strongSwan: our port moves when it is the IKE port, the peer's when it
 * is 500 (a port configured otherwise is kept). The net layer adds the
 * non-ESP marker because a port is the NAT-T port. */
static void nat_float(struct ikev2_engine *e, struct ikev2_ike_sa *sa)
{
	const struct daemon_cfg *d = ikev2_daemon_cfg(e);
	uint16_t ike_port = d->port ? d->port : 500;
	char peer[IP_ADDR_STRLEN];

	if (!ikev2_nat_traversal(sa))
		return;
	ike_sa_peer(&sa->sa, peer, sizeof(peer));
	if (!d->port_nat_t) {
		log_warn(SUB_IKE,
			 "IKE SA #%u %s: NAT traversal needed, but daemon.port_nat_t is 0: "
			 "staying on port %u",
			 sa->sa.serial, peer, sa->sa.local.port);
		return;
	}
	if (sa->sa.local.port == ike_port)
		sa->sa.local.port = d->port_nat_t;
	if (sa->sa.remote.port == 500)
		sa->sa.remote.port = NAT_T_PORT;
	log_info(SUB_IKE, "IKE SA #%u %s: floating to UDP %u -> %u (NAT-T)", sa->sa.serial, peer,
		 sa->sa.local.port, sa->sa.remote.port);
}

/* RFC 7427 4: the hashes the peer accepts for signatures. */
static void note_sig_hashes(struct ikev2_ike_sa *sa, const struct ikev2_msg *m)
{
	const struct ikev2_payload *p = ikev2_msg_find_notify(m, IKEV2_N_SIGNATURE_HASH_ALGORITHMS);
	size_t i;

	if (!p)
		return;
	for (i = 0; i + 1 < p->n.data.len; i += 2) {
		unsigned h = (unsigned)p->n.data.p[i] << 8 | p->n.data.p[i + 1];

		if (h < 16)
			sa->peer_sig_hashes |= (uint16_t)(1u << h);
	}
}

/* RFC 7383 2.3: fragmentation is on when both sent
 * IKEV2_FRAGMENTATION_SUPPORTED; we send it unless fragmentation = no (a
 * responder only in answer to the initiator's). */
static bool frag_announce(const struct ikev2_ike_sa *sa)
{
	return sa->sa.conn && sa->sa.conn->fragmentation != FRAG_NO &&
	       (sa->sa.initiator || sa->frag_peer);
}

static void put_frag(struct ikev2_enc *enc, const struct ikev2_ike_sa *sa)
{
	if (frag_announce(sa))
		ikev2_put_notify_data(enc, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
}

/* RFC 6023 3: an IKE SA without a CHILD SA in IKE_AUTH. oakd accepts one
 * always; the initiator says it wants one (a connection without children),
 * the responder answers that it supports it when asked. */
static void put_childless(struct ikev2_enc *enc, const struct ikev2_ike_sa *sa,
			  const struct ikev2_msg *req)
{
	if (sa->sa.initiator ? sa->req_child_cfg == NULL
			     : req && ikev2_msg_find_notify(req, IKEV2_N_CHILDLESS_IKEV2_SUPPORTED))
		ikev2_put_notify_data(enc, IKEV2_N_CHILDLESS_IKEV2_SUPPORTED, NULL, 0);
}

static void note_frag(struct ikev2_ike_sa *sa, const struct ikev2_msg *m)
{
	sa->frag_peer = sa->sa.conn && sa->sa.conn->fragmentation != FRAG_NO &&
			ikev2_msg_find_notify(m, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED);
}

/* --- responder --- */

/* The checks that keep no state (RFC 7296 2.6, 2.7): cookie, connection,
 * proposal, KE group. Then an SA is made and the transition runs. */
void ikev2_ike_sa_init_request(struct ikev2_engine *e, struct ikev2_rx *rx)
{
	const struct ikev2_msg *m = rx->msg;
	const struct daemon_cfg *d = ikev2_daemon_cfg(e);
	struct ike_sa *existing = sa_table_find_init(&e->table, m->hdr.spi_i, &rx->remote.addr);
	const struct ikev2_payload *sap, *ke, *nonce;
	const struct proposal_transform *dh;
	const struct conn_cfg *conn;
	struct proposal offered[PROPOSAL_MAX], chosen;
	struct ikev2_ike_sa *sa;
	struct wire_err err;
	char from[IP_ENDPOINT_STRLEN], why[512];
	size_t n;

	ip_endpoint_fmt(&rx->remote, from, sizeof(from));
	if (existing) {
		ikev2_dispatch(e, ikev2_sa_of(existing), rx); /* a retransmission */
		return;
	}
	if (m->hdr.msg_id != 0 || ikev2_rules_check(m, false, &err) < 0) {
		log_info(SUB_IKE, "IKE_SA_INIT request from %s dropped: %s", from,
			 m->hdr.msg_id ? "message ID not 0" : err.reason);
		return;
	}
	sap = ikev2_msg_find(m, IKEV2_PL_SA, NULL);
	ke = ikev2_msg_find(m, IKEV2_PL_KE, NULL);
	nonce = ikev2_msg_find(m, IKEV2_PL_NONCE, NULL);
	if (d->half_open_limit && sa_table_half_open(&e->table) >= d->half_open_limit) {
		log_warn(SUB_IKE, "IKE_SA_INIT from %s dropped: %u half-open SAs (limit)", from,
			 sa_table_half_open(&e->table));
		return;
	}
	if (sa_table_half_open(&e->table) >= d->cookie_threshold) {
		cookie_rotate(e, rx->now);
		if (!cookie_valid(e, rx, nonce->nonce)) {
			uint8_t c[COOKIE_LEN];

			if (cookie_make(e, 0, nonce->nonce, &rx->remote.addr, m->hdr.spi_i, c) ==
			    0) {
				log_debug(SUB_IKE, "IKE_SA_INIT from %s: demanding a cookie", from);
				answer_stateless(e, rx, IKEV2_N_COOKIE, c, sizeof(c));
			}
			return;
		}
	}
	conn = conn_by_addrs(e->config, &rx->local.addr, &rx->remote.addr);
	if (!conn) {
		char to[IP_ENDPOINT_STRLEN];

		log_notice(SUB_IKE, "IKE_SA_INIT from %s to %s: no connection for these addresses",
			   from, ip_endpoint_fmt(&rx->local, to, sizeof(to)));
		answer_stateless(e, rx, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	n = ikev2_proposals_from_sa(&sap->sa, offered, PROPOSAL_MAX);
	if (proposal_select(offered, n, conn->ike, conn->nike, &chosen, why, sizeof(why)) < 0) {
		log_notice(SUB_IKE, "IKE_SA_INIT from %s (connection %s): %s", from, conn->name,
			   why);
		answer_stateless(e, rx, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	dh = proposal_get(&chosen, IKEV2_TRANS_DH);
	if (!dh || !dh_group_by_id(dh->id)) {
		log_notice(SUB_IKE, "IKE_SA_INIT from %s: chosen proposal has no usable KE group",
			   from);
		answer_stateless(e, rx, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (ke->ke.group != dh->id) {
		uint8_t g[2] = {(uint8_t)(dh->id >> 8), (uint8_t)dh->id};

		/* 2.7: tell the initiator which group we want */
		log_info(SUB_IKE,
			 "IKE_SA_INIT from %s: KE of group %u, we chose group %u: "
			 "INVALID_KE_PAYLOAD",
			 from, ke->ke.group, dh->id);
		answer_stateless(e, rx, IKEV2_N_INVALID_KE_PAYLOAD, g, sizeof(g));
		return;
	}
	if (ke->ke.data.len != dh_group_by_id(dh->id)->pub_len) {
		log_notice(SUB_IKE, "IKE_SA_INIT from %s: KE data of %zu bytes, group %u needs %zu",
			   from, ke->ke.data.len, dh->id, dh_group_by_id(dh->id)->pub_len);
		answer_stateless(e, rx, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	sa = ikev2_sa_create(e, false, &rx->local, &rx->remote, m->hdr.spi_i, rx->now);
	if (!sa)
		return;
	ike_sa_set_config(&sa->sa, e->config, conn);
	if (ike_sa_set_proposal(&sa->sa, &chosen) < 0) {
		ikev2_sa_delete(e, sa, "out of memory");
		return;
	}
	sa->dh_resp.group = dh_group_by_id(dh->id);
	timers_set(&e->timers, sa->sa.serial, TIMER_TIMEOUT, rx->now + HALF_OPEN_TIMEOUT_MS);
	ikev2_dispatch(e, sa, rx);
}

void ikev2_ike_sa_init_unsupported(struct ikev2_engine *e, struct ikev2_rx *rx)
{
	const struct ikev2_msg *m = rx->msg;
	uint8_t type = m->unsupported_critical;
	char from[IP_ENDPOINT_STRLEN];

	ip_endpoint_fmt(&rx->remote, from, sizeof(from));
	if (m->hdr.msg_id != 0) {
		log_info(SUB_IKE, "IKE_SA_INIT request from %s dropped: message ID not 0", from);
		return;
	}
	/* 2.5: reject the whole message, the payload type as notification data */
	log_notice(SUB_IKE,
		   "IKE_SA_INIT from %s has payload type %u marked critical, which we do not "
		   "know: UNSUPPORTED_CRITICAL_PAYLOAD",
		   from, type);
	answer_stateless(e, rx, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, &type, 1);
}

/* HDR, SAi1, KEi, Ni --> (DH job) --> HDR, SAr1, KEr, Nr, N(NAT_D)... */
static enum ikev2_result ike_sa_init_inI1_outR1(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
						struct ikev2_rx *rx, struct ikev2_enc *reply)
{
	const struct ikev2_msg *m = rx->msg;
	const struct ikev2_payload *ke = ikev2_msg_find(m, IKEV2_PL_KE, NULL);
	const struct ikev2_payload *ni = ikev2_msg_find(m, IKEV2_PL_NONCE, NULL);
	struct ikev2_ke kr;

	if (!sa->saved_req.buf) {
		/* first pass: remember what the job and AUTH need, run the DH job */
		nat_detect(sa, rx);
		note_sig_hashes(sa, m);
		note_frag(sa, m);
		if (ikev2_nonce_set(&sa->ni, &sa->ni_len, ni->nonce.p, ni->nonce.len) < 0 ||
		    ikev2_save(&sa->saved_req, rx) < 0 ||
		    ikev2_dh_submit(e, sa, &sa->dh_resp, ke->ke.data.p, ke->ke.data.len,
				    &sa->saved_req, NULL) < 0) {
			ikev2_sa_delete(e, sa, "cannot run the DH job (busy)");
			return IKEV2_IGNORE;
		}
		return IKEV2_SUSPEND;
	}
	if (sa->dh_resp.err || !sa->dh_resp.shared) {
		char peer[IP_ADDR_STRLEN];

		log_notice(SUB_IKE, "IKE SA #%u %s: the peer's KE value was refused", sa->sa.serial,
			   ike_sa_peer(&sa->sa, peer, sizeof(peer)));
		ikev2_put_notify_data(reply, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return IKEV2_FATAL;
	}
	if (ikev2_nonce_set(&sa->nr, &sa->nr_len, NULL, NONCE_LEN) < 0 ||
	    ikev2_ike_keys(e, sa, sa->dh_resp.shared) < 0) {
		ikev2_put_notify_data(reply, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return IKEV2_FATAL;
	}
	free(sa->init_req); /* RealMessage1 */
	sa->init_req = malloc(rx->len);
	if (!sa->init_req)
		return IKEV2_FATAL;
	memcpy(sa->init_req, rx->buf, rx->len);
	sa->init_req_len = rx->len;
	ikev2_put_proposals(reply, ike_sa_proposal(&sa->sa), 1, NULL, 0, true, false);
	memset(&kr, 0, sizeof(kr));
	kr.group = sa->dh_resp.group->id;
	kr.data = (struct span){sa->dh_resp.pub, sa->dh_resp.group->pub_len};
	ikev2_put_ke(reply, &kr);
	ikev2_put_nonce(reply, (struct span){sa->nr, sa->nr_len});
	ikev2_cert_put_certreq(sa, reply);
	put_nat_d(reply, sa);
	ikev2_cert_put_sig_hashes(e, sa, reply);
	put_frag(reply, sa);
	put_childless(reply, sa, rx->msg);
	ikev2_dh_clear(&sa->dh_resp);
	sa->peer_req_id = 0;
	ike_sa_set_state(&sa->sa, IKE_SA_STATE_INIT_R);
	return IKEV2_OK;
}

/* --- initiator --- */

static void init_send(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now)
{
	struct builder b;
	struct ikev2_enc enc;
	struct ikev2_ke ke;
	uint8_t first;
	int r;

	if (sa->dh_req.err || !sa->dh_req.pub) {
		ikev2_sa_delete(e, sa, "DH key generation failed");
		return;
	}
	bld_init(&b, 0);
	ikev2_chain_encode_begin(&enc, &b);
	if (sa->cookie_len) /* 2.6: the cookie first */
		ikev2_put_notify_data(&enc, IKEV2_N_COOKIE, sa->cookie, sa->cookie_len);
	ikev2_put_proposals(&enc, sa->req_offer, sa->req_noffer, NULL, 0, true, false);
	memset(&ke, 0, sizeof(ke));
	ke.group = sa->dh_req.group->id;
	ke.data = (struct span){sa->dh_req.pub, sa->dh_req.group->pub_len};
	ikev2_put_ke(&enc, &ke);
	ikev2_put_nonce(&enc, (struct span){sa->ni, sa->ni_len});
	put_nat_d(&enc, sa);
	ikev2_cert_put_sig_hashes(e, sa, &enc);
	put_frag(&enc, sa);
	put_childless(&enc, sa, NULL);
	r = ikev2_chain_encode_end(&enc, &first);
	sa->next_req_id = 0;
	if (r == 0)
		r = ikev2_send_request(e, sa, IKEV2_EXCH_IKE_SA_INIT, bld_data(&b), bld_off(&b),
				       first, now);
	bld_free(&b);
	if (r < 0) {
		ikev2_sa_delete(e, sa, "cannot send IKE_SA_INIT");
		return;
	}
	if (sa->sa.state == IKE_SA_STATE_NEW)
		ike_sa_set_state(&sa->sa, IKE_SA_STATE_INIT_I);
}

int ikev2_ike_sa_init_start(struct ikev2_engine *e, const struct conn_cfg *conn,
			    const struct child_cfg *child, uint64_t now, uint32_t *serial)
{
	const struct daemon_cfg *d = ikev2_daemon_cfg(e);
	struct ip_endpoint local, remote;

	if (conn->nremote_addrs == 0 || ip_addr_is_any(&conn->remote_addrs[0])) {
		log_err(SUB_IKE, "initiate %s: no remote address configured", conn->name);
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
	return ikev2_ike_sa_init_start_at(e, conn, child, &local, &remote, now, serial);
}

int ikev2_ike_sa_init_start_at(struct ikev2_engine *e, const struct conn_cfg *conn,
			       const struct child_cfg *child, const struct ip_endpoint *local,
			       const struct ip_endpoint *remote, uint64_t now, uint32_t *serial)
{
	const struct proposal_transform *dh;
	struct ikev2_ike_sa *sa;
	size_t i;

	if (conn->nike == 0 || !(dh = proposal_get(&conn->ike[0], IKEV2_TRANS_DH)) ||
	    !dh_group_by_id(dh->id)) {
		log_err(SUB_IKE, "initiate %s: the first IKE proposal has no usable KE group",
			conn->name);
		return -EINVAL;
	}
	sa = ikev2_sa_create(e, true, local, remote, NULL, now);
	if (!sa)
		return -ENOMEM;
	ike_sa_set_config(&sa->sa, e->config, conn);
	sa->req_child_cfg = child;
	if (!ikev2_req_offer(sa)) {
		ikev2_sa_delete(e, sa, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < conn->nike && i < PROPOSAL_MAX; i++) {
		sa->req_offer[i] = conn->ike[i];
		sa->req_offer[i].num = (uint8_t)(i + 1);
	}
	sa->req_noffer = i;
	sa->dh_req.group = dh_group_by_id(dh->id);
	if (serial)
		*serial = sa->sa.serial;
	log_info(SUB_IKE, "IKE SA #%u: initiating %s", sa->sa.serial, conn->name);
	if (ikev2_nonce_set(&sa->ni, &sa->ni_len, NULL, NONCE_LEN) < 0 ||
	    ikev2_dh_submit(e, sa, &sa->dh_req, NULL, 0, NULL, init_send) < 0) {
		ikev2_sa_delete(e, sa, "cannot start the DH job");
		return -EAGAIN;
	}
	return 0;
}

/* An answer that asks us to try again (2.6 COOKIE, 2.7 INVALID_KE_PAYLOAD)
 * or refuses: IKEV2_OK when we retried, else FATAL. */
static enum ikev2_result init_retry_or_fail(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					    struct ikev2_rx *rx)
{
	const struct ikev2_msg *m = rx->msg;
	const struct ikev2_payload *n;
	char peer[IP_ADDR_STRLEN], nb[64];
	size_t i;

	ike_sa_peer(&sa->sa, peer, sizeof(peer));
	if ((n = ikev2_msg_find_notify(m, IKEV2_N_COOKIE))) {
		if (++sa->cookie_tries > MAX_COOKIE_TRIES || n->n.data.len == 0 ||
		    n->n.data.len > IKEV2_COOKIE_MAX ||
		    ikev2_nonce_set(&sa->cookie, &sa->cookie_len, n->n.data.p, n->n.data.len) < 0) {
			log_notice(SUB_IKE, "IKE SA #%u %s: giving up after %u cookies",
				   sa->sa.serial, peer, sa->cookie_tries - 1);
			return IKEV2_FATAL;
		}
		log_info(SUB_IKE, "IKE SA #%u %s: responder demands a cookie, retrying",
			 sa->sa.serial, peer);
		init_send(e, sa, rx->now);
		return IKEV2_OK;
	}
	if ((n = ikev2_msg_find_notify(m, IKEV2_N_INVALID_KE_PAYLOAD))) {
		uint16_t g =
			n->n.data.len == 2 ? (uint16_t)(n->n.data.p[0] << 8 | n->n.data.p[1]) : 0;

		for (i = 0; i < sa->req_noffer && g; i++)
			if (proposal_has(&sa->req_offer[i], IKEV2_TRANS_DH, g, 0))
				break;
		if (sa->ke_tries++ || !g || i == sa->req_noffer || !dh_group_by_id(g)) {
			log_notice(SUB_IKE,
				   "IKE SA #%u %s: responder wants KE group %u, which we "
				   "do not offer (or already retried)",
				   sa->sa.serial, peer, g);
			return IKEV2_FATAL;
		}
		log_info(SUB_IKE,
			 "IKE SA #%u %s: responder wants KE group %u instead of %u, "
			 "retrying",
			 sa->sa.serial, peer, g, sa->dh_req.group->id);
		ikev2_dh_clear(&sa->dh_req);
		sa->dh_req.group = dh_group_by_id(g);
		if (ikev2_dh_submit(e, sa, &sa->dh_req, NULL, 0, NULL, init_send) < 0)
			return IKEV2_FATAL;
		return IKEV2_OK;
	}
	n = ikev2_error_notify(m);
	log_notice(SUB_IKE, "IKE SA #%u %s: IKE_SA_INIT refused by the peer: %s", sa->sa.serial,
		   peer, n ? ikev2_notify_name(n->n.type, nb, sizeof(nb)) : "no SA, KE or Nr");
	return IKEV2_FATAL;
}

/* HDR, SAr1, KEr, Nr --> (DH job) --> IKE_AUTH request */
static enum ikev2_result ike_sa_init_inR1_outI2(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
						struct ikev2_rx *rx, struct ikev2_enc *reply)
{
	const struct ikev2_msg *m = rx->msg;
	const struct ikev2_payload *sap, *ke, *nr;
	struct proposal chosen[2];
	char peer[IP_ADDR_STRLEN], why[512];
	const struct proposal_transform *dh;

	ike_sa_peer(&sa->sa, peer, sizeof(peer));
	if (sa->saved_resp.buf) {
		/* second pass: the DH job finished */
		ikev2_saved_clear(&sa->saved_resp);
		if (sa->dh_req.err || !sa->dh_req.shared) {
			log_notice(SUB_IKE, "IKE SA #%u %s: the responder's KE value was refused",
				   sa->sa.serial, peer);
			return IKEV2_FATAL;
		}
		if (ikev2_ike_keys(e, sa, sa->dh_req.shared) < 0)
			return IKEV2_FATAL;
		ikev2_dh_clear(&sa->dh_req);
		ike_sa_set_state(&sa->sa, IKE_SA_STATE_AUTH_I);
		return ikev2_ike_auth_send_request(e, sa, rx->now);
	}
	sap = ikev2_msg_find(m, IKEV2_PL_SA, NULL);
	ke = ikev2_msg_find(m, IKEV2_PL_KE, NULL);
	nr = ikev2_msg_find(m, IKEV2_PL_NONCE, NULL);
	if (!sap || !ke || !nr)
		return init_retry_or_fail(e, sa, rx);
	if (memcmp(m->hdr.spi_r, zero_spi, 8) == 0) {
		log_notice(SUB_IKE, "IKE SA #%u %s: IKE_SA_INIT response with SPIr 0",
			   sa->sa.serial, peer);
		return IKEV2_FATAL;
	}
	snprintf(why, sizeof(why), "not exactly one proposal");
	if (ikev2_proposals_from_sa(&sap->sa, chosen, 2) != 1 ||
	    !proposal_is_acceptable_choice(&chosen[0], sa->req_offer, sa->req_noffer, why,
					   sizeof(why))) {
		log_notice(SUB_IKE,
			   "IKE SA #%u %s: unacceptable IKE proposal in IKE_SA_INIT "
			   "response: %s",
			   sa->sa.serial, peer, why);
		return IKEV2_FATAL;
	}
	dh = proposal_get(&chosen[0], IKEV2_TRANS_DH);
	if (!dh || dh->id != sa->dh_req.group->id || ke->ke.group != dh->id ||
	    ke->ke.data.len != sa->dh_req.group->pub_len) {
		log_notice(SUB_IKE,
			   "IKE SA #%u %s: responder's KE (group %u, %zu bytes) does not "
			   "fit our KE group %u",
			   sa->sa.serial, peer, ke->ke.group, ke->ke.data.len,
			   sa->dh_req.group->id);
		return IKEV2_FATAL;
	}
	memcpy(sa->sa.spi_r, m->hdr.spi_r, 8);
	if (ike_sa_set_proposal(&sa->sa, &chosen[0]) < 0)
		return IKEV2_FATAL;
	if (ikev2_nonce_set(&sa->nr, &sa->nr_len, nr->nonce.p, nr->nonce.len) < 0)
		return IKEV2_FATAL;
	nat_detect(sa, rx);
	nat_float(e, sa);
	note_sig_hashes(sa, m);
	note_frag(sa, m);
	ikev2_cert_note_certreq(sa, m);
	free(sa->init_resp); /* RealMessage2, for the responder's AUTH */
	sa->init_resp = malloc(rx->len);
	if (!sa->init_resp)
		return IKEV2_FATAL;
	memcpy(sa->init_resp, rx->buf, rx->len);
	sa->init_resp_len = rx->len;
	if (ikev2_save(&sa->saved_resp, rx) < 0 ||
	    ikev2_dh_submit(e, sa, &sa->dh_req, ke->ke.data.p, ke->ke.data.len, &sa->saved_resp,
			    NULL) < 0) {
		ikev2_saved_clear(&sa->saved_resp);
		return IKEV2_FATAL;
	}
	return IKEV2_SUSPEND;
}

/* The IKE_SA_INIT transitions (RFC 7296 1.2). */
const struct ikev2_transition ikev2_ike_sa_init_transitions[] = {
	/* handler               exchange               response states
	 *   required payloads
	 *   optional payloads */
	{"ike_sa_init_inI1_outR1", IKEV2_EXCH_IKE_SA_INIT, false, IKEV2_ST(IKE_SA_STATE_NEW),
	 IKEV2_PLB(IKEV2_PL_SA) | IKEV2_PLB(IKEV2_PL_KE) | IKEV2_PLB(IKEV2_PL_NONCE),
	 IKEV2_PLB(IKEV2_PL_N) | IKEV2_PLB(IKEV2_PL_V), ike_sa_init_inI1_outR1},
	{"ike_sa_init_inR1_outI2", IKEV2_EXCH_IKE_SA_INIT, true, IKEV2_ST(IKE_SA_STATE_INIT_I),
	 IKEV2_PLB(IKEV2_PL_SA) | IKEV2_PLB(IKEV2_PL_KE) | IKEV2_PLB(IKEV2_PL_NONCE),
	 IKEV2_PLB(IKEV2_PL_N) | IKEV2_PLB(IKEV2_PL_CERTREQ) | IKEV2_PLB(IKEV2_PL_V),
	 ike_sa_init_inR1_outI2},
};
const size_t ikev2_ike_sa_init_ntransitions =
	sizeof(ikev2_ike_sa_init_transitions) / sizeof(ikev2_ike_sa_init_transitions[0]);
