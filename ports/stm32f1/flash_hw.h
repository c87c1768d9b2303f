/*
 * How the flash driver (flash.c) reaches the hardware: FPEC registers named
 * by regs.h, and half-word accesses to the flash array. Nothing else in the
 * driver touches an address.
 *
 * On the target these are the volatile accesses themselves, so the driver
 * compiles to what it would with the accesses written inline. Built with
 * -DSTM32F1_FLASH_MODEL (host tests) they call the functions declared below,
 * which a register-level model of the FPEC provides
 * (tests/unit/stm32f1_flash_model.c): the driver's own code then runs against
 * what RM0008 section 3 describes, on the host.
 */
#ifndef STM32F1_FLASH_HW_H
#define STM32F1_FLASH_HW_H

#include <stdint.h>
#include <string.h>

#include "regs.h"

#ifdef STM32F1_FLASH_MODEL

/* Register accesses by address (0x40022000 + offset), 32 bits wide. */
uint32_t stm32f1_model_reg_read(uint32_t addr);
void stm32f1_model_reg_write(uint32_t addr, uint32_t value);
/* CPU accesses to the flash array at device addresses. */
uint16_t stm32f1_model_read16(uint32_t addr);
void stm32f1_model_write16(uint32_t addr, uint16_t value);
void stm32f1_model_read(uint32_t addr, void *buf, uint32_t len);

static inline uint32_t flash_hw_reg_read(volatile uint32_t *reg)
{
    return stm32f1_model_reg_read((uint32_t)(uintptr_t)reg);
}

static inline void flash_hw_reg_write(volatile uint32_t *reg, uint32_t value)
{
    stm32f1_model_reg_write((uint32_t)(uintptr_t)reg, value);
}

static inline uint16_t flash_hw_read16(uint32_t addr)
{
    return stm32f1_model_read16(addr);
}

static inline void flash_hw_write16(uint32_t addr, uint16_t value)
{
    stm32f1_model_write16(addr, value);
}

static inline void flash_hw_read(uint32_t addr, void *buf, uint32_t len)
{
    stm32f1_model_read(addr, buf, len);
}

#else

static inline uint32_t flash_hw_reg_read(volatile uint32_t *reg)
{
    return *reg;
}

static inline void flash_hw_reg_write(volatile uint32_t *reg, uint32_t value)
{
    *reg = value;
}

static inline uint16_t flash_hw_read16(uint32_t addr)
{
    return *(volatile const uint16_t *)(uintptr_t)addr;
}

/* With PG set in FLASH_CR this starts programming; it must be a half-word
 * store (RM0008: any other width is a bus error). */
static inline void flash_hw_write16(uint32_t addr, uint16_t value)
{
    *(volatile uint16_t *)(uintptr_t)addr = value;
}

/* The flash is memory-mapped: reading it is a copy. */
static inline void flash_hw_read(uint32_t addr, void *buf, uint32_t len)
{
    memcpy(buf, (const void *)(uintptr_t)addr, len);
}

#endif

#endif
