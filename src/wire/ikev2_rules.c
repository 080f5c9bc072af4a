/* ikev2_rules.c: per-exchange payload rules (RFC 7296 1.2-1.5) as tables,
 * and the check that applies them. */
#include "wire/ikev2_rules.h"

#include <errno.h>
#include <stdio.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* RFC 7296 1.2: HDR, SAi1, KEi, Ni  -->  <--  HDR, SAr1, KEr, Nr, [CERTREQ] */
static const struct ikev2_rule ike_sa_init_req[] = {
	/* type             min max                      encrypted */
	{IKEV2_PL_N, 0, IKEV2_RULES_MAX_N, false},
	{IKEV2_PL_SA, 1, 1, false},
	{IKEV2_PL_KE, 1, 1, false},
	{IKEV2_PL_NONCE, 1, 1, false},
	{IKEV2_PL_V, 0, IKEV2_RULES_MAX_V, false},
};

static const struct ikev2_rule ike_sa_init_resp[] = {
	{IKEV2_PL_N, 0, IKEV2_RULES_MAX_N, false},
	{IKEV2_PL_SA, 1, 1, false},
	{IKEV2_PL_KE, 1, 1, false},
	{IKEV2_PL_NONCE, 1, 1, false},
	{IKEV2_PL_CERTREQ, 0, IKEV2_RULES_MAX_CERTREQ, false},
	{IKEV2_PL_V, 0, IKEV2_RULES_MAX_V, false},
};

/* RFC 7296 1.2, 2.16 (EAP rounds carry only EAP or AUTH), RFC 6023
 * (childless: no SA/TS), RFC 4739 (several rounds): nothing is mandatory. */
static const struct ikev2_rule ike_auth_req[] = {
	{IKEV2_PL_N, 0, IKEV2_RULES_MAX_N, true},
	{IKEV2_PL_IDI, 0, 1, true},
	{IKEV2_PL_CERT, 0, IKEV2_RULES_MAX_CERT, true},
	{IKEV2_PL_CERTREQ, 0, IKEV2_RULES_MAX_CERTREQ, true},
	{IKEV2_PL_IDR, 0, 1, true},
	{IKEV2_PL_AUTH, 0, 1, true},
	{IKEV2_PL_EAP, 0, 1, true},
	{IKEV2_PL_CP, 0, 1, true},
	{IKEV2_PL_SA, 0, 1, true},
	{IKEV2_PL_TSI, 0, 1, true},
	{IKEV2_PL_TSR, 0, 1, true},
	{IKEV2_PL_V, 0, IKEV2_RULES_MAX_V, true},
};

static const struct ikev2_rule ike_auth_resp[] = {
	{IKEV2_PL_N, 0, IKEV2_RULES_MAX_N, true},
	{IKEV2_PL_IDR, 0, 1, true},
	{IKEV2_PL_CERT, 0, IKEV2_RULES_MAX_CERT, true},
	{IKEV2_PL_AUTH, 0, 1, true},
	{IKEV2_PL_EAP, 0, 1, true},
	{IKEV2_PL_CP, 0, 1, true},
	{IKEV2_PL_SA, 0, 1, true},
	{IKEV2_PL_TSI, 0, 1, true},
	{IKEV2_PL_TSR, 0, 1, true},
	{IKEV2_PL_V, 0, IKEV2_RULES_MAX_V, true},
};

/* RFC 7296 1.3: SK {[N], SA, Ni, [KEi], [TSi, TSr]} both ways (TS absent
 * when rekeying the IKE SA). */
static const struct ikev2_rule create_child_sa[] = {
	{IKEV2_PL_N, 0, IKEV2_RULES_MAX_N, true},
	{IKEV2_PL_SA, 1, 1, true},
	{IKEV2_PL_NONCE, 1, 1, true},
	{IKEV2_PL_KE, 0, 1, true},
	{IKEV2_PL_TSI, 0, 1, true},
	{IKEV2_PL_TSR, 0, 1, true},
	{IKEV2_PL_CP, 0, 1, true},
	{IKEV2_PL_V, 0, IKEV2_RULES_MAX_V, true},
};

/* RFC 7296 1.4: SK {[N,] [D,] [CP,] ...} both ways */
static const struct ikev2_rule informational[] = {
	{IKEV2_PL_N, 0, IKEV2_RULES_MAX_N, true},
	{IKEV2_PL_D, 0, IKEV2_RULES_MAX_D, true},
	{IKEV2_PL_CP, 0, 1, true},
	{IKEV2_PL_V, 0, IKEV2_RULES_MAX_V, true},
};

/* RFC 9242 (IKE_INTERMEDIATE), RFC 9370 (additional key exchanges there and
 * in IKE_FOLLOWUP_KE) */
static const struct ikev2_rule intermediate[] = {
	{IKEV2_PL_N, 0, IKEV2_RULES_MAX_N, true},
	{IKEV2_PL_KE, 0, 1, true},
	{IKEV2_PL_V, 0, IKEV2_RULES_MAX_V, true},
};

#define RULES(exch, resp, encr, t)                                                                 \
	{                                                                                          \
		exch, resp, encr, t, ARRAY_LEN(t)                                                  \
	}
static const struct ikev2_msg_rules all_rules[] = {
	RULES(IKEV2_EXCH_IKE_SA_INIT, false, false, ike_sa_init_req),
	RULES(IKEV2_EXCH_IKE_SA_INIT, true, false, ike_sa_init_resp),
	RULES(IKEV2_EXCH_IKE_AUTH, false, true, ike_auth_req),
	RULES(IKEV2_EXCH_IKE_AUTH, true, true, ike_auth_resp),
	RULES(IKEV2_EXCH_CREATE_CHILD_SA, false, true, create_child_sa),
	RULES(IKEV2_EXCH_CREATE_CHILD_SA, true, true, create_child_sa),
	RULES(IKEV2_EXCH_INFORMATIONAL, false, true, informational),
	RULES(IKEV2_EXCH_INFORMATIONAL, true, true, informational),
	RULES(IKEV2_EXCH_IKE_INTERMEDIATE, false, true, intermediate),
	RULES(IKEV2_EXCH_IKE_INTERMEDIATE, true, true, intermediate),
	RULES(IKEV2_EXCH_IKE_FOLLOWUP_KE, false, true, intermediate),
	RULES(IKEV2_EXCH_IKE_FOLLOWUP_KE, true, true, intermediate),
};

const struct ikev2_msg_rules *ikev2_rules_find(uint8_t exchange, bool response)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(all_rules); i++)
		if (all_rules[i].exchange == exchange && all_rules[i].response == response)
			return &all_rules[i];
	return NULL;
}

/* What the check reports about: "IKE_AUTH request", and payload labels. */
struct ctx {
	const struct ikev2_msg *m;
	const struct ikev2_msg_rules *r;
	char what[48];
	struct wire_err *err;
};

/* RFC 7296 uses Ni in requests and Nr in responses. */
static const char *label(const struct ctx *x, uint8_t type)
{
	if (type == IKEV2_PL_NONCE)
		return x->r->response ? "Nr" : "Ni";
	return enum_name(&ikev2_payload_names, type);
}

static const struct ikev2_rule *rule_of(const struct ikev2_msg_rules *r, uint8_t type)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->rules[i].type == type)
			return &r->rules[i];
	return NULL;
}

/* RFC 7296 2.21: an error notify in a response stands for the whole reply. */
static bool minimums_waived(const struct ctx *x, unsigned n)
{
	const struct ikev2_msg *m = x->m;
	unsigned i;

	if (!x->r->response)
		return false;
	for (i = 0; i < n; i++) {
		const struct ikev2_payload *p = &m->pl[i];

		if (p->type != IKEV2_PL_N || !p->known)
			continue;
		if (p->n.type != 0 && p->n.type <= IKEV2_N_ERROR_MAX)
			return true;
		if (x->r->exchange == IKEV2_EXCH_IKE_SA_INIT &&
		    (p->n.type == IKEV2_N_COOKIE || p->n.type == IKEV2_N_REDIRECT))
			return true;
	}
	return false;
}

/* Each payload in pl[0..n): allowed, in the right place, not too often. */
static int check_each(const struct ctx *x, unsigned n)
{
	const struct ikev2_msg *m = x->m;
	const struct ikev2_rule *rule;
	unsigned i, j, count, before;

	for (i = 0; i < n; i++) {
		const struct ikev2_payload *p = &m->pl[i];

		if (!p->known)
			continue; /* skipped unknown payload (RFC 7296 2.5) */
		if (p->type == IKEV2_PL_SK || p->type == IKEV2_PL_SKF) {
			if (!x->r->encrypted) {
				wire_err_set(x->err, p->off, "%s: %s payload not allowed", x->what,
					     label(x, p->type));
				return -EBADMSG;
			}
			continue;
		}
		rule = rule_of(x->r, p->type);
		if (!rule) {
			wire_err_set(x->err, p->off, "%s: %s payload not allowed", x->what,
				     label(x, p->type));
			return -EBADMSG;
		}
		if (rule->encrypted != p->inner) {
			wire_err_set(x->err, p->off, "%s: %s must be %s SK", x->what,
				     label(x, p->type), rule->encrypted ? "inside" : "outside");
			return -EBADMSG;
		}
		/* report at the first payload over the limit, with the total */
		for (j = 0, before = 0; j <= i; j++)
			before += m->pl[j].type == p->type;
		if (before == rule->max + 1u) {
			for (count = before; j < n; j++)
				count += m->pl[j].type == p->type;
			wire_err_set(x->err, p->off, "%s: %u %s payloads, at most %u allowed",
				     x->what, count, label(x, p->type), rule->max);
			return -EBADMSG;
		}
	}
	return 0;
}

static int check_minimums(const struct ctx *x, unsigned n, bool inner)
{
	const struct ikev2_rule *rule;
	unsigned i, j, count;

	if (minimums_waived(x, n))
		return 0;
	for (i = 0; i < x->r->n; i++) {
		rule = &x->r->rules[i];
		if (rule->encrypted && !inner)
			continue; /* not visible before decryption */
		for (j = 0, count = 0; j < n; j++)
			count += x->m->pl[j].type == rule->type;
		if (count < rule->min) {
			if (rule->min == 1)
				wire_err_set(x->err, 0, "%s: missing %s payload", x->what,
					     label(x, rule->type));
			else
				wire_err_set(x->err, 0, "%s: %u %s payloads, at least %u needed",
					     x->what, count, label(x, rule->type), rule->min);
			return -EBADMSG;
		}
	}
	return 0;
}

int ikev2_rules_check(const struct ikev2_msg *m, bool inner, struct wire_err *err)
{
	struct ctx x = {.m = m, .err = err};
	bool response = (m->hdr.flags & IKEV2_FLAG_R) != 0;
	unsigned n = inner ? m->count : m->n_outer;
	const char *exch = enum_name(&ikev2_exchange_names, m->hdr.exchange);

	x.r = ikev2_rules_find(m->hdr.exchange, response);
	if (exch)
		snprintf(x.what, sizeof(x.what), "%s %s", exch, response ? "response" : "request");
	else
		snprintf(x.what, sizeof(x.what), "exchange type %u %s", m->hdr.exchange,
			 response ? "response" : "request");
	if (!x.r) {
		wire_err_set(err, 18, "%s: no payload rules for this exchange", x.what);
		return -ENOTSUP;
	}
	/* RFC 7296 3.14: an encrypted exchange carries its payloads in SK */
	if (x.r->encrypted && m->sk < 0) {
		wire_err_set(err, 0, "%s: missing SK payload", x.what);
		return -EBADMSG;
	}
	if (check_each(&x, n))
		return -EBADMSG;
	return check_minimums(&x, n, inner);
}
