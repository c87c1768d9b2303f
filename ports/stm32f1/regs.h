/*
 * The few STM32F103 and Cortex-M3 registers the port touches, from the
 * reference manuals (RM0008 for the flash controller, RCC, GPIO and USART;
 * PM0056 for the system control block and NVIC). No vendor headers.
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

/* ---- reset and clock control ---- */
#define RCC_BASE_ADDR 0x40021000u
#define RCC_APB2RSTR REG32(RCC_BASE_ADDR + 0x0Cu)
#define RCC_APB2ENR REG32(RCC_BASE_ADDR + 0x18u)
#define RCC_APB2_IOPA (1u << 2)
#define RCC_APB2_USART1 (1u << 14)

/* ---- GPIOA (PA9 = USART1_TX) ---- */
#define GPIOA_BASE_ADDR 0x40010800u
#define GPIOA_CRH REG32(GPIOA_BASE_ADDR + 0x04u)

/* ---- USART1 ---- */
#define USART1_BASE_ADDR 0x40013800u
#define USART1_SR REG32(USART1_BASE_ADDR + 0x00u)
#define USART1_DR REG32(USART1_BASE_ADDR + 0x04u)
#define USART1_BRR REG32(USART1_BASE_ADDR + 0x08u)
#define USART1_CR1 REG32(USART1_BASE_ADDR + 0x0Cu)
#define USART_SR_TC (1u << 6)
#define USART_SR_TXE (1u << 7)
#define USART_CR1_TE (1u << 3)
#define USART_CR1_UE (1u << 13)

/* ---- Cortex-M3 system control block and NVIC ---- */
#define SCB_VTOR REG32(0xE000ED08u)
#define NVIC_ICER(n) REG32(0xE000E180u + 4u * (n))
#define NVIC_ICPR(n) REG32(0xE000E280u + 4u * (n))
#define SYST_CSR REG32(0xE000E010u)

/* The high-density STM32F103 has 60 external interrupts: two NVIC words. */
#define STM32F1_IRQ_WORDS 2u

#endif
