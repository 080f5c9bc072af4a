/* certs_load.c: filling the certificate store from the files the configuration
 * names (see certs_store_load in certs.h): cacerts, x509ca/, x509/, the
 * connections' cacerts and certs, private keys and private/. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/model.h"
#include "ike/certs.h"
#include "ike/certs_int.h"

/* -errno after a failed call, never 0: so that an error is never taken for success. */
static int certs_errno(void)
{
	int rc = -errno;

	return rc < 0 ? rc : -EIO;
}

static int certs_read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	int rc = 0;

	*out = NULL;
	if (f == NULL)
		return certs_errno();
	if (fstat(fileno(f), &st) != 0)
		rc = certs_errno();
	else if (st.st_size > (off_t)CERTS_FILE_MAX)
		rc = -EFBIG;
	else if ((*out = malloc((size_t)st.st_size + 1)) == NULL)
		rc = -ENOMEM;
	else if ((*len = fread(*out, 1, (size_t)st.st_size, f)) != (size_t)st.st_size)
		rc = -EIO;
	fclose(f);
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

static int certs_load_key(struct certs_store *s, const char *path, char *why, size_t whylen)
{
	struct sig_key *key = NULL;
	int rc = sig_key_load_file(path, NULL, &key);

	switch (rc) {
	case 0:
		return certs_add_key(s, key, path, why, whylen);
	case -EACCES:
		certs_why(why, whylen,
			  "%s: the private key is encrypted, and oak has no passphrase", path);
		break;
	case -ENOTSUP:
		certs_why(why, whylen, "%s: a private key of a type oak does not support", path);
		break;
	case -EINVAL:
		certs_why(why, whylen, "%s: expected a private key (PEM or DER), found none", path);
		break;
	default:
		certs_why(why, whylen, "%s: %s", path, strerror(-rc));
	}
	return rc;
}

static int certs_load_file(struct certs_store *s, enum certs_kind kind, const char *path,
			   const char *name, char *why, size_t whylen)
{
	uint8_t *buf;
	size_t len = 0;
	int rc;

	if (certs_store_has_file(s, kind, path))
		return 0;
	if (kind == CERTS_KIND_KEY)
		return certs_load_key(s, path, why, whylen);
	rc = certs_read_file(path, &buf, &len);
	if (rc != 0) {
		certs_why(why, whylen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (kind == CERTS_KIND_CA)
		rc = certs_add_ca_at(s, buf, len, name, path, why, whylen);
	else
		rc = certs_add_cert_at(s, buf, len, name, path, why, whylen);
	free(buf);
	return rc;
}

static int certs_path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = name[0] == '/' || dir == NULL ? snprintf(buf, size, "%s", name)
					      : snprintf(buf, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int certs_dir_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Every regular file of dir, in name order; a missing dir is empty. */
static int certs_load_dir(struct certs_store *s, enum certs_kind kind, const char *dir, char *why,
			  size_t whylen)
{
	struct dirent **list = NULL;
	char path[4096];
	struct stat st;
	int n, rc = 0;

	if (dir == NULL)
		return 0;
	n = scandir(dir, &list, certs_dir_filter, alphasort);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		certs_why(why, whylen, "%s: %s", dir, strerror(-rc));
		return rc;
	}
	for (int i = 0; i < n; i++) {
		if (rc == 0 && certs_path(path, sizeof(path), dir, list[i]->d_name) == 0 &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode))
			rc = certs_load_file(s, kind, path, list[i]->d_name, why, whylen);
		free(list[i]);
	}
	free(list);
	return rc;
}

/* Files a connection names: remote.cacerts under x509ca/, local.certs under x509/. */
static int certs_load_conn_files(struct certs_store *s, const struct oak_config *cfg,
				 enum certs_kind kind, char *why, size_t whylen)
{
	const char *dir = kind == CERTS_KIND_CA ? cfg->daemon.x509ca_dir : cfg->daemon.x509_dir;
	char path[4096];
	int rc = 0;

	for (size_t i = 0; i < cfg->nconns && rc == 0; i++) {
		const struct auth_cfg *a =
			kind == CERTS_KIND_CA ? &cfg->conns[i].remote : &cfg->conns[i].local;
		char *const *names = kind == CERTS_KIND_CA ? a->cacerts : a->certs;
		size_t n = kind == CERTS_KIND_CA ? a->ncacerts : a->ncerts;

		for (size_t j = 0; j < n && rc == 0; j++) {
			rc = certs_path(path, sizeof(path), dir, names[j]);
			if (rc != 0)
				certs_why(why, whylen, "%s: path too long", names[j]);
			else
				rc = certs_load_file(s, kind, path, names[j], why, whylen);
		}
	}
	return rc;
}

/* One in-memory credential, under the name config uses for it. */
static int certs_load_blob(struct certs_store *s, const struct certs_blob *b, char *why,
			   size_t whylen)
{
	struct sig_key *key = NULL;
	int rc;

	if (b->kind == CERTS_BLOB_CA)
		return certs_add_ca_at(s, b->data, b->len, b->name, b->name, why, whylen);
	if (b->kind == CERTS_BLOB_CERT)
		return certs_add_cert_at(s, b->data, b->len, b->name, b->name, why, whylen);
	rc = sig_key_load(b->data, b->len, NULL, &key);
	if (rc != 0) {
		certs_why(why, whylen, "%s: expected an unencrypted private key (PEM or DER): %s",
			  b->name, strerror(-rc));
		return rc;
	}
	return certs_add_key(s, key, b->name, why, whylen);
}

int certs_store_load(const struct oak_config *cfg, struct certs_store **out, char *why,
		     size_t whylen)
{
	return certs_store_load_blobs(cfg, NULL, 0, out, why, whylen);
}

int certs_store_load_blobs(const struct oak_config *cfg, const struct certs_blob *blobs, size_t n,
			   struct certs_store **out, char *why, size_t whylen)
{
	struct certs_store *s = certs_store_new();
	int rc = 0;

	*out = NULL;
	if (s == NULL) {
		certs_why(why, whylen, "certificate store: out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = certs_load_blob(s, &blobs[i], why, whylen);
	for (size_t i = 0; i < cfg->ncacerts && rc == 0; i++)
		rc = certs_load_file(s, CERTS_KIND_CA, cfg->cacerts[i], cfg->cacerts[i], why,
				     whylen);
	if (rc == 0)
		rc = certs_load_dir(s, CERTS_KIND_CA, cfg->daemon.x509ca_dir, why, whylen);
	if (rc == 0)
		rc = certs_load_conn_files(s, cfg, CERTS_KIND_CA, why, whylen);
	if (rc == 0)
		rc = certs_load_dir(s, CERTS_KIND_CERT, cfg->daemon.x509_dir, why, whylen);
	if (rc == 0)
		rc = certs_load_conn_files(s, cfg, CERTS_KIND_CERT, why, whylen);
	for (size_t i = 0; i < cfg->nprivate_keys && rc == 0; i++)
		rc = certs_load_file(s, CERTS_KIND_KEY, cfg->private_keys[i], NULL, why, whylen);
	if (rc == 0)
		rc = certs_load_dir(s, CERTS_KIND_KEY, cfg->daemon.private_dir, why, whylen);
	if (rc == 0)
		rc = certs_store_seal(s, why, whylen);
	if (rc != 0) {
		certs_store_unref(s);
		return rc;
	}
	*out = s;
	return 0;
}
