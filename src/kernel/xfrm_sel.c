/* xfrm_sel.c: traffic selectors and addresses to and from XFRM's structs. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "kernel/xfrm_int.h"
#include "lib/log.h"

void xfrm_addr_to(xfrm_address_t *out, const struct ip_addr *a)
{
	memset(out, 0, sizeof(*out));
	memcpy(out, a->a, ip_addr_len(a));
}

void xfrm_addr_from(struct ip_addr *out, const xfrm_address_t *in, int family)
{
	memset(out, 0, sizeof(*out));
	if (family == AF_INET)
		ip_addr_from_bytes(out, AF_INET, (const uint8_t *)in, 4);
	else if (family == AF_INET6)
		ip_addr_from_bytes(out, AF_INET6, (const uint8_t *)in, 16);
}

static bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* The longest prefix holding lo..hi: the bits where they agree. */
static int covering_prefix(const struct ts *t)
{
	size_t n = ip_addr_len(&t->lo);
	int plen = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t diff = (uint8_t)(t->lo.a[i] ^ t->hi.a[i]);

		if (diff == 0) {
			plen += 8;
			continue;
		}
		while (!(diff & 0x80)) {
			diff = (uint8_t)(diff << 1);
			plen++;
		}
		break;
	}
	return plen;
}

/* One side's address: the prefix, or the covering prefix with a warning. */
static void sel_side(const struct ts *t, xfrm_address_t *addr, uint8_t *plen_out)
{
	int plen = ts_prefix_len(t);
	bool exact = plen >= 0;

	if (!exact)
		plen = covering_prefix(t);
	xfrm_addr_to(addr, &t->lo);
	/* the covering prefix starts below lo when lo has host bits set */
	for (int bit = plen; bit < (int)ip_addr_len(&t->lo) * 8; bit++)
		((uint8_t *)addr)[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	*plen_out = (uint8_t)plen;
	if (!exact) {
		char want[TS_STRLEN], net[IP_ADDR_STRLEN];
		struct ip_addr a;

		xfrm_addr_from(&a, addr, t->lo.family);
		log_warn(SUB_KERNEL,
			 "xfrm: the kernel takes only prefixes as selectors, not the range %s; "
			 "using the covering %s/%d",
			 ts_fmt(t, want, sizeof(want)), ip_addr_fmt(&a, net, sizeof(net)), plen);
	}
}

/* A 16-bit range as value/mask (the kernel matches !((port ^ value) & mask)):
 * exact for one value, any, or an aligned power-of-two block; else the
 * covering block and *exact = false. */
static void range_mask(uint16_t lo, uint16_t hi, uint16_t *value, uint16_t *mask, bool *exact)
{
	uint16_t diff = lo ^ hi, m = 0xffff;

	if (lo > hi) { /* RFC 7296 3.13.1 OPAQUE: the kernel knows no such thing */
		*value = *mask = 0;
		*exact = false;
		return;
	}
	while (diff & m)
		m = (uint16_t)(m << 1);
	*value = lo & m;
	*mask = m;
	*exact = *value == lo && (uint16_t)(*value | (uint16_t)~m) == hi;
}

static void warn_ports(const struct ts *t, uint16_t value, uint16_t mask)
{
	char want[TS_STRLEN];

	log_warn(SUB_KERNEL,
		 "xfrm: the kernel cannot express the port range of %s; using port %u mask "
		 "0x%04x",
		 ts_fmt(t, want, sizeof(want)), value, mask);
}

static void sel_ports(struct xfrm_selector *sel, const struct ts *src, const struct ts *dst)
{
	uint16_t v, m;
	bool exact;

	if (is_icmp(sel->proto)) {
		/* RFC 7296 3.13.1: type in the high byte, code in the low byte of
		 * the port; the kernel holds the type in sport and the code in
		 * dport. Whichever side is not "any" says which messages. */
		const struct ts *t = (src->port_lo == 0 && src->port_hi == 0xffff) ? dst : src;

		range_mask(t->port_lo, t->port_hi, &v, &m, &exact);
		if (!exact)
			warn_ports(t, v, m);
		sel->sport = htons(v >> 8);
		sel->sport_mask = htons(m >> 8);
		sel->dport = htons(v & 0xff);
		sel->dport_mask = htons(m & 0xff);
		return;
	}
	range_mask(src->port_lo, src->port_hi, &v, &m, &exact);
	if (!exact)
		warn_ports(src, v, m);
	sel->sport = htons(v);
	sel->sport_mask = htons(m);
	range_mask(dst->port_lo, dst->port_hi, &v, &m, &exact);
	if (!exact)
		warn_ports(dst, v, m);
	sel->dport = htons(v);
	sel->dport_mask = htons(m);
}

int xfrm_sel_from_ts(struct xfrm_selector *sel, const struct ts *src, const struct ts *dst,
		     uint32_t owner)
{
	int family = ts_family(src);

	memset(sel, 0, sizeof(*sel));
	if ((family != AF_INET && family != AF_INET6) || ts_family(dst) != family) {
		log_err(SUB_KERNEL,
			"xfrm: a selector needs two addresses of one family, got families %d and "
			"%d",
			family, ts_family(dst));
		return -EINVAL;
	}
	sel->family = (uint16_t)family;
	sel_side(src, &sel->saddr, &sel->prefixlen_s);
	sel_side(dst, &sel->daddr, &sel->prefixlen_d);
	/* one protocol for the pair: a TS with "any" takes the other's */
	sel->proto = src->proto ? src->proto : dst->proto;
	if (src->proto && dst->proto && src->proto != dst->proto)
		log_warn(SUB_KERNEL, "xfrm: selector protocols %u and %u differ; using %u",
			 src->proto, dst->proto, src->proto);
	if (sel->proto)
		sel_ports(sel, src, dst);
	sel->user = owner;
	return 0;
}

static void side_to_ts(struct ts *t, const xfrm_address_t *a, int family, int plen, uint8_t proto,
		       uint16_t port, uint16_t mask)
{
	size_t n = family == AF_INET6 ? 16 : 4;

	memset(t, 0, sizeof(*t));
	xfrm_addr_from(&t->lo, a, family);
	t->hi = t->lo;
	for (int bit = plen; bit < (int)n * 8; bit++) {
		t->lo.a[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
		t->hi.a[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	}
	t->proto = proto;
	t->port_lo = port & mask;
	t->port_hi = (uint16_t)(port | (uint16_t)~mask);
}

void xfrm_sel_to_ts(const struct xfrm_selector *sel, struct ts *src, struct ts *dst)
{
	uint16_t sp = ntohs(sel->sport), spm = ntohs(sel->sport_mask);
	uint16_t dp = ntohs(sel->dport), dpm = ntohs(sel->dport_mask);

	if (is_icmp(sel->proto)) {
		/* back into one port: type << 8 | code, on the source side */
		uint16_t v = (uint16_t)((sp & 0xff) << 8 | (dp & 0xff));
		uint16_t m = (uint16_t)((spm & 0xff) << 8 | (dpm & 0xff));

		side_to_ts(src, &sel->saddr, sel->family, sel->prefixlen_s, sel->proto, v, m);
		side_to_ts(dst, &sel->daddr, sel->family, sel->prefixlen_d, sel->proto, 0, 0);
		return;
	}
	side_to_ts(src, &sel->saddr, sel->family, sel->prefixlen_s, sel->proto, sp, spm);
	side_to_ts(dst, &sel->daddr, sel->family, sel->prefixlen_d, sel->proto, dp, dpm);
}

const char *xfrm_sel_fmt(const struct xfrm_selector *sel, char *buf, size_t len)
{
	struct ts s, d;
	char a[TS_STRLEN], b[TS_STRLEN];

	xfrm_sel_to_ts(sel, &s, &d);
	snprintf(buf, len, "%s -> %s", ts_fmt(&s, a, sizeof(a)), ts_fmt(&d, b, sizeof(b)));
	return buf;
}
