/* Exchange tests of IKEv2 fragmentation (RFC 7383): two engines with the
 * fakes of harness.h, fragment_size = 576 (the smallest RFC 7383 allows,
 * Windows' size). Every test runs twice: moon initiates, then sun. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ikev2/exchange.h"
#include "lib/log.h"

static int roles[2] = {0, 1};

#define INI(w, st) (&(w)->p[*(int *)*(st)])
#define RES(w, st) (&(w)->p[!*(int *)*(st)])

/* The largest IKE message of a 576-octet IPv4 datagram (IP 20, UDP 8). */
#define MAX_MSG (576 - 20 - 8)

struct frag_case {
	char certs[2][600], secrets[2][1100], auth[1200];
	struct h_opts o[2];
};

/* Both authenticate with RSA certificates; moon's is the 4096-bit chain of
 * tests/vectors/certs/big (certificate and intermediate sent), sun's the
 * 2048-bit rsa.pem. frag: each side's fragmentation setting. */
static void frag_init(struct h_world *w, struct frag_case *c, const char *frag0, const char *frag1)
{
	static const char *const ids[2] = {"rsa4096.oak.test", "rsa.oak.test"};
	char root[512], in[512];
	int i;

	memset(c, 0, sizeof(*c));
	snprintf(root, sizeof(root), "%s", th_src_path("tests/vectors/certs/big/root4096.pem"));
	snprintf(in, sizeof(in), "%s", th_src_path("tests/vectors/certs/big/int4096.pem"));
	snprintf(c->auth, sizeof(c->auth),
		 "authorities { big-root { cacert = %s }\n big-int { cacert = %s } }", root, in);
	snprintf(c->certs[0], sizeof(c->certs[0]), "certs = %s",
		 th_src_path("tests/vectors/certs/big/rsa4096.pem"));
	snprintf(c->certs[1], sizeof(c->certs[1]), "certs = rsa.pem");
	snprintf(c->secrets[0], sizeof(c->secrets[0]), "private-big { file = %s }",
		 th_src_path("tests/vectors/certs/big/rsa4096.key"));
	for (i = 0; i < 2; i++) {
		struct h_opts *o = &c->o[i];

		o->auth = "pubkey";
		o->local_id = ids[i];
		o->remote_id = ids[!i];
		o->extra_local = c->certs[i];
		o->extra_remote = "";
		o->secrets = c->secrets[i];
		o->authorities = c->auth;
		o->fragment_size = "576";
	}
	c->o[0].conn_extra = frag0;
	c->o[1].conn_extra = frag1;
	h_init(w, &c->o[0], &c->o[1]);
}

static void assert_up(struct h_world *w)
{
	struct h_view a, b;

	assert_true(h_view(&w->p[0], &a));
	assert_true(h_view(&w->p[1], &b));
	assert_int_equal(a.state, IKE_SA_STATE_ESTABLISHED);
	assert_int_equal(b.state, IKE_SA_STATE_ESTABLISHED);
	assert_memory_equal(a.spi_i, b.spi_i, 8);
	assert_int_equal(h_assert_child_pairs(w), 1);
	assert_int_equal(w->p[0].k.errors + w->p[1].k.errors, 0);
}

/* Step until the first queued datagram is an IKE_AUTH one of this kind. */
static void run_until_auth(struct h_world *w, bool response)
{
	int n = 0;

	while (!(w->nq && h_exchange(w, 0) == IKEV2_EXCH_IKE_AUTH &&
		 h_is_response(w, 0) == response)) {
		assert_true(h_step(w));
		assert_true(++n < 100);
	}
}

/* The queued datagrams from the front that are IKE_AUTH of this kind, each
 * checked to fit a 576-octet datagram and to carry SKF. */
static size_t auth_frags(const struct h_world *w, bool response)
{
	size_t n = 0;

	while (n < w->nq && h_exchange(w, n) == IKEV2_EXCH_IKE_AUTH &&
	       h_is_response(w, n) == response) {
		assert_true(w->q[n].len <= MAX_MSG);
		assert_int_equal(w->q[n].buf[16], IKEV2_PL_SKF); /* header Next Payload */
		n++;
	}
	return n;
}

/* IKE_AUTH in fragments both ways (the 4096-bit chain one way), established. */
static void test_frag_auth(void **state)
{
	struct h_world w;
	struct frag_case c;
	size_t req, resp;

	frag_init(&w, &c, NULL, NULL);
	assert_int_equal(ikev2_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	run_until_auth(&w, false);
	req = auth_frags(&w, false);
	while (!(w.nq && h_exchange(&w, 0) == IKEV2_EXCH_IKE_AUTH && h_is_response(&w, 0)))
		assert_true(h_step(&w));
	resp = auth_frags(&w, true);
	print_message("IKE_AUTH: request in %zu, response in %zu fragments\n", req, resp);
	assert_true(req >= 2 && resp >= 2);
	assert_true(req + resp >= 8); /* the 4096-bit chain is about 3.5 kB */
	h_run(&w);
	assert_up(&w);
	h_free(&w);
}

/* A lost fragment: the whole request again after the retransmission
 * timeout; the responder answers once. */
static void test_frag_lost(void **state)
{
	struct h_world w;
	struct frag_case c;
	size_t n;

	frag_init(&w, &c, NULL, NULL);
	assert_int_equal(ikev2_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	run_until_auth(&w, false);
	n = auth_frags(&w, false);
	assert_true(n >= 2);
	h_drop(&w, n - 1); /* the last fragment */
	while (w.nq)
		assert_true(h_step(&w)); /* the others are kept, nothing answered */
	assert_int_equal(w.nq, 0);
	assert_true(h_advance(&w)); /* retransmission: every fragment again */
	assert_int_equal(auth_frags(&w, false), n);
	h_run(&w);
	assert_up(&w);
	h_free(&w);
}

/* Fragments in reverse order, each twice, and a retransmitted request:
 * one answer, then the cached one only for fragment 1 (RFC 7383 2.6.1). */
static void test_frag_reordered(void **state)
{
	struct h_world w;
	struct frag_case c;
	uint8_t *f[IKEV2_FRAG_MAX] = {NULL};
	size_t len[IKEV2_FRAG_MAX], n, i;
	unsigned sent;
	struct h_peer *res;

	frag_init(&w, &c, NULL, NULL);
	res = RES(&w, state);
	assert_int_equal(ikev2_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	run_until_auth(&w, false);
	n = auth_frags(&w, false);
	assert_true(n >= 2);
	for (i = 0; i < n; i++)
		f[i] = h_take(&w, 0, &len[i]);
	sent = res->sent;
	for (i = n; i-- > 0;) {
		h_deliver(&w, res->idx, f[i], len[i]);
		h_deliver(&w, res->idx, f[i], len[i]);
		h_jobs(&w);
	}
	h_jobs(&w);
	assert_true(res->sent > sent); /* answered (in fragments) */
	sent = res->sent;
	for (i = 1; i < n; i++) /* a retransmission's later fragments: nothing */
		h_deliver(&w, res->idx, f[i], len[i]);
	assert_int_equal(res->sent, sent);
	h_deliver(&w, res->idx, f[0], len[0]); /* its first: the cached answer */
	assert_true(res->sent > sent);
	for (i = 0; i < n; i++)
		free(f[i]);
	h_run(&w);
	assert_up(&w);
	h_free(&w);
}

/* fragmentation = accept: that side takes fragments but sends whole
 * messages; = no: nobody announces it and nothing is fragmented. */
static void test_frag_settings(void **state)
{
	struct h_world w;
	struct frag_case c;
	size_t i;
	int ini = *(int *)*state;

	frag_init(&w, &c, ini ? NULL : "fragmentation = accept",
		  ini ? "fragmentation = accept" : NULL);
	assert_int_equal(ikev2_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	run_until_auth(&w, false); /* the initiator (accept) sends it whole */
	assert_int_equal(w.q[0].buf[16], IKEV2_PL_SK);
	assert_true(w.q[0].len > MAX_MSG);
	while (!(w.nq && h_exchange(&w, 0) == IKEV2_EXCH_IKE_AUTH && h_is_response(&w, 0)))
		assert_true(h_step(&w));
	assert_true(auth_frags(&w, true) >= 2); /* the responder (yes) fragments */
	h_run(&w);
	assert_up(&w);
	h_free(&w);

	frag_init(&w, &c, ini ? "fragmentation = no" : NULL, ini ? NULL : "fragmentation = no");
	assert_int_equal(ikev2_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	run_until_auth(&w, false);
	while (w.nq) {
		for (i = 0; i < w.nq; i++)
			if (h_exchange(&w, i) == IKEV2_EXCH_IKE_AUTH)
				assert_int_equal(w.q[i].buf[16], IKEV2_PL_SK);
		assert_true(h_step(&w));
	}
	h_run(&w);
	assert_up(&w);
	h_free(&w);
}

/* --- fragments made by hand: more than 16, malformed --- */

/* An INFORMATIONAL request of moon (established) with a Vendor ID of vid_len
 * octets, sealed in fragments of at most max octets; returns how many. */
static size_t hand_frags(struct h_world *w, size_t vid_len, size_t max, uint8_t **out,
			 size_t *out_len, size_t *frag_len)
{
	struct h_view v;
	struct ikev2_ike_sa *sa;
	struct builder b;
	struct ikev2_enc enc;
	uint8_t *vid = malloc(vid_len), first;

	assert_non_null(vid);
	memset(vid, 0x5a, vid_len);
	assert_true(h_view(&w->p[0], &v));
	sa = ikev2_sa_by_serial(w->p[0].e, v.serial);
	assert_non_null(sa);
	bld_init(&b, 0);
	ikev2_chain_encode_begin(&enc, &b);
	ikev2_put_vendor(&enc, (struct span){vid, vid_len});
	assert_int_equal(ikev2_chain_encode_end(&enc, &first), 0);
	assert_int_equal(ikev2_sk_seal_frags(sa, IKEV2_EXCH_INFORMATIONAL, false, sa->next_req_id,
					     bld_data(&b), bld_off(&b), first, max, 1000, out,
					     out_len, frag_len),
			 0);
	sa->next_req_id++;
	bld_free(&b);
	free(vid);
	assert_true(*frag_len > 0 && *frag_len <= max);
	return (*out_len + *frag_len - 1) / *frag_len;
}

static void deliver_frag(struct h_world *w, const uint8_t *all, size_t all_len, size_t frag_len,
			 size_t k)
{
	size_t off = k * frag_len, len = all_len - off < frag_len ? all_len - off : frag_len;

	h_deliver(w, 1, all + off, len);
}

static struct h_world *up_psk(struct h_world *w)
{
	struct h_opts o = {.fragment_size = "576"};

	h_init(w, &o, &o);
	assert_int_equal(ikev2_initiate(w->p[0].e, "gw", "net", w->now, NULL), 0);
	h_run(w);
	return w;
}

/* 40 fragments (Windows-sized ones are 576..626 octets; here smaller), in
 * a shuffled order: reassembled and answered. */
static void test_frag_many(void **state)
{
	struct h_world w;
	uint8_t *all;
	size_t len, fl, n, i;
	unsigned sent;

	(void)state;
	up_psk(&w);
	n = hand_frags(&w, 3000, 120, &all, &len, &fl);
	assert_true(n > 16 && n <= IKEV2_FRAG_MAX);
	sent = w.p[1].sent;
	for (i = 0; i < n; i++)
		deliver_frag(&w, all, len, fl, (i * 7) % n); /* 7 and n coprime below */
	if (n % 7 == 0)
		for (i = 0; i < n; i++)
			deliver_frag(&w, all, len, fl, i);
	assert_int_equal(w.p[1].sent, sent + 1); /* the (empty) answer */
	free(all);
	h_free(&w);
}

/* Malformed input changes nothing and is not answered: more fragments than
 * we take; a fragment with a flipped octet (ICV); fragments of one message
 * with two Total Fragments values (the smaller one is dropped); then the
 * good ones still work. */
static void test_frag_malformed(void **state)
{
	struct h_world w;
	uint8_t *all, *bad;
	size_t len, fl, n, i;
	unsigned sent;

	(void)state;
	up_psk(&w);
	sent = w.p[1].sent;
	/* 1. too many fragments: dropped at the first one */
	n = hand_frags(&w, 9000, 120, &all, &len, &fl);
	if (n <= IKEV2_FRAG_MAX) {
		free(all);
		fail_msg("expected more than %d fragments, got %zu", IKEV2_FRAG_MAX, n);
	}
	for (i = 0; i < n; i++)
		deliver_frag(&w, all, len, fl, i);
	assert_int_equal(w.p[1].sent, sent);
	free(all);
	/* moon's message IDs moved on; sun still waits for the ID of #1 */
	{
		struct h_view v;
		struct ikev2_ike_sa *sa;

		assert_true(h_view(&w.p[0], &v));
		sa = ikev2_sa_by_serial(w.p[0].e, v.serial);
		sa->next_req_id--;
	}
	/* 2. a tampered fragment: the message never completes */
	n = hand_frags(&w, 1000, 200, &all, &len, &fl);
	bad = malloc(len);
	memcpy(bad, all, len);
	bad[fl + 60] ^= 0x01; /* in fragment 2's ciphertext */
	for (i = 0; i < n; i++)
		deliver_frag(&w, i == 1 ? bad : all, len, fl, i);
	assert_int_equal(w.p[1].sent, sent);
	/* and the good fragment 2 completes it */
	deliver_frag(&w, all, len, fl, 1);
	assert_int_equal(w.p[1].sent, sent + 1);
	free(bad);
	free(all);
	h_free(&w);
}

#define BOTH(t) cmocka_unit_test_prestate(t, &roles[0]), cmocka_unit_test_prestate(t, &roles[1])

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_frag_auth),	  BOTH(test_frag_lost), BOTH(test_frag_reordered),
		BOTH(test_frag_settings), BOTH(test_frag_many), BOTH(test_frag_malformed),
	};

	log_set_all(getenv("OAK_TEST_DEBUG") ? LVL_DEBUG : LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
