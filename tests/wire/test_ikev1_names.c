/* test_ikev1_names: names of IKEv1 numbers and well-known vendor IDs. */
#include "testutil.h"

#include <string.h>

#include "wire/ikev1_names.h"

static void exchange_and_payload_names(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(enum_name(&ikev1_exchange_names, ISAKMP_XCHG_IDPROT), "MAIN_MODE");
	assert_string_equal(enum_name(&ikev1_exchange_names, ISAKMP_XCHG_AGGR), "AGGRESSIVE");
	assert_string_equal(enum_name(&ikev1_exchange_names, ISAKMP_XCHG_INFO), "INFORMATIONAL");
	assert_string_equal(enum_name(&ikev1_exchange_names, ISAKMP_XCHG_TRANSACTION),
			    "TRANSACTION");
	assert_string_equal(enum_name(&ikev1_exchange_names, IKEV1_XCHG_QUICK), "QUICK_MODE");
	assert_string_equal(enum_name(&ikev1_exchange_names, IKEV1_XCHG_NEW_GROUP),
			    "NEW_GROUP_MODE");
	assert_null(enum_name(&ikev1_exchange_names, 34));
	assert_string_equal(enum_name_or(&ikev1_exchange_names, 7, buf, sizeof(buf)), "UNKNOWN(7)");

	assert_string_equal(enum_name(&ikev1_payload_names, ISAKMP_NP_SA), "SA");
	assert_string_equal(enum_name(&ikev1_payload_names, ISAKMP_NP_NATD), "NAT-D");
	assert_string_equal(enum_name(&ikev1_payload_names, ISAKMP_NP_NATOA), "NAT-OA");
	assert_string_equal(enum_name(&ikev1_payload_names, ISAKMP_NP_NATD_DRAFT), "NAT-D(draft)");
	assert_string_equal(enum_name(&ikev1_payload_names, ISAKMP_NP_FRAG), "FRAG");
	assert_null(enum_name(&ikev1_payload_names, 133));
	assert_int_equal(enum_value(&ikev1_payload_names, "nonce"), ISAKMP_NP_NONCE);
}

static void notify_names(void **state)
{
	(void)state;
	assert_string_equal(enum_name(&ikev1_notify_names, ISAKMP_N_INVALID_PAYLOAD_TYPE),
			    "INVALID-PAYLOAD-TYPE");
	assert_string_equal(enum_name(&ikev1_notify_names, ISAKMP_N_NO_PROPOSAL_CHOSEN),
			    "NO-PROPOSAL-CHOSEN");
	assert_string_equal(enum_name(&ikev1_notify_names, ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS),
			    "UNEQUAL-PAYLOAD-LENGTHS");
	assert_null(enum_name(&ikev1_notify_names, 31));
	assert_string_equal(enum_name(&ikev1_notify_names, 16384), "CONNECTED");
	assert_string_equal(enum_name(&ikev1_notify_names, 24576), "RESPONDER-LIFETIME");
	assert_string_equal(enum_name(&ikev1_notify_names, 24577), "REPLAY-STATUS");
	assert_string_equal(enum_name(&ikev1_notify_names, 24578), "INITIAL-CONTACT");
	assert_string_equal(enum_name(&ikev1_notify_names, 36136), "R-U-THERE");
	assert_string_equal(enum_name(&ikev1_notify_names, 36137), "R-U-THERE-ACK");
}

static void attribute_names(void **state)
{
	(void)state;
	assert_string_equal(enum_name(&ikev1_attr_names, IKEV1_ATTR_LIFE_DURATION),
			    "LIFE_DURATION");
	assert_string_equal(enum_name(&ikev1_encr_names, IKEV1_ENCR_AES_CBC), "AES-CBC");
	assert_string_equal(enum_name(&ikev1_hash_names, IKEV1_HASH_SHA2_256), "SHA2-256");
	assert_string_equal(enum_name(&ikev1_auth_names, IKEV1_AUTH_RSA_SIG), "RSA_SIG");
	assert_string_equal(enum_name(&ikev1_auth_names, IKEV1_AUTH_GSSAPI),
			    "XAUTHInitPreShared/GSS-API");
	assert_string_equal(enum_name(&ikev1_auth_names, IKEV1_AUTH_XAUTH_RESP_RSA),
			    "XAUTHRespRSA");
	assert_string_equal(enum_name(&ikev1_auth_names, IKEV1_AUTH_HYBRID_INIT_RSA),
			    "HybridInitRSA");
	assert_string_equal(enum_name(&ikev1_group_names, IKEV1_GROUP_MODP2048), "MODP2048");
	assert_string_equal(enum_name(&ikev1_group_names, IKEV1_GROUP_ECP384), "ECP384");
	assert_string_equal(enum_name(&ikev1_group_names, IKEV1_GROUP_CURVE25519), "CURVE25519");
	assert_string_equal(enum_name(&ipsec_attr_names, IPSEC_ATTR_ENCAP_MODE),
			    "ENCAPSULATION_MODE");
	assert_string_equal(enum_name(&ipsec_encap_names, IPSEC_ENCAP_UDP_TRANSPORT),
			    "UDP-Encapsulated-Transport");
	assert_string_equal(enum_name(&ipsec_encap_names, IPSEC_ENCAP_UDP_TUNNEL_DRAFT),
			    "UDP-Encapsulated-Tunnel(draft)");
	assert_string_equal(enum_name(&ipsec_auth_names, IPSEC_AUTH_HMAC_SHA2_256),
			    "HMAC-SHA2-256");
	assert_string_equal(enum_name(&ikev1_esp_names, IPSEC_ESP_AES_GCM_16), "ESP_AES-GCM_16");
	assert_null(enum_name(&ikev1_esp_names, 17));
	assert_string_equal(enum_name(&ikev1_ah_names, IPSEC_AH_SHA2_256), "AH_SHA2-256");
	assert_string_equal(enum_name(&ipsec_id_names, IPSEC_ID_IPV6_ADDR_RANGE),
			    "ID_IPV6_ADDR_RANGE");
	assert_string_equal(enum_name(&ikev1_cert_names, ISAKMP_CERT_X509_SIG), "X509_SIGNATURE");
	assert_string_equal(enum_name(&ikev1_protocol_names, IPSEC_PROTO_ESP), "PROTO_IPSEC_ESP");

	assert_ptr_equal(ikev1_attr_value_names(1, IKEV1_ATTR_AUTH_METHOD), &ikev1_auth_names);
	assert_ptr_equal(ikev1_attr_value_names(0, IPSEC_ATTR_ENCAP_MODE), &ipsec_encap_names);
	assert_ptr_equal(ikev1_attr_value_names(0, IPSEC_ATTR_GROUP_DESC), &ikev1_group_names);
	assert_null(ikev1_attr_value_names(1, IKEV1_ATTR_KEY_LENGTH));
	assert_ptr_equal(ikev1_xform_names(IPSEC_PROTO_AH), &ikev1_ah_names);
	assert_null(ikev1_xform_names(9));
	assert_true(ikev1_attr_is_variable(1, IKEV1_ATTR_LIFE_DURATION));
	assert_false(ikev1_attr_is_variable(1, IKEV1_ATTR_LIFE_TYPE));
	assert_true(ikev1_attr_is_variable(0, IPSEC_ATTR_SA_LIFE_DURATION));
	assert_false(ikev1_attr_is_variable(0, IPSEC_ATTR_KEY_LENGTH));
}

static const char *vid(const char *hex, char *buf, size_t n)
{
	static uint8_t v[64];
	size_t len = th_hex(v, sizeof(v), hex);

	return ikev1_vid_name((struct span){v, len}, buf, n);
}

static void vendor_ids(void **state)
{
	char buf[96];

	(void)state;
	assert_string_equal(vid("4a131c81070358455c5728f20e95452f", buf, sizeof(buf)),
			    "NAT-T (RFC 3947)");
	assert_string_equal(vid("cd60464335df21f87cfdb2fc68b6a448", buf, sizeof(buf)),
			    "draft-ietf-ipsec-nat-t-ike-02");
	assert_string_equal(vid("90cb80913ebb696e086381b5ec427b1f", buf, sizeof(buf)),
			    "draft-ietf-ipsec-nat-t-ike-02\\n");
	assert_string_equal(vid("7d9419a65310ca6f2c179d9215529d56", buf, sizeof(buf)),
			    "draft-ietf-ipsec-nat-t-ike-03");
	assert_string_equal(vid("afcad71368a1f1c96b8696fc77570100", buf, sizeof(buf)),
			    "DPD (RFC 3706)");
	assert_string_equal(vid("09002689dfd6b712", buf, sizeof(buf)), "XAUTH");
	assert_string_equal(vid("12f5f28c457168a9702d9fe274cc0100", buf, sizeof(buf)),
			    "Cisco Unity");
	assert_string_equal(vid("882fe56d6fd20dbc2251613b2ebe5beb", buf, sizeof(buf)),
			    "strongSwan");
	/* Windows: MS NT5 ISAKMPOAKLEY + version */
	assert_string_equal(vid("1e2b516905991c7d7c96fcbfb587e46100000009", buf, sizeof(buf)),
			    "MS NT5 ISAKMPOAKLEY v9 (Windows 8 or later)");
	assert_string_equal(vid("1e2b516905991c7d7c96fcbfb587e46100000005", buf, sizeof(buf)),
			    "MS NT5 ISAKMPOAKLEY v5 (Windows Vista)");
	assert_string_equal(vid("1e2b516905991c7d7c96fcbfb587e46100000063", buf, sizeof(buf)),
			    "MS NT5 ISAKMPOAKLEY v99");
	/* fragmentation: alone (Windows) and with capabilities (strongSwan) */
	assert_string_equal(vid("4048b7d56ebce88525e7de7f00d6c2d3", buf, sizeof(buf)),
			    "FRAGMENTATION");
	assert_string_equal(vid("4048b7d56ebce88525e7de7f00d6c2d380000000", buf, sizeof(buf)),
			    "FRAGMENTATION (capabilities 80000000)");
	assert_string_equal(vid("621b04bb09882ac1e15935fefa24aeee", buf, sizeof(buf)),
			    "GSSAPI (Microsoft)");
	assert_string_equal(vid("fb1de3cdf341b7ea16b7e5be0855f120", buf, sizeof(buf)),
			    "MS-Negotiation Discovery Capable");
	/* libreswan: "OE" + ASCII, 12 bytes */
	assert_string_equal(vid("4f4576507a53315a6b4e3d3d", buf, sizeof(buf)),
			    "libreswan (OEvPzS1ZkN==)");
}

static void unknown_vendor_ids(void **state)
{
	char buf[64];

	(void)state;
	assert_null(vid("00112233445566778899aabbccddeeff", buf, sizeof(buf)));
	/* exact VIDs do not match with extra bytes, nor as a prefix of themselves */
	assert_null(vid("4a131c81070358455c5728f20e95452f00", buf, sizeof(buf)));
	assert_null(vid("4a131c81070358455c5728f20e9545", buf, sizeof(buf)));
	assert_null(vid("4048b7d56ebce88525e7de7f00d6c2d38000", buf, sizeof(buf)));
	assert_null(vid("4f45000102030405060708", buf, sizeof(buf)));
	assert_null(ikev1_vid_name((struct span){NULL, 0}, buf, sizeof(buf)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exchange_and_payload_names),
		cmocka_unit_test(notify_names),
		cmocka_unit_test(attribute_names),
		cmocka_unit_test(vendor_ids),
		cmocka_unit_test(unknown_vendor_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
