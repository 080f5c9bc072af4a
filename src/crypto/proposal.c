/* proposal.c: proposals as values (see proposal.h), parsed with strongSwan's
 * rules (proposal.c check_proposal()) from its keywords (alg.h):
 *
 * - tokens are separated by '-', each one keyword; several of a type may be
 *   given and are offered in that order;
 * - IKE: with no prf* keyword, every integrity keyword implies its PRF
 *   ("sha256" -> PRF_HMAC_SHA2_256), which also happens for an AEAD string
 *   that names an integrity keyword ("aes256gcm16-sha384-ecp384"); a PRF and
 *   a key exchange method are mandatory; "modpnone" is dropped;
 * - ESP/AH: prf* keywords are dropped (IKE strings are often reused for
 *   ESP); a KE keyword means PFS, "modpnone" makes PFS optional; "esn" /
 *   "noesn" choose ESN, default noesn;
 * - IKE/ESP: at least one encryption algorithm; AEAD and classic ciphers do
 *   not mix in one proposal; with AEAD any integrity keyword is dropped; a
 *   classic IKE proposal needs integrity (ESP may go without, as strongSwan);
 * - AH: no encryption keyword (strongSwan drops it silently; we say so).
 */
#include "crypto/proposal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crypto/alg.h"
#include "crypto/encr.h"
#include "lib/util.h"

/* RFC 7296 3.3.2: the PRF of the same construction as an integrity
 * algorithm, for strings that name only the latter. */
static const struct {
	uint16_t integ, prf;
} proposal_integ_prf[] = {
	{IKEV2_AUTH_HMAC_SHA2_256_128, IKEV2_PRF_HMAC_SHA2_256},
	{IKEV2_AUTH_HMAC_SHA2_384_192, IKEV2_PRF_HMAC_SHA2_384},
	{IKEV2_AUTH_HMAC_SHA2_512_256, IKEV2_PRF_HMAC_SHA2_512},
	{IKEV2_AUTH_HMAC_SHA1_96, IKEV2_PRF_HMAC_SHA1},
	{IKEV2_AUTH_HMAC_SHA1_160, IKEV2_PRF_HMAC_SHA1},
	{IKEV2_AUTH_HMAC_MD5_96, IKEV2_PRF_HMAC_MD5},
	{IKEV2_AUTH_HMAC_MD5_128, IKEV2_PRF_HMAC_MD5},
	{IKEV2_AUTH_AES_XCBC_96, IKEV2_PRF_AES128_XCBC},
	{IKEV2_AUTH_AES_CMAC_96, IKEV2_PRF_AES128_CMAC},
};

/* oak's defaults: strongSwan 5.9.8's proposal_create_default_aead() and
 * proposal_create_default() (AEAD first, as its "default" keyword expands),
 * restricted to what oak implements and without the algorithms alg.c marks
 * weak (3DES, HMAC-SHA1, HMAC-MD5, PRF-SHA1, MODP < 2048; RFC 8247/8221).
 * Key exchange order is strongSwan's: ECC first, then MODP >= 3072, then
 * MODP_2048. ESP carries no KE (no PFS) by default, as strongSwan. */
#define PROPOSAL_IKE_PRF_KE                                                                        \
	"prfsha256-prfsha384-prfsha512-prfaesxcbc-"                                                \
	"ecp256-ecp384-ecp521-x25519-x448-modp3072-modp4096-modp6144-modp8192-modp2048"
static const char *const proposal_default_ike[] = {
	"aes128gcm16-aes192gcm16-aes256gcm16-chacha20poly1305-aes128gcm12-aes192gcm12-"
	"aes256gcm12-aes128gcm8-aes192gcm8-aes256gcm8-" PROPOSAL_IKE_PRF_KE,
	"aes128-aes192-aes256-aes128ctr-aes192ctr-aes256ctr-sha256-sha384-sha512-aesxcbc-"
	"" PROPOSAL_IKE_PRF_KE,
};
static const char *const proposal_default_esp[] = {
	"aes128gcm16-aes192gcm16-aes256gcm16-noesn",
	"aes128-aes192-aes256-sha256-sha384-sha512-aesxcbc-noesn",
};
static const char *const proposal_default_ah[] = {
	"sha256-sha384-sha512-aesxcbc-noesn",
};

int proposal_add(struct proposal *p, uint8_t type, uint16_t id, uint16_t key_bits)
{
	if (p->ntrans >= PROPOSAL_MAX_TRANSFORMS)
		return -ENOSPC;
	p->trans[p->ntrans].type = type;
	p->trans[p->ntrans].id = id;
	p->trans[p->ntrans].key_bits = key_bits;
	p->ntrans++;
	return 0;
}

const struct proposal_transform *proposal_get(const struct proposal *p, uint8_t type)
{
	for (size_t i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == type)
			return &p->trans[i];
	return NULL;
}

bool proposal_has(const struct proposal *p, uint8_t type, uint16_t id, uint16_t key_bits)
{
	for (size_t i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == type && p->trans[i].id == id &&
		    p->trans[i].key_bits == key_bits)
			return true;
	return false;
}

static void proposal_remove_type(struct proposal *p, uint8_t type, int only_id)
{
	size_t n = 0;

	for (size_t i = 0; i < p->ntrans; i++)
		if (p->trans[i].type != type || (only_id >= 0 && p->trans[i].id != only_id))
			p->trans[n++] = p->trans[i];
	p->ntrans = (uint8_t)n;
}

/* Add unless already present (a repeated keyword, or a PRF implied twice). */
static int proposal_add_unique(struct proposal *p, uint8_t type, uint16_t id, uint16_t key_bits)
{
	if (proposal_has(p, type, id, key_bits))
		return 0;
	return proposal_add(p, type, id, key_bits);
}

bool proposal_is_aead(uint16_t encr_id)
{
	const struct alg_row *row = alg_by_ikev2(IKEV2_TRANS_ENCR, encr_id);

	if (row != NULL && row->encr != NULL)
		return row->encr->aead;
	/* not implemented here but known to be AEAD (RFC 4309, 4106, 7634) */
	return (encr_id >= IKEV2_ENCR_AES_CCM_8 && encr_id <= IKEV2_ENCR_AES_GCM_16) ||
	       encr_id == IKEV2_ENCR_CHACHA20_POLY1305;
}

static int proposal_add_token(struct proposal *p, const char *tok, const char *text, char *err,
			      size_t errlen)
{
	const struct alg_keyword *kw = alg_by_keyword(tok);

	if (kw == NULL && strcmp(tok, "modpnone") == 0)
		return proposal_add_unique(p, IKEV2_TRANS_KE, IKEV2_KE_NONE, 0);
	if (kw == NULL) {
		snprintf(err, errlen, "unknown algorithm '%s' in proposal '%s'", tok, text);
		return -EINVAL;
	}
	if (kw->type == IKEV2_TRANS_ESN && p->protocol == PROPOSAL_PROTO_IKE) {
		snprintf(err, errlen, "proposal '%s': '%s' applies to ESP and AH, not IKE", text,
			 tok);
		return -EINVAL;
	}
	if (kw->type == IKEV2_TRANS_ENCR && p->protocol == PROPOSAL_PROTO_AH) {
		snprintf(err, errlen, "proposal '%s': AH does not encrypt, remove '%s'", text, tok);
		return -EINVAL;
	}
	if (proposal_add_unique(p, kw->type, kw->ikev2_id, kw->key_bits) != 0) {
		snprintf(err, errlen, "proposal '%s': more than %d algorithms", text,
			 PROPOSAL_MAX_TRANSFORMS);
		return -EINVAL;
	}
	return 0;
}

/* IKE: with no prf* keyword, the PRF of each integrity algorithm. */
static int proposal_imply_prf(struct proposal *p, const char *text, char *err, size_t errlen)
{
	size_t n = p->ntrans;

	if (proposal_get(p, IKEV2_TRANS_PRF) != NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < ARRAY_SIZE(proposal_integ_prf); j++)
			if (p->trans[i].type == IKEV2_TRANS_INTEG &&
			    p->trans[i].id == proposal_integ_prf[j].integ &&
			    proposal_add_unique(p, IKEV2_TRANS_PRF, proposal_integ_prf[j].prf, 0) !=
				    0) {
				snprintf(err, errlen, "proposal '%s': too many algorithms", text);
				return -EINVAL;
			}
	return 0;
}

/* IKE: a PRF and a key exchange method are mandatory (RFC 7296 3.3.3). */
static int proposal_check_ike(struct proposal *p, const char *text, char *err, size_t errlen)
{
	if (proposal_get(p, IKEV2_TRANS_PRF) == NULL) {
		snprintf(err, errlen,
			 "proposal '%s': no PRF (with AEAD name one, e.g. prfsha256, or an "
			 "integrity algorithm that implies it)",
			 text);
		return -EINVAL;
	}
	proposal_remove_type(p, IKEV2_TRANS_KE, IKEV2_KE_NONE);
	if (proposal_get(p, IKEV2_TRANS_KE) == NULL) {
		snprintf(err, errlen,
			 "proposal '%s': no key exchange method (e.g. x25519, ecp256, modp2048)",
			 text);
		return -EINVAL;
	}
	return 0;
}

/* IKE and ESP: encryption present, AEAD and classic not mixed. */
static int proposal_check_encr(struct proposal *p, const char *text, char *err, size_t errlen)
{
	const char *aead = NULL, *classic = NULL;

	for (size_t i = 0; i < p->ntrans; i++) {
		const struct proposal_transform *t = &p->trans[i];

		if (t->type != IKEV2_TRANS_ENCR)
			continue;
		if (proposal_is_aead(t->id))
			aead = aead ? aead : alg_keyword_of(t->type, t->id, t->key_bits);
		else
			classic = classic ? classic : alg_keyword_of(t->type, t->id, t->key_bits);
	}
	if (!aead && !classic) {
		snprintf(err, errlen, "proposal '%s': no encryption algorithm", text);
		return -EINVAL;
	}
	if (aead && classic) {
		snprintf(err, errlen,
			 "proposal '%s': AEAD (%s) and classic (%s) encryption cannot be in "
			 "one proposal, make two",
			 text, aead, classic);
		return -EINVAL;
	}
	if (aead) {
		/* RFC 5282 8: an AEAD proposal carries no integrity transform */
		proposal_remove_type(p, IKEV2_TRANS_INTEG, -1);
	} else if (p->protocol == PROPOSAL_PROTO_IKE && !proposal_get(p, IKEV2_TRANS_INTEG)) {
		snprintf(err, errlen, "proposal '%s': no integrity algorithm", text);
		return -EINVAL;
	}
	return 0;
}

static int proposal_check(struct proposal *p, const char *text, char *err, size_t errlen)
{
	int r = 0;

	/* the PRF is implied before AEAD drops integrity keywords */
	if (p->protocol == PROPOSAL_PROTO_IKE)
		r = proposal_imply_prf(p, text, err, errlen);
	else
		proposal_remove_type(p, IKEV2_TRANS_PRF, -1);
	if (r)
		return r;
	if (p->protocol != PROPOSAL_PROTO_AH) {
		r = proposal_check_encr(p, text, err, errlen);
		if (r)
			return r;
	} else if (!proposal_get(p, IKEV2_TRANS_INTEG)) {
		snprintf(err, errlen, "proposal '%s': no integrity algorithm", text);
		return -EINVAL;
	}
	if (p->protocol == PROPOSAL_PROTO_IKE) {
		r = proposal_check_ike(p, text, err, errlen);
		if (r)
			return r;
	}
	/* RFC 7296 3.3.3: ESP and AH proposals always carry ESN */
	if (p->protocol != PROPOSAL_PROTO_IKE && !proposal_get(p, IKEV2_TRANS_ESN) &&
	    proposal_add(p, IKEV2_TRANS_ESN, IKEV2_ESN_NO, 0) != 0) {
		snprintf(err, errlen, "proposal '%s': too many algorithms", text);
		return -EINVAL;
	}
	return 0;
}

int proposal_parse(const char *text, uint8_t protocol, struct proposal *out, char *err,
		   size_t errlen)
{
	char buf[PROPOSAL_STRLEN], *tok, *end;
	size_t len;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	out->protocol = protocol;
	if (protocol < PROPOSAL_PROTO_IKE || protocol > PROPOSAL_PROTO_ESP) {
		snprintf(err, errlen, "unknown protocol %u for proposal '%s'", protocol, text);
		return -EINVAL;
	}
	while (*text == ' ' || *text == '\t')
		text++;
	len = strlen(text);
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (len == 0) {
		snprintf(err, errlen, "expected a proposal like 'aes128-sha256-modp2048', got ''");
		return -EINVAL;
	}
	if (len >= sizeof(buf)) {
		snprintf(err, errlen, "proposal '%.40s...' is too long", text);
		return -EINVAL;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	for (tok = buf; r == 0 && tok; tok = end ? end + 1 : NULL) {
		char word[PROPOSAL_STRLEN];
		size_t n;

		end = strchr(tok, '-');
		n = end ? (size_t)(end - tok) : strlen(tok);
		memcpy(word, tok, n);
		word[n] = '\0';
		if (n == 0) {
			snprintf(err, errlen, "empty algorithm in proposal '%s'", buf);
			r = -EINVAL;
		} else {
			r = proposal_add_token(out, word, buf, err, errlen);
		}
	}
	if (r == 0)
		r = proposal_check(out, buf, err, errlen);
	if (r) {
		memset(out, 0, sizeof(*out));
		out->protocol = protocol;
	}
	return r;
}

static const char *const *proposal_default_list(uint8_t protocol, size_t *n)
{
	switch (protocol) {
	case PROPOSAL_PROTO_IKE:
		*n = ARRAY_SIZE(proposal_default_ike);
		return proposal_default_ike;
	case PROPOSAL_PROTO_ESP:
		*n = ARRAY_SIZE(proposal_default_esp);
		return proposal_default_esp;
	case PROPOSAL_PROTO_AH:
		*n = ARRAY_SIZE(proposal_default_ah);
		return proposal_default_ah;
	default:
		*n = 0;
		return NULL;
	}
}

static size_t proposal_default_count(uint8_t protocol)
{
	size_t n;

	proposal_default_list(protocol, &n);
	return n;
}

size_t proposal_defaults(uint8_t protocol, struct proposal *out, size_t max)
{
	size_t n, i, k = 0;
	const char *const *list = proposal_default_list(protocol, &n);
	char err[8];

	for (i = 0; i < n && k < max; i++)
		if (proposal_parse(list[i], protocol, &out[k], err, sizeof(err)) == 0)
			k++;
	return k;
}

int proposal_list_parse(const char *text, uint8_t protocol, struct proposal *out, size_t max,
			size_t *n, char *err, size_t errlen)
{
	char item[PROPOSAL_STRLEN];
	const char *p = text, *end;
	int r;

	*n = 0;
	if (errlen)
		err[0] = '\0';
	do {
		size_t len;

		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0) {
			snprintf(err, errlen, "empty proposal in list '%.200s'", text);
			return -EINVAL;
		}
		if (len >= sizeof(item)) {
			snprintf(err, errlen, "proposal '%.40s...' is too long", p);
			return -EINVAL;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (strcmp(item, "default") == 0) {
			if (*n + proposal_default_count(protocol) > max)
				goto full;
			*n += proposal_defaults(protocol, out + *n, max - *n);
		} else {
			if (*n >= max)
				goto full;
			r = proposal_parse(item, protocol, &out[*n], err, errlen);
			if (r)
				return r;
			(*n)++;
		}
		p = end ? end + 1 : NULL;
	} while (p);
	return 0;
full:
	snprintf(err, errlen, "too many proposals in '%.200s' (at most %zu)", text, max);
	return -EINVAL;
}

/* The name as strongSwan prints it: "AES_CBC", "HMAC_SHA2_256_128",
 * "PRF_HMAC_SHA2_256", "CURVE_25519", "MODP_2048". */
static const char *proposal_alg_name(const struct proposal_transform *t, char *buf, size_t n)
{
	const char *name = alg_ikev2_name(t->type, t->id, buf, n);

	if (t->type == IKEV2_TRANS_ENCR && strncmp(name, "ENCR_", 5) == 0)
		return name + 5;
	if (t->type == IKEV2_TRANS_INTEG && strncmp(name, "AUTH_", 5) == 0)
		return name + 5;
	if (t->type == IKEV2_TRANS_KE && t->id == IKEV2_KE_CURVE25519)
		return "CURVE_25519";
	if (t->type == IKEV2_TRANS_KE && t->id == IKEV2_KE_CURVE448)
		return "CURVE_448";
	return name;
}

const char *proposal_transform_fmt(const struct proposal_transform *t, char *buf, size_t len)
{
	char name[48];

	if (t->key_bits)
		snprintf(buf, len, "%s_%u", proposal_alg_name(t, name, sizeof(name)), t->key_bits);
	else
		snprintf(buf, len, "%s", proposal_alg_name(t, name, sizeof(name)));
	return buf;
}

const char *proposal_fmt(const struct proposal *p, char *buf, size_t len)
{
	static const uint8_t order[] = {IKEV2_TRANS_ENCR, IKEV2_TRANS_INTEG, IKEV2_TRANS_PRF,
					IKEV2_TRANS_KE, IKEV2_TRANS_ESN};
	bool esn = proposal_has(p, IKEV2_TRANS_ESN, IKEV2_ESN_YES, 0);
	size_t off = 0;
	char name[48];

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (size_t o = 0; o < ARRAY_SIZE(order); o++)
		for (size_t i = 0; i < p->ntrans; i++) {
			const struct proposal_transform *t = &p->trans[i];
			int w;

			if (t->type != order[o])
				continue;
			/* swanctl --list-sas shows "/ESN" only when ESN is on */
			if (t->type == IKEV2_TRANS_ESN && t->id == IKEV2_ESN_NO && !esn)
				continue;
			w = snprintf(buf + off, len - off, "%s%s", off ? "/" : "",
				     proposal_alg_name(t, name, sizeof(name)));
			if (w > 0 && t->key_bits && (size_t)w < len - off)
				w += snprintf(buf + off + w, len - off - w, "-%u", t->key_bits);
			if (w < 0 || (size_t)w >= len - off) {
				buf[off] = '\0'; /* no half transform */
				return buf;
			}
			off += (size_t)w;
		}
	return buf;
}
