/* xfrm.c: the `xfrm` kernel backend: requests over NETLINK_XFRM (see xfrm.h). */
#include "kernel/xfrm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/udp.h>

#include "kernel/xfrm_int.h"
#include "lib/log.h"

/* A request is at most the SA info, two algorithms with keys and a few small
 * attributes; keys are bounded well below this. */
#define XFRM_SBUF_SIZE 4096
#define XFRM_KEY_MAX   512
/* RFC 4303 2.2: windows up to 32 packets fit the legacy replay state */
#define XFRM_LEGACY_WINDOW 32

const char *xfrm_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_ESP:
		return "esp";
	case IPPROTO_AH:
		return "ah";
	case IPPROTO_COMP:
		return "comp";
	default:
		return "proto?";
	}
}

static const char *dir_name(int dir)
{
	static const char *const names[] = {"in", "out", "fwd"};

	return dir >= 0 && dir < 3 ? names[dir] : "dir?";
}

bool xfrm_payload(const struct nlmsghdr *nlh, void *out, size_t len)
{
	if (mnl_nlmsg_get_payload_len(nlh) < len)
		return false;
	memcpy(out, mnl_nlmsg_get_payload(nlh), len);
	return true;
}

/* ---- the socket ---- */

struct xfrm_backend *xfrm_open(uint32_t owner, int *err)
{
	struct xfrm_backend *x;
	int one = 1;

	if (owner == 0 || XFRM_OWNER_TRAP(owner) == 0) {
		*err = -EINVAL;
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		*err = -ENOMEM;
		return NULL;
	}
	x->owner = owner;
	x->nl = mnl_socket_open2(NETLINK_XFRM, SOCK_CLOEXEC);
	if (!x->nl || mnl_socket_bind(x->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		*err = -errno;
		log_err(SUB_KERNEL, "xfrm: cannot open a NETLINK_XFRM socket: %s (errno %d)",
			strerror(errno), errno);
		xfrm_close(x);
		return NULL;
	}
	/* the kernel's error text, and no copy of our request (it holds keys)
	 * in its answer; kernels without these options still work */
	mnl_socket_setsockopt(x->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(x->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	x->portid = mnl_socket_get_portid(x->nl);
	*err = 0;
	return x;
}

void xfrm_close(struct xfrm_backend *x)
{
	if (!x)
		return;
	if (x->nl)
		mnl_socket_close(x->nl);
	if (x->ev)
		mnl_socket_close(x->ev);
	free(x->larval);
	free(x);
}

const char *xfrm_last_error(const struct xfrm_backend *x)
{
	return x->errtext;
}

/* One request and its answers. */
struct talk {
	struct xfrm_backend *x;
	mnl_cb_t cb; /* data messages (dump entries, ALLOCSPI's state), may be NULL */
	void *data;
	int error;
};

static int extack_attr(const struct nlattr *a, void *data)
{
	struct xfrm_backend *x = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		snprintf(x->errtext, sizeof(x->errtext), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

/* NLMSG_ERROR: an ack (error 0) or a failure with the kernel's text in the
 * extended-ack attributes after the (capped) copy of our request. */
static int talk_error(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		t->error = -EBADMSG;
		return MNL_CB_STOP;
	}
	t->error = e->error;
	if (e->error && (nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(e->msg);
		if (off < mnl_nlmsg_get_payload_len(nlh))
			mnl_attr_parse(nlh, (unsigned)off, extack_attr, t->x);
	}
	return MNL_CB_STOP;
}

/* NLMSG_DONE ends a dump; since Linux 4.x it may carry the dump's error.
 * (libmnl runs no default for control types once we pass our own table.) */
static int talk_done(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err)) {
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		if (err < 0)
			t->error = err;
	}
	return MNL_CB_STOP;
}

static int talk_overrun(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;

	t->error = -ENOBUFS;
	return MNL_CB_STOP;
}

static int talk_data(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;

	return t->cb ? t->cb(nlh, t->data) : MNL_CB_OK;
}

/* Send nlh and read the answers up to the ack, the error or the end of a
 * dump. 0 or the kernel's -errno (its text in x->errtext). */
static int xfrm_talk(struct xfrm_backend *x, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {[NLMSG_ERROR] = talk_error,
					       [NLMSG_DONE] = talk_done,
					       [NLMSG_OVERRUN] = talk_overrun};
	struct talk t = {.x = x, .cb = cb, .data = data};
	ssize_t n;
	int ret = MNL_CB_OK; /* an EINTR before the first answer must read again */

	nlh->nlmsg_seq = ++x->seq;
	x->errtext[0] = '\0';
	if (mnl_socket_sendto(x->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(x->nl, x->rbuf, sizeof(x->rbuf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ret = mnl_cb_run2(x->rbuf, (size_t)n, nlh->nlmsg_seq, x->portid, talk_data, &t, ctl,
				  NLMSG_MIN_TYPE);
		/* an answer to an earlier request we stopped reading: skip it */
		if (ret == MNL_CB_ERROR && errno == ESRCH && t.error == 0)
			ret = MNL_CB_OK;
	} while (ret == MNL_CB_OK);
	if (ret == MNL_CB_ERROR && t.error == 0)
		return errno ? -errno : -EIO;
	return t.error;
}

/* Log a failed request: what, the errno and the kernel's words. */
static int xfrm_fail(const struct xfrm_backend *x, int rc, const char *what)
{
	log_err(SUB_KERNEL, "xfrm: %s failed: %s (errno %d)%s%s", what, strerror(-rc), -rc,
		x->errtext[0] ? ": kernel says: " : "", x->errtext);
	return rc;
}

static struct nlmsghdr *msg_new(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

/* Room for an attribute of len bytes, zeroed; NULL when buf (size cap) is full. */
static void *attr_put(struct nlmsghdr *nlh, size_t cap, uint16_t type, size_t len)
{
	struct nlattr *a = mnl_nlmsg_get_payload_tail(nlh);

	if (nlh->nlmsg_len + MNL_ALIGN(MNL_ATTR_HDRLEN + len) > cap)
		return NULL;
	a->nla_type = type;
	a->nla_len = (uint16_t)(MNL_ATTR_HDRLEN + len);
	memset(mnl_attr_get_payload(a), 0, MNL_ALIGN(len));
	nlh->nlmsg_len += MNL_ALIGN(a->nla_len);
	return mnl_attr_get_payload(a);
}

/* ---- larval SPIs ---- */

static int larval_add(struct xfrm_backend *x, uint32_t spi, uint8_t proto,
		      const struct ip_addr *dst)
{
	if (x->nlarval == x->cap_larval) {
		size_t ncap = x->cap_larval ? x->cap_larval * 2 : 16;
		struct xfrm_larval *n = realloc(x->larval, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		x->larval = n;
		x->cap_larval = ncap;
	}
	x->larval[x->nlarval++] = (struct xfrm_larval){.spi = spi, .proto = proto, .dst = *dst};
	return 0;
}

bool xfrm_larval_match(struct xfrm_backend *x, uint32_t spi, uint8_t proto,
		       const struct ip_addr *dst, bool remove)
{
	for (size_t i = 0; i < x->nlarval; i++) {
		struct xfrm_larval *l = &x->larval[i];

		if (l->spi != spi || l->proto != proto || !ip_addr_eq(&l->dst, dst))
			continue;
		if (remove)
			*l = x->larval[--x->nlarval];
		return true;
	}
	return false;
}

/* ---- SAs ---- */

static int spi_reply(const struct nlmsghdr *nlh, void *data)
{
	struct xfrm_usersa_info p;

	if (nlh->nlmsg_type == XFRM_MSG_NEWSA && xfrm_payload(nlh, &p, sizeof(p)))
		*(uint32_t *)data = ntohl(p.id.spi);
	return MNL_CB_OK;
}

static int xfrm_alloc_spi(void *ctx, uint8_t proto, const struct ip_addr *src,
			  const struct ip_addr *dst, uint32_t reqid, uint32_t *spi)
{
	struct xfrm_backend *x = ctx;
	char buf[XFRM_SBUF_SIZE] __attribute__((aligned(8)));
	char what[160], s[IP_ADDR_STRLEN], d[IP_ADDR_STRLEN];
	struct nlmsghdr *nlh = msg_new(buf, XFRM_MSG_ALLOCSPI, NLM_F_ACK);
	struct xfrm_userspi_info *u = mnl_nlmsg_put_extra_header(nlh, sizeof(*u));
	uint32_t got = 0;
	int rc;

	snprintf(what, sizeof(what), "allocate %s SPI %s -> %s (reqid %u)", xfrm_proto_name(proto),
		 ip_addr_fmt(src, s, sizeof(s)), ip_addr_fmt(dst, d, sizeof(d)), reqid);
	xfrm_addr_to(&u->info.id.daddr, dst);
	xfrm_addr_to(&u->info.saddr, src);
	u->info.id.proto = proto;
	u->info.family = dst->family;
	u->info.reqid = reqid;
	u->min = XFRM_SPI_MIN;
	u->max = XFRM_SPI_MAX;
	rc = xfrm_talk(x, nlh, spi_reply, &got);
	if (rc == 0 && got == 0)
		rc = -EBADMSG; /* acked without telling the SPI */
	if (rc < 0)
		return xfrm_fail(x, rc, what);
	if (larval_add(x, got, proto, dst) < 0)
		log_warn(SUB_KERNEL, "xfrm: out of memory: SPI %08x will not be flushed", got);
	*spi = got;
	log_debug(SUB_KERNEL, "xfrm: %s: SPI %08x", what, got);
	return 0;
}

static void lifetime_set(struct xfrm_lifetime_cfg *l, const struct kernel_lifetime *k)
{
	/* the kernel reads 0 bytes/packets as "expire at once": none is XFRM_INF */
	l->soft_byte_limit = k->soft_bytes ? k->soft_bytes : XFRM_INF;
	l->hard_byte_limit = k->hard_bytes ? k->hard_bytes : XFRM_INF;
	l->soft_packet_limit = k->soft_packets ? k->soft_packets : XFRM_INF;
	l->hard_packet_limit = k->hard_packets ? k->hard_packets : XFRM_INF;
	l->soft_add_expires_seconds = k->soft_seconds;
	l->hard_add_expires_seconds = k->hard_seconds;
}

static int check_alg(const char *name, size_t keylen)
{
	if (strlen(name) >= sizeof(((struct xfrm_algo *)0)->alg_name) || keylen > XFRM_KEY_MAX) {
		log_err(SUB_KERNEL,
			"xfrm: algorithm '%s' with a %zu byte key: expected a name under 64 "
			"characters and a key of at most %d bytes",
			name, keylen, XFRM_KEY_MAX);
		return -EINVAL;
	}
	return 0;
}

/* The algorithms: AEAD, or CRYPT and/or AUTH_TRUNC (AH: AUTH_TRUNC only).
 * check_alg makes sure each name fits alg_name before it is copied. */
static int sa_algs(struct nlmsghdr *nlh, const struct kernel_sa *sa)
{
	if (sa->proto == IPPROTO_AH && sa->encr_alg) {
		log_err(SUB_KERNEL, "xfrm: AH takes no encryption, got '%s'", sa->encr_alg);
		return -EINVAL;
	}
	if (sa->encr_alg && sa->icv_bits) {
		struct xfrm_algo_aead *a;

		if (check_alg(sa->encr_alg, sa->encr_key_len) < 0)
			return -EINVAL;
		a = attr_put(nlh, XFRM_SBUF_SIZE, XFRMA_ALG_AEAD, sizeof(*a) + sa->encr_key_len);
		if (!a)
			return -EMSGSIZE;
		snprintf(a->alg_name, sizeof(a->alg_name), "%s", sa->encr_alg);
		a->alg_key_len = (unsigned)(sa->encr_key_len * 8);
		a->alg_icv_len = sa->icv_bits;
		memcpy(a->alg_key, sa->encr_key, sa->encr_key_len);
		return 0;
	}
	if (sa->encr_alg) {
		struct xfrm_algo *a;

		if (check_alg(sa->encr_alg, sa->encr_key_len) < 0)
			return -EINVAL;
		a = attr_put(nlh, XFRM_SBUF_SIZE, XFRMA_ALG_CRYPT, sizeof(*a) + sa->encr_key_len);
		if (!a)
			return -EMSGSIZE;
		snprintf(a->alg_name, sizeof(a->alg_name), "%s", sa->encr_alg);
		a->alg_key_len = (unsigned)(sa->encr_key_len * 8);
		memcpy(a->alg_key, sa->encr_key, sa->encr_key_len);
	}
	if (sa->integ_alg) {
		struct xfrm_algo_auth *a;

		if (check_alg(sa->integ_alg, sa->integ_key_len) < 0)
			return -EINVAL;
		a = attr_put(nlh, XFRM_SBUF_SIZE, XFRMA_ALG_AUTH_TRUNC,
			     sizeof(*a) + sa->integ_key_len);
		if (!a)
			return -EMSGSIZE;
		snprintf(a->alg_name, sizeof(a->alg_name), "%s", sa->integ_alg);
		a->alg_key_len = (unsigned)(sa->integ_key_len * 8);
		a->alg_trunc_len = sa->integ_trunc_bits;
		memcpy(a->alg_key, sa->integ_key, sa->integ_key_len);
	}
	return 0;
}

/* Replay: ESN, and windows the legacy 32-bit bitmap cannot hold, need the
 * ESN replay state (its bitmap in 32-bit words); then the legacy field must
 * be 0. RFC 4303 2.2.1 / 3.4.3. */
static int sa_replay(struct nlmsghdr *nlh, struct xfrm_usersa_info *p, const struct kernel_sa *sa)
{
	struct xfrm_replay_state_esn *r;
	uint32_t words = (sa->replay_window + 31) / 32;

	if (!sa->esn && sa->replay_window <= XFRM_LEGACY_WINDOW) {
		p->replay_window = (uint8_t)sa->replay_window;
		return 0;
	}
	r = attr_put(nlh, XFRM_SBUF_SIZE, XFRMA_REPLAY_ESN_VAL, sizeof(*r) + (size_t)words * 4);
	if (!r)
		return -EMSGSIZE;
	r->bmp_len = words;
	r->replay_window = sa->replay_window;
	if (sa->esn)
		p->flags |= XFRM_STATE_ESN;
	return 0;
}

static int sa_encap(struct nlmsghdr *nlh, const struct kernel_sa *sa)
{
	struct xfrm_encap_tmpl *e;

	if (!sa->encap_sport && !sa->encap_dport)
		return 0;
	e = attr_put(nlh, XFRM_SBUF_SIZE, XFRMA_ENCAP, sizeof(*e));
	if (!e)
		return -EMSGSIZE;
	/* RFC 3948 2.1: the UDP ports of the packets this SA carries; ours are
	 * the source of outbound packets and the destination of inbound ones */
	e->encap_type = UDP_ENCAP_ESPINUDP;
	e->encap_sport = htons(sa->inbound ? sa->encap_dport : sa->encap_sport);
	e->encap_dport = htons(sa->inbound ? sa->encap_sport : sa->encap_dport);
	if (sa->encap_oa.family)
		xfrm_addr_to(&e->encap_oa, &sa->encap_oa);
	return 0;
}

static int sa_build(struct xfrm_backend *x, struct nlmsghdr *nlh, const struct kernel_sa *sa)
{
	struct xfrm_usersa_info *p = mnl_nlmsg_put_extra_header(nlh, sizeof(*p));
	int rc;

	if (sa->mode == KERNEL_MODE_TRANSPORT && sa->sel_src.lo.family) {
		rc = xfrm_sel_from_ts(&p->sel, &sa->sel_src, &sa->sel_dst, x->owner);
		if (rc < 0)
			return rc;
	} else {
		/* tunnel mode: any inner family (the policies select) */
		p->sel.user = x->owner;
		if (sa->mode == KERNEL_MODE_TUNNEL)
			p->flags |= XFRM_STATE_AF_UNSPEC;
	}
	xfrm_addr_to(&p->id.daddr, &sa->dst);
	p->id.spi = htonl(sa->spi);
	p->id.proto = sa->proto;
	xfrm_addr_to(&p->saddr, &sa->src);
	p->family = sa->dst.family;
	p->mode = sa->mode == KERNEL_MODE_TUNNEL ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT;
	p->reqid = sa->reqid;
	lifetime_set(&p->lft, &sa->life);
	if ((rc = sa_algs(nlh, sa)) < 0 || (rc = sa_replay(nlh, p, sa)) < 0 ||
	    (rc = sa_encap(nlh, sa)) < 0)
		return rc;
	return 0;
}

static const char *sa_what(char *what, size_t len, const char *op, uint8_t proto, uint32_t spi,
			   const struct ip_addr *src, const struct ip_addr *dst)
{
	char s[IP_ADDR_STRLEN], d[IP_ADDR_STRLEN];

	if (src)
		snprintf(what, len, "%s SA %s spi %08x %s -> %s", op, xfrm_proto_name(proto), spi,
			 ip_addr_fmt(src, s, sizeof(s)), ip_addr_fmt(dst, d, sizeof(d)));
	else
		snprintf(what, len, "%s SA %s spi %08x to %s", op, xfrm_proto_name(proto), spi,
			 ip_addr_fmt(dst, d, sizeof(d)));
	return what;
}

static int xfrm_add_sa(void *ctx, const struct kernel_sa *sa)
{
	struct xfrm_backend *x = ctx;
	char buf[XFRM_SBUF_SIZE] __attribute__((aligned(8)));
	char what[200];
	struct nlmsghdr *nlh =
		msg_new(buf, sa->update ? XFRM_MSG_UPDSA : XFRM_MSG_NEWSA, NLM_F_ACK);
	int rc;

	sa_what(what, sizeof(what), sa->update ? "update" : "add", sa->proto, sa->spi, &sa->src,
		&sa->dst);
	rc = sa_build(x, nlh, sa);
	if (rc == 0)
		rc = xfrm_talk(x, nlh, NULL, NULL);
	explicit_bzero(buf, sizeof(buf)); /* the keys */
	if (rc < 0)
		return xfrm_fail(x, rc, what);
	if (sa->update)
		xfrm_larval_match(x, sa->spi, sa->proto, &sa->dst, true);
	log_debug(SUB_KERNEL, "xfrm: %s (reqid %u, %s)", what, sa->reqid,
		  sa->mode == KERNEL_MODE_TUNNEL ? "tunnel" : "transport");
	return 0;
}

static void sa_id_set(struct xfrm_usersa_id *id, uint8_t proto, uint32_t spi,
		      const struct ip_addr *dst)
{
	xfrm_addr_to(&id->daddr, dst);
	id->spi = htonl(spi);
	id->family = dst->family;
	id->proto = proto;
}

static int owner_reply(const struct nlmsghdr *nlh, void *data)
{
	struct xfrm_usersa_info p;

	if (nlh->nlmsg_type == XFRM_MSG_NEWSA && xfrm_payload(nlh, &p, sizeof(p)))
		*(uint32_t *)data = p.sel.user;
	return MNL_CB_OK;
}

static int sa_delete(struct xfrm_backend *x, const struct xfrm_usersa_id *id)
{
	char buf[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = msg_new(buf, XFRM_MSG_DELSA, NLM_F_ACK);

	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(*id)), id, sizeof(*id));
	return xfrm_talk(x, nlh, NULL, NULL);
}

static int xfrm_del_sa(void *ctx, uint8_t proto, uint32_t spi, const struct ip_addr *dst)
{
	struct xfrm_backend *x = ctx;
	char buf[256] __attribute__((aligned(8)));
	char what[200];
	struct nlmsghdr *nlh = msg_new(buf, XFRM_MSG_GETSA, NLM_F_ACK);
	struct xfrm_usersa_id *id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
	uint32_t owner = 0;
	bool larval = xfrm_larval_match(x, spi, proto, dst, false);
	int rc;

	sa_what(what, sizeof(what), "delete", proto, spi, NULL, dst);
	sa_id_set(id, proto, spi, dst);
	/* never delete what another daemon made: look first */
	rc = xfrm_talk(x, nlh, owner_reply, &owner);
	if (rc == -ESRCH) {
		xfrm_larval_match(x, spi, proto, dst, true);
		log_notice(SUB_KERNEL, "xfrm: %s: the kernel has no such SA (expired?)", what);
		return rc;
	}
	if (rc < 0)
		return xfrm_fail(x, rc, what);
	if (owner != x->owner && !larval) {
		log_err(SUB_KERNEL, "xfrm: %s refused: the SA was not installed by this oakd",
			what);
		return -EPERM;
	}
	rc = sa_delete(x, id);
	if (rc < 0)
		return xfrm_fail(x, rc, what);
	xfrm_larval_match(x, spi, proto, dst, true);
	log_debug(SUB_KERNEL, "xfrm: %s", what);
	return 0;
}

static int use_reply(const struct nlmsghdr *nlh, void *data)
{
	struct kernel_sa_use *use = data;
	struct xfrm_usersa_info p;

	if (nlh->nlmsg_type == XFRM_MSG_NEWSA && xfrm_payload(nlh, &p, sizeof(p)))
		*use = (struct kernel_sa_use){.bytes = p.curlft.bytes,
					      .packets = p.curlft.packets,
					      .first_use = p.curlft.use_time};
	return MNL_CB_OK;
}

/* XFRM_MSG_GETSA: the kernel's counters of one SA. Not logged as a failure
 * when the SA is gone (it may have expired a moment ago). */
static int xfrm_query_sa(void *ctx, uint8_t proto, uint32_t spi, const struct ip_addr *dst,
			 struct kernel_sa_use *use)
{
	struct xfrm_backend *x = ctx;
	char buf[256] __attribute__((aligned(8)));
	char what[200];
	struct nlmsghdr *nlh = msg_new(buf, XFRM_MSG_GETSA, NLM_F_ACK);
	struct xfrm_usersa_id *id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
	int rc;

	*use = (struct kernel_sa_use){0};
	sa_id_set(id, proto, spi, dst);
	rc = xfrm_talk(x, nlh, use_reply, use);
	if (rc == -ESRCH)
		return rc;
	if (rc < 0)
		return xfrm_fail(x, rc,
				 sa_what(what, sizeof(what), "query", proto, spi, NULL, dst));
	return 0;
}

/* ---- policies ---- */

uint32_t xfrm_policy_owner(const struct xfrm_backend *x, const struct kernel_policy *p)
{
	return p->trap ? XFRM_OWNER_TRAP(x->owner) : x->owner;
}

static int policy_build(struct xfrm_backend *x, struct nlmsghdr *nlh, const struct kernel_policy *p)
{
	struct xfrm_userpolicy_info *pi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pi));
	struct xfrm_user_tmpl *t;
	int rc = xfrm_sel_from_ts(&pi->sel, &p->src, &p->dst, xfrm_policy_owner(x, p));

	if (rc < 0)
		return rc;
	lifetime_set(&pi->lft, &(struct kernel_lifetime){0});
	pi->priority = p->priority;
	pi->dir = (uint8_t)p->dir;
	pi->action = XFRM_POLICY_ALLOW;
	pi->share = XFRM_SHARE_ANY;
	t = attr_put(nlh, XFRM_SBUF_SIZE, XFRMA_TMPL, sizeof(*t));
	if (!t)
		return -EMSGSIZE;
	/* the template names the SA: for tunnel mode by its outer addresses,
	 * always by proto and reqid (RFC 4301 4.4.1.2: SPD entry -> SA) */
	if (p->mode == KERNEL_MODE_TUNNEL) {
		xfrm_addr_to(&t->id.daddr, &p->tun_dst);
		xfrm_addr_to(&t->saddr, &p->tun_src);
	}
	t->family = p->mode == KERNEL_MODE_TUNNEL && p->tun_dst.family ? p->tun_dst.family
								       : pi->sel.family;
	t->id.proto = p->proto;
	t->reqid = p->reqid;
	t->mode = p->mode == KERNEL_MODE_TUNNEL ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT;
	t->aalgos = t->ealgos = t->calgos = ~0u;
	return 0;
}

static const char *policy_what(char *what, size_t len, const char *op,
			       const struct kernel_policy *p)
{
	char s[TS_STRLEN], d[TS_STRLEN];

	snprintf(what, len, "%s %spolicy %s -> %s %s", op, p->trap ? "trap " : "",
		 ts_fmt(&p->src, s, sizeof(s)), ts_fmt(&p->dst, d, sizeof(d)), dir_name(p->dir));
	return what;
}

static int xfrm_add_policy(void *ctx, const struct kernel_policy *p)
{
	struct xfrm_backend *x = ctx;
	char buf[XFRM_SBUF_SIZE] __attribute__((aligned(8)));
	char what[2 * TS_STRLEN + 40];
	struct nlmsghdr *nlh = msg_new(buf, XFRM_MSG_NEWPOLICY, NLM_F_ACK);
	int rc = policy_build(x, nlh, p);

	policy_what(what, sizeof(what), "add", p);
	if (rc < 0)
		return xfrm_fail(x, rc, what);
	rc = xfrm_talk(x, nlh, NULL, NULL);
	if (rc == -EEXIST) {
		/* the kernel compares whole selectors, owner included: this is
		 * our own policy of the same kind (a rekey, a reloaded trap) */
		log_debug(SUB_KERNEL, "xfrm: %s: replacing our existing one", what);
		nlh->nlmsg_type = XFRM_MSG_UPDPOLICY;
		rc = xfrm_talk(x, nlh, NULL, NULL);
	}
	if (rc < 0)
		return xfrm_fail(x, rc, what);
	log_debug(SUB_KERNEL, "xfrm: %s (priority %u, reqid %u, %s)", what, p->priority, p->reqid,
		  p->mode == KERNEL_MODE_TUNNEL ? "tunnel" : "transport");
	return 0;
}

static int xfrm_del_policy(void *ctx, const struct kernel_policy *p)
{
	struct xfrm_backend *x = ctx;
	char buf[512] __attribute__((aligned(8)));
	char what[2 * TS_STRLEN + 40];
	struct nlmsghdr *nlh = msg_new(buf, XFRM_MSG_DELPOLICY, NLM_F_ACK);
	struct xfrm_userpolicy_id *id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
	int rc = xfrm_sel_from_ts(&id->sel, &p->src, &p->dst, xfrm_policy_owner(x, p));

	policy_what(what, sizeof(what), "delete", p);
	id->dir = (uint8_t)p->dir;
	if (rc == 0)
		rc = xfrm_talk(x, nlh, NULL, NULL);
	if (rc < 0)
		return xfrm_fail(x, rc, what);
	log_debug(SUB_KERNEL, "xfrm: %s", what);
	return 0;
}

void xfrm_kernel_ops(struct xfrm_backend *x, struct kernel_ops *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->ctx = x;
	ops->alloc_spi = xfrm_alloc_spi;
	ops->expire_events = true;
	ops->add_sa = xfrm_add_sa;
	ops->del_sa = xfrm_del_sa;
	ops->query_sa = xfrm_query_sa;
	ops->add_policy = xfrm_add_policy;
	ops->del_policy = xfrm_del_policy;
}

/* ---- flushing our own entries ---- */

struct own_list {
	uint32_t owner;
	struct xfrm_usersa_id *sas;
	size_t nsas, capsas;
	struct xfrm_userpolicy_id *pols;
	size_t npols, cappols;
	int err;
};

static void *list_grow(void *arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 32;
	p = realloc(arr, ncap * size);
	if (p)
		*cap = ncap;
	return p;
}

static int own_sa(const struct nlmsghdr *nlh, void *data)
{
	struct own_list *l = data;
	struct xfrm_usersa_info p;
	struct xfrm_usersa_id *n;

	if (nlh->nlmsg_type != XFRM_MSG_NEWSA || !xfrm_payload(nlh, &p, sizeof(p)) ||
	    p.sel.user != l->owner)
		return MNL_CB_OK;
	n = list_grow(l->sas, &l->capsas, l->nsas, sizeof(*n));
	if (!n) {
		l->err = -ENOMEM;
		return MNL_CB_OK; /* read the dump to its end */
	}
	l->sas = n;
	n[l->nsas++] = (struct xfrm_usersa_id){
		.daddr = p.id.daddr, .spi = p.id.spi, .family = p.family, .proto = p.id.proto};
	return MNL_CB_OK;
}

static int own_policy(const struct nlmsghdr *nlh, void *data)
{
	struct own_list *l = data;
	struct xfrm_userpolicy_info p;
	struct xfrm_userpolicy_id *n;

	if (nlh->nlmsg_type != XFRM_MSG_NEWPOLICY || !xfrm_payload(nlh, &p, sizeof(p)) ||
	    (p.sel.user != l->owner && p.sel.user != XFRM_OWNER_TRAP(l->owner)))
		return MNL_CB_OK;
	n = list_grow(l->pols, &l->cappols, l->npols, sizeof(*n));
	if (!n) {
		l->err = -ENOMEM;
		return MNL_CB_OK;
	}
	l->pols = n;
	n[l->npols++] = (struct xfrm_userpolicy_id){.index = p.index, .dir = p.dir};
	return MNL_CB_OK;
}

static int own_collect(struct xfrm_backend *x, struct own_list *l)
{
	char buf[64] __attribute__((aligned(8)));
	int rc;

	rc = xfrm_talk(x, msg_new(buf, XFRM_MSG_GETSA, NLM_F_DUMP), own_sa, l);
	if (rc == 0)
		rc = xfrm_talk(x, msg_new(buf, XFRM_MSG_GETPOLICY, NLM_F_DUMP), own_policy, l);
	return rc < 0 ? rc : l->err;
}

static int policy_delete_index(struct xfrm_backend *x, const struct xfrm_userpolicy_id *id)
{
	char buf[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = msg_new(buf, XFRM_MSG_DELPOLICY, NLM_F_ACK);

	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(*id)), id, sizeof(*id));
	return xfrm_talk(x, nlh, NULL, NULL);
}

int xfrm_flush_own(struct xfrm_backend *x)
{
	struct own_list l = {.owner = x->owner};
	char what[200];
	int n = 0, rc = own_collect(x, &l);

	if (rc < 0) {
		xfrm_fail(x, rc, "list states and policies");
		goto out;
	}
	/* policies first: no packet should find a policy without its SA */
	for (size_t i = 0; i < l.npols; i++) {
		snprintf(what, sizeof(what), "flush policy index %u %s", l.pols[i].index,
			 dir_name(l.pols[i].dir));
		if ((rc = policy_delete_index(x, &l.pols[i])) < 0 && rc != -ENOENT)
			xfrm_fail(x, rc, what);
		n += rc == 0;
	}
	for (size_t i = 0; i < l.nsas; i++) {
		struct ip_addr dst;

		xfrm_addr_from(&dst, &l.sas[i].daddr, l.sas[i].family);
		sa_what(what, sizeof(what), "flush", l.sas[i].proto, ntohl(l.sas[i].spi), NULL,
			&dst);
		if ((rc = sa_delete(x, &l.sas[i])) < 0 && rc != -ESRCH)
			xfrm_fail(x, rc, what);
		n += rc == 0;
	}
	while (x->nlarval) {
		struct xfrm_larval *lv = &x->larval[--x->nlarval];
		struct xfrm_usersa_id id = {0};

		sa_id_set(&id, lv->proto, lv->spi, &lv->dst);
		sa_what(what, sizeof(what), "flush larval", lv->proto, lv->spi, NULL, &lv->dst);
		if ((rc = sa_delete(x, &id)) < 0 && rc != -ESRCH)
			xfrm_fail(x, rc, what);
		n += rc == 0;
	}
	rc = n;
	log_info(SUB_KERNEL, "xfrm: removed %d of our own states and policies (owner %08x)", n,
		 x->owner);
out:
	free(l.sas);
	free(l.pols);
	return rc;
}
