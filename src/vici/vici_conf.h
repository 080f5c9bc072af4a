/* vici_conf.h: what oakd holds that was loaded over VICI (load-conn,
 * load-shared, load-cert, load-key), kept as swanctl.conf sections so that
 * it goes through the same schema and model checks as oak.conf.
 *
 * A VICI connection arrives as a message section with swanctl.conf's keys
 * (strongSwan's vici README, "load-conn"): key = value stays a key, a list
 * becomes a comma-separated value ("proposals = [a, b]" -> "a, b"), a
 * section a section. The exceptions are local/remote `certs`, `cacerts`:
 * swanctl sends the certificates themselves (DER or PEM), so each is kept as
 * a blob under a name such as "/vici/x509/5c3e0a...", which the config then
 * names as if it were a file (an absolute path is kept as written by the
 * model) and certs_store_load_blobs() finds in memory. A shared key
 * (load-shared type IKE) becomes secrets.ike-vici-<id> { secret = 0x<hex>,
 * id-<n> = <owner> }, wiped when freed.
 *
 * The daemon builds its running config from oak.conf merged with this set
 * (vici_conf_merge: a VICI connection replaces a file connection of the same
 * name). Commands work on a copy (vici_conf_dup) that the daemon validates
 * and applies; only then does the server keep the copy, so a refused load
 * changes nothing.
 */
#ifndef OAK_VICI_VICI_CONF_H
#define OAK_VICI_VICI_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/tree.h"
#include "ike/certs.h"
#include "lib/secret.h"
#include "vici/vici_msg.h"

/* The file name VICI-loaded config nodes carry (errors say "vici: ..."). */
#define VICI_CONF_FILE "vici"
/* Prefix of secrets sections made by load-shared. */
#define VICI_CONF_SHARED_PREFIX "ike-vici-"
#define VICI_CONF_BLOB_NAME_MAX 64

struct vici_conf_blob {
	enum certs_blob_kind kind;
	char name[VICI_CONF_BLOB_NAME_MAX]; /* "/vici/x509/<hash>" ... */
	struct secret *data; /* owned; keys are secrets, certs are not (wiped anyway) */
	bool loose; /* from load-cert/load-key (clear-creds drops it), not from a load-conn */
};

struct vici_conf {
	struct conf_tree *tree; /* connections { } and secrets { } (owned) */
	struct vici_conf_blob *blobs;
	size_t nblobs;
	unsigned next_shared; /* for load-shared requests without an id */
};

/* An empty set (caller frees with vici_conf_free), NULL when out of memory. */
struct vici_conf *vici_conf_new(void);
/* A deep copy (caller frees), NULL when out of memory. */
struct vici_conf *vici_conf_dup(const struct vici_conf *c);
/* Free c, wiping secrets and keys; NULL is fine. */
void vici_conf_free(struct vici_conf *c);

/* Add or replace the connection `sec` (a section of a load-conn request,
 * borrowed). 0, or -EINVAL / -ENOMEM with err saying which key is wrong and
 * what was expected; c may then hold part of it (drop the copy). */
int vici_conf_load_conn(struct vici_conf *c, const struct vici_node *sec, char *err, size_t errlen);
/* Remove connection `name`: 0, or -ENOENT with err. */
int vici_conf_unload_conn(struct vici_conf *c, const char *name, char *err, size_t errlen);
/* Call fn with the name of every VICI-loaded connection, in load order. */
void vici_conf_conns(const struct vici_conf *c, void (*fn)(const char *name, void *arg), void *arg);

/* load-shared { id, type, data, owners = [ ] } (req borrowed). 0, or a
 * negative errno with err ("type: expected IKE, got 'EAP'"). */
int vici_conf_load_shared(struct vici_conf *c, const struct vici_node *req, char *err,
			  size_t errlen);
/* unload-shared { id }: 0, or -ENOENT with err. */
int vici_conf_unload_shared(struct vici_conf *c, const char *id, char *err, size_t errlen);
/* Call fn with the id of every VICI-loaded shared key. */
void vici_conf_shared(const struct vici_conf *c, void (*fn)(const char *id, void *arg), void *arg);

/* load-cert { type = X509, flag = NONE|CA, data } (req borrowed): checked to
 * parse as a certificate (and to be a CA for flag CA). 0, or a negative
 * errno with err. */
int vici_conf_load_cert(struct vici_conf *c, const struct vici_node *req, char *err, size_t errlen);
/* load-key { type = rsa|ecdsa|ed25519|ed448|any, data }: checked to parse as
 * an unencrypted private key. 0, or a negative errno with err. */
int vici_conf_load_key(struct vici_conf *c, const struct vici_node *req, char *err, size_t errlen);
/* clear-creds: drop the certificates, keys and shared keys loaded over VICI
 * (the certificates connections carry stay with them). */
void vici_conf_clear_creds(struct vici_conf *c);

/* Append c's connections and secrets to t (a file's tree, borrowed): a VICI
 * connection replaces t's of the same name. 0 or -ENOMEM. */
int vici_conf_merge(const struct vici_conf *c, struct conf_tree *t);
/* The blobs as certs_store_load_blobs() takes them: *n gets the count; the
 * array is the caller's to free(), the data stays c's. NULL with *n = 0 when
 * there are none or out of memory. */
struct certs_blob *vici_conf_blob_list(const struct vici_conf *c, size_t *n);

#endif
