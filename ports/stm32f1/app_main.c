/*
 * The demo application, linked at 0x08005200 (the primary slot plus the
 * 512-byte image header): it confirms itself at once, so an update to it
 * ends its trial, then prints what the bootloader did over USART1 (PA9,
 * 115200 8N1). A real application confirms only once it knows it works (for
 * example after reaching the server) and runs the download agent.
 */
#include <stdint.h>

#include "flash.h"
#include "fota/boot.h"
#include "uart.h"

#ifndef FOTA_APP_VERSION
#define FOTA_APP_VERSION "1.0.0"
#endif

int main(void)
{
    struct fota_boot_config cfg = {
        .flash = &stm32f1_flash,
        .layout = fota_boot_layout_stm32f103ze,
    };
    struct fota_boot_record rec;
    int err;

    /* The bootloader jumps here with interrupts disabled. */
    __asm volatile("cpsie i" ::: "memory");
    err = fota_boot_confirm(&cfg);
    uart_init();
    uart_puts("fota demo app v" FOTA_APP_VERSION "\n");
    uart_puts("confirm: ");
    uart_put_int(err);
    uart_puts("\n");
    if (fota_boot_record_read(&cfg, &rec) == 0) {
        uart_puts("last boot record: action ");
        uart_put_int(rec.action);
        uart_puts(" reason ");
        uart_put_int(rec.reason);
        uart_puts(" error ");
        uart_put_int(rec.error);
        uart_puts("\n");
    }
    for (;;)
        ;
}
