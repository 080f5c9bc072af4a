/* Tests of the SA table and the state choke point: lookups by SPIs, by the
 * peer's SPIi and address, by serial; half-open counting; legal and illegal
 * state changes with their log lines. */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/alg.h"
#include "ike/ike_sa.h"
#include "ike/sa_table.h"
#include "lib/log.h"

static struct ike_sa *mk(struct sa_table *t, bool initiator, uint8_t own, uint8_t peer,
			 const char *remote)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));

	assert_non_null(sa);
	ike_sa_init(sa, 2, initiator, 0);
	sa->serial = sa_table_new_serial(t);
	memset(initiator ? sa->spi_i : sa->spi_r, own, 8);
	memset(initiator ? sa->spi_r : sa->spi_i, peer, 8);
	assert_int_equal(ip_addr_parse(remote, &sa->remote.addr), 0);
	sa_table_add(t, sa);
	return sa;
}

static void test_lookups(void **state)
{
	struct sa_table t;
	struct ike_sa *ini, *res;
	uint8_t a[8], b[8], z[8] = {0};
	struct ip_addr peer;

	(void)state;
	assert_int_equal(sa_table_init(&t), 0);
	ini = mk(&t, true, 0x11, 0, "192.0.2.2");
	res = mk(&t, false, 0x22, 0x33, "192.0.2.3");
	memset(a, 0x11, 8);
	memset(b, 0x22, 8);
	/* an IKE_SA_INIT answer to our request: SPIr still unknown to us */
	memset(b, 0x44, 8);
	assert_ptr_equal(sa_table_find(&t, a, b, false), ini);
	/* the wrong direction does not match */
	assert_null(sa_table_find(&t, a, b, true));
	/* a request to our responder SA: ours is SPIr, the peer's must match */
	memset(a, 0x33, 8);
	memset(b, 0x22, 8);
	assert_ptr_equal(sa_table_find(&t, a, b, true), res);
	memset(a, 0x34, 8);
	assert_null(sa_table_find(&t, a, b, true));
	assert_null(sa_table_find(&t, a, z, true));
	/* a retransmitted IKE_SA_INIT finds the SA it made, from that address only */
	memset(a, 0x33, 8);
	ip_addr_parse("192.0.2.3", &peer);
	assert_ptr_equal(sa_table_find_init(&t, a, &peer), res);
	ip_addr_parse("192.0.2.4", &peer);
	assert_null(sa_table_find_init(&t, a, &peer));
	assert_ptr_equal(sa_table_find_serial(&t, ini->serial), ini);
	assert_ptr_equal(sa_table_find_serial(&t, res->serial), res);
	assert_int_equal(sa_table_count(&t), 2);
	memset(a, 0x11, 8);
	assert_true(sa_table_spi_in_use(&t, a));
	sa_table_remove(&t, ini);
	assert_false(sa_table_spi_in_use(&t, a));
	assert_null(sa_table_find_serial(&t, ini->serial));
	sa_table_remove(&t, res);
	assert_int_equal(sa_table_count(&t), 0);
	free(ini);
	free(res);
	sa_table_free(&t);
}

static void test_states_and_half_open(void **state)
{
	struct sa_table t;
	struct ike_sa *res, *ini;

	(void)state;
	log_set_all(LVL_INFO);
	assert_int_equal(sa_table_init(&t), 0);
	res = mk(&t, false, 0x22, 0x33, "192.0.2.3");
	ini = mk(&t, true, 0x11, 0, "192.0.2.2");
	assert_int_equal(sa_table_half_open(&t), 1); /* only the responder counts */
	logcap_start();
	/* at info, the handshake's steps are not logged, its end is */
	assert_int_equal(ike_sa_set_state(ini, IKE_SA_STATE_INIT_I), 0);
	assert_false(logcap_contains("NEW -> INIT_I"));
	log_set_all(LVL_DEBUG);
	assert_int_equal(ike_sa_set_state(res, IKE_SA_STATE_INIT_R), 0);
	assert_true(logcap_contains("IKE SA #1 192.0.2.3: NEW -> INIT_R"));
	log_set_all(LVL_INFO);
	assert_int_equal(sa_table_half_open(&t), 1);
	/* a responder cannot become an initiator-side state */
	assert_int_equal(ike_sa_set_state(res, IKE_SA_STATE_AUTH_I), -EINVAL);
	assert_true(logcap_contains("illegal state change INIT_R -> AUTH_I refused"));
	assert_int_equal(res->state, IKE_SA_STATE_INIT_R);
	assert_int_equal(ike_sa_set_state(res, IKE_SA_STATE_ESTABLISHED), 0);
	assert_true(logcap_contains("IKE SA #1 192.0.2.3: INIT_R -> ESTABLISHED"));
	assert_int_equal(sa_table_half_open(&t), 0);
	assert_int_equal(t.count[IKE_SA_STATE_ESTABLISHED], 1);
	/* (NEW -> ESTABLISHED is legal: an IKE SA made by a rekey) */
	assert_int_equal(ike_sa_set_state(ini, IKE_SA_STATE_DELETING), -EINVAL);
	assert_int_equal(ike_sa_set_state(res, IKE_SA_STATE_DEAD), 0);
	assert_true(logcap_contains("IKE SA #1 192.0.2.3: ESTABLISHED -> DEAD"));
	assert_int_equal(ike_sa_set_state(res, IKE_SA_STATE_ESTABLISHED), -EINVAL);
	logcap_stop();
	assert_false(ike_sa_state_legal(IKE_SA_STATE_DEAD, IKE_SA_STATE_NEW));
	assert_true(child_sa_state_legal(CHILD_SA_STATE_CREATING, CHILD_SA_STATE_INSTALLED));
	assert_false(child_sa_state_legal(CHILD_SA_STATE_DELETING, CHILD_SA_STATE_INSTALLED));
	sa_table_remove(&t, res);
	sa_table_remove(&t, ini);
	assert_int_equal(sa_table_half_open(&t), 0);
	free(res);
	free(ini);
	sa_table_free(&t);
}

/* An SA's identities are exact-size copies: empty until set, equal to
 * what was set (also when set from itself), copied out whole on demand. */
static void test_identities(void **state)
{
	struct ike_sa sa;
	struct ident fqdn, dn, out;
	char err[128], buf[IDENT_STRLEN];

	(void)state;
	memset(&sa, 0, sizeof(sa));
	ike_sa_init(&sa, 2, false, 0);
	assert_int_equal(ike_sa_local_id(&sa)->type, 0);
	assert_int_equal(ike_sa_remote_id(&sa)->len, 0);
	assert_int_equal(ident_parse("moon.oak.test", &fqdn, err, sizeof(err)), 0);
	assert_int_equal(ident_parse("C=CH, O=oak, CN=a rather long subject name for a certificate",
				     &dn, err, sizeof(err)),
			 0);
	assert_int_equal(ike_sa_set_local_id(&sa, &fqdn), 0);
	assert_int_equal(ike_sa_set_remote_id(&sa, &dn), 0);
	assert_true(ident_eq(ike_sa_local_id(&sa), &fqdn));
	assert_true(ident_eq(ike_sa_remote_id(&sa), &dn));
	assert_string_equal(ident_fmt(ike_sa_remote_id(&sa), buf, sizeof(buf)),
			    "C=CH, O=oak, CN=a rather long subject name for a certificate");
	/* replaced by itself, then by another */
	assert_int_equal(ike_sa_set_remote_id(&sa, ike_sa_remote_id(&sa)), 0);
	assert_true(ident_eq(ike_sa_remote_id(&sa), &dn));
	assert_int_equal(ike_sa_set_remote_id(&sa, &fqdn), 0);
	assert_true(ident_eq(ike_sa_remote_id(&sa), &fqdn));
	memset(&out, 0xaa, sizeof(out));
	ike_sa_ident_copy(&out, ike_sa_local_id(&sa));
	assert_true(ident_eq(&out, &fqdn));
	assert_int_equal(out.data[fqdn.len], 0); /* the rest is cleared */
	ike_sa_cleanup(&sa);
	assert_null(sa.local_id);
	assert_int_equal(ike_sa_local_id(&sa)->type, 0);
}

/* The chosen IKE proposal is an exact-size copy: empty until set, the
 * same transforms after, copied out whole on demand. */
static void test_proposal_copy(void **state)
{
	struct ike_sa sa;
	struct proposal p, out;
	char a[PROPOSAL_STRLEN], b[PROPOSAL_STRLEN];

	(void)state;
	memset(&sa, 0, sizeof(sa));
	ike_sa_init(&sa, 2, false, 0);
	assert_false(sa.have_proposal);
	assert_int_equal(ike_sa_proposal(&sa)->ntrans, 0);
	memset(&p, 0, sizeof(p));
	p.protocol = PROPOSAL_PROTO_IKE;
	p.num = 2;
	assert_int_equal(proposal_add(&p, IKEV2_TRANS_ENCR, 20, 128), 0);
	assert_int_equal(proposal_add(&p, IKEV2_TRANS_PRF, 5, 0), 0);
	assert_int_equal(proposal_add(&p, IKEV2_TRANS_KE, 31, 0), 0);
	assert_int_equal(ike_sa_set_proposal(&sa, &p), 0);
	assert_true(sa.have_proposal);
	assert_int_equal(ike_sa_proposal(&sa)->num, 2);
	assert_string_equal(proposal_fmt(ike_sa_proposal(&sa), a, sizeof(a)),
			    proposal_fmt(&p, b, sizeof(b)));
	memset(&out, 0xaa, sizeof(out));
	ike_sa_proposal_copy(&out, ike_sa_proposal(&sa));
	assert_int_equal(out.ntrans, 3);
	assert_memory_equal(&out.trans[0], &p.trans[0], 3 * sizeof(p.trans[0]));
	assert_int_equal(out.trans[3].type, 0); /* the rest is cleared */
	ike_sa_cleanup(&sa);
	assert_false(sa.have_proposal);
	assert_null(sa.proposal);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_states_and_half_open),
		cmocka_unit_test(test_identities),
		cmocka_unit_test(test_proposal_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
