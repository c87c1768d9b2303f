/*
 * The device glue shared by the application and the recovery loader
 * (device.h).
 */
#include "device.h"

#include "fota/error.h"
#include "layout.h"
#include "modem_uart.h"
#include "regs.h"
#include "uart.h"

#define SCB_AIRCR REG32(0xE000ED0Cu)
#define SCB_AIRCR_SYSRESETREQ (0x05FAu << 16 | 1u << 2)

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
