#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "crypto/ident.h"

/* "C=CH, O=oak, CN=gw" as strongSwan encodes it: PrintableStrings
 * (RFC 5280 4.1.2.4 Name; X.520 OIDs 2.5.4.6, 2.5.4.10, 2.5.4.3). */
#define DN_CH_OAK_GW                                                                               \
	"3028"                                                                                     \
	"310b3009060355040613024348"                                                               \
	"310c300a060355040a13036f616b"                                                             \
	"310b300906035504031302"                                                                   \
	"6777"

static struct ident parse_ok(const char *text)
{
	char err[256];
	struct ident id;

	if (ident_parse(text, &id, err, sizeof(err)) != 0)
		fail_msg("ident_parse('%s'): %s", text, err);
	return id;
}

static const char *fmt(const struct ident *id)
{
	static char buf[IDENT_STRLEN];

	return ident_fmt(id, buf, sizeof(buf));
}

/* text -> type, data -> text again -> same identity */
static void check(const char *text, uint8_t type, const char *hex, const char *shown)
{
	struct ident id = parse_ok(text), back;
	uint8_t want[IDENT_MAX_LEN];
	size_t n = th_hex(want, sizeof(want), hex);

	assert_int_equal(id.type, type);
	th_assert_bytes(id.data, id.len, want, n, text);
	assert_string_equal(fmt(&id), shown);
	back = parse_ok(shown);
	assert_true(ident_eq(&id, &back));
	/* and through the wire form of the ID payload */
	if (type != 0) {
		assert_int_equal(ident_from_wire(id.type, id.data, id.len, &back), 0);
		assert_true(ident_eq(&id, &back));
		assert_string_equal(fmt(&back), shown);
	}
}

static void parse_types(void **state)
{
	(void)state;
	check("%any", 0, "", "%any");
	check("", 0, "", "%any");
	check("192.0.2.1", IDENT_IPV4_ADDR, "c0000201", "192.0.2.1");
	check("ipv4:192.0.2.1", IDENT_IPV4_ADDR, "c0000201", "192.0.2.1");
	check("2001:db8::1", IDENT_IPV6_ADDR, "20010db8000000000000000000000001", "2001:db8::1");
	check("ipv6:2001:DB8::1", IDENT_IPV6_ADDR, "20010db8000000000000000000000001",
	      "2001:db8::1");
	/* strongSwan: "@name" and "name" are both ID_FQDN "name" */
	check("@gw.example", IDENT_FQDN, "67772e6578616d706c65", "gw.example");
	check("gw.example", IDENT_FQDN, "67772e6578616d706c65", "gw.example");
	check("fqdn:gw.example", IDENT_FQDN, "67772e6578616d706c65", "gw.example");
	check("me@example.com", IDENT_RFC822_ADDR, "6d65406578616d706c652e636f6d",
	      "me@example.com");
	check("@@me", IDENT_RFC822_ADDR, "6d65", "email:me");
	check("email:me@example.com", IDENT_RFC822_ADDR, "6d65406578616d706c652e636f6d",
	      "me@example.com");
	check("@#0102ab", IDENT_KEY_ID, "0102ab", "@#0102ab");
	check("keyid:#01:02:ab", IDENT_KEY_ID, "0102ab", "@#0102ab");
	check("keyid:vpn-user", IDENT_KEY_ID, "76706e2d75736572", "keyid:vpn-user");
	/* names that would read back as another type print with their prefix */
	check("fqdn:10.0.0.1", IDENT_FQDN, "31302e302e302e31", "fqdn:10.0.0.1");
	check("fqdn:a=b", IDENT_FQDN, "613d62", "fqdn:a=b");
	check("C=CH, O=oak, CN=gw", IDENT_DER_ASN1_DN, DN_CH_OAK_GW, "C=CH, O=oak, CN=gw");
}

static void dn_forms(void **state)
{
	struct ident a, b;

	(void)state;
	/* OpenSSL's "/" form, no spaces, the dn: prefix: one DER */
	check("/C=CH/O=oak/CN=gw", IDENT_DER_ASN1_DN, DN_CH_OAK_GW, "C=CH, O=oak, CN=gw");
	check("C=CH,O=oak,CN=gw", IDENT_DER_ASN1_DN, DN_CH_OAK_GW, "C=CH, O=oak, CN=gw");
	check("dn:C=CH, O=oak, CN=gw", IDENT_DER_ASN1_DN, DN_CH_OAK_GW, "C=CH, O=oak, CN=gw");
	check("  C = CH ,  O = oak , CN = gw  ", IDENT_DER_ASN1_DN, DN_CH_OAK_GW,
	      "C=CH, O=oak, CN=gw");
	check("C=CH, O=\"oak\", CN=gw", IDENT_DER_ASN1_DN, DN_CH_OAK_GW, "C=CH, O=oak, CN=gw");
	/* a quoted value keeps its separators and prints quoted again */
	a = parse_ok("C=CH, O=\"oak, inc/eng\", CN=gw");
	assert_string_equal(fmt(&a), "C=CH, O=\"oak, inc/eng\", CN=gw");
	/* e-mail in IA5String (tag 0x16), a non-PrintableString value in UTF8String (0x0c) */
	a = parse_ok("E=gw@oak.example");
	th_assert_hex(a.data, a.len,
		      "301f311d301b06092a864886f70d010901160e6777406f616b2e6578616d706c65");
	assert_string_equal(fmt(&a), "E=gw@oak.example");
	a = parse_ok("CN=Z\xc3\xbcrich");
	th_assert_hex(a.data, a.len,
		      "3012311030"
		      "0e0603550403"
		      "0c075ac3bc72696368");
	assert_string_equal(fmt(&a), "CN=Z\xc3\xbcrich");
	/* strongSwan names: SN is serialNumber, S is surname, dotted OIDs print dotted */
	a = parse_ok("SN=1234, S=Muster, 1.2.3.4=x");
	assert_string_equal(fmt(&a), "SN=1234, S=Muster, 1.2.3.4=x");
	/* PrintableStrings compare without case (strongSwan compare_dn) */
	a = parse_ok("C=CH, O=oak, CN=gw");
	b = parse_ok("c=ch, o=OAK, cn=GW");
	assert_true(ident_eq(&a, &b));
	/* a UTF8String CN equals a PrintableString CN of the same text */
	uint8_t utf8_cn[64];
	size_t n = th_hex(utf8_cn, sizeof(utf8_cn),
			  "3028310b3009060355040613024348310c300a060355040a13036f616b"
			  "310b30090603550403"
			  "0c026777");
	assert_int_equal(ident_from_wire(IDENT_DER_ASN1_DN, utf8_cn, n, &b), 0);
	assert_true(ident_eq(&a, &b));
	assert_string_equal(fmt(&b), "C=CH, O=oak, CN=gw");
	/* order and count of RDNs matter */
	b = parse_ok("O=oak, C=CH, CN=gw");
	assert_false(ident_eq(&a, &b));
	b = parse_ok("C=CH, O=oak, OU=x, CN=gw");
	assert_false(ident_eq(&a, &b));
}

static void wildcards(void **state)
{
	struct ident want, got;

	(void)state;
	want = parse_ok("C=CH, O=oak, CN=*");
	assert_true(want.wildcard);
	assert_string_equal(fmt(&want), "C=CH, O=oak, CN=*");
	got = parse_ok("C=CH, O=oak, CN=gw");
	assert_false(got.wildcard);
	assert_true(ident_match(&want, &got));
	assert_false(ident_match(&got, &want)); /* a wildcard only on the config side */
	assert_false(ident_eq(&want, &got));
	got = parse_ok("C=CH, O=other, CN=gw");
	assert_false(ident_match(&want, &got));
	got = parse_ok("C=CH, O=oak, OU=x, CN=gw");
	assert_false(ident_match(&want, &got));
	got = parse_ok("C=CH, O=oak, OU=gw"); /* same position, other attribute */
	assert_false(ident_match(&want, &got));

	want = parse_ok("*.example.com");
	assert_true(want.wildcard);
	assert_int_equal(want.type, IDENT_FQDN);
	got = parse_ok("gw.example.com");
	assert_true(ident_match(&want, &got));
	got = parse_ok("GW.Example.COM");
	assert_true(ident_match(&want, &got));
	got = parse_ok("example.com");
	assert_false(ident_match(&want, &got));
	got = parse_ok("gw.example.org");
	assert_false(ident_match(&want, &got));
	got = parse_ok("me@gw.example.com"); /* other type */
	assert_false(ident_match(&want, &got));

	want = parse_ok("*@example.com");
	assert_int_equal(want.type, IDENT_RFC822_ADDR);
	got = parse_ok("alice@example.com");
	assert_true(ident_match(&want, &got));
	got = parse_ok("alice@example.net");
	assert_false(ident_match(&want, &got));

	/* an identity from the wire is never a pattern */
	assert_int_equal(ident_from_wire(IDENT_FQDN, (const uint8_t *)"*.example.com", 13, &got),
			 0);
	assert_false(got.wildcard);
	want = parse_ok("gw.example.com");
	assert_false(ident_match(&got, &want));

	/* %any matches every identity; exact names match without case */
	want = parse_ok("%any");
	got = parse_ok("2001:db8::1");
	assert_true(ident_match(&want, &got));
	want = parse_ok("@GW.example");
	got = parse_ok("gw.EXAMPLE");
	assert_true(ident_match(&want, &got));
	assert_true(ident_eq(&want, &got));
	/* key IDs compare exactly */
	want = parse_ok("@#0a0b");
	got = parse_ok("@#0a0c");
	assert_false(ident_match(&want, &got));
}

static void parse_errors(void **state)
{
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{"C=CH, XX=1",
		 "unknown DN attribute 'XX' (expected C, ST, L, O, OU, CN, E, DC, SN, "
		 "UID, ... or a dotted OID)"},
		{"C=CH, O=", "empty value for 'O' in DN"},
		{"C=CH, O=\"oak", "unterminated quoted value for 'O' in DN"},
		{"C=CH, O=\"oak\" x", "expected ',' or '/' after the quoted value of 'O' in DN"},
		{"C=CH, oak", "expected 'attribute=value' in DN, got 'oak'"},
		{"=x", "expected 'attribute=value' in DN, got '=x'"},
		{"ipv4:1.2.3", "expected an IPv4 address, got '1.2.3'"},
		{"ipv6:192.0.2.1", "expected an IPv6 address, got '192.0.2.1'"},
		{"@#zz", "expected a key ID in hex after '#', got 'zz'"},
		{"@#", "expected a key ID in hex after '#', got ''"},
		{"10.0.0.0/24",
		 "expected an identity, got the subnet or range '10.0.0.0/24' (use it in "
		 "local_ts/remote_ts)"},
		{"fqdn:", "expected a name after the identity prefix, got ''"},
	};
	char err[256], longname[600];
	struct ident id;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ident_parse(bad[i].in, &id, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad[i].msg);
		assert_int_equal(id.type, 0);
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(ident_parse(longname, &id, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than 512 bytes"));
	/* a name with '-' is a name, not a range */
	id = parse_ok("my-gw.example");
	assert_int_equal(id.type, IDENT_FQDN);
}

static void wire_errors(void **state)
{
	uint8_t buf[IDENT_MAX_LEN + 1] = {0};
	uint8_t dn[64];
	size_t n = th_hex(dn, sizeof(dn), DN_CH_OAK_GW);
	struct ident id;

	(void)state;
	assert_int_equal(ident_from_wire(IDENT_IPV4_ADDR, buf, 3, &id), -EINVAL);
	assert_int_equal(ident_from_wire(IDENT_IPV4_ADDR, buf, 16, &id), -EINVAL);
	assert_int_equal(ident_from_wire(IDENT_IPV6_ADDR, buf, 4, &id), -EINVAL);
	assert_int_equal(ident_from_wire(4, buf, 8, &id), -EINVAL); /* ID_IPV4_ADDR_SUBNET */
	assert_int_equal(ident_from_wire(0, buf, 4, &id), -EINVAL);
	assert_int_equal(ident_from_wire(IDENT_FQDN, buf, 0, &id), -EINVAL);
	assert_int_equal(ident_from_wire(IDENT_KEY_ID, buf, IDENT_MAX_LEN + 1, &id), -EINVAL);
	assert_int_equal(ident_from_wire(IDENT_KEY_ID, buf, IDENT_MAX_LEN, &id), 0);
	assert_int_equal(ident_from_wire(IDENT_DER_ASN1_DN, dn, n, &id), 0);
	assert_int_equal(ident_from_wire(IDENT_DER_ASN1_DN, dn, n - 1, &id), -EINVAL);
	dn[n] = 0;
	assert_int_equal(ident_from_wire(IDENT_DER_ASN1_DN, dn, n + 1, &id), -EINVAL);
	assert_int_equal(ident_from_wire(IDENT_DER_ASN1_DN, (const uint8_t *)"gw", 2, &id),
			 -EINVAL);
	/* control characters from a peer print as '?' */
	assert_int_equal(ident_from_wire(IDENT_FQDN, (const uint8_t *)"gw\x01x", 4, &id), 0);
	assert_string_equal(fmt(&id), "gw?x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_types), cmocka_unit_test(dn_forms),
		cmocka_unit_test(wildcards),   cmocka_unit_test(parse_errors),
		cmocka_unit_test(wire_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
