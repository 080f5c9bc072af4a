/* rand.c: the CSPRNG behind nonces (RFC 7296 2.10) and SPIs. */
#include "crypto/rand.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/rand.h>

#include "lib/util.h"

static rand_source_fn *rand_source;
static void *rand_source_ctx;

void rand_set_source(rand_source_fn *fn, void *ctx)
{
	rand_source = fn;
	rand_source_ctx = ctx;
}

static int rand_getrandom(uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -EIO;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int rand_bytes(void *buf, size_t n)
{
	uint8_t *p = buf;
	int rc = 0;

	if (buf == NULL && n)
		return -EINVAL;
	if (rand_source != NULL) {
		rc = rand_source(rand_source_ctx, p, n);
	} else {
		/* RAND_bytes takes an int count. */
		for (size_t off = 0; off < n && rc == 0;) {
			size_t chunk = MIN(n - off, (size_t)INT_MAX);

			if (RAND_bytes(p + off, (int)chunk) != 1)
				rc = rand_getrandom(p + off, chunk);
			off += chunk;
		}
	}
	if (rc)
		memset(p, 0, n);
	return rc ? -EIO : 0;
}

#define RAND_POOL_LEN 4096

static __thread uint8_t rand_pool[RAND_POOL_LEN];
static __thread size_t rand_pool_left; /* the last rand_pool_left octets are unused */
static pthread_once_t rand_pool_once = PTHREAD_ONCE_INIT;

/* fork(2) copies the pool: a child must not send its parent's nonces */
static void rand_pool_forget(void)
{
	wipe(rand_pool, sizeof(rand_pool));
	rand_pool_left = 0;
}

static void rand_pool_register(void)
{
	pthread_atfork(NULL, NULL, rand_pool_forget);
}

int rand_public(void *buf, size_t n)
{
	size_t off;

	if (rand_source != NULL || n > RAND_PUBLIC_MAX || buf == NULL)
		return rand_bytes(buf, n);
	pthread_once(&rand_pool_once, rand_pool_register);
	if (rand_pool_left < n) {
		rand_pool_left = 0;
		if (rand_bytes(rand_pool, sizeof(rand_pool)) < 0) {
			memset(buf, 0, n);
			return -EIO;
		}
		rand_pool_left = sizeof(rand_pool);
	}
	off = sizeof(rand_pool) - rand_pool_left;
	memcpy(buf, rand_pool + off, n);
	wipe(rand_pool + off, n);
	rand_pool_left -= n;
	return 0;
}

struct secret *rand_secret(size_t n)
{
	struct secret *s = secret_new(n);

	if (s != NULL && rand_bytes(s->data, n)) {
		secret_free(s);
		return NULL;
	}
	return s;
}

size_t rand_nonce_len(size_t prf_out_len)
{
	return MIN(MAX((size_t)32, prf_out_len), (size_t)256);
}
