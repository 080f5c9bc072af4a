/* show_more.c: `oakctl show algs` (the transforms this build implements,
 * from the crypto layer's registry: no daemon needed), `show certs` (VICI
 * list-certs, certificates decoded with libcrypto) and `show policies`
 * (VICI list-policies), in the formats of strongSwan's VICI README. */
#include <errno.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/alg.h"
#include "ctl/vici_client.h"
#include "lib/enum_names.h"
#include "lib/hex.h"
#include "lib/util.h"

/* ---- algs ---- */

static const char *type_name(uint8_t type)
{
	return enum_name(&alg_ikev2_trans_type_names, type);
}

/* strongSwan keywords of one row, space separated. */
static const char *keywords_of(const struct alg_row *r, char *buf, size_t len)
{
	size_t nk, off = 0;
	const struct alg_keyword *k = alg_keywords(&nk);

	buf[0] = '\0';
	for (size_t i = 0; i < nk && off < len; i++)
		if (k[i].type == r->type && k[i].ikev2_id == r->ikev2_id)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " " : "",
						k[i].keyword);
	return buf;
}

int ctl_show_algs(int argc, char *argv[])
{
	size_t n;
	const struct alg_row *rows = alg_table(&n);
	json_t *arr = ctl_opts.json ? json_array() : NULL;
	char kw[512];

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "Usage: oakctl [-j] show algs\n");
		json_decref(arr);
		return CTL_USAGE;
	}
	for (size_t i = 0; i < n; i++) {
		const struct alg_row *r = &rows[i];

		keywords_of(r, kw, sizeof(kw));
		if (arr) {
			json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:s, s:b}", "type",
							     type_name(r->type), "name", r->name,
							     "id", r->ikev2_id, "keywords", kw,
							     "weak", r->weak));
			continue;
		}
		if (i == 0 || rows[i - 1].type != r->type)
			printf("%s:\n", type_name(r->type));
		printf("  %-28s %5u%s  %s\n", r->name, r->ikev2_id, r->weak ? " weak" : "     ",
		       kw);
	}
	if (arr)
		ctl_json_print(arr);
	return CTL_OK;
}

/* ---- certs ---- */

static size_t listed; /* entries printed by the text mode of certs/policies */

static char *bio_take(BIO *b)
{
	char *p, *s;
	long n = BIO_get_mem_data(b, &p);

	s = malloc(n > 0 ? (size_t)n + 1 : 1);
	if (s) {
		if (n > 0)
			memcpy(s, p, (size_t)n);
		s[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
	return s;
}

static char *name_str(const X509_NAME *nm)
{
	BIO *b = BIO_new(BIO_s_mem());

	if (!b)
		return NULL;
	X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253);
	return bio_take(b);
}

static const char *time_str(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "?");
	return buf;
}

/* One list-cert event: { type, flag, has_privkey, data, subject, ... }. */
static void cert_event(void *arg, const char *name, const struct vici_node *msg)
{
	json_t *arr = arg;
	const struct vici_node *data = vici_member(msg, "data");
	const unsigned char *p;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char nb[40], na[40], fp[2 * EVP_MAX_MD_SIZE + 1];
	char *subj = NULL, *iss = NULL;
	X509 *x = NULL;

	if (strcmp(name, "list-cert") != 0)
		return;
	listed++;
	if (data && data->type == VICI_NODE_KV) {
		p = (const unsigned char *)data->value;
		x = d2i_X509(NULL, &p, (long)data->value_len);
	}
	if (x) {
		subj = name_str(X509_get_subject_name(x));
		iss = name_str(X509_get_issuer_name(x));
		time_str(X509_get0_notBefore(x), nb, sizeof(nb));
		time_str(X509_get0_notAfter(x), na, sizeof(na));
		X509_digest(x, EVP_sha256(), md, &mdlen);
		hex_encode(fp, sizeof(fp), md, mdlen);
	}
	if (arr) {
		json_t *o = json_pack("{s:s, s:s, s:b}", "type", vici_find_str(msg, "type", ""),
				      "flag", vici_find_str(msg, "flag", ""), "has_privkey",
				      vici_find_yes(msg, "has_privkey"));

		json_object_set_new(o, "subject", json_string(subj ? subj : ""));
		json_object_set_new(o, "issuer", json_string(iss ? iss : ""));
		json_object_set_new(o, "not-before", x ? json_string(nb) : json_null());
		json_object_set_new(o, "not-after", x ? json_string(na) : json_null());
		json_object_set_new(o, "sha256", json_string(x ? fp : ""));
		json_array_append_new(arr, o);
	} else if (x) {
		printf("%s %s certificate%s\n  subject:  \"%s\"\n  issuer:   \"%s\"\n"
		       "  validity: %s .. %s\n  sha256:   %s\n",
		       vici_find_str(msg, "flag", ""), vici_find_str(msg, "type", "X509"),
		       vici_find_yes(msg, "has_privkey") ? ", has private key" : "", subj, iss, nb,
		       na, fp);
	} else {
		printf("%s certificate oakctl cannot decode (%zu bytes)\n",
		       vici_find_str(msg, "type", "?"), data ? data->value_len : 0);
	}
	free(subj);
	free(iss);
	X509_free(x);
}

/* Run a listing command that streams `event` into cb. */
static int listing(const char *cmd, const char *event, struct vici_builder *req, vici_event_cb *cb,
		   json_t *arr)
{
	struct vici_node *res = NULL;
	struct vici_conn *c = vici_conn_open();
	int rc;

	if (!c) {
		if (req)
			vici_build_free(req);
		json_decref(arr);
		return CTL_UNREACHABLE;
	}
	/* an oakd that has nothing to stream may not offer the event (its
	 * list-policies: no trap policies of its own); the command decides */
	rc = vici_conn_register(c, event);
	if (rc && rc != -ENOENT && req)
		vici_build_free(req);
	else if (!rc || rc == -ENOENT)
		rc = vici_call(c, cmd, req, cb, arr, &res);
	vici_conn_close(c);
	vici_node_free(res);
	if (rc) {
		json_decref(arr);
		return ctl_call_error(cmd, rc);
	}
	if (arr)
		ctl_json_print(arr);
	else if (!listed)
		printf("no %s\n", strcmp(cmd, "list-certs") == 0 ? "certificates" : "policies");
	return CTL_OK;
}

int ctl_show_certs(int argc, char *argv[])
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "Usage: oakctl [-s SOCKET] [-j] show certs\n");
		return CTL_USAGE;
	}
	return listing("list-certs", "list-cert", NULL, cert_event,
		       ctl_opts.json ? json_array() : NULL);
}

/* ---- policies ---- */

/* list-policy: { <ike/child> = { child, ike, mode, label, local-ts, remote-ts } } */
static void policy_event(void *arg, const char *name, const struct vici_node *msg)
{
	json_t *arr = arg;
	char lts[1024], rts[1024];

	if (strcmp(name, "list-policy") != 0)
		return;
	for (const struct vici_node *p = msg->child; p; p = p->next) {
		if (p->type != VICI_NODE_SECTION)
			continue;
		listed++;
		if (arr) {
			json_t *o = ctl_json_section(p);

			json_object_set_new(o, "name", json_string(p->name));
			json_array_append_new(arr, o);
			continue;
		}
		printf("%s, %s\n  local:  %s\n  remote: %s\n", p->name,
		       vici_find_str(p, "mode", "?"),
		       ctl_join_list(p, "local-ts", " ", lts, sizeof(lts)),
		       ctl_join_list(p, "remote-ts", " ", rts, sizeof(rts)));
	}
}

int ctl_show_policies(int argc, char *argv[])
{
	struct vici_builder req;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "Usage: oakctl [-s SOCKET] [-j] show policies\n");
		return CTL_USAGE;
	}
	vici_build_msg(&req, 0);
	vici_add_kv_str(&req, "drop", "yes");
	vici_add_kv_str(&req, "pass", "yes");
	vici_add_kv_str(&req, "trap", "yes");
	return listing("list-policies", "list-policy", &req, policy_event,
		       ctl_opts.json ? json_array() : NULL);
}
