/* trap.c: IKEv1 trap policies (dpd_action = trap, start_action = trap) and
 * the kernel ACQUIRE that ends them (engine.h, ikev1_int.h).
 *
 * A trap is the set of kernel policies of one child config (out, in and,
 * in tunnel mode, fwd) whose template has no SA yet (RFC 4301 4.4.1): the
 * first outbound packet that matches is held and the kernel sends an
 * ACQUIRE naming the template's reqid; ikev1_acquire() then starts Main
 * Mode and Quick Mode for that child. A trap stays while the engine lives
 * (ikev1_terminate_all takes it out): the IPsec SA's own policies have the
 * same selectors and a higher priority, so they win while the SA is up, and
 * when it goes the trap catches the next packet again. The IPsec SAs of a
 * trapped child take the trap's reqid, so installing them also ends the
 * kernel's pending acquire.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/model.h"
#include "ikev1/ikev1_int.h"
#include "lib/log.h"
#include "lib/util.h"

/* A trap's policies lose against the IPsec SA's of the same selector. */
#define TRAP_PRIORITY_OFFSET 0x10000u

struct ikev1_trap {
	struct ikev1_trap *next;
	char conn[MODEL_NAME_MAX], child[MODEL_NAME_MAX];
	uint32_t reqid;
	struct kernel_policy *pols; /* as installed (owned) */
	size_t npols;
};

static struct ikev1_trap *trap_find(const struct ikev1_engine *e, const char *conn,
				    const char *child)
{
	struct ikev1_trap *t;

	for (t = e->traps; t; t = t->next)
		if (strcmp(t->conn, conn) == 0 && strcmp(t->child, child) == 0)
			return t;
	return NULL;
}

/* The selectors: configured, or the IKE addresses (strongSwan's %dynamic)
 * when the child has none; false (logged) when an address is missing. */
static bool trap_ts(const struct conn_cfg *conn, const struct child_cfg *cfg, struct ts *local,
		    size_t *nl, struct ts *remote, size_t *nr)
{
	if (!conn->nremote_addrs || (!cfg->nlocal_ts && !conn->nlocal_addrs)) {
		log_err(SUB_IKE,
			"%s/%s: a trap needs the peer's address in remote_addrs and, without "
			"local_ts, ours in local_addrs; no trap installed",
			conn->name, cfg->name);
		return false;
	}
	*nl = cfg->nlocal_ts;
	memcpy(local, cfg->local_ts, cfg->nlocal_ts * sizeof(*local));
	if (!*nl)
		ts_from_addr(&local[(*nl)++], &conn->local_addrs[0]);
	*nr = cfg->nremote_ts;
	memcpy(remote, cfg->remote_ts, cfg->nremote_ts * sizeof(*remote));
	if (!*nr)
		ts_from_addr(&remote[(*nr)++], &conn->remote_addrs[0]);
	return true;
}

static void trap_pol(const struct conn_cfg *conn, const struct child_cfg *cfg,
		     const struct ikev1_trap *t, enum kernel_dir dir, const struct ts *l,
		     const struct ts *r, struct kernel_policy *p)
{
	struct ip_addr me = {0}, peer = conn->remote_addrs[0];
	bool out = dir == KERNEL_DIR_OUT;

	if (conn->nlocal_addrs)
		me = conn->local_addrs[0];
	memset(p, 0, sizeof(*p));
	p->src = out ? *l : *r;
	p->dst = out ? *r : *l;
	p->dir = dir;
	p->priority = cfg->priority + TRAP_PRIORITY_OFFSET;
	p->reqid = t->reqid;
	p->proto = cfg->nah ? IPPROTO_AH : IPPROTO_ESP;
	p->mode = cfg->mode == CHILD_MODE_TRANSPORT ? KERNEL_MODE_TRANSPORT : KERNEL_MODE_TUNNEL;
	p->tun_src = out ? me : peer;
	p->tun_dst = out ? peer : me;
	p->trap = true;
	p->conn_name = t->conn;
	p->child_name = t->child;
}

/* Every (local, remote) pair of one family: out, in and, in tunnel mode,
 * fwd, as child_kernel makes an IPsec SA's. */
static int trap_build(const struct conn_cfg *conn, const struct child_cfg *cfg,
		      struct ikev1_trap *t)
{
	static const enum kernel_dir dirs[] = {KERNEL_DIR_OUT, KERNEL_DIR_IN, KERNEL_DIR_FWD};
	struct ts local[MODEL_MAX_TS], remote[MODEL_MAX_TS];
	size_t nl, nr, l, r, d;

	if (!trap_ts(conn, cfg, local, &nl, remote, &nr))
		return -EINVAL;
	t->pols = calloc(nl * nr * ARRAY_SIZE(dirs), sizeof(*t->pols));
	if (!t->pols)
		return -ENOMEM;
	for (l = 0; l < nl; l++)
		for (r = 0; r < nr; r++)
			for (d = 0; d < ARRAY_SIZE(dirs); d++)
				if (ts_family(&local[l]) == ts_family(&remote[r]) &&
				    !(dirs[d] == KERNEL_DIR_FWD &&
				      cfg->mode == CHILD_MODE_TRANSPORT))
					trap_pol(conn, cfg, t, dirs[d], &local[l], &remote[r],
						 &t->pols[t->npols++]);
	return t->npols ? 0 : -EINVAL;
}

static void trap_free(struct ikev1_trap *t)
{
	if (t)
		free(t->pols);
	free(t);
}

int ikev1_trap_install(struct ikev1_engine *e, const struct conn_cfg *conn,
		       const struct child_cfg *cfg)
{
	const struct kernel_ops *k = e->env.kernel;
	struct ikev1_trap *t;
	size_t i;

	if (trap_find(e, conn->name, cfg->name))
		return 0; /* installed before: it stays */
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	snprintf(t->conn, sizeof(t->conn), "%s", conn->name);
	snprintf(t->child, sizeof(t->child), "%s", cfg->name);
	t->reqid = cfg->reqid ? cfg->reqid : ikev1_new_reqid(e);
	if (trap_build(conn, cfg, t) < 0) {
		trap_free(t);
		return -EINVAL;
	}
	for (i = 0; i < t->npols; i++)
		if (k->add_policy(k->ctx, &t->pols[i]) < 0) {
			log_err(SUB_IKE, "%s/%s: installing the trap policies failed", t->conn,
				t->child);
			while (i-- > 0)
				k->del_policy(k->ctx, &t->pols[i]);
			trap_free(t);
			return -EIO;
		}
	t->next = e->traps;
	e->traps = t;
	log_notice(SUB_IKE,
		   "%s/%s: trap installed (reqid %u, %zu policies): the first packet starts "
		   "Main Mode",
		   t->conn, t->child, t->reqid, t->npols);
	return 0;
}

void ikev1_traps_free(struct ikev1_engine *e, bool remove)
{
	const struct kernel_ops *k = e->env.kernel;
	struct ikev1_trap *t;
	size_t i;

	while ((t = e->traps)) {
		e->traps = t->next;
		for (i = 0; remove && i < t->npols; i++)
			k->del_policy(k->ctx, &t->pols[i]);
		if (remove)
			log_info(SUB_IKE, "%s/%s: trap policies removed (reqid %u)", t->conn,
				 t->child, t->reqid);
		trap_free(t);
	}
}

/* Whether the configuration still wants the trap t: its connection (IKEv1)
 * and child exist and trap on start or on a dead peer. */
static bool trap_wanted(const struct oak_config *cfg, const struct ikev1_trap *t)
{
	for (size_t i = 0; cfg && i < cfg->nconns; i++) {
		const struct conn_cfg *c = &cfg->conns[i];

		if (c->version != 1 || strcmp(c->name, t->conn) != 0)
			continue;
		for (size_t j = 0; j < c->nchildren; j++)
			if (strcmp(c->children[j].name, t->child) == 0)
				return c->children[j].start_action == START_TRAP ||
				       c->children[j].dpd_action == START_TRAP;
	}
	return false;
}

void ikev1_traps_sync(struct ikev1_engine *e, const struct oak_config *cfg)
{
	const struct kernel_ops *k = e->env.kernel;
	struct ikev1_trap **pp = &e->traps, *t;

	while ((t = *pp)) {
		if (trap_wanted(cfg, t)) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		for (size_t i = 0; i < t->npols; i++)
			k->del_policy(k->ctx, &t->pols[i]);
		log_info(SUB_IKE,
			 "%s/%s: trap policies removed (reqid %u): the configuration "
			 "no longer traps it",
			 t->conn, t->child, t->reqid);
		trap_free(t);
	}
}

uint32_t ikev1_child_reqid(struct ikev1_engine *e, const struct ike_sa *sa,
			   const struct child_cfg *cfg)
{
	const struct ikev1_trap *t = sa->conn ? trap_find(e, sa->conn->name, cfg->name) : NULL;

	if (cfg->reqid)
		return cfg->reqid;
	return t ? t->reqid : ikev1_new_reqid(e);
}

struct busy {
	const struct ikev1_trap *t;
	bool busy;
};

/* A phase 1 of the trap's connection on its way, or its child up or being
 * made. */
static void busy_one(struct ike_sa *s, void *ctx)
{
	struct busy *b = ctx;
	const struct child_sa *c;

	if (!s->conn || strcmp(s->conn->name, b->t->conn) != 0)
		return;
	if (s->initiator && (s->state == IKE_SA_STATE_NEW || s->state == IKE_SA_STATE_INIT_I ||
			     s->state == IKE_SA_STATE_AUTH_I))
		b->busy = true;
	for (c = s->children; c; c = c->next)
		if (c->cfg && strcmp(c->cfg->name, b->t->child) == 0 &&
		    (c->state == CHILD_SA_STATE_CREATING || c->state == CHILD_SA_STATE_INSTALLED))
			b->busy = true;
}

int ikev1_acquire(struct ikev1_engine *e, uint32_t reqid, const struct ts *src,
		  const struct ts *dst, uint64_t now_ms)
{
	struct busy b = {0};
	struct ikev1_trap *t;
	char s[TS_STRLEN], d[TS_STRLEN];

	ts_fmt(src, s, sizeof(s));
	ts_fmt(dst, d, sizeof(d));
	for (t = e->traps; t && t->reqid != reqid; t = t->next)
		;
	if (!t) {
		/* the daemon asks the IKEv2 engine next: not worth a line */
		log_debug(SUB_IKE,
			  "kernel ACQUIRE for reqid %u (packet %s -> %s): no IKEv1 trap has that "
			  "reqid",
			  reqid, s, d);
		return -ENOENT;
	}
	b.t = t;
	sa_table_foreach(&e->table, busy_one, &b);
	if (b.busy) {
		log_info(SUB_IKE,
			 "kernel ACQUIRE for %s/%s (packet %s -> %s): already being negotiated "
			 "or up",
			 t->conn, t->child, s, d);
		return -EALREADY;
	}
	log_notice(SUB_IKE, "kernel ACQUIRE for %s/%s (reqid %u): packet %s -> %s, initiating",
		   t->conn, t->child, reqid, s, d);
	return ikev1_initiate(e, t->conn, t->child, now_ms, NULL);
}
