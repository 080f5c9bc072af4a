/* harness.c: fakes for two IKEv2 engines in one process (see harness.h). */
#include "testutil.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/parse.h"
#include "crypto/rand.h"
#include "harness.h"
#include "ikev2/exchange.h"
#include "lib/log.h"

/* --- deterministic RNG (splitmix64) --- */

static int h_rand(void *ctx, uint8_t *buf, size_t n)
{
	uint64_t *s = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t z;

		if (i % 8 == 0) {
			*s += 0x9e3779b97f4a7c15ULL;
			z = *s;
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
			z ^= z >> 31;
			memcpy(buf + i, &z, n - i < 8 ? n - i : 8);
		}
	}
	return 0;
}

/* --- fake net --- */

static int h_keepalive(void *ctx, const struct ip_endpoint *local, const struct ip_endpoint *remote)
{
	struct h_peer *p = ctx;

	(void)remote;
	/* RFC 3948 2.3: on the NAT-T port only */
	assert_int_equal(local->port, H_NAT_T_PORT);
	p->keepalives++;
	p->keepalive_at = p->w->now;
	return 0;
}

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
	d->marker = local->port == H_NAT_T_PORT || remote->port == H_NAT_T_PORT;
	p->sent_nat_t += d->marker;
	d->buf = malloc(len);
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
	k->encap_sport = sa->encap_sport;
	k->encap_dport = sa->encap_dport;
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
	/* a trap and the CHILD SA's policy of one selector are two (kernel/xfrm.h) */
	return a->dir == b->dir && a->trap == b->trap && ts_eq(&a->src, &b->src) &&
	       ts_eq(&a->dst, &b->dst);
}

static int k_add_policy(void *ctx, const struct kernel_policy *pol)
{
	struct h_peer *p = ctx;
	size_t i;

	for (i = 0; i < p->k.npols; i++)
		if (pol_eq(&p->k.pols[i], pol))
			return -EEXIST;
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

/* --- jobs, key log and events --- */

static void h_rekeyed_cb(void *ctx, bool ike, uint32_t old_serial, uint32_t new_serial)
{
	struct h_peer *p = ctx;

	assert_true(p->nrekeyed < H_MAX_EVENTS);
	p->rekeyed[p->nrekeyed].ike = ike;
	p->rekeyed[p->nrekeyed].old_serial = old_serial;
	p->rekeyed[p->nrekeyed].new_serial = new_serial;
	p->nrekeyed++;
}

static int h_submit(void *ctx, void (*work)(void *arg), void (*done)(void *arg, int status),
		    void *arg)
{
	struct h_world *w = ctx;

	if (w->njobs == H_MAX_JOBS)
		return -EAGAIN;
	w->jobs[w->njobs++] = (struct h_job){work, done, arg};
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
	}
}

static void h_keylog_cb(void *ctx, const struct ike_keylog_ikev2 *k)
{
	struct h_peer *p = ctx;
	struct h_keylog *r;

	assert_true(p->nkeylog < H_MAX_KEYLOG);
	r = &p->keylog[p->nkeylog++];
	memset(r, 0, sizeof(*r));
	memcpy(r->spi_i, k->spi_i, 8);
	memcpy(r->spi_r, k->spi_r, 8);
	assert_true(k->sk_e_len <= sizeof(r->sk_ei) && k->sk_a_len <= sizeof(r->sk_ai));
	memcpy(r->sk_ei, k->sk_ei, k->sk_e_len);
	memcpy(r->sk_er, k->sk_er, k->sk_e_len);
	if (k->sk_a_len) {
		memcpy(r->sk_ai, k->sk_ai, k->sk_a_len);
		memcpy(r->sk_ar, k->sk_ar, k->sk_a_len);
	}
	r->e_len = k->sk_e_len;
	r->a_len = k->sk_a_len;
	r->encr = k->encr_id;
	r->integ = k->integ_id;
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
	char pki[3][1024];
	const char *other_id = idx == 0 ? "sun.example.org" : "moon.example.org";
	const char *my_ts = idx == 0 ? "10.1.0.0/16" : "10.2.0.0/16";
	const char *other_ts = idx == 0 ? "10.2.0.0/16" : "10.1.0.0/16";
	char *text;
	struct oak_config *c;

	if (!o)
		o = &none;
	snprintf(pki[0], sizeof(pki[0]), "%s", th_src_path("tests/vectors/certs/x509"));
	snprintf(pki[1], sizeof(pki[1]), "%s", th_src_path("tests/vectors/certs/x509ca"));
	snprintf(pki[2], sizeof(pki[2]), "%s", th_src_path("tests/vectors/certs/private"));
	if (asprintf(&text,
		     "daemon { x509_dir = \"%s\"\n x509ca_dir = \"%s\"\n private_dir = \"%s\"\n"
		     " fragment_size = %s\n %s }\n"
		     "connections {\n"
		     "  gw {\n"
		     "    version = 2\n"
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
		     pki[0], pki[1], pki[2], DEF(o->fragment_size, "65535"), DEF(o->daemon, ""), me,
		     other, DEF(o->ike, "aes128-sha256-modp2048"), DEF(o->conn_extra, ""),
		     DEF(o->local_auth, DEF(o->auth, "psk")), DEF(o->local_id, my_id),
		     DEF(o->extra_local, ""), DEF(o->remote_auth, DEF(o->auth, "psk")),
		     DEF(o->remote_id, other_id), DEF(o->extra_remote, ""), DEF(o->local_ts, my_ts),
		     DEF(o->remote_ts, other_ts), DEF(o->esp, "aes128-sha256"),
		     DEF(o->mode, "tunnel"), DEF(o->child_extra, ""), DEF(o->children, ""),
		     DEF(o->psk, "s3cret-pre-shared-key"), my_id, other_id, DEF(o->secrets, ""),
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

void h_init(struct h_world *w, const struct h_opts *moon, const struct h_opts *sun)
{
	char why[CERTS_WHY_LEN];
	int i;

	memset(w, 0, sizeof(*w));
	if (!getenv("OAK_TEST_DEBUG"))
		logcap_start(); /* quiet; tests read the lines with logcap_contains */
	w->now = 1000000;
	w->rng = 0x6f616b2d74657374ULL;
	w->wall = 1893456000; /* 2030-01-01: inside 2025..2045, after "expired" */
	rand_set_source(h_rand, &w->rng);
	for (i = 0; i < 2; i++) {
		struct h_peer *p = &w->p[i];
		struct ike_env env;

		p->w = w;
		p->idx = i;
		p->name = i == 0 ? "moon" : "sun";
		ip_addr_parse(i == 0 ? "192.0.2.1" : "192.0.2.2", &p->ep.addr);
		p->ep.port = 500;
		p->net = (struct net_ops){p, h_send, h_keepalive};
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
		memset(&env, 0, sizeof(env));
		env.net = &p->net;
		env.kernel = &p->kops;
		env.jobs = (struct ike_jobs){w, h_submit};
		env.keylog = (struct ike_keylog){.ctx = p, .ikev2 = h_keylog_cb};
		env.events = (struct ike_events){.ctx = p, .rekeyed = h_rekeyed_cb};
		p->e = ikev2_engine_new(&env);
		assert_non_null(p->e);
		ikev2_engine_set_certs(p->e, p->certs);
		ikev2_engine_set_wall_clock(p->e, h_wall, w);
	}
	/* as the daemon: the config (start_action = start) after the store */
	for (i = 0; i < 2; i++)
		ikev2_engine_set_config(w->p[i].e, w->p[i].cfg, 0);
}

void h_free(struct h_world *w)
{
	int i;
	size_t k;

	/* as the daemon: the executor's jobs are cancelled before the engines go */
	for (k = 0; k < w->njobs; k++)
		w->jobs[k].done(w->jobs[k].arg, -ECANCELED);
	w->njobs = 0;
	for (i = 0; i < 2; i++) {
		ikev2_engine_free(w->p[i].e);
		certs_store_unref(w->p[i].certs);
		oak_config_unref(w->p[i].cfg);
	}
	for (k = 0; k < w->nq; k++)
		free(w->q[k].buf);
	rand_set_source(NULL, NULL);
	logcap_stop();
}

/* --- stepping --- */

static struct h_peer *peer_at(struct h_world *w, const struct ip_addr *a)
{
	int i;

	for (i = 0; i < 2; i++)
		if (ip_addr_eq(&w->p[i].ep.addr, a))
			return &w->p[i];
	return NULL;
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
	w->q[w->nq].buf = malloc(w->q[i].len);
	assert_non_null(w->q[w->nq].buf);
	memcpy(w->q[w->nq].buf, w->q[i].buf, w->q[i].len);
	w->nq++;
}

bool h_step(struct h_world *w)
{
	struct h_dgram d;
	struct h_peer *to, *from;

	if (w->njobs) {
		h_jobs(w);
		return true;
	}
	if (!w->nq)
		return false;
	d = w->q[0];
	memmove(&w->q[0], &w->q[1], (w->nq - 1) * sizeof(w->q[0]));
	w->nq--;
	to = peer_at(w, &d.to.addr);
	from = peer_at(w, &d.from.addr);
	assert_non_null(to);
	assert_non_null(from);
	/* the NAPT: out with a shifted source port, in with the port shifted back */
	d.from.port = (uint16_t)(d.from.port + w->nat_shift[from->idx]);
	if (w->nat_shift[to->idx]) {
		assert_true(d.to.port > w->nat_shift[to->idx]);
		d.to.port = (uint16_t)(d.to.port - w->nat_shift[to->idx]);
	}
	ikev2_recv(to->e, &d.to, &d.from, d.buf, d.len, w->now);
	free(d.buf);
	return true;
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
	uint64_t a = ikev2_next_deadline(w->p[0].e), b = ikev2_next_deadline(w->p[1].e);
	uint64_t t = a < b ? a : b;

	if (t == UINT64_MAX)
		return false;
	if (t > w->now)
		w->now = t;
	ikev2_run_timers(w->p[0].e, w->now);
	ikev2_run_timers(w->p[1].e, w->now);
	return true;
}

void h_reseal(struct h_world *w, size_t i, void (*edit)(struct ikev2_payload *p, void *ctx),
	      void *ctx)
{
	struct ikev2_msg *m = calloc(1, sizeof(*m));
	struct h_dgram *d = &w->q[i];
	struct h_peer *from;
	struct ike_sa *isa;
	struct ikev2_ike_sa *sa;
	struct wire_err err;
	struct builder b;
	struct ikev2_enc enc;
	uint8_t *plain = NULL, *out, first;
	size_t out_len;
	unsigned k;

	assert_non_null(m);
	assert_true(i < w->nq);
	from = peer_at(w, &d->from.addr);
	assert_non_null(from);
	assert_int_equal(ikev2_msg_decode(d->buf, d->len, m, &err), 0);
	/* the sender's own SA: the one the receiver would not look up */
	isa = sa_table_find(&from->e->table, m->hdr.spi_i, m->hdr.spi_r,
			    !(m->hdr.flags & IKEV2_FLAG_I));
	assert_non_null(isa);
	sa = ikev2_sa_of(isa);
	assert_int_equal(ikev2_sk_open(sa, m, d->buf, d->len, &plain, &err), 0);
	bld_init(&b, 0);
	ikev2_chain_encode_begin(&enc, &b);
	for (k = m->n_outer; k < m->count; k++) {
		struct ikev2_payload p = m->pl[k];

		edit(&p, ctx);
		assert_int_equal(ikev2_put_payload(&enc, &p), 0);
	}
	assert_int_equal(ikev2_chain_encode_end(&enc, &first), 0);
	assert_int_equal(ikev2_sk_seal(sa, m->hdr.exchange, (m->hdr.flags & IKEV2_FLAG_R) != 0,
				       m->hdr.msg_id, bld_data(&b), bld_off(&b), first, &out,
				       &out_len),
			 0);
	free(d->buf);
	d->buf = out;
	d->len = out_len;
	bld_free(&b);
	free(plain);
	free(m);
}

void h_deliver(struct h_world *w, int to, const uint8_t *buf, size_t len)
{
	struct h_peer *p = &w->p[to], *o = &w->p[!to];

	ikev2_recv(p->e, &p->ep, &o->ep, buf, len, w->now);
}

uint8_t h_exchange(const struct h_world *w, size_t i)
{
	return i < w->nq && w->q[i].len >= 28 ? w->q[i].buf[18] : 0;
}

bool h_is_response(const struct h_world *w, size_t i)
{
	return i < w->nq && w->q[i].len >= 28 && (w->q[i].buf[19] & 0x20);
}

/* --- views --- */

struct view_ctx {
	struct h_view *v;
	size_t n;
};

static void view_cb(const struct ikev2_sa_view *sv, void *arg)
{
	struct view_ctx *x = arg;
	struct h_view *v = x->v;
	size_t i, k;

	if (x->n++)
		return;
	memset(v, 0, sizeof(*v));
	v->serial = sv->serial;
	v->state = sv->state;
	v->initiator = sv->initiator;
	memcpy(v->spi_i, sv->spi_i, 8);
	memcpy(v->spi_r, sv->spi_r, 8);
	snprintf(v->conn, sizeof(v->conn), "%s", sv->conn_name);
	for (i = 0; i < sv->nchildren && i < 8; i++) {
		v->child[i] = sv->children[i];
		proposal_fmt(sv->children[i].proposal, v->prop[i], sizeof(v->prop[i]));
		v->child[i].name = NULL;
		v->child[i].proposal = NULL;
		for (k = 0; k < 4 && k < sv->children[i].nlocal_ts; k++)
			v->lts[i][k] = sv->children[i].local_ts[k];
		for (k = 0; k < 4 && k < sv->children[i].nremote_ts; k++)
			v->rts[i][k] = sv->children[i].remote_ts[k];
		v->child[i].local_ts = v->child[i].remote_ts = NULL;
	}
	v->nchildren = i;
}

bool h_view(struct h_peer *p, struct h_view *v)
{
	struct view_ctx x = {v, 0};

	ikev2_sa_foreach(p->e, view_cb, &x);
	return x.n > 0;
}

size_t h_sa_count(struct h_peer *p)
{
	return ikev2_sa_count(p->e);
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

		if (!b)
			fail_msg("moon's SA %08x has no counterpart at sun", a->spi);
		assert_int_not_equal(a->inbound, b->inbound);
		assert_string_equal(a->encr, b->encr);
		assert_string_equal(a->integ, b->integ);
		th_assert_bytes(a->ekey, a->ekey_len, b->ekey, b->ekey_len, "encryption key");
		th_assert_bytes(a->ikey, a->ikey_len, b->ikey, b->ikey_len, "integrity key");
		assert_true(ip_addr_eq(&a->src, &b->src) && ip_addr_eq(&a->dst, &b->dst));
		assert_int_equal(a->mode, b->mode);
		pairs += a->inbound;
	}
	assert_int_equal(w->p[0].k.nsas, w->p[1].k.nsas);
	return pairs;
}
