/* payloads.c: IKEv1 payloads that several exchanges share: identities,
 * vendor IDs, NAT-D (RFC 3947), notifications and the protected
 * Informational exchange (RFC 2409 5.7). */
#include <errno.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/model.h"
#include "crypto/rand.h"
#include "ikev1/ikev1_int.h"
#include "lib/hex.h"
#include "lib/log.h"

void ikev1_id_for(const struct ident *cfg_id, const struct ip_addr *addr, struct ident *out)
{
	if (cfg_id->type != 0) {
		*out = *cfg_id;
		return;
	}
	memset(out, 0, sizeof(*out));
	if (addr->family == AF_INET6) {
		out->type = IDENT_IPV6_ADDR;
		out->len = 16;
	} else {
		out->type = IDENT_IPV4_ADDR;
		out->len = 4;
	}
	memcpy(out->data, addr->a, out->len);
}

/* MS NT5 ISAKMPOAKLEY with version 9 (Windows 7 and later): Windows peers
 * look for it to enable their extensions; we announce what we implement. */
static const uint8_t ms_version[4] = {0, 0, 0, 9};

void ikev1_put_vids(const struct ikev1_ike_sa *sa, struct ikev1_enc *enc)
{
	const struct conn_cfg *c = sa->sa.conn;

	uint8_t ms[20];

	memcpy(ms, ikev1_vid_ms_nt5, 16);
	memcpy(ms + 16, ms_version, 4);
	ikev1_put_data(enc, ISAKMP_NP_VID, (struct span){ikev1_vid_rfc3947, 16});
	ikev1_put_data(enc, ISAKMP_NP_VID, (struct span){ikev1_vid_dpd, 16});
	/* fragmentation = no: we do not offer it (accept: we take fragments
	 * but send whole messages, frag.c) */
	if (!c || c->fragmentation != FRAG_NO)
		ikev1_put_data(enc, ISAKMP_NP_VID, (struct span){ikev1_vid_fragmentation, 16});
	ikev1_put_data(enc, ISAKMP_NP_VID, (struct span){ms, sizeof(ms)});
}

void ikev1_note_vids(struct ikev1_ike_sa *sa, const struct ikev1_msg *m)
{
	const struct ikev1_payload *p;
	char name[128], hex[2 * 64 + 1];
	const char *nm;
	unsigned i;

	for (i = 0; (p = ikev1_msg_get(m, ISAKMP_NP_VID, i)); i++) {
		struct span v = p->u.data;

		if (v.len == 16 && memcmp(v.p, ikev1_vid_rfc3947, 16) == 0)
			sa->vids.natt = true;
		else if (v.len == 16 && memcmp(v.p, ikev1_vid_dpd, 16) == 0)
			sa->vids.dpd = true;
		else if (v.len >= 16 && memcmp(v.p, ikev1_vid_fragmentation, 16) == 0)
			sa->vids.frag = true;
		else if (v.len >= 16 && memcmp(v.p, ikev1_vid_ms_nt5, 16) == 0) {
			sa->vids.ms = true;
			if (v.len == 20)
				sa->vids.ms_version = (uint32_t)v.p[16] << 24 |
						      (uint32_t)v.p[17] << 16 |
						      (uint32_t)v.p[18] << 8 | v.p[19];
		}
		if ((nm = ikev1_vid_name(v, name, sizeof(name)))) {
			log_debug(SUB_IKE, "ISAKMP SA #%u: peer vendor ID: %s", sa->sa.serial, nm);
		} else {
			hex_encode(hex, sizeof(hex), v.p, v.len < 64 ? v.len : 64);
			log_info(SUB_IKE, "ISAKMP SA #%u: unknown vendor ID %s%s", sa->sa.serial,
				 hex, v.len > 64 ? "..." : "");
		}
	}
}

/* RFC 3947 3.2: HASH = hash(CKY-I | CKY-R | IP | Port) */
static int natd_hash(const struct ikev1_ike_sa *sa, const struct ip_endpoint *ep, uint8_t *out)
{
	uint8_t port[2] = {(uint8_t)(ep->port >> 8), (uint8_t)ep->port};
	struct span parts[4] = {
		{sa->sa.spi_i, 8},
		{sa->sa.spi_r, 8},
		{ep->addr.a, ip_addr_len(&ep->addr)},
		{port, 2},
	};

	return prf_hash(sa->prf, parts, 4, out);
}

void ikev1_put_natd(const struct ikev1_ike_sa *sa, struct ikev1_enc *enc)
{
	uint8_t h[IKEV1_HASH_MAX];
	size_t n = sa->prf->out_len;

	/* RFC 3947 3.2: the first NAT-D is the remote end's, then ours */
	if (natd_hash(sa, &sa->sa.remote, h) == 0)
		ikev1_put_data(enc, ISAKMP_NP_NATD, (struct span){h, n});
	if (natd_hash(sa, &sa->sa.local, h) == 0)
		ikev1_put_data(enc, ISAKMP_NP_NATD, (struct span){h, n});
}

void ikev1_check_natd(struct ikev1_ike_sa *sa, const struct ikev1_msg *m)
{
	const struct ikev1_payload *p;
	uint8_t mine[IKEV1_HASH_MAX], theirs[IKEV1_HASH_MAX];
	size_t n = sa->prf->out_len;
	bool local_ok = false, remote_ok = false;
	unsigned i;

	if (!ikev1_msg_count(m, ISAKMP_NP_NATD))
		return;
	if (natd_hash(sa, &sa->sa.local, mine) < 0 || natd_hash(sa, &sa->sa.remote, theirs) < 0)
		return;
	/* the first is what the peer sees as our address, the rest its own */
	for (i = 0; (p = ikev1_msg_get(m, ISAKMP_NP_NATD, i)); i++) {
		if (p->u.data.len != n)
			continue;
		if (i == 0 && memcmp(p->u.data.p, mine, n) == 0)
			local_ok = true;
		if (i > 0 && memcmp(p->u.data.p, theirs, n) == 0)
			remote_ok = true;
	}
	sa->nat_checked = true;
	sa->sa.nat_local = !local_ok;
	sa->sa.nat_remote = !remote_ok;
	if (sa->sa.nat_local || sa->sa.nat_remote)
		log_notice(SUB_IKE, "ISAKMP SA #%u: NAT detected (%s%s%s)", sa->sa.serial,
			   sa->sa.nat_local ? "in front of us" : "",
			   sa->sa.nat_local && sa->sa.nat_remote ? ", " : "",
			   sa->sa.nat_remote ? "in front of the peer" : "");
}

const char *ikev1_notify_str(uint16_t type, char *buf, size_t len)
{
	const char *n = enum_name(&ikev1_notify_names, type);

	if (n)
		return n;
	snprintf(buf, len, "notify %u", type);
	return buf;
}

/* HDR*, HASH(1), rest: the HASH payload (next = first of rest) and rest. */
static int hashed_chain(const struct ikev1_ike_sa *sa, uint32_t msgid, uint8_t first,
			const uint8_t *rest, size_t rest_len, struct builder *b)
{
	uint8_t h[IKEV1_HASH_MAX];
	size_t n = sa->prf->out_len;
	int r;

	r = ikev1_qm_hash1(sa->prf, sa->keys.skeyid_a, msgid, (struct span){rest, rest_len}, h);
	if (r < 0)
		return r;
	bld_u8(b, first);
	bld_u8(b, 0);
	bld_u16(b, (uint16_t)(4 + n));
	bld_bytes(b, h, n);
	bld_bytes(b, rest, rest_len);
	return bld_err(b);
}

int ikev1_send_info(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint8_t first,
		    const uint8_t *pl, size_t pl_len)
{
	struct isakmp_hdr h;
	uint8_t iv[IKEV1_IV_MAX], *out = NULL;
	size_t out_len = 0;
	struct builder b;
	uint32_t msgid;
	int r;

	if (!sa->have_keys)
		return -ENOTCONN;
	do {
		if (rand_bytes(&msgid, sizeof(msgid)) < 0)
			return -EIO;
	} while (msgid == 0);
	r = ikev1_p2_iv(sa, msgid, iv);
	if (r < 0)
		return r;
	bld_init(&b, 65535);
	r = hashed_chain(sa, msgid, first, pl, pl_len, &b);
	if (r == 0) {
		memset(&h, 0, sizeof(h));
		memcpy(h.spi_i, sa->sa.spi_i, 8);
		memcpy(h.spi_r, sa->sa.spi_r, 8);
		h.exchange = ISAKMP_XCHG_INFO;
		h.msg_id = msgid;
		r = ikev1_seal(sa, &h, ISAKMP_NP_HASH, bld_data(&b), bld_off(&b), iv, &out,
			       &out_len);
	}
	bld_free(&b);
	if (r == 0)
		r = ikev1_send(e, sa, out, out_len);
	free(out);
	return r;
}

void ikev1_send_notify(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint16_t type)
{
	struct ikev1_enc enc;
	struct builder b;
	uint8_t spi[16];
	char nb[32];

	memcpy(spi, sa->sa.spi_i, 8);
	memcpy(spi + 8, sa->sa.spi_r, 8);
	bld_init(&b, 4096);
	ikev1_enc_begin_chain(&enc, &b);
	ikev1_put_notify(&enc, &(struct ikev1_notify){.doi = ISAKMP_DOI_IPSEC,
						      .protocol = IPSEC_PROTO_ISAKMP,
						      .type = type,
						      .spi = {spi, 16}});
	if (ikev1_enc_end(&enc) == 0 &&
	    ikev1_send_info(e, sa, enc.first, bld_data(&b), bld_off(&b)) == 0)
		log_info(SUB_IKE, "ISAKMP SA #%u: sent %s", sa->sa.serial,
			 ikev1_notify_str(type, nb, sizeof(nb)));
	bld_free(&b);
}

void ikev1_send_clear_notify(struct ikev1_engine *e, const struct ikev1_rx *rx,
			     const uint8_t cky_r[8], uint16_t type)
{
	const struct net_ops *n = e->env.net;
	struct isakmp_hdr h;
	struct ikev1_enc enc;
	struct builder b;

	memset(&h, 0, sizeof(h));
	memcpy(h.spi_i, rx->msg->hdr.spi_i, 8);
	memcpy(h.spi_r, cky_r, 8);
	h.major = 1;
	h.exchange = ISAKMP_XCHG_INFO;
	bld_init(&b, 4096);
	ikev1_enc_begin(&enc, &b, &h);
	ikev1_put_notify(&enc, &(struct ikev1_notify){.doi = ISAKMP_DOI_IPSEC,
						      .protocol = IPSEC_PROTO_ISAKMP,
						      .type = type});
	if (ikev1_enc_end(&enc) == 0 && n && n->send)
		n->send(n->ctx, &rx->local, &rx->remote, bld_data(&b), bld_off(&b));
	bld_free(&b);
}

/* --- NAT-OA (RFC 3947 5.2) --- */

bool ikev1_natoa_wanted(const struct ikev1_ike_sa *sa, enum child_mode mode)
{
	/* transport mode behind a NAT only: "For tunnel mode, both ends SHOULD
	 * NOT send original addresses" */
	return mode == CHILD_MODE_TRANSPORT && (sa->sa.nat_local || sa->sa.nat_remote);
}

static void put_one_natoa(struct ikev1_enc *enc, const struct ip_addr *a)
{
	bool v6 = a->family == AF_INET6;

	ikev1_put_natoa(
		enc, ISAKMP_NP_NATOA,
		&(struct ikev1_natoa){.id_type = v6 ? IPSEC_ID_IPV6_ADDR : IPSEC_ID_IPV4_ADDR,
				      .addr = {a->a, v6 ? 16 : 4}});
}

void ikev1_put_natoa_pair(const struct ikev1_ike_sa *sa, bool qm_initiator, struct ikev1_enc *enc)
{
	/* the Quick Mode initiator's own address first, then the responder's;
	 * each side's own is its local address, the other's as it sees it */
	const struct ip_addr *mine = &sa->sa.local.addr, *peer = &sa->sa.remote.addr;

	put_one_natoa(enc, qm_initiator ? mine : peer);
	put_one_natoa(enc, qm_initiator ? peer : mine);
}

bool ikev1_note_natoa(const struct ikev1_ike_sa *sa, const struct ikev1_msg *m, bool qm_initiator,
		      struct ip_addr *out)
{
	/* the peer's own address is NAT-OAr when we initiated the Quick Mode,
	 * NAT-OAi when it did */
	const struct ikev1_payload *p = ikev1_msg_get(m, ISAKMP_NP_NATOA, qm_initiator ? 1 : 0);
	char a[IP_ADDR_STRLEN];
	struct ip_addr oa;

	memset(out, 0, sizeof(*out));
	if (!p)
		return false;
	memset(&oa, 0, sizeof(oa));
	if (p->u.natoa.id_type == IPSEC_ID_IPV4_ADDR && p->u.natoa.addr.len == 4)
		oa.family = AF_INET;
	else if (p->u.natoa.id_type == IPSEC_ID_IPV6_ADDR && p->u.natoa.addr.len == 16)
		oa.family = AF_INET6;
	else {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: NAT-OA of ID type %u with %zu address bytes ignored "
			   "(expected IPv4 with 4 or IPv6 with 16)",
			   sa->sa.serial, p->u.natoa.id_type, p->u.natoa.addr.len);
		return false;
	}
	memcpy(oa.a, p->u.natoa.addr.p, p->u.natoa.addr.len);
	*out = oa;
	log_info(SUB_IKE, "ISAKMP SA #%u: NAT-OA: the peer's original address is %s", sa->sa.serial,
		 ip_addr_fmt(&oa, a, sizeof(a)));
	return true;
}
