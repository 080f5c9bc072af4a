/* ts.h: traffic selectors as values (RFC 7296 3.13.1, RFC 2407 4.6.2):
 * a protocol, a port range and an address range. Used by config, the IKE
 * engines (narrowing, RFC 7296 2.9, lives in ike/) and the kernel interface. */
#ifndef OAK_LIB_TS_H
#define OAK_LIB_TS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

struct ts {
	uint8_t proto;	  /* IP protocol number, 0 = any */
	uint16_t port_lo; /* inclusive; 0..65535 is any port */
	uint16_t port_hi;
	struct ip_addr lo; /* inclusive address range, both of one family */
	struct ip_addr hi;
};

#define TS_STRLEN 128

/* Parse strongSwan's selector syntax: an address "192.0.2.1", a subnet
 * "10.0.0.0/24" or "2001:db8::/32", a range "10.0.0.1-10.0.0.9", each
 * optionally followed by "[proto/port]": "[tcp/443]", "[udp]", "[/53]",
 * "[17/1024-2048]", "[icmp/8]" (protocol by name or number; port by number,
 * range or a few well-known names). 0, or -EINVAL with a message in err
 * naming what was expected ("expected an address, subnet or range, got 'x'"). */
int ts_parse(const char *text, struct ts *out, char *err, size_t errlen);
/* The selector of one address (proto and ports any). */
void ts_from_addr(struct ts *out, const struct ip_addr *a);
/* The selector covering every address of a family, any proto and port. */
void ts_any(struct ts *out, int family);
/* "10.0.0.0/24", "10.0.0.1..10.0.0.9", with "[tcp/443]" when not any. Returns buf. */
const char *ts_fmt(const struct ts *t, char *buf, size_t len);
int ts_family(const struct ts *t);
bool ts_eq(const struct ts *a, const struct ts *b);
/* Whether a lies within b (protocol, ports, addresses). */
bool ts_is_subset(const struct ts *a, const struct ts *b);
/* The intersection of a and b into out; false when they do not meet. */
bool ts_intersect(const struct ts *a, const struct ts *b, struct ts *out);
/* If the range is exactly a prefix, its length (for XFRM selectors), else -1. */
int ts_prefix_len(const struct ts *t);

#endif
