/* ikev2_keys.c: IKEv2 SKEYSEED, IKE SA keys, CHILD SA KEYMAT and AUTH inputs
 * (RFC 7296 2.13-2.18).
 *
 * The PRF and prf+ are prf.c's; this file only arranges their inputs and cuts
 * their output. Inputs go to prf_compute()/prf_plus() as lists of spans, so no
 * secret is copied into a temporary concatenation; the few stack buffers that
 * hold PRF output are wiped before returning.
 */
#include "crypto/ikev2_keys.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "lib/util.h"

/* The largest PRF output (HMAC-SHA2-512). */
#define IKEV2_PRF_MAX_OUT 64

static bool span_ok(struct span s)
{
	return s.p != NULL || s.len == 0;
}

static bool prf_ok(const struct prf_alg *prf)
{
	return prf != NULL && prf->out_len > 0 && prf->out_len <= IKEV2_PRF_MAX_OUT;
}

/* RFC 7296 2.13: prf+ gives at most 255 blocks. The lengths are checked one
 * by one first so that adding them up cannot wrap. */
static int prf_plus_fits(const struct prf_alg *prf, const size_t *lens, size_t n, size_t *total)
{
	size_t max = 255 * prf->out_len, sum = 0;

	for (size_t i = 0; i < n; i++) {
		if (lens[i] > max)
			return -EOVERFLOW;
		sum += lens[i];
	}
	if (sum > max)
		return -EOVERFLOW;
	*total = sum;
	return 0;
}

/* Copy the next n bytes of km into *out (NULL when n is 0). */
static int take_key(const struct secret *km, size_t *off, size_t n, struct secret **out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	*out = secret_from(km->data + *off, n);
	if (*out == NULL)
		return -ENOMEM;
	*off += n;
	return 0;
}

/* RFC 7296 2.14: "If the negotiated PRF takes a fixed-length key and the
 * lengths of Ni and Nr do not add up to that length, half the bits must come
 * from Ni and half from Nr, taking the first bits of each." HMAC takes any
 * key length; the AES-based PRFs (XCBC, CMAC: no digest) take 16 bytes. */
static struct secret *skeyseed_key(const struct prf_alg *prf, struct span ni, struct span nr)
{
	struct secret *key;
	size_t half;

	if (prf->md_name != NULL) {
		key = secret_new(ni.len + nr.len);
		if (key) {
			if (ni.len)
				memcpy(key->data, ni.p, ni.len);
			if (nr.len)
				memcpy(key->data + ni.len, nr.p, nr.len);
		}
		return key;
	}
	half = prf->key_len / 2;
	if (ni.len < half || nr.len < half)
		return NULL;
	key = secret_new(2 * half);
	if (key) {
		memcpy(key->data, ni.p, half);
		memcpy(key->data + half, nr.p, half);
	}
	return key;
}

int ikev2_skeyseed(const struct prf_alg *prf, struct span ni, struct span nr, struct span g_ir,
		   struct secret **skeyseed)
{
	struct secret *key, *s;
	int rc;

	if (skeyseed)
		*skeyseed = NULL;
	if (!prf_ok(prf) || skeyseed == NULL || !span_ok(ni) || !span_ok(nr) || !span_ok(g_ir))
		return -EINVAL;
	if (prf->md_name == NULL && (ni.len < prf->key_len / 2 || nr.len < prf->key_len / 2))
		return -EINVAL; /* nonces shorter than half the fixed key */
	key = skeyseed_key(prf, ni, nr);
	s = secret_new(prf->out_len);
	if (key == NULL || s == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = prf_compute(prf, key->data, key->len, &g_ir, 1, s->data);
	if (rc == 0) {
		*skeyseed = s;
		s = NULL;
	}
out:
	secret_free(key);
	secret_free(s);
	return rc;
}

int ikev2_skeyseed_rekey(const struct prf_alg *old_prf, const struct secret *old_sk_d,
			 struct span g_ir, struct span ni, struct span nr, struct secret **skeyseed)
{
	struct span parts[3] = {g_ir, ni, nr};
	struct secret *s;
	int rc;

	if (skeyseed)
		*skeyseed = NULL;
	if (!prf_ok(old_prf) || old_sk_d == NULL || skeyseed == NULL || !span_ok(g_ir) ||
	    !span_ok(ni) || !span_ok(nr))
		return -EINVAL;
	s = secret_new(old_prf->out_len);
	if (s == NULL)
		return -ENOMEM;
	/* RFC 7296 2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) */
	rc = prf_compute(old_prf, old_sk_d->data, old_sk_d->len, parts, ARRAY_SIZE(parts), s->data);
	if (rc) {
		secret_free(s);
		return rc;
	}
	*skeyseed = s;
	return 0;
}

void ikev2_ike_keys_free(struct ikev2_ike_keys *k)
{
	if (k == NULL)
		return;
	secret_free(k->sk_d);
	secret_free(k->sk_ai);
	secret_free(k->sk_ar);
	secret_free(k->sk_ei);
	secret_free(k->sk_er);
	secret_free(k->sk_pi);
	secret_free(k->sk_pr);
	memset(k, 0, sizeof(*k));
}

int ikev2_ike_keys_derive(const struct prf_alg *prf, const struct secret *skeyseed, struct span ni,
			  struct span nr, const uint8_t *spi_i, const uint8_t *spi_r,
			  const struct ikev2_key_lengths *len, struct ikev2_ike_keys *out)
{
	struct span seed[4] = {ni, nr, {spi_i, IKEV2_SPI_LEN}, {spi_r, IKEV2_SPI_LEN}};
	struct secret *km;
	size_t lens[7], total, off = 0;
	int rc;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!prf_ok(prf) || skeyseed == NULL || spi_i == NULL || spi_r == NULL || len == NULL ||
	    out == NULL || !span_ok(ni) || !span_ok(nr) || len->sk_d == 0 || len->sk_e == 0 ||
	    len->sk_p == 0)
		return -EINVAL;
	/* RFC 7296 2.14: the order of the keys in the prf+ stream */
	lens[0] = len->sk_d;
	lens[1] = lens[2] = len->sk_a;
	lens[3] = lens[4] = len->sk_e;
	lens[5] = lens[6] = len->sk_p;
	rc = prf_plus_fits(prf, lens, ARRAY_SIZE(lens), &total);
	if (rc)
		return rc;
	km = prf_plus(prf, skeyseed->data, skeyseed->len, seed, ARRAY_SIZE(seed), total);
	if (km == NULL)
		return -EIO;
	if (take_key(km, &off, lens[0], &out->sk_d) || take_key(km, &off, lens[1], &out->sk_ai) ||
	    take_key(km, &off, lens[2], &out->sk_ar) || take_key(km, &off, lens[3], &out->sk_ei) ||
	    take_key(km, &off, lens[4], &out->sk_er) || take_key(km, &off, lens[5], &out->sk_pi) ||
	    take_key(km, &off, lens[6], &out->sk_pr)) {
		ikev2_ike_keys_free(out);
		rc = -ENOMEM;
	}
	secret_free(km);
	return rc;
}

void ikev2_child_keys_free(struct ikev2_child_keys *k)
{
	if (k == NULL)
		return;
	secret_free(k->encr_i);
	secret_free(k->integ_i);
	secret_free(k->encr_r);
	secret_free(k->integ_r);
	memset(k, 0, sizeof(*k));
}

int ikev2_child_keys_derive(const struct prf_alg *prf, const struct secret *sk_d,
			    const struct span *g_ir, struct span ni, struct span nr,
			    size_t encr_len, size_t integ_len, struct ikev2_child_keys *out)
{
	struct span seed[3];
	size_t nseed = 0, lens[4] = {encr_len, integ_len, encr_len, integ_len}, total, off = 0;
	struct secret *km;
	int rc;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!prf_ok(prf) || sk_d == NULL || out == NULL || !span_ok(ni) || !span_ok(nr) ||
	    (g_ir && !span_ok(*g_ir)))
		return -EINVAL;
	rc = prf_plus_fits(prf, lens, ARRAY_SIZE(lens), &total);
	if (rc)
		return rc;
	if (total == 0)
		return -EINVAL;
	/* RFC 7296 2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) */
	if (g_ir)
		seed[nseed++] = *g_ir;
	seed[nseed++] = ni;
	seed[nseed++] = nr;
	km = prf_plus(prf, sk_d->data, sk_d->len, seed, nseed, total);
	if (km == NULL)
		return -EIO;
	/* "All keys for SAs carrying data from the initiator to the responder
	 * are taken before SAs going from the responder to the initiator";
	 * within each, the encryption key first, then the integrity key
	 * (RFC 4301 via RFC 7296 2.17). */
	if (take_key(km, &off, encr_len, &out->encr_i) ||
	    take_key(km, &off, integ_len, &out->integ_i) ||
	    take_key(km, &off, encr_len, &out->encr_r) ||
	    take_key(km, &off, integ_len, &out->integ_r)) {
		ikev2_child_keys_free(out);
		rc = -ENOMEM;
	}
	secret_free(km);
	return rc;
}

int ikev2_signed_octets(const struct prf_alg *prf, struct span real_message, struct span nonce,
			const struct secret *sk_p, struct span id_body, struct secret **octets)
{
	uint8_t mac[IKEV2_PRF_MAX_OUT];
	struct secret *o;
	int rc;

	if (octets)
		*octets = NULL;
	if (!prf_ok(prf) || sk_p == NULL || octets == NULL || !span_ok(real_message) ||
	    !span_ok(nonce) || !span_ok(id_body))
		return -EINVAL;
	/* RFC 7296 2.15: MACedIDForI = prf(SK_pi, RestOfInitIDPayload) */
	rc = prf_compute(prf, sk_p->data, sk_p->len, &id_body, 1, mac);
	if (rc)
		goto out;
	o = secret_new(real_message.len + nonce.len + prf->out_len);
	if (o == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (real_message.len)
		memcpy(o->data, real_message.p, real_message.len);
	if (nonce.len)
		memcpy(o->data + real_message.len, nonce.p, nonce.len);
	memcpy(o->data + real_message.len + nonce.len, mac, prf->out_len);
	*octets = o;
out:
	wipe(mac, sizeof(mac));
	return rc;
}

int ikev2_psk_auth(const struct prf_alg *prf, struct span psk, struct span signed_octets,
		   uint8_t *out)
{
	/* RFC 7296 2.15: 17 ASCII characters without null termination */
	static const char key_pad[] = "Key Pad for IKEv2";
	struct span pad = {(const uint8_t *)key_pad, sizeof(key_pad) - 1};
	uint8_t k[IKEV2_PRF_MAX_OUT];
	int rc;

	if (!prf_ok(prf) || out == NULL || !span_ok(psk) || !span_ok(signed_octets))
		return -EINVAL;
	rc = prf_compute(prf, psk.p, psk.len, &pad, 1, k);
	if (rc == 0)
		rc = prf_compute(prf, k, prf->out_len, &signed_octets, 1, out);
	wipe(k, sizeof(k));
	return rc;
}
