/* control.h: oakd's control socket: the VICI server (vici/vici_server.h)
 * wired to the IKEv2 engine and the running config, so that oakctl and
 * strongSwan's swanctl list, start and stop oakd's SAs.
 *
 *   list-sas    -> ikev2_sa_foreach(), each view copied into a vici_ike_sa
 *   list-conns  -> the conns of the config the daemon runs now
 *   initiate    -> ikev2_initiate() (a lone child name finds its connection)
 *   terminate   -> ikev2_terminate() / ikev2_terminate_child() by name or serial
 *   rekey       -> ikev2_rekey_ike() / ikev2_rekey_child() by name or serial
 *   stats       -> SA and half-open counts, crypto workers
 *   load-conn, load-shared, load-cert, load-key, unload-*, clear-creds,
 *   reload-settings -> the file merged with what VICI loaded, validated
 *                  (control_model_load, control_certs_load), then oakd_reload()
 *   list-certs  -> the running certificate store
 *
 * How SA changes are seen: control_new installs the state choke points'
 * observer (ike_sa.h, sa_observer_set), so each change costs O(1):
 *
 *   IKE SA -> ESTABLISHED                 -> ike-updown up
 *   CHILD SA -> INSTALLED                 -> child-updown up
 *   an SA that was established -> DEAD    -> ...-updown down
 *   an SA that never came up -> DEAD      -> failed (answers the initiate
 *                                            waiting on it)
 *   env.events.rekeyed (control_ike_events) -> ike-rekey / child-rekey
 *
 * Events raised inside an op's engine call reach the request through the
 * server's early-event list (vici_server.c). Log lines: a sink forwards lines
 * logged on the loop thread to the server (log and control-log events) and
 * every line, from any thread, to the sink the daemon had (stderr's format
 * when none); the last notice or worse line that names "IKE SA #N" is kept
 * (a small ring) as the reason its failure shows.
 *
 * IKEv1 (for the lead): list_sas walks ikev2_sa_foreach only; an IKEv1
 * engine's SAs list the same way by a second walk in op_list_sas filling
 * struct vici_ike_sa with version = 1, and its state changes already reach
 * the observer when it uses ike_sa_set_state / child_sa_set_state.
 */
#ifndef OAK_DAEMON_CONTROL_H
#define OAK_DAEMON_CONTROL_H

#include "conf/model.h"
#include "ike/env.h"
#include "lib/log.h"

struct event_base;
struct ikev2_engine;
struct ikev1_engine;
struct crypto_pool;
struct control;
struct oakd;
struct certs_store;

struct control_env {
	struct event_base *base;    /* the loop (borrowed) */
	struct ikev2_engine *ikev2; /* (borrowed) */
	struct ikev1_engine *ikev1; /* (borrowed) */
	struct crypto_pool *pool;   /* (borrowed) for stats; may be NULL */
	/* where the daemon keeps its current config (borrowed): read at each
	 * call, so a reload shows at once */
	struct oak_config *const *config;
	const char *socket; /* daemon.socket (borrowed, copied) */
	log_sink_fn *sink;  /* lines also go here; NULL: stderr */
	void *sink_ctx;	    /* (borrowed) */
	/* Called after each engine call a control op made (the daemon re-arms
	 * its timer); may be NULL. */
	void (*engine_called)(void *ctx);
	void *ctx; /* (borrowed) */
	/* VICI load-conn, load-shared, load-cert, load-key, clear-creds and
	 * reload-settings validate the file plus what VICI loaded, then swap it
	 * in with oakd_reload(oakd); NULL: those commands are refused. */
	struct oakd *oakd;	 /* (borrowed) */
	const char *config_path; /* the config file (borrowed) */
	/* where the daemon keeps its running certificate store (borrowed), for
	 * list-certs; may be NULL */
	struct certs_store *const *certs;
	/* the kernel backend (borrowed; NULL: none): list-sas reads each CHILD
	 * SA's byte and packet counters from it */
	const struct kernel_ops *kernel;
};

/* Listen on env->socket (its directory made 0750 when missing) and install
 * the log sink. Must run on the loop thread: lines of other threads never
 * reach the server. 0 with *out (caller frees with control_free), or a
 * negative errno after the server logged one line naming the path. */
int control_new(const struct control_env *env, struct control **out);

/* Restore the daemon's sink, close every client and the socket, and remove
 * the socket file. Call after the crypto workers stopped (pool_free) and
 * before the engine is freed. NULL is fine. */
void control_free(struct control *c);

/* The engine's observers for env.events (rekeyed -> ike-rekey and
 * child-rekey events). *where (borrowed, the daemon's pointer to its
 * control, NULL until control_new) is read at each call, because the engine
 * starts before the control socket. */
struct ike_events control_ike_events(struct control **where);

/* The daemon's config as a reload builds it: the file at path parsed, merged
 * with what VICI loaded (vici_conf_merge: a VICI connection replaces the
 * file's of that name), checked by the schema and built (conf_model_load
 * when c is NULL). 0 with *out (caller unrefs), or a negative errno with err. */
int control_model_load(const struct control *c, const char *path, struct oak_config **out,
		       struct conf_err *err);
/* certs_store_load for cfg (borrowed) plus the certificates and keys VICI
 * loaded (plain certs_store_load when c is NULL). */
int control_certs_load(const struct control *c, const struct oak_config *cfg,
		       struct certs_store **out, char *why, size_t whylen);

#endif
