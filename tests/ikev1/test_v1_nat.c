/* Exchange tests of IKEv1 NAT traversal in Quick Mode (RFC 3947): the
 * initiator sits behind a NAPT (harness.h: its datagrams come from
 * 198.51.100.9, ports + 1000). In transport mode both ends send NAT-OAi and
 * NAT-OAr (5.2) and hand the peer's original address to the kernel with the
 * UDP encapsulation (RFC 3948 3.1.2 checksum fix-up); in tunnel mode, or
 * without a NAT, nobody does. Every test runs twice: moon initiates, then
 * sun. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/log.h"
#include "wire/ikev1.h"

static int roles[2] = {0, 1};

#define INI(w, st) (&(w)->p[*(int *)*(st)])
#define RES(w, st) (&(w)->p[!*(int *)*(st)])

#define NAT_PUB "198.51.100.9"

struct nat_case {
	char ts[2][2][32];
	struct h_opts o[2];
};

/* Host-to-host between the real addresses; the responder takes the
 * initiator from any address. nat: the initiator is behind the NAPT. */
static void nat_init(struct h_world *w, struct nat_case *c, int ini, const char *mode, bool nat)
{
	static const char *const addr[2] = {"192.0.2.1", "192.0.2.2"};
	int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < 2; i++) {
		struct h_opts *o = &c->o[i];

		snprintf(c->ts[i][0], sizeof(c->ts[i][0]), "%s/32", addr[i]);
		snprintf(c->ts[i][1], sizeof(c->ts[i][1]), "%s/32", addr[!i]);
		o->local_ts = c->ts[i][0];
		o->remote_ts = c->ts[i][1];
		o->mode = mode;
	}
	c->o[!ini].remote_addrs = "%any";
	h_init(w, &c->o[0], &c->o[1]);
	if (nat) {
		assert_int_equal(ip_addr_parse(NAT_PUB, &w->nat_pub[ini]), 0);
		w->nat_shift[ini] = 1000;
	}
}

static void want_line(const char *s)
{
	if (!logcap_contains(s))
		fail_msg("no line with '%s' in:\n%s", s, logcap_text());
}

/* Both ends established with one IPsec SA pair of this mode; the pair's
 * SPIs match across the kernels. */
static void assert_pair(struct h_world *w, enum kernel_mode mode)
{
	struct h_view a, b;
	int i;

	assert_true(h_view(&w->p[0], &a));
	assert_true(h_view(&w->p[1], &b));
	assert_int_equal(a.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_equal(b.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_equal(a.nchildren, 1);
	assert_int_equal(b.nchildren, 1);
	assert_int_equal(a.child[0].spi_in, b.child[0].spi_out);
	assert_int_equal(a.child[0].spi_out, b.child[0].spi_in);
	for (i = 0; i < 2; i++) {
		assert_int_equal(w->p[i].k.nsas, 2);
		assert_int_equal(w->p[i].k.sas[0].mode, mode);
		assert_int_equal(w->p[i].k.sas[1].mode, mode);
	}
}

static void assert_addr(const struct ip_addr *a, const char *want)
{
	char buf[IP_ADDR_STRLEN];

	assert_int_not_equal(a->family, 0);
	assert_string_equal(ip_addr_fmt(a, buf, sizeof(buf)), want);
}

/* Transport mode behind a NAT: each end learns the other's original
 * address from NAT-OA and gives it to the kernel with the UDP
 * encapsulation on port 4500. The responder's kernel gets the initiator's
 * private address, not the NAT's. */
static void test_natoa_transport(void **state)
{
	struct h_world w;
	struct nat_case c;
	int ini = *(int *)*state;
	const char *real[2] = {"192.0.2.1", "192.0.2.2"};
	size_t k;

	nat_init(&w, &c, ini, "transport", true);
	assert_int_equal(ikev1_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	h_run(&w);
	assert_pair(&w, KERNEL_MODE_TRANSPORT);
	want_line("NAT detected");
	want_line("NAT-OA: the peer's original address is 192.0.2.1");
	want_line("NAT-OA: the peer's original address is 192.0.2.2");
	for (k = 0; k < 2; k++) {
		const struct h_ksa *s = &RES(&w, state)->k.sas[k];

		assert_int_equal(s->encap_sport, 4500);
		assert_int_equal(s->encap_dport, 5500); /* the NAPT's port */
		assert_addr(&s->encap_oa, real[ini]);
		s = &INI(&w, state)->k.sas[k];
		assert_int_equal(s->encap_sport, 4500);
		assert_int_equal(s->encap_dport, 4500);
		assert_addr(&s->encap_oa, real[!ini]);
	}
	/* the responder's SAs run between the addresses it sees */
	assert_addr(RES(&w, state)->k.sas[0].inbound ? &RES(&w, state)->k.sas[0].src
						     : &RES(&w, state)->k.sas[0].dst,
		    NAT_PUB);
	h_free(&w);
}

/* Tunnel mode behind the same NAT: encapsulated, but no NAT-OA (RFC 3947
 * 5.2: "For tunnel mode, both ends SHOULD NOT send original addresses"). */
static void test_natoa_not_in_tunnel(void **state)
{
	struct h_world w;
	struct nat_case c;
	size_t i, k;

	nat_init(&w, &c, *(int *)*state, "tunnel", true);
	assert_int_equal(ikev1_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	h_run(&w);
	assert_pair(&w, KERNEL_MODE_TUNNEL);
	assert_false(logcap_contains("NAT-OA"));
	for (i = 0; i < 2; i++)
		for (k = 0; k < 2; k++) {
			assert_int_equal(w.p[i].k.sas[k].encap_sport, 4500);
			assert_int_equal(w.p[i].k.sas[k].encap_oa.family, 0);
		}
	h_free(&w);
}

/* Transport mode without a NAT: no encapsulation, no NAT-OA. */
static void test_natoa_not_without_nat(void **state)
{
	struct h_world w;
	struct nat_case c;
	size_t i, k;

	nat_init(&w, &c, *(int *)*state, "transport", false);
	assert_int_equal(ikev1_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	h_run(&w);
	assert_pair(&w, KERNEL_MODE_TRANSPORT);
	assert_false(logcap_contains("NAT detected"));
	assert_false(logcap_contains("NAT-OA"));
	for (i = 0; i < 2; i++)
		for (k = 0; k < 2; k++) {
			assert_int_equal(w.p[i].k.sas[k].encap_sport, 0);
			assert_int_equal(w.p[i].k.sas[k].encap_oa.family, 0);
		}
	h_free(&w);
}

#define BOTH(t) cmocka_unit_test_prestate(t, &roles[0]), cmocka_unit_test_prestate(t, &roles[1])

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_natoa_transport),
		BOTH(test_natoa_not_in_tunnel),
		BOTH(test_natoa_not_without_nat),
	};

	log_set_all(getenv("OAK_TEST_DEBUG") ? LVL_DEBUG : LVL_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
