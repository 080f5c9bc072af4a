/* reauth.c: reauthentication of an IKE SA, make-before-break (RFC 7296
 * 2.8.3; strongSwan's make_before_break = yes).
 *
 * An IKE rekey (rekey.c) renews keys but never the peers' authentication;
 * reauth_time asks for a new IKE SA with both peers authenticated again:
 *
 *   old IKE SA (established)            new IKE SA
 *                                       IKE_SA_INIT
 *                                       IKE_AUTH (no INITIAL_CONTACT: the
 *                                         peer must keep the old SAs) with
 *                                         the first CHILD SA
 *                                       CREATE_CHILD_SA for each other child
 *   INFORMATIONAL Delete(IKE)   <-- once the new IKE SA made them all
 *
 * so traffic never lacks an SA. A re-created CHILD SA takes the reqid of
 * the one it replaces and takes over its policies (same selectors, same
 * template): deleting the old IKE SA then takes out only the old SAs. The
 * same handover serves a peer that reauthenticates us (strongSwan does):
 * its new IKE SA's CHILD SAs inherit the policies of ours, and its Delete
 * of the old IKE SA leaves them alone. The responder of the exchange that
 * re-creates a CHILD SA sends on the old one until it goes (child.c).
 *
 * If the new IKE SA fails, the old one stays until its lifetime ends
 * (max(rekey_time, reauth_time) + over_time), and the failure is logged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ikev2/exchange.h"
#include "lib/log.h"
#include "lib/util.h"

/* The child configs of old's CHILD SAs to create again (names, each once),
 * from conn (the connection of the current config). */
static size_t reauth_children(const struct ikev2_ike_sa *old, const struct conn_cfg *conn,
			      const struct child_cfg **out, size_t max)
{
	const struct child_sa *c;
	size_t n = 0, i;

	for (c = old->sa.children; c; c = c->next) {
		const struct child_cfg *cfg;

		if (c->state != CHILD_SA_STATE_INSTALLED || c->rekeyed_by || !c->cfg)
			continue;
		cfg = conn_cfg_child(conn, c->cfg->name);
		if (!cfg) {
			log_notice(SUB_IKE,
				   "IKE SA #%u: CHILD SA #%u (%s) is not created again: its child "
				   "is gone from the config",
				   old->sa.serial, c->serial, c->cfg->name);
			continue;
		}
		for (i = 0; i < n && out[i] != cfg; i++)
			;
		if (i == n && n < max)
			out[n++] = cfg;
	}
	return n;
}

/* Where the new IKE SA goes: the old one's addresses; its ports when the
 * peer sits behind a NAT we reached it through (it may not answer on 500),
 * else the configured ones as for a first contact. */
static void reauth_endpoints(const struct ikev2_engine *e, const struct ikev2_ike_sa *old,
			     struct ip_endpoint *local, struct ip_endpoint *remote)
{
	const struct conn_cfg *conn = old->sa.conn;
	const struct daemon_cfg *d = ikev2_daemon_cfg(e);

	*local = old->sa.local;
	*remote = old->sa.remote;
	if (old->sa.nat_remote && !old->sa.initiator)
		return;
	remote->port = conn->remote_port ? conn->remote_port : 500;
	local->port = conn->local_port ? conn->local_port : (d->port ? d->port : 500);
}

int ikev2_reauth_start(struct ikev2_engine *e, struct ikev2_ike_sa *old, uint64_t now)
{
	const struct conn_cfg *conn =
		old->sa.conn && e->config ? oak_config_conn(e->config, old->sa.conn->name) : NULL;
	const struct child_cfg *children[IKEV2_TASKS_MAX];
	struct ip_endpoint local, remote;
	struct ikev2_ike_sa *n;
	uint32_t serial = 0;
	size_t nc, i;
	int r;

	if (!conn || (conn->version != 0 && conn->version != 2)) {
		log_warn(SUB_IKE,
			 "IKE SA #%u: not reauthenticated: its connection is gone from the "
			 "config; it stays until its lifetime ends",
			 old->sa.serial);
		return -EINVAL;
	}
	nc = reauth_children(old, conn, children, ARRAY_SIZE(children));
	reauth_endpoints(e, old, &local, &remote);
	log_notice(SUB_IKE, "IKE SA #%u (%s): reauthenticating with a new IKE SA (%zu children)",
		   old->sa.serial, conn->name, nc);
	r = ikev2_ike_sa_init_start_at(e, conn, nc ? children[0] : NULL, &local, &remote, now,
				       &serial);
	n = r == 0 ? ikev2_sa_by_serial(e, serial) : NULL;
	if (!n) {
		log_warn(SUB_IKE,
			 "IKE SA #%u: reauthentication did not start (%s); it stays until its "
			 "lifetime ends",
			 old->sa.serial, strerror(r < 0 ? -r : ENOMEM));
		return r < 0 ? r : -ENOMEM;
	}
	n->reauth_of = old->sa.serial;
	old->reauth_by = n->sa.serial;
	/* the others once the new IKE SA is up (kick waits for ESTABLISHED) */
	for (i = 1; i < nc; i++) {
		struct ikev2_task t = {.kind = IKEV2_TASK_CREATE_CHILD};

		snprintf(t.name, sizeof(t.name), "%s", children[i]->name);
		ikev2_task_add(e, n, &t, now);
	}
	return 0;
}

int ikev2_reauth_ike(struct ikev2_engine *e, uint32_t ike_serial, uint64_t now_ms)
{
	struct ikev2_ike_sa *sa = ikev2_sa_by_serial(e, ike_serial);
	unsigned i;
	int r;

	if (!sa || sa->sa.state != IKE_SA_STATE_ESTABLISHED)
		return sa && sa->sa.state == IKE_SA_STATE_DELETING ? -EBUSY : -ENOENT;
	if (sa->reauth_by || sa->rekeyed_to || sa->req_rekey_ike || sa->rekey_parent)
		return -EBUSY;
	for (i = 0; i < sa->ntasks; i++)
		if (sa->tasks[i].kind == IKEV2_TASK_DELETE_IKE)
			return -EBUSY;
	ikev2_enter(e);
	e->now = now_ms;
	timers_cancel(&e->timers, sa->sa.serial, TIMER_REAUTH);
	r = ikev2_reauth_start(e, sa, now_ms);
	ikev2_leave(e);
	return r;
}

/* Whether n still has CHILD SAs to make. */
static bool reauth_busy(const struct ikev2_ike_sa *n)
{
	const struct child_sa *c;
	unsigned i;

	if (n->sa.state != IKE_SA_STATE_ESTABLISHED || n->out_active || n->dh_req.busy ||
	    n->req_child || n->req_busy)
		return true;
	for (i = 0; i < n->ntasks; i++)
		if (n->tasks[i].kind == IKEV2_TASK_CREATE_CHILD)
			return true;
	for (c = n->sa.children; c; c = c->next)
		if (c->state == CHILD_SA_STATE_CREATING)
			return true;
	return false;
}

void ikev2_reauth_progress(struct ikev2_engine *e, struct ikev2_ike_sa *n)
{
	struct ikev2_task t = {.kind = IKEV2_TASK_DELETE_IKE};
	struct ikev2_ike_sa *old;
	size_t had, made;

	if (!n->reauth_of || reauth_busy(n))
		return;
	old = ikev2_sa_by_serial(e, n->reauth_of);
	n->reauth_of = 0;
	if (!old || old->reauth_by != n->sa.serial)
		return; /* gone meanwhile (the peer deleted it, DPD) */
	old->reauth_by = 0;
	had = ike_sa_child_count(&old->sa);
	made = ike_sa_child_count(&n->sa);
	if (made < had)
		log_warn(SUB_IKE,
			 "IKE SA #%u: its reauthentication IKE SA #%u carries %zu of its %zu "
			 "CHILD SAs (see above why)",
			 old->sa.serial, n->sa.serial, made, had);
	log_notice(SUB_IKE, "IKE SA #%u (%s) reauthenticated: IKE SA #%u replaces it, deleting it",
		   old->sa.serial, old->sa.conn ? old->sa.conn->name : "", n->sa.serial);
	old->rekeyed_to = n->sa.serial;
	timers_cancel(&e->timers, old->sa.serial, TIMER_REKEY);
	timers_cancel(&e->timers, old->sa.serial, TIMER_REAUTH);
	timers_cancel(&e->timers, old->sa.serial, TIMER_DPD);
	if (e->env.events.rekeyed)
		e->env.events.rekeyed(e->env.events.ctx, true, old->sa.serial, n->sa.serial);
	ikev2_task_add(e, old, &t, e->now);
}

void ikev2_reauth_failed(struct ikev2_engine *e, struct ikev2_ike_sa *n, const char *why)
{
	struct ikev2_ike_sa *old = ikev2_sa_by_serial(e, n->reauth_of);
	uint64_t end;

	n->reauth_of = 0;
	if (!old || old->reauth_by != n->sa.serial)
		return;
	old->reauth_by = 0;
	end = timers_when(&e->timers, old->sa.serial, TIMER_EXPIRE);
	if (end != TIMERS_NONE)
		log_warn(SUB_IKE,
			 "IKE SA #%u (%s): reauthentication failed (IKE SA #%u: %s); it stays "
			 "until its lifetime ends in %llu s",
			 old->sa.serial, old->sa.conn ? old->sa.conn->name : "", n->sa.serial,
			 why ? why : "deleted",
			 (unsigned long long)(end > e->now ? (end - e->now) / 1000 : 0));
	else
		log_warn(SUB_IKE,
			 "IKE SA #%u (%s): reauthentication failed (IKE SA #%u: %s); it stays",
			 old->sa.serial, old->sa.conn ? old->sa.conn->name : "", n->sa.serial,
			 why ? why : "deleted");
}

static bool ts_lists_eq(const struct ts *a, size_t na, const struct ts *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (!ts_eq(&a[i], &b[i]))
			return false;
	return true;
}

struct holder_ctx {
	const struct ikev2_ike_sa *sa;
	const struct child_sa *c;
	struct child_sa *found;
};

static void holder_in(struct ike_sa *isa, void *arg)
{
	struct holder_ctx *x = arg;
	const struct ike_sa *me = &x->sa->sa;
	const struct child_cfg *cfg = x->c->cfg;
	struct child_sa *o;

	if (x->found || isa == me || isa->version != 2 || !isa->conn || !me->conn ||
	    strcmp(isa->conn->name, me->conn->name) != 0 ||
	    !ip_addr_eq(&isa->remote.addr, &me->remote.addr) ||
	    !ip_addr_eq(&isa->local.addr, &me->local.addr))
		return;
	for (o = isa->children; o; o = o->next)
		if (o->policies && o->cfg && strcmp(o->cfg->name, cfg->name) == 0 &&
		    o->protocol == x->c->protocol && o->mode == x->c->mode &&
		    ts_lists_eq(o->local_ts, o->nlocal_ts, x->c->local_ts, x->c->nlocal_ts) &&
		    ts_lists_eq(o->remote_ts, o->nremote_ts, x->c->remote_ts, x->c->nremote_ts)) {
			x->found = o;
			return;
		}
}

struct child_sa *ikev2_reauth_policy_holder(struct ikev2_engine *e, const struct ikev2_ike_sa *sa,
					    const struct child_sa *c)
{
	struct holder_ctx x = {sa, c, NULL};

	if (!c->cfg)
		return NULL;
	sa_table_foreach(&e->table, holder_in, &x);
	return x.found;
}
