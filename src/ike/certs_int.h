/* certs_int.h: what certs.c and certs_load.c share; private to the certs module. */
#ifndef OAK_IKE_CERTS_INT_H
#define OAK_IKE_CERTS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/certs.h"

#define CERTS_FILE_MAX (1u << 20) /* as sig_key_load_file */

/* What a file holds: which list of the store it goes to. */
enum certs_kind { CERTS_KIND_CA, CERTS_KIND_CERT, CERTS_KIND_KEY };

/* printf into why (borrowed, whylen bytes) when why is not NULL. */
__attribute__((format(printf, 3, 4))) void certs_why(char *why, size_t whylen, const char *fmt,
						     ...);
/* certs_add_ca / certs_add_cert with the file's path (copied; NULL when added
 * from memory), which messages name instead of `name`. */
int certs_add_ca_at(struct certs_store *s, const uint8_t *buf, size_t len, const char *name,
		    const char *path, char *why, size_t whylen);
int certs_add_cert_at(struct certs_store *s, const uint8_t *buf, size_t len, const char *name,
		      const char *path, char *why, size_t whylen);
/* Whether s already holds the CA, own certificate or key (by name) loaded from path. */
bool certs_store_has_file(const struct certs_store *s, enum certs_kind kind, const char *path);

/* --- the cache of validated peer chains (certs_cache.c) --- */

/* What validating a chain learned beyond its end entity, and when it holds. */
struct certs_cached {
	uint64_t not_before, not_after; /* now must lie here: every certificate's validity */
	struct ident anchor;
	uint8_t ca_keyids[CERTS_CHAIN_MAX][CERTS_KEYID_LEN];
	size_t nca;
};

struct certs_cache;

/* (caller frees with certs_cache_free); NULL when out of memory. */
struct certs_cache *certs_cache_new(void);
void certs_cache_free(struct certs_cache *c);
/* A validated chain (borrowed spans, as the peer sent them) still valid at
 * now: true and *out filled. Thread-safe; c may be NULL (never a hit). */
bool certs_cache_get(struct certs_cache *c, const struct span *chain, size_t n, uint64_t now,
		     struct certs_cached *out);
/* Remember a chain that validated (v copied). Thread-safe. */
void certs_cache_put(struct certs_cache *c, const struct span *chain, size_t n,
		     const struct certs_cached *v);
void certs_cache_stats(struct certs_cache *c, uint64_t *hits, uint64_t *misses);

#endif
