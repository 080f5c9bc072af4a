/* pcap.c: IKE datagrams out of pcap/pcapng captures; pcap files for tshark.
 *
 * File formats: classic pcap as libpcap's pcap-savefile(5) describes it, and
 * pcapng per draft-ietf-opsawg-pcapng (blocks 0x0A0D0D0A, 1, 3, 6). Link
 * types per the tcpdump.org LINKTYPE_ list.
 */
#include "ctl/pcap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/util.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAPNG_SHB    0x0a0d0d0au
#define PCAPNG_IDB    1u
#define PCAPNG_SPB    3u
#define PCAPNG_EPB    6u
#define PCAPNG_BOM    0x1a2b3c4du

#define LINKTYPE_NULL	    0
#define LINKTYPE_ETHERNET   1
#define LINKTYPE_RAW	    101
#define LINKTYPE_LINUX_SLL  113
#define LINKTYPE_IPV4	    228
#define LINKTYPE_IPV6	    229
#define LINKTYPE_LINUX_SLL2 276

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8

#define IPPROTO_UDP_ 17
#define MAX_IFACES   64

static void why_set(char *why, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void why_set(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (!why || n == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p, bool swap)
{
	if (swap)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint16_t rd16(const uint8_t *p, bool swap)
{
	return swap ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

int ike_datagrams_add(struct ike_datagrams *l, const struct ike_datagram *d)
{
	struct ike_datagram *v;
	uint8_t *data;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;

		v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	data = malloc(d->len ? d->len : 1);
	if (!data)
		return -ENOMEM;
	if (d->len)
		memcpy(data, d->data, d->len);
	l->v[l->n] = *d;
	l->v[l->n].data = data;
	l->n++;
	return 0;
}

void ike_datagrams_free(struct ike_datagrams *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].data);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

bool pcap_is_non_esp(const uint8_t *data, size_t len)
{
	/* RFC 3948 2.2: four zero octets where ESP has its (never zero) SPI */
	return len >= 4 && data[0] == 0 && data[1] == 0 && data[2] == 0 && data[3] == 0;
}

static bool is_ike_port(uint16_t port)
{
	return port == IKE_PORT || port == IKE_NATT_PORT;
}

/* The UDP datagram p[0..len) (header included) between the addresses in d. */
static int take_udp(struct ike_datagrams *l, struct ike_datagram *d, const uint8_t *p, size_t len)
{
	size_t ulen;

	if (len < 8)
		goto other;
	d->sport = be16(p);
	d->dport = be16(p + 2);
	ulen = be16(p + 4);
	if (ulen < 8 || ulen > len)
		goto other;
	if (!is_ike_port(d->sport) && !is_ike_port(d->dport))
		return 0;
	d->data = (uint8_t *)(p + 8);
	d->len = ulen - 8;
	if (d->sport == IKE_NATT_PORT || d->dport == IKE_NATT_PORT) {
		if (d->len == 1 && d->data[0] == 0xff) {
			l->skipped_keepalive++;
			return 0;
		}
		if (!pcap_is_non_esp(d->data, d->len)) {
			l->skipped_esp++;
			return 0;
		}
	}
	return ike_datagrams_add(l, d);
other:
	l->skipped_other++;
	return 0;
}

static int take_ipv4(struct ike_datagrams *l, struct ike_datagram *d, const uint8_t *p, size_t len)
{
	size_t ihl, total;

	if (len < 20 || p[0] >> 4 != 4)
		goto other;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	total = be16(p + 2);
	if (ihl < 20 || total < ihl || total > len)
		goto other;
	if (p[9] != IPPROTO_UDP_)
		return 0;
	/* fragments: the UDP header is only in the first one, and the
	 * datagram is incomplete anyway (no reassembly here) */
	if ((be16(p + 6) & 0x3fff) != 0)
		goto other;
	d->family = AF_INET;
	memcpy(d->src, p + 12, 4);
	memcpy(d->dst, p + 16, 4);
	return take_udp(l, d, p + ihl, total - ihl);
other:
	l->skipped_other++;
	return 0;
}

static int take_ipv6(struct ike_datagrams *l, struct ike_datagram *d, const uint8_t *p, size_t len)
{
	size_t off = 40, plen;
	uint8_t nh;

	if (len < 40 || p[0] >> 4 != 6)
		goto other;
	plen = be16(p + 4);
	if (40 + plen > len)
		goto other;
	len = 40 + plen;
	nh = p[6];
	/* RFC 8200 4: hop-by-hop (0), routing (43) and destination options
	 * (60) headers are skipped; a fragment header (44) means no UDP here */
	while (nh == 0 || nh == 43 || nh == 60) {
		if (off + 8 > len)
			goto other;
		nh = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
	}
	if (nh != IPPROTO_UDP_)
		return nh == 44 ? (l->skipped_other++, 0) : 0;
	if (off > len)
		goto other;
	d->family = AF_INET6;
	memcpy(d->src, p + 8, 16);
	memcpy(d->dst, p + 24, 16);
	return take_udp(l, d, p + off, len - off);
other:
	l->skipped_other++;
	return 0;
}

static int take_ethertype(struct ike_datagrams *l, struct ike_datagram *d, uint16_t type,
			  const uint8_t *p, size_t len)
{
	if (type == ETHERTYPE_IPV4)
		return take_ipv4(l, d, p, len);
	if (type == ETHERTYPE_IPV6)
		return take_ipv6(l, d, p, len);
	return 0;
}

/* One captured frame of link type `linktype`. */
static int take_frame(struct ike_datagrams *l, unsigned frame, uint32_t linktype, const uint8_t *p,
		      size_t len)
{
	struct ike_datagram d = {.frame = frame};
	uint16_t type;
	size_t off;

	switch (linktype) {
	case LINKTYPE_ETHERNET:
		if (len < 14)
			break;
		off = 12;
		type = be16(p + off);
		while ((type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) && off + 6 <= len) {
			off += 4;
			type = be16(p + off);
		}
		return take_ethertype(l, &d, type, p + off + 2, len - off - 2);
	case LINKTYPE_LINUX_SLL:
		if (len < 16)
			break;
		return take_ethertype(l, &d, be16(p + 14), p + 16, len - 16);
	case LINKTYPE_LINUX_SLL2:
		if (len < 20)
			break;
		return take_ethertype(l, &d, be16(p), p + 20, len - 20);
	case LINKTYPE_NULL:
		/* the AF_ value in host order of the capturing machine: look at
		 * the IP version nibble instead */
		if (len < 5)
			break;
		p += 4;
		len -= 4;
		/* fall through */
	case LINKTYPE_RAW:
	case LINKTYPE_IPV4:
	case LINKTYPE_IPV6:
		if (len < 1)
			break;
		return p[0] >> 4 == 6 ? take_ipv6(l, &d, p, len) : take_ipv4(l, &d, p, len);
	default:
		break;
	}
	l->skipped_other++;
	return 0;
}

static int parse_classic(const uint8_t *buf, size_t len, struct ike_datagrams *l, char *why,
			 size_t n)
{
	uint32_t magic = rd32(buf, false), linktype;
	bool swap = magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS;
	size_t off = 24;
	unsigned frame = 0;
	int r;

	if (len < 24) {
		why_set(why, n, "pcap: file header needs 24 bytes, the file has %zu", len);
		return -EINVAL;
	}
	linktype = rd32(buf + 20, swap) & 0x0fffffff;
	while (off < len) {
		uint32_t incl;

		if (len - off < 16) {
			why_set(why, n, "pcap: packet %u: record header truncated at byte %zu",
				frame + 1, off);
			return -EINVAL;
		}
		incl = rd32(buf + off + 8, swap);
		off += 16;
		if (incl > len - off) {
			why_set(why, n,
				"pcap: packet %u: %u bytes captured, only %zu left in the file",
				frame + 1, incl, len - off);
			return -EINVAL;
		}
		r = take_frame(l, ++frame, linktype, buf + off, incl);
		if (r < 0)
			return r;
		off += incl;
	}
	return 0;
}

static int parse_pcapng(const uint8_t *buf, size_t len, struct ike_datagrams *l, char *why,
			size_t n)
{
	uint32_t linktypes[MAX_IFACES];
	unsigned nif = 0, frame = 0;
	size_t off = 0;
	bool swap = false;
	int r;

	while (off < len) {
		uint32_t type, blen;
		const uint8_t *b = buf + off;

		if (len - off < 12)
			goto truncated;
		type = rd32(b, swap);
		if (type == PCAPNG_SHB) {
			uint32_t bom = rd32(b + 8, false);

			if (bom != PCAPNG_BOM && rd32(b + 8, true) != PCAPNG_BOM) {
				why_set(why, n, "pcapng: bad byte-order magic at byte %zu", off);
				return -EINVAL;
			}
			swap = bom != PCAPNG_BOM;
			nif = 0; /* interfaces are numbered per section */
		}
		blen = rd32(b + 4, swap);
		if (blen < 12 || blen % 4 || blen > len - off)
			goto truncated;
		if (type == PCAPNG_IDB && blen >= 20) {
			if (nif < MAX_IFACES)
				linktypes[nif++] = rd16(b + 8, swap);
		} else if (type == PCAPNG_EPB && blen >= 32) {
			uint32_t ifc = rd32(b + 8, swap), cap = rd32(b + 20, swap);

			if (ifc >= nif || cap > blen - 32)
				goto truncated;
			r = take_frame(l, ++frame, linktypes[ifc], b + 28, cap);
			if (r < 0)
				return r;
		} else if (type == PCAPNG_SPB && blen >= 16 && nif > 0) {
			uint32_t orig = rd32(b + 8, swap);

			r = take_frame(l, ++frame, linktypes[0], b + 12, MIN(orig, blen - 16));
			if (r < 0)
				return r;
		}
		off += blen;
	}
	return 0;
truncated:
	why_set(why, n, "pcapng: block at byte %zu is truncated or has a bad length", off);
	return -EINVAL;
}

int pcap_parse_ike(const uint8_t *buf, size_t len, struct ike_datagrams *l, char *why, size_t n)
{
	uint32_t magic;

	if (len < 4) {
		why_set(why, n, "not a capture file: %zu bytes", len);
		return -EINVAL;
	}
	magic = rd32(buf, false);
	if (magic == PCAPNG_SHB)
		return parse_pcapng(buf, len, l, why, n);
	if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS || rd32(buf, true) == PCAP_MAGIC_US ||
	    rd32(buf, true) == PCAP_MAGIC_NS)
		return parse_classic(buf, len, l, why, n);
	why_set(why, n, "not a pcap or pcapng file (magic %02x%02x%02x%02x)", buf[0], buf[1],
		buf[2], buf[3]);
	return -EINVAL;
}

int pcap_read_ike(const char *path, struct ike_datagrams *l, char *why, size_t n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	int r;

	if (!f) {
		r = -errno;
		why_set(why, n, "%s: %s", path, strerror(errno));
		return r;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *nb;

			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				r = -ENOMEM;
				why_set(why, n, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
		}
		size_t got = fread(buf + len, 1, cap - len, f);

		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		r = -EIO;
		why_set(why, n, "%s: read error", path);
		goto out;
	}
	r = pcap_parse_ike(buf, len, l, why, n);
	if (r < 0 && why && n) {
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%s", why);
		why_set(why, n, "%s: %s", path, tmp);
	}
out:
	free(buf);
	fclose(f);
	return r;
}

char *ike_datagram_endpoint(const struct ike_datagram *d, bool source, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];
	const uint8_t *addr = source ? d->src : d->dst;
	uint16_t port = source ? d->sport : d->dport;

	if (d->family != AF_INET && d->family != AF_INET6) {
		snprintf(buf, n, "?");
		return buf;
	}
	inet_ntop(d->family, addr, a, sizeof(a));
	snprintf(buf, n, d->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
	return buf;
}

/* --- writing --- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* RFC 1071 one's-complement sum, continued from `sum`. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += be16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int pcap_writer_open(struct pcap_writer *w, const char *path)
{
	uint8_t h[24] = {0};

	w->count = 0;
	w->f = fopen(path, "wb");
	if (!w->f)
		return -errno;
	put32le(h, PCAP_MAGIC_US);
	h[4] = 2; /* version 2.4 */
	h[6] = 4;
	put32le(h + 16, 65535); /* snaplen */
	put32le(h + 20, LINKTYPE_ETHERNET);
	if (fwrite(h, sizeof(h), 1, w->f) != 1)
		return -EIO;
	return 0;
}

/* Ethernet and IP headers into h; returns their length. */
static size_t build_ip(const struct ike_datagram *d, size_t udp_len, uint16_t ident, uint8_t *h)
{
	static const uint8_t mac_dst[6] = {0x02, 0, 0, 0, 0, 0x02};
	static const uint8_t mac_src[6] = {0x02, 0, 0, 0, 0, 0x01};

	memcpy(h, mac_dst, 6);
	memcpy(h + 6, mac_src, 6);
	if (d->family == AF_INET) {
		uint8_t *ip = h + 14;

		put16(h + 12, ETHERTYPE_IPV4);
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + udp_len));
		put16(ip + 4, ident);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = IPPROTO_UDP_;
		memcpy(ip + 12, d->src, 4);
		memcpy(ip + 16, d->dst, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
		return 34;
	}
	uint8_t *ip6 = h + 14;

	put16(h + 12, ETHERTYPE_IPV6);
	memset(ip6, 0, 40);
	ip6[0] = 0x60;
	put16(ip6 + 4, (uint16_t)udp_len);
	ip6[6] = IPPROTO_UDP_;
	ip6[7] = 64;
	memcpy(ip6 + 8, d->src, 16);
	memcpy(ip6 + 24, d->dst, 16);
	return 54;
}

/* The UDP header for d with its checksum over the pseudo-header (RFC 768,
 * RFC 8200 8.1). */
static void build_udp(const struct ike_datagram *d, uint8_t *u)
{
	size_t alen = d->family == AF_INET ? 4 : 16;
	uint16_t ulen = (uint16_t)(8 + d->len);
	uint32_t sum = 0;
	uint16_t c;

	put16(u, d->sport);
	put16(u + 2, d->dport);
	put16(u + 4, ulen);
	put16(u + 6, 0);
	sum = csum_add(sum, d->src, alen);
	sum = csum_add(sum, d->dst, alen);
	sum += IPPROTO_UDP_ + ulen;
	sum = csum_add(sum, u, 8);
	sum = csum_add(sum, d->data, d->len);
	c = csum_fold(sum);
	put16(u + 6, c ? c : 0xffff);
}

int pcap_write_udp(struct pcap_writer *w, const struct ike_datagram *d)
{
	uint8_t rec[16], hdr[14 + 40 + 8];
	size_t hlen;

	if ((d->family != AF_INET && d->family != AF_INET6) || d->len > 65507 || !w->f)
		return -EINVAL;
	hlen = build_ip(d, 8 + d->len, (uint16_t)(w->count + 1), hdr);
	build_udp(d, hdr + hlen);
	hlen += 8;
	w->count++;
	put32le(rec, w->count); /* seconds */
	put32le(rec + 4, 0);
	put32le(rec + 8, (uint32_t)(hlen + d->len));
	put32le(rec + 12, (uint32_t)(hlen + d->len));
	if (fwrite(rec, sizeof(rec), 1, w->f) != 1 || fwrite(hdr, hlen, 1, w->f) != 1 ||
	    (d->len && fwrite(d->data, d->len, 1, w->f) != 1))
		return -EIO;
	return 0;
}

int pcap_writer_close(struct pcap_writer *w)
{
	int r = 0;

	if (!w->f)
		return 0;
	if (fflush(w->f) != 0 || ferror(w->f))
		r = -EIO;
	if (fclose(w->f) != 0)
		r = -EIO;
	w->f = NULL;
	return r;
}
