/*
 * fota-sim's modem (simmodem.h).
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* cfmakeraw */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "fota/error.h"
#include "simmodem.h"
#include "util.h"

/* The longest wait without looking at the clock again. */
#define SIMMODEM_TICK_MS 100

/* Shows the AT dialogue: printable bytes as they are, others as \xNN. */
static void trace(const struct simmodem *m, const char *dir, const uint8_t *p, size_t n)
{
    if (!m->verbose)
        return;
    printf("modem %s ", dir);
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7F)
            putchar(p[i]);
        else
            printf("\\x%02x", p[i]);
    }
    putchar('\n');
    fflush(stdout);
}

static size_t tty_write(void *ctx, const uint8_t *data, size_t len)
{
    struct simmodem *m = ctx;
    ssize_t n = write(m->tty, data, len);

    if (n <= 0)
        return 0; /* full (EAGAIN) or gone: the driver tries again, then times out */
    trace(m, ">>", data, (size_t)n);
    return (size_t)n;
}

/* A tty has no PWRKEY line: the press is counted and shown. */
static void tty_power_key(void *ctx, int pressed)
{
    struct simmodem *m = ctx;

    if (!pressed)
        return;
    m->key_presses++;
    printf("modem silent: PWRKEY pressed (not wired on a tty)\n");
    fflush(stdout);
}

static int tty_open(const char *path)
{
    struct termios t;
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        fprintf(stderr, "fota-sim: --modem %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (tcgetattr(fd, &t) != 0) {
        fprintf(stderr, "fota-sim: --modem %s: not a tty: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    cfmakeraw(&t);
    t.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB | CRTSCTS);
    t.c_cflag |= CS8 | CLOCAL | CREAD;
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (cfsetispeed(&t, B115200) != 0 || cfsetospeed(&t, B115200) != 0 ||
        tcsetattr(fd, TCSANOW, &t) != 0) {
        fprintf(stderr, "fota-sim: --modem %s: cannot set 115200 8N1: %s\n", path,
                strerror(errno));
        close(fd);
        return -1;
    }
    tcflush(fd, TCIOFLUSH);
    return fd;
}

int simmodem_server_split(const char *text, char *host, size_t size, uint16_t *port)
{
    const char *colon = strrchr(text, ':');
    uint32_t v;

    if (colon == NULL || colon == text || (size_t)(colon - text) >= size ||
        tool_parse_u32(colon + 1, &v) < 0 || v == 0 || v > 65535) {
        fprintf(stderr, "fota-sim: server '%s' is not HOST:PORT\n", text);
        return -1;
    }
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    *port = (uint16_t)v;
    return 0;
}

int simmodem_open(struct simmodem *m, const char *tty, const char *server, const char *apn,
                  int verbose)
{
    memset(m, 0, sizeof(*m));
    m->path = tty;
    m->verbose = verbose;
    if (simmodem_server_split(server, m->host, sizeof(m->host), &m->port) < 0)
        return -1;
    m->tty = tty_open(tty);
    if (m->tty < 0)
        return -1;
    m->cfg = (struct fota_modem_config){
        .ops = {.ctx = m, .uart_write = tty_write, .power_key = tty_power_key},
        .apn = apn,
        .user = "",
        .password = "",
        .host = m->host,
        .port = m->port,
        .rx_buf = m->rx,
        .rx_size = sizeof(m->rx),
        .tx_buf = m->tx,
        .tx_size = sizeof(m->tx),
    };
    return 0;
}

int simmodem_start(struct simmodem *m)
{
    int err = fota_modem_init(&m->modem, &m->cfg);

    if (err == 0)
        fota_modem_transport(&m->modem, &m->transport);
    return err;
}

/* Feeds the driver what the tty has (a raw tty with VMIN 0 reads 0 bytes
 * when it has none). */
static int tty_drain(struct simmodem *m)
{
    uint8_t buf[512];
    ssize_t n;

    while ((n = read(m->tty, buf, sizeof(buf))) > 0) {
        trace(m, "<<", buf, (size_t)n);
        fota_modem_input(&m->modem, buf, (size_t)n);
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        fprintf(stderr, "fota-sim: the modem's tty %s: %s\n", m->path, strerror(errno));
        return -1;
    }
    return 0;
}

int simmodem_run(struct simmodem *m, uint32_t now_ms, uint32_t wake_at)
{
    struct pollfd pfd = {.fd = m->tty, .events = POLLIN};
    int32_t a, b, wait;

    fota_modem_step(&m->modem, now_ms);
    a = (int32_t)(wake_at - now_ms);
    b = (int32_t)(fota_modem_wake_at(&m->modem) - now_ms);
    wait = a < b ? a : b;
    wait = wait < 0 ? 0 : wait > SIMMODEM_TICK_MS ? SIMMODEM_TICK_MS : wait;
    if (poll(&pfd, 1, (int)wait) <= 0)
        return 0;
    if ((pfd.revents & POLLIN) == 0 && (pfd.revents & (POLLHUP | POLLERR)) != 0) {
        fprintf(stderr, "fota-sim: the modem's tty %s: hung up\n", m->path);
        return -1;
    }
    return tty_drain(m);
}

int simmodem_drain(struct simmodem *m, uint32_t (*now_ms)(void *ctx), void *ctx,
                   uint32_t limit_ms)
{
    uint32_t start = now_ms(ctx), now = start;

    while (!fota_modem_idle(&m->modem) && now - start < limit_ms) {
        if (simmodem_run(m, now, now + SIMMODEM_TICK_MS) < 0)
            return -1;
        now = now_ms(ctx);
    }
    return 0;
}

void simmodem_close(struct simmodem *m)
{
    if (m->tty >= 0)
        close(m->tty);
    m->tty = -1;
}
