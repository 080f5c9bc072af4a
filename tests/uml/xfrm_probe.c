/* xfrm_probe: drives the xfrm kernel backend from a shell script, for the
 * UML test (t-xfrm-guest.sh), which runs it in each of two namespaces:
 *
 *   xfrm_probe alloc esp|ah LOCAL REMOTE REQID
 *       alloc_spi for the inbound SA (REMOTE -> LOCAL); prints the SPI (hex)
 *   xfrm_probe install ALG LOCAL REMOTE LNET RNET SPI_OUT SPI_IN REQID
 *       the inbound SA (XFRM_MSG_UPDSA on the allocated SPI), the outbound SA
 *       (NEWSA) and tunnel policies out/in/fwd between LNET and RNET;
 *       ALG: gcm (rfc4106(gcm(aes)) 128, ICV 16), cbc (cbc(aes) 128 +
 *       hmac(sha256) 128), ah (AH hmac(sha256) 128)
 *   xfrm_probe flush
 *       xfrm_flush_own(); prints how many entries went
 *
 * Keys are a function of the SPI only, so both ends compute the same key for
 * each SA without exchanging anything (a test, not IKE). Exit status 0 on
 * success, 1 with the backend's log on stderr otherwise. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/xfrm.h"
#include "lib/log.h"

struct alg {
	const char *name;
	uint8_t proto;
	const char *encr;
	size_t encr_len;
	unsigned icv_bits;
	const char *integ;
	size_t integ_len;
	unsigned trunc_bits;
};

static const struct alg algs[] = {
	{"gcm", IPPROTO_ESP, "rfc4106(gcm(aes))", 20, 128, NULL, 0, 0},
	{"cbc", IPPROTO_ESP, "cbc(aes)", 16, 0, "hmac(sha256)", 32, 128},
	{"ah", IPPROTO_AH, NULL, 0, 0, "hmac(sha256)", 32, 128},
};

static int usage(void)
{
	fprintf(stderr, "usage: xfrm_probe alloc esp|ah LOCAL REMOTE REQID\n"
			"       xfrm_probe install gcm|cbc|ah LOCAL REMOTE LNET RNET SPI_OUT "
			"SPI_IN REQID\n"
			"       xfrm_probe flush\n");
	return 2;
}

static int parse_addr(const char *text, struct ip_addr *a)
{
	if (ip_addr_parse(text, a) < 0) {
		fprintf(stderr, "xfrm_probe: expected an IP address, got '%s'\n", text);
		return -1;
	}
	return 0;
}

static void key_of(uint32_t spi, uint8_t *key, size_t len)
{
	for (size_t i = 0; i < len; i++)
		key[i] = (uint8_t)((spi >> (8 * (i % 4))) + i * 7);
}

static int sa(const struct kernel_ops *ops, const struct alg *a, uint32_t spi,
	      const struct ip_addr *src, const struct ip_addr *dst, uint32_t reqid, bool in)
{
	uint8_t ek[64], ik[64];
	struct kernel_sa s;

	memset(&s, 0, sizeof(s));
	key_of(spi, ek, sizeof(ek));
	key_of(~spi, ik, sizeof(ik));
	s.spi = spi;
	s.proto = a->proto;
	s.mode = KERNEL_MODE_TUNNEL;
	s.inbound = in;
	s.update = in;
	s.src = *src;
	s.dst = *dst;
	s.reqid = reqid;
	s.encr_alg = a->encr;
	s.encr_key = ek;
	s.encr_key_len = a->encr_len;
	s.icv_bits = a->icv_bits;
	s.integ_alg = a->integ;
	s.integ_key = ik;
	s.integ_key_len = a->integ_len;
	s.integ_trunc_bits = a->trunc_bits;
	s.replay_window = 32;
	s.life.soft_seconds = 3000;
	s.life.hard_seconds = 3600;
	return ops->add_sa(ops->ctx, &s);
}

static int policies(const struct kernel_ops *ops, const struct alg *a, const struct ip_addr *l,
		    const struct ip_addr *r, const char *lnet, const char *rnet, uint32_t reqid)
{
	static const enum kernel_dir dirs[] = {KERNEL_DIR_OUT, KERNEL_DIR_IN, KERNEL_DIR_FWD};
	struct kernel_policy p;
	struct ts lt, rt;
	char err[128];

	if (ts_parse(lnet, &lt, err, sizeof(err)) < 0 ||
	    ts_parse(rnet, &rt, err, sizeof(err)) < 0) {
		fprintf(stderr, "xfrm_probe: %s\n", err);
		return -EINVAL;
	}
	for (size_t i = 0; i < 3; i++) {
		bool out = dirs[i] == KERNEL_DIR_OUT;
		int rc;

		memset(&p, 0, sizeof(p));
		p.src = out ? lt : rt;
		p.dst = out ? rt : lt;
		p.dir = dirs[i];
		p.priority = 1000;
		p.reqid = reqid;
		p.proto = a->proto;
		p.mode = KERNEL_MODE_TUNNEL;
		p.tun_src = out ? *l : *r;
		p.tun_dst = out ? *r : *l;
		if ((rc = ops->add_policy(ops->ctx, &p)) < 0)
			return rc;
	}
	return 0;
}

static int install(const struct kernel_ops *ops, char **argv)
{
	const struct alg *a = NULL;
	struct ip_addr l, r;
	uint32_t spi_out, spi_in, reqid;

	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(argv[0], algs[i].name) == 0)
			a = &algs[i];
	if (!a) {
		fprintf(stderr, "xfrm_probe: expected gcm, cbc or ah, got '%s'\n", argv[0]);
		return 2;
	}
	if (parse_addr(argv[1], &l) < 0 || parse_addr(argv[2], &r) < 0)
		return 2;
	spi_out = (uint32_t)strtoul(argv[5], NULL, 16);
	spi_in = (uint32_t)strtoul(argv[6], NULL, 16);
	reqid = (uint32_t)strtoul(argv[7], NULL, 10);
	if (sa(ops, a, spi_in, &r, &l, reqid, true) < 0 ||
	    sa(ops, a, spi_out, &l, &r, reqid, false) < 0 ||
	    policies(ops, a, &l, &r, argv[3], argv[4], reqid) < 0)
		return 1;
	printf("installed %s: out %08x in %08x reqid %u\n", a->name, spi_out, spi_in, reqid);
	return 0;
}

int main(int argc, char **argv)
{
	struct xfrm_backend *x;
	struct kernel_ops ops;
	int err, rc = 2;

	if (argc < 2)
		return usage();
	log_set_level_spec("kernel=debug");
	x = xfrm_open(XFRM_OWNER_OAK, &err);
	if (!x) {
		fprintf(stderr, "xfrm_probe: %s\n", strerror(-err));
		return 1;
	}
	xfrm_kernel_ops(x, &ops);
	if (strcmp(argv[1], "alloc") == 0 && argc == 6) {
		uint8_t proto = strcmp(argv[2], "ah") == 0 ? IPPROTO_AH : IPPROTO_ESP;
		struct ip_addr l, r;
		uint32_t spi = 0;

		rc = 2;
		if (parse_addr(argv[3], &l) == 0 && parse_addr(argv[4], &r) == 0) {
			rc = ops.alloc_spi(ops.ctx, proto, &r, &l,
					   (uint32_t)strtoul(argv[5], NULL, 10), &spi) < 0;
			if (rc == 0)
				printf("%08x\n", spi);
		}
	} else if (strcmp(argv[1], "install") == 0 && argc == 10) {
		rc = install(&ops, argv + 2);
	} else if (strcmp(argv[1], "flush") == 0 && argc == 2) {
		int n = xfrm_flush_own(x);

		rc = n < 0;
		if (n >= 0)
			printf("%d\n", n);
	} else {
		rc = usage();
	}
	xfrm_close(x);
	return rc;
}
