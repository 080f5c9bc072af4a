#include "testutil.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "lib/addr.h"

static void parse_format_compare(void **state)
{
	struct ip_addr a, b;
	char buf[IP_ADDR_STRLEN];

	(void)state;
	assert_int_equal(ip_addr_parse("192.0.2.1", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(ip_addr_len(&a), 4);
	assert_string_equal(ip_addr_fmt(&a, buf, sizeof(buf)), "192.0.2.1");
	assert_int_equal(ip_addr_parse("2001:DB8::1", &b), 0);
	assert_string_equal(ip_addr_fmt(&b, buf, sizeof(buf)), "2001:db8::1");
	assert_false(ip_addr_eq(&a, &b));
	assert_int_equal(ip_addr_cmp(&a, &b), -1); /* AF_INET sorts before AF_INET6 */
	assert_int_equal(ip_addr_parse("192.0.2.300", &a), -EINVAL);
	assert_int_equal(a.family, 0);
	assert_string_equal(ip_addr_fmt(&a, buf, sizeof(buf)), "%any");
	assert_true(ip_addr_is_any(&a));
	assert_int_equal(ip_addr_parse("0.0.0.0", &a), 0);
	assert_true(ip_addr_is_any(&a));
}

static void endpoints_and_sockaddrs(void **state)
{
	struct ip_endpoint e = {.port = 4500}, back;
	struct sockaddr_storage ss;
	char buf[IP_ENDPOINT_STRLEN];
	socklen_t n;

	(void)state;
	ip_addr_parse("2001:db8::2", &e.addr);
	assert_string_equal(ip_endpoint_fmt(&e, buf, sizeof(buf)), "[2001:db8::2]:4500");
	n = ip_endpoint_to_sockaddr(&e, &ss);
	assert_int_equal(n, sizeof(struct sockaddr_in6));
	assert_int_equal(ip_endpoint_from_sockaddr(&back, (struct sockaddr *)&ss, n), 0);
	assert_true(ip_endpoint_eq(&e, &back));
	ip_addr_parse("198.51.100.7", &e.addr);
	e.port = 500;
	assert_string_equal(ip_endpoint_fmt(&e, buf, sizeof(buf)), "198.51.100.7:500");
	n = ip_endpoint_to_sockaddr(&e, &ss);
	assert_int_equal(n, sizeof(struct sockaddr_in));
	/* a sockaddr shorter than its family needs is refused */
	assert_int_equal(ip_endpoint_from_sockaddr(&back, (struct sockaddr *)&ss, 4),
			 -EAFNOSUPPORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_format_compare),
		cmocka_unit_test(endpoints_and_sockaddrs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
