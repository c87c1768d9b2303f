/*
 * Internal flash driver, per RM0008 "Flash memory programming" and PM0075:
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
 * The controller needs the HSI, which runs from reset. Hardware is reached
 * only through flash_hw.h, so the host tests run this file against a model.
 */
#include "flash.h"

#include "flash_hw.h"
#include "fota/error.h"
#include "regs.h"

_Static_assert(STM32F1_PAGE_SIZE == 1024u || STM32F1_PAGE_SIZE == 2048u,
               "STM32F1_PAGE_SIZE: 1024 or 2048 on the STM32F1");
_Static_assert(STM32F1_FLASH_SIZE % STM32F1_PAGE_SIZE == 0 && STM32F1_FLASH_SIZE > 0,
               "STM32F1_FLASH_SIZE: a whole number of pages");

#define FLASH_SR_FLAGS (FLASH_SR_EOP | FLASH_SR_PGERR | FLASH_SR_WRPRTERR)
#define FLASH_SR_ERRORS (FLASH_SR_PGERR | FLASH_SR_WRPRTERR)

static void reg_set(volatile uint32_t *reg, uint32_t bits)
{
    flash_hw_reg_write(reg, flash_hw_reg_read(reg) | bits);
}

static void reg_clear(volatile uint32_t *reg, uint32_t bits)
{
    flash_hw_reg_write(reg, flash_hw_reg_read(reg) & ~bits);
}

static void flash_wait(void)
{
    while ((flash_hw_reg_read(&FLASH_SR) & FLASH_SR_BSY) != 0)
        ;
}

/* PG and PER left set would let a stray store program or the next STRT
 * erase; one write clears them and locks. */
static void flash_end(void)
{
    uint32_t cr = flash_hw_reg_read(&FLASH_CR);

    flash_hw_reg_write(&FLASH_CR, (cr & ~(FLASH_CR_PG | FLASH_CR_PER)) | FLASH_CR_LOCK);
}

/*
 * Unlocks the FPEC and leaves it idle with no flag set, or returns FOTA_E_IO
 * with it locked. The keys are written only while LOCK is set: a key write to
 * an unlocked FPEC is a wrong sequence. After a wrong sequence the FPEC stays
 * locked until the next reset (on the chip the faulty key write also raises a
 * bus error); LOCK still set after the keys says so, and then FLASH_CR is
 * left alone: the alternative is "programming" with PG ignored. An error flag
 * that does not clear would make every result a lie.
 */
static int flash_begin(void)
{
    if ((flash_hw_reg_read(&FLASH_CR) & FLASH_CR_LOCK) != 0) {
        flash_hw_reg_write(&FLASH_KEYR, FLASH_KEY1);
        flash_hw_reg_write(&FLASH_KEYR, FLASH_KEY2);
        if ((flash_hw_reg_read(&FLASH_CR) & FLASH_CR_LOCK) != 0)
            return FOTA_E_IO;
    }
    flash_wait();
    reg_clear(&FLASH_CR, FLASH_CR_PG | FLASH_CR_PER);
    flash_hw_reg_write(&FLASH_SR, FLASH_SR_FLAGS);
    if ((flash_hw_reg_read(&FLASH_SR) & FLASH_SR_ERRORS) != 0) {
        flash_end();
        return FOTA_E_IO;
    }
    return 0;
}

/* The outcome of the operation just finished; clears the flags. */
static int flash_status(void)
{
    uint32_t sr = flash_hw_reg_read(&FLASH_SR);

    flash_hw_reg_write(&FLASH_SR, FLASH_SR_FLAGS);
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
    flash_hw_read(addr, buf, len);
    return 0;
}

static int stm32f1_prog(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    const uint8_t *p = buf;
    int err;
    uint32_t i;

    (void)ctx;
    if (!in_flash(addr, len) || (addr & 1u) != 0 || (len & 1u) != 0)
        return FOTA_E_INVAL;
    err = flash_begin();
    if (err != 0)
        return err;
    for (i = 0; i < len && err == 0; i += 2) {
        uint16_t v = (uint16_t)(p[i] | (uint16_t)p[i + 1] << 8);

        reg_set(&FLASH_CR, FLASH_CR_PG);
        flash_hw_write16(addr + i, v);
        flash_wait();
        reg_clear(&FLASH_CR, FLASH_CR_PG);
        err = flash_status();
        if (err == 0 && flash_hw_read16(addr + i) != v)
            err = FOTA_E_IO;
    }
    flash_end();
    return err;
}

static int stm32f1_erase(void *ctx, uint32_t addr)
{
    int err;

    (void)ctx;
    if (!in_flash(addr, STM32F1_PAGE_SIZE) || (addr & (STM32F1_PAGE_SIZE - 1u)) != 0)
        return FOTA_E_INVAL;
    err = flash_begin();
    if (err != 0)
        return err;
    reg_set(&FLASH_CR, FLASH_CR_PER);
    flash_hw_reg_write(&FLASH_AR, addr);
    reg_set(&FLASH_CR, FLASH_CR_STRT);
    flash_wait();
    err = flash_status();
    flash_end();
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
