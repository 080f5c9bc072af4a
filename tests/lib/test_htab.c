#include "testutil.h"

#include <stdlib.h>

#include "lib/htab.h"
#include "lib/util.h"

struct item {
	struct hnode node;
	uint64_t spi;
};

static uint64_t spi_hash(uint64_t spi)
{
	return hash_bytes(&spi, sizeof(spi));
}

static struct item *find(struct htab *h, uint64_t spi)
{
	uint64_t hv = spi_hash(spi);
	struct hnode *n;

	for (n = htab_first(h, hv); n; n = htab_next(n, hv)) {
		struct item *it = container_of(n, struct item, node);

		if (it->spi == spi)
			return it;
	}
	return NULL;
}

static void siphash_reference_vectors(void **state)
{
	uint8_t key[16], msg[64];
	int i;

	(void)state;
	for (i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	/* SipHash paper, appendix A: 15-byte message 00..0e under key 00..0f */
	assert_true(siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL);
	/* reference implementation's vectors[0] and [8]: empty and 8-byte inputs */
	assert_true(siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(siphash24(key, msg, 8) == 0x93f5f5799a932462ULL);
}

static void insert_find_remove_many(void **state)
{
	enum { N = 50000 };
	struct htab h;
	struct item *items = calloc(N, sizeof(*items));
	size_t i, pos = 0, seen = 0;
	struct hnode *n = NULL;

	(void)state;
	hash_seed_random();
	assert_int_equal(htab_init(&h, 0), 0);
	for (i = 0; i < N; i++) {
		items[i].spi = 0x1000000000ULL + i * 7919;
		htab_insert(&h, &items[i].node, spi_hash(items[i].spi));
	}
	assert_int_equal(h.count, N);
	assert_true(h.nbuckets >= N); /* it grew: chains stay short */
	for (i = 0; i < N; i++)
		assert_ptr_equal(find(&h, items[i].spi), &items[i]);
	assert_null(find(&h, 42));
	while ((n = htab_iter(&h, &pos, n)))
		seen++;
	assert_int_equal(seen, N);
	for (i = 0; i < N; i += 2)
		assert_true(htab_remove(&h, &items[i].node));
	assert_false(htab_remove(&h, &items[0].node));
	for (i = 0; i < N; i++)
		assert_true((find(&h, items[i].spi) != NULL) == (i % 2 == 1));
	assert_int_equal(h.count, N / 2);
	htab_free(&h);
	free(items);
}

static void equal_hashes_chain(void **state)
{
	struct htab h;
	struct item a = {.spi = 1}, b = {.spi = 2};
	struct hnode *n;
	int count = 0;

	(void)state;
	htab_init(&h, 4);
	htab_insert(&h, &a.node, 77);
	htab_insert(&h, &b.node, 77);
	for (n = htab_first(&h, 77); n; n = htab_next(n, 77))
		count++;
	assert_int_equal(count, 2);
	assert_null(htab_first(&h, 78));
	htab_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(siphash_reference_vectors),
		cmocka_unit_test(insert_find_remove_many),
		cmocka_unit_test(equal_hashes_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
