/* addr.h: IP addresses and endpoints as values (no sockaddr juggling in
 * protocol code). Used by config, traffic selectors, the IKE engines, the
 * kernel interface and the network layer. */
#ifndef OAK_LIB_ADDR_H
#define OAK_LIB_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ip_addr {
	uint8_t family; /* AF_INET, AF_INET6, or 0 for "none / %any" */
	uint8_t a[16];	/* network byte order; IPv4 uses the first 4 bytes */
};

struct ip_endpoint {
	struct ip_addr addr;
	uint16_t port; /* host byte order */
};

/* Longest text forms, with the NUL. */
#define IP_ADDR_STRLEN	   46
#define IP_ENDPOINT_STRLEN 56

/* Bytes of address: 4, 16, or 0 for family 0. */
size_t ip_addr_len(const struct ip_addr *a);
/* Parse "192.0.2.1" or "2001:db8::1". 0, or -EINVAL with *a zeroed. */
int ip_addr_parse(const char *text, struct ip_addr *a);
/* Build from family and raw bytes (4 or 16 of them). 0 or -EINVAL. */
int ip_addr_from_bytes(struct ip_addr *a, int family, const uint8_t *bytes, size_t len);
/* Text form into buf (at least IP_ADDR_STRLEN); "%any" for family 0. Returns buf. */
const char *ip_addr_fmt(const struct ip_addr *a, char *buf, size_t len);
bool ip_addr_eq(const struct ip_addr *a, const struct ip_addr *b);
bool ip_addr_is_any(const struct ip_addr *a); /* family 0 or all zeros */
/* -1, 0, 1 comparing family first, then bytes (for ranges). */
int ip_addr_cmp(const struct ip_addr *a, const struct ip_addr *b);

/* "192.0.2.1:500" / "[2001:db8::1]:4500" into buf (IP_ENDPOINT_STRLEN). Returns buf. */
const char *ip_endpoint_fmt(const struct ip_endpoint *e, char *buf, size_t len);
bool ip_endpoint_eq(const struct ip_endpoint *a, const struct ip_endpoint *b);
/* sockaddr conversions; to_sockaddr returns the socklen or 0 for family 0. */
socklen_t ip_endpoint_to_sockaddr(const struct ip_endpoint *e, struct sockaddr_storage *ss);
int ip_endpoint_from_sockaddr(struct ip_endpoint *e, const struct sockaddr *sa, socklen_t len);

#endif
