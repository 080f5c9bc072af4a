/* crypt.c: IKEv1 message encryption and the IV chains (RFC 2409 appendix
 * B, RFC 2408 3.1 E flag).
 *
 * The ISAKMP SA's cipher runs in CBC mode over the payload chain padded to
 * the block size. Phase 1 starts from hash(g^xi | g^xr); every later
 * encrypted phase 1 message uses the last ciphertext block of the one
 * before, in either direction. Each Quick Mode and each Informational
 * exchange starts its own chain from hash(last phase 1 block | M-ID), and a
 * Quick Mode's later messages continue that chain.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ikev1/ikev1_int.h"
#include "lib/log.h"

static size_t key_len(const struct ikev1_ike_sa *sa)
{
	return sa->keys.enc_key ? sa->keys.enc_key->len : 0;
}

int ikev1_seal(const struct ikev1_ike_sa *sa, const struct isakmp_hdr *h, uint8_t first,
	       const uint8_t *chain, size_t chain_len, uint8_t *iv, uint8_t **out, size_t *out_len)
{
	size_t bs = sa->block, padded;
	struct isakmp_hdr hh = *h;
	struct builder b;
	uint8_t *ct;
	int r;

	if (!sa->encr || !bs || !sa->keys.enc_key)
		return -EINVAL;
	/* RFC 2409 5.3 / appendix B: zero padding to the block size; we pad
	 * as strongSwan does, at least nothing, at most one block - 1 */
	padded = (chain_len + bs - 1) / bs * bs;
	if (padded == 0)
		padded = bs;
	ct = calloc(1, padded);
	if (!ct)
		return -ENOMEM;
	memcpy(ct, chain, chain_len);
	r = encr_encrypt(sa->encr, sa->keys.enc_key->data, key_len(sa), iv, bs, NULL, 0, ct, padded,
			 ct, NULL);
	if (r < 0) {
		free(ct);
		return r;
	}
	memcpy(iv, ct + padded - bs, bs);
	hh.next_payload = first;
	hh.flags |= ISAKMP_FLAG_E;
	hh.major = 1;
	hh.minor = 0;
	bld_init(&b, 65535);
	r = ikev1_enc_encrypted(&b, &hh, (struct span){ct, padded});
	free(ct);
	if (r < 0 || !bld_ok(&b)) {
		bld_free(&b);
		return r < 0 ? r : -ENOBUFS;
	}
	*out = bld_take(&b, out_len);
	return *out ? 0 : -ENOMEM;
}

int ikev1_open(const struct ikev1_ike_sa *sa, struct ikev1_rx *rx, uint8_t *iv,
	       struct wire_err *err)
{
	struct span ct = rx->msg->encrypted;
	size_t bs = sa->block;
	uint8_t next_iv[IKEV1_IV_MAX];
	int r;

	if (!sa->encr || !bs || !sa->keys.enc_key) {
		wire_err_set(err, 28, "encrypted message before keys exist");
		return -EBADMSG;
	}
	if (ct.len == 0 || ct.len % bs) {
		wire_err_set(err, 28, "encrypted body of %zu bytes is not whole %zu-byte blocks",
			     ct.len, bs);
		return -EBADMSG;
	}
	free(rx->plain);
	rx->plain = malloc(ct.len);
	if (!rx->plain)
		return -ENOMEM;
	rx->plain_len = ct.len;
	memcpy(next_iv, ct.p + ct.len - bs, bs);
	r = encr_decrypt(sa->encr, sa->keys.enc_key->data, key_len(sa), iv, bs, NULL, 0, ct.p,
			 ct.len, rx->plain, NULL);
	if (r < 0) {
		wire_err_set(err, 28, "decryption failed");
		return -EBADMSG;
	}
	r = ikev1_chain_decode(rx->msg->hdr.next_payload, (struct span){rx->plain, rx->plain_len},
			       rx->msg, err);
	if (r < 0)
		return r == -ENOTSUP ? r : -EBADMSG;
	/* only a message that decrypted to a valid chain moves the chain on:
	 * garbage must not desynchronise us from the peer */
	memcpy(iv, next_iv, bs);
	return 0;
}

int ikev1_p2_iv(const struct ikev1_ike_sa *sa, uint32_t msgid, uint8_t *iv)
{
	uint8_t h[IKEV1_HASH_MAX];
	int r;

	r = ikev1_phase2_iv(sa->prf, (struct span){sa->iv, sa->block}, msgid, h);
	if (r < 0)
		return r;
	memcpy(iv, h, sa->block);
	return 0;
}
