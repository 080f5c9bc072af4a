/* Exchange tests of IKEv1 signature authentication (RFC 2409 5.1: RSA and,
 * by RFC 4754, ECDSA signatures) in Main Mode and Aggressive Mode, with the
 * PKI of tests/vectors/certs/ (gen.sh): root CA -> intermediate -> rsa,
 * ecdsa, user (ECDSA P-256 all but rsa); evil from an untrusted CA. IKEv1
 * has one authentication method per SA, so both ends use the same key type.
 * Every test runs twice: moon initiates, then sun. */
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

struct side {
	const char *cert; /* file in x509/ */
	const char *id;
};

struct cert_case {
	struct side moon, sun;
	const char *conn_extra; /* both: "aggressive = yes" */
	char certs[2][96];
	struct h_opts o[2];
};

static void cert_init(struct h_world *w, struct cert_case *c)
{
	const struct side *s[2] = {&c->moon, &c->sun};
	int i;

	for (i = 0; i < 2; i++) {
		struct h_opts *o = &c->o[i];

		memset(o, 0, sizeof(*o));
		o->auth = "pubkey";
		o->local_id = s[i]->id;
		o->remote_id = s[!i]->id;
		snprintf(c->certs[i], sizeof(c->certs[i]), "certs = %s", s[i]->cert);
		o->extra_local = c->certs[i];
		o->conn_extra = c->conn_extra;
	}
	h_init(w, &c->o[0], &c->o[1]);
}

static void want_line(const char *s)
{
	if (!logcap_contains(s))
		fail_msg("no line with '%s' in:\n%s", s, logcap_text());
}

static void assert_established(struct h_world *w, const struct cert_case *c)
{
	struct h_view a, b;

	assert_int_equal(h_views(&w->p[0], &a, 1), 1);
	assert_int_equal(h_views(&w->p[1], &b, 1), 1);
	assert_int_equal(a.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_equal(b.state, IKE_SA_STATE_ESTABLISHED);
	assert_memory_equal(a.spi_i, b.spi_i, 8);
	assert_memory_equal(a.spi_r, b.spi_r, 8);
	assert_string_equal(a.remote_id, c->sun.id);
	assert_string_equal(b.remote_id, c->moon.id);
	assert_int_equal(h_assert_child_pairs(w), 1);
	assert_int_equal(w->p[0].nkeylog, 1);
	th_assert_bytes(w->p[0].keylog[0].enc_key, w->p[0].keylog[0].len, w->p[1].keylog[0].enc_key,
			w->p[1].keylog[0].len, "Phase 1 cipher key");
}

static void establish(void **state, struct cert_case *c, uint8_t xchg, const char *const *want)
{
	struct h_world w;

	cert_init(&w, c);
	assert_int_equal(ikev1_initiate(INI(&w, state)->e, "gw", NULL, w.now, NULL), 0);
	h_jobs(&w);
	assert_int_equal(w.nq, 1);
	assert_int_equal(h_exchange(&w, 0), xchg);
	h_run(&w);
	assert_established(&w, c);
	for (; *want; want++)
		want_line(*want);
	h_free(&w);
}

/* ECDSA P-256 on both ends (RFC 4754 method 9): an FQDN and an RFC822 ID. */
static void test_main_mode_ecdsa(void **state)
{
	struct cert_case c = {.moon = {"ecdsa.pem", "ecdsa.oak.test"},
			      .sun = {"user.pem", "user@oak.test"}};
	static const char *const want[] = {"established with 192.0.2.", "Main Mode", NULL};

	establish(state, &c, ISAKMP_XCHG_IDPROT, want);
}

static void test_aggressive_ecdsa(void **state)
{
	struct cert_case c = {.moon = {"ecdsa.pem", "ecdsa.oak.test"},
			      .sun = {"user.pem", "user@oak.test"},
			      .conn_extra = "aggressive = yes"};
	static const char *const want[] = {"Aggressive Mode", NULL};

	establish(state, &c, ISAKMP_XCHG_AGGR, want);
}

/* IKEv1 negotiates one authentication method for both ends (RFC 2409 5):
 * an RSA end and an ECDSA end cannot agree. The refusal is clean and says
 * why; nothing is installed. */
static void test_rsa_with_ecdsa_refused(void **state)
{
	struct cert_case c = {.moon = {"rsa.pem", "rsa.oak.test"},
			      .sun = {"ecdsa.pem", "ecdsa.oak.test"}};
	struct h_world w;

	cert_init(&w, &c);
	logcap_start(); /* without the store's load notices */
	assert_int_equal(ikev1_initiate(INI(&w, state)->e, "gw", NULL, w.now, NULL), 0);
	h_run(&w);
	while (h_advance(&w))
		h_run(&w);
	assert_int_equal(h_count_state(&w.p[0], IKE_SA_STATE_ESTABLISHED), 0);
	assert_int_equal(h_count_state(&w.p[1], IKE_SA_STATE_ESTABLISHED), 0);
	assert_int_equal(w.p[0].k.nsas + w.p[1].k.nsas, 0);
	/* the responder refuses the method its key cannot do, in message 1 */
	assert_int_equal(RES(&w, state)->nkeylog, 0);
	want_line("NO-PROPOSAL-CHOSEN");
	h_free(&w);
}

/* A peer whose certificate chains to no trusted CA is refused by the other
 * end; nothing is installed anywhere. */
static void test_untrusted_peer(void **state)
{
	struct cert_case c = {.moon = {"evil.pem", "evil.oak.test"},
			      .sun = {"user.pem", "user@oak.test"}};
	struct h_world w;

	cert_init(&w, &c);
	logcap_start(); /* without the store's load notices */
	assert_int_equal(ikev1_initiate(INI(&w, state)->e, "gw", NULL, w.now, NULL), 0);
	h_run(&w);
	while (h_advance(&w))
		h_run(&w);
	assert_int_equal(h_count_state(&w.p[1], IKE_SA_STATE_ESTABLISHED), 0);
	assert_int_equal(w.p[0].k.nsas + w.p[1].k.nsas, 0);
	/* the responder names the certificate and why it is not trusted */
	want_line("AUTHENTICATION-FAILED");
	want_line("CN=evil.oak.test");
	h_free(&w);
}

/* The peer's certificate is good but not for the ID it claims. */
static void test_id_not_in_cert(void **state)
{
	struct cert_case c = {.moon = {"user.pem", "ecdsa.oak.test"},
			      .sun = {"ecdsa.pem", "user@oak.test"}};
	struct h_world w;

	cert_init(&w, &c);
	logcap_start(); /* without the store's load notices */
	assert_int_equal(ikev1_initiate(INI(&w, state)->e, "gw", NULL, w.now, NULL), 0);
	h_run(&w);
	while (h_advance(&w))
		h_run(&w);
	assert_int_equal(h_count_state(&w.p[1], IKE_SA_STATE_ESTABLISHED), 0);
	assert_int_equal(w.p[0].k.nsas + w.p[1].k.nsas, 0);
	want_line("AUTHENTICATION-FAILED");
	want_line("ecdsa.oak.test");
	h_free(&w);
}

#define BOTH(t) cmocka_unit_test_prestate(t, &roles[0]), cmocka_unit_test_prestate(t, &roles[1])

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_main_mode_ecdsa),	   BOTH(test_aggressive_ecdsa),
		BOTH(test_rsa_with_ecdsa_refused), BOTH(test_untrusted_peer),
		BOTH(test_id_not_in_cert),
	};

	log_set_all(getenv("OAK_TEST_DEBUG") ? LVL_DEBUG : LVL_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
