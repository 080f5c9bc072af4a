/* prf.c: HMAC PRFs (RFC 2104, RFC 4868), AES-XCBC-PRF-128 (RFC 4434) and prf+ (RFC 7296 2.13).
 *
 * HMAC goes through EVP_MAC: one template EVP_MAC_CTX per digest, with the
 * digest already set, is built once; each call duplicates it and sets the key,
 * so no call fetches an algorithm by name. AES-XCBC (RFC 3566) is ours, on top
 * of a cached AES-128-ECB.
 */
#include "crypto/prf.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/alg.h"
#include "lib/util.h"

enum prf_slot {
	SLOT_MD5,
	SLOT_SHA1,
	SLOT_SHA2_256,
	SLOT_SHA2_384,
	SLOT_SHA2_512,
	SLOT_COUNT,
	SLOT_XCBC = -1,
};

const struct prf_alg prf_hmac_md5 = {
	IKEV2_PRF_HMAC_MD5, IKEV1_HASH_MD5, "PRF_HMAC_MD5", 16, 16, "MD5", SLOT_MD5};
const struct prf_alg prf_hmac_sha1 = {
	IKEV2_PRF_HMAC_SHA1, IKEV1_HASH_SHA, "PRF_HMAC_SHA1", 20, 20, "SHA1", SLOT_SHA1};
const struct prf_alg prf_hmac_sha2_256 = {IKEV2_PRF_HMAC_SHA2_256,
					  IKEV1_HASH_SHA2_256,
					  "PRF_HMAC_SHA2_256",
					  32,
					  32,
					  "SHA2-256",
					  SLOT_SHA2_256};
const struct prf_alg prf_hmac_sha2_384 = {IKEV2_PRF_HMAC_SHA2_384,
					  IKEV1_HASH_SHA2_384,
					  "PRF_HMAC_SHA2_384",
					  48,
					  48,
					  "SHA2-384",
					  SLOT_SHA2_384};
const struct prf_alg prf_hmac_sha2_512 = {IKEV2_PRF_HMAC_SHA2_512,
					  IKEV1_HASH_SHA2_512,
					  "PRF_HMAC_SHA2_512",
					  64,
					  64,
					  "SHA2-512",
					  SLOT_SHA2_512};
/* RFC 4434: any key length (reduced to 128 bits); no IKEv1 hash. */
const struct prf_alg prf_aes128_xcbc = {
	IKEV2_PRF_AES128_XCBC, 0, "PRF_AES128_XCBC", 16, 16, NULL, SLOT_XCBC};

static const struct prf_alg *const prf_all[] = {
	&prf_hmac_md5,	    &prf_hmac_sha1,	&prf_hmac_sha2_256,
	&prf_hmac_sha2_384, &prf_hmac_sha2_512, &prf_aes128_xcbc,
};

/* Fetched once (pthread_once), read-only afterwards: safe from any thread. */
static EVP_MD *prf_md[SLOT_COUNT];
static EVP_MAC_CTX *prf_hmac_tmpl[SLOT_COUNT];
static EVP_CIPHER *prf_aes_ecb;
static pthread_once_t prf_once = PTHREAD_ONCE_INIT;

static void prf_fetch_all(void)
{
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);

	for (size_t i = 0; i < ARRAY_SIZE(prf_all); i++) {
		const struct prf_alg *a = prf_all[i];
		OSSL_PARAM params[2];

		if (a->md_slot < 0)
			continue;
		prf_md[a->md_slot] = EVP_MD_fetch(NULL, a->md_name, NULL);
		if (hmac == NULL || prf_md[a->md_slot] == NULL)
			continue;
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
							     (char *)a->md_name, 0);
		params[1] = OSSL_PARAM_construct_end();
		prf_hmac_tmpl[a->md_slot] = EVP_MAC_CTX_new(hmac);
		if (prf_hmac_tmpl[a->md_slot] != NULL &&
		    !EVP_MAC_CTX_set_params(prf_hmac_tmpl[a->md_slot], params)) {
			EVP_MAC_CTX_free(prf_hmac_tmpl[a->md_slot]);
			prf_hmac_tmpl[a->md_slot] = NULL;
		}
	}
	EVP_MAC_free(hmac); /* the contexts keep their own references */
	prf_aes_ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
}

const struct prf_alg *prf_by_ikev2_id(uint16_t id)
{
	for (size_t i = 0; i < ARRAY_SIZE(prf_all); i++)
		if (prf_all[i]->ikev2_id == id)
			return prf_all[i];
	return NULL;
}

const struct prf_alg *prf_by_ikev1_hash(uint16_t hash)
{
	if (hash == 0)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(prf_all); i++)
		if (prf_all[i]->ikev1_hash == hash)
			return prf_all[i];
	return NULL;
}

static int prf_hmac(const struct prf_alg *alg, const uint8_t *key, size_t key_len,
		    const struct span *parts, size_t nparts, uint8_t *out)
{
	static const uint8_t empty_key[1];
	EVP_MAC_CTX *ctx;
	size_t got = 0;
	int rc = -EIO;

	if (prf_hmac_tmpl[alg->md_slot] == NULL)
		return -ENOTSUP;
	ctx = EVP_MAC_CTX_dup(prf_hmac_tmpl[alg->md_slot]);
	if (ctx == NULL)
		return -ENOMEM;
	/* A NULL key would mean "keep the current key", and the template has none. */
	if (!EVP_MAC_init(ctx, key_len ? key : empty_key, key_len, NULL))
		goto out;
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].len && !EVP_MAC_update(ctx, parts[i].p, parts[i].len))
			goto out;
	if (!EVP_MAC_final(ctx, out, &got, alg->out_len) || got != alg->out_len)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	return rc;
}

/* One AES-128 block encryption with the key already set in ctx (ECB). */
static int xcbc_block(EVP_CIPHER_CTX *ctx, const uint8_t in[16], uint8_t out[16])
{
	int n = 0;

	return EVP_EncryptUpdate(ctx, out, &n, in, 16) && n == 16 ? 0 : -EIO;
}

/* AES-XCBC-MAC (RFC 3566 4) over the concatenated parts with a 16-byte key;
 * the full 128-bit result. */
static int xcbc_mac(EVP_CIPHER_CTX *ctx, const uint8_t key[16], const struct span *parts,
		    size_t nparts, uint8_t out[16])
{
	uint8_t k[3][16], e[16] = {0}, m[16];
	size_t total = 0, fill = 0;
	int rc = -EIO;

	for (size_t i = 0; i < nparts; i++)
		total += parts[i].len;
	/* K1 = E(K, 0x01..), K2 = E(K, 0x02..), K3 = E(K, 0x03..) */
	if (!EVP_EncryptInit_ex(ctx, prf_aes_ecb, NULL, key, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0))
		goto out;
	for (int i = 0; i < 3; i++) {
		memset(m, i + 1, sizeof(m));
		if (xcbc_block(ctx, m, k[i]))
			goto out;
	}
	if (!EVP_EncryptInit_ex(ctx, NULL, NULL, k[0], NULL))
		goto out;
	/* E[i] = E(K1, M[i] ^ E[i-1]) for every block but the last. */
	for (size_t i = 0; i < nparts; i++) {
		for (size_t j = 0; j < parts[i].len; j++) {
			if (fill == 16) {
				for (int b = 0; b < 16; b++)
					m[b] ^= e[b];
				if (xcbc_block(ctx, m, e))
					goto out;
				fill = 0;
			}
			m[fill++] = parts[i].p[j];
		}
	}
	/* Last block: complete -> XOR K2; short or empty -> pad 10* and XOR K3. */
	if (total > 0 && fill == 16) {
		for (int b = 0; b < 16; b++)
			m[b] ^= e[b] ^ k[1][b];
	} else {
		m[fill] = 0x80;
		memset(m + fill + 1, 0, 16 - fill - 1);
		for (int b = 0; b < 16; b++)
			m[b] ^= e[b] ^ k[2][b];
	}
	rc = xcbc_block(ctx, m, out);
out:
	wipe(k, sizeof(k));
	wipe(e, sizeof(e));
	wipe(m, sizeof(m));
	return rc;
}

/* AES-XCBC-PRF-128 (RFC 4434 2): a key shorter than 128 bits is padded with
 * zeros, a longer one is replaced by AES-XCBC-PRF-128(0^128, key). */
static int prf_xcbc(const uint8_t *key, size_t key_len, const struct span *parts, size_t nparts,
		    uint8_t *out)
{
	static const uint8_t zero_key[16];
	EVP_CIPHER_CTX *ctx;
	uint8_t k[16] = {0};
	int rc;

	if (prf_aes_ecb == NULL)
		return -ENOTSUP;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return -ENOMEM;
	if (key_len > 16) {
		struct span kp = {key, key_len};

		rc = xcbc_mac(ctx, zero_key, &kp, 1, k);
		if (rc)
			goto out;
	} else if (key_len > 0) {
		memcpy(k, key, key_len);
	}
	rc = xcbc_mac(ctx, k, parts, nparts, out);
out:
	wipe(k, sizeof(k));
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int prf_compute(const struct prf_alg *alg, const uint8_t *key, size_t key_len,
		const struct span *parts, size_t nparts, uint8_t *out)
{
	if (alg == NULL || out == NULL || (key == NULL && key_len) || (parts == NULL && nparts))
		return -EINVAL;
	pthread_once(&prf_once, prf_fetch_all);
	if (alg->md_slot == SLOT_XCBC)
		return prf_xcbc(key, key_len, parts, nparts, out);
	if (alg->md_slot < 0 || alg->md_slot >= SLOT_COUNT)
		return -EINVAL;
	return prf_hmac(alg, key, key_len, parts, nparts, out);
}

struct secret *prf_plus(const struct prf_alg *alg, const uint8_t *key, size_t key_len,
			const struct span *seed, size_t nseed, size_t out_len)
{
	struct secret *res = NULL;
	struct span *parts = NULL;
	uint8_t t[64], n = 1; /* 64: the largest out_len of any PRF */
	size_t done = 0;

	if (alg == NULL || alg->out_len > sizeof(t) || out_len > 255 * alg->out_len ||
	    (seed == NULL && nseed))
		return NULL;
	res = secret_new(out_len);
	parts = calloc(nseed + 2, sizeof(*parts));
	if (res == NULL || parts == NULL)
		goto fail;
	/* parts: T(n-1) (empty for T1) | S | n */
	if (nseed) /* seed may be NULL then, and memcpy takes no NULL even for 0 bytes */
		memcpy(parts + 1, seed, nseed * sizeof(*seed));
	parts[nseed + 1] = (struct span){&n, 1};
	while (done < out_len) {
		size_t take = MIN(alg->out_len, out_len - done);

		if (prf_compute(alg, key, key_len, parts, nseed + 2, t))
			goto fail;
		memcpy(res->data + done, t, take);
		done += take;
		parts[0] = (struct span){t, alg->out_len};
		n++;
	}
	wipe(t, sizeof(t));
	free(parts);
	return res;
fail:
	wipe(t, sizeof(t));
	free(parts);
	secret_free(res);
	return NULL;
}

int prf_hash(const struct prf_alg *alg, const struct span *parts, size_t nparts, uint8_t *out)
{
	EVP_MD_CTX *ctx;
	unsigned got = 0;
	int rc = -EIO;

	if (alg == NULL || out == NULL || (parts == NULL && nparts))
		return -EINVAL;
	if (alg->md_slot < 0 || alg->md_slot >= SLOT_COUNT)
		return -ENOTSUP;
	pthread_once(&prf_once, prf_fetch_all);
	if (prf_md[alg->md_slot] == NULL)
		return -ENOTSUP;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return -ENOMEM;
	if (!EVP_DigestInit_ex(ctx, prf_md[alg->md_slot], NULL))
		goto out;
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].len && !EVP_DigestUpdate(ctx, parts[i].p, parts[i].len))
			goto out;
	if (!EVP_DigestFinal_ex(ctx, out, &got) || got != alg->out_len)
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}
