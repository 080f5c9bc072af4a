/* auth.c: IKEv1 signature authentication with certificates (RFC 2409 5.1,
 * RFC 4754 for ECDSA), CERT/CR payloads (RFC 2408 3.9-3.10), INITIAL-CONTACT
 * (RFC 2407 4.6.3.3) and the move to the NAT-T port (RFC 3947 4).
 *
 * SIG_I/SIG_R sign HASH_I/HASH_R: RSA with PKCS#1 v1.5 padding and no
 * DigestInfo (RFC 2409 5.1, what strongSwan calls EMSA_PKCS1_NULL), ECDSA
 * (auth methods 9-11) with SHA-2 over the hash and r | s encoding (RFC 4754).
 * Validating the peer's chain and checking its signature run as one job on
 * the crypto pool (ikev1_auth_ready); our signature is made on the loop
 * thread, once per SA.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/model.h"
#include "crypto/sig.h"
#include "ikev1/ikev1_int.h"
#include "lib/log.h"

static enum sig_scheme scheme_of(uint16_t method, enum sig_key_type kt)
{
	switch (method) {
	case IKEV1_AUTH_RSA_SIG:
		return kt == SIG_KEY_RSA ? SIG_RSA_PKCS1_NULL : SIG_NONE;
	/* strongSwan (the one IKEv1 peer with ECDSA) signs HASH_I/HASH_R as
	 * the digest itself, r | s, whichever of the three methods it is */
	case IKEV1_AUTH_ECDSA_SHA256_P256:
		return kt == SIG_KEY_ECDSA_P256 ? SIG_ECDSA_NULL_RS : SIG_NONE;
	case IKEV1_AUTH_ECDSA_SHA384_P384:
		return kt == SIG_KEY_ECDSA_P384 ? SIG_ECDSA_NULL_RS : SIG_NONE;
	case IKEV1_AUTH_ECDSA_SHA512_P521:
		return kt == SIG_KEY_ECDSA_P521 ? SIG_ECDSA_NULL_RS : SIG_NONE;
	default:
		return SIG_NONE;
	}
}

/* Our certificate for the SA (chosen once). 0 or -ENOENT (logged). */
static int choose_own(struct ikev1_ike_sa *sa)
{
	char why[256];

	if (sa->have_own)
		return 0;
	if (!sa->certs) {
		log_err(SUB_IKE, "ISAKMP SA #%u: no certificates loaded for %s", sa->sa.serial,
			sa->sa.conn->name);
		return -ENOENT;
	}
	if (certs_local_auth(sa->certs, &sa->sa.conn->local, sa->peer_certreq, sa->peer_certreq_len,
			     &sa->own, why, sizeof(why)) < 0) {
		log_err(SUB_IKE, "ISAKMP SA #%u: %s", sa->sa.serial, why);
		return -ENOENT;
	}
	if (ike_sa_set_local_id(&sa->sa, &sa->own.id) < 0)
		return -ENOENT;
	sa->have_own = true;
	return 0;
}

uint16_t ikev1_key_method(const struct sig_key *k)
{
	switch (sig_key_type(k)) {
	case SIG_KEY_RSA:
		return IKEV1_AUTH_RSA_SIG;
	case SIG_KEY_ECDSA_P256:
		return IKEV1_AUTH_ECDSA_SHA256_P256;
	case SIG_KEY_ECDSA_P384:
		return IKEV1_AUTH_ECDSA_SHA384_P384;
	case SIG_KEY_ECDSA_P521:
		return IKEV1_AUTH_ECDSA_SHA512_P521;
	default:
		return 0; /* EdDSA has no IKEv1 method */
	}
}

uint16_t ikev1_sig_method(struct ikev1_ike_sa *sa)
{
	if (choose_own(sa) < 0)
		return IKEV1_AUTH_RSA_SIG;
	switch (sig_key_type(sa->own.key)) {
	case SIG_KEY_ECDSA_P256:
		return IKEV1_AUTH_ECDSA_SHA256_P256;
	case SIG_KEY_ECDSA_P384:
		return IKEV1_AUTH_ECDSA_SHA384_P384;
	case SIG_KEY_ECDSA_P521:
		return IKEV1_AUTH_ECDSA_SHA512_P521;
	default:
		return IKEV1_AUTH_RSA_SIG;
	}
}

bool ikev1_own_id(struct ikev1_ike_sa *sa)
{
	if (sa->sa.conn->local.auth != AUTH_PUBKEY)
		return false;
	return choose_own(sa) == 0;
}

int ikev1_put_sig(struct ikev1_ike_sa *sa, struct ikev1_enc *enc, const uint8_t *hash,
		  size_t hash_len)
{
	struct span part = {hash, hash_len};
	enum sig_scheme s;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	int r;

	if (choose_own(sa) < 0)
		return -ENOENT;
	s = scheme_of(sa->auth_method, sig_key_type(sa->own.key));
	if (s == SIG_NONE) {
		log_err(SUB_IKE, "ISAKMP SA #%u: our key does not fit auth method %u",
			sa->sa.serial, sa->auth_method);
		return -EINVAL;
	}
	r = sig_sign(sa->own.key, s, &part, 1, &sig, &sig_len);
	if (r < 0) {
		log_err(SUB_IKE, "ISAKMP SA #%u: signing failed (%d)", sa->sa.serial, r);
		return r;
	}
	r = ikev1_put_data(enc, ISAKMP_NP_SIG, (struct span){sig, sig_len});
	free(sig);
	return r;
}

void ikev1_put_certs(struct ikev1_ike_sa *sa, struct ikev1_enc *enc)
{
	size_t i;

	if (sa->auth_method == IKEV1_AUTH_PSK || sa->sa.conn->local.auth != AUTH_PUBKEY ||
	    sa->sa.conn->send_cert == SEND_CERT_NEVER || choose_own(sa) < 0)
		return;
	if (sa->sa.conn->send_cert == SEND_CERT_IFASKED && !sa->peer_sent_cr)
		return;
	for (i = 0; i < sa->own.nchain; i++)
		ikev1_put_cert(enc, ISAKMP_NP_CERT,
			       &(struct ikev1_cert){.encoding = ISAKMP_CERT_X509_SIG,
						    .data = sa->own.chain[i]});
}

void ikev1_put_certreq(struct ikev1_ike_sa *sa, struct ikev1_enc *enc)
{
	if (sa->sa.conn->remote.auth != AUTH_PUBKEY || !sa->sa.conn->send_certreq || !sa->certs)
		return;
	/* RFC 2408 3.10: an empty Certificate Authority asks for any */
	ikev1_put_cert(enc, ISAKMP_NP_CR, &(struct ikev1_cert){.encoding = ISAKMP_CERT_X509_SIG});
}

void ikev1_note_certreq(struct ikev1_ike_sa *sa, const struct ikev1_msg *m)
{
	if (ikev1_msg_count(m, ISAKMP_NP_CR))
		sa->peer_sent_cr = true;
}

/* --- the peer's certificate and signature, on the pool --- */

struct pk_job {
	struct certs_store *certs;
	struct span chain[CERTS_CHAIN_MAX];
	size_t n;
	uint8_t *blob; /* the chain's bytes (owned) */
	uint8_t hash[IKEV1_HASH_MAX];
	size_t hash_len;
	uint8_t *sig;
	size_t sig_len;
	uint16_t method;
	uint64_t now;
	struct cert_result res;
	int valid_rc, sig_rc;
	char why[CERTS_WHY_LEN];
};

static void pk_work(void *arg)
{
	struct pk_job *j = arg;
	struct span part = {j->hash, j->hash_len};
	enum sig_scheme s;

	j->valid_rc =
		certs_validate(j->certs, j->chain, j->n, j->now, &j->res, j->why, sizeof(j->why));
	if (j->valid_rc < 0)
		return;
	s = scheme_of(j->method, sig_pubkey_type(j->res.pubkey));
	j->sig_rc = s == SIG_NONE ? -EINVAL
				  : sig_verify(j->res.pubkey, s, &part, 1, j->sig, j->sig_len);
}

static void pk_job_free(struct pk_job *j)
{
	cert_result_clear(&j->res);
	certs_store_unref(j->certs);
	free(j->blob);
	free(j->sig);
	free(j);
}

static void pk_finish(struct ikev1_engine *e, struct ikev1_ike_sa *sa, void *arg, int status)
{
	struct pk_job *j = arg;

	if (sa) {
		sa->pk_busy = false;
		sa->pk_done = true;
		if (status < 0) {
			sa->pk_ok = false;
			snprintf(sa->pk_why, sizeof(sa->pk_why), "the check was cancelled");
		} else if (j->valid_rc < 0) {
			sa->pk_ok = false;
			snprintf(sa->pk_why, sizeof(sa->pk_why), "%s", j->why);
		} else if (j->sig_rc < 0) {
			sa->pk_ok = false;
			snprintf(sa->pk_why, sizeof(sa->pk_why),
				 "the signature of %s does not verify",
				 sa->sa.initiator ? "SIG_R" : "SIG_I");
		} else {
			sa->pk_ok = true;
			cert_result_clear(&sa->peer_cert);
			sa->peer_cert = j->res;
			memset(&j->res, 0, sizeof(j->res));
			sa->have_peer_cert = true;
		}
		ikev1_redispatch(e, sa, &sa->saved);
	}
	pk_job_free(j);
}

bool ikev1_auth_ready(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const struct ikev1_rx *rx)
{
	const struct ikev1_msg *m = rx->msg;
	const struct ikev1_payload *p;
	struct pk_job *j;
	uint8_t h[IKEV1_HASH_MAX];
	size_t total = 0, off = 0;
	unsigned i, n = 0;

	if (sa->auth_method == IKEV1_AUTH_PSK || sa->pk_done)
		return true;
	for (i = 0; (p = ikev1_msg_get(m, ISAKMP_NP_CERT, i)) && n < CERTS_CHAIN_MAX; i++)
		if (p->u.cert.encoding == ISAKMP_CERT_X509_SIG) {
			total += p->u.cert.data.len;
			n++;
		}
	if (!ikev1_msg_get(m, ISAKMP_NP_SIG, 0) || n == 0 || !sa->certs) {
		sa->pk_done = true;
		sa->pk_ok = false;
		snprintf(sa->pk_why, sizeof(sa->pk_why), "%s",
			 n == 0 ? "the peer sent no X.509 certificate (oak does not fetch them)"
				: "no SIG payload or no CA loaded");
		return true;
	}
	j = calloc(1, sizeof(*j));
	if (!j || !(j->blob = malloc(total ? total : 1)))
		goto nomem;
	for (i = 0; (p = ikev1_msg_get(m, ISAKMP_NP_CERT, i)) && j->n < CERTS_CHAIN_MAX; i++) {
		if (p->u.cert.encoding != ISAKMP_CERT_X509_SIG)
			continue;
		memcpy(j->blob + off, p->u.cert.data.p, p->u.cert.data.len);
		j->chain[j->n++] = (struct span){j->blob + off, p->u.cert.data.len};
		off += p->u.cert.data.len;
	}
	p = ikev1_msg_get(m, ISAKMP_NP_SIG, 0);
	j->sig = malloc(p->u.data.len ? p->u.data.len : 1);
	if (!j->sig)
		goto nomem;
	memcpy(j->sig, p->u.data.p, p->u.data.len);
	j->sig_len = p->u.data.len;
	if (ikev1_peer_hash(sa, h) < 0)
		goto nomem;
	memcpy(j->hash, h, sa->prf->out_len);
	j->hash_len = sa->prf->out_len;
	j->method = sa->auth_method;
	j->now = ikev1_wall_time(e);
	j->certs = certs_store_ref(sa->certs);
	ikev1_buf_set(&sa->saved, rx->buf, rx->len);
	if (m->hdr.flags & ISAKMP_FLAG_E) /* it decrypts again when it comes back */
		memcpy(sa->iv, sa->iv_prev, sa->block);
	sa->pk_busy = true;
	if (ikev1_job_submit(e, sa, pk_work, pk_finish, j) < 0) {
		sa->pk_busy = false;
		ikev1_buf_clear(&sa->saved);
		pk_job_free(j);
		sa->pk_done = true;
		sa->pk_ok = false;
		snprintf(sa->pk_why, sizeof(sa->pk_why), "cannot start the certificate check");
		return true;
	}
	return false;
nomem:
	if (j) {
		free(j->blob);
		free(j->sig);
		free(j);
	}
	sa->pk_done = true;
	sa->pk_ok = false;
	snprintf(sa->pk_why, sizeof(sa->pk_why), "out of memory");
	return true;
}

bool ikev1_check_sig(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const struct ikev1_msg *m)
{
	char id[IDENT_STRLEN], want[IDENT_STRLEN];
	const struct auth_cfg *remote = &sa->sa.conn->remote;
	size_t i;

	(void)e;
	(void)m;
	if (!sa->pk_ok) {
		log_notice(SUB_IKE, "ISAKMP SA #%u: AUTHENTICATION-FAILED: %s", sa->sa.serial,
			   sa->pk_why);
		return false;
	}
	if (!certs_id_matches(sa->peer_cert.cert, ike_sa_remote_id(&sa->sa))) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: AUTHENTICATION-FAILED: identity %s is not in the "
			   "peer's certificate %s",
			   sa->sa.serial, ident_fmt(ike_sa_remote_id(&sa->sa), id, sizeof(id)),
			   ident_fmt(&sa->peer_cert.subject, want, sizeof(want)));
		return false;
	}
	if (remote->id.type != 0 && !ident_match(&remote->id, ike_sa_remote_id(&sa->sa))) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: AUTHENTICATION-FAILED: identity %s, we expect %s",
			   sa->sa.serial, ident_fmt(ike_sa_remote_id(&sa->sa), id, sizeof(id)),
			   ident_fmt(&remote->id, want, sizeof(want)));
		return false;
	}
	for (i = 0; i < remote->ncacerts; i++)
		if (certs_result_has_ca(sa->certs, &sa->peer_cert, remote->cacerts[i]))
			break;
	if (remote->ncacerts && i == remote->ncacerts) {
		log_notice(SUB_IKE,
			   "ISAKMP SA #%u: AUTHENTICATION-FAILED: the peer's chain does not go "
			   "through the CA required by %s",
			   sa->sa.serial, sa->sa.conn->name);
		return false;
	}
	return true;
}

void ikev1_auth_free(struct ikev1_ike_sa *sa)
{
	cert_result_clear(&sa->peer_cert);
}

/* --- INITIAL-CONTACT (RFC 2407 4.6.3.3) --- */

struct ic_other {
	const struct ikev1_ike_sa *self;
	bool found;
};

static void ic_other_one(const struct ike_sa *s, void *ctx)
{
	struct ic_other *o = ctx;

	if (s != &o->self->sa && s->state == IKE_SA_STATE_ESTABLISHED &&
	    ip_addr_eq(&s->remote.addr, &o->self->sa.remote.addr))
		o->found = true;
}

void ikev1_put_initial_contact(struct ikev1_engine *e, struct ikev1_ike_sa *sa,
			       struct ikev1_enc *enc)
{
	struct ic_other o = {.self = sa};
	uint8_t spi[16];

	/* RFC 2407 4.6.3.3: only when we have no other SA with the peer, or it
	 * would delete the ones we still use (master-key PFS, the Quick Mode
	 * limit and rekeying make a second ISAKMP SA with the same peer) */
	ikev1_sa_foreach(e, ic_other_one, &o);
	if (o.found)
		return;
	memcpy(spi, sa->sa.spi_i, 8);
	memcpy(spi + 8, sa->sa.spi_r, 8);
	ikev1_put_notify(enc, &(struct ikev1_notify){.doi = ISAKMP_DOI_IPSEC,
						     .protocol = IPSEC_PROTO_ISAKMP,
						     .type = IPSEC_N_INITIAL_CONTACT,
						     .spi = {spi, 16}});
}

bool ikev1_has_initial_contact(const struct ikev1_msg *m)
{
	const struct ikev1_payload *p;
	unsigned i;

	for (i = 0; (p = ikev1_msg_get(m, ISAKMP_NP_N, i)); i++)
		if (p->u.n.type == IPSEC_N_INITIAL_CONTACT)
			return true;
	return false;
}

struct ic_find {
	const struct ikev1_ike_sa *self;
	uint32_t serials[64];
	size_t n;
};

static void ic_one(const struct ike_sa *s, void *ctx)
{
	struct ic_find *f = ctx;

	if (s == &f->self->sa || f->n == 64 || !s->conn || !f->self->sa.conn)
		return;
	if (strcmp(s->conn->name, f->self->sa.conn->name) == 0 &&
	    ident_eq(ike_sa_remote_id(s), ike_sa_remote_id(&f->self->sa)) &&
	    ip_addr_eq(&s->remote.addr, &f->self->sa.remote.addr))
		f->serials[f->n++] = s->serial;
}

void ikev1_initial_contact(struct ikev1_engine *e, struct ikev1_ike_sa *sa)
{
	struct ic_find f = {.self = sa};
	size_t i;

	/* the peer forgot every SA it had with us: ours with it are stale */
	ikev1_sa_foreach(e, ic_one, &f);
	for (i = 0; i < f.n; i++) {
		struct ikev1_ike_sa *old = ikev1_sa_by_serial(e, f.serials[i]);

		if (old)
			ikev1_sa_delete(e, old, "the peer sent INITIAL-CONTACT: it lost this SA");
	}
}

/* --- NAT-T --- */

void ikev1_float(struct ikev1_engine *e, struct ikev1_ike_sa *sa)
{
	uint16_t nat_t = ikev1_daemon_cfg(e)->port_nat_t;

	/* RFC 3947 4: with a NAT, the initiator moves to port 4500 with
	 * message 5 (Main Mode) or 3 (Aggressive Mode) */
	if (!(sa->sa.nat_local || sa->sa.nat_remote) || !nat_t || sa->sa.local.port == nat_t)
		return;
	sa->sa.local.port = nat_t;
	if (sa->sa.remote.port == 500)
		sa->sa.remote.port = 4500;
	log_info(SUB_IKE, "ISAKMP SA #%u: NAT traversal: moving to port %u", sa->sa.serial, nat_t);
}
