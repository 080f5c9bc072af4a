/* Exchange tests of the IKEv2 engine: two engines in one process with the
 * fakes of harness.h. Every test runs twice: moon initiates, then sun. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ikev2/exchange.h"
#include "lib/builder.h"
#include "lib/log.h"
#include "wire/names.h"

static int roles[2] = {0, 1};

#define INI(w, st) (&(w)->p[*(int *)*(st)])
#define RES(w, st) (&(w)->p[!*(int *)*(st)])

static void initiate(struct h_world *w, struct h_peer *ini, const char *child)
{
	assert_int_equal(ikev2_initiate(ini->e, "gw", child, w->now, NULL), 0);
}

/* Both sides have one ESTABLISHED IKE SA with the same SPIs and keys. */
static void assert_established(struct h_world *w)
{
	struct h_view a, b;
	const struct h_keylog *ka, *kb;

	assert_true(h_view(&w->p[0], &a));
	assert_true(h_view(&w->p[1], &b));
	assert_int_equal(a.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_equal(b.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_not_equal(a.initiator, b.initiator);
	assert_memory_equal(a.spi_i, b.spi_i, 8);
	assert_memory_equal(a.spi_r, b.spi_r, 8);
	assert_int_equal(h_sa_count(&w->p[0]), 1);
	assert_int_equal(h_sa_count(&w->p[1]), 1);
	assert_true(w->p[0].nkeylog >= 1 && w->p[1].nkeylog >= 1);
	ka = &w->p[0].keylog[w->p[0].nkeylog - 1];
	kb = &w->p[1].keylog[w->p[1].nkeylog - 1];
	assert_memory_equal(ka->spi_i, a.spi_i, 8);
	assert_memory_equal(kb->spi_r, b.spi_r, 8);
	th_assert_bytes(ka->sk_ei, ka->e_len, kb->sk_ei, kb->e_len, "SK_ei");
	th_assert_bytes(ka->sk_er, ka->e_len, kb->sk_er, kb->e_len, "SK_er");
	th_assert_bytes(ka->sk_ai, ka->a_len, kb->sk_ai, kb->a_len, "SK_ai");
	th_assert_bytes(ka->sk_ar, ka->a_len, kb->sk_ar, kb->a_len, "SK_ar");
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

/* --- establishing --- */

static void test_psk_establish(void **state)
{
	struct h_world w;
	struct h_view v;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state), "net");
	h_run(&w);
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	assert_true(h_view(INI(&w, state), &v));
	assert_int_equal(v.nchildren, 1);
	assert_int_equal(v.child[0].state, CHILD_SA_STATE_INSTALLED);
	/* tunnel mode: out, in and fwd policies */
	assert_int_equal(w.p[0].k.npols, 3);
	assert_int_equal(w.p[1].k.npols, 3);
	assert_string_equal(w.p[0].k.sas[0].encr, "cbc(aes)");
	assert_string_equal(w.p[0].k.sas[0].integ, "hmac(sha256)");
	assert_int_equal(w.p[0].k.sas[0].ekey_len, 16);
	assert_int_equal(w.p[0].k.sas[0].trunc_bits, 128);
	/* four messages in all, two each way */
	assert_int_equal(w.p[0].sent, 2);
	assert_int_equal(w.p[1].sent, 2);
	h_free(&w);
}

/* Every DH group of the mission, MODP, ECP and ECX (RFC 7296 3.3.2). */
static void test_dh_groups(void **state)
{
	static const char *const kw[] = {"modp768",  "modp1024", "modp1536", "modp2048",
					 "modp3072", "modp4096", "modp6144", "modp8192",
					 "ecp256",   "ecp384",	 "ecp521",   "curve25519",
					 "curve448"};
	size_t i;

	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++) {
		struct h_world w;
		char ike[64];
		struct h_opts o = {.ike = ike};

		snprintf(ike, sizeof(ike), "aes128-sha256-%s", kw[i]);
		h_init(&w, &o, &o);
		initiate(&w, INI(&w, state), "net");
		h_run(&w);
		assert_established(&w);
		assert_int_equal(h_assert_child_pairs(&w), 1);
		h_free(&w);
	}
}

/* AEAD (RFC 5282, RFC 7634) and CBC + HMAC for the IKE SA and ESP. */
static void test_ciphers(void **state)
{
	static const struct {
		const char *ike, *esp, *xfrm;
		size_t ekey, ikey;
	} c[] = {
		{"aes128gcm16-prfsha256-x25519", "aes128gcm16", "rfc4106(gcm(aes))", 20, 0},
		{"aes256gcm16-prfsha384-ecp384", "aes256gcm16", "rfc4106(gcm(aes))", 36, 0},
		{"chacha20poly1305-prfsha256-x25519", "chacha20poly1305",
		 "rfc7539esp(chacha20,poly1305)", 36, 0},
		{"aes256-sha384-modp3072", "aes256-sha512", "cbc(aes)", 32, 64},
		{"aes192-sha1-modp2048", "aes128-sha1", "cbc(aes)", 16, 20},
		{"3des-sha256-modp2048", "3des-sha256", "cbc(des3_ede)", 24, 32},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct h_world w;
		struct h_opts o = {.ike = c[i].ike, .esp = c[i].esp};

		h_init(&w, &o, &o);
		initiate(&w, INI(&w, state), "net");
		h_run(&w);
		assert_established(&w);
		assert_int_equal(h_assert_child_pairs(&w), 1);
		assert_string_equal(w.p[0].k.sas[0].encr, c[i].xfrm);
		assert_int_equal(w.p[0].k.sas[0].ekey_len, c[i].ekey);
		assert_int_equal(w.p[0].k.sas[0].ikey_len, c[i].ikey);
		h_free(&w);
	}
}

/* --- lost, duplicated, reordered --- */

static void test_lost_first_message(void **state)
{
	struct h_world w;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state), "net");
	h_jobs(&w);
	assert_int_equal(w.nq, 1);
	assert_int_equal(h_exchange(&w, 0), IKEV2_EXCH_IKE_SA_INIT);
	h_drop(&w, 0);
	assert_true(h_advance(&w)); /* the retransmission */
	assert_int_equal(w.nq, 1);
	h_run(&w);
	assert_established(&w);
	assert_int_equal(INI(&w, state)->sent, 3);
	h_free(&w);
}

/* Run until the first queued datagram is a response of this exchange. */
static void run_until_response(struct h_world *w, uint8_t exch)
{
	int n = 0;

	while (!(w->nq && h_exchange(w, 0) == exch && h_is_response(w, 0))) {
		assert_true(h_step(w));
		assert_true(++n < 100);
	}
}

static void test_lost_response(void **state)
{
	struct h_world w;
	uint8_t *lost;
	size_t lost_len;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state), "net");
	run_until_response(&w, IKEV2_EXCH_IKE_AUTH);
	lost = h_take(&w, 0, &lost_len);
	assert_true(h_advance(&w)); /* initiator retransmits IKE_AUTH */
	assert_int_equal(w.nq, 1);
	assert_false(h_is_response(&w, 0));
	assert_true(h_step(&w)); /* the responder answers from its cache */
	assert_int_equal(w.nq, 1);
	th_assert_bytes(w.q[0].buf, w.q[0].len, lost, lost_len, "cached response");
	free(lost);
	h_run(&w);
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	h_free(&w);
}

static void test_duplicated_requests(void **state)
{
	struct h_world w;
	uint8_t *req;
	size_t len;
	unsigned before;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state), "net");
	h_jobs(&w);
	/* the same IKE_SA_INIT twice before the responder's DH job ran: one SA,
	 * one answer */
	req = h_take(&w, 0, &len);
	before = RES(&w, state)->sent;
	h_deliver(&w, RES(&w, state)->idx, req, len);
	h_deliver(&w, RES(&w, state)->idx, req, len);
	assert_int_equal(h_sa_count(RES(&w, state)), 1);
	h_jobs(&w);
	assert_int_equal(RES(&w, state)->sent, before + 1);
	/* and once more after it answered: the cached answer again */
	h_deliver(&w, RES(&w, state)->idx, req, len);
	assert_int_equal(RES(&w, state)->sent, before + 2);
	th_assert_bytes(w.q[0].buf, w.q[0].len, w.q[1].buf, w.q[1].len, "repeated answer");
	free(req);
	/* the initiator takes the first answer and drops the second */
	h_step(&w);
	h_jobs(&w);
	h_dup(&w, 1); /* IKE_AUTH request twice */
	h_run(&w);
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	h_free(&w);
}

static void test_reordered_late_messages(void **state)
{
	struct h_world w;
	uint8_t *init_req, *auth_req;
	size_t init_len, auth_len;
	unsigned before;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state), "net");
	h_jobs(&w);
	h_dup(&w, 0);
	init_req = h_take(&w, 1, &init_len); /* held back */
	h_step(&w);
	h_jobs(&w);
	h_step(&w);
	h_jobs(&w);
	assert_int_equal(h_exchange(&w, 0), IKEV2_EXCH_IKE_AUTH);
	h_dup(&w, 0);
	auth_req = h_take(&w, 1, &auth_len);
	h_run(&w);
	assert_established(&w);
	/* the old IKE_SA_INIT arrives late: no new SA, no answer */
	before = RES(&w, state)->sent;
	h_deliver(&w, RES(&w, state)->idx, init_req, init_len);
	assert_int_equal(h_sa_count(RES(&w, state)), 1);
	assert_int_equal(RES(&w, state)->sent, before);
	/* the old IKE_AUTH arrives late: the cached answer, which the initiator drops */
	h_deliver(&w, RES(&w, state)->idx, auth_req, auth_len);
	assert_int_equal(RES(&w, state)->sent, before + 1);
	h_run(&w);
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	free(init_req);
	free(auth_req);
	h_free(&w);
}

/* Drop everything the initiator sends from `exch` on; it gives up after
 * retransmit_tries and deletes the SA. */
static void exhaust(void **state, uint8_t exch, const char *exch_name)
{
	struct h_world w;
	char want[128];
	int n = 0;

	h_init(&w, NULL, NULL);
	snprintf(want, sizeof(want), "peer %s did not answer %s after 5 retransmissions",
		 RES(&w, state)->idx == 0 ? "192.0.2.1" : "192.0.2.2", exch_name);
	logcap_start();
	initiate(&w, INI(&w, state), "net");
	for (;;) {
		h_jobs(&w);
		if (w.nq && h_exchange(&w, 0) == exch && !h_is_response(&w, 0))
			h_drop(&w, 0);
		else if (h_step(&w))
			continue;
		if (!w.nq && !w.njobs && !h_advance(&w))
			break;
		assert_true(++n < 100);
	}
	logcap_stop();
	if (!logcap_contains(want))
		fail_msg("no line '%s' in:\n%s", want, logcap_text());
	assert_nothing(&w);
	h_free(&w);
}

static void test_retransmit_exhausted_init(void **state)
{
	exhaust(state, IKEV2_EXCH_IKE_SA_INIT, "IKE_SA_INIT");
}

static void test_retransmit_exhausted_auth(void **state)
{
	exhaust(state, IKEV2_EXCH_IKE_AUTH, "IKE_AUTH");
}

/* --- cookies, KE groups, proposals (RFC 7296 2.6, 2.7) --- */

static void test_cookie(void **state)
{
	struct h_world w;
	struct h_opts res = {.daemon = "cookie_threshold = 0"};
	int r;

	h_init(&w, NULL, NULL);
	h_free(&w);
	r = *(int *)*state;
	h_init(&w, r == 0 ? NULL : &res, r == 0 ? &res : NULL);
	initiate(&w, INI(&w, state), "net");
	h_jobs(&w);
	h_step(&w); /* the responder answers with a cookie and keeps no state */
	assert_int_equal(h_sa_count(RES(&w, state)), 0);
	assert_int_equal(ikev2_half_open_count(RES(&w, state)->e), 0);
	assert_int_equal(w.nq, 1);
	h_run(&w);
	assert_established(&w);
	assert_int_equal(INI(&w, state)->sent, 3); /* INIT, INIT with cookie, AUTH */
	h_free(&w);
}

static const char net2_child[] = "net2 { local_ts = %s\n remote_ts = %s\n esp_proposals = %s }";

/* An established IKE SA keeps no more than its keys need (issue #9: memory
 * per SA): Ni, Nr, both IKE_SA_INIT messages, the cookie, SK_pi and SK_pr
 * served AUTH only (RFC 7296 2.15) and are gone on both sides; SK_d, SK_e
 * stay. And it still works: a CHILD SA is created with SK_d afterwards. */
static void test_established_sa_trimmed(void **state)
{
	struct h_world w;
	char c0[160], c1[160];
	struct h_opts moon = {.children = c0}, sun = {.children = c1};
	int i;

	snprintf(c0, sizeof(c0), net2_child, "10.11.0.0/16", "10.12.0.0/16", "aes128gcm16");
	snprintf(c1, sizeof(c1), net2_child, "10.12.0.0/16", "10.11.0.0/16", "aes128gcm16");
	/* the responder asks for a cookie, so the initiator keeps one */
	(*(int *)*state == 0 ? &sun : &moon)->daemon = "cookie_threshold = 0";
	h_init(&w, &moon, &sun);
	initiate(&w, INI(&w, state), "net");
	h_run(&w);
	assert_established(&w);
	for (i = 0; i < 2; i++) {
		struct h_view v;
		const struct ikev2_ike_sa *sa;

		assert_true(h_view(&w.p[i], &v));
		sa = ikev2_sa_by_serial(w.p[i].e, v.serial);
		assert_non_null(sa);
		assert_null(sa->ni);
		assert_null(sa->nr);
		assert_null(sa->init_req);
		assert_null(sa->init_resp);
		assert_null(sa->cookie);
		assert_null(sa->pk);
		assert_null(sa->tasks);
		assert_null(sa->keys.sk_pi);
		assert_null(sa->keys.sk_pr);
		assert_non_null(sa->keys.sk_d);
		assert_non_null(sa->keys.sk_ei);
	}
	assert_int_equal(INI(&w, state)->sent, 3); /* INIT, INIT with cookie, AUTH */
	initiate(&w, INI(&w, state), "net2");
	h_run(&w);
	assert_int_equal(h_assert_child_pairs(&w), 2);
	h_free(&w);
}

static void test_invalid_ke(void **state)
{
	struct h_world w;
	struct h_opts ini = {.ike = "aes128-sha256-modp2048-ecp256"};
	struct h_opts res = {.ike = "aes128-sha256-ecp256-modp2048"};
	int r = *(int *)*state;

	logcap_start();
	h_init(&w, r == 0 ? &ini : &res, r == 0 ? &res : &ini);
	initiate(&w, INI(&w, state), "net");
	h_run(&w);
	logcap_stop();
	assert_established(&w);
	assert_true(logcap_contains("INVALID_KE_PAYLOAD"));
	assert_true(logcap_contains("responder wants KE group 19 instead of 14, retrying"));
	assert_int_equal(INI(&w, state)->sent, 3);
	h_free(&w);
}

static void test_proposal_mismatch(void **state)
{
	struct h_world w;
	struct h_opts res = {.ike = "aes256gcm16-prfsha384-ecp384"};
	int r = *(int *)*state;

	logcap_start();
	h_init(&w, r == 0 ? NULL : &res, r == 0 ? &res : NULL);
	initiate(&w, INI(&w, state), "net");
	h_run(&w);
	logcap_stop();
	/* the responder says which transforms differed */
	if (!logcap_contains("AES_GCM_16") || !logcap_contains("AES_CBC"))
		fail_msg("log lacks the transforms:\n%s", logcap_text());
	assert_true(logcap_contains("IKE_SA_INIT refused by the peer: NO_PROPOSAL_CHOSEN"));
	assert_nothing(&w);
	h_free(&w);
}

static void test_wrong_psk(void **state)
{
	struct h_world w;
	struct h_opts other = {.psk = "not-the-same-secret"};

	logcap_start();
	h_init(&w, NULL, &other);
	initiate(&w, INI(&w, state), "net");
	h_run(&w);
	logcap_stop();
	if (!logcap_contains("does not verify with the PSK"))
		fail_msg("responder line missing:\n%s", logcap_text());
	assert_true(logcap_contains("IKE_AUTH failed: the peer answered AUTHENTICATION_FAILED"));
	assert_nothing(&w);
	h_free(&w);
}

/* --- traffic selectors and modes (RFC 7296 2.9, 1.3.1) --- */

static void test_ts_narrowing(void **state)
{
	struct h_world w;
	struct h_opts res;
	struct h_view vi, vr;
	char a[TS_STRLEN], b[TS_STRLEN];
	int r = *(int *)*state;

	memset(&res, 0, sizeof(res));
	res.local_ts = r == 0 ? "10.2.1.0/24" : "10.1.1.0/24";
	h_init(&w, r == 0 ? NULL : &res, r == 0 ? &res : NULL);
	initiate(&w, INI(&w, state), "net");
	h_run(&w);
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	assert_true(h_view(INI(&w, state), &vi));
	assert_true(h_view(RES(&w, state), &vr));
	assert_string_equal(ts_fmt(&vi.rts[0][0], a, sizeof(a)), res.local_ts);
	assert_string_equal(ts_fmt(&vr.lts[0][0], b, sizeof(b)), res.local_ts);
	assert_true(ts_eq(&vi.lts[0][0], &vr.rts[0][0]));
	h_free(&w);
}

static void test_ts_unacceptable(void **state)
{
	struct h_world w;
	struct h_opts res = {.remote_ts = "10.9.0.0/16"};
	struct h_view v;
	int r = *(int *)*state;

	logcap_start();
	h_init(&w, r == 0 ? NULL : &res, r == 0 ? &res : NULL);
	initiate(&w, INI(&w, state), "net");
	h_run(&w);
	logcap_stop();
	assert_established(&w); /* the IKE SA stays */
	assert_true(logcap_contains("TS_UNACCEPTABLE"));
	assert_true(h_view(INI(&w, state), &v));
	assert_int_equal(v.nchildren, 0);
	assert_int_equal(w.p[0].k.nsas + w.p[1].k.nsas, 0);
	assert_int_equal(w.p[0].k.nlarval + w.p[1].k.nlarval, 0);
	h_free(&w);
}

static void test_transport_mode(void **state)
{
	struct h_world w;
	struct h_opts moon = {
		.mode = "transport", .local_ts = "192.0.2.1/32", .remote_ts = "192.0.2.2/32"};
	struct h_opts sun = {
		.mode = "transport", .local_ts = "192.0.2.2/32", .remote_ts = "192.0.2.1/32"};

	h_init(&w, &moon, &sun);
	initiate(&w, INI(&w, state), "net");
	h_run(&w);
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	assert_int_equal(w.p[0].k.sas[0].mode, KERNEL_MODE_TRANSPORT);
	assert_int_equal(w.p[0].k.npols, 2); /* in and out, no fwd */
	assert_int_equal(w.p[1].k.npols, 2);
	h_free(&w);
}

static void test_transport_refused(void **state)
{
	struct h_world w;
	struct h_opts res = {.mode = "transport"};
	int r = *(int *)*state;

	logcap_start();
	h_init(&w, r == 0 ? NULL : &res, r == 0 ? &res : NULL);
	initiate(&w, INI(&w, state), "net");
	h_run(&w);
	logcap_stop();
	assert_established(&w);
	assert_true(logcap_contains("transport mode configured, the peer asked for tunnel mode"));
	assert_int_equal(w.p[0].k.nsas + w.p[1].k.nsas, 0);
	assert_int_equal(w.p[0].k.nlarval + w.p[1].k.nlarval, 0);
	h_free(&w);
}

/* The initiator asks for transport mode, the responder answers in tunnel
 * mode (RFC 7296 1.3.1): the initiator refuses the CHILD SA and deletes the
 * responder's half, so neither kernel keeps anything. */
static void test_child_refused_by_initiator(void **state)
{
	struct h_world w;
	struct h_opts moon = {
		.mode = "transport", .local_ts = "192.0.2.1/32", .remote_ts = "192.0.2.2/32"};
	struct h_opts sun = {.local_ts = "192.0.2.2/32", .remote_ts = "192.0.2.1/32"};
	int r = *(int *)*state;
	struct h_view v;

	if (r == 1) {
		moon = (struct h_opts){.local_ts = "192.0.2.1/32", .remote_ts = "192.0.2.2/32"};
		sun = (struct h_opts){.mode = "transport",
				      .local_ts = "192.0.2.2/32",
				      .remote_ts = "192.0.2.1/32"};
	}
	logcap_start();
	h_init(&w, &moon, &sun);
	initiate(&w, INI(&w, state), "net");
	h_run(&w);
	logcap_stop();
	assert_established(&w);
	if (!logcap_contains("we asked for transport mode, the responder chose tunnel mode") ||
	    !logcap_contains("(net): deleted by the peer"))
		fail_msg("log:\n%s", logcap_text());
	assert_true(h_view(RES(&w, state), &v));
	assert_int_equal(v.nchildren, 0);
	assert_int_equal(w.p[0].k.nsas + w.p[1].k.nsas, 0);
	assert_int_equal(w.p[0].k.npols + w.p[1].k.npols, 0);
	assert_int_equal(w.p[0].k.nlarval + w.p[1].k.nlarval, 0);
	assert_int_equal(w.p[0].k.errors + w.p[1].k.errors, 0);
	h_free(&w);
}

/* --- CREATE_CHILD_SA and INFORMATIONAL --- */

static void create_second_child(void **state, const char *esp, const char *want_prop)
{
	struct h_world w;
	char c0[160], c1[160];
	struct h_opts moon = {.children = c0}, sun = {.children = c1};
	struct h_view vi, vr;

	snprintf(c0, sizeof(c0), net2_child, "10.11.0.0/16", "10.12.0.0/16", esp);
	snprintf(c1, sizeof(c1), net2_child, "10.12.0.0/16", "10.11.0.0/16", esp);
	h_init(&w, &moon, &sun);
	initiate(&w, INI(&w, state), "net");
	h_run(&w);
	assert_established(&w);
	initiate(&w, INI(&w, state), "net2"); /* the IKE SA is up: CREATE_CHILD_SA */
	h_run(&w);
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 2);
	assert_true(h_view(INI(&w, state), &vi));
	assert_true(h_view(RES(&w, state), &vr));
	assert_int_equal(vi.nchildren, 2);
	assert_int_equal(vr.nchildren, 2);
	/* the newest child is first in the list */
	if (!strstr(vi.prop[0], want_prop))
		fail_msg("proposal '%s' lacks '%s'", vi.prop[0], want_prop);
	assert_string_equal(vi.prop[0], vr.prop[0]);
	assert_int_equal(w.p[0].k.npols, 6);
	h_free(&w);
}

static void test_create_child(void **state)
{
	create_second_child(state, "aes256-sha256", "AES_CBC-256/HMAC_SHA2_256_128");
}

static void test_create_child_pfs(void **state)
{
	create_second_child(state, "aes128gcm16-ecp256", "ECP_256");
}

static void test_delete_child(void **state)
{
	struct h_world w;
	struct h_view v;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state), "net");
	h_run(&w);
	assert_true(h_view(INI(&w, state), &v));
	assert_int_equal(ikev2_terminate_child(INI(&w, state)->e, v.child[0].serial, w.now), 0);
	h_run(&w);
	assert_established(&w);
	assert_true(h_view(INI(&w, state), &v));
	assert_int_equal(v.nchildren, 0);
	assert_true(h_view(RES(&w, state), &v));
	assert_int_equal(v.nchildren, 0);
	assert_int_equal(w.p[0].k.nsas + w.p[1].k.nsas, 0);
	assert_int_equal(w.p[0].k.npols + w.p[1].k.npols, 0);
	assert_int_equal(w.p[0].k.errors + w.p[1].k.errors, 0);
	h_free(&w);
}

static void test_delete_ike(void **state)
{
	struct h_world w;
	struct h_view v;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state), "net");
	h_run(&w);
	/* the responder of IKE_SA_INIT deletes: roles of INFORMATIONAL swap too */
	assert_true(h_view(RES(&w, state), &v));
	assert_int_equal(ikev2_terminate(RES(&w, state)->e, v.serial, w.now), 0);
	h_run(&w);
	assert_nothing(&w);
	h_free(&w);
}

static void test_terminate_all(void **state)
{
	struct h_world w;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state), "net");
	h_run(&w);
	ikev2_terminate_all(INI(&w, state)->e, w.now);
	assert_int_equal(h_sa_count(INI(&w, state)), 0);
	h_run(&w);
	assert_nothing(&w);
	h_free(&w);
}

static void test_start_action(void **state)
{
	struct h_world w;
	struct h_opts ini = {.children = "auto { local_ts = 10.21.0.0/16\n remote_ts = "
					 "10.22.0.0/16\n start_action = start }"};
	struct h_opts res = {.children = "auto { local_ts = 10.22.0.0/16\n remote_ts = "
					 "10.21.0.0/16 }"};
	int r = *(int *)*state;

	h_init(&w, r == 0 ? &ini : &res, r == 0 ? &res : &ini);
	h_run(&w); /* the config set at start initiated the IKE SA */
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	h_free(&w);
}

/* --- CREATE_CHILD_SA with another KE group (RFC 7296 1.3) --- */

/* net2 with PFS: the initiator's first group is MODP 2048, the responder
 * prefers ECP 256. */
static void init_pfs_pair(struct h_world *w, void **state, const char *ini_esp, const char *res_esp,
			  char c[2][200])
{
	struct h_opts o[2];
	int r = *(int *)*state;

	snprintf(c[r], 200, net2_child, r == 0 ? "10.11.0.0/16" : "10.12.0.0/16",
		 r == 0 ? "10.12.0.0/16" : "10.11.0.0/16", ini_esp);
	snprintf(c[!r], 200, net2_child, r == 0 ? "10.12.0.0/16" : "10.11.0.0/16",
		 r == 0 ? "10.11.0.0/16" : "10.12.0.0/16", res_esp);
	memset(o, 0, sizeof(o));
	o[0].children = c[0];
	o[1].children = c[1];
	h_init(w, &o[0], &o[1]);
	initiate(w, INI(w, state), "net");
	h_run(w);
	assert_established(w);
}

static void test_create_child_invalid_ke(void **state)
{
	struct h_world w;
	char c[2][200];
	struct h_view vi, vr;
	unsigned before;

	init_pfs_pair(&w, state, "aes128-sha256-modp2048-ecp256", "aes128-sha256-ecp256-modp2048",
		      c);
	before = INI(&w, state)->sent;
	logcap_start();
	initiate(&w, INI(&w, state), "net2");
	h_run(&w);
	logcap_stop();
	/* the responder names its group, the initiator retries with it */
	if (!logcap_contains("KE group 19 wanted, the peer sent 14") ||
	    !logcap_contains("responder wants KE group 19 instead of 14, retrying"))
		fail_msg("log:\n%s", logcap_text());
	assert_int_equal(INI(&w, state)->sent, before + 2);
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 2);
	assert_true(h_view(INI(&w, state), &vi));
	assert_true(h_view(RES(&w, state), &vr));
	assert_int_equal(vi.nchildren, 2);
	if (!strstr(vi.prop[0], "ECP_256"))
		fail_msg("proposal '%s' lacks ECP_256", vi.prop[0]);
	assert_string_equal(vi.prop[0], vr.prop[0]);
	assert_int_equal(w.p[0].k.nlarval + w.p[1].k.nlarval, 0);
	h_free(&w);
}

/* The responder's N(INVALID_KE_PAYLOAD) with the group in ctx instead. */
static void set_ke_group(struct ikev2_payload *p, void *ctx)
{
	static uint8_t g[2];
	uint16_t want = *(const uint16_t *)ctx;

	if (p->type == IKEV2_PL_N && p->n.type == IKEV2_N_INVALID_KE_PAYLOAD) {
		g[0] = (uint8_t)(want >> 8);
		g[1] = (uint8_t)want;
		p->n.data = (struct span){g, 2};
	}
}

/* Run until the responder's CREATE_CHILD_SA answer is queued, then make it
 * name `group`. */
static void lie_about_group(struct h_world *w, uint16_t group)
{
	run_until_response(w, IKEV2_EXCH_CREATE_CHILD_SA);
	h_reseal(w, 0, set_ke_group, &group);
}

/* Only the first child of each side is left, and nothing leaked. */
static void assert_net2_gone(struct h_world *w, void **state)
{
	struct h_view v;

	assert_established(w);
	assert_int_equal(h_assert_child_pairs(w), 1);
	assert_true(h_view(INI(w, state), &v));
	assert_int_equal(v.nchildren, 1);
	assert_int_equal(w->p[0].k.nlarval + w->p[1].k.nlarval, 0);
	assert_int_equal(w->p[0].k.errors + w->p[1].k.errors, 0);
}

/* A group none of our proposals has: no retry, the CHILD SA fails, the IKE
 * SA stays. */
static void test_create_child_invalid_ke_unoffered(void **state)
{
	struct h_world w;
	char c[2][200];
	unsigned before;

	init_pfs_pair(&w, state, "aes128-sha256-modp2048-ecp256", "aes128-sha256-ecp256", c);
	before = INI(&w, state)->sent;
	logcap_start();
	initiate(&w, INI(&w, state), "net2");
	lie_about_group(&w, 21);
	h_run(&w);
	logcap_stop();
	if (!logcap_contains("responder wants KE group 21, which none of our ESP/AH proposals "
			     "has") ||
	    !logcap_contains("(net2) not created: the peer answered INVALID_KE_PAYLOAD"))
		fail_msg("log:\n%s", logcap_text());
	assert_int_equal(INI(&w, state)->sent, before + 1);
	assert_net2_gone(&w, state);
	h_free(&w);
}

/* One retry only: told 20 (offered), then 19 again, the initiator gives up. */
static void test_create_child_invalid_ke_once(void **state)
{
	struct h_world w;
	char c[2][200];
	unsigned before;

	init_pfs_pair(&w, state, "aes128-sha256-modp2048-ecp384-ecp256", "aes128-sha256-ecp256", c);
	before = INI(&w, state)->sent;
	logcap_start();
	initiate(&w, INI(&w, state), "net2");
	lie_about_group(&w, 20);
	h_run(&w);
	logcap_stop();
	if (!logcap_contains("responder wants KE group 20 instead of 14, retrying") ||
	    !logcap_contains("KE group 19 wanted, the peer sent 20") ||
	    !logcap_contains("responder wants KE group 19, we already retried once"))
		fail_msg("log:\n%s", logcap_text());
	assert_int_equal(INI(&w, state)->sent, before + 2);
	assert_net2_gone(&w, state);
	h_free(&w);
}

/* --- logs --- */

static size_t count_lines(const char *text, const char *needle)
{
	size_t n = 0;
	const char *p = text;

	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* A message whose handler waits for a crypto job is logged once, not again
 * when the handler resumes; the state changes are logged once too. */
static void test_handler_logged_once(void **state)
{
	static const char *const once[] = {
		"IKE_SA_INIT request, message ID 0 -> ike_sa_init_inI1_outR1",
		"IKE_SA_INIT response, message ID 0 -> ike_sa_init_inR1_outI2",
		"IKE_AUTH request, message ID 1 -> ike_auth_inI2_outR2",
		"IKE_AUTH response, message ID 1 -> ike_auth_inR2",
		"CREATE_CHILD_SA request, message ID 2 -> create_child_sa_inI_outR",
		"CREATE_CHILD_SA response, message ID 2 -> create_child_sa_inR",
		"NEW -> INIT_I",
		"NEW -> INIT_R",
		"INIT_I -> AUTH_I",
	};
	struct h_world w;
	char c0[160], c1[160];
	struct h_opts moon = {.children = c0}, sun = {.children = c1};
	size_t i;

	snprintf(c0, sizeof(c0), net2_child, "10.11.0.0/16", "10.12.0.0/16", "aes128gcm16-ecp256");
	snprintf(c1, sizeof(c1), net2_child, "10.12.0.0/16", "10.11.0.0/16", "aes128gcm16-ecp256");
	h_init(&w, &moon, &sun);
	logcap_start();
	log_set_all(LVL_DEBUG);
	initiate(&w, INI(&w, state), "net");
	h_run(&w);
	initiate(&w, INI(&w, state), "net2");
	h_run(&w);
	log_set_all(getenv("OAK_TEST_DEBUG") ? LVL_DEBUG : LVL_INFO);
	logcap_stop();
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 2);
	for (i = 0; i < sizeof(once) / sizeof(once[0]); i++)
		if (count_lines(logcap_text(), once[i]) != 1)
			fail_msg("'%s' logged %zu times:\n%s", once[i],
				 count_lines(logcap_text(), once[i]), logcap_text());
	h_free(&w);
}

/* RFC 7296 2.5: an unknown payload marked critical in IKE_SA_INIT is
 * answered with UNSUPPORTED_CRITICAL_PAYLOAD naming its type, without state. */
static void test_unsupported_critical_init(void **state)
{
	struct isakmp_hdr hdr = {.spi_i = {1, 2, 3, 4, 5, 6, 7, 8},
				 .major = 2,
				 .exchange = IKEV2_EXCH_IKE_SA_INIT,
				 .flags = IKEV2_FLAG_I};
	struct ikev2_msg *m = calloc(1, sizeof(*m));
	const struct ikev2_payload *n;
	struct ikev2_enc enc;
	struct builder b;
	struct wire_err err;
	struct h_world w;
	static const uint8_t body[4] = {0};

	assert_non_null(m);
	h_init(&w, NULL, NULL);
	bld_init(&b, 0);
	ikev2_msg_encode_begin(&enc, &b, &hdr);
	ikev2_put_raw(&enc, 200, IKEV2_CRITICAL, (struct span){body, sizeof(body)});
	assert_int_equal(ikev2_msg_encode_end(&enc), 0);
	logcap_start();
	h_deliver(&w, RES(&w, state)->idx, bld_data(&b), bld_off(&b));
	logcap_stop();
	assert_true(logcap_contains("payload type 200 marked critical"));
	assert_int_equal(h_sa_count(RES(&w, state)), 0);
	assert_int_equal(w.nq, 1);
	assert_int_equal(ikev2_msg_decode(w.q[0].buf, w.q[0].len, m, &err), 0);
	assert_true(m->hdr.flags & IKEV2_FLAG_R);
	assert_memory_equal(m->hdr.spi_i, hdr.spi_i, 8);
	n = ikev2_msg_find_notify(m, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	assert_non_null(n);
	assert_int_equal(n->n.data.len, 1);
	assert_int_equal(n->n.data.p[0], 200);
	bld_free(&b);
	free(m);
	h_free(&w);
}

#define BOTH(t) cmocka_unit_test_prestate(t, &roles[0]), cmocka_unit_test_prestate(t, &roles[1])

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_psk_establish),
		BOTH(test_dh_groups),
		BOTH(test_ciphers),
		BOTH(test_lost_first_message),
		BOTH(test_lost_response),
		BOTH(test_duplicated_requests),
		BOTH(test_reordered_late_messages),
		BOTH(test_retransmit_exhausted_init),
		BOTH(test_retransmit_exhausted_auth),
		BOTH(test_cookie),
		BOTH(test_established_sa_trimmed),
		BOTH(test_invalid_ke),
		BOTH(test_proposal_mismatch),
		BOTH(test_wrong_psk),
		BOTH(test_ts_narrowing),
		BOTH(test_ts_unacceptable),
		BOTH(test_transport_mode),
		BOTH(test_transport_refused),
		BOTH(test_create_child),
		BOTH(test_create_child_pfs),
		BOTH(test_delete_child),
		BOTH(test_delete_ike),
		BOTH(test_terminate_all),
		BOTH(test_start_action),
		BOTH(test_unsupported_critical_init),
		BOTH(test_child_refused_by_initiator),
		BOTH(test_create_child_invalid_ke),
		BOTH(test_create_child_invalid_ke_unoffered),
		BOTH(test_create_child_invalid_ke_once),
		BOTH(test_handler_logged_once),
	};

	log_set_all(getenv("OAK_TEST_DEBUG") ? LVL_DEBUG : LVL_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
