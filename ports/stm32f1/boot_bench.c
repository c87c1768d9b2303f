/*
 * Built into the bootloader for QEMU only: before the decision, it times
 * with SysTick (1) a loop of a known number of instructions, (2) the
 * Ed25519 check of the primary image's manifest (the signature check alone)
 * and (3) the whole verification of the primary (header, SHA-256 of the
 * payload, signature), and prints the three counts:
 *
 *     bench: loop 2000000 instructions: T0 ticks
 *     bench: signature check: T1 ticks (success)
 *     bench: image verification: T2 ticks (success), 1234 payload bytes
 *
 * Under `qemu-system-arm -icount shift=0` every instruction takes the same
 * virtual time, so Tn / T0 * 2000000 is the instruction count of each
 * (tests/cross/qemu_boot.sh does the division). On a board the counts are
 * SYSCLK cycles, flash wait states included.
 */
#include "boot_bench.h"

#include "clock.h"
#include "fota/error.h"
#include "fota/image.h"
#include "uart.h"

#define BENCH_LOOPS 1000000u /* of two instructions: subs, bne */

static uint32_t bench_loop(void)
{
    uint32_t n = BENCH_LOOPS;
    uint32_t t0 = clock_cycles();

    __asm volatile("1: subs %0, %0, #1\n\t"
                   "bne 1b"
                   : "+r"(n)
                   :
                   : "cc");
    return clock_cycles() - t0;
}

/* Leaves the line open. */
static void bench_print(const char *what, uint32_t ticks, int err)
{
    uart_puts("bench: ");
    uart_puts(what);
    uart_puts(": ");
    uart_put_uint(ticks);
    uart_puts(" ticks (");
    uart_puts(fota_strerror(err));
    uart_puts(")");
}

/* The Ed25519 check of the manifest of the image at addr. */
static int bench_signature(const struct fota_boot_config *cfg, uint32_t addr,
                           uint32_t *ticks)
{
    const struct fota_flash *fl = cfg->flash;
    struct fota_image_header hdr;
    uint8_t trailer[FOTA_IMAGE_TRAILER_SIZE];
    uint32_t t0;
    int err;

    err = fl->read(fl->ctx, addr, cfg->buf, cfg->buf_size);
    if (err == 0)
        err = fota_image_header_parse(&hdr, cfg->buf, cfg->buf_size);
    if (err == 0)
        err = fl->read(fl->ctx, addr + hdr.header_size + hdr.payload_size, trailer,
                       sizeof(trailer));
    if (err < 0)
        return err;
    t0 = clock_cycles();
    err = fota_image_manifest_verify(&hdr, cfg->buf, trailer,
                                     trailer + FOTA_IMAGE_DIGEST_SIZE, cfg->public_key);
    *ticks = clock_cycles() - t0;
    return err;
}

void boot_bench(const struct fota_boot_config *cfg)
{
    const struct fota_boot_layout *lay = &cfg->layout;
    struct fota_image_header hdr = {0};
    uint32_t loop, ticks = 0, t0;
    int err;

    clock_tick_start();
    loop = bench_loop();
    uart_puts("bench: loop ");
    uart_put_uint(2u * BENCH_LOOPS);
    uart_puts(" instructions: ");
    uart_put_uint(loop);
    uart_puts(" ticks\n");

    err = bench_signature(cfg, lay->primary_addr, &ticks);
    bench_print("signature check", ticks, err);
    uart_puts("\n");

    t0 = clock_cycles();
    err = fota_image_verify_flash(cfg->flash, lay->primary_addr,
                                  lay->secondary_pages * cfg->flash->page_size,
                                  cfg->public_key, cfg->buf, cfg->buf_size, &hdr);
    ticks = clock_cycles() - t0;
    bench_print("image verification", ticks, err);
    uart_puts(", ");
    uart_put_uint(hdr.payload_size);
    uart_puts(" payload bytes\n");
}
