/*
 * The bootloader: at every reset, fota_boot_go() decides what to boot
 * (installing or reverting an image if the state says so), then this jumps
 * to the image in the primary slot. When neither slot holds a valid image
 * it starts the recovery loader (recovery_main.c, in its own area) if one is
 * flashed, which downloads an image, or else stays here. It runs at the
 * full clock so that the verification is quick, and prints what it did on
 * USART1 (PA9, 115200 8N1).
 *
 * Before it starts an image on trial it starts the independent watchdog: an
 * installed image that hangs before confirming itself is reset, and that
 * reset reverts it. The application must feed the watchdog from then on.
 */
#include <stdint.h>

#include "clock.h"
#include "flash.h"
#include "fota/boot.h"
#include "fota/error.h"
#include "irq.h"
#include "layout.h"
#include "regs.h"
#include "uart.h"
#include "watchdog.h"

#ifdef STM32F1_BOOT_BENCH
#include "boot_bench.h"
#else
static void boot_bench(const struct fota_boot_config *cfg)
{
    (void)cfg;
}
#endif

/* The trial image's watchdog timeout: 10 s at the nominal 40 kHz LSI, 6.7 s
 * at its fastest (watchdog.h). */
#define BOOT_TRIAL_WATCHDOG_MS 10000u

/* The key images must be signed with: `fota pubkey --c` writes its
 * definition, which build.sh compiles on its own. */
extern const uint8_t fota_public_key[FOTA_ED25519_PUBLIC_KEY_SIZE];

/* One page: the core copies pages in buf_size chunks. */
static uint8_t page_buf[STM32F1_PAGE_SIZE];

static const char *const action_names[] = {
    [FOTA_BOOT_ACTION_NONE] = "none",
    [FOTA_BOOT_ACTION_BOOT] = "boot",
    [FOTA_BOOT_ACTION_INSTALLED] = "installed, trial boot",
    [FOTA_BOOT_ACTION_REVERTED] = "reverted",
    [FOTA_BOOT_ACTION_REFUSED] = "refused the pending image",
    [FOTA_BOOT_ACTION_RECOVERED] = "recovered from the secondary",
    [FOTA_BOOT_ACTION_RECOVERY] = "recovery",
};

static const char *const reason_names[] = {
    [FOTA_BOOT_REASON_NONE] = "",
    [FOTA_BOOT_REASON_REQUESTED] = "requested",
    [FOTA_BOOT_REASON_NOT_CONFIRMED] = "not confirmed",
    [FOTA_BOOT_REASON_VERIFY_FAILED] = "verification failed",
    [FOTA_BOOT_REASON_ROLLBACK] = "rollback",
    [FOTA_BOOT_REASON_PRIMARY_INVALID] = "primary invalid",
};

#define NAME(table, i) ((i) < sizeof(table) / sizeof(table[0]) ? table[i] : "?")

static void put_version(const struct fota_version *v)
{
    uart_puts("v");
    uart_put_uint(v->major);
    uart_puts(".");
    uart_put_uint(v->minor);
    uart_puts(".");
    uart_put_uint(v->patch);
    if (v->build != 0) {
        uart_puts("+");
        uart_put_uint(v->build);
    }
}

/* "fota boot: ACTION[ vX.Y.Z][, REASON[: ERROR]]" */
static void report(const struct fota_boot_record *rec)
{
    static const struct fota_version none;

    uart_puts("fota boot: ");
    uart_puts(NAME(action_names, rec->action));
    if (fota_version_compare(&rec->version, &none) != 0) {
        uart_puts(" ");
        put_version(&rec->version);
    }
    if (rec->reason != FOTA_BOOT_REASON_NONE) {
        uart_puts(", ");
        uart_puts(NAME(reason_names, rec->reason));
    }
    if (rec->error != 0) {
        uart_puts(": ");
        uart_puts(fota_strerror(rec->error));
    }
    uart_puts("\n");
}

/* Puts back what the bootloader changed (console, clock, SysTick, NVIC),
 * then starts the image whose vector table is at addr: VTOR = addr, MSP =
 * its word 0, PC = its word 1. Interrupts stay masked (PRIMASK): the image
 * unmasks them once it has set itself up. */
static void __attribute__((noreturn)) jump_to(uint32_t addr)
{
    const volatile uint32_t *vt = (const volatile uint32_t *)(uintptr_t)addr;
    uint32_t sp = vt[0], pc = vt[1];
    uint32_t i;

    (void)irq_save();
    uart_deinit();
    clock_deinit(); /* SysTick off and its pending bit cleared too */
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

/* Whether the recovery area holds a program: its vector table's initial
 * stack pointer in RAM and its reset handler inside the area (Thumb). */
static int recovery_present(void)
{
    const volatile uint32_t *vt = (const volatile uint32_t *)(uintptr_t)stm32f1_recovery_addr;
    uint32_t sp, pc;

    if (stm32f1_recovery_size == 0)
        return 0;
    sp = vt[0];
    pc = vt[1];
    return (sp & 0xFFF00000u) == 0x20000000u && (pc & 1u) != 0 &&
           (pc & ~1u) - stm32f1_recovery_addr < stm32f1_recovery_size;
}

int main(void)
{
    const struct fota_boot_config cfg = {
        .flash = &stm32f1_flash,
        .layout = *stm32f1_layout,
        .public_key = fota_public_key,
        .buf = page_buf,
        .buf_size = sizeof(page_buf),
    };
    struct fota_boot_result res;
    int err;

    clock_init();
    uart_init();
    uart_puts("fota boot: SYSCLK ");
    uart_put_uint(clock_hz());
    uart_puts(" Hz\n");
    boot_bench(&cfg);
    while ((err = fota_boot_go(&cfg, &res)) < 0) {
        /* A flash error: the state log lets the next attempt resume. */
        uart_puts("fota boot: flash error: ");
        uart_puts(fota_strerror(err));
        uart_puts("\n");
    }
    report(&res.record);
    if (res.record.action == FOTA_BOOT_ACTION_RECOVERY) {
        if (!recovery_present()) {
            uart_puts("fota boot: no valid image and no recovery loader, staying in the "
                      "bootloader\n");
            for (;;)
                ;
        }
        uart_puts("fota boot: no valid image, starting the recovery loader at ");
        uart_put_hex(stm32f1_recovery_addr);
        uart_puts("\n");
        jump_to(stm32f1_recovery_addr);
    }
    uart_puts("fota boot: starting ");
    put_version(&res.image.version);
    uart_puts(" at ");
    uart_put_hex(res.load_address);
    uart_puts("\n");
    if (res.record.action == FOTA_BOOT_ACTION_INSTALLED)
        watchdog_start(BOOT_TRIAL_WATCHDOG_MS);
    jump_to(res.load_address);
}
