#include "lib/htab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static size_t pow2_at_least(size_t n)
{
	size_t p = 16;

	while (p < n)
		p *= 2;
	return p;
}

int htab_init(struct htab *h, size_t hint)
{
	h->nbuckets = pow2_at_least(hint);
	h->count = 0;
	h->buckets = calloc(h->nbuckets, sizeof(struct hnode *));
	return h->buckets ? 0 : -ENOMEM;
}

void htab_free(struct htab *h)
{
	free(h->buckets);
	h->buckets = NULL;
	h->nbuckets = h->count = 0;
}

static void grow(struct htab *h)
{
	size_t n = h->nbuckets * 2, i;
	struct hnode **nb = calloc(n, sizeof(struct hnode *));
	struct hnode *e, *next;

	if (!nb)
		return;
	for (i = 0; i < h->nbuckets; i++)
		for (e = h->buckets[i]; e; e = next) {
			next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	free(h->buckets);
	h->buckets = nb;
	h->nbuckets = n;
}

void htab_insert(struct htab *h, struct hnode *n, uint64_t hash)
{
	struct hnode **b;

	if (h->count >= h->nbuckets)
		grow(h);
	n->hash = hash;
	b = &h->buckets[hash & (h->nbuckets - 1)];
	n->next = *b;
	*b = n;
	h->count++;
}

bool htab_remove(struct htab *h, struct hnode *n)
{
	struct hnode **pp;

	if (!h->nbuckets)
		return false;
	for (pp = &h->buckets[n->hash & (h->nbuckets - 1)]; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			h->count--;
			return true;
		}
	return false;
}

struct hnode *htab_next(const struct hnode *n, uint64_t hash)
{
	for (n = n->next; n; n = n->next)
		if (n->hash == hash)
			return (struct hnode *)n;
	return NULL;
}

struct hnode *htab_first(const struct htab *h, uint64_t hash)
{
	struct hnode *n;

	if (!h->nbuckets)
		return NULL;
	n = h->buckets[hash & (h->nbuckets - 1)];
	if (n && n->hash != hash)
		n = htab_next(n, hash);
	return n;
}

struct hnode *htab_iter(const struct htab *h, size_t *pos, struct hnode *prev)
{
	if (prev && prev->next)
		return prev->next;
	if (prev)
		(*pos)++;
	for (; *pos < h->nbuckets; (*pos)++)
		if (h->buckets[*pos])
			return h->buckets[*pos];
	return NULL;
}

/* SipHash-2-4 (Aumasson and Bernstein), written from the paper's description. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = ROTL(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = ROTL(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = ROTL(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = ROTL(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = ROTL(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = ROTL(v2, 32);                                                                 \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t siphash24(const uint8_t key[16], const void *data, size_t n)
{
	const uint8_t *p = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
	uint64_t b = (uint64_t)n << 56, m;
	size_t i, tail = n & 7;

	for (i = 0; i + 8 <= n; i += 8) {
		m = le64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < tail; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint8_t hash_key[16];

void hash_seed(const uint8_t key[16])
{
	memcpy(hash_key, key, sizeof(hash_key));
}

void hash_seed_random(void)
{
	uint8_t k[16];

	if (getrandom(k, sizeof(k), 0) == (ssize_t)sizeof(k))
		hash_seed(k);
}

uint64_t hash_bytes(const void *p, size_t n)
{
	return siphash24(hash_key, p, n);
}
