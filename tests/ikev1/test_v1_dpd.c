/* Exchange tests of IKEv1 dead peer detection actions (RFC 3706 leaves them
 * to the implementation; swanctl.conf's child dpd_action): the initiator
 * runs DPD (dpd_delay 10 s, dpd_timeout 30 s), the responder crashes
 * (h_restart: its SAs are gone, nothing said), and the initiator's R-U-THERE
 * goes unanswered. clear: the SAs go; restart: a new Main Mode and Quick
 * Mode; trap: trap policies whose ACQUIRE starts them again. Also
 * start_action = trap. Every test runs twice: moon initiates, then sun. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/log.h"
#include "wire/ikev1.h"

static int roles[2] = {0, 1};

#define INI(w, st) (&(w)->p[*(int *)*(st)])
#define RES(w, st) (&(w)->p[!*(int *)*(st)])

#define DPD "dpd_delay = 10s\n dpd_timeout = 30s"

static void want_line(const char *s)
{
	if (!logcap_contains(s))
		fail_msg("no line with '%s' in:\n%s", s, logcap_text());
}

/* The initiator with DPD and this child dpd_action; established. */
static void dpd_init(struct h_world *w, void **state, const char *action, struct h_opts *o)
{
	int ini = *(int *)*state;

	memset(o, 0, 2 * sizeof(*o));
	o[ini].conn_extra = DPD;
	o[ini].child_extra = action;
	h_init(w, &o[0], &o[1]);
	assert_int_equal(ikev1_initiate(INI(w, state)->e, "gw", "net", w->now, NULL), 0);
	h_run(w);
	assert_int_equal(h_installed_children(INI(w, state)), 1);
}

/* The responder crashes; time runs with every datagram lost until the
 * initiator declares the peer dead. */
static void peer_dies(struct h_world *w, void **state)
{
	int n = 0;

	h_restart(w, RES(w, state)->idx);
	while (!logcap_contains("the peer is dead")) {
		while (w->nq)
			h_drop(w, 0);
		assert_true(h_advance(w));
		h_jobs(w);
		assert_true(++n < 50);
	}
	want_line("no answer to R-U-THERE for 30 s");
}

static size_t trap_pols(const struct h_peer *p, uint32_t *reqid)
{
	size_t i, n = 0;

	for (i = 0; i < p->k.npols; i++)
		if (p->k.pols[i].trap) {
			n++;
			if (reqid)
				*reqid = p->k.pols[i].reqid;
		}
	return n;
}

/* clear (the default): the ISAKMP SA and the IPsec SAs go, nothing else. */
static void test_dpd_clear(void **state)
{
	struct h_world w;
	struct h_opts o[2];
	struct h_peer *ini;

	dpd_init(&w, state, NULL, o);
	ini = INI(&w, state);
	peer_dies(&w, state);
	assert_int_equal(ikev1_sa_count(ini->e), 0);
	assert_int_equal(ini->k.nsas, 0);
	assert_int_equal(ini->k.npols, 0);
	assert_int_equal(w.nq, 0); /* no new Main Mode */
	assert_int_equal(ini->k.errors, 0);
	h_free(&w);
}

/* restart: a new Main Mode right away, and the child again with the peer
 * that came back. */
static void test_dpd_restart(void **state)
{
	struct h_world w;
	struct h_opts o[2];
	struct h_view v;

	dpd_init(&w, state, "dpd_action = restart", o);
	peer_dies(&w, state);
	want_line("dpd_action = restart for 1 child");
	assert_true(w.nq >= 1);
	assert_int_equal(h_sender(&w, 0), INI(&w, state)->idx);
	assert_int_equal(h_exchange(&w, 0), ISAKMP_XCHG_IDPROT);
	h_run(&w);
	assert_int_equal(h_views(INI(&w, state), &v, 1), 1);
	assert_int_equal(v.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_equal(v.nchildren, 1);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	h_free(&w);
}

/* restart with two children of the connection up: one new Main Mode, then
 * a Quick Mode for each. */
static void test_dpd_restart_two(void **state)
{
	static const char two[] = "net2 { local_ts = 10.3.0.0/16\n remote_ts = 10.4.0.0/16\n"
				  " esp_proposals = aes128-sha256\n dpd_action = restart }";
	static const char two_r[] = "net2 { local_ts = 10.4.0.0/16\n remote_ts = 10.3.0.0/16\n"
				    " esp_proposals = aes128-sha256 }";
	struct h_world w;
	struct h_opts o[2];
	int ini = *(int *)*state;
	struct h_view v;
	size_t mm1 = 0, i;

	memset(o, 0, sizeof(o));
	o[ini].conn_extra = DPD;
	o[ini].child_extra = "dpd_action = restart";
	o[ini].children = two;
	o[!ini].children = two_r;
	h_init(&w, &o[0], &o[1]);
	assert_int_equal(ikev1_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	h_run(&w);
	assert_int_equal(ikev1_initiate(INI(&w, state)->e, "gw", "net2", w.now, NULL), 0);
	h_run(&w);
	assert_int_equal(h_installed_children(INI(&w, state)), 2);
	peer_dies(&w, state);
	want_line("dpd_action = restart for 2 children");
	for (i = 0; i < w.nq; i++)
		mm1 += h_exchange(&w, i) == ISAKMP_XCHG_IDPROT;
	assert_int_equal(mm1, 1);
	h_run(&w);
	assert_int_equal(h_views(INI(&w, state), &v, 1), 1);
	assert_int_equal(v.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_equal(v.nchildren, 2);
	assert_int_equal(h_assert_child_pairs(&w), 2);
	h_free(&w);
}

/* trap: the SAs go, trap policies (out, in, fwd) with their own reqid come;
 * the kernel's ACQUIRE for that reqid starts Main and Quick Mode, whose
 * IPsec SAs take the trap's reqid; a second ACQUIRE while up does nothing;
 * a clean stop takes the trap out. */
static void test_dpd_trap(void **state)
{
	struct h_world w;
	struct h_opts o[2];
	struct h_peer *ini;
	struct ts src, dst;
	uint32_t reqid = 0;
	size_t i;

	dpd_init(&w, state, "dpd_action = trap", o);
	ini = INI(&w, state);
	peer_dies(&w, state);
	assert_int_equal(ikev1_sa_count(ini->e), 0);
	assert_int_equal(ini->k.nsas, 0);
	assert_int_equal(trap_pols(ini, &reqid), 3);
	assert_int_equal(ini->k.npols, 3);
	want_line("net: trap installed");
	assert_int_equal(w.nq, 0);
	assert_int_equal(ts_parse(ini->idx ? "10.2.0.7" : "10.1.0.7", &src, NULL, 0), 0);
	assert_int_equal(ts_parse(ini->idx ? "10.1.0.9" : "10.2.0.9", &dst, NULL, 0), 0);
	assert_int_equal(ikev1_acquire(ini->e, reqid + 100, &src, &dst, w.now), -ENOENT);
	assert_int_equal(ikev1_acquire(ini->e, reqid, &src, &dst, w.now), 0);
	assert_int_equal(ikev1_acquire(ini->e, reqid, &src, &dst, w.now), -EALREADY);
	h_run(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	for (i = 0; i < ini->k.nsas; i++)
		assert_int_equal(ini->k.sas[i].reqid, reqid);
	assert_int_equal(ikev1_acquire(ini->e, reqid, &src, &dst, w.now), -EALREADY);
	assert_int_equal(trap_pols(ini, NULL), 3); /* the trap stays under the SA's */
	ikev1_terminate_all(ini->e, w.now);
	assert_int_equal(ini->k.npols, 0);
	assert_int_equal(ini->k.errors, 0);
	h_free(&w);
}

/* start_action = trap: the trap comes with the config; nothing is sent
 * until the ACQUIRE. */
static void test_start_trap(void **state)
{
	struct h_world w;
	struct h_opts o[2];
	int ini = *(int *)*state;
	struct ts src, dst;
	uint32_t reqid = 0;

	memset(o, 0, sizeof(o));
	o[ini].child_extra = "start_action = trap";
	h_init(&w, &o[0], &o[1]);
	assert_int_equal(w.nq, 0);
	assert_int_equal(trap_pols(INI(&w, state), &reqid), 3);
	assert_int_equal(ts_parse(ini ? "10.2.0.7" : "10.1.0.7", &src, NULL, 0), 0);
	assert_int_equal(ts_parse(ini ? "10.1.0.9" : "10.2.0.9", &dst, NULL, 0), 0);
	assert_int_equal(ikev1_acquire(INI(&w, state)->e, reqid, &src, &dst, w.now), 0);
	h_run(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	h_free(&w);
}

/* A reload that drops start_action = trap takes the trap policies out of
 * the kernel; one that brings it back installs them again. */
static void test_reload_trap(void **state)
{
	struct h_world w;
	struct h_opts o[2], plain;
	int ini = *(int *)*state;
	uint32_t reqid = 0;

	memset(o, 0, sizeof(o));
	memset(&plain, 0, sizeof(plain));
	o[ini].child_extra = "start_action = trap";
	h_init(&w, &o[0], &o[1]);
	assert_int_equal(trap_pols(INI(&w, state), &reqid), 3);
	h_reload(&w, ini, &plain);
	assert_int_equal(trap_pols(INI(&w, state), &reqid), 0);
	assert_int_equal(INI(&w, state)->k.npols, 0);
	assert_int_equal(INI(&w, state)->k.errors, 0);
	assert_true(logcap_contains("no longer traps it"));
	h_reload(&w, ini, &o[ini]);
	assert_int_equal(trap_pols(INI(&w, state), &reqid), 3);
	h_free(&w);
}

#define BOTH(t) cmocka_unit_test_prestate(t, &roles[0]), cmocka_unit_test_prestate(t, &roles[1])

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_dpd_clear), BOTH(test_dpd_restart), BOTH(test_dpd_restart_two),
		BOTH(test_dpd_trap),  BOTH(test_start_trap),  BOTH(test_reload_trap),
	};

	log_set_all(getenv("OAK_TEST_DEBUG") ? LVL_DEBUG : LVL_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
