/* test_schema: which names oakd accepts, and the errors for all others. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "conf/parse.h"
#include "conf/schema.h"
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

/* The schema errors of text, one per line as "FILE:LINE: MSG" (static). */
static const char *check(const char *text, size_t *count)
{
	static char out[4096];
	struct conf_err errs[8];
	struct conf_tree *t = parse(text);
	size_t n, i, used = 0;

	n = conf_schema_check(t, errs, 8);
	out[0] = '\0';
	for (i = 0; i < n && i < 8; i++) {
		char line[600];

		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s\n",
					 conf_err_str(&errs[i], line, sizeof(line)));
	}
	if (count)
		*count = n;
	conf_tree_free(t);
	return out;
}

static void example_configuration_is_clean(void **state)
{
	struct conf_tree *t = NULL;
	struct conf_err err, errs[4];
	char buf[600];

	(void)state;
	if (conf_parse_file(th_src_path("tests/conf/data/swanctl.conf"), &t, &err) != 0)
		fail_msg("%s", conf_err_str(&err, buf, sizeof(buf)));
	if (conf_schema_check(t, errs, 4) != 0)
		fail_msg("%s", conf_err_str(&errs[0], buf, sizeof(buf)));
	conf_tree_free(t);
}

static void unknown_names_with_suggestions(void **state)
{
	(void)state;
	assert_string_equal(
		check("connections {\n"
		      "\n"
		      "\n"
		      "\n"
		      "  site-a {\n"
		      "    version = 2\n"
		      "    proposal = aes128-sha256-x25519\n"
		      "  }\n"
		      "}\n",
		      NULL),
		"oak.conf:7: unknown key 'proposal' in connections.site-a (did you mean "
		"'proposals'?)\n");
	assert_string_equal(check("connections {\n a {\n  childs {\n  }\n }\n}\n", NULL),
			    "oak.conf:3: unknown section 'childs' in connections.a (did you mean "
			    "'children'?)\n");
	assert_string_equal(
		check("connections {\n a {\n  children {\n   c {\n    esp_proposal = x\n   }\n  "
		      "}\n "
		      "}\n}\n",
		      NULL),
		"oak.conf:5: unknown key 'esp_proposal' in connections.a.children.c (did you mean "
		"'esp_proposals'?)\n");
	/* nothing close: no suggestion */
	assert_string_equal(check("connections {\n a {\n  frobnicate = 1\n }\n}\n", NULL),
			    "oak.conf:3: unknown key 'frobnicate' in connections.a\n");
	assert_string_equal(check("conections {\n}\n", NULL),
			    "oak.conf:1: unknown section 'conections' at the top level (did you "
			    "mean 'connections'?)\n");
	assert_string_equal(check("charon {\n}\nversion = 2\n", NULL),
			    "oak.conf:1: unknown section 'charon' at the top level\n"
			    "oak.conf:3: unknown key 'version' at the top level\n");
}

static void unsupported_names(void **state)
{
	(void)state;
	assert_string_equal(
		check("connections {\n a {\n  version = 2\n\n\n\n\n\n  mediation = "
		      "yes\n }\n}\n",
		      NULL),
		"oak.conf:9: 'mediation' is a swanctl.conf key oakd does not support\n");
	assert_string_equal(
		check("secrets {\n token1 {\n  handle = 0102\n  pin = 1234\n }\n}\n", NULL),
		"oak.conf:2: 'token1' is a swanctl.conf section oakd does not support\n");
	assert_string_equal(check("authorities {\n ca {\n  cacert = ca.pem\n  cert_uri_base = "
				  "http://x/\n }\n}\n",
				  NULL),
			    "oak.conf:4: 'cert_uri_base' is a swanctl.conf key oakd does not "
			    "support\n");
}

static void keys_and_sections_swapped(void **state)
{
	(void)state;
	assert_string_equal(check("connections {\n a {\n  proposals {\n  }\n }\n}\n", NULL),
			    "oak.conf:3: 'proposals' in connections.a is a key, not a section\n");
	assert_string_equal(check("connections {\n a {\n  children = x\n }\n}\n", NULL),
			    "oak.conf:3: 'children' in connections.a is a section, not a key\n");
	assert_string_equal(check("connections = site-a\n", NULL),
			    "oak.conf:1: 'connections' in the top level is a section, not a key\n");
}

static void prefixed_and_any_names(void **state)
{
	size_t n;

	(void)state;
	assert_string_equal(
		check("connections {\n a {\n  local-1 {\n   auth = pubkey\n   cert-hsm {\n    file "
		      "= "
		      "/etc/oak/x509/gw.pem\n   }\n  }\n  local2 {\n   auth = eap-tls\n  }\n"
		      "  remote {\n   cacert1 {\n    file = /etc/oak/x509ca/ca.pem\n   }\n  }\n "
		      "}\n}\n"
		      "secrets {\n eap-carol {\n  id-1 = carol\n  id-2 = carol@example.org\n  "
		      "secret = "
		      "x\n }\n xauth {\n  secret = y\n }\n pkcs12-gw {\n  file = gw.p12\n  secret "
		      "= "
		      "z\n }\n}\n"
		      "pools {\n p {\n  addrs = 10.0.0.0/24\n  25 = a.example.org\n }\n}\n",
		      &n),
		"");
	assert_int_equal(n, 0);
	/* a prefix only matches its kind: a key "local1" is not an auth round */
	assert_string_equal(check("connections {\n a {\n  local1 = x\n }\n}\n", NULL),
			    "oak.conf:3: unknown key 'local1' in connections.a\n");
	/* pool attributes by number, but not any word */
	assert_string_equal(check("pools {\n p {\n  dnss = 1.1.1.1\n }\n}\n", NULL),
			    "oak.conf:3: unknown key 'dnss' in pools.p (did you mean 'dns'?)\n");
}

static void values_are_checked(void **state)
{
	size_t n;

	(void)state;
	assert_string_equal(
		check("connections {\n a {\n  rekey_time = soon\n  aggressive = maybe\n  version = "
		      "3\n"
		      "  dscp = 102\n  fragmentation = always\n  local_addrs = a,,b\n  children {\n"
		      "   c {\n    life_bytes = 1t\n    mode = bound\n    tfc_padding = big\n"
		      "    start_action = trap|start\n    rekey_time =\n   }\n  }\n }\n}\n",
		      &n),
		"oak.conf:3: rekey_time: expected a time like 4h or 3600s, got 'soon'\n"
		"oak.conf:4: aggressive: expected yes or no, got 'maybe'\n"
		"oak.conf:5: version: expected an integer from 0 to 2, got '3'\n"
		"oak.conf:6: dscp: expected six binary digits like 101110, got '102'\n"
		"oak.conf:7: fragmentation: expected one of yes, accept, no, force, got 'always'\n"
		"oak.conf:8: local_addrs: expected a comma-separated list without empty items, got "
		"'a,,b'\n"
		"oak.conf:11: life_bytes: expected a byte count like 500m, 2g or 1048576, got "
		"'1t'\n"
		"oak.conf:12: mode: expected one of tunnel, transport, transport_proxy, beet, "
		"pass, "
		"drop, got 'bound'\n");
	/* all of them are counted, the first 8 reported */
	assert_int_equal(n, 9);
}

static void first_error_and_count(void **state)
{
	struct conf_tree *t = parse("a {\n}\nb {\n}\nc {\n}\n");
	struct conf_err errs[1];

	(void)state;
	assert_int_equal(conf_schema_check(t, errs, 1), 3);
	assert_int_equal(errs[0].line, 1);
	assert_int_equal(conf_schema_check(t, NULL, 0), 3);
	conf_tree_free(t);
}

static void templates(void **state)
{
	size_t n;

	(void)state;
	/* a template at the top is checked where it is inherited, once */
	assert_string_equal(check("defaults {\n  rekey_time = 4h\n  proposal = x\n}\n"
				  "connections {\n a : defaults {\n }\n b : defaults {\n }\n}\n",
				  &n),
			    "oak.conf:3: unknown key 'proposal' in connections.a (did you mean "
			    "'proposals'?)\n");
	assert_int_equal(n, 1);
	/* one that nobody references is just unknown */
	assert_string_equal(check("defaults {\n}\n", NULL),
			    "oak.conf:1: unknown section 'defaults' at the top level\n");
}

static void daemon_section(void **state)
{
	(void)state;
	assert_string_equal(
		check("daemon {\n kernel = record\n record_file = /tmp/r\n threads = 2\n"
		      " x509_dir = /etc/oak/x509\n x509ca_dir = /etc/oak/x509ca\n"
		      " private_dir = /etc/oak/private\n"
		      " retransmit_timeout = 4.5\n log {\n  ike = debug\n  all = 4\n"
		      "  kernel = TRACE\n }\n}\n",
		      NULL),
		"");
	assert_string_equal(
		check("daemon {\n kernel = netlink\n port = 0x10000\n log {\n"
		      "  ikev2 = debug\n  net = loud\n }\n}\n",
		      NULL),
		"oak.conf:2: kernel: expected one of xfrm, record, got 'netlink'\n"
		"oak.conf:3: port: expected an integer from 0 to 65535, got '0x10000'\n"
		"oak.conf:5: unknown log subsystem 'ikev2' (expected all, daemon, cfg, "
		"net, wire, crypto, ike, kernel, vici, ctl)\n"
		"oak.conf:6: net: expected a log level (err, warn, notice, info, debug, "
		"trace or 3-8), got 'loud'\n");
}

/* Every name of swanctl.conf(5) of strongSwan 5.9.8 (the man page's list),
 * with <conn>, <suffix>, ... filled in. */
static const char *const swanctl_5_9_8[] = {
	"connections.<conn>.version",
	"connections.<conn>.local_addrs",
	"connections.<conn>.remote_addrs",
	"connections.<conn>.local_port",
	"connections.<conn>.remote_port",
	"connections.<conn>.proposals",
	"connections.<conn>.vips",
	"connections.<conn>.aggressive",
	"connections.<conn>.pull",
	"connections.<conn>.dscp",
	"connections.<conn>.encap",
	"connections.<conn>.mobike",
	"connections.<conn>.dpd_delay",
	"connections.<conn>.dpd_timeout",
	"connections.<conn>.fragmentation",
	"connections.<conn>.childless",
	"connections.<conn>.send_certreq",
	"connections.<conn>.send_cert",
	"connections.<conn>.ppk_id",
	"connections.<conn>.ppk_required",
	"connections.<conn>.keyingtries",
	"connections.<conn>.unique",
	"connections.<conn>.reauth_time",
	"connections.<conn>.rekey_time",
	"connections.<conn>.over_time",
	"connections.<conn>.rand_time",
	"connections.<conn>.pools",
	"connections.<conn>.if_id_in",
	"connections.<conn>.if_id_out",
	"connections.<conn>.mediation",
	"connections.<conn>.mediated_by",
	"connections.<conn>.mediation_peer",
	"connections.<conn>.local<suffix>.round",
	"connections.<conn>.local<suffix>.certs",
	"connections.<conn>.local<suffix>.cert<suffix>",
	"connections.<conn>.local<suffix>.cert<suffix>.file",
	"connections.<conn>.local<suffix>.cert<suffix>.handle",
	"connections.<conn>.local<suffix>.cert<suffix>.slot",
	"connections.<conn>.local<suffix>.cert<suffix>.module",
	"connections.<conn>.local<suffix>.pubkeys",
	"connections.<conn>.local<suffix>.auth",
	"connections.<conn>.local<suffix>.id",
	"connections.<conn>.local<suffix>.eap_id",
	"connections.<conn>.local<suffix>.aaa_id",
	"connections.<conn>.local<suffix>.xauth_id",
	"connections.<conn>.remote<suffix>.round",
	"connections.<conn>.remote<suffix>.id",
	"connections.<conn>.remote<suffix>.eap_id",
	"connections.<conn>.remote<suffix>.groups",
	"connections.<conn>.remote<suffix>.cert_policy",
	"connections.<conn>.remote<suffix>.certs",
	"connections.<conn>.remote<suffix>.cert<suffix>",
	"connections.<conn>.remote<suffix>.cert<suffix>.file",
	"connections.<conn>.remote<suffix>.cert<suffix>.handle",
	"connections.<conn>.remote<suffix>.cert<suffix>.slot",
	"connections.<conn>.remote<suffix>.cert<suffix>.module",
	"connections.<conn>.remote<suffix>.cacerts",
	"connections.<conn>.remote<suffix>.cacert<suffix>",
	"connections.<conn>.remote<suffix>.cacert<suffix>.file",
	"connections.<conn>.remote<suffix>.cacert<suffix>.handle",
	"connections.<conn>.remote<suffix>.cacert<suffix>.slot",
	"connections.<conn>.remote<suffix>.cacert<suffix>.module",
	"connections.<conn>.remote<suffix>.ca_id",
	"connections.<conn>.remote<suffix>.pubkeys",
	"connections.<conn>.remote<suffix>.revocation",
	"connections.<conn>.remote<suffix>.auth",
	"connections.<conn>.children.<child>.ah_proposals",
	"connections.<conn>.children.<child>.esp_proposals",
	"connections.<conn>.children.<child>.sha256_96",
	"connections.<conn>.children.<child>.local_ts",
	"connections.<conn>.children.<child>.remote_ts",
	"connections.<conn>.children.<child>.rekey_time",
	"connections.<conn>.children.<child>.life_time",
	"connections.<conn>.children.<child>.rand_time",
	"connections.<conn>.children.<child>.rekey_bytes",
	"connections.<conn>.children.<child>.life_bytes",
	"connections.<conn>.children.<child>.rand_bytes",
	"connections.<conn>.children.<child>.rekey_packets",
	"connections.<conn>.children.<child>.life_packets",
	"connections.<conn>.children.<child>.rand_packets",
	"connections.<conn>.children.<child>.updown",
	"connections.<conn>.children.<child>.hostaccess",
	"connections.<conn>.children.<child>.mode",
	"connections.<conn>.children.<child>.policies",
	"connections.<conn>.children.<child>.policies_fwd_out",
	"connections.<conn>.children.<child>.dpd_action",
	"connections.<conn>.children.<child>.ipcomp",
	"connections.<conn>.children.<child>.inactivity",
	"connections.<conn>.children.<child>.reqid",
	"connections.<conn>.children.<child>.priority",
	"connections.<conn>.children.<child>.interface",
	"connections.<conn>.children.<child>.mark_in",
	"connections.<conn>.children.<child>.mark_in_sa",
	"connections.<conn>.children.<child>.mark_out",
	"connections.<conn>.children.<child>.set_mark_in",
	"connections.<conn>.children.<child>.set_mark_out",
	"connections.<conn>.children.<child>.if_id_in",
	"connections.<conn>.children.<child>.if_id_out",
	"connections.<conn>.children.<child>.label",
	"connections.<conn>.children.<child>.label_mode",
	"connections.<conn>.children.<child>.tfc_padding",
	"connections.<conn>.children.<child>.replay_window",
	"connections.<conn>.children.<child>.hw_offload",
	"connections.<conn>.children.<child>.copy_df",
	"connections.<conn>.children.<child>.copy_ecn",
	"connections.<conn>.children.<child>.copy_dscp",
	"connections.<conn>.children.<child>.start_action",
	"connections.<conn>.children.<child>.close_action",
	"secrets.eap<suffix>.secret",
	"secrets.eap<suffix>.id<suffix>",
	"secrets.ntlm<suffix>.secret",
	"secrets.ntlm<suffix>.id<suffix>",
	"secrets.ike<suffix>.secret",
	"secrets.ike<suffix>.id<suffix>",
	"secrets.ppk<suffix>.secret",
	"secrets.ppk<suffix>.id<suffix>",
	"secrets.private<suffix>.file",
	"secrets.private<suffix>.secret",
	"secrets.rsa<suffix>.file",
	"secrets.rsa<suffix>.secret",
	"secrets.ecdsa<suffix>.file",
	"secrets.ecdsa<suffix>.secret",
	"secrets.pkcs8<suffix>.file",
	"secrets.pkcs8<suffix>.secret",
	"secrets.pkcs12<suffix>.file",
	"secrets.pkcs12<suffix>.secret",
	"secrets.token<suffix>.handle",
	"secrets.token<suffix>.slot",
	"secrets.token<suffix>.module",
	"secrets.token<suffix>.pin",
	"pools.<name>.addrs",
	"pools.<name>.<attr>",
	"authorities.<name>.cacert",
	"authorities.<name>.file",
	"authorities.<name>.handle",
	"authorities.<name>.slot",
	"authorities.<name>.module",
	"authorities.<name>.crl_uris",
	"authorities.<name>.ocsp_uris",
	"authorities.<name>.cert_uri_base",
	"secrets.xauth<suffix>.secret",
	"secrets.xauth<suffix>.id<suffix>",
};

/* The names oakd rejects as unsupported. */
static const char *const unsupported[] = {
	"connections.<conn>.mediation",
	"connections.<conn>.mediated_by",
	"connections.<conn>.mediation_peer",
	"connections.<conn>.local<suffix>.cert<suffix>.handle",
	"connections.<conn>.local<suffix>.cert<suffix>.slot",
	"connections.<conn>.local<suffix>.cert<suffix>.module",
	"connections.<conn>.remote<suffix>.groups",
	"connections.<conn>.remote<suffix>.cert<suffix>.handle",
	"connections.<conn>.remote<suffix>.cert<suffix>.slot",
	"connections.<conn>.remote<suffix>.cert<suffix>.module",
	"connections.<conn>.remote<suffix>.cacert<suffix>.handle",
	"connections.<conn>.remote<suffix>.cacert<suffix>.slot",
	"connections.<conn>.remote<suffix>.cacert<suffix>.module",
	"connections.<conn>.children.<child>.ipcomp",
	"connections.<conn>.children.<child>.label",
	"connections.<conn>.children.<child>.label_mode",
	"secrets.token<suffix>.handle",
	"secrets.token<suffix>.slot",
	"secrets.token<suffix>.module",
	"secrets.token<suffix>.pin",
	"authorities.<name>.handle",
	"authorities.<name>.slot",
	"authorities.<name>.module",
	"authorities.<name>.cert_uri_base",
};

/* Build the path in a tree, the last part a key with an empty value (the man
 * page lists the sections cert<suffix> and cacert<suffix> among the keys). */
static struct conf_tree *tree_of(const char *path, int variant)
{
	struct conf_tree *t = conf_tree_new();
	struct conf_node *n = t->root;
	const char *f = conf_tree_file(t, "man.conf");
	char copy[200], *part, *save = NULL, *next;

	snprintf(copy, sizeof(copy), "%s", path);
	for (part = strtok_r(copy, ".", &save); part; part = next) {
		char name[64], *lt;

		next = strtok_r(NULL, ".", &save);
		snprintf(name, sizeof(name), "%s", part);
		if ((lt = strstr(name, "<suffix>")))
			snprintf(lt, sizeof(name) - (size_t)(lt - name), "%s", variant ? "-2" : "");
		else if (name[0] == '<')
			snprintf(name, sizeof(name), "%s",
				 strcmp(part, "<attr>") == 0 ? (variant ? "25" : "dns") : "x");
		n = conf_node_add(t, n, name, next || strstr(part, "cert<") ? NULL : "", f, 1);
	}
	return t;
}

static bool is_unsupported(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (strcmp(unsupported[i], path) == 0)
			return true;
	return false;
}

static void every_swanctl_name_is_known(void **state)
{
	size_t i;
	int v;

	(void)state;
	for (i = 0; i < sizeof(swanctl_5_9_8) / sizeof(swanctl_5_9_8[0]); i++) {
		for (v = 0; v < 2; v++) {
			struct conf_tree *t = tree_of(swanctl_5_9_8[i], v);
			struct conf_err err;
			size_t n = conf_schema_check(t, &err, 1);

			if (is_unsupported(swanctl_5_9_8[i])) {
				if (n != 1 || !strstr(err.msg, "oakd does not support"))
					fail_msg("%s: want unsupported, got %zu errors",
						 swanctl_5_9_8[i], n);
			} else if (n != 0) {
				fail_msg("%s: %s", swanctl_5_9_8[i], err.msg);
			}
			conf_tree_free(t);
		}
	}
}

static void schema_of_nodes(void **state)
{
	struct conf_tree *t =
		parse("connections {\n a {\n  local-x {\n   id = me\n  }\n  children {\n"
		      "   c {\n    rekey_bytes = 1m\n   }\n  }\n  bogus {\n   x = 1\n  }\n"
		      " }\n}\n");
	const struct conf_schema *r;

	(void)state;
	r = conf_schema_of(conf_find(t->root, "connections.a.children.c.rekey_bytes"));
	assert_non_null(r);
	assert_int_equal(r->type, CONF_T_BYTES);
	r = conf_schema_of(conf_find(t->root, "connections.a.local-x"));
	assert_non_null(r);
	assert_string_equal(r->name, "local");
	assert_null(conf_schema_of(conf_find(t->root, "connections.a.bogus.x")));
	assert_null(conf_schema_of(t->root));
	conf_tree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(example_configuration_is_clean),
		cmocka_unit_test(unknown_names_with_suggestions),
		cmocka_unit_test(unsupported_names),
		cmocka_unit_test(keys_and_sections_swapped),
		cmocka_unit_test(prefixed_and_any_names),
		cmocka_unit_test(values_are_checked),
		cmocka_unit_test(first_error_and_count),
		cmocka_unit_test(templates),
		cmocka_unit_test(daemon_section),
		cmocka_unit_test(every_swanctl_name_is_known),
		cmocka_unit_test(schema_of_nodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
