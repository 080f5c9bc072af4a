/* sig_asn1.c: the DER side of signatures (see sig.h): AlgorithmIdentifier
 * parsing (RFC 7427 A, RFC 4055 3.1 RSASSA-PSS parameters) and the RFC 7427 3
 * Authentication Data around a signature. The scheme table is sig.c's. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "crypto/sig.h"
#include "crypto/sig_int.h"
#include "lib/cursor.h"
#include "lib/util.h"

/* ---- RFC 7427 AlgorithmIdentifier parsing ---- */

static void err_set(struct sig_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void err_set(struct sig_err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
}

/* One DER TLV (X.690 8.1) with a definite length in its shortest form.
 * -EPROTO when it does not fit the cursor or is not DER. */
static int der_tlv(struct cursor *c, uint8_t *tag, struct span *val)
{
	uint8_t l0, l1 = 0, l2 = 0;
	size_t len;

	cur_u8(c, tag);
	cur_u8(c, &l0);
	if (l0 == 0x81) {
		cur_u8(c, &l1);
		len = l1;
		if (len < 0x80)
			return -EPROTO;
	} else if (l0 == 0x82) {
		cur_u8(c, &l1);
		cur_u8(c, &l2);
		len = (size_t)l1 << 8 | l2;
		if (len < 0x100)
			return -EPROTO;
	} else if (l0 < 0x80) {
		len = l0;
	} else {
		return -EPROTO; /* longer lengths cannot occur in an AlgorithmIdentifier */
	}
	if ((*tag & 0x1f) == 0x1f)
		return -EPROTO; /* multi-octet tags: none in these structures */
	if (cur_span(c, len, val) < 0)
		return -EPROTO;
	return 0;
}

/* An AlgorithmIdentifier SEQUENCE { OID, params OPTIONAL } filling all of
 * `in`: *oid gets the OID's contents, *params the rest (empty when absent). */
static int der_algid(struct span in, struct span *oid, struct span *params)
{
	struct cursor c, seq;
	struct span body;
	uint8_t tag;

	cur_init(&c, in.p, in.len);
	if (der_tlv(&c, &tag, &body) < 0 || tag != 0x30 || cur_left(&c) != 0)
		return -EPROTO;
	cur_init(&seq, body.p, body.len);
	if (der_tlv(&seq, &tag, oid) < 0 || tag != 0x06 || oid->len == 0)
		return -EPROTO;
	*params = cur_rest(&seq);
	return 0;
}

static bool span_eq(struct span s, const uint8_t *p, size_t len)
{
	return s.len == len && memcmp(s.p, p, len) == 0;
}

static bool params_null(struct span p)
{
	return p.len == 2 && p.p[0] == 0x05 && p.p[1] == 0x00;
}

/* Dotted text of an OID's contents, for messages. */
static const char *oid_text(struct span oid, char *buf, size_t n)
{
	uint8_t der[130];
	const uint8_t *p = der;
	ASN1_OBJECT *o;

	snprintf(buf, n, "(unreadable OID)");
	if (oid.len > sizeof(der) - 2)
		return buf;
	der[0] = 0x06;
	der[1] = (uint8_t)oid.len;
	memcpy(der + 2, oid.p, oid.len);
	o = d2i_ASN1_OBJECT(NULL, &p, (long)(oid.len + 2));
	if (o != NULL && OBJ_obj2txt(buf, (int)n, o, 1) <= 0)
		snprintf(buf, n, "(unreadable OID)");
	ASN1_OBJECT_free(o);
	ERR_clear_error();
	return buf;
}

/* OID contents (after tag and length) of the hashes RSASSA-PSS may name. */
static const uint8_t oid_sha1[] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};
static const uint8_t oid_sha2_prefix[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02};
static const uint8_t oid_mgf1[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08};
static const uint8_t oid_rsassa_pss[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a};

/* A hash AlgorithmIdentifier inside PSS parameters: *hash gets its RFC 7427
 * number (SHA-1 = SIG_HASH_SHA1); -ENOTSUP for other hashes. */
static int pss_hash(struct span algid, enum sig_hash *hash, struct sig_err *err)
{
	struct span oid, params;
	char buf[64];

	if (der_algid(algid, &oid, &params) < 0 || (params.len != 0 && !params_null(params))) {
		err_set(err, "RSASSA-PSS parameters: malformed hash AlgorithmIdentifier");
		return -EPROTO;
	}
	if (span_eq(oid, oid_sha1, sizeof(oid_sha1))) {
		*hash = SIG_HASH_SHA1;
		return 0;
	}
	if (oid.len == sizeof(oid_sha2_prefix) + 1 &&
	    memcmp(oid.p, oid_sha2_prefix, sizeof(oid_sha2_prefix)) == 0 &&
	    oid.p[sizeof(oid_sha2_prefix)] >= 1 && oid.p[sizeof(oid_sha2_prefix)] <= 3) {
		/* 2.16.840.1.101.3.4.2.{1,2,3}: SHA-256, SHA-384, SHA-512 */
		*hash = (enum sig_hash)(SIG_HASH_SHA2_256 + oid.p[sizeof(oid_sha2_prefix)] - 1);
		return 0;
	}
	err_set(err, "RSASSA-PSS hash %s: expected SHA-256, SHA-384 or SHA-512",
		oid_text(oid, buf, sizeof(buf)));
	return -ENOTSUP;
}

/* maskGenAlgorithm: SEQUENCE { id-mgf1, hash AlgorithmIdentifier } (RFC 4055 3.1). */
static int pss_mgf(struct span algid, enum sig_hash *hash, struct sig_err *err)
{
	struct span oid, params;
	char buf[64];

	if (der_algid(algid, &oid, &params) < 0) {
		err_set(err, "RSASSA-PSS parameters: malformed maskGenAlgorithm");
		return -EPROTO;
	}
	if (!span_eq(oid, oid_mgf1, sizeof(oid_mgf1))) {
		err_set(err, "RSASSA-PSS mask generation %s: expected MGF1 (1.2.840.113549.1.1.8)",
			oid_text(oid, buf, sizeof(buf)));
		return -ENOTSUP;
	}
	return pss_hash(params, hash, err);
}

/* A small non-negative DER INTEGER wrapped in an explicit tag's contents. */
static int der_small_int(struct span in, unsigned *v)
{
	struct cursor c;
	struct span body;
	uint8_t tag;

	cur_init(&c, in.p, in.len);
	if (der_tlv(&c, &tag, &body) < 0 || tag != 0x02 || cur_left(&c) != 0 || body.len == 0 ||
	    body.len > 3 || (body.p[0] & 0x80) ||
	    (body.len > 1 && body.p[0] == 0 && !(body.p[1] & 0x80)))
		return -EPROTO;
	*v = 0;
	for (size_t i = 0; i < body.len; i++)
		*v = *v << 8 | body.p[i];
	return 0;
}

/* Hash output length in octets of an RFC 7427 hash number. */
static unsigned hash_len(enum sig_hash h)
{
	static const unsigned lens[] = {0, 20, 32, 48, 64, 0};

	return (unsigned)h < ARRAY_SIZE(lens) ? lens[h] : 0;
}

/* Walk the [0]..[3] fields of RSASSA-PSS-params (RFC 4055 3.1) in order,
 * each optional, starting from their DEFAULTs. */
static int pss_fields(struct cursor *c, enum sig_hash *hash, enum sig_hash *mgf, unsigned *salt,
		      unsigned *trailer, struct sig_err *err)
{
	int last = -1, rc;

	while (cur_left(c) > 0) {
		struct span v;
		uint8_t tag;
		int field;

		if (der_tlv(c, &tag, &v) < 0 || tag < 0xa0 || tag > 0xa3 || (tag - 0xa0) <= last) {
			err_set(err, "RSASSA-PSS parameters: expected fields [0] to [3] in order");
			return -EPROTO;
		}
		field = last = tag - 0xa0;
		if (field == 0)
			rc = pss_hash(v, hash, err);
		else if (field == 1)
			rc = pss_mgf(v, mgf, err);
		else
			rc = der_small_int(v, field == 2 ? salt : trailer);
		if (rc == -EPROTO && field >= 2)
			err_set(err, "RSASSA-PSS parameters: malformed INTEGER in field [%d]",
				field);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int pss_params(struct span params, enum sig_scheme *s, struct sig_err *err)
{
	enum sig_hash hash = SIG_HASH_SHA1, mgf = SIG_HASH_SHA1;
	unsigned salt = 20, trailer = 1;
	struct cursor c;
	struct span body;
	uint8_t tag;
	int rc;

	cur_init(&c, params.p, params.len);
	if (der_tlv(&c, &tag, &body) < 0 || tag != 0x30 || cur_left(&c) != 0) {
		err_set(err, "RSASSA-PSS: parameters must be a SEQUENCE (RFC 4055 3.1)");
		return -EPROTO;
	}
	cur_init(&c, body.p, body.len);
	rc = pss_fields(&c, &hash, &mgf, &salt, &trailer, err);
	if (rc < 0)
		return rc;
	if (hash == SIG_HASH_SHA1) {
		err_set(err, "RSASSA-PSS with SHA-1: expected SHA-256, SHA-384 or SHA-512");
		return -ENOTSUP;
	}
	if (mgf != hash) {
		err_set(err, "RSASSA-PSS: MGF1 with %s, expected the signature hash %s",
			enum_name(&sig_hash_names, mgf), enum_name(&sig_hash_names, hash));
		return -ENOTSUP;
	}
	if (salt != hash_len(hash)) {
		err_set(err, "RSASSA-PSS with %s: salt length %u, expected %u (the hash length)",
			enum_name(&sig_hash_names, hash), salt, hash_len(hash));
		return -ENOTSUP;
	}
	if (trailer != 1) {
		err_set(err, "RSASSA-PSS: trailerField %u, expected 1", trailer);
		return -ENOTSUP;
	}
	*s = hash == SIG_HASH_SHA2_256	 ? SIG_RSA_PSS_SHA256
	     : hash == SIG_HASH_SHA2_384 ? SIG_RSA_PSS_SHA384
					 : SIG_RSA_PSS_SHA512;
	return 0;
}

/* The AlgorithmIdentifier of d with its parameters cut off: OID contents. */
static struct span desc_oid(const struct sig_desc *d)
{
	/* every table entry is SEQUENCE (short length) { OID (short length) ... } */
	return (struct span){d->algid + 4, d->algid[3]};
}

int sig_algid_parse(const uint8_t *der, size_t len, enum sig_scheme *s, struct sig_err *err)
{
	const struct sig_desc *descs;
	struct span oid, params;
	char buf[64];
	size_t n;

	*s = SIG_NONE;
	if (der == NULL || der_algid((struct span){der, len}, &oid, &params) < 0) {
		err_set(err, "AlgorithmIdentifier: malformed DER (expected SEQUENCE { OID, ... })");
		return -EPROTO;
	}
	if (span_eq(oid, oid_rsassa_pss, sizeof(oid_rsassa_pss)))
		return pss_params(params, s, err);
	descs = sig_descs_all(&n);
	for (size_t i = 0; i < n; i++) {
		const struct sig_desc *d = &descs[i];
		struct span want = d->algid ? desc_oid(d) : (struct span){NULL, 0};

		if (d->algid == NULL || d->pss || !span_eq(oid, want.p, want.len))
			continue;
		/* RSA: NULL required (RFC 7427 A.1); ECDSA: absent (A.3), yet
		 * some peers add NULL; EdDSA: absent (RFC 8410 3). */
		if (params.len != 0 && !(params_null(params) && d->kind != KIND_KEY)) {
			err_set(err, "AlgorithmIdentifier %s: unexpected parameters (%zu octets)",
				oid_text(oid, buf, sizeof(buf)), params.len);
			return -EPROTO;
		}
		*s = d->scheme;
		return 0;
	}
	err_set(err,
		"signature algorithm %s not supported: expected RSA PKCS#1 v1.5 or RSASSA-PSS "
		"with SHA-2, ECDSA with SHA-2, Ed25519 or Ed448",
		oid_text(oid, buf, sizeof(buf)));
	return -ENOTSUP;
}

int sig_algid(enum sig_scheme s, struct span *out)
{
	const struct sig_desc *d = sig_desc(s);

	out->p = NULL;
	out->len = 0;
	if (d == NULL || d->algid == NULL)
		return -EINVAL;
	out->p = d->algid;
	out->len = d->algid_len;
	return 0;
}

/* ---- RFC 7427 3 Authentication Data ---- */

int sig_auth_data_encode(enum sig_scheme s, const uint8_t *sig, size_t sig_len, uint8_t **out,
			 size_t *out_len)
{
	struct span algid;
	uint8_t *buf;

	*out = NULL;
	*out_len = 0;
	if (sig_algid(s, &algid) < 0 || sig == NULL || sig_len == 0 ||
	    sig_len > SIZE_MAX - 1 - algid.len)
		return -EINVAL;
	buf = malloc(1 + algid.len + sig_len);
	if (buf == NULL)
		return -ENOMEM;
	buf[0] = (uint8_t)algid.len; /* every AlgorithmIdentifier of ours is < 256 octets */
	memcpy(buf + 1, algid.p, algid.len);
	memcpy(buf + 1 + algid.len, sig, sig_len);
	*out = buf;
	*out_len = 1 + algid.len + sig_len;
	return 0;
}

int sig_auth_data_decode(const uint8_t *data, size_t len, enum sig_scheme *s, struct span *sig,
			 struct sig_err *err)
{
	struct span algid;
	struct cursor c;
	uint8_t alen;
	int rc;

	*s = SIG_NONE;
	sig->p = NULL;
	sig->len = 0;
	cur_init(&c, data, data ? len : 0);
	if (cur_u8(&c, &alen) < 0) {
		err_set(err, "Digital Signature AUTH data: empty, expected ASN.1 Length octet");
		return -EMSGSIZE;
	}
	if (cur_span(&c, alen, &algid) < 0) {
		err_set(err,
			"Digital Signature AUTH data: ASN.1 Length %u, but only %zu octets follow",
			alen, len - 1);
		return -EMSGSIZE;
	}
	rc = sig_algid_parse(algid.p, algid.len, s, err);
	if (rc < 0)
		return rc;
	*sig = cur_rest(&c);
	if (sig->len == 0) {
		*s = SIG_NONE;
		sig->p = NULL;
		err_set(err,
			"Digital Signature AUTH data: no Signature Value after the %u-octet "
			"AlgorithmIdentifier",
			alen);
		return -EMSGSIZE;
	}
	return 0;
}

int sig_sign_auth_data(const struct sig_key *k, enum sig_scheme s, const struct span *parts,
		       size_t nparts, uint8_t **out, size_t *out_len)
{
	struct span algid;
	uint8_t *sig;
	size_t sig_len;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (sig_algid(s, &algid) < 0)
		return -EINVAL;
	rc = sig_sign(k, s, parts, nparts, &sig, &sig_len);
	if (rc < 0)
		return rc;
	rc = sig_auth_data_encode(s, sig, sig_len, out, out_len);
	free(sig);
	return rc;
}
