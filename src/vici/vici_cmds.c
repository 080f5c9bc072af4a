/* vici_cmds.c: the VICI commands oakd answers, with the request and response
 * layouts of strongSwan's vici README ("Client-initiated commands"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "lib/util.h"
#include "vici/vici_int.h"

/* A request key under either spelling: swanctl sends "ike-id", the README
 * writes "ike_id". */
static const char *req_str(const struct vici_node *req, const char *key, const char *alt)
{
	const char *v = vici_find_str(req, key, NULL);

	return v || !alt ? v : vici_find_str(req, alt, NULL);
}

/* A decimal number of a request key; def when absent, -1 with *bad set when
 * not a number. */
static long req_num(const struct vici_node *req, const char *key, const char *alt, long def,
		    bool *bad)
{
	const char *v = req_str(req, key, alt);
	char *end;
	long n;

	if (!v)
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	if (!*v || *end || errno) {
		*bad = true;
		return -1;
	}
	return n;
}

static void cmd_version(struct vici_client *c, const struct vici_node *req)
{
	struct vici_builder vb;
	struct utsname u;

	(void)req;
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	vici_build_packet(&vb, VICI_CMD_RESPONSE, NULL);
	vici_add_kv_str(&vb, "daemon", "oakd");
	vici_add_kv_str(&vb, "version", c->s->version);
	vici_add_kv_str(&vb, "sysname", u.sysname);
	vici_add_kv_str(&vb, "release", u.release);
	vici_add_kv_str(&vb, "machine", u.machine);
	vici_client_send(c, &vb);
}

/* "42 seconds", "5 minutes", "3 hours", "2 days": strongSwan's time_delta
 * printing, which swanctl --stats shows as is. */
static void fmt_uptime(char *buf, size_t len, uint64_t secs)
{
	static const struct {
		uint64_t secs;
		const char *unit;
	} units[] = {{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};

	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		uint64_t n = secs / units[i].secs;

		if (n >= 2 || units[i].secs == 1) {
			snprintf(buf, len, "%llu %s%s", (unsigned long long)n, units[i].unit,
				 n == 1 ? "" : "s");
			return;
		}
	}
}

static void count_sa(const struct vici_ike_sa *sa, void *arg)
{
	struct vici_stats *st = arg;

	st->ikesas_total++;
	if (sa->state == IKE_SA_STATE_INIT_R || sa->state == IKE_SA_STATE_NEW)
		st->ikesas_half_open += !sa->initiator;
}

static void add_zeros(struct vici_builder *vb, const char *sec, unsigned medium)
{
	vici_add_section(vb, sec);
	vici_add_kv_str(vb, "critical", "0");
	vici_add_kv_str(vb, "high", "0");
	vici_add_kvf(vb, "medium", "%u", medium);
	vici_add_kv_str(vb, "low", "0");
	vici_end_section(vb);
}

static void cmd_stats(struct vici_client *c, const struct vici_node *req)
{
	static const char *const own_plugins[] = {"ikev2", "openssl", "vici", NULL};
	struct vici_server *s = c->s;
	struct vici_stats st = {0};
	struct vici_builder vb;
	char buf[64];
	struct tm tm;

	(void)req;
	if (s->ops.stats)
		s->ops.stats(s->ops.ctx, &st);
	else if (s->ops.list_sas)
		s->ops.list_sas(s->ops.ctx, count_sa, &st);
	vici_build_packet(&vb, VICI_CMD_RESPONSE, NULL);
	vici_add_section(&vb, "uptime");
	fmt_uptime(buf, sizeof(buf), (vici_now_ms(s) - s->started_ms) / 1000);
	vici_add_kv_str(&vb, "running", buf);
	localtime_r(&s->started, &tm);
	strftime(buf, sizeof(buf), "%b %d %H:%M:%S %Y", &tm);
	vici_add_kv_str(&vb, "since", buf);
	vici_end_section(&vb);
	vici_add_section(&vb, "workers");
	vici_add_kvf(&vb, "total", "%u", st.workers_total);
	vici_add_kvf(&vb, "idle", "%u", st.workers_idle);
	add_zeros(&vb, "active", st.workers_active);
	vici_end_section(&vb);
	add_zeros(&vb, "queues", 0);
	vici_add_kv_str(&vb, "scheduled", "0");
	vici_add_section(&vb, "ikesas");
	vici_add_kvf(&vb, "total", "%zu", st.ikesas_total);
	vici_add_kvf(&vb, "half-open", "%zu", st.ikesas_half_open);
	vici_end_section(&vb);
	vici_add_list(&vb, "plugins");
	for (const char *const *p = st.plugins ? st.plugins : own_plugins; *p; p++)
		vici_add_item_str(&vb, *p);
	vici_end_list(&vb);
	vici_client_send(c, &vb);
}

struct list_ctx {
	struct vici_client *c;
	const char *ike; /* filter by name, or NULL */
	unsigned long ike_id;
	uint64_t now_ms;
};

static void list_sa_cb(const struct vici_ike_sa *sa, void *arg)
{
	struct list_ctx *lc = arg;
	struct vici_builder vb;

	if (!vici_client_wants(lc->c, VICI_EV_LIST_SA))
		return;
	if ((lc->ike && strcmp(lc->ike, sa->name ? sa->name : "") != 0) ||
	    (lc->ike_id && lc->ike_id != sa->uniqueid))
		return;
	vici_build_packet(&vb, VICI_EVENT, "list-sa");
	vici_encode_ike_sa(&vb, sa, lc->now_ms, true, NULL);
	vici_client_event(lc->c, VICI_EV_LIST_SA, &vb);
}

static void reply_empty(struct vici_client *c)
{
	struct vici_builder vb;

	vici_build_packet(&vb, VICI_CMD_RESPONSE, NULL);
	vici_client_send(c, &vb);
}

/* list-sas: one list-sa event per IKE SA, then an empty response. */
static void cmd_list_sas(struct vici_client *c, const struct vici_node *req)
{
	struct list_ctx lc = {.c = c, .now_ms = vici_now_ms(c->s)};
	bool bad = false;

	lc.ike = req_str(req, "ike", NULL);
	lc.ike_id = (unsigned long)req_num(req, "ike-id", "ike_id", 0, &bad);
	if (bad) {
		vici_reply_result(c, false, "ike-id: expected a number");
		return;
	}
	if (c->s->ops.list_sas)
		c->s->ops.list_sas(c->s->ops.ctx, list_sa_cb, &lc);
	reply_empty(c);
}

static void list_conn_cb(const struct conn_cfg *conn, void *arg)
{
	struct list_ctx *lc = arg;
	struct vici_builder vb;

	if (!vici_client_wants(lc->c, VICI_EV_LIST_CONN) ||
	    (lc->ike && strcmp(lc->ike, conn->name) != 0))
		return;
	vici_build_packet(&vb, VICI_EVENT, "list-conn");
	vici_encode_conn(&vb, conn);
	vici_client_event(lc->c, VICI_EV_LIST_CONN, &vb);
}

static void cmd_list_conns(struct vici_client *c, const struct vici_node *req)
{
	struct list_ctx lc = {.c = c};

	lc.ike = req_str(req, "ike", NULL);
	if (c->s->ops.list_conns)
		c->s->ops.list_conns(c->s->ops.ctx, list_conn_cb, &lc);
	reply_empty(c);
}

/* The request's timeout (README: 0 waits for the result, -1 answers at once)
 * and loglevel (default 1, as swanctl). NULL, or what was wrong. */
static const char *ctl_params(struct vici_ctl *ctl, const struct vici_node *req)
{
	bool bad = false;
	long t = req_num(req, "timeout", NULL, 0, &bad);

	if (bad)
		return "timeout: expected milliseconds";
	ctl->level = (int)req_num(req, "loglevel", NULL, 1, &bad);
	if (bad)
		return "loglevel: expected a number";
	ctl->timeout_ms = t < 0 ? -1 : t > 86400000 ? 86400000 : (int)t;
	return NULL;
}

/* Run the op with its log lines going to this client, then wait or answer. */
static void ctl_run(struct vici_ctl *ctl, int rc, const char *err)
{
	struct vici_client *c = ctl->client;

	if (rc < 0) {
		vici_reply_result(c, false, err[0] ? err : strerror(-rc));
		vici_ctl_free(ctl);
		return;
	}
	if (ctl->timeout_ms < 0) {
		vici_reply_result(c, true, NULL);
		vici_ctl_free(ctl);
		return;
	}
	vici_ctl_wait(ctl);
}

static struct vici_ctl *ctl_new(struct vici_client *c, enum vici_ctl_kind kind,
				const struct vici_node *req)
{
	struct vici_ctl *ctl = calloc(1, sizeof(*ctl));
	const char *bad;

	if (!ctl) {
		vici_reply_result(c, false, "out of memory");
		return NULL;
	}
	ctl->client = c;
	ctl->kind = kind;
	bad = ctl_params(ctl, req);
	if (bad) {
		vici_reply_result(c, false, bad);
		free(ctl);
		return NULL;
	}
	return ctl;
}

static void cmd_initiate(struct vici_client *c, const struct vici_node *req)
{
	struct vici_server *s = c->s;
	const char *ike = req_str(req, "ike", NULL), *child = req_str(req, "child", NULL);
	struct vici_ctl *ctl;
	char err[256] = "";
	int rc;

	if (!ike && !child) {
		vici_reply_result(c, false, "missing configuration name: give child and/or ike");
		return;
	}
	if (!s->ops.initiate) {
		vici_reply_result(c, false, "initiate is not available in this daemon");
		return;
	}
	ctl = ctl_new(c, VICI_CTL_INITIATE, req);
	if (!ctl)
		return;
	if (child)
		snprintf(ctl->what, sizeof(ctl->what), "CHILD SA '%.64s'%s%.64s%s", child,
			 ike ? " of '" : "", ike ? ike : "", ike ? "'" : "");
	else
		snprintf(ctl->what, sizeof(ctl->what), "IKE SA '%.64s'", ike);
	snprintf(ctl->child, sizeof(ctl->child), "%s", child ? child : "");
	s->calling = ctl;
	rc = s->ops.initiate(s->ops.ctx, ike, child, &ctl->init, err, sizeof(err));
	s->calling = NULL;
	ctl_run(ctl, rc, err);
}

static void cmd_terminate(struct vici_client *c, const struct vici_node *req)
{
	struct vici_server *s = c->s;
	struct vici_terminate_req t = {0};
	struct vici_ctl *ctl;
	char err[256] = "";
	bool bad = false;
	int rc, given;

	t.ike = req_str(req, "ike", NULL);
	t.child = req_str(req, "child", NULL);
	t.ike_id = (uint32_t)req_num(req, "ike-id", "ike_id", 0, &bad);
	t.child_id = (uint32_t)req_num(req, "child-id", "child_id", 0, &bad);
	given = !!t.ike + !!t.child + !!t.ike_id + !!t.child_id;
	if (bad || given != 1) {
		vici_reply_result(c, false,
				  bad ? "ike-id/child-id: expected a number"
				      : "give exactly one of child, ike, child-id, ike-id");
		return;
	}
	if (!s->ops.terminate) {
		vici_reply_result(c, false, "terminate is not available in this daemon");
		return;
	}
	ctl = ctl_new(c, t.child || t.child_id ? VICI_CTL_TERMINATE_CHILD : VICI_CTL_TERMINATE_IKE,
		      req);
	if (!ctl)
		return;
	if (t.ike || t.child)
		snprintf(ctl->what, sizeof(ctl->what), "%s '%.64s'", t.ike ? "IKE SA" : "CHILD SA",
			 t.ike ? t.ike : t.child);
	else
		snprintf(ctl->what, sizeof(ctl->what), "%s #%u", t.ike_id ? "IKE SA" : "CHILD SA",
			 t.ike_id ? t.ike_id : t.child_id);
	s->calling = ctl;
	rc = s->ops.terminate(s->ops.ctx, &t, &ctl->term, err, sizeof(err));
	s->calling = NULL;
	if (rc == 0 && ctl->term.n == 0) {
		snprintf(err, sizeof(err), "no matching SAs to terminate found (%s)", ctl->what);
		rc = -ENOENT;
	}
	ctl->term.n = MIN(ctl->term.n, (size_t)VICI_MAX_TERMINATE);
	ctl_run(ctl, rc, err);
}

struct counters_ctx {
	struct vici_builder *vb;
	char conn[96];
	bool open;
};

static void counter_one(const char *conn, const char *name, uint64_t value, void *arg)
{
	struct counters_ctx *cc = arg;

	if (!cc->open || strcmp(cc->conn, conn) != 0) {
		if (cc->open)
			vici_end_section(cc->vb);
		vici_add_section(cc->vb, conn);
		snprintf(cc->conn, sizeof(cc->conn), "%s", conn);
		cc->open = true;
	}
	vici_add_kvf(cc->vb, name, "%llu", (unsigned long long)value);
}

/* get-counters (strongSwan's counters plugin): counters { conn { name =
 * value ... } ... }, every connection (all = yes is what swanctl --counters
 * --all sends; a name narrows nothing here but is accepted). */
static void cmd_get_counters(struct vici_client *c, const struct vici_node *req)
{
	struct vici_server *s = c->s;
	struct vici_builder vb;
	struct counters_ctx cc = {.vb = &vb};

	(void)req;
	vici_build_packet(&vb, VICI_CMD_RESPONSE, NULL);
	vici_add_section(&vb, "counters");
	if (s->ops.counters)
		s->ops.counters(s->ops.ctx, counter_one, &cc);
	if (cc.open)
		vici_end_section(&vb);
	vici_end_section(&vb);
	vici_add_kv_str(&vb, "success", "yes");
	vici_client_send(c, &vb);
}

static const struct {
	const char *name;
	vici_cmd_fn *fn;
} cmds[] = {
	{"version", cmd_version},	    {"stats", cmd_stats},
	{"list-sas", cmd_list_sas},	    {"list-conns", cmd_list_conns},
	{"initiate", cmd_initiate},	    {"terminate", cmd_terminate},
	{"get-counters", cmd_get_counters},
};

vici_cmd_fn *vici_cmd_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return cmds[i].fn;
	return vici_cmd_conf_lookup(name);
}
