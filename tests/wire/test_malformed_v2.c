/* test_malformed_v2: every way an IKEv2 message can be malformed is rejected
 * with its own reason and the offset of the offending field (counted from the
 * first byte of the IKE header). */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "wire/ikev2.h"

static struct ikev2_msg msg;
static uint8_t buf[4096];

/* An IKE_SA_INIT request header with the right Length, then the payloads. */
static size_t mk(uint8_t first, const char *payloads_hex)
{
	size_t n = ISAKMP_HDR_LEN +
		   th_hex(buf + ISAKMP_HDR_LEN, sizeof(buf) - ISAKMP_HDR_LEN, payloads_hex);

	memset(buf, 0, ISAKMP_HDR_LEN);
	buf[7] = 1; /* SPIi */
	buf[16] = first;
	buf[17] = 0x20;
	buf[18] = IKEV2_EXCH_IKE_SA_INIT;
	buf[19] = IKEV2_FLAG_I;
	buf[24] = (uint8_t)(n >> 24);
	buf[25] = (uint8_t)(n >> 16);
	buf[26] = (uint8_t)(n >> 8);
	buf[27] = (uint8_t)n;
	return n;
}

static void expect(size_t len, int rc, const char *reason, size_t offset)
{
	struct wire_err err = {0};

	assert_int_equal(ikev2_msg_decode(buf, len, &msg, &err), rc);
	assert_string_equal(err.reason, reason);
	assert_int_equal(err.offset, offset);
}

static void truncated_header(void **state)
{
	(void)state;
	mk(0, "");
	expect(20, -EBADMSG, "message of 20 bytes is shorter than the 28-byte ISAKMP header", 0);
}

static void header_length_vs_datagram(void **state)
{
	size_t n = mk(IKEV2_PL_V, "00000008 01020304");

	(void)state;
	/* the datagram is longer than Length says */
	buf[27] = 0x20;
	expect(n + 4, -EBADMSG, "header Length 32 does not match the datagram's 40 bytes", 24);
	/* ... and shorter */
	buf[27] = 0x40;
	expect(n, -EBADMSG, "header Length 64 does not match the datagram's 36 bytes", 24);
}

static void wrong_major_version(void **state)
{
	size_t n = mk(0, "");

	(void)state;
	buf[17] = 0x30;
	expect(n, -EPROTONOSUPPORT, "major version 3, expected 2", 17);
}

static void payload_length_below_header(void **state)
{
	size_t n = mk(IKEV2_PL_V, "00000003 01020304");

	(void)state;
	expect(n, -EBADMSG,
	       "V payload: Payload Length 3, expected 4 to 8 (the rest of the message)", 30);
}

static void payload_length_past_end(void **state)
{
	size_t n = mk(IKEV2_PL_V, "2b000008 01020304 0000000c 01020304");

	(void)state;
	expect(n, -EBADMSG,
	       "V payload: Payload Length 12, expected 4 to 8 (the rest of the message)", 38);
}

static void chain_continues_after_sk(void **state)
{
	/* SK (Next Payload names its first inner payload), then a V */
	size_t n = mk(IKEV2_PL_SK, "2b000008 aabbccdd 00000008 01020304");

	(void)state;
	expect(n, -EBADMSG, "SK payload must be the last payload, but 8 bytes follow it", 36);
	n = mk(IKEV2_PL_SKF, "2b00000c 00010001 aabbccdd 00000008 01020304");
	expect(n, -EBADMSG, "SKF payload must be the last payload, but 8 bytes follow it", 40);
}

static void chain_names_missing_payload(void **state)
{
	size_t n = mk(IKEV2_PL_V, "2b000008 01020304");

	(void)state;
	expect(n, -EBADMSG, "the chain names a V payload next, but the message ends", 36);
	n = mk(IKEV2_PL_V, "00000008 01020304 2b000008 01020304");
	expect(n, -EBADMSG, "8 bytes after the last payload of the message", 36);
	n = mk(IKEV2_PL_V, "2b000008 01020304 0000");
	expect(n, -EBADMSG, "V payload: 2 bytes left, a payload header needs 4", 36);
}

static void empty_bodies_with_a_minimum(void **state)
{
	(void)state;
	expect(mk(IKEV2_PL_KE, "00000004"), -EBADMSG,
	       "KE payload: Payload Length 4, expected at least 8", 30);
	expect(mk(IKEV2_PL_IDI, "00000004"), -EBADMSG,
	       "IDi payload: Payload Length 4, expected at least 8", 30);
	expect(mk(IKEV2_PL_N, "00000006 0000"), -EBADMSG,
	       "N payload: Payload Length 6, expected at least 8", 30);
	expect(mk(IKEV2_PL_NONCE, "00000004"), -EBADMSG,
	       "NONCE payload: Payload Length 4, expected at least 20", 30);
	expect(mk(IKEV2_PL_SA, "00000004"), -EBADMSG,
	       "SA payload: Payload Length 4, expected at least 12", 30);
	expect(mk(IKEV2_PL_CERT, "00000004"), -EBADMSG,
	       "CERT payload: Payload Length 4, expected at least 5", 30);
	expect(mk(IKEV2_PL_SK, "00000004"), -EBADMSG,
	       "SK payload: Payload Length 4, expected at least 5", 30);
	expect(mk(IKEV2_PL_SKF, "00000008 00010001"), -EBADMSG,
	       "SKF payload: Payload Length 8, expected at least 9", 30);
	expect(mk(IKEV2_PL_EAP, "00000004"), -EBADMSG,
	       "EAP payload: Payload Length 4, expected at least 8", 30);
}

static void nonce_too_long(void **state)
{
	char hex[2 * 261 + 1];

	(void)state;
	memset(hex, 'a', sizeof(hex) - 1);
	hex[sizeof(hex) - 1] = 0;
	memcpy(hex, "00000105", 8); /* 4 + 257 */
	expect(mk(IKEV2_PL_NONCE, hex), -EBADMSG,
	       "Nonce Data of 257 bytes, expected 16 to 256 (RFC 7296 3.9)", 30);
}

static void proposal_length_vs_transforms(void **state)
{
	(void)state;
	/* Proposal Length 28 covers 4 bytes more than its two transforms */
	expect(mk(IKEV2_PL_SA, "00000020 0000001c 01010002 03000008"
			       "01000003 00000008 0400000e 00000000"),
	       -EBADMSG,
	       "proposal 1: 4 bytes after the last transform (transform 2 has Last Substruc 0)",
	       56);
	/* Proposal Length 20 is 4 bytes short of its two transforms */
	expect(mk(IKEV2_PL_SA, "0000001c 00000014 01010002 03000008 01000003 00000008 0400000e"),
	       -EBADMSG, "proposal 1, transform 2: 4 bytes left, a transform needs 8", 48);
	/* Proposal Length past the SA payload */
	expect(mk(IKEV2_PL_SA, "0000001c 00000030 01010002 03000008 01000003 00000008 0400000e"),
	       -EBADMSG,
	       "proposal 1: Proposal Length 48, expected 8 to 24 (header and SPI to the rest of "
	       "the SA "
	       "payload)",
	       34);
	/* Transform Length past the proposal */
	expect(mk(IKEV2_PL_SA, "0000001c 00000018 01010002 03000008 01000003 00000010 0400000e"),
	       -EBADMSG,
	       "proposal 1, transform 2: Transform Length 16, expected 8 to 8 (the rest of the "
	       "proposal)",
	       50);
}

static void transform_count_vs_present(void **state)
{
	(void)state;
	expect(mk(IKEV2_PL_SA, "0000001c 00000018 01010003 03000008 01000003 00000008 0400000e"),
	       -EBADMSG, "proposal 1: Num Transforms 3, but 2 present", 39);
	expect(mk(IKEV2_PL_SA, "0000001c 00000018 01010001 03000008 01000003 00000008 0400000e"),
	       -EBADMSG, "proposal 1: Num Transforms 1, but 2 present", 39);
}

static void hundreds_of_transforms(void **state)
{
	struct isakmp_hdr h = {.major = 2, .exchange = IKEV2_EXCH_IKE_SA_INIT};
	struct ikev2_proposal p = {.num = 1, .protocol = IKEV2_PROTO_IKE};
	struct ikev2_enc e;
	struct builder b;
	struct wire_err err = {0};
	unsigned i;

	(void)state;
	bld_init(&b, 0);
	ikev2_msg_encode_begin(&e, &b, &h);
	ikev2_put_sa_begin(&e);
	ikev2_put_proposal(&e, &p);
	for (i = 0; i < 200; i++)
		ikev2_put_transform_id(&e, IKEV2_TRANS_DH, (uint16_t)i, 0);
	ikev2_put_sa_end(&e);
	assert_int_equal(ikev2_msg_encode_end(&e), 0);
	assert_int_equal(ikev2_msg_decode(bld_data(&b), bld_off(&b), &msg, &err), -EBADMSG);
	assert_string_equal(err.reason, "proposal 1: more than 128 transforms");
	assert_int_equal(err.offset, 32 + 8 + 128 * 8);
	bld_free(&b);
}

static void attribute_length_past_end(void **state)
{
	(void)state;
	expect(mk(IKEV2_PL_SA, "0000001c 00000018 01010001 00000010 0100000c 000e0010 aabbccdd"),
	       -EBADMSG,
	       "proposal 1, transform 1: TLV attribute 1 has length 16, only 4 bytes left in the "
	       "transform",
	       50);
	expect(mk(IKEV2_PL_SA, "0000001c 00000018 01010001 00000010 0100000c 000effff aabbccdd"),
	       -EBADMSG,
	       "proposal 1, transform 1: TLV attribute 1 has length 65535, only 4 bytes left "
	       "in the transform",
	       50);
	expect(mk(IKEV2_PL_SA, "00000016 00000012 01010001 0000000a 0100000c 800e"), -EBADMSG,
	       "proposal 1, transform 1: attribute 1 needs 4 bytes, 2 left", 48);
}

static void ts_count_vs_length(void **state)
{
	(void)state;
	expect(mk(IKEV2_PL_TSI, "00000018 02000000 07000010 00000000 0a000000 0a0000ff"), -EBADMSG,
	       "TSi payload: Number of TSs 2, but the payload holds 1", 32);
	expect(mk(IKEV2_PL_TSR, "00000028 01000000 07000010 00000000"
				"0a000000 0a0000ff 07000010 00000000"
				"0a000000 0a0000ff"),
	       -EBADMSG, "TSr payload: Number of TSs 1, but 16 bytes follow the last selector", 52);
	expect(mk(IKEV2_PL_TSI, "00000019 01000000 07000011 00000000 0a000000 0a0000ff 00"),
	       -EBADMSG,
	       "TSi payload: selector 1 (TS_IPV4_ADDR_RANGE): Selector Length 17, expected 16", 38);
	expect(mk(IKEV2_PL_TSI, "00000018 01000000 09000020 00000000 0a000000 0a0000ff"), -EBADMSG,
	       "TSi payload: selector 1: Selector Length 32, expected 4 to 16", 38);
}

static void delete_count_vs_spis(void **state)
{
	(void)state;
	expect(mk(IKEV2_PL_D, "00000010 03040003 00000001 00000002"), -EBADMSG,
	       "D payload: Num of SPIs 3 x SPI Size 4 = 12 bytes, but 8 follow", 34);
	expect(mk(IKEV2_PL_D, "0000000c 03080001 0000000000000001"), -EBADMSG,
	       "D payload (ESP): SPI Size 8, expected 4", 33);
	expect(mk(IKEV2_PL_D, "00000008 01000002"), -EBADMSG,
	       "D payload: Num of SPIs 2 with SPI Size 0, expected 0", 34);
}

static void notify_spi_past_end(void **state)
{
	(void)state;
	expect(mk(IKEV2_PL_N, "0000000a 03044009 0000"), -EBADMSG,
	       "N payload: SPI Size 4, but only 2 bytes follow", 33);
}

static void eap_length(void **state)
{
	(void)state;
	expect(mk(IKEV2_PL_EAP, "0000000a 01070010 0102"), -EBADMSG,
	       "EAP payload: EAP Length 16, expected 4 to 6", 34);
	expect(mk(IKEV2_PL_EAP, "00000008 01070004"), -EBADMSG,
	       "EAP payload: EAP REQUEST with Length 4 has no Type, expected at least 5", 34);
}

static void skf_numbers(void **state)
{
	(void)state;
	expect(mk(IKEV2_PL_SKF, "0000000c 00030002 aabbccdd"), -EBADMSG,
	       "SKF payload: Fragment Number 3 of Total Fragments 2, expected 1 <= number <= total",
	       32);
	expect(mk(IKEV2_PL_SKF, "0000000c 00000000 aabbccdd"), -EBADMSG,
	       "SKF payload: Fragment Number 0 of Total Fragments 0, expected 1 <= number <= total",
	       32);
}

static void more_payloads_than_the_limit(void **state)
{
	char hex[2 * 8 * 70 + 1];
	unsigned i;

	(void)state;
	for (i = 0; i < 65; i++)
		memcpy(hex + 16 * i, i == 64 ? "0000000801020304" : "2b00000801020304", 16);
	hex[16 * 65] = 0;
	expect(mk(IKEV2_PL_V, hex), -EBADMSG, "more than 64 payloads in the message", 28 + 64 * 8);
	/* exactly the limit is fine */
	memcpy(hex + 16 * 63, "00000008", 8);
	hex[16 * 64] = 0;
	expect(mk(IKEV2_PL_V, hex), 0, "", 0);
	assert_int_equal(msg.count, IKEV2_MAX_PAYLOADS);
}

static void unknown_critical_payload(void **state)
{
	(void)state;
	expect(mk(IKEV2_PL_V, "c8000008 01020304 00800008 01020304"), -ENOTSUP,
	       "payload type 200 is unknown and marked critical", 37);
	assert_int_equal(msg.unsupported_critical, 200);
}

static void unknown_noncritical_payload_skipped(void **state)
{
	struct wire_err err = {0};
	struct builder b;
	size_t n = mk(IKEV2_PL_V, "c8000008 01020304 2b7f0008 05060708 00000008 090a0b0c");

	(void)state;
	assert_int_equal(ikev2_msg_decode(buf, n, &msg, &err), 0);
	assert_int_equal(msg.count, 3);
	assert_int_equal(msg.pl[1].type, 200);
	assert_false(msg.pl[1].known);
	assert_int_equal(msg.pl[1].flags, 0x7f);
	th_assert_hex(msg.pl[1].body.p, msg.pl[1].body.len, "05060708");
	assert_true(msg.pl[2].known);
	bld_init(&b, 0);
	assert_int_equal(ikev2_msg_encode(&b, &msg), 0);
	th_assert_bytes(bld_data(&b), bld_off(&b), buf, n, "re-encoded");
	bld_free(&b);
}

static void inner_chain_errors(void **state)
{
	struct wire_err err = {0};
	size_t n = mk(IKEV2_PL_SK, "2b000008 aabbccdd");
	uint8_t plain[64];
	size_t pn;

	(void)state;
	assert_int_equal(ikev2_msg_decode(buf, n, &msg, &err), 0);
	/* an SK inside SK */
	pn = th_hex(plain, sizeof(plain), "00000008 aabbccdd");
	assert_int_equal(ikev2_chain_decode(IKEV2_PL_SK, (struct span){plain, pn}, 100, &msg, &err),
			 -EBADMSG);
	assert_string_equal(err.reason, "SK payload inside SK");
	assert_int_equal(err.offset, 100);
	assert_int_equal(msg.count, 1); /* nothing appended on failure */
	/* lengths are judged against the decrypted contents */
	pn = th_hex(plain, sizeof(plain), "00000010 aabbccdd");
	assert_int_equal(ikev2_chain_decode(IKEV2_PL_V, (struct span){plain, pn}, 100, &msg, &err),
			 -EBADMSG);
	assert_string_equal(err.reason, "V payload: Payload Length 16, expected 4 to 8 (the rest "
					"of the decrypted SK contents)");
	assert_int_equal(err.offset, 102);
	/* unknown critical inside */
	pn = th_hex(plain, sizeof(plain), "00800008 aabbccdd");
	assert_int_equal(ikev2_chain_decode(201, (struct span){plain, pn}, 100, &msg, &err),
			 -ENOTSUP);
	assert_int_equal(msg.unsupported_critical, 201);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(truncated_header),
		cmocka_unit_test(header_length_vs_datagram),
		cmocka_unit_test(wrong_major_version),
		cmocka_unit_test(payload_length_below_header),
		cmocka_unit_test(payload_length_past_end),
		cmocka_unit_test(chain_continues_after_sk),
		cmocka_unit_test(chain_names_missing_payload),
		cmocka_unit_test(empty_bodies_with_a_minimum),
		cmocka_unit_test(nonce_too_long),
		cmocka_unit_test(proposal_length_vs_transforms),
		cmocka_unit_test(transform_count_vs_present),
		cmocka_unit_test(hundreds_of_transforms),
		cmocka_unit_test(attribute_length_past_end),
		cmocka_unit_test(ts_count_vs_length),
		cmocka_unit_test(delete_count_vs_spis),
		cmocka_unit_test(notify_spi_past_end),
		cmocka_unit_test(eap_length),
		cmocka_unit_test(skf_numbers),
		cmocka_unit_test(more_payloads_than_the_limit),
		cmocka_unit_test(unknown_critical_payload),
		cmocka_unit_test(unknown_noncritical_payload_skipped),
		cmocka_unit_test(inner_chain_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
