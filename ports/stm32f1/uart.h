/* USART1 on PA9, 115200 8N1, transmit only, polled: the boot message. */
#ifndef STM32F1_UART_H
#define STM32F1_UART_H

void uart_init(void);
void uart_puts(const char *s);
void uart_put_int(int v);
/* Waits for the last byte to leave, then puts USART1 and GPIOA back to their
 * reset state (before the bootloader jumps). */
void uart_deinit(void);

#endif
