/* test_vici_conf: the VICI config and credential commands (load-conn,
 * unload-conn, get-conns, load-shared, unload-shared, get-shared, load-cert,
 * load-key, clear-creds, list-certs, list-policies, reload-settings, rekey)
 * on a server whose fake daemon validates what they load exactly as oakd
 * does (file tree + vici_conf_merge, the schema, conf_model_build), driven
 * by a raw client and by strongSwan's own swanctl --load-conns/--load-creds.
 * Each command is also tested with bad input: the answer says which key is
 * wrong and what was expected, and the running config does not change. */
#include "testutil.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/parse.h"
#include "conf/schema.h"
#include "ike/certs.h"
#include "lib/util.h"
#include "vici/vici_conf.h"
#include "vici/vici_msg.h"
#include "vici/vici_server.h"

extern char **environ;

/* What oakd's file holds in these tests: no connection of its own but one
 * that VICI may replace. */
static const char base_conf[] = "daemon {\n  kernel = record\n}\n"
				"connections {\n  file-gw {\n    remote_addrs = 192.0.2.9\n"
				"    local { auth = psk }\n    remote { auth = psk }\n  }\n}\n";

static struct {
	char dir[64];
	char sock[128];
	const char *swanctl;
	struct event_base *base;
	struct vici_server *srv;
	struct oak_config *running; /* the fake daemon's config */
	struct certs_store *certs;  /* and certificate store */
	int applied;		    /* successful applies */
	struct vici_terminate_req rekey;
	bool rekey_reauth;
	char rekey_name[64];
	uint8_t *rsa_pem, *rsa_key;
	size_t rsa_pem_len, rsa_key_len;
} T;

/* ---- the fake daemon: oakd's validation without the engine ---- */

static int build(const struct vici_conf *vc, struct oak_config **cfg, char *err, size_t errlen)
{
	struct conf_tree *t = NULL;
	struct conf_err cerr = {0};
	int rc = conf_parse_string("oak.conf", base_conf, &t, &cerr);

	assert_int_equal(rc, 0);
	assert_int_equal(vici_conf_merge(vc, t), 0);
	if (conf_schema_check(t, &cerr, 1)) {
		conf_tree_free(t);
		snprintf(err, errlen, "%s", cerr.msg);
		return -EINVAL;
	}
	rc = conf_model_build(t, cfg, &cerr);
	if (rc)
		snprintf(err, errlen, "%s", cerr.msg);
	return rc;
}

static int fake_apply(void *ctx, const struct vici_conf *cand, char *err, size_t errlen)
{
	struct oak_config *cfg = NULL;
	struct certs_store *certs = NULL;
	struct certs_blob *blobs;
	size_t n = 0;
	int rc;

	(void)ctx;
	rc = build(cand, &cfg, err, errlen);
	if (rc)
		return rc;
	blobs = vici_conf_blob_list(cand, &n);
	rc = certs_store_load_blobs(cfg, blobs, n, &certs, err, errlen);
	free(blobs);
	if (rc) {
		oak_config_unref(cfg);
		return rc;
	}
	oak_config_unref(T.running);
	certs_store_unref(T.certs);
	T.running = cfg;
	T.certs = certs;
	T.applied++;
	return 0;
}

static int fake_reload(void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	snprintf(err, errlen, "oak.conf:3: unknown key 'x' in daemon");
	return -EINVAL;
}

static void
fake_list_certs(void *ctx, void (*fn)(const struct certs_cert *c, bool ca, bool has_key, void *arg),
		void *arg)
{
	(void)ctx;
	if (T.certs)
		certs_store_foreach(T.certs, fn, arg);
}

static int fake_rekey(void *ctx, const struct vici_terminate_req *req, bool reauth, size_t *n,
		      char *err, size_t errlen)
{
	(void)ctx;
	T.rekey = *req;
	T.rekey_reauth = reauth;
	snprintf(T.rekey_name, sizeof(T.rekey_name), "%s", req->ike ? req->ike : "");
	T.rekey.ike = T.rekey.child = NULL;
	if (req->ike && strcmp(req->ike, "busy") == 0) {
		snprintf(err, errlen, "a rekey of that IKE SA is in progress already");
		return -EBUSY;
	}
	*n = req->ike && strcmp(req->ike, "gw") == 0 ? 1 : req->child_id == 7 ? 1 : 0;
	return 0;
}

/* Traps: every child of the running config with start_action = trap. */
static void fake_list_policies(void *ctx, vici_policy_fn *fn, void *arg)
{
	(void)ctx;
	for (size_t i = 0; T.running && i < T.running->nconns; i++)
		for (size_t k = 0; k < T.running->conns[i].nchildren; k++)
			if (T.running->conns[i].children[k].start_action == START_TRAP)
				fn(&T.running->conns[i], &T.running->conns[i].children[k], arg);
}

static const struct vici_ops fake_ops = {
	.apply = fake_apply,
	.list_policies = fake_list_policies,
	.reload = fake_reload,
	.list_certs = fake_list_certs,
	.rekey = fake_rekey,
};

/* ---- a raw client ---- */

static void pump(int n)
{
	for (int i = 0; i < n; i++)
		event_base_loop(T.base, EVLOOP_NONBLOCK);
}

static int raw_connect(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.100s", T.sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* One packet body from fd (caller frees), NULL after 2 s. */
static uint8_t *raw_recv(int fd, size_t *len)
{
	static uint8_t acc[1 << 17];
	static size_t have;
	uint8_t *p;

	for (int tries = 0; tries < 2000; tries++) {
		ssize_t n;

		if (have >= 4) {
			size_t l = (size_t)acc[0] << 24 | (size_t)acc[1] << 16 |
				   (size_t)acc[2] << 8 | acc[3];

			if (have >= 4 + l) {
				p = malloc(l ? l : 1);
				assert_non_null(p);
				memcpy(p, acc + 4, l);
				memmove(acc, acc + 4 + l, have - 4 - l);
				have -= 4 + l;
				*len = l;
				return p;
			}
		}
		pump(1);
		n = recv(fd, acc + have, sizeof(acc) - have, MSG_DONTWAIT);
		if (n > 0)
			have += (size_t)n;
		else if (n == 0)
			break;
		else
			usleep(1000);
	}
	have = 0;
	return NULL;
}

static void raw_send(int fd, struct vici_builder *vb)
{
	size_t len;
	uint8_t *p = vici_build_take(vb, &len, NULL);

	assert_non_null(p);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	free(p);
}

/* Send vb on fd, return the command's response or the registration's
 * confirmation (caller frees); events that come first go to *events (n at
 * most max, each caller frees). */
static struct vici_node *cmd_on(int fd, struct vici_builder *vb, struct vici_node **events,
				size_t max, size_t *nevents)
{
	struct vici_packet pkt;
	struct vici_node *msg = NULL;

	if (nevents)
		*nevents = 0;
	raw_send(fd, vb);
	for (;;) {
		size_t len = 0;
		uint8_t *p = raw_recv(fd, &len);

		if (!p)
			fail_msg("no answer from the server");
		assert_int_equal(vici_packet_parse(p, len, &pkt, NULL), 0);
		assert_int_equal(vici_msg_parse(pkt.msg.p, pkt.msg.len, &msg, NULL), 0);
		free(p);
		if (pkt.op == VICI_CMD_RESPONSE || pkt.op == VICI_EVENT_CONFIRM)
			return msg;
		if (pkt.op == VICI_EVENT && nevents && *nevents < max)
			events[(*nevents)++] = msg;
		else
			vici_node_free(msg);
	}
}

static struct vici_node *cmd(struct vici_builder *vb)
{
	int fd = raw_connect();
	struct vici_node *r = cmd_on(fd, vb, NULL, 0, NULL);

	close(fd);
	pump(3);
	return r;
}

#define assert_ok(r) assert_string_equal(vici_find_str((r), "success", "?"), "yes")
#define assert_refused(r, needle)                                                                  \
	do {                                                                                       \
		assert_string_equal(vici_find_str((r), "success", "?"), "no");                     \
		if (!strstr(vici_find_str((r), "errmsg", ""), (needle)))                           \
			fail_msg("expected '%s' in errmsg '%s'", (needle),                         \
				 vici_find_str((r), "errmsg", ""));                                \
	} while (0)

/* A load-conn request of connection name with the given IKE proposal. */
static void conn_req(struct vici_builder *vb, const char *name, const char *proposal)
{
	vici_build_packet(vb, VICI_CMD_REQUEST, "load-conn");
	vici_add_section(vb, name);
	vici_add_kv_str(vb, "version", "2");
	vici_add_list(vb, "remote_addrs");
	vici_add_item_str(vb, "192.0.2.2");
	vici_end_list(vb);
	vici_add_list(vb, "proposals");
	vici_add_item_str(vb, proposal);
	vici_add_item_str(vb, "aes256-sha384-ecp384");
	vici_end_list(vb);
	vici_add_section(vb, "local");
	vici_add_kv_str(vb, "auth", "psk");
	vici_end_section(vb);
	vici_add_section(vb, "remote");
	vici_add_kv_str(vb, "auth", "psk");
	vici_end_section(vb);
	vici_add_section(vb, "children");
	vici_add_section(vb, "net");
	vici_add_list(vb, "local_ts");
	vici_add_item_str(vb, "10.1.0.0/16");
	vici_end_list(vb);
	vici_end_section(vb);
	vici_end_section(vb);
	vici_end_section(vb);
}

static size_t list_len(const struct vici_node *r, const char *name)
{
	const struct vici_node *l = vici_find(r, name);
	size_t n = 0;

	assert_non_null(l);
	assert_int_equal(l->type, VICI_NODE_LIST);
	for (const struct vici_node *it = l->child; it; it = it->next)
		n++;
	return n;
}

/* ---- load-conn, get-conns, unload-conn ---- */

static void load_conn_and_get_conns(void **state)
{
	struct vici_builder vb;
	struct vici_node *r;
	const struct conn_cfg *gw;

	(void)state;
	conn_req(&vb, "gw", "aes128-sha256-modp2048");
	r = cmd(&vb);
	assert_ok(r);
	vici_node_free(r);
	/* the running config has it, built like the file's, next to the file's */
	assert_non_null(T.running);
	gw = oak_config_conn(T.running, "gw");
	assert_non_null(gw);
	assert_non_null(oak_config_conn(T.running, "file-gw"));
	assert_int_equal(gw->version, 2);
	assert_non_null(conn_cfg_child(gw, "net"));
	assert_int_equal(conn_cfg_child(gw, "net")->nlocal_ts, 1);
	/* get-conns lists what VICI loaded, not the file's */
	vici_build_packet(&vb, VICI_CMD_REQUEST, "get-conns");
	r = cmd(&vb);
	assert_int_equal(list_len(r, "conns"), 1);
	assert_string_equal(vici_find(r, "conns")->child->value, "gw");
	vici_node_free(r);
}

static void load_conn_bad_proposal_changes_nothing(void **state)
{
	struct oak_config *before = T.running;
	int applied = T.applied;
	struct vici_builder vb;
	struct vici_node *r;

	(void)state;
	conn_req(&vb, "gw", "aes129-sha256-modp2048");
	r = cmd(&vb);
	assert_refused(r, "connections.gw.proposals: unknown algorithm 'aes129' in proposal "
			  "'aes129-sha256-modp2048'");
	vici_node_free(r);
	assert_ptr_equal(T.running, before);
	assert_int_equal(T.applied, applied);
	/* still the old gw: the good proposal */
	assert_non_null(oak_config_conn(T.running, "gw"));
	vici_build_packet(&vb, VICI_CMD_REQUEST, "get-conns");
	r = cmd(&vb);
	assert_int_equal(list_len(r, "conns"), 1);
	vici_node_free(r);
}

static void load_conn_malformed(void **state)
{
	int applied = T.applied;
	struct vici_builder vb;
	struct vici_node *r;
	const char ctl[] = "a\001b";

	(void)state;
	/* no section */
	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-conn");
	vici_add_kv_str(&vb, "version", "2");
	r = cmd(&vb);
	assert_refused(r, "expected a section named after the connection");
	vici_node_free(r);
	/* a control character in a value */
	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-conn");
	vici_add_section(&vb, "x");
	vici_add_kv(&vb, "version", ctl, 3);
	vici_end_section(&vb);
	r = cmd(&vb);
	assert_refused(r, "connections.x.version: expected text");
	vici_node_free(r);
	/* a list item with a comma would split into two */
	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-conn");
	vici_add_section(&vb, "x");
	vici_add_list(&vb, "remote_addrs");
	vici_add_item_str(&vb, "192.0.2.1,192.0.2.2");
	vici_end_list(&vb);
	vici_end_section(&vb);
	r = cmd(&vb);
	assert_refused(r, "connections.x.remote_addrs: item 1: expected text without commas");
	vici_node_free(r);
	/* an unknown key: the schema's message */
	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-conn");
	vici_add_section(&vb, "x");
	vici_add_kv_str(&vb, "proposal", "aes128-sha256-modp2048");
	vici_end_section(&vb);
	r = cmd(&vb);
	assert_refused(r, "unknown key 'proposal' in connections.x (did you mean 'proposals'?)");
	vici_node_free(r);
	/* certs that are not certificates */
	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-conn");
	vici_add_section(&vb, "x");
	vici_add_section(&vb, "local");
	vici_add_list(&vb, "certs");
	vici_add_item_str(&vb, "not a certificate");
	vici_end_list(&vb);
	vici_end_section(&vb);
	vici_end_section(&vb);
	r = cmd(&vb);
	assert_refused(r, "connections.x.local.certs: item 1: expected a certificate");
	vici_node_free(r);
	assert_int_equal(T.applied, applied);
	assert_null(oak_config_conn(T.running, "x"));
}

static void unload_conn(void **state)
{
	struct vici_builder vb;
	struct vici_node *r;

	(void)state;
	conn_req(&vb, "other", "aes128-sha256-modp2048");
	r = cmd(&vb);
	assert_ok(r);
	vici_node_free(r);
	assert_non_null(oak_config_conn(T.running, "other"));
	vici_build_packet(&vb, VICI_CMD_REQUEST, "unload-conn");
	vici_add_kv_str(&vb, "name", "other");
	r = cmd(&vb);
	assert_ok(r);
	vici_node_free(r);
	assert_null(oak_config_conn(T.running, "other"));
	assert_non_null(oak_config_conn(T.running, "gw"));
	/* again: not there; the file's connection is not VICI's to unload */
	vici_build_packet(&vb, VICI_CMD_REQUEST, "unload-conn");
	vici_add_kv_str(&vb, "name", "other");
	r = cmd(&vb);
	assert_refused(r, "no connection 'other' was loaded over vici");
	vici_node_free(r);
	vici_build_packet(&vb, VICI_CMD_REQUEST, "unload-conn");
	vici_add_kv_str(&vb, "name", "file-gw");
	r = cmd(&vb);
	assert_refused(r, "no connection 'file-gw' was loaded over vici");
	vici_node_free(r);
	vici_build_packet(&vb, VICI_CMD_REQUEST, "unload-conn");
	r = cmd(&vb);
	assert_refused(r, "name: expected the connection to unload");
	vici_node_free(r);
}

/* ---- shared keys ---- */

static void shared_keys(void **state)
{
	struct ident me, peer;
	const struct secret *psk;
	struct vici_builder vb;
	struct vici_node *r;
	char err[64];

	(void)state;
	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-shared");
	vici_add_kv_str(&vb, "type", "EAP");
	vici_add_kv_str(&vb, "data", "x");
	r = cmd(&vb);
	assert_refused(r, "type: expected IKE (oakd keeps IKE shared keys only), got 'EAP'");
	vici_node_free(r);
	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-shared");
	vici_add_kv_str(&vb, "type", "IKE");
	r = cmd(&vb);
	assert_refused(r, "data: expected the shared key");
	vici_node_free(r);
	assert_int_equal(T.running->npsks, 0);

	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-shared");
	vici_add_kv_str(&vb, "id", "ike-gw");
	vici_add_kv_str(&vb, "type", "IKE");
	vici_add_kv(&vb, "data", "open\0sesame", 11); /* any bytes */
	vici_add_list(&vb, "owners");
	vici_add_item_str(&vb, "moon.example");
	vici_add_item_str(&vb, "sun.example");
	vici_end_list(&vb);
	r = cmd(&vb);
	assert_ok(r);
	vici_node_free(r);
	assert_int_equal(T.running->npsks, 1);
	ident_parse("moon.example", &me, err, sizeof(err));
	ident_parse("sun.example", &peer, err, sizeof(err));
	psk = oak_config_psk(T.running, &me, &peer);
	assert_non_null(psk);
	th_assert_bytes(psk->data, psk->len, "open\0sesame", 11, "the shared key");

	vici_build_packet(&vb, VICI_CMD_REQUEST, "get-shared");
	r = cmd(&vb);
	assert_int_equal(list_len(r, "keys"), 1);
	assert_string_equal(vici_find(r, "keys")->child->value, "ike-gw");
	vici_node_free(r);

	vici_build_packet(&vb, VICI_CMD_REQUEST, "unload-shared");
	vici_add_kv_str(&vb, "id", "ike-gw");
	r = cmd(&vb);
	assert_ok(r);
	vici_node_free(r);
	assert_int_equal(T.running->npsks, 0);
	vici_build_packet(&vb, VICI_CMD_REQUEST, "unload-shared");
	vici_add_kv_str(&vb, "id", "ike-gw");
	r = cmd(&vb);
	assert_refused(r, "no shared key 'ike-gw' was loaded over vici");
	vici_node_free(r);
}

/* ---- certificates and keys ---- */

static uint8_t *read_all(const char *rel, size_t *len)
{
	FILE *f = fopen(th_src_path(rel), "rb");
	uint8_t *p = malloc(1 << 16);

	assert_non_null(f);
	assert_non_null(p);
	*len = fread(p, 1, 1 << 16, f);
	fclose(f);
	return p;
}

static void load_cert_and_key(void **state)
{
	struct vici_node *ev[8], *r;
	struct vici_builder vb;
	size_t nev = 0;
	int applied = T.applied, fd;

	(void)state;
	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-cert");
	vici_add_kv_str(&vb, "type", "X509");
	vici_add_kv_str(&vb, "flag", "NONE");
	vici_add_kv_str(&vb, "data", "garbage");
	r = cmd(&vb);
	assert_refused(r, "data: expected an X.509 certificate");
	vici_node_free(r);
	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-cert");
	vici_add_kv_str(&vb, "type", "X509_AC");
	r = cmd(&vb);
	assert_refused(r, "type: expected X509");
	vici_node_free(r);
	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-cert");
	vici_add_kv_str(&vb, "flag", "OCSP");
	r = cmd(&vb);
	assert_refused(r, "flag: expected NONE or CA, got 'OCSP'");
	vici_node_free(r);
	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-key");
	vici_add_kv_str(&vb, "type", "dsa");
	vici_add_kv_str(&vb, "data", "x");
	r = cmd(&vb);
	assert_refused(r, "type: expected rsa, ecdsa, ed25519, ed448 or any, got 'dsa'");
	vici_node_free(r);
	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-key");
	vici_add_kv_str(&vb, "type", "rsa");
	vici_add_kv_str(&vb, "data", "not a key");
	r = cmd(&vb);
	assert_refused(r, "data: expected an unencrypted private key");
	vici_node_free(r);
	assert_int_equal(T.applied, applied);

	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-cert");
	vici_add_kv_str(&vb, "type", "X509");
	vici_add_kv_str(&vb, "flag", "NONE");
	vici_add_kv(&vb, "data", T.rsa_pem, T.rsa_pem_len);
	r = cmd(&vb);
	assert_ok(r);
	vici_node_free(r);
	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-key");
	vici_add_kv_str(&vb, "type", "rsa");
	vici_add_kv(&vb, "data", T.rsa_key, T.rsa_key_len);
	r = cmd(&vb);
	assert_ok(r);
	vici_node_free(r);

	/* list-certs: one list-cert event, the certificate with its key */
	fd = raw_connect();
	vici_build_packet(&vb, VICI_EVENT_REGISTER, "list-cert");
	r = cmd_on(fd, &vb, NULL, 0, NULL);
	vici_node_free(r);
	vici_build_packet(&vb, VICI_CMD_REQUEST, "list-certs");
	vici_add_kv_str(&vb, "type", "X509");
	r = cmd_on(fd, &vb, ev, ARRAY_SIZE(ev), &nev);
	vici_node_free(r);
	close(fd);
	assert_int_equal(nev, 1);
	assert_string_equal(vici_find_str(ev[0], "type", ""), "X509");
	assert_string_equal(vici_find_str(ev[0], "flag", ""), "NONE");
	assert_string_equal(vici_find_str(ev[0], "has_privkey", ""), "yes");
	assert_true(vici_find(ev[0], "data")->value_len > 500); /* DER */
	vici_node_free(ev[0]);

	/* clear-creds drops both */
	vici_build_packet(&vb, VICI_CMD_REQUEST, "clear-creds");
	r = cmd(&vb);
	assert_ok(r);
	vici_node_free(r);
	fd = raw_connect();
	vici_build_packet(&vb, VICI_EVENT_REGISTER, "list-cert");
	vici_node_free(cmd_on(fd, &vb, NULL, 0, NULL));
	vici_build_packet(&vb, VICI_CMD_REQUEST, "list-certs");
	vici_node_free(cmd_on(fd, &vb, ev, ARRAY_SIZE(ev), &nev));
	close(fd);
	assert_int_equal(nev, 0);
}

/* ---- rekey, reload-settings, list-policies ---- */

static void rekey(void **state)
{
	struct vici_builder vb;
	struct vici_node *r;

	(void)state;
	vici_build_packet(&vb, VICI_CMD_REQUEST, "rekey");
	vici_add_kv_str(&vb, "ike", "gw");
	r = cmd(&vb);
	assert_ok(r);
	assert_string_equal(vici_find_str(r, "matches", ""), "1");
	assert_string_equal(T.rekey_name, "gw");
	assert_false(T.rekey_reauth);
	vici_node_free(r);
	vici_build_packet(&vb, VICI_CMD_REQUEST, "rekey");
	vici_add_kv_str(&vb, "child-id", "7");
	vici_add_kv_str(&vb, "reauth", "yes");
	r = cmd(&vb);
	assert_ok(r);
	assert_int_equal(T.rekey.child_id, 7);
	assert_true(T.rekey_reauth);
	vici_node_free(r);
	vici_build_packet(&vb, VICI_CMD_REQUEST, "rekey");
	vici_add_kv_str(&vb, "ike", "nosuch");
	r = cmd(&vb);
	assert_refused(r, "no matching SAs to rekey found");
	assert_string_equal(vici_find_str(r, "matches", ""), "0");
	vici_node_free(r);
	vici_build_packet(&vb, VICI_CMD_REQUEST, "rekey");
	vici_add_kv_str(&vb, "ike", "busy");
	r = cmd(&vb);
	assert_refused(r, "in progress already");
	vici_node_free(r);
	vici_build_packet(&vb, VICI_CMD_REQUEST, "rekey");
	vici_add_kv_str(&vb, "ike", "gw");
	vici_add_kv_str(&vb, "child", "net");
	r = cmd(&vb);
	assert_refused(r, "give exactly one of child, ike, child-id, ike-id");
	vici_node_free(r);
	vici_build_packet(&vb, VICI_CMD_REQUEST, "rekey");
	vici_add_kv_str(&vb, "ike-id", "seven");
	r = cmd(&vb);
	assert_refused(r, "ike-id/child-id: expected a number");
	vici_node_free(r);
}

static void reload_settings(void **state)
{
	struct vici_builder vb;
	struct vici_node *r;

	(void)state;
	vici_build_packet(&vb, VICI_CMD_REQUEST, "reload-settings");
	r = cmd(&vb);
	assert_refused(r, "oak.conf:3: unknown key 'x' in daemon");
	vici_node_free(r);
}

static size_t list_policies(const char *key, const char *value, struct vici_node **ev, size_t max)
{
	struct vici_builder vb;
	size_t n = 0;
	int fd = raw_connect();

	vici_build_packet(&vb, VICI_EVENT_REGISTER, "list-policy");
	vici_node_free(cmd_on(fd, &vb, NULL, 0, NULL));
	vici_build_packet(&vb, VICI_CMD_REQUEST, "list-policies");
	if (key)
		vici_add_kv_str(&vb, key, value);
	vici_node_free(cmd_on(fd, &vb, ev, max, &n));
	close(fd);
	return n;
}

static void list_policies_traps(void **state)
{
	struct vici_node *ev[4], *r;
	struct vici_builder vb;
	const struct vici_node *p;

	(void)state;
	conn_req(&vb, "gw", "aes128-sha256-modp2048");
	r = cmd(&vb);
	assert_ok(r);
	vici_node_free(r);
	assert_int_equal(list_policies(NULL, NULL, ev, 4), 0); /* start_action none */
	/* the same connection, its child trapped */
	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-conn");
	vici_add_section(&vb, "gw");
	vici_add_list(&vb, "remote_addrs");
	vici_add_item_str(&vb, "192.0.2.2");
	vici_end_list(&vb);
	vici_add_section(&vb, "local");
	vici_add_kv_str(&vb, "auth", "psk");
	vici_end_section(&vb);
	vici_add_section(&vb, "remote");
	vici_add_kv_str(&vb, "auth", "psk");
	vici_end_section(&vb);
	vici_add_section(&vb, "children");
	vici_add_section(&vb, "net");
	vici_add_kv_str(&vb, "start_action", "trap");
	vici_add_kv_str(&vb, "mode", "transport");
	vici_add_list(&vb, "remote_ts");
	vici_add_item_str(&vb, "10.2.0.0/16");
	vici_end_list(&vb);
	vici_end_section(&vb);
	vici_end_section(&vb);
	vici_end_section(&vb);
	r = cmd(&vb);
	assert_ok(r);
	vici_node_free(r);
	assert_int_equal(list_policies(NULL, NULL, ev, 4), 1);
	p = vici_find(ev[0], "gw/net");
	assert_non_null(p);
	assert_string_equal(vici_find_str(p, "child", ""), "net");
	assert_string_equal(vici_find_str(p, "ike", ""), "gw");
	assert_string_equal(vici_find_str(p, "mode", ""), "TRANSPORT");
	assert_string_equal(vici_find(p, "local-ts")->child->value, "dynamic");
	assert_string_equal(vici_find(p, "remote-ts")->child->value, "10.2.0.0/16");
	vici_node_free(ev[0]);
	/* filters: drop only lists nothing, another child name nothing */
	assert_int_equal(list_policies("drop", "yes", ev, 4), 0);
	assert_int_equal(list_policies("child", "other", ev, 4), 0);
	assert_int_equal(list_policies("trap", "yes", ev, 4), 1);
	vici_node_free(ev[0]);
	/* replaced by a gw without trap: gone */
	conn_req(&vb, "gw", "aes128-sha256-modp2048");
	r = cmd(&vb);
	assert_ok(r);
	vici_node_free(r);
	assert_int_equal(list_policies(NULL, NULL, ev, 4), 0);
}

/* ---- vici_conf on its own ---- */

static void conf_dup_is_independent(void **state)
{
	struct vici_conf *a = vici_conf_new(), *b;
	struct vici_builder vb;
	struct vici_node *req;
	uint8_t *p;
	size_t len;
	char err[256];

	(void)state;
	vici_build_msg(&vb, 0);
	vici_add_section(&vb, "c1");
	vici_add_kv_str(&vb, "version", "2");
	vici_end_section(&vb);
	p = vici_build_take(&vb, &len, NULL);
	assert_int_equal(vici_msg_parse(p, len, &req, NULL), 0);
	assert_int_equal(vici_conf_load_conn(a, req->child, err, sizeof(err)), 0);
	b = vici_conf_dup(a);
	assert_non_null(b);
	assert_int_equal(vici_conf_unload_conn(b, "c1", err, sizeof(err)), 0);
	assert_int_equal(vici_conf_unload_conn(a, "c1", err, sizeof(err)), 0);
	assert_int_equal(vici_conf_unload_conn(b, "c1", err, sizeof(err)), -ENOENT);
	vici_conf_free(a);
	vici_conf_free(b);
	vici_node_free(req);
	free(p);
}

/* ---- strongSwan's swanctl loads a swanctl.conf into the server ---- */

static int run(const char *const argv[], char *out, size_t outlen)
{
	posix_spawn_file_actions_t fa;
	int po[2], status;
	size_t have = 0;
	pid_t pid;

	assert_int_equal(pipe(po), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, po[1], 2);
	posix_spawn_file_actions_addclose(&fa, po[0]);
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	fcntl(po[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		ssize_t n = read(po[0], out + have, outlen - 1 - have);

		if (n > 0)
			have += (size_t)n;
		else if (n == 0 || have == outlen - 1)
			break;
		else
			pump(1), usleep(1000);
	}
	out[have] = '\0';
	close(po[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void swanctl_load_conns(void **state)
{
	char dir[128], file[192], uri[160], out[8192];
	const char *argv[] = {T.swanctl, "--load-all", "--noprompt", "--file",
			      file,	 "--uri",      uri,	     NULL};
	const struct conn_cfg *c;

	(void)state;
	if (access(T.swanctl, X_OK) != 0)
		fail_msg("%s not found: install strongswan-swanctl (tools/install-deps.sh test)",
			 T.swanctl);
	snprintf(dir, sizeof(dir), "%s/swanctl", T.dir);
	mkdir(dir, 0700);
	snprintf(file, sizeof(file), "%s/swanctl.conf", dir);
	snprintf(uri, sizeof(uri), "unix://%s", T.sock);
	write_file(file,
		   "connections {\n"
		   "  site {\n"
		   "    remote_addrs = 192.0.2.7, 192.0.2.8\n"
		   "    proposals = aes256gcm16-prfsha384-ecp384, aes128-sha256-modp2048\n"
		   "    local { auth = psk\n id = moon.example }\n"
		   "    remote { auth = psk\n id = sun.example }\n"
		   "    children { lan { local_ts = 10.1.0.0/16\n"
		   "                     esp_proposals = aes128gcm16 } }\n"
		   "  }\n"
		   "}\n"
		   "secrets { ike-site { id-1 = moon.example\n secret = \"0sc2VzYW1l\" } }\n");
	assert_int_equal(run(argv, out, sizeof(out)), 0);
	if (!strstr(out, "loaded connection 'site'") ||
	    !strstr(out, "loaded ike secret 'ike-site'"))
		fail_msg("swanctl said:\n%s", out);
	/* gw of the earlier tests is not in the file: swanctl unloads it */
	assert_non_null(strstr(out, "successfully loaded 1 connections, 1 unloaded"));
	c = oak_config_conn(T.running, "site");
	assert_non_null(c);
	assert_int_equal(c->nremote_addrs, 2);
	assert_null(oak_config_conn(T.running, "gw"));
	assert_int_equal(T.running->npsks, 1);
	th_assert_bytes(T.running->psks[0].secret->data, T.running->psks[0].secret->len, "sesame",
			6, "the secret swanctl decoded from base64");

	/* a broken proposal: swanctl prints our reason, nothing changes */
	write_file(file, "connections {\n  site {\n    remote_addrs = 192.0.2.7\n"
			 "    proposals = aes128-sha256-modp2049\n"
			 "    local { auth = psk }\n    remote { auth = psk }\n  }\n}\n");
	assert_int_not_equal(run(argv, out, sizeof(out)), 0);
	if (!strstr(out, "loading connection 'site' failed: connections.site.proposals: unknown "
			 "algorithm 'modp2049'"))
		fail_msg("swanctl said:\n%s", out);
	c = oak_config_conn(T.running, "site");
	assert_non_null(c);
	assert_int_equal(c->nremote_addrs, 2);
}

/* ---- setup ---- */

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_setup(void **state)
{
	struct vici_server_cfg cfg = {0};
	char conf[128];
	FILE *f;

	(void)state;
	snprintf(T.dir, sizeof(T.dir), "/tmp/oak-vici-conf.XXXXXX");
	if (!mkdtemp(T.dir))
		return -1;
	snprintf(T.sock, sizeof(T.sock), "%s/oak.vici", T.dir);
	T.swanctl = getenv("SWANCTL") ? getenv("SWANCTL") : "/usr/sbin/swanctl";
	/* swanctl needs pem and pkcs1 for --load-creds, nothing that complains */
	snprintf(conf, sizeof(conf), "%s/strongswan.conf", T.dir);
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f, "swanctl {\n  load = random nonce pem pkcs1 pkcs8 x509 openssl\n}\n");
	fclose(f);
	setenv("STRONGSWAN_CONF", conf, 1);
	T.rsa_pem = read_all("tests/vectors/certs/x509/rsa.pem", &T.rsa_pem_len);
	T.rsa_key = read_all("tests/vectors/certs/private/rsa.key", &T.rsa_key_len);
	T.base = event_base_new();
	cfg.path = T.sock;
	return vici_server_new(T.base, &cfg, &fake_ops, &T.srv) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	vici_server_free(T.srv);
	event_base_free(T.base);
	oak_config_unref(T.running);
	certs_store_unref(T.certs);
	free(T.rsa_pem);
	free(T.rsa_key);
	nftw(T.dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(load_conn_and_get_conns),
		cmocka_unit_test(load_conn_bad_proposal_changes_nothing),
		cmocka_unit_test(load_conn_malformed),
		cmocka_unit_test(unload_conn),
		cmocka_unit_test(shared_keys),
		cmocka_unit_test(load_cert_and_key),
		cmocka_unit_test(rekey),
		cmocka_unit_test(reload_settings),
		cmocka_unit_test(list_policies_traps),
		cmocka_unit_test(conf_dup_is_independent),
		cmocka_unit_test(swanctl_load_conns),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
