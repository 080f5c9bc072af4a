/* schema.c: the names oakd accepts (swanctl.conf(5) of strongSwan 5.9.8 plus
 * daemon { }), and the check of a tree against them (see schema.h). */
#include "conf/schema.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "lib/util.h"

#define ROW(n, t)                                                                                  \
	{                                                                                          \
		.name = (n), .type = (t)                                                           \
	}
#define UINT(n, m)                                                                                 \
	{                                                                                          \
		.name = (n), .type = CONF_T_UINT, .max = (m)                                       \
	}
#define CHOICE(n, c)                                                                               \
	{                                                                                          \
		.name = (n), .type = CONF_T_ENUM, .choices = (c)                                   \
	}
#define CHECKED(n, f)                                                                              \
	{                                                                                          \
		.name = (n), .type = CONF_T_STR, .check = (f)                                      \
	}
#define SECTION(n, fl, s)                                                                          \
	{                                                                                          \
		.name = (n), .type = CONF_T_SECTION, .flags = (fl), .sub = (s)                     \
	}
#define UNSUPPORTED(n, t)                                                                          \
	{                                                                                          \
		.name = (n), .type = (t), .flags = CONF_S_UNSUPPORTED                              \
	}
#define UNSUPPORTED_PREFIX(n)                                                                      \
	{                                                                                          \
		.name = (n), .type = CONF_T_SECTION, .flags = CONF_S_PREFIX | CONF_S_UNSUPPORTED   \
	}
#define END                                                                                        \
	{                                                                                          \
		.name = NULL, .type = CONF_T_END                                                   \
	}

/* ---- value checks beyond the plain types ---- */

/* dscp: six binary digits (RFC 2474 codepoint), as vici_config.c's parse_dscp */
static int check_dscp(const struct conf_node *n, struct conf_err *err)
{
	size_t len = strspn(n->value, "01");

	if (len == 0 || len > 6 || n->value[len]) {
		conf_err_set(err, n->file, n->line,
			     "%s: expected six binary digits like 101110, got '%.80s'", n->name,
			     n->value);
		return -EINVAL;
	}
	return 0;
}

/* tfc_padding: a byte count, or "mtu" */
static int check_tfc(const struct conf_node *n, struct conf_err *err)
{
	uint64_t v;

	if (strcmp(n->value, "mtu") == 0 || (conf_str_uint(n->value, &v) == 0 && v <= UINT32_MAX))
		return 0;
	conf_err_set(err, n->file, n->line, "%s: expected a size in bytes or mtu, got '%.80s'",
		     n->name, n->value);
	return -EINVAL;
}

/* daemon.log: <subsystem> = <level>, names from lib/log.h */
static int check_log(const struct conf_node *n, struct conf_err *err)
{
	char names[160] = "all";
	size_t used = strlen(names);
	bool known = strcmp(n->name, "all") == 0;
	int i;

	for (i = 0; i < SUB_COUNT; i++) {
		int w;

		known = known || strcmp(n->name, log_sub_name((enum log_sub)i)) == 0;
		w = snprintf(names + used, sizeof(names) - used, ", %s",
			     log_sub_name((enum log_sub)i));
		if (w > 0 && (size_t)w < sizeof(names) - used)
			used += (size_t)w;
	}
	if (!known) {
		conf_err_set(err, n->file, n->line, "unknown log subsystem '%s' (expected %s)",
			     n->name, names);
		return -EINVAL;
	}
	if (n->value[0] >= '3' && n->value[0] <= '8' && !n->value[1])
		return 0;
	for (i = LVL_ERR; i <= LVL_TRACE; i++)
		if (strcasecmp(n->value, log_level_name((enum log_level)i)) == 0)
			return 0;
	conf_err_set(err, n->file, n->line,
		     "%s: expected a log level (err, warn, notice, info, debug, trace or 3-8), "
		     "got '%.80s'",
		     n->name, n->value);
	return -EINVAL;
}

/* ---- choices, as charon's vici_config.c accepts them ---- */

static const char *const fragmentation_choices[] = {"yes", "accept", "no", "force", NULL};
static const char *const childless_choices[] = {"allow", "force", "never", NULL};
static const char *const send_cert_choices[] = {"always", "never", "ifasked", NULL};
static const char *const unique_choices[] = {"never", "no", "keep", "replace", NULL};
static const char *const revocation_choices[] = {"strict", "ifuri", "relaxed", NULL};
static const char *const mode_choices[] = {"tunnel", "transport", "transport_proxy", "beet", "pass",
					   "drop",   NULL};
static const char *const action_choices[] = {
	"none", "clear", "trap", "route", "start", "restart", "trap|start", "start|trap", NULL};
static const char *const hw_offload_choices[] = {"no", "yes", "auto", NULL};
static const char *const copy_dscp_choices[] = {"out", "in", "yes", "no", NULL};
static const char *const kernel_choices[] = {"xfrm", "record", NULL};

/* ---- tables ---- */

/* connections.<conn>.local<suffix>.cert<suffix>, remote: also cacert<suffix> */
static const struct conf_schema cert_rows[] = {
	ROW("file", CONF_T_STR),	 UNSUPPORTED("handle", CONF_T_STR), /* PKCS#11 tokens */
	UNSUPPORTED("slot", CONF_T_STR), UNSUPPORTED("module", CONF_T_STR), END,
};

static const struct conf_schema local_rows[] = {
	UINT("round", 0),
	ROW("certs", CONF_T_LIST),
	SECTION("cert", CONF_S_PREFIX, cert_rows),
	ROW("pubkeys", CONF_T_LIST),
	ROW("auth", CONF_T_STR),
	ROW("id", CONF_T_STR),
	ROW("eap_id", CONF_T_STR),
	ROW("aaa_id", CONF_T_STR),
	ROW("xauth_id", CONF_T_STR),
	END,
};

static const struct conf_schema remote_rows[] = {
	UINT("round", 0),
	ROW("id", CONF_T_STR),
	ROW("eap_id", CONF_T_STR),
	UNSUPPORTED("groups", CONF_T_LIST), /* needs attribute certificates or AAA */
	ROW("cert_policy", CONF_T_LIST),
	ROW("certs", CONF_T_LIST),
	SECTION("cert", CONF_S_PREFIX, cert_rows),
	ROW("cacerts", CONF_T_LIST),
	SECTION("cacert", CONF_S_PREFIX, cert_rows),
	ROW("ca_id", CONF_T_STR),
	ROW("pubkeys", CONF_T_LIST),
	CHOICE("revocation", revocation_choices),
	ROW("auth", CONF_T_STR),
	END,
};

static const struct conf_schema child_rows[] = {
	ROW("ah_proposals", CONF_T_LIST),
	ROW("esp_proposals", CONF_T_LIST),
	ROW("sha256_96", CONF_T_BOOL),
	ROW("local_ts", CONF_T_LIST),
	ROW("remote_ts", CONF_T_LIST),
	ROW("rekey_time", CONF_T_TIME),
	ROW("life_time", CONF_T_TIME),
	ROW("rand_time", CONF_T_TIME),
	ROW("rekey_bytes", CONF_T_BYTES),
	ROW("life_bytes", CONF_T_BYTES),
	ROW("rand_bytes", CONF_T_BYTES),
	UINT("rekey_packets", 0),
	UINT("life_packets", 0),
	UINT("rand_packets", 0),
	ROW("updown", CONF_T_STR),
	ROW("hostaccess", CONF_T_BOOL),
	CHOICE("mode", mode_choices),
	ROW("policies", CONF_T_BOOL),
	ROW("policies_fwd_out", CONF_T_BOOL),
	CHOICE("dpd_action", action_choices),
	UNSUPPORTED("ipcomp", CONF_T_BOOL),
	ROW("inactivity", CONF_T_TIME),
	UINT("reqid", UINT32_MAX),
	UINT("priority", UINT32_MAX),
	ROW("interface", CONF_T_STR),
	ROW("mark_in", CONF_T_STR), /* mark[/mask] or %unique[-dir]: the child's parser */
	ROW("mark_in_sa", CONF_T_BOOL),
	ROW("mark_out", CONF_T_STR),
	ROW("set_mark_in", CONF_T_STR),
	ROW("set_mark_out", CONF_T_STR),
	ROW("if_id_in", CONF_T_STR),
	ROW("if_id_out", CONF_T_STR),
	UNSUPPORTED("label", CONF_T_STR), /* security labels (SELinux) */
	UNSUPPORTED("label_mode", CONF_T_STR),
	CHECKED("tfc_padding", check_tfc),
	UINT("replay_window", UINT32_MAX),
	CHOICE("hw_offload", hw_offload_choices),
	ROW("copy_df", CONF_T_BOOL),
	ROW("copy_ecn", CONF_T_BOOL),
	CHOICE("copy_dscp", copy_dscp_choices),
	CHOICE("start_action", action_choices),
	CHOICE("close_action", action_choices),
	END,
};

static const struct conf_schema children_rows[] = {
	SECTION(NULL, CONF_S_ANY, child_rows),
	END,
};

static const struct conf_schema conn_rows[] = {
	UINT("version", 2),
	ROW("local_addrs", CONF_T_LIST),
	ROW("remote_addrs", CONF_T_LIST),
	UINT("local_port", 65535),
	UINT("remote_port", 65535),
	ROW("proposals", CONF_T_LIST),
	ROW("vips", CONF_T_LIST),
	ROW("aggressive", CONF_T_BOOL),
	ROW("master_key_pfs", CONF_T_BOOL), /* oak: IKEv1 master-key PFS */
	UINT("quick_mode_limit", 65535),    /* oak: IKEv1 Quick Modes per Main Mode SA */
	ROW("pull", CONF_T_BOOL),
	CHECKED("dscp", check_dscp),
	ROW("encap", CONF_T_BOOL),
	ROW("mobike", CONF_T_BOOL),
	ROW("dpd_delay", CONF_T_TIME),
	ROW("dpd_timeout", CONF_T_TIME),
	CHOICE("fragmentation", fragmentation_choices),
	CHOICE("childless", childless_choices),
	ROW("send_certreq", CONF_T_BOOL),
	CHOICE("send_cert", send_cert_choices),
	ROW("ppk_id", CONF_T_STR),
	ROW("ppk_required", CONF_T_BOOL),
	UINT("keyingtries", UINT32_MAX),
	CHOICE("unique", unique_choices),
	ROW("reauth_time", CONF_T_TIME),
	ROW("rekey_time", CONF_T_TIME),
	ROW("over_time", CONF_T_TIME),
	ROW("rand_time", CONF_T_TIME),
	ROW("pools", CONF_T_LIST),
	ROW("if_id_in", CONF_T_STR),
	ROW("if_id_out", CONF_T_STR),
	UNSUPPORTED("mediation", CONF_T_BOOL), /* IKEv2 mediation extension */
	UNSUPPORTED("mediated_by", CONF_T_STR),
	UNSUPPORTED("mediation_peer", CONF_T_STR),
	SECTION("local", CONF_S_PREFIX, local_rows),
	SECTION("remote", CONF_S_PREFIX, remote_rows),
	SECTION("children", 0, children_rows),
	END,
};

static const struct conf_schema connections_rows[] = {
	SECTION(NULL, CONF_S_ANY, conn_rows),
	END,
};

/* secrets.eap<suffix>, xauth, ntlm, ike, ppk: a secret and the ids it is for */
static const struct conf_schema secret_id_rows[] = {
	ROW("secret", CONF_T_STR),
	{.name = "id", .type = CONF_T_STR, .flags = CONF_S_PREFIX},
	END,
};

/* secrets.private<suffix>, rsa, ecdsa, pkcs8, pkcs12: a key file's passphrase */
static const struct conf_schema secret_file_rows[] = {
	ROW("file", CONF_T_STR),
	ROW("secret", CONF_T_STR),
	END,
};

static const struct conf_schema secrets_rows[] = {
	SECTION("eap", CONF_S_PREFIX, secret_id_rows),
	SECTION("xauth", CONF_S_PREFIX, secret_id_rows),
	SECTION("ntlm", CONF_S_PREFIX, secret_id_rows),
	SECTION("ike", CONF_S_PREFIX, secret_id_rows),
	SECTION("ppk", CONF_S_PREFIX, secret_id_rows),
	SECTION("private", CONF_S_PREFIX, secret_file_rows),
	SECTION("rsa", CONF_S_PREFIX, secret_file_rows),
	SECTION("ecdsa", CONF_S_PREFIX, secret_file_rows),
	SECTION("pkcs8", CONF_S_PREFIX, secret_file_rows),
	SECTION("pkcs12", CONF_S_PREFIX, secret_file_rows),
	UNSUPPORTED_PREFIX("token"), /* keys on PKCS#11 tokens */
	END,
};

static const struct conf_schema pool_rows[] = {
	ROW("addrs", CONF_T_STR),
	ROW("dns", CONF_T_LIST),
	ROW("nbns", CONF_T_LIST),
	ROW("dhcp", CONF_T_LIST),
	ROW("netmask", CONF_T_LIST),
	ROW("server", CONF_T_LIST),
	ROW("subnet", CONF_T_LIST),
	ROW("split_include", CONF_T_LIST),
	ROW("split_exclude", CONF_T_LIST),
	{.name = NULL, .type = CONF_T_LIST, .flags = CONF_S_DIGITS}, /* attribute by number */
	END,
};

static const struct conf_schema pools_rows[] = {
	SECTION(NULL, CONF_S_ANY, pool_rows),
	END,
};

static const struct conf_schema authority_rows[] = {
	ROW("cacert", CONF_T_STR),
	ROW("file", CONF_T_STR),
	UNSUPPORTED("handle", CONF_T_STR), /* PKCS#11 tokens */
	UNSUPPORTED("slot", CONF_T_STR),
	UNSUPPORTED("module", CONF_T_STR),
	ROW("crl_uris", CONF_T_LIST),
	ROW("ocsp_uris", CONF_T_LIST),
	UNSUPPORTED("cert_uri_base", CONF_T_STR), /* IKEv2 hash and URL */
	END,
};

static const struct conf_schema authorities_rows[] = {
	SECTION(NULL, CONF_S_ANY, authority_rows),
	END,
};

static const struct conf_schema log_rows[] = {
	{.name = NULL, .type = CONF_T_STR, .flags = CONF_S_ANY, .check = check_log},
	END,
};

/* oak's global settings: add rows here as oakd grows. */
const struct conf_schema conf_schema_daemon[] = {
	ROW("listen", CONF_T_LIST), /* addresses to bind, default all */
	UINT("port", 65535),	    /* IKE port, default 500 */
	UINT("port_nat_t", 65535),  /* NAT-T port, default 4500 */
	ROW("socket", CONF_T_STR),  /* VICI socket, default /run/oak/oak.vici */
	CHOICE("kernel", kernel_choices),
	ROW("record_file", CONF_T_STR), /* where the record backend writes */
	ROW("keylog", CONF_T_STR),	/* key log for wireshark/tshark */
	ROW("x509_dir", CONF_T_STR),	/* our certificates, default /etc/oak/x509 */
	ROW("x509ca_dir", CONF_T_STR),	/* trusted CAs, default /etc/oak/x509ca */
	ROW("private_dir", CONF_T_STR), /* private keys, default /etc/oak/private */
	UINT("retransmit_tries", 100),
	ROW("retransmit_timeout", CONF_T_DECIMAL), /* seconds */
	ROW("retransmit_base", CONF_T_DECIMAL),
	UINT("cookie_threshold", UINT32_MAX),
	UINT("half_open_limit", UINT32_MAX),
	ROW("user", CONF_T_STR),
	ROW("group", CONF_T_STR),
	SECTION("log", 0, log_rows),
	UINT("threads", 1024), /* crypto workers, 0: one per core */
	/* IKE fragments (RFC 7383; IKEv1: Cisco's extension): IP datagram bytes, 1280 */
	UINT("fragment_size", 65535),
	ROW("keep_alive", CONF_T_TIME), /* NAT-keepalive interval, 20s; 0 = off */
	END,
};

const struct conf_schema conf_schema_top[] = {
	SECTION("connections", 0, connections_rows),
	SECTION("secrets", 0, secrets_rows),
	SECTION("pools", 0, pools_rows),
	SECTION("authorities", 0, authorities_rows),
	SECTION("daemon", 0, conf_schema_daemon),
	END,
};

/* ---- matching ---- */

static bool row_is_section(const struct conf_schema *r)
{
	return r->type == CONF_T_SECTION;
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* The row naming n: an exact name first (of either kind, so that a key used
 * as a section is reported as such), then the longest prefix, digits, any. */
static const struct conf_schema *match(const struct conf_schema *tab, const struct conf_node *n)
{
	const struct conf_schema *r, *best = NULL;
	size_t best_len = 0;

	for (r = tab; r->type != CONF_T_END; r++)
		if (r->name && !(r->flags & (CONF_S_PREFIX | CONF_S_ANY | CONF_S_DIGITS)) &&
		    strcmp(r->name, n->name) == 0)
			return r;
	for (r = tab; r->type != CONF_T_END; r++) {
		if (row_is_section(r) != conf_is_section(n))
			continue;
		if (r->name && (r->flags & CONF_S_PREFIX) &&
		    strncmp(n->name, r->name, strlen(r->name)) == 0 &&
		    strlen(r->name) >= best_len) {
			best = r;
			best_len = strlen(r->name);
		}
	}
	if (best)
		return best;
	for (r = tab; r->type != CONF_T_END; r++)
		if (row_is_section(r) == conf_is_section(n) &&
		    (((r->flags & CONF_S_DIGITS) && all_digits(n->name)) ||
		     (r->flags & CONF_S_ANY)))
			return r;
	return NULL;
}

/* Levenshtein distance of two short names (longer ones count as far). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t sub = diag + (tolower((unsigned char)a[i - 1]) !=
					     tolower((unsigned char)b[j - 1]));

			row[j] = MIN(MIN(row[j - 1] + 1, up + 1), sub);
			diag = up;
		}
	}
	return row[lb];
}

/* The closest name of the same kind as n, if it is close enough to be a typo. */
static const char *suggest(const struct conf_schema *tab, const struct conf_node *n)
{
	const struct conf_schema *r;
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	for (r = tab; r->type != CONF_T_END; r++) {
		size_t d, len;

		if (!r->name || (r->flags & CONF_S_UNSUPPORTED) ||
		    row_is_section(r) != conf_is_section(n))
			continue;
		d = distance(n->name, r->name);
		len = MAX(strlen(n->name), strlen(r->name));
		if (d < best_d && d <= 1 + len / 4) {
			best = r->name;
			best_d = d;
		}
	}
	return best;
}

/* ---- the check ---- */

struct checker {
	struct conf_err *errs;
	size_t max, count;
};

static void report(struct checker *ck, const struct conf_node *n, const struct conf_err *e)
{
	size_t i;

	/* a template inherited by several sections would repeat its error */
	if (n->flags & CONF_NODE_INHERITED)
		for (i = 0; i < MIN(ck->count, ck->max); i++)
			if (ck->errs[i].line == e->line && strcmp(ck->errs[i].file, e->file) == 0)
				return;
	if (ck->count < ck->max)
		ck->errs[ck->count] = *e;
	ck->count++;
}

static void reportf(struct checker *ck, const struct conf_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reportf(struct checker *ck, const struct conf_node *n, const char *fmt, ...)
{
	struct conf_err e;
	va_list ap;

	snprintf(e.file, sizeof(e.file), "%s", n->file ? n->file : "");
	e.line = n->line;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	report(ck, n, &e);
}

static int check_value(const struct conf_node *n, const struct conf_schema *r, struct conf_err *err)
{
	struct conf_list l;
	uint64_t u;
	double d;
	bool b;
	int i, rc = 0;

	if (!n->value[0]) /* "key =": the default */
		return 0;
	switch (r->type) {
	case CONF_T_BOOL:
		rc = conf_node_bool(n, &b, err);
		break;
	case CONF_T_UINT:
		rc = conf_node_uint(n, 0, r->max ? r->max : UINT64_MAX, &u, err);
		break;
	case CONF_T_TIME:
		rc = conf_node_time(n, &u, err);
		break;
	case CONF_T_BYTES:
		rc = conf_node_bytes(n, &u, err);
		break;
	case CONF_T_DECIMAL:
		rc = conf_node_decimal(n, &d, err);
		break;
	case CONF_T_LIST:
		rc = conf_node_list(n, &l, err);
		if (rc == 0)
			conf_list_free(&l);
		break;
	case CONF_T_ENUM:
		rc = conf_node_enum(n, r->choices, &i, err);
		break;
	default:
		break;
	}
	if (rc == 0 && r->check)
		rc = r->check(n, err);
	return rc;
}

static void check_section(struct checker *ck, const struct conf_node *sec,
			  const struct conf_schema *tab)
{
	const struct conf_node *c;
	char path[200];

	conf_foreach(c, sec)
	{
		const struct conf_schema *r = match(tab, c);
		const char *kind = conf_is_section(c) ? "section" : "key";
		const char *hint;
		struct conf_err e;

		if (!r && !sec->parent && conf_is_section(c) && (c->flags & CONF_NODE_REFERENCED))
			continue; /* a template: checked where it is inherited */
		conf_node_path(sec, path, sizeof(path));
		if (!r) {
			hint = suggest(tab, c);
			reportf(ck, c, "unknown %s '%s' %s%s%s%s%s", kind, c->name,
				sec->parent ? "in " : "at the top level", path,
				hint ? " (did you mean '" : "", hint ? hint : "",
				hint ? "'?)" : "");
		} else if (row_is_section(r) != conf_is_section(c)) {
			reportf(ck, c, "'%s' in %s is a %s, not a %s", c->name,
				sec->parent ? path : "the top level",
				row_is_section(r) ? "section" : "key", kind);
		} else if (r->flags & CONF_S_UNSUPPORTED) {
			reportf(ck, c, "'%s' is a swanctl.conf %s oakd does not support", c->name,
				kind);
		} else if (conf_is_section(c)) {
			if (r->check && r->check(c, &e) != 0)
				report(ck, c, &e);
			check_section(ck, c, r->sub);
		} else if (check_value(c, r, &e) != 0) {
			report(ck, c, &e);
		}
	}
}

size_t conf_schema_check(const struct conf_tree *t, struct conf_err *errs, size_t max)
{
	struct checker ck = {.errs = errs, .max = max};

	check_section(&ck, t->root, conf_schema_top);
	return ck.count;
}

const struct conf_schema *conf_schema_of(const struct conf_node *n)
{
	const struct conf_schema *tab = conf_schema_top, *r;

	if (!n->parent)
		return NULL;
	if (n->parent->parent) {
		const struct conf_schema *up = conf_schema_of(n->parent);

		if (!up || !row_is_section(up) || (up->flags & CONF_S_UNSUPPORTED))
			return NULL;
		tab = up->sub;
	}
	r = match(tab, n);
	return r && row_is_section(r) == conf_is_section(n) ? r : NULL;
}
