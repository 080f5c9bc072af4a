#include "lib/hex.h"

#include <ctype.h>

char *hex_encode(char *out, size_t out_size, const void *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = p;
	size_t i;

	if (out_size == 0)
		return out;
	if (out_size < 2 * n + 1) {
		out[0] = '\0';
		return out;
	}
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long hex_decode(uint8_t *out, size_t out_size, const char *text)
{
	size_t n = 0;
	int hi, lo;

	while (*text) {
		if (*text == ':' || isspace((unsigned char)*text)) {
			text++;
			continue;
		}
		hi = nibble(text[0]);
		lo = hi < 0 ? -1 : nibble(text[1]);
		if (hi < 0 || lo < 0 || n >= out_size)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		text += 2;
	}
	return (long)n;
}
