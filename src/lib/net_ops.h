/* net_ops.h: how the IKE engines send datagrams (tests swap in a fake).
 *
 * Receiving goes the other way: the network layer (or a test) hands each
 * datagram to the engine's receive function with both endpoints, after
 * stripping the 4-byte non-ESP marker on port 4500 (RFC 3948 2.2). */
#ifndef OAK_LIB_NET_OPS_H
#define OAK_LIB_NET_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

struct net_ops {
	void *ctx;
	/* Send msg (borrowed) from local to remote. When either port is the NAT-T
	 * port the backend prepends the non-ESP marker. 0 or -errno. */
	int (*send)(void *ctx, const struct ip_endpoint *local, const struct ip_endpoint *remote,
		    const uint8_t *msg, size_t len);
	/* RFC 3948 2.3: a NAT-keepalive (one 0xFF octet, no marker) from local
	 * to remote, both on the NAT-T port. NULL when the backend has none.
	 * 0 or -errno. */
	int (*send_keepalive)(void *ctx, const struct ip_endpoint *local,
			      const struct ip_endpoint *remote);
};

#endif
