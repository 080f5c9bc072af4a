/* vici_cmds_conf.c: the commands that load and list configuration and
 * credentials, and rekey / reload-settings, with the request and response
 * layouts of strongSwan's vici README (so swanctl --load-all, --load-conns,
 * --load-creds, --list-certs, --rekey and --reload-settings work). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ike/certs.h"
#include "lib/util.h"
#include "vici/vici_int.h"

static void reply_empty(struct vici_client *c)
{
	struct vici_builder vb;

	vici_build_packet(&vb, VICI_CMD_RESPONSE, NULL);
	vici_client_send(c, &vb);
}

/* A copy of what VICI loaded, to change and hand to apply; NULL after
 * answering when that cannot be done. */
static struct vici_conf *candidate(struct vici_client *c)
{
	struct vici_conf *cand;

	if (!c->s->ops.apply) {
		vici_reply_result(c, false,
				  "loading configuration is not available in this daemon");
		return NULL;
	}
	cand = vici_conf_dup(c->s->conf);
	if (!cand)
		vici_reply_result(c, false, "out of memory");
	return cand;
}

/* Validate and run with cand (adopted); the server keeps it on success. */
static void apply(struct vici_client *c, struct vici_conf *cand, int rc, const char *err)
{
	struct vici_server *s = c->s;
	char why[512];

	if (rc == 0) {
		why[0] = '\0';
		rc = s->ops.apply(s->ops.ctx, cand, why, sizeof(why));
		err = why;
	}
	if (rc != 0) {
		vici_conf_free(cand);
		vici_reply_result(c, false, err && *err ? err : strerror(-rc));
		return;
	}
	vici_conf_free(s->conf);
	s->conf = cand;
	vici_reply_result(c, true, NULL);
}

/* load-conn { <name> = { ... } }: every section is one connection. */
static void cmd_load_conn(struct vici_client *c, const struct vici_node *req)
{
	struct vici_conf *cand;
	char err[512] = "";
	int rc = 0, n = 0;

	if (!(cand = candidate(c)))
		return;
	for (const struct vici_node *m = req->child; m && rc == 0; m = m->next, n++)
		rc = vici_conf_load_conn(cand, m, err, sizeof(err));
	if (rc == 0 && n == 0) {
		snprintf(err, sizeof(err), "expected a section named after the connection");
		rc = -EINVAL;
	}
	if (rc == 0)
		log_info(SUB_VICI, "vici: loading %d connection%s", n, n == 1 ? "" : "s");
	apply(c, cand, rc, err);
}

static void cmd_unload_conn(struct vici_client *c, const struct vici_node *req)
{
	const char *name = vici_find_str(req, "name", NULL);
	struct vici_conf *cand;
	char err[256] = "";
	int rc;

	if (!name) {
		vici_reply_result(c, false, "name: expected the connection to unload");
		return;
	}
	if (!(cand = candidate(c)))
		return;
	rc = vici_conf_unload_conn(cand, name, err, sizeof(err));
	apply(c, cand, rc, err);
}

static void add_item(const char *name, void *arg)
{
	vici_add_item_str(arg, name);
}

/* get-conns: { conns = [ names loaded over vici ] } */
static void cmd_get_conns(struct vici_client *c, const struct vici_node *req)
{
	struct vici_builder vb;

	(void)req;
	vici_build_packet(&vb, VICI_CMD_RESPONSE, NULL);
	vici_add_list(&vb, "conns");
	vici_conf_conns(c->s->conf, add_item, &vb);
	vici_end_list(&vb);
	vici_client_send(c, &vb);
}

static void cmd_load_shared(struct vici_client *c, const struct vici_node *req)
{
	struct vici_conf *cand;
	char err[256] = "";
	int rc;

	if (!(cand = candidate(c)))
		return;
	rc = vici_conf_load_shared(cand, req, err, sizeof(err));
	apply(c, cand, rc, err);
}

static void cmd_unload_shared(struct vici_client *c, const struct vici_node *req)
{
	const char *id = vici_find_str(req, "id", NULL);
	struct vici_conf *cand;
	char err[256] = "";
	int rc;

	if (!id) {
		vici_reply_result(c, false, "id: expected the shared key to unload");
		return;
	}
	if (!(cand = candidate(c)))
		return;
	rc = vici_conf_unload_shared(cand, id, err, sizeof(err));
	apply(c, cand, rc, err);
}

/* get-shared: { keys = [ ids loaded over vici ] } */
static void cmd_get_shared(struct vici_client *c, const struct vici_node *req)
{
	struct vici_builder vb;

	(void)req;
	vici_build_packet(&vb, VICI_CMD_RESPONSE, NULL);
	vici_add_list(&vb, "keys");
	vici_conf_shared(c->s->conf, add_item, &vb);
	vici_end_list(&vb);
	vici_client_send(c, &vb);
}

static void cmd_load_cert(struct vici_client *c, const struct vici_node *req)
{
	struct vici_conf *cand;
	char err[512] = "";
	int rc;

	if (!(cand = candidate(c)))
		return;
	rc = vici_conf_load_cert(cand, req, err, sizeof(err));
	apply(c, cand, rc, err);
}

static void cmd_load_key(struct vici_client *c, const struct vici_node *req)
{
	struct vici_conf *cand;
	char err[512] = "";
	int rc;

	if (!(cand = candidate(c)))
		return;
	rc = vici_conf_load_key(cand, req, err, sizeof(err));
	apply(c, cand, rc, err);
}

static void cmd_clear_creds(struct vici_client *c, const struct vici_node *req)
{
	struct vici_conf *cand;

	(void)req;
	if (!(cand = candidate(c)))
		return;
	vici_conf_clear_creds(cand);
	apply(c, cand, 0, NULL);
}

struct cert_filter {
	struct vici_client *c;
	int flag; /* -1 any, 0 NONE, 1 CA */
};

static void list_cert_cb(const struct certs_cert *cert, bool ca, bool has_key, void *arg)
{
	struct cert_filter *f = arg;
	struct span der = certs_cert_der(cert);
	struct vici_builder vb;

	if (f->flag >= 0 && f->flag != (int)ca)
		return;
	vici_build_packet(&vb, VICI_EVENT, "list-cert");
	vici_add_kv_str(&vb, "type", "X509");
	vici_add_kv_str(&vb, "flag", ca ? "CA" : "NONE");
	if (has_key)
		vici_add_kv_str(&vb, "has_privkey", "yes");
	vici_add_kv(&vb, "data", der.p, der.len);
	vici_client_event(f->c, VICI_EV_LIST_CERT, &vb);
}

/* list-certs { type, flag, subject }: one list-cert event per certificate,
 * then an empty response. oakd holds X.509 certificates only. */
static void cmd_list_certs(struct vici_client *c, const struct vici_node *req)
{
	const char *type = vici_find_str(req, "type", "ANY");
	const char *flag = vici_find_str(req, "flag", "ANY");
	struct cert_filter f = {.c = c, .flag = -1};

	if (strcasecmp(flag, "ca") == 0)
		f.flag = 1;
	else if (strcasecmp(flag, "none") == 0)
		f.flag = 0;
	else if (strcasecmp(flag, "any") != 0)
		f.flag = 2; /* AA, OCSP: oakd has none */
	if ((strcasecmp(type, "any") == 0 || strcasecmp(type, "x509") == 0) &&
	    c->s->ops.list_certs && vici_client_wants(c, VICI_EV_LIST_CERT))
		c->s->ops.list_certs(c->s->ops.ctx, list_cert_cb, &f);
	reply_empty(c);
}

struct policy_filter {
	struct vici_client *c;
	const char *child; /* only this child config, or NULL */
};

static void add_ts_list(struct vici_builder *vb, const char *key, const struct ts *ts, size_t n)
{
	char buf[TS_STRLEN];

	vici_add_list(vb, key);
	for (size_t i = 0; i < n; i++)
		vici_add_item_str(vb, ts_fmt(&ts[i], buf, sizeof(buf)));
	if (n == 0) /* swanctl.conf(5): no selector means the IKE address */
		vici_add_item_str(vb, "dynamic");
	vici_end_list(vb);
}

/* README "list-policy": { <ike>/<child> = { child, ike, mode, local-ts,
 * remote-ts } } */
static void list_policy_cb(const struct conn_cfg *conn, const struct child_cfg *ch, void *arg)
{
	struct policy_filter *f = arg;
	char name[2 * MODEL_NAME_MAX + 2];
	struct vici_builder vb;

	if (f->child && strcmp(f->child, ch->name) != 0)
		return;
	snprintf(name, sizeof(name), "%s/%s", conn->name, ch->name);
	vici_build_packet(&vb, VICI_EVENT, "list-policy");
	vici_add_section(&vb, name);
	vici_add_kv_str(&vb, "child", ch->name);
	vici_add_kv_str(&vb, "ike", conn->name);
	vici_add_kv_str(&vb, "mode", ch->mode == CHILD_MODE_TRANSPORT ? "TRANSPORT" : "TUNNEL");
	add_ts_list(&vb, "local-ts", ch->local_ts, ch->nlocal_ts);
	add_ts_list(&vb, "remote-ts", ch->remote_ts, ch->nremote_ts);
	vici_end_section(&vb);
	vici_client_event(f->c, VICI_EV_LIST_POLICY, &vb);
}

/* list-policies { drop, pass, trap, child }: one list-policy event per trap
 * policy oakd installed (start_action = trap), then an empty response. oakd
 * installs no drop or pass policies of its own, so those list nothing. With
 * none of drop/pass/trap given, all are listed (as swanctl --list-pols). */
static void cmd_list_policies(struct vici_client *c, const struct vici_node *req)
{
	struct policy_filter f = {.c = c, .child = vici_find_str(req, "child", NULL)};
	bool any = vici_find(req, "trap") || vici_find(req, "drop") || vici_find(req, "pass");

	if ((!any || vici_find_yes(req, "trap")) && c->s->ops.list_policies &&
	    vici_client_wants(c, VICI_EV_LIST_POLICY))
		c->s->ops.list_policies(c->s->ops.ctx, list_policy_cb, &f);
	reply_empty(c);
}

static void cmd_reload_settings(struct vici_client *c, const struct vici_node *req)
{
	char err[512] = "";
	int rc;

	(void)req;
	if (!c->s->ops.reload) {
		vici_reply_result(c, false, "reload-settings is not available in this daemon");
		return;
	}
	rc = c->s->ops.reload(c->s->ops.ctx, err, sizeof(err));
	vici_reply_result(c, rc == 0, rc == 0 ? NULL : err[0] ? err : strerror(-rc));
}

static uint32_t req_id(const struct vici_node *req, const char *key, const char *alt, bool *bad)
{
	const char *v = vici_find_str(req, key, NULL);
	unsigned long n;
	char *end;

	if (!v)
		v = vici_find_str(req, alt, NULL);
	if (!v)
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (!*v || *end || errno || n == 0 || n > UINT32_MAX) {
		*bad = true;
		return 0;
	}
	return (uint32_t)n;
}

/* rekey { child | ike | child-id | ike-id, reauth }: { success, errmsg,
 * matches } as strongSwan 5.9 answers (the rekeying goes on after the
 * answer; ike-rekey/child-rekey events tell when it is done). */
static void cmd_rekey(struct vici_client *c, const struct vici_node *req)
{
	struct vici_server *s = c->s;
	struct vici_terminate_req t = {0};
	struct vici_builder vb;
	char err[256] = "";
	bool bad = false;
	size_t n = 0;
	int rc;

	t.ike = vici_find_str(req, "ike", NULL);
	t.child = vici_find_str(req, "child", NULL);
	t.ike_id = req_id(req, "ike-id", "ike_id", &bad);
	t.child_id = req_id(req, "child-id", "child_id", &bad);
	if (bad || !!t.ike + !!t.child + !!t.ike_id + !!t.child_id != 1) {
		vici_reply_result(c, false,
				  bad ? "ike-id/child-id: expected a number"
				      : "give exactly one of child, ike, child-id, ike-id");
		return;
	}
	if (!s->ops.rekey) {
		vici_reply_result(c, false, "rekeying is not available in this daemon");
		return;
	}
	rc = s->ops.rekey(s->ops.ctx, &t, vici_find_yes(req, "reauth"), &n, err, sizeof(err));
	if (rc == 0 && n == 0) {
		snprintf(err, sizeof(err), "no matching SAs to rekey found");
		rc = -ENOENT;
	}
	vici_build_packet(&vb, VICI_CMD_RESPONSE, NULL);
	vici_add_kv_str(&vb, "success", rc == 0 ? "yes" : "no");
	if (rc != 0)
		vici_add_kv_str(&vb, "errmsg", err[0] ? err : strerror(-rc));
	vici_add_kvf(&vb, "matches", "%zu", n);
	vici_client_send(c, &vb);
}

static const struct {
	const char *name;
	vici_cmd_fn *fn;
} cmds[] = {
	{"load-conn", cmd_load_conn},
	{"unload-conn", cmd_unload_conn},
	{"get-conns", cmd_get_conns},
	{"load-shared", cmd_load_shared},
	{"unload-shared", cmd_unload_shared},
	{"get-shared", cmd_get_shared},
	{"load-cert", cmd_load_cert},
	{"load-key", cmd_load_key},
	{"clear-creds", cmd_clear_creds},
	{"list-certs", cmd_list_certs},
	{"list-policies", cmd_list_policies},
	{"reload-settings", cmd_reload_settings},
	{"rekey", cmd_rekey},
};

vici_cmd_fn *vici_cmd_conf_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return cmds[i].fn;
	return NULL;
}
