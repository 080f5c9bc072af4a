/* xfrm_events.c: the kernel's ACQUIRE and EXPIRE messages for the daemon
 * (see xfrm.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "kernel/xfrm_int.h"
#include "lib/log.h"

int xfrm_events_open(struct xfrm_backend *x, const struct xfrm_event_handlers *h)
{
	unsigned groups[] = {XFRMNLGRP_ACQUIRE, XFRMNLGRP_EXPIRE};
	int rc = 0;

	if (x->ev)
		return -EALREADY;
	x->ev = mnl_socket_open2(NETLINK_XFRM, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!x->ev || mnl_socket_bind(x->ev, 0, MNL_SOCKET_AUTOPID) < 0)
		rc = -errno;
	for (size_t i = 0; rc == 0 && i < sizeof(groups) / sizeof(groups[0]); i++)
		if (mnl_socket_setsockopt(x->ev, NETLINK_ADD_MEMBERSHIP, &groups[i],
					  sizeof(groups[i])) < 0)
			rc = -errno;
	if (rc < 0) {
		log_err(SUB_KERNEL,
			"xfrm: cannot listen to the kernel's IPsec events: %s (errno %d)",
			strerror(-rc), -rc);
		if (x->ev)
			mnl_socket_close(x->ev);
		x->ev = NULL;
		return rc;
	}
	x->h = *h;
	return 0;
}

int xfrm_events_fd(const struct xfrm_backend *x)
{
	return x->ev ? mnl_socket_get_fd(x->ev) : -1;
}

uint64_t xfrm_events_lost(const struct xfrm_backend *x)
{
	return x->lost;
}

static int tmpl_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == XFRMA_TMPL &&
	    mnl_attr_get_payload_len(a) >= sizeof(struct xfrm_user_tmpl))
		*(const struct xfrm_user_tmpl **)data = mnl_attr_get_payload(a);
	return MNL_CB_OK;
}

static int on_acquire(struct xfrm_backend *x, const struct nlmsghdr *nlh)
{
	struct xfrm_user_acquire ua;
	const struct xfrm_user_tmpl *tp = NULL;
	struct xfrm_user_tmpl t;
	struct xfrm_acquire a;
	char sel[2 * TS_STRLEN + 8];
	int family;

	if (!xfrm_payload(nlh, &ua, sizeof(ua)))
		return 0;
	if (ua.policy.sel.user != x->owner && ua.policy.sel.user != XFRM_OWNER_TRAP(x->owner)) {
		log_debug(SUB_KERNEL, "xfrm: ACQUIRE for policy %s of another owner (%u): not ours",
			  xfrm_sel_fmt(&ua.policy.sel, sel, sizeof(sel)), ua.policy.sel.user);
		return 0;
	}
	mnl_attr_parse(nlh, sizeof(ua), tmpl_attr, &tp);
	memset(&t, 0, sizeof(t));
	if (tp)
		memcpy(&t, tp, sizeof(t));
	memset(&a, 0, sizeof(a));
	xfrm_sel_to_ts(&ua.policy.sel, &a.src, &a.dst);
	xfrm_sel_to_ts(&ua.sel, &a.pkt_src, &a.pkt_dst);
	family = t.family ? t.family : ua.sel.family;
	xfrm_addr_from(&a.local, &ua.saddr, family);
	xfrm_addr_from(&a.remote, &ua.id.daddr, family);
	a.proto = ua.id.proto;
	a.reqid = t.reqid;
	a.policy_index = ua.policy.index;
	log_info(SUB_KERNEL, "xfrm: ACQUIRE for policy %s (reqid %u)",
		 xfrm_sel_fmt(&ua.policy.sel, sel, sizeof(sel)), a.reqid);
	if (!x->h.acquire)
		return 0;
	x->h.acquire(x->h.ctx, &a);
	return 1;
}

static int on_expire(struct xfrm_backend *x, const struct nlmsghdr *nlh)
{
	struct xfrm_user_expire ue;
	const struct xfrm_usersa_info *s = &ue.state;
	struct xfrm_expire e;
	char d[IP_ADDR_STRLEN];

	if (!xfrm_payload(nlh, &ue, sizeof(ue)))
		return 0;
	memset(&e, 0, sizeof(e));
	e.spi = ntohl(s->id.spi);
	e.proto = s->id.proto;
	e.hard = ue.hard != 0;
	e.reqid = s->reqid;
	xfrm_addr_from(&e.src, &s->saddr, s->family);
	xfrm_addr_from(&e.dst, &s->id.daddr, s->family);
	/* a hard expire deletes the state: forget a larval SPI then */
	e.larval = xfrm_larval_match(x, e.spi, e.proto, &e.dst, e.hard);
	if (s->sel.user != x->owner && !e.larval) {
		log_debug(SUB_KERNEL, "xfrm: EXPIRE of %s SA %08x of another owner: not ours",
			  xfrm_proto_name(e.proto), e.spi);
		return 0;
	}
	log_info(SUB_KERNEL, "xfrm: %s expire of %s%s SA %08x -> %s (reqid %u)",
		 e.hard ? "hard" : "soft", e.larval ? "larval " : "", xfrm_proto_name(e.proto),
		 e.spi, ip_addr_fmt(&e.dst, d, sizeof(d)), e.reqid);
	if (!x->h.expire)
		return 0;
	x->h.expire(x->h.ctx, &e);
	return 1;
}

struct ev_run {
	struct xfrm_backend *x;
	int count;
};

static int event_msg(const struct nlmsghdr *nlh, void *data)
{
	struct ev_run *r = data;

	switch (nlh->nlmsg_type) {
	case XFRM_MSG_ACQUIRE:
		r->count += on_acquire(r->x, nlh);
		break;
	case XFRM_MSG_EXPIRE:
		r->count += on_expire(r->x, nlh);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

int xfrm_events_read(struct xfrm_backend *x)
{
	struct ev_run r = {.x = x};
	ssize_t n;

	if (!x->ev)
		return -EBADF;
	for (;;) {
		n = mnl_socket_recvfrom(x->ev, x->ebuf, sizeof(x->ebuf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				/* the socket overran: some events are gone for good;
				 * the daemon's own timers still rekey and expire */
				x->lost++;
				log_warn(SUB_KERNEL, "xfrm: the kernel dropped IPsec events "
						     "(receive queue full)");
				continue;
			}
			return -errno;
		}
		mnl_cb_run(x->ebuf, (size_t)n, 0, 0, event_msg, &r);
	}
	return r.count;
}
