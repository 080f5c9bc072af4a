/* vici_int.h: what the VICI server's files share (not for other layers). */
#ifndef OAK_VICI_VICI_INT_H
#define OAK_VICI_VICI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vici/vici_conf.h"
#include "vici/vici_msg.h"
#include "vici/vici_server.h"

/* The events a client may register for (README "Server-issued events"). */
enum vici_event_id {
	VICI_EV_LIST_SA,
	VICI_EV_LIST_CONN,
	VICI_EV_CONTROL_LOG,
	VICI_EV_LOG,
	VICI_EV_IKE_UPDOWN,
	VICI_EV_CHILD_UPDOWN,
	VICI_EV_IKE_REKEY,
	VICI_EV_CHILD_REKEY,
	VICI_EV_LIST_CERT,
	VICI_EV_LIST_POLICY,
	VICI_EV_COUNT
};

/* A pending initiate or terminate: waits for SA events, a timeout or the
 * client's disconnect, then answers { success, errmsg }. */
enum vici_ctl_kind {
	VICI_CTL_INITIATE,
	VICI_CTL_TERMINATE_IKE,	  /* waits for IKE SA serials to go */
	VICI_CTL_TERMINATE_CHILD, /* waits for CHILD SA serials to go */
};

/* An SA event that arrived while the request's op was still running (the
 * serials it waits on are not known yet then); replayed afterwards. */
struct vici_early_event {
	uint32_t ike, child; /* child 0: an IKE SA event */
	enum vici_sa_event ev;
	char child_name[MODEL_NAME_MAX];
};
#define VICI_MAX_EARLY 16

struct vici_client;

struct vici_ctl {
	struct vici_client *client;
	struct vici_ctl *next; /* in the server's pending list */
	enum vici_ctl_kind kind;
	int level;	     /* strongSwan log level 0-4 for control-log lines */
	struct event *timer; /* the client's timeout, or NULL */
	int timeout_ms;
	char what[2 * MODEL_NAME_MAX + 16]; /* "'gw'" / "CHILD SA 'net'" for messages */
	/* initiate */
	struct vici_initiated init;
	char child[MODEL_NAME_MAX]; /* the CHILD SA waited for, "" = any */
	/* terminate */
	struct vici_terminating term;
	/* events during the op call */
	struct vici_early_event early[VICI_MAX_EARLY];
	size_t nearly;
	bool done;
};

struct vici_client {
	struct vici_server *s;
	struct bufferevent *bev;
	struct event *resume_ev; /* deferred: read on after an answer, or free when dead */
	struct vici_client *next, **pprev;
	uint32_t id;
	unsigned events;      /* bit per enum vici_event_id */
	struct vici_ctl *ctl; /* a pending request, or NULL */
	bool busy;	      /* inside a callback: free later */
	bool dead;	      /* to be freed once not busy */
	bool paused;	      /* reading stopped because the output queue is full */
	uint64_t dropped;     /* events dropped because the queue was full */
};

struct vici_server {
	struct event_base *base;
	struct vici_ops ops;
	char *path;
	int fd;
	struct event *accept_ev;
	struct vici_client *clients;
	size_t nclients;
	uint32_t next_id;
	size_t queue_max;
	char version[32];
	time_t started;		  /* wall clock, for stats' "since" */
	uint64_t started_ms;	  /* monotonic */
	struct vici_ctl *calling; /* the request whose op runs right now */
	struct vici_ctl *pending; /* waiting requests */
	bool in_log;		  /* vici_server_log is running: no re-entry */
	struct vici_conf *conf;	  /* what load-conn, load-shared, ... loaded (owned) */
};

/* vici_server.c */
uint64_t vici_now_ms(const struct vici_server *s);
/* Send a finished packet (the builder is consumed). Over the queue bound the
 * client is disconnected; returns 0 or -1. */
int vici_client_send(struct vici_client *c, struct vici_builder *vb);
/* An event packet to c if it registered for ev (builder consumed either way). */
void vici_client_event(struct vici_client *c, enum vici_event_id ev, struct vici_builder *vb);
bool vici_client_wants(const struct vici_client *c, enum vici_event_id ev);
/* Answer { success = yes } or { success = no, errmsg = msg }. */
void vici_reply_result(struct vici_client *c, bool ok, const char *errmsg);
/* Register a request as pending (it is answered later) or answer it now. */
void vici_ctl_wait(struct vici_ctl *ctl);
void vici_ctl_finish(struct vici_ctl *ctl, bool ok, const char *errmsg);
void vici_ctl_free(struct vici_ctl *ctl);
/* Match an SA event against a request; may finish it. */
void vici_ctl_match(struct vici_ctl *ctl, uint32_t ike, uint32_t child, const char *child_name,
		    enum vici_sa_event ev, const char *why);

/* vici_cmds.c: one handler per command; each answers exactly once (now or,
 * for initiate/terminate, later through vici_ctl_finish). */
typedef void vici_cmd_fn(struct vici_client *c, const struct vici_node *req);
/* The handler of a command name, NULL if unknown (CMD_UNKNOWN). */
vici_cmd_fn *vici_cmd_lookup(const char *name);

/* vici_sa.c: SA and config views as VICI message sections. */
/* `<name> = { ... }` of an IKE SA as in list-sa; children: every CHILD SA
 * (all), only one (only != NULL), or none (all false, only NULL). */
int vici_encode_ike_sa(struct vici_builder *vb, const struct vici_ike_sa *sa, uint64_t now_ms,
		       bool all, const struct vici_child_sa *only);
/* The keys of an IKE SA (no section around them, no children). */
void vici_encode_ike_sa_keys(struct vici_builder *vb, const struct vici_ike_sa *sa,
			     uint64_t now_ms);
/* `<section> = { ... }` of a CHILD SA (section NULL: "<name>-<uniqueid>"). */
void vici_encode_child_sa(struct vici_builder *vb, const char *section,
			  const struct vici_child_sa *c, uint64_t now_ms);
/* vici_cmds_conf.c: the config and credential commands. */
vici_cmd_fn *vici_cmd_conf_lookup(const char *name);
/* `<name> = { ... }` of a connection as in list-conn. */
int vici_encode_conn(struct vici_builder *vb, const struct conn_cfg *conn);
/* strongSwan's names: "ESTABLISHED", "INSTALLED", "TUNNEL" ... (static) */
const char *vici_ike_state_name(enum ike_sa_state st);
const char *vici_child_state_name(enum child_sa_state st);

#endif
