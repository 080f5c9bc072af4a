/* record.c: the `record` kernel backend (see record.h). */
#include "kernel/record.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/hex.h"
#include "lib/log.h"

/* RFC 4303 2.1: SPI values 1-255 are reserved by IANA, 0 is local use. */
#define RECORD_SPI_MIN 0x100u

struct record_backend {
	int fd;
	bool own_fd; /* not standard output */
	bool with_keys;
	uint64_t lines, errors;
	/* SPIs handed out: open addressing, 0 = empty slot (never an SPI) */
	uint32_t *spis;
	size_t nspis, cap;
};

struct record_backend *record_open(const char *path, bool with_keys, int *err)
{
	struct record_backend *r = calloc(1, sizeof(*r));

	if (!r) {
		*err = -ENOMEM;
		return NULL;
	}
	if (strcmp(path, "-") == 0) {
		r->fd = STDOUT_FILENO;
	} else {
		r->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (r->fd < 0) {
			*err = -errno;
			free(r);
			return NULL;
		}
		r->own_fd = true;
	}
	r->with_keys = with_keys;
	*err = 0;
	return r;
}

void record_close(struct record_backend *r)
{
	if (!r)
		return;
	if (r->own_fd)
		close(r->fd);
	free(r->spis);
	free(r);
}

uint64_t record_lines(const struct record_backend *r)
{
	return r->lines;
}

uint64_t record_errors(const struct record_backend *r)
{
	return r->errors;
}

/* ---- the set of SPIs handed out ---- */

static size_t spi_slot(const uint32_t *tab, size_t cap, uint32_t spi)
{
	/* cap is a power of two; Knuth's multiplicative hash spreads random keys fine */
	size_t i = (size_t)(spi * 2654435761u) & (cap - 1);

	while (tab[i] != 0 && tab[i] != spi)
		i = (i + 1) & (cap - 1);
	return i;
}

static int spi_set_grow(struct record_backend *r)
{
	size_t ncap = r->cap ? r->cap * 2 : 64;
	uint32_t *n = calloc(ncap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < r->cap; i++)
		if (r->spis[i])
			n[spi_slot(n, ncap, r->spis[i])] = r->spis[i];
	free(r->spis);
	r->spis = n;
	r->cap = ncap;
	return 0;
}

/* Insert spi; false when it was handed out before. */
static bool spi_set_add(struct record_backend *r, uint32_t spi)
{
	size_t i = spi_slot(r->spis, r->cap, spi);

	if (r->spis[i] == spi)
		return false;
	r->spis[i] = spi;
	r->nspis++;
	return true;
}

static int record_alloc_spi(void *ctx, uint8_t proto, const struct ip_addr *src,
			    const struct ip_addr *dst, uint32_t reqid, uint32_t *spi)
{
	struct record_backend *r = ctx;
	uint32_t v;

	/* keep the load under one half so probing stays short */
	if ((r->nspis + 1) * 2 > r->cap && spi_set_grow(r) < 0)
		return -ENOMEM;
	for (int tries = 0; tries < 1000; tries++) {
		if (getrandom(&v, sizeof(v), 0) != sizeof(v))
			return -EIO;
		if (v < RECORD_SPI_MIN || !spi_set_add(r, v))
			continue;
		*spi = v;
		log_debug(SUB_KERNEL, "record: allocated SPI %08x (reqid %u)", v, reqid);
		return 0;
	}
	return -EAGAIN;
}

/* ---- writing lines ---- */

static void set_str(json_t *o, const char *key, const char *val)
{
	json_object_set_new(o, key, val ? json_string(val) : json_null());
}

static void set_uint(json_t *o, const char *key, uint64_t v)
{
	json_object_set_new(o, key, json_integer((json_int_t)v));
}

static void set_addr(json_t *o, const char *key, const struct ip_addr *a)
{
	char buf[IP_ADDR_STRLEN];

	if (a->family == 0)
		json_object_set_new(o, key, json_null());
	else
		set_str(o, key, ip_addr_fmt(a, buf, sizeof(buf)));
}

static void set_ts(json_t *o, const char *key, const struct ts *t)
{
	char buf[TS_STRLEN];

	if (t->lo.family == 0)
		json_object_set_new(o, key, json_null());
	else
		set_str(o, key, ts_fmt(t, buf, sizeof(buf)));
}

static void set_spi(json_t *o, uint32_t spi)
{
	char buf[9];

	snprintf(buf, sizeof(buf), "%08x", spi);
	set_str(o, "spi", buf);
}

static void set_key(json_t *o, const char *key, const uint8_t *p, size_t n)
{
	char *hex = malloc(2 * n + 1);

	if (!hex)
		return;
	set_str(o, key, hex_encode(hex, 2 * n + 1, p, n));
	/* the text copy of a key is as secret as the key */
	memset(hex, 0, 2 * n + 1);
	free(hex);
}

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_ESP:
		return "esp";
	case IPPROTO_AH:
		return "ah";
	default:
		return "unknown";
	}
}

static const char *mode_name(enum kernel_mode m)
{
	return m == KERNEL_MODE_TUNNEL ? "tunnel" : "transport";
}

/* An object with "op" and "time" (UTC, seconds) first. */
static json_t *line_new(const char *op)
{
	json_t *o = json_object();
	char buf[32];
	time_t now = time(NULL);
	struct tm tm;

	if (!o)
		return NULL;
	gmtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	set_str(o, "op", op);
	set_str(o, "time", buf);
	return o;
}

/* Write o as one line and free it. */
static int line_write(struct record_backend *r, json_t *o)
{
	char *text;
	size_t len;
	ssize_t n;
	int rc = 0;

	if (!o)
		return -ENOMEM;
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text)
		return -ENOMEM;
	len = strlen(text);
	text[len] = '\n'; /* replaces the NUL: one write for the whole line */
	do {
		n = write(r->fd, text, len + 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != len + 1) {
		rc = n < 0 ? -errno : -EIO;
		r->errors++;
		log_err(SUB_KERNEL, "record: cannot write the record file: %s", strerror(-rc));
	} else {
		r->lines++;
	}
	memset(text, 0, len); /* may hold keys */
	free(text);
	return rc;
}

static json_t *lifetime_json(const struct kernel_lifetime *l)
{
	json_t *o = json_object();

	set_uint(o, "soft_bytes", l->soft_bytes);
	set_uint(o, "hard_bytes", l->hard_bytes);
	set_uint(o, "soft_packets", l->soft_packets);
	set_uint(o, "hard_packets", l->hard_packets);
	set_uint(o, "soft_seconds", l->soft_seconds);
	set_uint(o, "hard_seconds", l->hard_seconds);
	return o;
}

/* add_sa: op time conn child ike_serial child_serial dir proto spi src dst
 * mode reqid update encr encr_key_bits integ integ_trunc_bits icv_bits
 * ikev2_encr ikev2_integ esn replay_window life{soft_/hard_ bytes, packets,
 * seconds} encap (null or {sport,dport[,oa]}) sel_src sel_dst [encr_key
 * integ_key]. Absent algorithms and selectors are null. */
static int record_add_sa(void *ctx, const struct kernel_sa *sa)
{
	struct record_backend *r = ctx;
	json_t *o = line_new("add_sa");

	if (!o)
		return -ENOMEM;
	set_str(o, "conn", sa->conn_name);
	set_str(o, "child", sa->child_name);
	set_uint(o, "ike_serial", sa->ike_serial);
	set_uint(o, "child_serial", sa->child_serial);
	set_str(o, "dir", sa->inbound ? "in" : "out");
	set_str(o, "proto", proto_name(sa->proto));
	set_spi(o, sa->spi);
	set_addr(o, "src", &sa->src);
	set_addr(o, "dst", &sa->dst);
	set_str(o, "mode", mode_name(sa->mode));
	set_uint(o, "reqid", sa->reqid);
	json_object_set_new(o, "update", json_boolean(sa->update));
	set_str(o, "encr", sa->encr_alg);
	set_uint(o, "encr_key_bits", sa->encr_key_bits);
	set_str(o, "integ", sa->integ_alg);
	set_uint(o, "integ_trunc_bits", sa->integ_trunc_bits);
	set_uint(o, "icv_bits", sa->icv_bits);
	set_uint(o, "ikev2_encr", sa->ikev2_encr);
	set_uint(o, "ikev2_integ", sa->ikev2_integ);
	json_object_set_new(o, "esn", json_boolean(sa->esn));
	set_uint(o, "replay_window", sa->replay_window);
	json_object_set_new(o, "life", lifetime_json(&sa->life));
	if (sa->encap_sport || sa->encap_dport) {
		json_t *e = json_pack("{s:i,s:i}", "sport", (int)sa->encap_sport, "dport",
				      (int)sa->encap_dport);

		if (e && sa->encap_oa.family)
			set_addr(e, "oa", &sa->encap_oa); /* RFC 3947 5.2 NAT-OA */
		json_object_set_new(o, "encap", e);
	} else
		json_object_set_new(o, "encap", json_null());
	set_ts(o, "sel_src", &sa->sel_src);
	set_ts(o, "sel_dst", &sa->sel_dst);
	if (r->with_keys) {
		if (sa->encr_key_len)
			set_key(o, "encr_key", sa->encr_key, sa->encr_key_len);
		if (sa->integ_key_len)
			set_key(o, "integ_key", sa->integ_key, sa->integ_key_len);
	}
	return line_write(r, o);
}

/* del_sa: op time proto spi dst. */
static int record_del_sa(void *ctx, uint8_t proto, uint32_t spi, const struct ip_addr *dst)
{
	struct record_backend *r = ctx;
	json_t *o = line_new("del_sa");

	if (!o)
		return -ENOMEM;
	set_str(o, "proto", proto_name(proto));
	set_spi(o, spi);
	set_addr(o, "dst", dst);
	return line_write(r, o);
}

static const char *dir_name(enum kernel_dir d)
{
	switch (d) {
	case KERNEL_DIR_IN:
		return "in";
	case KERNEL_DIR_OUT:
		return "out";
	case KERNEL_DIR_FWD:
		return "fwd";
	}
	return "unknown";
}

/* add_policy / del_policy: op time conn child child_serial dir src dst
 * priority reqid proto mode tun_src tun_dst (null in transport mode) trap. */
static int record_policy(struct record_backend *r, const char *op, const struct kernel_policy *p)
{
	json_t *o = line_new(op);

	if (!o)
		return -ENOMEM;
	set_str(o, "conn", p->conn_name);
	set_str(o, "child", p->child_name);
	set_uint(o, "child_serial", p->child_serial);
	set_str(o, "dir", dir_name(p->dir));
	set_ts(o, "src", &p->src);
	set_ts(o, "dst", &p->dst);
	set_uint(o, "priority", p->priority);
	set_uint(o, "reqid", p->reqid);
	set_str(o, "proto", proto_name(p->proto));
	set_str(o, "mode", mode_name(p->mode));
	if (p->mode == KERNEL_MODE_TUNNEL) {
		set_addr(o, "tun_src", &p->tun_src);
		set_addr(o, "tun_dst", &p->tun_dst);
	} else {
		json_object_set_new(o, "tun_src", json_null());
		json_object_set_new(o, "tun_dst", json_null());
	}
	json_object_set_new(o, "trap", json_boolean(p->trap));
	return line_write(r, o);
}

static int record_add_policy(void *ctx, const struct kernel_policy *p)
{
	return record_policy(ctx, "add_policy", p);
}

static int record_del_policy(void *ctx, const struct kernel_policy *p)
{
	return record_policy(ctx, "del_policy", p);
}

void record_kernel_ops(struct record_backend *r, struct kernel_ops *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->ctx = r;
	ops->alloc_spi = record_alloc_spi;
	ops->add_sa = record_add_sa;
	ops->del_sa = record_del_sa;
	ops->add_policy = record_add_policy;
	ops->del_policy = record_del_policy;
}
