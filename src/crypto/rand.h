/* rand.h: random bytes for nonces, SPIs, IVs and cookies secrets.
 *
 * The source is OpenSSL's DRBG (RAND_bytes), falling back to getrandom(2)
 * if it fails. Tests of whole exchanges swap in a deterministic source with
 * rand_set_source() so runs are reproducible; the daemon never does.
 */
#ifndef OAK_CRYPTO_RAND_H
#define OAK_CRYPTO_RAND_H

#include <stddef.h>
#include <stdint.h>

#include "lib/secret.h"

/* A replacement source: fill n bytes at buf, 0 or -errno. */
typedef int rand_source_fn(void *ctx, uint8_t *buf, size_t n);

/* Fill n bytes at buf (caller's buffer) with random bytes. 0, or -EIO when no
 * source could deliver (buf is then zeroed: never use it). */
int rand_bytes(void *buf, size_t n);

/* Like rand_bytes, for values sent in the clear right away (nonces, SPIs,
 * IVs, message IDs), never for keys: up to RAND_PUBLIC_MAX bytes come from
 * a per-thread pool that rand_bytes refills 4 KiB at a time, because
 * OpenSSL 3.0's DRBG costs about 2 us per call (a lock and a getpid(2))
 * whatever its size, and a handshake draws three of them. Bytes are wiped
 * from the pool as they are handed out; a forked child starts with an empty
 * pool. With a replacement source (rand_set_source) every call goes to it.
 * 0 or -EIO as rand_bytes. */
#define RAND_PUBLIC_MAX 256
int rand_public(void *buf, size_t n);

/* A secret of n random bytes (caller frees with secret_free); NULL on failure. */
struct secret *rand_secret(size_t n);

/* Nonce length for a PRF output of prf_out_len bytes: RFC 7296 2.10 wants at
 * least 128 bits and at least half the PRF key size; oak sends
 * max(32, prf_out_len) bytes (max 256, RFC 7296 3.9). */
size_t rand_nonce_len(size_t prf_out_len);

/* Replace the source (tests only; fn and ctx borrowed); NULL restores the CSPRNG.
 * Not thread-safe: set it before any thread draws. */
void rand_set_source(rand_source_fn *fn, void *ctx);

#endif
