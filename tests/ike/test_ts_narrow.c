#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "ike/ts_narrow.h"

#define MAXTS 8

static size_t ts_list(const char *const *texts, struct ts *out)
{
	char err[128];
	size_t n = 0;

	for (; texts[n] != NULL; n++)
		if (ts_parse(texts[n], &out[n], err, sizeof(err)) != 0)
			fail_msg("ts_parse('%s'): %s", texts[n], err);
	return n;
}

/* Narrow offered against mine; the result as "a, b". */
static const char *narrow(const char *const *offered, const char *const *mine, size_t max, int *r)
{
	static char text[512];
	struct ts o[MAXTS], m[MAXTS], out[MAXTS];
	size_t no = ts_list(offered, o), nm = ts_list(mine, m), n = 99;
	char buf[TS_STRLEN];

	*r = ts_narrow(o, no, m, nm, out, max, &n);
	text[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(text, ", ");
		strcat(text, ts_fmt(&out[i], buf, sizeof(buf)));
	}
	/* RFC 7296 2.9: what the responder returns is within the offer */
	if (*r == 0)
		assert_true(ts_list_is_subset(out, n, o, no));
	return text;
}

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

static void narrows_to_intersections(void **state)
{
	int r;

	(void)state;
	/* the peer asks for more than we allow: we answer with ours */
	assert_string_equal(narrow(L("10.0.0.0/8"), L("10.1.0.0/16"), MAXTS, &r), "10.1.0.0/16");
	assert_int_equal(r, 0);
	/* the peer asks for less: it gets what it asked */
	assert_string_equal(narrow(L("10.1.2.0/24"), L("10.1.0.0/16"), MAXTS, &r), "10.1.2.0/24");
	/* every non-empty pair, ours in order */
	assert_string_equal(narrow(L("0.0.0.0/0"), L("10.1.0.0/16", "192.168.0.0/24"), MAXTS, &r),
			    "10.1.0.0/16, 192.168.0.0/24");
	/* protocol and ports narrow too */
	assert_string_equal(narrow(L("10.0.0.0/24"), L("10.0.0.0/16[tcp/443]"), MAXTS, &r),
			    "10.0.0.0/24[tcp/443]");
	assert_string_equal(
		narrow(L("10.0.0.0/24[tcp/1-1024]"), L("10.0.0.0/16[tcp/443-8443]"), MAXTS, &r),
		"10.0.0.0/24[tcp/443-1024]");
	/* ranges that are no prefix */
	assert_string_equal(narrow(L("10.0.0.5-10.0.0.20"), L("10.0.0.0/28"), MAXTS, &r),
			    "10.0.0.5..10.0.0.15");
	/* families do not mix; IPv6 works the same */
	assert_string_equal(narrow(L("0.0.0.0/0", "::/0"), L("2001:db8::/32"), MAXTS, &r),
			    "2001:db8::/32");
}

/* RFC 7296 2.9: the initiator's first TS may be the packet that triggered
 * the request. */
static void packet_selector(void **state)
{
	int r;

	(void)state;
	/* it lies within a wider result: that result covers it, no duplicate */
	assert_string_equal(
		narrow(L("10.1.2.3/32[tcp/80]", "10.0.0.0/8"), L("10.1.0.0/16"), MAXTS, &r),
		"10.1.0.0/16");
	/* our policy is narrower than the offer: our part, which covers the packet */
	assert_string_equal(
		narrow(L("10.1.2.3/32[tcp/80]", "10.0.0.0/8"), L("10.1.2.0/24[tcp/80]"), MAXTS, &r),
		"10.1.2.0/24[tcp/80]");
	/* equal results are given once */
	assert_string_equal(narrow(L("10.1.0.0/16", "10.1.0.0/16"), L("10.0.0.0/8"), MAXTS, &r),
			    "10.1.0.0/16");
	/* a later, wider result replaces a narrower earlier one */
	assert_string_equal(narrow(L("10.0.0.0/8"), L("10.1.2.0/24", "10.1.0.0/16"), MAXTS, &r),
			    "10.1.0.0/16");
}

static void nothing_or_too_much(void **state)
{
	struct ts o[1], m[1], out[1];
	size_t n = 5;
	int r;

	(void)state;
	assert_string_equal(narrow(L("192.168.0.0/16"), L("10.0.0.0/8"), MAXTS, &r), "");
	assert_int_equal(r, -ENOENT);
	assert_string_equal(narrow(L("10.0.0.0/8[udp]"), L("10.0.0.0/8[tcp]"), MAXTS, &r), "");
	assert_int_equal(r, -ENOENT);
	assert_string_equal(narrow(L("10.0.0.0/8"), L("2001:db8::/32"), MAXTS, &r), "");
	assert_int_equal(r, -ENOENT);
	/* at most max results, the first ones */
	assert_string_equal(
		narrow(L("0.0.0.0/0"), L("10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"), 2, &r),
		"10.1.0.0/16, 10.2.0.0/16");
	assert_int_equal(r, 0);
	ts_any(&o[0], 2);
	m[0] = o[0];
	assert_int_equal(ts_narrow(o, 1, m, 1, out, 0, &n), -EINVAL);
	assert_int_equal(n, 0);
	assert_int_equal(ts_narrow(o, 0, m, 1, out, 1, &n), -ENOENT);
}

static void initiator_subset_check(void **state)
{
	struct ts offered[MAXTS], got[MAXTS];
	size_t no = ts_list(L("10.0.0.0/16", "192.168.1.0/24[tcp]"), offered);
	size_t ng;

	(void)state;
	ng = ts_list(L("10.0.1.0/24", "192.168.1.7/32[tcp/22]"), got);
	assert_true(ts_list_is_subset(got, ng, offered, no));
	ng = ts_list(L("10.0.0.0/15"), got); /* widened */
	assert_false(ts_list_is_subset(got, ng, offered, no));
	ng = ts_list(L("192.168.1.0/24"), got); /* any protocol where we offered tcp */
	assert_false(ts_list_is_subset(got, ng, offered, no));
	ng = ts_list(L("10.0.1.0/24", "172.16.0.0/12"), got);
	assert_false(ts_list_is_subset(got, ng, offered, no));
	assert_true(ts_list_is_subset(got, 0, offered, no));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(narrows_to_intersections),
		cmocka_unit_test(packet_selector),
		cmocka_unit_test(nothing_or_too_much),
		cmocka_unit_test(initiator_subset_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
