/* model.h: the policy model, built from a parsed swanctl.conf tree.
 *
 * An oak_config is immutable once built. A reload builds a new one and swaps
 * it in; IKE SAs keep a reference (oak_config_ref) to the config they were
 * made with, so the old one lives until its last SA is gone. Building checks
 * every value and reports errors as file:line (struct conf_err), and a config
 * with any error is never returned: the running one stays.
 *
 * Key names and meanings are swanctl.conf(5)'s; oak's own settings are in
 * the `daemon { }` section. Times are seconds, sizes bytes.
 */
#ifndef OAK_CONF_MODEL_H
#define OAK_CONF_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/tree.h"
#include "crypto/ident.h"
#include "crypto/proposal.h"
#include "lib/addr.h"
#include "lib/secret.h"
#include "lib/ts.h"

#define MODEL_NAME_MAX	64
#define MODEL_MAX_ADDRS 8
#define MODEL_MAX_TS	16
#define MODEL_MAX_CERTS 4

enum auth_method {
	AUTH_NONE = 0,
	AUTH_PSK,    /* auth = psk */
	AUTH_PUBKEY, /* auth = pubkey (RSA, ECDSA, EdDSA per key/cert; RFC 7427 in IKEv2) */
};

enum start_action {
	START_NONE = 0, /* wait for the peer or a control command */
	START_START,	/* initiate when the config is loaded */
	START_TRAP,	/* install trap policies; a packet starts it (kernel ACQUIRE) */
};

enum child_mode {
	CHILD_MODE_TUNNEL = 0,
	CHILD_MODE_TRANSPORT,
};

/* local { } or remote { } of a connection (one authentication round). */
struct auth_cfg {
	enum auth_method auth;
	struct ident id; /* type 0 = %any / take from the certificate */
	bool id_set;
	char *certs[MODEL_MAX_CERTS]; /* file names under x509/ (local) as configured */
	size_t ncerts;
	char *cacerts[MODEL_MAX_CERTS]; /* remote: constrain the issuing CA */
	size_t ncacerts;
	const char *file; /* where the section is, for messages */
	int line;
};

struct child_cfg {
	char name[MODEL_NAME_MAX];
	struct ts local_ts[MODEL_MAX_TS];
	size_t nlocal_ts; /* 0 = dynamic: the local IKE address */
	struct ts remote_ts[MODEL_MAX_TS];
	size_t nremote_ts; /* 0 = dynamic: the remote IKE address */
	struct proposal esp[PROPOSAL_MAX];
	size_t nesp;
	struct proposal ah[PROPOSAL_MAX];
	size_t nah; /* AH used instead of ESP when set */
	enum child_mode mode;
	enum start_action start_action;
	/* dpd_action: NONE clear, START restart, TRAP trap policies (RFC 7296 2.4) */
	enum start_action dpd_action;
	uint32_t rekey_time, life_time, rand_time; /* seconds; 0 = none */
	uint64_t rekey_bytes, life_bytes, rand_bytes;
	uint64_t rekey_packets, life_packets, rand_packets;
	uint32_t replay_window;
	uint32_t reqid;	   /* 0 = allocate */
	uint32_t priority; /* 0 = automatic */
	const char *file;
	int line;
};

struct conn_cfg {
	char name[MODEL_NAME_MAX];
	uint8_t version; /* 0 any (responder accepts both), 1, 2 */
	struct ip_addr local_addrs[MODEL_MAX_ADDRS];
	size_t nlocal_addrs; /* 0 = %any */
	struct ip_addr remote_addrs[MODEL_MAX_ADDRS];
	size_t nremote_addrs;		  /* 0 = %any (responder only) */
	uint16_t local_port, remote_port; /* default daemon.port (500) and 500 */
	struct proposal ike[PROPOSAL_MAX];
	size_t nike;
	bool aggressive;     /* IKEv1: Aggressive Mode (initiator uses it, responder allows it) */
	bool master_key_pfs; /* IKEv1: a new Main Mode for every Quick Mode (oak's key) */
	uint32_t
		quick_mode_limit; /* IKEv1: Quick Modes per Main Mode SA, 0 = no limit (oak's key) */
	struct auth_cfg local, remote;
	uint32_t dpd_delay, dpd_timeout;
	uint32_t rekey_time, reauth_time, over_time, rand_time;
	uint32_t keyingtries;
	bool send_certreq;
	enum { SEND_CERT_IFASKED = 0, SEND_CERT_ALWAYS, SEND_CERT_NEVER } send_cert;
	enum { FRAG_YES = 0, FRAG_ACCEPT, FRAG_FORCE, FRAG_NO } fragmentation;
	bool encap;
	bool mobike;
	struct child_cfg *children; /* owned array */
	size_t nchildren;
	const char *file;
	int line;
};

/* secrets { ike<suffix> { secret, id<suffix> } } and private keys. */
struct psk_cfg {
	char name[MODEL_NAME_MAX];
	struct secret *secret; /* "0x..." hex, "0s..." base64, or the string as is */
	struct ident ids[MODEL_MAX_ADDRS];
	size_t nids; /* 0 = applies to every identity */
};

/* daemon { } defaults (oak's own paths, DESIGN.md "files"). */
#define MODEL_DEFAULT_SOCKET	  "/run/oak/oak.vici"
#define MODEL_DEFAULT_RECORD_FILE "/run/oak/kernel-record.json"
#define MODEL_DEFAULT_X509_DIR	  "/etc/oak/x509"
#define MODEL_DEFAULT_X509CA_DIR  "/etc/oak/x509ca"
#define MODEL_DEFAULT_PRIVATE_DIR "/etc/oak/private"

/* Certificate and key file names: absolute as written, else relative to
 * x509_dir (local and remote certs), x509ca_dir (remote cacerts,
 * authorities.<name>.cacert) and private_dir (secrets.private/rsa/ecdsa/
 * pkcs8 files), as swanctl resolves them below its x509/, x509ca/ and
 * private/ (rsa/, ecdsa/, pkcs8/) directories. */
struct daemon_cfg {
	struct ip_addr listen[MODEL_MAX_ADDRS];
	size_t nlisten;	     /* 0 = every address (0.0.0.0 and ::) */
	uint16_t port;	     /* 500 */
	uint16_t port_nat_t; /* 4500 */
	char *socket;	     /* VICI socket, "/run/oak/oak.vici" */
	char *kernel;	     /* "record" (default until XFRM exists) or "xfrm" */
	char *record_file;   /* record backend output, JSON lines (MODEL_DEFAULT_RECORD_FILE) */
	char *keylog;	     /* Wireshark key log, NULL = off */
	char *user;	     /* drop to this user after start (CAP_NET_ADMIN kept), NULL = stay */
	unsigned retransmit_tries;		   /* 5 */
	double retransmit_timeout;		   /* 4.0 s, first wait */
	double retransmit_base;			   /* 1.8, backoff factor */
	unsigned cookie_threshold;		   /* half-open SAs before COOKIE is demanded: 10 */
	unsigned half_open_limit;		   /* 0 = none */
	char *x509_dir, *x509ca_dir, *private_dir; /* default /etc/oak/{x509,x509ca,private} */
	unsigned threads;			   /* crypto workers, 0 = one per core */
	unsigned fragment_size; /* IKE fragments (both versions): IP datagram bytes (1280) */
	unsigned keep_alive;	/* NAT-keepalive interval in seconds behind a NAT (20; 0 = off) */
};

struct oak_config {
	unsigned refs;
	struct daemon_cfg daemon;
	struct conn_cfg *conns; /* owned array */
	size_t nconns;
	struct psk_cfg *psks; /* owned array */
	size_t npsks;
	char **private_keys; /* secrets.private<suffix>.file, resolved paths */
	size_t nprivate_keys;
	char **cacerts; /* authorities.<name>.cacert, resolved paths */
	size_t ncacerts;
	struct conf_tree *tree; /* owned: keeps file names alive for messages */
};

/* Build the model from a parsed (and schema-checked) tree, adopting the tree.
 * Returns 0 with *out (refs = 1), or -EINVAL with err set to the first bad
 * value, e.g. "oak.conf:14: connections.gw.proposals: unknown algorithm
 * 'aes129' in proposal 'aes129-sha256-modp2048'"; the tree is freed then. */
int conf_model_build(struct conf_tree *tree, struct oak_config **out, struct conf_err *err);
/* Parse, check and build from a file in one step (oakd start, reload, --check-config). */
int conf_model_load(const char *path, struct oak_config **out, struct conf_err *err);
struct oak_config *oak_config_ref(struct oak_config *c);
void oak_config_unref(struct oak_config *c);

const struct conn_cfg *oak_config_conn(const struct oak_config *c, const char *name);
const struct child_cfg *conn_cfg_child(const struct conn_cfg *c, const char *name);
/* The PSK for a pair of identities (strongSwan's rule: the secret whose ids
 * match both best, then one matching either, then one with no ids). */
const struct secret *oak_config_psk(const struct oak_config *c, const struct ident *local,
				    const struct ident *remote);

#endif
