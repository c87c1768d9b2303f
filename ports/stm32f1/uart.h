/*
 * The console: USART1 on PA9 (TX) and PA10 (RX), 115200 8N1. Output is
 * polled (the boot messages must be out before a jump); input arrives through
 * a 64-byte ring filled by the receive interrupt.
 */
#ifndef STM32F1_UART_H
#define STM32F1_UART_H

#include <stddef.h>
#include <stdint.h>

/* After clock_init(): the baud rate comes from clock_pclk2_hz(). */
void uart_init(void);

/* Text with "\n" sent as "\r\n". */
void uart_puts(const char *s);
void uart_put_int(int v);
void uart_put_uint(uint32_t v);
/* 0x and 8 hex digits. */
void uart_put_hex(uint32_t v);
/* Bytes as they are. */
void uart_write(const uint8_t *p, size_t n);

/* Moves up to n received bytes into p; returns how many. Never blocks. */
size_t uart_read(uint8_t *p, size_t n);
/* Received bytes lost so far (ring full or overrun). */
uint32_t uart_overflows(void);

/* Waits for the last byte to leave, then puts USART1 and GPIOA back to their
 * reset state (before the bootloader jumps). */
void uart_deinit(void);

#endif
