/* IKEv1 SAs kept alive (issue #7), two oak engines on the fake clock, each
 * test with the roles swapped: Quick Mode rekeys before an IPsec SA expires
 * (its initiator's job, as Windows and strongSwan do), over generations and
 * with lost messages; a new Main Mode before the ISAKMP SA expires, the IPsec
 * SAs moving to it and the old one deleted; RESPONDER-LIFETIME; and what is
 * left when nobody rekeys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "testutil.h"

static int roles[2] = {0, 1};

#define INI(w, st) (&(w)->p[*(int *)*(st)])
#define RES(w, st) (&(w)->p[!*(int *)*(st)])

static void up(struct h_world *w, void **state)
{
	uint32_t serial = 0;

	assert_int_equal(ikev1_initiate(INI(w, state)->e, "gw", NULL, w->now, &serial), 0);
	h_run(w);
	assert_int_equal(h_installed_children(&w->p[0]), 1);
	assert_int_equal(h_installed_children(&w->p[1]), 1);
	assert_int_equal(h_assert_child_pairs(w), 1);
}

/* The SPI pair of p's one installed IPsec SA (fails unless exactly one). */
static void spis(struct h_peer *p, uint32_t *in, uint32_t *out)
{
	struct h_view v[4];
	size_t n = h_views(p, v, 4), i, j, found = 0;

	for (i = 0; i < n; i++)
		for (j = 0; j < v[i].nchildren; j++)
			if (v[i].child[j].state == CHILD_SA_STATE_INSTALLED) {
				*in = v[i].child[j].spi_in;
				*out = v[i].child[j].spi_out;
				found++;
			}
	assert_int_equal(found, 1);
}

/* Run the clock until ms have passed, delivering what is sent. */
static void run_for(struct h_world *w, uint64_t ms)
{
	uint64_t until = w->now + ms;

	while (w->now < until) {
		h_run(w);
		h_sleep(w, 1000);
	}
	h_run(w);
}

/* A child rekey_time of 60 s is the Quick Mode life both offer: at 90% (54
 * s) the Quick Mode initiator makes a new IPsec SA pair, then deletes the
 * old one at both ends; three generations, each with new SPIs, nothing
 * stale in either kernel, and the ISAKMP SA stays the same. */
static void test_qm_rekey_generations(void **state)
{
	struct h_opts o = {.child_extra = "rekey_time = 60s"};
	uint32_t seen[8], in, out, res_in, res_out;
	struct h_world w;
	struct h_view v;
	uint32_t isakmp;
	uint64_t t0;
	size_t g, k;

	h_init(&w, &o, &o);
	up(&w, state);
	t0 = w.now;
	assert_true(h_view(INI(&w, state), &v));
	isakmp = v.serial;
	spis(INI(&w, state), &seen[0], &seen[1]);
	for (g = 1; g <= 3; g++) {
		run_for(&w, t0 + g * 54000 - 1000 - w.now);
		spis(INI(&w, state), &in, &out);
		assert_int_equal(in, seen[2 * g - 2]); /* a second before: not yet */
		run_for(&w, 2000);
		spis(INI(&w, state), &in, &out);
		spis(RES(&w, state), &res_in, &res_out);
		assert_int_equal(in, res_out);
		assert_int_equal(out, res_in);
		for (k = 0; k < 2 * g; k++)
			if (seen[k] == in || seen[k] == out)
				fail_msg("generation %zu reuses SPI %08x", g, seen[k]);
		seen[2 * g] = in;
		seen[2 * g + 1] = out;
		/* the old pair is gone from both kernels: 2 SAs each */
		assert_int_equal(h_assert_child_pairs(&w), 1);
		assert_int_equal(w.p[0].k.nsas, 2);
		assert_int_equal(w.p[0].k.errors + w.p[1].k.errors, 0);
	}
	assert_true(logcap_contains("rekeyed to"));
	assert_true(h_view(INI(&w, state), &v));
	assert_int_equal(v.serial, isakmp);
	assert_int_equal(h_count_state(INI(&w, state), IKE_SA_STATE_ESTABLISHED), 1);
	h_free(&w);
}

/* The rekey's first Quick Mode message is lost: the retransmission makes
 * the new pair well before the old one's hard life (60 s). */
static void test_qm_rekey_lost(void **state)
{
	struct h_opts o = {.child_extra = "rekey_time = 60s"};
	uint32_t in0 = 0, out0 = 0, in = 0, out = 0;
	unsigned sent;
	struct h_world w;

	h_init(&w, &o, &o);
	up(&w, state);
	spis(INI(&w, state), &in0, &out0);
	h_sleep(&w, 54000); /* the soft life: Quick Mode 1 goes out */
	assert_int_equal(w.nq, 1);
	assert_int_equal(h_sender(&w, 0), INI(&w, state)->idx);
	h_drop(&w, 0);
	sent = INI(&w, state)->sent;
	run_for(&w, 5000); /* retransmitted and answered */
	/* Quick Mode 1 again, 3, and the Delete of the old pair */
	assert_int_equal(INI(&w, state)->sent, sent + 3);
	spis(INI(&w, state), &in, &out);
	assert_int_not_equal(in, in0);
	assert_int_not_equal(out, out0);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	h_free(&w);
}

/* The answer (Quick Mode 2) is lost: the initiator retransmits Quick Mode
 * 1, the responder answers from its cache, one new pair results. */
static void test_qm_rekey_answer_lost(void **state)
{
	struct h_opts o = {.child_extra = "rekey_time = 60s"};
	uint32_t in0 = 0, out0 = 0, in = 0, out = 0;
	struct h_world w;

	h_init(&w, &o, &o);
	up(&w, state);
	spis(INI(&w, state), &in0, &out0);
	h_sleep(&w, 54000);
	assert_int_equal(w.nq, 1);
	h_step_one(&w); /* Quick Mode 1 reaches the responder */
	h_jobs(&w);
	assert_true(w.nq >= 1);
	assert_int_equal(h_sender(&w, 0), RES(&w, state)->idx);
	h_drop(&w, 0);
	run_for(&w, 5000);
	spis(INI(&w, state), &in, &out);
	assert_int_not_equal(in, in0);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	assert_int_equal(w.p[0].k.nsas, 2);
	h_free(&w);
}

/* Nobody can rekey (the peer is gone): at the hard life (60 s) the IPsec SA
 * is deleted from the kernel and the ISAKMP SA stays. */
static void test_qm_expire_without_peer(void **state)
{
	struct h_opts o = {.child_extra = "rekey_time = 60s"};
	struct h_peer *ini;
	struct h_world w;
	size_t n;

	h_init(&w, &o, &o);
	up(&w, state);
	ini = INI(&w, state);
	for (n = 0; n < 200 && w.now < 1000000 + 61000; n++) {
		while (w.nq)
			h_drop(&w, 0); /* everything is lost from here on */
		h_sleep(&w, 1000);
	}
	assert_int_equal(h_installed_children(ini), 0);
	assert_int_equal(ini->k.nsas, 0);
	assert_int_equal(ini->k.npols, 0);
	assert_true(logcap_contains("lifetime expired"));
	h_free(&w);
}

/* RESPONDER-LIFETIME (RFC 2407 4.5.4): the responder accepts 30 s at most
 * (its rekey_time), the initiator offered 1 h and takes the responder's
 * word: both kernels get 30 s and the initiator rekeys at 27 s. */
static void test_responder_lifetime(void **state)
{
	struct h_opts shorter = {.child_extra = "rekey_time = 30s"};
	uint32_t in0 = 0, out0 = 0, in = 0, out = 0;
	struct h_world w;
	size_t i;
	int r = *(int *)*state ? 0 : 1; /* the responder's index */

	h_init(&w, r == 0 ? &shorter : NULL, r == 1 ? &shorter : NULL);
	up(&w, state);
	for (i = 0; i < w.p[0].k.nsas; i++) {
		assert_int_equal(w.p[0].k.sas[i].life_time, 30);
		assert_int_equal(w.p[1].k.sas[i].life_time, 30);
	}
	spis(INI(&w, state), &in0, &out0);
	run_for(&w, 28000);
	spis(INI(&w, state), &in, &out);
	assert_int_not_equal(in, in0);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	h_free(&w);
}

/* The ISAKMP SA's life (rekey_time 120 s): at 90% its initiator makes a new
 * Main Mode; at 120 s the old ISAKMP SA is deleted (with a Delete) while
 * the IPsec SA moves to the new one and keeps running; its next Quick Mode
 * rekey goes through the new ISAKMP SA. */
static void test_isakmp_rekey(void **state)
{
	struct h_opts o = {.conn_extra = "rekey_time = 120s", .child_extra = "rekey_time = 200s"};
	uint32_t in0 = 0, out0 = 0, in = 0, out = 0;
	struct h_view v[2], nv;
	struct h_world w;
	uint32_t old;

	h_init(&w, &o, &o);
	up(&w, state);
	assert_true(h_view(INI(&w, state), &v[0]));
	old = v[0].serial;
	spis(INI(&w, state), &in0, &out0);
	run_for(&w, 110000); /* past 108 s: a second ISAKMP SA */
	assert_int_equal(h_count_state(INI(&w, state), IKE_SA_STATE_ESTABLISHED), 2);
	assert_int_equal(h_count_state(RES(&w, state), IKE_SA_STATE_ESTABLISHED), 2);
	run_for(&w, 12000); /* past 120 s: the first one is gone at both ends */
	assert_int_equal(h_views(INI(&w, state), v, 2), 1);
	assert_int_not_equal(v[0].serial, old);
	assert_int_equal(h_views(RES(&w, state), v, 2), 1);
	/* the IPsec SA kept running, now under the new ISAKMP SA */
	spis(INI(&w, state), &in, &out);
	assert_int_equal(in, in0);
	assert_true(h_view(INI(&w, state), &nv));
	assert_int_equal(nv.nchildren, 1);
	assert_true(logcap_contains("moves to ISAKMP SA"));
	/* its rekey (at 180 s) runs through the new ISAKMP SA */
	run_for(&w, 60000);
	spis(INI(&w, state), &in, &out);
	assert_int_not_equal(in, in0);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	assert_int_equal(w.p[0].k.errors + w.p[1].k.errors, 0);
	h_free(&w);
}

#define BOTH(t) cmocka_unit_test_prestate(t, &roles[0]), cmocka_unit_test_prestate(t, &roles[1])

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_qm_rekey_generations), BOTH(test_qm_rekey_lost),
		BOTH(test_qm_rekey_answer_lost), BOTH(test_qm_expire_without_peer),
		BOTH(test_responder_lifetime),	 BOTH(test_isakmp_rekey),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
