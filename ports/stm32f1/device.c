/*
 * The device glue shared by the application and the recovery loader
 * (device.h).
 */
#include "device.h"

#include "clock.h"
#include "flash.h"
#include "fota/agent.h"
#include "fota/error.h"
#include "fota/link.h"
#include "fota/sha256.h"
#include "layout.h"
#include "modem_uart.h"
#include "regs.h"
#include "uart.h"
#include "watchdog.h"

/* The largest frame the agent takes: an OFFER with a 512-byte image header
 * is 622 bytes. */
#ifndef DEVICE_RX_SIZE
#define DEVICE_RX_SIZE 640u
#endif
/* Image bytes per DATA frame, DEVICE_WINDOW of them in flight: 8 x 512
 * bytes cover a GPRS round trip (0.7 s at 5,000 B/s) with an
 * acknowledgement per frame, so the link never waits for one. */
#ifndef DEVICE_DATA_CHUNK
#define DEVICE_DATA_CHUNK 512u
#endif
#define DEVICE_WINDOW 8u
/* Received bytes waiting for the agent. */
#ifndef DEVICE_LINK_BUF
#define DEVICE_LINK_BUF 256u
#endif
/* A progress line at most this often. */
#define DEVICE_PROGRESS_MS 5000u
/* The longest wait for the modem to send its last bytes before a reset. */
#define DEVICE_DRAIN_MS 10000u

#define SCB_AIRCR REG32(0xE000ED0Cu)
#define SCB_AIRCR_SYSRESETREQ (0x05FAu << 16 | 1u << 2)

void device_result(const char *what, int err)
{
    uart_puts(what);
    uart_puts(err == 0 ? "ok" : fota_strerror(err));
    uart_puts("\n");
}

int device_config_read(struct fota_devcfg *cfg)
{
    const uint8_t *page = (const uint8_t *)(uintptr_t)stm32f1_config_addr;
    int err = fota_devcfg_parse(cfg, page, FOTA_DEVCFG_SIZE);

    if (err < 0) {
        uart_puts("fota: no device configuration at ");
        uart_put_hex(stm32f1_config_addr);
        uart_puts(err == FOTA_E_MAGIC ? ": no record there" : ": ");
        uart_puts(err == FOTA_E_MAGIC ? "" : fota_strerror(err));
        uart_puts(" (flash the record `fota devcfg` makes there)\n");
    }
    return err;
}

static size_t modem_write(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    return modem_uart_write(data, len);
}

static void modem_key(void *ctx, int pressed)
{
    (void)ctx;
    modem_power_key(pressed);
}

int device_modem_start(struct device_modem *dm, const struct fota_devcfg *cfg, uint16_t port)
{
    int err;

    modem_uart_init();
    dm->cfg = (struct fota_modem_config){
        .ops = {.ctx = dm, .uart_write = modem_write, .power_key = modem_key},
        .apn = cfg->apn,
        .user = cfg->user,
        .password = cfg->password,
        .host = cfg->host,
        .port = port,
        .rx_buf = dm->rx,
        .rx_size = sizeof(dm->rx),
        .tx_buf = dm->tx,
        .tx_size = sizeof(dm->tx),
    };
    err = fota_modem_init(&dm->modem, &dm->cfg);
    if (err == 0)
        fota_modem_transport(&dm->modem, &dm->transport);
    return err;
}

void device_modem_pump(struct device_modem *dm, uint32_t now_ms)
{
    uint8_t buf[64];
    size_t n;

    while ((n = modem_uart_read(buf, sizeof(buf))) > 0)
        fota_modem_input(&dm->modem, buf, n);
    fota_modem_step(&dm->modem, now_ms);
}

void device_idle(void)
{
    __asm volatile("wfi" ::: "memory");
}

void device_reset(void)
{
    __asm volatile("dsb" ::: "memory");
    SCB_AIRCR = SCB_AIRCR_SYSRESETREQ;
    __asm volatile("dsb" ::: "memory");
    for (;;)
        ;
}

/* ---- the download agent ---------------------------------------------------- */

static struct device_modem modem;
static struct fota_agent agent;
static struct fota_link link;
static uint8_t agent_rx[DEVICE_RX_SIZE];
static uint8_t agent_tx[FOTA_AGENT_TX_MIN];
static uint8_t scratch[STM32F1_PAGE_SIZE];
static uint8_t link_buf[DEVICE_LINK_BUF];

/* For the device nonce and the first report sequence: the server's own
 * nonce is what makes each HELLO fresh, so these need to differ, not to be
 * secret. A chained hash of the device's secret, the cycle counter and the
 * time; a board with an entropy source would feed it here. */
static int device_random(void *ctx, uint8_t *buf, size_t len)
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

static void device_progress(uint32_t now, uint32_t *next)
{
    if ((int32_t)(now - *next) < 0)
        return;
    *next = now + DEVICE_PROGRESS_MS;
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

/* Lets the modem send what it took (the connection's last frames and its
 * close) before the reset, for at most DEVICE_DRAIN_MS. */
static void device_modem_drain(uint32_t start)
{
    uint32_t now = start;

    while (!fota_modem_idle(&modem.modem) && now - start < DEVICE_DRAIN_MS) {
        watchdog_feed();
        device_idle();
        now = clock_ms();
        device_modem_pump(&modem, now);
    }
}

void device_agent_run(const struct fota_boot_config *boot, const struct fota_devcfg *dev)
{
    const struct fota_agent_config cfg = {
        .boot = *boot,
        .progress_addr = stm32f1_progress_addr,
        .device_id = dev->id,
        .model = "STM32F1 fota demo",
        .secret = dev->secret,
        .random = device_random,
        .random_ctx = (void *)(uintptr_t)dev,
        .rx_buf = agent_rx,
        .rx_size = sizeof(agent_rx),
        .tx_buf = agent_tx,
        .tx_size = sizeof(agent_tx),
        .scratch = scratch,
        .scratch_size = sizeof(scratch),
        .window = DEVICE_WINDOW,
        .chunk = DEVICE_DATA_CHUNK,
        .connect_timeout_ms = FOTA_MODEM_OPEN_MAX_MS,
    };
    uint32_t next = 0;
    int err = device_modem_start(&modem, dev, dev->port);

    if (err == 0)
        err = fota_agent_init(&agent, &cfg);
    device_result("agent: ", err);
    if (err != 0)
        return; /* the configuration does not suit the modem: nothing to run */
    fota_link_init(&link, &agent, &modem.transport, link_buf, sizeof(link_buf));
    for (;;) {
        uint32_t now = clock_ms();

        watchdog_feed();
        device_modem_pump(&modem, now);
        if (fota_link_poll(&link, now) == FOTA_LINK_RESET) {
            uart_puts("fota: new image verified and pending, resetting\n");
            device_modem_drain(now);
            device_reset();
        }
        device_progress(now, &next);
        device_idle();
    }
}
