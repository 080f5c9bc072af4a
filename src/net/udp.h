/* udp.h: the IKE UDP sockets (ports 500 and 4500, IPv4 and IPv6).
 *
 * One socket per listen address and port, or the IPv4 and IPv6 wildcards
 * when no address is configured. Every socket asks for the packet's local
 * address (IP_PKTINFO / IPV6_RECVPKTINFO), so each datagram is handed on with
 * both endpoints and a reply leaves from the address the request came to
 * (sendmsg with a pktinfo control message), which a host with several
 * addresses needs (RFC 7296 2.11).
 *
 * The NAT-T socket (RFC 3948 2.2): an IKE message there starts with the
 * 4-byte non-ESP marker (zeros), stripped on receipt and prepended on send.
 * UDP_ENCAP_ESPINUDP lets the kernel take the ESP packets; anything else that
 * still arrives without the marker is not IKE and is dropped and counted, and
 * a one-byte 0xff NAT-keepalive (RFC 3948 2.3) is dropped silently.
 *
 * Every socket bypasses IPsec policies (IP_XFRM_POLICY / IPV6_XFRM_POLICY
 * allow in and out, as strongSwan's socket-default plugin), so IKE traffic
 * is never caught by the policies it negotiates. A kernel that refuses the
 * bypass or UDP_ENCAP gets a warning and the socket is used anyway.
 */
#ifndef OAK_NET_UDP_H
#define OAK_NET_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/net_ops.h"

struct event_base;
struct udp_net;

/* A datagram for the engine: both endpoints, the IKE message (non-ESP marker
 * already stripped). Everything is borrowed for the call only. */
typedef void udp_recv_fn(void *ctx, const struct ip_endpoint *local,
			 const struct ip_endpoint *remote, const uint8_t *msg, size_t len);

struct udp_config {
	const struct ip_addr *listen; /* (borrowed) nlisten addresses; none = both wildcards */
	size_t nlisten;
	uint16_t port;	     /* IKE port, 500 */
	uint16_t port_nat_t; /* NAT-T port, 4500; 0 = no NAT-T socket */
};

struct udp_stats {
	uint64_t rx, tx;       /* IKE datagrams handed on / sent */
	uint64_t rx_keepalive; /* NAT-keepalives dropped */
	uint64_t rx_not_ike;   /* NAT-T port datagrams without the marker (ESP) or too short */
	uint64_t rx_errors;    /* recvmsg failures, missing pktinfo */
	uint64_t tx_errors;    /* sendmsg failures, no socket for the local endpoint */
};

/* Open and bind every socket and add a read event per socket to base
 * (borrowed; it must outlive the sockets). recv(ctx) gets each datagram on
 * the loop thread. (caller frees with udp_close) NULL with *err = -errno and
 * one line logged naming the address and port that failed (e.g. EADDRINUSE).
 * A wildcard IPv6 socket that the host cannot open (no IPv6) is skipped with
 * a warning. */
struct udp_net *udp_open(struct event_base *base, const struct udp_config *cfg, udp_recv_fn *recv,
			 void *ctx, int *err);

/* Fill ops with the sending side; ops->ctx is u (borrowed: u must outlive ops). */
void udp_net_ops(struct udp_net *u, struct net_ops *ops);

/* Send msg (borrowed) from local to remote through the socket bound to
 * local's family and port (and address, if one is bound to it), with the
 * non-ESP marker when either port is the NAT-T port. 0 or -errno
 * (-EADDRNOTAVAIL: no socket for local). */
int udp_send(struct udp_net *u, const struct ip_endpoint *local, const struct ip_endpoint *remote,
	     const uint8_t *msg, size_t len);

void udp_get_stats(const struct udp_net *u, struct udp_stats *st);

/* Remove the events and close every socket; NULL is fine. */
void udp_close(struct udp_net *u);

#endif
