/* prf: lookups by IKEv2 ID and IKEv1 hash, RFC 4434 key-length rules, empty
 * keys and messages, concurrent use, and argument errors. */
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "crypto/alg.h"
#include "crypto/prf.h"

static void lookups(void **state)
{
	(void)state;
	assert_ptr_equal(prf_by_ikev2_id(IKEV2_PRF_HMAC_SHA2_384), &prf_hmac_sha2_384);
	assert_ptr_equal(prf_by_ikev2_id(IKEV2_PRF_AES128_XCBC), &prf_aes128_xcbc);
	assert_null(prf_by_ikev2_id(IKEV2_PRF_HMAC_TIGER));
	assert_null(prf_by_ikev2_id(IKEV2_PRF_AES128_CMAC));
	assert_null(prf_by_ikev2_id(0));
	assert_ptr_equal(prf_by_ikev1_hash(IKEV1_HASH_SHA), &prf_hmac_sha1);
	assert_ptr_equal(prf_by_ikev1_hash(IKEV1_HASH_SHA2_512), &prf_hmac_sha2_512);
	assert_null(prf_by_ikev1_hash(IKEV1_HASH_TIGER));
	assert_null(prf_by_ikev1_hash(0)); /* AES-XCBC has no IKEv1 hash */
	assert_string_equal(prf_hmac_sha2_256.name, "PRF_HMAC_SHA2_256");
	assert_int_equal(prf_hmac_sha2_512.out_len, 64);
	assert_int_equal(prf_hmac_sha2_512.key_len, 64);
	assert_int_equal(prf_aes128_xcbc.out_len, 16);
	assert_int_equal(prf_aes128_xcbc.key_len, 16);
}

/* RFC 4434 2: a short key is zero padded, a long one reduced under a zero key. */
static void xcbc_key_rules(void **state)
{
	static const uint8_t k10[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; /* rest zero */
	static const uint8_t zero[16];
	uint8_t k18[18], reduced[16], a[16], b[16];
	struct span m = {(const uint8_t *)"message", 7}, kp = {k18, 18};

	(void)state;
	assert_int_equal(prf_compute(&prf_aes128_xcbc, k10, 10, &m, 1, a), 0);
	assert_int_equal(prf_compute(&prf_aes128_xcbc, k10, 16, &m, 1, b), 0);
	assert_memory_equal(a, b, 16);
	for (int i = 0; i < 18; i++)
		k18[i] = (uint8_t)(0x30 + i);
	assert_int_equal(prf_compute(&prf_aes128_xcbc, zero, 16, &kp, 1, reduced), 0);
	assert_int_equal(prf_compute(&prf_aes128_xcbc, k18, 18, &m, 1, a), 0);
	assert_int_equal(prf_compute(&prf_aes128_xcbc, reduced, 16, &m, 1, b), 0);
	assert_memory_equal(a, b, 16);
	/* an empty key is the zero key */
	assert_int_equal(prf_compute(&prf_aes128_xcbc, NULL, 0, &m, 1, a), 0);
	assert_int_equal(prf_compute(&prf_aes128_xcbc, zero, 16, &m, 1, b), 0);
	assert_memory_equal(a, b, 16);
}

static void empty_inputs(void **state)
{
	uint8_t out[32];

	(void)state;
	/* HMAC-SHA-256 with an empty key over an empty message (Python hmac) */
	assert_int_equal(prf_compute(&prf_hmac_sha2_256, NULL, 0, NULL, 0, out), 0);
	th_assert_hex(out, 32, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

/* RFC 7296 2.13 with no seed at all: T1 = prf(K, 0x01), T2 = prf(K, T1 | 0x02).
 * A NULL seed of 0 spans is legal; the seed copy must not take it to memcpy. */
static void plus_without_seed(void **state)
{
	static const uint8_t key[] = "key", one = 1, two = 2;
	uint8_t t1[32], t2[32];
	struct span p1 = {&one, 1}, p2[] = {{t1, 32}, {&two, 1}};
	struct secret *s = prf_plus(&prf_hmac_sha2_256, key, 3, NULL, 0, 64);

	(void)state;
	assert_non_null(s);
	assert_int_equal(prf_compute(&prf_hmac_sha2_256, key, 3, &p1, 1, t1), 0);
	assert_int_equal(prf_compute(&prf_hmac_sha2_256, key, 3, p2, 2, t2), 0);
	assert_memory_equal(s->data, t1, 32);
	assert_memory_equal(s->data + 32, t2, 32);
	secret_free(s);
}

static void errors(void **state)
{
	uint8_t out[64] = {0};
	struct span m = {out, 4};

	(void)state;
	assert_int_equal(prf_compute(NULL, out, 4, &m, 1, out), -EINVAL);
	assert_int_equal(prf_compute(&prf_hmac_sha1, out, 4, &m, 1, NULL), -EINVAL);
	assert_int_equal(prf_compute(&prf_hmac_sha1, NULL, 4, &m, 1, out), -EINVAL);
	assert_int_equal(prf_compute(&prf_hmac_sha1, out, 4, NULL, 1, out), -EINVAL);
	assert_int_equal(prf_hash(NULL, &m, 1, out), -EINVAL);
	assert_null(prf_plus(&prf_hmac_sha1, out, 4, NULL, 1, 20));
}

/* The worker pool calls PRFs from several threads at once. */
struct job {
	const struct prf_alg *alg;
	uint8_t want[64];
	int bad;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	struct span m = {(const uint8_t *)"thread", 6};
	uint8_t out[64];

	for (int i = 0; i < 2000; i++) {
		if (prf_compute(j->alg, (const uint8_t *)"key", 3, &m, 1, out) ||
		    memcmp(out, j->want, j->alg->out_len) != 0)
			j->bad++;
	}
	return NULL;
}

static void concurrent_use(void **state)
{
	struct job jobs[4] = {{.alg = &prf_hmac_sha2_256},
			      {.alg = &prf_aes128_xcbc},
			      {.alg = &prf_hmac_sha1},
			      {.alg = &prf_hmac_sha2_512}};
	struct span m = {(const uint8_t *)"thread", 6};
	pthread_t t[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(
			prf_compute(jobs[i].alg, (const uint8_t *)"key", 3, &m, 1, jobs[i].want),
			0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(jobs[i].bad, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lookups),	cmocka_unit_test(xcbc_key_rules),
		cmocka_unit_test(empty_inputs), cmocka_unit_test(plus_without_seed),
		cmocka_unit_test(errors),	cmocka_unit_test(concurrent_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
