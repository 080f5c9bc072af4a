/* sk.c: the Encrypted payload (RFC 7296 3.14; AEAD ciphers RFC 5282).
 *
 *   SK body = IV | ciphertext of (inner payloads | Padding | Pad Length) | ICV
 *
 * With an integrity transform the ICV covers the whole message from the
 * first octet of the IKE header through the last octet of the ciphertext
 * (3.14). With an AEAD cipher the ICV is the cipher's tag and the associated
 * data is the IKE header through the SK generic payload header (RFC 5282
 * 5.1). Messages from the original initiator use SK_ei/SK_ai, the others
 * SK_er/SK_ar (2.14). A received message is believed only after its ICV
 * checks: nothing decrypted is parsed before.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/rand.h"
#include "ikev2/exchange.h"
#include "lib/log.h"

int ikev2_plain_seal(const uint8_t spi_i[8], const uint8_t spi_r[8], uint8_t exchange,
		     uint8_t flags, uint32_t msg_id, const uint8_t *chain, size_t chain_len,
		     uint8_t first, uint8_t **out, size_t *out_len)
{
	struct builder b;
	struct isakmp_hdr h;

	memset(&h, 0, sizeof(h));
	memcpy(h.spi_i, spi_i, 8);
	memcpy(h.spi_r, spi_r, 8);
	h.next_payload = first;
	h.major = 2;
	h.exchange = exchange;
	h.flags = flags;
	h.msg_id = msg_id;
	bld_init(&b, 0);
	isakmp_hdr_encode(&b, &h);
	bld_bytes(&b, chain, chain_len);
	isakmp_hdr_patch_length(&b, 0);
	*out = bld_take(&b, out_len);
	return *out ? 0 : -ENOBUFS;
}

/* Keys of the direction a message travels: from the original initiator or not. */
static void sk_keys(const struct ikev2_ike_sa *sa, bool from_initiator, const struct secret **ke,
		    const struct secret **ka)
{
	*ke = from_initiator ? sa->keys.sk_ei : sa->keys.sk_er;
	*ka = from_initiator ? sa->keys.sk_ai : sa->keys.sk_ar;
}

static size_t sk_icv_len(const struct ikev2_ike_sa *sa)
{
	return sa->encr->aead ? sa->encr->icv_len : sa->integ->icv_len;
}

/* One message (or, with frag_total, one RFC 7383 fragment) of chain
 * appended to b: header, SK (SKF) header, IV, encrypted chain with padding,
 * ICV. */
static int sk_seal_one(const struct ikev2_ike_sa *sa, const struct isakmp_hdr *h,
		       const uint8_t *chain, size_t chain_len, uint8_t first, uint16_t frag_num,
		       uint16_t frag_total, struct builder *b)
{
	const struct encr_alg *ea = sa->encr;
	const struct secret *ke, *ka;
	struct builder one;
	struct ikev2_enc enc;
	size_t bs = ea->block_size ? ea->block_size : 1, pad, plen, body_len, body_off;
	size_t icv_len = sk_icv_len(sa);
	uint8_t *body, *msg;
	int r;

	sk_keys(sa, sa->sa.initiator, &ke, &ka);
	/* 3.14: pad so that inner | padding | pad length is whole blocks. */
	pad = (bs - (chain_len + 1) % bs) % bs;
	plen = chain_len + pad + 1;
	body_len = ea->iv_len + plen + icv_len;
	bld_init(&one, 0);
	ikev2_msg_encode_begin(&enc, &one, h);
	if (frag_total)
		ikev2_put_skf(&enc, first, frag_num, frag_total, NULL, body_len, &body_off);
	else
		ikev2_put_sk(&enc, first, NULL, body_len, &body_off);
	r = ikev2_msg_encode_end(&enc);
	if (r < 0) {
		bld_free(&one);
		return r;
	}
	msg = (uint8_t *)bld_data(&one);
	body = msg + body_off;
	r = rand_public(body, ea->iv_len); /* RFC 7296 3.14: sent in the clear */
	if (r == 0) {
		uint8_t *p = body + ea->iv_len;

		if (chain_len) /* an empty INFORMATIONAL has no payloads */
			memcpy(p, chain, chain_len);
		memset(p + chain_len, 0, pad);
		p[chain_len + pad] = (uint8_t)pad;
		if (ea->aead) {
			struct span aad = {msg, body_off};

			r = encr_encrypt(ea, ke->data, ke->len, body, ea->iv_len, &aad, 1, p, plen,
					 p, p + plen);
		} else {
			struct span whole = {msg, body_off + ea->iv_len + plen};

			r = encr_encrypt(ea, ke->data, ke->len, body, ea->iv_len, NULL, 0, p, plen,
					 p, NULL);
			if (r == 0)
				r = integ_compute(sa->integ, ka->data, ka->len, &whole, 1,
						  p + plen);
		}
	}
	if (r == 0)
		bld_bytes(b, msg, bld_off(&one));
	bld_free(&one);
	return r < 0 ? r : bld_err(b);
}

static void sk_hdr(const struct ikev2_ike_sa *sa, uint8_t exchange, bool response, uint32_t msg_id,
		   struct isakmp_hdr *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->spi_i, sa->sa.spi_i, 8);
	memcpy(h->spi_r, sa->sa.spi_r, 8);
	h->major = 2;
	h->exchange = exchange;
	h->flags = (uint8_t)((sa->sa.initiator ? IKEV2_FLAG_I : 0) | (response ? IKEV2_FLAG_R : 0));
	h->msg_id = msg_id;
}

int ikev2_sk_seal(const struct ikev2_ike_sa *sa, uint8_t exchange, bool response, uint32_t msg_id,
		  const uint8_t *chain, size_t chain_len, uint8_t first, uint8_t **out,
		  size_t *out_len)
{
	struct isakmp_hdr h;
	struct builder b;
	int r;

	if (!sa->have_keys)
		return -EINVAL;
	sk_hdr(sa, exchange, response, msg_id, &h);
	bld_init(&b, 0);
	r = sk_seal_one(sa, &h, chain, chain_len, first, 0, 0, &b);
	if (r < 0) {
		bld_free(&b);
		return r;
	}
	*out = bld_take(&b, out_len);
	return *out ? 0 : -ENOMEM;
}

/* RFC 7383 2.5: every fragment but the last carries the same number of
 * chain octets, chosen so that its plaintext needs no padding: all but the
 * last datagram have the same length, which is all the engine keeps. */
int ikev2_sk_seal_frags(const struct ikev2_ike_sa *sa, uint8_t exchange, bool response,
			uint32_t msg_id, const uint8_t *chain, size_t chain_len, uint8_t first,
			size_t max_dgram, size_t max_frags, uint8_t **out, size_t *out_len,
			size_t *frag_len)
{
	const struct encr_alg *ea = sa->encr;
	size_t bs = ea->block_size ? ea->block_size : 1, over, chunk, n, k, off = 0;
	struct isakmp_hdr h;
	struct builder b;
	int r = 0;

	if (!sa->have_keys)
		return -EINVAL;
	/* IKE header, SKF header with the fragment numbers, IV, ICV */
	over = ISAKMP_HDR_LEN + 8 + ea->iv_len + sk_icv_len(sa);
	if (max_dgram < over + 2 * bs)
		return -EMSGSIZE;
	chunk = (max_dgram - over) / bs * bs - 1; /* + the Pad Length octet */
	n = (chain_len + chunk - 1) / chunk;
	if (n == 0 || n > max_frags || n > UINT16_MAX)
		return -EMSGSIZE;
	sk_hdr(sa, exchange, response, msg_id, &h);
	h.next_payload = IKEV2_PL_SKF;
	bld_init(&b, 0);
	for (k = 1; k <= n && r == 0; k++) {
		size_t len = k < n ? chunk : chain_len - off;

		r = sk_seal_one(sa, &h, chain + off, len, k == 1 ? first : 0, (uint16_t)k,
				(uint16_t)n, &b);
		if (k == 1)
			*frag_len = bld_off(&b);
		off += len;
	}
	if (r < 0) {
		bld_free(&b);
		return r;
	}
	if (n == 1)
		*frag_len = 0;
	*out = bld_take(&b, out_len);
	return *out ? 0 : -ENOMEM;
}

/* ICV check and decryption of an SK body; *plain (caller frees) gets the
 * inner payload bytes, *plain_len their length (padding removed). */
static int sk_decrypt(const struct ikev2_ike_sa *sa, bool from_initiator, const uint8_t *buf,
		      size_t body_off, size_t body_len, uint8_t **plain, size_t *plain_len)
{
	const struct encr_alg *ea = sa->encr;
	const struct secret *ke, *ka;
	size_t icv_len = sk_icv_len(sa), bs = ea->block_size ? ea->block_size : 1, clen;
	const uint8_t *iv = buf + body_off, *ct, *icv;
	uint8_t *p;
	int r;

	sk_keys(sa, from_initiator, &ke, &ka);
	if (body_len < ea->iv_len + icv_len + 1)
		return -EBADMSG;
	clen = body_len - ea->iv_len - icv_len;
	if (clen % bs)
		return -EBADMSG;
	ct = iv + ea->iv_len;
	icv = ct + clen;
	p = malloc(clen);
	if (!p)
		return -ENOMEM;
	if (ea->aead) {
		struct span aad = {buf, body_off};

		r = encr_decrypt(ea, ke->data, ke->len, iv, ea->iv_len, &aad, 1, ct, clen, p, icv);
	} else {
		struct span whole = {buf, body_off + ea->iv_len + clen};

		r = integ_verify(sa->integ, ka->data, ka->len, &whole, 1, icv, icv_len);
		if (r == 0)
			r = encr_decrypt(ea, ke->data, ke->len, iv, ea->iv_len, NULL, 0, ct, clen,
					 p, NULL);
	}
	if (r == 0 && (size_t)p[clen - 1] + 1 > clen)
		r = -EBADMSG; /* 3.14: Pad Length beyond the plaintext */
	if (r < 0) {
		free(p);
		return r == -EBADMSG || r == -EINVAL ? -EBADMSG : r;
	}
	*plain = p;
	*plain_len = clen - p[clen - 1] - 1;
	return 0;
}

int ikev2_sk_open(struct ikev2_ike_sa *sa, struct ikev2_msg *msg, const uint8_t *buf, size_t len,
		  uint8_t **plain, struct wire_err *err)
{
	const struct ikev2_payload *sk;
	size_t body_off, plain_len = 0;
	bool from_initiator = (msg->hdr.flags & IKEV2_FLAG_I) != 0;
	uint8_t inner;
	int r;

	*plain = NULL;
	if (msg->sk < 0 || !sa->have_keys)
		return -EBADMSG;
	sk = &msg->pl[msg->sk];
	body_off = (size_t)(sk->sk.data.p - buf);
	if (body_off > len || sk->sk.data.len > len - body_off)
		return -EBADMSG;
	r = sk_decrypt(sa, from_initiator, buf, body_off, sk->sk.data.len, plain, &plain_len);
	if (r < 0)
		return r;
	inner = sk->sk.inner;
	if (sk->type == IKEV2_PL_SKF) {
		/* RFC 7383 2.6.2: each fragment is authenticated, then kept */
		r = ikev2_frag_add(sa, msg, plain, &plain_len, &inner);
		if (r < 0)
			return r; /* -EINPROGRESS: more to come; *plain freed */
		body_off = 0;	  /* offsets in errors: of the reassembled plaintext */
	}
	r = ikev2_chain_decode(inner, (struct span){*plain, plain_len},
			       body_off + (body_off ? sa->encr->iv_len : 0), msg, err);
	if (r == -EBADMSG)
		return -EPROTO;
	return r;
}
