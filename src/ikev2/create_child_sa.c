/* create_child_sa.c: the CREATE_CHILD_SA exchange for a new CHILD SA
 * (RFC 7296 1.3.1, 2.17; PFS with KE when the ESP/AH proposal has a group):
 *
 *   Initiator                         Responder
 *   HDR, SK {[N(USE_TRANSPORT_MODE)], SA, Ni, [KEi], TSi, TSr}  -->
 *                                <--  HDR, SK {[N(USE_TRANSPORT_MODE)], SA, Nr,
 *                                              [KEr], TSi, TSr}
 *
 * A KEi of a group other than the chosen proposal's is answered with
 * N(INVALID_KE_PAYLOAD) naming the group (1.3); the initiator retries once
 * with that group when its proposals have it.
 *
 * Rekeying a CHILD SA (1.3.3) is the same exchange with N(REKEY_SA) naming
 * the SPI of the CHILD SA it replaces first in the request; rekeying the
 * IKE SA (1.3.2: SA of protocol IKE, no TS) is in rekey.c, which also holds
 * what happens to the old SA and the collisions of 2.8.1.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crypto/rand.h"
#include "ikev2/exchange.h"
#include "lib/log.h"

#define NONCE_LEN 32

static void put_ke(struct ikev2_enc *enc, const struct ikev2_kex *d)
{
	struct ikev2_ke ke;

	memset(&ke, 0, sizeof(ke));
	ke.group = d->group->id;
	ke.data = (struct span){d->pub, d->group->pub_len};
	ikev2_put_ke(enc, &ke);
}

static void cc_send(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now)
{
	struct child_sa *c = sa_table_find_child(&e->table, sa->req_child);
	struct builder b;
	struct ikev2_enc enc;
	uint8_t first;
	int r;

	struct child_sa *old = NULL;

	if (!c)
		return;
	if (c->rekey_of && !(old = sa_table_find_child(&e->table, c->rekey_of))) {
		log_notice(SUB_IKE, "CHILD SA #%u (%s): the CHILD SA it rekeys is gone", c->serial,
			   c->cfg->name);
		ikev2_child_abort(e, sa, c);
		return;
	}
	if (sa->dh_req.group && (sa->dh_req.err || !sa->dh_req.pub)) {
		log_err(SUB_IKE, "CHILD SA #%u (%s): DH key generation failed", c->serial,
			c->cfg->name);
		ikev2_child_abort(e, sa, c);
		return;
	}
	bld_init(&b, 0);
	ikev2_chain_encode_begin(&enc, &b);
	if (old) { /* 1.3.3: N(REKEY_SA) with the SPI we receive the old one with */
		struct ikev2_notify n;
		uint8_t spi[4] = {(uint8_t)(old->spi_in >> 24), (uint8_t)(old->spi_in >> 16),
				  (uint8_t)(old->spi_in >> 8), (uint8_t)old->spi_in};

		memset(&n, 0, sizeof(n));
		n.type = IKEV2_N_REKEY_SA;
		n.protocol = old->protocol;
		n.spi_size = 4;
		n.spi = (struct span){spi, 4};
		ikev2_put_notify(&enc, &n);
	}
	ikev2_child_put_sa(&enc, sa, c, false);
	ikev2_put_nonce(&enc, (struct span){sa->req_nonce, NONCE_LEN});
	if (sa->dh_req.group)
		put_ke(&enc, &sa->dh_req);
	ikev2_child_put_ts(&enc, sa, c);
	r = ikev2_chain_encode_end(&enc, &first);
	if (r == 0)
		r = ikev2_send_request(e, sa, IKEV2_EXCH_CREATE_CHILD_SA, bld_data(&b), bld_off(&b),
				       first, now);
	bld_free(&b);
	if (r < 0)
		ikev2_child_abort(e, sa, c);
}

static enum ikev2_result cc_start(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
				  struct child_sa *c, uint64_t now);

enum ikev2_result ikev2_create_child_send(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					  const char *child_name, uint64_t now)
{
	const struct child_cfg *cfg = conn_cfg_child(sa->sa.conn, child_name);
	struct child_sa *c;

	if (!cfg) {
		log_err(SUB_IKE, "IKE SA #%u: connection %s has no child '%s'", sa->sa.serial,
			sa->sa.conn->name, child_name);
		return IKEV2_FAIL;
	}
	c = ikev2_child_offer(e, sa, cfg, false);
	if (!c)
		return IKEV2_FAIL;
	log_info(SUB_IKE, "IKE SA #%u: creating CHILD SA #%u (%s)", sa->sa.serial, c->serial,
		 cfg->name);
	return cc_start(e, sa, c, now);
}

enum ikev2_result ikev2_create_child_send_rekey(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
						uint32_t old_serial, uint64_t now)
{
	struct child_sa *old = sa_table_find_child(&e->table, old_serial);
	struct child_sa *c;

	if (!old || old->ike_serial != sa->sa.serial || old->state != CHILD_SA_STATE_INSTALLED ||
	    old->rekeying || old->rekeyed_by)
		return IKEV2_FAIL;
	c = ikev2_child_offer_rekey(e, sa, old);
	if (!c)
		return IKEV2_FAIL;
	old->rekeying = true;
	log_info(SUB_IKE, "IKE SA #%u: rekeying CHILD SA #%u (%s) as CHILD SA #%u", sa->sa.serial,
		 old->serial, old->cfg->name, c->serial);
	return cc_start(e, sa, c, now);
}

/* Nonce and (with PFS) the KE job of our CREATE_CHILD_SA for c, then send. */
static enum ikev2_result cc_start(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
				  struct child_sa *c, uint64_t now)
{
	const struct proposal_transform *dh;

	if (rand_bytes(sa->req_nonce, NONCE_LEN) < 0) {
		ikev2_child_abort(e, sa, c);
		return IKEV2_FAIL;
	}
	sa->req_ke_retried = false;
	ikev2_dh_clear(&sa->dh_req);
	sa->dh_req.group = NULL;
	dh = sa->req_noffer ? proposal_get(&sa->req_offer[0], IKEV2_TRANS_DH) : NULL;
	if (dh && dh->id) { /* PFS: our KE of the first proposal's group */
		sa->dh_req.group = dh_group_by_id(dh->id);
		if (!sa->dh_req.group ||
		    ikev2_dh_submit(e, sa, &sa->dh_req, NULL, 0, NULL, cc_send) < 0) {
			ikev2_child_abort(e, sa, c);
			return IKEV2_FAIL;
		}
		return IKEV2_OK;
	}
	cc_send(e, sa, now);
	return IKEV2_OK;
}

static void put_answer(struct ikev2_enc *reply, struct ikev2_ike_sa *sa, struct child_sa *c)
{
	ikev2_child_put_sa(reply, sa, c, false);
	ikev2_put_nonce(reply, (struct span){sa->resp_nonce, NONCE_LEN});
	if (sa->dh_resp.group && sa->dh_resp.pub)
		put_ke(reply, &sa->dh_resp);
	ikev2_child_put_ts(reply, sa, c);
}

/* Second pass of the responder: the DH job finished. */
static enum ikev2_result cc_respond_pfs(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					struct ikev2_rx *rx, struct ikev2_enc *reply)
{
	const struct ikev2_payload *ni = ikev2_msg_find(rx->msg, IKEV2_PL_NONCE, NULL);
	struct child_sa *c = sa_table_find_child(&e->table, sa->resp_child);
	enum ikev2_result res = IKEV2_OK;

	sa->resp_child = 0;
	if (!c)
		return IKEV2_IGNORE;
	if (sa->dh_resp.err || !sa->dh_resp.shared) {
		log_notice(SUB_IKE, "CHILD SA #%u (%s): the peer's KE value was refused", c->serial,
			   c->cfg->name);
		ikev2_child_abort(e, sa, c);
		ikev2_put_notify_data(reply, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		res = IKEV2_FAIL;
	} else if (ikev2_child_install(e, sa, c, ni->nonce,
				       (struct span){sa->resp_nonce, NONCE_LEN}, sa->dh_resp.shared,
				       rx->now) < 0) {
		ikev2_put_notify_data(reply, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		res = IKEV2_FAIL;
	} else {
		put_answer(reply, sa, c);
	}
	ikev2_dh_clear(&sa->dh_resp);
	sa->dh_resp.group = NULL;
	return res;
}

/* SK{SA, Ni, [KEi], TSi, TSr} --> SK{SA, Nr, [KEr], TSi, TSr} */
static enum ikev2_result create_child_sa_inI_outR(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
						  struct ikev2_rx *rx, struct ikev2_enc *reply)
{
	const struct ikev2_msg *m = rx->msg;
	const struct ikev2_payload *ni = ikev2_msg_find(m, IKEV2_PL_NONCE, NULL);
	const struct ikev2_payload *ke = ikev2_msg_find(m, IKEV2_PL_KE, NULL);
	const struct ikev2_payload *rekey = ikev2_msg_find_notify(m, IKEV2_N_REKEY_SA);
	struct child_sa *c, *old = NULL;
	uint16_t group;

	if (sa->saved_req.buf && sa->resp_rekey_ike)
		return ikev2_rekey_ike_inI_outR(e, sa, rx, reply);
	if (sa->saved_req.buf)
		return cc_respond_pfs(e, sa, rx, reply);
	if (!ikev2_msg_find(m, IKEV2_PL_TSI, NULL) && !ikev2_msg_find(m, IKEV2_PL_TSR, NULL))
		return ikev2_rekey_ike_inI_outR(e, sa, rx, reply); /* 1.3.2 */
	if (rekey && !(old = ikev2_rekey_child_target(e, sa, rekey, reply)))
		return IKEV2_FAIL;
	if (!old && sa->rekeyed_to) { /* 2.25: new CHILD SAs go to the new IKE SA */
		ikev2_put_notify_data(reply, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		return IKEV2_FAIL;
	}
	c = ikev2_child_respond(e, sa, rx, false, reply, &group, old);
	if (!c)
		return IKEV2_FAIL;
	if (rand_bytes(sa->resp_nonce, NONCE_LEN) < 0) {
		ikev2_child_abort(e, sa, c);
		return IKEV2_FATAL;
	}
	ikev2_dh_clear(&sa->dh_resp);
	sa->dh_resp.group = NULL;
	if (group) {
		uint8_t g[2] = {(uint8_t)(group >> 8), (uint8_t)group};

		if (!ke || ke->ke.group != group || !dh_group_by_id(group) ||
		    ke->ke.data.len != dh_group_by_id(group)->pub_len) {
			/* RFC 7296 1.3: tell the initiator which group we chose */
			log_info(SUB_IKE, "CHILD SA #%u (%s): KE group %u wanted, the peer sent %u",
				 c->serial, c->cfg->name, group, ke ? ke->ke.group : 0);
			ikev2_child_abort(e, sa, c);
			ikev2_put_notify_data(reply, IKEV2_N_INVALID_KE_PAYLOAD, g, sizeof(g));
			return IKEV2_FAIL;
		}
		sa->dh_resp.group = dh_group_by_id(group);
		sa->resp_child = c->serial;
		if (ikev2_save(&sa->saved_req, rx) < 0 ||
		    ikev2_dh_submit(e, sa, &sa->dh_resp, ke->ke.data.p, ke->ke.data.len,
				    &sa->saved_req, NULL) < 0) {
			ikev2_child_abort(e, sa, c);
			ikev2_saved_clear(&sa->saved_req);
			ikev2_put_notify_data(reply, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
			return IKEV2_FAIL;
		}
		return IKEV2_SUSPEND;
	}
	if (ikev2_child_install(e, sa, c, ni->nonce, (struct span){sa->resp_nonce, NONCE_LEN}, NULL,
				rx->now) < 0) {
		ikev2_put_notify_data(reply, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return IKEV2_FAIL;
	}
	put_answer(reply, sa, c);
	return IKEV2_OK;
}

/* RFC 7296 1.3: the responder chose a proposal of another KE group and
 * names it in N(INVALID_KE_PAYLOAD); retry once, with a new nonce and a KEi
 * of that group, when one of our proposals has it. 0 when the retry runs
 * (the CHILD SA stays CREATING with its SPI); -1 logged. */
static int cc_retry_ke(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct child_sa *c,
		       const struct ikev2_payload *n)
{
	uint16_t g = n->n.data.len == 2 ? (uint16_t)(n->n.data.p[0] << 8 | n->n.data.p[1]) : 0;
	uint16_t had = sa->dh_req.group ? sa->dh_req.group->id : 0;
	const char *why = NULL;
	size_t i;

	for (i = 0; i < sa->req_noffer; i++)
		if (g && proposal_has(&sa->req_offer[i], IKEV2_TRANS_DH, g, 0))
			break;
	if (sa->req_ke_retried)
		why = "we already retried once";
	else if (!g || i == sa->req_noffer || !dh_group_by_id(g))
		why = "which none of our ESP/AH proposals has";
	else if (g == had)
		why = "which is the group we sent";
	if (why) {
		log_notice(SUB_IKE, "CHILD SA #%u (%s): responder wants KE group %u, %s", c->serial,
			   c->cfg->name, g, why);
		return -1;
	}
	log_info(SUB_IKE, "CHILD SA #%u (%s): responder wants KE group %u instead of %u, retrying",
		 c->serial, c->cfg->name, g, had);
	sa->req_ke_retried = true;
	ikev2_dh_clear(&sa->dh_req);
	sa->dh_req.group = dh_group_by_id(g);
	if (rand_bytes(sa->req_nonce, NONCE_LEN) < 0 ||
	    ikev2_dh_submit(e, sa, &sa->dh_req, NULL, 0, NULL, cc_send) < 0)
		return -1;
	return 0;
}

/* The responder answered our CREATE_CHILD_SA for c with an error notify
 * (err) or without a nonce: retry with its KE group (1.3), or give up (a
 * rekey refused with TEMPORARY_FAILURE is tried again later, 2.25). */
static enum ikev2_result cc_refused(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
				    struct child_sa *c, const struct ikev2_payload *err)
{
	char nb[64];

	if (err && err->n.type == IKEV2_N_INVALID_KE_PAYLOAD && cc_retry_ke(e, sa, c, err) == 0)
		return IKEV2_OK;
	log_notice(SUB_IKE, "CHILD SA #%u (%s) not created: the peer answered %s", c->serial,
		   c->cfg->name,
		   err ? ikev2_notify_name(err->n.type, nb, sizeof(nb)) : "without a nonce");
	if (c->rekey_of && err && err->n.type == IKEV2_N_TEMPORARY_FAILURE)
		ikev2_rekey_child_failed(e, sa, c, true);
	ikev2_child_abort(e, sa, c);
	return IKEV2_FAIL;
}

/* SK{SA, Nr, [KEr], TSi, TSr}: install the CHILD SA (after the DH job with PFS) */
static enum ikev2_result create_child_sa_inR(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					     struct ikev2_rx *rx, struct ikev2_enc *reply)
{
	const struct ikev2_msg *m = rx->msg;
	const struct ikev2_payload *nr = ikev2_msg_find(m, IKEV2_PL_NONCE, NULL);
	const struct ikev2_payload *ke = ikev2_msg_find(m, IKEV2_PL_KE, NULL);
	const struct ikev2_payload *err = ikev2_error_notify(m);
	struct child_sa *c = sa_table_find_child(&e->table, sa->req_child);
	const struct proposal_transform *dh;
	const struct secret *g_ir = NULL;

	(void)reply;
	if (sa->req_rekey_ike)
		return ikev2_rekey_ike_inR(e, sa, rx);
	if (!c)
		return IKEV2_OK;
	if (sa->saved_resp.buf) {
		ikev2_saved_clear(&sa->saved_resp);
		if (sa->dh_req.err || !sa->dh_req.shared) {
			log_notice(SUB_IKE,
				   "CHILD SA #%u (%s): the responder's KE value was refused",
				   c->serial, c->cfg->name);
			ikev2_child_abort(e, sa, c);
			return IKEV2_FAIL;
		}
		g_ir = sa->dh_req.shared;
	} else if (err || !nr) {
		return cc_refused(e, sa, c, err);
	} else if (ikev2_child_accept(e, sa, c, rx) < 0) {
		ikev2_child_abort(e, sa, c);
		return IKEV2_FAIL;
	} else if ((dh = proposal_get(&c->proposal, IKEV2_TRANS_DH)) && dh->id) {
		if (!ke || !sa->dh_req.group || ke->ke.group != dh->id ||
		    dh->id != sa->dh_req.group->id) {
			log_notice(SUB_IKE,
				   "CHILD SA #%u (%s): the responder chose KE group %u but "
				   "sent %s",
				   c->serial, c->cfg->name, dh->id, ke ? "another KE" : "no KE");
			ikev2_child_abort(e, sa, c);
			return IKEV2_FAIL;
		}
		if (ikev2_save(&sa->saved_resp, rx) < 0 ||
		    ikev2_dh_submit(e, sa, &sa->dh_req, ke->ke.data.p, ke->ke.data.len,
				    &sa->saved_resp, NULL) < 0) {
			ikev2_saved_clear(&sa->saved_resp);
			ikev2_child_abort(e, sa, c);
			return IKEV2_FAIL;
		}
		return IKEV2_SUSPEND;
	}
	sa->req_child = 0;
	/* the install may start the next request (a rekey's Delete, a queued
	 * IKE rekey with its own KE job): our DH is done with first */
	{
		struct secret *shared = sa->dh_req.shared;

		sa->dh_req.shared = NULL;
		ikev2_dh_clear(&sa->dh_req);
		sa->dh_req.group = NULL;
		ikev2_child_install(e, sa, c, (struct span){sa->req_nonce, NONCE_LEN}, nr->nonce,
				    g_ir ? shared : NULL, rx->now);
		secret_free(shared);
	}
	return IKEV2_OK;
}

/* The CREATE_CHILD_SA transitions (RFC 7296 1.3.1). */
const struct ikev2_transition ikev2_create_child_sa_transitions[] = {
	/* handler                 exchange                    response states
	 *   required payloads
	 *   optional payloads */
	{"create_child_sa_inI_outR", IKEV2_EXCH_CREATE_CHILD_SA, false,
	 IKEV2_ST(IKE_SA_STATE_ESTABLISHED), IKEV2_PLB(IKEV2_PL_SA) | IKEV2_PLB(IKEV2_PL_NONCE),
	 IKEV2_PLB(IKEV2_PL_N) | IKEV2_PLB(IKEV2_PL_KE) | IKEV2_PLB(IKEV2_PL_TSI) |
		 IKEV2_PLB(IKEV2_PL_TSR) | IKEV2_PLB(IKEV2_PL_V),
	 create_child_sa_inI_outR},
	{"create_child_sa_inR", IKEV2_EXCH_CREATE_CHILD_SA, true,
	 IKEV2_ST(IKE_SA_STATE_ESTABLISHED) | IKEV2_ST(IKE_SA_STATE_DELETING),
	 IKEV2_PLB(IKEV2_PL_SA) | IKEV2_PLB(IKEV2_PL_NONCE),
	 IKEV2_PLB(IKEV2_PL_N) | IKEV2_PLB(IKEV2_PL_KE) | IKEV2_PLB(IKEV2_PL_TSI) |
		 IKEV2_PLB(IKEV2_PL_TSR) | IKEV2_PLB(IKEV2_PL_V),
	 create_child_sa_inR},
};
const size_t ikev2_create_child_sa_ntransitions =
	sizeof(ikev2_create_child_sa_transitions) / sizeof(ikev2_create_child_sa_transitions[0]);
