/* test_ikev2_rules: which payloads each IKEv2 message may carry (RFC 7296
 * 1.2-1.5): real messages pass; missing, repeated, misplaced and foreign
 * payloads are named in the error. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/ikev2.h"
#include "wire/ikev2_rules.h"

static struct ikev2_msg msg;
static struct builder b, inner;
static struct ikev2_enc e, ie;

static const uint8_t blob[32] = {1};
#define SPAN(a) ((struct span){(a), sizeof(a)})

static void start(uint8_t exchange, bool response)
{
	struct isakmp_hdr h = {.spi_i = {1},
			       .major = 2,
			       .exchange = exchange,
			       .flags = response ? IKEV2_FLAG_R : IKEV2_FLAG_I};

	bld_init(&b, 0);
	bld_init(&inner, 0);
	ikev2_msg_encode_begin(&e, &b, &h);
	ikev2_chain_encode_begin(&ie, &inner);
}

static void put_sa(struct ikev2_enc *x)
{
	struct ikev2_proposal p = {.num = 1, .protocol = IKEV2_PROTO_IKE};

	ikev2_put_sa_begin(x);
	ikev2_put_proposal(x, &p);
	ikev2_put_transform_id(x, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_GCM_16, 256);
	ikev2_put_sa_end(x);
}

static void put_ke(struct ikev2_enc *x)
{
	struct ikev2_ke ke = {.group = IKEV2_DH_CURVE25519, .data = SPAN(blob)};

	ikev2_put_ke(x, &ke);
}

static void put_n(struct ikev2_enc *x, uint16_t type)
{
	struct ikev2_notify n = {.type = type};

	ikev2_put_notify(x, &n);
}

static void put_id(struct ikev2_enc *x, uint8_t pl)
{
	struct ikev2_id id = {.type = IKEV2_ID_FQDN, .data = SPAN(blob)};

	ikev2_put_id(x, pl, &id);
}

static void put_auth(struct ikev2_enc *x)
{
	struct ikev2_auth a = {.method = IKEV2_AUTH_METHOD_SHARED_KEY_MIC, .data = SPAN(blob)};

	ikev2_put_auth(x, &a);
}

/* Finish: wrap the inner chain (if any) in SK "encrypted" as plaintext,
 * decode, decode the inner chain, and run the rules. */
static int finish(bool with_sk, bool check_inner, struct wire_err *err)
{
	uint8_t first;
	int r;

	assert_int_equal(ikev2_chain_encode_end(&ie, &first), 0);
	/* an empty chain still has an IV and ICV around it: 16 opaque bytes */
	if (with_sk && bld_off(&inner))
		ikev2_put_sk(&e, first, bld_data(&inner), bld_off(&inner), NULL);
	else if (with_sk)
		ikev2_put_sk(&e, first, blob, 16, NULL);
	assert_int_equal(ikev2_msg_encode_end(&e), 0);
	assert_int_equal(ikev2_msg_decode(bld_data(&b), bld_off(&b), &msg, err), 0);
	if (with_sk && bld_off(&inner))
		assert_int_equal(ikev2_chain_decode(first, msg.pl[msg.sk].sk.data, 0, &msg, err),
				 0);
	r = ikev2_rules_check(&msg, check_inner, err);
	bld_free(&b);
	bld_free(&inner);
	return r;
}

static void expect_fail(bool with_sk, bool check_inner, int rc, const char *reason)
{
	struct wire_err err = {0};

	assert_int_equal(finish(with_sk, check_inner, &err), rc);
	assert_string_equal(err.reason, reason);
}

static void expect_ok(bool with_sk, bool check_inner)
{
	struct wire_err err = {0};
	int r = finish(with_sk, check_inner, &err);

	if (r)
		fail_msg("rules: %d %s", r, err.reason);
}

static void ike_sa_init(void **state)
{
	(void)state;
	start(IKEV2_EXCH_IKE_SA_INIT, false);
	put_sa(&e);
	put_ke(&e);
	ikev2_put_nonce(&e, SPAN(blob));
	put_n(&e, IKEV2_N_NAT_DETECTION_SOURCE_IP);
	ikev2_put_vendor(&e, SPAN(blob));
	ikev2_put_raw(&e, 222, 0, SPAN(blob)); /* unknown, skipped: ignored */
	expect_ok(false, false);

	start(IKEV2_EXCH_IKE_SA_INIT, false);
	put_sa(&e);
	ikev2_put_nonce(&e, SPAN(blob));
	expect_fail(false, false, -EBADMSG, "IKE_SA_INIT request: missing KE payload");
	assert_int_equal(msg.count, 2);

	start(IKEV2_EXCH_IKE_SA_INIT, true);
	put_sa(&e);
	put_ke(&e);
	expect_fail(false, true, -EBADMSG, "IKE_SA_INIT response: missing Nr payload");

	start(IKEV2_EXCH_IKE_SA_INIT, false);
	put_sa(&e);
	put_ke(&e);
	put_ke(&e);
	ikev2_put_nonce(&e, SPAN(blob));
	expect_fail(false, false, -EBADMSG,
		    "IKE_SA_INIT request: 2 KE payloads, at most 1 allowed");

	start(IKEV2_EXCH_IKE_SA_INIT, false);
	put_sa(&e);
	put_ke(&e);
	ikev2_put_nonce(&e, SPAN(blob));
	put_id(&e, IKEV2_PL_IDI);
	expect_fail(false, false, -EBADMSG, "IKE_SA_INIT request: IDi payload not allowed");

	start(IKEV2_EXCH_IKE_SA_INIT, false);
	put_sa(&ie);
	expect_fail(true, true, -EBADMSG, "IKE_SA_INIT request: SK payload not allowed");
}

/* RFC 7296 2.6, 2.21: an error notify or a cookie replaces the reply */
static void error_responses(void **state)
{
	(void)state;
	start(IKEV2_EXCH_IKE_SA_INIT, true);
	put_n(&e, IKEV2_N_INVALID_KE_PAYLOAD);
	expect_ok(false, false);

	start(IKEV2_EXCH_IKE_SA_INIT, true);
	put_n(&e, IKEV2_N_COOKIE);
	expect_ok(false, false);

	start(IKEV2_EXCH_IKE_SA_INIT, true);
	put_n(&e, IKEV2_N_NAT_DETECTION_SOURCE_IP); /* a status alone is not enough */
	expect_fail(false, false, -EBADMSG, "IKE_SA_INIT response: missing SA payload");

	start(IKEV2_EXCH_CREATE_CHILD_SA, true);
	put_n(&ie, IKEV2_N_NO_PROPOSAL_CHOSEN);
	expect_ok(true, true);

	start(IKEV2_EXCH_CREATE_CHILD_SA, true);
	put_n(&ie, IKEV2_N_ADDITIONAL_TS_POSSIBLE);
	expect_fail(true, true, -EBADMSG, "CREATE_CHILD_SA response: missing SA payload");

	/* an error notify does not waive a request's minimums */
	start(IKEV2_EXCH_CREATE_CHILD_SA, false);
	put_n(&ie, IKEV2_N_NO_PROPOSAL_CHOSEN);
	put_sa(&ie);
	expect_fail(true, true, -EBADMSG, "CREATE_CHILD_SA request: missing Ni payload");
}

static void ike_auth(void **state)
{
	(void)state;
	start(IKEV2_EXCH_IKE_AUTH, false);
	put_id(&ie, IKEV2_PL_IDI);
	put_auth(&ie);
	put_sa(&ie);
	expect_ok(true, true);

	/* before decryption only the SK is visible, and it is enough */
	start(IKEV2_EXCH_IKE_AUTH, false);
	put_id(&ie, IKEV2_PL_IDI);
	expect_ok(true, false);

	start(IKEV2_EXCH_IKE_AUTH, false);
	put_id(&ie, IKEV2_PL_IDI);
	put_id(&ie, IKEV2_PL_IDI);
	put_auth(&ie);
	expect_fail(true, true, -EBADMSG, "IKE_AUTH request: 2 IDi payloads, at most 1 allowed");

	start(IKEV2_EXCH_IKE_AUTH, false);
	put_auth(&e);
	put_id(&ie, IKEV2_PL_IDI);
	expect_fail(true, false, -EBADMSG, "IKE_AUTH request: AUTH must be inside SK");

	start(IKEV2_EXCH_IKE_AUTH, true);
	put_id(&ie, IKEV2_PL_IDR);
	put_ke(&ie);
	expect_fail(true, true, -EBADMSG, "IKE_AUTH response: KE payload not allowed");

	start(IKEV2_EXCH_IKE_AUTH, false);
	put_id(&e, IKEV2_PL_IDI);
	expect_fail(false, false, -EBADMSG, "IKE_AUTH request: missing SK payload");
}

static void limits_and_unknown_exchanges(void **state)
{
	unsigned i;

	(void)state;
	start(IKEV2_EXCH_INFORMATIONAL, false);
	for (i = 0; i < IKEV2_RULES_MAX_N + 1; i++)
		put_n(&ie, IKEV2_N_NO_ADDITIONAL_ADDRESSES);
	expect_fail(true, true, -EBADMSG,
		    "INFORMATIONAL request: 33 N payloads, at most 32 allowed");

	start(IKEV2_EXCH_INFORMATIONAL, true);
	expect_ok(true, true); /* an empty SK: a liveness reply */

	start(50, false);
	expect_fail(false, false, -ENOTSUP,
		    "exchange type 50 request: no payload rules for this exchange");
	start(IKEV2_EXCH_IKE_SESSION_RESUME, true);
	expect_fail(false, false, -ENOTSUP,
		    "IKE_SESSION_RESUME response: no payload rules for this exchange");
	assert_null(ikev2_rules_find(IKEV2_EXCH_IKE_SESSION_RESUME, false));
	assert_non_null(ikev2_rules_find(IKEV2_EXCH_IKE_INTERMEDIATE, true));
}

static void error_offset_points_at_payload(void **state)
{
	struct wire_err err = {0};

	(void)state;
	start(IKEV2_EXCH_IKE_AUTH, false);
	put_id(&ie, IKEV2_PL_IDI);
	put_id(&ie, IKEV2_PL_IDI);
	assert_int_equal(finish(true, true, &err), -EBADMSG);
	/* the second IDi, offsets counting from the SK body (base 0 above) */
	assert_int_equal(err.offset, msg.pl[2].off);
	assert_int_equal(msg.pl[2].type, IKEV2_PL_IDI);
}

/* The real messages of the fuzz corpus: cap-* as captured, plain-* with the
 * SK contents decrypted in place. All follow the rules. */
static void real_messages_pass(void **state)
{
	const char *dir = th_src_path("tests/fuzz/corpus/ikev2_msg");
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4096];
	static uint8_t data[65536];
	unsigned checked = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		struct wire_err err = {0};
		bool plain = strncmp(de->d_name, "plain-", 6) == 0;
		FILE *f;
		size_t n;
		int r;

		if (!plain && strncmp(de->d_name, "cap-", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		n = fread(data, 1, sizeof(data), f);
		fclose(f);
		assert_int_equal(ikev2_msg_decode(data, n, &msg, &err), 0);
		if (plain)
			assert_int_equal(ikev2_chain_decode(msg.pl[msg.sk].sk.inner,
							    msg.pl[msg.sk].sk.data, 0, &msg, &err),
					 0);
		r = ikev2_rules_check(&msg, plain, &err);
		if (r)
			fail_msg("%s: %s", de->d_name, err.reason);
		checked++;
	}
	closedir(d);
	assert_true(checked >= 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ike_sa_init),
		cmocka_unit_test(error_responses),
		cmocka_unit_test(ike_auth),
		cmocka_unit_test(limits_and_unknown_exchanges),
		cmocka_unit_test(error_offset_points_at_payload),
		cmocka_unit_test(real_messages_pass),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
