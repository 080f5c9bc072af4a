#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "crypto/alg.h"
#include "ike/proposal_match.h"

/* A list from "a, b, c", numbered 1.. as on the wire. */
static size_t list(const char *text, uint8_t protocol, struct proposal *out)
{
	char err[256];
	size_t n;

	if (proposal_list_parse(text, protocol, out, PROPOSAL_MAX, &n, err, sizeof(err)) != 0)
		fail_msg("proposal_list_parse('%s'): %s", text, err);
	for (size_t i = 0; i < n; i++)
		out[i].num = (uint8_t)(i + 1);
	return n;
}

static const char *fmt(const struct proposal *p)
{
	static char buf[PROPOSAL_STRLEN];

	return proposal_fmt(p, buf, sizeof(buf));
}

/* Select with flags; the result must pass the initiator's check. */
static int sel(const char *offered, const char *mine, uint8_t protocol, unsigned flags,
	       struct proposal *chosen, char *why, size_t whylen)
{
	struct proposal o[PROPOSAL_MAX], m[PROPOSAL_MAX];
	size_t no = list(offered, protocol, o), nm = list(mine, protocol, m);
	char why2[512];
	int r = proposal_select_ex(o, no, m, nm, flags, chosen, why, whylen);

	if (r == 0 && !(flags & PROPOSAL_MATCH_SKIP_KE) &&
	    !proposal_is_acceptable_choice(chosen, o, no, why2, sizeof(why2)))
		fail_msg("choice %s of '%s' not acceptable: %s", fmt(chosen), offered, why2);
	return r;
}

static void one_of_each_type(void **state)
{
	struct proposal c;
	char why[512];

	(void)state;
	assert_int_equal(sel("aes128-aes256-sha256-sha1-modp2048-ecp256", "aes256-sha256-ecp256",
			     PROPOSAL_PROTO_IKE, 0, &c, why, sizeof(why)),
			 0);
	assert_string_equal(fmt(&c), "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256");
	assert_int_equal(c.ntrans, 4);
	assert_int_equal(c.num, 1);
	assert_int_equal(c.protocol, PROPOSAL_PROTO_IKE);
	assert_string_equal(why, "");
	/* the second offer matches: its number is kept */
	assert_int_equal(sel("aes128-sha1-modp2048, aes128gcm16-prfsha256-x25519",
			     "aes128gcm16-aes256gcm16-prfsha256-prfsha384-x25519-ecp256",
			     PROPOSAL_PROTO_IKE, 0, &c, why, sizeof(why)),
			 0);
	assert_int_equal(c.num, 2);
	assert_string_equal(fmt(&c), "AES_GCM_16-128/PRF_HMAC_SHA2_256/CURVE_25519");
	/* an offer matching our defaults (strongSwan's default ESP proposal) */
	assert_int_equal(sel("aes128gcm16-aes256gcm16", "default", PROPOSAL_PROTO_ESP, 0, &c, why,
			     sizeof(why)),
			 0);
	assert_string_equal(fmt(&c), "AES_GCM_16-128");
	assert_true(proposal_has(&c, IKEV2_TRANS_ESN, IKEV2_ESN_NO, 0));
}

static void preference(void **state)
{
	const char *offers = "aes256-sha256-modp2048, aes128gcm16-prfsha256-x25519";
	const char *mine = "aes128gcm16-prfsha256-x25519, aes256-sha256-modp2048";
	struct proposal c;

	(void)state;
	/* ours first by default (strongSwan), the peer's with the flag */
	assert_int_equal(sel(offers, mine, PROPOSAL_PROTO_IKE, 0, &c, NULL, 0), 0);
	assert_int_equal(c.num, 2);
	assert_int_equal(
		sel(offers, mine, PROPOSAL_PROTO_IKE, PROPOSAL_MATCH_PREFER_OFFERED, &c, NULL, 0),
		0);
	assert_int_equal(c.num, 1);
	/* and within one proposal */
	assert_int_equal(sel("aes128-aes256-sha256-sha512-modp2048-ecp256",
			     "aes256-aes128-sha512-sha256-ecp256-modp2048", PROPOSAL_PROTO_IKE, 0,
			     &c, NULL, 0),
			 0);
	assert_string_equal(fmt(&c), "AES_CBC-256/HMAC_SHA2_512_256/PRF_HMAC_SHA2_512/ECP_256");
	assert_int_equal(sel("aes128-aes256-sha256-sha512-modp2048-ecp256",
			     "aes256-aes128-sha512-sha256-ecp256-modp2048", PROPOSAL_PROTO_IKE,
			     PROPOSAL_MATCH_PREFER_OFFERED, &c, NULL, 0),
			 0);
	assert_string_equal(fmt(&c), "AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048");
	/* key length is part of the transform */
	assert_int_equal(sel("aes192-sha256-modp2048", "aes128-aes256-sha256-modp2048",
			     PROPOSAL_PROTO_IKE, 0, &c, NULL, 0),
			 -ENOENT);
}

static void keeps_number_and_spi(void **state)
{
	struct proposal o[2], m[1], c;

	(void)state;
	list("aes128-sha256, aes256gcm16", PROPOSAL_PROTO_ESP, o);
	list("aes256gcm16", PROPOSAL_PROTO_ESP, m);
	o[1].num = 7;
	o[1].spi_len = 4;
	memcpy(o[1].spi, "\xc0\x01\xd0\x0d", 4);
	assert_int_equal(proposal_select(o, 2, m, 1, &c, NULL, 0), 0);
	assert_int_equal(c.num, 7);
	assert_int_equal(c.spi_len, 4);
	th_assert_hex(c.spi, c.spi_len, "c001d00d");
}

static void why_nothing_matched(void **state)
{
	struct proposal c;
	char why[512];

	(void)state;
	assert_int_equal(sel("aes256-sha1-modp2048",
			     "aes128gcm16-prfsha256-modp2048, aes128-sha256-modp2048",
			     PROPOSAL_PROTO_IKE, 0, &c, why, sizeof(why)),
			 -ENOENT);
	assert_string_equal(why, "no proposal chosen: ENCR offered AES_CBC_256, we accept "
				 "AES_GCM_16_128, AES_CBC_128; INTEG offered HMAC_SHA1_96, we "
				 "accept HMAC_SHA2_256_128; PRF offered PRF_HMAC_SHA1, we accept "
				 "PRF_HMAC_SHA2_256; KE: MODP_2048 in both");
	assert_int_equal(c.ntrans, 0);
	/* only the differing type when the rest agrees */
	assert_int_equal(sel("aes128-sha256-modp1024", "aes128-sha256-modp2048-ecp256",
			     PROPOSAL_PROTO_IKE, 0, &c, why, sizeof(why)),
			 -ENOENT);
	assert_string_equal(why, "no proposal chosen: KE offered MODP_1024, we accept MODP_2048, "
				 "ECP_256; ENCR: AES_CBC_128 in both; INTEG: HMAC_SHA2_256_128 in "
				 "both; PRF: PRF_HMAC_SHA2_256 in both");
	/* every type has a match, but not within one offered proposal */
	assert_int_equal(sel("aes128-sha1-modp2048, aes256-sha256-modp2048",
			     "aes128-sha256-modp2048", PROPOSAL_PROTO_IKE, 0, &c, why, sizeof(why)),
			 -ENOENT);
	assert_string_equal(why,
			    "no proposal chosen: no offered proposal matches one of ours as "
			    "a whole; offered AES_CBC-128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048, "
			    "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048; we "
			    "accept AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048");
	/* a short buffer gets the start of the line; NULL is fine */
	assert_int_equal(sel("aes256-sha1-modp2048", "aes128-sha256-modp2048", PROPOSAL_PROTO_IKE,
			     0, &c, why, 20),
			 -ENOENT);
	assert_string_equal(why, "no proposal chosen:");
	assert_int_equal(sel("aes256-sha1-modp2048", "aes128-sha256-modp2048", PROPOSAL_PROTO_IKE,
			     0, &c, NULL, 0),
			 -ENOENT);
}

static void wrong_protocol_or_empty(void **state)
{
	struct proposal o[1], m[1], c;
	char why[256];

	(void)state;
	list("aes128-sha256", PROPOSAL_PROTO_ESP, o);
	list("sha256", PROPOSAL_PROTO_AH, m);
	assert_int_equal(proposal_select(o, 1, m, 1, &c, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "no proposal chosen: the peer offered no AH proposal");
	assert_int_equal(proposal_select(o, 0, m, 1, &c, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "no proposal chosen: the peer offered no proposal");
	assert_int_equal(proposal_select(o, 1, m, 0, &c, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "no proposal chosen: we have no proposal configured");
}

/* RFC 7296 3.3.3 / 3.3.6: an absent KE is KE NONE for ESP and AH. */
static void pfs(void **state)
{
	struct proposal c, o[1], m[1];
	char why[512];

	(void)state;
	/* the peer makes PFS optional, we do not want it: KE NONE chosen */
	assert_int_equal(sel("aes128gcm16-modp2048-modpnone", "aes128gcm16", PROPOSAL_PROTO_ESP, 0,
			     &c, why, sizeof(why)),
			 0);
	assert_true(proposal_has(&c, IKEV2_TRANS_KE, IKEV2_KE_NONE, 0));
	assert_int_equal(c.ntrans, 3);
	/* ... we want it: the group */
	assert_int_equal(sel("aes128gcm16-modp2048-modpnone", "aes128gcm16-ecp256-modp2048",
			     PROPOSAL_PROTO_ESP, 0, &c, why, sizeof(why)),
			 0);
	assert_true(proposal_has(&c, IKEV2_TRANS_KE, IKEV2_KE_MODP_2048, 0));
	/* the peer requires PFS, we have none */
	assert_int_equal(sel("aes128gcm16-modp2048", "aes128gcm16", PROPOSAL_PROTO_ESP, 0, &c, why,
			     sizeof(why)),
			 -ENOENT);
	assert_string_equal(why, "no proposal chosen: KE offered MODP_2048, we accept NONE; ENCR: "
				 "AES_GCM_16_128 in both; ESN: NO_ESN in both");
	/* we require PFS, the peer offers none */
	assert_int_equal(sel("aes128gcm16", "aes128gcm16-ecp256", PROPOSAL_PROTO_ESP, 0, &c, why,
			     sizeof(why)),
			 -ENOENT);
	assert_string_equal(why, "no proposal chosen: KE offered NONE, we accept ECP_256; ENCR: "
				 "AES_GCM_16_128 in both; ESN: NO_ESN in both");
	/* we make it optional, the peer offers none: no KE in the result */
	assert_int_equal(sel("aes128gcm16", "aes128gcm16-ecp256-modpnone", PROPOSAL_PROTO_ESP, 0,
			     &c, why, sizeof(why)),
			 0);
	assert_null(proposal_get(&c, IKEV2_TRANS_KE));
	/* the CHILD SA of IKE_AUTH: KE ignored on both sides */
	assert_int_equal(sel("aes128gcm16-modp2048", "aes128gcm16", PROPOSAL_PROTO_ESP,
			     PROPOSAL_MATCH_SKIP_KE, &c, why, sizeof(why)),
			 0);
	assert_null(proposal_get(&c, IKEV2_TRANS_KE));
	assert_int_equal(sel("aes128gcm16", "aes128gcm16-ecp256", PROPOSAL_PROTO_ESP,
			     PROPOSAL_MATCH_SKIP_KE, &c, why, sizeof(why)),
			 0);
	/* never KE NONE for an IKE SA (RFC 7296 2.18), even if both list it */
	memset(o, 0, sizeof(o));
	o[0].protocol = PROPOSAL_PROTO_IKE;
	o[0].num = 1;
	proposal_add(&o[0], IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 128);
	proposal_add(&o[0], IKEV2_TRANS_PRF, IKEV2_PRF_HMAC_SHA2_256, 0);
	proposal_add(&o[0], IKEV2_TRANS_KE, IKEV2_KE_NONE, 0);
	m[0] = o[0];
	assert_int_equal(proposal_select(o, 1, m, 1, &c, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "no proposal chosen: KE offered NONE, we accept NONE; ENCR: "
				 "AES_GCM_16_128 in both; PRF: PRF_HMAC_SHA2_256 in both");
	o[0].ntrans = 2; /* and an IKE offer without KE is malformed */
	m[0] = o[0];
	proposal_add(&m[0], IKEV2_TRANS_KE, IKEV2_KE_MODP_2048, 0);
	assert_int_equal(proposal_select(o, 1, m, 1, &c, why, sizeof(why)), -ENOENT);
}

static void esn_and_unknown_types(void **state)
{
	struct proposal c, o[1], m[1];

	(void)state;
	assert_int_equal(sel("aes128gcm16-esn-noesn", "aes128gcm16-esn-noesn", PROPOSAL_PROTO_ESP,
			     0, &c, NULL, 0),
			 0);
	assert_true(proposal_has(&c, IKEV2_TRANS_ESN, IKEV2_ESN_YES, 0));
	assert_int_equal(
		sel("aes128gcm16-esn-noesn", "aes128gcm16", PROPOSAL_PROTO_ESP, 0, &c, NULL, 0), 0);
	assert_true(proposal_has(&c, IKEV2_TRANS_ESN, IKEV2_ESN_NO, 0));
	assert_false(proposal_has(&c, IKEV2_TRANS_ESN, IKEV2_ESN_YES, 0));
	assert_int_equal(sel("aes128gcm16-esn", "aes128gcm16", PROPOSAL_PROTO_ESP, 0, &c, NULL, 0),
			 -ENOENT);
	/* RFC 9370 additional key exchange 1 (type 6): we cannot do it ... */
	list("aes128gcm16-prfsha256-x25519", PROPOSAL_PROTO_IKE, o);
	m[0] = o[0];
	proposal_add(&o[0], 6, 35, 0);
	assert_int_equal(proposal_select(o, 1, m, 1, &c, NULL, 0), -ENOENT);
	/* ... unless it is optional (NONE offered too) */
	proposal_add(&o[0], 6, 0, 0);
	assert_int_equal(proposal_select(o, 1, m, 1, &c, NULL, 0), 0);
	assert_true(proposal_has(&c, 6, 0, 0));
	/* a transform type outside IKEv2's range fails the offer */
	list("aes128gcm16-prfsha256-x25519", PROPOSAL_PROTO_IKE, o);
	proposal_add(&o[0], 200, 1, 0);
	assert_int_equal(proposal_select(o, 1, m, 1, &c, NULL, 0), -ENOENT);
}

/* IKEv1 offers carry one transform per type: the choice is the offer unchanged. */
static void ikev1_style(void **state)
{
	struct proposal o[2], m[PROPOSAL_MAX], c;
	size_t nm = list("default", PROPOSAL_PROTO_IKE, m);

	(void)state;
	list("aes128-sha1-modp1024, aes256-sha256-modp2048", PROPOSAL_PROTO_IKE, o);
	assert_int_equal(proposal_select(o, 2, m, nm, &c, NULL, 0), 0);
	assert_int_equal(c.num, 2);
	assert_int_equal(c.ntrans, o[1].ntrans);
	for (size_t i = 0; i < c.ntrans; i++)
		assert_true(
			proposal_has(&o[1], c.trans[i].type, c.trans[i].id, c.trans[i].key_bits));
}

static void initiator_check(void **state)
{
	struct proposal o[2], c, esp[1];
	char why[256];

	(void)state;
	list("aes128-aes256-sha256-modp2048-ecp256, aes128gcm16-prfsha256-x25519",
	     PROPOSAL_PROTO_IKE, o);
	c = o[0];
	c.ntrans = 0;
	proposal_add(&c, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 256);
	proposal_add(&c, IKEV2_TRANS_INTEG, IKEV2_AUTH_HMAC_SHA2_256_128, 0);
	proposal_add(&c, IKEV2_TRANS_PRF, IKEV2_PRF_HMAC_SHA2_256, 0);
	proposal_add(&c, IKEV2_TRANS_KE, IKEV2_KE_ECP_256, 0);
	assert_true(proposal_is_acceptable_choice(&c, o, 2, why, sizeof(why)));
	assert_string_equal(why, "");
	c.trans[0].key_bits = 192;
	assert_false(proposal_is_acceptable_choice(&c, o, 2, why, sizeof(why)));
	assert_string_equal(
		why, "responder chose ENCR AES_CBC_192 which we did not offer in proposal 1");
	c.trans[0].key_bits = 256;
	proposal_add(&c, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 128);
	assert_false(proposal_is_acceptable_choice(&c, o, 2, why, sizeof(why)));
	assert_string_equal(why, "responder chose 2 ENCR transforms in proposal 1, expected one");
	c.ntrans = 3; /* no KE */
	assert_false(proposal_is_acceptable_choice(&c, o, 2, why, sizeof(why)));
	assert_string_equal(why,
			    "responder chose no KE transform in proposal 1, we offered MODP_2048, "
			    "ECP_256");
	c.ntrans = 4;
	c.trans[3] = (struct proposal_transform){IKEV2_TRANS_KE, IKEV2_KE_ECP_256, 0};
	c.num = 3;
	assert_false(proposal_is_acceptable_choice(&c, o, 2, why, sizeof(why)));
	assert_string_equal(why,
			    "responder chose proposal 3, which we did not offer (we offered 2)");
	c.num = 2; /* proposal 2's number with proposal 1's transforms */
	assert_false(proposal_is_acceptable_choice(&c, o, 2, why, sizeof(why)));
	assert_string_equal(
		why, "responder chose ENCR AES_CBC_256 which we did not offer in proposal 2");
	c.protocol = PROPOSAL_PROTO_ESP;
	assert_false(proposal_is_acceptable_choice(&c, o, 2, why, sizeof(why)));
	assert_string_equal(why, "responder chose proposal 2 for ESP, we offered it for IKE");

	/* optional PFS offered: the responder may answer without KE or with NONE */
	list("aes128gcm16-modp2048-modpnone", PROPOSAL_PROTO_ESP, esp);
	c = esp[0];
	c.ntrans = 0;
	proposal_add(&c, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 128);
	proposal_add(&c, IKEV2_TRANS_ESN, IKEV2_ESN_NO, 0);
	assert_true(proposal_is_acceptable_choice(&c, esp, 1, why, sizeof(why)));
	proposal_add(&c, IKEV2_TRANS_KE, IKEV2_KE_NONE, 0);
	assert_true(proposal_is_acceptable_choice(&c, esp, 1, why, sizeof(why)));
	/* PFS required: no KE is refused */
	list("aes128gcm16-modp2048", PROPOSAL_PROTO_ESP, esp);
	c.ntrans = 2;
	assert_false(proposal_is_acceptable_choice(&c, esp, 1, why, sizeof(why)));
	assert_string_equal(why,
			    "responder chose no KE transform in proposal 1, we offered MODP_2048");
	/* a KE where we offered none */
	list("aes128gcm16", PROPOSAL_PROTO_ESP, esp);
	proposal_add(&c, IKEV2_TRANS_KE, IKEV2_KE_MODP_2048, 0);
	assert_false(proposal_is_acceptable_choice(&c, esp, 1, why, sizeof(why)));
	assert_string_equal(why,
			    "responder chose KE MODP_2048 which we did not offer in proposal 1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_of_each_type),	   cmocka_unit_test(preference),
		cmocka_unit_test(keeps_number_and_spi),	   cmocka_unit_test(why_nothing_matched),
		cmocka_unit_test(wrong_protocol_or_empty), cmocka_unit_test(pfs),
		cmocka_unit_test(esn_and_unknown_types),   cmocka_unit_test(ikev1_style),
		cmocka_unit_test(initiator_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
