#include "modem_uart.h"

#include "clock.h"
#include "regs.h"
#include "usart.h"

#ifndef STM32F1_PWRKEY_PRESSED_LEVEL
#define STM32F1_PWRKEY_PRESSED_LEVEL 1
#endif

#define MODEM_BAUD 115200u
#define MODEM_TX_PIN 10u /* PB10 */
#define MODEM_RX_PIN 11u /* PB11 */
#define MODEM_PWRKEY_PIN 0u /* PB0 */

static uint8_t rx_buf[MODEM_UART_RX_SIZE];
static uint8_t tx_buf[MODEM_UART_TX_SIZE];
static struct usart modem = {
    .base = USART3_BASE_ADDR,
    .irq = USART3_IRQ,
    .rx = {.buf = rx_buf, .size = sizeof(rx_buf)},
    .tx = {.buf = tx_buf, .size = sizeof(tx_buf)},
};

void USART3_IRQHandler(void);

void USART3_IRQHandler(void)
{
    usart_irq(&modem);
}

void modem_power_key(int pressed)
{
    int high = pressed ? STM32F1_PWRKEY_PRESSED_LEVEL : !STM32F1_PWRKEY_PRESSED_LEVEL;

    /* BSRR: the low half sets a pin, the high half clears it, atomically. */
    GPIO_BSRR(GPIOB_BASE_ADDR) = high ? 1u << MODEM_PWRKEY_PIN : 1u << (16u + MODEM_PWRKEY_PIN);
}

void modem_uart_init(void)
{
    RCC_APB2ENR |= RCC_APB2_IOPB;
    RCC_APB1ENR |= RCC_APB1_USART3;
    modem_power_key(0);
    GPIO_CRL(GPIOB_BASE_ADDR) =
        (GPIO_CRL(GPIOB_BASE_ADDR) & ~(0xFu << (4u * MODEM_PWRKEY_PIN))) |
        (GPIO_OUT_PP_2MHZ << (4u * MODEM_PWRKEY_PIN));
    usart_pins(GPIOB_BASE_ADDR, MODEM_TX_PIN, MODEM_RX_PIN);
    usart_start(&modem, clock_pclk1_hz(), MODEM_BAUD);
}

size_t modem_uart_write(const uint8_t *p, size_t n)
{
    return usart_write(&modem, p, n);
}

size_t modem_uart_read(uint8_t *p, size_t n)
{
    return usart_read(&modem, p, n);
}

uint32_t modem_uart_overflows(void)
{
    return modem.lost;
}

void modem_uart_deinit(void)
{
    usart_stop(&modem);
    modem_power_key(0);
    RCC_APB1RSTR |= RCC_APB1_USART3;
    RCC_APB1RSTR &= ~RCC_APB1_USART3;
    RCC_APB1ENR &= ~RCC_APB1_USART3;
}
