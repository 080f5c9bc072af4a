/* Known answers for the integrity transforms: RFC 4868 2.7.2 (HMAC-SHA2 truncated),
 * RFC 3566 4.6 (AES-XCBC-MAC-96, all seven cases), HMAC-MD5-96 / HMAC-SHA1-96
 * from the RFC 2104 / RFC 2202 answers truncated as RFC 2403/2404 say. */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/alg.h"
#include "crypto/integ.h"

static void integ_vectors(void **state)
{
	struct kv_file f;
	int checked = 0;

	(void)state;
	kv_load(&f, th_src_path("tests/vectors/kat/integ.txt"));
	for (int r = 0; r < f.records; r++) {
		const char *src = kv_get(&f, r, "source");
		long id = enum_value(&alg_ikev2_auth_names, kv_get(&f, r, "integ"));
		const struct integ_alg *alg = integ_by_ikev2_id((uint16_t)id);
		size_t key_len, data_len, want_len;
		uint8_t *key = th_hex_alloc(kv_get(&f, r, "key"), &key_len);
		uint8_t *data = th_hex_alloc(kv_get(&f, r, "data"), &data_len);
		uint8_t *want = th_hex_alloc(kv_get(&f, r, "icv"), &want_len);
		struct span part = {data, data_len};
		uint8_t icv[64];

		print_message("%s, %s\n", src, kv_get(&f, r, "integ"));
		assert_non_null(alg);
		assert_int_equal(alg->icv_len, want_len);
		assert_int_equal(integ_compute(alg, key, key_len, &part, 1, icv), 0);
		th_assert_bytes(icv, alg->icv_len, want, want_len, src);
		assert_int_equal(integ_verify(alg, key, key_len, &part, 1, want, want_len), 0);
		/* one flipped bit anywhere in the ICV is refused */
		want[want_len - 1] ^= 0x01;
		assert_int_equal(integ_verify(alg, key, key_len, &part, 1, want, want_len),
				 -EBADMSG);
		free(key);
		free(data);
		free(want);
		checked++;
	}
	assert_int_equal(checked, 23);
	kv_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(integ_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
