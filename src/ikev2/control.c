/* control.c: what the daemon and oakctl ask of the IKEv2 engine: a new
 * config (start_action = start), initiate, terminate, and read-only views
 * of the SAs for status output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2/exchange.h"
#include "lib/log.h"
#include "lib/util.h"

/* An IKE SA of conn that is (or is becoming) up, as initiator or responder. */
static struct ikev2_ike_sa *sa_of_conn(struct ikev2_engine *e, const char *conn_name)
{
	uint32_t serials[1024];
	size_t n = sa_table_serials(&e->table, serials, ARRAY_SIZE(serials)), i;

	for (i = 0; i < n; i++) {
		struct ikev2_ike_sa *sa = ikev2_sa_by_serial(e, serials[i]);

		if (sa && sa->sa.conn && strcmp(sa->sa.conn->name, conn_name) == 0 &&
		    sa->sa.state != IKE_SA_STATE_DELETING && !sa->rekeyed_to && !sa->rekey_parent)
			return sa;
	}
	return NULL;
}

void ikev2_engine_set_config(struct ikev2_engine *e, struct oak_config *cfg, uint64_t now_ms)
{
	struct oak_config *old = e->config;
	size_t i, k;

	ikev2_enter(e);
	e->now = now_ms;
	e->config = cfg ? oak_config_ref(cfg) : NULL;
	if (old)
		oak_config_unref(old);
	ikev2_traps_install(e, cfg, now_ms); /* start_action = trap (acquire.c) */
	for (i = 0; cfg && i < cfg->nconns; i++) {
		const struct conn_cfg *c = &cfg->conns[i];

		if (c->version == 1)
			continue;
		for (k = 0; k < c->nchildren; k++)
			if (c->children[k].start_action == START_START && !sa_of_conn(e, c->name))
				ikev2_initiate(e, c->name, c->children[k].name, now_ms, NULL);
			else if (c->children[k].start_action == START_START)
				log_debug(SUB_IKE, "%s: already up or being set up", c->name);
	}
	ikev2_leave(e);
}

void ikev2_engine_set_certs(struct ikev2_engine *e, struct certs_store *certs)
{
	struct certs_store *old = e->certs;

	e->certs = certs ? certs_store_ref(certs) : NULL;
	certs_store_unref(old);
}

void ikev2_engine_set_wall_clock(struct ikev2_engine *e, uint64_t (*now_s)(void *ctx), void *ctx)
{
	e->wall_clock = now_s;
	e->wall_ctx = ctx;
}

void ikev2_engine_set_rfc7427(struct ikev2_engine *e, bool on)
{
	e->no_rfc7427 = !on;
}

int ikev2_initiate(struct ikev2_engine *e, const char *conn_name, const char *child_name,
		   uint64_t now_ms, uint32_t *ike_serial)
{
	const struct conn_cfg *conn = e->config ? oak_config_conn(e->config, conn_name) : NULL;
	const struct child_cfg *child = NULL;
	struct ikev2_ike_sa *sa;
	int r = 0;

	if (!conn) {
		log_err(SUB_IKE, "initiate: no connection named '%s'", conn_name);
		return -ENOENT;
	}
	if (child_name) {
		child = conn_cfg_child(conn, child_name);
		if (!child) {
			log_err(SUB_IKE, "initiate: connection '%s' has no child '%s'", conn_name,
				child_name);
			return -ENOENT;
		}
	} else if (conn->nchildren) {
		child = &conn->children[0];
	}
	ikev2_enter(e);
	e->now = now_ms;
	sa = sa_of_conn(e, conn_name);
	if (sa && sa->sa.config == e->config) {
		if (ike_serial)
			*ike_serial = sa->sa.serial;
		if (child) {
			struct ikev2_task t = {.kind = IKEV2_TASK_CREATE_CHILD};

			snprintf(t.name, sizeof(t.name), "%s", child->name);
			r = ikev2_task_add(e, sa, &t, now_ms);
		}
	} else {
		r = ikev2_ike_sa_init_start(e, conn, child, now_ms, ike_serial);
	}
	ikev2_leave(e);
	return r;
}

int ikev2_terminate(struct ikev2_engine *e, uint32_t ike_serial, uint64_t now_ms)
{
	struct ikev2_ike_sa *sa = ikev2_sa_by_serial(e, ike_serial);
	struct ikev2_task t = {.kind = IKEV2_TASK_DELETE_IKE};

	if (!sa)
		return -ENOENT;
	ikev2_enter(e);
	e->now = now_ms;
	if (sa->sa.state == IKE_SA_STATE_ESTABLISHED)
		ikev2_task_add(e, sa, &t, now_ms);
	else if (sa->sa.state != IKE_SA_STATE_DELETING)
		ikev2_sa_delete(e, sa, "terminated by request");
	ikev2_leave(e);
	return 0;
}

int ikev2_terminate_child(struct ikev2_engine *e, uint32_t child_serial, uint64_t now_ms)
{
	struct child_sa *c = sa_table_find_child(&e->table, child_serial);
	struct ikev2_task t = {.kind = IKEV2_TASK_DELETE_CHILD, .serial = child_serial};
	struct ikev2_ike_sa *sa;

	if (!c || !(sa = ikev2_sa_by_serial(e, c->ike_serial)))
		return -ENOENT;
	ikev2_enter(e);
	e->now = now_ms;
	ikev2_task_add(e, sa, &t, now_ms);
	ikev2_leave(e);
	return 0;
}

void ikev2_terminate_all(struct ikev2_engine *e, uint64_t now_ms)
{
	uint32_t serials[256];
	size_t n, i;

	ikev2_enter(e);
	e->now = now_ms;
	while ((n = sa_table_serials(&e->table, serials, ARRAY_SIZE(serials))) > 0) {
		for (i = 0; i < n; i++) {
			struct ikev2_ike_sa *sa = ikev2_sa_by_serial(e, serials[i]);

			if (!sa)
				continue;
			if (sa->sa.state == IKE_SA_STATE_ESTABLISHED ||
			    sa->sa.state == IKE_SA_STATE_DELETING) {
				struct builder b;
				struct ikev2_enc enc;
				struct ikev2_delete d = {.protocol = IKEV2_PROTO_IKE};
				uint8_t first;

				bld_init(&b, 0);
				ikev2_chain_encode_begin(&enc, &b);
				ikev2_put_delete(&enc, &d);
				if (ikev2_chain_encode_end(&enc, &first) == 0)
					ikev2_send_oneshot(e, sa, bld_data(&b), bld_off(&b), first);
				bld_free(&b);
			}
			ikev2_sa_delete(e, sa, "daemon shutting down");
		}
	}
	ikev2_leave(e);
}

/* --- status views --- */

static void child_view(const struct child_sa *c, struct ikev2_child_view *v)
{
	memset(v, 0, sizeof(*v));
	v->serial = c->serial;
	v->name = c->cfg ? c->cfg->name : "";
	v->state = c->state;
	v->protocol = c->protocol;
	v->mode = c->mode;
	v->spi_in = c->spi_in;
	v->spi_out = c->spi_out;
	v->reqid = c->reqid;
	v->proposal = &c->proposal;
	v->local_ts = c->local_ts;
	v->nlocal_ts = c->nlocal_ts;
	v->remote_ts = c->remote_ts;
	v->nremote_ts = c->nremote_ts;
	v->established_ms = c->established_ms;
}

struct view_ctx {
	void (*fn)(const struct ikev2_sa_view *v, void *ctx);
	void *ctx;
	const struct ikev2_engine *e;
};

static uint64_t timer_at(const struct ikev2_engine *e, uint32_t serial, enum timer_kind kind)
{
	uint64_t at = timers_when(&e->timers, serial, kind);

	return at == TIMERS_NONE ? 0 : at;
}

static void view_one(struct ike_sa *isa, void *arg)
{
	struct view_ctx *x = arg;
	struct ikev2_sa_view v;
	struct ikev2_child_view *cv;
	const struct child_sa *c;
	size_t n = ike_sa_child_count(isa), k = 0;

	if (isa->version != 2)
		return;
	cv = calloc(n ? n : 1, sizeof(*cv));
	memset(&v, 0, sizeof(v));
	v.serial = isa->serial;
	v.conn_name = isa->conn ? isa->conn->name : "";
	v.state = isa->state;
	v.initiator = isa->initiator;
	memcpy(v.spi_i, isa->spi_i, 8);
	memcpy(v.spi_r, isa->spi_r, 8);
	v.local = isa->local;
	v.remote = isa->remote;
	v.local_id = ike_sa_local_id(isa);
	v.remote_id = ike_sa_remote_id(isa);
	v.proposal = isa->have_proposal ? ike_sa_proposal(isa) : NULL;
	v.nat_local = isa->nat_local;
	v.nat_remote = isa->nat_remote;
	v.established_ms = isa->established_ms;
	v.rekey_at_ms = timer_at(x->e, isa->serial, TIMER_REKEY);
	v.reauth_at_ms = timer_at(x->e, isa->serial, TIMER_REAUTH);
	for (c = isa->children; c && cv; c = c->next)
		child_view(c, &cv[k++]);
	v.children = cv;
	v.nchildren = cv ? k : 0;
	x->fn(&v, x->ctx);
	free(cv);
}

void ikev2_sa_foreach(const struct ikev2_engine *e,
		      void (*fn)(const struct ikev2_sa_view *v, void *ctx), void *ctx)
{
	struct view_ctx x = {fn, ctx, e};

	sa_table_foreach(&e->table, view_one, &x);
}

size_t ikev2_sa_count(const struct ikev2_engine *e)
{
	return sa_table_count(&e->table);
}

unsigned ikev2_half_open_count(const struct ikev2_engine *e)
{
	return sa_table_half_open(&e->table);
}
