/* vici_sa.c: IKE SAs, CHILD SAs and connections as VICI sections, with the
 * keys and value spellings strongSwan's vici plugin uses (its README,
 * "list-sa" and "list-conn"), so swanctl --list-sas/--list-conns print them. */
#include <stdio.h>
#include <string.h>

#include "crypto/alg.h"
#include "lib/hex.h"
#include "lib/util.h"
#include "vici/vici_int.h"

const char *vici_ike_state_name(enum ike_sa_state st)
{
	/* strongSwan's ike_sa_state_names: our states by what they mean there */
	switch (st) {
	case IKE_SA_STATE_NEW:
		return "CREATED";
	case IKE_SA_STATE_INIT_I:
	case IKE_SA_STATE_INIT_R:
	case IKE_SA_STATE_AUTH_I:
		return "CONNECTING";
	case IKE_SA_STATE_ESTABLISHED:
		return "ESTABLISHED";
	case IKE_SA_STATE_DELETING:
		return "DELETING";
	case IKE_SA_STATE_DEAD:
	case IKE_SA_STATE_COUNT:
		break;
	}
	return "DESTROYING";
}

const char *vici_child_state_name(enum child_sa_state st)
{
	switch (st) {
	case CHILD_SA_STATE_CREATING:
		return "INSTALLING";
	case CHILD_SA_STATE_INSTALLED:
		return "INSTALLED";
	case CHILD_SA_STATE_DELETING:
		return "DELETING";
	case CHILD_SA_STATE_DEAD:
	case CHILD_SA_STATE_COUNT:
		break;
	}
	return "DELETED";
}

/* strongSwan's algorithm name (no key size): proposal.c's spelling, except
 * the two DES names, which strongSwan calls by their mode. */
static const char *alg_name(const struct proposal_transform *t, char *buf, size_t len)
{
	struct proposal_transform bare = *t;

	bare.key_bits = 0;
	proposal_transform_fmt(&bare, buf, len);
	if (t->type == IKEV2_TRANS_ENCR && (t->id == IKEV2_ENCR_DES || t->id == IKEV2_ENCR_3DES))
		snprintf(buf, len, "%s", t->id == IKEV2_ENCR_DES ? "DES_CBC" : "3DES_CBC");
	return buf;
}

/* encr-alg, encr-keysize, integ-alg, prf-alg, dh-group (and esn for
 * children) of the chosen proposal. */
static void encode_algs(struct vici_builder *vb, const struct proposal *p, bool child)
{
	const struct proposal_transform *t;
	char name[64];

	if (!p)
		return;
	if ((t = proposal_get(p, IKEV2_TRANS_ENCR))) {
		vici_add_kv_str(vb, "encr-alg", alg_name(t, name, sizeof(name)));
		if (t->key_bits)
			vici_add_kvf(vb, "encr-keysize", "%u", t->key_bits);
	}
	if ((t = proposal_get(p, IKEV2_TRANS_INTEG)) && t->id != IKEV2_AUTH_NONE)
		vici_add_kv_str(vb, "integ-alg", alg_name(t, name, sizeof(name)));
	if ((t = proposal_get(p, IKEV2_TRANS_PRF)))
		vici_add_kv_str(vb, "prf-alg", alg_name(t, name, sizeof(name)));
	if ((t = proposal_get(p, IKEV2_TRANS_KE)) && t->id != IKEV2_KE_NONE)
		vici_add_kv_str(vb, "dh-group", alg_name(t, name, sizeof(name)));
	if (child && proposal_has(p, IKEV2_TRANS_ESN, IKEV2_ESN_YES, 0))
		vici_add_kv_str(vb, "esn", "1");
}

static void encode_ts_list(struct vici_builder *vb, const char *key, const struct ts *ts, size_t n)
{
	char buf[TS_STRLEN];

	vici_add_list(vb, key);
	for (size_t i = 0; i < n; i++)
		vici_add_item_str(vb, ts_fmt(&ts[i], buf, sizeof(buf)));
	vici_end_list(vb);
}

static uint64_t secs_since(uint64_t now_ms, uint64_t then_ms)
{
	return then_ms && now_ms > then_ms ? (now_ms - then_ms) / 1000 : 0;
}

void vici_encode_child_sa(struct vici_builder *vb, const char *section,
			  const struct vici_child_sa *c, uint64_t now_ms)
{
	char sec[MODEL_NAME_MAX + 16];

	/* strongSwan names the section "<name>-<uniqueid>" and repeats the name
	 * inside, so two CHILD SAs of one config (a rekey) stay apart */
	snprintf(sec, sizeof(sec), "%s-%u", c->name ? c->name : "", c->uniqueid);
	vici_add_section(vb, section ? section : sec);
	vici_add_kv_str(vb, "name", c->name ? c->name : "");
	vici_add_kvf(vb, "uniqueid", "%u", c->uniqueid);
	vici_add_kvf(vb, "reqid", "%u", c->reqid);
	vici_add_kv_str(vb, "state", vici_child_state_name(c->state));
	vici_add_kv_str(vb, "mode", c->mode == CHILD_MODE_TRANSPORT ? "TRANSPORT" : "TUNNEL");
	vici_add_kv_str(vb, "protocol", c->protocol == PROPOSAL_PROTO_AH ? "AH" : "ESP");
	if (c->encap)
		vici_add_kv_str(vb, "encap", "yes");
	vici_add_kvf(vb, "spi-in", "%08x", c->spi_in);
	vici_add_kvf(vb, "spi-out", "%08x", c->spi_out);
	encode_algs(vb, c->proposal, true);
	vici_add_kvf(vb, "bytes-in", "%llu", (unsigned long long)c->bytes_in);
	vici_add_kvf(vb, "packets-in", "%llu", (unsigned long long)c->packets_in);
	vici_add_kvf(vb, "bytes-out", "%llu", (unsigned long long)c->bytes_out);
	vici_add_kvf(vb, "packets-out", "%llu", (unsigned long long)c->packets_out);
	if (c->rekey_in_s)
		vici_add_kvf(vb, "rekey-time", "%u", c->rekey_in_s);
	if (c->life_in_s)
		vici_add_kvf(vb, "life-time", "%u", c->life_in_s);
	vici_add_kvf(vb, "install-time", "%llu",
		     (unsigned long long)secs_since(now_ms, c->installed_ms));
	encode_ts_list(vb, "local-ts", c->local_ts, c->nlocal_ts);
	encode_ts_list(vb, "remote-ts", c->remote_ts, c->nremote_ts);
	vici_end_section(vb);
}

static void encode_host(struct vici_builder *vb, const char *side, const struct ip_endpoint *e,
			const struct ident *id)
{
	char key[16], buf[IDENT_STRLEN];

	snprintf(key, sizeof(key), "%s-host", side);
	vici_add_kv_str(vb, key, ip_addr_fmt(&e->addr, buf, sizeof(buf)));
	snprintf(key, sizeof(key), "%s-port", side);
	vici_add_kvf(vb, key, "%u", e->port);
	snprintf(key, sizeof(key), "%s-id", side);
	vici_add_kv_str(vb, key, id ? ident_fmt(id, buf, sizeof(buf)) : "%any");
}

/* Whether c is one of sa's children (no pointer arithmetic on an empty,
 * possibly NULL, array). */
static bool child_in_list(const struct vici_ike_sa *sa, const struct vici_child_sa *c)
{
	for (size_t i = 0; i < sa->nchildren; i++)
		if (&sa->children[i] == c)
			return true;
	return false;
}

void vici_encode_ike_sa_keys(struct vici_builder *vb, const struct vici_ike_sa *sa, uint64_t now_ms)
{
	char hex[2 * IKE_SA_SPI_LEN + 1];

	vici_add_kvf(vb, "uniqueid", "%u", sa->uniqueid);
	vici_add_kvf(vb, "version", "%u", sa->version);
	vici_add_kv_str(vb, "state", vici_ike_state_name(sa->state));
	encode_host(vb, "local", &sa->local, sa->local_id);
	encode_host(vb, "remote", &sa->remote, sa->remote_id);
	if (sa->initiator)
		vici_add_kv_str(vb, "initiator", "yes");
	vici_add_kv_str(vb, "initiator-spi", hex_encode(hex, sizeof(hex), sa->spi_i, 8));
	vici_add_kv_str(vb, "responder-spi", hex_encode(hex, sizeof(hex), sa->spi_r, 8));
	if (sa->nat_local)
		vici_add_kv_str(vb, "nat-local", "yes");
	if (sa->nat_remote)
		vici_add_kv_str(vb, "nat-remote", "yes");
	if (sa->nat_local || sa->nat_remote)
		vici_add_kv_str(vb, "nat-any", "yes");
	encode_algs(vb, sa->proposal, false);
	if (sa->established_ms) {
		vici_add_kvf(vb, "established", "%llu",
			     (unsigned long long)secs_since(now_ms, sa->established_ms));
		if (sa->rekey_in_s)
			vici_add_kvf(vb, "rekey-time", "%u", sa->rekey_in_s);
		if (sa->reauth_in_s)
			vici_add_kvf(vb, "reauth-time", "%u", sa->reauth_in_s);
	}
}

int vici_encode_ike_sa(struct vici_builder *vb, const struct vici_ike_sa *sa, uint64_t now_ms,
		       bool all, const struct vici_child_sa *only)
{
	vici_add_section(vb, sa->name ? sa->name : "");
	vici_encode_ike_sa_keys(vb, sa, now_ms);
	if (all || only) {
		vici_add_section(vb, "child-sas");
		for (size_t i = 0; i < sa->nchildren; i++)
			if (all || &sa->children[i] == only)
				vici_encode_child_sa(vb, NULL, &sa->children[i], now_ms);
		if (only && !all && !child_in_list(sa, only))
			vici_encode_child_sa(vb, NULL, only, now_ms); /* no longer in the list */
		vici_end_section(vb);
	}
	vici_end_section(vb);
	return vici_build_err(vb);
}

/* ---- list-conn ---- */

static void encode_addrs(struct vici_builder *vb, const char *key, const struct ip_addr *a,
			 size_t n)
{
	char buf[IP_ADDR_STRLEN];

	vici_add_list(vb, key);
	for (size_t i = 0; i < n; i++)
		vici_add_item_str(vb, ip_addr_fmt(&a[i], buf, sizeof(buf)));
	if (n == 0)
		vici_add_item_str(vb, "%any");
	vici_end_list(vb);
}

static void encode_auth(struct vici_builder *vb, const char *sec, const struct auth_cfg *a)
{
	char buf[IDENT_STRLEN];
	const char *cls = "any";

	/* strongSwan's auth_class_names */
	if (a->auth == AUTH_PSK)
		cls = "pre-shared key";
	else if (a->auth == AUTH_PUBKEY)
		cls = "public key";
	vici_add_section(vb, sec);
	vici_add_kv_str(vb, "class", cls);
	vici_add_kv_str(vb, "id", a->id_set ? ident_fmt(&a->id, buf, sizeof(buf)) : "%any");
	if (a->ncerts) {
		vici_add_list(vb, "certs");
		for (size_t i = 0; i < a->ncerts; i++)
			vici_add_item_str(vb, a->certs[i]);
		vici_end_list(vb);
	}
	if (a->ncacerts) {
		vici_add_list(vb, "cacerts");
		for (size_t i = 0; i < a->ncacerts; i++)
			vici_add_item_str(vb, a->cacerts[i]);
		vici_end_list(vb);
	}
	vici_end_section(vb);
}

static void encode_conf_ts(struct vici_builder *vb, const char *key, const struct ts *ts, size_t n)
{
	if (n == 0) { /* swanctl.conf(5): no selector means the IKE address */
		vici_add_list(vb, key);
		vici_add_item_str(vb, "dynamic");
		vici_end_list(vb);
		return;
	}
	encode_ts_list(vb, key, ts, n);
}

static void encode_child_cfg(struct vici_builder *vb, const struct child_cfg *ch)
{
	vici_add_section(vb, ch->name);
	vici_add_kv_str(vb, "mode", ch->mode == CHILD_MODE_TRANSPORT ? "TRANSPORT" : "TUNNEL");
	vici_add_kvf(vb, "rekey_time", "%u", ch->rekey_time);
	vici_add_kvf(vb, "rekey_bytes", "%llu", (unsigned long long)ch->rekey_bytes);
	vici_add_kvf(vb, "rekey_packets", "%llu", (unsigned long long)ch->rekey_packets);
	vici_add_kv_str(vb, "dpd_action", "clear");
	vici_add_kv_str(vb, "start_action",
			ch->start_action == START_START	 ? "start"
			: ch->start_action == START_TRAP ? "trap"
							 : "none");
	encode_conf_ts(vb, "local-ts", ch->local_ts, ch->nlocal_ts);
	encode_conf_ts(vb, "remote-ts", ch->remote_ts, ch->nremote_ts);
	if (ch->priority)
		vici_add_kvf(vb, "priority", "%u", ch->priority);
	vici_end_section(vb);
}

int vici_encode_conn(struct vici_builder *vb, const struct conn_cfg *conn)
{
	/* strongSwan's ike_version_names */
	static const char *const versions[] = {"IKEv1/2", "IKEv1", "IKEv2"};

	vici_add_section(vb, conn->name);
	encode_addrs(vb, "local_addrs", conn->local_addrs, conn->nlocal_addrs);
	encode_addrs(vb, "remote_addrs", conn->remote_addrs, conn->nremote_addrs);
	vici_add_kvf(vb, "local_port", "%u", conn->local_port);
	vici_add_kvf(vb, "remote_port", "%u", conn->remote_port);
	vici_add_kv_str(vb, "version",
			conn->version < ARRAY_SIZE(versions) ? versions[conn->version] : "IKEv1/2");
	vici_add_kvf(vb, "reauth_time", "%u", conn->reauth_time);
	vici_add_kvf(vb, "rekey_time", "%u", conn->rekey_time);
	vici_add_kvf(vb, "dpd_delay", "%u", conn->dpd_delay);
	encode_auth(vb, "local-1", &conn->local);
	encode_auth(vb, "remote-1", &conn->remote);
	vici_add_section(vb, "children");
	for (size_t i = 0; i < conn->nchildren; i++)
		encode_child_cfg(vb, &conn->children[i]);
	vici_end_section(vb);
	vici_end_section(vb);
	return vici_build_err(vb);
}
