/* informational.c: the INFORMATIONAL exchange (RFC 7296 1.4, 1.5, 2.4):
 *
 *   Initiator                         Responder
 *   HDR, SK {[N,] [D,] ...}    -->
 *                              <--    HDR, SK {[N,] [D,] ...}
 *
 * Delete of CHILD SAs: the answer carries a Delete of our half of each pair
 * (1.4.1); Delete of the IKE SA: an empty answer, then everything goes; an
 * empty request is a liveness check and gets an empty answer. We send one
 * when nothing came from the peer for dpd_delay (2.4); a peer that does not
 * answer is declared dead when the retransmissions run out, and the IKE SA
 * and its CHILD SAs go; dpd_action = restart initiates the child again,
 * dpd_action = trap installs its trap policies (acquire.c), clear does
 * nothing more.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ike/child_kernel.h"
#include "ikev2/exchange.h"
#include "lib/log.h"

static int send_chain(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct builder *b,
		      struct ikev2_enc *enc, uint64_t now)
{
	uint8_t first;
	int r = ikev2_chain_encode_end(enc, &first);

	if (r == 0)
		r = ikev2_send_request(e, sa, IKEV2_EXCH_INFORMATIONAL, bld_data(b), bld_off(b),
				       first, now);
	bld_free(b);
	return r;
}

static void spi_bytes(uint32_t spi, uint8_t out[4])
{
	out[0] = (uint8_t)(spi >> 24);
	out[1] = (uint8_t)(spi >> 16);
	out[2] = (uint8_t)(spi >> 8);
	out[3] = (uint8_t)spi;
}

enum ikev2_result ikev2_informational_send_delete_child(struct ikev2_engine *e,
							struct ikev2_ike_sa *sa,
							uint32_t child_serial, uint64_t now)
{
	struct child_sa *c = sa_table_find_child(&e->table, child_serial);
	struct ikev2_delete d;
	struct builder b;
	struct ikev2_enc enc;
	uint8_t spi[4];

	if (!c || c->ike_serial != sa->sa.serial || c->state != CHILD_SA_STATE_INSTALLED)
		return IKEV2_FAIL;
	spi_bytes(c->spi_in, spi);
	memset(&d, 0, sizeof(d));
	d.protocol = c->protocol;
	d.spi_size = 4;
	d.spis = (struct span){spi, 4};
	bld_init(&b, 0);
	ikev2_chain_encode_begin(&enc, &b);
	ikev2_put_delete(&enc, &d);
	if (send_chain(e, sa, &b, &enc, now) < 0)
		return IKEV2_FAIL;
	child_sa_set_state(c, CHILD_SA_STATE_DELETING);
	sa->req_delete_child = c->serial;
	return IKEV2_OK;
}

enum ikev2_result ikev2_informational_send_delete_spi(struct ikev2_engine *e,
						      struct ikev2_ike_sa *sa, uint8_t protocol,
						      uint32_t spi, uint64_t now)
{
	struct ikev2_delete d;
	struct builder b;
	struct ikev2_enc enc;
	uint8_t v[4];

	spi_bytes(spi, v);
	memset(&d, 0, sizeof(d));
	d.protocol = protocol;
	d.spi_size = 4;
	d.spis = (struct span){v, 4};
	bld_init(&b, 0);
	ikev2_chain_encode_begin(&enc, &b);
	ikev2_put_delete(&enc, &d);
	return send_chain(e, sa, &b, &enc, now) < 0 ? IKEV2_FAIL : IKEV2_OK;
}

enum ikev2_result ikev2_informational_send_delete_ike(struct ikev2_engine *e,
						      struct ikev2_ike_sa *sa, uint64_t now)
{
	struct ikev2_delete d = {.protocol = IKEV2_PROTO_IKE};
	struct builder b;
	struct ikev2_enc enc;

	bld_init(&b, 0);
	ikev2_chain_encode_begin(&enc, &b);
	ikev2_put_delete(&enc, &d);
	if (send_chain(e, sa, &b, &enc, now) < 0)
		return IKEV2_FATAL;
	ike_sa_set_state(&sa->sa, IKE_SA_STATE_DELETING);
	return IKEV2_OK;
}

enum ikev2_result ikev2_informational_send_dpd(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					       uint64_t now)
{
	struct builder b;
	struct ikev2_enc enc;

	if (now - sa->last_rx < (uint64_t)sa->sa.conn->dpd_delay * 1000)
		return IKEV2_OK; /* something came while this waited */
	log_info(SUB_IKE, "IKE SA #%u: nothing from the peer for %u s, checking it is alive",
		 sa->sa.serial, sa->sa.conn->dpd_delay);
	bld_init(&b, 0);
	ikev2_chain_encode_begin(&enc, &b);
	return send_chain(e, sa, &b, &enc, now) < 0 ? IKEV2_FAIL : IKEV2_OK;
}

void ikev2_dead_peer(struct ikev2_engine *e, struct ikev2_ike_sa *sa, const char *why)
{
	char conn[MODEL_NAME_MAX], names[8][MODEL_NAME_MAX];
	const struct child_sa *c;
	size_t n = 0, i;

	snprintf(conn, sizeof(conn), "%s", sa->sa.conn ? sa->sa.conn->name : "");
	/* dpd_action = trap: the traps go in before the CHILD SAs' policies
	 * go out, so no packet leaves in the clear meanwhile */
	for (c = sa->sa.children; c && sa->sa.conn; c = c->next)
		if (c->cfg && c->cfg->dpd_action == START_TRAP && !c->rekeyed_by &&
		    ikev2_trap_dpd(e, sa->sa.conn, c->cfg, c->reqid) == 0)
			log_notice(SUB_IKE,
				   "%s: dpd_action = trap: child %s is trapped, the next packet "
				   "negotiates it again",
				   conn, c->cfg->name);
	for (c = sa->sa.children; c && n < 8; c = c->next) {
		if (!c->cfg || c->cfg->dpd_action != START_START || c->rekeyed_by)
			continue;
		for (i = 0; i < n && strcmp(names[i], c->cfg->name) != 0; i++)
			;
		if (i == n)
			snprintf(names[n++], sizeof(names[0]), "%s", c->cfg->name);
	}
	ikev2_sa_delete(e, sa, why);
	for (i = 0; i < n; i++) {
		log_notice(SUB_IKE, "%s: dpd_action = restart: initiating child %s again", conn,
			   names[i]);
		ikev2_initiate(e, conn, names[i], e->now, NULL);
	}
}

void ikev2_dpd_timer(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now)
{
	uint64_t delay;
	unsigned i;

	if (!sa->sa.conn || !sa->sa.conn->dpd_delay || sa->rekeyed_to ||
	    sa->sa.state != IKE_SA_STATE_ESTABLISHED)
		return;
	delay = (uint64_t)sa->sa.conn->dpd_delay * 1000;
	/* ESP from the peer is as good as an IKE message: no liveness check */
	if (now - sa->last_rx >= delay && child_kernel_peer_sent(e->env.kernel, &sa->sa))
		sa->last_rx = now;
	if (now - sa->last_rx >= delay && !sa->out_active) {
		struct ikev2_task t = {.kind = IKEV2_TASK_DPD};

		for (i = 0; i < sa->ntasks && sa->tasks[i].kind != IKEV2_TASK_DPD; i++)
			;
		if (i == sa->ntasks)
			ikev2_task_add(e, sa, &t, now);
	}
	if (sa->sa.state == IKE_SA_STATE_ESTABLISHED)
		timers_set(&e->timers, sa->sa.serial, TIMER_DPD,
			   (now - sa->last_rx >= delay ? now : sa->last_rx) + delay);
}

/* The CHILD SAs a Delete payload names (by the peer's inbound SPIs, which
 * are our outbound ones) go; our inbound SPIs of them are collected. */
static void delete_children(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
			    const struct ikev2_delete *d, uint8_t *ours, size_t *nours, size_t max)
{
	unsigned i;

	for (i = 0; i < d->count; i++) {
		struct span s = ikev2_delete_spi(d, i);
		struct child_sa *c;
		uint32_t spi;

		if (s.len != 4)
			continue;
		spi = (uint32_t)s.p[0] << 24 | (uint32_t)s.p[1] << 16 | (uint32_t)s.p[2] << 8 |
		      s.p[3];
		c = ike_sa_child_by_spi_out(&sa->sa, d->protocol, spi);
		if (!c || c->state == CHILD_SA_STATE_CREATING) {
			log_debug(SUB_IKE, "IKE SA #%u: Delete of unknown SPI %08x ignored",
				  sa->sa.serial, spi);
			continue;
		}
		log_notice(SUB_IKE, "CHILD SA #%u (%s): deleted by the peer", c->serial,
			   c->cfg->name);
		/* 1.4.1: a simultaneous Delete of ours needs no SPI in the answer */
		if (c->state != CHILD_SA_STATE_DELETING && *nours < max) {
			spi_bytes(c->spi_in, ours + 4 * *nours);
			(*nours)++;
		}
		if (sa->req_delete_child == c->serial)
			sa->req_delete_child = 0;
		ikev2_child_destroy(e, sa, c);
	}
}

/* SK{[N], [D]...} --> SK{[D]...} */
static enum ikev2_result informational_inI_outR(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
						struct ikev2_rx *rx, struct ikev2_enc *reply)
{
	const struct ikev2_msg *m = rx->msg;
	const struct ikev2_payload *p = NULL;
	uint8_t esp[4 * 64], ah[4 * 64];
	size_t nesp = 0, nah = 0;
	bool ike = false;
	char peer[IP_ADDR_STRLEN];

	ike_sa_peer(&sa->sa, peer, sizeof(peer));
	if (ikev2_msg_find_notify(m, IKEV2_N_AUTHENTICATION_FAILED)) {
		log_notice(SUB_IKE,
			   "IKE SA #%u %s: the peer refused our authentication "
			   "(AUTHENTICATION_FAILED)",
			   sa->sa.serial, peer);
		return IKEV2_FATAL;
	}
	while ((p = ikev2_msg_find(m, IKEV2_PL_D, p))) {
		if (p->d.protocol == IKEV2_PROTO_IKE)
			ike = true;
		else if (p->d.protocol == IKEV2_PROTO_ESP)
			delete_children(e, sa, &p->d, esp, &nesp, 64);
		else if (p->d.protocol == IKEV2_PROTO_AH)
			delete_children(e, sa, &p->d, ah, &nah, 64);
	}
	if (ike) {
		ikev2_rekey_ike_peer_deleted(e, sa);
		log_notice(SUB_IKE, "IKE SA #%u %s (%s): deleted by the peer", sa->sa.serial, peer,
			   sa->sa.conn ? sa->sa.conn->name : "");
		return IKEV2_FATAL; /* the empty answer goes out first */
	}
	if (nesp) {
		struct ikev2_delete d = {.protocol = IKEV2_PROTO_ESP, .spi_size = 4};

		d.spis = (struct span){esp, 4 * nesp};
		ikev2_put_delete(reply, &d);
	}
	if (nah) {
		struct ikev2_delete d = {.protocol = IKEV2_PROTO_AH, .spi_size = 4};

		d.spis = (struct span){ah, 4 * nah};
		ikev2_put_delete(reply, &d);
	}
	return IKEV2_OK;
}

/* The answer to our Delete (or liveness check). */
static enum ikev2_result informational_inR(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					   struct ikev2_rx *rx, struct ikev2_enc *reply)
{
	struct child_sa *c;
	char peer[IP_ADDR_STRLEN];

	(void)reply;
	(void)rx;
	if (sa->sa.state == IKE_SA_STATE_DELETING) {
		log_notice(SUB_IKE, "IKE SA #%u %s (%s): deleted", sa->sa.serial,
			   ike_sa_peer(&sa->sa, peer, sizeof(peer)),
			   sa->sa.conn ? sa->sa.conn->name : "");
		return IKEV2_FATAL;
	}
	if (sa->req_delete_child) {
		c = sa_table_find_child(&e->table, sa->req_delete_child);
		sa->req_delete_child = 0;
		if (c) {
			log_notice(SUB_IKE, "CHILD SA #%u (%s): deleted", c->serial, c->cfg->name);
			ikev2_child_destroy(e, sa, c);
		}
	}
	return IKEV2_OK;
}

/* The INFORMATIONAL transitions (RFC 7296 1.4). */
const struct ikev2_transition ikev2_informational_transitions[] = {
	/* handler               exchange                  response states
	 *   required payloads
	 *   optional payloads */
	{"informational_inI_outR", IKEV2_EXCH_INFORMATIONAL, false,
	 IKEV2_ST(IKE_SA_STATE_ESTABLISHED) | IKEV2_ST(IKE_SA_STATE_DELETING), 0,
	 IKEV2_PLB(IKEV2_PL_N) | IKEV2_PLB(IKEV2_PL_D) | IKEV2_PLB(IKEV2_PL_CP) |
		 IKEV2_PLB(IKEV2_PL_V),
	 informational_inI_outR},
	{"informational_inR", IKEV2_EXCH_INFORMATIONAL, true,
	 IKEV2_ST(IKE_SA_STATE_ESTABLISHED) | IKEV2_ST(IKE_SA_STATE_DELETING), 0,
	 IKEV2_PLB(IKEV2_PL_N) | IKEV2_PLB(IKEV2_PL_D) | IKEV2_PLB(IKEV2_PL_V), informational_inR},
};
const size_t ikev2_informational_ntransitions =
	sizeof(ikev2_informational_transitions) / sizeof(ikev2_informational_transitions[0]);
