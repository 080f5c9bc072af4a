/* vici_server.c: the VICI unix socket, its clients, packet framing, event
 * registration and the requests that wait for SA events (vici_server.h). */
#include "vici/vici_server.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mono_time.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "vici/vici_int.h"

#ifndef OAK_VERSION
#define OAK_VERSION "0.0.0"
#endif

static const char *const event_names[VICI_EV_COUNT] = {
	[VICI_EV_LIST_SA] = "list-sa",	       [VICI_EV_LIST_CONN] = "list-conn",
	[VICI_EV_CONTROL_LOG] = "control-log", [VICI_EV_LOG] = "log",
	[VICI_EV_IKE_UPDOWN] = "ike-updown",   [VICI_EV_CHILD_UPDOWN] = "child-updown",
	[VICI_EV_IKE_REKEY] = "ike-rekey",     [VICI_EV_CHILD_REKEY] = "child-rekey",
	[VICI_EV_LIST_CERT] = "list-cert",     [VICI_EV_LIST_POLICY] = "list-policy",
};

uint64_t vici_now_ms(const struct vici_server *s)
{
	return s->ops.now_ms ? s->ops.now_ms(s->ops.ctx) : mono_ms();
}

/* ---- clients ---- */

static void client_free(struct vici_client *c)
{
	struct vici_server *s = c->s;

	if (c->ctl)
		vici_ctl_free(c->ctl);
	if (c->dropped)
		log_info(SUB_VICI, "VICI client #%u: %llu events dropped while it was not reading",
			 c->id, (unsigned long long)c->dropped);
	log_debug(SUB_VICI, "VICI client #%u disconnected", c->id);
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	s->nclients--;
	bufferevent_free(c->bev);
	event_free(c->resume_ev);
	free(c);
}

/* Disconnect: never at once, so that a client stays valid through whatever
 * callback found it dead; the loop frees it right after (client_resume_cb). */
static void client_kill(struct vici_client *c)
{
	if (c->dead)
		return;
	c->dead = true;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	if (!c->busy)
		event_active(c->resume_ev, EV_READ, 0);
}

bool vici_client_wants(const struct vici_client *c, enum vici_event_id ev)
{
	return !c->dead && (c->events & (1u << ev));
}

int vici_client_send(struct vici_client *c, struct vici_builder *vb)
{
	struct evbuffer *out;
	uint8_t *p;
	size_t len, queued;
	int err;

	p = vici_build_take(vb, &len, &err);
	if (!p) {
		log_err(SUB_VICI, "VICI client #%u: cannot build a message (%s)", c->id,
			strerror(-err));
		return -1;
	}
	if (c->dead) {
		free(p);
		return -1;
	}
	out = bufferevent_get_output(c->bev);
	queued = evbuffer_get_length(out);
	if (queued + len > c->s->queue_max) {
		log_warn(SUB_VICI,
			 "VICI client #%u: output queue would pass %zu bytes (it does not read), "
			 "disconnecting it",
			 c->id, c->s->queue_max);
		free(p);
		client_kill(c);
		return -1;
	}
	if (evbuffer_add(out, p, len) < 0) {
		free(p);
		client_kill(c);
		return -1;
	}
	free(p);
	/* backpressure: read no new request until the client took its answers */
	if (queued + len > c->s->queue_max / 2 && !c->paused) {
		c->paused = true;
		bufferevent_disable(c->bev, EV_READ);
	}
	return 0;
}

void vici_client_event(struct vici_client *c, enum vici_event_id ev, struct vici_builder *vb)
{
	if (!vici_client_wants(c, ev)) {
		vici_build_free(vb);
		return;
	}
	vici_client_send(c, vb);
}

/* An event the daemon raised (not part of a command's stream): dropped for a
 * client that is behind, so a stalled monitor cannot hold memory. */
static void client_async_event(struct vici_client *c, enum vici_event_id ev, const uint8_t *p,
			       size_t len)
{
	struct evbuffer *out;

	if (!vici_client_wants(c, ev))
		return;
	out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) + len > c->s->queue_max / 2) {
		if (c->dropped++ == 0)
			log_warn(SUB_VICI, "VICI client #%u is not reading: dropping its events",
				 c->id);
		return;
	}
	if (evbuffer_add(out, p, len) < 0)
		client_kill(c);
}

void vici_reply_result(struct vici_client *c, bool ok, const char *errmsg)
{
	struct vici_builder vb;

	vici_build_packet(&vb, VICI_CMD_RESPONSE, NULL);
	vici_add_kv_str(&vb, "success", ok ? "yes" : "no");
	if (!ok && errmsg)
		vici_add_kv_str(&vb, "errmsg", errmsg);
	vici_client_send(c, &vb);
}

static void send_bare(struct vici_client *c, enum vici_op op)
{
	struct vici_builder vb;

	vici_build_packet(&vb, op, NULL);
	vici_client_send(c, &vb);
}

static void handle_cmd(struct vici_client *c, const struct vici_packet *pkt)
{
	vici_cmd_fn *fn = vici_cmd_lookup(pkt->name);
	struct vici_node *req = NULL;
	struct vici_err err;
	char msg[VICI_NAME_MAX + sizeof(err.msg) + 64];

	if (!fn) {
		log_debug(SUB_VICI, "VICI client #%u: unknown command '%s'", c->id, pkt->name);
		send_bare(c, VICI_CMD_UNKNOWN);
		return;
	}
	if (vici_msg_parse(pkt->msg.p, pkt->msg.len, &req, &err)) {
		snprintf(msg, sizeof(msg), "malformed '%s' request at byte %zu: %s", pkt->name,
			 err.off, err.msg);
		log_warn(SUB_VICI, "VICI client #%u: %s", c->id, msg);
		vici_reply_result(c, false, msg);
		return;
	}
	log_debug(SUB_VICI, "VICI client #%u: command '%s'", c->id, pkt->name);
	fn(c, req);
	vici_node_free(req);
}

static void handle_register(struct vici_client *c, const struct vici_packet *pkt)
{
	for (unsigned i = 0; i < VICI_EV_COUNT; i++) {
		if (strcmp(pkt->name, event_names[i]) != 0)
			continue;
		if (pkt->op == VICI_EVENT_REGISTER)
			c->events |= 1u << i;
		else
			c->events &= ~(1u << i);
		send_bare(c, VICI_EVENT_CONFIRM);
		return;
	}
	log_debug(SUB_VICI, "VICI client #%u: no event '%s'", c->id, pkt->name);
	send_bare(c, VICI_EVENT_UNKNOWN);
}

static void handle_packet(struct vici_client *c, const uint8_t *p, size_t len)
{
	struct vici_packet pkt;
	struct vici_err err;

	if (vici_packet_parse(p, len, &pkt, &err)) {
		log_warn(SUB_VICI,
			 "VICI client #%u: malformed packet at byte %zu: %s; disconnecting", c->id,
			 err.off, err.msg);
		client_kill(c);
		return;
	}
	switch (pkt.op) {
	case VICI_CMD_REQUEST:
		handle_cmd(c, &pkt);
		break;
	case VICI_EVENT_REGISTER:
	case VICI_EVENT_UNREGISTER:
		handle_register(c, &pkt);
		break;
	default:
		log_warn(SUB_VICI,
			 "VICI client #%u sent %s, which only a server sends; disconnecting", c->id,
			 vici_op_name(pkt.op));
		client_kill(c);
	}
}

/* Take complete packets off the input, one request at a time: a request that
 * waits (initiate) stops the reading until it is answered (README: one
 * command at a time per connection). */
static void process_input(struct vici_client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	uint8_t hdr[4], *pkt;
	uint32_t len;

	if (c->dead) {
		client_free(c);
		return;
	}
	c->busy = true;
	while (!c->dead && !c->ctl && !c->paused) {
		if (evbuffer_copyout(in, hdr, 4) < 4)
			break;
		len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 |
		      hdr[3];
		if (len > VICI_MAX_PACKET) {
			log_warn(SUB_VICI,
				 "VICI client #%u: packet of %u bytes, the limit is %zu; "
				 "disconnecting",
				 c->id, len, VICI_MAX_PACKET);
			client_kill(c);
			break;
		}
		if (evbuffer_get_length(in) < 4 + (size_t)len)
			break;
		evbuffer_drain(in, 4);
		pkt = malloc(len ? len : 1);
		if (!pkt) {
			client_kill(c);
			break;
		}
		evbuffer_remove(in, pkt, len);
		handle_packet(c, pkt, len);
		wipe(pkt, len); /* load-shared and load-key carry secrets */
		free(pkt);
	}
	c->busy = false;
	if (c->dead)
		client_free(c);
}

static void client_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	process_input(arg);
}

/* The output drained below the low watermark: read requests again. */
static void client_write_cb(struct bufferevent *bev, void *arg)
{
	struct vici_client *c = arg;

	(void)bev;
	if (c->paused) {
		c->paused = false;
		bufferevent_enable(c->bev, EV_READ);
		process_input(c);
	}
}

static void client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct vici_client *c = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_kill(c);
}

/* Deferred to the loop: a client whose request was answered reads on, but
 * not from inside the daemon's call that answered it; a dead one is freed. */
static void client_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	process_input(arg);
}

static void client_new(struct vici_server *s, int fd)
{
	struct vici_client *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		return;
	}
	c->s = s;
	c->id = ++s->next_id;
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->resume_ev = event_new(s->base, -1, 0, client_resume_cb, c);
	if (!c->bev || !c->resume_ev) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			close(fd);
		if (c->resume_ev)
			event_free(c->resume_ev);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, client_read_cb, client_write_cb, client_event_cb, c);
	/* the input holds at most one packet more than we process */
	bufferevent_setwatermark(c->bev, EV_READ, 0, 4 + VICI_MAX_PACKET);
	bufferevent_setwatermark(c->bev, EV_WRITE, s->queue_max / 4, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = s->clients;
	if (c->next)
		c->next->pprev = &c->next;
	c->pprev = &s->clients;
	s->clients = c;
	s->nclients++;
	log_debug(SUB_VICI, "VICI client #%u connected", c->id);
}

static void accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct vici_server *s = arg;

	(void)what;
	for (int i = 0; i < 16; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn(SUB_VICI, "VICI accept on %s: %s", s->path,
					 strerror(errno));
			return;
		}
		client_new(s, fd);
	}
}

size_t vici_server_clients(const struct vici_server *s)
{
	return s->nclients;
}

/* ---- the socket ---- */

/* mkdir -p of the socket's directory, each new level 0750 (the socket's
 * group may reach it, nobody else). */
static int make_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		bool end = *p == '\0';

		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
			log_err(SUB_VICI, "cannot create the VICI socket's directory %s: %s", dir,
				strerror(errno));
			return -errno;
		}
		if (end)
			return 0;
		*p = '/';
	}
}

/* A socket file left behind by a daemon that died is removed; one that a
 * live daemon answers on is not. */
static int clear_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc;

	if (lstat(sun->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_err(SUB_VICI, "%s exists and is not a socket; not touching it", sun->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (rc == 0) {
		log_err(SUB_VICI, "another daemon already listens on %s", sun->sun_path);
		return -EADDRINUSE;
	}
	if (errno != ECONNREFUSED) {
		log_err(SUB_VICI, "cannot check the old socket %s: %s", sun->sun_path,
			strerror(errno));
		return -errno;
	}
	log_info(SUB_VICI, "removing the stale socket %s", sun->sun_path);
	if (unlink(sun->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int listen_on(struct vici_server *s)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	mode_t old;
	int fd, rc;

	if (strlen(s->path) >= sizeof(sun.sun_path)) {
		log_err(SUB_VICI, "VICI socket path %s is longer than %zu bytes", s->path,
			sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, s->path, strlen(s->path) + 1);
	rc = make_dir(s->path);
	if (!rc)
		rc = clear_stale(&sun);
	if (rc)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* born 0660: no moment in which others may connect */
	old = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0) { /* the file may be another daemon's now: leave it */
		rc = -errno;
		close(fd);
		log_err(SUB_VICI, "cannot bind %s: %s", s->path, strerror(-rc));
		return rc;
	}
	s->fd = fd; /* from here on, failing removes the file we made */
	if (chmod(s->path, 0660) < 0 || listen(fd, 32) < 0) {
		rc = -errno;
		log_err(SUB_VICI, "cannot listen on %s: %s", s->path, strerror(-rc));
		return rc;
	}
	return 0;
}

int vici_server_new(struct event_base *base, const struct vici_server_cfg *cfg,
		    const struct vici_ops *ops, struct vici_server **out)
{
	struct vici_server *s;
	int rc;

	*out = NULL;
	if (!cfg->path || !*cfg->path)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	s->base = base;
	s->ops = *ops;
	s->queue_max = cfg->queue_max ? cfg->queue_max : VICI_QUEUE_MAX;
	snprintf(s->version, sizeof(s->version), "%s",
		 cfg->daemon_version ? cfg->daemon_version : OAK_VERSION);
	s->started = time(NULL);
	s->started_ms = vici_now_ms(s);
	s->path = strdup(cfg->path);
	s->conf = vici_conf_new();
	if (!s->path || !s->conf) {
		vici_conf_free(s->conf);
		free(s->path);
		free(s);
		return -ENOMEM;
	}
	rc = listen_on(s);
	if (rc)
		goto fail;
	s->accept_ev = event_new(base, s->fd, EV_READ | EV_PERSIST, accept_cb, s);
	if (!s->accept_ev || event_add(s->accept_ev, NULL) < 0) {
		rc = -ENOMEM;
		goto fail;
	}
	log_info(SUB_VICI, "VICI listening on %s", s->path);
	*out = s;
	return 0;
fail:
	if (s->fd >= 0) { /* bound: the socket file is ours */
		close(s->fd);
		unlink(s->path);
	}
	if (s->accept_ev)
		event_free(s->accept_ev);
	vici_conf_free(s->conf);
	free(s->path);
	free(s);
	return rc;
}

void vici_server_free(struct vici_server *s)
{
	if (!s)
		return;
	for (struct vici_client *c = s->clients, *next; c; c = next) {
		next = c->next;
		client_free(c);
	}
	event_free(s->accept_ev);
	close(s->fd);
	unlink(s->path);
	free(s->path);
	vici_conf_free(s->conf);
	free(s);
}

const struct vici_conf *vici_server_conf(const struct vici_server *s)
{
	return s ? s->conf : NULL;
}

/* ---- requests that wait ---- */

static void ctl_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vici_ctl *ctl = arg;
	char msg[sizeof(ctl->what) + 96];

	(void)fd;
	(void)what;
	snprintf(msg, sizeof(msg), "%s %s timed out after %d ms (it goes on in the background)",
		 ctl->kind == VICI_CTL_INITIATE ? "initiating" : "terminating", ctl->what,
		 ctl->timeout_ms);
	vici_ctl_finish(ctl, false, msg);
}

void vici_ctl_free(struct vici_ctl *ctl)
{
	struct vici_server *s = ctl->client->s;

	for (struct vici_ctl **pp = &s->pending; *pp; pp = &(*pp)->next)
		if (*pp == ctl) {
			*pp = ctl->next;
			break;
		}
	if (ctl->client->ctl == ctl)
		ctl->client->ctl = NULL;
	if (ctl->timer)
		event_free(ctl->timer);
	free(ctl);
}

void vici_ctl_finish(struct vici_ctl *ctl, bool ok, const char *errmsg)
{
	struct vici_client *c = ctl->client;

	if (ctl->done)
		return;
	ctl->done = true;
	vici_reply_result(c, ok, errmsg);
	if (c->ctl == ctl) { /* it was waiting: read the client's next request */
		vici_ctl_free(ctl);
		if (!c->dead && !c->busy)
			event_active(c->resume_ev, EV_READ, 0);
	}
}

void vici_ctl_wait(struct vici_ctl *ctl)
{
	struct vici_client *c = ctl->client;
	struct vici_server *s = c->s;
	struct vici_early_event early[VICI_MAX_EARLY];
	size_t nearly = ctl->nearly;
	struct timeval tv;

	c->ctl = ctl;
	ctl->next = s->pending;
	s->pending = ctl;
	/* what happened while the op ran, now that the serials are known */
	memcpy(early, ctl->early, nearly * sizeof(early[0]));
	ctl->nearly = 0;
	for (size_t i = 0; i < nearly && c->ctl == ctl; i++)
		vici_ctl_match(ctl, early[i].ike, early[i].child, early[i].child_name, early[i].ev,
			       NULL);
	if (c->ctl != ctl)
		return; /* answered and freed */
	if (ctl->timeout_ms > 0) {
		ctl->timer = evtimer_new(s->base, ctl_timeout_cb, ctl);
		tv.tv_sec = ctl->timeout_ms / 1000;
		tv.tv_usec = (long)(ctl->timeout_ms % 1000) * 1000;
		if (ctl->timer)
			evtimer_add(ctl->timer, &tv);
	}
}

static bool term_remove(struct vici_terminating *t, uint32_t serial)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->serials[i] == serial) {
			t->serials[i] = t->serials[--t->n];
			return true;
		}
	return false;
}

static void match_initiate(struct vici_ctl *ctl, uint32_t ike, uint32_t child,
			   const char *child_name, enum vici_sa_event ev, const char *why)
{
	char msg[sizeof(ctl->what) + 256];

	if (ike != ctl->init.ike_serial)
		return;
	if (!child) {
		if (ev == VICI_SA_UP && ctl->init.ike_only)
			vici_ctl_finish(ctl, true, NULL);
		if (ev == VICI_SA_UP)
			return;
		snprintf(msg, sizeof(msg), "establishing IKE SA #%u for %s failed%s%s", ike,
			 ctl->what, why ? ": " : "", why ? why : "");
		vici_ctl_finish(ctl, false, msg);
		return;
	}
	if (ctl->init.ike_only || (ctl->child[0] && strcmp(ctl->child, child_name) != 0))
		return;
	if (ev == VICI_SA_UP) {
		vici_ctl_finish(ctl, true, NULL);
		return;
	}
	snprintf(msg, sizeof(msg), "establishing CHILD SA '%s' failed%s%s", child_name,
		 why ? ": " : "", why ? why : "");
	vici_ctl_finish(ctl, false, msg);
}

void vici_ctl_match(struct vici_ctl *ctl, uint32_t ike, uint32_t child, const char *child_name,
		    enum vici_sa_event ev, const char *why)
{
	if (ctl->done)
		return;
	if (ctl->client->s->calling == ctl) { /* serials not known yet: keep for later */
		if (ctl->nearly < VICI_MAX_EARLY) {
			struct vici_early_event *e = &ctl->early[ctl->nearly++];

			e->ike = ike;
			e->child = child;
			e->ev = ev;
			snprintf(e->child_name, sizeof(e->child_name), "%s",
				 child_name ? child_name : "");
		}
		return;
	}
	switch (ctl->kind) {
	case VICI_CTL_INITIATE:
		match_initiate(ctl, ike, child, child_name, ev, why);
		break;
	case VICI_CTL_TERMINATE_IKE:
		if (!child && ev != VICI_SA_UP && term_remove(&ctl->term, ike) && !ctl->term.n)
			vici_ctl_finish(ctl, true, NULL);
		break;
	case VICI_CTL_TERMINATE_CHILD:
		if (child && ev != VICI_SA_UP && term_remove(&ctl->term, child) && !ctl->term.n)
			vici_ctl_finish(ctl, true, NULL);
		break;
	}
}

/* ---- what the daemon reports ---- */

static void sa_event(struct vici_server *s, const struct vici_ike_sa *sa,
		     const struct vici_child_sa *child, enum vici_sa_event ev, const char *why)
{
	enum vici_event_id id = child ? VICI_EV_CHILD_UPDOWN : VICI_EV_IKE_UPDOWN;
	struct vici_builder vb;
	struct vici_client *c, *next;
	struct vici_ctl *ctl, *cnext;
	uint8_t *p = NULL;
	size_t len = 0;
	bool wanted = false;

	for (c = s->clients; c && !wanted; c = c->next)
		wanted = vici_client_wants(c, id);
	/* README "ike-updown"/"child-updown": up = yes, or no key when down;
	 * built only when a client registered for it (one per SA otherwise) */
	if (ev != VICI_SA_FAILED && wanted) {
		vici_build_packet(&vb, VICI_EVENT, event_names[id]);
		if (ev == VICI_SA_UP)
			vici_add_kv_str(&vb, "up", "yes");
		vici_encode_ike_sa(&vb, sa, vici_now_ms(s), false, child);
		p = vici_build_take(&vb, &len, NULL);
	}
	for (c = s->clients; c && p; c = next) {
		next = c->next;
		client_async_event(c, id, p, len);
	}
	free(p);
	if (s->calling)
		vici_ctl_match(s->calling, sa->uniqueid, child ? child->uniqueid : 0,
			       child ? child->name : NULL, ev, why);
	for (ctl = s->pending; ctl; ctl = cnext) {
		cnext = ctl->next;
		vici_ctl_match(ctl, sa->uniqueid, child ? child->uniqueid : 0,
			       child ? child->name : NULL, ev, why);
	}
}

void vici_server_ike_event(struct vici_server *s, const struct vici_ike_sa *sa,
			   enum vici_sa_event ev, const char *why)
{
	sa_event(s, sa, NULL, ev, why);
}

void vici_server_child_event(struct vici_server *s, const struct vici_ike_sa *sa,
			     const struct vici_child_sa *child, enum vici_sa_event ev,
			     const char *why)
{
	sa_event(s, sa, child, ev, why);
}

/* README "ike-rekey": { <name> = { old = { IKE SA }, new = { IKE SA } } };
 * "child-rekey": { <name> = { IKE SA ..., child-sas = { <child> = { old =
 * { CHILD SA }, new = { CHILD SA } } } } }. */
void vici_server_rekey_event(struct vici_server *s, const struct vici_ike_sa *ike,
			     const struct vici_ike_sa *new_ike,
			     const struct vici_child_sa *old_child,
			     const struct vici_child_sa *new_child)
{
	bool child = old_child && new_child;
	enum vici_event_id id = child ? VICI_EV_CHILD_REKEY : VICI_EV_IKE_REKEY;
	struct vici_builder vb;
	struct vici_client *c, *next;
	uint8_t *p;
	size_t len = 0;
	uint64_t now = vici_now_ms(s);

	if (!child && !new_ike)
		return;
	vici_build_packet(&vb, VICI_EVENT, event_names[id]);
	vici_add_section(&vb, ike->name ? ike->name : "");
	if (child) {
		vici_encode_ike_sa_keys(&vb, ike, now);
		vici_add_section(&vb, "child-sas");
		vici_add_section(&vb, old_child->name ? old_child->name : "");
		vici_encode_child_sa(&vb, "old", old_child, now);
		vici_encode_child_sa(&vb, "new", new_child, now);
		vici_end_section(&vb);
		vici_end_section(&vb);
	} else {
		vici_add_section(&vb, "old");
		vici_encode_ike_sa_keys(&vb, ike, now);
		vici_end_section(&vb);
		vici_add_section(&vb, "new");
		vici_encode_ike_sa_keys(&vb, new_ike, now);
		vici_end_section(&vb);
	}
	vici_end_section(&vb);
	p = vici_build_take(&vb, &len, NULL);
	for (c = s->clients; c && p; c = next) {
		next = c->next;
		client_async_event(c, id, p, len);
	}
	free(p);
}

/* strongSwan's three-letter log groups, so swanctl's "[IKE] ..." reads right. */
static const char *log_group(enum log_sub sub)
{
	static const char *const groups[SUB_COUNT] = {
		[SUB_DAEMON] = "DMN", [SUB_CFG] = "CFG",    [SUB_NET] = "NET",
		[SUB_WIRE] = "ENC",   [SUB_CRYPTO] = "LIB", [SUB_IKE] = "IKE",
		[SUB_KERNEL] = "KNL", [SUB_VICI] = "CFG",   [SUB_CTL] = "APP",
	};
	return (unsigned)sub < SUB_COUNT && groups[sub] ? groups[sub] : "DMN";
}

/* Our levels on strongSwan's scale (0 basic ... 4 private). */
static int sw_level(enum log_level lvl)
{
	if (lvl <= LVL_NOTICE)
		return 0;
	if (lvl == LVL_INFO)
		return 1;
	if (lvl == LVL_DEBUG)
		return 2;
	return 3;
}

static uint8_t *log_packet(const char *event, uint32_t serial, enum log_sub sub, enum log_level lvl,
			   const char *line, size_t *len)
{
	struct vici_builder vb;

	vici_build_packet(&vb, VICI_EVENT, event);
	vici_add_kv_str(&vb, "group", log_group(sub));
	vici_add_kvf(&vb, "level", "%d", sw_level(lvl));
	if (strcmp(event, "log") == 0)
		vici_add_kv_str(&vb, "thread", "0");
	if (serial)
		vici_add_kvf(&vb, "ikesa-uniqueid", "%u", serial);
	vici_add_kv(&vb, "msg", line, strnlen(line, 4000));
	return vici_build_take(&vb, len, NULL);
}

static uint32_t serial_in_line(const char *line)
{
	const char *p = strstr(line, "IKE SA #");

	return p ? (uint32_t)strtoul(p + 8, NULL, 10) : 0;
}

static bool ctl_wants_line(const struct vici_ctl *ctl, uint32_t serial)
{
	if (ctl->client->s->calling == ctl)
		return true;
	if (!serial)
		return false;
	if (ctl->kind == VICI_CTL_INITIATE)
		return ctl->init.ike_serial == serial;
	if (ctl->kind == VICI_CTL_TERMINATE_IKE)
		for (size_t i = 0; i < ctl->term.n; i++)
			if (ctl->term.serials[i] == serial)
				return true;
	return false;
}

void vici_server_log(struct vici_server *s, uint32_t ike_serial, enum log_sub sub,
		     enum log_level lvl, const char *line)
{
	struct vici_client *c, *next;
	uint8_t *p = NULL, *cp = NULL;
	size_t len = 0, clen = 0;

	if (!s || s->in_log)
		return; /* our own log calls from below must not loop */
	s->in_log = true;
	if (!ike_serial)
		ike_serial = serial_in_line(line);
	for (c = s->clients; c; c = next) {
		next = c->next;
		if (vici_client_wants(c, VICI_EV_LOG)) {
			if (!p)
				p = log_packet("log", ike_serial, sub, lvl, line, &len);
			if (p)
				client_async_event(c, VICI_EV_LOG, p, len);
		}
	}
	for (c = s->clients; c; c = next) {
		next = c->next;
		struct vici_ctl *ctl = s->calling && s->calling->client == c ? s->calling : c->ctl;

		if (!ctl || ctl->done || !ctl_wants_line(ctl, ike_serial) ||
		    sw_level(lvl) > ctl->level || !vici_client_wants(c, VICI_EV_CONTROL_LOG))
			continue;
		if (!cp)
			cp = log_packet("control-log", ike_serial, sub, lvl, line, &clen);
		if (cp)
			client_async_event(c, VICI_EV_CONTROL_LOG, cp, clen);
	}
	free(p);
	free(cp);
	s->in_log = false;
}
