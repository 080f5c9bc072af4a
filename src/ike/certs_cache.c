/* certs_cache.c: peer certificate chains this store validated, so that a
 * peer that authenticates again (a rekey's reauthentication, a reconnect, many
 * SAs with one certificate) costs no signature checks of its chain.
 *
 * The key is SHA-256 over the chain exactly as the peer sent it (each DER
 * with its length). A hit gives what the chain-building pass learned (the
 * trust anchor and the CA key IDs) and holds only while `now` lies within
 * every certificate's validity period of the verified path, so an expired
 * or not-yet-valid certificate is refused as without the cache. A store is
 * immutable once sealed; a reload makes a new store with an empty cache, so
 * new CAs (or CAs removed) take effect at once. Failures are not cached.
 * Direct-mapped, fixed size, one mutex: the pool's threads share it.
 */
#include "ike/certs_int.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 512 /* distinct peer chains remembered */

struct slot {
	bool used;
	uint8_t key[32];
	struct certs_cached v;
};

struct certs_cache {
	pthread_mutex_t lock;
	uint64_t hits, misses;
	struct slot slots[CACHE_SLOTS];
};

struct certs_cache *certs_cache_new(void)
{
	struct certs_cache *c = calloc(1, sizeof(*c));

	if (c && pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

void certs_cache_free(struct certs_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* SHA-256 of the chain as sent; -1 when the digest fails. */
static int chain_key(const struct span *chain, size_t n, uint8_t key[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned len = 0;
	int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;

	for (size_t i = 0; ok && i < n; i++) {
		uint8_t l[4] = {(uint8_t)(chain[i].len >> 24), (uint8_t)(chain[i].len >> 16),
				(uint8_t)(chain[i].len >> 8), (uint8_t)chain[i].len};

		ok = EVP_DigestUpdate(md, l, 4) == 1 &&
		     EVP_DigestUpdate(md, chain[i].p, chain[i].len) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(md, key, &len) == 1 && len == 32;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

static struct slot *slot_of(struct certs_cache *c, const uint8_t key[32])
{
	uint32_t h = (uint32_t)key[0] | (uint32_t)key[1] << 8 | (uint32_t)key[2] << 16;

	return &c->slots[h % CACHE_SLOTS];
}

bool certs_cache_get(struct certs_cache *c, const struct span *chain, size_t n, uint64_t now,
		     struct certs_cached *out)
{
	uint8_t key[32];
	struct slot *s;
	bool hit;

	if (!c || chain_key(chain, n, key) < 0)
		return false;
	s = slot_of(c, key);
	pthread_mutex_lock(&c->lock);
	hit = s->used && memcmp(s->key, key, sizeof(key)) == 0 && now >= s->v.not_before &&
	      now <= s->v.not_after;
	if (hit)
		*out = s->v;
	if (hit)
		c->hits++;
	else
		c->misses++;
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void certs_cache_put(struct certs_cache *c, const struct span *chain, size_t n,
		     const struct certs_cached *v)
{
	uint8_t key[32];
	struct slot *s;

	if (!c || chain_key(chain, n, key) < 0)
		return;
	s = slot_of(c, key);
	pthread_mutex_lock(&c->lock);
	s->used = true;
	memcpy(s->key, key, sizeof(key));
	s->v = *v;
	pthread_mutex_unlock(&c->lock);
}

void certs_cache_stats(struct certs_cache *c, uint64_t *hits, uint64_t *misses)
{
	*hits = *misses = 0;
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	*hits = c->hits;
	*misses = c->misses;
	pthread_mutex_unlock(&c->lock);
}
