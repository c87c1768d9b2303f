#include "uart.h"

#include "clock.h"
#include "regs.h"
#include "usart.h"

#define UART_BAUD 115200u
#define UART_TX_PIN 9u  /* PA9 */
#define UART_RX_PIN 10u /* PA10 */

static uint8_t rx_buf[64];
static struct usart console = {
    .base = USART1_BASE_ADDR,
    .irq = USART1_IRQ,
    .rx = {.buf = rx_buf, .size = sizeof(rx_buf)},
};

void USART1_IRQHandler(void);

void USART1_IRQHandler(void)
{
    usart_irq(&console);
}

void uart_init(void)
{
    RCC_APB2ENR |= RCC_APB2_IOPA | RCC_APB2_USART1;
    usart_pins(GPIOA_BASE_ADDR, UART_TX_PIN, UART_RX_PIN);
    usart_start(&console, clock_pclk2_hz(), UART_BAUD);
}

void uart_write(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        usart_put(&console, p[i]);
}

void uart_puts(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\n')
            usart_put(&console, '\r');
        usart_put(&console, (uint8_t)*s);
    }
}

void uart_put_uint(uint32_t v)
{
    char buf[11];
    int i = (int)sizeof(buf) - 1;

    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    uart_puts(&buf[i]);
}

void uart_put_int(int v)
{
    if (v < 0) {
        uart_puts("-");
        uart_put_uint(0u - (uint32_t)v);
    } else {
        uart_put_uint((uint32_t)v);
    }
}

void uart_put_hex(uint32_t v)
{
    static const char digits[] = "0123456789ABCDEF";
    char buf[11];
    int i;

    buf[0] = '0';
    buf[1] = 'x';
    for (i = 0; i < 8; i++)
        buf[2 + i] = digits[(v >> (28 - 4 * i)) & 0xFu];
    buf[10] = '\0';
    uart_puts(buf);
}

size_t uart_read(uint8_t *p, size_t n)
{
    return usart_read(&console, p, n);
}

uint32_t uart_overflows(void)
{
    return console.lost;
}

void uart_deinit(void)
{
    usart_stop(&console);
    RCC_APB2RSTR |= RCC_APB2_IOPA | RCC_APB2_USART1;
    RCC_APB2RSTR &= ~(RCC_APB2_IOPA | RCC_APB2_USART1);
    RCC_APB2ENR &= ~(RCC_APB2_IOPA | RCC_APB2_USART1);
}
