/* child.c: CHILD SAs of IKEv2 (RFC 7296 1.3, 2.9, 2.17, 3.3, 3.13):
 * what the initiator offers, what the responder picks (proposal, traffic
 * selectors, mode), KEYMAT, and the SAs and policies given to the kernel. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/child_kernel.h"
#include "ike/proposal_match.h"
#include "ike/ts_narrow.h"
#include "ikev2/exchange.h"
#include "lib/log.h"

static size_t ts_or_dynamic(const struct ts *cfg_ts, size_t n, const struct ip_addr *addr,
			    struct ts *out, size_t max)
{
	size_t i;

	if (n == 0) {
		ts_from_addr(&out[0], addr); /* strongSwan's %dynamic */
		return 1;
	}
	for (i = 0; i < n && i < max; i++)
		out[i] = cfg_ts[i];
	return i;
}

size_t ikev2_child_local_ts(const struct ikev2_ike_sa *sa, const struct child_cfg *c,
			    struct ts *out, size_t max)
{
	return ts_or_dynamic(c->local_ts, c->nlocal_ts, &sa->sa.local.addr, out, max);
}

size_t ikev2_child_remote_ts(const struct ikev2_ike_sa *sa, const struct child_cfg *c,
			     struct ts *out, size_t max)
{
	return ts_or_dynamic(c->remote_ts, c->nremote_ts, &sa->sa.remote.addr, out, max);
}

/* The configured proposals of a child (AH when configured, else ESP, else
 * oak's ESP defaults), numbered 1.. as offered. */
static size_t child_proposals(const struct child_cfg *cfg, bool strip_ke, struct proposal *out)
{
	const struct proposal *src = cfg->nah ? cfg->ah : cfg->esp;
	size_t n = cfg->nah ? cfg->nah : cfg->nesp, i, k;

	if (n == 0) {
		n = proposal_defaults(PROPOSAL_PROTO_ESP, out, PROPOSAL_MAX);
	} else {
		n = n > PROPOSAL_MAX ? PROPOSAL_MAX : n;
		memcpy(out, src, n * sizeof(*out));
	}
	for (i = 0; i < n; i++) {
		out[i].num = (uint8_t)(i + 1);
		if (!strip_ke)
			continue;
		for (k = 0; k < out[i].ntrans;) {
			if (out[i].trans[k].type == IKEV2_TRANS_DH) {
				memmove(&out[i].trans[k], &out[i].trans[k + 1],
					(out[i].ntrans - k - 1) * sizeof(out[i].trans[0]));
				out[i].ntrans--;
			} else {
				k++;
			}
		}
	}
	return n;
}

static int alloc_spi(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct child_sa *c)
{
	const struct kernel_ops *k = e->env.kernel;
	int r = k->alloc_spi(k->ctx, child_kernel_ipproto(c->protocol), &sa->sa.remote.addr,
			     &sa->sa.local.addr, c->reqid, &c->spi_in);

	if (r < 0 || c->spi_in == 0) {
		log_err(SUB_IKE, "CHILD SA #%u (%s): no inbound SPI from the kernel: %s", c->serial,
			c->cfg->name, r < 0 ? strerror(-r) : "SPI 0");
		c->spi_in = 0;
		return r < 0 ? r : -EIO;
	}
	sa_table_add_child(&e->table, c);
	return 0;
}

/* A new CHILD SA; old (may be NULL): the one it rekeys, whose reqid it
 * keeps so that the policies stay valid (RFC 7296 1.3.3). */
static struct child_sa *child_new(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
				  const struct child_cfg *cfg, const struct child_sa *old)
{
	struct child_sa *c = child_sa_new(&sa->sa, sa_table_new_serial(&e->table), cfg);

	if (!c)
		return NULL;
	c->reqid = old ? old->reqid : ikev2_trap_reqid(e, &sa->sa, cfg);
	c->rekey_of = old ? old->serial : 0;
	sa_table_add_child(&e->table, c);
	ike_sa_add_child(&sa->sa, c);
	if (alloc_spi(e, sa, c) < 0) {
		ikev2_child_abort(e, sa, c);
		return NULL;
	}
	return c;
}

struct child_sa *ikev2_child_offer(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
				   const struct child_cfg *cfg, bool ike_auth)
{
	struct child_sa *c = child_new(e, sa, cfg, NULL);

	if (!c)
		return NULL;
	if (!ikev2_req_offer(sa)) {
		ikev2_child_abort(e, sa, c);
		return NULL;
	}
	sa->req_noffer = child_proposals(cfg, ike_auth, sa->req_offer);
	sa->req_transport = cfg->mode == CHILD_MODE_TRANSPORT;
	sa->req_child = c->serial;
	c->initiator = true;
	c->nlocal_ts = ikev2_child_local_ts(sa, cfg, c->local_ts, MODEL_MAX_TS);
	c->nremote_ts = ikev2_child_remote_ts(sa, cfg, c->remote_ts, MODEL_MAX_TS);
	ikev2_trap_first_ts(e, &sa->sa, c); /* RFC 7296 2.9, start_action = trap */
	return c;
}

struct child_sa *ikev2_child_offer_rekey(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					 const struct child_sa *old)
{
	struct child_sa *c = child_new(e, sa, old->cfg, old);

	if (!c)
		return NULL;
	if (!ikev2_req_offer(sa)) {
		ikev2_child_abort(e, sa, c);
		return NULL;
	}
	sa->req_noffer = child_proposals(old->cfg, false, sa->req_offer);
	sa->req_transport = old->mode == CHILD_MODE_TRANSPORT;
	sa->req_child = c->serial;
	c->initiator = true;
	c->mode = old->mode;
	memcpy(c->local_ts, old->local_ts, sizeof(c->local_ts));
	c->nlocal_ts = old->nlocal_ts;
	memcpy(c->remote_ts, old->remote_ts, sizeof(c->remote_ts));
	c->nremote_ts = old->nremote_ts;
	return c;
}

void ikev2_child_put_sa(struct ikev2_enc *enc, const struct ikev2_ike_sa *sa,
			const struct child_sa *c, bool ike_auth)
{
	uint8_t spi[4] = {(uint8_t)(c->spi_in >> 24), (uint8_t)(c->spi_in >> 16),
			  (uint8_t)(c->spi_in >> 8), (uint8_t)c->spi_in};

	if (c->mode == CHILD_MODE_TRANSPORT) /* RFC 7296 1.3.1 */
		ikev2_put_notify_data(enc, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
	if (c->initiator)
		ikev2_put_proposals(enc, sa->req_offer, sa->req_noffer, spi, 4, true, ike_auth);
	else
		ikev2_put_proposals(enc, &c->proposal, 1, spi, 4, true, false);
}

void ikev2_child_put_ts(struct ikev2_enc *enc, const struct ikev2_ike_sa *sa,
			const struct child_sa *c)
{
	bool ours_is_i = c->initiator;

	/* TSi describes the initiator's end of this exchange, TSr the responder's */
	ikev2_put_ts_list(enc, IKEV2_PL_TSI, ours_is_i ? c->local_ts : c->remote_ts,
			  ours_is_i ? c->nlocal_ts : c->nremote_ts);
	ikev2_put_ts_list(enc, IKEV2_PL_TSR, ours_is_i ? c->remote_ts : c->local_ts,
			  ours_is_i ? c->nremote_ts : c->nlocal_ts);
}

static void ts_list_fmt(const struct ts *t, size_t n, char *buf, size_t len)
{
	size_t i, off = 0;
	char one[TS_STRLEN];

	buf[0] = '\0';
	for (i = 0; i < n && off + 1 < len; i++) {
		int w = snprintf(buf + off, len - off, "%s%s", i ? " " : "",
				 ts_fmt(&t[i], one, sizeof(one)));

		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (n == 0)
		snprintf(buf, len, "(none)");
}

/* The first child of the connection whose selectors meet the peer's. */
static const struct child_cfg *child_by_ts(const struct ikev2_ike_sa *sa, const struct ts *tsi,
					   size_t ntsi, const struct ts *tsr, size_t ntsr,
					   struct child_sa *tmp)
{
	const struct conn_cfg *conn = sa->sa.conn;
	struct ts mine[MODEL_MAX_TS];
	size_t i, n;

	for (i = 0; i < conn->nchildren; i++) {
		const struct child_cfg *cfg = &conn->children[i];

		n = ikev2_child_local_ts(sa, cfg, mine, MODEL_MAX_TS);
		if (ts_narrow(tsr, ntsr, mine, n, tmp->local_ts, MODEL_MAX_TS, &tmp->nlocal_ts) < 0)
			continue;
		n = ikev2_child_remote_ts(sa, cfg, mine, MODEL_MAX_TS);
		if (ts_narrow(tsi, ntsi, mine, n, tmp->remote_ts, MODEL_MAX_TS, &tmp->nremote_ts) <
		    0)
			continue;
		return cfg;
	}
	return NULL;
}

struct child_sa *ikev2_child_respond(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
				     struct ikev2_rx *rx, bool ike_auth, struct ikev2_enc *reply,
				     uint16_t *ke_group, const struct child_sa *old)
{
	const struct ikev2_msg *m = rx->msg;
	const struct ikev2_payload *sap = ikev2_msg_find(m, IKEV2_PL_SA, NULL);
	const struct ikev2_payload *tsi_p = ikev2_msg_find(m, IKEV2_PL_TSI, NULL);
	const struct ikev2_payload *tsr_p = ikev2_msg_find(m, IKEV2_PL_TSR, NULL);
	bool transport = ikev2_msg_find_notify(m, IKEV2_N_USE_TRANSPORT_MODE) != NULL;
	struct proposal offered[PROPOSAL_MAX], mine[PROPOSAL_MAX], chosen;
	struct ts tsi[MODEL_MAX_TS], tsr[MODEL_MAX_TS];
	const struct child_cfg *cfg;
	const struct proposal_transform *dh;
	struct child_sa *c, tmp;
	char why[512], a[512], b[512];
	size_t ntsi, ntsr, noff, nmine;

	*ke_group = 0;
	if (!sap || !tsi_p || !tsr_p) {
		ikev2_put_notify_data(reply, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return NULL;
	}
	ntsi = ikev2_ts_from_payload(&tsi_p->ts, tsi, MODEL_MAX_TS);
	ntsr = ikev2_ts_from_payload(&tsr_p->ts, tsr, MODEL_MAX_TS);
	memset(&tmp, 0, sizeof(tmp));
	cfg = child_by_ts(sa, tsi, ntsi, tsr, ntsr, &tmp);
	if (cfg && old && cfg != old->cfg) {
		/* a rekey keeps the old CHILD SA's config (and reqid) */
		log_notice(SUB_IKE,
			   "IKE SA #%u: the peer's rekey of CHILD SA #%u (%s) proposes traffic "
			   "selectors of child %s",
			   sa->sa.serial, old->serial, old->cfg->name, cfg->name);
		cfg = NULL;
	}
	if (!cfg) {
		ts_list_fmt(tsi, ntsi, a, sizeof(a));
		ts_list_fmt(tsr, ntsr, b, sizeof(b));
		log_notice(SUB_IKE,
			   "IKE SA #%u (%s): no child accepts TSi %s TSr %s: "
			   "TS_UNACCEPTABLE",
			   sa->sa.serial, sa->sa.conn->name, a, b);
		ikev2_put_notify_data(reply, IKEV2_N_TS_UNACCEPTABLE, NULL, 0);
		return NULL;
	}
	noff = ikev2_proposals_from_sa(&sap->sa, offered, PROPOSAL_MAX);
	nmine = child_proposals(cfg, false, mine);
	if (proposal_select_ex(offered, noff, mine, nmine, ike_auth ? PROPOSAL_MATCH_SKIP_KE : 0,
			       &chosen, why, sizeof(why)) < 0 ||
	    chosen.spi_len != 4) {
		log_notice(SUB_IKE, "IKE SA #%u child %s: %s", sa->sa.serial, cfg->name,
			   chosen.spi_len != 4 ? "SPI not 4 bytes" : why);
		ikev2_put_notify_data(reply, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return NULL;
	}
	if (cfg->mode == CHILD_MODE_TRANSPORT && !transport) {
		log_notice(SUB_IKE,
			   "IKE SA #%u child %s: transport mode configured, the peer asked "
			   "for tunnel mode",
			   sa->sa.serial, cfg->name);
		ikev2_put_notify_data(reply, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return NULL;
	}
	c = child_new(e, sa, cfg, old);
	if (!c) {
		ikev2_put_notify_data(reply, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return NULL;
	}
	/* RFC 7296 1.3.1: transport only when both ask for it */
	c->mode = transport && cfg->mode == CHILD_MODE_TRANSPORT ? CHILD_MODE_TRANSPORT
								 : CHILD_MODE_TUNNEL;
	c->spi_out = (uint32_t)chosen.spi[0] << 24 | (uint32_t)chosen.spi[1] << 16 |
		     (uint32_t)chosen.spi[2] << 8 | chosen.spi[3];
	c->proposal = chosen;
	memcpy(c->local_ts, tmp.local_ts, sizeof(c->local_ts));
	c->nlocal_ts = tmp.nlocal_ts;
	memcpy(c->remote_ts, tmp.remote_ts, sizeof(c->remote_ts));
	c->nremote_ts = tmp.nremote_ts;
	dh = proposal_get(&chosen, IKEV2_TRANS_DH);
	if (!ike_auth && dh && dh->id != 0)
		*ke_group = dh->id;
	return c;
}

int ikev2_child_accept(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct child_sa *c,
		       struct ikev2_rx *rx)
{
	const struct ikev2_msg *m = rx->msg;
	const struct ikev2_payload *sap = ikev2_msg_find(m, IKEV2_PL_SA, NULL);
	const struct ikev2_payload *tsi_p = ikev2_msg_find(m, IKEV2_PL_TSI, NULL);
	const struct ikev2_payload *tsr_p = ikev2_msg_find(m, IKEV2_PL_TSR, NULL);
	bool transport = ikev2_msg_find_notify(m, IKEV2_N_USE_TRANSPORT_MODE) != NULL;
	struct proposal chosen[2];
	struct ts tsi[MODEL_MAX_TS], tsr[MODEL_MAX_TS];
	size_t ntsi, ntsr;
	char why[512];

	snprintf(why, sizeof(why), "no SA, TSi or TSr payload, or not one proposal");
	if (!sap || !tsi_p || !tsr_p || ikev2_proposals_from_sa(&sap->sa, chosen, 2) != 1 ||
	    !proposal_is_acceptable_choice(&chosen[0], sa->req_offer, sa->req_noffer, why,
					   sizeof(why)) ||
	    chosen[0].spi_len != 4) {
		log_notice(SUB_IKE, "CHILD SA #%u (%s): unacceptable answer: %s", c->serial,
			   c->cfg->name, why);
		return -1;
	}
	ntsi = ikev2_ts_from_payload(&tsi_p->ts, tsi, MODEL_MAX_TS);
	ntsr = ikev2_ts_from_payload(&tsr_p->ts, tsr, MODEL_MAX_TS);
	if (!ntsi || !ntsr || !ts_list_is_subset(tsi, ntsi, c->local_ts, c->nlocal_ts) ||
	    !ts_list_is_subset(tsr, ntsr, c->remote_ts, c->nremote_ts)) {
		log_notice(SUB_IKE,
			   "CHILD SA #%u (%s): the responder's traffic selectors are not "
			   "within ours (RFC 7296 2.9)",
			   c->serial, c->cfg->name);
		return -1;
	}
	if (transport != sa->req_transport) {
		log_notice(SUB_IKE,
			   "CHILD SA #%u (%s): we asked for %s mode, the responder chose "
			   "%s mode",
			   c->serial, c->cfg->name, sa->req_transport ? "transport" : "tunnel",
			   transport ? "transport" : "tunnel");
		return -1;
	}
	c->mode = transport ? CHILD_MODE_TRANSPORT : CHILD_MODE_TUNNEL;
	c->proposal = chosen[0];
	c->spi_out = (uint32_t)chosen[0].spi[0] << 24 | (uint32_t)chosen[0].spi[1] << 16 |
		     (uint32_t)chosen[0].spi[2] << 8 | chosen[0].spi[3];
	memcpy(c->local_ts, tsi, ntsi * sizeof(tsi[0]));
	c->nlocal_ts = ntsi;
	memcpy(c->remote_ts, tsr, ntsr * sizeof(tsr[0]));
	c->nremote_ts = ntsr;
	(void)e;
	return 0;
}

/* --- the kernel --- */

/* RFC 7296 2.23: with a NAT (detected or forced) ESP goes in UDP, on the
 * IKE SA's ports, which must be our NAT-T port ("UDP encapsulation MUST NOT
 * be done on port 500"; only that socket hands ESP to the kernel). */
static bool esp_encap(struct ikev2_engine *e, const struct ikev2_ike_sa *sa,
		      const struct child_sa *c)
{
	uint16_t nat_t = ikev2_daemon_cfg(e)->port_nat_t;

	if (!ikev2_nat_traversal(sa))
		return false;
	if (nat_t && sa->sa.local.port == nat_t && sa->sa.remote.port != 500)
		return true;
	log_warn(SUB_IKE,
		 "CHILD SA #%u (%s): NAT traversal needed, but the IKE SA uses UDP %u -> %u, "
		 "not our NAT-T port %u: ESP is not encapsulated",
		 c->serial, c->cfg->name, sa->sa.local.port, sa->sa.remote.port, nat_t);
	return false;
}

/* Another CHILD SA of sa with c's config and reqid (rekeys of one
 * another share the policies): the one holding the policies / one
 * installed that may take them over. */
static struct child_sa *policy_holder(const struct ikev2_ike_sa *sa, const struct child_sa *c)
{
	struct child_sa *o;

	for (o = sa->sa.children; o; o = o->next)
		if (o != c && o->policies && o->reqid == c->reqid && o->cfg == c->cfg)
			return o;
	return NULL;
}

static struct child_sa *policy_heir(const struct ikev2_ike_sa *sa, const struct child_sa *c)
{
	struct child_sa *o;

	for (o = sa->sa.children; o; o = o->next)
		if (o != c && o->state == CHILD_SA_STATE_INSTALLED && o->reqid == c->reqid &&
		    o->cfg == c->cfg)
			return o;
	return NULL;
}

/* RFC 7296 2.8 and 2.8.3, make-before-break: as the responder of the
 * exchange that rekeys a CHILD SA or re-creates one of another IKE SA, our
 * outbound SA waits until the old CHILD SA goes (defer_for). The kernel sends on the newest SA, and the
 * initiator has the matching inbound SA only once our answer reached it;
 * until the old pair goes (the initiator deletes it after that) traffic
 * keeps using it. */
struct ikev2_deferred {
	struct ikev2_deferred *next;
	uint32_t child, old; /* child's outbound SA goes in when old goes */
	bool encap;
	struct kernel_lifetime life;
	struct secret *encr, *integ;
};

static void deferred_free(struct ikev2_deferred *d)
{
	secret_free(d->encr);
	secret_free(d->integ);
	free(d);
}

void ikev2_child_deferred_free(struct ikev2_engine *e)
{
	struct ikev2_deferred *d;

	while ((d = e->deferred)) {
		e->deferred = d->next;
		deferred_free(d);
	}
}

/* gone is being destroyed: install the outbound SAs that waited for it
 * (before its SAs go, so traffic always has one) and forget those of it. */
static void deferred_release(struct ikev2_engine *e, const struct child_sa *gone)
{
	struct ikev2_deferred **pp = &e->deferred, *d;

	while ((d = *pp)) {
		struct child_sa *c =
			d->old == gone->serial ? sa_table_find_child(&e->table, d->child) : NULL;
		struct ikev2_ike_sa *sa = c ? ikev2_sa_by_serial(e, c->ike_serial) : NULL;

		if (d->old != gone->serial && d->child != gone->serial) {
			pp = &d->next;
			continue;
		}
		*pp = d->next;
		if (sa && c->state != CHILD_SA_STATE_DEAD &&
		    child_kernel_install_sa(e->env.kernel, &sa->sa, c, d->encap, false, d->encr,
					    d->integ, &d->life) == 0)
			log_info(SUB_IKE,
				 "CHILD SA #%u (%s): outbound SA %08x installed, CHILD SA "
				 "#%u goes",
				 c->serial, c->cfg->name, c->spi_out, gone->serial);
		else if (sa)
			log_err(SUB_IKE, "CHILD SA #%u (%s): installing its outbound SA failed",
				c->serial, c->cfg->name);
		deferred_free(d);
	}
}

static int install_sas(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct child_sa *c,
		       const struct ikev2_child_keys *keys, uint32_t defer_for)
{
	const struct kernel_ops *ko = e->env.kernel;
	struct kernel_lifetime life = child_kernel_life(c->cfg);
	/* the initiator of the exchange that makes the CHILD SA (IKE_AUTH or
	 * CREATE_CHILD_SA), not of the IKE SA: when the IKE responder starts a
	 * rekey, it is the CREATE_CHILD_SA initiator (strongSwan keys it so) */
	bool i = c->initiator, encap = esp_encap(e, sa, c);
	/* RFC 7296 2.17: the _i keys protect initiator -> responder traffic */
	const struct secret *ein = i ? keys->encr_r : keys->encr_i;
	const struct secret *iin = i ? keys->integ_r : keys->integ_i;
	const struct secret *eout = i ? keys->encr_i : keys->encr_r;
	const struct secret *iout = i ? keys->integ_i : keys->integ_r;
	struct ikev2_deferred *d;
	int r;

	/* with a kernel that reports expiry the rekey starts from its soft
	 * expiry: the jitter of rand_time goes there (one value, both SAs) */
	if (ko->expire_events && c->cfg->rekey_time)
		life.soft_seconds = (ikev2_child_soft_ms(c->cfg) + 999) / 1000;
	if (!defer_for)
		return child_kernel_install_sas(ko, &sa->sa, c, encap, ein, iin, eout, iout, &life);
	d = calloc(1, sizeof(*d));
	if (!d || (eout && !(d->encr = secret_dup(eout))) ||
	    (iout && !(d->integ = secret_dup(iout)))) {
		if (d)
			deferred_free(d);
		return -ENOMEM;
	}
	d->child = c->serial;
	d->old = defer_for;
	d->encap = encap;
	d->life = life;
	r = child_kernel_install_sa(ko, &sa->sa, c, encap, true, ein, iin, &life);
	if (r < 0) {
		deferred_free(d);
		return r;
	}
	d->next = e->deferred;
	e->deferred = d;
	log_debug(SUB_IKE, "CHILD SA #%u (%s): outbound SA waits until CHILD SA #%u goes",
		  c->serial, c->cfg->name, defer_for);
	return 0;
}

/* Where c's policies come from: another CHILD SA of sa (c rekeys it) or of
 * another IKE SA (c re-creates it in a reauthentication, reauth.c) that
 * holds them; NULL: c adds its own, unless *skip: c rekeys one that handed
 * its policies to its reauthentication's successor, which keeps them. */
static struct child_sa *policy_source(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
				      const struct child_sa *c, bool *skip)
{
	struct child_sa *o = policy_holder(sa, c);

	*skip = false;
	if (o)
		return o;
	o = c->rekey_of ? sa_table_find_child(&e->table, c->rekey_of) : NULL;
	if (o && o->ike_serial == sa->sa.serial && !o->policies) {
		*skip = true;
		return NULL;
	}
	return ikev2_reauth_policy_holder(e, sa, c);
}

/* The CHILD SA whose going lets c's outbound SA in (0: in at once): as the
 * responder of the exchange that makes c to replace another CHILD SA, a
 * rekey (RFC 7296 2.8) or a reauthentication's re-creation (2.8.3). The
 * initiator has the new inbound SA only once our answer reached it, and it
 * deletes the old pair after that; the kernel sends on the newest outbound
 * SA, so until then ours stays the old one (strongSwan does the same). */
static uint32_t defer_for(const struct ikev2_ike_sa *sa, const struct child_sa *c,
			  const struct child_sa *src)
{
	if (c->initiator)
		return 0;
	if (src && src->ike_serial != sa->sa.serial)
		return src->serial;
	return c->rekey_of;
}

int ikev2_child_install(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct child_sa *c,
			struct span ni, struct span nr, const struct secret *g_ir, uint64_t now)
{
	struct ikev2_child_keys keys;
	bool skip;
	struct child_sa *src = policy_source(e, sa, c, &skip);
	struct span gir;
	char prop[PROPOSAL_STRLEN];
	int r;

	/* a reauthentication (ours or the peer's): the CHILD SA it replaces
	 * holds the policies; sharing its reqid keeps them valid for both
	 * pairs of SAs until the old IKE SA goes (RFC 7296 2.8.3) */
	if (src && src->ike_serial != sa->sa.serial)
		c->reqid = src->reqid;
	memset(&keys, 0, sizeof(keys));
	if (g_ir)
		gir = (struct span){g_ir->data, g_ir->len};
	r = ikev2_child_keys_derive(sa->prf, sa->keys.sk_d, g_ir ? &gir : NULL, ni, nr,
				    child_kernel_encr_len(c), child_kernel_integ_len(c), &keys);
	if (r == 0)
		r = install_sas(e, sa, c, &keys, defer_for(sa, c, src));
	ikev2_child_keys_free(&keys);
	if (r == 0 && src) {
		/* a rekey or reauthentication: the policies (same selectors and
		 * reqid) are the old CHILD SA's; they become this one's */
		if (src->ike_serial != sa->sa.serial)
			log_info(SUB_IKE,
				 "CHILD SA #%u (%s): takes over the policies of CHILD SA #%u "
				 "(reqid %u)",
				 c->serial, c->cfg->name, src->serial, c->reqid);
		src->policies = false;
		c->policies = true;
	} else if (r == 0 && skip) {
		log_debug(SUB_IKE,
			  "CHILD SA #%u (%s): the policies stay with the reauthenticated one",
			  c->serial, c->cfg->name);
	} else if (r == 0) {
		r = child_kernel_policies_add(e->env.kernel, &sa->sa, c);
	}
	if (r < 0) {
		log_err(SUB_IKE, "CHILD SA #%u (%s): installing in the kernel failed", c->serial,
			c->cfg->name);
		ikev2_child_destroy(e, sa, c);
		return -1;
	}
	c->established_ms = now;
	child_sa_set_state(c, CHILD_SA_STATE_INSTALLED);
	log_notice(SUB_IKE, "CHILD SA #%u (%s) of IKE SA #%u installed: SPIs in %08x out %08x, %s",
		   c->serial, c->cfg->name, sa->sa.serial, c->spi_in, c->spi_out,
		   proposal_fmt(&c->proposal, prop, sizeof(prop)));
	ikev2_child_timers(e, c, now);
	if (c->rekey_of)
		ikev2_rekey_child_installed(e, sa, c, ni, nr);
	return 0;
}

void ikev2_child_destroy(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct child_sa *c)
{
	struct child_sa *heir;

	if (c->state == CHILD_SA_STATE_CREATING && c->rekey_of && c->initiator)
		ikev2_rekey_child_failed(e, sa, c, false);
	timers_cancel_all(&e->timers, c->serial);
	if (e->deferred)
		deferred_release(e, c);
	if (c->policies && (heir = policy_heir(sa, c))) {
		heir->policies = true; /* a rekeyed pair: the survivor keeps them */
		c->policies = false;
	}
	child_kernel_remove(e->env.kernel, &sa->sa, c);
	if (c->state != CHILD_SA_STATE_DEAD)
		child_sa_set_state(c, CHILD_SA_STATE_DEAD);
	sa_table_remove_child(&e->table, c);
	ike_sa_remove_child(&sa->sa, c);
	if (sa->req_child == c->serial)
		sa->req_child = 0;
	child_sa_free(c);
}

void ikev2_child_abort(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct child_sa *c)
{
	ikev2_child_destroy(e, sa, c);
}
