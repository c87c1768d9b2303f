/*
 * The recovery loader, fota-recovery: a program of its own in the recovery
 * area (0x0807B800 on the STM32F103ZE), flashed once like the bootloader.
 * The bootloader starts it when neither slot holds a valid image. It does
 * what the original IAP loader did: brings the SIM800C up, fetches an image
 * over the original loader's protocol (fota/iap.h) from the server's
 * recovery port (fotad --legacy-listen ... --legacy-serve image: the signed
 * image, whole) into the secondary slot, and resets. The bootloader then
 * verifies the signature and installs the image (RECOVERED), or refuses it
 * and starts this again. The server and APN come from the configuration
 * page; it writes nothing but the secondary slot.
 */
#include <stdint.h>

#include "clock.h"
#include "device.h"
#include "flash.h"
#include "fota/error.h"
#include "fota/iap.h"
#include "layout.h"
#include "uart.h"

static struct device_modem modem;
static uint8_t chunk[FOTA_IAP_CHUNK];

/* Nothing to download from: wait for a debugger. */
static void __attribute__((noreturn)) recovery_halt(const char *why)
{
    uart_puts("fota recovery: ");
    uart_puts(why);
    uart_puts("; flash an image and reset\n");
    for (;;)
        device_idle();
}

/* A line per tenth of the image. */
static void recovery_progress(const struct fota_iap *iap, uint32_t *shown)
{
    if (iap->size == 0 || iap->written < *shown + iap->size / 10u)
        return;
    *shown = iap->written;
    uart_puts("fota recovery: ");
    uart_put_uint((uint32_t)((uint64_t)iap->written * 100u / iap->size));
    uart_puts("%\n");
}

int main(void)
{
    const struct fota_iap_config cfg = {
        .flash = &stm32f1_flash,
        .slot_addr = stm32f1_layout->secondary_addr,
        .slot_size = stm32f1_layout->secondary_pages * STM32F1_PAGE_SIZE,
        .chunk_buf = chunk,
    };
    struct fota_devcfg dev;
    struct fota_iap iap;
    uint32_t shown = 0;
    int rc;

    /* The bootloader jumps here with interrupts masked. */
    __asm volatile("cpsie i" ::: "memory");
    clock_init();
    clock_tick_start();
    uart_init();
    uart_puts("fota recovery\n");
    if (device_config_read(&dev) < 0)
        recovery_halt("no configuration");
    if (dev.recovery_port == 0)
        recovery_halt("no recovery port in the configuration");
    if (device_modem_start(&modem, &dev, dev.recovery_port) < 0 ||
        fota_iap_init(&iap, &cfg) < 0)
        recovery_halt("bad configuration");
    uart_puts("fota recovery: downloading from ");
    uart_puts(dev.host);
    uart_puts(":");
    uart_put_uint(dev.recovery_port);
    uart_puts("\n");
    for (;;) {
        uint32_t now = clock_ms();

        device_modem_pump(&modem, now);
        rc = fota_iap_poll(&iap, &modem.transport, now);
        if (rc == FOTA_IAP_DONE) {
            uart_puts("fota recovery: image received, resetting\n");
            device_reset();
        }
        if (rc < 0) {
            uart_puts("fota recovery: flash error: ");
            uart_puts(fota_strerror(rc));
            uart_puts(", starting again\n");
            fota_iap_restart(&iap);
        }
        recovery_progress(&iap, &shown);
        device_idle();
    }
}
