/* test_ikev1_rules: which payloads each IKEv1 message carries. Messages are
 * built with the encoder (clear ones) or as decrypted chains (encrypted ones). */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wire/ikev1_rules.h"

static const uint8_t blob[32] = {0x5a};
static struct ikev1_msg msg;
static struct builder bld;

/* A payload list to build: kind and, for NAT-D/ID..., defaults that decode. */
static void put(struct ikev1_enc *e, uint8_t type)
{
	static const uint8_t v4[4] = {10, 0, 0, 1};
	static const uint8_t spi[4] = {1, 2, 3, 4};

	switch (type) {
	case ISAKMP_NP_SA:
		ikev1_sa_begin(e, ISAKMP_DOI_IPSEC, IPSEC_SIT_IDENTITY_ONLY);
		ikev1_prop_begin(e, &(struct ikev1_prop){.number = 1, .protocol = 1});
		ikev1_xform_begin(e, &(struct ikev1_xform){.number = 1, .id = 1});
		ikev1_xform_end(e);
		ikev1_prop_end(e);
		ikev1_sa_end(e);
		break;
	case ISAKMP_NP_ID:
		ikev1_put_id(e, &(struct ikev1_id){.type = IPSEC_ID_IPV4_ADDR, .data = {v4, 4}});
		break;
	case ISAKMP_NP_N:
		ikev1_put_notify(e, &(struct ikev1_notify){.doi = 1, .type = 24578});
		break;
	case ISAKMP_NP_D:
		ikev1_put_delete(e, &(struct ikev1_delete){.doi = 1,
							   .protocol = 3,
							   .spi_size = 4,
							   .count = 1,
							   .spis = {spi, 4}});
		break;
	case ISAKMP_NP_NATOA:
		ikev1_put_natoa(e, type, &(struct ikev1_natoa){.id_type = 1, .addr = {v4, 4}});
		break;
	case ISAKMP_NP_CERT:
	case ISAKMP_NP_CR:
		ikev1_put_cert(e, type, &(struct ikev1_cert){.encoding = 4});
		break;
	case ISAKMP_NP_FRAG:
		ikev1_put_frag(e, &(struct ikev1_frag){.id = 1, .number = 1, .data = {blob, 8}});
		break;
	case ISAKMP_NP_ATTR:
		ikev1_cfg_begin(e, 1, 1);
		ikev1_cfg_end(e);
		break;
	default:
		ikev1_put_data(e, type, (struct span){blob, 20});
		break;
	}
}

/* Build exchange xchg with the payload types (0-terminated); encrypted
 * messages get the E flag and their chain decoded as if decrypted. */
static void build(uint8_t xchg, int encrypted, const uint8_t *types)
{
	struct isakmp_hdr h = {.spi_i = {1}, .major = 1, .exchange = xchg};
	struct ikev1_enc e;
	struct wire_err err;
	static struct builder plain;

	bld_free(&bld);
	bld_free(&plain);
	bld_init(&bld, 0);
	bld_init(&plain, 0);
	if (!encrypted) {
		ikev1_enc_begin(&e, &bld, &h);
		for (; *types; types++)
			put(&e, *types);
		assert_int_equal(ikev1_enc_end(&e), 0);
		assert_int_equal(ikev1_msg_decode(bld_data(&bld), bld_off(&bld), &msg, &err), 0);
		return;
	}
	ikev1_enc_begin_chain(&e, &plain);
	for (; *types; types++)
		put(&e, *types);
	assert_int_equal(ikev1_enc_end(&e), 0);
	ikev1_chain_pad(&plain, 16);
	h.next_payload = e.first;
	ikev1_enc_encrypted(&bld, &h, (struct span){bld_data(&plain), bld_off(&plain)});
	assert_int_equal(ikev1_msg_decode(bld_data(&bld), bld_off(&bld), &msg, &err), 0);
	if (ikev1_chain_decode(msg.first, (struct span){bld_data(&plain), bld_off(&plain)}, &msg,
			       &err))
		fail_msg("chain: %s", err.reason);
}

static void ok(unsigned msg_no)
{
	struct wire_err err = {0};
	int rc = ikev1_rules_check(&msg, msg_no, &err);

	if (rc)
		fail_msg("rules refused message %u: %s", msg_no, err.reason);
}

static void bad(unsigned msg_no, int rc, const char *reason)
{
	struct wire_err err = {0};
	int got = ikev1_rules_check(&msg, msg_no, &err);

	if (got != rc || strcmp(err.reason, reason) != 0)
		fail_msg("got %d \"%s\", want %d \"%s\"", got, err.reason, rc, reason);
}

#define T(...) ((const uint8_t[]){__VA_ARGS__, 0})

static void main_mode_positive(void **state)
{
	(void)state;
	build(ISAKMP_XCHG_IDPROT, 0, T(ISAKMP_NP_SA, ISAKMP_NP_VID, ISAKMP_NP_VID));
	ok(1);
	ok(2);
	build(ISAKMP_XCHG_IDPROT, 0,
	      T(ISAKMP_NP_KE, ISAKMP_NP_NONCE, ISAKMP_NP_NATD, ISAKMP_NP_NATD_DRAFT));
	ok(3);
	ok(4);
	build(ISAKMP_XCHG_IDPROT, 0, T(ISAKMP_NP_KE, ISAKMP_NP_NONCE, ISAKMP_NP_CR, ISAKMP_NP_VID));
	ok(4);
	build(ISAKMP_XCHG_IDPROT, 1, T(ISAKMP_NP_ID, ISAKMP_NP_HASH, ISAKMP_NP_N));
	ok(5);
	ok(6);
	build(ISAKMP_XCHG_IDPROT, 1, T(ISAKMP_NP_ID, ISAKMP_NP_CERT, ISAKMP_NP_SIG));
	ok(5);
	ok(6);
}

static void main_mode_negative(void **state)
{
	(void)state;
	build(ISAKMP_XCHG_IDPROT, 0, T(ISAKMP_NP_KE));
	bad(3, -EBADMSG, "Main Mode message 3: missing NONCE payload");
	bad(1, -ENOTSUP, "Main Mode message 1: unexpected KE payload");
	build(ISAKMP_XCHG_IDPROT, 0, T(ISAKMP_NP_SA, ISAKMP_NP_SA));
	bad(1, -EBADMSG, "Main Mode message 1: 2 SA payloads, at most 1 allowed");
	build(ISAKMP_XCHG_IDPROT, 0, T(ISAKMP_NP_ID, ISAKMP_NP_HASH));
	bad(5, -EBADMSG, "Main Mode message 5 must be encrypted (E flag)");
	build(ISAKMP_XCHG_IDPROT, 1, T(ISAKMP_NP_SA));
	bad(1, -EBADMSG, "Main Mode message 1 must not be encrypted");
	build(ISAKMP_XCHG_IDPROT, 1, T(ISAKMP_NP_ID, ISAKMP_NP_HASH, ISAKMP_NP_SIG));
	bad(5, -EBADMSG, "Main Mode message 5: both; expected exactly one of HASH and SIG");
	build(ISAKMP_XCHG_IDPROT, 1, T(ISAKMP_NP_ID, ISAKMP_NP_CERT));
	bad(6, -EBADMSG, "Main Mode message 6: neither; expected exactly one of HASH and SIG");
	bad(7, -EINVAL, "no payload rules for exchange MAIN_MODE message 7");
}

static void aggressive_mode(void **state)
{
	(void)state;
	build(ISAKMP_XCHG_AGGR, 0,
	      T(ISAKMP_NP_SA, ISAKMP_NP_KE, ISAKMP_NP_NONCE, ISAKMP_NP_ID, ISAKMP_NP_VID));
	ok(1);
	bad(2, -EBADMSG,
	    "Aggressive Mode message 2: neither; expected exactly one of HASH and SIG");
	build(ISAKMP_XCHG_AGGR, 0,
	      T(ISAKMP_NP_SA, ISAKMP_NP_KE, ISAKMP_NP_NONCE, ISAKMP_NP_ID, ISAKMP_NP_HASH,
		ISAKMP_NP_NATD, ISAKMP_NP_NATD));
	ok(2);
	build(ISAKMP_XCHG_AGGR, 0, T(ISAKMP_NP_HASH, ISAKMP_NP_NATD, ISAKMP_NP_NATD));
	ok(3);
	build(ISAKMP_XCHG_AGGR, 1, T(ISAKMP_NP_HASH));
	ok(3);
	build(ISAKMP_XCHG_AGGR, 0, T(ISAKMP_NP_SA, ISAKMP_NP_KE, ISAKMP_NP_ID));
	bad(1, -EBADMSG, "Aggressive Mode message 1: missing NONCE payload");
}

static void quick_mode(void **state)
{
	(void)state;
	build(IKEV1_XCHG_QUICK, 1,
	      T(ISAKMP_NP_HASH, ISAKMP_NP_SA, ISAKMP_NP_NONCE, ISAKMP_NP_KE, ISAKMP_NP_ID,
		ISAKMP_NP_ID, ISAKMP_NP_NATOA, ISAKMP_NP_NATOA));
	ok(1);
	ok(2);
	build(IKEV1_XCHG_QUICK, 1, T(ISAKMP_NP_HASH, ISAKMP_NP_SA, ISAKMP_NP_NONCE));
	ok(1);
	build(IKEV1_XCHG_QUICK, 1, T(ISAKMP_NP_HASH));
	ok(3);
	bad(1, -EBADMSG, "Quick Mode message 1: missing SA payload");

	build(IKEV1_XCHG_QUICK, 1, T(ISAKMP_NP_SA, ISAKMP_NP_HASH, ISAKMP_NP_NONCE));
	bad(1, -EBADMSG, "Quick Mode message 1: HASH must be the first payload, SA came");
	build(IKEV1_XCHG_QUICK, 1, T(ISAKMP_NP_HASH, ISAKMP_NP_NONCE, ISAKMP_NP_SA));
	bad(1, -EBADMSG, "Quick Mode message 1: SA must directly follow HASH, NONCE came");
	build(IKEV1_XCHG_QUICK, 1, T(ISAKMP_NP_HASH, ISAKMP_NP_SA, ISAKMP_NP_NONCE, ISAKMP_NP_ID));
	bad(1, -EBADMSG, "Quick Mode message 1: 1 ID payload; expected none or a pair");
	build(IKEV1_XCHG_QUICK, 1, T(ISAKMP_NP_HASH, ISAKMP_NP_SA, ISAKMP_NP_NONCE, ISAKMP_NP_VID));
	bad(1, -ENOTSUP, "Quick Mode message 1: unexpected VID payload");
	build(IKEV1_XCHG_QUICK, 0, T(ISAKMP_NP_HASH));
	bad(3, -EBADMSG, "Quick Mode message 3 must be encrypted (E flag)");
}

static void informational(void **state)
{
	(void)state;
	build(ISAKMP_XCHG_INFO, 1, T(ISAKMP_NP_HASH, ISAKMP_NP_N));
	ok(0);
	build(ISAKMP_XCHG_INFO, 1, T(ISAKMP_NP_HASH, ISAKMP_NP_D));
	ok(0);
	build(ISAKMP_XCHG_INFO, 0, T(ISAKMP_NP_N));
	ok(0);
	build(ISAKMP_XCHG_INFO, 1, T(ISAKMP_NP_N, ISAKMP_NP_HASH));
	bad(0, -EBADMSG, "Informational (protected): HASH must be the first payload, N came");
	build(ISAKMP_XCHG_INFO, 1, T(ISAKMP_NP_HASH));
	bad(0, -EBADMSG, "Informational (protected): neither; expected exactly one of N and D");
	build(ISAKMP_XCHG_INFO, 0, T(ISAKMP_NP_HASH, ISAKMP_NP_N));
	bad(0, -ENOTSUP, "Informational (clear): unexpected HASH payload");
}

static void transaction_and_new_group(void **state)
{
	(void)state;
	build(ISAKMP_XCHG_TRANSACTION, 1, T(ISAKMP_NP_HASH, ISAKMP_NP_ATTR));
	ok(0);
	build(ISAKMP_XCHG_TRANSACTION, 1, T(ISAKMP_NP_HASH));
	bad(0, -EBADMSG, "Transaction: missing ATTR payload");
	build(IKEV1_XCHG_NEW_GROUP, 1, T(ISAKMP_NP_HASH, ISAKMP_NP_SA));
	ok(1);
	ok(2);
}

/* A fragment is reassembled before the rules: it never passes them. */
static void fragment_never_passes(void **state)
{
	(void)state;
	build(ISAKMP_XCHG_IDPROT, 0, T(ISAKMP_NP_FRAG));
	bad(5, -EBADMSG, "Main Mode message 5 must be encrypted (E flag)");
	bad(3, -ENOTSUP, "Main Mode message 3: unexpected FRAG payload");
}

static void lookup(void **state)
{
	const struct ikev1_msg_rules *r;

	(void)state;
	r = ikev1_rules_find(IKEV1_XCHG_QUICK, 2, 1);
	assert_non_null(r);
	assert_string_equal(r->name, "Quick Mode message 2");
	assert_int_equal(r->enc, IKEV1_ENCRYPTED);
	assert_null(ikev1_rules_find(ISAKMP_XCHG_BASE, 1, 0));
	assert_string_equal(ikev1_rules_find(ISAKMP_XCHG_INFO, 0, 0)->name,
			    "Informational (clear)");
	assert_string_equal(ikev1_rules_find(ISAKMP_XCHG_INFO, 0, 1)->name,
			    "Informational (protected)");
}

static int teardown(void **state)
{
	(void)state;
	bld_free(&bld);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(main_mode_positive),
		cmocka_unit_test(main_mode_negative),
		cmocka_unit_test(aggressive_mode),
		cmocka_unit_test(quick_mode),
		cmocka_unit_test(informational),
		cmocka_unit_test(transaction_and_new_group),
		cmocka_unit_test(fragment_never_passes),
		cmocka_unit_test(lookup),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
