#include "lib/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

size_t ip_addr_len(const struct ip_addr *a)
{
	return a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
}

int ip_addr_parse(const char *text, struct ip_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, a->a) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, a->a) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	memset(a, 0, sizeof(*a));
	return -EINVAL;
}

int ip_addr_from_bytes(struct ip_addr *a, int family, const uint8_t *bytes, size_t len)
{
	memset(a, 0, sizeof(*a));
	if ((family == AF_INET && len == 4) || (family == AF_INET6 && len == 16)) {
		a->family = (uint8_t)family;
		memcpy(a->a, bytes, len);
		return 0;
	}
	return -EINVAL;
}

const char *ip_addr_fmt(const struct ip_addr *a, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (!a->family || !inet_ntop(a->family, a->a, buf, (socklen_t)len))
		snprintf(buf, len, "%%any");
	return buf;
}

bool ip_addr_eq(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family && memcmp(a->a, b->a, ip_addr_len(a)) == 0;
}

bool ip_addr_is_any(const struct ip_addr *a)
{
	static const uint8_t zero[16];

	return a->family == 0 || memcmp(a->a, zero, ip_addr_len(a)) == 0;
}

int ip_addr_cmp(const struct ip_addr *a, const struct ip_addr *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(a->a, b->a, ip_addr_len(a));
	return c < 0 ? -1 : c > 0;
}

const char *ip_endpoint_fmt(const struct ip_endpoint *e, char *buf, size_t len)
{
	char a[IP_ADDR_STRLEN];

	ip_addr_fmt(&e->addr, a, sizeof(a));
	if (e->addr.family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, e->port);
	else
		snprintf(buf, len, "%s:%u", a, e->port);
	return buf;
}

bool ip_endpoint_eq(const struct ip_endpoint *a, const struct ip_endpoint *b)
{
	return a->port == b->port && ip_addr_eq(&a->addr, &b->addr);
}

socklen_t ip_endpoint_to_sockaddr(const struct ip_endpoint *e, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (e->addr.family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(e->port);
		memcpy(&s4->sin_addr, e->addr.a, 4);
		return sizeof(*s4);
	}
	if (e->addr.family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(e->port);
		memcpy(&s6->sin6_addr, e->addr.a, 16);
		return sizeof(*s6);
	}
	return 0;
}

int ip_endpoint_from_sockaddr(struct ip_endpoint *e, const struct sockaddr *sa, socklen_t len)
{
	memset(e, 0, sizeof(*e));
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		e->addr.family = AF_INET;
		memcpy(e->addr.a, &s4->sin_addr, 4);
		e->port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		e->addr.family = AF_INET6;
		memcpy(e->addr.a, &s6->sin6_addr, 16);
		e->port = ntohs(s6->sin6_port);
		return 0;
	}
	return -EAFNOSUPPORT;
}
