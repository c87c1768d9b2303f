/*
 * Interrupt-driven USART (RM0008 section 27), shared by the console (uart.c,
 * USART1) and the modem link (modem_uart.c, USART3): 8N1, a receive ring the
 * RXNE interrupt fills, and optionally a transmit ring the TXE interrupt
 * drains. One producer and one consumer per ring (the interrupt and the main
 * loop), so neither needs a lock.
 *
 * A received byte that finds the ring full is dropped, never written over
 * unread ones; an overrun (ORE: the main loop or a long interrupt kept the
 * handler from reading the data register in time) loses a byte in the
 * hardware. Both are counted in `lost`.
 */
#ifndef STM32F1_USART_H
#define STM32F1_USART_H

#include <stddef.h>
#include <stdint.h>

struct usart_ring {
    volatile uint8_t *buf;
    uint32_t size;          /* a power of two; 0: no ring */
    volatile uint32_t head; /* bytes put in, ever: written by the producer only */
    volatile uint32_t tail; /* bytes taken out, ever: by the consumer only */
};

struct usart {
    uint32_t base;          /* USART1_BASE_ADDR, USART3_BASE_ADDR */
    uint32_t irq;           /* its NVIC interrupt number */
    struct usart_ring rx;   /* filled by the interrupt */
    struct usart_ring tx;   /* drained by the interrupt; size 0: polled only */
    volatile uint32_t lost; /* received bytes lost: ring full or overrun */
};

/* Configures the pins: TX (tx_pin) as alternate function push-pull, RX
 * (rx_pin) as input with pull-up, on the port at gpio_base. The port's
 * clock must be on. */
void usart_pins(uint32_t gpio_base, uint32_t tx_pin, uint32_t rx_pin);

/* Starts the USART (its clock must be on) at baud from pclk_hz, 8N1, with
 * the receive interrupt enabled in the USART and the NVIC. */
void usart_start(struct usart *u, uint32_t pclk_hz, uint32_t baud);

/* Waits (bounded) for the last byte to leave, then disables the USART, its
 * interrupts and its NVIC line; the rings are emptied. */
void usart_stop(struct usart *u);

/* The interrupt handler's body. */
void usart_irq(struct usart *u);

/* Moves up to n received bytes into p; returns how many. Never blocks. */
size_t usart_read(struct usart *u, uint8_t *p, size_t n);

/* Queues up to n bytes for the transmit interrupt; returns how many fit.
 * Never blocks. 0 without a transmit ring. */
size_t usart_write(struct usart *u, const uint8_t *p, size_t n);

/* Sends one byte, polling TXE: for a port without a transmit ring. */
void usart_put(struct usart *u, uint8_t c);

#endif
