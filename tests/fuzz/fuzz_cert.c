/* fuzz_cert: arbitrary bytes as the certificates a peer sends in CERT
 * payloads, and as a received CERTREQ.
 *
 * Input: DER certificates back to back (split where each outer SEQUENCE's
 * length says it ends; whatever does not parse as a TLV is the last piece),
 * validated as one chain against a store trusting the test PKI's root and
 * intermediate (tests/vectors/certs/, found through OAK_SRCDIR or the current
 * directory; an empty store when they are not there). The whole input is
 * also parsed as one certificate, its identities matched, and read as a
 * CERTREQ Certification Authority field.
 * Checks the promises of certs.h: a result code among those documented, a
 * filled result exactly on success, a reason whenever something failed;
 * anything else, or a crash, is a bug. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/certs.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1780000000ull /* 2026-05-28: the test PKI is valid */

static void quiet(void *ctx, enum log_sub sub, enum log_level lvl, const char *line)
{
	(void)ctx;
	(void)sub;
	(void)lvl;
	(void)line;
}

static void fuzz_add_ca(struct certs_store *s, const char *root, const char *rel)
{
	char path[4096], why[CERTS_WHY_LEN];
	static uint8_t buf[65536];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/vectors/certs/%s", root, rel);
	f = fopen(path, "rb");
	if (f == NULL)
		return;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	certs_add_ca(s, buf, n, rel, why, sizeof(why));
}

static struct certs_store *fuzz_store(void)
{
	static struct certs_store *s;
	const char *root = getenv("OAK_SRCDIR");
	char why[CERTS_WHY_LEN];

	if (s != NULL)
		return s;
	s = certs_store_new();
	if (s == NULL)
		abort();
	fuzz_add_ca(s, root != NULL ? root : ".", "x509ca/root.pem");
	fuzz_add_ca(s, root != NULL ? root : ".", "x509ca/int.pem");
	if (certs_store_seal(s, why, sizeof(why)) != 0)
		abort();
	return s;
}

/* Length of the DER TLV at p (tag, then a definite length), 0 when none. */
static size_t fuzz_tlv_len(const uint8_t *p, size_t n)
{
	size_t len, hdr = 2;

	if (n < 2)
		return 0;
	len = p[1];
	if (len & 0x80) {
		size_t k = len & 0x7f;

		if (k == 0 || k > 3 || n < 2 + k)
			return 0;
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | p[2 + i];
		hdr += k;
	}
	return hdr + len <= n ? hdr + len : 0;
}

static void fuzz_reason(int rc, const char *why)
{
	if (rc != 0 && (why[0] == '\0' || memchr(why, '\0', CERTS_WHY_LEN) == NULL))
		abort();
}

static void fuzz_ids(const struct certs_cert *c)
{
	static const uint8_t ip[4] = {192, 0, 2, 2};
	const struct ident *alt;
	struct ident id;
	size_t n;

	alt = certs_cert_alt_names(c, &n);
	for (size_t i = 0; i < n; i++)
		if (!certs_id_matches(c, &alt[i]))
			abort(); /* every name of a certificate is in it */
	if (certs_cert_subject(c)->type != 0 && !certs_id_matches(c, certs_cert_subject(c)))
		abort();
	if (ident_from_wire(IDENT_IPV4_ADDR, ip, sizeof(ip), &id) == 0)
		certs_id_matches(c, &id);
	if (ident_from_wire(IDENT_FQDN, (const uint8_t *)"ecdsa.oak.test", 14, &id) == 0)
		certs_id_matches(c, &id);
	if (certs_cert_der(c).len == 0)
		abort();
}

static void fuzz_chain(const struct certs_store *s, const uint8_t *data, size_t size)
{
	struct span chain[CERTS_CHAIN_MAX];
	char why[CERTS_WHY_LEN] = "";
	struct cert_result r;
	size_t n = 0, off = 0;
	int rc;

	while (off < size && n < CERTS_CHAIN_MAX) {
		size_t len = fuzz_tlv_len(data + off, size - off);

		if (len == 0 || n == CERTS_CHAIN_MAX - 1)
			len = size - off;
		chain[n++] = (struct span){data + off, len};
		off += len;
	}
	rc = certs_validate(s, chain, n, FUZZ_NOW, &r, why, sizeof(why));
	if (rc != 0 && rc != -EBADMSG && rc != -EPERM && rc != -ENOTSUP && rc != -EINVAL &&
	    rc != -ENOMEM)
		abort();
	if ((rc == 0) != (r.cert != NULL && r.pubkey != NULL))
		abort();
	fuzz_reason(rc, why);
	if (rc == 0)
		fuzz_ids(r.cert);
	cert_result_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	const struct certs_cert *cas[4];
	struct certs_cert *c = (struct certs_cert *)1;
	char why[CERTS_WHY_LEN] = "";
	int rc;

	if (!ready) {
		log_set_sink(quiet, NULL);
		ready = 1;
	}
	fuzz_chain(fuzz_store(), data, size);

	rc = certs_cert_parse(data, size, &c, why, sizeof(why));
	if ((rc == 0) != (c != NULL) || (rc != 0 && rc != -EBADMSG && rc != -ENOMEM))
		abort();
	fuzz_reason(rc, why);
	if (c != NULL)
		fuzz_ids(c);
	certs_cert_free(c);

	why[0] = '\0';
	rc = certs_certreq_match(fuzz_store(), data, size, cas, 4, why, sizeof(why));
	if (rc > 4 || (rc < 0 && rc != -EBADMSG))
		abort();
	fuzz_reason(rc < 0 ? rc : 0, why);
	return 0;
}
