/*
 * The recovery loader, fota-recovery: a program of its own in the recovery
 * area (0x08077800 on the STM32F103ZE, 32 KiB), flashed once like the
 * bootloader and never updated over the air. The bootloader starts it when
 * neither slot holds a valid image. Like the original IAP loader it brings
 * the SIM800C up and downloads an application, but with the fota protocol
 * and the same agent as the application (device.c): the device
 * authenticates, the server sends the image assigned to it, the download
 * resumes after a cut or a reset, and the image is verified (and verified
 * again by the bootloader) before the reset that installs it. It writes
 * the secondary slot and the agent's progress page, nothing else.
 */
#include <stdint.h>

#include "clock.h"
#include "device.h"
#include "flash.h"
#include "fota/boot.h"
#include "layout.h"
#include "uart.h"

int main(void)
{
    const struct fota_boot_config boot = {
        .flash = &stm32f1_flash,
        .layout = *stm32f1_layout,
        .public_key = fota_public_key,
    };
    struct fota_devcfg dev;

    /* The bootloader jumps here with interrupts masked. */
    __asm volatile("cpsie i" ::: "memory");
    clock_init();
    clock_tick_start();
    uart_init();
    uart_puts("fota recovery: no valid application, downloading one\n");
    if (device_config_read(&dev) == 0)
        device_agent_run(&boot, &dev);
    uart_puts("fota recovery: cannot download; flash an image and reset\n");
    for (;;)
        device_idle();
}
