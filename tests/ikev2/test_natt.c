/* Exchange tests of NAT traversal (RFC 7296 2.23, RFC 3948): a NAPT in the
 * fake net (harness.h), encap = yes without a NAT, no NAT. The initiator
 * floats to the NAT-T port before IKE_AUTH, the responder follows, ESP SAs
 * carry the UDP encapsulation ports. Every test runs twice: moon initiates,
 * then sun. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/log.h"

static int roles[2] = {0, 1};

#define INI(w, st) (&(w)->p[*(int *)*(st)])
#define RES(w, st) (&(w)->p[!*(int *)*(st)])

static void initiate(struct h_world *w, struct h_peer *ini, const char *child)
{
	assert_int_equal(ikev2_initiate(ini->e, "gw", child, w->now, NULL), 0);
}

/* Both sides have one ESTABLISHED IKE SA with the same SPIs. */
static void assert_established(struct h_world *w)
{
	struct h_view a, b;

	assert_true(h_view(&w->p[0], &a));
	assert_true(h_view(&w->p[1], &b));
	assert_int_equal(a.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_equal(b.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_not_equal(a.initiator, b.initiator);
	assert_memory_equal(a.spi_i, b.spi_i, 8);
	assert_memory_equal(a.spi_r, b.spi_r, 8);
	assert_int_equal(h_sa_count(&w->p[0]), 1);
	assert_int_equal(h_sa_count(&w->p[1]), 1);
}

static void assert_nothing(struct h_world *w)
{
	int i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(h_sa_count(&w->p[i]), 0);
		assert_int_equal(w->p[i].k.nsas, 0);
		assert_int_equal(w->p[i].k.nlarval, 0);
		assert_int_equal(w->p[i].k.npols, 0);
		assert_int_equal(w->p[i].k.errors, 0);
	}
}

/* Step until the first queued datagram is a response of exch. */
static void run_until_response(struct h_world *w, uint8_t exch)
{
	int n = 0;

	while (!(w->nq && h_exchange(w, 0) == exch && h_is_response(w, 0))) {
		assert_true(h_step(w));
		assert_true(++n < 100);
	}
}

/* Every kernel SA of p is ESP in UDP sport -> dport (0 -> 0: plain ESP). */
static void assert_encap(const struct h_peer *p, uint16_t sport, uint16_t dport)
{
	size_t i;

	assert_true(p->k.nsas > 0);
	for (i = 0; i < p->k.nsas; i++)
		if (p->k.sas[i].encap_sport != sport || p->k.sas[i].encap_dport != dport)
			fail_msg("%s: SA %08x has encap %u -> %u, expected %u -> %u", p->name,
				 p->k.sas[i].spi, p->k.sas[i].encap_sport, p->k.sas[i].encap_dport,
				 sport, dport);
}

/* Step until the first queued datagram is a request of exch. */
static void run_until_request(struct h_world *w, uint8_t exch)
{
	int n = 0;

	while (!(w->nq && h_exchange(w, 0) == exch && !h_is_response(w, 0))) {
		assert_true(h_step(w));
		assert_true(++n < 100);
	}
}

/* The first queued datagram goes from port `from` to port `to`, with the
 * non-ESP marker exactly when one of them is 4500. */
static void assert_ports(const struct h_world *w, uint16_t from, uint16_t to)
{
	const struct h_dgram *d = &w->q[0];

	assert_true(w->nq > 0);
	if (d->from.port != from || d->to.port != to)
		fail_msg("datagram %u -> %u, expected %u -> %u", d->from.port, d->to.port, from,
			 to);
	assert_int_equal(d->marker, from == H_NAT_T_PORT || to == H_NAT_T_PORT);
}

/* IKE_SA_INIT on 500, the rest on 4500: the IKE_AUTH request, then a Delete
 * sent by `deleter`. to_ini: the port the responder sends to. */
static void nat_t_run(struct h_world *w, void **state, struct h_peer *deleter, uint16_t to_ini)
{
	struct h_peer *ini = INI(w, state), *res = RES(w, state);
	struct h_view v;

	initiate(w, ini, "net");
	h_jobs(w);
	assert_ports(w, 500, 500);
	run_until_request(w, IKEV2_EXCH_IKE_AUTH);
	assert_ports(w, H_NAT_T_PORT, H_NAT_T_PORT);
	run_until_response(w, IKEV2_EXCH_IKE_AUTH);
	assert_ports(w, H_NAT_T_PORT, to_ini);
	h_run(w);
	assert_established(w);
	assert_int_equal(h_assert_child_pairs(w), 1);
	assert_int_equal(ini->sent_nat_t, 1);
	assert_int_equal(res->sent_nat_t, 1);
	assert_true(h_view(deleter, &v));
	assert_int_equal(ikev2_terminate(deleter->e, v.serial, w->now), 0);
	assert_int_equal(w->nq, 1);
	assert_ports(w, H_NAT_T_PORT, deleter == ini ? H_NAT_T_PORT : to_ini);
	h_run(w);
	assert_int_equal(ini->sent_nat_t, ini->sent - 1);
	assert_int_equal(res->sent_nat_t, res->sent - 1);
}

/* A NAPT in front of the initiator (remote access): both see it in the
 * NAT_D hashes, the initiator floats to 4500 before IKE_AUTH, the responder
 * follows to the NAT's mapping of 4500, ESP goes in UDP. */
static void test_nat_in_front_of_initiator(void **state)
{
	struct h_world w;
	struct h_peer *ini, *res;
	uint16_t mapped = H_NAT_T_PORT + 1000;

	h_init(&w, NULL, NULL);
	ini = INI(&w, state);
	res = RES(&w, state);
	w.nat_shift[ini->idx] = 1000;
	logcap_start();
	initiate(&w, ini, "net");
	run_until_response(&w, IKEV2_EXCH_IKE_AUTH);
	h_run(&w);
	logcap_stop();
	if (!logcap_contains("NAT detected (in front of us)") ||
	    !logcap_contains("NAT detected (in front of the peer)") ||
	    !logcap_contains("floating to UDP 4500 -> 4500 (NAT-T)"))
		fail_msg("log:\n%s", logcap_text());
	assert_established(&w);
	assert_encap(ini, H_NAT_T_PORT, H_NAT_T_PORT);
	assert_encap(res, H_NAT_T_PORT, mapped);
	/* RFC 3948 2.3: the end behind the NAT keeps its mapping open with a
	 * NAT-keepalive every daemon.keep_alive (20 s by default); the other
	 * end, not behind one, sends none */
	{
		uint64_t t0 = w.now;

		while (ini->keepalives < 3 && h_advance(&w) && w.now < t0 + 70000)
			;
		assert_int_equal(ini->keepalives, 3);
		assert_int_equal(ini->keepalive_at - t0, 60000);
		assert_int_equal(res->keepalives, 0);
	}
	h_free(&w);

	/* the messages, one by one, and a Delete from either side */
	h_init(&w, NULL, NULL);
	w.nat_shift[INI(&w, state)->idx] = 1000;
	nat_t_run(&w, state, RES(&w, state), mapped);
	assert_nothing(&w);
	h_free(&w);
	h_init(&w, NULL, NULL);
	w.nat_shift[INI(&w, state)->idx] = 1000;
	nat_t_run(&w, state, INI(&w, state), mapped);
	assert_nothing(&w);
	h_free(&w);
}

/* encap = yes on either side, no NAT: the faked NAT_DETECTION_SOURCE_IP
 * makes the other side see a NAT; both float and encapsulate on 4500. */
static void test_nat_encap_forced(void **state)
{
	struct h_opts forced = {.conn_extra = "encap = yes"};
	int side;

	for (side = 0; side < 2; side++) {
		struct h_world w;
		struct h_peer *p;
		int r = *(int *)*state, f = side == 0 ? r : !r; /* f: the peer with encap */

		logcap_start();
		h_init(&w, f == 0 ? &forced : NULL, f == 1 ? &forced : NULL);
		p = &w.p[f];
		initiate(&w, INI(&w, state), "net");
		h_run(&w);
		logcap_stop();
		if (!logcap_contains("no NAT detected, NAT-T forced (encap = yes)") ||
		    !logcap_contains("NAT detected (in front of the peer)") ||
		    logcap_contains("in front of us"))
			fail_msg("encap = yes on %s:\n%s", p->name, logcap_text());
		assert_established(&w);
		assert_int_equal(h_assert_child_pairs(&w), 1);
		assert_encap(&w.p[0], H_NAT_T_PORT, H_NAT_T_PORT);
		assert_encap(&w.p[1], H_NAT_T_PORT, H_NAT_T_PORT);
		assert_int_equal(INI(&w, state)->sent_nat_t, 1);
		assert_int_equal(RES(&w, state)->sent_nat_t, 1);
		h_free(&w);

		h_init(&w, f == 0 ? &forced : NULL, f == 1 ? &forced : NULL);
		nat_t_run(&w, state, &w.p[f], H_NAT_T_PORT);
		assert_nothing(&w);
		h_free(&w);
	}
}

/* No NAT, no encap: everything stays on 500, ESP is not encapsulated. */
static void test_no_nat(void **state)
{
	struct h_world w;
	struct h_view v;

	logcap_start();
	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state), "net");
	run_until_request(&w, IKEV2_EXCH_IKE_AUTH);
	assert_ports(&w, 500, 500);
	h_run(&w);
	logcap_stop();
	assert_false(logcap_contains("NAT"));
	assert_established(&w);
	assert_encap(&w.p[0], 0, 0);
	assert_encap(&w.p[1], 0, 0);
	assert_true(h_view(INI(&w, state), &v));
	assert_int_equal(ikev2_terminate_child(INI(&w, state)->e, v.child[0].serial, w.now), 0);
	assert_ports(&w, 500, 500);
	h_run(&w);
	assert_int_equal(w.p[0].sent_nat_t + w.p[1].sent_nat_t, 0);
	assert_int_equal(w.p[0].sent + w.p[1].sent, 6);
	h_free(&w);
}

/* NAT detected but no NAT-T socket (daemon.port_nat_t = 0): no float, and
 * ESP is not put in UDP on port 500 (RFC 7296 2.23), with a warning. */
static void test_nat_without_nat_t_port(void **state)
{
	struct h_world w;
	struct h_opts no_nat_t = {.daemon = "port_nat_t = 0"};
	struct h_peer *ini;

	logcap_start();
	h_init(&w, &no_nat_t, &no_nat_t);
	ini = INI(&w, state);
	w.nat_shift[ini->idx] = 1000;
	initiate(&w, ini, "net");
	h_run(&w);
	logcap_stop();
	if (!logcap_contains("daemon.port_nat_t is 0: staying on port 500") ||
	    !logcap_contains("ESP is not encapsulated"))
		fail_msg("log:\n%s", logcap_text());
	assert_established(&w);
	assert_encap(&w.p[0], 0, 0);
	assert_encap(&w.p[1], 0, 0);
	assert_int_equal(w.p[0].sent_nat_t + w.p[1].sent_nat_t, 0);
	h_free(&w);
}

#define BOTH(t) cmocka_unit_test_prestate(t, &roles[0]), cmocka_unit_test_prestate(t, &roles[1])

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_nat_in_front_of_initiator),
		BOTH(test_nat_encap_forced),
		BOTH(test_no_nat),
		BOTH(test_nat_without_nat_t_port),
	};

	log_set_all(getenv("OAK_TEST_DEBUG") ? LVL_DEBUG : LVL_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
