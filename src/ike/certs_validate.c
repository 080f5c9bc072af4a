/* certs_validate.c: validating a peer's certificate chain (RFC 7296 3.6,
 * RFC 5280 6.1 through OpenSSL's X509_STORE_CTX), with the store's cache of
 * chains validated before (certs_cache.c). */
#include "ike/certs.h"
#include "ike/certs_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* --- validating a peer's chain --- */

/* OpenSSL's verdict as one line: which certificate, what is wrong with it. */
int certs_why_verify(X509_STORE_CTX *ctx, size_t sent, char *why, size_t whylen)
{
	int err = X509_STORE_CTX_get_error(ctx), depth = X509_STORE_CTX_get_error_depth(ctx);
	X509 *x = X509_STORE_CTX_get_current_cert(ctx);
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
	X509 *below = depth > 0 && chain != NULL ? sk_X509_value(chain, depth - 1) : NULL;
	char dn[256], issuer[256], when[48];

	if (x == NULL) {
		certs_why(why, whylen, "certificate chain rejected: %s",
			  X509_verify_cert_error_string(err));
		return -EPERM;
	}
	certs_subject_fmt(x, dn, sizeof(dn));
	certs_dn_fmt(X509_get_issuer_name(x), issuer, sizeof(issuer));
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		certs_why(why, whylen, "certificate '%s' expired on %s", dn,
			  certs_time_fmt(X509_get0_notAfter(x), when, sizeof(when)));
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		certs_why(why, whylen, "certificate '%s' is not valid before %s", dn,
			  certs_time_fmt(X509_get0_notBefore(x), when, sizeof(when)));
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
		certs_why(why, whylen, "no trusted CA for issuer '%s' of '%s'%s", issuer, dn,
			  sent == 1 ? " (the peer sent no intermediate CA certificate)" : "");
		break;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		certs_why(why, whylen, "signature of '%s' by '%s' does not verify", dn, issuer);
		break;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		certs_why(why, whylen, "certificate '%s' is self-signed and not a trusted CA", dn);
		break;
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		certs_why(why, whylen, "chain ends at self-signed '%s', which is not a trusted CA",
			  dn);
		break;
	case X509_V_ERR_INVALID_CA:
		certs_why(why, whylen, "'%s' issued '%s' but is not a CA (basicConstraints)", dn,
			  below != NULL ? certs_subject_fmt(below, issuer, sizeof(issuer)) : "?");
		break;
	case X509_V_ERR_PATH_LENGTH_EXCEEDED:
		certs_why(why, whylen, "path length constraint of CA '%s' exceeded", dn);
		break;
	case X509_V_ERR_CERT_CHAIN_TOO_LONG:
		certs_why(why, whylen, "chain of '%s' is longer than %d certificates", dn,
			  CERTS_CHAIN_MAX);
		break;
	default:
		certs_why(why, whylen, "certificate '%s' (chain depth %d) rejected: %s", dn, depth,
			  X509_verify_cert_error_string(err));
	}
	return -EPERM;
}

/* The peer's certificates as OpenSSL objects: *leaf and the intermediates. */
static int certs_decode_chain(const struct span *chain, size_t n, X509 **leaf,
			      STACK_OF(X509) * *untrusted, char *why, size_t whylen)
{
	*leaf = NULL;
	*untrusted = sk_X509_new_null();
	if (*untrusted == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		X509 *x = certs_d2i(chain[i].p, chain[i].len);

		if (x == NULL) {
			certs_why(why, whylen,
				  "certificate %zu of %zu from the peer (%zu bytes) is not a DER "
				  "X.509 certificate",
				  i + 1, n, chain[i].len);
			return -EBADMSG;
		}
		if (i == 0) {
			*leaf = x;
		} else if (sk_X509_push(*untrusted, x) <= 0) {
			X509_free(x);
			return -ENOMEM;
		}
	}
	return 0;
}

/* The end entity's part of a result: the certificate, its subject and key. */
static int certs_result_leaf(X509 *leaf, struct cert_result *out, char *why, size_t whylen)
{
	char dn[256];
	int rc;

	if (X509_up_ref(leaf) != 1)
		return -ENOMEM;
	rc = certs_cert_new(leaf, &out->cert);
	if (rc != 0)
		return rc;
	out->subject = out->cert->subject;
	rc = sig_pubkey_from_evp(X509_get0_pubkey(leaf), &out->pubkey);
	if (rc == -ENOTSUP || rc == -EINVAL) {
		const EVP_PKEY *pk = X509_get0_pubkey(leaf);

		certs_why(why, whylen, "certificate '%s' has a %s key, which oak does not support",
			  certs_subject_fmt(leaf, dn, sizeof(dn)),
			  pk != NULL ? EVP_PKEY_get0_type_name(pk) : "unreadable");
		rc = -ENOTSUP;
	}
	return rc;
}

/* Seconds since the epoch of an ASN.1 time; false when it does not read. */
static bool certs_time(const ASN1_TIME *t, uint64_t *out)
{
	struct tm tm;
	time_t v;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 || (v = timegm(&tm)) < 0)
		return false;
	*out = (uint64_t)v;
	return true;
}

/* What the verified path says beyond the end entity: its anchor, the CAs'
 * key IDs, and the time window in which all of its certificates are valid. */
static int certs_path_learn(STACK_OF(X509) * chain, struct certs_cached *c)
{
	int n = sk_X509_num(chain), rc = 0;

	memset(c, 0, sizeof(*c));
	c->not_after = UINT64_MAX;
	certs_name_ident(X509_get_subject_name(sk_X509_value(chain, n - 1)), &c->anchor);
	for (int i = 1; i < n && c->nca < CERTS_CHAIN_MAX && rc == 0; i++)
		rc = certs_spki_sha1(sk_X509_value(chain, i), c->ca_keyids[c->nca++]);
	for (int i = 0; i < n && rc == 0; i++) {
		X509 *x = sk_X509_value(chain, i);
		uint64_t from, until;

		if (!certs_time(X509_get0_notBefore(x), &from) ||
		    !certs_time(X509_get0_notAfter(x), &until))
			return -EINVAL; /* verified, yet unreadable: do not cache */
		c->not_before = from > c->not_before ? from : c->not_before;
		c->not_after = until < c->not_after ? until : c->not_after;
	}
	return rc;
}

static void certs_result_path(struct cert_result *out, const struct certs_cached *c)
{
	out->anchor = c->anchor;
	memcpy(out->ca_keyids, c->ca_keyids, sizeof(out->ca_keyids));
	out->nca = c->nca;
}

/* A chain X509_verify_cert accepted: the result, and the cache entry. */
static int certs_result_fill(const struct certs_store *s, const struct span *sent, size_t nsent,
			     X509 *leaf, STACK_OF(X509) * chain, struct cert_result *out, char *why,
			     size_t whylen)
{
	struct certs_cached c;
	int rc = certs_result_leaf(leaf, out, why, whylen);

	if (rc != 0)
		return rc;
	rc = certs_path_learn(chain, &c);
	if (rc == -EINVAL) {
		c.not_before = 1, c.not_after = 0; /* result fine, nothing cached */
		rc = 0;
	}
	if (rc != 0)
		return rc;
	certs_result_path(out, &c);
	if (c.not_before <= c.not_after)
		certs_cache_put(s->cache, sent, nsent, &c);
	return 0;
}

int certs_validate(const struct certs_store *s, const struct span *chain, size_t n, uint64_t now,
		   struct cert_result *out, char *why, size_t whylen)
{
	STACK_OF(X509) *untrusted = NULL;
	X509_STORE_CTX *ctx = NULL;
	struct certs_cached cached;
	X509 *leaf = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s->sealed || n == 0 || n > CERTS_CHAIN_MAX) {
		certs_why(why, whylen, "expected 1 to %d certificates from the peer, got %zu",
			  CERTS_CHAIN_MAX, n);
		return -EINVAL;
	}
	rc = certs_decode_chain(chain, n, &leaf, &untrusted, why, whylen);
	if (rc != 0)
		goto out;
	if (certs_cache_get(s->cache, chain, n, now, &cached)) { /* checked before */
		rc = certs_result_leaf(leaf, out, why, whylen);
		if (rc == 0)
			certs_result_path(out, &cached);
		goto out;
	}
	rc = -ENOMEM;
	ctx = X509_STORE_CTX_new();
	/* X509_STORE_CTX_init takes a non-const store; verification only reads it */
	if (ctx == NULL || X509_STORE_CTX_init(ctx, s->x509, leaf, untrusted) != 1)
		goto out;
	X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
	/* at most CERTS_CHAIN_MAX certificates: the limit counts only CAs in between */
	X509_VERIFY_PARAM_set_depth(X509_STORE_CTX_get0_param(ctx), CERTS_CHAIN_MAX - 2);
	if (X509_verify_cert(ctx) != 1)
		rc = certs_why_verify(ctx, n, why, whylen);
	else
		rc = certs_result_fill(s, chain, n, leaf, X509_STORE_CTX_get0_chain(ctx), out, why,
				       whylen);
out:
	if (rc == -ENOMEM)
		certs_why(why, whylen, "validating the peer's certificates: out of memory");
	if (rc != 0)
		cert_result_clear(out);
	X509_STORE_CTX_free(ctx);
	X509_free(leaf);
	sk_X509_pop_free(untrusted, X509_free);
	ERR_clear_error();
	return rc;
}

void certs_store_cache_stats(const struct certs_store *s, uint64_t *hits, uint64_t *misses)
{
	certs_cache_stats(s->cache, hits, misses);
}

void cert_result_clear(struct cert_result *r)
{
	certs_cert_free(r->cert);
	sig_pubkey_free(r->pubkey);
	memset(r, 0, sizeof(*r));
}

bool certs_result_has_ca(const struct certs_store *s, const struct cert_result *r, const char *name)
{
	const struct certs_cert *ca = certs_store_ca(s, name);

	for (size_t i = 0; ca != NULL && i < r->nca; i++)
		if (memcmp(r->ca_keyids[i], ca->keyid, CERTS_KEYID_LEN) == 0)
			return true;
	return false;
}
