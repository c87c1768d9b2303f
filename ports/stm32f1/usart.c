#include "usart.h"

#include "irq.h"
#include "regs.h"

/* Polls of TC before usart_stop gives up: one byte at 9600 baud or more
 * takes well under 100000 polls. */
#define USART_DRAIN_POLLS 100000u

/* ---- rings: the producer moves head, the consumer tail ---- */

static int ring_put(struct usart_ring *r, uint8_t b)
{
    uint32_t head = r->head;

    if (head - r->tail >= r->size)
        return 0;
    r->buf[head & (r->size - 1u)] = b;
    r->head = head + 1u; /* after the byte: both are volatile, in order */
    return 1;
}

static int ring_get(struct usart_ring *r, uint8_t *b)
{
    uint32_t tail = r->tail;

    if (r->head == tail)
        return 0;
    *b = r->buf[tail & (r->size - 1u)];
    r->tail = tail + 1u;
    return 1;
}

/* ---- pins and registers ---- */

static void gpio_mode(uint32_t gpio_base, uint32_t pin, uint32_t mode)
{
    uint32_t shift = (pin % 8u) * 4u;

    if (pin < 8u)
        GPIO_CRL(gpio_base) = (GPIO_CRL(gpio_base) & ~(0xFu << shift)) | (mode << shift);
    else
        GPIO_CRH(gpio_base) = (GPIO_CRH(gpio_base) & ~(0xFu << shift)) | (mode << shift);
}

void usart_pins(uint32_t gpio_base, uint32_t tx_pin, uint32_t rx_pin)
{
    GPIO_BSRR(gpio_base) = 1u << rx_pin; /* ODR 1: the input pulls up */
    gpio_mode(gpio_base, rx_pin, GPIO_IN_PULL);
    gpio_mode(gpio_base, tx_pin, GPIO_AF_PP_50MHZ);
}

void usart_start(struct usart *u, uint32_t pclk_hz, uint32_t baud)
{
    u->rx.head = u->rx.tail = 0;
    u->tx.head = u->tx.tail = 0;
    USART_CR1(u->base) = 0;
    USART_CR2(u->base) = 0; /* 1 stop bit */
    USART_CR3(u->base) = 0; /* no flow control, no DMA */
    /* 16x oversampling: BRR = USARTDIV * 16 = pclk / baud (mantissa and
     * fraction side by side), rounded to the nearest. */
    USART_BRR(u->base) = (pclk_hz + baud / 2u) / baud;
    USART_CR1(u->base) = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE | USART_CR1_RXNEIE;
    nvic_enable(u->irq);
}

void usart_stop(struct usart *u)
{
    uint32_t i;

    for (i = 0; i < USART_DRAIN_POLLS && (USART_SR(u->base) & USART_SR_TC) == 0; i++)
        ;
    USART_CR1(u->base) = 0;
    nvic_disable(u->irq);
    u->rx.head = u->rx.tail = 0;
    u->tx.head = u->tx.tail = 0;
}

void usart_irq(struct usart *u)
{
    uint32_t sr = USART_SR(u->base);
    uint8_t b;

    /* Reading SR then DR clears RXNE and ORE. With ORE set, DR still holds
     * the byte before the lost one. */
    if ((sr & (USART_SR_RXNE | USART_SR_ORE)) != 0) {
        b = (uint8_t)USART_DR(u->base);
        if ((sr & USART_SR_ORE) != 0)
            u->lost++;
        if ((sr & USART_SR_RXNE) != 0 && !ring_put(&u->rx, b))
            u->lost++;
    }
    if ((USART_CR1(u->base) & USART_CR1_TXEIE) != 0 && (sr & USART_SR_TXE) != 0) {
        if (ring_get(&u->tx, &b))
            USART_DR(u->base) = b;
        else
            USART_CR1(u->base) &= ~USART_CR1_TXEIE;
    }
}

size_t usart_read(struct usart *u, uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n && ring_get(&u->rx, &p[i]); i++)
        ;
    return i;
}

size_t usart_write(struct usart *u, const uint8_t *p, size_t n)
{
    uint32_t primask;
    size_t i;

    if (u->tx.size == 0)
        return 0;
    for (i = 0; i < n && ring_put(&u->tx, p[i]); i++)
        ;
    if (i > 0) {
        /* The interrupt clears TXEIE when the ring runs dry: set it again
         * with the interrupt masked so the two read-modify-writes of CR1
         * cannot interleave. */
        primask = irq_save();
        USART_CR1(u->base) |= USART_CR1_TXEIE;
        irq_restore(primask);
    }
    return i;
}

void usart_put(struct usart *u, uint8_t c)
{
    while ((USART_SR(u->base) & USART_SR_TXE) == 0)
        ;
    USART_DR(u->base) = c;
}
