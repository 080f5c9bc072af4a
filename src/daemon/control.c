/* control.c: the VICI server wired to the IKEv2 engine (control.h). */
#include "daemon/control.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/pool.h"
#include "ikev2/engine.h"
#include "lib/htab.h"
#include "lib/mono_time.h"
#include "lib/util.h"
#include "vici/vici_server.h"

#define CONTROL_WHY_LEN 256
/* CHILD SAs of one IKE SA that list-sas copies on the stack; more are
 * allocated */
#define CONTROL_STACK_CHILDREN 8

/* What the last walk saw of a CHILD SA: a copy, so that a child-updown can
 * describe it after the engine freed it. */
struct control_child {
	uint32_t serial;
	char name[MODEL_NAME_MAX];
	enum child_sa_state state;
	bool up; /* child-updown up sent */
	uint8_t protocol;
	enum child_mode mode;
	uint32_t spi_in, spi_out, reqid;
	bool have_proposal;
	struct proposal proposal;
	struct ts local_ts[MODEL_MAX_TS], remote_ts[MODEL_MAX_TS];
	size_t nlocal_ts, nremote_ts;
	uint64_t established_ms;
};

/* ... and of an IKE SA, found by serial. */
struct control_sa {
	struct hnode node;
	struct control_sa *gone_next; /* while control_sync reports it gone */
	uint32_t serial;
	uint64_t gen;	 /* the walk that last saw it */
	uint64_t up_gen; /* the walk that reported it up; 0: not up */
	char name[MODEL_NAME_MAX];
	enum ike_sa_state state;
	bool initiator, nat_local, nat_remote, have_proposal;
	uint8_t spi_i[IKE_SA_SPI_LEN], spi_r[IKE_SA_SPI_LEN];
	struct ip_endpoint local, remote;
	struct ident local_id, remote_id;
	struct proposal proposal;
	uint64_t established_ms;
	struct control_child *children; /* owned */
	size_t nchildren;
	char why[CONTROL_WHY_LEN]; /* the last notice-or-worse line naming it */
};

struct control {
	struct control_env env;
	struct vici_server *server;
	struct htab sas; /* struct control_sa by serial */
	uint64_t gen;	 /* walks so far */
	bool syncing;
	pthread_t loop_thread;
};

/* ---- log lines ---- */

static struct control_sa *sa_find(const struct control *c, uint32_t serial)
{
	uint64_t h = hash_bytes(&serial, sizeof(serial));

	for (struct hnode *n = htab_first(&c->sas, h); n; n = htab_next(n, h)) {
		struct control_sa *e = container_of(n, struct control_sa, node);

		if (e->serial == serial)
			return e;
	}
	return NULL;
}

/* Keep the line as the reason a failure of the IKE SA it names shows. */
static void remember_why(struct control *c, const char *line)
{
	const char *p = strstr(line, "IKE SA #");
	struct control_sa *e = p ? sa_find(c, (uint32_t)strtoul(p + 8, NULL, 10)) : NULL;

	if (e)
		snprintf(e->why, sizeof(e->why), "%s", line);
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
	if (lvl <= LVL_NOTICE)
		remember_why(c, line);
	vici_server_log(c->server, 0, sub, lvl, line);
}

/* ---- engine views and snapshots as the server's structs ---- */

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
	};
	memcpy(out->spi_i, v->spi_i, sizeof(out->spi_i));
	memcpy(out->spi_r, v->spi_r, sizeof(out->spi_r));
}

static void child_from_snap(const struct control_child *s, struct vici_child_sa *out)
{
	*out = (struct vici_child_sa){
		.uniqueid = s->serial,
		.name = s->name,
		.state = s->state,
		.protocol = s->protocol,
		.mode = s->mode,
		.spi_in = s->spi_in,
		.spi_out = s->spi_out,
		.reqid = s->reqid,
		.proposal = s->have_proposal ? &s->proposal : NULL,
		.local_ts = s->local_ts,
		.remote_ts = s->remote_ts,
		.nlocal_ts = s->nlocal_ts,
		.nremote_ts = s->nremote_ts,
		.installed_ms = s->state == CHILD_SA_STATE_INSTALLED ? s->established_ms : 0,
	};
}

/* Without children: an event names the one child it is about. */
static void ike_from_snap(const struct control_sa *e, struct vici_ike_sa *out)
{
	*out = (struct vici_ike_sa){
		.uniqueid = e->serial,
		.name = e->name,
		.version = 2,
		.state = e->state,
		.initiator = e->initiator,
		.local = e->local,
		.remote = e->remote,
		.local_id = &e->local_id,
		.remote_id = &e->remote_id,
		.proposal = e->have_proposal ? &e->proposal : NULL,
		.nat_local = e->nat_local,
		.nat_remote = e->nat_remote,
		.established_ms = e->established_ms,
	};
	memcpy(out->spi_i, e->spi_i, sizeof(out->spi_i));
	memcpy(out->spi_r, e->spi_r, sizeof(out->spi_r));
}

/* ---- detecting changes (control.h: a walk after every engine call) ---- */

static bool sa_changed(const struct control_sa *e, const struct ikev2_sa_view *v)
{
	if (e->state != v->state || e->nchildren != v->nchildren ||
	    e->established_ms != v->established_ms || !ip_endpoint_eq(&e->local, &v->local) ||
	    !ip_endpoint_eq(&e->remote, &v->remote) || e->nat_local != v->nat_local ||
	    e->nat_remote != v->nat_remote || memcmp(e->spi_r, v->spi_r, sizeof(e->spi_r)) != 0)
		return true;
	for (size_t i = 0; i < v->nchildren; i++) {
		const struct control_child *s = &e->children[i];
		const struct ikev2_child_view *cv = &v->children[i];

		if (s->serial != cv->serial || s->state != cv->state || s->spi_out != cv->spi_out)
			return true;
	}
	return false;
}

static void snap_child(struct control_child *s, const struct ikev2_child_view *v)
{
	memset(s, 0, sizeof(*s));
	s->serial = v->serial;
	snprintf(s->name, sizeof(s->name), "%s", v->name ? v->name : "");
	s->state = v->state;
	s->protocol = v->protocol;
	s->mode = v->mode;
	s->spi_in = v->spi_in;
	s->spi_out = v->spi_out;
	s->reqid = v->reqid;
	if (v->proposal) {
		s->have_proposal = true;
		s->proposal = *v->proposal;
	}
	s->nlocal_ts = MIN(v->nlocal_ts, (size_t)MODEL_MAX_TS);
	s->nremote_ts = MIN(v->nremote_ts, (size_t)MODEL_MAX_TS);
	if (s->nlocal_ts)
		memcpy(s->local_ts, v->local_ts, s->nlocal_ts * sizeof(s->local_ts[0]));
	if (s->nremote_ts)
		memcpy(s->remote_ts, v->remote_ts, s->nremote_ts * sizeof(s->remote_ts[0]));
	s->established_ms = v->established_ms;
}

/* Copy the view into e; *old gets its previous children array (caller
 * frees). -ENOMEM leaves e as it was: the next walk sees it changed again. */
static int snap_sa(struct control_sa *e, const struct ikev2_sa_view *v, struct control_child **old,
		   size_t *nold)
{
	struct control_child *now = NULL;

	if (v->nchildren && !(now = calloc(v->nchildren, sizeof(*now))))
		return -ENOMEM;
	*old = e->children;
	*nold = e->nchildren;
	for (size_t i = 0; i < v->nchildren; i++) {
		snap_child(&now[i], &v->children[i]);
		for (size_t k = 0; k < *nold; k++)
			if ((*old)[k].serial == now[i].serial)
				now[i].up = (*old)[k].up;
	}
	e->children = now;
	e->nchildren = v->nchildren;
	snprintf(e->name, sizeof(e->name), "%s", v->conn_name ? v->conn_name : "");
	e->state = v->state;
	e->initiator = v->initiator;
	memcpy(e->spi_i, v->spi_i, sizeof(e->spi_i));
	memcpy(e->spi_r, v->spi_r, sizeof(e->spi_r));
	e->local = v->local;
	e->remote = v->remote;
	if (v->local_id)
		e->local_id = *v->local_id;
	if (v->remote_id)
		e->remote_id = *v->remote_id;
	e->have_proposal = v->proposal != NULL;
	if (v->proposal)
		e->proposal = *v->proposal;
	e->nat_local = v->nat_local;
	e->nat_remote = v->nat_remote;
	e->established_ms = v->established_ms;
	return 0;
}

static void child_event(struct control *c, struct control_sa *e, const struct control_child *s,
			enum vici_sa_event ev)
{
	struct vici_ike_sa sa;
	struct vici_child_sa ch;

	ike_from_snap(e, &sa);
	child_from_snap(s, &ch);
	vici_server_child_event(c->server, &sa, &ch, ev,
				ev == VICI_SA_FAILED && e->why[0] ? e->why : NULL);
	if (ev == VICI_SA_FAILED)
		e->why[0] = '\0'; /* said; the next failure has its own reason */
}

static void ike_event(struct control *c, struct control_sa *e, enum vici_sa_event ev)
{
	struct vici_ike_sa sa;

	ike_from_snap(e, &sa);
	vici_server_ike_event(c->server, &sa, ev, ev != VICI_SA_UP && e->why[0] ? e->why : NULL);
}

/* Events for one IKE SA the walk saw changed: the IKE SA up first, then its
 * children gone (down, or failed when they never came up), then the ones up. */
static void report_changes(struct control *c, struct control_sa *e, const struct control_child *old,
			   size_t nold)
{
	if (e->state == IKE_SA_STATE_ESTABLISHED && !e->up_gen) {
		e->up_gen = c->gen;
		e->why[0] = '\0';
		ike_event(c, e, VICI_SA_UP);
	}
	for (size_t k = 0; k < nold; k++) {
		bool still = false;

		for (size_t i = 0; i < e->nchildren && !still; i++)
			still = e->children[i].serial == old[k].serial;
		if (!still)
			child_event(c, e, &old[k], old[k].up ? VICI_SA_DOWN : VICI_SA_FAILED);
	}
	for (size_t i = 0; i < e->nchildren; i++) {
		struct control_child *s = &e->children[i];

		if (s->state == CHILD_SA_STATE_INSTALLED && !s->up) {
			s->up = true;
			child_event(c, e, s, VICI_SA_UP);
		}
	}
}

static void sync_view(const struct ikev2_sa_view *v, void *arg)
{
	struct control *c = arg;
	struct control_sa *e = sa_find(c, v->serial);
	struct control_child *old;
	size_t nold;

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return; /* seen on the next walk */
		e->serial = v->serial;
		htab_insert(&c->sas, &e->node, hash_bytes(&e->serial, sizeof(e->serial)));
	} else if (!sa_changed(e, v)) {
		e->gen = c->gen;
		return;
	}
	e->gen = c->gen;
	if (snap_sa(e, v, &old, &nold) < 0)
		return;
	report_changes(c, e, old, nold);
	free(old);
}

/* IKE SAs the walk no longer saw: their children that were up go down, then
 * the IKE SA goes down (or failed, when it never came up). */
static void sync_gone(struct control *c)
{
	struct control_sa *gone = NULL, *e;
	struct hnode *n = NULL;
	size_t pos = 0;

	while ((n = htab_iter(&c->sas, &pos, n)) != NULL) {
		e = container_of(n, struct control_sa, node);
		if (e->gen != c->gen) {
			e->gone_next = gone;
			gone = e;
		}
	}
	while ((e = gone) != NULL) {
		gone = e->gone_next;
		htab_remove(&c->sas, &e->node);
		for (size_t i = 0; i < e->nchildren; i++)
			if (e->children[i].up)
				child_event(c, e, &e->children[i], VICI_SA_DOWN);
		ike_event(c, e, e->up_gen ? VICI_SA_DOWN : VICI_SA_FAILED);
		free(e->children);
		free(e);
	}
}

void control_sync(struct control *c)
{
	if (!c || c->syncing)
		return;
	c->syncing = true;
	c->gen++;
	ikev2_sa_foreach(c->env.ikev2, sync_view, c);
	sync_gone(c);
	c->syncing = false;
}

/* After an engine call of an op: the daemon's timer, then the walk. */
static void after_engine(struct control *c)
{
	if (c->env.engine_called)
		c->env.engine_called(c->env.ctx);
	control_sync(c);
}

/* ---- the server's ops ---- */

struct list_sas_ctx {
	vici_sa_fn *fn;
	void *arg;
};

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
	for (size_t i = 0; i < v->nchildren; i++)
		child_from_view(&v->children[i], &ch[i]);
	sa.children = ch;
	sa.nchildren = v->nchildren;
	lc->fn(&sa, lc->arg);
	if (ch != stack)
		free(ch);
}

static void op_list_sas(void *ctx, vici_sa_fn *fn, void *arg)
{
	struct control *c = ctx;
	struct list_sas_ctx lc = {fn, arg};

	ikev2_sa_foreach(c->env.ikev2, list_sas_view, &lc);
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

static int op_initiate(void *ctx, const char *ike, const char *child, struct vici_initiated *out,
		       char *err, size_t errlen)
{
	struct control *c = ctx;
	const struct conn_cfg *conn = find_conn(*c->env.config, ike, child, err, errlen);
	uint64_t gen = c->gen;
	struct control_sa *e;
	uint32_t serial = 0;
	int rc;

	if (!conn)
		return -ENOENT;
	if (conn->version == 1) {
		snprintf(err, errlen,
			 "connection '%s' is IKEv1, which this oakd does not speak yet",
			 conn->name);
		return -EPROTONOSUPPORT;
	}
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
	e = sa_find(c, serial);
	if (!e) {
		/* gone within the call: the walk never saw it, so say it here */
		struct vici_ike_sa sa = {.uniqueid = serial, .name = conn->name, .version = 2};

		vici_server_ike_event(c->server, &sa, VICI_SA_FAILED,
				      "the IKE SA was deleted at once");
	} else if (out->ike_only && e->up_gen && e->up_gen <= gen) {
		/* already up before this request: nothing new will come. The
		 * server answers requests on events only, so the up is said again
		 * (listeners see a second ike-updown) */
		ike_event(c, e, VICI_SA_UP);
	}
	return 0;
}

struct term_ctx {
	const struct vici_terminate_req *req;
	struct vici_terminating *out;
};

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
	if (req->ike_id || req->child_id)
		out->serials[out->n++] = req->ike_id ? req->ike_id : req->child_id;
	else
		ikev2_sa_foreach(c->env.ikev2, term_collect, &t);
	/* keep the ones the engine knew: the rest is not waited for */
	for (size_t i = 0; i < out->n; i++) {
		uint32_t s = out->serials[i];
		int rc = children ? ikev2_terminate_child(c->env.ikev2, s, mono_ms())
				  : ikev2_terminate(c->env.ikev2, s, mono_ms());

		if (rc == 0)
			out->serials[k++] = s;
	}
	out->n = k;
	after_engine(c);
	return 0; /* n = 0: the server says nothing matched */
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
}

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
	};
	struct control *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c || htab_init(&c->sas, 64) < 0) {
		log_err(SUB_DAEMON, "cannot open the control socket %s: out of memory",
			env->socket);
		free(c);
		return -ENOMEM;
	}
	c->env = *env;
	c->loop_thread = pthread_self();
	ops.ctx = c;
	rc = vici_server_new(env->base, &scfg, &ops, &c->server);
	if (rc < 0) { /* the server logged why, with the path */
		htab_free(&c->sas);
		free(c);
		return rc;
	}
	/* the SAs start_action = start made already are the first snapshot */
	control_sync(c);
	log_set_sink(control_sink, c);
	*out = c;
	return 0;
}

void control_free(struct control *c)
{
	struct hnode *n = NULL, *next;
	size_t pos = 0;

	if (!c)
		return;
	log_set_sink(c->env.sink, c->env.sink_ctx);
	vici_server_free(c->server);
	/* the table must not change while it is visited: take one node ahead */
	for (n = htab_iter(&c->sas, &pos, NULL); n; n = next) {
		struct control_sa *e = container_of(n, struct control_sa, node);

		next = htab_iter(&c->sas, &pos, n);
		free(e->children);
		free(e);
	}
	htab_free(&c->sas);
	free(c);
}
