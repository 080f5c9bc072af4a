/* exchange.h: what the IKEv2 engine's files share (not for the daemon:
 * engine.h is the public API).
 *
 * Flow of a received message (engine.c): decode the header and the outer
 * payloads -> find the SA by SPIs (an IKE_SA_INIT request without one goes
 * to ike_sa_init_request()) -> message ID window: a retransmitted request
 * gets the cached response, anything else out of window is dropped -> SK
 * payload: ICV checked, then decrypted, then the inner chain decoded (sk.c)
 * -> payload rules (wire/ikev2_rules.h) -> the transition whose exchange,
 * direction and state fit (the tables at the end of each exchange file) ->
 * its handler -> the result (table below) says what is sent and deleted.
 */
#ifndef OAK_IKEV2_EXCHANGE_H
#define OAK_IKEV2_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/dh.h"
#include "crypto/encr.h"
#include "crypto/ikev2_keys.h"
#include "crypto/integ.h"
#include "crypto/prf.h"
#include "ike/certs.h"
#include "ike/env.h"
#include "ike/ike_sa.h"
#include "ike/sa_table.h"
#include "ike/timers.h"
#include "ikev2/engine.h"
#include "lib/builder.h"
#include "wire/ikev2.h"

/* What a handler tells the engine, libreswan's stf_status idea.
 *
 *  result   | request (we answer)                  | response (we asked)
 *  ---------+--------------------------------------+---------------------------------
 *  OK       | send the reply built, cache it,      | done; the next queued request
 *           | advance the peer's message ID        | of the SA may start
 *  SUSPEND  | a crypto job runs; send nothing now; | the same; the job's done
 *           | a retransmission is dropped; the     | re-runs the handler on the
 *           | job's done re-runs the handler       | saved message
 *  IGNORE   | as if never received: nothing sent,  | as if never received: our
 *           | nothing cached, ID not advanced      | request stays outstanding
 *  FAIL     | send the reply built (an error       | the exchange failed (logged);
 *           | notify), cache it; the IKE SA stays  | the IKE SA stays
 *  FATAL    | send the reply built (an error       | delete the IKE SA (no message)
 *           | notify), then delete the IKE SA      |
 */
enum ikev2_result {
	IKEV2_OK = 0,
	IKEV2_SUSPEND,
	IKEV2_IGNORE,
	IKEV2_FAIL,
	IKEV2_FATAL,
};

/* A DH exchange of one direction (our request / the peer's request): the
 * key pair, the peer's value and the shared secret once the job ran. */
struct ikev2_kex {
	const struct dh_group *group;
	struct dh_key *key;
	uint8_t *pub; /* our public value, group->pub_len bytes */
	struct secret *shared;
	bool busy; /* a job is running */
	int err;   /* of the last job */
};

/* A saved message, to re-run its handler when a job finishes. */
struct ikev2_saved {
	uint8_t *buf;
	size_t len;
	struct ip_endpoint local, remote;
};

/* Requests waiting for the window (RFC 7296 2.3: we use size 1). */
enum ikev2_task_kind {
	IKEV2_TASK_CREATE_CHILD, /* CREATE_CHILD_SA for child cfg `name` */
	IKEV2_TASK_DELETE_CHILD, /* INFORMATIONAL with D of CHILD SA `serial` */
	IKEV2_TASK_DELETE_IKE,	 /* INFORMATIONAL with D(IKE) */
	IKEV2_TASK_DELETE_SPI,	 /* INFORMATIONAL with D(protocol, SPI `serial`) of a
				  * CHILD SA we never installed (its peer's half) */
	IKEV2_TASK_REKEY_CHILD,	 /* CREATE_CHILD_SA with REKEY_SA of CHILD SA `serial` */
	IKEV2_TASK_REKEY_IKE,	 /* CREATE_CHILD_SA rekeying this IKE SA */
	IKEV2_TASK_DPD,		 /* an empty INFORMATIONAL: is the peer alive? (2.4) */
};

struct ikev2_task {
	enum ikev2_task_kind kind;
	uint32_t serial;
	uint8_t protocol; /* DELETE_SPI */
	char name[MODEL_NAME_MAX];
};

#define IKEV2_TASKS_MAX 8

/* RFC 7296 2.6: a COOKIE's data is 1 to 64 octets */
#define IKEV2_COOKIE_MAX 64

/* RFC 7383: fragments of one message we send or take at most, and the
 * plaintext octets we keep for one message being reassembled. */
#define IKEV2_FRAG_MAX	 64
#define IKEV2_FRAG_BYTES 65536

struct ikev2_frag_in;

/* Public key authentication of one IKE_AUTH (cert_auth.c): what the
 * signature job computed, kept until the handler that started it runs
 * again. */
struct ikev2_pk {
	bool busy;	      /* a job runs */
	bool done;	      /* the results below are in */
	bool have_own;	      /* own is chosen */
	struct certs_own own; /* our certificate (borrowed from the SA's store) */
	bool verify;	      /* the peer's side was checked */
	int valid_rc;	      /* certs_validate() */
	int sig_rc;	      /* sig_verify() of the peer's AUTH */
	enum sig_scheme peer_scheme;
	char why[CERTS_WHY_LEN]; /* of certs_validate */
	struct cert_result peer; /* the peer's validated certificate */
	uint8_t method;		 /* of our AUTH; 0 when we did not sign */
	uint8_t *auth;		 /* our Authentication Data */
	size_t auth_len;
	int sign_rc;
};

/* The IKE SA as the IKEv2 engine keeps it: the common part first. */
/* Members follow the exchanges, not size: repacking this per-SA struct (the
 * analyzer counts 40 bytes of padding) belongs with the memory benchmark. */
struct ikev2_ike_sa { // NOLINT(clang-analyzer-optin.performance.Padding)
	struct ike_sa sa;
	struct ikev2_ike_sa *next_dead; /* engine's list of SAs to free */
	/* negotiated transforms (from sa.proposal) */
	const struct encr_alg *encr;
	uint16_t encr_key_bits;
	const struct integ_alg *integ; /* NULL with AEAD */
	const struct prf_alg *prf;
	struct ikev2_ike_keys keys;
	bool have_keys;
	/* IKE_SA_INIT. Ni, Nr and both messages are needed for AUTH and for
	 * the keys of the CHILD SA of IKE_AUTH only (RFC 7296 2.14, 2.15,
	 * 2.17): heap copies of exact length (ikev2_nonce_set), freed by
	 * ikev2_sa_trim once the SA is established. */
	uint8_t *ni, *nr;
	size_t ni_len, nr_len;
	uint8_t *init_req, *init_resp; /* RealMessage1, RealMessage2 (RFC 7296 2.15) */
	size_t init_req_len, init_resp_len;
	uint8_t *cookie; /* the responder's COOKIE (2.6), ikev2_nonce_set */
	size_t cookie_len;
	unsigned cookie_tries, ke_tries;
	struct ikev2_kex dh_req;  /* for exchanges we start */
	struct ikev2_kex dh_resp; /* for exchanges the peer starts */
	struct ikev2_saved saved_req, saved_resp;
	/* message IDs (RFC 7296 2.2) */
	uint32_t next_req_id; /* of our next request */
	uint32_t peer_req_id; /* the peer's next request must carry this */
	bool req_busy;	      /* the peer's request peer_req_id is being handled */
	uint8_t *out_buf;     /* our outstanding request, for retransmission */
	size_t out_len;
	bool out_active;
	uint8_t out_exchange;
	uint32_t out_id;
	unsigned out_tries;
	uint64_t out_deadline;
	uint8_t *resp_buf; /* the response to peer_req_id - 1 (the response cache) */
	size_t resp_len;
	bool have_resp;
	/* the exchange we started: which CHILD SA it negotiates (0 none) and
	 * its nonce and proposals as offered (to check the choice) */
	uint32_t req_child;
	uint8_t req_nonce[32];
	/* PROPOSAL_MAX of them, allocated when the SA first offers something
	 * (ikev2_req_offer): a responder that never initiates an exchange with
	 * proposals carries none of these 4.8 KB */
	struct proposal *req_offer;
	size_t req_noffer;
	bool req_transport;
	const struct child_cfg *req_child_cfg;
	uint32_t req_delete_child; /* the CHILD SA our INFORMATIONAL deletes */
	bool req_ke_retried;	   /* our CREATE_CHILD_SA was retried after INVALID_KE_PAYLOAD */
	/* the peer's CREATE_CHILD_SA being answered (while its DH job runs) */
	uint32_t resp_child;
	uint8_t resp_nonce[32];
	/* IKE SA rekeying (rekey.c, RFC 7296 1.3.2, 2.18) */
	uint32_t req_rekey_ike;	 /* our CREATE_CHILD_SA makes this new IKE SA */
	uint32_t resp_rekey_ike; /* the peer's (being answered) makes this one */
	uint32_t rekeyed_to;	 /* replaced by this IKE SA: only its Delete is left */
	uint32_t rekey_parent;	 /* made by rekeying this IKE SA (until established) */
	/* reauthentication, make-before-break (reauth.c, RFC 7296 2.8.3) */
	uint32_t reauth_by; /* the new IKE SA reauthenticating this one */
	uint32_t reauth_of; /* this new IKE SA reauthenticates that one (until done) */
	/* RFC 7296 2.8.1: the peer rekeyed the SA we are rekeying; what its
	 * exchange created and the lower of its two nonces */
	uint32_t coll_new;
	bool coll_ike;
	uint8_t *coll_nonce; /* ikev2_nonce_set */
	size_t coll_nonce_len;
	/* RFC 7296 2.4: when a message of the peer last came (DPD) */
	uint64_t last_rx;
	/* RFC 7383: the peer sent IKEV2_FRAGMENTATION_SUPPORTED (and we did);
	 * our outstanding request / cached response went out in fragments of
	 * this many octets (all but the last; 0: one datagram); reassembly of
	 * the peer's requests [0] and responses [1] */
	bool frag_peer;
	size_t out_frag_len, resp_frag_len;
	struct ikev2_frag_in *frag_in[2];
	/* queue of requests to start: IKEV2_TASKS_MAX of them, allocated with
	 * the first task and freed when the queue drains (most SAs never
	 * queue one) */
	struct ikev2_task *tasks;
	unsigned ntasks;
	/* RFC 7296 2.23: NAT traversal as if a NAT was there (conn encap = yes,
	 * both sides sent NAT_D): we faked our NAT_DETECTION_SOURCE_IP */
	bool nat_forced;
	/* what the peer told us */
	bool peer_initial_contact;
	uint16_t peer_sig_hashes; /* bit n: RFC 7427 hash n offered */
	bool sent_sig_hashes;	  /* we sent SIGNATURE_HASH_ALGORITHMS */
	bool auth_failed_sent;
	bool peer_certreq_sent; /* any CERTREQ came (send_cert = ifasked) */
	uint8_t *peer_certreq;	/* their X.509 Certification Authority data, concatenated */
	size_t peer_certreq_len;
	struct certs_store *certs; /* a reference, taken when the SA was made */
	struct ikev2_pk *pk;	   /* public-key IKE_AUTH only (ikev2_cert_pk), else NULL */
};

struct ikev2_engine {
	struct ike_env env;
	struct oak_config *config;	   /* our reference */
	struct certs_store *certs;	   /* our reference, or NULL */
	uint64_t (*wall_clock)(void *ctx); /* seconds since the epoch; NULL: time() */
	void *wall_ctx;
	bool no_rfc7427; /* do not send SIGNATURE_HASH_ALGORITHMS */
	struct sa_table table;
	struct timers timers;
	struct ikev2_ike_sa *dead; /* removed from the table, freed at the end of the call */
	uint32_t next_reqid;
	struct ikev2_traps *traps; /* start_action = trap (acquire.c), NULL: none */
	struct ikev2_deferred
		*deferred; /* outbound SAs waiting for their predecessor to go (child.c) */
	/* RFC 7296 2.6: cookie secrets, the current and the one before */
	uint8_t cookie_secret[2][32];
	uint8_t cookie_version; /* of cookie_secret[0] */
	uint64_t cookie_rotate_ms;
	bool cookie_ready;
	struct ikev2_msg msg; /* decode scratch for the message being handled */
	unsigned depth;	      /* nesting of public calls (reaping happens at 0) */
	uint64_t now;	      /* time given to the latest public call */
};

/* A received message being handled (all borrowed). */
struct ikev2_rx {
	struct ikev2_msg *msg;
	const uint8_t *buf;
	size_t len;
	struct ip_endpoint local, remote;
	uint64_t now;
};

/* A transition: the row of an exchange file's table. Payload sets are bit
 * masks of IKEV2_PLB(type). */
typedef enum ikev2_result ikev2_handler_fn(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					   struct ikev2_rx *rx, struct ikev2_enc *reply);

struct ikev2_transition {
	const char *name; /* the handler's name, for logs */
	uint8_t exchange;
	bool response;	 /* handles the answer to our request; else a request */
	unsigned states; /* IKEV2_ST(state) bits it may run in */
	uint32_t required, optional;
	ikev2_handler_fn *handler;
};

#define IKEV2_PLB(t) (1u << ((t)-32))
#define IKEV2_ST(s)  (1u << (s))

extern const struct ikev2_transition ikev2_ike_sa_init_transitions[];
extern const size_t ikev2_ike_sa_init_ntransitions;
extern const struct ikev2_transition ikev2_ike_auth_transitions[];
extern const size_t ikev2_ike_auth_ntransitions;
extern const struct ikev2_transition ikev2_create_child_sa_transitions[];
extern const size_t ikev2_create_child_sa_ntransitions;
extern const struct ikev2_transition ikev2_informational_transitions[];
extern const size_t ikev2_informational_ntransitions;

static inline struct ikev2_ike_sa *ikev2_sa_of(struct ike_sa *sa)
{
	return (struct ikev2_ike_sa *)(void *)sa; /* sa is the first member */
}

/* RFC 7296 2.23: a NAT was detected (or faked with encap = yes), so IKE
 * moves to the NAT-T port and ESP goes in UDP. */
static inline bool ikev2_nat_traversal(const struct ikev2_ike_sa *sa)
{
	return sa->sa.nat_local || sa->sa.nat_remote || sa->nat_forced;
}

/* --- engine.c --- */

/* Bracket every entry from outside (API call, job completion): SAs deleted
 * inside are freed when the outermost call leaves. */
void ikev2_enter(struct ikev2_engine *e);
void ikev2_leave(struct ikev2_engine *e);

/* A new SA in the table (state NEW) with a fresh own SPI; a responder
 * passes the peer's SPIi. NULL on failure. */
struct ikev2_ike_sa *ikev2_sa_create(struct ikev2_engine *e, bool initiator,
				     const struct ip_endpoint *local,
				     const struct ip_endpoint *remote, const uint8_t *peer_spi_i,
				     uint64_t now);
/* Remove the SA: its CHILD SAs out of the kernel, its timers cancelled, state
 * DEAD, out of the table; freed when the current engine call returns. `why`
 * is logged (NULL: nothing logged). */
void ikev2_sa_delete(struct ikev2_engine *e, struct ikev2_ike_sa *sa, const char *why);
struct ikev2_ike_sa *ikev2_sa_by_serial(struct ikev2_engine *e, uint32_t serial);
/* Handle a message for sa: message ID window (a retransmitted request gets
 * the cached response), decryption, rules, the transition's handler. */
void ikev2_dispatch(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct ikev2_rx *rx);
/* Seal (encrypt unless IKE_SA_INIT) and send a request with the payload
 * chain in b; it becomes the outstanding request, retransmitted until
 * answered. 0 or negative errno (logged). */
int ikev2_send_request(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint8_t exchange,
		       const uint8_t *chain, size_t chain_len, uint8_t first, uint64_t now);
/* Send an INFORMATIONAL request once, without waiting for an answer (used
 * when deleting everything at shutdown or after a failed AUTH). */
void ikev2_send_oneshot(struct ikev2_engine *e, struct ikev2_ike_sa *sa, const uint8_t *chain,
			size_t chain_len, uint8_t first);
/* *dst (freed first, caller frees) becomes a heap copy of the len octets
 * at src, or len random octets when src is NULL (a nonce of ours); *dst_len
 * is set. 0, -ENOMEM or -EIO (no randomness); on error *dst is unchanged. */
int ikev2_nonce_set(uint8_t **dst, size_t *dst_len, const uint8_t *src, size_t len);
/* Free what only the IKE_SA_INIT / IKE_AUTH pair needs (Ni, Nr,
 * RealMessage1/2, the COOKIE, SK_pi and SK_pr) once sa is established: the engine calls it after every
 * handler that leaves sa established. */
void ikev2_sa_trim(struct ikev2_ike_sa *sa);
/* Queue a request for when the window is free and start it if it is. */
int ikev2_task_add(struct ikev2_engine *e, struct ikev2_ike_sa *sa, const struct ikev2_task *t,
		   uint64_t now);
/* Submit a DH job: keygen when d->key is NULL, derive when peer is given
 * (copied). The saved message (may be NULL for none) is re-handled when it
 * finishes; with none, `resume` is called instead. 0 or negative errno. */
int ikev2_dh_submit(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct ikev2_kex *d,
		    const uint8_t *peer, size_t peer_len, struct ikev2_saved *saved,
		    void (*resume)(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now));
void ikev2_dh_clear(struct ikev2_kex *d);
/* Save the message being handled for a job's resumption. 0 or -ENOMEM. */
int ikev2_save(struct ikev2_saved *s, const struct ikev2_rx *rx);
void ikev2_saved_clear(struct ikev2_saved *s);
/* Run work(arg) on the job executor for sa; then, on the loop thread and
 * inside ikev2_enter/leave, finish(e, sa, arg, status) with sa NULL when
 * the SA is gone (finish frees arg in every case; status as ike_jobs).
 * 0, or a negative errno and nothing runs. */
int ikev2_job_submit(struct ikev2_engine *e, struct ikev2_ike_sa *sa, void (*work)(void *arg),
		     void (*finish)(struct ikev2_engine *e, struct ikev2_ike_sa *sa, void *arg,
				    int status),
		     void *arg);
/* Re-handle the saved request (resp_side) or response of sa after a job. */
void ikev2_redispatch(struct ikev2_engine *e, struct ikev2_ike_sa *sa, bool resp_side);
/* Seconds since the Unix epoch, for certificate validity. */
uint64_t ikev2_wall_time(const struct ikev2_engine *e);
/* sa->req_offer, allocated if needed; NULL when out of memory (logged). */
struct proposal *ikev2_req_offer(struct ikev2_ike_sa *sa);
/* Current config and daemon settings. */
const struct daemon_cfg *ikev2_daemon_cfg(const struct ikev2_engine *e);
uint32_t ikev2_new_reqid(struct ikev2_engine *e);

/* --- acquire.c: start_action = trap --- */

/* The reqid for a new CHILD SA of cfg in sa: the configured one, the trap's
 * (so the kernel's pending acquire ends when it is installed), or new. */
uint32_t ikev2_trap_reqid(struct ikev2_engine *e, const struct ike_sa *sa,
			  const struct child_cfg *cfg);
/* RFC 7296 2.9: put the packet of a pending ACQUIRE for c's child first in
 * c's TS (initiator's offer, after the configured TS are set). */
void ikev2_trap_first_ts(struct ikev2_engine *e, const struct ike_sa *sa, struct child_sa *c);
/* Free the trap list (no kernel calls; ikev2_engine_free). */
void ikev2_traps_free(struct ikev2_engine *e);

/* --- sk.c (RFC 7296 3.14, RFC 5282) --- */

/* The whole message: header (I flag by our role, R flag for a response)
 * and an SK payload holding the chain. (caller frees *out) 0 or -errno. */
int ikev2_sk_seal(const struct ikev2_ike_sa *sa, uint8_t exchange, bool response, uint32_t msg_id,
		  const uint8_t *chain, size_t chain_len, uint8_t first, uint8_t **out,
		  size_t *out_len);
/* Check the ICV of the SK payload of msg (decoded from buf), decrypt it and
 * decode the inner chain into msg. *plain (caller frees) holds the
 * decrypted bytes msg now borrows from. 0; -EBADMSG ICV or padding wrong
 * (nothing believed: drop); -EPROTO inner chain malformed (err says why:
 * INVALID_SYNTAX); -ENOTSUP unsupported critical inner payload. */
int ikev2_sk_open(struct ikev2_ike_sa *sa, struct ikev2_msg *msg, const uint8_t *buf, size_t len,
		  uint8_t **plain, struct wire_err *err);
/* RFC 7383 2.5: the same message as SKF fragments of at most max_dgram
 * octets each, concatenated in *out (caller frees); *frag_len: the length
 * of each but the last (0 when one datagram came out). -EMSGSIZE when it
 * needs more than max_frags (the engine: IKEV2_FRAG_MAX) fragments. */
int ikev2_sk_seal_frags(const struct ikev2_ike_sa *sa, uint8_t exchange, bool response,
			uint32_t msg_id, const uint8_t *chain, size_t chain_len, uint8_t first,
			size_t max_dgram, size_t max_frags, uint8_t **out, size_t *out_len,
			size_t *frag_len);

/* --- frag.c (RFC 7383) --- */

/* The decrypted fragment *plain (adopted) of msg (its SKF payload): 0 when
 * the message is complete, with *plain (caller frees), *len and *inner the
 * whole inner chain and its first type; -EINPROGRESS when fragments are
 * missing (or it was dropped); -EBADMSG beyond the limits; -ENOMEM. */
int ikev2_frag_add(struct ikev2_ike_sa *sa, const struct ikev2_msg *msg, uint8_t **plain,
		   size_t *len, uint8_t *inner);
void ikev2_frag_free(struct ikev2_ike_sa *sa);
/* Largest IKE message (UDP payload) we send to sa's peer in one datagram. */
size_t ikev2_frag_max_dgram(const struct ikev2_engine *e, const struct ikev2_ike_sa *sa);
/* Whether a message of exchange sealed to len octets goes in fragments. */
bool ikev2_frag_wanted(const struct ikev2_engine *e, const struct ikev2_ike_sa *sa,
		       uint8_t exchange, size_t len);
/* The unencrypted message: header and the chain (IKE_SA_INIT). */
int ikev2_plain_seal(const uint8_t spi_i[8], const uint8_t spi_r[8], uint8_t exchange,
		     uint8_t flags, uint32_t msg_id, const uint8_t *chain, size_t chain_len,
		     uint8_t first, uint8_t **out, size_t *out_len);

/* --- payloads.c: wire <-> values --- */

/* The proposals of an SA payload (at most max; proposals or transforms
 * beyond the limits of struct proposal are dropped, logged at debug). */
size_t ikev2_proposals_from_sa(const struct ikev2_sa *sa, struct proposal *out, size_t max);
/* Put an SA payload with these proposals, numbered 1.. (or by their num
 * when keep_num), each with spi (may be NULL) of spi_len bytes;
 * skip_ke leaves KE transforms out (IKE_AUTH CHILD SA, RFC 7296 1.2). */
int ikev2_put_proposals(struct ikev2_enc *enc, const struct proposal *p, size_t n,
			const uint8_t *spi, size_t spi_len, bool keep_num, bool skip_ke);
/* Our ID payload body (type + data) for an identity, or the address when it
 * is %any. */
void ikev2_id_for(const struct ident *cfg_id, const struct ip_addr *addr, struct ident *out);
/* Traffic selectors <-> TS payload. */
int ikev2_put_ts_list(struct ikev2_enc *enc, uint8_t pl_type, const struct ts *ts, size_t n);
size_t ikev2_ts_from_payload(const struct ikev2_ts_list *l, struct ts *out, size_t max);
/* A notify with data (no SPI). */
int ikev2_put_notify_data(struct ikev2_enc *enc, uint16_t type, const void *data, size_t len);
/* RFC 7296 2.23: SHA-1(SPIi | SPIr | IP | port) into out[20]. */
int ikev2_nat_hash(const uint8_t spi_i[8], const uint8_t spi_r[8], const struct ip_endpoint *ep,
		   uint8_t out[20]);
/* The first error notify (type < 16384) of msg, or NULL. */
const struct ikev2_payload *ikev2_error_notify(const struct ikev2_msg *m);
const char *ikev2_notify_name(uint16_t type, char *buf, size_t len);

/* --- ike_sa_init.c --- */

/* An IKE_SA_INIT request for which no SA exists (RFC 7296 1.2, 2.6). */
void ikev2_ike_sa_init_request(struct ikev2_engine *e, struct ikev2_rx *rx);
/* The same with an unknown payload marked critical (its type in
 * rx->msg->unsupported_critical): answered without state with
 * N(UNSUPPORTED_CRITICAL_PAYLOAD) (RFC 7296 2.5). */
void ikev2_ike_sa_init_unsupported(struct ikev2_engine *e, struct ikev2_rx *rx);
/* Start an IKE SA as initiator for conn (borrowed from e's config),
 * negotiating child (may be NULL) in IKE_AUTH. */
int ikev2_ike_sa_init_start(struct ikev2_engine *e, const struct conn_cfg *conn,
			    const struct child_cfg *child, uint64_t now, uint32_t *serial);
/* The same from local to remote (borrowed), e.g. the addresses of an IKE
 * SA being reauthenticated. */
int ikev2_ike_sa_init_start_at(struct ikev2_engine *e, const struct conn_cfg *conn,
			       const struct child_cfg *child, const struct ip_endpoint *local,
			       const struct ip_endpoint *remote, uint64_t now, uint32_t *serial);
/* The transforms of sa->sa.proposal into sa (encr, integ, prf). 0 or
 * -ENOTSUP (logged) when one is missing or unimplemented. */
int ikev2_sa_algs(struct ikev2_ike_sa *sa);
/* Derive the IKE SA keys from dh shared secret and nonces; keylog them. */
int ikev2_ike_keys(struct ikev2_engine *e, struct ikev2_ike_sa *sa, const struct secret *g_ir);
/* The same from a SKEYSEED (borrowed) computed by the caller (a rekey,
 * RFC 7296 2.18): sa's proposal, nonces and SPIs are the new ones. */
int ikev2_ike_keys_seeded(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
			  const struct secret *skeyseed);

/* --- ike_auth.c --- */

/* Build and send the initiator's IKE_AUTH request. */
enum ikev2_result ikev2_ike_auth_send_request(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					      uint64_t now);

/* --- cert_auth.c: public key authentication (RFC 7296 2.15, 3.6-3.8,
 * RFC 7427, RFC 4754) --- */

/* IKE_SA_INIT: N(SIGNATURE_HASH_ALGORITHMS) with the hashes we verify
 * (SHA2-256/384/512, Identity), unless turned off; responder only when the
 * initiator sent one. Notes sa->sent_sig_hashes. */
void ikev2_cert_put_sig_hashes(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
			       struct ikev2_enc *enc);
/* CERTREQ with every CA of the store (RFC 7296 3.7), when the connection
 * authenticates the peer by public key, send_certreq is on and there are CAs. */
void ikev2_cert_put_certreq(const struct ikev2_ike_sa *sa, struct ikev2_enc *enc);
/* Remember the peer's CERTREQs of m (X.509 encoding; others logged). */
void ikev2_cert_note_certreq(struct ikev2_ike_sa *sa, const struct ikev2_msg *m);
/* Choose our certificate (sa->pk->own) for conn->local; sets sa->sa.local_id.
 * 0 or -ENOENT (logged). */
int ikev2_cert_choose_own(struct ikev2_ike_sa *sa);
/* Put our CERT payloads as send_cert says. */
void ikev2_cert_put_certs(const struct ikev2_ike_sa *sa, struct ikev2_enc *enc);
/* Start the job that checks the peer's CERTs and AUTH of rx (peer_idp:
 * its ID payload; NULL to skip) and signs our AUTH over my_idb with
 * sa->pk->own (empty: do not sign). With rx, the message is saved and
 * handled again when the job finished; without, resume is called. The
 * checks before the job (AUTH method and data, the hash offered, the CERT
 * payloads) fail with -EPERM, logged; every failure is -EPERM. */
int ikev2_cert_auth_start(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
			  const struct ikev2_rx *rx, const struct ikev2_payload *peer_idp,
			  struct span my_idb,
			  void (*resume)(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					 uint64_t now));
/* After the job: the peer's checks in order (certificate chain, its ID in
 * the certificate, remote.cacerts, the signature). 0 or -EPERM, logged
 * with what came and what was expected. */
int ikev2_cert_auth_verdict(const struct ikev2_ike_sa *sa, const struct ident *peer_id);
/* Put our signature AUTH (after the job). 0 or -EPERM (logged). */
int ikev2_cert_put_auth(const struct ikev2_ike_sa *sa, struct ikev2_enc *enc);
/* Forget the job's results (after the handler used them, and on free):
 * sa->pk is freed, or kept with only `busy` while its job still runs. */
void ikev2_cert_pk_clear(struct ikev2_ike_sa *sa);
/* sa's public-key state, allocated on first use; NULL when out of memory.
 * (borrowed: the SA's, freed by ikev2_cert_pk_free) */
struct ikev2_pk *ikev2_cert_pk(struct ikev2_ike_sa *sa);
/* Whether a signature job of sa runs / its results are in. */
static inline bool ikev2_cert_pk_busy(const struct ikev2_ike_sa *sa)
{
	return sa->pk && sa->pk->busy;
}
static inline bool ikev2_cert_pk_done(const struct ikev2_ike_sa *sa)
{
	return sa->pk && sa->pk->done;
}

/* --- child.c: CHILD SAs (RFC 7296 1.3, 2.9, 2.17) --- */

/* Our TS for a child: configured, or the IKE address when dynamic. */
size_t ikev2_child_local_ts(const struct ikev2_ike_sa *sa, const struct child_cfg *c,
			    struct ts *out, size_t max);
size_t ikev2_child_remote_ts(const struct ikev2_ike_sa *sa, const struct child_cfg *c,
			     struct ts *out, size_t max);
/* Initiator: a new CHILD SA for cfg in sa (state CREATING) with its
 * inbound SPI allocated, its offer in sa->req_offer (without KE when
 * ike_auth, RFC 7296 1.2) and the TS it proposes. NULL on failure (logged). */
struct child_sa *ikev2_child_offer(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
				   const struct child_cfg *cfg, bool ike_auth);
/* The same for a rekey of old (RFC 7296 1.3.3): its config, reqid,
 * traffic selectors and mode; c->rekey_of set. */
struct child_sa *ikev2_child_offer_rekey(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					 const struct child_sa *old);
/* Put [N(USE_TRANSPORT_MODE)] and SA: our offer (initiator) or the chosen
 * proposal (responder), with our inbound SPI. */
void ikev2_child_put_sa(struct ikev2_enc *enc, const struct ikev2_ike_sa *sa,
			const struct child_sa *c, bool ike_auth);
/* Put TSi and TSr (TSi is the initiator's side of the traffic). */
void ikev2_child_put_ts(struct ikev2_enc *enc, const struct ikev2_ike_sa *sa,
			const struct child_sa *c);
/* Responder: pick the child cfg (by TS), the proposal and the mode for the
 * request in rx; the new CHILD SA has both SPIs. On failure an error notify
 * (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE...) goes into reply and NULL is
 * returned (the IKE SA stays). *ke_group gets the chosen proposal's KE
 * group (0: none; always 0 for ike_auth). */
struct child_sa *ikev2_child_respond(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
				     struct ikev2_rx *rx, bool ike_auth, struct ikev2_enc *reply,
				     uint16_t *ke_group, const struct child_sa *old);
/* Initiator: check the responder's choice in rx for child c (proposal,
 * TS, mode). 0, or -1 (logged) when it is not acceptable. */
int ikev2_child_accept(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct child_sa *c,
		       struct ikev2_rx *rx);
/* KEYMAT and install: inbound and outbound SA and policies. ni/nr of the
 * creating exchange; g_ir NULL without PFS. 0 or -1 (logged; nothing left
 * in the kernel). */
int ikev2_child_install(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct child_sa *c,
			struct span ni, struct span nr, const struct secret *g_ir, uint64_t now);
/* Everything of c out of the kernel, then c out of the table and its IKE SA,
 * freed. */
void ikev2_child_destroy(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct child_sa *c);
/* Drop a CHILD SA that never got installed (release its SPI). */
void ikev2_child_abort(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct child_sa *c);
/* Free the outbound SAs still waiting (no kernel calls; ikev2_engine_free). */
void ikev2_child_deferred_free(struct ikev2_engine *e);

/* --- rekey.c: lifetimes, rekeying, collisions (RFC 7296 1.3.2, 1.3.3,
 * 2.8, 2.8.1, 2.18, 2.25) --- */

/* Rekey and expiry timers of a CHILD SA just installed / an IKE SA just
 * established (with DPD). */
void ikev2_child_timers(struct ikev2_engine *e, const struct child_sa *c, uint64_t now);
/* A CHILD SA's soft lifetime in ms: rekey_time less a random part of
 * rand_time (0 when rekey_time is 0). */
uint64_t ikev2_child_soft_ms(const struct child_cfg *cfg);
/* NAT-keepalives while behind a NAT (daemon.keep_alive): send one when
 * send, and arm the next. */
void ikev2_keepalive(struct ikev2_engine *e, const struct ikev2_ike_sa *sa, uint64_t now,
		     bool send);
void ikev2_ike_timers(struct ikev2_engine *e, const struct ikev2_ike_sa *sa, uint64_t now);
/* A timer of a CHILD SA (serial is not an IKE SA's) / of an IKE SA. */
void ikev2_child_timer(struct ikev2_engine *e, uint32_t serial, enum timer_kind kind, uint64_t now);
void ikev2_ike_timer(struct ikev2_engine *e, struct ikev2_ike_sa *sa, enum timer_kind kind,
		     uint64_t now);
/* c, made by a rekey (c->rekey_of), is installed; ni/nr of its exchange:
 * the old CHILD SA is replaced (and deleted by us when we initiated), or a
 * collision is noted or resolved (2.8.1). */
void ikev2_rekey_child_installed(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
				 struct child_sa *c, struct span ni, struct span nr);
/* Our rekey child c failed before it was installed; retry later when the
 * peer said TEMPORARY_FAILURE. */
void ikev2_rekey_child_failed(struct ikev2_engine *e, struct ikev2_ike_sa *sa, struct child_sa *c,
			      bool retry);
/* The CHILD SA the peer's N(REKEY_SA) n names, or NULL with an error
 * notify (CHILD_SA_NOT_FOUND, TEMPORARY_FAILURE) put into reply. */
struct child_sa *ikev2_rekey_child_target(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					  const struct ikev2_payload *n, struct ikev2_enc *reply);
/* The peer deletes IKE SA sa: if a rekey collision is pending, the peer's
 * new IKE SA gets the CHILD SAs first (2.8.1). */
void ikev2_rekey_ike_peer_deleted(struct ikev2_engine *e, struct ikev2_ike_sa *sa);
/* IKE SA rekey: our request, the answer to it, the peer's request. */
enum ikev2_result ikev2_rekey_ike_send(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
				       uint64_t now);
enum ikev2_result ikev2_rekey_ike_inR(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
				      struct ikev2_rx *rx);
enum ikev2_result ikev2_rekey_ike_inI_outR(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					   struct ikev2_rx *rx, struct ikev2_enc *reply);
/* --- reauth.c: reauthentication, make-before-break (RFC 7296 2.8.3) --- */

/* The reauth timer of sa fired (or a control request came): start a new
 * IKE SA to the same peer, carrying sa's children. 0 or as ikev2_reauth_ike. */
int ikev2_reauth_start(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now);
/* sa's window is idle: when sa reauthenticates another IKE SA and made
 * every CHILD SA it was to make, the old IKE SA is deleted. */
void ikev2_reauth_progress(struct ikev2_engine *e, struct ikev2_ike_sa *sa);
/* sa, a reauthenticating IKE SA, is being deleted before it was done
 * (why: the reason, may be NULL): the old one stays, logged. */
void ikev2_reauth_failed(struct ikev2_engine *e, struct ikev2_ike_sa *sa, const char *why);
/* c of sa is about to be installed: a CHILD SA of another IKE SA with the
 * same peer, config, mode and traffic selectors that holds the policies
 * (the one a reauthentication replaces, either side's), or NULL. */
struct child_sa *ikev2_reauth_policy_holder(struct ikev2_engine *e, const struct ikev2_ike_sa *sa,
					    const struct child_sa *c);

/* --- acquire.c: dpd_action = trap --- */

/* Install the trap of child cfg of conn (both borrowed) if none is there,
 * under reqid (0: a new one unless configured), kept over reloads while
 * the child says dpd_action = trap. 0 or -errno (logged). */
int ikev2_trap_dpd(struct ikev2_engine *e, const struct conn_cfg *conn, const struct child_cfg *cfg,
		   uint32_t reqid);

/* Start queued requests of sa if its window is free (engine.c). */
void ikev2_task_kick(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now);

/* --- create_child_sa.c / informational.c --- */

/* CREATE_CHILD_SA with N(REKEY_SA) for CHILD SA old_serial (1.3.3). */
enum ikev2_result ikev2_create_child_send_rekey(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
						uint32_t old_serial, uint64_t now);
/* RFC 7296 2.4: the DPD timer of sa fired; an empty INFORMATIONAL when
 * nothing came from the peer for dpd_delay. */
void ikev2_dpd_timer(struct ikev2_engine *e, struct ikev2_ike_sa *sa, uint64_t now);
/* The peer of an established sa is dead (its retransmissions ran out):
 * install the traps of the CHILD SAs whose dpd_action is trap, delete sa
 * (why is logged) and start again the CHILD SAs whose dpd_action is
 * restart. */
void ikev2_dead_peer(struct ikev2_engine *e, struct ikev2_ike_sa *sa, const char *why);
enum ikev2_result ikev2_informational_send_dpd(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					       uint64_t now);

enum ikev2_result ikev2_create_child_send(struct ikev2_engine *e, struct ikev2_ike_sa *sa,
					  const char *child_name, uint64_t now);
enum ikev2_result ikev2_informational_send_delete_child(struct ikev2_engine *e,
							struct ikev2_ike_sa *sa,
							uint32_t child_serial, uint64_t now);
/* Delete of our inbound SPI of a CHILD SA that is gone on our side: the
 * peer removes its half (RFC 7296 1.4.1). */
enum ikev2_result ikev2_informational_send_delete_spi(struct ikev2_engine *e,
						      struct ikev2_ike_sa *sa, uint8_t protocol,
						      uint32_t spi, uint64_t now);
enum ikev2_result ikev2_informational_send_delete_ike(struct ikev2_engine *e,
						      struct ikev2_ike_sa *sa, uint64_t now);

#endif
