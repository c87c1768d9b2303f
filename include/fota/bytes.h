/*
 * Little-endian load/store helpers shared by every wire and flash format.
 * All fota formats are little-endian and read byte by byte, so they do not
 * depend on the host's endianness or alignment.
 */
#ifndef FOTA_BYTES_H
#define FOTA_BYTES_H

#include <stdint.h>

static inline uint16_t fota_load16_le(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t fota_load32_le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t fota_load64_le(const uint8_t *p)
{
    return (uint64_t)fota_load32_le(p) | (uint64_t)fota_load32_le(p + 4) << 32;
}

static inline void fota_store16_le(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void fota_store32_le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void fota_store64_le(uint8_t *p, uint64_t v)
{
    fota_store32_le(p, (uint32_t)v);
    fota_store32_le(p + 4, (uint32_t)(v >> 32));
}

#endif
