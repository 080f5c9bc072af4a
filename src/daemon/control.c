/* control.c: the VICI server wired to the IKEv2 engine (control.h). */
#include "daemon/control.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/parse.h"
#include "conf/schema.h"
#include "crypto/pool.h"
#include "daemon/loop.h"
#include "ike/certs.h"
#include "ike/child_kernel.h"
#include "ike/sa_table.h"
#include "ikev1/engine.h"
#include "ikev2/engine.h"
#include "lib/mono_time.h"
#include "lib/util.h"
#include "vici/vici_conf.h"
#include "vici/vici_server.h"

#define CONTROL_WHY_LEN 256
/* Failure reasons kept (the last notice-or-worse line naming an IKE SA),
 * for the IKE SAs whose negotiation is in flight */
#define CONTROL_WHY_SLOTS 32
/* CHILD SAs of one IKE SA that list-sas copies on the stack; more are
 * allocated */
#define CONTROL_STACK_CHILDREN 8

struct control_why {
	uint32_t serial; /* 0: free */
	char line[CONTROL_WHY_LEN];
};

struct control {
	struct control_env env;
	struct vici_server *server;
	pthread_t loop_thread;
	/* the engine's SA table, learned from the first SA observed: rekey
	 * events look the SAs up by serial in it (O(1)) */
	const struct sa_table *table;
	const struct sa_table *tables[3]; /* by IKE version (1, 2) */
	struct control_why why[CONTROL_WHY_SLOTS];
	unsigned why_next;		  /* the slot to reuse next */
	const struct vici_conf *applying; /* a VICI candidate being validated/applied */
	bool capture;			  /* keep the last error line (a reload runs) */
	char captured[CONTROL_WHY_LEN];
	struct control_counters *counters; /* per connection, a small array */
	size_t ncounters, capcounters;
};

/* ---- counters (get-counters, oakctl metrics) ---- */

/* Per connection: IKE SAs up, failed by reason, CHILD SAs installed,
 * rekeys. Connections are few (a config's), so a small array found by
 * name; the count of SAs does not matter. */
enum {
	CNT_IKE_UP,
	CNT_FAIL_PROPOSAL,
	CNT_FAIL_AUTH,
	CNT_FAIL_TIMEOUT,
	CNT_FAIL_OTHER,
	CNT_CHILD_UP,
	CNT_CHILD_FAILED,
	CNT_IKE_REKEY,
	CNT_CHILD_REKEY,
	CNT_COUNT
};

static const char *const cnt_names[CNT_COUNT] = {
	"ike-established",  "ike-failed-no-proposal", "ike-failed-auth", "ike-failed-timeout",
	"ike-failed-other", "child-installed",	      "child-failed",	 "ike-rekey",
	"child-rekey",
};

#define CONTROL_MAX_COUNTED 1024 /* connections with counters */

struct control_counters {
	char conn[MODEL_NAME_MAX];
	uint64_t n[CNT_COUNT];
};

static void count(struct control *c, const char *conn, int what)
{
	size_t i;

	for (i = 0; i < c->ncounters; i++)
		if (strcmp(c->counters[i].conn, conn ? conn : "") == 0)
			break;
	if (i == c->ncounters) {
		if (c->ncounters == c->capcounters) {
			size_t cap = c->capcounters ? c->capcounters * 2 : 8;
			struct control_counters *n;

			if (cap > CONTROL_MAX_COUNTED ||
			    !(n = realloc(c->counters, cap * sizeof(*n))))
				return;
			c->counters = n;
			c->capcounters = cap;
		}
		memset(&c->counters[i], 0, sizeof(c->counters[i]));
		snprintf(c->counters[i].conn, sizeof(c->counters[i].conn), "%s", conn ? conn : "");
		c->ncounters++;
	}
	c->counters[i].n[what]++;
}

/* The reason class of a failure from the line that said why. */
static int fail_class(const char *why)
{
	if (!why)
		return CNT_FAIL_OTHER;
	if (strcasestr(why, "no proposal") || strcasestr(why, "NO_PROPOSAL") ||
	    strcasestr(why, "NO-PROPOSAL"))
		return CNT_FAIL_PROPOSAL;
	if (strcasestr(why, "AUTHENTICATION") || strcasestr(why, "pre-shared key") ||
	    strcasestr(why, "certificate"))
		return CNT_FAIL_AUTH;
	if (strcasestr(why, "retransmi") || strcasestr(why, "timeout") ||
	    strcasestr(why, "in time") || strcasestr(why, "no answer"))
		return CNT_FAIL_TIMEOUT;
	return CNT_FAIL_OTHER;
}

static void op_counters(void *ctx,
			void (*fn)(const char *conn, const char *name, uint64_t value, void *arg),
			void *arg)
{
	struct control *c = ctx;

	for (size_t i = 0; i < c->ncounters; i++)
		for (int k = 0; k < CNT_COUNT; k++)
			fn(c->counters[i].conn, cnt_names[k], c->counters[i].n[k], arg);
}

/* ---- log lines ---- */

static struct control_why *why_find(struct control *c, uint32_t serial)
{
	for (size_t i = 0; i < CONTROL_WHY_SLOTS; i++)
		if (c->why[i].serial == serial)
			return &c->why[i];
	return NULL;
}

/* Keep the line as the reason a failure of the IKE SA it names shows. A
 * fixed ring: O(1) memory, and the reason of a negotiation that fails is
 * logged just before it does. */
static void remember_why(struct control *c, const char *line)
{
	const char *p = strstr(line, "IKE SA #"), *q = strstr(line, "ISAKMP SA #");
	uint32_t serial = p   ? (uint32_t)strtoul(p + 8, NULL, 10)
			  : q ? (uint32_t)strtoul(q + 11, NULL, 10)
			      : 0;
	struct control_why *w;

	if (!serial)
		return;
	w = why_find(c, serial);
	if (!w) {
		w = &c->why[c->why_next];
		c->why_next = (c->why_next + 1) % CONTROL_WHY_SLOTS;
		w->serial = serial;
	}
	snprintf(w->line, sizeof(w->line), "%s", line);
}

/* The reason kept for serial, or NULL; the slot is freed (said once). */
static const char *why_take(struct control *c, uint32_t serial, char *buf, size_t len)
{
	struct control_why *w = serial ? why_find(c, serial) : NULL;

	if (!w)
		return NULL;
	snprintf(buf, len, "%s", w->line);
	w->serial = 0;
	return buf;
}

static void control_sink(void *ctx, enum log_sub sub, enum log_level lvl, const char *line)
{
	struct control *c = ctx;

	if (!c) { /* a worker saw the new sink before its ctx (log_set_sink is not atomic) */
		log_stderr_sink(NULL, sub, lvl, line);
		return;
	}
	if (c->env.sink)
		c->env.sink(c->env.sink_ctx, sub, lvl, line);
	else
		log_stderr_sink(NULL, sub, lvl, line);
	/* the server is the loop thread's alone (vici_server.h) */
	if (!pthread_equal(pthread_self(), c->loop_thread))
		return;
	if (c->capture && lvl <= LVL_ERR)
		snprintf(c->captured, sizeof(c->captured), "%s", line);
	if (lvl <= LVL_NOTICE)
		remember_why(c, line);
	vici_server_log(c->server, 0, sub, lvl, line);
}

/* ---- engine views and SAs as the server's structs ---- */

static void child_from_view(const struct ikev2_child_view *v, struct vici_child_sa *out)
{
	*out = (struct vici_child_sa){
		.uniqueid = v->serial,
		.name = v->name,
		.state = v->state,
		.protocol = v->protocol,
		.mode = v->mode,
		.spi_in = v->spi_in,
		.spi_out = v->spi_out,
		.reqid = v->reqid,
		.proposal = v->proposal,
		.local_ts = v->local_ts,
		.remote_ts = v->remote_ts,
		.nlocal_ts = v->nlocal_ts,
		.nremote_ts = v->nremote_ts,
		.installed_ms = v->state == CHILD_SA_STATE_INSTALLED ? v->established_ms : 0,
	};
}

/* Seconds from now until a deadline of the monotonic clock (0: none). */
static uint32_t secs_until(uint64_t at_ms)
{
	uint64_t now = mono_ms();

	if (!at_ms)
		return 0;
	return at_ms > now ? (uint32_t)MIN((at_ms - now + 999) / 1000, UINT32_MAX) : 1;
}

static void ike_from_view(const struct ikev2_sa_view *v, struct vici_ike_sa *out)
{
	*out = (struct vici_ike_sa){
		.uniqueid = v->serial,
		.name = v->conn_name,
		.version = 2,
		.state = v->state,
		.initiator = v->initiator,
		.local = v->local,
		.remote = v->remote,
		.local_id = v->local_id,
		.remote_id = v->remote_id,
		.proposal = v->proposal,
		.nat_local = v->nat_local,
		.nat_remote = v->nat_remote,
		.established_ms = v->established_ms,
		.rekey_in_s = secs_until(v->rekey_at_ms),
		.reauth_in_s = secs_until(v->reauth_at_ms),
	};
	memcpy(out->spi_i, v->spi_i, sizeof(out->spi_i));
	memcpy(out->spi_r, v->spi_r, sizeof(out->spi_r));
}

static void child_from_sa(const struct child_sa *s, struct vici_child_sa *out)
{
	*out = (struct vici_child_sa){
		.uniqueid = s->serial,
		.name = s->cfg ? s->cfg->name : "",
		.state = s->state,
		.protocol = s->protocol,
		.mode = s->mode,
		.spi_in = s->spi_in,
		.spi_out = s->spi_out,
		.reqid = s->reqid,
		.proposal = s->established_ms ? &s->proposal : NULL,
		.local_ts = s->local_ts,
		.remote_ts = s->remote_ts,
		.nlocal_ts = s->nlocal_ts,
		.nremote_ts = s->nremote_ts,
		.installed_ms = s->state == CHILD_SA_STATE_INSTALLED ? s->established_ms : 0,
	};
}

/* Without children: an event names the one child it is about. */
static void ike_from_sa(const struct ike_sa *e, struct vici_ike_sa *out)
{
	*out = (struct vici_ike_sa){
		.uniqueid = e->serial,
		.name = e->conn ? e->conn->name : "",
		.version = e->version,
		.state = e->state,
		.initiator = e->initiator,
		.local = e->local,
		.remote = e->remote,
		.local_id = ike_sa_local_id(e)->type ? ike_sa_local_id(e) : NULL,
		.remote_id = ike_sa_remote_id(e)->type ? ike_sa_remote_id(e) : NULL,
		.proposal = e->have_proposal ? ike_sa_proposal(e) : NULL,
		.nat_local = e->nat_local,
		.nat_remote = e->nat_remote,
		.established_ms = e->established_ms,
	};
	memcpy(out->spi_i, e->spi_i, sizeof(out->spi_i));
	memcpy(out->spi_r, e->spi_r, sizeof(out->spi_r));
}

/* ---- SA changes, as the choke points report them (ike_sa.h) ---- */

/* IKE SA up when it becomes ESTABLISHED; gone when DEAD: down if it had
 * been established, else failed (with the reason its log lines gave). */
static void obs_ike_state(void *ctx, const struct ike_sa *sa, enum ike_sa_state from)
{
	struct control *c = ctx;
	struct vici_ike_sa v;
	char why[CONTROL_WHY_LEN];

	if (sa->table) {
		c->table = sa->table;
		if (sa->version == 1 || sa->version == 2)
			c->tables[sa->version] = sa->table;
	}
	if (sa->state == IKE_SA_STATE_ESTABLISHED && from != IKE_SA_STATE_ESTABLISHED) {
		why_take(c, sa->serial, why, sizeof(why)); /* it made it: forget */
		count(c, sa->conn ? sa->conn->name : "", CNT_IKE_UP);
		ike_from_sa(sa, &v);
		vici_server_ike_event(c->server, &v, VICI_SA_UP, NULL);
	} else if (sa->state == IKE_SA_STATE_DEAD) {
		const char *w = why_take(c, sa->serial, why, sizeof(why));

		if (!sa->established_ms)
			count(c, sa->conn ? sa->conn->name : "", fail_class(w));
		ike_from_sa(sa, &v);
		vici_server_ike_event(c->server, &v,
				      sa->established_ms ? VICI_SA_DOWN : VICI_SA_FAILED, w);
	}
}

/* CHILD SA up when INSTALLED; gone when DEAD (down if it was installed). */
static void obs_child_state(void *ctx, const struct ike_sa *ike, const struct child_sa *ch,
			    enum child_sa_state from)
{
	struct control *c = ctx;
	struct vici_ike_sa v = {.uniqueid = ch->ike_serial, .version = ike ? ike->version : 2};
	struct vici_child_sa cv;
	char why[CONTROL_WHY_LEN];
	const char *w = NULL;
	enum vici_sa_event ev;

	if (ch->state == CHILD_SA_STATE_INSTALLED && from != CHILD_SA_STATE_INSTALLED)
		ev = VICI_SA_UP;
	else if (ch->state == CHILD_SA_STATE_DEAD)
		ev = ch->established_ms ? VICI_SA_DOWN : VICI_SA_FAILED;
	else
		return;
	if (ike)
		ike_from_sa(ike, &v);
	if (ev != VICI_SA_DOWN)
		count(c, ike && ike->conn ? ike->conn->name : "",
		      ev == VICI_SA_UP ? CNT_CHILD_UP : CNT_CHILD_FAILED);
	if (ev == VICI_SA_FAILED)
		w = why_take(c, ch->ike_serial, why, sizeof(why));
	child_from_sa(ch, &cv);
	vici_server_child_event(c->server, &v, &cv, ev, w);
}

/* env.events.rekeyed: ike-rekey / child-rekey (ctx: the struct control **
 * the daemon keeps, since the engine exists before the control socket). */
static void control_rekeyed(void *ctx, bool ike, uint32_t old_serial, uint32_t new_serial)
{
	struct control *c = *(struct control **)ctx;
	struct vici_ike_sa o, n;
	struct vici_child_sa oc, nc;

	if (!c || !c->table)
		return;
	/* serials are unique over both engines: the table that has it */
	if (!sa_table_find_serial(c->table, ike ? new_serial : 0) &&
	    !sa_table_find_child(c->table, ike ? 0 : new_serial)) {
		for (int v = 1; v <= 2; v++)
			if (c->tables[v] &&
			    (ike ? sa_table_find_serial(c->tables[v], new_serial) != NULL
				 : sa_table_find_child(c->tables[v], new_serial) != NULL))
				c->table = c->tables[v];
	}
	if (ike) {
		const struct ike_sa *a = sa_table_find_serial(c->table, old_serial);
		const struct ike_sa *b = sa_table_find_serial(c->table, new_serial);

		if (b)
			count(c, b->conn ? b->conn->name : "", CNT_IKE_REKEY);
		if (!a || !b)
			return;
		ike_from_sa(a, &o);
		ike_from_sa(b, &n);
		vici_server_rekey_event(c->server, &o, &n, NULL, NULL);
	} else {
		const struct child_sa *a = sa_table_find_child(c->table, old_serial);
		const struct child_sa *b = sa_table_find_child(c->table, new_serial);
		const struct ike_sa *sa = b ? sa_table_find_serial(c->table, b->ike_serial) : NULL;

		if (sa)
			count(c, sa->conn ? sa->conn->name : "", CNT_CHILD_REKEY);
		if (!a || !sa)
			return;
		ike_from_sa(sa, &o);
		child_from_sa(a, &oc);
		child_from_sa(b, &nc);
		vici_server_rekey_event(c->server, &o, NULL, &oc, &nc);
	}
}

struct ike_events control_ike_events(struct control **where)
{
	return (struct ike_events){.ctx = where, .rekeyed = control_rekeyed};
}

/* ---- the server's ops ---- */

/* After an engine call of an op: the daemon re-arms its timer. */
static void after_engine(struct control *c)
{
	if (c->env.engine_called)
		c->env.engine_called(c->env.ctx);
}

struct list_sas_ctx {
	vici_sa_fn *fn;
	void *arg;
	const struct kernel_ops *kernel;
};

/* The kernel's counters of an installed CHILD SA's two SAs (inbound to our
 * address, outbound to the peer's); left 0 where the backend cannot tell. */
static void child_counters(const struct kernel_ops *k, struct vici_child_sa *ch,
			   const struct ip_endpoint *local, const struct ip_endpoint *remote)
{
	struct kernel_sa_use u;
	uint8_t proto = child_kernel_ipproto(ch->protocol);

	if (!k || !k->query_sa || !ch->installed_ms)
		return;
	if (k->query_sa(k->ctx, proto, ch->spi_in, &local->addr, &u) == 0)
		ch->bytes_in = u.bytes, ch->packets_in = u.packets;
	if (k->query_sa(k->ctx, proto, ch->spi_out, &remote->addr, &u) == 0)
		ch->bytes_out = u.bytes, ch->packets_out = u.packets;
}

static void list_sas_view(const struct ikev2_sa_view *v, void *arg)
{
	struct list_sas_ctx *lc = arg;
	struct vici_child_sa stack[CONTROL_STACK_CHILDREN], *ch = stack;
	struct vici_ike_sa sa;

	if (v->nchildren > ARRAY_SIZE(stack)) {
		ch = calloc(v->nchildren, sizeof(*ch));
		if (!ch)
			return;
	}
	ike_from_view(v, &sa);
	for (size_t i = 0; i < v->nchildren; i++) {
		child_from_view(&v->children[i], &ch[i]);
		child_counters(lc->kernel, &ch[i], &v->local, &v->remote);
	}
	sa.children = ch;
	sa.nchildren = v->nchildren;
	lc->fn(&sa, lc->arg);
	if (ch != stack)
		free(ch);
}

/* An IKEv1 ISAKMP SA with its IPsec SAs (the engine hands out the
 * common struct ike_sa, ike/ike_sa.h). */
static void list_sas_v1(const struct ike_sa *s, void *arg)
{
	struct list_sas_ctx *lc = arg;
	struct vici_child_sa stack[CONTROL_STACK_CHILDREN], *ch = stack;
	size_t n = ike_sa_child_count(s), i = 0;
	const struct child_sa *k;
	struct vici_ike_sa sa;

	if (n > ARRAY_SIZE(stack)) {
		ch = calloc(n, sizeof(*ch));
		if (!ch)
			return;
	}
	ike_from_sa(s, &sa);
	for (k = s->children; k && i < n; k = k->next) {
		child_from_sa(k, &ch[i]);
		child_counters(lc->kernel, &ch[i++], &s->local, &s->remote);
	}
	sa.children = ch;
	sa.nchildren = i;
	lc->fn(&sa, lc->arg);
	if (ch != stack)
		free(ch);
}

static void op_list_sas(void *ctx, vici_sa_fn *fn, void *arg)
{
	struct control *c = ctx;
	struct list_sas_ctx lc = {fn, arg, c->env.kernel};

	ikev2_sa_foreach(c->env.ikev2, list_sas_view, &lc);
	if (c->env.ikev1)
		ikev1_sa_foreach(c->env.ikev1, list_sas_v1, &lc);
}

/* list-policies: the children with start_action = trap of the running
 * config, whose trap policies the IKEv2 engine keeps in the kernel
 * (ikev2/acquire.c installs them on every config). */
static void op_list_policies(void *ctx, vici_policy_fn *fn, void *arg)
{
	struct control *c = ctx;
	const struct oak_config *cfg = *c->env.config;

	for (size_t i = 0; cfg && i < cfg->nconns; i++)
		for (size_t k = 0; k < cfg->conns[i].nchildren; k++)
			if (cfg->conns[i].children[k].start_action == START_TRAP)
				fn(&cfg->conns[i], &cfg->conns[i].children[k], arg);
}

static void op_list_conns(void *ctx, vici_conn_fn *fn, void *arg)
{
	struct control *c = ctx;
	const struct oak_config *cfg = *c->env.config;

	for (size_t i = 0; cfg && i < cfg->nconns; i++)
		fn(&cfg->conns[i], arg);
}

/* The connection to initiate: by name, or the first one with a child of that
 * name (swanctl --initiate --child net). NULL with err set. */
static const struct conn_cfg *find_conn(const struct oak_config *cfg, const char *ike,
					const char *child, char *err, size_t errlen)
{
	const struct conn_cfg *conn = NULL;

	if (ike) {
		conn = cfg ? oak_config_conn(cfg, ike) : NULL;
		if (!conn)
			snprintf(err, errlen, "no connection '%s'", ike);
		else if (child && !conn_cfg_child(conn, child)) {
			snprintf(err, errlen, "connection '%s' has no child '%s'", ike, child);
			conn = NULL;
		}
		return conn;
	}
	for (size_t i = 0; cfg && i < cfg->nconns && !conn; i++)
		if (conn_cfg_child(&cfg->conns[i], child))
			conn = &cfg->conns[i];
	if (!conn)
		snprintf(err, errlen, "no connection has a child '%s'", child);
	return conn;
}

struct find_ctx {
	uint32_t serial;
	bool established;
};

static void find_established(const struct ikev2_sa_view *v, void *arg)
{
	struct find_ctx *f = arg;

	if (v->serial == f->serial)
		f->established = v->state == IKE_SA_STATE_ESTABLISHED;
}

static int op_initiate(void *ctx, const char *ike, const char *child, struct vici_initiated *out,
		       char *err, size_t errlen)
{
	struct control *c = ctx;
	const struct conn_cfg *conn = find_conn(*c->env.config, ike, child, err, errlen);
	struct find_ctx f = {0};
	uint32_t serial = 0;
	int rc;

	if (!conn)
		return -ENOENT;
	if (conn->version == 1 && c->env.ikev1)
		rc = ikev1_initiate(c->env.ikev1, conn->name, child, mono_ms(), &serial);
	else
		rc = ikev2_initiate(c->env.ikev2, conn->name, child, mono_ms(), &serial);
	after_engine(c);
	if (rc < 0) {
		snprintf(err, errlen, "%s",
			 rc == -EINVAL ? "the connection has no remote address to initiate to"
				       : strerror(-rc));
		return rc;
	}
	out->ike_serial = serial;
	out->ike_only = conn->nchildren == 0;
	/* An SA that failed within the call was reported by the observer then
	 * (the server keeps events of the running op). One that is established
	 * already was so before this request (nothing completes inside the
	 * call): nothing new will come, and the server answers on events only,
	 * so the up is said again (listeners see a second ike-updown). The walk
	 * is once per initiate, not per engine call. */
	if (out->ike_only && conn->version != 1) {
		f.serial = serial;
		ikev2_sa_foreach(c->env.ikev2, find_established, &f);
		if (f.established) {
			struct vici_ike_sa sa = {
				.uniqueid = serial, .name = conn->name, .version = 2};

			vici_server_ike_event(c->server, &sa, VICI_SA_UP, NULL);
		}
	}
	return 0;
}

struct term_ctx {
	const struct vici_terminate_req *req;
	struct vici_terminating *out;
};

/* The same for an IKEv1 SA. */
static void term_collect_v1(const struct ike_sa *s, void *arg)
{
	struct term_ctx *t = arg;
	struct vici_terminating *out = t->out;
	const struct child_sa *k;

	if (t->req->ike && s->conn && strcmp(s->conn->name, t->req->ike) == 0 &&
	    out->n < VICI_MAX_TERMINATE)
		out->serials[out->n++] = s->serial;
	for (k = s->children; t->req->child && k; k = k->next)
		if (k->cfg && strcmp(k->cfg->name, t->req->child) == 0 &&
		    out->n < VICI_MAX_TERMINATE)
			out->serials[out->n++] = k->serial;
}

/* Collect what the request names (no engine calls during the walk). */
static void term_collect(const struct ikev2_sa_view *v, void *arg)
{
	struct term_ctx *t = arg;
	struct vici_terminating *out = t->out;

	if (t->req->ike && strcmp(v->conn_name ? v->conn_name : "", t->req->ike) == 0 &&
	    out->n < VICI_MAX_TERMINATE)
		out->serials[out->n++] = v->serial;
	for (size_t i = 0; t->req->child && i < v->nchildren; i++)
		if (strcmp(v->children[i].name ? v->children[i].name : "", t->req->child) == 0 &&
		    out->n < VICI_MAX_TERMINATE)
			out->serials[out->n++] = v->children[i].serial;
}

static int op_terminate(void *ctx, const struct vici_terminate_req *req,
			struct vici_terminating *out, char *err, size_t errlen)
{
	struct control *c = ctx;
	struct term_ctx t = {req, out};
	bool children = req->child || req->child_id;
	size_t k = 0;

	(void)err;
	(void)errlen;
	out->n = 0;
	if (req->ike_id || req->child_id) {
		out->serials[out->n++] = req->ike_id ? req->ike_id : req->child_id;
	} else {
		ikev2_sa_foreach(c->env.ikev2, term_collect, &t);
		if (c->env.ikev1)
			ikev1_sa_foreach(c->env.ikev1, term_collect_v1, &t);
	}
	/* keep the ones an engine knew (serials are unique over both, ike_env
	 * serials): the rest is not waited for */
	for (size_t i = 0; i < out->n; i++) {
		uint32_t s = out->serials[i];
		int rc = children ? ikev2_terminate_child(c->env.ikev2, s, mono_ms())
				  : ikev2_terminate(c->env.ikev2, s, mono_ms());

		if (rc == -ENOENT && c->env.ikev1)
			rc = children ? ikev1_terminate_child(c->env.ikev1, s, mono_ms())
				      : ikev1_terminate(c->env.ikev1, s, mono_ms());

		if (rc == 0)
			out->serials[k++] = s;
	}
	out->n = k;
	after_engine(c);
	return 0; /* n = 0: the server says nothing matched */
}

/* rekey: what the request names (as for terminate), each started with
 * ikev2_rekey_ike / ikev2_rekey_child, or with reauth ikev2_reauth_ike
 * (IKE SAs only: swanctl --rekey --reauth); *n counts the ones started. */
static int op_rekey(void *ctx, const struct vici_terminate_req *req, bool reauth, size_t *n,
		    char *err, size_t errlen)
{
	struct control *c = ctx;
	struct vici_terminating found = {0};
	struct term_ctx t = {req, &found};
	bool children = req->child || req->child_id;
	int rc, last = 0;

	*n = 0;
	if (reauth && children) {
		snprintf(err, errlen, "reauthentication applies to IKE SAs, not CHILD SAs");
		return -EINVAL;
	}
	if (req->ike_id || req->child_id)
		found.serials[found.n++] = req->ike_id ? req->ike_id : req->child_id;
	else
		ikev2_sa_foreach(c->env.ikev2, term_collect, &t);
	for (size_t i = 0; i < found.n; i++) {
		rc = children ? ikev2_rekey_child(c->env.ikev2, found.serials[i], mono_ms())
		     : reauth ? ikev2_reauth_ike(c->env.ikev2, found.serials[i], mono_ms())
			      : ikev2_rekey_ike(c->env.ikev2, found.serials[i], mono_ms());
		if (rc == 0)
			(*n)++;
		else
			last = rc;
	}
	after_engine(c);
	if (*n == 0 && last == -EBUSY) {
		snprintf(err, errlen, "a rekey%s or delete of that %s SA is in progress already",
			 reauth ? ", reauthentication" : "", children ? "CHILD" : "IKE");
		return last;
	}
	return 0;
}

static void op_stats(void *ctx, struct vici_stats *out)
{
	struct control *c = ctx;
	struct pool_stats ps = {0};
	size_t pending = 0;

	if (c->env.pool) {
		pool_stats(c->env.pool, &ps);
		pending = pool_pending(c->env.pool);
	}
	/* a worker is busy while a job of it is pending: at most one each */
	out->workers_total = ps.threads;
	out->workers_active = (unsigned)MIN(pending, (size_t)ps.threads);
	out->workers_idle = ps.threads - out->workers_active;
	out->ikesas_total = ikev2_sa_count(c->env.ikev2);
	out->ikesas_half_open = ikev2_half_open_count(c->env.ikev2);
	if (c->env.ikev1) {
		out->ikesas_total += ikev1_sa_count(c->env.ikev1);
		out->ikesas_half_open += ikev1_half_open_count(c->env.ikev1);
	}
}

/* ---- configuration loaded over VICI ---- */
/* ---- configuration loaded over VICI ---- */

static const struct vici_conf *vici_set(const struct control *c)
{
	return !c ? NULL : c->applying ? c->applying : vici_server_conf(c->server);
}

int control_model_load(const struct control *c, const char *path, struct oak_config **out,
		       struct conf_err *err)
{
	const struct vici_conf *vc = vici_set(c);
	struct conf_tree *t = NULL;
	struct conf_err errs[1];
	int rc;

	if (!vc)
		return conf_model_load(path, out, err);
	*out = NULL;
	rc = conf_parse_file(path, &t, err);
	if (rc)
		return rc;
	if (vici_conf_merge(vc, t) < 0) {
		conf_tree_free(t);
		conf_err_set(err, path, 0, "out of memory");
		return -ENOMEM;
	}
	if (conf_schema_check(t, errs, 1)) {
		if (err)
			*err = errs[0];
		conf_tree_free(t);
		return -EINVAL;
	}
	return conf_model_build(t, out, err);
}

int control_certs_load(const struct control *c, const struct oak_config *cfg,
		       struct certs_store **out, char *why, size_t whylen)
{
	const struct vici_conf *vc = vici_set(c);
	struct certs_blob *blobs = NULL;
	size_t n = 0;
	int rc;

	if (vc && vc->nblobs && !(blobs = vici_conf_blob_list(vc, &n))) {
		snprintf(why, whylen, "certificate store: out of memory");
		return -ENOMEM;
	}
	rc = certs_store_load_blobs(cfg, blobs, n, out, why, whylen);
	free(blobs);
	return rc;
}

/* A config error as a VICI client reads it: keys that came over VICI have
 * no file and line worth saying. */
static void conf_err_msg(const struct conf_err *e, char *out, size_t len)
{
	if (strcmp(e->file, VICI_CONF_FILE) == 0 || !e->file[0])
		snprintf(out, len, "%s", e->msg);
	else
		conf_err_str(e, out, len);
}

/* Build everything a reload would from the file and cand, without running
 * it: the errors a client should read, and none of the reload's logging. */
static int validate(struct control *c, char *err, size_t errlen)
{
	struct oak_config *cfg = NULL;
	struct certs_store *certs = NULL;
	struct conf_err cerr;
	int rc = control_model_load(c, c->env.config_path, &cfg, &cerr);

	if (rc == 0 && (rc = oakd_check_config(cfg, &cerr)) != 0) {
		oak_config_unref(cfg);
		cfg = NULL;
	}
	if (rc) {
		conf_err_msg(&cerr, err, errlen);
		return rc;
	}
	rc = control_certs_load(c, cfg, &certs, err, errlen);
	certs_store_unref(certs);
	oak_config_unref(cfg);
	return rc;
}

/* oakd_reload, with its error line as err. */
static int reload(struct control *c, char *err, size_t errlen)
{
	int rc;

	c->capture = true;
	c->captured[0] = '\0';
	rc = oakd_reload(c->env.oakd);
	c->capture = false;
	if (rc)
		snprintf(err, errlen, "%s", c->captured[0] ? c->captured : strerror(-rc));
	return rc;
}

static int op_apply(void *ctx, const struct vici_conf *cand, char *err, size_t errlen)
{
	struct control *c = ctx;
	int rc;

	c->applying = cand;
	rc = validate(c, err, errlen);
	if (rc == 0)
		rc = reload(c, err, errlen);
	c->applying = NULL;
	return rc;
}

static int op_reload(void *ctx, char *err, size_t errlen)
{
	return reload(ctx, err, errlen);
}

static void op_list_certs(void *ctx,
			  void (*fn)(const struct certs_cert *c, bool ca, bool has_key, void *arg),
			  void *arg)
{
	struct control *c = ctx;

	if (c->env.certs && *c->env.certs)
		certs_store_foreach(*c->env.certs, fn, arg);
}

/* ---- life ---- */
/* ---- life ---- */

int control_new(const struct control_env *env, struct control **out)
{
	struct vici_server_cfg scfg = {.path = env->socket};
	struct vici_ops ops = {
		.list_sas = op_list_sas,
		.list_conns = op_list_conns,
		.initiate = op_initiate,
		.terminate = op_terminate,
		.stats = op_stats,
		.list_certs = op_list_certs,
		.rekey = op_rekey,
		.counters = op_counters,
		.list_policies = op_list_policies,
	};
	struct control *c = calloc(1, sizeof(*c));
	struct sa_observer obs = {.ike_state = obs_ike_state, .child_state = obs_child_state};
	int rc;

	*out = NULL;
	if (!c) {
		log_err(SUB_DAEMON, "cannot open the control socket %s: out of memory",
			env->socket);
		return -ENOMEM;
	}
	c->env = *env;
	c->loop_thread = pthread_self();
	ops.ctx = c;
	if (env->oakd && env->config_path) {
		ops.apply = op_apply;
		ops.reload = op_reload;
	}
	rc = vici_server_new(env->base, &scfg, &ops, &c->server);
	if (rc < 0) { /* the server logged why, with the path */
		free(c);
		return rc;
	}
	obs.ctx = c;
	sa_observer_set(&obs);
	log_set_sink(control_sink, c);
	*out = c;
	return 0;
}

void control_free(struct control *c)
{
	if (!c)
		return;
	sa_observer_set(NULL);
	log_set_sink(c->env.sink, c->env.sink_ctx);
	vici_server_free(c->server);
	free(c->counters);
	free(c);
}
