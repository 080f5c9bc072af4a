/* model.c: build the policy model from a parsed swanctl.conf tree (see model.h).
 *
 * Defaults and meanings are swanctl.conf(5)'s of strongSwan 5.9.8; where oak
 * differs it says so here and in docs. Every error names file, line and the
 * full dot path of the key: "oak.conf:12: connections.gw.children.net.mode:
 * expected tunnel or transport, got 'tunel'". The first error stops the
 * build and nothing is returned.
 */
#include "conf/model.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/model_int.h"
#include "conf/parse.h"
#include "conf/schema.h"
#include "lib/hex.h"

/* ---- errors ---- */

int model_bad(const struct conf_node *n, struct conf_err *err, const char *fmt, ...)
{
	char path[200], msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_err_set(err, n->file, n->line, "%s: %s", conf_node_path(n, path, sizeof(path)), msg);
	return -EINVAL;
}

/* The tree's typed getters say "KEY: expected ..."; make that the full path. */
static int fix_path(int rc, const struct conf_node *sec, struct conf_err *err)
{
	char path[200], msg[sizeof(err->msg)];
	size_t n;

	if (rc == 0 || !err || !sec || !sec->parent)
		return rc;
	conf_node_path(sec, path, sizeof(path));
	/* "PATH." then as much of the old message as fits */
	n = (size_t)snprintf(msg, sizeof(msg), "%.*s.", (int)sizeof(msg) / 2, path);
	memcpy(msg + n, err->msg, sizeof(msg) - n - 1);
	msg[sizeof(msg) - 1] = '\0';
	memcpy(err->msg, msg, sizeof(err->msg));
	return rc;
}

int model_get_time(const struct conf_node *sec, const char *key, uint64_t def, uint64_t *out,
		   struct conf_err *err)
{
	return fix_path(conf_get_time(sec, key, def, out, err), sec, err);
}

int model_get_bytes(const struct conf_node *sec, const char *key, uint64_t def, uint64_t *out,
		    struct conf_err *err)
{
	return fix_path(conf_get_bytes(sec, key, def, out, err), sec, err);
}

int model_get_uint(const struct conf_node *sec, const char *key, uint64_t max, uint64_t def,
		   uint64_t *out, struct conf_err *err)
{
	return fix_path(conf_get_uint(sec, key, 0, max, def, out, err), sec, err);
}

int model_get_bool(const struct conf_node *sec, const char *key, bool def, bool *out,
		   struct conf_err *err)
{
	return fix_path(conf_get_bool(sec, key, def, out, err), sec, err);
}

int model_get_enum(const struct conf_node *sec, const char *key, const char *const *choices,
		   int def, int *out, struct conf_err *err)
{
	return fix_path(conf_get_enum(sec, key, choices, def, out, err), sec, err);
}

/* The key node when present and not empty, else NULL. */
const struct conf_node *model_kv(const struct conf_node *sec, const char *key)
{
	const struct conf_node *n = sec ? conf_child(sec, key) : NULL;

	return n && !conf_is_section(n) && n->value[0] ? n : NULL;
}

char *model_strdup(const char *s, struct conf_err *err)
{
	char *d = strdup(s);

	if (!d)
		conf_err_set(err, "", 0, "out of memory");
	return d;
}

/* A path: absolute as is, else below dir. (caller frees) */
char *model_resolve(const char *dir, const char *name, struct conf_err *err)
{
	size_t n;
	char *p;

	if (name[0] == '/')
		return model_strdup(name, err);
	n = strlen(dir) + strlen(name) + 2;
	p = malloc(n);
	if (!p) {
		conf_err_set(err, "", 0, "out of memory");
		return NULL;
	}
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* ---- addresses ---- */

/* One address of local_addrs, remote_addrs or daemon.listen. "%any" -> 1
 * (matches everything: the list stays empty), "%any4"/"%any6" -> an
 * all-zero address of that family. */
static int model_addr(const struct conf_node *kv, const char *item, struct ip_addr *a,
		      struct conf_err *err)
{
	if (strcasecmp(item, "%any") == 0)
		return 1;
	if (strcasecmp(item, "%any4") == 0 || strcasecmp(item, "%any6") == 0) {
		memset(a, 0, sizeof(*a));
		a->family = item[4] == '4' ? AF_INET : AF_INET6;
		return 0;
	}
	if (ip_addr_parse(item, a) == 0)
		return 0;
	if (strpbrk(item, "/-"))
		return model_bad(kv, err,
				 "expected an IP address or %%any, got '%s' (subnets and ranges "
				 "are not supported by oakd yet)",
				 item);
	return model_bad(kv, err,
			 "expected an IP address or %%any, got '%s' (oakd does not resolve host "
			 "names yet: use the address)",
			 item);
}

int model_addrs(const struct conf_node *sec, const char *key, struct ip_addr *out, size_t max,
		size_t *n, struct conf_err *err)
{
	const struct conf_node *kv = model_kv(sec, key);
	struct conf_list l;
	bool any = false;
	int rc;

	*n = 0;
	if (!kv)
		return 0;
	rc = conf_node_list(kv, &l, err);
	if (rc)
		return fix_path(rc, sec, err);
	if (l.count > max)
		rc = model_bad(kv, err, "at most %zu addresses, got %zu", max, l.count);
	for (size_t i = 0; i < l.count && rc == 0; i++) {
		rc = model_addr(kv, l.items[i], &out[*n], err);
		if (rc == 1) {
			any = true; /* %any in the list: every address matches */
			rc = 0;
		} else if (rc == 0) {
			(*n)++;
		}
	}
	conf_list_free(&l);
	/* n = 0 means %any; a list of both cannot say "initiate to the address,
	 * accept any" (strongSwan's meaning) */
	if (rc == 0 && any && *n)
		rc = model_bad(kv, err,
			       "%%any together with addresses is not supported by oakd "
			       "yet");
	return rc;
}

/* ---- keys swanctl.conf has and oakd does not implement (yet) ----
 *
 * The schema accepts every swanctl.conf key so that a strongSwan file loads;
 * here a key whose feature oakd lacks is an error unless it is set to what
 * strongSwan does by default, so nothing is silently ignored. */

bool model_word_in(const char *v, const char *words)
{
	size_t n = strlen(v);

	for (const char *p = words; p && *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncasecmp(p, v, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

static bool unsup_is_default(const struct unsup *u, const char *v)
{
	bool b, d;
	uint64_t x;

	switch (u->kind) {
	case UNSUP_ANY:
		return false;
	case UNSUP_BOOL:
		return conf_str_bool(v, &b) == 0 && conf_str_bool(u->def, &d) == 0 && b == d;
	case UNSUP_NUM:
		return (conf_str_uint(v, &x) == 0 || conf_str_time(v, &x) == 0) && x == 0;
	case UNSUP_WORD:
		return model_word_in(v, u->def);
	}
	return false;
}

int model_unsupported(const struct conf_node *sec, const struct unsup *table, struct conf_err *err)
{
	for (const struct unsup *u = table; u->key; u++) {
		const struct conf_node *kv = model_kv(sec, u->key);

		if (kv && !unsup_is_default(u, kv->value))
			return model_bad(kv, err, "%s", u->why);
	}
	return 0;
}

/* ---- daemon { } ---- */

static int model_daemon_str(const struct conf_node *sec, const char *key, const char *def,
			    char **out, struct conf_err *err)
{
	const struct conf_node *kv = model_kv(sec, key);

	*out = kv || def ? model_strdup(kv ? kv->value : def, err) : NULL;
	return (kv || def) && !*out ? -ENOMEM : 0;
}

static int model_daemon_numbers(const struct conf_node *sec, struct daemon_cfg *d,
				struct conf_err *err)
{
	uint64_t v;
	int rc;

	if ((rc = model_get_uint(sec, "port", 65535, 500, &v, err)))
		return rc;
	d->port = (uint16_t)v;
	if ((rc = model_get_uint(sec, "port_nat_t", 65535, 4500, &v, err)))
		return rc;
	d->port_nat_t = (uint16_t)v;
	if (d->port == 0 || d->port == d->port_nat_t)
		return model_bad(model_kv(sec, "port") ? model_kv(sec, "port") : sec, err,
				 "the IKE port must be set and differ from port_nat_t (%u)",
				 d->port_nat_t);
	if ((rc = model_get_uint(sec, "retransmit_tries", 100, 5, &v, err)))
		return rc;
	d->retransmit_tries = (unsigned)v;
	if ((rc = fix_path(
		     conf_get_decimal(sec, "retransmit_timeout", 4.0, &d->retransmit_timeout, err),
		     sec, err)) ||
	    (rc = fix_path(conf_get_decimal(sec, "retransmit_base", 1.8, &d->retransmit_base, err),
			   sec, err)))
		return rc;
	if (d->retransmit_timeout <= 0 || d->retransmit_base < 1.0)
		return model_bad(
			sec, err,
			"retransmit_timeout must be above 0 and retransmit_base at least 1");
	if ((rc = model_get_uint(sec, "cookie_threshold", UINT32_MAX, 10, &v, err)))
		return rc;
	d->cookie_threshold = (unsigned)v;
	if ((rc = model_get_uint(sec, "half_open_limit", UINT32_MAX, 0, &v, err)))
		return rc;
	d->half_open_limit = (unsigned)v;
	if ((rc = model_get_uint(sec, "threads", 1024, 0, &v, err)))
		return rc;
	d->threads = (unsigned)v;
	/* strongSwan's charon.fragment_size (1280) */
	if ((rc = model_get_uint(sec, "fragment_size", 65535, 1280, &v, err)))
		return rc;
	if (v < 576)
		return model_bad(model_kv(sec, "fragment_size"), err,
				 "fragment_size must be at least 576 (RFC 7383 2.5.1), got %llu",
				 (unsigned long long)v);
	d->fragment_size = (unsigned)v;
	/* strongSwan's charon.keep_alive: 20 s */
	if ((rc = model_get_time(sec, "keep_alive", 20, &v, err)))
		return rc;
	d->keep_alive = (unsigned)(v < 86400 ? v : 86400);
	return 0;
}

static int model_daemon(const struct conf_node *sec, struct daemon_cfg *d, struct conf_err *err)
{
	static const struct unsup unsup_daemon[] = {
		{"group", UNSUP_ANY, NULL,
		 "oakd runs with the primary group of daemon.user; a group of its own is not "
		 "supported"},
		{NULL, UNSUP_ANY, NULL, NULL},
	};
	int rc;

	if ((rc = model_addrs(sec, "listen", d->listen, MODEL_MAX_ADDRS, &d->nlisten, err)) ||
	    (rc = model_daemon_numbers(sec, d, err)) ||
	    (rc = model_unsupported(sec, unsup_daemon, err)) ||
	    (rc = model_daemon_str(sec, "socket", MODEL_DEFAULT_SOCKET, &d->socket, err)) ||
	    (rc = model_daemon_str(sec, "kernel", "record", &d->kernel, err)) ||
	    (rc = model_daemon_str(sec, "record_file", MODEL_DEFAULT_RECORD_FILE, &d->record_file,
				   err)) ||
	    (rc = model_daemon_str(sec, "keylog", NULL, &d->keylog, err)) ||
	    (rc = model_daemon_str(sec, "user", NULL, &d->user, err)) ||
	    (rc = model_daemon_str(sec, "x509_dir", MODEL_DEFAULT_X509_DIR, &d->x509_dir, err)) ||
	    (rc = model_daemon_str(sec, "x509ca_dir", MODEL_DEFAULT_X509CA_DIR, &d->x509ca_dir,
				   err)) ||
	    (rc = model_daemon_str(sec, "private_dir", MODEL_DEFAULT_PRIVATE_DIR, &d->private_dir,
				   err)))
		return rc;
	return 0;
}

static void model_daemon_free(struct daemon_cfg *d)
{
	free(d->socket);
	free(d->kernel);
	free(d->record_file);
	free(d->keylog);
	free(d->user);
	free(d->x509_dir);
	free(d->x509ca_dir);
	free(d->private_dir);
}

/* ---- secrets { } ---- */

/* base64 (RFC 4648 4) into out; the length or -1. */
static long model_base64(const char *s, uint8_t *out, size_t cap)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	size_t n = 0;
	int bits = 0, pad = 0;

	for (; *s; s++) {
		const char *p = strchr(alpha, *s);

		if (*s == '=') {
			pad++;
			continue;
		}
		if (!p || pad || *s == '\0')
			return -1;
		acc = (acc << 6) | (uint32_t)(p - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= cap)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return pad > 2 ? -1 : (long)n;
}

/* strongSwan's secret forms: "0x" hex, "0s" base64, else the string itself. */
static struct secret *model_secret_value(const struct conf_node *kv, struct conf_err *err)
{
	const char *v = kv->value;
	size_t cap = strlen(v) + 1;
	uint8_t *buf;
	struct secret *s = NULL;
	long n;

	if (strncasecmp(v, "0x", 2) != 0 && strncasecmp(v, "0s", 2) != 0)
		return secret_from(v, strlen(v));
	buf = malloc(cap);
	if (!buf)
		return NULL;
	n = v[1] == 'x' || v[1] == 'X' ? hex_decode(buf, cap, v + 2)
				       : model_base64(v + 2, buf, cap);
	if (n <= 0)
		/* never quote the value: it is a secret */
		model_bad(kv, err, "expected hex digits after 0x or base64 after 0s");
	else
		s = secret_from(buf, (size_t)n);
	wipe(buf, cap);
	free(buf);
	return s;
}

static int model_psk(const struct conf_node *sec, struct psk_cfg *psk, struct conf_err *err)
{
	const struct conf_node *kv = model_kv(sec, "secret"), *it;
	char msg[200];

	snprintf(psk->name, sizeof(psk->name), "%s", sec->name);
	if (!kv)
		return model_bad(sec, err, "expected a secret");
	psk->secret = model_secret_value(kv, err);
	if (!psk->secret)
		return err && err->msg[0] ? -EINVAL : -ENOMEM;
	conf_foreach(it, sec)
	{
		if (strncmp(it->name, "id", 2) != 0 || conf_is_section(it) || !it->value[0])
			continue;
		if (psk->nids == MODEL_MAX_ADDRS)
			return model_bad(it, err, "at most %d identities per secret",
					 MODEL_MAX_ADDRS);
		if (ident_parse(it->value, &psk->ids[psk->nids], msg, sizeof(msg)) < 0)
			return model_bad(it, err, "%s", msg);
		psk->nids++;
	}
	return 0;
}

static int model_secrets(const struct conf_node *sec, struct oak_config *c, struct conf_err *err)
{
	const struct conf_node *it;
	size_t nike = 0, nkeys = 0;
	int rc;

	if (!sec)
		return 0;
	conf_foreach(it, sec)
	{
		nike += strncmp(it->name, "ike", 3) == 0;
		nkeys += strncmp(it->name, "private", 7) == 0 || strncmp(it->name, "rsa", 3) == 0 ||
			 strncmp(it->name, "ecdsa", 5) == 0 || strncmp(it->name, "pkcs8", 5) == 0;
	}
	c->psks = calloc(nike ? nike : 1, sizeof(*c->psks));
	c->private_keys = calloc(nkeys ? nkeys : 1, sizeof(*c->private_keys));
	if (!c->psks || !c->private_keys)
		return -ENOMEM;
	conf_foreach(it, sec)
	{
		const struct conf_node *file;

		if (strncmp(it->name, "ike", 3) == 0) {
			rc = model_psk(it, &c->psks[c->npsks++], err);
			if (rc)
				return rc;
		} else if (nkeys && (strncmp(it->name, "private", 7) == 0 ||
				     strncmp(it->name, "rsa", 3) == 0 ||
				     strncmp(it->name, "ecdsa", 5) == 0 ||
				     strncmp(it->name, "pkcs8", 5) == 0)) {
			/* swanctl keeps rsa/, ecdsa/, pkcs8/ apart; oak has one private_dir */
			file = model_kv(it, "file");
			if (!file)
				return model_bad(it, err, "expected a file");
			c->private_keys[c->nprivate_keys] =
				model_resolve(c->daemon.private_dir, file->value, err);
			if (!c->private_keys[c->nprivate_keys++])
				return -ENOMEM;
		} else {
			return model_bad(it, err, "%s secrets are not supported by oakd yet",
					 it->name);
		}
	}
	return 0;
}

/* ---- authorities { } ---- */

static int model_authorities(const struct conf_node *sec, struct oak_config *c,
			     struct conf_err *err)
{
	static const struct unsup unsup_ca[] = {
		{"crl_uris", UNSUP_ANY, NULL, "fetching CRLs is not supported by oakd yet"},
		{"ocsp_uris", UNSUP_ANY, NULL, "OCSP is not supported by oakd yet"},
		{NULL, UNSUP_ANY, NULL, NULL},
	};
	const struct conf_node *it, *ca, *file;
	int rc;

	if (!sec)
		return 0;
	c->cacerts = calloc(sec->nchildren ? sec->nchildren : 1, sizeof(*c->cacerts));
	if (!c->cacerts)
		return -ENOMEM;
	conf_foreach(it, sec)
	{
		if ((rc = model_unsupported(it, unsup_ca, err)))
			return rc;
		ca = model_kv(it, "cacert");
		file = model_kv(it, "file");
		if (!ca == !file)
			return model_bad(it, err, "expected one of cacert or file");
		/* cacert is relative to x509ca_dir, file is an absolute path (swanctl.conf(5)) */
		if (file && file->value[0] != '/')
			return model_bad(file, err, "expected an absolute path, got '%s'",
					 file->value);
		c->cacerts[c->ncacerts] = ca ? model_resolve(c->daemon.x509ca_dir, ca->value, err)
					     : model_strdup(file->value, err);
		if (!c->cacerts[c->ncacerts++])
			return -ENOMEM;
	}
	return 0;
}

/* ---- the whole config ---- */

static int model_top(const struct conf_node *root, struct oak_config *c, struct conf_err *err)
{
	const struct conf_node *pools = conf_child(root, "pools");
	int rc;

	if (pools && pools->child)
		return model_bad(pools->child, err, "address pools are not supported by oakd yet");
	if ((rc = model_daemon(conf_child(root, "daemon"), &c->daemon, err)) ||
	    (rc = model_secrets(conf_child(root, "secrets"), c, err)) ||
	    (rc = model_authorities(conf_child(root, "authorities"), c, err)) ||
	    (rc = model_connections(conf_child(root, "connections"), c, err)))
		return rc;
	return 0;
}

int conf_model_build(struct conf_tree *tree, struct oak_config **out, struct conf_err *err)
{
	struct oak_config *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c) {
		conf_tree_free(tree);
		conf_err_set(err, "", 0, "out of memory");
		return -ENOMEM;
	}
	c->refs = 1;
	c->tree = tree;
	if (err)
		memset(err, 0, sizeof(*err));
	rc = model_top(tree->root, c, err);
	if (rc) {
		if (rc == -ENOMEM && err && !err->msg[0])
			conf_err_set(err, "", 0, "out of memory");
		oak_config_unref(c);
		return rc;
	}
	*out = c;
	return 0;
}

int conf_model_load(const char *path, struct oak_config **out, struct conf_err *err)
{
	struct conf_tree *t = NULL;
	struct conf_err errs[1];
	int rc = conf_parse_file(path, &t, err);

	*out = NULL;
	if (rc)
		return rc;
	if (conf_schema_check(t, errs, 1)) {
		if (err)
			*err = errs[0];
		conf_tree_free(t);
		return -EINVAL;
	}
	return conf_model_build(t, out, err);
}

struct oak_config *oak_config_ref(struct oak_config *c)
{
	if (c)
		c->refs++;
	return c;
}

void oak_config_unref(struct oak_config *c)
{
	if (!c || --c->refs > 0)
		return;
	for (size_t i = 0; i < c->nconns; i++)
		model_conn_free(&c->conns[i]);
	free(c->conns);
	for (size_t i = 0; i < c->npsks; i++)
		secret_free(c->psks[i].secret);
	free(c->psks);
	for (size_t i = 0; i < c->nprivate_keys; i++)
		free(c->private_keys[i]);
	free(c->private_keys);
	for (size_t i = 0; i < c->ncacerts; i++)
		free(c->cacerts[i]);
	free(c->cacerts);
	model_daemon_free(&c->daemon);
	conf_tree_free(c->tree);
	free(c);
}

const struct conn_cfg *oak_config_conn(const struct oak_config *c, const char *name)
{
	for (size_t i = 0; c && i < c->nconns; i++)
		if (strcmp(c->conns[i].name, name) == 0)
			return &c->conns[i];
	return NULL;
}

const struct child_cfg *conn_cfg_child(const struct conn_cfg *c, const char *name)
{
	for (size_t i = 0; c && i < c->nchildren; i++)
		if (strcmp(c->children[i].name, name) == 0)
			return &c->children[i];
	return NULL;
}

/* strongSwan's id_match_t weights: perfect 20, wildcard 19 (less per
 * wildcard in strongSwan; one level here), any 1, none 0. */
#define MATCH_PERFECT  20
#define MATCH_WILDCARD 19
#define MATCH_ANY      1

static int psk_owner_match(const struct psk_cfg *p, const struct ident *id)
{
	int best = 0;

	if (p->nids == 0)
		return MATCH_ANY; /* a secret without ids is for everyone */
	if (!id || id->type == 0)
		return 0;
	for (size_t i = 0; i < p->nids; i++) {
		const struct ident *want = &p->ids[i];
		int m = 0;

		if (want->type == 0)
			m = MATCH_ANY;
		else if (ident_eq(want, id))
			m = MATCH_PERFECT;
		else if (want->wildcard && ident_match(want, id))
			m = MATCH_WILDCARD;
		if (m > best)
			best = m;
	}
	return best;
}

/* strongSwan's rule (mem_cred.c, credential_manager.c): each secret scores
 * how well its ids match our id plus how well they match the peer's; a
 * secret matching neither is out; the highest sum wins, the first of equals. */
const struct secret *oak_config_psk(const struct oak_config *c, const struct ident *local,
				    const struct ident *remote)
{
	const struct secret *best = NULL;
	int best_score = 0;

	for (size_t i = 0; c && i < c->npsks; i++) {
		int me = psk_owner_match(&c->psks[i], local);
		int other = psk_owner_match(&c->psks[i], remote);

		if (me + other > best_score) {
			best_score = me + other;
			best = c->psks[i].secret;
		}
	}
	return best;
}
