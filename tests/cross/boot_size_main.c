/*
 * The smallest program that links what a bootloader links of the core: the
 * reset handler calls fota_boot_go(). The link (--gc-sections) measures the
 * flash the bootloader logic, image verification and crypto take; the real
 * bootloader adds its startup code and flash driver.
 */
#include <string.h>

#include "fota/boot.h"

static int flash_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    (void)ctx;
    memcpy(buf, (const void *)addr, len);
    return 0;
}

static int flash_prog(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    (void)ctx;
    (void)addr;
    (void)buf;
    (void)len;
    return 0;
}

static int flash_erase(void *ctx, uint32_t addr)
{
    (void)ctx;
    (void)addr;
    return 0;
}

static const struct fota_flash flash = {
    .read = flash_read, .prog = flash_prog, .erase = flash_erase,
    .base = 0x08000000, .size = 512 * 1024, .page_size = 2048, .write_size = 2,
    .erased = 0xFF,
};
static const uint8_t public_key[32];
static uint8_t page_buf[2048];

void Reset_Handler(void);

void Reset_Handler(void)
{
    const struct fota_boot_config cfg = {
        .flash = &flash, .layout = fota_boot_layout_stm32f103ze,
        .public_key = public_key, .buf = page_buf, .buf_size = sizeof(page_buf),
    };
    struct fota_boot_result res;

    (void)fota_boot_go(&cfg, &res);
    for (;;)
        ;
}
