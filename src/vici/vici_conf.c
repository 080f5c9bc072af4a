/* vici_conf.c: connections, shared keys, certificates and keys loaded over
 * VICI, as swanctl.conf sections and in-memory blobs (see vici_conf.h). */
#include "vici/vici_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/model.h"
#include "crypto/sig.h"
#include "lib/hex.h"
#include "lib/htab.h"

struct vici_conf *vici_conf_new(void)
{
	struct vici_conf *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->tree = conf_tree_new();
	if (!c->tree) {
		free(c);
		return NULL;
	}
	return c;
}

void vici_conf_free(struct vici_conf *c)
{
	if (!c)
		return;
	conf_tree_free(c->tree); /* wipes values: secrets.*.secret */
	for (size_t i = 0; i < c->nblobs; i++)
		secret_free(c->blobs[i].data);
	free(c->blobs);
	free(c);
}

struct vici_conf *vici_conf_dup(const struct vici_conf *c)
{
	struct vici_conf *d = vici_conf_new();
	const struct conf_node *it;

	if (!d)
		return NULL;
	d->next_shared = c->next_shared;
	for (it = c->tree->root->child; it; it = it->next)
		if (!conf_node_copy(d->tree, d->tree->root, it))
			goto fail;
	if (c->nblobs && !(d->blobs = calloc(c->nblobs, sizeof(*d->blobs))))
		goto fail;
	for (size_t i = 0; i < c->nblobs; i++) {
		d->blobs[i] = c->blobs[i];
		d->blobs[i].data = secret_dup(c->blobs[i].data);
		if (!d->blobs[i].data)
			goto fail;
		d->nblobs++;
	}
	return d;
fail:
	vici_conf_free(d);
	return NULL;
}

/* ---- helpers ---- */

/* A top section of the set (connections, secrets), made when missing. */
static struct conf_node *top_section(struct conf_tree *t, const char *name, bool create)
{
	for (struct conf_node *n = t->root->child; n; n = n->next)
		if (conf_is_section(n) && strcmp(n->name, name) == 0)
			return n;
	return create ? conf_node_add(t, t->root, name, NULL, conf_tree_file(t, VICI_CONF_FILE), 0)
		      : NULL;
}

static struct conf_node *child_named(struct conf_node *sec, const char *name)
{
	for (struct conf_node *n = sec ? sec->child : NULL; n; n = n->next)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

/* Text a config value may hold: no NUL, no control characters. */
static bool is_text(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return false;
	return true;
}

static struct vici_conf_blob *blob_find(struct vici_conf *c, const char *name)
{
	for (size_t i = 0; i < c->nblobs; i++)
		if (strcmp(c->blobs[i].name, name) == 0)
			return &c->blobs[i];
	return NULL;
}

/* Keep data (borrowed, copied) as a blob named dir/<hash>; the name goes to
 * name_out. A blob of the same name is kept once (a loose one that a
 * connection also names is no longer loose). */
static int blob_add(struct vici_conf *c, enum certs_blob_kind kind, const char *dir,
		    const void *data, size_t len, bool loose, char *name_out, size_t name_len)
{
	struct vici_conf_blob *b, *nb;

	snprintf(name_out, name_len, "/vici/%s/%016llx", dir,
		 (unsigned long long)hash_bytes(data, len));
	b = blob_find(c, name_out);
	if (b) {
		b->loose = b->loose && loose;
		return 0;
	}
	nb = realloc(c->blobs, (c->nblobs + 1) * sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	c->blobs = nb;
	b = &c->blobs[c->nblobs];
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->loose = loose;
	snprintf(b->name, sizeof(b->name), "%s", name_out);
	b->data = secret_from(data, len);
	if (!b->data)
		return -ENOMEM;
	c->nblobs++;
	return 0;
}

/* ---- load-conn ---- */

struct conv {
	struct vici_conf *c;
	char *err;
	size_t errlen;
	const char *file;
};

static int conv_section(struct conv *cv, struct conf_node *out, const struct vici_node *in,
			const char *path);

/* certs / cacerts of a local or remote section: certificates, not names. */
static int conv_cert_list(struct conv *cv, struct conf_node *out, const struct vici_node *list,
			  const char *path, bool ca)
{
	char names[MODEL_MAX_CERTS * (VICI_CONF_BLOB_NAME_MAX + 2)] = "";
	char name[VICI_CONF_BLOB_NAME_MAX], why[CERTS_WHY_LEN];
	struct certs_cert *cert;
	size_t i = 0;
	int rc;

	for (const struct vici_node *it = list->child; it; it = it->next, i++) {
		if (i == MODEL_MAX_CERTS) {
			snprintf(cv->err, cv->errlen, "%s.%s: at most %d certificates", path,
				 list->name, MODEL_MAX_CERTS);
			return -EINVAL;
		}
		rc = certs_cert_parse((const uint8_t *)it->value, it->value_len, &cert, why,
				      sizeof(why));
		if (rc) {
			snprintf(cv->err, cv->errlen,
				 "%s.%s: item %zu: expected a certificate (DER or PEM): %s", path,
				 list->name, i + 1, why);
			return rc;
		}
		certs_cert_free(cert);
		rc = blob_add(cv->c, ca ? CERTS_BLOB_CA : CERTS_BLOB_CERT, ca ? "x509ca" : "x509",
			      it->value, it->value_len, false, name, sizeof(name));
		if (rc)
			return rc;
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 names[0] ? ", " : "", name);
	}
	return conf_node_add(cv->c->tree, out, list->name, names, cv->file, 0) ? 0 : -ENOMEM;
}

/* Any other list: its items joined with ", " as swanctl.conf writes them. */
static int conv_list(struct conv *cv, struct conf_node *out, const struct vici_node *list,
		     const char *path)
{
	size_t len = 1, i = 0, off = 0;
	char *v;
	int rc = 0;

	for (const struct vici_node *it = list->child; it; it = it->next)
		len += it->value_len + 2;
	v = calloc(1, len); /* zeroed: the NUL after the last item */
	if (!v)
		return -ENOMEM;
	for (const struct vici_node *it = list->child; it && !rc; it = it->next, i++) {
		if (!is_text(it->value, it->value_len) || memchr(it->value, ',', it->value_len)) {
			snprintf(cv->err, cv->errlen,
				 "%s.%s: item %zu: expected text without commas or control "
				 "characters",
				 path, list->name, i + 1);
			rc = -EINVAL;
			break;
		}
		if (i) {
			v[off++] = ',';
			v[off++] = ' ';
		}
		memcpy(v + off, it->value, it->value_len);
		off += it->value_len;
	}
	if (!rc && !conf_node_add(cv->c->tree, out, list->name, v, cv->file, 0))
		rc = -ENOMEM;
	free(v);
	return rc;
}

static bool is_auth_section(const char *name)
{
	return strncmp(name, "local", 5) == 0 || strncmp(name, "remote", 6) == 0;
}

static int conv_member(struct conv *cv, struct conf_node *out, const struct vici_node *m,
		       const char *path)
{
	char sub[512];
	struct conf_node *n;

	if (m->name_len == 0 || !is_text(m->name, m->name_len) || strchr(m->name, '.')) {
		snprintf(cv->err, cv->errlen, "%s: expected a key or section name, got '%.64s'",
			 path, m->name_len && is_text(m->name, m->name_len) ? m->name : "?");
		return -EINVAL;
	}
	switch (m->type) {
	case VICI_NODE_SECTION:
		n = conf_node_add(cv->c->tree, out, m->name, NULL, cv->file, 0);
		if (!n)
			return -ENOMEM;
		snprintf(sub, sizeof(sub), "%s.%s", path, m->name);
		return conv_section(cv, n, m, sub);
	case VICI_NODE_KV:
		if (!is_text(m->value, m->value_len)) {
			snprintf(cv->err, cv->errlen,
				 "%s.%s: expected text, got %zu bytes with control characters",
				 path, m->name, m->value_len);
			return -EINVAL;
		}
		return conf_node_add(cv->c->tree, out, m->name, m->value, cv->file, 0) ? 0
										       : -ENOMEM;
	case VICI_NODE_LIST:
		if (is_auth_section(out->name) &&
		    (strcasecmp(m->name, "certs") == 0 || strcasecmp(m->name, "cacerts") == 0))
			return conv_cert_list(cv, out, m, path,
					      strcasecmp(m->name, "cacerts") == 0);
		return conv_list(cv, out, m, path);
	case VICI_NODE_ITEM:
		break;
	}
	snprintf(cv->err, cv->errlen, "%s: unexpected list item", path);
	return -EINVAL;
}

static int conv_section(struct conv *cv, struct conf_node *out, const struct vici_node *in,
			const char *path)
{
	int rc = 0;

	for (const struct vici_node *m = in->child; m && !rc; m = m->next)
		rc = conv_member(cv, out, m, path);
	return rc;
}

int vici_conf_load_conn(struct vici_conf *c, const struct vici_node *sec, char *err, size_t errlen)
{
	struct conv cv = {c, err, errlen, conf_tree_file(c->tree, VICI_CONF_FILE)};
	struct conf_node *conns, *old, *n;
	char path[128];

	if (sec->type != VICI_NODE_SECTION || sec->name_len == 0 ||
	    sec->name_len >= MODEL_NAME_MAX || !is_text(sec->name, sec->name_len) ||
	    strchr(sec->name, '.')) {
		snprintf(err, errlen,
			 "expected a section named after the connection (1 to %d characters, "
			 "no dots)",
			 MODEL_NAME_MAX - 1);
		return -EINVAL;
	}
	conns = top_section(c->tree, "connections", true);
	if (!cv.file || !conns)
		return -ENOMEM;
	old = child_named(conns, sec->name);
	if (old)
		conf_node_remove(c->tree, old);
	n = conf_node_add(c->tree, conns, sec->name, NULL, cv.file, 0);
	if (!n)
		return -ENOMEM;
	snprintf(path, sizeof(path), "connections.%s", sec->name);
	return conv_section(&cv, n, sec, path);
}

int vici_conf_unload_conn(struct vici_conf *c, const char *name, char *err, size_t errlen)
{
	struct conf_node *n = child_named(top_section(c->tree, "connections", false), name);

	if (!n) {
		snprintf(err, errlen, "no connection '%s' was loaded over vici", name);
		return -ENOENT;
	}
	conf_node_remove(c->tree, n);
	return 0;
}

void vici_conf_conns(const struct vici_conf *c, void (*fn)(const char *name, void *arg), void *arg)
{
	struct conf_node *conns = top_section(c->tree, "connections", false);

	for (struct conf_node *n = conns ? conns->child : NULL; n; n = n->next)
		fn(n->name, arg);
}

/* ---- shared keys ---- */

static int shared_owners(struct vici_conf *c, struct conf_node *sec, const struct vici_node *req,
			 const char *file, char *err, size_t errlen)
{
	const struct vici_node *owners = vici_find(req, "owners");
	char key[16];
	unsigned i = 0;

	if (owners && owners->type != VICI_NODE_LIST) {
		snprintf(err, errlen, "owners: expected a list of identities");
		return -EINVAL;
	}
	for (const struct vici_node *it = owners ? owners->child : NULL; it; it = it->next) {
		if (!is_text(it->value, it->value_len) || it->value_len == 0) {
			snprintf(err, errlen, "owners: item %u: expected an identity", i + 1);
			return -EINVAL;
		}
		snprintf(key, sizeof(key), "id-%u", ++i);
		if (!conf_node_add(c->tree, sec, key, it->value, file, 0))
			return -ENOMEM;
	}
	return 0;
}

int vici_conf_load_shared(struct vici_conf *c, const struct vici_node *req, char *err,
			  size_t errlen)
{
	const char *type = vici_find_str(req, "type", NULL), *id = vici_find_str(req, "id", NULL);
	const char *file = conf_tree_file(c->tree, VICI_CONF_FILE);
	const struct vici_node *data = vici_find(req, "data");
	char name[MODEL_NAME_MAX], gen[16];
	struct conf_node *secrets, *old, *sec;
	char *hex;
	size_t hlen;
	int rc;

	if (!type || strcasecmp(type, "ike") != 0) {
		snprintf(err, errlen,
			 "type: expected IKE (oakd keeps IKE shared keys only), got '%s'",
			 type ? type : "");
		return -EINVAL;
	}
	if (!data || data->type != VICI_NODE_KV || data->value_len == 0) {
		snprintf(err, errlen, "data: expected the shared key");
		return -EINVAL;
	}
	if (!id) {
		snprintf(gen, sizeof(gen), "%u", ++c->next_shared);
		id = gen;
	}
	if (!*id || !is_text(id, strlen(id)) || strchr(id, '.') ||
	    strlen(id) + strlen(VICI_CONF_SHARED_PREFIX) >= sizeof(name)) {
		snprintf(err, errlen, "id: expected 1 to %zu characters without dots",
			 sizeof(name) - strlen(VICI_CONF_SHARED_PREFIX) - 1);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "%s%s", VICI_CONF_SHARED_PREFIX, id);
	secrets = top_section(c->tree, "secrets", true);
	if (!file || !secrets)
		return -ENOMEM;
	if ((old = child_named(secrets, name)) != NULL)
		conf_node_remove(c->tree, old);
	if (!(sec = conf_node_add(c->tree, secrets, name, NULL, file, 0)))
		return -ENOMEM;
	/* "0x" hex: strongSwan's secret syntax takes any bytes that way */
	hlen = 2 + 2 * data->value_len + 1;
	if (!(hex = malloc(hlen)))
		return -ENOMEM;
	memcpy(hex, "0x", 2);
	hex_encode(hex + 2, hlen - 2, data->value, data->value_len);
	rc = conf_node_add(c->tree, sec, "secret", hex, file, 0) ? 0 : -ENOMEM;
	wipe(hex, hlen);
	free(hex);
	return rc ? rc : shared_owners(c, sec, req, file, err, errlen);
}

int vici_conf_unload_shared(struct vici_conf *c, const char *id, char *err, size_t errlen)
{
	char name[MODEL_NAME_MAX + 16];
	struct conf_node *n;

	snprintf(name, sizeof(name), "%s%s", VICI_CONF_SHARED_PREFIX, id);
	n = child_named(top_section(c->tree, "secrets", false), name);
	if (!n) {
		snprintf(err, errlen, "no shared key '%s' was loaded over vici", id);
		return -ENOENT;
	}
	conf_node_remove(c->tree, n);
	return 0;
}

void vici_conf_shared(const struct vici_conf *c, void (*fn)(const char *id, void *arg), void *arg)
{
	struct conf_node *secrets = top_section(c->tree, "secrets", false);
	size_t plen = strlen(VICI_CONF_SHARED_PREFIX);

	for (struct conf_node *n = secrets ? secrets->child : NULL; n; n = n->next)
		if (strncmp(n->name, VICI_CONF_SHARED_PREFIX, plen) == 0)
			fn(n->name + plen, arg);
}

/* ---- certificates and keys ---- */

static const struct vici_node *req_data(const struct vici_node *req, char *err, size_t errlen)
{
	const struct vici_node *data = vici_find(req, "data");

	if (!data || data->type != VICI_NODE_KV || data->value_len == 0) {
		snprintf(err, errlen, "data: expected the encoded credential (DER or PEM)");
		return NULL;
	}
	return data;
}

int vici_conf_load_cert(struct vici_conf *c, const struct vici_node *req, char *err, size_t errlen)
{
	const char *type = vici_find_str(req, "type", "X509"),
		   *flag = vici_find_str(req, "flag", "NONE");
	const struct vici_node *data;
	char name[VICI_CONF_BLOB_NAME_MAX], why[CERTS_WHY_LEN];
	struct certs_cert *cert;
	bool ca;
	int rc;

	if (strcasecmp(type, "x509") != 0) {
		snprintf(err, errlen,
			 "type: expected X509 (oakd loads X.509 certificates only), got '%s'",
			 type);
		return -EINVAL;
	}
	ca = strcasecmp(flag, "ca") == 0;
	if (!ca && strcasecmp(flag, "none") != 0) {
		snprintf(err, errlen, "flag: expected NONE or CA, got '%s'", flag);
		return -EINVAL;
	}
	if (!(data = req_data(req, err, errlen)))
		return -EINVAL;
	rc = certs_cert_parse((const uint8_t *)data->value, data->value_len, &cert, why,
			      sizeof(why));
	if (rc) {
		snprintf(err, errlen, "data: expected an X.509 certificate: %s", why);
		return rc;
	}
	certs_cert_free(cert);
	return blob_add(c, ca ? CERTS_BLOB_CA : CERTS_BLOB_CERT, ca ? "x509ca" : "x509",
			data->value, data->value_len, true, name, sizeof(name));
}

int vici_conf_load_key(struct vici_conf *c, const struct vici_node *req, char *err, size_t errlen)
{
	static const char *const types[] = {"rsa", "ecdsa", "ed25519", "ed448", "any", NULL};
	const char *type = vici_find_str(req, "type", "");
	const struct vici_node *data;
	char name[VICI_CONF_BLOB_NAME_MAX];
	struct sig_key *key = NULL;
	bool known = false;
	int rc;

	for (size_t i = 0; types[i]; i++)
		known = known || strcasecmp(type, types[i]) == 0;
	if (!known) {
		snprintf(err, errlen, "type: expected rsa, ecdsa, ed25519, ed448 or any, got '%s'",
			 type);
		return -EINVAL;
	}
	if (!(data = req_data(req, err, errlen)))
		return -EINVAL;
	rc = sig_key_load((const uint8_t *)data->value, data->value_len, NULL, &key);
	if (rc) {
		snprintf(err, errlen, "data: expected an unencrypted private key (DER or PEM): %s",
			 rc == -ENOTSUP ? "a key type oakd does not support" : strerror(-rc));
		return rc;
	}
	sig_key_free(key);
	return blob_add(c, CERTS_BLOB_KEY, "key", data->value, data->value_len, true, name,
			sizeof(name));
}

void vici_conf_clear_creds(struct vici_conf *c)
{
	struct conf_node *secrets = top_section(c->tree, "secrets", false);
	size_t k = 0;

	for (size_t i = 0; i < c->nblobs; i++) {
		if (c->blobs[i].loose)
			secret_free(c->blobs[i].data);
		else
			c->blobs[k++] = c->blobs[i];
	}
	c->nblobs = k;
	if (secrets)
		conf_node_remove(c->tree, secrets);
}

/* ---- merging into the file's tree ---- */

int vici_conf_merge(const struct vici_conf *c, struct conf_tree *t)
{
	static const char *const tops[] = {"secrets", "connections"};

	for (size_t i = 0; i < 2; i++) {
		struct conf_node *from = top_section(c->tree, tops[i], false), *to;

		if (!from || !from->child)
			continue;
		to = top_section(t, tops[i], true);
		if (!to)
			return -ENOMEM;
		for (struct conf_node *n = from->child; n; n = n->next) {
			struct conf_node *old = child_named(to, n->name);

			if (old)
				conf_node_remove(t, old);
			if (!conf_node_copy(t, to, n))
				return -ENOMEM;
		}
	}
	return 0;
}

struct certs_blob *vici_conf_blob_list(const struct vici_conf *c, size_t *n)
{
	struct certs_blob *b = c->nblobs ? calloc(c->nblobs, sizeof(*b)) : NULL;

	*n = 0;
	if (!b)
		return NULL;
	for (size_t i = 0; i < c->nblobs; i++)
		b[i] = (struct certs_blob){.kind = c->blobs[i].kind,
					   .name = c->blobs[i].name,
					   .data = c->blobs[i].data->data,
					   .len = c->blobs[i].data->len};
	*n = c->nblobs;
	return b;
}
