#include "lib/cursor.h"

#include <errno.h>
#include <string.h>

void cur_init(struct cursor *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = p ? len : 0;
	c->off = 0;
	c->err = 0;
}

size_t cur_left(const struct cursor *c)
{
	return c->err ? 0 : c->len - c->off;
}

int cur_err(const struct cursor *c)
{
	return c->err;
}

bool cur_ok(const struct cursor *c)
{
	return c->err == 0;
}

/* Reserve n bytes for reading; NULL (and a sticky error) if they are not there. */
static const uint8_t *take(struct cursor *c, size_t n)
{
	const uint8_t *at;

	if (c->err)
		return NULL;
	if (n > c->len - c->off) {
		c->err = -EMSGSIZE;
		return NULL;
	}
	at = c->p + c->off;
	c->off += n;
	return at;
}

int cur_u8(struct cursor *c, uint8_t *v)
{
	const uint8_t *b = take(c, 1);

	*v = b ? b[0] : 0;
	return c->err;
}

int cur_u16(struct cursor *c, uint16_t *v)
{
	const uint8_t *b = take(c, 2);

	*v = b ? (uint16_t)(b[0] << 8 | b[1]) : 0;
	return c->err;
}

int cur_u32(struct cursor *c, uint32_t *v)
{
	const uint8_t *b = take(c, 4);

	*v = b ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3] : 0;
	return c->err;
}

int cur_u64(struct cursor *c, uint64_t *v)
{
	uint32_t hi = 0, lo = 0;

	cur_u32(c, &hi);
	cur_u32(c, &lo);
	*v = c->err ? 0 : (uint64_t)hi << 32 | lo;
	return c->err;
}

int cur_copy(struct cursor *c, void *dst, size_t n)
{
	const uint8_t *b = take(c, n);

	if (b)
		memcpy(dst, b, n);
	else if (n)
		memset(dst, 0, n);
	return c->err;
}

int cur_span(struct cursor *c, size_t n, struct span *out)
{
	const uint8_t *b = take(c, n);

	out->p = b;
	out->len = b ? n : 0;
	return c->err;
}

int cur_sub(struct cursor *c, size_t n, struct cursor *sub)
{
	const uint8_t *b = take(c, n);

	cur_init(sub, b, b ? n : 0);
	sub->err = c->err;
	return c->err;
}

int cur_skip(struct cursor *c, size_t n)
{
	take(c, n);
	return c->err;
}

struct span cur_rest(struct cursor *c)
{
	struct span s = {NULL, 0};

	cur_span(c, cur_left(c), &s);
	return s;
}
