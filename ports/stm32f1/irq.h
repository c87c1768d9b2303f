/*
 * Interrupt masking and NVIC enables for the drivers (PM0056 4.2), kept out
 * of regs.h so that a host build of flash.c never sees the inline assembly.
 */
#ifndef STM32F1_IRQ_H
#define STM32F1_IRQ_H

#include <stdint.h>

#include "regs.h"

static inline void nvic_enable(uint32_t irq)
{
    NVIC_ISER(irq / 32u) = 1u << (irq % 32u);
}

static inline void nvic_disable(uint32_t irq)
{
    NVIC_ICER(irq / 32u) = 1u << (irq % 32u);
    NVIC_ICPR(irq / 32u) = 1u << (irq % 32u);
}

/* Masks interrupts; returns the previous PRIMASK for irq_restore(), so a
 * section nested in another one does not unmask early. */
static inline uint32_t irq_save(void)
{
    uint32_t primask;

    __asm volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
    return primask;
}

static inline void irq_restore(uint32_t primask)
{
    __asm volatile("msr primask, %0" : : "r"(primask) : "memory");
}

#endif
