/* vici_client.h: oakctl's side of VICI, and the options every daemon verb
 * shares (-s/--socket, -j/--json).
 *
 * A connection is a blocking unix socket. vici_call() sends one command and
 * reads until its response, handing every event that arrives meanwhile to a
 * callback (list-sas streams list-sa events this way, initiate streams
 * control-log lines). Exit codes of the daemon verbs: CTL_OK, CTL_FAILED,
 * CTL_USAGE, CTL_UNREACHABLE.
 */
#ifndef OAK_CTL_VICI_CLIENT_H
#define OAK_CTL_VICI_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "vici/vici_msg.h"

#define CTL_DEFAULT_SOCKET "/run/oak/oak.vici"

enum ctl_exit {
	CTL_OK = 0,
	CTL_FAILED = 1,	     /* the daemon said no, or answered nonsense */
	CTL_USAGE = 2,	     /* bad arguments */
	CTL_UNREACHABLE = 3, /* no daemon at the socket */
};

/* The global options, set by ctl_opts_parse(). */
struct ctl_opts {
	const char *socket; /* (borrowed from argv) or CTL_DEFAULT_SOCKET */
	bool json;
	/* -t/--timeout SECS (0: none): how long a verb waits for oakd; initiate,
	 * terminate and rekey hand it to oakd as their timeout; monitor and log
	 * stream for that long and then end with CTL_OK. */
	unsigned timeout;
};
extern struct ctl_opts ctl_opts;

/* Take the global options before the verb: returns the index of the verb in
 * argv (argc when there is none), or -1 after printing a usage error. */
int ctl_opts_parse(int argc, char *argv[]);

struct vici_conn;

/* Connect to ctl_opts.socket. NULL after printing "oakctl: cannot reach oakd
 * at PATH: REASON" to stderr. (caller frees with vici_conn_close) */
struct vici_conn *vici_conn_open(void);
void vici_conn_close(struct vici_conn *c);

/* Register for an event by name: 0, -ENOENT when the daemon has no such
 * event, or another negative errno. */
int vici_conn_register(struct vici_conn *c, const char *event);

/* Called for every event during a call (name and msg borrowed). */
typedef void vici_event_cb(void *arg, const char *name, const struct vici_node *msg);

/* Send command `cmd` with the message in req (a builder from
 * vici_build_msg(), consumed; NULL: an empty message), then read events into
 * cb (may be NULL) until the response, which *resp gets (caller frees with
 * vici_node_free). 0, -ENOENT for CMD_UNKNOWN, -EBADMSG for garbage (printed),
 * or a negative errno of the socket. */
int vici_call(struct vici_conn *c, const char *cmd, struct vici_builder *req, vici_event_cb *cb,
	      void *arg, struct vici_node **resp);

/* Print "oakctl: <what> failed: <reason>" for a vici_call error and return
 * the exit code for it. */
int ctl_call_error(const char *what, int rc);

/* Read events into cb until ctl_opts.timeout seconds have passed (0: until
 * oakd closes the socket or a signal stops us). 0 when the time is up, or a
 * negative errno (-ECONNRESET: oakd went away). */
int vici_conn_listen(struct vici_conn *c, vici_event_cb *cb, void *arg);

/* Run command cmd (req consumed, may be NULL) on a new connection, without
 * events: the response in *resp (caller frees with vici_node_free). Returns
 * an exit code; errors are printed. */
int ctl_simple_call(const char *cmd, struct vici_builder *req, struct vici_node **resp);

/* The time t as RFC 3339 in UTC ("2026-11-23T13:40:00Z") into buf. */
const char *ctl_rfc3339(long long t, char *buf, size_t len);
struct json_t;
/* Print one JSON value (adopted) compactly on one line (NDJSON) and flush. */
void ctl_json_line(struct json_t *j);

/* ---- shared by the verbs (show.c) ---- */

struct json_t;

/* A section as JSON: sections are objects, lists arrays of strings, values
 * strings, except the keys that hold counts (uniqueid, bytes-in, ...), which
 * are numbers. SPIs stay hex strings. (caller frees with json_decref) */
struct json_t *ctl_json_section(const struct vici_node *sec);
/* One list-sa section as {"name": ..., ..., "child-sas": [ {...} ]}. */
struct json_t *ctl_json_sa(const struct vici_node *sa);
/* Print j (adopted) indented, with a newline. */
void ctl_json_print(struct json_t *j);
/* Items of list `key` of sec joined by sep into buf; "" when absent. */
const char *ctl_join_list(const struct vici_node *sec, const char *key, const char *sep, char *buf,
			  size_t len);
/* "AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048" from an SA's
 * encr-alg, encr-keysize, integ-alg, prf-alg, dh-group keys. */
const char *ctl_fmt_algs(const struct vici_node *sec, char *buf, size_t len);
/* Run list-sas (ike: filter by name, may be NULL), calling cb with each IKE
 * SA's section and its name; returns the exit code (errors printed). */
typedef void ctl_sa_cb(void *arg, const struct vici_node *sa);
int ctl_list_sas(const char *ike, ctl_sa_cb *cb, void *arg);

/* Verbs (status.c, show.c, updown.c, version in vici_client.c): argv[0] is
 * the verb. */
int status_main(int argc, char *argv[]);
int show_main(int argc, char *argv[]);
int up_main(int argc, char *argv[]);
int down_main(int argc, char *argv[]);
int ctl_version_main(int argc, char *argv[]);
int rekey_main(int argc, char *argv[]);	       /* updown.c */
int reload_main(int argc, char *argv[]);       /* updown.c */
int monitor_main(int argc, char *argv[]);      /* monitor.c */
int log_main(int argc, char *argv[]);	       /* monitor.c */
int metrics_main(int argc, char *argv[]);      /* metrics.c */
int check_config_main(int argc, char *argv[]); /* checkconf.c */

/* show subcommands of other files: counters (metrics.c), algs, certs and
 * policies (show_more.c); argv[0] is the subcommand. */
int ctl_show_counters(int argc, char *argv[]);
int ctl_show_algs(int argc, char *argv[]);
int ctl_show_certs(int argc, char *argv[]);
int ctl_show_policies(int argc, char *argv[]);
#endif
