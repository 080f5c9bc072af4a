/* Tests of the xfrm kernel backend against the running kernel, inside a
 * network namespace of their own (unshare(CLONE_NEWNET) in main), so the
 * host's XFRM state is never touched. What was installed is read back with
 * the test's own XFRM_MSG_GETPOLICY / GETSA dumps (what `ip xfrm policy` and
 * `ip xfrm state` show). Needs root; skipped otherwise.
 *
 * A kernel without ESP (this project's build hosts) answers an ESP SA with
 * EPROTONOSUPPORT or ENOSYS: the test asserts the error and the kernel's own
 * text in the log. With ESP the SA must be there and carry our owner value.
 * The real ESP data path is tested in UML (tests/uml/t-xfrm-guest.sh). */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/ipsec.h>
#include <linux/xfrm.h>

#include "kernel/xfrm.h"
#include "kernel/xfrm_int.h"
#include "lib/log.h"

#define OTHER_OWNER 0x12345678u /* "another daemon" */

static struct mnl_socket *raw; /* the test's own view of the kernel */
static uint32_t raw_seq;

/* ---- reading the kernel back ---- */

struct pol {
	struct xfrm_userpolicy_info info;
	struct xfrm_user_tmpl tmpl;
	bool has_tmpl;
};

struct dump {
	struct pol pols[64];
	struct xfrm_usersa_info sas[64];
	int npols, nsas;
};

static int tmpl_cb(const struct nlattr *a, void *data)
{
	struct pol *p = data;

	if (mnl_attr_get_type(a) == XFRMA_TMPL && mnl_attr_get_payload_len(a) >= sizeof(p->tmpl)) {
		memcpy(&p->tmpl, mnl_attr_get_payload(a), sizeof(p->tmpl));
		p->has_tmpl = true;
	}
	return MNL_CB_OK;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;

	if (nlh->nlmsg_type == XFRM_MSG_NEWPOLICY && d->npols < 64) {
		struct pol *p = &d->pols[d->npols++];

		memset(p, 0, sizeof(*p));
		memcpy(&p->info, mnl_nlmsg_get_payload(nlh), sizeof(p->info));
		mnl_attr_parse(nlh, sizeof(p->info), tmpl_cb, p);
	} else if (nlh->nlmsg_type == XFRM_MSG_NEWSA && d->nsas < 64) {
		memcpy(&d->sas[d->nsas++], mnl_nlmsg_get_payload(nlh), sizeof(d->sas[0]));
	}
	return MNL_CB_OK;
}

/* Send nlh on the raw socket, run cb over the answers; the kernel's errno. */
static int raw_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static char buf[32768];
	ssize_t n;
	int ret;

	nlh->nlmsg_seq = ++raw_seq;
	assert_true(mnl_socket_sendto(raw, nlh, nlh->nlmsg_len) >= 0);
	do {
		n = mnl_socket_recvfrom(raw, buf, sizeof(buf));
		assert_true(n > 0);
		ret = mnl_cb_run(buf, (size_t)n, raw_seq, mnl_socket_get_portid(raw), cb, data);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

static void kernel_dump(struct dump *d)
{
	char buf[64] __attribute__((aligned(8)));
	struct nlmsghdr *nlh;

	memset(d, 0, sizeof(*d));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_GETPOLICY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	assert_int_equal(raw_talk(nlh, dump_cb, d), 0);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_GETSA;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	assert_int_equal(raw_talk(nlh, dump_cb, d), 0);
}

/* Empty the namespace's XFRM tables (ours, so anything goes) between tests. */
static void kernel_flush_all(void)
{
	char buf[128] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct xfrm_usersa_flush *f;

	nlh->nlmsg_type = XFRM_MSG_FLUSHSA;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	f = mnl_nlmsg_put_extra_header(nlh, sizeof(*f));
	f->proto = IPSEC_PROTO_ANY;
	assert_int_equal(raw_talk(nlh, NULL, NULL), 0);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_FLUSHPOLICY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	assert_int_equal(raw_talk(nlh, NULL, NULL), 0);
}

/* A policy as `ip xfrm policy add` makes it: owner 0. */
static void raw_policy_add(const char *src, const char *dst, int dir)
{
	char buf[1024] __attribute__((aligned(8)));
	char err[128];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct xfrm_userpolicy_info *pi;
	struct ts s, d;

	assert_int_equal(ts_parse(src, &s, err, sizeof(err)), 0);
	assert_int_equal(ts_parse(dst, &d, err, sizeof(err)), 0);
	nlh->nlmsg_type = XFRM_MSG_NEWPOLICY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	pi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pi));
	assert_int_equal(xfrm_sel_from_ts(&pi->sel, &s, &d, 0), 0);
	pi->lft.soft_byte_limit = pi->lft.hard_byte_limit = XFRM_INF;
	pi->lft.soft_packet_limit = pi->lft.hard_packet_limit = XFRM_INF;
	pi->dir = (uint8_t)dir;
	pi->action = XFRM_POLICY_ALLOW;
	assert_int_equal(raw_talk(nlh, NULL, NULL), 0);
}

static int count_pols(const struct dump *d, uint32_t owner)
{
	int n = 0;

	for (int i = 0; i < d->npols; i++)
		n += d->pols[i].info.sel.user == owner;
	return n;
}

/* ---- building requests ---- */

static void ts(struct ts *t, const char *text)
{
	char err[128];

	if (ts_parse(text, t, err, sizeof(err)) < 0)
		fail_msg("ts_parse(%s): %s", text, err);
}

static void addr(struct ip_addr *a, const char *text)
{
	assert_int_equal(ip_addr_parse(text, a), 0);
}

static void fill_policy(struct kernel_policy *p, const char *src, const char *dst,
			enum kernel_dir dir)
{
	memset(p, 0, sizeof(*p));
	ts(&p->src, src);
	ts(&p->dst, dst);
	p->dir = dir;
	p->priority = 2000;
	p->reqid = 7;
	p->proto = IPPROTO_ESP;
	p->mode = KERNEL_MODE_TUNNEL;
	addr(&p->tun_src, dir == KERNEL_DIR_OUT ? "192.0.2.1" : "192.0.2.2");
	addr(&p->tun_dst, dir == KERNEL_DIR_OUT ? "192.0.2.2" : "192.0.2.1");
	p->conn_name = "gw";
	p->child_name = "net";
}

static const uint8_t key32[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
				  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void fill_sa(struct kernel_sa *sa, uint32_t spi, bool gcm)
{
	memset(sa, 0, sizeof(*sa));
	sa->spi = spi;
	sa->proto = IPPROTO_ESP;
	sa->mode = KERNEL_MODE_TUNNEL;
	addr(&sa->src, "192.0.2.1");
	addr(&sa->dst, "192.0.2.2");
	sa->reqid = 7;
	if (gcm) {
		sa->encr_alg = "rfc4106(gcm(aes))";
		sa->encr_key = key32;
		sa->encr_key_len = 20; /* AES-128 + 4 byte salt (RFC 4106 8.1) */
		sa->icv_bits = 128;
	} else {
		sa->encr_alg = "cbc(aes)";
		sa->encr_key = key32;
		sa->encr_key_len = 16;
		sa->integ_alg = "hmac(sha256)";
		sa->integ_key = key32;
		sa->integ_key_len = 32;
		sa->integ_trunc_bits = 128;
	}
	sa->replay_window = 32;
	sa->life.soft_seconds = 3240;
	sa->life.hard_seconds = 3600;
}

struct fx {
	struct xfrm_backend *x;
	struct kernel_ops ops;
};

static struct fx *fx_open(uint32_t owner)
{
	static struct fx f[2];
	static int next;
	struct fx *p = &f[next++ % 2];
	int err = 1;

	p->x = xfrm_open(owner, &err);
	assert_non_null(p->x);
	assert_int_equal(err, 0);
	xfrm_kernel_ops(p->x, &p->ops);
	return p;
}

static int teardown(void **state)
{
	(void)state;
	logcap_stop();
	kernel_flush_all();
	return 0;
}

/* ---- selectors (no kernel) ---- */

static void sel_of(struct xfrm_selector *sel, const char *src, const char *dst)
{
	struct ts s, d;

	ts(&s, src);
	ts(&d, dst);
	assert_int_equal(xfrm_sel_from_ts(sel, &s, &d, XFRM_OWNER_OAK), 0);
}

static void selector_prefixes_and_ports(void **state)
{
	struct xfrm_selector sel;
	struct ts s, d;
	char buf[300];

	(void)state;
	sel_of(&sel, "10.1.0.0/16", "10.2.3.4[tcp/443]");
	assert_int_equal(sel.family, AF_INET);
	assert_int_equal(sel.prefixlen_s, 16);
	assert_int_equal(sel.prefixlen_d, 32);
	assert_int_equal(sel.proto, IPPROTO_TCP);
	assert_int_equal(ntohs(sel.dport), 443);
	assert_int_equal(ntohs(sel.dport_mask), 0xffff);
	assert_int_equal(sel.sport_mask, 0);
	assert_int_equal(sel.user, XFRM_OWNER_OAK);
	assert_string_equal(xfrm_sel_fmt(&sel, buf, sizeof(buf)),
			    "10.1.0.0/16[tcp] -> 10.2.3.4/32[tcp/443]");

	/* an aligned block of ports is a port/mask pair, exactly */
	sel_of(&sel, "2001:db8::/32[udp/1024-2047]", "2001:db8:1::/48");
	assert_int_equal(sel.family, AF_INET6);
	assert_int_equal(ntohs(sel.sport), 1024);
	assert_int_equal(ntohs(sel.sport_mask), 0xfc00);
	xfrm_sel_to_ts(&sel, &s, &d);
	assert_int_equal(s.port_lo, 1024);
	assert_int_equal(s.port_hi, 2047);
	assert_int_equal(ts_prefix_len(&d), 48);

	/* ICMP: type 8 code 0 (RFC 7296 3.13.1: type << 8 | code) -> sport 8, dport 0 */
	sel_of(&sel, "10.0.0.0/8[icmp/8/0]", "10.0.0.0/8");
	assert_int_equal(ntohs(sel.sport), 8);
	assert_int_equal(ntohs(sel.sport_mask), 0xff);
	assert_int_equal(ntohs(sel.dport), 0);
	assert_int_equal(ntohs(sel.dport_mask), 0xff);
	xfrm_sel_to_ts(&sel, &s, &d);
	assert_int_equal(s.port_lo, 2048);
	assert_int_equal(s.port_hi, 2048);
}

static void selector_ranges_use_covering_prefix(void **state)
{
	struct xfrm_selector sel;
	struct ts s, d;

	(void)state;
	logcap_start();
	/* 10.0.0.1..10.0.0.9 is no prefix: the kernel gets 10.0.0.0/28 */
	sel_of(&sel, "10.0.0.1-10.0.0.9", "192.0.2.0/24[tcp/1000-1003]");
	assert_int_equal(sel.prefixlen_s, 28);
	assert_memory_equal(&sel.saddr, "\x0a\x00\x00\x00", 4);
	assert_true(logcap_contains("not the range 10.0.0.1..10.0.0.9"));
	assert_true(logcap_contains("using the covering 10.0.0.0/28"));
	/* 1000-1003 is an aligned block: no warning for it */
	assert_false(logcap_contains("port range of 192.0.2.0/24"));
	assert_int_equal(ntohs(sel.dport_mask), 0xfffc);
	/* 1001-1002 is not: the covering block 1000-1003 and a warning */
	sel_of(&sel, "10.0.0.0/24", "10.0.1.0/24[udp/1001-1002]");
	assert_true(logcap_contains("cannot express the port range of 10.0.1.0/24[udp/1001-1002]"));
	assert_int_equal(ntohs(sel.dport), 1000);
	assert_int_equal(ntohs(sel.dport_mask), 0xfffc);
	logcap_stop();
	/* families must agree */
	ts(&s, "10.0.0.0/8");
	ts(&d, "2001:db8::/32");
	assert_int_equal(xfrm_sel_from_ts(&sel, &s, &d, 1), -EINVAL);
}

static void open_rejects_owner_zero(void **state)
{
	int err = 0;

	(void)state;
	assert_null(xfrm_open(0, &err));
	assert_int_equal(err, -EINVAL);
	/* its trap value would be 0, what `ip xfrm` writes */
	err = 0;
	assert_null(xfrm_open(0xffffffffu, &err));
	assert_int_equal(err, -EINVAL);
}

/* ---- against the kernel ---- */

static void alloc_spi_makes_larval_states(void **state)
{
	struct fx *f = fx_open(XFRM_OWNER_OAK);
	struct ip_addr a, b;
	uint32_t s1 = 0, s2 = 0, s3 = 0;
	struct dump d;

	(void)state;
	addr(&a, "192.0.2.1");
	addr(&b, "192.0.2.2");
	assert_int_equal(f->ops.alloc_spi(f->ops.ctx, IPPROTO_ESP, &a, &b, 11, &s1), 0);
	assert_int_equal(f->ops.alloc_spi(f->ops.ctx, IPPROTO_ESP, &a, &b, 11, &s2), 0);
	assert_int_equal(f->ops.alloc_spi(f->ops.ctx, IPPROTO_AH, &a, &b, 12, &s3), 0);
	assert_true(s1 >= XFRM_SPI_MIN && s1 <= XFRM_SPI_MAX);
	assert_true(s2 >= XFRM_SPI_MIN && s2 <= XFRM_SPI_MAX);
	assert_int_not_equal(s1, s2);
	kernel_dump(&d);
	assert_int_equal(d.nsas, 3);
	for (int i = 0; i < d.nsas; i++) {
		uint32_t spi = ntohl(d.sas[i].id.spi);

		assert_true(spi == s1 || spi == s2 || spi == s3);
		assert_int_equal(d.sas[i].reqid, spi == s3 ? 12 : 11);
		assert_int_equal(d.sas[i].id.proto, spi == s3 ? IPPROTO_AH : IPPROTO_ESP);
		assert_memory_equal(&d.sas[i].id.daddr, b.a, 4);
		assert_memory_equal(&d.sas[i].saddr, a.a, 4);
	}
	/* delete one; the other two go with flush_own */
	assert_int_equal(f->ops.del_sa(f->ops.ctx, IPPROTO_ESP, s1, &b), 0);
	kernel_dump(&d);
	assert_int_equal(d.nsas, 2);
	assert_int_equal(xfrm_flush_own(f->x), 2);
	kernel_dump(&d);
	assert_int_equal(d.nsas, 0);
	/* gone: ESRCH, said as such */
	logcap_start();
	assert_int_equal(f->ops.del_sa(f->ops.ctx, IPPROTO_ESP, s1, &b), -ESRCH);
	assert_true(logcap_contains("the kernel has no such SA"));
	xfrm_close(f->x);
}

static void policies_read_back(void **state)
{
	static const enum kernel_dir dirs[] = {KERNEL_DIR_OUT, KERNEL_DIR_IN, KERNEL_DIR_FWD};
	struct fx *f = fx_open(XFRM_OWNER_OAK);
	struct kernel_policy p;
	struct dump d;

	(void)state;
	for (int i = 0; i < 3; i++) {
		bool out = dirs[i] == KERNEL_DIR_OUT;

		fill_policy(&p, out ? "198.51.100.0/24" : "203.0.113.0/24",
			    out ? "203.0.113.0/24" : "198.51.100.0/24", dirs[i]);
		assert_int_equal(f->ops.add_policy(f->ops.ctx, &p), 0);
	}
	kernel_dump(&d);
	assert_int_equal(d.npols, 3);
	for (int i = 0; i < d.npols; i++) {
		const struct pol *k = &d.pols[i];
		bool out = k->info.dir == XFRM_POLICY_OUT;

		assert_int_equal(k->info.sel.user, XFRM_OWNER_OAK);
		assert_int_equal(k->info.sel.family, AF_INET);
		assert_int_equal(k->info.sel.prefixlen_s, 24);
		assert_int_equal(k->info.sel.prefixlen_d, 24);
		assert_memory_equal(&k->info.sel.saddr,
				    out ? "\xc6\x33\x64\x00" : "\xcb\x00\x71\x00", 4);
		assert_int_equal(k->info.priority, 2000);
		assert_int_equal(k->info.action, XFRM_POLICY_ALLOW);
		assert_true(k->has_tmpl);
		assert_int_equal(k->tmpl.id.proto, IPPROTO_ESP);
		assert_int_equal(k->tmpl.mode, XFRM_MODE_TUNNEL);
		assert_int_equal(k->tmpl.reqid, 7);
		assert_int_equal(k->tmpl.family, AF_INET);
		assert_memory_equal(&k->tmpl.saddr, out ? "\xc0\x00\x02\x01" : "\xc0\x00\x02\x02",
				    4);
		assert_memory_equal(&k->tmpl.id.daddr,
				    out ? "\xc0\x00\x02\x02" : "\xc0\x00\x02\x01", 4);
	}
	/* delete the fwd one, then again: the kernel's ENOENT, logged */
	fill_policy(&p, "203.0.113.0/24", "198.51.100.0/24", KERNEL_DIR_FWD);
	assert_int_equal(f->ops.del_policy(f->ops.ctx, &p), 0);
	kernel_dump(&d);
	assert_int_equal(d.npols, 2);
	logcap_start();
	assert_int_equal(f->ops.del_policy(f->ops.ctx, &p), -ENOENT);
	assert_true(logcap_contains("xfrm: delete policy 203.0.113.0/24 -> 198.51.100.0/24 fwd "
				    "failed: No such file or directory (errno 2)"));
	xfrm_close(f->x);
}

/* A trap policy, then the CHILD SA's policy with the same selector: two
 * policies (the trap carries the trap owner value), the CHILD SA's with
 * its better priority; deleting the CHILD SA's leaves the trap for the next
 * packet, and flush_own removes the trap too. */
static void trap_policy_outlives_child_policy(void **state)
{
	struct fx *f = fx_open(XFRM_OWNER_OAK);
	struct kernel_policy p;
	struct dump d;
	int trap, child;

	(void)state;
	fill_policy(&p, "198.51.100.0/24", "203.0.113.0/24[tcp/22]", KERNEL_DIR_OUT);
	p.trap = true;
	p.priority = 3000;
	p.reqid = 8;
	assert_int_equal(f->ops.add_policy(f->ops.ctx, &p), 0);
	p.trap = false;
	p.priority = 2000;
	assert_int_equal(f->ops.add_policy(f->ops.ctx, &p), 0);
	kernel_dump(&d);
	assert_int_equal(d.npols, 2);
	trap = d.pols[0].info.sel.user == XFRM_OWNER_TRAP(XFRM_OWNER_OAK) ? 0 : 1;
	child = 1 - trap;
	assert_int_equal(d.pols[trap].info.sel.user, XFRM_OWNER_TRAP(XFRM_OWNER_OAK));
	assert_int_equal(d.pols[trap].info.priority, 3000);
	assert_int_equal(d.pols[child].info.sel.user, XFRM_OWNER_OAK);
	assert_int_equal(d.pols[child].info.priority, 2000);
	assert_int_equal(d.pols[child].tmpl.reqid, 8);
	assert_int_equal(d.pols[trap].tmpl.reqid, 8);
	assert_int_equal(d.pols[trap].info.sel.proto, IPPROTO_TCP);
	assert_int_equal(ntohs(d.pols[trap].info.sel.dport), 22);
	/* the CHILD SA goes: its policy only */
	assert_int_equal(f->ops.del_policy(f->ops.ctx, &p), 0);
	kernel_dump(&d);
	assert_int_equal(d.npols, 1);
	assert_int_equal(d.pols[0].info.sel.user, XFRM_OWNER_TRAP(XFRM_OWNER_OAK));
	/* adding the trap again (a reload) replaces it, no duplicate */
	p.trap = true;
	p.priority = 3000;
	assert_int_equal(f->ops.add_policy(f->ops.ctx, &p), 0);
	kernel_dump(&d);
	assert_int_equal(d.npols, 1);
	assert_int_equal(xfrm_flush_own(f->x), 1);
	kernel_dump(&d);
	assert_int_equal(d.npols, 0);
	/* deleting a trap that is gone says so */
	assert_int_equal(f->ops.del_policy(f->ops.ctx, &p), -ENOENT);
	xfrm_close(f->x);
}

/* Another daemon's entries (other owner) and `ip xfrm`'s (owner 0) with the
 * very same selectors survive oak's deletes and flushes. */
static void foreign_entries_untouched(void **state)
{
	struct fx *oak = fx_open(XFRM_OWNER_OAK);
	struct fx *other = fx_open(OTHER_OWNER);
	struct kernel_policy p;
	struct ip_addr a, b;
	uint32_t spi = 0;
	struct dump d;

	(void)state;
	fill_policy(&p, "198.51.100.0/24", "203.0.113.0/24", KERNEL_DIR_OUT);
	raw_policy_add("198.51.100.0/24", "203.0.113.0/24", XFRM_POLICY_OUT);
	assert_int_equal(other->ops.add_policy(other->ops.ctx, &p), 0);
	assert_int_equal(oak->ops.add_policy(oak->ops.ctx, &p), 0);
	kernel_dump(&d);
	assert_int_equal(d.npols, 3);
	/* oak's delete takes oak's policy only */
	assert_int_equal(oak->ops.del_policy(oak->ops.ctx, &p), 0);
	kernel_dump(&d);
	assert_int_equal(count_pols(&d, XFRM_OWNER_OAK), 0);
	assert_int_equal(count_pols(&d, OTHER_OWNER), 1);
	assert_int_equal(count_pols(&d, 0), 1);
	/* an SA another daemon allocated: oak refuses to delete it */
	addr(&a, "192.0.2.1");
	addr(&b, "192.0.2.2");
	assert_int_equal(other->ops.alloc_spi(other->ops.ctx, IPPROTO_ESP, &a, &b, 5, &spi), 0);
	logcap_start();
	assert_int_equal(oak->ops.del_sa(oak->ops.ctx, IPPROTO_ESP, spi, &b), -EPERM);
	assert_true(logcap_contains("was not installed by this oakd"));
	logcap_stop();
	/* oak's flush: its own new policy goes, the rest stays */
	assert_int_equal(oak->ops.add_policy(oak->ops.ctx, &p), 0);
	assert_int_equal(xfrm_flush_own(oak->x), 1);
	kernel_dump(&d);
	assert_int_equal(d.npols, 2);
	assert_int_equal(count_pols(&d, XFRM_OWNER_OAK), 0);
	assert_int_equal(d.nsas, 1);
	assert_int_equal(ntohl(d.sas[0].id.spi), spi);
	xfrm_close(oak->x);
	xfrm_close(other->x);
}

/* A run that died left policies: the next start's flush removes them. */
static void flush_own_after_restart(void **state)
{
	struct fx *f = fx_open(XFRM_OWNER_OAK);
	struct kernel_policy p;
	struct dump d;

	(void)state;
	fill_policy(&p, "198.51.100.0/24", "203.0.113.0/24", KERNEL_DIR_OUT);
	assert_int_equal(f->ops.add_policy(f->ops.ctx, &p), 0);
	fill_policy(&p, "203.0.113.0/24", "198.51.100.0/24", KERNEL_DIR_IN);
	assert_int_equal(f->ops.add_policy(f->ops.ctx, &p), 0);
	raw_policy_add("10.0.0.0/8", "10.0.0.0/8", XFRM_POLICY_IN);
	xfrm_close(f->x); /* no flush: as if oakd had crashed */
	f = fx_open(XFRM_OWNER_OAK);
	assert_int_equal(xfrm_flush_own(f->x), 2);
	kernel_dump(&d);
	assert_int_equal(d.npols, 1);
	assert_int_equal(d.pols[0].info.sel.user, 0);
	assert_int_equal(xfrm_flush_own(f->x), 0);
	xfrm_close(f->x);
}

/* ESP SAs: installed where the kernel has ESP, else a clear error with the
 * kernel's own words. */
static void add_sa_esp(void **state)
{
	struct fx *f = fx_open(XFRM_OWNER_OAK);
	struct kernel_sa sa;
	struct dump d;
	int rc;

	(void)state;
	for (int gcm = 0; gcm < 2; gcm++) {
		fill_sa(&sa, 0xc0000100u + (uint32_t)gcm, gcm);
		sa.encap_sport = 4500;
		sa.encap_dport = 4501;
		logcap_start();
		rc = f->ops.add_sa(f->ops.ctx, &sa);
		if (rc == 0) {
			kernel_dump(&d);
			assert_int_equal(d.nsas, 1);
			assert_int_equal(ntohl(d.sas[0].id.spi), sa.spi);
			assert_int_equal(d.sas[0].sel.user, XFRM_OWNER_OAK);
			assert_int_equal(d.sas[0].reqid, 7);
			assert_int_equal(d.sas[0].lft.soft_add_expires_seconds, 3240);
			assert_int_equal(d.sas[0].lft.hard_byte_limit, XFRM_INF);
			assert_int_equal(xfrm_flush_own(f->x), 1);
		} else {
			char want[64];

			/* no ESP: EPROTONOSUPPORT ("Requested type not found"),
			 * or ENOSYS when the AEAD lookup fails first */
			assert_true(rc == -EPROTONOSUPPORT || rc == -ENOSYS);
			snprintf(want, sizeof(want), "(errno %d): kernel says: ", -rc);
			assert_true(logcap_contains(want));
			assert_true(logcap_contains(
				gcm ? "xfrm: add SA esp spi c0000101 192.0.2.1 -> 192.0.2.2 failed"
				    : "xfrm: add SA esp spi c0000100 192.0.2.1 -> 192.0.2.2 "
				      "failed"));
			assert_true(strlen(xfrm_last_error(f->x)) > 0);
			assert_true(logcap_contains(xfrm_last_error(f->x)));
			kernel_dump(&d);
			assert_int_equal(d.nsas, 0);
		}
		logcap_stop();
	}
	xfrm_close(f->x);
}

/* What the backend refuses itself, before asking the kernel. */
static void add_sa_bad_requests(void **state)
{
	struct fx *f = fx_open(XFRM_OWNER_OAK);
	struct kernel_sa sa;

	(void)state;
	logcap_start();
	fill_sa(&sa, 0xc0000200u, false);
	sa.proto = IPPROTO_AH; /* AH with encryption */
	assert_int_equal(f->ops.add_sa(f->ops.ctx, &sa), -EINVAL);
	assert_true(logcap_contains("AH takes no encryption, got 'cbc(aes)'"));
	fill_sa(&sa, 0xc0000201u, false);
	sa.integ_alg = "hmac(sha256)-but-with-a-name-far-longer-than-the-64-bytes-xfrm-allows";
	assert_int_equal(f->ops.add_sa(f->ops.ctx, &sa), -EINVAL);
	assert_true(logcap_contains("expected a name under 64 characters"));
	logcap_stop();
	xfrm_close(f->x);
}

/* ---- events ---- */

struct seen {
	int acquires, expires;
	struct xfrm_acquire a;
	struct xfrm_expire e;
};

static void on_acquire(void *ctx, const struct xfrm_acquire *a)
{
	struct seen *s = ctx;

	s->acquires++;
	s->a = *a;
}

static void on_expire(void *ctx, const struct xfrm_expire *e)
{
	struct seen *s = ctx;

	s->expires++;
	s->e = *e;
}

/* Wait (at most ms) until fd is readable; whether it became so. */
static bool wait_readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1;
}

static void send_udp(const char *dst, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, dst, &sin.sin_addr), 1);
	/* the policy holds the packet (or drops it: EAGAIN); either way the
	 * kernel asks for an SA */
	(void)sendto(fd, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
}

static void acquire_from_trap_policy(void **state)
{
	struct fx *oak = fx_open(XFRM_OWNER_OAK);
	struct fx *other = fx_open(OTHER_OWNER);
	struct xfrm_event_handlers h = {.acquire = on_acquire, .expire = on_expire};
	struct seen mine = {0}, theirs = {0};
	struct kernel_policy p;
	char buf[TS_STRLEN];

	(void)state;
	assert_int_equal(xfrm_events_fd(oak->x), -1);
	h.ctx = &mine;
	assert_int_equal(xfrm_events_open(oak->x, &h), 0);
	h.ctx = &theirs;
	assert_int_equal(xfrm_events_open(other->x, &h), 0);
	assert_true(xfrm_events_fd(oak->x) >= 0);
	assert_int_equal(xfrm_events_open(oak->x, &h), -EALREADY);

	fill_policy(&p, "127.0.0.1/32", "127.0.0.2/32[udp/5000]", KERNEL_DIR_OUT);
	p.trap = true;
	p.reqid = 42;
	assert_int_equal(oak->ops.add_policy(oak->ops.ctx, &p), 0);
	send_udp("127.0.0.2", 5000);
	assert_true(wait_readable(xfrm_events_fd(oak->x), 2000));
	assert_int_equal(xfrm_events_read(oak->x), 1);
	assert_int_equal(mine.acquires, 1);
	assert_int_equal(mine.a.reqid, 42);
	assert_int_equal(mine.a.proto, IPPROTO_ESP);
	/* one protocol for the pair: the kernel's selector has one */
	assert_string_equal(ts_fmt(&mine.a.src, buf, sizeof(buf)), "127.0.0.1/32[udp]");
	assert_string_equal(ts_fmt(&mine.a.dst, buf, sizeof(buf)), "127.0.0.2/32[udp/5000]");
	assert_int_equal(mine.a.pkt_dst.port_lo, 5000);
	assert_int_equal(mine.a.pkt_dst.proto, IPPROTO_UDP);
	assert_string_equal(ip_addr_fmt(&mine.a.remote, buf, sizeof(buf)), "192.0.2.2");
	assert_string_equal(ip_addr_fmt(&mine.a.local, buf, sizeof(buf)), "192.0.2.1");
	/* the other daemon heard it too, and skipped it: not its policy */
	assert_true(wait_readable(xfrm_events_fd(other->x), 2000));
	assert_int_equal(xfrm_events_read(other->x), 0);
	assert_int_equal(theirs.acquires, 0);
	/* nothing more pending */
	assert_int_equal(xfrm_events_read(oak->x), 0);
	xfrm_close(oak->x);
	xfrm_close(other->x);
}

static void write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, value, strlen(value)), (ssize_t)strlen(value));
	close(fd);
}

/* A larval SPI nobody completes expires (net.core.xfrm_acq_expires, set to
 * 1 s in this namespace): a hard expire marked larval. */
static void larval_spi_expires(void **state)
{
	struct fx *f = fx_open(XFRM_OWNER_OAK);
	struct xfrm_event_handlers h = {.acquire = on_acquire, .expire = on_expire};
	struct seen s = {0};
	struct ip_addr a, b;
	uint32_t spi = 0;
	char buf[IP_ADDR_STRLEN];

	(void)state;
	h.ctx = &s;
	assert_int_equal(xfrm_events_open(f->x, &h), 0);
	addr(&a, "192.0.2.1");
	addr(&b, "192.0.2.2");
	write_sysctl("/proc/sys/net/core/xfrm_acq_expires", "1");
	assert_int_equal(f->ops.alloc_spi(f->ops.ctx, IPPROTO_ESP, &a, &b, 9, &spi), 0);
	write_sysctl("/proc/sys/net/core/xfrm_acq_expires", "30");
	for (int i = 0; i < 30 && s.expires == 0; i++)
		if (wait_readable(xfrm_events_fd(f->x), 200))
			assert_true(xfrm_events_read(f->x) >= 0);
	assert_int_equal(s.expires, 1);
	assert_int_equal(s.e.spi, spi);
	assert_int_equal(s.e.proto, IPPROTO_ESP);
	assert_int_equal(s.e.reqid, 9);
	assert_true(s.e.hard);
	assert_true(s.e.larval);
	assert_string_equal(ip_addr_fmt(&s.e.dst, buf, sizeof(buf)), "192.0.2.2");
	/* forgotten: nothing left to flush */
	assert_int_equal(xfrm_flush_own(f->x), 0);
	assert_int_equal(xfrm_events_lost(f->x), 0);
	xfrm_close(f->x);
}

/* ---- a namespace of our own ---- */

static int netns_setup(void)
{
	struct ifreq ifr;
	int fd;

	if (unshare(CLONE_NEWNET) < 0) {
		printf("# SKIP: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 77;
	}
	/* lo up, with XFRM on it (off by default) so a trap policy on
	 * 127.0.0.0/8 makes ACQUIREs */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return 1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return 1;
	close(fd);
	fd = open("/proc/sys/net/ipv4/conf/lo/disable_xfrm", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		return 1;
	close(fd);
	raw = mnl_socket_open(NETLINK_XFRM);
	if (!raw || mnl_socket_bind(raw, 0, MNL_SOCKET_AUTOPID) < 0) {
		printf("# SKIP: no NETLINK_XFRM in this kernel: %s\n", strerror(errno));
		return 77;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(selector_prefixes_and_ports),
		cmocka_unit_test(selector_ranges_use_covering_prefix),
		cmocka_unit_test(open_rejects_owner_zero),
		cmocka_unit_test_teardown(alloc_spi_makes_larval_states, teardown),
		cmocka_unit_test_teardown(policies_read_back, teardown),
		cmocka_unit_test_teardown(trap_policy_outlives_child_policy, teardown),
		cmocka_unit_test_teardown(foreign_entries_untouched, teardown),
		cmocka_unit_test_teardown(flush_own_after_restart, teardown),
		cmocka_unit_test_teardown(add_sa_esp, teardown),
		cmocka_unit_test_teardown(add_sa_bad_requests, teardown),
		cmocka_unit_test_teardown(acquire_from_trap_policy, teardown),
		cmocka_unit_test_teardown(larval_spi_expires, teardown),
	};
	int rc;

	if (geteuid() != 0) {
		printf("# SKIP: test_xfrm needs root (a network namespace and XFRM netlink)\n");
		return 77;
	}
	rc = netns_setup();
	if (rc != 0) {
		if (rc != 77)
			printf("cannot set up the test namespace: %s\n", strerror(errno));
		return rc;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	mnl_socket_close(raw);
	return rc;
}
