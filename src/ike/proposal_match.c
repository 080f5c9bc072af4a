/* proposal_match.c: the responder's choice among offered proposals and the
 * initiator's check of it (see proposal_match.h; RFC 7296 2.7, 3.3.6). */
#include "ike/proposal_match.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "crypto/alg.h"
#include "lib/util.h"

/* Transform types 1..PM_MAX_TYPE are considered; RFC 9370 additional key
 * exchanges (6..12) included, so an offer we cannot honour fails. */
#define PM_MAX_TYPE 12

/* A one-line message under construction. */
struct pm_line {
	char *buf;
	size_t len, off;
};

static void pm_printf(struct pm_line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void pm_printf(struct pm_line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->buf == NULL || l->len == 0 || l->off >= l->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->off, l->len - l->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->off += (size_t)n;
}

/* RFC 7296 3.3.3: types whose omission means NONE (ID 0). IKE's KE is
 * mandatory, and ENCR and PRF have no NONE. */
static bool pm_nullable(uint8_t protocol, uint8_t type)
{
	if (type == IKEV2_TRANS_ENCR || type == IKEV2_TRANS_PRF)
		return false;
	return !(type == IKEV2_TRANS_KE && protocol == PROPOSAL_PROTO_IKE);
}

static size_t pm_count(const struct proposal *p, uint8_t type)
{
	size_t n = 0;

	for (size_t i = 0; i < p->ntrans; i++)
		n += p->trans[i].type == type;
	return n;
}

static const char *pm_type_name(uint8_t type)
{
	const char *n = enum_name(&alg_ikev2_trans_type_names, type);

	return n ? n : "ADDKE";
}

static const char *pm_proto_name(uint8_t protocol)
{
	return protocol == PROPOSAL_PROTO_IKE	? "IKE"
	       : protocol == PROPOSAL_PROTO_ESP ? "ESP"
	       : protocol == PROPOSAL_PROTO_AH	? "AH"
						: "an unknown protocol";
}

/* Whether transform t is in p, or stands for an absent optional type. */
static bool pm_in(const struct proposal *p, const struct proposal_transform *t)
{
	if (proposal_has(p, t->type, t->id, t->key_bits))
		return true;
	return t->id == 0 && t->key_bits == 0 && pm_count(p, t->type) == 0 &&
	       pm_nullable(p->protocol, t->type);
}

/* Choose one transform of type from the pair; *got stays NULL when the
 * type is absent from the offer (or stands for NONE there). false when
 * the two sides share nothing of that type. */
static bool pm_select_type(const struct proposal *off, const struct proposal *mine, uint8_t type,
			   unsigned flags, const struct proposal_transform **got)
{
	const struct proposal *pref = (flags & PROPOSAL_MATCH_PREFER_OFFERED) ? off : mine;
	const struct proposal *other = pref == off ? mine : off;
	struct proposal_transform none = {.type = type};
	const struct proposal_transform *t;

	*got = NULL;
	if (pm_count(off, type) == 0 && pm_count(mine, type) == 0)
		return true;
	for (size_t i = 0; i <= pref->ntrans; i++) {
		/* the last round tries NONE for a type pref omits */
		if (i == pref->ntrans) {
			if (pm_count(pref, type) || !pm_nullable(pref->protocol, type))
				break;
			t = &none;
		} else if (pref->trans[i].type != type) {
			continue;
		} else {
			t = &pref->trans[i];
		}
		if (!pm_in(other, t))
			continue;
		if (t->id == 0 && type == IKEV2_TRANS_KE && off->protocol == PROPOSAL_PROTO_IKE)
			continue; /* RFC 7296 2.18: never NONE for an IKE SA */
		for (size_t j = 0; j < off->ntrans; j++)
			if (off->trans[j].type == type && off->trans[j].id == t->id &&
			    off->trans[j].key_bits == t->key_bits)
				*got = &off->trans[j];
		return true;
	}
	return false;
}

/* One offer against one configured proposal. */
static bool pm_select_pair(const struct proposal *off, const struct proposal *mine, unsigned flags,
			   struct proposal *out)
{
	const struct proposal_transform *t;

	if (off->protocol != mine->protocol)
		return false;
	memset(out, 0, sizeof(*out));
	out->protocol = off->protocol;
	out->num = off->num;
	out->spi_len = MIN(off->spi_len, (uint8_t)sizeof(out->spi));
	memcpy(out->spi, off->spi, out->spi_len);
	for (uint8_t type = 1; type <= PM_MAX_TYPE; type++) {
		if (type == IKEV2_TRANS_KE && (flags & PROPOSAL_MATCH_SKIP_KE))
			continue;
		if (!pm_select_type(off, mine, type, flags, &t))
			return false;
		if (t != NULL)
			proposal_add(out, t->type, t->id, t->key_bits);
	}
	/* a transform type beyond what we know is something we cannot do */
	for (size_t i = 0; i < off->ntrans; i++)
		if (off->trans[i].type == 0 || off->trans[i].type > PM_MAX_TYPE)
			return false;
	return true;
}

/* The distinct transforms of a type over a list of proposals of protocol,
 * with NONE for proposals that omit KE where it is optional (no PFS), the
 * one omission a user needs to read about. */
static size_t pm_collect(const struct proposal *list, size_t n, uint8_t protocol, uint8_t type,
			 unsigned flags, struct proposal *set)
{
	memset(set, 0, sizeof(*set));
	set->protocol = protocol;
	if (type == IKEV2_TRANS_KE && (flags & PROPOSAL_MATCH_SKIP_KE))
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct proposal *p = &list[i];
		bool any = false;

		if (p->protocol != protocol)
			continue;
		for (size_t j = 0; j < p->ntrans; j++)
			if (p->trans[j].type == type) {
				any = true;
				if (!proposal_has(set, type, p->trans[j].id, p->trans[j].key_bits))
					proposal_add(set, type, p->trans[j].id,
						     p->trans[j].key_bits);
			}
		if (!any && type == IKEV2_TRANS_KE && pm_nullable(protocol, type) &&
		    !proposal_has(set, type, 0, 0))
			proposal_add(set, type, 0, 0);
	}
	return set->ntrans;
}

static void pm_list(struct pm_line *l, const struct proposal *set, const struct proposal *filter)
{
	char name[48];
	bool first = true;

	for (size_t i = 0; i < set->ntrans; i++) {
		if (filter && !proposal_has(filter, set->trans[i].type, set->trans[i].id,
					    set->trans[i].key_bits))
			continue;
		pm_printf(l, "%s%s", first ? "" : ", ",
			  proposal_transform_fmt(&set->trans[i], name, sizeof(name)));
		first = false;
	}
	if (first)
		pm_printf(l, "nothing");
}

static void pm_why_proposals(struct pm_line *l, const struct proposal *list, size_t n,
			     uint8_t protocol)
{
	char buf[PROPOSAL_STRLEN];
	bool first = true;

	for (size_t i = 0; i < n; i++)
		if (list[i].protocol == protocol) {
			pm_printf(l, "%s%s", first ? "" : ", ",
				  proposal_fmt(&list[i], buf, sizeof(buf)));
			first = false;
		}
}

/* Types in the order strongSwan shows them, then RFC 9370's. */
static const uint8_t pm_show_order[] = {IKEV2_TRANS_ENCR,
					IKEV2_TRANS_INTEG,
					IKEV2_TRANS_PRF,
					IKEV2_TRANS_KE,
					IKEV2_TRANS_ESN,
					6,
					7,
					8,
					9,
					10,
					11,
					12};

/* Per type, what was offered and what we accept: differing types in full,
 * shared ones by what they share. */
static void pm_why(const struct proposal *offered, size_t noffered, const struct proposal *mine,
		   size_t nmine, unsigned flags, char *why, size_t whylen)
{
	struct pm_line l = {why, whylen, 0};
	struct proposal o, m;
	uint8_t protocol = nmine ? mine[0].protocol : 0;
	bool differ = false, first = true;
	size_t k;

	if (why && whylen)
		why[0] = '\0';
	pm_printf(&l, "no proposal chosen: ");
	for (k = 0; k < noffered && offered[k].protocol != protocol; k++)
		;
	if (noffered == 0 || nmine == 0 || k == noffered) {
		if (noffered == 0)
			pm_printf(&l, "the peer offered no proposal");
		else if (nmine == 0)
			pm_printf(&l, "we have no proposal configured");
		else
			pm_printf(&l, "the peer offered no %s proposal", pm_proto_name(protocol));
		return;
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t t = 0; t < ARRAY_SIZE(pm_show_order); t++) {
			uint8_t type = pm_show_order[t];
			bool shared = true;

			size_t no = pm_collect(offered, noffered, protocol, type, flags, &o);
			size_t nm = pm_collect(mine, nmine, protocol, type, flags, &m);

			/* a type one side lacks (INTEG next to AEAD) is explained
			 * by the other types */
			if (no == 0 || nm == 0)
				continue;
			shared = false;
			for (size_t i = 0; i < o.ntrans; i++)
				shared |=
					proposal_has(&m, type, o.trans[i].id, o.trans[i].key_bits);
			if (type == IKEV2_TRANS_KE && protocol == PROPOSAL_PROTO_IKE &&
			    o.ntrans == 1 && o.trans[0].id == 0)
				shared = false; /* RFC 7296 2.18 */
			differ |= !shared;
			if (pass == 0 && !shared) {
				pm_printf(&l, "%s%s offered ", first ? "" : "; ",
					  pm_type_name(type));
				pm_list(&l, &o, NULL);
				pm_printf(&l, ", we accept ");
				pm_list(&l, &m, NULL);
				first = false;
			} else if (pass == 1 && shared && differ) {
				pm_printf(&l, "; %s: ", pm_type_name(type));
				pm_list(&l, &o, &m);
				pm_printf(&l, " in both");
			}
		}
	if (!differ) {
		/* every type has something in common, but no single pair */
		pm_printf(&l, "no offered proposal matches one of ours as a whole; offered ");
		pm_why_proposals(&l, offered, noffered, protocol);
		pm_printf(&l, "; we accept ");
		pm_why_proposals(&l, mine, nmine, protocol);
	}
}

int proposal_select_ex(const struct proposal *offered, size_t noffered, const struct proposal *mine,
		       size_t nmine, unsigned flags, struct proposal *chosen, char *why,
		       size_t whylen)
{
	bool prefer_offered = flags & PROPOSAL_MATCH_PREFER_OFFERED;
	size_t nouter = prefer_offered ? noffered : nmine;
	size_t ninner = prefer_offered ? nmine : noffered;

	if (why && whylen)
		why[0] = '\0';
	for (size_t i = 0; i < nouter; i++)
		for (size_t j = 0; j < ninner; j++) {
			const struct proposal *off = prefer_offered ? &offered[i] : &offered[j];
			const struct proposal *my = prefer_offered ? &mine[j] : &mine[i];

			if (pm_select_pair(off, my, flags, chosen))
				return 0;
		}
	memset(chosen, 0, sizeof(*chosen));
	pm_why(offered, noffered, mine, nmine, flags, why, whylen);
	return -ENOENT;
}

int proposal_select(const struct proposal *offered, size_t noffered, const struct proposal *mine,
		    size_t nmine, struct proposal *chosen, char *why, size_t whylen)
{
	return proposal_select_ex(offered, noffered, mine, nmine, 0, chosen, why, whylen);
}

/* Each type of the offer: exactly one chosen (or none for a NONE-able one),
 * and every chosen transform offered. */
static bool pm_check_choice(const struct proposal *chosen, const struct proposal *off,
			    struct pm_line *l)
{
	char name[48];

	for (size_t i = 0; i < chosen->ntrans; i++) {
		const struct proposal_transform *t = &chosen->trans[i];

		if (!pm_in(off, t)) {
			pm_printf(l, "responder chose %s %s which we did not offer in proposal %u",
				  pm_type_name(t->type),
				  proposal_transform_fmt(t, name, sizeof(name)), off->num);
			return false;
		}
	}
	for (uint8_t type = 1; type <= PM_MAX_TYPE; type++) {
		size_t n = pm_count(chosen, type);

		if (n > 1) {
			pm_printf(l,
				  "responder chose %zu %s transforms in proposal %u, expected one",
				  n, pm_type_name(type), off->num);
			return false;
		}
		if (n == 0 && pm_count(off, type) &&
		    !(pm_nullable(off->protocol, type) && proposal_has(off, type, 0, 0))) {
			pm_printf(l, "responder chose no %s transform in proposal %u, we offered ",
				  pm_type_name(type), off->num);
			for (size_t i = 0, first = 1; i < off->ntrans; i++)
				if (off->trans[i].type == type) {
					pm_printf(l, "%s%s", first ? "" : ", ",
						  proposal_transform_fmt(&off->trans[i], name,
									 sizeof(name)));
					first = 0;
				}
			return false;
		}
	}
	return true;
}

bool proposal_is_acceptable_choice(const struct proposal *chosen, const struct proposal *offered,
				   size_t noffered, char *why, size_t whylen)
{
	struct pm_line l = {why, whylen, 0};

	if (why && whylen)
		why[0] = '\0';
	for (size_t i = 0; i < noffered; i++) {
		if (offered[i].num != chosen->num)
			continue;
		if (offered[i].protocol != chosen->protocol) {
			pm_printf(&l, "responder chose proposal %u for %s, we offered it for %s",
				  chosen->num, pm_proto_name(chosen->protocol),
				  pm_proto_name(offered[i].protocol));
			return false;
		}
		return pm_check_choice(chosen, &offered[i], &l);
	}
	pm_printf(&l, "responder chose proposal %u, which we did not offer (we offered %zu)",
		  chosen->num, noffered);
	return false;
}
