/* test_ikev2_sa: the SA payload (RFC 7296 3.3): decode of bytes written from
 * the RFC's diagrams, iteration, encoding with computed lengths, counts and
 * Last Substruc values, and the checks on numbering and SPI sizes. */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "wire/ikev2_sa.h"
#include "wire/names.h"

/* An ESP proposal per RFC 7296 3.3.1/3.3.2, field by field. */
static const char esp_sa_hex[] =
	/* Proposal: Last Substruc 0, RESERVED, Proposal Length 40 */
	"00000028"
	/* Proposal Num 1, Protocol ESP, SPI Size 4, Num Transforms 3; SPI */
	"01030403 11223344"
	/* Transform: more (3), Length 12, ENCR AES_CBC, attr Key Length (TV) 128 */
	"0300000c 0100000c 800e0080"
	/* Transform: more, Length 8, INTEG AUTH_HMAC_SHA2_256_128 */
	"03000008 0300000c"
	/* Transform: last (0), Length 8, ESN none */
	"00000008 05000000";

static void decode_rfc_diagram_bytes(void **state)
{
	uint8_t buf[64];
	size_t n = th_hex(buf, sizeof(buf), esp_sa_hex);
	struct ikev2_sa sa;
	struct ikev2_iter pi, ti, ai;
	struct ikev2_proposal p;
	struct ikev2_transform t;
	struct ikev2_attr a;
	struct wire_err err = {0};

	(void)state;
	assert_int_equal(ikev2_sa_decode((struct span){buf, n}, 32, &sa, &err), 0);
	assert_int_equal(sa.n_proposals, 1);
	ikev2_sa_proposals(&sa, &pi);
	assert_true(ikev2_proposal_next(&pi, &p));
	assert_int_equal(p.num, 1);
	assert_int_equal(p.protocol, IKEV2_PROTO_ESP);
	assert_int_equal(p.spi_size, 4);
	assert_int_equal(p.n_transforms, 3);
	assert_int_equal(p.length, 40);
	th_assert_hex(p.spi.p, p.spi.len, "11223344");

	ikev2_proposal_transforms(&p, &ti);
	assert_true(ikev2_transform_next(&ti, &t));
	assert_int_equal(t.type, IKEV2_TRANS_ENCR);
	assert_int_equal(t.id, IKEV2_ENCR_AES_CBC);
	assert_int_equal(t.last, IKEV2_MORE_TRANSFORMS);
	assert_int_equal(ikev2_transform_key_length(&t), 128);
	ikev2_transform_attrs(&t, &ai);
	assert_true(ikev2_attr_next(&ai, &a));
	assert_true(a.tv);
	assert_int_equal(a.type, IKEV2_ATTR_KEY_LENGTH);
	assert_int_equal(a.value, 128);
	assert_false(ikev2_attr_next(&ai, &a));

	assert_true(ikev2_transform_next(&ti, &t));
	assert_int_equal(t.type, IKEV2_TRANS_INTEG);
	assert_int_equal(t.id, IKEV2_AUTH_HMAC_SHA2_256_128);
	assert_int_equal(ikev2_transform_key_length(&t), -ENOENT);
	assert_true(ikev2_transform_next(&ti, &t));
	assert_int_equal(t.type, IKEV2_TRANS_ESN);
	assert_int_equal(t.id, IKEV2_ESN_NO);
	assert_int_equal(t.last, IKEV2_LAST_TRANSFORM);
	assert_false(ikev2_transform_next(&ti, &t));
	assert_false(ikev2_proposal_next(&pi, &p));
}

static void encode_computes_lengths_counts_and_last(void **state)
{
	struct builder b;
	struct ikev2_sa_enc s;
	uint8_t spi[4] = {0x11, 0x22, 0x33, 0x44};
	struct ikev2_proposal p1 = {.num = 1, .protocol = IKEV2_PROTO_ESP, .spi = {spi, 4}};
	struct ikev2_proposal p2 = {.num = 2, .protocol = IKEV2_PROTO_ESP, .spi = {spi, 4}};

	(void)state;
	bld_init(&b, 0);
	ikev2_sa_enc_begin(&s, &b);
	ikev2_sa_enc_proposal(&s, &p1);
	ikev2_sa_enc_transform_id(&s, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 128);
	ikev2_sa_enc_transform_id(&s, IKEV2_TRANS_INTEG, IKEV2_AUTH_HMAC_SHA2_256_128, 0);
	ikev2_sa_enc_transform_id(&s, IKEV2_TRANS_ESN, IKEV2_ESN_NO, 0);
	ikev2_sa_enc_proposal(&s, &p2);
	ikev2_sa_enc_transform_id(&s, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 256);
	assert_int_equal(ikev2_sa_enc_end(&s), 0);
	/* the first proposal is esp_sa_hex with Last Substruc 2 */
	th_assert_hex(bld_data(&b), bld_off(&b),
		      "02000028 01030403 11223344 0300000c"
		      "0100000c 800e0080 03000008 0300000c"
		      "00000008 05000000"
		      /* proposal 2: last, length 8 + 4 + 12 = 24, one transform */
		      "00000018 02030401 11223344 0000000c 01000014 800e0100");
	bld_free(&b);
}

static void copy_reproduces_reserved_bits(void **state)
{
	/* RESERVED octets are kept as received and written back */
	static const char hex[] = "00ab0010 01010001 00cd0008 04ef000e";
	uint8_t buf[16];
	size_t n = th_hex(buf, sizeof(buf), hex);
	struct ikev2_sa sa;
	struct ikev2_sa_enc s;
	struct builder b;
	struct wire_err err;

	(void)state;
	assert_int_equal(ikev2_sa_decode((struct span){buf, n}, 0, &sa, &err), 0);
	bld_init(&b, 0);
	ikev2_sa_enc_begin(&s, &b);
	ikev2_sa_enc_copy(&s, &sa);
	assert_int_equal(ikev2_sa_enc_end(&s), 0);
	th_assert_bytes(bld_data(&b), bld_off(&b), buf, n, "re-encoded SA");
	bld_free(&b);
}

/* Encode `nprop` IKE proposals with `ntrans` DH transforms each. */
static size_t build_big(struct builder *b, unsigned nprop, unsigned ntrans)
{
	struct ikev2_sa_enc s;
	struct ikev2_proposal p = {.protocol = IKEV2_PROTO_IKE};
	unsigned i, j;

	bld_init(b, 0);
	ikev2_sa_enc_begin(&s, b);
	for (i = 0; i < nprop; i++) {
		p.num = (uint8_t)(i + 1);
		ikev2_sa_enc_proposal(&s, &p);
		for (j = 0; j < ntrans; j++)
			ikev2_sa_enc_transform_id(&s, IKEV2_TRANS_DH, (uint16_t)j, 0);
	}
	assert_int_equal(ikev2_sa_enc_end(&s), 0);
	return bld_off(b);
}

static void realistic_large_offer_is_accepted(void **state)
{
	struct builder b;
	struct ikev2_sa sa;
	struct ikev2_iter pi, ti;
	struct ikev2_proposal p;
	struct ikev2_transform t;
	struct wire_err err;
	size_t n = build_big(&b, 2, 100);

	(void)state;
	/* strongSwan's default IKE proposal has 60+ transforms; 100 must pass */
	assert_int_equal(ikev2_sa_decode((struct span){bld_data(&b), n}, 0, &sa, &err), 0);
	assert_int_equal(sa.n_proposals, 2);
	ikev2_sa_proposals(&sa, &pi);
	while (ikev2_proposal_next(&pi, &p)) {
		assert_int_equal(p.n_transforms, 100);
		ikev2_proposal_transforms(&p, &ti);
		while (ikev2_transform_next(&ti, &t))
			;
		assert_int_equal(ti.index, 100);
	}
	assert_int_equal(pi.index, 2);
	bld_free(&b);
}

static void too_many_proposals(void **state)
{
	struct builder b;
	struct ikev2_sa sa;
	struct wire_err err;
	size_t n = build_big(&b, IKEV2_MAX_PROPOSALS + 1, 1);

	(void)state;
	assert_int_equal(ikev2_sa_decode((struct span){bld_data(&b), n}, 0, &sa, &err), -EBADMSG);
	assert_string_equal(err.reason, "SA payload has more than 64 proposals");
	assert_int_equal(err.offset, IKEV2_MAX_PROPOSALS * 16);
	bld_free(&b);
}

static void decode_err(const char *hex, size_t off, const char *reason, size_t at)
{
	uint8_t buf[128];
	size_t n = th_hex(buf, sizeof(buf), hex);
	struct ikev2_sa sa;
	struct wire_err err = {0};

	assert_int_equal(ikev2_sa_decode((struct span){buf, n}, off, &sa, &err), -EBADMSG);
	assert_string_equal(err.reason, reason);
	assert_int_equal(err.offset, at);
}

static void proposal_numbering(void **state)
{
	(void)state;
	/* a lone proposal may carry any number but 0 (a reply keeps the number) */
	decode_err("00000010 00010001 00000008 01000003", 100,
		   "proposal 1: Proposal Num 0, expected 1 or more", 104);
	/* a list counts up from 1 */
	decode_err("02000010 01010001 00000008 01000003"
		   "00000010 03010001 00000008 01000003",
		   0, "proposal 2: Proposal Num 3, expected 2", 20);
	decode_err("02000010 02010001 00000008 01000003"
		   "00000010 03010001 00000008 01000003",
		   0, "proposal 1: Proposal Num 2, expected 1 (more proposals follow)", 4);
}

static void spi_size_per_protocol(void **state)
{
	(void)state;
	decode_err("0000000c 01030001 00000008 01000003", 0,
		   "proposal 1 (ESP): SPI Size 0, expected 4", 6);
	decode_err("00000010 01010401 11223344 00000008 01000003", 0,
		   "proposal 1 (IKE): SPI Size 4, expected 0 or 8", 6);
}

static void last_substruc_must_match(void **state)
{
	(void)state;
	decode_err("02000010 01010001 00000008 01000003", 0,
		   "proposal 1 has Last Substruc 2 (more), but the SA payload ends", 0);
	decode_err("05000010 01010001 00000008 01000003", 0,
		   "proposal 1: Last Substruc 5, expected 0 (last) or 2 (more)", 0);
	decode_err("00000010 01010001 03000008 01000003", 0,
		   "proposal 1, transform 1: Last Substruc 3 (more), but the proposal ends there",
		   8);
	decode_err("00000008 01010000", 0, "proposal 1 has no transform", 0);
}

static void too_many_attributes(void **state)
{
	(void)state;
	/* nine TV attributes in one transform */
	decode_err("00000034 01010001 0000002c 01000003"
		   "800e0080 800e0080 800e0080 800e0080"
		   "800e0080 800e0080 800e0080 800e0080 800e0080",
		   0, "proposal 1, transform 1: more than 8 attributes", 48);
}

static void encoder_misuse(void **state)
{
	struct builder b;
	struct ikev2_sa_enc s;
	struct ikev2_proposal p = {.num = 1, .protocol = IKEV2_PROTO_IKE};

	(void)state;
	bld_init(&b, 0);
	ikev2_sa_enc_begin(&s, &b);
	assert_int_equal(ikev2_sa_enc_transform_id(&s, 1, 12, 128), -EINVAL);
	assert_int_equal(ikev2_sa_enc_end(&s), -EINVAL); /* sticky */
	bld_free(&b);

	bld_init(&b, 0);
	ikev2_sa_enc_begin(&s, &b);
	assert_int_equal(ikev2_sa_enc_end(&s), -EINVAL); /* no proposal */
	bld_free(&b);

	bld_init(&b, 0);
	ikev2_sa_enc_begin(&s, &b);
	ikev2_sa_enc_proposal(&s, &p);
	assert_int_equal(ikev2_sa_enc_end(&s), -EINVAL); /* proposal without transforms */
	bld_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_rfc_diagram_bytes),
		cmocka_unit_test(encode_computes_lengths_counts_and_last),
		cmocka_unit_test(copy_reproduces_reserved_bits),
		cmocka_unit_test(realistic_large_offer_is_accepted),
		cmocka_unit_test(too_many_proposals),
		cmocka_unit_test(proposal_numbering),
		cmocka_unit_test(spi_size_per_protocol),
		cmocka_unit_test(last_substruc_must_match),
		cmocka_unit_test(too_many_attributes),
		cmocka_unit_test(encoder_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
