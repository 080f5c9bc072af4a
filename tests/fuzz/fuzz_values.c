/* fuzz_values: the value parsers config feeds (ts_parse, ident_parse,
 * proposal_list_parse) and the negotiation on their results (ts_narrow,
 * proposal_select), checking their promises:
 *   - whatever parses prints, and identities print to text that parses back
 *     to the same identity (DNs and control characters excepted);
 *   - narrowing never widens: every result lies within an offered selector
 *     and within one of ours;
 *   - a chosen proposal passes the initiator's check; a refusal says why.
 *
 * Input: lines "<c><text>", c selecting what text is: 't'/'T' offered/our
 * traffic selector, 'i' identity, 'p'/'P' offered/our IKE proposal list,
 * 'e'/'E' offered/our ESP list, 'w' an ID payload (type byte, then data).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ident.h"
#include "crypto/proposal.h"
#include "ike/proposal_match.h"
#include "ike/ts_narrow.h"
#include "lib/ts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_TS 8

struct fz_state {
	struct ts ts[2][FZ_TS];
	size_t nts[2];
	struct proposal prop[4][PROPOSAL_MAX]; /* IKE offered, IKE ours, ESP offered, ESP ours */
	size_t nprop[4];
};

static bool fz_printable(const struct ident *id)
{
	for (size_t i = 0; i < id->len; i++)
		if (id->data[i] < 0x20 || id->data[i] == 0x7f)
			return false;
	return true;
}

static void fz_ident(const struct ident *id)
{
	char buf[IDENT_STRLEN], err[256];
	struct ident back;

	ident_fmt(id, buf, sizeof(buf));
	if (!ident_match(id, id) && id->type != IDENT_DER_ASN1_DN)
		abort();
	if (id->type == 0 || id->type == IDENT_DER_ASN1_DN || !fz_printable(id))
		return;
	if (ident_parse(buf, &back, err, sizeof(err)) != 0 || !ident_eq(id, &back))
		abort();
	if (ident_from_wire(id->type, id->data, id->len, &back) != 0 || !ident_eq(id, &back))
		abort();
}

static void fz_line(struct fz_state *s, char c, const char *text, size_t len)
{
	char err[256], buf[PROPOSAL_STRLEN];
	struct ident id;
	int k;

	switch (c) {
	case 't':
	case 'T':
		k = c == 'T';
		if (s->nts[k] < FZ_TS &&
		    ts_parse(text, &s->ts[k][s->nts[k]], err, sizeof(err)) == 0)
			ts_fmt(&s->ts[k][s->nts[k]++], buf, sizeof(buf));
		break;
	case 'i':
		if (ident_parse(text, &id, err, sizeof(err)) == 0)
			fz_ident(&id);
		break;
	case 'w':
		if (len >= 1 &&
		    ident_from_wire((uint8_t)text[0], (const uint8_t *)text + 1, len - 1, &id) == 0)
			fz_ident(&id);
		break;
	case 'p':
	case 'P':
	case 'e':
	case 'E':
		k = (c == 'P' || c == 'E') + 2 * (c == 'e' || c == 'E');
		if (proposal_list_parse(text, k < 2 ? PROPOSAL_PROTO_IKE : PROPOSAL_PROTO_ESP,
					s->prop[k], PROPOSAL_MAX, &s->nprop[k], err,
					sizeof(err)) != 0)
			s->nprop[k] = 0;
		for (size_t i = 0; i < s->nprop[k]; i++) {
			s->prop[k][i].num = (uint8_t)(i + 1);
			proposal_fmt(&s->prop[k][i], buf, sizeof(buf));
		}
		break;
	default:
		break;
	}
}

static void fz_negotiate(struct fz_state *s)
{
	struct ts out[FZ_TS];
	struct proposal chosen;
	char why[512];
	size_t n;

	if (ts_narrow(s->ts[0], s->nts[0], s->ts[1], s->nts[1], out, FZ_TS, &n) == 0 &&
	    (!ts_list_is_subset(out, n, s->ts[0], s->nts[0]) ||
	     !ts_list_is_subset(out, n, s->ts[1], s->nts[1])))
		abort();
	for (int k = 0; k < 4; k += 2) {
		for (unsigned flags = 0; flags < 4; flags++) {
			int r = proposal_select_ex(s->prop[k], s->nprop[k], s->prop[k + 1],
						   s->nprop[k + 1], flags, &chosen, why,
						   sizeof(why));

			if (r != 0 && why[0] == '\0')
				abort();
			if (r == 0 && !(flags & PROPOSAL_MATCH_SKIP_KE) &&
			    !proposal_is_acceptable_choice(&chosen, s->prop[k], s->nprop[k], why,
							   sizeof(why)))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_state *s = calloc(1, sizeof(*s));
	char line[1024];
	size_t i = 0;

	if (s == NULL)
		return 0;
	while (i < size) {
		size_t end = i, n;

		while (end < size && data[end] != '\n')
			end++;
		n = end - i;
		if (n >= 1 && n < sizeof(line)) {
			memcpy(line, data + i + 1, n - 1);
			line[n - 1] = '\0';
			/* 'w' takes binary (NULs included); the rest are C strings */
			fz_line(s, (char)data[i], line, n - 1);
		}
		i = end + 1;
	}
	fz_negotiate(s);
	free(s);
	return 0;
}
