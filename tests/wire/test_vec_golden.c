/* test_vec_golden.c: the wire codec against the golden captures of real
 * strongSwan 5.9.8 and libreswan 4.10 peers (tests/vectors/captures, format in
 * tests/vectors/README.md).
 *
 * For every capture file (one cmocka test each, found by listing the
 * directory, so a new recording is tested without touching this file):
 *   - the number of msg lines is the one the comments announce ("# N IKE
 *     messages"), and each message's exchange, message ID and payload list
 *     are the ones its comment line gives (the recorder wrote those from
 *     charon's log and tshark, not from our code);
 *   - every message decodes, and encoding the decoded message gives back the
 *     datagram byte for byte;
 *   - every encrypted message decrypts with the file's keys (IKEv2: the ICV
 *     verifies, RFC 7296 3.14; AEAD: the GCM tag, RFC 5282; IKEv1: RFC 2409
 *     appendix B IV chain), its inner chain decodes, and encoding the inner
 *     chain gives back the plaintext (IKEv2: up to the padding; IKEv1: the
 *     padding too, which the decoder keeps).
 * Messages the file marks as special ("not decrypted" by strongSwan, a
 * retransmission tshark could not decrypt) are printed, and must decrypt too.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/encr.h"
#include "crypto/integ.h"
#include "crypto/prf.h"
#include "lib/builder.h"
#include "lib/hex.h"
#include "testutil.h"
#include "wire/ikev1.h"
#include "wire/ikev2.h"

#define MAX_MSGS  64
#define MAX_KEYS  4
#define MAX_SEEN  64
#define MAX_EXCH  32
#define LINE_MAX_ 65536

struct gmsg {
	unsigned n;
	char src[64];
	uint16_t sport, dport;
	uint8_t *data;
	size_t len;
	char comment[2048]; /* the "#   msg N: ..." line, after "msg N: " */
};

struct gkey2 {
	uint8_t spi_i[8], spi_r[8];
	uint8_t sk_ei[64], sk_er[64], sk_ai[64], sk_ar[64];
	size_t ek_len, ak_len;
	const struct encr_alg *encr;
	const struct integ_alg *integ;
};

struct golden {
	char name[128];
	unsigned announced; /* "# N IKE messages" */
	struct gmsg m[MAX_MSGS];
	unsigned nm;
	struct gkey2 k2[MAX_KEYS];
	unsigned nk2;
	uint8_t cky_i[8], enc_key[64];
	size_t enc_key_len;
	bool have_v1key;
};

/* --- reading the file --- */

static const char *kv_value(const char *line, const char *key, char *out, size_t n)
{
	char pat[32];
	const char *p;
	size_t len;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	assert_non_null(p);
	p += strlen(pat);
	if (*p == '"') {
		p++;
		len = strcspn(p, "\"");
	} else {
		len = strcspn(p, " \n");
	}
	assert_true(len < n);
	memcpy(out, p, len);
	out[len] = '\0';
	return out;
}

static size_t kv_hex(const char *line, const char *key, uint8_t *out, size_t cap)
{
	char v[512];

	kv_value(line, key, v, sizeof(v));
	return th_hex(out, cap, v);
}

/* Wireshark's encryption names as the recorder writes them. */
static void key2_algs(struct gkey2 *k, const char *line)
{
	char encr[96], integ[96];

	kv_value(line, "encr", encr, sizeof(encr));
	kv_value(line, "integ", integ, sizeof(integ));
	if (strncmp(encr, "AES-CBC-", 8) == 0)
		k->encr = encr_by_ikev2_id(12);
	else if (strstr(encr, "AES-GCM-") && strstr(encr, "16 octet ICV"))
		k->encr = encr_by_ikev2_id(20);
	else
		fail_msg("encryption \"%s\" not handled by this test", encr);
	if (strcmp(integ, "NONE [RFC4306]") == 0)
		k->integ = NULL;
	else if (strcmp(integ, "HMAC_SHA2_256_128 [RFC4868]") == 0)
		k->integ = integ_by_ikev2_id(12);
	else if (strcmp(integ, "HMAC_SHA2_384_192 [RFC4868]") == 0)
		k->integ = integ_by_ikev2_id(13);
	else if (strcmp(integ, "HMAC_SHA1_96 [RFC2404]") == 0)
		k->integ = integ_by_ikev2_id(2);
	else
		fail_msg("integrity \"%s\" not handled by this test", integ);
	assert_non_null(k->encr);
	assert_int_equal(k->encr->aead, k->integ == NULL);
}

static void read_msg_line(struct golden *g, char *line)
{
	struct gmsg *m = &g->m[g->nm];
	char *tok[6], *save = NULL;

	assert_true(g->nm < MAX_MSGS);
	for (int i = 0; i < 6; i++)
		assert_non_null(tok[i] = strtok_r(i ? NULL : line, " \n", &save));
	m->n = (unsigned)strtoul(tok[1], NULL, 10);
	snprintf(m->src, sizeof(m->src), "%s", tok[2]);
	m->sport = (uint16_t)strtoul(strrchr(tok[2], ':') + 1, NULL, 10);
	m->dport = (uint16_t)strtoul(strrchr(tok[4], ':') + 1, NULL, 10);
	m->data = th_hex_alloc(tok[5], &m->len);
	assert_int_equal(m->n, g->nm + 1);
	g->nm++;
}

static void read_comment(struct golden *g, const char *line)
{
	unsigned n;
	int off = 0;

	if (sscanf(line, "# %u IKE messages", &n) == 1)
		g->announced = n;
	else if (sscanf(line, "#   msg %u: %n", &n, &off) == 1 && off > 0 && n >= 1 &&
		 n <= MAX_MSGS)
		snprintf(g->m[n - 1].comment, sizeof(g->m[n - 1].comment), "%s", line + off);
}

static void golden_load(struct golden *g, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = malloc(LINE_MAX_);

	assert_non_null(f);
	assert_non_null(line);
	while (fgets(line, LINE_MAX_, f)) {
		if (line[0] == '#') {
			read_comment(g, line);
		} else if (strncmp(line, "msg ", 4) == 0) {
			read_msg_line(g, line);
		} else if (strncmp(line, "ikev2_keys ", 11) == 0) {
			struct gkey2 *k = &g->k2[g->nk2++];

			assert_true(g->nk2 <= MAX_KEYS);
			assert_int_equal(kv_hex(line, "spi_i", k->spi_i, 8), 8);
			assert_int_equal(kv_hex(line, "spi_r", k->spi_r, 8), 8);
			k->ek_len = kv_hex(line, "sk_ei", k->sk_ei, sizeof(k->sk_ei));
			assert_int_equal(kv_hex(line, "sk_er", k->sk_er, sizeof(k->sk_er)),
					 k->ek_len);
			k->ak_len = kv_hex(line, "sk_ai", k->sk_ai, sizeof(k->sk_ai));
			assert_int_equal(kv_hex(line, "sk_ar", k->sk_ar, sizeof(k->sk_ar)),
					 k->ak_len);
			key2_algs(k, line);
		} else if (strncmp(line, "ikev1_keys ", 11) == 0) {
			assert_int_equal(kv_hex(line, "cky_i", g->cky_i, 8), 8);
			g->enc_key_len = kv_hex(line, "enc_key", g->enc_key, sizeof(g->enc_key));
			g->have_v1key = true;
		}
	}
	free(line);
	fclose(f);
}

static void golden_free(struct golden *g)
{
	for (unsigned i = 0; i < g->nm; i++)
		free(g->m[i].data);
}

/* The message body (after the non-ESP marker on port 4500, RFC 3948 2.2). */
static struct span body_of(const struct gmsg *m)
{
	if (m->sport == 4500 || m->dport == 4500) {
		assert_true(m->len > 4);
		assert_memory_equal(m->data, "\0\0\0\0", 4);
		return (struct span){m->data + 4, m->len - 4};
	}
	return (struct span){m->data, m->len};
}

/* The comment's payload list "[ A B {C D } ]" as space-separated names
 * without braces, and our list in the same shape, must be equal. */
static void expect_payloads(const struct gmsg *m, const char *ours)
{
	const char *open = strchr(m->comment, '['), *close = strrchr(m->comment, ']');
	char want[2048];
	size_t o = 0;
	bool space = true;

	assert_non_null(open);
	assert_non_null(close);
	for (const char *p = open + 1; p < close && o + 1 < sizeof(want); p++) {
		if (*p == '{' || *p == '}')
			continue;
		if (*p == ' ' || *p == '\n') {
			if (!space)
				want[o++] = ' ';
			space = true;
			continue;
		}
		want[o++] = *p;
		space = false;
	}
	while (o && want[o - 1] == ' ')
		o--;
	want[o] = '\0';
	if (strcmp(want, ours) != 0)
		fail_msg("msg %u: payloads \"%s\", the file's comment says \"%s\"", m->n, ours,
			 want);
}

static void append(char *buf, size_t n, const char *s)
{
	size_t l = strlen(buf);

	snprintf(buf + l, n - l, "%s%s", l ? " " : "", s);
}

static void reencode_v2(const struct ikev2_msg *msg, struct span raw)
{
	struct builder b;

	bld_init(&b, 0);
	assert_int_equal(ikev2_msg_encode(&b, msg), 0);
	th_assert_bytes(bld_data(&b), bld_off(&b), raw.p, raw.len, "re-encoded IKEv2 message");
	bld_free(&b);
}

/* --- IKEv2 --- */

static const struct gkey2 *find_key2(const struct golden *g, const struct isakmp_hdr *h)
{
	for (unsigned i = 0; i < g->nk2; i++)
		if (!memcmp(g->k2[i].spi_i, h->spi_i, 8) && !memcmp(g->k2[i].spi_r, h->spi_r, 8))
			return &g->k2[i];
	return NULL;
}

/* RFC 7296 3.14 / RFC 5282 5: verify and decrypt; returns the plaintext
 * length without padding and Pad Length. */
static size_t v2_decrypt(const struct golden *g, const struct gmsg *gm, const struct ikev2_msg *m,
			 uint8_t *plain, size_t *iv_len)
{
	const struct ikev2_payload *sk = &m->pl[m->sk];
	const struct gkey2 *k = find_key2(g, &m->hdr);
	bool init = m->hdr.flags & IKEV2_FLAG_I;
	struct span body = sk->sk.data;
	size_t off = (size_t)(body.p - m->raw.p), icv, ct;
	int r;

	if (!k)
		fail_msg("msg %u: no ikev2_keys row for its SPIs", gm->n);
	*iv_len = k->encr->iv_len;
	icv = k->encr->aead ? k->encr->icv_len : k->integ->icv_len;
	assert_true(body.len > *iv_len + icv);
	ct = body.len - *iv_len - icv;
	if (k->integ) {
		struct span covered = {m->raw.p, off + *iv_len + ct};

		r = integ_verify(k->integ, init ? k->sk_ai : k->sk_ar, k->ak_len, &covered, 1,
				 body.p + body.len - icv, icv);
		if (r)
			fail_msg("msg %u: ICV does not verify (%d)", gm->n, r);
	}
	struct span aad = {m->raw.p, off};

	r = encr_decrypt(k->encr, init ? k->sk_ei : k->sk_er, k->ek_len, body.p, *iv_len,
			 k->encr->aead ? &aad : NULL, k->encr->aead, body.p + *iv_len, ct, plain,
			 k->encr->aead ? body.p + body.len - icv : NULL);
	if (r)
		fail_msg("msg %u: decryption failed (%d)", gm->n, r);
	assert_true((size_t)plain[ct - 1] + 1 <= ct);
	return ct - plain[ct - 1] - 1;
}

static void v2_names(const struct ikev2_msg *m, char *buf, size_t n)
{
	buf[0] = '\0';
	for (unsigned i = 0; i < m->count; i++) {
		const struct ikev2_payload *p = &m->pl[i];
		char name[96];

		if (p->type == IKEV2_PL_N)
			snprintf(name, sizeof(name), "N(%s)",
				 enum_name(&ikev2_notify_names, p->n.type));
		else if (p->type == IKEV2_PL_NONCE)
			snprintf(name, sizeof(name), "No");
		else
			snprintf(name, sizeof(name), "%s",
				 enum_name(&ikev2_payload_names, p->type));
		append(buf, n, name);
	}
}

/* Returns whether the message was encrypted. */
static bool check_v2(const struct golden *g, const struct gmsg *gm)
{
	struct ikev2_msg *m = calloc(1, sizeof(*m));
	struct span raw = body_of(gm);
	struct wire_err err = {0};
	uint8_t *plain = malloc(raw.len);
	char names[2048], head[128];
	bool enc = false;
	int r;

	assert_non_null(m);
	r = ikev2_msg_decode(raw.p, raw.len, m, &err);
	if (r)
		fail_msg("msg %u: decode: %d at offset %zu: %s", gm->n, r, err.offset, err.reason);
	reencode_v2(m, raw);
	snprintf(head, sizeof(head), "%s %s %u,", enum_name(&ikev2_exchange_names, m->hdr.exchange),
		 m->hdr.flags & IKEV2_FLAG_R ? "response" : "request", m->hdr.msg_id);
	if (!strstr(gm->comment, head))
		fail_msg("msg %u: \"%s\" not in its comment \"%s\"", gm->n, head, gm->comment);
	if (m->sk >= 0) {
		struct builder b;
		size_t iv_len, len = v2_decrypt(g, gm, m, plain, &iv_len);
		uint8_t first;

		enc = true;
		r = ikev2_chain_decode(m->pl[m->sk].sk.inner, (struct span){plain, len},
				       (size_t)(m->pl[m->sk].sk.data.p - m->raw.p) + iv_len, m,
				       &err);
		if (r)
			fail_msg("msg %u: inner chain: %d at %zu: %s", gm->n, r, err.offset,
				 err.reason);
		bld_init(&b, 0);
		assert_int_equal(ikev2_inner_encode(&b, m, &first), 0);
		assert_int_equal(first, m->pl[m->sk].sk.inner);
		th_assert_bytes(bld_data(&b), bld_off(&b), plain, len, "re-encoded inner payloads");
		bld_free(&b);
	}
	v2_names(m, names, sizeof(names));
	expect_payloads(gm, names);
	free(plain);
	free(m);
	return enc;
}

/* --- IKEv1 (RFC 2409 appendix B) --- */

struct v1_chain {
	uint16_t encr, key_bits, hash;
	uint8_t g_xi[512], g_xr[512];
	size_t g_xi_len, g_xr_len;
	uint8_t p1_last[16];
	bool have_p1_last;
	struct {
		uint32_t mid;
		uint8_t iv[16];
	} ex[MAX_EXCH];
	unsigned nex;
	struct {
		uint8_t last[16], iv[16];
	} seen[MAX_SEEN];
	unsigned nseen;
};

static void v1_learn(struct v1_chain *s, const struct golden *g, const struct gmsg *gm,
		     const struct ikev1_msg *m)
{
	const struct ikev1_payload *sa = ikev1_msg_get(m, ISAKMP_NP_SA, 0);
	const struct ikev1_payload *ke = ikev1_msg_get(m, ISAKMP_NP_KE, 0);
	static const uint8_t zero[8];

	if (m->hdr.msg_id != 0)
		return;
	if (sa && memcmp(m->hdr.spi_r, zero, 8) != 0) { /* the responder's choice */
		struct ikev1_iter it;
		struct ikev1_prop p;
		struct ikev1_xform t;
		struct ikev1_attr a;

		ikev1_props_begin(&it, &sa->u.sa);
		assert_int_equal(ikev1_prop_next(&it, &p), 1);
		ikev1_xforms_begin(&it, &p);
		assert_int_equal(ikev1_xform_next(&it, &t), 1);
		assert_int_equal(ikev1_xform_attr(&t, IKEV1_ATTR_ENCRYPTION, &a), 1);
		s->encr = a.value;
		assert_int_equal(ikev1_xform_attr(&t, IKEV1_ATTR_HASH, &a), 1);
		s->hash = a.value;
		s->key_bits = ikev1_xform_attr(&t, IKEV1_ATTR_KEY_LENGTH, &a) == 1 ? a.value : 0;
	}
	if (ke) {
		/* the initiator sends message 1 */
		bool init = strcmp(gm->src, g->m[0].src) == 0;

		assert_true(ke->u.data.len <= sizeof(s->g_xi));
		memcpy(init ? s->g_xi : s->g_xr, ke->u.data.p, ke->u.data.len);
		*(init ? &s->g_xi_len : &s->g_xr_len) = ke->u.data.len;
	}
}

static void v1_iv(struct v1_chain *s, uint32_t mid, struct span ct, size_t block, uint8_t *iv,
		  const struct gmsg *gm)
{
	const uint8_t *last = ct.p + ct.len - block;
	const struct prf_alg *prf = prf_by_ikev1_hash(s->hash);
	uint8_t h[64], m4[4] = {(uint8_t)(mid >> 24), (uint8_t)(mid >> 16), (uint8_t)(mid >> 8),
				(uint8_t)mid};
	unsigned i;

	for (i = 0; i < s->nseen; i++)
		if (!memcmp(s->seen[i].last, last, block)) {
			print_message("    msg %u: a retransmission, decrypted with the IV of its "
				      "first copy\n",
				      gm->n);
			memcpy(iv, s->seen[i].iv, block);
			return;
		}
	for (i = 0; i < s->nex && s->ex[i].mid != mid; i++)
		;
	if (i == s->nex) {
		struct span parts[2] = {{s->g_xi, s->g_xi_len}, {s->g_xr, s->g_xr_len}};

		assert_true(s->nex < MAX_EXCH);
		assert_non_null(prf);
		if (mid) {
			assert_true(s->have_p1_last);
			parts[0] = (struct span){s->p1_last, block};
			parts[1] = (struct span){m4, 4};
		} else {
			assert_true(s->g_xi_len && s->g_xr_len);
		}
		assert_int_equal(prf_hash(prf, parts, 2, h), 0);
		s->ex[i].mid = mid;
		memcpy(s->ex[i].iv, h, block);
		s->nex++;
	}
	memcpy(iv, s->ex[i].iv, block);
	memcpy(s->ex[i].iv, last, block);
	if (mid == 0) {
		memcpy(s->p1_last, last, block);
		s->have_p1_last = true;
	}
	assert_true(s->nseen < MAX_SEEN);
	memcpy(s->seen[s->nseen].last, last, block);
	memcpy(s->seen[s->nseen++].iv, iv, block);
}

static void v1_decrypt(struct v1_chain *s, const struct golden *g, const struct gmsg *gm,
		       struct ikev1_msg *m, uint8_t *plain)
{
	const struct encr_alg *alg = s->encr == 7   ? &encr_aes_cbc
				     : s->encr == 5 ? &encr_3des
						    : NULL;
	struct span ct = m->encrypted;
	struct wire_err err = {0};
	struct builder b;
	uint8_t iv[16];
	int r;

	assert_true(g->have_v1key);
	assert_memory_equal(g->cky_i, m->hdr.spi_i, 8);
	assert_non_null(alg);
	assert_int_equal(ct.len % alg->block_size, 0);
	v1_iv(s, m->hdr.msg_id, ct, alg->block_size, iv, gm);
	r = encr_decrypt(alg, g->enc_key, g->enc_key_len, iv, alg->block_size, NULL, 0, ct.p,
			 ct.len, plain, NULL);
	assert_int_equal(r, 0);
	r = ikev1_chain_decode(m->hdr.next_payload, (struct span){plain, ct.len}, m, &err);
	if (r)
		fail_msg("msg %u: decrypted chain: %d at %zu: %s", gm->n, r, err.offset,
			 err.reason);
	bld_init(&b, 0);
	assert_int_equal(ikev1_chain_encode(m, &b), 0);
	th_assert_bytes(bld_data(&b), bld_off(&b), plain, ct.len, "re-encoded decrypted chain");
	bld_free(&b);
}

static const char *v1_exchange(uint8_t x)
{
	switch (x) {
	case ISAKMP_XCHG_IDPROT:
		return "Main Mode";
	case ISAKMP_XCHG_AGGR:
		return "Aggressive Mode";
	case ISAKMP_XCHG_INFO:
		return "Informational";
	case IKEV1_XCHG_QUICK:
		return "Quick Mode";
	default:
		return "?";
	}
}

static bool check_v1(struct v1_chain *s, const struct golden *g, const struct gmsg *gm)
{
	struct ikev1_msg *m = calloc(1, sizeof(*m));
	struct span raw = body_of(gm);
	struct wire_err err = {0};
	uint8_t *plain = malloc(raw.len);
	char names[2048] = "", head[96];
	struct builder b;
	bool enc;
	int r;

	assert_non_null(m);
	r = ikev1_msg_decode(raw.p, raw.len, m, &err);
	if (r)
		fail_msg("msg %u: decode: %d at offset %zu: %s", gm->n, r, err.offset, err.reason);
	bld_init(&b, 0);
	assert_int_equal(ikev1_msg_encode(m, &b), 0);
	th_assert_bytes(bld_data(&b), bld_off(&b), raw.p, raw.len, "re-encoded IKEv1 message");
	bld_free(&b);
	snprintf(head, sizeof(head), "%s mid=%u", v1_exchange(m->hdr.exchange), m->hdr.msg_id);
	if (!strstr(gm->comment, head))
		fail_msg("msg %u: \"%s\" not in its comment \"%s\"", gm->n, head, gm->comment);
	enc = m->hdr.flags & ISAKMP_FLAG_E;
	assert_int_equal(enc, strstr(gm->comment, "(encrypted)") != NULL);
	if (enc) {
		v1_decrypt(s, g, gm, m, plain);
	} else {
		v1_learn(s, g, gm, m);
	}
	for (unsigned i = 0; i < m->npl; i++) {
		char name[96];

		if (m->pl[i].kind == ISAKMP_NP_N)
			snprintf(name, sizeof(name), "N(%s)",
				 enum_name(&ikev1_notify_names, m->pl[i].u.n.type));
		else
			snprintf(name, sizeof(name), "%s",
				 enum_name(&ikev1_payload_names, m->pl[i].kind));
		append(names, sizeof(names), name);
	}
	if (strstr(gm->comment, "not decrypted"))
		print_message(
			"    msg %u: the file says \"not decrypted\" (strongSwan had dropped the "
			"ISAKMP SA); we decrypted it: [ %s ]\n",
			gm->n, names);
	else
		expect_payloads(gm, names);
	free(plain);
	free(m);
	return enc;
}

/* --- the tests --- */

static void test_capture(void **state)
{
	const char *path = *state;
	struct golden *g = calloc(1, sizeof(*g));
	struct v1_chain *s = calloc(1, sizeof(*s));
	unsigned enc = 0, retrans = 0;

	assert_non_null(g);
	assert_non_null(s);
	golden_load(g, path);
	assert_true(g->nm > 0);
	if (g->announced != g->nm)
		fail_msg("%s: %u msg lines, the comments announce %u", path, g->nm, g->announced);
	for (unsigned i = 0; i < g->nm; i++) {
		struct span raw = body_of(&g->m[i]);

		assert_true(g->m[i].comment[0] != '\0');
		if (strstr(g->m[i].comment, "retransmi"))
			retrans++;
		if (isakmp_peek_major(raw.p, raw.len) == 2)
			enc += check_v2(g, &g->m[i]);
		else
			enc += check_v1(s, g, &g->m[i]);
	}
	print_message("    %u messages decoded and re-encoded, %u decrypted%s\n", g->nm, enc,
		      retrans ? " (retransmissions included)" : "");
	golden_free(g);
	free(g);
	free(s);
}

/* A message with one flipped ciphertext bit must not verify: the test's
 * decryption path really checks the ICV (a test that cannot fail is a
 * defect). */
static void test_icv_detects_tampering(void **state)
{
	struct golden *g = calloc(1, sizeof(*g));
	struct ikev2_msg *m = calloc(1, sizeof(*m));
	struct wire_err err;
	unsigned i;

	(void)state;
	golden_load(g, th_src_path("tests/vectors/captures/ikev2-psk-aes128-sha256-modp2048.txt"));
	for (i = 0; i < g->nm && g->m[i].sport != 4500; i++)
		;
	assert_true(i < g->nm);
	struct span raw = body_of(&g->m[i]);
	uint8_t *copy = malloc(raw.len);

	memcpy(copy, raw.p, raw.len);
	copy[raw.len - 20] ^= 0x01; /* in the ciphertext, before the 16-byte ICV */
	assert_int_equal(ikev2_msg_decode(copy, raw.len, m, &err), 0);
	const struct gkey2 *k = find_key2(g, &m->hdr);
	struct span body = m->pl[m->sk].sk.data;
	struct span covered = {copy, (size_t)(body.p - copy) + body.len - k->integ->icv_len};

	assert_int_equal(integ_verify(k->integ, k->sk_ai, k->ak_len, &covered, 1,
				      body.p + body.len - k->integ->icv_len, k->integ->icv_len),
			 -EBADMSG);
	free(copy);
	golden_free(g);
	free(g);
	free(m);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	const char *dir = th_src_path("tests/vectors/captures");
	char dirpath[1024], *names[64];
	struct CMUnitTest tests[65];
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int rc;

	snprintf(dirpath, sizeof(dirpath), "%s", dir);
	d = opendir(dirpath);
	if (!d) {
		fprintf(stderr, "cannot open %s\n", dirpath);
		return 1;
	}
	while ((de = readdir(d)) && n < 64) {
		size_t l = strlen(de->d_name);

		if (l > 4 && strcmp(de->d_name + l - 4, ".txt") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	if (n == 0) {
		fprintf(stderr, "no capture files in %s\n", dirpath);
		return 1;
	}
	qsort(names, n, sizeof(names[0]), by_name);
	for (size_t i = 0; i < n; i++) {
		char *path = malloc(strlen(dirpath) + strlen(names[i]) + 2);

		sprintf(path, "%s/%s", dirpath, names[i]);
		tests[i] = (struct CMUnitTest){names[i], test_capture, NULL, NULL, path};
	}
	tests[n] = (struct CMUnitTest){"icv_detects_tampering", test_icv_detects_tampering, NULL,
				       NULL, NULL};
	rc = _cmocka_run_group_tests("wire/vec_golden", tests, n + 1, NULL, NULL);
	for (size_t i = 0; i < n; i++) { /* LeakSanitizer checks at exit */
		free(tests[i].initial_state);
		free(names[i]);
	}
	return rc;
}
