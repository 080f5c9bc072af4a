/* Exchange tests of rekeying, lifetimes and DPD (RFC 7296 1.3.2, 1.3.3,
 * 2.4, 2.8, 2.8.1, 2.25): two engines with the fakes of harness.h. Every
 * test runs twice: moon initiates the IKE SA, then sun; within a test the
 * rekey is started by one side, the other, or both at once. */
#include "testutil.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/log.h"

static int roles[2] = {0, 1};

#define INI(w, st) (&(w)->p[*(int *)*(st)])
#define RES(w, st) (&(w)->p[!*(int *)*(st)])

static void up(struct h_world *w, void **state)
{
	assert_int_equal(ikev2_initiate(INI(w, state)->e, "gw", "net", w->now, NULL), 0);
	h_run(w);
}

/* The key log entry of the IKE SA of v (the latest with its SPIs). */
static const struct h_keylog *keys_of(const struct h_peer *p, const struct h_view *v)
{
	size_t i;

	for (i = p->nkeylog; i-- > 0;)
		if (memcmp(p->keylog[i].spi_i, v->spi_i, 8) == 0 &&
		    memcmp(p->keylog[i].spi_r, v->spi_r, 8) == 0)
			return &p->keylog[i];
	fail_msg("%s: no keys logged for its IKE SA", p->name);
	return NULL;
}

/* The one IKE SA of each peer is ESTABLISHED with the same SPIs and keys,
 * and each has exactly n CHILD SAs, installed, in matching kernel pairs,
 * with one policy set (out, in, fwd) per child and no kernel error. */
static void assert_state(struct h_world *w, size_t n)
{
	struct h_view a, b;
	const struct h_keylog *ka, *kb;
	size_t i;

	assert_int_equal(h_sa_count(&w->p[0]), 1);
	assert_int_equal(h_sa_count(&w->p[1]), 1);
	assert_true(h_view(&w->p[0], &a));
	assert_true(h_view(&w->p[1], &b));
	assert_int_equal(a.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_equal(b.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_not_equal(a.initiator, b.initiator);
	assert_memory_equal(a.spi_i, b.spi_i, 8);
	assert_memory_equal(a.spi_r, b.spi_r, 8);
	ka = keys_of(&w->p[0], &a);
	kb = keys_of(&w->p[1], &b);
	th_assert_bytes(ka->sk_ei, ka->e_len, kb->sk_ei, kb->e_len, "SK_ei");
	th_assert_bytes(ka->sk_ar, ka->a_len, kb->sk_ar, kb->a_len, "SK_ar");
	assert_int_equal(a.nchildren, n);
	assert_int_equal(b.nchildren, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(a.child[i].state, CHILD_SA_STATE_INSTALLED);
		assert_int_equal(b.child[i].state, CHILD_SA_STATE_INSTALLED);
	}
	assert_int_equal(h_assert_child_pairs(w), n);
	for (i = 0; i < 2; i++) {
		assert_int_equal(w->p[i].k.nsas, 2 * n);
		assert_int_equal(w->p[i].k.nlarval, 0);
		assert_int_equal(w->p[i].k.npols, 3 * n);
		assert_int_equal(w->p[i].k.errors, 0);
	}
}

static uint32_t child_serial(struct h_peer *p)
{
	struct h_view v;

	assert_true(h_view(p, &v));
	assert_int_equal(v.nchildren, 1);
	return v.child[0].serial;
}

static uint32_t ike_serial(struct h_peer *p)
{
	struct h_view v;

	assert_true(h_view(p, &v));
	return v.serial;
}

/* The last rekey event of p says old -> the CHILD SA (or IKE SA) p has now. */
static void assert_event(struct h_peer *p, bool ike, uint32_t old)
{
	struct h_view v;

	assert_true(p->nrekeyed > 0);
	assert_true(h_view(p, &v));
	assert_int_equal(p->rekeyed[p->nrekeyed - 1].ike, ike);
	assert_int_equal(p->rekeyed[p->nrekeyed - 1].old_serial, old);
	assert_int_equal(p->rekeyed[p->nrekeyed - 1].new_serial,
			 ike ? v.serial : v.child[0].serial);
}

/* Rekey the CHILD SA from `by`, check new SPIs and keys, the old SAs gone. */
static void child_rekey_once(struct h_world *w, struct h_peer *by)
{
	struct h_peer *other = &w->p[!by->idx];
	struct h_view before, after;
	uint32_t old = child_serial(by), old_other = child_serial(other);
	assert_true(h_view(by, &before));
	assert_int_equal(ikev2_rekey_child(by->e, old, w->now), 0);
	assert_int_equal(ikev2_rekey_child(by->e, old, w->now), -EBUSY); /* queued already */
	h_run(w);
	assert_state(w, 1);
	assert_true(h_view(by, &after));
	assert_int_not_equal(after.child[0].serial, old);
	assert_int_not_equal(after.child[0].spi_in, before.child[0].spi_in);
	assert_int_not_equal(after.child[0].spi_out, before.child[0].spi_out);
	assert_int_equal(after.child[0].reqid, before.child[0].reqid);
	assert_null(h_ksa(by, before.child[0].spi_in));
	assert_null(h_ksa(by, before.child[0].spi_out));
	assert_event(by, false, old);
	assert_event(other, false, old_other);
	assert_int_equal(ikev2_rekey_child(by->e, old, w->now), -ENOENT);
}

static void th_keys_differ(const struct h_world *w, const uint8_t *k, size_t len)
{
	size_t i;

	for (i = 0; i < w->p[0].k.nsas; i++)
		assert_false(w->p[0].k.sas[i].ekey_len == len &&
			     memcmp(w->p[0].k.sas[i].ekey, k, len) == 0);
}

static void test_child_rekey(void **state)
{
	struct h_world w;
	uint8_t k[128];
	size_t len;
	int gen;

	h_init(&w, NULL, NULL);
	up(&w, state);
	assert_state(&w, 1);
	/* generations, by the initiator, then the responder, then again */
	for (gen = 0; gen < 4; gen++) {
		len = w.p[0].k.sas[0].ekey_len;
		memcpy(k, w.p[0].k.sas[0].ekey, len);
		child_rekey_once(&w, gen % 2 ? RES(&w, state) : INI(&w, state));
		th_keys_differ(&w, k, len);
	}
	h_free(&w);
}

/* PFS: the rekey carries KE (RFC 7296 1.3.3); a new DH each time. */
static void test_child_rekey_pfs(void **state)
{
	struct h_opts o = {.esp = "aes128gcm16-ecp256"};
	struct h_world w;
	unsigned before;

	h_init(&w, &o, &o);
	up(&w, state);
	before = (unsigned)w.njobs;
	child_rekey_once(&w, INI(&w, state));
	child_rekey_once(&w, RES(&w, state));
	assert_int_equal(before, 0);
	assert_string_equal(w.p[0].k.sas[0].encr, "rfc4106(gcm(aes))");
	h_free(&w);
}

/* Run until the first queued datagram is a CREATE_CHILD_SA of this kind. */
static void run_until(struct h_world *w, bool response)
{
	int n = 0;

	while (!(w->nq && h_exchange(w, 0) == IKEV2_EXCH_CREATE_CHILD_SA &&
		 h_is_response(w, 0) == response)) {
		assert_true(h_step(w));
		assert_true(++n < 100);
	}
}

/* A lost request is retransmitted; a lost response is answered again from
 * the response cache, byte for byte, without a second CHILD SA. */
static void test_child_rekey_lost(void **state)
{
	struct h_world w;
	uint8_t *lost;
	size_t len;
	int resp;

	for (resp = 0; resp < 2; resp++) {
		h_init(&w, NULL, NULL);
		up(&w, state);
		assert_int_equal(
			ikev2_rekey_child(RES(&w, state)->e, child_serial(RES(&w, state)), w.now),
			0);
		run_until(&w, resp);
		lost = h_take(&w, 0, &len);
		assert_true(h_advance(&w)); /* the rekey's initiator retransmits */
		assert_int_equal(w.nq, 1);
		assert_false(h_is_response(&w, 0));
		if (resp) {
			assert_true(h_step(&w));
			assert_int_equal(w.nq, 1);
			th_assert_bytes(w.q[0].buf, w.q[0].len, lost, len, "cached response");
		}
		free(lost);
		h_run(&w);
		assert_state(&w, 1);
		h_free(&w);
	}
}

/* RFC 7296 2.8.1: both rekey the CHILD SA at once; the one made with the
 * lowest nonce is deleted by its maker, the old one by the other side:
 * one CHILD SA remains, the same on both sides, nothing left over. */
static void test_child_rekey_collision(void **state)
{
	struct h_world w;
	int seed;

	/* different RNG streams give either side the lowest nonce */
	for (seed = 0; seed < 6; seed++) {
		uint32_t a, b;

		h_init(&w, NULL, NULL);
		w.rng += (uint64_t)seed * 0x9e3779b97f4a7c15ULL;
		up(&w, state);
		a = child_serial(INI(&w, state));
		b = child_serial(RES(&w, state));
		assert_int_equal(ikev2_rekey_child(INI(&w, state)->e, a, w.now), 0);
		assert_int_equal(ikev2_rekey_child(RES(&w, state)->e, b, w.now), 0);
		h_run(&w);
		assert_state(&w, 1);
		assert_event(INI(&w, state), false, a);
		assert_event(RES(&w, state), false, b);
		/* and the survivor rekeys normally afterwards */
		child_rekey_once(&w, INI(&w, state));
		h_free(&w);
	}
}

/* Collisions with a lost message: the first response of either side (the
 * initiator's or the responder's exchange) is lost once and retransmitted;
 * the outcome is the same: one CHILD SA / IKE SA left, usable. */
/* One IKE SA with one CHILD SA on each side, nothing in flight. */
static bool settled(struct h_world *w)
{
	struct h_view a, b;

	return w->nq == 0 && h_sa_count(&w->p[0]) == 1 && h_sa_count(&w->p[1]) == 1 &&
	       h_view(&w->p[0], &a) && h_view(&w->p[1], &b) && a.nchildren == 1 &&
	       b.nchildren == 1 && ikev2_next_deadline(w->p[0].e) > w->now + 60000 &&
	       ikev2_next_deadline(w->p[1].e) > w->now + 60000;
}

static void collision_lost(void **state, bool ike)
{
	struct h_world w;
	int which, n;

	for (which = 0; which < 2; which++) {
		uint8_t *lost;
		size_t len;

		h_init(&w, NULL, NULL);
		up(&w, state);
		if (ike) {
			assert_int_equal(ikev2_rekey_ike(INI(&w, state)->e,
							 ike_serial(INI(&w, state)), w.now),
					 0);
			assert_int_equal(ikev2_rekey_ike(RES(&w, state)->e,
							 ike_serial(RES(&w, state)), w.now),
					 0);
		} else {
			assert_int_equal(ikev2_rekey_child(INI(&w, state)->e,
							   child_serial(INI(&w, state)), w.now),
					 0);
			assert_int_equal(ikev2_rekey_child(RES(&w, state)->e,
							   child_serial(RES(&w, state)), w.now),
					 0);
		}
		/* drop the first (which = 0) or second (1) CREATE_CHILD_SA response */
		for (n = 0; n <= which; n++) {
			run_until(&w, true);
			if (n < which)
				assert_true(h_step(&w));
		}
		lost = h_take(&w, 0, &len);
		free(lost);
		h_run(&w);
		for (n = 0; n < 10 && !settled(&w); n++) {
			assert_true(h_advance(&w)); /* retransmission, then the rest */
			h_run(&w);
		}
		assert_state(&w, 1);
		child_rekey_once(&w, RES(&w, state));
		h_free(&w);
	}
}

static void test_child_rekey_collision_lost(void **state)
{
	collision_lost(state, false);
}

static void test_ike_rekey_collision_lost(void **state)
{
	collision_lost(state, true);
}

/* RFC 7296 2.25: a rekey that meets a Delete of the same CHILD SA: the
 * deleting side answers TEMPORARY_FAILURE, the Delete wins, nothing is
 * left in either kernel. */
static void test_child_rekey_vs_delete(void **state)
{
	struct h_world w;
	struct h_view v;

	h_init(&w, NULL, NULL);
	up(&w, state);
	assert_int_equal(ikev2_rekey_child(INI(&w, state)->e, child_serial(INI(&w, state)), w.now),
			 0);
	assert_int_equal(
		ikev2_terminate_child(RES(&w, state)->e, child_serial(RES(&w, state)), w.now), 0);
	h_run(&w);
	assert_true(h_view(&w.p[0], &v));
	assert_int_equal(v.nchildren, 0);
	assert_true(h_view(&w.p[1], &v));
	assert_int_equal(v.nchildren, 0);
	assert_int_equal(w.p[0].k.nsas + w.p[1].k.nsas, 0);
	assert_int_equal(w.p[0].k.nlarval + w.p[1].k.nlarval, 0);
	assert_int_equal(w.p[0].k.npols + w.p[1].k.npols, 0);
	assert_int_equal(w.p[0].k.errors + w.p[1].k.errors, 0);
	h_free(&w);
}

/* Rekey the IKE SA from `by`: new SPIs and keys on both sides, the CHILD SA
 * moved unchanged, the old IKE SA gone; then a CHILD rekey over the new one. */
static void ike_rekey_once(struct h_world *w, struct h_peer *by)
{
	struct h_peer *other = &w->p[!by->idx];
	struct h_view before, after;
	uint32_t old = ike_serial(by), old_other = ike_serial(other);

	assert_true(h_view(by, &before));
	assert_int_equal(ikev2_rekey_ike(by->e, old, w->now), 0);
	assert_int_equal(ikev2_rekey_ike(by->e, old, w->now), -EBUSY);
	h_run(w);
	assert_state(w, 1);
	assert_true(h_view(by, &after));
	assert_int_not_equal(after.serial, old);
	assert_false(memcmp(after.spi_i, before.spi_i, 8) == 0);
	assert_false(memcmp(after.spi_r, before.spi_r, 8) == 0);
	assert_true(after.initiator); /* 2.18: the rekey's initiator is the new SA's */
	assert_int_equal(after.child[0].spi_in, before.child[0].spi_in);
	assert_int_equal(after.child[0].spi_out, before.child[0].spi_out);
	assert_event(by, true, old);
	assert_event(other, true, old_other);
	assert_int_equal(ikev2_rekey_ike(by->e, old, w->now), -ENOENT);
}

static void test_ike_rekey(void **state)
{
	struct h_world w;
	int gen;

	h_init(&w, NULL, NULL);
	up(&w, state);
	for (gen = 0; gen < 4; gen++) {
		ike_rekey_once(&w, gen % 2 ? RES(&w, state) : INI(&w, state));
		child_rekey_once(&w, gen % 2 ? INI(&w, state) : RES(&w, state));
	}
	/* and the new IKE SA deletes cleanly */
	assert_int_equal(ikev2_terminate(INI(&w, state)->e, ike_serial(INI(&w, state)), w.now), 0);
	h_run(&w);
	assert_int_equal(h_sa_count(&w.p[0]) + h_sa_count(&w.p[1]), 0);
	assert_int_equal(w.p[0].k.nsas + w.p[1].k.nsas + w.p[0].k.npols + w.p[1].k.npols, 0);
	assert_int_equal(w.p[0].k.errors + w.p[1].k.errors, 0);
	h_free(&w);
}

static void test_ike_rekey_lost(void **state)
{
	struct h_world w;
	uint8_t *lost;
	size_t len;
	int resp;

	for (resp = 0; resp < 2; resp++) {
		h_init(&w, NULL, NULL);
		up(&w, state);
		assert_int_equal(
			ikev2_rekey_ike(INI(&w, state)->e, ike_serial(INI(&w, state)), w.now), 0);
		run_until(&w, resp);
		lost = h_take(&w, 0, &len);
		free(lost);
		assert_true(h_advance(&w));
		h_run(&w);
		assert_state(&w, 1);
		child_rekey_once(&w, RES(&w, state));
		h_free(&w);
	}
}

/* RFC 7296 2.8.1 for the IKE SA: both rekey at once; one IKE SA survives
 * with the CHILD SA, usable afterwards. */
static void test_ike_rekey_collision(void **state)
{
	struct h_world w;
	int seed;

	for (seed = 0; seed < 6; seed++) {
		h_init(&w, NULL, NULL);
		w.rng += (uint64_t)seed * 0x9e3779b97f4a7c15ULL;
		up(&w, state);
		assert_int_equal(
			ikev2_rekey_ike(INI(&w, state)->e, ike_serial(INI(&w, state)), w.now), 0);
		assert_int_equal(
			ikev2_rekey_ike(RES(&w, state)->e, ike_serial(RES(&w, state)), w.now), 0);
		h_run(&w);
		assert_state(&w, 1);
		child_rekey_once(&w, INI(&w, state));
		ike_rekey_once(&w, RES(&w, state));
		h_free(&w);
	}
}

/* A CHILD rekey and an IKE rekey at once from the two sides: the IKE
 * rekey's responder is busy with a CHILD SA exchange and answers
 * TEMPORARY_FAILURE, or the CHILD rekey is answered first; either way both
 * complete (the refused one is retried). */
static void test_ike_rekey_vs_child_rekey(void **state)
{
	struct h_world w;
	int i;

	h_init(&w, NULL, NULL);
	up(&w, state);
	assert_int_equal(ikev2_rekey_ike(INI(&w, state)->e, ike_serial(INI(&w, state)), w.now), 0);
	assert_int_equal(ikev2_rekey_child(RES(&w, state)->e, child_serial(RES(&w, state)), w.now),
			 0);
	h_run(&w);
	for (i = 0; i < 3 && (w.p[0].nrekeyed < 2 || w.p[1].nrekeyed < 2); i++) {
		assert_true(h_advance(&w)); /* a retry after TEMPORARY_FAILURE */
		h_run(&w);
	}
	assert_state(&w, 1);
	assert_int_equal(w.p[0].nrekeyed, 2);
	assert_int_equal(w.p[1].nrekeyed, 2);
	h_free(&w);
}

/* RFC 7296 2.25: an IKE rekey that meets a Delete of the IKE SA: the Delete
 * wins, the half-made new IKE SA goes too, nothing is left anywhere. */
static void test_ike_rekey_vs_delete(void **state)
{
	struct h_world w;
	int i;

	h_init(&w, NULL, NULL);
	up(&w, state);
	assert_int_equal(ikev2_rekey_ike(INI(&w, state)->e, ike_serial(INI(&w, state)), w.now), 0);
	assert_int_equal(ikev2_terminate(RES(&w, state)->e, ike_serial(RES(&w, state)), w.now), 0);
	h_run(&w);
	for (i = 0; i < 2; i++) {
		assert_int_equal(h_sa_count(&w.p[i]), 0);
		assert_int_equal(w.p[i].k.nsas + w.p[i].k.npols + w.p[i].k.nlarval, 0);
		assert_int_equal(w.p[i].k.errors, 0);
	}
	assert_int_equal(ikev2_next_deadline(INI(&w, state)->e), UINT64_MAX);
	h_free(&w);
}

/* The IKE rekey's responder wants another KE group (INVALID_KE_PAYLOAD,
 * RFC 7296 1.3.2): the initiator retries once with it. */
static void test_ike_rekey_invalid_ke(void **state)
{
	struct h_opts moon = {.ike = "aes128-sha256-modp2048, aes128-sha256-ecp256"};
	struct h_opts sun = {.ike = "aes128-sha256-ecp256"};
	struct h_world w;

	h_init(&w, &moon, &sun);
	up(&w, state);
	assert_state(&w, 1);
	ike_rekey_once(&w, &w.p[0]); /* moon offers modp2048 first */
	child_rekey_once(&w, &w.p[1]);
	h_free(&w);
}

/* Lifetimes from the config: CHILD rekey_time 60s (life 66s), IKE
 * rekey_time 300s, no jitter; over several generations the rekeys happen
 * by themselves and nothing expires. */
static void test_lifetimes(void **state)
{
	struct h_opts o = {.child_extra = "rekey_time = 60s\n rand_time = 0",
			   .conn_extra = "rekey_time = 300s\n rand_time = 0"};
	struct h_world w;
	size_t child_events = 0, ike_events = 0, i;
	uint64_t start;

	h_init(&w, &o, &o);
	up(&w, state);
	start = w.now;
	while (w.now < start + 1000000) { /* 1000 s */
		assert_true(h_advance(&w));
		h_run(&w);
	}
	assert_state(&w, 1);
	for (i = 0; i < INI(&w, state)->nrekeyed; i++) {
		if (INI(&w, state)->rekeyed[i].ike)
			ike_events++;
		else
			child_events++;
	}
	/* both sides rekey at 60 s: whoever comes first (or both: collision) */
	assert_true(child_events >= 1000 / 60 - 1 && child_events <= 1000 / 60 + 1);
	assert_true(ike_events >= 2 && ike_events <= 4);
	h_free(&w);
}

/* rand_time: the rekey comes between rekey_time - rand_time and
 * rekey_time. */
static void test_jitter(void **state)
{
	struct h_opts o = {.child_extra = "rekey_time = 100s\n rand_time = 50s\n life_time = 200s"};
	struct h_world w;
	uint64_t start;

	h_init(&w, &o, &o);
	up(&w, state);
	start = w.now;
	while (INI(&w, state)->nrekeyed == 0) {
		assert_true(h_advance(&w));
		h_run(&w);
		assert_true(w.now <= start + 100000);
	}
	assert_true(w.now >= start + 50000);
	assert_state(&w, 1);
	h_free(&w);
}

/* The kernel's soft expire rekeys, its hard expire deletes (both sides). */
static void test_kernel_expire(void **state)
{
	struct h_world w;
	struct h_view v;

	h_init(&w, NULL, NULL);
	up(&w, state);
	assert_true(h_view(RES(&w, state), &v));
	/* unknown SPIs are ignored */
	ikev2_kernel_expire(RES(&w, state)->e, IPPROTO_ESP, 0x12345678, false, w.now);
	ikev2_kernel_expire(RES(&w, state)->e, IPPROTO_ESP, 0x12345678, true, w.now);
	assert_int_equal(w.nq, 0);
	/* soft, by our outbound SPI */
	ikev2_kernel_expire(RES(&w, state)->e, IPPROTO_ESP, v.child[0].spi_out, false, w.now);
	h_run(&w);
	assert_state(&w, 1);
	assert_event(RES(&w, state), false, v.child[0].serial);
	/* hard, by our inbound SPI */
	assert_true(h_view(INI(&w, state), &v));
	ikev2_kernel_expire(INI(&w, state)->e, IPPROTO_ESP, v.child[0].spi_in, true, w.now);
	h_run(&w);
	assert_state(&w, 0);
	h_free(&w);
}

static void test_api_errors(void **state)
{
	struct h_world w;

	h_init(&w, NULL, NULL);
	assert_int_equal(ikev2_rekey_child(INI(&w, state)->e, 4242, w.now), -ENOENT);
	assert_int_equal(ikev2_rekey_ike(INI(&w, state)->e, 4242, w.now), -ENOENT);
	up(&w, state);
	assert_int_equal(ikev2_rekey_ike(INI(&w, state)->e, child_serial(INI(&w, state)), w.now),
			 -ENOENT);
	assert_int_equal(ikev2_rekey_child(INI(&w, state)->e, ike_serial(INI(&w, state)), w.now),
			 -ENOENT);
	assert_int_equal(ikev2_terminate(INI(&w, state)->e, ike_serial(INI(&w, state)), w.now), 0);
	assert_int_equal(ikev2_rekey_ike(INI(&w, state)->e, ike_serial(INI(&w, state)), w.now),
			 -EBUSY);
	h_run(&w);
	h_free(&w);
}

/* RFC 7296 2.8: the responder of a CHILD rekey installs the new inbound SA
 * at once but sends on the old pair until the initiator deletes it (the
 * initiator can decrypt the new one only once the answer reached it):
 * nothing is lost on real ESP (tests/uml t-peer-rekey-guest.sh). Then the
 * new outbound SA goes in, before the old SAs go. */
static void test_child_rekey_responder_waits(void **state)
{
	struct h_world w;
	struct h_peer *by = INI(&w, state), *other = RES(&w, state);
	struct h_view v;
	uint32_t old;
	int n = 0, k;

	h_init(&w, NULL, NULL);
	up(&w, state);
	old = child_serial(other);
	assert_int_equal(ikev2_rekey_child(by->e, child_serial(by), w.now), 0);
	run_until(&w, true); /* the answer is on its way to `by` */
	assert_true(h_view(other, &v));
	assert_int_equal(v.nchildren, 2);
	k = v.child[0].serial == old ? 1 : 0; /* the new one */
	assert_int_equal(other->k.nsas, 3);   /* old pair + the new inbound SA */
	assert_non_null(h_ksa(other, v.child[k].spi_in));
	assert_null(h_ksa(other, v.child[k].spi_out));
	while (other->k.nsas != 2) { /* the Delete of the old pair arrives */
		assert_true(h_step(&w));
		assert_true(++n < 100);
		assert_true(other->k.nsas >= 2 && other->k.nsas <= 4);
	}
	h_run(&w);
	assert_state(&w, 1);
	h_free(&w);
}

/* DPD (RFC 7296 2.4): after dpd_delay without a message from the peer an
 * empty INFORMATIONAL goes out; a live peer answers and all stays; a dead
 * one does not, and after the retransmissions the IKE SA and its CHILD SAs
 * are gone (dpd_action = clear). */
static void test_dpd(void **state)
{
	struct h_opts o = {.conn_extra = "dpd_delay = 30s"};
	struct h_world w;
	unsigned sent;
	size_t n;

	h_init(&w, &o, NULL);
	up(&w, state);
	sent = w.p[0].sent;
	assert_true(h_advance(&w)); /* 30 s */
	assert_int_equal(w.p[0].sent, sent + 1);
	assert_int_equal(h_exchange(&w, 0), IKEV2_EXCH_INFORMATIONAL);
	h_run(&w);
	assert_state(&w, 1);
	/* now sun is dead: whatever moon sends is lost */
	for (n = 0; n < 20 && h_sa_count(&w.p[0]); n++) {
		while (w.nq)
			h_drop(&w, 0);
		assert_true(h_advance(&w));
	}
	assert_int_equal(h_sa_count(&w.p[0]), 0);
	assert_int_equal(w.p[0].k.nsas + w.p[0].k.npols + w.p[0].k.nlarval, 0);
	/* DPD and its retransmissions, long before any lifetime (1 h) ran out */
	assert_true(w.now < 3600000);
	assert_int_equal(h_sa_count(&w.p[1]), 1); /* sun never heard of it */
	h_free(&w);
}

/* RFC 7296 2.4: only a peer that sent nothing is asked. While the kernel
 * counts ESP packets from sun on moon's inbound SA, moon sends no liveness
 * check however long IKE is silent; when the ESP stops, it asks. */
static void test_dpd_esp(void **state)
{
	struct h_opts o = {.conn_extra = "dpd_delay = 30s"};
	struct h_world w;
	unsigned sent;
	int i;

	h_init(&w, &o, NULL);
	up(&w, state);
	sent = w.p[0].sent;
	for (i = 0; i < 4; i++) {
		w.p[0].k.packets_in += 10; /* ESP from sun */
		assert_true(h_advance(&w));
	}
	assert_true(w.now > 1000000 + 90000); /* three dpd_delays passed */
	assert_int_equal(w.p[0].sent, sent);  /* no INFORMATIONAL */
	while (w.p[0].sent == sent)
		assert_true(h_advance(&w)); /* the ESP has stopped */
	assert_int_equal(h_exchange(&w, 0), IKEV2_EXCH_INFORMATIONAL);
	h_run(&w);
	assert_state(&w, 1);
	h_free(&w);
}

/* dpd_action = restart: after the peer is declared dead, the child is
 * initiated again; when the peer is back it comes up. */
static void test_dpd_restart(void **state)
{
	struct h_opts o = {.conn_extra = "dpd_delay = 30s", .child_extra = "dpd_action = restart"};
	struct h_world w;
	struct h_view v;
	size_t n;

	h_init(&w, &o, NULL);
	up(&w, state);
	for (n = 0; n < 20 && !(w.nq && h_exchange(&w, 0) == IKEV2_EXCH_IKE_SA_INIT); n++) {
		while (w.nq)
			h_drop(&w, 0);
		assert_true(h_advance(&w));
		h_jobs(&w); /* the new IKE SA's KE */
	}
	assert_int_equal(h_exchange(&w, 0), IKEV2_EXCH_IKE_SA_INIT); /* moon starts again */
	assert_int_equal(w.p[0].k.nsas, 0);			     /* the dead SAs are gone */
	h_run(&w);
	assert_true(h_view(&w.p[0], &v));
	assert_int_equal(v.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_equal(v.nchildren, 1);
	assert_int_equal(v.child[0].state, CHILD_SA_STATE_INSTALLED);
	assert_int_equal(w.p[0].k.nsas, 2);
	h_free(&w);
}

/* dpd_action = trap: after the peer is declared dead, the CHILD SA is
 * gone and its trap policies (out, in, fwd, marked trap, the child's
 * reqid) are in the kernel, so the next packet negotiates it again; an
 * ACQUIRE for them starts a new IKE SA. */
static void test_dpd_trap(void **state)
{
	struct h_opts o = {.conn_extra = "dpd_delay = 30s", .child_extra = "dpd_action = trap"};
	struct h_world w;
	struct h_view v;
	struct ts src, dst;
	uint32_t reqid;
	size_t n, i;

	h_init(&w, &o, NULL);
	up(&w, state);
	assert_true(h_view(&w.p[0], &v));
	reqid = v.child[0].reqid;
	assert_int_equal(w.p[0].k.npols, 3);
	for (i = 0; i < 3; i++)
		assert_false(w.p[0].k.pols[i].trap);
	for (n = 0; n < 20 && h_sa_count(&w.p[0]); n++) {
		while (w.nq)
			h_drop(&w, 0);
		assert_true(h_advance(&w));
	}
	assert_int_equal(h_sa_count(&w.p[0]), 0);
	assert_int_equal(w.p[0].k.nsas + w.p[0].k.nlarval, 0);
	assert_int_equal(w.p[0].k.npols, 3);
	for (i = 0; i < 3; i++) {
		assert_true(w.p[0].k.pols[i].trap);
		assert_int_equal(w.p[0].k.pols[i].reqid, reqid);
	}
	assert_int_equal(w.nq, 0); /* nothing starts before a packet comes */
	/* the packet: moon's side to sun's */
	assert_int_equal(ts_parse("10.1.0.5/32", &src, NULL, 0), 0);
	assert_int_equal(ts_parse("10.2.0.7/32", &dst, NULL, 0), 0);
	assert_int_equal(ikev2_acquire(w.p[0].e, reqid, &src, &dst, w.now), 0);
	h_jobs(&w);
	assert_int_equal(h_exchange(&w, 0), IKEV2_EXCH_IKE_SA_INIT);
	h_free(&w);
}

#define BOTH(t) cmocka_unit_test_prestate(t, &roles[0]), cmocka_unit_test_prestate(t, &roles[1])

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_child_rekey),
		BOTH(test_child_rekey_pfs),
		BOTH(test_child_rekey_responder_waits),
		BOTH(test_child_rekey_lost),
		BOTH(test_child_rekey_collision),
		BOTH(test_child_rekey_vs_delete),
		BOTH(test_child_rekey_collision_lost),
		BOTH(test_ike_rekey_collision_lost),
		BOTH(test_ike_rekey),
		BOTH(test_ike_rekey_lost),
		BOTH(test_ike_rekey_collision),
		BOTH(test_ike_rekey_vs_child_rekey),
		BOTH(test_ike_rekey_vs_delete),
		BOTH(test_ike_rekey_invalid_ke),
		BOTH(test_lifetimes),
		BOTH(test_jitter),
		BOTH(test_kernel_expire),
		BOTH(test_api_errors),
		BOTH(test_dpd),
		BOTH(test_dpd_esp),
		BOTH(test_dpd_restart),
		BOTH(test_dpd_trap),
	};

	log_set_all(getenv("OAK_TEST_DEBUG") ? LVL_DEBUG : LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
