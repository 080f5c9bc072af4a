/* ts.c: traffic selectors as values (see ts.h).
 *
 * A selector is (protocol, port range, address range) as in the IKEv2 TS
 * payload (RFC 7296 3.13.1). Ports of ICMP and ICMPv6 carry Type in the high
 * octet and Code in the low one (RFC 7296 3.13.1, RFC 4301 4.4.1.1). A port
 * range with lo > hi is RFC 4301's OPAQUE (lo 65535, hi 0).
 */
#include "lib/ts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>

#include "lib/util.h"

#define TS_PORT_OPAQUE_LO 0xffff
#define TS_PORT_OPAQUE_HI 0

struct ts_name {
	const char *name;
	uint16_t value;
};

/* A few protocol names, so that config does not depend on /etc/protocols. */
static const struct ts_name ts_protos[] = {
	{"icmp", 1},  {"ipencap", 4}, {"tcp", 6},	 {"udp", 17},	 {"gre", 47},
	{"esp", 50},  {"ah", 51},     {"ipv6-icmp", 58}, {"icmpv6", 58}, {"icmp6", 58},
	{"ospf", 89}, {"l2tp", 115},  {"sctp", 132},
};

/* Well-known ports by name (subset of /etc/services, no NSS lookup). */
static const struct ts_name ts_ports[] = {
	{"ftp", 21},	       {"ssh", 22},    {"telnet", 23},	 {"smtp", 25},
	{"domain", 53},	       {"dns", 53},    {"http", 80},	 {"pop3", 110},
	{"ntp", 123},	       {"imap", 143},  {"snmp", 161},	 {"bgp", 179},
	{"ldap", 389},	       {"https", 443}, {"isakmp", 500},	 {"syslog", 514},
	{"ldaps", 636},	       {"l2tp", 1701}, {"radius", 1812}, {"ms-wbt-server", 3389},
	{"ipsec-nat-t", 4500}, {"sip", 5060},
};

static bool ts_is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

static bool ts_ports_any(const struct ts *t)
{
	return t->port_lo == 0 && t->port_hi == 0xffff;
}

static bool ts_ports_opaque(const struct ts *t)
{
	return t->port_lo > t->port_hi;
}

int ts_family(const struct ts *t)
{
	return t->lo.family;
}

void ts_from_addr(struct ts *out, const struct ip_addr *a)
{
	memset(out, 0, sizeof(*out));
	out->port_hi = 0xffff;
	out->lo = *a;
	out->hi = *a;
}

void ts_any(struct ts *out, int family)
{
	memset(out, 0, sizeof(*out));
	out->port_hi = 0xffff;
	out->lo.family = (uint8_t)family;
	out->hi.family = (uint8_t)family;
	memset(out->hi.a, 0xff, ip_addr_len(&out->hi));
}

/* Apply a prefix length: lo keeps the network bits, hi sets the host bits. */
static void ts_apply_prefix(struct ts *t, unsigned plen)
{
	size_t n = ip_addr_len(&t->lo);

	for (size_t i = 0; i < n; i++) {
		unsigned bits = plen >= 8 * (i + 1) ? 8 : plen > 8 * i ? plen - 8 * (unsigned)i : 0;
		uint8_t mask = (uint8_t)(bits ? 0xff << (8 - bits) : 0);

		t->lo.a[i] &= mask;
		t->hi.a[i] = (uint8_t)(t->lo.a[i] | (uint8_t)~mask);
	}
}

static bool ts_parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *v <= max;
}

static bool ts_lookup(const struct ts_name *tab, size_t n, const char *name, uint16_t *v)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(tab[i].name, name) == 0) {
			*v = tab[i].value;
			return true;
		}
	return false;
}

/* The address part: "a", "a/len" or "a-b". */
static int ts_parse_addrs(char *s, struct ts *out, char *err, size_t errlen)
{
	char *sep = strpbrk(s, "/-");
	unsigned long plen;
	char c = sep ? *sep : 0;

	if (sep)
		*sep = '\0';
	if (ip_addr_parse(s, &out->lo) != 0)
		goto bad;
	out->hi = out->lo;
	if (c == '/') {
		if (!ts_parse_uint(sep + 1, 8 * ip_addr_len(&out->lo), &plen))
			goto bad;
		ts_apply_prefix(out, (unsigned)plen);
	} else if (c == '-') {
		if (ip_addr_parse(sep + 1, &out->hi) != 0 || out->hi.family != out->lo.family)
			goto bad;
		if (ip_addr_cmp(&out->lo, &out->hi) > 0) {
			*sep = c;
			snprintf(err, errlen, "address range '%s' ends before it starts", s);
			return -EINVAL;
		}
	}
	return 0;
bad:
	if (sep)
		*sep = c;
	snprintf(err, errlen, "expected an address, subnet or range, got '%s'", s);
	return -EINVAL;
}

/* One port, a name or an ICMP type. */
static bool ts_parse_port(const char *s, uint16_t *v)
{
	unsigned long n;

	if (ts_parse_uint(s, 0xffff, &n)) {
		*v = (uint16_t)n;
		return true;
	}
	return ts_lookup(ts_ports, ARRAY_SIZE(ts_ports), s, v);
}

/* The port part after "proto/": "443", "1024-2048", "https", "opaque"; for
 * ICMP "8" (type 8, any code) or "8/0" (type and code). */
static int ts_parse_ports(char *s, struct ts *out, char *err, size_t errlen)
{
	unsigned long type, code;
	char *dash, *slash;

	if (*s == '\0' || strcasecmp(s, "any") == 0 || strcasecmp(s, "%any") == 0)
		return 0;
	if (strcasecmp(s, "opaque") == 0) {
		out->port_lo = TS_PORT_OPAQUE_LO;
		out->port_hi = TS_PORT_OPAQUE_HI;
		return 0;
	}
	if (ts_is_icmp(out->proto)) {
		slash = strchr(s, '/');
		if (slash)
			*slash = '\0';
		if (!ts_parse_uint(s, 255, &type) ||
		    (slash && !ts_parse_uint(slash + 1, 255, &code))) {
			if (slash)
				*slash = '/';
			snprintf(err, errlen,
				 "expected an ICMP type or type/code (0-255), got '%s'", s);
			return -EINVAL;
		}
		out->port_lo = (uint16_t)(type << 8 | (slash ? code : 0));
		out->port_hi = (uint16_t)(type << 8 | (slash ? code : 0xff));
		return 0;
	}
	dash = strchr(s, '-');
	if (dash)
		*dash = '\0';
	if (!ts_parse_port(s, &out->port_lo) ||
	    !ts_parse_port(dash ? dash + 1 : s, &out->port_hi)) {
		if (dash)
			*dash = '-';
		snprintf(err, errlen, "expected a port, port range or service name, got '%s'", s);
		return -EINVAL;
	}
	if (out->port_lo > out->port_hi) {
		if (dash) /* always: one port cannot end before it starts */
			*dash = '-';
		snprintf(err, errlen, "port range '%s' ends before it starts", s);
		return -EINVAL;
	}
	return 0;
}

/* "[proto]", "[proto/ports]", "[/ports]". */
static int ts_parse_proto_port(char *s, struct ts *out, char *err, size_t errlen)
{
	char *slash = strchr(s, '/');
	unsigned long n;
	uint16_t v;

	if (slash)
		*slash = '\0';
	if (*s == '\0' || strcasecmp(s, "any") == 0 || strcasecmp(s, "%any") == 0) {
		out->proto = 0;
	} else if (ts_parse_uint(s, 255, &n)) {
		out->proto = (uint8_t)n;
	} else if (ts_lookup(ts_protos, ARRAY_SIZE(ts_protos), s, &v)) {
		out->proto = (uint8_t)v;
	} else {
		snprintf(err, errlen, "expected a protocol name or number (0-255), got '%s'", s);
		return -EINVAL;
	}
	if (!slash)
		return 0;
	return ts_parse_ports(slash + 1, out, err, errlen);
}

int ts_parse(const char *text, struct ts *out, char *err, size_t errlen)
{
	char buf[TS_STRLEN], *bracket, *close;
	size_t len = strlen(text);
	int r;

	memset(out, 0, sizeof(*out));
	out->port_hi = 0xffff;
	if (errlen)
		err[0] = '\0';
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	while (len && (*text == ' ' || *text == '\t')) {
		text++;
		len--;
	}
	if (len >= sizeof(buf)) {
		snprintf(err, errlen, "traffic selector too long (%zu characters, at most %zu)",
			 len, sizeof(buf) - 1);
		return -EINVAL;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	bracket = strchr(buf, '[');
	if (bracket) {
		close = strchr(bracket, ']');
		if (!close || close[1] != '\0') {
			snprintf(err, errlen, "expected '[proto/port]' at the end, got '%s'",
				 bracket);
			r = -EINVAL;
			goto out;
		}
		*bracket = *close = '\0';
		r = ts_parse_proto_port(bracket + 1, out, err, errlen);
		if (r)
			goto out;
	}
	r = ts_parse_addrs(buf, out, err, errlen);
out:
	if (r) {
		memset(out, 0, sizeof(*out));
		out->port_hi = 0xffff;
	}
	return r;
}

int ts_prefix_len(const struct ts *t)
{
	size_t n = ip_addr_len(&t->lo);
	int plen = 0;
	size_t i;

	if (n == 0 || t->hi.family != t->lo.family)
		return -1;
	/* count the leading bits where lo == hi, then every later bit must be
	 * 0 in lo and 1 in hi */
	for (i = 0; i < n && t->lo.a[i] == t->hi.a[i]; i++)
		plen += 8;
	if (i < n) {
		uint8_t diff = (uint8_t)(t->lo.a[i] ^ t->hi.a[i]);
		int host = 0;

		while (host < 8 && (diff & (1u << host)))
			host++;
		if (diff != (uint8_t)((1u << host) - 1) || (t->lo.a[i] & diff) ||
		    (t->hi.a[i] & diff) != diff)
			return -1;
		plen += 8 - host;
		for (i++; i < n; i++)
			if (t->lo.a[i] != 0 || t->hi.a[i] != 0xff)
				return -1;
	}
	return plen;
}

static void ts_fmt_ports(const struct ts *t, char *p, size_t len)
{
	char proto[16] = "";

	if (t->proto)
		snprintf(proto, sizeof(proto), "%u", t->proto);
	for (size_t i = 0; t->proto && i < ARRAY_SIZE(ts_protos); i++)
		if (ts_protos[i].value == t->proto) {
			snprintf(proto, sizeof(proto), "%s", ts_protos[i].name);
			break;
		}
	if (ts_ports_any(t))
		snprintf(p, len, "[%s]", proto);
	else if (ts_ports_opaque(t))
		snprintf(p, len, "[%s/opaque]", proto);
	else if (ts_is_icmp(t->proto) && (t->port_lo >> 8) == (t->port_hi >> 8) &&
		 (t->port_lo & 0xff) == 0 && (t->port_hi & 0xff) == 0xff)
		snprintf(p, len, "[%s/%u]", proto, (unsigned)(t->port_lo >> 8));
	else if (ts_is_icmp(t->proto) && t->port_lo == t->port_hi)
		snprintf(p, len, "[%s/%u/%u]", proto, (unsigned)(t->port_lo >> 8),
			 (unsigned)(t->port_lo & 0xff));
	else if (t->port_lo == t->port_hi)
		snprintf(p, len, "[%s/%u]", proto, t->port_lo);
	else
		snprintf(p, len, "[%s/%u-%u]", proto, t->port_lo, t->port_hi);
}

const char *ts_fmt(const struct ts *t, char *buf, size_t len)
{
	char lo[IP_ADDR_STRLEN], hi[IP_ADDR_STRLEN], pp[32] = "";
	int plen = ts_prefix_len(t);

	if (len == 0)
		return buf;
	if (t->proto != 0 || !ts_ports_any(t))
		ts_fmt_ports(t, pp, sizeof(pp));
	ip_addr_fmt(&t->lo, lo, sizeof(lo));
	if (plen >= 0) {
		snprintf(buf, len, "%s/%d%s", lo, plen, pp);
	} else {
		ip_addr_fmt(&t->hi, hi, sizeof(hi));
		snprintf(buf, len, "%s..%s%s", lo, hi, pp);
	}
	return buf;
}

bool ts_eq(const struct ts *a, const struct ts *b)
{
	return a->proto == b->proto && a->port_lo == b->port_lo && a->port_hi == b->port_hi &&
	       ip_addr_eq(&a->lo, &b->lo) && ip_addr_eq(&a->hi, &b->hi);
}

bool ts_is_subset(const struct ts *a, const struct ts *b)
{
	struct ts x;

	return ts_intersect(a, b, &x) && ts_eq(&x, a);
}

/* Ports: ordinary ranges intersect; OPAQUE only meets OPAQUE or any
 * (RFC 4301 4.4.1: OPAQUE matches when the port is unavailable). */
static bool ts_intersect_ports(const struct ts *a, const struct ts *b, struct ts *out)
{
	if (ts_ports_opaque(a) || ts_ports_opaque(b)) {
		if ((ts_ports_opaque(a) || ts_ports_any(a)) &&
		    (ts_ports_opaque(b) || ts_ports_any(b))) {
			out->port_lo = TS_PORT_OPAQUE_LO;
			out->port_hi = TS_PORT_OPAQUE_HI;
			return true;
		}
		return false;
	}
	out->port_lo = MAX(a->port_lo, b->port_lo);
	out->port_hi = MIN(a->port_hi, b->port_hi);
	return out->port_lo <= out->port_hi;
}

bool ts_intersect(const struct ts *a, const struct ts *b, struct ts *out)
{
	struct ts x;

	memset(&x, 0, sizeof(x));
	if (a->lo.family == 0 || a->lo.family != b->lo.family)
		return false;
	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	x.proto = a->proto ? a->proto : b->proto;
	if (!ts_intersect_ports(a, b, &x))
		return false;
	x.lo = ip_addr_cmp(&a->lo, &b->lo) >= 0 ? a->lo : b->lo;
	x.hi = ip_addr_cmp(&a->hi, &b->hi) <= 0 ? a->hi : b->hi;
	if (ip_addr_cmp(&x.lo, &x.hi) > 0)
		return false;
	*out = x;
	return true;
}
