/* ts_narrow.h: traffic selector narrowing (RFC 7296 2.9).
 *
 * The responder answers TSi/TSr with the parts of the initiator's selectors
 * that its policy allows; the initiator checks that the answer is within
 * what it offered. Both work on plain values (lib/ts.h).
 *
 * "Dynamic" selectors (a config's nlocal_ts / nremote_ts == 0, strongSwan's
 * %dynamic) are the caller's to resolve: it passes the selector of the IKE
 * address (ts_from_addr()) or, for a virtual IP, of that address, before
 * calling these functions.
 */
#ifndef OAK_IKE_TS_NARROW_H
#define OAK_IKE_TS_NARROW_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/ts.h"

/* The responder's narrowing, as strongSwan does it: for each of our
 * selectors in order, its intersection with each offered selector in order;
 * a result contained in another result is dropped (so the initiator's
 * first, packet-specific selector of RFC 7296 2.9 adds nothing when a wider
 * result covers it, and stands alone when it is all that fits our policy).
 * At most max results go to out (the rest are dropped; *nout tells how many
 * were kept). offered, mine (borrowed); out (caller's storage).
 * 0, or -ENOENT when nothing intersects (the caller answers
 * TS_UNACCEPTABLE), -EINVAL when max is 0. */
int ts_narrow(const struct ts *offered, size_t noffered, const struct ts *mine, size_t nmine,
	      struct ts *out, size_t max, size_t *nout);

/* The initiator's check that the responder did not widen: every selector
 * of got lies within one selector of offered (RFC 7296 2.9: the responder
 * may only narrow). An empty got is a subset. (borrowed) */
bool ts_list_is_subset(const struct ts *got, size_t ngot, const struct ts *offered,
		       size_t noffered);

#endif
