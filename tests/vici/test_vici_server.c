/* test_vici_server: the VICI server with fake daemon callbacks, on a socket
 * in a temporary directory, driven by oakctl (text and JSON), by strongSwan's
 * own swanctl (the interop proof: its output must show our values), and by a
 * raw client for the protocol's corners (unknown commands, oversized
 * packets, events, clients that do not read). */
#include "testutil.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "vici/vici_msg.h"
#include "vici/vici_server.h"

extern char **environ;

#define NOW_MS 5000000ull

static struct {
	char dir[64];
	char sock[128];
	const char *oakctl, *swanctl;
	struct event_base *base;
	struct vici_server *srv;
	/* fake state */
	struct proposal ike_prop, esp_prop;
	struct ts lts, rts;
	struct ident lid, rid;
	size_t extra_sas; /* copies of "gw" for the flood test */
	char init_ike[64], init_child[64];
	int init_calls;
	struct vici_terminate_req term;
	char term_name[64];
	struct conn_cfg conn;
	struct child_cfg child;
} T;

/* ---- the fake daemon ---- */

static void fill_child(struct vici_child_sa *c, uint32_t id)
{
	memset(c, 0, sizeof(*c));
	c->uniqueid = id;
	c->name = "net";
	c->state = CHILD_SA_STATE_INSTALLED;
	c->protocol = PROPOSAL_PROTO_ESP;
	c->mode = CHILD_MODE_TUNNEL;
	c->spi_in = 0xc1a2b3c4;
	c->spi_out = 0xd4c3b2a1;
	c->reqid = 1;
	c->proposal = &T.esp_prop;
	c->local_ts = &T.lts;
	c->remote_ts = &T.rts;
	c->nlocal_ts = c->nremote_ts = 1;
	c->installed_ms = NOW_MS - 100000;
	c->rekey_in_s = 3000;
	c->bytes_in = 4242;
	c->packets_in = 42;
}

static void fill_gw(struct vici_ike_sa *sa, uint32_t id, const struct vici_child_sa *child)
{
	static const uint8_t spi_i[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t spi_r[8] = {0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18};

	memset(sa, 0, sizeof(*sa));
	sa->uniqueid = id;
	sa->name = "gw";
	sa->version = 2;
	sa->state = IKE_SA_STATE_ESTABLISHED;
	sa->initiator = true;
	memcpy(sa->spi_i, spi_i, 8);
	memcpy(sa->spi_r, spi_r, 8);
	ip_addr_parse("192.0.2.1", &sa->local.addr);
	sa->local.port = 500;
	ip_addr_parse("192.0.2.2", &sa->remote.addr);
	sa->remote.port = 4500;
	sa->local_id = &T.lid;
	sa->remote_id = &T.rid;
	sa->proposal = &T.ike_prop;
	sa->nat_remote = true;
	sa->established_ms = NOW_MS - 120000;
	sa->rekey_in_s = 13000;
	sa->children = child;
	sa->nchildren = child ? 1 : 0;
}

static void fake_list_sas(void *ctx, vici_sa_fn *fn, void *arg)
{
	struct vici_child_sa child;
	struct vici_ike_sa sa;

	(void)ctx;
	fill_child(&child, 2);
	fill_gw(&sa, 1, &child);
	fn(&sa, arg);
	/* a half-open responder SA: no proposal yet */
	memset(&sa, 0, sizeof(sa));
	sa.uniqueid = 3;
	sa.name = "rw";
	sa.version = 2;
	sa.state = IKE_SA_STATE_INIT_R;
	ip_addr_parse("192.0.2.1", &sa.local.addr);
	sa.local.port = 500;
	ip_addr_parse("198.51.100.7", &sa.remote.addr);
	sa.remote.port = 500;
	fn(&sa, arg);
	for (size_t i = 0; i < T.extra_sas; i++) {
		fill_gw(&sa, 100 + (uint32_t)i, &child);
		fn(&sa, arg);
	}
}

static void fake_list_conns(void *ctx, vici_conn_fn *fn, void *arg)
{
	(void)ctx;
	fn(&T.conn, arg);
}

static void fake_stats(void *ctx, struct vici_stats *st)
{
	static const char *const plugins[] = {"ikev2", "kernel-record", "vici", NULL};

	(void)ctx;
	st->workers_total = 2;
	st->workers_idle = 1;
	st->workers_active = 1;
	st->ikesas_total = 2;
	st->ikesas_half_open = 1;
	st->plugins = plugins;
}

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return NOW_MS;
}

/* What the engine would report a little later, from the loop. */
static void later_gw_up(evutil_socket_t fd, short what, void *arg)
{
	struct vici_child_sa child;
	struct vici_ike_sa sa;

	(void)fd;
	(void)what;
	(void)arg;
	fill_child(&child, 12);
	fill_gw(&sa, 7, &child);
	vici_server_log(T.srv, 0, SUB_IKE, LVL_INFO, "IKE SA #7 192.0.2.2: AUTH_I -> ESTABLISHED");
	vici_server_log(T.srv, 0, SUB_IKE, LVL_DEBUG, "IKE SA #7: a debug line nobody asked for");
	vici_server_log(T.srv, 0, SUB_IKE, LVL_INFO, "IKE SA #99: somebody else's line");
	vici_server_ike_event(T.srv, &sa, VICI_SA_UP, NULL);
	vici_server_child_event(T.srv, &sa, &child, VICI_SA_UP, NULL);
}

static void later_fail(evutil_socket_t fd, short what, void *arg)
{
	struct vici_ike_sa sa;

	(void)fd;
	(void)what;
	(void)arg;
	fill_gw(&sa, 8, NULL);
	sa.state = IKE_SA_STATE_INIT_I;
	vici_server_ike_event(T.srv, &sa, VICI_SA_FAILED, "peer answered NO_PROPOSAL_CHOSEN");
}

static void later_down(evutil_socket_t fd, short what, void *arg)
{
	struct vici_child_sa child;
	struct vici_ike_sa sa;
	uintptr_t which = (uintptr_t)arg;

	(void)fd;
	(void)what;
	fill_child(&child, 2);
	fill_gw(&sa, 1, &child);
	vici_server_log(T.srv, 1, SUB_IKE, LVL_INFO, "deleting IKE SA gw");
	if (which == 2)
		vici_server_child_event(T.srv, &sa, &child, VICI_SA_DOWN, NULL);
	else
		vici_server_ike_event(T.srv, &sa, VICI_SA_DOWN, NULL);
}

static void later(event_callback_fn fn, void *arg)
{
	struct timeval tv = {0, 20000};

	event_base_once(T.base, -1, EV_TIMEOUT, fn, arg, &tv);
}

static int fake_initiate(void *ctx, const char *ike, const char *child, struct vici_initiated *out,
			 char *err, size_t errlen)
{
	const char *name = ike ? ike : child;

	(void)ctx;
	T.init_calls++;
	snprintf(T.init_ike, sizeof(T.init_ike), "%s", ike ? ike : "(null)");
	snprintf(T.init_child, sizeof(T.init_child), "%s", child ? child : "(null)");
	if (strcmp(name, "bad") == 0) {
		snprintf(err, errlen, "no connection 'bad'");
		return -ENOENT;
	}
	if (strcmp(name, "fail") == 0) {
		out->ike_serial = 8;
		later(later_fail, NULL);
		return 0;
	}
	if (strcmp(name, "slow") == 0) {
		out->ike_serial = 9;
		return 0;
	}
	if (strcmp(name, "sync") == 0) { /* up before the op even returns */
		struct vici_ike_sa sa;

		fill_gw(&sa, 10, NULL);
		out->ike_serial = 10;
		out->ike_only = true;
		vici_server_ike_event(T.srv, &sa, VICI_SA_UP, NULL);
		return 0;
	}
	/* "gw", or swanctl's --child net */
	vici_server_log(T.srv, 0, SUB_IKE, LVL_INFO, "initiating IKE SA #7 to 192.0.2.2");
	out->ike_serial = 7;
	later(later_gw_up, NULL);
	return 0;
}

static int fake_terminate(void *ctx, const struct vici_terminate_req *req,
			  struct vici_terminating *out, char *err, size_t errlen)
{
	(void)ctx;
	(void)err;
	(void)errlen;
	T.term = *req;
	snprintf(T.term_name, sizeof(T.term_name), "%s",
		 req->ike     ? req->ike
		 : req->child ? req->child
			      : "");
	T.term.ike = T.term.child = NULL;
	if ((req->ike && strcmp(req->ike, "gw") == 0) || req->ike_id == 1) {
		out->serials[out->n++] = 1;
		later(later_down, (void *)(uintptr_t)1);
	} else if ((req->child && strcmp(req->child, "net") == 0) || req->child_id == 2) {
		out->serials[out->n++] = 2;
		later(later_down, (void *)(uintptr_t)2);
	}
	return 0;
}

static const struct vici_ops fake_ops = {
	.list_sas = fake_list_sas,
	.list_conns = fake_list_conns,
	.initiate = fake_initiate,
	.terminate = fake_terminate,
	.stats = fake_stats,
	.now_ms = fake_now,
};

static void make_conn(void)
{
	struct conn_cfg *c = &T.conn;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "gw");
	c->version = 2;
	ip_addr_parse("192.0.2.1", &c->local_addrs[0]);
	c->nlocal_addrs = 1;
	ip_addr_parse("192.0.2.2", &c->remote_addrs[0]);
	c->nremote_addrs = 1;
	c->local_port = c->remote_port = 500;
	c->rekey_time = 14400;
	c->local.auth = c->remote.auth = AUTH_PSK;
	c->local.id = T.lid;
	c->local.id_set = true;
	c->remote.id = T.rid;
	c->remote.id_set = true;
	snprintf(T.child.name, sizeof(T.child.name), "net");
	T.child.local_ts[0] = T.lts;
	T.child.nlocal_ts = 1;
	T.child.remote_ts[0] = T.rts;
	T.child.nremote_ts = 1;
	T.child.rekey_time = 3600;
	c->children = &T.child;
	c->nchildren = 1;
}

/* ---- running oakctl and swanctl while the loop serves them ---- */

struct sink {
	int fd;
	struct event *ev;
	char *buf;
	size_t len;
	bool eof;
};

static void sink_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sink *s = arg;
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	(void)what;
	if (n <= 0) {
		s->eof = true;
		event_del(s->ev);
		return;
	}
	s->buf = realloc(s->buf, s->len + (size_t)n + 1);
	memcpy(s->buf + s->len, tmp, (size_t)n);
	s->len += (size_t)n;
	s->buf[s->len] = '\0';
}

static char out_buf[1 << 20], err_buf[1 << 16];

/* Run argv (NULL-terminated) to completion; its stdout/stderr go to
 * out_buf/err_buf. Returns the exit code. */
static int run(const char *const argv[])
{
	posix_spawn_file_actions_t fa;
	struct sink so = {0}, se = {0};
	int po[2], pe[2], status;
	pid_t pid;

	assert_int_equal(pipe(po), 0);
	assert_int_equal(pipe(pe), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	posix_spawn_file_actions_addclose(&fa, po[0]);
	posix_spawn_file_actions_addclose(&fa, pe[0]);
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	so.fd = po[0];
	se.fd = pe[0];
	so.ev = event_new(T.base, po[0], EV_READ | EV_PERSIST, sink_cb, &so);
	se.ev = event_new(T.base, pe[0], EV_READ | EV_PERSIST, sink_cb, &se);
	event_add(so.ev, NULL);
	event_add(se.ev, NULL);
	while (!so.eof || !se.eof)
		event_base_loop(T.base, EVLOOP_ONCE);
	event_free(so.ev);
	event_free(se.ev);
	close(po[0]);
	close(pe[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	snprintf(out_buf, sizeof(out_buf), "%s", so.buf ? so.buf : "");
	snprintf(err_buf, sizeof(err_buf), "%s", se.buf ? se.buf : "");
	free(so.buf);
	free(se.buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define assert_has(hay, needle)                                                                    \
	do {                                                                                       \
		if (!strstr((hay), (needle)))                                                      \
			fail_msg("expected '%s' in:\n%s\nstderr: %s", (needle), (hay), err_buf);   \
	} while (0)

static int oakctl(const char *a1, const char *a2, const char *a3, const char *a4)
{
	const char *argv[] = {T.oakctl, "-s", T.sock, a1, a2, a3, a4, NULL};

	return run(argv);
}

static int swanctl(const char *a1, const char *a2, const char *a3, const char *a4)
{
	char uri[160];
	/* swanctl takes the command first, its options after it */
	const char *argv[] = {T.swanctl, a1, "--uri", uri, a2, a3, a4, NULL};

	snprintf(uri, sizeof(uri), "unix://%s", T.sock);
	return run(argv);
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
	char conf[128], err[128];
	struct vici_server_cfg cfg = {0};
	FILE *f;

	(void)state;
	snprintf(T.dir, sizeof(T.dir), "/tmp/oak-vici.XXXXXX");
	if (!mkdtemp(T.dir))
		return -1;
	/* two levels the server has to create itself */
	snprintf(T.sock, sizeof(T.sock), "%s/run/oak/oak.vici", T.dir);
	T.oakctl = getenv("OAKCTL");
	T.swanctl = getenv("SWANCTL") ? getenv("SWANCTL") : "/usr/sbin/swanctl";
	/* swanctl loads only what it needs (the rig's README: its default plugin
	 * list drags in tpm, curl, ldap ... and complains) */
	snprintf(conf, sizeof(conf), "%s/strongswan.conf", T.dir);
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f, "swanctl {\n  load = random nonce\n}\n");
	fclose(f);
	setenv("STRONGSWAN_CONF", conf, 1);
	proposal_parse("aes128-sha256-modp2048", PROPOSAL_PROTO_IKE, &T.ike_prop, err, sizeof(err));
	proposal_parse("aes128gcm16", PROPOSAL_PROTO_ESP, &T.esp_prop, err, sizeof(err));
	ts_parse("10.1.0.0/16", &T.lts, err, sizeof(err));
	ts_parse("10.2.0.0/16", &T.rts, err, sizeof(err));
	ident_parse("moon.example", &T.lid, err, sizeof(err));
	ident_parse("sun.example", &T.rid, err, sizeof(err));
	T.base = event_base_new();
	cfg.path = T.sock;
	cfg.queue_max = 256 * 1024;
	if (vici_server_new(T.base, &cfg, &fake_ops, &T.srv) != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	vici_server_free(T.srv);
	event_base_free(T.base);
	nftw(T.dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void need_tools(bool swan)
{
	make_conn();
	if (!T.oakctl)
		fail_msg("OAKCTL is not set (meson test sets it)");
	if (swan && access(T.swanctl, X_OK) != 0)
		fail_msg("%s not found: install strongswan-swanctl (tools/install-deps.sh test)",
			 T.swanctl);
}

/* ---- the socket ---- */

static void socket_modes_and_stale_files(void **state)
{
	struct vici_server_cfg cfg = {0};
	struct vici_server *s2;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char path[160], dir[160];
	struct stat st;
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/run/oak", T.dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(stat(T.sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);

	/* a live server keeps its socket */
	cfg.path = T.sock;
	assert_int_equal(vici_server_new(T.base, &cfg, &fake_ops, &s2), -EADDRINUSE);
	assert_int_equal(stat(T.sock, &st), 0);

	/* a regular file is never removed */
	snprintf(path, sizeof(path), "%s/not-a-socket", T.dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	cfg.path = path;
	assert_int_equal(vici_server_new(T.base, &cfg, &fake_ops, &s2), -EEXIST);
	assert_int_equal(stat(path, &st), 0);

	/* a dead daemon's socket file is replaced */
	snprintf(path, sizeof(path), "%s/stale.vici", T.dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.100s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(vici_server_new(T.base, &cfg, &fake_ops, &s2), 0);
	vici_server_free(s2);
	assert_int_not_equal(stat(path, &st), 0); /* removed on free */
}

/* ---- oakctl ---- */

static void oakctl_version(void **state)
{
	(void)state;
	need_tools(false);
	assert_int_equal(oakctl("version", NULL, NULL, NULL), 0);
	assert_has(out_buf, "oakctl 0.1.0\n");
	assert_has(out_buf, "oakd 0.1.0 (Linux, ");
}

static void oakctl_status_text(void **state)
{
	(void)state;
	need_tools(false);
	assert_int_equal(oakctl("status", NULL, NULL, NULL), 0);
	assert_has(out_buf, "gw #1 ESTABLISHED IKEv2 192.0.2.1[500] 'moon.example' <-> "
			    "192.0.2.2[4500] 'sun.example' "
			    "AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 up 120s\n");
	assert_has(out_buf, "  net #2 INSTALLED TUNNEL ESP 10.1.0.0/16 === 10.2.0.0/16 "
			    "AES_GCM_16-128 in c1a2b3c4 out d4c3b2a1\n");
	assert_has(out_buf, "rw #3 CONNECTING IKEv2 192.0.2.1[500] '%any' <-> 198.51.100.7[500]");
}

static void oakctl_status_json(void **state)
{
	json_error_t jerr;
	json_t *j, *gw, *child;

	(void)state;
	need_tools(false);
	assert_int_equal(oakctl("--json", "status", NULL, NULL), 0);
	j = json_loads(out_buf, 0, &jerr);
	if (!j)
		fail_msg("not JSON (%s): %s", jerr.text, out_buf);
	assert_int_equal(json_array_size(j), 2);
	gw = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(gw, "name")), "gw");
	assert_int_equal(json_integer_value(json_object_get(gw, "uniqueid")), 1);
	assert_string_equal(json_string_value(json_object_get(gw, "initiator-spi")),
			    "0102030405060708");
	assert_string_equal(json_string_value(json_object_get(gw, "responder-spi")),
			    "1112131415161718");
	assert_string_equal(json_string_value(json_object_get(gw, "dh-group")), "MODP_2048");
	assert_int_equal(json_integer_value(json_object_get(gw, "established")), 120);
	child = json_array_get(json_object_get(gw, "child-sas"), 0);
	assert_string_equal(json_string_value(json_object_get(child, "name")), "net");
	assert_string_equal(json_string_value(json_object_get(child, "spi-in")), "c1a2b3c4");
	assert_int_equal(json_integer_value(json_object_get(child, "bytes-in")), 4242);
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(child, "local-ts"), 0)),
		"10.1.0.0/16");
	json_decref(j);
}

static void oakctl_show(void **state)
{
	json_error_t jerr;
	json_t *j;

	(void)state;
	need_tools(false);
	assert_int_equal(oakctl("show", "sas", "gw", NULL), 0);
	assert_has(out_buf, "gw: #1, ESTABLISHED, IKEv2, 0102030405060708_i* 1112131415161718_r\n");
	assert_has(out_buf, "  remote 'sun.example' @ 192.0.2.2[4500]\n");
	assert_has(out_buf, "  established 120s ago, rekeying in 13000s\n");
	assert_has(out_buf, "  net: #2, reqid 1, INSTALLED, TUNNEL, ESP:AES_GCM_16-128\n");
	assert_has(out_buf, "    in  c1a2b3c4,   4242 bytes,    42 packets\n");
	assert_true(strstr(out_buf, "rw:") == NULL); /* filtered by name */

	assert_int_equal(oakctl("show", "conns", NULL, NULL), 0);
	assert_has(out_buf, "gw: IKEv2, no reauthentication, rekeying every 14400s\n");
	assert_has(out_buf, "  local pre-shared key authentication:\n    id: moon.example\n");
	assert_has(out_buf, "  net: TUNNEL, rekeying every 3600s\n");
	assert_has(out_buf, "    remote: 10.2.0.0/16\n");

	assert_int_equal(oakctl("-j", "show", "conns", NULL), 0);
	j = json_loads(out_buf, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "version")),
			    "IKEv2");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 0), "rekey_time")),
			 14400);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(json_array_get(j, 0), "children"), 0),
			"name")),
		"net");
	json_decref(j);

	assert_int_equal(oakctl("show", "nothing", NULL, NULL), 2);
	assert_has(err_buf, "got 'nothing'");
}

static void oakctl_up_streams_log(void **state)
{
	(void)state;
	need_tools(false);
	T.init_calls = 0;
	assert_int_equal(oakctl("up", "gw", NULL, NULL), 0);
	assert_int_equal(T.init_calls, 1);
	assert_string_equal(T.init_ike, "gw");
	assert_string_equal(T.init_child, "(null)");
	/* the line logged during the op, and the later one found by its serial */
	assert_has(out_buf, "[IKE] initiating IKE SA #7 to 192.0.2.2\n"
			    "[IKE] IKE SA #7 192.0.2.2: AUTH_I -> ESTABLISHED\n");
	assert_true(strstr(out_buf, "debug line") == NULL);    /* loglevel 1 */
	assert_true(strstr(out_buf, "somebody else") == NULL); /* another SA */
	assert_has(out_buf, "up gw: done\n");

	assert_int_equal(oakctl("-j", "up", "gw", "net"), 0);
	assert_string_equal(T.init_child, "net");
	assert_has(out_buf, "{\"group\":\"IKE\",\"level\":1,\"msg\":\"initiating IKE SA #7 to "
			    "192.0.2.2\"}\n");
	assert_has(out_buf, "{\"success\":true}\n");
}

static void oakctl_up_failures(void **state)
{
	(void)state;
	need_tools(false);
	assert_int_equal(oakctl("up", "bad", NULL, NULL), 1);
	assert_has(err_buf, "oakctl: up bad failed: no connection 'bad'\n");

	assert_int_equal(oakctl("up", "fail", NULL, NULL), 1);
	assert_has(err_buf, "oakctl: up fail failed: establishing IKE SA #8 for IKE SA 'fail' "
			    "failed: peer answered NO_PROPOSAL_CHOSEN\n");

	assert_int_equal(oakctl("up", "slow", "--timeout", "1"), 1);
	assert_has(err_buf, "initiating IKE SA 'slow' timed out after 1000 ms");

	assert_int_equal(oakctl("up", NULL, NULL, NULL), 2);
	assert_has(err_buf, "Usage: oakctl");
}

static void oakctl_down(void **state)
{
	(void)state;
	need_tools(false);
	assert_int_equal(oakctl("down", "gw", NULL, NULL), 0);
	assert_string_equal(T.term_name, "gw");
	assert_has(out_buf, "[IKE] deleting IKE SA gw\n");
	assert_has(out_buf, "down gw: done\n");

	assert_int_equal(oakctl("down", "1", NULL, NULL), 0);
	assert_int_equal(T.term.ike_id, 1);

	assert_int_equal(oakctl("down", "--child", "2", NULL), 0);
	assert_int_equal(T.term.child_id, 2);

	assert_int_equal(oakctl("down", "nothing", NULL, NULL), 1);
	assert_has(err_buf, "no matching SAs to terminate found (IKE SA 'nothing')");
}

static void oakctl_unreachable(void **state)
{
	char path[160], want[256];
	const char *argv[] = {T.oakctl, "--socket", path, "status", NULL};

	(void)state;
	need_tools(false);
	snprintf(path, sizeof(path), "%s/nobody/oak.vici", T.dir);
	assert_int_equal(run(argv), 3);
	snprintf(want, sizeof(want), "oakctl: cannot reach oakd at %s: No such file or directory\n",
		 path);
	assert_string_equal(err_buf, want);
	/* version still tells oakctl's own, and why oakd's is missing */
	argv[3] = "version";
	assert_int_equal(run(argv), 0);
	assert_string_equal(out_buf, "oakctl 0.1.0\n");
	assert_string_equal(err_buf, want);
}

/* ---- swanctl: strongSwan's client shows our values ---- */

static void swanctl_version_and_stats(void **state)
{
	(void)state;
	need_tools(true);
	assert_int_equal(swanctl("--version", "--daemon", NULL, NULL), 0);
	assert_has(out_buf, "strongSwan 0.1.0 oakd (Linux, ");
	assert_int_equal(swanctl("--stats", NULL, NULL, NULL), 0);
	assert_has(out_buf, "uptime: ");
	assert_has(out_buf, "worker threads: 2 total, 1 idle, working: 0/0/1/0\n");
	assert_has(out_buf, "IKE_SAs: 2 total, 1 half-open\n");
}

static void swanctl_list_sas(void **state)
{
	(void)state;
	need_tools(true);
	assert_int_equal(swanctl("--list-sas", NULL, NULL, NULL), 0);
	assert_has(out_buf, "gw: #1, ESTABLISHED, IKEv2, 0102030405060708_i* 1112131415161718_r\n"
			    "  local  'moon.example' @ 192.0.2.1[500]\n"
			    "  remote 'sun.example' @ 192.0.2.2[4500]\n"
			    "  AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048\n"
			    "  established 120s ago, rekeying in 13000s\n"
			    "  net: #2, reqid 1, INSTALLED, TUNNEL, ESP:AES_GCM_16-128\n"
			    "    installed 100s ago, rekeying in 3000s\n"
			    "    in  c1a2b3c4,   4242 bytes,    42 packets\n"
			    "    out d4c3b2a1,      0 bytes,     0 packets\n"
			    "    local  10.1.0.0/16\n"
			    "    remote 10.2.0.0/16\n");
	assert_has(out_buf, "rw: #3, CONNECTING, IKEv2, 0000000000000000_i 0000000000000000_r*\n");
	/* the filter by unique id */
	assert_int_equal(swanctl("--list-sas", "--ike-id", "3", NULL), 0);
	assert_true(strstr(out_buf, "gw:") == NULL);
	assert_has(out_buf, "rw: #3");
}

static void swanctl_list_conns(void **state)
{
	(void)state;
	need_tools(true);
	assert_int_equal(swanctl("--list-conns", NULL, NULL, NULL), 0);
	assert_has(out_buf, "gw: IKEv2, no reauthentication, rekeying every 14400s\n"
			    "  local:  192.0.2.1\n"
			    "  remote: 192.0.2.2\n"
			    "  local pre-shared key authentication:\n"
			    "    id: moon.example\n"
			    "  remote pre-shared key authentication:\n"
			    "    id: sun.example\n"
			    "  net: TUNNEL, rekeying every 3600s\n"
			    "    local:  10.1.0.0/16\n"
			    "    remote: 10.2.0.0/16\n");
}

static void swanctl_initiate_terminate(void **state)
{
	(void)state;
	need_tools(true);
	assert_int_equal(swanctl("--initiate", "--child", "net", NULL), 0);
	assert_string_equal(T.init_ike, "(null)");
	assert_string_equal(T.init_child, "net");
	assert_has(out_buf, "[IKE] initiating IKE SA #7 to 192.0.2.2\n");
	assert_has(out_buf, "initiate completed successfully\n");
	assert_int_equal(swanctl("--terminate", "--ike", "gw", NULL), 0);
	assert_has(out_buf, "terminate completed successfully\n");
	assert_int_not_equal(swanctl("--initiate", "--child", "bad", NULL), 0);
	assert_has(err_buf, "initiate failed: no connection 'bad'\n");
}

/* ---- the protocol's corners, with a raw client ---- */

/* What the raw client received and did not consume yet (one client at a time). */
static struct {
	uint8_t acc[1 << 16];
	size_t have;
	int fd;
} R = {.fd = -1};

static int raw_connect(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.100s", T.sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	R.have = 0;
	R.fd = fd;
	return fd;
}

static void raw_send(int fd, struct vici_builder *vb)
{
	size_t len;
	uint8_t *p = vici_build_take(vb, &len, NULL);

	assert_non_null(p);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	free(p);
}

static void pump(int n)
{
	for (int i = 0; i < n; i++)
		event_base_loop(T.base, EVLOOP_NONBLOCK);
}

/* One packet from the server (its body into buf): its length, -1 on EOF, -2
 * after 2 s without one. */
static long raw_recv(int fd, uint8_t *buf, size_t cap)
{
	if (R.fd != fd) {
		R.have = 0;
		R.fd = fd;
	}
	for (int tries = 0; tries < 2000; tries++) {
		ssize_t n;

		if (R.have >= 4) {
			size_t len = (size_t)R.acc[0] << 24 | (size_t)R.acc[1] << 16 |
				     (size_t)R.acc[2] << 8 | R.acc[3];

			if (R.have >= 4 + len && len <= cap) {
				memcpy(buf, R.acc + 4, len);
				memmove(R.acc, R.acc + 4 + len, R.have - 4 - len);
				R.have -= 4 + len;
				return (long)len;
			}
		}
		pump(1);
		n = recv(fd, R.acc + R.have, sizeof(R.acc) - R.have, MSG_DONTWAIT);
		if (n == 0)
			return -1;
		if (n > 0)
			R.have += (size_t)n;
		else
			usleep(1000);
	}
	return -2;
}

static void raw_expect_op(int fd, enum vici_op op)
{
	static uint8_t buf[1 << 16];
	long n = raw_recv(fd, buf, sizeof(buf));

	if (n < 1 || buf[0] != op)
		fail_msg("expected %s, got %ld bytes, type %d", vici_op_name(op), n,
			 n > 0 ? buf[0] : -1);
}

static void unknown_command_and_event(void **state)
{
	static uint8_t buf[1 << 16];
	struct vici_builder vb;
	struct vici_packet pkt;
	struct vici_node *msg;
	int fd;
	long n;

	(void)state;
	fd = raw_connect();
	vici_build_packet(&vb, VICI_CMD_REQUEST, "load-pool"); /* no pools in oakd */
	raw_send(fd, &vb);
	raw_expect_op(fd, VICI_CMD_UNKNOWN);
	vici_build_packet(&vb, VICI_EVENT_REGISTER, "no-such-event");
	raw_send(fd, &vb);
	raw_expect_op(fd, VICI_EVENT_UNKNOWN);
	/* a malformed request gets an answer saying where */
	vici_build_packet(&vb, VICI_CMD_REQUEST, "list-sas");
	vici_add_list(&vb, "l");
	vb.in_list = false; /* let the builder write an unclosed list */
	raw_send(fd, &vb);
	n = raw_recv(fd, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(vici_packet_parse(buf, (size_t)n, &pkt, NULL), 0);
	assert_int_equal(pkt.op, VICI_CMD_RESPONSE);
	assert_int_equal(vici_msg_parse(pkt.msg.p, pkt.msg.len, &msg, NULL), 0);
	assert_string_equal(vici_find_str(msg, "success", ""), "no");
	assert_string_equal(vici_find_str(msg, "errmsg", ""),
			    "malformed 'list-sas' request at byte 3: list 'l' not closed at the "
			    "end of the message");
	vici_node_free(msg);
	/* an initiate whose SA came up while the op still ran */
	vici_build_packet(&vb, VICI_CMD_REQUEST, "initiate");
	vici_add_kv_str(&vb, "ike", "sync");
	raw_send(fd, &vb);
	n = raw_recv(fd, buf, sizeof(buf));
	assert_true(n > 0);
	vici_packet_parse(buf, (size_t)n, &pkt, NULL);
	assert_int_equal(vici_msg_parse(pkt.msg.p, pkt.msg.len, &msg, NULL), 0);
	assert_string_equal(vici_find_str(msg, "success", ""), "yes");
	vici_node_free(msg);
	close(fd);
}

static void oversized_packet_disconnects(void **state)
{
	uint8_t hdr[] = {0x00, 0x08, 0x00, 0x01, 0x00}; /* 512 KiB + 1 */
	uint8_t buf[64];
	int fd;

	(void)state;
	fd = raw_connect();
	pump(3);
	assert_int_equal(vici_server_clients(T.srv), 1);
	assert_int_equal(write(fd, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	assert_int_equal(raw_recv(fd, buf, sizeof(buf)), -1);
	pump(3);
	assert_int_equal(vici_server_clients(T.srv), 0);
	close(fd);
}

static void updown_events_reach_registered_clients(void **state)
{
	static uint8_t buf[1 << 16];
	struct vici_child_sa child;
	struct vici_ike_sa sa;
	struct vici_builder vb;
	struct vici_packet pkt;
	struct vici_node *msg;
	int fd, other;
	long n;

	(void)state;
	fd = raw_connect();
	other = raw_connect();
	vici_build_packet(&vb, VICI_EVENT_REGISTER, "child-updown");
	raw_send(fd, &vb);
	raw_expect_op(fd, VICI_EVENT_CONFIRM);
	fill_child(&child, 2);
	fill_gw(&sa, 1, &child);
	vici_server_child_event(T.srv, &sa, &child, VICI_SA_UP, NULL);
	vici_server_ike_event(T.srv, &sa, VICI_SA_UP, NULL); /* not registered for it */
	n = raw_recv(fd, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(vici_packet_parse(buf, (size_t)n, &pkt, NULL), 0);
	assert_int_equal(pkt.op, VICI_EVENT);
	assert_string_equal(pkt.name, "child-updown");
	assert_int_equal(vici_msg_parse(pkt.msg.p, pkt.msg.len, &msg, NULL), 0);
	assert_string_equal(vici_find_str(msg, "up", ""), "yes");
	assert_string_equal(vici_find_str(msg, "gw.child-sas.net-2.spi-out", ""), "d4c3b2a1");
	vici_node_free(msg);
	/* nothing else came: the next packet is the answer to a version request */
	vici_build_packet(&vb, VICI_CMD_REQUEST, "version");
	raw_send(fd, &vb);
	raw_expect_op(fd, VICI_CMD_RESPONSE);
	/* the unregistered client got nothing either */
	vici_build_packet(&vb, VICI_CMD_REQUEST, "version");
	raw_send(other, &vb);
	raw_expect_op(other, VICI_CMD_RESPONSE);
	close(fd);
	close(other);
	pump(3);
}

static void slow_client_is_bounded(void **state)
{
	static uint8_t buf[64];
	char line[2000];
	struct vici_builder vb;
	int fd;

	(void)state;
	fd = raw_connect();
	vici_build_packet(&vb, VICI_EVENT_REGISTER, "log");
	raw_send(fd, &vb);
	raw_expect_op(fd, VICI_EVENT_CONFIRM);
	/* 4 MB of log events to a client that reads none: dropped, not queued */
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	logcap_start();
	for (int i = 0; i < 2000; i++)
		vici_server_log(T.srv, 0, SUB_IKE, LVL_INFO, line);
	assert_int_equal(vici_server_clients(T.srv), 1);
	assert_true(logcap_contains("is not reading: dropping its events"));
	/* a command whose answer would pass the bound: disconnected */
	vici_build_packet(&vb, VICI_EVENT_REGISTER, "list-sa");
	raw_send(fd, &vb);
	T.extra_sas = 2000;
	vici_build_packet(&vb, VICI_CMD_REQUEST, "list-sas");
	raw_send(fd, &vb);
	for (int i = 0; i < 200 && vici_server_clients(T.srv) > 0; i++) {
		pump(1);
		usleep(1000);
	}
	T.extra_sas = 0;
	assert_true(logcap_contains("output queue would pass 262144 bytes"));
	logcap_stop();
	assert_int_equal(vici_server_clients(T.srv), 0);
	(void)buf;
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(socket_modes_and_stale_files),
		cmocka_unit_test(oakctl_version),
		cmocka_unit_test(oakctl_status_text),
		cmocka_unit_test(oakctl_status_json),
		cmocka_unit_test(oakctl_show),
		cmocka_unit_test(oakctl_up_streams_log),
		cmocka_unit_test(oakctl_up_failures),
		cmocka_unit_test(oakctl_down),
		cmocka_unit_test(oakctl_unreachable),
		cmocka_unit_test(swanctl_version_and_stats),
		cmocka_unit_test(swanctl_list_sas),
		cmocka_unit_test(swanctl_list_conns),
		cmocka_unit_test(swanctl_initiate_terminate),
		cmocka_unit_test(unknown_command_and_event),
		cmocka_unit_test(oversized_packet_disconnects),
		cmocka_unit_test(updown_events_reach_registered_clients),
		cmocka_unit_test(slow_client_is_bounded),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
