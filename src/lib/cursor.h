/* cursor.h: checked reading of untrusted bytes.
 *
 * A cursor reads forward through a borrowed buffer. Every read checks bounds;
 * the first failure makes the error sticky: later reads fail too, output
 * values are zeroed, and the offset stays where the failure happened. Callers
 * chain reads and test once (`if (cur_err(&c)) goto out;`), as OpenSSH's
 * sshbuf does. A cursor can never read outside [p, p + len).
 */
#ifndef OAK_LIB_CURSOR_H
#define OAK_LIB_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A borrowed span of bytes (owned by whoever owns the underlying buffer). */
struct span {
	const uint8_t *p;
	size_t len;
};

struct cursor {
	const uint8_t *p; /* (borrowed) start of the buffer */
	size_t len;	  /* bytes in the buffer */
	size_t off;	  /* next byte to read */
	int err;	  /* 0, or the first error (-EMSGSIZE when a read overran) */
};

/* Start reading `len` bytes at `p` (borrowed; must outlive the cursor). */
void cur_init(struct cursor *c, const uint8_t *p, size_t len);

/* Bytes left to read; 0 once an error happened. */
size_t cur_left(const struct cursor *c);
/* The sticky error: 0 while every read succeeded. */
int cur_err(const struct cursor *c);
bool cur_ok(const struct cursor *c);

int cur_u8(struct cursor *c, uint8_t *v);
int cur_u16(struct cursor *c, uint16_t *v); /* network byte order */
int cur_u32(struct cursor *c, uint32_t *v);
int cur_u64(struct cursor *c, uint64_t *v);
/* Copy n bytes into dst (caller's buffer of at least n bytes). */
int cur_copy(struct cursor *c, void *dst, size_t n);
/* Borrow the next n bytes as a span pointing into the buffer. */
int cur_span(struct cursor *c, size_t n, struct span *out);
/* A sub-cursor over the next n bytes; the parent moves past them. */
int cur_sub(struct cursor *c, size_t n, struct cursor *sub);
int cur_skip(struct cursor *c, size_t n);
/* Borrow everything that is left (an empty span after an error). */
struct span cur_rest(struct cursor *c);

#endif
