/* test_tree: lookups and typed values, read the way swanctl/charon read them. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf/parse.h"
#include "conf/tree.h"

static struct conf_tree *parse(const char *text)
{
	struct conf_tree *t = NULL;
	struct conf_err err;
	char buf[600];

	if (conf_parse_string("oak.conf", text, &t, &err) != 0)
		fail_msg("%s", conf_err_str(&err, buf, sizeof(buf)));
	return t;
}

static void err_is(const struct conf_err *err, const char *want)
{
	char buf[600];

	assert_string_equal(conf_err_str(err, buf, sizeof(buf)), want);
}

static void bools(void **state)
{
	static const char *const yes[] = {"yes", "YES", "true", "True", "enabled", "1"};
	static const char *const no[] = {"no", "No", "false", "FALSE", "disabled", "0"};
	bool b;
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++) {
		b = false;
		assert_int_equal(conf_str_bool(yes[i], &b), 0);
		assert_true(b);
		b = true;
		assert_int_equal(conf_str_bool(no[i], &b), 0);
		assert_false(b);
	}
	assert_int_equal(conf_str_bool("y", &b), -EINVAL);
	assert_int_equal(conf_str_bool("2", &b), -EINVAL);
	assert_int_equal(conf_str_bool("", &b), -EINVAL);
}

static void integers(void **state)
{
	uint64_t u;

	(void)state;
	assert_int_equal(conf_str_uint("0", &u), 0);
	assert_int_equal(u, 0);
	assert_int_equal(conf_str_uint("4500", &u), 0);
	assert_int_equal(u, 4500);
	assert_int_equal(conf_str_uint("0x1F", &u), 0);
	assert_int_equal(u, 31);
	assert_int_equal(conf_str_uint("18446744073709551615", &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(conf_str_uint("18446744073709551616", &u), -EINVAL);
	assert_int_equal(conf_str_uint("-1", &u), -EINVAL);
	assert_int_equal(conf_str_uint("12a", &u), -EINVAL);
	assert_int_equal(conf_str_uint("0x", &u), -EINVAL);
	assert_int_equal(conf_str_uint(" 1", &u), -EINVAL);
	assert_int_equal(conf_str_uint("", &u), -EINVAL);
}

static void times(void **state)
{
	uint64_t s;

	(void)state;
	assert_int_equal(conf_str_time("3600", &s), 0);
	assert_int_equal(s, 3600);
	assert_int_equal(conf_str_time("3600s", &s), 0);
	assert_int_equal(s, 3600);
	assert_int_equal(conf_str_time("90m", &s), 0);
	assert_int_equal(s, 5400);
	assert_int_equal(conf_str_time("4h", &s), 0);
	assert_int_equal(s, 14400);
	assert_int_equal(conf_str_time("4 H", &s), 0); /* charon allows blanks and any case */
	assert_int_equal(s, 14400);
	assert_int_equal(conf_str_time("2d", &s), 0);
	assert_int_equal(s, 172800);
	assert_int_equal(conf_str_time("soon", &s), -EINVAL);
	assert_int_equal(conf_str_time("4hours", &s), -EINVAL);
	assert_int_equal(conf_str_time("1w", &s), -EINVAL);
	assert_int_equal(conf_str_time("h", &s), -EINVAL);
	assert_int_equal(conf_str_time("1.5h", &s), -EINVAL);
	assert_int_equal(conf_str_time("999999999999999999d", &s), -EINVAL);
}

static void bytes(void **state)
{
	uint64_t b;

	(void)state;
	assert_int_equal(conf_str_bytes("1000", &b), 0);
	assert_int_equal(b, 1000);
	assert_int_equal(conf_str_bytes("1k", &b), 0);
	assert_int_equal(b, 1024);
	assert_int_equal(conf_str_bytes("500M", &b), 0);
	assert_true(b == 500ULL * 1024 * 1024);
	assert_int_equal(conf_str_bytes("2 g", &b), 0);
	assert_true(b == 2ULL << 30);
	assert_int_equal(conf_str_bytes("1t", &b), -EINVAL);
	assert_int_equal(conf_str_bytes("1kb", &b), -EINVAL);
	assert_int_equal(conf_str_bytes("18014398509481984g", &b), -EINVAL);
}

static void decimals(void **state)
{
	double d;

	(void)state;
	assert_int_equal(conf_str_decimal("1.8", &d), 0);
	assert_true(d > 1.799 && d < 1.801);
	assert_int_equal(conf_str_decimal("4", &d), 0);
	assert_true(d == 4.0);
	assert_int_equal(conf_str_decimal(".5", &d), 0);
	assert_int_equal(conf_str_decimal("-1", &d), -EINVAL);
	assert_int_equal(conf_str_decimal("nan", &d), -EINVAL);
	assert_int_equal(conf_str_decimal("1e999", &d), -EINVAL);
	assert_int_equal(conf_str_decimal("1.8s", &d), -EINVAL);
}

static void lists(void **state)
{
	struct conf_list l;

	(void)state;
	assert_int_equal(conf_str_list("192.0.2.1, 2001:db8::1", &l), 0);
	assert_int_equal(l.count, 2);
	assert_string_equal(l.items[0], "192.0.2.1");
	assert_string_equal(l.items[1], "2001:db8::1");
	conf_list_free(&l);
	assert_int_equal(conf_str_list(" a ,b,\tc ", &l), 0);
	assert_int_equal(l.count, 3);
	assert_string_equal(l.items[2], "c");
	conf_list_free(&l);
	assert_int_equal(conf_str_list("10.0.0.0/24[tcp/http]", &l), 0);
	assert_int_equal(l.count, 1);
	conf_list_free(&l);
	assert_int_equal(conf_str_list("  ", &l), 0);
	assert_int_equal(l.count, 0);
	assert_int_equal(conf_str_list("a,,b", &l), -EINVAL);
	assert_null(l.items);
	assert_int_equal(conf_str_list("a,", &l), -EINVAL);
	assert_int_equal(conf_str_list(",a", &l), -EINVAL);
}

static void lookups(void **state)
{
	struct conf_tree *t = parse("connections {\n site-a {\n  children {\n   net {\n    mode = "
				    "tunnel\n   }\n  }\n }\n}\n");
	const struct conf_node *c, *n;
	char path[100];

	(void)state;
	c = conf_find(t->root, "connections.site-a.children");
	assert_non_null(c);
	assert_true(conf_is_section(c));
	assert_int_equal(c->line, 3);
	assert_string_equal(c->file, "oak.conf");
	n = conf_find(c, "net.mode");
	assert_string_equal(n->value, "tunnel");
	assert_ptr_equal(conf_find(c, ""), c);
	assert_ptr_equal(conf_child(c, "net"), n->parent);
	assert_null(conf_find(t->root, "connections.site-b"));
	assert_null(conf_find(t->root, "connections.site-a."));
	assert_null(conf_find(t->root, "connections.site-a.children.net.mode.x"));
	assert_null(conf_child(NULL, "x"));
	assert_string_equal(conf_node_path(n, path, sizeof(path)),
			    "connections.site-a.children.net.mode");
	assert_string_equal(conf_node_path(t->root, path, sizeof(path)), "");
	conf_tree_free(t);
}

static void typed_getters(void **state)
{
	struct conf_tree *t = parse("c {\n rekey_time = 4h\n aggressive = yes\n port = 4500\n"
				    " life_bytes = 1g\n pools = a, b\n mode = Transport\n"
				    " cleared =\n secret = \"s3cr#t\"\n base = 1.5\n}\n");
	const struct conf_node *c = conf_find(t->root, "c");
	struct conf_err err;
	struct conf_list l;
	const char *s;
	uint64_t u;
	double d;
	bool b;
	int i;
	static const char *const modes[] = {"tunnel", "transport", NULL};

	(void)state;
	assert_int_equal(conf_get_time(c, "rekey_time", 0, &u, &err), 0);
	assert_int_equal(u, 14400);
	assert_int_equal(conf_get_bool(c, "aggressive", false, &b, &err), 0);
	assert_true(b);
	assert_int_equal(conf_get_uint(c, "port", 1, 65535, 500, &u, &err), 0);
	assert_int_equal(u, 4500);
	assert_int_equal(conf_get_bytes(c, "life_bytes", 0, &u, &err), 0);
	assert_true(u == 1ULL << 30);
	assert_int_equal(conf_get_list(c, "pools", &l, &err), 0);
	assert_int_equal(l.count, 2);
	conf_list_free(&l);
	assert_int_equal(conf_get_enum(c, "mode", modes, 0, &i, &err), 0);
	assert_int_equal(i, 1);
	assert_int_equal(conf_get_str(c, "secret", NULL, &s, &err), 0);
	assert_string_equal(s, "s3cr#t");
	assert_int_equal(conf_get_decimal(c, "base", 2.0, &d, &err), 0);
	assert_true(d == 1.5);
	/* absent, and cleared with "key =": the default */
	assert_int_equal(conf_get_time(c, "dpd_delay", 30, &u, &err), 0);
	assert_int_equal(u, 30);
	assert_int_equal(conf_get_time(c, "cleared", 7, &u, &err), 0);
	assert_int_equal(u, 7);
	assert_int_equal(conf_get_str(c, "cleared", "dflt", &s, &err), 0);
	assert_string_equal(s, "dflt");
	assert_int_equal(conf_get_list(c, "missing", &l, &err), 0);
	assert_int_equal(l.count, 0);
	assert_int_equal(conf_get_enum(c, "missing", modes, 0, &i, &err), 0);
	assert_int_equal(i, 0);
	assert_int_equal(conf_get_bool(NULL, "x", true, &b, &err), 0);
	assert_true(b);
	conf_tree_free(t);
}

static void typed_errors(void **state)
{
	struct conf_tree *t = parse("\n\nc {\n rekey_time = soon\n aggressive = sometimes\n"
				    " port = 70000\n life_bytes = lots\n pools = a,,b\n"
				    " mode = bound\n sub {\n }\n retries = -1\n}\n");
	const struct conf_node *c = conf_find(t->root, "c");
	static const char *const modes[] = {"tunnel", "transport", NULL};
	struct conf_err err;
	struct conf_list l;
	uint64_t u = 1;
	bool b;
	int i;

	(void)state;
	assert_int_equal(conf_get_time(c, "rekey_time", 0, &u, &err), -EINVAL);
	err_is(&err, "oak.conf:4: rekey_time: expected a time like 4h or 3600s, got 'soon'");
	assert_int_equal(conf_get_bool(c, "aggressive", false, &b, &err), -EINVAL);
	err_is(&err, "oak.conf:5: aggressive: expected yes or no, got 'sometimes'");
	assert_int_equal(conf_get_uint(c, "port", 1, 65535, 500, &u, &err), -EINVAL);
	err_is(&err, "oak.conf:6: port: expected an integer from 1 to 65535, got '70000'");
	assert_int_equal(conf_get_uint(c, "retries", 0, UINT64_MAX, 0, &u, &err), -EINVAL);
	err_is(&err, "oak.conf:12: retries: expected a non-negative integer, got '-1'");
	assert_int_equal(conf_get_bytes(c, "life_bytes", 0, &u, &err), -EINVAL);
	err_is(&err, "oak.conf:7: life_bytes: expected a byte count like 500m, 2g or 1048576, got "
		     "'lots'");
	assert_int_equal(conf_get_list(c, "pools", &l, &err), -EINVAL);
	err_is(&err, "oak.conf:8: pools: expected a comma-separated list without empty items, got "
		     "'a,,b'");
	assert_int_equal(conf_get_enum(c, "mode", modes, 0, &i, &err), -EINVAL);
	err_is(&err, "oak.conf:9: mode: expected one of tunnel, transport, got 'bound'");
	assert_int_equal(conf_get_time(c, "sub", 0, &u, &err), -EINVAL);
	err_is(&err, "oak.conf:10: sub: expected a value, got a section");
	conf_tree_free(t);
}

static void errors_format(void **state)
{
	struct conf_err err;
	char buf[40];

	(void)state;
	conf_err_set(&err, "oak.conf", 12, "expected '%c'", '=');
	assert_string_equal(conf_err_str(&err, buf, sizeof(buf)), "oak.conf:12: expected '='");
	conf_err_set(&err, "oak.conf", 0, "bad");
	assert_string_equal(conf_err_str(&err, buf, sizeof(buf)), "oak.conf: bad");
	/* truncated, never overflowing */
	conf_err_set(&err, "a-very-long-file-name.conf", 123456, "and a long message too");
	assert_int_equal(strlen(conf_err_str(&err, buf, sizeof(buf))), sizeof(buf) - 1);
	conf_err_set(NULL, "x", 1, "ignored");
}

static void building_trees(void **state)
{
	struct conf_tree *t = conf_tree_new();
	const char *f;
	struct conf_node *s, *k;

	(void)state;
	assert_non_null(t);
	f = conf_tree_file(t, "vici");
	assert_ptr_equal(conf_tree_file(t, "vici"), f); /* one copy per name */
	s = conf_node_add(t, t->root, "conn", NULL, f, 0);
	k = conf_node_add(t, s, "version", "1", f, 0);
	assert_int_equal(conf_node_set_value(k, "2", f, 3), 0);
	assert_string_equal(conf_find(t->root, "conn.version")->value, "2");
	assert_int_equal(k->line, 3);
	assert_int_equal(t->nodes, 3);
	conf_tree_free(t);
	conf_tree_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bools),	  cmocka_unit_test(integers),
		cmocka_unit_test(times),	  cmocka_unit_test(bytes),
		cmocka_unit_test(decimals),	  cmocka_unit_test(lists),
		cmocka_unit_test(lookups),	  cmocka_unit_test(typed_getters),
		cmocka_unit_test(typed_errors),	  cmocka_unit_test(errors_format),
		cmocka_unit_test(building_trees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
