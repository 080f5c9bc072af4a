/* test_malformed_v1: every malformed IKEv1 message is refused with its own
 * reason and the offset of the offending bytes (from the message start). */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/ikev1.h"

/* Header with Next Payload np; Length is patched to the real size by dec()
 * unless the test is about Length itself. */
#define HDR(np) "0011223344556677 0000000000000000" np "10 02 00 00000000 00000000"

static uint8_t buf[8192];

static int dec(const char *hex, int patch_len, struct ikev1_msg *m, struct wire_err *err)
{
	size_t n = th_hex(buf, sizeof(buf), hex);

	if (patch_len && n >= 28) {
		buf[24] = (uint8_t)(n >> 24);
		buf[25] = (uint8_t)(n >> 16);
		buf[26] = (uint8_t)(n >> 8);
		buf[27] = (uint8_t)n;
	}
	memset(err, 0, sizeof(*err));
	return ikev1_msg_decode(buf, n, m, err);
}

static struct ikev1_msg msg;

static void expect_raw(const char *hex, int patch, int rc, size_t off, const char *reason,
		       uint16_t notify)
{
	struct wire_err err;
	int got = dec(hex, patch, &msg, &err);

	if (got != rc || err.offset != off || strcmp(err.reason, reason) != 0)
		fail_msg("got %d at %zu \"%s\"\nwant %d at %zu \"%s\"", got, err.offset, err.reason,
			 rc, off, reason);
	assert_int_equal(msg.notify, notify);
}

static void expect(const char *hex, int rc, size_t off, const char *reason, uint16_t notify)
{
	expect_raw(hex, 1, rc, off, reason, notify);
}

static void truncated_header(void **state)
{
	(void)state;
	expect_raw("0011223344556677 0000000000000000 01100200 00000000", 0, -EBADMSG, 0,
		   "message of 24 bytes is shorter than the 28-byte ISAKMP header",
		   ISAKMP_N_PAYLOAD_MALFORMED);
}

static void header_length_mismatch(void **state)
{
	(void)state;
	expect_raw("0011223344556677 0000000000000000 00100200 00000000 00000040", 0, -EBADMSG, 24,
		   "header Length 64 does not match the datagram's 28 bytes",
		   ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS);
	expect_raw("0011223344556677 0000000000000000 0d100200 00000000 0000001c"
		   "00000008 01020304",
		   0, -EBADMSG, 24, "header Length 28 does not match the datagram's 36 bytes",
		   ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS);
}

static void wrong_major_version(void **state)
{
	(void)state;
	expect("0011223344556677 0000000000000000 00200200 00000000 00000000", -EPROTONOSUPPORT, 17,
	       "ISAKMP major version 2: expected 1", ISAKMP_N_INVALID_MAJOR_VERSION);
}

static void payload_lengths(void **state)
{
	(void)state;
	expect(HDR("0d") "00000003", -EBADMSG, 30,
	       "VID payload length 3 is less than its 4-byte header", ISAKMP_N_PAYLOAD_MALFORMED);
	expect(HDR("0d") "00000020 01020304", -EBADMSG, 30,
	       "VID payload length 32 runs past the end of the message (8 bytes left)",
	       ISAKMP_N_PAYLOAD_MALFORMED);
	expect(HDR("0d") "0000", -EBADMSG, 28, "VID payload needs a 4-byte header, 2 bytes left",
	       ISAKMP_N_PAYLOAD_MALFORMED);
	/* the chain announces a payload the message does not carry */
	expect(HDR("0d") "0a000008 01020304", -EBADMSG, 36,
	       "NONCE payload needs a 4-byte header, 0 bytes left", ISAKMP_N_PAYLOAD_MALFORMED);
	/* a body shorter than its type's fixed part */
	expect(HDR("05") "00000006 0100", -EBADMSG, 30, "ID payload length 6: expected at least 8",
	       ISAKMP_N_INVALID_ID_INFORMATION);
	expect(HDR("0a") "0000000b 01020304 050607", -EBADMSG, 32,
	       "nonce of 7 bytes: expected 8 to 256 (RFC 2409 5)", ISAKMP_N_PAYLOAD_MALFORMED);
}

/* SA: DOI 1, SIT_IDENTITY_ONLY; proposal at 40, transforms at 48. */
static void proposal_longer_than_its_transforms(void **state)
{
	(void)state;
	expect(HDR("01") "00000024 00000001 00000001"
			 "00000018 01010001"
			 "0000000c 01010000 80010007"
			 "00000000",
	       -EBADMSG, 60, "proposal #1: 4 bytes after its last transform",
	       ISAKMP_N_BAD_PROPOSAL_SYNTAX);
}

static void transform_longer_than_its_proposal(void **state)
{
	(void)state;
	expect(HDR("01") "00000020 00000001 00000001"
			 "00000014 01010001"
			 "00000010 01010000 80010007",
	       -EBADMSG, 50, "transform length 16: expected 8 to the 12 bytes left in its proposal",
	       ISAKMP_N_BAD_PROPOSAL_SYNTAX);
}

static void proposal_longer_than_the_sa(void **state)
{
	(void)state;
	expect(HDR("01") "00000020 00000001 00000001"
			 "00000030 01010001"
			 "0000000c 01010000 80010007",
	       -EBADMSG, 42,
	       "proposal length 48: expected 8 to the 20 bytes left in the SA payload",
	       ISAKMP_N_BAD_PROPOSAL_SYNTAX);
}

static void transform_count_disagrees(void **state)
{
	(void)state;
	expect(HDR("01") "00000020 00000001 00000001"
			 "00000014 01010002"
			 "0000000c 01010000 80010007",
	       -EBADMSG, 47, "proposal #1 announces 2 transforms, 1 present",
	       ISAKMP_N_BAD_PROPOSAL_SYNTAX);
	expect(HDR("01") "0000002c 00000001 00000001"
			 "00000020 01010001"
			 "0300000c 01010000 80010007"
			 "0000000c 02010000 80010005",
	       -EBADMSG, 47, "proposal #1 announces 1 transforms, 2 present",
	       ISAKMP_N_BAD_PROPOSAL_SYNTAX);
	/* Next Payload 3 on the last transform of the proposal */
	expect(HDR("01") "00000020 00000001 00000001"
			 "00000014 01010001"
			 "0300000c 01010000 80010007",
	       -EBADMSG, 48,
	       "transform Next Payload 3 announces another transform but proposal #1 ends",
	       ISAKMP_N_BAD_PROPOSAL_SYNTAX);
}

static void proposal_chain_errors(void **state)
{
	(void)state;
	expect(HDR("01") "0000000c 00000001 00000001", -EBADMSG, 40,
	       "SA payload without a proposal", ISAKMP_N_BAD_PROPOSAL_SYNTAX);
	expect(HDR("01") "00000020 00000001 00000001"
			 "05000014 01010001"
			 "0000000c 01010000 80010007",
	       -EBADMSG, 40, "proposal Next Payload 5: expected 2 or 0",
	       ISAKMP_N_BAD_PROPOSAL_SYNTAX);
	expect(HDR("01") "00000020 00000001 00000001"
			 "02000014 01010001"
			 "0000000c 01010000 80010007",
	       -EBADMSG, 40,
	       "proposal Next Payload 2 announces another proposal but the SA payload ends",
	       ISAKMP_N_BAD_PROPOSAL_SYNTAX);
	expect(HDR("01") "00000024 00000001 00000001"
			 "00000014 01010001"
			 "0000000c 01010000 80010007"
			 "00000000",
	       -EBADMSG, 60, "4 bytes after the last proposal", ISAKMP_N_BAD_PROPOSAL_SYNTAX);
	expect(HDR("01") "00000020 00000002 00000001"
			 "00000014 01010001"
			 "0000000c 01010000 80010007",
	       -EPROTONOSUPPORT, 32, "SA DOI 2: only the IPsec DOI (1) is supported",
	       ISAKMP_N_DOI_NOT_SUPPORTED);
	expect(HDR("01") "00000020 00000001 00000002"
			 "00000014 01010001"
			 "0000000c 01010000 80010007",
	       -EOPNOTSUPP, 36, "SA situation 0x2: secrecy and integrity labels are not supported",
	       ISAKMP_N_SITUATION_NOT_SUPPORTED);
}

/* 2 proposals of 150 transforms: the 257th transform (the 107th of the
 * second proposal, at 1856 + 106 * 12) is refused. */
static void hundreds_of_transforms(void **state)
{
	struct isakmp_hdr h = {.major = 1, .exchange = ISAKMP_XCHG_IDPROT};
	struct ikev1_enc e;
	struct builder b;
	struct wire_err err;
	unsigned i, j;

	(void)state;
	bld_init(&b, 0);
	ikev1_enc_begin(&e, &b, &h);
	ikev1_sa_begin(&e, ISAKMP_DOI_IPSEC, IPSEC_SIT_IDENTITY_ONLY);
	for (i = 0; i < 2; i++) {
		ikev1_prop_begin(&e, &(struct ikev1_prop){.number = 1, .protocol = 1});
		for (j = 0; j < 150; j++) {
			ikev1_xform_begin(&e, &(struct ikev1_xform){.number = (uint8_t)j, .id = 1});
			ikev1_attr_tv(&e, IKEV1_ATTR_ENCRYPTION, IKEV1_ENCR_AES_CBC);
			ikev1_xform_end(&e);
		}
		ikev1_prop_end(&e);
	}
	ikev1_sa_end(&e);
	assert_int_equal(ikev1_enc_end(&e), 0);
	assert_int_equal(ikev1_msg_decode(bld_data(&b), bld_off(&b), &msg, &err), -E2BIG);
	assert_int_equal(err.offset, 3128);
	assert_string_equal(err.reason, "SA payload carries more than 256 transforms");
	assert_int_equal(msg.notify, ISAKMP_N_BAD_PROPOSAL_SYNTAX);
	bld_free(&b);
}

/* Transform with one attribute at 56. */
static void attribute_lengths(void **state)
{
	(void)state;
	expect(HDR("01") "00000024 00000001 00000001"
			 "00000018 01010001"
			 "00000010 01010000 000c0010 00007080",
	       -EBADMSG, 58, "TLV attribute 12 of length 16 runs past the end (4 bytes left)",
	       ISAKMP_N_BAD_PROPOSAL_SYNTAX);
	expect(HDR("01") "00000024 00000001 00000001"
			 "00000018 01010001"
			 "00000010 01010000 000cffff 00007080",
	       -EBADMSG, 58, "TLV attribute 12 of length 65535 runs past the end (4 bytes left)",
	       ISAKMP_N_BAD_PROPOSAL_SYNTAX);
	expect(HDR("01") "0000001e 00000001 00000001"
			 "00000012 01010001"
			 "0000000a 01010000 8001",
	       -EBADMSG, 56, "attribute needs 4 bytes, 2 left", ISAKMP_N_BAD_PROPOSAL_SYNTAX);
}

/* ID data at 36 (RFC 2407 4.6.2.2-4.6.2.8) */
static void id_too_short_for_its_type(void **state)
{
	(void)state;
	expect(HDR("05") "0000000b 01000000 c00002", -EBADMSG, 36,
	       "ID_IPV4_ADDR needs 4 bytes of identification data, 3 came",
	       ISAKMP_N_INVALID_ID_INFORMATION);
	expect(HDR("05") "0000000c 04000000 c0000200", -EBADMSG, 36,
	       "ID_IPV4_ADDR_SUBNET needs 8 bytes of identification data, 4 came",
	       ISAKMP_N_INVALID_ID_INFORMATION);
	expect(HDR("05") "0000000f 07000000 c0000201 c00002", -EBADMSG, 36,
	       "ID_IPV4_ADDR_RANGE needs 8 bytes of identification data, 7 came",
	       ISAKMP_N_INVALID_ID_INFORMATION);
	expect(HDR("05") "0000000c 05000000 20010db8", -EBADMSG, 36,
	       "ID_IPV6_ADDR needs 16 bytes of identification data, 4 came",
	       ISAKMP_N_INVALID_ID_INFORMATION);
	expect(HDR("05") "00000018 06000000 20010db8000000000000000000000000", -EBADMSG, 36,
	       "ID_IPV6_ADDR_SUBNET needs 32 bytes of identification data, 16 came",
	       ISAKMP_N_INVALID_ID_INFORMATION);
	expect(HDR("05") "00000018 08000000 20010db8000000000000000000000000", -EBADMSG, 36,
	       "ID_IPV6_ADDR_RANGE needs 32 bytes of identification data, 16 came",
	       ISAKMP_N_INVALID_ID_INFORMATION);
}

static void delete_count_mismatch(void **state)
{
	(void)state;
	expect(HDR("0c") "00000018 00000001 03040002 01020304 05060708 01020304", -EBADMSG, 38,
	       "delete of 2 SPIs of 4 bytes needs 8 bytes, 12 came", ISAKMP_N_PAYLOAD_MALFORMED);
}

/* NAT-D: 16 (MD5) to 64 (SHA2-512) bytes accepted, others refused. */
static void natd_lengths(void **state)
{
	static char hex[512];
	struct wire_err err;

	(void)state;
	expect(HDR("14") "00000010 01020304 05060708 090a0b0c", -EBADMSG, 32,
	       "NAT-D hash of 12 bytes: expected 16 (MD5) to 64 (SHA2-512)",
	       ISAKMP_N_PAYLOAD_MALFORMED);
	snprintf(hex, sizeof(hex), "%s00000045%0130d", HDR("82"), 0);
	expect(hex, -EBADMSG, 32, "NAT-D hash of 65 bytes: expected 16 (MD5) to 64 (SHA2-512)",
	       ISAKMP_N_PAYLOAD_MALFORMED);
	snprintf(hex, sizeof(hex), "%s00000044%0128d", HDR("82"), 0);
	assert_int_equal(dec(hex, 1, &msg, &err), 0);
	snprintf(hex, sizeof(hex), "%s00000014%032d", HDR("14"), 0);
	assert_int_equal(dec(hex, 1, &msg, &err), 0);
}

static void natoa_errors(void **state)
{
	(void)state;
	expect(HDR("15") "0000000c 02000000 c0000201", -EBADMSG, 32,
	       "NAT-OA ID type 2: expected ID_IPV4_ADDR or ID_IPV6_ADDR",
	       ISAKMP_N_PAYLOAD_MALFORMED);
	expect(HDR("83") "00000018 01000000 20010db8000000000000000000000001", -EBADMSG, 36,
	       "NAT-OA ID_IPV4_ADDR needs 4 address bytes, 16 came", ISAKMP_N_PAYLOAD_MALFORMED);
}

static void notify_spi_past_end(void **state)
{
	(void)state;
	expect(HDR("0b") "0000000c 00000001 01100001", -EBADMSG, 37,
	       "notify SPI size 16: only 0 bytes follow", ISAKMP_N_PAYLOAD_MALFORMED);
}

static void fragment_number_zero(void **state)
{
	(void)state;
	expect(HDR("84") "0000000c 00010001 01020304", -EBADMSG, 34,
	       "fragment number 0: fragments count from 1", ISAKMP_N_PAYLOAD_MALFORMED);
}

/* 65 empty VIDs: the 65th (at 28 + 64 * 4) is one too many. */
static void too_many_payloads(void **state)
{
	static char hex[1024];
	size_t n = 0;
	int i;

	(void)state;
	n += (size_t)snprintf(hex + n, sizeof(hex) - n, "%s", HDR("0d"));
	for (i = 0; i < 65; i++)
		n += (size_t)snprintf(hex + n, sizeof(hex) - n, "%s",
				      i == 64 ? "00000004" : "0d000004");
	expect(hex, -E2BIG, 284, "more than 64 payloads in one message",
	       ISAKMP_N_PAYLOAD_MALFORMED);
}

static void unknown_payload_type(void **state)
{
	(void)state;
	expect(HDR("22") "00000004", -ENOTSUP, 28, "unknown payload type 34 (unknown)",
	       ISAKMP_N_INVALID_PAYLOAD_TYPE);
	assert_int_equal(msg.bad_type, 34);
	/* after a good payload */
	expect(HDR("0d") "85000008 01020304 00000004", -ENOTSUP, 36,
	       "unknown payload type 133 (unknown)", ISAKMP_N_INVALID_PAYLOAD_TYPE);
	assert_int_equal(msg.bad_type, 133);
	/* Proposal and Transform exist only inside SA */
	expect(HDR("02") "00000008 01010001", -ENOTSUP, 28,
	       "P payload (type 2) outside an SA payload", ISAKMP_N_INVALID_PAYLOAD_TYPE);
	assert_int_equal(msg.bad_type, 2);
}

/* After the last payload: zero padding only (see ikev1_chain_decode). */
static void nonzero_padding(void **state)
{
	struct wire_err err;
	uint8_t chain[64];
	size_t n;

	(void)state;
	n = th_hex(chain, sizeof(chain),
		   "00000018 0102030405060708090a0b0c0d0e0f1011121314 0000ab00");
	assert_int_equal(ikev1_chain_decode(ISAKMP_NP_HASH, (struct span){chain, n}, &msg, &err),
			 -EBADMSG);
	assert_int_equal(err.offset, 54);
	assert_string_equal(
		err.reason,
		"non-zero padding byte 0xab after the last payload (4 bytes of padding)");
	assert_int_equal(msg.notify, ISAKMP_N_PAYLOAD_MALFORMED);
	/* a pad count byte that does not count the bytes before it */
	n = th_hex(chain, sizeof(chain),
		   "00000018 0102030405060708090a0b0c0d0e0f1011121314 00000005");
	assert_int_equal(ikev1_chain_decode(ISAKMP_NP_HASH, (struct span){chain, n}, &msg, &err),
			 -EBADMSG);
	assert_int_equal(err.offset, 55);
	/* the same rule for bytes after the chain of a clear message */
	expect(HDR("0d") "00000008 01020304 ff", -EBADMSG, 36,
	       "non-zero padding byte 0xff after the last payload (1 bytes of padding)",
	       ISAKMP_N_PAYLOAD_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(truncated_header),
		cmocka_unit_test(header_length_mismatch),
		cmocka_unit_test(wrong_major_version),
		cmocka_unit_test(payload_lengths),
		cmocka_unit_test(proposal_longer_than_its_transforms),
		cmocka_unit_test(transform_longer_than_its_proposal),
		cmocka_unit_test(proposal_longer_than_the_sa),
		cmocka_unit_test(transform_count_disagrees),
		cmocka_unit_test(proposal_chain_errors),
		cmocka_unit_test(hundreds_of_transforms),
		cmocka_unit_test(attribute_lengths),
		cmocka_unit_test(id_too_short_for_its_type),
		cmocka_unit_test(delete_count_mismatch),
		cmocka_unit_test(natd_lengths),
		cmocka_unit_test(natoa_errors),
		cmocka_unit_test(notify_spi_past_end),
		cmocka_unit_test(fragment_number_zero),
		cmocka_unit_test(too_many_payloads),
		cmocka_unit_test(unknown_payload_type),
		cmocka_unit_test(nonzero_padding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
