/* payloads.c: between wire payloads (wire/ikev2.h) and the values the
 * engine reasons with (proposals, traffic selectors, identities), plus NAT
 * detection hashes (RFC 7296 2.23). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ikev2/exchange.h"
#include "lib/log.h"

/* One proposal of an SA payload as a value; false when the protocol or the
 * SPI size is not one struct proposal holds. */
static bool proposal_from_wire(const struct ikev2_proposal *wp, struct proposal *p)
{
	struct ikev2_iter it;
	struct ikev2_transform t;

	memset(p, 0, sizeof(*p));
	if (wp->spi.len > sizeof(p->spi))
		return false;
	p->protocol = wp->protocol;
	p->num = wp->num;
	p->spi_len = (uint8_t)wp->spi.len;
	if (wp->spi.len)
		memcpy(p->spi, wp->spi.p, wp->spi.len);
	ikev2_proposal_transforms(wp, &it);
	while (ikev2_transform_next(&it, &t)) {
		int kl = ikev2_transform_key_length(&t);

		if (proposal_add(p, t.type, t.id, kl > 0 ? (uint16_t)kl : 0) < 0) {
			log_debug(SUB_IKE, "proposal %u: more than %u transforms, the rest ignored",
				  wp->num, PROPOSAL_MAX_TRANSFORMS);
			break;
		}
	}
	return true;
}

size_t ikev2_proposals_from_sa(const struct ikev2_sa *sa, struct proposal *out, size_t max)
{
	struct ikev2_iter it;
	struct ikev2_proposal wp;
	size_t n = 0;

	ikev2_sa_proposals(sa, &it);
	while (ikev2_proposal_next(&it, &wp)) {
		if (n == max) {
			log_debug(SUB_IKE, "more than %zu proposals offered, the rest ignored",
				  max);
			break;
		}
		if (proposal_from_wire(&wp, &out[n]))
			n++;
	}
	return n;
}

int ikev2_put_proposals(struct ikev2_enc *enc, const struct proposal *p, size_t n,
			const uint8_t *spi, size_t spi_len, bool keep_num, bool skip_ke)
{
	size_t i, k;

	ikev2_put_sa_begin(enc);
	for (i = 0; i < n; i++) {
		struct ikev2_proposal wp;

		memset(&wp, 0, sizeof(wp));
		wp.num = keep_num && p[i].num ? p[i].num : (uint8_t)(i + 1);
		wp.protocol = p[i].protocol;
		wp.spi.p = spi;
		wp.spi.len = spi ? spi_len : 0;
		ikev2_put_proposal(enc, &wp);
		for (k = 0; k < p[i].ntrans; k++) {
			const struct proposal_transform *t = &p[i].trans[k];

			if (skip_ke && t->type == IKEV2_TRANS_DH)
				continue;
			ikev2_put_transform_id(enc, t->type, t->id, t->key_bits);
		}
	}
	return ikev2_put_sa_end(enc);
}

void ikev2_id_for(const struct ident *cfg_id, const struct ip_addr *addr, struct ident *out)
{
	if (cfg_id && cfg_id->type != 0 && !cfg_id->wildcard) {
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

int ikev2_put_ts_list(struct ikev2_enc *enc, uint8_t pl_type, const struct ts *ts, size_t n)
{
	struct ikev2_ts w[MODEL_MAX_TS];
	size_t i, k = 0;

	for (i = 0; i < n && k < MODEL_MAX_TS; i++) {
		size_t alen = ip_addr_len(&ts[i].lo);

		if (alen != 4 && alen != 16)
			continue;
		memset(&w[k], 0, sizeof(w[k]));
		w[k].type = alen == 4 ? IKEV2_TS_IPV4_ADDR_RANGE : IKEV2_TS_IPV6_ADDR_RANGE;
		w[k].proto = ts[i].proto;
		w[k].start_port = ts[i].port_lo;
		w[k].end_port = ts[i].port_hi;
		w[k].start = (struct span){ts[i].lo.a, alen};
		w[k].end = (struct span){ts[i].hi.a, alen};
		k++;
	}
	return ikev2_put_ts(enc, pl_type, w, k);
}

size_t ikev2_ts_from_payload(const struct ikev2_ts_list *l, struct ts *out, size_t max)
{
	struct ikev2_iter it;
	struct ikev2_ts w;
	size_t n = 0;

	ikev2_ts_iter(l, &it);
	while (n < max && ikev2_ts_next(&it, &w)) {
		int fam;

		if (w.type == IKEV2_TS_IPV4_ADDR_RANGE && w.start.len == 4)
			fam = AF_INET;
		else if (w.type == IKEV2_TS_IPV6_ADDR_RANGE && w.start.len == 16)
			fam = AF_INET6;
		else
			continue; /* RFC 7296 3.13.1: other types we do not use */
		memset(&out[n], 0, sizeof(out[n]));
		out[n].proto = w.proto;
		out[n].port_lo = w.start_port;
		out[n].port_hi = w.end_port;
		if (ip_addr_from_bytes(&out[n].lo, fam, w.start.p, w.start.len) ||
		    ip_addr_from_bytes(&out[n].hi, fam, w.end.p, w.end.len))
			continue;
		n++;
	}
	return n;
}

int ikev2_put_notify_data(struct ikev2_enc *enc, uint16_t type, const void *data, size_t len)
{
	struct ikev2_notify n;

	memset(&n, 0, sizeof(n));
	n.type = type;
	n.data = (struct span){data, len};
	return ikev2_put_notify(enc, &n);
}

int ikev2_nat_hash(const uint8_t spi_i[8], const uint8_t spi_r[8], const struct ip_endpoint *ep,
		   uint8_t out[20])
{
	uint8_t port[2] = {(uint8_t)(ep->port >> 8), (uint8_t)ep->port};
	struct span parts[4] = {
		{spi_i, 8},
		{spi_r, 8},
		{ep->addr.a, ip_addr_len(&ep->addr)},
		{port, 2},
	};

	return prf_hash(&prf_hmac_sha1, parts, 4, out);
}

const struct ikev2_payload *ikev2_error_notify(const struct ikev2_msg *m)
{
	const struct ikev2_payload *p = NULL;

	while ((p = ikev2_msg_find(m, IKEV2_PL_N, p)))
		if (p->n.type <= IKEV2_N_ERROR_MAX)
			return p;
	return NULL;
}

const char *ikev2_notify_name(uint16_t type, char *buf, size_t len)
{
	return enum_name_or(&ikev2_notify_names, type, buf, len);
}
