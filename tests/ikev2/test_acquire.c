/* Exchange tests of on-demand keying (start_action = trap, src/ikev2/
 * acquire.c) with two engines and fake kernels (harness.h): the trap
 * policies a config installs, a kernel ACQUIRE that starts the negotiation
 * with the packet as the first TSi/TSr (RFC 7296 2.9) under the trap's
 * reqid, duplicate and unknown ACQUIREs, the trap outliving its CHILD SA,
 * and a reload that removes it. Every test runs twice: the trapping peer
 * is moon, then sun. */
#include "testutil.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ikev2/exchange.h"
#include "lib/log.h"

static int roles[2] = {0, 1};

#define TRAPPER(w, st) (&(w)->p[*(int *)*(st)])
#define OTHER(w, st)   (&(w)->p[!*(int *)*(st)])

static const struct h_opts trap_opts = {.child_extra = "start_action = trap"};

static void init_trap(struct h_world *w, void **state)
{
	int t = *(int *)*state;

	h_init(w, t == 0 ? &trap_opts : NULL, t == 1 ? &trap_opts : NULL);
}

/* The packet that hit the trap: ICMP echo from a host of the trapper's
 * subnet (moon 10.1.0.0/16, sun 10.2.0.0/16) to one of the other's. */
static void packet_ts(const struct h_peer *p, struct ts *src, struct ts *dst)
{
	char err[128];

	assert_int_equal(ts_parse(p->idx == 0 ? "10.1.0.5" : "10.2.0.5", src, err, sizeof(err)), 0);
	assert_int_equal(ts_parse(p->idx == 0 ? "10.2.0.7" : "10.1.0.7", dst, err, sizeof(err)), 0);
	src->proto = dst->proto = IPPROTO_ICMP;
	src->port_lo = src->port_hi = 8 << 8; /* RFC 7296 3.13.1: echo request, code 0 */
}

static size_t count_pols(const struct h_peer *p, bool trap)
{
	size_t n = 0;

	for (size_t i = 0; i < p->k.npols; i++)
		n += p->k.pols[i].trap == trap;
	return n;
}

static uint32_t trap_reqid(const struct h_peer *p)
{
	for (size_t i = 0; i < p->k.npols; i++)
		if (p->k.pols[i].trap)
			return p->k.pols[i].reqid;
	fail_msg("%s has no trap policy", p->name);
	return 0;
}

/* A config's traps: out, in, fwd of the one TS pair, with the template and
 * a priority below the CHILD SA's; nothing negotiated, nothing sent. */
static void test_trap_installed(void **state)
{
	struct h_world w;
	struct h_peer *t;
	uint32_t reqid;
	bool dirs[3] = {false, false, false};

	init_trap(&w, state);
	t = TRAPPER(&w, state);
	assert_int_equal(t->k.npols, 3);
	assert_int_equal(count_pols(t, true), 3);
	assert_int_equal(t->k.nsas, 0);
	assert_int_equal(t->k.nlarval, 0);
	assert_int_equal(OTHER(&w, state)->k.npols, 0);
	assert_int_equal(w.nq, 0);
	assert_int_equal(h_sa_count(t), 0);
	reqid = trap_reqid(t);
	assert_int_not_equal(reqid, 0);
	for (size_t i = 0; i < 3; i++) {
		const struct kernel_policy *p = &t->k.pols[i];

		assert_int_equal(p->reqid, reqid);
		assert_int_equal(p->proto, IPPROTO_ESP);
		assert_int_equal(p->mode, KERNEL_MODE_TUNNEL);
		assert_true(p->priority > 0);
		assert_true(ip_addr_eq(&p->tun_src, p->dir == KERNEL_DIR_OUT
							    ? &t->ep.addr
							    : &OTHER(&w, state)->ep.addr));
		dirs[p->dir] = true;
	}
	assert_true(dirs[KERNEL_DIR_OUT] && dirs[KERNEL_DIR_IN] && dirs[KERNEL_DIR_FWD]);
	/* the same config again (a reload that changes nothing): kept as is */
	assert_int_equal(ikev2_traps_install(t->e, t->cfg, w.now), 1);
	assert_int_equal(t->k.npols, 3);
	assert_int_equal(trap_reqid(t), reqid);
	assert_int_equal(t->k.errors, 0);
	h_free(&w);
}

struct seen_ts {
	struct ts tsi[4], tsr[4];
	size_t ntsi, ntsr;
};

static void read_ts(struct ikev2_payload *p, void *ctx)
{
	struct seen_ts *s = ctx;

	if (p->type == IKEV2_PL_TSI)
		s->ntsi = ikev2_ts_from_payload(&p->ts, s->tsi, 4);
	else if (p->type == IKEV2_PL_TSR)
		s->ntsr = ikev2_ts_from_payload(&p->ts, s->tsr, 4);
}

/* Step until the head of the queue is the IKE_AUTH request. */
static void run_until_auth_request(struct h_world *w)
{
	int n = 0;

	while (!(w->nq && h_exchange(w, 0) == IKEV2_EXCH_IKE_AUTH && !h_is_response(w, 0))) {
		assert_true(h_step(w));
		assert_true(++n < 100);
	}
}

/* The ACQUIRE starts the IKE SA; IKE_AUTH proposes the packet first, then
 * the configured TS; the CHILD SA takes the trap's reqid; its policies join
 * the trap's; a second ACQUIRE meanwhile and after is -EALREADY; an
 * unknown reqid -ENOENT. */
static void test_acquire_negotiates(void **state)
{
	struct h_world w;
	struct h_peer *t;
	struct ts src, dst;
	struct seen_ts seen = {0};
	struct h_view v;
	char buf[TS_STRLEN];
	uint32_t reqid;

	init_trap(&w, state);
	t = TRAPPER(&w, state);
	reqid = trap_reqid(t);
	packet_ts(t, &src, &dst);
	logcap_start();
	assert_int_equal(ikev2_acquire(t->e, reqid + 100, &src, &dst, w.now), -ENOENT);
	assert_true(logcap_contains("no trap of ours has that reqid"));
	assert_int_equal(w.nq, 0);
	assert_int_equal(h_sa_count(t), 0);
	assert_int_equal(ikev2_acquire(t->e, reqid, &src, &dst, w.now), 0);
	assert_int_equal(h_sa_count(t), 1); /* IKE_SA_INIT on its way */
	assert_int_equal(ikev2_acquire(t->e, reqid, &src, &dst, w.now), -EALREADY);
	assert_int_equal(h_sa_count(t), 1);
	assert_true(logcap_contains("already being negotiated or up"));
	logcap_stop();
	run_until_auth_request(&w);
	h_reseal(&w, 0, read_ts, &seen);
	/* RFC 7296 2.9: the packet first, then what the config says */
	assert_int_equal(seen.ntsi, 2);
	assert_int_equal(seen.ntsr, 2);
	assert_true(ts_eq(&seen.tsi[0], &src));
	assert_true(ts_eq(&seen.tsr[0], &dst));
	assert_string_equal(ts_fmt(&seen.tsi[1], buf, sizeof(buf)),
			    t->idx == 0 ? "10.1.0.0/16" : "10.2.0.0/16");
	h_run(&w);
	assert_true(h_view(t, &v));
	assert_int_equal(v.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_equal(v.nchildren, 1);
	assert_int_equal(v.child[0].state, CHILD_SA_STATE_INSTALLED);
	assert_int_equal(v.child[0].reqid, reqid);
	/* the responder narrowed to its subnets: the packet's TS adds nothing */
	assert_string_equal(ts_fmt(&v.lts[0][0], buf, sizeof(buf)),
			    t->idx == 0 ? "10.1.0.0/16" : "10.2.0.0/16");
	assert_int_equal(h_assert_child_pairs(&w), 1);
	assert_int_equal(count_pols(t, true), 3);
	assert_int_equal(count_pols(t, false), 3);
	assert_int_equal(ikev2_acquire(t->e, reqid, &src, &dst, w.now), -EALREADY);
	assert_int_equal(w.nq, 0);
	assert_int_equal(t->k.errors, 0);
	h_free(&w);
}

/* The CHILD SA goes (the IKE SA is deleted): its SAs and policies leave the
 * kernel, the trap stays, and the next ACQUIRE negotiates again. */
static void test_trap_outlives_child(void **state)
{
	struct h_world w;
	struct h_peer *t;
	struct ts src, dst;
	struct h_view v;
	uint32_t reqid;

	init_trap(&w, state);
	t = TRAPPER(&w, state);
	reqid = trap_reqid(t);
	packet_ts(t, &src, &dst);
	assert_int_equal(ikev2_acquire(t->e, reqid, &src, &dst, w.now), 0);
	h_run(&w);
	assert_true(h_view(t, &v));
	assert_int_equal(ikev2_terminate(t->e, v.serial, w.now), 0);
	h_run(&w);
	assert_int_equal(h_sa_count(t), 0);
	assert_int_equal(t->k.nsas, 0);
	assert_int_equal(t->k.npols, 3);
	assert_int_equal(count_pols(t, true), 3);
	assert_int_equal(OTHER(&w, state)->k.npols, 0);
	assert_int_equal(ikev2_acquire(t->e, reqid, &src, &dst, w.now), 0);
	h_run(&w);
	assert_true(h_view(t, &v));
	assert_int_equal(v.nchildren, 1);
	assert_int_equal(v.child[0].reqid, reqid);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	assert_int_equal(t->k.errors, 0);
	h_free(&w);
}

/* A reload without the trap removes its policies (the running CHILD SA
 * keeps its own); no config at all removes every trap. */
static void test_reload_removes_trap(void **state)
{
	struct h_world w;
	struct h_peer *t;
	struct oak_config *plain;
	struct ts src, dst;

	init_trap(&w, state);
	t = TRAPPER(&w, state);
	packet_ts(t, &src, &dst);
	assert_int_equal(ikev2_acquire(t->e, trap_reqid(t), &src, &dst, w.now), 0);
	h_run(&w);
	assert_int_equal(count_pols(t, true), 3);
	plain = OTHER(&w, state)->cfg; /* any config without traps */
	assert_int_equal(ikev2_traps_install(t->e, plain, w.now), 0);
	assert_int_equal(count_pols(t, true), 0);
	assert_int_equal(count_pols(t, false), 3);
	assert_int_equal(ikev2_traps_install(t->e, t->cfg, w.now), 1);
	assert_int_equal(count_pols(t, true), 3);
	assert_int_equal(ikev2_traps_install(t->e, NULL, w.now), 0);
	assert_int_equal(count_pols(t, true), 0);
	assert_int_equal(t->k.errors, 0);
	h_free(&w);
}

/* A trap without local_ts needs our address for its selector (the model
 * already insists on remote_addrs for start_action = trap): a config
 * without says so and installs nothing. */
static void test_trap_needs_addresses(void **state)
{
	struct h_world w;
	struct oak_config *bad;

	(void)state;
	h_init(&w, NULL, NULL);
	bad = h_config_text("connections { any {\n version = 2\n remote_addrs = 192.0.2.2\n"
			    " local { auth = psk\n }\n remote { auth = psk\n }\n"
			    " children { c { start_action = trap\n } } } }\n");
	logcap_start();
	assert_int_equal(ikev2_traps_install(w.p[0].e, bad, w.now), -EINVAL);
	logcap_stop();
	if (!logcap_contains("any/c: start_action = trap without local_ts needs our address in "
			     "local_addrs"))
		fail_msg("log:\n%s", logcap_text());
	assert_int_equal(w.p[0].k.npols, 0);
	oak_config_unref(bad);
	h_free(&w);
}

#define BOTH(t) cmocka_unit_test_prestate(t, &roles[0]), cmocka_unit_test_prestate(t, &roles[1])

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_trap_installed),
		BOTH(test_acquire_negotiates),
		BOTH(test_trap_outlives_child),
		BOTH(test_reload_removes_trap),
		cmocka_unit_test(test_trap_needs_addresses),
	};

	log_set_all(getenv("OAK_TEST_DEBUG") ? LVL_DEBUG : LVL_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
