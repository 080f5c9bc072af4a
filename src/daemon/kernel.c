/* kernel.c: oakd's kernel backend choice (see kernel.h). */
#include "daemon/kernel.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ikev1/engine.h"
#include "ikev2/engine.h"
#include "kernel/record.h"
#include "kernel/xfrm.h"
#include "lib/addr.h"
#include "lib/log.h"
#include "lib/mono_time.h"
#include "lib/ts.h"

struct oakd_kernel {
	struct record_backend *record;
	struct xfrm_backend *xfrm;
	struct event *xfrm_ev;	    /* the event socket in the daemon's loop */
	bool flush;		    /* the start-up flush worked: flush again at close */
	struct ikev2_engine *ikev2; /* where events go (borrowed), NULL: logged only */
	struct ikev1_engine *ikev1; /* ACQUIREs of its traps (borrowed), or NULL */
	void (*called)(void *ctx);  /* after each engine call */
	void *called_ctx;
};

static const char *oakd_kernel_proto(uint8_t proto)
{
	return proto == IPPROTO_AH ? "ah" : proto == IPPROTO_ESP ? "esp" : "?";
}

void oakd_kernel_set_engine(struct oakd_kernel *k, struct ikev2_engine *e,
			    void (*called)(void *ctx), void *ctx)
{
	k->ikev2 = e;
	k->called = called;
	k->called_ctx = ctx;
}

void oakd_kernel_set_ikev1(struct oakd_kernel *k, struct ikev1_engine *e)
{
	k->ikev1 = e;
}

/* An ACQUIRE: a packet hit one of oak's trap policies; the engine whose
 * trap has that reqid (reqids are unique across both) starts that child,
 * IKEv2 with the packet's addresses as the first TS (RFC 7296 2.9). */
static void oakd_kernel_on_acquire(void *ctx, const struct xfrm_acquire *a)
{
	struct oakd_kernel *k = ctx;
	char src[TS_STRLEN], dst[TS_STRLEN], psrc[TS_STRLEN], pdst[TS_STRLEN];
	char peer[IP_ADDR_STRLEN];

	log_notice(
		SUB_KERNEL, "kernel ACQUIRE (%s reqid %u to %s): policy %s -> %s, packet %s -> %s",
		oakd_kernel_proto(a->proto), a->reqid, ip_addr_fmt(&a->remote, peer, sizeof(peer)),
		ts_fmt(&a->src, src, sizeof(src)), ts_fmt(&a->dst, dst, sizeof(dst)),
		ts_fmt(&a->pkt_src, psrc, sizeof(psrc)), ts_fmt(&a->pkt_dst, pdst, sizeof(pdst)));
	if (!k->ikev2)
		return;
	/* -EALREADY / -ENOENT are logged by the engine: nothing more to do */
	if (!k->ikev1 ||
	    ikev1_acquire(k->ikev1, a->reqid, &a->pkt_src, &a->pkt_dst, mono_ms()) == -ENOENT)
		ikev2_acquire(k->ikev2, a->reqid, &a->pkt_src, &a->pkt_dst, mono_ms());
	if (k->called)
		k->called(k->called_ctx);
}

/* An EXPIRE: a lifetime of one of oak's states ran out. Soft: the engine
 * rekeys the CHILD SA; hard: the kernel removed the SA, the engine deletes
 * the CHILD SA and tells the peer (RFC 7296 2.8). A larval SPI (its
 * negotiation outlived net.core.xfrm_acq_expires) is only logged: the
 * negotiation fails on its own when it tries to complete the SPI. */
static void oakd_kernel_on_expire(void *ctx, const struct xfrm_expire *e)
{
	struct oakd_kernel *k = ctx;
	char src[IP_ADDR_STRLEN], dst[IP_ADDR_STRLEN];

	log_notice(SUB_KERNEL, "kernel %s EXPIRE of %s%s SA spi %08x %s -> %s (reqid %u)",
		   e->hard ? "hard" : "soft", e->larval ? "larval " : "",
		   oakd_kernel_proto(e->proto), e->spi, ip_addr_fmt(&e->src, src, sizeof(src)),
		   ip_addr_fmt(&e->dst, dst, sizeof(dst)), e->reqid);
	if (!k->ikev2 || e->larval)
		return;
	ikev2_kernel_expire(k->ikev2, e->proto, e->spi, e->hard, mono_ms());
	if (k->called)
		k->called(k->called_ctx);
}

static void oakd_kernel_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct oakd_kernel *k = arg;
	int rc = xfrm_events_read(k->xfrm);

	(void)fd;
	(void)what;
	if (rc < 0)
		log_warn(SUB_KERNEL, "reading the kernel's XFRM events failed: %s", strerror(-rc));
}

static int oakd_kernel_open_record(struct oakd_kernel *k, const struct daemon_cfg *dc, bool keys,
				   struct kernel_ops *ops)
{
	int err;

	k->record = record_open(dc->record_file, keys, &err);
	if (!k->record) {
		log_err(SUB_KERNEL, "cannot open the record file %s: %s", dc->record_file,
			strerror(-err));
		return err;
	}
	record_kernel_ops(k->record, ops);
	log_info(SUB_KERNEL, "kernel backend: record, writing to %s", dc->record_file);
	return 0;
}

static int oakd_kernel_open_xfrm(struct oakd_kernel *k, struct event_base *base,
				 struct kernel_ops *ops)
{
	struct xfrm_event_handlers h = {
		.acquire = oakd_kernel_on_acquire, .expire = oakd_kernel_on_expire, .ctx = k};
	int err, n;

	k->xfrm = xfrm_open(XFRM_OWNER_OAK, &err);
	if (!k->xfrm) {
		log_err(SUB_KERNEL, "kernel = xfrm: cannot open the XFRM netlink socket: %s%s",
			strerror(-err),
			err == -EPROTONOSUPPORT ? " (no XFRM in this kernel: modprobe xfrm_user)"
						: "");
		return err;
	}
	/* the first request: without CAP_NET_ADMIN this is where EPERM shows */
	n = xfrm_flush_own(k->xfrm);
	if (n < 0) {
		log_err(SUB_KERNEL, "kernel = xfrm: cannot list the kernel's IPsec SAs: %s%s",
			strerror(-n), n == -EPERM ? " (oakd needs CAP_NET_ADMIN)" : "");
		return n;
	}
	k->flush = true;
	err = xfrm_events_open(k->xfrm, &h);
	if (err) {
		log_err(SUB_KERNEL, "kernel = xfrm: cannot listen to the kernel's XFRM events: %s",
			strerror(-err));
		return err;
	}
	k->xfrm_ev = event_new(base, xfrm_events_fd(k->xfrm), EV_READ | EV_PERSIST,
			       oakd_kernel_on_event, k);
	if (!k->xfrm_ev || event_add(k->xfrm_ev, NULL)) {
		log_err(SUB_KERNEL, "kernel = xfrm: cannot add the event socket to the loop");
		return -ENOMEM;
	}
	xfrm_kernel_ops(k->xfrm, ops);
	/* stale entries: a previous oakd died without removing its SAs */
	LOG(SUB_KERNEL, n > 0 ? LVL_NOTICE : LVL_INFO,
	    "kernel backend: xfrm (%d stale states and policies of a previous oakd removed)", n);
	return 0;
}

int oakd_kernel_open(const struct daemon_cfg *dc, bool keys, struct event_base *base,
		     struct kernel_ops *ops, struct oakd_kernel **out)
{
	struct oakd_kernel *k = calloc(1, sizeof(*k));
	int rc;

	*out = NULL;
	if (!k) {
		log_err(SUB_KERNEL, "cannot open the kernel backend: out of memory");
		return -ENOMEM;
	}
	if (strcasecmp(dc->kernel, "xfrm") == 0)
		rc = oakd_kernel_open_xfrm(k, base, ops);
	else
		rc = oakd_kernel_open_record(k, dc, keys, ops);
	if (rc) {
		oakd_kernel_close(k);
		return rc;
	}
	*out = k;
	return 0;
}

void oakd_kernel_close(struct oakd_kernel *k)
{
	int n;

	if (!k)
		return;
	if (k->xfrm_ev)
		event_free(k->xfrm_ev);
	if (k->xfrm && k->flush) {
		/* the engine deleted its SAs already: this catches what it could
		 * not (a stop deadline that ran out, a failed delete) */
		n = xfrm_flush_own(k->xfrm);
		if (n > 0)
			log_notice(SUB_KERNEL, "removed %d XFRM states and policies left at stop",
				   n);
		else if (n < 0)
			log_warn(SUB_KERNEL, "could not flush oak's XFRM entries at stop: %s",
				 strerror(-n));
	}
	xfrm_close(k->xfrm);
	record_close(k->record);
	free(k);
}
