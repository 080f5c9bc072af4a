/* keylog.c: the Wireshark key log (see keylog.h). */
#include "daemon/keylog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/alg.h"
#include "lib/hex.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/util.h"

#define KEYLOG_KEY_MAX 64

struct keylog {
	int fd_v2, fd_v1; /* fd_v1 opened on the first IKEv1 row */
	char *path_v1;	  /* where IKEv1 rows go */
	bool warned_algs; /* "cannot decrypt" said once */
};

/* Wireshark 4.0's vs_ikev2_encr_algs, by IKEv2 transform ID and key bits. */
static const struct {
	uint16_t id, bits;
	const char *name;
} encr_names[] = {
	{IKEV2_ENCR_3DES, 0, "3DES [RFC2451]"},
	{IKEV2_ENCR_NULL, 0, "NULL [RFC2410]"},
	{IKEV2_ENCR_AES_CBC, 128, "AES-CBC-128 [RFC3602]"},
	{IKEV2_ENCR_AES_CBC, 192, "AES-CBC-192 [RFC3602]"},
	{IKEV2_ENCR_AES_CBC, 256, "AES-CBC-256 [RFC3602]"},
	{IKEV2_ENCR_AES_CTR, 128, "AES-CTR-128 [RFC5930]"},
	{IKEV2_ENCR_AES_CTR, 192, "AES-CTR-192 [RFC5930]"},
	{IKEV2_ENCR_AES_CTR, 256, "AES-CTR-256 [RFC5930]"},
	{IKEV2_ENCR_AES_GCM_8, 128, "AES-GCM-128 with 8 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_GCM_8, 192, "AES-GCM-192 with 8 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_GCM_8, 256, "AES-GCM-256 with 8 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_GCM_12, 128, "AES-GCM-128 with 12 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_GCM_12, 192, "AES-GCM-192 with 12 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_GCM_12, 256, "AES-GCM-256 with 12 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_GCM_16, 128, "AES-GCM-128 with 16 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_GCM_16, 192, "AES-GCM-192 with 16 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_GCM_16, 256, "AES-GCM-256 with 16 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_CCM_8, 128, "AES-CCM-128 with 8 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_CCM_8, 192, "AES-CCM-192 with 8 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_CCM_8, 256, "AES-CCM-256 with 8 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_CCM_12, 128, "AES-CCM-128 with 12 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_CCM_12, 192, "AES-CCM-192 with 12 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_CCM_12, 256, "AES-CCM-256 with 12 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_CCM_16, 128, "AES-CCM-128 with 16 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_CCM_16, 192, "AES-CCM-192 with 16 octet ICV [RFC5282]"},
	{IKEV2_ENCR_AES_CCM_16, 256, "AES-CCM-256 with 16 octet ICV [RFC5282]"},
};

/* Wireshark 4.0's vs_ikev2_auth_algs, by IKEv2 transform ID. */
static const struct {
	uint16_t id;
	const char *name;
} integ_names[] = {
	{IKEV2_AUTH_NONE, "NONE [RFC4306]"},
	{IKEV2_AUTH_HMAC_MD5_96, "HMAC_MD5_96 [RFC2403]"},
	{IKEV2_AUTH_HMAC_SHA1_96, "HMAC_SHA1_96 [RFC2404]"},
	{IKEV2_AUTH_HMAC_MD5_128, "HMAC_MD5_128 [RFC4595]"},
	{IKEV2_AUTH_HMAC_SHA1_160, "HMAC_SHA1_160 [RFC4595]"},
	{IKEV2_AUTH_HMAC_SHA2_256_128, "HMAC_SHA2_256_128 [RFC4868]"},
	{IKEV2_AUTH_HMAC_SHA2_384_192, "HMAC_SHA2_384_192 [RFC4868]"},
	{IKEV2_AUTH_HMAC_SHA2_512_256, "HMAC_SHA2_512_256 [RFC4868]"},
};

const char *keylog_ikev2_encr_name(uint16_t encr_id, uint16_t key_bits)
{
	for (size_t i = 0; i < ARRAY_SIZE(encr_names); i++)
		if (encr_names[i].id == encr_id && encr_names[i].bits == key_bits)
			return encr_names[i].name;
	return NULL;
}

const char *keylog_ikev2_integ_name(uint16_t integ_id)
{
	for (size_t i = 0; i < ARRAY_SIZE(integ_names); i++)
		if (integ_names[i].id == integ_id)
			return integ_names[i].name;
	return NULL;
}

static int open_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	return fd < 0 ? -errno : fd;
}

static char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s%s", a, b);
	return p;
}

struct keylog *keylog_open(const char *path, int *err)
{
	struct keylog *k = calloc(1, sizeof(*k));
	struct stat st;
	char *v2 = NULL;

	*err = -ENOMEM;
	if (!k)
		return NULL;
	k->fd_v1 = -1;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		v2 = path_join(path, "/ikev2_decryption_table");
		k->path_v1 = path_join(path, "/ikev1_decryption_table");
	} else {
		v2 = path_join(path, "");
		k->path_v1 = path_join(path, ".ikev1");
	}
	if (!v2 || !k->path_v1)
		goto fail;
	k->fd_v2 = open_append(v2);
	if (k->fd_v2 < 0) {
		*err = k->fd_v2;
		goto fail;
	}
	free(v2);
	*err = 0;
	return k;
fail:
	free(v2);
	free(k->path_v1);
	free(k);
	return NULL;
}

void keylog_close(struct keylog *k)
{
	if (!k)
		return;
	close(k->fd_v2);
	if (k->fd_v1 >= 0)
		close(k->fd_v1);
	free(k->path_v1);
	free(k);
}

/* Append hex of n bytes and a separator; false when it does not fit. */
static bool put_hex(char **p, char *end, const uint8_t *b, size_t n, const char *sep)
{
	size_t need = 2 * n + strlen(sep);

	if (n > KEYLOG_KEY_MAX || (size_t)(end - *p) <= need)
		return false;
	if (n)
		hex_encode(*p, (size_t)(end - *p), b, n);
	*p += 2 * n;
	*p += snprintf(*p, (size_t)(end - *p), "%s", sep);
	return true;
}

int keylog_ikev2_row(const struct ike_keylog_ikev2 *keys, char *buf, size_t len)
{
	const char *encr = keylog_ikev2_encr_name(keys->encr_id, keys->encr_key_bits);
	const char *integ = keylog_ikev2_integ_name(keys->integ_id);
	char *p = buf, *end = buf + len;
	char quoted[2][64];

	if (!encr || !integ)
		return -ENOTSUP;
	/* the separators around each quoted name */
	snprintf(quoted[0], sizeof(quoted[0]), ",\"%s\",", encr);
	snprintf(quoted[1], sizeof(quoted[1]), ",\"%s\"", integ);
	if (!put_hex(&p, end, keys->spi_i, 8, ",") || !put_hex(&p, end, keys->spi_r, 8, ",") ||
	    !put_hex(&p, end, keys->sk_ei, keys->sk_e_len, ",") ||
	    !put_hex(&p, end, keys->sk_er, keys->sk_e_len, quoted[0]) ||
	    !put_hex(&p, end, keys->sk_ai, keys->sk_a_len, ",") ||
	    !put_hex(&p, end, keys->sk_ar, keys->sk_a_len, quoted[1])) {
		wipe(buf, len);
		return -EINVAL;
	}
	return 0;
}

int keylog_ikev1_row(const uint8_t icookie[8], const uint8_t *enc_key, size_t enc_key_len,
		     char *buf, size_t len)
{
	char *p = buf, *end = buf + len;

	if (!put_hex(&p, end, icookie, 8, ",") || !put_hex(&p, end, enc_key, enc_key_len, "")) {
		wipe(buf, len);
		return -EINVAL;
	}
	return 0;
}

/* Append row and a newline in one write. */
static int write_row(int fd, char *row)
{
	size_t n = strlen(row);
	ssize_t w;

	row[n] = '\n';
	do {
		w = write(fd, row, n + 1);
	} while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	return (size_t)w == n + 1 ? 0 : -EIO;
}

int keylog_write_ikev2(struct keylog *k, const struct ike_keylog_ikev2 *keys)
{
	char row[KEYLOG_ROW_MAX + 1];
	int rc = keylog_ikev2_row(keys, row, sizeof(row) - 1);

	if (rc == -ENOTSUP) {
		/* said once at notice level: every later SA would repeat it */
		if (!k->warned_algs)
			log_notice(SUB_DAEMON,
				   "key log: Wireshark cannot decrypt encryption %u (%u bits) "
				   "with integrity %u; such IKE SAs are not logged",
				   keys->encr_id, keys->encr_key_bits, keys->integ_id);
		k->warned_algs = true;
		return rc;
	}
	if (rc == 0)
		rc = write_row(k->fd_v2, row);
	wipe(row, sizeof(row));
	if (rc < 0 && rc != -EINVAL)
		log_err(SUB_DAEMON, "key log: cannot write: %s", strerror(-rc));
	return rc;
}

int keylog_write_ikev1(struct keylog *k, const uint8_t icookie[8], const uint8_t *enc_key,
		       size_t enc_key_len)
{
	char row[KEYLOG_ROW_MAX + 1];
	int rc;

	if (k->fd_v1 < 0) {
		k->fd_v1 = open_append(k->path_v1);
		if (k->fd_v1 < 0) {
			rc = k->fd_v1;
			log_err(SUB_DAEMON, "key log: cannot open %s: %s", k->path_v1,
				strerror(-rc));
			return rc;
		}
	}
	rc = keylog_ikev1_row(icookie, enc_key, enc_key_len, row, sizeof(row) - 1);
	if (rc == 0)
		rc = write_row(k->fd_v1, row);
	wipe(row, sizeof(row));
	return rc;
}

static void keylog_cb_ikev2(void *ctx, const struct ike_keylog_ikev2 *keys)
{
	keylog_write_ikev2(ctx, keys);
}

static void keylog_cb_ikev1(void *ctx, const uint8_t icookie[8], const uint8_t *enc_key, size_t len)
{
	keylog_write_ikev1(ctx, icookie, enc_key, len);
}

void keylog_ike_env(struct keylog *k, struct ike_keylog *out)
{
	out->ctx = k;
	out->ikev2 = k ? keylog_cb_ikev2 : NULL;
	out->ikev1 = k ? keylog_cb_ikev1 : NULL;
}
