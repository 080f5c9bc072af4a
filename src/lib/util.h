/* util.h: small macros used everywhere. */
#ifndef OAK_LIB_UTIL_H
#define OAK_LIB_UTIL_H

#include <stddef.h>

#define ARRAY_SIZE(a)			(sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))
#define MIN(a, b)			((a) < (b) ? (a) : (b))
#define MAX(a, b)			((a) > (b) ? (a) : (b))

#endif
