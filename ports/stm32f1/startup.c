/*
 * Startup for the Cortex-M3 (bootloader and application alike): the vector
 * table in .isr_vector, which the linker scripts put first in flash, and a
 * reset handler that copies .data from flash, zeroes .bss, points VTOR at
 * this table and calls main().
 */
#include <stdint.h>

#include "regs.h"

extern uint32_t _estack;
extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss;

int main(void);
void Reset_Handler(void);
void Default_Handler(void);

void Default_Handler(void)
{
    for (;;)
        ;
}

void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
/* These three come from the drivers an image links (clock.c, uart.c,
 * modem_uart.c); an image without the driver keeps the default. */
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));
void USART1_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void USART3_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));

/* 16 system entries (the first is the initial MSP) and the 60 interrupts of
 * the high-density STM32F103: 304 bytes, so VTOR needs 512-byte alignment.
 * The value line STM32F100 has fewer interrupts, at the same numbers for the
 * USARTs; its extra entries are never taken. */
#define VECTOR_COUNT (16 + 60)
#define IRQ_VECTOR(n) (16 + (n))

typedef void (*vector_fn)(void);

__attribute__((section(".isr_vector"), used))
const vector_fn vector_table[VECTOR_COUNT] = {
    [0] = (vector_fn)(uintptr_t)&_estack,
    [1] = Reset_Handler,
    [2] = NMI_Handler,
    [3] = HardFault_Handler,
    [4] = MemManage_Handler,
    [5] = BusFault_Handler,
    [6] = UsageFault_Handler,
    [11] = SVC_Handler,
    [12] = DebugMon_Handler,
    [14] = PendSV_Handler,
    [15] = SysTick_Handler,
    /* Ranges without overlap: -Wextra refuses an entry set twice. */
    [IRQ_VECTOR(0) ... IRQ_VECTOR(USART1_IRQ) - 1] = Default_Handler,
    [IRQ_VECTOR(USART1_IRQ)] = USART1_IRQHandler,
    [IRQ_VECTOR(USART1_IRQ) + 1 ... IRQ_VECTOR(USART3_IRQ) - 1] = Default_Handler,
    [IRQ_VECTOR(USART3_IRQ)] = USART3_IRQHandler,
    [IRQ_VECTOR(USART3_IRQ) + 1 ... VECTOR_COUNT - 1] = Default_Handler,
};

void Reset_Handler(void)
{
    uint32_t *src = &_sidata;
    uint32_t *dst;

    for (dst = &_sdata; dst < &_edata;)
        *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss;)
        *dst++ = 0;
    SCB_VTOR = (uint32_t)(uintptr_t)vector_table;
    __asm volatile("dsb\n\tisb" ::: "memory");
    (void)main();
    for (;;)
        ;
}
