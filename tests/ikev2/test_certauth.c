/* Exchange tests of certificate authentication (RFC 7296 2.15, 3.6-3.8,
 * RFC 7427, RFC 4754) with the PKI of tests/vectors/certs/ (gen.sh): root
 * CA -> intermediate -> rsa, ecdsa, ed25519, user, expired; evil from an
 * untrusted CA. Every test runs twice: moon initiates, then sun. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/log.h"
#include "wire/names.h"

static int roles[2] = {0, 1};

#define INI(w, st) (&(w)->p[*(int *)*(st)])
#define RES(w, st) (&(w)->p[!*(int *)*(st)])

/* One peer's side: its certificate file, the ID it sends, and the ID the
 * other expects of it. */
struct side {
	const char *cert; /* NULL: PSK */
	const char *id;
};

struct certs_case {
	struct side moon, sun;
	const char *moon_remote_extra, *sun_remote_extra;
	const char *moon_expects;     /* the ID moon expects of sun; NULL: sun.id */
	const char *moon_remote_auth; /* what moon expects of sun; NULL: by sun.cert */
	char lines[4][160];
	struct h_opts o[2];
};

static void side_opts(struct certs_case *c, int idx, const struct side *me,
		      const struct side *other, const char *remote_extra)
{
	struct h_opts *o = &c->o[idx];

	memset(o, 0, sizeof(*o));
	o->local_auth = me->cert ? "pubkey" : "psk";
	o->remote_auth = other->cert ? "pubkey" : "psk";
	o->local_id = me->id;
	o->remote_id = other->id;
	if (me->cert) {
		snprintf(c->lines[idx], sizeof(c->lines[idx]), "certs = %s", me->cert);
		o->extra_local = c->lines[idx];
	}
	o->extra_remote = remote_extra;
	/* a PSK for whatever pair of IDs the PSK side uses */
	snprintf(c->lines[2 + idx], sizeof(c->lines[2 + idx]),
		 "ike-2 { secret = s3cret-pre-shared-key\n id-1 = %s\n id-2 = %s }", me->id,
		 other->id);
	o->secrets = c->lines[2 + idx];
}

static void cert_init(struct h_world *w, struct certs_case *c)
{
	side_opts(c, 0, &c->moon, &c->sun, c->moon_remote_extra);
	side_opts(c, 1, &c->sun, &c->moon, c->sun_remote_extra);
	if (c->moon_expects)
		c->o[0].remote_id = c->moon_expects;
	if (c->moon_remote_auth)
		c->o[0].remote_auth = c->moon_remote_auth;
	h_init(w, &c->o[0], &c->o[1]);
}

static void assert_established(struct h_world *w)
{
	struct h_view a, b;

	assert_true(h_view(&w->p[0], &a));
	assert_true(h_view(&w->p[1], &b));
	assert_int_equal(a.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_equal(b.state, IKE_SA_STATE_ESTABLISHED);
	assert_memory_equal(a.spi_i, b.spi_i, 8);
	assert_memory_equal(a.spi_r, b.spi_r, 8);
	assert_int_equal(h_assert_child_pairs(w), 1);
}

static void assert_nothing(struct h_world *w)
{
	int i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(h_sa_count(&w->p[i]), 0);
		assert_int_equal(w->p[i].k.nsas, 0);
		assert_int_equal(w->p[i].k.nlarval, 0);
		assert_int_equal(w->p[i].k.npols, 0);
	}
}

static void want_line(const char *s)
{
	if (!logcap_contains(s))
		fail_msg("no line with '%s' in:\n%s", s, logcap_text());
}

/* Establish with moon and sun as given; `want` (NULL-terminated) must be
 * in the log. rfc7427_ini: whether the initiator announces RFC 7427. */
static void establish(void **state, struct certs_case *c, bool rfc7427_ini, const char *const *want)
{
	struct h_world w;

	cert_init(&w, c);
	ikev2_engine_set_rfc7427(INI(&w, state)->e, rfc7427_ini);
	logcap_start();
	assert_int_equal(ikev2_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	h_run(&w);
	logcap_stop();
	assert_established(&w);
	for (; *want; want++)
		want_line(*want);
	h_free(&w);
}

/* --- established --- */

static void test_rsa_ecdsa_rfc7427(void **state)
{
	struct certs_case c = {.moon = {"rsa.pem", "rsa.oak.test"},
			       .sun = {"ecdsa.pem", "ecdsa.oak.test"}};
	static const char *const want[] = {
		"peer 'rsa.oak.test' authenticated by certificate 'C=CH, O=oak, "
		"CN=rsa.oak.test' (RSA_PKCS1_SHA256)",
		"peer 'ecdsa.oak.test' authenticated by certificate 'C=CH, O=oak, "
		"CN=ecdsa.oak.test' (ECDSA_SHA256)",
		NULL};

	establish(state, &c, true, want);
}

/* RFC 8420: Ed25519 signs the octets themselves (hash Identity); the other
 * side sends its subject DN as ID (no id configured). */
static void test_ed25519_and_dn(void **state)
{
	struct certs_case c = {.moon = {"ed25519.pem", "ed25519.oak.test"},
			       .sun = {"ecdsa.pem", "C=CH, O=oak, CN=ecdsa.oak.test"}};
	static const char *const want[] = {
		"peer 'ed25519.oak.test' authenticated by certificate 'C=CH, O=oak, "
		"CN=ed25519.oak.test' (ED25519)",
		"peer 'C=CH, O=oak, CN=ecdsa.oak.test' authenticated", NULL};

	establish(state, &c, true, want);
}

/* An RFC822 ID (the "user" certificate) with ECDSA. */
static void test_rfc822_id(void **state)
{
	struct certs_case c = {.moon = {"user.pem", "user@oak.test"},
			       .sun = {"rsa.pem", "rsa.oak.test"}};
	static const char *const want[] = {"peer 'user@oak.test' authenticated by certificate "
					   "'C=CH, O=oak, CN=user' (ECDSA_SHA256)",
					   NULL};

	establish(state, &c, true, want);
}

/* Without SIGNATURE_HASH_ALGORITHMS: RFC 7296 method 1 (RSA, SHA-1) and RFC
 * 4754 method 9 (ECDSA P-256) on both sides. */
static void test_classic_methods(void **state)
{
	struct certs_case c = {.moon = {"rsa.pem", "rsa.oak.test"},
			       .sun = {"ecdsa.pem", "ecdsa.oak.test"}};
	static const char *const want[] = {"CN=rsa.oak.test' (RSA_PKCS1_SHA1)",
					   "CN=ecdsa.oak.test' (ECDSA_P256_RS)", NULL};

	establish(state, &c, false, want);
}

/* Asymmetric: moon proves itself with its certificate, sun with the PSK. */
static void test_mixed_psk_pubkey(void **state)
{
	struct certs_case c = {.moon = {"rsa.pem", "rsa.oak.test"},
			       .sun = {NULL, "sun.example.org"}};
	static const char *const want[] = {"peer 'rsa.oak.test' authenticated by certificate",
					   NULL};

	establish(state, &c, true, want);
}

/* Ed25519 has no classic method: to a peer that announced nothing, the
 * Ed25519 side cannot sign, and says why. */
static void test_ed25519_needs_rfc7427(void **state)
{
	struct certs_case c = {.moon = {"rsa.pem", "rsa.oak.test"},
			       .sun = {"ed25519.pem", "ed25519.oak.test"}};
	struct h_world w;

	cert_init(&w, &c);
	ikev2_engine_set_rfc7427(w.p[0].e, false);
	ikev2_engine_set_rfc7427(w.p[1].e, false);
	logcap_start();
	assert_int_equal(ikev2_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	h_run(&w);
	while (h_advance(&w))
		h_run(&w);
	logcap_stop();
	want_line("cannot sign with our ED25519 key: the peer did not send "
		  "SIGNATURE_HASH_ALGORITHMS");
	assert_nothing(&w);
	h_free(&w);
}

/* --- refused --- */

/* Run with sun as the peer to refuse; moon logs `why`; both sides end
 * with nothing, and the refused side heard AUTHENTICATION_FAILED. */
static void refuse(void **state, struct certs_case *c, const char *why,
		   void (*tamper)(struct ikev2_payload *p, void *ctx))
{
	struct h_world w;
	bool sun_ini = *(int *)*state == 1;
	int n = 0;

	cert_init(&w, c);
	logcap_start();
	assert_int_equal(ikev2_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	/* sun's IKE_AUTH message (request or response) on its way to moon */
	while (tamper && !(w.nq && h_exchange(&w, 0) == IKEV2_EXCH_IKE_AUTH &&
			   h_is_response(&w, 0) != sun_ini)) {
		assert_true(h_step(&w));
		assert_true(++n < 100);
	}
	if (tamper)
		h_reseal(&w, 0, tamper, NULL);
	h_run(&w);
	logcap_stop();
	want_line(why);
	want_line(sun_ini ? "IKE_AUTH failed: the peer answered AUTHENTICATION_FAILED"
			  : "the peer refused our authentication (AUTHENTICATION_FAILED)");
	assert_nothing(&w);
	h_free(&w);
}

static void test_expired(void **state)
{
	struct certs_case c = {.moon = {"rsa.pem", "rsa.oak.test"},
			       .sun = {"expired.pem", "expired.oak.test"}};

	refuse(state, &c,
	       "the peer's certificate is not accepted: certificate 'C=CH, O=oak, "
	       "CN=expired.oak.test' expired on 2021-01-01",
	       NULL);
}

static void test_unknown_ca(void **state)
{
	struct certs_case c = {.moon = {"rsa.pem", "rsa.oak.test"},
			       .sun = {"evil.pem", "evil.oak.test"}};

	refuse(state, &c,
	       "the peer's certificate is not accepted: no trusted CA for issuer 'CN=Evil CA' "
	       "of 'C=CH, O=evil, CN=evil.oak.test'",
	       NULL);
}

/* sun holds the ecdsa certificate but claims to be rsa.oak.test. */
static void claim_rsa(struct ikev2_payload *p, void *ctx)
{
	static const char id[] = "rsa.oak.test";

	(void)ctx;
	if (p->type == IKEV2_PL_IDI || p->type == IKEV2_PL_IDR)
		p->id.data = (struct span){(const uint8_t *)id, sizeof(id) - 1};
}

static void test_id_not_in_cert(void **state)
{
	struct certs_case c = {.moon = {"rsa.pem", "rsa.oak.test"},
			       .sun = {"ecdsa.pem", "ecdsa.oak.test"},
			       .moon_expects = "*.oak.test"}; /* no IDr sent for a wildcard */

	refuse(state, &c,
	       "peer ID 'rsa.oak.test' is not in its certificate 'C=CH, O=oak, "
	       "CN=ecdsa.oak.test'",
	       claim_rsa);
}

/* One bit of sun's signature flipped (the message sealed again with its
 * keys, so the ICV holds and the AUTH is what fails). */
static void flip_auth(struct ikev2_payload *p, void *ctx)
{
	static uint8_t buf[1024];

	(void)ctx;
	if (p->type != IKEV2_PL_AUTH)
		return;
	assert_true(p->auth.data.len <= sizeof(buf));
	memcpy(buf, p->auth.data.p, p->auth.data.len);
	buf[p->auth.data.len - 1] ^= 0x01;
	p->auth.data.p = buf;
}

static void test_tampered_auth(void **state)
{
	struct certs_case c = {.moon = {"rsa.pem", "rsa.oak.test"},
			       .sun = {"ecdsa.pem", "ecdsa.oak.test"}};

	refuse(state, &c,
	       "signature (ECDSA_SHA256) does not verify with the key of 'C=CH, O=oak, "
	       "CN=ecdsa.oak.test'",
	       flip_auth);
}

/* remote.cacerts: moon accepts only certificates from the Evil CA. */
static void test_cacerts_constraint(void **state)
{
	static char line[1200];
	struct certs_case c = {.moon = {"rsa.pem", "rsa.oak.test"},
			       .sun = {"ecdsa.pem", "ecdsa.oak.test"}};

	snprintf(line, sizeof(line), "cacerts = \"%s\"",
		 th_src_path("tests/vectors/certs/other/evil-ca.pem"));
	c.moon_remote_extra = line;
	refuse(state, &c,
	       "the peer's certificate 'C=CH, O=oak, CN=ecdsa.oak.test' chains to 'CN=oak Root "
	       "CA', not through a CA of remote.cacerts",
	       NULL);
}

/* The PSK side refuses a peer that signs instead. */
static void test_psk_expected_got_signature(void **state)
{
	struct certs_case c = {.moon = {NULL, "moon.example.org"},
			       .sun = {"ecdsa.pem", "ecdsa.oak.test"},
			       .moon_remote_auth = "psk"};

	refuse(state, &c, "peer 'ecdsa.oak.test' authenticates with method 14, we expect PSK (2)",
	       NULL);
}

#define BOTH(t) cmocka_unit_test_prestate(t, &roles[0]), cmocka_unit_test_prestate(t, &roles[1])

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_rsa_ecdsa_rfc7427),
		BOTH(test_ed25519_and_dn),
		BOTH(test_rfc822_id),
		BOTH(test_classic_methods),
		BOTH(test_mixed_psk_pubkey),
		BOTH(test_ed25519_needs_rfc7427),
		BOTH(test_expired),
		BOTH(test_unknown_ca),
		BOTH(test_id_not_in_cert),
		BOTH(test_tampered_auth),
		BOTH(test_cacerts_constraint),
		BOTH(test_psk_expected_got_signature),
	};

	log_set_all(getenv("OAK_TEST_DEBUG") ? LVL_DEBUG : LVL_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
