/*
 * The demo application, linked at the primary slot plus the 512-byte image
 * header (0x08005200 on the STM32F103ZE). It prints its version and what
 * the bootloader did on USART1 (PA9, 115200 8N1), tests itself and
 * confirms itself (ending a trial); then it runs the download agent over the
 * SIM800C on USART3 (device.c): it asks the server for an update at start
 * and every poll interval the server gives, downloads into the secondary
 * slot while it runs, and resets into the bootloader to install what it
 * verified. It feeds the watchdog the bootloader starts for a trial boot.
 *
 * The server, the device's id and secret and the APN come from the
 * configuration page (fota devcfg); without one it says so and only runs.
 */
#include <stdint.h>

#include "clock.h"
#include "device.h"
#include "flash.h"
#include "fota/boot.h"
#include "fota/error.h"
#include "layout.h"
#include "uart.h"
#include "watchdog.h"

#ifndef FOTA_APP_VERSION
#define FOTA_APP_VERSION "1.0.0"
#endif

/* Before confirming: the clock runs, the bootloader's state reads back. A
 * real application would check its own peripherals here. */
static int app_self_test(const struct fota_boot_config *boot, struct fota_boot_state *st)
{
    uint32_t t0 = clock_ms();

    clock_delay_ms(2);
    if (clock_ms() == t0)
        return FOTA_E_TIMEOUT;
    return fota_boot_state_read(boot, st);
}

/* Confirms the running image once it passed the self-test: ends a trial
 * (else the next reset reverts it) and stores the image's security counter
 * (a write only when it is above the stored one). */
static void app_confirm(const struct fota_boot_config *boot)
{
    struct fota_boot_state st;
    int err = app_self_test(boot, &st);

    device_result("self-test: ", err);
    if (err != 0)
        return;
    if (st.trial)
        uart_puts("running on trial\n");
    device_result("confirm: ", fota_boot_confirm(boot));
}

int main(void)
{
    const struct fota_boot_config boot = {
        .flash = &stm32f1_flash,
        .layout = *stm32f1_layout,
        .public_key = fota_public_key,
    };
    struct fota_boot_record rec;
    struct fota_devcfg dev;

    /* The bootloader jumps here with interrupts masked. */
    __asm volatile("cpsie i" ::: "memory");
    watchdog_feed();
    clock_init();
    clock_tick_start();
    uart_init();
    uart_puts("fota demo app v" FOTA_APP_VERSION "\n");
    if (fota_boot_record_read(&boot, &rec) == 0) {
        uart_puts("last boot: action ");
        uart_put_uint(rec.action);
        uart_puts(", reason ");
        uart_put_uint(rec.reason);
        uart_puts("\n");
    }
    app_confirm(&boot);
    if (device_config_read(&dev) == 0)
        device_agent_run(&boot, &dev);
    for (;;) {
        watchdog_feed();
        device_idle();
    }
}
