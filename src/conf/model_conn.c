/* model_conn.c: connections { } and their children { } (see model.h).
 *
 * Defaults are swanctl.conf(5)'s (strongSwan 5.9.8): an IKE SA rekeys every
 * 4h (0 when reauth_time is set), over_time is 10% of the longer of
 * rekey_time and reauth_time, rand_time defaults to over_time; a CHILD SA
 * rekeys every 1h, life_time is rekey_time + 10% and rand_time
 * life_time - rekey_time (likewise for bytes and packets), as charon's
 * vici_config.c computes them.
 */
#include "conf/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/model_int.h"
#include "lib/util.h"

/* ---- keys oakd does not implement: an error unless set to strongSwan's default ---- */

static const struct unsup unsup_conn[] = {
	{"vips", UNSUP_ANY, NULL, "virtual IPs are not supported by oakd yet"},
	{"pools", UNSUP_ANY, NULL, "address pools are not supported by oakd yet"},
	{"pull", UNSUP_BOOL, "yes", "configuration payloads are not supported by oakd yet"},
	{"dscp", UNSUP_WORD, "000000", "DSCP for IKE packets is not supported by oakd yet"},
	{"childless", UNSUP_WORD, "allow", "childless IKE SAs are not supported by oakd yet"},
	{"ppk_id", UNSUP_ANY, NULL, "postquantum preshared keys are not supported by oakd yet"},
	{"ppk_required", UNSUP_BOOL, "no",
	 "postquantum preshared keys are not supported by oakd yet"},
	{"if_id_in", UNSUP_NUM, NULL, "XFRM interface IDs are not supported by oakd yet"},
	{"if_id_out", UNSUP_NUM, NULL, "XFRM interface IDs are not supported by oakd yet"},
	{"unique", UNSUP_WORD, "no|never",
	 "uniqueness policies are not supported by oakd yet (only 'no')"},
	{NULL, UNSUP_ANY, NULL, NULL},
};

static const struct unsup unsup_local[] = {
	{"round", UNSUP_NUM, NULL, "authentication rounds are not supported by oakd yet"},
	{"pubkeys", UNSUP_ANY, NULL, "raw public keys are not supported by oakd yet"},
	{"eap_id", UNSUP_ANY, NULL, "EAP is not supported by oakd yet"},
	{"aaa_id", UNSUP_ANY, NULL, "EAP is not supported by oakd yet"},
	{"xauth_id", UNSUP_ANY, NULL, "XAuth is not supported by oakd yet"},
	{"cert_policy", UNSUP_ANY, NULL,
	 "certificate policy constraints are not supported by "
	 "oakd yet"},
	{"ca_id", UNSUP_ANY, NULL, "ca_id is not supported by oakd yet: use cacerts"},
	{"groups", UNSUP_ANY, NULL, "group membership is not supported by oakd yet"},
	{"revocation", UNSUP_WORD, "relaxed",
	 "revocation checking is not supported by oakd yet (only 'relaxed')"},
	{NULL, UNSUP_ANY, NULL, NULL},
};

static const struct unsup unsup_child[] = {
	{"sha256_96", UNSUP_BOOL, "no", "truncated HMAC-SHA-256 is not supported by oakd"},
	{"updown", UNSUP_ANY, NULL, "oakd does not run updown scripts"},
	{"hostaccess", UNSUP_BOOL, "no", "oakd does not run updown scripts"},
	{"policies", UNSUP_BOOL, "yes", "CHILD SAs without policies are not supported by oakd yet"},
	{"policies_fwd_out", UNSUP_BOOL, "no",
	 "outbound FWD policies are not supported by oakd "
	 "yet"},
	{"dpd_action", UNSUP_WORD, "clear|none|restart|start|trap|route|hold",
	 "dpd_action is clear, trap or restart"},
	{"close_action", UNSUP_WORD, "none|clear",
	 "only close_action = none is supported by oakd yet"},
	{"inactivity", UNSUP_NUM, NULL, "inactivity timeouts are not supported by oakd yet"},
	{"interface", UNSUP_ANY, NULL,
	 "binding policies to an interface is not supported by oakd "
	 "yet"},
	{"mark_in", UNSUP_WORD, "0|0/0x00000000|0/0", "XFRM marks are not supported by oakd yet"},
	{"mark_in_sa", UNSUP_BOOL, "no", "XFRM marks are not supported by oakd yet"},
	{"mark_out", UNSUP_WORD, "0|0/0x00000000|0/0", "XFRM marks are not supported by oakd yet"},
	{"set_mark_in", UNSUP_WORD, "0|0/0x00000000|0/0",
	 "XFRM marks are not supported by oakd yet"},
	{"set_mark_out", UNSUP_WORD, "0|0/0x00000000|0/0",
	 "XFRM marks are not supported by oakd yet"},
	{"if_id_in", UNSUP_NUM, NULL, "XFRM interface IDs are not supported by oakd yet"},
	{"if_id_out", UNSUP_NUM, NULL, "XFRM interface IDs are not supported by oakd yet"},
	{"tfc_padding", UNSUP_NUM, NULL, "TFC padding is not supported by oakd yet"},
	{"hw_offload", UNSUP_WORD, "no", "hardware offload is not supported by oakd yet"},
	{"copy_df", UNSUP_BOOL, "yes", "copy_df = no is not supported by oakd yet"},
	{"copy_ecn", UNSUP_BOOL, "yes", "copy_ecn = no is not supported by oakd yet"},
	{"copy_dscp", UNSUP_WORD, "out", "copy_dscp is not supported by oakd yet (only 'out')"},
	{NULL, UNSUP_ANY, NULL, NULL},
};

/* ---- traffic selectors and proposals ---- */

/* local_ts / remote_ts: a list of selectors, or "dynamic" (n = 0). */
static int model_ts_list(const struct conf_node *sec, const char *key, struct ts *out, size_t *n,
			 struct conf_err *err)
{
	const struct conf_node *kv = model_kv(sec, key);
	struct conf_list l;
	char msg[200];
	int rc;

	*n = 0;
	if (!kv)
		return 0;
	if ((rc = conf_node_list(kv, &l, err)))
		return model_bad(kv, err, "expected a comma-separated list of traffic selectors");
	if (l.count > MODEL_MAX_TS)
		rc = model_bad(kv, err, "at most %d traffic selectors, got %zu", MODEL_MAX_TS,
			       l.count);
	for (size_t i = 0; i < l.count && rc == 0; i++) {
		const char *item = l.items[i];

		if (strncasecmp(item, "dynamic", 7) == 0) {
			if (item[7] || l.count > 1)
				rc = model_bad(kv, err,
					       "'%s': dynamic with a protocol/port or with other "
					       "selectors is not supported by oakd yet",
					       item);
			continue;
		}
		if (ts_parse(item, &out[*n], msg, sizeof(msg)) < 0)
			rc = model_bad(kv, err, "%s", msg);
		else
			(*n)++;
	}
	conf_list_free(&l);
	return rc;
}

/* A proposal list for protocol; "default" when the key is absent. */
static int model_proposals(const struct conf_node *sec, const char *key, uint8_t protocol,
			   struct proposal *out, size_t *n, struct conf_err *err)
{
	const struct conf_node *kv = model_kv(sec, key);
	char msg[PROPOSAL_STRLEN];

	if (proposal_list_parse(kv ? kv->value : "default", protocol, out, PROPOSAL_MAX, n, msg,
				sizeof(msg)) < 0)
		return model_bad(kv ? kv : sec, err, "%s", msg);
	return 0;
}

/* ---- local { } and remote { } ---- */

enum auth_kind {
	AUTH_KIND_LOCAL,
	AUTH_KIND_REMOTE,
};

static int model_auth_method(const struct conf_node *sec, struct auth_cfg *a, struct conf_err *err)
{
	static const char *const pubkey_words[] = {"pubkey",  "rsa",   "ecdsa",
						   "ed25519", "ed448", NULL};
	const struct conf_node *kv = model_kv(sec, "auth");
	const char *v = kv ? kv->value : "pubkey"; /* swanctl.conf(5): default pubkey */

	if (strcasecmp(v, "psk") == 0) {
		a->auth = AUTH_PSK;
		return 0;
	}
	/* "rsa"/"ecdsa"/"ed25519" mean pubkey with a key of that type: oak takes
	 * the key type from the key or certificate, which is the same here */
	for (size_t i = 0; pubkey_words[i]; i++) {
		if (strcasecmp(v, pubkey_words[i]) == 0) {
			a->auth = AUTH_PUBKEY;
			return 0;
		}
	}
	if (strncasecmp(v, "eap", 3) == 0 || strncasecmp(v, "xauth", 5) == 0)
		return model_bad(kv, err, "'%s': EAP and XAuth are not supported by oakd yet", v);
	if (strchr(v, '-') || strchr(v, ':') || strchr(v, '/'))
		return model_bad(kv, err,
				 "'%s': signature scheme constraints are not supported by oakd "
				 "yet: use pubkey",
				 v);
	return model_bad(kv, err, "expected psk or pubkey, got '%s'", v);
}

/* certs = a, b and cert<suffix> { file = c } (likewise cacerts/cacert). */
static int model_cert_files(const struct conf_node *sec, const char *list_key,
			    const char *sect_prefix, const char *dir, char **out, size_t *n,
			    struct conf_err *err)
{
	const struct conf_node *kv = model_kv(sec, list_key), *it, *file;
	struct conf_list l = {0};
	size_t plen = strlen(sect_prefix);
	int rc = kv ? conf_node_list(kv, &l, err) : 0;

	for (size_t i = 0; i < l.count && rc == 0; i++) {
		if (*n == MODEL_MAX_CERTS)
			rc = model_bad(kv, err, "at most %d certificates", MODEL_MAX_CERTS);
		else if (!(out[(*n)++] = model_resolve(dir, l.items[i], err)))
			rc = -ENOMEM;
	}
	conf_list_free(&l);
	conf_foreach(it, sec)
	{
		if (rc || !conf_is_section(it) || strncmp(it->name, sect_prefix, plen) != 0)
			continue;
		if (!(file = model_kv(it, "file")))
			rc = model_bad(it, err, "expected a file");
		else if (*n == MODEL_MAX_CERTS)
			rc = model_bad(it, err, "at most %d certificates", MODEL_MAX_CERTS);
		else if (!(out[(*n)++] = model_resolve(dir, file->value, err)))
			rc = -ENOMEM;
	}
	return rc;
}

static int model_auth(const struct conf_node *sec, enum auth_kind kind, const struct daemon_cfg *d,
		      struct auth_cfg *a, struct conf_err *err)
{
	const struct conf_node *id = model_kv(sec, "id");
	char msg[200];
	int rc;

	a->file = sec->file;
	a->line = sec->line;
	if ((rc = model_unsupported(sec, unsup_local, err)) ||
	    (rc = model_auth_method(sec, a, err)))
		return rc;
	if (id && strcasecmp(id->value, "%any") != 0) {
		if (ident_parse(id->value, &a->id, msg, sizeof(msg)) < 0)
			return model_bad(id, err, "%s", msg);
		a->id_set = true;
	}
	/* certificates: relative names below daemon.x509_dir, CA certificates
	 * below daemon.x509ca_dir (swanctl: its x509/ and x509ca/ dirs) */
	if ((rc = model_cert_files(sec, "certs", "cert", d->x509_dir, a->certs, &a->ncerts, err)))
		return rc;
	if (kind == AUTH_KIND_REMOTE)
		return model_cert_files(sec, "cacerts", "cacert", d->x509ca_dir, a->cacerts,
					&a->ncacerts, err);
	return 0;
}

static void model_auth_free(struct auth_cfg *a)
{
	for (size_t i = 0; i < a->ncerts; i++)
		free(a->certs[i]);
	for (size_t i = 0; i < a->ncacerts; i++)
		free(a->cacerts[i]);
}

/* The one local<suffix> (or remote<suffix>) section; several are rounds. */
static int model_round(const struct conf_node *conn, const char *prefix,
		       const struct conf_node **out, struct conf_err *err)
{
	const struct conf_node *it;
	size_t plen = strlen(prefix);

	*out = NULL;
	conf_foreach(it, conn)
	{
		if (!conf_is_section(it) || strncmp(it->name, prefix, plen) != 0)
			continue;
		if (*out)
			return model_bad(it, err,
					 "several %s authentication rounds (%s and %s) are not "
					 "supported by oakd yet",
					 prefix, (*out)->name, it->name);
		*out = it;
	}
	return 0;
}

/* ---- children { } ---- */

/* rekey_time / rekey_bytes / rekey_packets and the like, by kind. */
enum life_kind {
	LIFE_TIME,
	LIFE_BYTES,
	LIFE_PACKETS,
};

static int model_life_get(const struct conf_node *sec, const char *key, enum life_kind kind,
			  uint64_t def, uint64_t *out, struct conf_err *err)
{
	switch (kind) {
	case LIFE_TIME:
		return model_get_time(sec, key, def, out, err);
	case LIFE_BYTES:
		return model_get_bytes(sec, key, def, out, err);
	case LIFE_PACKETS:
		break;
	}
	return model_get_uint(sec, key, UINT64_MAX, def, out, err);
}

/* strongSwan's check_lifetimes() (vici_config.c): life defaults to rekey +
 * 10%, rand to life - rekey (never below 0). */
static int model_lifetime(const struct conf_node *sec, const char *what, enum life_kind kind,
			  uint64_t rekey_def, uint64_t *rekey, uint64_t *life, uint64_t *rand,
			  struct conf_err *err)
{
	char k_rekey[32], k_life[32], k_rand[32];
	uint64_t life_def;
	int rc;

	snprintf(k_rekey, sizeof(k_rekey), "rekey_%s", what);
	snprintf(k_life, sizeof(k_life), "life_%s", what);
	snprintf(k_rand, sizeof(k_rand), "rand_%s", what);
	if ((rc = model_life_get(sec, k_rekey, kind, rekey_def, rekey, err)))
		return rc;
	/* rekey * 1.1 without overflowing */
	life_def = *rekey / 100 * 110 + *rekey % 100 * 110 / 100;
	if ((rc = model_life_get(sec, k_life, kind, life_def, life, err)))
		return rc;
	return model_life_get(sec, k_rand, kind, *life - MIN(*life, *rekey), rand, err);
}

static int model_child_times(const struct conf_node *sec, struct child_cfg *ch,
			     struct conf_err *err)
{
	uint64_t rekey, life, rand, v;
	int rc;

	if ((rc = model_lifetime(sec, "time", LIFE_TIME, 3600, &rekey, &life, &rand, err)))
		return rc;
	if (life > UINT32_MAX || rekey > UINT32_MAX)
		return model_bad(model_kv(sec, "life_time") ? model_kv(sec, "life_time") : sec, err,
				 "lifetimes above %u seconds are not supported", UINT32_MAX);
	ch->rekey_time = (uint32_t)rekey;
	ch->life_time = (uint32_t)life;
	ch->rand_time = (uint32_t)rand;
	if ((rc = model_lifetime(sec, "bytes", LIFE_BYTES, 0, &ch->rekey_bytes, &ch->life_bytes,
				 &ch->rand_bytes, err)) ||
	    (rc = model_lifetime(sec, "packets", LIFE_PACKETS, 0, &ch->rekey_packets,
				 &ch->life_packets, &ch->rand_packets, err)))
		return rc;
	if ((rc = model_get_uint(sec, "replay_window", UINT32_MAX, 32, &v, err)))
		return rc;
	ch->replay_window = (uint32_t)v;
	if ((rc = model_get_uint(sec, "reqid", UINT32_MAX, 0, &v, err)))
		return rc;
	ch->reqid = (uint32_t)v;
	if ((rc = model_get_uint(sec, "priority", UINT32_MAX, 0, &v, err)))
		return rc;
	ch->priority = (uint32_t)v;
	return 0;
}

static int model_child_mode(const struct conf_node *sec, struct child_cfg *ch, struct conf_err *err)
{
	const struct conf_node *mode = model_kv(sec, "mode");
	const struct conf_node *sa = model_kv(sec, "start_action");
	const struct conf_node *dpd = model_kv(sec, "dpd_action");

	/* dpd_action: clear (none), trap (route, and ipsec.conf's hold) or
	 * restart (start); the rest is refused above */
	ch->dpd_action = START_NONE;
	if (dpd && model_word_in(dpd->value, "restart|start"))
		ch->dpd_action = START_START;
	else if (dpd && model_word_in(dpd->value, "trap|route|hold"))
		ch->dpd_action = START_TRAP;
	ch->mode = CHILD_MODE_TUNNEL;
	if (mode && strcasecmp(mode->value, "transport") == 0)
		ch->mode = CHILD_MODE_TRANSPORT;
	else if (mode && strcasecmp(mode->value, "tunnel") != 0)
		return model_bad(mode, err, "expected tunnel or transport, got '%s'%s", mode->value,
				 model_word_in(mode->value, "transport_proxy|beet|pass|drop")
					 ? " (that mode is not supported by oakd yet)"
					 : "");
	/* swanctl.conf(5): none (or clear), trap (or route), start (or restart) */
	ch->start_action = START_NONE;
	if (!sa || model_word_in(sa->value, "none|clear"))
		return 0;
	if (model_word_in(sa->value, "trap|route"))
		ch->start_action = START_TRAP;
	else if (model_word_in(sa->value, "start|restart"))
		ch->start_action = START_START;
	else if (strcasecmp(sa->value, "trap|start") == 0 ||
		 strcasecmp(sa->value, "start|trap") == 0)
		return model_bad(sa, err,
				 "start_action = %s is not supported by oakd yet: use "
				 "trap or start",
				 sa->value);
	else
		return model_bad(sa, err, "expected none, trap or start, got '%s'", sa->value);
	return 0;
}

static int model_child(const struct conf_node *sec, const struct conn_cfg *conn,
		       struct child_cfg *ch, struct conf_err *err)
{
	const struct conf_node *ah = model_kv(sec, "ah_proposals");
	const struct conf_node *esp = model_kv(sec, "esp_proposals");
	int rc;

	if (strlen(sec->name) >= sizeof(ch->name))
		return model_bad(sec, err, "a name of at most %zu characters",
				 sizeof(ch->name) - 1);
	snprintf(ch->name, sizeof(ch->name), "%s", sec->name);
	ch->file = sec->file;
	ch->line = sec->line;
	if ((rc = model_unsupported(sec, unsup_child, err)) ||
	    (rc = model_ts_list(sec, "local_ts", ch->local_ts, &ch->nlocal_ts, err)) ||
	    (rc = model_ts_list(sec, "remote_ts", ch->remote_ts, &ch->nremote_ts, err)) ||
	    (rc = model_child_times(sec, ch, err)) || (rc = model_child_mode(sec, ch, err)))
		return rc;
	if (ah && esp)
		return model_bad(ah, err,
				 "AH together with ESP is not supported by oakd yet: "
				 "set ah_proposals or esp_proposals");
	if (ah)
		rc = model_proposals(sec, "ah_proposals", PROPOSAL_PROTO_AH, ch->ah, &ch->nah, err);
	else
		rc = model_proposals(sec, "esp_proposals", PROPOSAL_PROTO_ESP, ch->esp, &ch->nesp,
				     err);
	if (rc)
		return rc;
	if (ch->start_action != START_NONE && conn->nremote_addrs == 0)
		return model_bad(model_kv(sec, "start_action"), err,
				 "needs the connection's remote_addrs to initiate to");
	return 0;
}

static int model_children(const struct conf_node *conn_sec, struct conn_cfg *conn,
			  struct conf_err *err)
{
	const struct conf_node *sec = conf_child(conn_sec, "children"), *it;
	int rc;

	if (!sec || !sec->nchildren)
		return 0;
	conn->children = calloc(sec->nchildren, sizeof(*conn->children));
	if (!conn->children)
		return -ENOMEM;
	conf_foreach(it, sec)
	{
		if (!conf_is_section(it))
			return model_bad(it, err, "expected a CHILD SA section, got a key");
		if ((rc = model_child(it, conn, &conn->children[conn->nchildren++], err)))
			return rc;
	}
	return 0;
}

/* ---- connections { } ---- */

static int model_conn_times(const struct conf_node *sec, struct conn_cfg *c, struct conf_err *err)
{
	uint64_t reauth, rekey, over, rand, v;
	int rc;

	if ((rc = model_get_time(sec, "reauth_time", 0, &reauth, err)) ||
	    /* swanctl.conf(5): 4h, but 0 when reauth_time is set; IKEv1
	     * takes the Windows main mode default, 8h */
	    (rc = model_get_time(sec, "rekey_time", reauth ? 0 : (c->version == 1 ? 8 : 4) * 3600,
				 &rekey, err)) ||
	    (rc = model_get_time(sec, "over_time", MAX(rekey, reauth) / 10, &over, err)) ||
	    (rc = model_get_time(sec, "rand_time", over, &rand, err)))
		return rc;
	if (reauth > UINT32_MAX || rekey > UINT32_MAX || over > UINT32_MAX || rand > UINT32_MAX)
		return model_bad(sec, err, "IKE SA times above %u seconds are not supported",
				 UINT32_MAX);
	c->reauth_time = (uint32_t)reauth;
	c->rekey_time = (uint32_t)rekey;
	c->over_time = (uint32_t)over;
	c->rand_time = (uint32_t)rand;
	if ((rc = model_get_time(sec, "dpd_delay", 0, &v, err)))
		return rc;
	c->dpd_delay = (uint32_t)MIN(v, UINT32_MAX);
	if ((rc = model_get_time(sec, "dpd_timeout", 0, &v, err)))
		return rc;
	c->dpd_timeout = (uint32_t)MIN(v, UINT32_MAX);
	if ((rc = model_get_uint(sec, "keyingtries", UINT32_MAX, 1, &v, err)))
		return rc;
	c->keyingtries = (uint32_t)v;
	return 0;
}

static int model_conn_flags(const struct conf_node *sec, const struct daemon_cfg *d,
			    struct conn_cfg *c, struct conf_err *err)
{
	/* index order = the enum's order in model.h */
	static const char *const send_cert[] = {"ifasked", "always", "never", NULL};
	static const char *const frag[] = {"yes", "accept", "force", "no", NULL};
	uint64_t v;
	int rc, idx;

	if ((rc = model_get_uint(sec, "version", 2, 0, &v, err)))
		return rc;
	c->version = (uint8_t)v;
	/* swanctl's default is charon's port, 500; oak's is daemon.port, which
	 * is 500 unless changed (then the sockets are only there) */
	if ((rc = model_get_uint(sec, "local_port", 65535, d->port, &v, err)))
		return rc;
	c->local_port = (uint16_t)v;
	if ((rc = model_get_uint(sec, "remote_port", 65535, 500, &v, err)))
		return rc;
	c->remote_port = (uint16_t)v;
	if ((rc = model_get_bool(sec, "aggressive", false, &c->aggressive, err)) ||
	    (rc = model_get_bool(sec, "send_certreq", true, &c->send_certreq, err)) ||
	    (rc = model_get_bool(sec, "encap", false, &c->encap, err)) ||
	    (rc = model_get_bool(sec, "mobike", true, &c->mobike, err)) ||
	    (rc = model_get_bool(sec, "master_key_pfs", false, &c->master_key_pfs, err)))
		return rc;
	/* oak's own (IKEv1): the session key refresh limit of the Windows
	 * IKE policy, Quick Modes per Main Mode SA; 0 = no limit */
	if ((rc = model_get_uint(sec, "quick_mode_limit", 65535, 0, &v, err)))
		return rc;
	c->quick_mode_limit = (uint32_t)v;
	if ((rc = model_get_enum(sec, "send_cert", send_cert, 0, &idx, err)))
		return rc;
	c->send_cert = idx;
	if ((rc = model_get_enum(sec, "fragmentation", frag, 0, &idx, err)))
		return rc;
	c->fragmentation = idx;
	return 0;
}

static int model_conn(const struct conf_node *sec, const struct daemon_cfg *d, struct conn_cfg *c,
		      struct conf_err *err)
{
	const struct conf_node *local, *remote;
	struct conf_node empty = {.name = (char *)"local", .file = sec->file, .line = sec->line};
	int rc;

	if (strlen(sec->name) >= sizeof(c->name))
		return model_bad(sec, err, "a name of at most %zu characters", sizeof(c->name) - 1);
	snprintf(c->name, sizeof(c->name), "%s", sec->name);
	c->file = sec->file;
	c->line = sec->line;
	if ((rc = model_unsupported(sec, unsup_conn, err)) ||
	    (rc = model_conn_flags(sec, d, c, err)) ||
	    (rc = model_addrs(sec, "local_addrs", c->local_addrs, MODEL_MAX_ADDRS, &c->nlocal_addrs,
			      err)) ||
	    (rc = model_addrs(sec, "remote_addrs", c->remote_addrs, MODEL_MAX_ADDRS,
			      &c->nremote_addrs, err)) ||
	    (rc = model_proposals(sec, "proposals", PROPOSAL_PROTO_IKE, c->ike, &c->nike, err)) ||
	    (rc = model_conn_times(sec, c, err)) || (rc = model_round(sec, "local", &local, err)) ||
	    (rc = model_round(sec, "remote", &remote, err)))
		return rc;
	/* a missing local/remote section takes the defaults (auth = pubkey, id %any) */
	empty.parent = (struct conf_node *)sec;
	if ((rc = model_auth(local ? local : &empty, AUTH_KIND_LOCAL, d, &c->local, err)))
		return rc;
	empty.name = (char *)"remote";
	if ((rc = model_auth(remote ? remote : &empty, AUTH_KIND_REMOTE, d, &c->remote, err)))
		return rc;
	return model_children(sec, c, err);
}

void model_conn_free(struct conn_cfg *conn)
{
	model_auth_free(&conn->local);
	model_auth_free(&conn->remote);
	free(conn->children);
}

int model_connections(const struct conf_node *sec, struct oak_config *c, struct conf_err *err)
{
	const struct conf_node *it;
	int rc;

	if (!sec || !sec->nchildren)
		return 0;
	c->conns = calloc(sec->nchildren, sizeof(*c->conns));
	if (!c->conns)
		return -ENOMEM;
	conf_foreach(it, sec)
	{
		if (!conf_is_section(it))
			return model_bad(it, err, "expected a connection section, got a key");
		if ((rc = model_conn(it, &c->daemon, &c->conns[c->nconns++], err)))
			return rc;
	}
	return 0;
}
