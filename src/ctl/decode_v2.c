/* decode_v2.c: print an IKEv2 message (RFC 7296 3) and decrypt its SK or
 * SKF payload (RFC 7296 3.14, RFC 5282, RFC 7383). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/encr.h"
#include "crypto/integ.h"
#include "ctl/decode_int.h"
#include "lib/util.h"
#include "wire/ikev1_names.h" /* vendor ID names: IKEv2 peers send the same MD5 strings */
#include "wire/ikev2.h"

#define NAME 64

static void v2_payloads(struct decode_ctx *c, const struct ikev2_msg *m, unsigned from, unsigned to,
			int indent);

static void v2_header(struct decode_ctx *c, const struct isakmp_hdr *h)
{
	char x[NAME], si[17], sr[17], fl[32];
	const struct span spi_i = {h->spi_i, 8}, spi_r = {h->spi_r, 8};

	dc_line(c, 1, "IKEv2 %s, %s, message ID %u, from the %s",
		dc_name(&ikev2_exchange_names, h->exchange, x, sizeof(x)),
		h->flags & IKEV2_FLAG_R ? "response" : "request", h->msg_id,
		h->flags & IKEV2_FLAG_I ? "original initiator" : "original responder");
	snprintf(fl, sizeof(fl), "%s%s%s", h->flags & IKEV2_FLAG_I ? " Initiator" : "",
		 h->flags & IKEV2_FLAG_V ? " Version" : "",
		 h->flags & IKEV2_FLAG_R ? " Response" : "");
	dc_line(c, 1, "SPIi %s, SPIr %s, version %u.%u, flags 0x%02x (%s), length %u",
		dc_hexstr(spi_i, si, sizeof(si)), dc_hexstr(spi_r, sr, sizeof(sr)), h->major,
		h->minor, h->flags, fl[0] ? fl + 1 : "none", h->length);
}

static void v2_transform(struct decode_ctx *c, const struct ikev2_transform *t, int indent)
{
	char tn[NAME], idn[NAME], extra[160] = "";
	struct ikev2_iter it;
	struct ikev2_attr a;
	size_t o = 0;

	ikev2_transform_attrs(t, &it);
	while (ikev2_attr_next(&it, &a) && o < sizeof(extra)) {
		if (a.tv && a.type == IKEV2_ATTR_KEY_LENGTH)
			o += (size_t)snprintf(extra + o, sizeof(extra) - o, ", key length %u",
					      a.value);
		else if (a.tv)
			o += (size_t)snprintf(extra + o, sizeof(extra) - o, ", attribute %u = %u",
					      a.type, a.value);
		else
			o += (size_t)snprintf(extra + o, sizeof(extra) - o,
					      ", attribute %u (%zu bytes)", a.type, a.data.len);
	}
	dc_line(c, indent, "%s %s%s", dc_name(&ikev2_transform_type_names, t->type, tn, sizeof(tn)),
		dc_name(ikev2_transform_id_names(t->type), t->id, idn, sizeof(idn)), extra);
}

static void v2_sa(struct decode_ctx *c, const struct ikev2_sa *sa, int indent)
{
	struct ikev2_iter pit, tit;
	struct ikev2_proposal p;
	struct ikev2_transform t;
	char pn[NAME], spi[2 * 32 + 1];

	ikev2_sa_proposals(sa, &pit);
	while (ikev2_proposal_next(&pit, &p)) {
		dc_line(c, indent, "proposal %u: %s, SPI %s, %u transform(s)", p.num,
			dc_name(&ikev2_protocol_names, p.protocol, pn, sizeof(pn)),
			p.spi.len ? dc_hexstr(p.spi, spi, sizeof(spi)) : "none", p.n_transforms);
		ikev2_proposal_transforms(&p, &tit);
		while (ikev2_transform_next(&tit, &t))
			v2_transform(c, &t, indent + 1);
	}
}

static void v2_id(struct decode_ctx *c, const struct ikev2_id *id, int indent)
{
	char tn[NAME], v[512];

	switch (id->type) {
	case IKEV2_ID_IPV4_ADDR:
	case IKEV2_ID_IPV6_ADDR:
		dc_addr(id->data, v, sizeof(v));
		break;
	case IKEV2_ID_FQDN:
	case IKEV2_ID_RFC822_ADDR:
		dc_text(id->data, v, sizeof(v));
		break;
	case IKEV2_ID_DER_ASN1_DN:
		dc_dn(id->data, v, sizeof(v));
		break;
	default:
		dc_hexstr(id->data, v, sizeof(v));
		break;
	}
	dc_line(c, indent, "%s %s", dc_name(&ikev2_id_type_names, id->type, tn, sizeof(tn)), v);
}

/* RFC 7427 4: Hash Algorithm Identifiers (IANA "IKEv2 Hash Algorithms") */
static const char *const sig_hash_names[] = {NULL,	 "SHA1",     "SHA2_256",
					     "SHA2_384", "SHA2_512", "IDENTITY"};

static void v2_notify_data(struct decode_ctx *c, const struct ikev2_notify *n, int indent)
{
	char name[NAME];

	if (n->type == IKEV2_N_SIGNATURE_HASH_ALGORITHMS && n->data.len % 2 == 0) {
		char list[256] = "";
		size_t o = 0;

		for (size_t i = 0; i + 1 < n->data.len && o < sizeof(list); i += 2) {
			unsigned h = (unsigned)n->data.p[i] << 8 | n->data.p[i + 1];

			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", o ? " " : "",
					      h < ARRAY_SIZE(sig_hash_names) && sig_hash_names[h]
						      ? sig_hash_names[h]
						      : "UNKNOWN");
		}
		dc_line(c, indent, "hash algorithms: %s", list);
	} else if (n->type == IKEV2_N_INVALID_KE_PAYLOAD && n->data.len == 2) {
		dc_line(c, indent, "accepted group: %s",
			dc_name(&ikev2_dh_names, (unsigned)n->data.p[0] << 8 | n->data.p[1], name,
				sizeof(name)));
	} else if (n->data.len) {
		dc_hex(c, indent, "data", n->data);
	}
}

static void v2_notify(struct decode_ctx *c, const struct ikev2_notify *n, int indent)
{
	char tn[NAME], pn[NAME], spi[2 * 32 + 1];

	if (n->spi.len || n->protocol)
		dc_line(c, indent, "%s, protocol %s, SPI %s",
			dc_name(&ikev2_notify_names, n->type, tn, sizeof(tn)),
			dc_name(&ikev2_protocol_names, n->protocol, pn, sizeof(pn)),
			n->spi.len ? dc_hexstr(n->spi, spi, sizeof(spi)) : "none");
	else
		dc_line(c, indent, "%s%s", dc_name(&ikev2_notify_names, n->type, tn, sizeof(tn)),
			n->type <= IKEV2_N_ERROR_MAX ? " (error)" : "");
	v2_notify_data(c, n, indent + 1);
}

static void v2_delete(struct decode_ctx *c, const struct ikev2_delete *d, int indent)
{
	char pn[NAME], spi[2 * 32 + 1];

	dc_line(c, indent, "protocol %s, SPI size %u, %u SPIs",
		dc_name(&ikev2_protocol_names, d->protocol, pn, sizeof(pn)), d->spi_size, d->count);
	for (unsigned i = 0; i < d->count; i++)
		dc_line(c, indent + 1, "SPI %s",
			dc_hexstr(ikev2_delete_spi(d, i), spi, sizeof(spi)));
}

static void v2_ts(struct decode_ctx *c, const struct ikev2_ts_list *l, int indent)
{
	struct ikev2_iter it;
	struct ikev2_ts ts;
	char tn[NAME], a[64], b[64];

	dc_line(c, indent, "%u traffic selector%s", l->count, l->count == 1 ? "" : "s");
	ikev2_ts_iter(l, &it);
	while (ikev2_ts_next(&it, &ts)) {
		if (ts.type == IKEV2_TS_IPV4_ADDR_RANGE || ts.type == IKEV2_TS_IPV6_ADDR_RANGE)
			dc_line(c, indent + 1, "%s: %s - %s, IP protocol %u%s, ports %u-%u",
				dc_name(&ikev2_ts_type_names, ts.type, tn, sizeof(tn)),
				dc_addr(ts.start, a, sizeof(a)), dc_addr(ts.end, b, sizeof(b)),
				ts.proto, ts.proto ? "" : " (any)", ts.start_port, ts.end_port);
		else
			dc_hex(c, indent + 1,
			       dc_name(&ikev2_ts_type_names, ts.type, tn, sizeof(tn)), ts.data);
	}
}

static void v2_cp_attr(struct decode_ctx *c, const struct ikev2_cp_attr *a, int indent)
{
	char an[NAME], v[300];
	struct span s = a->value;

	switch (a->type) {
	case IKEV2_CP_INTERNAL_IP4_ADDRESS:
	case IKEV2_CP_INTERNAL_IP4_NETMASK:
	case IKEV2_CP_INTERNAL_IP4_DNS:
	case IKEV2_CP_INTERNAL_IP4_NBNS:
	case IKEV2_CP_INTERNAL_IP4_DHCP:
	case IKEV2_CP_INTERNAL_IP6_DNS:
	case IKEV2_CP_INTERNAL_IP6_DHCP:
	case IKEV2_CP_P_CSCF_IP4_ADDRESS:
	case IKEV2_CP_P_CSCF_IP6_ADDRESS:
		if (s.len == 4 || s.len == 16) {
			dc_line(c, indent, "%s %s",
				dc_name(&ikev2_cp_attr_names, a->type, an, sizeof(an)),
				dc_addr(s, v, sizeof(v)));
			return;
		}
		break;
	case IKEV2_CP_INTERNAL_IP6_ADDRESS:
	case IKEV2_CP_INTERNAL_IP6_SUBNET:
		if (s.len == 17) { /* RFC 7296 3.15.1: address and prefix length */
			dc_line(c, indent, "%s %s/%u",
				dc_name(&ikev2_cp_attr_names, a->type, an, sizeof(an)),
				dc_addr((struct span){s.p, 16}, v, sizeof(v)), s.p[16]);
			return;
		}
		break;
	case IKEV2_CP_APPLICATION_VERSION:
	case IKEV2_CP_INTERNAL_DNS_DOMAIN:
		dc_line(c, indent, "%s %s", dc_name(&ikev2_cp_attr_names, a->type, an, sizeof(an)),
			dc_text(s, v, sizeof(v)));
		return;
	default:
		break;
	}
	if (s.len == 0)
		dc_line(c, indent, "%s (empty)",
			dc_name(&ikev2_cp_attr_names, a->type, an, sizeof(an)));
	else
		dc_hex(c, indent, dc_name(&ikev2_cp_attr_names, a->type, an, sizeof(an)), s);
}

static void v2_cp(struct decode_ctx *c, const struct ikev2_cp *cp, int indent)
{
	struct ikev2_iter it;
	struct ikev2_cp_attr a;
	char tn[NAME];

	dc_line(c, indent, "%s", dc_name(&ikev2_cfg_type_names, cp->type, tn, sizeof(tn)));
	ikev2_cp_iter(cp, &it);
	while (ikev2_cp_next(&it, &a))
		v2_cp_attr(c, &a, indent + 1);
}

/* RFC 3748 5 and the IANA "Method Types" registry (the common ones). */
static const char *eap_type_name(uint8_t t)
{
	switch (t) {
	case 1:
		return "Identity";
	case 2:
		return "Notification";
	case 3:
		return "Nak";
	case 4:
		return "MD5-Challenge";
	case 13:
		return "EAP-TLS";
	case 18:
		return "EAP-SIM";
	case 21:
		return "EAP-TTLS";
	case 23:
		return "EAP-AKA";
	case 25:
		return "PEAP";
	case 26:
		return "EAP-MSCHAPv2";
	case 50:
		return "EAP-AKA'";
	default:
		return "UNKNOWN";
	}
}

static void v2_eap(struct decode_ctx *c, const struct ikev2_eap *e, int indent)
{
	char cn[NAME];

	if (e->has_type)
		dc_line(c, indent, "%s, identifier %u, length %u, type %s (%u)",
			dc_name(&ikev2_eap_code_names, e->code, cn, sizeof(cn)), e->id, e->length,
			eap_type_name(e->type), e->type);
	else
		dc_line(c, indent, "%s, identifier %u, length %u",
			dc_name(&ikev2_eap_code_names, e->code, cn, sizeof(cn)), e->id, e->length);
	if (e->data.len)
		dc_hex(c, indent + 1, "type data", e->data);
}

static void v2_body(struct decode_ctx *c, const struct ikev2_payload *p, int indent)
{
	char n1[NAME], v[256];

	switch (p->type) {
	case IKEV2_PL_SA:
		v2_sa(c, &p->sa, indent);
		break;
	case IKEV2_PL_KE:
		dc_line(c, indent, "group %s",
			dc_name(&ikev2_dh_names, p->ke.group, n1, sizeof(n1)));
		dc_hex(c, indent, "key exchange data", p->ke.data);
		break;
	case IKEV2_PL_IDI:
	case IKEV2_PL_IDR:
		v2_id(c, &p->id, indent);
		break;
	case IKEV2_PL_CERT:
	case IKEV2_PL_CERTREQ:
		dc_line(c, indent, "encoding %s",
			dc_name(&ikev2_cert_encoding_names, p->cert.encoding, n1, sizeof(n1)));
		if (p->type == IKEV2_PL_CERT && p->cert.encoding == IKEV2_CERT_X509_SIGNATURE)
			dc_cert(c, indent, p->cert.data);
		dc_hex(c, indent, p->type == IKEV2_PL_CERT ? "certificate data" : "CA hashes",
		       p->cert.data);
		break;
	case IKEV2_PL_AUTH:
		dc_line(c, indent, "method %s",
			dc_name(&ikev2_auth_method_names, p->auth.method, n1, sizeof(n1)));
		dc_hex(c, indent, "authentication data", p->auth.data);
		break;
	case IKEV2_PL_NONCE:
		dc_hex(c, indent, "nonce", p->nonce);
		break;
	case IKEV2_PL_N:
		v2_notify(c, &p->n, indent);
		break;
	case IKEV2_PL_D:
		v2_delete(c, &p->d, indent);
		break;
	case IKEV2_PL_V: {
		const char *vn = ikev1_vid_name(p->v, v, sizeof(v));

		if (vn)
			dc_line(c, indent, "%s", vn);
		dc_hex(c, indent, "vendor ID", p->v);
		break;
	}
	case IKEV2_PL_TSI:
	case IKEV2_PL_TSR:
		v2_ts(c, &p->ts, indent);
		break;
	case IKEV2_PL_CP:
		v2_cp(c, &p->cp, indent);
		break;
	case IKEV2_PL_EAP:
		v2_eap(c, &p->eap, indent);
		break;
	default:
		dc_hex(c, indent, "body", p->body);
		break;
	}
}

static const struct v2_key *v2_find_key(struct decode_ctx *c, const struct isakmp_hdr *h)
{
	for (size_t i = 0; i < c->n_v2; i++)
		if (memcmp(c->v2[i].spi_i, h->spi_i, 8) == 0 &&
		    memcmp(c->v2[i].spi_r, h->spi_r, 8) == 0)
			return &c->v2[i];
	return NULL;
}

/* RFC 7296 3.14 (and RFC 5282 for AEAD): check the ICV and decrypt the SK or
 * SKF body of p into a fresh buffer (*plain, caller frees); *len gets the
 * length without padding and Pad Length, *iv_len the IV size. */
static int v2_decrypt(struct decode_ctx *c, const struct ikev2_msg *m,
		      const struct ikev2_payload *p, uint8_t **plain, size_t *len, size_t *iv_len,
		      int indent, char *why, size_t n)
{
	const struct v2_key *k = v2_find_key(c, &m->hdr);
	bool init = m->hdr.flags & IKEV2_FLAG_I;
	struct span body = p->sk.data, aad;
	const struct secret *ek, *ak;
	size_t icv_len, ct_len, body_off = (size_t)(body.p - m->raw.p);
	char spi[17], spir[17];
	uint8_t pad;
	int r;

	if (!k) {
		dc_why(why, n, "no key for SPI %s (SPIr %s)",
		       dc_hexstr((struct span){m->hdr.spi_i, 8}, spi, sizeof(spi)),
		       dc_hexstr((struct span){m->hdr.spi_r, 8}, spir, sizeof(spir)));
		return -1;
	}
	ek = init ? k->sk_ei : k->sk_er;
	ak = init ? k->sk_ai : k->sk_ar;
	*iv_len = k->encr->iv_len;
	icv_len = k->encr->aead ? k->encr->icv_len : k->integ->icv_len;
	if (body.len < *iv_len + icv_len + 1) {
		dc_why(why, n,
		       "offset %zu: %s body of %zu bytes is shorter than IV (%zu) + ICV (%zu)",
		       body_off, p->type == IKEV2_PL_SK ? "SK" : "SKF", body.len, *iv_len, icv_len);
		return -1;
	}
	ct_len = body.len - *iv_len - icv_len;
	if (!k->encr->aead) {
		/* RFC 7296 3.14: the ICV covers the message from the IKE header
		 * through the Pad Length */
		struct span covered = {m->raw.p, body_off + *iv_len + ct_len};

		r = integ_verify(k->integ, ak->data, ak->len, &covered, 1,
				 body.p + body.len - icv_len, icv_len);
		dc_line(c, indent, "ICV (%s, %zu bytes): %s", k->integ_name, icv_len,
			r == 0 ? "correct" : "MISMATCH");
		if (r < 0) {
			dc_why(why, n, "ICV mismatch (integrity key SK_a%c of SPI %s)",
			       init ? 'i' : 'r',
			       dc_hexstr((struct span){m->hdr.spi_i, 8}, spi, sizeof(spi)));
			return -1;
		}
	}
	*plain = malloc(ct_len);
	if (!*plain) {
		dc_why(why, n, "out of memory");
		return -1;
	}
	/* RFC 5282 5.1: AAD = the IKE header through the SK generic header */
	aad = (struct span){m->raw.p, body_off};
	r = encr_decrypt(k->encr, ek->data, ek->len, body.p, *iv_len, k->encr->aead ? &aad : NULL,
			 k->encr->aead ? 1 : 0, body.p + *iv_len, ct_len, *plain,
			 k->encr->aead ? body.p + body.len - icv_len : NULL);
	if (k->encr->aead)
		dc_line(c, indent, "ICV (%s, %zu bytes): %s", k->encr_name, icv_len,
			r == 0 ? "correct" : "MISMATCH");
	if (r < 0) {
		free(*plain);
		*plain = NULL;
		dc_why(why, n, "%s (SK_e%c of SPI %s, %s)",
		       r == -EBADMSG ? "ICV mismatch" : "decryption failed", init ? 'i' : 'r',
		       dc_hexstr((struct span){m->hdr.spi_i, 8}, spi, sizeof(spi)), k->encr_name);
		return -1;
	}
	pad = (*plain)[ct_len - 1];
	if ((size_t)pad + 1 > ct_len) {
		free(*plain);
		*plain = NULL;
		dc_why(why, n, "offset %zu: Pad Length %u exceeds the %zu decrypted bytes",
		       body_off, pad, ct_len);
		return -1;
	}
	*len = ct_len - pad - 1;
	dc_line(c, indent, "decrypted with %s (SK_e%c): %zu bytes, Pad Length %u", k->encr_name,
		init ? 'i' : 'r', *len, pad);
	return 0;
}

/* The SK/SKF payload: decrypt, decode its chain into m and print it. */
static int v2_sk(struct decode_ctx *c, struct ikev2_msg *m, const struct ikev2_payload *p,
		 uint8_t **plain, int indent, char *why, size_t n)
{
	struct wire_err err = {0};
	unsigned before = m->count;
	size_t len, iv_len;
	char pn[NAME];
	int r;

	if (p->type == IKEV2_PL_SKF)
		dc_line(c, indent, "fragment %u of %u, first inner payload %s", p->sk.frag_num,
			p->sk.frag_total,
			dc_name(&ikev2_payload_names, p->sk.inner, pn, sizeof(pn)));
	else
		dc_line(c, indent, "first inner payload %s",
			dc_name(&ikev2_payload_names, p->sk.inner, pn, sizeof(pn)));
	if (v2_decrypt(c, m, p, plain, &len, &iv_len, indent, why, n) < 0)
		return -1;
	if (p->type == IKEV2_PL_SKF && p->sk.frag_total > 1) {
		/* RFC 7383 2.6: the inner chain spans every fragment */
		dc_hex(c, indent, "decrypted fragment (not reassembled)",
		       (struct span){*plain, len});
		return 0;
	}
	r = ikev2_chain_decode(p->sk.inner, (struct span){*plain, len},
			       (size_t)(p->sk.data.p - m->raw.p) + iv_len, m, &err);
	if (r < 0) {
		dc_why(why, n, "inner payloads: offset %zu: %s", err.offset, err.reason);
		return -1;
	}
	v2_payloads(c, m, before, m->count, indent);
	return 0;
}

static void v2_payloads(struct decode_ctx *c, const struct ikev2_msg *m, unsigned from, unsigned to,
			int indent)
{
	char pn[NAME];

	for (unsigned i = from; i < to; i++) {
		const struct ikev2_payload *p = &m->pl[i];

		dc_line(c, indent, "%s, %zu bytes%s%s",
			dc_name(&ikev2_payload_names, p->type, pn, sizeof(pn)), p->body.len + 4,
			p->flags & IKEV2_CRITICAL ? ", critical" : "",
			p->known ? "" : ", not interpreted");
		if (p->type != IKEV2_PL_SK && p->type != IKEV2_PL_SKF)
			v2_body(c, p, indent + 1);
	}
}

int decode_v2_message(struct decode_ctx *c, const struct ike_datagram *d, const uint8_t *msg,
		      size_t len, char *why, size_t n)
{
	struct ikev2_msg *m = calloc(1, sizeof(*m));
	struct wire_err err = {0};
	uint8_t *plain = NULL;
	int r, ret = -1;

	(void)d;
	if (!m) {
		dc_why(why, n, "out of memory");
		return -1;
	}
	r = ikev2_msg_decode(msg, len, m, &err);
	if (r == -ENOTSUP) {
		dc_why(why, n, "unsupported critical payload type %u", m->unsupported_critical);
		goto out;
	}
	if (r < 0) {
		dc_why(why, n, "offset %zu: %s", err.offset, err.reason);
		goto out;
	}
	v2_header(c, &m->hdr);
	v2_payloads(c, m, 0, m->n_outer, 1);
	if (m->sk >= 0) {
		const struct ikev2_payload *sk = &m->pl[m->sk];

		if (v2_sk(c, m, sk, &plain, 2, why, n) < 0)
			goto out;
	}
	ret = 0;
out:
	free(plain);
	free(m);
	return ret;
}
