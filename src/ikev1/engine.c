/* engine.c: the IKEv1 engine's frame: SAs, the receive path, retransmission,
 * timers, jobs and the public calls (engine.h, ikev1_int.h). */
#include "ikev1/engine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/model.h"
#include "crypto/rand.h"
#include "ike/child_kernel.h"
#include "ikev1/ikev1_int.h"
#include "lib/log.h"
#include "wire/ikev1_rules.h"

static const struct daemon_cfg default_daemon = {
	.port = 500,
	.port_nat_t = 4500,
	.retransmit_tries = 5,
	.retransmit_timeout = 4.0,
	.retransmit_base = 1.8,
	.cookie_threshold = 10,
};

/* A half-open ISAKMP SA (no authenticated peer) is dropped after this. */
#define HALF_OPEN_TIMEOUT_MS 30000u

const struct daemon_cfg *ikev1_daemon_cfg(const struct ikev1_engine *e)
{
	return e->config ? &e->config->daemon : &default_daemon;
}

uint32_t ikev1_new_reqid(struct ikev1_engine *e)
{
	/* one counter with the IKEv2 engine (ike_env.reqids): a reqid names
	 * one SA pair in the kernel whichever version made it */
	uint32_t *n = e->env.reqids ? e->env.reqids : &e->next_reqid;

	return ++*n;
}

uint64_t ikev1_wall_time(const struct ikev1_engine *e)
{
	time_t t;

	if (e->wall_clock)
		return e->wall_clock(e->wall_ctx);
	t = time(NULL);
	return t > 0 ? (uint64_t)t : 0;
}

void ikev1_buf_set(struct ikev1_buf *b, const uint8_t *p, size_t len)
{
	ikev1_buf_clear(b);
	b->p = malloc(len ? len : 1);
	if (!b->p)
		return;
	memcpy(b->p, p, len);
	b->len = len;
}

void ikev1_buf_clear(struct ikev1_buf *b)
{
	if (b->p)
		wipe(b->p, b->len);
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

void ikev1_kex_clear(struct ikev1_kex *d)
{
	dh_key_free(d->key);
	d->key = NULL;
	free(d->pub);
	d->pub = NULL;
	secret_free(d->shared);
	d->shared = NULL;
}

/* --- SAs --- */

static void sa_free(struct ikev1_ike_sa *sa)
{
	ikev1_p1_free(sa);
	ike_sa_cleanup(&sa->sa);
	free(sa);
}

static void reap(struct ikev1_engine *e)
{
	struct ikev1_ike_sa *sa;

	if (e->depth)
		return;
	while ((sa = e->dead)) {
		e->dead = sa->next_dead;
		sa_free(sa);
	}
}

void ikev1_enter(struct ikev1_engine *e)
{
	e->depth++;
}

void ikev1_leave(struct ikev1_engine *e)
{
	e->depth--;
	reap(e);
}

struct ikev1_ike_sa *ikev1_sa_create(struct ikev1_engine *e, bool initiator,
				     const struct ip_endpoint *local,
				     const struct ip_endpoint *remote, const uint8_t *peer_cky_i,
				     uint64_t now)
{
	struct ikev1_ike_sa *sa = calloc(1, sizeof(*sa));
	uint8_t *own;
	int tries = 0;

	if (!sa)
		return NULL;
	ike_sa_init(&sa->sa, 1, initiator, now);
	sa->sa.local = *local;
	sa->sa.remote = *remote;
	own = initiator ? sa->sa.spi_i : sa->sa.spi_r;
	if (peer_cky_i)
		memcpy(sa->sa.spi_i, peer_cky_i, IKE_SA_SPI_LEN);
	do {
		if (rand_bytes(own, IKE_SA_SPI_LEN) < 0 || ++tries > 8) {
			free(sa);
			return NULL;
		}
	} while (sa_table_spi_in_use(&e->table, own) ||
		 memcmp(own, "\0\0\0\0\0\0\0\0", IKE_SA_SPI_LEN) == 0);
	sa->sa.serial = sa_table_new_serial(&e->table);
	sa->certs = e->certs ? certs_store_ref(e->certs) : NULL;
	sa_table_add(&e->table, &sa->sa);
	if (!initiator)
		timers_set(&e->timers, sa->sa.serial, TIMER_TIMEOUT, now + HALF_OPEN_TIMEOUT_MS);
	return sa;
}

struct ikev1_ike_sa *ikev1_sa_by_serial(struct ikev1_engine *e, uint32_t serial)
{
	struct ike_sa *sa = sa_table_find_serial(&e->table, serial);

	return sa ? ikev1_sa_of(sa) : NULL;
}

/* Another installed SA pair of sa for the same traffic as c (a rekey, or a
 * second Quick Mode of the same child), or NULL. */
static struct child_sa *twin(struct ikev1_ike_sa *sa, const struct child_sa *c)
{
	struct child_sa *o;

	for (o = sa->sa.children; o; o = o->next)
		if (o != c && o->state == CHILD_SA_STATE_INSTALLED && o->cfg == c->cfg &&
		    o->protocol == c->protocol && o->nlocal_ts && c->nlocal_ts &&
		    ts_eq(&o->local_ts[0], &c->local_ts[0]) &&
		    ts_eq(&o->remote_ts[0], &c->remote_ts[0]))
			return o;
	return NULL;
}

void ikev1_child_destroy(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct child_sa *c)
{
	struct child_sa *t = c->policies ? twin(sa, c) : NULL;

	child_kernel_remove(e->env.kernel, &sa->sa, c);
	/* the policies are one per traffic selector pair, shared with the
	 * twin: it puts its own back */
	if (t)
		child_kernel_policies_add(e->env.kernel, &sa->sa, t);
	if (c->state != CHILD_SA_STATE_DEAD)
		child_sa_set_state(c, CHILD_SA_STATE_DEAD);
	timers_cancel_all(&e->timers, c->serial);
	sa_table_remove_child(&e->table, c);
	ike_sa_remove_child(&sa->sa, c);
	child_sa_free(c);
}

struct newer {
	const struct ikev1_ike_sa *old;
	struct ikev1_ike_sa *found;
};

static void find_newer(struct ike_sa *s, void *ctx)
{
	struct newer *n = ctx;

	if (s == &n->old->sa || s->state != IKE_SA_STATE_ESTABLISHED || !s->conn ||
	    !n->old->sa.conn || strcmp(s->conn->name, n->old->sa.conn->name) != 0 ||
	    !ip_addr_eq(&s->remote.addr, &n->old->sa.remote.addr))
		return;
	if (!n->found || s->established_ms > n->found->sa.established_ms)
		n->found = ikev1_sa_of(s);
}

void ikev1_sa_handover(struct ikev1_engine *e, struct ikev1_ike_sa *sa)
{
	struct newer n = {.old = sa};
	struct child_sa *c;

	/* the seeds: quick mode SAs run to their own lifetimes when the main
	 * mode SA goes; oak hangs them on the newest ISAKMP SA with the same
	 * peer when there is one (made by rekeying), else they go with it */
	if (sa->sa.children && sa->sa.state == IKE_SA_STATE_ESTABLISHED)
		sa_table_foreach(&e->table, find_newer, &n);
	while (n.found && (c = sa->sa.children)) {
		ike_sa_remove_child(&sa->sa, c);
		c->ike_serial = n.found->sa.serial;
		ike_sa_add_child(&n.found->sa, c);
		log_info(SUB_IKE, "IPsec SA #%u (%s) moves to ISAKMP SA #%u", c->serial,
			 c->cfg->name, n.found->sa.serial);
	}
}

void ikev1_sa_delete(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const char *why)
{
	char peer[IP_ADDR_STRLEN];
	struct child_sa *c;

	if (sa->sa.state == IKE_SA_STATE_DEAD)
		return;
	if (why)
		log_notice(SUB_IKE, "ISAKMP SA #%u %s (%s): deleted: %s", sa->sa.serial,
			   ike_sa_peer(&sa->sa, peer, sizeof(peer)),
			   sa->sa.conn ? sa->sa.conn->name : "no connection", why);
	while ((c = sa->sa.children))
		ikev1_child_destroy(e, sa, c);
	timers_cancel_all(&e->timers, sa->sa.serial);
	ike_sa_set_state(&sa->sa, IKE_SA_STATE_DEAD);
	sa_table_remove(&e->table, &sa->sa);
	sa->next_dead = e->dead;
	e->dead = sa;
}

/* --- sending and retransmission --- */

int ikev1_send(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const uint8_t *buf, size_t len)
{
	const struct net_ops *n = e->env.net;

	if (!n || !n->send)
		return -ENOTCONN;
	if (ikev1_frag_wanted(e, sa, len))
		return ikev1_frag_send(e, sa, buf, len);
	return n->send(n->ctx, &sa->sa.local, &sa->sa.remote, buf, len);
}

static uint64_t retransmit_delay(const struct ikev1_engine *e, unsigned tries)
{
	const struct daemon_cfg *d = ikev1_daemon_cfg(e);
	double t = d->retransmit_timeout * 1000.0;
	unsigned i;

	for (i = 0; i < tries; i++)
		t *= d->retransmit_base;
	return t < 1.0 ? 1 : (uint64_t)t;
}

/* The SA's one retransmission timer: the earliest of phase 1's and every
 * Quick Mode's deadline. */
static void arm(struct ikev1_engine *e, struct ikev1_ike_sa *sa)
{
	uint64_t next = ikev1_qm_next(sa);

	if (sa->tx_waits && sa->p1_deadline < next)
		next = sa->p1_deadline;
	if (next == UINT64_MAX)
		timers_cancel(&e->timers, sa->sa.serial, TIMER_RETRANSMIT);
	else
		timers_set(&e->timers, sa->sa.serial, TIMER_RETRANSMIT, next);
}

void ikev1_arm(struct ikev1_engine *e, struct ikev1_ike_sa *sa)
{
	arm(e, sa);
}

uint64_t ikev1_retransmit_delay(const struct ikev1_engine *e, unsigned tries)
{
	return retransmit_delay(e, tries);
}

void ikev1_p1_send(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint8_t *out, size_t len,
		   bool waits, uint64_t now)
{
	ikev1_buf_clear(&sa->last_tx);
	sa->last_tx.p = out;
	sa->last_tx.len = len;
	sa->tries = 0;
	sa->tx_waits = waits;
	ikev1_send(e, sa, out, len);
	if (waits)
		sa->p1_deadline = now + retransmit_delay(e, 0);
	arm(e, sa);
}

static void p1_retransmit(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint64_t now)
{
	const struct daemon_cfg *d = ikev1_daemon_cfg(e);

	if (!sa->tx_waits || sa->p1_deadline > now)
		return;
	if (++sa->tries >= d->retransmit_tries) {
		ikev1_sa_delete(e, sa,
				"no answer to our phase 1 message after all retransmissions");
		return;
	}
	log_debug(SUB_IKE, "ISAKMP SA #%u: retransmission %u of phase 1 message", sa->sa.serial,
		  sa->tries);
	ikev1_send(e, sa, sa->last_tx.p, sa->last_tx.len);
	sa->p1_deadline = now + retransmit_delay(e, sa->tries);
}

/* --- jobs --- */

struct dh_job {
	struct ikev1_engine *e;
	uint32_t serial;
	int qm_index;
	void (*resume)(struct ikev1_engine *e, struct ikev1_ike_sa *sa, int qm_index, uint64_t now);
	const struct dh_group *group;
	struct dh_key *key;
	uint8_t *pub, *peer;
	size_t peer_len;
	struct secret *shared;
	int err;
};

static void dh_work(void *arg)
{
	struct dh_job *j = arg;

	if (!j->key)
		j->key = dh_keygen(j->group);
	if (!j->key) {
		j->err = -EIO;
		return;
	}
	if (!j->pub) {
		j->pub = malloc(j->group->pub_len);
		if (!j->pub || dh_public(j->key, j->pub, j->group->pub_len) < 0) {
			j->err = -EIO;
			return;
		}
	}
	if (j->peer)
		j->err = dh_derive(j->key, j->peer, j->peer_len, &j->shared);
}

static void dh_job_free(struct dh_job *j)
{
	dh_key_free(j->key);
	free(j->peer);
	free(j->pub);
	secret_free(j->shared);
	free(j);
}

static struct ikev1_kex *kex_of(struct ikev1_ike_sa *sa, int qm_index)
{
	return qm_index < 0 ? &sa->dh : &sa->qm[qm_index].dh;
}

static void dh_done(void *arg, int status)
{
	struct dh_job *j = arg;
	struct ikev1_engine *e = j->e;
	struct ikev1_ike_sa *sa;
	struct ikev1_kex *d;

	ikev1_enter(e);
	sa = ikev1_sa_by_serial(e, j->serial);
	if (!sa || (j->qm_index >= 0 && (!sa->qm || !sa->qm[j->qm_index].used))) {
		dh_job_free(j);
		ikev1_leave(e);
		return;
	}
	d = kex_of(sa, j->qm_index);
	d->busy = false;
	d->err = status < 0 ? status : j->err;
	d->key = j->key;
	d->pub = j->pub;
	d->shared = j->shared;
	j->key = NULL;
	j->pub = NULL;
	j->shared = NULL;
	j->resume(e, sa, j->qm_index, e->now);
	dh_job_free(j);
	ikev1_leave(e);
}

int ikev1_dh_submit(struct ikev1_engine *e, struct ikev1_ike_sa *sa, int qm_index,
		    struct ikev1_kex *d, const uint8_t *peer, size_t peer_len,
		    void (*resume)(struct ikev1_engine *e, struct ikev1_ike_sa *sa, int qm_index,
				   uint64_t now))
{
	struct dh_job *j = calloc(1, sizeof(*j));
	int r;

	if (!j)
		return -ENOMEM;
	*j = (struct dh_job){.e = e,
			     .serial = sa->sa.serial,
			     .qm_index = qm_index,
			     .resume = resume,
			     .group = d->group,
			     .key = d->key,
			     .pub = d->pub};
	d->key = NULL;
	d->pub = NULL;
	secret_free(d->shared);
	d->shared = NULL;
	if (peer) {
		j->peer = malloc(peer_len ? peer_len : 1);
		if (!j->peer) {
			d->key = j->key;
			d->pub = j->pub;
			free(j);
			return -ENOMEM;
		}
		memcpy(j->peer, peer, peer_len);
		j->peer_len = peer_len;
	}
	d->busy = true;
	r = e->env.jobs.submit(e->env.jobs.ctx, dh_work, dh_done, j);
	if (r < 0) {
		d->busy = false;
		d->key = j->key;
		d->pub = j->pub;
		j->key = NULL;
		j->pub = NULL;
		dh_job_free(j);
	}
	return r;
}

struct any_job {
	struct ikev1_engine *e;
	uint32_t serial;
	void (*work)(void *arg);
	void (*finish)(struct ikev1_engine *e, struct ikev1_ike_sa *sa, void *arg, int status);
	void *arg;
};

static void any_work(void *arg)
{
	struct any_job *j = arg;

	j->work(j->arg);
}

static void any_done(void *arg, int status)
{
	struct any_job *j = arg;
	struct ikev1_engine *e = j->e;

	ikev1_enter(e);
	j->finish(e, ikev1_sa_by_serial(e, j->serial), j->arg, status);
	free(j);
	ikev1_leave(e);
}

int ikev1_job_submit(struct ikev1_engine *e, struct ikev1_ike_sa *sa, void (*work)(void *arg),
		     void (*finish)(struct ikev1_engine *e, struct ikev1_ike_sa *sa, void *arg,
				    int status),
		     void *arg)
{
	struct any_job *j = malloc(sizeof(*j));
	int r;

	if (!j)
		return -ENOMEM;
	*j = (struct any_job){e, sa->sa.serial, work, finish, arg};
	r = e->env.jobs.submit(e->env.jobs.ctx, any_work, any_done, j);
	if (r < 0)
		free(j);
	return r;
}

/* --- the receive path --- */

static struct ikev1_ike_sa *find_sa(struct ikev1_engine *e, const struct isakmp_hdr *h)
{
	static const uint8_t zero[8];
	struct ike_sa *s;

	/* IKEv1 has no Initiator flag: our cookie is CKY-I when we began the
	 * SA, CKY-R when the peer did; try both (cookies are random) */
	s = sa_table_find(&e->table, h->spi_i, h->spi_r, false);
	if (s && s->initiator)
		return ikev1_sa_of(s);
	if (memcmp(h->spi_r, zero, 8) == 0)
		return NULL;
	s = sa_table_find(&e->table, h->spi_i, h->spi_r, true);
	if (s && !s->initiator)
		return ikev1_sa_of(s);
	return NULL;
}

void ikev1_redispatch(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_buf *saved)
{
	struct ikev1_buf b = *saved;
	struct wire_err err;
	struct ikev1_rx rx;

	*saved = (struct ikev1_buf){0};
	if (!b.p)
		return;
	memset(&rx, 0, sizeof(rx));
	rx.msg = &e->msg;
	rx.buf = b.p;
	rx.len = b.len;
	rx.local = sa->sa.local;
	rx.remote = sa->sa.remote;
	rx.now = e->now;
	if (ikev1_msg_decode(b.p, b.len, rx.msg, &err) == 0) {
		/* make the re-run not look like a retransmission */
		ikev1_buf_clear(&sa->last_rx);
		if (rx.msg->hdr.exchange == IKEV1_XCHG_QUICK)
			ikev1_qm_recv(e, sa, &rx);
		else
			ikev1_p1_recv(e, sa, &rx);
	}
	free(rx.plain);
	ikev1_buf_clear(&b);
}

static void dispatch_msg(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx);

static bool same_msg(const struct ikev1_buf *b, const uint8_t *buf, size_t len)
{
	return b->p && b->len == len && memcmp(b->p, buf, len) == 0;
}

static void dispatch(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx)
{
	const struct ikev1_payload *fp = ikev1_msg_get(rx->msg, ISAKMP_NP_FRAG, 0);

	if (fp && !(rx->msg->hdr.flags & ISAKMP_FLAG_E)) {
		if (rx->depth) /* a reassembled message holds no fragments */
			return;
		ikev1_frag_add(e, sa, rx, &fp->u.frag);
		return;
	}
	dispatch_msg(e, sa, rx);
}

static void dispatch_msg(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx)
{
	const struct isakmp_hdr *h = &rx->msg->hdr;
	char peer[IP_ADDR_STRLEN];

	switch (h->exchange) {
	case ISAKMP_XCHG_IDPROT:
	case ISAKMP_XCHG_AGGR:
		if (same_msg(&sa->last_rx, rx->buf, rx->len)) {
			/* RFC 2408 5: a retransmission gets our last answer again */
			if (sa->last_tx.p && !sa->tx_waits) {
				log_debug(SUB_IKE,
					  "ISAKMP SA #%u: retransmitted phase 1 message, "
					  "answering again",
					  sa->sa.serial);
				ikev1_send(e, sa, sa->last_tx.p, sa->last_tx.len);
			}
			return;
		}
		if (h->exchange != sa->exchange) {
			log_info(SUB_IKE, "ISAKMP SA #%u %s: %s message on a %s SA dropped",
				 sa->sa.serial, ike_sa_peer(&sa->sa, peer, sizeof(peer)),
				 h->exchange == ISAKMP_XCHG_AGGR ? "Aggressive Mode" : "Main Mode",
				 sa->exchange == ISAKMP_XCHG_AGGR ? "Aggressive Mode"
								  : "Main Mode");
			return;
		}
		ikev1_p1_recv(e, sa, rx);
		return;
	case IKEV1_XCHG_QUICK:
		if (sa->p1 != P1_DONE || sa->sa.state != IKE_SA_STATE_ESTABLISHED) {
			log_notice(SUB_IKE,
				   "ISAKMP SA #%u %s: Quick Mode message dropped: phase 1 is not "
				   "established",
				   sa->sa.serial, ike_sa_peer(&sa->sa, peer, sizeof(peer)));
			return;
		}
		ikev1_qm_recv(e, sa, rx);
		return;
	case ISAKMP_XCHG_INFO:
		ikev1_info_recv(e, sa, rx);
		return;
	default:
		log_info(SUB_IKE, "ISAKMP SA #%u %s: exchange type %u not supported, dropped",
			 sa->sa.serial, ike_sa_peer(&sa->sa, peer, sizeof(peer)), h->exchange);
	}
}

void ikev1_recv(struct ikev1_engine *e, const struct ip_endpoint *local,
		const struct ip_endpoint *remote, const uint8_t *buf, size_t len, uint64_t now_ms)
{
	struct ikev1_rx rx;

	ikev1_enter(e);
	e->now = now_ms;
	memset(&rx, 0, sizeof(rx));
	rx.msg = &e->msg;
	rx.buf = buf;
	rx.len = len;
	rx.local = *local;
	rx.remote = *remote;
	rx.now = now_ms;
	ikev1_handle(e, &rx);
	free(rx.plain);
	ikev1_leave(e);
}

void ikev1_handle(struct ikev1_engine *e, struct ikev1_rx *rx_in)
{
	static const uint8_t zero[8];
	char peer[IP_ADDR_STRLEN];
	struct ikev1_rx rx = *rx_in;
	const struct ip_endpoint *local = &rx_in->local, *remote = &rx_in->remote;
	const uint8_t *buf = rx.buf;
	size_t len = rx.len;
	struct wire_err err;
	struct ikev1_ike_sa *sa;
	int r;

	ip_addr_fmt(&remote->addr, peer, sizeof(peer));
	r = ikev1_msg_decode(buf, len, rx.msg, &err);
	if (r < 0) {
		log_info(SUB_IKE, "IKEv1 message from %s dropped: %s at offset %zu", peer,
			 err.reason, err.offset);
		/* RFC 2408 5: a first message that does not parse gets its notify
		 * (INVALID-PAYLOAD-TYPE, PAYLOAD-MALFORMED, ...) in clear, once */
		if (len >= 28 && rx.msg->notify && memcmp(rx.msg->hdr.spi_r, zero, 8) == 0 &&
		    (rx.msg->hdr.exchange == ISAKMP_XCHG_IDPROT ||
		     rx.msg->hdr.exchange == ISAKMP_XCHG_AGGR) &&
		    !(rx.msg->hdr.flags & ISAKMP_FLAG_E))
			ikev1_send_clear_notify(e, &rx, zero, rx.msg->notify);
		goto out;
	}
	sa = find_sa(e, &rx.msg->hdr);
	if (!sa && memcmp(rx.msg->hdr.spi_r, zero, 8) == 0) {
		struct ike_sa *s = sa_table_find_init(&e->table, rx.msg->hdr.spi_i, &remote->addr);

		if (s)
			sa = ikev1_sa_of(s);
		else if (rx.msg->hdr.exchange == ISAKMP_XCHG_IDPROT ||
			 rx.msg->hdr.exchange == ISAKMP_XCHG_AGGR) {
			ikev1_p1_first(e, &rx);
			goto out;
		}
	}
	if (!sa) {
		log_info(SUB_IKE,
			 "IKEv1 message from %s (exchange %u) for no ISAKMP SA of ours dropped",
			 peer, rx.msg->hdr.exchange);
		goto out;
	}
	/* NAT-T (RFC 3947 4): the peer may move to port 4500 */
	sa->last_heard = rx.now;
	sa->sa.remote = *remote;
	sa->sa.local = *local;
	dispatch(e, sa, &rx);
out:
	rx_in->plain = rx.plain;
}

/* --- timers --- */

/* RFC 3947 4 / RFC 3948 2.3: behind a NAT, a NAT-keepalive every
 * daemon.keep_alive seconds (send: one now, else only arm). */
void ikev1_keepalive(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint64_t now, bool send)
{
	const struct net_ops *n = e->env.net;
	unsigned every = ikev1_daemon_cfg(e)->keep_alive;

	if (!every || !sa->sa.nat_local || sa->sa.state != IKE_SA_STATE_ESTABLISHED || !n ||
	    !n->send_keepalive)
		return;
	if (send) {
		n->send_keepalive(n->ctx, &sa->sa.local, &sa->sa.remote);
		log_debug(SUB_IKE, "ISAKMP SA #%u: NAT-keepalive to the peer", sa->sa.serial);
	}
	timers_set(&e->timers, sa->sa.serial, TIMER_KEEPALIVE, now + (uint64_t)every * 1000);
}

void ikev1_p1_lifetimes(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint64_t now)
{
	uint64_t life = sa->life_s ? sa->life_s : IKEV1_DEF_P1_LIFE;

	timers_cancel(&e->timers, sa->sa.serial, TIMER_TIMEOUT);
	timers_set(&e->timers, sa->sa.serial, TIMER_EXPIRE, now + life * 1000);
	/* the original initiator makes a new Main Mode at 90% of the life
	 * both agreed on (the config's rekey_time is what it offered, see
	 * p1_life); the old SA then runs out and is deleted */
	if (sa->sa.initiator)
		timers_set(&e->timers, sa->sa.serial, TIMER_REKEY, now + life * 900);
	sa->last_heard = now;
	ikev1_keepalive(e, sa, now, false);
	if (sa->sa.conn && sa->sa.conn->dpd_delay && sa->vids.dpd)
		timers_set(&e->timers, sa->sa.serial, TIMER_DPD,
			   now + (uint64_t)sa->sa.conn->dpd_delay * 1000);
}

static void run_sa_timer(struct ikev1_engine *e, struct ikev1_ike_sa *sa, enum timer_kind kind,
			 uint64_t now)
{
	switch (kind) {
	case TIMER_RETRANSMIT:
		p1_retransmit(e, sa, now);
		if (sa->sa.state == IKE_SA_STATE_DEAD)
			return;
		ikev1_qm_timers(e, sa, now);
		if (sa->sa.state != IKE_SA_STATE_DEAD)
			arm(e, sa);
		return;
	case TIMER_TIMEOUT:
		if (sa->sa.state != IKE_SA_STATE_ESTABLISHED)
			ikev1_sa_delete(e, sa, "phase 1 did not complete in time");
		return;
	case TIMER_DPD:
		ikev1_dpd_timer(e, sa, now);
		return;
	case TIMER_KEEPALIVE:
		ikev1_keepalive(e, sa, now, true);
		return;
	case TIMER_REKEY:
		if (sa->sa.state == IKE_SA_STATE_ESTABLISHED && sa->sa.conn) {
			log_notice(SUB_IKE,
				   "ISAKMP SA #%u (%s): lifetime nearly over, new Main Mode",
				   sa->sa.serial, sa->sa.conn->name);
			ikev1_p1_start(e, sa->sa.conn, NULL, now, NULL);
		}
		return;
	case TIMER_EXPIRE:
		/* the seeds: a Delete tells the peer to expire the main mode
		 * SA, while quick mode SAs run to their own lifetimes */
		log_notice(SUB_IKE, "ISAKMP SA #%u: lifetime expired", sa->sa.serial);
		ikev1_sa_handover(e, sa);
		ikev1_send_delete_isakmp(e, sa);
		ikev1_sa_delete(e, sa, "lifetime expired");
		return;
	default:
		return;
	}
}

void ikev1_run_timers(struct ikev1_engine *e, uint64_t now_ms)
{
	uint32_t serial;
	enum timer_kind kind;

	ikev1_enter(e);
	e->now = now_ms;
	while (timers_pop_due(&e->timers, now_ms, &serial, &kind)) {
		struct ikev1_ike_sa *sa = ikev1_sa_by_serial(e, serial);
		struct child_sa *c;

		if (sa)
			run_sa_timer(e, sa, kind, now_ms);
		else if ((c = sa_table_find_child(&e->table, serial)) &&
			 (sa = ikev1_sa_by_serial(e, c->ike_serial)))
			ikev1_child_timer(e, sa, c, kind, now_ms);
	}
	ikev1_leave(e);
}

uint64_t ikev1_next_deadline(const struct ikev1_engine *e)
{
	return timers_next(&e->timers);
}

/* --- public calls --- */

struct ikev1_engine *ikev1_engine_new(const struct ike_env *env)
{
	struct ikev1_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->env = *env;
	e->env.config = NULL;
	if (sa_table_init(&e->table) < 0 || timers_init(&e->timers) < 0) {
		sa_table_free(&e->table);
		free(e);
		return NULL;
	}
	e->table.shared_serial = env->serials;
	if (env->config)
		ikev1_engine_set_config(e, env->config, 0);
	return e;
}

static void free_one(struct ike_sa *s, void *ctx)
{
	struct ikev1_ike_sa ***tail = ctx;
	struct ikev1_ike_sa *sa = ikev1_sa_of(s);

	**tail = sa;
	*tail = &sa->next_dead;
}

void ikev1_engine_free(struct ikev1_engine *e)
{
	struct ikev1_ike_sa *list = NULL, **tail = &list, *sa;

	if (!e)
		return;
	sa_table_foreach(&e->table, free_one, &tail);
	*tail = NULL;
	while ((sa = list)) {
		struct child_sa *c;

		list = sa->next_dead;
		while ((c = sa->sa.children)) {
			sa_table_remove_child(&e->table, c);
			ike_sa_remove_child(&sa->sa, c);
			child_sa_free(c);
		}
		sa_table_remove(&e->table, &sa->sa);
		sa_free(sa);
	}
	e->depth = 0;
	reap(e);
	ikev1_traps_free(e, false);
	timers_free(&e->timers);
	sa_table_free(&e->table);
	if (e->config)
		oak_config_unref(e->config);
	if (e->certs)
		certs_store_unref(e->certs);
	free(e);
}

void ikev1_engine_set_config(struct ikev1_engine *e, struct oak_config *cfg, uint64_t now_ms)
{
	size_t i, j;

	ikev1_enter(e);
	e->now = now_ms;
	if (cfg)
		oak_config_ref(cfg);
	if (e->config)
		oak_config_unref(e->config);
	e->config = cfg;
	ikev1_traps_sync(e, cfg); /* a reload takes out the traps it dropped */
	for (i = 0; cfg && i < cfg->nconns; i++) {
		const struct conn_cfg *c = &cfg->conns[i];

		if (c->version != 1)
			continue;
		for (j = 0; j < c->nchildren; j++)
			if (c->children[j].start_action == START_START)
				ikev1_initiate(e, c->name, c->children[j].name, now_ms, NULL);
			else if (c->children[j].start_action == START_TRAP)
				ikev1_trap_install(e, c, &c->children[j]);
	}
	ikev1_leave(e);
}

void ikev1_engine_set_certs(struct ikev1_engine *e, struct certs_store *certs)
{
	if (certs)
		certs_store_ref(certs);
	if (e->certs)
		certs_store_unref(e->certs);
	e->certs = certs;
}

void ikev1_engine_set_wall_clock(struct ikev1_engine *e, uint64_t (*now_s)(void *ctx), void *ctx)
{
	e->wall_clock = now_s;
	e->wall_ctx = ctx;
}

struct find_conn {
	const struct conn_cfg *conn;
	struct ikev1_ike_sa *found;
};

static void find_established(struct ike_sa *s, void *ctx)
{
	struct find_conn *f = ctx;

	if (!f->found && s->conn && strcmp(s->conn->name, f->conn->name) == 0 &&
	    s->state == IKE_SA_STATE_ESTABLISHED)
		f->found = ikev1_sa_of(s);
}

int ikev1_initiate(struct ikev1_engine *e, const char *conn_name, const char *child_name,
		   uint64_t now_ms, uint32_t *ike_serial)
{
	const struct conn_cfg *conn = e->config ? oak_config_conn(e->config, conn_name) : NULL;
	const struct child_cfg *child = NULL;
	struct find_conn f = {0};
	int r;

	if (!conn || conn->version != 1) {
		log_err(SUB_IKE, "initiate: no IKEv1 connection '%s'", conn_name);
		return -ENOENT;
	}
	if (child_name) {
		child = conn_cfg_child(conn, child_name);
		if (!child) {
			log_err(SUB_IKE, "initiate: connection '%s' has no child '%s'", conn_name,
				child_name);
			return -ENOENT;
		}
	} else if (conn->nchildren) {
		child = &conn->children[0];
	}
	if (!conn->nremote_addrs) {
		log_err(SUB_IKE, "initiate: connection '%s' has no remote address", conn_name);
		return -EINVAL;
	}
	ikev1_enter(e);
	e->now = now_ms;
	f.conn = conn;
	sa_table_foreach(&e->table, find_established, &f);
	/* master-key PFS: every Quick Mode gets a new Main Mode; the refresh
	 * limit: at most quick_mode_limit Quick Modes per Main Mode SA */
	if (f.found && child && !conn->master_key_pfs &&
	    (!conn->quick_mode_limit || f.found->qm_count < conn->quick_mode_limit)) {
		r = ikev1_qm_start(e, f.found, child, now_ms);
		if (r == 0 && ike_serial)
			*ike_serial = f.found->sa.serial;
		ikev1_leave(e);
		return r;
	}
	if (f.found && child)
		log_info(SUB_IKE, "%s: new Main Mode for child '%s' (%s)", conn->name, child->name,
			 conn->master_key_pfs ? "master-key PFS"
					      : "the Quick Mode limit of the ISAKMP SA is reached");
	r = ikev1_p1_start(e, conn, child, now_ms, ike_serial);
	ikev1_leave(e);
	return r;
}

int ikev1_terminate(struct ikev1_engine *e, uint32_t ike_serial, uint64_t now_ms)
{
	struct ikev1_ike_sa *sa;
	struct child_sa *c;

	ikev1_enter(e);
	e->now = now_ms;
	sa = ikev1_sa_by_serial(e, ike_serial);
	if (!sa) {
		ikev1_leave(e);
		return -ENOENT;
	}
	if (sa->sa.state == IKE_SA_STATE_ESTABLISHED) {
		for (c = sa->sa.children; c; c = c->next)
			if (c->state == CHILD_SA_STATE_INSTALLED)
				ikev1_send_delete_child(e, sa, c);
		ikev1_send_delete_isakmp(e, sa);
	}
	ikev1_sa_delete(e, sa, "terminated by request");
	ikev1_leave(e);
	return 0;
}

int ikev1_terminate_child(struct ikev1_engine *e, uint32_t child_serial, uint64_t now_ms)
{
	struct child_sa *c = sa_table_find_child(&e->table, child_serial);
	struct ikev1_ike_sa *sa;

	if (!c)
		return -ENOENT;
	ikev1_enter(e);
	e->now = now_ms;
	sa = ikev1_sa_by_serial(e, c->ike_serial);
	if (sa) {
		if (c->state == CHILD_SA_STATE_INSTALLED &&
		    sa->sa.state == IKE_SA_STATE_ESTABLISHED)
			ikev1_send_delete_child(e, sa, c);
		log_notice(SUB_IKE, "IPsec SA #%u (%s) of ISAKMP SA #%u: deleted by request",
			   c->serial, c->cfg->name, sa->sa.serial);
		ikev1_child_destroy(e, sa, c);
	}
	ikev1_leave(e);
	return 0;
}

void ikev1_terminate_all(struct ikev1_engine *e, uint64_t now_ms)
{
	uint32_t serials[256];
	size_t n, i;

	ikev1_enter(e);
	e->now = now_ms;
	while ((n = sa_table_serials(&e->table, serials, 256)) > 0) {
		for (i = 0; i < n; i++)
			ikev1_terminate(e, serials[i], now_ms);
	}
	ikev1_traps_free(e, true);
	ikev1_leave(e);
}

struct visit {
	void (*fn)(const struct ike_sa *sa, void *ctx);
	void *ctx;
};

static void visit_one(struct ike_sa *sa, void *ctx)
{
	struct visit *v = ctx;

	v->fn(sa, v->ctx);
}

void ikev1_sa_foreach(const struct ikev1_engine *e, void (*fn)(const struct ike_sa *sa, void *ctx),
		      void *ctx)
{
	struct visit v = {fn, ctx};

	sa_table_foreach(&e->table, visit_one, &v);
}

size_t ikev1_sa_count(const struct ikev1_engine *e)
{
	return sa_table_count(&e->table);
}

unsigned ikev1_half_open_count(const struct ikev1_engine *e)
{
	return sa_table_half_open(&e->table);
}
