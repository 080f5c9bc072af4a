/* test_vec_kdf: every key-derivation vector in tests/vectors/kdf/ (recorded
 * from strongSwan 5.9.8 charon logs, an independent implementation) is
 * re-derived with ikev2_keys/ikev1_keys and compared byte for byte.
 *
 * Inputs are the file's own values (nonces, DH secret, SPIs/cookies, PSK);
 * every output the file holds is checked, and a file with no output we can
 * check fails, so a vector that silently stops being checked is noticed.
 * Key lengths come from a small table of transform IDs in this file (on
 * purpose not from alg.h: an independent statement of the RFC key sizes).
 * One cmocka test per file; a mismatch prints the file, the value's name and
 * both byte strings.
 *
 * When the golden capture the file names (tests/vectors/captures/NAME.txt)
 * holds the same SA, the values only the messages carry are checked too: the
 * IKEv2 PSK AUTH payloads (signed octets, RFC 7296 2.15), IKEv1 HASH_I/HASH_R
 * (RFC 2409 5), the phase 2 IVs (appendix B: the file's qm_iv and every
 * Quick Mode/Informational exchange's first IV, shown right by decrypting)
 * and Quick Mode/Informational HASH(1)/(2)/(3) (5.5, 5.7). The messages are
 * decrypted here with plain EVP and the keys oak derived.
 */
#include "testutil.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ikev1_keys.h"
#include "crypto/ikev2_keys.h"
#include "crypto/prf.h"
#include "lib/util.h"

#include <openssl/evp.h>

#define MAX_FILES 256

struct vec {
	const char *name;
	struct kv_file kv;
	int checked;
	int failed;
	bool qm_iv_done;
	char checked_names[2048];
	uint8_t *owned[64]; /* buffers behind vspan() results */
	size_t nowned;
};

/* The first value of key in any record, or NULL. */
static const char *vget(const struct vec *v, const char *key)
{
	for (size_t i = 0; i < v->kv.count; i++)
		if (strcmp(v->kv.items[i].key, key) == 0)
			return v->kv.items[i].value;
	return NULL;
}

/* A numeric value (decimal); false if absent. */
static bool vnum(const struct vec *v, const char *key, unsigned long *out)
{
	const char *s = vget(v, key);
	char *end;

	if (s == NULL)
		return false;
	*out = strtoul(s, &end, 10);
	if (*end != '\0')
		fail_msg("%s: %s = '%s' is not a number", v->name, key, s);
	return true;
}

/* A hex value as bytes (caller frees); NULL if absent. */
static uint8_t *vbin(const struct vec *v, const char *key, size_t *len)
{
	const char *s = vget(v, key);

	*len = 0;
	return s ? th_hex_alloc(s, len) : NULL;
}

/* A hex value as a span of bytes that live as long as v; {NULL, 0} if absent. */
static struct span vspan(struct vec *v, const char *key)
{
	struct span s = {NULL, 0};
	uint8_t *p = vbin(v, key, &s.len);

	if (p) {
		assert_true(v->nowned < ARRAY_SIZE(v->owned));
		v->owned[v->nowned++] = p;
		s.p = p;
	}
	return s;
}

static void print_hex(const char *label, const uint8_t *p, size_t n)
{
	printf("    %s (%zu bytes): ", label, n);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static void note_checked(struct vec *v, const char *key)
{
	size_t used = strlen(v->checked_names);

	v->checked++;
	snprintf(v->checked_names + used, sizeof(v->checked_names) - used, "%s%s", used ? " " : "",
		 key);
}

/* Compare got with want (a value strongSwan logged or sent) under label. */
static void check_bytes(struct vec *v, const char *label, const uint8_t *got, size_t got_len,
			const uint8_t *want, size_t want_len)
{
	note_checked(v, label);
	if (want_len != got_len || (got_len && memcmp(want, got, got_len) != 0)) {
		v->failed++;
		printf("  %s: %s differs from strongSwan's\n", v->name, label);
		print_hex("strongSwan", want, want_len);
		print_hex("oak       ", got, got_len);
	}
}

/* Compare got with the file's value of key, if the file has one. */
static void check(struct vec *v, const char *key, const uint8_t *got, size_t got_len)
{
	size_t want_len;
	uint8_t *want = vbin(v, key, &want_len);

	if (want)
		check_bytes(v, key, got, got_len, want, want_len);
	free(want);
}

static void check_secret(struct vec *v, const char *key, const struct secret *s)
{
	check(v, key, s ? s->data : NULL, s ? s->len : 0);
}

static void problem(struct vec *v, const char *what)
{
	v->failed++;
	printf("  %s: %s\n", v->name, what);
}

/* Key sizes in bytes, by transform ID; bytes -1: from the Key Length
 * attribute (bits / 8), plus salt. */
struct key_size {
	unsigned long id;
	long bytes, salt;
};

/* IKEv2 ENCR and ESP transform IDs (the numbers agree for these): DES, 3DES,
 * NULL, AES-CBC (RFC 3602), AES-CTR + 4-octet nonce (RFC 3686 5.1, RFC 5930),
 * AES-CCM + 3 (RFC 4309 7.1, RFC 5282 7.1), AES-GCM/GMAC + 4 (RFC 4106 8.1,
 * RFC 5282 7.1), ChaCha20-Poly1305 32 + 4 (RFC 7634 2). */
static const struct key_size encr_sizes[] = {
	{2, 8, 0},   {3, 24, 0},  {11, 0, 0},  {12, -1, 0}, {13, -1, 4}, {14, -1, 3}, {15, -1, 3},
	{16, -1, 3}, {18, -1, 4}, {19, -1, 4}, {20, -1, 4}, {21, -1, 4}, {28, 32, 4},
};
/* IKEv2 INTEG IDs: NONE, HMAC-MD5-96, HMAC-SHA1-96, AES-XCBC-96, AES-CMAC-96,
 * HMAC-SHA2-256/384/512 (RFC 2403, 2404, 3566, 4494, 4868 2.1.1). */
static const struct key_size ikev2_integ_sizes[] = {
	{0, 0, 0},  {1, 16, 0},	 {2, 20, 0},  {5, 16, 0},
	{8, 16, 0}, {12, 32, 0}, {13, 48, 0}, {14, 64, 0},
};
/* IKEv1 Authentication Algorithm attribute (RFC 2407 4.5): HMAC-MD5, HMAC-SHA,
 * HMAC-SHA2-256/384/512, AES-XCBC-MAC. */
static const struct key_size ikev1_auth_sizes[] = {
	{1, 16, 0}, {2, 20, 0}, {5, 32, 0}, {6, 48, 0}, {7, 64, 0}, {9, 16, 0},
};

/* Key bytes of transform id, -1 if the table does not know it. */
static long key_size(const struct key_size *t, size_t n, unsigned long id, unsigned long bits)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].id != id)
			continue;
		if (t[i].bytes >= 0)
			return t[i].bytes + t[i].salt;
		return bits ? (long)(bits / 8) + t[i].salt : -1;
	}
	return -1;
}

#define encr_key_len(id, bits)	key_size(encr_sizes, ARRAY_SIZE(encr_sizes), id, bits)
#define ikev2_integ_key_len(id) key_size(ikev2_integ_sizes, ARRAY_SIZE(ikev2_integ_sizes), id, 0)
#define ikev1_auth_key_len(id)	key_size(ikev1_auth_sizes, ARRAY_SIZE(ikev1_auth_sizes), id, 0)

/* IKEv1 Phase 1 Encryption Algorithm -> key and block bytes (RFC 2409 appendix A). */
static bool ikev1_p1_encr(unsigned long id, unsigned long bits, size_t *key, size_t *block)
{
	switch (id) {
	case 1: /* DES-CBC */
		*key = 8, *block = 8;
		return true;
	case 5: /* 3DES-CBC */
		*key = 24, *block = 8;
		return true;
	case 7: /* AES-CBC, RFC 3602 */
		*key = bits / 8, *block = 16;
		return bits != 0;
	}
	return false;
}

static struct span span_of(const uint8_t *p, size_t len)
{
	return (struct span){p, len};
}

/* ---- golden captures: values only the messages carry ---- */

#define CAP_MAX_MSGS 128

struct cap_msg {
	uint8_t *p; /* the IKE message from its header on (non-ESP marker removed) */
	size_t len;
	bool from_i; /* sent from the address that sent the capture's first message */
};

struct capture {
	struct cap_msg m[CAP_MAX_MSGS];
	size_t n;
	char psk[128]; /* from "PSK '...'" in the capture's comments; "" if none */
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t be16(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

/* The capture path named in the kdf file's comments ("tests/vectors/captures/X.txt"). */
static bool capture_path(const struct vec *v, char *rel, size_t n)
{
	char path[600], line[2048], *s, *e;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s", th_src_path("tests/vectors/kdf"));
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", v->name);
	f = fopen(path, "r");
	while (f && !found && fgets(line, sizeof(line), f) && line[0] == '#') {
		s = strstr(line, "tests/vectors/captures/");
		e = s ? strstr(s, ".txt") : NULL;
		if (e && (size_t)(e + 4 - s) < n) {
			memcpy(rel, s, (size_t)(e + 4 - s));
			rel[e + 4 - s] = '\0';
			found = true;
		}
	}
	if (f)
		fclose(f);
	return found;
}

static void capture_line(struct capture *c, char *line, char *first_src)
{
	char src[64], dst[64], *hex, *q;
	int off = 0;
	size_t len;
	uint8_t *p;

	if (strncmp(line, "#", 1) == 0 && c->psk[0] == '\0' && (q = strstr(line, "PSK '"))) {
		q += 5;
		len = strcspn(q, "'");
		if (len < sizeof(c->psk))
			memcpy(c->psk, q, len), c->psk[len] = '\0';
		return;
	}
	if (c->n >= CAP_MAX_MSGS || sscanf(line, "msg %*d %63s -> %63s %n", src, dst, &off) != 2 ||
	    off == 0)
		return;
	hex = line + off;
	hex[strcspn(hex, " \r\n")] = '\0';
	p = th_hex_alloc(hex, &len);
	/* RFC 3948 2.2: on port 4500 an IKE message follows 4 zero octets */
	if ((strstr(src, ":4500") || strstr(dst, ":4500")) && len >= 4 && be32(p) == 0) {
		memmove(p, p + 4, len - 4);
		len -= 4;
	}
	src[strcspn(src, ":")] = '\0'; /* the address: NAT-T moves the port to 4500 */
	if (first_src[0] == '\0')
		snprintf(first_src, 64, "%s", src);
	c->m[c->n].p = p;
	c->m[c->n].len = len;
	c->m[c->n].from_i = strcmp(src, first_src) == 0;
	c->n++;
}

static bool capture_load(const struct vec *v, struct capture *c)
{
	char rel[512], first_src[64] = "", *line = NULL;
	size_t cap = 0;
	FILE *f;

	memset(c, 0, sizeof(*c));
	if (!capture_path(v, rel, sizeof(rel)) || (f = fopen(th_src_path(rel), "r")) == NULL)
		return false;
	while (getline(&line, &cap, f) > 0)
		capture_line(c, line, first_src);
	free(line);
	fclose(f);
	return true;
}

static void capture_free(struct capture *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->m[i].p);
	c->n = 0;
}

/* One payload of a chain: type and where it is, generic header included. */
struct pl {
	uint8_t type;
	size_t off, len;
};

/* Walk the payload chain starting with type `first` over p[0..len); returns the count
 * (a malformed tail ends the walk). */
static size_t pl_walk(const uint8_t *p, size_t len, uint8_t first, struct pl *out, size_t max)
{
	size_t n = 0, off = 0;
	uint8_t type = first;

	while (type != 0 && n < max && off + 4 <= len) {
		size_t plen = be16(p + off + 2);

		if (plen < 4 || off + plen > len)
			break;
		out[n++] = (struct pl){type, off, plen};
		type = p[off];
		off += plen;
	}
	return n;
}

static const struct pl *pl_find(const struct pl *pls, size_t n, uint8_t type)
{
	for (size_t i = 0; i < n; i++)
		if (pls[i].type == type)
			return &pls[i];
	return NULL;
}

static bool cbc_decrypt(const uint8_t *key, size_t key_len, bool des3, const uint8_t *iv,
			const uint8_t *in, size_t len, uint8_t *out)
{
	const EVP_CIPHER *c = des3	      ? EVP_des_ede3_cbc()
			      : key_len == 16 ? EVP_aes_128_cbc()
			      : key_len == 24 ? EVP_aes_192_cbc()
					      : EVP_aes_256_cbc();
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0;
	bool ok = x && EVP_DecryptInit_ex(x, c, NULL, key, iv) &&
		  EVP_CIPHER_CTX_set_padding(x, 0) &&
		  EVP_DecryptUpdate(x, out, &l1, in, (int)len) &&
		  EVP_DecryptFinal_ex(x, out + l1, &l2);

	EVP_CIPHER_CTX_free(x);
	return ok;
}

/* AES-GCM (RFC 5282): nonce = salt | IV, tag checked. */
static bool gcm_decrypt(const uint8_t *key, size_t key_len, const uint8_t *nonce,
			const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
			const uint8_t *tag, size_t tag_len, uint8_t *out)
{
	const EVP_CIPHER *c = key_len == 16   ? EVP_aes_128_gcm()
			      : key_len == 24 ? EVP_aes_192_gcm()
					      : EVP_aes_256_gcm();
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int l = 0;
	bool ok = x && EVP_DecryptInit_ex(x, c, NULL, NULL, NULL) &&
		  EVP_DecryptInit_ex(x, NULL, NULL, key, nonce) &&
		  EVP_DecryptUpdate(x, NULL, &l, aad, (int)aad_len) &&
		  EVP_DecryptUpdate(x, out, &l, in, (int)len) &&
		  EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, (int)tag_len, (void *)tag) &&
		  EVP_DecryptFinal_ex(x, out + l, &l);

	EVP_CIPHER_CTX_free(x);
	return ok;
}

/* ICV bytes of an IKEv2 integrity transform (RFC 4868, RFC 2404, RFC 3566). */
static size_t ikev2_icv_len(unsigned long integ)
{
	return integ == 12 ? 16 : integ == 13 ? 24 : integ == 14 ? 32 : 12;
}

/* The plaintext of an IKEv2 message's SK payload (caller frees), its length
 * and the type of its first inner payload; NULL if it has none we can open. */
static uint8_t *ikev2_sk_open(const struct cap_msg *m, const struct secret *sk_e,
			      unsigned long encr, unsigned long integ, size_t *pt_len,
			      uint8_t *first)
{
	size_t sk_len, iv_len, icv, ct_len;
	const uint8_t *iv, *ct;
	uint8_t *pt, nonce[12];
	bool ok;

	if (m->len < 32 || m->p[16] != 46 || sk_e == NULL)
		return NULL; /* no SK payload first (SKF: fragmented) */
	sk_len = be16(m->p + 30);
	if (28 + sk_len > m->len)
		return NULL;
	*first = m->p[28];
	iv_len = encr == 12 || encr == 3 ? (encr == 3 ? 8 : 16) : 8;
	icv = encr == 18 ? 8 : encr == 19 ? 12 : encr == 20 ? 16 : ikev2_icv_len(integ);
	if (sk_len < 4 + iv_len + icv + 1)
		return NULL;
	iv = m->p + 32;
	ct = iv + iv_len;
	ct_len = sk_len - 4 - iv_len - icv;
	pt = malloc(ct_len);
	assert_non_null(pt);
	if (encr == 12 || encr == 3) {
		ok = ct_len % (encr == 3 ? 8 : 16) == 0 &&
		     cbc_decrypt(sk_e->data, sk_e->len, encr == 3, iv, ct, ct_len, pt);
	} else {
		memcpy(nonce, sk_e->data + sk_e->len - 4, 4);
		memcpy(nonce + 4, iv, 8);
		ok = gcm_decrypt(sk_e->data, sk_e->len - 4, nonce, m->p, 32, ct, ct_len,
				 ct + ct_len, icv, pt);
	}
	/* RFC 7296 3.14: Pad Length is the last octet */
	if (!ok || (size_t)pt[ct_len - 1] + 1 > ct_len) {
		free(pt);
		return NULL;
	}
	*pt_len = ct_len - pt[ct_len - 1] - 1;
	return pt;
}

struct ikev2_auth_side {
	const char *label;
	const struct cap_msg *auth_msg;	  /* IKE_AUTH request or response */
	const struct secret *sk_e, *sk_p; /* oak's keys of that side */
	const struct cap_msg *init_msg;	  /* RealMessage1 or RealMessage2 */
	struct span nonce;		  /* the peer's nonce */
	uint8_t id_type;		  /* IDi 35, IDr 36 */
};

/* RFC 7296 2.15: the side's AUTH payload against oak's PSK AUTH over its signed octets. */
static void ikev2_auth_one(struct vec *v, const struct prf_alg *prf, const struct capture *c,
			   const struct ikev2_auth_side *s, unsigned long encr, unsigned long integ)
{
	size_t pt_len, n;
	uint8_t first, got[64], *pt;
	struct pl pls[32];
	const struct pl *id, *auth;
	struct secret *octets = NULL;

	pt = ikev2_sk_open(s->auth_msg, s->sk_e, encr, integ, &pt_len, &first);
	if (pt == NULL) {
		printf("  %s: %s not checked (cannot open the IKE_AUTH SK payload)\n", v->name,
		       s->label);
		return;
	}
	n = pl_walk(pt, pt_len, first, pls, 32);
	id = pl_find(pls, n, s->id_type);
	auth = pl_find(pls, n, 39);
	if (id == NULL || auth == NULL || auth->len < 8) {
		problem(v, "decrypted IKE_AUTH has no ID or AUTH payload");
	} else if (pt[auth->off + 4] != 2 || c->psk[0] == '\0') {
		printf("  %s: %s uses auth method %u (not a PSK MIC): not checked\n", v->name,
		       s->label, pt[auth->off + 4]);
	} else {
		assert_int_equal(ikev2_signed_octets(
					 prf, span_of(s->init_msg->p, s->init_msg->len), s->nonce,
					 s->sk_p, span_of(pt + id->off + 4, id->len - 4), &octets),
				 0);
		assert_int_equal(ikev2_psk_auth(prf,
						span_of((const uint8_t *)c->psk, strlen(c->psk)),
						span_of(octets->data, octets->len), got),
				 0);
		check_bytes(v, s->label, got, prf->out_len, pt + auth->off + 8, auth->len - 8);
	}
	secret_free(octets);
	free(pt);
}

/* IKE_SA_INIT request/response and IKE_AUTH request/response of the file's SPIs. */
static void ikev2_capture(struct vec *v, const struct prf_alg *prf, const struct ikev2_ike_keys *k)
{
	struct span ni = vspan(v, "ni"), nr = vspan(v, "nr");
	struct span spi_i = vspan(v, "spi_i"), spi_r = vspan(v, "spi_r");
	const struct cap_msg *m1 = NULL, *m2 = NULL, *a1 = NULL, *a2 = NULL;
	unsigned long encr = 0, integ = 0;
	struct capture c;

	if (!ni.p || !nr.p || spi_i.len != 8 || spi_r.len != 8 || !k->sk_pi || !capture_load(v, &c))
		return;
	vnum(v, "encr", &encr);
	vnum(v, "integ", &integ);
	for (size_t i = 0; i < c.n; i++) {
		const struct cap_msg *m = &c.m[i];
		bool resp;

		if (m->len < 28 || memcmp(m->p, spi_i.p, 8) != 0)
			continue;
		resp = (m->p[19] & 0x20) != 0; /* RFC 7296 3.1: the R flag */
		if (m->p[18] == 34 && !resp)
			m1 = m; /* the latest IKE_SA_INIT request is the one signed */
		else if (memcmp(m->p + 8, spi_r.p, 8) != 0)
			continue;
		else if (m->p[18] == 34)
			m2 = m;
		else if (m->p[18] == 35 && !resp && a1 == NULL)
			a1 = m;
		else if (m->p[18] == 35 && resp && a2 == NULL)
			a2 = m;
	}
	if (m1 && m2 && a1 && a2) {
		struct ikev2_auth_side si = {"AUTH_i(capture)", a1, k->sk_ei, k->sk_pi, m1, nr, 35};
		struct ikev2_auth_side sr = {"AUTH_r(capture)", a2, k->sk_er, k->sk_pr, m2, ni, 36};

		ikev2_auth_one(v, prf, &c, &si, encr, integ);
		ikev2_auth_one(v, prf, &c, &sr, encr, integ);
	} else {
		printf("  %s: the capture has no IKE_SA_INIT + IKE_AUTH of these SPIs: AUTH not "
		       "checked\n",
		       v->name);
	}
	capture_free(&c);
}

#define V1_MAX_CHAINS 32

/* One phase 2 exchange: its own IV chain (RFC 2409 appendix B) and nonces. */
struct v1_chain {
	uint32_t mid;
	uint8_t iv[16];
	bool init_from_i; /* the exchange's initiator is the phase 1 initiator */
	uint8_t *ni_b, *nr_b;
	size_t ni_len, nr_len;
};

struct v1_state {
	struct vec *v;
	const struct prf_alg *prf;
	const struct ikev1_keys *k;
	size_t block;
	bool des3, psk, p1_done;
	uint8_t iv[16];		  /* the phase 1 chain; once phase 1 is over, its last CBC block */
	uint8_t *sai_b, *id_b[2]; /* [0] the initiator's ID body, [1] the responder's */
	size_t sai_len, id_len[2];
	struct span g_xi, g_xr;
	const uint8_t *cky_i, *cky_r;
	struct v1_chain ch[V1_MAX_CHAINS];
	size_t nch;
};

/* Decrypt in place of a copy (caller frees); iv becomes the last ciphertext block. */
static uint8_t *v1_decrypt(struct v1_state *st, uint8_t *iv, const uint8_t *ct, size_t len)
{
	uint8_t *pt;

	if (len == 0 || len % st->block != 0) {
		problem(st->v, "encrypted ISAKMP body is not a whole number of blocks");
		return NULL;
	}
	pt = malloc(len);
	assert_non_null(pt);
	if (!cbc_decrypt(st->k->enc_key->data, st->k->enc_key->len, st->des3, iv, ct, len, pt)) {
		free(pt);
		return NULL;
	}
	memcpy(iv, ct + len - st->block, st->block);
	return pt;
}

static void keep_copy(uint8_t **dst, size_t *dst_len, const uint8_t *p, size_t len)
{
	free(*dst);
	*dst = malloc(len ? len : 1);
	assert_non_null(*dst);
	memcpy(*dst, p, len);
	*dst_len = len;
}

/* RFC 2409 5: HASH_I / HASH_R of a (decrypted) Main or Aggressive Mode message. */
static void v1_p1_msg(struct v1_state *st, bool from_i, const uint8_t *pt, size_t len,
		      uint8_t first)
{
	struct pl pls[32];
	size_t n = pl_walk(pt, len, first, pls, 32);
	const struct pl *sa = pl_find(pls, n, 1), *id = pl_find(pls, n, 5), *h = pl_find(pls, n, 8);
	uint8_t got[64];
	int side = from_i ? 0 : 1;

	if (sa && from_i && st->sai_b == NULL)
		keep_copy(&st->sai_b, &st->sai_len, pt + sa->off + 4, sa->len - 4);
	if (id)
		keep_copy(&st->id_b[side], &st->id_len[side], pt + id->off + 4, id->len - 4);
	if (h == NULL || !st->psk || st->sai_b == NULL || st->id_b[side] == NULL)
		return;
	if (from_i)
		assert_int_equal(ikev1_hash_i(st->prf, st->k->skeyid, st->g_xi, st->g_xr, st->cky_i,
					      st->cky_r, span_of(st->sai_b, st->sai_len),
					      span_of(st->id_b[0], st->id_len[0]), got),
				 0);
	else
		assert_int_equal(ikev1_hash_r(st->prf, st->k->skeyid, st->g_xi, st->g_xr, st->cky_i,
					      st->cky_r, span_of(st->sai_b, st->sai_len),
					      span_of(st->id_b[1], st->id_len[1]), got),
				 0);
	check_bytes(st->v, from_i ? "HASH_I(capture)" : "HASH_R(capture)", got, st->prf->out_len,
		    pt + h->off + 4, h->len - 4);
}

/* RFC 2409 5.5 / 5.7: HASH(1)/(2)/(3) of a decrypted Quick Mode or Informational message. */
static void v1_p2_msg(struct v1_state *st, struct v1_chain *ch, bool from_i, uint8_t exch,
		      const uint8_t *pt, size_t len, uint8_t first)
{
	struct pl pls[32];
	size_t n = pl_walk(pt, len, first, pls, 32), end;
	const struct pl *nonce;
	const char *label;
	struct span rest;
	uint8_t got[64];

	if (n == 0 || pls[0].type != 8) {
		problem(st->v, "decrypted phase 2 message does not start with a HASH payload");
		return;
	}
	end = pls[n - 1].off + pls[n - 1].len; /* the padding is not hashed */
	rest = span_of(pt + pls[0].len, end - pls[0].len);
	nonce = pl_find(pls, n, 10);
	if (exch == 5) {
		label = "Informational HASH(1)(capture)";
		assert_int_equal(ikev1_qm_hash1(st->prf, st->k->skeyid_a, ch->mid, rest, got), 0);
	} else if (from_i == ch->init_from_i && ch->ni_b == NULL && nonce) {
		label = "QM HASH(1)(capture)";
		assert_int_equal(ikev1_qm_hash1(st->prf, st->k->skeyid_a, ch->mid, rest, got), 0);
		keep_copy(&ch->ni_b, &ch->ni_len, pt + nonce->off + 4, nonce->len - 4);
	} else if (from_i != ch->init_from_i && ch->ni_b && nonce) {
		label = "QM HASH(2)(capture)";
		assert_int_equal(ikev1_qm_hash2(st->prf, st->k->skeyid_a, ch->mid,
						span_of(ch->ni_b, ch->ni_len), rest, got),
				 0);
		keep_copy(&ch->nr_b, &ch->nr_len, pt + nonce->off + 4, nonce->len - 4);
	} else if (ch->ni_b && ch->nr_b) {
		label = "QM HASH(3)(capture)";
		assert_int_equal(ikev1_qm_hash3(st->prf, st->k->skeyid_a, ch->mid,
						span_of(ch->ni_b, ch->ni_len),
						span_of(ch->nr_b, ch->nr_len), got),
				 0);
	} else {
		problem(st->v, "Quick Mode message out of order in the capture");
		return;
	}
	check_bytes(st->v, label, got, st->prf->out_len, pt + pls[0].off + 4, pls[0].len - 4);
}

/* The IV chain of phase 2 exchange mid, started with oak's phase 2 IV. */
static struct v1_chain *v1_chain_of(struct v1_state *st, uint32_t mid, bool from_i)
{
	struct v1_chain *ch;
	unsigned long qm_mid;
	const char *s = vget(st->v, "qm_msgid");

	for (size_t i = 0; i < st->nch; i++)
		if (st->ch[i].mid == mid)
			return &st->ch[i];
	assert_true(st->nch < V1_MAX_CHAINS);
	ch = &st->ch[st->nch++];
	memset(ch, 0, sizeof(*ch));
	ch->mid = mid;
	ch->init_from_i = from_i;
	assert_int_equal(ikev1_phase2_iv(st->prf, span_of(st->iv, st->block), mid, ch->iv), 0);
	qm_mid = s ? strtoul(s, NULL, 16) : 0;
	if (s && qm_mid == mid) {
		check(st->v, "qm_iv", ch->iv, st->block);
		st->v->qm_iv_done = true;
	}
	return ch;
}

static bool seen_before(const struct capture *c, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (c->m[j].len == c->m[i].len && memcmp(c->m[j].p, c->m[i].p, c->m[i].len) == 0)
			return true;
	return false;
}

/* Every message of the file's ISAKMP SA, in capture order (retransmissions skipped). */
static void v1_walk(struct v1_state *st, const struct capture *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct cap_msg *m = &c->m[i];
		size_t blen;
		uint8_t exch, *pt = NULL;
		struct v1_chain *ch;

		if (m->len < 28 || memcmp(m->p, st->cky_i, 8) != 0 || seen_before(c, i))
			continue;
		exch = m->p[18];
		blen = MIN((size_t)be32(m->p + 24), m->len) - 28;
		if (exch == 2 || exch == 4) { /* Main, Aggressive Mode */
			if (m->p[19] & 1)     /* RFC 2408 3.1: E flag */
				pt = v1_decrypt(st, st->iv, m->p + 28, blen);
			v1_p1_msg(st, m->from_i, pt ? pt : m->p + 28, pt ? blen : m->len - 28,
				  m->p[16]);
		} else if ((exch == 32 || exch == 5) && (m->p[19] & 1)) {
			st->p1_done = true;
			ch = v1_chain_of(st, be32(m->p + 20), m->from_i);
			pt = v1_decrypt(st, ch->iv, m->p + 28, blen);
			if (pt)
				v1_p2_msg(st, ch, m->from_i, exch, pt, blen, m->p[16]);
		}
		free(pt);
	}
}

static void ikev1_capture(struct vec *v, const struct prf_alg *prf, const struct ikev1_keys *k)
{
	struct span cky_i = vspan(v, "cky_i"), cky_r = vspan(v, "cky_r");
	unsigned long encr = 0, bits = 0;
	const char *auth = vget(v, "auth");
	struct v1_state st = {.v = v, .prf = prf, .k = k};
	struct capture c;
	size_t key_len;

	st.g_xi = vspan(v, "g_xi");
	st.g_xr = vspan(v, "g_xr");
	vnum(v, "encr", &encr);
	vnum(v, "encr_keylen", &bits);
	if (!k->skeyid_a || !k->enc_key || cky_i.len != 8 || cky_r.len != 8 || !st.g_xi.p ||
	    !st.g_xr.p || !ikev1_p1_encr(encr, bits, &key_len, &st.block) || !capture_load(v, &c))
		return;
	st.des3 = encr == 5;
	st.psk = auth && strcmp(auth, "psk") == 0;
	st.cky_i = cky_i.p;
	st.cky_r = cky_r.p;
	assert_int_equal(ikev1_phase1_iv(prf, st.g_xi, st.g_xr, st.block, st.iv), 0);
	v1_walk(&st, &c);
	if (st.sai_b == NULL)
		printf("  %s: the capture does not hold this ISAKMP SA: messages not checked\n",
		       v->name);
	for (size_t i = 0; i < st.nch; i++)
		free(st.ch[i].ni_b), free(st.ch[i].nr_b);
	free(st.sai_b), free(st.id_b[0]), free(st.id_b[1]);
	capture_free(&c);
}

/* RFC 7296 2.14 / 2.18: SKEYSEED and the seven IKE SA keys; *out gets oak's keys. */
static void ikev2_ike(struct vec *v, const struct prf_alg *prf, struct ikev2_ike_keys *out)
{
	struct span ni = vspan(v, "ni"), nr = vspan(v, "nr"), g = vspan(v, "g_ir");
	struct span old = vspan(v, "sk_d_old"), spi_i = vspan(v, "spi_i"),
		    spi_r = vspan(v, "spi_r");
	struct secret *skeyseed = NULL, *old_sk_d = NULL;
	struct ikev2_ike_keys k = {0};
	struct ikev2_key_lengths len;
	unsigned long encr, bits = 0, integ;
	long el, il;

	if (ni.p == NULL || nr.p == NULL || g.p == NULL)
		return;
	if (old.p) {
		/* rekeyed IKE SA; the file says the old SA's PRF is the same */
		old_sk_d = secret_from(old.p, old.len);
		assert_int_equal(ikev2_skeyseed_rekey(prf, old_sk_d, g, ni, nr, &skeyseed), 0);
	} else {
		assert_int_equal(ikev2_skeyseed(prf, ni, nr, g, &skeyseed), 0);
	}
	check_secret(v, "skeyseed", skeyseed);
	if (!vnum(v, "encr", &encr) || !vnum(v, "integ", &integ) || spi_i.p == NULL ||
	    spi_r.p == NULL)
		goto out;
	vnum(v, "encr_keylen", &bits);
	el = encr_key_len(encr, bits);
	il = ikev2_integ_key_len(integ);
	if (el < 0 || il < 0 || spi_i.len != 8 || spi_r.len != 8) {
		problem(v, "unknown encr/integ transform or bad SPI length: no IKE keys");
		goto out;
	}
	len = (struct ikev2_key_lengths){prf->key_len, (size_t)il, (size_t)el, prf->key_len};
	assert_int_equal(ikev2_ike_keys_derive(prf, skeyseed, ni, nr, spi_i.p, spi_r.p, &len, &k),
			 0);
	check_secret(v, "sk_d", k.sk_d);
	check_secret(v, "sk_ai", k.sk_ai);
	check_secret(v, "sk_ar", k.sk_ar);
	check_secret(v, "sk_ei", k.sk_ei);
	check_secret(v, "sk_er", k.sk_er);
	check_secret(v, "sk_pi", k.sk_pi);
	check_secret(v, "sk_pr", k.sk_pr);
	if (il == 0 && (k.sk_ai || k.sk_ar))
		problem(v, "AEAD proposal but SK_ai/SK_ar were derived");
	*out = k;
out:
	secret_free(skeyseed);
	secret_free(old_sk_d);
}

/* RFC 7296 2.17: CHILD SA KEYMAT, from oak's SK_d or else the file's. */
static void ikev2_child(struct vec *v, const struct prf_alg *prf, const struct secret *our_sk_d)
{
	struct span ni = vspan(v, "child_ni"), nr = vspan(v, "child_nr");
	struct span g = vspan(v, "child_g_ir"), skd = vspan(v, "sk_d");
	struct secret *file_sk_d = NULL, *all;
	struct ikev2_child_keys k = {0};
	unsigned long encr, bits = 0, integ;
	size_t el, il;

	if (ni.p == NULL || nr.p == NULL || (our_sk_d == NULL && skd.p == NULL))
		return;
	vnum(v, "child_encr_keylen", &bits);
	if (!vnum(v, "child_encr", &encr) || !vnum(v, "child_integ", &integ) ||
	    encr_key_len(encr, bits) < 0 || ikev2_integ_key_len(integ) < 0) {
		problem(v, "child_ni/child_nr without known child_encr/child_integ");
		return;
	}
	el = (size_t)encr_key_len(encr, bits);
	il = (size_t)ikev2_integ_key_len(integ);
	if (our_sk_d == NULL)
		our_sk_d = file_sk_d = secret_from(skd.p, skd.len);
	assert_int_equal(
		ikev2_child_keys_derive(prf, our_sk_d, g.p ? &g : NULL, ni, nr, el, il, &k), 0);
	check_secret(v, "child_encr_i", k.encr_i);
	check_secret(v, "child_integ_i", k.integ_i);
	check_secret(v, "child_encr_r", k.encr_r);
	check_secret(v, "child_integ_r", k.integ_r);
	/* the whole KEYMAT is the four keys in RFC 7296 2.17 order */
	all = secret_new(2 * (el + il));
	assert_non_null(all);
	if (el) {
		memcpy(all->data, k.encr_i->data, el);
		memcpy(all->data + el + il, k.encr_r->data, el);
	}
	if (il) {
		memcpy(all->data + el, k.integ_i->data, il);
		memcpy(all->data + 2 * el + il, k.integ_r->data, il);
	}
	check_secret(v, "keymat", all);
	ikev2_child_keys_free(&k);
	secret_free(file_sk_d);
	secret_free(all);
}

static void check_ikev2(struct vec *v)
{
	unsigned long id;
	const struct prf_alg *prf;
	struct ikev2_ike_keys k = {0};

	if (!vnum(v, "prf", &id) || (prf = prf_by_ikev2_id((uint16_t)id)) == NULL) {
		problem(v, "no or unknown IKEv2 prf");
		return;
	}
	ikev2_ike(v, prf, &k);
	ikev2_child(v, prf, k.sk_d);
	ikev2_capture(v, prf, &k);
	ikev2_ike_keys_free(&k);
}

/* RFC 2409 5, appendix B: SKEYID family, cipher key, phase 1 IV. *out gets the keys. */
static void ikev1_p1(struct vec *v, const struct prf_alg *prf, struct ikev1_keys *out)
{
	struct span ni = vspan(v, "ni"), nr = vspan(v, "nr"), g = vspan(v, "g_xy");
	struct span psk = vspan(v, "psk"), cky_i = vspan(v, "cky_i"), cky_r = vspan(v, "cky_r");
	struct span gi = vspan(v, "g_xi"), gr = vspan(v, "g_xr");
	const char *auth = vget(v, "auth");
	struct secret *skeyid = NULL;
	unsigned long encr, bits = 0;
	size_t key_len, block;
	uint8_t iv[64];

	vnum(v, "encr_keylen", &bits);
	if (!vnum(v, "encr", &encr) || !ikev1_p1_encr(encr, bits, &key_len, &block)) {
		problem(v, "unknown or missing phase 1 encr");
		return;
	}
	if (gi.p && gr.p) {
		assert_int_equal(ikev1_phase1_iv(prf, gi, gr, block, iv), 0);
		check(v, "iv", iv, block);
	}
	if (ni.p == NULL || nr.p == NULL || auth == NULL)
		return;
	if (strcmp(auth, "psk") == 0 && psk.p)
		assert_int_equal(ikev1_skeyid_psk(prf, psk, ni, nr, &skeyid), 0);
	else if (strcmp(auth, "sig") == 0 && g.p)
		assert_int_equal(ikev1_skeyid_sig(prf, ni, nr, g, &skeyid), 0);
	else
		return;
	check_secret(v, "skeyid", skeyid);
	if (g.p && cky_i.len == 8 && cky_r.len == 8) {
		assert_int_equal(ikev1_keys_derive(prf, skeyid, g, cky_i.p, cky_r.p, key_len, out),
				 0);
		check_secret(v, "skeyid_d", out->skeyid_d);
		check_secret(v, "skeyid_a", out->skeyid_a);
		check_secret(v, "skeyid_e", out->skeyid_e);
		check_secret(v, "enc_key", out->enc_key);
	}
	secret_free(skeyid);
}

/* One direction of a Quick Mode SA: keys (ikev1_qm_keys) and KEYMAT (ikev1_qm_keymat). */
static void ikev1_qm_dir(struct vec *v, const struct prf_alg *prf, const struct secret *d,
			 const struct span *g, uint8_t proto, struct span spi, size_t el, size_t il,
			 const char *names[3])
{
	struct span ni = vspan(v, "qm_ni"), nr = vspan(v, "qm_nr");
	struct secret *e = NULL, *i = NULL, *km = NULL;

	assert_int_equal(ikev1_qm_keys(prf, d, g, proto, spi, ni, nr, el, il, &e, &i), 0);
	assert_int_equal(ikev1_qm_keymat(prf, d, g, proto, spi, ni, nr, el + il, &km), 0);
	check_secret(v, names[0], e);
	check_secret(v, names[1], i);
	check_secret(v, names[2], km);
	secret_free(e), secret_free(i), secret_free(km);
}

/* RFC 2409 5.5: Quick Mode KEYMAT per direction, from oak's SKEYID_d. */
static void ikev1_qm(struct vec *v, const struct prf_alg *prf, const struct secret *skeyid_d)
{
	static const char *names_i[3] = {"qm_encr_i", "qm_integ_i", "qm_keymat_i"};
	static const char *names_r[3] = {"qm_encr_r", "qm_integ_r", "qm_keymat_r"};
	struct span g = vspan(v, "qm_g_xy"), spi_i = vspan(v, "qm_spi_i");
	struct span spi_r = vspan(v, "qm_spi_r");
	unsigned long proto, encr, bits = 0, integ;
	long el, il;

	if (!vget(v, "qm_ni") || !vget(v, "qm_nr") || !spi_i.p || !spi_r.p || !skeyid_d)
		return;
	vnum(v, "qm_encr_keylen", &bits);
	if (!vnum(v, "qm_protocol", &proto) || !vnum(v, "qm_encr", &encr) ||
	    !vnum(v, "qm_integ", &integ) || (el = encr_key_len(encr, bits)) < 0 ||
	    (il = ikev1_auth_key_len(integ)) < 0) {
		problem(v, "Quick Mode nonces without known qm_protocol/qm_encr/qm_integ");
		return;
	}
	/* the _i keys (initiator -> responder) use the responder's SPI: the
	 * SPI chosen by the SA's destination (RFC 2409 5.5) */
	ikev1_qm_dir(v, prf, skeyid_d, g.p ? &g : NULL, (uint8_t)proto, spi_r, (size_t)el,
		     (size_t)il, names_i);
	ikev1_qm_dir(v, prf, skeyid_d, g.p ? &g : NULL, (uint8_t)proto, spi_i, (size_t)el,
		     (size_t)il, names_r);
}

static void check_ikev1(struct vec *v)
{
	unsigned long hash;
	const struct prf_alg *prf;
	struct ikev1_keys k = {0};

	if (!vnum(v, "hash", &hash)) {
		problem(v, "no hash");
		return;
	}
	prf = prf_by_ikev1_hash((uint16_t)hash);
	if (prf == NULL) {
		problem(v, "unknown IKEv1 hash");
		return;
	}
	ikev1_p1(v, prf, &k);
	ikev1_qm(v, prf, k.skeyid_d);
	/* qm_iv = hash(last phase 1 CBC block | M-ID) needs that block: only
	 * the capture has it */
	ikev1_capture(v, prf, &k);
	if (vget(v, "qm_iv") && !v->qm_iv_done)
		printf("  %s: qm_iv not checked (its exchange is not in the capture)\n", v->name);
	ikev1_keys_free(&k);
}

static void vec_file(void **state)
{
	struct vec v = {.name = *state};
	char rel[512];
	unsigned long version;

	snprintf(rel, sizeof(rel), "tests/vectors/kdf/%s", v.name);
	kv_load(&v.kv, th_src_path(rel));
	if (!vnum(&v, "version", &version))
		problem(&v, "no version");
	else if (version == 2)
		check_ikev2(&v);
	else if (version == 1)
		check_ikev1(&v);
	else
		problem(&v, "version is neither 1 nor 2");
	if (v.checked == 0)
		problem(&v, "no derived value in the file could be checked");
	printf("  %s: %d values checked against strongSwan, %d differ (%s)\n", v.name, v.checked,
	       v.failed, v.checked_names);
	kv_free(&v.kv);
	for (size_t i = 0; i < v.nowned; i++)
		free(v.owned[i]);
	assert_int_equal(v.failed, 0);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	struct CMUnitTest tests[MAX_FILES];
	static char *names[MAX_FILES];
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir(th_src_path("tests/vectors/kdf"));
	int rc;

	if (d == NULL) {
		printf("cannot open %s\n", th_src_path("tests/vectors/kdf"));
		return 1;
	}
	while ((de = readdir(d)) != NULL && n < MAX_FILES) {
		size_t l = strlen(de->d_name);

		if (l > 4 && strcmp(de->d_name + l - 4, ".txt") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	if (n == 0) {
		printf("no vectors in %s\n", th_src_path("tests/vectors/kdf"));
		return 1;
	}
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (size_t i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){
			.name = names[i], .test_func = vec_file, .initial_state = names[i]};
	rc = _cmocka_run_group_tests("crypto/vec_kdf", tests, n, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return rc;
}
