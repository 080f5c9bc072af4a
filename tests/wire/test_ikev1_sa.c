/* test_ikev1_sa: SA / Proposal / Transform payloads and attributes. */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wire/ikev1.h"

/* A Quick Mode SA body as Windows offers it (RFC 2407 4.5): two ESP
 * proposals, the first with two transforms, SPI 4 bytes, lifetime in
 * seconds (TV) and kilobytes (TLV 4 bytes), UDP-encapsulated tunnel. */
static const char qm_sa_hex[] = "00000001 00000001"
				/* P #1 ESP, SPI 11223344, 2 transforms, next P */
				"02000044 01030402 11223344"
				/* T #1 ESP_AES-CBC, next T, len 28 */
				"0300001c 010c0000 80040003 80050002 80060100 80010001 80020e10"
				/* T #2 ESP_3DES, last, len 28: life kilobytes 100000 as TLV */
				"0000001c 02030000 80040003 80050002 80010002 00020004 000186a0"
				/* P #2 ESP, SPI 11223344, 1 transform, last */
				"0000001c 02030401 11223344"
				"00000010 010b0000 80040001 80050001";

static void decode_quick_mode_sa(void **state)
{
	struct ikev1_sa sa;
	struct ikev1_iter pit, xit;
	struct ikev1_prop p;
	struct ikev1_xform t;
	struct ikev1_attr a;
	struct wire_err err;
	uint8_t buf[256];
	size_t n = th_hex(buf, sizeof(buf), qm_sa_hex);
	uint64_t v;

	(void)state;
	assert_int_equal(ikev1_sa_decode((struct span){buf, n}, 32, &sa, &err), 0);
	assert_int_equal(sa.nprops, 2);
	assert_int_equal(sa.nxforms, 3);
	assert_int_equal(sa.props_off, 40);

	ikev1_props_begin(&pit, &sa);
	assert_int_equal(ikev1_prop_next(&pit, &p), 1);
	assert_int_equal(p.protocol, IPSEC_PROTO_ESP);
	th_assert_hex(p.spi.p, p.spi.len, "11223344");
	assert_int_equal(p.ntransforms, 2);
	ikev1_xforms_begin(&xit, &p);
	assert_int_equal(ikev1_xform_next(&xit, &t), 1);
	assert_int_equal(t.id, IPSEC_ESP_AES_CBC);
	assert_int_equal(t.offset, 52);
	assert_int_equal(ikev1_xform_attr(&t, IPSEC_ATTR_KEY_LENGTH, &a), 1);
	assert_int_equal(a.value, 256);
	assert_int_equal(ikev1_xform_attr(&t, IPSEC_ATTR_ENCAP_MODE, &a), 1);
	assert_int_equal(a.value, IPSEC_ENCAP_UDP_TUNNEL);
	assert_int_equal(ikev1_xform_attr(&t, IPSEC_ATTR_SA_LIFE_DURATION, &a), 1);
	assert_true(a.tv);
	assert_int_equal(ikev1_attr_u64(&a, &v), 0);
	assert_int_equal(v, 3600);
	assert_int_equal(ikev1_xform_next(&xit, &t), 1);
	assert_int_equal(t.id, IPSEC_ESP_3DES);
	assert_int_equal(ikev1_xform_attr(&t, IPSEC_ATTR_SA_LIFE_DURATION, &a), 1);
	assert_false(a.tv);
	assert_int_equal(ikev1_attr_u64(&a, &v), 0);
	assert_int_equal(v, 100000);
	assert_int_equal(ikev1_xform_next(&xit, &t), 0);

	assert_int_equal(ikev1_prop_next(&pit, &p), 1);
	assert_int_equal(p.number, 2);
	assert_int_equal(p.ntransforms, 1);
	assert_int_equal(ikev1_prop_next(&pit, &p), 0);
}

/* Encoding the decoded SA body gives the same bytes. */
static void sa_body_round_trip(void **state)
{
	struct ikev1_sa sa;
	struct wire_err err;
	struct ikev1_enc e;
	struct builder b;
	uint8_t buf[256];
	size_t n = th_hex(buf, sizeof(buf), qm_sa_hex);

	(void)state;
	assert_int_equal(ikev1_sa_decode((struct span){buf, n}, 32, &sa, &err), 0);
	bld_init(&b, 0);
	ikev1_enc_begin_chain(&e, &b);
	ikev1_payload_begin(&e, ISAKMP_NP_SA, 0);
	ikev1_sa_put_body(&e, &sa);
	ikev1_payload_end(&e);
	assert_int_equal(ikev1_enc_end(&e), 0);
	assert_int_equal(bld_off(&b), n + 4);
	th_assert_bytes(bld_data(&b) + 4, bld_off(&b) - 4, buf, n, "SA body");
	bld_free(&b);
}

/* TV when the number fits 16 bits, else TLV 4 bytes, else 8. */
static void attr_num_forms(void **state)
{
	struct ikev1_enc e;
	struct builder b;

	(void)state;
	bld_init(&b, 0);
	ikev1_enc_begin_chain(&e, &b);
	ikev1_payload_begin(&e, ISAKMP_NP_ATTR, 0);
	ikev1_attr_num(&e, IKEV1_ATTR_LIFE_DURATION, 28800);
	ikev1_attr_num(&e, IKEV1_ATTR_LIFE_DURATION, 86400);
	ikev1_attr_num(&e, IKEV1_ATTR_LIFE_DURATION, 0x100000000ULL);
	ikev1_payload_end(&e);
	assert_int_equal(ikev1_enc_end(&e), 0);
	th_assert_hex(bld_data(&b), bld_off(&b),
		      "0000001c"
		      "800c7080"
		      "000c0004 00015180"
		      "000c0008 0000000100000000");
	bld_free(&b);
}

static void attr_u64_limits(void **state)
{
	static const uint8_t nine[9] = {1};
	struct ikev1_attr a = {.type = 2, .tv = 0, .data = {nine, 9}};
	uint64_t v = 7;

	(void)state;
	assert_int_equal(ikev1_attr_u64(&a, &v), -ERANGE);
	assert_int_equal(v, 0);
	a.data.len = 0;
	assert_int_equal(ikev1_attr_u64(&a, &v), -ERANGE);
	a.data.len = 8;
	assert_int_equal(ikev1_attr_u64(&a, &v), 0);
	assert_true(v == 0x0100000000000000ULL);
}

/* An SA with n transforms of one attribute each in one proposal (per_prop)
 * or spread over proposals. */
static void build_big_sa(struct builder *b, unsigned nprops, unsigned per_prop)
{
	struct ikev1_enc e;
	unsigned i, j;

	ikev1_enc_begin_chain(&e, b);
	ikev1_sa_begin(&e, ISAKMP_DOI_IPSEC, IPSEC_SIT_IDENTITY_ONLY);
	for (i = 0; i < nprops; i++) {
		ikev1_prop_begin(&e, &(struct ikev1_prop){.number = (uint8_t)(i + 1),
							  .protocol = IPSEC_PROTO_ISAKMP});
		for (j = 0; j < per_prop; j++) {
			ikev1_xform_begin(&e, &(struct ikev1_xform){.number = (uint8_t)(j + 1),
								    .id = IPSEC_KEY_IKE});
			ikev1_attr_tv(&e, IKEV1_ATTR_ENCRYPTION, IKEV1_ENCR_AES_CBC);
			ikev1_xform_end(&e);
		}
		ikev1_prop_end(&e);
	}
	ikev1_sa_end(&e);
	assert_int_equal(ikev1_enc_end(&e), 0);
}

/* strongSwan offers one transform per algorithm combination: a full
 * proposal of 255 transforms must decode. */
static void many_transforms_accepted(void **state)
{
	struct builder b;
	struct ikev1_sa sa;
	struct wire_err err;

	(void)state;
	bld_init(&b, 0);
	build_big_sa(&b, 1, 255);
	assert_int_equal(bld_data(&b)[4 + 8 + 7], 255); /* # of Transforms */
	assert_int_equal(
		ikev1_sa_decode((struct span){bld_data(&b) + 4, bld_off(&b) - 4}, 32, &sa, &err),
		0);
	assert_int_equal(sa.nxforms, 255);
	bld_free(&b);
}

/* More than 255 transforms cannot be counted in one proposal. */
static void transform_count_overflow_refused_by_encoder(void **state)
{
	struct builder b;
	struct ikev1_enc e;
	unsigned j;

	(void)state;
	bld_init(&b, 0);
	ikev1_enc_begin_chain(&e, &b);
	ikev1_sa_begin(&e, ISAKMP_DOI_IPSEC, IPSEC_SIT_IDENTITY_ONLY);
	ikev1_prop_begin(&e, &(struct ikev1_prop){.number = 1, .protocol = 1});
	for (j = 0; j < 256; j++) {
		ikev1_xform_begin(&e, &(struct ikev1_xform){.id = 1});
		ikev1_xform_end(&e);
	}
	assert_int_equal(ikev1_prop_end(&e), -EINVAL);
	bld_free(&b);
}

static void sa_needs_open_proposal_closed(void **state)
{
	struct builder b;
	struct ikev1_enc e;

	(void)state;
	bld_init(&b, 0);
	ikev1_enc_begin_chain(&e, &b);
	ikev1_sa_begin(&e, ISAKMP_DOI_IPSEC, IPSEC_SIT_IDENTITY_ONLY);
	ikev1_prop_begin(&e, &(struct ikev1_prop){.number = 1, .protocol = 1});
	assert_int_equal(ikev1_sa_end(&e), -EINVAL);
	bld_free(&b);
}

static void unsupported_doi_and_situation(void **state)
{
	struct ikev1_sa sa;
	struct wire_err err;
	uint8_t buf[64];
	size_t n;

	(void)state;
	n = th_hex(buf, sizeof(buf), "00000002 00000001 00000010 01010001 00000008 01010000");
	assert_int_equal(ikev1_sa_decode((struct span){buf, n}, 32, &sa, &err), -EPROTONOSUPPORT);
	assert_int_equal(err.offset, 32);
	assert_string_equal(err.reason, "SA DOI 2: only the IPsec DOI (1) is supported");

	n = th_hex(buf, sizeof(buf), "00000001 00000003 00000010 01010001 00000008 01010000");
	assert_int_equal(ikev1_sa_decode((struct span){buf, n}, 32, &sa, &err), -EOPNOTSUPP);
	assert_int_equal(err.offset, 36);
	assert_non_null(strstr(err.reason, "secrecy and integrity"));

	/* a minimal valid one, for contrast */
	n = th_hex(buf, sizeof(buf), "00000001 00000001 00000010 01010001 00000008 01010000");
	assert_int_equal(ikev1_sa_decode((struct span){buf, n}, 32, &sa, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_quick_mode_sa),
		cmocka_unit_test(sa_body_round_trip),
		cmocka_unit_test(attr_num_forms),
		cmocka_unit_test(attr_u64_limits),
		cmocka_unit_test(many_transforms_accepted),
		cmocka_unit_test(transform_count_overflow_refused_by_encoder),
		cmocka_unit_test(sa_needs_open_proposal_closed),
		cmocka_unit_test(unsupported_doi_and_situation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
