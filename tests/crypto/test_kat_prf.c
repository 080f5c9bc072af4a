/* Known answers for the PRFs: RFC 4231 (HMAC-SHA2, all cases, case 5 truncated),
 * RFC 2104 (HMAC-MD5), RFC 2202 (HMAC-SHA1), RFC 4434 (AES-XCBC-PRF-128 with
 * 16-, 10- and 18-byte keys), and prf+ (RFC 7296 2.13) rebuilt by hand. */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/alg.h"
#include "crypto/prf.h"

static void prf_vectors(void **state)
{
	struct kv_file f;
	int checked = 0;

	(void)state;
	kv_load(&f, th_src_path("tests/vectors/kat/prf.txt"));
	for (int r = 0; r < f.records; r++) {
		const char *src = kv_get(&f, r, "source");
		long id = enum_value(&alg_ikev2_prf_names, kv_get(&f, r, "prf"));
		const struct prf_alg *alg = prf_by_ikev2_id((uint16_t)id);
		size_t key_len, data_len, want_len;
		uint8_t *key = th_hex_alloc(kv_get(&f, r, "key"), &key_len);
		uint8_t *data = th_hex_alloc(kv_get(&f, r, "data"), &data_len);
		uint8_t *want = th_hex_alloc(kv_get(&f, r, "out"), &want_len);
		struct span part = {data, data_len};
		uint8_t out[64];

		print_message("%s, %s\n", src, kv_get(&f, r, "prf"));
		assert_non_null(alg);
		assert_true(want_len <= alg->out_len);
		assert_int_equal(prf_compute(alg, key, key_len, &part, 1, out), 0);
		th_assert_bytes(out, want_len, want, want_len, src);
		/* the same input split into pieces gives the same output */
		if (data_len > 3) {
			struct span parts[3] = {{data, 1}, {data + 1, 0}, {data + 1, data_len - 1}};

			memset(out, 0, sizeof(out));
			assert_int_equal(prf_compute(alg, key, key_len, parts, 3, out), 0);
			th_assert_bytes(out, want_len, want, want_len, src);
		}
		free(key);
		free(data);
		free(want);
		checked++;
	}
	assert_int_equal(checked, 33);
	kv_free(&f);
}

/* prf+ of RFC 7296 2.13 rebuilt from prf_compute():
 * T1 = prf(K, S | 0x01), T2 = prf(K, T1 | S | 0x02), T3 = ... */
static void check_prf_plus(const struct prf_alg *alg, size_t out_len)
{
	static const uint8_t key[] = "prf+ key of some length";
	static const uint8_t s1[] = {0xa1, 0xa2, 0xa3}, s2[] = {0xb1, 0xb2, 0xb3, 0xb4, 0xb5};
	struct span seed[2] = {{s1, sizeof(s1)}, {s2, sizeof(s2)}};
	uint8_t want[3 * 64], t[64], n;
	size_t have = 0;
	struct secret *got;

	for (n = 1; have < out_len; n++) {
		struct span p[4] = {{t, n == 1 ? 0 : alg->out_len}, seed[0], seed[1], {&n, 1}};

		assert_int_equal(prf_compute(alg, key, sizeof(key) - 1, p, 4, t), 0);
		memcpy(want + have, t, alg->out_len);
		have += alg->out_len;
	}
	got = prf_plus(alg, key, sizeof(key) - 1, seed, 2, out_len);
	assert_non_null(got);
	assert_int_equal(got->len, out_len);
	th_assert_bytes(got->data, got->len, want, out_len, alg->name);
	secret_free(got);
}

static void prf_plus_two_blocks(void **state)
{
	(void)state;
	/* two whole blocks, and a length that ends inside the second/third block */
	check_prf_plus(&prf_hmac_sha2_256, 64);
	check_prf_plus(&prf_hmac_sha2_256, 45);
	check_prf_plus(&prf_hmac_sha1, 2 * 20 + 7);
	check_prf_plus(&prf_aes128_xcbc, 32);
	check_prf_plus(&prf_hmac_sha2_512, 130);
}

/* A fixed prf+ output, so a change in the construction (counter position,
 * what is chained) cannot hide behind the hand-built reference above. */
static void prf_plus_fixed_answer(void **state)
{
	static const uint8_t key[] = {0x0b, 0x0b, 0x0b, 0x0b};
	static const uint8_t s[] = "Hi There";
	struct span seed = {s, 8};
	uint8_t t1[32], one = 1;
	struct span p1[2] = {seed, {&one, 1}};
	struct secret *got;

	(void)state;
	got = prf_plus(&prf_hmac_sha2_256, key, sizeof(key), &seed, 1, 16);
	assert_non_null(got);
	/* T1 = HMAC-SHA-256(K, "Hi There" | 0x01), computed independently (Python hmac) */
	th_assert_hex(got->data, got->len, "4753e39c3f0d61b5d11f8b4fb8c49418");
	assert_int_equal(prf_compute(&prf_hmac_sha2_256, key, sizeof(key), p1, 2, t1), 0);
	th_assert_bytes(got->data, 16, t1, 16, "T1");
	secret_free(got);
}

static void prf_plus_limits(void **state)
{
	struct span seed = {(const uint8_t *)"s", 1};
	struct secret *s;

	(void)state;
	/* RFC 7296 2.13: the counter is one octet, so at most 255 blocks */
	s = prf_plus(&prf_hmac_sha1, (const uint8_t *)"k", 1, &seed, 1, 255 * 20);
	assert_non_null(s);
	assert_int_equal(s->len, 255 * 20);
	secret_free(s);
	assert_null(prf_plus(&prf_hmac_sha1, (const uint8_t *)"k", 1, &seed, 1, 255 * 20 + 1));
	assert_null(prf_plus(NULL, (const uint8_t *)"k", 1, &seed, 1, 20));
}

/* prf_hash: the plain digest (RFC 2409 appendix B IV); SHA-256("abc") and MD5("abc"). */
static void prf_hash_known(void **state)
{
	struct span parts[2] = {{(const uint8_t *)"a", 1}, {(const uint8_t *)"bc", 2}};
	uint8_t out[64];

	(void)state;
	assert_int_equal(prf_hash(&prf_hmac_sha2_256, parts, 2, out), 0);
	th_assert_hex(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(prf_hash(&prf_hmac_md5, parts, 2, out), 0);
	th_assert_hex(out, 16, "900150983cd24fb0d6963f7d28e17f72");
	assert_int_equal(prf_hash(&prf_aes128_xcbc, parts, 2, out), -ENOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prf_vectors),		 cmocka_unit_test(prf_plus_two_blocks),
		cmocka_unit_test(prf_plus_fixed_answer), cmocka_unit_test(prf_plus_limits),
		cmocka_unit_test(prf_hash_known),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
