/* ikev1_rules.c: per-exchange payload rules (RFC 2409 5, 5.5-5.7; RFC 3947;
 * draft-dukes-ike-mode-cfg), as tables, and their check.
 *
 * Beyond the RFC's minimum, the tables allow what real peers add: VIDs in
 * phase 1 (Windows sends about ten in Main Mode message 1), CR in messages
 * 3/4 for certificates (strongSwan, Windows), NAT-D pairs (one per address,
 * so more than two with several local addresses, RFC 3947 3.2), GSS-API
 * tokens (Windows Kerberos, draft-ietf-ipsec-isakmp-gss-auth) and
 * INITIAL-CONTACT notifies in messages 5/6.
 */
#include "wire/ikev1_rules.h"

#include <errno.h>

#include "lib/util.h"
#include "wire/ikev1_names.h"

#define R(kind, min, max, flags)                                                                   \
	{                                                                                          \
		(kind), (min), (max), (flags)                                                      \
	}
#define RULES(xchg, no, enc, name, table)                                                          \
	{                                                                                          \
		(xchg), (no), (enc), (name), (table), ARRAY_SIZE(table)                            \
	}

/* Main Mode (Identity Protection), RFC 2409 5 */
static const struct ikev1_rule mm1[] = {
	R(ISAKMP_NP_SA, 1, 1, 0),
	R(ISAKMP_NP_VID, 0, IKEV1_ANY, 0),
};
static const struct ikev1_rule mm3[] = {
	R(ISAKMP_NP_KE, 1, 1, 0),	    R(ISAKMP_NP_NONCE, 1, 1, 0),
	R(ISAKMP_NP_NATD, 0, IKEV1_ANY, 0), R(ISAKMP_NP_CR, 0, IKEV1_ANY, 0),
	R(ISAKMP_NP_VID, 0, IKEV1_ANY, 0),  R(ISAKMP_NP_GSS, 0, IKEV1_ANY, 0),
};
static const struct ikev1_rule mm5[] = {
	R(ISAKMP_NP_ID, 1, 1, 0),
	R(ISAKMP_NP_HASH, 0, 1, IKEV1_R_ONE_OF),
	R(ISAKMP_NP_SIG, 0, 1, IKEV1_R_ONE_OF),
	R(ISAKMP_NP_CERT, 0, IKEV1_ANY, 0),
	R(ISAKMP_NP_CR, 0, IKEV1_ANY, 0),
	R(ISAKMP_NP_N, 0, IKEV1_ANY, 0),
	R(ISAKMP_NP_VID, 0, IKEV1_ANY, 0),
	R(ISAKMP_NP_GSS, 0, IKEV1_ANY, 0),
};
static const struct ikev1_rule mm6[] = {
	R(ISAKMP_NP_ID, 1, 1, 0),
	R(ISAKMP_NP_HASH, 0, 1, IKEV1_R_ONE_OF),
	R(ISAKMP_NP_SIG, 0, 1, IKEV1_R_ONE_OF),
	R(ISAKMP_NP_CERT, 0, IKEV1_ANY, 0),
	R(ISAKMP_NP_N, 0, IKEV1_ANY, 0),
	R(ISAKMP_NP_VID, 0, IKEV1_ANY, 0),
	R(ISAKMP_NP_GSS, 0, IKEV1_ANY, 0),
};

/* Aggressive Mode, RFC 2409 5 */
static const struct ikev1_rule am1[] = {
	R(ISAKMP_NP_SA, 1, 1, 0),	  R(ISAKMP_NP_KE, 1, 1, 0),
	R(ISAKMP_NP_NONCE, 1, 1, 0),	  R(ISAKMP_NP_ID, 1, 1, 0),
	R(ISAKMP_NP_CR, 0, IKEV1_ANY, 0), R(ISAKMP_NP_VID, 0, IKEV1_ANY, 0),
};
static const struct ikev1_rule am2[] = {
	R(ISAKMP_NP_SA, 1, 1, 0),
	R(ISAKMP_NP_KE, 1, 1, 0),
	R(ISAKMP_NP_NONCE, 1, 1, 0),
	R(ISAKMP_NP_ID, 1, 1, 0),
	R(ISAKMP_NP_HASH, 0, 1, IKEV1_R_ONE_OF),
	R(ISAKMP_NP_SIG, 0, 1, IKEV1_R_ONE_OF),
	R(ISAKMP_NP_CERT, 0, IKEV1_ANY, 0),
	R(ISAKMP_NP_CR, 0, IKEV1_ANY, 0),
	R(ISAKMP_NP_NATD, 0, IKEV1_ANY, 0),
	R(ISAKMP_NP_VID, 0, IKEV1_ANY, 0),
};
static const struct ikev1_rule am3[] = {
	R(ISAKMP_NP_HASH, 0, 1, IKEV1_R_ONE_OF), R(ISAKMP_NP_SIG, 0, 1, IKEV1_R_ONE_OF),
	R(ISAKMP_NP_CERT, 0, IKEV1_ANY, 0),	 R(ISAKMP_NP_NATD, 0, IKEV1_ANY, 0),
	R(ISAKMP_NP_N, 0, IKEV1_ANY, 0),	 R(ISAKMP_NP_VID, 0, IKEV1_ANY, 0),
};

/* Quick Mode, RFC 2409 5.5 (HASH(1) first, SA right after it), RFC 3947 5.2 */
static const struct ikev1_rule qm1[] = {
	R(ISAKMP_NP_HASH, 1, 1, IKEV1_R_FIRST),
	R(ISAKMP_NP_SA, 1, 1, IKEV1_R_SECOND),
	R(ISAKMP_NP_NONCE, 1, 1, 0),
	R(ISAKMP_NP_KE, 0, 1, 0),
	R(ISAKMP_NP_ID, 0, 2, IKEV1_R_PAIR),
	R(ISAKMP_NP_NATOA, 0, 2, 0),
	R(ISAKMP_NP_N, 0, IKEV1_ANY, 0),
};
static const struct ikev1_rule qm3[] = {
	R(ISAKMP_NP_HASH, 1, 1, IKEV1_R_FIRST),
};

/* New Group Mode, RFC 2409 5.6 */
static const struct ikev1_rule ngm[] = {
	R(ISAKMP_NP_HASH, 1, 1, IKEV1_R_FIRST),
	R(ISAKMP_NP_SA, 1, 1, IKEV1_R_SECOND),
};

/* Informational, RFC 2409 5.7: HDR*, HASH(1), N/D; before keys: HDR, N. */
static const struct ikev1_rule info_protected[] = {
	R(ISAKMP_NP_HASH, 1, 1, IKEV1_R_FIRST),
	R(ISAKMP_NP_N, 0, 1, IKEV1_R_ONE_OF),
	R(ISAKMP_NP_D, 0, 1, IKEV1_R_ONE_OF),
};
static const struct ikev1_rule info_clear[] = {
	R(ISAKMP_NP_N, 1, 1, 0),
};

/* Transaction (Mode-Config, XAUTH), draft-dukes-ike-mode-cfg-02 3.3 */
static const struct ikev1_rule transaction[] = {
	R(ISAKMP_NP_HASH, 1, 1, IKEV1_R_FIRST),
	R(ISAKMP_NP_ATTR, 1, 1, 0),
};

static const struct ikev1_msg_rules rules_table[] = {
	RULES(ISAKMP_XCHG_IDPROT, 1, IKEV1_CLEAR, "Main Mode message 1", mm1),
	RULES(ISAKMP_XCHG_IDPROT, 2, IKEV1_CLEAR, "Main Mode message 2", mm1),
	RULES(ISAKMP_XCHG_IDPROT, 3, IKEV1_CLEAR, "Main Mode message 3", mm3),
	RULES(ISAKMP_XCHG_IDPROT, 4, IKEV1_CLEAR, "Main Mode message 4", mm3),
	RULES(ISAKMP_XCHG_IDPROT, 5, IKEV1_ENCRYPTED, "Main Mode message 5", mm5),
	RULES(ISAKMP_XCHG_IDPROT, 6, IKEV1_ENCRYPTED, "Main Mode message 6", mm6),
	RULES(ISAKMP_XCHG_AGGR, 1, IKEV1_CLEAR, "Aggressive Mode message 1", am1),
	RULES(ISAKMP_XCHG_AGGR, 2, IKEV1_CLEAR, "Aggressive Mode message 2", am2),
	RULES(ISAKMP_XCHG_AGGR, 3, IKEV1_EITHER, "Aggressive Mode message 3", am3),
	RULES(IKEV1_XCHG_QUICK, 1, IKEV1_ENCRYPTED, "Quick Mode message 1", qm1),
	RULES(IKEV1_XCHG_QUICK, 2, IKEV1_ENCRYPTED, "Quick Mode message 2", qm1),
	RULES(IKEV1_XCHG_QUICK, 3, IKEV1_ENCRYPTED, "Quick Mode message 3", qm3),
	RULES(IKEV1_XCHG_NEW_GROUP, 1, IKEV1_ENCRYPTED, "New Group Mode message 1", ngm),
	RULES(IKEV1_XCHG_NEW_GROUP, 2, IKEV1_ENCRYPTED, "New Group Mode message 2", ngm),
	RULES(ISAKMP_XCHG_INFO, 0, IKEV1_ENCRYPTED, "Informational (protected)", info_protected),
	RULES(ISAKMP_XCHG_INFO, 0, IKEV1_CLEAR, "Informational (clear)", info_clear),
	RULES(ISAKMP_XCHG_TRANSACTION, 0, IKEV1_ENCRYPTED, "Transaction", transaction),
};

const struct ikev1_msg_rules *ikev1_rules_find(uint8_t exchange, unsigned msg_no, int encrypted)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rules_table); i++) {
		const struct ikev1_msg_rules *r = &rules_table[i];

		if (r->exchange != exchange)
			continue;
		if (r->msg_no == 0) {
			if (r->enc == (encrypted ? IKEV1_ENCRYPTED : IKEV1_CLEAR) ||
			    exchange != ISAKMP_XCHG_INFO)
				return r;
			continue;
		}
		if (r->msg_no == msg_no)
			return r;
	}
	return NULL;
}

static const char *kind_name(uint8_t kind)
{
	const char *n = enum_name(&ikev1_payload_names, kind);

	return n ? n : "unknown";
}

static const struct ikev1_rule *rule_for(const struct ikev1_msg_rules *r, uint8_t kind)
{
	size_t i;

	for (i = 0; i < r->nrules; i++)
		if (r->rules[i].kind == kind)
			return &r->rules[i];
	return NULL;
}

/* Where a missing payload would have been: the end of the message. */
static size_t msg_end(const struct ikev1_msg *msg)
{
	return msg->raw.len ? msg->raw.len : ISAKMP_HDR_LEN;
}

static int check_encryption(const struct ikev1_msg *msg, const struct ikev1_msg_rules *r,
			    struct wire_err *err)
{
	int encrypted = (msg->hdr.flags & ISAKMP_FLAG_E) != 0;

	if (r->enc == IKEV1_ENCRYPTED && !encrypted) {
		wire_err_set(err, 19, "%s must be encrypted (E flag)", r->name);
		return -EBADMSG;
	}
	if (r->enc == IKEV1_CLEAR && encrypted) {
		wire_err_set(err, 19, "%s must not be encrypted", r->name);
		return -EBADMSG;
	}
	return 0;
}

static int check_order(const struct ikev1_msg *msg, const struct ikev1_msg_rules *r,
		       const struct ikev1_rule *rule, struct wire_err *err)
{
	const struct ikev1_payload *first = msg->npl ? &msg->pl[0] : NULL;

	if ((rule->flags & IKEV1_R_FIRST) && first && first->kind != rule->kind) {
		wire_err_set(err, first->offset, "%s: %s must be the first payload, %s came",
			     r->name, kind_name(rule->kind), kind_name(first->kind));
		return -EBADMSG;
	}
	if ((rule->flags & IKEV1_R_SECOND) && msg->npl >= 2 && msg->pl[1].kind != rule->kind) {
		wire_err_set(err, msg->pl[1].offset, "%s: %s must directly follow %s, %s came",
			     r->name, kind_name(rule->kind), kind_name(first->kind),
			     kind_name(msg->pl[1].kind));
		return -EBADMSG;
	}
	return 0;
}

static int check_counts(const struct ikev1_msg *msg, const struct ikev1_msg_rules *r,
			struct wire_err *err)
{
	unsigned n, one_of = 0, have_one_of = 0;
	size_t i;
	int rc;

	for (i = 0; i < r->nrules; i++) {
		const struct ikev1_rule *rule = &r->rules[i];

		n = ikev1_msg_count(msg, rule->kind);
		if (n < rule->min) {
			wire_err_set(err, msg_end(msg), "%s: missing %s payload", r->name,
				     kind_name(rule->kind));
			return -EBADMSG;
		}
		if (rule->max != IKEV1_ANY && n > rule->max) {
			wire_err_set(err, ikev1_msg_get(msg, rule->kind, rule->max)->offset,
				     "%s: %u %s payloads, at most %u allowed", r->name, n,
				     kind_name(rule->kind), rule->max);
			return -EBADMSG;
		}
		if ((rule->flags & IKEV1_R_PAIR) && n != 0 && n != 2) {
			wire_err_set(err, ikev1_msg_get(msg, rule->kind, 0)->offset,
				     "%s: %u %s payload; expected none or a pair", r->name, n,
				     kind_name(rule->kind));
			return -EBADMSG;
		}
		if (rule->flags & IKEV1_R_ONE_OF) {
			one_of += n;
			have_one_of = 1;
		}
		if (n && (rc = check_order(msg, r, rule, err)))
			return rc;
	}
	if (have_one_of && one_of != 1) {
		const char *a = NULL, *b = NULL;

		for (i = 0; i < r->nrules; i++)
			if (r->rules[i].flags & IKEV1_R_ONE_OF)
				*(a ? &b : &a) = kind_name(r->rules[i].kind);
		wire_err_set(err, msg_end(msg), "%s: %s; expected exactly one of %s and %s",
			     r->name, one_of ? "both" : "neither", a, b ? b : "");
		return -EBADMSG;
	}
	return 0;
}

int ikev1_rules_check(const struct ikev1_msg *msg, unsigned msg_no, struct wire_err *err)
{
	const struct ikev1_msg_rules *r;
	char buf[32];
	unsigned i;
	int rc;

	r = ikev1_rules_find(msg->hdr.exchange, msg_no, (msg->hdr.flags & ISAKMP_FLAG_E) != 0);
	if (!r) {
		wire_err_set(
			err, 18, "no payload rules for exchange %s message %u",
			enum_name_or(&ikev1_exchange_names, msg->hdr.exchange, buf, sizeof(buf)),
			msg_no);
		return -EINVAL;
	}
	rc = check_encryption(msg, r, err);
	if (rc)
		return rc;
	for (i = 0; i < msg->npl; i++) {
		if (!rule_for(r, msg->pl[i].kind)) {
			wire_err_set(err, msg->pl[i].offset, "%s: unexpected %s payload", r->name,
				     kind_name(msg->pl[i].type));
			return -ENOTSUP;
		}
	}
	return check_counts(msg, r, err);
}
