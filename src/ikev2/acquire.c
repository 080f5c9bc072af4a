/* acquire.c: on-demand keying (start_action = trap).
 *
 * A trap is the set of kernel policies of one child config (out, in and,
 * in tunnel mode, fwd) with the child's template and no SA (RFC 4301
 * 4.4.1: the SPD entry exists before the SA). The first outbound packet that
 * matches makes the kernel hold it and send an ACQUIRE naming the
 * template's reqid; ikev2_acquire() then initiates that child, with the
 * packet's addresses, protocol and ports as the first TSi/TSr (RFC 7296
 * 2.9).
 *
 * Traps stay while their config is loaded: the CHILD SA's own policies
 * have the same selectors but a higher priority (a lower number), so they
 * win while the SA is up, and when it goes the trap catches the next
 * packet again. The kernel keeps both because the backend marks trap
 * policies as such (kernel_policy.trap). Every CHILD SA of a trapped child
 * uses the trap's reqid, so installing it also ends the kernel's pending
 * acquire for that template.
 *
 * dpd_action = trap installs the same trap when the peer of a CHILD SA is
 * declared dead (RFC 7296 2.4), under that CHILD SA's reqid; it stays, as
 * a start_action trap does, while the child keeps dpd_action = trap.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ts_narrow.h"
#include "ikev2/exchange.h"
#include "lib/log.h"
#include "lib/util.h"

/* A trap's policies lose against the CHILD SA's of the same selector. */
#define TRAP_PRIORITY_OFFSET 0x10000u

struct ikev2_trap {
	struct ikev2_trap *next;
	char conn[MODEL_NAME_MAX], child[MODEL_NAME_MAX];
	uint32_t reqid;
	struct kernel_policy *pols; /* as installed (owned); out, in, fwd per TS pair */
	size_t npols;
	bool keep;    /* still in the config being installed */
	bool dpd;     /* installed by dpd_action = trap, not start_action */
	bool pending; /* an ACQUIRE's packet TS wait for the child's offer */
	struct ts pkt_src, pkt_dst;
};

struct ikev2_traps {
	struct ikev2_trap *head;
};

static uint8_t trap_ipproto(const struct child_cfg *cfg)
{
	return cfg->nah ? IPPROTO_AH : IPPROTO_ESP;
}

static struct ikev2_trap *trap_find(const struct ikev2_engine *e, const char *conn,
				    const char *child)
{
	struct ikev2_trap *t;

	for (t = e->traps ? e->traps->head : NULL; t; t = t->next)
		if (strcmp(t->conn, conn) == 0 && strcmp(t->child, child) == 0)
			return t;
	return NULL;
}

static struct ikev2_trap *trap_by_reqid(const struct ikev2_engine *e, uint32_t reqid)
{
	struct ikev2_trap *t;

	for (t = e->traps ? e->traps->head : NULL; t; t = t->next)
		if (t->reqid == reqid)
			return t;
	return NULL;
}

/* The trap's selectors: configured, or the IKE addresses (strongSwan's
 * %dynamic) when the child has none. 0, or -EINVAL (logged) when an
 * address the kernel needs is not configured. */
static int trap_ts(const struct conn_cfg *conn, const struct child_cfg *cfg, struct ts *local,
		   size_t *nlocal, struct ts *remote, size_t *nremote)
{
	if (conn->nremote_addrs == 0) {
		log_err(SUB_IKE,
			"%s/%s: start_action = trap needs the peer's address in remote_addrs; "
			"no trap installed",
			conn->name, cfg->name);
		return -EINVAL;
	}
	if (cfg->nlocal_ts == 0 && conn->nlocal_addrs == 0) {
		log_err(SUB_IKE,
			"%s/%s: start_action = trap without local_ts needs our address in "
			"local_addrs (the trap's selector); no trap installed",
			conn->name, cfg->name);
		return -EINVAL;
	}
	*nlocal = cfg->nlocal_ts;
	memcpy(local, cfg->local_ts, cfg->nlocal_ts * sizeof(*local));
	if (*nlocal == 0) {
		ts_from_addr(&local[0], &conn->local_addrs[0]);
		*nlocal = 1;
	}
	*nremote = cfg->nremote_ts;
	memcpy(remote, cfg->remote_ts, cfg->nremote_ts * sizeof(*remote));
	if (*nremote == 0) {
		ts_from_addr(&remote[0], &conn->remote_addrs[0]);
		*nremote = 1;
	}
	return 0;
}

/* The policies of cfg's trap into t->pols, as child.c makes a CHILD SA's:
 * every (local, remote) pair of one family, out, in and for tunnel mode
 * fwd; the template's tunnel ends are the IKE addresses (our own may be
 * unset: the kernel then takes the route's source). */
static int trap_build(const struct conn_cfg *conn, const struct child_cfg *cfg,
		      struct ikev2_trap *t)
{
	static const enum kernel_dir dirs[] = {KERNEL_DIR_OUT, KERNEL_DIR_IN, KERNEL_DIR_FWD};
	struct ts local[MODEL_MAX_TS], remote[MODEL_MAX_TS];
	struct ip_addr me = {0}, peer = conn->remote_addrs[0];
	size_t nl, nr;

	if (trap_ts(conn, cfg, local, &nl, remote, &nr) < 0)
		return -EINVAL;
	t->pols = calloc(nl * nr * ARRAY_SIZE(dirs), sizeof(*t->pols));
	if (!t->pols)
		return -ENOMEM;
	if (conn->nlocal_addrs)
		me = conn->local_addrs[0];
	t->npols = 0;
	for (size_t l = 0; l < nl; l++)
		for (size_t r = 0; r < nr; r++) {
			if (ts_family(&local[l]) != ts_family(&remote[r]))
				continue;
			for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
				struct kernel_policy *p = &t->pols[t->npols];
				bool out = dirs[d] == KERNEL_DIR_OUT;

				if (dirs[d] == KERNEL_DIR_FWD && cfg->mode == CHILD_MODE_TRANSPORT)
					continue;
				memset(p, 0, sizeof(*p));
				p->src = out ? local[l] : remote[r];
				p->dst = out ? remote[r] : local[l];
				p->dir = dirs[d];
				p->priority = cfg->priority + TRAP_PRIORITY_OFFSET;
				p->reqid = t->reqid;
				p->proto = trap_ipproto(cfg);
				p->mode = cfg->mode == CHILD_MODE_TRANSPORT ? KERNEL_MODE_TRANSPORT
									    : KERNEL_MODE_TUNNEL;
				p->tun_src = out ? me : peer;
				p->tun_dst = out ? peer : me;
				p->trap = true;
				p->conn_name = t->conn;
				p->child_name = t->child;
				t->npols++;
			}
		}
	return t->npols ? 0 : -EINVAL;
}

static void trap_remove(struct ikev2_engine *e, struct ikev2_trap *t)
{
	const struct kernel_ops *k = e->env.kernel;

	for (size_t i = 0; i < t->npols; i++)
		k->del_policy(k->ctx, &t->pols[i]);
	log_info(SUB_IKE, "%s/%s: trap policies removed (reqid %u)", t->conn, t->child, t->reqid);
	t->npols = 0;
}

static bool trap_same(const struct ikev2_trap *a, const struct ikev2_trap *b)
{
	if (a->npols != b->npols)
		return false;
	for (size_t i = 0; i < a->npols; i++) {
		const struct kernel_policy *p = &a->pols[i], *q = &b->pols[i];

		if (!ts_eq(&p->src, &q->src) || !ts_eq(&p->dst, &q->dst) || p->dir != q->dir ||
		    p->priority != q->priority || p->proto != q->proto || p->mode != q->mode ||
		    !ip_addr_eq(&p->tun_src, &q->tun_src) || !ip_addr_eq(&p->tun_dst, &q->tun_dst))
			return false;
	}
	return true;
}

static void trap_free(struct ikev2_trap *t)
{
	if (t)
		free(t->pols);
	free(t);
}

/* Install (or keep, when unchanged) the trap of one child; reqid 0: the
 * configured one, the trap's so far, or a new one. */
static int trap_one(struct ikev2_engine *e, const struct conn_cfg *conn,
		    const struct child_cfg *cfg, uint32_t reqid)
{
	const struct kernel_ops *k = e->env.kernel;
	struct ikev2_trap *old = trap_find(e, conn->name, cfg->name);
	struct ikev2_trap *t = calloc(1, sizeof(*t));
	int err = 0;

	if (!e->traps)
		e->traps = calloc(1, sizeof(*e->traps));
	if (!t || !e->traps) {
		free(t);
		log_err(SUB_IKE, "%s/%s: no trap installed: out of memory", conn->name, cfg->name);
		return -ENOMEM;
	}
	snprintf(t->conn, sizeof(t->conn), "%s", conn->name);
	snprintf(t->child, sizeof(t->child), "%s", cfg->name);
	t->reqid = cfg->reqid ? cfg->reqid : reqid ? reqid : old ? old->reqid : ikev2_new_reqid(e);
	t->keep = true;
	err = trap_build(conn, cfg, t);
	if (err < 0) {
		trap_free(t);
		return err;
	}
	if (old && old->reqid == t->reqid && trap_same(old, t)) {
		old->keep = true;
		trap_free(t);
		return 0;
	}
	if (old)
		trap_remove(e, old); /* old->keep stays false: freed by the caller */
	for (size_t i = 0; i < t->npols; i++)
		if (k->add_policy(k->ctx, &t->pols[i]) < 0 && !err)
			err = -EIO;
	if (err) {
		log_err(SUB_IKE, "%s/%s: installing the trap policies failed", conn->name,
			cfg->name);
		trap_remove(e, t);
		trap_free(t);
		return err;
	}
	t->next = e->traps->head;
	e->traps->head = t;
	log_notice(SUB_IKE,
		   "%s/%s: trap installed (reqid %u, %zu policies): the first packet "
		   "starts the negotiation",
		   conn->name, cfg->name, t->reqid, t->npols);
	return 0;
}

/* A trap dpd_action = trap installed stays while its child says so (it
 * is rebuilt when the child's selectors changed). */
static void dpd_traps_keep(struct ikev2_engine *e, const struct oak_config *cfg)
{
	struct ikev2_trap *t, *next, *now;
	const struct conn_cfg *c;
	const struct child_cfg *k;

	/* trap_one only puts new traps in front: the rest of the list stays */
	for (t = e->traps->head; t; t = next) {
		next = t->next;
		if (!t->dpd || t->keep || !cfg || !(c = oak_config_conn(cfg, t->conn)) ||
		    !(k = conn_cfg_child(c, t->child)) || k->dpd_action != START_TRAP)
			continue;
		if (trap_one(e, c, k, 0) == 0 && (now = trap_find(e, c->name, k->name)))
			now->dpd = true;
	}
}

int ikev2_trap_dpd(struct ikev2_engine *e, const struct conn_cfg *conn, const struct child_cfg *cfg,
		   uint32_t reqid)
{
	struct ikev2_trap *t = trap_find(e, conn->name, cfg->name);
	int r;

	if (t && t->npols)
		return 0; /* start_action = trap, or an earlier dead peer */
	r = trap_one(e, conn, cfg, reqid);
	if (r == 0 && (t = trap_find(e, conn->name, cfg->name)))
		t->dpd = true;
	return r;
}

int ikev2_traps_install(struct ikev2_engine *e, const struct oak_config *cfg, uint64_t now_ms)
{
	struct ikev2_trap *t, **pp;
	int rc = 0, n = 0, r;
	size_t i, k;

	(void)now_ms;
	for (t = e->traps ? e->traps->head : NULL; t; t = t->next)
		t->keep = false;
	for (i = 0; cfg && i < cfg->nconns; i++) {
		const struct conn_cfg *c = &cfg->conns[i];

		if (c->version == 1)
			continue; /* IKEv1's engine traps its own */
		for (k = 0; k < c->nchildren; k++) {
			if (c->children[k].start_action != START_TRAP)
				continue;
			r = trap_one(e, c, &c->children[k], 0);
			if (r < 0 && !rc)
				rc = r;
			n += r == 0;
		}
	}
	if (!e->traps)
		return rc ? rc : n;
	dpd_traps_keep(e, cfg);
	/* what the config no longer traps, and traps trap_one replaced */
	for (pp = &e->traps->head; *pp;) {
		t = *pp;
		if (t->keep) {
			pp = &t->next;
			continue;
		}
		if (t->npols)
			trap_remove(e, t);
		*pp = t->next;
		trap_free(t);
	}
	return rc ? rc : n;
}

void ikev2_traps_free(struct ikev2_engine *e)
{
	struct ikev2_trap *t, *next;

	if (!e->traps)
		return;
	for (t = e->traps->head; t; t = next) {
		next = t->next;
		trap_free(t);
	}
	free(e->traps);
	e->traps = NULL;
}

uint32_t ikev2_trap_reqid(struct ikev2_engine *e, const struct ike_sa *sa,
			  const struct child_cfg *cfg)
{
	const struct ikev2_trap *t = sa->conn ? trap_find(e, sa->conn->name, cfg->name) : NULL;

	if (cfg->reqid)
		return cfg->reqid;
	return t ? t->reqid : ikev2_new_reqid(e);
}

/* Put one TS in front of a list of at most MODEL_MAX_TS (the last one
 * drops out when full). */
static void ts_prepend(struct ts *list, size_t *n, const struct ts *first)
{
	size_t keep = *n < MODEL_MAX_TS ? *n : MODEL_MAX_TS - 1;

	memmove(&list[1], &list[0], keep * sizeof(*list));
	list[0] = *first;
	*n = keep + 1;
}

void ikev2_trap_first_ts(struct ikev2_engine *e, const struct ike_sa *sa, struct child_sa *c)
{
	struct ikev2_trap *t =
		sa->conn && c->cfg ? trap_find(e, sa->conn->name, c->cfg->name) : NULL;
	char s[TS_STRLEN], d[TS_STRLEN];

	if (!t || !t->pending)
		return;
	t->pending = false;
	ts_fmt(&t->pkt_src, s, sizeof(s));
	ts_fmt(&t->pkt_dst, d, sizeof(d));
	/* the kernel's selector may be wider than ours (a covering prefix):
	 * a packet outside what we would offer is not proposed */
	if (!ts_list_is_subset(&t->pkt_src, 1, c->local_ts, c->nlocal_ts) ||
	    !ts_list_is_subset(&t->pkt_dst, 1, c->remote_ts, c->nremote_ts)) {
		log_info(SUB_IKE,
			 "CHILD SA #%u (%s): the packet %s -> %s is outside its traffic "
			 "selectors; not proposed first",
			 c->serial, c->cfg->name, s, d);
		return;
	}
	/* RFC 7296 2.9: the first TSi and TSr are the triggering packet's */
	ts_prepend(c->local_ts, &c->nlocal_ts, &t->pkt_src);
	ts_prepend(c->remote_ts, &c->nremote_ts, &t->pkt_dst);
	log_debug(SUB_IKE, "CHILD SA #%u (%s): first TS from the packet: %s -> %s", c->serial,
		  c->cfg->name, s, d);
}

/* Whether conn's child is being negotiated or is up already. */
static bool acquire_busy(struct ikev2_engine *e, const struct ikev2_trap *t)
{
	uint32_t serials[1024];
	size_t n = sa_table_serials(&e->table, serials, ARRAY_SIZE(serials));

	for (size_t i = 0; i < n; i++) {
		const struct ikev2_ike_sa *sa = ikev2_sa_by_serial(e, serials[i]);
		const struct child_sa *c;

		if (!sa || !sa->sa.conn || strcmp(sa->sa.conn->name, t->conn) != 0)
			continue;
		/* our IKE SA on its way: its IKE_AUTH carries the child */
		if (sa->sa.state == IKE_SA_STATE_NEW || sa->sa.state == IKE_SA_STATE_INIT_I ||
		    sa->sa.state == IKE_SA_STATE_AUTH_I)
			return true;
		if (sa->sa.state != IKE_SA_STATE_ESTABLISHED)
			continue;
		for (c = sa->sa.children; c; c = c->next)
			if (c->cfg && strcmp(c->cfg->name, t->child) == 0 &&
			    (c->state == CHILD_SA_STATE_CREATING ||
			     c->state == CHILD_SA_STATE_INSTALLED))
				return true;
		for (unsigned k = 0; k < sa->ntasks; k++)
			if (sa->tasks[k].kind == IKEV2_TASK_CREATE_CHILD &&
			    strcmp(sa->tasks[k].name, t->child) == 0)
				return true;
	}
	return false;
}

int ikev2_acquire(struct ikev2_engine *e, uint32_t reqid, const struct ts *src,
		  const struct ts *dst, uint64_t now_ms)
{
	struct ikev2_trap *t = trap_by_reqid(e, reqid);
	char s[TS_STRLEN], d[TS_STRLEN];
	int r;

	ts_fmt(src, s, sizeof(s));
	ts_fmt(dst, d, sizeof(d));
	if (!t) {
		log_notice(SUB_IKE,
			   "kernel ACQUIRE for reqid %u (packet %s -> %s): no trap of ours "
			   "has that reqid; ignored",
			   reqid, s, d);
		return -ENOENT;
	}
	if (acquire_busy(e, t)) {
		log_info(SUB_IKE,
			 "kernel ACQUIRE for %s/%s (packet %s -> %s): already being "
			 "negotiated or up",
			 t->conn, t->child, s, d);
		return -EALREADY;
	}
	log_notice(SUB_IKE, "kernel ACQUIRE for %s/%s (reqid %u): packet %s -> %s, initiating",
		   t->conn, t->child, reqid, s, d);
	t->pkt_src = *src;
	t->pkt_dst = *dst;
	t->pending = true;
	r = ikev2_initiate(e, t->conn, t->child, now_ms, NULL);
	if (r < 0)
		t->pending = false;
	return r;
}
