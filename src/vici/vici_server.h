/* vici_server.h: oakd's VICI control socket (strongSwan's protocol, so that
 * swanctl and oakctl both drive oakd).
 *
 * The server listens on a unix socket and runs on the daemon's libevent loop
 * thread; it never touches SA state itself. The daemon hands it a table of
 * callbacks (struct vici_ops) that read the engine's SAs and the config and
 * start or stop SAs; the tests hand it fakes. Control requests name SAs by
 * serial number only ("unique id" in VICI), never by pointer
 * (docs/ARCHITECTURE.md, "State").
 *
 * Commands: version, stats, list-sas (streams list-sa events), list-conns
 * (streams list-conn events), initiate and terminate (stream control-log
 * events while they wait), rekey, reload-settings; the config and
 * credential commands (vici_cmds_conf.c, vici_conf.h): get-conns, load-conn,
 * unload-conn, load-shared, unload-shared, get-shared, load-cert, load-key,
 * clear-creds, list-certs (streams list-cert events), list-policies. Any
 * other command gets CMD_UNKNOWN. Events a client may register for: list-sa,
 * list-conn, list-cert, list-policy, control-log (streams of the commands above), log,
 * ike-updown, child-updown, ike-rekey, child-rekey.
 *
 * Loading config: the server keeps what VICI loaded (struct vici_conf). A
 * load or unload works on a copy and hands it to ops->apply, which builds
 * the daemon's config from oak.conf merged with the copy, through the same
 * schema and model checks as the file, and swaps it in as a reload does;
 * only when that succeeds does the server keep the copy. So a refused
 * request answers { success = no, errmsg = "connections.gw.proposals: ..." }
 * and changes nothing.
 *
 * How initiate/terminate wait: the op starts the work and names the IKE SA
 * (or the SAs being deleted) by serial; the daemon then reports what happens
 * with vici_server_ike_event() / vici_server_child_event(), and the request is
 * answered when its SA is up (or gone), on failure, or on the client's
 * timeout. Log lines reach a waiting client through vici_server_log(): lines
 * logged while an op runs belong to that request; later ones by IKE SA serial.
 *
 * Limits: a packet over VICI_MAX_PACKET closes the connection; a client reads
 * no new request while one is pending or while its output queue is above
 * queue_max / 2; events the daemon raises are dropped for a client whose
 * queue is above queue_max / 2 (counted, logged once); a client whose queue
 * would pass queue_max is disconnected. So no client can grow oakd's memory
 * beyond about queue_max + VICI_MAX_PACKET.
 *
 * Wiring (daemon/): list_sas walks ikev2_sa_foreach() and copies each struct
 * ikev2_sa_view into a struct vici_ike_sa (serial -> uniqueid, conn_name ->
 * name, children through a small vici_child_sa array); initiate resolves a
 * lone child name to its connection and calls ikev2_initiate(); terminate
 * maps names/ids to serials and calls ikev2_terminate(_child). The log sink
 * may forward lines with vici_server_log(), but only lines logged on the loop
 * thread: the server is not thread-safe (crypto workers log too).
 */
#ifndef OAK_VICI_VICI_SERVER_H
#define OAK_VICI_VICI_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/model.h"
#include "crypto/ident.h"
#include "crypto/proposal.h"
#include "ike/ike_sa.h"
#include "lib/addr.h"
#include "lib/log.h"
#include "lib/ts.h"

struct event_base;
struct vici_server;
struct vici_conf;
struct certs_cert;

/* Default per-client output queue bound. */
#define VICI_QUEUE_MAX ((size_t)8 * 1024 * 1024)
/* At most this many SAs one terminate request waits for. */
#define VICI_MAX_TERMINATE 64

/* A CHILD SA as list-sas and child-updown show it (everything borrowed, valid
 * during the call only). The engine's struct ikev2_child_view maps field for
 * field; the counters and times come from the kernel and timers. */
struct vici_child_sa {
	uint32_t uniqueid; /* the CHILD SA's serial */
	enum child_sa_state state;
	const char *name; /* its child config's name */
	enum child_mode mode;
	uint32_t reqid;
	uint32_t spi_in, spi_out;	 /* host byte order */
	uint8_t protocol;		 /* PROPOSAL_PROTO_ESP / _AH */
	bool encap;			 /* ESP in UDP (NAT-T) */
	const struct proposal *proposal; /* the chosen one, or NULL */
	const struct ts *local_ts, *remote_ts;
	size_t nlocal_ts, nremote_ts;
	uint64_t installed_ms;		/* monotonic, 0 while not installed */
	uint32_t rekey_in_s, life_in_s; /* seconds until rekey / expiry, 0 = none */
	uint64_t bytes_in, bytes_out, packets_in, packets_out;
};

/* An IKE SA (everything borrowed, valid during the call only). */
struct vici_ike_sa {
	uint32_t uniqueid; /* the IKE SA's serial */
	const char *name;  /* its connection's name */
	uint8_t version;   /* 1 or 2 */
	enum ike_sa_state state;
	bool initiator;
	uint8_t spi_i[IKE_SA_SPI_LEN], spi_r[IKE_SA_SPI_LEN];
	struct ip_endpoint local, remote;
	const struct ident *local_id, *remote_id; /* NULL: %any */
	const struct proposal *proposal;	  /* NULL before IKE_SA_INIT completed */
	bool nat_local, nat_remote;
	uint64_t established_ms;	  /* monotonic, 0 until established */
	uint32_t rekey_in_s, reauth_in_s; /* 0 = none scheduled */
	const struct vici_child_sa *children;
	size_t nchildren;
};

typedef void vici_sa_fn(const struct vici_ike_sa *sa, void *arg);
typedef void vici_conn_fn(const struct conn_cfg *conn, void *arg);
/* One trap policy: the child config it starts (both borrowed). */
typedef void vici_policy_fn(const struct conn_cfg *conn, const struct child_cfg *child, void *arg);

/* What initiate started. */
struct vici_initiated {
	uint32_t ike_serial; /* the IKE SA that carries it (new or existing) */
	bool ike_only;	     /* no CHILD SA will come: done when the IKE SA is up */
};

/* What terminate is asked for: exactly one of the four is set. */
struct vici_terminate_req {
	const char *ike;   /* every IKE SA of this connection */
	const char *child; /* every CHILD SA of this child config */
	uint32_t ike_id;   /* one IKE SA by serial */
	uint32_t child_id; /* one CHILD SA by serial */
};

/* The SAs a terminate started deleting: IKE SA serials, or CHILD SA serials
 * when the request named children. */
struct vici_terminating {
	uint32_t serials[VICI_MAX_TERMINATE];
	size_t n;
};

struct vici_stats {
	unsigned workers_total, workers_idle, workers_active;
	size_t ikesas_total, ikesas_half_open;
	const char *const *plugins; /* NULL-terminated, or NULL: the server's own list */
};

/* The daemon's side. Every callback runs on the loop thread and may be NULL
 * (the command then answers with an error saying it is not available). */
struct vici_ops {
	void *ctx; /* passed to every callback (borrowed) */
	/* Call fn once per IKE SA; fn must not call back into the engine. */
	void (*list_sas)(void *ctx, vici_sa_fn *fn, void *arg);
	/* Call fn once per loaded connection. */
	void (*list_conns)(void *ctx, vici_conn_fn *fn, void *arg);
	/* Start CHILD SA `child` (NULL: none named) of connection `ike` (NULL:
	 * the connection that has a child of that name; both NULL is refused
	 * before the call). 0 with *out filled, or a negative errno with err
	 * saying why ("no connection 'gw'"). */
	int (*initiate)(void *ctx, const char *ike, const char *child, struct vici_initiated *out,
			char *err, size_t errlen);
	/* Start deleting what req names; 0 with *out filled (n = 0: nothing
	 * matched), or a negative errno with err. */
	int (*terminate)(void *ctx, const struct vici_terminate_req *req,
			 struct vici_terminating *out, char *err, size_t errlen);
	void (*stats)(void *ctx, struct vici_stats *out);
	/* Build the config from the file and `candidate` (borrowed, read during
	 * the call only) and run with it as a reload does. 0, or a negative
	 * errno with err saying which key is wrong and what was expected; the
	 * running config is then unchanged. */
	int (*apply)(void *ctx, const struct vici_conf *candidate, char *err, size_t errlen);
	/* reload-settings: re-read the config file (merged with what VICI
	 * loaded). 0, or a negative errno with err. */
	int (*reload)(void *ctx, char *err, size_t errlen);
	/* Call fn for every trap policy installed (start_action = trap); NULL:
	 * none are, list-policies lists nothing. */
	void (*list_policies)(void *ctx, vici_policy_fn *fn, void *arg);
	/* Call fn for every certificate of the running store. */
	void (*list_certs)(void *ctx,
			   void (*fn)(const struct certs_cert *c, bool ca, bool has_key, void *arg),
			   void *arg);
	/* Start rekeying (reauth: reauthenticating) what req names (as for
	 * terminate); 0 with *n = how many SAs started, or a negative errno with
	 * err. */
	int (*rekey)(void *ctx, const struct vici_terminate_req *req, bool reauth, size_t *n,
		     char *err, size_t errlen);
	/* get-counters: call fn for every counter of every connection (conn
	 * "" for those of no connection), strongSwan's counters plugin shape. */
	void (*counters)(void *ctx,
			 void (*fn)(const char *conn, const char *name, uint64_t value, void *arg),
			 void *arg);
	/* Monotonic milliseconds (NULL: mono_ms()); the fakes of the tests set it. */
	uint64_t (*now_ms)(void *ctx);
};

struct vici_server_cfg {
	const char *path;	    /* socket path (daemon.socket); its directory is made 0750 */
	size_t queue_max;	    /* per-client output bound, 0 = VICI_QUEUE_MAX */
	const char *daemon_version; /* NULL: this build's version */
};

/* Listen on cfg->path: make the directory (mode 0750) when missing, remove a
 * stale socket file only when nobody answers on it, bind, chmod 0660. The
 * server runs on base (borrowed); ops is copied, what it points to is
 * borrowed and must outlive the server. 0 with *out (caller frees with
 * vici_server_free), -EADDRINUSE when a live server already listens there,
 * -EEXIST when the path is not a socket, or another negative errno; every
 * failure is logged with the path. */
int vici_server_new(struct event_base *base, const struct vici_server_cfg *cfg,
		    const struct vici_ops *ops, struct vici_server **out);
/* Close every client (pending requests are dropped unanswered), the socket,
 * and remove the socket file. NULL is fine. */
void vici_server_free(struct vici_server *s);
/* Connected clients (for tests and stats). */
size_t vici_server_clients(const struct vici_server *s);

enum vici_sa_event {
	VICI_SA_UP,	/* established / installed */
	VICI_SA_DOWN,	/* an established / installed SA is gone */
	VICI_SA_FAILED, /* negotiation failed; the SA never came up and is gone */
};

/* An IKE SA came up, went down or failed (sa borrowed). Sends ike-updown to
 * registered clients for UP and DOWN; answers initiate/terminate requests
 * waiting on it (why: a reason for a failure, may be NULL). */
void vici_server_ike_event(struct vici_server *s, const struct vici_ike_sa *sa,
			   enum vici_sa_event ev, const char *why);
/* The same for one CHILD SA of sa (child-updown events). */
void vici_server_child_event(struct vici_server *s, const struct vici_ike_sa *sa,
			     const struct vici_child_sa *child, enum vici_sa_event ev,
			     const char *why);
/* An IKE SA was rekeyed (ike -> new_ike, children NULL) or one of its CHILD
 * SAs (old_child -> new_child, new_ike NULL): ike-rekey / child-rekey events
 * to registered clients. Everything borrowed. */
void vici_server_rekey_event(struct vici_server *s, const struct vici_ike_sa *ike,
			     const struct vici_ike_sa *new_ike,
			     const struct vici_child_sa *old_child,
			     const struct vici_child_sa *new_child);
/* What VICI loaded (borrowed from s; it changes after a successful load), or
 * NULL when s is NULL. */
const struct vici_conf *vici_server_conf(const struct vici_server *s);
/* A log line (borrowed): a "log" event to registered clients, and a
 * control-log event to the request it belongs to: the one whose op is running
 * right now, else the ones waiting on IKE SA ike_serial (0: found in the line
 * as "IKE SA #N", if there). A log sink may call this directly. */
void vici_server_log(struct vici_server *s, uint32_t ike_serial, enum log_sub sub,
		     enum log_level lvl, const char *line);

#endif
