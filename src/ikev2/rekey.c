/* rekey.c: lifetimes and rekeying of IKEv2 SAs (RFC 7296 1.3.2, 1.3.3,
 * 2.8, 2.8.1, 2.18, 2.25).
 *
 * CHILD SA rekey (the exchange is in create_child_sa.c): the new CHILD SA
 * keeps the old one's reqid, traffic selectors and mode, takes over its
 * policies, and the initiator of the rekey deletes the old one; the
 * responder marks the old one replaced (rekeyed_by) and waits for that
 * Delete.
 *
 * IKE SA rekey (here):
 *
 *   Initiator                         Responder
 *   HDR, SK {SA, Ni, KEi}     -->
 *                             <--     HDR, SK {SA, Nr, KEr}
 *
 * The SA payload carries the new IKE SA's SPI of its sender; SKEYSEED =
 * prf(SK_d (old), g^ir (new) | Ni | Nr) (2.18); the CHILD SAs move to the
 * new IKE SA, whose original initiator is the rekey's initiator, and the
 * rekey's initiator deletes the old IKE SA.
 *
 * Collisions (2.8.1): a peer asked to rekey an SA it is rekeying itself
 * answers as usual and remembers what the peer's exchange made (coll_*).
 * When its own exchange completes it compares the lowest nonce of each
 * exchange: the SA made by the exchange holding the lowest of the four is
 * redundant and its maker deletes it; the maker of the other deletes the
 * old SA. A rekey that meets a rekey the peer already finished, or a
 * CREATE_CHILD_SA in flight, is answered with TEMPORARY_FAILURE (2.25) and
 * retried a few seconds later.
 *
 * Lifetimes: a CHILD SA rekeys at rekey_time minus a random part of
 * rand_time and is deleted at life_time; an IKE SA rekeys at rekey_time
 * and reauthenticates (reauth.c) at reauth_time, each minus a random part
 * of rand_time, and is deleted at max(rekey_time, reauth_time) +
 * over_time. The kernel's soft and hard
 * expires (ikev2_kernel_expire) do the same for CHILD SAs.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/rand.h"
#include "ike/proposal_match.h"
#include "ikev2/exchange.h"
#include "lib/log.h"
#include "lib/util.h"

#define NONCE_LEN 32
#define RETRY_MS  3000	 /* after TEMPORARY_FAILURE: try again (2.25) */
#define GRACE_MS  300000 /* a replaced IKE SA the peer does not delete goes then */

/* --- lifetimes --- */

/* base - a random part of jitter (both seconds) in ms; 0 when base is 0. */
static uint64_t jittered(uint32_t base, uint32_t jitter)
{
	uint64_t ms = (uint64_t)base * 1000, j = (uint64_t)jitter * 1000;
	uint32_t r = 0;

	if (!ms)
		return 0;
	if (j && rand_public(&r, sizeof(r)) == 0) /* not a secret: spreads rekeys */
		j = r % (j + 1);
	else
		j = 0;
	if (j >= ms) /* rand_time larger than rekey_time: keep a second */
		j = ms - (ms > 1000 ? 1000 : 0);
	return ms - j;
}

uint64_t ikev2_child_soft_ms(const struct child_cfg *cfg)
{
	return jittered(cfg->rekey_time, cfg->rand_time);
}

void ikev2_child_timers(struct ikev2_engine *e, const struct child_sa *c, uint64_t now)
{
	const struct child_cfg *cfg = c->cfg;
	uint64_t soft = jittered(cfg->rekey_time, cfg->rand_time);

	/* the kernel's soft EXPIRE starts the rekey (kernel_ops.expire_events) */
	if (soft && !(e->env.kernel && e->env.kernel->expire_events))
		timers_set(&e->timers, c->serial, TIMER_REKEY, now + soft);
	if (cfg->life_time)
		timers_set(&e->timers, c->serial, TIMER_EXPIRE,
			   now + (uint64_t)cfg->life_time * 1000);
}

void ikev2_ike_timers(struct ikev2_engine *e, const struct ikev2_ike_sa *sa, uint64_t now)
{
	const struct conn_cfg *conn = sa->sa.conn;
	uint64_t soft, hard;

	if (!conn)
		return;
	soft = jittered(conn->rekey_time, conn->rand_time);
	if (soft)
		timers_set(&e->timers, sa->sa.serial, TIMER_REKEY, now + soft);
	/* reauth.c: the same jitter as the rekey (swanctl.conf rand_time) */
	soft = jittered(conn->reauth_time, conn->rand_time);
	if (soft)
		timers_set(&e->timers, sa->sa.serial, TIMER_REAUTH, now + soft);
	hard = (uint64_t)MAX(conn->rekey_time, conn->reauth_time);
	if (hard) {
		hard = (hard + conn->over_time) * 1000;
		timers_set(&e->timers, sa->sa.serial, TIMER_EXPIRE, now + hard);
	}
	if (conn->dpd_delay)
		timers_set(&e->timers, sa->sa.serial, TIMER_DPD,
			   now + (uint64_t)conn->dpd_delay * 1000);
	ikev2_keepalive(e, sa, now, false);
}

static void notify_rekeyed(struct ikev2_engine *e, bool ike, uint32_t from, uint32_t to)
{
	if (e->env.events.rekeyed)
		e->env.events.rekeyed(e->env.events.ctx, ike, from, to);
}

/* RFC 7296 2.8.1: which nonce is lower (as octet strings). */
static int nonce_cmp(struct span a, struct span b)
{
	size_t n = a.len < b.len ? a.len : b.len;
	int r = memcmp(a.p, b.p, n);

	if (r)
		return r;
	return a.len < b.len ? -1 : a.len > b.len;
}

static struct span lower(struct span a, struct span b)
{
	return nonce_cmp(a, b) <= 0 ? a : b;
}

static void remember_collision(struct ikev2_ike_sa *sa, uint32_t made, bool ike, struct span ni,
			       struct span nr)
{
	struct span lo = lower(ni, nr);

	sa->coll_new = made;
	sa->coll_ike = ike;
	if (ikev2_nonce_set(&sa->coll_nonce, &sa->coll_nonce_len, lo.p, lo.len) < 0)
		sa->coll_nonce_len = 0;
}

/* --- CHILD SAs --- */

static void child_replaced(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct child_sa *old,
			   struct child_sa *by, bool delete_old)
{
	struct ikev2_task t = {.kind = IKEV2_TASK_DELETE_CHILD, .serial = old->serial};

	old->rekeying = false;
	old->rekeyed_by = by->serial;
	timers_cancel(&e->timers, old->serial, TIMER_REKEY);
	log_notice(SUB_IKE, "CHILD SA #%u (%s) rekeyed to CHILD SA #%u (SPIs in %08x out %08x)",
		   old->serial, old->cfg->name, by->serial, by->spi_in, by->spi_out);
	notify_rekeyed(e, false, old->serial, by->serial);
	if (delete_old)
		ikev2_task_add(e, sa, &t, e->now);
}

void ikev2_rekey_child_installed(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
				 struct child_sa *c, struct span ni, struct span nr)
{
	struct child_sa *old = sa_table_find_child(&e->table, c->rekey_of);
	struct child_sa *theirs;

	if (old && old->ike_serial != sa->sa.serial)
		old = NULL;
	if (!c->initiator) {
		if (old && old->rekeying) { /* 2.8.1: we are rekeying it too */
			log_info(SUB_IKE,
				 "CHILD SA #%u (%s): simultaneous rekey, the peer's made CHILD "
				 "SA #%u; waiting for ours",
				 old->serial, old->cfg->name, c->serial);
			remember_collision(sa, c->serial, false, ni, nr);
		} else if (old) {
			child_replaced(e, sa, old, c, false);
		}
		return; /* old gone meanwhile: c is an ordinary CHILD SA */
	}
	theirs =
		sa->coll_new && !sa->coll_ike ? sa_table_find_child(&e->table, sa->coll_new) : NULL;
	if (!theirs || theirs->rekey_of != c->rekey_of) {
		if (old)
			child_replaced(e, sa, old, c, true);
		return;
	}
	/* the collision is resolved even when the winner deleted the old CHILD
	 * SA before our answer came (a lost or late response) */
	sa->coll_new = 0;
	if (nonce_cmp(lower(ni, nr), (struct span){sa->coll_nonce, sa->coll_nonce_len}) < 0) {
		/* ours holds the lowest nonce: ours is redundant, we delete it;
		 * the peer deletes the old one */
		struct ikev2_task t = {.kind = IKEV2_TASK_DELETE_CHILD, .serial = c->serial};

		log_notice(SUB_IKE,
			   "CHILD SA #%u (%s): rekey collision lost (lowest nonce): deleting "
			   "our redundant CHILD SA #%u",
			   c->rekey_of, c->cfg->name, c->serial);
		if (old)
			child_replaced(e, sa, old, theirs, false);
		c->rekeyed_by = theirs->serial;
		timers_cancel_all(&e->timers, c->serial);
		ikev2_task_add(e, sa, &t, e->now);
		return;
	}
	log_notice(SUB_IKE,
		   "CHILD SA #%u (%s): rekey collision won: the peer deletes its redundant "
		   "CHILD SA #%u",
		   c->rekey_of, c->cfg->name, theirs->serial);
	theirs->rekeyed_by = c->serial;
	timers_cancel(&e->timers, theirs->serial, TIMER_REKEY);
	if (old)
		child_replaced(e, sa, old, c, true);
}

void ikev2_rekey_child_failed(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct child_sa *c,
			      bool retry)
{
	struct child_sa *old = sa_table_find_child(&e->table, c->rekey_of);
	struct child_sa *theirs;

	if (!old || !old->rekeying)
		return;
	old->rekeying = false;
	theirs =
		sa->coll_new && !sa->coll_ike ? sa_table_find_child(&e->table, sa->coll_new) : NULL;
	if (theirs && theirs->rekey_of == old->serial) { /* the peer's rekey stands */
		sa->coll_new = 0;
		child_replaced(e, sa, old, theirs, false);
		return;
	}
	if (retry && !old->rekeyed_by) {
		log_info(SUB_IKE, "CHILD SA #%u (%s): rekeying again in %u s", old->serial,
			 old->cfg->name, RETRY_MS / 1000);
		timers_set(&e->timers, old->serial, TIMER_REKEY, e->now + RETRY_MS);
	}
}

struct child_sa *ikev2_rekey_child_target(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					  const struct ikev2_payload *n, struct ikev2_enc *reply)
{
	struct child_sa *old = NULL;
	uint32_t spi = 0;
	uint16_t err = IKEV2_N_CHILD_SA_NOT_FOUND;

	(void)e;
	if (n->n.spi.len == 4) {
		spi = (uint32_t)n->n.spi.p[0] << 24 | (uint32_t)n->n.spi.p[1] << 16 |
		      (uint32_t)n->n.spi.p[2] << 8 | n->n.spi.p[3];
		old = ike_sa_child_by_spi_out(&sa->sa, n->n.protocol, spi);
	}
	if (old && old->state == CHILD_SA_STATE_INSTALLED && !old->rekeyed_by && !sa->rekeyed_to)
		return old;
	if (old || sa->rekeyed_to)
		err = IKEV2_N_TEMPORARY_FAILURE; /* 2.25: being deleted or replaced */
	log_notice(SUB_IKE, "IKE SA #%u: the peer asks to rekey CHILD SA with SPI %08x: %s",
		   sa->sa.serial, spi,
		   err == IKEV2_N_TEMPORARY_FAILURE ? "it is being deleted or replaced, "
						      "TEMPORARY_FAILURE"
						    : "no such CHILD SA, CHILD_SA_NOT_FOUND");
	ikev2_put_notify_data(reply, err, NULL, 0);
	return NULL;
}

int ikev2_rekey_child(struct ikev2_engine *e, uint32_t child_serial, uint64_t now_ms)
{
	struct child_sa *c = sa_table_find_child(&e->table, child_serial);
	struct ikev2_ike_sa *sa = c ? ikev2_sa_by_serial(e, c->ike_serial) : NULL;
	struct ikev2_task t = {.kind = IKEV2_TASK_REKEY_CHILD, .serial = child_serial};
	unsigned i;
	int r;

	if (!c || !sa || c->state == CHILD_SA_STATE_CREATING ||
	    sa->sa.state != IKE_SA_STATE_ESTABLISHED)
		return -ENOENT;
	if (c->state != CHILD_SA_STATE_INSTALLED || c->rekeying || c->rekeyed_by || sa->rekeyed_to)
		return -EBUSY;
	for (i = 0; i < sa->ntasks; i++)
		if ((sa->tasks[i].kind == IKEV2_TASK_REKEY_CHILD ||
		     sa->tasks[i].kind == IKEV2_TASK_DELETE_CHILD) &&
		    sa->tasks[i].serial == child_serial)
			return -EBUSY;
	ikev2_enter(e);
	e->now = now_ms;
	r = ikev2_task_add(e, sa, &t, now_ms);
	ikev2_leave(e);
	return r < 0 ? -EBUSY : 0;
}

/* Hard limit: the kernel removed (or is about to remove) the SAs. */
static void child_expired(struct ikev2_engine *e, struct child_sa *c, uint64_t now)
{
	struct ikev2_ike_sa *sa = ikev2_sa_by_serial(e, c->ike_serial);
	struct ikev2_task t = {.kind = IKEV2_TASK_DELETE_SPI};

	if (!sa)
		return;
	log_notice(SUB_IKE, "CHILD SA #%u (%s): hard lifetime reached, deleting it", c->serial,
		   c->cfg->name);
	t.protocol = c->protocol;
	t.serial = c->spi_in;
	ikev2_child_destroy(e, sa, c);
	if (sa->sa.state == IKE_SA_STATE_ESTABLISHED)
		ikev2_task_add(e, sa, &t, now);
}

void ikev2_kernel_expire(struct ikev2_engine *e, uint8_t protocol, uint32_t spi, bool hard,
			 uint64_t now_ms)
{
	uint8_t proto = protocol == IPPROTO_AH ? PROPOSAL_PROTO_AH : PROPOSAL_PROTO_ESP;
	struct child_sa *c = sa_table_find_child_spi(&e->table, proto, spi);
	struct ikev2_ike_sa *sa;

	ikev2_enter(e);
	e->now = now_ms;
	if (!c) { /* our outbound SPI: the peer's inbound one */
		uint32_t serials[1024];
		size_t n = sa_table_serials(&e->table, serials, ARRAY_SIZE(serials)), i;

		for (i = 0; i < n && !c; i++)
			if ((sa = ikev2_sa_by_serial(e, serials[i])))
				c = ike_sa_child_by_spi_out(&sa->sa, proto, spi);
	}
	if (!c || c->state == CHILD_SA_STATE_CREATING) {
		log_debug(SUB_IKE, "kernel %s expire of unknown SA %08x ignored",
			  hard ? "hard" : "soft", spi);
	} else if (hard) {
		child_expired(e, c, now_ms);
	} else if (!c->rekeying && !c->rekeyed_by) {
		log_info(SUB_IKE,
			 "CHILD SA #%u (%s): soft lifetime reached in the kernel, rekeying",
			 c->serial, c->cfg->name);
		ikev2_rekey_child(e, c->serial, now_ms);
	}
	ikev2_leave(e);
}

/* A timer of a CHILD SA (timers name SAs by serial). */
void ikev2_child_timer(struct ikev2_engine *e, uint32_t serial, enum timer_kind kind, uint64_t now)
{
	struct child_sa *c = sa_table_find_child(&e->table, serial);
	int r;

	if (!c)
		return;
	if (kind == TIMER_EXPIRE) {
		child_expired(e, c, now);
	} else if (kind == TIMER_REKEY) {
		log_info(SUB_IKE, "CHILD SA #%u (%s): rekey time reached", c->serial, c->cfg->name);
		r = ikev2_rekey_child(e, serial, now);
		if (r == -EBUSY && !c->rekeyed_by)
			timers_set(&e->timers, serial, TIMER_REKEY, now + RETRY_MS);
	}
}

/* --- IKE SAs --- */

static void put_ke(struct ikev2_enc *enc, const struct ikev2_kex *d)
{
	struct ikev2_ke ke;

	memset(&ke, 0, sizeof(ke));
	ke.group = d->group->id;
	ke.data = (struct span){d->pub, d->group->pub_len};
	ikev2_put_ke(enc, &ke);
}

/* Our IKE proposals for conn, numbered. */
static size_t ike_proposals(const struct conn_cfg *conn, struct proposal *out)
{
	size_t i, n = conn->nike;

	if (n == 0)
		n = proposal_defaults(PROPOSAL_PROTO_IKE, out, PROPOSAL_MAX);
	else
		for (i = 0; i < n && i < PROPOSAL_MAX; i++)
			out[i] = conn->ike[i];
	n = n > PROPOSAL_MAX ? PROPOSAL_MAX : n;
	for (i = 0; i < n; i++)
		out[i].num = (uint8_t)(i + 1);
	return n;
}

/* Move the CHILD SAs and queued requests of old to n (the surviving new SA). */
static void move_children(struct ikev2_engine *e, struct ikev2_ike_sa *old, struct ikev2_ike_sa *n)
{
	struct child_sa *c;
	unsigned i, k = 0;

	while ((c = old->sa.children)) {
		ike_sa_remove_child(&old->sa, c);
		c->ike_serial = n->sa.serial;
		ike_sa_add_child(&n->sa, c);
	}
	for (i = 0; i < old->ntasks; i++) {
		if (old->tasks[i].kind == IKEV2_TASK_DELETE_IKE ||
		    old->tasks[i].kind == IKEV2_TASK_REKEY_IKE) {
			old->tasks[k++] = old->tasks[i];
			continue;
		}
		if (n->ntasks < IKEV2_TASKS_MAX &&
		    (n->tasks || (n->tasks = calloc(IKEV2_TASKS_MAX, sizeof(*n->tasks)))))
			n->tasks[n->ntasks++] = old->tasks[i];
	}
	old->ntasks = k;
}

/* old is replaced by winner (which gets its CHILD SAs); we delete old when
 * delete_old, else the peer does (or GRACE_MS passes). */
static void ike_replaced(struct ikev2_engine *e, struct ikev2_ike_sa *old,
			 struct ikev2_ike_sa *winner, bool delete_old)
{
	struct ikev2_task t = {.kind = IKEV2_TASK_DELETE_IKE};

	move_children(e, old, winner);
	old->rekeyed_to = winner->sa.serial;
	timers_cancel(&e->timers, old->sa.serial, TIMER_REKEY);
	timers_cancel(&e->timers, old->sa.serial, TIMER_DPD);
	timers_set(&e->timers, old->sa.serial, TIMER_EXPIRE, e->now + GRACE_MS);
	log_notice(SUB_IKE, "IKE SA #%u (%s) rekeyed to IKE SA #%u", old->sa.serial,
		   old->sa.conn ? old->sa.conn->name : "", winner->sa.serial);
	notify_rekeyed(e, true, old->sa.serial, winner->sa.serial);
	if (delete_old)
		ikev2_task_add(e, old, &t, e->now);
	ikev2_task_kick(e, winner, e->now);
}

/* The new IKE SA n has its keys: established. */
static void ike_new_established(struct ikev2_engine *e, struct ikev2_ike_sa *old,
				struct ikev2_ike_sa *n)
{
	/* (out of memory: n shows no identities; it works all the same) */
	(void)ike_sa_set_local_id(&n->sa, ike_sa_local_id(&old->sa));
	(void)ike_sa_set_remote_id(&n->sa, ike_sa_remote_id(&old->sa));
	n->sa.nat_local = old->sa.nat_local;
	n->sa.nat_remote = old->sa.nat_remote;
	n->nat_forced = old->nat_forced;
	n->frag_peer = old->frag_peer; /* RFC 7383 2.3: a property of the IKE SA */
	n->sa.established_ms = e->now;
	n->rekey_parent = 0;
	n->last_rx = e->now;
	ike_sa_set_state(&n->sa, IKE_SA_STATE_ESTABLISHED);
	if (!n->sa.initiator)
		sa_table_forget_init(&e->table, &n->sa);
	ikev2_ike_timers(e, n, e->now);
}

/* g_ir in old's dh: derive the new SA's keys. 0 or -1 (logged). */
static int ike_rekey_keys(struct ikev2_engine *e, struct ikev2_ike_sa *old, struct ikev2_ike_sa *n,
			  const struct secret *g_ir)
{
	struct secret *skeyseed = NULL;
	struct span gir = {g_ir->data, g_ir->len};
	int r = ikev2_skeyseed_rekey(old->prf, old->keys.sk_d, gir, (struct span){n->ni, n->ni_len},
				     (struct span){n->nr, n->nr_len}, &skeyseed);

	if (r == 0)
		r = ikev2_ike_keys_seeded(e, n, skeyseed);
	secret_free(skeyseed);
	if (r < 0)
		log_err(SUB_IKE, "IKE SA #%u: keys of the rekeyed IKE SA #%u failed",
			old->sa.serial, n->sa.serial);
	return r < 0 ? -1 : 0;
}

static void ike_rekey_abort(struct ikev2_engine *e, struct ikev2_ike_sa *old, bool retry)
{
	struct ikev2_ike_sa *n = ikev2_sa_by_serial(e, old->req_rekey_ike);
	struct ikev2_ike_sa *theirs;

	old->req_rekey_ike = 0;
	if (n)
		ikev2_sa_delete(e, n, NULL);
	ikev2_dh_clear(&old->dh_req);
	old->dh_req.group = NULL;
	theirs = old->coll_new && old->coll_ike ? ikev2_sa_by_serial(e, old->coll_new) : NULL;
	old->coll_new = 0;
	if (theirs && theirs->sa.state == IKE_SA_STATE_ESTABLISHED) {
		ike_replaced(e, old, theirs, false);
		return;
	}
	if (retry && !old->rekeyed_to)
		timers_set(&e->timers, old->sa.serial, TIMER_REKEY, e->now + RETRY_MS);
}

static void ike_rekey_send(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now)
{
	struct ikev2_ike_sa *n = ikev2_sa_by_serial(e, sa->req_rekey_ike);
	struct builder b;
	struct ikev2_enc enc;
	uint8_t first;
	int r;

	if (!n || sa->dh_req.err || !sa->dh_req.pub) {
		log_err(SUB_IKE, "IKE SA #%u: rekey: DH key generation failed", sa->sa.serial);
		ike_rekey_abort(e, sa, false);
		return;
	}
	bld_init(&b, 0);
	ikev2_chain_encode_begin(&enc, &b);
	ikev2_put_proposals(&enc, sa->req_offer, sa->req_noffer, n->sa.spi_i, IKE_SA_SPI_LEN, true,
			    false);
	ikev2_put_nonce(&enc, (struct span){n->ni, n->ni_len});
	put_ke(&enc, &sa->dh_req);
	r = ikev2_chain_encode_end(&enc, &first);
	if (r == 0)
		r = ikev2_send_request(e, sa, IKEV2_EXCH_CREATE_CHILD_SA, bld_data(&b), bld_off(&b),
				       first, now);
	bld_free(&b);
	if (r < 0)
		ike_rekey_abort(e, sa, false);
}

enum ikev2_result ikev2_rekey_ike_send(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
				       uint64_t now)
{
	const struct proposal_transform *dh;
	struct ikev2_ike_sa *n;

	if (sa->rekeyed_to || sa->req_rekey_ike || !sa->sa.conn || !ikev2_req_offer(sa))
		return IKEV2_FAIL;
	sa->req_noffer = ike_proposals(sa->sa.conn, sa->req_offer);
	dh = sa->req_noffer ? proposal_get(&sa->req_offer[0], IKEV2_TRANS_DH) : NULL;
	if (!dh || !dh_group_by_id(dh->id)) {
		log_err(SUB_IKE,
			"IKE SA #%u: cannot rekey: the first IKE proposal has no usable "
			"KE group",
			sa->sa.serial);
		return IKEV2_FAIL;
	}
	n = ikev2_sa_create(e, true, &sa->sa.local, &sa->sa.remote, NULL, now);
	if (!n)
		return IKEV2_FAIL;
	ike_sa_set_config(&n->sa, sa->sa.config, sa->sa.conn);
	n->rekey_parent = sa->sa.serial;
	sa->req_rekey_ike = n->sa.serial;
	sa->req_ke_retried = false;
	log_info(SUB_IKE, "IKE SA #%u (%s): rekeying to IKE SA #%u", sa->sa.serial,
		 sa->sa.conn->name, n->sa.serial);
	ikev2_dh_clear(&sa->dh_req);
	sa->dh_req.group = dh_group_by_id(dh->id);
	if (ikev2_nonce_set(&n->ni, &n->ni_len, NULL, NONCE_LEN) < 0 ||
	    ikev2_dh_submit(e, sa, &sa->dh_req, NULL, 0, NULL, ike_rekey_send) < 0) {
		ike_rekey_abort(e, sa, true);
		return IKEV2_FAIL;
	}
	return IKEV2_OK;
}

/* Our rekey's answer was accepted and g_ir is in: the new SA is up. */
static enum ikev2_result ike_rekey_finish_i(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					    struct ikev2_ike_sa *n)
{
	struct ikev2_ike_sa *theirs;
	struct span ni = {n->ni, n->ni_len}, nr = {n->nr, n->nr_len};

	if (sa->dh_req.err || !sa->dh_req.shared || ike_rekey_keys(e, sa, n, sa->dh_req.shared)) {
		log_notice(SUB_IKE,
			   "IKE SA #%u: rekey failed: the responder's KE value was refused",
			   sa->sa.serial);
		ike_rekey_abort(e, sa, false);
		return IKEV2_FAIL;
	}
	sa->req_rekey_ike = 0;
	ikev2_dh_clear(&sa->dh_req);
	sa->dh_req.group = NULL;
	ike_new_established(e, sa, n);
	theirs = sa->coll_new && sa->coll_ike ? ikev2_sa_by_serial(e, sa->coll_new) : NULL;
	sa->coll_new = 0;
	if (theirs &&
	    nonce_cmp(lower(ni, nr), (struct span){sa->coll_nonce, sa->coll_nonce_len}) < 0) {
		struct ikev2_task t = {.kind = IKEV2_TASK_DELETE_IKE};

		log_notice(SUB_IKE,
			   "IKE SA #%u: rekey collision lost (lowest nonce): deleting our "
			   "redundant IKE SA #%u",
			   sa->sa.serial, n->sa.serial);
		ike_replaced(e, sa, theirs, false);
		n->rekeyed_to = theirs->sa.serial;
		timers_cancel_all(&e->timers, n->sa.serial);
		ikev2_task_add(e, n, &t, e->now);
		return IKEV2_OK;
	}
	if (theirs) {
		log_notice(SUB_IKE,
			   "IKE SA #%u: rekey collision won: the peer deletes its redundant IKE "
			   "SA #%u",
			   sa->sa.serial, theirs->sa.serial);
		theirs->rekeyed_to = n->sa.serial;
		timers_cancel_all(&e->timers, theirs->sa.serial);
		timers_set(&e->timers, theirs->sa.serial, TIMER_EXPIRE, e->now + GRACE_MS);
	}
	ike_replaced(e, sa, n, true);
	return IKEV2_OK;
}

/* RFC 7296 1.3.2, 2.7: the responder wants another KE group; retry once
 * with it when one of our proposals has it. 0 when the retry runs. */
static int ike_rekey_retry_ke(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
			      struct ikev2_ike_sa *n, const struct ikev2_payload *err)
{
	uint16_t g =
		err->n.data.len == 2 ? (uint16_t)(err->n.data.p[0] << 8 | err->n.data.p[1]) : 0;
	size_t i;

	for (i = 0; i < sa->req_noffer; i++)
		if (g && proposal_has(&sa->req_offer[i], IKEV2_TRANS_DH, g, 0))
			break;
	if (sa->req_ke_retried || i == sa->req_noffer || !dh_group_by_id(g) ||
	    (sa->dh_req.group && sa->dh_req.group->id == g)) {
		log_notice(SUB_IKE,
			   "IKE SA #%u: rekey: the responder wants KE group %u, which we "
			   "cannot offer (again)",
			   sa->sa.serial, g);
		return -1;
	}
	log_info(SUB_IKE, "IKE SA #%u: rekey: the responder wants KE group %u, retrying",
		 sa->sa.serial, g);
	sa->req_ke_retried = true;
	ikev2_dh_clear(&sa->dh_req);
	sa->dh_req.group = dh_group_by_id(g);
	if (ikev2_nonce_set(&n->ni, &n->ni_len, NULL, NONCE_LEN) < 0 ||
	    ikev2_dh_submit(e, sa, &sa->dh_req, NULL, 0, NULL, ike_rekey_send) < 0)
		return -1;
	return 0;
}

/* SK{SA, Nr, KEr}: the answer to our rekey of the IKE SA */
enum ikev2_result ikev2_rekey_ike_inR(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
				      struct ikev2_rx *rx)
{
	const struct ikev2_msg *m = rx->msg;
	const struct ikev2_payload *sap = ikev2_msg_find(m, IKEV2_PL_SA, NULL);
	const struct ikev2_payload *nr = ikev2_msg_find(m, IKEV2_PL_NONCE, NULL);
	const struct ikev2_payload *ke = ikev2_msg_find(m, IKEV2_PL_KE, NULL);
	const struct ikev2_payload *err = ikev2_error_notify(m);
	struct ikev2_ike_sa *n = ikev2_sa_by_serial(e, sa->req_rekey_ike);
	const struct proposal_transform *dh;
	struct proposal chosen[2];
	char why[512], nb[64];

	if (!n) {
		sa->req_rekey_ike = 0;
		return IKEV2_OK;
	}
	if (sa->saved_resp.buf) {
		ikev2_saved_clear(&sa->saved_resp);
		return ike_rekey_finish_i(e, sa, n);
	}
	if (err && err->n.type == IKEV2_N_INVALID_KE_PAYLOAD &&
	    ike_rekey_retry_ke(e, sa, n, err) == 0)
		return IKEV2_OK;
	if (err || !nr || !sap || !ke) {
		log_notice(SUB_IKE, "IKE SA #%u: rekey refused: the peer answered %s",
			   sa->sa.serial,
			   err ? ikev2_notify_name(err->n.type, nb, sizeof(nb))
			       : "without SA, nonce or KE");
		ike_rekey_abort(e, sa, err && err->n.type == IKEV2_N_TEMPORARY_FAILURE);
		return IKEV2_FAIL;
	}
	snprintf(why, sizeof(why), "not one proposal with an 8-octet SPI");
	if (ikev2_proposals_from_sa(&sap->sa, chosen, 2) != 1 || chosen[0].spi_len != 8 ||
	    !proposal_is_acceptable_choice(&chosen[0], sa->req_offer, sa->req_noffer, why,
					   sizeof(why)) ||
	    !(dh = proposal_get(&chosen[0], IKEV2_TRANS_DH)) || !sa->dh_req.group ||
	    dh->id != sa->dh_req.group->id || ke->ke.group != dh->id ||
	    nr->nonce.len > IKEV2_NONCE_MAX_LEN || nr->nonce.len < 16) {
		log_notice(SUB_IKE, "IKE SA #%u: unacceptable answer to our rekey: %s",
			   sa->sa.serial, why);
		ike_rekey_abort(e, sa, false);
		return IKEV2_FAIL;
	}
	memcpy(n->sa.spi_r, chosen[0].spi, IKE_SA_SPI_LEN);
	chosen[0].spi_len = 0;
	if (ike_sa_set_proposal(&n->sa, &chosen[0]) < 0 ||
	    ikev2_nonce_set(&n->nr, &n->nr_len, nr->nonce.p, nr->nonce.len) < 0 ||
	    ikev2_save(&sa->saved_resp, rx) < 0 ||
	    ikev2_dh_submit(e, sa, &sa->dh_req, ke->ke.data.p, ke->ke.data.len, &sa->saved_resp,
			    NULL) < 0) {
		ikev2_saved_clear(&sa->saved_resp);
		ike_rekey_abort(e, sa, true);
		return IKEV2_FAIL;
	}
	return IKEV2_SUSPEND;
}

/* Second pass of the responder: our DH job finished. */
static enum ikev2_result ike_rekey_respond_pfs(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					       struct ikev2_enc *reply)
{
	struct ikev2_ike_sa *n = ikev2_sa_by_serial(e, sa->resp_rekey_ike);
	struct span ni, nr;

	sa->resp_rekey_ike = 0;
	if (!n)
		return IKEV2_IGNORE;
	if (sa->dh_resp.err || !sa->dh_resp.shared ||
	    ike_rekey_keys(e, sa, n, sa->dh_resp.shared)) {
		ikev2_sa_delete(e, n, "the peer's KE value was refused");
		ikev2_dh_clear(&sa->dh_resp);
		sa->dh_resp.group = NULL;
		ikev2_put_notify_data(reply, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return IKEV2_FAIL;
	}
	{
		struct proposal p;

		ike_sa_proposal_copy(&p, ike_sa_proposal(&n->sa));
		p.spi_len = IKE_SA_SPI_LEN;
		memcpy(p.spi, n->sa.spi_r, IKE_SA_SPI_LEN);
		ikev2_put_proposals(reply, &p, 1, n->sa.spi_r, IKE_SA_SPI_LEN, true, false);
	}
	ikev2_put_nonce(reply, (struct span){n->nr, n->nr_len});
	put_ke(reply, &sa->dh_resp);
	ikev2_dh_clear(&sa->dh_resp);
	sa->dh_resp.group = NULL;
	ike_new_established(e, sa, n);
	ni = (struct span){n->ni, n->ni_len};
	nr = (struct span){n->nr, n->nr_len};
	if (sa->req_rekey_ike) { /* 2.8.1: ours is in flight */
		log_info(SUB_IKE,
			 "IKE SA #%u: simultaneous rekey, the peer's made IKE SA #%u; waiting "
			 "for ours",
			 sa->sa.serial, n->sa.serial);
		remember_collision(sa, n->sa.serial, true, ni, nr);
		return IKEV2_OK;
	}
	ike_replaced(e, sa, n, false);
	return IKEV2_OK;
}

/* SK{SA, Ni, KEi} --> SK{SA, Nr, KEr}: the peer rekeys the IKE SA */
enum ikev2_result ikev2_rekey_ike_inI_outR(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					   struct ikev2_rx *rx, struct ikev2_enc *reply)
{
	const struct ikev2_msg *m = rx->msg;
	const struct ikev2_payload *sap = ikev2_msg_find(m, IKEV2_PL_SA, NULL);
	const struct ikev2_payload *ni = ikev2_msg_find(m, IKEV2_PL_NONCE, NULL);
	const struct ikev2_payload *ke = ikev2_msg_find(m, IKEV2_PL_KE, NULL);
	struct proposal offered[PROPOSAL_MAX], mine[PROPOSAL_MAX], chosen;
	const struct proposal_transform *dh;
	struct ikev2_ike_sa *n;
	struct child_sa *c;
	char why[512];
	size_t noff, nmine;

	if (sa->saved_req.buf && sa->resp_rekey_ike)
		return ike_rekey_respond_pfs(e, sa, reply);
	for (c = sa->sa.children; c && c->state != CHILD_SA_STATE_CREATING; c = c->next)
		;
	if (sa->rekeyed_to || sa->reauth_by || c || !sa->sa.conn) {
		/* 2.25: replaced already (or soon: we reauthenticate it), or a
		 * CHILD SA is being made */
		log_notice(SUB_IKE,
			   "IKE SA #%u: the peer asks to rekey it while %s: "
			   "TEMPORARY_FAILURE",
			   sa->sa.serial,
			   sa->rekeyed_to  ? "it is replaced already"
			   : sa->reauth_by ? "we reauthenticate it"
					   : "a CHILD SA is being negotiated");
		ikev2_put_notify_data(reply, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		return IKEV2_FAIL;
	}
	noff = ikev2_proposals_from_sa(&sap->sa, offered, PROPOSAL_MAX);
	nmine = ike_proposals(sa->sa.conn, mine);
	if (proposal_select_ex(offered, noff, mine, nmine, 0, &chosen, why, sizeof(why)) < 0 ||
	    chosen.spi_len != IKE_SA_SPI_LEN || !ni || ni->nonce.len > IKEV2_NONCE_MAX_LEN) {
		log_notice(SUB_IKE, "IKE SA #%u: the peer's rekey: %s: NO_PROPOSAL_CHOSEN",
			   sa->sa.serial,
			   chosen.spi_len != IKE_SA_SPI_LEN ? "SPI not 8 octets" : why);
		ikev2_put_notify_data(reply, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return IKEV2_FAIL;
	}
	dh = proposal_get(&chosen, IKEV2_TRANS_DH);
	if (!dh || !dh_group_by_id(dh->id) || !ke || ke->ke.group != dh->id ||
	    ke->ke.data.len != dh_group_by_id(dh->id)->pub_len) {
		uint16_t g = dh ? dh->id : 0;
		uint8_t gb[2] = {(uint8_t)(g >> 8), (uint8_t)g};

		log_info(SUB_IKE, "IKE SA #%u: the peer's rekey: KE group %u wanted, it sent %u",
			 sa->sa.serial, g, ke ? ke->ke.group : 0);
		ikev2_put_notify_data(reply, IKEV2_N_INVALID_KE_PAYLOAD, gb, sizeof(gb));
		return IKEV2_FAIL;
	}
	n = ikev2_sa_create(e, false, &sa->sa.local, &sa->sa.remote, chosen.spi, rx->now);
	if (!n || ikev2_nonce_set(&n->nr, &n->nr_len, NULL, NONCE_LEN) < 0 ||
	    ikev2_nonce_set(&n->ni, &n->ni_len, ni->nonce.p, ni->nonce.len) < 0) {
		if (n)
			ikev2_sa_delete(e, n, NULL);
		ikev2_put_notify_data(reply, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		return IKEV2_FAIL;
	}
	ike_sa_set_config(&n->sa, sa->sa.config, sa->sa.conn);
	n->rekey_parent = sa->sa.serial;
	chosen.spi_len = 0;
	if (ike_sa_set_proposal(&n->sa, &chosen) < 0) {
		ikev2_sa_delete(e, n, NULL);
		ikev2_put_notify_data(reply, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		return IKEV2_FAIL;
	}
	sa->resp_rekey_ike = n->sa.serial;
	ikev2_dh_clear(&sa->dh_resp);
	sa->dh_resp.group = dh_group_by_id(dh->id);
	if (ikev2_save(&sa->saved_req, rx) < 0 ||
	    ikev2_dh_submit(e, sa, &sa->dh_resp, ke->ke.data.p, ke->ke.data.len, &sa->saved_req,
			    NULL) < 0) {
		ikev2_saved_clear(&sa->saved_req);
		sa->resp_rekey_ike = 0;
		ikev2_sa_delete(e, n, NULL);
		ikev2_put_notify_data(reply, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		return IKEV2_FAIL;
	}
	return IKEV2_SUSPEND;
}

int ikev2_rekey_ike(struct ikev2_engine *e, uint32_t ike_serial, uint64_t now_ms)
{
	struct ikev2_ike_sa *sa = ikev2_sa_by_serial(e, ike_serial);
	struct ikev2_task t = {.kind = IKEV2_TASK_REKEY_IKE};
	unsigned i;
	int r;

	if (!sa || sa->sa.state != IKE_SA_STATE_ESTABLISHED)
		return sa && sa->sa.state == IKE_SA_STATE_DELETING ? -EBUSY : -ENOENT;
	if (sa->rekeyed_to || sa->req_rekey_ike || sa->rekey_parent || sa->reauth_by)
		return -EBUSY;
	for (i = 0; i < sa->ntasks; i++)
		if (sa->tasks[i].kind == IKEV2_TASK_REKEY_IKE ||
		    sa->tasks[i].kind == IKEV2_TASK_DELETE_IKE)
			return -EBUSY;
	ikev2_enter(e);
	e->now = now_ms;
	r = ikev2_task_add(e, sa, &t, now_ms);
	ikev2_leave(e);
	return r < 0 ? -EBUSY : 0;
}

void ikev2_rekey_ike_peer_deleted(struct ikev2_engine *e, struct ikev2_ike_sa *sa)
{
	struct ikev2_ike_sa *theirs =
		sa->coll_new && sa->coll_ike ? ikev2_sa_by_serial(e, sa->coll_new) : NULL;

	/* 2.8.1: the winner deletes the old IKE SA; when that comes before the
	 * answer to our own rekey, the peer's new IKE SA won */
	if (!theirs || theirs->sa.state != IKE_SA_STATE_ESTABLISHED || sa->rekeyed_to)
		return;
	sa->coll_new = 0;
	log_notice(SUB_IKE,
		   "IKE SA #%u: the peer deleted it during a rekey collision: IKE SA #%u "
		   "stands",
		   sa->sa.serial, theirs->sa.serial);
	ike_replaced(e, sa, theirs, false);
}

/* A rekey, expiry or DPD timer of an IKE SA. */
void ikev2_ike_timer(struct ikev2_engine *e, struct ikev2_ike_sa *sa, enum timer_kind kind,
		     uint64_t now)
{
	int r;

	if (kind == TIMER_REKEY) {
		log_info(SUB_IKE, "IKE SA #%u: rekey time reached", sa->sa.serial);
		r = ikev2_rekey_ike(e, sa->sa.serial, now);
		if (r == -EBUSY && !sa->rekeyed_to && sa->sa.state == IKE_SA_STATE_ESTABLISHED)
			timers_set(&e->timers, sa->sa.serial, TIMER_REKEY, now + RETRY_MS);
	} else if (kind == TIMER_REAUTH) {
		log_info(SUB_IKE, "IKE SA #%u: reauthentication time reached", sa->sa.serial);
		r = ikev2_reauth_ike(e, sa->sa.serial, now);
		if (r == -EBUSY && !sa->rekeyed_to && !sa->reauth_by &&
		    sa->sa.state == IKE_SA_STATE_ESTABLISHED)
			timers_set(&e->timers, sa->sa.serial, TIMER_REAUTH, now + RETRY_MS);
	} else if (kind == TIMER_EXPIRE) {
		struct builder b;
		struct ikev2_enc enc;
		struct ikev2_delete d = {.protocol = IKEV2_PROTO_IKE};
		uint8_t first;

		/* best effort Delete: the lifetime is over whatever the peer says */
		bld_init(&b, 0);
		ikev2_chain_encode_begin(&enc, &b);
		ikev2_put_delete(&enc, &d);
		if (sa->sa.state == IKE_SA_STATE_ESTABLISHED &&
		    ikev2_chain_encode_end(&enc, &first) == 0)
			ikev2_send_oneshot(e, sa, bld_data(&b), bld_off(&b), first);
		bld_free(&b);
		ikev2_sa_delete(e, sa,
				sa->rekeyed_to ? "replaced, and the peer did not delete it"
					       : "lifetime expired");
	} else if (kind == TIMER_DPD) {
		ikev2_dpd_timer(e, sa, now);
	}
}

/* RFC 3948 2.3 / RFC 7296 2.23: behind a NAT, a NAT-keepalive every
 * daemon.keep_alive seconds keeps the NAT's mapping for the IKE and
 * UDP-encapsulated ESP traffic; send: send one now, else only arm. */
void ikev2_keepalive(struct ikev2_engine *e, const struct ikev2_ike_sa *sa, uint64_t now, bool send)
{
	const struct net_ops *n = e->env.net;
	unsigned every = ikev2_daemon_cfg(e)->keep_alive;

	if (!every || !sa->sa.nat_local || sa->sa.state != IKE_SA_STATE_ESTABLISHED || !n ||
	    !n->send_keepalive)
		return;
	if (send) {
		n->send_keepalive(n->ctx, &sa->sa.local, &sa->sa.remote);
		log_debug(SUB_IKE, "IKE SA #%u: NAT-keepalive to the peer", sa->sa.serial);
	}
	timers_set(&e->timers, sa->sa.serial, TIMER_KEEPALIVE, now + (uint64_t)every * 1000);
}
