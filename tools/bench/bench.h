/* bench.h: oak-bench, a protocol-level IKEv2 initiator that opens many IKE SAs
 * against one responder (oakd, strongSwan's charon) and measures it.
 *
 * bench.c runs the single-threaded epoll loop: a window of handshakes in
 * flight, retransmission on timeout, the statistics and the responder's CPU
 * time and RSS read from /proc/PID. bench_ike.c builds and checks the
 * messages of one handshake (IKE_SA_INIT, IKE_AUTH with PSK, with or without
 * a CHILD SA) on top of the wire and crypto layers.
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
	BENCH_FAIL_COUNT,
};

/* What the run is told (options), and what it derives once from them. */
struct bench_cfg {
	struct sockaddr_in target, source;
	bool natt;	     /* fake a NAT (RFC 7296 2.23): IKE_AUTH goes to port 4500 */
	unsigned n;	     /* SAs to establish */
	unsigned window;     /* handshakes in flight at most */
	unsigned timeout_ms; /* first retransmission; doubles each time */
	unsigned tries;	     /* sends per message, the first included */
	enum bench_mode mode;
	bool fresh_dh; /* a new DH key per SA instead of one for the run */
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
};

enum bench_sa_state {
	BSA_FREE,
	BSA_INIT, /* IKE_SA_INIT request sent */
	BSA_AUTH, /* IKE_AUTH request sent */
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
};

/* The outcome of handling one datagram. */
enum bench_step {
	BENCH_STEP_IGNORE, /* not for this SA's current request: drop it */
	BENCH_STEP_SEND,   /* sa->tx holds the next request: send it */
	BENCH_STEP_DONE,   /* established (INIT_ONLY: the IKE_SA_INIT answer came) */
	BENCH_STEP_FAILED, /* see the result's fail / notify */
};

struct bench_result {
	enum bench_fail fail; /* when notify is 0 */
	uint16_t notify;      /* the error Notify type, 0 if none */
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
/* Free what bench_ike_setup and bench_ike_certs made (DH key, PSK, keys, cert). */
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

#endif
