/* pcap.h: IKE datagrams out of packet captures, and capture files written for
 * tshark.
 *
 * Reading takes classic pcap (both byte orders, micro- and nanosecond
 * variants) and pcapng (Section Header, Interface Description, Enhanced and
 * Simple Packet Blocks), link types Ethernet (with 802.1Q tags), Linux cooked
 * v1/v2, BSD loopback and raw IP; IPv4 (first fragments only) and IPv6 (with
 * hop-by-hop, routing and destination options headers); UDP from or to port
 * 500 or 4500. On port 4500 an IKE message follows the 4-byte zero non-ESP
 * marker (RFC 3948 2.2); ESP-in-UDP and NAT-T keepalives (RFC 3948 2.3) are
 * counted and left out.
 *
 * Writing makes a classic pcap with Ethernet framing and well-formed IPv4 or
 * IPv6 and UDP headers (checksums included), one packet per datagram.
 */
#ifndef OAK_CTL_PCAP_H
#define OAK_CTL_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define IKE_PORT      500
#define IKE_NATT_PORT 4500

/* One UDP datagram to or from an IKE port. */
struct ike_datagram {
	unsigned frame;		  /* 1-based packet number in the capture (0: not from a capture) */
	int family;		  /* AF_INET, AF_INET6, or 0 when the addresses are unknown */
	uint8_t src[16], dst[16]; /* 4 or 16 bytes used */
	uint16_t sport, dport;
	uint8_t *data; /* the UDP payload, marker included (owned by the list) */
	size_t len;
};

struct ike_datagrams {
	struct ike_datagram *v; /* (owned) */
	size_t n, cap;
	unsigned skipped_esp;	    /* ESP-in-UDP packets left out */
	unsigned skipped_keepalive; /* NAT-T keepalives left out */
	unsigned skipped_other;	    /* IP fragments, truncated packets, other link types */
};

/* Append a copy of d (its data is copied; d is borrowed). 0 or -ENOMEM. */
int ike_datagrams_add(struct ike_datagrams *l, const struct ike_datagram *d);
/* Free every datagram's data and the array; the list is empty afterwards. */
void ike_datagrams_free(struct ike_datagrams *l);

/* Read every IKE datagram of the capture file `path` into l (appended; free
 * with ike_datagrams_free). 0, or negative errno with `why` (caller's buffer
 * of n bytes) saying what was expected and what came. */
int pcap_read_ike(const char *path, struct ike_datagrams *l, char *why, size_t n);
/* The same from a capture held in memory (borrowed). */
int pcap_parse_ike(const uint8_t *buf, size_t len, struct ike_datagrams *l, char *why, size_t n);

/* Whether a datagram received on port 4500 carries an IKE message (the
 * non-ESP marker, RFC 3948 2.2) rather than ESP or a keepalive. */
bool pcap_is_non_esp(const uint8_t *data, size_t len);

/* "192.0.2.1:500" or "[2001:db8::1]:4500" into buf (caller's, n bytes);
 * "?" without addresses. Returns buf. */
char *ike_datagram_endpoint(const struct ike_datagram *d, bool source, char *buf, size_t n);

/* A capture file being written. */
struct pcap_writer {
	FILE *f; /* (owned) */
	unsigned count;
};

/* Create `path` (truncating it) with a classic pcap header, link type
 * Ethernet. 0 or negative errno. */
int pcap_writer_open(struct pcap_writer *w, const char *path);
/* Append d (borrowed) as Ethernet | IPv4 or IPv6 | UDP | d->data; the time
 * stamp is one second per packet from the epoch. 0, -EINVAL (no family, or
 * over 65507 bytes), -EIO. */
int pcap_write_udp(struct pcap_writer *w, const struct ike_datagram *d);
/* Flush and close; 0 or -EIO. */
int pcap_writer_close(struct pcap_writer *w);

#endif
