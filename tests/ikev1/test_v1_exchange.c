/* Exchange tests of the IKEv1 engine (RFC 2409): two engines in one process
 * with the fakes of harness.h. Every test runs twice: moon initiates, then
 * sun. What is asserted is what a user checks: both ISAKMP SAs ESTABLISHED
 * with the same cookies and keys, the IPsec SAs in both kernels with
 * matching SPIs and keys, the messages on the wire, the log lines. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/log.h"
#include "wire/ikev1.h"

static int roles[2] = {0, 1};

#define INI(w, st)	  (&(w)->p[*(int *)*(st)])
#define RES(w, st)	  (&(w)->p[!*(int *)*(st)])
#define ISAKMP_XCHG_QUICK 32 /* RFC 2409 9 (IPsec DOI) */

static void initiate(struct h_world *w, struct h_peer *ini)
{
	uint32_t serial = 0;

	assert_int_equal(ikev1_initiate(ini->e, "gw", NULL, w->now, &serial), 0);
	assert_int_not_equal(serial, 0);
}

/* Both peers: exactly one ISAKMP SA, ESTABLISHED, IKEv1, the same cookies,
 * opposite roles, the same Phase 1 cipher key in the key log. */
static void assert_established(struct h_world *w)
{
	struct h_view a, b;
	const struct h_keylog *ka, *kb;

	assert_int_equal(h_views(&w->p[0], &a, 1), 1);
	assert_int_equal(h_views(&w->p[1], &b, 1), 1);
	assert_int_equal(a.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_equal(b.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_equal(a.version, 1);
	assert_int_equal(b.version, 1);
	assert_int_not_equal(a.initiator, b.initiator);
	assert_memory_equal(a.spi_i, b.spi_i, 8);
	assert_memory_equal(a.spi_r, b.spi_r, 8);
	assert_string_equal(a.prop, b.prop);
	assert_true(w->p[0].nkeylog >= 1 && w->p[1].nkeylog >= 1);
	ka = &w->p[0].keylog[w->p[0].nkeylog - 1];
	kb = &w->p[1].keylog[w->p[1].nkeylog - 1];
	assert_memory_equal(ka->icookie, a.spi_i, 8);
	assert_memory_equal(kb->icookie, b.spi_i, 8);
	th_assert_bytes(ka->enc_key, ka->len, kb->enc_key, kb->len, "Phase 1 cipher key");
}

static void assert_nothing(struct h_world *w)
{
	int i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(ikev1_sa_count(w->p[i].e), 0);
		assert_int_equal(w->p[i].k.nsas, 0);
		assert_int_equal(w->p[i].k.nlarval, 0);
		assert_int_equal(w->p[i].k.npols, 0);
		assert_int_equal(w->p[i].k.errors, 0);
	}
}

/* Deliver queued datagrams until one of exchange type xchg is first in the
 * queue (it stays queued); the test fails when there is none. */
static void run_until(struct h_world *w, uint8_t xchg, int from)
{
	int n = 0;

	for (;;) {
		h_jobs(w);
		if (w->nq && h_exchange(w, 0) == xchg && (from < 0 || h_sender(w, 0) == from))
			return;
		if (!h_step_one(w) || ++n > 100)
			fail_msg("no message of exchange %u came", xchg);
	}
}

/* --- Main Mode, Quick Mode --- */

static void test_main_mode_psk(void **state)
{
	struct h_world w;
	struct h_view v;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state));
	h_jobs(&w);
	assert_int_equal(w.nq, 1);
	assert_int_equal(h_exchange(&w, 0), ISAKMP_XCHG_IDPROT);
	assert_false(h_encrypted(&w, 0));
	h_run(&w);
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	assert_true(h_view(INI(&w, state), &v));
	assert_true(v.initiator);
	assert_string_equal(v.prop, "AES_CBC-128/PRF_HMAC_SHA2_256/MODP_2048");
	assert_string_equal(v.remote_id,
			    INI(&w, state)->idx == 0 ? "sun.example.org" : "moon.example.org");
	assert_int_equal(v.nchildren, 1);
	assert_int_equal(v.child[0].state, CHILD_SA_STATE_INSTALLED);
	assert_int_equal(v.child[0].mode, CHILD_MODE_TUNNEL);
	/* tunnel mode: out, in and fwd policies on both ends */
	assert_int_equal(w.p[0].k.npols, 3);
	assert_int_equal(w.p[1].k.npols, 3);
	assert_string_equal(w.p[0].k.sas[0].encr, "cbc(aes)");
	assert_string_equal(w.p[0].k.sas[0].integ, "hmac(sha256)");
	assert_int_equal(w.p[0].k.sas[0].ekey_len, 16);
	assert_int_equal(w.p[0].k.sas[0].ikey_len, 32);
	assert_int_equal(w.p[0].k.sas[0].trunc_bits, 128);
	/* RFC 2409 5 and 5.5: Main Mode 3 + 3, Quick Mode 2 + 1 */
	assert_int_equal(INI(&w, state)->sent, 5);
	assert_int_equal(RES(&w, state)->sent, 4);
	assert_true(logcap_contains("-> ESTABLISHED"));
	h_free(&w);
}

/* Windows' defaults (DESIGN.md): Quick Mode SAs live 3600 s or 102400 KB
 * when the config says nothing. */
static void test_default_lifetimes(void **state)
{
	struct h_world w;
	size_t i;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state));
	h_run(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	for (i = 0; i < w.p[0].k.nsas; i++)
		if (w.p[0].k.sas[i].life_time != 3600 ||
		    w.p[0].k.sas[i].life_bytes != 102400ULL * 1024)
			fail_msg("SA %08x: hard lifetime %llu s / %llu bytes, want 3600 s / %llu",
				 w.p[0].k.sas[i].spi, (unsigned long long)w.p[0].k.sas[i].life_time,
				 (unsigned long long)w.p[0].k.sas[i].life_bytes, 102400ULL * 1024);
	h_free(&w);
}

/* Several algorithm sets, the DH group of each kind. */
static void test_algorithms(void **state)
{
	static const struct {
		const char *ike, *esp, *encr, *integ;
		size_t ekey, ikey;
	} c[] = {
		{"aes256-sha1-modp2048", "aes256-sha1", "cbc(aes)", "hmac(sha1)", 32, 20},
		{"aes128-sha256-ecp256", "aes128-sha256", "cbc(aes)", "hmac(sha256)", 16, 32},
		{"3des-sha1-modp1024", "3des-sha1", "cbc(des3_ede)", "hmac(sha1)", 24, 20},
		{"aes256-sha384-ecp384", "aes256gcm16", "rfc4106(gcm(aes))", "", 36, 0},
		{"aes192-sha512-modp3072", "aes192-sha512", "cbc(aes)", "hmac(sha512)", 24, 64},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct h_world w;
		struct h_opts o = {.ike = c[i].ike, .esp = c[i].esp};

		h_init(&w, &o, &o);
		initiate(&w, INI(&w, state));
		h_run(&w);
		assert_established(&w);
		assert_int_equal(h_assert_child_pairs(&w), 1);
		assert_string_equal(w.p[0].k.sas[0].encr, c[i].encr);
		assert_string_equal(w.p[0].k.sas[0].integ, c[i].integ);
		assert_int_equal(w.p[0].k.sas[0].ekey_len, c[i].ekey);
		assert_int_equal(w.p[0].k.sas[0].ikey_len, c[i].ikey);
		h_free(&w);
	}
}

/* RFC 2409 5.5: with a DH group in the ESP proposal Quick Mode carries KE
 * payloads (PFS): the messages grow by a 256-byte modp2048 value, the
 * negotiated proposal names the group, and both ends derive equal keys
 * that differ from the keys of a Quick Mode without PFS. */
static size_t first_qm_len(void **state, const char *esp, struct h_world *w)
{
	struct h_opts o = {.esp = esp};
	size_t len;

	h_init(w, &o, &o);
	initiate(w, INI(w, state));
	run_until(w, ISAKMP_XCHG_QUICK, INI(w, state)->idx);
	assert_true(h_encrypted(w, 0));
	len = w->q[0].len;
	h_run(w);
	assert_established(w);
	assert_int_equal(h_assert_child_pairs(w), 1);
	return len;
}

static void test_quick_mode_pfs(void **state)
{
	struct h_world w;
	struct h_view v;
	size_t plain, pfs;
	unsigned jobs_plain;
	uint8_t key_plain[128];

	plain = first_qm_len(state, "aes128-sha256", &w);
	jobs_plain = w.jobs_run;
	memcpy(key_plain, w.p[0].k.sas[0].ekey, 16);
	assert_true(h_view(INI(&w, state), &v));
	assert_string_equal(v.child[0].prop, "AES_CBC-128/HMAC_SHA2_256_128");
	h_free(&w);

	pfs = first_qm_len(state, "aes128-sha256-modp2048", &w);
	assert_true(h_view(INI(&w, state), &v));
	assert_string_equal(v.child[0].prop, "AES_CBC-128/HMAC_SHA2_256_128/MODP_2048");
	assert_true(h_view(RES(&w, state), &v));
	assert_string_equal(v.child[0].prop, "AES_CBC-128/HMAC_SHA2_256_128/MODP_2048");
	/* a KE payload of 4 + 256 bytes in the first Quick Mode message */
	assert_true(pfs >= plain + 256);
	/* a second DH per side ran on the job queue */
	assert_true(w.jobs_run >= jobs_plain + 2);
	/* same RNG, same Phase 1: only the PFS secret makes the key differ */
	assert_memory_not_equal(key_plain, w.p[0].k.sas[0].ekey, 16);
	h_free(&w);
}

/* A second Quick Mode under the established ISAKMP SA: no new Main Mode. */
static void test_second_quick_mode(void **state)
{
	struct h_world w;
	struct h_view v;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state));
	h_run(&w);
	assert_established(&w);
	initiate(&w, INI(&w, state));
	h_jobs(&w);
	assert_int_equal(w.nq, 1);
	assert_int_equal(h_exchange(&w, 0), ISAKMP_XCHG_QUICK);
	assert_true(h_encrypted(&w, 0));
	assert_int_not_equal(h_msg_id(&w, 0), 0);
	h_run(&w);
	assert_established(&w); /* still one ISAKMP SA each */
	assert_int_equal(w.p[0].nkeylog, 1);
	assert_int_equal(h_assert_child_pairs(&w), 2);
	assert_true(h_view(RES(&w, state), &v));
	assert_int_equal(v.nchildren, 2);
	h_free(&w);
}

/* master_key_pfs = yes: every Quick Mode gets a Main Mode of its own
 * (Windows' "master key perfect forward secrecy"). */
static void test_master_key_pfs(void **state)
{
	struct h_world w;
	struct h_opts o = {.conn_extra = "master_key_pfs = yes"};
	struct h_view v[H_MAX_VIEWS];
	size_t n, i;

	h_init(&w, &o, &o);
	initiate(&w, INI(&w, state));
	h_run(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	initiate(&w, INI(&w, state));
	h_jobs(&w);
	assert_int_equal(w.nq, 1);
	assert_int_equal(h_exchange(&w, 0), ISAKMP_XCHG_IDPROT);
	h_run(&w);
	assert_int_equal(h_assert_child_pairs(&w), 2);
	/* two Phase 1 keys, one per Main Mode, on both ends */
	assert_int_equal(INI(&w, state)->nkeylog, 2);
	assert_int_equal(RES(&w, state)->nkeylog, 2);
	assert_memory_not_equal(INI(&w, state)->keylog[0].icookie,
				INI(&w, state)->keylog[1].icookie, 8);
	/* no ISAKMP SA holds more than one Quick Mode's SAs */
	n = h_views(INI(&w, state), v, H_MAX_VIEWS);
	for (i = 0; i < n; i++)
		assert_true(v[i].nchildren <= 1);
	assert_int_equal(h_installed_children(INI(&w, state)), 2);
	h_free(&w);
}

/* quick_mode_limit = 2: the third Quick Mode needs a new Main Mode (the
 * session key refresh limit of Windows' IKE policy). */
static void test_quick_mode_limit(void **state)
{
	struct h_world w;
	struct h_opts o = {.conn_extra = "quick_mode_limit = 2"};
	int k;

	h_init(&w, &o, &o);
	for (k = 0; k < 2; k++) {
		initiate(&w, INI(&w, state));
		h_run(&w);
	}
	assert_established(&w);
	assert_int_equal(INI(&w, state)->nkeylog, 1);
	assert_int_equal(h_assert_child_pairs(&w), 2);
	initiate(&w, INI(&w, state));
	h_jobs(&w);
	assert_int_equal(w.nq, 1);
	assert_int_equal(h_exchange(&w, 0), ISAKMP_XCHG_IDPROT);
	h_run(&w);
	assert_int_equal(INI(&w, state)->nkeylog, 2);
	assert_int_equal(RES(&w, state)->nkeylog, 2);
	assert_int_equal(h_installed_children(INI(&w, state)), 3);
	assert_int_equal(h_assert_child_pairs(&w), 3);
	h_free(&w);
}

/* --- Aggressive Mode --- */

static void test_aggressive_psk(void **state)
{
	struct h_world w;
	struct h_opts o = {.conn_extra = "aggressive = yes"};

	h_init(&w, &o, &o);
	initiate(&w, INI(&w, state));
	h_jobs(&w);
	assert_int_equal(w.nq, 1);
	assert_int_equal(h_exchange(&w, 0), ISAKMP_XCHG_AGGR);
	h_run(&w);
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	/* RFC 2409 5: Aggressive Mode 2 + 1, Quick Mode 2 + 1 */
	assert_int_equal(INI(&w, state)->sent, 4);
	assert_int_equal(RES(&w, state)->sent, 2);
	h_free(&w);
}

/* The responder without aggressive = yes refuses Aggressive Mode, says why,
 * and keeps nothing. */
static void test_aggressive_refused(void **state)
{
	struct h_world w;
	struct h_opts yes = {.conn_extra = "aggressive = yes"};
	int ini = *(int *)*state;

	h_init(&w, ini == 0 ? &yes : NULL, ini == 1 ? &yes : NULL);
	initiate(&w, INI(&w, state));
	h_run(&w);
	assert_int_equal(h_count_state(RES(&w, state), IKE_SA_STATE_ESTABLISHED), 0);
	assert_int_equal(h_count_state(INI(&w, state), IKE_SA_STATE_ESTABLISHED), 0);
	assert_int_equal(ikev1_sa_count(RES(&w, state)->e), 0);
	assert_int_equal(RES(&w, state)->nkeylog, 0);
	assert_true(logcap_contains("ggressive"));
	assert_true(logcap_contains("aggressive = yes"));
	assert_int_equal(w.p[0].k.nsas + w.p[1].k.nsas, 0);
	h_free(&w);
}

/* --- Informational --- */

static void test_delete_child(void **state)
{
	struct h_world w;
	struct h_view v;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state));
	h_run(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	assert_true(h_view(INI(&w, state), &v));
	assert_int_equal(ikev1_terminate_child(INI(&w, state)->e, v.child[0].serial, w.now), 0);
	h_jobs(&w);
	assert_true(w.nq >= 1);
	assert_int_equal(h_exchange(&w, 0), ISAKMP_XCHG_INFO);
	assert_true(h_encrypted(&w, 0));
	h_run(&w);
	/* both kernels empty, the ISAKMP SA stays */
	assert_int_equal(w.p[0].k.nsas, 0);
	assert_int_equal(w.p[1].k.nsas, 0);
	assert_int_equal(w.p[0].k.npols, 0);
	assert_int_equal(w.p[1].k.npols, 0);
	assert_int_equal(w.p[0].k.errors + w.p[1].k.errors, 0);
	assert_established(&w);
	assert_true(h_view(RES(&w, state), &v));
	assert_int_equal(v.nchildren, 0);
	assert_int_equal(ikev1_terminate_child(INI(&w, state)->e, 9999, w.now), -ENOENT);
	h_free(&w);
}

/* Two Quick Modes for the same child share its policies (the kernel has
 * one policy per selector): deleting the older IPsec SA pair must leave the
 * newer one with its policies in both kernels. */
static void test_delete_one_of_two(void **state)
{
	struct h_world w;
	struct h_view v;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state));
	h_run(&w);
	initiate(&w, INI(&w, state));
	h_run(&w);
	assert_int_equal(h_assert_child_pairs(&w), 2);
	assert_true(h_view(INI(&w, state), &v));
	assert_int_equal(v.nchildren, 2);
	assert_int_equal(ikev1_terminate_child(INI(&w, state)->e,
					       v.child[0].serial < v.child[1].serial
						       ? v.child[0].serial
						       : v.child[1].serial,
					       w.now),
			 0);
	h_run(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	/* tunnel mode: out, in, fwd still there on both ends */
	assert_int_equal(w.p[0].k.npols, 3);
	assert_int_equal(w.p[1].k.npols, 3);
	assert_int_equal(w.p[0].k.errors + w.p[1].k.errors, 0);
	h_free(&w);
}

static void test_delete_isakmp(void **state)
{
	struct h_world w;
	struct h_view v;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state));
	h_run(&w);
	assert_true(h_view(RES(&w, state), &v));
	/* either end may delete: here the responder */
	assert_int_equal(ikev1_terminate(RES(&w, state)->e, v.serial, w.now), 0);
	h_run(&w);
	while (h_advance(&w) && ikev1_sa_count(w.p[0].e) + ikev1_sa_count(w.p[1].e))
		h_run(&w);
	assert_nothing(&w);
	assert_int_equal(ikev1_terminate(RES(&w, state)->e, v.serial, w.now), -ENOENT);
	h_free(&w);
}

static void test_terminate_all(void **state)
{
	struct h_world w;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state));
	h_run(&w);
	ikev1_terminate_all(INI(&w, state)->e, w.now);
	assert_int_equal(ikev1_sa_count(INI(&w, state)->e), 0);
	assert_int_equal(INI(&w, state)->k.nsas, 0);
	h_run(&w); /* the Deletes reach the peer */
	assert_nothing(&w);
	h_free(&w);
}

/* --- negotiation failures --- */

static void test_proposal_mismatch(void **state)
{
	struct h_world w;
	struct h_opts a = {.ike = "aes128-sha256-modp2048"}, b = {.ike = "aes256-sha1-modp3072"};

	h_init(&w, &a, &b);
	initiate(&w, INI(&w, state));
	h_run(&w);
	while (h_advance(&w))
		h_run(&w);
	assert_int_equal(h_count_state(INI(&w, state), IKE_SA_STATE_ESTABLISHED), 0);
	assert_int_equal(ikev1_sa_count(RES(&w, state)->e), 0);
	/* the responder says what came and what it has; the initiator hears
	 * NO-PROPOSAL-CHOSEN */
	assert_true(logcap_contains("Main Mode from 192.0.2."));
	assert_true(logcap_contains(*(int *)*state == 0
					    ? "refused: gw: no proposal chosen: ENCR offered "
					      "AES_CBC_128, we accept AES_CBC_256"
					    : "refused: gw: no proposal chosen: ENCR offered "
					      "AES_CBC_256, we accept AES_CBC_128"));
	assert_true(logcap_contains("KE offered MODP_"));
	assert_true(logcap_contains("NO-PROPOSAL-CHOSEN"));
	assert_int_equal(w.p[0].k.nsas + w.p[1].k.nsas, 0);
	h_free(&w);
}

/* Phase 2 mismatch: the ISAKMP SA comes up, no IPsec SA, a precise line. */
static void test_quick_mode_mismatch(void **state)
{
	struct h_world w;
	struct h_view v;
	struct h_opts a = {.esp = "aes128-sha256"}, b = {.esp = "3des-sha1"};

	h_init(&w, &a, &b);
	initiate(&w, INI(&w, state));
	h_run(&w);
	assert_established(&w);
	assert_int_equal(w.p[0].k.nsas + w.p[1].k.nsas, 0);
	assert_int_equal(h_installed_children(&w.p[0]) + h_installed_children(&w.p[1]), 0);
	assert_true(logcap_contains("Quick Mode for child net refused: no proposal chosen: ENCR "
				    "offered"));
	assert_true(logcap_contains("the peer sent NO-PROPOSAL-CHOSEN"));
	/* the refusal ends the initiator's Quick Mode at once: its CHILD SA
	 * is gone and nothing is retransmitted into the refusal */
	assert_true(logcap_contains("failed: the peer answered NO-PROPOSAL-CHOSEN"));
	assert_true(h_view(INI(&w, state), &v));
	assert_int_equal(v.nchildren, 0);
	h_sleep(&w, 30000); /* every retransmission time of the Quick Mode */
	assert_int_equal(w.nq, 0);
	h_free(&w);
}

/* RFC 2409 5 / 2408 4.2: the responder must answer with one offered
 * transform unchanged; an answer that differs (here the key length 128 ->
 * 256 in Main Mode message 2) is refused by the initiator. */
static void test_modified_offer_rejected(void **state)
{
	static const uint8_t k128[] = {0x80, 0x0e, 0x00, 0x80}, k256[] = {0x80, 0x0e, 0x01, 0x00};
	struct h_world w;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state));
	assert_true(h_step_one(&w)); /* message 1 to the responder */
	h_jobs(&w);
	assert_int_equal(w.nq, 1);
	assert_int_equal(h_sender(&w, 0), RES(&w, state)->idx);
	h_patch_payload(&w, 0, ISAKMP_NP_SA, k128, k256, sizeof(k128));
	h_run(&w);
	assert_int_equal(h_count_state(INI(&w, state), IKE_SA_STATE_ESTABLISHED), 0);
	assert_int_equal(INI(&w, state)->nkeylog, 0);
	/* no message 3 went out */
	assert_int_equal(INI(&w, state)->sent, 1);
	assert_true(logcap_contains("the responder modified our offer"));
	h_free(&w);
}

static void test_wrong_psk(void **state)
{
	struct h_world w;
	struct h_opts a = {.psk = "the-right-key"}, b = {.psk = "a-wrong-key"};

	h_init(&w, &a, &b);
	initiate(&w, INI(&w, state));
	h_run(&w);
	while (h_advance(&w))
		h_run(&w);
	assert_int_equal(h_count_state(&w.p[0], IKE_SA_STATE_ESTABLISHED), 0);
	assert_int_equal(h_count_state(&w.p[1], IKE_SA_STATE_ESTABLISHED), 0);
	assert_int_equal(w.p[0].k.nsas + w.p[1].k.nsas, 0);
	/* a wrong key decrypts message 5 to garbage or fails HASH_I */
	assert_true(logcap_contains("a different pre-shared key?"));
	h_free(&w);
}

/* --- lost and repeated messages --- */

/* Main Mode message 2 is lost: the initiator sends message 1 again and the
 * responder answers with its cached message 2, byte for byte. */
static void test_lost_reply(void **state)
{
	struct h_world w;
	uint8_t *m2;
	size_t m2_len;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state));
	assert_true(h_step_one(&w));
	h_jobs(&w);
	assert_int_equal(w.nq, 1);
	m2 = h_take(&w, 0, &m2_len);
	assert_true(h_advance(&w)); /* the initiator's retransmission timer */
	h_jobs(&w);
	assert_int_equal(w.nq, 1);
	assert_int_equal(INI(&w, state)->sent, 2);
	assert_true(h_step_one(&w));
	h_jobs(&w);
	assert_int_equal(w.nq, 1);
	th_assert_bytes(w.q[0].buf, w.q[0].len, m2, m2_len, "retransmitted message 2");
	free(m2);
	h_run(&w);
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	assert_int_equal(ikev1_half_open_count(RES(&w, state)->e), 0);
	h_free(&w);
}

/* Quick Mode message 2 is lost: the initiator sends message 1 again and the
 * responder answers with the same message 2, installing nothing twice. */
static void test_lost_quick_mode_reply(void **state)
{
	struct h_world w;
	uint8_t *m2;
	size_t m2_len;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state));
	run_until(&w, ISAKMP_XCHG_QUICK, RES(&w, state)->idx);
	m2 = h_take(&w, 0, &m2_len);
	assert_true(h_advance(&w)); /* the initiator's retransmission timer */
	h_jobs(&w);
	assert_int_equal(w.nq, 1);
	assert_int_equal(h_exchange(&w, 0), ISAKMP_XCHG_QUICK);
	assert_true(h_step_one(&w));
	h_jobs(&w);
	assert_int_equal(w.nq, 1);
	th_assert_bytes(w.q[0].buf, w.q[0].len, m2, m2_len, "retransmitted Quick Mode message 2");
	free(m2);
	h_run(&w);
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	assert_int_equal(RES(&w, state)->k.added, 2);
	assert_int_equal(INI(&w, state)->k.added, 2);
	h_free(&w);
}

/* Message 3 arrives twice: the second copy gets the cached message 4 and
 * changes nothing. */
static void test_duplicated_request(void **state)
{
	struct h_world w;
	int n = 0;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state));
	assert_true(h_step_one(&w)); /* 1 */
	assert_true(h_step_one(&w)); /* 2 */
	h_jobs(&w);
	assert_int_equal(w.nq, 1); /* message 3 */
	h_dup(&w, 0);
	assert_true(h_step_one(&w));
	h_jobs(&w);
	assert_true(h_step_one(&w)); /* the copy */
	h_jobs(&w);
	assert_int_equal(w.nq, 2); /* message 4 twice */
	th_assert_bytes(w.q[0].buf, w.q[0].len, w.q[1].buf, w.q[1].len, "message 4 answers");
	h_drop(&w, 1);
	while (h_step(&w))
		assert_true(++n < 100);
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	assert_int_equal(RES(&w, state)->sent, 5);
	h_free(&w);
}

/* The network is faster than the crypto: a message that arrives while the
 * DH job of the previous one still runs is answered once the job is done,
 * not dropped (which would cost a retransmission timeout, a second on a
 * real machine: seen in tests/netns/v1_tshark.sh). */
static void test_message_during_job(void **state)
{
	struct h_world w;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state));
	h_run_eager(&w);
	assert_true(w.raced >= 1); /* the case happened */
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	assert_int_equal(INI(&w, state)->sent, 5);
	assert_int_equal(RES(&w, state)->sent, 4);
	h_free(&w);
}

/* Nothing answers: the initiator retransmits (RFC 2408 5 leaves the count
 * to the implementation; oak tries 5 times), then gives up and says so. */
static void test_retransmit_exhausted(void **state)
{
	struct h_world w;
	int n = 0;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state));
	for (;;) {
		h_jobs(&w);
		while (w.nq)
			h_drop(&w, 0);
		if (!h_advance(&w))
			break;
		assert_true(++n < 50);
	}
	h_jobs(&w);
	while (w.nq)
		h_drop(&w, 0);
	assert_true(INI(&w, state)->sent >= 3);
	assert_true(INI(&w, state)->sent <= 6);
	assert_int_equal(ikev1_sa_count(INI(&w, state)->e), 0);
	assert_int_equal(ikev1_next_deadline(INI(&w, state)->e), UINT64_MAX);
	h_free(&w);
}

/* --- bad input --- */

/* A Quick Mode for cookies no ISAKMP SA has: dropped, logged, no SA. */
static void test_quick_mode_without_phase1(void **state)
{
	struct h_world w;
	uint8_t m[28 + 64];
	size_t i;

	h_init(&w, NULL, NULL);
	memset(m, 0, sizeof(m));
	for (i = 0; i < 16; i++)
		m[i] = (uint8_t)(0x31 + i);
	m[16] = ISAKMP_NP_HASH;
	m[17] = 0x10;
	m[18] = ISAKMP_XCHG_QUICK;
	m[19] = ISAKMP_FLAG_E;
	m[20] = 0x12, m[21] = 0x34, m[22] = 0x56, m[23] = 0x78;
	m[27] = sizeof(m);
	for (i = 28; i < sizeof(m); i++)
		m[i] = (uint8_t)(i * 7);
	h_deliver(&w, RES(&w, state)->idx, m, sizeof(m));
	h_jobs(&w);
	assert_int_equal(ikev1_sa_count(RES(&w, state)->e), 0);
	assert_int_equal(ikev1_half_open_count(RES(&w, state)->e), 0);
	assert_true(RES(&w, state)->sent <= 1); /* at most an INVALID-COOKIE notify */
	assert_int_equal(RES(&w, state)->k.nsas, 0);
	assert_true(logcap_contains("for no ISAKMP SA of ours dropped"));
	h_free(&w);
}

/* A garbled and a truncated encrypted message under an established SA:
 * dropped with a log line, the SAs stay as they were, and a real message
 * after them still works. */
static void test_garbage_encrypted(void **state)
{
	struct h_world w;
	uint8_t *m;
	size_t len, i;
	unsigned sent;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state));
	h_run(&w);
	assert_established(&w);
	initiate(&w, INI(&w, state)); /* a second Quick Mode, message 1 */
	h_jobs(&w);
	assert_int_equal(w.nq, 1);
	assert_true(h_encrypted(&w, 0));
	m = h_take(&w, 0, &len);
	sent = RES(&w, state)->sent;
	/* garbled: every ciphertext byte changed */
	for (i = 28; i < len; i++)
		m[i] ^= 0x5a;
	h_deliver(&w, RES(&w, state)->idx, m, len);
	h_jobs(&w);
	for (i = 28; i < len; i++)
		m[i] ^= 0x5a;
	assert_int_equal(RES(&w, state)->sent, sent);
	assert_true(logcap_contains("dropped"));
	/* truncated: not a whole cipher block, header length to match */
	{
		uint8_t *t = malloc(len);

		assert_non_null(t);
		memcpy(t, m, len);
		t[24] = t[25] = 0;
		t[26] = 0;
		t[27] = 28 + 13;
		h_deliver(&w, RES(&w, state)->idx, t, 28 + 13);
		free(t);
	}
	h_jobs(&w);
	assert_int_equal(RES(&w, state)->sent, sent);
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	/* the genuine message still gets its answer */
	h_deliver(&w, RES(&w, state)->idx, m, len);
	free(m);
	h_run(&w);
	assert_established(&w);
	assert_int_equal(h_assert_child_pairs(&w), 2);
	h_free(&w);
}

/* RFC 3706 5.3: R-U-THERE only to a peer that sent nothing. While the
 * kernel counts IPsec packets from sun, moon (dpd_delay 30 s) stays quiet
 * for minutes; when they stop, it asks, sun answers and all stays. */
static void test_dpd_esp(void **state)
{
	struct h_opts o = {.conn_extra = "dpd_delay = 30s"};
	struct h_world w;
	struct h_peer *m = &w.p[0];
	unsigned sent;
	int i;

	h_init(&w, &o, NULL);
	initiate(&w, INI(&w, state));
	h_run(&w);
	assert_established(&w);
	sent = m->sent;
	for (i = 0; i < 4; i++) {
		m->k.packets_in += 10;
		h_sleep(&w, 30000);
	}
	assert_int_equal(m->sent, sent); /* 2 minutes without R-U-THERE */
	for (i = 0; i < 3 && m->sent == sent; i++)
		h_sleep(&w, 30000); /* the traffic has stopped */
	assert_int_equal(m->sent, sent + 1);
	assert_true(h_encrypted(&w, 0)); /* an Informational: R-U-THERE */
	h_run(&w);
	assert_int_equal(w.p[1].sent, RES(&w, state)->idx == 1 ? 4 + 1 : 5 + 1); /* the ACK */
	h_sleep(&w, 1000);
	assert_established(&w);
	h_free(&w);
}

/* RFC 2407 4.6.3.3: the initiator restarts and comes back with
 * INITIAL-CONTACT: the responder deletes the old ISAKMP SA and its IPsec SAs
 * instead of keeping both. */
static void test_initial_contact(void **state)
{
	struct h_world w;
	struct h_view v;
	uint32_t old_in;

	h_init(&w, NULL, NULL);
	initiate(&w, INI(&w, state));
	h_run(&w);
	assert_int_equal(h_assert_child_pairs(&w), 1);
	assert_true(h_view(RES(&w, state), &v));
	old_in = v.child[0].spi_in;
	assert_non_null(h_ksa(RES(&w, state), old_in));
	h_restart(&w, INI(&w, state)->idx);
	initiate(&w, INI(&w, state));
	h_run(&w);
	assert_established(&w); /* one ISAKMP SA each */
	assert_null(h_ksa(RES(&w, state), old_in));
	assert_int_equal(h_assert_child_pairs(&w), 1);
	assert_true(logcap_contains("INITIAL-CONTACT"));
	h_free(&w);
}

/* ikev1_initiate errors */
static void test_initiate_errors(void **state)
{
	struct h_world w;
	struct h_opts v2 = {.version = "2"};

	(void)state;
	h_init(&w, &v2, NULL);
	assert_int_equal(ikev1_initiate(w.p[1].e, "nonexistent", NULL, w.now, NULL), -ENOENT);
	assert_int_equal(ikev1_initiate(w.p[1].e, "gw", "nochild", w.now, NULL), -ENOENT);
	/* moon's gw is an IKEv2 connection */
	assert_int_equal(ikev1_initiate(w.p[0].e, "gw", NULL, w.now, NULL), -ENOENT);
	h_jobs(&w);
	assert_int_equal(w.nq, 0);
	h_free(&w);
}

#define BOTH(t) cmocka_unit_test_prestate(t, &roles[0]), cmocka_unit_test_prestate(t, &roles[1])

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_main_mode_psk),
		BOTH(test_default_lifetimes),
		BOTH(test_algorithms),
		BOTH(test_quick_mode_pfs),
		BOTH(test_second_quick_mode),
		BOTH(test_master_key_pfs),
		BOTH(test_quick_mode_limit),
		BOTH(test_aggressive_psk),
		BOTH(test_aggressive_refused),
		BOTH(test_delete_child),
		BOTH(test_delete_one_of_two),
		BOTH(test_delete_isakmp),
		BOTH(test_terminate_all),
		BOTH(test_proposal_mismatch),
		BOTH(test_quick_mode_mismatch),
		BOTH(test_modified_offer_rejected),
		BOTH(test_wrong_psk),
		BOTH(test_lost_reply),
		BOTH(test_lost_quick_mode_reply),
		BOTH(test_duplicated_request),
		BOTH(test_message_during_job),
		BOTH(test_retransmit_exhausted),
		BOTH(test_quick_mode_without_phase1),
		BOTH(test_garbage_encrypted),
		BOTH(test_initial_contact),
		BOTH(test_dpd_esp),
		cmocka_unit_test_prestate(test_initiate_errors, &roles[0]),
	};

	log_set_all(getenv("OAK_TEST_DEBUG") ? LVL_DEBUG : LVL_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
