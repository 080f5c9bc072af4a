/* decode_v1.c: print an IKEv1 / ISAKMP message (RFC 2408 3, RFC 2407 4.6,
 * RFC 3947) and decrypt its body (RFC 2409 5.3 and appendix B).
 *
 * IVs (RFC 2409 appendix B): the first phase 1 IV is hash(g^xi | g^xr)
 * truncated to the cipher block, with the hash negotiated in phase 1; each
 * following message of an exchange takes the last ciphertext block of the
 * previous one; a Quick Mode or Informational exchange starts from
 * hash(last phase 1 CBC block | M-ID). So a capture is decoded in order and
 * the context keeps, per initiator cookie, the KE data, the chosen phase 1
 * transform and the chain of every exchange (struct v1_state).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto/encr.h"
#include "crypto/prf.h"
#include "ctl/decode_int.h"
#include "lib/util.h"
#include "wire/ikev1.h"

#define NAME 96

static void v1_payloads(struct decode_ctx *c, const struct ikev1_msg *m, int indent);

void decode_v1_free(struct decode_ctx *c)
{
	for (size_t i = 0; i < c->n_st; i++) {
		struct v1_state *s = &c->st[i];

		for (size_t j = 0; j < s->nex; j++)
			free(s->ex[j].seen);
		free(s->ex);
		free(s->g_xi);
		free(s->g_xr);
	}
	free(c->st);
	c->st = NULL;
	c->n_st = 0;
}

static void v1_header(struct decode_ctx *c, const struct isakmp_hdr *h)
{
	char x[NAME], ci[17], cr[17], fl[48];

	dc_line(c, 1, "IKEv1 %s, message ID 0x%08x (%u)",
		dc_name(&ikev1_exchange_names, h->exchange, x, sizeof(x)), h->msg_id, h->msg_id);
	snprintf(fl, sizeof(fl), "%s%s%s", h->flags & ISAKMP_FLAG_E ? " Encryption" : "",
		 h->flags & ISAKMP_FLAG_C ? " Commit" : "",
		 h->flags & ISAKMP_FLAG_A ? " Authentication-only" : "");
	dc_line(c, 1, "CKY-I %s, CKY-R %s, version %u.%u, flags 0x%02x (%s), length %u",
		dc_hexstr((struct span){h->spi_i, 8}, ci, sizeof(ci)),
		dc_hexstr((struct span){h->spi_r, 8}, cr, sizeof(cr)), h->major, h->minor, h->flags,
		fl[0] ? fl + 1 : "none", h->length);
}

static void v1_attr(struct decode_ctx *c, const struct ikev1_attr *a, int phase1, int indent)
{
	const struct enum_names *vals = ikev1_attr_value_names(phase1, a->type);
	char tn[NAME], vn[NAME];
	uint64_t v;

	dc_name(phase1 ? &ikev1_attr_names : &ipsec_attr_names, a->type, tn, sizeof(tn));
	if (a->tv && vals)
		dc_line(c, indent, "%s = %s", tn, dc_name(vals, a->value, vn, sizeof(vn)));
	else if (ikev1_attr_u64(a, &v) == 0)
		dc_line(c, indent, "%s = %llu", tn, (unsigned long long)v);
	else
		dc_hex(c, indent, tn, a->data);
}

static void v1_sa(struct decode_ctx *c, const struct ikev1_sa *sa, int indent)
{
	struct ikev1_iter pit, xit, ait;
	struct ikev1_prop p;
	struct ikev1_xform t;
	struct ikev1_attr a;
	char dn[NAME], pn[NAME], tn[NAME], spi[2 * 32 + 1];

	dc_line(c, indent, "DOI %s, situation 0x%08x%s",
		dc_name(&ikev1_doi_names, sa->doi, dn, sizeof(dn)), sa->situation,
		sa->situation == IPSEC_SIT_IDENTITY_ONLY ? " (SIT_IDENTITY_ONLY)" : "");
	ikev1_props_begin(&pit, sa);
	while (ikev1_prop_next(&pit, &p) > 0) {
		dc_line(c, indent, "proposal %u: %s, SPI %s, %u transform(s)", p.number,
			dc_name(&ikev1_protocol_names, p.protocol, pn, sizeof(pn)),
			p.spi.len ? dc_hexstr(p.spi, spi, sizeof(spi)) : "none", p.ntransforms);
		ikev1_xforms_begin(&xit, &p);
		while (ikev1_xform_next(&xit, &t) > 0) {
			dc_line(c, indent + 1, "transform %u: %s", t.number,
				dc_name(ikev1_xform_names(p.protocol), t.id, tn, sizeof(tn)));
			ikev1_attrs_begin(&ait, t.attrs, t.attrs_off);
			while (ikev1_attr_next(&ait, &a) > 0)
				v1_attr(c, &a, p.protocol == IPSEC_PROTO_ISAKMP, indent + 2);
		}
	}
}

/* RFC 2407 4.6.2.1: identification data by type. */
static void v1_id(struct decode_ctx *c, const struct ikev1_id *id, int indent)
{
	char tn[NAME], v[512], w[64];
	struct span d = id->data, a = {d.p, d.len / 2}, b = {d.p + d.len / 2, d.len / 2};

	switch (id->type) {
	case IPSEC_ID_IPV4_ADDR:
	case IPSEC_ID_IPV6_ADDR:
		dc_addr(d, v, sizeof(v));
		break;
	case IPSEC_ID_IPV4_ADDR_SUBNET:
	case IPSEC_ID_IPV6_ADDR_SUBNET:
	case IPSEC_ID_IPV4_ADDR_RANGE:
	case IPSEC_ID_IPV6_ADDR_RANGE:
		snprintf(v, sizeof(v), "%s %s %s", dc_addr(a, w, sizeof(w)),
			 id->type == IPSEC_ID_IPV4_ADDR_SUBNET ||
					 id->type == IPSEC_ID_IPV6_ADDR_SUBNET
				 ? "mask"
				 : "-",
			 dc_addr(b, tn, sizeof(tn)));
		break;
	case IPSEC_ID_FQDN:
	case IPSEC_ID_USER_FQDN:
		dc_text(d, v, sizeof(v));
		break;
	case IPSEC_ID_DER_ASN1_DN:
		dc_dn(d, v, sizeof(v));
		break;
	default:
		dc_hexstr(d, v, sizeof(v));
		break;
	}
	dc_line(c, indent, "%s %s, IP protocol %u, port %u",
		dc_name(&ipsec_id_names, id->type, tn, sizeof(tn)), v, id->protocol, id->port);
}

static void v1_notify(struct decode_ctx *c, const struct ikev1_notify *nt, int indent)
{
	char tn[NAME], pn[NAME], spi[2 * 32 + 1];

	dc_line(c, indent, "%s, DOI %u, protocol %s, SPI %s",
		dc_name(&ikev1_notify_names, nt->type, tn, sizeof(tn)), nt->doi,
		dc_name(&ikev1_protocol_names, nt->protocol, pn, sizeof(pn)),
		nt->spi.len ? dc_hexstr(nt->spi, spi, sizeof(spi)) : "none");
	if (nt->data.len)
		dc_hex(c, indent + 1, "data", nt->data);
}

static void v1_delete(struct decode_ctx *c, const struct ikev1_delete *d, int indent)
{
	char pn[NAME], spi[2 * 32 + 1];

	dc_line(c, indent, "DOI %u, protocol %s, SPI size %u, %u SPIs", d->doi,
		dc_name(&ikev1_protocol_names, d->protocol, pn, sizeof(pn)), d->spi_size, d->count);
	for (size_t i = 0; d->spi_size && i < d->count && (i + 1) * d->spi_size <= d->spis.len; i++)
		dc_line(c, indent + 1, "SPI %s",
			dc_hexstr((struct span){d->spis.p + i * d->spi_size, d->spi_size}, spi,
				  sizeof(spi)));
}

static void v1_cfg(struct decode_ctx *c, const struct ikev1_cfg *cfg, int indent)
{
	static const char *const types[] = {NULL, "ISAKMP_CFG_REQUEST", "ISAKMP_CFG_REPLY",
					    "ISAKMP_CFG_SET", "ISAKMP_CFG_ACK"};
	struct ikev1_iter it;
	struct ikev1_attr a;
	char tn[NAME];

	dc_line(c, indent, "%s (%u), identifier %u",
		cfg->cfg_type < ARRAY_SIZE(types) && types[cfg->cfg_type] ? types[cfg->cfg_type]
									  : "UNKNOWN",
		cfg->cfg_type, cfg->identifier);
	ikev1_attrs_begin(&it, cfg->attrs, cfg->attrs_off);
	while (ikev1_attr_next(&it, &a) > 0) {
		snprintf(tn, sizeof(tn), "attribute %u", a.type);
		if (a.tv)
			dc_line(c, indent + 1, "%s = %u", tn, a.value);
		else
			dc_hex(c, indent + 1, tn, a.data);
	}
}

static void v1_body(struct decode_ctx *c, const struct ikev1_payload *p, int indent)
{
	char n1[NAME], v[256];

	switch (p->kind) {
	case ISAKMP_NP_SA:
		v1_sa(c, &p->u.sa, indent);
		break;
	case ISAKMP_NP_ID:
		v1_id(c, &p->u.id, indent);
		break;
	case ISAKMP_NP_CERT:
	case ISAKMP_NP_CR:
		dc_line(c, indent, "encoding %s",
			dc_name(&ikev1_cert_names, p->u.cert.encoding, n1, sizeof(n1)));
		if (p->kind == ISAKMP_NP_CERT && p->u.cert.encoding == ISAKMP_CERT_X509_SIG)
			dc_cert(c, indent, p->u.cert.data);
		else if (p->kind == ISAKMP_NP_CR && p->u.cert.data.len)
			dc_line(c, indent, "CA: %s", dc_dn(p->u.cert.data, v, sizeof(v)));
		dc_hex(c, indent,
		       p->kind == ISAKMP_NP_CERT ? "certificate data" : "certificate authority",
		       p->u.cert.data);
		break;
	case ISAKMP_NP_N:
		v1_notify(c, &p->u.n, indent);
		break;
	case ISAKMP_NP_D:
		v1_delete(c, &p->u.d, indent);
		break;
	case ISAKMP_NP_VID: {
		const char *vn = ikev1_vid_name(p->u.data, v, sizeof(v));

		dc_line(c, indent, "%s", vn ? vn : "unknown vendor ID");
		dc_hex(c, indent, "vendor ID", p->u.data);
		break;
	}
	case ISAKMP_NP_NATOA:
		dc_line(c, indent, "%s %s",
			dc_name(&ipsec_id_names, p->u.natoa.id_type, n1, sizeof(n1)),
			dc_addr(p->u.natoa.addr, v, sizeof(v)));
		break;
	case ISAKMP_NP_FRAG:
		dc_line(c, indent, "fragment ID %u, number %u%s", p->u.frag.id, p->u.frag.number,
			p->u.frag.flags & IKEV1_FRAG_LAST ? ", last" : "");
		dc_hex(c, indent, "fragment data", p->u.frag.data);
		break;
	case ISAKMP_NP_ATTR:
		v1_cfg(c, &p->u.cfg, indent);
		break;
	case ISAKMP_NP_KE:
		dc_hex(c, indent, "key exchange data", p->u.data);
		break;
	case ISAKMP_NP_HASH:
		dc_hex(c, indent, "hash", p->u.data);
		break;
	case ISAKMP_NP_SIG:
		dc_hex(c, indent, "signature", p->u.data);
		break;
	case ISAKMP_NP_NONCE:
		dc_hex(c, indent, "nonce", p->u.data);
		break;
	case ISAKMP_NP_NATD:
		dc_hex(c, indent, "hash of address and port", p->u.data);
		break;
	default:
		dc_hex(c, indent, "body", p->body);
		break;
	}
}

static void v1_payloads(struct decode_ctx *c, const struct ikev1_msg *m, int indent)
{
	char pn[NAME];

	for (unsigned i = 0; i < m->npl; i++) {
		const struct ikev1_payload *p = &m->pl[i];

		dc_line(c, indent, "%s, %u bytes",
			dc_name(&ikev1_payload_names, p->type, pn, sizeof(pn)), p->length);
		v1_body(c, p, indent + 1);
	}
}

/* --- state across messages --- */

static struct v1_state *v1_state(struct decode_ctx *c, const uint8_t cky_i[8], bool create)
{
	struct v1_state *s;

	for (size_t i = 0; i < c->n_st; i++)
		if (memcmp(c->st[i].cky_i, cky_i, 8) == 0)
			return &c->st[i];
	if (!create)
		return NULL;
	s = realloc(c->st, (c->n_st + 1) * sizeof(*s));
	if (!s)
		return NULL;
	c->st = s;
	s = &c->st[c->n_st++];
	memset(s, 0, sizeof(*s));
	memcpy(s->cky_i, cky_i, 8);
	return s;
}

static bool from_initiator(const struct v1_state *s, const struct ike_datagram *d)
{
	size_t alen = d->family == AF_INET6 ? 16 : 4;

	return s->have_init && d->family == s->init_family && d->sport == s->init_port &&
	       memcmp(d->src, s->init_addr, alen) == 0;
}

static int keep(uint8_t **dst, size_t *dlen, struct span v)
{
	uint8_t *p = malloc(v.len ? v.len : 1);

	if (!p)
		return -ENOMEM;
	memcpy(p, v.p, v.len);
	free(*dst);
	*dst = p;
	*dlen = v.len;
	return 0;
}

/* Learn from a phase 1 message in the clear: who initiates, the chosen
 * transform (the responder's SA, RFC 2409 5: exactly one), g^xi and g^xr. */
static void v1_learn(struct decode_ctx *c, const struct ike_datagram *d, const struct ikev1_msg *m)
{
	static const uint8_t zero[8];
	bool resp_known = memcmp(m->hdr.spi_r, zero, 8) != 0;
	struct v1_state *s = v1_state(c, m->hdr.spi_i, true);
	const struct ikev1_payload *sa = ikev1_msg_get(m, ISAKMP_NP_SA, 0);
	const struct ikev1_payload *ke = ikev1_msg_get(m, ISAKMP_NP_KE, 0);
	struct ikev1_iter it;
	struct ikev1_prop p;
	struct ikev1_xform t;
	struct ikev1_attr a;

	if (!s || m->hdr.msg_id != 0)
		return;
	if (!resp_known && !s->have_init && d->family) {
		s->have_init = true;
		s->init_family = d->family;
		memcpy(s->init_addr, d->src, sizeof(s->init_addr));
		s->init_port = d->sport;
	}
	if (sa && resp_known) {
		ikev1_props_begin(&it, &sa->u.sa);
		if (ikev1_prop_next(&it, &p) > 0) {
			ikev1_xforms_begin(&it, &p);
			if (ikev1_xform_next(&it, &t) > 0) {
				s->have_sa = true;
				s->encr = ikev1_xform_attr(&t, IKEV1_ATTR_ENCRYPTION, &a) > 0
						  ? a.value
						  : 0;
				s->hash =
					ikev1_xform_attr(&t, IKEV1_ATTR_HASH, &a) > 0 ? a.value : 0;
				s->key_bits = ikev1_xform_attr(&t, IKEV1_ATTR_KEY_LENGTH, &a) > 0
						      ? a.value
						      : 0;
			}
		}
	}
	if (!ke)
		return;
	/* without addresses, the first KE is the initiator's (RFC 2409 5) */
	if (s->have_init ? from_initiator(s, d) : !s->g_xi)
		keep(&s->g_xi, &s->g_xi_len, ke->u.data);
	else
		keep(&s->g_xr, &s->g_xr_len, ke->u.data);
}

static const struct encr_alg *v1_encr(const struct v1_state *s, size_t key_len, char *why, size_t n)
{
	const struct encr_alg *alg = NULL;
	size_t want = 0;

	switch (s->encr) {
	case IKEV1_ENCR_AES_CBC:
		alg = &encr_aes_cbc;
		want = s->key_bits / 8;
		break;
	case IKEV1_ENCR_3DES_CBC:
		alg = &encr_3des;
		want = 24;
		break;
	case IKEV1_ENCR_DES_CBC:
		alg = &encr_des;
		want = 8;
		break;
	default:
		dc_why(why, n, "phase 1 encryption algorithm %u is not supported", s->encr);
		return NULL;
	}
	if (key_len != want) {
		dc_why(why, n,
		       "the key row's enc_key has %zu bytes, the phase 1 transform needs %zu",
		       key_len, want);
		return NULL;
	}
	return alg;
}

static struct v1_exch *v1_exch(struct v1_state *s, uint32_t mid)
{
	struct v1_exch *e;

	for (size_t i = 0; i < s->nex; i++)
		if (s->ex[i].mid == mid)
			return &s->ex[i];
	e = realloc(s->ex, (s->nex + 1) * sizeof(*e));
	if (!e)
		return NULL;
	s->ex = e;
	e = &s->ex[s->nex++];
	memset(e, 0, sizeof(*e));
	e->mid = mid;
	return e;
}

/* The first IV of an exchange (RFC 2409 appendix B). */
static int v1_first_iv(struct v1_state *s, struct v1_exch *e, size_t block, char *why, size_t n)
{
	const struct prf_alg *prf = prf_by_ikev1_hash(s->hash);
	uint8_t out[64], mid[4];
	struct span parts[2];

	if (!prf) {
		dc_why(why, n, "phase 1 hash algorithm %u is not supported", s->hash);
		return -1;
	}
	if (e->mid == 0) {
		if (!s->g_xi || !s->g_xr) {
			dc_why(why, n,
			       "no phase 1 IV: the input lacks the KE payloads of both peers "
			       "(decode the whole exchange from its first message)");
			return -1;
		}
		parts[0] = (struct span){s->g_xi, s->g_xi_len};
		parts[1] = (struct span){s->g_xr, s->g_xr_len};
	} else {
		if (!s->have_p1_last) {
			dc_why(why, n, "no IV for message ID 0x%08x: phase 1 was not decrypted",
			       e->mid);
			return -1;
		}
		mid[0] = (uint8_t)(e->mid >> 24);
		mid[1] = (uint8_t)(e->mid >> 16);
		mid[2] = (uint8_t)(e->mid >> 8);
		mid[3] = (uint8_t)e->mid;
		parts[0] = (struct span){s->p1_last, block};
		parts[1] = (struct span){mid, 4};
	}
	if (prf_hash(prf, parts, 2, out) < 0 || prf->out_len < block) {
		dc_why(why, n, "IV hash failed");
		return -1;
	}
	memcpy(e->iv, out, block);
	e->have_iv = true;
	return 0;
}

/* The IV for ciphertext ct of exchange e: a retransmission takes the IV its
 * first copy took; a new message the chain's. Records the message. */
static int v1_iv(struct v1_state *s, struct v1_exch *e, struct span ct, size_t block, uint8_t *iv,
		 bool *retrans, char *why, size_t n)
{
	const uint8_t *last = ct.p + ct.len - block;
	struct v1_seen *seen;

	*retrans = false;
	for (size_t i = 0; i < e->nseen; i++)
		if (memcmp(e->seen[i].last, last, block) == 0) {
			memcpy(iv, e->seen[i].iv, block);
			*retrans = true;
			return 0;
		}
	if (!e->have_iv && v1_first_iv(s, e, block, why, n) < 0)
		return -1;
	memcpy(iv, e->iv, block);
	seen = realloc(e->seen, (e->nseen + 1) * sizeof(*seen));
	if (!seen)
		return -1;
	e->seen = seen;
	memcpy(seen[e->nseen].last, last, block);
	memcpy(seen[e->nseen].iv, iv, block);
	e->nseen++;
	memcpy(e->iv, last, block);
	if (e->mid == 0) {
		memcpy(s->p1_last, last, block);
		s->have_p1_last = true;
	}
	return 0;
}

static const struct v1_key *v1_find_key(struct decode_ctx *c, const uint8_t cky_i[8])
{
	for (size_t i = 0; i < c->n_v1; i++)
		if (memcmp(c->v1[i].cky_i, cky_i, 8) == 0)
			return &c->v1[i];
	return NULL;
}

static int v1_decrypt(struct decode_ctx *c, struct ikev1_msg *m, uint8_t **plain, char *why,
		      size_t n)
{
	const struct v1_key *k = v1_find_key(c, m->hdr.spi_i);
	struct v1_state *s = v1_state(c, m->hdr.spi_i, false);
	const struct encr_alg *alg;
	struct span ct = m->encrypted;
	struct wire_err err = {0};
	uint8_t iv[DECODE_MAX_BLOCK];
	char ck[17], ivh[2 * DECODE_MAX_BLOCK + 1];
	struct v1_exch *e;
	bool retrans;
	size_t block;

	if (!k) {
		dc_why(why, n, "no key for CKY-I %s",
		       dc_hexstr((struct span){m->hdr.spi_i, 8}, ck, sizeof(ck)));
		return -1;
	}
	if (!s || !s->have_sa) {
		dc_why(why, n,
		       "no phase 1 SA seen for CKY-I %s: the cipher and hash are unknown "
		       "(decode the whole exchange from its first message)",
		       dc_hexstr((struct span){m->hdr.spi_i, 8}, ck, sizeof(ck)));
		return -1;
	}
	if (!(alg = v1_encr(s, k->enc_key->len, why, n)))
		return -1;
	block = alg->block_size;
	if (ct.len == 0 || ct.len % block) {
		dc_why(why, n,
		       "offset 28: encrypted body of %zu bytes is not a multiple of the %zu-byte "
		       "block",
		       ct.len, block);
		return -1;
	}
	if (!(e = v1_exch(s, m->hdr.msg_id)) || v1_iv(s, e, ct, block, iv, &retrans, why, n) < 0)
		return -1;
	*plain = malloc(ct.len);
	if (!*plain || encr_decrypt(alg, k->enc_key->data, k->enc_key->len, iv, block, NULL, 0,
				    ct.p, ct.len, *plain, NULL) < 0) {
		dc_why(why, n, "decryption failed");
		return -1;
	}
	dc_line(c, 1, "encrypted body: %zu bytes, IV %s%s", ct.len,
		dc_hexstr((struct span){iv, block}, ivh, sizeof(ivh)),
		retrans ? " (a retransmission: the IV its first copy took)" : "");
	if (ikev1_chain_decode(m->hdr.next_payload, (struct span){*plain, ct.len}, m, &err) < 0) {
		dc_why(why, n, "decrypted payloads: offset %zu: %s (wrong key or IV?)", err.offset,
		       err.reason);
		return -1;
	}
	dc_line(c, 1, "decrypted: %zu bytes of payloads, %zu bytes of padding",
		ct.len - m->padding.len, m->padding.len);
	return 0;
}

int decode_v1_message(struct decode_ctx *c, const struct ike_datagram *d, const uint8_t *msg,
		      size_t len, char *why, size_t n)
{
	struct ikev1_msg *m = calloc(1, sizeof(*m));
	struct wire_err err = {0};
	uint8_t *plain = NULL;
	int r, ret = -1;

	if (!m) {
		dc_why(why, n, "out of memory");
		return -1;
	}
	r = ikev1_msg_decode(msg, len, m, &err);
	if (r < 0) {
		dc_why(why, n, "offset %zu: %s", err.offset, err.reason);
		goto out;
	}
	v1_header(c, &m->hdr);
	if (m->hdr.flags & ISAKMP_FLAG_E) {
		if (v1_decrypt(c, m, &plain, why, n) < 0)
			goto out;
		v1_payloads(c, m, 2);
	} else {
		v1_payloads(c, m, 1);
		v1_learn(c, d, m);
	}
	ret = 0;
out:
	free(plain);
	free(m);
	return ret;
}
