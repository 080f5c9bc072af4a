/* info.c: the Informational exchange (RFC 2408 4.8, RFC 2409 5.7): Delete
 * and Notify, protected by HASH(1) = prf(SKEYID_a, M-ID | N/D) and encrypted
 * once phase 1 has keys; R-U-THERE answered with R-U-THERE-ACK (RFC 3706).
 * An unprotected notify (before keys) is only believed as far as logging it
 * and, for an initiator waiting in phase 1, giving up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/child_kernel.h"
#include "ikev1/ikev1_int.h"
#include "lib/log.h"
#include "lib/util.h"
#include "wire/ikev1_rules.h"

static uint32_t spi32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void ikev1_send_delete_child(struct ikev1_engine *e, struct ikev1_ike_sa *sa,
			     const struct child_sa *c)
{
	uint8_t spi[4] = {(uint8_t)(c->spi_in >> 24), (uint8_t)(c->spi_in >> 16),
			  (uint8_t)(c->spi_in >> 8), (uint8_t)c->spi_in};
	struct ikev1_enc enc;
	struct builder b;

	/* RFC 2408 3.15: the SPI of the SA we receive with, which the peer
	 * knows as its outbound SPI */
	bld_init(&b, 1024);
	ikev1_enc_begin_chain(&enc, &b);
	ikev1_put_delete(&enc, &(struct ikev1_delete){.doi = ISAKMP_DOI_IPSEC,
						      .protocol = c->protocol == PROPOSAL_PROTO_AH
									  ? IPSEC_PROTO_AH
									  : IPSEC_PROTO_ESP,
						      .spi_size = 4,
						      .count = 1,
						      .spis = {spi, 4}});
	if (ikev1_enc_end(&enc) == 0 &&
	    ikev1_send_info(e, sa, enc.first, bld_data(&b), bld_off(&b)) == 0)
		log_info(SUB_IKE, "ISAKMP SA #%u: sent Delete for IPsec SA #%u (SPI %08x)",
			 sa->sa.serial, c->serial, c->spi_in);
	bld_free(&b);
}

void ikev1_send_delete_isakmp(struct ikev1_engine *e, struct ikev1_ike_sa *sa)
{
	uint8_t spi[16];
	struct ikev1_enc enc;
	struct builder b;

	if (!sa->have_keys)
		return;
	memcpy(spi, sa->sa.spi_i, 8);
	memcpy(spi + 8, sa->sa.spi_r, 8);
	bld_init(&b, 1024);
	ikev1_enc_begin_chain(&enc, &b);
	ikev1_put_delete(&enc, &(struct ikev1_delete){.doi = ISAKMP_DOI_IPSEC,
						      .protocol = IPSEC_PROTO_ISAKMP,
						      .spi_size = 16,
						      .count = 1,
						      .spis = {spi, 16}});
	if (ikev1_enc_end(&enc) == 0 &&
	    ikev1_send_info(e, sa, enc.first, bld_data(&b), bld_off(&b)) == 0)
		log_info(SUB_IKE, "ISAKMP SA #%u: sent Delete for the ISAKMP SA", sa->sa.serial);
	bld_free(&b);
}

static void dpd_ack(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const struct ikev1_notify *n)
{
	struct ikev1_enc enc;
	struct builder b;

	bld_init(&b, 1024);
	ikev1_enc_begin_chain(&enc, &b);
	ikev1_put_notify(&enc, &(struct ikev1_notify){.doi = ISAKMP_DOI_IPSEC,
						      .protocol = IPSEC_PROTO_ISAKMP,
						      .type = ISAKMP_N_DPD_R_U_THERE_ACK,
						      .spi = n->spi,
						      .data = n->data});
	if (ikev1_enc_end(&enc) == 0)
		ikev1_send_info(e, sa, enc.first, bld_data(&b), bld_off(&b));
	bld_free(&b);
}

struct by_spi_out {
	const struct ike_sa *self;
	uint8_t protocol;
	uint32_t spi;
	struct child_sa *found;
};

static void find_by_spi_out(const struct ike_sa *s, void *ctx)
{
	struct by_spi_out *f = ctx;

	if (!f->found && s != f->self && ip_addr_eq(&s->remote.addr, &f->self->remote.addr))
		f->found = ike_sa_child_by_spi_out(s, f->protocol, f->spi);
}

static void handle_delete(struct ikev1_engine *e, struct ikev1_ike_sa *sa,
			  const struct ikev1_delete *d)
{
	uint16_t i;

	if (d->protocol == IPSEC_PROTO_ISAKMP) {
		if (d->spi_size == 16 && d->count >= 1 && memcmp(d->spis.p, sa->sa.spi_i, 8) == 0 &&
		    memcmp(d->spis.p + 8, sa->sa.spi_r, 8) == 0)
		/* the seeds: the main mode SA goes, quick mode SAs run
			 * to their own lifetimes - but their keys live in this
			 * process only while it has an SA to hang them on, so
			 * oak keeps them in the kernel and forgets the ISAKMP
			 * SA's state with it */
		{
			ikev1_sa_handover(e, sa);
			ikev1_sa_delete(e, sa, "the peer deleted the ISAKMP SA");
		} else
			log_notice(SUB_IKE, "ISAKMP SA #%u: Delete for another ISAKMP SA ignored",
				   sa->sa.serial);
		return;
	}
	if ((d->protocol != IPSEC_PROTO_ESP && d->protocol != IPSEC_PROTO_AH) || d->spi_size != 4) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: Delete for protocol %u with %u-byte SPIs ignored",
			   sa->sa.serial, d->protocol, d->spi_size);
		return;
	}
	for (i = 0; i < d->count; i++) {
		uint32_t spi = spi32(d->spis.p + (size_t)4 * i);
		uint8_t proto =
			d->protocol == IPSEC_PROTO_AH ? PROPOSAL_PROTO_AH : PROPOSAL_PROTO_ESP;
		struct child_sa *c = ike_sa_child_by_spi_out(&sa->sa, proto, spi);
		struct ikev1_ike_sa *owner = sa;

		if (!c) {
			/* a peer that reauthenticated (strongSwan) deletes an IPsec
			 * SA of the old ISAKMP SA through the new one */
			struct by_spi_out f = {.self = &sa->sa, .protocol = proto, .spi = spi};

			ikev1_sa_foreach(e, find_by_spi_out, &f);
			if (f.found) {
				c = f.found;
				owner = ikev1_sa_by_serial(e, c->ike_serial);
			}
		}
		if (!c || !owner) {
			log_info(SUB_IKE, "ISAKMP SA #%u: Delete for unknown SPI %08x",
				 sa->sa.serial, spi);
			continue;
		}
		log_notice(SUB_IKE, "IPsec SA #%u (%s) of ISAKMP SA #%u: deleted by the peer",
			   c->serial, c->cfg->name, owner->sa.serial);
		ikev1_child_destroy(e, owner, c);
	}
}

static void clear_info(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx)
{
	const struct ikev1_payload *p = ikev1_msg_get(rx->msg, ISAKMP_NP_N, 0);
	char nb[32];

	if (!p) {
		log_info(SUB_IKE, "ISAKMP SA #%u: clear Informational without a notify dropped",
			 sa->sa.serial);
		return;
	}
	log_notice(SUB_IKE, "ISAKMP SA #%u: the peer answered %s (unprotected)", sa->sa.serial,
		   ikev1_notify_str(p->u.n.type, nb, sizeof(nb)));
	/* only an initiator still waiting in phase 1 gives up on it: an
	 * unauthenticated notify must not tear down an established SA */
	if (sa->sa.initiator && sa->p1 != P1_DONE && p->u.n.type < 16384)
		ikev1_sa_delete(e, sa, ikev1_notify_str(p->u.n.type, nb, sizeof(nb)));
}

void ikev1_info_recv(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx)
{
	const struct ikev1_payload *hp, *p;
	uint8_t iv[IKEV1_IV_MAX], h[IKEV1_HASH_MAX];
	struct wire_err err;
	struct span rest;
	const uint8_t *end;
	char nb[32];
	unsigned i;

	if (!(rx->msg->hdr.flags & ISAKMP_FLAG_E)) {
		clear_info(e, sa, rx);
		return;
	}
	if (!sa->have_keys || ikev1_p2_iv(sa, rx->msg->hdr.msg_id, iv) < 0)
		return;
	if (ikev1_open(sa, rx, iv, &err) < 0 || ikev1_rules_check(rx->msg, 0, &err) < 0) {
		log_notice(SUB_IKE, "ISAKMP SA #%u: Informational dropped: %s at offset %zu",
			   sa->sa.serial, err.reason, err.offset);
		return;
	}
	hp = ikev1_msg_get(rx->msg, ISAKMP_NP_HASH, 0);
	end = rx->msg->padding.p ? rx->msg->padding.p : rx->plain + rx->plain_len;
	if (!hp || hp->offset != 28 || rx->plain + hp->length > end) {
		log_notice(SUB_IKE, "ISAKMP SA #%u: Informational without HASH(1) first: dropped",
			   sa->sa.serial);
		return;
	}
	rest = (struct span){rx->plain + hp->length, (size_t)(end - rx->plain - hp->length)};
	if (hp->u.data.len != sa->prf->out_len ||
	    ikev1_qm_hash1(sa->prf, sa->keys.skeyid_a, rx->msg->hdr.msg_id, rest, h) < 0 ||
	    memcmp(h, hp->u.data.p, sa->prf->out_len) != 0) {
		log_notice(SUB_IKE, "ISAKMP SA #%u: Informational HASH(1) does not match: dropped",
			   sa->sa.serial);
		return;
	}
	for (i = 0; (p = ikev1_msg_get(rx->msg, ISAKMP_NP_N, i)); i++) {
		const struct ikev1_notify *n = &p->u.n;

		switch (n->type) {
		case ISAKMP_N_DPD_R_U_THERE:
			log_debug(SUB_IKE, "ISAKMP SA #%u: R-U-THERE, answering", sa->sa.serial);
			dpd_ack(e, sa, n);
			break;
		case ISAKMP_N_DPD_R_U_THERE_ACK:
			ikev1_dpd_ack(sa, n);
			break;
		case IPSEC_N_INITIAL_CONTACT:
			ikev1_initial_contact(e, sa);
			break;
		default:
			log_notice(SUB_IKE, "ISAKMP SA #%u: the peer sent %s", sa->sa.serial,
				   ikev1_notify_str(n->type, nb, sizeof(nb)));
			if (n->type < 8192) /* RFC 2408 3.14.1: an error */
				ikev1_qm_refused(e, sa, n);
		}
	}
	for (i = 0; (p = ikev1_msg_get(rx->msg, ISAKMP_NP_D, i)); i++) {
		handle_delete(e, sa, &p->u.d);
		if (sa->sa.state == IKE_SA_STATE_DEAD)
			return;
	}
}

/* --- dead peer detection (RFC 3706) --- */

/* The children's configs of sa (in the engine's current config, by name)
 * whose dpd_action is `action`, each once. */
static size_t dpd_children(struct ikev1_engine *e, const struct ikev1_ike_sa *sa,
			   enum start_action action, const struct child_cfg **out)
{
	const struct conn_cfg *conn =
		e->config && sa->sa.conn ? oak_config_conn(e->config, sa->sa.conn->name) : NULL;
	const struct child_sa *c;
	size_t n = 0, i;

	for (c = sa->sa.children; conn && c && n < IKEV1_MAX_QM; c = c->next) {
		const struct child_cfg *cfg = c->cfg ? conn_cfg_child(conn, c->cfg->name) : NULL;

		if (!cfg || cfg->dpd_action != action)
			continue;
		for (i = 0; i < n && out[i] != cfg; i++)
			;
		if (i == n)
			out[n++] = cfg;
	}
	return n;
}

/* RFC 3706 leaves the action to the implementation; as strongSwan, each
 * child's dpd_action: clear (the IPsec SAs go with the ISAKMP SA), restart
 * (a new Main Mode, then a Quick Mode for each such child) or trap (trap
 * policies: the next packet for the peer starts it again). */
static void dpd_dead(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint64_t now)
{
	const struct child_cfg *restart[IKEV1_MAX_QM], *trap[IKEV1_MAX_QM];
	size_t nrestart = dpd_children(e, sa, START_START, restart);
	size_t ntrap = dpd_children(e, sa, START_TRAP, trap), i;
	const struct conn_cfg *conn =
		ntrap || nrestart ? oak_config_conn(e->config, sa->sa.conn->name) : NULL;
	struct ikev1_ike_sa *fresh;
	uint32_t serial = 0;

	/* the traps go in before the IPsec SAs' policies go out, so no packet
	 * leaves in the clear meanwhile (as the IKEv2 engine does) */
	for (i = 0; i < ntrap; i++)
		ikev1_trap_install(e, conn, trap[i]);
	ikev1_sa_delete(e, sa, "dead peer detection");
	if (!nrestart)
		return;
	log_notice(SUB_IKE, "%s: dpd_action = restart for %zu child%s", conn->name, nrestart,
		   nrestart == 1 ? "" : "ren");
	/* a Quick Mode on another ISAKMP SA of the connection when there is
	 * one, else a new Main Mode that then runs a Quick Mode for each */
	if (ikev1_initiate(e, conn->name, restart[0]->name, now, &serial) < 0 ||
	    !(fresh = ikev1_sa_by_serial(e, serial)))
		return;
	for (i = 1; i < nrestart; i++)
		if (fresh->sa.state == IKE_SA_STATE_ESTABLISHED)
			ikev1_initiate(e, conn->name, restart[i]->name, now, NULL);
		else
			fresh->want_more[fresh->nwant_more++] = restart[i];
}

/* Every dpd_delay: when nothing came from the peer since the last look,
 * R-U-THERE; when one is unanswered for dpd_timeout (strongSwan's default
 * 150 s), the peer is dead: the SA with its IPsec SAs goes, and what each
 * child's dpd_action says follows (dpd_dead). Only with a peer that sent
 * the DPD vendor ID. */
void ikev1_dpd_timer(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint64_t now)
{
	const struct conn_cfg *c = sa->sa.conn;
	uint64_t delay = (uint64_t)c->dpd_delay * 1000;
	uint64_t timeout = (uint64_t)(c->dpd_timeout ? c->dpd_timeout : 150) * 1000;
	uint8_t spi[16], seq[4];
	struct ikev1_enc enc;
	struct builder b;

	if (sa->sa.state != IKE_SA_STATE_ESTABLISHED || !delay)
		return;
	/* RFC 3706 5.3: IPsec traffic from the peer shows it alive */
	if (now - sa->last_heard >= delay && child_kernel_peer_sent(e->env.kernel, &sa->sa))
		sa->last_heard = now;
	if (sa->dpd_sent && sa->last_heard < sa->dpd_sent && now >= sa->dpd_sent + timeout) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u (%s): no answer to R-U-THERE for %llu s: the "
			   "peer is dead",
			   sa->sa.serial, c->name, (unsigned long long)(timeout / 1000));
		dpd_dead(e, sa, now);
		return;
	}
	if (now - sa->last_heard >= delay && !sa->dpd_sent) {
		sa->dpd_seq++;
		seq[0] = (uint8_t)(sa->dpd_seq >> 24), seq[1] = (uint8_t)(sa->dpd_seq >> 16);
		seq[2] = (uint8_t)(sa->dpd_seq >> 8), seq[3] = (uint8_t)sa->dpd_seq;
		memcpy(spi, sa->sa.spi_i, 8);
		memcpy(spi + 8, sa->sa.spi_r, 8);
		bld_init(&b, 1024);
		ikev1_enc_begin_chain(&enc, &b);
		ikev1_put_notify(&enc, &(struct ikev1_notify){.doi = ISAKMP_DOI_IPSEC,
							      .protocol = IPSEC_PROTO_ISAKMP,
							      .type = ISAKMP_N_DPD_R_U_THERE,
							      .spi = {spi, 16},
							      .data = {seq, 4}});
		if (ikev1_enc_end(&enc) == 0 &&
		    ikev1_send_info(e, sa, enc.first, bld_data(&b), bld_off(&b)) == 0) {
			sa->dpd_sent = now;
			log_debug(SUB_IKE, "ISAKMP SA #%u: R-U-THERE %u", sa->sa.serial,
				  sa->dpd_seq);
		}
		bld_free(&b);
	}
	timers_set(&e->timers, sa->sa.serial, TIMER_DPD,
		   now + (sa->dpd_sent ? MIN(delay, timeout) : delay));
}

void ikev1_dpd_ack(struct ikev1_ike_sa *sa, const struct ikev1_notify *n)
{
	uint32_t seq;

	if (ikev1_notify_dpd_seq(n, &seq) < 0 || seq != sa->dpd_seq) {
		log_info(SUB_IKE, "ISAKMP SA #%u: R-U-THERE-ACK with an unexpected sequence number",
			 sa->sa.serial);
		return;
	}
	sa->dpd_sent = 0;
	log_debug(SUB_IKE, "ISAKMP SA #%u: R-U-THERE-ACK %u", sa->sa.serial, seq);
}
