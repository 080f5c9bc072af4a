#include "testutil.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "lib/ts.h"

static struct ts parse_ok(const char *text)
{
	char err[128];
	struct ts t;

	if (ts_parse(text, &t, err, sizeof(err)) != 0)
		fail_msg("ts_parse('%s'): %s", text, err);
	return t;
}

static const char *fmt(const char *text)
{
	static char buf[TS_STRLEN];
	struct ts t = parse_ok(text);

	return ts_fmt(&t, buf, sizeof(buf));
}

/* What a user writes in local_ts/remote_ts and what oakctl shows back. */
static void parse_and_format(void **state)
{
	(void)state;
	assert_string_equal(fmt("10.0.0.0/24"), "10.0.0.0/24");
	assert_string_equal(fmt("10.1.2.3/24"), "10.1.2.0/24"); /* host bits cleared */
	assert_string_equal(fmt("192.0.2.1"), "192.0.2.1/32");
	assert_string_equal(fmt("0.0.0.0/0"), "0.0.0.0/0");
	assert_string_equal(fmt("2001:db8::/32"), "2001:db8::/32");
	assert_string_equal(fmt("::/0"), "::/0");
	assert_string_equal(fmt("2001:db8::1"), "2001:db8::1/128");
	assert_string_equal(fmt("10.0.0.1-10.0.0.9"), "10.0.0.1..10.0.0.9");
	assert_string_equal(fmt("10.0.0.0-10.0.0.255"),
			    "10.0.0.0/24"); /* a range that is a prefix */
	assert_string_equal(fmt("10.0.0.0/24[tcp/443]"), "10.0.0.0/24[tcp/443]");
	assert_string_equal(fmt("10.0.0.0/24[tcp/https]"), "10.0.0.0/24[tcp/443]");
	assert_string_equal(fmt("10.0.0.0/24[udp]"), "10.0.0.0/24[udp]");
	assert_string_equal(fmt("10.0.0.0/24[/53]"), "10.0.0.0/24[/53]");
	assert_string_equal(fmt("10.0.0.0/24[17/1024-2048]"), "10.0.0.0/24[udp/1024-2048]");
	assert_string_equal(fmt("10.0.0.0/24[icmp/8]"), "10.0.0.0/24[icmp/8]");
	assert_string_equal(fmt("10.0.0.0/24[icmp/3/1]"), "10.0.0.0/24[icmp/3/1]");
	assert_string_equal(fmt("10.0.0.0/24[47]"), "10.0.0.0/24[gre]");
	assert_string_equal(fmt("10.0.0.0/24[99]"), "10.0.0.0/24[99]");
	assert_string_equal(fmt("10.0.0.0/24[tcp/opaque]"), "10.0.0.0/24[tcp/opaque]");
	assert_string_equal(fmt(" 10.0.0.0/8 "), "10.0.0.0/8");
	assert_string_equal(fmt("2001:db8::/64[ipv6-icmp/128]"), "2001:db8::/64[ipv6-icmp/128]");
}

static void parsed_values(void **state)
{
	struct ts t;

	(void)state;
	t = parse_ok("10.0.0.0/24[icmp/8]");
	assert_int_equal(t.proto, IPPROTO_ICMP);
	/* RFC 7296 3.13.1: ICMP Type in the high octet, any Code */
	assert_int_equal(t.port_lo, 0x0800);
	assert_int_equal(t.port_hi, 0x08ff);
	t = parse_ok("192.0.2.0/25[tcp/22]");
	assert_int_equal(t.proto, 6);
	assert_int_equal(t.port_lo, 22);
	assert_int_equal(t.port_hi, 22);
	assert_int_equal(ts_family(&t), AF_INET);
	assert_int_equal(ts_prefix_len(&t), 25);
	t = parse_ok("10.0.0.1-10.0.0.9");
	assert_int_equal(ts_prefix_len(&t), -1);
	assert_int_equal(t.port_lo, 0);
	assert_int_equal(t.port_hi, 65535);
	t = parse_ok("2001:db8::/127");
	assert_int_equal(ts_family(&t), AF_INET6);
	assert_int_equal(ts_prefix_len(&t), 127);
	t = parse_ok("0.0.0.0/0");
	assert_int_equal(ts_prefix_len(&t), 0);
}

static void parse_errors(void **state)
{
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{"10.0.0.300/24", "expected an address, subnet or range, got '10.0.0.300/24'"},
		{"gw.example", "expected an address, subnet or range, got 'gw.example'"},
		{"10.0.0.0/33", "expected an address, subnet or range, got '10.0.0.0/33'"},
		{"10.0.0.0/", "expected an address, subnet or range, got '10.0.0.0/'"},
		{"10.0.0.1-2001:db8::1",
		 "expected an address, subnet or range, got '10.0.0.1-2001:db8::1'"},
		{"10.0.0.9-10.0.0.1", "address range '10.0.0.9-10.0.0.1' ends before it starts"},
		{"10.0.0.0/24[tcpx]", "expected a protocol name or number (0-255), got 'tcpx'"},
		{"10.0.0.0/24[256]", "expected a protocol name or number (0-255), got '256'"},
		{"10.0.0.0/24[tcp/70000]",
		 "expected a port, port range or service name, got '70000'"},
		{"10.0.0.0/24[tcp/nosuch]",
		 "expected a port, port range or service name, got 'nosuch'"},
		{"10.0.0.0/24[tcp/90-80]", "port range '90-80' ends before it starts"},
		{"10.0.0.0/24[icmp/300]", "expected an ICMP type or type/code (0-255), got '300'"},
		{"10.0.0.0/24[tcp", "expected '[proto/port]' at the end, got '[tcp'"},
		{"10.0.0.0/24[tcp]x", "expected '[proto/port]' at the end, got '[tcp]x'"},
		{"", "expected an address, subnet or range, got ''"},
	};
	char err[128];
	struct ts t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ts_parse(bad[i].in, &t, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad[i].msg);
		assert_int_equal(t.lo.family, 0);
	}
	/* too long for the buffer: refused, not truncated */
	char longer[300];
	memset(longer, '1', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(ts_parse(longer, &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too long"));
}

static void subset_and_intersection(void **state)
{
	struct ts a = parse_ok("10.0.0.0/16"), b = parse_ok("10.0.1.0/24[tcp/80]"), x;
	struct ts r1 = parse_ok("10.0.0.5-10.0.2.7"), c;
	char buf[TS_STRLEN];

	(void)state;
	assert_true(ts_is_subset(&b, &a));
	assert_false(ts_is_subset(&a, &b));
	assert_true(ts_intersect(&a, &b, &x));
	assert_true(ts_eq(&x, &b));
	assert_true(ts_intersect(&r1, &b, &x));
	assert_string_equal(ts_fmt(&x, buf, sizeof(buf)), "10.0.1.0/24[tcp/80]");
	c = parse_ok("10.0.1.200-10.0.3.0[tcp/1-100]");
	assert_true(ts_intersect(&r1, &c, &x));
	assert_string_equal(ts_fmt(&x, buf, sizeof(buf)), "10.0.1.200..10.0.2.7[tcp/1-100]");
	/* disjoint addresses, protocols, ports, families */
	c = parse_ok("10.1.0.0/16");
	assert_false(ts_intersect(&a, &c, &x));
	c = parse_ok("10.0.1.0/24[udp/80]");
	assert_false(ts_intersect(&b, &c, &x));
	c = parse_ok("10.0.1.0/24[tcp/81-90]");
	assert_false(ts_intersect(&b, &c, &x));
	c = parse_ok("::/0");
	assert_false(ts_intersect(&a, &c, &x));
	assert_false(ts_is_subset(&c, &a));
	/* OPAQUE ports meet "any port" and OPAQUE, nothing else (RFC 4301 4.4.1) */
	c = parse_ok("10.0.0.0/24[tcp/opaque]");
	assert_true(ts_intersect(&a, &c, &x));
	assert_true(ts_eq(&x, &c));
	assert_false(ts_intersect(&b, &c, &x));
}

static void constructors(void **state)
{
	struct ip_addr ip;
	struct ts t;
	char buf[TS_STRLEN];

	(void)state;
	ip_addr_parse("198.51.100.7", &ip);
	ts_from_addr(&t, &ip);
	assert_string_equal(ts_fmt(&t, buf, sizeof(buf)), "198.51.100.7/32");
	ts_any(&t, AF_INET6);
	assert_string_equal(ts_fmt(&t, buf, sizeof(buf)), "::/0");
	ts_any(&t, AF_INET);
	assert_string_equal(ts_fmt(&t, buf, sizeof(buf)), "0.0.0.0/0");
	/* a short buffer is truncated, still terminated */
	assert_string_equal(ts_fmt(&t, buf, 4), "0.0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_and_format), cmocka_unit_test(parsed_values),
		cmocka_unit_test(parse_errors),	    cmocka_unit_test(subset_and_intersection),
		cmocka_unit_test(constructors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
