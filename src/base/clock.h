/* Time helpers. */
#ifndef SW_BASE_CLOCK_H
#define SW_BASE_CLOCK_H

#include <stdint.h>
#include <time.h>

/** Monotonic nanoseconds. */
uint64_t clock_mono_ns(void);
/** Monotonic milliseconds. */
uint64_t clock_mono_ms(void);
/** Wall-clock seconds since the epoch. */
time_t clock_wall(void);
/** Wall-clock in nanoseconds since the epoch. */
uint64_t clock_wall_ns(void);

#endif
