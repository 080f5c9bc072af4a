/* builder.h: checked writing of messages.
 *
 * A builder appends to a buffer that it owns (growing up to a fixed maximum)
 * or to a caller's fixed buffer. Like the cursor, its error is sticky: after
 * the first failure (no room, allocation failed) every call is a no-op and
 * bld_err() reports it, so encoders chain puts and test once. A builder never
 * writes outside its buffer. Length fields are written later with
 * bld_put_u16_at() at an offset remembered from bld_off().
 */
#ifndef OAK_LIB_BUILDER_H
#define OAK_LIB_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest message a growing builder makes unless told otherwise. */
#define BLD_DEFAULT_MAX ((size_t)64 * 1024)

struct builder {
	uint8_t *p; /* buffer: owned when `owned`, else (borrowed) */
	size_t len; /* bytes written */
	size_t cap; /* bytes allocated */
	size_t max; /* the most this builder may hold */
	int err;    /* 0, -ENOBUFS (over max or fixed buffer full), -ENOMEM */
	bool owned; /* p is ours: grown with realloc, wiped and freed by bld_free() */
};

/* A growing builder holding at most `max` bytes (0: BLD_DEFAULT_MAX). */
void bld_init(struct builder *b, size_t max);
/* A builder writing into the caller's buffer `buf` of `cap` bytes (borrowed). */
void bld_init_fixed(struct builder *b, uint8_t *buf, size_t cap);
/* Wipe and free an owned buffer; the builder is empty afterwards. */
void bld_free(struct builder *b);
/* Hand the owned buffer to the caller (caller frees); *len gets its length.
 * NULL on error (the buffer is freed then). */
uint8_t *bld_take(struct builder *b, size_t *len);

int bld_err(const struct builder *b);
bool bld_ok(const struct builder *b);
size_t bld_off(const struct builder *b);
/* The bytes written so far (borrowed; valid until the next put). */
const uint8_t *bld_data(const struct builder *b);

int bld_u8(struct builder *b, uint8_t v);
int bld_u16(struct builder *b, uint16_t v); /* network byte order */
int bld_u32(struct builder *b, uint32_t v);
int bld_u64(struct builder *b, uint64_t v);
int bld_bytes(struct builder *b, const void *src, size_t n);
int bld_zero(struct builder *b, size_t n);
/* Append n bytes and return where they start (for the caller to fill), or
 * NULL on error. The pointer is valid until the next put. */
uint8_t *bld_reserve(struct builder *b, size_t n);
/* Overwrite bytes already written (lengths, next-payload fields). */
int bld_put_u8_at(struct builder *b, size_t off, uint8_t v);
int bld_put_u16_at(struct builder *b, size_t off, uint16_t v);
int bld_put_u32_at(struct builder *b, size_t off, uint32_t v);

#endif
