/* xfrm_int.h: what xfrm.c, xfrm_sel.c and xfrm_events.c share (not for
 * other layers; tests include it for the selector conversions). */
#ifndef OAK_KERNEL_XFRM_INT_H
#define OAK_KERNEL_XFRM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/xfrm.h>

#include "kernel/xfrm.h"
#include "lib/addr.h"
#include "lib/ts.h"

struct mnl_socket;
struct nlmsghdr;

/* An SPI from alloc_spi that no SA has completed yet. */
struct xfrm_larval {
	uint32_t spi; /* host order */
	uint8_t proto;
	struct ip_addr dst;
};

#define XFRM_RBUF_SIZE 32768
#define XFRM_ERRTEXT   256

struct xfrm_backend {
	struct mnl_socket *nl; /* requests */
	uint32_t portid, seq;
	uint32_t owner;
	char errtext[XFRM_ERRTEXT]; /* kernel's text of the last failure */
	struct xfrm_larval *larval;
	size_t nlarval, cap_larval;
	struct mnl_socket *ev; /* events, NULL until xfrm_events_open */
	struct xfrm_event_handlers h;
	uint64_t lost;
	char rbuf[XFRM_RBUF_SIZE]; /* answers to requests */
	char ebuf[XFRM_RBUF_SIZE]; /* events (a handler may make requests) */
};

/* ---- xfrm_sel.c: values <-> kernel structs ---- */

/* ip_addr into xfrm_address_t (zeroed first). */
void xfrm_addr_to(xfrm_address_t *out, const struct ip_addr *a);
/* xfrm_address_t of family into ip_addr (family 0 for an unknown family). */
void xfrm_addr_from(struct ip_addr *out, const xfrm_address_t *in, int family);

/* Fill sel (zeroed first) from a source and destination TS of one family:
 * prefixes, protocol, ports with masks, sel->user = owner. Where the kernel
 * cannot express a range, the covering prefix / port block is used and a
 * warning names both. -EINVAL when the families differ or are unknown. */
int xfrm_sel_from_ts(struct xfrm_selector *sel, const struct ts *src, const struct ts *dst,
		     uint32_t owner);
/* The TS pair a selector stands for (ports from port/mask, ICMP type/code
 * back into the RFC 7296 3.13.1 port form). */
void xfrm_sel_to_ts(const struct xfrm_selector *sel, struct ts *src, struct ts *dst);

/* "10.0.0.0/24[udp/53] -> 10.0.1.0/24" into buf. Returns buf. */
const char *xfrm_sel_fmt(const struct xfrm_selector *sel, char *buf, size_t len);

/* Copy a message's fixed header out of the receive buffer: netlink aligns
 * payloads to 4 bytes, XFRM's structs hold u64 lifetimes. false when the
 * payload is shorter than len. */
bool xfrm_payload(const struct nlmsghdr *nlh, void *out, size_t len);

/* ---- xfrm.c, for xfrm_events.c ---- */

/* Whether (spi, proto, dst) is one of x's larval SPIs; remove it if so and
 * remove is set. */
bool xfrm_larval_match(struct xfrm_backend *x, uint32_t spi, uint8_t proto,
		       const struct ip_addr *dst, bool remove);

const char *xfrm_proto_name(uint8_t proto);

/* The selector's user value of p: x's owner, or its trap value. */
uint32_t xfrm_policy_owner(const struct xfrm_backend *x, const struct kernel_policy *p);

#endif
