/* harness.c: fakes for two IKEv1 engines in one process (see harness.h).
 * The RNG, network, kernel and job fakes are a copy of tests/ikev2/harness.c's. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/parse.h"
#include "crypto/ident.h"
#include "crypto/rand.h"
#include "harness.h"
#include "lib/log.h"
#include "wire/ikev1.h"

/* --- deterministic RNG (splitmix64) --- */

static int h_rand(void *ctx, uint8_t *buf, size_t n)
{
	uint64_t *s = ctx;
	size_t i;

	for (i = 0; i < n; i += 8) {
		uint64_t z;

		*s += 0x9e3779b97f4a7c15ULL;
		z = *s;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		memcpy(buf + i, &z, n - i < 8 ? n - i : 8);
	}
	return 0;
}

/* --- fake net --- */

static int h_send(void *ctx, const struct ip_endpoint *local, const struct ip_endpoint *remote,
		  const uint8_t *msg, size_t len)
{
	struct h_peer *p = ctx;
	struct h_world *w = p->w;
	struct h_dgram *d;

	assert_true(w->nq < H_MAX_DGRAMS);
	d = &w->q[w->nq++];
	d->from = *local;
	if (d->from.addr.family == 0 || ip_addr_is_any(&d->from.addr))
		d->from.addr = p->ep.addr;
	d->to = *remote;
	d->buf = malloc(len ? len : 1);
	assert_non_null(d->buf);
	memcpy(d->buf, msg, len);
	d->len = len;
	p->sent++;
	return 0;
}

/* --- fake kernel --- */

static int k_alloc_spi(void *ctx, uint8_t proto, const struct ip_addr *src,
		       const struct ip_addr *dst, uint32_t reqid, uint32_t *spi)
{
	struct h_peer *p = ctx;

	assert_true(p->k.nlarval < H_MAX_SAS);
	*spi = p->k.next_spi++;
	p->k.larval[p->k.nlarval++] = *spi;
	return 0;
}

static bool larval_take(struct h_kernel *k, uint32_t spi)
{
	size_t i;

	for (i = 0; i < k->nlarval; i++)
		if (k->larval[i] == spi) {
			k->larval[i] = k->larval[--k->nlarval];
			return true;
		}
	return false;
}

static void copy_name(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static int k_add_sa(void *ctx, const struct kernel_sa *sa)
{
	struct h_peer *p = ctx;
	struct h_ksa *k;

	if (sa->update && !larval_take(&p->k, sa->spi))
		fail_msg("%s: add_sa update of SPI %08x that was not allocated", p->name, sa->spi);
	assert_true(p->k.nsas < H_MAX_SAS);
	k = &p->k.sas[p->k.nsas++];
	memset(k, 0, sizeof(*k));
	k->proto = sa->proto;
	k->spi = sa->spi;
	k->src = sa->src;
	k->dst = sa->dst;
	k->inbound = sa->inbound;
	k->mode = sa->mode;
	k->reqid = sa->reqid;
	copy_name(k->encr, sizeof(k->encr), sa->encr_alg);
	copy_name(k->integ, sizeof(k->integ), sa->integ_alg);
	assert_true(sa->encr_key_len <= sizeof(k->ekey) && sa->integ_key_len <= sizeof(k->ikey));
	if (sa->encr_key_len)
		memcpy(k->ekey, sa->encr_key, sa->encr_key_len);
	if (sa->integ_key_len)
		memcpy(k->ikey, sa->integ_key, sa->integ_key_len);
	k->ekey_len = sa->encr_key_len;
	k->ikey_len = sa->integ_key_len;
	k->icv_bits = sa->icv_bits;
	k->trunc_bits = sa->integ_trunc_bits;
	k->life_time = sa->life.hard_seconds;
	k->life_bytes = sa->life.hard_bytes;
	k->encap_sport = sa->encap_sport;
	k->encap_dport = sa->encap_dport;
	k->encap_oa = sa->encap_oa;
	p->k.added++;
	return 0;
}

static int k_del_sa(void *ctx, uint8_t proto, uint32_t spi, const struct ip_addr *dst)
{
	struct h_peer *p = ctx;
	size_t i;

	for (i = 0; i < p->k.nsas; i++)
		if (p->k.sas[i].proto == proto && p->k.sas[i].spi == spi &&
		    ip_addr_eq(&p->k.sas[i].dst, dst)) {
			p->k.sas[i] = p->k.sas[--p->k.nsas];
			p->k.deleted++;
			return 0;
		}
	if (larval_take(&p->k, spi))
		return 0;
	p->k.errors++;
	return -ENOENT;
}

/* Every inbound SA there has counted k.packets_in packets; the rest none. */
static int k_query_sa(void *ctx, uint8_t proto, uint32_t spi, const struct ip_addr *dst,
		      struct kernel_sa_use *use)
{
	struct h_peer *p = ctx;
	size_t i;

	for (i = 0; i < p->k.nsas; i++)
		if (p->k.sas[i].proto == proto && p->k.sas[i].spi == spi &&
		    ip_addr_eq(&p->k.sas[i].dst, dst)) {
			*use = (struct kernel_sa_use){
				.packets = p->k.sas[i].inbound ? p->k.packets_in : 0};
			return 0;
		}
	return -ESRCH;
}

static bool pol_eq(const struct kernel_policy *a, const struct kernel_policy *b)
{
	/* a trap and the IPsec SA's policy of one selector are two (kernel/xfrm.h) */
	return a->dir == b->dir && a->trap == b->trap && ts_eq(&a->src, &b->src) &&
	       ts_eq(&a->dst, &b->dst);
}

static int k_add_policy(void *ctx, const struct kernel_policy *pol)
{
	struct h_peer *p = ctx;
	size_t i;

	/* as the XFRM backend (kernel/xfrm.c): an equal policy is replaced */
	for (i = 0; i < p->k.npols; i++)
		if (pol_eq(&p->k.pols[i], pol)) {
			p->k.pols[i] = *pol;
			p->k.pols[i].conn_name = NULL;
			p->k.pols[i].child_name = NULL;
			p->k.pols_replaced++;
			return 0;
		}
	assert_true(p->k.npols < H_MAX_POLS);
	p->k.pols[p->k.npols] = *pol;
	p->k.pols[p->k.npols].conn_name = NULL;
	p->k.pols[p->k.npols].child_name = NULL;
	p->k.npols++;
	return 0;
}

static int k_del_policy(void *ctx, const struct kernel_policy *pol)
{
	struct h_peer *p = ctx;
	size_t i;

	for (i = 0; i < p->k.npols; i++)
		if (pol_eq(&p->k.pols[i], pol)) {
			p->k.pols[i] = p->k.pols[--p->k.npols];
			return 0;
		}
	p->k.errors++;
	return -ENOENT;
}

/* --- jobs and key log --- */

static int h_submit(void *ctx, void (*work)(void *arg), void (*done)(void *arg, int status),
		    void *arg)
{
	struct h_peer *p = ctx;
	struct h_world *w = p->w;

	if (w->njobs == H_MAX_JOBS)
		return -EAGAIN;
	w->jobs[w->njobs++] = (struct h_job){p->idx, work, done, arg};
	return 0;
}

void h_jobs(struct h_world *w)
{
	while (w->njobs) {
		struct h_job j = w->jobs[0];

		memmove(&w->jobs[0], &w->jobs[1], (w->njobs - 1) * sizeof(w->jobs[0]));
		w->njobs--;
		j.work(j.arg);
		j.done(j.arg, 0);
		w->jobs_run++;
	}
}

static void h_keylog_cb(void *ctx, const uint8_t icookie[8], const uint8_t *key, size_t len)
{
	struct h_peer *p = ctx;
	struct h_keylog *r;

	assert_true(p->nkeylog < H_MAX_KEYLOG);
	assert_true(len > 0 && len <= sizeof(r->enc_key));
	r = &p->keylog[p->nkeylog++];
	memcpy(r->icookie, icookie, 8);
	memcpy(r->enc_key, key, len);
	r->len = len;
}

/* --- configs --- */

struct oak_config *h_config_text(const char *text)
{
	struct conf_tree *t = NULL;
	struct oak_config *c = NULL;
	struct conf_err err;

	memset(&err, 0, sizeof(err));
	if (conf_parse_string("oak.conf", text, &t, &err))
		fail_msg("parse: %s:%d: %s\n%s", err.file, err.line, err.msg, text);
	if (conf_model_build(t, &c, &err))
		fail_msg("build: %s:%d: %s\n%s", err.file, err.line, err.msg, text);
	return c;
}

#define DEF(x, d) ((x) ? (x) : (d))

static struct oak_config *peer_config(int idx, const struct h_opts *o)
{
	static const struct h_opts none;
	const char *me = idx == 0 ? "192.0.2.1" : "192.0.2.2";
	const char *other = idx == 0 ? "192.0.2.2" : "192.0.2.1";
	const char *my_id = idx == 0 ? "moon.example.org" : "sun.example.org";
	const char *other_id = idx == 0 ? "sun.example.org" : "moon.example.org";
	const char *my_ts = idx == 0 ? "10.1.0.0/16" : "10.2.0.0/16";
	const char *other_ts = idx == 0 ? "10.2.0.0/16" : "10.1.0.0/16";
	char pki[3][1024];
	char *text;
	struct oak_config *c;

	if (!o)
		o = &none;
	snprintf(pki[0], sizeof(pki[0]), "%s", th_src_path("tests/vectors/certs/x509"));
	snprintf(pki[1], sizeof(pki[1]), "%s", th_src_path("tests/vectors/certs/x509ca"));
	snprintf(pki[2], sizeof(pki[2]), "%s", th_src_path("tests/vectors/certs/private"));
	if (asprintf(&text,
		     "daemon { x509_dir = \"%s\"\n x509ca_dir = \"%s\"\n private_dir = \"%s\"\n"
		     " %s }\n"
		     "connections {\n"
		     "  gw {\n"
		     "    version = %s\n"
		     "    local_addrs = %s\n"
		     "    remote_addrs = %s\n"
		     "    proposals = %s\n"
		     "    %s\n"
		     "    local { auth = %s\n id = %s\n %s }\n"
		     "    remote { auth = %s\n id = %s\n %s }\n"
		     "    children {\n"
		     "      net { local_ts = %s\n remote_ts = %s\n esp_proposals = %s\n"
		     "            mode = %s\n %s }\n"
		     "      %s\n"
		     "    }\n"
		     "  }\n"
		     "}\n"
		     "secrets { ike-1 { secret = %s\n id-1 = %s\n id-2 = %s }\n %s }\n"
		     "%s\n",
		     pki[0], pki[1], pki[2], DEF(o->daemon, ""), DEF(o->version, "1"), me,
		     DEF(o->remote_addrs, other), DEF(o->ike, "aes128-sha256-modp2048"),
		     DEF(o->conn_extra, ""), DEF(o->local_auth, DEF(o->auth, "psk")),
		     DEF(o->local_id, my_id), DEF(o->extra_local, ""),
		     DEF(o->remote_auth, DEF(o->auth, "psk")), DEF(o->remote_id, other_id),
		     DEF(o->extra_remote, ""), DEF(o->local_ts, my_ts), DEF(o->remote_ts, other_ts),
		     DEF(o->esp, "aes128-sha256"), DEF(o->mode, "tunnel"), DEF(o->child_extra, ""),
		     DEF(o->children, ""), DEF(o->psk, "s3cret-pre-shared-key"),
		     DEF(o->local_id, my_id), DEF(o->remote_id, other_id), DEF(o->secrets, ""),
		     DEF(o->authorities, "")) < 0)
		fail();
	c = h_config_text(text);
	free(text);
	return c;
}

static uint64_t h_wall(void *ctx)
{
	return ((struct h_world *)ctx)->wall;
}

static void peer_engine(struct h_world *w, struct h_peer *p)
{
	struct ike_env env;

	memset(&env, 0, sizeof(env));
	env.net = &p->net;
	env.kernel = &p->kops;
	env.jobs = (struct ike_jobs){p, h_submit};
	env.keylog = (struct ike_keylog){p, NULL, h_keylog_cb};
	p->e = ikev1_engine_new(&env);
	assert_non_null(p->e);
	ikev1_engine_set_certs(p->e, p->certs);
	ikev1_engine_set_wall_clock(p->e, h_wall, w);
}

void h_init(struct h_world *w, const struct h_opts *moon, const struct h_opts *sun)
{
	char why[CERTS_WHY_LEN];
	int i;

	memset(w, 0, sizeof(*w));
	if (!getenv("OAK_TEST_DEBUG"))
		logcap_start(); /* quiet; tests read the lines with logcap_contains */
	w->now = 1000000;
	w->rng = 0x6f616b2d76312d74ULL;
	w->wall = 1893456000; /* 2030-01-01: inside the test PKI's validity */
	rand_set_source(h_rand, &w->rng);
	for (i = 0; i < 2; i++) {
		struct h_peer *p = &w->p[i];

		p->w = w;
		p->idx = i;
		p->name = i == 0 ? "moon" : "sun";
		ip_addr_parse(i == 0 ? "192.0.2.1" : "192.0.2.2", &p->ep.addr);
		p->ep.port = 500;
		p->net = (struct net_ops){p, h_send, NULL};
		p->kops = (struct kernel_ops){.ctx = p,
					      .alloc_spi = k_alloc_spi,
					      .add_sa = k_add_sa,
					      .del_sa = k_del_sa,
					      .add_policy = k_add_policy,
					      .del_policy = k_del_policy,
					      .query_sa = k_query_sa};
		p->k.next_spi = i == 0 ? 0xc1000001u : 0xc2000001u;
		p->cfg = peer_config(i, i == 0 ? moon : sun);
		if (certs_store_load(p->cfg, &p->certs, why, sizeof(why)) < 0)
			fail_msg("%s: certificate store: %s", p->name, why);
		peer_engine(w, p);
	}
	/* as the daemon: the config (start_action = start) after the store */
	for (i = 0; i < 2; i++)
		ikev1_engine_set_config(w->p[i].e, w->p[i].cfg, 0);
}

static void cancel_jobs(struct h_world *w)
{
	size_t k;

	for (k = 0; k < w->njobs; k++)
		w->jobs[k].done(w->jobs[k].arg, -ECANCELED);
	w->njobs = 0;
}

void h_reload(struct h_world *w, int i, const struct h_opts *o)
{
	struct h_peer *p = &w->p[i];

	oak_config_unref(p->cfg);
	p->cfg = peer_config(i, o);
	ikev1_engine_set_config(p->e, p->cfg, w->now);
}

void h_restart(struct h_world *w, int i)
{
	struct h_peer *p = &w->p[i];
	uint32_t next = p->k.next_spi;

	cancel_jobs(w); /* a crash loses them */
	ikev1_engine_free(p->e);
	memset(&p->k, 0, sizeof(p->k));
	p->k.next_spi = next + 0x100; /* a new process, new SPIs */
	p->nkeylog = 0;
	peer_engine(w, p);
	ikev1_engine_set_config(p->e, p->cfg, w->now);
}

void h_free(struct h_world *w)
{
	int i;
	size_t k;

	/* as the daemon: the executor's jobs are cancelled before the engines go */
	cancel_jobs(w);
	for (i = 0; i < 2; i++) {
		ikev1_engine_free(w->p[i].e);
		certs_store_unref(w->p[i].certs);
		oak_config_unref(w->p[i].cfg);
	}
	for (k = 0; k < w->nq; k++)
		free(w->q[k].buf);
	w->nq = 0;
	rand_set_source(NULL, NULL);
	logcap_stop();
}

/* --- stepping --- */

static struct h_peer *peer_at(struct h_world *w, const struct ip_addr *a)
{
	int i;

	for (i = 0; i < 2; i++)
		if (ip_addr_eq(&w->p[i].ep.addr, a) ||
		    (w->nat_pub[i].family && ip_addr_eq(&w->nat_pub[i], a)))
			return &w->p[i];
	return NULL;
}

/* The NAPTs (harness.h) on datagram d; its receiver. */
static struct h_peer *nat_route(struct h_world *w, struct h_dgram *d)
{
	struct h_peer *to = peer_at(w, &d->to.addr), *from = peer_at(w, &d->from.addr);

	assert_non_null(to);
	assert_non_null(from);
	if (w->nat_pub[from->idx].family) {
		d->from.addr = w->nat_pub[from->idx];
		d->from.port = (uint16_t)(d->from.port + w->nat_shift[from->idx]);
	}
	if (w->nat_pub[to->idx].family && ip_addr_eq(&d->to.addr, &w->nat_pub[to->idx])) {
		assert_true(d->to.port > w->nat_shift[to->idx]);
		d->to.addr = to->ep.addr;
		d->to.port = (uint16_t)(d->to.port - w->nat_shift[to->idx]);
	}
	return to;
}

uint8_t *h_take(struct h_world *w, size_t i, size_t *len)
{
	uint8_t *b;

	assert_true(i < w->nq);
	b = w->q[i].buf;
	*len = w->q[i].len;
	memmove(&w->q[i], &w->q[i + 1], (w->nq - i - 1) * sizeof(w->q[0]));
	w->nq--;
	return b;
}

void h_drop(struct h_world *w, size_t i)
{
	size_t len;

	free(h_take(w, i, &len));
}

void h_dup(struct h_world *w, size_t i)
{
	assert_true(i < w->nq && w->nq < H_MAX_DGRAMS);
	w->q[w->nq] = w->q[i];
	w->q[w->nq].buf = malloc(w->q[i].len ? w->q[i].len : 1);
	assert_non_null(w->q[w->nq].buf);
	memcpy(w->q[w->nq].buf, w->q[i].buf, w->q[i].len);
	w->nq++;
}

bool h_step_one(struct h_world *w)
{
	struct h_dgram d;
	struct h_peer *to;

	h_jobs(w);
	if (!w->nq)
		return false;
	d = w->q[0];
	memmove(&w->q[0], &w->q[1], (w->nq - 1) * sizeof(w->q[0]));
	w->nq--;
	to = nat_route(w, &d);
	ikev1_recv(to->e, &d.to, &d.from, d.buf, d.len, w->now);
	free(d.buf);
	return true;
}

static void deliver_first(struct h_world *w)
{
	struct h_dgram d = w->q[0];
	struct h_peer *to;

	memmove(&w->q[0], &w->q[1], (w->nq - 1) * sizeof(w->q[0]));
	w->nq--;
	size_t k;

	to = nat_route(w, &d);
	for (k = 0; k < w->njobs; k++)
		if (w->jobs[k].owner == to->idx) {
			w->raced++;
			break;
		}
	ikev1_recv(to->e, &d.to, &d.from, d.buf, d.len, w->now);
	free(d.buf);
}

void h_run_eager(struct h_world *w)
{
	int n = 0;

	for (;;) {
		if (w->nq) {
			deliver_first(w);
		} else if (w->njobs) {
			/* the newest job first: another peer's older job may
			 * still run on a busy worker */
			struct h_job j = w->jobs[--w->njobs];

			j.work(j.arg);
			j.done(j.arg, 0);
			w->jobs_run++;
		} else {
			return;
		}
		if (++n > 1000)
			fail_msg("the exchange does not settle");
	}
}

bool h_step(struct h_world *w)
{
	if (w->njobs) {
		h_jobs(w);
		return true;
	}
	return h_step_one(w);
}

void h_run(struct h_world *w)
{
	int n = 0;

	while (h_step(w))
		if (++n > 1000)
			fail_msg("the exchange does not settle");
}

bool h_advance(struct h_world *w)
{
	uint64_t a = ikev1_next_deadline(w->p[0].e), b = ikev1_next_deadline(w->p[1].e);
	uint64_t t = a < b ? a : b;

	if (t == UINT64_MAX)
		return false;
	if (t > w->now)
		w->now = t;
	ikev1_run_timers(w->p[0].e, w->now);
	ikev1_run_timers(w->p[1].e, w->now);
	return true;
}

void h_sleep(struct h_world *w, uint64_t ms)
{
	w->now += ms;
	ikev1_run_timers(w->p[0].e, w->now);
	ikev1_run_timers(w->p[1].e, w->now);
}

void h_deliver(struct h_world *w, int to, const uint8_t *buf, size_t len)
{
	struct h_peer *p = &w->p[to], *o = &w->p[!to];

	ikev1_recv(p->e, &p->ep, &o->ep, buf, len, w->now);
}

uint8_t h_exchange(const struct h_world *w, size_t i)
{
	return i < w->nq && w->q[i].len >= 28 ? w->q[i].buf[18] : 0;
}

bool h_encrypted(const struct h_world *w, size_t i)
{
	return i < w->nq && w->q[i].len >= 28 && (w->q[i].buf[19] & ISAKMP_FLAG_E);
}

uint32_t h_msg_id(const struct h_world *w, size_t i)
{
	const uint8_t *b;

	if (i >= w->nq || w->q[i].len < 28)
		return 0;
	b = w->q[i].buf + 20;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int h_sender(const struct h_world *w, size_t i)
{
	assert_true(i < w->nq);
	return ip_addr_eq(&w->q[i].from.addr, &w->p[0].ep.addr) ? 0 : 1;
}

void h_patch_payload(struct h_world *w, size_t i, uint8_t type, const uint8_t *from,
		     const uint8_t *to, size_t n)
{
	struct ikev1_msg *m = calloc(1, sizeof(*m));
	struct wire_err err;
	const struct ikev1_payload *pl;
	uint8_t *body;
	size_t k, len;

	assert_non_null(m);
	assert_true(i < w->nq);
	assert_false(h_encrypted(w, i));
	if (ikev1_msg_decode(w->q[i].buf, w->q[i].len, m, &err) < 0)
		fail_msg("datagram %zu does not decode: %s", i, err.reason);
	pl = ikev1_msg_get(m, type, 0);
	if (!pl) {
		free(m);
		fail_msg("datagram %zu has no payload of type %u", i, type);
		return; /* not reached: fail_msg does not return */
	}
	body = w->q[i].buf + pl->offset;
	len = pl->length;
	for (k = 0; k + n <= len; k++)
		if (!memcmp(body + k, from, n)) {
			memcpy(body + k, to, n);
			free(m);
			return;
		}
	fail_msg("datagram %zu: the pattern is not in payload type %u", i, type);
}

/* --- views --- */

struct view_ctx {
	struct h_view *v;
	size_t n, max;
};

static void view_cb(const struct ike_sa *sa, void *arg)
{
	struct view_ctx *x = arg;
	struct h_view *v;
	const struct child_sa *c;
	char id[IDENT_STRLEN];
	size_t i = 0;

	if (x->n >= x->max) {
		x->n++;
		return;
	}
	v = &x->v[x->n++];
	memset(v, 0, sizeof(*v));
	v->serial = sa->serial;
	v->state = sa->state;
	v->version = sa->version;
	v->initiator = sa->initiator;
	memcpy(v->spi_i, sa->spi_i, 8);
	memcpy(v->spi_r, sa->spi_r, 8);
	snprintf(v->conn, sizeof(v->conn), "%s", sa->conn ? sa->conn->name : "");
	if (sa->have_proposal)
		proposal_fmt(&sa->proposal, v->prop, sizeof(v->prop));
	snprintf(v->local_id, sizeof(v->local_id), "%s", ident_fmt(&sa->local_id, id, sizeof(id)));
	snprintf(v->remote_id, sizeof(v->remote_id), "%s",
		 ident_fmt(&sa->remote_id, id, sizeof(id)));
	for (c = sa->children; c && i < 8; c = c->next, i++) {
		struct h_child *hc = &v->child[i];

		hc->serial = c->serial;
		hc->state = c->state;
		hc->spi_in = c->spi_in;
		hc->spi_out = c->spi_out;
		hc->mode = c->mode;
		hc->initiator = c->initiator;
		proposal_fmt(&c->proposal, hc->prop, sizeof(hc->prop));
	}
	v->nchildren = i;
}

size_t h_views(struct h_peer *p, struct h_view *v, size_t max)
{
	struct view_ctx x = {NULL, 0, max};

	memset(v, 0, max * sizeof(*v)); /* an output: filled by view_cb */
	x.v = v;
	ikev1_sa_foreach(p->e, view_cb, &x);
	return x.n;
}

bool h_view(struct h_peer *p, struct h_view *v)
{
	return h_views(p, v, 1) > 0;
}

size_t h_count_state(struct h_peer *p, enum ike_sa_state s)
{
	struct h_view v[H_MAX_VIEWS];
	size_t n = h_views(p, v, H_MAX_VIEWS), i, c = 0;

	for (i = 0; i < n && i < H_MAX_VIEWS; i++)
		c += v[i].state == s;
	return c;
}

size_t h_installed_children(struct h_peer *p)
{
	struct h_view v[H_MAX_VIEWS];
	size_t n = h_views(p, v, H_MAX_VIEWS), i, k, c = 0;

	for (i = 0; i < n && i < H_MAX_VIEWS; i++)
		for (k = 0; k < v[i].nchildren; k++)
			c += v[i].child[k].state == CHILD_SA_STATE_INSTALLED;
	return c;
}

const struct h_ksa *h_ksa(const struct h_peer *p, uint32_t spi)
{
	size_t i;

	for (i = 0; i < p->k.nsas; i++)
		if (p->k.sas[i].spi == spi)
			return &p->k.sas[i];
	return NULL;
}

size_t h_assert_child_pairs(struct h_world *w)
{
	size_t i, pairs = 0;

	for (i = 0; i < w->p[0].k.nsas; i++) {
		const struct h_ksa *a = &w->p[0].k.sas[i];
		const struct h_ksa *b = h_ksa(&w->p[1], a->spi);

		if (!b) {
			fail_msg("moon's SA %08x has no counterpart at sun", a->spi);
			return 0; /* not reached: fail_msg does not return */
		}
		assert_int_not_equal(a->inbound, b->inbound);
		assert_string_equal(a->encr, b->encr);
		assert_string_equal(a->integ, b->integ);
		th_assert_bytes(a->ekey, a->ekey_len, b->ekey, b->ekey_len, "encryption key");
		th_assert_bytes(a->ikey, a->ikey_len, b->ikey, b->ikey_len, "integrity key");
		assert_true(ip_addr_eq(&a->src, &b->src) && ip_addr_eq(&a->dst, &b->dst));
		assert_int_equal(a->mode, b->mode);
		/* the inbound SPI is the one its owner chose (RFC 2409 5.5) */
		assert_true((a->spi >> 24 == 0xc1) == a->inbound);
		pairs += a->inbound;
	}
	assert_int_equal(w->p[0].k.nsas, w->p[1].k.nsas);
	return pairs;
}
