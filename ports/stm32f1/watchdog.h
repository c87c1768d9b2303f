/*
 * The independent watchdog (IWDG, RM0008 section 19), clocked by the 40 kHz
 * LSI. Once started it cannot be stopped, by software or by anything short
 * of a reset: whoever starts it must feed it for good. The bootloader starts
 * it before it jumps to an image on trial, so an installed image that hangs
 * before it confirms itself is reset, and the next reset reverts it; the
 * application feeds it (feeding a watchdog nobody started does nothing).
 *
 * The LSI is an RC oscillator, 30 to 60 kHz: a timeout set for T ms fires
 * between 0.67 T and 1.33 T. Feed at well under two thirds of it.
 */
#ifndef STM32F1_WATCHDOG_H
#define STM32F1_WATCHDOG_H

#include <stdint.h>

/* The longest timeout: prescaler 256, reload 4096, at 40 kHz. */
#define WATCHDOG_MAX_MS 26214u

/* Starts the watchdog (or, already running, sets a new timeout) with the
 * smallest prescaler that fits timeout_ms (1..WATCHDOG_MAX_MS, clamped), and
 * reloads it. */
void watchdog_start(uint32_t timeout_ms);

/* Reloads the counter: the timeout starts again. */
void watchdog_feed(void);

#endif
