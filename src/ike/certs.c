/* certs.c: X.509 certificates for IKE authentication (see certs.h).
 *
 * OpenSSL does the path building and checking (X509_STORE_CTX, RFC 5280 6.1);
 * this file feeds it, turns its verdict into one line a user reads, and keeps
 * what the IKE engine asks for at hand: identities of a certificate, our own
 * chains, and the CERTREQ hashes of RFC 7296 3.7. Loading the files the
 * configuration names is in certs_load.c.
 */
#include "ike/certs.h"
#include "ike/certs_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "conf/model.h"
#include "lib/log.h"
#include "lib/util.h"

void certs_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

static void *certs_grow(void *arr, size_t n, size_t size)
{
	return realloc(arr, (n + 1) * size);
}

/* --- names and times, for messages --- */

int certs_name_ident(const X509_NAME *name, struct ident *out)
{
	unsigned char *der = NULL;
	int n = i2d_X509_NAME(name, &der), rc;

	memset(out, 0, sizeof(*out));
	if (n <= 0)
		return -EBADMSG;
	rc = n > 2 ? ident_from_wire(IDENT_DER_ASN1_DN, der, (size_t)n, out) : -ENOENT;
	OPENSSL_free(der);
	return rc;
}

/* A DN as strongSwan prints it ("C=CH, O=oak, CN=gw"), into buf of len. */
const char *certs_dn_fmt(const X509_NAME *name, char *buf, size_t len)
{
	char tmp[IDENT_STRLEN];
	struct ident id;

	if (certs_name_ident(name, &id) == 0) {
		size_t n = strlen(ident_fmt(&id, tmp, sizeof(tmp)));

		n = MIN(n, len - 1); /* a long DN is cut, never overrun */
		memcpy(buf, tmp, n);
		buf[n] = '\0';
	} else if (X509_NAME_entry_count(name) == 0) {
		snprintf(buf, len, "(empty DN)");
	} else {
		X509_NAME_oneline(name, buf, (int)len);
	}
	return buf;
}

const char *certs_subject_fmt(const X509 *x, char *buf, size_t len)
{
	return certs_dn_fmt(X509_get_subject_name(x), buf, len);
}

/* "2021-01-01", with the time of day when it is not midnight. */
const char *certs_time_fmt(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		snprintf(buf, len, "(unreadable time)");
		return buf;
	}
	if (tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0)
		strftime(buf, len, "%Y-%m-%d", &tm);
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

/* --- one certificate --- */

static int certs_sha1(const uint8_t *p, size_t n, uint8_t out[CERTS_KEYID_LEN])
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha1(), NULL) != 1 || len != CERTS_KEYID_LEN) {
		ERR_clear_error();
		return -EIO;
	}
	return 0;
}

/* RFC 7296 3.7: SHA-1 of the whole SubjectPublicKeyInfo. */
int certs_spki_sha1(X509 *x, uint8_t out[CERTS_KEYID_LEN])
{
	unsigned char *der = NULL;
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der), rc;

	if (n <= 0) {
		ERR_clear_error();
		return -EBADMSG;
	}
	rc = certs_sha1(der, (size_t)n, out);
	OPENSSL_free(der);
	return rc;
}

static void certs_alt_add(struct certs_cert *c, const GENERAL_NAME *g)
{
	struct ident id;
	int rc = -ENOENT;

	switch (g->type) {
	case GEN_DNS:
		rc = ident_from_wire(IDENT_FQDN, ASN1_STRING_get0_data(g->d.dNSName),
				     (size_t)ASN1_STRING_length(g->d.dNSName), &id);
		break;
	case GEN_EMAIL:
		rc = ident_from_wire(IDENT_RFC822_ADDR, ASN1_STRING_get0_data(g->d.rfc822Name),
				     (size_t)ASN1_STRING_length(g->d.rfc822Name), &id);
		break;
	case GEN_IPADD:
		rc = ident_from_wire(ASN1_STRING_length(g->d.iPAddress) == 4 ? IDENT_IPV4_ADDR
									     : IDENT_IPV6_ADDR,
				     ASN1_STRING_get0_data(g->d.iPAddress),
				     (size_t)ASN1_STRING_length(g->d.iPAddress), &id);
		break;
	case GEN_DIRNAME:
		rc = certs_name_ident(g->d.directoryName, &id);
		break;
	default: /* URI, otherName...: not IKE identities */
		break;
	}
	if (rc == 0)
		c->alt[c->nalt++] = id;
}

static int certs_alt_names_load(struct certs_cert *c)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(c->x509, NID_subject_alt_name, NULL, NULL);
	int n = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;

	ERR_clear_error();
	if (n > 0) {
		c->alt = calloc((size_t)n, sizeof(*c->alt));
		if (c->alt == NULL) {
			GENERAL_NAMES_free(gens);
			return -ENOMEM;
		}
		for (int i = 0; i < n; i++)
			certs_alt_add(c, sk_GENERAL_NAME_value(gens, i));
	}
	GENERAL_NAMES_free(gens);
	return 0;
}

/* Wrap x (adopted) and compute what the IKE engine asks of it. */
int certs_cert_new(X509 *x, struct certs_cert **out)
{
	struct certs_cert *c = calloc(1, sizeof(*c));
	unsigned char *der = NULL;
	unsigned int len = 0;
	int n, rc;

	*out = NULL;
	if (c == NULL) {
		X509_free(x);
		return -ENOMEM;
	}
	c->x509 = x;
	/* cache the extension flags now: a sealed store is read by threads */
	X509_check_purpose(x, -1, 0);
	n = i2d_X509(x, &der);
	if (n <= 0) {
		rc = -EBADMSG;
		goto fail;
	}
	c->der = der;
	c->der_len = (size_t)n;
	certs_name_ident(X509_get_subject_name(x), &c->subject);
	rc = certs_alt_names_load(c);
	if (rc == 0)
		rc = certs_spki_sha1(x, c->keyid);
	if (rc == 0 && X509_pubkey_digest(x, EVP_sha1(), c->pub_sha1, &len) != 1)
		rc = -EBADMSG;
	if (rc != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	ERR_clear_error();
	certs_cert_free(c);
	return rc;
}

static bool certs_is_pem(const uint8_t *buf, size_t len)
{
	return memmem(buf, len, "-----BEGIN ", 11) != NULL;
}

/* Exactly one DER certificate, every byte used. */
X509 *certs_d2i(const uint8_t *buf, size_t len)
{
	const unsigned char *p = buf;
	X509 *x;

	if (len == 0 || len > CERTS_FILE_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x != NULL && p != buf + len) {
		X509_free(x);
		x = NULL;
	}
	ERR_clear_error();
	return x;
}

/* Every certificate of a PEM buffer (or the one DER certificate), each
 * handed to fn; stops after the first when `first_only`. */
static int certs_each(const uint8_t *buf, size_t len, bool first_only,
		      int (*fn)(void *ctx, X509 *x), void *ctx)
{
	BIO *bio;
	X509 *x;
	int rc = 0, count = 0;

	if (!certs_is_pem(buf, len)) {
		x = certs_d2i(buf, len);
		return x == NULL ? -EBADMSG : fn(ctx, x);
	}
	bio = BIO_new_mem_buf(buf, (int)MIN(len, (size_t)CERTS_FILE_MAX));
	if (bio == NULL)
		return -ENOMEM;
	while (rc == 0 && (!first_only || count == 0) &&
	       (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		count++;
		rc = fn(ctx, x);
	}
	BIO_free(bio);
	ERR_clear_error();
	return rc == 0 && count == 0 ? -EBADMSG : rc;
}

static int certs_take_first(void *ctx, X509 *x)
{
	return certs_cert_new(x, ctx);
}

int certs_cert_parse(const uint8_t *buf, size_t len, struct certs_cert **out, char *why,
		     size_t whylen)
{
	int rc;

	*out = NULL;
	rc = certs_each(buf, len, true, certs_take_first, out);
	if (rc == -EBADMSG)
		certs_why(why, whylen,
			  "expected an X.509 certificate (DER or PEM), got %zu bytes that are not "
			  "one",
			  len);
	else if (rc < 0)
		certs_why(why, whylen, "certificate: %s", strerror(-rc));
	return rc;
}

void certs_cert_free(struct certs_cert *c)
{
	if (c == NULL)
		return;
	X509_free(c->x509);
	OPENSSL_free(c->der);
	free(c->alt);
	free(c);
}

const struct ident *certs_cert_subject(const struct certs_cert *c)
{
	return &c->subject;
}

const struct ident *certs_cert_alt_names(const struct certs_cert *c, size_t *n)
{
	*n = c->nalt;
	return c->alt;
}

struct span certs_cert_der(const struct certs_cert *c)
{
	return (struct span){.p = c->der, .len = c->der_len};
}

const uint8_t *certs_cert_keyid(const struct certs_cert *c)
{
	return c->keyid;
}

/* RFC 4945 3.1 / strongSwan x509_cert has_subject(): a KEY_ID names the key. */
static bool certs_keyid_matches(const struct certs_cert *c, const struct ident *id)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(c->x509);

	if (ski != NULL && (size_t)ASN1_STRING_length(ski) == id->len &&
	    memcmp(ASN1_STRING_get0_data(ski), id->data, id->len) == 0)
		return true;
	return id->len == CERTS_KEYID_LEN && (memcmp(c->keyid, id->data, CERTS_KEYID_LEN) == 0 ||
					      memcmp(c->pub_sha1, id->data, CERTS_KEYID_LEN) == 0);
}

bool certs_id_matches(const struct certs_cert *c, const struct ident *id)
{
	if (id->type == 0)
		return true;
	if (id->type == IDENT_KEY_ID)
		return certs_keyid_matches(c, id);
	if (id->type == IDENT_DER_ASN1_DN && c->subject.type != 0 && ident_match(id, &c->subject))
		return true;
	/* the subject's CN is not an FQDN (strongSwan): only subjectAltNames */
	for (size_t i = 0; i < c->nalt; i++)
		if (c->alt[i].type == id->type && ident_match(id, &c->alt[i]))
			return true;
	return false;
}

/* --- building the store --- */

struct certs_store *certs_store_new(void)
{
	struct certs_store *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->x509 = X509_STORE_new();
	if (s->x509 == NULL) {
		free(s);
		return NULL;
	}
	atomic_init(&s->refs, 1);
	return s;
}

struct certs_add_ctx {
	struct certs_store *s;
	const char *name, *path, *what;
	char *why;
	size_t whylen;
};

static bool certs_same_der(const struct certs_cert *a, const struct certs_cert *b)
{
	return a->der_len == b->der_len && memcmp(a->der, b->der, a->der_len) == 0;
}

static int certs_add_one_ca(void *arg, X509 *x)
{
	struct certs_add_ctx *a = arg;
	struct certs_store *s = a->s;
	struct certs_cert *c;
	struct certs_ca *cas;
	char dn[256];
	int rc = certs_cert_new(x, &c);

	if (rc != 0)
		return rc;
	if (X509_check_ca(c->x509) == 0) {
		certs_why(a->why, a->whylen,
			  "%s: '%s' is not a CA certificate (expected basicConstraints CA:TRUE)",
			  a->what, certs_subject_fmt(c->x509, dn, sizeof(dn)));
		certs_cert_free(c);
		return -EINVAL;
	}
	for (size_t i = 0; i < s->ncas; i++) {
		if (certs_same_der(s->cas[i].cert, c)) { /* twice in the config: once is enough */
			certs_cert_free(c);
			return 0;
		}
	}
	cas = certs_grow(s->cas, s->ncas, sizeof(*cas));
	if (cas == NULL || X509_STORE_add_cert(s->x509, c->x509) != 1) {
		s->cas = cas != NULL ? cas : s->cas;
		certs_cert_free(c);
		ERR_clear_error();
		return -ENOMEM;
	}
	s->cas = cas;
	cas[s->ncas] = (struct certs_ca){.cert = c,
					 .name = strdup(a->name),
					 .path = a->path != NULL ? strdup(a->path) : NULL};
	s->ncas++;
	return cas[s->ncas - 1].name == NULL ? -ENOMEM : 0;
}

int certs_add_ca_at(struct certs_store *s, const uint8_t *buf, size_t len, const char *name,
		    const char *path, char *why, size_t whylen)
{
	struct certs_add_ctx a = {s, name, path, path != NULL ? path : name, why, whylen};
	int rc;

	if (name == NULL) {
		certs_why(why, whylen, "CA certificate: expected a name, got none");
		return -EINVAL;
	}
	if (s->sealed) {
		certs_why(why, whylen, "%s: the certificate store is sealed", a.what);
		return -EINVAL;
	}
	rc = certs_each(buf, len, false, certs_add_one_ca, &a);
	if (rc == -EBADMSG)
		certs_why(why, whylen, "%s: expected X.509 certificates (PEM or DER), found none",
			  a.what);
	else if (rc == -ENOMEM)
		certs_why(why, whylen, "%s: out of memory", a.what);
	return rc;
}

int certs_add_ca(struct certs_store *s, const uint8_t *buf, size_t len, const char *name, char *why,
		 size_t whylen)
{
	return certs_add_ca_at(s, buf, len, name, NULL, why, whylen);
}

int certs_add_cert_at(struct certs_store *s, const uint8_t *buf, size_t len, const char *name,
		      const char *path, char *why, size_t whylen)
{
	const char *what = path != NULL ? path : name;
	struct certs_entry *own;
	struct certs_cert *c = NULL;
	int rc;

	if (name == NULL) {
		certs_why(why, whylen, "certificate: expected a name, got none");
		return -EINVAL;
	}
	if (s->sealed) {
		certs_why(why, whylen, "%s: the certificate store is sealed", what);
		return -EINVAL;
	}
	rc = certs_each(buf, len, true, certs_take_first, &c);
	if (rc != 0) {
		certs_why(why, whylen, "%s: expected an X.509 certificate (PEM or DER), %s", what,
			  rc == -EBADMSG ? "found none" : strerror(-rc));
		return rc;
	}
	own = certs_grow(s->own, s->nown, sizeof(*own));
	if (own == NULL) {
		certs_cert_free(c);
		return -ENOMEM;
	}
	s->own = own;
	own[s->nown] = (struct certs_entry){
		.cert = c, .name = strdup(name), .path = path != NULL ? strdup(path) : NULL};
	s->nown++;
	return own[s->nown - 1].name == NULL ? -ENOMEM : 0;
}

int certs_add_cert(struct certs_store *s, const uint8_t *buf, size_t len, const char *name,
		   char *why, size_t whylen)
{
	return certs_add_cert_at(s, buf, len, name, NULL, why, whylen);
}

int certs_add_key(struct certs_store *s, struct sig_key *key, const char *name, char *why,
		  size_t whylen)
{
	struct certs_key *keys;
	struct sig_pubkey *pub;

	if (s->sealed) {
		certs_why(why, whylen, "%s: the certificate store is sealed", name);
		sig_key_free(key);
		return -EINVAL;
	}
	pub = sig_key_pubkey(key);
	keys = pub != NULL ? certs_grow(s->keys, s->nkeys, sizeof(*keys)) : NULL;
	if (keys == NULL) {
		certs_why(why, whylen, "%s: out of memory", name);
		sig_pubkey_free(pub);
		sig_key_free(key);
		return -ENOMEM;
	}
	s->keys = keys;
	keys[s->nkeys++] = (struct certs_key){.key = key, .pub = pub, .name = strdup(name)};
	return keys[s->nkeys - 1].name == NULL ? -ENOMEM : 0;
}

/* The CA entry holding x (same certificate), or NULL. */
static const struct certs_ca *certs_ca_of(const struct certs_store *s, const X509 *x)
{
	for (size_t i = 0; i < s->ncas; i++)
		if (X509_cmp(s->cas[i].cert->x509, x) == 0)
			return &s->cas[i];
	return NULL;
}

/* Our chain to send (RFC 7296 3.6: end entity first, then the CAs up to, not
 * including, the self-signed anchor the peer must have anyway). Validity is
 * the peer's to check; a certificate without a chain is sent alone. */
static int certs_own_chain(struct certs_store *s, struct certs_entry *e)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *chain = NULL;
	char why[CERTS_WHY_LEN], dn[256];
	int n = 1, rc = -ENOMEM;

	if (ctx == NULL || X509_STORE_CTX_init(ctx, s->x509, e->cert->x509, NULL) != 1)
		goto out;
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
	X509_VERIFY_PARAM_set_depth(X509_STORE_CTX_get0_param(ctx), CERTS_CHAIN_MAX - 2);
	if (X509_verify_cert(ctx) == 1) {
		chain = X509_STORE_CTX_get0_chain(ctx);
		n = sk_X509_num(chain);
	} else {
		certs_why_verify(ctx, 0, why, sizeof(why)); /* 0: not a peer's chain */
		log_warn(SUB_IKE,
			 "certificate '%s' (%s): no chain to a trusted CA (%s); sent alone",
			 certs_subject_fmt(e->cert->x509, dn, sizeof(dn)), e->name, why);
	}
	e->chain = calloc((size_t)n, sizeof(*e->chain));
	e->ca_keyids = calloc((size_t)n, sizeof(*e->ca_keyids));
	if (e->chain == NULL || e->ca_keyids == NULL)
		goto out;
	e->chain[e->nchain++] = certs_cert_der(e->cert);
	for (int i = 1; i < n; i++) {
		X509 *x = sk_X509_value(chain, i);
		const struct certs_ca *ca = certs_ca_of(s, x);

		if (ca == NULL) /* every CA comes from the store: cannot happen */
			continue;
		memcpy(e->ca_keyids[e->nca++], ca->cert->keyid, CERTS_KEYID_LEN);
		if (!(X509_get_extension_flags(x) & EXFLAG_SS))
			e->chain[e->nchain++] = certs_cert_der(ca->cert);
	}
	rc = 0;
out:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

static void certs_own_pair(struct certs_store *s, struct certs_entry *e)
{
	struct sig_pubkey *pub = NULL;
	char dn[256];
	int rc = sig_pubkey_from_evp(X509_get0_pubkey(e->cert->x509), &pub);

	if (rc != 0) {
		log_warn(SUB_IKE, "certificate '%s' (%s): its key cannot be used (%s)",
			 certs_subject_fmt(e->cert->x509, dn, sizeof(dn)), e->name,
			 rc == -ENOTSUP ? "unsupported key type" : strerror(-rc));
		return;
	}
	for (size_t k = 0; k < s->nkeys && e->key == NULL; k++)
		if (sig_pubkey_equal(pub, s->keys[k].pub))
			e->key = s->keys[k].key;
	sig_pubkey_free(pub);
}

int certs_store_seal(struct certs_store *s, char *why, size_t whylen)
{
	int rc;

	if (s->sealed)
		return 0;
	for (size_t i = 0; i < s->nown; i++) {
		certs_own_pair(s, &s->own[i]);
		rc = certs_own_chain(s, &s->own[i]);
		if (rc != 0) {
			certs_why(why, whylen, "%s: %s", s->own[i].name, strerror(-rc));
			return rc;
		}
	}
	if (s->ncas > 0) {
		s->certreq = malloc(s->ncas * CERTS_KEYID_LEN);
		if (s->certreq == NULL) {
			certs_why(why, whylen, "certificate requests: out of memory");
			return -ENOMEM;
		}
		for (size_t i = 0; i < s->ncas; i++)
			memcpy(s->certreq + i * CERTS_KEYID_LEN, s->cas[i].cert->keyid,
			       CERTS_KEYID_LEN);
		s->certreq_len = s->ncas * CERTS_KEYID_LEN;
	}
	/* trusting no CA, nothing validates; without it every chain is checked in full */
	if (s->ncas > 0)
		s->cache = certs_cache_new();
	s->sealed = true;
	return 0;
}

struct certs_store *certs_store_ref(struct certs_store *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

void certs_store_unref(struct certs_store *s)
{
	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (size_t i = 0; i < s->ncas; i++) {
		certs_cert_free(s->cas[i].cert);
		free(s->cas[i].name);
		free(s->cas[i].path);
	}
	for (size_t i = 0; i < s->nown; i++) {
		certs_cert_free(s->own[i].cert);
		free(s->own[i].name);
		free(s->own[i].path);
		free(s->own[i].chain);
		free(s->own[i].ca_keyids);
	}
	for (size_t i = 0; i < s->nkeys; i++) {
		sig_key_free(s->keys[i].key);
		sig_pubkey_free(s->keys[i].pub);
		free(s->keys[i].name);
	}
	free(s->cas);
	free(s->own);
	free(s->keys);
	free(s->certreq);
	certs_cache_free(s->cache);
	X509_STORE_free(s->x509);
	free(s);
}

/* Config names a file by its name under the directory, or by path. */
static bool certs_name_is(const char *name, const char *path, const char *want)
{
	const char *base = path != NULL ? strrchr(path, '/') : NULL;

	return strcmp(name, want) == 0 || (path != NULL && strcmp(path, want) == 0) ||
	       (base != NULL && strcmp(base + 1, want) == 0);
}

const struct certs_cert *certs_store_ca(const struct certs_store *s, const char *name)
{
	for (size_t i = 0; i < s->ncas; i++)
		if (certs_name_is(s->cas[i].name, s->cas[i].path, name))
			return s->cas[i].cert;
	return NULL;
}

/* Whether s holds the CA, own certificate or key loaded from path. */
void certs_store_foreach(const struct certs_store *s,
			 void (*fn)(const struct certs_cert *c, bool ca, bool has_key, void *arg),
			 void *arg)
{
	for (size_t i = 0; i < s->ncas; i++)
		fn(s->cas[i].cert, true, false, arg);
	for (size_t i = 0; i < s->nown; i++)
		fn(s->own[i].cert, false, s->own[i].key != NULL, arg);
}

bool certs_store_has_file(const struct certs_store *s, enum certs_kind kind, const char *path)
{
	size_t n = kind == CERTS_KIND_CA ? s->ncas : kind == CERTS_KIND_CERT ? s->nown : s->nkeys;

	for (size_t i = 0; i < n; i++) {
		const char *p = kind == CERTS_KIND_CA	  ? s->cas[i].path
				: kind == CERTS_KIND_CERT ? s->own[i].path
							  : s->keys[i].name;

		if (p != NULL && strcmp(p, path) == 0)
			return true;
	}
	return false;
}

/* --- our own certificate --- */

static const struct certs_entry *certs_own_find(const struct certs_store *s, const char *name,
						const struct ident *id)
{
	for (size_t i = 0; i < s->nown; i++) {
		const struct certs_entry *e = &s->own[i];

		if (name != NULL ? certs_name_is(e->name, e->path, name)
				 : e->key != NULL && certs_id_matches(e->cert, id))
			return e;
	}
	return NULL;
}

int certs_local(const struct certs_store *s, const char *cert_name, const struct ident *id,
		struct certs_own *out, char *why, size_t whylen)
{
	char idtext[IDENT_STRLEN], dn[256];
	bool have_id = id != NULL && id->type != 0;
	const struct certs_entry *e;

	memset(out, 0, sizeof(*out));
	if (!s->sealed || (cert_name == NULL && !have_id)) {
		certs_why(why, whylen,
			  "no local certificate configured and no identity to find one");
		return -EINVAL;
	}
	e = certs_own_find(s, cert_name, id);
	if (e == NULL && cert_name != NULL) {
		certs_why(why, whylen, "certificate '%s' is not loaded (expected a file in x509/)",
			  cert_name);
		return -ENOENT;
	}
	if (e == NULL) {
		certs_why(why, whylen, "no certificate with a private key contains identity '%s'",
			  ident_fmt(id, idtext, sizeof(idtext)));
		return -ENOENT;
	}
	if (e->key == NULL) {
		certs_why(why, whylen, "no private key for certificate '%s' (%s)",
			  certs_subject_fmt(e->cert->x509, dn, sizeof(dn)), e->name);
		return -ENOENT;
	}
	*out = (struct certs_own){.cert = e->cert,
				  .key = e->key,
				  .id = e->cert->subject,
				  .chain = e->chain,
				  .nchain = e->nchain,
				  .ca_keyids = (const uint8_t(*)[CERTS_KEYID_LEN])e->ca_keyids,
				  .nca = e->nca};
	if (have_id && !id->wildcard && certs_id_matches(e->cert, id))
		out->id = *id;
	else if (have_id)
		log_warn(SUB_IKE, "id '%s' not confirmed by certificate, defaulting to '%s'",
			 ident_fmt(id, idtext, sizeof(idtext)),
			 certs_subject_fmt(e->cert->x509, dn, sizeof(dn)));
	return 0;
}

int certs_local_auth(const struct certs_store *s, const struct auth_cfg *local,
		     const uint8_t *certreq, size_t certreq_len, struct certs_own *out, char *why,
		     size_t whylen)
{
	const struct ident *id = local->id_set ? &local->id : NULL;
	struct certs_own o, first;
	bool have_first = false;
	int first_err = 0;

	if (local->ncerts == 0)
		return certs_local(s, NULL, id, out, why, whylen);
	/* the first usable certificate, unless a later one's chain is what the
	 * peer asked for (RFC 7296 3.7) */
	for (size_t i = 0; i < local->ncerts; i++) {
		int r = certs_local(s, local->certs[i], id, &o, first_err == 0 ? why : NULL,
				    whylen);

		if (r != 0) {
			first_err = first_err != 0 ? first_err : r;
			continue;
		}
		if (certreq_len > 0 && certs_own_named(&o, certreq, certreq_len)) {
			*out = o;
			return 0;
		}
		if (!have_first) {
			first = o;
			have_first = true;
		}
	}
	if (have_first) {
		*out = first;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return first_err;
}

/* --- CERTREQ --- */

struct span certs_certreq(const struct certs_store *s)
{
	return (struct span){.p = s->certreq, .len = s->certreq_len};
}

int certs_certreq_match(const struct certs_store *s, const uint8_t *data, size_t len,
			const struct certs_cert **cas, size_t max, char *why, size_t whylen)
{
	size_t n = 0;

	if (len % CERTS_KEYID_LEN != 0) {
		certs_why(why, whylen,
			  "CERTREQ Certification Authority of %zu bytes is not a list of "
			  "%d-byte SHA-1 hashes",
			  len, CERTS_KEYID_LEN);
		return -EBADMSG;
	}
	for (size_t off = 0; off < len && n < max; off += CERTS_KEYID_LEN)
		for (size_t i = 0; i < s->ncas; i++)
			if (memcmp(data + off, s->cas[i].cert->keyid, CERTS_KEYID_LEN) == 0) {
				cas[n++] = s->cas[i].cert;
				break;
			}
	return (int)n;
}

bool certs_own_named(const struct certs_own *o, const uint8_t *data, size_t len)
{
	if (len % CERTS_KEYID_LEN != 0)
		return false;
	for (size_t off = 0; off < len; off += CERTS_KEYID_LEN)
		for (size_t i = 0; i < o->nca; i++)
			if (memcmp(data + off, o->ca_keyids[i], CERTS_KEYID_LEN) == 0)
				return true;
	return false;
}
