/* cert_auth.c: authentication by public key in IKE_AUTH (RFC 7296 2.15,
 * 3.6-3.8; RFC 7427 signatures negotiated with SIGNATURE_HASH_ALGORITHMS;
 * RFC 4754 ECDSA methods): our CERT and CERTREQ payloads, the choice of
 * signature scheme, and one crypto job per IKE_AUTH message that validates
 * the peer's chain, verifies its AUTH and signs ours away from the loop
 * thread.
 *
 * The handler that needs the job runs twice (exchange.h, IKEV2_SUSPEND):
 * the first pass checks what is cheap and starts the job, the second finds
 * the results in sa->pk and gives the verdict in the order a user debugs
 * it: the chain, the ID in the certificate, remote.cacerts, the signature.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2/exchange.h"
#include "lib/log.h"
#include "lib/util.h"

/* RFC 7427 4: the hashes we verify with, as we announce them. */
static const uint16_t our_hashes[] = {SIG_HASH_SHA2_256, SIG_HASH_SHA2_384, SIG_HASH_SHA2_512,
				      SIG_HASH_IDENTITY};

/* The most CERTREQ bytes we keep: 64 CAs. */
#define CERTREQ_MAX ((size_t)64 * CERTS_KEYID_LEN)

static const char *scheme_name(enum sig_scheme s)
{
	const char *n = enum_name(&sig_scheme_names, s);

	return !n ? "?" : strncmp(n, "SIG_", 4) == 0 ? n + 4 : n;
}

static bool hash_is_ours(enum sig_hash h)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(our_hashes); i++)
		if (our_hashes[i] == h)
			return true;
	return false;
}

void ikev2_cert_put_sig_hashes(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
			       struct ikev2_enc *enc)
{
	uint8_t v[2 * ARRAY_SIZE(our_hashes)];
	size_t i;

	/* RFC 7427 4: the responder answers the initiator's announcement */
	if (e->no_rfc7427 || (!sa->sa.initiator && !sa->peer_sig_hashes))
		return;
	for (i = 0; i < ARRAY_SIZE(our_hashes); i++) {
		v[2 * i] = (uint8_t)(our_hashes[i] >> 8);
		v[2 * i + 1] = (uint8_t)our_hashes[i];
	}
	ikev2_put_notify_data(enc, IKEV2_N_SIGNATURE_HASH_ALGORITHMS, v, sizeof(v));
	sa->sent_sig_hashes = true;
}

void ikev2_cert_put_certreq(const struct ikev2_ike_sa *sa, struct ikev2_enc *enc)
{
	const struct conn_cfg *c = sa->sa.conn;
	struct ikev2_cert cr;
	struct span ca;

	/* as strongSwan: only when the peer is to show a certificate */
	if (!sa->certs || !c || c->remote.auth != AUTH_PUBKEY || !c->send_certreq)
		return;
	ca = certs_certreq(sa->certs);
	if (ca.len == 0)
		return;
	memset(&cr, 0, sizeof(cr));
	cr.encoding = IKEV2_CERT_X509_SIGNATURE;
	cr.data = ca;
	ikev2_put_cert(enc, IKEV2_PL_CERTREQ, &cr);
}

void ikev2_cert_note_certreq(struct ikev2_ike_sa *sa, const struct ikev2_msg *m)
{
	const struct ikev2_payload *p = NULL;

	free(sa->peer_certreq);
	sa->peer_certreq = NULL;
	sa->peer_certreq_len = 0;
	while ((p = ikev2_msg_find(m, IKEV2_PL_CERTREQ, p))) {
		uint8_t *n;
		size_t len = p->cert.data.len;

		sa->peer_certreq_sent = true;
		if (p->cert.encoding != IKEV2_CERT_X509_SIGNATURE) {
			log_debug(SUB_IKE, "IKE SA #%u: CERTREQ of encoding %u ignored",
				  sa->sa.serial, p->cert.encoding);
			continue;
		}
		if (len == 0 || sa->peer_certreq_len + len > CERTREQ_MAX)
			continue;
		n = realloc(sa->peer_certreq, sa->peer_certreq_len + len);
		if (!n)
			return;
		memcpy(n + sa->peer_certreq_len, p->cert.data.p, len);
		sa->peer_certreq = n;
		sa->peer_certreq_len += len;
	}
}

int ikev2_cert_choose_own(struct ikev2_ike_sa *sa)
{
	char why[CERTS_WHY_LEN] = "no certificate store is loaded";
	struct ikev2_pk *pk = ikev2_cert_pk(sa);
	int r = -ENOENT;

	if (!pk)
		snprintf(why, sizeof(why), "out of memory");
	else if (sa->certs)
		r = certs_local_auth(sa->certs, &sa->sa.conn->local, sa->peer_certreq,
				     sa->peer_certreq_len, &pk->own, why, sizeof(why));
	if (r < 0) {
		log_err(SUB_IKE,
			"IKE SA #%u (%s): local auth = pubkey, but no certificate to use: %s",
			sa->sa.serial, sa->sa.conn->name, why);
		return -ENOENT;
	}
	if (ike_sa_set_local_id(&sa->sa, &pk->own.id) < 0)
		return -ENOMEM;
	pk->have_own = true;
	return 0;
}

void ikev2_cert_put_certs(const struct ikev2_ike_sa *sa, struct ikev2_enc *enc)
{
	const struct conn_cfg *c = sa->sa.conn;
	struct ikev2_cert cp;
	size_t i;

	if (!sa->pk || !sa->pk->have_own || c->send_cert == SEND_CERT_NEVER ||
	    (c->send_cert == SEND_CERT_IFASKED && !sa->peer_certreq_sent))
		return;
	/* RFC 7296 3.6: ours first, then the intermediates */
	for (i = 0; i < sa->pk->own.nchain; i++) {
		memset(&cp, 0, sizeof(cp));
		cp.encoding = IKEV2_CERT_X509_SIGNATURE;
		cp.data = sa->pk->own.chain[i];
		ikev2_put_cert(enc, IKEV2_PL_CERT, &cp);
	}
}

/* Our AUTH method and scheme for a key of type t. RFC 7427 method 14 when
 * the peer announced a hash that fits, in strongSwan's order (the hash of
 * the key's strength first, then stronger ones; EdDSA signs the octets,
 * Identity); else the classic method of the key (RFC 7296 3.8, RFC 4754).
 * RSA with SHA-1 only to a peer that announced nothing. */
static int choose_scheme(const struct ikev2_ike_sa *sa, enum sig_key_type t, uint8_t *method,
			 enum sig_scheme *s)
{
	static const enum sig_hash order[] = {SIG_HASH_SHA2_256, SIG_HASH_SHA2_384,
					      SIG_HASH_SHA2_512};
	uint16_t offered = sa->peer_sig_hashes;
	size_t i = t == SIG_KEY_ECDSA_P384 ? 1 : t == SIG_KEY_ECDSA_P521 ? 2 : 0;

	*method = SIG_IKEV2_AUTH_DIGITAL_SIGNATURE;
	if (t == SIG_KEY_ED25519 || t == SIG_KEY_ED448) {
		*s = offered & (1u << SIG_HASH_IDENTITY)
			     ? sig_scheme_select(t, SIG_HASH_IDENTITY, false)
			     : SIG_NONE;
		return *s == SIG_NONE ? -ENOTSUP : 0;
	}
	for (; i < ARRAY_SIZE(order); i++)
		if ((offered & (1u << order[i])) &&
		    (*s = sig_scheme_select(t, order[i], false)) != SIG_NONE)
			return 0;
	switch (t) {
	case SIG_KEY_RSA:
		*method = SIG_IKEV2_AUTH_RSA_SIG;
		*s = SIG_RSA_PKCS1_SHA1;
		return offered ? -ENOTSUP : 0;
	case SIG_KEY_ECDSA_P256:
		*method = SIG_IKEV2_AUTH_ECDSA_256;
		*s = SIG_ECDSA_P256_RS;
		return 0;
	case SIG_KEY_ECDSA_P384:
		*method = SIG_IKEV2_AUTH_ECDSA_384;
		*s = SIG_ECDSA_P384_RS;
		return 0;
	case SIG_KEY_ECDSA_P521:
		*method = SIG_IKEV2_AUTH_ECDSA_521;
		*s = SIG_ECDSA_P521_RS;
		return 0;
	default:
		return -ENOTSUP;
	}
}

/* --- the job --- */

struct pk_job {
	struct certs_store *store; /* a reference */
	/* the peer's side */
	bool verify;
	uint8_t *chain_buf;
	struct span chain[CERTS_CHAIN_MAX];
	size_t nchain;
	uint64_t wall;
	enum sig_scheme peer_scheme;
	uint8_t *peer_sig;
	size_t peer_sig_len;
	struct secret *peer_octets;
	int valid_rc, sig_rc;
	char why[CERTS_WHY_LEN];
	struct cert_result res;
	/* ours */
	const struct sig_key *key; /* borrowed from store */
	enum sig_scheme scheme;
	uint8_t method;
	struct secret *octets;
	uint8_t *auth;
	size_t auth_len;
	int sign_rc;
	/* afterwards */
	bool saved_req;
	void (*resume)(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now);
};

static void pk_job_free(struct pk_job *j)
{
	cert_result_clear(&j->res);
	secret_free(j->peer_octets);
	secret_free(j->octets);
	free(j->chain_buf);
	free(j->peer_sig);
	free(j->auth);
	certs_store_unref(j->store);
	free(j);
}

/* On a worker: only what the job carries (the store is sealed, immutable). */
static void pk_work(void *arg)
{
	struct pk_job *j = arg;
	struct span part;

	if (j->verify) {
		j->valid_rc = certs_validate(j->store, j->chain, j->nchain, j->wall, &j->res,
					     j->why, sizeof(j->why));
		if (j->valid_rc == 0) {
			part = (struct span){j->peer_octets->data, j->peer_octets->len};
			j->sig_rc = sig_verify(j->res.pubkey, j->peer_scheme, &part, 1, j->peer_sig,
					       j->peer_sig_len);
		}
	}
	/* sign only for a peer that proved itself (or when it is not our turn
	 * to check: the initiator signs before it hears from the responder) */
	if (!j->key || (j->verify && (j->valid_rc || j->sig_rc)))
		return;
	part = (struct span){j->octets->data, j->octets->len};
	if (j->method == SIG_IKEV2_AUTH_DIGITAL_SIGNATURE)
		j->sign_rc =
			sig_sign_auth_data(j->key, j->scheme, &part, 1, &j->auth, &j->auth_len);
	else
		j->sign_rc = sig_sign(j->key, j->scheme, &part, 1, &j->auth, &j->auth_len);
}

static void pk_finish(struct ikev2_engine *e, struct ikev2_ike_sa *sa, void *arg, int status)
{
	struct pk_job *j = arg;
	struct ikev2_pk *pk = sa ? sa->pk : NULL; /* kept while busy */

	if (!pk) {
		pk_job_free(j);
		return;
	}
	pk->busy = false;
	if (status < 0) {
		pk_job_free(j);
		ikev2_sa_delete(e, sa, "the signature job was cancelled");
		return;
	}
	pk->done = true;
	pk->verify = j->verify;
	pk->valid_rc = j->valid_rc;
	pk->sig_rc = j->sig_rc;
	pk->peer_scheme = j->peer_scheme;
	memcpy(pk->why, j->why, sizeof(pk->why));
	pk->peer = j->res;
	memset(&j->res, 0, sizeof(j->res));
	pk->method = j->key ? j->method : 0;
	pk->sign_rc = j->sign_rc;
	pk->auth = j->auth;
	pk->auth_len = j->auth_len;
	j->auth = NULL;
	if (j->resume)
		j->resume(e, sa, e->now);
	else
		ikev2_redispatch(e, sa, j->saved_req);
	pk_job_free(j);
}

/* The octets an AUTH covers (RFC 7296 2.15) for the initiator's side or the
 * responder's: RealMessage1 | Nr | prf(SK_pi, IDi') or RealMessage2 | Ni |
 * prf(SK_pr, IDr'). */
static int signed_octets(const struct ikev2_ike_sa *sa, bool initiator, struct span idb,
			 struct secret **out)
{
	struct span msg = initiator ? (struct span){sa->init_req, sa->init_req_len}
				    : (struct span){sa->init_resp, sa->init_resp_len};
	struct span nonce =
		initiator ? (struct span){sa->nr, sa->nr_len} : (struct span){sa->ni, sa->ni_len};

	return ikev2_signed_octets(sa->prf, msg, nonce, initiator ? sa->keys.sk_pi : sa->keys.sk_pr,
				   idb, out);
}

/* The peer's AUTH payload: its scheme and signature. -EPERM logged. */
static int peer_auth_prepare(const struct ikev2_ike_sa *sa, const struct ikev2_msg *m,
			     struct pk_job *j, const char *pfx)
{
	const struct ikev2_payload *ap = ikev2_msg_find(m, IKEV2_PL_AUTH, NULL);
	struct span sig = {NULL, 0};
	struct sig_err err;
	enum sig_hash h;

	memset(&err, 0, sizeof(err));
	if (!ap) {
		log_notice(SUB_IKE, "%s: the peer sent no AUTH payload", pfx);
		return -EPERM;
	}
	if (ap->auth.method == SIG_IKEV2_AUTH_DIGITAL_SIGNATURE) {
		if (sig_auth_data_decode(ap->auth.data.p, ap->auth.data.len, &j->peer_scheme, &sig,
					 &err) < 0) {
			log_notice(SUB_IKE, "%s: the peer's AUTH (method 14) is refused: %s", pfx,
				   err.reason);
			return -EPERM;
		}
		h = sig_scheme_hash(j->peer_scheme);
		if (!hash_is_ours(h)) {
			log_notice(SUB_IKE,
				   "%s: the peer signed with %s (hash %s), we offered SHA2_256, "
				   "SHA2_384, SHA2_512 and IDENTITY",
				   pfx, scheme_name(j->peer_scheme),
				   enum_name(&sig_hash_names, h) ? enum_name(&sig_hash_names, h)
								 : "?");
			return -EPERM;
		}
	} else {
		j->peer_scheme = sig_scheme_ikev2_method(ap->auth.method);
		sig = ap->auth.data;
		if (j->peer_scheme == SIG_NONE) {
			log_notice(SUB_IKE,
				   "%s: the peer authenticates with method %u%s, we expect a "
				   "signature (method 1, 9, 10, 11 or 14)",
				   pfx, ap->auth.method,
				   ap->auth.method == IKEV2_AUTH_METHOD_SHARED_KEY_MIC ? " (PSK)"
										       : "");
			return -EPERM;
		}
	}
	j->peer_sig = malloc(sig.len ? sig.len : 1);
	if (!j->peer_sig)
		return -ENOMEM;
	memcpy(j->peer_sig, sig.p, sig.len);
	j->peer_sig_len = sig.len;
	return 0;
}

/* The peer's CERT payloads: X.509 signature ones, end entity first. */
static int peer_certs_prepare(const struct ikev2_ike_sa *sa, const struct ikev2_msg *m,
			      struct pk_job *j, const char *pfx)
{
	const struct ikev2_payload *p = NULL;
	size_t total = 0, off = 0, i;

	while ((p = ikev2_msg_find(m, IKEV2_PL_CERT, p))) {
		if (p->cert.encoding != IKEV2_CERT_X509_SIGNATURE || p->cert.data.len == 0) {
			log_info(SUB_IKE,
				 "%s: CERT payload of encoding %u ignored (oak reads X.509 "
				 "certificates, encoding 4)",
				 pfx, p->cert.encoding);
			continue;
		}
		if (j->nchain == CERTS_CHAIN_MAX) {
			log_info(SUB_IKE, "%s: more than %d certificates, the rest ignored", pfx,
				 CERTS_CHAIN_MAX);
			break;
		}
		j->chain[j->nchain++] = p->cert.data;
		total += p->cert.data.len;
	}
	if (j->nchain == 0 || total == 0) {
		log_notice(SUB_IKE,
			   "%s: the peer sent no X.509 certificate (CERT payload of encoding 4) "
			   "to verify its signature with%s",
			   pfx, sa->sa.conn->send_certreq ? "" : " (send_certreq = no)");
		return -EPERM;
	}
	j->chain_buf = malloc(total);
	if (!j->chain_buf)
		return -ENOMEM;
	for (i = 0; i < j->nchain; i++) {
		memcpy(j->chain_buf + off, j->chain[i].p, j->chain[i].len);
		j->chain[i].p = j->chain_buf + off;
		off += j->chain[i].len;
	}
	return 0;
}

static const char *sa_prefix(const struct ikev2_ike_sa *sa, char *buf, size_t len)
{
	char peer[IP_ADDR_STRLEN];

	snprintf(buf, len, "IKE SA #%u %s (%s)", sa->sa.serial,
		 ike_sa_peer(&sa->sa, peer, sizeof(peer)), sa->sa.conn->name);
	return buf;
}

/* Our side of the job: the key, method, scheme and octets. */
static int own_prepare(const struct ikev2_ike_sa *sa, struct span my_idb, struct pk_job *j,
		       const char *pfx)
{
	enum sig_key_type t = sig_key_type(sa->pk->own.key);

	if (choose_scheme(sa, t, &j->method, &j->scheme) < 0) {
		log_err(SUB_IKE, "%s: cannot sign with our %s key: the peer %s", pfx,
			enum_name(&sig_key_type_names, t) ? enum_name(&sig_key_type_names, t) : "?",
			sa->peer_sig_hashes ? "announced no hash that fits it (RFC 7427)"
					    : "did not send SIGNATURE_HASH_ALGORITHMS (RFC 7427), "
					      "which this key needs");
		return -EPERM;
	}
	j->key = sa->pk->own.key;
	return signed_octets(sa, sa->sa.initiator, my_idb, &j->octets);
}

int ikev2_cert_auth_start(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
			  const struct ikev2_rx *rx, const struct ikev2_payload *peer_idp,
			  struct span my_idb,
			  void (*resume)(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					 uint64_t now))
{
	struct pk_job *j;
	char pfx[128];
	int r = 0;

	if (!ikev2_cert_pk(sa))
		return -ENOMEM;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	sa_prefix(sa, pfx, sizeof(pfx));
	j->store = sa->certs ? certs_store_ref(sa->certs) : NULL;
	j->sig_rc = -EPERM;
	j->resume = resume;
	if (peer_idp) {
		j->verify = true;
		j->wall = ikev2_wall_time(e);
		if (!j->store) {
			log_err(SUB_IKE,
				"%s: remote auth = pubkey, but no certificate store is loaded",
				pfx);
			r = -EPERM;
		}
		if (r == 0)
			r = peer_auth_prepare(sa, rx->msg, j, pfx);
		if (r == 0)
			r = peer_certs_prepare(sa, rx->msg, j, pfx);
		if (r == 0)
			r = signed_octets(sa, !sa->sa.initiator, peer_idp->body, &j->peer_octets);
	}
	if (r == 0 && my_idb.len)
		r = own_prepare(sa, my_idb, j, pfx);
	if (r == 0 && rx) {
		j->saved_req = !(rx->msg->hdr.flags & IKEV2_FLAG_R);
		r = ikev2_save(j->saved_req ? &sa->saved_req : &sa->saved_resp, rx);
	}
	if (r == 0)
		r = ikev2_job_submit(e, sa, pk_work, pk_finish, j);
	if (r < 0) {
		if (r != -EPERM)
			log_err(SUB_IKE, "%s: cannot start the signature job: %s", pfx,
				strerror(-r));
		pk_job_free(j);
		return -EPERM;
	}
	/* j now belongs to the job: pk_finish frees it (the analyzer cannot see
	 * into the executor) */
	sa->pk->busy = true; // NOLINT(clang-analyzer-unix.Malloc)
	return 0;
}

int ikev2_cert_auth_verdict(const struct ikev2_ike_sa *sa, const struct ident *peer_id)
{
	const struct ikev2_pk *pk = sa->pk;
	const struct conn_cfg *c = sa->sa.conn;
	char pfx[128], dn[IDENT_STRLEN], idt[IDENT_STRLEN], anchor[IDENT_STRLEN];
	bool ca_ok = c->remote.ncacerts == 0;
	size_t i;

	sa_prefix(sa, pfx, sizeof(pfx));
	ident_fmt(peer_id, idt, sizeof(idt));
	if (!pk || !pk->done || !pk->verify) {
		log_err(SUB_IKE, "%s: the peer's signature was not checked", pfx);
		return -EPERM;
	}
	if (pk->valid_rc) {
		log_notice(SUB_IKE, "%s: the peer's certificate is not accepted: %s", pfx, pk->why);
		return -EPERM;
	}
	ident_fmt(&pk->peer.subject, dn, sizeof(dn));
	if (!certs_id_matches(pk->peer.cert, peer_id)) {
		log_notice(SUB_IKE, "%s: peer ID '%s' is not in its certificate '%s'", pfx, idt,
			   dn);
		return -EPERM;
	}
	for (i = 0; i < c->remote.ncacerts && !ca_ok; i++)
		ca_ok = certs_result_has_ca(sa->certs, &pk->peer, c->remote.cacerts[i]);
	if (!ca_ok) {
		log_notice(SUB_IKE,
			   "%s: the peer's certificate '%s' chains to '%s', not through a CA of "
			   "remote.cacerts ('%s'%s)",
			   pfx, dn, ident_fmt(&pk->peer.anchor, anchor, sizeof(anchor)),
			   c->remote.cacerts[0], c->remote.ncacerts > 1 ? ", ..." : "");
		return -EPERM;
	}
	if (pk->sig_rc == -EINVAL) {
		log_notice(SUB_IKE,
			   "%s: the peer's signature scheme %s does not fit the key of '%s'", pfx,
			   scheme_name(pk->peer_scheme), dn);
		return -EPERM;
	}
	if (pk->sig_rc) {
		log_notice(SUB_IKE, "%s: signature (%s) does not verify with the key of '%s'", pfx,
			   scheme_name(pk->peer_scheme), dn);
		return -EPERM;
	}
	log_info(SUB_IKE, "%s: peer '%s' authenticated by certificate '%s' (%s)", pfx, idt, dn,
		 scheme_name(pk->peer_scheme));
	return 0;
}

int ikev2_cert_put_auth(const struct ikev2_ike_sa *sa, struct ikev2_enc *enc)
{
	const struct ikev2_pk *pk = sa->pk;
	struct ikev2_auth a;
	char pfx[128];

	if (!pk || !pk->done || !pk->method || pk->sign_rc || !pk->auth) {
		log_err(SUB_IKE, "%s: signing our AUTH failed: %s", sa_prefix(sa, pfx, sizeof(pfx)),
			pk && pk->sign_rc ? strerror(-pk->sign_rc) : "no signature");
		return -EPERM;
	}
	memset(&a, 0, sizeof(a));
	a.method = pk->method;
	a.data = (struct span){pk->auth, pk->auth_len};
	return ikev2_put_auth(enc, &a) < 0 ? -EPERM : 0;
}

struct ikev2_pk *ikev2_cert_pk(struct ikev2_ike_sa *sa)
{
	if (!sa->pk)
		sa->pk = calloc(1, sizeof(*sa->pk));
	return sa->pk;
}

void ikev2_cert_pk_clear(struct ikev2_ike_sa *sa)
{
	struct ikev2_pk *pk = sa->pk;

	if (!pk)
		return;
	cert_result_clear(&pk->peer);
	free(pk->auth);
	if (pk->busy) {
		memset(pk, 0, sizeof(*pk));
		pk->busy = true; /* its job still comes back */
		return;
	}
	free(pk);
	sa->pk = NULL;
}
