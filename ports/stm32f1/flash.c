/*
 * Internal flash driver, per RM0008 "Flash memory programming" (high-density
 * devices, one bank of 256 pages of 2 KiB):
 *
 *   unlock: write KEY1 then KEY2 to FLASH_KEYR (LOCK in FLASH_CR clears);
 *   program: set PG, write one half-word at its address, wait for BSY to
 *            clear, check PGERR (the half-word was not erased) and WRPRTERR
 *            (write protected), clear PG;
 *   erase:   set PER, write the page address to FLASH_AR, set STRT, wait for
 *            BSY to clear, check the error flags, clear PER;
 *   lock:    set LOCK again.
 *
 * EOP and the error flags are cleared by writing 1. The CPU stalls on
 * instruction fetches while the controller is busy, so this runs from flash.
 * The controller needs the HSI, which runs from reset.
 */
#include "flash.h"

#include <string.h>

#include "fota/error.h"
#include "regs.h"

#define STM32F1_FLASH_BASE 0x08000000u
#define STM32F1_FLASH_SIZE (512u * 1024u)
#define STM32F1_PAGE_SIZE 2048u

static void flash_unlock(void)
{
    if ((FLASH_CR & FLASH_CR_LOCK) != 0) {
        FLASH_KEYR = FLASH_KEY1;
        FLASH_KEYR = FLASH_KEY2;
    }
}

static void flash_lock(void)
{
    FLASH_CR |= FLASH_CR_LOCK;
}

static void flash_wait(void)
{
    while ((FLASH_SR & FLASH_SR_BSY) != 0)
        ;
}

/* The outcome of the operation just finished; clears the flags. */
static int flash_status(void)
{
    uint32_t sr = FLASH_SR;

    FLASH_SR = FLASH_SR_EOP | FLASH_SR_PGERR | FLASH_SR_WRPRTERR;
    if ((sr & FLASH_SR_WRPRTERR) != 0)
        return FOTA_E_IO;
    if ((sr & FLASH_SR_PGERR) != 0)
        return FOTA_E_NOT_ERASED;
    return 0;
}

static int in_flash(uint32_t addr, uint32_t len)
{
    return addr >= STM32F1_FLASH_BASE && len <= STM32F1_FLASH_SIZE &&
           addr - STM32F1_FLASH_BASE <= STM32F1_FLASH_SIZE - len;
}

static int stm32f1_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    (void)ctx;
    if (!in_flash(addr, len))
        return FOTA_E_INVAL;
    memcpy(buf, (const void *)(uintptr_t)addr, len);
    return 0;
}

static int stm32f1_prog(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    const uint8_t *p = buf;
    int err = 0;
    uint32_t i;

    (void)ctx;
    if (!in_flash(addr, len) || (addr & 1u) != 0 || (len & 1u) != 0)
        return FOTA_E_INVAL;
    flash_unlock();
    flash_wait();
    FLASH_SR = FLASH_SR_EOP | FLASH_SR_PGERR | FLASH_SR_WRPRTERR;
    for (i = 0; i < len && err == 0; i += 2) {
        volatile uint16_t *dst = (volatile uint16_t *)(uintptr_t)(addr + i);
        uint16_t v = (uint16_t)(p[i] | (uint16_t)p[i + 1] << 8);

        FLASH_CR |= FLASH_CR_PG;
        *dst = v;
        flash_wait();
        FLASH_CR &= ~FLASH_CR_PG;
        err = flash_status();
        if (err == 0 && *dst != v)
            err = FOTA_E_IO;
    }
    flash_lock();
    return err;
}

static int stm32f1_erase(void *ctx, uint32_t addr)
{
    int err;

    (void)ctx;
    if (!in_flash(addr, STM32F1_PAGE_SIZE) || (addr & (STM32F1_PAGE_SIZE - 1u)) != 0)
        return FOTA_E_INVAL;
    flash_unlock();
    flash_wait();
    FLASH_SR = FLASH_SR_EOP | FLASH_SR_PGERR | FLASH_SR_WRPRTERR;
    FLASH_CR |= FLASH_CR_PER;
    FLASH_AR = addr;
    FLASH_CR |= FLASH_CR_STRT;
    flash_wait();
    FLASH_CR &= ~FLASH_CR_PER;
    err = flash_status();
    flash_lock();
    return err;
}

const struct fota_flash stm32f1_flash = {
    .ctx = 0,
    .read = stm32f1_read,
    .prog = stm32f1_prog,
    .erase = stm32f1_erase,
    .base = STM32F1_FLASH_BASE,
    .size = STM32F1_FLASH_SIZE,
    .page_size = STM32F1_PAGE_SIZE,
    .write_size = 2,
    .erased = 0xFF,
};
