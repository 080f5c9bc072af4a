/* ikev1_keys.c: IKEv1 SKEYID family, ISAKMP SA cipher key, phase 1 hashes,
 * IVs, Quick Mode hashes and KEYMAT (RFC 2409 5, 5.5, appendix B).
 *
 * Inputs reach prf_compute()/prf_hash() as span lists, so no secret is
 * concatenated into a temporary buffer; the stack blocks that hold PRF output
 * (Kn of the feedback expansions) are wiped before returning.
 *
 * Appendix B also expands a PRF's output when it is shorter than the key the
 * next PRF instance needs; oak's IKEv1 PRFs are HMACs, which take keys of any
 * length, so SKEYID and its children are used as they come.
 */
#include "crypto/ikev1_keys.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "lib/util.h"

/* The largest PRF output (HMAC-SHA2-512). */
#define IKEV1_PRF_MAX_OUT 64

static bool span_ok(struct span s)
{
	return s.p != NULL || s.len == 0;
}

static bool prf_ok(const struct prf_alg *prf)
{
	return prf != NULL && prf->out_len > 0 && prf->out_len <= IKEV1_PRF_MAX_OUT;
}

static struct span secret_span(const struct secret *s)
{
	return (struct span){s->data, s->len};
}

static void put_be32(uint8_t b[4], uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* *out = a fresh secret of prf(key, parts) (caller frees). */
static int prf_secret(const struct prf_alg *prf, const uint8_t *key, size_t key_len,
		      const struct span *parts, size_t nparts, struct secret **out)
{
	struct secret *s = secret_new(prf->out_len);
	int rc;

	*out = NULL;
	if (s == NULL)
		return -ENOMEM;
	rc = prf_compute(prf, key, key_len, parts, nparts, s->data);
	if (rc) {
		secret_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int ikev1_skeyid_psk(const struct prf_alg *prf, struct span psk, struct span ni_b, struct span nr_b,
		     struct secret **skeyid)
{
	struct span parts[2] = {ni_b, nr_b};

	if (skeyid)
		*skeyid = NULL;
	if (!prf_ok(prf) || skeyid == NULL || !span_ok(psk) || !span_ok(ni_b) || !span_ok(nr_b))
		return -EINVAL;
	/* RFC 2409 5: SKEYID = prf(pre-shared-key, Ni_b | Nr_b) */
	return prf_secret(prf, psk.p, psk.len, parts, ARRAY_SIZE(parts), skeyid);
}

int ikev1_skeyid_sig(const struct prf_alg *prf, struct span ni_b, struct span nr_b,
		     struct span g_xy, struct secret **skeyid)
{
	struct secret *key;
	int rc;

	if (skeyid)
		*skeyid = NULL;
	if (!prf_ok(prf) || skeyid == NULL || !span_ok(ni_b) || !span_ok(nr_b) || !span_ok(g_xy))
		return -EINVAL;
	/* RFC 2409 5: SKEYID = prf(Ni_b | Nr_b, g^xy); the key is the
	 * concatenation, built in a secret so that it is wiped */
	key = secret_new(ni_b.len + nr_b.len);
	if (key == NULL)
		return -ENOMEM;
	if (ni_b.len)
		memcpy(key->data, ni_b.p, ni_b.len);
	if (nr_b.len)
		memcpy(key->data + ni_b.len, nr_b.p, nr_b.len);
	rc = prf_secret(prf, key->data, key->len, &g_xy, 1, skeyid);
	secret_free(key);
	return rc;
}

void ikev1_keys_free(struct ikev1_keys *k)
{
	if (k == NULL)
		return;
	secret_free(k->skeyid);
	secret_free(k->skeyid_d);
	secret_free(k->skeyid_a);
	secret_free(k->skeyid_e);
	secret_free(k->enc_key);
	memset(k, 0, sizeof(*k));
}

int ikev1_keys_derive(const struct prf_alg *prf, const struct secret *skeyid, struct span g_xy,
		      const uint8_t *cky_i, const uint8_t *cky_r, size_t enc_key_len,
		      struct ikev1_keys *out)
{
	uint8_t n = 0;
	/* parts[0] is the previous key: empty for SKEYID_d */
	struct span parts[5] = {
		{NULL, 0}, g_xy, {cky_i, IKEV1_CKY_LEN}, {cky_r, IKEV1_CKY_LEN}, {&n, 1}};
	const uint8_t *k = skeyid ? skeyid->data : NULL;
	size_t klen = skeyid ? skeyid->len : 0;
	int rc;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!prf_ok(prf) || skeyid == NULL || cky_i == NULL || cky_r == NULL || out == NULL ||
	    !span_ok(g_xy) || enc_key_len == 0)
		return -EINVAL;
	out->skeyid = secret_dup(skeyid);
	if (out->skeyid == NULL)
		return -ENOMEM;
	/* RFC 2409 5: SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0) */
	rc = prf_secret(prf, k, klen, parts, ARRAY_SIZE(parts), &out->skeyid_d);
	if (rc)
		goto fail;
	/* SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1) */
	n = 1;
	parts[0] = secret_span(out->skeyid_d);
	rc = prf_secret(prf, k, klen, parts, ARRAY_SIZE(parts), &out->skeyid_a);
	if (rc)
		goto fail;
	/* SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2) */
	n = 2;
	parts[0] = secret_span(out->skeyid_a);
	rc = prf_secret(prf, k, klen, parts, ARRAY_SIZE(parts), &out->skeyid_e);
	if (rc)
		goto fail;
	rc = ikev1_enc_key(prf, out->skeyid_e, enc_key_len, &out->enc_key);
	if (rc)
		goto fail;
	return 0;
fail:
	ikev1_keys_free(out);
	return rc;
}

/* Appendix B style feedback: out gets the first out->len bytes of
 * K1 | K2 | ... with Kn = prf(key, Kn-1 | parts) and K0 empty. parts[0] must
 * be free for Kn-1. Used by the cipher key (parts = 0x00 only for K1) and
 * Quick Mode KEYMAT (the seed follows Kn-1 every time). */
static int prf_feedback(const struct prf_alg *prf, const struct secret *key, struct span *parts,
			size_t nparts, bool seed_once, struct secret *out)
{
	uint8_t t[IKEV1_PRF_MAX_OUT];
	size_t done = 0;
	int rc = 0;

	parts[0] = (struct span){NULL, 0};
	while (done < out->len) {
		size_t take = MIN(prf->out_len, out->len - done);

		rc = prf_compute(prf, key->data, key->len, parts, nparts, t);
		if (rc)
			break;
		memcpy(out->data + done, t, take);
		done += take;
		parts[0] = (struct span){t, prf->out_len};
		if (seed_once)
			nparts = 1;
	}
	parts[0] = (struct span){NULL, 0}; /* t dies here: leave the caller no pointer to it */
	wipe(t, sizeof(t));
	return rc;
}

int ikev1_enc_key(const struct prf_alg *prf, const struct secret *skeyid_e, size_t key_len,
		  struct secret **key)
{
	static const uint8_t zero = 0;
	struct span parts[2] = {{NULL, 0}, {&zero, 1}};
	struct secret *k;
	int rc;

	if (key)
		*key = NULL;
	if (!prf_ok(prf) || skeyid_e == NULL || key == NULL || key_len == 0)
		return -EINVAL;
	if (skeyid_e->len >= key_len) {
		/* appendix B: the key is the first bits of SKEYID_e */
		*key = secret_from(skeyid_e->data, key_len);
		return *key ? 0 : -ENOMEM;
	}
	/* appendix B: Ka = K1 | K2 | ..., K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1) */
	k = secret_new(key_len);
	if (k == NULL)
		return -ENOMEM;
	rc = prf_feedback(prf, skeyid_e, parts, ARRAY_SIZE(parts), true, k);
	if (rc) {
		secret_free(k);
		return rc;
	}
	*key = k;
	return 0;
}

/* RFC 2409 5: HASH_I and HASH_R differ only in the order of the DH values
 * and cookies; "first" is the hashing side's own. */
static int hash_p1(const struct prf_alg *prf, const struct secret *skeyid, struct span g_first,
		   struct span g_second, const uint8_t *cky_first, const uint8_t *cky_second,
		   struct span sai_b, struct span id_b, uint8_t *out)
{
	struct span parts[6] = {
		g_first, g_second, {cky_first, IKEV1_CKY_LEN}, {cky_second, IKEV1_CKY_LEN},
		sai_b,	 id_b};

	if (!prf_ok(prf) || skeyid == NULL || cky_first == NULL || cky_second == NULL ||
	    out == NULL || !span_ok(g_first) || !span_ok(g_second) || !span_ok(sai_b) ||
	    !span_ok(id_b))
		return -EINVAL;
	return prf_compute(prf, skeyid->data, skeyid->len, parts, ARRAY_SIZE(parts), out);
}

int ikev1_hash_i(const struct prf_alg *prf, const struct secret *skeyid, struct span g_xi,
		 struct span g_xr, const uint8_t *cky_i, const uint8_t *cky_r, struct span sai_b,
		 struct span idii_b, uint8_t *out)
{
	return hash_p1(prf, skeyid, g_xi, g_xr, cky_i, cky_r, sai_b, idii_b, out);
}

int ikev1_hash_r(const struct prf_alg *prf, const struct secret *skeyid, struct span g_xi,
		 struct span g_xr, const uint8_t *cky_i, const uint8_t *cky_r, struct span sai_b,
		 struct span idir_b, uint8_t *out)
{
	return hash_p1(prf, skeyid, g_xr, g_xi, cky_r, cky_i, sai_b, idir_b, out);
}

/* hash(parts) truncated to block_len into iv. */
static int iv_hash(const struct prf_alg *prf, const struct span *parts, size_t nparts,
		   size_t block_len, uint8_t *iv)
{
	uint8_t h[IKEV1_PRF_MAX_OUT];
	int rc;

	if (!prf_ok(prf) || iv == NULL || block_len == 0 || block_len > prf->out_len)
		return -EINVAL;
	rc = prf_hash(prf, parts, nparts, h);
	if (rc == 0)
		memcpy(iv, h, block_len);
	wipe(h, sizeof(h));
	return rc;
}

int ikev1_phase1_iv(const struct prf_alg *prf, struct span g_xi, struct span g_xr, size_t block_len,
		    uint8_t *iv)
{
	struct span parts[2] = {g_xi, g_xr};

	if (!span_ok(g_xi) || !span_ok(g_xr))
		return -EINVAL;
	/* RFC 2409 appendix B: IV material = hash(g^xi | g^xr) */
	return iv_hash(prf, parts, ARRAY_SIZE(parts), block_len, iv);
}

int ikev1_phase2_iv(const struct prf_alg *prf, struct span last_block, uint32_t msgid, uint8_t *iv)
{
	uint8_t mid[4];
	struct span parts[2] = {last_block, {mid, sizeof(mid)}};

	if (last_block.p == NULL)
		return -EINVAL;
	put_be32(mid, msgid);
	/* RFC 2409 appendix B: hash(last phase 1 CBC output block | M-ID) */
	return iv_hash(prf, parts, ARRAY_SIZE(parts), last_block.len, iv);
}

/* prf(SKEYID_a, [pre |] M-ID | a | b) for the Quick Mode hashes. */
static int qm_hash(const struct prf_alg *prf, const struct secret *skeyid_a, bool zero_first,
		   uint32_t msgid, struct span a, struct span b, uint8_t *out)
{
	static const uint8_t zero = 0;
	uint8_t mid[4];
	struct span parts[4] = {{&zero, zero_first ? 1 : 0}, {mid, sizeof(mid)}, a, b};

	if (!prf_ok(prf) || skeyid_a == NULL || out == NULL || !span_ok(a) || !span_ok(b))
		return -EINVAL;
	put_be32(mid, msgid);
	return prf_compute(prf, skeyid_a->data, skeyid_a->len, parts, ARRAY_SIZE(parts), out);
}

int ikev1_qm_hash1(const struct prf_alg *prf, const struct secret *skeyid_a, uint32_t msgid,
		   struct span rest, uint8_t *out)
{
	return qm_hash(prf, skeyid_a, false, msgid, rest, (struct span){NULL, 0}, out);
}

int ikev1_qm_hash2(const struct prf_alg *prf, const struct secret *skeyid_a, uint32_t msgid,
		   struct span ni_b, struct span rest, uint8_t *out)
{
	return qm_hash(prf, skeyid_a, false, msgid, ni_b, rest, out);
}

int ikev1_qm_hash3(const struct prf_alg *prf, const struct secret *skeyid_a, uint32_t msgid,
		   struct span ni_b, struct span nr_b, uint8_t *out)
{
	return qm_hash(prf, skeyid_a, true, msgid, ni_b, nr_b, out);
}

int ikev1_qm_keymat(const struct prf_alg *prf, const struct secret *skeyid_d,
		    const struct span *g_qm, uint8_t protocol, struct span spi, struct span ni_b,
		    struct span nr_b, size_t len, struct secret **keymat)
{
	/* parts[0] is Kn-1 (empty for K1), then the seed */
	struct span parts[6];
	size_t n = 1;
	struct secret *km;
	int rc;

	if (keymat)
		*keymat = NULL;
	if (!prf_ok(prf) || skeyid_d == NULL || keymat == NULL || len == 0 || !span_ok(spi) ||
	    !span_ok(ni_b) || !span_ok(nr_b) || (g_qm && !span_ok(*g_qm)))
		return -EINVAL;
	/* RFC 2409 5.5: [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b */
	if (g_qm)
		parts[n++] = *g_qm;
	parts[n++] = (struct span){&protocol, 1};
	parts[n++] = spi;
	parts[n++] = ni_b;
	parts[n++] = nr_b;
	km = secret_new(len);
	if (km == NULL)
		return -ENOMEM;
	rc = prf_feedback(prf, skeyid_d, parts, n, false, km);
	if (rc) {
		secret_free(km);
		return rc;
	}
	*keymat = km;
	return 0;
}

int ikev1_qm_keys(const struct prf_alg *prf, const struct secret *skeyid_d, const struct span *g_qm,
		  uint8_t protocol, struct span spi, struct span ni_b, struct span nr_b,
		  size_t encr_len, size_t integ_len, struct secret **encr, struct secret **integ)
{
	struct secret *km = NULL;
	int rc;

	if (encr)
		*encr = NULL;
	if (integ)
		*integ = NULL;
	if (encr == NULL || integ == NULL)
		return -EINVAL;
	rc = ikev1_qm_keymat(prf, skeyid_d, g_qm, protocol, spi, ni_b, nr_b, encr_len + integ_len,
			     &km);
	if (rc)
		return rc;
	/* encryption key from the first bits, integrity key from the rest
	 * (RFC 4301, as restated by RFC 7296 2.17) */
	if (encr_len)
		*encr = secret_from(km->data, encr_len);
	if (integ_len)
		*integ = secret_from(km->data + encr_len, integ_len);
	if ((encr_len && *encr == NULL) || (integ_len && *integ == NULL)) {
		secret_free(*encr);
		secret_free(*integ);
		*encr = *integ = NULL;
		rc = -ENOMEM;
	}
	secret_free(km);
	return rc;
}
