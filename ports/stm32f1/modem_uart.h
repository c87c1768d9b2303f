/*
 * The SIM800C link: USART3 on PB10 (TX) and PB11 (RX), 115200 8N1, not
 * remapped, both directions through interrupt-driven rings, and the modem's
 * PWRKEY on PB0. The functions match struct fota_modem_ops
 * (include/fota/modem.h), so its callbacks are one-line wrappers.
 *
 * PB0 drives PWRKEY through an NPN transistor, as SIM800C boards usually
 * wire it (PWRKEY sits at the modem's VBAT level): PB0 high pulls PWRKEY
 * low, "pressed". A board that wires PB0 straight to PWRKEY builds with
 * -DSTM32F1_PWRKEY_PRESSED_LEVEL=0.
 */
#ifndef STM32F1_MODEM_UART_H
#define STM32F1_MODEM_UART_H

#include <stddef.h>
#include <stdint.h>

/* Ring sizes (powers of two). 1 KiB of receive ring is 89 ms of input at
 * 115200 baud: the main loop must drain it at least that often. */
#ifndef MODEM_UART_RX_SIZE
#define MODEM_UART_RX_SIZE 1024u
#endif
#ifndef MODEM_UART_TX_SIZE
#define MODEM_UART_TX_SIZE 512u
#endif

/* After clock_init(): the baud rate comes from clock_pclk1_hz(). Leaves
 * PWRKEY released. */
void modem_uart_init(void);

/* Queues up to n bytes for the modem; returns how many it took (0..n).
 * Never blocks. */
size_t modem_uart_write(const uint8_t *p, size_t n);

/* Moves up to n bytes the modem sent into p; returns how many. */
size_t modem_uart_read(uint8_t *p, size_t n);

/* Bytes from the modem lost so far: the receive ring was full, or the
 * USART overran. Never reset; a caller compares two readings. */
uint32_t modem_uart_overflows(void);

/* 1: press PWRKEY (pull it low), 0: release it. */
void modem_power_key(int pressed);

/* Stops USART3 and releases PWRKEY (the pin stays an output). */
void modem_uart_deinit(void);

#endif
