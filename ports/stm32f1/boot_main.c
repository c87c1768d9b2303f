/*
 * The bootloader: at every reset, fota_boot_go() decides what to boot
 * (installing or reverting an image if the state says so), then this jumps
 * to the image in the primary slot, or stays here when there is no valid
 * image. Runs from the 8 MHz HSI, the reset clock; uses USART1 (PA9,
 * 115200 8N1) for one status line.
 */
#include <stdint.h>

#include "flash.h"
#include "fota/boot.h"
#include "fota/error.h"
#include "regs.h"
#include "uart.h"

/* Defines fota_public_key[32]; see the file for how to generate it. */
#include "fota_public_key.h"

static uint8_t page_buf[2048];


/* Puts back what the bootloader changed, then starts the image whose vector
 * table is at addr: VTOR = addr, MSP = its word 0, PC = its word 1. */
static void __attribute__((noreturn)) jump_to(uint32_t addr)
{
    const volatile uint32_t *vt = (const volatile uint32_t *)(uintptr_t)addr;
    uint32_t sp = vt[0], pc = vt[1];
    uint32_t i;

    uart_deinit();
    __asm volatile("cpsid i" ::: "memory");
    SYST_CSR = 0;
    for (i = 0; i < STM32F1_IRQ_WORDS; i++) {
        NVIC_ICER(i) = 0xFFFFFFFFu;
        NVIC_ICPR(i) = 0xFFFFFFFFu;
    }
    SCB_VTOR = addr;
    __asm volatile("dsb\n\tisb" ::: "memory");
    __asm volatile("msr msp, %0\n\t"
                   "bx %1"
                   :
                   : "r"(sp), "r"(pc)
                   : "memory");
    __builtin_unreachable();
}

/* No valid image in either slot. The recovery (IAP) path downloads one over
 * the modem; it comes with the SIM800C driver. Until then: wait for a
 * debugger to write an image. */
static void __attribute__((noreturn)) recovery_main(void)
{
    for (;;)
        ;
}

int main(void)
{
    const struct fota_boot_config cfg = {
        .flash = &stm32f1_flash,
        .layout = fota_boot_layout_stm32f103ze,
        .public_key = fota_public_key,
        .buf = page_buf,
        .buf_size = sizeof(page_buf),
    };
    struct fota_boot_result res;
    int err;

    uart_init();
    while ((err = fota_boot_go(&cfg, &res)) < 0) {
        /* A flash error: the state log lets the next attempt resume. */
        uart_puts("fota boot: flash error ");
        uart_put_int(err);
        uart_puts("\n");
    }
    uart_puts("fota boot: action ");
    uart_put_int(res.record.action);
    uart_puts(" reason ");
    uart_put_int(res.record.reason);
    uart_puts("\n");
    if (res.record.action == FOTA_BOOT_ACTION_RECOVERY) {
        uart_puts("fota boot: no valid image, recovery\n");
        recovery_main();
    }
    jump_to(res.load_address);
}
