/* xfrm.h: the `xfrm` kernel backend: kernel_ops over NETLINK_XFRM (libmnl,
 * the kernel's <linux/xfrm.h>), plus a listener for the kernel's ACQUIRE and
 * EXPIRE events.
 *
 * What each call sends:
 *   alloc_spi   XFRM_MSG_ALLOCSPI in [XFRM_SPI_MIN, XFRM_SPI_MAX]: a larval
 *               state (src, dst, proto, reqid) holding the SPI until add_sa
 *               with update set completes it (XFRM_MSG_UPDSA). The kernel
 *               drops a larval state after net.core.xfrm_acq_expires (30 s).
 *   add_sa      XFRM_MSG_NEWSA (XFRM_MSG_UPDSA when sa->update): AEAD as
 *               XFRMA_ALG_AEAD (icv_bits), else XFRMA_ALG_CRYPT and/or
 *               XFRMA_ALG_AUTH_TRUNC (AH: AUTH_TRUNC only); XFRMA_ENCAP
 *               (UDP_ENCAP_ESPINUDP) when encap ports are set; ESN and
 *               windows above 32 as XFRMA_REPLAY_ESN_VAL; lifetimes with 0 =
 *               none; the transport-mode selector from sel_src/sel_dst.
 *   del_sa      XFRM_MSG_DELSA, only for a state oak made (checked first).
 *   add_policy  XFRM_MSG_NEWPOLICY with one template (proto, mode, reqid,
 *               tunnel endpoints); if oak's own policy with the same selector,
 *               direction and kind (trap or not) exists (a rekeyed CHILD SA,
 *               a reloaded trap), XFRM_MSG_UPDPOLICY replaces it. A trap
 *               policy has the template before any SA exists: the first
 *               matching packet makes the kernel send an ACQUIRE.
 *   del_policy  XFRM_MSG_DELPOLICY by selector and direction.
 *
 * Trap policies: see XFRM_OWNER_TRAP; add_policy and del_policy of a policy
 * with trap set use that owner value, so they never touch the CHILD SA's
 * policy of the same selector (nor it the trap).
 *
 * Selectors: an address range that is a prefix goes to the kernel as is;
 * another range cannot be expressed, so the covering prefix is used and a
 * warning says so. Ports likewise: one port, any port, or an aligned power of
 * two block (port/mask); other ranges get the covering block. ICMP types and
 * codes (RFC 7296 3.13.1: type in the high byte of the port) go into the
 * kernel's sport/dport the way it matches them.
 *
 * UDP encapsulation: kernel_sa.encap_sport is our port and encap_dport the
 * peer's (as the engines fill them); for an inbound SA the kernel wants the
 * ports of the packets' source and destination, so they are swapped there.
 *
 * Which entries are oak's: the kernel has no owner field and XFRMA_MARK or
 * if_id would change which packets match. The selector's `user` field
 * (struct xfrm_selector) is stored and dumped back but never used for
 * matching, and the kernel compares whole selectors (user included) when it
 * looks a policy up by selector. So every state and policy oak installs
 * carries the backend's owner value there (XFRM_OWNER_OAK for oakd): two
 * daemons' policies with equal selectors stay distinct, del_policy cannot hit
 * another daemon's policy, and xfrm_flush_own() removes exactly the entries
 * carrying the value. Larval states from alloc_spi are created by the kernel
 * without it; the backend remembers those SPIs until they are completed,
 * deleted or expire. `ip -s xfrm policy` shows the value as "uid".
 *
 * Errors: every call returns 0 or a negative errno and logs the operation,
 * the errno and the kernel's own text (netlink extended ack), e.g.
 *   "xfrm: add SA esp spi c0a80001 192.0.2.1 -> 192.0.2.2 failed: Protocol
 *    not supported (errno 93): kernel says: Requested type not found"
 */
#ifndef OAK_KERNEL_XFRM_H
#define OAK_KERNEL_XFRM_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/kernel_ops.h"

/* The owner value oakd writes into every selector ("oak" + 1). */
#define XFRM_OWNER_OAK 0x6f616b01u
/* Trap policies (kernel_policy.trap) carry the owner value + 1 ("oak" + 2
 * for oakd): a different selector to the kernel, so a trap and the CHILD
 * SA's policy with the same addresses and direction are two policies, the
 * priority picks the CHILD SA's while it is up, and deleting it leaves the
 * trap for the next packet. Both values count as the backend's own. */
#define XFRM_OWNER_TRAP(owner) ((uint32_t)((owner) + 1u))

/* Inbound SPIs: RFC 4303 2.1 reserves 1-255; the high nibble 0xc keeps
 * oak's SPIs recognisable in captures, as strongSwan's are. */
#define XFRM_SPI_MIN 0xc0000000u
#define XFRM_SPI_MAX 0xcfffffffu

struct xfrm_backend;

/* Open the request socket (NETLINK_XFRM, extended acks on). owner: the value
 * marking this backend's entries, not 0 (every other tool writes 0) nor
 * 0xffffffff (its trap value would be 0).
 * (caller frees with xfrm_close) NULL with *err = -errno (-EINVAL for owner
 * 0, -EPROTONOSUPPORT without XFRM in the kernel, -EPERM without
 * CAP_NET_ADMIN shows up only at the first request). */
struct xfrm_backend *xfrm_open(uint32_t owner, int *err);

/* Fill ops with the backend's functions; ops->ctx is x (borrowed: x must
 * outlive every use of ops). */
void xfrm_kernel_ops(struct xfrm_backend *x, struct kernel_ops *ops);

/* Remove every state and policy carrying x's owner value (or its trap
 * value), and the larval
 * states x allocated; nothing else. For start-up (entries of a previous run
 * that died) and for stop. Returns the number removed, or -errno when the
 * kernel could not be listed (each failed delete is logged and skipped). */
int xfrm_flush_own(struct xfrm_backend *x);

/* The kernel's text for the last failed request ("" when it sent none).
 * (borrowed, valid until the next call on x) */
const char *xfrm_last_error(const struct xfrm_backend *x);

/* Close both sockets and free; NULL is fine. Does not flush. */
void xfrm_close(struct xfrm_backend *x);

/* ---- kernel events ---- */

/* ACQUIRE: a packet matched one of oak's policies and no SA exists. */
struct xfrm_acquire {
	struct ts src, dst;	      /* the policy's selector */
	struct ts pkt_src, pkt_dst;   /* the packet's addresses, protocol and ports
				       (RFC 7296 2.9: the first TS of the request) */
	uint32_t reqid;		      /* from the policy's template */
	uint8_t proto;		      /* IPPROTO_ESP or IPPROTO_AH */
	struct ip_addr local, remote; /* the template's tunnel endpoints (out policy) */
	uint32_t policy_index;
};

/* EXPIRE: a lifetime of one of oak's states ran out. Soft: rekey now; hard:
 * the kernel has deleted the state. A larval SPI from alloc_spi that was
 * never completed expires hard too (its negotiation took too long). */
struct xfrm_expire {
	uint32_t spi; /* as on the wire, in host order (like kernel_sa.spi) */
	uint8_t proto;
	struct ip_addr src, dst;
	uint32_t reqid;
	bool hard;
	bool larval; /* an alloc_spi SPI, no SA was installed on it */
};

struct xfrm_event_handlers {
	void (*acquire)(void *ctx, const struct xfrm_acquire *a); /* NULL: ignored */
	void (*expire)(void *ctx, const struct xfrm_expire *e);	  /* NULL: ignored */
	void *ctx;
};

/* Open the event socket and join XFRMNLGRP_ACQUIRE and XFRMNLGRP_EXPIRE.
 * Events about entries that are not x's (another daemon's, `ip xfrm`'s) are
 * skipped. h is copied; h->ctx is borrowed. 0 or -errno. */
int xfrm_events_open(struct xfrm_backend *x, const struct xfrm_event_handlers *h);

/* The event socket's descriptor (non-blocking, close-on-exec) for the
 * daemon's loop: when readable, call xfrm_events_read(). -1 before
 * xfrm_events_open. (borrowed: xfrm_close closes it) */
int xfrm_events_fd(const struct xfrm_backend *x);

/* Read every pending event and call the handlers on this thread. Returns the
 * number of events handed to handlers, or -errno. A receive-queue overrun
 * (ENOBUFS: events were lost) is logged and counted; reading goes on. */
int xfrm_events_read(struct xfrm_backend *x);

/* Events lost to receive-queue overruns so far. */
uint64_t xfrm_events_lost(const struct xfrm_backend *x);

#endif
