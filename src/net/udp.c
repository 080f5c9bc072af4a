/* udp.c: the IKE UDP sockets (see udp.h). */
#include "net/udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/ipsec.h>
#include <linux/xfrm.h>

#include <event2/event.h>

#include "lib/log.h"

/* RFC 3948 2.2: the non-ESP marker before IKE messages on the NAT-T port. */
#define NON_ESP_MARKER_LEN 4
/* RFC 3948 2.3: a NAT-keepalive is one octet, 0xff. */
#define NATT_KEEPALIVE 0xff
/* Datagrams taken per read event, so one busy socket cannot starve the loop. */
#define UDP_READ_BATCH 32
/* The largest UDP payload (IPv6 jumbograms aside). */
#define UDP_MAX_DGRAM 65535

struct udp_sock {
	struct udp_net *u;
	int fd;
	struct ip_endpoint bound; /* address (maybe the wildcard) and port */
	bool nat_t;
	struct event *ev;
};

struct udp_net {
	struct udp_sock *socks;
	size_t nsocks;
	uint16_t port_nat_t;
	udp_recv_fn *recv;
	void *ctx;
	struct udp_stats st;
	uint8_t buf[UDP_MAX_DGRAM];
};

/* Bypass IPsec policies for this socket in both directions, as strongSwan's
 * socket-default plugin does: otherwise IKE packets would match the very
 * policies they negotiate (and trap policies would swallow them). */
static void udp_set_bypass(int fd, int family, const char *where)
{
	struct xfrm_userpolicy_info pol;
	int level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
	int opt = family == AF_INET ? IP_XFRM_POLICY : IPV6_XFRM_POLICY;
	static const uint8_t dirs[] = {XFRM_POLICY_IN, XFRM_POLICY_OUT};

	for (size_t i = 0; i < sizeof(dirs); i++) {
		memset(&pol, 0, sizeof(pol));
		pol.action = XFRM_POLICY_ALLOW;
		pol.sel.family = (uint16_t)family;
		pol.dir = dirs[i];
		if (setsockopt(fd, level, opt, &pol, sizeof(pol)) < 0) {
			log_warn(SUB_NET,
				 "UDP %s: the kernel refused the IPsec bypass policy (%s); "
				 "IKE packets may be caught by IPsec policies",
				 where, strerror(errno));
			return;
		}
	}
}

static int udp_setopts(struct udp_sock *s, const char *where)
{
	int on = 1, family = s->bound.addr.family;

	if (family == AF_INET6) {
		/* one socket per family: no v4-mapped addresses on the IPv6 one */
		if (setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0 ||
		    setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0)
			return -errno;
	} else if (setsockopt(s->fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0) {
		return -errno;
	}
	udp_set_bypass(s->fd, family, where);
	return 0;
}

/* RFC 3948: the kernel takes ESP-in-UDP on the NAT-T socket itself. */
static void udp_set_encap(struct udp_sock *s, const char *where)
{
	int type = UDP_ENCAP_ESPINUDP;

	if (setsockopt(s->fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type)) < 0)
		log_warn(SUB_NET,
			 "UDP %s: the kernel refused UDP_ENCAP_ESPINUDP (%s); "
			 "NAT-T ESP packets will not be decapsulated",
			 where, strerror(errno));
}

static void udp_on_read(evutil_socket_t fd, short what, void *arg);

/* Open, configure and bind one socket; the read event is added by the caller. */
static int udp_sock_open(struct udp_sock *s, struct event_base *base)
{
	struct sockaddr_storage ss;
	socklen_t sl = ip_endpoint_to_sockaddr(&s->bound, &ss);
	char where[IP_ENDPOINT_STRLEN];
	int rc;

	ip_endpoint_fmt(&s->bound, where, sizeof(where));
	s->fd = socket(s->bound.addr.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	rc = udp_setopts(s, where);
	if (rc == 0 && bind(s->fd, (struct sockaddr *)&ss, sl) < 0)
		rc = -errno;
	if (rc == 0 && s->nat_t)
		udp_set_encap(s, where);
	if (rc == 0) {
		s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, udp_on_read, s);
		if (!s->ev || event_add(s->ev, NULL) < 0)
			rc = -ENOMEM;
	}
	if (rc < 0) {
		close(s->fd);
		s->fd = -1;
		return rc;
	}
	log_info(SUB_NET, "listening on UDP %s%s", where, s->nat_t ? " (NAT-T)" : "");
	return 0;
}

static void udp_sock_close(struct udp_sock *s)
{
	if (s->ev)
		event_free(s->ev);
	if (s->fd >= 0)
		close(s->fd);
	s->ev = NULL;
	s->fd = -1;
}

/* Open one socket for addr and port; a wildcard IPv6 socket on a host
 * without IPv6 is skipped (returns 0, nothing added). */
static int udp_add(struct udp_net *u, struct event_base *base, const struct ip_addr *addr,
		   uint16_t port, bool nat_t, bool wildcard)
{
	struct udp_sock *s = &u->socks[u->nsocks];
	char where[IP_ENDPOINT_STRLEN];
	int rc;

	memset(s, 0, sizeof(*s));
	s->u = u;
	s->fd = -1;
	s->bound.addr = *addr;
	s->bound.port = port;
	s->nat_t = nat_t;
	rc = udp_sock_open(s, base);
	if (rc == 0) {
		u->nsocks++;
		return 0;
	}
	ip_endpoint_fmt(&s->bound, where, sizeof(where));
	if (wildcard && addr->family == AF_INET6 && (rc == -EAFNOSUPPORT || rc == -EADDRNOTAVAIL)) {
		log_warn(SUB_NET, "no IPv6 on this host: not listening on UDP %s (%s)", where,
			 strerror(-rc));
		return 0;
	}
	log_err(SUB_NET, "cannot listen on UDP %s: %s", where, strerror(-rc));
	return rc;
}

static int udp_open_all(struct udp_net *u, struct event_base *base, const struct udp_config *cfg)
{
	struct ip_addr any[2];
	const struct ip_addr *addrs = cfg->listen;
	size_t n = cfg->nlisten;
	bool wildcard = n == 0;
	int rc = 0;

	if (wildcard) {
		memset(any, 0, sizeof(any));
		any[0].family = AF_INET;
		any[1].family = AF_INET6;
		addrs = any;
		n = 2;
	}
	u->socks = calloc(2 * n, sizeof(*u->socks));
	if (!u->socks)
		return -ENOMEM;
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = udp_add(u, base, &addrs[i], cfg->port, false, wildcard);
		if (rc == 0 && cfg->port_nat_t)
			rc = udp_add(u, base, &addrs[i], cfg->port_nat_t, true, wildcard);
	}
	if (rc == 0 && u->nsocks == 0)
		rc = -EADDRNOTAVAIL;
	return rc;
}

struct udp_net *udp_open(struct event_base *base, const struct udp_config *cfg, udp_recv_fn *recv,
			 void *ctx, int *err)
{
	struct udp_net *u = calloc(1, sizeof(*u));
	int rc;

	if (!u) {
		*err = -ENOMEM;
		return NULL;
	}
	u->port_nat_t = cfg->port_nat_t;
	u->recv = recv;
	u->ctx = ctx;
	rc = udp_open_all(u, base, cfg);
	if (rc < 0) {
		udp_close(u);
		*err = rc;
		return NULL;
	}
	*err = 0;
	return u;
}

void udp_close(struct udp_net *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nsocks; i++)
		udp_sock_close(&u->socks[i]);
	free(u->socks);
	free(u);
}

void udp_get_stats(const struct udp_net *u, struct udp_stats *st)
{
	*st = u->st;
}

/* The local address of a datagram from its pktinfo control message. */
static bool udp_local_addr(struct msghdr *mh, struct ip_addr *out)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return ip_addr_from_bytes(out, AF_INET, (uint8_t *)&pi.ipi_addr, 4) == 0;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return ip_addr_from_bytes(out, AF_INET6, (uint8_t *)&pi.ipi6_addr, 16) == 0;
		}
	}
	return false;
}

/* RFC 3948 2.2/2.3: strip the marker; false when the datagram is not IKE. */
static bool udp_strip_marker(struct udp_net *u, const uint8_t **msg, size_t *len)
{
	static const uint8_t marker[NON_ESP_MARKER_LEN];

	if (*len == 1 && (*msg)[0] == NATT_KEEPALIVE) {
		u->st.rx_keepalive++;
		return false;
	}
	if (*len < NON_ESP_MARKER_LEN || memcmp(*msg, marker, NON_ESP_MARKER_LEN) != 0) {
		/* ESP the kernel did not take (no UDP_ENCAP, no SA), or junk */
		u->st.rx_not_ike++;
		log_debug(SUB_NET,
			  "NAT-T port: dropped a %zu-byte datagram without the "
			  "non-ESP marker",
			  *len);
		return false;
	}
	*msg += NON_ESP_MARKER_LEN;
	*len -= NON_ESP_MARKER_LEN;
	return true;
}

/* Receive one datagram; 1 handled, 0 nothing more to read, -1 error. */
static int udp_recv_one(struct udp_sock *s)
{
	struct udp_net *u = s->u;
	struct sockaddr_storage from;
	union {
		uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			    CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = u->buf, .iov_len = sizeof(u->buf)};
	struct msghdr mh = {.msg_name = &from,
			    .msg_namelen = sizeof(from),
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	struct ip_endpoint local = s->bound, remote;
	const uint8_t *msg = u->buf;
	ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
	size_t len;

	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		u->st.rx_errors++;
		log_debug(SUB_NET, "recvmsg: %s", strerror(errno));
		return -1;
	}
	len = (size_t)n;
	if ((mh.msg_flags & MSG_TRUNC) ||
	    ip_endpoint_from_sockaddr(&remote, (struct sockaddr *)&from, mh.msg_namelen) < 0 ||
	    !udp_local_addr(&mh, &local.addr)) {
		u->st.rx_errors++;
		return 1;
	}
	if (s->nat_t && !udp_strip_marker(u, &msg, &len))
		return 1;
	u->st.rx++;
	u->recv(u->ctx, &local, &remote, msg, len);
	return 1;
}

static void udp_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct udp_sock *s = arg;

	for (int i = 0; i < UDP_READ_BATCH; i++)
		if (udp_recv_one(s) <= 0)
			break;
}

/* The socket bound to local's family and port: the one bound to exactly
 * local's address, else the wildcard one. */
static struct udp_sock *udp_find(struct udp_net *u, const struct ip_endpoint *local)
{
	struct udp_sock *wild = NULL;

	for (size_t i = 0; i < u->nsocks; i++) {
		struct udp_sock *s = &u->socks[i];

		if (s->bound.port != local->port || s->bound.addr.family != local->addr.family)
			continue;
		if (ip_addr_eq(&s->bound.addr, &local->addr))
			return s;
		if (ip_addr_is_any(&s->bound.addr) && !wild)
			wild = s;
	}
	return wild;
}

/* A pktinfo control message choosing the source address (wildcard sockets). */
static void udp_set_src(struct msghdr *mh, uint8_t *buf, const struct ip_addr *src)
{
	struct cmsghdr *c;

	mh->msg_control = buf;
	if (src->family == AF_INET) {
		struct in_pktinfo pi = {0};

		memcpy(&pi.ipi_spec_dst, src->a, 4);
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else {
		struct in6_pktinfo pi = {0};

		memcpy(&pi.ipi6_addr, src->a, 16);
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
}

static int udp_send_raw(struct udp_net *u, const struct ip_endpoint *local,
			const struct ip_endpoint *remote, const uint8_t *msg, size_t len, bool ike);

int udp_send(struct udp_net *u, const struct ip_endpoint *local, const struct ip_endpoint *remote,
	     const uint8_t *msg, size_t len)
{
	return udp_send_raw(u, local, remote, msg, len, true);
}

/* ike: an IKE message (the non-ESP marker goes first on the NAT-T port);
 * else the bytes as they are (a NAT-keepalive). */
static int udp_send_raw(struct udp_net *u, const struct ip_endpoint *local,
			const struct ip_endpoint *remote, const uint8_t *msg, size_t len, bool ike)
{
	static const uint8_t marker[NON_ESP_MARKER_LEN];
	struct udp_sock *s = udp_find(u, local);
	struct sockaddr_storage to;
	union {
		uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2];
	struct msghdr mh = {0};
	size_t niov = 0;
	char buf[IP_ENDPOINT_STRLEN];

	if (!s) {
		u->st.tx_errors++;
		log_warn(SUB_NET, "no socket for local endpoint %s: message not sent",
			 ip_endpoint_fmt(local, buf, sizeof(buf)));
		return -EADDRNOTAVAIL;
	}
	if (ike && u->port_nat_t && (local->port == u->port_nat_t || remote->port == u->port_nat_t))
		iov[niov++] = (struct iovec){.iov_base = (void *)marker, .iov_len = sizeof(marker)};
	iov[niov++] = (struct iovec){.iov_base = (void *)msg, .iov_len = len};
	mh.msg_name = &to;
	mh.msg_namelen = ip_endpoint_to_sockaddr(remote, &to);
	mh.msg_iov = iov;
	mh.msg_iovlen = niov;
	if (mh.msg_namelen == 0 || remote->addr.family != local->addr.family) {
		u->st.tx_errors++;
		return -EAFNOSUPPORT;
	}
	if (ip_addr_is_any(&s->bound.addr) && !ip_addr_is_any(&local->addr))
		udp_set_src(&mh, ctl.buf, &local->addr);
	if (sendmsg(s->fd, &mh, 0) < 0) {
		int rc = -errno;

		u->st.tx_errors++;
		log_warn(SUB_NET, "sending %zu bytes to %s failed: %s", len,
			 ip_endpoint_fmt(remote, buf, sizeof(buf)), strerror(-rc));
		return rc;
	}
	u->st.tx++;
	return 0;
}

static int udp_ops_send(void *ctx, const struct ip_endpoint *local,
			const struct ip_endpoint *remote, const uint8_t *msg, size_t len)
{
	return udp_send(ctx, local, remote, msg, len);
}

static int udp_ops_keepalive(void *ctx, const struct ip_endpoint *local,
			     const struct ip_endpoint *remote)
{
	static const uint8_t ka[1] = {NATT_KEEPALIVE};

	return udp_send_raw(ctx, local, remote, ka, sizeof(ka), false);
}

void udp_net_ops(struct udp_net *u, struct net_ops *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->ctx = u;
	ops->send = udp_ops_send;
	ops->send_keepalive = udp_ops_keepalive;
}
