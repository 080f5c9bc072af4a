/* bench.h: oak-bench, a protocol-level IKEv2 and IKEv1 initiator that opens
 * many IKE SAs against one responder (oakd, strongSwan's charon) and
 * measures it.
 *
 * bench.c runs the single-threaded epoll loop: a window of handshakes in
 * flight, retransmission on timeout, the statistics and the responder's CPU
 * time and RSS read from /proc/PID. bench_ike.c builds and checks the
 * messages of one handshake (IKE_SA_INIT, IKE_AUTH with PSK, with or without
 * a CHILD SA) on top of the wire and crypto layers; bench_ikev1.c those of
 * IKEv1 Main Mode with a pre-shared key and Quick Mode (RFC 2409 5, 5.5).
 *
 * Each SA has its own IKE SPI (RFC 7296 2.6) and its own identity
 * (bench-N@oak.test by default), all from one UDP socket: the responder must
 * key its SAs by SPI, not by address. The bench reuses one DH key pair for
 * all SAs (RFC 7296 2.12 allows reusing a DH exponential), so its own cost
 * per SA is one DH derive, which keeps the responder the bottleneck.
 */
#ifndef OAK_TOOLS_BENCH_H
#define OAK_TOOLS_BENCH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/dh.h"
#include "crypto/encr.h"
#include "crypto/ikev1_keys.h"
#include "crypto/ikev2_keys.h"
#include "crypto/integ.h"
#include "crypto/prf.h"
#include "crypto/proposal.h"
#include "crypto/sig.h"
#include "lib/secret.h"

#define BENCH_NONCE_LEN 32
#define BENCH_MAX_PUB	1024 /* MODP 8192 public value */

enum bench_mode {
	BENCH_MODE_CHILD,     /* IKE_SA_INIT + IKE_AUTH with a CHILD SA */
	BENCH_MODE_CHILDLESS, /* IKE_AUTH without SA/TS (RFC 6023) */
	BENCH_MODE_INIT_ONLY, /* IKE_SA_INIT only: the half-open flood */
	BENCH_MODE_V1,	      /* IKEv1 Main Mode (PSK) + Quick Mode (bench_ikev1.c) */
	BENCH_MODE_V1_MAIN,   /* IKEv1 Main Mode only */
};

/* The IKEv1 numbers of the run's proposals (RFC 2409 appendix A, RFC 2407
 * 4.4.4 / 4.5) and what every SA of the run shares. */
struct bench_v1_cfg {
	uint16_t encr, key_bits, hash, group;	 /* phase 1 transform attributes */
	uint16_t esp_id, esp_key_bits, auth_alg; /* the Quick Mode ESP transform */
	size_t enc_key_len;			 /* ISAKMP SA cipher key (appendix B) */
	uint8_t *sai_b; /* our SA payload body, the same in every MM1 (owned) */
	size_t sai_b_len;
	uint8_t gxi[BENCH_MAX_PUB]; /* the run's public value (RFC 2409 5: KE) */
};

/* Why a handshake failed, besides an error Notify from the responder (which
 * is counted by its type, RFC 7296 3.10.1). */
enum bench_fail {
	BENCH_FAIL_TIMEOUT,	   /* no answer after every retransmission */
	BENCH_FAIL_BAD_MESSAGE,	   /* an answer we could not decode or decrypt */
	BENCH_FAIL_UNEXPECTED,	   /* decodable, but a payload or transform is missing/wrong */
	BENCH_FAIL_RESPONDER_AUTH, /* the responder's AUTH did not verify */
	BENCH_FAIL_DH,		   /* the responder's KE value was rejected */
	BENCH_FAIL_NO_CHILD,	   /* IKE SA up, no CHILD SA and no error Notify */
	BENCH_FAIL_LOCAL,	   /* our own crypto or memory failed */
	BENCH_FAIL_COOKIE,	   /* --no-cookies: the responder asked for a cookie */
	BENCH_FAIL_COUNT,
};

/* What the run is told (options), and what it derives once from them. */
struct bench_cfg {
	struct sockaddr_in target, source;
	bool natt;  /* fake a NAT (RFC 7296 2.23, RFC 3947): IKE_AUTH / MM5 on go to port 4500 */
	unsigned n; /* SAs to establish */
	unsigned window;     /* handshakes in flight at most */
	unsigned timeout_ms; /* first retransmission; doubles each time */
	unsigned tries;	     /* sends per message, the first included */
	enum bench_mode mode;
	bool fresh_dh;	 /* a new DH key per SA instead of one for the run */
	bool no_cookies; /* a flooder: a COOKIE answer ends the handshake (RFC 7296 2.6) */
	struct proposal ike, esp;
	const struct encr_alg *encr;
	unsigned encr_bits;
	const struct integ_alg *integ; /* NULL with an AEAD cipher */
	const struct prf_alg *prf;
	const struct dh_group *group;
	struct ikev2_key_lengths klen;
	struct dh_key *dh;   /* the run's key (RFC 7296 2.12), NULL with fresh_dh */
	struct secret *psk;  /* PSK authentication, or: */
	struct sig_key *key; /* our private key (ECDSA P-256: RFC 4754 method 9) */
	uint8_t *cert;	     /* our certificate, DER, sent in CERT (owned) */
	size_t cert_len;
	struct sig_pubkey *peer_pub; /* the responder's key (from --peer-cert) */
	const char *id_fmt;	     /* our identity; a %u in it is the SA number */
	uint8_t spi_tag[2];	     /* random first octets of every SPIi of this run */
	struct bench_v1_cfg v1;	     /* modes v1, v1-main */
};

enum bench_sa_state {
	BSA_FREE,
	BSA_INIT, /* IKE_SA_INIT request sent */
	BSA_AUTH, /* IKE_AUTH request sent */
	BSA_MM1,  /* IKEv1: Main Mode message 1 sent, waiting for 2 */
	BSA_MM3,  /* message 3 sent, waiting for 4 */
	BSA_MM5,  /* message 5 sent, waiting for 6 */
	BSA_QM1,  /* Quick Mode message 1 sent, waiting for 2 */
};

/* What an IKEv1 handshake keeps besides the common part (bench_ikev1.c). */
struct bench_v1_sa {
	uint8_t gxi[BENCH_MAX_PUB]; /* our KE: the run's, or this SA's with fresh_dh */
	uint8_t gxr[BENCH_MAX_PUB]; /* the responder's KE */
	size_t gxr_len;
	struct ikev1_keys keys;
	uint8_t iv[16];	   /* phase 1 CBC chain: the last ciphertext block */
	uint8_t qm_iv[16]; /* the Quick Mode's own chain (RFC 2409 appendix B) */
	uint32_t qm_msgid;
	uint8_t qm_ni[BENCH_NONCE_LEN];
	uint8_t qm_nr[256];
	size_t qm_nr_len;
};

/* One handshake in flight (a window slot). */
struct bench_sa {
	enum bench_sa_state state;
	uint32_t seq;  /* SA number, 0..n-1: the identity and the SPI's last octets */
	uint16_t slot; /* index in the window: SPI octets 2-3 */
	uint8_t sends; /* sends of the current request */
	uint32_t msg_id;
	uint64_t t_start, t_deadline; /* ns, mono_ns() */
	uint8_t spi_i[8], spi_r[8];
	uint8_t ni[BENCH_NONCE_LEN];
	uint8_t nr[256];
	size_t nr_len;
	uint8_t cookie[256];
	size_t cookie_len;
	uint8_t cookie_rounds; /* COOKIE answers so far: a few, then give up */
	uint8_t child_spi[4];
	struct dh_key *dh; /* with fresh_dh only (owned) */
	uint8_t *tx;	   /* the current request, sent again on timeout (owned) */
	size_t tx_len;
	uint8_t *msg1; /* IKE_SA_INIT request as last sent: AUTH input (owned) */
	size_t msg1_len;
	uint8_t *msg2; /* IKE_SA_INIT response (owned) */
	size_t msg2_len;
	struct ikev2_ike_keys keys;
	bool announced_childless; /* the responder sent CHILDLESS_IKEV2_SUPPORTED */
	struct bench_v1_sa *v1;	  /* IKEv1 modes (owned) */
	bool floated;		  /* IKEv1 with natt: on port 4500 (RFC 3947 4) */
};

/* The outcome of handling one datagram. */
enum bench_step {
	BENCH_STEP_IGNORE,    /* not for this SA's current request: drop it */
	BENCH_STEP_SEND,      /* sa->tx holds the next request: send it */
	BENCH_STEP_DONE,      /* established (INIT_ONLY: the IKE_SA_INIT answer came) */
	BENCH_STEP_SEND_DONE, /* send sa->tx once (IKEv1 QM3, never answered): established */
	BENCH_STEP_FAILED,    /* see the result's fail / notify */
};

struct bench_result {
	enum bench_fail fail; /* when notify is 0 */
	uint16_t notify;      /* the error Notify type, 0 if none (IKEv1: RFC 2408 3.14.1) */
};

/* Certificate authentication instead of a PSK: our key and certificate (PEM
 * or DER) and the responder's certificate, whose key must verify its AUTH
 * (the bench pins it; it validates no chain). Paths borrowed. 0, or a
 * negative errno with err (a message for the user). Call before setup. */
int bench_ike_certs(struct bench_cfg *cfg, const char *key, const char *cert, const char *peer_cert,
		    char *err, size_t errlen);
/* Prepare cfg after the options: parse the proposals, pick the algorithms,
 * make the run's DH key; psk (borrowed, copied) may be NULL when
 * bench_ike_certs() set a key. 0, or -EINVAL with err (a message for the user). */
int bench_ike_setup(struct bench_cfg *cfg, const char *ike, const char *esp, const char *psk,
		    char *err, size_t errlen);
/* Free what bench_ike_setup, bench_ike_certs and bench_ikev1_setup made
 * (DH key, PSK, keys, cert, the IKEv1 SA payload). */
void bench_ike_cleanup(struct bench_cfg *cfg);

/* Start SA number seq in slot sa (borrowed; must be BSA_FREE): fresh SPI and
 * nonce, the IKE_SA_INIT request in sa->tx. 0 or negative errno. */
int bench_ike_start(const struct bench_cfg *cfg, struct bench_sa *sa, uint32_t seq);

/* Handle a datagram (buf borrowed) whose SPIi is this SA's. */
enum bench_step bench_ike_input(const struct bench_cfg *cfg, struct bench_sa *sa,
				const uint8_t *buf, size_t len, struct bench_result *res);

/* Free what the SA holds (the keys wiped); it is BSA_FREE again, same slot. */
void bench_ike_release(struct bench_sa *sa);

/* A user-facing name of a failure: "TIMEOUT", "AUTHENTICATION_FAILED". (static) */
const char *bench_fail_name(enum bench_fail f);
/* A handshake failed: for reason f, or as the responder's error notification
 * type said (either IKE version); both return BENCH_STEP_FAILED. */
enum bench_step bench_failed(struct bench_result *res, enum bench_fail f);
enum bench_step bench_failed_notify(struct bench_result *res, uint16_t type);

/* The ID payload body of SA number seq (ID Type, three zero octets, data:
 * the IKEv2 IDi' of RFC 7296 2.15, and the IKEv1 ID payload of RFC 2407
 * 4.6.2 with protocol and port 0) from cfg->id_fmt into out (caller's, 4 +
 * IDENT_MAX_LEN bytes). 0 or -EINVAL. */
int bench_id_body(const struct bench_cfg *cfg, uint32_t seq, uint8_t *out, size_t *len);

static inline bool bench_is_v1(const struct bench_cfg *cfg)
{
	return cfg->mode == BENCH_MODE_V1 || cfg->mode == BENCH_MODE_V1_MAIN;
}

/* IKEv1 (bench_ikev1.c), after bench_ike_setup: the IKEv1 numbers of the
 * proposals (AES-CBC, an HMAC hash, a MODP or ECP group; ESP with AES-CBC
 * and an HMAC) and the run's SA payload. 0, or -EINVAL with err. */
int bench_ikev1_setup(struct bench_cfg *cfg, char *err, size_t errlen);
/* As bench_ike_start: Main Mode message 1 in sa->tx. 0 or negative errno. */
int bench_ikev1_start(const struct bench_cfg *cfg, struct bench_sa *sa, uint32_t seq);
/* As bench_ike_input, for an ISAKMP datagram whose CKY-I is this SA's. */
enum bench_step bench_ikev1_input(const struct bench_cfg *cfg, struct bench_sa *sa,
				  const uint8_t *buf, size_t len, struct bench_result *res);

#endif
