/*
 * libFuzzer target: the SIM800C driver (include/fota/modem.h) fed the input
 * as the bytes its UART received, with steps of a fake clock and transport
 * calls interleaved.
 *
 * Input: UART bytes, cut by commands of three bytes, 0xFE OP ARG, that split
 * the stream where the input says and act between the pieces:
 *   OP % 8 = 0 clock += ARG * ARG * 16 ms, step   4 write(1 + ARG * 6 bytes)
 *            1 connect()                          5 close()
 *            2 connect_result()                   6 step at the same time
 *            3 read(1 + ARG bytes)                7 clock = wake_at(), step
 * Each piece of UART bytes is followed by a step. The fake UART takes every
 * byte; the driver's state is checked after every call, and each transport
 * call's result against the contract of include/fota/transport.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fota/error.h"
#include "fota/modem.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define ESC 0xFEu
#define RX_SIZE 256u
#define TX_SIZE 128u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct harness {
    struct fota_modem m;
    struct fota_modem_config cfg;
    struct fota_transport t;
    uint8_t rx[RX_SIZE];
    uint8_t tx[TX_SIZE];
    uint32_t now;
    unsigned long uart_bytes;
};

static size_t fake_uart(void *ctx, const uint8_t *data, size_t len)
{
    struct harness *h = ctx;

    (void)data;
    h->uart_bytes += len;
    return len;
}

static void fake_key(void *ctx, int pressed)
{
    (void)ctx;
    CHECK(pressed == 0 || pressed == 1);
}

/* The driver's buffers stay within their bounds. */
static void check_state(const struct harness *h)
{
    const struct fota_modem *m = &h->m;

    CHECK(m->rx_len <= RX_SIZE && m->rx_head < RX_SIZE);
    CHECK(m->line_len <= FOTA_MODEM_LINE_MAX);
    CHECK(m->out_done <= m->out_len && m->out_len <= FOTA_MODEM_CMD_MAX);
    CHECK(m->tx_len <= TX_SIZE);
    /* tx_done counts only while a CIPSEND writes its data (stale after). */
    if (m->cmd == FOTA_MODEM_ST_CIPSEND && m->phase == 1)
        CHECK(m->tx_done <= m->tx_len);
    CHECK(m->conn <= FOTA_MODEM_CONN_FAILED);
    CHECK(m->cmd <= FOTA_MODEM_ST_READ && m->step <= FOTA_MODEM_ST_READ);
}

static void step(struct harness *h)
{
    fota_modem_step(&h->m, h->now);
    check_state(h);
}

static void op(struct harness *h, uint8_t code, uint8_t arg)
{
    static uint8_t buf[1 + 255 * 6];
    size_t len;
    int rc;

    switch (code % 8u) {
    case 0:
        h->now += (uint32_t)arg * arg * 16u;
        step(h);
        break;
    case 1:
        rc = h->t.connect(h->t.ctx);
        CHECK(rc <= 0);
        break;
    case 2:
        rc = h->t.connect_result(h->t.ctx);
        CHECK(rc <= 0);
        break;
    case 3:
        len = 1u + arg;
        rc = h->t.read(h->t.ctx, buf, len);
        CHECK((rc >= 1 && (size_t)rc <= len) || rc == FOTA_E_AGAIN || rc == FOTA_E_IO);
        break;
    case 4:
        len = 1u + (size_t)arg * 6u;
        memset(buf, arg, len);
        rc = h->t.write(h->t.ctx, buf, len);
        CHECK((rc >= 1 && (size_t)rc <= len && rc <= (int)FOTA_MODEM_CHUNK_MAX) ||
              rc == FOTA_E_AGAIN || rc == FOTA_E_IO);
        break;
    case 5:
        h->t.close(h->t.ctx);
        break;
    case 6:
        step(h);
        break;
    default:
        h->now = fota_modem_wake_at(&h->m);
        step(h);
        break;
    }
    (void)fota_modem_idle(&h->m);
    check_state(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct harness h;
    size_t i = 0;

    memset(&h, 0, sizeof(h));
    h.cfg.ops.ctx = &h;
    h.cfg.ops.uart_write = fake_uart;
    h.cfg.ops.power_key = fake_key;
    h.cfg.apn = "internet";
    h.cfg.user = "";
    h.cfg.password = "";
    h.cfg.host = "fota.example.com";
    h.cfg.port = 9995;
    h.cfg.rx_buf = h.rx;
    h.cfg.rx_size = RX_SIZE;
    h.cfg.tx_buf = h.tx;
    h.cfg.tx_size = TX_SIZE;
    h.now = 0xFFFFF000u; /* the clock wraps during long inputs */
    CHECK(fota_modem_init(&h.m, &h.cfg) == 0);
    fota_modem_transport(&h.m, &h.t);

    while (i < size) {
        size_t start = i;

        while (i < size && data[i] != ESC)
            i++;
        if (i > start) {
            fota_modem_input(&h.m, data + start, i - start);
            check_state(&h);
            step(&h);
        }
        if (i + 2 < size) {
            op(&h, data[i + 1], data[i + 2]);
            i += 3;
        } else if (i < size) {
            /* A command cut short: its bytes are UART bytes. */
            fota_modem_input(&h.m, data + i, size - i);
            check_state(&h);
            i = size;
        }
    }
    /* Let every timeout that is due fire. */
    for (int k = 0; k < 4; k++) {
        h.now = fota_modem_wake_at(&h.m);
        step(&h);
    }
    return 0;
}
