/* loop.c: the running daemon (see loop.h). */
#include "daemon/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "crypto/pool.h"
#include "daemon/control.h"
#include "daemon/kernel.h"
#include "daemon/keylog.h"
#include "daemon/notify.h"
#include "ike/certs.h"
#include "lib/log.h"
#include "lib/mono_time.h"
#include "net/udp.h"
#include "ikev1/engine.h"
#include "ikev2/engine.h"

/* ISAKMP header (RFC 7296 3.1): the version octet is at offset 17, the
 * header 28 octets long. */
#define IKE_HDR_LEN	  28
#define IKE_HDR_VERSION	  17
#define OAKD_STOP_POLL_MS 50

struct oakd {
	struct oakd_opts opts;
	struct event_base *base;
	struct oak_config *cfg;
	struct certs_store *certs; /* built from cfg; swapped with it on reload */
	struct crypto_pool *pool;
	struct oakd_kernel *kernel_backend; /* record or xfrm (daemon.kernel) */
	struct kernel_ops kernel;
	struct keylog *keylog;
	struct udp_net *udp;
	struct net_ops net;
	struct ikev2_engine *ikev2;
	struct ikev1_engine *ikev1;
	uint32_t serials, reqids; /* shared by the two engines (ike_env) */
	struct control *control;  /* the VICI socket */
	struct event *timer, *stop_timer;
	struct event *sig_hup, *sig_term, *sig_int;
	uint64_t stop_deadline; /* mono ms; 0 while running */
	uint64_t dropped_v1, dropped_other;
};

/* ---- config checks and log levels ---- */

int oakd_check_config(const struct oak_config *cfg, struct conf_err *err)
{
	const struct conf_node *kv = cfg->tree ? conf_find(cfg->tree->root, "daemon.kernel") : NULL;

	if (strcasecmp(cfg->daemon.kernel, "record") != 0 &&
	    strcasecmp(cfg->daemon.kernel, "xfrm") != 0) {
		conf_err_set(
			err, kv ? kv->file : "", kv ? kv->line : 0,
			"daemon.kernel: the %s backend is not in this oakd: use xfrm or record",
			cfg->daemon.kernel);
		return -EINVAL;
	}
	return 0;
}

void oakd_apply_log_levels(const struct oak_config *cfg, const struct oakd_opts *opts)
{
	const struct conf_node *sec =
		cfg && cfg->tree ? conf_find(cfg->tree->root, "daemon.log") : NULL;
	const struct conf_node *it;
	char spec[128];

	log_set_all(LVL_INFO);
	if (sec && conf_is_section(sec)) {
		/* "all" first so that a subsystem's own line wins whatever the order */
		const struct conf_node *all = conf_child(sec, "all");

		if (all && !conf_is_section(all)) {
			snprintf(spec, sizeof(spec), "all=%s", all->value);
			log_set_level_spec(spec);
		}
		conf_foreach(it, sec)
		{
			if (conf_is_section(it) || strcmp(it->name, "all") == 0)
				continue;
			snprintf(spec, sizeof(spec), "%s=%s", it->name, it->value);
			log_set_level_spec(spec); /* the schema checked the names */
		}
	}
	for (size_t i = 0; i < opts->ndebug; i++)
		log_set_level_spec(opts->debug[i]);
}

/* ---- the engine's timer ---- */

static void oakd_rearm(struct oakd *d)
{
	uint64_t deadline = ikev2_next_deadline(d->ikev2), now = mono_ms();
	uint64_t v1 = d->ikev1 ? ikev1_next_deadline(d->ikev1) : UINT64_MAX;
	struct timeval tv;

	if (v1 < deadline)
		deadline = v1;
	if (deadline == UINT64_MAX) {
		event_del(d->timer);
		return;
	}
	deadline = deadline > now ? deadline - now : 0;
	tv.tv_sec = (time_t)(deadline / 1000);
	tv.tv_usec = (suseconds_t)(deadline % 1000 * 1000);
	event_add(d->timer, &tv);
}

static void oakd_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct oakd *d = arg;

	ikev2_run_timers(d->ikev2, mono_ms());
	ikev1_run_timers(d->ikev1, mono_ms());
	oakd_rearm(d);
}

/* ---- datagrams ---- */

static void oakd_on_datagram(void *ctx, const struct ip_endpoint *local,
			     const struct ip_endpoint *remote, const uint8_t *msg, size_t len)
{
	struct oakd *d = ctx;
	char from[IP_ENDPOINT_STRLEN];
	unsigned major = len >= IKE_HDR_LEN ? msg[IKE_HDR_VERSION] >> 4 : 0;

	if (major == 2 && !d->stop_deadline) {
		ikev2_recv(d->ikev2, local, remote, msg, len, mono_ms());
		oakd_rearm(d);
		return;
	}
	if (major == 1 && !d->stop_deadline) {
		ikev1_recv(d->ikev1, local, remote, msg, len, mono_ms());
		oakd_rearm(d);
		return;
	}
	if (major == 1)
		d->dropped_v1++;
	else
		d->dropped_other++;
	log_debug(SUB_NET, "dropped a %zu-byte datagram from %s: %s", len,
		  ip_endpoint_fmt(remote, from, sizeof(from)),
		  major == 1 ? "oakd is stopping" : "neither IKEv1 nor IKEv2");
}

/* ---- crypto jobs: the engine's done callback, then the timer re-armed ---- */

struct oakd_job {
	struct oakd *d;
	void (*work)(void *arg);
	void (*done)(void *arg, int status);
	void *arg;
};

static void oakd_job_work(void *p)
{
	struct oakd_job *j = p;

	j->work(j->arg);
}

static void oakd_job_done(void *p, int status)
{
	struct oakd_job *j = p;
	struct oakd *d = j->d;

	j->done(j->arg, status);
	free(j);
	oakd_rearm(d);
}

static int oakd_job_submit(void *ctx, void (*work)(void *arg), void (*done)(void *arg, int status),
			   void *arg)
{
	struct oakd *d = ctx;
	struct oakd_job *j = malloc(sizeof(*j));
	int rc;

	if (!j)
		return -ENOMEM;
	*j = (struct oakd_job){.d = d, .work = work, .done = done, .arg = arg};
	rc = pool_submit(d->pool, oakd_job_work, oakd_job_done, j);
	if (rc < 0)
		free(j);
	return rc;
}

/* ---- signals ---- */

static void oakd_on_stop_poll(evutil_socket_t fd, short what, void *arg)
{
	struct oakd *d = arg;
	size_t left = 0;
	struct timeval tv = {0, (suseconds_t)OAKD_STOP_POLL_MS * 1000};

	left = ikev2_sa_count(d->ikev2) + ikev1_sa_count(d->ikev1);
	if (left == 0 || mono_ms() >= d->stop_deadline) {
		if (left)
			log_notice(SUB_DAEMON, "stopping with %zu IKE SAs left", left);
		event_base_loopexit(d->base, NULL);
		return;
	}
	event_add(d->stop_timer, &tv);
}

static void oakd_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct oakd *d = arg;

	if (sig == SIGHUP) {
		oakd_reload(d);
		return;
	}
	if (d->stop_deadline)
		return; /* already stopping */
	log_notice(SUB_DAEMON, "%s: deleting every IKE SA and stopping",
		   sig == SIGTERM ? "SIGTERM" : "SIGINT");
	d->stop_deadline = mono_ms() + OAKD_STOP_WAIT_MS;
	ikev2_terminate_all(d->ikev2, mono_ms());
	ikev1_terminate_all(d->ikev1, mono_ms());
	oakd_rearm(d);
	oakd_on_stop_poll(-1, 0, d);
}

int oakd_reload(struct oakd *d)
{
	struct oak_config *cfg = NULL;
	struct certs_store *certs = NULL;
	struct conf_err err;
	char msg[600], why[CERTS_WHY_LEN];
	int rc = control_model_load(d->control, d->opts.config_path, &cfg, &err);

	if (rc == 0 && (rc = oakd_check_config(cfg, &err)) != 0)
		oak_config_unref(cfg);
	if (rc) {
		log_err(SUB_CFG, "reload failed, keeping the running configuration: %s",
			conf_err_str(&err, msg, sizeof(msg)));
		return rc;
	}
	rc = control_certs_load(d->control, cfg, &certs, why, sizeof(why));
	if (rc) {
		log_err(SUB_CFG,
			"reload failed, keeping the running configuration and certificates: %s",
			why);
		oak_config_unref(cfg);
		return rc;
	}
	oakd_apply_log_levels(cfg, &d->opts);
	/* sockets, kernel backend, key log and threads stay as started */
	log_info(SUB_CFG, "configuration reloaded: %zu connections, %zu secrets", cfg->nconns,
		 cfg->npsks + cfg->nprivate_keys);
	notify_status("configuration reloaded");
	/* the certificates first: start_action = start may sign at once */
	ikev2_engine_set_certs(d->ikev2, certs);
	ikev1_engine_set_certs(d->ikev1, certs);
	certs_store_unref(d->certs);
	d->certs = certs;
	ikev2_engine_set_config(d->ikev2, cfg, mono_ms());
	ikev1_engine_set_config(d->ikev1, cfg, mono_ms());
	oakd_rearm(d);
	oak_config_unref(d->cfg);
	d->cfg = cfg;
	return 0;
}

/* ---- start and stop ---- */

static int oakd_start_backends(struct oakd *d)
{
	const struct daemon_cfg *dc = &d->cfg->daemon;
	struct udp_config uc = {.listen = dc->listen,
				.nlisten = dc->nlisten,
				.port = dc->port,
				.port_nat_t = dc->port_nat_t};
	int err;

	if (dc->keylog) {
		d->keylog = keylog_open(dc->keylog, &err);
		if (!d->keylog) {
			log_err(SUB_DAEMON, "cannot open the key log %s: %s", dc->keylog,
				strerror(-err));
			return err;
		}
		log_warn(SUB_DAEMON, "key log enabled: %s — it holds secret keys", dc->keylog);
	}
	/* key bytes go to the record only when the user asked for them on disk */
	err = oakd_kernel_open(dc, dc->keylog != NULL, d->base, &d->kernel, &d->kernel_backend);
	if (err)
		return err; /* oakd_kernel_open logged what failed */
	d->pool = pool_new(d->base, dc->threads, 0);
	if (!d->pool) {
		log_err(SUB_DAEMON, "cannot start the crypto workers: %s", strerror(errno));
		return -errno;
	}
	d->udp = udp_open(d->base, &uc, oakd_on_datagram, d, &err);
	if (!d->udp)
		return err; /* udp_open logged which address and port */
	udp_net_ops(d->udp, &d->net);
	return 0;
}

static int oakd_start_engine(struct oakd *d)
{
	struct ike_env env = {.net = &d->net, .kernel = &d->kernel};
	char why[CERTS_WHY_LEN];
	int rc = certs_store_load(d->cfg, &d->certs, why, sizeof(why));

	if (rc) {
		log_err(SUB_DAEMON, "cannot load the certificates and keys: %s", why);
		return rc;
	}
	env.jobs.ctx = d;
	env.serials = &d->serials;
	env.reqids = &d->reqids;
	env.events = control_ike_events(&d->control);
	env.jobs.submit = oakd_job_submit;
	keylog_ike_env(d->keylog, &env.keylog);
	d->ikev2 = ikev2_engine_new(&env);
	d->ikev1 = ikev1_engine_new(&env);
	if (!d->ikev2 || !d->ikev1) {
		log_err(SUB_DAEMON, "cannot start the IKE engines: out of memory");
		return -ENOMEM;
	}
	/* the store before the config: start_action = start may sign at once */
	ikev2_engine_set_certs(d->ikev2, d->certs);
	ikev1_engine_set_certs(d->ikev1, d->certs);
	ikev2_engine_set_config(d->ikev2, d->cfg, mono_ms());
	ikev1_engine_set_config(d->ikev1, d->cfg, mono_ms());
	oakd_rearm(d);
	return 0;
}

static void oakd_engine_called(void *ctx)
{
	oakd_rearm(ctx);
}

/* After the engine: the socket answers about SAs from the first request on. */
static int oakd_start_control(struct oakd *d)
{
	struct control_env env = {.base = d->base,
				  .ikev2 = d->ikev2,
				  .ikev1 = d->ikev1,
				  .pool = d->pool,
				  .config = &d->cfg,
				  .socket = d->cfg->daemon.socket,
				  .sink = d->opts.log_sink,
				  .sink_ctx = d->opts.log_sink_ctx,
				  .engine_called = oakd_engine_called,
				  .ctx = d,
				  .oakd = d,
				  .config_path = d->opts.config_path,
				  .certs = &d->certs,
				  .kernel = &d->kernel};

	return control_new(&env, &d->control);
}

static int oakd_start_events(struct oakd *d)
{
	d->timer = evtimer_new(d->base, oakd_on_timer, d);
	d->stop_timer = evtimer_new(d->base, oakd_on_stop_poll, d);
	d->sig_hup = evsignal_new(d->base, SIGHUP, oakd_on_signal, d);
	d->sig_term = evsignal_new(d->base, SIGTERM, oakd_on_signal, d);
	d->sig_int = evsignal_new(d->base, SIGINT, oakd_on_signal, d);
	if (!d->timer || !d->stop_timer || !d->sig_hup || !d->sig_term || !d->sig_int ||
	    event_add(d->sig_hup, NULL) || event_add(d->sig_term, NULL) ||
	    event_add(d->sig_int, NULL)) {
		log_err(SUB_DAEMON, "cannot set up the event loop");
		return -ENOMEM;
	}
	return 0;
}

/* systemd (Type=notify): READY=1 with a status line, and the watchdog */
static void oakd_notify_ready(struct oakd *d)
{
	char status[200];

	snprintf(status, sizeof(status), "%zu connections, %zu secrets, IKE on ports %u and %u",
		 d->cfg->nconns, d->cfg->npsks + d->cfg->nprivate_keys, d->cfg->daemon.port,
		 d->cfg->daemon.port_nat_t);
	notify_ready(d->base, status);
}

struct oakd *oakd_start(const struct oakd_opts *opts, struct oak_config *cfg)
{
	struct oakd *d = calloc(1, sizeof(*d));

	if (!d) {
		oak_config_unref(cfg);
		log_err(SUB_DAEMON, "out of memory");
		return NULL;
	}
	d->opts = *opts;
	d->cfg = cfg;
	signal(SIGPIPE, SIG_IGN);
	d->base = event_base_new();
	if (!d->base) {
		log_err(SUB_DAEMON, "cannot create the event loop");
		oakd_free(d);
		return NULL;
	}
	/* signals first: a SIGTERM during start-up still stops cleanly */
	if (oakd_start_events(d) || oakd_start_backends(d) || oakd_start_engine(d) ||
	    oakd_start_control(d)) {
		oakd_free(d);
		return NULL;
	}
	oakd_kernel_set_engine(d->kernel_backend, d->ikev2, oakd_engine_called, d);
	oakd_kernel_set_ikev1(d->kernel_backend, d->ikev1);
	log_notice(SUB_DAEMON,
		   "oakd started: %zu connections, %zu secrets, listening on port "
		   "%u and %u",
		   cfg->nconns, cfg->npsks + cfg->nprivate_keys, cfg->daemon.port,
		   cfg->daemon.port_nat_t);
	oakd_notify_ready(d);
	return d;
}

int oakd_run(struct oakd *d)
{
	if (event_base_dispatch(d->base) < 0) {
		log_err(SUB_DAEMON, "the event loop failed");
		return 1;
	}
	log_notice(SUB_DAEMON, "oakd stopped");
	return 0;
}

void oakd_free(struct oakd *d)
{
	struct event *evs[5];

	if (!d)
		return;
	notify_stop();
	/* the pool first: its last done callbacks still reach the engine */
	pool_free(d->pool);
	control_free(d->control); /* after the workers' last log lines, before the engine */
	ikev2_engine_free(d->ikev2);
	ikev1_engine_free(d->ikev1);
	certs_store_unref(d->certs);
	udp_close(d->udp);
	/* after the engine: it deleted its SAs, the backend flushes what is left */
	oakd_kernel_close(d->kernel_backend);
	keylog_close(d->keylog);
	evs[0] = d->timer;
	evs[1] = d->stop_timer;
	evs[2] = d->sig_hup;
	evs[3] = d->sig_term;
	evs[4] = d->sig_int;
	for (size_t i = 0; i < 5; i++)
		if (evs[i])
			event_free(evs[i]);
	if (d->base)
		event_base_free(d->base);
	oak_config_unref(d->cfg);
	free(d);
}
