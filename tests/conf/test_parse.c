/* test_parse: swanctl.conf files into trees: real examples, every error a user
 * can make (with file and line), merging, includes and references. */
#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/parse.h"
#include "conf/tree.h"

static struct conf_tree *parse_ok(const char *text)
{
	struct conf_tree *t = NULL;
	struct conf_err err;
	char buf[600];

	if (conf_parse_string("oak.conf", text, &t, &err) != 0)
		fail_msg("unexpected error: %s", conf_err_str(&err, buf, sizeof(buf)));
	assert_non_null(t);
	return t;
}

/* Parse text that must fail; returns the error code, err filled. */
static int parse_bad(const char *text, struct conf_err *err)
{
	struct conf_tree *t = (struct conf_tree *)1;
	int rc;

	memset(err, 0, sizeof(*err));
	rc = conf_parse_string("oak.conf", text, &t, err);
	assert_true(rc < 0);
	assert_null(t); /* all or nothing */
	return rc;
}

static void assert_err(const struct conf_err *err, const char *file, int line, const char *msg)
{
	char buf[600];

	conf_err_str(err, buf, sizeof(buf));
	if (strcmp(err->msg, msg) != 0 || err->line != line)
		fail_msg("got '%s', want line %d '%s'", buf, line, msg);
	/* file: the end of the path, so absolute paths of the tree compare too */
	if (strlen(err->file) < strlen(file) ||
	    strcmp(err->file + strlen(err->file) - strlen(file), file) != 0)
		fail_msg("got '%s', want it in file %s", buf, file);
}

static const char *val(const struct conf_tree *t, const char *path)
{
	const struct conf_node *n = conf_find(t->root, path);

	return n && !conf_is_section(n) ? n->value : NULL;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && strcmp(s + a - b, tail) == 0;
}

/* ---- the example configuration of tests/conf/data ---- */

static void example_site_psk(const struct conf_tree *t)
{
	const struct conf_node *c = conf_find(t->root, "connections.site-psk");
	uint64_t u;

	assert_non_null(c);
	assert_string_equal(val(t, "connections.site-psk.version"), "2");
	assert_string_equal(val(t, "connections.site-psk.local_addrs"), "192.0.2.1");
	assert_string_equal(val(t, "connections.site-psk.remote_addrs"), "198.51.100.2");
	assert_string_equal(val(t, "connections.site-psk.proposals"),
			    "aes256gcm16-prfsha384-ecp384, aes128-sha256-modp2048");
	assert_string_equal(val(t, "connections.site-psk.local.auth"), "psk");
	assert_string_equal(val(t, "connections.site-psk.local.id"), "moon.example.org");
	assert_string_equal(val(t, "connections.site-psk.remote.id"), "sun.example.org");
	assert_string_equal(val(t, "connections.site-psk.children.net-net.remote_ts"),
			    "10.2.0.0/16");
	assert_string_equal(val(t, "connections.site-psk.children.net-net.updown"),
			    "/usr/local/libexec/oak/updown.sh iptables");
	assert_string_equal(val(t, "secrets.ike-sun.secret"),
			    "0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL # not a comment");
	assert_string_equal(val(t, "secrets.ike-sun.id-moon"), "moon.example.org");
	/* where a value came from */
	assert_true(
		ends_with(conf_find(c, "proposals")->file, "tests/conf/data/conf.d/site-psk.conf"));
	assert_int_equal(conf_find(c, "proposals")->line, 10);
	assert_int_equal(c->line, 6);
	/* typed reads */
	assert_int_equal(conf_get_time(c, "dpd_delay", 0, &u, NULL), 0);
	assert_int_equal(u, 30);
	assert_int_equal(conf_get_time(c, "rekey_time", 0, &u, NULL), 0);
	assert_int_equal(u, 4 * 3600);
	assert_int_equal(conf_get_bytes(c, "children.net-net.life_bytes", 0, &u, NULL), 0);
	assert_true(u == 4ULL << 30);
	assert_int_equal(conf_get_bytes(c, "children.net-net.rekey_bytes", 0, &u, NULL), 0);
	assert_true(u == 500ULL << 20);
	assert_int_equal(conf_get_uint(c, "version", 0, 2, 0, &u, NULL), 0);
	assert_int_equal(u, 2);
}

static void example_rw_cert(const struct conf_tree *t)
{
	const struct conf_node *c = conf_find(t->root, "connections.rw");
	struct conf_list l;
	bool b;

	assert_non_null(c);
	assert_string_equal(val(t, "connections.rw.local.certs"), "moonCert.pem");
	assert_string_equal(val(t, "connections.rw.remote.cacerts"), "strongswanCert.pem");
	assert_int_equal(conf_get_bool(c, "send_certreq", true, &b, NULL), 0);
	assert_false(b);
	assert_int_equal(conf_get_bool(c, "mobike", false, &b, NULL), 0);
	assert_true(b);
	assert_int_equal(conf_get_list(c, "children.rw.local_ts", &l, NULL), 0);
	assert_int_equal(l.count, 2);
	assert_string_equal(l.items[0], "10.1.0.0/16");
	assert_string_equal(l.items[1], "2001:db8:1::/48");
	conf_list_free(&l);
	assert_string_equal(val(t, "pools.rw_pool.addrs"), "10.3.0.0/24");
	assert_string_equal(val(t, "pools.rw_pool.25"), "split.example.org");
	/* the continued quoted line */
	assert_string_equal(val(t, "authorities.strongswan.crl_uris"),
			    "http://crl.example.org/strongswan.crl, ldap://ldap.example.org/"
			    "cn=strongSwan%20Root%20CA?certificateRevocationList");
}

static void example_v1_aggressive(const struct conf_tree *t)
{
	const struct conf_node *c = conf_find(t->root, "connections.branch");
	const struct conf_node *n;
	uint64_t u;

	assert_non_null(c);
	/* inherited from the template v1-defaults */
	assert_string_equal(val(t, "connections.branch.version"), "1");
	assert_string_equal(val(t, "connections.branch.aggressive"), "yes");
	assert_string_equal(val(t, "connections.branch.local.auth"), "psk");
	assert_string_equal(val(t, "connections.branch.remote.auth"), "psk");
	/* merged with its own local { } */
	assert_string_equal(val(t, "connections.branch.local.id"), "@moon-branch");
	assert_string_equal(val(t, "connections.branch.remote.id"), "203.0.113.9");
	n = conf_find(c, "version");
	assert_true(n->flags & CONF_NODE_INHERITED);
	assert_true(ends_with(n->file, "conf.d/v1-aggressive.conf"));
	assert_int_equal(n->line, 6);
	assert_true(conf_find(t->root, "v1-defaults")->flags & CONF_NODE_REFERENCED);
	assert_int_equal(conf_get_time(c, "dpd_timeout", 0, &u, NULL), 0);
	assert_int_equal(u, 120);
	assert_int_equal(conf_get_time(c, "dpd_delay", 0, &u, NULL), 0);
	assert_int_equal(u, 20);
	assert_string_equal(val(t, "secrets.ike-branch.secret"), "0x6d6f6f6e2d6272616e63682d7073");
}

static void example_configuration(void **state)
{
	struct conf_tree *t = NULL;
	struct conf_err err;
	const struct conf_node *c;
	const char *order[3] = {"rw", "site-psk", "branch"};
	char buf[600];
	int i = 0;
	double d;

	(void)state;
	if (conf_parse_file(th_src_path("tests/conf/data/swanctl.conf"), &t, &err) != 0)
		fail_msg("%s", conf_err_str(&err, buf, sizeof(buf)));
	example_site_psk(t);
	example_rw_cert(t);
	example_v1_aggressive(t);
	/* conf.d/ files are read in sorted order, connections keep it */
	conf_foreach(c, conf_find(t->root, "connections"))
	{
		assert_true(i < 3);
		assert_string_equal(c->name, order[i++]);
	}
	assert_int_equal(i, 3);
	assert_string_equal(val(t, "daemon.listen"), "192.0.2.1, 2001:db8::1");
	assert_string_equal(val(t, "daemon.log.cfg"), "info");
	assert_int_equal(
		conf_get_decimal(conf_find(t->root, "daemon"), "retransmit_base", 0, &d, NULL), 0);
	assert_true(d > 1.79 && d < 1.81);
	conf_tree_free(t);
}

/* ---- syntax errors, each with file and line ---- */

static void error_expected_eq_or_brace(void **state)
{
	struct conf_err err;

	(void)state;
	assert_int_equal(parse_bad("connections {\n  site-a {\n    proposals\n  }\n}\n", &err),
			 -EINVAL);
	assert_err(&err, "oak.conf", 3, "expected '=' or '{' after 'proposals'");
	parse_bad("a b = c\n", &err);
	assert_err(&err, "oak.conf", 1, "expected '=' or '{' after 'a'");
	parse_bad("= c\n", &err);
	assert_err(&err, "oak.conf", 1, "expected a name before '='");
	parse_bad("\n{\n}\n", &err);
	assert_err(&err, "oak.conf", 2, "expected a section name before '{'");
	parse_bad("a : {\n}\n", &err);
	assert_err(&err, "oak.conf", 1,
		   "expected the name of a section to inherit from after 'a :'");
	parse_bad("a : b c {\n}\n", &err);
	assert_err(&err, "oak.conf", 1, "expected ',' or '{' after the references of 'a'");
}

static void error_unterminated_string(void **state)
{
	struct conf_err err;
	char text[400] = "";
	int i;

	(void)state;
	for (i = 1; i < 38; i++)
		strcat(text, "a = b\n");
	strcat(text, "secret = \"open\n# still in the string\nlast line\n");
	parse_bad(text, &err);
	assert_err(&err, "oak.conf", 40, "unterminated quoted string (opened at line 38)");
}

static void error_braces(void **state)
{
	struct conf_err err;
	char buf[300];

	(void)state;
	parse_bad("connections {\n}\n\n\n\n\n\n\n}\n", &err);
	assert_err(&err, "oak.conf", 9, "'}' without an open section");
	parse_bad("connections {\n  site-a {\n    version = 2\n", &err);
	assert_err(&err, "oak.conf", 0,
		   "2 sections not closed at end of file (connections opened at line 1)");
	assert_string_equal(conf_err_str(&err, buf, sizeof(buf)),
			    "oak.conf: 2 sections not closed at end of file (connections opened "
			    "at line 1)");
	parse_bad("a {\n", &err);
	assert_err(&err, "oak.conf", 0, "1 section not closed at end of file (a opened at line 1)");
}

static void error_key_section_clash(void **state)
{
	struct conf_err err;

	(void)state;
	parse_bad("a = 1\nb = 2\na {\n}\n", &err);
	assert_err(&err, "oak.conf", 3,
		   "'a' is a key (set at line 1); it cannot also be a section");
	parse_bad("a {\n}\na = 1\n", &err);
	assert_err(&err, "oak.conf", 3,
		   "'a' is a section (opened at line 1); it cannot also be a key");
}

static void error_lexical_in_parser(void **state)
{
	struct conf_err err;
	struct conf_tree *t = (struct conf_tree *)1;

	(void)state;
	assert_int_equal(conf_parse_buf("oak.conf", "a = 1\nb\0 = 2", 12, &t, &err), -EINVAL);
	assert_null(t);
	assert_err(&err, "oak.conf", 2, "unexpected character 0x00");
	parse_bad("s {\n\"x\" = 1\n}", &err);
	assert_err(&err, "oak.conf", 2,
		   "unexpected quoted string (quotes are for values after '=')");
}

static void error_too_deep(void **state)
{
	struct conf_err err;
	char text[1024] = "";
	int i;

	(void)state;
	for (i = 0; i < CONF_MAX_SECTION_DEPTH + 1; i++)
		strcat(text, "s {\n");
	parse_bad(text, &err);
	assert_err(&err, "oak.conf", CONF_MAX_SECTION_DEPTH + 1, "sections nested deeper than 32");
	/* 32 levels are fine */
	text[0] = '\0';
	for (i = 0; i < CONF_MAX_SECTION_DEPTH; i++)
		strcat(text, "s {\n");
	for (i = 0; i < CONF_MAX_SECTION_DEPTH; i++)
		strcat(text, "}\n");
	conf_tree_free(parse_ok(text));
}

static void error_missing_top_file(void **state)
{
	struct conf_tree *t = (struct conf_tree *)1;
	struct conf_err err;
	char buf[600];

	(void)state;
	assert_int_equal(conf_parse_file("/nonexistent/oak.conf", &t, &err), -ENOENT);
	assert_null(t);
	assert_string_equal(conf_err_str(&err, buf, sizeof(buf)),
			    "/nonexistent/oak.conf: no such file");
	assert_int_equal(conf_parse_file(th_src_path("tests/conf/data"), &t, &err), -EINVAL);
	assert_string_equal(err.msg, "not a regular file");
}

/* ---- merge semantics ---- */

static void merge_sections_and_keys(void **state)
{
	struct conf_tree *t;
	const struct conf_node *c, *n;
	const char *names[4] = {"a", "b", "c", "d"};
	int i = 0;

	(void)state;
	t = parse_ok("conn {\n a = 1\n b = 2\n}\nother {\n}\nconn {\n c = 3\n a = 4\n d =\n}\n");
	c = conf_find(t->root, "conn");
	assert_int_equal(c->line, 1);
	conf_foreach(n, c)
	{
		assert_true(i < 4);
		assert_string_equal(n->name, names[i++]);
	}
	assert_int_equal(c->nchildren, 4);
	/* the later value wins, and says where it came from */
	assert_string_equal(val(t, "conn.a"), "4");
	assert_int_equal(conf_find(t->root, "conn.a")->line, 9);
	assert_string_equal(val(t, "conn.d"), "");
	/* two sections at the top: the merged conn and other */
	assert_int_equal(t->root->nchildren, 2);
	conf_tree_free(t);
}

static void grammar_variants(void **state)
{
	struct conf_tree *t;

	(void)state;
	/* name, newline, brace; one-line sections; keys and sections named like keywords */
	t = parse_ok("conn\n{\n a = 1 }\ns { t { u = v } }\ninclude = not an include\n"
		     "x = \"quoted\" tail\n");
	assert_string_equal(val(t, "conn.a"), "1");
	assert_string_equal(val(t, "s.t.u"), "v");
	assert_string_equal(val(t, "include"), "not an include");
	assert_string_equal(val(t, "x"), "quoted tail");
	/* a dotted name is stored as written: reach it with conf_child */
	conf_tree_free(t);
	t = parse_ok("connections {\n vpn.example.org {\n version = 2\n }\n}\n");
	assert_null(conf_find(t->root, "connections.vpn.example.org"));
	assert_string_equal(
		conf_child(conf_child(conf_find(t->root, "connections"), "vpn.example.org"),
			   "version")
			->value,
		"2");
	conf_tree_free(t);
	/* an empty text is an empty tree */
	t = parse_ok("# nothing\n");
	assert_int_equal(t->root->nchildren, 0);
	conf_tree_free(t);
}

/* ---- includes ---- */

static char tmpdir[64];

static void write_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/oak-conf-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int parse_tmp(const char *rel, struct conf_tree **t, struct conf_err *err)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	return conf_parse_file(path, t, err);
}

static void include_in_section(void **state)
{
	struct conf_tree *t;
	struct conf_err err;

	(void)state;
	assert_int_equal(
		conf_parse_file(th_src_path("tests/conf/data/include-in-section.conf"), &t, &err),
		0);
	/* section.inc's keys land in connections.site-a, its later version wins */
	assert_string_equal(val(t, "connections.site-a.version"), "2");
	assert_true(ends_with(conf_find(t->root, "connections.site-a.version")->file,
			      "data/section.inc"));
	assert_string_equal(val(t, "connections.site-a.children.c1.mode"), "transport");
	conf_tree_free(t);
}

static void include_errors(void **state)
{
	struct conf_tree *t = (struct conf_tree *)1;
	struct conf_err err;

	(void)state;
	assert_int_equal(conf_parse_file(th_src_path("tests/conf/data/errors/include-missing.conf"),
					 &t, &err),
			 -ENOENT);
	assert_null(t);
	assert_err(&err, "errors/include-missing.conf", 4, "include 'missing.conf': no such file");
	/* an error inside an included file names that file */
	assert_int_equal(conf_parse_file(th_src_path("tests/conf/data/errors/included-error.conf"),
					 &t, &err),
			 -EINVAL);
	assert_err(&err, "errors/included-bad.inc", 3, "expected '=' or '{' after 'proposals'");
	/* a cycle is found where it closes */
	assert_int_equal(
		conf_parse_file(th_src_path("tests/conf/data/errors/cycle-a.conf"), &t, &err),
		-ELOOP);
	assert_true(ends_with(err.file, "errors/cycle-b.conf"));
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "include 'cycle-a.conf': include cycle: "));
	assert_true(ends_with(err.msg, "errors/cycle-a.conf is already being read"));
	/* text has no directory: no includes */
	parse_bad("a = 1\ninclude other.conf\n", &err);
	assert_err(&err, "oak.conf", 2,
		   "include 'other.conf': includes are only read from files, not from text");
	write_file("empty-include.conf", "a = 1\n\ninclude \"\"\n");
	assert_int_equal(parse_tmp("empty-include.conf", &t, &err), -EINVAL);
	assert_err(&err, "empty-include.conf", 3, "include needs a file name or pattern");
}

static void include_glob_order_and_merge(void **state)
{
	struct conf_tree *t;
	struct conf_err err;
	char buf[600], text[300];

	(void)state;
	assert_int_equal(mkdir(strcat(strcpy(buf, tmpdir), "/conf.d"), 0700), 0);
	write_file("conf.d/20-b.conf", "conn { k = from-b\n b = 1 }\n");
	write_file("conf.d/10-a.conf", "conn { k = from-a\n a = 1 }\n");
	write_file("conf.d/notes.txt", "this is not a configuration\n");
	snprintf(text, sizeof(text),
		 "k = top\ninclude conf.d/*.conf\ninclude nowhere/*.conf\n"
		 "include %s/abs.conf\n",
		 tmpdir);
	write_file("main.conf", text);
	write_file("abs.conf", "abs = yes\n");
	if (parse_tmp("main.conf", &t, &err) != 0)
		fail_msg("%s", conf_err_str(&err, buf, sizeof(buf)));
	/* 10-a before 20-b: b's value wins; *.txt is not matched */
	assert_string_equal(val(t, "conn.k"), "from-b");
	assert_string_equal(val(t, "conn.a"), "1");
	assert_string_equal(val(t, "conn.b"), "1");
	assert_string_equal(val(t, "k"), "top");
	assert_string_equal(val(t, "abs"), "yes");
	assert_string_equal(t->root->child->next->name, "conn");
	conf_tree_free(t);
}

static void include_depth(void **state)
{
	struct conf_tree *t = NULL;
	struct conf_err err;
	char name[32], text[64];
	int i;

	(void)state;
	/* d0 includes d1 ... d16: 17 files open at once */
	for (i = 0; i <= CONF_MAX_INCLUDE_DEPTH; i++) {
		snprintf(name, sizeof(name), "d%d.conf", i);
		snprintf(text, sizeof(text), "k%d = %d\ninclude d%d.conf\n", i, i, i + 1);
		write_file(name, i == CONF_MAX_INCLUDE_DEPTH ? "last = 1\n" : text);
	}
	assert_int_equal(parse_tmp("d0.conf", &t, &err), -ELOOP);
	assert_null(t);
	assert_err(&err, "d15.conf", 2, "include 'd16.conf': includes nested deeper than 16 files");
	/* 16 files are fine */
	write_file("d15.conf", "last = 1\n");
	assert_int_equal(parse_tmp("d0.conf", &t, &err), 0);
	assert_string_equal(val(t, "k14"), "14");
	assert_string_equal(val(t, "last"), "1");
	conf_tree_free(t);
	/* a file that includes itself */
	write_file("self.conf", "a = 1\ninclude self.conf\n");
	assert_int_equal(parse_tmp("self.conf", &t, &err), -ELOOP);
	assert_int_equal(err.line, 2);
	/* the same file twice, not nested, is no cycle */
	write_file("twice.conf", "include abs2.conf\ninclude abs2.conf\n");
	write_file("abs2.conf", "x = 1\n");
	assert_int_equal(parse_tmp("twice.conf", &t, &err), 0);
	conf_tree_free(t);
}

/* ---- references ---- */

static void references_inherit(void **state)
{
	struct conf_tree *t;
	const struct conf_node *n;
	const char *order[] = {"own", "local", "children", "version", "remote-eap", "shared"};
	int i = 0;

	(void)state;
	t = parse_ok(
		"conn-defaults {\n version = 2\n local {\n auth = pubkey\n id = gw\n }\n}\n"
		"eap-defaults {\n version = 1\n remote-eap {\n auth = eap-mschapv2\n }\n"
		" shared = eap\n}\n"
		"child-defaults {\n esp_proposals = aes128gcm16\n mode = tunnel\n}\n"
		"connections {\n"
		" conn-a : conn-defaults, eap-defaults {\n  own = 1\n  local {\n   id = a\n  }\n"
		"  children {\n   child-a : child-defaults {\n    mode = transport\n   }\n  }\n"
		" }\n"
		" conn-c : connections.conn-a {\n  own = 3\n }\n"
		"}\n");
	/* own values win, then the references left to right */
	assert_string_equal(val(t, "connections.conn-a.version"), "2");
	assert_string_equal(val(t, "connections.conn-a.local.id"), "a");
	assert_string_equal(val(t, "connections.conn-a.local.auth"), "pubkey");
	assert_string_equal(val(t, "connections.conn-a.remote-eap.auth"), "eap-mschapv2");
	assert_string_equal(val(t, "connections.conn-a.children.child-a.mode"), "transport");
	assert_string_equal(val(t, "connections.conn-a.children.child-a.esp_proposals"),
			    "aes128gcm16");
	/* inherited settings follow the section's own */
	conf_foreach(n, conf_find(t->root, "connections.conn-a"))
	{
		assert_true(i < 6);
		assert_string_equal(n->name, order[i++]);
	}
	assert_int_equal(i, 6);
	/* transitive: conn-c gets what conn-a inherits */
	assert_string_equal(val(t, "connections.conn-c.own"), "3");
	assert_string_equal(val(t, "connections.conn-c.shared"), "eap");
	assert_string_equal(val(t, "connections.conn-c.children.child-a.esp_proposals"),
			    "aes128gcm16");
	assert_int_equal(conf_find(t->root, "connections.conn-c.shared")->line, 13);
	conf_tree_free(t);
}

static void references_forward_and_nested(void **state)
{
	struct conf_tree *t;

	(void)state;
	/* a reference to a section defined later, and to an inherited subsection */
	t = parse_ok(
		"connections {\n b : tmpl.sub {\n }\n a : tmpl {\n }\n c : connections.a.sub {\n"
		" }\n}\ntmpl {\n sub {\n k = v\n }\n}\n");
	assert_string_equal(val(t, "connections.b.k"), "v");
	assert_string_equal(val(t, "connections.a.sub.k"), "v");
	assert_string_equal(val(t, "connections.c.k"), "v");
	conf_tree_free(t);
	/* a section referencing its own subsection */
	t = parse_ok("a : a.b {\n b {\n k = 1\n }\n}\n");
	assert_string_equal(val(t, "a.k"), "1");
	conf_tree_free(t);
	/* references of a repeated section add up */
	t = parse_ok("x { k = 1 }\ny { l = 2 }\ns : x {\n}\ns : y {\n}\n");
	assert_string_equal(val(t, "s.k"), "1");
	assert_string_equal(val(t, "s.l"), "2");
	conf_tree_free(t);
}

static void references_errors(void **state)
{
	struct conf_err err;

	(void)state;
	parse_bad("connections {\n a : nowhere {\n }\n}\n", &err);
	assert_err(&err, "oak.conf", 2,
		   "'a' inherits from 'nowhere', which is not a section of the configuration");
	parse_bad("k = 1\na : k {\n}\n", &err);
	assert_err(&err, "oak.conf", 2, "'a' inherits from 'k', which is a key, not a section");
	assert_int_equal(parse_bad("a : b {\n}\nb : a {\n}\n", &err), -ELOOP);
	assert_err(
		&err, "oak.conf", 3,
		"'b' inherits from 'a', which contains or inherits from 'b' (a reference cycle)");
	assert_int_equal(parse_bad("a {\n b {\n c : a {\n }\n }\n}\n", &err), -ELOOP);
	assert_int_equal(err.line, 3);
	parse_bad("a : a {\n}\n", &err);
	assert_int_equal(err.line, 1);
	/* a key here, a section in the template */
	parse_bad("t {\n local {\n }\n}\nc : t {\n local = 1\n}\n", &err);
	assert_err(&err, "oak.conf", 6,
		   "'local' is a key here but a section in the inherited section (oak.conf:2)");
	parse_bad("c : a..b {\n}\na { b { } }\n", &err);
	assert_int_equal(err.line, 1);
}

static void references_keep_the_depth_limit(void **state)
{
	struct conf_err err;
	char text[2048] = "deep {\n";
	int i;

	(void)state;
	/* 30 levels below "deep", inherited by a section 3 levels down: 33 */
	for (i = 0; i < 30; i++)
		strcat(text, "s {\n");
	strcat(text, "k = v\n");
	for (i = 0; i < 31; i++)
		strcat(text, "}\n");
	strcat(text, "a {\n x {\n  b : deep {\n  }\n }\n}\n");
	parse_bad(text, &err);
	assert_err(&err, "oak.conf", 31, "inheriting 's' nests sections deeper than 32");
}

static void references_cannot_explode(void **state)
{
	struct conf_err err;
	char text[4096] = "";
	int i;

	(void)state;
	/* each level holds three copies of the next: 3^20 sections */
	for (i = 0; i < 20; i++) {
		char line[160];

		snprintf(line, sizeof(line),
			 "l%d {\n x : l%d {\n }\n y : l%d {\n }\n z : l%d {\n }\n}\n", i, i + 1,
			 i + 1, i + 1);
		strcat(text, line);
	}
	strcat(text, "l20 { k = v }\n");
	assert_int_equal(parse_bad(text, &err), -E2BIG);
	assert_string_equal(err.msg, "more than 200000 sections and keys");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(example_configuration),
		cmocka_unit_test(error_expected_eq_or_brace),
		cmocka_unit_test(error_unterminated_string),
		cmocka_unit_test(error_braces),
		cmocka_unit_test(error_key_section_clash),
		cmocka_unit_test(error_lexical_in_parser),
		cmocka_unit_test(error_too_deep),
		cmocka_unit_test(error_missing_top_file),
		cmocka_unit_test(merge_sections_and_keys),
		cmocka_unit_test(grammar_variants),
		cmocka_unit_test(include_in_section),
		cmocka_unit_test(include_errors),
		cmocka_unit_test(include_glob_order_and_merge),
		cmocka_unit_test(include_depth),
		cmocka_unit_test(references_inherit),
		cmocka_unit_test(references_forward_and_nested),
		cmocka_unit_test(references_errors),
		cmocka_unit_test(references_cannot_explode),
		cmocka_unit_test(references_keep_the_depth_limit),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
