#include "lib/builder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/secret.h"

void bld_init(struct builder *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max ? max : BLD_DEFAULT_MAX;
	b->owned = true;
}

void bld_init_fixed(struct builder *b, uint8_t *buf, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->p = buf;
	b->cap = cap;
	b->max = cap;
}

void bld_free(struct builder *b)
{
	if (b->owned && b->p) {
		wipe(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}

uint8_t *bld_take(struct builder *b, size_t *len)
{
	uint8_t *p = b->p;

	*len = 0;
	if (b->err || !b->owned) {
		bld_free(b);
		return NULL;
	}
	*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

int bld_err(const struct builder *b)
{
	return b->err;
}

bool bld_ok(const struct builder *b)
{
	return b->err == 0;
}

size_t bld_off(const struct builder *b)
{
	return b->len;
}

const uint8_t *bld_data(const struct builder *b)
{
	return b->p;
}

/* Make room for n more bytes; the old contents are wiped when moved. */
static int grow(struct builder *b, size_t n)
{
	size_t want, cap;
	uint8_t *np;

	if (b->err)
		return b->err;
	if (n > b->max - b->len)
		return b->err = -ENOBUFS;
	want = b->len + n;
	if (want <= b->cap)
		return 0;
	if (!b->owned)
		return b->err = -ENOBUFS;
	cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap *= 2;
	if (cap > b->max)
		cap = b->max;
	np = malloc(cap);
	if (!np)
		return b->err = -ENOMEM;
	if (b->p) {
		memcpy(np, b->p, b->len);
		wipe(b->p, b->cap);
		free(b->p);
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

uint8_t *bld_reserve(struct builder *b, size_t n)
{
	uint8_t *at;

	if (grow(b, n))
		return NULL;
	at = b->p + b->len;
	b->len += n;
	return at;
}

int bld_bytes(struct builder *b, const void *src, size_t n)
{
	uint8_t *at = bld_reserve(b, n);

	if (at && n)
		memcpy(at, src, n);
	return b->err;
}

int bld_zero(struct builder *b, size_t n)
{
	uint8_t *at = bld_reserve(b, n);

	if (at && n)
		memset(at, 0, n);
	return b->err;
}

int bld_u8(struct builder *b, uint8_t v)
{
	return bld_bytes(b, &v, 1);
}

int bld_u16(struct builder *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	return bld_bytes(b, x, sizeof(x));
}

int bld_u32(struct builder *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	return bld_bytes(b, x, sizeof(x));
}

int bld_u64(struct builder *b, uint64_t v)
{
	bld_u32(b, (uint32_t)(v >> 32));
	return bld_u32(b, (uint32_t)v);
}

/* Check that [off, off + n) was already written. */
static uint8_t *written(struct builder *b, size_t off, size_t n)
{
	if (b->err)
		return NULL;
	if (off > b->len || n > b->len - off) {
		b->err = -EINVAL;
		return NULL;
	}
	return b->p + off;
}

int bld_put_u8_at(struct builder *b, size_t off, uint8_t v)
{
	uint8_t *at = written(b, off, 1);

	if (at)
		at[0] = v;
	return b->err;
}

int bld_put_u16_at(struct builder *b, size_t off, uint16_t v)
{
	uint8_t *at = written(b, off, 2);

	if (at) {
		at[0] = (uint8_t)(v >> 8);
		at[1] = (uint8_t)v;
	}
	return b->err;
}

int bld_put_u32_at(struct builder *b, size_t off, uint32_t v)
{
	uint8_t *at = written(b, off, 4);

	if (at) {
		at[0] = (uint8_t)(v >> 24);
		at[1] = (uint8_t)(v >> 16);
		at[2] = (uint8_t)(v >> 8);
		at[3] = (uint8_t)v;
	}
	return b->err;
}
