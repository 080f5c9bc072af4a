/* ts_narrow.c: traffic selector narrowing (see ts_narrow.h, RFC 7296 2.9). */
#include "ike/ts_narrow.h"

#include <errno.h>

/* Add x unless a result covers it; drop the results x covers. Keeps the
 * order of what stays. */
static void ts_narrow_add(struct ts *out, size_t max, size_t *n, const struct ts *x)
{
	size_t kept = 0;

	for (size_t i = 0; i < *n; i++)
		if (ts_is_subset(x, &out[i]))
			return;
	for (size_t i = 0; i < *n; i++)
		if (!ts_is_subset(&out[i], x))
			out[kept++] = out[i];
	*n = kept;
	if (*n < max)
		out[(*n)++] = *x;
}

int ts_narrow(const struct ts *offered, size_t noffered, const struct ts *mine, size_t nmine,
	      struct ts *out, size_t max, size_t *nout)
{
	struct ts x;

	*nout = 0;
	if (max == 0)
		return -EINVAL;
	for (size_t i = 0; i < nmine; i++)
		for (size_t j = 0; j < noffered; j++)
			if (ts_intersect(&offered[j], &mine[i], &x))
				ts_narrow_add(out, max, nout, &x);
	return *nout ? 0 : -ENOENT;
}

bool ts_list_is_subset(const struct ts *got, size_t ngot, const struct ts *offered, size_t noffered)
{
	for (size_t i = 0; i < ngot; i++) {
		bool inside = false;

		for (size_t j = 0; j < noffered && !inside; j++)
			inside = ts_is_subset(&got[i], &offered[j]);
		if (!inside)
			return false;
	}
	return true;
}
