/* frag.c: IKEv2 message fragmentation, receiving side (RFC 7383 2.6).
 *
 * Each SKF payload is authenticated and decrypted on its own (sk.c) and its
 * plaintext kept here, one reassembly per direction (requests from the peer,
 * responses to ours) and IKE SA. When every fragment of a message is in,
 * their plaintexts in order are the message's inner payload chain, whose
 * first type is the Next Payload of fragment 1 (2.5). The finished message
 * stays until another message starts, so that a handler that waits for a
 * crypto job can parse it again from its last fragment.
 *
 * Bounds (2.6.2: the receiver limits what it keeps): at most IKEV2_FRAG_MAX
 * fragments and IKEV2_FRAG_BYTES plaintext octets per message. A fragment of
 * another message ID starts over; one whose Total Fragments is larger than
 * the kept ones' replaces them (the sender fragmented again, smaller, 2.6.2),
 * a smaller one is dropped.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2/exchange.h"
#include "lib/log.h"
#include "lib/util.h"

struct ikev2_frag_in {
	uint32_t msg_id;
	uint16_t total, have;
	uint8_t first; /* Next Payload of fragment 1 */
	size_t bytes;
	uint8_t *part[IKEV2_FRAG_MAX];
	size_t part_len[IKEV2_FRAG_MAX];
	uint8_t *whole; /* once complete */
	size_t whole_len;
};

static void slot_clear(struct ikev2_frag_in *f)
{
	unsigned i;

	for (i = 0; i < IKEV2_FRAG_MAX; i++) {
		if (f->part[i])
			wipe(f->part[i], f->part_len[i]);
		free(f->part[i]);
	}
	if (f->whole)
		wipe(f->whole, f->whole_len);
	free(f->whole);
	memset(f, 0, sizeof(*f));
}

void ikev2_frag_free(struct ikev2_ike_sa *sa)
{
	unsigned d;

	for (d = 0; d < 2; d++) {
		if (!sa->frag_in[d])
			continue;
		slot_clear(sa->frag_in[d]);
		free(sa->frag_in[d]);
		sa->frag_in[d] = NULL;
	}
}

static int complete(struct ikev2_frag_in *f)
{
	size_t off = 0;
	unsigned i;

	f->whole = malloc(f->bytes ? f->bytes : 1);
	if (!f->whole)
		return -ENOMEM;
	for (i = 0; i < f->total; i++) {
		memcpy(f->whole + off, f->part[i], f->part_len[i]);
		off += f->part_len[i];
		wipe(f->part[i], f->part_len[i]);
		free(f->part[i]);
		f->part[i] = NULL;
	}
	f->whole_len = off;
	return 0;
}

/* A copy of the reassembled chain for the caller. */
static int hand_out(const struct ikev2_frag_in *f, uint8_t **plain, size_t *len, uint8_t *inner)
{
	uint8_t *p = malloc(f->whole_len ? f->whole_len : 1);

	if (!p)
		return -ENOMEM;
	memcpy(p, f->whole, f->whole_len);
	*plain = p;
	*len = f->whole_len;
	*inner = f->first;
	return 0;
}

int ikev2_frag_add(struct ikev2_ike_sa *sa, const struct ikev2_msg *msg, uint8_t **plain,
		   size_t *len, uint8_t *inner)
{
	const struct ikev2_sk *skf = &msg->pl[msg->sk].sk;
	bool response = (msg->hdr.flags & IKEV2_FLAG_R) != 0;
	struct ikev2_frag_in *f = sa->frag_in[response];
	uint8_t *mine = *plain;
	unsigned k = skf->frag_num - 1u;
	int r = -EINPROGRESS;

	*plain = NULL;
	if (!f && !(f = sa->frag_in[response] = calloc(1, sizeof(*f)))) {
		free(mine);
		return -ENOMEM;
	}
	if (skf->frag_total > IKEV2_FRAG_MAX) {
		LOG(SUB_IKE, k == 0 ? LVL_WARN : LVL_DEBUG,
		    "IKE SA #%u: message %u comes in %u fragments, we take at most %u: dropped",
		    sa->sa.serial, msg->hdr.msg_id, skf->frag_total, IKEV2_FRAG_MAX);
		r = -EBADMSG;
		goto drop;
	}
	if (f->total && (f->msg_id != msg->hdr.msg_id || skf->frag_total > f->total))
		slot_clear(f); /* another message, or this one fragmented again */
	else if (f->total && skf->frag_total < f->total)
		goto drop; /* 2.6.2: an older fragmentation of it */
	if (f->whole) {	   /* done before: a job's resumption parses it again */
		free(mine);
		return hand_out(f, plain, len, inner);
	}
	if (!f->total) {
		f->msg_id = msg->hdr.msg_id;
		f->total = skf->frag_total;
	}
	if (f->part[k])
		goto drop; /* a duplicate */
	if (f->bytes + *len > IKEV2_FRAG_BYTES) {
		log_warn(SUB_IKE,
			 "IKE SA #%u: fragments of message %u exceed %u octets: all dropped",
			 sa->sa.serial, msg->hdr.msg_id, IKEV2_FRAG_BYTES);
		slot_clear(f);
		r = -EBADMSG;
		goto drop;
	}
	if (k == 0)
		f->first = skf->inner;
	f->part[k] = mine;
	f->part_len[k] = *len;
	f->bytes += *len;
	f->have++;
	log_debug(SUB_IKE, "IKE SA #%u: fragment %u of %u of message %u", sa->sa.serial,
		  skf->frag_num, skf->frag_total, msg->hdr.msg_id);
	if (f->have < f->total)
		return -EINPROGRESS;
	if ((r = complete(f)) < 0)
		return r;
	return hand_out(f, plain, len, inner);
drop:
	if (mine)
		wipe(mine, *len);
	free(mine);
	return r;
}

size_t ikev2_frag_max_dgram(const struct ikev2_engine *e, const struct ikev2_ike_sa *sa)
{
	const struct daemon_cfg *d = ikev2_daemon_cfg(e);
	size_t ip = sa->sa.remote.addr.family == AF_INET6 ? 40 : 20;
	size_t size = d->fragment_size ? d->fragment_size : 1280;
	size_t marker = d->port_nat_t && sa->sa.local.port == d->port_nat_t ? 4 : 0;

	/* fragment_size is the IP datagram (strongSwan's charon.fragment_size):
	 * IP and UDP headers and the non-ESP marker come off */
	return size - ip - 8 - marker;
}

bool ikev2_frag_wanted(const struct ikev2_engine *e, const struct ikev2_ike_sa *sa,
		       uint8_t exchange, size_t len)
{
	const struct conn_cfg *c = sa->sa.conn;

	/* 2.5: only encrypted messages, after both said they support it; with
	 * fragmentation = accept we take fragments but do not send them */
	return exchange != IKEV2_EXCH_IKE_SA_INIT && sa->frag_peer && c &&
	       (c->fragmentation == FRAG_YES || c->fragmentation == FRAG_FORCE) &&
	       len > ikev2_frag_max_dgram(e, sa);
}
