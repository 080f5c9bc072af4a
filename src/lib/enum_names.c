#include "lib/enum_names.h"

#include <stdio.h>
#include <strings.h>

const char *enum_name(const struct enum_names *t, unsigned v)
{
	for (; t; t = t->next)
		if (v >= t->first && v <= t->last)
			return t->names[v - t->first];
	return NULL;
}

const char *enum_name_or(const struct enum_names *t, unsigned v, char *buf, size_t n)
{
	const char *name = enum_name(t, v);

	if (name)
		return name;
	snprintf(buf, n, "UNKNOWN(%u)", v);
	return buf;
}

long enum_value(const struct enum_names *t, const char *name)
{
	unsigned v;

	for (; t; t = t->next)
		for (v = t->first; v <= t->last; v++)
			if (t->names[v - t->first] && strcasecmp(t->names[v - t->first], name) == 0)
				return (long)v;
	return -1;
}
