/* htab.h: an intrusive hash table with chaining, and a keyed hash.
 *
 * Objects embed a struct hnode and are found by a 64-bit hash plus the
 * caller's own key comparison: the table never owns or frees objects. The
 * bucket array doubles when the load passes 1, so lookups stay O(1) with
 * hundreds of thousands of SAs. hash_bytes() is SipHash-2-4 keyed with a
 * random key chosen at start-up, so a peer cannot choose SPIs that collide.
 */
#ifndef OAK_LIB_HTAB_H
#define OAK_LIB_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hnode {
	struct hnode *next;
	uint64_t hash;
};

struct htab {
	struct hnode **buckets; /* owned */
	size_t nbuckets;	/* a power of two */
	size_t count;
};

/* An empty table with room for about `hint` entries before it grows. 0 or -ENOMEM. */
int htab_init(struct htab *h, size_t hint);
/* Free the bucket array (the objects are the caller's). */
void htab_free(struct htab *h);
/* Insert n (borrowed: it must stay alive until removed) under hash. Never fails:
 * when growing is impossible the table just gets fuller. */
void htab_insert(struct htab *h, struct hnode *n, uint64_t hash);
/* Remove n if present; returns whether it was. */
bool htab_remove(struct htab *h, struct hnode *n);
/* The first node with this hash, then the next ones: the caller compares keys. */
struct hnode *htab_first(const struct htab *h, uint64_t hash);
struct hnode *htab_next(const struct hnode *n, uint64_t hash);
/* Visit every node: start with *pos = 0 and prev NULL, then pass the node
 * returned; NULL at the end. The table must not change during a visit. */
struct hnode *htab_iter(const struct htab *h, size_t *pos, struct hnode *prev);

/* Seed the keyed hash (from getrandom); called once at start-up, tests may pass a key. */
void hash_seed(const uint8_t key[16]);
void hash_seed_random(void);
uint64_t hash_bytes(const void *p, size_t n);
/* SipHash-2-4 with an explicit key (RFC-style test vectors check this). */
uint64_t siphash24(const uint8_t key[16], const void *p, size_t n);

#endif
