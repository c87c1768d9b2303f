/*
 * The few STM32F103 and Cortex-M3 registers the port touches, from the
 * reference manuals (RM0008 for the flash controller, RCC, GPIO, USART and
 * IWDG; PM0056 for the system control block, SysTick and NVIC). No vendor
 * headers. The value line STM32F100 has the same registers at the same
 * addresses.
 */
#ifndef STM32F1_REGS_H
#define STM32F1_REGS_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* ---- embedded flash memory interface (RM0008 3.3, FPEC) ---- */
#define FLASH_BASE_ADDR 0x40022000u
#define FLASH_ACR REG32(FLASH_BASE_ADDR + 0x00u)
#define FLASH_KEYR REG32(FLASH_BASE_ADDR + 0x04u)
#define FLASH_SR REG32(FLASH_BASE_ADDR + 0x0Cu)
#define FLASH_CR REG32(FLASH_BASE_ADDR + 0x10u)
#define FLASH_AR REG32(FLASH_BASE_ADDR + 0x14u)

#define FLASH_ACR_LATENCY_MASK 0x7u /* wait states: 0, 1 or 2 */
#define FLASH_ACR_PRFTBE (1u << 4)  /* prefetch buffer, on from reset */

#define FLASH_KEY1 0x45670123u
#define FLASH_KEY2 0xCDEF89ABu

#define FLASH_SR_BSY (1u << 0)
#define FLASH_SR_PGERR (1u << 2)
#define FLASH_SR_WRPRTERR (1u << 4)
#define FLASH_SR_EOP (1u << 5)

#define FLASH_CR_PG (1u << 0)
#define FLASH_CR_PER (1u << 1)
#define FLASH_CR_STRT (1u << 6)
#define FLASH_CR_LOCK (1u << 7)

/* ---- reset and clock control (RM0008 7.3) ---- */
#define RCC_BASE_ADDR 0x40021000u
#define RCC_CR REG32(RCC_BASE_ADDR + 0x00u)
#define RCC_CFGR REG32(RCC_BASE_ADDR + 0x04u)
#define RCC_APB2RSTR REG32(RCC_BASE_ADDR + 0x0Cu)
#define RCC_APB1RSTR REG32(RCC_BASE_ADDR + 0x10u)
#define RCC_APB2ENR REG32(RCC_BASE_ADDR + 0x18u)
#define RCC_APB1ENR REG32(RCC_BASE_ADDR + 0x1Cu)

#define RCC_CR_HSION (1u << 0)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_HSEBYP (1u << 18)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)

#define RCC_CFGR_SW_MASK (3u << 0)
#define RCC_CFGR_SW_HSI (0u << 0)
#define RCC_CFGR_SW_PLL (2u << 0)
#define RCC_CFGR_SWS_MASK (3u << 2)
#define RCC_CFGR_SWS_HSI (0u << 2)
#define RCC_CFGR_SWS_PLL (2u << 2)
#define RCC_CFGR_PPRE1_DIV2 (4u << 8) /* APB1 = HCLK / 2 */
#define RCC_CFGR_PLLSRC_HSE (1u << 16) /* clear: HSI / 2 */
/* PLLMUL field (bits 21:18) for a multiplier of 2..16: the field is n - 2. */
#define RCC_CFGR_PLLMUL(n) (((uint32_t)(n) - 2u) << 18)

#define RCC_APB2_AFIO (1u << 0)
#define RCC_APB2_IOPA (1u << 2)
#define RCC_APB2_IOPB (1u << 3)
#define RCC_APB2_USART1 (1u << 14)
#define RCC_APB1_USART3 (1u << 18)

/* ---- GPIO (RM0008 9.2): 4 bits per pin, CRL pins 0-7, CRH pins 8-15 ---- */
#define GPIOA_BASE_ADDR 0x40010800u
#define GPIOB_BASE_ADDR 0x40010C00u
#define GPIO_CRL(base) REG32((base) + 0x00u)
#define GPIO_CRH(base) REG32((base) + 0x04u)
#define GPIO_ODR(base) REG32((base) + 0x0Cu)
#define GPIO_BSRR(base) REG32((base) + 0x10u)

/* Pin modes (CNF << 2 | MODE). */
#define GPIO_OUT_PP_2MHZ 0x2u  /* general purpose push-pull output */
#define GPIO_AF_PP_50MHZ 0xBu  /* alternate function push-pull: a USART TX */
#define GPIO_IN_PULL 0x8u      /* input with pull-up/down (ODR picks up) */

/* ---- USART (RM0008 27.6): same layout for USART1 and USART3 ---- */
#define USART1_BASE_ADDR 0x40013800u
#define USART3_BASE_ADDR 0x40004800u
#define USART_SR(base) REG32((base) + 0x00u)
#define USART_DR(base) REG32((base) + 0x04u)
#define USART_BRR(base) REG32((base) + 0x08u)
#define USART_CR1(base) REG32((base) + 0x0Cu)
#define USART_CR2(base) REG32((base) + 0x10u)
#define USART_CR3(base) REG32((base) + 0x14u)

#define USART_SR_ORE (1u << 3)
#define USART_SR_RXNE (1u << 5)
#define USART_SR_TC (1u << 6)
#define USART_SR_TXE (1u << 7)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_TE (1u << 3)
#define USART_CR1_RXNEIE (1u << 5) /* also raises the interrupt on ORE */
#define USART_CR1_TXEIE (1u << 7)
#define USART_CR1_UE (1u << 13)

/* Interrupt numbers (RM0008 10.1.2, the vector table; the same on the
 * value line STM32F100). */
#define USART1_IRQ 37u
#define USART3_IRQ 39u

/* ---- independent watchdog (RM0008 19.4) ---- */
#define IWDG_BASE_ADDR 0x40003000u
#define IWDG_KR REG32(IWDG_BASE_ADDR + 0x00u)
#define IWDG_PR REG32(IWDG_BASE_ADDR + 0x04u)
#define IWDG_RLR REG32(IWDG_BASE_ADDR + 0x08u)
#define IWDG_SR REG32(IWDG_BASE_ADDR + 0x0Cu)

#define IWDG_KEY_RELOAD 0xAAAAu
#define IWDG_KEY_ACCESS 0x5555u /* unlocks IWDG_PR and IWDG_RLR */
#define IWDG_KEY_START 0xCCCCu
#define IWDG_SR_PVU (1u << 0)
#define IWDG_SR_RVU (1u << 1)

/* ---- Cortex-M3 system control block, SysTick and NVIC (PM0056) ---- */
#define SCB_ICSR REG32(0xE000ED04u)
#define SCB_VTOR REG32(0xE000ED08u)
#define SCB_ICSR_PENDSTCLR (1u << 25)

#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2) /* the processor clock, not HCLK / 8 */

#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))
#define NVIC_ICER(n) REG32(0xE000E180u + 4u * (n))
#define NVIC_ICPR(n) REG32(0xE000E280u + 4u * (n))

/* The high-density STM32F103 has 60 external interrupts: two NVIC words. */
#define STM32F1_IRQ_WORDS 2u

#endif
