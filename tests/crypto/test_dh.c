/* Unit tests for crypto/dh: the group table, round trips in every group, the
 * peer value checks of RFC 6989 and RFC 7748 6 (each with its log line), the
 * error paths, and keygen/derive from several threads at once. */
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/dh.h"
#include "crypto/dh_groups.h"
#include "lib/hex.h"

static const uint16_t all_ids[] = {1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 31, 32};

static const struct dh_group *group(uint16_t id)
{
	const struct dh_group *g = dh_group_by_id(id);

	assert_non_null(g);
	return g;
}

/* The group's prime (MODP p or ECP field prime) from dh_groups.c; returns its length. */
static size_t prime_of(uint16_t id, uint8_t *out, size_t cap)
{
	long n = hex_decode(out, cap, dh_groups_prime_hex(id));

	assert_true(n > 0);
	return (size_t)n;
}

/* dh_derive must fail with -EINVAL, leave *shared NULL and log a line containing `why`. */
static void assert_rejected(const struct dh_key *k, const uint8_t *peer, size_t len,
			    const char *why)
{
	struct secret *s = (struct secret *)1;
	int rc;

	logcap_start();
	rc = dh_derive(k, peer, len, &s);
	logcap_stop();
	assert_int_equal(rc, -EINVAL);
	assert_null(s);
	if (!logcap_contains(why))
		fail_msg("log lacks \"%s\"; got:\n%s", why, logcap_text());
}

static void assert_accepted(const struct dh_key *k, const uint8_t *peer, size_t len)
{
	struct secret *s = NULL;

	assert_int_equal(dh_derive(k, peer, len, &s), 0);
	assert_non_null(s);
	assert_int_equal(s->len, dh_key_group(k)->shared_len);
	secret_free(s);
}

static void table_has_every_group(void **state)
{
	static const struct {
		uint16_t id;
		enum dh_kind kind;
		size_t pub_len, shared_len;
		const char *name;
	} want[] = {
		{1, DH_KIND_MODP, 96, 96, "MODP_768"},
		{2, DH_KIND_MODP, 128, 128, "MODP_1024"},
		{5, DH_KIND_MODP, 192, 192, "MODP_1536"},
		{14, DH_KIND_MODP, 256, 256, "MODP_2048"},
		{15, DH_KIND_MODP, 384, 384, "MODP_3072"},
		{16, DH_KIND_MODP, 512, 512, "MODP_4096"},
		{17, DH_KIND_MODP, 768, 768, "MODP_6144"},
		{18, DH_KIND_MODP, 1024, 1024, "MODP_8192"},
		{19, DH_KIND_ECP, 64, 32, "ECP_256"},
		{20, DH_KIND_ECP, 96, 48, "ECP_384"},
		{21, DH_KIND_ECP, 132, 66, "ECP_521"},
		{31, DH_KIND_ECX, 32, 32, "CURVE_25519"},
		{32, DH_KIND_ECX, 56, 56, "CURVE_448"},
	};
	static const uint16_t unknown[] = {0, 3, 4, 6, 13, 22, 23, 24, 25, 26, 30, 33, 65535};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct dh_group *g = group(want[i].id);

		assert_int_equal(g->id, want[i].id);
		assert_int_equal(g->kind, want[i].kind);
		assert_int_equal(g->pub_len, want[i].pub_len);
		assert_int_equal(g->shared_len, want[i].shared_len);
		assert_string_equal(g->name, want[i].name);
		if (g->kind == DH_KIND_MODP)
			assert_true(g->priv_bits >= 256 && g->priv_bits < g->bits / 2);
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_null(dh_group_by_id(unknown[i]));
}

/* Two fresh keys agree on a secret of shared_len bytes in every group. */
static void round_trip_every_group(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(all_ids) / sizeof(all_ids[0]); i++) {
		const struct dh_group *g = group(all_ids[i]);
		struct dh_key *a = dh_keygen(g), *b = dh_keygen(g);
		uint8_t pa[1024], pb[1024];
		struct secret *sa = NULL, *sb = NULL;

		assert_non_null(a);
		assert_non_null(b);
		assert_ptr_equal(dh_key_group(a), g);
		assert_int_equal(dh_public(a, pa, sizeof(pa)), 0);
		assert_int_equal(dh_public(b, pb, sizeof(pb)), 0);
		assert_memory_not_equal(pa, pb, g->pub_len);
		assert_int_equal(dh_derive(a, pb, g->pub_len, &sa), 0);
		assert_int_equal(dh_derive(b, pa, g->pub_len, &sb), 0);
		assert_int_equal(sa->len, g->shared_len);
		th_assert_bytes(sa->data, sa->len, sb->data, sb->len, g->name);
		if (g->kind == DH_KIND_MODP) {
			/* OSSL_PKEY_PARAM_DH_PRIV_LEN took effect: short exponents */
			int bits = dh_key_priv_bits(a);

			assert_true(bits <= g->priv_bits && bits > g->priv_bits - 32);
		}
		secret_free(sa);
		secret_free(sb);
		dh_key_free(a);
		dh_key_free(b);
	}
}

/* RFC 7296 3.4, 2.14: g^3 = 8, g^5 = 32 and g^15 = 0x8000 keep the length of p. */
static void modp_small_values_keep_prime_length(void **state)
{
	static const uint8_t three[] = {3}, five[] = {0, 5};
	const struct dh_group *g = group(1);
	struct dh_key *a = dh_key_from_private(g, three, sizeof(three));
	struct dh_key *b = dh_key_from_private(g, five, sizeof(five));
	uint8_t pa[96], pb[96], want[96] = {0};
	struct secret *s = NULL;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(dh_public(a, pa, sizeof(pa)), 0);
	assert_int_equal(dh_public(b, pb, sizeof(pb)), 0);
	want[95] = 8;
	th_assert_bytes(pa, sizeof(pa), want, sizeof(want), "g^3");
	want[95] = 32;
	th_assert_bytes(pb, sizeof(pb), want, sizeof(want), "g^5");
	assert_int_equal(dh_derive(a, pb, sizeof(pb), &s), 0);
	want[94] = 0x80;
	want[95] = 0;
	th_assert_bytes(s->data, s->len, want, sizeof(want), "g^15");
	secret_free(s);
	assert_int_equal(dh_derive(b, pa, sizeof(pa), &s), 0);
	th_assert_bytes(s->data, s->len, want, sizeof(want), "g^15");
	secret_free(s);
	dh_key_free(a);
	dh_key_free(b);
}

static void public_buffer_checks(void **state)
{
	const struct dh_group *g = group(19);
	struct dh_key *k = dh_keygen(g);
	uint8_t out[65];

	(void)state;
	assert_non_null(k);
	assert_int_equal(dh_public(k, out, 63), -ENOBUFS);
	assert_int_equal(dh_public(k, NULL, 64), -EINVAL);
	assert_int_equal(dh_public(NULL, out, 64), -EINVAL);
	assert_int_equal(dh_public(k, out, sizeof(out)), 0); /* a larger buffer is fine */
	dh_key_free(k);
}

/* RFC 6989 2.1: 1 < y < p-1, and the length of p (RFC 7296 3.4). */
static void modp_rejects_out_of_range(void **state)
{
	static const uint16_t ids[] = {1, 14, 18};

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const struct dh_group *g = group(ids[i]);
		struct dh_key *k = dh_keygen(g);
		uint8_t p[1024], y[1025];
		size_t n = prime_of(g->id, p, sizeof(p));
		char why[128];

		assert_non_null(k);
		assert_int_equal(n, g->pub_len);
		memset(y, 0, n);
		snprintf(why, sizeof(why),
			 "DH group %u (%s) public value rejected: value 0 is not in 1 < y < p-1 "
			 "(RFC 6989",
			 g->id, g->name);
		assert_rejected(k, y, n, why);
		y[n - 1] = 1;
		assert_rejected(k, y, n, "value 1 is not in 1 < y < p-1");
		y[n - 1] = 2;
		assert_accepted(k, y, n);
		memcpy(y, p, n);
		assert_rejected(k, y, n, "value >= p is not in 1 < y < p-1");
		memset(y, 0xff, n);
		assert_rejected(k, y, n, "value >= p is not in 1 < y < p-1");
		memcpy(y, p, n);
		y[n - 1] -= 1;
		assert_rejected(k, y, n, "value p-1 is not in 1 < y < p-1");
		y[n - 1] -= 1;
		assert_accepted(k, y, n); /* p-2 */
		snprintf(why, sizeof(why),
			 "expected %zu bytes (the length of p, RFC 7296 3.4), got %zu", n, n - 1);
		assert_rejected(k, y + 1, n - 1, why);
		y[n] = 0;
		snprintf(why, sizeof(why),
			 "expected %zu bytes (the length of p, RFC 7296 3.4), got %zu", n, n + 1);
		assert_rejected(k, y, n + 1, why);
		assert_rejected(k, NULL, 0, "got 0");
		dh_key_free(k);
	}
}

/* RFC 6989 2.3: on the curve, coordinates below p, not all zero; RFC 5903 7 lengths. */
static void ecp_rejects_bad_points(void **state)
{
	static const uint16_t ids[] = {19, 20, 21};

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const struct dh_group *g = group(ids[i]);
		struct dh_key *k = dh_keygen(g), *peer = dh_keygen(g);
		uint8_t p[66], xy[1 + 132];
		size_t f = prime_of(g->id, p, sizeof(p)), n = g->pub_len;
		char why[128];

		assert_non_null(k);
		assert_non_null(peer);
		assert_int_equal(2 * f, n);
		memset(xy, 0, n);
		snprintf(why, sizeof(why),
			 "DH group %u (%s) public value rejected: x | y is all zero", g->id,
			 g->name);
		assert_rejected(k, xy, n, why);
		assert_int_equal(dh_public(peer, xy, n), 0);
		assert_accepted(k, xy, n);
		xy[n - 1] ^= 1; /* y off by one: not on the curve */
		snprintf(why, sizeof(why), "point (x, y) is not on the curve %s (RFC 6989 2.3)",
			 g->ossl_name);
		assert_rejected(k, xy, n, why);
		xy[n - 1] ^= 1;
		memcpy(xy + f, p, f);
		assert_rejected(k, xy, n, "y is not less than the field prime p");
		memcpy(xy, p, f);
		assert_rejected(k, xy, n, "x is not less than the field prime p");
		/* a peer that sends SEC 1's 0x04 | x | y */
		xy[0] = 0x04;
		assert_int_equal(dh_public(peer, xy + 1, n), 0);
		snprintf(why, sizeof(why), "expected %zu bytes (x | y, RFC 5903 7), got %zu", n,
			 n + 1);
		assert_rejected(k, xy, n + 1, why);
		dh_key_free(k);
		dh_key_free(peer);
	}
}

/* RFC 7748 6: u = 0 and u = 1 give the all-zero secret. */
static void ecx_rejects_low_order_points(void **state)
{
	static const uint16_t ids[] = {31, 32};

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const struct dh_group *g = group(ids[i]);
		struct dh_key *k = dh_keygen(g);
		uint8_t u[57] = {0};
		char why[160];

		assert_non_null(k);
		snprintf(why, sizeof(why),
			 "DH group %u (%s) public value rejected: the shared secret is all zero",
			 g->id, g->name);
		assert_rejected(k, u, g->pub_len, why);
		u[0] = 1; /* little-endian u = 1 */
		assert_rejected(k, u, g->pub_len, why);
		u[0] = 9; /* X25519's base point is fine (and X448's 5) */
		if (g->id == 32)
			u[0] = 5;
		assert_accepted(k, u, g->pub_len);
		snprintf(why, sizeof(why), "expected %zu bytes (RFC 8031), got %zu", g->pub_len,
			 g->pub_len + 1);
		assert_rejected(k, u, g->pub_len + 1, why);
		dh_key_free(k);
	}
}

static void from_private_rejects_bad_values(void **state)
{
	/* RFC 5903 3.1: the order n of the 256-bit group */
	static const char n256[] =
		"FFFFFFFF 00000000 FFFFFFFF FFFFFFFF BCE6FAAD A7179E84 F3B9CAC2 FC632551";
	uint8_t buf[1025] = {0};
	struct dh_key *k;
	size_t n;

	(void)state;
	logcap_start();
	assert_null(dh_key_from_private(group(14), buf, 32));
	assert_true(logcap_contains("DH group 14 (MODP_2048): private value is not in 1..p-2"));
	n = prime_of(14, buf, sizeof(buf));
	buf[n - 1] -= 1;
	assert_null(dh_key_from_private(group(14), buf, n)); /* p-1 */
	buf[n - 1] -= 1;
	k = dh_key_from_private(group(14), buf, n); /* p-2 is the largest allowed */
	assert_non_null(k);
	dh_key_free(k);
	memset(buf, 0, sizeof(buf));
	buf[0] = 1;
	assert_null(dh_key_from_private(group(14), buf, 257));
	assert_true(logcap_contains("a private value of 257 bytes, expected 1 to 256"));
	n = (size_t)hex_decode(buf, sizeof(buf), n256);
	assert_null(dh_key_from_private(group(19), buf, n));
	assert_true(logcap_contains("DH group 19 (ECP_256): private value is not in 1..n-1"));
	memset(buf, 0, 32);
	assert_null(dh_key_from_private(group(19), buf, 32));
	assert_null(dh_key_from_private(group(31), buf, 31));
	assert_true(logcap_contains(
		"DH group 31 (CURVE_25519): a private value of 31 bytes, expected 32"));
	assert_null(dh_key_from_private(group(31), NULL, 32));
	logcap_stop();
}

static void null_and_foreign_arguments(void **state)
{
	struct dh_group copy = *group(14);
	struct dh_key *k = dh_keygen(group(31));
	struct secret *s = (struct secret *)1;
	uint8_t v[32] = {9};

	(void)state;
	assert_null(dh_keygen(NULL));
	assert_null(dh_keygen(&copy)); /* only the table's own descriptors */
	assert_null(dh_key_from_private(NULL, v, sizeof(v)));
	assert_int_equal(dh_derive(NULL, v, sizeof(v), &s), -EINVAL);
	assert_null(s);
	assert_int_equal(dh_derive(k, v, sizeof(v), NULL), -EINVAL);
	assert_int_equal(dh_derive(k, NULL, sizeof(v), &s), -EINVAL);
	assert_int_equal(dh_derive(k, NULL, 0, &s), -EINVAL); /* empty: the wrong length */
	assert_null(s);
	assert_null(dh_key_group(NULL));
	assert_int_equal(dh_key_priv_bits(NULL), -1);
	assert_int_equal(dh_key_priv_bits(k), 256);
	dh_key_free(NULL);
	dh_key_free(k);
}

/* The worker pool calls keygen and derive from several threads; this also races the
 * first-use initialisation, so it runs first. */
#define N_THREADS 4
static void *worker(void *arg)
{
	static const uint16_t ids[] = {14, 19, 31, 1, 20, 32};
	long fails = 0;

	(void)arg;
	for (int round = 0; round < 6; round++) {
		const struct dh_group *g = dh_group_by_id(ids[round]);
		struct dh_key *a = dh_keygen(g), *b = dh_keygen(g);
		uint8_t pa[256], pb[256];
		struct secret *sa = NULL, *sb = NULL;

		if (a == NULL || b == NULL || dh_public(a, pa, sizeof(pa)) ||
		    dh_public(b, pb, sizeof(pb)) || dh_derive(a, pb, g->pub_len, &sa) ||
		    dh_derive(b, pa, g->pub_len, &sb) || sa->len != sb->len ||
		    memcmp(sa->data, sb->data, sa->len) != 0)
			fails++;
		secret_free(sa);
		secret_free(sb);
		dh_key_free(a);
		dh_key_free(b);
	}
	return (void *)fails;
}

static void threads_share_groups(void **state)
{
	pthread_t t[N_THREADS];

	(void)state;
	for (int i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, NULL), 0);
	for (int i = 0; i < N_THREADS; i++) {
		void *fails;

		assert_int_equal(pthread_join(t[i], &fails), 0);
		assert_int_equal((long)fails, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(threads_share_groups),
		cmocka_unit_test(table_has_every_group),
		cmocka_unit_test(round_trip_every_group),
		cmocka_unit_test(modp_small_values_keep_prime_length),
		cmocka_unit_test(public_buffer_checks),
		cmocka_unit_test(modp_rejects_out_of_range),
		cmocka_unit_test(ecp_rejects_bad_points),
		cmocka_unit_test(ecx_rejects_low_order_points),
		cmocka_unit_test(from_private_rejects_bad_values),
		cmocka_unit_test(null_and_foreign_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
