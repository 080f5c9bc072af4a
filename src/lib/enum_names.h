/* enum_names.h: names of protocol numbers, for logs, config and oakctl.
 *
 * A table covers one contiguous range of values and may chain to another
 * (IKEv2 notify types live in two ranges, private-use values in a third).
 */
#ifndef OAK_LIB_ENUM_NAMES_H
#define OAK_LIB_ENUM_NAMES_H

#include <stddef.h>

struct enum_names {
	unsigned first, last;
	const char *const *names;      /* last - first + 1 entries; NULL where unnamed */
	const struct enum_names *next; /* the next range, or NULL */
};

/* Define `const struct enum_names VAR` for values FIRST, FIRST+1, ... named by the
 * string list, chained to NEXT (a pointer or NULL). */
#define ENUM_NAMES(var, first_, next_, ...)                                                        \
	static const char *const var##_strings[] = {__VA_ARGS__};                                  \
	const struct enum_names var = {(first_),                                                   \
				       (first_) + sizeof(var##_strings) / sizeof(char *) - 1,      \
				       var##_strings, (next_)}

/* The name of v, or NULL when no range of t names it. */
const char *enum_name(const struct enum_names *t, unsigned v);
/* The name of v, or "UNKNOWN(v)" formatted into buf; returns a string to print. */
const char *enum_name_or(const struct enum_names *t, unsigned v, char *buf, size_t n);
/* The value named `name` (case-insensitive), or -1. */
long enum_value(const struct enum_names *t, const char *name);

#endif
