/* secret.h: key material that is wiped when freed.
 *
 * Every key, DH private value, shared secret and PSK lives in a struct secret.
 * secret_free() wipes before freeing; nothing logs a secret's bytes (the key
 * log that a user switches on for Wireshark is the one exception, and it goes
 * through secret_data() explicitly).
 */
#ifndef OAK_LIB_SECRET_H
#define OAK_LIB_SECRET_H

#include <stddef.h>
#include <stdint.h>

struct secret {
	size_t len;
	uint8_t data[]; /* len bytes */
};

/* Overwrite n bytes at p with zeros in a way the compiler cannot elide. */
void wipe(void *p, size_t n);

/* A zeroed secret of len bytes (caller frees with secret_free), NULL if out of memory. */
struct secret *secret_new(size_t len);
/* A secret holding a copy of len bytes at p (caller frees). */
struct secret *secret_from(const void *p, size_t len);
/* A copy of s (caller frees); NULL for a NULL s. */
struct secret *secret_dup(const struct secret *s);
/* A secret of a.len + b.len bytes: a's then b's (caller frees). */
struct secret *secret_concat(const struct secret *a, const struct secret *b);
/* Wipe and free; NULL is fine. */
void secret_free(struct secret *s);

#endif
