/* encr.c: one-shot encryption and decryption for IKE and the ESP parameters of each cipher. */
#include "crypto/encr.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto/alg.h"
#include "crypto/legacy.h"
#include "lib/secret.h"
#include "lib/util.h"

enum encr_slot {
	SLOT_DES = 0,
	SLOT_3DES = 1,
	SLOT_AES_CBC = 2, /* 128, 192, 256 */
	SLOT_AES_CTR = 5,
	SLOT_AES_GCM = 8, /* shared by the three ICV lengths */
	SLOT_CHACHA = 11,
	SLOT_COUNT = 12,
};

const struct encr_alg encr_des = {.ikev2_id = IKEV2_ENCR_DES,
				  .name = "ENCR_DES",
				  .mode = ENCR_MODE_CBC,
				  .key_bits = {64},
				  .block_size = 8,
				  .iv_len = 8,
				  .legacy = true,
				  .xfrm_name = "cbc(des)",
				  .evp_name = {"DES-CBC"},
				  .slot = SLOT_DES};
const struct encr_alg encr_3des = {.ikev2_id = IKEV2_ENCR_3DES,
				   .name = "ENCR_3DES",
				   .mode = ENCR_MODE_CBC,
				   .key_bits = {192},
				   .block_size = 8,
				   .iv_len = 8,
				   .xfrm_name = "cbc(des3_ede)",
				   .evp_name = {"DES-EDE3-CBC"},
				   .slot = SLOT_3DES};
const struct encr_alg encr_aes_cbc = {.ikev2_id = IKEV2_ENCR_AES_CBC,
				      .name = "ENCR_AES_CBC",
				      .mode = ENCR_MODE_CBC,
				      .key_bits = {128, 192, 256},
				      .key_attr = true,
				      .block_size = 16,
				      .iv_len = 16,
				      .xfrm_name = "cbc(aes)",
				      .evp_name = {"AES-128-CBC", "AES-192-CBC", "AES-256-CBC"},
				      .slot = SLOT_AES_CBC};
/* RFC 3686 5.1 / RFC 5930 3: 4 bytes of nonce follow the key. */
const struct encr_alg encr_aes_ctr = {.ikev2_id = IKEV2_ENCR_AES_CTR,
				      .name = "ENCR_AES_CTR",
				      .mode = ENCR_MODE_CTR,
				      .key_bits = {128, 192, 256},
				      .key_attr = true,
				      .salt_len = 4,
				      .block_size = 1,
				      .iv_len = 8,
				      .xfrm_name = "rfc3686(ctr(aes))",
				      .evp_name = {"AES-128-CTR", "AES-192-CTR", "AES-256-CTR"},
				      .slot = SLOT_AES_CTR};
/* RFC 5282 7.1 (RFC 4106 8.1): 4 bytes of salt follow the key. */
#define ENCR_AES_GCM(icv)                                                                          \
	{                                                                                          \
		.ikev2_id = IKEV2_ENCR_AES_GCM_##icv, .name = "ENCR_AES_GCM_" #icv,                \
		.mode = ENCR_MODE_GCM, .key_bits = {128, 192, 256}, .key_attr = true,              \
		.salt_len = 4, .block_size = 1, .iv_len = 8, .icv_len = (icv), .aead = true,       \
		.xfrm_name = "rfc4106(gcm(aes))",                                                  \
		.evp_name = {"AES-128-GCM", "AES-192-GCM", "AES-256-GCM"}, .slot = SLOT_AES_GCM    \
	}
const struct encr_alg encr_aes_gcm_8 = ENCR_AES_GCM(8);
const struct encr_alg encr_aes_gcm_12 = ENCR_AES_GCM(12);
const struct encr_alg encr_aes_gcm_16 = ENCR_AES_GCM(16);
/* RFC 7634 2: a 256-bit key plus 32 bits of salt, no Key Length attribute. */
const struct encr_alg encr_chacha20_poly1305 = {.ikev2_id = IKEV2_ENCR_CHACHA20_POLY1305,
						.name = "ENCR_CHACHA20_POLY1305",
						.mode = ENCR_MODE_CHACHA20_POLY1305,
						.key_bits = {256},
						.salt_len = 4,
						.block_size = 1,
						.iv_len = 8,
						.icv_len = 16,
						.aead = true,
						.xfrm_name = "rfc7539esp(chacha20,poly1305)",
						.evp_name = {"ChaCha20-Poly1305"},
						.slot = SLOT_CHACHA};

static const struct encr_alg *const encr_all[] = {
	&encr_des,	 &encr_3des,	   &encr_aes_cbc,    &encr_aes_ctr,
	&encr_aes_gcm_8, &encr_aes_gcm_12, &encr_aes_gcm_16, &encr_chacha20_poly1305,
};

/* Fetched once, read-only afterwards. */
static EVP_CIPHER *encr_cipher[SLOT_COUNT];
static pthread_once_t encr_once = PTHREAD_ONCE_INIT;

static void encr_fetch_all(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(encr_all); i++) {
		const struct encr_alg *a = encr_all[i];

		for (size_t k = 0; k < ARRAY_SIZE(a->key_bits) && a->key_bits[k]; k++) {
			if (encr_cipher[a->slot + k] != NULL)
				continue; /* the GCM ICV variants share ciphers */
			encr_cipher[a->slot + k] =
				a->legacy ? legacy_cipher_fetch(a->evp_name[k])
					  : EVP_CIPHER_fetch(NULL, a->evp_name[k], NULL);
		}
	}
}

const struct encr_alg *encr_by_ikev2_id(uint16_t id)
{
	for (size_t i = 0; i < ARRAY_SIZE(encr_all); i++)
		if (encr_all[i]->ikev2_id == id)
			return encr_all[i];
	return NULL;
}

/* Index into key_bits of a key of key_bits bits (0: the fixed size), or -1. */
static int encr_key_index(const struct encr_alg *alg, unsigned key_bits)
{
	if (alg == NULL)
		return -1;
	if (key_bits == 0)
		return alg->key_attr ? -1 : 0;
	for (size_t k = 0; k < ARRAY_SIZE(alg->key_bits) && alg->key_bits[k]; k++)
		if (alg->key_bits[k] == key_bits)
			return (int)k;
	return -1;
}

bool encr_key_bits_ok(const struct encr_alg *alg, unsigned key_bits)
{
	return encr_key_index(alg, key_bits) >= 0;
}

size_t encr_keymat_len(const struct encr_alg *alg, unsigned key_bits)
{
	int k = encr_key_index(alg, key_bits);

	return k < 0 ? 0 : alg->key_bits[k] / 8 + alg->salt_len;
}

unsigned encr_esp_key_bits(const struct encr_alg *alg, unsigned key_bits)
{
	return (unsigned)encr_keymat_len(alg, key_bits) * 8;
}

/* The cipher for a key of key_len bytes of keying material; -EINVAL when no
 * key size of alg gives that length. */
static int encr_cipher_for(const struct encr_alg *alg, size_t key_len, const EVP_CIPHER **c)
{
	for (size_t k = 0; k < ARRAY_SIZE(alg->key_bits) && alg->key_bits[k]; k++) {
		if ((size_t)alg->key_bits[k] / 8 + alg->salt_len != key_len)
			continue;
		pthread_once(&encr_once, encr_fetch_all);
		*c = encr_cipher[alg->slot + k];
		return *c != NULL ? 0 : -ENOTSUP;
	}
	return -EINVAL;
}

/* The IV OpenSSL wants, built from the wire IV and the salt (the key's tail). */
static size_t encr_full_iv(const struct encr_alg *alg, const uint8_t *key, size_t key_len,
			   const uint8_t *iv, uint8_t full[16])
{
	const uint8_t *salt = key + key_len - alg->salt_len;

	switch (alg->mode) {
	case ENCR_MODE_CBC:
		memcpy(full, iv, alg->iv_len);
		return alg->iv_len;
	case ENCR_MODE_CTR:
		/* RFC 3686 4: nonce | IV | block counter, starting at 1 */
		memcpy(full, salt, 4);
		memcpy(full + 4, iv, 8);
		full[12] = full[13] = full[14] = 0;
		full[15] = 1;
		return 16;
	case ENCR_MODE_GCM:		  /* RFC 4106 4 */
	case ENCR_MODE_CHACHA20_POLY1305: /* RFC 7634 2 */
		memcpy(full, salt, 4);
		memcpy(full + 4, iv, 8);
		return 12;
	}
	return 0;
}

static int encr_check(const struct encr_alg *alg, const uint8_t *key, const uint8_t *iv,
		      size_t iv_len, size_t naad, const uint8_t *in, size_t len, const uint8_t *out,
		      const uint8_t *icv)
{
	if (alg == NULL || key == NULL || iv == NULL || iv_len != alg->iv_len)
		return -EINVAL;
	if ((len && (in == NULL || out == NULL)) || len > INT_MAX)
		return -EINVAL;
	if (alg->mode == ENCR_MODE_CBC && len % alg->block_size)
		return -EINVAL;
	if (!alg->aead && naad)
		return -EINVAL;
	if (alg->aead && icv == NULL)
		return -EINVAL;
	return 0;
}

/* One EVP pass; enc 1 encrypts (and writes icv), 0 decrypts (and checks it). */
static int encr_run(const struct encr_alg *alg, int enc, const uint8_t *key, size_t key_len,
		    const uint8_t *iv, const struct span *aad, size_t naad, const uint8_t *in,
		    size_t len, uint8_t *out, uint8_t *icv)
{
	const EVP_CIPHER *cipher = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t full_iv[16], final_sink[32] = {0};
	int n = 0, m = 0, rc;

	rc = encr_cipher_for(alg, key_len, &cipher);
	if (rc)
		return rc;
	encr_full_iv(alg, key, key_len, iv, full_iv);
	ctx = EVP_CIPHER_CTX_new();
	rc = -ENOMEM;
	if (ctx == NULL)
		goto out;
	rc = -EIO;
	if (!EVP_CipherInit_ex2(ctx, cipher, key, full_iv, enc, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0))
		goto out;
	if (alg->aead && !enc &&
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, alg->icv_len, icv))
		goto out;
	for (size_t i = 0; i < naad; i++) {
		if (aad[i].len > INT_MAX || (aad[i].len && aad[i].p == NULL))
			goto bad_arg;
		if (aad[i].len && !EVP_CipherUpdate(ctx, NULL, &n, aad[i].p, (int)aad[i].len))
			goto out;
	}
	n = 0;
	if (len && !EVP_CipherUpdate(ctx, out, &n, in, (int)len))
		goto out;
	/* out may be NULL for an empty message (AEAD over AAD only): no offset on NULL */
	if (!EVP_CipherFinal_ex(ctx, out ? out + n : final_sink, &m)) {
		/* the only way a decryption without padding fails here: the ICV */
		if (alg->aead && !enc) {
			rc = -EBADMSG;
			if (len)
				wipe(out, len);
		}
		goto out;
	}
	if (alg->aead && enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, alg->icv_len, icv))
		goto out;
	rc = (size_t)n + (size_t)m == len ? 0 : -EIO;
	goto out;
bad_arg:
	rc = -EINVAL;
out:
	wipe(full_iv, sizeof(full_iv));
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int encr_encrypt(const struct encr_alg *alg, const uint8_t *key, size_t key_len, const uint8_t *iv,
		 size_t iv_len, const struct span *aad, size_t naad, const uint8_t *in, size_t len,
		 uint8_t *out, uint8_t *icv)
{
	int rc = encr_check(alg, key, iv, iv_len, naad, in, len, out, icv);

	if (rc)
		return rc;
	return encr_run(alg, 1, key, key_len, iv, aad, naad, in, len, out, icv);
}

int encr_decrypt(const struct encr_alg *alg, const uint8_t *key, size_t key_len, const uint8_t *iv,
		 size_t iv_len, const struct span *aad, size_t naad, const uint8_t *in, size_t len,
		 uint8_t *out, const uint8_t *icv)
{
	int rc = encr_check(alg, key, iv, iv_len, naad, in, len, out, icv);

	if (rc)
		return rc;
	/* OpenSSL's SET_TAG takes a non-const pointer but only reads it. */
	return encr_run(alg, 0, key, key_len, iv, aad, naad, in, len, out, (uint8_t *)icv);
}
