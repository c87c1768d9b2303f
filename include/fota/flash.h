/*
 * The flash the device core writes to, reached only through this ops struct.
 *
 * Addresses are device addresses (0x08000000 is the first byte of the
 * STM32F103's flash); the port maps them onto its medium. The core obeys the
 * NOR rules the geometry states: it erases whole pages, programs whole write
 * units at write-unit-aligned addresses, and programs only erased locations.
 */
#ifndef FOTA_FLASH_H
#define FOTA_FLASH_H

#include <stdint.h>

struct fota_flash {
    void *ctx; /* handed back to every callback */

    /* Copy len bytes at addr into buf. Returns 0 or a negative fota_err. */
    int (*read)(void *ctx, uint32_t addr, void *buf, uint32_t len);

    /* Program len bytes at addr. addr and len are multiples of write_size and
     * the range is erased. Returns 0 or a negative fota_err (FOTA_E_IO when
     * the hardware reports an error). */
    int (*prog)(void *ctx, uint32_t addr, const void *buf, uint32_t len);

    /* Erase the page that starts at addr. Returns 0 or a negative fota_err. */
    int (*erase)(void *ctx, uint32_t addr);

    uint32_t base;       /* address of the first byte */
    uint32_t size;       /* bytes, a multiple of page_size */
    uint32_t page_size;  /* erase unit in bytes, a power of two */
    uint32_t write_size; /* program unit in bytes: 2 on the STM32F1 */
    uint8_t erased;      /* value of an erased byte: 0xFF on NOR */
};

#endif
