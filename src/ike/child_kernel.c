/* child_kernel.c: a negotiated SA pair and its policies into the kernel
 * (child_kernel.h). */
#include "ike/child_kernel.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "crypto/alg.h"
#include "crypto/encr.h"
#include "crypto/integ.h"

/* strongSwan's and the kernel's default replay window */
#define DEFAULT_REPLAY_WINDOW 32

uint8_t child_kernel_ipproto(uint8_t protocol)
{
	return protocol == PROPOSAL_PROTO_AH ? IPPROTO_AH : IPPROTO_ESP;
}

size_t child_kernel_encr_len(const struct child_sa *c)
{
	const struct proposal_transform *te = proposal_get(&c->proposal, IKEV2_TRANS_ENCR);
	const struct encr_alg *ea = te ? encr_by_ikev2_id(te->id) : NULL;

	return ea ? encr_keymat_len(ea, te->key_bits) : 0;
}

size_t child_kernel_integ_len(const struct child_sa *c)
{
	const struct proposal_transform *ti = proposal_get(&c->proposal, IKEV2_TRANS_INTEG);
	const struct integ_alg *ia = ti && ti->id ? integ_by_ikev2_id(ti->id) : NULL;

	return ia ? ia->key_len : 0;
}

struct kernel_lifetime child_kernel_life(const struct child_cfg *cfg)
{
	return (struct kernel_lifetime){
		.soft_seconds = cfg->rekey_time,
		.hard_seconds = cfg->life_time,
		.soft_bytes = cfg->rekey_bytes,
		.hard_bytes = cfg->life_bytes,
		.soft_packets = cfg->rekey_packets,
		.hard_packets = cfg->life_packets,
	};
}

static void sa_common(const struct ike_sa *sa, const struct child_sa *c, bool encap,
		      const struct ip_addr *oa, struct kernel_sa *k)
{
	const struct child_cfg *cfg = c->cfg;
	const struct proposal_transform *esn = proposal_get(&c->proposal, IKEV2_TRANS_ESN);

	memset(k, 0, sizeof(*k));
	k->proto = child_kernel_ipproto(c->protocol);
	k->mode = c->mode == CHILD_MODE_TRANSPORT ? KERNEL_MODE_TRANSPORT : KERNEL_MODE_TUNNEL;
	k->reqid = c->reqid;
	k->esn = esn && esn->id == IKEV2_ESN_YES;
	k->replay_window = cfg->replay_window ? cfg->replay_window : DEFAULT_REPLAY_WINDOW;
	k->life = child_kernel_life(cfg);
	if (encap) { /* RFC 3948 */
		k->encap_sport = sa->local.port;
		k->encap_dport = sa->remote.port;
		if (oa && c->mode == CHILD_MODE_TRANSPORT)
			k->encap_oa = *oa; /* RFC 3947 5.2 */
	}
	k->ike_serial = sa->serial;
	k->child_serial = c->serial;
	k->conn_name = sa->conn ? sa->conn->name : "";
	k->child_name = cfg->name;
}

/* The algorithms of c and the keys of one direction into k. */
static int sa_algs(const struct child_sa *c, const struct secret *ek, const struct secret *ik,
		   struct kernel_sa *k)
{
	const struct proposal_transform *te = proposal_get(&c->proposal, IKEV2_TRANS_ENCR);
	const struct proposal_transform *ti = proposal_get(&c->proposal, IKEV2_TRANS_INTEG);
	const struct encr_alg *ea = te ? encr_by_ikev2_id(te->id) : NULL;
	const struct integ_alg *ia = ti && ti->id ? integ_by_ikev2_id(ti->id) : NULL;

	if (ea) {
		k->encr_alg = ea->xfrm_name;
		k->encr_key = ek ? ek->data : NULL;
		k->encr_key_len = ek ? ek->len : 0;
		k->icv_bits = ea->aead ? ea->icv_len * 8u : 0;
		k->ikev2_encr = ea->ikev2_id;
		k->encr_key_bits = te->key_bits ? te->key_bits : ea->key_bits[0];
		if (encr_esp_key_bits(ea, te->key_bits) != k->encr_key_len * 8)
			return -ENOTSUP;
	}
	if (ia) {
		k->integ_alg = ia->xfrm_name;
		k->integ_key = ik ? ik->data : NULL;
		k->integ_key_len = ik ? ik->len : 0;
		k->integ_trunc_bits = ia->xfrm_trunc_bits;
		k->ikev2_integ = ia->ikev2_id;
		if (k->integ_key_len != ia->key_len)
			return -ENOTSUP;
	}
	return (ea || ia) ? 0 : -ENOTSUP;
}

/* Policies of c, each (local TS, remote TS) pair of one family: out, in and
 * for tunnel mode fwd. fn is add_policy or del_policy. */
static int policies(const struct kernel_ops *ko, const struct ike_sa *sa, const struct child_sa *c,
		    int (*fn)(void *ctx, const struct kernel_policy *p))
{
	static const enum kernel_dir dirs[] = {KERNEL_DIR_OUT, KERNEL_DIR_IN, KERNEL_DIR_FWD};
	struct kernel_policy p;
	size_t l, r, d;
	int err = 0;

	for (l = 0; l < c->nlocal_ts; l++)
		for (r = 0; r < c->nremote_ts; r++) {
			if (ts_family(&c->local_ts[l]) != ts_family(&c->remote_ts[r]))
				continue;
			for (d = 0; d < 3; d++) {
				bool out = dirs[d] == KERNEL_DIR_OUT;

				if (dirs[d] == KERNEL_DIR_FWD && c->mode == CHILD_MODE_TRANSPORT)
					continue;
				memset(&p, 0, sizeof(p));
				p.src = out ? c->local_ts[l] : c->remote_ts[r];
				p.dst = out ? c->remote_ts[r] : c->local_ts[l];
				p.dir = dirs[d];
				p.priority = c->cfg->priority;
				p.reqid = c->reqid;
				p.proto = child_kernel_ipproto(c->protocol);
				p.mode = c->mode == CHILD_MODE_TRANSPORT ? KERNEL_MODE_TRANSPORT
									 : KERNEL_MODE_TUNNEL;
				p.tun_src = out ? sa->local.addr : sa->remote.addr;
				p.tun_dst = out ? sa->remote.addr : sa->local.addr;
				p.child_serial = c->serial;
				p.conn_name = sa->conn ? sa->conn->name : "";
				p.child_name = c->cfg->name;
				if (fn(ko->ctx, &p) < 0 && !err)
					err = -EIO;
			}
		}
	return err;
}

static int install_sas(const struct kernel_ops *ko, const struct ike_sa *sa, struct child_sa *c,
		       bool encap, const struct ip_addr *oa, const struct secret *const keys[4],
		       const struct kernel_lifetime *life);

int child_kernel_install_life(const struct kernel_ops *ko, const struct ike_sa *sa,
			      struct child_sa *c, bool encap, const struct ip_addr *oa,
			      const struct secret *encr_in, const struct secret *integ_in,
			      const struct secret *encr_out, const struct secret *integ_out,
			      const struct kernel_lifetime *life)
{
	int r = install_sas(ko, sa, c, encap, oa,
			    (const struct secret *const[4]){encr_in, integ_in, encr_out, integ_out},
			    life);

	return r < 0 ? r : child_kernel_policies_add(ko, sa, c);
}

int child_kernel_install_sas(const struct kernel_ops *ko, const struct ike_sa *sa,
			     struct child_sa *c, bool encap, const struct secret *encr_in,
			     const struct secret *integ_in, const struct secret *encr_out,
			     const struct secret *integ_out, const struct kernel_lifetime *life)
{
	return install_sas(ko, sa, c, encap, NULL,
			   (const struct secret *const[4]){encr_in, integ_in, encr_out, integ_out},
			   life);
}

/* k for one SA of c: ours (inbound, an update of the allocated SPI) or the
 * peer's, with its keys (borrowed). -ENOTSUP when they do not fit. */
static int sa_prepare(const struct ike_sa *sa, const struct child_sa *c, bool encap,
		      const struct ip_addr *oa, bool inbound, const struct secret *encr,
		      const struct secret *integ, const struct kernel_lifetime *life,
		      struct kernel_sa *k)
{
	sa_common(sa, c, encap, oa, k);
	if (life)
		k->life = *life;
	if (sa_algs(c, encr, integ, k))
		return -ENOTSUP;
	k->spi = inbound ? c->spi_in : c->spi_out;
	k->inbound = inbound;
	k->update = inbound;
	k->src = inbound ? sa->remote.addr : sa->local.addr;
	k->dst = inbound ? sa->local.addr : sa->remote.addr;
	if (c->mode == CHILD_MODE_TRANSPORT && c->nlocal_ts && c->nremote_ts) {
		k->sel_src = inbound ? c->remote_ts[0] : c->local_ts[0];
		k->sel_dst = inbound ? c->local_ts[0] : c->remote_ts[0];
	}
	return 0;
}

static int sa_add(const struct kernel_ops *ko, struct child_sa *c, const struct kernel_sa *k)
{
	if (ko->add_sa(ko->ctx, k) < 0)
		return -EIO;
	if (k->inbound)
		c->installed_in = true;
	else
		c->installed_out = true;
	return 0;
}

static int install_sas(const struct kernel_ops *ko, const struct ike_sa *sa, struct child_sa *c,
		       bool encap, const struct ip_addr *oa, const struct secret *const keys[4],
		       const struct kernel_lifetime *life)
{
	struct kernel_sa in, out;
	int r;

	if (sa_prepare(sa, c, encap, oa, true, keys[0], keys[1], life, &in) ||
	    sa_prepare(sa, c, encap, oa, false, keys[2], keys[3], life, &out))
		return -ENOTSUP;
	r = sa_add(ko, c, &in);
	return r < 0 ? r : sa_add(ko, c, &out);
}

int child_kernel_install_sa(const struct kernel_ops *ko, const struct ike_sa *sa,
			    struct child_sa *c, bool encap, bool inbound, const struct secret *encr,
			    const struct secret *integ, const struct kernel_lifetime *life)
{
	struct kernel_sa k;

	if (sa_prepare(sa, c, encap, NULL, inbound, encr, integ, life, &k))
		return -ENOTSUP;
	return sa_add(ko, c, &k);
}

int child_kernel_policies_add(const struct kernel_ops *ko, const struct ike_sa *sa,
			      struct child_sa *c)
{
	c->policies = true; /* from here on remove takes them out */
	return policies(ko, sa, c, ko->add_policy);
}

void child_kernel_remove(const struct kernel_ops *ko, const struct ike_sa *sa, struct child_sa *c)
{
	uint8_t proto = child_kernel_ipproto(c->protocol);

	if (c->policies)
		policies(ko, sa, c, ko->del_policy);
	if (c->spi_in)
		ko->del_sa(ko->ctx, proto, c->spi_in, &sa->local.addr);
	if (c->installed_out)
		ko->del_sa(ko->ctx, proto, c->spi_out, &sa->remote.addr);
	c->policies = c->installed_in = c->installed_out = false;
}

bool child_kernel_peer_sent(const struct kernel_ops *ko, const struct ike_sa *sa)
{
	bool sent = false;
	struct child_sa *c;

	if (!ko || !ko->query_sa)
		return false;
	for (c = sa->children; c; c = c->next) {
		struct kernel_sa_use u;

		if (!c->installed_in || ko->query_sa(ko->ctx, child_kernel_ipproto(c->protocol),
						     c->spi_in, &sa->local.addr, &u) < 0)
			continue;
		if (u.packets > c->seen_packets_in)
			sent = true;
		c->seen_packets_in = u.packets;
	}
	return sent;
}
