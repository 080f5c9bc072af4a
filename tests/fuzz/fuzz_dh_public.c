/* fuzz_dh_public: arbitrary bytes as the peer's public value, for every DH group.
 *
 * Input: byte 0 picks the group (modulo the number of groups); if bit 7 of byte 1
 * is set, the rest is cut or zero-padded to the group's public value length, so
 * the fuzzer also reaches the range and curve checks behind the length check.
 * Checks dh_derive()'s promises: 0 with a secret of shared_len bytes, or -EINVAL
 * (a rejected value) with no secret; anything else, or a crash, is a bug. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/dh.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t fuzz_ids[] = {1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 31, 32};
#define N_GROUPS (sizeof(fuzz_ids) / sizeof(fuzz_ids[0]))

static void quiet(void *ctx, enum log_sub sub, enum log_level lvl, const char *line)
{
	(void)ctx;
	(void)sub;
	(void)lvl;
	(void)line;
}

/* One fixed key per group, made once: keygen is not what is fuzzed. */
static struct dh_key *fuzz_key(size_t i)
{
	static struct dh_key *keys[N_GROUPS];
	uint8_t priv[56];

	if (keys[i] == NULL) {
		for (size_t j = 0; j < sizeof(priv); j++)
			priv[j] = (uint8_t)(0x5a ^ (j * 7)); /* < n and < p for every group */
		priv[0] &= 0x7f;
		keys[i] = dh_key_from_private(dh_group_by_id(fuzz_ids[i]), priv,
					      fuzz_ids[i] == 32 ? 56 : 32);
		if (keys[i] == NULL)
			abort();
	}
	return keys[i];
}

static void fuzz_one(const struct dh_key *k, const uint8_t *peer, size_t len)
{
	const struct dh_group *g = dh_key_group(k);
	struct secret *s = (struct secret *)1;
	int rc = dh_derive(k, peer, len, &s);

	if (rc == 0 && (s == NULL || s->len != g->shared_len))
		abort();
	if (rc != 0 && (rc != -EINVAL || s != NULL))
		abort();
	secret_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	uint8_t fitted[1024];
	const struct dh_key *k;
	size_t want;

	if (!ready) {
		log_set_sink(quiet, NULL);
		ready = 1;
	}
	if (size < 2)
		return 0;
	k = fuzz_key(data[0] % N_GROUPS);
	want = dh_key_group(k)->pub_len;
	if (data[1] & 0x80) {
		memset(fitted, 0, want);
		memcpy(fitted, data + 2, size - 2 < want ? size - 2 : want);
		fuzz_one(k, fitted, want);
	} else {
		fuzz_one(k, data + 2, size - 2);
	}
	return 0;
}
