#include "lib/secret.h"

#include <stdlib.h>
#include <string.h>

void wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}

struct secret *secret_new(size_t len)
{
	struct secret *s = calloc(1, sizeof(*s) + len);

	if (s)
		s->len = len;
	return s;
}

struct secret *secret_from(const void *p, size_t len)
{
	struct secret *s = secret_new(len);

	if (s && len)
		memcpy(s->data, p, len);
	return s;
}

struct secret *secret_dup(const struct secret *s)
{
	return s ? secret_from(s->data, s->len) : NULL;
}

struct secret *secret_concat(const struct secret *a, const struct secret *b)
{
	struct secret *s = secret_new(a->len + b->len);

	if (s) {
		memcpy(s->data, a->data, a->len);
		memcpy(s->data + a->len, b->data, b->len);
	}
	return s;
}

void secret_free(struct secret *s)
{
	if (!s)
		return;
	wipe(s->data, s->len);
	free(s);
}
