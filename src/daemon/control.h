/* control.h: oakd's control socket: the VICI server (vici/vici_server.h)
 * wired to the IKEv2 engine and the running config, so that oakctl and
 * strongSwan's swanctl list, start and stop oakd's SAs.
 *
 *   list-sas    -> ikev2_sa_foreach(), each view copied into a vici_ike_sa
 *   list-conns  -> the conns of the config the daemon runs now
 *   initiate    -> ikev2_initiate() (a lone child name finds its connection)
 *   terminate   -> ikev2_terminate() / ikev2_terminate_child() by name or serial
 *   stats       -> SA and half-open counts, crypto workers
 *
 * How SA changes are seen: the engine has no observer hook (state changes
 * stay inside ike/ and ikev2/), but it changes state only inside the calls
 * the daemon makes (datagram, timer, job done, reload, control op). The
 * daemon calls control_sync() after each of them; it walks the SA views and
 * compares them with a snapshot of the last walk (serial, state, children),
 * so it reports:
 *
 *   IKE SA seen ESTABLISHED for the first time     -> ike-updown up
 *   CHILD SA seen INSTALLED for the first time     -> child-updown up
 *   an SA that was up and is no longer in the walk -> ...-updown down
 *   an SA that never came up and is gone           -> failed (answers the
 *                                                     initiate waiting on it)
 *
 * The walk costs O(SAs) per engine call; the snapshot is copied only when an
 * SA changes. Log lines: a sink forwards lines logged on the loop thread to
 * the server (log and control-log events) and every line, from any thread, to
 * the sink the daemon had (stderr's format when none); the last notice or
 * worse line that names "IKE SA #N" is kept as the reason its failure shows.
 */
#ifndef OAK_DAEMON_CONTROL_H
#define OAK_DAEMON_CONTROL_H

#include "conf/model.h"
#include "lib/log.h"

struct event_base;
struct ikev2_engine;
struct crypto_pool;
struct control;

struct control_env {
	struct event_base *base;    /* the loop (borrowed) */
	struct ikev2_engine *ikev2; /* (borrowed) */
	struct crypto_pool *pool;   /* (borrowed) for stats; may be NULL */
	/* where the daemon keeps its current config (borrowed): read at each
	 * call, so a reload shows at once */
	struct oak_config *const *config;
	const char *socket; /* daemon.socket (borrowed, copied) */
	log_sink_fn *sink;  /* lines also go here; NULL: stderr */
	void *sink_ctx;	    /* (borrowed) */
	/* Called after each engine call a control op made (the daemon re-arms
	 * its timer and calls control_sync); may be NULL. */
	void (*engine_called)(void *ctx);
	void *ctx; /* (borrowed) */
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

/* After every engine call: report SAs that came up, went down or failed
 * (see above). NULL is fine. */
void control_sync(struct control *c);

#endif
