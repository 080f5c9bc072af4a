/* legacy.h: OpenSSL's legacy provider, kept in a library context of its own.
 *
 * Single DES exists only for old IKEv1 peers (RFC 8247 calls it MUST NOT).
 * OpenSSL 3 ships it in the legacy provider; loading that provider into the
 * default context would make every weak algorithm available to every caller,
 * so oak loads it into a private OSSL_LIB_CTX and fetches DES from there only
 * (docs/ARCHITECTURE.md, "crypto").
 */
#ifndef OAK_CRYPTO_LEGACY_H
#define OAK_CRYPTO_LEGACY_H

#include <openssl/evp.h>
#include <openssl/types.h>

/* The private context with the legacy provider loaded, created at first use
 * (thread-safe). NULL when the provider cannot be loaded (then DES is simply
 * unavailable). (borrowed: lives until exit) */
OSSL_LIB_CTX *legacy_libctx(void);

/* Fetch cipher `name` ("DES-CBC") from the legacy context. (caller frees
 * with EVP_CIPHER_free); NULL if unavailable. */
EVP_CIPHER *legacy_cipher_fetch(const char *name);

#endif
