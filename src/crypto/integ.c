/* integ.c: truncated MACs for the SK payload and ESP/AH (RFC 2403, 2404, 3566, 4595, 4868). */
#include "crypto/integ.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/alg.h"
#include "crypto/prf.h"
#include "lib/secret.h"
#include "lib/util.h"

/* RFC 2403/2404 2: the key is the hash output length; RFC 4868 2.1.1 the same
 * for SHA-2; RFC 3566 2.1 a 128-bit key. */
const struct integ_alg integ_hmac_md5_96 = {IKEV2_AUTH_HMAC_MD5_96, "AUTH_HMAC_MD5_96", 16, 12,
					    &prf_hmac_md5,	    "hmac(md5)",	96};
const struct integ_alg integ_hmac_sha1_96 = {IKEV2_AUTH_HMAC_SHA1_96, "AUTH_HMAC_SHA1_96", 20, 12,
					     &prf_hmac_sha1,	      "hmac(sha1)",	   96};
const struct integ_alg integ_hmac_md5_128 = {IKEV2_AUTH_HMAC_MD5_128, "AUTH_HMAC_MD5_128", 16, 16,
					     &prf_hmac_md5,	      "hmac(md5)",	   128};
const struct integ_alg integ_hmac_sha1_160 = {
	IKEV2_AUTH_HMAC_SHA1_160, "AUTH_HMAC_SHA1_160", 20, 20, &prf_hmac_sha1, "hmac(sha1)", 160};
const struct integ_alg integ_hmac_sha2_256_128 = {
	IKEV2_AUTH_HMAC_SHA2_256_128, "AUTH_HMAC_SHA2_256_128", 32, 16,
	&prf_hmac_sha2_256,	      "hmac(sha256)",		128};
const struct integ_alg integ_hmac_sha2_384_192 = {
	IKEV2_AUTH_HMAC_SHA2_384_192, "AUTH_HMAC_SHA2_384_192", 48, 24,
	&prf_hmac_sha2_384,	      "hmac(sha384)",		192};
const struct integ_alg integ_hmac_sha2_512_256 = {
	IKEV2_AUTH_HMAC_SHA2_512_256, "AUTH_HMAC_SHA2_512_256", 64, 32,
	&prf_hmac_sha2_512,	      "hmac(sha512)",		256};
/* With a 16-byte key AES-XCBC-PRF-128 is exactly AES-XCBC-MAC (RFC 4434 2). */
const struct integ_alg integ_aes_xcbc_96 = {IKEV2_AUTH_AES_XCBC_96, "AUTH_AES_XCBC_96", 16, 12,
					    &prf_aes128_xcbc,	    "xcbc(aes)",	96};

static const struct integ_alg *const integ_all[] = {
	&integ_hmac_md5_96,	  &integ_hmac_sha1_96,	    &integ_hmac_md5_128,
	&integ_hmac_sha1_160,	  &integ_hmac_sha2_256_128, &integ_hmac_sha2_384_192,
	&integ_hmac_sha2_512_256, &integ_aes_xcbc_96,
};

const struct integ_alg *integ_by_ikev2_id(uint16_t id)
{
	for (size_t i = 0; i < ARRAY_SIZE(integ_all); i++)
		if (integ_all[i]->ikev2_id == id)
			return integ_all[i];
	return NULL;
}

int integ_compute(const struct integ_alg *alg, const uint8_t *key, size_t key_len,
		  const struct span *parts, size_t nparts, uint8_t *icv)
{
	uint8_t full[64];
	int rc;

	if (alg == NULL || icv == NULL || key == NULL || key_len != alg->key_len ||
	    alg->icv_len > sizeof(full))
		return -EINVAL;
	rc = prf_compute(alg->prf, key, key_len, parts, nparts, full);
	if (rc == 0)
		memcpy(icv, full, alg->icv_len);
	wipe(full, sizeof(full));
	return rc;
}

int integ_verify(const struct integ_alg *alg, const uint8_t *key, size_t key_len,
		 const struct span *parts, size_t nparts, const uint8_t *icv, size_t icv_len)
{
	uint8_t want[64];
	int rc;

	if (alg == NULL || icv == NULL)
		return -EINVAL;
	if (icv_len != alg->icv_len)
		return -EBADMSG;
	rc = integ_compute(alg, key, key_len, parts, nparts, want);
	if (rc == 0 && CRYPTO_memcmp(want, icv, icv_len) != 0)
		rc = -EBADMSG;
	wipe(want, sizeof(want));
	return rc;
}
