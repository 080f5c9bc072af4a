/* frag.c: IKE fragmentation for IKEv1, both ways (ikev1_int.h).
 *
 * There is no RFC: this is Cisco's vendor extension as strongSwan,
 * libreswan and Windows speak it (vendor ID ikev1_vid_fragmentation,
 * payload type 132). A message too large for one datagram goes out as
 * several ISAKMP messages with the original header's cookies, exchange type
 * and message ID, Next Payload = FRAGMENT, no flags, and one fragment
 * payload each: Fragment ID (2 octets, equal for all parts of one message),
 * Fragment Number (1, from 1), Flags (1, LAST on the last part), then the
 * part's bytes. The parts are slices of the whole message as it would have
 * been sent, so an encrypted message is cut after encryption and the
 * fragments themselves are not encrypted. The receiver concatenates the
 * parts in order and handles the result as one datagram.
 *
 * We send fragments when the connection says `fragmentation = force`, or
 * `yes` (the default) and the peer announced the vendor ID; never with
 * `accept` or `no`. The size is the daemon's fragment_size (strongSwan's
 * charon.fragment_size, 1280 by default), the IP datagram, the same setting
 * IKEv2 uses. A retransmission sends every part again with the same ID. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/model.h"
#include "ikev1/ikev1_int.h"
#include "lib/cursor.h"
#include "lib/log.h"

/* The fragment payload's own header: generic header, ID, number, flags. */
#define FRAG_PL_HDR 8

void ikev1_frags_free(struct ikev1_ike_sa *sa)
{
	unsigned i;

	if (!sa->frags)
		return;
	for (i = 0; i < IKEV1_FRAGS_MAX; i++)
		ikev1_buf_clear(&sa->frags->part[i]);
	free(sa->frags);
	sa->frags = NULL;
}

/* Every part up to the last is in: the message, or NULL (out of memory). */
static uint8_t *frags_join(const struct ikev1_frags *fr, size_t *len)
{
	uint8_t *buf = malloc(fr->bytes ? fr->bytes : 1);
	unsigned i;

	*len = 0;
	if (!buf)
		return NULL;
	for (i = 0; i < fr->last; i++) {
		memcpy(buf + *len, fr->part[i].p, fr->part[i].len);
		*len += fr->part[i].len;
	}
	return buf;
}

static bool frags_complete(const struct ikev1_frags *fr)
{
	unsigned i;

	if (!fr->last)
		return false;
	for (i = 0; i < fr->last; i++)
		if (!fr->part[i].p)
			return false;
	return true;
}

void ikev1_frag_add(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const struct ikev1_rx *rx,
		    const struct ikev1_frag *f)
{
	struct ikev1_frags *fr;
	struct ikev1_rx whole;
	uint8_t *buf;
	size_t len;

	/* Windows fragments at 576-626 octets: a certificate chain comes in
	 * more than 16 parts */
	if (f->number == 0 || f->number > IKEV1_FRAGS_MAX) {
		log_notice(SUB_IKE, "ISAKMP SA #%u: fragment number %u refused (1..%u)",
			   sa->sa.serial, f->number, IKEV1_FRAGS_MAX);
		return;
	}
	if (sa->frags && sa->frags->id != f->id)
		ikev1_frags_free(sa); /* a newer message: the old one is abandoned */
	if (!sa->frags && !(sa->frags = calloc(1, sizeof(*sa->frags))))
		return;
	fr = sa->frags;
	fr->id = f->id;
	if (fr->part[f->number - 1].p)
		return; /* a retransmitted fragment */
	if (fr->bytes + f->data.len > IKEV1_FRAGS_BYTES) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: fragments of message %u exceed %u bytes: dropped",
			   sa->sa.serial, f->id, IKEV1_FRAGS_BYTES);
		ikev1_frags_free(sa);
		return;
	}
	ikev1_buf_set(&fr->part[f->number - 1], f->data.p, f->data.len);
	fr->bytes += f->data.len;
	if (f->flags & IKEV1_FRAG_LAST)
		fr->last = f->number;
	if (!frags_complete(fr))
		return;
	buf = frags_join(fr, &len);
	log_debug(SUB_IKE, "ISAKMP SA #%u: message %u reassembled from %u fragments (%zu bytes)",
		  sa->sa.serial, f->id, fr->last, len);
	ikev1_frags_free(sa);
	if (!buf)
		return;
	whole = *rx;
	whole.buf = buf;
	whole.len = len;
	whole.plain = NULL;
	whole.depth = rx->depth + 1;
	ikev1_handle(e, &whole);
	free(whole.plain);
	free(buf);
}

/* --- sending --- */

size_t ikev1_frag_max_dgram(const struct ikev1_engine *e, const struct ikev1_ike_sa *sa)
{
	const struct daemon_cfg *d = ikev1_daemon_cfg(e);
	size_t ip = sa->sa.remote.addr.family == AF_INET6 ? 40 : 20;
	size_t size = d->fragment_size ? d->fragment_size : 1280;
	size_t marker = d->port_nat_t && sa->sa.local.port == d->port_nat_t ? 4 : 0;

	/* fragment_size is the IP datagram: IP and UDP headers and the non-ESP
	 * marker come off, as for IKEv2 (ikev2_frag_max_dgram) */
	return size - ip - 8 - marker;
}

bool ikev1_frag_wanted(const struct ikev1_engine *e, const struct ikev1_ike_sa *sa, size_t len)
{
	const struct conn_cfg *c = sa->sa.conn;

	if (!c || len <= ikev1_frag_max_dgram(e, sa))
		return false;
	return c->fragmentation == FRAG_FORCE || (c->fragmentation == FRAG_YES && sa->vids.frag);
}

/* FNV-1a: tells a retransmission (same bytes, same Fragment ID) from a new
 * message; a collision only costs the peer a restarted reassembly. */
static uint32_t msg_sum(const uint8_t *buf, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ buf[i]) * 16777619u;
	return h;
}

/* One fragment: the original header with Next Payload = FRAGMENT and no
 * flags, then the fragment payload. (caller frees *out) */
static int frag_build(const struct isakmp_hdr *orig, uint16_t id, uint8_t number, bool last,
		      struct span data, uint8_t **out, size_t *out_len)
{
	struct isakmp_hdr h = *orig;
	struct ikev1_enc enc;
	struct builder b;
	int r;

	h.next_payload = ISAKMP_NP_FRAG;
	h.flags = 0;
	bld_init(&b, 65535);
	ikev1_enc_begin(&enc, &b, &h);
	ikev1_put_frag(&enc, &(struct ikev1_frag){.id = id,
						  .number = number,
						  .flags = last ? IKEV1_FRAG_LAST : 0,
						  .data = data});
	r = ikev1_enc_end(&enc);
	if (r == 0)
		*out = bld_take(&b, out_len);
	bld_free(&b);
	return r;
}

int ikev1_frag_send(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const uint8_t *buf, size_t len)
{
	const struct net_ops *n = e->env.net;
	size_t max = ikev1_frag_max_dgram(e, sa), part, off, count;
	uint32_t sum = msg_sum(buf, len);
	struct isakmp_hdr h;
	struct wire_err err;
	struct cursor c;
	unsigned k = 0;
	int r = 0;

	cur_init(&c, buf, len);
	if (isakmp_hdr_decode(&c, &h, &err) < 0 || max <= ISAKMP_HDR_LEN + FRAG_PL_HDR)
		return -EINVAL;
	part = max - ISAKMP_HDR_LEN - FRAG_PL_HDR;
	count = (len + part - 1) / part;
	if (count > 255) {
		log_err(SUB_IKE,
			"ISAKMP SA #%u: a %zu-byte message needs %zu fragments of %zu bytes, "
			"at most 255 are possible: not sent",
			sa->sa.serial, len, count, part);
		return -EMSGSIZE;
	}
	if (sum != sa->frag_sum || !sa->frag_id) {
		sa->frag_id++;
		if (!sa->frag_id)
			sa->frag_id = 1;
		sa->frag_sum = sum;
	}
	log_debug(SUB_IKE, "ISAKMP SA #%u: %zu-byte message sent as %zu fragments (ID %u)",
		  sa->sa.serial, len, count, sa->frag_id);
	for (off = 0; off < len && r >= 0; off += part) {
		size_t m = len - off < part ? len - off : part;
		uint8_t *out = NULL;
		size_t out_len = 0;

		r = frag_build(&h, sa->frag_id, (uint8_t)++k, off + m == len,
			       (struct span){buf + off, m}, &out, &out_len);
		if (r == 0)
			r = n->send(n->ctx, &sa->sa.local, &sa->sa.remote, out, out_len);
		free(out);
	}
	return r < 0 ? r : 0;
}
