/* show.c: `oakctl show sas|conns` over VICI (list-sas, list-conns), in the
 * layout of swanctl --list-sas / --list-conns, or JSON; the dispatch of the
 * other show subcommands; and the helpers the other status verbs share. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/vici_client.h"
#include "lib/util.h"

/* Keys whose values are counts or seconds: numbers in JSON. */
static bool numeric_key(const char *key)
{
	static const char *const keys[] = {
		"uniqueid",    "reqid",	       "version",	 "local-port",	"remote-port",
		"established", "rekey-time",   "reauth-time",	 "life-time",	"install-time",
		"bytes-in",    "bytes-out",    "packets-in",	 "packets-out", "use-in",
		"use-out",     "encr-keysize", "integ-keysize",	 "local_port",	"remote_port",
		"rekey_time",  "reauth_time",  "dpd_delay",	 "rekey_bytes", "rekey_packets",
		"priority",    "level",	       "ikesa-uniqueid",
	};
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

static json_t *json_value(const struct vici_node *kv)
{
	const char *v = kv->value;
	size_t n = strspn(v, "0123456789");

	if (numeric_key(kv->name) && n == kv->value_len && n > 0 && n < 19)
		return json_integer(strtoll(v, NULL, 10));
	return json_stringn(v, kv->value_len);
}

json_t *ctl_json_section(const struct vici_node *sec)
{
	json_t *o = json_object();

	for (const struct vici_node *m = sec->child; m; m = m->next) {
		json_t *v = NULL;

		if (m->type == VICI_NODE_SECTION) {
			v = ctl_json_section(m);
		} else if (m->type == VICI_NODE_KV) {
			v = json_value(m);
		} else if (m->type == VICI_NODE_LIST) {
			v = json_array();
			for (const struct vici_node *i = m->child; i; i = i->next)
				json_array_append_new(v, json_stringn(i->value, i->value_len));
		}
		if (v)
			json_object_set_new(o, m->name, v);
	}
	return o;
}

/* {"a": {...}, "b": {...}} -> [{"name": "a", ...}, ...] (keys `key` of o). */
static void object_to_array(json_t *o, const char *key, bool add_name)
{
	json_t *sub = json_object_get(o, key), *arr, *v;
	const char *k;

	if (!json_is_object(sub))
		return;
	arr = json_array();
	json_object_foreach(sub, k, v)
	{
		if (add_name && !json_object_get(v, "name"))
			json_object_set_new(v, "name", json_string(k));
		json_array_append(arr, v);
	}
	json_object_set_new(o, key, arr);
}

/* "established": 120 (seconds ago) -> also "established-at": RFC 3339. */
static void add_time(json_t *o, const char *ago_key, const char *at_key, long long now)
{
	json_t *v = json_object_get(o, ago_key);
	char buf[40];

	if (json_is_integer(v))
		json_object_set_new(
			o, at_key,
			json_string(ctl_rfc3339(now - json_integer_value(v), buf, sizeof(buf))));
}

json_t *ctl_json_sa(const struct vici_node *sa)
{
	json_t *o = ctl_json_section(sa);
	long long now = (long long)time(NULL);
	size_t i;

	json_object_set_new(o, "name", json_string(sa->name));
	add_time(o, "established", "established-at", now);
	object_to_array(o, "child-sas", true);
	for (i = 0; i < json_array_size(json_object_get(o, "child-sas")); i++)
		add_time(json_array_get(json_object_get(o, "child-sas"), i), "install-time",
			 "installed-at", now);
	return o;
}

void ctl_json_print(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(j);
}

const char *ctl_join_list(const struct vici_node *sec, const char *key, const char *sep, char *buf,
			  size_t len)
{
	const struct vici_node *l = vici_member(sec, key);
	size_t off = 0;

	buf[0] = '\0';
	if (!l || l->type != VICI_NODE_LIST)
		return buf;
	for (const struct vici_node *i = l->child; i && off < len; i = i->next) {
		int w = snprintf(buf + off, len - off, "%s%s", off ? sep : "", i->value);

		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

const char *ctl_fmt_algs(const struct vici_node *sec, char *buf, size_t len)
{
	static const char *const keys[] = {"integ-alg", "prf-alg", "dh-group"};
	const char *encr = vici_find_str(sec, "encr-alg", NULL);
	const char *bits = vici_find_str(sec, "encr-keysize", NULL);
	size_t off;

	snprintf(buf, len, "%s%s%s", encr ? encr : "", encr && bits ? "-" : "",
		 encr && bits ? bits : "");
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *v = vici_find_str(sec, keys[i], NULL);

		off = strlen(buf);
		if (v)
			snprintf(buf + off, len - off, "%s%s", off ? "/" : "", v);
	}
	if (vici_find_str(sec, "esn", NULL)) {
		off = strlen(buf);
		snprintf(buf + off, len - off, "/ESN");
	}
	return buf;
}

struct sas_ctx {
	ctl_sa_cb *cb;
	void *arg;
};

static void list_sa_event(void *arg, const char *name, const struct vici_node *msg)
{
	struct sas_ctx *sc = arg;

	if (strcmp(name, "list-sa") != 0)
		return;
	for (const struct vici_node *sa = msg->child; sa; sa = sa->next)
		if (sa->type == VICI_NODE_SECTION)
			sc->cb(sc->arg, sa);
}

int ctl_list_sas(const char *ike, ctl_sa_cb *cb, void *arg)
{
	struct sas_ctx sc = {cb, arg};
	struct vici_builder req, *rp = NULL;
	struct vici_node *res;
	struct vici_conn *c;
	int rc;

	c = vici_conn_open();
	if (!c)
		return CTL_UNREACHABLE;
	rc = vici_conn_register(c, "list-sa");
	if (!rc && ike) {
		vici_build_msg(&req, 0);
		vici_add_kv_str(&req, "ike", ike);
		rp = &req;
	}
	if (!rc)
		rc = vici_call(c, "list-sas", rp, list_sa_event, &sc, &res);
	vici_conn_close(c);
	if (rc)
		return ctl_call_error("list-sas", rc);
	vici_node_free(res);
	return CTL_OK;
}

/* ---- show sas: swanctl --list-sas, without the task lines ---- */

static void print_child(const struct vici_node *ch)
{
	char algs[256], lts[1024], rts[1024];

	printf("  %s: #%s, reqid %s, %s, %s%s, %s:%s\n", vici_find_str(ch, "name", ch->name),
	       vici_find_str(ch, "uniqueid", "?"), vici_find_str(ch, "reqid", "?"),
	       vici_find_str(ch, "state", "?"), vici_find_str(ch, "mode", "?"),
	       vici_find_yes(ch, "encap") ? "-in-UDP" : "", vici_find_str(ch, "protocol", "?"),
	       ctl_fmt_algs(ch, algs, sizeof(algs)));
	printf("    installed %ss ago", vici_find_str(ch, "install-time", "0"));
	if (vici_find_str(ch, "rekey-time", NULL))
		printf(", rekeying in %ss", vici_find_str(ch, "rekey-time", ""));
	if (vici_find_str(ch, "life-time", NULL))
		printf(", expires in %ss", vici_find_str(ch, "life-time", ""));
	printf("\n    in  %s, %6s bytes, %5s packets\n", vici_find_str(ch, "spi-in", "?"),
	       vici_find_str(ch, "bytes-in", "0"), vici_find_str(ch, "packets-in", "0"));
	printf("    out %s, %6s bytes, %5s packets\n", vici_find_str(ch, "spi-out", "?"),
	       vici_find_str(ch, "bytes-out", "0"), vici_find_str(ch, "packets-out", "0"));
	printf("    local  %s\n    remote %s\n",
	       ctl_join_list(ch, "local-ts", " ", lts, sizeof(lts)),
	       ctl_join_list(ch, "remote-ts", " ", rts, sizeof(rts)));
}

static void print_sa(const struct vici_node *sa)
{
	bool init = vici_find_yes(sa, "initiator");
	const struct vici_node *children = vici_member(sa, "child-sas");
	char algs[256];

	printf("%s: #%s, %s, IKEv%s, %s_i%s %s_r%s\n", sa->name, vici_find_str(sa, "uniqueid", "?"),
	       vici_find_str(sa, "state", "?"), vici_find_str(sa, "version", "?"),
	       vici_find_str(sa, "initiator-spi", "?"), init ? "*" : "",
	       vici_find_str(sa, "responder-spi", "?"), init ? "" : "*");
	printf("  local  '%s' @ %s[%s]\n", vici_find_str(sa, "local-id", ""),
	       vici_find_str(sa, "local-host", "?"), vici_find_str(sa, "local-port", "?"));
	printf("  remote '%s' @ %s[%s]\n", vici_find_str(sa, "remote-id", ""),
	       vici_find_str(sa, "remote-host", "?"), vici_find_str(sa, "remote-port", "?"));
	if (vici_find_str(sa, "encr-alg", NULL))
		printf("  %s\n", ctl_fmt_algs(sa, algs, sizeof(algs)));
	if (vici_find_str(sa, "established", NULL)) {
		printf("  established %ss ago", vici_find_str(sa, "established", ""));
		if (vici_find_str(sa, "rekey-time", NULL))
			printf(", rekeying in %ss", vici_find_str(sa, "rekey-time", ""));
		if (vici_find_str(sa, "reauth-time", NULL))
			printf(", reauth in %ss", vici_find_str(sa, "reauth-time", ""));
		printf("\n");
	}
	for (const struct vici_node *ch = children ? children->child : NULL; ch; ch = ch->next)
		if (ch->type == VICI_NODE_SECTION)
			print_child(ch);
}

struct show_ctx {
	json_t *arr; /* JSON mode */
	size_t n;
};

static void show_sa_cb(void *arg, const struct vici_node *sa)
{
	struct show_ctx *sc = arg;

	sc->n++;
	if (sc->arr)
		json_array_append_new(sc->arr, ctl_json_sa(sa));
	else
		print_sa(sa);
}

static int show_sas(const char *ike)
{
	struct show_ctx sc = {.arr = ctl_opts.json ? json_array() : NULL};
	int rc = ctl_list_sas(ike, show_sa_cb, &sc);

	if (rc == CTL_OK && sc.arr)
		ctl_json_print(sc.arr);
	else
		json_decref(sc.arr);
	if (rc == CTL_OK && !sc.arr && sc.n == 0)
		printf("no IKE SAs\n");
	return rc;
}

/* ---- show conns: swanctl --list-conns ---- */

static void print_auth(const struct vici_node *a)
{
	char buf[1024];

	printf("  %s %s authentication:\n", strncmp(a->name, "local", 5) == 0 ? "local" : "remote",
	       vici_find_str(a, "class", "unspecified"));
	if (vici_find_str(a, "id", NULL))
		printf("    id: %s\n", vici_find_str(a, "id", ""));
	if (vici_member(a, "certs"))
		printf("    certs: %s\n", ctl_join_list(a, "certs", " ", buf, sizeof(buf)));
	if (vici_member(a, "cacerts"))
		printf("    cacerts: %s\n", ctl_join_list(a, "cacerts", " ", buf, sizeof(buf)));
}

static void print_conn_child(const struct vici_node *ch)
{
	char buf[1024];
	const char *rt = vici_find_str(ch, "rekey_time", "0");

	printf("  %s: %s, ", ch->name, vici_find_str(ch, "mode", "?"));
	if (strcmp(rt, "0") == 0)
		printf("no rekeying\n");
	else
		printf("rekeying every %ss\n", rt);
	printf("    local:  %s\n", ctl_join_list(ch, "local-ts", " ", buf, sizeof(buf)));
	printf("    remote: %s\n", ctl_join_list(ch, "remote-ts", " ", buf, sizeof(buf)));
}

static void print_conn(const struct vici_node *conn)
{
	const char *reauth = vici_find_str(conn, "reauth_time", "0");
	const char *rekey = vici_find_str(conn, "rekey_time", "0");
	const struct vici_node *children = vici_member(conn, "children");
	char buf[1024];

	printf("%s: %s, ", conn->name, vici_find_str(conn, "version", "?"));
	if (strcmp(reauth, "0") == 0)
		printf("no reauthentication");
	else
		printf("reauthentication every %ss", reauth);
	if (strcmp(rekey, "0") == 0)
		printf(", no rekeying\n");
	else
		printf(", rekeying every %ss\n", rekey);
	printf("  local:  %s\n", ctl_join_list(conn, "local_addrs", " ", buf, sizeof(buf)));
	printf("  remote: %s\n", ctl_join_list(conn, "remote_addrs", " ", buf, sizeof(buf)));
	for (const struct vici_node *m = conn->child; m; m = m->next)
		if (m->type == VICI_NODE_SECTION &&
		    (strncmp(m->name, "local", 5) == 0 || strncmp(m->name, "remote", 6) == 0))
			print_auth(m);
	for (const struct vici_node *ch = children ? children->child : NULL; ch; ch = ch->next)
		if (ch->type == VICI_NODE_SECTION)
			print_conn_child(ch);
}

static void list_conn_event(void *arg, const char *name, const struct vici_node *msg)
{
	struct show_ctx *sc = arg;

	if (strcmp(name, "list-conn") != 0)
		return;
	for (const struct vici_node *conn = msg->child; conn; conn = conn->next) {
		if (conn->type != VICI_NODE_SECTION)
			continue;
		sc->n++;
		if (sc->arr) {
			json_t *o = ctl_json_section(conn);

			json_object_set_new(o, "name", json_string(conn->name));
			object_to_array(o, "children", true);
			json_array_append_new(sc->arr, o);
		} else {
			print_conn(conn);
		}
	}
}

static int show_conns(const char *ike)
{
	struct show_ctx sc = {.arr = ctl_opts.json ? json_array() : NULL};
	struct vici_builder req, *rp = NULL;
	struct vici_node *res;
	struct vici_conn *c;
	int rc;

	c = vici_conn_open();
	if (!c) {
		json_decref(sc.arr);
		return CTL_UNREACHABLE;
	}
	rc = vici_conn_register(c, "list-conn");
	if (!rc && ike) {
		vici_build_msg(&req, 0);
		vici_add_kv_str(&req, "ike", ike);
		rp = &req;
	}
	if (!rc)
		rc = vici_call(c, "list-conns", rp, list_conn_event, &sc, &res);
	vici_conn_close(c);
	if (rc) {
		json_decref(sc.arr);
		return ctl_call_error("list-conns", rc);
	}
	vici_node_free(res);
	if (sc.arr)
		ctl_json_print(sc.arr);
	else if (sc.n == 0)
		printf("no connections\n");
	return CTL_OK;
}

static int show_usage(FILE *f, int rc)
{
	fprintf(f, "Usage: oakctl [-s SOCKET] [-j] show sas [NAME]\n"
		   "       oakctl [-s SOCKET] [-j] show conns [NAME]\n"
		   "       oakctl [-s SOCKET] [-j] show certs|policies|counters\n"
		   "       oakctl [-j] show algs\n"
		   "Show the IKE and CHILD SAs or the loaded connections (NAME: only that "
		   "connection's),\nthe certificates, the installed policies, oakd's counters, "
		   "or the algorithms of this build.\n");
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char *argv[]);
} show_more[] = {
	{"algs", ctl_show_algs},
	{"certs", ctl_show_certs},
	{"policies", ctl_show_policies},
	{"counters", ctl_show_counters},
};

int show_main(int argc, char *argv[])
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return show_usage(stdout, CTL_OK);
	for (size_t i = 0; argc >= 2 && i < ARRAY_SIZE(show_more); i++)
		if (strcmp(argv[1], show_more[i].name) == 0)
			return show_more[i].fn(argc - 1, argv + 1);
	if (argc < 2 || argc > 3 || (argc == 3 && argv[2][0] == '-'))
		return show_usage(stderr, CTL_USAGE);
	if (strcmp(argv[1], "sas") == 0)
		return show_sas(argc == 3 ? argv[2] : NULL);
	if (strcmp(argv[1], "conns") == 0)
		return show_conns(argc == 3 ? argv[2] : NULL);
	fprintf(stderr,
		"oakctl: show: expected sas, conns, certs, policies, counters or algs, got '%s'\n",
		argv[1]);
	return show_usage(stderr, CTL_USAGE);
}
