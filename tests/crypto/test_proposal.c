#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crypto/alg.h"
#include "crypto/proposal.h"

static struct proposal parse_ok(const char *text, uint8_t protocol)
{
	char err[256];
	struct proposal p;

	if (proposal_parse(text, protocol, &p, err, sizeof(err)) != 0)
		fail_msg("proposal_parse('%s'): %s", text, err);
	return p;
}

static const char *fmt(const char *text, uint8_t protocol)
{
	static char buf[PROPOSAL_STRLEN];
	struct proposal p = parse_ok(text, protocol);

	return proposal_fmt(&p, buf, sizeof(buf));
}

/* The strings of swanctl.conf and what `swanctl --list-sas` would show. */
static void strongswan_strings(void **state)
{
	struct proposal p;

	(void)state;
	assert_string_equal(fmt("aes128-sha256-modp2048", PROPOSAL_PROTO_IKE),
			    "AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048");
	assert_string_equal(fmt("aes128gcm16-prfsha256-x25519", PROPOSAL_PROTO_IKE),
			    "AES_GCM_16-128/PRF_HMAC_SHA2_256/CURVE_25519");
	/* AEAD with an integrity keyword: its PRF is implied, the integrity dropped */
	assert_string_equal(fmt("aes256gcm16-sha384-ecp384", PROPOSAL_PROTO_IKE),
			    "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384");
	assert_string_equal(fmt("aes128-aes256-sha256-sha1-modp2048-ecp256", PROPOSAL_PROTO_IKE),
			    "AES_CBC-128/AES_CBC-256/HMAC_SHA2_256_128/HMAC_SHA1_96/"
			    "PRF_HMAC_SHA2_256/PRF_HMAC_SHA1/MODP_2048/ECP_256");
	/* an explicit PRF stops the implication */
	assert_string_equal(fmt("aes256-sha512-prfsha384-curve448", PROPOSAL_PROTO_IKE),
			    "AES_CBC-256/HMAC_SHA2_512_256/PRF_HMAC_SHA2_384/CURVE_448");
	assert_string_equal(fmt("chacha20poly1305-prfsha256-ecp521", PROPOSAL_PROTO_IKE),
			    "CHACHA20_POLY1305/PRF_HMAC_SHA2_256/ECP_521");
	/* a repeated keyword is offered once */
	assert_string_equal(fmt("aes128-aes-sha256-sha2_256-modp2048", PROPOSAL_PROTO_IKE),
			    "AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048");

	/* ESP: KE means PFS; ESN defaults to off and is then not shown */
	assert_string_equal(fmt("aes256gcm16-modp2048", PROPOSAL_PROTO_ESP),
			    "AES_GCM_16-256/MODP_2048");
	p = parse_ok("aes256gcm16-modp2048", PROPOSAL_PROTO_ESP);
	assert_int_equal(p.ntrans, 3);
	assert_true(proposal_has(&p, IKEV2_TRANS_ESN, IKEV2_ESN_NO, 0));
	assert_null(proposal_get(&p, IKEV2_TRANS_INTEG));
	assert_string_equal(fmt("aes128-sha256", PROPOSAL_PROTO_ESP),
			    "AES_CBC-128/HMAC_SHA2_256_128");
	assert_string_equal(fmt("aes128-sha256-esn", PROPOSAL_PROTO_ESP),
			    "AES_CBC-128/HMAC_SHA2_256_128/ESN");
	assert_string_equal(fmt("aes128-sha256-esn-noesn", PROPOSAL_PROTO_ESP),
			    "AES_CBC-128/HMAC_SHA2_256_128/ESN/NO_ESN");
	/* IKE strings reused for ESP: the PRF goes; AEAD drops integrity */
	assert_string_equal(fmt("aes128-sha256-prfsha256-modp2048", PROPOSAL_PROTO_ESP),
			    "AES_CBC-128/HMAC_SHA2_256_128/MODP_2048");
	assert_string_equal(fmt("aes128gcm16-sha256", PROPOSAL_PROTO_ESP), "AES_GCM_16-128");
	/* ESP without integrity is allowed, as strongSwan */
	assert_string_equal(fmt("aes128ctr", PROPOSAL_PROTO_ESP), "AES_CTR-128");
	/* optional PFS: "modpnone" is KE NONE */
	p = parse_ok("aes128gcm16-ecp256-modpnone", PROPOSAL_PROTO_ESP);
	assert_true(proposal_has(&p, IKEV2_TRANS_KE, IKEV2_KE_ECP_256, 0));
	assert_true(proposal_has(&p, IKEV2_TRANS_KE, IKEV2_KE_NONE, 0));
	/* ... and is dropped from IKE, which cannot do without */
	p = parse_ok("aes128-sha256-modpnone-modp2048", PROPOSAL_PROTO_IKE);
	assert_false(proposal_has(&p, IKEV2_TRANS_KE, IKEV2_KE_NONE, 0));
	assert_string_equal(fmt("sha384-esn", PROPOSAL_PROTO_AH), "HMAC_SHA2_384_192/ESN");
	p = parse_ok("sha256", PROPOSAL_PROTO_AH);
	assert_int_equal(p.protocol, PROPOSAL_PROTO_AH);
	assert_int_equal(p.num, 0);
	assert_int_equal(p.spi_len, 0);
	/* white space around the string is not part of it */
	assert_string_equal(fmt("  aes128-sha256-modp2048 ", PROPOSAL_PROTO_IKE),
			    "AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048");
}

/* Each keyword, in a proposal that makes its type valid, gives its transform. */
static void every_keyword(void **state)
{
	size_t n;
	const struct alg_keyword *kw = alg_keywords(&n);
	char text[128];

	(void)state;
	assert_true(n > 40);
	for (size_t i = 0; i < n; i++) {
		const struct alg_keyword *k = &kw[i];
		uint8_t proto = PROPOSAL_PROTO_IKE;
		struct proposal p;

		switch (k->type) {
		case IKEV2_TRANS_ENCR:
			snprintf(text, sizeof(text), "%s-%s-modp2048", k->keyword,
				 proposal_is_aead(k->ikev2_id) ? "prfsha256" : "sha256");
			break;
		case IKEV2_TRANS_INTEG:
			snprintf(text, sizeof(text), "aes128-%s-modp2048", k->keyword);
			break;
		case IKEV2_TRANS_PRF:
			snprintf(text, sizeof(text), "aes128gcm16-%s-modp2048", k->keyword);
			break;
		case IKEV2_TRANS_KE:
			snprintf(text, sizeof(text), "aes128-sha256-%s", k->keyword);
			break;
		default:
			snprintf(text, sizeof(text), "aes128-sha256-%s", k->keyword);
			proto = PROPOSAL_PROTO_ESP;
			break;
		}
		p = parse_ok(text, proto);
		if (!proposal_has(&p, k->type, k->ikev2_id, k->key_bits))
			fail_msg("'%s' did not give transform %u/%u/%u", text, k->type, k->ikev2_id,
				 k->key_bits);
		/* the same keyword works for ESP (PRFs excepted) and AH (integrity) */
		if (k->type == IKEV2_TRANS_INTEG) {
			p = parse_ok(k->keyword, PROPOSAL_PROTO_AH);
			assert_true(proposal_has(&p, k->type, k->ikev2_id, k->key_bits));
		}
		if (k->type == IKEV2_TRANS_ENCR) {
			p = parse_ok(k->keyword, PROPOSAL_PROTO_ESP);
			assert_true(proposal_has(&p, k->type, k->ikev2_id, k->key_bits));
		}
	}
}

static void parse_errors(void **state)
{
	static const struct {
		const char *in;
		uint8_t proto;
		const char *msg;
	} bad[] = {
		{"aes129-sha256", PROPOSAL_PROTO_IKE,
		 "unknown algorithm 'aes129' in proposal 'aes129-sha256'"},
		{"AES128-sha256-modp2048", PROPOSAL_PROTO_IKE,
		 "unknown algorithm 'AES128' in proposal 'AES128-sha256-modp2048'"},
		{"aes128-modp2048", PROPOSAL_PROTO_IKE,
		 "proposal 'aes128-modp2048': no integrity algorithm"},
		{"aes128gcm16-x25519", PROPOSAL_PROTO_IKE,
		 "proposal 'aes128gcm16-x25519': no PRF (with AEAD name one, e.g. prfsha256, or an "
		 "integrity algorithm that implies it)"},
		{"aes128-sha256", PROPOSAL_PROTO_IKE,
		 "proposal 'aes128-sha256': no key exchange method (e.g. x25519, ecp256, "
		 "modp2048)"},
		{"aes128-sha256-modpnone", PROPOSAL_PROTO_IKE,
		 "proposal 'aes128-sha256-modpnone': no key exchange method (e.g. x25519, ecp256, "
		 "modp2048)"},
		{"sha256-modp2048", PROPOSAL_PROTO_IKE,
		 "proposal 'sha256-modp2048': no encryption algorithm"},
		{"sha256", PROPOSAL_PROTO_ESP, "proposal 'sha256': no encryption algorithm"},
		{"aes128gcm16-aes128-sha256-modp2048", PROPOSAL_PROTO_IKE,
		 "proposal 'aes128gcm16-aes128-sha256-modp2048': AEAD (aes128gcm16) and classic "
		 "(aes128) encryption cannot be in one proposal, make two"},
		{"aes128-sha256-modp2048-esn", PROPOSAL_PROTO_IKE,
		 "proposal 'aes128-sha256-modp2048-esn': 'esn' applies to ESP and AH, not IKE"},
		{"aes128-sha256", PROPOSAL_PROTO_AH,
		 "proposal 'aes128-sha256': AH does not encrypt, remove 'aes128'"},
		{"modp2048", PROPOSAL_PROTO_AH, "proposal 'modp2048': no integrity algorithm"},
		{"aes128--sha256", PROPOSAL_PROTO_ESP,
		 "empty algorithm in proposal 'aes128--sha256'"},
		{"aes128-sha256-", PROPOSAL_PROTO_ESP,
		 "empty algorithm in proposal 'aes128-sha256-'"},
		{"", PROPOSAL_PROTO_ESP,
		 "expected a proposal like 'aes128-sha256-modp2048', got ''"},
		{"aes128-sha256", 7, "unknown protocol 7 for proposal 'aes128-sha256'"},
	};
	char err[256];
	struct proposal p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(proposal_parse(bad[i].in, bad[i].proto, &p, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, bad[i].msg);
		assert_int_equal(p.ntrans, 0);
	}
}

static void lists(void **state)
{
	struct proposal p[PROPOSAL_MAX];
	char err[256], buf[PROPOSAL_STRLEN];
	size_t n, ndef = proposal_defaults(PROPOSAL_PROTO_IKE, p, PROPOSAL_MAX);

	(void)state;
	assert_int_equal(proposal_list_parse("aes128-sha256-modp2048, aes256gcm16-prfsha384-ecp384",
					     PROPOSAL_PROTO_IKE, p, PROPOSAL_MAX, &n, err,
					     sizeof(err)),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(proposal_fmt(&p[1], buf, sizeof(buf)),
			    "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384");
	/* "default" expands in place */
	assert_int_equal(proposal_list_parse("aes128-sha256-modp2048,default", PROPOSAL_PROTO_IKE,
					     p, PROPOSAL_MAX, &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 1 + ndef);
	assert_string_equal(proposal_fmt(&p[0], buf, sizeof(buf)),
			    "AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048");
	assert_true(proposal_has(&p[1], IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 128));
	/* errors name the bad proposal */
	assert_int_equal(proposal_list_parse("aes128-sha256-modp2048, aes128-shaa-modp2048",
					     PROPOSAL_PROTO_IKE, p, PROPOSAL_MAX, &n, err,
					     sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "unknown algorithm 'shaa' in proposal 'aes128-shaa-modp2048'");
	assert_int_equal(proposal_list_parse("aes128-sha256,,aes256-sha256", PROPOSAL_PROTO_ESP, p,
					     PROPOSAL_MAX, &n, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "empty proposal in list 'aes128-sha256,,aes256-sha256'");
	assert_int_equal(proposal_list_parse("aes128-sha256,aes256-sha256,aes192-sha256",
					     PROPOSAL_PROTO_ESP, p, 2, &n, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err,
			    "too many proposals in 'aes128-sha256,aes256-sha256,aes192-sha256' "
			    "(at most 2)");
	assert_int_equal(proposal_list_parse("aes128-sha256,default", PROPOSAL_PROTO_ESP, p, 2, &n,
					     err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "too many proposals in 'aes128-sha256,default' (at most 2)");
}

/* The defaults: strongSwan 5.9's choices, nothing weak, AEAD first. */
static void defaults(void **state)
{
	static const uint8_t protos[] = {PROPOSAL_PROTO_IKE, PROPOSAL_PROTO_ESP, PROPOSAL_PROTO_AH};
	struct proposal p[PROPOSAL_MAX];
	char buf[PROPOSAL_STRLEN];

	(void)state;
	for (size_t k = 0; k < sizeof(protos); k++) {
		size_t n = proposal_defaults(protos[k], p, PROPOSAL_MAX);

		assert_true(n >= 1);
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < p[i].ntrans; j++) {
				const struct alg_row *row =
					alg_by_ikev2(p[i].trans[j].type, p[i].trans[j].id);

				assert_non_null(row);
				if (row->weak)
					fail_msg("default %u proposal %zu has weak %s", protos[k],
						 i, row->name);
			}
	}
	assert_int_equal(proposal_defaults(PROPOSAL_PROTO_IKE, p, PROPOSAL_MAX), 2);
	assert_true(proposal_has(&p[0], IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 256));
	assert_true(proposal_has(&p[0], IKEV2_TRANS_ENCR, IKEV2_ENCR_CHACHA20_POLY1305, 0));
	assert_null(proposal_get(&p[0], IKEV2_TRANS_INTEG));
	assert_true(proposal_has(&p[0], IKEV2_TRANS_KE, IKEV2_KE_CURVE25519, 0));
	assert_true(proposal_has(&p[0], IKEV2_TRANS_KE, IKEV2_KE_MODP_2048, 0));
	assert_true(proposal_has(&p[1], IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 128));
	assert_true(proposal_has(&p[1], IKEV2_TRANS_INTEG, IKEV2_AUTH_HMAC_SHA2_256_128, 0));
	assert_false(proposal_has(&p[1], IKEV2_TRANS_INTEG, IKEV2_AUTH_HMAC_SHA1_96, 0));
	assert_false(proposal_has(&p[1], IKEV2_TRANS_KE, IKEV2_KE_MODP_1024, 0));
	assert_int_equal(proposal_defaults(PROPOSAL_PROTO_ESP, p, PROPOSAL_MAX), 2);
	assert_string_equal(proposal_fmt(&p[0], buf, sizeof(buf)),
			    "AES_GCM_16-128/AES_GCM_16-192/AES_GCM_16-256");
	assert_string_equal(proposal_fmt(&p[1], buf, sizeof(buf)),
			    "AES_CBC-128/AES_CBC-192/AES_CBC-256/HMAC_SHA2_256_128/"
			    "HMAC_SHA2_384_192/HMAC_SHA2_512_256/AES_XCBC_96");
	assert_null(proposal_get(&p[0], IKEV2_TRANS_KE)); /* no PFS by default */
	assert_true(proposal_has(&p[0], IKEV2_TRANS_ESN, IKEV2_ESN_NO, 0));
	/* a short array gets what fits */
	assert_int_equal(proposal_defaults(PROPOSAL_PROTO_IKE, p, 1), 1);
	assert_int_equal(proposal_defaults(9, p, PROPOSAL_MAX), 0);
}

static void building(void **state)
{
	struct proposal p = {.protocol = PROPOSAL_PROTO_ESP};
	struct proposal_transform t = {IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 256};
	char buf[PROPOSAL_STRLEN], small[20];

	(void)state;
	assert_null(proposal_get(&p, IKEV2_TRANS_ENCR));
	for (int i = 0; i < PROPOSAL_MAX_TRANSFORMS; i++)
		assert_int_equal(
			proposal_add(&p, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, (uint16_t)(128 + i)),
			0);
	assert_int_equal(proposal_add(&p, IKEV2_TRANS_ESN, 0, 0), -ENOSPC);
	assert_int_equal(proposal_get(&p, IKEV2_TRANS_ENCR)->key_bits, 128);
	assert_string_equal(proposal_transform_fmt(&t, buf, sizeof(buf)), "AES_CBC_256");
	t = (struct proposal_transform){IKEV2_TRANS_KE, IKEV2_KE_CURVE25519, 0};
	assert_string_equal(proposal_transform_fmt(&t, buf, sizeof(buf)), "CURVE_25519");
	t = (struct proposal_transform){IKEV2_TRANS_ENCR, 99, 0};
	assert_string_equal(proposal_transform_fmt(&t, buf, sizeof(buf)), "UNKNOWN(99)");
	/* a long proposal in a short buffer ends cleanly at a transform */
	p = parse_ok("aes128-sha256-modp2048", PROPOSAL_PROTO_IKE);
	assert_string_equal(proposal_fmt(&p, small, sizeof(small)), "AES_CBC-128");
	assert_true(proposal_is_aead(IKEV2_ENCR_AES_GCM_8));
	assert_false(proposal_is_aead(IKEV2_ENCR_AES_CTR));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strongswan_strings), cmocka_unit_test(every_keyword),
		cmocka_unit_test(parse_errors),	      cmocka_unit_test(lists),
		cmocka_unit_test(defaults),	      cmocka_unit_test(building),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
