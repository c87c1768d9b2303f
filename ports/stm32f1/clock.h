/*
 * System clock and millisecond tick (RM0008 section 7, PM0056 4.5).
 *
 * clock_init() runs the core as fast as the board allows from its 8 MHz
 * crystal (HSE) through the PLL: on the STM32F103, 72 MHz (x9) with APB1 at
 * 36 MHz (its limit) and APB2 at 72 MHz. Without a crystal it falls back to
 * the HSI: HSI/2 x 16 = 64 MHz (APB1 32 MHz); if even that PLL does not lock
 * it stays on the 8 MHz HSI. Every wait is bounded, so a board without a
 * crystal, or an emulator that models no RCC (QEMU's stm32vldiscovery, where
 * the RCC reads as zero), still starts, on the HSI.
 *
 * STM32F1_SYSCLK_MAX_HZ (default 72 MHz) caps the target: build.sh gives
 * 24 MHz for the value line STM32F100.
 */
#ifndef STM32F1_CLOCK_H
#define STM32F1_CLOCK_H

#include <stdint.h>

/* From any clock state: back to the HSI first, then the fastest source that
 * starts. Stops the tick (its reload depends on the clock): call
 * clock_tick_start() again afterwards. */
void clock_init(void);

/* Back to the reset clock: 8 MHz HSI, PLL and HSE off, no prescaler, no
 * flash wait state, tick stopped. The bootloader calls it before jumping,
 * so an image starts from the clock a reset leaves. */
void clock_deinit(void);

/* SYSCLK (= HCLK), and the APB1 (USART2-5) and APB2 (USART1) clocks, in Hz,
 * as clock_init() chose them; 8 MHz before it. */
uint32_t clock_hz(void);
uint32_t clock_pclk1_hz(void);
uint32_t clock_pclk2_hz(void);

/* Starts the SysTick interrupt at 1 kHz from SYSCLK. */
void clock_tick_start(void);

/* Milliseconds since clock_tick_start(); wraps after 49 days. */
uint32_t clock_ms(void);

/* SysTick cycles (SYSCLK) since clock_tick_start(), for timing code: wraps
 * after 2^32 cycles (59 s at 72 MHz). */
uint32_t clock_cycles(void);

/* Busy-waits ms milliseconds; needs the tick running. */
void clock_delay_ms(uint32_t ms);

#endif
