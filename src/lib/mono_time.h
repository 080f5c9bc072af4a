/* mono_time.h: monotonic time for timers and lifetimes (never the wall clock). */
#ifndef OAK_LIB_MONO_TIME_H
#define OAK_LIB_MONO_TIME_H

#include <stdint.h>

/* Nanoseconds / milliseconds since an arbitrary start (CLOCK_MONOTONIC). */
uint64_t mono_ns(void);
uint64_t mono_ms(void);

#endif
