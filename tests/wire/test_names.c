/* test_names: the IKEv2 name tables agree with the numeric constants and the
 * IANA registry, both ways (value -> name -> value). */
#include "testutil.h"

#include <string.h>

#include "wire/names.h"

struct want {
	const struct enum_names *t;
	unsigned v;
	const char *name;
};

/* Values from the IANA IKEv2 registry, spot-checked in every table, with
 * the first and last entries of each range. */
static const struct want wants[] = {
	{&ikev2_exchange_names, IKEV2_EXCH_IKE_SA_INIT, "IKE_SA_INIT"},
	{&ikev2_exchange_names, 37, "INFORMATIONAL"},
	{&ikev2_exchange_names, IKEV2_EXCH_IKE_FOLLOWUP_KE, "IKE_FOLLOWUP_KE"},
	{&ikev2_payload_names, IKEV2_PL_NONE, "NONE"},
	{&ikev2_payload_names, 33, "SA"},
	{&ikev2_payload_names, IKEV2_PL_IDI, "IDi"},
	{&ikev2_payload_names, 46, "SK"},
	{&ikev2_payload_names, IKEV2_PL_SKF, "SKF"},
	{&ikev2_payload_names, 54, "PS"},
	{&ikev2_notify_names, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, "UNSUPPORTED_CRITICAL_PAYLOAD"},
	{&ikev2_notify_names, 14, "NO_PROPOSAL_CHOSEN"},
	{&ikev2_notify_names, 24, "AUTHENTICATION_FAILED"},
	{&ikev2_notify_names, 43, "TEMPORARY_FAILURE"},
	{&ikev2_notify_names, IKEV2_N_REGISTRATION_FAILED, "REGISTRATION_FAILED"},
	{&ikev2_notify_names, 16384, "INITIAL_CONTACT"},
	{&ikev2_notify_names, 16390, "COOKIE"},
	{&ikev2_notify_names, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED,
	 "IKEV2_FRAGMENTATION_SUPPORTED"},
	{&ikev2_notify_names, 16431, "SIGNATURE_HASH_ALGORITHMS"},
	{&ikev2_notify_names, 16447, "IKE_SA_INIT_FULL_TRANSCRIPT_AUTH"},
	{&ikev2_transform_type_names, IKEV2_TRANS_ENCR, "ENCR"},
	{&ikev2_transform_type_names, 4, "DH"},
	{&ikev2_transform_type_names, IKEV2_TRANS_ADDKE7, "ADDKE7"},
	{&ikev2_encr_names, 3, "ENCR_3DES"},
	{&ikev2_encr_names, IKEV2_ENCR_AES_CBC, "ENCR_AES_CBC"},
	{&ikev2_encr_names, 20, "ENCR_AES_GCM_16"},
	{&ikev2_encr_names, IKEV2_ENCR_CHACHA20_POLY1305, "ENCR_CHACHA20_POLY1305"},
	{&ikev2_prf_names, 5, "PRF_HMAC_SHA2_256"},
	{&ikev2_prf_names, IKEV2_PRF_AES128_XCBC, "PRF_AES128_XCBC"},
	{&ikev2_integ_names, 0, "NONE"},
	{&ikev2_integ_names, 12, "AUTH_HMAC_SHA2_256_128"},
	{&ikev2_integ_names, IKEV2_AUTH_AES_XCBC_96, "AUTH_AES_XCBC_96"},
	{&ikev2_dh_names, 14, "MODP_2048"},
	{&ikev2_dh_names, IKEV2_DH_ECP_256, "ECP_256"},
	{&ikev2_dh_names, 31, "CURVE25519"},
	{&ikev2_dh_names, IKEV2_DH_CURVE448, "CURVE448"},
	{&ikev2_esn_names, 1, "ESN"},
	{&ikev2_attr_type_names, 14, "KEY_LENGTH"},
	{&ikev2_protocol_names, 3, "ESP"},
	{&ikev2_id_type_names, 2, "ID_FQDN"},
	{&ikev2_id_type_names, IKEV2_ID_NULL, "ID_NULL"},
	{&ikev2_cert_encoding_names, 4, "X509_SIGNATURE"},
	{&ikev2_auth_method_names, 2, "SHARED_KEY_MIC"},
	{&ikev2_auth_method_names, 14, "DIGITAL_SIGNATURE"},
	{&ikev2_ts_type_names, 7, "TS_IPV4_ADDR_RANGE"},
	{&ikev2_ts_type_names, 8, "TS_IPV6_ADDR_RANGE"},
	{&ikev2_cfg_type_names, 1, "CFG_REQUEST"},
	{&ikev2_cp_attr_names, 1, "INTERNAL_IP4_ADDRESS"},
	{&ikev2_cp_attr_names, IKEV2_CP_INTERNAL_IP6_SUBNET, "INTERNAL_IP6_SUBNET"},
	{&ikev2_cp_attr_names, 29, "ENCDNS_DIGEST_INFO"},
	{&ikev2_eap_code_names, 3, "SUCCESS"},
};

static void names_match_registry(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		const char *got = enum_name(wants[i].t, wants[i].v);

		if (!got || strcmp(got, wants[i].name) != 0)
			fail_msg("value %u: got %s, want %s", wants[i].v, got ? got : "NULL",
				 wants[i].name);
		assert_int_equal(enum_value(wants[i].t, wants[i].name), wants[i].v);
	}
}

static void unassigned_values_have_no_name(void **state)
{
	char buf[32];

	(void)state;
	assert_null(enum_name(&ikev2_payload_names, 1)); /* IKEv1's range */
	assert_null(enum_name(&ikev2_payload_names, 55));
	assert_null(enum_name(&ikev2_notify_names, 2));
	assert_null(enum_name(&ikev2_notify_names, 50));
	assert_null(enum_name(&ikev2_notify_names, 16448));
	assert_null(enum_name(&ikev2_notify_status_names, 14)); /* status table only */
	assert_null(enum_name(&ikev2_encr_names, 17));
	assert_null(enum_name(&ikev2_dh_names, 3));
	assert_string_equal(enum_name_or(&ikev2_exchange_names, 33, buf, sizeof(buf)),
			    "UNKNOWN(33)");
}

/* Every name of every table maps back to its own value: no duplicate or
 * misplaced string (a missing N_ placeholder would shift a whole range). */
static void every_name_round_trips(void **state)
{
	const struct enum_names *tables[] = {
		&ikev2_exchange_names,	     &ikev2_payload_names,     &ikev2_notify_names,
		&ikev2_transform_type_names, &ikev2_encr_names,	       &ikev2_prf_names,
		&ikev2_integ_names,	     &ikev2_dh_names,	       &ikev2_esn_names,
		&ikev2_attr_type_names,	     &ikev2_protocol_names,    &ikev2_id_type_names,
		&ikev2_cert_encoding_names,  &ikev2_auth_method_names, &ikev2_ts_type_names,
		&ikev2_cfg_type_names,	     &ikev2_cp_attr_names,     &ikev2_eap_code_names,
	};
	const struct enum_names *t;
	size_t i;
	unsigned v, named = 0;

	(void)state;
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		for (t = tables[i]; t; t = t->next)
			for (v = t->first; v <= t->last; v++) {
				if (!t->names[v - t->first])
					continue;
				named++;
				assert_int_equal(enum_value(tables[i], t->names[v - t->first]), v);
			}
	assert_true(named > 300);
}

static void transform_id_table_per_type(void **state)
{
	(void)state;
	assert_ptr_equal(ikev2_transform_id_names(IKEV2_TRANS_ENCR), &ikev2_encr_names);
	assert_ptr_equal(ikev2_transform_id_names(IKEV2_TRANS_PRF), &ikev2_prf_names);
	assert_ptr_equal(ikev2_transform_id_names(IKEV2_TRANS_INTEG), &ikev2_integ_names);
	assert_ptr_equal(ikev2_transform_id_names(IKEV2_TRANS_DH), &ikev2_dh_names);
	assert_ptr_equal(ikev2_transform_id_names(IKEV2_TRANS_ESN), &ikev2_esn_names);
	assert_ptr_equal(ikev2_transform_id_names(IKEV2_TRANS_ADDKE1), &ikev2_dh_names);
	assert_ptr_equal(ikev2_transform_id_names(IKEV2_TRANS_ADDKE7), &ikev2_dh_names);
	assert_null(ikev2_transform_id_names(IKEV2_TRANS_KWA));
	assert_null(ikev2_transform_id_names(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_match_registry),
		cmocka_unit_test(unassigned_values_have_no_name),
		cmocka_unit_test(every_name_round_trips),
		cmocka_unit_test(transform_id_table_per_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
