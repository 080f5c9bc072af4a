/* loop.h: the running daemon: one libevent loop that owns the config, the
 * sockets, the kernel backend, the key log, the crypto pool and the IKEv2
 * engine, and turns signals into reloads and a clean stop.
 *
 *   datagram  -> udp (marker stripped) -> IKE version 2? -> ikev2_recv()
 *   SIGHUP    -> conf_model_load(same path) -> ikev2_engine_set_config()
 *                (a broken file is logged and the running config kept)
 *   SIGTERM/INT -> ikev2_terminate_all(), then up to OAKD_STOP_WAIT_MS for
 *                the IKE SAs to go, then the loop ends (exit 0)
 *   one timer -> re-armed to ikev2_next_deadline() after every event
 *   VICI socket (daemon.socket) -> control.c, which also reports every SA
 *                change after each engine call (kept across reloads)
 */
#ifndef OAK_DAEMON_LOOP_H
#define OAK_DAEMON_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/model.h"
#include "lib/log.h"

#define OAKD_STOP_WAIT_MS 2000

struct oakd;

/* Command-line settings that outlive reloads. */
struct oakd_opts {
	const char *config_path;  /* (borrowed) */
	const char *const *debug; /* (borrowed) "SUB=LEVEL" specs, applied after daemon.log */
	size_t ndebug;
	log_sink_fn *log_sink; /* the sink main installed (NULL: stderr); the VICI */
	void *log_sink_ctx;    /* socket's sink passes every line on to it */
};

/* Checks of a built config that depend on what this oakd can do (the
 * kernel backends compiled in, ...). 0, or -EINVAL with err at the key. */
int oakd_check_config(const struct oak_config *cfg, struct conf_err *err);

/* Apply daemon.log { SUB = LEVEL } of cfg, then the --debug specs. */
void oakd_apply_log_levels(const struct oak_config *cfg, const struct oakd_opts *opts);

/* Start everything for cfg (adopted: freed with the daemon, also on error).
 * NULL after logging one line saying what failed. */
struct oakd *oakd_start(const struct oakd_opts *opts, struct oak_config *cfg);

/* Run the loop until a SIGTERM/SIGINT stop completes. Returns the exit code. */
int oakd_run(struct oakd *d);

/* Reload now (what SIGHUP does). 0, or -errno with the running config kept. */
int oakd_reload(struct oakd *d);

/* Free everything; NULL is fine. */
void oakd_free(struct oakd *d);

#endif
