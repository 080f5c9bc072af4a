/* Tests of the policy model: swanctl.conf(5) defaults, explicit values, the
 * file:line errors a user sees, PSK selection and file name resolution. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/model.h"
#include "conf/parse.h"
#include "crypto/alg.h"

/* Build from text; the test fails on a parse error. Returns the build's rc. */
static int build(const char *text, struct oak_config **out, struct conf_err *err)
{
	struct conf_tree *t = NULL;
	int rc = conf_parse_string("oak.conf", text, &t, err);

	if (rc)
		fail_msg("parse: %s:%d: %s", err->file, err->line, err->msg);
	return conf_model_build(t, out, err);
}

static struct oak_config *build_ok(const char *text)
{
	struct oak_config *c = NULL;
	struct conf_err err;

	if (build(text, &c, &err))
		fail_msg("build: %s:%d: %s", err.file, err.line, err.msg);
	assert_non_null(c);
	return c;
}

/* The build fails with exactly this "file:line: message". */
static void build_fails(const char *text, const char *want)
{
	struct oak_config *c = (struct oak_config *)1;
	struct conf_err err;
	char line[600];

	assert_int_equal(build(text, &c, &err), -EINVAL);
	assert_null(c);
	conf_err_str(&err, line, sizeof(line));
	if (strcmp(line, want) != 0)
		fail_msg("got  '%s'\nwant '%s'", line, want);
}

static const char psk_conf[] = "connections {\n"
			       "  gw {\n"
			       "    remote_addrs = 192.0.2.2\n"
			       "    local { auth = psk\n id = moon.example.org }\n"
			       "    remote { auth = psk\n id = sun.example.org }\n"
			       "    children { net { } }\n"
			       "  }\n"
			       "}\n"
			       "secrets { ike-1 { secret = s3cret } }\n";

static void defaults_are_swanctls(void **state)
{
	struct oak_config *c = build_ok(psk_conf);
	const struct conn_cfg *gw;
	const struct child_cfg *net;

	(void)state;
	assert_int_equal(c->refs, 1);
	assert_int_equal(c->nconns, 1);
	gw = oak_config_conn(c, "gw");
	assert_non_null(gw);
	assert_null(oak_config_conn(c, "nope"));
	assert_int_equal(gw->version, 0);
	assert_int_equal(gw->nlocal_addrs, 0);
	assert_int_equal(gw->nremote_addrs, 1);
	assert_int_equal(gw->local_port, 500);
	assert_int_equal(gw->remote_port, 500);
	assert_true(gw->nike > 0); /* proposals = default */
	assert_int_equal(gw->local.auth, AUTH_PSK);
	assert_true(gw->local.id_set);
	assert_int_equal(gw->local.id.type, IDENT_FQDN);
	assert_int_equal(gw->rekey_time, 4 * 3600);
	assert_int_equal(gw->reauth_time, 0);
	assert_int_equal(gw->over_time, 1440);
	assert_int_equal(gw->rand_time, 1440);
	assert_int_equal(gw->keyingtries, 1);
	assert_int_equal(gw->dpd_delay, 0);
	assert_true(gw->mobike);
	assert_true(gw->send_certreq);
	assert_false(gw->encap);
	assert_false(gw->aggressive);
	assert_int_equal(gw->send_cert, SEND_CERT_IFASKED);
	assert_int_equal(gw->fragmentation, FRAG_YES);

	net = conn_cfg_child(gw, "net");
	assert_non_null(net);
	assert_null(conn_cfg_child(gw, "other"));
	assert_int_equal(net->nlocal_ts, 0); /* dynamic */
	assert_int_equal(net->nremote_ts, 0);
	assert_true(net->nesp > 0);
	assert_int_equal(net->nah, 0);
	assert_int_equal(net->mode, CHILD_MODE_TUNNEL);
	assert_int_equal(net->start_action, START_NONE);
	assert_int_equal(net->rekey_time, 3600);
	assert_int_equal(net->life_time, 3960); /* rekey_time + 10% */
	assert_int_equal(net->rand_time, 360);	/* life_time - rekey_time */
	assert_int_equal(net->rekey_bytes, 0);
	assert_int_equal(net->life_bytes, 0);
	assert_int_equal(net->replay_window, 32);

	assert_int_equal(c->daemon.port, 500);
	assert_int_equal(c->daemon.port_nat_t, 4500);
	assert_int_equal(c->daemon.nlisten, 0);
	assert_string_equal(c->daemon.kernel, "record");
	assert_string_equal(c->daemon.socket, "/run/oak/oak.vici");
	assert_null(c->daemon.keylog);
	assert_int_equal(c->daemon.retransmit_tries, 5);
	assert_true(c->daemon.retransmit_timeout == 4.0);
	assert_true(c->daemon.retransmit_base == 1.8);
	assert_int_equal(c->daemon.cookie_threshold, 10);
	oak_config_unref(c);
}

static void explicit_values(void **state)
{
	struct oak_config *c = build_ok(
		"daemon {\n listen = 127.0.0.1, ::1\n port = 1500\n port_nat_t = 14500\n"
		" keylog = /tmp/k\n retransmit_tries = 3\n retransmit_timeout = 0.5\n}\n"
		"connections { gw {\n version = 2\n local_addrs = 192.0.2.1\n"
		" remote_addrs = 192.0.2.2, 2001:db8::2\n remote_port = 4501\n"
		" proposals = aes128-sha256-modp2048\n dpd_delay = 30s\n rekey_time = 2h\n"
		" encap = yes\n fragmentation = no\n send_cert = always\n"
		" children { net {\n local_ts = 10.1.0.0/16, 10.3.0.0/16\n"
		" remote_ts = 10.2.0.0/16[tcp/443]\n esp_proposals = aes256gcm16\n"
		" mode = transport\n start_action = trap\n rekey_time = 20m\n life_time = 30m\n"
		" rekey_bytes = 1m\n replay_window = 64\n reqid = 7\n } }\n} }\n");
	const struct conn_cfg *gw = oak_config_conn(c, "gw");
	const struct child_cfg *net = conn_cfg_child(gw, "net");
	char buf[TS_STRLEN];

	(void)state;
	assert_int_equal(c->daemon.nlisten, 2);
	assert_int_equal(c->daemon.listen[1].family, AF_INET6);
	assert_int_equal(c->daemon.port, 1500);
	assert_int_equal(c->daemon.port_nat_t, 14500);
	assert_string_equal(c->daemon.keylog, "/tmp/k");
	assert_int_equal(c->daemon.retransmit_tries, 3);
	assert_true(c->daemon.retransmit_timeout == 0.5);
	assert_int_equal(gw->version, 2);
	assert_int_equal(gw->nlocal_addrs, 1);
	assert_int_equal(gw->nremote_addrs, 2);
	assert_int_equal(gw->remote_addrs[1].family, AF_INET6);
	assert_int_equal(gw->remote_port, 4501);
	assert_int_equal(gw->local_port, 1500); /* daemon.port */
	assert_int_equal(gw->nike, 1);
	assert_true(proposal_has(&gw->ike[0], IKEV2_TRANS_KE, IKEV2_KE_MODP_2048, 0));
	assert_int_equal(gw->dpd_delay, 30);
	assert_int_equal(gw->rekey_time, 7200);
	assert_int_equal(gw->over_time, 720);
	assert_true(gw->encap);
	assert_int_equal(gw->fragmentation, FRAG_NO);
	assert_int_equal(gw->send_cert, SEND_CERT_ALWAYS);
	/* no local/remote sections: pubkey both ways, ids from the certificate / %any */
	assert_int_equal(gw->local.auth, AUTH_PUBKEY);
	assert_false(gw->remote.id_set);
	assert_int_equal(net->nlocal_ts, 2);
	assert_string_equal(ts_fmt(&net->local_ts[1], buf, sizeof(buf)), "10.3.0.0/16");
	assert_int_equal(net->nremote_ts, 1);
	assert_int_equal(net->remote_ts[0].proto, 6);
	assert_int_equal(net->remote_ts[0].port_lo, 443);
	assert_int_equal(net->nesp, 1);
	assert_true(proposal_has(&net->esp[0], IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 256));
	assert_int_equal(net->mode, CHILD_MODE_TRANSPORT);
	assert_int_equal(net->start_action, START_TRAP);
	assert_int_equal(net->rekey_time, 1200);
	assert_int_equal(net->life_time, 1800);
	assert_int_equal(net->rand_time, 600);
	assert_int_equal(net->rekey_bytes, 1 << 20);
	assert_int_equal(net->life_bytes, (1 << 20) / 100 * 110 + (1 << 20) % 100 * 110 / 100);
	assert_int_equal(net->replay_window, 64);
	assert_int_equal(net->reqid, 7);
	oak_config_unref(c);
}

static void reauth_turns_rekey_off(void **state)
{
	struct oak_config *c = build_ok("connections { gw { reauth_time = 10h } }\n");

	(void)state;
	/* swanctl.conf(5): with reauth_time set, rekey_time defaults to 0 */
	assert_int_equal(c->conns[0].reauth_time, 36000);
	assert_int_equal(c->conns[0].rekey_time, 0);
	assert_int_equal(c->conns[0].over_time, 3600);
	oak_config_unref(c);
}

static void any_and_synonyms(void **state)
{
	struct oak_config *c = build_ok(
		"connections { gw {\n local_addrs = %any\n remote_addrs = 192.0.2.9, %any4\n"
		" local { auth = rsa }\n remote { auth = ecdsa\n id = %any }\n"
		" children { a { start_action = route\n mode = TUNNEL }\n"
		" b { start_action = clear\n esp_proposals = default } } } }\n");
	const struct conn_cfg *gw = &c->conns[0];

	(void)state;
	assert_int_equal(gw->nlocal_addrs, 0);
	assert_int_equal(gw->nremote_addrs, 2); /* %any4: every IPv4 address */
	assert_int_equal(gw->remote_addrs[1].family, AF_INET);
	assert_true(ip_addr_is_any(&gw->remote_addrs[1]));
	assert_int_equal(gw->local.auth, AUTH_PUBKEY);
	assert_int_equal(gw->remote.auth, AUTH_PUBKEY);
	assert_false(gw->remote.id_set);
	assert_int_equal(gw->nchildren, 2);
	oak_config_unref(c);
}

static void value_errors_name_file_line_and_path(void **state)
{
	(void)state;
	build_fails("connections {\n gw {\n  children {\n   net {\n    mode = tunel\n   }\n  }\n"
		    " }\n}\n",
		    "oak.conf:5: connections.gw.children.net.mode: expected tunnel or transport, "
		    "got 'tunel'");
	build_fails("connections {\n gw {\n  children {\n   net {\n    mode = beet\n } } } }\n",
		    "oak.conf:5: connections.gw.children.net.mode: expected tunnel or transport, "
		    "got 'beet' (that mode is not supported by oakd yet)");
	build_fails("connections {\n gw {\n remote_addrs = vpn.example.org\n } }\n",
		    "oak.conf:3: connections.gw.remote_addrs: expected an IP address or %any, "
		    "got 'vpn.example.org' (oakd does not resolve host names yet: use the "
		    "address)");
	build_fails("connections {\n gw {\n local_addrs = 10.0.0.0/24\n } }\n",
		    "oak.conf:3: connections.gw.local_addrs: expected an IP address or %any, got "
		    "'10.0.0.0/24' (subnets and ranges are not supported by oakd yet)");
	build_fails("connections { gw {\n local {\n auth = eap-mschapv2\n } } }\n",
		    "oak.conf:3: connections.gw.local.auth: 'eap-mschapv2': EAP and XAuth are not "
		    "supported by oakd yet");
	build_fails("connections { gw {\n remote {\n auth = pubkey-sha256\n } } }\n",
		    "oak.conf:3: connections.gw.remote.auth: 'pubkey-sha256': signature scheme "
		    "constraints are not supported by oakd yet: use pubkey");
	build_fails("connections { gw {\n remote {\n auth = secret\n } } }\n",
		    "oak.conf:3: connections.gw.remote.auth: expected psk or pubkey, got 'secret'");
	build_fails("connections { gw {\n local-1 { auth = psk }\n local-2 { auth = psk }\n } }\n",
		    "oak.conf:3: connections.gw.local-2: several local authentication rounds "
		    "(local-1 and local-2) are not supported by oakd yet");
	build_fails("connections { gw {\n remote_addrs = 192.0.2.9, %any\n } }\n",
		    "oak.conf:2: connections.gw.remote_addrs: %any together with addresses is not "
		    "supported by oakd yet");
	build_fails("connections { gw {\n vips = 0.0.0.0\n } }\n",
		    "oak.conf:2: connections.gw.vips: virtual IPs are not supported by oakd yet");
	build_fails("connections { gw { children { net {\n updown = /bin/true\n } } } }\n",
		    "oak.conf:2: connections.gw.children.net.updown: oakd does not run updown "
		    "scripts");
	build_fails("connections { gw {\n remote_addrs = 192.0.2.2\n children { net {\n"
		    " start_action = trap|start\n } } } }\n",
		    "oak.conf:4: connections.gw.children.net.start_action: start_action = "
		    "trap|start is not supported by oakd yet: use trap or start");
	build_fails("connections { gw { children { net {\n start_action = start\n } } } }\n",
		    "oak.conf:2: connections.gw.children.net.start_action: needs the "
		    "connection's remote_addrs to initiate to");
	build_fails("connections { gw { children { net {\n local_ts = 10.0.0.0/33\n } } } }\n",
		    "oak.conf:2: connections.gw.children.net.local_ts: expected an address, subnet "
		    "or range, got '10.0.0.0/33'");
	build_fails("connections { gw { children { net {\n rekey_time = soon\n } } } }\n",
		    "oak.conf:2: connections.gw.children.net.rekey_time: expected a time like 4h "
		    "or 3600s, got 'soon'");
	build_fails("pools { p { addrs = 10.3.0.0/24 } }\n",
		    "oak.conf:1: pools.p: address pools are not supported by oakd yet");
	build_fails("daemon {\n port = 4500\n}\n",
		    "oak.conf:2: daemon.port: the IKE port must be set and differ from port_nat_t "
		    "(4500)");
	/* a setting equal to strongSwan's default is fine */
	oak_config_unref(build_ok("connections { gw {\n pull = yes\n children { net {\n"
				  " dpd_action = clear\n copy_df = yes\n"
				  " mark_in = 0/0x00000000\n } } } }\n"));
}

static void proposal_errors(void **state)
{
	struct oak_config *c = (struct oak_config *)1;
	struct conf_err err;

	(void)state;
	assert_int_equal(
		build("connections { gw {\n proposals = aes129-sha256-modp2048\n} }\n", &c, &err),
		-EINVAL);
	assert_null(c);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "connections.gw.proposals: "));
	assert_non_null(strstr(err.msg, "aes129"));
	assert_int_equal(
		build("connections { gw { children { c {\n esp_proposals = foo\n } } } }\n", &c,
		      &err),
		-EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "connections.gw.children.c.esp_proposals: "));
}

static void psk_forms(void **state)
{
	struct oak_config *c = build_ok("secrets {\n ike-a { secret = 0x0102ff }\n"
					" ike-b { secret = 0sAQL/\n id = b.example }\n"
					" ike-c { secret = \"plain text\"\n id = c.example }\n}\n");
	struct ident b;

	(void)state;
	assert_int_equal(c->npsks, 3);
	th_assert_hex(c->psks[0].secret->data, c->psks[0].secret->len, "0102ff");
	th_assert_hex(c->psks[1].secret->data, c->psks[1].secret->len, "0102ff");
	assert_int_equal(c->psks[2].secret->len, 10);
	assert_memory_equal(c->psks[2].secret->data, "plain text", 10);
	assert_int_equal(c->psks[1].nids, 1);
	assert_int_equal(ident_parse("b.example", &b, NULL, 0), 0);
	assert_true(ident_eq(&c->psks[1].ids[0], &b));
	oak_config_unref(c);
}

static void psk_errors_never_quote_the_secret(void **state)
{
	struct oak_config *c = NULL;
	struct conf_err err;

	(void)state;
	assert_int_equal(build("secrets {\n ike-a {\n secret = 0xzz-hunter2\n }\n}\n", &c, &err),
			 -EINVAL);
	assert_int_equal(err.line, 3);
	assert_null(strstr(err.msg, "hunter2"));
	assert_string_equal(
		err.msg, "secrets.ike-a.secret: expected hex digits after 0x or base64 after 0s");
	build_fails("secrets {\n ike-a {\n id = x\n }\n}\n",
		    "oak.conf:2: secrets.ike-a: expected a secret");
	build_fails(
		"secrets {\n eap-carol {\n secret = x\n }\n}\n",
		"oak.conf:2: secrets.eap-carol: eap-carol secrets are not supported by oakd yet");
}

/* strongSwan's rule: both ids match > one matches > no ids; none matching is out. */
static void psk_selection(void **state)
{
	struct oak_config *c = build_ok("secrets {\n"
					" ike-any { secret = any }\n"
					" ike-sun { secret = sun\n id = sun.example }\n"
					" ike-both { secret = both\n id-1 = moon.example\n"
					"            id-2 = sun.example }\n"
					" ike-other { secret = other\n id = mars.example }\n"
					" ike-wild { secret = wild\n id = *.venus.example }\n"
					"}\n");
	struct ident moon, sun, pluto, venus;
	const struct secret *s;

	(void)state;
	assert_int_equal(ident_parse("moon.example", &moon, NULL, 0), 0);
	assert_int_equal(ident_parse("sun.example", &sun, NULL, 0), 0);
	assert_int_equal(ident_parse("pluto.example", &pluto, NULL, 0), 0);
	assert_int_equal(ident_parse("gw.venus.example", &venus, NULL, 0), 0);
	s = oak_config_psk(c, &moon, &sun);
	assert_non_null(s);
	assert_memory_equal(s->data, "both", 4);
	s = oak_config_psk(c, &pluto, &sun);
	assert_memory_equal(s->data, "sun", 3);
	s = oak_config_psk(c, &pluto, &pluto);
	assert_memory_equal(s->data, "any", 3);
	s = oak_config_psk(c, &pluto, &venus);
	assert_memory_equal(s->data, "wild", 4);
	oak_config_unref(c);

	/* without a secret for everyone, unknown ids get nothing */
	c = build_ok("secrets { ike-x { secret = x\n id = mars.example } }\n");
	assert_null(oak_config_psk(c, &moon, &sun));
	oak_config_unref(c);
}

static void files_are_resolved(void **state)
{
	struct oak_config *c = build_ok(
		"daemon { x509_dir = /x\n x509ca_dir = /ca\n private_dir = /p }\n"
		"connections { gw {\n local { certs = moon.pem, /abs/moon2.pem }\n"
		" remote { cacerts = root.pem\n cacert-2 { file = inter.pem } } } }\n"
		"secrets { private-1 { file = moon.key }\n rsa-2 { file = /k/rsa.pem } }\n"
		"authorities { root { cacert = root.pem }\n other { file = /etc/ca.pem } }\n");
	const struct conn_cfg *gw = &c->conns[0];

	(void)state;
	assert_int_equal(gw->local.ncerts, 2);
	assert_string_equal(gw->local.certs[0], "/x/moon.pem");
	assert_string_equal(gw->local.certs[1], "/abs/moon2.pem");
	assert_int_equal(gw->remote.ncacerts, 2);
	assert_string_equal(gw->remote.cacerts[0], "/ca/root.pem");
	assert_string_equal(gw->remote.cacerts[1], "/ca/inter.pem");
	assert_int_equal(c->nprivate_keys, 2);
	assert_string_equal(c->private_keys[0], "/p/moon.key");
	assert_string_equal(c->private_keys[1], "/k/rsa.pem");
	assert_int_equal(c->ncacerts, 2);
	assert_string_equal(c->cacerts[0], "/ca/root.pem");
	assert_string_equal(c->cacerts[1], "/etc/ca.pem");
	oak_config_unref(c);
	build_fails("authorities {\n root {\n file = rel.pem\n }\n}\n",
		    "oak.conf:3: authorities.root.file: expected an absolute path, got 'rel.pem'");
	build_fails("authorities {\n root {\n crl_uris = http://x/crl\n }\n}\n",
		    "oak.conf:3: authorities.root.crl_uris: fetching CRLs is not supported by oakd "
		    "yet");
}

static void refcount_keeps_config(void **state)
{
	struct oak_config *c = build_ok(psk_conf);

	(void)state;
	assert_ptr_equal(oak_config_ref(c), c);
	assert_int_equal(c->refs, 2);
	oak_config_unref(c);
	/* still usable after one unref: an SA holds the other reference */
	assert_non_null(oak_config_conn(c, "gw"));
	oak_config_unref(c);
	oak_config_unref(NULL);
}

static void load_from_file(void **state)
{
	char path[] = "/tmp/oak-model-XXXXXX";
	int fd = mkstemp(path);
	struct oak_config *c = NULL;
	struct conf_err err;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(psk_conf, f);
	fclose(f);
	assert_int_equal(conf_model_load(path, &c, &err), 0);
	assert_int_equal(c->nconns, 1);
	assert_int_equal(c->npsks, 1);
	oak_config_unref(c);

	/* a schema error (unknown key) stops the load with its file:line */
	f = fopen(path, "w");
	fputs("connections {\n gw {\n proposal = aes128\n }\n}\n", f);
	fclose(f);
	assert_int_equal(conf_model_load(path, &c, &err), -EINVAL);
	assert_null(c);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.file, path);
	assert_non_null(strstr(err.msg, "proposal"));
	unlink(path);

	assert_true(conf_model_load("/nonexistent/oak.conf", &c, &err) < 0);
	assert_null(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_swanctls),
		cmocka_unit_test(explicit_values),
		cmocka_unit_test(reauth_turns_rekey_off),
		cmocka_unit_test(any_and_synonyms),
		cmocka_unit_test(value_errors_name_file_line_and_path),
		cmocka_unit_test(proposal_errors),
		cmocka_unit_test(psk_forms),
		cmocka_unit_test(psk_errors_never_quote_the_secret),
		cmocka_unit_test(psk_selection),
		cmocka_unit_test(files_are_resolved),
		cmocka_unit_test(refcount_keeps_config),
		cmocka_unit_test(load_from_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
