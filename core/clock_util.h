/*
 * Two helpers of the core's state machines: their clock is a free-running
 * 32-bit millisecond counter that wraps (after 49 days), so times are
 * compared by their signed difference; and a zero config field means the
 * default.
 */
#ifndef FOTA_CORE_CLOCK_UTIL_H
#define FOTA_CORE_CLOCK_UTIL_H

#include <stdint.h>

/* Whether time t has come at now (t at most 2^31 - 1 ms away). */
static inline int fota_due(uint32_t now, uint32_t t)
{
    return (int32_t)(now - t) >= 0;
}

/* v, or def when v is 0. */
static inline uint32_t fota_or_default(uint32_t v, uint32_t def)
{
    return v ? v : def;
}

#endif
