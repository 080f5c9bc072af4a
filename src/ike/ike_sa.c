/* ike_sa.c: IKE SA and CHILD SA objects and their state choke points. */
#include "ike/ike_sa.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/sa_table.h"
#include "lib/util.h"
#include "lib/log.h"

/* sa_observer_set: the loop thread's alone, like every SA. */
static struct sa_observer observer;

void sa_observer_set(const struct sa_observer *obs)
{
	if (obs)
		observer = *obs;
	else
		memset(&observer, 0, sizeof(observer));
}

static const char *const ike_state_names[IKE_SA_STATE_COUNT] = {
	[IKE_SA_STATE_NEW] = "NEW",
	[IKE_SA_STATE_INIT_I] = "INIT_I",
	[IKE_SA_STATE_INIT_R] = "INIT_R",
	[IKE_SA_STATE_AUTH_I] = "AUTH_I",
	[IKE_SA_STATE_ESTABLISHED] = "ESTABLISHED",
	[IKE_SA_STATE_DELETING] = "DELETING",
	[IKE_SA_STATE_DEAD] = "DEAD",
};

static const char *const child_state_names[CHILD_SA_STATE_COUNT] = {
	[CHILD_SA_STATE_CREATING] = "CREATING",
	[CHILD_SA_STATE_INSTALLED] = "INSTALLED",
	[CHILD_SA_STATE_DELETING] = "DELETING",
	[CHILD_SA_STATE_DEAD] = "DEAD",
};

#define BIT(s) (1u << (s))

/* Legal changes, one row per current state: the states it may move to. */
static const unsigned ike_legal[IKE_SA_STATE_COUNT] = {
	/* NEW -> ESTABLISHED: an IKE SA made by rekeying (RFC 7296 1.3.2) */
	[IKE_SA_STATE_NEW] = BIT(IKE_SA_STATE_INIT_I) | BIT(IKE_SA_STATE_INIT_R) |
			     BIT(IKE_SA_STATE_ESTABLISHED) | BIT(IKE_SA_STATE_DEAD),
	[IKE_SA_STATE_INIT_I] = BIT(IKE_SA_STATE_AUTH_I) | BIT(IKE_SA_STATE_DEAD),
	[IKE_SA_STATE_INIT_R] = BIT(IKE_SA_STATE_ESTABLISHED) | BIT(IKE_SA_STATE_DEAD),
	[IKE_SA_STATE_AUTH_I] =
		BIT(IKE_SA_STATE_ESTABLISHED) | BIT(IKE_SA_STATE_DELETING) | BIT(IKE_SA_STATE_DEAD),
	[IKE_SA_STATE_ESTABLISHED] = BIT(IKE_SA_STATE_DELETING) | BIT(IKE_SA_STATE_DEAD),
	[IKE_SA_STATE_DELETING] = BIT(IKE_SA_STATE_DEAD),
	[IKE_SA_STATE_DEAD] = 0,
};

static const unsigned child_legal[CHILD_SA_STATE_COUNT] = {
	[CHILD_SA_STATE_CREATING] = BIT(CHILD_SA_STATE_INSTALLED) | BIT(CHILD_SA_STATE_DEAD),
	[CHILD_SA_STATE_INSTALLED] = BIT(CHILD_SA_STATE_DELETING) | BIT(CHILD_SA_STATE_DEAD),
	[CHILD_SA_STATE_DELETING] = BIT(CHILD_SA_STATE_DEAD),
	[CHILD_SA_STATE_DEAD] = 0,
};

const char *ike_sa_state_name(enum ike_sa_state s)
{
	return (unsigned)s < IKE_SA_STATE_COUNT ? ike_state_names[s] : "?";
}

const char *child_sa_state_name(enum child_sa_state s)
{
	return (unsigned)s < CHILD_SA_STATE_COUNT ? child_state_names[s] : "?";
}

void ike_sa_init(struct ike_sa *sa, uint8_t version, bool initiator, uint64_t now_ms)
{
	sa->version = version;
	sa->initiator = initiator;
	sa->state = IKE_SA_STATE_NEW;
	sa->created_ms = now_ms;
}

bool ike_sa_is_half_open(const struct ike_sa *sa)
{
	return !sa->initiator &&
	       (sa->state == IKE_SA_STATE_NEW || sa->state == IKE_SA_STATE_INIT_R);
}

bool ike_sa_state_legal(enum ike_sa_state from, enum ike_sa_state to)
{
	if ((unsigned)from >= IKE_SA_STATE_COUNT || (unsigned)to >= IKE_SA_STATE_COUNT)
		return false;
	return (ike_legal[from] & BIT(to)) != 0;
}

const char *ike_sa_peer(const struct ike_sa *sa, char *buf, size_t len)
{
	return ip_addr_fmt(&sa->remote.addr, buf, len);
}

/* At info, an IKE SA logs one line when it comes up and one when an
 * established SA goes; the steps of its handshake (and the end of one that
 * never came up, whose failure is logged where it fails) are at debug: a
 * responder with thousands of handshakes a second writes one line per SA. */
static enum log_level ike_sa_change_level(enum ike_sa_state from, enum ike_sa_state to)
{
	if (to == IKE_SA_STATE_ESTABLISHED)
		return LVL_INFO;
	if (to == IKE_SA_STATE_DEAD &&
	    (from == IKE_SA_STATE_ESTABLISHED || from == IKE_SA_STATE_DELETING))
		return LVL_INFO;
	return LVL_DEBUG;
}

int ike_sa_set_state(struct ike_sa *sa, enum ike_sa_state to)
{
	enum ike_sa_state from = sa->state;
	enum log_level lvl = ike_sa_change_level(from, to);
	bool was_half_open = ike_sa_is_half_open(sa);
	char peer[IP_ADDR_STRLEN];

	if (!ike_sa_state_legal(from, to)) {
		log_err(SUB_IKE, "IKE SA #%u %s: illegal state change %s -> %s refused", sa->serial,
			ike_sa_peer(sa, peer, sizeof(peer)), ike_sa_state_name(from),
			ike_sa_state_name(to));
		return -EINVAL;
	}
	sa->state = to;
	if (log_enabled(SUB_IKE, lvl))
		log_msg(SUB_IKE, lvl, "IKE SA #%u %s: %s -> %s", sa->serial,
			ike_sa_peer(sa, peer, sizeof(peer)), ike_sa_state_name(from),
			ike_sa_state_name(to));
	if (sa->table)
		sa_table_state_changed(sa->table, sa, from, was_half_open);
	if (observer.ike_state)
		observer.ike_state(observer.ctx, sa, from);
	return 0;
}

void ike_sa_set_config(struct ike_sa *sa, struct oak_config *cfg, const struct conn_cfg *conn)
{
	struct oak_config *old = sa->config;

	sa->config = cfg ? oak_config_ref(cfg) : NULL;
	sa->conn = conn;
	if (old)
		oak_config_unref(old);
}

void ike_sa_cleanup(struct ike_sa *sa)
{
	struct child_sa *c;

	while ((c = sa->children)) {
		sa->children = c->next;
		child_sa_free(c);
	}
	if (sa->config)
		oak_config_unref(sa->config);
	sa->config = NULL;
	sa->conn = NULL;
	free(sa->local_id);
	free(sa->remote_id);
	sa->local_id = sa->remote_id = NULL;
	free(sa->proposal);
	sa->proposal = NULL;
	sa->have_proposal = false;
}

static const struct proposal ike_sa_no_proposal;

/* the octets of p that hold something: its header and ntrans transforms */
static size_t ike_sa_proposal_size(const struct proposal *p)
{
	return offsetof(struct proposal, trans) +
	       MIN((size_t)p->ntrans, (size_t)PROPOSAL_MAX_TRANSFORMS) * sizeof(p->trans[0]);
}

const struct proposal *ike_sa_proposal(const struct ike_sa *sa)
{
	return sa->proposal ? sa->proposal : &ike_sa_no_proposal;
}

int ike_sa_set_proposal(struct ike_sa *sa, const struct proposal *p)
{
	size_t n = ike_sa_proposal_size(p);
	struct proposal *c = malloc(n);

	if (!c)
		return -ENOMEM;
	memcpy(c, p, n);
	free(sa->proposal);
	sa->proposal = c;
	sa->have_proposal = true;
	return 0;
}

void ike_sa_proposal_copy(struct proposal *dst, const struct proposal *src)
{
	size_t n = ike_sa_proposal_size(src);

	memset(dst, 0, sizeof(*dst));
	memcpy(dst, src, n);
}

static const struct ident ike_sa_no_id;

const struct ident *ike_sa_local_id(const struct ike_sa *sa)
{
	return sa->local_id ? sa->local_id : &ike_sa_no_id;
}

const struct ident *ike_sa_remote_id(const struct ike_sa *sa)
{
	return sa->remote_id ? sa->remote_id : &ike_sa_no_id;
}

void ike_sa_ident_copy(struct ident *dst, const struct ident *src)
{
	size_t n = offsetof(struct ident, data) + MIN((size_t)src->len, sizeof(src->data));

	memset(dst, 0, sizeof(*dst));
	memcpy(dst, src, n);
}

static int ike_sa_id_store(struct ident **slot, const struct ident *id)
{
	size_t n = offsetof(struct ident, data) + MIN((size_t)id->len, sizeof(id->data));
	struct ident *p = malloc(n);

	if (!p)
		return -ENOMEM;
	memcpy(p, id, n);
	free(*slot);
	*slot = p;
	return 0;
}

int ike_sa_set_local_id(struct ike_sa *sa, const struct ident *id)
{
	return ike_sa_id_store(&sa->local_id, id);
}

int ike_sa_set_remote_id(struct ike_sa *sa, const struct ident *id)
{
	return ike_sa_id_store(&sa->remote_id, id);
}

struct child_sa *child_sa_new(const struct ike_sa *sa, uint32_t serial, const struct child_cfg *cfg)
{
	struct child_sa *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->serial = serial;
	c->ike_serial = sa->serial;
	c->cfg = cfg;
	c->state = CHILD_SA_STATE_CREATING;
	c->protocol = (cfg && cfg->nah) ? PROPOSAL_PROTO_AH : PROPOSAL_PROTO_ESP;
	c->mode = cfg ? cfg->mode : CHILD_MODE_TUNNEL;
	return c;
}

void child_sa_free(struct child_sa *c)
{
	free(c);
}

void ike_sa_add_child(struct ike_sa *sa, struct child_sa *c)
{
	c->next = sa->children;
	sa->children = c;
}

void ike_sa_remove_child(struct ike_sa *sa, struct child_sa *c)
{
	struct child_sa **pp;

	for (pp = &sa->children; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			c->next = NULL;
			return;
		}
	}
}

struct child_sa *ike_sa_child_by_spi_in(const struct ike_sa *sa, uint8_t protocol, uint32_t spi)
{
	struct child_sa *c;

	for (c = sa->children; c; c = c->next)
		if (c->protocol == protocol && c->spi_in == spi)
			return c;
	return NULL;
}

struct child_sa *ike_sa_child_by_spi_out(const struct ike_sa *sa, uint8_t protocol, uint32_t spi)
{
	struct child_sa *c;

	for (c = sa->children; c; c = c->next)
		if (c->protocol == protocol && c->spi_out == spi)
			return c;
	return NULL;
}

size_t ike_sa_child_count(const struct ike_sa *sa)
{
	const struct child_sa *c;
	size_t n = 0;

	for (c = sa->children; c; c = c->next)
		n++;
	return n;
}

bool child_sa_state_legal(enum child_sa_state from, enum child_sa_state to)
{
	if ((unsigned)from >= CHILD_SA_STATE_COUNT || (unsigned)to >= CHILD_SA_STATE_COUNT)
		return false;
	return (child_legal[from] & BIT(to)) != 0;
}

int child_sa_set_state(struct child_sa *c, enum child_sa_state to)
{
	enum child_sa_state from = c->state;
	const char *name = c->cfg ? c->cfg->name : "?";

	if (!child_sa_state_legal(from, to)) {
		log_err(SUB_IKE,
			"CHILD SA #%u (%s) of IKE SA #%u: illegal state change %s -> %s refused",
			c->serial, name, c->ike_serial, child_sa_state_name(from),
			child_sa_state_name(to));
		return -EINVAL;
	}
	c->state = to;
	log_info(SUB_IKE, "CHILD SA #%u (%s) of IKE SA #%u: %s -> %s", c->serial, name,
		 c->ike_serial, child_sa_state_name(from), child_sa_state_name(to));
	if (observer.child_state) {
		const struct ike_sa *ike =
			c->table ? sa_table_find_serial(c->table, c->ike_serial) : NULL;

		observer.child_state(observer.ctx, ike, c, from);
	}
	return 0;
}
