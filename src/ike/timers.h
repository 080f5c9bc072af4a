/* timers.h: deadlines of SAs in a binary heap, keyed by (serial, kind).
 *
 * An SA has at most one timer of each kind; setting one again moves it.
 * Timers name the SA by serial number: when one fires the engine looks the
 * SA up and does nothing if it is gone (docs/ARCHITECTURE.md, "State"). The
 * engine exposes the earliest deadline (timers_next) and runs what is due
 * when told the time: the daemon drives it from one libevent timer, the tests
 * from a fake clock. Times are milliseconds of the monotonic clock.
 *
 * Costs: set/cancel O(log n) (a hash table finds the entry, the heap keeps
 * its index), next O(1), pop O(log n).
 */
#ifndef OAK_IKE_TIMERS_H
#define OAK_IKE_TIMERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/htab.h"

enum timer_kind {
	TIMER_RETRANSMIT = 0, /* our outstanding request: send again or give up */
	TIMER_TIMEOUT,	      /* a negotiation that must finish by then (half-open SA) */
	TIMER_REKEY,	      /* soft lifetime */
	TIMER_EXPIRE,	      /* hard lifetime */
	TIMER_DPD,	      /* liveness check */
	TIMER_KEEPALIVE,      /* NAT-keepalive while behind a NAT (RFC 3948 2.3) */
	TIMER_REAUTH,	      /* reauthentication: a new IKE SA (RFC 7296 2.8.3) */
	TIMER_KIND_COUNT
};

#define TIMERS_NONE UINT64_MAX

struct timer_entry;

struct timers {
	struct timer_entry **heap; /* owned; heap[0] is the earliest */
	size_t n, cap;
	struct htab by_key; /* (serial, kind) -> entry */
};

/* 0 or -ENOMEM. */
int timers_init(struct timers *t);
void timers_free(struct timers *t);
/* Set (or move) the timer (serial, kind) to fire at when_ms. 0 or -ENOMEM. */
int timers_set(struct timers *t, uint32_t serial, enum timer_kind kind, uint64_t when_ms);
/* Remove the timer if set; returns whether it was. */
bool timers_cancel(struct timers *t, uint32_t serial, enum timer_kind kind);
/* Remove every timer of serial. */
void timers_cancel_all(struct timers *t, uint32_t serial);
/* When (serial, kind) fires, or TIMERS_NONE. */
uint64_t timers_when(const struct timers *t, uint32_t serial, enum timer_kind kind);
/* The earliest deadline, or TIMERS_NONE when no timer is set. */
uint64_t timers_next(const struct timers *t);
/* Take the earliest timer if it is due at now_ms: true with *serial and
 * *kind filled (the timer is removed), false when nothing is due. */
bool timers_pop_due(struct timers *t, uint64_t now_ms, uint32_t *serial, enum timer_kind *kind);
size_t timers_count(const struct timers *t);

#endif
