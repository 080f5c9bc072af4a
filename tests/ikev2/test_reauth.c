/* Exchange tests of reauthentication, make-before-break (RFC 7296 2.8.3):
 * two engines with the fakes of harness.h. Every test runs twice: moon
 * initiates the first IKE SA, then sun; within a test the reauthentication
 * is started by the IKE SA's initiator, its responder, or its timer.
 *
 * What a user counts on: after a reauthentication each side has one IKE SA
 * with new SPIs, the same CHILD SAs (same traffic selectors and reqid, new
 * SPIs), and at no moment in between did the kernel lack a policy or SA for
 * the traffic; when the new IKE SA fails the old one carries on. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "lib/log.h"

static int roles[2] = {0, 1};

#define INI(w, st) (&(w)->p[*(int *)*(st)])
#define RES(w, st) (&(w)->p[!*(int *)*(st)])

/* A second child of the connection (each side's own view of the TS). */
#define NET2_MOON                                                                                  \
	"net2 { local_ts = 10.3.0.0/16\n remote_ts = 10.4.0.0/16\n esp_proposals = "               \
	"aes128-sha256\n rekey_time = 10h\n life_time = 11h }"
#define NET2_SUN                                                                                   \
	"net2 { local_ts = 10.4.0.0/16\n remote_ts = 10.3.0.0/16\n esp_proposals = "               \
	"aes128-sha256\n rekey_time = 10h\n life_time = 11h }"

/* What a peer has: every IKE SA with its CHILD SAs (copied). */
struct r_child {
	uint32_t serial, spi_in, spi_out, reqid;
	char name[32];
	enum child_sa_state state;
	struct ts lts, rts;
};

struct r_sa {
	uint32_t serial;
	enum ike_sa_state state;
	uint8_t spi_i[8], spi_r[8];
	size_t nchildren;
	struct r_child child[4];
};

struct r_all {
	size_t n;
	struct r_sa sa[4];
};

static void all_cb(const struct ikev2_sa_view *v, void *ctx)
{
	struct r_all *a = ctx;
	struct r_sa *s;
	size_t i;

	assert_true(a->n < 4);
	s = &a->sa[a->n++];
	memset(s, 0, sizeof(*s));
	s->serial = v->serial;
	s->state = v->state;
	memcpy(s->spi_i, v->spi_i, 8);
	memcpy(s->spi_r, v->spi_r, 8);
	for (i = 0; i < v->nchildren && i < 4; i++) {
		struct r_child *c = &s->child[s->nchildren++];

		c->serial = v->children[i].serial;
		c->spi_in = v->children[i].spi_in;
		c->spi_out = v->children[i].spi_out;
		c->reqid = v->children[i].reqid;
		c->state = v->children[i].state;
		snprintf(c->name, sizeof(c->name), "%s", v->children[i].name);
		if (v->children[i].nlocal_ts)
			c->lts = v->children[i].local_ts[0];
		if (v->children[i].nremote_ts)
			c->rts = v->children[i].remote_ts[0];
	}
}

static struct r_all all_of(struct h_peer *p)
{
	struct r_all a = {0};

	ikev2_sa_foreach(p->e, all_cb, &a);
	return a;
}

/* The CHILD SA named name of s, or NULL. */
static const struct r_child *child_named(const struct r_sa *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nchildren; i++)
		if (strcmp(s->child[i].name, name) == 0)
			return &s->child[i];
	return NULL;
}

static struct h_opts opts_moon(const char *conn_extra)
{
	return (struct h_opts){.children = NET2_MOON,
			       .conn_extra = conn_extra,
			       .child_extra = "rekey_time = 10h\n life_time = 11h"};
}

static struct h_opts opts_sun(const char *conn_extra)
{
	return (struct h_opts){.children = NET2_SUN,
			       .conn_extra = conn_extra,
			       .child_extra = "rekey_time = 10h\n life_time = 11h"};
}

/* The IKE SA from ini with both children up. */
static void up2(struct h_world *w, void **state)
{
	assert_int_equal(ikev2_initiate(INI(w, state)->e, "gw", "net", w->now, NULL), 0);
	h_run(w);
	assert_int_equal(ikev2_initiate(INI(w, state)->e, "gw", "net2", w->now, NULL), 0);
	h_run(w);
}

/* Each peer: one IKE SA, ESTABLISHED, the same SPIs on both sides, n
 * children installed in matching kernel pairs, 3 policies per child and
 * no kernel error. Returns moon's and sun's. */
static void assert_settled(struct h_world *w, size_t n, struct r_all *a, struct r_all *b)
{
	size_t i;

	*a = all_of(&w->p[0]);
	*b = all_of(&w->p[1]);
	assert_int_equal(a->n, 1);
	assert_int_equal(b->n, 1);
	assert_int_equal(a->sa[0].state, IKE_SA_STATE_ESTABLISHED);
	assert_int_equal(b->sa[0].state, IKE_SA_STATE_ESTABLISHED);
	assert_memory_equal(a->sa[0].spi_i, b->sa[0].spi_i, 8);
	assert_memory_equal(a->sa[0].spi_r, b->sa[0].spi_r, 8);
	assert_int_equal(a->sa[0].nchildren, n);
	assert_int_equal(b->sa[0].nchildren, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(a->sa[0].child[i].state, CHILD_SA_STATE_INSTALLED);
		assert_int_equal(b->sa[0].child[i].state, CHILD_SA_STATE_INSTALLED);
	}
	assert_int_equal(h_assert_child_pairs(w), n);
	for (i = 0; i < 2; i++) {
		assert_int_equal(w->p[i].k.nsas, 2 * n);
		assert_int_equal(w->p[i].k.nlarval, 0);
		assert_int_equal(w->p[i].k.npols, 3 * n);
		assert_int_equal(w->p[i].k.errors, 0);
	}
}

/* after replaced before: new IKE SPIs, and every child of before is there
 * again with its traffic selectors and reqid and new SPIs. */
static void assert_replaced(const struct r_sa *before, const struct r_sa *after)
{
	size_t i;

	assert_int_not_equal(after->serial, before->serial);
	assert_memory_not_equal(after->spi_i, before->spi_i, 8);
	assert_memory_not_equal(after->spi_r, before->spi_r, 8);
	assert_int_equal(after->nchildren, before->nchildren);
	for (i = 0; i < before->nchildren; i++) {
		const struct r_child *o = &before->child[i];
		const struct r_child *c = child_named(after, o->name);

		assert_non_null(c);
		assert_true(ts_eq(&c->lts, &o->lts));
		assert_true(ts_eq(&c->rts, &o->rts));
		assert_int_equal(c->reqid, o->reqid);
		assert_int_not_equal(c->spi_in, o->spi_in);
		assert_int_not_equal(c->spi_out, o->spi_out);
	}
}

/* Step the world to the end, checking after every message that neither
 * kernel ever lacks a policy or an SA pair of the n children
 * (make-before-break). */
static void run_checked(struct h_world *w, size_t n)
{
	size_t steps = 0, i;

	while (h_step(w)) {
		assert_true(++steps < 500);
		for (i = 0; i < 2; i++) {
			assert_int_equal(w->p[i].k.npols, 3 * n);
			assert_true(w->p[i].k.nsas >= 2 * n);
			assert_int_equal(w->p[i].k.errors, 0);
		}
	}
}

/* Reauthenticate from `by` (through the API, as VICI's rekey reauth=yes). */
static void reauth_once(struct h_world *w, struct h_peer *by)
{
	struct h_peer *other = &w->p[!by->idx];
	struct r_all a, b, a2, b2;
	size_t ev = by->nrekeyed, ev_other = other->nrekeyed;
	uint32_t old;

	assert_settled(w, 2, &a, &b);
	old = all_of(by).sa[0].serial;
	assert_int_equal(ikev2_reauth_ike(by->e, old, w->now), 0);
	assert_int_equal(ikev2_reauth_ike(by->e, old, w->now), -EBUSY);
	h_jobs(w);
	assert_int_equal(h_exchange(w, 0), IKEV2_EXCH_IKE_SA_INIT);
	run_checked(w, 2);
	assert_settled(w, 2, &a2, &b2);
	assert_replaced(&a.sa[0], &a2.sa[0]);
	assert_replaced(&b.sa[0], &b2.sa[0]);
	/* the reauthenticating side reports it as an IKE rekey (ike-rekey) */
	assert_int_equal(by->nrekeyed, ev + 1);
	assert_true(by->rekeyed[ev].ike);
	assert_int_equal(by->rekeyed[ev].old_serial, old);
	assert_int_equal(by->rekeyed[ev].new_serial, all_of(by).sa[0].serial);
	assert_int_equal(other->nrekeyed, ev_other);
	/* RFC 7296 2.4: the new IKE_AUTH had no INITIAL_CONTACT */
	assert_false(logcap_contains("INITIAL_CONTACT"));
}

static void test_reauth_by_initiator(void **state)
{
	struct h_opts m = opts_moon(NULL), s = opts_sun(NULL);
	struct h_world w;

	h_init(&w, &m, &s);
	up2(&w, state);
	reauth_once(&w, INI(&w, state));
	reauth_once(&w, INI(&w, state)); /* a second generation */
	h_free(&w);
}

static void test_reauth_by_responder(void **state)
{
	struct h_opts m = opts_moon(NULL), s = opts_sun(NULL);
	struct h_world w;

	h_init(&w, &m, &s);
	up2(&w, state);
	reauth_once(&w, RES(&w, state));
	/* now the original responder initiated the IKE SA: back again */
	reauth_once(&w, INI(&w, state));
	h_free(&w);
}

/* reauth_time on one side only (the other has none, as strongSwan peers
 * often do): the timer fires at reauth_time less at most rand_time, twice. */
static void test_reauth_timer(void **state)
{
	struct h_opts m = opts_moon("reauth_time = 1h\n rand_time = 5m"), s = opts_sun(NULL);
	struct h_world w;
	struct r_all a, b, a2, b2;
	uint64_t t0;
	int gen;

	h_init(&w, &m, &s);
	up2(&w, state);
	for (gen = 0; gen < 2; gen++) {
		assert_settled(&w, 2, &a, &b);
		t0 = w.now;
		while (!w.nq) {
			assert_true(h_advance(&w));
			h_jobs(&w);
		}
		assert_int_equal(h_exchange(&w, 0), IKEV2_EXCH_IKE_SA_INIT);
		assert_true(w.now <= t0 + 3600000 && w.now >= t0 + 3300000);
		run_checked(&w, 2);
		assert_settled(&w, 2, &a2, &b2);
		assert_replaced(&a.sa[0], &a2.sa[0]);
		assert_replaced(&b.sa[0], &b2.sa[0]);
	}
	h_free(&w);
}

/* A lost IKE_AUTH request and a lost CREATE_CHILD_SA response of the new
 * IKE SA: retransmission carries the reauthentication through. */
static void test_reauth_lost(void **state)
{
	struct h_opts m = opts_moon(NULL), s = opts_sun(NULL);
	struct h_world w;
	struct h_peer *by = INI(&w, state);
	struct r_all a, b, a2, b2;
	bool auth_lost = false, ccsa_lost = false;
	size_t steps = 0;

	h_init(&w, &m, &s);
	up2(&w, state);
	assert_settled(&w, 2, &a, &b);
	assert_int_equal(ikev2_reauth_ike(by->e, all_of(by).sa[0].serial, w.now), 0);
	for (;;) {
		h_jobs(&w);
		if (!w.nq) {
			if (!h_advance(&w))
				break;
			continue;
		}
		assert_true(++steps < 500);
		if (!auth_lost && h_exchange(&w, 0) == IKEV2_EXCH_IKE_AUTH) {
			h_drop(&w, 0);
			auth_lost = true;
			continue;
		}
		if (!ccsa_lost && h_exchange(&w, 0) == IKEV2_EXCH_CREATE_CHILD_SA &&
		    h_is_response(&w, 0)) {
			h_drop(&w, 0);
			ccsa_lost = true;
			continue;
		}
		h_step(&w);
		if (auth_lost && ccsa_lost && all_of(&w.p[0]).n == 1 && all_of(&w.p[1]).n == 1 &&
		    !w.nq)
			break;
	}
	assert_true(auth_lost && ccsa_lost);
	assert_settled(&w, 2, &a2, &b2);
	assert_replaced(&a.sa[0], &a2.sa[0]);
	assert_replaced(&b.sa[0], &b2.sa[0]);
	h_free(&w);
}

/* The peer never answers the new IKE SA (its IKE_SA_INIT is lost every
 * time): the old IKE SA and its CHILD SAs stay, as they were, and the log
 * says why. */
static void test_reauth_new_sa_fails(void **state)
{
	struct h_opts m = opts_moon(NULL), s = opts_sun(NULL);
	struct h_world w;
	struct h_peer *by = INI(&w, state);
	struct r_all a, b, a2, b2;
	size_t steps = 0;

	h_init(&w, &m, &s);
	up2(&w, state);
	assert_settled(&w, 2, &a, &b);
	assert_int_equal(ikev2_reauth_ike(by->e, all_of(by).sa[0].serial, w.now), 0);
	while (all_of(by).n == 2) {
		assert_true(++steps < 50);
		h_jobs(&w);
		while (w.nq) {
			assert_int_equal(h_exchange(&w, 0), IKEV2_EXCH_IKE_SA_INIT);
			h_drop(&w, 0);
		}
		assert_true(h_advance(&w));
	}
	assert_true(logcap_contains("reauthentication failed"));
	assert_settled(&w, 2, &a2, &b2);
	assert_int_equal(a2.sa[0].serial, a.sa[0].serial);
	assert_memory_equal(a2.sa[0].spi_i, a.sa[0].spi_i, 8);
	assert_int_equal(a2.sa[0].child[0].spi_in, a.sa[0].child[0].spi_in);
	assert_int_equal(b2.sa[0].child[1].spi_out, b.sa[0].child[1].spi_out);
	/* and it can be reauthenticated again later */
	reauth_once(&w, by);
	h_free(&w);
}

/* The other side's config after it changed its PSK (idx: its peer index). */
static struct oak_config *config_new_psk(int idx)
{
	char text[2048];
	const char *me = idx == 0 ? "192.0.2.1" : "192.0.2.2";
	const char *other = idx == 0 ? "192.0.2.2" : "192.0.2.1";
	const char *my_id = idx == 0 ? "moon.example.org" : "sun.example.org";
	const char *other_id = idx == 0 ? "sun.example.org" : "moon.example.org";

	snprintf(text, sizeof(text),
		 "daemon { fragment_size = 65535 }\n"
		 "connections { gw { version = 2\n local_addrs = %s\n remote_addrs = %s\n"
		 " proposals = aes128-sha256-modp2048\n"
		 " local { auth = psk\n id = %s }\n remote { auth = psk\n id = %s }\n"
		 " children { net { local_ts = %s\n remote_ts = %s\n esp_proposals = "
		 "aes128-sha256 }\n %s } } }\n"
		 "secrets { ike-1 { secret = another-pre-shared-key\n id-1 = %s\n id-2 = %s } }\n",
		 me, other, my_id, other_id, idx == 0 ? "10.1.0.0/16" : "10.2.0.0/16",
		 idx == 0 ? "10.2.0.0/16" : "10.1.0.0/16", idx == 0 ? NET2_MOON : NET2_SUN, my_id,
		 other_id);
	return h_config_text(text);
}

/* The peer refuses the new IKE SA's authentication (its PSK changed since
 * the old one was made): the old IKE SA stays on both sides. */
static void test_reauth_auth_refused(void **state)
{
	struct h_opts m = opts_moon(NULL), s = opts_sun(NULL);
	struct h_world w;
	struct h_peer *by = INI(&w, state), *other = RES(&w, state);
	struct oak_config *cfg;
	struct r_all a, b, a2, b2;

	h_init(&w, &m, &s);
	up2(&w, state);
	assert_settled(&w, 2, &a, &b);
	/* the other side reloads with a new secret; its SAs keep their config */
	cfg = config_new_psk(other->idx);
	ikev2_engine_set_config(other->e, cfg, w.now);
	oak_config_unref(cfg);
	assert_int_equal(ikev2_reauth_ike(by->e, all_of(by).sa[0].serial, w.now), 0);
	h_run(&w);
	assert_true(logcap_contains("reauthentication failed"));
	assert_settled(&w, 2, &a2, &b2);
	assert_int_equal(a2.sa[0].serial, a.sa[0].serial);
	assert_int_equal(b2.sa[0].serial, b.sa[0].serial);
	h_free(&w);
}

/* The peer asks to rekey the IKE SA we are reauthenticating: it is told
 * TEMPORARY_FAILURE (RFC 7296 2.25) and the reauthentication ends with
 * one IKE SA on each side. */
static void test_reauth_vs_ike_rekey(void **state)
{
	struct h_opts m = opts_moon(NULL), s = opts_sun(NULL);
	struct h_world w;
	struct h_peer *by = INI(&w, state), *other = RES(&w, state);
	struct r_all a, b, a2, b2;

	h_init(&w, &m, &s);
	up2(&w, state);
	assert_settled(&w, 2, &a, &b);
	assert_int_equal(ikev2_reauth_ike(by->e, all_of(by).sa[0].serial, w.now), 0);
	assert_int_equal(ikev2_rekey_ike(other->e, all_of(other).sa[0].serial, w.now), 0);
	h_run(&w);
	assert_true(logcap_contains("we reauthenticate it"));
	assert_settled(&w, 2, &a2, &b2);
	assert_replaced(&a.sa[0], &a2.sa[0]);
	assert_replaced(&b.sa[0], &b2.sa[0]);
	h_free(&w);
}

/* Whether p has an IKE SA other than old with an installed CHILD SA. */
static bool new_child_up(struct h_peer *p, uint32_t old)
{
	struct r_all x = all_of(p);
	size_t i, k;

	for (i = 0; i < x.n; i++)
		for (k = 0; x.sa[i].serial != old && k < x.sa[i].nchildren; k++)
			if (x.sa[i].child[k].state == CHILD_SA_STATE_INSTALLED)
				return true;
	return false;
}

/* A CHILD SA of the old IKE SA is rekeyed after its successor on the new
 * IKE SA took over the policies: they stay with the successor, and the old
 * IKE SA's Delete (which takes the rekeyed CHILD SA with it) leaves them. */
static void test_reauth_old_child_rekey(void **state)
{
	struct h_opts m = opts_moon(NULL), s = opts_sun(NULL);
	struct h_world w;
	struct h_peer *by = INI(&w, state);
	struct r_all a, b, a2, b2, now;
	uint32_t old_child;
	size_t steps = 0;

	h_init(&w, &m, &s);
	up2(&w, state);
	assert_settled(&w, 2, &a, &b);
	now = all_of(by);
	old_child = now.sa[0].child[0].serial;
	assert_int_equal(ikev2_reauth_ike(by->e, now.sa[0].serial, w.now), 0);
	/* until the new IKE SA has its first CHILD SA */
	while (!new_child_up(by, now.sa[0].serial)) {
		assert_true(++steps < 100);
		assert_true(h_step(&w));
	}
	assert_int_equal(ikev2_rekey_child(by->e, old_child, w.now), 0);
	run_checked(&w, 2);
	assert_settled(&w, 2, &a2, &b2);
	assert_replaced(&a.sa[0], &a2.sa[0]);
	assert_replaced(&b.sa[0], &b2.sa[0]);
	h_free(&w);
}

/* The responder of the new IKE SA installs its new inbound SA at once but
 * sends on the old CHILD SA until the initiator deletes it: the kernel
 * sends on the newest SA, which the initiator could not decrypt before our
 * answer reached it. */
static void test_reauth_responder_waits(void **state)
{
	struct h_opts m = opts_moon(NULL), s = opts_sun(NULL);
	struct h_world w;
	struct h_peer *by = INI(&w, state), *other = RES(&w, state);
	struct r_all a, b, x;
	const struct r_child *nc = NULL;
	uint32_t old_ike;
	size_t steps = 0, i, k;

	h_init(&w, &m, &s);
	up2(&w, state);
	assert_settled(&w, 2, &a, &b);
	old_ike = all_of(other).sa[0].serial;
	assert_int_equal(ikev2_reauth_ike(by->e, all_of(by).sa[0].serial, w.now), 0);
	while (!nc) {
		assert_true(++steps < 100);
		assert_true(h_step(&w));
		x = all_of(other);
		for (i = 0; i < x.n; i++)
			for (k = 0; x.sa[i].serial != old_ike && k < x.sa[i].nchildren; k++)
				if (x.sa[i].child[k].state == CHILD_SA_STATE_INSTALLED)
					nc = &x.sa[i].child[k];
	}
	assert_non_null(h_ksa(other, nc->spi_in));
	assert_null(h_ksa(other, nc->spi_out));
	assert_int_equal(other->k.nsas, 2 * 2 + 1);
	run_checked(&w, 2);
	assert_settled(&w, 2, &a, &b); /* every outbound SA in, matching pairs */
	h_free(&w);
}

/* Errors of the API. */
static void test_reauth_api(void **state)
{
	struct h_opts m = opts_moon(NULL), s = opts_sun(NULL);
	struct h_world w;
	uint32_t serial;

	h_init(&w, &m, &s);
	assert_int_equal(ikev2_reauth_ike(w.p[0].e, 12345, w.now), -ENOENT);
	assert_int_equal(ikev2_initiate(INI(&w, state)->e, "gw", "net", w.now, &serial), 0);
	/* not established yet */
	assert_int_equal(ikev2_reauth_ike(INI(&w, state)->e, serial, w.now), -ENOENT);
	h_run(&w);
	assert_int_equal(ikev2_rekey_ike(INI(&w, state)->e, serial, w.now), 0);
	assert_int_equal(ikev2_reauth_ike(INI(&w, state)->e, serial, w.now), -EBUSY);
	h_run(&w);
	h_free(&w);
}

#define BOTH(t) cmocka_unit_test_prestate(t, &roles[0]), cmocka_unit_test_prestate(t, &roles[1])

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_reauth_by_initiator),	   BOTH(test_reauth_by_responder),
		BOTH(test_reauth_timer),	   BOTH(test_reauth_lost),
		BOTH(test_reauth_new_sa_fails),	   BOTH(test_reauth_auth_refused),
		BOTH(test_reauth_vs_ike_rekey),	   BOTH(test_reauth_old_child_rekey),
		BOTH(test_reauth_responder_waits), BOTH(test_reauth_api),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
