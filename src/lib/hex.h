/* hex.h: hexadecimal text <-> bytes, for logs, the key log, vectors and oakctl. */
#ifndef OAK_LIB_HEX_H
#define OAK_LIB_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Write 2*n lowercase hex digits and a NUL into out and return out. A buffer
 * shorter than 2*n + 1 gets an empty string, never a truncated one. */
char *hex_encode(char *out, size_t out_size, const void *p, size_t n);
/* Decode hex digits (upper or lower case; ':' and white space between bytes
 * are skipped) into out. Returns the number of bytes, or -1 on an odd digit
 * count, a non-hex character or more than out_size bytes. */
long hex_decode(uint8_t *out, size_t out_size, const char *text);

#endif
