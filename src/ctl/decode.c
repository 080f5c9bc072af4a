/* decode.c: the decode context, key rows (Wireshark's decryption tables and
 * the golden capture files), golden file input, dispatch by IKE version, and
 * the print helpers shared by decode_v2.c and decode_v1.c. */
#include "ctl/decode.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto/encr.h"
#include "crypto/integ.h"
#include "ctl/decode_int.h"
#include "lib/hex.h"
#include "lib/util.h"
#include "wire/header.h"

#define MAX_FIELDS  12
#define MAX_LINE    65536
#define MAX_KEY_LEN 128

void dc_why(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (!why || n == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

struct decode_ctx *decode_new(FILE *out)
{
	struct decode_ctx *c = calloc(1, sizeof(*c));

	if (c)
		c->out = out;
	return c;
}

void decode_free(struct decode_ctx *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_v2; i++) {
		secret_free(c->v2[i].sk_ei);
		secret_free(c->v2[i].sk_er);
		secret_free(c->v2[i].sk_ai);
		secret_free(c->v2[i].sk_ar);
	}
	for (size_t i = 0; i < c->n_v1; i++)
		secret_free(c->v1[i].enc_key);
	free(c->v2);
	free(c->v1);
	decode_v1_free(c);
	free(c);
}

/* --- key rows --- */

/* Wireshark's names of IKEv2 encryption algorithms (packet-isakmp.c
 * vs_ikev2_encr_algs, as strongSwan's save-keys plugin writes them). */
static const struct {
	const char *name;
	uint16_t id;
	uint16_t bits;
} ws_encr[] = {
	{"3DES [RFC2451]", 3, 0},
	{"AES-CBC-128 [RFC3602]", 12, 128},
	{"AES-CBC-192 [RFC3602]", 12, 192},
	{"AES-CBC-256 [RFC3602]", 12, 256},
	{"AES-CTR-128 [RFC5930]", 13, 128},
	{"AES-CTR-192 [RFC5930]", 13, 192},
	{"AES-CTR-256 [RFC5930]", 13, 256},
	{"AES-GCM-128 with 8 octet ICV [RFC5282]", 18, 128},
	{"AES-GCM-192 with 8 octet ICV [RFC5282]", 18, 192},
	{"AES-GCM-256 with 8 octet ICV [RFC5282]", 18, 256},
	{"AES-GCM-128 with 12 octet ICV [RFC5282]", 19, 128},
	{"AES-GCM-192 with 12 octet ICV [RFC5282]", 19, 192},
	{"AES-GCM-256 with 12 octet ICV [RFC5282]", 19, 256},
	{"AES-GCM-128 with 16 octet ICV [RFC5282]", 20, 128},
	{"AES-GCM-192 with 16 octet ICV [RFC5282]", 20, 192},
	{"AES-GCM-256 with 16 octet ICV [RFC5282]", 20, 256},
};

static const struct {
	const char *name;
	uint16_t id;
} ws_integ[] = {
	{"NONE [RFC4306]", 0},
	{"HMAC_MD5_96 [RFC2403]", 1},
	{"HMAC_SHA1_96 [RFC2404]", 2},
	{"HMAC_MD5_128 [RFC4595]", 6},
	{"HMAC_SHA1_160 [RFC4595]", 7},
	{"HMAC_SHA2_256_128 [RFC4868]", 12},
	{"HMAC_SHA2_384_192 [RFC4868]", 13},
	{"HMAC_SHA2_512_256 [RFC4868]", 14},
};

/* Split a row into fields: either `name=value` words (values optionally in
 * double quotes) or CSV (fields optionally in double quotes). Modifies line;
 * keys[i] is NULL for CSV. Returns the number of fields, -1 on a bad quote. */
static int split_row(char *line, char **keys, char **vals, int max, bool kv)
{
	int nf = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '\n' || *p == '\r')
			break;
		if (nf == max)
			return -1;
		keys[nf] = NULL;
		if (kv) {
			keys[nf] = p;
			p = strchr(p, '=');
			if (!p)
				return -1;
			*p++ = '\0';
		}
		if (*p == '"') {
			vals[nf] = ++p;
			p = strchr(p, '"');
			if (!p)
				return -1;
			*p++ = '\0';
		} else {
			vals[nf] = p;
			p += strcspn(p, kv ? " \t\r\n" : ",\r\n");
		}
		nf++;
		if (!kv) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != ',') {
				if (*p)
					*p++ = '\0';
				break;
			}
			*p++ = '\0';
			continue;
		}
		if (*p)
			*p++ = '\0';
	}
	if (!kv) /* trailing spaces of unquoted CSV fields */
		for (int i = 0; i < nf; i++)
			for (size_t l = strlen(vals[i]);
			     l && isspace((unsigned char)vals[i][l - 1]); l--)
				vals[i][l - 1] = '\0';
	return nf;
}

static const char *field(char **keys, char **vals, int nf, int idx, const char *key)
{
	if (!keys[0]) /* CSV */
		return idx < nf ? vals[idx] : NULL;
	for (int i = 0; i < nf; i++)
		if (strcmp(keys[i], key) == 0)
			return vals[i];
	return NULL;
}

static int hex_field(const char *v, const char *what, uint8_t *out, size_t cap, size_t *len,
		     char *why, size_t n)
{
	long r;

	if (!v) {
		dc_why(why, n, "key row: missing %s", what);
		return -EINVAL;
	}
	r = hex_decode(out, cap, v);
	if (r < 0) {
		dc_why(why, n, "key row: %s is not hex of at most %zu bytes: \"%.40s\"", what, cap,
		       v);
		return -EINVAL;
	}
	*len = (size_t)r;
	return 0;
}

static int spi_field(const char *v, const char *what, uint8_t out[8], char *why, size_t n)
{
	size_t len;

	if (hex_field(v, what, out, 8, &len, why, n) < 0)
		return -EINVAL;
	if (len != 8) {
		dc_why(why, n, "key row: %s must be 8 bytes (16 hex digits), got %zu", what, len);
		return -EINVAL;
	}
	return 0;
}

static int secret_field(const char *v, const char *what, size_t want, struct secret **out,
			char *why, size_t n)
{
	uint8_t buf[MAX_KEY_LEN];
	size_t len;
	int r = hex_field(v, what, buf, sizeof(buf), &len, why, n);

	if (r == 0 && want && len != want) {
		dc_why(why, n, "key row: %s must be %zu bytes for the algorithm, got %zu", what,
		       want, len);
		r = -EINVAL;
	}
	if (r == 0) {
		*out = secret_from(buf, len);
		if (!*out)
			r = -ENOMEM;
	}
	wipe(buf, sizeof(buf));
	return r;
}

static int v2_algs(struct v2_key *k, const char *encr, const char *integ, char *why, size_t n)
{
	size_t i;

	for (i = 0; encr && i < ARRAY_SIZE(ws_encr) && strcmp(encr, ws_encr[i].name) != 0; i++)
		;
	if (!encr || i == ARRAY_SIZE(ws_encr)) {
		dc_why(why, n,
		       "key row: unknown encryption algorithm \"%s\" (expected a Wireshark "
		       "name such as \"AES-CBC-128 [RFC3602]\")",
		       encr ? encr : "");
		return -EINVAL;
	}
	k->encr = encr_by_ikev2_id(ws_encr[i].id);
	k->key_bits = ws_encr[i].bits;
	if (!k->encr) {
		dc_why(why, n, "key row: encryption algorithm \"%s\" is not implemented", encr);
		return -EINVAL;
	}
	snprintf(k->encr_name, sizeof(k->encr_name), "%s", encr);
	for (i = 0; integ && i < ARRAY_SIZE(ws_integ) && strcmp(integ, ws_integ[i].name) != 0; i++)
		;
	if (!integ || i == ARRAY_SIZE(ws_integ)) {
		dc_why(why, n,
		       "key row: unknown integrity algorithm \"%s\" (expected a Wireshark "
		       "name such as \"HMAC_SHA2_256_128 [RFC4868]\")",
		       integ ? integ : "");
		return -EINVAL;
	}
	snprintf(k->integ_name, sizeof(k->integ_name), "%s", integ);
	k->integ = ws_integ[i].id ? integ_by_ikev2_id(ws_integ[i].id) : NULL;
	if (ws_integ[i].id && !k->integ) {
		dc_why(why, n, "key row: integrity algorithm \"%s\" is not implemented", integ);
		return -EINVAL;
	}
	if (k->encr->aead != !k->integ) {
		dc_why(why, n, "key row: %s needs %s", encr,
		       k->encr->aead ? "integrity \"NONE [RFC4306]\"" : "an integrity algorithm");
		return -EINVAL;
	}
	return 0;
}

static int add_v2_row(struct decode_ctx *c, char **keys, char **vals, int nf, char *why, size_t n)
{
	struct v2_key k = {0}, *v;
	size_t klen;
	int r;

	if ((r = spi_field(field(keys, vals, nf, 0, "spi_i"), "SPIi", k.spi_i, why, n)) < 0 ||
	    (r = spi_field(field(keys, vals, nf, 1, "spi_r"), "SPIr", k.spi_r, why, n)) < 0 ||
	    (r = v2_algs(&k, field(keys, vals, nf, 4, "encr"), field(keys, vals, nf, 7, "integ"),
			 why, n)) < 0)
		return r;
	klen = encr_keymat_len(k.encr, k.key_bits);
	if ((r = secret_field(field(keys, vals, nf, 2, "sk_ei"), "SK_ei", klen, &k.sk_ei, why, n)) <
		    0 ||
	    (r = secret_field(field(keys, vals, nf, 3, "sk_er"), "SK_er", klen, &k.sk_er, why, n)) <
		    0)
		goto fail;
	if (k.integ && ((r = secret_field(field(keys, vals, nf, 5, "sk_ai"), "SK_ai",
					  k.integ->key_len, &k.sk_ai, why, n)) < 0 ||
			(r = secret_field(field(keys, vals, nf, 6, "sk_ar"), "SK_ar",
					  k.integ->key_len, &k.sk_ar, why, n)) < 0))
		goto fail;
	v = realloc(c->v2, (c->n_v2 + 1) * sizeof(*v));
	if (!v) {
		r = -ENOMEM;
		goto fail;
	}
	c->v2 = v;
	c->v2[c->n_v2++] = k;
	return 0;
fail:
	secret_free(k.sk_ei);
	secret_free(k.sk_er);
	secret_free(k.sk_ai);
	secret_free(k.sk_ar);
	return r;
}

static int add_v1_row(struct decode_ctx *c, char **keys, char **vals, int nf, char *why, size_t n)
{
	struct v1_key k = {0}, *v;
	int r;

	if ((r = spi_field(field(keys, vals, nf, 0, "cky_i"), "CKY-I", k.cky_i, why, n)) < 0 ||
	    (r = secret_field(field(keys, vals, nf, 1, "enc_key"), "encryption key", 0, &k.enc_key,
			      why, n)) < 0)
		return r;
	v = realloc(c->v1, (c->n_v1 + 1) * sizeof(*v));
	if (!v) {
		secret_free(k.enc_key);
		return -ENOMEM;
	}
	c->v1 = v;
	c->v1[c->n_v1++] = k;
	return 0;
}

int decode_add_key_row(struct decode_ctx *c, const char *row, char *why, size_t n)
{
	char *keys[MAX_FIELDS], *vals[MAX_FIELDS];
	char *line, *p;
	bool kv = false;
	int nf, r = -EINVAL;

	while (*row == ' ' || *row == '\t')
		row++;
	if (!*row || *row == '#' || *row == '\n' || *row == '\r')
		return 0;
	line = strdup(row);
	if (!line)
		return -ENOMEM;
	p = line;
	if (strncmp(p, "ikev2_keys ", 11) == 0 || strncmp(p, "ikev1_keys ", 11) == 0) {
		kv = true;
		p += 11;
	}
	nf = split_row(p, keys, vals, MAX_FIELDS, kv);
	if (nf < 0)
		dc_why(why, n, "key row: unbalanced quote or a field without '='");
	else if (kv ? line[4] == '2' : nf == 8)
		r = add_v2_row(c, keys, vals, nf, why, n);
	else if (kv || nf == 2)
		r = add_v1_row(c, keys, vals, nf, why, n);
	else
		dc_why(why, n,
		       "key row: expected 8 fields (ikev2_decryption_table) or 2 "
		       "(ikev1_decryption_table), got %d",
		       nf);
	wipe(line, strlen(row));
	free(line);
	return r;
}

static bool golden_only_line(const char *s)
{
	return strncmp(s, "msg ", 4) == 0 || strncmp(s, "session ", 8) == 0 ||
	       strncmp(s, "ike_version ", 12) == 0;
}

/* Call fn for each line of path; errors get "path:line: " in front. */
static int each_line(const char *path, int (*fn)(void *arg, char *line, char *why, size_t n),
		     void *arg, char *why, size_t n)
{
	FILE *f = fopen(path, "r");
	char *line;
	unsigned no = 0;
	int r = 0;

	if (!f) {
		r = -errno;
		dc_why(why, n, "%s: %s", path, strerror(errno));
		return r;
	}
	line = malloc(MAX_LINE);
	if (!line) {
		fclose(f);
		return -ENOMEM;
	}
	while (r == 0 && fgets(line, MAX_LINE, f)) {
		char tmp[256];

		no++;
		r = fn(arg, line, tmp, sizeof(tmp));
		if (r < 0)
			dc_why(why, n, "%s:%u: %s", path, no, tmp);
	}
	wipe(line, MAX_LINE);
	free(line);
	fclose(f);
	return r;
}

static int key_file_line(void *arg, char *line, char *why, size_t n)
{
	if (golden_only_line(line))
		return 0;
	return decode_add_key_row(arg, line, why, n);
}

int decode_add_key_file(struct decode_ctx *c, const char *path, char *why, size_t n)
{
	return each_line(path, key_file_line, c, why, n);
}

/* "192.0.2.1:500" or "[2001:db8::1]:500" */
static int parse_endpoint(char *s, int *family, uint8_t *addr, uint16_t *port)
{
	char *colon = strrchr(s, ':');
	unsigned long p;
	char *end;

	if (!colon)
		return -EINVAL;
	*colon = '\0';
	p = strtoul(colon + 1, &end, 10);
	if (*end || p > 65535)
		return -EINVAL;
	*port = (uint16_t)p;
	if (s[0] == '[' && s[strlen(s) - 1] == ']') {
		s[strlen(s) - 1] = '\0';
		*family = AF_INET6;
		return inet_pton(AF_INET6, s + 1, addr) == 1 ? 0 : -EINVAL;
	}
	*family = AF_INET;
	return inet_pton(AF_INET, s, addr) == 1 ? 0 : -EINVAL;
}

struct golden_arg {
	struct decode_ctx *c;
	struct ike_datagrams *msgs;
};

/* msg N SRC -> DST HEX */
static int golden_line(void *arg, char *line, char *why, size_t n)
{
	struct golden_arg *g = arg;
	struct ike_datagram d = {0};
	char *tok[6], *save = NULL;
	int i, r, fam2;
	long len;

	if (strncmp(line, "msg ", 4) != 0)
		return golden_only_line(line) ? 0 : decode_add_key_row(g->c, line, why, n);
	for (i = 0; i < 6; i++)
		if (!(tok[i] = strtok_r(i ? NULL : line, " \t\r\n", &save)))
			break;
	if (i < 6 || strcmp(tok[3], "->") != 0) {
		dc_why(why, n, "expected \"msg N SRC:PORT -> DST:PORT HEX\"");
		return -EINVAL;
	}
	d.frame = (unsigned)strtoul(tok[1], NULL, 10);
	if (parse_endpoint(tok[2], &d.family, d.src, &d.sport) < 0 ||
	    parse_endpoint(tok[4], &fam2, d.dst, &d.dport) < 0 || fam2 != d.family) {
		dc_why(why, n, "bad address:port in msg %u", d.frame);
		return -EINVAL;
	}
	d.data = malloc(strlen(tok[5]) / 2 + 1);
	if (!d.data)
		return -ENOMEM;
	len = hex_decode(d.data, strlen(tok[5]) / 2 + 1, tok[5]);
	if (len < 0) {
		free(d.data);
		dc_why(why, n, "msg %u: bad hex", d.frame);
		return -EINVAL;
	}
	d.len = (size_t)len;
	r = ike_datagrams_add(g->msgs, &d);
	free(d.data);
	return r;
}

int decode_read_golden(struct decode_ctx *c, const char *path, struct ike_datagrams *msgs,
		       char *why, size_t n)
{
	struct golden_arg g = {c, msgs};

	return each_line(path, golden_line, &g, why, n);
}

/* --- dispatch --- */

/* Whether the first four bytes are the non-ESP marker (RFC 3948 2.2) rather
 * than the start of an IKE SPI: the port says so, or, without a port, the
 * ISAKMP Length after them matches. */
static bool has_marker(const struct ike_datagram *d)
{
	const uint8_t *p = d->data;

	if (!pcap_is_non_esp(p, d->len))
		return false;
	if (d->sport == IKE_NATT_PORT || d->dport == IKE_NATT_PORT)
		return true;
	if (d->family || d->len < 4 + ISAKMP_HDR_LEN)
		return false;
	return ((size_t)p[28] << 24 | (size_t)p[29] << 16 | (size_t)p[30] << 8 | p[31]) ==
	       d->len - 4;
}

int decode_datagram(struct decode_ctx *c, unsigned num, const struct ike_datagram *d, char *why,
		    size_t n)
{
	char s[64], t[64], frame[32] = "";
	const uint8_t *msg = d->data;
	size_t len = d->len;
	bool marker = has_marker(d);
	unsigned major;

	if (marker) {
		msg += 4;
		len -= 4;
	}
	if (d->frame && d->frame != num)
		snprintf(frame, sizeof(frame), " (frame %u)", d->frame);
	if (d->family)
		fprintf(c->out, "message %u%s: %s -> %s, %zu bytes%s\n", num, frame,
			ike_datagram_endpoint(d, true, s, sizeof(s)),
			ike_datagram_endpoint(d, false, t, sizeof(t)), len,
			marker ? " after the non-ESP marker" : "");
	else
		fprintf(c->out, "message %u: %zu bytes%s\n", num, len,
			marker ? " after the non-ESP marker" : "");
	major = isakmp_peek_major(msg, len);
	if (len < ISAKMP_HDR_LEN) {
		dc_why(why, n, "offset 0: expected an ISAKMP header of 28 bytes, got %zu", len);
		return -1;
	}
	if (major == 2)
		return decode_v2_message(c, d, msg, len, why, n);
	if (major == 1)
		return decode_v1_message(c, d, msg, len, why, n);
	dc_why(why, n, "offset 17: major version %u, expected 1 (IKEv1) or 2 (IKEv2)", major);
	return -1;
}

/* --- print helpers --- */

void dc_line(struct decode_ctx *c, int indent, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->out, "%*s", indent * 2, "");
	va_start(ap, fmt);
	vfprintf(c->out, fmt, ap);
	va_end(ap);
	fputc('\n', c->out);
}

void dc_hex(struct decode_ctx *c, int indent, const char *label, struct span s)
{
	char buf[2 * 32 + 1];

	if (s.len <= 32) {
		dc_line(c, indent, "%s: %zu bytes%s%s", label, s.len, s.len ? " " : "",
			hex_encode(buf, sizeof(buf), s.p, s.len));
		return;
	}
	dc_line(c, indent, "%s: %zu bytes", label, s.len);
	for (size_t off = 0; off < s.len; off += 32)
		dc_line(c, indent + 1, "%s",
			hex_encode(buf, sizeof(buf), s.p + off, MIN((size_t)32, s.len - off)));
}

const char *dc_name(const struct enum_names *t, unsigned v, char *buf, size_t n)
{
	const char *name = t ? enum_name(t, v) : NULL;

	snprintf(buf, n, "%s (%u)", name ? name : "UNKNOWN", v);
	return buf;
}

const char *dc_hexstr(struct span s, char *buf, size_t n)
{
	if (n == 0)
		return buf;
	buf[0] = '\0';
	if (s.len > (n - 1) / 2)
		s.len = (n - 1) / 2;
	return hex_encode(buf, n, s.p, s.len);
}

const char *dc_addr(struct span a, char *buf, size_t n)
{
	if (a.len == 4 || a.len == 16) {
		if (inet_ntop(a.len == 4 ? AF_INET : AF_INET6, a.p, buf, (socklen_t)n))
			return buf;
	}
	return dc_hexstr(a, buf, n);
}

const char *dc_text(struct span s, char *buf, size_t n)
{
	size_t o = 0;

	if (n < 8) {
		if (n)
			buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (size_t i = 0; i < s.len && o + 6 < n; i++) {
		uint8_t ch = s.p[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", ch);
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* DER (X.690 8.1): tag, length (short or long form up to 4 octets), value. */
static bool der_next(struct cursor *c, uint8_t *tag, struct span *v)
{
	uint8_t l, b;
	size_t len = 0;

	if (cur_u8(c, tag) < 0 || cur_u8(c, &l) < 0)
		return false;
	if (l & 0x80) {
		if ((l & 0x7f) == 0 || (l & 0x7f) > 4)
			return false;
		for (unsigned i = 0; i < (l & 0x7fu); i++) {
			if (cur_u8(c, &b) < 0)
				return false;
			len = len << 8 | b;
		}
	} else {
		len = l;
	}
	return cur_span(c, len, v) == 0;
}

static const char *dn_attr_name(struct span oid)
{
	static const struct {
		uint8_t last;
		const char *name;
	} x520[] = {{3, "CN"}, {5, "serialNumber"}, {6, "C"},  {7, "L"},
		    {8, "ST"}, {10, "O"},	    {11, "OU"}};
	static const uint8_t email[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01};

	if (oid.len == 3 && oid.p[0] == 0x55 && oid.p[1] == 0x04)
		for (size_t i = 0; i < ARRAY_SIZE(x520); i++)
			if (x520[i].last == oid.p[2])
				return x520[i].name;
	if (oid.len == sizeof(email) && memcmp(oid.p, email, sizeof(email)) == 0)
		return "E";
	return NULL;
}

const char *dc_dn(struct span s, char *buf, size_t n)
{
	struct cursor c, rdns, set, atv;
	struct span seq, v, oid, val;
	uint8_t tag;
	size_t o = 0;

	cur_init(&c, s.p, s.len);
	if (!der_next(&c, &tag, &seq) || tag != 0x30 || cur_left(&c))
		return dc_hexstr(s, buf, n);
	cur_init(&rdns, seq.p, seq.len);
	buf[0] = '\0';
	while (cur_left(&rdns)) {
		if (!der_next(&rdns, &tag, &v) || tag != 0x31)
			return dc_hexstr(s, buf, n);
		cur_init(&set, v.p, v.len);
		while (cur_left(&set)) {
			const char *name;

			if (!der_next(&set, &tag, &v) || tag != 0x30)
				return dc_hexstr(s, buf, n);
			cur_init(&atv, v.p, v.len);
			if (!der_next(&atv, &tag, &oid) || tag != 0x06 ||
			    !der_next(&atv, &tag, &val))
				return dc_hexstr(s, buf, n);
			char text[256];
			size_t t = 0;

			/* printable ASCII only: a DN comes from the peer */
			for (size_t i = 0; i < val.len && t + 1 < sizeof(text); i++)
				text[t++] =
					val.p[i] >= 0x20 && val.p[i] < 0x7f ? (char)val.p[i] : '?';
			text[t] = '\0';
			name = dn_attr_name(oid);
			o += (size_t)snprintf(buf + o, o < n ? n - o : 0, "%s%s=%s", o ? ", " : "",
					      name ? name : "?", text);
			if (o >= n)
				return buf;
		}
	}
	return buf;
}

/* RFC 5280 4.1: Certificate ::= SEQUENCE { tbsCertificate SEQUENCE {
 * [0] version OPTIONAL, serialNumber, signature, issuer, validity, subject,
 * ... } ... }: the issuer and subject Names as spans. */
static bool cert_names(struct span cert, struct span *issuer, struct span *subject)
{
	struct cursor c, tbs;
	struct span v, tbs_body;
	uint8_t tag;
	const uint8_t *start;

	cur_init(&c, cert.p, cert.len);
	if (!der_next(&c, &tag, &v) || tag != 0x30)
		return false;
	cur_init(&c, v.p, v.len);
	if (!der_next(&c, &tag, &tbs_body) || tag != 0x30)
		return false;
	cur_init(&tbs, tbs_body.p, tbs_body.len);
	if (!der_next(&tbs, &tag, &v))
		return false;
	if (tag == 0xa0 && !der_next(&tbs, &tag, &v)) /* version, then serialNumber */
		return false;
	if (tag != 0x02 || !der_next(&tbs, &tag, &v) || tag != 0x30) /* signature */
		return false;
	start = tbs.p + tbs.off;
	if (!der_next(&tbs, &tag, &v) || tag != 0x30)
		return false;
	*issuer = (struct span){start, (size_t)(v.p + v.len - start)};
	if (!der_next(&tbs, &tag, &v) || tag != 0x30) /* validity */
		return false;
	start = tbs.p + tbs.off;
	if (!der_next(&tbs, &tag, &v) || tag != 0x30)
		return false;
	*subject = (struct span){start, (size_t)(v.p + v.len - start)};
	return true;
}

void dc_cert(struct decode_ctx *c, int indent, struct span cert)
{
	struct span issuer, subject;
	char buf[512];

	if (!cert_names(cert, &issuer, &subject))
		return;
	dc_line(c, indent, "subject: %s", dc_dn(subject, buf, sizeof(buf)));
	dc_line(c, indent, "issuer: %s", dc_dn(issuer, buf, sizeof(buf)));
}

/* --- the verb --- */

static const char decode_usage[] =
	"Usage: oakctl decode [--keys FILE]... [--ikev2-key ROW]... [--ikev1-key ROW]...\n"
	"                     (HEX... | --pcap FILE | --golden FILE)\n"
	"\n"
	"Print IKE messages field by field and decrypt the encrypted ones. No daemon needed.\n"
	"  HEX             a UDP payload in hex (the 4-byte non-ESP marker may lead)\n"
	"  --pcap FILE     every UDP 500/4500 datagram of a pcap or pcapng capture\n"
	"  --golden FILE   a golden capture (tests/vectors/captures/NAME.txt): keys and messages\n"
	"  --keys FILE     key rows: Wireshark's ikev2_decryption_table / ikev1_decryption_table\n"
	"                  files, or a golden capture's ikev2_keys / ikev1_keys lines\n"
	"  --ikev2-key ROW SPIi,SPIr,SK_ei,SK_er,\"ENCR\",SK_ai,SK_ar,\"INTEG\" (Wireshark names,\n"
	"                  e.g. \"AES-CBC-128 [RFC3602]\", \"HMAC_SHA2_256_128 [RFC4868]\")\n"
	"  --ikev1-key ROW CKY-I,enc_key\n"
	"IKEv1 IVs need the whole exchange: give every message from Main/Aggressive Mode on.\n"
	"Exit status: 0 all decoded, 1 a message failed (the others are still printed), 2 usage.\n";

/* Hex text of a command line argument: its bytes, or -1 with why naming the
 * first character that is not a hex digit. */
static long arg_hex(const char *s, uint8_t **out, char *why, size_t n)
{
	size_t digits = 0, i;
	long len;

	for (i = 0; s[i]; i++) {
		if (isxdigit((unsigned char)s[i]))
			digits++;
		else if (s[i] != ':' && !isspace((unsigned char)s[i]))
			break;
	}
	if (s[i]) {
		dc_why(why, n, "not hex: character %zu is '%c'", i, s[i]);
		return -1;
	}
	if (digits % 2) {
		dc_why(why, n, "not hex: odd number of hex digits (%zu)", digits);
		return -1;
	}
	*out = malloc(digits / 2 + 1);
	if (!*out)
		return -1;
	len = hex_decode(*out, digits / 2 + 1, s);
	if (len < 0) {
		free(*out);
		dc_why(why, n, "not hex");
	}
	return len;
}

enum { OPT_KEYS = 'k', OPT_PCAP = 'p', OPT_GOLDEN = 'g', OPT_V2KEY = 256, OPT_V1KEY };

static const struct option decode_opts[] = {
	{"keys", required_argument, NULL, OPT_KEYS},
	{"ikev2-key", required_argument, NULL, OPT_V2KEY},
	{"ikev1-key", required_argument, NULL, OPT_V1KEY},
	{"pcap", required_argument, NULL, OPT_PCAP},
	{"golden", required_argument, NULL, OPT_GOLDEN},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Add the key option `opt` with argument arg; -1 with why on error. */
static int decode_key_opt(struct decode_ctx *c, int opt, const char *arg, char *why, size_t n)
{
	size_t v2 = c->n_v2, v1 = c->n_v1;

	if (opt == OPT_KEYS)
		return decode_add_key_file(c, arg, why, n) < 0 ? -1 : 0;
	if (decode_add_key_row(c, arg, why, n) < 0)
		return -1;
	if (opt == OPT_V2KEY ? c->n_v2 == v2 : c->n_v1 == v1) {
		dc_why(why, n, "--%s: expected an %s row",
		       opt == OPT_V2KEY ? "ikev2-key" : "ikev1-key",
		       opt == OPT_V2KEY ? "ikev2_decryption_table" : "ikev1_decryption_table");
		return -1;
	}
	return 0;
}

/* Gather the datagrams of the input: pcap, golden file or hex arguments. */
static int decode_input(struct decode_ctx *c, const char *pcap, const char *golden, int nhex,
			char **hex, struct ike_datagrams *l, char *why, size_t n)
{
	if (pcap)
		return pcap_read_ike(pcap, l, why, n) < 0 ? -1 : 0;
	if (golden)
		return decode_read_golden(c, golden, l, why, n) < 0 ? -1 : 0;
	for (int i = 0; i < nhex; i++) {
		struct ike_datagram d = {0};
		char tmp[128];
		long len = arg_hex(hex[i], &d.data, tmp, sizeof(tmp));

		if (len < 0) {
			dc_why(why, n, "argument %d: %s", i + 1, tmp);
			return -1;
		}
		d.len = (size_t)len;
		len = ike_datagrams_add(l, &d);
		free(d.data);
		if (len < 0)
			return -1;
	}
	return 0;
}

int decode_main(int argc, char *argv[])
{
	const char *pcap = NULL, *golden = NULL;
	struct ike_datagrams l = {0};
	struct decode_ctx *c = decode_new(stdout);
	char why[512];
	int opt, ret = 0;

	if (!c)
		return 1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+hk:p:g:", decode_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_KEYS:
		case OPT_V2KEY:
		case OPT_V1KEY:
			if (decode_key_opt(c, opt, optarg, why, sizeof(why)) < 0) {
				fprintf(stderr, "decode: %s\n", why);
				ret = 1;
				goto out;
			}
			break;
		case OPT_PCAP:
			pcap = optarg;
			break;
		case OPT_GOLDEN:
			golden = optarg;
			break;
		case 'h':
			fputs(decode_usage, stdout);
			goto out;
		default:
			ret = 2;
			goto usage;
		}
	}
	if ((pcap != NULL) + (golden != NULL) + (optind < argc) != 1) {
		fprintf(stderr,
			"decode: give exactly one input: HEX, --pcap FILE or --golden FILE\n");
		ret = 2;
		goto usage;
	}
	if (decode_input(c, pcap, golden, argc - optind, argv + optind, &l, why, sizeof(why)) < 0) {
		fprintf(stderr, "decode: %s\n", why);
		ret = 1;
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		unsigned num = golden ? l.v[i].frame : (unsigned)i + 1;

		if (i)
			fputc('\n', stdout);
		if (decode_datagram(c, num, &l.v[i], why, sizeof(why)) < 0) {
			fflush(stdout);
			fprintf(stderr, "decode: message %u: %s\n", num, why);
			ret = 1;
		}
	}
	if (pcap && l.n == 0) {
		fprintf(stderr,
			"decode: %s: no IKE message (UDP port 500 or 4500) in the capture\n", pcap);
		ret = 1;
	}
	goto out;
usage:
	fputs(decode_usage, stderr);
out:
	ike_datagrams_free(&l);
	decode_free(c);
	return ret;
}
