/*
 * The demo application, linked at the primary slot plus the 512-byte image
 * header (0x08005200 on the STM32F103ZE). It prints its version and what
 * the bootloader did on USART1 (PA9, 115200 8N1), tests itself and
 * confirms itself (ending a trial); then it runs the download agent over the
 * SIM800C on USART3: it asks the server for an update at start and every
 * poll interval the server gives, downloads into the secondary slot while
 * it runs, and resets into the bootloader to install what it verified. It
 * feeds the watchdog the bootloader starts for a trial boot.
 *
 * The server, the device's id and secret and the APN come from the
 * configuration page (fota devcfg); without one it says so and only runs.
 */
#include <stdint.h>

#include "clock.h"
#include "device.h"
#include "flash.h"
#include "fota/agent.h"
#include "fota/error.h"
#include "fota/link.h"
#include "fota/sha256.h"
#include "layout.h"
#include "uart.h"
#include "watchdog.h"

#ifndef FOTA_APP_VERSION
#define FOTA_APP_VERSION "1.0.0"
#endif
/* DATA bytes per frame the agent announces (its receive buffer). */
#ifndef APP_DATA_CHUNK
#define APP_DATA_CHUNK 1024u
#endif
/* Received bytes waiting for the agent. */
#ifndef APP_LINK_BUF
#define APP_LINK_BUF 256u
#endif
/* A progress line at most this often. */
#define APP_PROGRESS_MS 5000u

/* The key images are signed with: the agent checks an offer before it
 * writes anything (`fota pubkey --c` writes its definition). */
extern const uint8_t fota_public_key[FOTA_ED25519_PUBLIC_KEY_SIZE];

static struct device_modem modem;
static struct fota_agent agent;
static struct fota_link link;
static uint8_t agent_rx[APP_DATA_CHUNK + FOTA_PROTO_DATA_HEAD_SIZE + FOTA_PROTO_OVERHEAD];
static uint8_t agent_tx[FOTA_AGENT_TX_MIN];
static uint8_t scratch[STM32F1_PAGE_SIZE];
static uint8_t link_buf[APP_LINK_BUF];

static void put_result(const char *what, int err)
{
    uart_puts(what);
    uart_puts(err == 0 ? "ok" : fota_strerror(err));
    uart_puts("\n");
}

/* For the device nonce and the first report sequence: the server's own
 * nonce is what makes each HELLO fresh, so these need to differ, not to be
 * secret. A chained hash of the device's secret, the cycle counter and the
 * time; a board with an entropy source would feed it here. */
static int app_random(void *ctx, uint8_t *buf, size_t len)
{
    static uint8_t pool[FOTA_SHA256_SIZE];
    const struct fota_devcfg *dev = ctx;
    struct fota_sha256 h;
    uint32_t t[2];

    while (len > 0) {
        size_t n = len < sizeof(pool) ? len : sizeof(pool);

        t[0] = clock_cycles();
        t[1] = clock_ms();
        fota_sha256_init(&h);
        fota_sha256_update(&h, pool, sizeof(pool));
        fota_sha256_update(&h, dev->secret, sizeof(dev->secret));
        fota_sha256_update(&h, t, sizeof(t));
        fota_sha256_final(&h, pool);
        for (size_t i = 0; i < n; i++)
            buf[i] = pool[i];
        buf += n;
        len -= n;
    }
    return 0;
}

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

    put_result("self-test: ", err);
    if (err != 0)
        return;
    if (st.trial)
        uart_puts("running on trial\n");
    put_result("confirm: ", fota_boot_confirm(boot));
}

static void app_progress(uint32_t now, uint32_t *next)
{
    if ((int32_t)(now - *next) < 0)
        return;
    *next = now + APP_PROGRESS_MS;
    uart_puts("fota: ");
    uart_put_uint(agent.bytes_received);
    uart_puts(" bytes received, ");
    uart_put_uint(link.connects);
    uart_puts(" connections, ");
    uart_put_uint(agent.up_to_date);
    uart_puts(" up to date");
    if (agent.last_error != 0) {
        uart_puts(", last error: ");
        uart_puts(fota_strerror(agent.last_error));
    }
    uart_puts("\n");
}

/* The agent's whole life: never returns (a reset ends it). */
static void __attribute__((noreturn)) app_run(const struct fota_boot_config *boot,
                                               const struct fota_devcfg *dev)
{
    const struct fota_agent_config cfg = {
        .boot = *boot,
        .progress_addr = stm32f1_progress_addr,
        .device_id = dev->id,
        .model = "STM32F1 fota demo",
        .secret = dev->secret,
        .random = app_random,
        .random_ctx = (void *)(uintptr_t)dev,
        .rx_buf = agent_rx,
        .rx_size = sizeof(agent_rx),
        .tx_buf = agent_tx,
        .tx_size = sizeof(agent_tx),
        .scratch = scratch,
        .scratch_size = sizeof(scratch),
        .window = 4,
    };
    uint32_t next = 0;
    int err = device_modem_start(&modem, dev, dev->port);

    if (err == 0)
        err = fota_agent_init(&agent, &cfg);
    put_result("agent: ", err);
    fota_link_init(&link, &agent, &modem.transport, link_buf, sizeof(link_buf));
    for (;;) {
        uint32_t now = clock_ms();

        watchdog_feed();
        device_modem_pump(&modem, now);
        if (err == 0 && fota_link_poll(&link, now) == FOTA_LINK_RESET) {
            uart_puts("fota: new image verified and pending, resetting\n");
            device_reset();
        }
        app_progress(now, &next);
        device_idle();
    }
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
        app_run(&boot, &dev);
    for (;;) {
        watchdog_feed();
        device_idle();
    }
}
