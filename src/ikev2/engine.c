/* engine.c: the IKEv2 engine core (RFC 7296 2.1-2.4): SA lifetime, message
 * IDs with a window of one both ways, the response cache, retransmission
 * with exponential backoff, dispatch to the exchanges' transition tables,
 * crypto jobs and their resumption, timers, and the daemon's API. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/rand.h"
#include "ike/proposal_match.h"
#include "ikev2/exchange.h"
#include "lib/log.h"
#include "lib/util.h"
#include "wire/ikev2_rules.h"

static const struct daemon_cfg default_daemon = {
	.port = 500,
	.port_nat_t = 4500,
	.retransmit_tries = 5,
	.retransmit_timeout = 4.0,
	.retransmit_base = 1.8,
	.cookie_threshold = 10,
};

const struct daemon_cfg *ikev2_daemon_cfg(const struct ikev2_engine *e)
{
	return e->config ? &e->config->daemon : &default_daemon;
}

uint32_t ikev2_new_reqid(struct ikev2_engine *e)
{
	uint32_t *n = e->env.reqids ? e->env.reqids : &e->next_reqid;

	return ++*n;
}

static const char *exch_name(uint8_t exchange)
{
	const char *n = enum_name(&ikev2_exchange_names, exchange);

	return n ? n : "exchange?";
}

/* --- SA lifetime --- */

struct ikev2_ike_sa *ikev2_sa_create(struct ikev2_engine *e, bool initiator,
				     const struct ip_endpoint *local,
				     const struct ip_endpoint *remote, const uint8_t *peer_spi_i,
				     uint64_t now)
{
	struct ikev2_ike_sa *sa = calloc(1, sizeof(*sa));
	uint8_t *own;
	int tries = 0;

	if (!sa)
		return NULL;
	ike_sa_init(&sa->sa, 2, initiator, now);
	sa->sa.local = *local;
	sa->sa.remote = *remote;
	own = initiator ? sa->sa.spi_i : sa->sa.spi_r;
	if (peer_spi_i)
		memcpy(sa->sa.spi_i, peer_spi_i, IKE_SA_SPI_LEN);
	do {
		if (rand_public(own, IKE_SA_SPI_LEN) < 0 || ++tries > 8) {
			free(sa);
			return NULL;
		}
	} while (sa_table_spi_in_use(&e->table, own) ||
		 memcmp(own, "\0\0\0\0\0\0\0\0", IKE_SA_SPI_LEN) == 0);
	sa->sa.serial = sa_table_new_serial(&e->table);
	sa->certs = e->certs ? certs_store_ref(e->certs) : NULL;
	sa_table_add(&e->table, &sa->sa);
	return sa;
}

struct ikev2_ike_sa *ikev2_sa_by_serial(struct ikev2_engine *e, uint32_t serial)
{
	struct ike_sa *sa = sa_table_find_serial(&e->table, serial);

	return sa && sa->version == 2 ? ikev2_sa_of(sa) : NULL;
}

struct proposal *ikev2_req_offer(struct ikev2_ike_sa *sa)
{
	if (!sa->req_offer && !(sa->req_offer = calloc(PROPOSAL_MAX, sizeof(*sa->req_offer))))
		log_err(SUB_IKE, "IKE SA #%u: out of memory for our proposals", sa->sa.serial);
	return sa->req_offer;
}

void ikev2_dh_clear(struct ikev2_kex *d)
{
	dh_key_free(d->key);
	free(d->pub);
	secret_free(d->shared);
	d->key = NULL;
	d->pub = NULL;
	d->shared = NULL;
}

static void sa_free(struct ikev2_ike_sa *sa)
{
	ike_sa_cleanup(&sa->sa);
	ikev2_ike_keys_free(&sa->keys);
	ikev2_dh_clear(&sa->dh_req);
	ikev2_dh_clear(&sa->dh_resp);
	ikev2_saved_clear(&sa->saved_req);
	ikev2_saved_clear(&sa->saved_resp);
	ikev2_cert_pk_clear(sa);
	free(sa->pk); /* left while its job runs: the job finds no SA */
	free(sa->peer_certreq);
	certs_store_unref(sa->certs);
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->ni);
	free(sa->nr);
	free(sa->coll_nonce);
	free(sa->cookie);
	free(sa->tasks);
	free(sa->out_buf);
	free(sa->resp_buf);
	free(sa->req_offer);
	ikev2_frag_free(sa);
	wipe(sa, sizeof(*sa));
	free(sa);
}

void ikev2_sa_delete(struct ikev2_engine *e, struct ikev2_ike_sa *sa, const char *why)
{
	char peer[IP_ADDR_STRLEN];
	struct child_sa *c;
	int i;

	if (sa->sa.state == IKE_SA_STATE_DEAD)
		return;
	if (why)
		log_notice(SUB_IKE, "IKE SA #%u %s (%s): deleted: %s", sa->sa.serial,
			   ike_sa_peer(&sa->sa, peer, sizeof(peer)),
			   sa->sa.conn ? sa->sa.conn->name : "no connection", why);
	if (sa->reauth_of) /* a reauthentication that did not finish */
		ikev2_reauth_failed(e, sa, why);
	while ((c = sa->sa.children)) {
		if (c->state == CHILD_SA_STATE_CREATING)
			ikev2_child_abort(e, sa, c);
		else
			ikev2_child_destroy(e, sa, c);
	}
	timers_cancel_all(&e->timers, sa->sa.serial);
	ike_sa_set_state(&sa->sa, IKE_SA_STATE_DEAD);
	sa_table_remove(&e->table, &sa->sa);
	sa->next_dead = e->dead;
	e->dead = sa;
	/* a new IKE SA that our or the peer's rekey of this one was making
	 * (still NEW) goes with it */
	for (i = 0; i < 2; i++) {
		struct ikev2_ike_sa *n =
			ikev2_sa_by_serial(e, i ? sa->resp_rekey_ike : sa->req_rekey_ike);

		if (n && n->sa.state == IKE_SA_STATE_NEW)
			ikev2_sa_delete(e, n, NULL);
	}
}

/* Free the SAs deleted during this call, once no handler holds them. */
static void reap(struct ikev2_engine *e)
{
	struct ikev2_ike_sa *sa;

	if (e->depth)
		return;
	while ((sa = e->dead)) {
		e->dead = sa->next_dead;
		sa_free(sa);
	}
}

void ikev2_enter(struct ikev2_engine *e)
{
	e->depth++;
}

void ikev2_leave(struct ikev2_engine *e)
{
	e->depth--;
	reap(e);
}

/* --- sending --- */

static void send_bytes(struct ikev2_engine *e, const struct ip_endpoint *local,
		       const struct ip_endpoint *remote, const uint8_t *buf, size_t len)
{
	int r = e->env.net->send(e->env.net->ctx, local, remote, buf, len);

	if (r < 0) {
		char to[IP_ENDPOINT_STRLEN];

		log_warn(SUB_IKE, "sending %zu bytes to %s failed: %s", len,
			 ip_endpoint_fmt(remote, to, sizeof(to)), strerror(-r));
	}
}

/* The datagrams of one message: buf holds them back to back, each but the
 * last frag_len octets long (frag_len 0: one datagram). */
static void send_dgrams(struct ikev2_engine *e, const struct ip_endpoint *local,
			const struct ip_endpoint *remote, const uint8_t *buf, size_t len,
			size_t frag_len)
{
	size_t off = 0, n;

	while (off < len) {
		n = frag_len && len - off > frag_len ? frag_len : len - off;
		send_bytes(e, local, remote, buf + off, n);
		off += n;
	}
}

/* Seal a message; *frag_len (may be NULL: never fragment) as send_dgrams. */
static int seal(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint8_t exchange, bool response,
		uint32_t id, const uint8_t *chain, size_t chain_len, uint8_t first, uint8_t **out,
		size_t *out_len, size_t *frag_len)
{
	uint8_t flags;
	int r;

	if (frag_len)
		*frag_len = 0;
	if (exchange != IKEV2_EXCH_IKE_SA_INIT) {
		r = ikev2_sk_seal(sa, exchange, response, id, chain, chain_len, first, out,
				  out_len);
		if (r < 0 || !frag_len || !ikev2_frag_wanted(e, sa, exchange, *out_len))
			return r;
		/* RFC 7383 2.5: too large for one datagram: fragments */
		free(*out);
		r = ikev2_sk_seal_frags(sa, exchange, response, id, chain, chain_len, first,
					ikev2_frag_max_dgram(e, sa), IKEV2_FRAG_MAX, out, out_len,
					frag_len);
		if (r == 0)
			log_debug(SUB_IKE, "IKE SA #%u: %s %s %u sent in fragments of %zu octets",
				  sa->sa.serial, exch_name(exchange),
				  response ? "response" : "request", id, *frag_len);
		return r;
	}
	flags = (uint8_t)((sa->sa.initiator ? IKEV2_FLAG_I : 0) | (response ? IKEV2_FLAG_R : 0));
	return ikev2_plain_seal(sa->sa.spi_i, sa->sa.spi_r, exchange, flags, id, chain, chain_len,
				first, out, out_len);
}

static uint64_t retransmit_delay(const struct daemon_cfg *d, unsigned tries)
{
	double ms = (d->retransmit_timeout > 0 ? d->retransmit_timeout : 4.0) * 1000.0;
	unsigned i;

	for (i = 0; i < tries; i++)
		ms *= d->retransmit_base >= 1.0 ? d->retransmit_base : 1.0;
	return ms > 1e9 ? (uint64_t)1e9 : (uint64_t)ms;
}

int ikev2_send_request(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint8_t exchange,
		       const uint8_t *chain, size_t chain_len, uint8_t first, uint64_t now)
{
	uint8_t *buf;
	size_t len;
	size_t frag_len;
	int r = seal(e, sa, exchange, false, sa->next_req_id, chain, chain_len, first, &buf, &len,
		     &frag_len);

	if (r < 0) {
		log_err(SUB_IKE, "IKE SA #%u: cannot build the %s request: %s", sa->sa.serial,
			exch_name(exchange), strerror(-r));
		return r;
	}
	free(sa->out_buf);
	sa->out_buf = buf;
	sa->out_len = len;
	sa->out_frag_len = frag_len;
	sa->out_active = true;
	sa->out_exchange = exchange;
	sa->out_id = sa->next_req_id;
	sa->out_tries = 0;
	sa->out_deadline = now + retransmit_delay(ikev2_daemon_cfg(e), 0);
	if (exchange == IKEV2_EXCH_IKE_SA_INIT) {
		/* RealMessage1 of RFC 7296 2.15: the request as last sent */
		free(sa->init_req);
		sa->init_req = malloc(len);
		if (!sa->init_req)
			return -ENOMEM;
		memcpy(sa->init_req, buf, len);
		sa->init_req_len = len;
	}
	timers_set(&e->timers, sa->sa.serial, TIMER_RETRANSMIT, sa->out_deadline);
	log_debug(SUB_IKE, "IKE SA #%u: sending %s request, message ID %u (%zu bytes)",
		  sa->sa.serial, exch_name(exchange), sa->out_id, len);
	send_dgrams(e, &sa->sa.local, &sa->sa.remote, buf, len, frag_len);
	return 0;
}

void ikev2_send_oneshot(struct ikev2_engine *e, struct ikev2_ike_sa *sa, const uint8_t *chain,
			size_t chain_len, uint8_t first)
{
	uint8_t *buf;
	size_t len;

	if (!sa->have_keys)
		return;
	if (seal(e, sa, IKEV2_EXCH_INFORMATIONAL, false, sa->next_req_id, chain, chain_len, first,
		 &buf, &len, NULL) < 0)
		return;
	sa->next_req_id++;
	send_bytes(e, &sa->sa.local, &sa->sa.remote, buf, len);
	free(buf);
}

/* Seal, send and cache the response to the request in rx. */
static void send_response(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
			  const struct ikev2_rx *rx, const uint8_t *chain, size_t chain_len,
			  uint8_t first)
{
	uint8_t exchange = rx->msg->hdr.exchange;
	uint8_t *buf;
	size_t len, frag_len;
	int r = seal(e, sa, exchange, true, rx->msg->hdr.msg_id, chain, chain_len, first, &buf,
		     &len, &frag_len);

	if (r < 0) {
		log_err(SUB_IKE, "IKE SA #%u: cannot build the %s response: %s", sa->sa.serial,
			exch_name(exchange), strerror(-r));
		return;
	}
	if (exchange == IKEV2_EXCH_IKE_SA_INIT) {
		free(sa->init_resp); /* RealMessage2 */
		sa->init_resp = malloc(len);
		if (sa->init_resp)
			memcpy(sa->init_resp, buf, len);
		sa->init_resp_len = sa->init_resp ? len : 0;
	}
	free(sa->resp_buf);
	sa->resp_buf = buf;
	sa->resp_len = len;
	sa->resp_frag_len = frag_len;
	sa->have_resp = true;
	send_dgrams(e, &rx->local, &rx->remote, buf, len, frag_len);
}

/* --- saved messages and jobs --- */

int ikev2_save(struct ikev2_saved *s, const struct ikev2_rx *rx)
{
	ikev2_saved_clear(s);
	s->buf = malloc(rx->len ? rx->len : 1);
	if (!s->buf)
		return -ENOMEM;
	memcpy(s->buf, rx->buf, rx->len);
	s->len = rx->len;
	s->local = rx->local;
	s->remote = rx->remote;
	return 0;
}

void ikev2_saved_clear(struct ikev2_saved *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = 0;
}

struct dh_job {
	struct ikev2_engine *e;
	uint32_t serial;
	bool resp_side;
	bool saved; /* re-handle the saved message; else call resume */
	void (*resume)(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now);
	const struct dh_group *group;
	struct dh_key *key; /* owned by the job while it runs */
	uint8_t *peer, *pub;
	size_t peer_len;
	struct secret *shared;
	int err;
};

/* On a worker: only the job's own fields. */
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

static void dh_done(void *arg, int status)
{
	struct dh_job *j = arg;
	struct ikev2_engine *e = j->e;
	struct ikev2_ike_sa *sa;
	struct ikev2_kex *d;

	ikev2_enter(e);
	sa = ikev2_sa_by_serial(e, j->serial);
	if (!sa) {
		dh_job_free(j);
		ikev2_leave(e);
		return;
	}
	d = j->resp_side ? &sa->dh_resp : &sa->dh_req;
	d->busy = false;
	d->err = status < 0 ? status : j->err;
	d->key = j->key;
	d->pub = j->pub;
	d->shared = j->shared;
	j->key = NULL;
	j->pub = NULL;
	j->shared = NULL;
	if (j->saved)
		ikev2_redispatch(e, sa, j->resp_side);
	else if (j->resume)
		j->resume(e, sa, e->now);
	dh_job_free(j);
	ikev2_leave(e);
}

int ikev2_dh_submit(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct ikev2_kex *d,
		    const uint8_t *peer, size_t peer_len, struct ikev2_saved *saved,
		    void (*resume)(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now))
{
	struct dh_job *j = calloc(1, sizeof(*j));
	int r;

	if (!j)
		return -ENOMEM;
	j->e = e;
	j->serial = sa->sa.serial;
	j->resp_side = d == &sa->dh_resp;
	j->saved = saved != NULL;
	j->resume = resume;
	j->group = d->group;
	j->key = d->key; /* the job holds the key while a worker may read it */
	j->pub = d->pub;
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

/* A job of any kind (cert_auth.c): the engine finds the SA again by serial. */
struct any_job {
	struct ikev2_engine *e;
	uint32_t serial;
	void (*work)(void *arg);
	void (*finish)(struct ikev2_engine *e, struct ikev2_ike_sa *sa, void *arg, int status);
	void *arg;
};

static void any_work(void *p)
{
	struct any_job *j = p;

	j->work(j->arg);
}

static void any_done(void *p, int status)
{
	struct any_job *j = p;
	struct ikev2_engine *e = j->e;

	ikev2_enter(e);
	j->finish(e, ikev2_sa_by_serial(e, j->serial), j->arg, status);
	free(j);
	ikev2_leave(e);
}

int ikev2_job_submit(struct ikev2_engine *e, struct ikev2_ike_sa *sa, void (*work)(void *arg),
		     void (*finish)(struct ikev2_engine *e, struct ikev2_ike_sa *sa, void *arg,
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

uint64_t ikev2_wall_time(const struct ikev2_engine *e)
{
	time_t t;

	if (e->wall_clock)
		return e->wall_clock(e->wall_ctx);
	t = time(NULL);
	return t > 0 ? (uint64_t)t : 0;
}

/* --- dispatch --- */

static const struct {
	const struct ikev2_transition *t;
	const size_t *n;
} tables[] = {
	{ikev2_ike_sa_init_transitions, &ikev2_ike_sa_init_ntransitions},
	{ikev2_ike_auth_transitions, &ikev2_ike_auth_ntransitions},
	{ikev2_create_child_sa_transitions, &ikev2_create_child_sa_ntransitions},
	{ikev2_informational_transitions, &ikev2_informational_ntransitions},
};

static const struct ikev2_transition *find_transition(uint8_t exchange, bool response,
						      enum ike_sa_state st)
{
	size_t i, k;

	for (i = 0; i < ARRAY_SIZE(tables); i++)
		for (k = 0; k < *tables[i].n; k++) {
			const struct ikev2_transition *t = &tables[i].t[k];

			if (t->exchange == exchange && t->response == response &&
			    (t->states & IKEV2_ST(st)))
				return t;
		}
	return NULL;
}

static uint32_t payload_set(const struct ikev2_msg *m)
{
	uint32_t set = 0;
	unsigned i;

	for (i = 0; i < m->count; i++)
		if (m->pl[i].type >= 32 && m->pl[i].type < 64)
			set |= IKEV2_PLB(m->pl[i].type);
	return set;
}

static void kick(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now);

/* An error notify as the whole answer to a request we cannot handle. */
static void answer_error(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct ikev2_rx *rx,
			 uint16_t type, const void *data, size_t len)
{
	struct builder b;
	struct ikev2_enc enc;
	uint8_t first;

	bld_init(&b, 0);
	ikev2_chain_encode_begin(&enc, &b);
	ikev2_put_notify_data(&enc, type, data, len);
	if (ikev2_chain_encode_end(&enc, &first) == 0)
		send_response(e, sa, rx, bld_data(&b), bld_off(&b), first);
	bld_free(&b);
	sa->peer_req_id = rx->msg->hdr.msg_id + 1;
}

/* Run t's handler on rx; `resumed` when a job finished and the handler runs
 * again on the saved message (the message was logged the first time). */
static void run_transition(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
			   const struct ikev2_transition *t, struct ikev2_rx *rx, bool resumed)
{
	bool response = t->response;
	enum ikev2_result res;
	struct builder b;
	struct ikev2_enc enc;
	uint8_t first;

	if (!resumed)
		log_debug(SUB_IKE, "IKE SA #%u: %s %s, message ID %u -> %s", sa->sa.serial,
			  exch_name(t->exchange), response ? "response" : "request",
			  rx->msg->hdr.msg_id, t->name);
	if (response) {
		res = t->handler(e, sa, rx, NULL);
		if (res == IKEV2_IGNORE && sa->sa.state != IKE_SA_STATE_DEAD) {
			sa->out_active = true; /* still waiting for a real answer */
			timers_set(&e->timers, sa->sa.serial, TIMER_RETRANSMIT, sa->out_deadline);
		} else if (res == IKEV2_FATAL) {
			ikev2_sa_delete(e, sa, NULL);
		} else if (res != IKEV2_SUSPEND) {
			if (sa->sa.state == IKE_SA_STATE_ESTABLISHED)
				ikev2_sa_trim(sa);
			kick(e, sa, rx->now);
		}
		return;
	}
	sa->req_busy = true;
	bld_init(&b, 0);
	ikev2_chain_encode_begin(&enc, &b);
	res = t->handler(e, sa, rx, &enc);
	if (res == IKEV2_SUSPEND) {
		bld_free(&b);
		return;
	}
	sa->req_busy = false;
	if (res != IKEV2_IGNORE && sa->sa.state != IKE_SA_STATE_DEAD) {
		if (ikev2_chain_encode_end(&enc, &first) == 0)
			send_response(e, sa, rx, bld_data(&b), bld_off(&b), first);
		else
			log_err(SUB_IKE, "IKE SA #%u: %s response too large", sa->sa.serial,
				exch_name(t->exchange));
		sa->peer_req_id = rx->msg->hdr.msg_id + 1;
	}
	bld_free(&b);
	ikev2_saved_clear(&sa->saved_req); /* rx may point into it until here */
	if (sa->sa.state == IKE_SA_STATE_ESTABLISHED)
		ikev2_sa_trim(sa);
	if (res == IKEV2_FATAL)
		ikev2_sa_delete(e, sa, NULL);
	else if (sa->sa.state != IKE_SA_STATE_DEAD)
		kick(e, sa, rx->now);
}

/* RFC 7296 2.23: once on the NAT-T port, "all subsequent traffic" stays
 * there; a message that still comes to the IKE port does not move us back. */
static bool unfloats(struct ikev2_engine *e, const struct ikev2_ike_sa *sa,
		     const struct ikev2_rx *rx)
{
	uint16_t nat_t = ikev2_daemon_cfg(e)->port_nat_t;

	return nat_t && sa->sa.local.port == nat_t && rx->local.port != nat_t;
}

/* Decrypt (unless IKE_SA_INIT) and check the payload rules. 0 to go on;
 * else the message was answered or dropped. *plain: caller frees. */
static int open_message(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct ikev2_rx *rx,
			bool response, uint8_t **plain)
{
	struct ikev2_msg *m = rx->msg;
	struct wire_err err;
	char peer[IP_ADDR_STRLEN];
	int r;

	*plain = NULL;
	memset(&err, 0, sizeof(err));
	ike_sa_peer(&sa->sa, peer, sizeof(peer));
	if (m->hdr.exchange != IKEV2_EXCH_IKE_SA_INIT) {
		r = ikev2_sk_open(sa, m, rx->buf, rx->len, plain, &err);
		if (r == -EINPROGRESS) {
			sa->last_rx = rx->now; /* an authentic fragment (RFC 7383 2.6.2) */
			return -1;
		}
		if (r == -EBADMSG || r == -ENOMEM || r == -EIO || r == -EINVAL) {
			log_warn(SUB_IKE,
				 "IKE SA #%u %s: %s %s message ID %u dropped: integrity check "
				 "failed or undecryptable",
				 sa->sa.serial, peer, exch_name(m->hdr.exchange),
				 response ? "response" : "request", m->hdr.msg_id);
			return -1;
		}
		/* authenticated from here on: follow a peer that moved its port
		 * (floating to 4500, RFC 7296 2.23); the peer is alive (2.4) */
		sa->last_rx = rx->now;
		if (ip_addr_eq(&rx->remote.addr, &sa->sa.remote.addr) && !unfloats(e, sa, rx)) {
			sa->sa.remote = rx->remote;
			sa->sa.local = rx->local;
		}
		if (r == -ENOTSUP) {
			log_warn(SUB_IKE, "IKE SA #%u %s: unsupported critical payload %u",
				 sa->sa.serial, peer, m->unsupported_critical);
			if (!response)
				answer_error(e, sa, rx, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD,
					     &m->unsupported_critical, 1);
			return -1;
		}
	} else {
		r = 0;
	}
	if (r == 0)
		r = ikev2_rules_check(m, true, &err) == 0 ? 0 : -EPROTO;
	if (r < 0) {
		log_warn(SUB_IKE, "IKE SA #%u %s: malformed %s %s: %s (offset %zu)", sa->sa.serial,
			 peer, exch_name(m->hdr.exchange), response ? "response" : "request",
			 err.reason, err.offset);
		if (!response && m->hdr.exchange != IKEV2_EXCH_IKE_SA_INIT)
			answer_error(e, sa, rx, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return -1;
	}
	return 0;
}

/* The message in rx for sa, past the window checks. */
static void handle(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct ikev2_rx *rx)
{
	struct ikev2_msg *m = rx->msg;
	bool response = (m->hdr.flags & IKEV2_FLAG_R) != 0;
	const struct ikev2_transition *t;
	uint8_t *plain = NULL;
	char peer[IP_ADDR_STRLEN];

	ike_sa_peer(&sa->sa, peer, sizeof(peer));
	if (open_message(e, sa, rx, response, &plain) < 0)
		goto out;
	t = find_transition(m->hdr.exchange, response, sa->sa.state);
	if (!t) {
		log_info(SUB_IKE, "IKE SA #%u %s: unexpected %s %s in state %s, dropped",
			 sa->sa.serial, peer, exch_name(m->hdr.exchange),
			 response ? "response" : "request", ike_sa_state_name(sa->sa.state));
		goto out;
	}
	/* RFC 7296 2.21: an error notify may replace everything; 2.6: so may a cookie */
	if ((payload_set(m) & t->required) != t->required && !ikev2_error_notify(m) &&
	    !ikev2_msg_find_notify(m, IKEV2_N_COOKIE)) {
		log_warn(SUB_IKE, "IKE SA #%u %s: %s %s lacks a payload %s needs", sa->sa.serial,
			 peer, exch_name(m->hdr.exchange), response ? "response" : "request",
			 t->name);
		if (!response && m->hdr.exchange != IKEV2_EXCH_IKE_SA_INIT)
			answer_error(e, sa, rx, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		goto out;
	}
	if (response) {
		sa->out_active = false;
		sa->next_req_id = sa->out_id + 1;
		timers_cancel(&e->timers, sa->sa.serial, TIMER_RETRANSMIT);
	}
	run_transition(e, sa, t, rx, false);
out:
	free(plain);
}

/* RFC 7296 2.2, 2.3: window of one. */
static bool window_ok(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct ikev2_rx *rx)
{
	const struct isakmp_hdr *h = &rx->msg->hdr;

	if (h->flags & IKEV2_FLAG_R) {
		if (sa->out_active && h->msg_id == sa->out_id && h->exchange == sa->out_exchange)
			return true;
		log_debug(SUB_IKE, "IKE SA #%u: response with message ID %u not expected, dropped",
			  sa->sa.serial, h->msg_id);
		return false;
	}
	if (sa->have_resp && sa->peer_req_id > 0 && h->msg_id == sa->peer_req_id - 1) {
		const struct ikev2_msg *m = rx->msg;

		/* RFC 7383 2.6.1: of a fragmented request only fragment 1 makes
		 * us send the response again (no amplification) */
		if (m->sk >= 0 && m->pl[m->sk].type == IKEV2_PL_SKF &&
		    m->pl[m->sk].sk.frag_num != 1)
			return false;
		/* a retransmitted request: the cached response, byte for byte */
		log_debug(SUB_IKE,
			  "IKE SA #%u: retransmitted request %u, sending the cached "
			  "response",
			  sa->sa.serial, h->msg_id);
		send_dgrams(e, &rx->local, &rx->remote, sa->resp_buf, sa->resp_len,
			    sa->resp_frag_len);
		return false;
	}
	if (h->msg_id != sa->peer_req_id || sa->req_busy) {
		log_debug(SUB_IKE, "IKE SA #%u: request with message ID %u dropped (expected %u%s)",
			  sa->sa.serial, h->msg_id, sa->peer_req_id,
			  sa->req_busy ? ", busy with it" : "");
		return false;
	}
	return true;
}

void ikev2_dispatch(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct ikev2_rx *rx)
{
	if (window_ok(e, sa, rx))
		handle(e, sa, rx);
}

/* Re-run the handler of a saved message after its job finished. */
void ikev2_redispatch(struct ikev2_engine *e, struct ikev2_ike_sa *sa, bool resp_side)
{
	struct ikev2_saved *s = resp_side ? &sa->saved_req : &sa->saved_resp;
	struct ikev2_rx rx;
	struct wire_err err;
	const struct ikev2_transition *t;
	uint8_t *plain = NULL;
	bool response;

	if (!s->buf)
		return;
	memset(&rx, 0, sizeof(rx));
	rx.msg = &e->msg;
	rx.buf = s->buf;
	rx.len = s->len;
	rx.local = s->local;
	rx.remote = s->remote;
	rx.now = e->now;
	if (ikev2_msg_decode(s->buf, s->len, &e->msg, &err) < 0)
		goto drop;
	if (e->msg.hdr.exchange != IKEV2_EXCH_IKE_SA_INIT &&
	    ikev2_sk_open(sa, &e->msg, s->buf, s->len, &plain, &err) < 0)
		goto drop;
	response = (e->msg.hdr.flags & IKEV2_FLAG_R) != 0;
	t = find_transition(e->msg.hdr.exchange, response, sa->sa.state);
	if (!t)
		goto drop;
	run_transition(e, sa, t, &rx, true);
	free(plain);
	return;
drop:
	free(plain);
	if (resp_side)
		sa->req_busy = false;
	ikev2_saved_clear(s);
}

void ikev2_recv(struct ikev2_engine *e, const struct ip_endpoint *local,
		const struct ip_endpoint *remote, const uint8_t *buf, size_t len, uint64_t now_ms)
{
	struct ikev2_msg *m = &e->msg;
	struct wire_err err;
	struct ikev2_rx rx;
	struct ike_sa *isa;
	char from[IP_ENDPOINT_STRLEN];
	int r;

	ikev2_enter(e);
	e->now = now_ms;
	memset(&err, 0, sizeof(err));
	r = ikev2_msg_decode(buf, len, m, &err);
	ip_endpoint_fmt(remote, from, sizeof(from));
	if (r < 0 && r != -ENOTSUP) {
		log_info(SUB_IKE, "malformed IKEv2 message from %s dropped: %s (offset %zu)", from,
			 err.reason, err.offset);
		goto out;
	}
	memset(&rx, 0, sizeof(rx));
	rx.msg = m;
	rx.buf = buf;
	rx.len = len;
	rx.local = *local;
	rx.remote = *remote;
	rx.now = now_ms;
	if (m->hdr.exchange == IKEV2_EXCH_IKE_SA_INIT && !(m->hdr.flags & IKEV2_FLAG_R) &&
	    memcmp(m->hdr.spi_r, "\0\0\0\0\0\0\0\0", 8) == 0) {
		if (r == 0)
			ikev2_ike_sa_init_request(e, &rx);
		else
			ikev2_ike_sa_init_unsupported(e, &rx);
		goto out;
	}
	if (r < 0) /* critical unknown outer payload next to SK: nothing to trust */
		goto out;
	isa = sa_table_find(&e->table, m->hdr.spi_i, m->hdr.spi_r,
			    (m->hdr.flags & IKEV2_FLAG_I) != 0);
	if (!isa || isa->version != 2) {
		log_debug(SUB_IKE, "%s message from %s for an unknown IKE SA dropped",
			  exch_name(m->hdr.exchange), from);
		goto out;
	}
	ikev2_dispatch(e, ikev2_sa_of(isa), &rx);
out:
	ikev2_leave(e);
}

int ikev2_nonce_set(uint8_t **dst, size_t *dst_len, const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (!p)
		return -ENOMEM;
	if (src) {
		memcpy(p, src, len);
	} else if (rand_public(p, len) < 0) {
		free(p);
		return -EIO;
	}
	free(*dst);
	*dst = p;
	*dst_len = len;
	return 0;
}

/* RFC 7296 2.15, 2.17: after IKE_AUTH, AUTH is never computed again (so
 * SK_pi and SK_pr are done too) and the first CHILD SA is keyed; a rekey
 * brings its own nonces (2.18) and the response cache answers a
 * retransmitted IKE_AUTH. */
void ikev2_sa_trim(struct ikev2_ike_sa *sa)
{
	secret_free(sa->keys.sk_pi);
	secret_free(sa->keys.sk_pr);
	sa->keys.sk_pi = sa->keys.sk_pr = NULL;
	free(sa->ni);
	free(sa->nr);
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->cookie);
	sa->ni = sa->nr = sa->init_req = sa->init_resp = sa->cookie = NULL;
	sa->ni_len = sa->nr_len = sa->init_req_len = sa->init_resp_len = sa->cookie_len = 0;
}

/* --- tasks: requests waiting for the window --- */

int ikev2_task_add(struct ikev2_engine *e, struct ikev2_ike_sa *sa, const struct ikev2_task *t,
		   uint64_t now)
{
	if (sa->ntasks == IKEV2_TASKS_MAX) {
		log_warn(SUB_IKE, "IKE SA #%u: too many queued requests, one dropped",
			 sa->sa.serial);
		return -ENOSPC;
	}
	if (!sa->tasks && !(sa->tasks = calloc(IKEV2_TASKS_MAX, sizeof(*sa->tasks))))
		return -ENOMEM;
	sa->tasks[sa->ntasks++] = *t;
	kick(e, sa, now);
	return 0;
}

void ikev2_task_kick(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now)
{
	kick(e, sa, now);
}

/* Start the next queued request when nothing is outstanding (a rekey's
 * KE job counts: req_rekey_ike / req_child hold the window then). */
static void kick(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now)
{
	while (sa->ntasks && !sa->out_active && !sa->dh_req.busy && !sa->req_rekey_ike &&
	       sa->sa.state == IKE_SA_STATE_ESTABLISHED) {
		struct ikev2_task t = sa->tasks[0];
		enum ikev2_result r = IKEV2_FAIL;

		memmove(&sa->tasks[0], &sa->tasks[1], (sa->ntasks - 1) * sizeof(sa->tasks[0]));
		if (--sa->ntasks == 0) {
			free(sa->tasks);
			sa->tasks = NULL;
		}
		switch (t.kind) {
		case IKEV2_TASK_CREATE_CHILD:
			r = ikev2_create_child_send(e, sa, t.name, now);
			break;
		case IKEV2_TASK_DELETE_CHILD:
			r = ikev2_informational_send_delete_child(e, sa, t.serial, now);
			break;
		case IKEV2_TASK_DELETE_IKE:
			r = ikev2_informational_send_delete_ike(e, sa, now);
			break;
		case IKEV2_TASK_DELETE_SPI:
			r = ikev2_informational_send_delete_spi(e, sa, t.protocol, t.serial, now);
			break;
		case IKEV2_TASK_REKEY_CHILD:
			r = ikev2_create_child_send_rekey(e, sa, t.serial, now);
			break;
		case IKEV2_TASK_REKEY_IKE:
			r = ikev2_rekey_ike_send(e, sa, now);
			break;
		case IKEV2_TASK_DPD:
			r = ikev2_informational_send_dpd(e, sa, now);
			break;
		}
		if (r == IKEV2_FATAL) {
			ikev2_sa_delete(e, sa, "could not send a request");
			return;
		}
	}
	if (sa->reauth_of) /* made every CHILD SA of a reauthentication? */
		ikev2_reauth_progress(e, sa);
}

/* --- timers --- */

static void retransmit(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now)
{
	const struct daemon_cfg *d = ikev2_daemon_cfg(e);
	char peer[IP_ADDR_STRLEN], why[160];

	if (!sa->out_active)
		return;
	if (sa->out_tries >= d->retransmit_tries) {
		ike_sa_peer(&sa->sa, peer, sizeof(peer));
		log_warn(SUB_IKE, "peer %s did not answer %s after %u retransmissions", peer,
			 exch_name(sa->out_exchange), sa->out_tries);
		snprintf(why, sizeof(why), "peer %s did not answer %s after %u retransmissions",
			 peer, exch_name(sa->out_exchange), sa->out_tries);
		if (sa->sa.state == IKE_SA_STATE_ESTABLISHED)
			ikev2_dead_peer(e, sa, why); /* dpd_action */
		else
			ikev2_sa_delete(e, sa, why);
		return;
	}
	sa->out_tries++;
	sa->out_deadline = now + retransmit_delay(d, sa->out_tries);
	timers_set(&e->timers, sa->sa.serial, TIMER_RETRANSMIT, sa->out_deadline);
	log_info(SUB_IKE, "IKE SA #%u: retransmitting %s request %u (%u of %u)", sa->sa.serial,
		 exch_name(sa->out_exchange), sa->out_id, sa->out_tries, d->retransmit_tries);
	send_dgrams(e, &sa->sa.local, &sa->sa.remote, sa->out_buf, sa->out_len, sa->out_frag_len);
}

static void timer_fired(struct ikev2_engine *e, uint32_t serial, enum timer_kind kind, uint64_t now)
{
	struct ikev2_ike_sa *sa = ikev2_sa_by_serial(e, serial);

	if (!sa) { /* serials are unique: a CHILD SA's timer */
		ikev2_child_timer(e, serial, kind, now);
		return;
	}
	switch (kind) {
	case TIMER_RETRANSMIT:
		retransmit(e, sa, now);
		break;
	case TIMER_TIMEOUT:
		if (sa->sa.state != IKE_SA_STATE_ESTABLISHED)
			ikev2_sa_delete(e, sa, "negotiation timed out (half-open)");
		break;
	case TIMER_REKEY:
	case TIMER_REAUTH:
	case TIMER_EXPIRE:
	case TIMER_DPD:
		ikev2_ike_timer(e, sa, kind, now);
		break;
	case TIMER_KEEPALIVE:
		ikev2_keepalive(e, sa, now, true);
		break;
	default:
		break;
	}
}

uint64_t ikev2_next_deadline(const struct ikev2_engine *e)
{
	return timers_next(&e->timers);
}

void ikev2_run_timers(struct ikev2_engine *e, uint64_t now_ms)
{
	uint32_t serial;
	enum timer_kind kind;

	ikev2_enter(e);
	e->now = now_ms;
	while (timers_pop_due(&e->timers, now_ms, &serial, &kind))
		timer_fired(e, serial, kind, now_ms);
	ikev2_leave(e);
}

/* --- the daemon's API --- */

struct ikev2_engine *ikev2_engine_new(const struct ike_env *env)
{
	struct ikev2_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->env = *env;
	if (sa_table_init(&e->table) < 0 || timers_init(&e->timers) < 0) {
		sa_table_free(&e->table);
		free(e);
		return NULL;
	}
	e->table.shared_serial = env->serials;
	if (env->config)
		ikev2_engine_set_config(e, env->config, 0);
	return e;
}

void ikev2_engine_free(struct ikev2_engine *e)
{
	uint32_t serials[256];
	size_t n, i;

	if (!e)
		return;
	ikev2_enter(e);
	while ((n = sa_table_serials(&e->table, serials, ARRAY_SIZE(serials))) > 0) {
		for (i = 0; i < n; i++) {
			struct ikev2_ike_sa *sa = ikev2_sa_by_serial(e, serials[i]);
			struct child_sa *c;

			if (!sa)
				continue;
			/* no kernel calls: the daemon flushes or keeps the kernel state */
			while ((c = sa->sa.children)) {
				ike_sa_remove_child(&sa->sa, c);
				sa_table_remove_child(&e->table, c);
				child_sa_free(c);
			}
			ikev2_sa_delete(e, sa, NULL);
		}
	}
	e->depth = 0;
	reap(e);
	ikev2_traps_free(e); /* start_action = trap (acquire.c) */
	ikev2_child_deferred_free(e);
	timers_free(&e->timers);
	sa_table_free(&e->table);
	if (e->config)
		oak_config_unref(e->config);
	certs_store_unref(e->certs);
	wipe(e->cookie_secret, sizeof(e->cookie_secret));
	free(e);
}
