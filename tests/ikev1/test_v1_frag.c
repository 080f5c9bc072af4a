/* Exchange tests of IKEv1 fragmentation (Cisco's vendor extension, payload
 * 132, as strongSwan, libreswan and Windows send it): two engines with the
 * fakes of harness.h, fragment_size = 576 (Windows' size). Moon signs with
 * the 4096-bit RSA chain of tests/vectors/certs/big (certificate and
 * intermediate sent), sun with the 2048-bit rsa.pem, so Main Mode messages
 * 5 and 6 both exceed one datagram. Every test runs twice: moon initiates,
 * then sun. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/builder.h"
#include "lib/log.h"
#include "wire/ikev1.h"
#include "wire/ikev1_names.h"

static int roles[2] = {0, 1};

#define INI(w, st) (&(w)->p[*(int *)*(st)])
#define RES(w, st) (&(w)->p[!*(int *)*(st)])

/* The largest ISAKMP message of a 576-octet IPv4 datagram (IP 20, UDP 8). */
#define MAX_MSG (576 - 20 - 8)

struct frag_case {
	char certs[2][600], secrets[2][1100], auth[1200];
	struct h_opts o[2];
};

/* frag: each side's `fragmentation` line (NULL: the default, yes). */
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
		o->daemon = "fragment_size = 576";
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
	assert_string_equal(a.remote_id, "rsa.oak.test");
	assert_string_equal(b.remote_id, "rsa4096.oak.test");
	assert_int_equal(h_assert_child_pairs(w), 1);
	assert_int_equal(w->p[0].k.errors + w->p[1].k.errors, 0);
}

static bool is_frag(const struct h_world *w, size_t i)
{
	return w->q[i].len >= 28 && w->q[i].buf[16] == ISAKMP_NP_FRAG;
}

/* Step until the first queued datagram is a fragment. */
static void run_until_frag(struct h_world *w)
{
	int n = 0;

	while (!(w->nq && is_frag(w, 0))) {
		assert_true(h_step(w));
		assert_true(++n < 100);
	}
}

/* The fragment payload of queued datagram i. */
static struct ikev1_frag frag_of(const struct h_world *w, size_t i)
{
	struct ikev1_msg m;
	struct wire_err err;
	const struct ikev1_payload *p;

	assert_int_equal(ikev1_msg_decode(w->q[i].buf, w->q[i].len, &m, &err), 0);
	p = ikev1_msg_get(&m, ISAKMP_NP_FRAG, 0);
	assert_non_null(p);
	return p->u.frag;
}

/* The queued fragments from the front of one message, each checked: it
 * fits 576 octets, it is one clear fragment payload in a Main Mode header,
 * numbered 1..n with one ID, LAST only on the last. */
static size_t frags_at_front(const struct h_world *w, uint16_t *id)
{
	size_t n = 0;

	while (n < w->nq && is_frag(w, n) && h_sender(w, n) == h_sender(w, 0)) {
		struct ikev1_frag f = frag_of(w, n);

		assert_true(w->q[n].len <= MAX_MSG);
		assert_int_equal(h_exchange(w, n), ISAKMP_XCHG_IDPROT);
		assert_false(h_encrypted(w, n));
		if (n == 0)
			*id = f.id;
		assert_int_equal(f.id, *id);
		assert_int_equal(f.number, n + 1);
		n++;
		if (f.flags & IKEV1_FRAG_LAST)
			return n;
	}
	fail_msg("no fragment with LAST after %zu", n);
	return 0;
}

/* Main Mode 5 and 6 in fragments (the 4096-bit chain one way, the 2048-bit
 * one the other), established, the IPsec SA pair installed. */
static void test_frag_main_mode(void **state)
{
	struct h_world w;
	struct frag_case c;
	size_t n5, n6;
	uint16_t id5, id6;

	frag_init(&w, &c, NULL, NULL);
	assert_int_equal(ikev1_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	run_until_frag(&w);
	assert_int_equal(h_sender(&w, 0), INI(&w, state)->idx);
	n5 = frags_at_front(&w, &id5);
	while (w.nq && is_frag(&w, 0) && h_sender(&w, 0) == INI(&w, state)->idx)
		assert_true(h_step(&w));
	run_until_frag(&w);
	assert_int_equal(h_sender(&w, 0), RES(&w, state)->idx);
	n6 = frags_at_front(&w, &id6);
	print_message("Main Mode 5 in %zu, 6 in %zu fragments\n", n5, n6);
	assert_true(n5 >= 3 && n6 >= 3);
	assert_true(n5 + n6 >= 9); /* the 4096-bit chain is about 3.4 kB */
	h_run(&w);
	assert_up(&w);
	h_free(&w);
}

/* A lost fragment: after the retransmission timeout every fragment goes
 * again with the same ID; the peer reassembles and answers. */
static void test_frag_lost(void **state)
{
	struct h_world w;
	struct frag_case c;
	size_t n, i;
	uint16_t id, id2;

	frag_init(&w, &c, NULL, NULL);
	assert_int_equal(ikev1_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	run_until_frag(&w);
	n = frags_at_front(&w, &id);
	h_drop(&w, n - 1); /* the last fragment */
	for (i = 0; i + 1 < n; i++)
		assert_true(h_step(&w)); /* kept, nothing answered */
	assert_int_equal(w.nq, 0);
	assert_true(h_advance(&w)); /* retransmission */
	assert_int_equal(frags_at_front(&w, &id2), n);
	assert_int_equal(id2, id);
	h_run(&w);
	assert_up(&w);
	h_free(&w);
}

static bool has_frag_vid(const struct h_dgram *d)
{
	size_t off;

	for (off = 28; off + 16 <= d->len; off++)
		if (memcmp(d->buf + off, ikev1_vid_fragmentation, 16) == 0)
			return true;
	return false;
}

/* Run to the end, counting per sender the fragments, the datagrams over
 * 576 octets and those with the fragmentation vendor ID, each once. */
static void run_counting(struct h_world *w, size_t frags[2], size_t big[2], size_t vid[2])
{
	int n = 0;

	frags[0] = frags[1] = big[0] = big[1] = vid[0] = vid[1] = 0;
	while (w->nq || w->njobs) {
		if (!w->njobs) { /* h_step delivers the first one */
			int s = h_sender(w, 0);

			frags[s] += is_frag(w, 0);
			big[s] += w->q[0].len > MAX_MSG;
			vid[s] += has_frag_vid(&w->q[0]);
		}
		assert_true(h_step(w));
		assert_true(++n < 1000);
	}
}

/* fragmentation = accept on a side: it announces the vendor ID and takes
 * fragments, but sends whole messages; = no: it does not even announce it,
 * so the other side (yes) sends whole messages too. */
static void test_frag_settings(void **state)
{
	struct h_world w;
	struct frag_case c;
	size_t frags[2], big[2], vid[2];

	frag_init(&w, &c, "fragmentation = accept", NULL);
	assert_int_equal(ikev1_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	run_counting(&w, frags, big, vid);
	assert_int_equal(frags[0], 0);
	assert_int_equal(big[0], 1); /* its Main Mode 5 or 6, whole */
	assert_true(frags[1] >= 3);
	assert_int_equal(big[1], 0);
	assert_int_equal(vid[0], 1);
	assert_up(&w);
	h_free(&w);

	frag_init(&w, &c, "fragmentation = no", NULL);
	assert_int_equal(ikev1_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	run_counting(&w, frags, big, vid);
	assert_int_equal(frags[0] + frags[1], 0);
	assert_int_equal(big[0], 1);
	assert_int_equal(big[1], 1);
	assert_int_equal(vid[0], 0);
	assert_int_equal(vid[1], 1);
	assert_up(&w);
	h_free(&w);
}

/* Replace vendor ID payloads with the fragmentation ID in every queued
 * datagram (clear Main Mode 1 and 2) by an unknown ID. */
static void hide_frag_vid(struct h_world *w)
{
	size_t i, off;

	for (i = 0; i < w->nq; i++)
		for (off = 28; off + 16 <= w->q[i].len; off++)
			if (memcmp(w->q[i].buf + off, ikev1_vid_fragmentation, 16) == 0)
				w->q[i].buf[off] ^= 0xff;
}

/* A peer that did not announce fragmentation gets whole messages (yes),
 * unless the connection says force. */
static void test_frag_peer_silent(void **state)
{
	struct h_world w;
	struct frag_case c;
	int ini = *(int *)*state;
	size_t k, frags, big;

	for (k = 0; k < 2; k++) {
		const char *f = k ? "fragmentation = force" : NULL;

		frag_init(&w, &c, f, f);
		assert_int_equal(ikev1_initiate(w.p[ini].e, "gw", "net", w.now, NULL), 0);
		frags = big = 0;
		while (w.nq || w.njobs) {
			hide_frag_vid(&w);
			if (!w.njobs) { /* h_step delivers the first one */
				frags += is_frag(&w, 0);
				big += w.q[0].len > MAX_MSG;
			}
			assert_true(h_step(&w));
		}
		/* Main Mode 5 and 6: whole, or in at least 3 parts each */
		assert_int_equal(big, k ? 0 : 2);
		assert_true(k ? frags >= 6 : frags == 0);
		assert_up(&w);
		h_free(&w);
	}
}

/* One fragment datagram (header of msg, the fragment payload). (caller
 * frees) */
static uint8_t *make_frag(const uint8_t *msg, uint16_t id, uint8_t num, bool last,
			  const uint8_t *data, size_t n, size_t *len)
{
	struct isakmp_hdr h;
	struct ikev1_enc enc;
	struct builder b;

	memset(&h, 0, sizeof(h));
	memcpy(h.spi_i, msg, 8);
	memcpy(h.spi_r, msg + 8, 8);
	h.next_payload = ISAKMP_NP_FRAG;
	h.major = 1;
	h.exchange = msg[18];
	h.flags = 0;
	h.msg_id = (uint32_t)msg[20] << 24 | (uint32_t)msg[21] << 16 | (uint32_t)msg[22] << 8 |
		   msg[23];
	bld_init(&b, 65535);
	assert_int_equal(ikev1_enc_begin(&enc, &b, &h), 0);
	assert_int_equal(
		ikev1_put_frag(&enc, &(struct ikev1_frag){.id = id,
							  .number = num,
							  .flags = last ? IKEV1_FRAG_LAST : 0,
							  .data = {data, n}}),
		0);
	assert_int_equal(ikev1_enc_end(&enc), 0);
	return bld_take(&b, len);
}

/* Windows fragments at 576-626 octets: a message in more than 16 parts,
 * delivered last part first, each twice, is reassembled. The test joins
 * the initiator's Main Mode 5 fragments and cuts the message again into
 * 80-byte parts. */
static void test_frag_many(void **state)
{
	struct h_world w;
	struct frag_case c;
	struct h_peer *res;
	uint8_t whole[8192], *parts[64];
	size_t n, i, len = 0, plen[64], np;
	uint16_t id;
	unsigned sent;

	frag_init(&w, &c, NULL, NULL);
	res = RES(&w, state);
	assert_int_equal(ikev1_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	run_until_frag(&w);
	n = frags_at_front(&w, &id);
	for (i = 0; i < n; i++) {
		struct ikev1_frag f = frag_of(&w, 0);

		assert_true(len + f.data.len <= sizeof(whole));
		memcpy(whole + len, f.data.p, f.data.len);
		len += f.data.len;
		h_drop(&w, 0);
	}
	np = (len + 79) / 80;
	assert_true(np > 16 && np <= 64);
	for (i = 0; i < np; i++) {
		size_t m = len - i * 80 < 80 ? len - i * 80 : 80;

		parts[i] = make_frag(whole, 7, (uint8_t)(i + 1), i + 1 == np, whole + i * 80, m,
				     &plen[i]);
	}
	sent = res->sent;
	for (i = np; i-- > 0;) {
		h_deliver(&w, res->idx, parts[i], plen[i]);
		if (i)
			assert_int_equal(res->sent, sent); /* incomplete: nothing */
		h_deliver(&w, res->idx, parts[i], plen[i]);
	}
	h_jobs(&w);
	assert_true(res->sent > sent); /* Main Mode 6 */
	for (i = 0; i < np; i++)
		free(parts[i]);
	h_run(&w);
	assert_up(&w);
	h_free(&w);
}

/* A fragment number beyond what oak keeps (64) is refused and logged; the
 * message is never complete. */
static void test_frag_number_refused(void **state)
{
	struct h_world w;
	struct frag_case c;
	struct h_peer *res;
	uint8_t *f, data[16] = {0};
	size_t len, n;
	uint16_t id;
	unsigned sent;

	frag_init(&w, &c, NULL, NULL);
	res = RES(&w, state);
	assert_int_equal(ikev1_initiate(INI(&w, state)->e, "gw", "net", w.now, NULL), 0);
	run_until_frag(&w);
	n = frags_at_front(&w, &id);
	assert_true(n >= 2);
	f = make_frag(w.q[0].buf, id, 65, true, data, sizeof(data), &len);
	sent = res->sent;
	logcap_start();
	h_deliver(&w, res->idx, f, len);
	free(f);
	assert_int_equal(res->sent, sent);
	assert_true(logcap_contains("fragment number 65 refused (1..64)"));
	h_run(&w);
	assert_up(&w);
	h_free(&w);
}

#define BOTH(t) cmocka_unit_test_prestate(t, &roles[0]), cmocka_unit_test_prestate(t, &roles[1])

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_frag_main_mode),   BOTH(test_frag_lost), BOTH(test_frag_settings),
		BOTH(test_frag_peer_silent), BOTH(test_frag_many), BOTH(test_frag_number_refused),
	};

	log_set_all(getenv("OAK_TEST_DEBUG") ? LVL_DEBUG : LVL_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
