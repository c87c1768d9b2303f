#include "uart.h"

#include "regs.h"

/* The core runs from the 8 MHz HSI (the reset clock): USARTDIV = 8e6 /
 * (16 * 115200) = 4.34, mantissa 4, fraction 0.34 * 16 = 5. */
#define UART_BRR_115200_HSI ((4u << 4) | 5u)

void uart_init(void)
{
    RCC_APB2ENR |= RCC_APB2_IOPA | RCC_APB2_USART1;
    /* PA9: alternate function push-pull, 50 MHz (CNF 10, MODE 11). */
    GPIOA_CRH = (GPIOA_CRH & ~(0xFu << 4)) | (0xBu << 4);
    USART1_BRR = UART_BRR_115200_HSI;
    USART1_CR1 = USART_CR1_UE | USART_CR1_TE;
}

void uart_puts(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\n') {
            while ((USART1_SR & USART_SR_TXE) == 0)
                ;
            USART1_DR = '\r';
        }
        while ((USART1_SR & USART_SR_TXE) == 0)
            ;
        USART1_DR = (uint8_t)*s;
    }
}

void uart_put_int(int v)
{
    char buf[12];
    unsigned int u = v < 0 ? 0u - (unsigned int)v : (unsigned int)v;
    int i = (int)sizeof buf - 1;

    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + u % 10u);
        u /= 10u;
    } while (u != 0u);
    if (v < 0)
        buf[--i] = '-';
    uart_puts(&buf[i]);
}

void uart_deinit(void)
{
    while ((USART1_SR & USART_SR_TC) == 0)
        ;
    RCC_APB2RSTR |= RCC_APB2_IOPA | RCC_APB2_USART1;
    RCC_APB2RSTR &= ~(RCC_APB2_IOPA | RCC_APB2_USART1);
    RCC_APB2ENR &= ~(RCC_APB2_IOPA | RCC_APB2_USART1);
}
