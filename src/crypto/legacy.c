/* legacy.c: the private OSSL_LIB_CTX for single DES (see legacy.h). */
#include "crypto/legacy.h"

#include <pthread.h>

#include <openssl/provider.h>

#include "lib/log.h"

static OSSL_LIB_CTX *legacy_ctx;
static pthread_once_t legacy_once = PTHREAD_ONCE_INIT;

static void legacy_init(void)
{
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();

	if (ctx == NULL)
		return;
	/* The legacy provider alone holds DES; nothing else is loaded here, so
	 * a fetch from this context can only ever return a legacy algorithm. */
	if (OSSL_PROVIDER_load(ctx, "legacy") == NULL) {
		log_warn(SUB_CRYPTO,
			 "OpenSSL legacy provider not loadable: single DES unavailable");
		OSSL_LIB_CTX_free(ctx);
		return;
	}
	legacy_ctx = ctx;
}

OSSL_LIB_CTX *legacy_libctx(void)
{
	pthread_once(&legacy_once, legacy_init);
	return legacy_ctx;
}

EVP_CIPHER *legacy_cipher_fetch(const char *name)
{
	OSSL_LIB_CTX *ctx = legacy_libctx();

	return ctx != NULL ? EVP_CIPHER_fetch(ctx, name, NULL) : NULL;
}
