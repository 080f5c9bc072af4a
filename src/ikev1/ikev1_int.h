/* ikev1_int.h: what the IKEv1 engine's files share (engine.h is the public
 * API).
 *
 * Flow of a received message (engine.c): decode the ISAKMP header and, when
 * clear, the payloads -> find the ISAKMP SA by the cookies (a Main or
 * Aggressive Mode message 1 without one goes to phase1.c) -> a retransmitted
 * message (byte-equal to the last one handled) gets our last answer again ->
 * decrypt with the IV chain of its exchange (crypt.c) -> payload rules
 * (wire/ikev1_rules.h) -> the handler of the exchange and the SA's phase 1
 * position or the Quick Mode's position.
 *
 * Key derivation, HASH and IV formulas are crypto/ikev1_keys.h (RFC 2409 5,
 * appendix B); this engine only keeps the inputs and the chains.
 */
#ifndef OAK_IKEV1_INT_H
#define OAK_IKEV1_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/dh.h"
#include "crypto/encr.h"
#include "crypto/ikev1_keys.h"
#include "crypto/prf.h"
#include "ike/certs.h"
#include "ike/env.h"
#include "ike/ike_sa.h"
#include "ike/sa_table.h"
#include "ike/timers.h"
#include "ikev1/engine.h"
#include "lib/builder.h"
#include "wire/ikev1.h"

#define IKEV1_NONCE_LEN	  32	  /* what we send (RFC 2409 5: 8..256) */
#define IKEV1_IV_MAX	  16	  /* cipher block: AES 16, 3DES 8 */
#define IKEV1_HASH_MAX	  64	  /* SHA2-512 */
#define IKEV1_MAX_QM	  8	  /* Quick Modes in flight per ISAKMP SA */
#define IKEV1_DEF_P1_LIFE 28800u  /* Windows main mode default, 8 h */
#define IKEV1_DEF_QM_LIFE 3600u	  /* Windows quick mode default, 1 h */
#define IKEV1_DEF_QM_KB	  102400u /* ... or 100 MB */

/* Phase 1 position: which message we sent last and wait an answer to. */
enum ikev1_p1_state {
	P1_NONE = 0,
	P1_MM_I1, /* initiator: MM1 sent, waiting for MM2 */
	P1_MM_I2, /* MM3 sent, waiting for MM4 */
	P1_MM_I3, /* MM5 sent, waiting for MM6 */
	P1_MM_R1, /* responder: MM2 sent, waiting for MM3 */
	P1_MM_R2, /* MM4 sent, waiting for MM5 */
	P1_AM_I1, /* initiator: AM1 sent, waiting for AM2 */
	P1_AM_R1, /* responder: AM2 sent, waiting for AM3 */
	P1_DONE,
};

/* One DH exchange: our key pair, our public value, the shared secret. */
struct ikev1_kex {
	const struct dh_group *group;
	struct dh_key *key;
	uint8_t *pub; /* group->pub_len bytes */
	struct secret *shared;
	bool busy;
	int err;
};

/* A message kept for answering retransmissions or for re-handling after a
 * job finished. */
struct ikev1_buf {
	uint8_t *p;
	size_t len;
};

/* One Quick Mode exchange (RFC 2409 5.5) and the IPsec SA pair it makes. */
enum ikev1_qm_state {
	QM_I1 = 1, /* initiator: QM1 sent, waiting for QM2 */
	QM_R1,	   /* responder: QM2 sent, waiting for QM3 */
	QM_DONE,   /* finished; kept a while to answer a retransmitted QM1/QM2 */
};

struct ikev1_qm {
	bool used;
	bool initiator;
	enum ikev1_qm_state state;
	uint32_t msgid;
	uint8_t iv[IKEV1_IV_MAX]; /* this exchange's CBC chain */
	uint32_t child_serial;	  /* the IPsec SA pair (0 once handed over or gone) */
	uint8_t ni[IKEV1_NONCE_MAX], nr[IKEV1_NONCE_MAX];
	size_t ni_len, nr_len;
	struct ikev1_kex dh; /* PFS */
	uint8_t *peer_ke;
	size_t peer_ke_len;
	uint16_t group; /* PFS group offered/chosen, 0 none */
	uint64_t life_s, life_kb;
	struct ikev1_buf last_rx; /* the last message of this exchange we handled */
	struct ikev1_buf last_tx; /* our last message of it */
	unsigned tries;
	uint64_t deadline;	/* retransmission (initiator QM1, responder QM2) */
	uint64_t done_at;	/* QM_DONE: forgotten after this */
	struct ikev1_buf saved; /* QM1/QM2 waiting for a PFS job */
	/* responder with PFS: the chosen transform, copied, until message 2 */
	struct ikev1_prop prop_keep;
	struct ikev1_xform raw_keep;
	uint8_t raw_attrs[256];
	bool ids;		/* IDci/IDcr came (and go back) */
	struct ip_addr peer_oa; /* the peer's NAT-OA (RFC 3947 5.2), family 0: none */
	uint32_t replaces;	/* a rekey: the IPsec SA deleted once this one is in */
};

/* IKE fragmentation (the vendor extension strongSwan and Windows use):
 * the parts of one message being reassembled. Windows fragments at 576-626
 * bytes, so a message may come in more than 16 parts. */
#define IKEV1_FRAGS_MAX	  64
#define IKEV1_FRAGS_BYTES 65535
struct ikev1_frags {
	uint16_t id;
	uint8_t last; /* number of the last fragment, 0 until it came */
	size_t bytes;
	struct ikev1_buf part[IKEV1_FRAGS_MAX]; /* by number - 1 */
};

/* Vendor IDs the peer sent (RFC 3947, RFC 3706, fragmentation, Microsoft). */
struct ikev1_peer_vids {
	bool natt, dpd, frag, ms;
	uint32_t ms_version;
};

struct ikev1_trap; /* trap.c */

/* The ISAKMP SA as the IKEv1 engine keeps it: the common part first. */
struct ikev1_ike_sa { // NOLINT(clang-analyzer-optin.performance.Padding)
	struct ike_sa sa;
	struct ikev1_ike_sa *next_dead;
	enum ikev1_p1_state p1;
	uint8_t exchange; /* ISAKMP_XCHG_IDPROT or ISAKMP_XCHG_AGGR */
	/* negotiated (phase 1 transform) */
	const struct encr_alg *encr;
	uint16_t key_bits;
	const struct prf_alg *prf;
	uint16_t auth_method; /* IKEV1_AUTH_* as negotiated */
	uint16_t group_id;
	uint64_t life_s;
	uint8_t xform_num; /* the chosen transform's number */
	struct ikev1_keys keys;
	bool have_keys;
	uint8_t iv[IKEV1_IV_MAX];      /* phase 1 CBC chain; after it, the last block */
	uint8_t iv_prev[IKEV1_IV_MAX]; /* before the last decryption (job re-runs) */
	size_t block;
	/* inputs of HASH_I/HASH_R and SKEYID */
	uint8_t ni[IKEV1_NONCE_MAX], nr[IKEV1_NONCE_MAX];
	size_t ni_len, nr_len;
	uint8_t *sai_b; /* the initiator's SA payload body */
	size_t sai_b_len;
	uint8_t *peer_ke;
	size_t peer_ke_len;
	struct ikev1_kex dh;
	uint8_t *idi_b, *idr_b; /* ID payload bodies (AM: kept from AM1/AM2) */
	size_t idi_b_len, idr_b_len;
	/* our last phase 1 message, its retransmission; and the last one received */
	struct ikev1_buf last_tx, last_rx;
	unsigned tries;
	bool tx_waits;		/* last_tx waits for an answer (retransmitted) */
	uint64_t p1_deadline;	/* its next retransmission */
	struct ikev1_buf saved; /* a message waiting for a job */
	/* what to do once phase 1 is up */
	const struct child_cfg *want_child;
	const struct child_cfg *want_more[IKEV1_MAX_QM]; /* after want_child (DPD restart) */
	unsigned nwant_more;
	unsigned qm_count; /* Quick Modes run over this SA */
	/* IKEV1_MAX_QM slots, allocated by the first Quick Mode and freed when
	 * none is left (ikev1_qm_timers): an idle ISAKMP SA holds none */
	struct ikev1_qm *qm;
	struct ikev1_qm *qm_last; /* the one ikev1_qm_start began last */
	struct ikev1_peer_vids vids;
	struct ikev1_frags *frags; /* reassembly in progress, or NULL */
	uint16_t frag_id;	   /* Fragment ID of our last fragmented message */
	uint32_t frag_sum;	   /* ... and its checksum (a retransmission keeps the ID) */
	bool peer_initial_contact;
	bool nat_checked;
	uint8_t nat_hash_len;
	struct certs_store *certs; /* reference */
	bool have_own;
	struct certs_own own;	      /* our certificate (borrowed from certs) */
	bool pk_busy, pk_done, pk_ok; /* the peer's certificate/signature check */
	char pk_why[CERTS_WHY_LEN];
	struct cert_result peer_cert;
	bool have_peer_cert;
	uint8_t *peer_certreq;
	size_t peer_certreq_len;
	bool peer_sent_cr;
	uint32_t dpd_seq;    /* of our last R-U-THERE */
	uint64_t last_heard; /* mono ms of the last message from the peer */
	uint64_t dpd_sent;   /* mono ms of an unanswered R-U-THERE, 0 when none */
};

struct ikev1_engine {
	struct ike_env env;
	struct oak_config *config;
	struct certs_store *certs;
	uint64_t (*wall_clock)(void *ctx);
	void *wall_ctx;
	struct sa_table table;
	struct timers timers;
	struct ikev1_ike_sa *dead;
	uint32_t next_reqid;
	unsigned depth;
	uint64_t now;
	struct ikev1_msg msg;	  /* decode scratch */
	struct ikev1_trap *traps; /* trap.c */
};

/* A received message being handled (borrowed). */
struct ikev1_rx {
	struct ikev1_msg *msg;
	const uint8_t *buf;
	size_t len;
	struct ip_endpoint local, remote;
	uint64_t now;
	uint8_t *plain; /* decrypted body (owned by the dispatcher) */
	size_t plain_len;
	unsigned depth; /* 1 for a message reassembled from fragments */
};

static inline struct ikev1_ike_sa *ikev1_sa_of(struct ike_sa *sa)
{
	return (struct ikev1_ike_sa *)(void *)sa;
}

/* --- engine.c --- */
void ikev1_enter(struct ikev1_engine *e);
void ikev1_leave(struct ikev1_engine *e);
struct ikev1_ike_sa *ikev1_sa_create(struct ikev1_engine *e, bool initiator,
				     const struct ip_endpoint *local,
				     const struct ip_endpoint *remote, const uint8_t *peer_cky_i,
				     uint64_t now);
struct ikev1_ike_sa *ikev1_sa_by_serial(struct ikev1_engine *e, uint32_t serial);
/* Decode rx->buf and hand it to its SA (or phase1.c for a first message);
 * rx->plain gets what the caller frees. */
void ikev1_handle(struct ikev1_engine *e, struct ikev1_rx *rx);
/* Remove the SA and its IPsec SAs from the kernel and the table; freed when
 * the outermost engine call returns. why (may be NULL) is logged. */
void ikev1_sa_delete(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const char *why);
/* Before deleting an ISAKMP SA that expired or that the peer deleted: its
 * IPsec SAs move to the newest established ISAKMP SA with the same peer. */
void ikev1_sa_handover(struct ikev1_engine *e, struct ikev1_ike_sa *sa);
const struct daemon_cfg *ikev1_daemon_cfg(const struct ikev1_engine *e);
uint32_t ikev1_new_reqid(struct ikev1_engine *e);
uint64_t ikev1_wall_time(const struct ikev1_engine *e);
/* Send buf (borrowed), in fragments when ikev1_frag_wanted says so. */
int ikev1_send(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const uint8_t *buf, size_t len);
/* A phase 1 message we send and retransmit until answered (waits = true) or
 * keep only to answer the peer's retransmissions (waits = false). Takes *out. */
void ikev1_p1_send(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint8_t *out, size_t len,
		   bool waits, uint64_t now);
/* DH job: keygen when d->key is NULL, derive when peer (copied) is given;
 * then `resume(e, sa, qm_index, now)` on the loop thread (qm_index -1 for
 * phase 1) unless the SA is gone. 0 or negative errno. */
int ikev1_dh_submit(struct ikev1_engine *e, struct ikev1_ike_sa *sa, int qm_index,
		    struct ikev1_kex *d, const uint8_t *peer, size_t peer_len,
		    void (*resume)(struct ikev1_engine *e, struct ikev1_ike_sa *sa, int qm_index,
				   uint64_t now));
void ikev1_kex_clear(struct ikev1_kex *d);
void ikev1_buf_set(struct ikev1_buf *b, const uint8_t *p, size_t len);
void ikev1_buf_clear(struct ikev1_buf *b);
/* Run work(arg) on the job executor; then finish(e, sa or NULL when gone,
 * arg, status) on the loop thread (finish frees arg). */
int ikev1_job_submit(struct ikev1_engine *e, struct ikev1_ike_sa *sa, void (*work)(void *arg),
		     void (*finish)(struct ikev1_engine *e, struct ikev1_ike_sa *sa, void *arg,
				    int status),
		     void *arg);
/* Re-handle sa->saved (phase 1) after a job. */
void ikev1_redispatch(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_buf *saved);
/* NAT-keepalives while behind a NAT (daemon.keep_alive). */
void ikev1_keepalive(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint64_t now, bool send);
/* Re-arm the SA's retransmission timer (phase 1 and Quick Modes). */
void ikev1_arm(struct ikev1_engine *e, struct ikev1_ike_sa *sa);
uint64_t ikev1_retransmit_delay(const struct ikev1_engine *e, unsigned tries);
/* Lifetimes of an established ISAKMP SA: rekey/expire timers. */
void ikev1_p1_lifetimes(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint64_t now);

/* --- frag.c: IKE fragmentation (Cisco's vendor extension) --- */
void ikev1_frags_free(struct ikev1_ike_sa *sa);
/* A fragment of a message to sa (rx borrowed): kept; the last missing one
 * makes the whole message, handled as if it came in one datagram. */
void ikev1_frag_add(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const struct ikev1_rx *rx,
		    const struct ikev1_frag *f);
/* The largest datagram payload (ISAKMP message) fragment_size allows to sa. */
size_t ikev1_frag_max_dgram(const struct ikev1_engine *e, const struct ikev1_ike_sa *sa);
/* True when a len-byte message to sa goes out in fragments. */
bool ikev1_frag_wanted(const struct ikev1_engine *e, const struct ikev1_ike_sa *sa, size_t len);
/* Send buf (borrowed, a whole ISAKMP message) as fragments. 0 or -errno. */
int ikev1_frag_send(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const uint8_t *buf,
		    size_t len);

/* --- trap.c: trap policies and ACQUIRE --- */
/* Install cfg's trap policies (nothing when they are in already). 0,
 * -EINVAL (an address missing, logged), -EIO, -ENOMEM. */
int ikev1_trap_install(struct ikev1_engine *e, const struct conn_cfg *conn,
		       const struct child_cfg *cfg);
/* Forget every trap; remove: take their policies out of the kernel too. */
void ikev1_traps_free(struct ikev1_engine *e, bool remove);
/* After a reload to cfg (borrowed): remove the traps whose child is gone
 * or no longer traps (start_action / dpd_action), keep the others. */
void ikev1_traps_sync(struct ikev1_engine *e, const struct oak_config *cfg);
/* The reqid of a new IPsec SA of cfg: configured, else its trap's, else new. */
uint32_t ikev1_child_reqid(struct ikev1_engine *e, const struct ike_sa *sa,
			   const struct child_cfg *cfg);

/* --- crypt.c: RFC 2409 appendix B --- */
/* Encrypt chain (the payloads; padded here) with key and the IV in iv
 * (updated to the last ciphertext block) and build the whole message with
 * header h. (caller frees *out) 0 or -errno. */
int ikev1_seal(const struct ikev1_ike_sa *sa, const struct isakmp_hdr *h, uint8_t first,
	       const uint8_t *chain, size_t chain_len, uint8_t *iv, uint8_t **out, size_t *out_len);
/* Decrypt rx->msg's body with iv (updated to its last ciphertext block on
 * success) into rx->plain and decode the chain. 0; -EBADMSG (not whole
 * blocks, or the chain does not decode: wrong key or IV) with err. */
int ikev1_open(const struct ikev1_ike_sa *sa, struct ikev1_rx *rx, uint8_t *iv,
	       struct wire_err *err);
/* The IV of a new phase 2 / Informational exchange with msgid (RFC 2409
 * appendix B) from the last phase 1 block. */
int ikev1_p2_iv(const struct ikev1_ike_sa *sa, uint32_t msgid, uint8_t *iv);
/* prf(SKEYID_a, M-ID | rest) etc.: see crypto/ikev1_keys.h. */

/* --- payloads.c --- */
/* Our ID payload for an identity (the address when it is %any). */
void ikev1_id_for(const struct ident *cfg_id, const struct ip_addr *addr, struct ident *out);
/* Vendor IDs we send: NAT-T, DPD, fragmentation (unless the connection
 * says fragmentation = no), and what we recognise. */
void ikev1_put_vids(const struct ikev1_ike_sa *sa, struct ikev1_enc *enc);
void ikev1_note_vids(struct ikev1_ike_sa *sa, const struct ikev1_msg *m);
/* NAT-D payloads (RFC 3947 3.2): HASH(CKY-I | CKY-R | IP | Port), first the
 * remote's, then ours. */
void ikev1_put_natd(const struct ikev1_ike_sa *sa, struct ikev1_enc *enc);
void ikev1_check_natd(struct ikev1_ike_sa *sa, const struct ikev1_msg *m);
/* NAT-OA (RFC 3947 5.2): sent and read in Quick Mode for transport mode
 * when a NAT was detected. */
bool ikev1_natoa_wanted(const struct ikev1_ike_sa *sa, enum child_mode mode);
/* NAT-OAi then NAT-OAr, as the Quick Mode initiator or responder. */
void ikev1_put_natoa_pair(const struct ikev1_ike_sa *sa, bool qm_initiator, struct ikev1_enc *enc);
/* The peer's original address from m's NAT-OA into *out (family 0 and
 * false when it sent none or an unusable one; logged). */
bool ikev1_note_natoa(const struct ikev1_ike_sa *sa, const struct ikev1_msg *m, bool qm_initiator,
		      struct ip_addr *out);
/* The HASH payload body of an encrypted chain: prf(SKEYID_a, M-ID | rest). */
/* A protected Informational (RFC 2409 5.7) with one N or D payload (already
 * encoded as a bare chain in pl/pl_len, first payload type first). */
int ikev1_send_info(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint8_t first,
		    const uint8_t *pl, size_t pl_len);
/* An unprotected notify (before keys exist; RFC 2408 5: e.g. NO-PROPOSAL-CHOSEN
 * answering message 1). */
void ikev1_send_clear_notify(struct ikev1_engine *e, const struct ikev1_rx *rx,
			     const uint8_t cky_r[8], uint16_t type);
/* Names for logs. */
const char *ikev1_notify_str(uint16_t type, char *buf, size_t len);

/* --- phase1.c --- */
/* Main or Aggressive Mode message 1 without an SA. */
void ikev1_p1_first(struct ikev1_engine *e, struct ikev1_rx *rx);
/* A later phase 1 message for sa. */
void ikev1_p1_recv(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx);
int ikev1_p1_start(struct ikev1_engine *e, const struct conn_cfg *conn,
		   const struct child_cfg *child, uint64_t now, uint32_t *serial);
/* Phase 1 is done: log, lifetimes, the Quick Mode we wanted. */
void ikev1_p1_established(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint64_t now);
void ikev1_p1_free(struct ikev1_ike_sa *sa);

/* HASH_I (of_initiator) or HASH_R of sa. */
int ikev1_p1_hash(const struct ikev1_ike_sa *sa, bool of_initiator, uint8_t *out);
/* The hash the peer signs / sends. */
int ikev1_peer_hash(const struct ikev1_ike_sa *sa, uint8_t *out);

/* --- auth.c --- */
/* The IKEv1 auth method a key signs with (RSA_SIG, ECDSA_*), 0 for none. */
uint16_t ikev1_key_method(const struct sig_key *k);
/* The signature auth method for our key (RSA_SIG, ECDSA_*). */
uint16_t ikev1_sig_method(struct ikev1_ike_sa *sa);
/* pubkey: choose our certificate and set sa->sa.local_id from it; false for PSK
 * connections or when none fits (logged). */
bool ikev1_own_id(struct ikev1_ike_sa *sa);
int ikev1_put_sig(struct ikev1_ike_sa *sa, struct ikev1_enc *enc, const uint8_t *hash,
		  size_t hash_len);
void ikev1_put_certs(struct ikev1_ike_sa *sa, struct ikev1_enc *enc);
void ikev1_put_certreq(struct ikev1_ike_sa *sa, struct ikev1_enc *enc);
void ikev1_note_certreq(struct ikev1_ike_sa *sa, const struct ikev1_msg *m);
/* Signature auth: true when the peer's certificate and SIG were checked
 * (result in sa->pk_ok); false when the check job now runs (rx saved). */
bool ikev1_auth_ready(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const struct ikev1_rx *rx);
/* After ikev1_auth_ready: the result, with identity and CA constraints. */
bool ikev1_check_sig(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const struct ikev1_msg *m);
void ikev1_auth_free(struct ikev1_ike_sa *sa);
void ikev1_put_initial_contact(struct ikev1_engine *e, struct ikev1_ike_sa *sa,
			       struct ikev1_enc *enc);
bool ikev1_has_initial_contact(const struct ikev1_msg *m);
/* The peer sent INITIAL-CONTACT: delete our older SAs with it. */
void ikev1_initial_contact(struct ikev1_engine *e, struct ikev1_ike_sa *sa);
/* RFC 3947 4: move to the NAT-T port when a NAT was detected. */
void ikev1_float(struct ikev1_engine *e, struct ikev1_ike_sa *sa);

/* --- quick.c --- */
void ikev1_qm_recv(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx);
/* A protected error notify (NO-PROPOSAL-CHOSEN, INVALID-ID-INFORMATION ...)
 * ends the Quick Mode(s) of ours it names. */
void ikev1_qm_refused(struct ikev1_engine *e, struct ikev1_ike_sa *sa,
		      const struct ikev1_notify *n);
int ikev1_qm_start(struct ikev1_engine *e, struct ikev1_ike_sa *sa, const struct child_cfg *child,
		   uint64_t now);
/* Retransmissions and clean-up of finished Quick Modes; next deadline. */
void ikev1_qm_timers(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint64_t now);
uint64_t ikev1_qm_next(const struct ikev1_ike_sa *sa);
void ikev1_qm_clear(struct ikev1_qm *q);
/* A child's TIMER_REKEY (new Quick Mode, the old SA deleted once the new
 * one is in) or TIMER_EXPIRE (Delete, out of the kernel). */
void ikev1_child_timer(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct child_sa *c,
		       enum timer_kind kind, uint64_t now);
/* The Quick Mode ikev1_qm_start began last. */
struct ikev1_qm *ikev1_qm_last(struct ikev1_ike_sa *sa);
/* Clear every Quick Mode slot of sa and free them. */
void ikev1_qm_release(struct ikev1_ike_sa *sa);
/* Remove a CHILD SA from the kernel, the table and its SA. */
void ikev1_child_destroy(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct child_sa *c);

/* --- info.c --- */
void ikev1_info_recv(struct ikev1_engine *e, struct ikev1_ike_sa *sa, struct ikev1_rx *rx);
/* Delete notifications (RFC 2408 3.15). */
void ikev1_send_delete_child(struct ikev1_engine *e, struct ikev1_ike_sa *sa,
			     const struct child_sa *c);
void ikev1_send_delete_isakmp(struct ikev1_engine *e, struct ikev1_ike_sa *sa);
void ikev1_send_notify(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint16_t type);
/* RFC 3706: the DPD timer of an established SA (conn dpd_delay). */
void ikev1_dpd_timer(struct ikev1_engine *e, struct ikev1_ike_sa *sa, uint64_t now);
void ikev1_dpd_ack(struct ikev1_ike_sa *sa, const struct ikev1_notify *n);

#endif
